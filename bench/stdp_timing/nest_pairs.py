"""NEST 3.10's stdp_synapse on forced spike pairs: the fixture for Ganglion's
`timing = "synapse"` test (crates/ganglion-sim/tests/plasticity.rs).

Two parrot neurons replay spike_generator trains; the plastic synapse goes to the post
parrot's port 1, which parrot neurons ignore, so the synapse never changes the spike times
(the trick NEST's own STDP tests use). NEST treats the whole delay as dendritic: a pair counts
with dt = t_post + d - t_pre, and dt = 0 counts neither way.

Run: bench/.venv/bin/python bench/stdp_timing/nest_pairs.py crates/ganglion-sim/tests/fixtures/nest_stdp_pairs.txt
"""
import os
import sys

import nest

RES = 0.1
W_MAX, W0 = 1.0, 0.5
LAMBDA, ALPHA = 0.01, 1.2  # Ganglion: A_plus = 0.01, A_minus = 0.012 (fractions of w_max)
TAU_PLUS, TAU_MINUS = 20.0, 30.0


def run(delay, pre, post):
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": RES})
    gens = nest.Create("spike_generator", 2, [{"spike_times": pre}, {"spike_times": post}])
    parrots = nest.Create("parrot_neuron", 2)
    parrots[1].set({"tau_minus": TAU_MINUS})
    rec = nest.Create("spike_recorder")
    nest.Connect(gens, parrots, "one_to_one", {"delay": RES})
    nest.Connect(parrots, rec)
    nest.Connect(
        parrots[0],
        parrots[1],
        syn_spec={
            "synapse_model": "stdp_synapse",
            "receptor_type": 1,
            "weight": W0,
            "delay": delay,
            "Wmax": W_MAX,
            "lambda": LAMBDA,
            "alpha": ALPHA,
            "tau_plus": TAU_PLUS,
            "mu_plus": 0.0,
            "mu_minus": 0.0,
        },
    )
    nest.Simulate(max(pre + post) + 50.0)
    ev = rec.get("events")
    times = {int(s): [] for s in parrots.tolist()}
    for s, t in zip(ev["senders"], ev["times"]):
        times[int(s)].append(float(t))
    w = nest.GetConnections(parrots[0], parrots[1]).get("weight")
    ids = parrots.tolist()
    return {
        "delay_ms": delay,
        "pre_ms": sorted(times[ids[0]]),
        "post_ms": sorted(times[ids[1]]),
        "w_final": w,
    }


cases = []
for delay in (1.0, 2.5):
    for dt in (-12.0, -3.5, -2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 4.0, 15.0):
        # A pair, then a lone presynaptic spike that applies NEST's pending facilitation.
        cases.append(run(delay, [50.0, 150.0], [50.0 + dt]))
    # Bursts: several pairs close together, all-to-all.
    cases.append(run(delay, [20.0, 23.0, 31.0, 120.0], [21.0, 24.5, 30.0]))
# One case per line: delay_ms; pre spike times; post spike times; final weight (the header
# says the rest). Plain text so that the Rust test needs no JSON parser.
lines = [
    f"# NEST {nest.__version__} stdp_synapse, resolution {RES} ms, w0 {W0}, Wmax {W_MAX}, "
    f"A_plus {LAMBDA}, A_minus {LAMBDA * ALPHA:g}, tau_plus {TAU_PLUS} ms, tau_minus {TAU_MINUS} ms",
    "# delay_ms; pre_ms; post_ms; w_final",
]
for c in cases:
    fmt = lambda ts: " ".join(f"{t:.1f}" for t in ts)
    lines.append(f"{c['delay_ms']}; {fmt(c['pre_ms'])}; {fmt(c['post_ms'])}; {c['w_final']!r}")
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    f.write("\n".join(lines) + "\n")
os.replace(tmp, sys.argv[1])
