#!/usr/bin/env python3
"""Run one benchmark network in NEST and print one JSON line with timings and statistics.

    bench/.venv/bin/python bench/nest_nets.py cuba --threads 2

Networks (parameters in netdefs.py):
  cuba      Brian2 examples/CUBA.py as iaf_psc_exp (weights as currents, delay 0.1 ms)
  coba      Brette et al. 2007 benchmark 1 (Brian 1 examples/COBA.py) as iaf_cond_exp
  brunel    pynest/examples/brunel_delta_nest.py (iaf_psc_delta, Poisson drive)
  hpc       pynest/examples/hpc_benchmark.py, scale 1, all synapses static (E->E static_synapse_hpc)
  hpc_stdp  the same with E->E stdp_pl_synapse_hom_hpc as in the reference

Timings (wall clock):
  sim_s    the simulation loop: NEST's kernel timer time_simulate, which excludes the one-off
           preparation of the connection infrastructure at the first Simulate
           (time_communicate_prepare). sim_wall_s is the wall time of the whole
           nest.Simulate() call, which is what brunel_delta_nest.py/hpc_benchmark.py print.
  build_s  everything before the loop: Create + Connect + initial state + that preparation
           (= Create/Connect wall time + sim_wall_s - sim_s)
  total_s  process start (from /proc, or --t0 from the runner) to the end of this script
All spikes of all neurons are recorded to memory (the references record only a subset).
"""

import time

T_SCRIPT = time.time()

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netdefs  # noqa: E402


def parse():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("network", choices=["cuba", "coba", "brunel", "hpc", "hpc_stdp"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration", type=float, default=None, help="simulated time in ms (default: the network's)")
    ap.add_argument("--t0", type=float, default=None, help="epoch time at which the runner started this process")
    return ap.parse_args()


def _jsonable(v):
    """NEST returns per-thread timers as arrays; keep them as lists."""
    try:
        return float(v)
    except TypeError:
        return [float(x) for x in v]


def main():
    args = parse()
    t_import0 = time.time()
    import nest
    import numpy as np
    t_import1 = time.time()

    net = args.network
    P = netdefs.NETWORKS[net]
    duration = args.duration if args.duration is not None else P["duration"]

    nest.ResetKernel()
    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.WARNING
    else:
        nest.set_verbosity("M_WARNING")
    t_build0 = time.time()
    nest.local_num_threads = args.threads
    nest.resolution = P["dt"]
    nest.rng_seed = args.seed

    syn_models = []  # recurrent synapse models, counted at the end
    rss_before = netdefs.current_rss_mb()

    if net == "cuba":
        params = dict(C_m=P["C_m"], tau_m=P["taum"], E_L=P["El"], V_th=P["Vt"], V_reset=P["Vr"],
                      t_ref=P["refractory"], tau_syn_ex=P["taue"], tau_syn_in=P["taui"], I_e=0.0)
        exc = nest.Create("iaf_psc_exp", P["n_exc"], params=params)
        inh = nest.Create("iaf_psc_exp", P["n_inh"], params=params)
        allp = exc + inh
        allp.V_m = nest.random.uniform(P["Vr"], P["Vt"])
        nest.CopyModel("static_synapse", "bench_ex", {"weight": P["we_pA"], "delay": P["delay_nest"]})
        nest.CopyModel("static_synapse", "bench_in", {"weight": P["wi_pA"], "delay": P["delay_nest"]})
        conn = {"rule": "pairwise_bernoulli", "p": P["p"]}  # autapses allowed, as in Brian2's connect(p=)
        nest.Connect(exc, allp, conn, "bench_ex")
        nest.Connect(inh, allp, conn, "bench_in")
        syn_models = ["bench_ex", "bench_in"]
        pops = [("exc", exc), ("inh", inh)]

    elif net == "coba":
        params = dict(C_m=P["C_m"], g_L=P["g_L"], E_L=P["El"], V_th=P["Vt"], V_reset=P["Vr"],
                      t_ref=P["refractory"], E_ex=P["Ee"], E_in=P["Ei"],
                      tau_syn_ex=P["taue"], tau_syn_in=P["taui"], I_e=0.0)
        exc = nest.Create("iaf_cond_exp", P["n_exc"], params=params)
        inh = nest.Create("iaf_cond_exp", P["n_inh"], params=params)
        allp = exc + inh
        # Brian 1 COBA.py: v = (randn*5-5) mV rel. to rest, ge = randn*1.5+4, gi = randn*12+20 (x g_L)
        # unclipped, as in the reference (a few per cent of the gi start negative).
        allp.V_m = nest.random.normal(P["v0_mean"], P["v0_std"])
        allp.g_ex = nest.random.normal(P["ge0_mean"], P["ge0_std"])
        allp.g_in = nest.random.normal(P["gi0_mean"], P["gi0_std"])
        # NEST routes a negative weight to the inhibitory conductance g_in (as +67 nS)
        nest.CopyModel("static_synapse", "bench_ex", {"weight": P["we_nS"], "delay": P["delay_nest"]})
        nest.CopyModel("static_synapse", "bench_in", {"weight": -P["wi_nS"], "delay": P["delay_nest"]})
        conn = {"rule": "pairwise_bernoulli", "p": P["p"]}
        nest.Connect(exc, allp, conn, "bench_ex")
        nest.Connect(inh, allp, conn, "bench_in")
        syn_models = ["bench_ex", "bench_in"]
        pops = [("exc", exc), ("inh", inh)]

    elif net == "brunel":
        params = {"C_m": P["C_m"], "tau_m": P["tau_m"], "t_ref": P["t_ref"], "E_L": P["E_L"],
                  "V_reset": P["V_reset"], "V_m": P["V_m0"], "V_th": P["theta"]}
        exc = nest.Create("iaf_psc_delta", P["n_exc"], params=params)
        inh = nest.Create("iaf_psc_delta", P["n_inh"], params=params)
        allp = exc + inh
        noise = nest.Create("poisson_generator", params={"rate": P["p_rate"]})
        nest.CopyModel("static_synapse", "excitatory", {"weight": P["J"], "delay": P["delay"]})
        nest.CopyModel("static_synapse", "inhibitory", {"weight": P["J_in"], "delay": P["delay"]})
        nest.CopyModel("static_synapse", "external", {"weight": P["J"], "delay": P["delay"]})
        nest.Connect(noise, allp, syn_spec="external")
        nest.Connect(exc, allp, {"rule": "fixed_indegree", "indegree": P["CE"]}, "excitatory")
        nest.Connect(inh, allp, {"rule": "fixed_indegree", "indegree": P["CI"]}, "inhibitory")
        syn_models = ["excitatory", "inhibitory"]
        pops = [("exc", exc), ("inh", inh)]

    else:  # hpc, hpc_stdp
        model_params = {"E_L": P["E_L"], "C_m": P["C_m"], "tau_m": P["tau_m"], "t_ref": P["t_ref"],
                        "V_th": P["V_th"], "V_reset": P["V_reset"], "tau_syn_ex": P["tau_syn"],
                        "tau_syn_in": P["tau_syn"], "tau_minus": P["tau_minus"], "V_m": P["V_m0_mean"]}
        exc = nest.Create("iaf_psc_alpha", P["n_exc"], params=model_params)
        inh = nest.Create("iaf_psc_alpha", P["n_inh"], params=model_params)
        allp = exc + inh
        random_vm = nest.random.normal(P["V_m0_mean"], P["V_m0_std"])
        exc.V_m = random_vm
        inh.V_m = random_vm
        stim = nest.Create("poisson_generator", 1, {"rate": P["p_rate"]})
        nest.SetDefaults("static_synapse_hpc", {"delay": P["delay"]})
        nest.CopyModel("static_synapse_hpc", "syn_ex", {"weight": P["JE_pA"]})
        nest.CopyModel("static_synapse_hpc", "syn_in", {"weight": P["JI_pA"]})
        nest.CopyModel("static_synapse_hpc", "syn_ext", {"weight": P["JE_pA"]})
        if net == "hpc_stdp":
            sp = P["stdp"]
            nest.CopyModel("stdp_pl_synapse_hom_hpc", "syn_ee",
                           {"delay": P["delay"], "alpha": sp["alpha"], "lambda": sp["lambda_"], "mu": sp["mu"],
                            "tau_plus": sp["tau_plus"], "weight": P["JE_pA"]})
        else:
            nest.CopyModel("static_synapse_hpc", "syn_ee", {"weight": P["JE_pA"]})
        nest.Connect(stim, exc, {"rule": "all_to_all"}, {"synapse_model": "syn_ext"})
        nest.Connect(stim, inh, {"rule": "all_to_all"}, {"synapse_model": "syn_ext"})
        ce = {"rule": "fixed_indegree", "indegree": P["CE"], "allow_autapses": False, "allow_multapses": True}
        ci = {"rule": "fixed_indegree", "indegree": P["CI"], "allow_autapses": False, "allow_multapses": True}
        nest.Connect(exc, exc, ce, {"synapse_model": "syn_ee"})
        nest.Connect(inh, exc, ci, {"synapse_model": "syn_in"})
        nest.Connect(exc, inh, ce, {"synapse_model": "syn_ex"})
        nest.Connect(inh, inh, ci, {"synapse_model": "syn_in"})
        syn_models = ["syn_ee", "syn_ex", "syn_in"]
        pops = [("exc", exc), ("inh", inh)]

    rec = nest.Create("spike_recorder", params={"record_to": "memory"})
    nest.Connect(allp, rec)
    t_build1 = time.time()
    rss_built = netdefs.current_rss_mb()

    nest.Simulate(duration)
    t_sim1 = time.time()
    rss_after = netdefs.current_rss_mb()

    ev = rec.get("events")
    senders = np.asarray(ev["senders"])
    times = np.asarray(ev["times"])
    first = allp[0].global_id
    stats = []
    off = first
    for name, pop in pops:
        sel = (senders >= off) & (senders < off + len(pop))
        st = netdefs.pop_stats(senders[sel] - off, times[sel], len(pop), duration)
        st["name"] = name
        stats.append(st)
        off += len(pop)
    n_syn = int(sum(nest.GetDefaults(m)["num_connections"] for m in syn_models))
    ks = nest.GetKernelStatus()
    kernel_times = {k: _jsonable(ks[k]) for k in ("time_construction_create", "time_construction_connect",
                                       "time_simulate", "time_update", "time_communicate_prepare",
                                       "time_deliver_spike_data", "time_gather_spike_data")
                    if k in ks}
    spikes = sum(s["spike_count"] for s in stats)
    N = len(allp)
    sim_loop = float(ks.get("time_simulate", t_sim1 - t_build1))
    t_end = time.time()
    t0 = args.t0 if args.t0 is not None else (netdefs.proc_start_time() or T_SCRIPT)
    netdefs.print_result(
        "nest", nest.__version__, "nest", net, args, duration, P["dt"],
        {
            "import_s": t_import1 - t_import0,
            "build_s": (t_build1 - t_build0) + (t_sim1 - t_build1) - sim_loop,
            "sim_s": sim_loop, "sim_wall_s": t_sim1 - t_build1, "total_s": t_end - t0,
        },
        (spikes, N, n_syn), stats, (rss_before, rss_built, rss_after),
        nest_kernel_s=kernel_times,
    )


if __name__ == "__main__":
    main()
