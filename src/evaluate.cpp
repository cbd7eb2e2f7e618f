// Test-split evaluation: sharded inference, gathered predictions, root-side metrics and
// report (see evaluate.hpp).
#include "pancan/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "pancan/dataset.hpp"
#include "pancan/error.hpp"
#include "pancan/fault.hpp"
#include "pancan/features.hpp"
#include "pancan/h5.hpp"
#include "pancan/inputs.hpp"
#include "pancan/log.hpp"
#include "pancan/nn.hpp"
#include "pancan/training_data.hpp"

namespace pancan {

std::string model_name_from_path(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

ModelReport describe_model(const Model& model, const std::string& name, const std::string& file) {
  ModelReport r;
  r.name = name;
  r.file = file;
  r.summary = nn::summary_table(model.architecture);
  r.parameters = nn::parameter_count(model.architecture);
  // Inputs of each layer: a Dense layer's from the parameter layout, the others' = the
  // previous layer's outputs.
  const auto dense = nn::dense_layers(model.architecture);
  std::size_t next_dense = 0;
  std::int64_t previous_outputs = model.architecture.inputs;
  for (const auto& row : nn::summary_rows(model.architecture)) {
    LayerRow layer{
        row.name,         row.type,  strprintf("(None, %lld)", static_cast<long long>(row.units)),
        previous_outputs, row.units, row.parameters};
    if (row.type == "Dense" && next_dense < dense.size()) layer.inputs = dense[next_dense++].inputs;
    previous_outputs = row.units;
    r.layers.push_back(layer);
  }
  const auto& o = model.options;
  std::string hidden;
  for (auto h : o.hidden) hidden += (hidden.empty() ? "" : ",") + std::to_string(h);
  r.options = {{"hidden", hidden},
               {"dropout", strprintf("%g", o.dropout)},
               {"epochs", std::to_string(o.epochs)},
               {"batch_size", std::to_string(o.batch_size)},
               {"learning_rate", strprintf("%g", o.learning_rate)},
               {"seed", std::to_string(o.seed)},
               {"early_stopping_patience", std::to_string(o.early_stopping_patience)},
               {"ranks", std::to_string(model.ranks)},
               {"train_samples", std::to_string(model.train_samples)},
               {"validation_samples", std::to_string(model.validation_samples)}};
  r.history = model.history;
  for (const auto& e : model.history) r.train_seconds += e.seconds;
  // With early stopping the file holds the weights of the lowest validation loss.
  if (o.early_stopping_patience > 0 && !model.history.empty()) {
    const auto best = std::min_element(
        model.history.begin(), model.history.end(), [](const auto& a, const auto& b) {
          return a.val_loss < b.val_loss || (std::isnan(b.val_loss) && !std::isnan(a.val_loss));
        });
    if (!std::isnan(best->val_loss)) r.kept_epoch = best->epoch;
  }
  return r;
}

namespace {

// The models' predictions for this rank's test rows, read from /X in windows of whole
// chunk rows so memory stays bounded whatever the size of the split.
// True when `model` takes exactly the preparation's genes with its scaling (a model trained
// on this dataset, as pancan run's are): then its inputs are the training data's columns.
bool uses_preparation(const Model& model, const Preparation& prep) {
  return model.genes == prep.genes && model.minimum == prep.minimum &&
         model.maximum == prep.maximum;
}

std::vector<std::vector<std::int32_t>> predict_rows(const std::string& data_path,
                                                    const DatasetInfo& info,
                                                    std::span<const std::int64_t> rows,
                                                    const std::vector<Model>& models,
                                                    const std::vector<GeneMatch>& matches) {
  std::vector<std::vector<std::int32_t>> predicted(models.size());
  if (rows.empty()) return predicted;
  // Serial open: each rank reads only its own rows, independently of the others.
  const auto file = h5::File::open(data_path, h5::Mode::ReadOnly);
  const auto x = file.root().open_dataset("X");
  const std::int64_t window = 4 * kMatrixChunkRows;
  std::vector<float> block, selected, inputs;
  std::size_t next = 0;
  while (next < rows.size()) {
    // File rows [first, last) hold the test rows rows[next..end).
    const std::int64_t first = rows[next];
    const std::int64_t last =
        std::min(info.samples, (first / kMatrixChunkRows) * kMatrixChunkRows + window);
    std::size_t end = next;
    while (end < rows.size() && rows[end] < last) ++end;
    block.resize(static_cast<std::size_t>((last - first) * info.genes));
    read_block(x, {first, last}, {0, info.genes}, block);
    const auto count = static_cast<std::int64_t>(end - next);
    selected.resize(static_cast<std::size_t>(count * info.genes));
    for (std::size_t i = next; i < end; ++i)
      std::copy_n(block.begin() + (rows[i] - first) * info.genes, info.genes,
                  selected.begin() + static_cast<std::int64_t>(i - next) * info.genes);
    for (std::size_t m = 0; m < models.size(); ++m) {
      const auto genes = static_cast<std::int64_t>(models[m].genes.size());
      inputs.resize(static_cast<std::size_t>(count * genes));
      model_inputs(models[m], matches[m], selected, info.genes, count, inputs);
      const auto probabilities = predict_probabilities(models[m], inputs, count);
      const auto classes =
          predicted_classes(probabilities, static_cast<std::int64_t>(models[m].classes.size()));
      predicted[m].insert(predicted[m].end(), classes.begin(), classes.end());
    }
    next = end;
  }
  return predicted;
}

// What convert and prepare recorded under /uns/pancan (source files, selection, split),
// as text for the report. Informative only: a file without it still evaluates.
void read_provenance(const std::string& path, DataProvenance& data) {
  try {
    const auto file = h5::File::open(path, h5::Mode::ReadOnly);
    const auto pancan = file.root().open_group("uns").open_group("pancan");
    for (const auto& name : pancan.children()) {
      if (name == "prepare") continue;
      try {
        data.sources.emplace_back(name, pancan.read_string_scalar(name));
      } catch (const Error&) {
      }
    }
    const auto prepared = pancan.open_group("prepare");
    for (const auto& name : prepared.children()) {
      if (name == "minimum" || name == "maximum") continue;
      try {
        data.preparation.emplace_back(name, prepared.read_string_scalar(name));
      } catch (const Error&) {
        try {
          data.preparation.emplace_back(name,
                                        strprintf("%.10g", prepared.read_scalar<double>(name)));
        } catch (const Error&) {
        }
      }
    }
  } catch (const Error&) {
  }
}

}  // namespace

Report evaluate(const EvaluateOptions& options, const mpi::Comm& comm) {
  const double start = wall_seconds();
  fault::point("evaluate", "start");
  if (options.models.empty()) throw UsageError("--model: at least one model file is needed");
  if (!options.names.empty() && options.names.size() != options.models.size())
    throw UsageError(
        strprintf("--name: %zu names for %zu models", options.names.size(), options.models.size()));
  Preparation prep;
  std::vector<Model> models;
  std::vector<GeneMatch> matches;
  std::vector<std::int64_t> test_rows;
  mpi::agree(comm, [&] {
    if (!options.out_dir.empty() && comm.is_root() &&
        !std::filesystem::is_directory(options.out_dir))
      throw Error("report directory " + options.out_dir + " does not exist");
    prep = read_preparation(options.data);
    test_rows = split_rows(prep, Split::Test);
    if (test_rows.empty()) throw Error(options.data + ": the test split is empty");
    for (const auto& path : options.models) {
      models.push_back(load_model(path));
      const auto& model = models.back();
      if (model.classes != prep.dataset.classes)
        throw Error(path + " was trained on other classes than " + options.data + " has");
      matches.push_back(match_genes(model.genes, prep.dataset.gene_ids));
      const auto& missing = matches.back().missing;
      if (!missing.empty())
        throw Error(strprintf("%s: %zu of the model's genes are not in %s (first: %s)",
                              path.c_str(), missing.size(), options.data.c_str(),
                              missing.front().c_str()));
    }
  });

  const auto mine =
      mpi::block_range(static_cast<std::int64_t>(test_rows.size()), comm.size(), comm.rank());
  std::vector<std::vector<std::int32_t>> predicted;
  const bool prepared_inputs = std::all_of(
      models.begin(), models.end(), [&](const Model& m) { return uses_preparation(m, prep); });
  mpi::agree(comm, [&] {
    if (prepared_inputs) {
      // This rank's test rows, only the selected genes, read chunk by chunk and scaled as
      // training reads its rows (the same values model_inputs makes from whole rows of /X,
      // which took 2-3 times as long: most of /X is other genes).
      const auto shard = read_shard(prep, test_rows, comm);
      predicted.resize(models.size());
      for (std::size_t m = 0; m < models.size(); ++m)
        predicted[m] = predicted_classes(predict_probabilities(models[m], shard.values, shard.rows),
                                         static_cast<std::int64_t>(models[m].classes.size()));
      return;
    }
    predicted = predict_rows(
        options.data, prep.dataset,
        std::span<const std::int64_t>(test_rows).subspan(static_cast<std::size_t>(mine.begin),
                                                         static_cast<std::size_t>(mine.size())),
        models, matches);
  });

  fault::point("evaluate", "predicted");  // this rank's share, before the gather
  Report report;
  report.created = utc_timestamp();
  report.version = PANCAN_VERSION;
  report.ranks = comm.size();
  report.classes = prep.dataset.classes;
  auto& data = report.data;
  data.dataset = options.data;
  data.samples = prep.dataset.samples;
  data.genes = prep.dataset.genes;
  data.genes_selected = static_cast<std::int64_t>(prep.genes.size());
  data.train = static_cast<std::int64_t>(split_rows(prep, Split::Train).size());
  data.validation = static_cast<std::int64_t>(split_rows(prep, Split::Validation).size());
  data.test = static_cast<std::int64_t>(test_rows.size());
  if (comm.is_root()) read_provenance(options.data, data);
  for (auto row : test_rows) {
    report.test_samples.push_back(prep.dataset.sample_ids[static_cast<std::size_t>(row)]);
    report.test_labels.push_back(prep.dataset.labels[static_cast<std::size_t>(row)]);
  }
  for (std::size_t m = 0; m < models.size(); ++m) {
    const std::string name =
        options.names.empty() ? model_name_from_path(options.models[m]) : options.names[m];
    report.models.push_back(describe_model(models[m], name, options.models[m]));
    report.models.back().predicted = comm.gatherv<std::int32_t>(predicted[m]);
  }
  mpi::agree(comm, [&] {
    if (!comm.is_root()) return;
    compute_test_metrics(report);
    report.timings.emplace_back("evaluate", wall_seconds() - start);
    fault::point("evaluate", "writing");
    if (!options.out_dir.empty()) write_report(report, options.out_dir);
  });
  return report;
}

}  // namespace pancan
