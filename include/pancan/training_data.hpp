// What a training stage reads from a prepared dataset: each rank's scaled shard of a split,
// and the model metadata (genes, scaling, classes) that goes into the model file. Shared by
// `pancan train` and `pancan run`, so both train on exactly the same shards.
#pragma once

#include <string>

#include "pancan/features.hpp"
#include "pancan/model.hpp"
#include "pancan/mpi.hpp"
#include "pancan/train.hpp"

namespace pancan {

// This rank's block of a split's rows, scaled (rank_share of split_rows).
ShardedData read_shard(const Preparation& prep, Split which, const mpi::Comm& comm);

// The same for any ascending list of dataset rows (a cross-validation fold).
ShardedData read_shard(const Preparation& prep, const std::vector<std::int64_t>& rows,
                       const mpi::Comm& comm);

// A Model holding only the preparation's genes, min/max, class names and the data path;
// train() fills in architecture and weights.
Model model_metadata(const Preparation& prep, const std::string& data_path);

}  // namespace pancan
