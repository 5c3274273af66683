"""Distributed-engine measurements: wall time, time in the spike exchange, bytes exchanged
per epoch and peak memory per rank of `mpirun -np K` of the engine on SPEC, 1 thread per rank.

The runs use crates/ganglion-mpi's `mpi_selfcheck` example in its `bench` mode (the engine
and the MPI transport of `ganglion run`, without writing outputs):

    cargo build --release --example mpi_selfcheck -p ganglion-mpi --features mpi
    flock /tmp/ganglion-heavy.lock python3 bench/mpi/bench.py examples/pd14_small.toml \
        --ranks 1 2 4 --out bench/mpi/results.json

Each rank runs under /usr/bin/time -v (its own peak RSS) and prints its exchange statistics.
Appends a JSON record per (spec, ranks, rep) to --out.
"""

import argparse
import json
import os
import pathlib
import platform
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run_once(binary, spec, ranks, threads):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        inner = (
            f'exec /usr/bin/time -v -o "{tmp}/time.$OMPI_COMM_WORLD_RANK" '
            f'"{binary}" "{spec}" {threads} bench'
        )
        cmd = [
            "mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
            "-np", str(ranks), "sh", "-c", inner,
        ]
        env = dict(os.environ, GANGLION_EXCHANGE_STATS="1", OMPI_ALLOW_RUN_AS_ROOT="1",
                   OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"mpirun -np {ranks} failed:\n{p.stdout[-2000:]}\n{p.stderr[-4000:]}")
        manifest = json.loads(p.stdout.strip().splitlines()[-1])
        stats = []
        for line in p.stderr.splitlines():
            if line.startswith("exchange-stats"):
                stats.append({k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)})
        stats.sort(key=lambda s: s["rank"])
        rss = []
        for r in range(ranks):
            text = (tmp / f"time.{r}").read_text()
            rss.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) * 1024)
        return {
            "wall_s": wall,
            "build_s": manifest["build_s"],
            "simulate_s": manifest["simulate_s"],
            "steps": manifest["steps"],
            "neurons": manifest["neurons"],
            "spikes": manifest["spikes"],
            "synapses": manifest["synapses"],
            "per_rank": [
                dict(s, peak_rss_bytes=rss[int(s["rank"])]) for s in stats
            ],
        }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--binary", default=str(ROOT / "target/release/examples/mpi_selfcheck"))
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    records = []
    for k in a.ranks:
        for rep in range(a.reps):
            r = run_once(a.binary, a.spec, k, a.threads)
            r.update(spec=a.spec, ranks=k, threads=a.threads, rep=rep, cores=os.cpu_count(),
                     machine=platform.processor() or platform.machine(),
                     oversubscribed=k * a.threads > (os.cpu_count() or 1))
            ex = [s["exchange_s"] for s in r["per_rank"]]
            n = r["per_rank"][0]["exchanges"] if r["per_rank"] else 0
            recv = r["per_rank"][0]["bytes_received"] if r["per_rank"] else 0
            r["exchange_s_per_exchange_max"] = max(ex) / n if n else 0.0
            r["bytes_per_exchange"] = recv / n if n else 0.0
            print(json.dumps({k2: r[k2] for k2 in ("ranks", "wall_s", "simulate_s", "build_s",
                  "exchange_s_per_exchange_max", "bytes_per_exchange")}), flush=True)
            records.append(r)
    if a.out:
        path = pathlib.Path(a.out)
        old = json.loads(path.read_text()) if path.exists() else []
        path.write_text(json.dumps(old + records, indent=1) + "\n")


if __name__ == "__main__":
    main()
