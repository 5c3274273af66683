"""Benchmark: ganglion_analysis::tensor::non_negative_parafac_hals against tensorly's
non_negative_parafac_hals, same tensor, same initial factors, same number of iterations.

Tensors are planted non-negative rank-R CP tensors plus uniform noise (so that neither
solver converges exactly and both run every iteration), shaped like the dynamic-connectome
study's windows × animals × neuron pairs. Both solvers start from the same random factors
(tensorly gets them as a CPTensor with unit weights) and run the same number of HALS
iterations at most (both with tol = 1e-300: the error is recorded every iteration and a run
stops early only at an exact fixed point, where the error no longer changes at all; both
must stop at the same iteration). Asserts that the relative-error histories agree to 1e-8 and
that the normalised factors agree to 1e-6 (both implement the same updates: 5 inner HALS
sweeps per mode, inner early stop at 1e-8 of the first sweep's change; differences are
floating-point summation order only). Times are medians over --reps runs each.

Run:  bench/analysis/.venv/bin/python bench/analysis/ntf.py [--reps 5]
Writes the markdown table to stdout (paste into bench/analysis/RESULTS-ntf.md).
"""

import argparse
import importlib.metadata
import os
import platform
import subprocess
import tempfile
import time

import numpy as np
import tensorly as tl
from tensorly.cp_tensor import CPTensor
from tensorly.decomposition import non_negative_parafac_hals

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
# name, shape (windows, animals, pairs of n neurons), rank, iterations
JOBS = [
    ("study12x4x435", (12, 4, 435), 4, 200),
    ("w24x8x1225", (24, 8, 1225), 6, 50),
    ("w60x12x2016", (60, 12, 2016), 8, 50),
]


def planted(shape, rank, rng):
    f = [rng.random((d, rank)) ** 3 for d in shape]
    x = tl.cp_to_tensor((np.ones(rank), f))
    return x + 0.05 * x.mean() * rng.random(shape)


def normalise(factors):
    out, weights = [], None
    for f in factors:
        n = np.linalg.norm(f, axis=0)
        weights = n if weights is None else weights * n
        out.append(f / np.where(n > 0, n, 1))
    return weights, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(19)
    tmp = tempfile.mkdtemp(prefix="bench_ntf_")
    py_rows = {}
    with open(os.path.join(tmp, "jobs.txt"), "w") as jf:
        for name, shape, rank, iters in JOBS:
            x = planted(shape, rank, rng)
            init = [rng.random((d, rank)) for d in shape]
            x.astype("<f8").tofile(os.path.join(tmp, f"{name}_x.f64"))
            for m, f in enumerate(init):
                np.ascontiguousarray(f).astype("<f8").tofile(os.path.join(tmp, f"{name}_f{m}.f64"))
            jf.write(f"{name} {shape[0]} {shape[1]} {shape[2]} {rank} {iters}\n")
            ts, res = [], None
            for _ in range(args.reps):
                t = time.perf_counter()
                cp, errors = non_negative_parafac_hals(
                    x, rank, n_iter_max=iters, init=CPTensor((np.ones(rank), [f.copy() for f in init])),
                    tol=1e-300, return_errors=True)
                ts.append(time.perf_counter() - t)
                res = (cp, errors)
            py_rows[name] = (float(np.median(ts)), res)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "ganglion-analysis", "--example", "bench_ntf"],
                   cwd=ROOT, check=True)
    subprocess.run([os.path.join(ROOT, "target", "release", "examples", "bench_ntf"), tmp, str(args.reps)],
                   check=True)
    rust_t = dict(l.split() for l in open(os.path.join(tmp, "rust_times.txt")) if l.strip())
    read = lambda n: np.fromfile(os.path.join(tmp, n), dtype="<f8")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
          f"Python {platform.python_version()}, numpy {np.__version__}, "
          f"tensorly {importlib.metadata.version('tensorly')}; numpy BLAS threads as installed.\n")
    print("| tensor (I×J×K) | rank | iterations | tensorly median (s) | Ganglion median (s) | ratio (tensorly/Ganglion) "
          "| final rel. error (tensorly / Ganglion) | max |Δ error| | max |Δ factor| |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, shape, rank, iters in JOBS:
        t_py, (cp, errors) = py_rows[name]
        t_rs = float(rust_t[name])
        e_py = np.array([float(e) for e in errors])
        e_rs = read(f"rust_{name}_errors.f64")
        assert len(e_py) == len(e_rs), (name, len(e_py), len(e_rs))
        w_py, f_py = normalise(cp.factors)
        f_rs = [read(f"rust_{name}_f{m}.f64").reshape(shape[m], rank) for m in range(3)]
        w_rs = read(f"rust_{name}_weights.f64")
        de = float(np.max(np.abs(e_py - e_rs)))
        df = max(float(np.max(np.abs(a - b))) for a, b in zip(f_py, f_rs))
        dw = float(np.max(np.abs(w_py - w_rs) / np.maximum(w_py, 1e-300)))
        assert de < 1e-8, (name, "errors differ", de)
        assert df < 1e-6, (name, "factors differ", df)
        assert dw < 1e-6, (name, "weights differ", dw)
        print(f"| {shape[0]}×{shape[1]}×{shape[2]} | {rank} | {len(e_py)} | {t_py:.4f} | {t_rs:.4f} | {t_py / t_rs:.1f} "
              f"| {e_py[-1]:.6f} / {e_rs[-1]:.6f} | {de:.1e} | {df:.1e} |")


if __name__ == "__main__":
    main()
