"""NIR interchange between snnTorch and Ganglion, both directions, on the same input spikes.

Forward: a small LIF network (4 inputs → 16 LIF → 3 LIF, reset to zero) is trained in
snnTorch on a toy task (which of three input channels fires fastest, Poisson input, 100 steps),
exported with ``snntorch.export_nir.export_to_nir``, imported with ``ganglion.nir.to_spec``
(dt = 0.1 ms, the time step snnTorch's export assumes) and run in Ganglion on the held-out
input spike trains; output (and hidden) spikes are compared step by step with snnTorch's.

Reverse: a Ganglion spec (the same layer sizes, random weights as edge lists, per-neuron
membrane time constants, built here) is run in Ganglion, exported with
``ganglion.nir.from_circuit``, imported with ``snntorch.import_nir.import_from_nir`` and run
in snnTorch on the same inputs.

Writes the fixture of the package's test (crates/ganglion-py/tests/data/nir/: the .nir graph,
the input spikes, snnTorch's spikes) and bench/nir/RESULTS.md.

    bench/nir/setup.sh && bench/nir/.venv/bin/python bench/nir/snntorch_roundtrip.py
"""

import json
import pathlib
import platform
import shutil
import sys
import tempfile
import time

import numpy as np
import torch
import snntorch as snn
import snntorch.utils
from snntorch.export_nir import export_to_nir
from snntorch.import_nir import import_from_nir

import nir
import ganglion
import ganglion.nir as gnir

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "crates" / "ganglion-py" / "tests" / "data" / "nir"
RESULTS = ROOT / "bench" / "nir" / "RESULTS.md"

N_IN, N_HID, N_OUT, T = 4, 16, 3, 100
SEED = 7
DT = "0.1 ms"  # snnTorch's export and import assume dt = 1e-4 s
N_TRAIN, N_TEST, EPOCHS = 128, 32, 40
N_FIXTURE = 8  # test samples copied into the fixture (the first ones, not chosen)


def make_data(n, rng):
    """Class c: channel c fires at 0.3 per step, the other channels at 0.1; channel 3 is noise."""
    y = rng.integers(0, N_OUT, n)
    p = np.full((n, N_IN), 0.1)
    p[np.arange(n), y] = 0.3
    x = (rng.random((n, T, N_IN)) < p[:, None, :]).astype(np.float32)
    return x, y


def build_net():
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    beta1 = 0.80 + 0.15 * torch.rand(N_HID, generator=g)  # per-neuron decay
    beta2 = torch.full((N_OUT,), 0.9)
    return torch.nn.Sequential(
        torch.nn.Linear(N_IN, N_HID),  # with bias: a NIR Affine
        # Per-neuron tensors: snnTorch 0.9.4's export needs beta and threshold of one shape.
        snn.Leaky(beta=beta1, threshold=torch.ones(N_HID), reset_mechanism="zero", init_hidden=True),
        torch.nn.Linear(N_HID, N_OUT, bias=False),  # a NIR Linear
        snn.Leaky(beta=beta2, threshold=torch.ones(N_OUT), reset_mechanism="zero", init_hidden=True, output=True),
    )


def run_snntorch(net, x):
    """x: (batch, T, N_IN) → hidden and output spikes, (batch, T, n) uint8."""
    snn.utils.reset(net)
    hid, out = [], []
    h = {}
    hook = net[1].register_forward_hook(lambda m, i, o: h.__setitem__("spk", o))
    with torch.no_grad():
        for t in range(x.shape[1]):
            spk, _mem = net(torch.as_tensor(x[:, t]))
            hid.append(h["spk"].clone())
            out.append(spk.clone())
    hook.remove()
    return (
        torch.stack(hid, 1).numpy().astype(np.uint8),
        torch.stack(out, 1).numpy().astype(np.uint8),
    )


def train(net, x, y):
    opt = torch.optim.Adam(net.parameters(), lr=2e-2)
    xs, ys = torch.as_tensor(x), torch.as_tensor(y)
    for epoch in range(EPOCHS):
        snn.utils.reset(net)
        counts = 0
        for t in range(T):
            spk, _ = net(xs[:, t])
            counts = counts + spk
        loss = torch.nn.functional.cross_entropy(counts / 5.0, ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return float(loss)


def accuracy(out, y):
    return float(np.mean(out.sum(1).argmax(1) == y))


def ganglion_forward(graph_path, x):
    """Import the graph once per sample (inputs differ) and run it; spikes by NIR node."""
    hid, out = [], []
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(x.shape[0]):
            d = pathlib.Path(tmp) / f"s{i}"
            net = gnir.to_spec(graph_path, d, dt=DT, inputs=x[i].astype(np.uint8))
            t0 = time.perf_counter()
            res = net.run()
            times.append(time.perf_counter() - t0)
            sp = gnir.output_spikes(res, d)
            info = gnir.import_info(d)
            hid_node = next(n for n, p in info["populations"].items() if p["type"] == "LIF" and p["size"] == N_HID)
            out_node = next(n for n, p in info["populations"].items() if p["type"] == "LIF" and p["size"] == N_OUT)
            hid.append(sp[hid_node])
            out.append(sp[out_node])
            if i == 0:
                mapping = info
    return np.stack(hid), np.stack(out), mapping, float(np.median(times))


def compare(a, b):
    """Agreement of two (batch, T, n) spike arrays."""
    same_sample = [bool(np.array_equal(a[i], b[i])) for i in range(a.shape[0])]
    return {
        "samples": a.shape[0],
        "identical_samples": int(sum(same_sample)),
        "spikes_a": int(a.sum()),
        "spikes_b": int(b.sum()),
        "mismatched_bins": int(np.sum(a != b)),
        "bins": int(a.size),
    }


def reverse(x, rng):
    """A Ganglion spec → NIR → snnTorch; returns the comparison on x."""
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="gnir-rev-"))
    try:
        w1 = rng.normal(0.35, 0.5, (N_HID, N_IN))
        w2 = rng.normal(0.25, 0.35, (N_OUT, N_HID))
        tau_h = rng.uniform(0.5, 2.0, N_HID)  # ms, at dt = 0.1 ms
        np.save(tmp / "tau_h.npy", tau_h)
        for name, w in (("w1", w1), ("w2", w2)):
            t_i, s_i = np.nonzero(w)
            np.save(tmp / f"{name}.npy", np.column_stack([s_i, t_i, w[t_i, s_i]]))

        def spec(sample):
            t_idx, n_idx = np.nonzero(x[sample])
            np.save(tmp / f"in{sample}.npy", np.column_stack([n_idx, t_idx * 0.1]).astype(float))
            lif = {"t_ref": "0 ms", "E_L": "0 mV", "V_reset": "0 mV", "V_th": "1 mV"}
            return {
                "simulation": {"dt": DT, "duration": f"{(T + 3) * 0.1} ms"},
                "population": [
                    {"name": "inp", "size": N_IN, "model": "iaf_psc_delta", "params": dict(lif)},
                    {"name": "hid", "size": N_HID, "model": "iaf_psc_delta",
                     "params": dict(lif, tau_m={"file": "tau_h.npy", "unit": "ms"})},
                    {"name": "out", "size": N_OUT, "model": "iaf_psc_delta", "params": dict(lif, tau_m="1 ms")},
                ],
                "projection": [
                    {"source": "inp", "target": "hid", "delay": "0.1 ms",
                     "connectivity": {"rule": "edge_list", "file": "w1.npy", "weight_unit": "mV"}},
                    {"source": "hid", "target": "out", "delay": "0.1 ms",
                     "connectivity": {"rule": "edge_list", "file": "w2.npy", "weight_unit": "mV"}},
                ],
                "input": [{"kind": "spike_times", "target": "inp", "file": f"in{sample}.npy",
                           "weight": "100 mV", "delay": "0.1 ms"}],
                "monitor": [{"kind": "spikes", "population": p} for p in ("hid", "out")],
            }

        g_out, g_hid = [], []
        for i in range(x.shape[0]):
            path = tmp / f"spec{i}.toml"
            path.write_text(gnir._toml(spec(i)))
            res = ganglion.load(path).run()
            for lst, pop, lat, n in ((g_hid, "hid", 2, N_HID), (g_out, "out", 3, N_OUT)):
                r = np.zeros((T, n), np.uint8)
                k = np.rint(res.spikes[pop].times_ms / 0.1).astype(int) - lat
                ok = (k >= 0) & (k < T)
                r[k[ok], res.spikes[pop].senders[ok]] = 1
                lst.append(r)
            if i == 0:
                graph = gnir.from_circuit(ganglion.load(path))
                gnir.write(graph, tmp / "ganglion.nir")
        graph = nir.read(tmp / "ganglion.nir")
        net = _import_without_type_check(graph)
        s_hid, s_out = [], []
        # nirtorch's GraphExecutor: one call per step, carrying the state.
        hid_name = "hid"
        for i in range(x.shape[0]):
            # The imported Leaky modules keep their membrane between calls when no state is
            # passed in (the executor's first step): clear it for every sample.
            for m in net.modules():
                if isinstance(m, snn.Leaky):
                    m.reset_mem()
            state = None
            outs, hids = [], []
            for t in range(T):
                o, state = net(torch.as_tensor(x[i, t][None, :].astype(np.float32)), state)
                outs.append(o[0].detach().numpy())
                hids.append(_spk_from_state(net, hid_name, state))
            s_out.append(np.array(outs, np.uint8))
            s_hid.append(np.array(hids, np.uint8))
        rasters = {"ganglion": (np.stack(g_hid), np.stack(g_out)), "snntorch": (np.stack(s_hid), np.stack(s_out))}
        return compare(np.stack(g_out), np.stack(s_out)), compare(np.stack(g_hid), np.stack(s_hid)), rasters
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _import_without_type_check(graph):
    """snntorch.import_nir.import_from_nir with nir's graph type check off: nirtorch 1.0
    rebuilds the graph with torch modules as nodes, which nir 1.0.8's type inference cannot
    read (AttributeError: 'Identity' object has no attribute 'input_type')."""
    init = nir.NIRGraph.__init__

    def no_check(self, nodes, edges, metadata=dict, type_check=True):
        init(self, nodes, edges, metadata, type_check=False)

    nir.NIRGraph.__init__ = no_check
    try:
        return import_from_nir(graph)
    finally:
        nir.NIRGraph.__init__ = init


def _spk_from_state(net, name, state):
    """The hidden layer's spikes of this step, from the executor's cached outputs."""
    cache = getattr(state, "cache", None) or {}
    v = cache.get(name)
    if v is None:
        return np.zeros(N_HID)
    v = v[0] if isinstance(v, tuple) else v
    return v[0].detach().numpy()


def main():
    rng = np.random.default_rng(SEED)
    x_train, y_train = make_data(N_TRAIN, rng)
    x_test, y_test = make_data(N_TEST, rng)
    net = build_net()
    t0 = time.perf_counter()
    loss = train(net, x_train, y_train)
    train_s = time.perf_counter() - t0
    hid_s, out_s = run_snntorch(net, x_test)
    acc = accuracy(out_s, y_test)
    print(f"trained: loss {loss:.3f}, test accuracy {acc:.2f} ({train_s:.1f} s)")

    # An unbatched sample: with (1, N_IN), nirtorch 1.0 writes an Input of shape [1, 4] that
    # nir 1.0.8's type check rejects against the Linear's [4].
    graph = export_to_nir(net, torch.zeros(N_IN))
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="gnir-"))
    graph_path = tmp / "snntorch_lif.nir"
    nir.write(graph_path, graph)
    hid_g, out_g, mapping, run_s = ganglion_forward(graph_path, x_test)
    fwd_out = compare(out_s, out_g)
    fwd_hid = compare(hid_s, hid_g)
    acc_g = accuracy(out_g, y_test)
    print("forward (snnTorch → NIR → Ganglion): output", fwd_out, "hidden", fwd_hid)

    rev_out, rev_hid, _ = reverse(x_test.astype(np.uint8), np.random.default_rng(SEED + 1))
    print("reverse (Ganglion → NIR → snnTorch): output", rev_out, "hidden", rev_hid)

    # Fixture for the package's test (runs without torch).
    FIXTURE.mkdir(parents=True, exist_ok=True)
    shutil.copy(graph_path, FIXTURE / "snntorch_lif.nir")
    np.save(FIXTURE / "inputs.npy", x_test[:N_FIXTURE].astype(np.uint8))
    np.save(FIXTURE / "snntorch_hidden.npy", hid_s[:N_FIXTURE])
    np.save(FIXTURE / "snntorch_output.npy", out_s[:N_FIXTURE])
    (FIXTURE / "README.md").write_text(
        "Written by bench/nir/snntorch_roundtrip.py (do not edit): `snntorch_lif.nir` is a\n"
        f"{N_IN}→{N_HID}→{N_OUT} LIF network trained in snnTorch {snn.__version__} and exported with\n"
        "`export_to_nir` (dt = 1e-4 s implied); `inputs.npy` (samples, steps, inputs) are the first\n"
        f"{N_FIXTURE} held-out input spike trains; `snntorch_hidden.npy` and `snntorch_output.npy`\n"
        "(samples, steps, neurons) are snnTorch's spikes on them.\n"
    )
    shutil.rmtree(tmp, ignore_errors=True)

    def row(name, c):
        return (
            f"| {name} | {c['samples']} | {c['identical_samples']}/{c['samples']} | "
            f"{c['spikes_a']} | {c['spikes_b']} | {c['mismatched_bins']} of {c['bins']} |"
        )

    pops = ", ".join(f"{n} → `{p['population']}` (latency {p['latency_steps']})" for n, p in mapping["populations"].items())
    text = f"""# NIR interchange: snnTorch ↔ Ganglion

Command: `bench/nir/setup.sh && bench/nir/.venv/bin/python bench/nir/snntorch_roundtrip.py`
Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}; torch {torch.__version__},
snnTorch {snn.__version__}, nir {nir.version}, ganglion {ganglion.__version__}.

Network: {N_IN} inputs → {N_HID} LIF (per-neuron β in [0.80, 0.95], Linear with bias = NIR Affine)
→ {N_OUT} LIF (β = 0.9, Linear without bias), threshold 1, `reset_mechanism="zero"`; {T} steps.
Task: which of channels 0–2 fires at 0.3/step (others 0.1); trained {EPOCHS} full-batch Adam steps
on {N_TRAIN} samples ({train_s:.1f} s), loss {loss:.3f}; held-out accuracy from output spike counts:
snnTorch {acc:.2f}, Ganglion (imported) {acc_g:.2f}.

Import: `ganglion.nir.to_spec(graph, dir, dt="{DT}", inputs=x)` (scheme "euler", reset "nir");
NIR nodes: {pops}. Ganglion spike at step t + latency is NIR/snnTorch step t.
Reverse: a Ganglion spec (same sizes, random edge-list weights, per-neuron tau_m in [0.5, 2] ms
at dt = 0.1 ms) → `ganglion.nir.from_circuit` → `snntorch.import_nir.import_from_nir`.
Median Ganglion run per sample: {run_s * 1e3:.1f} ms.

Agreement, step by step ("a" = first named, "b" = second; a bin is one neuron × one step):

| direction, layer | samples | identical samples | spikes a | spikes b | mismatched bins |
|---|---|---|---|---|---|
{row("snnTorch → Ganglion, output", fwd_out)}
{row("snnTorch → Ganglion, hidden", fwd_hid)}
{row("Ganglion → snnTorch, output", rev_out)}
{row("Ganglion → snnTorch, hidden", rev_hid)}

Tool notes: snnTorch 0.9.4's `export_to_nir` needs per-neuron `beta` and `threshold` tensors
of one shape, and an unbatched sample (with a (1, 4) sample nirtorch 1.0 writes an Input of
type [1, 4] that nir 1.0.8's type check rejects); its `import_from_nir` (nirtorch 1.0) needs
nir's type check off (nirtorch rebuilds the graph with torch modules as nodes), and the imported
`Leaky` modules keep their membrane between samples unless `reset_mem()` is called. snnTorch's
`Synaptic` with reset "zero" also zeroes the synaptic current, unlike NIR's CubaLIF, so this
bench uses `Leaky`; CubaLIF is checked against NIR's equations in `tests/test_nir.py`.

Integration scheme: NIR's LIF is continuous-time; snnTorch's export writes τ = dt/(1 − β),
R = τ/dt with dt = 1e-4 s, i.e. the forward-Euler step v ← (1 − dt/τ) v + (dt/τ) R I = β v + I.
The import (scheme "euler") gives Ganglion's exactly integrated `iaf_psc_delta` the decay
e^(−dt/tau_m) = 1 − dt/τ and weights R·w·dt/τ mV (= w), the Affine bias as I_e. What remains
is float32 rounding order (Ganglion sums excitatory and inhibitory input in two channels and
uses fused multiply-adds) and V ≥ V_th vs v > v_th, which can flip a spike when a membrane
lands within an ulp of threshold.
"""
    RESULTS.write_text(text)
    print(f"wrote {RESULTS} and {FIXTURE}")
    json.dump({"forward_output": fwd_out, "forward_hidden": fwd_hid, "reverse_output": rev_out,
               "reverse_hidden": rev_hid}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
