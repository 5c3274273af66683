"""Accuracy ensemble of PD14 realisations after Dasbach et al. (2021), as the reference
repository's reference_data/ recipe computes it (analyze_reference_data.py,
compute_ensemble_statistics.py, params.py): per population, the time-averaged rate of every
neuron, the ISI CV of every neuron with >= 3 spikes, and the pairwise spike-count
correlation coefficients (2 ms bins) of a random subsample of 50 neurons, all over
[500 ms, T); two-sample KS distances (scipy.stats.ks_2samp, NaNs dropped) among the
reference (NEST) realisations and between each Ganglion realisation and each NEST one, and
an exact permutation test of the excess of the Ganglion-NEST distances over the
within-simulator ones (p >= 0.01: within the reference's spread), as the Rust
ganglion_analysis::ks_ensemble::Spread computes it.

Run folders hold spikes_<pop>_{times,senders}.npy (ms, 0-based index in the population):
`ganglion run ... --out DIR` writes them, and bench/pd14/nest_pd14.py --spikes-dir DIR.

Usage:
  python bench/pd14/ensemble.py --scale 0.1 --t-ms 5500 \
      --nest DIR [DIR ...] --ganglion DIR [DIR ...] --out ensemble.json \
      [--fixture bench/pd14/nest_ensemble_s0.1.json]
--fixture writes the NEST realisations' samples (rates, CVs, correlations) for the
cortical-microcircuit study's full mode, which compares Ganglion runs with them in Rust.
"""
import argparse
import itertools
import json
import math
import random

import numpy as np
from scipy.stats import ks_2samp

POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
FULL_N = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
T0 = 500.0
BIN_MS = 2.0
SUBSAMPLE = 50
SUBSAMPLE_SEED = 12345


def samples(run_dir, scale, t1):
    """Per-population rates, CVs and correlations of one realisation."""
    random.seed(SUBSAMPLE_SEED)  # per realisation, as analyze_reference_data.py (one process per seed)
    out = {}
    for i, p in enumerate(POPS):
        n = int(round(FULL_N[i] * scale))
        t = np.load(f"{run_dir}/spikes_{p}_times.npy")
        s = np.load(f"{run_dir}/spikes_{p}_senders.npy").astype(np.int64)
        keep = (t >= T0) & (t < t1)
        t, s = t[keep], s[keep]
        order = np.lexsort((t, s))
        t, s = t[order], s[order]
        counts = np.bincount(s, minlength=n)
        rates = counts / ((t1 - T0) / 1000.0)
        starts = np.concatenate([[0], np.cumsum(counts)])
        cvs = []
        for k in range(n):
            if counts[k] >= 3:
                isi = np.diff(t[starts[k]:starts[k + 1]])
                cvs.append(float(isi.std() / isi.mean()))
        pick = random.sample(range(n), SUBSAMPLE)
        edges = np.arange(T0, t1 + BIN_MS, BIN_MS)
        sc = np.array([np.histogram(t[starts[k]:starts[k + 1]], edges)[0] for k in pick])
        with np.errstate(invalid="ignore", divide="ignore"):
            cc = np.corrcoef(sc)
        ccs = cc[np.triu_indices(SUBSAMPLE, 1)]
        out[p] = {"rates": rates.tolist(), "cvs": cvs, "ccs": ccs.tolist()}
    return out


def ks(a, b):
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    return float(ks_2samp(a, b).statistic)


def excess(mat, is_ref):
    """Mean between-group minus mean within-group KS distance (NaNs skipped)."""
    m = len(mat)
    cross, within = [], []
    for i in range(m):
        for j in range(i + 1, m):
            if np.isnan(mat[i][j]):
                continue
            (within if is_ref[i] == is_ref[j] else cross).append(mat[i][j])
    return float(np.mean(cross)) - float(np.mean(within))


def permutation_p(mat, n_ref):
    """Exact permutation p-value of the excess over all C(m, n_ref) labellings (the
    realisations are exchangeable when both simulators sample the same law). Every labelling's
    sums of within- and between-group distances come from matrix products (C(20, 10) =
    184 756 labellings for ten seeds each; `permutation_p_loop` is the plain definition)."""
    m = len(mat)
    d = np.array(mat, float)
    ok = ~np.isnan(d) & ~np.eye(m, dtype=bool)
    d0 = np.where(ok, d, 0.0)
    c = ok.astype(float)
    lab = np.zeros((math.comb(m, n_ref), m))
    for row, ref in enumerate(itertools.combinations(range(m), n_ref)):
        lab[row, list(ref)] = 1.0
    other = 1.0 - lab

    def pair_sums(x, a, b):  # sum over i, j of a_i x_ij b_j, one value per labelling
        return np.einsum("ki,ij,kj->k", a, x, b)
    within = (pair_sums(d0, lab, lab) + pair_sums(d0, other, other)) / 2
    n_within = (pair_sums(c, lab, lab) + pair_sums(c, other, other)) / 2
    cross = pair_sums(d0, lab, other)
    n_cross = pair_sums(c, lab, other)
    exc = cross / n_cross - within / n_within
    obs = exc[0]  # combinations() starts with (0, ..., n_ref - 1): the observed labelling
    hits = exc >= obs - 1e-12 * max(abs(obs), 1.0)
    return float(obs), float(hits.mean())


def permutation_p_loop(mat, n_ref):
    """`permutation_p` by its definition, one labelling at a time (for checking it)."""
    m = len(mat)
    obs = excess(mat, [i < n_ref for i in range(m)])
    hits = total = 0
    for ref in itertools.combinations(range(m), n_ref):
        lab = [i in ref for i in range(m)]
        total += 1
        hits += excess(mat, lab) >= obs - 1e-12 * max(abs(obs), 1.0)
    return obs, hits / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, required=True)
    ap.add_argument("--t-ms", type=float, required=True)
    ap.add_argument("--nest", nargs="+", required=True)
    ap.add_argument("--ganglion", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--fixture")
    a = ap.parse_args()
    nest = [samples(d, a.scale, a.t_ms) for d in a.nest]
    gang = [samples(d, a.scale, a.t_ms) for d in a.ganglion]
    table = {}
    for p in POPS:
        table[p] = {}
        for obs in ["rates", "cvs", "ccs"]:
            within = [ks(nest[i][p][obs], nest[j][p][obs])
                      for i in range(len(nest)) for j in range(i + 1, len(nest))]
            cross = [ks(g[p][obs], r[p][obs]) for g in gang for r in nest]
            gg = [ks(gang[i][p][obs], gang[j][p][obs])
                  for i in range(len(gang)) for j in range(i + 1, len(gang))]
            allr = [r[p][obs] for r in nest] + [g[p][obs] for g in gang]
            mat = [[0.0 if i == j else ks(allr[i], allr[j]) for j in range(len(allr))]
                   for i in range(len(allr))]
            exc, pval = permutation_p(mat, len(nest))
            w, c = np.array(within), np.array(cross)
            table[p][obs] = {
                "within_nest": within, "ganglion_nest": cross, "within_ganglion": gg,
                "within_mean": float(np.nanmean(w)), "within_max": float(np.nanmax(w)),
                "cross_mean": float(np.nanmean(c)), "cross_max": float(np.nanmax(c)),
                "excess": exc, "permutation_p": pval, "within_spread": bool(pval >= 0.01),
                "mean_nest": float(np.mean([np.nanmean(r[p][obs]) for r in nest])),
                "mean_ganglion": float(np.mean([np.nanmean(g[p][obs]) for g in gang])),
            }
    res = {"scale": a.scale, "window_ms": [T0, a.t_ms], "bin_ms": BIN_MS,
           "subsample": SUBSAMPLE, "nest_runs": a.nest, "ganglion_runs": a.ganglion,
           "ks": table}
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    for p in POPS:
        print(p, "  ".join(
            f"{o}: within {table[p][o]['within_mean']:.3f}/{table[p][o]['within_max']:.3f} "
            f"cross {table[p][o]['cross_mean']:.3f}/{table[p][o]['cross_max']:.3f} "
            f"p {table[p][o]['permutation_p']:.3f} "
            f"{'ok' if table[p][o]['within_spread'] else 'OUT'}" for o in ["rates", "cvs", "ccs"]))
    if a.fixture:
        r4 = lambda xs: [None if np.isnan(x) else round(float(x), 5) for x in xs]
        fx = {
            "source": "bench/pd14/ensemble.py --fixture: NEST 3.10 running the reference PyNEST "
                      "model (bench/pd14/nest_pd14.py, Poisson background), one entry per seed; "
                      f"window [{T0}, {a.t_ms}) ms, correlations of {SUBSAMPLE} random neurons "
                      f"per population in {BIN_MS} ms bins (null = NaN: a silent neuron)",
            "scale": a.scale, "t_ms": a.t_ms, "bin_ms": BIN_MS, "subsample": SUBSAMPLE,
            "runs": a.nest,
            "realisations": [{p: {"rates": r4(r[p]["rates"]), "cvs": r4(r[p]["cvs"]),
                                  "ccs": r4(r[p]["ccs"])} for p in POPS} for r in nest],
        }
        with open(a.fixture, "w") as f:
            json.dump(fx, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
