// `pancan synth`: writes a synthetic TCGA-PANCAN-shaped expression.csv + labels.csv.
#include "pancan/synth.hpp"

#include "commands.hpp"
#include "pancan/config.hpp"
#include "pancan/log.hpp"

namespace pancan::cli {

int synth(const Args& args) {
  const SynthOptions defaults;
  po::options_description options;
  options.add_options()(
      "samples", po::value<std::int64_t>()->default_value(defaults.samples),
      "number of samples (rows), at least 5; classes BRCA, KIRC, LUAD, PRAD, COAD in the "
      "proportions 300:146:141:136:78 of the real data")(
      "genes", po::value<std::int64_t>()->default_value(defaults.genes),
      "number of genes (columns), at least 1")(
      "seed", po::value<std::uint64_t>()->default_value(defaults.seed),
      "random seed; the files are a function of (seed, samples, genes) only, whatever the "
      "number of ranks")(
      "out", po::value<std::string>()->value_name("DIR"),
      "output directory (required; created if missing) for expression.csv and labels.csv");
  const auto command_line = parse_command_line("synth", options, args);
  if (command_line.help) {
    say(help_text(
        "pancan synth --out DIR [options]",
        "Writes DIR/expression.csv (header ',gene_0,...', rows 'sample_0,2.017209,0.0,...')\n"
        "and DIR/labels.csv (',Class' / 'sample_0,PRAD') in the layout of the UCI\n"
        "TCGA-PANCAN-HiSeq files, with log2(RSEM+1)-like values. Run under mpiexec to\n"
        "write with several ranks; the bytes are the same for any number of ranks.",
        options));
    return kExitOk;
  }
  const auto& values = command_line.values;
  require_option(values.count("out") > 0, "out", "an output directory is required");
  SynthOptions synth_options;
  synth_options.samples = values["samples"].as<std::int64_t>();
  synth_options.genes = values["genes"].as<std::int64_t>();
  synth_options.seed = values["seed"].as<std::uint64_t>();
  synth_options.out_dir = values["out"].as<std::string>();
  require_option(synth_options.samples >= kSynthMinSamples, "samples",
                 strprintf("need at least %lld (one per class), got %lld",
                           static_cast<long long>(kSynthMinSamples),
                           static_cast<long long>(synth_options.samples)));
  require_option(synth_options.genes >= 1, "genes", "need at least 1");
  write_synthetic_dataset(synth_options, mpi::Comm::world());
  return kExitOk;
}

}  // namespace pancan::cli
