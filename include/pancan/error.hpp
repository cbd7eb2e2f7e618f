// Error types. Every failure is an exception that carries its context; `main` prints it
// once as `pancan: error: ...` and chooses the exit code from the type.
#pragma once

#include <stdexcept>
#include <string>

namespace pancan {

// Process exit codes, documented in the README ("When things go wrong").
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,       // bad input, I/O failure, numerical failure
  kExitUsage = 2,       // bad command line or config file
  kExitPreempted = 75,  // stopped by SIGTERM/SIGINT after writing a checkpoint (EX_TEMPFAIL)
};

// Anything that went wrong; the message says what was being done.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad command line, option value or config file.
class UsageError : public Error {
 public:
  using Error::Error;
};

// A problem in a user's input file at a known place: "FILE:LINE:COLUMN: what".
// line/column are 1-based; 0 means "not applicable" and is left out of the message.
class InputError : public Error {
 public:
  InputError(const std::string& file, long line, long column, const std::string& what);
  const std::string& file() const { return file_; }
  long line() const { return line_; }
  long column() const { return column_; }

 private:
  std::string file_;
  long line_;
  long column_;
};

}  // namespace pancan
