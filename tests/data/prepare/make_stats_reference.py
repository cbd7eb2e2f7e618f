#!/usr/bin/python3
"""Reference values for tests/stats_test.cpp, computed by numpy/pandas.

Command (from the repository root):
    /usr/bin/python3 tests/data/prepare/make_stats_reference.py > tests/data/prepare/stats_reference.json

Made with numpy 1.24.2 and pandas 1.5.3 (Debian 12). Contents:
  matrix:     a seeded float32 matrix (rows x genes, row-major) with hard cases: a large
              offset with a small spread (cancellation), a constant gene, tied variances;
  variances:  pandas DataFrame.var() (ddof=1) of the float64 values of those float32s;
  minimum/maximum per gene;
  quantiles:  pandas Series.quantile(q) of the variances for several q, plus numpy's
              np.quantile on a few extra value sets (ties, n = 1, 2, and 20531 generated values);
  selected:   genes with variance >= the q-quantile (pandas), for q in `quantiles`;
  top:        Series.nlargest(n, keep='first') index sorted ascending, for several n.
"""
import json

import numpy as np
import pandas as pd

rng = np.random.default_rng(20240605)
rows, genes = 97, 37
scale = rng.uniform(0.1, 5.0, genes)
X = rng.normal(0.0, 1.0, (rows, genes)) * scale + rng.uniform(-3, 12, genes)
X[:, 3] = 1.0e4 + rng.normal(0.0, 1e-2, rows)    # cancellation: big mean, tiny spread
X[:, 5] = 2.5                                     # constant gene
X[:, 11] = X[:, 7]                                # tied variances
X[:, 20] = X[:, 7] + 1.0                          # same spread, shifted (tie up to rounding)
X = X.astype(np.float32)

frame = pd.DataFrame(X.astype(np.float64))
variances = frame.var()
out = {
    "rows": rows,
    "genes": genes,
    "matrix": [float(v) for v in X.ravel()],
    "variances": [float(v) for v in variances],
    "minimum": [float(v) for v in X.min(axis=0)],
    "maximum": [float(v) for v in X.max(axis=0)],
    "quantiles": [],
    "top": [],
    "numpy_quantiles": [],
}
for q in [0.1, 0.25, 0.5, 0.8, 0.8002, 0.9, 0.99]:
    threshold = variances.quantile(q)
    out["quantiles"].append({
        "q": q,
        "threshold": float(threshold),
        "selected": [int(i) for i in np.flatnonzero(variances.to_numpy() >= threshold)],
    })
for n in [1, 5, 12, 36, 37]:
    top = variances.nlargest(n, keep="first").index
    out["top"].append({"n": n, "selected": sorted(int(i) for i in top)})

cases = [
    [5.0],
    [1.0, 2.0],
    [3.0, 1.0, 2.0, 2.0, 2.0, 7.5],
    # numpy's lerp takes b - (b - a)(1 - g) for g >= 0.5; here that differs from
    # a + (b - a) g in the last bit, so the branch is pinned.
    [0.27559113243068367, 5.495936876730595],
    # 20531 values (the TCGA gene count) with ties, computable exactly in C++ too:
    # v[i] = ((i * 7919) % 20531 % 5000) / 7
    [((i * 7919) % 20531 % 5000) / 7.0 for i in range(20531)],
]
for values in cases:
    for q in [0.0, 0.2, 0.5, 0.8, 0.8002, 1.0 / 3.0, 0.999, 1.0]:
        out["numpy_quantiles"].append({
            "values": [float(v) for v in values] if len(values) < 100 else None,
            "generated_20531": len(values) >= 100,
            "q": q,
            "quantile": float(np.quantile(np.array(values, dtype=np.float64), q)),
        })
print(json.dumps(out, indent=None, separators=(",", ":")))
