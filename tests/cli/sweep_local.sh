#!/usr/bin/env bash
# pancan sweep without SLURM: grid expansion (job configs, manifest), --run-local on 2 ranks
# (the shared prepare step, each task on both ranks, the leaderboard), a failing task listed
# as failed, a rerun that runs only what did not finish, a task stopped by a signal and
# resumed, --parallel 2 (single-rank child processes with their own logs), `pancan
# leaderboard`, and errors naming file and line.
set -euo pipefail
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
scratch=$PANCAN_SCRATCH
rm -rf "$scratch"
mkdir -p "$scratch"
cd "$scratch"
"$PANCAN" synth --samples 200 --genes 600 --seed 5 --out data >/dev/null

# dropout 1.5 is not a valid dropout rate: those two tasks must fail, the others finish.
cat >grid.ini <<'INI'
# test grid
hidden = 16 | 16,8
dropout = 0.2, 1.5
epochs = 2
seed = 3
[prepare]
quantile = 0.9
INI

# Expansion alone.
"$PANCAN" sweep --grid grid.ini --out sw --expression data/expression.csv --labels data/labels.csv >/dev/null
[[ $(cat sw/manifest.csv) == "index,id,config,run,hidden,dropout,epochs,seed
0,000,jobs/000.ini,runs/000,16,0.2,2,3
1,001,jobs/001.ini,runs/001,16,1.5,2,3
2,002,jobs/002.ini,runs/002,\"16,8\",0.2,2,3
3,003,jobs/003.ini,runs/003,\"16,8\",1.5,2,3" ]] || fail "manifest.csv: $(cat sw/manifest.csv)"
grep -qx "hidden = 16,8" sw/jobs/002.ini || fail "jobs/002.ini: $(cat sw/jobs/002.ini)"
grep -qx "quantile = 0.9" sw/prepare.ini || fail "prepare.ini lacks the [prepare] section"
[[ ! -e sw/runs/000 ]] || fail "expansion alone ran a task"

# Run it on 2 ranks: exit 1 (two tasks failed), the leaderboard ranks the other two.
set +e
"$MPIEXEC" --oversubscribe -n 2 "$PANCAN" sweep --out sw --run-local >run.log 2>&1
rc=$?
set -e
((rc == 1)) || fail "--run-local with failing tasks exited $rc, want 1: $(tail run.log)"
grep -q "2 of 4 tasks did not finish" run.log || fail "no summary of the failures: $(tail run.log)"
grep -q "quantile 0.9" run.log || fail "the prepare step did not use the grid's [prepare] section"
grep -q "^done" sw/data/status || fail "prepare status: $(cat sw/data/status)"
grep -q "4 tasks: 2 finished, 2 failed, 0 unfinished, 0 missing" sw/leaderboard.md ||
  fail "leaderboard.md: $(head -4 sw/leaderboard.md)"
grep -q "^- 001 (hidden = 16, dropout = 1.5, epochs = 2, seed = 3): failed: train: --dropout" sw/leaderboard.md ||
  fail "leaderboard.md does not say why task 001 failed: $(cat sw/leaderboard.md)"
/usr/bin/python3 - sw <<'PY' || fail "report.json of the finished tasks"
import json, sys
for task in ("000", "002"):
    r = json.load(open(f"{sys.argv[1]}/runs/{task}/report.json"))
    assert r["ranks"] == 2, r["ranks"]
    assert r["models"][0]["name"] == f"task-{task}", r["models"][0]["name"]
    assert len(r["models"][0]["history"]) == 2
PY
[[ $(awk -F, 'NR > 1 && $1 != "" { print $2 }' sw/leaderboard.csv | sort | tr '\n' ' ') == "000 002 " ]] ||
  fail "leaderboard.csv ranks: $(cat sw/leaderboard.csv)"

# A rerun runs only the two that failed (fix the grid by hand: give those tasks dropout 0.4).
sed -i 's/^dropout = 1.5$/dropout = 0.4/' sw/jobs/001.ini sw/jobs/003.ini
stamp=$(stat -c %Y sw/runs/000/report.json)
sleep 1
"$PANCAN" sweep --out sw --run-local >rerun.log 2>&1 || fail "rerun: $(tail rerun.log)"
grep -q "sweep: 2 of 4 tasks to run" rerun.log || fail "rerun did not pick the 2 failed tasks: $(grep sweep: rerun.log)"
grep -q "prepared data are there already" rerun.log || fail "rerun prepared the data again"
[[ $(stat -c %Y sw/runs/000/report.json) == "$stamp" ]] || fail "rerun ran a finished task again"
grep -q "4 tasks: 4 finished" sw/leaderboard.md || fail "after the rerun: $(head -4 sw/leaderboard.md)"

# A signal during training (SLURM's SIGTERM at the time limit, Ctrl-C): the task stops with
# a checkpoint, its status says "stopped", the sweep exits 75 and lists it as unfinished
# (not failed); the same command resumes it from the checkpoint.
printf 'hidden = 16\nepochs = 3\nseed = 3\n' >stop.ini
"$PANCAN" sweep --grid stop.ini --out st --data sw/data/dataset.h5 >/dev/null
set +e
PANCAN_FAULT='*:train:step@6:term' "$MPIEXEC" --oversubscribe -n 2 "$PANCAN" sweep --out st --run-local \
  >stop.log 2>&1
rc=$?
set -e
((rc == 75)) || fail "a sweep stopped by SIGTERM exited $rc, want 75: $(tail stop.log)"
grep -q "^stopped: train stopped by a signal after writing a checkpoint" st/runs/000/status ||
  fail "status of the stopped task: $(cat st/runs/000/status)"
grep -q "0 finished, 0 failed, 1 unfinished" st/leaderboard.md || fail "leaderboard: $(head -4 st/leaderboard.md)"
grep -q "the same command resumes it" stop.log || fail "no word on resuming: $(tail -3 stop.log)"
"$MPIEXEC" --oversubscribe -n 2 "$PANCAN" sweep --out st --run-local >resume.log 2>&1 ||
  fail "resuming the sweep: $(tail resume.log)"
grep -q "resuming .*model.h5 at epoch 2" resume.log || fail "the task did not resume: $(grep -i resum resume.log)"
grep -q "^done" st/runs/000/status || fail "status after resuming: $(cat st/runs/000/status)"

# The same sweep directory refuses another grid.
printf 'dropout = 0.1\n' >other.ini
set +e
err=$("$PANCAN" sweep --grid other.ini --out sw --data sw/data/dataset.h5 2>&1)
rc=$?
set -e
((rc != 0)) && grep -q "already holds a different sweep" <<<"$err" || fail "another grid into sw: rc $rc: $err"

# --parallel 2: single-rank child processes, each with its own log, on a prepared dataset.
printf 'hidden = 8 | 12\nseed = 1, 2\nepochs = 1\n' >small.ini
"$PANCAN" sweep --grid small.ini --out par --data sw/data/dataset.h5 --run-local --parallel 2 >par.log 2>&1 ||
  fail "--parallel 2: $(tail par.log)"
grep -q "4 of 4 tasks to run (2 at a time, one rank each)" par.log || fail "par.log: $(grep sweep: par.log)"
for id in 000 001 002 003; do
  grep -q "^done" "par/runs/$id/status" || fail "par task $id: $(cat "par/runs/$id/status")"
  grep -q "sweep: task $id of 4" "par/runs/$id/log" || fail "par task $id log: $(head -3 "par/runs/$id/log")"
done
[[ ! -e par/data ]] || fail "a sweep on --data made its own data directory"
/usr/bin/python3 -c "
import json
for t in ('000', '001', '002', '003'):
    assert json.load(open(f'par/runs/{t}/report.json'))['ranks'] == 1
" || fail "--parallel tasks did not run on one rank each"

# pancan leaderboard on its own, under mpiexec: one copy of the output.
out=$("$MPIEXEC" --oversubscribe -n 2 "$PANCAN" leaderboard par --top 2)
[[ $(grep -c "^# Sweep leaderboard: par" <<<"$out") == 1 ]] || fail "leaderboard output: $out"
grep -q "Top 2 of 4 shown" par/leaderboard.md || fail "--top 2: $(cat par/leaderboard.md)"

# Errors: a bad grid names file and line; options that do not go together.
printf 'hidden = 8\ndropout = 0.3, 0.3\n' >dup.ini
set +e
err=$("$PANCAN" sweep --grid dup.ini --out dup --data sw/data/dataset.h5 2>&1)
rc=$?
set -e
((rc != 0)) && grep -q "dup.ini:2:.*'dropout' lists '0.3' twice" <<<"$err" || fail "dup grid: rc $rc: $err"
set +e
err=$("$PANCAN" sweep --grid small.ini --out x 2>&1)
rc=$?
set -e
((rc == 2)) && grep -q "needs data" <<<"$err" || fail "sweep without data: rc $rc: $err"
set +e
err=$("$PANCAN" leaderboard nowhere 2>&1)
rc=$?
set -e
((rc != 0)) && grep -q "not a sweep directory" <<<"$err" || fail "leaderboard of nothing: rc $rc: $err"
echo "sweep_local: ok"
