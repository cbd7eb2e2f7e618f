#!/usr/bin/python3
"""The notebook's pipeline in Python, as the reference for bench/end_to_end.

pandas.read_csv of both files, a stratified split (test 1/3, validation 20% of the rest,
as pancan's), per-gene variance (ddof=1) and its 0.8 quantile and a MinMaxScaler fitted on
the training rows (pancan's default; the notebook fitted on all rows), the notebook's two
networks in PyTorch (Glorot-uniform weights, zero biases, ReLU, dropout 0.3, softmax
cross-entropy, Adam 1e-3 / eps 1e-7, batch 32, 10 epochs, validation every epoch) and
scikit-learn's metrics on the test split. Prints one JSON line: seconds per phase, total,
and each model's test and validation accuracy.

With SEEDS > 1 it then repeats everything after read_csv (split, selection, scaling, both
networks) for seeds SEED+1 .. SEED+SEEDS-1, untimed, and adds each seed's test accuracies
("seeds"): one seed's split and initialisation move model 2's accuracy by several points,
so implementations are compared on the mean over seeds. (Time it with SEEDS = 1: the
extra seeds run inside the same process.)

    /usr/bin/python3 bench/end_to_end_reference.py EXPRESSION.csv LABELS.csv [SEED [SEEDS]]
"""
import json
import sys
import time

start = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import MinMaxScaler  # noqa: E402

phases = {"import": time.perf_counter() - start}
expression_path, labels_path = sys.argv[1], sys.argv[2]
first_seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
seed_count = int(sys.argv[4]) if len(sys.argv) > 4 else 1


def phase(name, t0):
    phases[name] = time.perf_counter() - t0
    return time.perf_counter()


t = time.perf_counter()
X = pd.read_csv(expression_path, index_col=0)
y = pd.read_csv(labels_path, index_col=0)["Class"].reindex(X.index)
t = phase("read_csv", t)



def network(inputs, hidden, classes):
    layers, width = [], inputs
    for units in hidden:
        layers += [torch.nn.Linear(width, units), torch.nn.ReLU(), torch.nn.Dropout(0.3)]
        width = units
    layers.append(torch.nn.Linear(width, classes))
    model = torch.nn.Sequential(*layers)
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    return model


def pipeline(seed, timed):
    """Split, select, scale, train and test both networks; returns each model's results."""
    torch.manual_seed(seed)
    t = time.perf_counter()
    classes = sorted(y.unique())
    codes = y.map({c: i for i, c in enumerate(classes)}).to_numpy()
    index = np.arange(len(X))
    rest, test = train_test_split(index, test_size=1 / 3, stratify=codes, random_state=seed)
    train, val = train_test_split(rest, test_size=0.2, stratify=codes[rest], random_state=seed)
    t = phase("split", t) if timed else t

    variances = X.iloc[train].var()  # ddof = 1
    keep = variances >= variances.quantile(0.8)
    scaler = MinMaxScaler().fit(X.iloc[train].loc[:, keep])
    features = {name: torch.tensor(scaler.transform(X.iloc[rows].loc[:, keep]), dtype=torch.float32)
                for name, rows in (("train", train), ("val", val), ("test", test))}
    targets = {name: torch.tensor(codes[rows]) for name, rows in
               (("train", train), ("val", val), ("test", test))}
    t = phase("select_scale", t) if timed else t

    results = {}
    for name, hidden in (("model1", [100]), ("model2", [100, 10])):
        t = time.perf_counter()
        model = network(features["train"].shape[1], hidden, len(classes))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
        loss_fn = torch.nn.CrossEntropyLoss()
        n = len(features["train"])
        for epoch in range(10):
            model.train()
            for batch in torch.randperm(n).split(32):
                optimizer.zero_grad()
                loss = loss_fn(model(features["train"][batch]), targets["train"][batch])
                loss.backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                val_accuracy = (model(features["val"]).argmax(1) == targets["val"]).float().mean().item()
        with torch.no_grad():
            predicted = model(features["test"]).argmax(1).numpy()
        truth = targets["test"].numpy()
        confusion_matrix(truth, predicted, labels=range(len(classes)))
        classification_report(truth, predicted, labels=range(len(classes)), zero_division=0)
        results[name] = {"test_accuracy": accuracy_score(truth, predicted),
                         "val_accuracy": val_accuracy}
        if timed:
            phase("train_evaluate_" + name, t)

    return results, int(keep.sum())


results, genes_kept = pipeline(first_seed, timed=True)
seconds = time.perf_counter() - start
seeds = [{"seed": first_seed, **{name: r["test_accuracy"] for name, r in results.items()}}]
for seed in range(first_seed + 1, first_seed + seed_count):
    more, _ = pipeline(seed, timed=False)
    seeds.append({"seed": seed, **{name: r["test_accuracy"] for name, r in more.items()}})

print(json.dumps({"seconds": seconds, "phases": phases,
                  "genes_kept": genes_kept, "threads": torch.get_num_threads(),
                  "models": results, "seeds": seeds}))
