"""Benchmark: ganglion_analysis::rsa against rsatoolbox, same inputs, same answers.

For each size (conditions x 1000 channels of standard normal patterns) it times, as a
median of REPS runs each: the squared-Euclidean ('euclidean') and correlation RDMs, the rank,
geo-topological (l = 0.1, u = 0.9 quantiles) and geodesic transforms of the first, and the
four comparisons ('cosine', 'corr', 'spearman', 'tau-a') between the two RDMs — in rsatoolbox
and in the Rust example `bench_rsa` — and asserts that the outputs agree.

Run:  bench/analysis/.venv/bin/python bench/analysis/rsa.py [--sizes 100 200 500] [--reps 5]
Writes the markdown table to stdout (paste into bench/analysis/RESULTS-rsa.md).
"""

import argparse
import importlib
import importlib.metadata
import json
import os
import platform
import subprocess
import tempfile
import time

import numpy as np
from rsatoolbox.data import Dataset
from rsatoolbox.rdm import RDMs, calc_rdm, compare

tr = importlib.import_module("rsatoolbox.rdm.transform")  # the package re-exports a function of that name

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
P = 1000
BIN = os.path.join(ROOT, "target", "release", "examples", "bench_rsa")


def median_time(reps, f):
    ts, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = f()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), out


def python_side(x, reps):
    ds = Dataset(x)
    res = {}
    res["rdm_euclidean"] = median_time(reps, lambda: calc_rdm(ds, method="euclidean"))
    res["rdm_correlation"] = median_time(reps, lambda: calc_rdm(ds, method="correlation"))
    sq, co = res["rdm_euclidean"][1], res["rdm_correlation"][1]
    # rsatoolbox's transforms write into the RDMs they are given: hand each run a copy.
    sqv = sq.get_vectors().copy()
    fresh = lambda: RDMs(sqv.copy())  # noqa: E731
    res["rank"] = median_time(reps, lambda: tr.rank_transform(fresh()))
    res["geotopological"] = median_time(reps, lambda: tr.geotopological_transform(fresh(), 0.1, 0.9))
    res["geodesic"] = median_time(reps, lambda: tr.geodesic_transform(fresh()))
    for name, m in [("cosine", "cosine"), ("corr", "corr"), ("spearman", "spearman"),
                    ("tau_a", "tau-a")]:
        res[f"compare_{name}"] = median_time(reps, lambda m=m: compare(sq, co, method=m))
    out = {}
    for k, (t, v) in res.items():
        out[k] = (t, v.get_vectors()[0] if hasattr(v, "get_vectors") else np.ravel(v))
    assert np.quantile(sqv, 0.9) >= 1 and np.quantile(sqv, 0.1) > 0, \
        "GT thresholds must lie where rsatoolbox's transform is the paper's ramp"
    return out


def rust_side(x, reps, d):
    n = x.shape[0]
    x.astype("<f8").tofile(os.path.join(d, "patterns.f64"))
    subprocess.run([BIN, d, str(n), str(P), str(reps)], check=True, cwd=ROOT)
    times = json.load(open(os.path.join(d, "rust_times.json")))
    return {k: (t, np.fromfile(os.path.join(d, f"rust_{k}.f64"), dtype="<f8"))
            for k, t in times.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 500])
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    # Build once up front, so that no run waits on cargo.
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "ganglion-analysis",
                    "--example", "bench_rsa"], check=True, cwd=ROOT)
    rng = np.random.default_rng(7)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
          f"rsatoolbox {importlib.metadata.version('rsatoolbox')}, numpy {np.__version__}, "
          f"networkx {importlib.metadata.version('networkx')}, scipy "
          f"{importlib.metadata.version('scipy')}; median of {a.reps} runs each\n")
    print("| conditions | operation | rsatoolbox (s) | ganglion (s) | rsatoolbox / ganglion "
          "| max abs diff |")
    print("|---|---|---|---|---|---|")
    for n in a.sizes:
        x = rng.standard_normal((n, P))
        py = python_side(x, a.reps)
        with tempfile.TemporaryDirectory() as d:
            rs = rust_side(x, a.reps, d)
        for k, (tp, vp) in py.items():
            tr_, vr = rs[k]
            assert vp.shape == vr.shape, (k, vp.shape, vr.shape)
            fin = np.isfinite(vp)
            assert np.array_equal(fin, np.isfinite(vr)), k
            diff = float(np.max(np.abs(vp[fin] - vr[fin]), initial=0.0))
            scale = float(np.max(np.abs(vp[fin]), initial=1.0))
            assert diff <= 1e-9 * max(scale, 1.0), f"{k}: rsatoolbox and ganglion differ by {diff}"
            print(f"| {n} | {k} | {tp:.3g} | {tr_:.3g} | {tp / tr_:.3g} | {diff:.1e} |")


if __name__ == "__main__":
    main()
