// pancan: the one executable. Initialises MPI, dispatches to a subcommand, and turns an
// exception into one `pancan: error: ...` line and a non-zero exit on every rank.
#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"
#include "pancan/error.hpp"
#include "pancan/h5.hpp"
#include "pancan/log.hpp"
#include "pancan/mpi.hpp"

namespace pancan::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"synth", "write a synthetic TCGA-shaped expression.csv + labels.csv", synth},
      {"convert", "expression CSV/TSV + labels -> AnnData .h5ad, parsed in parallel", convert},
      {"prepare", "split samples, select genes by variance, store min-max statistics", prepare},
      {"train", "train a dense network data-parallel over MPI; writes the model file", train},
      {"evaluate", "test-split metrics of trained models and the report (json, md, html)",
       evaluate},
      {"predict", "classify new samples with a trained model file", predict},
      {"report", "render report.md and report.html again from a report.json", report},
      {"knn", "k-nearest-neighbour baseline, reference rows sharded over the ranks", knn},
      {"cv", "stratified k-fold cross-validation of the models, with intervals", cv},
      {"run", "the main job: convert, prepare, train the models, evaluate, report", run},
      {"sweep", "expand a grid of training options into a sweep; run its tasks", sweep},
      {"leaderboard", "rank a sweep's finished tasks by validation accuracy", leaderboard},
  };
  return table;
}

namespace {

void print_overview() {
  std::string text =
      "usage: pancan <command> [options]     (run under mpiexec/srun for more ranks)\n\n"
      "pancan classifies tumour type from RNA-Seq gene expression: CSV -> HDF5 (.h5ad),\n"
      "variance gene selection, min-max scaling, dense networks trained data-parallel\n"
      "over MPI, and an evaluation report.\n\nCommands:\n";
  for (const auto& c : commands()) text += strprintf("  %-12s %s\n", c.name, c.summary);
  text +=
      "\n`pancan <command> --help` documents every option of a command and its default.\n"
      "Other options: --help, --version.";
  say(text);
}

int dispatch(int argc, char** argv) {
  if (argc < 2) {
    print_overview();
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_overview();
    return kExitOk;
  }
  if (name == "--version") {
    say(std::string("pancan ") + PANCAN_VERSION);
    return kExitOk;
  }
  for (const auto& c : commands())
    if (name == c.name) return c.run(Args(argv + 2, argv + argc));
  throw UsageError("unknown command '" + name + "' (see pancan --help)");
}

}  // namespace
}  // namespace pancan::cli

int main(int argc, char** argv) {
  using namespace pancan;
  mpi::Environment mpi_environment(argc, argv);
  h5::silence_library_errors();
  const auto world = mpi::Comm::world();
  try {
    return cli::dispatch(argc, argv);
  } catch (const mpi::CollectiveError& e) {
    // Every rank knows this error; rank 0 alone reports it (each rank's log has it too).
    rank_log(strprintf("error (from rank %d): %s", e.origin_rank(), e.what()));
    if (world.is_root()) std::fprintf(stderr, "pancan: error: %s\n", e.what());
    return e.exit_code();
  } catch (const UsageError& e) {
    // Option parsing is the same on every rank, so every rank got here; one reports.
    rank_log(std::string("error: ") + e.what());
    if (world.is_root()) std::fprintf(stderr, "pancan: error: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    // Only this rank knows: report from here and take every rank down with it, so no
    // rank waits forever in a collective.
    rank_log(std::string("error: ") + e.what());
    std::fprintf(stderr, "pancan: error: %s\n", e.what());
    std::fflush(stderr);
    if (world.size() > 1) world.abort(kExitError);
    return kExitError;
  }
}
