#!/usr/bin/python3
# Reference metrics for tests/metrics_test.cpp, computed by scikit-learn (Debian's
# python3-sklearn). Regenerate with:  /usr/bin/python3 make_reference.py > reference.json
# Each case: class names, true labels, predictions, and what sklearn reports with
# labels=range(K) and the default zero_division ("warn" -> 0). Specificity, which sklearn
# lacks, comes from multilabel_confusion_matrix: TN / (TN + FP).
import json
import warnings

import numpy as np
import sklearn
from sklearn.metrics import (accuracy_score, confusion_matrix, multilabel_confusion_matrix,
                             precision_recall_fscore_support)

warnings.filterwarnings("ignore")  # UndefinedMetricWarning: the zero-division cases are intended
CLASSES = ["BRCA", "COAD", "KIRC", "LUAD", "PRAD"]


def case(name, truth, predicted, classes=CLASSES):
    labels = list(range(len(classes)))
    p, r, f, s = precision_recall_fscore_support(truth, predicted, labels=labels)
    mcm = multilabel_confusion_matrix(truth, predicted, labels=labels)
    tn, fp = mcm[:, 0, 0], mcm[:, 0, 1]
    spec = np.where(tn + fp > 0, tn / np.maximum(tn + fp, 1), 0.0)
    avg = {}
    for kind in ("macro", "weighted"):
        ap, ar, af, _ = precision_recall_fscore_support(truth, predicted, labels=labels,
                                                        average=kind)
        w = s if kind == "weighted" else np.ones(len(labels))
        avg[kind] = {"precision": ap, "recall": ar, "f1": af,
                     "specificity": float(np.sum(w * spec) / np.sum(w)), "support": len(truth)}
    return {
        "name": name, "classes": classes,
        "truth": [int(t) for t in truth], "predicted": [int(q) for q in predicted],
        "confusion": confusion_matrix(truth, predicted, labels=labels).tolist(),
        "accuracy": accuracy_score(truth, predicted),
        "per_class": [{"precision": p[i], "recall": r[i], "f1": f[i], "specificity": spec[i],
                       "support": int(s[i])} for i in labels],
        "macro_avg": avg["macro"], "weighted_avg": avg["weighted"],
    }


rng = np.random.default_rng(20531)
cases = []
# A realistic test split: 267 samples in the TCGA class proportions, ~10% errors.
truth = rng.choice(5, size=267, p=[300 / 801, 78 / 801, 146 / 801, 141 / 801, 136 / 801])
predicted = np.where(rng.random(267) < 0.1, rng.integers(0, 5, 267), truth)
cases.append(case("tcga_like", truth, predicted))
# Uniformly random guessing.
cases.append(case("random", rng.integers(0, 5, 100), rng.integers(0, 5, 100)))
# A class never predicted (precision 0/0 -> 0) and one absent from the truth (support 0,
# recall 0/0 -> 0, both still in the macro average).
truth = rng.choice([0, 1, 2, 3], size=60)
predicted = np.where(truth == 1, 0, truth)
predicted[:5] = 4
cases.append(case("zero_division", truth, predicted))
# Perfect and all-wrong on two classes.
t = rng.integers(0, 2, 31)
cases.append(case("perfect_binary", t, t, classes=["ALL", "AML"]))
cases.append(case("all_wrong_binary", t, 1 - t, classes=["ALL", "AML"]))

json.dump({"sklearn_version": sklearn.__version__, "cases": cases}, fp=__import__("sys").stdout,
          default=float)
