// Output path checks (see output.hpp).
#include "pancan/output.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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

bool replace_file_keeping_old(const std::string& from, const std::string& to,
                              std::error_code& error) {
  error.clear();
  struct stat existing {};
  if (::lstat(to.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_EXCHANGE) == 0)
      return true;  // `from` now names the old file
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP && errno != ENOENT) {
      error.assign(errno, std::generic_category());
      return false;
    }
  }
  std::filesystem::rename(from, to, error);
  return false;
}

void replace_file(const std::string& from, const std::string& to, std::error_code& error) {
  // Failing to remove the old file loses nothing: it is a leftover like a killed run's.
  if (replace_file_keeping_old(from, to, error)) ::unlink(from.c_str());
}

}  // namespace pancan
