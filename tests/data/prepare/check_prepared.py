#!/usr/bin/python3
"""Compares what `pancan prepare` stored in a .h5ad with a reference made by
make_prepare_reference.py. Exits non-zero with a message on the first mismatch.

    check_prepared.py REF.json.gz PREPARED.h5ad

Checks: the file loads with anndata.read_h5ad; var/variances equal the reference to
1e-9 relative; the selected genes (var/highly_variable) are exactly the reference's;
the threshold to 1e-12 relative; min and max of the selected genes exactly (float32);
and, for a training fit, the split exactly.
"""
import gzip
import json
import sys

import anndata
import numpy as np

reference_path, prepared_path = sys.argv[1], sys.argv[2]
with gzip.open(reference_path, "rt") as f:
    ref = json.load(f)
adata = anndata.read_h5ad(prepared_path)
prep = adata.uns["pancan"]["prepare"]


def fail(what):
    sys.exit(f"FAIL {prepared_path} vs {reference_path}: {what}")


if adata.shape != (ref["samples"], ref["genes"]):
    fail(f"shape {adata.shape}")
variances = adata.var["variances"].to_numpy()
want = np.array(ref["variances"])
relative = np.abs(variances - want) / np.maximum(np.abs(want), 1e-300)
relative[want == 0] = np.abs(variances[want == 0])
if relative.max() > 1e-9:
    g = int(relative.argmax())
    fail(f"variance of gene {g}: {variances[g]!r} vs {want[g]!r} ({relative[g]:.3g} relative)")
selected = np.flatnonzero(adata.var["highly_variable"].to_numpy())
if list(selected) != ref["selected"]:
    fail(f"{len(selected)} genes selected, reference {len(ref['selected'])}; first differences "
         f"{sorted(set(selected) ^ set(ref['selected']))[:10]}")
if abs(prep["threshold"] - ref["threshold"]) > 1e-12 * abs(ref["threshold"]):
    fail(f"threshold {prep['threshold']!r} vs {ref['threshold']!r}")
if prep["fit_on"] != ref["fit_on"] or prep["fit_rows"] != ref["fit_rows"]:
    fail(f"fit on {prep['fit_on']} ({prep['fit_rows']} rows) vs {ref['fit_on']} ({ref['fit_rows']})")
if not np.array_equal(prep["minimum"], np.array(ref["minimum"], dtype=np.float32)):
    fail("minimum differs")
if not np.array_equal(prep["maximum"], np.array(ref["maximum"], dtype=np.float32)):
    fail("maximum differs")
if ref["split"] is not None:
    codes = "".join(str(["train", "validation", "test"].index(s)) for s in adata.obs["split"])
    if codes != ref["split"]:
        fail("split differs")
print(f"ok {prepared_path}: {len(selected)} genes, variances within "
      f"{relative.max():.2g} relative, threshold {prep['threshold']!r}")
