#!/usr/bin/python3
"""Reference gene statistics for `pancan prepare`, computed by pandas/scikit-learn from
the original CSV files (not from pancan's .h5ad), for tests/cli/prepare.sh.

    make_prepare_reference.py --expression CSV --labels CSV [--split H5AD]
                              --quantile Q --fit-on all|train --out REF.json.gz

--fit-on all: the statistics over every sample, as the original notebook
(`X.var()`, `v.quantile(q)`, `v >= threshold`, MinMaxScaler). --fit-on train: over the
training rows only; which rows those are is read from obs/split of a file that
`pancan prepare` wrote (--split), so the reference also pins the split itself.

The CSV values are parsed by pandas and cast to float32 (as /X stores them); variances
are numpy float64 var(ddof=1) of those float32 values (pandas' DataFrame.var).

Commands that made the stored files (from the repository root, numpy 1.24.2,
pandas 1.5.3, scikit-learn 1.2.1, Debian 12), see README.md beside this script.
"""
import argparse
import gzip
import json

import h5py
import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler

parser = argparse.ArgumentParser()
parser.add_argument("--expression", required=True)
parser.add_argument("--labels", required=True)
parser.add_argument("--split")
parser.add_argument("--quantile", type=float, required=True)
parser.add_argument("--fit-on", choices=["all", "train"], required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

X = pd.read_csv(args.expression, index_col=0).astype(np.float32)
labels = pd.read_csv(args.labels, index_col=0)
assert set(labels.index) == set(X.index)

split_codes = None
if args.fit_on == "train":
    with h5py.File(args.split, "r") as f:
        ids = [s.decode() for s in f["obs/_index"][:]]
        codes = f["obs/split/codes"][:]
        categories = [s.decode() for s in f["obs/split/categories"][:]]
    split = pd.Series([categories[c] for c in codes], index=ids)
    split = split.loc[X.index]  # the CSV's row order
    split_codes = "".join(str(["train", "validation", "test"].index(s)) for s in split)
    fit = X.loc[(split == "train").to_numpy()]
else:
    fit = X

variances = fit.astype(np.float64).var()  # ddof = 1
threshold = variances.quantile(args.quantile)
selected = np.flatnonzero(variances.to_numpy() >= threshold)
scaler = MinMaxScaler().fit(fit.iloc[:, selected])

reference = {
    "expression": args.expression,
    "quantile": args.quantile,
    "fit_on": args.fit_on,
    "samples": int(X.shape[0]),
    "genes": int(X.shape[1]),
    "fit_rows": int(fit.shape[0]),
    "split": split_codes,  # per sample in CSV order: 0 train, 1 validation, 2 test
    "threshold": float(threshold),
    "selected": [int(i) for i in selected],
    "variances": [float(v) for v in variances],
    "minimum": [float(v) for v in scaler.data_min_],
    "maximum": [float(v) for v in scaler.data_max_],
}
with gzip.open(args.out, "wt") as out:
    json.dump(reference, out, separators=(",", ":"))
print(f"{args.out}: {len(selected)} of {X.shape[1]} genes, threshold {threshold!r}, "
      f"{fit.shape[0]} fit rows")
