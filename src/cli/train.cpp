// `pancan train`: reads the prepared dataset (each rank its shard of the training and
// validation rows), trains a dense network data-parallel over MPI and writes the model
// file, rewritten at the end of every epoch as a checkpoint.
#include "pancan/train.hpp"

#include "commands.hpp"
#include "pancan/config.hpp"
#include "pancan/features.hpp"
#include "pancan/interrupt.hpp"
#include "pancan/log.hpp"
#include "pancan/mpi.hpp"
#include "pancan/output.hpp"
#include "pancan/training_data.hpp"

namespace pancan::cli {

int train(const Args& args) {
  const TrainOptions defaults;
  po::options_description options("train options");
  options.add_options()("data", po::value<std::string>(),
                        "prepared dataset (.h5ad from convert + prepare)")(
      "out", po::value<std::string>(), "model file to write (also the per-epoch checkpoint)")(
      "hidden", po::value<std::string>()->default_value("100"),
      "hidden Dense(relu) layer sizes, comma-separated: 100 = model 1, 100,10 = model 2, "
      "empty = softmax regression")("dropout",
                                    po::value<double>()->default_value(defaults.dropout, "0.3"),
                                    "dropout rate after every hidden layer (0 = none)")(
      "epochs", po::value<int>()->default_value(defaults.epochs), "passes over the training rows")(
      "batch-size", po::value<int>()->default_value(defaults.batch_size),
      "global batch size (split over the ranks)")(
      "learning-rate", po::value<double>()->default_value(defaults.learning_rate, "0.001"),
      "Adam learning rate (beta1 0.9, beta2 0.999, epsilon 1e-7)")(
      "seed", po::value<std::uint64_t>()->default_value(defaults.seed),
      "seed of the initialisation, shuffles and dropout masks")(
      "early-stopping-patience", po::value<int>()->default_value(defaults.early_stopping_patience),
      "stop after N epochs without a lower val_loss and keep the best weights (0 = off)")(
      "resume", po::bool_switch(), "continue from the checkpoint in --out");
  const auto line = parse_command_line("train", options, args);
  if (line.help) {
    say(help_text("pancan train --data DATASET.h5 --out MODEL.h5 [options]",
                  "Trains a dense network (Dense -> ReLU -> Dropout ... -> softmax) with Adam on\n"
                  "the training split, validating every epoch; data-parallel over the MPI ranks\n"
                  "with results that do not depend on the rank count. Writes MODEL.h5 at the end\n"
                  "of every epoch; --resume continues an interrupted run.",
                  options));
    return kExitOk;
  }
  const auto& values = line.values;
  require_option(values.count("data") > 0, "data", "is required");
  require_option(values.count("out") > 0, "out", "is required");
  TrainOptions o;
  o.hidden.clear();
  for (int size : parse_int_list("hidden", values["hidden"].as<std::string>()))
    o.hidden.push_back(size);
  o.dropout = values["dropout"].as<double>();
  o.epochs = values["epochs"].as<int>();
  o.batch_size = values["batch-size"].as<int>();
  o.learning_rate = values["learning-rate"].as<double>();
  o.seed = values["seed"].as<std::uint64_t>();
  o.early_stopping_patience = values["early-stopping-patience"].as<int>();
  require_option(o.dropout >= 0 && o.dropout < 1, "dropout", "must be in [0, 1)");
  require_option(o.epochs >= 1, "epochs", "must be at least 1");
  require_option(o.batch_size >= 1, "batch-size", "must be at least 1");
  require_option(o.learning_rate > 0, "learning-rate", "must be positive");
  require_option(o.early_stopping_patience >= 0, "early-stopping-patience", "must be >= 0");

  const auto comm = mpi::Comm::world();
  const std::string data = values["data"].as<std::string>();
  TrainControl control;
  control.checkpoint_path = values["out"].as<std::string>();
  control.resume = values["resume"].as<bool>();

  const double start = wall_seconds();
  Preparation prep;
  ShardedData train_shard, validation_shard;
  mpi::agree(comm, [&] {
    if (comm.is_root()) check_output_path(control.checkpoint_path);
    prep = read_preparation(data);
    train_shard = read_shard(prep, Split::Train, comm);
    validation_shard = read_shard(prep, Split::Validation, comm);
  });
  say(strprintf("read %lld training and %lld validation samples x %zu genes from %s in %.2f s",
                static_cast<long long>(train_shard.total_rows),
                static_cast<long long>(validation_shard.total_rows), prep.selected.size(),
                data.c_str(), wall_seconds() - start));

  const Model about = model_metadata(prep, data);
  // SIGTERM (SLURM's time limit, preemption) or SIGINT: finish the step, write a
  // checkpoint, exit 75; --resume continues from it.
  StopSignals signals;
  control.stop_requested = [] { return StopSignals::received() != 0; };
  const auto result = pancan::train(o, train_shard, validation_shard, about, control, comm);
  if (result.stopped) {
    say("stopped by signal " + std::to_string(StopSignals::received()) +
        "; continue with the same command and --resume (exit code 75)");
    return kExitPreempted;
  }
  const auto& h = result.model.history;
  if (!h.empty()) {
    // The weights kept: the last epoch's, or the best one's under early stopping.
    std::size_t kept = h.size() - 1;
    if (o.early_stopping_patience > 0 && result.model.state && result.model.state->best_epoch > 0)
      kept = static_cast<std::size_t>(result.model.state->best_epoch - 1);
    say(
        strprintf("wrote %s: %zu epochs, weights of epoch %d (val_loss %.4f, val_accuracy "
                  "%.4f), %.1f s in total",
                  control.checkpoint_path.c_str(), h.size(), h[kept].epoch, h[kept].val_loss,
                  h[kept].val_accuracy, wall_seconds() - start));
  }
  return kExitOk;
}

}  // namespace pancan::cli
