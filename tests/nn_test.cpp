// The network's numerical core: finite-difference gradient checks (in double) for every
// layer and for the whole network, a stable softmax/cross-entropy, inverted dropout, the
// Keras-style summary and Glorot initialisation.
#include "pancan/nn.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <numeric>

#include "pancan/error.hpp"
#include "pancan/rng.hpp"

namespace pancan::nn {
namespace {

std::vector<double> random_values(std::size_t n, std::uint64_t key, double scale = 1.0) {
  CounterRng rng(1234, {key});
  std::vector<double> v(n);
  for (auto& x : v) x = scale * (2 * rng.uniform() - 1);
  return v;
}

// Checks analytic[i] against the central difference of loss() in values[i], for every i.
// Tolerance: |a - n| <= 1e-6 * max(1, |n|): double with h = 1e-6 leaves ~1e-9 error.
void expect_gradient(std::vector<double>& values, const std::vector<double>& analytic,
                     const std::function<double()>& loss, const char* what) {
  ASSERT_EQ(values.size(), analytic.size()) << what;
  const double h = 1e-6;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double saved = values[i];
    values[i] = saved + h;
    const double up = loss();
    values[i] = saved - h;
    const double down = loss();
    values[i] = saved;
    const double numeric = (up - down) / (2 * h);
    EXPECT_NEAR(analytic[i], numeric, 1e-6 * std::max(1.0, std::abs(numeric)))
        << what << " element " << i;
  }
}

// A scalar loss of a layer output: sum(out * weights), so d loss / d out = weights.
double weighted_sum(const std::vector<double>& out, const std::vector<double>& weights) {
  return std::inner_product(out.begin(), out.end(), weights.begin(), 0.0);
}

TEST(Dense, GradientsMatchFiniteDifferences) {
  const std::int64_t B = 4, I = 5, O = 3;
  auto x = random_values(B * I, 1), w = random_values(I * O, 2), b = random_values(O, 3);
  const auto r = random_values(B * O, 4);
  std::vector<double> out(B * O), dx(B * I), dw(I * O), db(O);
  auto loss = [&] {
    dense_forward(out.data(), x.data(), w.data(), b.data(), B, I, O);
    return weighted_sum(out, r);
  };
  dense_backward(dx.data(), dw.data(), db.data(), r.data(), x.data(), w.data(), B, I, O);
  expect_gradient(x, dx, loss, "d_in");
  expect_gradient(w, dw, loss, "d_weight");
  expect_gradient(b, db, loss, "d_bias");
}

TEST(Dense, EmptyBatchGivesZeroGradients) {
  std::vector<float> dw(6, 7.0f), db(3, 7.0f), w(6, 1.0f);
  dense_backward<float>(nullptr, dw.data(), db.data(), nullptr, nullptr, w.data(), 0, 2, 3);
  for (float v : dw) EXPECT_EQ(v, 0.0f);
  for (float v : db) EXPECT_EQ(v, 0.0f);
}

TEST(Relu, GradientMatchesFiniteDifferences) {
  const std::int64_t n = 20;
  auto x = random_values(n, 5);
  for (auto& v : x) v += v > 0 ? 0.01 : -0.01;  // away from the kink at 0
  const auto r = random_values(n, 6);
  std::vector<double> out(n), dx(n);
  auto loss = [&] {
    relu_forward(out.data(), x.data(), n);
    return weighted_sum(out, r);
  };
  loss();
  relu_backward(dx.data(), r.data(), out.data(), n);
  expect_gradient(x, dx, loss, "relu");
  EXPECT_EQ(std::count(out.begin(), out.end(), 0.0),
            std::count_if(x.begin(), x.end(), [](double v) { return v < 0; }));
}

TEST(Dropout, GradientMatchesFiniteDifferences) {
  const std::int64_t B = 3, O = 8;
  std::vector<std::int64_t> ids = {10, 11, 12};
  std::vector<double> mask(B * O), out(B * O), dx(B * O);
  dropout_mask(mask.data(), ids.data(), B, O, 0.3, DropoutKey{7, 2, 0});
  auto x = random_values(B * O, 7);
  const auto r = random_values(B * O, 8);
  auto loss = [&] {
    dropout_forward(out.data(), x.data(), mask.data(), B * O);
    return weighted_sum(out, r);
  };
  dropout_backward(dx.data(), r.data(), mask.data(), B * O);
  expect_gradient(x, dx, loss, "dropout");
}

TEST(Dropout, KeepsTheMeanInTraining) {
  const std::int64_t B = 1000, O = 100;
  std::vector<std::int64_t> ids(B);
  std::iota(ids.begin(), ids.end(), 0);
  std::vector<float> mask(B * O);
  dropout_mask(mask.data(), ids.data(), B, O, 0.3, DropoutKey{1, 0, 0});
  const double mean =
      std::accumulate(mask.begin(), mask.end(), 0.0) / static_cast<double>(mask.size());
  const double dropped = static_cast<double>(std::count(mask.begin(), mask.end(), 0.0f)) /
                         static_cast<double>(mask.size());
  // 100,000 Bernoulli(0.7) draws: standard error of the mean 0.0021; 5 sigma.
  EXPECT_NEAR(mean, 1.0, 0.011);
  EXPECT_NEAR(dropped, 0.3, 0.0075);
  for (float m : mask) EXPECT_TRUE(m == 0.0f || std::abs(m - 1 / 0.7f) < 1e-6f);
}

TEST(Dropout, MaskDependsOnlyOnSampleEpochAndLayer) {
  const std::int64_t O = 16;
  std::vector<std::int64_t> both = {4, 9}, only9 = {9};
  std::vector<float> a(2 * O), b(O), other_epoch(O), other_layer(O);
  dropout_mask(a.data(), both.data(), 2, O, 0.5, DropoutKey{3, 1, 0});
  dropout_mask(b.data(), only9.data(), 1, O, 0.5, DropoutKey{3, 1, 0});
  dropout_mask(other_epoch.data(), only9.data(), 1, O, 0.5, DropoutKey{3, 2, 0});
  dropout_mask(other_layer.data(), only9.data(), 1, O, 0.5, DropoutKey{3, 1, 1});
  EXPECT_TRUE(std::equal(b.begin(), b.end(), a.begin() + O));  // same rows, any batch split
  EXPECT_FALSE(std::equal(b.begin(), b.end(), other_epoch.begin()));
  EXPECT_FALSE(std::equal(b.begin(), b.end(), other_layer.begin()));
}

TEST(SoftmaxCrossEntropy, GradientMatchesFiniteDifferences) {
  const std::int64_t B = 4, C = 5;
  auto z = random_values(B * C, 9, 3.0);
  std::vector<std::int32_t> labels = {0, 3, 4, 1};
  std::vector<double> probs(B * C), dz(B * C);
  auto loss = [&] { return softmax_cross_entropy(probs.data(), z.data(), labels.data(), B, C); };
  loss();
  softmax_cross_entropy_backward(dz.data(), probs.data(), labels.data(), B, C);
  expect_gradient(z, dz, loss, "logits");
  for (std::int64_t b = 0; b < B; ++b)
    EXPECT_NEAR(std::accumulate(probs.begin() + b * C, probs.begin() + (b + 1) * C, 0.0), 1.0,
                1e-12);
}

TEST(SoftmaxCrossEntropy, StableForHugeLogits) {
  // Row 0: the label's logit is 2000 below the top: loss 2000 exactly, probability 0.
  // Row 1: all equal at +1000: uniform, loss log 3. Row 2: the label is on top.
  std::vector<float> z = {1000, -1000, 0, 1000, 1000, 1000, -1000, -1000, 1000};
  std::vector<std::int32_t> labels = {1, 2, 2};
  std::vector<float> probs(9), dz(9);
  std::int64_t correct = -1;
  const double loss = softmax_cross_entropy(probs.data(), z.data(), labels.data(), 3, 3, &correct);
  EXPECT_NEAR(loss, 2000 + std::log(3.0) + 0.0, 1e-4);
  EXPECT_EQ(correct, 1);  // row 1 ties: arg-max 0 (like numpy), label 2 -> wrong
  softmax_cross_entropy_backward(dz.data(), probs.data(), labels.data(), 3, 3);
  for (float v : probs) EXPECT_TRUE(std::isfinite(v));
  for (float v : dz) EXPECT_TRUE(std::isfinite(v));
  EXPECT_FLOAT_EQ(probs[0], 1.0f);
  EXPECT_FLOAT_EQ(probs[1], 0.0f);
  EXPECT_FLOAT_EQ(probs[4], 1.0f / 3);
  EXPECT_FLOAT_EQ(dz[1], -1.0f);
  EXPECT_FLOAT_EQ(dz[8], 0.0f);
}

Architecture small_network(double dropout) { return Architecture{7, {5, 4}, 3, dropout}; }

TEST(Network, WholeNetworkGradientMatchesFiniteDifferences) {
  for (double dropout : {0.0, 0.4}) {
    const auto a = small_network(dropout);
    const std::int64_t B = 6, P = parameter_count(a);
    auto params = random_values(static_cast<std::size_t>(P), 10, 0.8);
    const auto x = random_values(B * a.inputs, 11);
    std::vector<std::int32_t> labels = {0, 1, 2, 2, 1, 0};
    std::vector<std::int64_t> ids = {3, 1, 4, 15, 9, 2};
    const DropoutKey key{5, 0, 0};
    Workspace<double> ws(a, B);
    std::vector<double> grads(static_cast<std::size_t>(P));
    forward_backward(a, params.data(), grads.data(), x.data(), labels.data(), ids.data(), B, &key,
                     ws);
    auto loss = [&] {
      return forward_backward<double>(a, params.data(), nullptr, x.data(), labels.data(),
                                      ids.data(), B, &key, ws)
          .loss;
    };
    expect_gradient(params, grads, loss, dropout > 0 ? "network with dropout" : "network");
  }
}

TEST(Network, SoftmaxRegressionGradient) {
  const Architecture a{6, {}, 4, 0.3};  // no hidden layers: no dropout either
  const std::int64_t B = 5, P = parameter_count(a);
  EXPECT_EQ(P, 6 * 4 + 4);
  auto params = random_values(static_cast<std::size_t>(P), 12);
  const auto x = random_values(B * a.inputs, 13);
  std::vector<std::int32_t> labels = {3, 1, 0, 2, 3};
  std::vector<std::int64_t> ids = {0, 1, 2, 3, 4};
  const DropoutKey key{5, 0, 0};
  Workspace<double> ws(a, B);
  std::vector<double> grads(static_cast<std::size_t>(P));
  forward_backward(a, params.data(), grads.data(), x.data(), labels.data(), ids.data(), B, &key,
                   ws);
  auto loss = [&] {
    return forward_backward<double>(a, params.data(), nullptr, x.data(), labels.data(), ids.data(),
                                    B, &key, ws)
        .loss;
  };
  expect_gradient(params, grads, loss, "softmax regression");
}

TEST(Network, DropoutIsTheIdentityAtInference) {
  const auto with = small_network(0.5), without = small_network(0.0);
  std::vector<float> params(static_cast<std::size_t>(parameter_count(with)));
  glorot_uniform(with, params, 3);
  std::vector<float> x(4 * 7);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 5) * 0.25f;
  Workspace<float> ws_with(with, 4), ws_without(without, 4);
  std::vector<float> p_with(4 * 3), p_without(4 * 3);
  predict(with, params.data(), x.data(), 4, p_with.data(), ws_with);
  predict(without, params.data(), x.data(), 4, p_without.data(), ws_without);
  EXPECT_EQ(p_with, p_without);
  // ...and not in training: the same rows with masks give other probabilities.
  std::vector<std::int32_t> labels(4, 0);
  std::vector<std::int64_t> ids = {0, 1, 2, 3};
  const DropoutKey key{1, 0, 0};
  const auto train = forward_backward<float>(with, params.data(), nullptr, x.data(), labels.data(),
                                             ids.data(), 4, &key, ws_with);
  const auto infer = forward_backward<float>(with, params.data(), nullptr, x.data(), labels.data(),
                                             ids.data(), 4, nullptr, ws_with);
  EXPECT_NE(train.loss, infer.loss);
}

// --- the first layer over row pointers (AVX-512 kernels in float when built with them) ---

// Rows of a larger matrix, in a scattered order: the kernels must read rows where they are.
struct ScatteredRows {
  std::vector<double> values;  // (B + 3) x I
  std::vector<const double*> rows;
  std::vector<float> values_f;
  std::vector<const float*> rows_f;
  std::vector<double> contiguous;  // the B rows in order, for the Eigen kernels
};

ScatteredRows scattered_rows(std::int64_t B, std::int64_t I, std::uint64_t key) {
  ScatteredRows s;
  s.values = random_values(static_cast<std::size_t>((B + 3) * I), key);
  s.values_f.assign(s.values.begin(), s.values.end());
  for (auto& v : s.values) v = static_cast<float>(v);  // the same numbers in both types
  for (std::int64_t b = 0; b < B; ++b) {
    const std::int64_t at = ((b * 5 + 2) % (B + 3)) * I;
    s.rows.push_back(s.values.data() + at);
    s.rows_f.push_back(s.values_f.data() + at);
    s.contiguous.insert(s.contiguous.end(), s.values.begin() + at, s.values.begin() + at + I);
  }
  return s;
}

std::vector<float> as_float(const std::vector<double>& v) { return {v.begin(), v.end()}; }

// Shapes around the tiles (3 rows x 7 vectors of 16 outputs, 64-input chunks): partial
// tiles, masked vectors, several panels, several chunks.
const std::vector<std::array<std::int64_t, 3>> kShapes = {
    {1, 1, 1},     {2, 7, 5},      {3, 64, 16},  {4, 65, 17},  {5, 130, 100},
    {7, 129, 112}, {32, 200, 113}, {16, 3, 250}, {31, 70, 100}};

TEST(DenseRows, ForwardMatchesEigenAndDouble) {
  for (const auto& [B, I, O] : kShapes) {
    auto x = scattered_rows(B, I, 20);
    const auto w = random_values(static_cast<std::size_t>(I * O), 21);
    const auto bias = random_values(static_cast<std::size_t>(O), 22);
    std::vector<double> exact(B * O), eigen(B * O);
    dense_forward_rows(exact.data(), x.rows.data(), w.data(), bias.data(), B, I, O);
    dense_forward(eigen.data(), x.contiguous.data(), w.data(), bias.data(), B, I, O);
    std::vector<float> fast(B * O);
    const auto wf = as_float(w), bf = as_float(bias);
    dense_forward_rows(fast.data(), x.rows_f.data(), wf.data(), bf.data(), B, I, O);
    for (std::int64_t k = 0; k < B * O; ++k) {
      EXPECT_NEAR(exact[k], eigen[k], 1e-12 * I) << B << "x" << I << "x" << O << " at " << k;
      EXPECT_NEAR(fast[k], exact[k], 1e-6 * I) << B << "x" << I << "x" << O << " at " << k;
    }
    // A row's outputs do not depend on its batch-mates (bit for bit): rank invariance.
    for (std::int64_t b = 0; b < B; ++b) {
      std::vector<float> alone(O);
      dense_forward_rows(alone.data(), x.rows_f.data() + b, wf.data(), bf.data(), 1, I, O);
      for (std::int64_t o = 0; o < O; ++o) ASSERT_EQ(alone[o], fast[b * O + o]) << b << " " << o;
    }
  }
}

// Training sums the next batch's first layer group by group, each group in blocks, while it
// updates those kernel rows, then adds the groups' sums: the same bits as the whole call.
TEST(DenseRows, ForwardFromGroupSumsIsTheWholeForwardBitForBit) {
  for (const auto& [B, I, O] : kShapes) {
    auto x = scattered_rows(B, I, 30);
    const auto wf = as_float(random_values(static_cast<std::size_t>(I * O), 31));
    const auto bf = as_float(random_values(static_cast<std::size_t>(O), 32));
    std::vector<float> whole(B * O);
    dense_forward_rows(whole.data(), x.rows_f.data(), wf.data(), bf.data(), B, I, O);
    for (std::int64_t block : {std::int64_t{1}, std::int64_t{7}, std::int64_t{32}, I}) {
      std::vector<std::vector<float>> sums(pancan::nn::kInputGroups,
                                           std::vector<float>(B * O, -1.0f));
      std::vector<const float*> pointers;
      for (std::int64_t g = 0; g < pancan::nn::kInputGroups; ++g) {
        const auto g0 = pancan::nn::input_group_begin(I, g),
                   g1 = pancan::nn::input_group_begin(I, g + 1);
        if (g0 == g1)
          dense_forward_rows_sum(sums[g].data(), x.rows_f.data(), wf.data(), B, O, g0, g1, true);
        for (std::int64_t i0 = g0; i0 < g1; i0 += block)
          dense_forward_rows_sum(sums[g].data(), x.rows_f.data(), wf.data(), B, O, i0,
                                 std::min(g1, i0 + block), i0 == g0);
        pointers.push_back(sums[g].data());
      }
      std::vector<float> finished(B * O);
      dense_forward_rows_finish(finished.data(), bf.data(), pointers.data(), B, O);
      for (std::int64_t k = 0; k < B * O; ++k)
        ASSERT_EQ(finished[k], whole[k]) << B << "x" << I << "x" << O << " in blocks of " << block;
    }
  }
}

TEST(DenseRows, WeightGradientMatchesEigenAndDouble) {
  for (const auto& [B, I, O] : kShapes) {
    auto x = scattered_rows(B, I, 23);
    const auto dy = random_values(static_cast<std::size_t>(B * O), 24);
    std::vector<const double*> dy_rows;
    std::vector<const float*> dy_rows_f;
    const auto dyf = as_float(dy);
    for (std::int64_t b = 0; b < B; ++b) {
      dy_rows.push_back(dy.data() + b * O);
      dy_rows_f.push_back(dyf.data() + b * O);
    }
    std::vector<double> exact(I * O), eigen(I * O), db(O);
    dense_weight_gradient_rows(exact.data(), x.rows.data(), dy_rows.data(), B, O, 0, I);
    dense_backward<double>(nullptr, eigen.data(), db.data(), dy.data(), x.contiguous.data(),
                           nullptr, B, I, O);
    std::vector<float> fast(I * O, 7.0f);
    dense_weight_gradient_rows(fast.data(), x.rows_f.data(), dy_rows_f.data(), B, O, 0, I);
    for (std::int64_t k = 0; k < I * O; ++k) {
      EXPECT_NEAR(exact[k], eigen[k], 1e-12 * B) << B << "x" << I << "x" << O << " at " << k;
      EXPECT_NEAR(fast[k], exact[k], 1e-6 * B) << B << "x" << I << "x" << O << " at " << k;
    }
    // Any block of rows equals those rows of the whole (bit for bit): ranks and update
    // blocks compute their rows alone.
    const std::int64_t first = I / 3, last = I - I / 4;
    std::vector<float> block((last - first) * O);
    dense_weight_gradient_rows(block.data(), x.rows_f.data(), dy_rows_f.data(), B, O, first, last);
    for (std::int64_t k = 0; k < (last - first) * O; ++k) ASSERT_EQ(block[k], fast[first * O + k]);
  }
  std::vector<float> untouched(5, 7.0f);  // an empty block writes nothing
  dense_weight_gradient_rows<float>(untouched.data(), nullptr, nullptr, 3, 5, 2, 2);
  EXPECT_EQ(untouched, std::vector<float>(5, 7.0f));
}

TEST(Network, DeferredFirstKernelGradientIsTheSame) {
  for (const auto& a : {Architecture{70, {20}, 3, 0.3}, Architecture{70, {}, 4, 0.0}}) {
    const std::int64_t B = 9, P = parameter_count(a),
                       kernel = a.inputs * dense_layers(a)[0].outputs;
    std::vector<float> params(static_cast<std::size_t>(P));
    glorot_uniform(a, params, 4);
    const auto x = as_float(random_values(B * a.inputs, 25));
    std::vector<std::int32_t> labels(B);
    std::vector<std::int64_t> ids(B);
    for (std::int64_t b = 0; b < B; ++b)
      labels[b] = static_cast<std::int32_t>(b % a.classes), ids[b] = b;
    const DropoutKey key{5, 1, 0};
    Workspace<float> ws(a, B);
    std::vector<float> whole(P), deferred(P, -1.0f);
    const auto t1 = forward_backward<float>(a, params.data(), whole.data(), x.data(), labels.data(),
                                            ids.data(), B, &key, ws);
    std::vector<const float*> rows;
    for (std::int64_t b = 0; b < B; ++b) rows.push_back(x.data() + b * a.inputs);
    const auto t2 = forward_backward_rows<float>(a, params.data(), deferred.data(), rows.data(),
                                                 labels.data(), ids.data(), B, &key, ws, true);
    EXPECT_EQ(t1.loss, t2.loss);
    for (std::int64_t k = 0; k < kernel; ++k) ASSERT_EQ(deferred[k], -1.0f) << "kernel written";
    for (std::int64_t k = kernel; k < P; ++k) EXPECT_EQ(deferred[k], whole[k]) << k;
    dense_weight_gradient_rows(deferred.data(), rows.data(), ws.delta_rows.data(), B,
                               dense_layers(a)[0].outputs, 0, a.inputs);
    for (std::int64_t k = 0; k < kernel; ++k) EXPECT_EQ(deferred[k], whole[k]) << k;
  }
}

TEST(Summary, PinsTheNotebookParameterCounts) {
  const Architecture model1{4102, {100}, 5, 0.3}, model2{4102, {100, 10}, 5, 0.3};
  EXPECT_EQ(parameter_count(model1), 410805);
  EXPECT_EQ(parameter_count(model2), 411365);
  std::vector<std::int64_t> counts1, counts2;
  for (const auto& r : summary_rows(model1)) counts1.push_back(r.parameters);
  for (const auto& r : summary_rows(model2)) counts2.push_back(r.parameters);
  EXPECT_EQ(counts1, (std::vector<std::int64_t>{410300, 0, 505}));
  EXPECT_EQ(counts2, (std::vector<std::int64_t>{410300, 0, 1010, 0, 55}));
  const auto rows2 = summary_rows(model2);
  EXPECT_EQ(rows2[2].name, "dense_1");
  EXPECT_EQ(rows2[3].name, "dropout_1");
  EXPECT_EQ(rows2[4].count, "10 x 5 + 5 = 55");

  const auto table1 = summary_table(model1), table2 = summary_table(model2);
  EXPECT_NE(table1.find("4102 x 100 + 100 = 410,300"), std::string::npos) << table1;
  EXPECT_NE(table1.find("100 x 5 + 5 = 505"), std::string::npos) << table1;
  EXPECT_NE(table1.find("Total params: 410,805"), std::string::npos) << table1;
  EXPECT_NE(table1.find("410,300 + 0 + 505 = 410,805"), std::string::npos) << table1;
  EXPECT_NE(table1.find("Non-trainable params: 0"), std::string::npos) << table1;
  EXPECT_NE(table2.find("410,300 + 0 + 1,010 + 0 + 55 = 411,365"), std::string::npos) << table2;
  EXPECT_NE(table2.find("dropout_1 (Dropout)"), std::string::npos) << table2;
  EXPECT_NE(table2.find("(None, 10)"), std::string::npos) << table2;
}

TEST(Summary, NoDropoutLayersWithoutDropout) {
  const Architecture a{10, {4}, 2, 0.0};
  EXPECT_EQ(summary_rows(a).size(), 2u);
  EXPECT_EQ(with_thousands(0), "0");
  EXPECT_EQ(with_thousands(1234567), "1,234,567");
}

TEST(Glorot, UniformWithinTheLimitAndZeroBiases) {
  const Architecture a{300, {200}, 5, 0.3};
  std::vector<float> params(static_cast<std::size_t>(parameter_count(a)));
  glorot_uniform(a, params, 11);
  const auto layers = dense_layers(a);
  const double limit = std::sqrt(6.0 / 500);
  double sum = 0, squares = 0;
  const auto n = layers[0].inputs * layers[0].outputs;
  for (std::int64_t i = 0; i < n; ++i) {
    const double w = params[layers[0].weight + i];
    ASSERT_LE(std::abs(w), limit);
    sum += w;
    squares += w * w;
  }
  // U(-l, l): mean 0, variance l^2 / 3 (60,000 draws).
  EXPECT_NEAR(sum / n, 0.0, 0.02 * limit);
  EXPECT_NEAR(squares / n, limit * limit / 3, 0.02 * limit * limit);
  for (const auto& d : layers)
    for (std::int64_t o = 0; o < d.outputs; ++o) EXPECT_EQ(params[d.bias + o], 0.0f);
  std::vector<float> again(params.size());
  glorot_uniform(a, again, 11);
  EXPECT_EQ(params, again);
}

TEST(Architecture, RejectsImpossibleNetworks) {
  EXPECT_THROW(validate(Architecture{0, {}, 3, 0}), UsageError);
  EXPECT_THROW(validate(Architecture{5, {}, 1, 0}), UsageError);
  EXPECT_THROW(validate(Architecture{5, {0}, 3, 0}), UsageError);
  EXPECT_THROW(validate(Architecture{5, {3}, 3, 1.0}), UsageError);
  EXPECT_NO_THROW(validate(Architecture{5, {3}, 3, 0.3}));
}

}  // namespace
}  // namespace pancan::nn
