// The dense network: layer kernels (Eigen maps over raw buffers) and the whole-network
// forward/backward pass over one parameter buffer. Shape legend: nn.hpp.
#include "pancan/nn.hpp"

// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 intrinsics when inlining
// Eigen's double-precision GEMM packing (a false positive from the middle end, not our code).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "pancan/error.hpp"
#include "pancan/log.hpp"
#include "pancan/rng.hpp"

namespace pancan::nn {

namespace {

template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MatrixMap = Eigen::Map<Matrix<T>>;
template <class T>
using ConstMatrixMap = Eigen::Map<const Matrix<T>>;
template <class T>
using RowMap = Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>>;
template <class T>
using ConstRowMap = Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>;

// Keys that separate the RNG streams of different purposes under one seed.
constexpr std::uint64_t kInitStream = 0x696e6974;     // "init"
constexpr std::uint64_t kDropoutStream = 0x64726f70;  // "drop"

}  // namespace

// --- layers -----------------------------------------------------------------------------

template <class T>
void dense_forward(T* out, const T* in, const T* weight, const T* bias, std::int64_t B,
                   std::int64_t I, std::int64_t O) {
  if (B == 0) return;
  MatrixMap<T> y(out, B, O);
  y.noalias() = ConstMatrixMap<T>(in, B, I) * ConstMatrixMap<T>(weight, I, O);
  y.rowwise() += ConstRowMap<T>(bias, O);
}

template <class T>
void dense_backward(T* d_in, T* d_weight, T* d_bias, const T* d_out, const T* in, const T* weight,
                    std::int64_t B, std::int64_t I, std::int64_t O) {
  MatrixMap<T> dw(d_weight, I, O);
  RowMap<T> db(d_bias, O);
  if (B == 0) {  // a rank whose part of the last batch is empty contributes zeros
    dw.setZero();
    db.setZero();
    return;
  }
  ConstMatrixMap<T> dy(d_out, B, O);
  dw.noalias() = ConstMatrixMap<T>(in, B, I).transpose() * dy;
  // Row by row in a fixed order: Eigen's colwise().sum() may vectorise a reduction in an
  // order that depends on the buffer's alignment, so a resumed run (other allocations)
  // would differ in the last bit from an uninterrupted one.
  db.setZero();
  for (std::int64_t b = 0; b < B; ++b) db += dy.row(b);
  if (d_in != nullptr)
    MatrixMap<T>(d_in, B, I).noalias() = dy * ConstMatrixMap<T>(weight, I, O).transpose();
}

// --- the first Dense layer over row pointers --------------------------------------------

namespace {

// Portable kernels (and double, for the gradient checks): the same order of additions as
// the AVX-512 ones, so both give a row the same result up to fused multiply-add rounding.
template <class T>
void forward_rows_generic(T* out, const T* const* rows, const T* weight, std::int64_t B,
                          std::int64_t O, std::int64_t first, std::int64_t last, bool start) {
  for (std::int64_t b = 0; b < B; ++b) {
    T* y = out + b * O;
    if (start) std::fill_n(y, O, T(0));
    for (std::int64_t i = first; i < last; ++i) {
      const T x = rows[b][i];
      const T* w = weight + i * O;
      for (std::int64_t o = 0; o < O; ++o) y[o] += x * w[o];
    }
  }
}

template <class T>
void weight_gradient_rows_generic(T* d_weight, const T* const* rows, const T* const* d_out,
                                  std::int64_t B, std::int64_t O, std::int64_t first,
                                  std::int64_t last) {
  std::fill_n(d_weight, (last - first) * O, T(0));
  for (std::int64_t i = first; i < last; ++i) {
    T* dw = d_weight + (i - first) * O;
    for (std::int64_t b = 0; b < B; ++b) {
      const T x = rows[b][i];
      const T* dy = d_out[b];
      for (std::int64_t o = 0; o < O; ++o) dw[o] += x * dy[o];
    }
  }
}

#if defined(__AVX512F__)
// Register tiles of kTileRows rows x up to kPanel vectors of 16 outputs: 3 x 7 accumulators
// + 7 loaded weight (or d_out) vectors + 1 broadcast fit the 32 zmm registers, and each
// step of the inner loop is 21 FMAs for 10 loads, so the FMA units, not the loads, set the
// pace. A model-1 hidden layer of 100 units is one panel of 7 vectors (the last masked).
constexpr int kTileRows = 3;
constexpr int kPanel = 7;
constexpr std::int64_t kLanes = 16;
// Inputs per chunk in the forward pass: a 64 x 112 block of the weight (28 KB) stays in L1
// while every row tile of the batch uses it, so the weight comes from memory once a call.
constexpr std::int64_t kChunk = 64;

// In the forward tiles only the panel's last vector can be partial (100 outputs = 6 whole
// vectors + 4 lanes): every other vector is loaded and stored whole. A masked load costs a
// vector ALU operation besides the load, on the ports the FMAs use: masking all 7 vectors
// of a tile measured 15 cycles an inner step where 21 FMAs need 10.5.
template <int V>
inline __m512 load_vector(const float* p, int v, __mmask16 tail) {
  return v + 1 < V ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(tail, p);
}
template <int V>
inline void store_vector(float* p, int v, __mmask16 tail, __m512 x) {
  if (v + 1 < V)
    _mm512_storeu_ps(p, x);
  else
    _mm512_mask_storeu_ps(p, tail, x);
}

// y[r][o0 + 16v + lane] = (start ? 0 : y) + sum_{i in [i0, i1)} x[r][i] w[i][...]
template <int R, int V>
void forward_tile(float* y, std::int64_t O, const float* const* x, std::int64_t i0, std::int64_t i1,
                  const float* w, bool start, __mmask16 tail) {
  __m512 acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v)
      acc[r][v] = start ? _mm512_setzero_ps() : load_vector<V>(y + r * O + v * kLanes, v, tail);
  for (std::int64_t i = i0; i < i1; ++i) {
    __m512 wv[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) wv[v] = load_vector<V>(w + i * O + v * kLanes, v, tail);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 xb = _mm512_set1_ps(x[r][i]);
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(xb, wv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) store_vector<V>(y + r * O + v * kLanes, v, tail, acc[r][v]);
}

// dw[r][o0 + ...] = sum_b x[b][i + r] dy[b][o0 + ...], b in order, over V whole vectors of
// outputs (a partial last vector goes to gradient_remainder below).
template <int R, int V>
void gradient_tile(float* dw, std::int64_t O, const float* const* x, std::int64_t i,
                   const float* const* dy, std::int64_t o0, std::int64_t B) {
  __m512 acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
  for (std::int64_t b = 0; b < B; ++b) {
    __m512 dv[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) dv[v] = _mm512_loadu_ps(dy[b] + o0 + v * kLanes);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 xb = _mm512_set1_ps(x[b][i + r]);
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(xb, dv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) _mm512_storeu_ps(dw + r * O + v * kLanes, acc[r][v]);
}

// The kernel gradient's last K = O % 16 outputs, with inputs along the vector lanes:
// dw[i][o0 + k] for up to 16 inputs i = i0.. at once, x[b][i0..] loaded from the row and
// dy[b][o0 + k] broadcast. K multiply-adds a step for 16 inputs, where a masked vector of
// K outputs takes one per input; and the same fused multiply-adds in the same order of b as
// gradient_tile (a * b + c is the same for b * a + c), so the same bits.
template <int K>
void gradient_remainder(float* dw, std::int64_t O, const float* const* x, std::int64_t i0,
                        std::int64_t n, const float* const* dy, std::int64_t o0, std::int64_t B) {
  __m512 acc[K];
#pragma GCC unroll 16
  for (int k = 0; k < K; ++k) acc[k] = _mm512_setzero_ps();
  auto add = [&](__m512 xv, const float* d) {
#pragma GCC unroll 16
    for (int k = 0; k < K; ++k) acc[k] = _mm512_fmadd_ps(xv, _mm512_set1_ps(d[k]), acc[k]);
  };
  if (n == kLanes) {
    for (std::int64_t b = 0; b < B; ++b) add(_mm512_loadu_ps(x[b] + i0), dy[b] + o0);
  } else {
    const auto lanes = static_cast<__mmask16>((1u << n) - 1);
    for (std::int64_t b = 0; b < B; ++b) add(_mm512_maskz_loadu_ps(lanes, x[b] + i0), dy[b] + o0);
  }
  alignas(64) float column[kLanes];
  for (int k = 0; k < K; ++k) {
    _mm512_store_ps(column, acc[k]);
    for (std::int64_t l = 0; l < n; ++l) dw[l * O + o0 + k] = column[l];
  }
}

using ForwardTile = void (*)(float*, std::int64_t, const float* const*, std::int64_t, std::int64_t,
                             const float*, bool, __mmask16);
using GradientTile = void (*)(float*, std::int64_t, const float* const*, std::int64_t,
                              const float* const*, std::int64_t, std::int64_t);

// Tile functions indexed [rows - 1][vectors - 1].
template <int R, int... V>
constexpr std::array<ForwardTile, kPanel> forward_row(std::integer_sequence<int, V...>) {
  return {&forward_tile<R, V + 1>...};
}
template <int R, int... V>
constexpr std::array<GradientTile, sizeof...(V)> gradient_row(std::integer_sequence<int, V...>) {
  return {&gradient_tile<R, V + 1>...};
}
constexpr auto kVectors = std::make_integer_sequence<int, kPanel>{};
constexpr std::array<std::array<ForwardTile, kPanel>, kTileRows> kForwardTiles{
    forward_row<1>(kVectors), forward_row<2>(kVectors), forward_row<3>(kVectors)};
constexpr std::array<std::array<GradientTile, kPanel>, kTileRows> kGradientTiles{
    gradient_row<1>(kVectors), gradient_row<2>(kVectors), gradient_row<3>(kVectors)};
// Panels of whole vectors only (the remainder goes to gradient_remainder): a panel of up to
// 6 vectors takes tiles of 4 rows (24 accumulators + 6 loaded + 1 broadcast registers),
// 24 FMAs for 10 loads a step instead of 18 for 9.
constexpr int kWideTileRows = 4, kWidePanel = 6;
constexpr std::array<GradientTile, kWidePanel> kWideGradientTiles =
    gradient_row<kWideTileRows>(std::make_integer_sequence<int, kWidePanel>{});
using GradientRemainder = void (*)(float*, std::int64_t, const float* const*, std::int64_t,
                                   std::int64_t, const float* const*, std::int64_t, std::int64_t);
template <int... K>
constexpr std::array<GradientRemainder, sizeof...(K)> remainders(std::integer_sequence<int, K...>) {
  return {&gradient_remainder<K + 1>...};
}
constexpr auto kGradientRemainders = remainders(std::make_integer_sequence<int, kLanes - 1>{});

// The panel of outputs starting at o0: how many vectors, and the lanes of the last one.
int panel_vectors(std::int64_t O, std::int64_t o0, __mmask16& tail) {
  const std::int64_t left = O - o0;
  const int vectors =
      static_cast<int>(std::min<std::int64_t>(kPanel, (left + kLanes - 1) / kLanes));
  const std::int64_t lanes = std::min<std::int64_t>(kLanes, left - (vectors - 1) * kLanes);
  tail = static_cast<__mmask16>(lanes == kLanes ? 0xFFFF : (1u << lanes) - 1);
  return vectors;
}

void forward_rows_avx512(float* out, const float* const* rows, const float* weight, std::int64_t B,
                         std::int64_t O, std::int64_t first, std::int64_t last, bool start) {
  __mmask16 tail = 0;
  for (std::int64_t i0 = first; i0 < last; i0 += kChunk) {
    const std::int64_t i1 = std::min(last, i0 + kChunk);
    for (std::int64_t o0 = 0; o0 < O; o0 += kPanel * kLanes) {
      const int vectors = panel_vectors(O, o0, tail);
      for (std::int64_t b = 0; b < B; b += kTileRows) {
        const int r = static_cast<int>(std::min<std::int64_t>(kTileRows, B - b));
        kForwardTiles[r - 1][vectors - 1](out + b * O + o0, O, rows + b, i0, i1, weight + o0,
                                          start && i0 == first, tail);
      }
    }
  }
}

void weight_gradient_rows_avx512(float* d_weight, const float* const* rows,
                                 const float* const* d_out, std::int64_t B, std::int64_t O,
                                 std::int64_t first, std::int64_t last) {
  const std::int64_t whole = O / kLanes * kLanes;
  for (std::int64_t o0 = 0; o0 < whole; o0 += kPanel * kLanes) {
    const int vectors = static_cast<int>(std::min<std::int64_t>(kPanel, (whole - o0) / kLanes));
    const int tile_rows = vectors <= kWidePanel ? kWideTileRows : kTileRows;
    for (std::int64_t i = first; i < last; i += tile_rows) {
      const int r = static_cast<int>(std::min<std::int64_t>(tile_rows, last - i));
      const auto tile =
          r == kWideTileRows ? kWideGradientTiles[vectors - 1] : kGradientTiles[r - 1][vectors - 1];
      tile(d_weight + (i - first) * O + o0, O, rows, i, d_out, o0, B);
    }
  }
  if (whole == O) return;
  for (std::int64_t i0 = first; i0 < last; i0 += kLanes)
    kGradientRemainders[O - whole - 1](d_weight + (i0 - first) * O, O, rows, i0,
                                       std::min(kLanes, last - i0), d_out, whole, B);
}
#endif

}  // namespace

std::int64_t input_group_begin(std::int64_t I, std::int64_t g) {
  const std::int64_t base = I / kInputGroups, extra = I % kInputGroups;
  return g * base + std::min(g, extra);
}

template <class T>
void dense_forward_rows_sum(T* sums, const T* const* rows, const T* weight, std::int64_t B,
                            std::int64_t O, std::int64_t first, std::int64_t last, bool start) {
  if (first == last) {
    if (start) std::fill_n(sums, B * O, T(0));
    return;
  }
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    forward_rows_avx512(sums, rows, weight, B, O, first, last, start);
    return;
  }
#endif
  forward_rows_generic(sums, rows, weight, B, O, first, last, start);
}

template <class T>
void dense_forward_rows_finish(T* out, const T* bias, const T* const* group_sums, std::int64_t B,
                               std::int64_t O) {
  for (std::int64_t b = 0; b < B; ++b) std::copy_n(bias, O, out + b * O);
  for (std::int64_t g = 0; g < kInputGroups; ++g)
    for (std::int64_t k = 0; k < B * O; ++k) out[k] += group_sums[g][k];
}

template <class T>
void dense_forward_rows(T* out, const T* const* rows, const T* weight, const T* bias,
                        std::int64_t B, std::int64_t I, std::int64_t O) {
  // One group's sum at a time, added to out in the order finish adds them.
  std::vector<T> sums(static_cast<std::size_t>(B * O));
  for (std::int64_t b = 0; b < B; ++b) std::copy_n(bias, O, out + b * O);
  for (std::int64_t g = 0; g < kInputGroups; ++g) {
    dense_forward_rows_sum(sums.data(), rows, weight, B, O, input_group_begin(I, g),
                           input_group_begin(I, g + 1), true);
    for (std::int64_t k = 0; k < B * O; ++k) out[k] += sums[k];
  }
}

template <class T>
void dense_weight_gradient_rows(T* d_weight, const T* const* rows, const T* const* d_out,
                                std::int64_t B, std::int64_t O, std::int64_t first,
                                std::int64_t last) {
  if (last <= first) return;
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    weight_gradient_rows_avx512(d_weight, rows, d_out, B, O, first, last);
    return;
  }
#endif
  weight_gradient_rows_generic(d_weight, rows, d_out, B, O, first, last);
}

template <class T>
void relu_forward(T* out, const T* in, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = in[i] > T(0) ? in[i] : T(0);
}

template <class T>
void relu_backward(T* d_in, const T* d_out, const T* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) d_in[i] = out[i] > T(0) ? d_out[i] : T(0);
}

template <class T>
void dropout_mask(T* mask, const std::int64_t* sample_ids, std::int64_t B, std::int64_t O,
                  double rate, const DropoutKey& key) {
  const T keep_scale = T(1) / T(1 - rate);
  for (std::int64_t b = 0; b < B; ++b) {
    CounterRng rng(key.seed, {kDropoutStream, static_cast<std::uint64_t>(key.epoch),
                              static_cast<std::uint64_t>(sample_ids[b]),
                              static_cast<std::uint64_t>(key.layer)});
    for (std::int64_t o = 0; o < O; ++o) mask[b * O + o] = rng.uniform() < rate ? T(0) : keep_scale;
  }
}

template <class T>
void dropout_forward(T* out, const T* in, const T* mask, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = in[i] * mask[i];
}

template <class T>
void dropout_backward(T* d_in, const T* d_out, const T* mask, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) d_in[i] = d_out[i] * mask[i];
}

template <class T>
double softmax_cross_entropy(T* probs, const T* logits, const std::int32_t* labels, std::int64_t B,
                             std::int64_t C, std::int64_t* correct) {
  double loss = 0;
  std::int64_t hits = 0;
  for (std::int64_t b = 0; b < B; ++b) {
    const T* z = logits + b * C;
    T* p = probs + b * C;
    std::int64_t arg_max = 0;
    for (std::int64_t c = 1; c < C; ++c)
      if (z[c] > z[arg_max]) arg_max = c;
    const T top = z[arg_max];
    T sum = 0;
    for (std::int64_t c = 0; c < C; ++c) {
      p[c] = std::exp(z[c] - top);  // <= 1: cannot overflow
      sum += p[c];
    }
    for (std::int64_t c = 0; c < C; ++c) p[c] /= sum;
    // -log softmax(z)[y] = log(sum exp(z - top)) - (z[y] - top); sum >= 1, so finite.
    if (labels == nullptr) continue;
    loss += static_cast<double>(std::log(sum)) - static_cast<double>(z[labels[b]] - top);
    hits += arg_max == labels[b];
  }
  if (correct != nullptr) *correct = hits;
  return loss;
}

template <class T>
void softmax_cross_entropy_backward(T* d_logits, const T* probs, const std::int32_t* labels,
                                    std::int64_t B, std::int64_t C) {
  std::copy(probs, probs + B * C, d_logits);
  for (std::int64_t b = 0; b < B; ++b) d_logits[b * C + labels[b]] -= T(1);
}

// --- architecture -----------------------------------------------------------------------

void validate(const Architecture& a) {
  if (a.inputs <= 0) throw UsageError("the network needs at least one input");
  if (a.classes < 2) throw UsageError("the network needs at least 2 classes");
  for (auto h : a.hidden)
    if (h <= 0) throw UsageError("--hidden: layer sizes must be positive");
  if (!(a.dropout >= 0 && a.dropout < 1)) throw UsageError("--dropout: must be in [0, 1)");
}

std::vector<DenseSlice> dense_layers(const Architecture& a) {
  std::vector<DenseSlice> layers;
  std::int64_t offset = 0, inputs = a.inputs;
  auto add = [&](std::int64_t outputs) {
    DenseSlice s{inputs, outputs, offset, offset + inputs * outputs};
    offset = s.bias + outputs;
    inputs = outputs;
    layers.push_back(s);
  };
  for (auto h : a.hidden) add(h);
  add(a.classes);
  return layers;
}

std::int64_t parameter_count(const Architecture& a) {
  const auto last = dense_layers(a).back();
  return last.bias + last.outputs;
}

std::string dense_name(std::size_t index) {
  return index == 0 ? "dense" : "dense_" + std::to_string(index);
}

std::string with_thousands(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::vector<SummaryRow> summary_rows(const Architecture& a) {
  std::vector<SummaryRow> rows;
  const auto layers = dense_layers(a);
  std::size_t dropouts = 0;
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const auto& d = layers[k];
    const std::int64_t total = d.inputs * d.outputs + d.outputs;
    rows.push_back({dense_name(k), "Dense", d.outputs, total,
                    strprintf("%lld x %lld + %lld = %s", static_cast<long long>(d.inputs),
                              static_cast<long long>(d.outputs), static_cast<long long>(d.outputs),
                              with_thousands(total).c_str())});
    if (k + 1 < layers.size() && a.dropout > 0) {
      rows.push_back({dropouts == 0 ? "dropout" : "dropout_" + std::to_string(dropouts), "Dropout",
                      d.outputs, 0, ""});
      ++dropouts;
    }
  }
  return rows;
}

std::string summary_table(const Architecture& a) {
  const auto rows = summary_rows(a);
  const std::string rule(65, '_'), double_rule(65, '=');
  std::string text = "Model: \"sequential\"\n" + rule + "\n";
  text += strprintf("%-29s%-25s%11s\n", "Layer (type)", "Output Shape", "Param #");
  text += double_rule + "\n";
  std::int64_t total = 0;
  std::string sum;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    text += strprintf("%-29s%-25s%11s\n", (r.name + " (" + r.type + ")").c_str(),
                      strprintf("(None, %lld)", static_cast<long long>(r.units)).c_str(),
                      with_thousands(r.parameters).c_str());
    text += (i + 1 < rows.size() ? rule : double_rule) + "\n";
    total += r.parameters;
    sum += (i > 0 ? " + " : "") + with_thousands(r.parameters);
  }
  text += "Total params: " + with_thousands(total) + "\n";
  text += "Trainable params: " + with_thousands(total) + "\n";
  text += "Non-trainable params: 0\n" + rule + "\n";
  text += "Parameters per layer (Dense: inputs x units weights + units biases; Dropout: none):\n";
  for (const auto& r : rows)
    if (!r.count.empty()) text += strprintf("  %-9s %s\n", r.name.c_str(), r.count.c_str());
  text += "  total     " + sum + " = " + with_thousands(total) + "\n";
  return text;
}

void glorot_uniform(const Architecture& a, std::span<float> parameters, std::uint64_t seed) {
  if (static_cast<std::int64_t>(parameters.size()) != parameter_count(a))
    throw Error("glorot_uniform: parameter buffer has the wrong size");
  const auto layers = dense_layers(a);
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const auto& d = layers[k];
    const double limit = std::sqrt(6.0 / static_cast<double>(d.inputs + d.outputs));
    CounterRng rng(seed, {kInitStream, static_cast<std::uint64_t>(k)});
    float* w = parameters.data() + d.weight;
    for (std::int64_t i = 0; i < d.inputs * d.outputs; ++i)
      w[i] = static_cast<float>((2 * rng.uniform() - 1) * limit);
    std::fill_n(parameters.data() + d.bias, d.outputs, 0.0f);
  }
}

// --- the network ------------------------------------------------------------------------

template <class T>
Workspace<T>::Workspace(const Architecture& a, std::int64_t rows) : max_rows(rows) {
  const auto layers = dense_layers(a);
  std::int64_t widest = a.inputs;
  for (const auto& d : layers) {
    outputs.emplace_back(static_cast<std::size_t>(rows * d.outputs));
    widest = std::max(widest, d.outputs);
  }
  if (a.dropout > 0)
    for (std::size_t k = 0; k + 1 < layers.size(); ++k) {
      dropped.emplace_back(static_cast<std::size_t>(rows * layers[k].outputs));
      masks.emplace_back(static_cast<std::size_t>(rows * layers[k].outputs));
    }
  probs.resize(static_cast<std::size_t>(rows * a.classes));
  // The gradient with respect to the data (B x inputs) is never needed: only hidden widths.
  std::int64_t widest_hidden = a.classes;
  for (auto h : a.hidden) widest_hidden = std::max(widest_hidden, h);
  gradient_a.resize(static_cast<std::size_t>(rows * widest_hidden));
  gradient_b.resize(static_cast<std::size_t>(rows * widest_hidden));
  const std::int64_t stride = padded_row(layers.front().outputs);
  first_delta.resize(static_cast<std::size_t>(rows * stride + 64));
  this->rows.resize(static_cast<std::size_t>(rows));
  T* delta = cache_line_aligned(first_delta.data());
  for (std::int64_t b = 0; b < rows; ++b) delta_rows.push_back(delta + b * stride);
}

namespace {

// Runs the layers forward; returns the input of every Dense layer (x, then the output of
// each hidden block) in `inputs`; leaves the logits in outputs.back().
// The first layer reads the rows x_rows[b]; inputs[0] is null.
template <class T>
void forward(const Architecture& a, const std::vector<DenseSlice>& layers, const T* parameters,
             const T* const* x_rows, const std::int64_t* sample_ids, std::int64_t B,
             const DropoutKey* dropout, Workspace<T>& ws, std::vector<const T*>& inputs,
             bool first_layer_ready = false) {
  if (B > ws.max_rows) throw Error("network batch larger than its workspace");
  inputs.assign(layers.size(), nullptr);
  const T* in = nullptr;
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const auto& d = layers[k];
    inputs[k] = in;
    T* out = ws.outputs[k].data();
    if (k == 0) {
      if (!first_layer_ready)  // (otherwise the caller has computed it)
        dense_forward_rows(out, x_rows, parameters + d.weight, parameters + d.bias, B, d.inputs,
                           d.outputs);
    } else
      dense_forward(out, in, parameters + d.weight, parameters + d.bias, B, d.inputs, d.outputs);
    if (k + 1 == layers.size()) break;
    relu_forward(out, out, B * d.outputs);
    in = out;
    if (a.dropout > 0 && dropout != nullptr) {
      DropoutKey key = *dropout;
      key.layer = static_cast<std::int64_t>(k);
      dropout_mask(ws.masks[k].data(), sample_ids, B, d.outputs, a.dropout, key);
      dropout_forward(ws.dropped[k].data(), out, ws.masks[k].data(), B * d.outputs);
      in = ws.dropped[k].data();
    }
  }
}

// Points ws.rows at the B rows of a contiguous batch.
template <class T>
const T* const* contiguous_rows(const T* x, std::int64_t B, std::int64_t cols, Workspace<T>& ws) {
  if (B > ws.max_rows) throw Error("network batch larger than its workspace");
  for (std::int64_t b = 0; b < B; ++b) ws.rows[b] = x + b * cols;
  return ws.rows.data();
}

}  // namespace

template <class T>
BatchTotals forward_backward_rows(const Architecture& a, const T* parameters, T* gradients,
                                  const T* const* x_rows, const std::int32_t* labels,
                                  const std::int64_t* sample_ids, std::int64_t B,
                                  const DropoutKey* dropout, Workspace<T>& ws,
                                  bool defer_first_kernel, bool first_layer_ready) {
  const auto layers = dense_layers(a);
  std::vector<const T*> inputs;
  forward(a, layers, parameters, x_rows, sample_ids, B, dropout, ws, inputs, first_layer_ready);
  BatchTotals totals;
  totals.rows = B;
  totals.loss = softmax_cross_entropy(ws.probs.data(), ws.outputs.back().data(), labels, B,
                                      a.classes, &totals.correct);
  if (gradients == nullptr) return totals;

  T* d_out = ws.gradient_a.data();
  T* d_in = ws.gradient_b.data();
  softmax_cross_entropy_backward(d_out, ws.probs.data(), labels, B, a.classes);
  for (std::size_t k = layers.size(); k-- > 1;) {
    const auto& d = layers[k];
    dense_backward(d_in, gradients + d.weight, gradients + d.bias, d_out, inputs[k],
                   parameters + d.weight, B, d.inputs, d.outputs);
    const std::int64_t n = B * d.inputs;  // the hidden block below: its outputs
    if (a.dropout > 0 && dropout != nullptr)
      dropout_backward(d_in, d_in, ws.masks[k - 1].data(), n);
    relu_backward(d_in, d_in, ws.outputs[k - 1].data(), n);
    std::swap(d_in, d_out);
  }
  // The first layer: its bias gradient here (row by row in a fixed order), its kernel
  // gradient from the rows where they are, now or (deferred) by the caller.
  const auto& first = layers.front();
  const std::int64_t O = first.outputs;
  T* db = gradients + first.bias;
  std::fill_n(db, O, T(0));
  for (std::int64_t b = 0; b < B; ++b) {
    std::copy_n(d_out + b * O, O, const_cast<T*>(ws.delta_rows[b]));  // the workspace's own
    for (std::int64_t o = 0; o < O; ++o) db[o] += d_out[b * O + o];
  }
  if (!defer_first_kernel)
    dense_weight_gradient_rows(gradients + first.weight, x_rows, ws.delta_rows.data(), B, O,
                               std::int64_t{0}, first.inputs);
  return totals;
}

template <class T>
BatchTotals forward_backward(const Architecture& a, const T* parameters, T* gradients, const T* x,
                             const std::int32_t* labels, const std::int64_t* sample_ids,
                             std::int64_t B, const DropoutKey* dropout, Workspace<T>& ws) {
  return forward_backward_rows(a, parameters, gradients, contiguous_rows(x, B, a.inputs, ws),
                               labels, sample_ids, B, dropout, ws, false);
}

template <class T>
void predict(const Architecture& a, const T* parameters, const T* x, std::int64_t B, T* probs,
             Workspace<T>& ws) {
  const auto layers = dense_layers(a);
  std::vector<const T*> inputs;
  forward(a, layers, parameters, contiguous_rows(x, B, a.inputs, ws), nullptr, B, nullptr, ws,
          inputs);
  softmax_cross_entropy(probs, ws.outputs.back().data(), nullptr, B, a.classes);
}

// --- instantiations ---------------------------------------------------------------------

#define PANCAN_NN_INSTANTIATE(T)                                                                   \
  template void dense_forward<T>(T*, const T*, const T*, const T*, std::int64_t, std::int64_t,     \
                                 std::int64_t);                                                    \
  template void dense_backward<T>(T*, T*, T*, const T*, const T*, const T*, std::int64_t,          \
                                  std::int64_t, std::int64_t);                                     \
  template void relu_forward<T>(T*, const T*, std::int64_t);                                       \
  template void relu_backward<T>(T*, const T*, const T*, std::int64_t);                            \
  template void dropout_mask<T>(T*, const std::int64_t*, std::int64_t, std::int64_t, double,       \
                                const DropoutKey&);                                                \
  template void dropout_forward<T>(T*, const T*, const T*, std::int64_t);                          \
  template void dropout_backward<T>(T*, const T*, const T*, std::int64_t);                         \
  template double softmax_cross_entropy<T>(T*, const T*, const std::int32_t*, std::int64_t,        \
                                           std::int64_t, std::int64_t*);                           \
  template void softmax_cross_entropy_backward<T>(T*, const T*, const std::int32_t*, std::int64_t, \
                                                  std::int64_t);                                   \
  template struct Workspace<T>;                                                                    \
  template BatchTotals forward_backward<T>(const Architecture&, const T*, T*, const T*,            \
                                           const std::int32_t*, const std::int64_t*, std::int64_t, \
                                           const DropoutKey*, Workspace<T>&);                      \
  template void predict<T>(const Architecture&, const T*, const T*, std::int64_t, T*,              \
                           Workspace<T>&);                                                         \
  template void dense_forward_rows<T>(T*, const T* const*, const T*, const T*, std::int64_t,       \
                                      std::int64_t, std::int64_t);                                 \
  template void dense_forward_rows_sum<T>(T*, const T* const*, const T*, std::int64_t,             \
                                          std::int64_t, std::int64_t, std::int64_t, bool);         \
  template void dense_forward_rows_finish<T>(T*, const T* bias, const T* const*, std::int64_t,     \
                                             std::int64_t);                                        \
  template void dense_weight_gradient_rows<T>(T*, const T* const*, const T* const*, std::int64_t,  \
                                              std::int64_t, std::int64_t, std::int64_t);           \
  template BatchTotals forward_backward_rows<T>(                                                   \
      const Architecture&, const T*, T*, const T* const*, const std::int32_t*,                     \
      const std::int64_t*, std::int64_t, const DropoutKey*, Workspace<T>&, bool, bool);

PANCAN_NN_INSTANTIATE(float)
PANCAN_NN_INSTANTIATE(double)

}  // namespace pancan::nn
