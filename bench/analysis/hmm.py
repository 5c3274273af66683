"""Benchmark: ganglion_analysis::assignment and ::hmm against scipy and numpy, same inputs,
same answers.

- Hungarian algorithm: `assignment::min_cost` against `scipy.optimize.linear_sum_assignment`
  on uniform random cost matrices (square and rectangular); asserts equal total cost and
  (costs being continuous, hence ties having probability 0) the same assignment.
- HMM forward-backward and Viterbi: `hmm::forward_backward` / `hmm::viterbi` against a numpy
  port of the one-hot HMM-GLM paper's own `inference.forward_backward(algorithm="scaling")`
  and `inference.viterbi` (github.com/JerrySoybean/onehot-hmmglm, PyTorch there; the same
  per-step vector operations here in numpy), on random log-emissions with sticky
  transitions; asserts the log-likelihood, the posteriors, the expected transition counts and
  the Viterbi path agree.

Why not the paper's EM itself: their package needs PyTorch (a multi-gigabyte install on this
offline CPU machine), and its M-step is Adam on a Gumbel-softmax relaxation with random
sampling, so the two EMs would not give the same answers to assert; the parts that have one
right answer are benchmarked instead.

Run:  bench/analysis/.venv/bin/python bench/analysis/hmm.py [--reps 5]
Writes the markdown table to stdout (paste into bench/analysis/RESULTS-hmm.md).
"""

import argparse
import importlib.metadata
import json
import os
import platform
import subprocess
import tempfile
import time

import numpy as np
from scipy.optimize import linear_sum_assignment

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
ASSIGNMENT = [("lsa100", 100, 100), ("lsa300", 300, 300), ("lsa1000", 1000, 1000),
              ("lsa200x600", 200, 600), ("lsa600x200", 600, 200)]
HMM = [("fb5x20000", 20000, 5), ("fb10x20000", 20000, 10), ("fb3x100000", 100000, 3)]


def median_time(reps, f):
    ts, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = f()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), out


def forward_backward(le, trans, init):
    """The paper's scaled forward-backward (inference.py, algorithm="scaling"), in numpy; the
    emissions are shifted by their per-step maximum first (their version exponentiates the
    raw log-emissions and clamps at 1e-16, which underflows for a population of neurons)."""
    t_len, k = le.shape
    m = le.max(axis=1)
    e = np.exp(le - m[:, None])
    alpha = np.zeros((t_len, k))
    c = np.zeros(t_len)
    alpha[0] = init * e[0]
    c[0] = alpha[0].sum()
    alpha[0] /= c[0]
    for t in range(1, t_len):
        alpha[t] = e[t] * (trans.T @ alpha[t - 1])
        c[t] = alpha[t].sum()
        alpha[t] /= c[t]
    beta = np.zeros((t_len, k))
    beta[-1] = 1
    for t in range(t_len - 2, -1, -1):
        beta[t] = trans @ (beta[t + 1] * e[t + 1]) / c[t + 1]
    gamma = alpha * beta
    xi = (alpha[:-1, :, None] * e[1:, None, :] * trans[None, :, :] * beta[1:, None, :]
          / c[1:, None, None]).sum(axis=0)
    return gamma, xi, float(np.sum(np.log(c) + m))


def viterbi(le, trans, init):
    """The paper's inference.viterbi, in numpy."""
    t_len, k = le.shape
    log_a = np.log(trans)
    omega = np.log(init) + le[0]
    psi = np.zeros((t_len, k), dtype=np.int64)
    for t in range(1, t_len):
        tmp = log_a + omega[:, None]
        psi[t] = tmp.argmax(axis=0)
        omega = le[t] + tmp.max(axis=0)
    path = np.zeros(t_len, dtype=np.int64)
    path[-1] = omega.argmax()
    for t in range(t_len - 1, 0, -1):
        path[t - 1] = psi[t, path[t]]
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    rng = np.random.default_rng(21)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        inputs = {}
        for name, r, c in ASSIGNMENT:
            cost = rng.random((r, c))
            cost.astype("<f8").tofile(os.path.join(d, f"{name}_cost.f64"))
            inputs[name] = cost
        for name, t_len, k in HMM:
            # Log-emissions of a population (spread of tens of nats), sticky transitions.
            le = -50.0 * rng.random((t_len, k)) - 100.0
            trans = np.full((k, k), 0.02 / (k - 1)) + np.eye(k) * (0.98 - 0.02 / (k - 1))
            init = np.full(k, 1.0 / k)
            le.astype("<f8").tofile(os.path.join(d, f"{name}_le.f64"))
            init.astype("<f8").tofile(os.path.join(d, f"{name}_init.f64"))
            trans.astype("<f8").tofile(os.path.join(d, f"{name}_trans.f64"))
            inputs[name] = (le, trans, init)
        with open(os.path.join(d, "jobs.json"), "w") as f:
            json.dump({"assignment": ASSIGNMENT, "hmm": HMM}, f)
        subprocess.run(["cargo", "run", "--quiet", "--release", "-p", "ganglion-analysis",
                        "--example", "bench_hmm", "--", d, str(a.reps)], check=True, cwd=ROOT)
        rt = json.load(open(os.path.join(d, "rust_times.json")))
        rd = lambda f: np.fromfile(os.path.join(d, f), dtype="<f8")  # noqa: E731

        for name, r, c in ASSIGNMENT:
            cost = inputs[name]
            tp, (ri, ci) = median_time(a.reps, lambda: linear_sum_assignment(cost))
            cols = rd(f"rust_{name}_cols.f64")
            mine = [(i, int(cols[i])) for i in range(r) if cols[i] >= 0]
            total_py = float(cost[ri, ci].sum())
            total_rs = float(sum(cost[i, j] for i, j in mine))
            assert abs(total_py - total_rs) <= 1e-9 * max(1.0, abs(total_py)), (name, total_py,
                                                                              total_rs)
            same = sorted(mine) == sorted(zip(ri.tolist(), ci.tolist()))
            assert same, f"{name}: same cost, different assignment"
            rows.append((f"Hungarian {r}×{c}", "scipy linear_sum_assignment", tp, rt[name],
                         f"total cost equal (|Δ| = {abs(total_py - total_rs):.1e}), same pairs"))

        for name, t_len, k in HMM:
            le, trans, init = inputs[name]
            tp, (g, xi, ll) = median_time(a.reps, lambda: forward_backward(le, trans, init))
            rg = rd(f"rust_{name}_gamma.f64").reshape(t_len, k)
            rxi = rd(f"rust_{name}_xi.f64").reshape(k, k)
            rll = float(rd(f"rust_{name}_ll.f64")[0])
            dg = float(np.max(np.abs(g - rg)))
            dxi = float(np.max(np.abs(xi - rxi)) / t_len)
            dll = abs(ll - rll) / abs(ll)
            assert dg < 1e-9 and dxi < 1e-12 and dll < 1e-12, (name, dg, dxi, dll)
            rows.append((f"forward–backward T = {t_len}, K = {k}", "numpy (paper's algorithm)",
                         tp, rt[f"{name}_fb"],
                         f"max |Δγ| = {dg:.1e}, rel. Δ log-lik = {dll:.1e}"))
            tp, path = median_time(a.reps, lambda: viterbi(le, trans, init))
            rpath = rd(f"rust_{name}_path.f64").astype(np.int64)
            assert np.array_equal(path, rpath), f"{name}: Viterbi paths differ"
            rows.append((f"Viterbi T = {t_len}, K = {k}", "numpy (paper's algorithm)", tp,
                         rt[f"{name}_viterbi"], "identical path"))

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
          f"numpy {np.__version__}, scipy {importlib.metadata.version('scipy')}; "
          f"median of {a.reps} runs each\n")
    print("| operation | Python | Python (s) | ganglion (s) | Python / ganglion | agreement |")
    print("|---|---|---|---|---|---|")
    for op, lib, tp, tr, agree in rows:
        print(f"| {op} | {lib} | {tp:.3g} | {tr:.3g} | {tp / tr:.3g} | {agree} |")


if __name__ == "__main__":
    main()
