// Report files from the fixture tests/data/report/report.json (made by make_fixture.py
// beside it, metrics by scikit-learn): the JSON schema and round trip, the best model
// chosen by validation, the Markdown tables and the self-contained HTML.
#include "pancan/report.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "pancan/error.hpp"

namespace pancan {
namespace {

nlohmann::json fixture_json() {
  std::ifstream in(std::string(PANCAN_TEST_DATA) + "/report/report.json");
  EXPECT_TRUE(in.good()) << "missing tests/data/report/report.json";
  return nlohmann::json::parse(in);
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Report, RecomputedMetricsEqualScikitLearnInTheFixture) {
  const auto j = fixture_json();
  const auto report = report_from_json(j);
  ASSERT_EQ(report.models.size(), 2u);
  for (std::size_t i = 0; i < report.models.size(); ++i) {
    const auto& want = j["models"][i]["test"];
    const auto& got = report.models[i].test;
    EXPECT_NEAR(got.accuracy, want["accuracy"].get<double>(), 1e-12);
    EXPECT_NEAR(got.macro_avg.f1, want["macro_avg"]["f1"].get<double>(), 1e-12);
    EXPECT_NEAR(got.weighted_avg.recall, want["weighted_avg"]["recall"].get<double>(), 1e-12);
    for (std::size_t c = 0; c < got.classes.size(); ++c) {
      EXPECT_NEAR(got.per_class[c].specificity, want["per_class"][c]["specificity"].get<double>(),
                  1e-12);
      for (std::size_t p = 0; p < got.classes.size(); ++p)
        EXPECT_EQ(got.count(c, p), want["confusion_matrix"][c][p].get<std::int64_t>());
    }
  }
}

TEST(Report, JsonHasTheDocumentedSchemaAndRoundTrips) {
  const auto report = report_from_json(fixture_json());
  const auto j = report_json(report);
  for (const char* key :
       {"created", "pancan_version", "ranks", "data", "classes", "timings", "best_model", "models"})
    EXPECT_TRUE(j.contains(key)) << key;
  const auto& m = j["models"][0];
  for (const char* key : {"name", "parameters", "layers", "summary", "options", "history", "test"})
    EXPECT_TRUE(m.contains(key)) << key;
  for (const char* key : {"epoch", "loss", "accuracy", "val_loss", "val_accuracy"})
    EXPECT_TRUE(m["history"][0].contains(key)) << key;
  for (const char* key : {"accuracy", "confusion_matrix", "classes", "per_class", "macro_avg",
                          "weighted_avg", "samples", "labels", "predicted"})
    EXPECT_TRUE(m["test"].contains(key)) << key;
  EXPECT_EQ(m["parameters"].get<std::int64_t>(), 410805);
  EXPECT_EQ(j["models"][1]["parameters"].get<std::int64_t>(), 411365);
  EXPECT_EQ(m["test"]["samples"].size(), 267u);
  // Reading back what was written gives the same document.
  EXPECT_EQ(report_json(report_from_json(nlohmann::json::parse(j.dump()))).dump(), j.dump());
}

TEST(Report, BestModelIsChosenByValidationNotTest) {
  const auto report = report_from_json(fixture_json());
  // The fixture's model1 is better on the test split, model2 on validation.
  ASSERT_GT(report.models[0].test.accuracy, report.models[1].test.accuracy);
  ASSERT_EQ(best_model(report), std::optional<std::size_t>(1));
  EXPECT_EQ(report_json(report)["best_model"]["name"], "model2");
  EXPECT_NE(report_markdown(report).find("validation accuracy (ties: lower validation loss): "
                                         "**model2**"),
            std::string::npos);
  // A model file that kept an earlier epoch (early stopping) is judged by that epoch.
  auto kept = report;
  kept.models[0].kept_epoch = 3;
  kept.models[0].history[2].val_accuracy = 1.0;
  EXPECT_EQ(best_model(kept), std::optional<std::size_t>(0));
  EXPECT_EQ(selected_epoch(kept.models[0])->epoch, 3);
  // Ties on validation accuracy go to the lower validation loss.
  auto tie = report;
  tie.models[0].history.back().val_accuracy = tie.models[1].history.back().val_accuracy;
  tie.models[0].history.back().val_loss = tie.models[1].history.back().val_loss / 2;
  EXPECT_EQ(best_model(tie), std::optional<std::size_t>(0));
  tie.models[0].history.clear();
  tie.models[1].history.clear();
  EXPECT_FALSE(best_model(tie).has_value());
}

TEST(Report, MarkdownHasTheTablesAndTheParameterJustification) {
  const auto report = report_from_json(fixture_json());
  const auto md = report_markdown(report);
  EXPECT_NE(md.find("| dense_1 | Dense | (None, 100) | 4,102 x 100 + 100 = 410,300 |"),
            std::string::npos);
  EXPECT_NE(md.find("| dense_2 | Dense | (None, 5) | 100 x 5 + 5 = 505 |"), std::string::npos);
  EXPECT_NE(md.find("| dense_2 | Dense | (None, 10) | 100 x 10 + 10 = 1,010 |"), std::string::npos);
  EXPECT_NE(md.find("| **total** | | | **411,365** |"), std::string::npos);
  EXPECT_NE(md.find("| true \\ predicted | BRCA | COAD | KIRC | LUAD | PRAD |"), std::string::npos);
  // The confusion row of BRCA for model1, built from the recomputed matrix.
  const auto& m = report.models[0].test;
  std::string brca_row = "| **BRCA** |";
  for (std::size_t p = 0; p < 5; ++p) brca_row += " " + std::to_string(m.count(0, p)) + " |";
  EXPECT_NE(md.find(brca_row), std::string::npos);
  EXPECT_EQ(occurrences(md, "| macro avg |"), 2u);
  EXPECT_NE(md.find("| model1 | model2 |"), std::string::npos);
  EXPECT_NE(md.find("| test accuracy | " + std::to_string(m.accuracy).substr(0, 6)),
            std::string::npos);
}

TEST(Report, HtmlIsSelfContainedWithChartsForEveryModel) {
  const auto report = report_from_json(fixture_json());
  const auto html = report_html(report);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  // The only URL is the SVG namespace name, which browsers never fetch.
  std::string without_namespace =
      std::regex_replace(html, std::regex("http://www.w3.org/2000/svg"), "");
  EXPECT_EQ(without_namespace.find("http"), std::string::npos);
  EXPECT_EQ(occurrences(html, "<svg class=\"learning-curve\""), 4u);  // loss + accuracy per model
  EXPECT_EQ(occurrences(html, "<svg class=\"confusion-heatmap\""), 2u);
  EXPECT_EQ(occurrences(html, "<rect class=\"cell\""), 2u * 25u);
  EXPECT_EQ(occurrences(html, "<polyline class=\"series\""), 8u);
  EXPECT_NE(html.find("<table id=\"comparison\">"), std::string::npos);
  EXPECT_NE(html.find("<th class=\"best\">model2</th>"), std::string::npos);
  EXPECT_NE(html.find("4,102 x 100 + 100 = 410,300"), std::string::npos);
  // Every count of the confusion matrix is printed in its cell.
  const auto& m = report.models[1].test;
  EXPECT_NE(html.find("true KIRC, predicted KIRC: " + std::to_string(m.count(2, 2)) + "<"),
            std::string::npos);
}

TEST(Report, TextIsEscaped) {
  auto report = report_from_json(fixture_json());
  report.models[0].name = "<b>&\"x\"";
  const auto html = report_html(report);
  EXPECT_EQ(html.find("<b>&"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;&amp;&quot;x&quot;"), std::string::npos);
}

TEST(Report, WritesTheThreeFilesAndNoTemporaries) {
  const auto dir = std::filesystem::temp_directory_path() / "pancan_report_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  write_report(report_from_json(fixture_json()), dir.string());
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"report.html", "report.json", "report.md"}));
  std::ifstream in(dir / "report.json");
  EXPECT_EQ(nlohmann::json::parse(in)["models"].size(), 2u);
  EXPECT_THROW(write_report(report_from_json(fixture_json()), (dir / "missing").string()), Error);
  std::filesystem::remove_all(dir);
}

TEST(Report, MalformedJsonNamesTheField) {
  auto j = fixture_json();
  j["models"][1]["history"][0].erase("val_loss");
  try {
    report_from_json(j);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("models[1].history[].val_loss"), std::string::npos)
        << e.what();
  }
  j = fixture_json();
  j["models"][0]["test"]["predicted"][0] = "GBM";
  EXPECT_THROW(report_from_json(j), Error);
}

}  // namespace
}  // namespace pancan
