"""Benchmark: ganglion_analysis::communities::fit_sbm (weighted SBM, exponential weights, ICL)
against graph-tool's minimize_blockmodel_dl / minimize_nested_blockmodel_dl with
rec_types=["real-exponential"] (what Dyballa et al. 2024 used), on the same weighted graphs.

Graphs:
- planted partitions with exponential weights, generated here (numpy, fixed seeds): B equal
  blocks, edge probabilities set by the expected within- and between-block degrees k_in and
  k_out, weights exponential with mean m_in within blocks and m_out between;
- weighted LFR graphs from ganglion_analysis::lfr::lfr (the Rust example writes the edge list
  and the planted communities; ⟨k⟩ = 20, k_max = 50, τ1 = 2, τ2 = 1, communities 20–50 nodes,
  β = 1.5, μ_w = μ).

The two sides optimise different criteria (graph-tool: description length with its
microcanonical priors; ganglion: ICL of the Bernoulli-exponential SBM), so they are not
expected to return identical partitions. Reported per graph: NMI(ganglion, truth),
NMI(graph-tool, truth), NMI(ganglion, graph-tool), blocks found, median time of --reps runs.
Asserted: both recover the easy planted partitions (NMI ≥ 0.95); the NMI computed here
equals the one the Rust side computes for its own partition (checks the two NMI codes agree).

graph-tool is stochastic: run r (r = 0..reps-1) seeds gt.seed_rng(42 + r) and
numpy.random.seed(42 + r); the partitions reported are those of seed 42, and the spread of
NMI(graph-tool, truth) over the seeds is given too. graph-tool runs on one OpenMP thread
(ganglion's fit is single-threaded). ganglion's fit is deterministic (seed 1), so its reps
only time it.

Run:  bench/analysis/setup-graph-tool.sh   (once; apt python3-graph-tool)
      /usr/bin/python3 bench/analysis/sbm.py [--reps 5] [--no-nested]
Writes the markdown table to stdout (paste into bench/analysis/RESULTS-sbm.md).
"""

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time

import graph_tool.all as gt
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
# name, N, B, k_in, k_out, mean weight within, mean weight between, easy (asserted)
PLANTED = [
    ("pp100_b3", 100, 3, 20.0, 5.0, 2.0, 1.0, True),
    ("pp300_b5", 300, 5, 20.0, 5.0, 2.0, 1.0, True),
    ("pp1000_b8", 1000, 8, 20.0, 5.0, 2.0, 1.0, True),
    ("pp300_b4_hard", 300, 4, 8.0, 6.0, 2.0, 1.0, False),
    # Same edge density everywhere: only the weights carry the blocks.
    ("pp300_b4_wonly", 300, 4, 10.0, 30.4, 3.0, 1.0, False),
]
# name, N, mu, seed
LFR = [("lfr300_mu0.1", 300, 0.1, 11), ("lfr300_mu0.3", 300, 0.3, 13),
       ("lfr300_mu0.5", 300, 0.5, 15), ("lfr1000_mu0.3", 1000, 0.3, 17)]
MAX_BLOCKS_PLANTED = 12
# LFR: at most N / (smallest community, 20 nodes) communities exist.
MAX_BLOCKS_LFR_NODES_PER_BLOCK = 20
RESTARTS = 4


def nmi(a, b):
    """NMI with the arithmetic-mean normalisation (sklearn's default; ganglion's `nmi`)."""
    a = np.unique(np.asarray(a), return_inverse=True)[1]
    b = np.unique(np.asarray(b), return_inverse=True)[1]
    n = len(a)
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)
    pa, pb, pj = joint.sum(1) / n, joint.sum(0) / n, joint / n
    if len(pa) == 1 and len(pb) == 1:
        return 1.0
    nz = pj > 0
    mi = float(np.sum(pj[nz] * np.log(pj[nz] / np.outer(pa, pb)[nz])))
    if mi <= 0:
        return 0.0
    h = lambda p: -float(np.sum(p * np.log(p)))
    return min(mi / max(0.5 * (h(pa) + h(pb)), np.finfo(float).eps), 1.0)


def planted(n, b, k_in, k_out, m_in, m_out, seed):
    rng = np.random.default_rng(seed)
    z = np.arange(n) * b // n
    s = n / b
    p_in, p_out = k_in / (s - 1), k_out / (n - s)
    i, j = np.triu_indices(n, 1)
    same = z[i] == z[j]
    keep = rng.random(len(i)) < np.where(same, p_in, p_out)
    i, j, same = i[keep], j[keep], same[keep]
    w = rng.exponential(np.where(same, m_in, m_out))
    return np.column_stack([i, j, w]).astype(np.float64), z


def read(path):
    return np.fromfile(path, dtype="<f8")


def gt_fit(edges, n, nested, deg_corr, seed):
    gt.seed_rng(seed)
    np.random.seed(seed)
    g = gt.Graph(directed=False)
    g.add_vertex(n)
    g.add_edge_list(edges[:, :2].astype(np.int64))
    w = g.new_ep("double", vals=edges[:, 2])
    args = dict(recs=[w], rec_types=["real-exponential"], deg_corr=deg_corr)
    t = time.perf_counter()
    if nested:
        st = gt.minimize_nested_blockmodel_dl(g, state_args=args)
        base = st.get_levels()[0]
    else:
        st = gt.minimize_blockmodel_dl(g, state_args=args)
        base = st
    dt = time.perf_counter() - t
    blocks = np.asarray(base.get_blocks().a).copy()
    return dt, blocks, st.entropy()


def gt_methods(edges, n, truth, reps, nested):
    """graph-tool over `reps` seeds: per method, the median time, the seed-42 partition and
    the range of NMI(truth) over the seeds. Flat: the plain (not degree-corrected) SBM, the
    model ganglion fits. Nested: the plain nested SBM, and the paper's recipe
    (benchmark.ipynb): the plain and the degree-corrected nested SBM, keeping the shorter
    description length (its time is that of both fits)."""
    out = {}
    for r in range(reps):
        res = {}
        if nested:
            dt, blocks, dl = gt_fit(edges, n, True, False, 42 + r)
            dt2, blocks2, dl2 = gt_fit(edges, n, True, True, 42 + r)
            res["nested"] = (dt, blocks)
            res["nested, paper"] = (dt + dt2, blocks2 if dl2 < dl else blocks)
        else:
            dt, blocks, _ = gt_fit(edges, n, False, False, 42 + r)
            res["flat"] = (dt, blocks)
        for k, (dt, blocks) in res.items():
            o = out.setdefault(k, dict(times=[], nmis=[], first=blocks))
            o["times"].append(dt)
            o["nmis"].append(nmi(blocks, truth))
    return {k: (float(np.median(o["times"])), o["first"], min(o["nmis"]), max(o["nmis"]))
            for k, o in out.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--no-nested", action="store_true")
    args = ap.parse_args()
    gt.openmp_set_num_threads(1)
    cargo = ["cargo", "run", "--quiet", "--release", "-p", "ganglion-analysis",
             "--example", "bench_sbm", "--"]
    graphs = []
    with tempfile.TemporaryDirectory() as d:
        for name, n, b, k_in, k_out, m_in, m_out, easy in PLANTED:
            edges, z = planted(n, b, k_in, k_out, m_in, m_out, seed=n + b)
            edges.astype("<f8").tofile(f"{d}/{name}_edges.f64")
            z.astype("<f8").tofile(f"{d}/{name}_truth.f64")
            desc = (f"planted N = {n}, B = {b}, k_in = {k_in:g}, k_out = {k_out:g}, "
                    f"weight means {m_in:g} / {m_out:g}")
            graphs.append((name, n, b, MAX_BLOCKS_PLANTED, easy, desc))
        for name, n, mu, seed in LFR:
            out = subprocess.run(cargo + ["lfr", d, name, str(n), str(mu), str(seed)],
                                 cwd=ROOT, check=True, capture_output=True, text=True)
            info = json.loads(out.stdout)
            desc = (f"LFR N = {n}, μ = μ_w = {mu:g} (realised μ {info['mixing']:.2f})")
            graphs.append((name, n, info["communities"], n // MAX_BLOCKS_LFR_NODES_PER_BLOCK,
                           False, desc))
        jobs = [f"{g[0]}:{g[3]}" for g in graphs]
        subprocess.run(cargo + ["fit", d, str(args.reps), str(RESTARTS)] + jobs, cwd=ROOT,
                       check=True)
        rust = json.load(open(f"{d}/rust_results.json"))
        rows = []
        for name, n, b, maxb, easy, desc in graphs:
            edges = read(f"{d}/{name}_edges.f64").reshape(-1, 3)
            truth = read(f"{d}/{name}_truth.f64").astype(int)
            ours = read(f"{d}/rust_{name}_blocks.f64").astype(int)
            r = rust[name]
            assert abs(nmi(ours, truth) - r["nmi"]) < 1e-12, (name, nmi(ours, truth), r["nmi"])
            fits = gt_methods(edges, n, truth, args.reps, False)
            if not args.no_nested:
                fits.update(gt_methods(edges, n, truth, args.reps, True))
            for label, (t, blocks, lo, hi) in fits.items():
                row = dict(graph=name, desc=desc, edges=len(edges), true_b=b, method=label,
                           ours_b=r["blocks"], gt_b=len(np.unique(blocks)),
                           ours_nmi=r["nmi"], gt_nmi=nmi(blocks, truth), gt_lo=lo, gt_hi=hi,
                           cross=nmi(ours, blocks), ours_t=r["time"], gt_t=t)
                rows.append(row)
                print(json.dumps(row), flush=True)
                if easy:
                    assert r["nmi"] >= 0.95, f"{name}: ganglion NMI {r['nmi']:.3f} < 0.95"
                    if label == "flat":
                        assert row["gt_nmi"] >= 0.95, \
                            f"{name}: graph-tool NMI {row['gt_nmi']:.3f} < 0.95"
    print()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
          f"{platform.release()}; graph-tool {gt.__version__}, numpy {np.__version__}, "
          f"Python {platform.python_version()}; median of {args.reps} runs each.")
    print()
    print("| graph | edges | true B | graph-tool | B ganglion / gt | NMI ganglion–truth | "
          "NMI gt–truth (seed 42; range over seeds) | NMI ganglion–gt | ganglion (s) | "
          "graph-tool (s) | gt / ganglion time |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for x in rows:
        print(f"| {x['desc']} | {x['edges']} | {x['true_b']} | {x['method']} | "
              f"{x['ours_b']} / {x['gt_b']} | {x['ours_nmi']:.3f} | {x['gt_nmi']:.3f} "
              f"({x['gt_lo']:.3f}–{x['gt_hi']:.3f}) | {x['cross']:.3f} | {x['ours_t']:.3g} | "
              f"{x['gt_t']:.3g} | {x['gt_t'] / x['ours_t']:.3g} |")


if __name__ == "__main__":
    main()
