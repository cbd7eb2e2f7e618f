// What `pancan prepare` decided (split, selected genes, min-max statistics), read back
// from the dataset file, and the reader that streams scaled feature rows to the train,
// evaluate and predict stages.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "pancan/dataset.hpp"
#include "pancan/split.hpp"

namespace pancan {

struct Preparation {
  DatasetInfo dataset;
  std::vector<Split> split;            // per sample (obs/split)
  std::vector<std::int64_t> selected;  // /X column of each selected gene, ascending
  std::vector<std::string> genes;      // ids of the selected genes
  std::vector<float> minimum;          // per selected gene, over the fit rows
  std::vector<float> maximum;
};

// Reads the preparation stored by `pancan prepare`; an Error that says to run
// `pancan prepare` when the file has none.
Preparation read_preparation(const std::string& path);

// The sample indices of one split, ascending.
std::vector<std::int64_t> split_rows(const Preparation& prep, Split which);

// x' = (x - min) / (max - min) per column, in place; a constant column maps to 0; no
// clipping. `values` is row-major with minimum.size() columns.
void scale_min_max(std::span<float> values, std::span<const float> minimum,
                   std::span<const float> maximum);

// Scaled selected genes for `rows` (ascending sample indices): row-major,
// rows.size() x prep.selected.size(), plus each row's label. Reads in bounded chunks.
struct FeatureBlock {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<float> values;
  std::vector<std::int32_t> labels;
};
FeatureBlock read_features(const Preparation& prep, std::span<const std::int64_t> rows);

// The same rows delivered in consecutive blocks of at most `max_rows` rows, so a caller
// that only needs one block at a time (evaluation, prediction) holds no more than that.
// `consume(block, first)`: `block` holds rows[first .. first + block.rows).
void stream_features(const Preparation& prep, std::span<const std::int64_t> rows,
                     std::int64_t max_rows,
                     const std::function<void(const FeatureBlock&, std::int64_t)>& consume);

// This rank's contiguous share of `rows` (mpi::block_range over its positions): `parts`
// ranks together cover every row once, in order.
std::span<const std::int64_t> rank_share(std::span<const std::int64_t> rows, int parts, int part);

}  // namespace pancan
