// Human-facing output. Rank 0 prints for humans through say()/warn(); other ranks stay
// quiet unless asked to log to their own file (PANCAN_LOG_DIR). When stdout is not a
// terminal (a SLURM job), progress is one line per event, never a redrawn bar.
#pragma once

#include <cstdarg>
#include <string>

namespace pancan {

// printf-style formatting into a std::string.
std::string strprintf(const char* format, ...) __attribute__((format(printf, 1, 2)));

// A line on stdout from rank 0 of MPI_COMM_WORLD (or from the only process).
void say(const std::string& line);
// A line `pancan: warning: ...` on stderr from rank 0.
void warn(const std::string& line);
// A line in this rank's own log file, when PANCAN_LOG_DIR is set (else nothing).
void rank_log(const std::string& line);

// True when stdout is a terminal (progress may redraw one line in place).
bool stdout_is_terminal();

// Seconds since an arbitrary fixed point, for timings.
double wall_seconds();

// A progress reporter for long work on rank 0: on a terminal it redraws one line at
// most every 0.2 s; elsewhere it prints only the start and finish lines.
class Progress {
 public:
  explicit Progress(std::string what);
  // `line` is the current state, e.g. "512.0 MB parsed, 610 MB/s".
  void update(const std::string& line);
  void finish(const std::string& line);

 private:
  std::string what_;
  bool terminal_;
  double last_ = 0;
  bool drawn_ = false;
};

}  // namespace pancan
