// Hyperparameter sweeps: a grid of `pancan train` options expanded into numbered job
// configs and a manifest (the unit a SLURM job array runs), and the leaderboard that ranks
// the finished tasks by a validation metric.
//
// A sweep directory holds:
//   manifest.json, manifest.csv   the tasks: index, id, config, option values
//   grid.ini                      the grid it was expanded from (a copy)
//   prepare.ini                   the grid's [convert] and [prepare] sections
//   jobs/ID.ini                   task ID's `pancan train` options (ID = zero-padded index)
//   data/dataset.h5               the prepared data every task shares (unless --data named one)
//   runs/ID/                      model.h5, report.json/.md/.html, status, log of task ID
//   leaderboard.csv, leaderboard.md
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pancan/report.hpp"

namespace pancan {

// One option of the grid and the values it takes, in file order.
struct GridAxis {
  std::string option;               // a `pancan train` option name: "learning-rate"
  std::vector<std::string> values;  // "0.001", "0.0003"; for hidden: "100", "100,10", ""
  int line = 0;                     // where the grid file sets it
};

struct Grid {
  std::string file;
  std::vector<GridAxis> axes;
  std::string prepare_sections;  // the [convert] and [prepare] sections, verbatim
  // Number of tasks: the product of the axes' sizes.
  std::size_t size() const;
};

// Parses a grid file. Top-level lines `option = v1, v2, ...` are axes; values are
// separated by `|` where the value contains one (needed for `hidden`, whose values are
// themselves comma lists: `hidden = 100 | 100,10 | 200`; an empty alternative is the
// softmax regression), by commas otherwise. `#` and `;` start comment lines. [convert]
// and [prepare] sections hold the shared preparation's options and are kept verbatim.
// Errors are InputErrors naming the file and line.
Grid parse_grid(const std::string& text, const std::string& file);
Grid read_grid(const std::string& path);

// One task of a sweep: a point of the grid.
struct SweepTask {
  int index = 0;
  std::string id;     // the index zero-padded to the width of the largest: "007"
  TextPairs options;  // (option, value) in the grid's axis order
};

// The cartesian product of the axes, the last axis varying fastest.
std::vector<SweepTask> expand_grid(const Grid& grid);

// Where a sweep's inputs come from: CSV files the sweep's prepare step converts and
// prepares into data/dataset.h5, or a dataset already prepared elsewhere.
struct SweepData {
  std::string expression;  // absolute; empty when `dataset` is given
  std::string labels;
  std::string dataset;  // absolute path of a prepared dataset; empty = data/dataset.h5
};

struct Sweep {
  std::string directory;
  std::string grid_file;          // the grid's original path
  std::vector<std::string> axes;  // option names, in grid order
  SweepData data;
  std::vector<SweepTask> tasks;

  std::string manifest_json() const { return directory + "/manifest.json"; }
  // The dataset every task trains and evaluates on.
  std::string dataset() const;
  // Whether the sweep has its own prepare step (convert + prepare into data/).
  bool prepares() const { return data.dataset.empty(); }
  std::string prepare_config() const { return directory + "/prepare.ini"; }
  std::string config(const SweepTask& task) const;   // jobs/ID.ini
  std::string run_dir(const SweepTask& task) const;  // runs/ID
  std::string model(const SweepTask& task) const;    // runs/ID/model.h5
  const SweepTask& task(int index) const;            // throws UsageError when out of range
};

// The text of task's job config: a comment naming the sweep, then `option = value` lines.
std::string job_config_text(const Sweep& sweep, const SweepTask& task);

// Writes the sweep directory's grid.ini, prepare.ini, jobs/*.ini, manifest.json and
// manifest.csv (each to a temporary name first). If `directory` already holds a sweep, it
// must be the same one (same tasks and data): then nothing is written and the finished
// tasks are kept; otherwise UsageError, so results of different grids never mix.
void write_sweep(const Sweep& sweep, const Grid& grid);
// Reads manifest.json. Throws Error naming the file when it is missing or malformed.
Sweep read_sweep(const std::string& directory);

// ---- task state ------------------------------------------------------------------------

// A task's `status` file holds one line: "running ...", "done ..." or "failed ...: why".
void write_task_status(const std::string& run_dir, const std::string& line);

enum class TaskState {
  finished,    // report.json is there and readable
  failed,      // the task said so (its status file), or its report.json is unreadable
  unfinished,  // started, but neither finished nor failed: running, or killed
  missing,     // never started
};
const char* task_state_name(TaskState state);

// ---- leaderboard -----------------------------------------------------------------------

struct LeaderboardRow {
  SweepTask task;
  TaskState state = TaskState::missing;
  std::string detail;  // why a task failed, or what its status file says
  // For finished tasks: the validation scores of the epoch whose weights the model file
  // holds (report.hpp's selected_epoch), and the test scores of that model.
  std::string model;
  std::int64_t parameters = 0;
  int epoch = 0;
  int epochs = 0;
  double val_accuracy = 0, val_loss = 0;
  double test_accuracy = 0, test_macro_f1 = 0, test_weighted_f1 = 0;
  double train_seconds = 0;
  int rank = 0;  // 1 = best; 0 = not ranked
};

// A finished row from a task's report (its first model; a sweep task trains one).
LeaderboardRow row_from_report(const SweepTask& task, const Report& report);

struct Leaderboard {
  std::string sweep;              // the sweep directory
  std::vector<std::string> axes;  // option names shown as columns
  std::size_t tasks = 0;
  std::vector<LeaderboardRow> ranked;    // finished, best first
  std::vector<LeaderboardRow> unranked;  // failed, unfinished, missing; by task index
};

// Ranks the finished rows: higher validation accuracy first, ties broken by lower
// validation loss, then by task index (the same rule report.json's best_model uses).
// The test split never takes part in the ranking.
Leaderboard rank_rows(const std::string& sweep, std::vector<std::string> axes,
                      std::vector<LeaderboardRow> rows);

// Reads every task's status and report.json and ranks them.
Leaderboard collect_leaderboard(const Sweep& sweep);

// Every task, ranked ones first: rank, task, state, option columns, scores.
std::string leaderboard_csv(const Leaderboard& board);
// The `top` best tasks with their test scores, then the failed, unfinished and missing.
std::string leaderboard_markdown(const Leaderboard& board, std::size_t top);

}  // namespace pancan
