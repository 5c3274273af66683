#!/usr/bin/env python3
"""reservoirpy side of the adaptive E/I reservoir benchmark (see ei_reservoir_bench.sh).

Reads the frozen reservoir that `bench_ei_reservoir` (ganglion-learn example) adapted and wrote
into DIR -- effective recurrent matrix W (Dale-signed, per-neuron inhibitory gains applied),
W_in, biases, the Mackey-Glass series u and targets y, raw little-endian f64 -- and runs the same
reservoir in reservoirpy 0.4:

    Reservoir(W=csr(W), Win=W_in, bias=b, lr=leak, activation="sigmoid") >> Ridge(ridge=1e-6)

reservoirpy's update x[t+1] = (1 - lr) x[t] + lr f(W x[t] + Win u[t+1] + bias) is Ganglion's
r(t) = (1 - a) r(t-1) + a sigmoid(W r(t-1) + W_in u(t) + b). fit = node creation + fit on the
first n_train steps (warmup = washout); predict = run on the rest. Prints one JSON line with the
timings, the NRMSE and the largest |prediction difference| against Ganglion's pred.f64.
"""
import argparse
import json
import time

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dir")
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--n-train", type=int, required=True)
    p.add_argument("--washout", type=int, default=100)
    p.add_argument("--leak", type=float, required=True)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    d, n = args.dir, args.size
    rd = lambda name: np.fromfile(f"{d}/{name}", dtype="<f8")
    u, y = rd("u.f64").reshape(-1, 1), rd("y.f64").reshape(-1, 1)
    w = rd("w.f64").reshape(n, n)
    w_in, bias = rd("w_in.f64").reshape(n, 1), rd("bias.f64")
    g_pred = rd("pred.f64").reshape(-1, 1)

    import scipy.sparse
    import reservoirpy
    from reservoirpy.nodes import Reservoir, Ridge

    w_csr = scipy.sparse.csr_matrix(w)
    nt = args.n_train
    t0 = time.perf_counter()
    res = Reservoir(W=w_csr, Win=w_in, bias=bias, lr=args.leak, activation="sigmoid")
    model = res >> Ridge(ridge=1e-6)
    model.fit(u[:nt], y[:nt], warmup=args.washout)
    t1 = time.perf_counter()
    pred = model.run(u[nt:])
    t2 = time.perf_counter()
    truth = y[nt:]
    nrmse = float(np.sqrt(np.mean((pred - truth) ** 2)) / np.std(truth))
    print(json.dumps({
        "tool": "reservoirpy", "version": reservoirpy.__version__, "seed": args.seed,
        "nrmse": nrmse, "fit_s": t1 - t0, "predict_s": t2 - t1,
        "max_abs_pred_diff": float(np.max(np.abs(pred - g_pred))),
        "nnz": int(w_csr.nnz),
    }))


if __name__ == "__main__":
    main()
