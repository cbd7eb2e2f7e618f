// `pancan sweep`: expands a grid of training options into a sweep directory (numbered job
// configs + manifest), and runs its parts: the shared prepare step, one task (what a SLURM
// array task runs), or everything here without SLURM (--run-local).
//
// The stages run in this process through the same functions as `pancan convert`,
// `prepare`, `train` and `evaluate`, so a task uses all the ranks it was started with.
#include "pancan/sweep.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <thread>

#include "commands.hpp"
#include "pancan/config.hpp"
#include "pancan/log.hpp"
#include "pancan/mpi.hpp"
#include "pancan/report.hpp"

extern char** environ;

namespace pancan::cli {

namespace {

namespace fs = std::filesystem;

po::options_description sweep_options() {
  po::options_description options;
  options.add_options()("grid", po::value<std::string>()->value_name("FILE"),
                        "grid of `pancan train` options to expand into DIR (jobs/sweep.ini shows "
                        "the format)")("out", po::value<std::string>()->value_name("DIR"),
                                       "the sweep directory (required)")(
      "expression", po::value<std::string>()->value_name("FILE"),
      "with --labels: the CSV files the sweep's prepare step converts and prepares once")(
      "labels", po::value<std::string>()->value_name("FILE"), "labels CSV (with --expression)")(
      "data", po::value<std::string>()->value_name("FILE"),
      "instead of --expression/--labels: a dataset already prepared by `pancan prepare`")(
      "prepare", po::bool_switch(),
      "run the shared prepare step (convert + prepare into DIR/data/dataset.h5)")(
      "task", po::value<int>()->value_name("I"),
      "train and evaluate task I (0-based; a job array's SLURM_ARRAY_TASK_ID) into DIR/runs/ID")(
      "run-local", po::bool_switch(),
      "run the prepare step and every unfinished task here, then write the leaderboard")(
      "parallel", po::value<int>()->default_value(1)->value_name("N"),
      "with --run-local: N single-rank tasks at a time (start pancan as one process); "
      "otherwise the tasks run one after another on all ranks")(
      "top", po::value<int>()->default_value(10), "rows of leaderboard.md's ranking table");
  return options;
}

std::string absolute(const std::string& path) { return fs::absolute(path).lexically_normal(); }

// One line of a status file: the message's first line.
std::string one_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Expands the grid into the sweep directory (rank 0 writes).
void expand(const po::variables_map& values, const std::string& directory, const mpi::Comm& world) {
  const bool csv = values.count("expression") || values.count("labels");
  require_option(!(csv && values.count("data")), "data",
                 "give either --data or --expression with --labels, not both");
  require_option(csv || values.count("data"), "grid",
                 "the sweep needs data: --expression and --labels (CSV files it prepares once) "
                 "or --data (a prepared dataset)");
  require_option(!csv || (values.count("expression") && values.count("labels")),
                 values.count("expression") ? "labels" : "expression",
                 "--expression and --labels go together");
  mpi::agree(world, [&] {
    if (!world.is_root()) return;
    const Grid grid = read_grid(values["grid"].as<std::string>());
    Sweep sweep;
    sweep.directory = directory;
    sweep.grid_file = absolute(grid.file);
    for (const auto& axis : grid.axes) sweep.axes.push_back(axis.option);
    if (csv) {
      sweep.data.expression = absolute(values["expression"].as<std::string>());
      sweep.data.labels = absolute(values["labels"].as<std::string>());
    } else {
      sweep.data.dataset = absolute(values["data"].as<std::string>());
      if (!fs::exists(sweep.data.dataset))
        throw UsageError("--data: no such file " + sweep.data.dataset);
    }
    sweep.tasks = expand_grid(grid);
    write_sweep(sweep, grid);
    say(strprintf("sweep: %zu tasks in %s (jobs/*.ini, manifest.json, manifest.csv)",
                  sweep.tasks.size(), directory.c_str()));
  });
}

// Runs `stage` (a subcommand) with `args`; returns kExitOk, kExitPreempted (stopped by a
// signal after writing a checkpoint: the status says "stopped", and running the task
// again resumes it) or kExitError. A failure every rank knows of (bad options, an agreed
// error) is recorded in `status_dir`'s status file as "failed: why"; any other failure
// leaves only this rank knowing, so it is rethrown and ends the job.
int run_stage(const std::string& what, int (*stage)(const Args&), const Args& args,
              const std::string& status_dir, const mpi::Comm& world) {
  std::string message;
  int code = kExitOk;
  try {
    code = stage(args);
    if (code == kExitPreempted) {
      if (world.is_root())
        write_task_status(status_dir, "stopped: " + what +
                                          " stopped by a signal after writing a checkpoint (" +
                                          utc_timestamp() + "); running the task again resumes it");
      return kExitPreempted;
    }
    if (code != kExitOk) message = strprintf("%s exited with %d", what.c_str(), code);
  } catch (const mpi::CollectiveError& e) {
    message = what + ": " + e.what();
  } catch (const UsageError& e) {
    message = what + ": " + e.what();
  }
  if (message.empty()) return kExitOk;
  if (world.is_root()) {
    write_task_status(status_dir, "failed: " + one_line(message));
    std::fprintf(stderr, "pancan: error: %s\n", message.c_str());
  }
  return kExitError;
}

// The shared prepare step: convert + prepare into DIR/data/dataset.h5, once.
bool prepare_data(const Sweep& sweep, const mpi::Comm& world) {
  if (!sweep.prepares()) return true;
  const std::string data_dir = sweep.directory + "/data";
  std::string status;
  if (world.is_root()) {
    std::ifstream in(data_dir + "/status");
    std::getline(in, status);
  }
  world.broadcast(status);
  if (status.rfind("done", 0) == 0 && fs::exists(sweep.dataset())) {
    say("sweep: the prepared data are there already: " + sweep.dataset());
    return true;
  }
  if (world.is_root()) write_task_status(data_dir, "running since " + utc_timestamp());
  world.barrier();
  say("sweep: preparing " + sweep.dataset());
  const Args convert_args = {
      "--config", sweep.prepare_config(), "--expression", sweep.data.expression,
      "--labels", sweep.data.labels,      "--out",        sweep.dataset()};
  if (run_stage("convert", convert, convert_args, data_dir, world) != kExitOk) return false;
  const Args prepare_args = {"--config", sweep.prepare_config(), "--data", sweep.dataset()};
  if (run_stage("prepare", prepare, prepare_args, data_dir, world) != kExitOk) return false;
  if (world.is_root()) write_task_status(data_dir, "done " + utc_timestamp());
  return true;
}

// Task `task`: train its config on the shared data, evaluate into its run directory.
// Returns the exit code: kExitOk, kExitPreempted (stopped with a checkpoint; the next run
// of the task resumes from it) or kExitError.
int run_task(const Sweep& sweep, const SweepTask& task, const mpi::Comm& world) {
  const std::string dir = sweep.run_dir(task);
  bool resume = false;
  mpi::agree(world, [&] {
    if (!world.is_root()) return;
    std::string previous;
    std::getline(std::ifstream(dir + "/status"), previous);
    resume = previous.rfind("stopped", 0) == 0 && fs::exists(sweep.model(task));
    if (!fs::exists(sweep.dataset()))
      throw Error("task " + task.id + ": the prepared data " + sweep.dataset() +
                  " are missing (run `pancan sweep --out " + sweep.directory +
                  " --prepare` first)");
    fs::create_directories(dir);
    // A result of an earlier attempt must not pass for this one's.
    for (const char* name : {"report.json", "report.md", "report.html"})
      fs::remove(dir + "/" + name);
    const char* job = std::getenv("SLURM_JOB_ID");
    write_task_status(dir, "running since " + utc_timestamp() +
                               strprintf(" on %d rank(s)", world.size()) +
                               (job != nullptr ? std::string(" in SLURM job ") + job : ""));
  });
  say(strprintf("sweep: task %s of %zu: ", task.id.c_str(), sweep.tasks.size()) + [&] {
    std::string text;
    for (const auto& [option, value] : task.options)
      text += (text.empty() ? "" : ", ") + option + " = " + value;
    return text;
  }());
  resume = world.broadcast(static_cast<int>(resume)) != 0;
  Args train_args = {"--config", sweep.config(task), "--data", sweep.dataset(),
                     "--out",    sweep.model(task)};
  if (resume) train_args.push_back("--resume");
  if (const int code = run_stage("train", train, train_args, dir, world); code != kExitOk)
    return code;
  const Args evaluate_args = {"--data", sweep.dataset(),   "--model", sweep.model(task),
                              "--name", "task-" + task.id, "--out",   dir};
  if (const int code = run_stage("evaluate", evaluate, evaluate_args, dir, world); code != kExitOk)
    return code;
  if (world.is_root()) write_task_status(dir, "done " + utc_timestamp());
  return kExitOk;
}

// The environment for a child `pancan`: this one without the variables through which
// Open MPI tied this process to its launcher, so the child starts as its own singleton.
std::vector<std::string> child_environment() {
  std::vector<std::string> kept;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string variable = *entry;
    const bool ompi = variable.rfind("OMPI_", 0) == 0;
    const bool launcher =
        variable.rfind("PMIX_", 0) == 0 ||
        (ompi && variable.rfind("OMPI_ALLOW_RUN_AS_ROOT", 0) != 0 &&
         (variable.rfind("OMPI_MCA_", 0) != 0 || variable.rfind("OMPI_MCA_ess", 0) == 0 ||
          variable.rfind("OMPI_MCA_orte_", 0) == 0 || variable.rfind("OMPI_MCA_pmix", 0) == 0));
    if (!launcher) kept.push_back(variable);
  }
  return kept;
}

// Starts `pancan sweep --out DIR --task I` as a child process, its output in runs/ID/log.
pid_t spawn_task(const Sweep& sweep, const SweepTask& task) {
  const std::string self = fs::read_symlink("/proc/self/exe");
  const std::string dir = sweep.run_dir(task);
  fs::create_directories(dir);
  const std::string log = dir + "/log";
  std::vector<std::string> arguments = {
      self, "sweep", "--out", sweep.directory, "--task", std::to_string(task.index)};
  std::vector<char*> argv;
  for (auto& a : arguments) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto environment = child_environment();
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw Error("cannot start " + self + " for task " + task.id + ": " + std::strerror(rc));
  return pid;
}

// Runs `pending` tasks as up to `parallel` child processes at a time (one rank each).
// Returns whether a task stopped with a checkpoint (a signal, e.g. Ctrl-C).
bool run_parallel(const Sweep& sweep, const std::vector<int>& pending, int parallel) {
  bool any_stopped = false;
  struct Child {
    pid_t pid;
    int index;
  };
  std::vector<Child> running;
  std::size_t next = 0;
  while (next < pending.size() || !running.empty()) {
    while (next < pending.size() && static_cast<int>(running.size()) < parallel) {
      const auto& task = sweep.task(pending[next++]);
      running.push_back({spawn_task(sweep, task), task.index});
      say("sweep: task " + task.id + " started (log: " + sweep.run_dir(task) + "/log)");
    }
    // Wait for these children only (not, say, a runtime helper process of MPI's).
    for (auto it = running.begin(); it != running.end();) {
      int wstatus = 0;
      if (waitpid(it->pid, &wstatus, WNOHANG) != it->pid) {
        ++it;
        continue;
      }
      const auto& task = sweep.task(it->index);
      const bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
      const bool stopped = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == kExitPreempted;
      any_stopped = any_stopped || stopped;
      if (!ok && !stopped) {
        // The child records its own failures; one that crashed could not.
        std::string status;
        std::ifstream(sweep.run_dir(task) + "/status") >> status;
        if (status.rfind("failed", 0) != 0)
          write_task_status(sweep.run_dir(task),
                            WIFSIGNALED(wstatus)
                                ? strprintf("failed: killed by signal %d", WTERMSIG(wstatus))
                                : strprintf("failed: exit %d", WEXITSTATUS(wstatus)));
      }
      say("sweep: task " + task.id +
          (ok        ? " finished"
           : stopped ? " stopped with a checkpoint (a rerun resumes it)"
                     : " failed (see its log)"));
      it = running.erase(it);
    }
    if (!running.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return any_stopped;
}

// Writes the leaderboard; returns how many tasks did not finish.
std::size_t write_leaderboard(const Sweep& sweep, int top) {
  const auto board = collect_leaderboard(sweep);
  const auto markdown = leaderboard_markdown(board, static_cast<std::size_t>(top));
  write_text_atomically(sweep.directory + "/leaderboard.csv", leaderboard_csv(board));
  write_text_atomically(sweep.directory + "/leaderboard.md", markdown);
  say(markdown);
  return board.tasks - board.ranked.size();
}

}  // namespace

int sweep(const Args& args) {
  const auto options = sweep_options();
  const auto command_line = parse_command_line("sweep", options, args);
  if (command_line.help) {
    say(help_text(
        "pancan sweep --grid FILE --out DIR (--expression E --labels L | --data D) [--run-local]\n"
        "       pancan sweep --out DIR --prepare | --task I",
        "Expands a grid of `pancan train` options (comma lists; `|` between hidden-layer\n"
        "lists) into DIR: jobs/ID.ini for every combination, manifest.json and manifest.csv.\n"
        "slurm/submit-sweep runs it on a cluster: the prepare step once, then a job array\n"
        "whose task I runs `pancan sweep --out DIR --task I` (train + evaluate into\n"
        "DIR/runs/ID). Without SLURM, --run-local runs the prepare step and every unfinished\n"
        "task here (again after an interruption: finished tasks are kept) and writes the\n"
        "leaderboard (`pancan leaderboard DIR`).",
        options));
    return kExitOk;
  }
  const auto& values = command_line.values;
  require_option(values.count("out") > 0, "out", "the sweep directory is required");
  const auto directory = values["out"].as<std::string>();
  const bool prepare_step = values["prepare"].as<bool>();
  const bool run_local = values["run-local"].as<bool>();
  const bool one_task = values.count("task") > 0;
  const int parallel = values["parallel"].as<int>();
  const int top = values["top"].as<int>();
  require_option(prepare_step + run_local + one_task <= 1, "task",
                 "--prepare, --task and --run-local are different runs: give one");
  require_option(values.count("grid") || prepare_step || run_local || one_task, "grid",
                 "nothing to do: give --grid to expand a sweep, or --prepare, --task or "
                 "--run-local to run one");
  require_option(!values.count("grid") || !(prepare_step || one_task), "grid",
                 "--prepare and --task run a sweep already expanded (without --grid)");
  require_option(parallel >= 1, "parallel", "must be at least 1");
  require_option(parallel == 1 || run_local, "parallel", "only applies to --run-local");
  require_option(top >= 1, "top", "must be at least 1");
  const auto world = mpi::Comm::world();
  require_option(parallel == 1 || world.size() == 1, "parallel",
                 strprintf("runs single-rank tasks side by side: start pancan as one process "
                           "(now %d ranks), or drop --parallel to run each task on all ranks",
                           world.size()));

  if (values.count("grid")) expand(values, directory, world);
  if (!(prepare_step || run_local || one_task)) return kExitOk;
  const Sweep sweep = read_sweep(directory);

  if (prepare_step) return prepare_data(sweep, world) ? kExitOk : kExitError;
  if (one_task) return run_task(sweep, sweep.task(values["task"].as<int>()), world);

  // --run-local: the prepare step, then every task that has not finished yet.
  if (!prepare_data(sweep, world)) return kExitError;
  std::vector<int> pending;
  if (world.is_root())
    for (const auto& row : collect_leaderboard(sweep).unranked) pending.push_back(row.task.index);
  auto count = world.broadcast(static_cast<std::int64_t>(pending.size()));
  pending.resize(static_cast<std::size_t>(count));
  world.broadcast(std::span<int>(pending));
  say(strprintf("sweep: %zu of %zu tasks to run (%s)", pending.size(), sweep.tasks.size(),
                parallel > 1 ? strprintf("%d at a time, one rank each", parallel).c_str()
                             : strprintf("one after another on %d rank(s)", world.size()).c_str()));
  bool stopped = false;
  if (parallel > 1)
    stopped = run_parallel(sweep, pending, parallel);
  else
    for (int index : pending)  // a signal stops the whole sweep, not just the task
      if (run_task(sweep, sweep.task(index), world) == kExitPreempted) {
        stopped = true;
        break;
      }

  std::size_t unfinished = 0;
  mpi::agree(world, [&] {
    if (world.is_root()) unfinished = write_leaderboard(sweep, top);
  });
  unfinished = world.broadcast(static_cast<std::int64_t>(unfinished));
  if (stopped) {
    say(
        strprintf("sweep: stopped by a signal with %zu of %zu tasks unfinished; the same "
                  "command resumes it (exit code %d)",
                  unfinished, sweep.tasks.size(), kExitPreempted));
    return kExitPreempted;
  }
  if (unfinished > 0) {
    if (world.is_root())
      std::fprintf(stderr,
                   "pancan: error: %zu of %zu tasks did not finish; see %s/leaderboard.md\n",
                   unfinished, sweep.tasks.size(), directory.c_str());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace pancan::cli
