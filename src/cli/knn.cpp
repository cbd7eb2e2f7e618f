// `pancan knn`: the k-nearest-neighbour baseline on a prepared dataset. The training rows
// are the reference, sharded over the ranks; k is chosen on the validation rows; the test
// rows are classified with it. Writes the result (per-k validation accuracy, chosen k,
// predictions) as JSON, which `pancan run` also uses for the report.
#include "pancan/knn.hpp"

#include <fstream>

#include "commands.hpp"
#include "pancan/config.hpp"
#include "pancan/features.hpp"
#include "pancan/log.hpp"
#include "pancan/metrics.hpp"
#include "pancan/mpi.hpp"

namespace pancan::cli {

int knn(const Args& args) {
  const KnnOptions defaults;
  po::options_description options("knn options");
  options.add_options()("data", po::value<std::string>(),
                        "prepared dataset (.h5ad from convert + prepare)")(
      "out", po::value<std::string>(), "result file to write (JSON; optional)")(
      "k", po::value<std::string>()->default_value("1,3,5,7,9"),
      "candidate neighbour counts; the one with the best validation accuracy is used "
      "(ties: the smaller k)")("metric", po::value<std::string>()->default_value("euclidean"),
                               "euclidean or cosine, on the prepared (min-max scaled) features")(
      "block", po::value<std::int64_t>()->default_value(defaults.block),
      "queries per distance product (memory: block x reference rows / ranks floats)");
  const auto line = parse_command_line("knn", options, args);
  if (line.help) {
    say(help_text(
        "pancan knn --data DATASET.h5 [--k 1,3,5,7,9] [--metric euclidean] [--out knn.json]",
        "k-nearest neighbours as a baseline: the training rows are sharded over the ranks, every\n"
        "rank finds its k nearest for each block of queries with one matrix product (re-checked\n"
        "exactly), the root merges them and takes the majority vote (a tie goes to the class\n"
        "whose neighbours are closer in sum). k is chosen by validation accuracy; the test\n"
        "split is then scored. The neighbours are scikit-learn's (KNeighborsClassifier, brute).",
        options));
    return kExitOk;
  }
  const auto& values = line.values;
  require_option(values.count("data") > 0, "data", "is required");
  KnnOptions o;
  o.k = parse_int_list("k", values["k"].as<std::string>());
  require_option(!o.k.empty(), "k", "needs at least one value");
  for (int k : o.k) require_option(k >= 1, "k", "every k must be at least 1");
  o.distance = parse_distance(values["metric"].as<std::string>());
  o.block = values["block"].as<std::int64_t>();
  require_option(o.block >= 1, "block", "must be at least 1");
  const std::string data = values["data"].as<std::string>();
  const std::string out = values.count("out") ? values["out"].as<std::string>() : "";

  const auto comm = mpi::Comm::world();
  Preparation prep;
  mpi::agree(comm, [&] { prep = read_preparation(data); });
  const auto train = split_rows(prep, Split::Train);
  const auto validation = split_rows(prep, Split::Validation);
  const auto test = split_rows(prep, Split::Test);
  const auto result = run_knn(o, prep, train, validation, test, comm);

  const double search = result.seconds - result.read_seconds;
  const double queries = static_cast<double>(result.validation_rows + result.test_rows);
  std::string text = strprintf(
      "k-NN (%s) over %lld reference samples x %zu genes on %d rank%s: %.3f s (reading "
      "features %.3f s, search %.3f s: %.0f queries/s, %.1f GFLOP/s in distance products; "
      "search CPU %.3f s on the busiest rank; reading CPU %.3f s)\n",
      distance_name(o.distance), static_cast<long long>(result.reference_rows),
      prep.selected.size(), comm.size(), comm.size() == 1 ? "" : "s", result.seconds,
      result.read_seconds, search, queries / std::max(search, 1e-9),
      2.0 * queries * static_cast<double>(result.reference_rows) *
          static_cast<double>(prep.selected.size()) / std::max(search, 1e-9) / 1e9,
      result.search_cpu_seconds, result.read_cpu_seconds);
  for (std::size_t i = 0; i < o.k.size(); ++i)
    text +=
        strprintf("  k = %-3d validation accuracy %.4f%s\n", o.k[i], result.validation_accuracy[i],
                  o.k[i] == result.chosen_k ? "  <- chosen" : "");
  if (!test.empty()) {
    std::vector<std::int32_t> truth;
    for (auto row : test) truth.push_back(prep.dataset.labels[static_cast<std::size_t>(row)]);
    const auto m = compute_metrics(prep.dataset.classes, truth, result.test_predicted);
    text += strprintf("test accuracy %.4f, macro F1 %.4f on %lld samples (k = %d)", m.accuracy,
                      m.macro_avg.f1, static_cast<long long>(m.samples), result.chosen_k);
  }
  mpi::agree(comm, [&] {
    if (!comm.is_root() || out.empty()) return;
    write_text_atomically(out, knn_result_json(result, prep.dataset.classes).dump(1) + "\n");
  });
  say(text + (out.empty() ? "" : "\nwrote " + out));
  return kExitOk;
}

}  // namespace pancan::cli
