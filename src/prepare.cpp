// `pancan prepare` as a library call: split, sharded per-gene statistics, selection, and
// the atomic update of the dataset file. The numerics are in stats.cpp and split.cpp;
// this file is the I/O and the communication around them.
#include "pancan/prepare.hpp"

#include <algorithm>
#include <ctime>
#include <filesystem>

#include "pancan/config.hpp"
#include "pancan/dataset.hpp"
#include "pancan/error.hpp"
#include "pancan/fault.hpp"
#include "pancan/h5.hpp"
#include "pancan/log.hpp"
#include "pancan/output.hpp"
#include "pancan/stats.hpp"

namespace pancan {

namespace {

// The pass over /X takes the rows in groups of this many (one HDF5 chunk of rows of a
// file written by convert): each group's moments are merged into the running ones, so
// every gene's arithmetic depends only on this grouping and on which rows are fitted,
// never on the rank count or on how the file is read. It also bounds a rank's buffer to
// kGroupRows x its genes, whatever the number of samples.
constexpr std::int64_t kGroupRows = kMatrixChunkRows;

// CPU time of this process (user + system), for throughput figures on shared cores.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct BlockStatistics {
  mpi::Range genes;               // this rank's genes
  std::vector<double> variances;  // per gene of `genes`
  std::vector<float> minimum, maximum;
  std::int64_t bytes_read = 0;
  bool whole_chunks = false;
};

// This rank's share of the genes and the per-gene statistics over the rows with fit[r].
//
// A file from pancan convert stores /X in uncompressed chunks of kGroupRows rows; then
// the shares are whole chunk columns and each chunk is read as stored (H5Dread_chunk: one
// read, no chunk cache, no selection copy), three times cheaper than a hyperslab read.
// Any other layout (compressed, contiguous, other chunk shapes) is read by hyperslabs of
// the same row groups, with the same results.
BlockStatistics block_statistics(const DatasetInfo& info, const std::vector<char>& fit,
                                 const mpi::Comm& comm) {
  h5::File file = h5::File::open(info.path, h5::Mode::ReadOnly);
  const h5::DataSet x = file.root().open_dataset("X");
  const auto dims = x.dims();
  if (dims.size() != 2 || dims[0] != info.samples || dims[1] != info.genes)
    throw Error(info.path + ": /X does not have the shape of obs x var");
  const auto chunk = x.chunk_dims();
  const bool whole_chunks = x.raw_chunks_are<float>() && chunk[0] == kGroupRows;

  BlockStatistics result;
  result.whole_chunks = whole_chunks;
  // Gene groups: whole chunk columns, or this rank's block of genes as one group.
  std::vector<mpi::Range> groups;
  if (whole_chunks) {
    const std::int64_t width = chunk[1];
    const auto mine = mpi::block_range((info.genes + width - 1) / width, comm.size(), comm.rank());
    result.genes = {std::min(info.genes, mine.begin * width),
                    std::min(info.genes, mine.end * width)};
    for (std::int64_t c = mine.begin; c < mine.end; ++c)
      groups.push_back({c * width, std::min(info.genes, (c + 1) * width)});
  } else {
    result.genes = mpi::block_range(info.genes, comm.size(), comm.rank());
    if (result.genes.size() > 0) groups.push_back(result.genes);
  }

  std::vector<float> buffer;
  std::vector<std::int64_t> rows;  // fit rows of a row group, relative to the first one read
  for (const auto& group : groups) {
    GeneMoments moments(static_cast<std::size_t>(group.size()));
    for (std::int64_t r0 = 0; r0 < info.samples; r0 += kGroupRows) {
      const std::int64_t r1 = std::min(info.samples, r0 + kGroupRows);
      const std::int64_t base = whole_chunks ? r0 : -1;  // row 0 of the buffer
      std::int64_t first = -1, last = -1;
      rows.clear();
      for (std::int64_t r = r0; r < r1; ++r)
        if (fit[static_cast<std::size_t>(r)]) {
          if (first < 0) first = r;
          last = r;
          rows.push_back(r - (base >= 0 ? base : first));
        }
      if (rows.empty()) continue;
      if (whole_chunks) {
        buffer.resize(static_cast<std::size_t>(chunk[0] * chunk[1]));
        x.read_chunk(std::vector<std::int64_t>{r0, group.begin}, std::span<float>(buffer));
        accumulate_rows(buffer, static_cast<std::size_t>(chunk[1]), rows, moments);
      } else {
        // Only the span from the first to the last fit row of the group is read.
        const std::int64_t span = last - first + 1;
        buffer.resize(static_cast<std::size_t>(span * group.size()));
        x.read(std::span<float>(buffer), {first, group.begin}, {span, group.size()});
        accumulate_rows(buffer, rows, moments);
      }
      result.bytes_read += static_cast<std::int64_t>(buffer.size() * sizeof(float));
    }
    const auto variances = sample_variances(moments);
    result.variances.insert(result.variances.end(), variances.begin(), variances.end());
    result.minimum.insert(result.minimum.end(), moments.minimum.begin(), moments.minimum.end());
    result.maximum.insert(result.maximum.end(), moments.maximum.begin(), moments.maximum.end());
  }
  return result;
}

void set_encoding(h5::Object& object, const char* type, const char* version) {
  object.set_attribute("encoding-type", type);
  object.set_attribute("encoding-version", version);
}

// Appends `names` missing from a dataframe's column-order attribute.
void add_columns(h5::Group& frame, const std::vector<std::string>& names) {
  auto order = frame.has_attribute("column-order") ? frame.string_array_attribute("column-order")
                                                   : std::vector<std::string>{};
  for (const auto& name : names)
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  frame.set_attribute("column-order", order);
}

h5::Group require_dict(h5::Group& parent, const std::string& name) {
  const bool existed = parent.exists(name);
  h5::Group group = parent.require_group(name);
  if (!existed) set_encoding(group, "dict", "0.1.0");
  return group;
}

struct Results {
  const std::vector<Split>& split;
  const std::vector<double>& variances;
  const GeneSelection& selection;
  const std::vector<float>& minimum;  // per selected gene
  const std::vector<float>& maximum;
  std::int64_t fit_rows;
};

// Writes the results into the (copied) file `path`, replacing any earlier preparation.
void write_results(const std::string& path, const PrepareOptions& options, const Results& results) {
  h5::File file = h5::File::open(path, h5::Mode::ReadWrite);
  h5::Group root = file.root();

  h5::Group obs = root.open_group("obs");
  obs.unlink("split");
  {
    h5::Group column = obs.create_group("split");
    set_encoding(column, "categorical", "0.2.0");
    column.set_attribute("ordered", false);
    std::vector<std::int8_t> codes(results.split.size());
    std::transform(results.split.begin(), results.split.end(), codes.begin(),
                   [](Split s) { return static_cast<std::int8_t>(s); });
    auto ds = column.write_vector<std::int8_t>("codes", codes);
    set_encoding(ds, "array", "0.2.0");
    auto categories = column.write_strings(
        "categories", std::vector<std::string>(std::begin(kSplitNames), std::end(kSplitNames)));
    set_encoding(categories, "string-array", "0.2.0");
  }
  add_columns(obs, {"split"});

  h5::Group var = root.open_group("var");
  {
    auto ds = var.write_vector<double>("variances", results.variances);
    set_encoding(ds, "array", "0.2.0");
    std::vector<bool> keep(results.variances.size(), false);
    for (auto g : results.selection.genes) keep[static_cast<std::size_t>(g)] = true;
    auto flags = var.write_bools("highly_variable", keep);
    set_encoding(flags, "array", "0.2.0");
  }
  add_columns(var, {"variances", "highly_variable"});

  h5::Group uns = require_dict(root, "uns");
  h5::Group pancan = require_dict(uns, "pancan");
  pancan.unlink("prepare");
  h5::Group prepared = require_dict(pancan, "prepare");
  auto array = [&](const std::string& name, std::span<const float> values) {
    auto ds = prepared.write_vector<float>(name, values);
    set_encoding(ds, "array", "0.2.0");
  };
  auto number = [&](const std::string& name, auto value) {
    auto ds = prepared.write_scalar(name, value);
    set_encoding(ds, "numeric-scalar", "0.2.0");
  };
  auto text = [&](const std::string& name, const std::string& value) {
    auto ds = prepared.write_string_scalar(name, value);
    set_encoding(ds, "string", "0.2.0");
  };
  array("minimum", results.minimum);
  array("maximum", results.maximum);
  number("threshold", results.selection.threshold);
  if (options.top_genes > 0) {
    text("selection", "top-genes");
    number("top_genes", options.top_genes);
  } else {
    text("selection", "quantile");
    number("quantile", options.quantile);
  }
  text("fit_on", fit_on_name(options.fit_on));
  number("fit_rows", results.fit_rows);
  number("seed", options.seed);
  number("test_fraction", options.fractions.test);
  number("validation_fraction", options.fractions.validation);
  file.close();
}

// Copies `path`, updates the copy and renames it over `path`: a run killed at any point
// leaves either the old file or the new one, never a half-written one.
void store_atomically(const std::string& path, const PrepareOptions& options,
                      const Results& results) {
  if (options.in_place) {
    write_results(path, options, results);
    fault::point("prepare", "writing");
    return;
  }
  const std::string temporary = path + ".prepare-tmp";
  try {
    std::filesystem::copy_file(path, temporary, std::filesystem::copy_options::overwrite_existing);
    write_results(temporary, options, results);
    fault::point("prepare", "writing");
    std::error_code error;
    replace_file(temporary, path, error);
    if (error) throw std::filesystem::filesystem_error("rename", temporary, path, error);
  } catch (const std::filesystem::filesystem_error& e) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw Error("updating " + path + ": " + e.code().message());
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

}  // namespace

const char* fit_on_name(FitOn fit_on) { return fit_on == FitOn::All ? "all" : "train"; }

FitOn parse_fit_on(const std::string& text) {
  if (text == "train") return FitOn::Train;
  if (text == "all") return FitOn::All;
  throw UsageError("--fit-on: must be 'train' or 'all', got '" + text + "'");
}

void validate(const PrepareOptions& options) {
  require_option(!options.data.empty(), "data",
                 "a dataset file (.h5ad from pancan convert) is required");
  require_option(options.fractions.test >= 0.0 && options.fractions.test < 1.0, "test-fraction",
                 strprintf("must be in [0, 1), got %g", options.fractions.test));
  require_option(options.fractions.validation >= 0.0 && options.fractions.validation < 1.0,
                 "validation-fraction",
                 strprintf("must be in [0, 1), got %g", options.fractions.validation));
  require_option(
      options.top_genes >= 0, "top-genes",
      strprintf("must be at least 1, got %lld", static_cast<long long>(options.top_genes)));
  if (options.top_genes == 0)
    require_option(options.quantile > 0.0 && options.quantile < 1.0, "quantile",
                   strprintf("must be in (0, 1), got %g", options.quantile));
}

PrepareResult prepare(const PrepareOptions& options, const mpi::Comm& comm) {
  const double start = wall_seconds();
  fault::point("prepare", "start");
  validate(options);
  PrepareResult result;

  DatasetInfo info;
  mpi::agree(comm, [&] {
    info = read_dataset_info(options.data);
    require_option(options.top_genes <= info.genes, "top-genes",
                   strprintf("%lld is more than the %lld genes of %s",
                             static_cast<long long>(options.top_genes),
                             static_cast<long long>(info.genes), options.data.c_str()));
    if (info.label_column == "split")
      throw Error(options.data +
                  ": the label column is called 'split', the name prepare stores the split under");
  });
  result.samples = info.samples;
  result.genes = info.genes;

  // The split is a pure function of labels and seed: every rank computes the same one.
  const auto split = stratified_split(info.labels, static_cast<int>(info.classes.size()),
                                      options.fractions, options.seed);
  std::vector<char> fit(split.size());
  for (std::size_t i = 0; i < split.size(); ++i) {
    ++result.split_counts[static_cast<std::size_t>(split[i])];
    fit[i] = options.fit_on == FitOn::All || split[i] == Split::Train;
  }
  result.fit_rows = std::count(fit.begin(), fit.end(), char{1});
  mpi::agree(comm, [&] {
    if (result.fit_rows < 2)
      throw Error(strprintf("%s: the statistics need at least 2 %s samples, there are %lld",
                            options.data.c_str(), options.fit_on == FitOn::All ? "" : "training",
                            static_cast<long long>(result.fit_rows)));
  });

  // Each rank: its share of the genes, every fit row.
  const double pass_start = wall_seconds(), pass_cpu_start = cpu_seconds();
  BlockStatistics block;
  mpi::agree(comm, [&] { block = block_statistics(info, fit, comm); });
  result.pass_seconds = comm.max(wall_seconds() - pass_start);
  result.pass_cpu_seconds = comm.sum(cpu_seconds() - pass_cpu_start);
  result.bytes_read = comm.sum(block.bytes_read);
  result.whole_chunks = block.whole_chunks;
  fault::point("prepare", "statistics");

  // Shares are contiguous and in rank order, so the concatenation is in gene order.
  const auto variances = comm.allgatherv<double>(block.variances);
  const auto minimum = comm.allgatherv<float>(block.minimum);
  const auto maximum = comm.allgatherv<float>(block.maximum);
  if (static_cast<std::int64_t>(variances.size()) != info.genes)
    throw Error("prepare: the ranks' gene shares do not add up to the genes");

  const GeneSelection selection = options.top_genes > 0
                                      ? select_top_genes(variances, options.top_genes)
                                      : select_by_quantile(variances, options.quantile);
  std::vector<float> selected_min, selected_max;
  for (auto g : selection.genes) {
    selected_min.push_back(minimum[static_cast<std::size_t>(g)]);
    selected_max.push_back(maximum[static_cast<std::size_t>(g)]);
  }
  result.selected = static_cast<std::int64_t>(selection.genes.size());
  result.threshold = selection.threshold;

  const double write_start = wall_seconds();
  mpi::agree(comm, [&] {
    if (comm.is_root())
      store_atomically(options.data, options,
                       {split, variances, selection, selected_min, selected_max, result.fit_rows});
  });
  result.write_seconds = wall_seconds() - write_start;
  result.total_seconds = wall_seconds() - start;
  return result;
}

}  // namespace pancan
