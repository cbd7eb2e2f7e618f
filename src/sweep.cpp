// Sweeps: grid file -> numbered job configs + manifest; task results -> leaderboard.
#include "pancan/sweep.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "pancan/error.hpp"
#include "pancan/log.hpp"

namespace pancan {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (true) {
    const auto next = text.find(separator, at);
    parts.push_back(trim(text.substr(at, next == std::string::npos ? next : next - at)));
    if (next == std::string::npos) break;
    at = next + 1;
  }
  return parts;
}

std::string read_text(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + what + " " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A CSV field, quoted when it holds a comma, quote or line break.
std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// A markdown table cell: pipes escaped, empty shown as a dash.
std::string md_cell(const std::string& value) {
  if (value.empty()) return "(none)";
  std::string cell;
  for (char c : value) {
    if (c == '|') cell += '\\';
    cell += c;
  }
  return cell;
}

std::string options_text(const TextPairs& options) {
  std::string text;
  for (const auto& [option, value] : options)
    text += (text.empty() ? "" : ", ") + option + " = " + (value.empty() ? "(none)" : value);
  return text;
}

}  // namespace

// ---- grid --------------------------------------------------------------------------------

std::size_t Grid::size() const {
  if (axes.empty()) return 0;
  std::size_t n = 1;
  for (const auto& axis : axes) n *= axis.values.size();
  return n;
}

Grid parse_grid(const std::string& text, const std::string& file) {
  Grid grid;
  grid.file = file;
  std::istringstream in(text);
  std::string raw;
  std::string section;  // "" = top level (the axes)
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    const std::string content = trim(raw);
    if (content.empty() || content[0] == '#' || content[0] == ';') {
      if (!section.empty()) grid.prepare_sections += raw + "\n";
      continue;
    }
    if (content.front() == '[') {
      if (content.back() != ']') throw InputError(file, line, 1, "unterminated section header");
      section = trim(content.substr(1, content.size() - 2));
      if (section != "convert" && section != "prepare")
        throw InputError(file, line, 1,
                         "unknown section [" + section +
                             "]: a grid holds `pancan train` options at the top and the shared "
                             "preparation's options in [convert] and [prepare]");
      grid.prepare_sections += content + "\n";
      continue;
    }
    if (!section.empty()) {
      grid.prepare_sections += raw + "\n";
      continue;
    }
    const auto equals = content.find('=');
    if (equals == std::string::npos)
      throw InputError(file, line, 1, "expected `option = value, value, ...`");
    GridAxis axis;
    axis.option = trim(content.substr(0, equals));
    axis.line = line;
    if (axis.option.empty()) throw InputError(file, line, 1, "missing option name before '='");
    for (const auto& other : grid.axes)
      if (other.option == axis.option)
        throw InputError(
            file, line, 1,
            "'" + axis.option + "' is already set on line " + std::to_string(other.line));
    std::string values = content.substr(equals + 1);
    // The config reader (Boost) ends a value at '#': so does the grid.
    if (const auto hash = values.find('#'); hash != std::string::npos) values.resize(hash);
    const bool bars = values.find('|') != std::string::npos;
    // hidden's values are comma lists themselves: only `|` separates its alternatives.
    const bool lists = axis.option == "hidden";
    axis.values = (bars || lists) ? split(values, '|') : split(values, ',');
    std::set<std::string> seen;
    for (const auto& value : axis.values) {
      if (value.empty() && !lists)
        throw InputError(file, line, static_cast<long>(equals) + 2,
                         "'" + axis.option + "' has an empty value" +
                             (bars ? "" : " (separate values by commas, or all by '|')"));
      if (!seen.insert(value).second)
        throw InputError(file, line, static_cast<long>(equals) + 2,
                         "'" + axis.option + "' lists '" + value + "' twice");
    }
    grid.axes.push_back(std::move(axis));
  }
  if (grid.axes.empty())
    throw InputError(file, 0, 0, "no options: a grid needs lines like `dropout = 0.3, 0.5`");
  constexpr std::size_t kMaxTasks = 100000;
  std::size_t n = 1;
  for (const auto& axis : grid.axes) {
    n *= axis.values.size();
    if (n > kMaxTasks)
      throw InputError(file, axis.line, 1,
                       strprintf("the grid has more than %zu points", kMaxTasks));
  }
  return grid;
}

Grid read_grid(const std::string& path) { return parse_grid(read_text(path, "grid"), path); }

std::vector<SweepTask> expand_grid(const Grid& grid) {
  const std::size_t n = grid.size();
  const int width = std::max<int>(3, static_cast<int>(std::to_string(n == 0 ? 0 : n - 1).size()));
  std::vector<SweepTask> tasks(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& task = tasks[i];
    task.index = static_cast<int>(i);
    task.id = strprintf("%0*zu", width, i);
    // Mixed-radix digits of i, the last axis being the least significant.
    std::size_t rest = i;
    task.options.resize(grid.axes.size());
    for (std::size_t a = grid.axes.size(); a-- > 0;) {
      const auto& axis = grid.axes[a];
      task.options[a] = {axis.option, axis.values[rest % axis.values.size()]};
      rest /= axis.values.size();
    }
  }
  return tasks;
}

// ---- the sweep directory -----------------------------------------------------------------

std::string Sweep::dataset() const {
  return data.dataset.empty() ? directory + "/data/dataset.h5" : data.dataset;
}
std::string Sweep::config(const SweepTask& t) const { return directory + "/jobs/" + t.id + ".ini"; }
std::string Sweep::run_dir(const SweepTask& t) const { return directory + "/runs/" + t.id; }
std::string Sweep::model(const SweepTask& t) const { return run_dir(t) + "/model.h5"; }

const SweepTask& Sweep::task(int index) const {
  if (index < 0 || static_cast<std::size_t>(index) >= tasks.size())
    throw UsageError(strprintf("task %d is not in the sweep %s, which has tasks 0..%zu", index,
                               directory.c_str(), tasks.size() - 1));
  return tasks[static_cast<std::size_t>(index)];
}

std::string job_config_text(const Sweep& sweep, const SweepTask& task) {
  std::string text = strprintf(
      "# Task %s of %zu of the sweep in %s (expanded by `pancan sweep` from %s).\n"
      "# `pancan train` options: pancan train --config THIS --data DATASET --out MODEL\n",
      task.id.c_str(), sweep.tasks.size(), sweep.directory.c_str(), sweep.grid_file.c_str());
  for (const auto& [option, value] : task.options) text += option + " = " + value + "\n";
  return text;
}

namespace {

ojson manifest(const Sweep& sweep) {
  ojson j;
  j["pancan_sweep"] = 1;
  j["created"] = utc_timestamp();
  j["grid"] = sweep.grid_file;
  j["axes"] = sweep.axes;
  j["data"] = {{"expression", sweep.data.expression},
               {"labels", sweep.data.labels},
               {"dataset", sweep.data.dataset}};
  ojson tasks = ojson::array();
  for (const auto& task : sweep.tasks) {
    ojson options = ojson::object();
    for (const auto& [option, value] : task.options) options[option] = value;
    tasks.push_back({{"index", task.index},
                     {"id", task.id},
                     {"config", "jobs/" + task.id + ".ini"},
                     {"run", "runs/" + task.id},
                     {"options", options}});
  }
  j["tasks"] = tasks;
  return j;
}

std::string manifest_csv(const Sweep& sweep) {
  std::string text = "index,id,config,run";
  for (const auto& axis : sweep.axes) text += "," + csv_field(axis);
  text += "\n";
  for (const auto& task : sweep.tasks) {
    text += strprintf("%d,%s,jobs/%s.ini,runs/%s", task.index, task.id.c_str(), task.id.c_str(),
                      task.id.c_str());
    for (const auto& [option, value] : task.options) text += "," + csv_field(value);
    text += "\n";
  }
  return text;
}

bool same_tasks(const Sweep& a, const Sweep& b) {
  if (a.axes != b.axes || a.tasks.size() != b.tasks.size()) return false;
  if (a.data.expression != b.data.expression || a.data.labels != b.data.labels ||
      a.data.dataset != b.data.dataset)
    return false;
  for (std::size_t i = 0; i < a.tasks.size(); ++i)
    if (a.tasks[i].id != b.tasks[i].id || a.tasks[i].options != b.tasks[i].options) return false;
  return true;
}

}  // namespace

void write_sweep(const Sweep& sweep, const Grid& grid) {
  if (fs::exists(sweep.manifest_json())) {
    const Sweep existing = read_sweep(sweep.directory);
    if (same_tasks(existing, sweep)) return;
    throw UsageError("--out: " + sweep.directory +
                     " already holds a different sweep (other grid or data); choose another "
                     "directory, or delete it to start over");
  }
  std::error_code error;
  fs::create_directories(sweep.directory + "/jobs", error);
  if (!error) fs::create_directories(sweep.directory + "/runs", error);
  if (!error && sweep.prepares()) fs::create_directories(sweep.directory + "/data", error);
  if (error)
    throw Error("cannot create the sweep directory " + sweep.directory + ": " + error.message());
  write_text_atomically(sweep.directory + "/grid.ini", read_text(grid.file, "grid"));
  write_text_atomically(sweep.prepare_config(), "# The shared preparation of the sweep in " +
                                                    sweep.directory + " (from " + sweep.grid_file +
                                                    ").\n" + grid.prepare_sections);
  for (const auto& task : sweep.tasks)
    write_text_atomically(sweep.config(task), job_config_text(sweep, task));
  write_text_atomically(sweep.directory + "/manifest.csv", manifest_csv(sweep));
  // The manifest last: its presence means the directory is complete.
  write_text_atomically(sweep.manifest_json(), manifest(sweep).dump(1) + "\n");
}

Sweep read_sweep(const std::string& directory) {
  Sweep sweep;
  sweep.directory = directory;
  const std::string path = sweep.manifest_json();
  if (!fs::exists(path))
    throw UsageError(directory +
                     " is not a sweep directory (no manifest.json; `pancan sweep "
                     "--grid FILE --out " +
                     directory + "` makes one)");
  try {
    const auto j = nlohmann::json::parse(read_text(path, "sweep manifest"));
    sweep.grid_file = j.at("grid").get<std::string>();
    sweep.axes = j.at("axes").get<std::vector<std::string>>();
    const auto& data = j.at("data");
    sweep.data.expression = data.at("expression").get<std::string>();
    sweep.data.labels = data.at("labels").get<std::string>();
    sweep.data.dataset = data.at("dataset").get<std::string>();
    for (const auto& t : j.at("tasks")) {
      SweepTask task;
      task.index = t.at("index").get<int>();
      task.id = t.at("id").get<std::string>();
      const auto& options = t.at("options");
      for (const auto& axis : sweep.axes)
        task.options.emplace_back(axis, options.at(axis).get<std::string>());
      if (task.index != static_cast<int>(sweep.tasks.size()))
        throw Error(strprintf("task %d listed at position %zu", task.index, sweep.tasks.size()));
      sweep.tasks.push_back(std::move(task));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": malformed sweep manifest: " + e.what());
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  return sweep;
}

// ---- task state --------------------------------------------------------------------------

void write_task_status(const std::string& run_dir, const std::string& line) {
  std::error_code error;
  fs::create_directories(run_dir, error);  // an error shows in the write that follows
  write_text_atomically(run_dir + "/status", line + "\n");
}

const char* task_state_name(TaskState state) {
  switch (state) {
    case TaskState::finished:
      return "finished";
    case TaskState::failed:
      return "failed";
    case TaskState::unfinished:
      return "unfinished";
    case TaskState::missing:
      return "missing";
  }
  return "?";
}

// ---- leaderboard -------------------------------------------------------------------------

LeaderboardRow row_from_report(const SweepTask& task, const Report& report) {
  if (report.models.empty()) throw Error("report.json: no models");
  const auto& model = report.models.front();
  const auto epoch = selected_epoch(model);
  if (!epoch) throw Error("report.json: model " + model.name + " has no training history");
  LeaderboardRow row;
  row.task = task;
  row.state = TaskState::finished;
  row.model = model.name;
  row.parameters = model.parameters;
  row.epoch = epoch->epoch;
  row.epochs = static_cast<int>(model.history.size());
  row.val_accuracy = epoch->val_accuracy;
  row.val_loss = epoch->val_loss;
  row.test_accuracy = model.test.accuracy;
  row.test_macro_f1 = model.test.macro_avg.f1;
  row.test_weighted_f1 = model.test.weighted_avg.f1;
  row.train_seconds = model.train_seconds;
  return row;
}

Leaderboard rank_rows(const std::string& sweep, std::vector<std::string> axes,
                      std::vector<LeaderboardRow> rows) {
  Leaderboard board;
  board.sweep = sweep;
  board.axes = std::move(axes);
  board.tasks = rows.size();
  for (auto& row : rows) {
    row.rank = 0;
    (row.state == TaskState::finished ? board.ranked : board.unranked).push_back(std::move(row));
  }
  std::sort(board.ranked.begin(), board.ranked.end(),
            [](const LeaderboardRow& a, const LeaderboardRow& b) {
              // NaN (no validation rows) ranks below every number.
              const auto accuracy = [](double v) { return std::isnan(v) ? -1.0 : v; };
              const auto loss = [](double v) { return std::isnan(v) ? HUGE_VAL : v; };
              if (accuracy(a.val_accuracy) != accuracy(b.val_accuracy))
                return accuracy(a.val_accuracy) > accuracy(b.val_accuracy);
              if (loss(a.val_loss) != loss(b.val_loss)) return loss(a.val_loss) < loss(b.val_loss);
              return a.task.index < b.task.index;
            });
  for (std::size_t i = 0; i < board.ranked.size(); ++i)
    board.ranked[i].rank = static_cast<int>(i + 1);
  std::sort(
      board.unranked.begin(), board.unranked.end(),
      [](const LeaderboardRow& a, const LeaderboardRow& b) { return a.task.index < b.task.index; });
  return board;
}

namespace {

// The first line of a file, or "" when it cannot be read.
std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (in) std::getline(in, line);
  return trim(line);
}

LeaderboardRow task_row(const Sweep& sweep, const SweepTask& task) {
  const std::string dir = sweep.run_dir(task);
  const std::string status = first_line(dir + "/status");
  // The first word says it: "done ...", "failed: why", "running since ...".
  const std::string state = status.substr(0, status.find_first_of(" :"));
  const std::string report_path = dir + "/report.json";
  LeaderboardRow row;
  row.task = task;
  row.detail = status;
  if (state == "failed") {
    row.state = TaskState::failed;
  } else if (fs::exists(report_path)) {
    try {
      const auto json = nlohmann::json::parse(read_text(report_path, "report"));
      row = row_from_report(task, report_from_json(json));
    } catch (const std::exception& e) {
      row.state = TaskState::failed;
      row.detail = report_path + ": " + e.what();
    }
  } else if (state == "done") {
    row.state = TaskState::failed;
    row.detail = "status says done, but there is no " + report_path;
  } else if (!status.empty()) {
    row.state = TaskState::unfinished;  // "running ...": still running, or killed
  } else {
    row.state = TaskState::missing;
  }
  return row;
}

}  // namespace

Leaderboard collect_leaderboard(const Sweep& sweep) {
  std::vector<LeaderboardRow> rows;
  for (const auto& task : sweep.tasks) rows.push_back(task_row(sweep, task));
  return rank_rows(sweep.directory, sweep.axes, std::move(rows));
}

std::string leaderboard_csv(const Leaderboard& board) {
  std::string text = "rank,task,state";
  for (const auto& axis : board.axes) text += "," + csv_field(axis);
  text +=
      ",model,parameters,epoch,epochs,val_accuracy,val_loss,test_accuracy,test_macro_f1,"
      "test_weighted_f1,train_seconds,detail\n";
  auto add = [&](const LeaderboardRow& row) {
    text += (row.rank > 0 ? std::to_string(row.rank) : "") + "," + row.task.id + "," +
            task_state_name(row.state);
    for (const auto& [option, value] : row.task.options) text += "," + csv_field(value);
    if (row.state == TaskState::finished)
      text += strprintf(",%s,%lld,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,",
                        csv_field(row.model).c_str(), static_cast<long long>(row.parameters),
                        row.epoch, row.epochs, row.val_accuracy, row.val_loss, row.test_accuracy,
                        row.test_macro_f1, row.test_weighted_f1, row.train_seconds);
    else
      text += ",,,,,,,,,,," + csv_field(row.detail);
    text += "\n";
  };
  for (const auto& row : board.ranked) add(row);
  for (const auto& row : board.unranked) add(row);
  return text;
}

std::string leaderboard_markdown(const Leaderboard& board, std::size_t top) {
  std::size_t failed = 0, unfinished = 0, missing = 0;
  for (const auto& row : board.unranked) {
    failed += row.state == TaskState::failed;
    unfinished += row.state == TaskState::unfinished;
    missing += row.state == TaskState::missing;
  }
  std::string md = "# Sweep leaderboard: " + board.sweep + "\n\n";
  md += strprintf("%zu tasks: %zu finished, %zu failed, %zu unfinished, %zu missing.\n\n",
                  board.tasks, board.ranked.size(), failed, unfinished, missing);
  md +=
      "Ranked by validation accuracy at the epoch whose weights the model keeps (ties: lower "
      "validation loss, then task number). The test split takes no part in the ranking; its "
      "scores are shown for the top configurations.\n\n";
  if (!board.ranked.empty()) {
    const auto& best = board.ranked.front();
    md += "**Best:** task " + best.task.id + " (`jobs/" + best.task.id +
          ".ini`): " + options_text(best.task.options) +
          strprintf(" -- val_accuracy %.4f, val_loss %.4f; test accuracy %.4f.\n\n",
                    best.val_accuracy, best.val_loss, best.test_accuracy);
    const std::size_t shown = std::min(top, board.ranked.size());
    md += "| rank | task |";
    std::string rule = "|---:|---|";
    for (const auto& axis : board.axes) {
      md += " " + md_cell(axis) + " |";
      rule += "---|";
    }
    md +=
        " val_accuracy | val_loss | epoch | test_accuracy | test macro F1 | test weighted F1 | "
        "parameters |\n";
    rule += "---:|---:|---:|---:|---:|---:|---:|\n";
    md += rule;
    for (std::size_t i = 0; i < shown; ++i) {
      const auto& row = board.ranked[i];
      md += strprintf("| %d | %s |", row.rank, row.task.id.c_str());
      for (const auto& [option, value] : row.task.options) md += " " + md_cell(value) + " |";
      md += strprintf(" %.4f | %.4f | %d/%d | %.4f | %.4f | %.4f | %lld |\n", row.val_accuracy,
                      row.val_loss, row.epoch, row.epochs, row.test_accuracy, row.test_macro_f1,
                      row.test_weighted_f1, static_cast<long long>(row.parameters));
    }
    if (shown < board.ranked.size())
      md += strprintf("\nTop %zu of %zu shown; leaderboard.csv lists all.\n", shown,
                      board.ranked.size());
  }
  auto list = [&](TaskState state, const char* title) {
    std::string section;
    for (const auto& row : board.unranked)
      if (row.state == state)
        section += "- " + row.task.id + " (" + options_text(row.task.options) + ")" +
                   (row.detail.empty() ? "" : ": " + row.detail) + "\n";
    if (!section.empty()) md += std::string("\n## ") + title + "\n\n" + section;
  };
  list(TaskState::failed, "Failed tasks");
  list(TaskState::unfinished, "Unfinished tasks (running, or stopped before they ended)");
  list(TaskState::missing, "Missing tasks (never started)");
  return md;
}

}  // namespace pancan
