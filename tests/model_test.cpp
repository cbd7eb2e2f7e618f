// The model file: a round trip of everything it records, atomic writes, inference.
#include "pancan/model.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "pancan/error.hpp"
#include "pancan/h5.hpp"

namespace pancan {
namespace {

std::string scratch(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("pancan_model_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

Model sample_model() {
  Model m;
  m.architecture = nn::Architecture{4, {3}, 2, 0.3};
  m.parameters.resize(static_cast<std::size_t>(nn::parameter_count(m.architecture)));
  nn::glorot_uniform(m.architecture, m.parameters, 8);
  m.parameters.back() = 0.25f;  // a non-zero bias
  m.genes = {"g1", "g2", "g3", "g4"};
  m.minimum = {0, 1, 2, 3};
  m.maximum = {1, 2, 4, 8};
  m.classes = {"LUAD", "PRAD"};
  m.options.hidden = {3};
  m.options.epochs = 2;
  m.options.seed = 77;
  m.data_path = "data.h5";
  m.ranks = 2;
  m.train_samples = 10;
  m.validation_samples = 3;
  m.history = {{1, 0.9, 0.5, 0.8, 0.6, 1.5, 100, 0.1, 1.2},
               {2, 0.7, 0.75, 0.6, 0.9, 1.4, 110, 0.2, 1.1}};
  m.complete = true;
  TrainingState s;
  s.next_epoch = 2;
  s.adam_step = 8;
  s.current_parameters = m.parameters;
  s.adam_m.assign(m.parameters.size(), 0.5f);
  s.adam_v.assign(m.parameters.size(), 0.25f);
  s.best_val_loss = 0.6;
  s.best_epoch = 2;
  s.ranks = 2;
  m.state = s;
  return m;
}

TEST(ModelFile, RoundTripsEverything) {
  const auto path = scratch("model.h5");
  const auto m = sample_model();
  save_model(m, path);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  const auto back = load_model(path, true);
  EXPECT_EQ(back.architecture.inputs, 4);
  EXPECT_EQ(back.architecture.hidden, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(back.architecture.classes, 2);
  EXPECT_EQ(back.architecture.dropout, 0.3);
  EXPECT_EQ(back.parameters, m.parameters);
  EXPECT_EQ(back.genes, m.genes);
  EXPECT_EQ(back.minimum, m.minimum);
  EXPECT_EQ(back.maximum, m.maximum);
  EXPECT_EQ(back.classes, m.classes);
  EXPECT_EQ(back.options.seed, 77u);
  EXPECT_EQ(back.options.epochs, 2);
  EXPECT_EQ(back.data_path, "data.h5");
  EXPECT_EQ(back.ranks, 2);
  EXPECT_TRUE(back.complete);
  ASSERT_EQ(back.history.size(), 2u);
  EXPECT_EQ(back.history[1].epoch, 2);
  EXPECT_EQ(back.history[1].val_accuracy, 0.9);
  EXPECT_EQ(back.history[1].communication_seconds, 0.2);
  EXPECT_EQ(back.history[1].cpu_seconds, 1.1);
  ASSERT_TRUE(back.state.has_value());
  EXPECT_EQ(back.state->adam_step, 8);
  EXPECT_EQ(back.state->adam_v, m.state->adam_v);
  EXPECT_EQ(back.state->best_epoch, 2);
  EXPECT_TRUE(back.state->best_parameters.empty());
  EXPECT_FALSE(load_model(path).state.has_value());

  // Keras' names and kernel layout (inputs x outputs), and the summary as text.
  auto file = h5::File::open(path, h5::Mode::ReadOnly);
  EXPECT_EQ(file.root().open_group("weights").open_group("dense_1").open_dataset("kernel").dims(),
            (std::vector<std::int64_t>{3, 2}));
  EXPECT_NE(file.root().read_string_scalar("summary").find("4 x 3 + 3 = 15"), std::string::npos);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

// A run's checkpoints: from the third on the writer updates the file the previous one
// replaced (two files take turns), and every checkpoint reads back as written.
TEST(ModelFile, CheckpointWriterReusesTheFileBeforeLastAndEveryCheckpointReadsBack) {
  const auto path = scratch("turns.h5");
  auto m = sample_model();
  m.complete = false;
  std::vector<ino_t> inodes;
  {
    CheckpointWriter writer(path);
    for (int k = 0; k < 6; ++k) {
      for (auto& p : m.parameters) p += 0.125f;
      m.state->adam_m.assign(m.parameters.size(), 0.5f + static_cast<float>(k));
      m.state->adam_v.assign(m.parameters.size(), 0.25f * static_cast<float>(k));
      m.state->adam_step = 8 + k;
      m.state->current_parameters = m.parameters;
      if (k == 3 || k == 4) m.state->current_parameters.front() += 1.0f;  // early stopping kept
      m.history.push_back({3 + k, 0.5, 0.9, 0.4, 0.95, 1.0, 120, 0.1, 1.0});
      writer.write(m);
      const auto back = load_model(path, true);
      ASSERT_EQ(back.parameters, m.parameters) << "checkpoint " << k;
      ASSERT_EQ(back.history.size(), m.history.size()) << "checkpoint " << k;
      EXPECT_EQ(back.history.back().epoch, 3 + k);
      EXPECT_EQ(back.genes, m.genes);
      EXPECT_FALSE(back.complete);
      EXPECT_EQ(back.state->adam_step, 8 + k);
      EXPECT_EQ(back.state->adam_m, m.state->adam_m) << "checkpoint " << k;
      EXPECT_EQ(back.state->adam_v, m.state->adam_v) << "checkpoint " << k;
      EXPECT_EQ(back.state->current_parameters, m.state->current_parameters) << "checkpoint " << k;
      struct stat st {};
      ASSERT_EQ(::stat(path.c_str(), &st), 0);
      inodes.push_back(st.st_ino);
    }
    EXPECT_TRUE(std::filesystem::exists(path + ".tmp"));  // kept for the next checkpoint
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));  // the writer took it away
  // Checkpoint k (k >= 2) rewrote the file checkpoint k - 2 had been written to.
  for (std::size_t k = 2; k < inodes.size(); ++k) EXPECT_EQ(inodes[k], inodes[k - 2]) << k;
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

// The weights being trained are stored in the checkpoint only when they differ from the
// model's weights (early stopping keeping an earlier epoch); either way they come back.
TEST(ModelFile, CheckpointStoresTrainedWeightsOnlyWhenTheyDifferFromTheModels) {
  const auto path = scratch("checkpoint.h5");
  auto m = sample_model();
  save_model(m, path);
  {
    auto file = h5::File::open(path, h5::Mode::ReadOnly);
    EXPECT_FALSE(file.root().open_group("checkpoint").exists("parameters"));
  }
  EXPECT_EQ(load_model(path, true).state->current_parameters, m.parameters);

  // A weight that differs only in the sign of zero is a different weight to resume from.
  m.parameters.front() = 0.0f;
  m.state->current_parameters = m.parameters;
  m.state->current_parameters.front() = -0.0f;
  save_model(m, path);
  {
    auto file = h5::File::open(path, h5::Mode::ReadOnly);
    EXPECT_TRUE(file.root().open_group("checkpoint").exists("parameters"));
  }
  EXPECT_TRUE(std::signbit(load_model(path, true).state->current_parameters.front()));

  m.state->current_parameters.front() += 1.0f;  // training went on past the kept weights
  save_model(m, path);
  {
    auto file = h5::File::open(path, h5::Mode::ReadOnly);
    EXPECT_TRUE(file.root().open_group("checkpoint").exists("parameters"));
  }
  const auto back = load_model(path, true);
  EXPECT_EQ(back.state->current_parameters, m.state->current_parameters);
  EXPECT_EQ(back.parameters, m.parameters);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

TEST(ModelFile, RejectsFilesThatAreNotModels) {
  const auto text = scratch("not_a_model.h5");
  std::ofstream(text) << "hello\n";
  EXPECT_THROW(load_model(text), Error);
  const auto other = scratch("other.h5");
  h5::File::create(other).close();
  try {
    load_model(other);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a pancan model file"), std::string::npos);
  }
  std::filesystem::remove_all(std::filesystem::path(text).parent_path());
}

TEST(ModelFile, PredictsWithTheNetworkInInferenceMode) {
  const auto m = sample_model();
  const std::int64_t rows = 300;  // more than one forward pass
  std::vector<float> x(rows * 4);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7) % 11) / 10.0f;
  const auto probs = predict_probabilities(m, x, rows);
  ASSERT_EQ(probs.size(), static_cast<std::size_t>(rows * 2));
  nn::Workspace<float> ws(m.architecture, rows);
  std::vector<float> expected(rows * 2);
  nn::predict(m.architecture, m.parameters.data(), x.data(), rows, expected.data(), ws);
  EXPECT_EQ(probs, expected);
  const auto classes = predicted_classes(probs, 2);
  for (std::int64_t r = 0; r < rows; ++r) {
    EXPECT_NEAR(probs[r * 2] + probs[r * 2 + 1], 1.0f, 1e-6f);
    EXPECT_EQ(classes[r], probs[r * 2 + 1] > probs[r * 2] ? 1 : 0);
  }
  EXPECT_THROW(predict_probabilities(m, std::span<const float>(x).subspan(1), rows), Error);
}

}  // namespace
}  // namespace pancan
