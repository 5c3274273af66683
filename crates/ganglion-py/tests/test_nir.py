"""ganglion.nir: NIR graphs imported into Ganglion specs and exported back.

Checked against (a) snnTorch's spikes for a network it trained and exported (the fixture in
data/nir/, written by bench/nir/snntorch_roundtrip.py), (b) NIR's equations stepped in numpy
(forward Euler, and the exact solution for scheme="exact"), (c) spec → NIR → spec keeping
weights and parameters, and (d) bad input: unknown node types, wrong shapes, nothing left
half-written.
"""

import pathlib
import subprocess
import sys

import numpy as np
import pytest

nir = pytest.importorskip("nir")
h5py = pytest.importorskip("h5py")

import ganglion  # noqa: E402
import ganglion.nir as gnir  # noqa: E402

DATA = pathlib.Path(__file__).parent / "data" / "nir"


def _input(n):
    return nir.Input(input_type={"input": np.array([n])})


def _output(n):
    return nir.Output(output_type={"output": np.array([n])})


def _lif(tau, r, v_leak, v_th, v_reset):
    return nir.LIF(tau=tau, r=r, v_leak=v_leak, v_threshold=v_th, v_reset=v_reset)


def _run(graph, tmp_path, x, name="net", **kw):
    d = tmp_path / name
    net = gnir.to_spec(graph, d, inputs=x, **kw)
    return gnir.output_spikes(net.run(), d), d


# ---------------------------------------------------------------------------------------
# snnTorch fixture


def test_snntorch_trained_network_gives_snntorchs_spikes(tmp_path):
    x = np.load(DATA / "inputs.npy")
    want_out = np.load(DATA / "snntorch_output.npy")
    want_hid = np.load(DATA / "snntorch_hidden.npy")
    graph = gnir.read(DATA / "snntorch_lif.nir")
    assert {type(n).__name__ for n in graph.nodes.values()} == {"Input", "Affine", "LIF", "Linear", "Output"}
    assert want_out.sum() > 50 and want_hid.sum() > 500  # the comparison has spikes to compare
    for i in range(x.shape[0]):
        spikes, d = _run(graph, tmp_path, x[i], name=f"s{i}", dt="0.1 ms")
        np.testing.assert_array_equal(spikes["input"], x[i])
        np.testing.assert_array_equal(spikes["1"], want_hid[i], err_msg=f"sample {i}, hidden")
        np.testing.assert_array_equal(spikes["3"], want_out[i], err_msg=f"sample {i}, output")
    info = gnir.import_info(d)
    assert {n: p["latency_steps"] for n, p in info["populations"].items()} == {"input": 1, "1": 2, "3": 3}
    assert info["outputs"] == ["3"]


def test_snntorch_graph_runs_from_the_command_line_spec(tmp_path, ganglion_bin):
    """The imported folder is an ordinary spec: `ganglion run` gives snnTorch's spikes too."""
    x = np.load(DATA / "inputs.npy")[0]
    want = np.load(DATA / "snntorch_output.npy")[0]
    d = tmp_path / "cli"
    gnir.to_spec(DATA / "snntorch_lif.nir", d, dt="0.1 ms", inputs=x)
    out = tmp_path / "run"
    subprocess.run([str(ganglion_bin), "run", str(d / "spec.toml"), "--out", str(out), "--no-plots"],
                   check=True, capture_output=True)
    times = np.load(out / "spikes_3_times.npy")
    senders = np.load(out / "spikes_3_senders.npy")
    latency = gnir.import_info(d)["populations"]["3"]["latency_steps"]
    got = np.zeros_like(want)
    got[np.rint(times / 0.1).astype(int) - latency, senders] = 1
    np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------------------------
# NIR equations stepped in numpy


def _two_layer(rng, n_in=5, n_h=8, n_out=3, dt=1e-3):
    w1 = rng.normal(0.4, 0.5, (n_h, n_in))
    b1 = rng.normal(0.2, 0.2, n_h)
    w2 = rng.normal(0.5, 0.6, (n_out, n_h))
    tau1 = rng.uniform(5e-3, 20e-3, n_h)
    tau2 = np.full(n_out, 10e-3)
    r1 = rng.uniform(0.5, 2.0, n_h) * tau1 / dt
    r2 = tau2 / dt
    graph = nir.NIRGraph(
        nodes={
            "in": _input(n_in),
            "fc1": nir.Affine(weight=w1, bias=b1),
            "lif1": _lif(tau1, r1, np.zeros(n_h), np.ones(n_h), np.zeros(n_h)),
            "fc2": nir.Linear(weight=w2),
            "lif2": _lif(tau2, r2, np.full(n_out, 0.1), np.ones(n_out), np.full(n_out, -0.2)),
            "out": _output(n_out),
        },
        edges=[("in", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "out")],
    )
    return graph


def _step_lif(v, node, current, dt, scheme):
    if scheme == "euler":
        v = v + dt / node.tau * (node.v_leak - v + node.r * current)
    else:
        a = np.exp(-dt / node.tau)
        v = node.v_leak + (v - node.v_leak) * a + node.r * current * (1 - a)
    z = v > node.v_threshold
    return np.where(z, node.v_reset, v), z


def _reference(graph, x, dt, scheme="euler"):
    """Two LIF layers in NIR's order: each layer sees the layer before in the same step."""
    n = graph.nodes
    v1 = np.zeros(n["lif1"].tau.shape)
    v2 = n["lif2"].v_leak.copy()
    s1, s2 = [], []
    for t in range(x.shape[0]):
        v1, z1 = _step_lif(v1, n["lif1"], n["fc1"].weight @ x[t] + n["fc1"].bias, dt, scheme)
        v2, z2 = _step_lif(v2, n["lif2"], n["fc2"].weight @ z1, dt, scheme)
        s1.append(z1)
        s2.append(z2)
    return np.array(s1, np.uint8), np.array(s2, np.uint8)


@pytest.mark.parametrize("scheme", ["euler", "exact"])
def test_lif_affine_network_matches_nir_equations(tmp_path, scheme):
    rng = np.random.default_rng(1)
    graph = _two_layer(rng)
    x = (rng.random((300, 5)) < 0.2).astype(np.uint8)
    want1, want2 = _reference(graph, x, 1e-3, scheme)
    assert want1.sum() > 100 and want2.sum() > 50
    spikes, _ = _run(graph, tmp_path, x, dt="1 ms", scheme=scheme)
    np.testing.assert_array_equal(spikes["in"], x)
    np.testing.assert_array_equal(spikes["lif1"], want1)
    np.testing.assert_array_equal(spikes["lif2"], want2)


def test_bias_starts_at_the_populations_first_step(tmp_path):
    """An Affine bias alone drives lif1: the first spike comes at the NIR step the equations
    give, not earlier (the population would otherwise integrate the bias during its latency)."""
    dt, tau = 1e-3, 10e-3
    graph = nir.NIRGraph(
        nodes={
            "in": _input(1),
            "fc": nir.Affine(weight=np.zeros((1, 1)), bias=np.array([0.3])),
            "lif": _lif(np.array([tau]), np.array([tau / dt]), np.zeros(1), np.ones(1), np.zeros(1)),
            "out": _output(1),
        },
        edges=[("in", "fc"), ("fc", "lif"), ("lif", "out")],
    )
    # v_k = 0.3·(1 − 0.9^k)/0.1 > 1 first at k = 4 (v_4 = 1.0317), i.e. NIR step 3.
    spikes, _ = _run(graph, tmp_path, np.zeros((20, 1), np.uint8), dt="1 ms")
    assert np.flatnonzero(spikes["lif"][:, 0])[0] == 3


def test_cubalif_matches_nir_equations(tmp_path):
    rng = np.random.default_rng(2)
    n_in, n_h, n_out, dt, steps = 4, 6, 2, 1e-3, 300
    w1 = rng.normal(0.3, 0.4, (n_h, n_in))
    w2 = rng.normal(0.4, 0.4, (n_out, n_h))
    ts = rng.uniform(3e-3, 8e-3, n_h)
    tm = rng.uniform(8e-3, 20e-3, n_h)
    r = rng.uniform(0.5, 1.5, n_h) * tm / dt
    w_in = rng.uniform(0.5, 1.5, n_h) * ts / dt
    tau2 = np.full(n_out, 5e-3)
    graph = nir.NIRGraph(
        nodes={
            "in": _input(n_in),
            "fc1": nir.Linear(weight=w1),
            "cuba": nir.CubaLIF(tau_syn=ts, tau_mem=tm, r=r, v_leak=np.zeros(n_h),
                                v_threshold=np.ones(n_h), v_reset=np.zeros(n_h), w_in=w_in),
            "fc2": nir.Linear(weight=w2),
            "lif": _lif(tau2, tau2 / dt, np.zeros(n_out), np.ones(n_out), np.zeros(n_out)),
            "out": _output(n_out),
        },
        edges=[("in", "fc1"), ("fc1", "cuba"), ("cuba", "fc2"), ("fc2", "lif"), ("lif", "out")],
    )
    x = (rng.random((steps, n_in)) < 0.3).astype(np.uint8)
    cur, v, v2 = np.zeros(n_h), np.zeros(n_h), np.zeros(n_out)
    s1, s2 = [], []
    for t in range(steps):  # snnTorch's order: the current first, then v with the new current
        cur = cur + dt / ts * (-cur + w_in * (w1 @ x[t]))
        v = v + dt / tm * (-v + r * cur)
        z = v > 1
        v = np.where(z, 0, v)
        v2 = v2 + dt / tau2 * (-v2 + tau2 / dt * (w2 @ z))
        z2 = v2 > 1
        v2 = np.where(z2, 0, v2)
        s1.append(z)
        s2.append(z2)
    spikes, d = _run(graph, tmp_path, x, dt="1 ms")
    assert sum(map(np.sum, s1)) > 100
    np.testing.assert_array_equal(spikes["cuba"], np.array(s1, np.uint8))
    np.testing.assert_array_equal(spikes["lif"], np.array(s2, np.uint8))
    assert gnir.import_info(d)["populations"]["cuba"]["latency_steps"] == 3  # one step for NEST's order


def test_if_delay_scale_and_recurrence(tmp_path):
    """IF neurons (no leak), a Scale, a per-target Delay of 2 steps and a recurrent
    connection inside a nested graph (snnTorch's RLeaky/RSynaptic layout), stepped in numpy
    with the one-step recurrence discrete simulators use."""
    rng = np.random.default_rng(5)
    n_in, n_h, dt, steps = 3, 4, 1e-3, 200
    w = rng.uniform(0.2, 0.9, (n_h, n_in))
    s = rng.uniform(0.5, 1.5, n_h)
    w_rec = rng.normal(0.0, 0.3, (n_h, n_h))
    r_if = np.full(n_h, 1.0 / dt)  # r·dt = 1
    tau = np.full(n_h, 8e-3)
    inner = nir.NIRGraph(
        nodes={
            "input": _input(n_h),
            "lif": _lif(tau, tau / dt, np.zeros(n_h), np.ones(n_h), np.zeros(n_h)),
            "w_rec": nir.Linear(weight=w_rec),
            "output": _output(n_h),
        },
        edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
        type_check=False,
    )
    graph = nir.NIRGraph(
        nodes={
            "in": _input(n_in),
            "fc": nir.Linear(weight=w),
            "scale": nir.Scale(scale=s),
            "if": nir.IF(r=r_if, v_threshold=np.full(n_h, 1.5), v_reset=np.zeros(n_h)),
            "fc2": nir.Linear(weight=np.eye(n_h) * 0.8),
            "delay": nir.Delay(delay=np.full(n_h, 2 * dt)),
            "rec": inner,
            "out": _output(n_h),
        },
        edges=[("in", "fc"), ("fc", "scale"), ("scale", "if"), ("if", "fc2"), ("fc2", "delay"),
               ("delay", "rec"), ("rec", "out")],
        type_check=False,
    )
    x = (rng.random((steps, n_in)) < 0.3).astype(np.uint8)
    v_if = np.zeros(n_h)
    v = np.zeros(n_h)
    z_prev = np.zeros(n_h)
    hist = [np.zeros(n_h)] * 2
    s_if, s_lif = [], []
    for t in range(steps):
        v_if = v_if + r_if * dt * (s * (w @ x[t]))
        z_if = v_if > 1.5
        v_if = np.where(z_if, 0, v_if)
        delayed = hist[-2]
        hist.append(0.8 * z_if)
        cur = delayed + w_rec @ z_prev
        v = v + dt / tau * (-v + tau / dt * cur)
        z = v > 1
        v = np.where(z, 0, v)
        z_prev = z
        s_if.append(z_if)
        s_lif.append(z)
    spikes, d = _run(graph, tmp_path, x, dt="1 ms")
    assert sum(map(np.sum, s_lif)) > 20
    np.testing.assert_array_equal(spikes["if"], np.array(s_if, np.uint8))
    np.testing.assert_array_equal(spikes["rec.lif"], np.array(s_lif, np.uint8))
    edges = np.load(d / "edges.if-rec.lif.npy")
    assert np.allclose(edges[:, 3], 3.0)  # the hop (1 step) + the NIR Delay (2 steps)


def test_hold_reset_loses_the_step_after_a_spike(tmp_path):
    """reset="hold" (t_ref = dt): after a spike v stays at v_reset for one step and that
    step's input is lost; the default reset integrates it."""
    rng = np.random.default_rng(6)
    graph = _two_layer(rng)
    x = (rng.random((200, 5)) < 0.3).astype(np.uint8)
    n = graph.nodes
    dt = 1e-3
    v1 = np.zeros(8)
    held = np.zeros(8, bool)
    want = []
    for t in range(200):
        v_new, z = _step_lif(v1, n["lif1"], n["fc1"].weight @ x[t] + n["fc1"].bias, dt, "euler")
        v1 = np.where(held, v1, v_new)
        z = z & ~held
        held = z
        want.append(z)
    want = np.array(want, np.uint8)
    spikes, _ = _run(graph, tmp_path, x, dt="1 ms", reset="hold")
    np.testing.assert_array_equal(spikes["lif1"], want)
    plain, _ = _run(graph, tmp_path, x, name="plain", dt="1 ms")
    assert plain["lif1"].sum() > want.sum()  # the hold loses spikes the default reset keeps


def test_scalar_neuron_parameters_take_the_size_of_their_input(tmp_path):
    """snnTorch exports a layer with scalar beta and threshold as 0-d arrays."""
    w = np.random.default_rng(7).uniform(0, 1, (16, 4))
    graph = nir.NIRGraph(
        nodes={"in": _input(4), "fc": nir.Linear(weight=w),
               "lif": _lif(np.array(1e-3), np.array(10.0), np.array(0.0), np.array(1.0), np.array(0.0)),
               "out": _output(16)},
        edges=[("in", "fc"), ("fc", "lif"), ("lif", "out")],
        type_check=False,
    )
    x = np.ones((5, 4), np.uint8)
    spikes, d = _run(graph, tmp_path, x, dt="0.1 ms")
    assert gnir.import_info(d)["populations"]["lif"]["size"] == 16
    np.testing.assert_array_equal(spikes["lif"][0], (w.sum(1) > 1).astype(np.uint8))


# ---------------------------------------------------------------------------------------
# spec → NIR → spec


def test_round_trip_keeps_weights_parameters_and_spikes(tmp_path):
    rng = np.random.default_rng(3)
    graph = _two_layer(rng)
    x = (rng.random((150, 5)) < 0.2).astype(np.uint8)
    first = gnir.to_spec(graph, tmp_path / "a", dt="1 ms", inputs=x)
    exported = gnir.from_circuit(first)
    assert float(exported.metadata["dt"]) == pytest.approx(1e-3, rel=1e-15)
    gnir.write(exported, tmp_path / "a.nir")
    again = gnir.read(tmp_path / "a.nir")
    second = gnir.to_spec(again, tmp_path / "b", inputs=x)  # dt from the graph's metadata
    for f in ("edges.in-lif1.npy", "edges.lif1-lif2.npy"):
        a, b = np.load(tmp_path / "a" / f), np.load(tmp_path / "b" / f)
        np.testing.assert_array_equal(a, b)  # source, target, weight, delay: bit for bit
    for f in ("lif1.tau_m.npy", "lif1.bias.npy"):
        np.testing.assert_allclose(np.load(tmp_path / "b" / f), np.load(tmp_path / "a" / f), rtol=1e-12)
    pa = {p["name"]: p["params"] for p in first.to_dict()["population"]}
    pb = {p["name"]: p["params"] for p in second.to_dict()["population"]}
    for k in ("E_L", "V_th", "V_reset", "t_ref"):
        assert pa["lif2"][k] == pb["lif2"][k]
    tau_a = float(pa["lif2"]["tau_m"].split()[0])
    tau_b = float(pb["lif2"]["tau_m"].split()[0])
    assert tau_b == pytest.approx(tau_a, rel=1e-12)
    sa = gnir.output_spikes(first.run(), tmp_path / "a")
    sb = gnir.output_spikes(second.run(), tmp_path / "b")
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k])


def test_cubalif_round_trip(tmp_path):
    rng = np.random.default_rng(8)
    n_h = 5
    ts = rng.uniform(3e-3, 8e-3, n_h)
    tm = rng.uniform(8e-3, 20e-3, n_h)
    graph = nir.NIRGraph(
        nodes={"in": _input(3), "fc": nir.Linear(weight=rng.normal(0.5, 0.5, (n_h, 3))),
               "cuba": nir.CubaLIF(tau_syn=ts, tau_mem=tm, r=tm / 1e-3, v_leak=np.zeros(n_h),
                                   v_threshold=np.ones(n_h), v_reset=np.zeros(n_h), w_in=ts / 1e-3),
               "out": _output(n_h)},
        edges=[("in", "fc"), ("fc", "cuba"), ("cuba", "out")],
    )
    first = gnir.to_spec(graph, tmp_path / "a", dt="1 ms")
    second = gnir.to_spec(gnir.from_circuit(first), tmp_path / "b")
    pb = {p["name"]: p for p in second.to_dict()["population"]}
    assert pb["cuba"]["model"] == "iaf_psc_exp"
    a, b = np.load(tmp_path / "a" / "edges.in-cuba.npy"), np.load(tmp_path / "b" / "edges.in-cuba.npy")
    np.testing.assert_array_equal(a[:, [0, 1, 3]], b[:, [0, 1, 3]])
    np.testing.assert_allclose(b[:, 2], a[:, 2], rtol=1e-12)  # pA; the gain goes through τ ↔ β
    for f in ("cuba.tau_m.npy", "cuba.tau_syn_ex.npy"):
        np.testing.assert_allclose(np.load(tmp_path / "b" / f), np.load(tmp_path / "a" / f), rtol=1e-12)


def test_export_of_a_hand_written_spec(tmp_path):
    """A spec written for Ganglion (all_to_all weights, a 3-step delay, I_e) exports to the
    NIR nodes the mapping says, with the expected numbers."""
    spec = {
        "simulation": {"dt": "0.5 ms", "duration": "20 ms"},
        "population": [
            {"name": "src", "size": 2, "model": "iaf_psc_delta", "params": {"t_ref": "0 ms"}},
            {"name": "dst", "size": 3, "model": "iaf_psc_delta",
             "params": {"t_ref": "0 ms", "tau_m": "20 ms", "E_L": "-65 mV", "V_th": "-50 mV",
                        "V_reset": "-70 mV", "I_e": "100 pA", "C_m": "200 pF"}},
        ],
        "projection": [{"source": "src", "target": "dst", "connectivity": {"rule": "all_to_all"},
                        "weight": "2 mV", "delay": "1.5 ms"}],
        "input": [{"kind": "spike_times", "target": "src", "neurons": [0], "times": ["1 ms"],
                   "weight": "100 mV"}],
    }
    g = gnir.from_circuit(spec)
    kinds = {k: type(v).__name__ for k, v in g.nodes.items()}
    assert kinds["src"] == "Input" and kinds["dst"] == "LIF" and kinds["output_dst"] == "Output"
    lif = g.nodes["dst"]
    dt = 0.5e-3
    a = np.exp(-0.5 / 20)
    np.testing.assert_allclose(lif.tau, dt / (1 - a), rtol=1e-14)
    np.testing.assert_allclose(lif.r, lif.tau / dt, rtol=1e-14)
    np.testing.assert_array_equal(lif.v_leak, -65.0)
    np.testing.assert_array_equal(lif.v_threshold, -50.0)
    np.testing.assert_array_equal(lif.v_reset, -70.0)
    aff = next(v for v in g.nodes.values() if type(v).__name__ == "Affine")
    np.testing.assert_array_equal(aff.weight, np.full((3, 2), 2.0))
    # I_e·τ_m/C_m·(1 − a) mV per step = bias·R·dt/τ = bias (R = τ/dt).
    np.testing.assert_allclose(aff.bias, 100 * 20 / 200 * (1 - a), rtol=1e-12)
    delay = next(v for v in g.nodes.values() if type(v).__name__ == "Delay")
    np.testing.assert_allclose(delay.delay, 2 * dt)  # 3 steps: 1 for the hop, 2 of NIR delay


# ---------------------------------------------------------------------------------------
# bad input


def test_unknown_node_type_names_node_type_and_supported(tmp_path):
    graph = nir.NIRGraph(
        nodes={"in": _input(4), "pool": nir.SumPool2d(kernel_size=np.array([2, 2]),
                                                       stride=np.array([2, 2]),
                                                       padding=np.array([0, 0])),
               "out": _output(4)},
        edges=[("in", "pool"), ("pool", "out")],
        type_check=False,
    )
    with pytest.raises(gnir.NIRError) as e:
        gnir.to_spec(graph, tmp_path / "x")
    msg = str(e.value)
    assert "'pool'" in msg and "SumPool2d" in msg and "LIF, IF, CubaLIF" in msg
    assert not (tmp_path / "x").exists()


def test_unknown_node_type_in_a_file_is_named(tmp_path):
    """A file from a newer NIR (a type the installed nir package lacks) is reported by name,
    not by nir's bare AssertionError."""
    rng = np.random.default_rng(0)
    path = tmp_path / "g.nir"
    nir.write(path, _two_layer(rng))
    with h5py.File(path, "r+") as f:
        del f["node/nodes/lif2/type"]
        f["node/nodes/lif2/type"] = np.bytes_("AdaptiveLIF")
    with pytest.raises(gnir.NIRError) as e:
        gnir.read(path)
    assert "'lif2'" in str(e.value) and "AdaptiveLIF" in str(e.value) and "supported types" in str(e.value)


def test_conv_is_refused_with_a_hint(tmp_path):
    conv = nir.Conv1d(input_shape=8, weight=np.ones((2, 1, 3)), stride=1, padding=0, dilation=1,
                      groups=1, bias=np.zeros(2))
    graph = nir.NIRGraph(nodes={"in": _input(8), "conv": conv, "out": _output(12)},
                         edges=[("in", "conv"), ("conv", "out")], type_check=False)
    with pytest.raises(gnir.NIRError, match=r"'conv' has type Conv1d.*unroll the convolution"):
        gnir.to_spec(graph, tmp_path / "x")


def test_wrong_shapes_are_named_and_nothing_is_written(tmp_path):
    graph = nir.NIRGraph(
        nodes={"in": _input(3), "fc": nir.Linear(weight=np.ones((4, 5))),
               "lif": _lif(np.full(4, 0.01), np.full(4, 10.0), np.zeros(4), np.ones(4), np.zeros(4)),
               "out": _output(4)},
        edges=[("in", "fc"), ("fc", "lif"), ("lif", "out")],
        type_check=False,
    )
    with pytest.raises(gnir.NIRError, match=r"'fc' \(Linear\): weight has shape \(4, 5\).*3 elements"):
        gnir.to_spec(graph, tmp_path / "x")
    graph = nir.NIRGraph(
        nodes={"in": _input(3), "fc": nir.Linear(weight=np.ones((5, 3))),
               "lif": _lif(np.full(4, 0.01), np.full(4, 10.0), np.zeros(4), np.ones(4), np.zeros(4)),
               "out": _output(4)},
        edges=[("in", "fc"), ("fc", "lif"), ("lif", "out")],
        type_check=False,
    )
    with pytest.raises(gnir.NIRError, match=r"5 signals arrive at 'lif' \(LIF, 4 neurons\)"):
        gnir.to_spec(graph, tmp_path / "x")
    assert list(tmp_path.iterdir()) == []  # no output folder, no temporary left behind


def test_bad_inputs_and_existing_folder(tmp_path):
    graph = _two_layer(np.random.default_rng(0))
    with pytest.raises(gnir.NIRError, match=r"shape \(10, 4\), expected \(steps, 5\)"):
        gnir.to_spec(graph, tmp_path / "x", inputs=np.zeros((10, 4)))
    with pytest.raises(gnir.NIRError, match="must be spikes"):
        gnir.to_spec(graph, tmp_path / "x", inputs=np.full((10, 5), 0.5))
    assert list(tmp_path.iterdir()) == []
    gnir.to_spec(graph, tmp_path / "x", inputs=np.zeros((10, 5)))
    with pytest.raises(FileExistsError):
        gnir.to_spec(graph, tmp_path / "x")
    gnir.to_spec(graph, tmp_path / "x", overwrite=True, duration="5 ms")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]


def test_failed_validation_leaves_no_folder(tmp_path):
    """A graph that converts but that Ganglion rejects (a negative time constant) fails
    before anything is moved into place."""
    graph = _two_layer(np.random.default_rng(0))
    graph.nodes["lif2"].tau = np.full(3, -0.01)
    with pytest.raises(gnir.NIRError, match="tau must be > 0"):
        gnir.to_spec(graph, tmp_path / "x")
    graph = _two_layer(np.random.default_rng(0))
    graph.nodes["lif2"].v_threshold = np.full(3, np.nan)
    with pytest.raises((gnir.NIRError, ganglion.SpecError)):
        gnir.to_spec(graph, tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_what_nir_cannot_hold(cuba_path):
    with pytest.raises(gnir.NIRError, match=r"spike_times"):
        gnir.from_circuit(cuba_path)  # Poisson input
    spec = {
        "simulation": {"dt": "1 ms", "duration": "10 ms"},
        "population": [{"name": "a", "size": 2, "model": "iaf_psc_delta"},
                       {"name": "b", "size": 2, "model": "izhikevich"}],
        "projection": [{"source": "a", "target": "b", "connectivity": {"rule": "all_to_all"},
                        "weight": "1 mV"}],
        "input": [{"kind": "spike_times", "target": "a", "neurons": [0], "times": ["1 ms"],
                   "weight": "100 mV"}],
    }
    with pytest.raises(gnir.NIRError, match=r"population 'b': model 'izhikevich'.*iaf_psc_delta, iaf_psc_exp"):
        gnir.from_circuit(spec)
    spec["population"][1].update(model="iaf_psc_delta", params={"t_ref": "0 ms"})
    spec["projection"][0]["connectivity"] = {"rule": "fixed_probability", "p": 0.5}
    with pytest.raises(gnir.NIRError, match=r"'a→b': connectivity rule 'fixed_probability' draws random"):
        gnir.from_circuit(spec)
    spec["projection"][0]["connectivity"] = {"rule": "all_to_all"}
    spec["population"][1]["params"] = {"t_ref": "2 ms"}
    with pytest.raises(gnir.NIRError, match=r"population 'b': t_ref = 2.0 ms; NIR neurons have no refractory"):
        gnir.from_circuit(spec)


def test_hold_reset_travels_in_the_graph_metadata(tmp_path):
    graph = _two_layer(np.random.default_rng(9))
    first = gnir.to_spec(graph, tmp_path / "a", dt="1 ms", reset="hold")
    exported = gnir.from_circuit(first)
    assert exported.metadata["reset"] == "hold"
    second = gnir.to_spec(exported, tmp_path / "b")
    assert gnir.import_info(tmp_path / "b")["reset"] == "hold"
    t_ref = {p["name"]: p["params"]["t_ref"] for p in second.to_dict()["population"]}
    assert t_ref["lif1"] == t_ref["lif2"] == "1.0 ms"


def test_command_line_import_and_export(tmp_path):
    graph = _two_layer(np.random.default_rng(4))
    gnir.write(graph, tmp_path / "g.nir")
    x = (np.random.default_rng(4).random((50, 5)) < 0.2).astype(np.uint8)
    np.save(tmp_path / "x.npy", x)
    py = [sys.executable, "-m", "ganglion.nir"]
    r = subprocess.run(py + ["import", str(tmp_path / "g.nir"), str(tmp_path / "spec"), "--dt", "1 ms",
                             "--inputs", str(tmp_path / "x.npy")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "spec" / "spec.toml").is_file()
    r = subprocess.run(py + ["export", str(tmp_path / "spec" / "spec.toml"), str(tmp_path / "back.nir")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    back = gnir.read(tmp_path / "back.nir")
    (w2,) = [v for k, v in back.nodes.items() if k.startswith("w_lif1_lif2")]
    np.testing.assert_array_equal(w2.weight, graph.nodes["fc2"].weight)  # R = τ/dt: weights as given
    r = subprocess.run(py + ["import", str(tmp_path / "g.nir"), str(tmp_path / "spec")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "exists" in r.stderr
