// A trained model and its HDF5 file (model.h5): the architecture, the weights, what the
// input must look like (selected gene ids and their min-max scaling statistics), the
// class names, the options and per-epoch history of training, the Keras-style summary,
// and, while training runs, a checkpoint from which `pancan train --resume` continues.
// `pancan evaluate` and `pancan predict` need nothing but this file and a dataset.
//
// File layout (every name below is under /):
//   attrs format = "pancan-model", format_version = 1, pancan_version, complete (bool)
//   architecture/       attrs inputs, classes, dropout; dataset hidden (int64)
//   weights/<dense>/kernel (inputs x outputs, float32), weights/<dense>/bias (outputs)
//                       <dense> = dense, dense_1, ... (Keras' names and kernel layout)
//   genes               selected gene ids, in model input order (vlen strings)
//   scaling/minimum, scaling/maximum   per gene (float32), x' = (x - min) / (max - min)
//   classes             class names; output unit k = classes[k]
//   options/            attrs: hidden, dropout, epochs, batch_size, learning_rate, seed,
//                       early_stopping_patience, data, ranks, train_samples,
//                       validation_samples
//   history/            epoch, loss, accuracy, val_loss, val_accuracy, seconds,
//                       samples_per_second, communication_seconds, cpu_seconds (one
//                       entry per epoch)
//   summary             the summary table (string)
//   checkpoint/         optimizer and loop state (see TrainingState)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pancan/nn.hpp"

namespace pancan {

// The settings of a training run (`pancan train` options), recorded in the model file.
struct TrainOptions {
  std::vector<std::int64_t> hidden = {100};  // empty = softmax regression
  double dropout = 0.3;
  int epochs = 10;
  int batch_size = 32;
  double learning_rate = 1e-3;
  std::uint64_t seed = 2023;        // as the other stages
  int early_stopping_patience = 0;  // 0 = off; else on val_loss, restoring the best weights
};

// One line of the training history.
struct EpochRecord {
  int epoch = 0;                          // 1-based
  double loss = 0, accuracy = 0;          // over the training rows, as trained (dropout on)
  double val_loss = 0, val_accuracy = 0;  // over the validation rows (NaN without any)
  double seconds = 0;                     // wall time of the epoch (training + validation)
  double samples_per_second = 0;          // training rows / training time
  double communication_seconds = 0;       // of which in gradient/parameter collectives
  double cpu_seconds = 0;  // CPU time of the training part on the busiest rank: what the
                           // epoch would take with a core per rank (a shared machine
                           // stretches wall time, not CPU time)
};

// Everything needed to continue training exactly where it stopped.
struct TrainingState {
  std::int64_t next_epoch = 0;            // 0-based epoch to run next (its shuffle is keyed by it)
  std::int64_t next_step = 0;             // steps of next_epoch already done (a mid-epoch stop)
  std::int64_t adam_step = 0;             // Adam steps taken so far
  std::vector<float> current_parameters;  // the weights being trained (Model::parameters
                                          // may hold the best epoch's instead)
  std::vector<float> adam_m, adam_v;      // full buffers (parameter_count each)
  // Partial sums of the interrupted epoch (zero at an epoch boundary).
  double partial_loss = 0, partial_seconds = 0, partial_communication = 0, partial_cpu = 0;
  std::int64_t partial_correct = 0, partial_rows = 0;
  // Early stopping.
  double best_val_loss = 0;
  std::int64_t best_epoch = 0;  // 1-based; 0 = none yet
  std::int64_t wait = 0;        // epochs since the best
  bool stopped_early = false;
  std::vector<float> best_parameters;  // empty unless early stopping is on
  int ranks = 0;  // rank count of the run (resume is bit-for-bit only at the same count)
};

struct Model {
  nn::Architecture architecture;
  std::vector<float> parameters;  // nn::dense_layers(architecture) layout
  std::vector<std::string> genes;
  std::vector<float> minimum, maximum;
  std::vector<std::string> classes;
  TrainOptions options;
  std::string data_path;  // the dataset it was trained on
  int ranks = 0;
  std::int64_t train_samples = 0, validation_samples = 0;
  std::vector<EpochRecord> history;
  bool complete = false;               // training finished (not just a checkpoint)
  std::optional<TrainingState> state;  // present in checkpoints (and kept at the end)
};

// Writes `model` to `path` atomically (PATH.tmp, then rename): a reader never sees a
// half-written file. Serial; call from one rank.
void save_model(const Model& model, const std::string& path);

// The checkpoints of one training run, each written atomically as save_model writes. From
// the third on, the file the previous one replaced (kept at PATH.tmp) is updated in place
// and swapped in: between a run's checkpoints only the weights, the training state and the
// history change, and overwriting a file's pages took 0.4 ms here where writing a new 5 MB
// file took 3.4 (most of a checkpoint of the notebook's networks). Serial, one rank.
class CheckpointWriter {
 public:
  explicit CheckpointWriter(std::string path) : path_(std::move(path)) {}
  ~CheckpointWriter();  // removes the old checkpoint it kept at PATH.tmp
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;
  void write(const Model& model);  // model.state must be set

 private:
  std::string path_;
  bool previous_ = false;  // PATH holds this writer's last checkpoint
  bool kept_ = false;      // PATH.tmp holds the file the last checkpoint replaced...
  bool reusable_ = false;  // ...which is this writer's checkpoint before that
};
// Reads a model file; an Error naming the file when it is not one. `with_state` also
// reads the checkpoint (for --resume).
Model load_model(const std::string& path, bool with_state = false);

// Class probabilities (rows x classes, row-major) for `features`: rows x genes.size(),
// row-major, ALREADY min-max scaled with the model's minimum/maximum and in the model's
// gene order. Runs the network in inference mode (dropout is the identity).
std::vector<float> predict_probabilities(const Model& model, std::span<const float> features,
                                         std::int64_t rows);
// Arg-max of each row of `probabilities` (rows x classes): the predicted class index.
std::vector<std::int32_t> predicted_classes(std::span<const float> probabilities,
                                            std::int64_t classes);

}  // namespace pancan
