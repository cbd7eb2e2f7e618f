// `pancan run`: the main job, convert -> prepare -> train each model -> evaluate -> report,
// with up-to-date stages skipped (run.hpp).
#include "pancan/run.hpp"

#include "commands.hpp"
#include "pancan/config.hpp"
#include "pancan/log.hpp"
#include "run_options.hpp"

namespace pancan::cli {

po::options_description run_options_description(const RunOptions& defaults) {
  po::options_description files("Files");
  files.add_options()("expression", po::value<std::string>()->value_name("FILE"),
                      "expression table, any layout pancan convert reads (required)")(
      "labels", po::value<std::string>()->value_name("FILE"), "labels table (required)")(
      "out", po::value<std::string>()->default_value(defaults.out)->value_name("DIR"),
      "directory for dataset.h5, the model files, the report and stamps/")(
      "force", po::bool_switch(), "run every stage, even those that are up to date");
  po::options_description convert_options("Convert");
  convert_options.add_options()(
      "label-column", po::value<std::string>()->default_value(defaults.convert.label_column),
      "the labels file's column holding the class")(
      "sep", po::value<std::string>()->default_value("auto"), "auto, comma or tab")(
      "layout", po::value<std::string>()->default_value("samples-as-rows"),
      "samples-as-rows or genes-as-rows")(
      "compression", po::value<int>()->default_value(defaults.convert.compression),
      "gzip level 0-9 of /X");
  po::options_description prepare_options("Prepare");
  prepare_options.add_options()(
      "test-fraction", po::value<double>()->default_value(defaults.prepare.fractions.test, "1/3"),
      "fraction of each class held out for the test set")(
      "validation-fraction",
      po::value<double>()->default_value(defaults.prepare.fractions.validation, "0.2"),
      "fraction of each class's remaining samples held out for validation")(
      "split-seed", po::value<std::uint64_t>()->default_value(defaults.prepare.seed),
      "seed of the split")("quantile",
                           po::value<double>()->default_value(defaults.prepare.quantile, "0.8"),
                           "keep the genes whose variance is >= this quantile of all variances")(
      "top-genes", po::value<std::int64_t>()->value_name("N"),
      "instead of --quantile: keep exactly the N genes of largest variance")(
      "fit-on", po::value<std::string>()->default_value(fit_on_name(defaults.prepare.fit_on)),
      "rows selection and scaling are fitted on: train (no leakage) or all (as the notebook)");
  po::options_description train_options("Train (shared by every model)");
  train_options.add_options()(
      "model",
      po::value<std::vector<std::string>>()
          ->default_value({"model1:100", "model2:100,10", "softmax:"},
                          "model1:100 model2:100,10 softmax:")
          ->value_name("NAME:HIDDEN"),
      "a model to train and compare: name and hidden layer sizes (repeat the option; "
      "'NAME:' = softmax regression; 'NAME:knn' or 'NAME:knn-cosine' = k-nearest neighbours)")(
      "dropout", po::value<double>()->default_value(defaults.train.dropout, "0.3"),
      "dropout rate after every hidden layer")(
      "epochs", po::value<int>()->default_value(defaults.train.epochs), "passes over the data")(
      "batch-size", po::value<int>()->default_value(defaults.train.batch_size),
      "global batch size (split over the ranks)")(
      "learning-rate", po::value<double>()->default_value(defaults.train.learning_rate, "0.001"),
      "Adam's learning rate")("seed",
                              po::value<std::uint64_t>()->default_value(defaults.train.seed),
                              "seed of initialisation, shuffles and dropout")(
      "early-stopping-patience",
      po::value<int>()->default_value(defaults.train.early_stopping_patience),
      "stop after N epochs without a lower val_loss and keep the best weights (0 = off)");
  po::options_description knn_options("k-NN (every NAME:knn model)");
  knn_options.add_options()("k", po::value<std::string>()->default_value("1,3,5,7,9"),
                            "candidate neighbour counts, chosen by validation accuracy")(
      "knn-block", po::value<std::int64_t>()->default_value(defaults.knn.block),
      "queries per distance product");
  po::options_description cv_options("Cross-validation (after the evaluation; pancan cv alone)");
  cv_options.add_options()("cv-folds", po::value<int>()->default_value(defaults.cv.folds),
                           "stratified folds over train + validation (0 = no cross-validation)")(
      "cv-repeats", po::value<int>()->default_value(defaults.cv.repeats),
      "repeats of the k-fold split, each shuffled differently")(
      "cv-seed", po::value<std::uint64_t>()->default_value(defaults.cv.seed),
      "seed of the fold assignment");
  po::options_description options;
  options.add(files)
      .add(convert_options)
      .add(prepare_options)
      .add(train_options)
      .add(knn_options)
      .add(cv_options);
  return options;
}

int run(const Args& args) {
  const RunOptions defaults;
  const auto options = run_options_description(defaults);
  const auto command_line = parse_command_line("run", options, args);
  if (command_line.help) {
    say(help_text(
        "pancan run --config jobs/pancan.ini [--expression E --labels L --out DIR] [options]",
        "The main job: convert the CSV files, split and select genes, train every --model (k-NN\n"
        "models: search), evaluate them on the test split, optionally cross-validate them\n"
        "(--cv-folds) and write the report (DIR/report.html, .md, .json).\n"
        "A stage whose outputs are newer than its inputs and were made with the same options\n"
        "(DIR/stamps/) is skipped, so a rerun only redoes what changed; an interrupted training\n"
        "resumes from its checkpoint. Rank 0 ends with a summary of sizes, times and accuracies.",
        options));
    return kExitOk;
  }
  const auto result = pancan::run(run_options_from(command_line.values), mpi::Comm::world());
  return result.preempted ? kExitPreempted : kExitOk;
}

RunOptions run_options_from(const po::variables_map& v) {
  RunOptions o;
  if (v.count("expression")) o.expression = v["expression"].as<std::string>();
  if (v.count("labels")) o.labels = v["labels"].as<std::string>();
  require_option(!o.expression.empty(), "expression", "is required (command line or --config)");
  require_option(!o.labels.empty(), "labels", "is required (command line or --config)");
  o.out = v["out"].as<std::string>();
  o.force = v["force"].as<bool>();
  o.convert.label_column = v["label-column"].as<std::string>();
  o.convert.separator = csv::parse_separator(v["sep"].as<std::string>());
  o.convert.orientation = csv::parse_orientation(v["layout"].as<std::string>());
  o.convert.compression = v["compression"].as<int>();
  o.prepare.fractions.test = v["test-fraction"].as<double>();
  o.prepare.fractions.validation = v["validation-fraction"].as<double>();
  o.prepare.seed = v["split-seed"].as<std::uint64_t>();
  o.prepare.quantile = v["quantile"].as<double>();
  if (v.count("top-genes")) o.prepare.top_genes = v["top-genes"].as<std::int64_t>();
  require_option(!v.count("top-genes") || o.prepare.top_genes > 0, "top-genes", "must be positive");
  o.prepare.fit_on = parse_fit_on(v["fit-on"].as<std::string>());
  o.models.clear();
  for (const auto& text : v["model"].as<std::vector<std::string>>()) {
    // One option value may hold several specs separated by spaces ("m1:100 m2:100,10").
    std::size_t at = 0;
    while (at < text.size()) {
      const auto end = std::min(text.find(' ', at), text.size());
      if (end > at) o.models.push_back(parse_model_spec(text.substr(at, end - at)));
      at = end + 1;
    }
  }
  for (std::size_t i = 0; i < o.models.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      require_option(o.models[i].name != o.models[j].name, "model",
                     "two models are called " + o.models[i].name);
  o.train.dropout = v["dropout"].as<double>();
  o.train.epochs = v["epochs"].as<int>();
  o.train.batch_size = v["batch-size"].as<int>();
  o.train.learning_rate = v["learning-rate"].as<double>();
  o.train.seed = v["seed"].as<std::uint64_t>();
  o.train.early_stopping_patience = v["early-stopping-patience"].as<int>();
  require_option(o.train.dropout >= 0 && o.train.dropout < 1, "dropout", "must be in [0, 1)");
  require_option(o.train.epochs >= 1, "epochs", "must be at least 1");
  require_option(o.train.batch_size >= 1, "batch-size", "must be at least 1");
  require_option(o.train.learning_rate > 0, "learning-rate", "must be positive");
  require_option(o.train.early_stopping_patience >= 0, "early-stopping-patience", "must be >= 0");
  o.knn.k = parse_int_list("k", v["k"].as<std::string>());
  require_option(!o.knn.k.empty(), "k", "needs at least one value");
  for (int k : o.knn.k) require_option(k >= 1, "k", "every k must be at least 1");
  o.knn.block = v["knn-block"].as<std::int64_t>();
  require_option(o.knn.block >= 1, "knn-block", "must be at least 1");
  o.cv.folds = v["cv-folds"].as<int>();
  o.cv.repeats = v["cv-repeats"].as<int>();
  o.cv.seed = v["cv-seed"].as<std::uint64_t>();
  require_option(o.cv.folds == 0 || o.cv.folds >= 2, "cv-folds", "must be 0 (off) or at least 2");
  require_option(o.cv.repeats >= 1, "cv-repeats", "must be at least 1");
  return o;
}

}  // namespace pancan::cli
