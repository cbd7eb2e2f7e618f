// Reading back what `pancan prepare` stored (obs/split, var/highly_variable,
// /uns/pancan/prepare/{minimum,maximum}) and streaming scaled feature rows from /X.
#include "pancan/features.hpp"

#include <algorithm>

#include "pancan/error.hpp"
#include "pancan/h5.hpp"
#include "pancan/log.hpp"

namespace pancan {

namespace {

// Rows of /X read at once: one HDF5 chunk of rows (dataset.hpp), so a read touches
// whole chunks; with 20531 genes the buffer is 5 MiB whatever the number of samples.
constexpr std::int64_t kReadRows = kMatrixChunkRows;

}  // namespace

Preparation read_preparation(const std::string& path) {
  Preparation prep;
  prep.dataset = read_dataset_info(path);
  const std::string missing =
      path + ": no gene selection or split in the file (run pancan prepare)";
  h5::File file = h5::File::open(path, h5::Mode::ReadOnly);
  h5::Group root = file.root();
  h5::Group obs = root.open_group("obs"), var = root.open_group("var");
  if (!obs.exists("split") || !var.exists("highly_variable") || !root.exists("uns") ||
      !root.open_group("uns").exists("pancan") ||
      !root.open_group("uns").open_group("pancan").exists("prepare"))
    throw Error(missing);
  const auto n = static_cast<std::size_t>(prep.dataset.samples);

  const auto codes = obs.open_group("split").read_vector<std::int8_t>("codes");
  const auto categories = obs.open_group("split").read_strings("categories");
  if (codes.size() != n) throw Error(path + ": /obs/split does not have one code per sample");
  // Codes are interpreted through the stored categories, so a file whose categories were
  // reordered (e.g. by pandas) still reads right.
  std::vector<Split> by_code;
  for (const auto& name : categories) {
    auto it = std::find_if(std::begin(kSplitNames), std::end(kSplitNames),
                           [&](const char* s) { return name == s; });
    if (it == std::end(kSplitNames))
      throw Error(path + ": /obs/split has unknown category " + name);
    by_code.push_back(static_cast<Split>(it - std::begin(kSplitNames)));
  }
  prep.split.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (codes[i] < 0 || static_cast<std::size_t>(codes[i]) >= by_code.size())
      throw Error(path + ": sample " + prep.dataset.sample_ids[i] + " has no split");
    prep.split.push_back(by_code[static_cast<std::size_t>(codes[i])]);
  }

  const auto highly_variable = var.read_bools("highly_variable");
  if (static_cast<std::int64_t>(highly_variable.size()) != prep.dataset.genes)
    throw Error(path + ": /var/highly_variable does not have one value per gene");
  for (std::size_t g = 0; g < highly_variable.size(); ++g)
    if (highly_variable[g]) {
      prep.selected.push_back(static_cast<std::int64_t>(g));
      prep.genes.push_back(prep.dataset.gene_ids[g]);
    }

  h5::Group stored = root.open_group("uns").open_group("pancan").open_group("prepare");
  prep.minimum = stored.read_vector<float>("minimum");
  prep.maximum = stored.read_vector<float>("maximum");
  if (prep.minimum.size() != prep.selected.size() || prep.maximum.size() != prep.selected.size())
    throw Error(strprintf("%s: %zu genes are selected but min-max statistics stored for %zu/%zu",
                          path.c_str(), prep.selected.size(), prep.minimum.size(),
                          prep.maximum.size()));
  if (prep.selected.empty()) throw Error(path + ": the stored selection holds no gene");
  return prep;
}

std::vector<std::int64_t> split_rows(const Preparation& prep, Split which) {
  std::vector<std::int64_t> rows;
  for (std::size_t i = 0; i < prep.split.size(); ++i)
    if (prep.split[i] == which) rows.push_back(static_cast<std::int64_t>(i));
  return rows;
}

void scale_min_max(std::span<float> values, std::span<const float> minimum,
                   std::span<const float> maximum) {
  const std::size_t cols = minimum.size();
  if (maximum.size() != cols) throw Error("scale_min_max: minimum and maximum differ in length");
  if (cols == 0) return;
  if (values.size() % cols != 0)
    throw Error(
        strprintf("scale_min_max: %zu values are not rows of %zu columns", values.size(), cols));
  // A constant column (range 0) maps to 0, not to NaN: divide by 1 and multiply by 0.
  std::vector<float> range(cols), keep(cols);
  for (std::size_t c = 0; c < cols; ++c) {
    const float r = maximum[c] - minimum[c];
    range[c] = r > 0.0f ? r : 1.0f;
    keep[c] = r > 0.0f ? 1.0f : 0.0f;
  }
  for (std::size_t at = 0; at < values.size(); at += cols) {
    float* row = values.data() + at;
    for (std::size_t c = 0; c < cols; ++c) row[c] = (row[c] - minimum[c]) / range[c] * keep[c];
  }
}

void stream_features(const Preparation& prep, std::span<const std::int64_t> rows,
                     std::int64_t max_rows,
                     const std::function<void(const FeatureBlock&, std::int64_t)>& consume) {
  if (max_rows < 1) throw Error("stream_features: max_rows must be positive");
  const std::int64_t samples = prep.dataset.samples;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i] < 0 || rows[i] >= samples || (i > 0 && rows[i] <= rows[i - 1]))
      throw Error(strprintf("reading features: row %lld is out of range or not ascending",
                            static_cast<long long>(rows[i])));
  if (rows.empty()) return;
  h5::File file = h5::File::open(prep.dataset.path, h5::Mode::ReadOnly);
  const h5::DataSet x = file.root().open_dataset("X");
  const auto cols = static_cast<std::int64_t>(prep.selected.size());
  // Only the columns from the first to the last selected gene are read.
  const mpi::Range span_cols{prep.selected.front(), prep.selected.back() + 1};
  // A file from pancan convert stores /X in uncompressed chunks of kReadRows rows: then
  // each chunk holding selected genes is read as stored (H5Dread_chunk: one read into
  // `buffer`, no chunk cache, no selection copy) and its genes picked from it, as prepare
  // reads; other layouts go through hyperslabs of the same rows, with the same values.
  const auto chunk = x.chunk_dims();
  const bool whole_chunks = chunk.size() == 2 && chunk[0] == kReadRows && x.raw_chunks_are<float>();
  struct Piece {          // the selected genes [first, end) (positions in prep.selected) of a chunk
    std::int64_t column;  // the chunk's first column
    std::int64_t first, end;
  };
  std::vector<Piece> pieces;
  if (whole_chunks)
    for (std::int64_t c = 0; c < cols;) {
      const std::int64_t column = prep.selected[static_cast<std::size_t>(c)] / chunk[1] * chunk[1];
      std::int64_t end = c;
      while (end < cols && prep.selected[static_cast<std::size_t>(end)] < column + chunk[1]) ++end;
      pieces.push_back({column, c, end});
      c = end;
    }
  std::vector<float> buffer;
  FeatureBlock block;
  block.cols = cols;
  std::size_t next = 0;
  while (next < rows.size()) {
    const std::size_t first = next;
    const std::size_t end = std::min(rows.size(), first + static_cast<std::size_t>(max_rows));
    block.rows = static_cast<std::int64_t>(end - first);
    block.values.resize(static_cast<std::size_t>(block.rows * cols));
    block.labels.resize(static_cast<std::size_t>(block.rows));
    // Fill the block from spans of rows within one chunk of rows of the file: a span that
    // straddled two would read both chunks' columns partly, and with the chunk cache far
    // smaller than a row of chunks every chunk would be read from the file twice (a rank
    // whose first row is not a multiple of kReadRows read twice the bytes).
    for (std::size_t k = first; k < end;) {
      const std::int64_t r0 = rows[k];
      std::size_t stop = k;
      while (stop < end && rows[stop] / kReadRows == r0 / kReadRows) ++stop;
      if (whole_chunks) {
        const std::int64_t base = r0 / kReadRows * kReadRows;
        buffer.resize(static_cast<std::size_t>(chunk[0] * chunk[1]));
        for (const auto& piece : pieces) {
          x.read_chunk(std::vector<std::int64_t>{base, piece.column}, std::span<float>(buffer));
          for (std::size_t t = k; t < stop; ++t) {
            const float* source = buffer.data() + (rows[t] - base) * chunk[1];
            float* target = block.values.data() + (t - first) * static_cast<std::size_t>(cols);
            for (std::int64_t c = piece.first; c < piece.end; ++c)
              target[c] = source[prep.selected[static_cast<std::size_t>(c)] - piece.column];
          }
        }
        for (std::size_t t = k; t < stop; ++t)
          block.labels[t - first] = prep.dataset.labels[static_cast<std::size_t>(rows[t])];
        k = stop;
        continue;
      }
      const mpi::Range span_rows{r0, rows[stop - 1] + 1};
      buffer.resize(static_cast<std::size_t>(span_rows.size() * span_cols.size()));
      x.read(std::span<float>(buffer), {span_rows.begin, span_cols.begin},
             {span_rows.size(), span_cols.size()});
      for (std::size_t t = k; t < stop; ++t) {
        const float* source = buffer.data() + (rows[t] - r0) * span_cols.size() - span_cols.begin;
        float* target = block.values.data() + (t - first) * static_cast<std::size_t>(cols);
        for (std::int64_t c = 0; c < cols; ++c) target[c] = source[prep.selected[c]];
        block.labels[t - first] = prep.dataset.labels[static_cast<std::size_t>(rows[t])];
      }
      k = stop;
    }
    scale_min_max(block.values, prep.minimum, prep.maximum);
    consume(block, static_cast<std::int64_t>(first));
    next = end;
  }
}

FeatureBlock read_features(const Preparation& prep, std::span<const std::int64_t> rows) {
  FeatureBlock all;
  all.rows = static_cast<std::int64_t>(rows.size());
  all.cols = static_cast<std::int64_t>(prep.selected.size());
  all.values.resize(static_cast<std::size_t>(all.rows * all.cols));
  all.labels.resize(rows.size());
  stream_features(prep, rows, kReadRows * 16, [&](const FeatureBlock& block, std::int64_t first) {
    std::copy(block.values.begin(), block.values.end(), all.values.begin() + first * all.cols);
    std::copy(block.labels.begin(), block.labels.end(), all.labels.begin() + first);
  });
  return all;
}

std::span<const std::int64_t> rank_share(std::span<const std::int64_t> rows, int parts, int part) {
  const auto range = mpi::block_range(static_cast<std::int64_t>(rows.size()), parts, part);
  return rows.subspan(static_cast<std::size_t>(range.begin),
                      static_cast<std::size_t>(range.size()));
}

}  // namespace pancan
