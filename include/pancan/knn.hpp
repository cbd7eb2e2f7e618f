// k-nearest-neighbour classification over MPI, the baseline the networks must beat.
//
// The reference (training) rows are sharded over the ranks; the queries are known to every
// rank. For each block of B queries every rank computes the distances to its n reference
// rows with one matrix product (D = ||q||^2 - 2 Q X^T + ||x||^2 in float, about the
// rows' mean for euclidean), keeps its k nearest, and the root merges the P lists of k.
// Because a float product is not exact, every row whose product distance could still be
// among the k nearest (within a rigorous error bound of the k-th) is measured again
// exactly, in double, in a fixed order; ranking uses those values only. So the neighbours
// do not depend on the rank count or the product's blocking, and they are scikit-learn's
// (brute force, float64) wherever the data have no distance ties closer than rounding.
//
// Rules (pinned by tests/knn_test.cpp and tests/data/knn/):
//   - neighbours are ordered by distance, equal distances by lower reference index;
//   - the predicted class is the most frequent class among the k nearest; a tie between
//     classes goes to the tied class whose neighbours have the smaller sum of distances
//     (the closer group), then to the lower class index. scikit-learn's uniform vote picks
//     the lowest class index among tied classes, so the two agree except on vote ties;
//   - k is chosen from a list by accuracy on the validation rows, ties to the smaller k.
//
// Shapes: Q = queries, B = query block, n = reference rows on this rank, d = features,
// k = neighbours.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "pancan/mpi.hpp"
#include "pancan/report.hpp"

namespace pancan {

struct Preparation;

enum class Distance { Euclidean, Cosine };
Distance parse_distance(const std::string& name);  // "euclidean" | "cosine"; UsageError else
const char* distance_name(Distance distance);

// Euclidean: sqrt(sum (q_j - x_j)^2). Cosine: 1 - q.x / (|q| |x|), and 1 when either
// vector is zero (as scikit-learn's cosine_distances). Computed in double in a fixed order
// (16 interleaved partial sums): the exact re-check every ranking relies on.
double exact_distance(std::span<const float> q, std::span<const float> x, Distance distance);

// This rank's reference rows, ready for the distance product.
struct KnnShard {
  Distance distance = Distance::Euclidean;
  std::int64_t first_row = 0;  // global index of row 0 (neighbour indices are global)
  std::int64_t rows = 0, cols = 0;
  std::vector<float> values;          // rows x cols, as given (for the exact re-check)
  std::vector<float> center;          // euclidean: the rows' mean (the product is centred)
  std::vector<float> product_rows;    // the rows minus center (euclidean) or unit (cosine)
  std::vector<double> squared_norms;  // per row, of the rows the product uses
  std::vector<double> norms;          // their square roots (for the error bound)
  std::vector<std::int32_t> labels;
};
KnnShard make_knn_shard(std::vector<float> values, std::vector<std::int32_t> labels,
                        std::int64_t cols, std::int64_t first_row, Distance distance);

// The k nearest reference rows of each query: queries x k, each row ascending by
// (distance, index). Missing entries (fewer than k reference rows) have distance +inf,
// index kNoNeighbour and label -1.
inline constexpr std::int64_t kNoNeighbour = std::numeric_limits<std::int64_t>::max();
struct Neighbours {
  std::int64_t queries = 0;
  int k = 0;
  std::vector<double> distances;
  std::vector<std::int64_t> indices;
  std::vector<std::int32_t> labels;
};

// This rank's k nearest for `queries` (rows x shard.cols, row-major). No MPI.
Neighbours local_neighbours(const KnnShard& shard, std::span<const float> queries,
                            std::int64_t rows, int k);

// The k nearest over several partial lists of the same queries (each sorted as above).
Neighbours merge_neighbours(const std::vector<Neighbours>& parts, int k);

// The vote over the first `k` neighbours of one query (rule above). classes = K.
std::int32_t vote(std::span<const double> distances, std::span<const std::int32_t> labels, int k,
                  int classes);
// vote() for every query, using the first k of each list.
std::vector<std::int32_t> vote_all(const Neighbours& neighbours, int k, int classes);

// Collective: the k nearest over all ranks' shards for `queries` (the same on every rank),
// processed in blocks of `block` queries; each rank's lists (rows x k) are gathered once and
// merged on the root, and the result is broadcast so every rank returns the same Neighbours.
Neighbours nearest_neighbours(const KnnShard& shard, std::span<const float> queries,
                              std::int64_t rows, int k, std::int64_t block, const mpi::Comm& comm);

struct KnnOptions {
  std::vector<int> k = {1, 3, 5, 7, 9};  // candidates, chosen by validation accuracy
  Distance distance = Distance::Euclidean;
  std::int64_t block = 1024;  // queries per distance product (memory: block x shard rows floats)
};

// What a k-NN run found, identical on every rank.
struct KnnResult {
  KnnOptions options;
  std::vector<double> validation_accuracy;  // per options.k (NaN without validation rows)
  int chosen_k = 0;
  std::int64_t reference_rows = 0, validation_rows = 0, test_rows = 0;
  std::vector<std::int32_t> validation_predicted;  // with chosen_k
  std::vector<std::int32_t> test_predicted;        // with chosen_k
  double seconds = 0;                              // wall time of run_knn (the slowest rank)
  double read_seconds = 0;  // of which reading and exchanging features (the slowest rank)
  // CPU time of the search (not the reading) on the busiest rank: what the search takes
  // with a core per rank (on a shared machine wall time stretches, CPU time does not).
  double search_cpu_seconds = 0;
  // CPU time of reading this rank's rows from the file (the busiest rank).
  double read_cpu_seconds = 0;
};

// Rows are ascending sample indices of `prep`'s dataset. Reference rows are sharded over
// the ranks; validation and test rows are read in shares and replicated. With no
// validation rows the first k of the list is used. Collective.
KnnResult run_knn(const KnnOptions& options, const Preparation& prep,
                  std::span<const std::int64_t> reference, std::span<const std::int64_t> validation,
                  std::span<const std::int64_t> test, const mpi::Comm& comm);

// The result as a JSON file (pancan knn --out, pancan run's NAME.knn.json) and back.
nlohmann::ordered_json knn_result_json(const KnnResult& result,
                                       const std::vector<std::string>& classes);
KnnResult knn_result_from_json(const nlohmann::json& json, const std::vector<std::string>& classes);

// What the report says about a k-NN model (kind "knn": no layers, no history; the chosen
// k's validation accuracy stands for it in the comparison).
ModelReport describe_knn(const KnnResult& result, const std::string& name, const std::string& file);

}  // namespace pancan
