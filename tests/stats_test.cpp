// Per-gene moments, quantile and selection against numpy/pandas values stored in
// tests/data/prepare/stats_reference.json (made by make_stats_reference.py beside it).
#include "pancan/stats.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "pancan/error.hpp"

namespace pancan {
namespace {

const nlohmann::json& reference() {
  static const nlohmann::json json = [] {
    std::ifstream in(std::string(PANCAN_TEST_DATA) + "/prepare/stats_reference.json");
    if (!in) throw Error("cannot read stats_reference.json");
    return nlohmann::json::parse(in);
  }();
  return json;
}

std::vector<float> reference_matrix() { return reference()["matrix"].get<std::vector<float>>(); }

// Moments of the reference matrix fed `chunk_rows` rows at a time.
GeneMoments chunked_moments(std::int64_t chunk_rows) {
  const auto x = reference_matrix();
  const std::int64_t rows = reference()["rows"], genes = reference()["genes"];
  GeneMoments moments(static_cast<std::size_t>(genes));
  for (std::int64_t r = 0; r < rows; r += chunk_rows) {
    const std::int64_t n = std::min(chunk_rows, rows - r);
    accumulate(std::span<const float>(x).subspan(static_cast<std::size_t>(r * genes),
                                                 static_cast<std::size_t>(n * genes)),
               moments);
  }
  return moments;
}

void expect_relative(double got, double want, double tolerance, const std::string& what) {
  EXPECT_LE(std::abs(got - want), tolerance * std::abs(want))
      << what << ": " << got << " vs " << want;
}

TEST(Stats, VariancesMatchPandasToOnePartInABillionWhateverTheChunking) {
  const auto want = reference()["variances"].get<std::vector<double>>();
  for (std::int64_t chunk : {1, 2, 7, 64, 97, 256}) {
    const auto moments = chunked_moments(chunk);
    EXPECT_EQ(moments.count, reference()["rows"].get<std::int64_t>());
    const auto got = sample_variances(moments);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t g = 0; g < got.size(); ++g)
      expect_relative(got[g], want[g], 1e-9,
                      "gene " + std::to_string(g) + " chunk " + std::to_string(chunk));
  }
}

TEST(Stats, ConstantGeneHasZeroVarianceAndMinEqualsMax) {
  const auto moments = chunked_moments(10);
  EXPECT_EQ(sample_variances(moments)[5], 0.0);
  EXPECT_EQ(moments.minimum[5], 2.5f);
  EXPECT_EQ(moments.maximum[5], 2.5f);
}

TEST(Stats, MinimumAndMaximumAreExact) {
  const auto lo = reference()["minimum"].get<std::vector<float>>();
  const auto hi = reference()["maximum"].get<std::vector<float>>();
  for (std::int64_t chunk : {1, 13, 97}) {
    const auto moments = chunked_moments(chunk);
    EXPECT_EQ(moments.minimum, lo);
    EXPECT_EQ(moments.maximum, hi);
  }
}

TEST(Stats, RowSubsetEqualsTheCompactedRows) {
  const auto x = reference_matrix();
  const std::int64_t rows = reference()["rows"], genes = reference()["genes"];
  std::vector<std::int64_t> odd;
  std::vector<float> compact;
  for (std::int64_t r = 1; r < rows; r += 2) {
    odd.push_back(r);
    compact.insert(compact.end(), x.begin() + r * genes, x.begin() + (r + 1) * genes);
  }
  GeneMoments subset(static_cast<std::size_t>(genes)), whole(static_cast<std::size_t>(genes));
  accumulate_rows(x, odd, subset);
  accumulate(compact, whole);
  EXPECT_EQ(subset.count, static_cast<std::int64_t>(odd.size()));
  EXPECT_EQ(subset.mean, whole.mean);
  EXPECT_EQ(subset.m2, whole.m2);
  EXPECT_EQ(subset.minimum, whole.minimum);
  EXPECT_EQ(subset.maximum, whole.maximum);
}

TEST(Stats, CombineEqualsOnePass) {
  const auto x = reference_matrix();
  const std::int64_t genes = reference()["genes"];
  const std::size_t split = static_cast<std::size_t>(40 * genes);
  GeneMoments a(static_cast<std::size_t>(genes)), b(static_cast<std::size_t>(genes)),
      empty(static_cast<std::size_t>(genes));
  accumulate(std::span<const float>(x).first(split), a);
  accumulate(std::span<const float>(x).subspan(split), b);
  combine(empty, a);  // combining into nothing copies
  combine(empty, b);
  const auto want = reference()["variances"].get<std::vector<double>>();
  const auto got = sample_variances(empty);
  for (std::size_t g = 0; g < got.size(); ++g)
    expect_relative(got[g], want[g], 1e-9, "gene " + std::to_string(g));
  EXPECT_EQ(empty.minimum, reference()["minimum"].get<std::vector<float>>());
}

TEST(Stats, RejectsRaggedChunksOutOfRangeRowsAndTooFewSamples) {
  GeneMoments moments(3);
  std::vector<float> ragged(7, 1.0f);
  EXPECT_THROW(accumulate(ragged, moments), Error);
  std::vector<float> two_rows(6, 1.0f);
  std::vector<std::int64_t> bad = {2};
  EXPECT_THROW(accumulate_rows(two_rows, bad, moments), Error);
  accumulate(std::span<const float>(two_rows).first(3), moments);
  EXPECT_THROW(sample_variances(moments), Error);  // one sample: no unbiased variance
}

double generated_value(std::size_t i) {
  return static_cast<double>((i * 7919) % 20531 % 5000) / 7.0;
}

TEST(Stats, QuantileIsBitIdenticalToNumpy) {
  std::vector<double> generated(20531);
  for (std::size_t i = 0; i < generated.size(); ++i) generated[i] = generated_value(i);
  int checked = 0;
  for (const auto& c : reference()["numpy_quantiles"]) {
    const auto values =
        c["generated_20531"].get<bool>() ? generated : c["values"].get<std::vector<double>>();
    const double q = c["q"];
    EXPECT_EQ(quantile_linear(values, q), c["quantile"].get<double>())
        << "n = " << values.size() << ", q = " << q;
    ++checked;
  }
  EXPECT_EQ(checked, 40);
  EXPECT_THROW(quantile_linear(std::vector<double>{}, 0.5), Error);
  EXPECT_THROW(quantile_linear(generated, 1.5), Error);
}

TEST(Stats, QuantileSelectionMatchesPandas) {
  const auto variances = reference()["variances"].get<std::vector<double>>();
  for (const auto& c : reference()["quantiles"]) {
    const double q = c["q"];
    const auto selection = select_by_quantile(variances, q);
    EXPECT_EQ(selection.threshold, c["threshold"].get<double>()) << "q = " << q;
    EXPECT_EQ(selection.genes, c["selected"].get<std::vector<std::int64_t>>()) << "q = " << q;
  }
}

TEST(Stats, QuantileOfTheTcgaGeneCountKeeps4107Of20531) {
  // DESIGN.md: q = 0.8 over 20531 distinct variances keeps 4107 genes.
  std::vector<double> variances(20531);
  for (std::size_t i = 0; i < variances.size(); ++i)
    variances[i] = static_cast<double>((i * 7919) % 20531);
  EXPECT_EQ(select_by_quantile(variances, 0.8).genes.size(), 4107u);
}

TEST(Stats, TopGenesMatchPandasNlargest) {
  const auto variances = reference()["variances"].get<std::vector<double>>();
  for (const auto& c : reference()["top"]) {
    const std::int64_t n = c["n"];
    const auto selection = select_top_genes(variances, n);
    EXPECT_EQ(selection.genes, c["selected"].get<std::vector<std::int64_t>>()) << "n = " << n;
    EXPECT_EQ(static_cast<std::int64_t>(selection.genes.size()), n);
  }
}

TEST(Stats, TopGenesBreakTiesByColumnOrder) {
  const std::vector<double> variances = {1.0, 3.0, 3.0, 2.0, 3.0};
  auto two = select_top_genes(variances, 2);
  EXPECT_EQ(two.genes, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(two.threshold, 3.0);
  auto four = select_top_genes(variances, 4);
  EXPECT_EQ(four.genes, (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(four.threshold, 2.0);
}

TEST(Stats, SelectionRejectsBadParameters) {
  const std::vector<double> variances = {1.0, 2.0, 3.0};
  EXPECT_THROW(select_by_quantile(variances, 0.0), Error);
  EXPECT_THROW(select_by_quantile(variances, 1.0), Error);
  EXPECT_THROW(select_by_quantile(variances, -0.5), Error);
  EXPECT_THROW(select_top_genes(variances, 4), Error);
  EXPECT_THROW(select_top_genes(variances, 0), Error);
}

}  // namespace
}  // namespace pancan
