// `pancan prepare`: parses options and calls prepare() (prepare.hpp).
#include "pancan/prepare.hpp"

#include "commands.hpp"
#include "pancan/config.hpp"
#include "pancan/log.hpp"

namespace pancan::cli {

int prepare(const Args& args) {
  const PrepareOptions defaults;
  po::options_description options;
  options.add_options()("data", po::value<std::string>()->value_name("FILE"),
                        "the dataset file written by pancan convert (required); updated in place")(
      "test-fraction", po::value<double>()->default_value(defaults.fractions.test, "1/3"),
      "fraction of each class held out for the test set, in [0, 1)")(
      "validation-fraction",
      po::value<double>()->default_value(defaults.fractions.validation, "0.2"),
      "fraction of each class's remaining samples held out for validation, in [0, 1)")(
      "seed", po::value<std::uint64_t>()->default_value(defaults.seed), "seed of the split")(
      "quantile", po::value<double>()->default_value(defaults.quantile, "0.8"),
      "keep the genes whose variance is >= this quantile of all variances, in (0, 1)")(
      "top-genes", po::value<std::int64_t>()->value_name("N"),
      "instead of --quantile: keep exactly the N genes of largest variance (ties: column order)")(
      "fit-on", po::value<std::string>()->default_value(fit_on_name(defaults.fit_on)),
      "rows the variances and min/max are computed on: 'train' (no leakage) or 'all' (as "
      "the original notebook)");
  const auto command_line = parse_command_line("prepare", options, args);
  if (command_line.help) {
    say(help_text(
        "pancan prepare --data FILE [options]",
        "Splits the samples into train / validation / test (stratified by class, seeded),\n"
        "computes every gene's variance and min/max over the fit rows with the genes\n"
        "sharded across MPI ranks, keeps the most variable genes, and stores it all in\n"
        "FILE: obs/split, var/variances, var/highly_variable and /uns/pancan/prepare\n"
        "(min, max, threshold, parameters). The file is replaced atomically.",
        options));
    return kExitOk;
  }
  const auto& values = command_line.values;
  PrepareOptions prepare_options;
  if (values.count("data")) prepare_options.data = values["data"].as<std::string>();
  prepare_options.fractions.test = values["test-fraction"].as<double>();
  prepare_options.fractions.validation = values["validation-fraction"].as<double>();
  prepare_options.seed = values["seed"].as<std::uint64_t>();
  prepare_options.quantile = values["quantile"].as<double>();
  if (values.count("top-genes")) {
    require_option(values["quantile"].defaulted(), "top-genes",
                   "give either --quantile or --top-genes, not both");
    prepare_options.top_genes = values["top-genes"].as<std::int64_t>();
    require_option(prepare_options.top_genes >= 1, "top-genes", "must be at least 1");
  }
  prepare_options.fit_on = parse_fit_on(values["fit-on"].as<std::string>());

  const auto r = pancan::prepare(prepare_options, mpi::Comm::world());
  say(strprintf(
      "prepare: %s: %lld samples x %lld genes; split train %lld, validation %lld, "
      "test %lld (seed %llu)",
      prepare_options.data.c_str(), static_cast<long long>(r.samples),
      static_cast<long long>(r.genes), static_cast<long long>(r.split_counts[0]),
      static_cast<long long>(r.split_counts[1]), static_cast<long long>(r.split_counts[2]),
      static_cast<unsigned long long>(prepare_options.seed)));
  say(strprintf(
      "prepare: kept %lld genes with variance >= %.6g (%s over %lld %s rows)",
      static_cast<long long>(r.selected), r.threshold,
      prepare_options.top_genes > 0
          ? strprintf("top %lld", static_cast<long long>(prepare_options.top_genes)).c_str()
          : strprintf("quantile %g", prepare_options.quantile).c_str(),
      static_cast<long long>(r.fit_rows), fit_on_name(prepare_options.fit_on)));
  const int ranks = mpi::Comm::world().size();
  const double gb = static_cast<double>(r.bytes_read) / 1e9;
  say(
      strprintf("prepare: pass over /X %.1f MB in %.3f s on %d rank%s: %.2f GB/s, %.2f GB/s "
                "per rank, %.2f GB per CPU-second (%s); file update %.3f s; total %.3f s",
                gb * 1e3, r.pass_seconds, ranks, ranks == 1 ? "" : "s",
                r.pass_seconds > 0 ? gb / r.pass_seconds : 0.0,
                r.pass_seconds > 0 ? gb / r.pass_seconds / ranks : 0.0,
                r.pass_cpu_seconds > 0 ? gb / r.pass_cpu_seconds : 0.0,
                r.whole_chunks ? "whole chunks" : "hyperslabs", r.write_seconds, r.total_seconds));
  return kExitOk;
}

}  // namespace pancan::cli
