// `pancan predict`: classify new samples with a trained model file.
#include "pancan/predict.hpp"

#include "commands.hpp"
#include "pancan/config.hpp"
#include "pancan/log.hpp"

namespace pancan::cli {

int predict(const Args& args) {
  const PredictOptions defaults;
  po::options_description options;
  options.add_options()("model", po::value<std::string>()->value_name("FILE"),
                        "a model file from pancan train (required)")(
      "expression", po::value<std::string>()->value_name("FILE"),
      "samples to classify, in any layout pancan convert reads (required)")(
      "labels", po::value<std::string>()->value_name("FILE"),
      "true classes (sample id + label column): adds the metrics")(
      "label-column", po::value<std::string>()->default_value(defaults.label_column),
      "the labels file's column holding the class")(
      "out", po::value<std::string>()->value_name("FILE"),
      "predictions CSV: sample,predicted,p_<class>... (required)")(
      "metrics", po::value<std::string>()->value_name("FILE"),
      "metrics JSON when --labels is given (default: OUT with .csv replaced by .metrics.json)")(
      "sep", po::value<std::string>()->default_value("auto"),
      "field separator: auto (from the header line), comma or tab")(
      "layout", po::value<std::string>()->default_value("samples-as-rows"),
      "samples-as-rows or genes-as-rows")(
      "allow-missing-genes", po::bool_switch(),
      "fill model genes absent from the table with their training minimum (after a warning) "
      "instead of stopping with the list of them");
  const auto command_line = parse_command_line("predict", options, args);
  if (command_line.help) {
    say(
        help_text("pancan predict --model m.h5 --expression new.csv --out predictions.csv "
                  "[--labels labels.csv]",
                  "Matches the table's genes to the model's by name (extra genes are ignored),\n"
                  "applies the model's min-max scaling and writes each sample's predicted class\n"
                  "and class probabilities. With --labels it also prints and writes the\n"
                  "metrics (confusion matrix, per-class and averaged scores).",
                  options));
    return kExitOk;
  }
  const auto& values = command_line.values;
  for (const char* required : {"model", "expression", "out"})
    require_option(values.count(required) > 0, required, "is required");
  PredictOptions o;
  o.model = values["model"].as<std::string>();
  o.expression = values["expression"].as<std::string>();
  if (values.count("labels")) o.labels = values["labels"].as<std::string>();
  o.label_column = values["label-column"].as<std::string>();
  o.out = values["out"].as<std::string>();
  if (values.count("metrics")) o.metrics = values["metrics"].as<std::string>();
  o.separator = csv::parse_separator(values["sep"].as<std::string>());
  o.orientation = csv::parse_orientation(values["layout"].as<std::string>());
  o.allow_missing_genes = values["allow-missing-genes"].as<bool>();
  const auto world = mpi::Comm::world();
  const auto result = pancan::predict(o, world);
  if (!world.is_root()) return kExitOk;
  say(strprintf("predict: %zu samples classified in %.2f s -> %s", result.samples.size(),
                result.seconds, o.out.c_str()));
  if (result.metrics) {
    const auto& m = *result.metrics;
    std::string table =
        strprintf("accuracy %.4f on %lld labelled samples\n%-14s %9s %9s %11s %9s %8s", m.accuracy,
                  static_cast<long long>(m.samples), "class", "precision", "recall", "specificity",
                  "f1", "support");
    auto row = [&](const std::string& name, const ClassScores& s) {
      table += strprintf("\n%-14s %9.4f %9.4f %11.4f %9.4f %8lld", name.c_str(), s.precision,
                         s.recall, s.specificity, s.f1, static_cast<long long>(s.support));
    };
    for (std::size_t c = 0; c < m.classes.size(); ++c) row(m.classes[c], m.per_class[c]);
    row("macro avg", m.macro_avg);
    row("weighted avg", m.weighted_avg);
    say(table);
    say("metrics: " + (o.metrics.empty() ? default_metrics_path(o.out) : o.metrics));
  }
  return kExitOk;
}

}  // namespace pancan::cli
