#!/usr/bin/python3
"""scikit-learn's KNeighborsClassifier(algorithm='brute') on pancan's prepared features, for
bench/knn: the same work as `pancan knn` (one search for the largest k over the validation
rows, k chosen by validation accuracy, the test rows searched with it), timed without the
file reading. Features are read from the dataset with h5py and scaled as pancan scales them
(float32, (x - min) / (max - min)). Votes use pancan's documented rule (a tie goes to the
class whose neighbours are closer in sum); scikit-learn's own predict() is also counted.

usage: knn_sklearn.py DATASET.h5 K_LIST PANCAN_RESULT.json
prints: seconds cpu_seconds chosen_k same_test_predictions test_rows sklearn_predict_agreement
threads (cpu_seconds: the process's CPU time over all its threads)
"""
import json
import sys
import time

import h5py
import numpy as np
from sklearn.neighbors import KNeighborsClassifier
from threadpoolctl import threadpool_info

path, k_list, result_path = sys.argv[1], [int(k) for k in sys.argv[2].split(",")], sys.argv[3]
with h5py.File(path, "r") as f:
    keep = f["var/highly_variable"][:].astype(bool)
    x = f["X"][:][:, keep].astype(np.float32)
    lo = f["uns/pancan/prepare/minimum"][:].astype(np.float32)
    hi = f["uns/pancan/prepare/maximum"][:].astype(np.float32)
    cats = [c.decode() for c in f["obs/split/categories"][:]]
    split = np.array([cats[c] for c in f["obs/split/codes"][:]])
    label_column = f["uns/pancan/label_column"][()].decode() if "label_column" in f["uns/pancan"] else "Class"
    y = f[f"obs/{label_column}/codes"][:].astype(int)
    classes = [c.decode() for c in f[f"obs/{label_column}/categories"][:]]
span = hi - lo
x = (x - lo) / np.where(span > 0, span, np.float32(1)) * np.where(span > 0, np.float32(1), np.float32(0))
train, val, test = (np.flatnonzero(split == s) for s in ("train", "validation", "test"))


def vote(dist, labels, k):
    counts = np.bincount(labels[:k], minlength=len(classes))
    top = counts.max()
    tied = np.flatnonzero(counts == top)
    if len(tied) == 1:
        return tied[0]
    sums = np.array([dist[:k][labels[:k] == c].sum() for c in tied])
    return tied[int(np.argmin(sums))]


start, cpu_start = time.perf_counter(), time.process_time()
model = KNeighborsClassifier(n_neighbors=max(k_list), algorithm="brute").fit(x[train], y[train])
d, i = model.kneighbors(x[val])
accuracy = []
for k in k_list:
    predicted = np.array([vote(d[q], y[train][i[q]], k) for q in range(len(val))])
    accuracy.append(np.mean(predicted == y[val]))
chosen = k_list[int(np.argmax(accuracy))]
d, i = model.kneighbors(x[test], n_neighbors=chosen)
test_predicted = np.array([vote(d[q], y[train][i[q]], chosen) for q in range(len(test))])
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start

sk_predict = KNeighborsClassifier(n_neighbors=chosen, algorithm="brute").fit(x[train], y[train]).predict(x[test])
ours = json.load(open(result_path))
same = sum(a == classes[b] for a, b in zip(ours["test_predicted"], test_predicted))
agree = int(np.sum(sk_predict == test_predicted))
threads = max((t.get("num_threads", 1) for t in threadpool_info()), default=1)
print(f"{seconds:.3f} {cpu:.3f} {chosen} {same} {len(test)} {agree} {threads}")
