// libFuzzer target: the option reader (config.hpp). The input up to the first NUL byte is
// an INI job file given as --config; each further NUL-separated piece is one
// command-line word. The options mirror a real command's kinds (strings, int, uint64,
// double, switch). Bad input must end in a UsageError; anything else is a finding. The
// list parsers get the INI text as a value too.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "pancan/config.hpp"
#include "pancan/error.hpp"

namespace {

// The INI text as a file without touching the disk: a memfd, named by /proc/self/fd.
class MemoryFile {
 public:
  MemoryFile() : fd_(memfd_create("pancan-fuzz.ini", 0)) {
    if (fd_ < 0) std::abort();
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { close(fd_); }
  const std::string& write(std::string_view text) {
    if (ftruncate(fd_, 0) != 0 ||
        pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
      std::abort();
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static MemoryFile file;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string_view ini = input.substr(0, nul);
  std::vector<std::string> args = {"--config", file.write(ini)};
  for (std::size_t at = nul; at != std::string_view::npos && at < input.size();) {
    const auto next = input.find('\0', at + 1);
    args.emplace_back(input.substr(at + 1, next == std::string_view::npos ? next : next - at - 1));
    at = next;
  }

  pancan::po::options_description options("fuzz options");
  options.add_options()("data", pancan::po::value<std::string>(), "")(
      "hidden", pancan::po::value<std::string>()->default_value("100"), "")(
      "epochs", pancan::po::value<int>()->default_value(10), "")(
      "seed", pancan::po::value<std::uint64_t>()->default_value(2023), "")(
      "learning-rate", pancan::po::value<double>()->default_value(1e-3, "0.001"), "")(
      "model", pancan::po::value<std::vector<std::string>>()->composing(), "")(
      "resume", pancan::po::bool_switch(), "");
  try {
    const auto line = pancan::parse_command_line("train", options, args);
    if (!line.help && line.values.count("hidden"))
      pancan::parse_int_list("hidden", line.values["hidden"].as<std::string>());
  } catch (const pancan::UsageError&) {
  }
  try {
    pancan::parse_double_list("fuzz", std::string(ini));
  } catch (const pancan::UsageError&) {
  }
  return 0;
}
