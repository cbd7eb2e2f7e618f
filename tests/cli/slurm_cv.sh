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
SLURM_TEST_LOGS="$scratch/*.out" # globs, printed if the test fails
# shellcheck source=lib/slurm_test_cluster.sh
source "$src/tests/cli/lib/slurm_test_cluster.sh"

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
