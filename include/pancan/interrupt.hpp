// Stop requests by signal. SLURM sends SIGTERM at a job's time limit and on preemption
// (SIGKILL follows after KillWait, 30 s by default); mpiexec passes SIGTERM and SIGINT on
// to every rank; a user presses Ctrl-C. While a StopSignals object lives, such a signal
// only sets a flag, which the training loop polls after every step
// (TrainControl::stop_requested): the ranks agree on it, finish the step, write a
// checkpoint and exit with kExitPreempted (75); `pancan train --resume` or a rerun of
// `pancan run` continues from there. A second SIGINT ends the process at once (a user who
// will not wait); repeated SIGTERMs do not (SLURM may signal a task twice: once itself,
// once through srun). Outside training the signals keep their default action: the
// other stages write their outputs by atomic rename, so dying there loses no good file.
#pragma once

namespace pancan {

class StopSignals {
 public:
  StopSignals();   // installs the handlers for SIGTERM and SIGINT
  ~StopSignals();  // restores the previous ones
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The signal that asked this process to stop (SIGTERM, SIGINT), or 0 for none.
  static int received();
};

}  // namespace pancan
