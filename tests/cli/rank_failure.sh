#!/usr/bin/env bash
# One rank fails, the job ends: PANCAN_FAULT makes one non-root rank throw (or die by
# SIGKILL) at points of every stage (convert, prepare, train, evaluate, predict) at 2 and
# 3 ranks. Every run must end within seconds (no rank left waiting in a collective),
# exit non-zero, print the failing rank's message, and leave no file at the output path
# (or, where the fault falls after the rename, a complete one). A malformed PANCAN_FAULT
# is an error, so these checks cannot pass because the hook did nothing.
# timeout: 300
set -u
: "${PANCAN:?}" "${MPIEXEC:?}" "${PANCAN_SCRATCH:?}" "${PANCAN_TEST_DATA:?}"
data=$PANCAN_TEST_DATA/bad  # the corpus' good expression.csv / labels.csv: 12 x 4, 2 classes
rm -rf "$PANCAN_SCRATCH" && mkdir -p "$PANCAN_SCRATCH" && cd "$PANCAN_SCRATCH" || exit 1

"$PANCAN" convert --expression "$data/expression.csv" --labels "$data/labels.csv" \
  --out raw.h5 > /dev/null && cp raw.h5 dataset.h5 &&
  "$PANCAN" prepare --data dataset.h5 --quantile 0.5 > /dev/null &&
  "$PANCAN" train --data dataset.h5 --out model.h5 --epochs 1 --hidden 3 > /dev/null ||
  { echo "FAIL: fixtures"; exit 1; }

failures=0
# expect_failure FAULT RANKS OUTPUT ARGS...: pancan ARGS at RANKS ranks with
# PANCAN_FAULT=FAULT must fail within the limit, naming the fault; OUTPUT must be absent
# (or "-" for none to check).
expect_failure() {
  local fault=$1 ranks=$2 output=$3
  shift 3
  rm -rf out && mkdir out && cp dataset.h5 out/dataset.h5
  local start end code seconds
  start=$(date +%s.%N)
  (cd out && PANCAN_FAULT=$fault timeout 60 "$MPIEXEC" --oversubscribe -n "$ranks" "$PANCAN" "$@" \
    < /dev/null > ../stdout.txt 2> ../stderr.txt)
  code=$?
  end=$(date +%s.%N)
  seconds=$(echo "$end - $start" | bc)
  local what="$fault at $ranks ranks ($1)"
  local rank=${fault%%:*} stage_point=${fault#*:}
  stage_point=${stage_point%:kill}
  if [ "$code" -eq 124 ]; then
    echo "FAIL $what: hung (killed by timeout after 60 s)"; failures=$((failures + 1))
  elif [ "$code" -eq 0 ]; then
    echo "FAIL $what: exit code 0"; failures=$((failures + 1))
  elif (($(echo "$seconds > 20" | bc))); then
    echo "FAIL $what: took $seconds s to end"; failures=$((failures + 1))
  elif [[ "$fault" != *:kill ]] &&
    ! grep -q "^pancan: error: injected fault (PANCAN_FAULT) on rank $rank at ${stage_point%@*}" stderr.txt; then
    echo "FAIL $what: the failing rank's message is missing:"; cat stderr.txt; failures=$((failures + 1))
  elif [[ "$fault" == *:kill ]] && ! grep -q "signal 9 (Killed)" stderr.txt; then
    echo "FAIL $what: mpiexec did not report the killed rank:"; cat stderr.txt; failures=$((failures + 1))
  elif [ "$output" != "-" ] && [ -e "out/$output" ]; then
    echo "FAIL $what: out/$output exists"; failures=$((failures + 1))
  else
    printf 'ok   %s: exit %d after %.2f s\n' "$what" "$code" "$seconds"
  fi
}

for ranks in 2 3; do
  last=$((ranks - 1))
  convert=(convert --expression "$data/expression.csv" --labels "$data/labels.csv" --out new.h5)
  for point in start parsed writing; do expect_failure "$last:convert:$point" "$ranks" new.h5 "${convert[@]}"; done
  expect_failure "$last:convert:writing:kill" "$ranks" new.h5 "${convert[@]}"
  for point in start statistics; do
    expect_failure "$last:prepare:$point" "$ranks" dataset.h5.prepare-tmp prepare --data dataset.h5
  done
  train=(train --data dataset.h5 --out m.h5 --epochs 3 --hidden 3)
  expect_failure "$last:train:start" "$ranks" m.h5 "${train[@]}"
  expect_failure "$last:train:step@2" "$ranks" - "${train[@]}"
  expect_failure "$last:train:step@2:kill" "$ranks" - "${train[@]}"
  for point in start predicted; do
    expect_failure "$last:evaluate:$point" "$ranks" report.json evaluate --data dataset.h5 \
      --model ../model.h5 --out .
    expect_failure "$last:predict:$point" "$ranks" p.csv predict --model ../model.h5 \
      --expression "$data/expression.csv" --out p.csv
  done
done

# PANCAN_LOG_DIR: every rank's log records the error, also where rank 0 alone printed it.
rm -rf logs && mkdir logs
PANCAN_LOG_DIR=$PWD/logs PANCAN_FAULT="2:convert:parsed:throw" timeout 60 "$MPIEXEC" --oversubscribe -n 3 \
  "$PANCAN" convert --expression "$data/expression.csv" --labels "$data/labels.csv" --out x.h5 \
  < /dev/null > /dev/null 2>&1
PANCAN_LOG_DIR=$PWD/logs timeout 60 "$MPIEXEC" --oversubscribe -n 3 "$PANCAN" convert \
  --expression "$data/nan.csv" --labels "$data/labels.csv" --out x.h5 < /dev/null > /dev/null 2>&1
logs_ok() {
  grep -q "error: injected fault (PANCAN_FAULT) on rank 2 at convert:parsed" logs/rank2.log || return 1
  for r in 0 1 2; do
    grep -q "error (from rank [0-9]): .*nan.csv:6:10: 'NaN' is not a finite number" "logs/rank$r.log" || return 1
  done
}
if logs_ok; then
  echo "ok   PANCAN_LOG_DIR: per-rank logs hold the errors"
else
  echo "FAIL PANCAN_LOG_DIR:"; tail -n 5 logs/*; failures=$((failures + 1))
fi

# A malformed PANCAN_FAULT is an error of its own, not silence.
PANCAN_FAULT="1:convert:start:explode" "$PANCAN" convert --expression "$data/expression.csv" \
  --labels "$data/labels.csv" --out x.h5 > /dev/null 2> stderr.txt
if grep -q "unknown action 'explode'" stderr.txt; then echo "ok   malformed PANCAN_FAULT"
else echo "FAIL malformed PANCAN_FAULT:"; cat stderr.txt; failures=$((failures + 1)); fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
