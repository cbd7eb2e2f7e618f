// k-NN at any rank count: the reference rows of the scikit-learn fixture
// (tests/data/knn/) sharded over the ranks give scikit-learn's neighbours exactly (so every
// rank count gives the same ones), in query blocks that do not divide the query count; and
// run_knn on a small prepared synthetic dataset (synth -> convert -> prepare in-process)
// gives the same validation accuracies, chosen k and test predictions as a serial search
// over the same features.
#include "pancan/knn.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pancan/convert.hpp"
#include "pancan/features.hpp"
#include "pancan/prepare.hpp"
#include "pancan/synth.hpp"

namespace pancan {
namespace {

const std::string kData = std::string(PANCAN_TEST_DATA) + "/knn/";

struct Rows {
  std::int64_t rows = 0, cols = 0;
  std::vector<float> values;
  std::vector<std::int32_t> labels;
};

Rows read_rows(const std::string& name) {
  std::ifstream in(kData + name);
  Rows r;
  for (std::string line; std::getline(in, line);) {
    std::stringstream cells(line);
    std::string cell;
    std::getline(cells, cell, ',');
    r.labels.push_back(std::stoi(cell));
    r.cols = 0;
    while (std::getline(cells, cell, ',')) {
      r.values.push_back(std::strtof(cell.c_str(), nullptr));
      ++r.cols;
    }
    ++r.rows;
  }
  return r;
}

std::vector<std::vector<std::int64_t>> read_indices(const std::string& metric) {
  std::ifstream in(kData + "neighbours_" + metric + ".csv");
  std::vector<std::vector<std::int64_t>> out;
  for (std::string line; std::getline(in, line);) {
    std::stringstream cells(line.substr(0, line.find(';')));
    out.emplace_back();
    for (std::string cell; std::getline(cells, cell, ',');) out.back().push_back(std::stoll(cell));
  }
  return out;
}

TEST(KnnMpi, ShardedSearchGivesScikitLearnsNeighbours) {
  const auto comm = mpi::Comm::world();
  const auto ref = read_rows("reference.csv");
  const auto queries = read_rows("queries.csv");
  ASSERT_GT(ref.rows, 0);
  for (const std::string metric : {"euclidean", "cosine"}) {
    const auto range = mpi::block_range(ref.rows, comm.size(), comm.rank());
    const auto shard = make_knn_shard(
        {ref.values.begin() + range.begin * ref.cols, ref.values.begin() + range.end * ref.cols},
        {ref.labels.begin() + range.begin, ref.labels.begin() + range.end}, ref.cols, range.begin,
        parse_distance(metric));
    const int k = 10;
    const auto found = nearest_neighbours(shard, queries.values, queries.rows, k, 37, comm);
    const auto expected = read_indices(metric);
    ASSERT_EQ(static_cast<std::int64_t>(expected.size()), queries.rows);
    for (std::int64_t q = 0; q < queries.rows; ++q)
      for (int j = 0; j < k; ++j)
        ASSERT_EQ(found.indices[static_cast<std::size_t>(q * k + j)],
                  expected[static_cast<std::size_t>(q)][static_cast<std::size_t>(j)])
            << metric << " query " << q << " at " << comm.size() << " ranks";
  }
}

TEST(KnnMpi, RunKnnOnAPreparedDatasetIsRankInvariant) {
  const auto world = mpi::Comm::world();
  std::string dir;
  if (world.is_root()) {
    char name[] = "/tmp/pancan_knn_test_XXXXXX";
    dir = mkdtemp(name);
  }
  world.broadcast(dir);
  SynthOptions synth;
  synth.samples = 120;
  synth.genes = 300;
  synth.seed = 5;
  synth.out_dir = dir;
  synth.progress = false;
  write_synthetic_dataset(synth, world);
  ConvertOptions convert_options;
  convert_options.expression = dir + "/expression.csv";
  convert_options.labels = dir + "/labels.csv";
  convert_options.out = dir + "/dataset.h5";
  convert(convert_options, world);
  PrepareOptions prepare_options;
  prepare_options.data = convert_options.out;
  prepare(prepare_options, world);
  const auto prep = read_preparation(convert_options.out);
  const auto train = split_rows(prep, Split::Train);
  const auto validation = split_rows(prep, Split::Validation);
  const auto test = split_rows(prep, Split::Test);
  KnnOptions options;
  options.k = {1, 2, 3, 5};
  options.block = 11;
  const auto result = run_knn(options, prep, train, validation, test, world);

  // The same search serially, on one rank's whole copy of the features.
  const auto self = mpi::Comm::self();
  const auto ref = read_features(prep, train);
  const auto shard = make_knn_shard(ref.values, ref.labels, ref.cols, 0, options.distance);
  const int classes = static_cast<int>(prep.dataset.classes.size());
  const auto val = read_features(prep, validation);
  const auto val_neighbours = nearest_neighbours(shard, val.values, val.rows, 5, 1000, self);
  int best_k = 0;
  double best = -1;
  for (std::size_t i = 0; i < options.k.size(); ++i) {
    const auto predicted = vote_all(val_neighbours, options.k[i], classes);
    std::int64_t correct = 0;
    for (std::size_t r = 0; r < predicted.size(); ++r) correct += predicted[r] == val.labels[r];
    const double accuracy = static_cast<double>(correct) / static_cast<double>(val.rows);
    EXPECT_DOUBLE_EQ(result.validation_accuracy[i], accuracy) << "k " << options.k[i];
    if (accuracy > best) {
      best = accuracy;
      best_k = options.k[i];
    }
  }
  EXPECT_EQ(result.chosen_k, best_k);
  const auto tst = read_features(prep, test);
  const auto test_neighbours = nearest_neighbours(shard, tst.values, tst.rows, best_k, 1000, self);
  EXPECT_EQ(result.test_predicted, vote_all(test_neighbours, best_k, classes));
  EXPECT_EQ(static_cast<std::int64_t>(result.test_predicted.size()), result.test_rows);
  // Synthetic classes are well separated: k-NN must actually classify.
  std::int64_t correct = 0;
  for (std::size_t r = 0; r < tst.labels.size(); ++r)
    correct += result.test_predicted[r] == tst.labels[r];
  EXPECT_GT(static_cast<double>(correct) / static_cast<double>(tst.rows), 0.8);
  world.barrier();
  if (world.is_root()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pancan
