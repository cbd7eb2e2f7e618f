#!/usr/bin/env bash
# pancan convert -> anndata.read_h5ad (Debian's python3-anndata): the Golub data (real,
# 38 x 3051) at 2 ranks loads with the right shape, sample ids, gene ids, label categories
# and values equal to the CSV's (read by pandas) to float32 rounding; the same for a
# gzip input written with --compression 4 and a label column picked by --label-column.
# Also checks the progress output when stdout is not a terminal: a start and an end line.
set -eu
: "${PANCAN:?}" "${MPIEXEC:?}" "${PANCAN_SCRATCH:?}" "${PANCAN_TEST_DATA:?}"
rm -rf "$PANCAN_SCRATCH" && mkdir -p "$PANCAN_SCRATCH" && cd "$PANCAN_SCRATCH"
golub=$PANCAN_TEST_DATA/golub

"$MPIEXEC" --oversubscribe -n 2 "$PANCAN" convert --expression "$golub/expression.csv" \
  --labels "$golub/labels.csv" --out golub.h5ad > stdout.txt
cat stdout.txt
[ "$(wc -l < stdout.txt)" -eq 2 ] || { echo "expected a start and an end line"; exit 1; }
grep -q "^convert .*expression.csv \.\.\.$" stdout.txt
grep -Eq "^convert .*: 38 samples x 3051 genes, 2 classes, [0-9.]+ MB in [0-9.]+ s \([0-9]+ MB/s, 2 ranks\) -> golub.h5ad$" stdout.txt
if grep -q $'\r' stdout.txt; then echo "progress redrawn although stdout is a file"; exit 1; fi

# The labels again, gzip-compressed, with a second column that is the one to use.
awk -F, 'NR == 1 {print ",Lineage,Class"; next}
         {print $1 "," ($2 == "ALL" ? "lymphoid" : "myeloid") "," $2}' "$golub/labels.csv" \
  | gzip > labels2.csv.gz
gzip -c "$golub/expression.csv" > expression.csv.gz
"$MPIEXEC" --oversubscribe -n 3 "$PANCAN" convert --expression expression.csv.gz \
  --labels labels2.csv.gz --label-column Lineage --compression 4 --out lineage.h5ad > /dev/null

/usr/bin/python3 - "$golub" <<'PY'
import sys
import anndata
import h5py
import numpy as np
import pandas as pd

golub = sys.argv[1]
# round_trip = correctly rounded float64, as strtod; float32 of that is pancan's value.
expression = pd.read_csv(f"{golub}/expression.csv", index_col=0, float_precision="round_trip")
labels = pd.read_csv(f"{golub}/labels.csv", index_col=0)

def check(path, column, categories, expected_labels):
    adata = anndata.read_h5ad(path)
    assert adata.shape == (38, 3051), adata.shape
    assert list(adata.obs_names) == list(expression.index)
    assert list(adata.var_names) == list(expression.columns)
    assert adata.X.dtype == np.float32
    assert np.array_equal(adata.X, expression.to_numpy().astype(np.float32))
    assert list(adata.obs.columns) == [column], list(adata.obs.columns)
    assert list(adata.obs[column].cat.categories) == categories
    assert list(adata.obs[column].astype(str)) == list(expected_labels), column
    with h5py.File(path) as f:
        assert set(f.keys()) <= {"X", "obs", "var", "uns", "layers", "obsm", "obsp", "varm", "varp"}
        assert f["X"].chunks == (38, 1024), f["X"].chunks
        assert f[f"obs/{column}/codes"].dtype == np.int8
    return adata

a = check("golub.h5ad", "Class", ["ALL", "AML"], labels.loc[expression.index, "Class"])
assert (a.obs.Class == "ALL").sum() == 27 and (a.obs.Class == "AML").sum() == 11
lineage = labels.loc[expression.index, "Class"].map({"ALL": "lymphoid", "AML": "myeloid"})
check("lineage.h5ad", "Lineage", ["lymphoid", "myeloid"], lineage)
with h5py.File("lineage.h5ad") as f:
    assert f["X"].compression == "gzip" and f["X"].compression_opts == 4
print("anndata round trip ok")
PY
