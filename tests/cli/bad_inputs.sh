#!/usr/bin/env bash
# The bad-input corpus (tests/data/bad/cases.tsv) at 1 and 3 ranks: every case exits with
# its code on every rank within the timeout (no hang), prints exactly one
# `pancan: error: ...` line holding the expected text, agreed by the ranks (no MPI_Abort),
# and leaves no file behind: the scratch directory, the corpus and the fixtures look as
# they did before. One rank runs as a singleton (no mpiexec), as users run it on a laptop.
# Set BAD_CASES=regex to run only the matching cases.
# timeout: 400
set -u
: "${PANCAN:?}" "${MPIEXEC:?}" "${PANCAN_SCRATCH:?}" "${PANCAN_TEST_DATA:?}"
bad=$PANCAN_TEST_DATA/bad
rm -rf "$PANCAN_SCRATCH" && mkdir -p "$PANCAN_SCRATCH/fx" && cd "$PANCAN_SCRATCH" || exit 1
fx=$PANCAN_SCRATCH/fx

# Fixtures, made by pancan itself so they always have the current file formats.
make_fixtures() {
  "$PANCAN" convert --expression "$bad/expression.csv" --labels "$bad/labels.csv" --out raw.h5 &&
    cp raw.h5 dataset.h5 && "$PANCAN" prepare --data dataset.h5 --quantile 0.5 &&
    "$PANCAN" train --data dataset.h5 --out model.h5 --epochs 1 --hidden 3 &&
    "$PANCAN" convert --expression "$bad/other-genes.csv" --labels "$bad/labels.csv" \
      --out other.h5 && "$PANCAN" prepare --data other.h5 --quantile 0.5 &&
    "$PANCAN" train --data other.h5 --out other-model.h5 --epochs 1 --hidden 3 &&
    head -c 3000 dataset.h5 > trunc-dataset.h5 && head -c 3000 model.h5 > trunc-model.h5
}
(cd "$fx" && make_fixtures > make.log 2>&1) || { echo "FAIL: fixtures"; cat "$fx/make.log"; exit 1; }

listing() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort); }
corpus_before=$(listing "$bad")
fixtures_before=$(listing "$fx")

# run RANKS ARGS...
run() {
  local ranks=$1
  shift
  if [ "$ranks" -eq 1 ]; then timeout 60 "$PANCAN" "$@"
  else timeout 60 "$MPIEXEC" --oversubscribe -n "$ranks" "$PANCAN" "$@"; fi
}

# check NAME CODE EXPECTED COMMAND SETUP RANKS: one case at one rank count, in its own
# directory; prints "ok ..." or "FAIL ..." (the cases run a few at a time: most of their
# time is MPI start-up latency, not CPU).
check() {
  local name=$1 code=$2 expected=$3 command=$4 setup=$5 ranks=$6
  local dir=$PANCAN_SCRATCH/cases/$name.np$ranks
  mkdir -p "$dir/work" && cd "$dir" || return
  command=${command//\{bad\}/$bad}
  command=${command//\{fx\}/$fx}
  local words
  read -r -a words <<<"$command"
  for pair in $setup; do
    pair=${pair//\{bad\}/$bad}
    pair=${pair//\{fx\}/$fx}
    cp "${pair%%:*}" "work/${pair#*:}"
  done
  local before got errors count match
  before=$(listing work)
  (cd work && run "$ranks" "${words[@]}" < /dev/null > ../stdout.txt 2> ../stderr.txt)
  got=$?
  local what="$name ($ranks rank$([ "$ranks" -gt 1 ] && echo s))"
  errors=$(grep '^pancan: error: ' stderr.txt)
  count=$(grep -c '^pancan: error: ' stderr.txt)
  if [[ "$expected" == re:* ]]; then match=(grep -qE -- "${expected#re:}")
  else match=(grep -qF -- "$expected"); fi
  if [ "$got" -eq 124 ]; then
    echo "FAIL $what: still running after 60 s (a hang)"
  elif [ "$got" -ne "$code" ]; then
    echo "FAIL $what: exit code $got, expected $code"; cat stderr.txt
  elif [ "$code" -eq 0 ]; then
    if ! "${match[@]}" stdout.txt; then echo "FAIL $what: stdout lacks '$expected'"; cat stdout.txt
    elif [ "$count" -ne 0 ]; then echo "FAIL $what: error lines on success"; cat stderr.txt
    else echo "ok   $what: accepted"; fi
  elif [ "$count" -ne 1 ]; then
    echo "FAIL $what: $count error lines, expected 1"; cat stderr.txt
  elif ! "${match[@]}" <<<"$errors"; then
    echo "FAIL $what: expected '$expected', got: $errors"
  elif grep -q "MPI_ABORT" stderr.txt; then
    echo "FAIL $what: the ranks did not agree (MPI_Abort)"; cat stderr.txt
  elif [ "$(listing work)" != "$before" ]; then
    echo "FAIL $what: files left behind: $(listing work | tr '\n' ' ')"
  else
    echo "ok   $what: ${errors#pancan: error: }"
  fi
}

cases=0
mkdir -p cases
while IFS=$'\t' read -r name code expected command setup; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  [[ -n "${BAD_CASES:-}" && ! "$name" =~ $BAD_CASES ]] && continue
  cases=$((cases + 1))
  for ranks in 1 3; do
    while [ "$(jobs -rp | wc -l)" -ge 4 ]; do wait -n; done
    check "$name" "$code" "$expected" "$command" "$setup" "$ranks" > "cases/$cases.np$ranks.log" &
  done
done < "$bad/cases.tsv"
wait
cat $(ls cases/*.log | sort -t/ -k2 -n)
failures=$(cat cases/*.log | grep -c '^FAIL')
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

[ "$(listing "$bad")" == "$corpus_before" ] || fail "the corpus directory changed: $(listing "$bad" | tr '\n' ' ')"
[ "$(listing "$fx")" == "$fixtures_before" ] || fail "the fixtures changed: $(listing "$fx" | tr '\n' ' ')"
[ "$cases" -ge 30 ] || [ -n "${BAD_CASES:-}" ] || fail "only $cases cases in cases.tsv"
echo "$cases cases, $failures failure(s)"
[ "$failures" -eq 0 ]
