#!/usr/bin/env bash
# A loss that is NaN or infinite stops training at once on every rank, with one message
# naming the epoch and the step and pointing at the usual causes (learning rate,
# unscaled inputs); exit 1, no model file claiming to be complete.
# timeout: 120
set -u
: "${PANCAN:?}" "${MPIEXEC:?}" "${PANCAN_SCRATCH:?}"
rm -rf "$PANCAN_SCRATCH" && mkdir -p "$PANCAN_SCRATCH" && cd "$PANCAN_SCRATCH" || exit 1
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

"$PANCAN" synth --out raw --samples 200 --genes 300 > /dev/null &&
  "$PANCAN" convert --expression raw/expression.csv --labels raw/labels.csv --out data.h5 > /dev/null &&
  "$PANCAN" prepare --data data.h5 --top-genes 50 > /dev/null || { echo "FAIL: setup"; exit 1; }

message='^pancan: error: training diverged: the loss is (NaN|infinite) in epoch 1, step [0-9]+ of 14 \(learning rate 1e\+30\)\. Try a lower --learning-rate, and check that the inputs are scaled'
for ranks in 1 2 3; do
  rm -f m.h5
  if [ "$ranks" -eq 1 ]; then
    timeout 60 "$PANCAN" train --data data.h5 --out m.h5 --learning-rate 1e30 --batch-size 8 \
      < /dev/null > out.log 2> err.log
  else
    timeout 60 "$MPIEXEC" --oversubscribe -n "$ranks" "$PANCAN" train --data data.h5 --out m.h5 \
      --learning-rate 1e30 --batch-size 8 < /dev/null > out.log 2> err.log
  fi
  code=$?
  if [ "$code" -ne 1 ]; then fail "$ranks ranks: exit $code, expected 1"; cat err.log
  elif [ "$(grep -c '^pancan: error: ' err.log)" -ne 1 ] || ! grep -qE "$message" err.log; then
    fail "$ranks ranks: message"; cat err.log
  elif grep -q MPI_ABORT err.log; then fail "$ranks ranks: the ranks did not agree"; cat err.log
  elif [ -e m.h5 ]; then fail "$ranks ranks: a model file was written"
  elif grep -q "^epoch 1/" out.log; then fail "$ranks ranks: the epoch finished anyway"
  else echo "ok   $ranks ranks: $(grep -o 'the loss is [a-zA-Z]* in epoch 1, step [0-9]*' err.log)"; fi
done

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
