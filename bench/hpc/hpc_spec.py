#!/usr/bin/env python3
"""Write a Ganglion spec of NEST's hpc_benchmark (pynest/examples/hpc_benchmark.py) at any scale.

    python3 bench/hpc/hpc_spec.py --scale 10 --plastic --threads 2 --out /tmp/hpc10_stdp.toml

As the reference: NE = 9000·scale and NI = 2250·scale iaf_psc_alpha neurons; every neuron gets
a fixed in-degree CE = NE/scale = 9000 from exc and CI = 2250 from inh whatever the scale
(multapses allowed, no autapses), so the network stays balanced and its rate does not depend
on the scale; synapses = 11 250 · 11 250 · scale (126.6 M per unit of scale). Parameters come
from bench/netdefs.py (HPC), the same numbers as bench/specs/hpc.toml (scale 1, static) and
bench/specs/hpc_stdp.toml (scale 1, E→E stdp_pl_synapse_hom). --plastic gives E→E the
reference's power-law STDP, every other projection static.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import netdefs  # noqa: E402


def spec(scale, plastic, threads, duration_ms, seed, synapses=True):
    P = netdefs.HPC
    ne, ni = int(round(P["n_exc"] * scale)), int(round(P["n_inh"] * scale))
    ce, ci = P["CE"], P["CI"]  # in-degrees do not scale (the reference: CE = NE / scale)
    je, ji = P["JE_pA"], P["JI_pA"]
    neuron = (
        f'params = {{ E_L = "{P["E_L"]} mV", C_m = "{P["C_m"]} pF", tau_m = "{P["tau_m"]} ms", '
        f't_ref = "{P["t_ref"]} ms", V_th = "{P["V_th"]} mV", V_reset = "{P["V_reset"]} mV", '
        f'tau_syn_ex = "{P["tau_syn"]!r} ms", tau_syn_in = "{P["tau_syn"]!r} ms", I_e = "0 pA" }}\n'
        f'init = {{ V_m = {{ dist = "normal", mean = "{P["V_m0_mean"]} mV", std = "{P["V_m0_std"]} mV" }} }}\n'
    )
    sp = P["stdp"]
    out = [
        f"# hpc_benchmark at scale {scale:g}: {ne} exc + {ni} inh iaf_psc_alpha, in-degree {ce} + {ci},",
        f"# {(ne + ni) * (ce + ci)} synapses; E->E {'power-law STDP (stdp_pl_synapse_hom)' if plastic else 'static'}.",
        "# Written by bench/hpc/hpc_spec.py.",
        "",
        "[simulation]",
        f'dt = "{P["dt"]} ms"',
        f'duration = "{duration_ms} ms"',
        f"seed = {seed}",
        f"threads = {threads}",
        "",
    ]
    for name, n, sign in (("exc", ne, "excitatory"), ("inh", ni, "inhibitory")):
        out += ["[[population]]", f'name = "{name}"', f"size = {n}", 'model = "iaf_psc_alpha"',
                f'sign = "{sign}"', neuron]
    projections = (("exc", "exc", ce, je), ("exc", "inh", ce, je), ("inh", "exc", ci, ji), ("inh", "inh", ci, ji))
    for src, tgt, k, w in projections if synapses else ():
        out += ["[[projection]]", f'source = "{src}"', f'target = "{tgt}"',
                f'connectivity = {{ rule = "fixed_indegree", k = {k} }}',
                f'weight = "{w!r} pA"', f'delay = "{P["delay"]} ms"', "multapses = true"]
        if plastic and src == "exc" and tgt == "exc":
            out.append(
                f'plasticity = {{ rule = "stdp_pl_synapse_hom", tau_plus = "{sp["tau_plus"]} ms", '
                f'tau_minus = "{P["tau_minus"]} ms", lambda = {sp["lambda_"]}, alpha = {sp["alpha"]}, '
                # NEST's STDP synapses take the whole delay as dendritic: timed at the synapse.
                f'mu = {sp["mu"]}, timing = "synapse" }}')
        out.append("")
    for tgt in ("exc", "inh"):
        out += ["[[input]]", 'kind = "poisson"', f'target = "{tgt}"', f'rate = "{P["p_rate"]!r} Hz"',
                f'weight = "{je!r} pA"', f'delay = "{P["delay"]} ms"', ""]
    for pop in ("exc", "inh"):
        out += ["[[monitor]]", 'kind = "spikes"', f'population = "{pop}"', ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--plastic", action="store_true", help="E->E stdp_pl_synapse_hom as the reference")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duration", type=float, default=300.0, help="model time in ms (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-synapses", action="store_true",
                    help="neurons and their Poisson drive only (to measure the cost of a neuron update)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.out, "w") as f:
        f.write(spec(a.scale, a.plastic, a.threads, a.duration, a.seed, not a.no_synapses))


if __name__ == "__main__":
    main()
