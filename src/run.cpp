// The main job (see run.hpp): stages in order, skip-when-up-to-date stamps, the summary.
#include "pancan/run.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "pancan/config.hpp"
#include "pancan/error.hpp"
#include "pancan/evaluate.hpp"
#include "pancan/features.hpp"
#include "pancan/interrupt.hpp"
#include "pancan/knn.hpp"
#include "pancan/log.hpp"
#include "pancan/nn.hpp"
#include "pancan/report.hpp"
#include "pancan/train.hpp"
#include "pancan/training_data.hpp"

namespace pancan {

namespace fs = std::filesystem;

std::string fnv1a_hex(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return strprintf("%016llx", static_cast<unsigned long long>(h));
}

namespace {

enum class Action : int { Run = 0, Skip = 1, Resume = 2 };

// What a stage depends on and produces, and the options that made its outputs.
struct Stage {
  std::string name;                  // "convert", "train model1", ...
  std::string stamp;                 // OUT/stamps/<id>.json
  nlohmann::ordered_json options;    // with the upstream hashes inside
  std::vector<std::string> inputs;   // files the outputs were made from
  std::vector<std::string> outputs;  // files the stage writes
  std::string hash() const { return fnv1a_hex(options.dump()); }
};

fs::file_time_type modified(const std::string& path) { return fs::last_write_time(path); }

// Root decides from the stamp and the files; every rank gets the same answer.
Action decide(const Stage& stage, bool force, bool can_resume, const mpi::Comm& comm) {
  int action = static_cast<int>(Action::Run);
  mpi::agree(comm, [&] {
    if (!comm.is_root() || force || !fs::exists(stage.stamp)) return;
    nlohmann::json stamp;
    try {
      std::ifstream in(stage.stamp);
      stamp = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception&) {
      return;  // unreadable stamp: run again
    }
    if (stamp.value("hash", "") != stage.hash()) return;
    for (const auto& output : stage.outputs)
      if (!fs::exists(output)) return;
    if (!stamp.value("complete", false)) {
      if (can_resume) action = static_cast<int>(Action::Resume);
      return;
    }
    const auto made = modified(stage.stamp);
    for (const auto& input : stage.inputs)
      if (!fs::exists(input) || modified(input) > made) return;
    action = static_cast<int>(Action::Skip);
  });
  return static_cast<Action>(comm.broadcast(action));
}

// Written after the outputs (complete) or before a resumable stage starts (not complete).
void write_stamp(const Stage& stage, bool complete, const mpi::Comm& comm) {
  mpi::agree(comm, [&] {
    if (!comm.is_root()) return;
    nlohmann::ordered_json stamp;
    stamp["stage"] = stage.name;
    stamp["hash"] = stage.hash();
    stamp["complete"] = complete;
    stamp["written"] = utc_timestamp();
    stamp["options"] = stage.options;
    write_text_atomically(stage.stamp, stamp.dump(1) + "\n");
  });
}

std::string absolute(const std::string& path) { return fs::absolute(path).lexically_normal(); }

std::string hidden_text(const std::vector<std::int64_t>& hidden) {
  std::string text;
  for (auto h : hidden) text += (text.empty() ? "" : ",") + std::to_string(h);
  return text;
}

const char* separator_name(csv::Separator s) {
  return s == csv::Separator::Comma ? "comma" : s == csv::Separator::Tab ? "tab" : "auto";
}
const char* layout_name(csv::Orientation o) {
  return o == csv::Orientation::GenesAsRows ? "genes-as-rows" : "samples-as-rows";
}

void print_summary(const RunOptions& options, const RunResult& result, const Preparation& prep,
                   const Report& report, std::int64_t csv_bytes, const mpi::Comm& comm) {
  std::string s = "\n=== pancan run summary ===\n";
  s += strprintf("  %-22s %lld samples x %lld genes, %zu classes", "data",
                 static_cast<long long>(prep.dataset.samples),
                 static_cast<long long>(prep.dataset.genes), prep.dataset.classes.size());
  if (csv_bytes > 0) s += strprintf(" (%.1f MB of CSV)", csv_bytes / 1e6);
  s += strprintf(
      "\n  %-22s %zu (%s, fit on %s)\n", "genes kept", prep.genes.size(),
      options.prepare.top_genes > 0
          ? strprintf("top %lld", static_cast<long long>(options.prepare.top_genes)).c_str()
          : strprintf("variance >= quantile %g", options.prepare.quantile).c_str(),
      fit_on_name(options.prepare.fit_on));
  s += strprintf("  %-22s train %zu, validation %zu, test %zu\n", "split",
                 split_rows(prep, Split::Train).size(), split_rows(prep, Split::Validation).size(),
                 split_rows(prep, Split::Test).size());
  s += strprintf("  %-22s %d\n", "MPI ranks", comm.size());
  s += strprintf("  %-22s %10s\n", "stage", "seconds");
  for (const auto& stage : result.stages) {
    s += strprintf("  %-22s %10.3f  %s\n", stage.stage.c_str(), stage.seconds,
                   stage.skipped ? "skipped (up to date)" : stage.note.c_str());
  }
  s += strprintf("  %-22s %10.3f\n", "total", result.seconds);
  const bool partial = std::any_of(result.stages.begin(), result.stages.end(),
                                   [](const StageTiming& t) { return t.skipped; });
  if (partial)
    s += strprintf("  %-22s - (some stages were up to date; --force times them all)\n",
                   "throughput");
  else
    s += strprintf("  %-22s %.0f samples/s end to end (%lld samples / %.3f s)\n", "throughput",
                   prep.dataset.samples / std::max(result.seconds, 1e-9),
                   static_cast<long long>(prep.dataset.samples), result.seconds);
  for (const auto& m : report.models) {
    const auto e = selected_epoch(m);
    const double val = e ? e->val_accuracy : m.validation_accuracy;
    s += strprintf("  %-22s test accuracy %.4f, macro F1 %.4f, val_accuracy %s, %s\n",
                   m.name.c_str(), m.test.accuracy, m.test.macro_avg.f1,
                   std::isnan(val) ? "-" : strprintf("%.4f", val).c_str(),
                   m.kind == "knn" ? "k-NN, no parameters"
                                   : (nn::with_thousands(m.parameters) + " parameters").c_str());
  }
  if (report.cv)
    for (const auto& m : report.cv->models)
      s += strprintf(
          "  %-22s %d-fold CV accuracy %.4f +- %.4f (95%% CI [%.4f, %.4f]), macro F1 %.4f\n",
          m.name.c_str(), report.cv->folds, m.accuracy.mean, m.accuracy.sd, m.accuracy.low,
          m.accuracy.high, m.macro_f1.mean);
  if (auto best = best_model(report))
    s += strprintf("  %-22s %s\n", "best (by validation)", report.models[*best].name.c_str());
  if (options.cv_only)
    s += strprintf("  %-22s %s/cv.json%s", "cross-validation", options.out.c_str(),
                   fs::exists(result.report_html) ? " (and its section in report.html)" : "");
  else
    s +=
        strprintf("  %-22s %s (also report.md, report.json)", "report", result.report_html.c_str());
  say(s);
}

}  // namespace

RunResult run(const RunOptions& options, const mpi::Comm& comm) {
  const double start = wall_seconds();
  if (options.expression.empty() || options.labels.empty())
    throw UsageError("--expression and --labels are required (on the command line or in --config)");
  if (options.models.empty()) throw UsageError("--model: at least one model is needed");
  if (!options.cv_only && std::all_of(options.models.begin(), options.models.end(),
                                      [](const ModelSpec& m) { return m.knn; }))
    throw UsageError("--model: at least one network (NAME:HIDDEN) is needed besides k-NN");
  const std::string out = options.out;
  {
    PrepareOptions check = options.prepare;
    check.data = out + "/dataset.h5";
    validate(check);
  }
  mpi::agree(comm, [&] {
    if (comm.is_root()) fs::create_directories(out + "/stamps");
  });
  RunResult result;
  const std::string dataset = out + "/dataset.h5";

  // --- convert ------------------------------------------------------------------------
  Stage convert_stage{
      "convert", out + "/stamps/convert.json", {}, {options.expression, options.labels}, {dataset}};
  convert_stage.options = {{"expression", absolute(options.expression)},
                           {"labels", absolute(options.labels)},
                           {"label_column", options.convert.label_column},
                           {"sep", separator_name(options.convert.separator)},
                           {"layout", layout_name(options.convert.orientation)},
                           {"compression", options.convert.compression}};
  std::int64_t csv_bytes = 0;
  bool converted = false;  // this run made the dataset file (its stamp is not yet complete)
  {
    StageTiming timing;
    timing.stage = "convert";
    const double t = wall_seconds();
    if (decide(convert_stage, options.force, false, comm) == Action::Skip) {
      timing.skipped = true;
      say("convert: " + dataset + " is up to date");
    } else {
      ConvertOptions o = options.convert;
      o.expression = options.expression;
      o.labels = options.labels;
      o.out = dataset;
      // Until prepare has written its results into the new file (in place, not into a
      // copy), the stamp says the file is unfinished: a run killed meanwhile converts again.
      write_stamp(convert_stage, false, comm);
      const auto summary = convert(o, comm);
      csv_bytes = summary.bytes;
      timing.note =
          strprintf("%.0f MB/s of CSV", summary.bytes / 1e6 / std::max(summary.seconds, 1e-9));
      converted = true;
    }
    timing.seconds = wall_seconds() - t;
    result.stages.push_back(timing);
  }

  // --- prepare ------------------------------------------------------------------------
  Stage prepare_stage{"prepare", out + "/stamps/prepare.json", {}, {dataset}, {dataset}};
  const auto& p = options.prepare;
  prepare_stage.options = {{"after", convert_stage.hash()},
                           {"test_fraction", p.fractions.test},
                           {"validation_fraction", p.fractions.validation},
                           {"seed", p.seed},
                           {"quantile", p.quantile},
                           {"top_genes", p.top_genes},
                           {"fit_on", fit_on_name(p.fit_on)}};
  {
    StageTiming timing;
    timing.stage = "prepare";
    const double t = wall_seconds();
    if (decide(prepare_stage, options.force, false, comm) == Action::Skip) {
      timing.skipped = true;
      say("prepare: " + dataset + " is up to date");
      if (converted) write_stamp(convert_stage, true, comm);
    } else {
      PrepareOptions o = options.prepare;
      o.data = dataset;
      o.in_place = converted;
      const auto r = prepare(o, comm);
      timing.note =
          strprintf("%lld genes kept, %.2f GB/s over /X", static_cast<long long>(r.selected),
                    r.bytes_read / 1e9 / std::max(r.pass_seconds, 1e-9));
      if (converted) write_stamp(convert_stage, true, comm);
      write_stamp(prepare_stage, true, comm);
    }
    timing.seconds = wall_seconds() - t;
    result.stages.push_back(timing);
  }

  // --- train, one model at a time (k-NN models: search) --------------------------------
  Preparation prep;
  mpi::agree(comm, [&] { prep = read_preparation(dataset); });
  ShardedData train_shard, validation_shard;
  bool shards_loaded = false;
  std::vector<std::string> model_files;
  nlohmann::ordered_json model_hashes = nlohmann::ordered_json::array();
  for (const auto& spec : options.models) {
    if (options.cv_only) break;
    if (spec.knn) {
      const std::string result_file = out + "/" + spec.name + ".knn.json";
      model_files.push_back(result_file);
      KnnOptions o = options.knn;
      o.distance = spec.distance;
      Stage stage{"knn " + spec.name,
                  out + "/stamps/knn-" + spec.name + ".json",
                  {},
                  {dataset},
                  {result_file}};
      stage.options = {
          {"after", prepare_stage.hash()}, {"distance", distance_name(o.distance)}, {"k", o.k}};
      model_hashes.push_back(stage.hash());
      StageTiming timing;
      timing.stage = stage.name;
      const double t = wall_seconds();
      if (decide(stage, options.force, false, comm) == Action::Skip) {
        timing.skipped = true;
        say(stage.name + ": " + result_file + " is up to date");
      } else {
        const auto r =
            run_knn(o, prep, split_rows(prep, Split::Train), split_rows(prep, Split::Validation),
                    split_rows(prep, Split::Test), comm);
        mpi::agree(comm, [&] {
          if (comm.is_root())
            write_text_atomically(result_file,
                                  knn_result_json(r, prep.dataset.classes).dump(1) + "\n");
        });
        write_stamp(stage, true, comm);
        say(strprintf("%s: k = %d (validation accuracy %.4f), %s distance, %.2f s",
                      stage.name.c_str(), r.chosen_k,
                      describe_knn(r, spec.name, result_file).validation_accuracy,
                      distance_name(o.distance), r.seconds));
        timing.note = strprintf(
            "%.0f queries/s, k = %d",
            static_cast<double>(r.validation_rows + r.test_rows) / std::max(r.seconds, 1e-9),
            r.chosen_k);
      }
      timing.seconds = wall_seconds() - t;
      result.stages.push_back(timing);
      continue;
    }
    const std::string model_file = out + "/" + spec.name + ".h5";
    model_files.push_back(model_file);
    TrainOptions o = options.train;
    o.hidden = spec.hidden;
    Stage stage{"train " + spec.name,
                out + "/stamps/train-" + spec.name + ".json",
                {},
                {dataset},
                {model_file}};
    stage.options = {{"after", prepare_stage.hash()},
                     {"hidden", hidden_text(o.hidden)},
                     {"dropout", o.dropout},
                     {"epochs", o.epochs},
                     {"batch_size", o.batch_size},
                     {"learning_rate", o.learning_rate},
                     {"seed", o.seed},
                     {"early_stopping_patience", o.early_stopping_patience}};
    model_hashes.push_back(stage.hash());
    StageTiming timing;
    timing.stage = stage.name;
    const double t = wall_seconds();
    const Action action = decide(stage, options.force, true, comm);
    if (action == Action::Skip) {
      timing.skipped = true;
      say(stage.name + ": " + model_file + " is up to date");
    } else {
      if (!shards_loaded) {
        mpi::agree(comm, [&] {
          train_shard = read_shard(prep, Split::Train, comm);
          validation_shard = read_shard(prep, Split::Validation, comm);
        });
        shards_loaded = true;
      }
      const Model about = model_metadata(prep, dataset);
      TrainControl control;
      control.checkpoint_path = model_file;
      control.resume = action == Action::Resume;
      write_stamp(stage, false, comm);  // an interrupted run resumes from the checkpoint
      say(strprintf("%s: hidden %s%s", stage.name.c_str(),
                    o.hidden.empty() ? "none" : hidden_text(o.hidden).c_str(),
                    control.resume ? ", resuming from the checkpoint" : ""));
      // SIGTERM/SIGINT while training: checkpoint, stop, exit 75; a rerun resumes here.
      StopSignals signals;
      control.stop_requested = [] { return StopSignals::received() != 0; };
      const auto r = train(o, train_shard, validation_shard, about, control, comm);
      if (r.stopped) {
        say(stage.name + ": stopped by a signal; checkpoint in " + model_file +
            " (run the same command again to continue)");
        result.preempted = true;
        result.seconds = wall_seconds() - start;
        return result;
      }
      write_stamp(stage, true, comm);
      const double seconds = wall_seconds() - t;
      timing.note = strprintf("%.0f samples/s, %zu epochs",
                              static_cast<double>(train_shard.total_rows) * r.model.history.size() /
                                  std::max(seconds, 1e-9),
                              r.model.history.size());
    }
    timing.seconds = wall_seconds() - t;
    result.stages.push_back(timing);
  }

  // --- evaluate and report ------------------------------------------------------------
  result.report_html = out + "/report.html";
  Report report;
  if (!options.cv_only) {
    Stage evaluate_stage{"evaluate + report",
                         out + "/stamps/evaluate.json",
                         {},
                         {dataset},
                         {out + "/report.json", out + "/report.md", result.report_html}};
    evaluate_stage.inputs.insert(evaluate_stage.inputs.end(), model_files.begin(),
                                 model_files.end());
    nlohmann::ordered_json names = nlohmann::ordered_json::array();
    for (const auto& spec : options.models) names.push_back(spec.name);
    evaluate_stage.options = {{"after", model_hashes}, {"names", names}};
    StageTiming timing;
    timing.stage = evaluate_stage.name;
    const double t = wall_seconds();
    if (decide(evaluate_stage, options.force, false, comm) == Action::Skip) {
      timing.skipped = true;
      say("evaluate: " + result.report_html + " is up to date");
      mpi::agree(comm, [&] {
        if (!comm.is_root()) return;
        std::ifstream in(out + "/report.json");
        report = report_from_json(nlohmann::json::parse(in));
      });
    } else {
      // Networks through evaluate (sharded inference); k-NN models already hold their test
      // predictions. The report lists them in the order of --model.
      EvaluateOptions o;
      o.data = dataset;
      for (std::size_t m = 0; m < options.models.size(); ++m) {
        if (options.models[m].knn) continue;
        o.models.push_back(model_files[m]);
        o.names.push_back(options.models[m].name);
      }
      const auto networks = evaluate(o, comm);
      timing.seconds = wall_seconds() - t;
      mpi::agree(comm, [&] {
        if (!comm.is_root()) return;
        report = networks;
        report.models.clear();
        std::size_t next_network = 0;
        for (std::size_t m = 0; m < options.models.size(); ++m) {
          if (!options.models[m].knn) {
            report.models.push_back(networks.models[next_network++]);
            continue;
          }
          std::ifstream in(model_files[m]);
          const auto knn = knn_result_from_json(nlohmann::json::parse(in), report.classes);
          if (knn.test_predicted.size() != report.test_labels.size())
            throw Error(model_files[m] + " does not hold a prediction for every test sample");
          report.models.push_back(describe_knn(knn, options.models[m].name, model_files[m]));
        }
        compute_test_metrics(report);
        report.timings.clear();
        for (const auto& stage : result.stages)
          if (!stage.skipped) report.timings.emplace_back(stage.stage, stage.seconds);
        report.timings.emplace_back("evaluate", wall_seconds() - t);
        report.cv.reset();
        write_report(report, out);
      });
      timing.note = strprintf("%lld test samples x %zu models",
                              static_cast<long long>(networks.data.test), options.models.size());
      write_stamp(evaluate_stage, true, comm);
    }
    timing.seconds = wall_seconds() - t;
    result.stages.push_back(timing);
  }

  // --- cross-validation ---------------------------------------------------------------
  if (options.cv.folds > 0) {
    const std::string cv_file = out + "/cv.json";
    Stage cv_stage{"cross-validate", out + "/stamps/cv.json", {}, {dataset}, {cv_file}};
    nlohmann::ordered_json specs = nlohmann::ordered_json::array();
    for (const auto& spec : options.models)
      specs.push_back(spec.name + ":" + model_spec_text(spec));
    const auto& t = options.train;
    cv_stage.options = {{"after", prepare_stage.hash()},
                        {"folds", options.cv.folds},
                        {"repeats", options.cv.repeats},
                        {"seed", options.cv.seed},
                        {"models", specs},
                        {"dropout", t.dropout},
                        {"epochs", t.epochs},
                        {"batch_size", t.batch_size},
                        {"learning_rate", t.learning_rate},
                        {"train_seed", t.seed},
                        {"k", options.knn.k}};
    StageTiming timing;
    timing.stage = cv_stage.name;
    const double started = wall_seconds();
    CrossValidation cv;
    if (options.cv.task >= 0) {
      // One task of a job array: its file is the output; the summary comes later.
      cross_validate(options.cv, options.models, options.train, options.knn, prep, out + "/cv",
                     prepare_stage.hash(), comm);
      result.seconds = wall_seconds() - start;
      return result;
    }
    if (decide(cv_stage, options.force, false, comm) == Action::Skip) {
      timing.skipped = true;
      say("cross-validate: " + cv_file + " is up to date");
      mpi::agree(comm, [&] {
        if (!comm.is_root()) return;
        std::ifstream in(cv_file);
        cv = cv_from_json(nlohmann::json::parse(in));
      });
    } else {
      cv = cross_validate(options.cv, options.models, options.train, options.knn, prep, out + "/cv",
                          prepare_stage.hash(), comm);
      mpi::agree(comm, [&] {
        if (comm.is_root()) write_text_atomically(cv_file, cv_json(cv).dump(1) + "\n");
      });
      write_stamp(cv_stage, true, comm);
      timing.note =
          strprintf("%d folds x %d repeats x %zu models", cv.folds, cv.repeats, cv.models.size());
    }
    timing.seconds = wall_seconds() - started;
    result.stages.push_back(timing);
    // The report gains (or refreshes) its cross-validation section.
    mpi::agree(comm, [&] {
      if (!comm.is_root()) return;
      if (options.cv_only) {
        if (!fs::exists(out + "/report.json")) {
          report.cv = cv;  // for the summary; there is no report to add it to
          return;
        }
        std::ifstream in(out + "/report.json");
        report = report_from_json(nlohmann::json::parse(in));
      }
      report.cv = cv;
      write_report(report, out);
    });
  } else if (!options.cv_only) {
    // Cross-validation switched off: a section from an earlier run must not linger.
    mpi::agree(comm, [&] {
      if (!comm.is_root() || !report.cv) return;
      report.cv.reset();
      write_report(report, out);
    });
  }
  result.seconds = wall_seconds() - start;
  if (comm.is_root()) print_summary(options, result, prep, report, csv_bytes, comm);
  return result;
}

}  // namespace pancan
