"""Run the reference PyNEST PD14 microcircuit (github.com/INM-6/microcircuit-PD14-model) with
NEST and write per-neuron statistics and timings as JSON.

The reference package is taken unchanged from the mirrored repository (git archive of
PyNEST/src/microcircuit into bench/pd14/ref/); only its dictionaries are overridden:
N_scaling = K_scaling = --scale, bg_input_type = "poisson" (the paper's background, as in
scripts/pd14_spec.py), local_num_threads, rng_seed, t_presim = 500 ms, t_sim = --sim-ms.

Usage: bench/.venv/bin/python bench/pd14/nest_pd14.py --scale 0.1 --threads 2 --seed 55 \
           --sim-ms 1000 --out bench/pd14/out/nest_s0.1_t2_seed55.json [--spikes-dir DIR]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MIRROR = "/work/.mirror/INM-6+microcircuit-PD14-model/repo"


def reference_package():
    ref = os.path.join(HERE, "ref")
    if not os.path.isdir(os.path.join(ref, "microcircuit")):
        os.makedirs(ref, exist_ok=True)
        tar = subprocess.run(
            ["git", "--git-dir", MIRROR, "archive", "HEAD", "PyNEST/src/microcircuit"],
            check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", ref, "--strip-components=2"], input=tar, check=True)
    sys.path.insert(0, ref)


def stats(times, senders, lo_id, n, t0, t1):
    """Per-neuron rates (Hz) over [t0, t1) and ISI CVs (neurons with >= 3 spikes in it)."""
    keep = (times >= t0) & (times < t1)
    times, senders = times[keep], senders[keep] - lo_id
    order = np.lexsort((times, senders))
    times, senders = times[order], senders[order]
    counts = np.bincount(senders, minlength=n)
    rates = counts / ((t1 - t0) / 1000.0)
    cvs = []
    starts = np.concatenate([[0], np.cumsum(counts)])
    for i in range(n):
        if counts[i] >= 3:
            isi = np.diff(times[starts[i]:starts[i + 1]])
            cvs.append(float(isi.std() / isi.mean()))
    return rates.tolist(), cvs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=55)
    ap.add_argument("--sim-ms", type=float, default=1000.0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--spikes-dir", default=None,
                    help="also write spikes_<pop>_{times,senders}.npy (ms, 0-based neuron index "
                         "within the population: the layout of a `ganglion run` folder)")
    a = ap.parse_args()
    reference_package()
    import nest  # noqa: E402
    from microcircuit import network  # noqa: E402
    from microcircuit.network_params import default_net_dict  # noqa: E402
    from microcircuit.sim_params import default_sim_dict  # noqa: E402
    from microcircuit.stimulus_params import default_stim_dict  # noqa: E402

    data = os.path.join(HERE, "out", f"nest_data_{os.getpid()}/")
    sim = dict(default_sim_dict, local_num_threads=a.threads, rng_seed=a.seed, data_path=data,
               t_presim=500.0, t_sim=a.sim_ms, print_time=False, store_metadata=False)
    net = dict(default_net_dict, N_scaling=a.scale, K_scaling=a.scale, bg_input_type="poisson")
    stim = dict(default_stim_dict)
    def cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    c0 = cpu()
    t = time.perf_counter()
    nw = network.Network(sim, net, stim)
    nw.create()
    nw.connect()  # includes nest.Prepare(): the full connection infrastructure
    t_build = time.perf_counter() - t
    c_build = cpu() - c0
    n_syn = nest.num_connections
    t = time.perf_counter()
    nw.simulate(sim["t_presim"])
    t_presim = time.perf_counter() - t
    c1 = cpu()
    t = time.perf_counter()
    nw.simulate(sim["t_sim"])
    t_sim = time.perf_counter() - t
    c_sim = cpu() - c1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    t1 = sim["t_presim"] + sim["t_sim"]
    pops = {}
    for i, name in enumerate(net["populations"]):
        pop = nw.pops[i]
        lo, n = pop[0].global_id, len(pop)
        times, senders = [], []
        for fn in os.listdir(data):
            if fn.startswith(f"spike_recorder-{nw.spike_recorders[i].global_id}-"):
                arr = np.loadtxt(os.path.join(data, fn), skiprows=3, ndmin=2)
                if arr.size:
                    senders.append(arr[:, 0].astype(int))
                    times.append(arr[:, 1])
        times = np.concatenate(times) if times else np.zeros(0)
        senders = np.concatenate(senders) if senders else np.zeros(0, int)
        if a.spikes_dir:
            os.makedirs(a.spikes_dir, exist_ok=True)
            np.save(os.path.join(a.spikes_dir, f"spikes_{name}_times.npy"), times.astype(np.float64))
            np.save(os.path.join(a.spikes_dir, f"spikes_{name}_senders.npy"),
                    (senders - lo).astype(np.uint32))
        rates, cvs = stats(times, senders, lo, n, 500.0, t1)
        pops[name] = {"n": n, "rates": rates, "cvs": cvs, "mean_rate": float(np.mean(rates))}
    out = {
        "simulator": f"NEST {nest.__version__}", "scale": a.scale, "threads": a.threads,
        "seed": a.seed, "t_presim_ms": 500.0, "t_sim_ms": a.sim_ms, "synapses": int(n_syn),
        "build_s": t_build, "presim_s": t_presim, "sim_s": t_sim,
        "rtf": t_sim / (a.sim_ms / 1000.0), "peak_rss_mb": peak_mb,
        # CPU seconds (user + system, all threads) of the build and of the analysed phase:
        # on a shared machine they measure the work, where wall times measure the load too.
        "build_cpu_s": c_build, "sim_cpu_s": c_sim, "populations": pops,
    }
    with open(a.out, "w") as f:
        json.dump(out, f)
    subprocess.run(["rm", "-rf", data])
    print(json.dumps({k: v for k, v in out.items() if k != "populations"}))
    print({k: round(v["mean_rate"], 3) for k, v in pops.items()})


if __name__ == "__main__":
    main()
