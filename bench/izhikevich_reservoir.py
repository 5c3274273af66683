#!/usr/bin/env python3
"""Side-by-side: the what-when-reservoir's heterogeneous Izhikevich reservoir in Ganglion and Brian2.

    bench/.venv/bin/python bench/izhikevich_reservoir.py [--reps 5] [--n 1000] [--duration 2000]

The network is the one the `what-when-reservoir` study runs (crates/ganglion-studies/src/
studies/what_when_reservoir/reservoir.rs) with a tonic input I_e = 4 mV/ms (1 pA = 1 mV/ms, NEST's
units) in place of the cues, so that both populations fire: N Izhikevich neurons (80 % exc) with
Izhikevich (2003) heterogeneity from one r ~ U(0, 1) per neuron (the same a, b, c, d arrays
are given to both systems, as .npy files), fixed-probability connectivity p = 0.1 without
autapses, delta synapses of U(0, 3) mV (exc) and U(-6, 0) mV (inh), delay 1 ms, and two
Poisson drives of +/-1.5 mV at 1 kHz per neuron. Connectivity and noise come from each
system's own random stream, so spike trains differ; the spike statistics (rate and mean CV of
ISIs per population, both computed by bench/netdefs.py pop_stats from the spike trains)
must agree.

Integration: Ganglion's izhikevich model takes RK4 substeps of <= 0.025 ms inside its step
(dt = 0.1 ms here, 4 substeps); Brian2 runs the same RK4 at dt = 0.025 ms ('rk4'), so both
integrate the neurons with the same scheme and step. Brian2 mode: runtime (Cython), one
untimed warm-up. Times: each system's own simulation-loop timer (Ganglion manifest
timings.simulate_s; Brian2 device._last_run_time). Median of --reps runs each, alternating.
Writes bench/RESULTS-izhikevich-reservoir.md.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out", "izhikevich_reservoir")
GANGLION = os.path.join(ROOT, "target", "release", "ganglion")
sys.path.insert(0, HERE)
import netdefs  # noqa: E402

P = dict(i_e=4.0, p=0.1, w_exc=3.0, w_inh=6.0, noise_rate_hz=1000.0, noise_w=1.5, delay_ms=1.0)


def params(n, seed):
    """Per-neuron (a, b, c, d) of Izhikevich (2003) for ne exc and ni inh neurons."""
    rng = np.random.default_rng(seed)
    ne = int(round(0.8 * n))
    ni = n - ne
    re, ri = rng.random(ne), rng.random(ni)
    exc = dict(a=np.full(ne, 0.02), b=np.full(ne, 0.2), c=-65 + 15 * re ** 2, d=8 - 6 * re ** 2)
    inh = dict(a=0.02 + 0.08 * ri, b=0.25 - 0.05 * ri, c=np.full(ni, -65.0), d=np.full(ni, 2.0))
    return ne, ni, exc, inh


def write_spec(n, duration, dt):
    ne, ni, exc, inh = params(n, 7)
    os.makedirs(OUT, exist_ok=True)
    for pop, d in (("exc", exc), ("inh", inh)):
        for k, v in d.items():
            np.save(os.path.join(OUT, f"{pop}_{k}.npy"), v.astype(np.float64))
    lines = [f'[simulation]\ndt = "{dt} ms"\nduration = "{duration} ms"\nseed = 1\n']
    for pop, size in (("exc", ne), ("inh", ni)):
        sign = "excitatory" if pop == "exc" else "inhibitory"
        lines.append(
            f'[[population]]\nname = "{pop}"\nsize = {size}\nmodel = "izhikevich"\nsign = "{sign}"\n'
            f'params = {{ a = {{ file = "{pop}_a.npy" }}, b = {{ file = "{pop}_b.npy" }}, '
            f'c = {{ file = "{pop}_c.npy", unit = "mV" }}, d = {{ file = "{pop}_d.npy" }} }}\n'
            f'init = {{ V_m = "-65 mV", U_m = -13.0 }}\n')
        lines[-1] = lines[-1].replace("d = {", f'I_e = "{P["i_e"]} pA", d = {{', 1)
    for src, w in (("exc", f'{{ dist = "uniform", low = "0 mV", high = "{P["w_exc"]} mV" }}'),
                   ("inh", f'{{ dist = "uniform", low = "-{P["w_inh"]} mV", high = "0 mV" }}')):
        for tgt in ("exc", "inh"):
            lines.append(
                f'[[projection]]\nsource = "{src}"\ntarget = "{tgt}"\n'
                f'connectivity = {{ rule = "fixed_probability", p = {P["p"]} }}\n'
                f'weight = {w}\ndelay = "{P["delay_ms"]} ms"\n')
    for tgt in ("exc", "inh"):
        for sgn in ("", "-"):
            lines.append(f'[[input]]\nkind = "poisson"\ntarget = "{tgt}"\nrate = "{P["noise_rate_hz"]} Hz"\n'
                         f'weight = "{sgn}{P["noise_w"]} mV"\n')
    for pop in ("exc", "inh"):
        lines.append(f'[[monitor]]\nkind = "spikes"\npopulation = "{pop}"\n')
    path = os.path.join(OUT, "reservoir.toml")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path


def run_ganglion(spec, rep, duration):
    out = os.path.join(OUT, f"ganglion-r{rep}")
    subprocess.run(["rm", "-rf", out], check=True)
    subprocess.run([GANGLION, "run", spec, "--out", out, "--threads", "1", "--seed", str(rep + 1), "--no-plots"],
                   check=True, capture_output=True)
    with open(os.path.join(out, "manifest.json")) as f:
        man = json.load(f)
    pops = {p["name"]: p for p in man["populations"]}
    dur = man.get("duration_ms") or duration
    st = {}
    for pop in ("exc", "inh"):
        t = np.load(os.path.join(out, f"spikes_{pop}_times.npy"))
        i = np.load(os.path.join(out, f"spikes_{pop}_senders.npy"))
        st[pop] = netdefs.pop_stats(i, t, pops[pop]["size"], dur)
    return dict(sim_s=man["timings"]["simulate_s"],
                rate_exc=st["exc"]["mean_rate_hz"], rate_inh=st["inh"]["mean_rate_hz"],
                cv_exc=st["exc"]["cv_isi"], cv_inh=st["inh"]["cv_isi"])


def run_brian2(n, duration, dt, seed):
    import brian2 as b2
    b2.start_scope()
    b2.prefs.codegen.target = "cython"
    b2.seed(seed)
    ms, mV, Hz = b2.ms, b2.mV, b2.Hz
    b2.defaultclock.dt = dt * ms
    ne, ni, exc, inh = params(n, 7)
    eqs = """
    dv/dt = (0.04*v**2/mV + 5*v + 140*mV - u + I_e)/ms : volt
    du/dt = a*(b*v - u)/ms : volt
    a : 1
    b : 1
    c : volt
    d : volt
    """
    G = b2.NeuronGroup(n, eqs, threshold="v >= 30*mV", reset="v = c; u += d", method="rk4",
                       namespace=dict(I_e=P["i_e"] * mV))
    G.a = np.concatenate([exc["a"], inh["a"]])
    G.b = np.concatenate([exc["b"], inh["b"]])
    G.c = np.concatenate([exc["c"], inh["c"]]) * mV
    G.d = np.concatenate([exc["d"], inh["d"]]) * mV
    G.v = -65 * mV
    G.u = -13 * mV
    Se = b2.Synapses(G, G, "w : volt", on_pre="v_post += w", delay=P["delay_ms"] * ms)
    Se.connect(condition=f"i < {ne} and i != j", p=P["p"])
    Se.w = f"rand() * {P['w_exc']} * mV"
    Si = b2.Synapses(G, G, "w : volt", on_pre="v_post += w", delay=P["delay_ms"] * ms)
    Si.connect(condition=f"i >= {ne} and i != j", p=P["p"])
    Si.w = f"-rand() * {P['w_inh']} * mV"
    pe = b2.PoissonInput(G, "v", N=1, rate=P["noise_rate_hz"] * Hz, weight=P["noise_w"] * mV)
    pi = b2.PoissonInput(G, "v", N=1, rate=P["noise_rate_hz"] * Hz, weight=-P["noise_w"] * mV)
    mon = b2.SpikeMonitor(G)
    net = b2.Network(G, Se, Si, pe, pi, mon)
    net.run(duration * ms)
    sim_s = b2.device._last_run_time
    i, t = np.asarray(mon.i), np.asarray(mon.t / ms)
    e, h = i < ne, i >= ne
    se = netdefs.pop_stats(i[e], t[e], ne, duration)
    si = netdefs.pop_stats(i[h] - ne, t[h], ni, duration)
    return dict(sim_s=sim_s, rate_exc=se["mean_rate_hz"], rate_inh=si["mean_rate_hz"],
                cv_exc=se["cv_isi"], cv_inh=si["cv_isi"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--duration", type=float, default=2000.0)
    ap.add_argument("--dt", type=float, default=0.1, help="Ganglion step (ms); Brian2 uses 0.025 ms")
    args = ap.parse_args()
    spec = write_spec(args.n, args.duration, args.dt)
    import brian2 as b2
    run_brian2(args.n, 100.0, 0.025, 0)  # untimed warm-up: Cython compilation
    g, b = [], []
    for rep in range(args.reps):
        g.append(run_ganglion(spec, rep, args.duration))
        b.append(run_brian2(args.n, args.duration, 0.025, rep + 1))
        print(json.dumps(dict(rep=rep, ganglion=g[-1], brian2=b[-1])), flush=True)
    med = lambda rs, k: statistics.median(r[k] for r in rs)  # noqa: E731
    mean = lambda rs, k: float(np.mean([r[k] for r in rs]))  # noqa: E731
    sd = lambda rs, k: float(np.std([r[k] for r in rs], ddof=1)) if len(rs) > 1 else 0.0  # noqa: E731
    ok = True
    rows = []
    for k, rel in (("rate_exc", 0.15), ("rate_inh", 0.15), ("cv_exc", 0.15), ("cv_inh", 0.15)):
        mg, mb = mean(g, k), mean(b, k)
        se = ((sd(g, k) ** 2 + sd(b, k) ** 2) / len(g)) ** 0.5
        agree = abs(mg - mb) <= max(rel * abs(mb), 3 * se)
        ok &= agree
        rows.append(f"| {k} | {mg:.3f} ± {sd(g, k):.3f} | {mb:.3f} ± {sd(b, k):.3f} | {'yes' if agree else 'NO'} |")
    ratio = med(b, "sim_s") / med(g, "sim_s")
    txt = f"""# Izhikevich reservoir: Ganglion vs Brian2

Command: `bench/.venv/bin/python bench/izhikevich_reservoir.py --reps {args.reps} --n {args.n} --duration {args.duration}`
Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Machine: {platform.machine()}, {os.cpu_count()} cores
(shared with builds), {platform.python_version()}, Brian2 {b2.__version__}, one thread each.

Network: the what-when-reservoir study's reservoir (tonic input instead of cues), N = {args.n} ({int(round(0.8 * args.n))} exc),
identical per-neuron a, b, c, d (Izhikevich 2003 heterogeneity, .npy files); p = 0.1, delta synapses
U(0, 3) / U(-6, 0) mV, delay 1 ms, Poisson noise ±1.5 mV at 1 kHz per neuron, tonic I_e = {P['i_e']} mV/ms
(replacing the study's cues); {args.duration} ms.
Neurons integrated by RK4 at 0.025 ms in both (Ganglion: dt = {args.dt} ms with 0.025 ms substeps;
Brian2 runtime/Cython: dt = 0.025 ms, method rk4). Connectivity and noise from each system's own
random stream.

| statistic | Ganglion (mean ± sd over runs) | Brian2 | agree (15 % or 3 SE) |
|---|---|---|---|
{chr(10).join(rows)}

| system | median simulation loop [s] ({args.reps} runs) |
|---|---|
| Ganglion | {med(g, 'sim_s'):.3f} |
| Brian2 runtime | {med(b, 'sim_s'):.3f} |

Ratio Brian2 / Ganglion: **{ratio:.1f}×** (statistics {'agree' if ok else 'DO NOT agree: no ratio should be quoted'}).
"""
    with open(os.path.join(HERE, "RESULTS-izhikevich-reservoir.md"), "w") as f:
        f.write(txt)
    print(txt)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
