#!/usr/bin/env python3
"""Markdown tables from bench/sweep/out/{cuba,brunel}.json (written by sweep_bench.py).

    bench/.venv/bin/python bench/sweep/summarize.py
"""

import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def corr(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")


def main():
    for net in ("cuba", "brunel"):
        path = os.path.join(HERE, "out", f"{net}.json")
        if not os.path.exists(path):
            print(f"## {net}: no results\n")
            continue
        r = json.load(open(path))
        g, b, n = r.get("ganglion"), r.get("brian2"), r.get("nest")
        bs, ns = r.get("brian2_single"), r.get("nest_single")
        print(f"## {net}: {r['duration_ms']:.0f} ms per point, {r['threads']} threads, "
              f"load average before {r['loadavg_before'][0]:.1f}, after {r['loadavg_after'][0]:.1f}\n")
        print("| | wall time (s) |")
        print("|---|---|")
        if g:
            print(f"| Ganglion: 16-point `ganglion sweep` (one process) | {g['wall_s']:.2f} |")
        if b:
            print(f"| Brian2 cpp_standalone: 16-point sweep (one process) | {b['wall_s']:.2f} |")
            print(f"|   of which define + first build/compile | {b['define_s']:.2f} + {b['build_compile_s']:.2f} |")
            print(f"|   of which 16 x device.run(run_args=...) | {b['sweep_runs_s']:.2f} "
                  f"(median point {sorted(b['runs_s'])[8]:.2f}) |")
        if n:
            print(f"| NEST: 16 x (ResetKernel, build, Simulate) (one process) | {n['wall_s']:.2f} "
                  f"(median point {sorted(n['points_s'])[8]:.2f}) |")
        if bs:
            print(f"| Brian2 single run (bench/brian2_nets.py, compile + run) | {bs['wall_s']:.2f} |")
        if ns:
            print(f"| NEST single run (bench/nest_nets.py) | {ns['wall_s']:.2f} |")
        print()
        if g:
            print("| ratio | value |")
            print("|---|---|")
            for label, other in [("Brian2 sweep / Ganglion sweep", b), ("NEST sweep / Ganglion sweep", n),
                                 ("Brian2 single run / Ganglion sweep", bs),
                                 ("NEST single run / Ganglion sweep", ns)]:
                if other:
                    print(f"| {label} | {other['wall_s'] / g['wall_s']:.2f} |")
            print()
        tools = [(k, r[k]["rates"]) for k in ("ganglion", "brian2", "nest") if k in r]
        if tools:
            print("| point | " + " | ".join(["a", "b"]) + " | " + " | ".join(f"{k} exc rate (Hz)" for k, _ in tools) + " |")
            print("|---" * (3 + len(tools)) + "|")
            for i, (a, bb) in enumerate(r["grid"]):
                print(f"| {i} | {a} | {bb} | " + " | ".join(f"{v[i]:.2f}" for _, v in tools) + " |")
            print()
            for (k1, v1), (k2, v2) in [(tools[i], tools[j]) for i in range(len(tools)) for j in range(i + 1, len(tools))]:
                rel = [abs(x - y) / (0.5 * (x + y)) for x, y in zip(v1, v2) if x + y > 0]
                rel.sort()
                med = rel[len(rel) // 2] if rel else float("nan")
                mx = rel[-1] if rel else float("nan")
                print(f"- {k1} vs {k2}: Pearson r = {corr(v1, v2):.3f} across the 16 points; "
                      f"|difference| / mean: median {100 * med:.1f} %, max {100 * mx:.1f} %")
            print()
        if bs or ns:
            print("Single-run exc rates (example parameters): " + ", ".join(
                f"{k} {r[k]['exc_rate_hz']}" for k in ("brian2_single", "nest_single") if k in r) + "\n")


if __name__ == "__main__":
    main()
