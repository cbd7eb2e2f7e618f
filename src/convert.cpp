// `pancan convert`: read the labels, parse the expression table in parallel (csv.hpp),
// join labels to samples by id, then write the .h5ad: metadata from rank 0, /X from
// every rank's own rows. The file appears at --out only when it is complete.
#include "pancan/convert.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <unordered_map>

#include "pancan/dataset.hpp"
#include "pancan/error.hpp"
#include "pancan/fault.hpp"
#include "pancan/log.hpp"
#include "pancan/output.hpp"

namespace pancan {

namespace {

// Label of each sample id, from the labels file, with the line it is on.
struct Labels {
  std::vector<std::string> ids;     // file order
  std::vector<std::string> values;  // file order
  std::vector<std::int64_t> lines;
  std::int64_t column = 1;  // byte column of the label column's header cell
};

Labels read_labels(const ConvertOptions& options) {
  const csv::TextTable table = csv::read_text_table(options.labels, options.separator);
  const auto& names = table.header.values;
  const auto found = std::find(names.begin() + 1, names.end(), options.label_column);
  if (found == names.end()) {
    std::string have;
    for (std::size_t i = 1; i < names.size(); ++i) have += (i > 1 ? ", " : "") + names[i];
    throw InputError(options.labels, 1, 1,
                     "no column '" + options.label_column + "' in the header (columns: " +
                         (have.empty() ? "none" : have) + "; see --label-column)");
  }
  const auto k = static_cast<std::size_t>(found - names.begin());
  Labels labels;
  labels.column = table.header.columns[k];
  std::unordered_map<std::string, std::int64_t> line_of;
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const auto& cells = table.rows[i];
    const std::int64_t line = table.lines[i];
    if (cells.values[0].empty()) throw InputError(options.labels, line, 1, "empty sample id");
    if (cells.values[k].empty())
      throw InputError(options.labels, line, cells.columns[k],
                       "empty label for sample '" + cells.values[0] + "'");
    auto [at, fresh] = line_of.emplace(cells.values[0], line);
    if (!fresh)
      throw InputError(options.labels, line, 1,
                       "duplicate sample id '" + cells.values[0] + "' (also on line " +
                           std::to_string(at->second) + ")");
    labels.ids.push_back(cells.values[0]);
    labels.values.push_back(cells.values[k]);
    labels.lines.push_back(line);
  }
  return labels;
}

// The dataset description: the table's ids and each sample's label, joined by sample id.
DatasetInfo join(const csv::Table& table, const Labels& labels, const ConvertOptions& options,
                 const std::string& path) {
  DatasetInfo info;
  info.path = path;
  info.samples = static_cast<std::int64_t>(table.sample_ids.size());
  info.genes = static_cast<std::int64_t>(table.gene_ids.size());
  info.sample_ids = table.sample_ids;
  info.gene_ids = table.gene_ids;
  info.label_column = options.label_column;

  std::unordered_map<std::string_view, std::size_t> label_index;
  for (std::size_t i = 0; i < labels.ids.size(); ++i) label_index.emplace(labels.ids[i], i);
  std::vector<std::size_t> label_of_sample;
  label_of_sample.reserve(info.sample_ids.size());
  for (std::size_t s = 0; s < info.sample_ids.size(); ++s) {
    const auto at = label_index.find(info.sample_ids[s]);
    if (at == label_index.end())
      throw InputError(options.expression, table.sample_places[s].line,
                       table.sample_places[s].column,
                       "sample '" + info.sample_ids[s] + "' has no label in " + options.labels);
    label_of_sample.push_back(at->second);
  }
  std::unordered_map<std::string_view, std::size_t> sample_index;
  for (std::size_t s = 0; s < info.sample_ids.size(); ++s)
    sample_index.emplace(info.sample_ids[s], s);
  for (std::size_t i = 0; i < labels.ids.size(); ++i)
    if (!sample_index.contains(labels.ids[i]))
      throw InputError(
          options.labels, labels.lines[i], 1,
          "label for sample '" + labels.ids[i] + "', which is not in " + options.expression);

  // Categories sorted, as pandas orders a categorical made from strings.
  info.classes = labels.values;
  std::sort(info.classes.begin(), info.classes.end());
  info.classes.erase(std::unique(info.classes.begin(), info.classes.end()), info.classes.end());
  if (info.classes.size() < 2)
    throw InputError(options.labels, 1, labels.column,
                     "only one class ('" + info.classes.front() + "') in column '" +
                         options.label_column + "'; at least 2 are needed");
  for (auto i : label_of_sample) {
    const auto code = std::lower_bound(info.classes.begin(), info.classes.end(), labels.values[i]) -
                      info.classes.begin();
    info.labels.push_back(static_cast<std::int32_t>(code));
  }
  return info;
}

void check_output(const std::string& out) {
  const std::filesystem::path path(out);
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw Error(out + ": the output directory " + dir.string() + " does not exist");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw Error(out + ": the output directory " + dir.string() + " is not writable");
  if (std::filesystem::is_directory(path, ec)) throw Error(out + ": is a directory");
}

// The temporary name the file is written under, next to --out (so the final rename is
// atomic), removed again unless committed.
class TemporaryOutput {
 public:
  TemporaryOutput(const std::string& out, long pid, bool owner) : out_(out), owner_(owner) {
    const std::filesystem::path path(out);
    path_ =
        (path.parent_path() / ("." + path.filename().string() + ".partial-" + std::to_string(pid)))
            .string();
  }
  ~TemporaryOutput() {
    if (owner_ && !committed_) std::remove(path_.c_str());
  }
  TemporaryOutput(const TemporaryOutput&) = delete;
  TemporaryOutput& operator=(const TemporaryOutput&) = delete;
  const std::string& path() const { return path_; }
  void commit() {
    std::error_code error;
    if (owner_) replace_file(path_, out_, error);
    if (error) throw Error("cannot rename " + path_ + " to " + out_ + ": " + error.message());
    committed_ = true;
  }

 private:
  std::string out_, path_;
  bool owner_;
  bool committed_ = false;
};

double megabytes(std::int64_t bytes) { return static_cast<double>(bytes) / 1e6; }

// User + system CPU seconds of this process: a speed measure that other processes on a
// shared machine do not distort.
double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

ConvertSummary convert(const ConvertOptions& options, const mpi::Comm& comm) {
  const double start = wall_seconds();
  fault::point("convert", "start");
  if (options.compression < 0 || options.compression > 9)
    throw UsageError("--compression: expected 0-9, not " + std::to_string(options.compression));

  // Cheap checks first, so a typo does not cost a full parse.
  Labels labels;
  mpi::agree(comm, [&] {
    if (comm.is_root()) check_output(options.out);
  });
  mpi::agree(comm, [&] { labels = read_labels(options); });

  Progress progress("convert " + options.expression);
  const double parse_start = wall_seconds();
  const double parse_cpu_start = cpu_seconds();
  csv::Table table = csv::read_table(
      {options.expression, options.separator, options.orientation, options.gzip_block_bytes}, comm,
      [&](std::int64_t bytes) {
        const double seconds = std::max(wall_seconds() - parse_start, 1e-9);
        progress.update(
            strprintf("%.1f MB parsed, %.0f MB/s", megabytes(bytes), megabytes(bytes) / seconds));
      });
  const double parse_seconds = wall_seconds() - parse_start;
  const double parse_cpu_seconds = cpu_seconds() - parse_cpu_start;
  fault::point("convert", "parsed");

  DatasetInfo info;
  mpi::agree(comm, [&] { info = join(table, labels, options, options.out); });

  const double write_start = wall_seconds();
  const long pid = comm.broadcast<std::int64_t>(static_cast<std::int64_t>(::getpid()));
  TemporaryOutput output(options.out, pid, comm.is_root());
  mpi::agree(comm, [&] {
    if (!comm.is_root()) return;
    DatasetFileOptions file_options;
    file_options.compression = options.compression;
    file_options.provenance = {
        {"created_by", std::string("pancan ") + PANCAN_VERSION + " convert"},
        {"expression", options.expression},
        {"labels", options.labels},
        {"layout", options.orientation == csv::Orientation::SamplesAsRows ? "samples-as-rows"
                                                                          : "genes-as-rows"},
        {"separator", table.separator == '\t' ? "tab" : "comma"}};
    create_dataset_file(output.path(), info, file_options);
  });
  fault::point("convert", "writing");
  mpi::agree(comm, [&] {
    // Every rank writes its own blocks; all make the same number of collective calls.
    const auto writes = comm.max(static_cast<std::int64_t>(table.pieces.size()));
    MatrixWriter writer(output.path(), comm);
    for (std::int64_t k = 0; k < writes; ++k) {
      if (k < static_cast<std::int64_t>(table.pieces.size())) {
        auto& piece = table.pieces[static_cast<std::size_t>(k)];
        writer.write_block(piece.samples, piece.genes, piece.values);
        std::vector<float>().swap(piece.values);
      } else {
        writer.write_block({0, 0}, {0, 0}, {});
      }
    }
    writer.close();
  });
  fault::point("convert", "written");
  mpi::agree(comm, [&] { output.commit(); });
  const double write_seconds = wall_seconds() - write_start;

  ConvertSummary summary;
  summary.samples = info.samples;
  summary.genes = info.genes;
  summary.classes = static_cast<std::int64_t>(info.classes.size());
  summary.bytes = table.bytes;
  summary.seconds = wall_seconds() - start;
  progress.finish(strprintf(
      "%lld samples x %lld genes, %lld classes, %.1f MB%s in %.2f s (%.0f MB/s, %d ranks) -> %s",
      static_cast<long long>(summary.samples), static_cast<long long>(summary.genes),
      static_cast<long long>(summary.classes), megabytes(summary.bytes),
      table.gzip ? " decompressed" : "", summary.seconds,
      megabytes(summary.bytes) / std::max(summary.seconds, 1e-9), comm.size(),
      options.out.c_str()));

  if (options.stats) {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto peaks = comm.allgather<std::int64_t>(static_cast<std::int64_t>(usage.ru_maxrss));
    const auto cpu = comm.allgather<double>(parse_cpu_seconds);
    const auto bytes = comm.allgather<std::int64_t>(table.parsed_bytes);
    std::string line = strprintf(
        "convert stats: parse %.3f s, write %.3f s; per rank: parse MB/s "
        "per CPU second",
        parse_seconds, write_seconds);
    for (std::size_t r = 0; r < cpu.size(); ++r)
      line += strprintf(" %.0f", megabytes(bytes[r]) / std::max(cpu[r], 1e-9));
    line += "; peak RSS MB";
    for (auto kb : peaks) line += strprintf(" %.1f", static_cast<double>(kb) / 1024.0);
    say(line);
  }
  return summary;
}

}  // namespace pancan
