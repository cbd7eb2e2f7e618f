#!/usr/bin/env bash
# Regenerates the reference files of tests/cli/prepare.sh (run from anywhere):
#   tests/data/prepare/make_references.sh BUILD_DIR/pancan
# The --fit-on all references depend only on the CSV files and pandas. The --fit-on train
# references take the training rows from obs/split of a file `pancan prepare` wrote with
# its defaults (seed 2023, test 1/3, validation 0.2), so they also pin the split.
# The synthetic data is `pancan synth` with its defaults (801 x 20531, seed 2023); the
# test regenerates it and compares, so a change to the generator shows up here too.
set -euo pipefail
pancan=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$here/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
py=/usr/bin/python3

reference() {  # name expression labels
  local name=$1 expression=$2 labels=$3
  "$pancan" convert --expression "$expression" --labels "$labels" --out "$work/$name.h5ad" >/dev/null
  "$pancan" prepare --data "$work/$name.h5ad" >/dev/null
  $py "$here/make_prepare_reference.py" --expression "$expression" --labels "$labels" \
    --quantile 0.8 --fit-on all --out "$here/${name}_q0.8_all.json.gz"
  $py "$here/make_prepare_reference.py" --expression "$expression" --labels "$labels" \
    --split "$work/$name.h5ad" --quantile 0.8 --fit-on train --out "$here/${name}_q0.8_train.json.gz"
}

reference golub "$data/golub/expression.csv" "$data/golub/labels.csv"
"$pancan" synth --out "$work/synth" >/dev/null
reference synth "$work/synth/expression.csv" "$work/synth/labels.csv"
# The file name of the synthetic CSV is a temporary one; drop it from the reference.
for f in "$here"/synth_*.json.gz; do
  $py - "$f" <<'PY'
import gzip, json, sys
path = sys.argv[1]
with gzip.open(path, "rt") as f:
    ref = json.load(f)
ref["expression"] = "pancan synth (defaults)"
with gzip.open(path, "wt") as f:
    json.dump(ref, f, separators=(",", ":"))
PY
done
ls -l "$here"/*.json.gz
