// The subcommands of `pancan`, one file each under src/cli/. Each takes the words after
// the command name and returns the process exit code; errors are thrown (main reports).
#pragma once

#include <string>
#include <vector>

namespace pancan::cli {

using Args = std::vector<std::string>;

struct Command {
  const char* name;
  const char* summary;  // one line for `pancan --help`
  int (*run)(const Args& args);
};

// The table main() dispatches on, in the order `pancan --help` lists them.
const std::vector<Command>& commands();

int synth(const Args& args);
int convert(const Args& args);
int prepare(const Args& args);
int train(const Args& args);
int evaluate(const Args& args);
int predict(const Args& args);
int report(const Args& args);
int run(const Args& args);
int sweep(const Args& args);
int leaderboard(const Args& args);
int knn(const Args& args);
int cv(const Args& args);

}  // namespace pancan::cli
