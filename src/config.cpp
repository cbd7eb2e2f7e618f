// Option parsing: command line over INI file, errors that name the option.
#include "pancan/config.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace pancan {

namespace {

// Boost.Program_options builds its error messages by replacing placeholders such as
// %value% or %invalid_line% with the offending text until none is left, so a text that
// itself holds a placeholder never stops (found by tests/fuzz/config_fuzz.cpp: `epochs =
// %value%` hung with ever more memory). No real option or value holds `%name%` (lower
// case and '_' between two '%'); refuse those before Boost sees them.
void check_placeholders(const std::string& text, const std::string& where) {
  for (auto open = text.find('%'); open != std::string::npos; open = text.find('%', open + 1)) {
    auto end = open + 1;
    while (end < text.size() &&
           (std::islower(static_cast<unsigned char>(text[end])) || text[end] == '_'))
      ++end;
    if (end > open + 1 && end < text.size() && text[end] == '%')
      throw UsageError(where + ": '" + text.substr(open, end - open + 1) +
                       "' cannot appear in an option or value");
  }
}

// The INI file's options for `command`: top-level keys, plus `[command]` keys with the
// section prefix removed. Keys of other sections are left for their own commands.
po::parsed_options config_options(const std::string& command, const std::string& path,
                                  const po::options_description& options) {
  std::ifstream in(path);
  // A directory opens as an empty stream: say so rather than read no options from it.
  if (!in || std::filesystem::is_directory(path))
    throw UsageError("--config: cannot read " + path +
                     (std::filesystem::is_directory(path) ? " (a directory)" : ""));
  std::stringstream text;
  text << in.rdbuf();
  text.clear();  // an empty file sets failbit on the copy; it is still a valid (empty) INI
  check_placeholders(text.str(), path);
  po::parsed_options parsed = po::parse_config_file(text, options, /*allow_unregistered=*/true);
  po::parsed_options kept(&options);
  for (auto& option : parsed.options) {
    std::string key = option.string_key;
    const auto dot = key.find('.');
    if (dot != std::string::npos) {
      if (key.substr(0, dot) != command) continue;  // another command's section
      key = key.substr(dot + 1);
    }
    if (options.find_nothrow(key, /*approx=*/false) == nullptr)
      throw UsageError(path + ": unknown option '" + key + "' for 'pancan " + command + "'");
    option.string_key = key;
    option.unregistered = false;
    kept.options.push_back(option);
  }
  return kept;
}

// Boost converts "-1" to 18446744073709551615 for an unsigned option (lexical_cast wraps),
// so `--seed -1` would silently run with another seed: reject a sign on unsigned options.
// `where` prefixes the message ("FILE: " for a config file).
void reject_negative_unsigned(const po::parsed_options& parsed,
                              const po::options_description& options, const std::string& where) {
  for (const auto& option : parsed.options) {
    const auto* description = options.find_nothrow(option.string_key, /*approx=*/false);
    if (description == nullptr || dynamic_cast<const po::typed_value<std::uint64_t>*>(
                                      description->semantic().get()) == nullptr)
      continue;
    for (const auto& value : option.value) {
      const auto first = value.find_first_not_of(" \t");
      if (first != std::string::npos && value[first] == '-')
        throw UsageError(where + "--" + option.string_key +
                         ": must be a non-negative integer, got '" + value + "'");
    }
  }
}

}  // namespace

CommandLine parse_command_line(const std::string& command, const po::options_description& options,
                               const std::vector<std::string>& args,
                               const po::positional_options_description* positional) {
  po::options_description all;
  all.add_options()("help,h", "show this help and exit")(
      "config", po::value<std::string>(), "read options from this INI file (command line wins)");
  all.add(options);

  CommandLine result;
  // --help wins over everything else, even over values that would not parse.
  for (const auto& arg : args)
    if (arg == "--help" || arg == "-h") {
      result.help = true;
      return result;
    }
  for (const auto& arg : args) check_placeholders(arg, "the command line");
  try {
    po::command_line_parser parser(args);
    parser.options(all);
    // No guessing of abbreviations: `--epoch` is an error, not `--epochs`.
    parser.style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing);
    if (positional != nullptr)
      parser.positional(*positional);
    else
      parser.positional(po::positional_options_description());
    const po::parsed_options command_line = parser.run();
    reject_negative_unsigned(command_line, all, "");
    po::store(command_line, result.values);
    if (result.values.count("config")) {
      result.config_file = result.values["config"].as<std::string>();
      // store() keeps the first value it sees, so the command line (stored first) wins.
      // Errors in the file name it: Boost's own messages do not.
      try {
        const po::parsed_options from_file = config_options(command, result.config_file, all);
        reject_negative_unsigned(from_file, all, result.config_file + ": ");
        po::store(from_file, result.values);
      } catch (const po::error& e) {
        throw UsageError(result.config_file + ": " + e.what());
      }
    }
    po::notify(result.values);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return result;
}

std::string help_text(const std::string& usage, const std::string& summary,
                      const po::options_description& options) {
  std::ostringstream out;
  out << "usage: " << usage << "\n\n" << summary << "\n\n";
  po::options_description all("Options", 100, 50);
  all.add_options()("help,h", "show this help and exit")(
      "config", po::value<std::string>()->value_name("FILE"),
      "read options from this INI file (same names; command line wins; keys may sit under a "
      "[command] section)");
  // Add the options one by one: adding the group would print it with its own 80 columns.
  for (const auto& option : options.options()) all.add(option);
  out << all;
  return out.str();
}

namespace {
template <class T>
std::vector<T> parse_list(const std::string& option, const std::string& text) {
  std::vector<T> values;
  std::size_t at = 0;
  while (at <= text.size() && !text.empty()) {
    auto comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(at, comma - at);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    T value{};
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size())
      throw UsageError("--" + option + ": '" + item + "' in '" + text + "' is not a number");
    values.push_back(value);
    at = comma + 1;
  }
  return values;
}
}  // namespace

std::vector<int> parse_int_list(const std::string& option, const std::string& text) {
  return parse_list<int>(option, text);
}

std::vector<double> parse_double_list(const std::string& option, const std::string& text) {
  return parse_list<double>(option, text);
}

void require_option(bool ok, const std::string& option, const std::string& message) {
  if (!ok) throw UsageError("--" + option + ": " + message);
}

}  // namespace pancan
