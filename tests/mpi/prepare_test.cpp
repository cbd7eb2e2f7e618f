// pancan prepare across ranks: the statistics, selection and split are bit-identical to a
// one-rank run whatever the number of ranks, match a direct computation, and errors are
// reported by every rank alike.
#include "pancan/prepare.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../prepare_test_data.hpp"
#include "pancan/features.hpp"
#include "pancan/h5.hpp"
#include "pancan/stats.hpp"

namespace pancan {
namespace {

using testing_data::make_test_matrix;
using testing_data::ScratchDir;
using testing_data::write_test_dataset;

// What prepare stored, read back raw.
struct Stored {
  std::vector<double> variances;
  std::vector<bool> highly_variable;
  std::vector<std::int8_t> split;
  std::vector<float> minimum, maximum;
  double threshold = 0;
};

Stored read_stored(const std::string& path) {
  h5::File file = h5::File::open(path, h5::Mode::ReadOnly);
  h5::Group root = file.root();
  Stored s;
  s.variances = root.open_group("var").read_vector<double>("variances");
  s.highly_variable = root.open_group("var").read_bools("highly_variable");
  s.split = root.open_group("obs").open_group("split").read_vector<std::int8_t>("codes");
  h5::Group p = root.open_group("uns").open_group("pancan").open_group("prepare");
  s.minimum = p.read_vector<float>("minimum");
  s.maximum = p.read_vector<float>("maximum");
  s.threshold = p.read_scalar<double>("threshold");
  return s;
}

// 203 samples x 2100 genes: /X spans 3 HDF5 chunks of genes and 4 of rows (the last
// one partial), so the pass merges 4 row groups and reads edge chunks.
constexpr std::int64_t kSamples = 203, kGenes = 2100;

PrepareOptions options_for(const std::string& path) {
  PrepareOptions options;
  options.data = path;
  options.seed = 99;
  return options;
}

// Prepares the same data at all ranks and at one rank; with `compressed`, the one-rank
// file has gzip-compressed chunks, so it is read by hyperslabs instead of whole chunks.
void expect_same_as_one_rank(PrepareOptions options, const std::string& tag,
                             bool compressed = false) {
  const auto world = mpi::Comm::world();
  ScratchDir dir(world, "prepare-mpi-" + tag);
  const auto matrix = make_test_matrix(kSamples, kGenes);
  const std::string parallel = dir.file("parallel.h5ad"), serial = dir.file("serial.h5ad");
  write_test_dataset(parallel, matrix, world);
  if (compressed)
    write_test_dataset(serial, matrix, world, 4);
  else if (world.is_root())
    std::filesystem::copy_file(parallel, serial);

  options.data = parallel;
  const auto result = prepare(options, world);
  EXPECT_EQ(result.samples, kSamples);
  EXPECT_EQ(result.genes, kGenes);
  if (world.is_root()) {
    options.data = serial;
    const auto one = prepare(options, mpi::Comm::self());
    EXPECT_TRUE(result.whole_chunks);  // convert's layout: uncompressed 64 x 1024 chunks
    EXPECT_EQ(one.whole_chunks, !compressed);
    EXPECT_EQ(one.selected, result.selected);
    EXPECT_EQ(one.threshold, result.threshold);
    const auto a = read_stored(parallel), b = read_stored(serial);
    EXPECT_EQ(a.variances, b.variances);  // bit-identical, not merely close
    EXPECT_EQ(a.highly_variable, b.highly_variable);
    EXPECT_EQ(a.split, b.split);
    EXPECT_EQ(a.minimum, b.minimum);
    EXPECT_EQ(a.maximum, b.maximum);
    EXPECT_EQ(a.threshold, b.threshold);

    // Against a direct computation over the fit rows held in memory (one chunk, so the
    // rounding differs slightly: gene 9, mean 5000 and spread 0.01, differs by 3e-12).
    const auto prep = read_preparation(parallel);
    GeneMoments direct(static_cast<std::size_t>(kGenes));
    std::vector<std::int64_t> fit;
    for (std::int64_t i = 0; i < kSamples; ++i)
      if (options.fit_on == FitOn::All || prep.split[static_cast<std::size_t>(i)] == Split::Train)
        fit.push_back(i);
    EXPECT_EQ(result.fit_rows, static_cast<std::int64_t>(fit.size()));
    accumulate_rows(matrix.values, fit, direct);
    const auto variances = sample_variances(direct);
    for (std::size_t g = 0; g < variances.size(); ++g)
      EXPECT_NEAR(a.variances[g], variances[g], 1e-10 * variances[g]) << "gene " << g;
    EXPECT_EQ(a.variances[3], 0.0);             // the constant gene
    EXPECT_EQ(a.variances[5], a.variances[7]);  // the copied gene
    const auto selection = options.top_genes > 0 ? select_top_genes(variances, options.top_genes)
                                                 : select_by_quantile(variances, options.quantile);
    EXPECT_EQ(prep.selected, selection.genes);
    for (std::size_t k = 0; k < prep.selected.size(); ++k) {
      const auto g = static_cast<std::size_t>(prep.selected[k]);
      EXPECT_EQ(prep.minimum[k], direct.minimum[g]);
      EXPECT_EQ(prep.maximum[k], direct.maximum[g]);
    }
  }
}

TEST(PrepareMpi, TrainFitIsIdenticalAtAnyRankCount) {
  expect_same_as_one_rank(options_for(""), "train");
}

TEST(PrepareMpi, AllRowsTopGenesIsIdenticalAtAnyRankCount) {
  auto options = options_for("");
  options.fit_on = FitOn::All;
  options.top_genes = 150;
  expect_same_as_one_rank(options, "top");
}

TEST(PrepareMpi, CompressedFileReadByHyperslabsGivesTheSameResults) {
  expect_same_as_one_rank(options_for(""), "gzip", true);
}

TEST(PrepareMpi, MoreRanksThanGenesStillWorks) {
  const auto world = mpi::Comm::world();
  ScratchDir dir(world, "prepare-mpi-narrow");
  const auto matrix = make_test_matrix(40, 2);  // 2 genes: ranks 2 and 3 own none
  const auto path = dir.file("narrow.h5ad");
  write_test_dataset(path, matrix, world);
  auto options = options_for(path);
  options.top_genes = 1;
  const auto result = prepare(options, world);
  EXPECT_EQ(result.selected, 1);
}

TEST(PrepareMpi, EveryRankReportsTheSameError) {
  const auto world = mpi::Comm::world();
  ScratchDir dir(world, "prepare-mpi-errors");
  const auto path = dir.file("plain.txt");
  if (world.is_root()) {
    std::ofstream out(path);
    out << "not an HDF5 file\n";
  }
  world.barrier();
  auto options = options_for(path);
  try {
    prepare(options, world);
    ADD_FAILURE() << "prepare accepted a file that is not a dataset";
  } catch (const mpi::CollectiveError& e) {
    EXPECT_NE(std::string(e.what()).find("run pancan convert"), std::string::npos) << e.what();
  }

  const auto data = dir.file("data.h5ad");
  write_test_dataset(data, make_test_matrix(30, 20), world);
  options = options_for(data);
  options.top_genes = 21;
  try {
    prepare(options, world);
    ADD_FAILURE() << "prepare accepted --top-genes larger than the gene count";
  } catch (const mpi::CollectiveError& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("more than the 20 genes"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pancan
