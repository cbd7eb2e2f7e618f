// Metrics against scikit-learn: tests/data/metrics/reference.json was made by
// make_reference.py beside it (Debian's python3-sklearn). Tolerance 1e-12 absolute: the
// same ratios of small integers, summed in a possibly different order.
#include "pancan/metrics.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "pancan/error.hpp"

namespace pancan {
namespace {

constexpr double kTolerance = 1e-12;

nlohmann::json load_reference() {
  std::ifstream in(std::string(PANCAN_TEST_DATA) + "/metrics/reference.json");
  EXPECT_TRUE(in.good()) << "missing tests/data/metrics/reference.json";
  return nlohmann::json::parse(in);
}

void expect_scores(const ClassScores& got, const nlohmann::json& want, const std::string& what) {
  EXPECT_NEAR(got.precision, want["precision"].get<double>(), kTolerance) << what;
  EXPECT_NEAR(got.recall, want["recall"].get<double>(), kTolerance) << what;
  EXPECT_NEAR(got.f1, want["f1"].get<double>(), kTolerance) << what;
  EXPECT_NEAR(got.specificity, want["specificity"].get<double>(), kTolerance) << what;
  EXPECT_EQ(got.support, want["support"].get<std::int64_t>()) << what;
}

TEST(Metrics, EqualScikitLearnOnEveryReferenceCase) {
  const auto reference = load_reference();
  ASSERT_GE(reference["cases"].size(), 5u);
  for (const auto& c : reference["cases"]) {
    const std::string name = c["name"];
    const auto truth = c["truth"].get<std::vector<std::int32_t>>();
    const auto predicted = c["predicted"].get<std::vector<std::int32_t>>();
    const auto m = compute_metrics(c["classes"].get<std::vector<std::string>>(), truth, predicted);
    const std::size_t k = m.classes.size();
    EXPECT_EQ(m.samples, static_cast<std::int64_t>(truth.size())) << name;
    for (std::size_t t = 0; t < k; ++t)
      for (std::size_t p = 0; p < k; ++p)
        EXPECT_EQ(m.count(t, p), c["confusion"][t][p].get<std::int64_t>())
            << name << " confusion[" << t << "][" << p << "]";
    EXPECT_NEAR(m.accuracy, c["accuracy"].get<double>(), kTolerance) << name;
    for (std::size_t i = 0; i < k; ++i)
      expect_scores(m.per_class[i], c["per_class"][i], name + " class " + m.classes[i]);
    expect_scores(m.macro_avg, c["macro_avg"], name + " macro");
    expect_scores(m.weighted_avg, c["weighted_avg"], name + " weighted");
  }
}

TEST(Metrics, RowsAreTrueClassesAndColumnsPredictions) {
  // Two samples of class 0 predicted as class 2: the count sits in row 0, column 2.
  const std::vector<std::int32_t> truth = {0, 0, 1}, predicted = {2, 2, 1};
  const auto m = compute_metrics({"a", "b", "c"}, truth, predicted);
  EXPECT_EQ(m.count(0, 2), 2);
  EXPECT_EQ(m.count(2, 0), 0);
  EXPECT_EQ(m.count(1, 1), 1);
  // Class c was predicted twice, never right: precision 0; it has no samples: recall 0/0 = 0.
  EXPECT_EQ(m.per_class[2].precision, 0.0);
  EXPECT_EQ(m.per_class[2].recall, 0.0);
  EXPECT_EQ(m.per_class[2].support, 0);
  // Class a: TN = 1 (the b sample), FP = 0 -> specificity 1; recall 0.
  EXPECT_EQ(m.per_class[0].specificity, 1.0);
  EXPECT_EQ(m.per_class[0].recall, 0.0);
  EXPECT_NEAR(m.accuracy, 1.0 / 3.0, kTolerance);
}

TEST(Metrics, RejectsLabelsOutsideTheClassesAndLengthMismatch) {
  const std::vector<std::int32_t> truth = {0, 1}, bad = {0, 2}, short_list = {0};
  EXPECT_THROW(compute_metrics({"a", "b"}, truth, bad), Error);
  EXPECT_THROW(compute_metrics({"a", "b"}, truth, short_list), Error);
  EXPECT_THROW(metrics_from_confusion({"a", "b"}, {1, 2, 3}), Error);
}

TEST(Metrics, EmptyPredictionsGiveZerosNotNaN) {
  const auto m = compute_metrics({"a", "b"}, {}, {});
  EXPECT_EQ(m.samples, 0);
  EXPECT_EQ(m.accuracy, 0.0);
  EXPECT_EQ(m.macro_avg.f1, 0.0);
  EXPECT_EQ(m.weighted_avg.precision, 0.0);
}

}  // namespace
}  // namespace pancan
