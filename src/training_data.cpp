// Training shards and model metadata from a prepared dataset.
#include "pancan/training_data.hpp"

namespace pancan {

ShardedData read_shard(const Preparation& prep, Split which, const mpi::Comm& comm) {
  return read_shard(prep, split_rows(prep, which), comm);
}

ShardedData read_shard(const Preparation& prep, const std::vector<std::int64_t>& rows,
                       const mpi::Comm& comm) {
  auto block = read_features(prep, rank_share(rows, comm.size(), comm.rank()));
  ShardedData shard;
  shard.total_rows = static_cast<std::int64_t>(rows.size());
  shard.first_row = mpi::block_range(shard.total_rows, comm.size(), comm.rank()).begin;
  shard.rows = block.rows;
  shard.cols = static_cast<std::int64_t>(prep.selected.size());
  shard.values = std::move(block.values);
  shard.labels = std::move(block.labels);
  return shard;
}

Model model_metadata(const Preparation& prep, const std::string& data_path) {
  Model about;
  about.genes = prep.genes;
  about.minimum = prep.minimum;
  about.maximum = prep.maximum;
  about.classes = prep.dataset.classes;
  about.data_path = data_path;
  return about;
}

}  // namespace pancan
