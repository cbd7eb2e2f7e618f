// SIGTERM/SIGINT as a stop request (see interrupt.hpp): the handler only stores the
// signal number in a lock-free atomic, the one thing a handler may safely do.
#include "pancan/interrupt.hpp"

#include <atomic>
#include <csignal>

#include "pancan/error.hpp"

namespace pancan {

namespace {

std::atomic<int> stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

struct sigaction previous_term, previous_int;

extern "C" void on_stop_signal(int signal) { stop_signal.store(signal); }

void install(int signal, int flags, struct sigaction* previous) {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: a system call the signal interrupts returns EINTR instead of resuming.
  // That matters when mpiexec gets the SIGTERM: it stops reading the ranks' output while
  // it waits to pass the signal on, so rank 0 can be blocked writing an epoch line, and a
  // resumed write would keep it there until SIGKILL. Interrupted, the line is lost and
  // the rank reaches the next step, where it stops. (MPI and HDF5 retry on EINTR.)
  action.sa_flags = flags;
  if (::sigaction(signal, &action, previous) != 0)
    throw Error("cannot install the handler for signal " + std::to_string(signal));
}

}  // namespace

StopSignals::StopSignals() {
  stop_signal.store(0);
  install(SIGTERM, 0, &previous_term);
  install(SIGINT, SA_RESETHAND, &previous_int);  // the second Ctrl-C kills
}

StopSignals::~StopSignals() {
  ::sigaction(SIGTERM, &previous_term, nullptr);
  ::sigaction(SIGINT, &previous_int, nullptr);
}

int StopSignals::received() { return stop_signal.load(std::memory_order_relaxed); }

}  // namespace pancan
