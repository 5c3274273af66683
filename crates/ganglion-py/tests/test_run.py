"""Loading, running and results: shapes, dtypes, zero copies, determinism, and equality with
the `ganglion run` command's output files."""

import json
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import ganglion

from conftest import EXAMPLES


def small_circuit(rate="8000 Hz", seed=3, duration="100 ms"):
    return {
        "simulation": {"dt": "0.1 ms", "duration": duration, "seed": seed, "threads": 1},
        "population": [
            {
                "name": "exc",
                "size": 40,
                "model": "iaf_psc_exp",
                "params": {"tau_m": "20 ms", "C_m": "250 pF"},
            }
        ],
        "projection": [
            {
                "source": "exc",
                "target": "exc",
                "connectivity": {"rule": "fixed_probability", "p": 0.1},
                "weight": "5 pA",
                "delay": "1.5 ms",
            }
        ],
        "input": [{"kind": "poisson", "target": "exc", "rate": rate, "weight": "30 pA"}],
        "monitor": [
            {"kind": "spikes", "population": "exc"},
            {"kind": "rate", "population": "exc", "bin": "10 ms"},
            {"kind": "state", "population": "exc", "variables": ["V_m", "I_syn_ex"],
             "neurons": [0, 5, 7], "every": "1 ms"},
        ],
    }


def test_load_run_shapes_and_dtypes(cuba_path):
    net = ganglion.load(cuba_path)
    assert net.name == "cuba"
    assert net.path == str(cuba_path)
    res = net.run(duration="100 ms", threads=1, seed=5)
    assert res.duration_ms == pytest.approx(100.0)
    assert res.dt_ms == pytest.approx(0.1)
    assert set(res.spikes) == {"exc", "inh"}
    for pop, size in [("exc", 3200), ("inh", 800)]:
        s = res.spikes[pop]
        assert s.population == pop
        assert s.recorded == size
        assert s.times_ms.dtype == np.float64 and s.times_ms.ndim == 1
        assert s.senders.dtype == np.uint32 and s.senders.shape == s.times_ms.shape
        assert len(s.times_ms) > 0
        assert np.all(np.diff(s.times_ms) >= 0), "spikes are in time order"
        assert s.times_ms.min() > 0 and s.times_ms.max() <= 100.0
        assert s.senders.max() < size
    v = res.states["exc"]["V_m"]
    assert v.values.dtype == np.float32
    assert v.values.shape == (100, 3)  # every 1 ms for 100 ms, neurons 0, 1, 2
    assert v.times_ms.shape == (100,) and v.times_ms.dtype == np.float64
    assert v.neurons.tolist() == [0, 1, 2]
    # Recorded potentials never exceed the threshold (-50 mV): crossing it resets to -60 mV.
    assert v.values.max() <= -50.0 and v.values.min() < -55.0
    r = res.rates["exc"]
    assert r.bin_ms == pytest.approx(5.0)
    assert r.rates_hz.shape == (20,) and r.rates_hz.dtype == np.float64
    # The rate monitor counts the same spikes as the spike monitor.
    n_spikes = len(res.spikes["exc"].times_ms)
    assert r.rates_hz.sum() * 5e-3 * 3200 == pytest.approx(n_spikes, rel=1e-9)
    pops = {p["name"]: p for p in res.populations}
    assert pops["exc"]["spike_count"] == n_spikes
    assert pops["exc"]["mean_rate_hz"] == pytest.approx(n_spikes / 3200 / 0.1)
    m = res.manifest
    assert m["seed"] == 5 and m["threads"] == 1 and m["neurons"] == 4000
    assert m["duration_ms"] == pytest.approx(100.0)
    assert m["spec"] == str(cuba_path)
    assert m["populations"] == res.populations
    assert set(m["timings"]) == {"build_s", "simulate_s"}


def test_arrays_are_not_copies():
    res = ganglion.Circuit.from_dict(small_circuit()).run()
    for arr in (res.spikes["exc"].times_ms, res.states["exc"]["V_m"].values):
        # The array wraps the engine's buffer (its base is the Rust-owned container, or a
        # view of it for 2-D arrays), not a numpy-owned copy.
        assert not arr.flags.owndata
        base = arr.base
        while isinstance(base, np.ndarray):
            assert not base.flags.owndata
            base = base.base
        assert base is not None and not isinstance(base, np.ndarray)
        assert arr.flags.c_contiguous


def test_same_seed_same_spikes_other_seed_differs():
    c = ganglion.Circuit.from_dict(small_circuit())
    a, b = c.run(seed=11), c.run(seed=11)
    d = c.run(seed=12)
    np.testing.assert_array_equal(a.spikes["exc"].times_ms, b.spikes["exc"].times_ms)
    np.testing.assert_array_equal(a.spikes["exc"].senders, b.spikes["exc"].senders)
    np.testing.assert_array_equal(a.states["exc"]["V_m"].values, b.states["exc"]["V_m"].values)
    assert not (
        len(a.spikes["exc"].times_ms) == len(d.spikes["exc"].times_ms)
        and np.array_equal(a.spikes["exc"].senders, d.spikes["exc"].senders)
    )


def test_two_state_variables_and_input_rate_effect():
    slow = ganglion.Circuit.from_dict(small_circuit(rate="2000 Hz")).run()
    fast = ganglion.Circuit.from_dict(small_circuit(rate="16000 Hz")).run()
    assert set(slow.states["exc"]) == {"V_m", "I_syn_ex"}
    assert slow.states["exc"]["I_syn_ex"].values.shape == (100, 3)
    # More Poisson drive, more spikes.
    assert len(fast.spikes["exc"].times_ms) > len(slow.spikes["exc"].times_ms)


def test_dict_round_trip_equals_file(cuba_path):
    net = ganglion.load(cuba_path)
    again = ganglion.Circuit.from_dict(net.to_dict())
    text = ganglion.Circuit.from_toml(net.to_toml())
    a = net.run(duration="50 ms", seed=2)
    for other in (again, text):
        b = other.run(duration="50 ms", seed=2)
        np.testing.assert_array_equal(a.spikes["exc"].times_ms, b.spikes["exc"].times_ms)
        np.testing.assert_array_equal(a.spikes["inh"].senders, b.spikes["inh"].senders)
    assert net.to_dict()["population"][0]["params"]["tau_m"] == "20 ms"


def test_numpy_values_in_dicts():
    d = small_circuit()
    d["simulation"]["seed"] = np.int64(3)
    d["monitor"][2]["neurons"] = np.array([0, 5, 7])
    d["projection"][0]["connectivity"]["p"] = np.float64(0.1)
    a = ganglion.Circuit.from_dict(d).run()
    b = ganglion.Circuit.from_dict(small_circuit()).run()
    np.testing.assert_array_equal(a.spikes["exc"].times_ms, b.spikes["exc"].times_ms)
    assert a.states["exc"]["V_m"].neurons.tolist() == [0, 5, 7]


def cli_run(ganglion_bin, spec, out, *flags):
    subprocess.run(
        [str(ganglion_bin), "run", str(spec), "--out", str(out), "--no-plots", *flags],
        check=True,
        capture_output=True,
    )
    return json.loads((out / "manifest.json").read_text())


def test_same_spikes_as_cli(ganglion_bin, cuba_path, tmp_path):
    out = tmp_path / "cli"
    manifest = cli_run(ganglion_bin, cuba_path, out, "--seed", "7", "--threads", "2",
                       "--duration", "300 ms")
    res = ganglion.load(cuba_path).run(duration="300 ms", threads=2, seed=7)
    for pop in ("exc", "inh"):
        t = np.load(out / f"spikes_{pop}_times.npy")
        s = np.load(out / f"spikes_{pop}_senders.npy")
        assert len(t) > 100
        np.testing.assert_array_equal(res.spikes[pop].times_ms, t)
        np.testing.assert_array_equal(res.spikes[pop].senders, s)
        assert res.spikes[pop].senders.dtype == s.dtype
    np.testing.assert_array_equal(res.states["exc"]["V_m"].values, np.load(out / "state_exc_V_m.npy"))
    np.testing.assert_array_equal(res.states["exc"]["V_m"].times_ms,
                                  np.load(out / "state_exc_V_m_times.npy"))
    np.testing.assert_array_equal(res.rates["exc"].rates_hz, np.load(out / "rate_exc.npy"))
    for key in ("seed", "threads", "neurons", "synapses", "dt_ms", "duration_ms", "name",
                "populations", "synapse_bytes", "memory_estimate_bytes", "notes"):
        assert res.manifest[key] == manifest[key], key
    assert set(manifest) - set(res.manifest) == {"files"}


def test_plastic_and_gap_junction_examples_match_cli(ganglion_bin, tmp_path):
    # STDP: final and traced weights; gap junctions: the coupled potentials. Both carry state
    # across the chunks a Python run is made of.
    stdp = EXAMPLES / "stdp_song2000.toml"
    cli_run(ganglion_bin, stdp, tmp_path / "stdp", "--duration", "2 s", "--seed", "4")
    res = ganglion.load(stdp).run(duration="2 s", seed=4)
    final = np.load(tmp_path / "stdp" / "weights_inputs_neuron.npy")
    assert final.shape == (1000, 4)
    np.testing.assert_array_equal(res.final_weights["inputs_neuron"], final)
    w = res.weights["inputs_neuron"]
    np.testing.assert_array_equal(w.values, np.load(tmp_path / "stdp" / "weights_inputs_neuron_trace.npy"))
    assert w.values.shape == (2, 100) and w.values.dtype == np.float32
    pairs = np.load(tmp_path / "stdp" / "weights_inputs_neuron_trace_synapses.npy")
    np.testing.assert_array_equal(np.stack([w.sources, w.targets], axis=1), pairs)
    np.testing.assert_array_equal(res.spikes["neuron"].times_ms,
                                  np.load(tmp_path / "stdp" / "spikes_neuron_times.npy"))

    gap = EXAMPLES / "gap_junctions.toml"
    cli_run(ganglion_bin, gap, tmp_path / "gap", "--duration", "300 ms", "--threads", "2")
    res = ganglion.load(gap).run(duration="300 ms", threads=2)
    compared = 0
    for f in sorted((tmp_path / "gap").glob("*.npy")):
        if f.name.startswith("spikes_") and f.name.endswith("_times.npy"):
            pop = f.name[len("spikes_"):-len("_times.npy")]
            np.testing.assert_array_equal(res.spikes[pop].times_ms, np.load(f))
            compared += 1
        if f.name.startswith("state_") and not f.name.endswith(("_times.npy", "_neurons.npy")):
            for per_pop in res.states.values():
                for st in per_pop.values():
                    if f.name == f"state_{st.population}_{st.variable}.npy":
                        np.testing.assert_array_equal(st.values, np.load(f))
                        compared += 1
    assert compared >= 2


def test_progress_callback_and_chunks():
    calls = []
    res = ganglion.Circuit.from_dict(small_circuit(duration="300 ms")).run(
        progress=lambda done, total: calls.append((done, total)))
    assert calls, "progress was called"
    assert calls[-1] == (3000, 3000)
    assert all(t == 3000 for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert res.duration_ms == pytest.approx(300.0)


def test_exception_in_progress_stops_the_run():
    def boom(done, total):
        raise RuntimeError(f"stop at {done}")

    with pytest.raises(RuntimeError, match="stop at"):
        ganglion.Circuit.from_dict(small_circuit()).run(progress=boom)


def test_gil_is_released_while_running(cuba_path):
    net = ganglion.load(cuba_path)
    done = threading.Event()
    result = {}

    def work():
        t0 = time.perf_counter()
        result["res"] = net.run(duration="5 s", seed=1)
        result["secs"] = time.perf_counter() - t0
        done.set()

    th = threading.Thread(target=work)
    ticks = 0
    th.start()
    while not done.is_set():
        time.sleep(0.002)
        ticks += 1
    th.join()
    # With the GIL held through each 0.1 s chunk this loop would tick about 10 times a
    # second; released, it ticks every couple of milliseconds.
    assert result["secs"] > 0.3, "the run is long enough to measure"
    assert ticks > 50 * result["secs"], (ticks, result["secs"])


def test_ctrl_c_interrupts_a_run(cuba_path):
    code = textwrap.dedent(f"""
        import sys, time, ganglion
        spec = ganglion.load({str(cuba_path)!r}).to_dict()
        del spec["monitor"]  # nothing recorded: a long run needs no memory
        net = ganglion.Circuit.from_dict(spec)
        print("running", flush=True)
        t0 = time.perf_counter()
        try:
            net.run(duration="10000 s")
        except KeyboardInterrupt:
            print("interrupted after %.2f s" % (time.perf_counter() - t0), flush=True)
            sys.exit(3)
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "running"
    time.sleep(1.0)
    t_sig = time.perf_counter()
    p.send_signal(2)  # SIGINT
    out, err = p.communicate(timeout=30)
    waited = time.perf_counter() - t_sig
    assert p.returncode == 3, (out, err)
    assert out.startswith("interrupted after")
    assert waited < 5.0, waited


def test_replace_by_name_and_index(cuba_path):
    net = ganglion.load(cuba_path)
    a = net.replace({"projection.exc→inh.weight": "30 pA", "population.exc.params.tau_m": "15 ms"})
    b = net.replace({"projection.1.weight": "30 pA", "population.0.params.tau_m": "15 ms"})
    c = net.replace({"projection.exc->inh.weight": "30 pA"}).replace(
        {"population.exc.params.tau_m": "15 ms"})
    assert a.to_dict() == b.to_dict() == c.to_dict()
    d = a.to_dict()
    assert d["projection"][1]["weight"] == "30 pA"
    assert d["population"][0]["params"]["tau_m"] == "15 ms"
    assert d["population"][1]["params"]["tau_m"] == "20 ms"  # the other population unchanged
    assert a.path == str(cuba_path)  # keeps the file: messages still point into it
    with pytest.raises(ganglion.SpecError, match=r"cuba\.toml:27: population \"exc\": tau_m"):
        net.replace({"population.exc.params.tau_m": "5 mV"})
    with pytest.raises(ganglion.SpecError, match=r'no projection named "x→y"; the projection entries are: 0 "exc→exc"'):
        net.replace({"projection.x→y.weight": "1 pA"})
    with pytest.raises(ganglion.SpecError, match="give simulation.KEY"):
        net.replace({"rate": "1 Hz"})
    # A changed weight changes the run; the same change gives the same spikes.
    r1, r2 = a.run(duration="100 ms"), b.run(duration="100 ms")
    np.testing.assert_array_equal(r1.spikes["inh"].times_ms, r2.spikes["inh"].times_ms)
    r0 = net.run(duration="100 ms")
    assert not np.array_equal(r0.spikes["inh"].senders, r1.spikes["inh"].senders)


def test_sweep_points_equal_single_runs(tmp_path):
    net = ganglion.Circuit.from_dict(small_circuit())
    grid = {"input.0.rate": ["4000 Hz", "8000 Hz", "16000 Hz"], "simulation.seed": [1, 2]}
    seen = []
    sw = net.sweep(grid, duration="50 ms", workers=2, progress=lambda d, n: seen.append((d, n)))
    assert len(sw) == 6 and sw.shape == (3, 2)
    assert seen[-1] == (6, 6)
    assert sw.points[1] == {"input.0.rate": "4000 Hz", "simulation.seed": 2}  # last varies fastest
    serial = ganglion.sweep(net, grid, duration="50 ms", workers=1)
    for values, res, res1 in zip(sw.points, sw.results, serial.results):
        single = net.replace(values).run(duration="50 ms")
        np.testing.assert_array_equal(res.spikes["exc"].times_ms, single.spikes["exc"].times_ms)
        np.testing.assert_array_equal(res.spikes["exc"].senders, res1.spikes["exc"].senders)
    rates = sw.statistic("exc.rate_hz")
    assert rates.shape == (3, 2)
    assert np.all(rates[2] > rates[0]), "more drive, more spikes"
    table = sw.table()
    assert table[3]["exc.spikes"] == len(sw.results[3].spikes["exc"].times_ms)
    assert table[3]["exc.rate_hz"] == rates[1, 1]
    sw.to_csv(tmp_path / "t.csv")
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0].startswith("point,input.0.rate,simulation.seed,exc.spikes,exc.rate_hz")
    assert len(lines) == 7
    with pytest.raises(KeyError, match="no statistic 'x'"):
        sw.statistic("x")


def test_linked_sweep_paths_vary_together():
    net = ganglion.Circuit.from_dict(small_circuit())
    grid = {"input.0.rate": ["4000 Hz", "8000 Hz", "16000 Hz"], "simulation.seed": [1, 2],
            "simulation.duration": ["20 ms", "30 ms", "40 ms"]}
    sw = net.sweep(grid, link=[("simulation.duration", "input.0.rate")], workers=1)
    assert sw.shape == (3, 2) and sw.dims == [("input.0.rate", "simulation.duration"), ("simulation.seed",)]
    assert sw.points[3] == {"input.0.rate": "8000 Hz", "simulation.seed": 2, "simulation.duration": "30 ms"}
    assert sw.results[3].spikes["exc"].times_ms.max(initial=0.0) < 30.0
    for bad, msg in [([("input.0.rate",)], "is not a group"),
                     ([("input.0.rate", "x")], "'x' is not a path of grid"),
                     ([("input.0.rate", "simulation.seed")], "has 2 values but 'input.0.rate' has 3")]:
        with pytest.raises(ValueError, match=msg):
            net.sweep(grid, link=bad)


def test_synapse_cache_reuses_synapses_and_changes_nothing():
    net = ganglion.Circuit.from_dict(small_circuit())
    n_proj = len(small_circuit().get("projection", []))
    cache = ganglion.SynapseCache()
    a = net.run(duration="30 ms", cache=cache)
    faster = net.replace({"input.0.rate": "16000 Hz"})
    b = faster.run(duration="30 ms", cache=cache)
    assert (cache.generated, cache.reused) == (n_proj, n_proj)
    np.testing.assert_array_equal(a.spikes["exc"].times_ms, net.run(duration="30 ms").spikes["exc"].times_ms)
    np.testing.assert_array_equal(b.spikes["exc"].senders, faster.run(duration="30 ms").spikes["exc"].senders)
    assert "generated" in repr(cache)
    with pytest.raises(TypeError):
        net.run(cache="not a cache")


def test_sweep_bad_input():
    net = ganglion.Circuit.from_dict(small_circuit())
    with pytest.raises(ganglion.SpecError, match=r"(?s)sweep point 1 .*unknown unit") as e:
        net.sweep({"input.0.rate": ["1 kHz", "1 kHzz"]})
    assert e.value.problems[0]["object"].startswith("input")
    with pytest.raises(TypeError, match="a list of values"):
        net.sweep({"input.0.rate": "1 kHz"})
    with pytest.raises(ValueError, match="no values"):
        net.sweep({"input.0.rate": []})
    with pytest.raises(TypeError, match="grid: a dict"):
        net.sweep([1])
    with pytest.raises(ValueError, match="workers=0"):
        net.sweep({"input.0.rate": ["1 kHz"]}, workers=0)


def test_python_example_is_cuba_and_runs(cuba_path, tmp_path):
    import importlib.util

    path = EXAMPLES / "python" / "cuba.py"
    spec = importlib.util.spec_from_file_location("cuba_example", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    # The example's dict is the network of examples/cuba.toml but for the state monitor.
    from_file = ganglion.load(cuba_path).to_dict()
    from_file["monitor"] = [m for m in from_file["monitor"] if m["kind"] != "state"]
    assert ganglion.Circuit.from_dict(mod.cuba()).to_dict() == from_file
    out = subprocess.run([sys.executable, str(path), "--out", str(tmp_path / "r.png")],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "sweep of 18 points" in out.stdout
