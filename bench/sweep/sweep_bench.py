#!/usr/bin/env python3
"""16-point parameter sweeps of CUBA and Brunel in Ganglion, Brian2 (cpp_standalone) and NEST.

    bench/.venv/bin/python bench/sweep/sweep_bench.py cuba   --duration 1000 --threads 2
    bench/.venv/bin/python bench/sweep/sweep_bench.py brunel --duration 200  --threads 2

Networks: the benchmark definitions of bench/netdefs.py / bench/specs/{cuba,brunel}.toml
(the same ones bench/brian2_nets.py and bench/nest_nets.py build). Grid (4 x 4, the second
axis varies fastest, as in `ganglion sweep`):
  cuba    E->E weight x {0.8, 0.9, 1.0, 1.1} and I->E weight x {0.8, 0.9, 1.0, 1.1}
          (20.25 pA / -112.5 pA; Brian2: 1.62 mV / -9 mV jumps of ge / gi)
  brunel  external rate onto E: eta in {1.5, 2, 2.5, 3} (nu_ext = eta nu_thr; 15..30 kHz per
          neuron) and I->E weight: g in {4.5, 5, 5.5, 6} (-g J = -0.45..-0.6 mV)
Only the weights/drive onto the excitatory population are swept, because `ganglion sweep`
has no way to tie two spec paths to one axis (E->E and E->I would need the same value);
the other projections keep the example's values in all three tools.

Timed (wall clock of each process, from outside, including Python/NEST/Brian2 start-up):
  ganglion  one `ganglion sweep` process for the 16 points
  brian2    one process: define, build + compile the cpp_standalone project once, then
            16 x device.run(run_args={...}) (Brian2 >= 2.6: changes the swept variables
            without recompiling). The first build/compile is reported separately.
  nest      one process: 16 x (ResetKernel, Create, Connect, Simulate)
  single    one plain run of bench/brian2_nets.py (cpp_standalone, fresh project, compile + run)
            and of bench/nest_nets.py with the example's parameters: "the anchor's single run".
Writes bench/sweep/out/<net>.json and prints a summary.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
import netdefs  # noqa: E402

FACT = [0.8, 0.9, 1.0, 1.1]
ETAS = [1.5, 2.0, 2.5, 3.0]
GS = [4.5, 5.0, 5.5, 6.0]


def grid(net):
    """The 16 points as (a, b) pairs in the sweep's order (b fastest)."""
    if net == "cuba":
        return [(a, b) for a in FACT for b in FACT]
    return [(a, b) for a in ETAS for b in GS]


# ------------------------------------------------------------------ Ganglion
def ganglion_sweep(net, duration, threads, out):
    P = netdefs.NETWORKS[net]
    if net == "cuba":
        we = ", ".join(f"{f * P['we_pA']!r} pA" for f in FACT)
        wi = ", ".join(f"{f * P['wi_pA']!r} pA" for f in FACT)
        sets = [f"projection.exc→exc.weight=[{we}]", f"projection.inh→exc.weight=[{wi}]"]
    else:
        rates = ", ".join(f"{e * P['nu_th'] * P['CE'] * 1000.0!r} Hz" for e in ETAS)
        wi = ", ".join(f"{-g * P['J']!r} mV" for g in GS)
        sets = [f"input.0.rate=[{rates}]", f"projection.inh→exc.weight=[{wi}]"]
    cmd = [os.path.join(ROOT, "target/release/ganglion"), "sweep", os.path.join(BENCH, "specs", f"{net}.toml")]
    for s in sets:
        cmd += ["--set", s]
    cmd += ["--duration", f"{duration} ms", "--threads", str(threads), "--out", out, "--force", "--json"]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.time() - t0
    js = json.loads(r.stdout)
    return dict(wall_s=wall, internal_total_s=js["total_s"],
                synapses_generated=js.get("synapses_generated"), synapses_reused=js.get("synapses_reused"),
                rates=[p["exc.rate_hz"] for p in js["points"]], cmd=cmd)


# ------------------------------------------------------------------ Brian2
def brian2_worker(net, duration, threads):
    """Runs inside its own process: build once, run 16 points with run_args."""
    t_start = time.time()
    import brian2 as b2
    import numpy as np
    P = netdefs.NETWORKS[net]
    ms, mV, Hz = b2.ms, b2.mV, b2.Hz
    d = tempfile.mkdtemp(prefix=f"sweep_brian2_{net}_")
    b2.set_device("cpp_standalone", directory=d, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
    b2.seed(1)
    b2.defaultclock.dt = P["dt"] * ms
    NE = P["n_exc"]
    if net == "cuba":
        # bench/brian2_nets.py (Brian2 examples/CUBA.py), with the recurrence split into four
        # Synapses (same connect(p=) statistics) whose weight w is a variable run_args can set
        ns = dict(taum=P["taum"] * ms, taue=P["taue"] * ms, taui=P["taui"] * ms,
                  Vt=P["Vt"] * mV, Vr=P["Vr"] * mV, El=P["El"] * mV)
        eqs = """
        dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
        dge/dt = -ge/taue : volt
        dgi/dt = -gi/taui : volt
        """
        G = b2.NeuronGroup(NE + P["n_inh"], eqs, threshold="v>Vt", reset="v = Vr",
                           refractory=P["refractory"] * ms, method="exact", namespace=ns)
        G.v = "Vr + rand() * (Vt - Vr)"
        Ge, Gi = G[:NE], G[NE:]
        S = {}
        for name, src, tgt, var, w0 in [("ee", Ge, Ge, "ge", P["we_mV"]), ("ei", Ge, Gi, "ge", P["we_mV"]),
                                       ("ie", Gi, Ge, "gi", P["wi_mV"]), ("ii", Gi, Gi, "gi", P["wi_mV"])]:
            s = b2.Synapses(src, tgt, model="w : volt (constant)", on_pre=f"{var}_post += w", namespace=ns)
            s.connect(p=P["p"])
            s.w = w0 * mV
            S[name] = s
        objs = [G] + list(S.values())

        def args_of(a, b):
            return {S["ee"].w: a * P["we_mV"] * mV, S["ie"].w: b * P["wi_mV"] * mV}
    else:
        # bench/brian2_nets.py brunel, with the I synapses split by target population and the
        # external PoissonInput (rate fixed at compile time) replaced by the same binomial-like
        # drive written as v += J * poisson(nu_ext * CE * dt) per step (when='synapses', as
        # PoissonInput), with a per-neuron nu_ext that run_args can set
        ns = dict(tau_m=P["tau_m"] * ms, E_L=P["E_L"] * mV, theta=P["theta"] * mV,
                  V_reset=P["V_reset"] * mV, J=P["J"] * mV, CE=P["CE"])
        eqs = """
        dv/dt = -(v - E_L)/tau_m : volt (unless refractory)
        nu_ext : Hz (constant)
        """
        N = NE + P["n_inh"]
        G = b2.NeuronGroup(N, eqs, threshold="v >= theta", reset="v = V_reset",
                           refractory=P["t_ref"] * ms, method="exact", namespace=ns)
        G.v = P["V_m0"] * mV
        G.nu_ext = P["nu_ex"] * 1000.0 * Hz
        rng = np.random.default_rng(1)
        sys.path.insert(0, BENCH)
        from brian2_nets import fixed_indegree
        Ce = b2.Synapses(G, G, on_pre="v_post += J*int(not_refractory_post)", delay=P["delay"] * ms, namespace=ns)
        i, j = fixed_indegree(rng, NE, N, P["CE"])
        Ce.connect(i=i, j=j)
        Cie = b2.Synapses(G, G, model="w : volt (constant)", on_pre="v_post += w*int(not_refractory_post)",
                          delay=P["delay"] * ms, namespace=ns)
        i, j = fixed_indegree(rng, P["n_inh"], NE, P["CI"], pre_offset=NE)
        Cie.connect(i=i, j=j)
        Cie.w = P["J_in"] * mV
        Cii = b2.Synapses(G, G, model="w : volt (constant)", on_pre="v_post += w*int(not_refractory_post)",
                          delay=P["delay"] * ms, namespace=ns)
        i, j = fixed_indegree(rng, P["n_inh"], P["n_inh"], P["CI"], pre_offset=NE, post_offset=NE)
        Cii.connect(i=i, j=j)
        Cii.w = P["J_in"] * mV
        del i, j
        G.run_regularly("v += J*poisson(nu_ext*CE*dt)*int(not_refractory)", when="synapses")
        objs = [G, Ce, Cie, Cii]

        def args_of(eta, g):
            nu = np.full(N, P["nu_ex"] * 1000.0)
            nu[:NE] = eta * P["nu_th"] * 1000.0
            return {G.nu_ext: nu * Hz, Cie.w: -g * P["J"] * mV}
    mon = b2.SpikeMonitor(G)
    netw = b2.Network(*objs, mon)
    netw.run(duration * ms)
    t_b0 = time.time()
    dev = b2.get_device()
    dev.build(directory=d, compile=True, run=False, with_output=False)
    t_b1 = time.time()
    rates, run_s = [], []
    for a, b in grid(net):
        t0 = time.time()
        dev.run(directory=d, with_output=False, run_args=args_of(a, b))
        ids = np.asarray(mon.i[:])
        run_s.append(time.time() - t0)
        rates.append(float(np.count_nonzero(ids < NE)) / NE / (duration / 1000.0))
    t_end = time.time()
    import shutil
    shutil.rmtree(d, ignore_errors=True)
    print(json.dumps(dict(define_s=t_b0 - t_start, build_compile_s=t_b1 - t_b0, runs_s=run_s,
                          sweep_runs_s=t_end - t_b1, rates=rates, version=b2.__version__)))


# ------------------------------------------------------------------ NEST
def nest_worker(net, duration, threads):
    """Runs inside its own process: 16 x (ResetKernel, build, Simulate)."""
    import nest
    P = netdefs.NETWORKS[net]
    rates, point_s = [], []
    for a, b in grid(net):
        t0 = time.time()
        nest.ResetKernel()
        nest.verbosity = nest.VerbosityLevel.WARNING
        nest.local_num_threads = threads
        nest.resolution = P["dt"]
        nest.rng_seed = 1
        if net == "cuba":
            # bench/nest_nets.py cuba, the four projections connected separately
            params = dict(C_m=P["C_m"], tau_m=P["taum"], E_L=P["El"], V_th=P["Vt"], V_reset=P["Vr"],
                          t_ref=P["refractory"], tau_syn_ex=P["taue"], tau_syn_in=P["taui"], I_e=0.0)
            exc = nest.Create("iaf_psc_exp", P["n_exc"], params=params)
            inh = nest.Create("iaf_psc_exp", P["n_inh"], params=params)
            (exc + inh).V_m = nest.random.uniform(P["Vr"], P["Vt"])
            conn = {"rule": "pairwise_bernoulli", "p": P["p"]}
            d = P["delay_nest"]
            nest.Connect(exc, exc, conn, {"weight": a * P["we_pA"], "delay": d})
            nest.Connect(exc, inh, conn, {"weight": P["we_pA"], "delay": d})
            nest.Connect(inh, exc, conn, {"weight": b * P["wi_pA"], "delay": d})
            nest.Connect(inh, inh, conn, {"weight": P["wi_pA"], "delay": d})
        else:
            # bench/nest_nets.py brunel (brunel_delta_nest.py), one Poisson generator per population
            params = {"C_m": P["C_m"], "tau_m": P["tau_m"], "t_ref": P["t_ref"], "E_L": P["E_L"],
                      "V_reset": P["V_reset"], "V_m": P["V_m0"], "V_th": P["theta"]}
            exc = nest.Create("iaf_psc_delta", P["n_exc"], params=params)
            inh = nest.Create("iaf_psc_delta", P["n_inh"], params=params)
            allp = exc + inh
            ne = nest.Create("poisson_generator", params={"rate": a * P["nu_th"] * P["CE"] * 1000.0})
            ni = nest.Create("poisson_generator", params={"rate": P["p_rate"]})
            d = P["delay"]
            nest.Connect(ne, exc, syn_spec={"weight": P["J"], "delay": d})
            nest.Connect(ni, inh, syn_spec={"weight": P["J"], "delay": d})
            nest.Connect(exc, allp, {"rule": "fixed_indegree", "indegree": P["CE"]}, {"weight": P["J"], "delay": d})
            nest.Connect(inh, exc, {"rule": "fixed_indegree", "indegree": P["CI"]},
                         {"weight": -b * P["J"], "delay": d})
            nest.Connect(inh, inh, {"rule": "fixed_indegree", "indegree": P["CI"]},
                         {"weight": P["J_in"], "delay": d})
        rec = nest.Create("spike_recorder")
        nest.Connect(exc, rec)
        nest.Simulate(float(duration))
        n = rec.n_events
        rates.append(n / P["n_exc"] / (duration / 1000.0))
        point_s.append(time.time() - t0)
    print(json.dumps(dict(rates=rates, points_s=point_s, version=nest.__version__)))


def run_worker(kind, net, duration, threads):
    cmd = [sys.executable, os.path.abspath(__file__), net, "--worker", kind,
           "--duration", str(duration), "--threads", str(threads)]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{r.stderr[-4000:]}")
    js = json.loads(r.stdout.strip().splitlines()[-1])
    js["wall_s"] = wall
    return js


def single(tool, net, duration, threads):
    script = "brian2_nets.py" if tool == "brian2" else "nest_nets.py"
    cmd = [sys.executable, os.path.join(BENCH, script), net, "--threads", str(threads), "--duration", str(duration)]
    if tool == "brian2":
        cmd += ["--mode", "cpp_standalone"]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{tool} single run failed:\n{r.stderr[-4000:]}")
    js = json.loads(r.stdout.strip().splitlines()[-1])
    rate = [p for p in js.get("populations", js.get("stats", [])) if p.get("name") == "exc"]
    return dict(wall_s=wall, cmd=" ".join(cmd[1:]), exc_rate_hz=rate[0].get("mean_rate_hz") if rate else None,
                timings=js.get("timings", {k: js.get(k) for k in ("build_s", "sim_s", "total_s")}))


def save(net, res):
    """Write what is measured so far (a slow tool can then be cut without losing the rest)."""
    res["loadavg_after"] = os.getloadavg()
    with open(os.path.join(HERE, "out", f"{net}.json"), "w") as f:
        json.dump(res, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("network", choices=["cuba", "brunel"])
    ap.add_argument("--duration", type=float, default=None, help="ms per point (default: cuba 1000, brunel 200)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tools", default="ganglion,brian2,nest,single")
    ap.add_argument("--worker", choices=["brian2", "nest"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    net = args.network
    duration = args.duration if args.duration is not None else (1000.0 if net == "cuba" else 200.0)
    if args.worker == "brian2":
        return brian2_worker(net, duration, args.threads)
    if args.worker == "nest":
        return nest_worker(net, duration, args.threads)

    tools = args.tools.split(",")
    res = dict(network=net, duration_ms=duration, threads=args.threads, grid=grid(net),
               loadavg_before=os.getloadavg())
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    if "ganglion" in tools:
        res["ganglion"] = ganglion_sweep(net, duration, args.threads, os.path.join(HERE, "out", f"ganglion_{net}"))
        print(f"ganglion sweep {res['ganglion']['wall_s']:.2f} s", file=sys.stderr, flush=True)
        save(net, res)
    if "nest" in tools:
        res["nest"] = run_worker("nest", net, duration, args.threads)
        print(f"nest sweep {res['nest']['wall_s']:.2f} s", file=sys.stderr, flush=True)
        save(net, res)
    if "single" in tools:
        res["brian2_single"] = single("brian2", net, duration, args.threads)
        print(f"brian2 single {res['brian2_single']['wall_s']:.2f} s", file=sys.stderr, flush=True)
        save(net, res)
        res["nest_single"] = single("nest", net, duration, args.threads)
        print(f"nest single {res['nest_single']['wall_s']:.2f} s", file=sys.stderr, flush=True)
        save(net, res)
    if "brian2" in tools:
        res["brian2"] = run_worker("brian2", net, duration, args.threads)
        print(f"brian2 sweep {res['brian2']['wall_s']:.2f} s", file=sys.stderr, flush=True)
        save(net, res)
    res["loadavg_after"] = os.getloadavg()
    with open(os.path.join(HERE, "out", f"{net}.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
