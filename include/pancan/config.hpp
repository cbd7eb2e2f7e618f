// Command-line and INI option parsing shared by every subcommand.
//
// Every command takes `--help` and `--config FILE`. The INI file uses the same option
// names as the command line (`hidden = 100,10`); values given on the command line
// override the file's. Keys at the top of the file must be options of the command
// reading it; keys under a `[command]` section apply only to that command, so one job
// file can hold the options of several stages. Unknown options and bad values are
// UsageErrors that name the option (and the file).
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "pancan/error.hpp"

namespace pancan {

namespace po = boost::program_options;

struct CommandLine {
  po::variables_map values;
  bool help = false;        // --help was given: the caller prints help_text() and stops
  std::string config_file;  // --config, if given
};

// Parses `args` (the words after the command name) for `command` against `options`.
// Positional arguments are accepted only where `positional` names them.
CommandLine parse_command_line(const std::string& command, const po::options_description& options,
                               const std::vector<std::string>& args,
                               const po::positional_options_description* positional = nullptr);

// "usage: pancan COMMAND ...\n<summary>\n\nOptions:\n..." for `--help`.
std::string help_text(const std::string& usage, const std::string& summary,
                      const po::options_description& options);

// Parses a comma-separated list of integers ("100,10"; "" = empty), naming `option` in
// the error for a bad element.
std::vector<int> parse_int_list(const std::string& option, const std::string& text);
std::vector<double> parse_double_list(const std::string& option, const std::string& text);

// Throws UsageError("--OPTION: MESSAGE") unless `ok`.
void require_option(bool ok, const std::string& option, const std::string& message);

}  // namespace pancan
