// Evaluation and prediction at any rank count: on a small synthetic data set (synth ->
// convert -> prepare, in-process), a nearest-centroid classifier written as a softmax-
// regression model file (so these tests do not depend on training) is evaluated on the
// test split and applied to CSV files of the test samples. Checks: the same predictions
// as a serial run and as read_features + the network directly; predict reproduces
// evaluate's predictions and metrics (the round trip), in both table layouts; missing
// genes are an error that names them, or filled when allowed.
#include "pancan/evaluate.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pancan/convert.hpp"
#include "pancan/features.hpp"
#include "pancan/nn.hpp"
#include "pancan/predict.hpp"
#include "pancan/prepare.hpp"
#include "pancan/synth.hpp"

namespace pancan {
namespace {

struct Fixture {
  std::string dir, dataset, model;
  bool root = false;  // known before MPI_Finalize; the destructor runs after it
  ~Fixture() {
    if (!dir.empty() && root) std::filesystem::remove_all(dir);
  }
};

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream stream(line);
  for (std::string cell; std::getline(stream, cell, ',');) cells.push_back(cell);
  return cells;
}

// Nearest centroid as softmax regression: logit_c = x . m_c - |m_c|^2 / 2, with m_c the
// mean scaled training row of class c.
Model centroid_model(const Preparation& prep) {
  const auto rows = split_rows(prep, Split::Train);
  const auto features = read_features(prep, rows);
  const auto genes = features.cols;
  const auto classes = static_cast<std::int64_t>(prep.dataset.classes.size());
  Model model;
  model.architecture = {genes, {}, classes, 0.0};
  model.parameters.assign(static_cast<std::size_t>(nn::parameter_count(model.architecture)), 0);
  const auto layer = nn::dense_layers(model.architecture).at(0);
  std::vector<double> sum(static_cast<std::size_t>(genes * classes), 0.0);
  std::vector<double> count(static_cast<std::size_t>(classes), 0.0);
  for (std::int64_t r = 0; r < features.rows; ++r) {
    const auto c = features.labels[static_cast<std::size_t>(r)];
    count[static_cast<std::size_t>(c)] += 1;
    for (std::int64_t g = 0; g < genes; ++g)
      sum[static_cast<std::size_t>(g * classes + c)] +=
          features.values[static_cast<std::size_t>(r * genes + g)];
  }
  for (std::int64_t c = 0; c < classes; ++c) {
    double norm = 0;
    for (std::int64_t g = 0; g < genes; ++g) {
      const double mean = sum[static_cast<std::size_t>(g * classes + c)] / count[c];
      model.parameters[static_cast<std::size_t>(layer.weight + g * classes + c)] =
          static_cast<float>(mean);
      norm += mean * mean;
    }
    model.parameters[static_cast<std::size_t>(layer.bias + c)] = static_cast<float>(-norm / 2);
  }
  model.genes = prep.genes;
  model.minimum = prep.minimum;
  model.maximum = prep.maximum;
  model.classes = prep.dataset.classes;
  model.options.hidden = {};
  model.options.dropout = 0;
  model.data_path = prep.dataset.path;
  model.history = {{1, 1.2, 0.6, 1.1, 0.65, 0.1, 1000, 0}, {2, 0.8, 0.8, 0.85, 0.8, 0.1, 1000, 0}};
  model.complete = true;
  return model;
}

const Fixture& fixture() {
  static Fixture f;
  if (!f.dir.empty()) return f;
  const auto world = mpi::Comm::world();
  std::string dir;
  if (world.is_root()) {
    char name[] = "/tmp/pancan_evaluate_test_XXXXXX";
    dir = mkdtemp(name);
  }
  world.broadcast(dir);
  f.dir = dir;
  f.root = world.is_root();
  SynthOptions synth;
  synth.samples = 90;
  synth.genes = 400;
  synth.seed = 7;
  synth.out_dir = dir;
  synth.progress = false;
  write_synthetic_dataset(synth, world);
  f.dataset = dir + "/dataset.h5";
  ConvertOptions convert_options;
  convert_options.expression = dir + "/expression.csv";
  convert_options.labels = dir + "/labels.csv";
  convert_options.out = f.dataset;
  convert(convert_options, world);
  PrepareOptions prepare_options;
  prepare_options.data = f.dataset;
  prepare(prepare_options, world);
  f.model = dir + "/centroid.h5";
  if (world.is_root()) save_model(centroid_model(read_preparation(f.dataset)), f.model);
  world.barrier();
  return f;
}

// The test samples' lines of expression.csv (header kept), written by root as `path`.
void write_test_csv(const Report& report, const std::string& path,
                    const std::vector<std::string>& drop_genes = {}) {
  const auto lines = read_lines(fixture().dir + "/expression.csv");
  std::vector<std::vector<std::string>> rows;
  auto header = split_commas(lines[0]);
  std::vector<bool> keep(header.size(), true);
  for (std::size_t c = 1; c < header.size(); ++c)
    keep[c] = std::find(drop_genes.begin(), drop_genes.end(), header[c]) == drop_genes.end();
  std::ofstream out(path);
  auto write = [&](const std::vector<std::string>& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c)
      if (keep[c]) out << (c ? "," : "") << cells[c];
    out << '\n';
  };
  write(header);
  // Reverse the file order: predict matches by id, not by position.
  for (auto it = lines.rbegin(); it != lines.rend() - 1; ++it) {
    auto cells = split_commas(*it);
    if (std::find(report.test_samples.begin(), report.test_samples.end(), cells[0]) !=
        report.test_samples.end())
      write(cells);
  }
}

// The same table with genes as rows (the numbers' text copied, not reformatted).
void transpose_csv(const std::string& from, const std::string& to) {
  std::vector<std::vector<std::string>> cells;
  for (const auto& line : read_lines(from)) cells.push_back(split_commas(line));
  std::ofstream out(to);
  for (std::size_t c = 0; c < cells[0].size(); ++c) {
    for (std::size_t r = 0; r < cells.size(); ++r)
      out << (r ? "," : "") << (r || c ? cells[r][c] : "gene");
    out << '\n';
  }
}

Report evaluate_everywhere(const std::string& out_dir = "") {
  EvaluateOptions options;
  options.data = fixture().dataset;
  options.models = {fixture().model};
  options.out_dir = out_dir;
  return evaluate(options, mpi::Comm::world());
}

TEST(Evaluate, PredictionsDoNotDependOnTheRankCount) {
  const auto world = mpi::Comm::world();
  const auto& f = fixture();
  const auto report = evaluate_everywhere(f.dir);
  if (!world.is_root()) return;
  ASSERT_EQ(report.models.size(), 1u);
  const auto& model = report.models[0];
  EXPECT_EQ(model.name, "centroid");
  EXPECT_EQ(report.ranks, world.size());
  EXPECT_EQ(static_cast<std::int64_t>(report.test_samples.size()), report.data.test);
  EXPECT_EQ(model.predicted.size(), report.test_samples.size());
  EXPECT_GT(model.test.accuracy, 0.6) << "a nearest-centroid rule should beat chance easily";
  // A serial evaluation (this rank alone) gives the same predictions.
  EvaluateOptions options;
  options.data = f.dataset;
  options.models = {f.model};
  const auto alone = evaluate(options, mpi::Comm::self());
  EXPECT_EQ(alone.models[0].predicted, model.predicted);
  // And so does the prepare engineer's reader + the network, a path that shares nothing
  // with evaluate's own gene matching and scaling.
  const auto prep = read_preparation(f.dataset);
  const auto rows = split_rows(prep, Split::Test);
  const auto features = read_features(prep, rows);
  const auto loaded = load_model(f.model);
  const auto direct =
      predicted_classes(predict_probabilities(loaded, features.values, features.rows),
                        static_cast<std::int64_t>(loaded.classes.size()));
  EXPECT_EQ(direct, model.predicted);
  EXPECT_EQ(features.labels, report.test_labels);
  for (const char* name : {"report.json", "report.md", "report.html"})
    EXPECT_TRUE(std::filesystem::exists(f.dir + "/" + name)) << name;
}

// A model trained on this preparation reads the test rows' selected genes (read_shard);
// any other model, whole rows of /X matched by gene name. The same network with its genes
// in reverse order (kernel rows and scaling reversed with them) takes the second way and
// must predict the same.
TEST(Evaluate, ModelsWithOtherGeneOrdersReadWholeRowsAndAgree) {
  const auto world = mpi::Comm::world();
  const auto& f = fixture();
  const std::string reversed_path = f.dir + "/reversed.h5";
  if (world.is_root()) {
    auto m = load_model(f.model);
    const auto layer = nn::dense_layers(m.architecture).at(0);
    const auto genes = static_cast<std::int64_t>(m.genes.size());
    auto reversed = m;
    for (std::int64_t g = 0; g < genes; ++g) {
      const auto from = static_cast<std::size_t>(genes - 1 - g), to = static_cast<std::size_t>(g);
      reversed.genes[to] = m.genes[from];
      reversed.minimum[to] = m.minimum[from];
      reversed.maximum[to] = m.maximum[from];
      std::copy_n(
          m.parameters.begin() + layer.weight + static_cast<std::int64_t>(from) * layer.outputs,
          layer.outputs,
          reversed.parameters.begin() + layer.weight +
              static_cast<std::int64_t>(to) * layer.outputs);
    }
    save_model(reversed, reversed_path);
  }
  world.barrier();
  const auto prepared = evaluate_everywhere();  // the centroid model: read_shard
  EvaluateOptions options;
  options.data = f.dataset;
  options.models = {reversed_path};
  const auto whole_rows = evaluate(options, world);
  options.models = {f.model, reversed_path};  // one model not of this preparation: all whole rows
  const auto both = evaluate(options, world);
  if (!world.is_root()) return;
  EXPECT_EQ(whole_rows.models.at(0).predicted, prepared.models.at(0).predicted);
  EXPECT_EQ(both.models.at(0).predicted, prepared.models.at(0).predicted);
  EXPECT_EQ(both.models.at(1).predicted, prepared.models.at(0).predicted);
}

TEST(Evaluate, BadInputIsACollectiveError) {
  EvaluateOptions options;
  options.data = fixture().dataset;
  options.models = {fixture().dir + "/no-such-model.h5"};
  EXPECT_THROW(evaluate(options, mpi::Comm::world()), mpi::CollectiveError);
  options.models = {fixture().model};
  options.data = fixture().dir + "/expression.csv";
  EXPECT_THROW(evaluate(options, mpi::Comm::world()), mpi::CollectiveError);
}

PredictOptions predict_options(const std::string& expression, const std::string& out) {
  PredictOptions o;
  o.model = fixture().model;
  o.expression = expression;
  o.labels = fixture().dir + "/labels.csv";
  o.out = out;
  return o;
}

TEST(Predict, ReproducesEvaluateOnTheTestSamplesInBothLayouts) {
  const auto world = mpi::Comm::world();
  const auto& f = fixture();
  const auto report = evaluate_everywhere();
  const std::string rows_csv = f.dir + "/test.csv", columns_csv = f.dir + "/test_t.csv";
  if (world.is_root()) {
    write_test_csv(report, rows_csv);
    transpose_csv(rows_csv, columns_csv);
  }
  world.barrier();
  const auto by_rows = predict(predict_options(rows_csv, f.dir + "/pred.csv"), world);
  auto transposed = predict_options(columns_csv, f.dir + "/pred_t.csv");
  transposed.orientation = csv::Orientation::GenesAsRows;
  const auto by_columns = predict(transposed, world);
  if (!world.is_root()) return;
  ASSERT_EQ(by_rows.samples.size(), report.test_samples.size());
  const auto& evaluated = report.models[0];
  for (std::size_t i = 0; i < by_rows.samples.size(); ++i) {
    const auto at =
        std::find(report.test_samples.begin(), report.test_samples.end(), by_rows.samples[i]) -
        report.test_samples.begin();
    EXPECT_EQ(by_rows.predicted[i], evaluated.predicted[static_cast<std::size_t>(at)])
        << by_rows.samples[i];
  }
  ASSERT_TRUE(by_rows.metrics.has_value());
  EXPECT_EQ(by_rows.metrics->confusion, evaluated.test.confusion);
  EXPECT_EQ(by_rows.metrics->accuracy, evaluated.test.accuracy);
  EXPECT_EQ(by_rows.metrics->macro_avg.f1, evaluated.test.macro_avg.f1);
  // Genes as rows: the same numbers bit for bit.
  EXPECT_EQ(by_columns.samples, by_rows.samples);
  EXPECT_EQ(by_columns.predicted, by_rows.predicted);
  EXPECT_EQ(by_columns.probabilities, by_rows.probabilities);
  // The files: header, one line per sample, and the metrics JSON.
  const auto lines = read_lines(f.dir + "/pred.csv");
  ASSERT_EQ(lines.size(), by_rows.samples.size() + 1);
  EXPECT_EQ(lines[0].rfind("sample,predicted,p_", 0), 0u);
  const auto first = split_commas(lines[1]);
  EXPECT_EQ(first[0], by_rows.samples[0]);
  EXPECT_EQ(first[1], by_rows.classes[static_cast<std::size_t>(by_rows.predicted[0])]);
  EXPECT_EQ(first.size(), 2 + by_rows.classes.size());
  std::ifstream metrics(f.dir + "/pred.metrics.json");
  EXPECT_NEAR(nlohmann::json::parse(metrics)["accuracy"].get<double>(), evaluated.test.accuracy,
              1e-15);
}

TEST(Predict, MissingGenesAreNamedOrFilledWhenAllowed) {
  const auto world = mpi::Comm::world();
  const auto& f = fixture();
  const auto report = evaluate_everywhere();
  const auto model = load_model(f.model);
  const std::vector<std::string> dropped = {model.genes[0], model.genes[3], model.genes.back()};
  const std::string path = f.dir + "/missing.csv";
  if (world.is_root()) write_test_csv(report, path, dropped);
  world.barrier();
  auto options = predict_options(path, f.dir + "/pred_missing.csv");
  try {
    predict(options, world);
    ADD_FAILURE() << "no error for missing genes";
  } catch (const mpi::CollectiveError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("3 of the model's"), std::string::npos) << message;
    for (const auto& gene : dropped) EXPECT_NE(message.find(gene), std::string::npos) << message;
  }
  options.allow_missing_genes = true;
  const auto filled = predict(options, world);
  EXPECT_EQ(filled.missing_genes, dropped);
  if (world.is_root()) {
    EXPECT_EQ(filled.samples.size(), report.test_samples.size());
    EXPECT_TRUE(filled.metrics.has_value());
  }
}

}  // namespace
}  // namespace pancan
