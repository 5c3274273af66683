"""Fixtures for ganglion_analysis::rsa from rsatoolbox (the reference implementation).

Writes small JSON files into crates/ganglion-analysis/tests/fixtures/rsa/: inputs and
rsatoolbox's outputs for every RDM measure, transform and comparison that the Rust module
implements (including crossnobis RDMs), plus CKA values from a direct numpy transcription of Kornblith et al. (2019)'s
formulas (rsatoolbox has no CKA). Infinite values (disconnected geodesics) are written as null.

Run:  bench/analysis/.venv/bin/python bench/analysis/rsa_fixtures.py
"""

import importlib.metadata
import json
import os

import numpy as np
from rsatoolbox.data import Dataset
from rsatoolbox.rdm import RDMs, calc_rdm, compare
import importlib
tr = importlib.import_module("rsatoolbox.rdm.transform")  # the package re-exports a function of that name

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "ganglion-analysis",
                   "tests", "fixtures", "rsa")


def vec(a):
    return [None if not np.isfinite(x) else float(x) for x in np.asarray(a, float).ravel()]


def rdm_of(v):
    # rsatoolbox transforms write into the array they are given: always pass a copy.
    return RDMs(np.array(v, float).reshape(1, -1).copy())


def transforms(d, gt_pairs):
    out = {
        "rank": vec(tr.rank_transform(rdm_of(d)).get_vectors()),
        "minmax": vec(tr.minmax_transform(rdm_of(d)).get_vectors()),
        "geodesic": vec(tr.geodesic_transform(rdm_of(d)).get_vectors()),
        "geotopological": [],
    }
    for low, up in gt_pairs:
        gt = tr.geotopological_transform(rdm_of(d), low, up).get_vectors()
        geo = tr.geodesic_transform(rdm_of(gt)).get_vectors()
        out["geotopological"].append(
            {"low": low, "up": up, "gt": vec(gt), "geodesic_of_gt": vec(geo)})
    return out


def comparisons(a, b):
    ra, rb = rdm_of(a), rdm_of(b)
    return {m: float(compare(ra, rb, method=m)[0, 0])
            for m in ("cosine", "corr", "spearman", "tau-a")}


def cka_numpy(x, y, kernel, unbiased, fraction=None):
    """Kornblith et al. (2019) CKA from the definitions (not from any package)."""
    def gram(z):
        g = z @ z.T
        if kernel == "linear":
            return g
        n = np.diag(g)
        sq = n[:, None] + n[None, :] - 2 * g
        return np.exp(-sq / (2 * fraction ** 2 * np.median(sq)))

    def hsic(k, l):
        n = k.shape[0]
        if not unbiased:
            h = np.eye(n) - 1.0 / n
            return np.trace(k @ h @ l @ h) / (n - 1) ** 2
        k, l = k.copy(), l.copy()
        np.fill_diagonal(k, 0)
        np.fill_diagonal(l, 0)
        one = np.ones(n)
        return (np.trace(k @ l) + one @ k @ one * (one @ l @ one) / ((n - 1) * (n - 2))
                - 2.0 / (n - 2) * one @ k @ l @ one) / (n * (n - 3))

    k, l = gram(x), gram(y)
    return hsic(k, l) / np.sqrt(hsic(k, k) * hsic(l, l))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20231)

    # 1. RDMs from patterns (conditions x channels) under each measure.
    n, p = 12, 7
    x = 3.0 * rng.standard_normal((n, p))
    ds = Dataset(x.copy())
    sq = calc_rdm(ds, method="euclidean").get_vectors()[0]
    eu = tr.sqrt_transform(calc_rdm(ds, method="euclidean")).get_vectors()[0]
    co = calc_rdm(ds, method="correlation").get_vectors()[0]
    with open(os.path.join(OUT, "rdms.json"), "w") as f:
        json.dump({"n_conditions": n, "n_channels": p, "patterns": vec(x),
                   "squared_euclidean": vec(sq), "euclidean": vec(eu), "correlation": vec(co)}, f)

    # 2. Transforms of the squared-Euclidean RDM. Its values lie well above 1 and its lower
    # quantiles above 0, where rsatoolbox's geotopological_transform is the paper's ramp.
    gt_pairs = [(0.1, 0.9), (0.2, 0.8), (0.3, 0.5), (0.0, 0.5)]
    assert np.quantile(sq, 0.5) > 1 and np.quantile(sq, 0.1) > 0
    t = {"rdm": vec(sq), **transforms(sq, gt_pairs)}
    # A tied RDM (rounded) for the rank transform's tie handling.
    tied = np.round(sq / 4.0)
    t["tied"] = {"rdm": vec(tied), "rank": vec(tr.rank_transform(rdm_of(tied)).get_vectors())}
    # A graph that falls apart: two tight clusters {0,1,2} and {3,4} with equal between
    # distances, all of which are the maximum and are therefore removed.
    clusters = np.array([1.0, 2.0, 5.0, 5.0, 1.5, 5.0, 5.0, 5.0, 5.0, 0.5])
    t["disconnected"] = {"rdm": vec(clusters),
                         "geodesic": vec(tr.geodesic_transform(rdm_of(clusters)).get_vectors())}
    # Where rsatoolbox and the paper's definition differ: a min-max scaled rank RDM with
    # up-quantile < 1. Record both; the Rust side follows the paper (authors' gt_transform).
    rk = tr.rank_transform(rdm_of(sq)).get_vectors()[0]
    mm = (rk - rk.min()) / (rk.max() - rk.min())
    lo, hi = np.quantile(mm, 0.2), np.quantile(mm, 0.8)
    ramp = np.where(mm < lo, 0.0, np.where(mm > hi, 1.0, (mm - lo) / (hi - lo)))
    t["paper_ramp"] = {"rdm": vec(mm), "low": 0.2, "up": 0.8, "paper": vec(ramp),
                       "rsatoolbox": vec(tr.geotopological_transform(rdm_of(mm), 0.2, 0.8)
                                         .get_vectors())}
    with open(os.path.join(OUT, "transforms.json"), "w") as f:
        json.dump(t, f)

    # 3. Comparisons: two related continuous RDMs, and two tied ones.
    y = x + 2.0 * rng.standard_normal((n, p))
    sq2 = calc_rdm(Dataset(y), method="euclidean").get_vectors()[0]
    tied2 = np.round(sq2 / 4.0)
    cmp_ = {"a": vec(sq), "b": vec(sq2), "values": comparisons(sq, sq2),
            "tied_a": vec(tied), "tied_b": vec(tied2), "tied_values": comparisons(tied, tied2)}
    with open(os.path.join(OUT, "compare.json"), "w") as f:
        json.dump(cmp_, f)

    # 4. CKA (numpy transcription of the definitions).
    m, px, py = 20, 6, 4
    a = rng.standard_normal((m, px))
    b = np.tanh(a[:, :py] @ rng.standard_normal((py, py))) + 0.5 * rng.standard_normal((m, py))
    cka = {"n": m, "px": px, "py": py, "x": vec(a), "y": vec(b), "values": {}}
    for kernel in ("linear", "rbf"):
        for unbiased in (False, True):
            key = f"{kernel}_{'unbiased' if unbiased else 'biased'}"
            cka["values"][key] = float(cka_numpy(a, b, kernel, unbiased, fraction=0.5))
    cka["rbf_fraction"] = 0.5
    with open(os.path.join(OUT, "cka.json"), "w") as f:
        json.dump(cka, f)

    # 5. Crossnobis RDMs: 3 folds of 8 conditions x 5 channels, identity and a full precision.
    rng = np.random.default_rng(20232)
    k, nc, pc = 3, 8, 5
    signal = rng.standard_normal((nc, pc))
    folds = np.stack([signal + 0.7 * rng.standard_normal((nc, pc)) for _ in range(k)])
    q = rng.standard_normal((pc, pc))
    prec = q @ q.T / pc + np.eye(pc)
    ds = Dataset(folds.reshape(k * nc, pc).copy(),
                 obs_descriptors={"conds": np.tile(np.arange(nc), k),
                                  "runs": np.repeat(np.arange(k), nc)})
    cn = {"k": k, "n": nc, "p": pc, "folds": vec(folds), "precision": vec(prec),
          "identity": vec(calc_rdm(ds, method="crossnobis", descriptor="conds",
                                   cv_descriptor="runs").get_vectors()[0]),
          "with_precision": vec(calc_rdm(ds, method="crossnobis", descriptor="conds",
                                         cv_descriptor="runs", noise=prec).get_vectors()[0])}
    with open(os.path.join(OUT, "crossnobis.json"), "w") as f:
        json.dump(cn, f)

    with open(os.path.join(OUT, "VERSIONS"), "w") as f:
        f.write(f"rsatoolbox {importlib.metadata.version('rsatoolbox')}\n"
                f"numpy {np.__version__}\n")
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
