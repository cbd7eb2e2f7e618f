#!/usr/bin/python3
"""The statistics of `pancan prepare --fit-on all` done the notebook's way, for
bench/prepare: pandas var (ddof=1), the 0.8-quantile, the selection and scikit-learn's
MinMaxScaler fit, on the frame already in memory (loading it is not timed).

    prepare_pandas.py DATASET.h5ad [REPEATS]   -> prints "SECONDS GENES_KEPT" (best run)
"""
import sys
import time

import h5py
import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler

path = sys.argv[1]
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
with h5py.File(path, "r") as f:
    X = pd.DataFrame(f["X"][:])  # float32, samples x genes, as the notebook's frame

best, kept = float("inf"), 0
for _ in range(repeats):
    start = time.perf_counter()
    variances = X.var()
    threshold = variances.quantile(0.8)
    keep = variances >= threshold
    scaler = MinMaxScaler().fit(X.loc[:, keep.to_numpy()])
    best = min(best, time.perf_counter() - start)
    kept = int(keep.sum())
print(f"{best:.4f} {kept}")
