#!/usr/bin/env python3
"""Time single-process, single-thread Ganglion runs of the specs gen_specs.py writes.

For each spec: `ganglion run SPEC --threads 1 --no-plots --json`, REPEATS times; keep the
median simulate_s (build and write excluded) and count from the manifest and the spec
  steps      = duration / dt
  neurons    = N
  spikes     = sum of the populations' spike counts
  poisson_draws, poisson_events = Poisson counts drawn (targets x steps), expected input events
  row_visits = sum over projections of spikes(source): outgoing rows walked
  events     = sum over projections of spikes(source) x synapses(projection) / size(source)
               (the expected number of synaptic events delivered: every spike of a source
               neuron walks that neuron's outgoing row; the mean row length is synapses/size)
  syn_bytes  = the manifest's synapse_bytes (CSR storage, the per-rank memory term)
The timing fitted is simulate_cpu_s: CPU time of the simulation phase (see one()); the
wall simulate_s (minimum of the repeats) is kept too.
GANGLION_BIN overrides the binary (use a copy: cargo may replace target/release/ganglion).
Writes a JSON list to OUT (default bench/scaling/compute_runs.json), replacing rows of the
same spec name.

Usage: measure_compute.py SPEC... | SPECDIR [--out OUT] [--repeats 2] [--pool] [--annotate]
"""
import argparse
import glob
import json
import resource
import os
import statistics
import subprocess
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("GANGLION_BIN", os.path.join(ROOT, "target/release/ganglion"))


def ms(s):
    v, u = s.split()
    return float(v) * {"ms": 1.0, "s": 1000.0}[u]


def projection_synapses(p, sizes):
    c = p["connectivity"]
    if c["rule"] == "fixed_indegree":
        return c["k"] * sizes[p["target"]]
    if c["rule"] == "fixed_total_number":
        return c["n"]
    raise ValueError(f"projection {p['source']}->{p['target']}: rule {c['rule']} not counted")


def poisson_counts(conf, dur_ms):
    """(draws, events) of the external Poisson inputs: draws = targets x steps (one count per
    target neuron and step), events = rate x targets x duration (expected). Ganglion draws each
    count from a keyed random stream and inverts the Poisson CDF by linear search
    (ganglion-sim inputs.rs), so the cost has a per-draw and a per-event part."""
    sizes = {p["name"]: p["size"] for p in conf["population"]}
    steps = round(dur_ms / ms(conf["simulation"]["dt"]))
    draws = events = 0.0
    for inp in conf.get("input", []):
        if inp["kind"] == "poisson":
            v, u = inp["rate"].split()
            assert u == "Hz", f"input rate {inp['rate']}: expected Hz"
            events += float(v) * sizes[inp["target"]] * dur_ms / 1000.0
            draws += sizes[inp["target"]] * steps
    return draws, events


def row_visits(conf, spikes_by_pop, spikes_total):
    """Outgoing-row visits: every spike of a source population walks one row in each of the
    population's projections (on every rank of a distributed run, however short the rank's
    part of the row). Without per-population counts (older rows) the mean number of
    projections per population stands in."""
    projs = conf.get("projection", [])
    if spikes_by_pop is not None:
        return float(sum(spikes_by_pop[p["source"]] for p in projs))
    return spikes_total * len(projs) / len(conf["population"])


def run_cpu(args):
    """Run the binary; return (its manifest, the CPU seconds (user + sys) it used)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(args, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(r.stdout), cpu


def one(spec, repeats):
    conf = tomllib.load(open(spec, "rb"))
    sizes = {p["name"]: p["size"] for p in conf["population"]}
    models = {p["name"]: p["model"] for p in conf["population"]}
    times, cpus, man = [], [], None
    out = f"/tmp/scaling_run_{os.getpid()}"
    base = [BIN, "run", spec, "--threads", "1", "--no-plots", "--json", "--out", out, "--force"]
    for _ in range(repeats):
        man, cpu = run_cpu(base)
        times.append(man["timings"]["simulate_s"])
        cpus.append(cpu)
    # the same build with one step simulated: its CPU time is the build + start-up + write
    # overhead that the full run's CPU time includes
    build_cpus = [run_cpu(base + ["--duration", "0.1 ms"])[1] for _ in range(2)]
    spikes = {p["name"]: p["spike_count"] for p in man["populations"]}
    syn_each = sum(projection_synapses(p, sizes) for p in conf.get("projection", []) if isinstance(p.get("delay"), dict))
    ev_const = ev_each = 0.0
    for p in conf.get("projection", []):
        ev = spikes[p["source"]] * projection_synapses(p, sizes) / sizes[p["source"]]
        if isinstance(p.get("delay"), dict):
            ev_each += ev
        else:
            ev_const += ev
    dt, dur = ms(conf["simulation"]["dt"]), man["duration_ms"]
    neurons_by_model = {}
    for name, m in models.items():
        neurons_by_model[m] = neurons_by_model.get(m, 0) + sizes[name]
    return {
        "spec": os.path.basename(spec)[:-5],
        "steps": round(dur / dt),
        "duration_ms": dur,
        "neurons": man["neurons"],
        "neurons_by_model": neurons_by_model,
        "synapses": man["synapses"],
        "synapses_per_synapse_delay": syn_each,
        "syn_bytes": man["synapse_bytes"],
        "spikes": sum(spikes.values()),
        "spikes_by_pop": spikes,
        "row_visits": row_visits(conf, spikes, sum(spikes.values())),
        "poisson_draws": poisson_counts(conf, dur)[0],
        "poisson_events": poisson_counts(conf, dur)[1],
        "rate_hz": sum(spikes.values()) / man["neurons"] / (dur / 1000.0),
        "events_const_delay": ev_const,
        "events_each_delay": ev_each,
        # The machine is shared (other helpers build and run benchmarks on its 2 cores, load
        # average 4-8): wall time then measures the scheduler. The fit uses CPU time of the
        # simulation phase: process CPU (user + sys) of the full run minus that of a one-step
        # run of the same spec (build, start-up, write), minima over the repeats. Cache
        # pollution by the other processes still inflates it somewhat.
        "simulate_cpu_s": max(min(cpus) - min(build_cpus), 0.0),
        "cpu_full_s_all": cpus,
        "cpu_build_s_all": build_cpus,
        "simulate_s": min(times),
        "simulate_s_median": statistics.median(times),
        "loadavg_1min": os.getloadavg()[0],
        "simulate_s_all": times,
        "build_s": man["timings"]["build_s"],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("specs", nargs="+", help="spec files or folders of them")
    ap.add_argument("--out", default=os.path.join(HERE, "compute_runs.json"))
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--pool", action="store_true",
                    help="pool the repeats with OUT's earlier pass of the same spec (same duration)")
    ap.add_argument("--annotate", action="store_true",
                    help="only add poisson_draws/poisson_events/row_visits to the rows of OUT from the given specs")
    a = ap.parse_args()
    specs = []
    for s in a.specs:
        specs += sorted(glob.glob(os.path.join(s, "*.toml"))) if os.path.isdir(s) else [s]
    # rows of OUT are kept and replaced by name: a spec can be re-measured on its own
    rows = json.load(open(a.out)) if os.path.exists(a.out) else []
    if a.annotate:
        by_name = {os.path.basename(s)[:-5]: s for s in specs}
        for r in rows:
            if r["spec"] in by_name:
                conf = tomllib.load(open(by_name[r["spec"]], "rb"))
                r["poisson_draws"], r["poisson_events"] = poisson_counts(conf, r["duration_ms"])
                r["row_visits"] = row_visits(conf, r.get("spikes_by_pop"), r["spikes"])
        json.dump(rows, open(a.out, "w"), indent=1)
        return
    for spec in specs:
        t0 = time.time()
        r = one(spec, a.repeats)
        old = [x for x in rows if x["spec"] == r["spec"]]
        if a.pool and old and old[0]["duration_ms"] == r["duration_ms"]:
            # another pass over the same spec: pool the repeats, keep the least-disturbed
            o = old[0]
            r["cpu_full_s_all"] = o["cpu_full_s_all"] + r["cpu_full_s_all"]
            r["cpu_build_s_all"] = o["cpu_build_s_all"] + r["cpu_build_s_all"]
            r["simulate_s_all"] = o["simulate_s_all"] + r["simulate_s_all"]
            r["simulate_cpu_s"] = max(min(r["cpu_full_s_all"]) - min(r["cpu_build_s_all"]), 0.0)
            r["simulate_s"] = min(r["simulate_s_all"])
            r["passes"] = o.get("passes", 1) + 1
        rows = [x for x in rows if x["spec"] != r["spec"]] + [r]
        print(f"{r['spec']:40s} N={r['neurons']:7d} syn={r['synapses']:.3g} rate={r['rate_hz']:.2f} Hz "
              f"sim={r['simulate_s']:.3f}s cpu={r['simulate_cpu_s']:.3f}s  ({time.time() - t0:.1f}s wall)", flush=True)
        json.dump(sorted(rows, key=lambda x: x["spec"]), open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
