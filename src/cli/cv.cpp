// `pancan cv`: stratified k-fold cross-validation of a job's models (cv.hpp). Reads the
// same options and job configs as `pancan run`; converts and prepares when needed (the
// same stamps), then cross-validates instead of training the final models. `--fold I`
// runs one fold task alone (a SLURM job array task); a later run without it summarises.
#include "commands.hpp"
#include "pancan/config.hpp"
#include "pancan/log.hpp"
#include "pancan/run.hpp"
#include "run_options.hpp"

namespace pancan::cli {

int cv(const Args& args) {
  const RunOptions defaults;
  po::options_description cv_only("pancan cv");
  cv_only.add_options()("folds", po::value<int>()->value_name("F"),
                        "stratified folds (default: cv-folds of the job, else 5)")(
      "repeats", po::value<int>()->value_name("R"), "repeats (default: cv-repeats, else 1)")(
      "fold", po::value<int>()->value_name("I"),
      "run only fold task I (0-based, = repeat * F + fold) and write DIR/cv/fold-I.json: one "
      "task of a job array (slurm/cv.sbatch); without it every task not already on file runs");
  auto options = run_options_description(defaults);
  options.add(cv_only);
  const auto line = parse_command_line("cv", options, args);
  if (line.help) {
    say(help_text(
        "pancan cv --config jobs/JOB.ini [--folds 5] [--repeats R] [--fold I] [options]",
        "Stratified k-fold cross-validation of every --model over the training + validation\n"
        "samples (the test split is not used): each model is fitted on the other folds and\n"
        "scored on each fold. Prints and writes (DIR/cv.json, and a section in DIR/report.*\n"
        "when the report exists) the mean, standard deviation and 95% t interval of accuracy\n"
        "and macro F1 per model, and paired t-tests between the models over the same folds.",
        options));
    return kExitOk;
  }
  const auto& v = line.values;
  RunOptions o = run_options_from(v);
  o.cv_only = true;
  if (v.count("folds")) o.cv.folds = v["folds"].as<int>();
  if (o.cv.folds == 0) o.cv.folds = 5;
  if (v.count("repeats")) o.cv.repeats = v["repeats"].as<int>();
  require_option(o.cv.folds >= 2, "folds", "must be at least 2");
  require_option(o.cv.repeats >= 1, "repeats", "must be at least 1");
  if (v.count("fold")) {
    o.cv.task = v["fold"].as<int>();
    require_option(o.cv.task >= 0 && o.cv.task < o.cv.folds * o.cv.repeats, "fold",
                   strprintf("must be in 0..%d (%d folds x %d repeats)",
                             o.cv.folds * o.cv.repeats - 1, o.cv.folds, o.cv.repeats));
  }
  pancan::run(o, mpi::Comm::world());
  return kExitOk;
}

}  // namespace pancan::cli
