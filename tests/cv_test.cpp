// Cross-validation: the stratified fold assignment, and the summaries of the
// baselines-and-CV report fixture (tests/data/report/report_cv.json, made by
// `make_fixture.py baselines`): pancan recomputes SciPy's means, t intervals and paired
// t-tests from the fold scores; the report carries a k-NN model and the CV section.
#include "pancan/cv.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "pancan/report.hpp"

namespace pancan {
namespace {

TEST(Cv, StratifiedFoldsAreBalancedPerClassAndOverall) {
  const std::vector<int> counts = {10, 7, 3, 1, 20};
  std::vector<std::int32_t> labels;
  for (int c = 0; c < 5; ++c) labels.insert(labels.end(), counts[c], c);
  std::reverse(labels.begin(), labels.end());
  const int folds = 5;
  const auto a = stratified_folds(labels, 5, folds, 7, 0);
  EXPECT_EQ(a, stratified_folds(labels, 5, folds, 7, 0));  // a pure function
  EXPECT_NE(a, stratified_folds(labels, 5, folds, 7, 1));  // another repeat, other folds
  std::vector<int> size(folds, 0);
  for (int c = 0; c < 5; ++c) {
    std::vector<int> per_fold(folds, 0);
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels[i] == c) ++per_fold[static_cast<std::size_t>(a[i])];
    const auto [lo, hi] = std::minmax_element(per_fold.begin(), per_fold.end());
    EXPECT_LE(*hi - *lo, 1) << "class " << c;
  }
  for (int f : a) {
    ASSERT_GE(f, 0);
    ASSERT_LT(f, folds);
    ++size[static_cast<std::size_t>(f)];
  }
  const auto [lo, hi] = std::minmax_element(size.begin(), size.end());
  EXPECT_LE(*hi - *lo, 1);
  EXPECT_THROW(stratified_folds(labels, 5, 1, 7, 0), UsageError);
}

Report fixture() {
  std::ifstream in(std::string(PANCAN_TEST_DATA) + "/report/report_cv.json");
  EXPECT_TRUE(in.good());
  return report_from_json(nlohmann::json::parse(in));
}

void expect_interval(const MeanInterval& got, const nlohmann::json& want, const std::string& what) {
  EXPECT_EQ(got.n, want["n"].get<std::int64_t>()) << what;
  EXPECT_NEAR(got.mean, want["mean"].get<double>(), 1e-14) << what;
  EXPECT_NEAR(got.sd, want["sd"].get<double>(), 1e-14) << what;
  // SciPy's t.ppf is good to ~1e-9 relative (student_t_test.cpp).
  EXPECT_NEAR(got.low, want["low"].get<double>(), 1e-10) << what;
  EXPECT_NEAR(got.high, want["high"].get<double>(), 1e-10) << what;
}

TEST(Cv, SummariesMatchScipy) {
  std::ifstream in(std::string(PANCAN_TEST_DATA) + "/report/report_cv.json");
  const auto json = nlohmann::json::parse(in);
  const auto report = fixture();
  ASSERT_TRUE(report.cv.has_value());
  const auto& cv = *report.cv;
  const auto& want = json["cross_validation"];
  ASSERT_EQ(cv.models.size(), 4u);
  for (std::size_t m = 0; m < cv.models.size(); ++m) {
    EXPECT_EQ(cv.models[m].folds.size(), 10u);
    expect_interval(cv.models[m].accuracy, want["models"][m]["accuracy"], cv.models[m].name);
    expect_interval(cv.models[m].macro_f1, want["models"][m]["macro_f1"], cv.models[m].name);
  }
  ASSERT_EQ(cv.comparisons.size(), 6u);
  for (std::size_t c = 0; c < cv.comparisons.size(); ++c) {
    const auto& w = want["comparisons"][c];
    EXPECT_EQ(cv.comparisons[c].first, w["first"]);
    EXPECT_EQ(cv.comparisons[c].second, w["second"]);
    for (const auto& [name, test] : {std::pair{"accuracy", cv.comparisons[c].accuracy},
                                     std::pair{"macro_f1", cv.comparisons[c].macro_f1}}) {
      const auto& wt = w[name];
      EXPECT_NEAR(test.difference.mean, wt["mean_difference"].get<double>(), 1e-14);
      EXPECT_NEAR(test.difference.low, wt["low"].get<double>(), 1e-10);
      EXPECT_NEAR(test.difference.high, wt["high"].get<double>(), 1e-10);
      EXPECT_NEAR(test.t, wt["t"].get<double>(), 1e-9 * std::fabs(wt["t"].get<double>()));
      EXPECT_NEAR(test.p_value, wt["p_value"].get<double>(), 1e-12);
    }
  }
  // JSON round trip keeps everything.
  const auto j = report_json(report);
  EXPECT_EQ(report_json(report_from_json(nlohmann::json::parse(j.dump()))).dump(), j.dump());
}

TEST(Cv, ReportShowsKnnAndTheCvSection) {
  const auto report = fixture();
  ASSERT_EQ(report.models.size(), 4u);
  const auto& knn = report.models[3];
  EXPECT_EQ(knn.kind, "knn");
  EXPECT_DOUBLE_EQ(knn.validation_accuracy, 0.97);
  EXPECT_TRUE(knn.layers.empty() && knn.history.empty());
  // model2's validation accuracy (0.981) beats k-NN's 0.97.
  EXPECT_EQ(report.models[*best_model(report)].name, "model2");
  Report knn_best = report;
  knn_best.models[3].validation_accuracy = 0.99;
  EXPECT_EQ(knn_best.models[*best_model(knn_best)].name, "knn");
  EXPECT_EQ(report_json(knn_best)["best_model"]["name"], "knn");

  const auto md = report_markdown(report);
  EXPECT_NE(md.find("## Baselines and cross-validation"), std::string::npos);
  EXPECT_NE(md.find("Stratified 5-fold cross-validation, 2 repeats"), std::string::npos);
  EXPECT_NE(md.find("| model1 - knn |"), std::string::npos);
  EXPECT_NE(md.find("| k-NN |"), std::string::npos);  // the comparison's kind row
  EXPECT_NE(md.find("0.9700"), std::string::npos);    // k-NN's validation accuracy
  const auto html = report_html(report);
  std::size_t charts = 0;
  for (auto at = html.find("class=\"cv-interval\""); at != std::string::npos;
       at = html.find("class=\"cv-interval\"", at + 1))
    ++charts;
  EXPECT_EQ(charts, 2u);
  EXPECT_NE(html.find("id=\"cv-comparisons\""), std::string::npos);
  // No learning curves for k-NN: 3 networks x (loss + accuracy).
  std::size_t curves = 0;
  for (auto at = html.find("class=\"learning-curve\""); at != std::string::npos;
       at = html.find("class=\"learning-curve\"", at + 1))
    ++curves;
  EXPECT_EQ(curves, 6u);
}

}  // namespace
}  // namespace pancan
