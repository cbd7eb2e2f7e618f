// `pancan leaderboard DIR`: ranks a sweep's finished tasks by validation accuracy and
// writes leaderboard.csv and leaderboard.md into the sweep directory.
#include "commands.hpp"
#include "pancan/config.hpp"
#include "pancan/log.hpp"
#include "pancan/mpi.hpp"
#include "pancan/report.hpp"
#include "pancan/sweep.hpp"

namespace pancan::cli {

namespace {
po::options_description leaderboard_options() {
  po::options_description options;
  options.add_options()("sweep", po::value<std::string>()->value_name("DIR"),
                        "the sweep directory (`pancan sweep --out DIR`); also the first "
                        "positional argument (required)")(
      "top", po::value<int>()->default_value(10), "rows of leaderboard.md's ranking table")(
      "quiet", po::bool_switch(), "do not print leaderboard.md");
  return options;
}
}  // namespace

int leaderboard(const Args& args) {
  const auto options = leaderboard_options();
  po::positional_options_description positional;
  positional.add("sweep", 1);
  const auto command_line = parse_command_line("leaderboard", options, args, &positional);
  if (command_line.help) {
    say(help_text(
        "pancan leaderboard DIR [--top N]",
        "Collects the results of a sweep's tasks (runs/ID/report.json) into DIR/leaderboard.csv\n"
        "(every task) and DIR/leaderboard.md (the best N with their test scores, then the\n"
        "failed, unfinished and missing tasks). Tasks are ranked by validation accuracy at the\n"
        "epoch whose weights the model keeps, ties by lower validation loss: the test split\n"
        "never chooses the configuration it then scores. Safe to run while tasks still run.",
        options));
    return kExitOk;
  }
  const auto& values = command_line.values;
  require_option(values.count("sweep") > 0, "sweep", "the sweep directory is required");
  const int top = values["top"].as<int>();
  require_option(top > 0, "top", "must be at least 1");
  const auto directory = values["sweep"].as<std::string>();

  // Serial work on rank 0; the other ranks learn whether it worked.
  const auto world = mpi::Comm::world();
  std::size_t finished = 0, tasks = 0;
  mpi::agree(world, [&] {
    if (!world.is_root()) return;
    const auto board = collect_leaderboard(read_sweep(directory));
    const auto markdown = leaderboard_markdown(board, static_cast<std::size_t>(top));
    write_text_atomically(directory + "/leaderboard.csv", leaderboard_csv(board));
    write_text_atomically(directory + "/leaderboard.md", markdown);
    if (!values["quiet"].as<bool>()) say(markdown);
    finished = board.ranked.size();
    tasks = board.tasks;
  });
  say(strprintf("leaderboard: %zu of %zu tasks finished; %s/leaderboard.md, %s/leaderboard.csv",
                finished, tasks, directory.c_str(), directory.c_str()));
  return kExitOk;
}

}  // namespace pancan::cli
