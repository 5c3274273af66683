"""NWB output (ganglion.nwb): every spike time, state sample, rate and weight read back with
pynwb equals what the run recorded; the files pass pynwb's schema validation; the converter
reads `ganglion run` folders; bad input gives clear errors and leaves no file behind."""

import datetime as dt
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import ganglion

pynwb = pytest.importorskip("pynwb")
from ganglion import nwb  # noqa: E402  (after the importorskip)

from conftest import EXAMPLES  # noqa: E402


def circuit():
    """Two populations: spikes of all of "inh" and of a subset of "exc" (some of which stay
    silent), two state variables, a rate."""
    return ganglion.Circuit.from_dict(
        {
            "simulation": {"dt": "0.1 ms", "duration": "200 ms", "seed": 11, "threads": 1},
            "population": [
                {"name": "exc", "size": 60, "model": "iaf_psc_exp",
                 "params": {"tau_m": "20 ms", "C_m": "250 pF"}},
                {"name": "inh", "size": 15, "model": "iaf_psc_exp"},
            ],
            "projection": [
                {"source": "exc", "target": "inh",
                 "connectivity": {"rule": "fixed_probability", "p": 0.2},
                 "weight": "40 pA", "delay": "1 ms"},
            ],
            "input": [
                {"kind": "poisson", "target": "exc", "rate": "9000 Hz", "weight": "30 pA"},
                {"kind": "poisson", "target": "inh", "rate": "6000 Hz", "weight": "30 pA"},
            ],
            "monitor": [
                {"kind": "spikes", "population": "exc", "neurons": [50, 3, 7, 21, 40]},
                {"kind": "spikes", "population": "inh"},
                {"kind": "rate", "population": "exc", "bin": "10 ms"},
                {"kind": "state", "population": "exc", "variables": ["V_m", "I_syn_ex"],
                 "neurons": [0, 5, 7], "every": "0.5 ms"},
            ],
        }
    )


def read(path):
    """Open with pynwb (the caller closes the io)."""
    io = pynwb.NWBHDF5IO(str(path), "r")
    return io, io.read()


def assert_valid(path):
    errors = pynwb.validate(path=str(path))
    assert errors == [], errors


def test_results_round_trip_exact_and_valid(tmp_path):
    net = circuit()
    res = net.run()
    path = nwb.write(res, tmp_path / "run.nwb", circuit=net, identifier="test-run")
    assert path == tmp_path / "run.nwb"
    assert sorted(os.listdir(tmp_path)) == ["run.nwb"], "no temporary file left"
    assert_valid(path)

    io, f = read(path)
    with io:
        # Spikes: the exc monitor recorded 5 neurons (some silent), inh all 15.
        assert len(res.spikes["exc"].times_ms) > 0 and len(res.spikes["inh"].times_ms) > 0
        spikes = {p: (s.times_ms, s.senders) for p, s in res.spikes.items()}
        recorded = {"exc": [3, 7, 21, 40, 50], "inh": list(range(15))}
        pops = np.asarray(f.units["population"][:])
        idx = np.asarray(f.units["neuron"][:])
        assert len(f.units) == 20
        for pop, neurons in recorded.items():
            rows = np.flatnonzero(pops == pop)
            assert idx[rows].tolist() == neurons
            t, s = spikes[pop]
            for r in rows:
                got = np.asarray(f.units["spike_times"][r])
                assert got.dtype == np.float64
                np.testing.assert_array_equal(got, t[s == idx[r]] / 1e3)
                np.testing.assert_array_equal(f.units["obs_intervals"][r], [[0.0, 0.2]])
        total = sum(len(f.units["spike_times"][r]) for r in range(len(f.units)))
        assert total == len(res.spikes["exc"].times_ms) + len(res.spikes["inh"].times_ms)
        assert f.units.resolution == pytest.approx(1e-4)

        # States: float32 values unchanged, SI unit with conversion, regular timing.
        for var, unit, conv in [("V_m", "volts", 1e-3), ("I_syn_ex", "amperes", 1e-12)]:
            st = res.states["exc"][var]
            ts = f.acquisition[f"exc_{var}"]
            data = ts.data[:]
            assert data.dtype == np.float32 and data.shape == (len(st.times_ms), 3)
            np.testing.assert_array_equal(data, st.values)
            assert ts.unit == unit and ts.conversion == conv
            assert ts.timestamps is None
            t = ts.starting_time + np.arange(len(st.times_ms)) / ts.rate
            np.testing.assert_allclose(t, st.times_ms / 1e3, rtol=1e-12, atol=0)
            cols = f.processing["ganglion"][f"exc_{var}_columns"]
            assert cols["neuron"][:].tolist() == st.neurons.tolist() == [0, 5, 7]
            assert json.loads(ts.comments)["unit"] == {"V_m": "mV", "I_syn_ex": "pA"}[var]
        # Membrane potentials in volts after conversion: the physical range of an LIF neuron.
        v = f.acquisition["exc_V_m"].data[:] * f.acquisition["exc_V_m"].conversion
        assert -0.08 < v.min() and v.max() <= -0.05

        # Rate: exact, one sample a bin.
        r = f.processing["ganglion"]["rate_exc"]
        np.testing.assert_array_equal(r.data[:], res.rates["exc"].rates_hz)
        assert r.unit == "hertz" and r.rate == pytest.approx(100.0) and r.starting_time == 0.0

        # The file documents itself.
        assert json.loads(f.notes) == json.loads(json.dumps(res.manifest))
        assert f.source_script == net.to_toml()
        assert [list(x) for x in f.was_generated_by[:]][0] == ["ganglion", ganglion.__version__]
        assert f.identifier == "test-run"
        assert f.session_id == "seed 11"
        assert f.session_start_time.tzinfo is not None
        age = dt.datetime.now(dt.timezone.utc) - f.session_start_time
        assert dt.timedelta(0) <= age < dt.timedelta(minutes=5)
        pops_table = f.processing["ganglion"]["populations"]
        assert pops_table["population"][:].tolist() == ["exc", "inh"]
        assert pops_table["size"][:].tolist() == [60, 15]
        assert pops_table["spike_count"][:].tolist() == [
            p["spike_count"] for p in res.populations
        ]


def test_subset_without_circuit_is_refused(tmp_path):
    res = circuit().run(duration="20 ms")
    with pytest.raises(nwb.NwbError, match=r'spikes of "exc": 5 of 60 .*pass circuit='):
        nwb.write(res, tmp_path / "x.nwb")
    # A circuit whose monitor names other neurons (same count) than the run's.
    other = circuit().replace({"monitor.0.neurons": [0, 1, 2, 4, 6]})
    fired = set(res.spikes["exc"].senders.tolist())
    assert fired - {0, 1, 2, 4, 6}, "a recorded neuron outside the other list fired"
    with pytest.raises(nwb.NwbError, match=r'spikes of "exc": neuron \d+ fired but is not among'):
        nwb.write(res, tmp_path / "x.nwb", circuit=other)
    assert os.listdir(tmp_path) == []


def test_weights_final_weights_and_session_time(tmp_path):
    net = ganglion.load(EXAMPLES / "stdp_song2000.toml")
    res = net.run(duration="2 s", seed=4)
    start = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    path = nwb.write(res, tmp_path / "stdp.nwb", circuit=net, session_start_time=start)
    assert_valid(path)
    io, f = read(path)
    with io:
        assert f.session_start_time == start
        w = res.weights["inputs_neuron"]
        ts = f.acquisition["weights_inputs_neuron"]
        np.testing.assert_array_equal(ts.data[:], w.values)
        assert ts.data.dtype == np.float32 and ts.data.shape == (2, 100)
        # The target is iaf_cond_exp: weights are conductances in nS, bounded by w_max 0.15 nS.
        assert ts.unit == "siemens" and ts.conversion == 1e-9
        assert 0 <= (ts.data[:] * ts.conversion).min() and (ts.data[:] * ts.conversion).max() <= 1.5e-10
        np.testing.assert_allclose(
            ts.starting_time + np.arange(2) / ts.rate, w.times_ms / 1e3, rtol=1e-12
        )
        cols = f.processing["ganglion"]["weights_inputs_neuron_columns"]
        assert cols["source"][:].tolist() == w.sources.tolist()
        assert cols["target"][:].tolist() == w.targets.tolist()
        fw = res.final_weights["inputs_neuron"]
        table = f.processing["ganglion"]["final_weights_inputs_neuron"]
        assert len(table) == 1000
        np.testing.assert_array_equal(table["source"][:], fw[:, 0])
        np.testing.assert_array_equal(table["target"][:], fw[:, 1])
        np.testing.assert_array_equal(table["weight"][:], fw[:, 2])
        np.testing.assert_array_equal(table["delay"][:], fw[:, 3])
        assert "[nS]" in table["weight"].description


def cli_run(ganglion_bin, spec, out, *args):
    subprocess.run(
        [str(ganglion_bin), "run", str(spec), "--out", str(out), "--no-plots", *args],
        check=True, capture_output=True,
    )


def test_converter_on_a_run_folder(ganglion_bin, tmp_path):
    run = tmp_path / "cuba"
    cli_run(ganglion_bin, EXAMPLES / "cuba.toml", run, "--duration", "200 ms", "--seed", "3")
    out = tmp_path / "cuba.nwb"
    # The module's command line, as a user runs it.
    p = subprocess.run(
        [sys.executable, "-m", "ganglion.nwb", str(run), str(out)],
        capture_output=True, text=True,
    )
    assert p.returncode == 0, p.stderr
    assert "wrote" in p.stdout
    assert_valid(out)
    manifest = json.loads((run / "manifest.json").read_text())
    io, f = read(out)
    with io:
        sizes = {"exc": 3200, "inh": 800}
        pops = np.asarray(f.units["population"][:])
        idx = np.asarray(f.units["neuron"][:])
        assert len(f.units) == 4000
        total = 0
        for pop, size in sizes.items():
            t = np.load(run / f"spikes_{pop}_times.npy")
            s = np.load(run / f"spikes_{pop}_senders.npy")
            rows = np.flatnonzero(pops == pop)
            assert idx[rows].tolist() == list(range(size))
            # Vectorised comparison of every spike: the ragged column's flat data and index.
            index = f.units["spike_times"]  # a VectorIndex: the end of each row
            ends = np.asarray(index.data[:])
            flat = np.asarray(index.target.data[:])
            for r in rows:
                got = flat[(ends[r - 1] if r else 0): ends[r]]
                np.testing.assert_array_equal(got, t[s == idx[r]] / 1e3)
            total += len(t)
        assert len(flat) == total
        v = f.acquisition["exc_V_m"]
        np.testing.assert_array_equal(v.data[:], np.load(run / "state_exc_V_m.npy"))
        np.testing.assert_allclose(
            v.starting_time + np.arange(v.data.shape[0]) / v.rate,
            np.load(run / "state_exc_V_m_times.npy") / 1e3,
            rtol=1e-12,
        )
        np.testing.assert_array_equal(
            f.processing["ganglion"]["rate_exc"].data[:], np.load(run / "rate_exc.npy")
        )
        assert json.loads(f.notes) == manifest
        assert f.source_script == (run / "spec.toml").read_text()
        assert f.source_script_file_name == "cuba.toml"
        assert "seed 3" in f.session_description


def test_converter_folder_with_spike_subset(ganglion_bin, tmp_path):
    # The folder's spec.toml says which neurons a subset monitor recorded.
    net = circuit()
    spec = tmp_path / "subset.toml"
    spec.write_text(net.to_toml())
    cli_run(ganglion_bin, spec, tmp_path / "run")
    res = net.run()
    assert nwb.main([str(tmp_path / "run"), str(tmp_path / "s.nwb")]) == 0
    io, f = read(tmp_path / "s.nwb")
    with io:
        rows = np.flatnonzero(np.asarray(f.units["population"][:]) == "exc")
        assert f.units["neuron"][rows].tolist() == [3, 7, 21, 40, 50]
        for r in rows:
            n = f.units["neuron"][r]
            np.testing.assert_array_equal(
                f.units["spike_times"][r],
                res.spikes["exc"].times_ms[res.spikes["exc"].senders == n] / 1e3,
            )
        np.testing.assert_array_equal(
            f.acquisition["exc_I_syn_ex"].data[:], res.states["exc"]["I_syn_ex"].values
        )


def test_errors(ganglion_bin, tmp_path, capsys):
    # Not a run folder.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert nwb.main([str(empty), str(tmp_path / "a.nwb")]) == 1
    err = capsys.readouterr().err
    assert "not a ganglion run folder (no manifest.json)" in err and "hint" in err
    with pytest.raises(nwb.NotARunError, match="not a folder"):
        nwb.write(tmp_path / "missing", tmp_path / "a.nwb")
    (empty / "manifest.json").write_text('{"x": 1}')
    with pytest.raises(nwb.NotARunError, match="not a ganglion run manifest"):
        nwb.write(empty, tmp_path / "a.nwb")
    assert not (tmp_path / "a.nwb").exists()

    # A listed file that is missing.
    run = tmp_path / "run"
    cli_run(ganglion_bin, EXAMPLES / "cuba.toml", run, "--duration", "20 ms")
    (run / "state_exc_V_m_neurons.npy").unlink()
    with pytest.raises(nwb.NotARunError, match="'state_exc_V_m_neurons.npy' but the file is missing"):
        nwb.write(run, tmp_path / "a.nwb")
    assert not (tmp_path / "a.nwb").exists()

    # An existing output: refused without --force, replaced with it.
    res = circuit().run(duration="20 ms")
    net = circuit()
    out = tmp_path / "out.nwb"
    out.write_bytes(b"old")
    with pytest.raises(FileExistsError, match="already exists; hint: pass overwrite=True"):
        nwb.write(res, out, circuit=net)
    assert out.read_bytes() == b"old"
    cli_run(ganglion_bin, EXAMPLES / "cuba.toml", tmp_path / "run2", "--duration", "20 ms")
    assert nwb.main([str(tmp_path / "run2"), str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert nwb.main([str(tmp_path / "run2"), str(out), "--force"]) == 0
    assert_valid(out)

    # A naive start time, a wrong input type.
    with pytest.raises(nwb.NwbError, match="no time zone"):
        nwb.write(res, tmp_path / "b.nwb", circuit=net,
                  session_start_time=dt.datetime(2026, 1, 1))
    with pytest.raises(TypeError, match="expected ganglion.Results or a run folder"):
        nwb.write(42, tmp_path / "b.nwb")
    assert not (tmp_path / "b.nwb").exists()


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    net = circuit()
    res = net.run(duration="20 ms")
    real_write = pynwb.NWBHDF5IO.write

    def failing_write(self, *args, **kwargs):
        # Write the whole file, then fail as if the disk filled up before the rename.
        real_write(self, *args, **kwargs)
        assert any(p.name.endswith(".nwb") for p in tmp_path.iterdir()), "temp exists mid-write"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pynwb.NWBHDF5IO, "write", failing_write)
    with pytest.raises(OSError, match="No space left"):
        nwb.write(res, tmp_path / "x.nwb", circuit=net)
    assert os.listdir(tmp_path) == []

    # Interrupted while an existing file is being replaced: the old file stays as it was.
    (tmp_path / "x.nwb").write_bytes(b"old")

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pynwb.NWBHDF5IO, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        nwb.write(res, tmp_path / "x.nwb", circuit=net, overwrite=True)
    assert os.listdir(tmp_path) == ["x.nwb"]
    assert (tmp_path / "x.nwb").read_bytes() == b"old"
