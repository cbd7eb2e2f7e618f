// Stratified k-fold cross-validation of the comparison's models (see cv.hpp).
#include "pancan/cv.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pancan/error.hpp"
#include "pancan/log.hpp"
#include "pancan/metrics.hpp"
#include "pancan/rng.hpp"
#include "pancan/run.hpp"  // fnv1a_hex
#include "pancan/split.hpp"
#include "pancan/train.hpp"
#include "pancan/training_data.hpp"

namespace pancan {

std::vector<int> stratified_folds(std::span<const std::int32_t> labels, int classes, int folds,
                                  std::uint64_t seed, int repeat) {
  if (folds < 2) throw UsageError("--folds: at least 2 folds are needed");
  std::vector<std::vector<std::size_t>> members(static_cast<std::size_t>(classes));
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= classes) throw Error("cross-validation: label out of range");
    members[static_cast<std::size_t>(labels[i])].push_back(i);
  }
  std::vector<int> fold(labels.size(), 0);
  std::size_t turn = 0;
  for (int c = 0; c < classes; ++c) {
    auto& rows = members[static_cast<std::size_t>(c)];
    CounterRng rng(seed, {0x6376ULL /* "cv" */, static_cast<std::uint64_t>(repeat),
                          static_cast<std::uint64_t>(c)});
    for (std::size_t i = rows.size(); i > 1; --i) std::swap(rows[i - 1], rows[rng.below(i)]);
    for (auto row : rows) fold[row] = static_cast<int>(turn++ % static_cast<std::size_t>(folds));
  }
  return fold;
}

void summarise_cv(CrossValidation& cv) {
  auto scores = [](const CvModelSummary& m, double CvFoldScore::*member) {
    std::vector<double> v;
    for (const auto& f : m.folds) v.push_back(f.*member);
    return v;
  };
  for (auto& m : cv.models) {
    m.accuracy = mean_interval(scores(m, &CvFoldScore::accuracy), cv.level);
    m.macro_f1 = mean_interval(scores(m, &CvFoldScore::macro_f1), cv.level);
  }
  cv.comparisons.clear();
  for (std::size_t i = 0; i < cv.models.size(); ++i)
    for (std::size_t j = i + 1; j < cv.models.size(); ++j) {
      const auto &a = cv.models[i], &b = cv.models[j];
      if (a.folds.size() != b.folds.size())
        throw Error("cross-validation: " + a.name + " and " + b.name +
                    " were scored on different folds");
      CvComparison c;
      c.first = a.name;
      c.second = b.name;
      c.accuracy = paired_t_test(scores(a, &CvFoldScore::accuracy),
                                 scores(b, &CvFoldScore::accuracy), cv.level);
      c.macro_f1 = paired_t_test(scores(a, &CvFoldScore::macro_f1),
                                 scores(b, &CvFoldScore::macro_f1), cv.level);
      cv.comparisons.push_back(c);
    }
}

namespace {

// Predictions of a trained network for `rows`, on every rank: each rank runs its share.
std::vector<std::int32_t> predict_network(const Model& model, const Preparation& prep,
                                          std::span<const std::int64_t> rows,
                                          const mpi::Comm& comm) {
  std::vector<std::int32_t> mine;
  mpi::agree(comm, [&] {
    const auto block = read_features(prep, rank_share(rows, comm.size(), comm.rank()));
    if (block.rows == 0) return;
    const auto probabilities = predict_probabilities(model, block.values, block.rows);
    mine = predicted_classes(probabilities, static_cast<std::int64_t>(model.classes.size()));
  });
  return comm.allgatherv<std::int32_t>(mine);
}

// One model fitted on `fit` and scored on `held` (both ascending rows of the dataset).
CvFoldScore score_model(const ModelSpec& spec, const TrainOptions& train_options,
                        const KnnOptions& knn_options, const Preparation& prep,
                        const std::vector<std::int64_t>& fit, const std::vector<std::int64_t>& held,
                        std::uint64_t inner_seed, const mpi::Comm& comm) {
  const int classes = static_cast<int>(prep.dataset.classes.size());
  CvFoldScore score;
  std::vector<std::int32_t> predicted;
  if (spec.knn) {
    // k from a stratified inner split of the fitting rows, then all of them as reference.
    std::vector<std::int32_t> fit_labels;
    for (auto row : fit) fit_labels.push_back(prep.dataset.labels[static_cast<std::size_t>(row)]);
    const auto inner = stratified_split(fit_labels, classes, {0.0, 0.2}, inner_seed);
    std::vector<std::int64_t> inner_train, inner_validation;
    for (std::size_t i = 0; i < fit.size(); ++i)
      (inner[i] == Split::Validation ? inner_validation : inner_train).push_back(fit[i]);
    KnnOptions o = knn_options;
    o.distance = spec.distance;
    const auto choice = run_knn(o, prep, inner_train, inner_validation, {}, comm);
    o.k = {choice.chosen_k};
    predicted = run_knn(o, prep, fit, {}, held, comm).test_predicted;
    score.note = "k=" + std::to_string(choice.chosen_k);
  } else {
    ShardedData shard, none;
    mpi::agree(comm, [&] { shard = read_shard(prep, fit, comm); });
    none.cols = static_cast<std::int64_t>(prep.selected.size());
    TrainOptions o = train_options;
    o.hidden = spec.hidden;
    o.early_stopping_patience = 0;
    Model about;
    about.genes = prep.genes;
    about.minimum = prep.minimum;
    about.maximum = prep.maximum;
    about.classes = prep.dataset.classes;
    about.data_path = prep.dataset.path;
    TrainControl control;
    control.report = false;
    const auto trained = train(o, shard, none, about, control, comm);
    predicted = predict_network(trained.model, prep, held, comm);
  }
  std::vector<std::int32_t> truth;
  for (auto row : held) truth.push_back(prep.dataset.labels[static_cast<std::size_t>(row)]);
  const auto m = compute_metrics(prep.dataset.classes, truth, predicted);
  score.accuracy = m.accuracy;
  score.macro_f1 = m.macro_avg.f1;
  score.rows = static_cast<std::int64_t>(held.size());
  return score;
}

nlohmann::ordered_json task_json(const std::string& hash, int task, int repeat, int fold,
                                 const std::vector<ModelSpec>& models,
                                 const std::vector<CvFoldScore>& scores) {
  nlohmann::ordered_json j;
  j["hash"] = hash;
  j["task"] = task;
  j["repeat"] = repeat;
  j["fold"] = fold;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (std::size_t m = 0; m < models.size(); ++m)
    list.push_back({{"model", models[m].name},
                    {"accuracy", scores[m].accuracy},
                    {"macro_f1", scores[m].macro_f1},
                    {"rows", scores[m].rows},
                    {"note", scores[m].note}});
  j["scores"] = list;
  return j;
}

}  // namespace

CrossValidation cross_validate(const CvOptions& options, const std::vector<ModelSpec>& models,
                               const TrainOptions& train_options, const KnnOptions& knn_options,
                               const Preparation& prep, const std::string& task_dir,
                               const std::string& upstream, const mpi::Comm& comm) {
  const double start = wall_seconds();
  if (options.folds < 2) throw UsageError("--folds: at least 2 folds are needed");
  if (options.repeats < 1) throw UsageError("--repeats: at least 1 repeat is needed");
  if (models.empty()) throw UsageError("--model: at least one model is needed");
  const int tasks = options.folds * options.repeats;
  if (options.task >= tasks)
    throw UsageError(
        strprintf("--fold: task %d does not exist (%d folds x %d repeats = tasks 0..%d)",
                  options.task, options.folds, options.repeats, tasks - 1));
  auto pool = split_rows(prep, Split::Train);
  const auto validation = split_rows(prep, Split::Validation);
  pool.insert(pool.end(), validation.begin(), validation.end());
  std::sort(pool.begin(), pool.end());
  std::vector<std::int32_t> labels;
  for (auto row : pool) labels.push_back(prep.dataset.labels[static_cast<std::size_t>(row)]);
  const int classes = static_cast<int>(prep.dataset.classes.size());
  if (static_cast<int>(pool.size()) < options.folds)
    throw Error(
        strprintf("cross-validation: %zu rows cannot fill %d folds", pool.size(), options.folds));

  // Everything that shapes a task's scores.
  nlohmann::ordered_json shape = {{"upstream", upstream},
                                  {"folds", options.folds},
                                  {"repeats", options.repeats},
                                  {"seed", options.seed},
                                  {"epochs", train_options.epochs},
                                  {"dropout", train_options.dropout},
                                  {"batch_size", train_options.batch_size},
                                  {"learning_rate", train_options.learning_rate},
                                  {"train_seed", train_options.seed},
                                  {"k", knn_options.k}};
  for (const auto& m : models) shape["models"].push_back(m.name + ":" + model_spec_text(m));
  // Data converted again from changed files under the same names and options must not
  // reuse the old scores: the dataset's modification time is part of the shape.
  shape["dataset_modified"] = static_cast<std::int64_t>(
      std::filesystem::last_write_time(prep.dataset.path).time_since_epoch().count());
  const std::string hash = fnv1a_hex(shape.dump());

  CrossValidation cv;
  cv.folds = options.folds;
  cv.repeats = options.repeats;
  cv.seed = options.seed;
  cv.rows = static_cast<std::int64_t>(pool.size());
  for (const auto& m : models)
    cv.models.push_back({m.name,
                         m.knn              ? "knn"
                         : m.hidden.empty() ? "softmax regression"
                                            : "network",
                         {},
                         {},
                         {}});
  if (comm.is_root() && !task_dir.empty()) std::filesystem::create_directories(task_dir);

  std::vector<int> fold_of;
  int folds_repeat = -1;
  for (int task = 0; task < tasks; ++task) {
    if (options.task >= 0 && task != options.task) continue;
    const int repeat = task / options.folds, fold = task % options.folds;
    const std::string file =
        task_dir.empty() ? "" : strprintf("%s/fold-%d.json", task_dir.c_str(), task);
    // Root looks for this task's file from an earlier or a job-array run.
    std::string saved;
    if (comm.is_root() && !file.empty() && std::filesystem::exists(file)) {
      try {
        std::ifstream in(file);
        const auto j = nlohmann::json::parse(in);
        if (j.value("hash", "") == hash && j.at("scores").size() == models.size()) saved = j.dump();
      } catch (const std::exception&) {
        saved.clear();  // unreadable: compute again
      }
    }
    comm.broadcast(saved);
    std::vector<CvFoldScore> scores;
    const double task_start = wall_seconds();
    if (!saved.empty()) {
      const auto j = nlohmann::json::parse(saved);
      for (const auto& s : j.at("scores"))
        scores.push_back({repeat, fold, s.at("accuracy").get<double>(),
                          s.at("macro_f1").get<double>(), s.at("rows").get<std::int64_t>(),
                          s.value("note", "")});
    } else {
      if (folds_repeat != repeat) {
        fold_of = stratified_folds(labels, classes, options.folds, options.seed, repeat);
        folds_repeat = repeat;
      }
      std::vector<std::int64_t> fit, held;
      for (std::size_t i = 0; i < pool.size(); ++i)
        (fold_of[i] == fold ? held : fit).push_back(pool[i]);
      for (const auto& spec : models) {
        auto s = score_model(
            spec, train_options, knn_options, prep, fit, held,
            hash_keys(options.seed, {0x696eULL /* "in" */, static_cast<std::uint64_t>(task)}),
            comm);
        s.repeat = repeat;
        s.fold = fold;
        scores.push_back(s);
      }
      mpi::agree(comm, [&] {
        if (!comm.is_root() || file.empty()) return;
        write_text_atomically(file,
                              task_json(hash, task, repeat, fold, models, scores).dump(1) + "\n");
      });
    }
    std::string line =
        strprintf("cv task %d/%d (repeat %d, fold %d):", task + 1, tasks, repeat + 1, fold + 1);
    for (std::size_t m = 0; m < models.size(); ++m) {
      line += strprintf(" %s %.4f", models[m].name.c_str(), scores[m].accuracy);
      if (!scores[m].note.empty()) line += " (" + scores[m].note + ")";
      cv.models[m].folds.push_back(scores[m]);
    }
    say(line + (saved.empty() ? strprintf(", %.1f s", wall_seconds() - task_start)
                              : std::string(", from ") + file));
  }
  if (options.task < 0) summarise_cv(cv);
  cv.seconds = comm.max(wall_seconds() - start);
  return cv;
}

}  // namespace pancan
