// Parallel writing of /X: every rank writes its own rows (the way convert does) and the
// file holds the same values whatever the number of ranks.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "pancan/dataset.hpp"

namespace pancan {
namespace {

// One file name for all ranks (rank 0's pid), in the system temp directory.
std::string shared_path(const mpi::Comm& comm, const std::string& stem) {
  const long pid = comm.broadcast<std::int64_t>(static_cast<std::int64_t>(::getpid()));
  return "/tmp/pancan-convert-test-" + std::to_string(pid) + "-" + stem + ".h5ad";
}

float value_at(std::int64_t row, std::int64_t col) { return static_cast<float>(row * 7 - col) / 4; }

TEST(MatrixWriter, RanksWriteTheirOwnRows) {
  const auto world = mpi::Comm::world();
  for (int compression : {0, 3}) {
    const auto path = shared_path(world, "rows" + std::to_string(compression));
    DatasetInfo info;
    info.samples = 150;  // 3 row chunks, split over ranks unaligned to them
    info.genes = 1500;
    for (int i = 0; i < info.samples; ++i) info.sample_ids.push_back("s" + std::to_string(i));
    for (int j = 0; j < info.genes; ++j) info.gene_ids.push_back("g" + std::to_string(j));
    info.label_column = "Class";
    info.classes = {"a", "b"};
    info.labels.assign(static_cast<std::size_t>(info.samples), 1);
    info.path = path;
    mpi::agree(world, [&] {
      if (world.is_root()) create_dataset_file(path, info, {compression, {}});
    });

    const auto rows = mpi::block_range(info.samples, world.size(), world.rank());
    std::vector<float> mine;
    for (auto i = rows.begin; i < rows.end; ++i)
      for (std::int64_t j = 0; j < info.genes; ++j) mine.push_back(value_at(i, j));
    MatrixWriter writer(path, world);
    writer.write_block(rows, {0, info.genes}, mine);
    writer.close();
    world.barrier();

    // Every rank reads a block that straddles other ranks' rows.
    h5::File file = h5::File::open(path, h5::Mode::ReadOnly);
    const h5::DataSet x = file.root().open_dataset("X");
    const mpi::Range read_rows{10, 140}, read_cols{1000, 1100};
    std::vector<float> block(static_cast<std::size_t>(read_rows.size() * read_cols.size()));
    read_block(x, read_rows, read_cols, block);
    for (std::int64_t i = 0; i < read_rows.size(); ++i)
      for (std::int64_t j = 0; j < read_cols.size(); ++j)
        ASSERT_EQ(block[static_cast<std::size_t>(i * read_cols.size() + j)],
                  value_at(read_rows.begin + i, read_cols.begin + j));
    world.barrier();
    if (world.is_root()) std::remove(path.c_str());
  }
}

}  // namespace
}  // namespace pancan
