// Small dataset files for the prepare and features tests, written through the real
// dataset writer (dataset.hpp) so the tests read what `pancan convert` would produce.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "pancan/dataset.hpp"
#include "pancan/mpi.hpp"
#include "pancan/rng.hpp"

namespace pancan::testing_data {

struct TestMatrix {
  DatasetInfo info;
  std::vector<float> values;  // samples x genes, row-major
};

// Deterministic values with hard cases: gene 3 constant, gene 7 a copy of gene 5 (tied
// variances), gene 9 a large offset with a small spread; other genes have their own
// scale and offset. Labels cycle through three classes of unequal size.
inline TestMatrix make_test_matrix(std::int64_t samples, std::int64_t genes) {
  TestMatrix m;
  m.info.samples = samples;
  m.info.genes = genes;
  for (std::int64_t i = 0; i < samples; ++i) m.info.sample_ids.push_back("s" + std::to_string(i));
  for (std::int64_t g = 0; g < genes; ++g) m.info.gene_ids.push_back("g" + std::to_string(g));
  m.info.label_column = "Class";
  m.info.classes = {"AML", "BALL", "TALL"};
  for (std::int64_t i = 0; i < samples; ++i)
    m.info.labels.push_back(static_cast<std::int32_t>(hash_keys(11, {std::uint64_t(i)}) % 7 % 3));
  m.values.resize(static_cast<std::size_t>(samples * genes));
  for (std::int64_t i = 0; i < samples; ++i)
    for (std::int64_t g = 0; g < genes; ++g) {
      CounterRng rng(5, {std::uint64_t(i), std::uint64_t(g)});
      const double scale =
          0.1 + static_cast<double>(hash_keys(3, {std::uint64_t(g)}) % 1000) / 250.0;
      double v = rng.normal() * scale + static_cast<double>(g % 13);
      if (g == 3) v = 1.5;
      if (g == 9) v = 5000.0 + rng.normal() * 0.01;
      m.values[static_cast<std::size_t>(i * genes + g)] = static_cast<float>(v);
    }
  if (genes > 7)
    for (std::int64_t i = 0; i < samples; ++i)
      m.values[static_cast<std::size_t>(i * genes + 7)] =
          m.values[static_cast<std::size_t>(i * genes + 5)];
  return m;
}

// Writes `m` to `path` (collective over comm: rank 0 writes the metadata, every rank its
// block of rows of /X), with /X gzip-compressed at level `compression` if > 0.
inline void write_test_dataset(const std::string& path, const TestMatrix& m, const mpi::Comm& comm,
                               int compression = 0) {
  mpi::agree(comm, [&] {
    if (comm.is_root()) create_dataset_file(path, m.info, {compression, {}});
  });
  MatrixWriter writer(path, comm);
  const auto rows = mpi::block_range(m.info.samples, comm.size(), comm.rank());
  writer.write_block(rows, {0, m.info.genes},
                     std::span<const float>(m.values).subspan(
                         static_cast<std::size_t>(rows.begin * m.info.genes),
                         static_cast<std::size_t>(rows.size() * m.info.genes)));
  writer.close();
}

// A fresh directory under the system temp dir, the same on every rank, removed by the
// destructor (rank 0).
class ScratchDir {
 public:
  explicit ScratchDir(const mpi::Comm& comm, const std::string& tag) : comm_(comm) {
    std::int64_t id = comm.broadcast<std::int64_t>(static_cast<std::int64_t>(::getpid()));
    path_ = (std::filesystem::temp_directory_path() / ("pancan-" + tag + "-" + std::to_string(id)))
                .string();
    if (comm.is_root()) std::filesystem::create_directories(path_);
    comm.barrier();
  }
  ~ScratchDir() {
    comm_.barrier();
    if (comm_.is_root()) std::filesystem::remove_all(path_);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  mpi::Comm comm_;
  std::string path_;
};

}  // namespace pancan::testing_data
