// Data-parallel training over MPI (DESIGN.md "Data parallelism"):
//   - each rank holds a contiguous shard of the training rows and of the validation rows;
//   - every epoch the training rows are shuffled by CounterRng(seed, {epoch}) over GLOBAL
//     row indices and cut into global batches of B; each batch is split over the ranks in
//     nearly equal contiguous parts; across nodes one all-to-all per epoch brings every rank
//     the rows of its parts, on one node every rank reads the rows in place (its shard, or
//     the owners' shards in MPI shared memory): nothing is copied per epoch;
//   - each rank owns a slice of the parameter buffer (a block of the first layer's kernel
//     rows; the last rank also the later layers) and takes the Adam step for it alone
//     (ZeRO stage 1). Across nodes each rank computes the gradient of its rows, the sums
//     are reduce-scattered (each rank gets the global sum for its slice), each rank
//     updates its slice and the slices are all-gathered: the bytes of one allreduce. On
//     one node the ranks share one parameter buffer in MPI shared memory and, between two
//     barriers a step, each rank publishes the gradient of its rows with respect to the
//     first layer's output (B/P x units, small) and then computes the first kernel's
//     gradient for ITS kernel rows from all the batch's rows, updating each block of rows
//     while it is in cache; the later layers' gradients (a few hundred numbers) are summed
//     in rank order by the last rank. So the largest gradient is never written whole, and
//     its sum over the batch is the same at any rank count;
//   - dropout masks are keyed by (seed, epoch, global row, layer).
// So the trained weights do not depend on the rank count beyond floating-point summation
// order, and every sample is counted exactly once in the epoch's loss and accuracy.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pancan/model.hpp"
#include "pancan/mpi.hpp"

namespace pancan {

// This rank's shard of a split: the rows mpi::block_range(total_rows, P, rank).
struct ShardedData {
  std::int64_t total_rows = 0;  // over all ranks
  std::int64_t first_row = 0;   // global index of this rank's first row
  std::int64_t rows = 0;        // rows held here
  std::int64_t cols = 0;
  std::vector<float> values;         // rows x cols, row-major, already scaled
  std::vector<std::int32_t> labels;  // per row: index into the class names
};

// This rank's shard of a matrix every rank holds whole (tests, small data).
ShardedData take_shard(std::span<const float> values, std::span<const std::int32_t> labels,
                       std::int64_t cols, const mpi::Comm& comm);

// How a run is driven (not recorded in the model).
struct TrainControl {
  std::string checkpoint_path;  // the model file, rewritten at the end of every epoch
  bool resume = false;          // continue from checkpoint_path's checkpoint
  bool report = true;           // rank 0 prints the summary and one line per epoch
  // When all ranks share a node: keep the parameters, gradients and training rows in
  // MPI shared memory (reads in place, barriers) instead of copying collectives. Off =
  // the multi-node path (reduce-scatter + allgather, an all-to-all of rows per epoch).
  bool node_shared_memory = true;
  // Polled on every rank after every step; when it returns true on any rank, all ranks
  // write a checkpoint at that step and return with TrainResult::stopped set.
  std::function<bool()> stop_requested;
};

struct TrainResult {
  Model model;           // identical on every rank
  bool stopped = false;  // stop_requested interrupted the run (a checkpoint was written)
};

// Trains a network with `options` on `train`, validating on `validation` every epoch.
// `about` supplies what the model file records besides the network: genes, minimum,
// maximum, classes (their count sets the output width), data_path. Collective: every
// rank of `comm` calls with its own shards.
TrainResult train(const TrainOptions& options, const ShardedData& train,
                  const ShardedData& validation, const Model& about, const TrainControl& control,
                  const mpi::Comm& comm);

}  // namespace pancan
