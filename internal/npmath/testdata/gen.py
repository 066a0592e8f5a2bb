# Regenerates numpy.json, the expected values of the npmath tests, with
# numpy 1.24 (Debian bookworm's python3-numpy):
#   python3 internal/npmath/testdata/gen.py > internal/npmath/testdata/numpy.json
import json
import numpy as np

rng = np.random.default_rng(20261127)
QS = [0.0, 0.025, 0.1, 0.5, 0.9, 0.95, 0.975, 0.99, 0.999, 1.0]
cases = []
for n in [1, 2, 3, 7, 8, 9, 15, 16, 17, 100, 127, 128, 129, 130, 257, 1029]:
    for kind in ["lognormal", "wide", "ties"] if n < 200 else ["wide"]:
        if kind == "lognormal":
            x = rng.lognormal(1.0, 1.0, n)
        elif kind == "wide":
            x = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 9, n)
        else:
            x = rng.integers(0, 5, n) * 0.1 + 3.3
        for dtype in ["float64", "float32"]:
            a = x.astype(dtype)
            # The reference asks np.percentile for whole and half percents;
            # those equal np.quantile at the level p/100.
            for p in [2.5, 50, 90, 95, 97.5]:
                assert np.percentile(a, p) == np.quantile(a, p / 100)
            cases.append({
                "dtype": dtype,
                "x": [float(v) for v in a],
                "sum": float(np.sum(a)),
                "mean": float(np.mean(a)),
                "std": float(np.std(a)),
                "median": float(np.median(a)),
                "percentiles": [float(np.quantile(a, q)) for q in QS],
            })
json.dump({"numpy": np.__version__, "qs": QS, "cases": cases}, __import__("sys").stdout)
