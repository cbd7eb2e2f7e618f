// Formatting of located input errors.
#include "pancan/error.hpp"

namespace pancan {

namespace {
std::string locate(const std::string& file, long line, long column, const std::string& what) {
  std::string where = file;
  if (line > 0) where += ":" + std::to_string(line);
  if (line > 0 && column > 0) where += ":" + std::to_string(column);
  return where + ": " + what;
}
}  // namespace

InputError::InputError(const std::string& file, long line, long column, const std::string& what)
    : Error(locate(file, line, column, what)), file_(file), line_(line), column_(column) {}

}  // namespace pancan
