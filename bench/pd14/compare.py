"""Per-neuron rate and ISI-CV distributions of Ganglion and NEST runs of PD14, and their
two-sample Kolmogorov–Smirnov distances (Dasbach et al. 2021's recipe, as in the reference's
reference_data/analyze_reference_data.py: statistics over [500 ms, T), CVs of neurons with
>= 3 spikes in the window).

Usage:
  python bench/pd14/compare.py ganglion-stats RUN_DIR N_SCALE T_MS OUT.json
      (per-neuron statistics of a `ganglion run` output folder)
  python bench/pd14/compare.py ks A.json B.json
      (KS distance of rates and CVs per population)
"""
import json
import sys

import numpy as np

POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
FULL_N = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]


def stats(times, senders, n, t0, t1):
    keep = (times >= t0) & (times < t1)
    times, senders = times[keep], senders[keep].astype(np.int64)
    order = np.lexsort((times, senders))
    times, senders = times[order], senders[order]
    counts = np.bincount(senders, minlength=n)
    rates = counts / ((t1 - t0) / 1000.0)
    starts = np.concatenate([[0], np.cumsum(counts)])
    cvs = []
    for i in range(n):
        if counts[i] >= 3:
            isi = np.diff(times[starts[i]:starts[i + 1]])
            cvs.append(float(isi.std() / isi.mean()))
    return rates.tolist(), cvs


def ganglion_stats(run_dir, scale, t_ms, out):
    pops = {}
    for i, p in enumerate(POPS):
        n = int(round(FULL_N[i] * scale))
        t = np.load(f"{run_dir}/spikes_{p}_times.npy")
        s = np.load(f"{run_dir}/spikes_{p}_senders.npy")
        rates, cvs = stats(t, s, n, 500.0, t_ms)
        pops[p] = {"n": n, "rates": rates, "cvs": cvs, "mean_rate": float(np.mean(rates))}
    with open(out, "w") as f:
        json.dump({"simulator": "Ganglion", "scale": scale, "populations": pops}, f)
    print({k: round(v["mean_rate"], 3) for k, v in pops.items()})


def ks(a, b):
    """Two-sample KS statistic sup |F_a - F_b|."""
    a, b = np.sort(a), np.sort(b)
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    x = np.concatenate([a, b])
    fa = np.searchsorted(a, x, side="right") / len(a)
    fb = np.searchsorted(b, x, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def ks_report(fa, fb):
    A, B = json.load(open(fa)), json.load(open(fb))
    rows = {}
    for p in POPS:
        pa, pb = A["populations"][p], B["populations"][p]
        rows[p] = {
            "rate_a": pa["mean_rate"], "rate_b": pb["mean_rate"],
            "ks_rate": ks(pa["rates"], pb["rates"]), "ks_cv": ks(pa["cvs"], pb["cvs"]),
            "cv_a": float(np.mean(pa["cvs"])) if pa["cvs"] else float("nan"),
            "cv_b": float(np.mean(pb["cvs"])) if pb["cvs"] else float("nan"),
        }
    print(json.dumps(rows))
    return rows


if __name__ == "__main__":
    if sys.argv[1] == "ganglion-stats":
        ganglion_stats(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    else:
        ks_report(sys.argv[2], sys.argv[3])
