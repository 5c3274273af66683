#!/usr/bin/env python3
"""The astrocytes-alone run with *identical* spike trains in both systems: 50 astrocytes
(delta_IP3 = 0.2 µM), each fed one 10 Hz Poisson train drawn here (numpy, per-step counts at
dt 0.1 ms), NEST through spike_generators, Ganglion through a spike_times .npy input; prints
the largest relative difference of Ca at 9 s. Needs target/release/ganglion; writes /tmp/pc.

    bench/.venv/bin/python bench/astrocytes/same_trains_check.py
"""
import numpy as np, nest, json, subprocess, os
nest.set_verbosity("M_ERROR")
rng = np.random.default_rng(5)
n = 50
trains = []
for i in range(n):
    c = rng.poisson(0.001, 100000)
    t = np.nonzero(c)[0]
    trains.append(np.round((t + 1) * 0.1, 1))
nest.ResetKernel(); nest.resolution = 0.1
a = nest.Create("astrocyte_lr_1994", n, params={"delta_IP3": 0.2})
for i in range(n):
    sg = nest.Create("spike_generator", params={"spike_times": list(trains[i])})
    nest.Connect(sg, a[i], syn_spec={"weight": 1.0, "delay": 1.0})
mm = nest.Create("multimeter", params={"record_from": ["Ca_astro"], "interval": 1000.0})
nest.Connect(mm, a)
nest.Simulate(10000.0)
e = mm.events
ca_nest = np.array([e["Ca_astro"][(e["senders"] == a[i].global_id) & (e["times"] == 9000.0)][0] for i in range(n)])
# ganglion: spike_times file N×2 (neuron, time)
d = "/tmp/pc"; os.makedirs(d, exist_ok=True)
rows = np.array([(i, t) for i in range(n) for t in trains[i]], dtype=np.float64)
np.save(f"{d}/spikes.npy", rows)
open(f"{d}/spec.toml", "w").write(f'''
[simulation]
dt = "0.1 ms"
duration = "10000 ms"
[[population]]
name = "astro"
size = {n}
model = "astrocyte_lr_1994"
params = {{ delta_IP3 = 0.2 }}
[[input]]
kind = "spike_times"
target = "astro"
file = "spikes.npy"
weight = 1.0
delay = "1 ms"
[[monitor]]
kind = "state"
population = "astro"
variables = ["Ca_astro"]
count = {n}
every = "1000 ms"
''')
r = subprocess.run(["/work/main/target/release/ganglion", "run", f"{d}/spec.toml", "--out", f"{d}/out", "--force", "--no-plots", "--json"], capture_output=True, text=True)
print(r.stderr[-800:])
ca_g = np.load(f"{d}/out/state_astro_Ca_astro.npy")[8]
print("max rel diff", np.max(np.abs(ca_g - ca_nest) / ca_nest), "means", ca_nest.mean(), ca_g.mean())
