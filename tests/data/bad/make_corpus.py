#!/usr/bin/python3
"""Writes the bad-input corpus: broken variants of expression.csv / labels.csv (12 samples
x 4 genes, classes A and B), job configs and HDF5 files that are not pancan's. Run from
this directory: /usr/bin/python3 make_corpus.py. The expected outcome of each file is in
cases.tsv; tests/cli/bad_inputs.sh runs them. Files are committed, so the script only
documents how they were made (and remakes them after a change)."""
import gzip
import os

import h5py
import numpy as np

with open("expression.csv", "rb") as f:
    EXPR = f.read().decode()
with open("labels.csv", "rb") as f:
    LABELS = f.read().decode()
E = EXPR.splitlines()  # E[0] header, E[k] = sample k
L = LABELS.splitlines()


def write(name, text, mode="w"):
    with open(name, "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)


def lines(rows):
    return "\n".join(rows) + "\n"


def with_row(k, row, base=E):
    rows = list(base)
    rows[k] = row
    return lines(rows)


# --- expression tables ------------------------------------------------------------------
write("ragged-short.csv", with_row(3, "s3,1.188,2.057,4.672"))
write("ragged-long.csv", with_row(3, "s3,1.188,2.057,4.672,4.866,9"))
# The last row cut in the middle of a number, no line end (a copy that stopped).
write("cut-mid-number.csv", lines(E[:-1]) + "s12,6.443,7.4")
write("cut-mid-exponent.csv", lines(E[:-1]) + "s12,6.443,7.422,8.873,8.8e")
write("empty-field.csv", with_row(2, "s2,5.991,,8.303,9.577"))
write("nan.csv", with_row(5, "s5,1.458,NaN,4.803,4.061"))
write("inf.csv", with_row(6, "s6,5.051,7.083,-inf,8.762"))
write("overflow.csv", with_row(7, "s7,1.433,1e999,3.058,4.443"))
write("non-numeric.csv", with_row(8, "s8,5.876,6.992,high,8.462"))
write("comma-decimal.csv", with_row(4, 's4,"6,525",6.004,7.891,9.443'))
write("unterminated-quote.csv", with_row(4, 's4,"6.525,6.004,7.891,9.443'))
write("duplicate-sample.csv", with_row(9, "s3" + E[9][2:]))
write("duplicate-gene.csv", with_row(0, ",g1,g2,g3,g2"))
write("empty-gene-id.csv", with_row(0, ",g1,,g3,g4"))
write("empty-sample-id.csv", with_row(10, "," + E[10].split(",", 1)[1]))
write("header-only.csv", lines(E[:1]))
write("empty.csv", "")
write("blank-lines.csv", "\n\n\r\n\n")
write("binary.bin", bytes(range(256)) * 4)
write("ragged.tsv", lines([r.replace(",", "\t") for r in E[:5]] + ["s5\t1.458\t3.891"] +
                         [r.replace(",", "\t") for r in E[6:]]))
gz = gzip.compress(EXPR.encode(), mtime=0)
write("truncated.csv.gz", gz[: len(gz) // 2])
write("corrupt.csv.gz", gz[:10] + bytes(200) + gz[210:])
# Accepted: a UTF-8 byte order mark (Excel), CRLF mixed with LF, quoted ids with commas.
write("bom.csv", "\ufeff" + EXPR)
write("crlf-mixed.csv", "".join(r + ("\r\n" if i % 2 else "\n") for i, r in enumerate(E)))
write("quoted-ids.csv", lines([E[0]] + ['"' + r.split(",", 1)[0] + ',x"' + "," + r.split(",", 1)[1]
                                        for r in E[1:]]))
write("quoted-ids-labels.csv", lines([L[0]] + ['"' + r.split(",")[0] + ',x",' + r.split(",")[1]
                                               for r in L[1:]]))
# Genes none of which a model trained on expression.csv knows (for predict).
write("other-genes.csv", with_row(0, ",h1,h2,h3,h4"))

# --- labels -----------------------------------------------------------------------------
write("labels-missing-sample.csv", lines(L[:-1]))
write("labels-extra-sample.csv", lines(L + ["s99,A"]))
write("labels-one-class.csv", lines([L[0]] + [r.split(",")[0] + ",A" for r in L[1:]]))
write("labels-empty-label.csv", with_row(4, "s4,", L))
write("labels-duplicate.csv", lines(L + ["s2,A"]))
write("labels-no-column.csv", with_row(0, ",Type", L))
write("labels-ragged.csv", with_row(6, "s6,B,extra", L))
write("labels-empty.csv", "")

# --- job configs --------------------------------------------------------------------------
write("unknown-key.ini", "quantile = 0.8\nquantil = 0.9\n")
write("bad-value.ini", "quantile = high\n")
write("out-of-range.ini", "quantile = 1.5\n")
write("epochs-text.ini", "[train]\nepochs = ten\n")
write("malformed-line.ini", "[prepare]\nquantile 0.8\n")
write("unknown-section-key.ini", "[prepare]\nquantile = 0.8\nbogus = 1\n")
write("bad-model-spec.ini", "model = model1:100,x\n")
write("duplicate-key.ini", "[train]\nepochs = 3\nepochs = 4\n")

# --- HDF5 ---------------------------------------------------------------------------------
with h5py.File("not-ours.h5", "w") as f:
    f["matrix"] = np.arange(12, dtype=np.float32).reshape(3, 4)
    f.attrs["creator"] = "somebody else"
write("not-hdf5.h5", "this is a text file with an .h5 name\n")
