#!/usr/bin/python3
"""scikit-learn k-NN references for tests/knn_test.cpp and tests/mpi/knn_test.cpp.

Run from this directory: /usr/bin/python3 make_references.py  (Debian 12: scikit-learn
1.2.1, numpy 1.24.2). Writes reference.csv and queries.csv (label, then 24 float32
features; the last reference row is all zero, to pin cosine's zero-vector
rule) and, per metric (euclidean, cosine), neighbours_<metric>.csv and
predictions_<metric>.csv.

The features are float32, as pancan holds them; scikit-learn gets them as float64
(exactly the same numbers), so its brute-force distances are accurate to double rounding.
The data are drawn so that no two of a query's 10 nearest distances are within 1e-9 of
each other: then the neighbour order is a property of the data, not of rounding, and
pancan must reproduce it exactly.

Vote rule: scikit-learn's uniform vote takes the lowest class index among tied classes;
pancan gives a tie to the tied class whose neighbours have the smaller distance sum, then
the lowest index. predictions_<metric>.csv holds, per query and k: sklearn = scikit-learn's
predict(), pancan = pancan's rule applied to scikit-learn's neighbours, tie = 1 when the
vote was tied (the two may differ only there; the script checks they agree elsewhere).
"""
import numpy as np
from sklearn.neighbors import KNeighborsClassifier

KS = [1, 2, 3, 4, 5, 7, 9]
K_MAX = 10
rng = np.random.default_rng(20261204)
classes, features = 5, 24
centres = rng.uniform(0.2, 0.8, size=(classes, features))


def draw(n):
    y = rng.integers(0, classes, size=n)
    # Wide noise: classes overlap, so k matters and votes tie now and then.
    x = centres[y] + rng.normal(0, 0.25, size=(n, features))
    return x.astype(np.float32), y


x_ref, y_ref = draw(300)
x_query, y_query = draw(160)
x_ref[-1] = 0



def rule(dist, labels, k):
    counts = np.bincount(labels[:k], minlength=classes)
    sums = np.array([dist[:k][labels[:k] == c].sum() for c in range(classes)])
    tied = np.flatnonzero(counts == counts.max())
    best = min(tied, key=lambda c: (sums[c], c))
    return int(best), len(tied) > 1


def save_rows(name, x, y):
    with open(name, "w") as f:
        for xi, yi in zip(x, y):
            f.write(str(int(yi)) + "," + ",".join("%.9g" % v for v in xi) + "\n")


save_rows("reference.csv", x_ref, y_ref)
save_rows("queries.csv", x_query, y_query)
for metric in ("euclidean", "cosine"):
    model = KNeighborsClassifier(n_neighbors=K_MAX, algorithm="brute", metric=metric)
    model.fit(x_ref.astype(np.float64), y_ref)
    dist, ind = model.kneighbors(x_query.astype(np.float64))
    gaps = np.diff(dist, axis=1)
    assert gaps.min() > 1e-9, f"{metric}: near-tied distances ({gaps.min()}); change the seed"
    with open(f"neighbours_{metric}.csv", "w") as f:
        for q in range(len(x_query)):
            f.write(",".join(str(int(i)) for i in ind[q]) + ";" +
                    ",".join("%.17g" % d for d in dist[q]) + "\n")
    ties = differ = 0
    with open(f"predictions_{metric}.csv", "w") as f:
        f.write("query,k,sklearn,pancan,tie\n")
        for k in KS:
            sk = KNeighborsClassifier(n_neighbors=k, algorithm="brute", metric=metric)
            sk.fit(x_ref.astype(np.float64), y_ref)
            sk_pred = sk.predict(x_query.astype(np.float64))
            for q in range(len(x_query)):
                ours, tie = rule(dist[q], y_ref[ind[q]], k)
                ties += tie
                differ += ours != sk_pred[q]
                assert tie or ours == sk_pred[q], (metric, k, q)
                f.write(f"{q},{k},{sk_pred[q]},{ours},{int(tie)}\n")
    print(f"{metric}: {ties} tied votes over k in {KS}, {differ} of them decided differently")
