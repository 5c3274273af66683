#!/usr/bin/env python3
"""Run hpc_benchmark at one scale in Ganglion or NEST and append one JSON line to a log.

    python3 bench/hpc/bench.py ganglion --scale 10 --plastic --log bench/hpc/runs.jsonl
    python3 bench/hpc/bench.py nest --scale 2 --log bench/hpc/runs.jsonl

Every run goes through `flock /tmp/ganglion-heavy.lock /usr/bin/time -v ...` (the lock keeps
heavy runs of other benchmarks from overlapping this one; GNU time gives the peak RSS of the
simulator process). Ganglion: the spec comes from hpc_spec.py, build and simulate times and
rates from its manifest.json; NEST: nest_hpc.py's JSON line. Logged per run: scale, neurons,
synapses, plasticity, simulator, threads, build_s, sim_s, real-time factor (sim_s / model
time), peak RSS, bytes per synapse (peak RSS / synapses), mean rate, spikes and the
synaptic events delivered (spikes × mean out-degree 11 250).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
LOCK = "/tmp/ganglion-heavy.lock"


def timed(cmd):
    """Run `cmd` under the lock and GNU time; return (stdout, peak RSS bytes, wall s)."""
    full = ["flock", LOCK, "/usr/bin/time", "-v"] + cmd
    t0 = time.time()
    p = subprocess.run(full, capture_output=True, text=True, cwd=ROOT)
    wall = time.time() - t0
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    e = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", p.stderr)
    el = 0.0
    for part in e.group(1).split(":"):
        el = el * 60 + float(part)
    return p.stdout, int(m.group(1)) * 1024, el


def ganglion(a):
    with tempfile.TemporaryDirectory() as d:
        spec = os.path.join(d, "hpc.toml")
        args = ["--scale", str(a.scale), "--threads", str(a.threads), "--duration", str(a.duration),
                "--seed", str(a.seed), "--out", spec]
        if a.plastic:
            args.append("--plastic")
        if a.no_synapses:
            args.append("--no-synapses")
        subprocess.run([sys.executable, os.path.join(HERE, "hpc_spec.py")] + args, check=True)
        if a.time_spec:
            # ganglion-sim's example time_spec: build + run, no output files.
            stdout, rss, wall = timed([a.time_spec, spec, "1"])
            f = stdout.split()
            v = dict(zip(f[0::2], f[1::2]))
            n = sum(int(x) for x in re.findall(r"^size = (\d+)$", open(spec).read(), re.M))
            return dict(simulator="ganglion", version="0.1.0 (time_spec)", build_s=float(v["build_s"]),
                        sim_s=float(v["simulate_s"]), neurons=n, spikes=int(v["spikes"]),
                        synapses=0 if a.no_synapses else n * 11250, spike_hash=v["hash"],
                        peak_rss_bytes=rss, wall_s=wall)
        out = os.path.join(d, "out")
        _, rss, wall = timed([a.binary, "run", spec, "--no-plots", "--out", out, "--force"])
        with open(os.path.join(out, "manifest.json")) as f:
            m = json.load(f)
    pops = m["populations"]
    spikes = sum(p.get("spikes", p.get("spike_count", 0)) for p in pops)
    return dict(simulator="ganglion", version=m["ganglion_version"], build_s=m["timings"]["build_s"],
                sim_s=m["timings"]["simulate_s"], neurons=m["neurons"], synapses=m["synapses"],
                synapse_bytes=m["synapse_bytes"], spikes=spikes, populations=pops,
                peak_rss_bytes=rss, wall_s=wall)


def nest(a):
    py = os.path.join(ROOT, "bench", ".venv", "bin", "python")
    cmd = [py, os.path.join(HERE, "nest_hpc.py"), "--scale", str(a.scale), "--threads", str(a.threads),
           "--duration", str(a.duration), "--seed", str(a.seed)]
    if a.plastic:
        cmd.append("--plastic")
    stdout, rss, wall = timed(cmd)
    r = json.loads([ln for ln in stdout.splitlines() if ln.startswith("{")][-1])
    return dict(simulator="nest", version=r["version"], build_s=r["build_s"], sim_s=r["sim_s"],
                neurons=r["neurons"], synapses=r["synapses"], spikes=r["spikes"], populations=r["populations"],
                peak_rss_bytes=rss, wall_s=wall, rss_mb=r["rss_mb"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("simulator", choices=["ganglion", "nest"])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--plastic", action="store_true")
    ap.add_argument("--no-synapses", action="store_true", help="Ganglion only: neurons + Poisson drive")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duration", type=float, default=300.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "ganglion"))
    ap.add_argument("--time-spec", default=None,
                    help="run this build of ganglion-sim's time_spec example instead of `ganglion run`")
    ap.add_argument("--label", default="", help="free text stored with the run (e.g. the engine version)")
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    r = ganglion(a) if a.simulator == "ganglion" else nest(a)
    steps = round(a.duration / 0.1)
    r.update(scale=a.scale, plastic=a.plastic, no_synapses=a.no_synapses, threads=a.threads,
             duration_ms=a.duration, seed=a.seed, label=a.label,
             rtf=r["sim_s"] / (a.duration / 1000.0),
             bytes_per_synapse=r["peak_rss_bytes"] / r["synapses"] if r["synapses"] else None,
             rate_hz=r["spikes"] / r["neurons"] / (a.duration / 1000.0),
             neuron_updates=r["neurons"] * steps,
             synaptic_events=r["spikes"] * 11250 if not a.no_synapses else 0,
             date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    line = json.dumps(r)
    with open(a.log, "a") as f:
        f.write(line + "\n")
    print(json.dumps({k: r[k] for k in ("simulator", "scale", "plastic", "build_s", "sim_s", "rtf",
                                        "peak_rss_bytes", "bytes_per_synapse", "rate_hz", "synapses")}))


if __name__ == "__main__":
    main()
