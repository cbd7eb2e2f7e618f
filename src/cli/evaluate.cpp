// `pancan evaluate`: test-split metrics of one or more trained models and the report files.
#include "pancan/evaluate.hpp"

#include <filesystem>

#include "commands.hpp"
#include "pancan/config.hpp"
#include "pancan/log.hpp"

namespace pancan::cli {

int evaluate(const Args& args) {
  po::options_description options;
  options.add_options()("data", po::value<std::string>()->value_name("FILE"),
                        "the prepared dataset.h5 the models were trained on (required)")(
      "model", po::value<std::vector<std::string>>()->value_name("FILE")->composing(),
      "a model file from pancan train; repeat for several (required)")(
      "name", po::value<std::vector<std::string>>()->value_name("NAME")->composing(),
      "display name of each --model, in the same order (default: the file's stem)")(
      "out", po::value<std::string>()->value_name("DIR"),
      "directory for report.json, report.md and report.html (required; created if missing)");
  const auto command_line = parse_command_line("evaluate", options, args);
  if (command_line.help) {
    say(help_text("pancan evaluate --data dataset.h5 --model m1.h5 [--model m2.h5 ...] --out DIR",
                  "Runs every model on the test split (sharded over the ranks), gathers the\n"
                  "predictions on rank 0 and writes the report: confusion matrices (rows =\n"
                  "true class), per-class precision, recall, specificity, F1 and support,\n"
                  "accuracy, macro and weighted averages, learning curves and a comparison\n"
                  "that names the best model by validation accuracy.",
                  options));
    return kExitOk;
  }
  const auto& values = command_line.values;
  for (const char* required : {"data", "model", "out"})
    require_option(values.count(required) > 0, required, "is required");
  EvaluateOptions evaluate_options;
  evaluate_options.data = values["data"].as<std::string>();
  evaluate_options.models = values["model"].as<std::vector<std::string>>();
  if (values.count("name")) evaluate_options.names = values["name"].as<std::vector<std::string>>();
  require_option(evaluate_options.names.empty() ||
                     evaluate_options.names.size() == evaluate_options.models.size(),
                 "name", "give one --name per --model, or none");
  evaluate_options.out_dir = values["out"].as<std::string>();
  const auto world = mpi::Comm::world();
  mpi::agree(world, [&] {
    if (world.is_root()) std::filesystem::create_directories(evaluate_options.out_dir);
  });
  const auto report = pancan::evaluate(evaluate_options, world);
  if (world.is_root()) {
    for (const auto& m : report.models)
      say(strprintf("%-12s test accuracy %.4f (%lld samples), macro F1 %.4f", m.name.c_str(),
                    m.test.accuracy, static_cast<long long>(m.test.samples), m.test.macro_avg.f1));
    if (auto best = best_model(report))
      say("best by validation accuracy: " + report.models[*best].name);
    say("report: " + evaluate_options.out_dir + "/report.html (also report.md, report.json)");
  }
  return kExitOk;
}

}  // namespace pancan::cli
