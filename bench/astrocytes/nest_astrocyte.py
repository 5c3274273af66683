#!/usr/bin/env python3
"""NEST 3.10 side of Ganglion's astrocyte_lr_1994 comparison.

    bench/.venv/bin/python bench/astrocytes/nest_astrocyte.py fixture
        One astrocyte_lr_1994 (delta_IP3 = 0.2 µM, NEST's defaults otherwise) driven by a
        fixed spike train (spike_generator, weight 1, delay 1 ms) and one
        aeif_cond_alpha_astro receiving its slow inward current through a sic_connection
        (weight 1, delay 0.1 ms = one step). dt = 0.1 ms, 20 s. Writes IP3, Ca_astro and
        h_IP3R of the astrocyte and I_SIC of the neuron every 20 ms to
        crates/ganglion-sim/tests/fixtures/astrocyte_nest.csv (the Rust test
        crates/ganglion-sim/tests/astrocytes.rs compares the engine with it).

    bench/.venv/bin/python bench/astrocytes/nest_astrocyte.py bench --reps 5
        Times NEST's astrocyte_small_network example scale (see bench/astrocytes/RESULTS.md
        and bench.py, which runs both systems).

The spike train: 100 spikes at 50 Hz from 100 ms, then 25 spikes at 50 Hz from 10 s.
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURE = os.path.join(ROOT, "crates", "ganglion-sim", "tests", "fixtures", "astrocyte_nest.csv")

DT = 0.1
DURATION = 20000.0
INTERVAL = 20.0
DELTA_IP3 = 0.2
SPIKES = [100.0 + 20.0 * k for k in range(100)] + [10000.0 + 20.0 * k for k in range(25)]


def quiet_nest():
    import nest

    nest.set_verbosity("M_ERROR")
    return nest


def fixture():
    nest = quiet_nest()
    nest.ResetKernel()
    nest.resolution = DT
    astro = nest.Create("astrocyte_lr_1994", params={"delta_IP3": DELTA_IP3})
    sg = nest.Create("spike_generator", params={"spike_times": SPIKES})
    nest.Connect(sg, astro, syn_spec={"weight": 1.0, "delay": 1.0})
    neuron = nest.Create("aeif_cond_alpha_astro")
    nest.Connect(astro, neuron, syn_spec={"synapse_model": "sic_connection", "weight": 1.0, "delay": DT})
    ma = nest.Create("multimeter", params={"record_from": ["IP3", "Ca_astro", "h_IP3R"], "interval": INTERVAL})
    mn = nest.Create("multimeter", params={"record_from": ["I_SIC"], "interval": INTERVAL})
    nest.Connect(ma, astro)
    nest.Connect(mn, neuron)
    nest.Simulate(DURATION)
    a, n = ma.events, mn.events
    assert list(a["times"]) == list(n["times"])
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, "w") as f:
        f.write(f"# NEST {nest.__version__} astrocyte_lr_1994 (delta_IP3 = {DELTA_IP3}) + aeif_cond_alpha_astro "
                f"via sic_connection (weight 1, delay {DT} ms); dt {DT} ms; written by "
                "bench/astrocytes/nest_astrocyte.py fixture\n")
        f.write("t_ms,IP3,Ca_astro,h_IP3R,I_SIC\n")
        for k in range(len(a["times"])):
            f.write(f"{a['times'][k]:.1f},{a['IP3'][k]:.12e},{a['Ca_astro'][k]:.12e},"
                    f"{a['h_IP3R'][k]:.12e},{n['I_SIC'][k]:.12e}\n")
    print(f"wrote {FIXTURE} ({len(a['times'])} rows)")


def small_network(seed, scale):
    """NEST's astrocyte_small_network example (10 pre and 10 post aeif_cond_alpha_astro,
    I_e = 1000 pA, 5 astrocytes with IP3(0) = 0.4 µM and delta_IP3 = 0.2 µM, pre→post all
    to all, each pair's astrocyte chosen by block pool of size 1) with static synapses
    instead of tsodyks_synapse (Ganglion has no Tsodyks synapse) and tau_syn_ex = 2 ms, 1000 ms. `scale`
    multiplies the population sizes, with connection probability 1/scale pre→post so that
    the in-degree stays 10. Returns (simulate seconds, summary)."""
    nest = quiet_nest()
    nest.ResetKernel()
    nest.resolution = DT
    nest.rng_seed = seed
    nest.local_num_threads = 1
    n_neurons, n_astro = 10 * scale, 5 * scale
    params = {"tau_syn_ex": 2.0, "I_e": 1000.0}
    pre = nest.Create("aeif_cond_alpha_astro", n_neurons, params=params)
    post = nest.Create("aeif_cond_alpha_astro", n_neurons, params=params)
    astro = nest.Create("astrocyte_lr_1994", n_astro, params={"IP3": 0.4, "delta_IP3": 0.2})
    nest.TripartiteConnect(
        pre,
        post,
        astro,
        conn_spec={"rule": "pairwise_bernoulli", "p": 1.0 / scale},
        third_factor_conn_spec={"rule": "third_factor_bernoulli_with_pool", "p": 1.0, "pool_size": 1,
                                "pool_type": "block"},
        syn_specs={"primary": {"synapse_model": "static_synapse", "weight": 1.0},
                   "third_in": {"synapse_model": "static_synapse", "weight": 1.0},
                   "third_out": {"synapse_model": "sic_connection", "weight": 1.0}},
    )
    sr, sr_pre = nest.Create("spike_recorder"), nest.Create("spike_recorder")
    nest.Connect(post, sr)
    nest.Connect(pre, sr_pre)
    ma = nest.Create("multimeter", params={"record_from": ["Ca_astro"], "interval": 100.0})
    nest.Connect(ma, astro)
    t0 = time.perf_counter()
    nest.Simulate(1000.0)
    sim_s = time.perf_counter() - t0
    ca = ma.events["Ca_astro"]
    return sim_s, {
        "pre_rate_hz": sr_pre.n_events / n_neurons,
        "post_rate_hz": sr.n_events / n_neurons,
        "ca_end_mean": float(sum(ca[-n_astro:]) / n_astro),
        "connections": nest.num_connections,
    }


def astrocytes_only(seed, n):
    """`n` astrocyte_lr_1994 (delta_IP3 = 0.2 µM), each driven by its own 10 Hz Poisson train
    (weight 1, delay 1 ms), 10 s at dt 0.1 ms: the astrocyte model's own cost. Returns
    (simulate seconds, summary)."""
    nest = quiet_nest()
    nest.ResetKernel()
    nest.resolution = DT
    nest.rng_seed = seed
    nest.local_num_threads = 1
    astro = nest.Create("astrocyte_lr_1994", n, params={"delta_IP3": 0.2})
    pg = nest.Create("poisson_generator", params={"rate": 10.0})
    nest.Connect(pg, astro, syn_spec={"weight": 1.0, "delay": 1.0})
    ma = nest.Create("multimeter", params={"record_from": ["Ca_astro"], "interval": 1000.0})
    nest.Connect(ma, astro)
    t0 = time.perf_counter()
    nest.Simulate(10000.0)
    sim_s = time.perf_counter() - t0
    ca = ma.events["Ca_astro"]
    return sim_s, {"ca_end_mean": float(sum(ca[-n:]) / n), "ca_end_sd": float(
        (sum((c - sum(ca[-n:]) / n) ** 2 for c in ca[-n:]) / (n - 1)) ** 0.5)}


def bench(reps, scale):
    out = []
    for r in range(reps):
        s, summary = small_network(r + 1, scale)
        out.append({"system": "nest", "scale": scale, "rep": r, "sim_s": s, **summary})
        print(json.dumps(out[-1]), flush=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["fixture", "bench"])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--scale", type=int, default=1)
    a = ap.parse_args()
    if a.mode == "fixture":
        fixture()
    else:
        bench(a.reps, a.scale)


if __name__ == "__main__":
    sys.exit(main())
