// Kernels of one training step of the notebook's model 1 (4102 -> 100 -> 5, batch 32) on
// one core: the forward/backward pass, the Adam update over all 410,805 parameters, and a
// large single-thread Eigen GEMM for the machine's fp32 matrix-multiply rate. Figures of
// merit: samples/s (forward_backward), parameters/s (Adam), FLOP/s (GEMM).
//   build-*/bench/train_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

// GCC 12's false -Wmaybe-uninitialized inside AVX-512 intrinsics (see src/nn.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Core>
#include <algorithm>
#include <numeric>
#include <vector>

#include "pancan/nn.hpp"
#include "pancan/optim.hpp"
#include "pancan/rng.hpp"

namespace {

using namespace pancan;

std::vector<float> uniform_values(std::size_t n, std::uint64_t key) {
  CounterRng rng(7, {key});
  std::vector<float> v(n);
  for (auto& x : v) x = rng.uniform_float();
  return v;
}

void BM_ForwardBackward(benchmark::State& state) {
  const std::int64_t B = state.range(0), hidden2 = state.range(1);
  nn::Architecture a{4102, {100}, 5, 0.3};
  if (hidden2 > 0) a.hidden.push_back(hidden2);
  std::vector<float> params(static_cast<std::size_t>(nn::parameter_count(a)));
  nn::glorot_uniform(a, params, 1);
  std::vector<float> grads(params.size());
  const auto x = uniform_values(static_cast<std::size_t>(B * a.inputs), 2);
  std::vector<std::int32_t> labels(static_cast<std::size_t>(B));
  std::vector<std::int64_t> ids(static_cast<std::size_t>(B));
  for (std::int64_t b = 0; b < B; ++b) labels[b] = static_cast<std::int32_t>(b % 5), ids[b] = b;
  nn::Workspace<float> ws(a, B);
  const nn::DropoutKey key{1, 0, 0};
  for (auto _ : state) {
    auto t = nn::forward_backward<float>(a, params.data(), grads.data(), x.data(), labels.data(),
                                         ids.data(), B, &key, ws);
    benchmark::DoNotOptimize(t.loss);
    benchmark::ClobberMemory();
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(B), benchmark::Counter::kIsIterationInvariantRate);
  // Forward 2*B*I*H, weight gradient 2*B*I*H (the data needs no gradient); small layers ignored.
  state.counters["FLOP/s"] = benchmark::Counter(4.0 * static_cast<double>(B * a.inputs * 100),
                                                benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ForwardBackward)->Args({32, 0})->Args({16, 0})->Args({32, 10})->Args({256, 0});

// One rank's work in a training step of model 1 at P ranks on one node, as train() does it
// (barriers excluded): forward/backward of its B/P rows with the first kernel's gradient
// deferred, then the kernel gradient of its I/P kernel rows from all B rows, updated by
// Adam 16 rows at a time (train's kAdamRows; the next batch's sums are left out).
// samples/s = B / time: what P ranks reach with a core each and free barriers; compare
// P = 1 and 2 for the scaling the kernels allow.
void BM_TrainStep(benchmark::State& state) {
  const std::int64_t B = state.range(0), P = state.range(1), part = (B + P - 1) / P;
  nn::Architecture a{4102, {100}, 5, 0.3};
  const std::int64_t O = 100, n = nn::parameter_count(a), kernel = a.inputs * O;
  const std::int64_t rows_of_rank = (a.inputs + P - 1) / P;
  std::vector<float> params(static_cast<std::size_t>(n));
  nn::glorot_uniform(a, params, 1);
  std::vector<float> grads(params.size()), m(params.size()), v(params.size());
  // The rows of a shuffled batch are scattered over the training data.
  const std::int64_t pool = 4 * B;
  const auto x = uniform_values(static_cast<std::size_t>(pool * a.inputs), 2);
  std::vector<const float*> rows(static_cast<std::size_t>(B));
  for (std::int64_t b = 0; b < B; ++b) rows[b] = x.data() + ((b * 7) % pool) * a.inputs;
  std::vector<std::int32_t> labels(static_cast<std::size_t>(B));
  std::vector<std::int64_t> ids(static_cast<std::size_t>(B));
  for (std::int64_t b = 0; b < B; ++b) labels[b] = static_cast<std::int32_t>(b % 5), ids[b] = b;
  nn::Workspace<float> ws(a, part);
  const nn::DropoutKey key{1, 0, 0};
  std::vector<const float*> delta(static_cast<std::size_t>(B));
  std::vector<float> block(16 * O);
  std::int64_t step = 0;
  for (auto _ : state) {
    nn::forward_backward_rows<float>(a, params.data(), grads.data(), rows.data(), labels.data(),
                                     ids.data(), part, &key, ws, true);
    for (std::int64_t b = 0; b < B; ++b) delta[b] = ws.delta_rows[b % part];
    const auto c = adam_coefficients(++step, {});
    for (std::int64_t i0 = 0; i0 < rows_of_rank; i0 += 16) {
      const std::int64_t i1 = std::min(rows_of_rank, i0 + 16);
      nn::dense_weight_gradient_rows(block.data(), rows.data(), delta.data(), B, O, i0, i1);
      adam_update(params.data() + i0 * O, block.data(), 1.0f / B, m.data() + i0 * O,
                  v.data() + i0 * O, (i1 - i0) * O, c);
    }
    if (P == 1)
      adam_update(params.data() + kernel, grads.data() + kernel, 1.0f / B, m.data() + kernel,
                  v.data() + kernel, n - kernel, c);
    benchmark::ClobberMemory();
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(B), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_TrainStep)->Args({32, 1})->Args({32, 2});

void BM_Adam(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto p = uniform_values(n, 3), g = uniform_values(n, 4);
  std::vector<float> m(n, 0.0f), v(n, 0.0f);
  std::int64_t step = 0;
  for (auto _ : state) {
    adam_step(p, g, 1.0f / 32, m, v, ++step, {});
    benchmark::ClobberMemory();
  }
  state.counters["params/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Adam)->Arg(410805)->Arg(410805 / 2);

void BM_EigenGemm(benchmark::State& state) {
  const auto n = state.range(0);
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Matrix a = Matrix::Random(n, n), b = Matrix::Random(n, n), c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(n * n * n),
                                                benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EigenGemm)->Arg(2048);

}  // namespace

// train() flushes denormals to zero (as TensorFlow does on CPU); so do the benchmarks,
// whose repeated steps on one batch would otherwise drive Adam's moments into denormals.
int main(int argc, char** argv) {
  pancan::FlushDenormals flush;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
