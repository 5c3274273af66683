#!/usr/bin/env python3
"""reservoirpy side of the Ganglion reservoir benchmark (see reservoir_bench.sh).

Mackey-Glass one-step prediction, the same task as
`ganglion reservoir --task mackey-glass --size N --density P --spectral-radius R --steps T`:
the series is produced by `mackey_glass()` below, a line-for-line port of
ganglion-learn's `tasks::MackeyGlass` (tau 17, a 0.2, b 0.1, n 10, constant history 1.2,
RK4 with 10 sub-steps per unit sample), rescaled to [-1, 1]; input x(t) -> target x(t+1);
the first 80 % trains a ridge readout (first 100 states discarded), the last 20 % is tested
teacher-forced. Reservoir: reservoirpy 0.4 `Reservoir(units, lr=0.3, sr, input_scaling=1,
rc_connectivity=density, input_connectivity=0.1) >> Ridge(ridge=1e-6)`.

Timing matches Ganglion's: fit_s = node creation + `fit` (reservoirpy builds W, computes
the spectral radius and Win lazily inside fit) ; predict_s = `run` on the test inputs.
Prints one JSON line: {"nrmse", "fit_s", "predict_s", ...}.
"""
import argparse
import json
import time

import numpy as np


def mackey_glass(length, tau=17.0, a=0.2, b=0.1, n=10.0, x0=1.2, sample_step=1.0, substeps=10):
    """Port of ganglion_learn::tasks::MackeyGlass::generate (keep the two in step)."""
    dt = sample_step / substeps
    d = int(round(tau / dt))
    f = lambda x, xd: a * xd / (1.0 + xd ** n) - b * x
    hist = [x0] * (d + 1)
    x = x0
    out = np.empty(length)
    k = 0
    for i in range(length):
        out[i] = x
        for _ in range(substeps):
            xd0 = hist[(k + 1) % (d + 1)]
            xd1 = x if d == 1 else hist[(k + 2) % (d + 1)]
            xdm = 0.5 * (xd0 + xd1)
            k1 = f(x, xd0)
            k2 = f(x + 0.5 * dt * k1, xdm)
            k3 = f(x + 0.5 * dt * k2, xdm)
            k4 = f(x + dt * k3, xd1)
            x = x + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            k += 1
            hist[k % (d + 1)] = x
    return out


def rescale_to_unit(x):
    lo, hi = x.min(), x.max()
    return 2.0 * (x - lo) / (hi - lo) - 1.0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", type=int, default=1000)
    p.add_argument("--density", type=float, default=0.1)
    p.add_argument("--spectral-radius", type=float, default=0.9)
    p.add_argument("--steps", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ridge", type=float, default=1e-6)
    p.add_argument("--print-series", type=int, default=0, help="print the first N samples of the raw series and exit")
    args = p.parse_args()

    raw = mackey_glass(args.steps + 1)
    if args.print_series:
        print(json.dumps([float(v) for v in raw[: args.print_series]]))
        return
    x = rescale_to_unit(raw).reshape(-1, 1)
    u, y = x[:-1], x[1:]
    n_train = int(round(args.steps * 0.8))
    washout = 100

    from reservoirpy.nodes import Reservoir, Ridge  # noqa: E402 (import after arg parsing)
    import reservoirpy

    t0 = time.perf_counter()
    res = Reservoir(args.size, lr=0.3, sr=args.spectral_radius, input_scaling=1.0,
                    rc_connectivity=args.density, input_connectivity=0.1, seed=args.seed)
    model = res >> Ridge(ridge=args.ridge)
    model.fit(u[:n_train], y[:n_train], warmup=washout)
    t1 = time.perf_counter()
    pred = model.run(u[n_train:])
    t2 = time.perf_counter()
    truth = y[n_train:]
    nrmse = float(np.sqrt(np.mean((pred - truth) ** 2)) / np.std(truth))
    print(json.dumps({"tool": "reservoirpy", "version": reservoirpy.__version__, "seed": args.seed,
                      "nrmse": nrmse, "fit_s": t1 - t0, "predict_s": t2 - t1}))


if __name__ == "__main__":
    main()
