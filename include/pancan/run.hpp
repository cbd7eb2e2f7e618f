// `pancan run`: the main job. Chains convert -> prepare -> train (one model per
// ModelSpec; k-NN models are searched instead) -> evaluate -> [cross-validate] -> report in
// one process, each stage called as a library
// function with the same communicator. A stage is skipped when its outputs are newer
// than its inputs and were made with the same options: each finished stage leaves a
// stamp, OUT/stamps/<stage>.json, holding a hash of its options chained with the hashes
// of the stages it depends on. So a rerun after a failure or a change of options redoes
// only what is out of date (and an interrupted training resumes from its checkpoint).
// Root ends with a summary: sizes, ranks, time per stage, throughput, accuracies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pancan/convert.hpp"
#include "pancan/cv.hpp"
#include "pancan/knn.hpp"
#include "pancan/model.hpp"
#include "pancan/model_spec.hpp"
#include "pancan/mpi.hpp"
#include "pancan/prepare.hpp"

namespace pancan {

struct RunOptions {
  std::string expression, labels;
  std::string out = "pancan-out";  // directory for every output
  ConvertOptions convert;          // expression/labels/out are filled in from the above
  PrepareOptions prepare;          // data is filled in
  // The notebook's two networks and the softmax-regression baseline (k-NN: add NAME:knn).
  std::vector<ModelSpec> models = {{"model1", {100}}, {"model2", {100, 10}}, {"softmax", {}}};
  TrainOptions train;    // hidden is taken from each ModelSpec
  KnnOptions knn;        // k candidates etc. of every k-NN model (distance from its ModelSpec)
  CvOptions cv;          // cv.folds > 0: cross-validate the models after the evaluation
  bool cv_only = false;  // `pancan cv`: convert, prepare and cross-validate; no final models
  bool force = false;    // run every stage even when up to date
};

// One line of the summary.
struct StageTiming {
  std::string stage;
  double seconds = 0;
  bool skipped = false;
  std::string note;  // throughput etc.
};

struct RunResult {
  std::vector<StageTiming> stages;
  std::string report_html;  // path
  double seconds = 0;
  bool preempted = false;  // a signal stopped training after a checkpoint; later stages did not run
};

// Collective over `comm`.
RunResult run(const RunOptions& options, const mpi::Comm& comm);

// FNV-1a 64-bit of `text`, as 16 hex digits: the stamps' option hashes (stable across
// builds and machines, unlike std::hash).
std::string fnv1a_hex(const std::string& text);

}  // namespace pancan
