// The model file (layout in model.hpp) and inference over a trained model.
#include "pancan/model.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <utility>

#include "pancan/error.hpp"
#include "pancan/fault.hpp"
#include "pancan/h5.hpp"
#include "pancan/log.hpp"
#include "pancan/output.hpp"

namespace pancan {

namespace {

constexpr const char* kFormat = "pancan-model";
constexpr std::int64_t kFormatVersion = 1;
constexpr std::int64_t kPredictRows = 256;  // rows per forward pass

std::string join(const std::vector<std::int64_t>& values) {
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i)
    text += (i ? "," : "") + std::to_string(values[i]);
  return text;
}

template <class T>
std::span<const T> view(const std::vector<T>& values) {
  return std::span<const T>(values);
}

// Each record's and each state's fields with their names in the file: one list serves
// writing and reading, so the two cannot drift apart.
constexpr std::pair<const char*, double EpochRecord::*> kHistoryColumns[] = {
    {"loss", &EpochRecord::loss},
    {"accuracy", &EpochRecord::accuracy},
    {"val_loss", &EpochRecord::val_loss},
    {"val_accuracy", &EpochRecord::val_accuracy},
    {"seconds", &EpochRecord::seconds},
    {"samples_per_second", &EpochRecord::samples_per_second},
    {"communication_seconds", &EpochRecord::communication_seconds},
    {"cpu_seconds", &EpochRecord::cpu_seconds}};

constexpr std::pair<const char*, std::int64_t TrainingState::*> kStateCounts[] = {
    {"next_epoch", &TrainingState::next_epoch},
    {"next_step", &TrainingState::next_step},
    {"adam_step", &TrainingState::adam_step},
    {"partial_correct", &TrainingState::partial_correct},
    {"partial_rows", &TrainingState::partial_rows},
    {"best_epoch", &TrainingState::best_epoch},
    {"wait", &TrainingState::wait}};

constexpr std::pair<const char*, double TrainingState::*> kStateSums[] = {
    {"partial_loss", &TrainingState::partial_loss},
    {"partial_seconds", &TrainingState::partial_seconds},
    {"partial_communication", &TrainingState::partial_communication},
    {"partial_cpu", &TrainingState::partial_cpu},
    {"best_val_loss", &TrainingState::best_val_loss}};

// (current_parameters are stored separately: most checkpoints can point at the weights.)
constexpr std::pair<const char*, std::vector<float> TrainingState::*> kStateBuffers[] = {
    {"adam_m", &TrainingState::adam_m},
    {"adam_v", &TrainingState::adam_v},
    {"best_parameters", &TrainingState::best_parameters}};

void write_history(h5::Group g, const std::vector<EpochRecord>& history) {
  std::vector<std::int64_t> epochs;
  for (const auto& r : history) epochs.push_back(r.epoch);
  g.write_vector<std::int64_t>("epoch", epochs);
  for (const auto& [name, field] : kHistoryColumns) {
    std::vector<double> values;
    for (const auto& r : history) values.push_back(r.*field);
    g.write_vector<double>(name, values);
  }
}

std::vector<EpochRecord> read_history(const h5::Group& g) {
  const auto epochs = g.read_vector<std::int64_t>("epoch");
  std::vector<EpochRecord> history(epochs.size());
  for (std::size_t i = 0; i < epochs.size(); ++i) history[i].epoch = static_cast<int>(epochs[i]);
  for (const auto& [name, field] : kHistoryColumns) {
    const auto values = g.read_vector<double>(name);
    if (values.size() != history.size()) throw Error("history/" + std::string(name) + " is short");
    for (std::size_t i = 0; i < values.size(); ++i) history[i].*field = values[i];
  }
  return history;
}

// `weights` are the model's parameters as saved in /weights: when the weights being trained
// equal them (no early stopping, or its best epoch is the last), the checkpoint says so
// instead of storing a second copy (a quarter of every epoch's checkpoint write).
void write_state(h5::Group g, const TrainingState& s, const std::vector<float>& weights) {
  for (const auto& [name, field] : kStateCounts) g.set_attribute(name, s.*field);
  for (const auto& [name, field] : kStateSums) g.set_attribute(name, s.*field);
  g.set_attribute("stopped_early", static_cast<std::int64_t>(s.stopped_early));
  g.set_attribute("ranks", static_cast<std::int64_t>(s.ranks));
  for (const auto& [name, field] : kStateBuffers) g.rewrite_vector<float>(name, view(s.*field));
  // Bit for bit: == would take -0.0 for 0.0, and resuming must continue from exact bits.
  const bool same =
      s.current_parameters.size() == weights.size() &&
      std::memcmp(s.current_parameters.data(), weights.data(), weights.size() * sizeof(float)) == 0;
  g.set_attribute("parameters_are_weights", static_cast<std::int64_t>(same));
  if (!same) g.rewrite_vector<float>("parameters", view(s.current_parameters));
}

TrainingState read_state(const h5::Group& g, const std::vector<float>& weights) {
  TrainingState s;
  for (const auto& [name, field] : kStateCounts) s.*field = g.int_attribute(name);
  for (const auto& [name, field] : kStateSums) s.*field = g.double_attribute(name);
  s.stopped_early = g.int_attribute("stopped_early") != 0;
  s.ranks = static_cast<int>(g.int_attribute("ranks"));
  for (const auto& [name, field] : kStateBuffers) s.*field = g.read_vector<float>(name);
  // Files written before the attribute existed always hold "parameters".
  const bool same =
      g.has_attribute("parameters_are_weights") && g.int_attribute("parameters_are_weights") != 0;
  s.current_parameters = same ? weights : g.read_vector<float>("parameters");
  return s;
}

void check_parameters(const Model& model, const std::string& path) {
  nn::validate(model.architecture);
  if (static_cast<std::int64_t>(model.parameters.size()) != nn::parameter_count(model.architecture))
    throw Error("saving " + path + ": the parameter buffer does not match the architecture");
}

// A new model file at `temporary` (serial).
void write_model_file(const Model& model, const std::string& temporary) {
  const auto& a = model.architecture;
  auto file = h5::File::create(temporary);
  auto root = file.root();
  root.set_attribute("format", kFormat);
  root.set_attribute("format_version", kFormatVersion);
  root.set_attribute("pancan_version", PANCAN_VERSION);
  root.set_attribute("complete", static_cast<std::int64_t>(model.complete));

  auto arch = root.create_group("architecture");
  arch.set_attribute("inputs", a.inputs);
  arch.set_attribute("classes", a.classes);
  arch.set_attribute("dropout", a.dropout);
  arch.write_vector<std::int64_t>("hidden", view(a.hidden));

  auto weights = root.create_group("weights");
  const auto layers = nn::dense_layers(a);
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const auto& d = layers[k];
    auto layer = weights.create_group(nn::dense_name(k));
    layer.create_dataset<float>("kernel", {d.inputs, d.outputs})
        .write<float>(
            std::span<const float>(model.parameters).subspan(d.weight, d.inputs * d.outputs));
    layer.write_vector<float>("bias",
                              std::span<const float>(model.parameters).subspan(d.bias, d.outputs));
  }

  root.write_strings("genes", model.genes);
  auto scaling = root.create_group("scaling");
  scaling.write_vector<float>("minimum", view(model.minimum));
  scaling.write_vector<float>("maximum", view(model.maximum));
  root.write_strings("classes", model.classes);

  auto options = root.create_group("options");
  const auto& o = model.options;
  options.set_attribute("hidden", join(o.hidden));
  options.set_attribute("dropout", o.dropout);
  options.set_attribute("epochs", static_cast<std::int64_t>(o.epochs));
  options.set_attribute("batch_size", static_cast<std::int64_t>(o.batch_size));
  options.set_attribute("learning_rate", o.learning_rate);
  options.set_attribute("seed", static_cast<std::int64_t>(o.seed));
  options.set_attribute("early_stopping_patience",
                        static_cast<std::int64_t>(o.early_stopping_patience));
  options.set_attribute("data", model.data_path);
  options.set_attribute("ranks", static_cast<std::int64_t>(model.ranks));
  options.set_attribute("train_samples", model.train_samples);
  options.set_attribute("validation_samples", model.validation_samples);

  write_history(root.create_group("history"), model.history);
  root.write_string_scalar("summary", nn::summary_table(a));
  if (model.state) write_state(root.create_group("checkpoint"), *model.state, model.parameters);
  file.close();
  fault::point("train", "checkpoint");
}

// `temporary` holds a checkpoint of the same training run: only what changes between a
// run's checkpoints is written, over the old values where their sizes are the same.
void update_model_file(const Model& model, const std::string& temporary) {
  auto file = h5::File::open(temporary, h5::Mode::ReadWrite);
  auto root = file.root();
  root.set_attribute("complete", static_cast<std::int64_t>(model.complete));
  auto weights = root.open_group("weights");
  const auto layers = nn::dense_layers(model.architecture);
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const auto& d = layers[k];
    auto layer = weights.open_group(nn::dense_name(k));
    auto kernel = layer.open_dataset("kernel");
    if (kernel.dims() != std::vector<std::int64_t>{d.inputs, d.outputs})
      throw Error(temporary + ": not a checkpoint of this network");
    kernel.write<float>(
        std::span<const float>(model.parameters).subspan(d.weight, d.inputs * d.outputs));
    layer.rewrite_vector<float>(
        "bias", std::span<const float>(model.parameters).subspan(d.bias, d.outputs));
  }
  write_history(root.open_group("history"), model.history);
  write_state(root.open_group("checkpoint"), *model.state, model.parameters);
  file.close();
  fault::point("train", "checkpoint");
}

// Writes PATH.tmp with `write`, then swaps it in at `path` (a reader never sees a half-written
// model); on failure PATH.tmp is removed (a full disk must not leave it behind). With
// `keep_old` the file that was at `path` stays at PATH.tmp where the file system can
// exchange (returns true).
bool write_then_swap(const std::string& path,
                     const std::function<void(const std::string& temporary)>& write,
                     bool keep_old) {
  const std::string temporary = path + ".tmp";
  auto remove_temporary = [&] {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
  };
  try {
    write(temporary);
  } catch (...) {
    remove_temporary();
    throw;
  }
  std::error_code error;
  bool kept = false;
  if (keep_old)
    kept = replace_file_keeping_old(temporary, path, error);
  else
    replace_file(temporary, path, error);
  if (error) {
    remove_temporary();
    throw Error("renaming " + temporary + " to " + path + ": " + error.message());
  }
  return kept;
}

}  // namespace

void save_model(const Model& model, const std::string& path) {
  check_parameters(model, path);
  write_then_swap(
      path, [&](const std::string& temporary) { write_model_file(model, temporary); }, false);
}

void CheckpointWriter::write(const Model& model) {
  check_parameters(model, path_);
  if (!model.state) throw Error("saving " + path_ + ": a checkpoint needs the training state");
  kept_ = false;  // from here on PATH.tmp is this write's
  bool kept = false;
  try {
    kept = write_then_swap(
        path_,
        [&](const std::string& temporary) {
          if (reusable_)
            update_model_file(model, temporary);
          else
            write_model_file(model, temporary);
        },
        true);
  } catch (...) {
    reusable_ = false;
    throw;
  }
  // PATH.tmp now holds what was at PATH: this writer's previous checkpoint, if any.
  kept_ = kept;
  reusable_ = kept && previous_;
  previous_ = true;
}

CheckpointWriter::~CheckpointWriter() {
  if (kept_) ::unlink((path_ + ".tmp").c_str());  // (gone already if save_model ran since)
}

Model load_model(const std::string& path, bool with_state) {
  if (!h5::File::is_hdf5(path)) throw Error(path + ": not an HDF5 file (a pancan model file?)");
  auto file = h5::File::open(path, h5::Mode::ReadOnly);
  auto root = file.root();
  if (!root.has_attribute("format") || root.string_attribute("format") != kFormat)
    throw Error(path + ": not a pancan model file (run pancan train)");
  if (root.int_attribute("format_version") > kFormatVersion)
    throw Error(path + ": model format version " +
                std::to_string(root.int_attribute("format_version")) +
                " is newer than this pancan reads");
  Model model;
  model.complete = root.int_attribute("complete") != 0;
  auto arch = root.open_group("architecture");
  auto& a = model.architecture;
  a.inputs = arch.int_attribute("inputs");
  a.classes = arch.int_attribute("classes");
  a.dropout = arch.double_attribute("dropout");
  a.hidden = arch.read_vector<std::int64_t>("hidden");
  nn::validate(a);

  model.parameters.resize(static_cast<std::size_t>(nn::parameter_count(a)));
  auto weights = root.open_group("weights");
  const auto layers = nn::dense_layers(a);
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const auto& d = layers[k];
    auto layer = weights.open_group(nn::dense_name(k));
    const auto kernel = layer.read_vector<float>("kernel");
    const auto bias = layer.read_vector<float>("bias");
    if (static_cast<std::int64_t>(kernel.size()) != d.inputs * d.outputs ||
        static_cast<std::int64_t>(bias.size()) != d.outputs)
      throw Error(path + ": weights/" + nn::dense_name(k) + " does not match the architecture");
    std::copy(kernel.begin(), kernel.end(), model.parameters.begin() + d.weight);
    std::copy(bias.begin(), bias.end(), model.parameters.begin() + d.bias);
  }

  model.genes = root.read_strings("genes");
  auto scaling = root.open_group("scaling");
  model.minimum = scaling.read_vector<float>("minimum");
  model.maximum = scaling.read_vector<float>("maximum");
  model.classes = root.read_strings("classes");
  if (static_cast<std::int64_t>(model.classes.size()) != a.classes)
    throw Error(path + ": class names do not match the output layer");

  auto options = root.open_group("options");
  auto& o = model.options;
  o.hidden = a.hidden;
  o.dropout = options.double_attribute("dropout");
  o.epochs = static_cast<int>(options.int_attribute("epochs"));
  o.batch_size = static_cast<int>(options.int_attribute("batch_size"));
  o.learning_rate = options.double_attribute("learning_rate");
  o.seed = static_cast<std::uint64_t>(options.int_attribute("seed"));
  o.early_stopping_patience = static_cast<int>(options.int_attribute("early_stopping_patience"));
  model.data_path = options.string_attribute("data");
  model.ranks = static_cast<int>(options.int_attribute("ranks"));
  model.train_samples = options.int_attribute("train_samples");
  model.validation_samples = options.int_attribute("validation_samples");

  model.history = read_history(root.open_group("history"));
  if (with_state && root.exists("checkpoint"))
    model.state = read_state(root.open_group("checkpoint"), model.parameters);
  return model;
}

std::vector<float> predict_probabilities(const Model& model, std::span<const float> features,
                                         std::int64_t rows) {
  const auto& a = model.architecture;
  if (static_cast<std::int64_t>(features.size()) != rows * a.inputs)
    throw Error(strprintf("predict: %lld feature values for %lld rows of %lld genes",
                          static_cast<long long>(features.size()), static_cast<long long>(rows),
                          static_cast<long long>(a.inputs)));
  std::vector<float> probs(static_cast<std::size_t>(rows * a.classes));
  nn::Workspace<float> workspace(a, std::min(rows, kPredictRows));
  for (std::int64_t begin = 0; begin < rows; begin += kPredictRows) {
    const std::int64_t n = std::min(kPredictRows, rows - begin);
    nn::predict<float>(a, model.parameters.data(), features.data() + begin * a.inputs, n,
                       probs.data() + begin * a.classes, workspace);
  }
  return probs;
}

std::vector<std::int32_t> predicted_classes(std::span<const float> probabilities,
                                            std::int64_t classes) {
  const auto rows = static_cast<std::int64_t>(probabilities.size()) / classes;
  std::vector<std::int32_t> predicted(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* p = probabilities.data() + r * classes;
    predicted[r] = static_cast<std::int32_t>(std::max_element(p, p + classes) - p);
  }
  return predicted;
}

}  // namespace pancan
