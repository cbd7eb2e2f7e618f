#!/usr/bin/env bash
# Cross-validation as a SLURM job array on a real single-node cluster
# (slurm/local-cluster): slurm/submit-cv runs fold task 0 (which also converts and
# prepares), the other fold tasks as an array after it, and the summary after them; the
# summary must reuse every task's file and give the same fold scores as `pancan cv` run
# directly with mpiexec. Every daemon the test started must be gone afterwards.
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
[[ $(id -u) == 0 ]] || fail "the local SLURM cluster runs its daemons as root (CI runs as root)"

# Short: the munge socket path must fit in 108 bytes.
export SLURM_LOCAL_DIR
SLURM_LOCAL_DIR=$(mktemp -d /tmp/pancan-slurm.XXXXXX)
cluster_processes() { # this test's SLURM daemons and job steps that are running, if any
  local pid
  for pid in $(ps -e -o pid=,comm= | awk '$2 ~ /^(munged|slurmctld|slurmd|slurmstepd|slurmscriptd)$/ { print $1 }'); do
    # Ours: named in the command line (--socket=DIR/..., -f DIR/etc/slurm.conf), working in
    # DIR (slurmstepd), or marked in the environment by local-cluster.
    if grep -qF -- "$SLURM_LOCAL_DIR" "/proc/$pid/cmdline" 2>/dev/null ||
      [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$SLURM_LOCAL_DIR"/* ]] ||
      { tr '\0' '\n' <"/proc/$pid/environ" | grep -qxF "PANCAN_LOCAL_CLUSTER=$SLURM_LOCAL_DIR"; } 2>/dev/null; then
      echo "$pid"
    fi
  done
}
finish() {
  local rc=$?
  trap - EXIT
  if ((rc != 0)); then
    echo "--- slurm logs (test failed) ---" >&2
    tail -n 25 "$SLURM_LOCAL_DIR"/log/slurmctld.log "$SLURM_LOCAL_DIR"/log/slurmd.log >&2 2>/dev/null || true
    for f in "$scratch"/*.out; do
      [[ -f $f ]] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }
    done
  fi
  "$src/slurm/local-cluster" stop || rc=1
  local left
  left=$(cluster_processes)
  if [[ -n $left ]]; then
    echo "FAIL: processes of the test's cluster outlived it:" >&2
    ps -o pid,ppid,comm,args -p "$(echo $left | tr ' ' ,)" >&2 || true
    rc=1
  fi
  rm -rf "$SLURM_LOCAL_DIR"
  exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

"$PANCAN" synth --samples 200 --genes 1500 --seed 5 --out "$scratch/data" >/dev/null
"$src/slurm/local-cluster" start
source "$SLURM_LOCAL_DIR/env.sh"
sinfo -h -o '%T' | grep -qx idle || fail "the node is not idle: $(sinfo)"

cd "$scratch"
cat >cv.ini <<'INI'
expression = data/expression.csv
labels = data/labels.csv
out = slurm-out
model = net:16
model = softmax:
model = knn:knn
epochs = 2
cv-folds = 3
cv-repeats = 1
INI
submitted=$(PANCAN="$PANCAN" "$src/slurm/submit-cv" --config cv.ini --ntasks 1 -- --output="$scratch/cv-%A_%a.out")
echo "$submitted"
first=$(awk '$1 == "first" { print $2 }' <<<"$submitted")
array=$(awk '$1 == "array" { print $2 }' <<<"$submitted")
summary=$(awk '$1 == "summary" { print $2 }' <<<"$submitted")
[[ -n $first && -n $array && -n $summary ]] || fail "submit-cv did not print the three job ids"
[[ $(awk '$1 == "array" { print $3 }' <<<"$submitted") == 1-2 ]] || fail "the array is not 1-2: $submitted"
"$src/slurm/slurm-wait" 420 "$first" "$array" "$summary" || fail "some job did not complete"

for task in 0 1 2; do
  [[ -s slurm-out/cv/fold-$task.json ]] || fail "no file of fold task $task"
done
[[ -s slurm-out/cv.json ]] || fail "the summary job wrote no cv.json"
log=$(ls "$scratch"/cv-"$summary"*.out | head -1)
grep -q "cv.sbatch: summary" "$log" || fail "summary log: $(head -3 "$log")"
[[ $(grep -c "from slurm-out/cv/fold-" "$log") == 3 ]] || fail "the summary recomputed a fold: $(cat "$log")"

# The same cross-validation directly.
"$MPIEXEC" --oversubscribe -n 1 "$PANCAN" cv --config cv.ini --out direct >direct.log
/usr/bin/python3 - <<'PY'
import json
a, b = json.load(open("slurm-out/cv.json")), json.load(open("direct/cv.json"))
scores = lambda cv: [[(f["accuracy"], f["macro_f1"]) for f in m["folds"]] for m in cv["models"]]
assert scores(a) == scores(b), f"job array {scores(a)} != direct {scores(b)}"
assert [m["name"] for m in a["models"]] == ["net", "softmax", "knn"]
PY
echo "ok"
