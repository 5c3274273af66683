#!/usr/bin/env python3
"""Run one benchmark network in Brian2 and print one JSON line with timings and statistics.

    bench/.venv/bin/python bench/brian2_nets.py cuba --mode runtime
    bench/.venv/bin/python bench/brian2_nets.py cuba --mode cpp_standalone --threads 2

Networks (parameters in netdefs.py):
  cuba    Brian2 examples/CUBA.py, verbatim (exact integration, synapses without delay)
  coba    Brette et al. 2007 benchmark 1 (Brian 1 examples/COBA.py) in Brian2 syntax,
          exponential_euler (Brian 1 used forward Euler; NEST's iaf_cond_exp uses RKF45)
  brunel  NEST brunel_delta_nest.py: delta synapses (v_post += J, delay 1.5 ms), external
          drive as PoissonInput (CE inputs at nu_ex each, binomial per step); input arriving
          during the refractory period is discarded, as NEST's iaf_psc_delta does
  hpc     NEST hpc_benchmark.py, scale 1, static synapses, alpha PSCs (exact integration).
          126.6 M synapses: ~5 GB peak RSS, 35 s (runtime) / 52 s (standalone) on 2 cores

Modes:
  runtime         Cython code generation (prefs.codegen.target = 'cython'); single thread.
                  Generated extension modules are cached in ~/.cython/brian_extensions, so
                  the runner does one untimed warm-up run per network first.
  cpp_standalone  C++ project generated, compiled (cold: fresh directory every run) and run.
                  threads=1 -> no OpenMP (openmp_threads = 0); threads=N>1 -> OpenMP, N threads.

Timings:
  sim_s    the simulation loop only.
           runtime: device._last_run_time (Network.run measures the loop after before_run).
           standalone: wall time of Network::run() in the binary, measured by std::chrono
           code inserted into main.cpp (device.insert_code 'before/after_network_run').
           Brian2's own Network::_last_run_time is std::clock() CPU time when OpenMP is off,
           so it is recorded as well ("brian2_last_run_time_s") but not used.
  build_s  everything before the loop: model definition, synapse creation, code generation
           (runtime: incl. before_run; standalone: incl. compilation and the binary's
           initialisation and synapse creation, i.e. run_binary - sim_s).
  total_s  process start (from /proc, or --t0 from the runner) to the end of this script.
"""

import time

T_SCRIPT = time.time()

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netdefs  # noqa: E402


def parse():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("network", choices=["cuba", "coba", "brunel", "hpc"])
    ap.add_argument("--mode", choices=["runtime", "cpp_standalone"], default="runtime")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration", type=float, default=None, help="simulated time in ms (default: the network's)")
    ap.add_argument("--t0", type=float, default=None, help="epoch time at which the runner started this process")
    ap.add_argument("--build-dir", default=None,
                    help="cpp_standalone project directory (default: a fresh temporary one, deleted after)")
    args = ap.parse_args()
    if args.mode == "runtime" and args.threads != 1:
        ap.error("Brian2 runtime mode is single-threaded; use --threads 1")
    return args


def fixed_indegree(rng, n_pre, n_post, k, pre_offset=0, post_offset=0, autapses=True):
    """NEST's fixed_indegree with multapses: for every target, k sources drawn with replacement.

    Returns (i, j) int32 arrays of global indices. Without autapses, sources are drawn from
    the n_pre - 1 neurons other than the target (pre and post must then be the same group).
    """
    import numpy as np
    post = np.repeat(np.arange(n_post, dtype=np.int64), k)
    if autapses:
        pre = rng.integers(0, n_pre, size=n_post * k)
    else:
        pre = rng.integers(0, n_pre - 1, size=n_post * k)
        pre += pre >= post  # skip the target itself (same population)
    return (pre + pre_offset).astype(np.int32), (post + post_offset).astype(np.int32)


def exc_inh_synapses(b2, G, P, ns):
    """CUBA/COBA recurrence: the first n_exc cells add we to ge, the rest wi to gi, with probability p."""
    Ce = b2.Synapses(G, G, on_pre="ge += we", namespace=ns)
    Ci = b2.Synapses(G, G, on_pre="gi += wi", namespace=ns)
    Ce.connect(f"i<{P['n_exc']}", p=P["p"])
    Ci.connect(f"i>={P['n_exc']}", p=P["p"])
    return [Ce, Ci]


def build(b2, net, P, seed):
    """Create the network in the current scope; returns (objects, group, populations, synapses)."""
    import numpy as np
    ms, mV, pA, nS, pF, Hz = b2.ms, b2.mV, b2.pA, b2.nS, b2.pF, b2.Hz
    objs = []
    if net == "cuba":
        # examples/CUBA.py
        ns = dict(taum=P["taum"] * ms, taue=P["taue"] * ms, taui=P["taui"] * ms,
                  Vt=P["Vt"] * mV, Vr=P["Vr"] * mV, El=P["El"] * mV,
                  we=P["we_mV"] * mV, wi=P["wi_mV"] * mV)
        eqs = """
        dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
        dge/dt = -ge/taue : volt
        dgi/dt = -gi/taui : volt
        """
        G = b2.NeuronGroup(P["n_exc"] + P["n_inh"], eqs, threshold="v>Vt", reset="v = Vr",
                           refractory=P["refractory"] * ms, method="exact", namespace=ns)
        G.v = "Vr + rand() * (Vt - Vr)"
        G.ge = 0 * mV
        G.gi = 0 * mV
        syns = exc_inh_synapses(b2, G, P, ns)
    elif net == "coba":
        ns = dict(g_L=P["g_L"] * nS, C_m=P["C_m"] * pF, taue=P["taue"] * ms, taui=P["taui"] * ms,
                  El=P["El"] * mV, Vt=P["Vt"] * mV, Vr=P["Vr"] * mV, Ee=P["Ee"] * mV, Ei=P["Ei"] * mV,
                  we=P["we_nS"] * nS, wi=P["wi_nS"] * nS)
        eqs = """
        dv/dt = (g_L*(El-v) + ge*(Ee-v) + gi*(Ei-v))/C_m : volt (unless refractory)
        dge/dt = -ge/taue : siemens
        dgi/dt = -gi/taui : siemens
        """
        G = b2.NeuronGroup(P["n_exc"] + P["n_inh"], eqs, threshold="v>Vt", reset="v = Vr",
                           refractory=P["refractory"] * ms, method="exponential_euler", namespace=ns)
        # Brian 1 COBA.py: v = (randn*5-5) mV relative to rest; ge, gi in units of g_L (unclipped)
        G.v = "El + (randn() * 5 - 5)*mV"
        G.ge = "(randn() * 1.5 + 4) * 10.*nS"
        G.gi = "(randn() * 12 + 20) * 10.*nS"
        syns = exc_inh_synapses(b2, G, P, ns)
    elif net == "brunel":
        ns = dict(tau_m=P["tau_m"] * ms, E_L=P["E_L"] * mV, theta=P["theta"] * mV,
                  V_reset=P["V_reset"] * mV, J=P["J"] * mV, J_in=P["J_in"] * mV)
        eqs = "dv/dt = -(v - E_L)/tau_m : volt (unless refractory)"
        N = P["n_exc"] + P["n_inh"]
        G = b2.NeuronGroup(N, eqs, threshold="v >= theta", reset="v = V_reset",
                           refractory=P["t_ref"] * ms, method="exact", namespace=ns)
        G.v = P["V_m0"] * mV
        rng = np.random.default_rng(seed)
        # iaf_psc_delta (refractory_input = False) drops input during the refractory period
        Ce = b2.Synapses(G, G, on_pre="v_post += J*int(not_refractory_post)", delay=P["delay"] * ms, namespace=ns)
        Ci = b2.Synapses(G, G, on_pre="v_post += J_in*int(not_refractory_post)", delay=P["delay"] * ms,
                         namespace=ns)
        i, j = fixed_indegree(rng, P["n_exc"], N, P["CE"])
        Ce.connect(i=i, j=j)
        i, j = fixed_indegree(rng, P["n_inh"], N, P["CI"], pre_offset=P["n_exc"])
        Ci.connect(i=i, j=j)
        del i, j
        ext = b2.PoissonInput(G, "v", N=P["CE"], rate=P["nu_ex"] * 1000.0 * Hz,
                              weight="J*int(not_refractory)")
        objs.append(ext)
        syns = [Ce, Ci]
    elif net == "hpc":
        ns = dict(tau_m=P["tau_m"] * ms, E_L=P["E_L"] * mV, V_th=P["V_th"] * mV, V_reset=P["V_reset"] * mV,
                  C_m=P["C_m"] * pF, tau_syn=P["tau_syn"] * ms,
                  JE=P["JE_pA"] * pA, JI=P["JI_pA"] * pA)
        # iaf_psc_alpha: a spike of weight w adds w*e to x; I(t) = w t/tau e^{1 - t/tau} peaks at w
        eqs = """
        dv/dt = -(v - E_L)/tau_m + I/C_m : volt (unless refractory)
        dI/dt = (x - I)/tau_syn : amp
        dx/dt = -x/tau_syn : amp
        """
        NE, NI = P["n_exc"], P["n_inh"]
        G = b2.NeuronGroup(NE + NI, eqs, threshold="v >= V_th", reset="v = V_reset",
                           refractory=P["t_ref"] * ms, method="exact", namespace=ns)
        G.v = f"({P['V_m0_mean']!r} + {P['V_m0_std']!r}*randn())*mV"
        rng = np.random.default_rng(seed)
        Ce = b2.Synapses(G, G, on_pre="x_post += JE*exp(1)", delay=P["delay"] * ms, namespace=ns)
        Ci = b2.Synapses(G, G, on_pre="x_post += JI*exp(1)", delay=P["delay"] * ms, namespace=ns)
        # E->E, E->I (CE each), I->E, I->I (CI each); no autapses, multapses allowed
        parts_e = [fixed_indegree(rng, NE, NE, P["CE"], autapses=False),
                   fixed_indegree(rng, NE, NI, P["CE"], post_offset=NE)]
        Ce.connect(i=np.concatenate([p[0] for p in parts_e]), j=np.concatenate([p[1] for p in parts_e]))
        del parts_e
        ie = fixed_indegree(rng, NI, NE, P["CI"], pre_offset=NE)
        ii = fixed_indegree(rng, NI, NI, P["CI"], pre_offset=NE, post_offset=NE, autapses=False)
        Ci.connect(i=np.concatenate([ie[0], ii[0]]), j=np.concatenate([ie[1], ii[1]]))
        del ie, ii
        ext = b2.PoissonInput(G, "x", N=P["CE"], rate=P["nu_ext"] * 1000.0 * Hz,
                              weight=P["JE_pA"] * pA * np.e)
        objs.append(ext)
        syns = [Ce, Ci]
    else:
        raise ValueError(net)
    mon = b2.SpikeMonitor(G)
    objs += [G, mon] + syns
    pops = [("exc", 0, P["n_exc"]), ("inh", P["n_exc"], P["n_inh"])]
    return objs, G, mon, pops, syns


def main():
    args = parse()
    t_import0 = time.time()
    import brian2 as b2
    import numpy as np
    t_import1 = time.time()

    net = args.network
    P = netdefs.NETWORKS[net]
    duration = args.duration if args.duration is not None else P["duration"]
    standalone = args.mode == "cpp_standalone"
    tmpdir = None
    timers = {}

    if standalone:
        build_dir = args.build_dir
        if build_dir is None:
            tmpdir = tempfile.mkdtemp(prefix=f"brian2_{net}_")
            build_dir = tmpdir
        b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = args.threads if args.threads > 1 else 0
        b2.prefs.codegen.cpp.headers += ["<chrono>"]
    else:
        b2.prefs.codegen.target = "cython"

    t_build0 = time.time()
    rss_before = netdefs.current_rss_mb()
    b2.seed(args.seed)
    b2.defaultclock.dt = P["dt"] * b2.ms
    objs, G, mon, pops, syns = build(b2, net, P, args.seed)
    netw = b2.Network(*objs)
    t_def1 = time.time()
    rss_built = netdefs.current_rss_mb()  # runtime: synapses exist now; standalone: only arrays i, j
    if standalone:
        dev = b2.get_device()
        dev.insert_code("before_network_run",
                        "auto _bench_t0 = std::chrono::steady_clock::now();")
        dev.insert_code("after_network_run",
                        "{ double _bench_s = std::chrono::duration<double>(std::chrono::steady_clock::now()"
                        " - _bench_t0).count(); std::ofstream _bench_f(results_dir + \"bench_sim_s.txt\");"
                        " _bench_f.precision(17); _bench_f << _bench_s << std::endl; }")
        netw.run(duration * b2.ms)
        t_cg0 = time.time()
        dev.build(directory=build_dir, compile=True, run=False, with_output=False)
        t_cg1 = time.time()
        dev.run(directory=build_dir, with_output=False)
        t_run1 = time.time()
        with open(os.path.join(dev.results_dir, "bench_sim_s.txt")) as f:
            sim_s = float(f.read())
        timers = {"define_s": t_def1 - t_build0, "codegen_compile_s": t_cg1 - t_cg0,
                  "make_s": dev.timers.get("compile", {}).get("make"),
                  "run_binary_s": t_run1 - t_cg1, "brian2_last_run_time_s": float(dev._last_run_time)}
        build_s = (t_run1 - t_build0) - sim_s
    else:
        t_run0 = time.time()
        netw.run(duration * b2.ms)
        t_run1 = time.time()
        sim_s = float(b2.get_device()._last_run_time)
        timers = {"define_s": t_def1 - t_build0, "before_run_s": (t_run1 - t_run0) - sim_s}
        build_s = (t_run1 - t_build0) - sim_s

    rss_after = netdefs.current_rss_mb()
    ids = np.asarray(mon.i[:])
    times = np.asarray(mon.t[:] / b2.ms)
    stats = []
    for name, off, n in pops:
        sel = (ids >= off) & (ids < off + n)
        st = netdefs.pop_stats(ids[sel] - off, times[sel], n, duration)
        st["name"] = name
        stats.append(st)
    n_syn = int(sum(len(s) for s in syns))
    N = len(G)
    spikes = int(ids.size)
    if tmpdir is not None:
        shutil.rmtree(tmpdir, ignore_errors=True)
    t_end = time.time()
    t0 = args.t0 if args.t0 is not None else (netdefs.proc_start_time() or T_SCRIPT)
    netdefs.print_result(
        "brian2", b2.__version__, args.mode, net, args, duration, P["dt"],
        {"import_s": t_import1 - t_import0, "build_s": build_s, "sim_s": sim_s, "total_s": t_end - t0},
        (spikes, N, n_syn), stats, (rss_before, rss_built, rss_after),
        brian2_timers=timers,
    )


if __name__ == "__main__":
    main()
