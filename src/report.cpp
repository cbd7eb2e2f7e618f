// Report files: JSON (complete, machine-readable), Markdown (tables) and one
// self-contained HTML page whose charts are inline SVG drawn here.
#include "pancan/report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>

#include "pancan/cv.hpp"
#include "pancan/error.hpp"
#include "pancan/log.hpp"
#include "pancan/output.hpp"

namespace pancan {

using ojson = nlohmann::ordered_json;

// --- small formatting helpers ----------------------------------------------------------

namespace {

std::string fixed(double value, int decimals = 4) { return strprintf("%.*f", decimals, value); }

// 410805 -> "410,805"
std::string with_commas(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A Markdown table cell: pipes would end the cell.
std::string md_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

// "4,102 x 100 + 100 = 410,300" for a Dense layer; "0" for a layer without parameters.
std::string parameter_justification(const LayerRow& layer) {
  if (layer.parameters == 0) return "0";
  if (layer.inputs * layer.outputs + layer.outputs == layer.parameters)
    return with_commas(layer.inputs) + " x " + with_commas(layer.outputs) + " + " +
           with_commas(layer.outputs) + " = " + with_commas(layer.parameters);
  return with_commas(layer.parameters);
}

}  // namespace

// --- model selection -------------------------------------------------------------------

std::optional<EpochRecord> selected_epoch(const ModelReport& model) {
  if (model.history.empty()) return std::nullopt;
  if (model.kept_epoch > 0)
    for (const auto& e : model.history)
      if (e.epoch == model.kept_epoch) return e;
  return model.history.back();
}

namespace {

// The validation scores that stand for a model: its selected epoch's, or for a model
// without history (k-NN) its validation accuracy with no loss (+inf: it loses an accuracy
// tie to a network).
std::optional<std::pair<double, double>> validation_scores(const ModelReport& model) {
  if (const auto e = selected_epoch(model)) return std::make_pair(e->val_accuracy, e->val_loss);
  if (!std::isnan(model.validation_accuracy))
    return std::make_pair(model.validation_accuracy, std::numeric_limits<double>::infinity());
  return std::nullopt;
}

}  // namespace

std::optional<std::size_t> best_model(const Report& report) {
  std::optional<std::size_t> best;
  std::pair<double, double> best_scores;
  for (std::size_t i = 0; i < report.models.size(); ++i) {
    const auto scores = validation_scores(report.models[i]);
    if (!scores || std::isnan(scores->first)) continue;  // trained without validation rows
    const bool better = !best || scores->first > best_scores.first ||
                        (scores->first == best_scores.first && scores->second < best_scores.second);
    if (better) {
      best = i;
      best_scores = *scores;
    }
  }
  return best;
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

void compute_test_metrics(Report& report) {
  for (auto& model : report.models) {
    if (model.predicted.size() != report.test_labels.size())
      throw Error(strprintf("report: model %s has %zu test predictions for %zu test samples",
                            model.name.c_str(), model.predicted.size(), report.test_labels.size()));
    model.test = compute_metrics(report.classes, report.test_labels, model.predicted);
  }
}

// --- JSON ------------------------------------------------------------------------------

namespace {

ojson scores_json(const ClassScores& s) {
  ojson j;
  j["precision"] = s.precision;
  j["recall"] = s.recall;
  j["specificity"] = s.specificity;
  j["f1"] = s.f1;
  j["support"] = s.support;
  return j;
}

ojson pairs_json(const TextPairs& pairs) {
  ojson j = ojson::object();
  for (const auto& [key, value] : pairs) j[key] = value;
  return j;
}

std::vector<std::string> class_names(const Report& report, std::span<const std::int32_t> labels) {
  std::vector<std::string> names;
  names.reserve(labels.size());
  for (auto label : labels) {
    if (label < 0 || static_cast<std::size_t>(label) >= report.classes.size())
      throw Error(
          strprintf("report: label %d outside the %zu classes", label, report.classes.size()));
    names.push_back(report.classes[static_cast<std::size_t>(label)]);
  }
  return names;
}

}  // namespace

ojson metrics_json(const Metrics& m) {
  const std::size_t k = m.classes.size();
  ojson test;
  test["accuracy"] = m.accuracy;
  test["classes"] = m.classes;
  ojson confusion = ojson::array();
  for (std::size_t t = 0; t < k; ++t) {
    ojson row = ojson::array();
    for (std::size_t p = 0; p < k; ++p) row.push_back(m.count(t, p));
    confusion.push_back(row);
  }
  test["confusion_matrix"] = confusion;
  ojson per_class = ojson::array();
  for (std::size_t c = 0; c < k; ++c) {
    ojson s;
    s["class"] = m.classes[c];
    s.update(scores_json(m.per_class[c]));
    per_class.push_back(s);
  }
  test["per_class"] = per_class;
  test["macro_avg"] = scores_json(m.macro_avg);
  test["weighted_avg"] = scores_json(m.weighted_avg);
  return test;
}

namespace {

ojson model_json(const Report& report, const ModelReport& model) {
  ojson j;
  j["name"] = model.name;
  j["kind"] = model.kind;
  j["file"] = model.file;
  j["parameters"] = model.parameters;
  ojson layers = ojson::array();
  for (const auto& l : model.layers)
    layers.push_back({{"name", l.name},
                      {"type", l.type},
                      {"output_shape", l.output_shape},
                      {"inputs", l.inputs},
                      {"outputs", l.outputs},
                      {"parameters", l.parameters}});
  j["layers"] = layers;
  j["summary"] = model.summary;
  j["options"] = pairs_json(model.options);
  j["train_seconds"] = model.train_seconds;
  j["kept_epoch"] = model.kept_epoch;
  j["validation_accuracy"] = model.validation_accuracy;  // NaN (null) for networks
  ojson history = ojson::array();
  for (const auto& e : model.history)
    history.push_back({{"epoch", e.epoch},
                       {"loss", e.loss},
                       {"accuracy", e.accuracy},
                       {"val_loss", e.val_loss},
                       {"val_accuracy", e.val_accuracy},
                       {"seconds", e.seconds},
                       {"samples_per_second", e.samples_per_second},
                       {"communication_seconds", e.communication_seconds}});
  j["history"] = history;
  ojson test = metrics_json(model.test);
  test["samples"] = report.test_samples;
  test["labels"] = class_names(report, report.test_labels);
  test["predicted"] = class_names(report, model.predicted);
  j["test"] = test;
  return j;
}

// Field access that says which field of report.json is missing or malformed.
template <class T>
T field(const nlohmann::json& object, const std::string& name, const std::string& where) {
  if (!object.is_object() || !object.contains(name))
    throw Error("report.json: missing " + where + name);
  try {
    return object.at(name).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw Error("report.json: bad " + where + name + ": " + e.what());
  }
}

// A number that JSON may hold as null: a NaN written out (no validation rows).
double number(const nlohmann::json& object, const std::string& name, const std::string& where) {
  if (object.is_object() && object.contains(name) && object.at(name).is_null())
    return std::numeric_limits<double>::quiet_NaN();
  return field<double>(object, name, where);
}

TextPairs pairs_from_json(const nlohmann::json& object, const std::string& name,
                          const std::string& where) {
  TextPairs pairs;
  if (!object.contains(name)) return pairs;
  for (const auto& [key, value] : object.at(name).items())
    pairs.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
  (void)where;
  return pairs;
}

std::vector<std::int32_t> class_indices(const std::vector<std::string>& classes,
                                        const std::vector<std::string>& names,
                                        const std::string& where) {
  std::vector<std::int32_t> labels;
  labels.reserve(names.size());
  for (const auto& name : names) {
    auto it = std::find(classes.begin(), classes.end(), name);
    if (it == classes.end()) throw Error("report.json: " + where + " names unknown class " + name);
    labels.push_back(static_cast<std::int32_t>(it - classes.begin()));
  }
  return labels;
}

}  // namespace

ojson cv_json(const CrossValidation& cv) {
  auto interval = [](const MeanInterval& m) {
    return ojson{{"n", m.n}, {"mean", m.mean}, {"sd", m.sd}, {"low", m.low}, {"high", m.high}};
  };
  auto test = [&](const PairedTest& t) {
    return ojson{{"mean_difference", t.difference.mean},
                 {"sd", t.difference.sd},
                 {"low", t.difference.low},
                 {"high", t.difference.high},
                 {"n", t.difference.n},
                 {"t", t.t},
                 {"p_value", t.p_value}};
  };
  ojson j;
  j["folds"] = cv.folds;
  j["repeats"] = cv.repeats;
  j["seed"] = cv.seed;
  j["rows"] = cv.rows;
  j["level"] = cv.level;
  j["seconds"] = cv.seconds;
  ojson models = ojson::array();
  for (const auto& m : cv.models) {
    ojson folds = ojson::array();
    for (const auto& f : m.folds)
      folds.push_back({{"repeat", f.repeat},
                       {"fold", f.fold},
                       {"accuracy", f.accuracy},
                       {"macro_f1", f.macro_f1},
                       {"rows", f.rows},
                       {"note", f.note}});
    models.push_back({{"name", m.name},
                      {"kind", m.kind},
                      {"accuracy", interval(m.accuracy)},
                      {"macro_f1", interval(m.macro_f1)},
                      {"folds", folds}});
  }
  j["models"] = models;
  ojson comparisons = ojson::array();
  for (const auto& c : cv.comparisons)
    comparisons.push_back({{"first", c.first},
                           {"second", c.second},
                           {"difference", "first - second, per fold"},
                           {"accuracy", test(c.accuracy)},
                           {"macro_f1", test(c.macro_f1)}});
  j["comparisons"] = comparisons;
  return j;
}

CrossValidation cv_from_json(const nlohmann::json& j) {
  const std::string where = "cross_validation.";
  CrossValidation cv;
  cv.folds = field<int>(j, "folds", where);
  cv.repeats = field<int>(j, "repeats", where);
  cv.seed = j.value("seed", std::uint64_t{0});
  cv.rows = j.value("rows", std::int64_t{0});
  cv.level = j.value("level", 0.95);
  cv.seconds = j.value("seconds", 0.0);
  for (const auto& mj : field<nlohmann::json>(j, "models", where)) {
    CvModelSummary m;
    m.name = field<std::string>(mj, "name", where + "models[].");
    m.kind = mj.value("kind", "network");
    for (const auto& f : field<nlohmann::json>(mj, "folds", where + "models[]."))
      m.folds.push_back(
          {field<int>(f, "repeat", where + "folds[]."), field<int>(f, "fold", where + "folds[]."),
           number(f, "accuracy", where + "folds[]."), number(f, "macro_f1", where + "folds[]."),
           f.value("rows", std::int64_t{0}), f.value("note", "")});
    cv.models.push_back(std::move(m));
  }
  summarise_cv(cv);  // the summaries follow from the fold scores
  return cv;
}

ojson report_json(const Report& report) {
  ojson j;
  j["title"] = report.title;
  j["created"] = report.created;
  j["pancan_version"] = report.version;
  j["ranks"] = report.ranks;
  ojson data;
  data["dataset"] = report.data.dataset;
  data["sources"] = pairs_json(report.data.sources);
  data["samples"] = report.data.samples;
  data["genes"] = report.data.genes;
  data["genes_selected"] = report.data.genes_selected;
  data["train"] = report.data.train;
  data["validation"] = report.data.validation;
  data["test"] = report.data.test;
  data["preparation"] = pairs_json(report.data.preparation);
  j["data"] = data;
  j["classes"] = report.classes;
  ojson timings = ojson::object();
  for (const auto& [stage, seconds] : report.timings) timings[stage] = seconds;
  j["timings"] = timings;
  if (auto best = best_model(report)) {
    const auto& model = report.models[*best];
    if (const auto epoch = selected_epoch(model))
      j["best_model"] = {{"name", model.name},
                         {"chosen_by", "val_accuracy, then val_loss"},
                         {"epoch", epoch->epoch},
                         {"val_accuracy", epoch->val_accuracy},
                         {"val_loss", epoch->val_loss}};
    else
      j["best_model"] = {{"name", model.name},
                         {"chosen_by", "val_accuracy, then val_loss"},
                         {"epoch", nullptr},
                         {"val_accuracy", model.validation_accuracy},
                         {"val_loss", nullptr}};
  } else {
    j["best_model"] = nullptr;
  }
  ojson models = ojson::array();
  for (const auto& model : report.models) models.push_back(model_json(report, model));
  j["models"] = models;
  if (report.cv) j["cross_validation"] = cv_json(*report.cv);
  return j;
}

Report report_from_json(const nlohmann::json& j) {
  Report r;
  r.title = j.value("title", r.title);
  r.created = field<std::string>(j, "created", "");
  r.version = field<std::string>(j, "pancan_version", "");
  r.ranks = field<int>(j, "ranks", "");
  const auto& data = j.at("data");
  r.data.dataset = field<std::string>(data, "dataset", "data.");
  r.data.sources = pairs_from_json(data, "sources", "data.");
  r.data.samples = field<std::int64_t>(data, "samples", "data.");
  r.data.genes = field<std::int64_t>(data, "genes", "data.");
  r.data.genes_selected = field<std::int64_t>(data, "genes_selected", "data.");
  r.data.train = field<std::int64_t>(data, "train", "data.");
  r.data.validation = field<std::int64_t>(data, "validation", "data.");
  r.data.test = field<std::int64_t>(data, "test", "data.");
  r.data.preparation = pairs_from_json(data, "preparation", "data.");
  r.classes = field<std::vector<std::string>>(j, "classes", "");
  if (j.contains("timings"))
    for (const auto& [stage, seconds] : j.at("timings").items())
      r.timings.emplace_back(stage, seconds.get<double>());
  const auto models = field<nlohmann::json>(j, "models", "");
  for (std::size_t i = 0; i < models.size(); ++i) {
    const auto& mj = models[i];
    const std::string where = "models[" + std::to_string(i) + "].";
    ModelReport m;
    m.name = field<std::string>(mj, "name", where);
    m.kind = mj.value("kind", m.kind);
    if (mj.contains("validation_accuracy"))
      m.validation_accuracy = number(mj, "validation_accuracy", where);
    m.file = mj.value("file", "");
    m.parameters = field<std::int64_t>(mj, "parameters", where);
    m.summary = mj.value("summary", "");
    for (const auto& l : mj.value("layers", nlohmann::json::array()))
      m.layers.push_back({field<std::string>(l, "name", where + "layers[]."),
                          field<std::string>(l, "type", where + "layers[]."),
                          l.value("output_shape", ""), l.value("inputs", std::int64_t{0}),
                          l.value("outputs", std::int64_t{0}),
                          field<std::int64_t>(l, "parameters", where + "layers[].")});
    m.options = pairs_from_json(mj, "options", where);
    m.train_seconds = mj.value("train_seconds", 0.0);
    m.kept_epoch = mj.value("kept_epoch", 0);
    for (const auto& e : field<nlohmann::json>(mj, "history", where)) {
      const std::string hw = where + "history[].";
      EpochRecord record;
      record.epoch = field<int>(e, "epoch", hw);
      record.loss = number(e, "loss", hw);
      record.accuracy = number(e, "accuracy", hw);
      record.val_loss = number(e, "val_loss", hw);
      record.val_accuracy = number(e, "val_accuracy", hw);
      record.seconds = e.value("seconds", 0.0);
      record.samples_per_second = e.value("samples_per_second", 0.0);
      record.communication_seconds = e.value("communication_seconds", 0.0);
      m.history.push_back(record);
    }
    const auto test = field<nlohmann::json>(mj, "test", where);
    const auto samples = field<std::vector<std::string>>(test, "samples", where + "test.");
    const auto labels =
        class_indices(r.classes, field<std::vector<std::string>>(test, "labels", where + "test."),
                      where + "test.labels");
    m.predicted = class_indices(r.classes,
                                field<std::vector<std::string>>(test, "predicted", where + "test."),
                                where + "test.predicted");
    if (i == 0) {
      r.test_samples = samples;
      r.test_labels = labels;
    } else if (samples != r.test_samples || labels != r.test_labels) {
      throw Error("report.json: " + where + "test.samples/labels differ from models[0]'s");
    }
    r.models.push_back(std::move(m));
  }
  compute_test_metrics(r);
  if (j.contains("cross_validation")) r.cv = cv_from_json(j.at("cross_validation"));
  return r;
}

// --- Markdown --------------------------------------------------------------------------

namespace {

std::string md_scores_row(const std::string& label, const ClassScores& s) {
  return "| " + md_cell(label) + " | " + fixed(s.precision) + " | " + fixed(s.recall) + " | " +
         fixed(s.specificity) + " | " + fixed(s.f1) + " | " + std::to_string(s.support) + " |\n";
}

// The rows of the side-by-side comparison: (label, value per model).
std::vector<std::pair<std::string, std::vector<std::string>>> comparison_rows(
    const Report& report) {
  std::vector<std::pair<std::string, std::vector<std::string>>> rows;
  auto add = [&](const std::string& label, auto&& value_of) {
    std::vector<std::string> values;
    for (const auto& m : report.models) values.push_back(value_of(m));
    rows.emplace_back(label, std::move(values));
  };
  auto epoch_value = [](const ModelReport& m, auto member) -> std::string {
    auto e = selected_epoch(m);
    if (!e && member == &EpochRecord::val_accuracy && !std::isnan(m.validation_accuracy))
      return fixed(m.validation_accuracy);  // k-NN: the chosen k's validation accuracy
    return e ? fixed((*e).*member) : "-";
  };
  add("kind", [](const ModelReport& m) {
    if (m.kind == "knn") return std::string("k-NN");
    return m.layers.size() <= 1 ? std::string("softmax regression") : std::string("network");
  });
  add("parameters", [](const ModelReport& m) { return with_commas(m.parameters); });
  add("selected epoch", [](const ModelReport& m) {
    auto e = selected_epoch(m);
    return e ? std::to_string(e->epoch) : std::string("-");
  });
  add("validation accuracy",
      [&](const ModelReport& m) { return epoch_value(m, &EpochRecord::val_accuracy); });
  add("validation loss",
      [&](const ModelReport& m) { return epoch_value(m, &EpochRecord::val_loss); });
  add("test accuracy", [](const ModelReport& m) { return fixed(m.test.accuracy); });
  add("test macro precision",
      [](const ModelReport& m) { return fixed(m.test.macro_avg.precision); });
  add("test macro recall", [](const ModelReport& m) { return fixed(m.test.macro_avg.recall); });
  add("test macro specificity",
      [](const ModelReport& m) { return fixed(m.test.macro_avg.specificity); });
  add("test macro F1", [](const ModelReport& m) { return fixed(m.test.macro_avg.f1); });
  add("test weighted F1", [](const ModelReport& m) { return fixed(m.test.weighted_avg.f1); });
  add("test errors", [](const ModelReport& m) {
    std::int64_t correct = 0;
    for (std::size_t c = 0; c < m.test.classes.size(); ++c) correct += m.test.count(c, c);
    return std::to_string(m.test.samples - correct) + " of " + std::to_string(m.test.samples);
  });
  add("training seconds", [](const ModelReport& m) { return fixed(m.train_seconds, 2); });
  return rows;
}

std::string best_model_sentence(const Report& report, bool markdown) {
  const auto best = best_model(report);
  if (!best) return "No model has a training history, so none is named best.";
  const auto& m = report.models[*best];
  const std::string name =
      markdown ? "**" + m.name + "**" : "<strong>" + html_escape(m.name) + "</strong>";
  const auto chosen = selected_epoch(m);
  if (!chosen)
    return "Best model by validation accuracy (ties: lower validation loss): " + name + " (" +
           fixed(m.validation_accuracy) + "). The test split is only scored, never used to choose.";
  const auto e = *chosen;
  return "Best model by validation accuracy (ties: lower validation loss): " + name + " (" +
         fixed(e.val_accuracy) + " at epoch " + std::to_string(e.epoch) + ", validation loss " +
         fixed(e.val_loss) + "). The test split is only scored, never used to choose.";
}

std::vector<std::pair<std::string, std::string>> data_rows(const Report& report) {
  const auto& d = report.data;
  std::vector<std::pair<std::string, std::string>> rows = {
      {"dataset", d.dataset},
      {"samples", with_commas(d.samples) + " (train " + with_commas(d.train) + ", validation " +
                      with_commas(d.validation) + ", test " + with_commas(d.test) + ")"},
      {"genes",
       with_commas(d.genes) + " in the file, " + with_commas(d.genes_selected) + " selected"},
  };
  std::string classes;
  for (const auto& c : report.classes) classes += (classes.empty() ? "" : ", ") + c;
  rows.emplace_back("classes", classes);
  for (const auto& p : d.sources) rows.push_back(p);
  for (const auto& p : d.preparation) rows.push_back(p);
  rows.emplace_back("MPI ranks", std::to_string(report.ranks));
  return rows;
}

}  // namespace

namespace {

std::string interval_text(const MeanInterval& m) {
  if (std::isnan(m.low)) return "-";
  return "[" + fixed(m.low) + ", " + fixed(m.high) + "]";
}

std::string p_text(double p) {
  if (std::isnan(p)) return "-";
  return p < 1e-4 ? strprintf("%.1e", p) : fixed(p);
}

std::string cv_sentence(const CrossValidation& cv) {
  return strprintf(
      "Stratified %d-fold cross-validation, %d repeat%s, over the %lld training + validation "
      "samples (the test split is not used); every model is fitted again on each fold's other "
      "folds and scored on the fold. Mean, standard deviation and %.0f%% t interval over the %d "
      "fold scores; the paired t-tests compare two models on the same folds. Folds of one "
      "repeat share training samples, so the intervals are somewhat optimistic.",
      cv.folds, cv.repeats, cv.repeats == 1 ? "" : "s", static_cast<long long>(cv.rows),
      100 * cv.level, cv.folds * cv.repeats);
}

std::string cv_markdown(const CrossValidation& cv) {
  std::string md = "\n## Baselines and cross-validation\n\n" + cv_sentence(cv) + "\n\n";
  md +=
      "| model | kind | accuracy | sd | 95% interval | macro F1 | sd | 95% interval |\n"
      "|---|---|---:|---:|---|---:|---:|---|\n";
  for (const auto& m : cv.models)
    md += "| " + md_cell(m.name) + " | " + m.kind + " | " + fixed(m.accuracy.mean) + " | " +
          fixed(m.accuracy.sd) + " | " + interval_text(m.accuracy) + " | " +
          fixed(m.macro_f1.mean) + " | " + fixed(m.macro_f1.sd) + " | " +
          interval_text(m.macro_f1) + " |\n";
  if (!cv.comparisons.empty()) {
    md +=
        "\n### Paired comparisons (first - second, same folds)\n\n"
        "| models | accuracy difference | 95% interval | p | macro-F1 difference | 95% interval "
        "| p |\n|---|---:|---|---:|---:|---|---:|\n";
    for (const auto& c : cv.comparisons)
      md += "| " + md_cell(c.first) + " - " + md_cell(c.second) + " | " +
            fixed(c.accuracy.difference.mean) + " | " + interval_text(c.accuracy.difference) +
            " | " + p_text(c.accuracy.p_value) + " | " + fixed(c.macro_f1.difference.mean) + " | " +
            interval_text(c.macro_f1.difference) + " | " + p_text(c.macro_f1.p_value) + " |\n";
  }
  md += "\n### Accuracy per fold\n\n| model |";
  const auto tasks = cv.models.empty() ? 0 : cv.models.front().folds.size();
  for (std::size_t t = 0; t < tasks; ++t) {
    const auto& f = cv.models.front().folds[t];
    md += strprintf(" r%d f%d |", f.repeat + 1, f.fold + 1);
  }
  md += "\n|---|";
  for (std::size_t t = 0; t < tasks; ++t) md += "---:|";
  md += "\n";
  for (const auto& m : cv.models) {
    md += "| " + md_cell(m.name) + " |";
    for (const auto& f : m.folds)
      md += " " + fixed(f.accuracy) + (f.note.empty() ? "" : " (" + f.note + ")") + " |";
    md += "\n";
  }
  return md;
}

}  // namespace

std::string report_markdown(const Report& report) {
  std::string md = "# " + report.title + "\n\n";
  md += "Created " + report.created + " by pancan " + report.version + " on " +
        std::to_string(report.ranks) + " MPI rank" + (report.ranks == 1 ? "" : "s") + ".\n\n";

  md += "## Data\n\n| | |\n|---|---|\n";
  for (const auto& [key, value] : data_rows(report))
    md += "| " + md_cell(key) + " | " + md_cell(value) + " |\n";

  md += "\n## Comparison\n\n" + best_model_sentence(report, true) + "\n\n|  |";
  for (const auto& m : report.models) md += " " + md_cell(m.name) + " |";
  md += "\n|---|";
  for (std::size_t i = 0; i < report.models.size(); ++i) md += "---:|";
  md += "\n";
  for (const auto& [label, values] : comparison_rows(report)) {
    md += "| " + label + " |";
    for (const auto& v : values) md += " " + v + " |";
    md += "\n";
  }

  for (const auto& m : report.models) {
    md += "\n## " + m.name + "\n\n";
    if (!m.file.empty()) md += "Model file: `" + m.file + "`\n\n";
    if (!m.options.empty()) {
      md += m.kind == "knn" ? "Options:" : "Training options:";
      for (const auto& [key, value] : m.options) md += " " + key + "=" + value;
      md += "\n\n";
    }
    if (!m.summary.empty()) md += "### Summary\n\n```text\n" + m.summary + "\n```\n\n";
    if (!m.layers.empty()) {  // k-NN has no layers and no learning curves
      md +=
          "### Parameters per layer\n\n| layer | type | output shape | parameters |\n"
          "|---|---|---|---:|\n";
      for (const auto& l : m.layers)
        md += "| " + md_cell(l.name) + " | " + md_cell(l.type) + " | " + md_cell(l.output_shape) +
              " | " + parameter_justification(l) + " |\n";
      md += "| **total** | | | **" + with_commas(m.parameters) + "** |\n\n";
    }
    if (!m.history.empty()) {
      md +=
          "### Learning curves (train vs validation)\n\n"
          "| epoch | loss | accuracy | val_loss | val_accuracy | seconds |\n"
          "|---:|---:|---:|---:|---:|---:|\n";
      for (const auto& e : m.history)
        md += "| " + std::to_string(e.epoch) + " | " + fixed(e.loss) + " | " + fixed(e.accuracy) +
              " | " + fixed(e.val_loss) + " | " + fixed(e.val_accuracy) + " | " +
              fixed(e.seconds, 2) + " |\n";
      md += "\n";
    }

    const auto& t = m.test;
    md +=
        "### Test confusion matrix (rows: true class, columns: predicted class)\n\n"
        "| true \\ predicted |";
    for (const auto& c : t.classes) md += " " + md_cell(c) + " |";
    md += "\n|---|";
    for (std::size_t c = 0; c < t.classes.size(); ++c) md += "---:|";
    md += "\n";
    for (std::size_t r = 0; r < t.classes.size(); ++r) {
      md += "| **" + md_cell(t.classes[r]) + "** |";
      for (std::size_t c = 0; c < t.classes.size(); ++c)
        md += " " + std::to_string(t.count(r, c)) + " |";
      md += "\n";
    }
    md += "\n### Test metrics\n\nAccuracy " + fixed(t.accuracy) + " on " +
          std::to_string(t.samples) +
          " test samples.\n\n"
          "| class | precision | recall (sensitivity) | specificity | F1 | support |\n"
          "|---|---:|---:|---:|---:|---:|\n";
    for (std::size_t c = 0; c < t.classes.size(); ++c)
      md += md_scores_row(t.classes[c], t.per_class[c]);
    md += md_scores_row("macro avg", t.macro_avg);
    md += md_scores_row("weighted avg", t.weighted_avg);
  }

  if (report.cv) md += cv_markdown(*report.cv);

  if (!report.timings.empty()) {
    md += "\n## Timings\n\n| stage | seconds |\n|---|---:|\n";
    for (const auto& [stage, seconds] : report.timings)
      md += "| " + md_cell(stage) + " | " + fixed(seconds, 3) + " |\n";
  }
  return md;
}

// --- HTML and SVG ----------------------------------------------------------------------

namespace {

struct Series {
  std::string name;
  std::vector<double> values;  // one per epoch
  std::string colour;
  bool dashed = false;
};

// A "nice" tick step (1, 2 or 5 x 10^k) giving about `count` ticks over `span`.
double tick_step(double span, int count) {
  const double raw = span / std::max(count, 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

// A line chart of per-epoch values: x = epoch 1..E, one polyline per series.
std::string svg_line_chart(const std::string& title, const std::string& y_label,
                           const std::vector<Series>& series, double y_min, double y_max,
                           bool legend_at_bottom) {
  const double width = 420, height = 260, left = 56, right = 12, top = 28, bottom = 40;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  std::size_t epochs = 0;
  for (const auto& s : series) epochs = std::max(epochs, s.values.size());
  const double x_lo = 1, x_hi = std::max<double>(2, static_cast<double>(epochs));
  if (!(y_max > y_min)) y_max = y_min + 1;
  auto x_of = [&](double epoch) { return left + (epoch - x_lo) / (x_hi - x_lo) * plot_w; };
  auto y_of = [&](double v) { return top + (1 - (v - y_min) / (y_max - y_min)) * plot_h; };

  std::string svg = strprintf(
      "<svg class=\"learning-curve\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
      "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">",
      width, height, width, height);
  svg += "<title>" + html_escape(title) + "</title>";
  svg += strprintf(
      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" "
      "stroke=\"#999\"/>",
      left, top, plot_w, plot_h);
  svg += strprintf("<text x=\"%.1f\" y=\"18\" class=\"chart-title\">%s</text>", left,
                   html_escape(title).c_str());
  // y grid and labels
  const double step = tick_step(y_max - y_min, 5);
  for (double v = std::ceil(y_min / step) * step; v <= y_max + 1e-9 * step; v += step) {
    const double y = y_of(v);
    svg += strprintf("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>",
                     left, left + plot_w, y, y);
    svg += strprintf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%s</text>",
                     left - 4, y + 4, strprintf("%g", std::round(v / step) * step).c_str());
  }
  // x ticks: every epoch up to 20, else about 10
  const std::size_t x_every = epochs <= 20 ? 1 : (epochs + 9) / 10;
  for (std::size_t e = 1; e <= epochs; e += x_every)
    svg += strprintf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%zu</text>",
                     x_of(static_cast<double>(e)), top + plot_h + 16, e);
  svg += strprintf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"axis\">epoch</text>",
                   left + plot_w / 2, height - 4);
  svg += strprintf(
      "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\" "
      "class=\"axis\">%s</text>",
      top + plot_h / 2, html_escape(y_label).c_str());
  // series, legend
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    std::string points;
    for (std::size_t e = 0; e < s.values.size(); ++e)
      points += strprintf("%.1f,%.1f ", x_of(static_cast<double>(e + 1)), y_of(s.values[e]));
    svg += "<polyline class=\"series\" data-series=\"" + html_escape(s.name) +
           "\" fill=\"none\" stroke=\"" + s.colour + "\" stroke-width=\"2\"" +
           (s.dashed ? " stroke-dasharray=\"6 3\"" : "") + " points=\"" + points + "\"/>";
    for (std::size_t e = 0; e < s.values.size(); ++e)
      svg += strprintf(
          "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%s epoch "
          "%zu: %.4f</title></circle>",
          x_of(static_cast<double>(e + 1)), y_of(s.values[e]), s.colour.c_str(),
          html_escape(s.name).c_str(), e + 1, s.values[e]);
    // The legend goes where the curves are not: top right for falling losses, bottom
    // right for rising accuracies.
    const double ly = legend_at_bottom
                          ? top + plot_h - 12 - 16 * static_cast<double>(series.size() - 1 - i)
                          : top + 12 + 16 * static_cast<double>(i);
    const double lx = left + plot_w - 140;
    svg += strprintf(
        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
        "stroke-width=\"2\"%s/>",
        lx, lx + 22, ly, ly, s.colour.c_str(), s.dashed ? " stroke-dasharray=\"6 3\"" : "");
    svg += strprintf("<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">%s</text>", lx + 28, ly + 4,
                     html_escape(s.name).c_str());
  }
  return svg + "</svg>";
}

// Confusion matrix as a heat map: cell colour = share of the true class's samples (so
// small classes show their errors as clearly as large ones), text = the count.
std::string svg_confusion(const Metrics& m, const std::string& model_name) {
  const std::size_t k = m.classes.size();
  const double cell = 52, left = 96, top = 64, right = 12, bottom = 12;
  const double width = left + cell * static_cast<double>(k) + right;
  const double height = top + cell * static_cast<double>(k) + bottom;
  std::string svg = strprintf(
      "<svg class=\"confusion-heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
      "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">",
      width, height, width, height);
  svg += "<title>" + html_escape(model_name) + " test confusion matrix</title>";
  svg += strprintf(
      "<text x=\"%.1f\" y=\"14\" text-anchor=\"middle\" class=\"axis\">predicted "
      "class</text>",
      left + cell * static_cast<double>(k) / 2);
  svg += strprintf(
      "<text transform=\"translate(12 %.1f) rotate(-90)\" text-anchor=\"middle\" "
      "class=\"axis\">true class</text>",
      top + cell * static_cast<double>(k) / 2);
  for (std::size_t c = 0; c < k; ++c) {
    const double offset = static_cast<double>(c) * cell + cell / 2;
    svg += strprintf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%s</text>",
                     left + offset, top - 8, html_escape(m.classes[c]).c_str());
    svg += strprintf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%s</text>",
                     left - 6, top + offset + 4, html_escape(m.classes[c]).c_str());
  }
  for (std::size_t t = 0; t < k; ++t) {
    std::int64_t row_total = 0;
    for (std::size_t p = 0; p < k; ++p) row_total += m.count(t, p);
    for (std::size_t p = 0; p < k; ++p) {
      const std::int64_t n = m.count(t, p);
      const double share = row_total > 0 ? static_cast<double>(n) / row_total : 0;
      // white (247,251,255) -> dark blue (8,48,107)
      const int r = static_cast<int>(std::lround(247 + share * (8 - 247)));
      const int g = static_cast<int>(std::lround(251 + share * (48 - 251)));
      const int b = static_cast<int>(std::lround(255 + share * (107 - 255)));
      const double x = left + static_cast<double>(p) * cell,
                   y = top + static_cast<double>(t) * cell;
      svg += strprintf(
          "<rect class=\"cell\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
          "fill=\"rgb(%d,%d,%d)\" stroke=\"#fff\"><title>true %s, predicted %s: "
          "%lld</title></rect>",
          x, y, cell, cell, r, g, b, html_escape(m.classes[t]).c_str(),
          html_escape(m.classes[p]).c_str(), static_cast<long long>(n));
      svg += strprintf(
          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"count\" "
          "style=\"fill:%s\">%lld</text>",
          x + cell / 2, y + cell / 2 + 5, share > 0.5 ? "#fff" : "#111", static_cast<long long>(n));
    }
  }
  return svg + "</svg>";
}

std::string html_scores_row(const std::string& label, const ClassScores& s, bool average) {
  return std::string("<tr") + (average ? " class=\"average\"" : "") + "><th>" + html_escape(label) +
         "</th><td>" + fixed(s.precision) + "</td><td>" + fixed(s.recall) + "</td><td>" +
         fixed(s.specificity) + "</td><td>" + fixed(s.f1) + "</td><td>" +
         std::to_string(s.support) + "</td></tr>";
}

const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1180px;padding:0 1rem;color:#222;background:#fafafa}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.6rem 0;background:#fff}th,td{border:1px solid #ccc;padding:.25rem .6rem}
td{text-align:right;font-variant-numeric:tabular-nums}th{text-align:left;background:#f0f0f0}
tr.average th,tr.average td{font-style:italic}td.best,th.best{background:#e3f2e1;font-weight:bold}
.panels{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}.panel{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6rem}
.models{display:flex;flex-wrap:wrap;gap:1.5rem}.model{flex:1 1 540px;min-width:0;overflow-x:auto}
table.metrics,table.layers{font-size:.85rem}
pre{background:#fff;border:1px solid #ddd;padding:.6rem;overflow-x:auto;font-size:.8rem}
svg text{font-family:inherit;font-size:11px;fill:#333}svg .chart-title{font-size:13px;font-weight:bold}svg .axis{font-size:12px}svg text.count{font-size:14px;font-weight:bold}
.note{color:#555}code{background:#eee;padding:0 .2rem}
)";

}  // namespace

namespace {

// One row per model: the fold scores (small grey dots), the t interval (bar with caps)
// and the mean (large dot), on a shared x axis of the metric.
std::string svg_intervals(const CrossValidation& cv, bool accuracy) {
  const std::string metric = accuracy ? "accuracy" : "macro F1";
  auto summary = [&](const CvModelSummary& m) { return accuracy ? m.accuracy : m.macro_f1; };
  auto value = [&](const CvFoldScore& f) { return accuracy ? f.accuracy : f.macro_f1; };
  double lo = 1, hi = 0;
  for (const auto& m : cv.models) {
    for (const auto& f : m.folds) {
      lo = std::min(lo, value(f));
      hi = std::max(hi, value(f));
    }
    const auto s = summary(m);
    if (!std::isnan(s.low)) {
      lo = std::min(lo, s.low);
      hi = std::max(hi, s.high);
    }
  }
  if (!(hi > lo)) {
    lo -= 0.05;
    hi += 0.05;
  }
  const double pad = 0.05 * (hi - lo);
  lo = std::max(0.0, lo - pad);
  hi = std::min(1.0, hi + pad);
  if (!(hi > lo)) hi = lo + 0.01;
  const double left = 130, right = 24, top = 30, row = 30, bottom = 40, width = 560;
  const double plot_w = width - left - right;
  const double plot_h = row * static_cast<double>(cv.models.size());
  const double height = top + plot_h + bottom;
  auto x_of = [&](double v) { return left + (v - lo) / (hi - lo) * plot_w; };
  std::string svg = strprintf(
      "<svg class=\"cv-interval\" data-metric=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" "
      "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">",
      accuracy ? "accuracy" : "macro_f1", width, height, width, height);
  const std::string title = "cross-validated " + metric + ": mean and 95% interval";
  svg += "<title>" + html_escape(title) + "</title>";
  svg += strprintf("<text x=\"%.1f\" y=\"18\" class=\"chart-title\">%s</text>", left,
                   html_escape(title).c_str());
  svg += strprintf(
      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" stroke=\"#999\"/>",
      left, top, plot_w, plot_h);
  const double step = tick_step(hi - lo, 5);
  for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) {
    const double x = x_of(v);
    svg += strprintf("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>",
                     x, x, top, top + plot_h);
    svg += strprintf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%s</text>",
                     x, top + plot_h + 16, strprintf("%g", std::round(v / step) * step).c_str());
  }
  svg += strprintf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"axis\">%s</text>",
                   left + plot_w / 2, height - 6, html_escape(metric).c_str());
  for (std::size_t i = 0; i < cv.models.size(); ++i) {
    const auto& m = cv.models[i];
    const auto s = summary(m);
    const double y = top + row * (static_cast<double>(i) + 0.5);
    svg += strprintf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%s</text>",
                     left - 8, y + 4, html_escape(m.name).c_str());
    for (const auto& f : m.folds)
      svg += strprintf(
          "<circle class=\"fold\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#9e9e9e\">"
          "<title>%s repeat %d fold %d: %.4f</title></circle>",
          x_of(value(f)), y + 7, html_escape(m.name).c_str(), f.repeat + 1, f.fold + 1, value(f));
    if (!std::isnan(s.low)) {
      const double x1 = x_of(std::max(lo, s.low)), x2 = x_of(std::min(hi, s.high));
      svg += strprintf(
          "<line class=\"interval\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
          "stroke=\"#1f77b4\" stroke-width=\"2.5\"><title>%s 95%% interval [%.4f, %.4f]</title>"
          "</line>",
          x1, x2, y, y, html_escape(m.name).c_str(), s.low, s.high);
      for (double x : {x1, x2})
        svg += strprintf(
            "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#1f77b4\" "
            "stroke-width=\"2\"/>",
            x, x, y - 6, y + 6);
    }
    svg += strprintf(
        "<circle class=\"mean\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#d62728\"><title>%s mean "
        "%.4f (sd %.4f)</title></circle>",
        x_of(std::clamp(s.mean, lo, hi)), y, html_escape(m.name).c_str(), s.mean, s.sd);
  }
  return svg + "</svg>";
}

std::string cv_html(const CrossValidation& cv) {
  std::string h = "<h2 id=\"cv\">Baselines and cross-validation</h2>\n<p class=\"note\">" +
                  html_escape(cv_sentence(cv)) + "</p>\n";
  h += "<table id=\"cv-summary\"><tr><th>model</th><th>kind</th><th>accuracy</th><th>sd</th>"
       "<th>95% interval</th><th>macro F1</th><th>sd</th><th>95% interval</th></tr>";
  for (const auto& m : cv.models)
    h += "<tr><th>" + html_escape(m.name) + "</th><td>" + html_escape(m.kind) + "</td><td>" +
         fixed(m.accuracy.mean) + "</td><td>" + fixed(m.accuracy.sd) + "</td><td>" +
         interval_text(m.accuracy) + "</td><td>" + fixed(m.macro_f1.mean) + "</td><td>" +
         fixed(m.macro_f1.sd) + "</td><td>" + interval_text(m.macro_f1) + "</td></tr>";
  h += "</table>\n<div class=\"panels\"><div class=\"panel\">" + svg_intervals(cv, true) +
       "</div><div class=\"panel\">" + svg_intervals(cv, false) + "</div></div>\n";
  if (!cv.comparisons.empty()) {
    h += "<h3>Paired comparisons (first &minus; second, same folds)</h3>\n"
         "<table id=\"cv-comparisons\"><tr><th>models</th><th>accuracy difference</th>"
         "<th>95% interval</th><th>p</th><th>macro-F1 difference</th><th>95% interval</th>"
         "<th>p</th></tr>";
    for (const auto& c : cv.comparisons)
      h += "<tr><th>" + html_escape(c.first) + " &minus; " + html_escape(c.second) + "</th><td>" +
           fixed(c.accuracy.difference.mean) + "</td><td>" + interval_text(c.accuracy.difference) +
           "</td><td>" + p_text(c.accuracy.p_value) + "</td><td>" +
           fixed(c.macro_f1.difference.mean) + "</td><td>" + interval_text(c.macro_f1.difference) +
           "</td><td>" + p_text(c.macro_f1.p_value) + "</td></tr>";
    h += "</table>\n";
  }
  return h;
}

}  // namespace

std::string report_html(const Report& report) {
  const auto best = best_model(report);
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      html_escape(report.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  h += "<h1>" + html_escape(report.title) + "</h1>\n<p class=\"note\">Created " +
       html_escape(report.created) + " by pancan " + html_escape(report.version) + " on " +
       std::to_string(report.ranks) + " MPI rank" + (report.ranks == 1 ? "" : "s") + ".</p>\n";

  h += "<h2>Data</h2>\n<table id=\"data\">";
  for (const auto& [key, value] : data_rows(report))
    h += "<tr><th>" + html_escape(key) + "</th><td style=\"text-align:left\">" +
         html_escape(value) + "</td></tr>";
  h += "</table>\n";

  h += "<h2>Comparison</h2>\n<p id=\"best-model\">" + best_model_sentence(report, false) +
       "</p>\n<table id=\"comparison\"><tr><th></th>";
  for (std::size_t i = 0; i < report.models.size(); ++i)
    h += std::string("<th") + (best && *best == i ? " class=\"best\"" : "") + ">" +
         html_escape(report.models[i].name) + "</th>";
  h += "</tr>";
  for (const auto& [label, values] : comparison_rows(report)) {
    h += "<tr><th>" + html_escape(label) + "</th>";
    for (std::size_t i = 0; i < values.size(); ++i)
      h += std::string("<td") + (best && *best == i ? " class=\"best\"" : "") + ">" +
           html_escape(values[i]) + "</td>";
    h += "</tr>";
  }
  h += "</table>\n";

  h += "<h2>Learning curves</h2>\n<p class=\"note\">Train (solid) and validation (dashed) per "
       "epoch.</p>\n<div class=\"panels\">";
  for (const auto& m : report.models) {
    if (m.history.empty()) continue;  // k-NN: nothing was trained
    Series loss{"train loss", {}, "#1f77b4"}, val_loss{"validation loss", {}, "#ff7f0e", true};
    Series acc{"train accuracy", {}, "#1f77b4"},
        val_acc{"validation accuracy", {}, "#ff7f0e", true};
    double loss_max = 0, acc_min = 1;
    for (const auto& e : m.history) {
      loss.values.push_back(e.loss);
      val_loss.values.push_back(e.val_loss);
      acc.values.push_back(e.accuracy);
      val_acc.values.push_back(e.val_accuracy);
      loss_max = std::max({loss_max, e.loss, e.val_loss});
      acc_min = std::min({acc_min, e.accuracy, e.val_accuracy});
    }
    h += "<div class=\"panel\" data-model=\"" + html_escape(m.name) + "\"><h3>" +
         html_escape(m.name) + "</h3>";
    h += svg_line_chart(m.name + ": loss", "cross-entropy", {loss, val_loss}, 0,
                        loss_max > 0 ? loss_max * 1.05 : 1, false);
    h += svg_line_chart(m.name + ": accuracy", "accuracy", {acc, val_acc},
                        std::max(0.0, std::floor(acc_min * 10) / 10), 1.0, true);
    h += "</div>";
  }
  h += "</div>\n";

  h += "<h2>Test results</h2>\n<div class=\"models\">";
  for (const auto& m : report.models) {
    const auto& t = m.test;
    h += "<section class=\"model\" id=\"model-" + html_escape(m.name) + "\"><h3>" +
         html_escape(m.name) + "</h3>";
    h += "<p>Accuracy <strong>" + fixed(t.accuracy) + "</strong> on " + std::to_string(t.samples) +
         " test samples.</p>";
    h += svg_confusion(t, m.name);
    h += "<table class=\"metrics\"><tr><th>class</th><th>precision</th><th>recall "
         "(sensitivity)</th><th>specificity</th><th>F1</th><th>support</th></tr>";
    for (std::size_t c = 0; c < t.classes.size(); ++c)
      h += html_scores_row(t.classes[c], t.per_class[c], false);
    h += html_scores_row("macro avg", t.macro_avg, true);
    h += html_scores_row("weighted avg", t.weighted_avg, true);
    h += "</table>";
    if (!m.layers.empty()) {
      h += "<table class=\"layers\"><tr><th>layer</th><th>type</th><th>output shape</th>"
           "<th>parameters</th></tr>";
      for (const auto& l : m.layers)
        h += "<tr><th>" + html_escape(l.name) + "</th><td>" + html_escape(l.type) + "</td><td>" +
             html_escape(l.output_shape) + "</td><td>" + parameter_justification(l) + "</td></tr>";
      h += "<tr><th>total</th><td></td><td></td><td><strong>" + with_commas(m.parameters) +
           "</strong></td></tr></table>";
    }
    if (!m.summary.empty()) h += "<pre class=\"summary\">" + html_escape(m.summary) + "</pre>";
    if (!m.options.empty()) {
      h += m.kind == "knn" ? "<p class=\"note\">Searched with" : "<p class=\"note\">Trained with";
      for (const auto& [key, value] : m.options)
        h += " <code>" + html_escape(key) + "=" + html_escape(value) + "</code>";
      h += " in " + fixed(m.train_seconds, 2) + " s.</p>";
    }
    h += "</section>";
  }
  h += "</div>\n";

  if (report.cv) h += cv_html(*report.cv);

  if (!report.timings.empty()) {
    h += "<h2>Timings</h2>\n<table id=\"timings\"><tr><th>stage</th><th>seconds</th></tr>";
    for (const auto& [stage, seconds] : report.timings)
      h += "<tr><th>" + html_escape(stage) + "</th><td>" + fixed(seconds, 3) + "</td></tr>";
    h += "</table>\n";
  }
  return h + "</body>\n</html>\n";
}

// --- files -----------------------------------------------------------------------------

void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::FILE* f = std::fopen(temporary.c_str(), "wb");
    if (f == nullptr) throw Error("cannot create " + temporary + ": " + std::strerror(errno));
    const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    const bool closed = std::fclose(f) == 0;
    if (!written || !closed) {
      std::remove(temporary.c_str());
      throw Error("cannot write " + temporary + ": " + std::strerror(errno));
    }
  }
  std::error_code error;
  replace_file(temporary, path, error);
  if (error) {
    std::remove(temporary.c_str());
    throw Error("cannot rename " + temporary + " to " + path + ": " + error.message());
  }
}

void write_report(const Report& report, const std::string& directory) {
  const std::string base = directory.empty() ? std::string(".") : directory;
  if (!std::filesystem::is_directory(base))
    throw Error("report directory " + base + " does not exist");
  // Render everything before writing anything, so a rendering error leaves no file.
  const std::string json = report_json(report).dump(1) + "\n";
  const std::string md = report_markdown(report);
  const std::string html = report_html(report);
  write_text_atomically(base + "/report.json", json);
  write_text_atomically(base + "/report.md", md);
  write_text_atomically(base + "/report.html", html);
}

}  // namespace pancan
