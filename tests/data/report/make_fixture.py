#!/usr/bin/python3
# A report.json in pancan's schema for the report tests (tests/report_test.cpp,
# tests/cli/report_browser.sh): two models shaped like the notebook's on the TCGA classes,
# smooth made-up learning curves, and test predictions with ~3-6% errors. The metric
# fields are scikit-learn's (Debian's python3-sklearn) so the tests can check pancan
# recomputes the same numbers. Model 1 scores better on TEST, model 2 on VALIDATION: the
# report must name model 2 best.
# Regenerate with:  /usr/bin/python3 make_fixture.py > report.json
#
# `make_fixture.py baselines > report_cv.json` adds the baselines and cross-validation
# (tests/cv_test.cpp, report_browser.sh): a softmax-regression network, a k-NN model (no
# layers, no history; validation accuracy 0.97) and a 5-fold x 2-repeat cross_validation
# block whose summaries (mean, sd, 95% t interval; paired t-tests) are SciPy's
# (scipy.stats.t, scipy.stats.ttest_rel), for pancan to recompute from the fold scores.
import json
import sys
import warnings

import numpy as np
from sklearn.metrics import (accuracy_score, confusion_matrix, multilabel_confusion_matrix,
                             precision_recall_fscore_support)

warnings.filterwarnings("ignore")
rng = np.random.default_rng(801)
classes = ["BRCA", "COAD", "KIRC", "LUAD", "PRAD"]
counts = [100, 26, 49, 47, 45]  # a third of 300/78/146/141/136
labels = np.repeat(np.arange(5), counts)
rng.shuffle(labels)
samples = [f"sample_{i}" for i in sorted(rng.choice(801, size=len(labels), replace=False))]


def scores(p, r, f, spec, s):
    return {"precision": p, "recall": r, "specificity": spec, "f1": f, "support": int(s)}


def test_block(predicted):
    k = list(range(5))
    p, r, f, s = precision_recall_fscore_support(labels, predicted, labels=k)
    mcm = multilabel_confusion_matrix(labels, predicted, labels=k)
    spec = mcm[:, 0, 0] / (mcm[:, 0, 0] + mcm[:, 0, 1])
    block = {"accuracy": accuracy_score(labels, predicted), "classes": classes,
             "confusion_matrix": confusion_matrix(labels, predicted, labels=k).tolist(),
             "per_class": [dict(**{"class": classes[i]}, **scores(p[i], r[i], f[i], spec[i], s[i]))
                           for i in k]}
    for kind in ("macro", "weighted"):
        ap, ar, af, _ = precision_recall_fscore_support(labels, predicted, labels=k, average=kind)
        w = s if kind == "weighted" else np.ones(5)
        block[kind + "_avg"] = scores(ap, ar, af, np.sum(w * spec) / np.sum(w), len(labels))
    block["samples"] = samples
    block["labels"] = [classes[i] for i in labels]
    block["predicted"] = [classes[i] for i in predicted]
    return block


def history(final_acc, final_val_acc, final_loss, final_val_loss):
    out = []
    for e in range(1, 11):
        t = 1 - np.exp(-e / 2.5)
        out.append({"epoch": e, "loss": 1.6 - (1.6 - final_loss) * t,
                    "accuracy": 0.35 + (final_acc - 0.35) * t,
                    "val_loss": 1.5 - (1.5 - final_val_loss) * t + 0.01 * rng.random(),
                    "val_accuracy": min(1.0, 0.4 + (final_val_acc - 0.4) * t),
                    "seconds": 0.05 + 0.01 * rng.random()})
    return out


def predictions(error_rate):
    wrong = rng.random(len(labels)) < error_rate
    return np.where(wrong, (labels + rng.integers(1, 5, len(labels))) % 5, labels)


def layers(hidden):
    rows, inputs, n = [], 4102, 1
    for width in hidden:
        rows.append({"name": f"dense_{n}", "type": "Dense", "output_shape": f"(None, {width})",
                     "inputs": inputs, "outputs": width, "parameters": inputs * width + width})
        rows.append({"name": f"dropout_{n}", "type": "Dropout",
                     "output_shape": f"(None, {width})", "inputs": width, "outputs": width,
                     "parameters": 0})
        inputs, n = width, n + 1
    rows.append({"name": f"dense_{n}", "type": "Dense", "output_shape": "(None, 5)",
                 "inputs": inputs, "outputs": 5, "parameters": inputs * 5 + 5})
    return rows


def model(name, hidden, error_rate, hist):
    rows = layers(hidden)
    total = sum(r["parameters"] for r in rows)
    summary = "\n".join([f'Model: "{name}"', "_" * 60,
                         f"{'Layer (type)':<28}{'Output Shape':<18}{'Param #':>12}", "=" * 60] +
                        [f"{r['name'] + ' (' + r['type'] + ')':<28}{r['output_shape']:<18}"
                         f"{r['parameters']:>12,}" for r in rows] +
                        ["=" * 60, f"Total params: {total:,}", f"Trainable params: {total:,}",
                         "Non-trainable params: 0"])
    return {"name": name, "file": f"out/{name}.h5", "parameters": total, "layers": rows,
            "summary": summary,
            "options": {"hidden": ",".join(map(str, hidden)), "dropout": "0.3", "epochs": "10",
                        "batch_size": "32", "learning_rate": "0.001", "seed": "42"},
            "train_seconds": sum(e["seconds"] for e in hist), "kept_epoch": 0,
            "history": hist, "test": test_block(predictions(error_rate))}


models = [model("model1", [100], 0.03, history(0.99, 0.962, 0.05, 0.12)),
          model("model2", [100, 10], 0.06, history(0.97, 0.981, 0.12, 0.10))]
report = {
    "title": "pancan evaluation report", "created": "2026-01-31T12:00:00Z",
    "pancan_version": "0.1.0", "ranks": 2,
    "data": {"dataset": "out/dataset.h5",
             "sources": {"expression": "data/expression.csv", "labels": "data/labels.csv"},
             "samples": 801, "genes": 20531, "genes_selected": 4102, "train": 427,
             "validation": 107, "test": len(labels),
             "preparation": {"quantile": "0.8", "fit_on": "train", "seed": "42"}},
    "classes": classes,
    "timings": {"convert": 0.41, "prepare": 0.12, "train model1": 0.6, "train model2": 0.62,
                "evaluate": 0.05},
    "best_model": {"name": "model2", "chosen_by": "val_accuracy, then val_loss", "epoch": 10,
                   "val_accuracy": models[1]["history"][-1]["val_accuracy"],
                   "val_loss": models[1]["history"][-1]["val_loss"]},
    "models": models,
}
if sys.argv[1:] == ["baselines"]:
    from scipy import stats

    softmax = model("softmax", [], 0.08, history(0.95, 0.95, 0.2, 0.2))
    knn = {"name": "knn", "kind": "knn", "file": "out/knn.knn.json", "parameters": 0,
           "layers": [], "summary": "k-nearest neighbours (euclidean distance)\nk = 5",
           "options": {"k": "5", "k_candidates": "1,3,5,7,9", "distance": "euclidean"},
           "train_seconds": 0.02, "kept_epoch": 0, "validation_accuracy": 0.97, "history": [],
           "test": test_block(predictions(0.04))}
    report["models"] += [softmax, knn]
    report["timings"]["train softmax"] = 0.2
    report["timings"]["knn knn"] = 0.02
    names = ["model1", "model2", "softmax", "knn"]
    centre = {"model1": 0.975, "model2": 0.968, "softmax": 0.95, "knn": 0.962}
    folds, repeats = 5, 2
    scores = {n: [(min(1.0, centre[n] + rng.normal(0, 0.012)), min(1.0, centre[n] - 0.01 + rng.normal(0, 0.015)))
                  for _ in range(folds * repeats)] for n in names}

    def interval(x):
        x = np.asarray(x)
        half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
        return {"n": len(x), "mean": x.mean(), "sd": x.std(ddof=1), "low": x.mean() - half,
                "high": x.mean() + half}

    def paired(a, b):
        d = np.asarray(a) - np.asarray(b)
        i = interval(d)
        test = stats.ttest_rel(a, b)
        return {"mean_difference": i["mean"], "sd": i["sd"], "low": i["low"], "high": i["high"],
                "n": i["n"], "t": test.statistic, "p_value": test.pvalue}

    cv_models = []
    for n in names:
        acc = [a for a, _ in scores[n]]
        f1 = [f for _, f in scores[n]]
        cv_models.append({"name": n, "kind": "knn" if n == "knn" else "network",
                          "accuracy": interval(acc), "macro_f1": interval(f1),
                          "folds": [{"repeat": t // folds, "fold": t % folds, "accuracy": a,
                                     "macro_f1": f, "rows": 107 if t % folds < 4 else 106,
                                     "note": "k=5" if n == "knn" else ""}
                                    for t, (a, f) in enumerate(scores[n])]})
    comparisons = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = scores[names[i]], scores[names[j]]
            comparisons.append({"first": names[i], "second": names[j],
                                "difference": "first - second, per fold",
                                "accuracy": paired([x for x, _ in a], [x for x, _ in b]),
                                "macro_f1": paired([y for _, y in a], [y for _, y in b])})
    report["cross_validation"] = {"folds": folds, "repeats": repeats, "seed": 2023, "rows": 534,
                                  "level": 0.95, "seconds": 12.5, "models": cv_models,
                                  "comparisons": comparisons}
json.dump(report, sys.stdout, indent=1)
sys.stdout.write("\n")
