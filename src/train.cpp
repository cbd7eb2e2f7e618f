// The training loop: epoch plan (shuffle, batches, each rank's part of each batch), the
// per-epoch exchange of rows, the sharded Adam step, validation, early stopping and
// checkpoints. The scheme is described in train.hpp.
#include "pancan/train.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstring>
#include <ctime>
#include <exception>
#include <limits>
#include <numeric>
#include <optional>

#include "pancan/config.hpp"
#include "pancan/error.hpp"
#include "pancan/fault.hpp"
#include "pancan/log.hpp"
#include "pancan/nn.hpp"
#include "pancan/optim.hpp"
#include "pancan/rng.hpp"

namespace pancan {

namespace {

constexpr std::uint64_t kShuffleStream = 0x73687566;  // "shuf"
constexpr std::int64_t kEvaluationRows = 256;         // rows per forward pass when evaluating

// CPU time of this process (all threads), in seconds.
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// The part (0..parts-1) of mpi::block_range(n, parts, .) that holds `index`.
int block_owner(std::int64_t n, int parts, std::int64_t index) {
  const std::int64_t base = n / parts, extra = n % parts;
  if (index < extra * (base + 1)) return static_cast<int>(index / (base + 1));
  return static_cast<int>(extra + (index - extra * (base + 1)) / base);
}

// A permutation of [0, n) that depends only on (seed, epoch): Fisher-Yates.
std::vector<std::int64_t> shuffled_rows(std::int64_t n, std::uint64_t seed, std::int64_t epoch) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  CounterRng rng(seed, {kShuffleStream, static_cast<std::uint64_t>(epoch)});
  for (std::int64_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[rng.below(static_cast<std::uint64_t>(i + 1))]);
  return order;
}

// The rows this rank trains on in one epoch, in the order it uses them: step s uses rows
// [step_begin[s], step_begin[s + 1]); part_sizes along with batch sizes drive the loop.
struct EpochData {
  std::vector<const float*> rows;      // this rank's rows, where they are
  std::vector<const float*> all_rows;  // node-shared memory: every row, in epoch order
  std::vector<float> values;           // across nodes: the rows received for this epoch
  std::vector<std::int32_t> labels;    // per row of this rank
  std::vector<std::int64_t> ids;       // global training-row index (dropout key)
  std::vector<std::int64_t> step_begin;
  std::vector<std::int64_t> batch_sizes;  // global batch size of each step
};

// Shuffles, plans the batches and finds the rows every rank uses this epoch: read in place
// from the shard (one rank) or from the owners' shards in node-shared memory
// (`shared_rows`, rank r's block = its shard), else moved by one all-to-all. Nothing is
// copied on one node: each step reads its rows where they are.
EpochData plan_epoch(const ShardedData& shard, const std::vector<std::int32_t>& all_labels,
                     std::int64_t epoch, const TrainOptions& options, const mpi::Comm& comm,
                     const mpi::SharedWindow* shared_rows) {
  const int P = comm.size(), me = comm.rank();
  const std::int64_t N = shard.total_rows, B = options.batch_size, cols = shard.cols;
  const auto order = shuffled_rows(N, options.seed, epoch);
  const std::int64_t steps = (N + B - 1) / B;
  const bool exchange = P > 1 && shared_rows == nullptr;

  EpochData e;
  e.step_begin.push_back(0);
  // Positions in the epoch's order that this rank processes, ascending; the rank that
  // processes position p is the owner of p's slot within its batch.
  std::vector<std::int64_t> mine;
  std::vector<std::vector<std::int64_t>> sends(static_cast<std::size_t>(P));  // rows to each rank
  for (std::int64_t s = 0; s < steps; ++s) {
    const std::int64_t begin = s * B, size = std::min(B, N - begin);
    e.batch_sizes.push_back(size);
    for (int q = 0; q < P; ++q) {
      const auto part = mpi::block_range(size, P, q);
      for (std::int64_t j = part.begin; j < part.end; ++j) {
        const std::int64_t row = order[static_cast<std::size_t>(begin + j)];
        if (q == me) mine.push_back(row);
        if (exchange && block_owner(N, P, row) == me) sends[q].push_back(row);
      }
    }
    e.step_begin.push_back(static_cast<std::int64_t>(mine.size()));
  }

  const auto n_mine = static_cast<std::int64_t>(mine.size());
  e.rows.resize(mine.size());
  e.labels.resize(mine.size());
  e.ids = mine;
  for (std::size_t i = 0; i < mine.size(); ++i) e.labels[i] = all_labels[mine[i]];
  const auto row_bytes = static_cast<std::size_t>(cols) * sizeof(float);
  auto local = [&](std::int64_t row) {
    return shard.values.data() + (row - shard.first_row) * cols;
  };

  if (P == 1) {
    for (std::int64_t i = 0; i < n_mine; ++i) e.rows[i] = local(mine[i]);
    return e;
  }
  if (shared_rows != nullptr) {
    auto where = [&](std::int64_t row) {
      const int owner = block_owner(N, P, row);
      return static_cast<const float*>(shared_rows->base(owner)) +
             (row - mpi::block_range(N, P, owner).begin) * cols;
    };
    for (std::int64_t i = 0; i < n_mine; ++i) e.rows[i] = where(mine[i]);
    e.all_rows.resize(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) e.all_rows[i] = where(order[i]);
    return e;
  }
  std::vector<std::int64_t> send_counts(static_cast<std::size_t>(P));
  std::int64_t send_rows = 0;
  for (int q = 0; q < P; ++q)
    send_rows += send_counts[q] = static_cast<std::int64_t>(sends[q].size());
  std::vector<float> send(static_cast<std::size_t>(send_rows * cols));
  std::int64_t at = 0;
  for (int q = 0; q < P; ++q)
    for (auto row : sends[q]) std::memcpy(&send[(at++) * cols], local(row), row_bytes);
  const auto received = comm.alltoallv<float>(send, send_counts, cols);
  send = {};
  // Rank s sent, in epoch order, the rows of mine that it owns: place them in that order.
  e.values.resize(static_cast<std::size_t>(n_mine * cols));
  std::vector<std::vector<std::int64_t>> slots(static_cast<std::size_t>(P));
  for (std::int64_t i = 0; i < n_mine; ++i) slots[block_owner(N, P, mine[i])].push_back(i);
  at = 0;
  for (int q = 0; q < P; ++q)
    for (auto slot : slots[q])
      std::memcpy(&e.values[slot * cols], &received[(at++) * cols], row_bytes);
  for (std::int64_t i = 0; i < n_mine; ++i) e.rows[i] = &e.values[i * cols];
  return e;
}

// The ranks of one node meeting twice a step in MPI shared memory. MPI_Barrier spins until
// every rank arrives; when the node's cores are shared with other work, the OS often
// deschedules one rank for a timeslice, and the other then burns its core spinning. Here a
// rank spins briefly (the ranks normally arrive within microseconds of each other) and then
// sleeps on a futex in the shared page until the last rank arrives and wakes it. Acquire/
// release ordering on the counters makes every write before wait() visible to every rank
// after it (what MPI_Win_sync + MPI_Barrier guaranteed).
class NodeBarrier {
 public:
  // `words` (4 of them, in memory shared by the `ranks` ranks) must be zero before first use.
  NodeBarrier(std::uint32_t* words, int ranks) : words_(words), ranks_(ranks) {}

  void wait() {
    std::atomic_ref<std::uint32_t> arrived(words_[0]), generation(words_[1]), sleepers(words_[2]);
    const std::uint32_t current = generation.load(std::memory_order_acquire);
    if (arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == static_cast<std::uint32_t>(ranks_)) {
      arrived.store(0, std::memory_order_relaxed);  // before the release below: seen by all
      generation.store(current + 1, std::memory_order_seq_cst);
      if (sleepers.load(std::memory_order_seq_cst) > 0) futex(FUTEX_WAKE, INT_MAX);
      return;
    }
    for (int spin = 0; spin < kSpins; ++spin) {
      if (generation.load(std::memory_order_acquire) != current) return;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    sleepers.fetch_add(1, std::memory_order_seq_cst);
    // FUTEX_WAIT returns at once if the generation has moved on (no lost wake-up), and on
    // a signal (the stop flag is read after the step; keep waiting).
    while (generation.load(std::memory_order_seq_cst) == current) futex(FUTEX_WAIT, current);
    sleepers.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  // 4000 pauses: at most a few hundred microseconds. 1000 gave a better CPU-second figure
  // at 2 ranks (60k vs 56k samples/s) but a worse wall-clock one (54k vs 56k).
  static constexpr int kSpins = 4000;
  long futex(int op, std::uint32_t value) {
    return syscall(SYS_futex, &words_[1], op, value, nullptr, nullptr, 0);
  }
  std::uint32_t* words_;
  int ranks_;
};

// Loss and accuracy sums of a shard in inference mode.
nn::BatchTotals evaluate_shard(const nn::Architecture& a, std::span<const float> parameters,
                               const ShardedData& shard, nn::Workspace<float>& ws) {
  nn::BatchTotals sum;
  for (std::int64_t begin = 0; begin < shard.rows; begin += ws.max_rows) {
    const std::int64_t rows = std::min(ws.max_rows, shard.rows - begin);
    const auto t = nn::forward_backward<float>(
        a, parameters.data(), nullptr, shard.values.data() + begin * shard.cols,
        shard.labels.data() + begin, nullptr, rows, nullptr, ws);
    sum.loss += t.loss;
    sum.correct += t.correct;
    sum.rows += t.rows;
  }
  return sum;
}

void check_shard(const ShardedData& d, const char* what, std::int64_t classes,
                 const mpi::Comm& comm) {
  const auto expected = mpi::block_range(d.total_rows, comm.size(), comm.rank());
  if (d.first_row != expected.begin || d.rows != expected.size())
    throw Error(strprintf("%s rows on rank %d are not its block of the %lld rows", what,
                          comm.rank(), static_cast<long long>(d.total_rows)));
  if (static_cast<std::int64_t>(d.values.size()) != d.rows * d.cols ||
      static_cast<std::int64_t>(d.labels.size()) != d.rows)
    throw Error(std::string(what) + " data: values or labels do not match the row count");
  for (auto label : d.labels)
    if (label < 0 || label >= classes)
      throw Error(strprintf("%s data: label %d outside the %lld classes", what, label,
                            static_cast<long long>(classes)));
}

// What the ranks tell each other after every step (the largest wins).
enum StepStatus : int { kGoOn = 0, kStopRequested = 1, kLossInfinite = 2, kLossNaN = 3 };

// Training that blew up: where, and what usually causes it.
std::string divergence_message(const char* what, std::int64_t epoch, std::int64_t step,
                               std::int64_t steps, const TrainOptions& options,
                               const TrainControl& control) {
  std::string text = strprintf(
      "training diverged: the loss is %s in epoch %lld, step %lld of %lld (learning rate %g). "
      "Try a lower --learning-rate, and check that the inputs are scaled (pancan prepare's "
      "min-max statistics; raw expression values in the thousands overflow a network)",
      what, static_cast<long long>(epoch + 1), static_cast<long long>(step + 1),
      static_cast<long long>(steps), options.learning_rate);
  if (!control.checkpoint_path.empty() && (epoch > 0 || control.resume))
    text += "; " + control.checkpoint_path + " keeps the last checkpoint from before";
  return text;
}

// What a checkpoint must agree with to be resumed.
void check_resumable(const Model& saved, const nn::Architecture& a, const TrainOptions& o,
                     const std::string& path) {
  const auto& s = saved.options;
  const bool same = saved.architecture.inputs == a.inputs &&
                    saved.architecture.hidden == a.hidden &&
                    saved.architecture.classes == a.classes && s.dropout == o.dropout &&
                    s.batch_size == o.batch_size && s.learning_rate == o.learning_rate &&
                    s.seed == o.seed && s.early_stopping_patience == o.early_stopping_patience;
  if (!same)
    throw UsageError("--resume: " + path +
                     " was trained with other options (only --epochs may change on resume)");
  if (!saved.state) throw Error("--resume: " + path + " holds no checkpoint");
}

}  // namespace

ShardedData take_shard(std::span<const float> values, std::span<const std::int32_t> labels,
                       std::int64_t cols, const mpi::Comm& comm) {
  ShardedData d;
  d.total_rows = static_cast<std::int64_t>(labels.size());
  d.cols = cols;
  const auto r = mpi::block_range(d.total_rows, comm.size(), comm.rank());
  d.first_row = r.begin;
  d.rows = r.size();
  d.values.assign(values.begin() + r.begin * cols, values.begin() + r.end * cols);
  d.labels.assign(labels.begin() + r.begin, labels.begin() + r.end);
  return d;
}

TrainResult train(const TrainOptions& options, const ShardedData& train_data,
                  const ShardedData& validation, const Model& about, const TrainControl& control,
                  const mpi::Comm& comm) {
  fault::point("train", "start");
  const FlushDenormals flush_denormals;  // see optim.hpp
  const int P = comm.size(), me = comm.rank();
  nn::Architecture a{train_data.cols, options.hidden,
                     static_cast<std::int64_t>(about.classes.size()), options.dropout};
  // Checked on every rank and agreed on, so a problem is reported once (by rank 0) and no
  // rank is left waiting in a collective.
  mpi::agree(comm, [&] {
    nn::validate(a);
    require_option(options.epochs >= 0, "epochs", "must be >= 0");
    require_option(options.batch_size >= 1, "batch-size", "must be >= 1");
    require_option(options.learning_rate > 0, "learning-rate", "must be > 0");
    require_option(options.early_stopping_patience >= 0, "early-stopping-patience", "must be >= 0");
    require_option(options.early_stopping_patience == 0 || validation.total_rows > 0,
                   "early-stopping-patience", "needs validation rows");
    if (train_data.total_rows == 0) throw Error("no training rows");
    if (validation.total_rows > 0 && validation.cols != a.inputs)
      throw Error("validation data has a different number of columns from the training data");
    check_shard(train_data, "training", a.classes, comm);
    check_shard(validation, "validation", a.classes, comm);
  });

  const std::int64_t n_params = nn::parameter_count(a);
  const std::int64_t N = train_data.total_rows;
  const bool early_stopping = options.early_stopping_patience > 0;

  Model model = about;
  model.architecture = a;
  model.options = options;
  model.ranks = P;
  model.train_samples = N;
  model.validation_samples = validation.total_rows;
  model.complete = false;

  // The parameters are whole on every rank (or shared on a node); the Adam moments exist
  // only as this rank's slice: a block of the first layer's kernel rows (the last rank also
  // takes every later layer, a few hundred parameters), so a rank can compute the kernel
  // gradient of its rows and update them in one pass.
  const auto first_layer = nn::dense_layers(a).front();
  const std::int64_t O0 = first_layer.outputs, kernel0 = a.inputs * O0;
  // A rank's kernel rows are whole groups of the first layer's inputs (nn::kInputGroups),
  // so that it can sum its groups of the next batch's first layer as it updates them.
  auto groups_of = [&](int q) { return mpi::block_range(nn::kInputGroups, P, q); };
  auto kernel_rows_of = [&](int q) {
    const auto groups = groups_of(q);
    return mpi::Range{nn::input_group_begin(a.inputs, groups.begin),
                      nn::input_group_begin(a.inputs, groups.end)};
  };
  auto slice_of = [&](int q) {
    const auto rows = kernel_rows_of(q);
    return mpi::Range{rows.begin * O0, q == P - 1 ? n_params : rows.end * O0};
  };
  std::vector<int> slice_counts(static_cast<std::size_t>(P));
  for (int q = 0; q < P; ++q) slice_counts[q] = static_cast<int>(slice_of(q).size());
  const auto slice = slice_of(me);
  std::vector<float> parameters(static_cast<std::size_t>(n_params));
  std::vector<float> m_values(static_cast<std::size_t>(slice.size())), v_values(m_values.size());
  std::span<float> m(m_values), v(v_values);  // moved to node-shared memory below, if shared
  TrainingState state;
  state.ranks = P;
  state.best_val_loss = std::numeric_limits<double>::infinity();

  if (control.resume) {
    Model saved;
    mpi::agree(comm, [&] {
      saved = load_model(control.checkpoint_path, true);
      check_resumable(saved, a, options, control.checkpoint_path);
    });
    state = *saved.state;
    if (state.ranks != P)
      warn(
          strprintf("resuming a %d-rank run on %d ranks: the result will equal an "
                    "uninterrupted run only up to floating-point summation order",
                    state.ranks, P));
    state.ranks = P;
    parameters = state.current_parameters;
    std::copy_n(state.adam_m.begin() + slice.begin, slice.size(), m.begin());
    std::copy_n(state.adam_v.begin() + slice.begin, slice.size(), v.begin());
    model.history = saved.history;
    if (control.report)
      say(strprintf("resuming %s at epoch %lld, step %lld", control.checkpoint_path.c_str(),
                    static_cast<long long>(state.next_epoch + 1),
                    static_cast<long long>(state.next_step)));
  } else {
    nn::glorot_uniform(a, parameters, options.seed);
  }
  state.adam_m.clear();
  state.adam_v.clear();
  state.current_parameters.clear();

  // On one node the ranks share one copy of the parameters and read each other's
  // gradients in place: two barriers a step and no copies. Across nodes the gradient sums
  // travel by reduce-scatter and the updated slices by allgather. Either way each rank
  // updates only its slice (ZeRO stage 1).
  const bool shared = P > 1 && control.node_shared_memory && mpi::on_one_node(comm);
  const std::int64_t max_part = (options.batch_size + P - 1) / P;
  // Each rank's block of the shared gradient window: its gradients (only the layers after
  // the first kernel are used), then the gradient of its rows with respect to the first
  // layer's output (max_part rows of O0, padded and cache-line aligned: every rank computes
  // its kernel rows from all of them), then its step status.
  const std::int64_t delta_stride = nn::padded_row(O0);
  const std::int64_t window_floats = n_params + 16 + max_part * delta_stride + 1;
  std::optional<mpi::SharedWindow> shared_parameters, shared_gradients;
  std::span<float> params(parameters);
  std::vector<float> local_gradients;
  float* gradients = nullptr;
  if (shared) {
    const auto bytes = static_cast<std::size_t>(n_params) * sizeof(float);
    shared_parameters.emplace(comm, me == 0 ? bytes : 0);
    shared_gradients.emplace(comm, static_cast<std::size_t>(window_floats) * sizeof(float));
    params = {static_cast<float*>(shared_parameters->base(0)), parameters.size()};
    gradients = static_cast<float*>(shared_gradients->base(me));
    if (me == 0) std::copy(parameters.begin(), parameters.end(), params.begin());
    shared_parameters->synchronize();
    parameters = {};
  } else {
    local_gradients.resize(static_cast<std::size_t>(n_params));
    gradients = local_gradients.data();
  }
  auto snapshot = [&] { return std::vector<float>(params.begin(), params.end()); };
  std::optional<mpi::SharedWindow> shared_rows, barrier_words, shared_moments;
  std::optional<NodeBarrier> barrier;
  if (shared) {
    barrier_words.emplace(comm, me == 0 ? 64 : 0);
    auto* words = static_cast<std::uint32_t*>(barrier_words->base(0));
    if (me == 0) std::fill_n(words, 4, 0u);
    barrier.emplace(words, P);
    // The Adam moments of every slice where rank 0 can read them for a checkpoint (instead
    // of gathering 2 x 4 bytes per parameter through MPI every epoch).
    shared_moments.emplace(comm, 2 * m.size() * sizeof(float));
    auto* moments = static_cast<float*>(shared_moments->base(me));
    std::copy(m_values.begin(), m_values.end(), moments);
    std::copy(v_values.begin(), v_values.end(), moments + m.size());
    m = {moments, m.size()};
    v = {moments + m.size(), v.size()};
    m_values = {};
    v_values = {};
    shared_rows.emplace(comm, train_data.values.size() * sizeof(float));
    std::copy(train_data.values.begin(), train_data.values.end(),
              static_cast<float*>(shared_rows->base(me)));
    shared_rows->synchronize();
  }

  nn::Workspace<float> workspace(a, max_part);
  nn::Workspace<float> eval_workspace(a, kEvaluationRows);
  std::vector<float> gradient_slice(static_cast<std::size_t>(slice.size()));
  const auto all_labels = comm.allgatherv<std::int32_t>(train_data.labels);
  const AdamOptions adam{options.learning_rate};
  // The first layer's kernel rows of this rank: the gradient over the batch rows `x` (with
  // d_out rows `delta`) a block of rows at a time, each block updated by Adam while it is
  // in cache (no gradient buffer of the whole kernel is written or read back). Within a
  // block, gradient and update take turns every kAdamRows rows, which measured faster than
  // updating the block after its whole gradient (bench/train at 1 rank: 49.5k -> 54-55k
  // samples/s; 3, 6 and 12 rows alike, and blocks of 30 to 96 rows; 16 lets the gradient
  // of the kernel's last O % 16 outputs load 16 whole inputs a row). Why, as far as
  // measured: the update streams the Adam moments from memory (it takes as long with an
  // approximate square root, but less on cache-resident moments), and finer turns leave
  // the core's outstanding misses to overlap the gradient's multiply-adds; prefetching the
  // moments in software was slower.
  constexpr std::int64_t kUpdateRows = 32;
  constexpr std::int64_t kAdamRows = 16;
  std::vector<float> kernel_block(static_cast<std::size_t>(kAdamRows * O0));
  // With `next` (the next step's rows of the whole batch), also each of this rank's groups'
  // sums of the next step's first layer, block by block while the new kernel rows are in
  // cache: the next forward pass need not read the whole kernel again, and on one node a
  // rank's kernel rows stay in its own core's cache. The sums go to group_sums(q, g).
  struct NextBatch {
    const float* const* x = nullptr;
    std::int64_t rows = 0;
  };
  const std::int64_t sums_floats = nn::kInputGroups * options.batch_size * O0;
  std::vector<float> local_sums;
  std::optional<mpi::SharedWindow> shared_sums;
  auto group_sums = [&](int q, std::int64_t g) {
    float* base = shared_sums ? static_cast<float*>(shared_sums->base(q)) : local_sums.data();
    return base + g * options.batch_size * O0;
  };
  auto update_kernel_rows = [&](const float* const* x, const float* const* delta, std::int64_t rows,
                                float scale, const AdamCoefficients& c, NextBatch next = {}) {
    const auto groups = groups_of(me);
    for (std::int64_t g = groups.begin; g < groups.end; ++g) {
      const std::int64_t g0 = nn::input_group_begin(a.inputs, g);
      const std::int64_t g1 = nn::input_group_begin(a.inputs, g + 1);
      if (next.x != nullptr && g0 == g1)
        nn::dense_forward_rows_sum(group_sums(me, g), next.x, params.data(), next.rows, O0, g0, g1,
                                   true);
      for (std::int64_t i0 = g0; i0 < g1; i0 += kUpdateRows) {
        const std::int64_t i1 = std::min(g1, i0 + kUpdateRows);
        for (std::int64_t j0 = i0; j0 < i1; j0 += kAdamRows) {
          const std::int64_t j1 = std::min(i1, j0 + kAdamRows), at = j0 * O0;
          nn::dense_weight_gradient_rows(kernel_block.data(), x, delta, rows, O0, j0, j1);
          adam_update(params.data() + at, kernel_block.data(), scale, m.data() + (at - slice.begin),
                      v.data() + (at - slice.begin), (j1 - j0) * O0, c);
        }
        if (next.x != nullptr)
          nn::dense_forward_rows_sum(group_sums(me, g), next.x, params.data() + first_layer.weight,
                                     next.rows, O0, i0, i1, i0 == g0);
      }
    }
  };
  std::vector<int> owner_of_group(static_cast<std::size_t>(nn::kInputGroups));
  for (int q = 0; q < P; ++q)
    for (auto g = groups_of(q).begin; g < groups_of(q).end; ++g) owner_of_group[g] = q;
  // The next step's first layer for this rank's `rows` rows (from row `first` of the global
  // batch) from every group's sums, into the workspace.
  std::vector<const float*> sums_of_groups(static_cast<std::size_t>(nn::kInputGroups));
  auto finish_first_layer = [&](std::int64_t first, std::int64_t rows) {
    for (std::int64_t g = 0; g < nn::kInputGroups; ++g)
      sums_of_groups[g] = group_sums(owner_of_group[g], g) + first * O0;
    nn::dense_forward_rows_finish(workspace.outputs[0].data(), params.data() + first_layer.bias,
                                  sums_of_groups.data(), rows, O0);
  };
  if (shared)
    shared_sums.emplace(comm, static_cast<std::size_t>(sums_floats) * sizeof(float));
  else if (P == 1)
    local_sums.resize(static_cast<std::size_t>(sums_floats));
  // The layers after the first kernel (this rank's part of them: all or nothing).
  auto update_rest = [&](const float* gradient_sums, float scale, const AdamCoefficients& c) {
    const std::int64_t begin = std::max(slice.begin, kernel0);
    if (begin >= slice.end) return;
    adam_update(params.data() + begin, gradient_sums + (begin - kernel0), scale,
                m.data() + (begin - slice.begin), v.data() + (begin - slice.begin),
                slice.end - begin, c);
  };
  std::vector<const float*> delta_rows(static_cast<std::size_t>(options.batch_size));
  auto delta_of = [&](int q) {  // rank q's first-layer output gradients; its status follows
    return nn::cache_line_aligned(static_cast<float*>(shared_gradients->base(q)) + n_params);
  };

  // Writes the model file with the loop state (root writes; every rank takes part in
  // gathering the Adam moments).
  // On one node rank 0 reads the moments in shared memory while the others sleep in the
  // barrier (they would spin in the gather and the agreement for the whole write).
  CheckpointWriter checkpoint_writer(control.checkpoint_path);
  auto checkpoint = [&](bool complete) {
    if (control.checkpoint_path.empty()) return;
    std::vector<float> full_m, full_v;
    std::exception_ptr failure;
    if (shared) {
      if (me == 0) {
        full_m.resize(static_cast<std::size_t>(n_params));
        full_v.resize(full_m.size());
        for (int q = 0; q < P; ++q) {
          const auto* moments = static_cast<const float*>(shared_moments->base(q));
          const auto r = slice_of(q);
          std::copy_n(moments, r.size(), full_m.begin() + r.begin);
          std::copy_n(moments + r.size(), r.size(), full_v.begin() + r.begin);
        }
      }
    } else {
      full_m = comm.gatherv<float>(m);
      full_v = comm.gatherv<float>(v);
    }
    auto save = [&] {
      if (!comm.is_root()) return;
      Model out = model;
      out.complete = complete;
      if (complete && early_stopping && !state.best_parameters.empty())
        out.parameters = state.best_parameters;
      else
        out.parameters = snapshot();
      TrainingState saved = state;
      saved.current_parameters = snapshot();
      saved.adam_m = std::move(full_m);
      saved.adam_v = std::move(full_v);
      out.state = std::move(saved);
      if (complete)
        save_model(out, control.checkpoint_path);  // a fresh file, and no PATH.tmp left
      else
        checkpoint_writer.write(out);
    };
    if (shared) {
      try {
        save();
      } catch (...) {
        failure = std::current_exception();
      }
      barrier->wait();  // the moments are read: the others may go on
    }
    mpi::agree(comm, [&] {
      if (!shared) save();
      if (failure) std::rethrow_exception(failure);
    });
  };

  if (control.report && !control.resume) {
    say(nn::summary_table(a));
    say(strprintf(
        "training on %lld samples (validation %lld) over %d rank%s: batch %d, "
        "%lld steps per epoch, %d epochs",
        static_cast<long long>(N), static_cast<long long>(validation.total_rows), P,
        P == 1 ? "" : "s", options.batch_size,
        static_cast<long long>((N + options.batch_size - 1) / options.batch_size), options.epochs));
  }

  bool stopped = false;
  for (std::int64_t epoch = state.next_epoch; epoch < options.epochs && !state.stopped_early;
       ++epoch) {
    const double epoch_start = wall_seconds(), cpu_start = cpu_seconds();
    EpochData e = plan_epoch(train_data, all_labels, epoch, options, comm,
                             shared_rows ? &*shared_rows : nullptr);
    const nn::DropoutKey key{options.seed, epoch, 0};
    double loss = 0, communication = 0;
    std::int64_t correct = 0;
    const auto steps = static_cast<std::int64_t>(e.batch_sizes.size());
    std::int64_t step = state.next_step;
    bool first_layer_ready = false;  // the last update computed this step's first layer
    for (; step < steps; ++step) {
      const std::int64_t begin = e.step_begin[step], rows = e.step_begin[step + 1] - begin;
      const std::int64_t batch = e.batch_sizes[step];
      // Multi-node ranks compute their whole gradient (the kernel too) for the collectives;
      // otherwise the kernel gradient is computed per block of rows by its updater.
      const bool whole_gradient = P > 1 && !shared;
      if (first_layer_ready) finish_first_layer(mpi::block_range(batch, P, me).begin, rows);
      const auto t = nn::forward_backward_rows<float>(
          a, params.data(), gradients, e.rows.data() + begin, e.labels.data() + begin,
          e.ids.data() + begin, rows, &key, workspace, !whole_gradient, first_layer_ready);
      loss += t.loss;
      correct += t.correct;
      const float scale = 1.0f / static_cast<float>(batch);
      ++state.adam_step;
      const auto c = adam_coefficients(state.adam_step, adam);
      fault::point("train", "step");
      // Did this rank get a stop signal, or a loss that is not finite? The largest status
      // of all ranks decides, so that every rank stops at the same step.
      int status = std::isnan(t.loss)                                   ? kLossNaN
                   : std::isinf(t.loss)                                 ? kLossInfinite
                   : control.stop_requested && control.stop_requested() ? kStopRequested
                                                                        : kGoOn;
      // The next step's whole batch, for the first layer's sums (not across an epoch's end).
      auto next_batch = [&]() -> NextBatch {
        if (step + 1 >= steps || status != kGoOn) return {};
        if (P == 1)
          return {e.rows.data() + e.step_begin[step + 1],
                  e.step_begin[step + 2] - e.step_begin[step + 1]};
        return {e.all_rows.data() + (step + 1) * options.batch_size, e.batch_sizes[step + 1]};
      };
      first_layer_ready = false;
      if (P == 1) {
        const NextBatch next = next_batch();
        update_kernel_rows(e.rows.data() + begin, workspace.delta_rows.data(), rows, scale, c,
                           next);
        update_rest(gradients + kernel0, scale, c);
        first_layer_ready = next.x != nullptr;
      } else if (shared) {
        // Publish this rank's part of the first layer's output gradient and its status; after
        // the barrier every rank computes the kernel gradient of its own kernel rows from all
        // the batch's rows (in batch order, so the sum is the same at any rank count) and
        // updates them; the last rank sums the later layers' gradients in rank order and
        // updates those. A second barrier and every rank sees the new parameters.
        float* delta = delta_of(me);
        for (std::int64_t j = 0; j < rows; ++j)
          std::copy_n(workspace.delta_rows[j], O0, delta + j * delta_stride);
        delta[max_part * delta_stride] = static_cast<float>(status);
        const double c0 = wall_seconds();
        barrier->wait();
        communication += wall_seconds() - c0;
        for (int q = 0; q < P; ++q) {
          const float* delta = delta_of(q);
          status = std::max(status, static_cast<int>(delta[max_part * delta_stride]));
          const auto part = mpi::block_range(batch, P, q);
          for (std::int64_t j = part.begin; j < part.end; ++j)
            delta_rows[j] = delta + (j - part.begin) * delta_stride;
        }
        if (status < kLossInfinite) {
          const NextBatch next = next_batch();
          update_kernel_rows(e.all_rows.data() + step * options.batch_size, delta_rows.data(),
                             batch, scale, c, next);
          first_layer_ready = next.x != nullptr;
          if (slice.end > kernel0) {
            const std::int64_t n_rest = n_params - kernel0;
            const float* first = static_cast<const float*>(shared_gradients->base(0)) + kernel0;
            std::copy_n(first, n_rest, gradient_slice.begin());
            for (int q = 1; q < P; ++q) {
              const float* g = static_cast<const float*>(shared_gradients->base(q)) + kernel0;
              for (std::int64_t i = 0; i < n_rest; ++i) gradient_slice[i] += g[i];
            }
            update_rest(gradient_slice.data(), scale, c);
          }
          const double c1 = wall_seconds();
          barrier->wait();
          communication += wall_seconds() - c1;
        }
      } else {
        const double c0 = wall_seconds();
        comm.reduce_scatter_sum<float>({gradients, static_cast<std::size_t>(n_params)},
                                       gradient_slice, slice_counts);
        const double c1 = wall_seconds();
        adam_update(params.data() + slice.begin, gradient_slice.data(), scale, m.data(), v.data(),
                    slice.size(), c);
        const double c2 = wall_seconds();
        comm.allgather_blocks<float>(params, slice_counts);
        communication += (c1 - c0) + (wall_seconds() - c2);
      }
      if (P > 1 && !shared) status = comm.max(status);
      if (status >= kLossInfinite)
        throw mpi::CollectiveError(divergence_message(status == kLossNaN ? "NaN" : "infinite",
                                                      epoch, step, steps, options, control),
                                   0, kExitError);
      if (status == kStopRequested) {
        rank_log(strprintf("stop requested: stopping after step %lld of epoch %lld",
                           static_cast<long long>(step + 1), static_cast<long long>(epoch + 1)));
        stopped = true;
        ++step;
        break;
      }
    }
    const double train_seconds = wall_seconds() - epoch_start;
    const double my_train_cpu = cpu_seconds() - cpu_start;

    if (stopped) {  // a checkpoint in the middle of the epoch, with its partial sums
      state.next_epoch = epoch;
      state.next_step = step;
      state.partial_loss += comm.sum(loss);
      state.partial_correct += comm.sum(correct);
      state.partial_rows =
          std::accumulate(e.batch_sizes.begin(), e.batch_sizes.begin() + step, std::int64_t{0});
      state.partial_seconds += train_seconds;
      state.partial_communication += comm.max(communication);
      state.partial_cpu += comm.max(my_train_cpu);
      checkpoint(false);
      if (control.report)
        say(strprintf("stopped in epoch %lld at step %lld; checkpoint written",
                      static_cast<long long>(epoch + 1), static_cast<long long>(step)));
      break;
    }

    // The epoch's figures in three small collectives (a handful a epoch matters when an
    // epoch is a few milliseconds, as on the 801-sample data): the sums, the busiest rank's
    // synchronisation and CPU seconds, and rank 0's clock (every rank must agree on the
    // history: it is written from rank 0 and compared across ranks by tests).
    const auto val = evaluate_shard(a, params, validation, eval_workspace);
    std::array<double, 4> sums{loss, static_cast<double>(correct), val.loss,
                               static_cast<double>(val.correct)};
    comm.allreduce_sum<double>(sums);
    const std::array<double, 2> mine{communication, my_train_cpu};
    const auto every = comm.allgatherv<double>(mine);
    double busiest_communication = 0, train_cpu = 0;
    for (std::size_t i = 0; i < every.size(); i += 2) {
      busiest_communication = std::max(busiest_communication, every[i]);
      train_cpu = std::max(train_cpu, every[i + 1]);
    }
    const double train_total = train_seconds + state.partial_seconds;
    std::array<double, 2> clock{wall_seconds() - epoch_start + state.partial_seconds,
                                static_cast<double>(N) / train_total};
    comm.broadcast<double>(clock);

    EpochRecord r;
    r.epoch = static_cast<int>(epoch + 1);
    r.loss = (sums[0] + state.partial_loss) / static_cast<double>(N);
    r.accuracy = (sums[1] + static_cast<double>(state.partial_correct)) / static_cast<double>(N);
    r.communication_seconds = busiest_communication + state.partial_communication;
    const auto V = static_cast<double>(validation.total_rows);
    r.val_loss = V > 0 ? sums[2] / V : std::numeric_limits<double>::quiet_NaN();
    r.val_accuracy = V > 0 ? sums[3] / V : std::numeric_limits<double>::quiet_NaN();
    r.seconds = clock[0];
    r.samples_per_second = clock[1];
    r.cpu_seconds = train_cpu + state.partial_cpu;
    model.history.push_back(r);

    state.next_epoch = epoch + 1;
    state.next_step = 0;
    state.partial_loss = state.partial_seconds = state.partial_communication = 0;
    state.partial_cpu = 0;
    state.partial_correct = state.partial_rows = 0;
    std::string note;
    if (early_stopping) {
      if (r.val_loss < state.best_val_loss) {  // Keras: improvement = strictly lower
        state.best_val_loss = r.val_loss;
        state.best_epoch = r.epoch;
        state.best_parameters = snapshot();
        state.wait = 0;
      } else if (++state.wait >= options.early_stopping_patience) {
        state.stopped_early = true;
        note = strprintf("  early stop: best val_loss at epoch %lld",
                         static_cast<long long>(state.best_epoch));
      }
    }
    model.parameters = snapshot();
    // After the last epoch the complete model is written right away; an epoch-end
    // checkpoint of the same weights first would be a wasted write.
    const bool last = epoch + 1 == options.epochs || state.stopped_early;
    if (!last) checkpoint(false);
    if (control.report)
      say(
          strprintf("epoch %d/%d  loss %.4f  accuracy %.4f  val_loss %.4f  val_accuracy %.4f  "
                    "%.2f s  %.0f samples/s  (collectives %.0f%%)%s",
                    r.epoch, options.epochs, r.loss, r.accuracy, r.val_loss, r.val_accuracy,
                    r.seconds, r.samples_per_second,
                    100 * r.communication_seconds / std::max(train_total, 1e-12), note.c_str()));
  }

  if (!stopped) {
    model.complete = true;
    if (early_stopping && !state.best_parameters.empty()) {
      if (control.report && state.best_epoch != static_cast<std::int64_t>(model.history.size()))
        say(strprintf("restoring the weights of epoch %lld (best val_loss %.4f)",
                      static_cast<long long>(state.best_epoch), state.best_val_loss));
      model.parameters = state.best_parameters;
    } else {
      model.parameters = snapshot();
    }
    checkpoint(true);
  } else {
    model.parameters = snapshot();
  }
  TrainResult result;
  result.model = std::move(model);
  result.model.state = state;  // the loop state without the Adam moments (those are in the file)
  result.stopped = stopped;
  return result;
}

}  // namespace pancan
