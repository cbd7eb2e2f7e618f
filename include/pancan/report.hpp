// The evaluation report: a plain description of one evaluation (data, models, learning
// curves, test predictions and their metrics) and the three files root writes from it:
//   report.json  everything, machine-readable (schema: README "report.json"; the metrics
//                can be recomputed from test.samples / labels / predicted)
//   report.md    tables for a terminal or a code-hosting site
//   report.html  one self-contained page (inline CSS and SVG; no scripts, fonts or network)
// The report names the best model by a validation metric, never by test accuracy: the
// test split must not choose the model it then scores.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pancan/metrics.hpp"
#include "pancan/model.hpp"  // EpochRecord: the history as the model file holds it
#include "pancan/student_t.hpp"

namespace pancan {

// One row of the Keras-style model summary. Dense(in -> out) has in*out + out parameters.
struct LayerRow {
  std::string name;          // "dense_1"
  std::string type;          // "Dense", "Dropout"
  std::string output_shape;  // "(None, 100)"
  std::int64_t inputs = 0;
  std::int64_t outputs = 0;
  std::int64_t parameters = 0;
};

using TextPairs = std::vector<std::pair<std::string, std::string>>;

struct ModelReport {
  std::string kind = "network";  // "network" or "knn" (k-nearest neighbours: no layers,
                                 // no history)
  std::string name;              // "model1"
  std::string file;              // the model file evaluated
  std::string summary;           // Keras-style text table, as `pancan train` prints it
  std::vector<LayerRow> layers;
  std::int64_t parameters = 0;
  TextPairs options;  // training options (name, value), in the order train reports them
  std::vector<EpochRecord> history;
  int kept_epoch = 0;  // epoch whose weights the file holds (early stopping); 0 = the last
  double train_seconds = 0;
  // For a model without history (k-NN): its accuracy on the validation rows, which stands
  // for it when the best model is chosen. NaN for networks (their history holds it).
  double validation_accuracy = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::int32_t> predicted;  // per test sample (Report::test_samples order)
  Metrics test;                         // from Report::test_labels and `predicted`
};

// Where the data came from and how it was prepared.
struct DataProvenance {
  std::string dataset;  // dataset.h5
  TextPairs sources;    // e.g. (expression, path), (labels, path)
  std::int64_t samples = 0, genes = 0, genes_selected = 0;
  std::int64_t train = 0, validation = 0, test = 0;
  TextPairs preparation;  // e.g. (quantile, 0.8), (fit_on, train), (seed, 42)
};

// Stratified k-fold cross-validation over the training + validation rows (cv.hpp): every
// model scored on the same folds, so models can be compared fold by fold.
struct CvFoldScore {
  int repeat = 0, fold = 0;  // 0-based
  double accuracy = 0, macro_f1 = 0;
  std::int64_t rows = 0;  // held-out rows scored
  std::string note;       // e.g. the k chosen inside the fold
};
struct CvModelSummary {
  std::string name, kind;           // kind: "network" or "knn"
  std::vector<CvFoldScore> folds;   // repeat-major order
  MeanInterval accuracy, macro_f1;  // over the folds, with the t interval
};
// Paired t-tests of first - second over the same folds.
struct CvComparison {
  std::string first, second;
  PairedTest accuracy, macro_f1;
};
struct CrossValidation {
  int folds = 0, repeats = 0;
  std::uint64_t seed = 0;
  std::int64_t rows = 0;  // train + validation rows cross-validated (the test split is not)
  double level = 0.95;
  std::vector<CvModelSummary> models;
  std::vector<CvComparison> comparisons;
  double seconds = 0;
};

struct Report {
  std::string title = "pancan evaluation report";
  std::string created;  // ISO 8601 UTC
  std::string version;  // pancan's
  int ranks = 1;
  DataProvenance data;
  std::vector<std::string> classes;
  std::vector<std::string> test_samples;  // ids, ascending sample index
  std::vector<std::int32_t> test_labels;  // true class per test sample
  std::vector<ModelReport> models;
  std::vector<std::pair<std::string, double>> timings;  // stage -> seconds, in stage order
  std::optional<CrossValidation> cv;                    // when cross-validation was run
};

// The epoch whose validation scores stand for a model: kept_epoch, or the last one.
// nullopt for a model without history.
std::optional<EpochRecord> selected_epoch(const ModelReport& model);

// Index of the best model: highest validation accuracy at its selected epoch, ties broken
// by lower validation loss, then by order. nullopt when no model has a history with
// validation scores.
std::optional<std::size_t> best_model(const Report& report);

// Current time as ISO 8601 UTC ("2026-01-31T12:00:00Z").
std::string utc_timestamp();

// Fills each model's `test` from the report's test labels and the model's predictions.
void compute_test_metrics(Report& report);

nlohmann::ordered_json report_json(const Report& report);
// One model's metrics as report.json's `test` object holds them (accuracy, classes,
// confusion_matrix, per_class, macro_avg, weighted_avg), for other files to reuse.
nlohmann::ordered_json metrics_json(const Metrics& metrics);
// Reads what report_json wrote (the inputs; metrics are recomputed). Throws Error naming
// the missing or malformed field.
Report report_from_json(const nlohmann::json& json);

// report.json's `cross_validation` object (also written alone as cv.json) and back.
nlohmann::ordered_json cv_json(const CrossValidation& cv);
CrossValidation cv_from_json(const nlohmann::json& json);

std::string report_markdown(const Report& report);
std::string report_html(const Report& report);

// Writes report.json, report.md and report.html into `directory` (which must exist),
// each to a temporary name first and then renamed.
void write_report(const Report& report, const std::string& directory);

// Writes `text` to `path` through a temporary file in the same directory and a rename, so
// `path` is either the old file or the complete new one, never a partial one.
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace pancan
