#!/usr/bin/env python3
"""NEST's hpc_benchmark at any scale, one JSON line out (bench/nest_nets.py's hpc branch with
the reference's `scale`): NE = 9000·scale, NI = 2250·scale, in-degrees 9000 + 2250 whatever
the scale, E→E static_synapse_hpc or (--plastic) stdp_pl_synapse_hom_hpc as the reference.

    bench/.venv/bin/python bench/hpc/nest_hpc.py --scale 2 --plastic --threads 2

Timings as nest_nets.py: build_s = Create + Connect + the one-off preparation at the first
Simulate; sim_s = NEST's time_simulate. All spikes are recorded to memory.
"""

import time

T_SCRIPT = time.time()

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import netdefs  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--plastic", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration", type=float, default=300.0)
    args = ap.parse_args()
    import nest
    import numpy as np

    P = netdefs.HPC
    ne, ni = int(round(P["n_exc"] * args.scale)), int(round(P["n_inh"] * args.scale))
    nest.ResetKernel()
    nest.set_verbosity("M_WARNING")
    t_build0 = time.time()
    nest.local_num_threads = args.threads
    nest.resolution = P["dt"]
    nest.rng_seed = args.seed
    rss_before = netdefs.current_rss_mb()
    model_params = {"E_L": P["E_L"], "C_m": P["C_m"], "tau_m": P["tau_m"], "t_ref": P["t_ref"],
                    "V_th": P["V_th"], "V_reset": P["V_reset"], "tau_syn_ex": P["tau_syn"],
                    "tau_syn_in": P["tau_syn"], "tau_minus": P["tau_minus"], "V_m": P["V_m0_mean"]}
    exc = nest.Create("iaf_psc_alpha", ne, params=model_params)
    inh = nest.Create("iaf_psc_alpha", ni, params=model_params)
    allp = exc + inh
    random_vm = nest.random.normal(P["V_m0_mean"], P["V_m0_std"])
    exc.V_m = random_vm
    inh.V_m = random_vm
    stim = nest.Create("poisson_generator", 1, {"rate": P["p_rate"]})
    nest.SetDefaults("static_synapse_hpc", {"delay": P["delay"]})
    nest.CopyModel("static_synapse_hpc", "syn_ex", {"weight": P["JE_pA"]})
    nest.CopyModel("static_synapse_hpc", "syn_in", {"weight": P["JI_pA"]})
    nest.CopyModel("static_synapse_hpc", "syn_ext", {"weight": P["JE_pA"]})
    if args.plastic:
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
    rec = nest.Create("spike_recorder", params={"record_to": "memory"})
    nest.Connect(allp, rec)
    t_build1 = time.time()
    rss_built = netdefs.current_rss_mb()
    nest.Simulate(args.duration)
    t_sim1 = time.time()
    rss_after = netdefs.current_rss_mb()

    ev = rec.get("events")
    senders, times = np.asarray(ev["senders"]), np.asarray(ev["times"])
    first = allp[0].global_id
    stats, off = [], first
    for name, pop in (("exc", exc), ("inh", inh)):
        sel = (senders >= off) & (senders < off + len(pop))
        st = netdefs.pop_stats(senders[sel] - off, times[sel], len(pop), args.duration)
        st["name"] = name
        stats.append(st)
        off += len(pop)
    n_syn = int(sum(nest.GetDefaults(m)["num_connections"] for m in ("syn_ee", "syn_ex", "syn_in")))
    ks = nest.GetKernelStatus()
    sim_loop = float(ks["time_simulate"])
    spikes = sum(s["spike_count"] for s in stats)
    netdefs.print_result(
        "nest", nest.__version__, "nest", "hpc_stdp" if args.plastic else "hpc", args, args.duration, P["dt"],
        {"build_s": (t_build1 - t_build0) + (t_sim1 - t_build1) - sim_loop, "sim_s": sim_loop,
         "sim_wall_s": t_sim1 - t_build1, "total_s": time.time() - T_SCRIPT},
        (spikes, len(allp), n_syn), stats, (rss_before, rss_built, rss_after),
        scale=args.scale, plastic=args.plastic,
    )


if __name__ == "__main__":
    main()
