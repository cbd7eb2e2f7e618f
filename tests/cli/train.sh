#!/usr/bin/env bash
# pancan train end to end at 2 ranks on the default synthetic data (801 x 20531, top 4102
# genes as the notebook): the Keras-style summary with the notebook's parameter counts,
# one line per epoch, a model file that h5py reads and whose weights, run through numpy,
# classify the test split with accuracy >= 0.95; --resume equal to an uninterrupted run;
# the job configs; usage errors.
# timeout: 300
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$PANCAN_SCRATCH" && mkdir -p "$PANCAN_SCRATCH" && cd "$PANCAN_SCRATCH"
run2() { "$MPIEXEC" --oversubscribe -n 2 "$PANCAN" "$@"; }

"$PANCAN" synth --out raw >/dev/null
run2 convert --expression raw/expression.csv --labels raw/labels.csv --out data.h5 >/dev/null
run2 prepare --data data.h5 --top-genes 4102 >/dev/null

out=$(run2 train --config "$PANCAN_SOURCE_DIR/jobs/model1.ini" --data data.h5 --out model1.h5)
echo "$out"
grep -q "Total params: 410,805" <<<"$out" || fail "model 1 total"
grep -q "4102 x 100 + 100 = 410,300" <<<"$out" || fail "model 1 dense count"
grep -q "100 x 5 + 5 = 505" <<<"$out" || fail "model 1 output count"
grep -q "410,300 + 0 + 505 = 410,805" <<<"$out" || fail "model 1 sum"
[[ $(grep -cE "^epoch [0-9]+/10 +loss [0-9.]+ +accuracy [0-9.]+ +val_loss [0-9.]+ +val_accuracy [0-9.]+ .* samples/s" <<<"$out") == 10 ]] ||
  fail "want one line per epoch"
grep -qE "^wrote model1.h5: 10 epochs, weights of epoch 10 " <<<"$out" || fail "final line"

out=$(run2 train --config "$PANCAN_SOURCE_DIR/jobs/model2.ini" --data data.h5 --out model2.h5 --epochs 1)
grep -q "410,300 + 0 + 1,010 + 0 + 55 = 411,365" <<<"$out" || fail "model 2 sum: $out"
grep -q "dropout_1 (Dropout)" <<<"$out" || fail "model 2 layers: $out"

# The model file, read by h5py; the forward pass in numpy on the test split.
/usr/bin/python3 - <<'PY' || fail "model file / test accuracy"
import h5py, numpy as np
m, d = h5py.File("model1.h5", "r"), h5py.File("data.h5", "r")
text = lambda a: [v.decode() if isinstance(v, bytes) else v for v in a]
assert m.attrs["format"] == "pancan-model", m.attrs["format"]
assert m["weights/dense/kernel"].shape == (4102, 100) and m["weights/dense_1/kernel"].shape == (100, 5)
assert len(m["history/loss"]) == 10 and int(m.attrs["complete"]) == 1
genes = text(m["genes"][:])
var_ids = text(d["var"][d["var"].attrs["_index"]][:])
columns = np.array([var_ids.index(g) for g in genes])
split = d["obs/split"]
test = np.flatnonzero(split["codes"][:] == text(split["categories"][:]).index("test"))
label_column = [c for c in d["obs"].attrs["column-order"] if c != "split"][0]
names = text(d["obs"][label_column]["categories"][:])
truth = np.array([text(m["classes"][:]).index(names[c]) for c in d["obs"][label_column]["codes"][:][test]])
x = d["X"][:][test][:, columns]
low, high = m["scaling/minimum"][:], m["scaling/maximum"][:]
x = np.where(high > low, (x - low) / np.where(high > low, high - low, 1), 0)
h = np.maximum(x @ m["weights/dense/kernel"][:] + m["weights/dense/bias"][:], 0)
logits = h @ m["weights/dense_1/kernel"][:] + m["weights/dense_1/bias"][:]
accuracy = float(np.mean(logits.argmax(1) == truth))
print(f"model 1 test accuracy (numpy forward pass): {accuracy:.4f} on {len(test)} samples")
assert accuracy >= 0.95, accuracy
PY

# --resume continues to the same weights as an uninterrupted run (same rank count).
run2 train --data data.h5 --out straight.h5 --epochs 3 --hidden 16 >/dev/null
run2 train --data data.h5 --out resumed.h5 --epochs 2 --hidden 16 >/dev/null
out=$(run2 train --data data.h5 --out resumed.h5 --epochs 3 --hidden 16 --resume)
grep -q "resuming resumed.h5 at epoch 3" <<<"$out" || fail "resume message: $out"
/usr/bin/python3 - <<'PY' || fail "resumed weights differ"
import h5py, numpy as np
a, b = h5py.File("straight.h5", "r"), h5py.File("resumed.h5", "r")
for layer in ("dense", "dense_1"):
    for part in ("kernel", "bias"):
        assert np.array_equal(a[f"weights/{layer}/{part}"][:], b[f"weights/{layer}/{part}"][:]), layer
assert np.array_equal(a["history/val_loss"][:], b["history/val_loss"][:])
PY
set +e
err=$(run2 train --data data.h5 --out other.h5 --epochs 3 --hidden 8 --resume 2>&1 >/dev/null); rc=$?
set -e
[[ $rc == 1 ]] || fail "resume without a checkpoint: exit $rc"
[[ $(grep -c "pancan: error" <<<"$err") == 1 ]] || fail "resume error not reported once: $err"
grep -q "other.h5" <<<"$err" || fail "resume error does not name the file: $err"

# Usage errors name the option and exit 2, once.
for bad in "--hidden 10,x" "--dropout 1.5" "--batch-size 0" "--epochs 0"; do
  set +e
  # shellcheck disable=SC2086
  err=$(run2 train --data data.h5 --out bad.h5 $bad 2>&1 >/dev/null); rc=$?
  set -e
  [[ $rc == 2 ]] || fail "$bad: exit $rc, want 2 ($err)"
  [[ $(grep -c "pancan: error" <<<"$err") == 1 ]] || fail "$bad: want one error line: $err"
  opt=${bad%% *}
  grep -q -- "${opt#--}" <<<"$err" || fail "$bad: message does not name the option: $err"
done
set +e
err=$("$PANCAN" train --out x.h5 2>&1 >/dev/null); rc=$?
set -e
[[ $rc == 2 ]] && grep -q "data" <<<"$err" || fail "missing --data: $rc $err"
echo "train CLI: ok"
