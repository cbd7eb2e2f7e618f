#!/usr/bin/env bash
# On a real single-node SLURM cluster (slurm/local-cluster: munged, slurmctld, slurmd under a
# temporary directory): slurm/pancan.sbatch runs `pancan run` on synthetic data with 2 tasks
# (2 MPI ranks via srun), and slurm/submit-sweep runs the 4-task jobs/sweep-ci.ini as a job
# array after its prepare step, then the leaderboard. Checks the reports and the ranking,
# and that every daemon the test started is gone afterwards, whatever happened.
# labels: slurm
# timeout: 600
set -euo pipefail
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
src=$PANCAN_SOURCE_DIR
scratch=$PANCAN_SCRATCH
rm -rf "$scratch"
mkdir -p "$scratch"
SLURM_TEST_LOGS="$scratch/*.out $scratch/sweep/logs/*.out" # globs, printed if the test fails
# shellcheck source=lib/slurm_test_cluster.sh
source "$src/tests/cli/lib/slurm_test_cluster.sh"

"$PANCAN" synth --samples 300 --genes 2000 --seed 11 --out "$scratch/data" >/dev/null
"$src/slurm/local-cluster" start
source "$SLURM_LOCAL_DIR/env.sh"
[[ $(cluster_processes | wc -l) -ge 3 ]] || fail "local-cluster start did not leave its daemons running"
sinfo -h -o '%T' | grep -qx idle || fail "the node is not idle: $(sinfo)"

cd "$scratch" # the jobs' working directory: relative paths in the scripts resolve here
cat >run.ini <<'INI'
# CI-sized: the two notebook networks, fewer epochs, a faster learning rate.
epochs = 5
learning-rate = 0.003
INI

# 1. The pipeline as one job of 2 tasks.
pipeline=$(sbatch --parsable --ntasks=2 --output="$scratch/pancan-%j.out" \
  --export=ALL,PANCAN="$PANCAN",PANCAN_CONFIG="$scratch/run.ini",PANCAN_EXPRESSION=data/expression.csv,PANCAN_LABELS=data/labels.csv,PANCAN_OUT=run \
  "$src/slurm/pancan.sbatch")
# 2. The sweep: prepare, a 4-task array after it, the leaderboard after that.
submitted=$(PANCAN="$PANCAN" "$src/slurm/submit-sweep" --grid "$src/jobs/sweep-ci.ini" --out sweep \
  --expression data/expression.csv --labels data/labels.csv --ntasks 1)
echo "$submitted"
prepare=$(awk '$1 == "prepare" { print $2 }' <<<"$submitted")
array=$(awk '$1 == "array" { print $2 }' <<<"$submitted")
board=$(awk '$1 == "leaderboard" { print $2 }' <<<"$submitted")
[[ -n $prepare && -n $array && -n $board ]] || fail "submit-sweep did not print the three job ids"
[[ $(awk '$1 == "array" { print $3 }' <<<"$submitted") == 0-3 ]] || fail "the array is not 0-3: $submitted"
scontrol show job "$array" | grep -q "Dependency=afterok:$prepare" ||
  scontrol show job "$array" | grep -q "JobState=\(RUNNING\|COMPLETED\)" ||
  fail "the array does not wait for the prepare step: $(scontrol show job "$array")"

"$src/slurm/slurm-wait" 420 "$pipeline" "$prepare" "$array" "$board" || fail "some job did not complete"

# The pipeline job: 2 ranks, the default models (the notebook's two networks and the
# softmax-regression baseline) evaluated.
out="$scratch/pancan-$pipeline.out"
grep -q "pancan.sbatch: job $pipeline, 2 rank(s)" "$out" || fail "pancan.sbatch header: $(head -3 "$out")"
[[ -s run/report.json && -s run/report.html && -s run/report.md ]] || fail "no report in run/"
/usr/bin/python3 - run/report.json <<'PY' || fail "run/report.json"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ranks"] == 2, f"ranks {r['ranks']}"
assert [m["name"] for m in r["models"]] == ["model1", "model2", "softmax"], [m["name"] for m in r["models"]]
for m in r["models"]:
    assert m["history"], m["name"]
    assert m["test"]["accuracy"] > 0.5, (m["name"], m["test"]["accuracy"])
PY

# The sweep: every task ran as an array task in its own folder, on the shared data.
for i in 0 1 2 3; do
  log="sweep/logs/task-${array}_$i.out"
  grep -q "sweep.sbatch: task $i of array job $array" "$log" || fail "$log does not show array task $i"
  id=$(printf '%03d' "$i")
  grep -q "^done" "sweep/runs/$id/status" || fail "task $id status: $(cat "sweep/runs/$id/status")"
  [[ -s sweep/runs/$id/report.json && -s sweep/runs/$id/model.h5 ]] || fail "task $id has no report or model"
done
[[ $(ls sweep/data) == *dataset.h5* ]] || fail "no shared dataset"
grep -q "^done" sweep/data/status || fail "prepare step status: $(cat sweep/data/status)"

# The leaderboard job ranked all four by validation accuracy, and shows the best's test scores.
[[ -s sweep/leaderboard.md && -s sweep/leaderboard.csv ]] || fail "no leaderboard"
grep -q "4 tasks: 4 finished, 0 failed, 0 unfinished, 0 missing" sweep/leaderboard.md ||
  fail "leaderboard.md: $(head -5 sweep/leaderboard.md)"
/usr/bin/python3 - sweep <<'PY' || fail "leaderboard.csv does not rank the reports"
import csv, json, sys
sweep = sys.argv[1]
rows = list(csv.DictReader(open(f"{sweep}/leaderboard.csv")))
assert [r["rank"] for r in rows] == ["1", "2", "3", "4"], rows
def key(task):
    m = json.load(open(f"{sweep}/runs/{task}/report.json"))["models"][0]
    epoch = m["history"][-1] if not m.get("kept_epoch") else next(
        e for e in m["history"] if e["epoch"] == m["kept_epoch"])
    return (-epoch["val_accuracy"], epoch["val_loss"], int(task)), m["test"]["accuracy"]
keys = {r["task"]: key(r["task"]) for r in rows}
assert [r["task"] for r in rows] == sorted(keys, key=lambda t: keys[t][0]), rows
for r in rows:
    assert abs(float(r["test_accuracy"]) - keys[r["task"]][1]) < 1e-6, r
    assert float(r["val_accuracy"]) == -keys[r["task"]][0][0] or abs(float(r["val_accuracy"]) + keys[r["task"]][0][0]) < 1e-6
options = {(r["hidden"], r["dropout"]) for r in rows}
assert options == {("32", "0.2"), ("32", "0.5"), ("32,8", "0.2"), ("32,8", "0.5")}, options
PY
best=$(awk -F, 'NR == 2 { print $2 }' sweep/leaderboard.csv)
grep -q "^\*\*Best:\*\* task $best" sweep/leaderboard.md || fail "leaderboard.md does not name task $best best"

echo "slurm_cluster: ok (pipeline job $pipeline, sweep array $array)"
