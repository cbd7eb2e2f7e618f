#!/usr/bin/env bash
# Baselines and cross-validation end to end on small synthetic data: a job config with a
# network, softmax regression and two k-NN models (euclidean, cosine) and cv-folds = 3
# through `pancan run` at 2 ranks. Checks: the report holds all four models and the CV
# section; k-NN's validation accuracies, chosen k and test predictions equal scikit-learn's
# brute-force KNeighborsClassifier on the same features (read from dataset.h5 with h5py,
# scaled as pancan does; vote ties decided by pancan's documented rule); `pancan knn` gives
# the same at 1 and 3 ranks; the CV summaries equal SciPy's on the fold scores; a rerun
# skips the CV stage; `pancan cv --fold I` tasks (a SLURM array) plus a final `pancan cv`
# give the same fold scores as the run; jobs/baselines.ini runs; bad options are usage errors.
# timeout: 300
set -euo pipefail
: "${PANCAN:?}" "${PANCAN_SCRATCH:?}" "${MPIEXEC:?}" "${PANCAN_SOURCE_DIR:?}"
rm -rf "$PANCAN_SCRATCH" && mkdir -p "$PANCAN_SCRATCH"
cd "$PANCAN_SCRATCH"
fail() { echo "FAIL: $*" >&2; exit 1; }
mpi() { local n=$1; shift; "$MPIEXEC" --oversubscribe -n "$n" "$PANCAN" "$@"; }

mpi 2 synth --samples 300 --genes 2000 --seed 21 --out data >/dev/null
cat >job.ini <<'INI'
# The comparison with its baselines, cross-validated.
expression = data/expression.csv
labels = data/labels.csv
out = out
model = model1:32
model = softmax:
model = knn:knn
model = knn_cos:knn-cosine
epochs = 3
k = 1,2,3,5,7
cv-folds = 3
INI
mpi 2 run --config job.ini >run1.log || { cat run1.log; fail "pancan run failed"; }
for f in report.json report.md report.html cv.json knn.knn.json knn_cos.knn.json; do
  [[ -s out/$f ]] || fail "no out/$f"
done
grep -Eq "^  knn +test accuracy 0\.[0-9]{4}, macro F1 0\.[0-9]{4}, val_accuracy 0\.[0-9]{4}, k-NN" run1.log ||
  { cat run1.log; fail "summary lacks the k-NN line"; }
grep -Eq "^  softmax +3-fold CV accuracy 0\.[0-9]{4} \+- 0\.[0-9]{4} \(95% CI" run1.log ||
  fail "summary lacks the CV line"
grep -q "## Baselines and cross-validation" out/report.md || fail "report.md has no CV section"
grep -q 'class="cv-interval"' out/report.html || fail "report.html has no interval plot"

# k-NN at other rank counts through `pancan knn`.
mpi 1 knn --data out/dataset.h5 --k 1,2,3,5,7 --out knn1.json >knn1.log
mpi 3 knn --data out/dataset.h5 --k 1,2,3,5,7 --block 7 --out knn3.json >knn3.log
grep -Eq "^  k = [0-9]+ +validation accuracy 0\.[0-9]{4}  <- chosen" knn1.log || { cat knn1.log; fail "knn output"; }
mpi 2 knn --data out/dataset.h5 --k 1,2,3,5,7 --metric cosine --out knn2c.json >/dev/null

/usr/bin/python3 - <<'PY'
import json
import sys

import h5py
import numpy as np
from scipy import stats
from sklearn.neighbors import KNeighborsClassifier

problems = []
with h5py.File("out/dataset.h5", "r") as f:
    keep = f["var/highly_variable"][:].astype(bool)
    x = f["X"][:][:, keep].astype(np.float32)
    lo = f["uns/pancan/prepare/minimum"][:].astype(np.float32)
    hi = f["uns/pancan/prepare/maximum"][:].astype(np.float32)
    cats = [c.decode() for c in f["obs/split/categories"][:]]
    split = np.array([cats[c] for c in f["obs/split/codes"][:]])
    y = f["obs/Class/codes"][:].astype(int)
    classes = [c.decode() for c in f["obs/Class/categories"][:]]
# pancan's scaling, operation for operation in float32.
span = hi - lo
rng_ = np.where(span > 0, span, np.float32(1))
x = (x - lo) / rng_ * np.where(span > 0, np.float32(1), np.float32(0))
train, val, test = (np.flatnonzero(split == s) for s in ("train", "validation", "test"))
ks = [1, 2, 3, 5, 7]


def rule(dist, labels, k):
    counts = np.bincount(labels[:k], minlength=len(classes))
    sums = np.array([dist[:k][labels[:k] == c].sum() for c in range(len(classes))])
    tied = np.flatnonzero(counts == counts.max())
    return min(tied, key=lambda c: (sums[c], c))


def reference(metric):
    model = KNeighborsClassifier(n_neighbors=max(ks), algorithm="brute", metric=metric)
    model.fit(x[train].astype(np.float64), y[train])
    out = {}
    for name, rows in (("validation", val), ("test", test)):
        d, i = model.kneighbors(x[rows].astype(np.float64))
        out[name] = {k: np.array([rule(d[q], y[train][i[q]], k) for q in range(len(rows))])
                     for k in ks}
    accuracy = [float(np.mean(out["validation"][k] == y[val])) for k in ks]
    chosen = ks[int(np.argmax(accuracy))]  # first maximum: the smaller k
    return accuracy, chosen, [classes[c] for c in out["test"][chosen]]


for metric, files in (("euclidean", ["out/knn.knn.json", "knn1.json", "knn3.json"]),
                      ("cosine", ["out/knn_cos.knn.json", "knn2c.json"])):
    accuracy, chosen, predicted = reference(metric)
    for path in files:
        got = json.load(open(path))
        if got["distance"] != metric:
            problems.append(f"{path}: distance {got['distance']}")
        if not np.allclose(got["validation_accuracy"], accuracy, rtol=0, atol=1e-12):
            problems.append(f"{path}: validation accuracy {got['validation_accuracy']} != {accuracy}")
        if got["chosen_k"] != chosen:
            problems.append(f"{path}: chose k={got['chosen_k']}, scikit-learn {chosen}")
        if got["test_predicted"] != predicted:
            n = sum(a != b for a, b in zip(got["test_predicted"], predicted))
            problems.append(f"{path}: {n} test predictions differ from scikit-learn's")

report = json.load(open("out/report.json"))
kinds = [(m["name"], m["kind"], len(m["layers"])) for m in report["models"]]
if kinds != [("model1", "network", 3), ("softmax", "network", 1), ("knn", "knn", 0),
             ("knn_cos", "knn", 0)]:
    problems.append(f"report models {kinds}")
genes = int(keep.sum())
if report["models"][1]["parameters"] != genes * 5 + 5:
    problems.append(f"softmax regression has {report['models'][1]['parameters']} parameters")
knn = report["models"][2]
if knn["test"]["predicted"] != json.load(open("out/knn.knn.json"))["test_predicted"]:
    problems.append("report's k-NN predictions are not the k-NN result's")

# Cross-validation: SciPy's summaries of pancan's fold scores.
cv = json.load(open("out/cv.json"))
if cv["rows"] != len(train) + len(val) or cv["folds"] != 3:
    problems.append(f"cv over {cv['rows']} rows / {cv['folds']} folds")
for m in cv["models"]:
    acc = np.array([f["accuracy"] for f in m["folds"]])
    if sum(f["rows"] for f in m["folds"]) != len(train) + len(val):
        problems.append(f"{m['name']}: the folds do not cover train + validation once")
    half = stats.t.ppf(0.975, len(acc) - 1) * acc.std(ddof=1) / np.sqrt(len(acc))
    want = (acc.mean(), acc.std(ddof=1), acc.mean() - half, acc.mean() + half)
    got = tuple(m["accuracy"][k] for k in ("mean", "sd", "low", "high"))
    if not np.allclose(got, want, rtol=0, atol=1e-9):
        problems.append(f"{m['name']}: CV accuracy summary {got} != SciPy {want}")
by_name = {m["name"]: m for m in cv["models"]}
for c in cv["comparisons"]:
    a = [f["macro_f1"] for f in by_name[c["first"]]["folds"]]
    b = [f["macro_f1"] for f in by_name[c["second"]]["folds"]]
    if np.allclose(a, b):
        continue
    test = stats.ttest_rel(a, b)
    if abs(c["macro_f1"]["p_value"] - test.pvalue) > 1e-9 or abs(c["macro_f1"]["t"] - test.statistic) > 1e-6 * abs(test.statistic):
        problems.append(f"{c['first']} - {c['second']}: t {c['macro_f1']['t']} p {c['macro_f1']['p_value']} != SciPy {test}")
if len(cv["comparisons"]) != 6:
    problems.append(f"{len(cv['comparisons'])} comparisons of 4 models")
if problems:
    print("\n".join("FAIL: " + p for p in problems), file=sys.stderr)
    sys.exit(1)
print("k-NN matches scikit-learn; CV summaries match SciPy")
PY

# A rerun skips everything, the CV stage included.
mpi 2 run --config job.ini >run2.log
grep -Eq "^  cross-validate .*skipped \(up to date\)" run2.log || { cat run2.log; fail "CV stage not skipped"; }

# A job array: two fold tasks alone, then the summary run computes only the third.
mpi 2 cv --config job.ini --out out2 --fold 0 >fold0.log
mpi 2 cv --config job.ini --out out2 --fold 2 >fold2.log
[[ -s out2/cv/fold-0.json && -s out2/cv/fold-2.json && ! -e out2/cv/fold-1.json ]] ||
  fail "fold tasks did not write exactly their files"
[[ ! -e out2/cv.json ]] || fail "a fold task wrote the summary"
mpi 2 cv --config job.ini --out out2 >cv.log || { cat cv.log; fail "pancan cv failed"; }
grep -q "cv task 1/3 .*from out2/cv/fold-0.json" cv.log || { cat cv.log; fail "task 0 not reused"; }
grep -q "cv task 3/3 .*from out2/cv/fold-2.json" cv.log || fail "task 2 not reused"
grep -Eq "cv task 2/3 .*, [0-9.]+ s$" cv.log || fail "task 1 not computed"
/usr/bin/python3 - <<'PY'
import json
a, b = json.load(open("out/cv.json")), json.load(open("out2/cv.json"))
scores = lambda cv: [[(f["accuracy"], f["macro_f1"]) for f in m["folds"]] for m in cv["models"]]
assert scores(a) == scores(b), "pancan cv's fold scores differ from pancan run's"
PY

# The committed job config jobs/baselines.ini runs as written (paths and sizes overridden).
mpi 2 run --config "$PANCAN_SOURCE_DIR/jobs/baselines.ini" --expression data/expression.csv \
  --labels data/labels.csv --out base --epochs 2 --cv-folds 2 --cv-repeats 1 >base.log ||
  { cat base.log; fail "jobs/baselines.ini failed"; }
/usr/bin/python3 - <<'PY'
import json
r = json.load(open("base/report.json"))
names = [m["name"] for m in r["models"]]
assert names == ["model1", "model2", "softmax", "knn"], names
assert [m["name"] for m in r["cross_validation"]["models"]] == names
assert r["cross_validation"]["folds"] == 2
PY

# Usage errors.
set +e
mpi 1 cv --config job.ini --out out2 --fold 3 >/dev/null 2>bad1.log; rc1=$?
mpi 1 run --config job.ini --model only:knn >/dev/null 2>bad2.log; rc2=$?
mpi 1 knn --data out/dataset.h5 --k 0 >/dev/null 2>bad3.log; rc3=$?
set -e
[[ $rc1 == 2 ]] && grep -q "fold" bad1.log || fail "--fold out of range: rc $rc1 $(cat bad1.log)"
[[ $rc2 == 2 ]] && grep -q "network" bad2.log || fail "k-NN alone: rc $rc2 $(cat bad2.log)"
[[ $rc3 == 2 ]] && grep -q -- "--k" bad3.log || fail "--k 0: rc $rc3 $(cat bad3.log)"
echo "ok"
