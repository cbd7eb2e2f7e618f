// `pancan predict`: classifies new samples with a trained model file. The expression
// table may be in any layout `pancan convert` reads (csv.hpp: CSV/TSV, gzip, samples or
// genes as rows); it is parsed in parallel, genes are matched by name to the model's,
// the model's own min-max scaling is applied and each rank runs the network on its
// samples. Root writes `sample,predicted,p_<class>...` and, given labels, the metrics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pancan/csv.hpp"
#include "pancan/metrics.hpp"
#include "pancan/mpi.hpp"

namespace pancan {

struct PredictOptions {
  std::string model;       // model.h5
  std::string expression;  // samples to classify
  std::string labels;      // optional: true classes (sample id + label column)
  std::string label_column = "Class";
  std::string out;  // predictions CSV; empty = none
  std::string
      metrics;  // metrics JSON when labels are given; empty = OUT minus .csv + .metrics.json
  csv::Separator separator = csv::Separator::Auto;
  csv::Orientation orientation = csv::Orientation::SamplesAsRows;
  // Model genes absent from the table: an error listing them, or (when allowed) filled
  // with the training minimum (scaled: 0) after a warning that counts them.
  bool allow_missing_genes = false;
};

// Complete on the root; other ranks get only classes and missing_genes.
struct PredictResult {
  std::vector<std::string> classes;
  std::vector<std::string> samples;     // table order
  std::vector<std::int32_t> predicted;  // index into classes, per sample
  std::vector<float> probabilities;     // samples x classes
  std::vector<std::string> missing_genes;
  std::optional<Metrics> metrics;  // with labels
  double seconds = 0;
};

// Collective over `comm`; errors are agreed, so every rank throws the same CollectiveError.
PredictResult predict(const PredictOptions& options, const mpi::Comm& comm);

// The metrics file's default name: "pred.csv" -> "pred.metrics.json".
std::string default_metrics_path(const std::string& out);

}  // namespace pancan
