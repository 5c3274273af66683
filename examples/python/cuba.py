"""CUBA from Python: build the network as a dict, run it, plot the raster, loop over input rates.

Install the package first (from the repository root):

    python3 -m venv .venv-py && . .venv-py/bin/activate
    pip install ./crates/ganglion-py matplotlib      # matplotlib is optional
    python examples/python/cuba.py [--out cuba.png]

The network is Vogels & Abbott (2005) as in examples/cuba.toml (the same values, written as a
Python dict). The loop adds an external Poisson drive to every neuron and shows how the
population rate follows it; the sweep does the same over a grid (drive to each population
× seed), its points running in parallel. Each point builds its own network (changing values
of a built network in place is not in the engine yet).
"""

import argparse
import copy
import time

import numpy as np

import ganglion

LIF = {
    "C_m": "250 pF", "tau_m": "20 ms", "E_L": "-49 mV", "V_th": "-50 mV",
    "V_reset": "-60 mV", "t_ref": "5 ms", "tau_syn_ex": "5 ms", "tau_syn_in": "10 ms",
}
INIT = {"V_m": {"dist": "uniform", "low": "-60 mV", "high": "-50 mV"}}


def cuba(duration="1000 ms", seed=1):
    """The CUBA spec as a dict (the schema of the TOML files; units as strings)."""
    we, wi = "20.25 pA", "-112.5 pA"  # 1.62 mV and -9 mV jumps, as in Brian2's CUBA.py
    proj = [
        {"source": s, "target": t, "connectivity": {"rule": "fixed_probability", "p": 0.02},
         "weight": w, "delay": "0.1 ms"}
        for s, w in (("exc", we), ("inh", wi)) for t in ("exc", "inh")
    ]
    return {
        "simulation": {"dt": "0.1 ms", "duration": duration, "seed": seed, "threads": 1},
        "population": [
            {"name": "exc", "size": 3200, "model": "iaf_psc_exp", "sign": "excitatory",
             "params": LIF, "init": INIT},
            {"name": "inh", "size": 800, "model": "iaf_psc_exp", "sign": "inhibitory",
             "params": LIF, "init": INIT},
        ],
        "projection": proj,
        "monitor": [
            {"kind": "spikes", "population": "exc"},
            {"kind": "spikes", "population": "inh"},
            {"kind": "rate", "population": "exc", "bin": "5 ms"},
        ],
    }


def with_drive(spec, rate):
    """The spec with a Poisson drive of `rate` (e.g. "500 Hz") into both populations."""
    s = copy.deepcopy(spec)
    s["input"] = [
        {"kind": "poisson", "target": pop, "rate": rate, "weight": "20.25 pA"}
        for pop in ("exc", "inh")
    ]
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="cuba_python.png", help="raster figure (PNG)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    net = ganglion.Circuit.from_dict(cuba())
    print(ganglion.validate(net))
    t0 = time.perf_counter()
    res = net.run(threads=args.threads, seed=7)
    print(f"ran {res.duration_ms:.0f} ms in {time.perf_counter() - t0:.2f} s")
    for p in res.populations:
        print(f"  {p['name']:4s} {p['spike_count']:7d} spikes, {p['mean_rate_hz']:.2f} Hz, "
              f"CV ISI {p['cv_isi']:.2f}")

    exc = res.spikes["exc"]
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no raster figure")
    else:
        fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(8, 5),
                                       gridspec_kw={"height_ratios": [3, 1]})
        shown = exc.senders < 500
        ax1.plot(exc.times_ms[shown], exc.senders[shown], ",k")
        ax1.set_ylabel("exc neuron")
        rate = res.rates["exc"]
        ax2.plot(np.arange(len(rate.rates_hz)) * rate.bin_ms, rate.rates_hz)
        ax2.set_xlabel("time [ms]")
        ax2.set_ylabel("rate [Hz]")
        fig.suptitle("CUBA from Python (first 500 excitatory neurons)")
        fig.savefig(args.out, dpi=120)
        print(f"raster → {args.out}")

    # A loop over input rates: a circuit per rate, each run on its own.
    print("external drive → excitatory rate (300 ms runs):")
    base = cuba(duration="300 ms")
    for rate in ("0 Hz", "250 Hz", "500 Hz", "1000 Hz"):
        spec = base if rate == "0 Hz" else with_drive(base, rate)
        r = ganglion.Circuit.from_dict(spec).run(threads=args.threads, seed=7)
        pop = {p["name"]: p for p in r.populations}["exc"]
        print(f"  {rate:>8s}: {pop['mean_rate_hz']:6.2f} Hz")

    # The same as a sweep: a grid over both inputs' rates and the seed, points in parallel.
    driven = ganglion.Circuit.from_dict(with_drive(base, "250 Hz"))
    rates = ["250 Hz", "500 Hz", "1000 Hz"]
    sw = driven.sweep({"input.0.rate": rates, "input.1.rate": rates, "simulation.seed": [7, 8]})
    mean = sw.statistic("exc.rate_hz").mean(axis=2)  # over seeds
    print(f"sweep of {len(sw)} points: excitatory rate [Hz], rows exc drive, columns inh drive")
    print("          " + "".join(f"{r:>10s}" for r in rates))
    for r, row in zip(rates, mean):
        print(f"{r:>10s}" + "".join(f"{v:10.2f}" for v in row))


if __name__ == "__main__":
    main()
