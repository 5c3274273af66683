#!/usr/bin/env python3
"""Summarise bench/hpc/runs.jsonl into bench/hpc/results.json (medians per configuration, the
per-synapse-event and per-neuron-update costs) and print the Markdown table.

    python3 bench/hpc/report.py bench/hpc/runs.jsonl > /tmp/table.md

Costs (for the cost model): a run's simulation time is split as
  sim_s = c_neuron · neuron_updates + c_event · synaptic_events,
with c_neuron measured by the neurons-only runs (--no-synapses: neurons and their Poisson
drive, no recurrent synapses) at the same scale, and c_event = (sim_s − c_neuron ·
neuron_updates) / synaptic_events; synaptic_events = spikes × 11 250 (the mean out-degree).
"""

import json
import statistics
import sys
from collections import defaultdict


def main():
    path = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else path.replace("runs.jsonl", "results.json")
    runs = [json.loads(ln) for ln in open(path) if ln.strip()]
    groups = defaultdict(list)
    for r in runs:
        groups[(r["simulator"] + (f" ({r['label']})" if r.get("label") else ""), r["scale"], r["plastic"], r.get("no_synapses", False), r["threads"])].append(r)
    neuron_cost = {}
    for (sim, scale, plastic, nosyn, th), rs in groups.items():
        if sim.startswith("ganglion") and nosyn:
            neuron_cost[(scale, th)] = statistics.median(r["sim_s"] / r["neuron_updates"] for r in rs)
    rows = []
    for (sim, scale, plastic, nosyn, th), rs in sorted(groups.items(), key=lambda kv: (kv[0][3], kv[0][1], kv[0][2], kv[0][0])):
        med = lambda k: statistics.median(r[k] for r in rs)  # noqa: E731
        row = dict(simulator=sim, version=rs[0]["version"], scale=scale, plastic=plastic, neurons_only=nosyn,
                   threads=th, runs=len(rs), neurons=rs[0]["neurons"], synapses=rs[0]["synapses"],
                   build_s=med("build_s"), sim_s=med("sim_s"), rtf=med("rtf"),
                   peak_rss_bytes=med("peak_rss_bytes"),
                   bytes_per_synapse=(med("peak_rss_bytes") / rs[0]["synapses"]) if rs[0]["synapses"] else None,
                   rate_hz=med("rate_hz"), spikes=med("spikes"), neuron_updates=rs[0]["neuron_updates"],
                   synaptic_events=med("synaptic_events"), duration_ms=rs[0]["duration_ms"],
                   sim_s_per_synaptic_event_upper=(med("sim_s") / med("synaptic_events")) if med("synaptic_events") else None,
                   sim_s_per_neuron_update_upper=med("sim_s") / rs[0]["neuron_updates"])
        if "synapse_bytes" in rs[0]:
            row["synapse_bytes"] = rs[0]["synapse_bytes"]
        c = neuron_cost.get((scale, th))
        if sim.startswith("ganglion") and c is not None:
            row["neuron_update_s"] = c
            if not nosyn and row["synaptic_events"]:
                row["synaptic_event_s"] = (row["sim_s"] - c * row["neuron_updates"]) / row["synaptic_events"]
        rows.append(row)
    json.dump({"source": path, "configurations": rows}, open(out, "w"), indent=1)
    print("| scale | neurons | synapses | plasticity | simulator | runs | build s | sim s | RTF | peak RSS | B/synapse | rate Hz |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if r["neurons_only"]:
            continue
        print(f"| {r['scale']:g} | {r['neurons']:,} | {r['synapses'] / 1e9:.3f} G | {'E→E STDP' if r['plastic'] else 'static'} | "
              f"{r['simulator']} | {r['runs']} | {r['build_s']:.1f} | {r['sim_s']:.1f} | {r['rtf']:.0f} | "
              f"{r['peak_rss_bytes'] / 2**30:.2f} GiB | {r['bytes_per_synapse']:.2f} | {r['rate_hz']:.2f} |")
    print()
    print("| scale | plasticity | neuron update (neurons-only run) ns | synaptic event ns |")
    print("|---|---|---|---|")
    for r in rows:
        if r.get("synaptic_event_s") is not None:
            print(f"| {r['scale']:g} | {'E→E STDP' if r['plastic'] else 'static'} | {r['neuron_update_s'] * 1e9:.1f} | "
                  f"{r['synaptic_event_s'] * 1e9:.2f} |")


if __name__ == "__main__":
    main()
