// Output path checks (see output.hpp).
#include "pancan/output.hpp"

#include <unistd.h>

#include <filesystem>

#include "pancan/error.hpp"

namespace pancan {

void check_output_path(const std::string& path) {
  const std::filesystem::path file(path);
  const std::filesystem::path dir = file.parent_path().empty() ? "." : file.parent_path();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw Error(path + ": the output directory " + dir.string() + " does not exist");
  // Writing a temporary file beside the output and renaming it needs write and search
  // permission on the directory.
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw Error(path + ": the output directory " + dir.string() + " is not writable");
  if (std::filesystem::is_directory(file, ec)) throw Error(path + ": is a directory");
}

}  // namespace pancan
