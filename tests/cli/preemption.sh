#!/usr/bin/env bash
# SIGTERM/SIGINT during training: the ranks finish the step, agree to stop at the same
# step, write a checkpoint and exit 75; `train --resume` (or rerunning `pancan run`) then
# ends with exactly the weights of an uninterrupted run (numpy compares every weight).
#   - SLURM style: every rank gets SIGTERM (PANCAN_FAULT=*:train:step@N:term);
#   - one rank only gets it (the others learn of it through the per-step agreement);
#   - mpiexec gets it and passes it on (Open MPI waits odls_base_sigkill_timeout seconds
#     before it signals the ranks, and as long again before SIGKILL);
#   - Ctrl-C (SIGINT) of a single process, sent from outside mid-run;
#   - `pancan run` stopped in training, then rerun.
# timeout: 300
set -u
: "${PANCAN:?}" "${MPIEXEC:?}" "${PANCAN_SCRATCH:?}"
rm -rf "$PANCAN_SCRATCH" && mkdir -p "$PANCAN_SCRATCH" && cd "$PANCAN_SCRATCH" || exit 1
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
run2() { "$MPIEXEC" --oversubscribe -n 2 "$PANCAN" "$@" < /dev/null; }

"$PANCAN" synth --out raw --samples 200 --genes 300 > /dev/null &&
  run2 convert --expression raw/expression.csv --labels raw/labels.csv --out data.h5 > /dev/null &&
  run2 prepare --data data.h5 --top-genes 50 > /dev/null || { echo "FAIL: setup"; exit 1; }
# 107 training rows, batch 8: 14 steps an epoch; step 20 is step 6 of epoch 2.
train=(train --data data.h5 --hidden 16,8 --epochs 3 --batch-size 8)
run2 "${train[@]}" --out straight.h5 > /dev/null || fail "uninterrupted run"

# same_weights A B: every weight and bias equal, both complete, same history length.
same_weights() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
import h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
assert int(a.attrs["complete"]) == 1 and int(b.attrs["complete"]) == 1, "not complete"
assert len(a["history/loss"]) == len(b["history/loss"]), "history lengths differ"
for layer in a["weights"]:
    for part in ("kernel", "bias"):
        x, y = a["weights"][layer][part][:], b["weights"][layer][part][:]
        assert np.array_equal(x, y), f"{layer}/{part}: max difference {np.abs(x - y).max()}"
np.testing.assert_allclose(a["history/loss"][:], b["history/loss"][:], rtol=1e-12)
PY
}
# stopped_at FILE: "complete next_epoch next_step" of a checkpoint.
stopped_at() {
  /usr/bin/python3 -c "
import h5py; f = h5py.File('$1', 'r'); c = f['checkpoint']
print(int(f.attrs['complete']), int(c.attrs['next_epoch']), int(c.attrs['next_step']))"
}

# interrupted NAME FAULT: a 2-rank run stopped by FAULT at step 20, then resumed.
interrupted() {
  local name=$1 fault=$2
  rm -f "$name.h5"
  PANCAN_FAULT=$fault run2 "${train[@]}" --out "$name.h5" > "$name.log" 2>&1
  local code=$?
  if [ "$code" -ne 75 ]; then fail "$name: exit $code, expected 75"; cat "$name.log"; return; fi
  grep -q "stopped in epoch 2 at step 6; checkpoint written" "$name.log" ||
    { fail "$name: no stop message"; cat "$name.log"; }
  [ "$(stopped_at "$name.h5")" == "0 1 6" ] || fail "$name: checkpoint at $(stopped_at "$name.h5"), want 0 1 6"
  run2 "${train[@]}" --out "$name.h5" --resume > "$name.resume.log" 2>&1 ||
    { fail "$name: resume"; cat "$name.resume.log"; return; }
  grep -q "resuming $name.h5 at epoch 2, step 6" "$name.resume.log" || fail "$name: resume message"
  if same_weights straight.h5 "$name.h5"; then echo "ok   $name: exit 75 at epoch 2 step 6, resumed to the same weights"
  else fail "$name: resumed weights differ from the uninterrupted run"; fi
}
interrupted every-rank '*:train:step@20:term'
interrupted one-rank '1:train:step@20:term'

# mpiexec gets SIGTERM: Open MPI's mpiexec sends the ranks SIGCONT, sleeps
# odls_base_sigkill_timeout seconds (reading none of their output meanwhile), sends
# SIGTERM, sleeps as long again and sends SIGKILL. So the run must outlast the first
# sleep, and rank 0, blocked writing epoch lines nobody reads, must still stop: the
# checkpoint must be a mid-epoch one (step >= 1) written by the stop, not the last
# epoch-end one SIGKILL left behind. mpiexec itself exits non-zero.
long=(train --data data.h5 --hidden 16 --batch-size 8)
PANCAN_FAULT='0:train:step@20:term-parent' OMPI_MCA_odls_base_sigkill_timeout=3 \
  timeout 60 "$MPIEXEC" --oversubscribe -n 2 "$PANCAN" "${long[@]}" --epochs 100000 --out long.h5 \
  < /dev/null > long.log 2>&1
code=$?
read -r complete epoch step <<<"$(stopped_at long.h5 2>/dev/null)"
if [ "$code" -eq 0 ] || [ "$code" -eq 124 ]; then fail "mpiexec SIGTERM: exit $code"; cat long.log
elif [ "${complete:-}" != 0 ] || [ "${step:-0}" -eq 0 ]; then
  fail "mpiexec SIGTERM: no checkpoint written by the stop ($complete $epoch $step)"
else echo "ok   mpiexec SIGTERM: exit $code, checkpoint in epoch $((epoch + 1)) at step $step"; fi
run2 "${long[@]}" --epochs $((epoch + 2)) --out long.h5 --resume > long.resume.log 2>&1 &&
  [ "$(stopped_at long.h5)" == "1 $((epoch + 2)) 0" ] && echo "ok   mpiexec SIGTERM: resumed to the end" ||
  { fail "mpiexec SIGTERM: resume"; cat long.resume.log; }

# Ctrl-C of a single process, from outside, once it is training.
"$PANCAN" "${long[@]}" --epochs 100000 --out int.h5 < /dev/null > int.log 2>&1 &
pid=$!
for _ in $(seq 200); do grep -q "^epoch 1/" int.log && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"
code=$?
if [ "$code" -eq 75 ] && grep -q "stopped by signal 2; continue with the same command and --resume" int.log &&
  [ "$(stopped_at int.h5 | cut -d' ' -f1)" == 0 ]; then echo "ok   SIGINT: exit 75 with a checkpoint"
else fail "SIGINT: exit $code"; cat int.log; fi

# pancan run: stopped in the first model's training, rerun to the end; same weights as an
# uninterrupted pancan run.
job=(run --expression raw/expression.csv --labels raw/labels.csv --top-genes 50 --epochs 3
  --batch-size 8 --model m1:16 --model m2:16,8)
run2 "${job[@]}" --out run-straight > run-straight.log 2>&1 || { fail "pancan run"; cat run-straight.log; }
PANCAN_FAULT='*:train:step@30:term' run2 "${job[@]}" --out run-stopped > run-stopped.log 2>&1
code=$?
[ "$code" -eq 75 ] || { fail "pancan run stopped: exit $code"; cat run-stopped.log; }
[ -e run-stopped/report.json ] && fail "pancan run stopped: it went on to the report"
run2 "${job[@]}" --out run-stopped > run-resumed.log 2>&1 || { fail "pancan run rerun"; cat run-resumed.log; }
grep -q "resuming from the checkpoint" run-resumed.log || fail "pancan run rerun did not resume"
for m in m1 m2; do
  if same_weights "run-straight/$m.h5" "run-stopped/$m.h5"; then echo "ok   pancan run stopped and rerun: $m has the same weights"
  else fail "pancan run stopped and rerun: $m differs"; fi
done

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
