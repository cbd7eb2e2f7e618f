// Rank-0 printing, per-rank log files and progress lines.
#include "pancan/log.hpp"

#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

namespace pancan {

namespace {
int world_rank() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return 0;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}
}  // namespace

std::string strprintf(const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  const int length = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  std::string out(static_cast<std::size_t>(length > 0 ? length : 0), '\0');
  std::vsnprintf(out.data(), out.size() + 1, format, args);
  va_end(args);
  return out;
}

void say(const std::string& line) {
  if (world_rank() != 0) return;
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void warn(const std::string& line) {
  if (world_rank() != 0) return;
  std::fprintf(stderr, "pancan: warning: %s\n", line.c_str());
}

void rank_log(const std::string& line) {
  const char* dir = std::getenv("PANCAN_LOG_DIR");
  if (dir == nullptr || *dir == '\0') return;
  std::ofstream out(std::string(dir) + "/rank" + std::to_string(world_rank()) + ".log",
                    std::ios::app);
  out << line << '\n';
}

bool stdout_is_terminal() {
  if (isatty(STDOUT_FILENO) == 0) return false;
  // Open MPI's mpiexec hands every process a pseudo-terminal whatever its own stdout is;
  // what counts is mpiexec's stdout (this process's parent): a terminal, or a file/pipe?
  if (std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr) return true;
  const std::string parent = "/proc/" + std::to_string(getppid()) + "/fd/1";
  char target[256];
  const auto length = readlink(parent.c_str(), target, sizeof target - 1);
  if (length <= 0) return false;  // cannot tell: plain lines are safe everywhere
  const std::string where(target, static_cast<std::size_t>(length));
  return where.starts_with("/dev/pts/") || where.starts_with("/dev/tty");
}

double wall_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

Progress::Progress(std::string what) : what_(std::move(what)), terminal_(stdout_is_terminal()) {
  if (!terminal_) say(what_ + " ...");
}

void Progress::update(const std::string& line) {
  if (!terminal_ || world_rank() != 0) return;
  const double now = wall_seconds();
  if (now - last_ < 0.2) return;
  last_ = now;
  std::fprintf(stdout, "\r\033[K%s: %s", what_.c_str(), line.c_str());
  std::fflush(stdout);
  drawn_ = true;
}

void Progress::finish(const std::string& line) {
  if (terminal_ && drawn_ && world_rank() == 0) std::fputs("\r\033[K", stdout);
  say(what_ + ": " + line);
}

}  // namespace pancan
