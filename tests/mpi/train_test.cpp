// Data-parallel training: the same history and weights at any rank count (each rank also
// trains alone on MPI_COMM_SELF as the reference), every sample counted once per epoch,
// and --resume (after an epoch or in the middle of one) equal to an uninterrupted run.
#include "pancan/train.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "pancan/nn.hpp"
#include "pancan/rng.hpp"

namespace pancan {
namespace {

constexpr std::int64_t kFeatures = 12, kClasses = 3;

// Three overlapping Gaussian classes with class-dependent means in [0, 1]-ish features.
struct Problem {
  std::vector<float> train_x, val_x;
  std::vector<std::int32_t> train_y, val_y;
};

Problem make_problem(std::int64_t train_rows = 150, std::int64_t val_rows = 37) {
  Problem p;
  auto fill = [](std::vector<float>& x, std::vector<std::int32_t>& y, std::int64_t rows,
                 std::uint64_t key) {
    for (std::int64_t r = 0; r < rows; ++r) {
      CounterRng rng(99, {key, static_cast<std::uint64_t>(r)});
      const auto label = static_cast<std::int32_t>(rng.below(kClasses));
      y.push_back(label);
      for (std::int64_t f = 0; f < kFeatures; ++f)
        x.push_back(
            static_cast<float>(0.5 + 0.3 * rng.normal() + (f % kClasses == label ? 0.4 : 0)));
    }
  };
  fill(p.train_x, p.train_y, train_rows, 1);
  fill(p.val_x, p.val_y, val_rows, 2);
  return p;
}

Model about() {
  Model m;
  m.classes = {"A", "B", "C"};
  for (std::int64_t f = 0; f < kFeatures; ++f) m.genes.push_back("gene" + std::to_string(f));
  m.minimum.assign(kFeatures, 0.0f);
  m.maximum.assign(kFeatures, 1.0f);
  m.data_path = "memory";
  return m;
}

TrainOptions small_options() {
  TrainOptions o;
  o.hidden = {8, 6};
  o.dropout = 0.3;
  o.epochs = 3;
  o.batch_size = 8;  // 150 rows: 18 full batches and one of 6 (parts 2,2,1,1 at 4 ranks)
  o.learning_rate = 0.01;
  o.seed = 5;
  return o;
}

TrainResult run(const Problem& p, const TrainOptions& o, const mpi::Comm& comm,
                TrainControl control = {}) {
  control.report = false;
  return train(o, take_shard(p.train_x, p.train_y, kFeatures, comm),
               take_shard(p.val_x, p.val_y, kFeatures, comm), about(), control, comm);
}

// A scratch directory every rank agrees on (rank 0's pid names it).
std::string scratch_dir(const mpi::Comm& comm) {
  const auto pid = comm.broadcast(static_cast<std::int64_t>(getpid()));
  const auto dir =
      std::filesystem::temp_directory_path() / ("pancan_train_test_" + std::to_string(pid));
  if (comm.is_root()) std::filesystem::create_directories(dir);
  comm.barrier();
  return dir.string();
}

double relative(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-3); }

// Both ways of combining the ranks' work: node-shared memory, and the collectives a
// multi-node run uses (reduce-scatter + allgather, an all-to-all of rows).
class TrainMpiBothPaths : public testing::TestWithParam<bool> {};
INSTANTIATE_TEST_SUITE_P(SharedMemory, TrainMpiBothPaths, testing::Values(true, false));

TEST_P(TrainMpiBothPaths, SameHistoryAndWeightsAtAnyRankCount) {
  const auto world = mpi::Comm::world();
  const auto p = make_problem();
  const auto o = small_options();
  const auto alone = run(p, o, mpi::Comm::self());
  TrainControl control;
  control.node_shared_memory = GetParam();
  const auto together = run(p, o, world, control);
  ASSERT_EQ(alone.model.history.size(), 3u);
  ASSERT_EQ(together.model.history.size(), 3u);
  for (std::size_t e = 0; e < 3; ++e) {
    const auto &a = alone.model.history[e], &b = together.model.history[e];
    EXPECT_LT(relative(b.loss, a.loss), 1e-5) << "epoch " << e + 1;
    EXPECT_LT(relative(b.val_loss, a.val_loss), 1e-5) << "epoch " << e + 1;
    EXPECT_EQ(b.accuracy, a.accuracy) << "epoch " << e + 1;
    EXPECT_EQ(b.val_accuracy, a.val_accuracy) << "epoch " << e + 1;
  }
  // Weights within 1e-5 relative to the layer's scale (a weight near 0 has no scale of
  // its own; float summation order differs with the rank count).
  const auto& wa = alone.model.parameters;
  const auto& wb = together.model.parameters;
  ASSERT_EQ(wa.size(), wb.size());
  double largest = 0, worst = 0;
  for (std::size_t i = 0; i < wa.size(); ++i) {
    largest = std::max(largest, static_cast<double>(std::abs(wa[i])));
    worst = std::max(worst, static_cast<double>(std::abs(wa[i] - wb[i])));
  }
  EXPECT_LE(worst, 1e-5 * largest) << "largest weight difference " << worst << " of " << largest;
  // The model learnt something (the classes overlap, so not everything).
  EXPECT_GT(together.model.history.back().val_accuracy, 0.6);
  EXPECT_LT(together.model.history.back().loss, together.model.history.front().loss);
}

TEST(TrainMpi, EverySampleCountedOncePerEpoch) {
  // With a negligible learning rate and no dropout the weights stay at their
  // initialisation, so the epoch's training loss is the loss of the initial network over
  // every training row exactly once, and its validation loss that over the validation rows.
  const auto world = mpi::Comm::world();
  const auto p = make_problem();
  auto o = small_options();
  o.dropout = 0;
  o.epochs = 1;
  o.learning_rate = 1e-12;
  const auto result = run(p, o, world);
  const nn::Architecture a{kFeatures, o.hidden, kClasses, 0.0};
  std::vector<float> initial(static_cast<std::size_t>(nn::parameter_count(a)));
  nn::glorot_uniform(a, initial, o.seed);
  auto mean_loss = [&](const std::vector<float>& x, const std::vector<std::int32_t>& y) {
    const auto rows = static_cast<std::int64_t>(y.size());
    nn::Workspace<float> ws(a, rows);
    return nn::forward_backward<float>(a, initial.data(), nullptr, x.data(), y.data(), nullptr,
                                       rows, nullptr, ws)
               .loss /
           static_cast<double>(rows);
  };
  const auto& r = result.model.history.at(0);
  EXPECT_LT(relative(r.loss, mean_loss(p.train_x, p.train_y)), 1e-5);
  EXPECT_LT(relative(r.val_loss, mean_loss(p.val_x, p.val_y)), 1e-5);
  EXPECT_GT(r.samples_per_second, 0);
  EXPECT_EQ(result.model.train_samples, 150);
  EXPECT_EQ(result.model.validation_samples, 37);
}

void expect_same_run(const TrainResult& a, const TrainResult& b) {
  EXPECT_EQ(a.model.parameters, b.model.parameters);  // bit for bit at the same rank count
  ASSERT_EQ(a.model.history.size(), b.model.history.size());
  for (std::size_t e = 0; e < a.model.history.size(); ++e) {
    EXPECT_NEAR(a.model.history[e].loss, b.model.history[e].loss, 1e-12);
    EXPECT_EQ(a.model.history[e].accuracy, b.model.history[e].accuracy);
    EXPECT_EQ(a.model.history[e].val_loss, b.model.history[e].val_loss);
  }
}

TEST_P(TrainMpiBothPaths, ResumeEqualsAnUninterruptedRun) {
  const auto world = mpi::Comm::world();
  const auto dir = scratch_dir(world);
  const auto p = make_problem();
  auto o = small_options();
  TrainControl control;
  control.node_shared_memory = GetParam();
  control.checkpoint_path = dir + "/full.h5";
  const auto full = run(p, o, world, control);

  // Stopped after epoch 2, then resumed for the third.
  control.checkpoint_path = dir + "/resumed.h5";
  o.epochs = 2;
  run(p, o, world, control);
  o.epochs = 3;
  control.resume = true;
  const auto resumed = run(p, o, world, control);
  expect_same_run(full, resumed);

  // Stopped in the middle of epoch 2 (step 23 overall) by one rank's request.
  control.checkpoint_path = dir + "/interrupted.h5";
  control.resume = false;
  int polls = 0;
  control.stop_requested = [&] { return ++polls == 23 && world.rank() == world.size() - 1; };
  const auto interrupted = run(p, o, world, control);
  EXPECT_TRUE(interrupted.stopped);
  EXPECT_EQ(interrupted.model.history.size(), 1u);
  control.stop_requested = nullptr;
  control.resume = true;
  const auto continued = run(p, o, world, control);
  EXPECT_FALSE(continued.stopped);
  expect_same_run(full, continued);

  // The file written at the end is the complete model.
  const auto saved = load_model(dir + "/interrupted.h5", true);
  EXPECT_TRUE(saved.complete);
  EXPECT_EQ(saved.parameters, full.model.parameters);
  ASSERT_TRUE(saved.state.has_value());
  EXPECT_EQ(saved.state->next_epoch, 3);
  world.barrier();
  if (world.is_root()) std::filesystem::remove_all(dir);
}

TEST(TrainMpi, EarlyStoppingRestoresTheBestWeights) {
  const auto world = mpi::Comm::world();
  const auto p = make_problem();
  auto o = small_options();
  o.learning_rate = 0.2;  // large enough to overshoot: val_loss stops improving
  o.epochs = 12;
  o.early_stopping_patience = 2;
  const auto result = run(p, o, world);
  const auto& h = result.model.history;
  ASSERT_TRUE(result.model.state.has_value());
  const auto& s = *result.model.state;
  ASSERT_GE(s.best_epoch, 1);
  const auto best = std::min_element(
      h.begin(), h.end(), [](const auto& x, const auto& y) { return x.val_loss < y.val_loss; });
  EXPECT_EQ(best->epoch, s.best_epoch);
  EXPECT_TRUE(s.stopped_early);  // with this learning rate val_loss turns up early
  EXPECT_EQ(static_cast<std::int64_t>(h.size()), s.best_epoch + 2);
  EXPECT_LT(s.best_epoch, static_cast<std::int64_t>(h.size()));  // so restoring matters
  // The returned weights are those of the best epoch: evaluate them on the validation rows.
  const nn::Architecture a{kFeatures, o.hidden, kClasses, o.dropout};
  const auto rows = static_cast<std::int64_t>(p.val_y.size());
  nn::Workspace<float> ws(a, rows);
  const double val_loss =
      nn::forward_backward<float>(a, result.model.parameters.data(), nullptr, p.val_x.data(),
                                  p.val_y.data(), nullptr, rows, nullptr, ws)
          .loss /
      static_cast<double>(rows);
  EXPECT_LT(relative(val_loss, best->val_loss), 1e-5);
}

}  // namespace
}  // namespace pancan
