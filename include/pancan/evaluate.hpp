// `pancan evaluate`: scores trained models on the test split of a prepared dataset.
// The test rows are sharded over the ranks (each rank reads its block of /X and runs
// every model on it), the predictions are gathered on the root, and the root computes
// the metrics and writes report.json / report.md / report.html.
#pragma once

#include <string>
#include <vector>

#include "pancan/model.hpp"
#include "pancan/mpi.hpp"
#include "pancan/report.hpp"

namespace pancan {

struct EvaluateOptions {
  std::string data;                 // prepared dataset.h5
  std::vector<std::string> models;  // model files
  std::vector<std::string> names;   // display names; empty = each file's stem
  std::string out_dir;              // where root writes the report; empty = no files
};

// Collective over `comm`. Returns the complete report on the root (timings: "evaluate");
// other ranks get the report without test metrics.
Report evaluate(const EvaluateOptions& options, const mpi::Comm& comm);

// What the report says about a model file: name, layers with their parameter counts,
// summary, options, history, and the epoch whose weights the file holds.
ModelReport describe_model(const Model& model, const std::string& name, const std::string& file);

// "out/model1.h5" -> "model1".
std::string model_name_from_path(const std::string& path);

}  // namespace pancan
