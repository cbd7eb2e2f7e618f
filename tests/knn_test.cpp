// k-NN against scikit-learn's brute-force KNeighborsClassifier (tests/data/knn/, made by
// make_references.py there): the same neighbours in the same order with the same
// distances, scikit-learn's predictions wherever the vote is not tied, and pancan's
// documented tie rule where it is.
#include "pancan/knn.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

namespace pancan {
namespace {

const std::string kData = std::string(PANCAN_TEST_DATA) + "/knn/";
constexpr int kClasses = 5;

struct Rows {
  std::int64_t rows = 0, cols = 0;
  std::vector<float> values;
  std::vector<std::int32_t> labels;
};

Rows read_rows(const std::string& name) {
  std::ifstream in(kData + name);
  EXPECT_TRUE(in) << name;
  Rows r;
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream cells(line);
    std::string cell;
    std::getline(cells, cell, ',');
    r.labels.push_back(std::stoi(cell));
    std::int64_t cols = 0;
    while (std::getline(cells, cell, ',')) {
      r.values.push_back(std::strtof(cell.c_str(), nullptr));
      ++cols;
    }
    r.cols = cols;
    ++r.rows;
  }
  return r;
}

struct Reference {
  std::vector<std::vector<std::int64_t>> indices;
  std::vector<std::vector<double>> distances;
};

Reference read_neighbours(const std::string& metric) {
  std::ifstream in(kData + "neighbours_" + metric + ".csv");
  EXPECT_TRUE(in);
  Reference ref;
  std::string line;
  while (std::getline(in, line)) {
    const auto semicolon = line.find(';');
    std::stringstream a(line.substr(0, semicolon)), b(line.substr(semicolon + 1));
    std::string cell;
    ref.indices.emplace_back();
    ref.distances.emplace_back();
    while (std::getline(a, cell, ',')) ref.indices.back().push_back(std::stoll(cell));
    while (std::getline(b, cell, ','))
      ref.distances.back().push_back(std::strtod(cell.c_str(), nullptr));
  }
  return ref;
}

struct Prediction {
  int query, k, sklearn, pancan, tie;
};
std::vector<Prediction> read_predictions(const std::string& metric) {
  std::ifstream in(kData + "predictions_" + metric + ".csv");
  EXPECT_TRUE(in);
  std::vector<Prediction> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    Prediction p{};
    EXPECT_EQ(
        std::sscanf(line.c_str(), "%d,%d,%d,%d,%d", &p.query, &p.k, &p.sklearn, &p.pancan, &p.tie),
        5);
    out.push_back(p);
  }
  return out;
}

// The reference rows cut into `parts` shards, searched separately and merged: what the
// ranks and the root do, without MPI.
Neighbours sharded_search(const Rows& ref, const Rows& queries, Distance distance, int k,
                          int parts) {
  std::vector<Neighbours> lists;
  for (int p = 0; p < parts; ++p) {
    const auto range = mpi::block_range(ref.rows, parts, p);
    std::vector<float> values(ref.values.begin() + range.begin * ref.cols,
                              ref.values.begin() + range.end * ref.cols);
    std::vector<std::int32_t> labels(ref.labels.begin() + range.begin,
                                     ref.labels.begin() + range.end);
    const auto shard = make_knn_shard(values, labels, ref.cols, range.begin, distance);
    lists.push_back(local_neighbours(shard, queries.values, queries.rows, k));
  }
  return merge_neighbours(lists, k);
}

class KnnReference : public ::testing::TestWithParam<std::string> {};

TEST_P(KnnReference, NeighboursAndPredictionsMatchScikitLearn) {
  const std::string metric = GetParam();
  const auto distance = parse_distance(metric);
  const auto ref = read_rows("reference.csv");
  const auto queries = read_rows("queries.csv");
  const auto expected = read_neighbours(metric);
  ASSERT_EQ(ref.rows, 300);
  ASSERT_EQ(static_cast<std::int64_t>(expected.indices.size()), queries.rows);
  const int k = 10;
  for (int parts : {1, 3, 7}) {
    const auto found = sharded_search(ref, queries, distance, k, parts);
    for (std::int64_t q = 0; q < queries.rows; ++q)
      for (int j = 0; j < k; ++j) {
        const auto at = static_cast<std::size_t>(q * k + j);
        ASSERT_EQ(found.indices[at], expected.indices[static_cast<std::size_t>(q)][j])
            << metric << " query " << q << " neighbour " << j << " with " << parts << " shards";
        EXPECT_NEAR(found.distances[at], expected.distances[static_cast<std::size_t>(q)][j], 1e-12)
            << metric << " query " << q;
        EXPECT_EQ(found.labels[at], ref.labels[static_cast<std::size_t>(found.indices[at])]);
      }
    int ties = 0, sklearn_agrees = 0;
    for (const auto& p : read_predictions(metric)) {
      const auto at = static_cast<std::size_t>(p.query * k);
      const auto predicted = vote(
          std::span<const double>(found.distances).subspan(at, static_cast<std::size_t>(p.k)),
          std::span<const std::int32_t>(found.labels).subspan(at, static_cast<std::size_t>(p.k)),
          p.k, kClasses);
      EXPECT_EQ(predicted, p.pancan) << metric << " query " << p.query << " k " << p.k;
      if (!p.tie) {
        EXPECT_EQ(predicted, p.sklearn) << metric << " query " << p.query << " k " << p.k;
      }
      ties += p.tie;
      sklearn_agrees += p.tie && predicted == p.sklearn;
    }
    // The fixture must exercise the tie rule, including ties it decides unlike sklearn.
    EXPECT_GT(ties, 20);
    EXPECT_LT(sklearn_agrees, ties);
  }
}

INSTANTIATE_TEST_SUITE_P(Metrics, KnnReference, ::testing::Values("euclidean", "cosine"));

TEST(Knn, ExactDistances) {
  const std::vector<float> a = {1, 2, 2}, b = {0, 0, 0}, c = {2, 4, 4};
  EXPECT_DOUBLE_EQ(exact_distance(a, b, Distance::Euclidean), 3.0);
  EXPECT_DOUBLE_EQ(exact_distance(a, c, Distance::Cosine), 0.0);
  // A zero vector is at cosine distance 1 from everything (scikit-learn's convention).
  EXPECT_DOUBLE_EQ(exact_distance(a, b, Distance::Cosine), 1.0);
  EXPECT_DOUBLE_EQ(exact_distance(b, b, Distance::Cosine), 1.0);
}

TEST(Knn, EqualDistancesGoToTheLowerIndexAndVoteTiesToTheCloserClass) {
  // Four reference points on a line, the query at 0: distances 1, 1, 2, 2.
  const std::vector<float> ref = {1, -1, 2, -2};
  const std::vector<std::int32_t> labels = {1, 0, 0, 1};
  for (int parts : {1, 2, 4}) {
    std::vector<Neighbours> lists;
    for (int p = 0; p < parts; ++p) {
      const auto r = mpi::block_range(4, parts, p);
      lists.push_back(
          local_neighbours(make_knn_shard({ref.begin() + r.begin, ref.begin() + r.end},
                                          {labels.begin() + r.begin, labels.begin() + r.end}, 1,
                                          r.begin, Distance::Euclidean),
                           std::vector<float>{0}, 1, 4));
    }
    const auto n = merge_neighbours(lists, 4);
    EXPECT_EQ(n.indices, (std::vector<std::int64_t>{0, 1, 2, 3}));
    // k = 2: one vote each at equal sums -> the lower class index (0).
    EXPECT_EQ(vote_all(n, 2, 2)[0], 0);
    // k = 4: two votes each, sums 1+2 for both -> class 0 again.
    EXPECT_EQ(vote_all(n, 4, 2)[0], 0);
  }
  // Two votes each, but class 1's neighbours are closer: class 1 wins the tie.
  const std::vector<double> d = {1, 1.5, 2, 3};
  const std::vector<std::int32_t> l = {0, 1, 1, 0};
  EXPECT_EQ(vote(d, l, 4, 2), 1);
  EXPECT_EQ(vote(d, l, 1, 2), 0);
  EXPECT_EQ(vote(d, l, 3, 2), 1);
}

// Rows far from the origin and nearly tied, with exact duplicates: the float product
// (taken about the shard's mean) only preselects; the order must be that of the exact
// distances, ties by index, for any sharding and for k past the small-k selection.
TEST(Knn, NearTiesFarFromTheOriginAreRankedByTheExactDistance) {
  const std::int64_t d = 700, n = 90, q = 4;  // 700 = 43 x 16 + 12: lanes and remainder
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::normal_distribution<double> normal;
  auto random_rows = [&](std::int64_t rows) {  // about (100, ..., 100)
    std::vector<float> out;
    for (std::int64_t i = 0; i < rows * d; ++i) out.push_back(100.0f + unit(rng));
    return out;
  };
  auto ref = random_rows(n);
  auto queries = random_rows(q);
  for (std::int64_t r : {10, 66, 88})  // duplicates of row 3, on different shards
    std::copy_n(ref.begin() + 3 * d, d, ref.begin() + r * d);
  std::copy_n(ref.begin() + 3 * d, d, queries.begin());  // query 0 sits on row 3
  // Rows 20-59 lie on a sphere of radius 0.5 about query 1: their distances from it differ
  // only by the rounding of their elements, far below the float product's resolution.
  for (std::int64_t r = 20; r < 60; ++r) {
    std::vector<double> v(static_cast<std::size_t>(d));
    double norm = 0;
    for (auto& x : v) {
      x = normal(rng);
      norm += x * x;
    }
    for (std::int64_t c = 0; c < d; ++c)
      ref[static_cast<std::size_t>(r * d + c)] =
          static_cast<float>(queries[static_cast<std::size_t>(d + c)] +
                             0.5 * v[static_cast<std::size_t>(c)] / std::sqrt(norm));
  }
  std::vector<std::int32_t> labels(static_cast<std::size_t>(n));
  for (std::int64_t r = 0; r < n; ++r)
    labels[static_cast<std::size_t>(r)] = static_cast<std::int32_t>(r % 3);
  for (int k : {7, 20}) {
    for (int parts : {1, 2, 3}) {
      std::vector<Neighbours> lists;
      for (int p = 0; p < parts; ++p) {
        const auto range = mpi::block_range(n, parts, p);
        lists.push_back(local_neighbours(
            make_knn_shard({ref.begin() + range.begin * d, ref.begin() + range.end * d},
                           {labels.begin() + range.begin, labels.begin() + range.end}, d,
                           range.begin, Distance::Euclidean),
            queries, q, k));
      }
      const auto found = merge_neighbours(lists, k);
      for (std::int64_t i = 0; i < q; ++i) {
        const std::span<const float> query(queries.data() + i * d, static_cast<std::size_t>(d));
        std::vector<std::pair<double, std::int64_t>> all;
        for (std::int64_t r = 0; r < n; ++r)
          all.emplace_back(
              exact_distance(
                  query, std::span<const float>(ref.data() + r * d, static_cast<std::size_t>(d)),
                  Distance::Euclidean),
              r);
        std::sort(all.begin(), all.end());
        for (int j = 0; j < k; ++j) {
          const auto at = static_cast<std::size_t>(i * k + j);
          EXPECT_EQ(found.indices[at], all[static_cast<std::size_t>(j)].second)
              << "k " << k << ", parts " << parts << ", query " << i << ", neighbour " << j;
          EXPECT_EQ(found.distances[at], all[static_cast<std::size_t>(j)].first);
        }
      }
      // Query 0 equals rows 3, 10, 66 and 88: distance 0, in index order.
      EXPECT_EQ(std::vector<std::int64_t>(found.indices.begin(), found.indices.begin() + 4),
                (std::vector<std::int64_t>{3, 10, 66, 88}));
    }
  }
}

TEST(Knn, FewerReferenceRowsThanK) {
  const auto shard = make_knn_shard({0, 1}, {1, 0}, 1, 0, Distance::Euclidean);
  const auto n = local_neighbours(shard, std::vector<float>{0.2f}, 1, 3);
  EXPECT_EQ(n.indices[0], 0);
  EXPECT_EQ(n.indices[1], 1);
  EXPECT_EQ(n.indices[2], kNoNeighbour);
  EXPECT_TRUE(std::isinf(n.distances[2]));
  EXPECT_EQ(vote_all(n, 3, 2)[0], 1);  // one vote each; class 1 (at 0.2) is closer
}

TEST(Knn, ResultJsonRoundTrip) {
  KnnResult r;
  r.options.k = {1, 3};
  r.options.distance = Distance::Cosine;
  r.validation_accuracy = {0.5, 0.75};
  r.chosen_k = 3;
  r.reference_rows = 10;
  r.validation_rows = 4;
  r.test_rows = 2;
  r.validation_predicted = {0, 1, 1, 0};
  r.test_predicted = {1, 0};
  const std::vector<std::string> classes = {"A", "B"};
  const auto back = knn_result_from_json(knn_result_json(r, classes), classes);
  EXPECT_EQ(back.options.k, r.options.k);
  EXPECT_EQ(back.options.distance, Distance::Cosine);
  EXPECT_EQ(back.validation_accuracy, r.validation_accuracy);
  EXPECT_EQ(back.chosen_k, 3);
  EXPECT_EQ(back.test_predicted, r.test_predicted);
  const auto m = describe_knn(back, "knn", "knn.json");
  EXPECT_EQ(m.kind, "knn");
  EXPECT_DOUBLE_EQ(m.validation_accuracy, 0.75);
  EXPECT_EQ(m.predicted, r.test_predicted);
}

}  // namespace
}  // namespace pancan
