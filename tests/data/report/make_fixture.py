#!/usr/bin/python3
# A report.json in pancan's schema for the report tests (tests/report_test.cpp,
# tests/cli/report_browser.sh): two models shaped like the notebook's on the TCGA classes,
# smooth made-up learning curves, and test predictions with ~3-6% errors. The metric
# fields are scikit-learn's (Debian's python3-sklearn) so the tests can check pancan
# recomputes the same numbers. Model 1 scores better on TEST, model 2 on VALIDATION: the
# report must name model 2 best.
# Regenerate with:  /usr/bin/python3 make_fixture.py > report.json
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
json.dump(report, sys.stdout, indent=1)
sys.stdout.write("\n")
