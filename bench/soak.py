#!/usr/bin/env python3
"""Soak test: a long run of Brunel's network with STDP, its memory sampled from outside.

Writes a Brunel (2000) model A spec (examples/brunel.toml, scaled by --scale with J*C_E kept,
so nu_thr and the drive stay Brunel's), with multiplicative STDP on the excitatory recurrent
projection, a spikes monitor on the first --record excitatory neurons and a 1 ms rate monitor;
runs `target/release/ganglion run` on it for --duration of biological time, samples the
process's VmRSS from /proc/PID/status every --every seconds, and reports RSS after 1 s of wall
time against the peak while simulating. Memory is "flat" when the growth after the first second
is no more than what the recordings explain: the recorded spikes (12 B each: an 8-byte step and
a 4-byte id, in vectors that grow by doubling, so up to 24 B) plus 1 MiB of allocator slack.

Python 3 standard library only. Usage (from the repository root):

    cargo build --release -p ganglion-cli
    python3 bench/soak.py --scale 0.2 --duration 60     # ~2500 neurons, 60 s of biological time

See bench/SOAK.md for a recorded result.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "ganglion")
MIB = 1024.0 * 1024.0


def spec(scale, duration_s, record, seed, stdp):
    """Brunel model A (g = 5, nu_ext / nu_thr = 2) with N and C scaled by `scale`."""
    ne, ni = round(10000 * scale), round(2500 * scale)
    ce, ci = max(1, round(1000 * scale)), max(1, round(250 * scale))
    j = 0.1 * 1000 / ce  # mV: J * C_E as in the original (100 mV)
    g = 5.0
    nu_thr = 20.0 / (j * ce * 20.0) * 1000.0  # Hz, theta / (J C_E tau_m)
    nu_ext_total = 2.0 * nu_thr * ce  # one Poisson train per neuron for C_E inputs
    params = ('{ tau_m = "20 ms", E_L = "0 mV", V_th = "20 mV", V_reset = "10 mV", '
              't_ref = "2 ms" }')
    init = '{ V_m = { dist = "uniform", low = "0 mV", high = "20 mV" } }'
    plasticity = ""
    if stdp:
        plasticity = (f'plasticity = {{ rule = "stdp", w_max = "{2 * j:g} mV", '
                      'mode = "multiplicative", tau_plus = "20 ms", tau_minus = "20 ms", '
                      'A_plus = 0.01, A_minus = 0.0105 }\n')
    out = f"""# Soak: Brunel (2000) model A scaled by {scale}, STDP on exc->exc, {duration_s} s.
[simulation]
dt = "0.1 ms"
duration = "{duration_s} s"
seed = {seed}
threads = 1
"""
    for name, n, sign in (("exc", ne, "excitatory"), ("inh", ni, "inhibitory")):
        out += f"""
[[population]]
name = "{name}"
size = {n}
model = "iaf_psc_delta"
sign = "{sign}"
params = {params}
init = {init}
"""
    for src, tgt, k, w in (("exc", "exc", ce, j), ("exc", "inh", ce, j),
                           ("inh", "exc", ci, -g * j), ("inh", "inh", ci, -g * j)):
        out += f"""
[[projection]]
name = "{src}_{tgt}"
source = "{src}"
target = "{tgt}"
connectivity = {{ rule = "fixed_indegree", k = {k} }}
weight = "{w:g} mV"
delay = "1.5 ms"
"""
        if src == "exc" and tgt == "exc":
            out += plasticity
    for tgt in ("exc", "inh"):
        out += f"""
[[input]]
kind = "poisson"
target = "{tgt}"
rate = "{nu_ext_total:g} Hz"
weight = "{j:g} mV"
"""
    out += f"""
[[monitor]]
kind = "spikes"
population = "exc"
count = {record}

[[monitor]]
kind = "rate"
population = "exc"
bin = "1 ms"
"""
    return out, {"N_E": ne, "N_I": ni, "C_E": ce, "C_I": ci, "J_mV": j,
                 "nu_ext_Hz": nu_ext_total}


def status(pid):
    """VmRSS and VmHWM of `pid` in bytes (None once the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
    except (FileNotFoundError, ProcessLookupError):
        return None
    kib = lambda k: int(fields[k].split()[0]) * 1024 if k in fields else None  # noqa: E731
    rss, hwm = kib("VmRSS"), kib("VmHWM")
    return None if rss is None else (rss, hwm)


def npy_len(path):
    """Length of the first axis of a .npy file, from its header."""
    with open(path, "rb") as f:
        magic = f.read(8)
        hlen = int.from_bytes(f.read(2 if magic[6] == 1 else 4), "little")
        header = f.read(hlen).decode("latin1")
    shape = header.split("'shape':")[1].split(")")[0].strip(" (")
    return int(shape.split(",")[0]) if shape else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=0.2, help="fraction of Brunel's N and C")
    ap.add_argument("--duration", type=float, default=60.0, help="biological time [s]")
    ap.add_argument("--record", type=int, default=200, help="excitatory neurons whose spikes are recorded")
    ap.add_argument("--every", type=float, default=0.2, help="RSS sampling interval [s]")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-stdp", action="store_true", help="static synapses (for comparison)")
    ap.add_argument("--keep", action="store_true", help="keep the spec and the results folder")
    ap.add_argument("--json", action="store_true", help="print the result as one JSON line too")
    a = ap.parse_args()

    if not os.access(BINARY, os.X_OK):
        sys.exit(f"{BINARY} is missing; build it first:\n    cargo build --release -p ganglion-cli")

    text, sizes = spec(a.scale, a.duration, a.record, a.seed, not a.no_stdp)
    work = tempfile.mkdtemp(prefix="ganglion-soak-")
    spec_path = os.path.join(work, "soak.toml")
    out_dir = os.path.join(work, "run")
    with open(spec_path, "w") as f:
        f.write(text)

    cmd = [BINARY, "run", spec_path, "--out", out_dir, "--no-plots", "--json"]
    print("running:", " ".join(cmd), file=sys.stderr)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples = []  # (wall s, rss bytes, hwm bytes)
    while proc.poll() is None:
        s = status(proc.pid)
        if s is not None:
            samples.append((time.monotonic() - t0, s[0], s[1]))
        time.sleep(a.every)
    stdout, stderr = proc.communicate()
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        sys.exit(f"ganglion run failed ({proc.returncode}):\n{stderr}")
    manifest = json.loads(stdout)
    tm = manifest["timings"]

    # The simulation ends write_s before the process exits, and the exit is seen up to one
    # sampling interval late: samples up to then are the run itself; later ones may include
    # assembling and writing the results (final weights as a table, .npy files).
    sim_end = wall - tm["write_s"] - a.every - 0.1
    during = [s for s in samples if s[0] <= sim_end]
    after_1s = next((s for s in during if s[0] >= 1.0), None)
    if after_1s is None or len(during) < 5:
        sys.exit("the run was too short to sample; use a longer --duration")
    rss_1s = after_1s[1]
    peak_sim = max(s[1] for s in during)
    peak_all = max(s[1] for s in samples)
    hwm = max(s[2] or 0 for s in samples)

    recorded = sum(npy_len(os.path.join(out_dir, f)) for f in os.listdir(out_dir)
                   if f.startswith("spikes_") and f.endswith("_senders.npy"))
    # Spikes recorded after the first second: those that may grow memory after rss_1s.
    sim_s = tm["simulate_s"]
    frac_after = max(0.0, 1.0 - max(0.0, after_1s[0] - (wall - tm["write_s"] - sim_s)) / sim_s)
    rec_bytes = 12 * recorded * frac_after
    allowed = 2 * rec_bytes + 1 * MIB
    growth = peak_sim - rss_1s
    flat = growth <= allowed

    pops = {p["name"]: p for p in manifest["populations"]}
    rows = [
        ("spec", f"Brunel model A x{a.scale:g}: N_E={sizes['N_E']}, N_I={sizes['N_I']}, "
                 f"C_E={sizes['C_E']}, C_I={sizes['C_I']}, J={sizes['J_mV']:g} mV, g=5, "
                 f"nu_ext={sizes['nu_ext_Hz']:g} Hz; "
                 + ("multiplicative STDP on exc->exc" if not a.no_stdp else "static synapses")),
        ("biological time", f"{manifest['duration_ms'] / 1000:g} s at dt = {manifest['dt_ms']} ms, 1 thread"),
        ("synapses", f"{manifest['synapses']} ({manifest['bytes_per_synapse']:.1f} B each)"),
        ("rates", ", ".join(f"{n} {p['mean_rate_hz']:.1f} Hz" for n, p in pops.items())),
        ("wall time", f"build {tm['build_s']:.2f} s, simulate {sim_s:.1f} s, "
                      f"write {tm['write_s']:.2f} s, total {wall:.1f} s"),
        ("RSS samples", f"{len(samples)} (every {a.every} s), {len(during)} while simulating"),
        ("RSS at 1 s of wall time", f"{rss_1s / MIB:.1f} MiB (sample at {after_1s[0]:.2f} s)"),
        ("peak RSS while simulating", f"{peak_sim / MIB:.1f} MiB"),
        ("growth after 1 s", f"{growth / MIB:+.2f} MiB"),
        ("recorded spikes", f"{recorded} ({rec_bytes / MIB:.2f} MiB at 12 B after 1 s; "
                            f"up to {2 * rec_bytes / MIB:.2f} MiB with vector doubling)"),
        ("peak RSS incl. writing results", f"{peak_all / MIB:.1f} MiB (VmHWM {hwm / MIB:.1f} MiB)"),
        ("memory estimate (validator)", f"{manifest['memory_estimate_bytes'] / MIB:.1f} MiB"),
        ("flat?", ("yes" if flat else "NO") + f": growth {growth / MIB:.2f} MiB vs allowed "
                  f"{allowed / MIB:.2f} MiB (2 x recordings + 1 MiB)"),
    ]
    print("| quantity | value |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")
    # RSS over time, a few points, for the record.
    marks = [s for s in during if any(abs(s[0] - m) < a.every / 2 + 1e-9
                                      for m in (0.2, 0.5, 1, 2, 5, 10, 20, 40, 60, 90, 120, 180, 240))]
    print("\nRSS over wall time: " + ", ".join(f"{t:.1f} s {r / MIB:.1f} MiB" for t, r, _ in marks))
    if a.json:
        print(json.dumps({"rss_1s": rss_1s, "peak_sim": peak_sim, "peak_all": peak_all,
                          "hwm": hwm, "recorded_spikes": recorded, "flat": flat,
                          "samples": samples}))
    if a.keep:
        print(f"\nkept: {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if flat else 1)


if __name__ == "__main__":
    main()
