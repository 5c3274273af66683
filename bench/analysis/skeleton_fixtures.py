"""Fixtures for ganglion_analysis::skeleton from scikit-image and the FISBe reference code.

Writes small text fixtures (one `key values...` line each) into crates/ganglion-analysis/tests/fixtures/skeleton/:

* ``skel_<name>.txt``: a binary 3-D mask and the skeleton that ``skimage.morphology.skeletonize``
  (Lee et al. 1994 thinning in 3-D) returns for it;
* ``metrics_<name>.txt``: a ground-truth and a predicted label volume and what the reference
  evaluation code of FISBe (Kainmueller-Lab/evaluate-instance-segmentation, ``evaluate_volume``
  with the FlyLight settings: clDice localisation, greedy matching, FM threshold 0.1, FS
  threshold 0.05) returns for them, plus its clPrecision / clRecall / clDice matrices.

Volumes are stored sparsely: ``shape z y x`` and ``voxels i1 l1 i2 l2 ...`` (flat index
row-major with x fastest, label); matrices are flattened row-major,
(num_gt + 1) x (num_pred + 1) with row/column 0 the background.

The reference package is imported from a checkout of the repository (commit cc34f4d was used);
its I/O-only imports (zarr, toml, natsort) are stubbed because they are not needed to evaluate
in-memory volumes. Point EVALINSTSEG at a directory that contains ``evalinstseg/``:

    EVALINSTSEG=/path/to/evaluate-instance-segmentation bench/analysis/.venv/bin/python \
        bench/analysis/skeleton_fixtures.py
"""

import os
import sys
import types
from pathlib import Path

import numpy as np
import skimage
from skimage.morphology import skeletonize

HERE = Path(__file__).resolve().parent
OUT = HERE.parent.parent / "crates/ganglion-analysis/tests/fixtures/skeleton"
FLYLIGHT_METRICS = ["avg_gt_skel_coverage", "avg_f1_cov_score", "false_merge", "false_split"]


def load_reference():
    """Import evalinstseg from $EVALINSTSEG with its file-I/O dependencies stubbed."""
    root = os.environ.get("EVALINSTSEG", "/tmp/evalinstseg_ref")
    if not (Path(root) / "evalinstseg").is_dir():
        sys.exit(f"EVALINSTSEG={root} has no evalinstseg/ package; check out "
                 "github.com/Kainmueller-Lab/evaluate-instance-segmentation there")
    for name in ["zarr", "toml", "natsort"]:
        if name not in sys.modules:
            try:
                __import__(name)
            except ImportError:
                stub = types.ModuleType(name)
                stub.natsorted = sorted
                sys.modules[name] = stub
    sys.path.insert(0, root)
    import evalinstseg.evaluate as ev
    import evalinstseg.localize as loc
    import evalinstseg.util as util
    return ev, loc, util


def reference_metrics(ev, loc, util, gt, pred):
    """FISBe metrics of one volume pair exactly as the reference code computes them."""
    res = ev.evaluate_volume(
        gt.astype(np.int32).copy(), pred.astype(np.int32).copy(), 3, None,
        localization_criterion="cldice", assignment_strategy="greedy",
        add_general_metrics=FLYLIGHT_METRICS, fm_thresh=0.1, fs_thresh=0.05,
    ).metricsDict
    g, p = util.check_and_fix_sizes(gt.astype(np.int32).copy(), pred.astype(np.int32).copy(), 3)
    g, p = util.check_fix_and_unify_ids(g, p, None, False)
    ng, npred = int(g.max()), int(p.max())
    cl, rec, prec, _ = loc.compute_localization_criterion(p, g, npred, ng, "cldice")
    ths = ["0_1", "0_2", "0_3", "0_4", "0_5", "0_6", "0_7", "0_8", "0_9"]
    cm = res["confusion_matrix"]
    gen = res["general"]
    return {
        "num_gt": ng,
        "num_pred": npred,
        "cl_recall": rec.astype(float).tolist(),
        "cl_precision": prec.astype(float).tolist(),
        "cl_dice": cl.astype(float).tolist(),
        "tp": [int(cm["th_" + t]["AP_TP"]) for t in ths],
        "fp": [int(cm["th_" + t]["AP_FP"]) for t in ths],
        "fn": [int(cm["th_" + t]["AP_FN"]) for t in ths],
        "f1": [float(cm["th_" + t]["fscore"]) for t in ths],
        "av_f1": float(cm["avFscore19"]),
        "gt_coverage": [float(c) for c in gen["gt_skel_coverage"]],
        "coverage": float(gen["avg_gt_skel_coverage"]),
        "score": float(gen["avg_f1_cov_score"]),
        "fs": int(gen["FS"]),
        "fm": int(gen["FM"]),
        "tp_05": int(gen["TP_05"]),
        "avg_tp_05_cldice": float(gen["avg_TP_05_cldice"]),
    }


# ---------------------------------------------------------------- constructed volumes


def tube(shape, points, radius, out, label):
    """Write `label` into `out` at voxels within `radius` of the polyline `points` (z, y, x)."""
    zz, yy, xx = np.indices(shape, dtype=np.float64)
    for a, b in zip(points[:-1], points[1:]):
        a = np.asarray(a, float)
        b = np.asarray(b, float)
        d = b - a
        L2 = max(d @ d, 1e-12)
        t = ((zz - a[0]) * d[0] + (yy - a[1]) * d[1] + (xx - a[2]) * d[2]) / L2
        t = np.clip(t, 0.0, 1.0)
        dist2 = (zz - a[0] - t * d[0]) ** 2 + (yy - a[1] - t * d[1]) ** 2 + (xx - a[2] - t * d[2]) ** 2
        out[dist2 <= radius * radius] = label


def random_neurons(shape, n, rng, radius=1.5, branches=2, steps=5):
    """`n` branching tubes: a random walk trunk with `branches` side walks, labels 1..n."""
    vol = np.zeros(shape, np.int32)
    hi = np.array(shape, float) - 1.0
    step = 0.18 * min(shape)
    for label in range(1, n + 1):
        start = rng.uniform(0.15, 0.85, 3) * hi
        direction = rng.normal(size=3)
        trunk = [start]
        for _ in range(steps):
            direction = direction / np.linalg.norm(direction) + 0.6 * rng.normal(size=3)
            nxt = np.clip(trunk[-1] + step * direction / np.linalg.norm(direction), 1, hi - 1)
            trunk.append(nxt)
        tube(shape, trunk, radius, vol, label)
        for _ in range(branches):
            origin = trunk[rng.integers(1, len(trunk) - 1)]
            d = rng.normal(size=3)
            end = np.clip(origin + 0.7 * step * steps / 2 * d / np.linalg.norm(d), 1, hi - 1)
            tube(shape, [origin, end], radius * 0.8, vol, label)
    return vol


def perturb(gt, rng, n_split=1, n_merge=1, n_missing=1, n_spurious=1, radius=1.5):
    """A prediction from `gt`: split, merge, drop instances and add spurious tubes."""
    pred = gt.copy()
    labels = list(rng.permutation(np.unique(gt[gt > 0])))
    nxt = int(gt.max()) + 1
    for _ in range(n_split):
        lab = labels.pop()
        z, y, x = np.nonzero(pred == lab)
        cut = np.median(x)
        sel = x > cut
        pred[z[sel], y[sel], x[sel]] = nxt
        nxt += 1
    for _ in range(n_merge):
        a, b = labels.pop(), labels.pop()
        pred[pred == b] = a
    for _ in range(n_missing):
        pred[pred == labels.pop()] = 0
    hi = np.array(gt.shape, float) - 2
    for _ in range(n_spurious):
        spur = np.zeros_like(pred)
        a = rng.uniform(0.1, 0.9, 3) * hi
        b = rng.uniform(0.1, 0.9, 3) * hi
        tube(gt.shape, [a, b], radius, spur, 1)
        pred[(spur > 0) & (pred == 0)] = nxt
        nxt += 1
    return pred


def sparse(vol):
    flat = vol.ravel()
    idx = np.nonzero(flat)[0]
    return [[int(i), int(flat[i])] for i in idx]


def write(name, obj):
    """One `key v1 v2 ...` line per entry (numbers flattened row-major; volumes as
    `flat_index label` pairs), so that the Rust test reads it without a JSON parser."""
    OUT.mkdir(parents=True, exist_ok=True)

    def flat(v):
        if isinstance(v, (list, tuple)):
            return [x for e in v for x in flat(e)]
        return [v]

    with open(OUT / f"{name}.txt", "w") as f:
        for key, val in obj.items():
            if isinstance(val, dict):
                for k2, v2 in val.items():
                    f.write(" ".join([k2] + [repr(x) if isinstance(x, float) else str(x) for x in flat(v2)]) + "\n")
            else:
                f.write(" ".join([key] + [repr(x) if isinstance(x, float) else str(x) for x in flat(val)]) + "\n")


def skeleton_cases(rng):
    cases = {}
    box = np.zeros((12, 14, 16), np.uint8)
    box[2:10, 3:11, 2:14] = 1
    cases["box"] = box
    t = np.zeros((9, 9, 20), np.uint8)
    t[3:6, 3:6, 2:18] = 1
    cases["tube"] = t
    zz, yy, xx = np.indices((9, 21, 21))
    rho = np.hypot(yy - 10, xx - 10)
    cases["torus"] = ((rho - 6.0) ** 2 + (zz - 4.0) ** 2 <= 2.3**2).astype(np.uint8)
    dot = np.zeros((5, 5, 5), np.uint8)
    dot[2, 2, 2] = 1
    cases["voxel"] = dot
    flat = np.zeros((1, 12, 12), np.uint8)
    flat[0, 2:10, 3:9] = 1
    cases["single_slice"] = flat
    ball = (np.indices((15, 15, 15)) - 7.0)
    cases["ball"] = ((ball**2).sum(0) <= 6.2**2).astype(np.uint8)
    for k in range(3):
        noise = rng.uniform(size=(16, 18, 20))
        # a smooth random blob: threshold a box-filtered noise field
        from scipy.ndimage import uniform_filter
        cases[f"blob{k}"] = (uniform_filter(noise, 5) > 0.52).astype(np.uint8)
    cases["neurons"] = (random_neurons((24, 28, 32), 3, rng) > 0).astype(np.uint8)
    return cases


def main():
    rng = np.random.default_rng(20240617)
    for name, mask in skeleton_cases(rng).items():
        skel = skeletonize(mask) > 0
        write(f"skel_{name}", {
            "shape": list(mask.shape),
            "voxels": sparse(mask),
            "skeleton": [int(i) for i in np.nonzero(skel.ravel())[0]],
        })
        print(f"skel_{name}: {int(mask.sum())} voxels -> {int(skel.sum())} skeleton voxels")

    ev, loc, util = load_reference()
    shape = (24, 28, 32)
    metric_cases = {}
    gt = random_neurons(shape, 6, rng)
    metric_cases["identical"] = (gt, gt.copy())
    metric_cases["mixed"] = (gt, perturb(gt, rng))
    gt2 = random_neurons(shape, 8, rng)
    metric_cases["two_merges"] = (gt2, perturb(gt2, rng, n_split=0, n_merge=2, n_missing=0, n_spurious=0))
    metric_cases["splits_spurious"] = (gt2, perturb(gt2, rng, n_split=2, n_merge=0, n_missing=1, n_spurious=2))
    # boundary noise: every predicted instance loses or gains a shell at random
    noisy = gt2.copy()
    from scipy.ndimage import binary_dilation, binary_erosion
    for lab in range(1, int(gt2.max()) + 1):
        m = gt2 == lab
        if rng.uniform() < 0.5:
            noisy[m & ~binary_erosion(m)] = 0
        else:
            noisy[binary_dilation(m) & (noisy == 0)] = lab
    metric_cases["boundary_noise"] = (gt2, noisy)
    empty = np.zeros_like(gt)
    metric_cases["empty_pred"] = (gt, empty)
    for name, (g, p) in metric_cases.items():
        ref = reference_metrics(ev, loc, util, g, p)
        write(f"metrics_{name}", {
            "shape": list(g.shape), "gt": sparse(g), "pred": sparse(p), "reference": ref,
        })
        print(f"metrics_{name}: avF1 {ref['av_f1']:.4f} C {ref['coverage']:.4f} "
              f"FS {ref['fs']} FM {ref['fm']} TP/FP/FN@0.5 {ref['tp'][4]}/{ref['fp'][4]}/{ref['fn'][4]}")
    write("versions", {"skimage": [skimage.__version__], "numpy": [np.__version__],
                       "evalinstseg_commit": ["cc34f4d"]})


if __name__ == "__main__":
    main()
