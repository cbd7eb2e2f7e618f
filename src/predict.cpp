// New samples through a trained model (see predict.hpp): parallel parse, gene matching by
// name, the model's scaling, sharded inference, results gathered on the root.
#include "pancan/predict.hpp"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "pancan/error.hpp"
#include "pancan/fault.hpp"
#include "pancan/features.hpp"
#include "pancan/inputs.hpp"
#include "pancan/log.hpp"
#include "pancan/model.hpp"
#include "pancan/output.hpp"
#include "pancan/report.hpp"

namespace pancan {

std::string default_metrics_path(const std::string& out) {
  const std::string stem =
      out.size() > 4 && out.ends_with(".csv") ? out.substr(0, out.size() - 4) : out;
  return stem + ".metrics.json";
}

namespace {

// "a, b, c and 17 more"
std::string some_names(const std::vector<std::string>& names, std::size_t shown = 20) {
  std::string text;
  for (std::size_t i = 0; i < names.size() && i < shown; ++i) text += (i ? ", " : "") + names[i];
  if (names.size() > shown) text += strprintf(" and %zu more", names.size() - shown);
  return text;
}

// This rank's samples as model inputs: `first` = index of its first sample, rows x
// model.genes.size() raw values in the model's gene order (missing genes: 0, filled later).
struct Inputs {
  std::int64_t first = 0;
  std::int64_t rows = 0;
  std::vector<float> values;
};

// Samples as rows: every piece holds whole rows of the table, so a rank's samples are
// already complete; the model's genes are picked from them directly.
// Otherwise (genes as rows: a piece holds some genes of every sample), every rank
// contributes the model genes it parsed to a samples x model-genes matrix that is
// reduce-scattered into sample blocks: each value comes from exactly one rank, so the
// sum is exact.
std::vector<Inputs> gather_inputs(const csv::Table& table, const GeneMatch& match,
                                  const mpi::Comm& comm) {
  const auto genes = static_cast<std::int64_t>(match.columns.size());
  const auto table_genes = static_cast<std::int64_t>(table.gene_ids.size());
  bool whole_rows = true;
  for (const auto& piece : table.pieces)
    whole_rows = whole_rows && piece.genes.begin == 0 && piece.genes.end == table_genes;
  whole_rows = comm.min(whole_rows ? 1 : 0) == 1;

  std::vector<Inputs> inputs;
  if (whole_rows) {
    for (const auto& piece : table.pieces) {
      Inputs in{piece.samples.begin, piece.samples.size(), {}};
      in.values.assign(static_cast<std::size_t>(in.rows * genes), 0.0f);
      for (std::int64_t r = 0; r < in.rows; ++r)
        for (std::int64_t g = 0; g < genes; ++g) {
          const auto c = match.columns[static_cast<std::size_t>(g)];
          if (c >= 0)
            in.values[static_cast<std::size_t>(r * genes + g)] =
                piece.values[static_cast<std::size_t>(r * table_genes + c)];
        }
      inputs.push_back(std::move(in));
    }
    return inputs;
  }

  const auto samples = static_cast<std::int64_t>(table.sample_ids.size());
  // Model gene index of each table gene (-1: not a model gene).
  std::vector<std::int64_t> model_gene(static_cast<std::size_t>(table_genes), -1);
  for (std::int64_t g = 0; g < genes; ++g)
    if (match.columns[static_cast<std::size_t>(g)] >= 0)
      model_gene[static_cast<std::size_t>(match.columns[static_cast<std::size_t>(g)])] = g;
  std::vector<float> contribution(static_cast<std::size_t>(samples * genes), 0.0f);
  for (const auto& piece : table.pieces)
    for (std::int64_t s = piece.samples.begin; s < piece.samples.end; ++s)
      for (std::int64_t c = piece.genes.begin; c < piece.genes.end; ++c) {
        const auto g = model_gene[static_cast<std::size_t>(c)];
        if (g >= 0)
          contribution[static_cast<std::size_t>(s * genes + g)] =
              piece.values[static_cast<std::size_t>((s - piece.samples.begin) * piece.genes.size() +
                                                    (c - piece.genes.begin))];
      }
  std::vector<int> counts;
  for (int r = 0; r < comm.size(); ++r) {
    const auto block = mpi::block_range(samples, comm.size(), r);
    if (block.size() * genes > INT32_MAX)
      throw Error("predict: too many samples x genes per rank for one exchange; use more ranks");
    counts.push_back(static_cast<int>(block.size() * genes));
  }
  const auto mine = mpi::block_range(samples, comm.size(), comm.rank());
  Inputs in{mine.begin, mine.size(),
            std::vector<float>(static_cast<std::size_t>(mine.size() * genes))};
  comm.reduce_scatter_sum<float>(contribution, in.values, counts);
  inputs.push_back(std::move(in));
  return inputs;
}

// label index (into the model's classes) of every table sample.
std::vector<std::int32_t> read_labels(const PredictOptions& options, const csv::Table& table,
                                      const std::vector<std::string>& classes) {
  const auto labels = csv::read_text_table(options.labels, options.separator);
  const auto& names = labels.header.values;
  const auto found =
      std::find(names.begin() + (names.empty() ? 0 : 1), names.end(), options.label_column);
  if (found == names.end())
    throw InputError(options.labels, 1, 1,
                     "no column '" + options.label_column + "' in the header (see --label-column)");
  const auto k = static_cast<std::size_t>(found - names.begin());
  std::unordered_map<std::string, std::size_t> row_of;
  for (std::size_t i = 0; i < labels.rows.size(); ++i) row_of.emplace(labels.rows[i].values[0], i);
  std::vector<std::int32_t> truth;
  truth.reserve(table.sample_ids.size());
  for (std::size_t s = 0; s < table.sample_ids.size(); ++s) {
    const auto at = row_of.find(table.sample_ids[s]);
    if (at == row_of.end())
      throw InputError(table.path, table.sample_places[s].line, table.sample_places[s].column,
                       "sample '" + table.sample_ids[s] + "' has no label in " + options.labels);
    const auto& cells = labels.rows[at->second];
    const auto c = std::find(classes.begin(), classes.end(), cells.values[k]);
    if (c == classes.end())
      throw InputError(options.labels, labels.lines[at->second], cells.columns[k],
                       "class '" + cells.values[k] + "' is not one the model knows (" +
                           some_names(classes) + ")");
    truth.push_back(static_cast<std::int32_t>(c - classes.begin()));
  }
  return truth;
}

std::string predictions_csv(const PredictResult& result) {
  std::string text = "sample,predicted";
  for (const auto& c : result.classes) text += ",p_" + c;
  text += '\n';
  const std::size_t k = result.classes.size();
  for (std::size_t s = 0; s < result.samples.size(); ++s) {
    text += result.samples[s] + ',' + result.classes[static_cast<std::size_t>(result.predicted[s])];
    for (std::size_t c = 0; c < k; ++c) text += strprintf(",%.6g", result.probabilities[s * k + c]);
    text += '\n';
  }
  return text;
}

}  // namespace

PredictResult predict(const PredictOptions& options, const mpi::Comm& comm) {
  const double start = wall_seconds();
  fault::point("predict", "start");
  PredictResult result;
  Model model;
  mpi::agree(comm, [&] {
    // Before any work: a typo in --out must not cost a whole run.
    for (const auto& path : {options.out, options.metrics})
      if (comm.is_root() && !path.empty()) check_output_path(path);
    model = load_model(options.model);
  });
  result.classes = model.classes;

  csv::TableOptions table_options;
  table_options.path = options.expression;
  table_options.separator = options.separator;
  table_options.orientation = options.orientation;
  const auto table = csv::read_table(table_options, comm);

  const auto match = match_genes(model.genes, table.gene_ids);
  result.missing_genes = match.missing;
  if (!match.missing.empty()) {
    const auto message = strprintf("%zu of the model's %zu genes are not in %s: %s",
                                   match.missing.size(), model.genes.size(),
                                   options.expression.c_str(), some_names(match.missing).c_str());
    if (!options.allow_missing_genes)
      throw mpi::CollectiveError(message +
                                     " (--allow-missing-genes fills them with the "
                                     "training minimum)",
                                 0, kExitError);
    warn(
        strprintf("%zu of the model's %zu genes are missing from %s; filled with the training "
                  "minimum",
                  match.missing.size(), model.genes.size(), options.expression.c_str()));
  }

  // Sharded inference.
  const auto genes = static_cast<std::int64_t>(model.genes.size());
  const auto k = static_cast<std::int64_t>(model.classes.size());
  std::vector<std::int64_t> my_samples;
  std::vector<std::int32_t> my_predicted;
  std::vector<float> my_probabilities;
  mpi::agree(comm, [&] {
    const auto identity = [&] {
      GeneMatch m;  // inputs are already in model order; -1 marks the missing genes
      for (std::int64_t g = 0; g < genes; ++g)
        m.columns.push_back(match.columns[static_cast<std::size_t>(g)] >= 0 ? g : -1);
      return m;
    }();
    for (auto& in : gather_inputs(table, match, comm)) {
      std::vector<float> scaled(in.values.size());
      model_inputs(model, identity, in.values, genes, in.rows, scaled);
      const auto probabilities = predict_probabilities(model, scaled, in.rows);
      const auto classes = predicted_classes(probabilities, k);
      for (std::int64_t r = 0; r < in.rows; ++r) my_samples.push_back(in.first + r);
      my_predicted.insert(my_predicted.end(), classes.begin(), classes.end());
      my_probabilities.insert(my_probabilities.end(), probabilities.begin(), probabilities.end());
    }
  });
  fault::point("predict", "predicted");  // this rank's share, before the gather
  const auto all_samples = comm.gatherv<std::int64_t>(my_samples);
  const auto all_predicted = comm.gatherv<std::int32_t>(my_predicted);
  const auto all_probabilities = comm.gatherv<float>(my_probabilities);

  mpi::agree(comm, [&] {
    if (!comm.is_root()) return;
    // Back into table order.
    const auto n = table.sample_ids.size();
    result.samples = table.sample_ids;
    result.predicted.assign(n, -1);
    result.probabilities.assign(n * static_cast<std::size_t>(k), 0.0f);
    for (std::size_t i = 0; i < all_samples.size(); ++i) {
      const auto s = static_cast<std::size_t>(all_samples[i]);
      result.predicted[s] = all_predicted[i];
      std::copy_n(all_probabilities.begin() + static_cast<std::ptrdiff_t>(i) * k, k,
                  result.probabilities.begin() + static_cast<std::ptrdiff_t>(s) * k);
    }
    if (std::count(result.predicted.begin(), result.predicted.end(), -1) > 0)
      throw Error("predict: some samples were not classified (internal error)");
    if (!options.labels.empty()) {
      const auto truth = read_labels(options, table, model.classes);
      result.metrics = compute_metrics(model.classes, truth, result.predicted);
    }
    fault::point("predict", "writing");
    if (!options.out.empty()) write_text_atomically(options.out, predictions_csv(result));
    if (result.metrics) {
      auto json = metrics_json(*result.metrics);
      json["model"] = options.model;
      json["expression"] = options.expression;
      json["labels"] = options.labels;
      json["missing_genes"] = result.missing_genes.size();
      const auto path =
          options.metrics.empty()
              ? default_metrics_path(options.out.empty() ? "predictions.csv" : options.out)
              : options.metrics;
      write_text_atomically(path, json.dump(1) + "\n");
    }
  });
  result.seconds = wall_seconds() - start;
  return result;
}

}  // namespace pancan
