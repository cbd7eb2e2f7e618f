// Fault injection for the reliability tests: every stage calls fault::point() at a few
// named places, and the environment variable
//
//   PANCAN_FAULT=RANK:STAGE[:POINT[@N]][:ACTION]
//
// makes rank RANK of MPI_COMM_WORLD (`*` = every rank) fail there: at the N-th time
// (default 1) it reaches POINT of STAGE (no POINT = the first point of STAGE it reaches).
// ACTION is what a real failure would look like:
//   throw  (default) an Error, as a bad shard or a full disk would raise on that rank alone
//   kill   SIGKILL to itself: a lost node, the OOM killer, a SLURM time limit's last word
//   term   SIGTERM to itself: preemption as SLURM does it (it signals every task itself)
//   term-parent  SIGTERM to its parent, i.e. to mpiexec, which passes it on to every rank
// Unset or empty, point() costs one relaxed load. A malformed PANCAN_FAULT is an Error
// at the first point(), so a typo cannot make a test pass vacuously.
//
// Points (stage: point ...):
//   convert:  start, parsed (table read), writing (temporary file created, /X not yet
//             written), written (before the rename)
//   prepare:  start, statistics (the pass over /X done), writing (inside the copy,
//             before its rename)
//   train:    start, step (after each optimizer step; @N = the N-th step of this run),
//             checkpoint (inside the model file's temporary copy, before its rename)
//   evaluate: start, predicted (this rank's predictions made, before they are gathered),
//             writing (root, before the report files)
//   predict:  start, predicted (as evaluate), writing (root, before the output files)
#pragma once

namespace pancan::fault {

void point(const char* stage, const char* point);

}  // namespace pancan::fault
