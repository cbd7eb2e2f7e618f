#!/usr/bin/env bash
# pancan convert on bad input, at 1 and 3 ranks: for every case in DESIGN.md the run
# exits 1 on all ranks (no hang), prints exactly one `pancan: error: FILE:LINE:COLUMN: ...`
# line, and leaves nothing at --out (nor a partial file beside it). One rank runs as a
# singleton (no mpiexec): Open MPI's mpiexec -n 1 takes seconds to report a failed process.
# timeout: 300
set -u
: "${PANCAN:?}" "${MPIEXEC:?}" "${PANCAN_SCRATCH:?}"
rm -rf "$PANCAN_SCRATCH" && mkdir -p "$PANCAN_SCRATCH/out" && cd "$PANCAN_SCRATCH" || exit 1

good_expression=$',g1,g2,g3\ns1,1,2,3\ns2,4,5,6\ns3,7,8,9\ns4,1.5,2.5,3.5\n'
good_labels=$',Class\ns1,A\ns2,B\ns3,A\ns4,B\n'

failures=0
# run RANKS ARGS...: pancan with RANKS processes.
run() {
  local ranks=$1
  shift
  if [ "$ranks" -eq 1 ]; then timeout 60 "$PANCAN" "$@"
  else timeout 60 "$MPIEXEC" --oversubscribe -n "$ranks" "$PANCAN" "$@"; fi
}

# [OUT=path] check NAME EXPRESSION_TEXT LABELS_TEXT EXPECTED_MESSAGE [extra convert args...]
# The texts are written to expr.csv / labels.csv; "-" leaves the file out entirely.
check() {
  local name=$1 expression=$2 labels=$3 expected=$4
  shift 4
  rm -f expr.csv labels.csv out/* out/.[!.]* 2>/dev/null
  [ "$expression" != "-" ] && printf '%s' "$expression" > expr.csv
  [ "$labels" != "-" ] && printf '%s' "$labels" > labels.csv
  for ranks in 1 3; do
    local out=${OUT:-out/dataset.h5ad}
    run "$ranks" convert --expression expr.csv --labels labels.csv --out "$out" "$@" > stdout.txt 2> stderr.txt
    local code=$?
    local errors
    errors=$(grep -c '^pancan: error: ' stderr.txt)
    if [ "$code" -ne 1 ]; then
      echo "FAIL $name ($ranks ranks): exit code $code, expected 1"; failures=$((failures + 1))
    elif [ "$errors" -ne 1 ]; then
      echo "FAIL $name ($ranks ranks): $errors error lines, expected 1:"; cat stderr.txt
      failures=$((failures + 1))
    elif ! grep -qxF "pancan: error: $expected" stderr.txt; then
      echo "FAIL $name ($ranks ranks): expected 'pancan: error: $expected', got:"; cat stderr.txt
      failures=$((failures + 1))
    elif [ -n "$(ls -A out)" ]; then
      echo "FAIL $name ($ranks ranks): files left in the output directory: $(ls -A out)"
      failures=$((failures + 1))
    else
      echo "ok   $name ($ranks ranks): $expected"
    fi
  done
}

check ragged-row $',g1,g2,g3\ns1,1,2,3\ns2,4,5,6\ns3,7,8\ns4,1,2,3\n' "$good_labels" \
  "expr.csv:4:7: row has 2 values, the header has 3 genes"
check non-numeric $',g1,g2,g3\ns1,1,2,3\ns2,4,abc,6\ns3,7,8,9\ns4,1,2,3\n' "$good_labels" \
  "expr.csv:3:6: 'abc' is not a number (gene g2)"
check non-finite $',g1,g2,g3\ns1,1,2,3\ns2,4,5,6\ns3,7,8,9\ns4,1,2,inf\n' "$good_labels" \
  "expr.csv:5:8: 'inf' is not a finite number (gene g3)"
check duplicate-sample $',g1,g2,g3\ns1,1,2,3\ns2,4,5,6\ns1,7,8,9\ns4,1,2,3\n' "$good_labels" \
  "expr.csv:4:1: duplicate sample id 's1' (also on line 2)"
check duplicate-gene $',g1,g2,g1\ns1,1,2,3\ns2,4,5,6\ns3,7,8,9\ns4,1,2,3\n' "$good_labels" \
  "expr.csv:1:8: duplicate gene id 'g1' (also at column 2)"
check sample-without-label "$good_expression" $',Class\ns1,A\ns2,B\ns3,A\n' \
  "expr.csv:5:1: sample 's4' has no label in labels.csv"
check label-without-sample "$good_expression" $',Class\ns1,A\ns2,B\ns3,A\ns4,B\ns9,A\n' \
  "labels.csv:6:1: label for sample 's9', which is not in expr.csv"
check empty-file "" "$good_labels" "expr.csv:1:1: empty file"
check header-only $',g1,g2,g3\n' "$good_labels" \
  "expr.csv:1:1: header only: the file has no data rows"
check one-class "$good_expression" $',Class\ns1,A\ns2,A\ns3,A\ns4,A\n' \
  "labels.csv:1:2: only one class ('A') in column 'Class'; at least 2 are needed"
check unreadable-file - "$good_labels" "expr.csv: cannot read: No such file or directory"
OUT=missing/dataset.h5ad check output-directory-missing "$good_expression" "$good_labels" \
  "missing/dataset.h5ad: the output directory missing does not exist"
check no-label-column "$good_expression" "$good_labels" \
  "labels.csv:1:1: no column 'Type' in the header (columns: Class; see --label-column)" \
  --label-column Type
check duplicate-label "$good_expression" $',Class\ns1,A\ns2,B\ns3,A\ns4,B\ns2,A\n' \
  "labels.csv:6:1: duplicate sample id 's2' (also on line 3)"

# gzip input: the same messages, with line numbers counted through the decompression.
printf '%s' $',g1,g2,g3\ns1,1,2,3\ns2,4,5,6\ns3,7,8\ns4,1,2,3\n' | gzip > expr.csv.gz
printf '%s' "$good_labels" > labels.csv
for ranks in 1 3; do
  run "$ranks" convert --expression expr.csv.gz \
    --labels labels.csv --out out/dataset.h5ad > stdout.txt 2> stderr.txt
  code=$?
  if [ "$code" -eq 1 ] && grep -qxF "pancan: error: expr.csv.gz:4:7: row has 2 values, the header has 3 genes" stderr.txt \
     && [ -z "$(ls -A out)" ]; then
    echo "ok   gzip-ragged-row ($ranks ranks)"
  else
    echo "FAIL gzip-ragged-row ($ranks ranks): exit $code"; cat stderr.txt; failures=$((failures + 1))
  fi
done

# A good run after all that, so the checks above cannot pass on a broken binary.
printf '%s' "$good_expression" > expr.csv
run 3 convert --expression expr.csv --labels labels.csv \
  --out out/dataset.h5ad > stdout.txt 2> stderr.txt || { echo "FAIL good input"; cat stderr.txt; failures=$((failures + 1)); }
[ -f out/dataset.h5ad ] || { echo "FAIL good input wrote nothing"; failures=$((failures + 1)); }

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
