#!/usr/bin/env python3
"""Run specs on 1, 2 and 4 local MPI ranks and record what model.py needs to check its
per-rank prediction: wall time of the simulate phase (rank 0's manifest), CPU time of all
ranks together (simulate phase = full run - one-step run), spikes per population, and the
engine's exchange statistics when the manifest has them.

Needs the MPI build: cargo build --release -p ganglion-cli --features mpi
(GANGLION_BIN overrides the binary; use a copy, cargo may replace it mid-run).
Ranks beyond the 2 cores are oversubscribed: they time-share the cores.

Usage: validate.py [--ranks 1 2 4] [--repeats 2] SPEC[:DURATION] ...
Writes bench/scaling/validation.json (or --out).
"""
import argparse
import json
import os
import re
import resource
import subprocess
import time

import model

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("GANGLION_BIN", os.path.join(ROOT, "target/release/ganglion"))


def run(ranks, spec, duration):
    out = f"/tmp/scaling_val_{os.getpid()}"
    cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(ranks), BIN, "run", spec,
           "--threads", "1", "--no-plots", "--json", "--out", out, "--force", "--duration", duration]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    env = dict(os.environ, GANGLION_EXCHANGE_STATS="1")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.time() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"validate: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # rank 0 prints the manifest; other ranks print nothing (or the same JSON): take the first object
    text = r.stdout[r.stdout.index("{"):]
    man, _ = json.JSONDecoder().raw_decode(text)
    # one "exchange-stats rank=R ... exchange_s=T" line per rank on stderr (crates/ganglion-cli/src/ranks.rs)
    stats = [{k: float(v) if "." in v else int(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}
             for line in r.stderr.splitlines() if line.startswith("exchange-stats ")]
    if len(stats) != ranks:
        print(f"validate: {len(stats)} exchange-stats lines from {ranks} ranks", flush=True)
    man["exchange_stats"] = sorted(stats, key=lambda s: s["rank"])
    return man, cpu, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("specs", nargs="+", help="SPEC[:DURATION], e.g. examples/pd14_small.toml:500ms")
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(HERE, "validation.json"))
    a = ap.parse_args()
    out = []
    for item in a.specs:
        spec, _, dur = item.partition(":")
        dur = dur.replace("ms", " ms") if dur else "500 ms"
        for p in a.ranks:
            fulls = [run(p, spec, dur) for _ in range(a.repeats)]
            builds = [run(p, spec, "0.1 ms")[1] for _ in range(2)]
            man = fulls[0][0]
            rates = {q["name"]: q["mean_rate_hz"] for q in man["populations"]}
            net = model.network_from_spec(spec, rates)
            row = {
                "spec": os.path.basename(spec)[:-5],
                "ranks": p,
                "model_s": man["duration_ms"] / 1000.0,
                "simulate_wall_s": min(f[0]["timings"]["simulate_s"] for f in fulls),
                "simulate_cpu_s_total": max(min(f[1] for f in fulls) - min(builds), 0.0),
                "mpirun_wall_s": [f[2] for f in fulls],
                "spikes": sum(q["spike_count"] for q in man["populations"]),
                # per rank, from the run with the shortest simulate phase: time inside the
                # all-gathers (includes waiting for slower ranks), exchanges, bytes
                "exchange": min(fulls, key=lambda f: f[0]["timings"]["simulate_s"])[0]["exchange_stats"],
                "loadavg_1min": os.getloadavg()[0],
                "network": net,
            }
            out.append(row)
            print(f"{row['spec']:24s} P={p} wall={row['simulate_wall_s']:.3f}s cpu_total={row['simulate_cpu_s_total']:.3f}s "
                  f"spikes={row['spikes']} load={row['loadavg_1min']:.1f}", flush=True)
            json.dump({"binary": BIN, "runs": out}, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
