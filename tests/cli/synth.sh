#!/usr/bin/env bash
# `pancan synth` end to end: the UCI file layout, the same bytes at 1 and 3 ranks, the
# class counts, value format and range (read back with pandas), and bad options.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
scratch=${PANCAN_SCRATCH:?}
rm -rf "$scratch" && mkdir -p "$scratch"
mpi=("$MPIEXEC" --oversubscribe)

# 1 and 3 ranks (3 does not divide 100 rows), into a directory that does not exist yet.
"${mpi[@]}" -n 1 "$PANCAN" synth --samples 100 --genes 300 --seed 7 --out "$scratch/one/deep" \
  >"$scratch/one.log"
"${mpi[@]}" -n 3 "$PANCAN" synth --samples 100 --genes 300 --seed 7 --out "$scratch/three" \
  >"$scratch/three.log"
cmp "$scratch/one/deep/expression.csv" "$scratch/three/expression.csv" || fail "bytes differ at 1 and 3 ranks"
cmp "$scratch/one/deep/labels.csv" "$scratch/three/labels.csv" || fail "labels differ at 1 and 3 ranks"
[[ $(ls -A "$scratch/three") == $'expression.csv\nlabels.csv' ]] || fail "extra files: $(ls -A "$scratch/three")"
grep -qE "100 samples x 300 genes, .* MB/s" "$scratch/three.log" || fail "no summary: $(cat "$scratch/three.log")"
[[ $(grep -c "samples x" "$scratch/three.log") == 1 ]] || fail "summary not printed once"
# Another seed gives other data.
"$PANCAN" synth --samples 100 --genes 300 --seed 8 --out "$scratch/seed8" >/dev/null
cmp -s "$scratch/three/expression.csv" "$scratch/seed8/expression.csv" && fail "seed has no effect"

# Layout with awk (mawk: no {m,n} intervals): header, ids, field counts, value format.
awk -F, -v genes=300 '
  NR == 1 { if ($1 != "" || NF != genes + 1) { print "bad header"; exit 1 }
            for (g = 2; g <= NF; ++g) if ($g != "gene_" (g - 2)) { print "bad gene id " $g; exit 1 }
            next }
  { if (NF != genes + 1) { print "row " NR ": " NF " fields"; exit 1 }
    if ($1 != "sample_" (NR - 2)) { print "row " NR ": id " $1; exit 1 }
    for (g = 2; g <= NF; ++g)
      if ($g !~ /^([0-9]|1[0-9]|20)\.([0-9]?[0-9]?[0-9]?[0-9]?[0-9]?[1-9]|0)$/) { print "row " NR ": value " $g; exit 1 } }
  END { if (NR != 101) { print NR " lines"; exit 1 } }' "$scratch/three/expression.csv" ||
  fail "expression.csv layout"
grep -q $'\r' "$scratch/three/expression.csv" "$scratch/three/labels.csv" && fail "CR in output"
[[ $(head -1 "$scratch/three/labels.csv") == ",Class" ]] || fail "labels header"

# Read back with pandas: class counts (100 of 801 -> 37 18 18 17 10), range, zeros.
/usr/bin/python3 - "$scratch/three" <<'PY' || fail "pandas read-back"
import sys
import pandas as pd
d = sys.argv[1]
x = pd.read_csv(f"{d}/expression.csv", index_col=0)
y = pd.read_csv(f"{d}/labels.csv", index_col=0)["Class"]
assert x.shape == (100, 300), x.shape
assert list(x.index) == list(y.index) == [f"sample_{i}" for i in range(100)]
counts = y.value_counts().to_dict()
assert counts == {"BRCA": 37, "KIRC": 18, "LUAD": 18, "PRAD": 17, "COAD": 10}, counts
assert list(y) != sorted(y), "classes are not shuffled"
v = x.to_numpy()
assert v.min() == 0.0 and 10 < v.max() <= 20.0, (v.min(), v.max())
assert 0.03 < (v == 0).mean() < 0.3, (v == 0).mean()
print("pandas: shape, ids, class counts, range and zeros ok")
PY

# The smallest size: one sample per class.
"$PANCAN" synth --samples 5 --genes 1 --out "$scratch/five" >/dev/null
[[ $(tail -n +2 "$scratch/five/labels.csv" | cut -d, -f2 | sort | tr '\n' ' ') == "BRCA COAD KIRC LUAD PRAD " ]] ||
  fail "5 samples: $(cat "$scratch/five/labels.csv")"

# Bad options: exit 2, one message naming the option, nothing written.
expect_usage_error() {  # RANKS=K runs it under mpiexec
  local option=$1; shift
  local run=("$PANCAN")
  [[ -n ${RANKS:-} ]] && run=("${mpi[@]}" -n "$RANKS" "$PANCAN")
  set +e
  err=$("${run[@]}" synth "$@" 2>&1 >/dev/null); rc=$?
  set -e
  [[ $rc == 2 ]] || fail "synth $* exited $rc, want 2 ($err)"
  grep -q -- "$option" <<<"$err" || fail "synth $*: message does not name $option: $err"
  [[ $(grep -c "pancan: error" <<<"$err") == 1 ]] || fail "synth $*: want one error line: $err"
}
RANKS=2 expect_usage_error --samples --samples 2 --out "$scratch/bad"
expect_usage_error --genes --genes 0 --out "$scratch/bad"
expect_usage_error --out --samples 10
expect_usage_error seed --seed lots --out "$scratch/bad"
[[ ! -e "$scratch/bad" ]] || fail "a failed run created $scratch/bad"

# An output path that cannot be a directory: exit 1, no half-written file anywhere.
touch "$scratch/a_file"
set +e
err=$("${mpi[@]}" -n 2 "$PANCAN" synth --samples 10 --genes 5 --out "$scratch/a_file/out" 2>&1 >/dev/null); rc=$?
set -e
[[ $rc == 1 ]] || fail "unusable --out exited $rc, want 1 ($err)"
grep -q "a_file/out" <<<"$err" || fail "message does not name the directory: $err"

# --help documents every option with its default.
help=$("$PANCAN" synth --help)
for want in "--samples" "(=801)" "--genes" "(=20531)" "--seed" "(=2023)" "--out"; do
  grep -qF -- "$want" <<<"$help" || fail "synth --help lacks '$want'"
done
echo "synth: all checks passed"
