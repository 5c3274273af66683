"""Parameters of the benchmark networks, shared by brian2_nets.py, nest_nets.py and run.py.

Plain Python (no Brian2/NEST import) so that every script sees the same numbers.
Units follow NEST: ms, mV, pA, nS, pF, Hz. Each network names the reference it copies;
see bench/NOTES.md for deviations.
"""

import math

# --------------------------------------------------------------------------------------
# CUBA: Brian2 examples/CUBA.py (Brette et al. 2007, benchmark 2; Vogels & Abbott 2005)
# --------------------------------------------------------------------------------------
CUBA = dict(
    n_exc=3200, n_inh=800, p=0.02,
    taum=20.0, taue=5.0, taui=10.0,          # ms
    Vt=-50.0, Vr=-60.0, El=-49.0,            # mV
    we_mV=60 * 0.27 / 10, wi_mV=-20 * 4.5 / 10,  # voltage jumps of Brian2's ge/gi (mV)
    refractory=5.0,                          # ms
    C_m=250.0,                               # pF, only for the NEST/Ganglion current form
    delay_nest=0.1,                          # ms; Brian2's example has no delay
    duration=1000.0, dt=0.1,
)
# NEST/Ganglion current = voltage jump * C_m / tau_m
CUBA["we_pA"] = CUBA["we_mV"] * CUBA["C_m"] / CUBA["taum"]   # 20.25 pA
CUBA["wi_pA"] = CUBA["wi_mV"] * CUBA["C_m"] / CUBA["taum"]   # -112.5 pA

# --------------------------------------------------------------------------------------
# COBA: Brette et al. 2007 benchmark 1 = Brian 1 examples/COBA.py (brian-team/brian).
# Brian2 has no LIF COBA example (examples/COBAHH.py is Hodgkin-Huxley); its COBA
# initialisation ge = (randn()*1.5+4)*10 nS, gi = (randn()*12+20)*10 nS is the one used in
# brian2 examples/COBAHH.py and examples/advanced/float_32_64_benchmark.py.
# Brian 1 writes v relative to rest (-60 mV) and conductances in units of the leak;
# here absolute: g_L = 10 nS, C_m = 200 pF (tau_m = 20 ms).
# --------------------------------------------------------------------------------------
COBA = dict(
    n_exc=3200, n_inh=800, p=0.02,
    g_L=10.0, C_m=200.0,                     # nS, pF  -> tau_m 20 ms
    taue=5.0, taui=10.0,                     # ms
    El=-60.0, Vt=-50.0, Vr=-60.0,            # mV
    Ee=0.0, Ei=-80.0,                        # mV
    we_nS=6.0, wi_nS=67.0,                   # = 6/10 and 67/10 of g_L
    refractory=5.0,
    v0_mean=-65.0, v0_std=5.0,               # (randn*5 - 5) mV relative to rest -60 mV
    ge0_mean=40.0, ge0_std=15.0,             # (randn*1.5 + 4) * 10 nS
    gi0_mean=200.0, gi0_std=120.0,           # (randn*12 + 20) * 10 nS
    delay_nest=0.1,
    duration=1000.0, dt=0.1,
)

# --------------------------------------------------------------------------------------
# Brunel 2000 model A: NEST pynest/examples/brunel_delta_nest.py
# --------------------------------------------------------------------------------------
_order = 2500
BRUNEL = dict(
    n_exc=4 * _order, n_inh=_order, epsilon=0.1,
    C_m=1.0, tau_m=20.0, t_ref=2.0, E_L=0.0, V_reset=0.0, V_m0=0.0, theta=20.0,
    J=0.1, g=5.0, eta=2.0, delay=1.5,
    duration=1000.0, dt=0.1,
)
BRUNEL["CE"] = int(BRUNEL["epsilon"] * BRUNEL["n_exc"])          # 1000
BRUNEL["CI"] = int(BRUNEL["epsilon"] * BRUNEL["n_inh"])          # 250
BRUNEL["J_in"] = -BRUNEL["g"] * BRUNEL["J"]                       # -0.5 mV
BRUNEL["nu_th"] = BRUNEL["theta"] / (BRUNEL["J"] * BRUNEL["CE"] * BRUNEL["tau_m"])  # 1/ms
BRUNEL["nu_ex"] = BRUNEL["eta"] * BRUNEL["nu_th"]                 # 1/ms, per external input
BRUNEL["p_rate"] = 1000.0 * BRUNEL["nu_ex"] * BRUNEL["CE"]        # Hz per neuron: 20000


# --------------------------------------------------------------------------------------
# HPC benchmark: NEST pynest/examples/hpc_benchmark.py at scale 1
# --------------------------------------------------------------------------------------
def _hpc_conversion(tau_m, tau_syn, C_m):
    """hpc_benchmark.convert_synapse_weight: pA per mV of PSP peak (alpha PSC).

    Uses the Lambert W_-1 branch; implemented here without scipy by Halley iteration so
    that run.py does not need scipy (the value is checked against scipy in nest_nets.py).
    """
    a = tau_m / tau_syn
    b = 1.0 / tau_syn - 1.0 / tau_m
    x = -math.exp(-1.0 / a) / a
    # W_-1(x) for x in (-1/e, 0): start near the branch and iterate
    w = math.log(-x) - math.log(-math.log(-x))
    for _ in range(100):
        ew = math.exp(w)
        f = w * ew - x
        w_new = w - f / (ew * (w + 1) - (w + 2) * f / (2 * w + 2))
        if abs(w_new - w) < 1e-15:
            w = w_new
            break
        w = w_new
    t_rise = 1.0 / b * (-w - 1.0 / a)
    v_max = (math.e / (tau_syn * C_m * b)
             * ((math.exp(-t_rise / tau_m) - math.exp(-t_rise / tau_syn)) / b
                - t_rise * math.exp(-t_rise / tau_syn)))
    return 1.0 / v_max


HPC = dict(
    scale=1.0,
    n_exc=9000, n_inh=2250,
    E_L=0.0, C_m=250.0, tau_m=10.0, t_ref=0.5, V_th=20.0, V_reset=0.0,
    tau_syn=0.32582722403722841,
    tau_minus=30.0,
    V_m0_mean=5.7, V_m0_std=7.2,
    delay=1.5, JE=0.14, g=-5.0, eta=1.685,
    stdp=dict(alpha=0.0513, lambda_=0.1, mu=0.4, tau_plus=15.0),
    # hpc_benchmark: presimtime 50 ms + simtime 250 ms. We simulate the 300 ms as one run.
    duration=300.0, dt=0.1,
)
HPC["CE"] = int(1.0 * HPC["n_exc"] / HPC["scale"])   # 9000
HPC["CI"] = int(1.0 * HPC["n_inh"] / HPC["scale"])   # 2250
HPC["conversion"] = _hpc_conversion(HPC["tau_m"], HPC["tau_syn"], HPC["C_m"])
HPC["JE_pA"] = HPC["conversion"] * HPC["JE"]                         # 45.61 pA
HPC["JI_pA"] = HPC["g"] * HPC["JE_pA"]                                # -228.05 pA
HPC["nu_th"] = HPC["V_th"] / (HPC["CE"] * HPC["tau_m"] / HPC["C_m"] * HPC["JE_pA"]
                              * math.e * HPC["tau_syn"])               # 1/ms
HPC["nu_ext"] = HPC["nu_th"] * HPC["eta"]                             # 1/ms per input
HPC["p_rate"] = HPC["nu_ext"] * HPC["CE"] * 1000.0                    # Hz per neuron: 20856

NETWORKS = {"cuba": CUBA, "coba": COBA, "brunel": BRUNEL, "hpc": HPC, "hpc_stdp": HPC}


def n_neurons(net):
    p = NETWORKS[net]
    return p["n_exc"] + p["n_inh"]


def duration_ms(net):
    return NETWORKS[net]["duration"]


def proc_start_time():
    """Wall-clock time (epoch s) at which this process started, from /proc."""
    import os
    import time
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 overall: starttime in clock ticks since boot
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        hz = os.sysconf("SC_CLK_TCK")
        return time.time() - uptime + start_ticks / hz
    except Exception:
        return None


def peak_rss_mb():
    """Peak RSS of this process and of its waited-for children (cpp_standalone binary)."""
    import resource
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


if __name__ == "__main__":
    import json
    print(json.dumps({k: v for k, v in NETWORKS.items() if k != "hpc_stdp"}, indent=1))


def pop_stats(ids, times_ms, n, duration_ms):
    """Spike count, mean rate [Hz] and mean CV of ISIs of one population.

    ids: 0-based neuron index within the population; times_ms: spike times.
    CV is averaged over neurons with at least 3 spikes (2 ISIs); NaN if none.
    """
    import numpy as np
    ids = np.asarray(ids, dtype=np.int64)
    t = np.asarray(times_ms, dtype=np.float64)
    count = int(ids.size)
    cv = float("nan")
    if count:
        order = np.lexsort((t, ids))
        ids, t = ids[order], t[order]
        isi = np.diff(t)
        same = ids[1:] == ids[:-1]
        nb = np.bincount(ids[1:][same], minlength=n).astype(float)       # ISIs per neuron
        s1 = np.bincount(ids[1:][same], weights=isi[same], minlength=n)
        s2 = np.bincount(ids[1:][same], weights=isi[same] ** 2, minlength=n)
        ok = nb >= 2
        if ok.any():
            mean = s1[ok] / nb[ok]
            var = np.maximum(s2[ok] / nb[ok] - mean ** 2, 0.0)
            good = mean > 0
            cv = float(np.mean(np.sqrt(var[good]) / mean[good])) if good.any() else cv
    return {"size": int(n), "spike_count": count,
            "mean_rate_hz": count / n / (duration_ms / 1000.0), "cv_isi": cv}


def current_rss_mb():
    """Resident set size of this process now (VmRSS), in MiB; None if unavailable."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def print_result(system, version, mode, net, args, duration, dt, timings, counts, stats, rss, **extra):
    """Print the one JSON line a bench script reports (the fields `run.py` reads).

    `timings` holds import_s, build_s, sim_s and total_s (and any others); `counts` is
    (spikes, neurons, synapses); `rss` the resident sizes at the three measuring points."""
    import json
    spikes, n, n_syn = counts
    out = {
        "system": system, "version": version, "mode": mode, "network": net,
        "threads": args.threads, "seed": args.seed, "duration_ms": duration, "dt_ms": dt,
        **timings,
        "spikes": spikes, "rate_hz": spikes / n / (duration / 1000.0),
        "neurons": n, "synapses": n_syn,
        "populations": stats,
        "peak_rss_mb": peak_rss_mb(),
        "rss_mb": dict(zip(("before_create", "after_connect", "after_simulate"), rss)),
        **extra,
    }
    print(json.dumps(out), flush=True)
