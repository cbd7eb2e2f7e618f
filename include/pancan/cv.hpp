// Stratified k-fold cross-validation (`pancan cv`, or `pancan run` with cv-folds > 0):
// the training + validation rows are cut into F stratified folds, R times with different
// shuffles; for every fold task (repeat r, fold f) every model of the comparison is fitted
// on the other folds and scored on fold f. The test split is never touched, so it still
// scores the final models alone.
//
// Parallelism: fold tasks run one after another with all ranks (each fit is itself
// data-parallel: networks train over the ranks, k-NN shards its reference rows), or one
// task per process group when a SLURM job array runs `pancan cv --fold I` (task I writes
// DIR/cv/fold-I.json; a last `pancan cv` without --fold finds every task done and only
// summarises). A task file records a hash of everything that shaped it, so a changed
// option recomputes it instead of reusing a stale one.
//
// Inside a fold: networks train for the configured epochs without early stopping (no rows
// to stop on that are not being scored); k-NN chooses its k on a stratified 20% of the
// fold's fitting rows, then searches all of them.
//
// The summary per model is the mean, standard deviation and 95% t interval of accuracy and
// macro F1 over the F x R fold scores; every pair of models gets a paired t-test over the
// same folds. Fold scores of one repeat share training rows, so the intervals are
// optimistic (Nadeau & Bengio 2003); they are for ranking models, not for claims about
// new data.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pancan/features.hpp"
#include "pancan/knn.hpp"
#include "pancan/model.hpp"
#include "pancan/model_spec.hpp"
#include "pancan/mpi.hpp"
#include "pancan/report.hpp"

namespace pancan {

struct CvOptions {
  int folds = 0;  // 0 = no cross-validation in `pancan run`; `pancan cv` defaults to 5
  int repeats = 1;
  std::uint64_t seed = 2023;
  int task = -1;  // >= 0: run only fold task `task` (= repeat * folds + fold) and stop
};

// The fold (0..folds-1) of each of `labels`' rows for one repeat: within each class the
// rows are shuffled by CounterRng(seed, {repeat, class}) and dealt to the folds in turn,
// continuing the turn from one class to the next, so every fold gets each class's rows
// within one and all folds are within one row of each other in size.
std::vector<int> stratified_folds(std::span<const std::int32_t> labels, int classes, int folds,
                                  std::uint64_t seed, int repeat);

// Runs the fold tasks (all, or options.task alone) for `models` on `prep`'s training +
// validation rows and summarises them. `task_dir`: where task files are written and
// reused (empty = neither). `upstream`: a hash of what made the dataset, mixed into the
// task files' hash. Collective; the result is the same on every rank. With options.task
// >= 0 the result holds only that task's scores and no intervals.
CrossValidation cross_validate(const CvOptions& options, const std::vector<ModelSpec>& models,
                               const TrainOptions& train, const KnnOptions& knn,
                               const Preparation& prep, const std::string& task_dir,
                               const std::string& upstream, const mpi::Comm& comm);

// Mean/interval per model and the paired comparisons, from the fold scores in `cv.models`.
void summarise_cv(CrossValidation& cv);

}  // namespace pancan
