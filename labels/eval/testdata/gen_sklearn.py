# Regenerates sklearn.json, the expected values of the eval tests that
# follow scikit-learn and numpy, with Debian bookworm's python3-sklearn
# (1.2.1) and python3-numpy (1.24):
#   python3 labels/eval/testdata/gen_sklearn.py > labels/eval/testdata/sklearn.json
import json
import sys

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

TARGETS = [0.0, 0.001, 0.01, 0.05, 0.1, 0.5, 1.0, -0.1]
AGGS = {
    "max": lambda s: s.max(),
    "mean": lambda s: s.mean(),
    "median": lambda s: np.median(s),
    "p90": lambda s: np.percentile(s, 90),
    "p95": lambda s: np.percentile(s, 95),
    "top-5-mean": lambda s: np.sort(s)[-5:].mean(),
    "top-10-mean": lambda s: np.sort(s)[-10:].mean(),
}


def tpr_at(fpr, tpr, target):
    mask = fpr <= target
    if mask.any():
        return float(tpr[mask].max())
    return float(tpr[fpr > 0].min() if (fpr > 0).any() else 0.0)


def windows(y, s, size, stride, agg):
    nw = (len(s) - size) // stride + 1
    lab = np.zeros(nw, dtype=bool)
    sc = np.empty(nw, dtype=np.float32)
    for w in range(nw):
        lab[w] = y[w * stride:w * stride + size].any()
        sc[w] = float(AGGS[agg](s[w * stride:w * stride + size]))
    return float(roc_auc_score(lab, sc)), nw, int(lab.sum())


rng = np.random.default_rng(7)
cases = []


def add(name, y, s, shapes=()):
    y = np.asarray(y, dtype=bool)
    s = np.asarray(s, dtype=np.float32)
    fpr, tpr, thr = roc_curve(y, s)
    c = {
        "name": name,
        "scores": [float(v) for v in s],
        "attack": [bool(v) for v in y],
        "auroc": float(roc_auc_score(y, s)),
        "ap": float(average_precision_score(y, s)),
        "fpr": [float(v) for v in fpr],
        "tpr": [float(v) for v in tpr],
        "thresholds": [float(v) for v in thr],
        "tpr_at": [tpr_at(fpr, tpr, t) for t in TARGETS],
        "windows": [],
    }
    for size, stride in shapes:
        for agg in AGGS:
            a, nw, na = windows(y, s, size, stride, agg)
            c["windows"].append({"size": size, "stride": stride, "agg": agg, "auroc": a, "n": nw, "attack": na})
    cases.append(c)


add("docs", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
# Equal steps: every threshold adds one attack and one benign event, so
# roc_curve drops the middle points and TPR at 1 % FPR reads 0.
add("collinear", [1, 0] * 60, np.repeat(np.arange(60, 0, -1), 2))
add("ties", rng.random(400) < 0.3, rng.integers(0, 12, 400) * 0.25)
n = 1500
y = np.zeros(n, dtype=bool)
for start in rng.integers(0, n - 60, 6):
    y[start:start + rng.integers(10, 60)] = True
s = rng.lognormal(1.0, 0.6, n) + y * rng.random(n) * 1.5
add("segments", y, np.round(s, 3), [(128, 32), (16, 4)])
y = rng.random(n) < 0.005
add("scattered", y, rng.normal(2.0, 1.0, n) + 0.4 * y, [(128, 32), (10, 3)])
json.dump({"targets": TARGETS, "cases": cases}, sys.stdout)
