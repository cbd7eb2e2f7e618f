#!/usr/bin/python3
"""Checks that `pancan synth` data behave like TCGA-PANCAN log2(RSEM+1) data and that the
notebook's pipeline can learn them (the HARD requirement later stages rely on).

usage: /usr/bin/python3 bench/synth_check.py DIR   (DIR holds expression.csv, labels.csv)

Prints the statistics, then runs the notebook's model 1 with the decided semantics of
DESIGN.md: stratified 2/3 train split; genes with train variance (ddof=1) >= the 0.8
quantile; min-max fitted on train; Dense(100, relu) -> Dropout(0.3) -> softmax, Adam
(lr 1e-3), batch 32, 10 epochs (torch), over a few seeds; plus sklearn's
MLPClassifier(hidden_layer_sizes=(100,)) and logistic regression on single genes.
Exits non-zero when the model-1 test accuracy is below 0.95 or a single gene is enough.
"""
import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

directory = sys.argv[1] if len(sys.argv) > 1 else "data"
X = pd.read_csv(f"{directory}/expression.csv", index_col=0)
y = pd.read_csv(f"{directory}/labels.csv", index_col=0)["Class"].loc[X.index]
values = X.to_numpy(dtype=np.float64)
print(f"shape {values.shape}, classes {y.value_counts().to_dict()}")

# --- log2(RSEM+1)-like statistics -----------------------------------------------------
zero_fraction = (values == 0).mean(axis=0)
means, sds = values.mean(axis=0), values.std(axis=0, ddof=1)
expressed = zero_fraction < 0.5
print(f"value range [{values.min():g}, {values.max():g}], overall mean {values.mean():.3f}")
print(f"exact zeros: {100 * (values == 0).mean():.1f}% of values")
print(f"genes almost always zero (>= 99% zeros): {100 * (zero_fraction >= 0.99).mean():.2f}%")
print(f"genes with >= 10% zeros: {100 * (zero_fraction >= 0.10).mean():.1f}%;"
      f" zeros in genes with mean < 3: {100 * (values[:, means < 3] == 0).mean():.1f}%,"
      f" mean >= 6: {100 * (values[:, means >= 6] == 0).mean():.2f}%")
q = np.percentile
print(f"gene means  5/25/50/75/95%: " + " ".join(f"{v:.2f}" for v in q(means, [5, 25, 50, 75, 95])))
print(f"gene sds    5/25/50/75/95%: " + " ".join(f"{v:.2f}" for v in q(sds, [5, 25, 50, 75, 95])))

# --- the notebook's preprocessing, fitted on the training rows -----------------------
codes, classes = pd.factorize(y, sort=True)
index = np.arange(len(y))
train, test = train_test_split(index, train_size=2 / 3, stratify=codes, random_state=0)
variances = values[train].var(axis=0, ddof=1)
threshold = np.quantile(variances, 0.8)
keep = variances >= threshold
lo, hi = values[train][:, keep].min(axis=0), values[train][:, keep].max(axis=0)
span = np.where(hi > lo, hi - lo, 1.0)
scaled = (values[:, keep] - lo) / span
f_stat, p_value = f_classif(values[train][:, expressed], codes[train])
informative = np.zeros(values.shape[1], bool)
informative[np.flatnonzero(expressed)[p_value < 1e-20]] = True
print(f"kept {keep.sum()} genes (variance >= {threshold:.3f}); class-informative genes"
      f" (ANOVA p < 1e-20): {informative.sum()}, of which kept {(informative & keep).sum()}"
      f" ({100 * (informative & keep).sum() / max(informative.sum(), 1):.0f}%);"
      f" informative share of kept genes {100 * (informative & keep).sum() / keep.sum():.0f}%")

# --- model 1 in torch (the notebook's Keras model) -----------------------------------
import torch  # noqa: E402

torch.set_num_threads(1)


def model1_accuracy(seed):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(scaled.shape[1], 100), torch.nn.ReLU(),
                              torch.nn.Dropout(0.3), torch.nn.Linear(100, len(classes)))
    for layer in (net[0], net[3]):
        torch.nn.init.xavier_uniform_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    xs = torch.tensor(scaled[train], dtype=torch.float32)
    ys = torch.tensor(codes[train], dtype=torch.long)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(10):
        net.train()
        order = torch.randperm(len(xs), generator=generator)
        for start in range(0, len(xs), 32):
            batch = order[start:start + 32]
            optimiser.zero_grad()
            torch.nn.functional.cross_entropy(net(xs[batch]), ys[batch]).backward()
            optimiser.step()
    net.eval()
    with torch.no_grad():
        predicted = net(torch.tensor(scaled[test], dtype=torch.float32)).argmax(1).numpy()
    return (predicted == codes[test]).mean()


accuracies = [model1_accuracy(seed) for seed in range(5)]
print("model 1 (torch, Dense(100)+Dropout(0.3), 10 epochs) test accuracy over 5 seeds: "
      + " ".join(f"{a:.4f}" for a in accuracies) + f"; mean {np.mean(accuracies):.4f}")

mlp = MLPClassifier(hidden_layer_sizes=(100,), batch_size=32, max_iter=10, random_state=0)
mlp.fit(scaled[train], codes[train])
print(f"sklearn MLPClassifier((100,), 10 epochs) test accuracy: {mlp.score(scaled[test], codes[test]):.4f}")

# --- no single gene is enough ----------------------------------------------------------
best = np.argsort(-np.nan_to_num(f_stat))[:50]
single = []
for column in np.flatnonzero(expressed)[best]:
    lr = LogisticRegression(max_iter=1000)
    lr.fit(values[train][:, [column]], codes[train])
    single.append(lr.score(values[test][:, [column]], codes[test]))
print(f"logistic regression on one gene (the 50 with the highest F): best test accuracy"
      f" {max(single):.4f}, median {np.median(single):.4f}"
      f" (majority class alone: {np.bincount(codes[test]).max() / len(test):.4f})")

ok = min(accuracies) >= 0.95 and max(single) < 0.9
print("OK" if ok else "FAILED: model 1 below 0.95 or a single gene separates the classes")
sys.exit(0 if ok else 1)
