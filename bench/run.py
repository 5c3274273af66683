#!/usr/bin/env python3
"""Side-by-side benchmark: Ganglion vs Brian2 (runtime, cpp_standalone) vs NEST.

    python3 bench/run.py                      # all networks, 3 repetitions, threads 1 and 2
    python3 bench/run.py --nets cuba,coba --reps 5
    python3 bench/run.py --quick              # Ganglion only, one repetition, compared with
                                              # the Brian2/NEST records in bench/RESULTS.jsonl

Run bench/setup.sh first (creates bench/.venv with brian2 and nest-simulator) and build
Ganglion (cargo build --release). Every measured process is started with `nice -n 10`
(--nice), right after all cores were kept busy for 0.3 s (--prewarm: the host clocks idle
cores down, and a loop that starts 10 ms after launch would otherwise be timed on a cold
clock), one at a time, systems alternating within each repetition (the order rotates
from one repetition to the next). For each process the runner records its wall time
(fork to exit: "whole process") and its peak RSS (os.wait4, which covers its children,
e.g. Brian2's compiled binary). The sim-loop time comes from each system itself:
Ganglion's manifest timings.simulate_s, Brian2's loop timer and NEST's time_simulate
(see brian2_nets.py and nest_nets.py).

Before any time is compared, the firing statistics of each pair are checked (see
TOLERANCE): a pair whose statistics disagree gets no speed ratio in RESULTS.md.

Outputs: bench/RESULTS.md (report), bench/RESULTS.jsonl (one record per process run);
with --quick: bench/out/RESULTS-quick.md and bench/out/quick.jsonl.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import netdefs  # noqa: E402

VENV_PY = os.path.join(HERE, ".venv", "bin", "python")
GANGLION = os.path.join(ROOT, "target", "release", "ganglion")
OUT = os.path.join(HERE, "out")

# Statistics check. The systems use different random streams, so spike trains differ;
# what must agree is the network's state. For every population, the mean over repetitions
# (seeds) of its rate must agree within 15 % (relative) OR within 3 standard errors of the
# seed-to-seed spread (hpc at scale 1 swings between 8 and 12 Hz from seed to seed in every
# system); the same for the mean CV of ISIs with a floor of max(0.15, 15 %); synapse counts
# within 1 % (fixed-probability networks fluctuate ~0.2 %).
TOLERANCE = {"rate_rel": 0.15, "cv_abs": 0.15, "cv_rel": 0.15, "n_se": 3.0, "syn_rel": 0.01}

NETS_DEFAULT = ["cuba", "coba", "brunel", "hpc"]
# (system, mode) pairs; label used in tables
SYSTEMS = [("ganglion", "ganglion"), ("brian2", "runtime"), ("brian2", "cpp_standalone"), ("nest", "nest")]
LABEL = {"ganglion": "Ganglion", "runtime": "Brian2 runtime (Cython)",
         "cpp_standalone": "Brian2 cpp_standalone", "nest": "NEST"}


def log(msg):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------
# running one process
# ------------------------------------------------------------------------------------------
def cpu_busy_s():
    """Busy CPU time of the whole machine so far [core-seconds], from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_idle(max_busy_cores, max_wait_s):
    """Wait until the machine is quiet: less than max_busy_cores busy over a 2 s sample."""
    t_end = time.time() + max_wait_s
    warned = False
    while True:
        b0 = cpu_busy_s()
        time.sleep(2.0)
        busy = (cpu_busy_s() - b0) / 2.0
        if busy <= max_busy_cores or time.time() > t_end:
            return busy
        if not warned:
            log(f"machine busy ({busy:.2f} cores used by others); waiting up to {max_wait_s:.0f} s")
            warned = True
        time.sleep(8.0)


# Default seconds every core is kept busy right before each measured process (--prewarm).
PREWARM_S = 0.3


def prewarm(seconds):
    """Keep every core busy for `seconds`, then return (at once, before the measured process).

    The host lowers the cores' clock while they idle (run.py itself idles between runs, see
    wait_idle), and raising it takes ~50-100 ms of load. Brian2's and NEST's loops start after
    seconds of code generation, compilation or building, i.e. on a fast clock; Ganglion's CUBA
    loop starts 10 ms after launch and lasts ~20 ms, so without this it would be timed on a
    cold clock (measured: 0.025-0.028 s instead of 0.017-0.018 s for the same binary). Every
    system gets the same warm-up; it happens before the process starts, so no reported time
    includes it.
    """
    if seconds <= 0:
        return
    code = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
    spinners = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(os.cpu_count() or 1)]
    for p in spinners:
        p.wait()


def run_process(cmd, nice, timeout, prewarm_s, cwd=ROOT, env=None):
    """Run cmd, return dict(rc, wall_s, peak_rss_mb, cpu_s, other_cores, stdout, stderr, timed_out).

    other_cores: mean number of cores that other processes kept busy during the run
    (machine busy time minus this process tree's CPU time, divided by wall time).
    The cores are first kept busy for prewarm_s seconds (see prewarm).
    """
    out = tempfile.TemporaryFile(mode="w+")
    err = tempfile.TemporaryFile(mode="w+")
    prewarm(prewarm_s)

    def pre():
        os.setsid()
        if nice:
            os.nice(nice)

    busy0 = cpu_busy_s()
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, env=env, preexec_fn=pre)
    timed_out = {"v": False}

    def kill():
        timed_out["v"] = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.time() - t0
    busy = cpu_busy_s() - busy0
    timer.cancel()
    cpu = ru.ru_utime + ru.ru_stime
    p.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    res = {"rc": p.returncode, "wall_s": wall, "peak_rss_mb": ru.ru_maxrss / 1024.0,
           "cpu_s": cpu, "other_cores": max(busy - cpu, 0.0) / wall if wall > 0 else None,
           "stdout": out.read(), "stderr": err.read(), "timed_out": timed_out["v"], "t0": t0}
    out.close()
    err.close()
    return res


def last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return None


def run_ganglion(net, threads, rep, args):
    spec = os.path.join(HERE, "specs", f"{net}.toml")
    outdir = os.path.join(OUT, net, f"ganglion-t{threads}-r{rep}")
    if os.path.exists(outdir):
        shutil.rmtree(outdir)
    os.makedirs(os.path.dirname(outdir), exist_ok=True)
    cmd = [args.ganglion, "run", spec, "--out", outdir, "--threads", str(threads), "--seed", str(rep + 1),
           "--no-plots"]
    r = run_process(cmd, args.nice, args.timeout, args.prewarm)
    rec = {"system": "ganglion", "mode": "ganglion", "network": net, "threads": threads, "rep": rep,
           "cmd": " ".join(cmd)}
    if r["rc"] != 0:
        rec.update(error=f"exit {r['rc']}" + (" (timeout)" if r["timed_out"] else ""),
                   stderr_tail=r["stderr"][-2000:])
    else:
        try:
            with open(os.path.join(outdir, "manifest.json")) as f:
                man = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            rec.update(error=f"manifest.json: {e}")
            man = None
        if man is not None:
            tm = man.get("timings", {})
            pops = man.get("populations", [])
            dur = man.get("duration_ms") or netdefs.duration_ms(net)
            n = man.get("neurons") or sum(int(p.get("size", 0)) for p in pops) or netdefs.n_neurons(net)
            spikes = sum(int(p.get("spike_count", 0)) for p in pops)
            rec.update(
                version=man.get("version") or man.get("ganglion_version"),
                build_s=tm.get("build_s"), sim_s=tm.get("simulate_s"), write_s=tm.get("write_s"),
                spikes=spikes, rate_hz=spikes / n / (dur / 1000.0), neurons=n,
                synapses=man.get("synapses"), bytes_per_synapse=man.get("bytes_per_synapse"),
                populations=[{"name": p.get("name"), "size": p.get("size"), "spike_count": p.get("spike_count"),
                              "mean_rate_hz": p.get("mean_rate_hz"), "cv_isi": p.get("cv_isi")} for p in pops],
                duration_ms=dur)
        if not args.keep_out:
            # keep the manifest, drop the (possibly large) spike files
            for name in os.listdir(outdir):
                if name != "manifest.json":
                    path = os.path.join(outdir, name)
                    shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    rec.update(wall_s=r["wall_s"], peak_rss_mb=r["peak_rss_mb"], total_s=r["wall_s"], cpu_s=r["cpu_s"],
               other_cores=r["other_cores"], seed=rep + 1, binary_sha256=getattr(args, "ganglion_sha", None))
    return rec


def run_reference(system, mode, net, threads, rep, args, duration=None):
    script = "brian2_nets.py" if system == "brian2" else "nest_nets.py"
    cmd = [VENV_PY, os.path.join(HERE, script), net, "--threads", str(threads), "--seed", str(rep + 1)]
    if system == "brian2":
        cmd += ["--mode", mode]
    if duration is not None:
        cmd += ["--duration", str(duration)]
    env = dict(os.environ)
    # one thread means one thread: keep BLAS/OpenMP pools of numpy and NEST in check
    env["OMP_NUM_THREADS"] = str(threads)
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["MKL_NUM_THREADS"] = "1"
    t_launch = time.time()
    cmd += ["--t0", repr(t_launch)]
    r = run_process(cmd, args.nice, args.timeout, args.prewarm, cwd=tempfile.gettempdir(), env=env)
    rec = last_json_line(r["stdout"]) if r["rc"] == 0 else None
    base = {"system": system, "mode": mode, "network": net, "threads": threads, "rep": rep}
    if rec is None:
        rec = dict(base, error=f"exit {r['rc']}" + (" (timeout)" if r["timed_out"] else ""),
                   stderr_tail=r["stderr"][-2000:])
    else:
        rec["script_peak_rss_mb"] = rec.get("peak_rss_mb")
        rec.update(base)
    rec.update(wall_s=r["wall_s"], peak_rss_mb=r["peak_rss_mb"], cpu_s=r["cpu_s"], other_cores=r["other_cores"])
    return rec


# ------------------------------------------------------------------------------------------
# environment
# ------------------------------------------------------------------------------------------
def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, shell=isinstance(cmd, str)).stdout.strip()
    except Exception:
        return ""


def environment(args):
    env = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "host": platform.node(),
           "python": platform.python_version(), "kernel": platform.release()}
    lscpu = sh(["lscpu"])
    for line in lscpu.splitlines():
        k, _, v = line.partition(":")
        k = k.strip()
        if k in ("Model name", "CPU(s)", "Thread(s) per core", "CPU family", "Model", "L3 cache", "CPU max MHz"):
            env[k] = v.strip()
    with open("/proc/meminfo") as f:
        env["MemTotal"] = f.readline().split(":")[1].strip()
    env["os"] = sh("grep PRETTY_NAME /etc/os-release | cut -d= -f2 | tr -d '\"'")
    if os.path.exists(VENV_PY):
        env["venv"] = sh([VENV_PY, "-c", "import brian2, numpy, importlib.metadata as m; "
                          "print(f'brian2 {brian2.__version__}, nest-simulator {m.version(\"nest-simulator\")}, "
                          "numpy {numpy.__version__}')"])
    env["g++"] = sh("g++ -dumpfullversion")
    if os.path.exists(args.ganglion):
        env["ganglion"] = sh([args.ganglion, "--version"])
        if getattr(args, "ganglion_sha", None):
            env["ganglion"] += f" (binary sha256 {args.ganglion_sha}, built {datetime.datetime.fromtimestamp(os.path.getmtime(args.ganglion)):%Y-%m-%d %H:%M})"
    env["git"] = sh(f"git -C {ROOT} rev-parse --short HEAD") + (" (dirty)" if sh(f"git -C {ROOT} status --porcelain -- crates") else "")
    env["rustc"] = sh("rustc --version")
    return env


# ------------------------------------------------------------------------------------------
# statistics check and report
# ------------------------------------------------------------------------------------------
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def group(records):
    """{(net, mode, threads): [records without error]}"""
    g = {}
    for r in records:
        if r.get("error"):
            continue
        g.setdefault((r["network"], r["mode"], r["threads"]), []).append(r)
    return g


def pop_summary(recs):
    """Median over repetitions of each population's rate and CV."""
    pops = {}
    for r in recs:
        for p in r.get("populations") or []:
            d = pops.setdefault(p["name"], {"rate": [], "cv": []})
            d["rate"].append(p.get("mean_rate_hz"))
            cv = p.get("cv_isi")
            d["cv"].append(cv if cv == cv else None)  # NaN -> None
    return {k: {"rate": med(v["rate"]), "cv": med(v["cv"])} for k, v in pops.items()}


def _per_pop(recs, key):
    """{population: [value per repetition]} (NaN/None dropped)."""
    d = {}
    for r in recs:
        for p in r.get("populations") or []:
            v = p.get(key)
            if v is not None and v == v:
                d.setdefault(p["name"], []).append(float(v))
    return d


def _agree(xa, xb, floor):
    """Means agree within `floor` or within 3 standard errors of the seed-to-seed spread."""
    ma, mb = statistics.mean(xa), statistics.mean(xb)
    se2 = 0.0
    if len(xa) > 1:
        se2 += statistics.variance(xa) / len(xa)
    if len(xb) > 1:
        se2 += statistics.variance(xb) / len(xb)
    return abs(ma - mb) <= max(floor, TOLERANCE["n_se"] * se2 ** 0.5), ma, mb


def stats_match(a, b):
    """Compare two groups of records (repetitions with different seeds); (ok, reasons)."""
    reasons = []
    ra, rb = _per_pop(a, "mean_rate_hz"), _per_pop(b, "mean_rate_hz")
    ca, cb = _per_pop(a, "cv_isi"), _per_pop(b, "cv_isi")
    for name in sorted(set(ra) | set(rb)):
        if name not in ra or name not in rb:
            reasons.append(f"population {name} missing")
            continue
        ok, ma, mb = _agree(ra[name], rb[name], TOLERANCE["rate_rel"] * abs(statistics.mean(rb[name])))
        if not ok:
            reasons.append(f"{name} rate {ma:.2f} vs {mb:.2f} Hz")
        if ca.get(name) and cb.get(name):
            mcb = statistics.mean(cb[name])
            ok, ma, mb = _agree(ca[name], cb[name], max(TOLERANCE["cv_abs"], TOLERANCE["cv_rel"] * abs(mcb)))
            if not ok:
                reasons.append(f"{name} CV {ma:.2f} vs {mb:.2f}")
    sa, sb = med([r.get("synapses") for r in a]), med([r.get("synapses") for r in b])
    if sa and sb and abs(sa - sb) / sb > TOLERANCE["syn_rel"]:
        reasons.append(f"synapses {sa:.0f} vs {sb:.0f}")
    return (not reasons), reasons


def fmt_t(x):
    if x is None:
        return "–"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def fmt_range(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    m = statistics.median(xs)
    if len(xs) == 1:
        return fmt_t(m)
    return f"{fmt_t(m)} ({fmt_t(min(xs))}–{fmt_t(max(xs))})"


def report(records, env, args, title="Ganglion vs Brian2 vs NEST"):
    g = group(records)
    nets = []
    for r in records:
        if r["network"] not in nets:
            nets.append(r["network"])
    L = []
    L.append(f"# {title}")
    L.append("")
    L.append(f"Generated by `bench/run.py` on {env.get('date')}; raw records in `bench/RESULTS.jsonl`. "
             "How each time is measured: see the docstrings of `bench/run.py`, `bench/brian2_nets.py`, "
             "`bench/nest_nets.py`; deviations from the references: `bench/NOTES.md`.")
    L.append("")
    L.append("## Summary (medians; sim loop / whole process, seconds)")
    L.append("")
    L.append("A cell is marked † where that system's firing statistics do not match Ganglion's "
             "(see the per-network tables); ratios are only given for matching pairs.")
    L.append("")
    L.append("| network | threads | " + " | ".join(LABEL[m] for _, m in SYSTEMS) + " |")
    L.append("|---|---|" + "---|" * len(SYSTEMS))
    for net in nets:
        for th in args.threads:
            cells = []
            gr = g.get((net, "ganglion", th))
            for _, mode in SYSTEMS:
                recs = g.get((net, mode, th))
                if not recs:
                    cells.append("–")
                    continue
                mark = ""
                if mode != "ganglion" and gr and not stats_match(gr, recs)[0]:
                    mark = " †"
                cells.append(f"{fmt_t(med([r.get('sim_s') for r in recs]))} / "
                             f"{fmt_t(med([r.get('wall_s') for r in recs]))}{mark}")
            if any(c != "–" for c in cells):
                L.append(f"| {net} | {th} | " + " | ".join(cells) + " |")
    L.append("")
    L.append("## Machine and versions")
    L.append("")
    for k in ("Model name", "CPU family", "Model", "CPU(s)", "Thread(s) per core", "L3 cache", "MemTotal", "os",
              "kernel", "python", "venv", "g++", "ganglion", "git", "rustc"):
        if env.get(k):
            L.append(f"- {k}: {env[k]}")
    L.append(f"- repetitions: {args.reps}; threads: {', '.join(map(str, args.threads))}; "
             f"every process run with `nice -n {args.nice}`, one at a time, systems alternating, "
             f"all cores kept busy for {args.prewarm} s right before each (clock warm-up, see `prewarm` in run.py)")
    L.append("- seeds: repetition k (0-based) uses seed k+1 in every system (random streams differ between systems)")
    L.append("")
    L.append("Columns: **sim loop** = the simulation loop only (median, (min–max) over repetitions); "
             "**whole process** = wall time of the process from fork to exit (interpreter start, imports, "
             "build, code generation/compilation, simulation, writing/reading results); "
             "**build** = everything before the loop as the system reports it; **peak RSS** of the process "
             "tree. Rates and CV(ISI) are medians over repetitions. Brian2 runtime runs single-threaded only. "
             "**CPU** = user+system CPU time of the whole process tree (insensitive to other load). "
             "**others** = mean number of cores other processes kept busy during the runs (machine busy time "
             "minus the measured process tree's CPU time, over wall time): near 0 means an undisturbed run.")
    L.append("")
    L.append(f"Statistics check (before any time is compared): per population, the mean rate over the "
             f"repetitions (different seeds) within {TOLERANCE['rate_rel']:.0%} or within "
             f"{TOLERANCE['n_se']:.0f} standard errors of the seed-to-seed spread, whichever is larger; the "
             f"same for the mean CV(ISI) with a floor of max({TOLERANCE['cv_abs']}, {TOLERANCE['cv_rel']:.0%}); "
             f"synapse count within {TOLERANCE['syn_rel']:.0%}. A pair that fails gets no ratio.")
    L.append("")
    for net in nets:
        P = netdefs.NETWORKS[net]
        L.append(f"## {net}")
        L.append("")
        L.append(f"{netdefs.n_neurons(net)} neurons, {P['duration']:.0f} ms simulated at dt {P['dt']} ms. "
                 + {"cuba": "Brian2 examples/CUBA.py.",
                    "coba": "Brette et al. 2007 benchmark 1 (Brian 1 examples/COBA.py).",
                    "brunel": "NEST brunel_delta_nest.py (Brunel 2000 model A).",
                    "hpc": "NEST hpc_benchmark.py, scale 1, static synapses (E→E STDP replaced by static).",
                    "hpc_stdp": "NEST hpc_benchmark.py, scale 1, with E→E stdp_pl_synapse_hom."}.get(net, ""))
        L.append("")
        L.append("| system | threads | sim loop [s] | whole process [s] | build [s] | peak RSS [MB] | "
                 "CPU [s] | spikes | rate [Hz] | CV ISI (E) | synapses | runs | others [cores] |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for sysname, mode in SYSTEMS:
            for th in args.threads:
                recs = g.get((net, mode, th))
                errs = [r for r in records if r["network"] == net and r["mode"] == mode and r["threads"] == th
                        and r.get("error")]
                if not recs and not errs:
                    continue
                if not recs:
                    L.append(f"| {LABEL[mode]} | {th} | failed: {errs[0]['error']} | | | | | | | | | 0/{len(errs)} | |")
                    continue
                ps = pop_summary(recs)
                cv = ps.get("exc", {}).get("cv")
                L.append("| " + " | ".join([
                    LABEL[mode], str(th),
                    fmt_range([r.get("sim_s") for r in recs]),
                    fmt_range([r.get("wall_s") for r in recs]),
                    fmt_t(med([r.get("build_s") for r in recs])),
                    f"{med([r.get('peak_rss_mb') for r in recs]):.0f}",
                    fmt_t(med([r.get("cpu_s") for r in recs])),
                    f"{med([r.get('spikes') for r in recs]):.0f}",
                    f"{med([r.get('rate_hz') for r in recs]):.2f}",
                    "–" if cv is None else f"{cv:.2f}",
                    f"{med([r.get('synapses') for r in recs]):.0f}" if med([r.get('synapses') for r in recs]) else "–",
                    f"{len(recs)}/{len(recs) + len(errs)}",
                    "–" if med([r.get("other_cores") for r in recs]) is None
                    else f"{med([r.get('other_cores') for r in recs]):.2f}",
                ]) + " |")
        L.append("")
        # pairwise: Ganglion vs each other system, same thread count
        lines = []
        for th in args.threads:
            gr = g.get((net, "ganglion", th))
            for sysname, mode in SYSTEMS[1:]:
                orr = g.get((net, mode, th))
                if not gr or not orr:
                    continue
                ok, why = stats_match(gr, orr)
                if ok:
                    rs = med([r.get("sim_s") for r in gr]) / med([r.get("sim_s") for r in orr]) \
                        if med([r.get("sim_s") for r in orr]) else None
                    rw = med([r.get("wall_s") for r in gr]) / med([r.get("wall_s") for r in orr])
                    lines.append(f"| Ganglion / {LABEL[mode]} | {th} | stats match | "
                                 f"{'–' if rs is None else f'{rs:.3f}'} | {rw:.3f} |")
                else:
                    lines.append(f"| Ganglion / {LABEL[mode]} | {th} | **MISMATCH**: {'; '.join(why)} | – | – |")
        # reference systems among themselves (sanity of the references)
        for th in args.threads:
            for (s1, m1), (s2, m2) in (((("brian2", "runtime"), ("nest", "nest"))),
                                       ((("brian2", "cpp_standalone"), ("nest", "nest")))):
                a, b = g.get((net, m1, th)), g.get((net, m2, th))
                if a and b:
                    ok, why = stats_match(a, b)
                    lines.append(f"| {LABEL[m1]} vs {LABEL[m2]} (reference check) | {th} | "
                                 f"{'stats match' if ok else '**MISMATCH**: ' + '; '.join(why)} | | |")
        if lines:
            L.append("Ratios < 1 mean Ganglion is faster.")
            L.append("")
            L.append("| pair | threads | statistics | sim-loop ratio | whole-process ratio |")
            L.append("|---|---|---|---|---|")
            L.extend(lines)
            L.append("")
        # cost per recurrent synaptic event and memory per synapse
        cost = []
        for sysname, mode in SYSTEMS:
            for th in args.threads:
                recs = g.get((net, mode, th))
                if not recs:
                    continue
                ev = med([r["spikes"] * r["synapses"] / r["neurons"] for r in recs
                          if r.get("spikes") is not None and r.get("synapses") and r.get("neurons")])
                sim = med([r.get("sim_s") for r in recs])
                ns = sim * th / ev * 1e9 if ev and sim else None
                if mode == "ganglion":
                    bps = med([r.get("bytes_per_synapse") for r in recs])
                    src = "manifest"
                elif mode == "cpp_standalone":
                    bps, src = None, ""
                else:
                    bps = med([((r.get("rss_mb") or {}).get("after_connect", 0) -
                                (r.get("rss_mb") or {}).get("before_create", 0)) * 1048576 / r["synapses"]
                               for r in recs if r.get("rss_mb") and r.get("synapses")])
                    src = "RSS after connect − before create"
                extra = ""
                if mode == "cpp_standalone":
                    cc = med([(r.get("brian2_timers") or {}).get("codegen_compile_s") for r in recs])
                    extra = f"code generation + compilation {fmt_t(cc)} s of the whole process"
                cost.append(f"| {LABEL[mode]} | {th} | {ev:.3g} | {'–' if ns is None else f'{ns:.1f}'} | "
                            f"{'–' if bps is None else f'{bps:.1f} ({src})'} | {extra} |"
                            if ev else f"| {LABEL[mode]} | {th} | – | – | – | {extra} |")
        if cost:
            L.append("Cost: recurrent synaptic events = spikes × mean out-degree (external Poisson input not "
                     "counted); core-ns per event = sim loop × threads / events (includes neuron updates "
                     "and input generation, so it is an upper bound of the per-event cost).")
            L.append("")
            L.append("| system | threads | synaptic events | core-ns / event | bytes / synapse | note |")
            L.append("|---|---|---|---|---|---|")
            L.extend(cost)
            L.append("")
    failures = [r for r in records if r.get("error")]
    if failures:
        L.append("## Failed runs")
        L.append("")
        for r in failures:
            tail = (r.get("stderr_tail") or "").strip().splitlines()[-3:]
            L.append(f"- {r['network']} {LABEL[r['mode']]} t{r['threads']} rep {r.get('rep')}: {r['error']}"
                     + (f" — `{' / '.join(tail)[:300]}`" if tail else ""))
        L.append("")
    return "\n".join(L) + "\n"


# ------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nets", default=",".join(NETS_DEFAULT),
                    help="comma-separated subset of cuba,coba,brunel,hpc,hpc_stdp (default: %(default)s)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", default="1,2", help="thread counts (default: %(default)s)")
    ap.add_argument("--quick", action="store_true",
                    help="Ganglion only, one repetition; compare with stored Brian2/NEST records")
    ap.add_argument("--systems", default="ganglion,runtime,cpp_standalone,nest",
                    help="subset of ganglion,runtime,cpp_standalone,nest")
    ap.add_argument("--no-brian2-hpc", action="store_true",
                    help="skip Brian2 on hpc (126.6 M synapses: ~5 GB, ~35-55 s per run)")
    ap.add_argument("--ganglion", default=GANGLION)
    ap.add_argument("--nice", type=int, default=10)
    ap.add_argument("--prewarm", type=float, default=PREWARM_S,
                    help="seconds all cores spin before each measured process, so that every "
                         "loop runs on a raised clock (default %(default)s; 0 = off)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="per process [s]")
    ap.add_argument("--keep-out", action="store_true", help="keep Ganglion's spike files in bench/out")
    ap.add_argument("--no-warmup", action="store_true")
    ap.add_argument("--report-only", action="store_true",
                    help="only rewrite the report from the records in RESULTS.jsonl")
    ap.add_argument("--resume", action="store_true",
                    help="keep clean records of an earlier run (RESULTS.jsonl.partial or RESULTS.jsonl) "
                         "and redo only missing, failed or contended runs")
    ap.add_argument("--max-busy", type=float, default=0.3,
                    help="before each run, wait until other processes use at most this many cores, plus 0.5 per core "
                         "the run leaves free (default %(default)s)")
    ap.add_argument("--max-busy-during", type=float, default=0.5,
                    help="repeat a run if other processes used more than this many cores during it, plus 0.3 per "
                         "core the run leaves free (default %(default)s)")
    ap.add_argument("--retries", type=int, default=1, help="repeats of a contended run (default %(default)s)")
    ap.add_argument("--max-wait", type=float, default=300.0,
                    help="longest wait for a quiet machine before a run [s]; 0 = don't wait (default %(default)s)")
    ap.add_argument("--output", default=None, help="report path (default bench/RESULTS.md, quick: bench/out/RESULTS-quick.md)")
    ap.add_argument("--jsonl", default=None, help="raw records (default bench/RESULTS.jsonl, quick: bench/out/quick.jsonl)")
    args = ap.parse_args()
    args.nets = [n.strip() for n in args.nets.split(",") if n.strip()]
    for n in args.nets:
        if n not in netdefs.NETWORKS:
            ap.error(f"unknown network {n!r}")
    args.threads = [int(t) for t in args.threads.split(",")]
    systems = [s.strip() for s in args.systems.split(",")]
    if args.quick:
        args.reps = 1
        systems = ["ganglion"]
    out_md = args.output or (os.path.join(OUT, "RESULTS-quick.md") if args.quick else os.path.join(HERE, "RESULTS.md"))
    out_jsonl = args.jsonl or (os.path.join(OUT, "quick.jsonl") if args.quick else os.path.join(HERE, "RESULTS.jsonl"))
    os.makedirs(OUT, exist_ok=True)

    if "ganglion" in systems and not os.path.exists(args.ganglion):
        sys.exit(f"error: {args.ganglion} not found\nhint: cargo build --release")
    if set(systems) - {"ganglion"} and not os.path.exists(VENV_PY):
        sys.exit(f"error: {VENV_PY} not found\nhint: bench/setup.sh")

    if "ganglion" in systems:
        # Freeze the binary for the whole benchmark (cargo may rebuild target/release meanwhile).
        frozen = os.path.join(OUT, "ganglion-bench-bin")
        shutil.copy2(args.ganglion, frozen)
        args.ganglion_src, args.ganglion = args.ganglion, frozen
        import hashlib
        with open(frozen, "rb") as f:
            args.ganglion_sha = hashlib.sha256(f.read()).hexdigest()[:16]
    if args.report_only:
        records, env = [], None
        with open(out_jsonl) as f:
            for line in f:
                r = json.loads(line)
                if "env" in r:
                    env = r["env"]
                elif r["network"] in args.nets and r["threads"] in args.threads:
                    records.append(r)
        env = env or environment(args)
        args.reps = max([r.get("rep", 0) for r in records] + [0]) + 1
        md = report(records, env, args)
        with open(out_md, "w") as f:
            f.write(md)
        log(f"wrote {out_md} from {out_jsonl}")
        return
    env = environment(args)
    log(f"machine: {env.get('Model name')} x{env.get('CPU(s)')}, {env.get('MemTotal')}")

    def wanted(mode, net, th):
        if mode not in systems:
            return False
        if mode == "runtime" and th != 1:
            return False
        if net in ("hpc", "hpc_stdp") and mode in ("runtime", "cpp_standalone"):
            return not args.no_brian2_hpc and net == "hpc"
        return True

    records = []
    done = {}
    kept_other = []
    if args.resume:
        # keep the clean records of an earlier (interrupted) run; redo missing, failed and
        # contended ones
        for path in (out_jsonl + ".partial.new", out_jsonl + ".partial", out_jsonl):
            if os.path.exists(path):
                with open(path) as f:
                    for line in f:
                        r = json.loads(line)
                        if "network" not in r:
                            continue
                        key = (r["network"], r["mode"], r["threads"], r.get("rep"))
                        in_scope = r["network"] in args.nets and r["threads"] in args.threads and \
                            r["mode"] in systems and r.get("rep", 0) < args.reps
                        if not in_scope:
                            kept_other.append(r)  # not ours to redo: keep as it is
                        elif not r.get("error") and not r.get("contended"):
                            done[key] = r
                log(f"resume: {len(done)} clean records from {path}")
                break
    jf = open(out_jsonl + ".partial.new", "w")
    jf.write(json.dumps({"env": env}) + "\n")
    for r in kept_other + list(done.values()):
        records.append(r)
        jf.write(json.dumps(r) + "\n")
    jf.flush()

    def keep(rec):
        records.append(rec)
        jf.write(json.dumps(rec) + "\n")
        jf.flush()
        msg = (f"{rec['network']:7s} {LABEL[rec['mode']]:24s} t{rec['threads']} rep {rec.get('rep')}: ")
        if rec.get("error"):
            msg += f"FAILED {rec['error']} {(rec.get('stderr_tail') or '')[-300:]}"
        else:
            msg += (f"sim {fmt_t(rec.get('sim_s'))} s, whole {fmt_t(rec.get('wall_s'))} s, "
                    f"rate {rec.get('rate_hz', float('nan')):.2f} Hz, RSS {rec.get('peak_rss_mb', 0):.0f} MB")
        log(msg)

    for net in args.nets:
        # Untimed warm-up: fills Brian2's Cython cache (runtime mode caches compiled code
        # objects) and the page cache for the imports. 1 ms of simulated time is enough.
        todo = {(mode, th, rep) for rep in range(args.reps) for th in args.threads for _, mode in SYSTEMS
                if wanted(mode, net, th) and (net, mode, th, rep) not in done}
        if not args.no_warmup:
            for sysname, mode in SYSTEMS[1:]:
                if mode == "cpp_standalone" or not any(t[0] == mode for t in todo):
                    continue
                log(f"{net}: warm-up {LABEL[mode]}")
                r = run_reference(sysname, mode, net, 1, 0, args, duration=1.0)
                if r.get("error"):
                    log(f"warm-up failed: {r['error']} {(r.get('stderr_tail') or '')[-500:]}")
        order = [s for s in SYSTEMS]
        for rep in range(args.reps):
            rot = order[rep % len(order):] + order[:rep % len(order)]
            for th in args.threads:
                for sysname, mode in rot:
                    if (mode, th, rep) not in todo:
                        continue
                    for attempt in range(args.retries + 1):
                        # a 1-thread run leaves a core free, so others may use (most of) it
                        spare = max((os.cpu_count() or 1) - th, 0)
                        lim_before = args.max_busy + 0.5 * spare
                        lim_during = args.max_busy_during + 0.3 * spare
                        idle_busy = wait_idle(lim_before, args.max_wait) if args.max_wait > 0 else None
                        if sysname == "ganglion":
                            rec = run_ganglion(net, th, rep, args)
                        else:
                            rec = run_reference(sysname, mode, net, th, rep, args)
                        rec["busy_before"] = idle_busy
                        rec["attempt"] = attempt
                        oc = rec.get("other_cores") or 0.0
                        rec["contended"] = oc > lim_during
                        if not rec["contended"] or rec.get("error") or attempt == args.retries:
                            break
                        log(f"{net} {LABEL[mode]} t{th}: other processes used {oc:.2f} cores during the run; "
                            "repeating it")
                    keep(rec)

    jf.close()
    os.replace(out_jsonl + ".partial.new", out_jsonl + ".partial")
    if args.quick and os.path.exists(os.path.join(HERE, "RESULTS.jsonl")):
        # compare with the stored reference records of the same networks and thread counts
        with open(os.path.join(HERE, "RESULTS.jsonl")) as f:
            for line in f:
                r = json.loads(line)
                if "network" not in r:
                    continue
                if r["system"] != "ganglion" and r["network"] in args.nets and r["threads"] in args.threads:
                    records.append(r)
    os.replace(out_jsonl + ".partial", out_jsonl)
    md = report(records, env, args,
                title="Ganglion quick check (reference numbers from bench/RESULTS.jsonl)" if args.quick
                else "Ganglion vs Brian2 vs NEST")
    with open(out_md, "w") as f:
        f.write(md)
    print(md)
    log(f"wrote {out_md} and {out_jsonl}")


if __name__ == "__main__":
    main()
