#!/usr/bin/env python3
"""Write the Potjans & Diesmann (2014) cortical microcircuit (PD14) as a Ganglion spec.

Parameters and derivations follow the reference PyNEST implementation,
github.com/INM-6/microcircuit-PD14-model, PyNEST/src/microcircuit/{network_params,
stimulus_params,sim_params,network,helpers}.py:

* 8 populations L23E/I, L4E/I, L5E/I, L6E/I of iaf_psc_exp neurons (C_m 250 pF, tau_m 10 ms,
  tau_syn 0.5 ms, E_L = V_reset = -65 mV, V_th -50 mV, t_ref 2 ms), "optimized" initial
  membrane potentials (per-population normal).
* Recurrent synapses: NEST's fixed_total_number with K = log(1-C)/log(1-1/(N_pre N_post))
  synapses per projection (multapses and autapses allowed, the NEST defaults); weights
  normal(J, 0.1 |J|) redrawn to keep their sign, J = PSP->PSC of 0.15 mV (x -4 for inhibitory
  sources, x 2 for L4E -> L23E); delays normal(d, 0.5 d), d = 1.5 ms (E) / 0.75 ms (I), redrawn
  below the resolution.
* Background: independent Poisson input of K_ext x 8 Hz per neuron with the excitatory
  weight, delay 1.5 ms (the paper's and the reference's poisson background; the reference's
  'dc' option is not generated).
* --scale s sets N_scaling = K_scaling = s and compensates like the reference
  (helpers.adjust_weights_and_input_to_synapse_scaling): weights / sqrt(s), and a DC input
  0.001 tau_syn (1 - sqrt(s)) (sum_j J_ij K_ij nu_j + J_ext K_ext nu_bg) replacing the lost mean
  input, with the reference's full-scale rates nu_j.

Deviations forced by the spec format (stated in the file header too): delays are redrawn
below dt = 0.1 ms (NEST: below 0.5 dt, then rounded; so 1-step delays are about half as
frequent here: 1.4 % vs 2.5 % of inhibitory synapses) and above mean + 10 std (probability
< 1e-23, needed to size the ring buffers).

Usage: python3 scripts/pd14_spec.py [--scale 0.1] [--out examples/pd14_small.toml]
       [--duration "1500 ms"] [--seed 55] [--threads 2]
"""
import argparse
import math

POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
FULL_N = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
# The reference's full-scale mean rates (Hz), used only for the K-scaling compensation.
FULL_RATES = [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829]
# conn_probs[target][source]
CONN = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
]
K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
BG_RATE = 8.0  # Hz
PSP_EXC = 0.15  # mV
G = -4.0
WEIGHT_REL_STD = 0.1
DELAY_MEAN = (1.5, 0.75)  # ms, excitatory / inhibitory sources
DELAY_REL_STD = 0.5
DELAY_POISSON = 1.5  # ms
V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]
V0_STD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]
C_M, TAU_M, TAU_SYN = 250.0, 10.0, 0.5
E_L, V_TH, V_RESET, T_REF = -65.0, -50.0, -65.0, 2.0
DT = 0.1


def psc_over_psp(c_m, tau_m, tau_syn):
    """helpers.postsynaptic_potential_to_current: PSC (pA) per mV of PSP peak."""
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / c_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac**tau_m - frac**tau_syn))


def full_synapses(t, s):
    """helpers.num_synapses_from_conn_probs (target t, source s)."""
    prod = FULL_N[t] * FULL_N[s]
    return math.log(1.0 - CONN[t][s]) / math.log((prod - 1.0) / prod)


def derive(scale):
    """Everything network.__derive_parameters computes, for N_scaling = K_scaling = scale."""
    k = len(POPS)
    conv = psc_over_psp(C_M, TAU_M, TAU_SYN)
    psc = [[PSP_EXC * conv * (1.0 if s % 2 == 0 else G) for s in range(k)] for _ in range(k)]
    psc[0][2] *= 2.0  # L4E -> L23E
    psc_ext = PSP_EXC * conv
    full_syn = [[full_synapses(t, s) for s in range(k)] for t in range(k)]
    n = [int(round(FULL_N[i] * scale)) for i in range(k)]
    syn = [[int(round(full_syn[t][s] * scale * scale)) for s in range(k)] for t in range(k)]
    k_ext = [int(round(K_EXT[i] * scale)) for i in range(k)]
    dc = [0.0] * k
    w = [row[:] for row in psc]
    w_ext = psc_ext
    if scale != 1.0:
        w = [[x / math.sqrt(scale) for x in row] for row in psc]
        w_ext = psc_ext / math.sqrt(scale)
        for t in range(k):
            rec = sum(psc[t][s] * full_syn[t][s] / FULL_N[t] * FULL_RATES[s] for s in range(k))
            ext = psc_ext * K_EXT[t] * BG_RATE
            dc[t] += 0.001 * TAU_SYN * (1.0 - math.sqrt(scale)) * (rec + ext)
    return n, syn, k_ext, w, w_ext, dc


def spec(scale, duration, seed, threads):
    n, syn, k_ext, w, w_ext, dc = derive(scale)
    total = sum(map(sum, syn))
    out = [
        f"# Potjans & Diesmann (2014) cortical microcircuit, scale {scale:g}: {sum(n)} neurons,",
        f"# {total} synapses. Generated by scripts/pd14_spec.py --scale {scale:g} from the reference",
        "# implementation github.com/INM-6/microcircuit-PD14-model (PyNEST); do not edit by hand.",
        "# Recurrent synapses: fixed_total_number with multapses and autapses (NEST's defaults);",
        "# weights normal(J, 0.1|J|) redrawn to keep their sign; delays normal(d, d/2) redrawn",
        "# outside [dt, d + 10 sd] (NEST redraws below dt/2 and has no upper bound, see the script);",
        "# background: independent Poisson input K_ext x 8 Hz per neuron, delay 1.5 ms.",
    ]
    if scale != 1.0:
        out.append("# Downscaled: weights / sqrt(scale) and a DC input I_e that restores the lost mean")
        out.append("# input (the reference's adjust_weights_and_input_to_synapse_scaling).")
    out.append("# The reference discards the first 500 ms (t_presim) before analysis.")
    out += [
        "",
        "[simulation]",
        f'dt = "{DT} ms"',
        f'duration = "{duration}"',
        f"seed = {seed}",
        f"threads = {threads}",
    ]
    for i, p in enumerate(POPS):
        sign = "excitatory" if i % 2 == 0 else "inhibitory"
        params = (
            f'C_m = "{C_M} pF", tau_m = "{TAU_M} ms", tau_syn_ex = "{TAU_SYN} ms", '
            f'tau_syn_in = "{TAU_SYN} ms", E_L = "{E_L} mV", V_th = "{V_TH} mV", '
            f'V_reset = "{V_RESET} mV", t_ref = "{T_REF} ms", I_e = "{dc[i]:.10g} pA"'
        )
        out += [
            "",
            "[[population]]",
            f'name = "{p}"',
            f"size = {n[i]}",
            'model = "iaf_psc_exp"',
            f'sign = "{sign}"',
            f"params = {{ {params} }}",
            f'init = {{ V_m = {{ dist = "normal", mean = "{V0_MEAN[i]} mV", std = "{V0_STD[i]} mV" }} }}',
        ]
    for t, tp in enumerate(POPS):
        for s, sp in enumerate(POPS):
            if syn[t][s] <= 0:
                continue
            mean = w[t][s]
            clip = 'min = "0 pA"' if mean > 0 else 'max = "0 pA"'
            d = DELAY_MEAN[s % 2]
            dstd = d * DELAY_REL_STD
            out += [
                "",
                "[[projection]]",
                f'source = "{sp}"',
                f'target = "{tp}"',
                f'connectivity = {{ rule = "fixed_total_number", n = {syn[t][s]} }}',
                f'weight = {{ dist = "normal", mean = "{mean:.10g} pA", std = "{abs(mean) * WEIGHT_REL_STD:.10g} pA", {clip} }}',
                f'delay = {{ dist = "normal", mean = "{d} ms", std = "{dstd} ms", min = "{DT} ms", max = "{d + 10 * dstd} ms" }}',
                "autapses = true",
                "multapses = true",
            ]
    for i, p in enumerate(POPS):
        out += [
            "",
            "[[input]]",
            'kind = "poisson"',
            f'target = "{p}"',
            f'rate = "{BG_RATE * k_ext[i]:g} Hz"',
            f'weight = "{w_ext:.10g} pA"',
            f'delay = "{DELAY_POISSON} ms"',
        ]
    for p in POPS:
        out += ["", "[[monitor]]", 'kind = "spikes"', f'population = "{p}"']
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="N_scaling = K_scaling (default 1)")
    ap.add_argument("--out", default=None, help="output path (default examples/pd14.toml at scale 1)")
    ap.add_argument("--duration", default="1500 ms", help="simulated time (500 ms warm-up + 1 s)")
    ap.add_argument("--seed", type=int, default=55, help="master seed (the reference's rng_seed)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if not 0.0 < a.scale <= 1.0:
        ap.error(f"--scale {a.scale} must be in (0, 1]")
    out = a.out or ("examples/pd14.toml" if a.scale == 1.0 else f"examples/pd14_scale{a.scale:g}.toml")
    with open(out, "w") as f:
        f.write(spec(a.scale, a.duration, a.seed, a.threads))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
