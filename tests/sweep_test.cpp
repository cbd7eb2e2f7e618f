// Sweeps: grid parsing and expansion, the sweep directory and its manifest, task states
// and the leaderboard's ranking (over report.json files written by the real report writer).
#include "pancan/sweep.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "pancan/config.hpp"
#include "pancan/log.hpp"

namespace pancan {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh directory under the system's temporary directory.
fs::path fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("pancan_sweep_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path.string();
}

const char* kGrid =
    "# a test grid\n"
    "hidden = 100 | 100,10 | \n"
    "dropout = 0.3, 0.5   # inline comment\n"
    "; another comment\n"
    "learning-rate = 0.001\n"
    "seed = 1,2\n"
    "\n"
    "[prepare]\n"
    "quantile = 0.9\n"
    "# kept\n"
    "[convert]\n"
    "chunk-rows = 64\n";

TEST(SweepGrid, ParsesAxesInFileOrder) {
  const Grid grid = parse_grid(kGrid, "grid.ini");
  ASSERT_EQ(grid.axes.size(), 4u);
  EXPECT_EQ(grid.axes[0].option, "hidden");
  // `|` separates hidden's alternatives, commas stay inside a value, an empty one is the
  // softmax regression.
  EXPECT_EQ(grid.axes[0].values, (std::vector<std::string>{"100", "100,10", ""}));
  EXPECT_EQ(grid.axes[1].values, (std::vector<std::string>{"0.3", "0.5"}));
  EXPECT_EQ(grid.axes[2].values, (std::vector<std::string>{"0.001"}));
  EXPECT_EQ(grid.axes[3].option, "seed");
  EXPECT_EQ(grid.axes[3].line, 6);
  EXPECT_EQ(grid.size(), 3u * 2 * 1 * 2);
  EXPECT_EQ(grid.prepare_sections,
            "[prepare]\nquantile = 0.9\n# kept\n[convert]\nchunk-rows = 64\n");
}

TEST(SweepGrid, BarsSeparateAnyOption) {
  const Grid grid = parse_grid("batch-size = 16 | 32\nhidden = 50\n", "g.ini");
  EXPECT_EQ(grid.axes[0].values, (std::vector<std::string>{"16", "32"}));
  // A hidden value without bars is one configuration, even with commas.
  const Grid one = parse_grid("hidden = 100,10\n", "g.ini");
  EXPECT_EQ(one.axes[0].values, (std::vector<std::string>{"100,10"}));
}

void expect_input_error(const std::string& text, const std::string& where,
                        const std::string& what) {
  try {
    parse_grid(text, "g.ini");
    FAIL() << "expected an error for: " << text;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(where), std::string::npos) << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
  }
}

TEST(SweepGrid, ErrorsNameFileAndLine) {
  expect_input_error("dropout = 0.3\ndropout = 0.5\n", "g.ini:2:", "already set on line 1");
  expect_input_error("dropout = 0.3,,0.5\n", "g.ini:1:", "empty value");
  expect_input_error("dropout = 0.3, 0.3\n", "g.ini:1:", "twice");
  expect_input_error("dropout 0.3\n", "g.ini:1:", "option = value");
  expect_input_error("epochs = 2\n[train]\nx = 1\n", "g.ini:2:", "unknown section [train]");
  expect_input_error("# nothing\n", "g.ini", "no options");
  expect_input_error("= 3\n", "g.ini:1:", "missing option name");
}

TEST(SweepGrid, ExpandsTheCartesianProductLastAxisFastest) {
  const auto tasks = expand_grid(parse_grid(kGrid, "g.ini"));
  ASSERT_EQ(tasks.size(), 12u);
  EXPECT_EQ(tasks[0].id, "000");
  EXPECT_EQ(tasks[11].id, "011");
  const TextPairs first = {
      {"hidden", "100"}, {"dropout", "0.3"}, {"learning-rate", "0.001"}, {"seed", "1"}};
  EXPECT_EQ(tasks[0].options, first);
  EXPECT_EQ(tasks[1].options[3].second, "2");    // seed changes first
  EXPECT_EQ(tasks[2].options[1].second, "0.5");  // then dropout
  EXPECT_EQ(tasks[4].options[0].second, "100,10");
  EXPECT_EQ(tasks[11].options[0].second, "");
  // Every point exactly once.
  std::set<TextPairs> distinct;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    EXPECT_EQ(tasks[i].index, static_cast<int>(i));
    distinct.insert(tasks[i].options);
  }
  EXPECT_EQ(distinct.size(), tasks.size());
}

TEST(SweepGrid, IdsAreWideEnoughForEveryTask) {
  const auto tasks = expand_grid(parse_grid(
      "a = 0,1,2,3,4,5,6,7,8,9\nb = 0,1,2,3,4,5,6,7,8,9\nc = 0,1,2,3,4,5,6,7,8,9\nd = 0,1\n",
      "g.ini"));
  ASSERT_EQ(tasks.size(), 2000u);
  EXPECT_EQ(tasks.front().id, "0000");
  EXPECT_EQ(tasks.back().id, "1999");
}

Sweep make_sweep(const fs::path& dir, const std::string& grid_text, Grid* grid_out = nullptr) {
  const Grid grid = read_grid(write_file(dir / "grid-src.ini", grid_text));
  Sweep sweep;
  sweep.directory = (dir / "sweep").string();
  sweep.grid_file = grid.file;
  for (const auto& axis : grid.axes) sweep.axes.push_back(axis.option);
  sweep.data.expression = "/data/expression.csv";
  sweep.data.labels = "/data/labels.csv";
  sweep.tasks = expand_grid(grid);
  if (grid_out != nullptr) *grid_out = grid;
  return sweep;
}

po::options_description train_like_options() {
  po::options_description options;
  options.add_options()("hidden", po::value<std::string>(), "")("dropout", po::value<double>(), "")(
      "learning-rate", po::value<double>(), "")("seed", po::value<int>(), "");
  return options;
}

TEST(SweepDirectory, WritesJobConfigsTheTrainCommandReads) {
  const auto dir = fresh_dir("write");
  Grid grid;
  const Sweep sweep = make_sweep(dir, kGrid, &grid);
  write_sweep(sweep, grid);
  ASSERT_TRUE(fs::exists(sweep.config(sweep.tasks[4])));
  // The job config parses as `pancan train` options and keeps "100,10" as one value.
  auto cl =
      parse_command_line("train", train_like_options(), {"--config", sweep.config(sweep.tasks[4])});
  EXPECT_EQ(cl.values["hidden"].as<std::string>(), "100,10");
  EXPECT_DOUBLE_EQ(cl.values["dropout"].as<double>(), 0.3);
  EXPECT_EQ(cl.values["seed"].as<int>(), 1);
  auto empty = parse_command_line("train", train_like_options(),
                                  {"--config", sweep.config(sweep.tasks[11])});
  EXPECT_EQ(empty.values["hidden"].as<std::string>(), "");

  // prepare.ini carries the [convert]/[prepare] sections for those commands.
  EXPECT_NE(slurp(sweep.prepare_config()).find("[prepare]\nquantile = 0.9\n"), std::string::npos);
  EXPECT_EQ(slurp(sweep.directory + "/grid.ini"), kGrid);

  const std::string csv = slurp(sweep.directory + "/manifest.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "index,id,config,run,hidden,dropout,learning-rate,seed");
  EXPECT_NE(csv.find("\n4,004,jobs/004.ini,runs/004,\"100,10\",0.3,0.001,1\n"), std::string::npos);

  const auto json = nlohmann::json::parse(slurp(sweep.manifest_json()));
  EXPECT_EQ(json["tasks"].size(), 12u);
  EXPECT_EQ(json["tasks"][4]["options"]["hidden"], "100,10");
  EXPECT_EQ(json["tasks"][4]["config"], "jobs/004.ini");
  EXPECT_EQ(json["data"]["expression"], "/data/expression.csv");
}

TEST(SweepDirectory, ReadsBackWhatItWrote) {
  const auto dir = fresh_dir("read");
  Grid grid;
  const Sweep sweep = make_sweep(dir, kGrid, &grid);
  write_sweep(sweep, grid);
  const Sweep back = read_sweep(sweep.directory);
  EXPECT_EQ(back.axes, sweep.axes);
  EXPECT_EQ(back.grid_file, sweep.grid_file);
  EXPECT_EQ(back.data.labels, "/data/labels.csv");
  EXPECT_TRUE(back.prepares());
  EXPECT_EQ(back.dataset(), sweep.directory + "/data/dataset.h5");
  ASSERT_EQ(back.tasks.size(), sweep.tasks.size());
  for (std::size_t i = 0; i < back.tasks.size(); ++i) {
    EXPECT_EQ(back.tasks[i].id, sweep.tasks[i].id);
    EXPECT_EQ(back.tasks[i].options, sweep.tasks[i].options);
  }
  EXPECT_EQ(back.task(3).id, "003");
  EXPECT_THROW(back.task(12), UsageError);
  EXPECT_THROW(read_sweep((dir / "nothing").string()), UsageError);
}

TEST(SweepDirectory, RewritingKeepsTheSameSweepAndRefusesAnother) {
  const auto dir = fresh_dir("rewrite");
  Grid grid;
  const Sweep sweep = make_sweep(dir, kGrid, &grid);
  write_sweep(sweep, grid);
  write_task_status(sweep.run_dir(sweep.tasks[0]), "done");
  EXPECT_NO_THROW(write_sweep(sweep, grid));  // same grid: kept as is
  Grid other_grid;
  const Sweep other = make_sweep(dir, "dropout = 0.1, 0.2\n", &other_grid);
  EXPECT_THROW(write_sweep(other, other_grid), UsageError);
}

// A report of one model as `pancan evaluate` writes it: 4 test samples of 2 classes.
Report fixture_report(const std::string& name, std::vector<EpochRecord> history,
                      std::vector<std::int32_t> predicted, int kept_epoch = 0) {
  Report report;
  report.created = "2026-01-01T00:00:00Z";
  report.version = "test";
  report.data.dataset = "dataset.h5";
  report.classes = {"BRCA", "KIRC"};
  report.test_samples = {"s0", "s1", "s2", "s3"};
  report.test_labels = {0, 0, 1, 1};
  ModelReport model;
  model.name = name;
  model.parameters = 1234;
  model.history = std::move(history);
  model.kept_epoch = kept_epoch;
  model.predicted = std::move(predicted);
  model.train_seconds = 1.5;
  report.models.push_back(model);
  compute_test_metrics(report);
  return report;
}

TEST(Leaderboard, RowTakesTheKeptEpochAndTestScores) {
  SweepTask task{7, "007", {{"dropout", "0.3"}}};
  const auto report = fixture_report("model", {{1, 0.9, 0.6, 0.8, 0.70}, {2, 0.5, 0.8, 0.6, 0.75}},
                                     {0, 1, 1, 1}, /*kept_epoch=*/1);
  const auto row = row_from_report(task, report);
  EXPECT_EQ(row.state, TaskState::finished);
  EXPECT_EQ(row.epoch, 1);
  EXPECT_EQ(row.epochs, 2);
  EXPECT_DOUBLE_EQ(row.val_accuracy, 0.70);
  EXPECT_DOUBLE_EQ(row.val_loss, 0.8);
  EXPECT_DOUBLE_EQ(row.test_accuracy, 0.75);
  EXPECT_EQ(row.parameters, 1234);
  // scikit-learn: f1_score([0,0,1,1], [0,1,1,1], average="macro") = (2/3 + 0.8) / 2
  EXPECT_NEAR(row.test_macro_f1, (2.0 / 3 + 0.8) / 2, 1e-12);
}

TEST(Leaderboard, RanksByValidationAccuracyThenLossThenIndex) {
  auto row = [](int index, TaskState state, double val_accuracy, double val_loss,
                double test_accuracy) {
    LeaderboardRow r;
    r.task = {index, strprintf("%03d", index), {{"seed", std::to_string(index)}}};
    r.state = state;
    r.val_accuracy = val_accuracy;
    r.val_loss = val_loss;
    r.test_accuracy = test_accuracy;
    return r;
  };
  const auto board = rank_rows(
      "s", {"seed"},
      {row(0, TaskState::finished, 0.90, 0.30, 0.99), row(1, TaskState::missing, 0, 0, 0),
       row(2, TaskState::finished, 0.95, 0.40, 0.80), row(3, TaskState::finished, 0.90, 0.20, 0.70),
       row(4, TaskState::failed, 0, 0, 0), row(5, TaskState::finished, 0.90, 0.20, 0.10)});
  ASSERT_EQ(board.ranked.size(), 4u);
  // Test accuracy plays no part: task 0 has the best test score but ranks last.
  std::vector<std::string> order;
  for (const auto& r : board.ranked) order.push_back(r.task.id);
  EXPECT_EQ(order, (std::vector<std::string>{"002", "003", "005", "000"}));
  EXPECT_EQ(board.ranked[0].rank, 1);
  EXPECT_EQ(board.ranked[3].rank, 4);
  ASSERT_EQ(board.unranked.size(), 2u);
  EXPECT_EQ(board.unranked[0].task.id, "001");
  EXPECT_EQ(board.unranked[1].task.id, "004");
  EXPECT_EQ(board.tasks, 6u);
}

TEST(Leaderboard, CollectsReportsStatusesAndGaps) {
  const auto dir = fresh_dir("collect");
  Grid grid;
  const Sweep sweep = make_sweep(dir, "dropout = 0.1, 0.2, 0.3, 0.4, 0.5, 0.6\n", &grid);
  write_sweep(sweep, grid);
  auto finish = [&](int index, const Report& report) {
    const auto run = sweep.run_dir(sweep.tasks[static_cast<std::size_t>(index)]);
    fs::create_directories(run);
    write_report(report, run);
    write_task_status(run, "done");
  };
  // 0: finished, second best; 1: failed; 2: finished, best; 3: running; 4: never started;
  // 5: its report.json is broken.
  finish(0, fixture_report("m", {{1, 0.5, 0.9, 0.4, 0.80}}, {0, 0, 1, 0}));
  finish(2, fixture_report("m", {{1, 0.5, 0.9, 0.3, 0.90}}, {0, 0, 1, 1}));
  fs::create_directories(sweep.run_dir(sweep.tasks[1]));
  write_task_status(sweep.run_dir(sweep.tasks[1]), "failed: train: out of luck");
  fs::create_directories(sweep.run_dir(sweep.tasks[3]));
  write_task_status(sweep.run_dir(sweep.tasks[3]), "running since 2026-01-01T00:00:00Z");
  fs::create_directories(sweep.run_dir(sweep.tasks[5]));
  write_file(sweep.run_dir(sweep.tasks[5]) + "/report.json", "{\"models\": [");
  write_task_status(sweep.run_dir(sweep.tasks[5]), "done");

  const auto board = collect_leaderboard(read_sweep(sweep.directory));
  ASSERT_EQ(board.ranked.size(), 2u);
  EXPECT_EQ(board.ranked[0].task.id, "002");
  EXPECT_DOUBLE_EQ(board.ranked[0].test_accuracy, 1.0);
  EXPECT_EQ(board.ranked[1].task.id, "000");
  EXPECT_DOUBLE_EQ(board.ranked[1].test_accuracy, 0.75);
  ASSERT_EQ(board.unranked.size(), 4u);
  EXPECT_EQ(board.unranked[0].state, TaskState::failed);
  EXPECT_NE(board.unranked[0].detail.find("out of luck"), std::string::npos);
  EXPECT_EQ(board.unranked[1].state, TaskState::unfinished);
  EXPECT_EQ(board.unranked[2].state, TaskState::missing);
  EXPECT_EQ(board.unranked[3].state, TaskState::failed);
  EXPECT_NE(board.unranked[3].detail.find("report.json"), std::string::npos);

  const std::string csv = leaderboard_csv(board);
  std::istringstream lines(csv);
  std::string header, first, second, third;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  std::getline(lines, third);
  EXPECT_EQ(header,
            "rank,task,state,dropout,model,parameters,epoch,epochs,val_accuracy,val_loss,"
            "test_accuracy,test_macro_f1,test_weighted_f1,train_seconds,detail");
  EXPECT_EQ(first.substr(0, first.find(",m,")), "1,002,finished,0.3");
  EXPECT_NE(first.find(",0.900000,0.300000,1.000000,"), std::string::npos) << first;
  EXPECT_EQ(second.substr(0, 14), "2,000,finished");
  EXPECT_EQ(third.substr(0, 22), ",001,failed,0.2,,,,,,,");

  const std::string md = leaderboard_markdown(board, 1);
  EXPECT_NE(md.find("6 tasks: 2 finished, 2 failed, 1 unfinished, 1 missing."), std::string::npos)
      << md;
  EXPECT_NE(md.find("**Best:** task 002 (`jobs/002.ini`): dropout = 0.3"), std::string::npos) << md;
  EXPECT_NE(md.find("| 1 | 002 | 0.3 | 0.9000 | 0.3000 | 1/1 | 1.0000 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("| 2 | 000 |"), std::string::npos) << "top 1 only: " << md;
  EXPECT_NE(md.find("Top 1 of 2 shown"), std::string::npos);
  EXPECT_NE(md.find("## Failed tasks\n\n- 001 (dropout = 0.2): failed: train: out of luck"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("- 003 (dropout = 0.4): running since"), std::string::npos) << md;
  EXPECT_NE(md.find("## Missing tasks (never started)\n\n- 004 (dropout = 0.5)\n"),
            std::string::npos)
      << md;
}

}  // namespace
}  // namespace pancan
