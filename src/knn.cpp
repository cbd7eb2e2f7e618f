// k-NN over MPI (see knn.hpp): float distance products with an exact double re-check,
// local top k per rank, merge on the root, vote, k chosen on the validation rows.
#include "pancan/knn.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <memory>
#include <mutex>

#include "pancan/error.hpp"
#include "pancan/features.hpp"
#include "pancan/log.hpp"

namespace pancan {

Distance parse_distance(const std::string& name) {
  if (name == "euclidean") return Distance::Euclidean;
  if (name == "cosine") return Distance::Cosine;
  throw UsageError("--metric: '" + name + "' is not euclidean or cosine");
}

const char* distance_name(Distance distance) {
  return distance == Distance::Euclidean ? "euclidean" : "cosine";
}

namespace {

// Sums in double over 16 interleaved lanes (lane l takes terms l, l + 16, ...), the lanes
// then added pairwise, the remainder last: a fixed order, whatever the caller, so the
// same pair always gives the same bits; the lanes let the compiler vectorise the loop
// (a single running sum cannot be, without reordering it).
constexpr std::size_t kLanes = 16;
double combine(double (&lanes)[kLanes]) {
  for (std::size_t width = kLanes / 2; width >= 1; width /= 2)
    for (std::size_t l = 0; l < width; ++l) lanes[l] += lanes[l + width];
  return lanes[0];
}

}  // namespace

double exact_distance(std::span<const float> q, std::span<const float> x, Distance distance) {
  const std::size_t n = q.size(), full = n - n % kLanes;
  if (distance == Distance::Euclidean) {
    double lanes[kLanes] = {};
    for (std::size_t j = 0; j < full; j += kLanes)
      for (std::size_t l = 0; l < kLanes; ++l) {
        const double diff = static_cast<double>(q[j + l]) - static_cast<double>(x[j + l]);
        lanes[l] += diff * diff;
      }
    double sum = combine(lanes);
    for (std::size_t j = full; j < n; ++j) {
      const double diff = static_cast<double>(q[j]) - static_cast<double>(x[j]);
      sum += diff * diff;
    }
    return std::sqrt(sum);
  }
  double dots[kLanes] = {}, qqs[kLanes] = {}, xxs[kLanes] = {};
  for (std::size_t j = 0; j < full; j += kLanes)
    for (std::size_t l = 0; l < kLanes; ++l) {
      const double a = q[j + l], b = x[j + l];
      dots[l] += a * b;
      qqs[l] += a * a;
      xxs[l] += b * b;
    }
  double dot = combine(dots), qq = combine(qqs), xx = combine(xxs);
  for (std::size_t j = full; j < n; ++j) {
    const double a = q[j], b = x[j];
    dot += a * b;
    qq += a * a;
    xx += b * b;
  }
  if (qq == 0 || xx == 0) return 1.0;
  return 1.0 - dot / (std::sqrt(qq) * std::sqrt(xx));
}

namespace {

double squared_norm(std::span<const float> row) {
  const std::size_t n = row.size(), full = n - n % kLanes;
  double lanes[kLanes] = {};
  for (std::size_t j = 0; j < full; j += kLanes)
    for (std::size_t l = 0; l < kLanes; ++l)
      lanes[l] += static_cast<double>(row[j + l]) * row[j + l];
  double sum = combine(lanes);
  for (std::size_t j = full; j < n; ++j) sum += static_cast<double>(row[j]) * row[j];
  return sum;
}

// Rows scaled to unit length (zero rows stay zero), for the cosine product.
void normalise_rows(std::span<float> values, std::int64_t cols) {
  const auto rows = static_cast<std::int64_t>(values.size()) / std::max<std::int64_t>(cols, 1);
  for (std::int64_t r = 0; r < rows; ++r) {
    auto row = values.subspan(static_cast<std::size_t>(r * cols), static_cast<std::size_t>(cols));
    const double norm = std::sqrt(squared_norm(row));
    if (norm > 0)
      for (auto& v : row) v = static_cast<float>(v / norm);
  }
}

// G = A B^T (rows x n, row-major; A is rows x d, B is n x d, both row-major) in float with
// OpenBLAS's sgemm on the calling thread: each rank is one process on one core, so BLAS
// threads would only compete with the other ranks. (Eigen's own GEMM reached about half of
// sgemm's speed on this product: 60-78 against 150 GFLOP/s on one core.)
void product_transposed(const float* a, const float* b, std::int64_t rows, std::int64_t n,
                        std::int64_t d, float* g) {
  static std::once_flag single_thread;
  std::call_once(single_thread, [] { openblas_set_num_threads(1); });
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(rows),
              static_cast<blasint>(n), static_cast<blasint>(d), 1.0f, a, static_cast<blasint>(d), b,
              static_cast<blasint>(d), 0.0f, g, static_cast<blasint>(n));
}

// The k-th smallest of `values` (k >= 1, k <= size).
double kth_smallest(std::span<const double> values, std::size_t k, std::vector<double>& scratch) {
  if (k <= 16) {
    // One pass keeping the k smallest in order: for the usual small k this beats a
    // selection over a copy, since almost every value is rejected by one comparison.
    double best[16];
    std::size_t held = 0;
    for (double v : values) {
      if (held == k && !(v < best[k - 1])) continue;
      std::size_t at = held < k ? held++ : k - 1;
      while (at > 0 && v < best[at - 1]) {
        best[at] = best[at - 1];
        --at;
      }
      best[at] = v;
    }
    return best[k - 1];
  }
  scratch.assign(values.begin(), values.end());
  std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(k - 1),
                   scratch.end());
  return scratch[k - 1];
}

// Each row minus `center`, in float.
void subtract_center(std::span<float> values, std::span<const float> center) {
  for (std::size_t at = 0; at < values.size(); at += center.size())
    for (std::size_t c = 0; c < center.size(); ++c) values[at + c] -= center[c];
}

struct Candidate {
  double distance;
  std::int64_t index;
  std::int32_t label;
};
bool nearer(const Candidate& a, const Candidate& b) {
  return a.distance < b.distance || (a.distance == b.distance && a.index < b.index);
}

void store(Neighbours& out, std::int64_t query, const std::vector<Candidate>& best) {
  for (int j = 0; j < out.k && static_cast<std::size_t>(j) < best.size(); ++j) {
    const auto at = static_cast<std::size_t>(query * out.k + j);
    out.distances[at] = best[static_cast<std::size_t>(j)].distance;
    out.indices[at] = best[static_cast<std::size_t>(j)].index;
    out.labels[at] = best[static_cast<std::size_t>(j)].label;
  }
}

Neighbours empty_neighbours(std::int64_t queries, int k) {
  Neighbours n;
  n.queries = queries;
  n.k = k;
  const auto size = static_cast<std::size_t>(queries * k);
  n.distances.assign(size, std::numeric_limits<double>::infinity());
  n.indices.assign(size, kNoNeighbour);
  n.labels.assign(size, -1);
  return n;
}

}  // namespace

KnnShard make_knn_shard(std::vector<float> values, std::vector<std::int32_t> labels,
                        std::int64_t cols, std::int64_t first_row, Distance distance) {
  KnnShard s;
  s.distance = distance;
  s.first_row = first_row;
  s.cols = cols;
  s.rows = static_cast<std::int64_t>(labels.size());
  if (static_cast<std::int64_t>(values.size()) != s.rows * cols)
    throw Error("k-NN: reference values do not match rows x columns");
  s.values = std::move(values);
  s.labels = std::move(labels);
  s.product_rows = s.values;
  if (distance == Distance::Cosine) {
    normalise_rows(s.product_rows, cols);
  } else if (s.rows > 0) {
    // Euclidean distances do not change when both sides move by the same vector, but the
    // product's error bound grows with |q| |x|: about the mean, norms are far smaller
    // (a third on synthetic data: min-max features lie in [0, 1]), and so is the bound,
    // which halved the rows re-checked exactly there.
    std::vector<double> sum(static_cast<std::size_t>(cols), 0.0);
    for (std::int64_t r = 0; r < s.rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c)
        sum[static_cast<std::size_t>(c)] += s.values[static_cast<std::size_t>(r * cols + c)];
    s.center.resize(static_cast<std::size_t>(cols));
    for (std::int64_t c = 0; c < cols; ++c)
      s.center[static_cast<std::size_t>(c)] =
          static_cast<float>(sum[static_cast<std::size_t>(c)] / static_cast<double>(s.rows));
    subtract_center(s.product_rows, s.center);
  }
  const auto& rows = s.product_rows;
  s.squared_norms.resize(static_cast<std::size_t>(s.rows));
  s.norms.resize(static_cast<std::size_t>(s.rows));
  for (std::int64_t r = 0; r < s.rows; ++r) {
    const auto at = static_cast<std::size_t>(r);
    s.squared_norms[at] = squared_norm(
        std::span<const float>(rows.data() + r * cols, static_cast<std::size_t>(cols)));
    s.norms[at] = std::sqrt(s.squared_norms[at]);
  }
  return s;
}

namespace {

// Buffers of one search, kept over its query blocks: the product alone is B x n floats
// (megabytes), and fresh memory costs a page fault per 4 KiB page on first touch.
struct SearchSpace {
  std::unique_ptr<float[]> g;  // not zero-filled: sgemm overwrites it (beta = 0)
  std::size_t g_size = 0;
  std::vector<float> product_queries;  // the block's queries, centred or unit
  std::vector<double> lower, upper, scratch;
  std::vector<Candidate> candidates;
};

// The k nearest on this shard of `rows` queries, stored in `out` from query `first` on.
void search_block(const KnnShard& shard, std::span<const float> queries, std::int64_t rows, int k,
                  SearchSpace& space, Neighbours& out, std::int64_t first) {
  const std::int64_t n = shard.rows, d = shard.cols;
  if (n == 0 || rows == 0) return;
  if (static_cast<std::int64_t>(queries.size()) != rows * d)
    throw Error("k-NN: query values do not match rows x columns");
  const bool euclidean = shard.distance == Distance::Euclidean;
  space.product_queries.assign(queries.begin(), queries.end());
  if (euclidean)
    subtract_center(space.product_queries, shard.center);
  else
    normalise_rows(space.product_queries, d);
  const float* product_queries = space.product_queries.data();
  const float* product_rows = shard.product_rows.data();
  // G = Q X^T (rows x n) in float: the bulk of the work, one product.
  if (space.g_size < static_cast<std::size_t>(rows * n)) {
    space.g_size = static_cast<std::size_t>(rows * n);
    space.g = std::make_unique_for_overwrite<float[]>(space.g_size);
  }
  float* g = space.g.get();
  product_transposed(product_queries, product_rows, rows, n, d, g);
  // A rigorous bound on the product's error: |fl(q.x) - q.x| <= gamma_d sum |q_j x_j|
  // <= gamma_d |q| |x| (Higham, Accuracy and Stability, 3.5), for any summation order.
  const double u = std::ldexp(1.0, -24);
  const double gamma = static_cast<double>(d) * u / (1 - static_cast<double>(d) * u);
  // The double norms and the expressions below round too: (d + 4) double roundings of
  // sums of nonnegative terms, far inside this.
  const double norm_slack = 1e-12 + 4 * static_cast<double>(d + 4) * std::ldexp(1.0, -53);
  const double centring = 1.0001 * u;
  const auto size = static_cast<std::size_t>(n);
  auto& lower = space.lower;
  auto& upper = space.upper;
  auto& candidates = space.candidates;
  lower.resize(size);
  upper.resize(size);
  const double* xx = shard.squared_norms.data();
  const double* x_norm = shard.norms.data();
  for (std::int64_t i = 0; i < rows; ++i) {
    const float* dots = g + i * n;
    const double qq =
        squared_norm(std::span<const float>(product_queries + i * d, static_cast<std::size_t>(d)));
    const double q_norm = std::sqrt(qq);
    // Bounds on each row's distance (squared for euclidean) from the float product.
    if (euclidean) {
      for (std::size_t j = 0; j < size; ++j) {
        // The distance D' of the centred rows q', x' as they are in float: the bound
        // doubles gamma for the factor 2 and adds the rounding of the norms and of this
        // double expression.
        const double approx = qq + xx[j] - 2 * static_cast<double>(dots[j]);
        const double slack = 2.02 * gamma * q_norm * x_norm[j] + norm_slack * (qq + xx[j]);
        // Centring rounded each element by at most u of it, so D' is within
        // e = u (|q'| + |x'|) (1 + u) of the distance D of the rows as given.
        const double e = centring * (q_norm + x_norm[j]);
        const double low = std::max(0.0, std::sqrt(std::max(0.0, approx - slack)) - e);
        const double high = std::sqrt(std::max(0.0, approx + slack)) + e;
        lower[j] = low * low * (1 - 1e-12);
        upper[j] = high * high * (1 + 1e-12);
      }
    } else {
      // Unit rows rounded to float: their dot product is off by a few u besides gamma.
      const double slack = 1.02 * gamma + 8 * u;
      for (std::size_t j = 0; j < size; ++j) {
        const double approx = 1 - static_cast<double>(dots[j]);
        lower[j] = approx - slack;
        upper[j] = approx + slack;
      }
    }
    // At least k rows lie within the k-th smallest upper bound, so a row whose lower
    // bound exceeds it is farther than k others and cannot be among the k nearest.
    const auto kk = static_cast<std::size_t>(std::min<std::int64_t>(k, n));
    const double threshold = kth_smallest(upper, kk, space.scratch);
    candidates.clear();
    const auto query =
        queries.subspan(static_cast<std::size_t>(i * d), static_cast<std::size_t>(d));
    for (std::size_t j = 0; j < size; ++j) {
      if (lower[j] > threshold) continue;
      const auto x = std::span<const float>(shard.values.data() + static_cast<std::int64_t>(j) * d,
                                            static_cast<std::size_t>(d));
      candidates.push_back({exact_distance(query, x, shard.distance),
                            shard.first_row + static_cast<std::int64_t>(j), shard.labels[j]});
    }
    const auto keep = std::min<std::size_t>(static_cast<std::size_t>(k), candidates.size());
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep),
                      candidates.end(), nearer);
    candidates.resize(keep);
    store(out, first + i, candidates);
  }
}

}  // namespace

Neighbours local_neighbours(const KnnShard& shard, std::span<const float> queries,
                            std::int64_t rows, int k) {
  Neighbours out = empty_neighbours(rows, k);
  SearchSpace space;
  search_block(shard, queries, rows, k, space, out, 0);
  return out;
}

Neighbours merge_neighbours(const std::vector<Neighbours>& parts, int k) {
  const std::int64_t queries = parts.empty() ? 0 : parts.front().queries;
  Neighbours out = empty_neighbours(queries, k);
  std::vector<Candidate> all;
  for (std::int64_t i = 0; i < queries; ++i) {
    all.clear();
    for (const auto& part : parts) {
      if (part.queries != queries) throw Error("k-NN: merging lists of different queries");
      for (int j = 0; j < part.k; ++j) {
        const auto at = static_cast<std::size_t>(i * part.k + j);
        if (part.indices[at] != kNoNeighbour)
          all.push_back({part.distances[at], part.indices[at], part.labels[at]});
      }
    }
    const auto keep = std::min<std::size_t>(static_cast<std::size_t>(k), all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                      nearer);
    all.resize(keep);
    store(out, i, all);
  }
  return out;
}

std::int32_t vote(std::span<const double> distances, std::span<const std::int32_t> labels, int k,
                  int classes) {
  std::vector<int> counts(static_cast<std::size_t>(classes), 0);
  std::vector<double> sums(static_cast<std::size_t>(classes), 0.0);
  for (int j = 0; j < k && static_cast<std::size_t>(j) < labels.size(); ++j) {
    const auto label = labels[static_cast<std::size_t>(j)];
    if (label < 0) continue;  // fewer reference rows than k
    if (label >= classes) throw Error("k-NN: neighbour label out of range");
    ++counts[static_cast<std::size_t>(label)];
    sums[static_cast<std::size_t>(label)] += distances[static_cast<std::size_t>(j)];
  }
  std::int32_t best = 0;
  for (std::int32_t c = 1; c < classes; ++c) {
    const auto a = static_cast<std::size_t>(c), b = static_cast<std::size_t>(best);
    if (counts[a] > counts[b] || (counts[a] == counts[b] && sums[a] < sums[b])) best = c;
  }
  return best;
}

std::vector<std::int32_t> vote_all(const Neighbours& neighbours, int k, int classes) {
  if (k > neighbours.k) throw Error("k-NN: vote over more neighbours than were found");
  std::vector<std::int32_t> predicted(static_cast<std::size_t>(neighbours.queries));
  for (std::int64_t i = 0; i < neighbours.queries; ++i) {
    const auto at = static_cast<std::size_t>(i * neighbours.k);
    predicted[static_cast<std::size_t>(i)] = vote(
        std::span<const double>(neighbours.distances).subspan(at, static_cast<std::size_t>(k)),
        std::span<const std::int32_t>(neighbours.labels).subspan(at, static_cast<std::size_t>(k)),
        k, classes);
  }
  return predicted;
}

Neighbours nearest_neighbours(const KnnShard& shard, std::span<const float> queries,
                              std::int64_t rows, int k, std::int64_t block, const mpi::Comm& comm) {
  if (k < 1) throw UsageError("--k: k must be at least 1");
  block = std::max<std::int64_t>(block, 1);
  // Blocks of equal size, at most `block`: 1068 queries in blocks of 1024 would leave a
  // product of 44 rows, slow per row (the reference rows are packed for it all the same).
  if (rows > 0) {
    const std::int64_t blocks = (rows + block - 1) / block;
    block = (rows + blocks - 1) / blocks;
  }
  // Every rank runs through all query blocks on its own (no synchronisation between
  // blocks, so a rank slowed by a shared core does not hold the others at every block);
  // the lists, rows x k per rank, are small enough to gather once.
  Neighbours local = empty_neighbours(rows, k);
  const std::int64_t d = shard.cols;
  SearchSpace space;
  for (std::int64_t first = 0; first < rows; first += block) {
    const std::int64_t count = std::min(block, rows - first);
    search_block(
        shard,
        queries.subspan(static_cast<std::size_t>(first * d), static_cast<std::size_t>(count * d)),
        count, k, space, local, first);
  }
  // Every rank sends rows x k entries, so the gathered arrays cut into equal parts.
  const auto distances = comm.gatherv<double>(local.distances);
  const auto indices = comm.gatherv<std::int64_t>(local.indices);
  const auto labels = comm.gatherv<std::int32_t>(local.labels);
  Neighbours result = empty_neighbours(rows, k);
  if (comm.is_root()) {
    std::vector<Neighbours> parts(static_cast<std::size_t>(comm.size()));
    const auto each = static_cast<std::ptrdiff_t>(rows * k);
    for (int r = 0; r < comm.size(); ++r) {
      auto& part = parts[static_cast<std::size_t>(r)];
      part.queries = rows;
      part.k = k;
      part.distances.assign(distances.begin() + r * each, distances.begin() + (r + 1) * each);
      part.indices.assign(indices.begin() + r * each, indices.begin() + (r + 1) * each);
      part.labels.assign(labels.begin() + r * each, labels.begin() + (r + 1) * each);
    }
    result = merge_neighbours(parts, k);
  }
  comm.broadcast(std::span<double>(result.distances));
  comm.broadcast(std::span<std::int64_t>(result.indices));
  comm.broadcast(std::span<std::int32_t>(result.labels));
  return result;
}

namespace {

// This rank's shares of the reference, validation and test rows, read in one pass over the
// file (ascending rows) and each row copied straight to its place.
struct Shares {
  FeatureBlock reference, validation, test;
};
Shares read_shares(const Preparation& prep, std::span<const std::int64_t> reference,
                   std::span<const std::int64_t> validation, std::span<const std::int64_t> test) {
  const auto cols = static_cast<std::int64_t>(prep.selected.size());
  Shares shares;
  std::vector<std::pair<std::int64_t, FeatureBlock*>> read;  // (row, destination)
  for (auto [rows, block] :
       {std::pair{reference, &shares.reference}, std::pair{validation, &shares.validation},
        std::pair{test, &shares.test}}) {
    block->rows = static_cast<std::int64_t>(rows.size());
    block->cols = cols;
    block->values.resize(static_cast<std::size_t>(block->rows * cols));
    block->labels.resize(rows.size());
    for (auto row : rows) read.emplace_back(row, block);
  }
  // The splits are disjoint, and each list ascends: the merged list ascends strictly.
  std::sort(read.begin(), read.end());
  std::vector<std::int64_t> rows(read.size());
  for (std::size_t i = 0; i < read.size(); ++i) rows[i] = read[i].first;
  std::vector<std::int64_t> position(read.size());  // within the destination
  std::int64_t next[3] = {0, 0, 0};
  for (std::size_t i = 0; i < read.size(); ++i) {
    auto* block = read[i].second;
    position[i] = next[block == &shares.reference ? 0 : block == &shares.validation ? 1 : 2]++;
  }
  stream_features(prep, rows, kMatrixChunkRows * 16,
                  [&](const FeatureBlock& block, std::int64_t first) {
                    for (std::int64_t t = 0; t < block.rows; ++t) {
                      const auto at = static_cast<std::size_t>(first + t);
                      auto* to = read[at].second;
                      std::copy_n(block.values.begin() + t * cols, cols,
                                  to->values.begin() + position[at] * cols);
                      to->labels[static_cast<std::size_t>(position[at])] =
                          block.labels[static_cast<std::size_t>(t)];
                    }
                  });
  return shares;
}

// Every rank's `mine`, in rank order, on every rank: the queries each rank read.
FeatureBlock replicate(const FeatureBlock& mine, const mpi::Comm& comm) {
  FeatureBlock all;
  all.cols = mine.cols;
  all.values = comm.allgatherv<float>(mine.values);
  all.labels = comm.allgatherv<std::int32_t>(mine.labels);
  all.rows = static_cast<std::int64_t>(all.labels.size());
  return all;
}

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double accuracy(std::span<const std::int32_t> truth, std::span<const std::int32_t> predicted) {
  if (truth.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) correct += truth[i] == predicted[i];
  return static_cast<double>(correct) / static_cast<double>(truth.size());
}

}  // namespace

KnnResult run_knn(const KnnOptions& options, const Preparation& prep,
                  std::span<const std::int64_t> reference, std::span<const std::int64_t> validation,
                  std::span<const std::int64_t> test, const mpi::Comm& comm) {
  const double start = wall_seconds();
  if (options.k.empty()) throw UsageError("--k: at least one k is needed");
  for (int k : options.k)
    if (k < 1) throw UsageError("--k: every k must be at least 1");
  if (reference.empty()) throw Error("k-NN: no reference (training) rows");
  const int k_max = *std::max_element(options.k.begin(), options.k.end());
  const int classes = static_cast<int>(prep.dataset.classes.size());
  KnnResult result;
  result.options = options;
  result.reference_rows = static_cast<std::int64_t>(reference.size());
  result.validation_rows = static_cast<std::int64_t>(validation.size());
  result.test_rows = static_cast<std::int64_t>(test.size());

  // One read per rank: its shares of the reference, validation and test rows together.
  // Each share is a contiguous part of its (ascending) list, so a rank's rows lie in about
  // the same part of the file, and every stored chunk of /X is read by about one rank once.
  const double read_start = wall_seconds();
  const auto reference_share = rank_share(reference, comm.size(), comm.rank());
  const auto validation_share = rank_share(validation, comm.size(), comm.rank());
  const auto test_share = rank_share(test, comm.size(), comm.rank());
  KnnShard shard;
  FeatureBlock validation_mine, test_mine;
  double read_cpu = 0;
  mpi::agree(comm, [&] {
    const double cpu = process_cpu_seconds();
    auto shares = read_shares(prep, reference_share, validation_share, test_share);
    validation_mine = std::move(shares.validation);
    test_mine = std::move(shares.test);
    shard = make_knn_shard(std::move(shares.reference.values), std::move(shares.reference.labels),
                           static_cast<std::int64_t>(prep.selected.size()),
                           mpi::block_range(result.reference_rows, comm.size(), comm.rank()).begin,
                           options.distance);
    read_cpu = process_cpu_seconds() - cpu;
  });
  double read_seconds = wall_seconds() - read_start;
  double search_cpu = 0;

  // k by validation accuracy: one search for the largest k serves every candidate.
  result.chosen_k = options.k.front();
  if (!validation.empty()) {
    const double t = wall_seconds();
    const auto queries = replicate(validation_mine, comm);
    read_seconds += wall_seconds() - t;
    const double cpu = process_cpu_seconds();
    const auto neighbours =
        nearest_neighbours(shard, queries.values, queries.rows, k_max, options.block, comm);
    search_cpu += process_cpu_seconds() - cpu;
    double best = -1;
    for (int k : options.k) {
      const auto predicted = vote_all(neighbours, k, classes);
      const double a = accuracy(queries.labels, predicted);
      result.validation_accuracy.push_back(a);
      if (a > best) {
        best = a;
        result.chosen_k = k;
        result.validation_predicted = predicted;
      }
    }
  } else {
    result.validation_accuracy.assign(options.k.size(), std::numeric_limits<double>::quiet_NaN());
  }
  if (!test.empty()) {
    const double t = wall_seconds();
    const auto queries = replicate(test_mine, comm);
    read_seconds += wall_seconds() - t;
    const double cpu = process_cpu_seconds();
    const auto neighbours = nearest_neighbours(shard, queries.values, queries.rows, result.chosen_k,
                                               options.block, comm);
    result.test_predicted = vote_all(neighbours, result.chosen_k, classes);
    search_cpu += process_cpu_seconds() - cpu;
  }
  result.seconds = comm.max(wall_seconds() - start);
  result.read_seconds = comm.max(read_seconds);
  result.search_cpu_seconds = comm.max(search_cpu);
  result.read_cpu_seconds = comm.max(read_cpu);
  return result;
}

nlohmann::ordered_json knn_result_json(const KnnResult& r,
                                       const std::vector<std::string>& classes) {
  auto names = [&](const std::vector<std::int32_t>& labels) {
    std::vector<std::string> out;
    for (auto l : labels) out.push_back(classes.at(static_cast<std::size_t>(l)));
    return out;
  };
  nlohmann::ordered_json j;
  j["kind"] = "knn";
  j["distance"] = distance_name(r.options.distance);
  j["k"] = r.options.k;
  nlohmann::ordered_json accuracies = nlohmann::ordered_json::array();
  for (double a : r.validation_accuracy)
    accuracies.push_back(std::isnan(a) ? nlohmann::ordered_json(nullptr)
                                       : nlohmann::ordered_json(a));
  j["validation_accuracy"] = accuracies;
  j["chosen_k"] = r.chosen_k;
  j["block"] = r.options.block;
  j["reference_rows"] = r.reference_rows;
  j["validation_rows"] = r.validation_rows;
  j["test_rows"] = r.test_rows;
  j["seconds"] = r.seconds;
  j["read_seconds"] = r.read_seconds;
  j["search_cpu_seconds"] = r.search_cpu_seconds;
  j["read_cpu_seconds"] = r.read_cpu_seconds;
  j["validation_predicted"] = names(r.validation_predicted);
  j["test_predicted"] = names(r.test_predicted);
  return j;
}

KnnResult knn_result_from_json(const nlohmann::json& j, const std::vector<std::string>& classes) {
  auto indices = [&](const nlohmann::json& list) {
    std::vector<std::int32_t> out;
    for (const auto& name : list) {
      const auto it = std::find(classes.begin(), classes.end(), name.get<std::string>());
      if (it == classes.end()) throw Error("k-NN result: unknown class " + name.dump());
      out.push_back(static_cast<std::int32_t>(it - classes.begin()));
    }
    return out;
  };
  try {
    if (j.at("kind").get<std::string>() != "knn") throw Error("k-NN result: kind is not knn");
    KnnResult r;
    r.options.distance = parse_distance(j.at("distance").get<std::string>());
    r.options.k = j.at("k").get<std::vector<int>>();
    r.options.block = j.value("block", r.options.block);
    for (const auto& a : j.at("validation_accuracy"))
      r.validation_accuracy.push_back(a.is_null() ? std::numeric_limits<double>::quiet_NaN()
                                                  : a.get<double>());
    r.chosen_k = j.at("chosen_k").get<int>();
    r.reference_rows = j.at("reference_rows").get<std::int64_t>();
    r.validation_rows = j.at("validation_rows").get<std::int64_t>();
    r.test_rows = j.at("test_rows").get<std::int64_t>();
    r.seconds = j.value("seconds", 0.0);
    r.read_seconds = j.value("read_seconds", 0.0);
    r.search_cpu_seconds = j.value("search_cpu_seconds", 0.0);
    r.read_cpu_seconds = j.value("read_cpu_seconds", 0.0);
    r.validation_predicted = indices(j.at("validation_predicted"));
    r.test_predicted = indices(j.at("test_predicted"));
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("k-NN result: ") + e.what());
  }
}

ModelReport describe_knn(const KnnResult& r, const std::string& name, const std::string& file) {
  ModelReport m;
  m.kind = "knn";
  m.name = name;
  m.file = file;
  std::string ks, accuracies;
  for (std::size_t i = 0; i < r.options.k.size(); ++i) {
    ks += (i ? "," : "") + std::to_string(r.options.k[i]);
    accuracies +=
        (i ? " " : "") + std::to_string(r.options.k[i]) + ":" +
        (std::isnan(r.validation_accuracy[i]) ? std::string("-")
                                              : strprintf("%.4f", r.validation_accuracy[i]));
  }
  m.summary = strprintf(
      "k-nearest neighbours (%s distance, majority vote; vote ties go to the closer class)\n"
      "k = %d, chosen from {%s} by validation accuracy (%s)\n"
      "reference: the %lld training rows; no trained parameters",
      distance_name(r.options.distance), r.chosen_k, ks.c_str(), accuracies.c_str(),
      static_cast<long long>(r.reference_rows));
  m.options = {{"k", std::to_string(r.chosen_k)},
               {"k_candidates", ks},
               {"distance", distance_name(r.options.distance)},
               {"validation_accuracy_per_k", accuracies},
               {"reference_samples", std::to_string(r.reference_rows)}};
  for (std::size_t i = 0; i < r.options.k.size(); ++i)
    if (r.options.k[i] == r.chosen_k) m.validation_accuracy = r.validation_accuracy[i];
  m.train_seconds = r.seconds;
  m.predicted = r.test_predicted;
  return m;
}

}  // namespace pancan
