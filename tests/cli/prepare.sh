#!/usr/bin/env bash
# pancan prepare end to end: the stored statistics and selection equal pandas' on the
# real Golub data and on the default synthetic data (references in tests/data/prepare,
# made by make_references.sh there), at several rank counts; the file still loads with
# anndata; bad parameters fail with clear messages and leave the file untouched.
# timeout: 300
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
py=/usr/bin/python3
ref=$PANCAN_TEST_DATA/prepare
check() { $py "$ref/check_prepared.py" "$@" || fail "check_prepared $*"; }
mpi() { "$MPIEXEC" --oversubscribe -n "$@"; }
rm -rf "$PANCAN_SCRATCH" && mkdir -p "$PANCAN_SCRATCH" && cd "$PANCAN_SCRATCH"

# --- Golub (real data): q = 0.8 keeps 611 genes fitted on all rows, as the notebook ---
"$PANCAN" convert --expression "$PANCAN_TEST_DATA/golub/expression.csv" \
  --labels "$PANCAN_TEST_DATA/golub/labels.csv" --out golub.h5ad >/dev/null
cp golub.h5ad golub-raw.h5ad
out=$("$PANCAN" prepare --data golub.h5ad --fit-on all)
grep -q "kept 611 genes" <<<"$out" || fail "golub --fit-on all: $out"
check "$ref/golub_q0.8_all.json.gz" golub.h5ad
# Training fit (the default) at 3 ranks: same reference, split included.
out=$(mpi 3 "$PANCAN" prepare --data golub.h5ad)
[[ $(grep -c "^prepare: kept" <<<"$out") == 1 ]] || fail "summary not printed once under mpiexec: $out"
check "$ref/golub_q0.8_train.json.gz" golub.h5ad
ls golub.h5ad.* 2>/dev/null && fail "a temporary file was left behind"

# --- the default synthetic data: q = 0.8 keeps 4107 of 20531 genes -------------------
"$PANCAN" synth --out synth >/dev/null
mpi 2 "$PANCAN" convert --expression synth/expression.csv --labels synth/labels.csv \
  --out synth.h5ad >/dev/null
out=$(mpi 2 "$PANCAN" prepare --data synth.h5ad --fit-on all)
grep -q "kept 4107 genes" <<<"$out" || fail "synth --fit-on all: $out"
check "$ref/synth_q0.8_all.json.gz" synth.h5ad
"$PANCAN" prepare --data synth.h5ad >/dev/null
check "$ref/synth_q0.8_train.json.gz" synth.h5ad

# --- --top-genes keeps exactly N ---------------------------------------------------------
mpi 4 "$PANCAN" prepare --data golub.h5ad --top-genes 100 --fit-on all >/dev/null
n=$($py -c "import anndata; print(int(anndata.read_h5ad('golub.h5ad').var.highly_variable.sum()))")
[[ $n == 100 ]] || fail "--top-genes 100 kept $n"

# --- bad parameters: exit code, a message naming the problem, the file untouched --------
cp golub.h5ad before.h5ad
expect_error() {  # code pattern args...
  local code=$1 pattern=$2; shift 2
  set +e
  err=$("$@" 2>&1 >/dev/null); rc=$?
  set -e
  [[ $rc == "$code" ]] || fail "$* exited $rc, want $code: $err"
  grep -q -- "$pattern" <<<"$err" || fail "$* message lacks '$pattern': $err"
  [[ $(grep -c "pancan: error" <<<"$err") == 1 ]] || fail "$*: want one error line: $err"
}
expect_error 2 "--quantile: must be in (0, 1), got 1.5" "$PANCAN" prepare --data golub.h5ad --quantile 1.5
expect_error 2 "--quantile: must be in (0, 1), got 0" "$PANCAN" prepare --data golub.h5ad --quantile 0
expect_error 2 "--top-genes: 5000 is more than the 3051 genes" \
  mpi 2 "$PANCAN" prepare --data golub.h5ad --top-genes 5000
expect_error 2 "not both" "$PANCAN" prepare --data golub.h5ad --top-genes 5 --quantile 0.5
expect_error 2 "--fit-on" "$PANCAN" prepare --data golub.h5ad --fit-on test
expect_error 2 "--test-fraction" "$PANCAN" prepare --data golub.h5ad --test-fraction 1
expect_error 2 "--data" "$PANCAN" prepare
expect_error 1 "not a pancan dataset (run pancan convert)" \
  mpi 2 "$PANCAN" prepare --data "$PANCAN_TEST_DATA/golub/expression.csv"
cmp -s golub.h5ad before.h5ad || fail "a failed prepare changed the file"

# --- --help documents the options -------------------------------------------------------
h=$("$PANCAN" prepare --help)
grep -q -- "--fit-on" <<<"$h" || fail "--help lacks --fit-on"
echo "prepare: ok"
