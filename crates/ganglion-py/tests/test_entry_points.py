"""The entry points beyond one run: studies, the reservoir task runner, the numpy-level ESN and
training, each compared with what the `ganglion` command computes and writes for the same
arguments."""

import csv
import gzip
import json
import math
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import ganglion

from conftest import ROOT

# The fastest quick study (`ganglion study list`: "<0.1 s"), deterministic.
QUICK_STUDY = "ca3-memory"


def _cli(ganglion_bin, *args):
    r = subprocess.run([str(ganglion_bin), *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


# ---------------------------------------------------------------- studies


def test_studies_lists_every_study_with_its_fields(ganglion_bin):
    infos = ganglion.studies()
    names = [i["name"] for i in infos]
    assert QUICK_STUDY in names and len(names) == len(set(names))
    for i in infos:
        assert set(i) == {"name", "paper", "checks", "quick_runtime", "full_runtime"}
        assert all(isinstance(v, str) and v for v in i.values())
    # The command prints the same names, in the same order.
    listed = _cli(ganglion_bin, "study", "list")
    rows = [line.split()[0] for line in listed.splitlines()[1:] if not line.startswith(" ")]
    assert rows == names


def _same(a, b):
    """Equal numbers; JSON writes NaN as null."""
    if b is None:
        return isinstance(a, float) and math.isnan(a)
    return a == b


def test_quick_study_passes_and_matches_the_command(ganglion_bin, tmp_path):
    out = ganglion.run_study(QUICK_STUDY, mode="quick", out=tmp_path / "py")
    assert out["study"] == QUICK_STUDY and out["mode"] == "quick"
    assert out["passed"] is True
    assert out["checks_failed"] == 0
    assert out["checks_passed"] == len(out["checks"]) > 0
    assert all(c["passed"] for c in out["checks"])
    for c in out["checks"]:
        assert {"name", "value", "expected", "expect", "source", "passed", "note", "seeds"} <= set(c)
        assert c["source"] in {"paper", "theory", "reference simulator", "self-consistency"}
        assert c["note"]
    assert (tmp_path / "py" / "report.md").is_file()
    assert out["report"] == str(tmp_path / "py" / "report.md")
    assert out["out"] == str(tmp_path / "py")
    # `metrics` is the metrics.json the study wrote.
    on_disk = json.loads((tmp_path / "py" / "metrics.json").read_text())
    assert out["metrics"]["checks"] == on_disk["checks"]

    _cli(ganglion_bin, "study", "run", QUICK_STUDY, "--quick", "--out", tmp_path / "cli")
    cli = json.loads((tmp_path / "cli" / "metrics.json").read_text())
    assert cli["passed"] is True
    assert [c["name"] for c in cli["checks"]] == [c["name"] for c in out["checks"]]
    for mine, theirs in zip(out["checks"], cli["checks"]):
        assert _same(mine["value"], theirs["value"]), (mine["name"], mine["value"], theirs["value"])
        assert mine["passed"] == theirs["pass"]
        assert mine["expect"]["kind"] == theirs["kind"]
    assert out["metrics"]["tables"] == cli["tables"]


def test_study_errors(tmp_path):
    with pytest.raises(ValueError, match=QUICK_STUDY):  # the message lists the studies
        ganglion.run_study("no-such-study", out=tmp_path / "x")
    with pytest.raises(ValueError, match="quick"):
        ganglion.run_study(QUICK_STUDY, mode="fast", out=tmp_path / "x")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "note.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="force=True"):
        ganglion.run_study(QUICK_STUDY, out=taken)
    assert (taken / "note.txt").read_text() == "mine"
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------- reservoir task

# A small Mackey–Glass run, the same for the command, `reservoir` and `ESN`.
MG = dict(size=200, steps=2000, seed=3, spectral_radius=0.9, leak_rate=0.3, input_scaling=1.0,
          input_density=0.1, density=0.1, washout=100, ridge=1e-6)


def test_reservoir_matches_the_command(ganglion_bin):
    mine = ganglion.reservoir("mackey-glass", **MG)
    flags = []
    for k, v in MG.items():
        flags += ["--" + k.replace("_", "-"), str(v)]
    theirs = json.loads(_cli(ganglion_bin, "reservoir", "--task", "mackey-glass", *flags, "--json"))
    for k in ("task", "mode", "size", "steps", "seed", "train_steps", "test_steps", "alpha"):
        assert mine[k] == theirs[k], k
    assert mine["train_steps"] == 1600 - 100 and mine["test_steps"] == 400
    assert mine["nrmse"] == pytest.approx(theirs["nrmse"], rel=1e-12)
    # A 200-unit reservoir predicts Mackey–Glass one step ahead to well under 1 % of its spread.
    assert 0 < mine["nrmse"] < 0.01
    assert mine["memory_capacity"] is None


def test_reservoir_options_as_strings_and_errors():
    a = ganglion.reservoir(task="narma10", size=50, steps=600, seed=1, ridge="1e-6")
    b = ganglion.reservoir(task="narma10", size="50", steps="600", seed="1", ridge=1e-6)
    assert a["nrmse"] == b["nrmse"] and a["task"] == "narma10"
    with pytest.raises(ValueError, match="unknown option \"bogus\""):
        ganglion.reservoir(bogus=1)
    with pytest.raises(ValueError, match="unknown task"):
        ganglion.reservoir("tides")
    with pytest.raises(ValueError, match="spectral-radius"):
        ganglion.reservoir(spectral_radius="big")
    with pytest.raises(TypeError, match="not a bool"):
        ganglion.reservoir(size=True)
    with pytest.raises(TypeError, match="list"):
        ganglion.reservoir(size=[1])


# ---------------------------------------------------------------- ESN


def _nrmse(pred, truth):
    return float(np.sqrt(np.mean((pred - truth) ** 2)) / np.std(truth))


def test_esn_fit_predict_equals_the_command_on_mackey_glass(ganglion_bin):
    """The command's protocol by hand: washout, train on 80 %, predict the rest one step ahead."""
    n = MG["steps"]
    x = ganglion.mackey_glass(n + 1)
    assert x.shape == (n + 1,) and x.dtype == np.float64
    assert x.min() == pytest.approx(-1.0) and x.max() == pytest.approx(1.0)
    u, y = x[:-1], x[1:]
    n_train = round(0.8 * n)
    esn = ganglion.ESN(MG["size"], spectral_radius=0.9, leak_rate=0.3, input_scaling=1.0,
                       density=0.1, input_density=0.1, seed=MG["seed"])
    assert esn.fit(u[:n_train], y[:n_train], ridge=1e-6, washout=MG["washout"]) is esn
    assert esn.alpha == 1e-6
    assert esn.readout_weights.shape == (1, MG["size"]) and esn.readout_bias.shape == (1,)
    pred = esn.predict(u[n_train:])
    assert pred.shape == (n - n_train, 1)
    mine = _nrmse(pred[:, 0], y[n_train:])
    flags = []
    for k, v in MG.items():
        flags += ["--" + k.replace("_", "-"), str(v)]
    theirs = json.loads(_cli(ganglion_bin, "reservoir", "--task", "mackey-glass", *flags, "--json"))
    # Same states and readout; only numpy's and Rust's summation order in the NRMSE differ.
    assert mine == pytest.approx(theirs["nrmse"], rel=1e-12)


def test_esn_states_shapes_determinism_and_continuation():
    rng = np.random.default_rng(0)
    u = rng.uniform(-1, 1, size=80)
    a = ganglion.ESN(64, seed=5)
    assert a.inputs is None
    s = a.states(u)
    assert s.shape == (80, 64) and s.dtype == np.float64
    assert a.inputs == 1
    assert np.all(np.abs(s) < 1) and np.any(s != 0)  # tanh units, driven
    np.testing.assert_array_equal(a.state, s[-1])
    # Same seed, same states; another seed, others.
    np.testing.assert_array_equal(ganglion.ESN(64, seed=5).states(u), s)
    assert not np.array_equal(ganglion.ESN(64, seed=6).states(u), s)
    # The state carries over between calls; reset() starts again from zero.
    b = ganglion.ESN(64, seed=5)
    np.testing.assert_array_equal(np.vstack([b.states(u[:30]), b.states(u[30:])]), s)
    b.reset()
    assert not b.state.any()
    np.testing.assert_array_equal(b.states(u), s)
    # (T, 1) is the same series as (T,); integers are converted.
    np.testing.assert_array_equal(ganglion.ESN(64, seed=5).states(u[:, None]), s)
    k = np.arange(10) % 3 - 1
    np.testing.assert_array_equal(ganglion.ESN(64, seed=5).states(k),
                                  ganglion.ESN(64, seed=5).states(k.astype(float)))
    # Several inputs.
    c = ganglion.ESN(32, inputs=3, seed=1)
    assert c.inputs == 3 and c.states(rng.normal(size=(20, 3))).shape == (20, 32)


def test_esn_releases_the_gil():
    esn = ganglion.ESN(1000, seed=0, threads=1)
    done = threading.Event()
    result = {}

    def work():
        t0 = time.perf_counter()
        result["s"] = esn.states(np.zeros(6000))
        result["secs"] = time.perf_counter() - t0
        done.set()

    th = threading.Thread(target=work)
    ticks = 0
    th.start()
    while not done.is_set():
        time.sleep(0.002)
        ticks += 1
    th.join()
    # Held through each 0.1 s chunk, the loop would tick about 10 times a second.
    assert result["s"].shape == (6000, 1000)
    assert result["secs"] > 0.2, "the run is long enough to measure"
    assert ticks > 50 * result["secs"], (ticks, result["secs"])


def test_esn_ctrl_c_stops_a_long_run():
    """SIGINT during `states` raises KeyboardInterrupt within a chunk (about 0.1 s)."""
    code = textwrap.dedent("""
        import sys, time
        import numpy as np
        import ganglion
        esn = ganglion.ESN(2000, seed=0, threads=1)
        print("running", flush=True)
        t0 = time.perf_counter()
        try:
            esn.states(np.zeros(200_000))
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
    out, err = p.communicate(timeout=60)
    waited = time.perf_counter() - t_sig
    assert p.returncode == 3, (out, err)
    assert out.startswith("interrupted after")
    assert waited < 5.0, waited


def test_esn_leak_integration_by_hand():
    """A linear reservoir with leak a from zero state and one input pulse: x(1) = a·W_in·u,
    then x(t+1) = (1 − a)·x(t) + a·W x(t). With spectral_radius=0 (W = 0) each unit decays
    geometrically by (1 − a) after the pulse."""
    a = 0.25
    esn = ganglion.ESN(20, spectral_radius=0.0, leak_rate=a, activation="linear", input_density=1.0,
                       seed=2)
    u = np.zeros(6)
    u[0] = 2.0
    s = esn.states(u)
    w_in = s[0] / (a * 2.0)
    np.testing.assert_allclose(np.abs(w_in), 1.0, rtol=1e-6)  # Bernoulli ±1 input weights
    for t in range(1, 6):
        np.testing.assert_allclose(s[t], s[0] * (1 - a) ** t, rtol=1e-5)


def test_esn_multi_output_fit_and_cv():
    rng = np.random.default_rng(1)
    u = rng.uniform(-0.5, 0.5, size=600)
    # Targets: the input delayed by 1 and 2 steps (a reservoir remembers both well).
    y = np.stack([np.roll(u, 1), np.roll(u, 2)], axis=1)
    esn = ganglion.ESN(100, leak_rate=1.0, input_scaling=0.5, input_density=1.0, seed=4)
    esn.fit(u[:500], y[:500], ridge="cv", washout=20)
    assert esn.alpha in [10.0 ** e for e in range(-9, 2)]
    pred = esn.predict(u[500:])
    assert pred.shape == (100, 2)
    for k in range(2):
        assert _nrmse(pred[:, k], y[500:, k]) < 0.2


def test_esn_bad_input():
    esn = ganglion.ESN(10, seed=0)
    with pytest.raises(TypeError, match=r"u: .*dtype <U1"):
        esn.states(np.array(["a", "b"]))
    with pytest.raises(TypeError, match=r"u: .*complex"):
        esn.states(np.ones(3, dtype=complex))
    with pytest.raises(ValueError, match=r"u: expected shape \(T,\) or \(T, D\), got shape \[2, 3, 4\]"):
        esn.states(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"u: is empty"):
        esn.states(np.zeros(0))
    with pytest.raises(ValueError, match=r"u: non-finite value NaN at row 1, column 0"):
        esn.states(np.array([0.0, np.nan]))
    esn.states(np.zeros(3))
    with pytest.raises(ValueError, match=r"u: has 2 column\(s\) but this ESN has inputs = 1"):
        esn.states(np.zeros((3, 2)))
    with pytest.raises(RuntimeError, match="not fitted"):
        esn.predict(np.zeros(3))
    with pytest.raises(ValueError, match="y: has 4 rows but u has 5"):
        esn.fit(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match="washout=5"):
        esn.fit(np.zeros(5), np.zeros(5), washout=5)
    with pytest.raises(ValueError, match="ridge"):
        esn.fit(np.zeros(5), np.zeros(5), ridge="lots")
    with pytest.raises(ValueError, match="ridge|alpha"):
        esn.fit(np.zeros(5), np.zeros(5), ridge=-1.0)
    with pytest.raises(ValueError, match="units"):
        ganglion.ESN(0)
    with pytest.raises(ValueError, match="leak_rate"):
        ganglion.ESN(10, leak_rate=1.5)
    with pytest.raises(ValueError, match="activation"):
        ganglion.ESN(10, activation="relu")


# ---------------------------------------------------------------- training

MLP_SPEC = """
[simulation]
dt = "1 ms"
duration = "100 ms"

[[population]]
name = "pixels"
size = 64
model = "rate_linear"

[[population]]
name = "hidden"
size = 32
model = "rate_relu"

[[population]]
name = "out"
size = 10
model = "rate_linear"

[[projection]]
name = "pixels-hidden"
source = "pixels"
target = "hidden"
connectivity = { rule = "all_to_all" }
weight = { dist = "normal", mean = 0.0, std = 0.1 }

[[projection]]
name = "hidden-out"
source = "hidden"
target = "out"
connectivity = { rule = "all_to_all" }
weight = { dist = "normal", mean = 0.0, std = 0.1 }
"""

SIDECAR = 'epochs = 5\nbatch_size = 32\noptimizer = "adam"\nlr = 0.02\nseed = 1\n'


@pytest.fixture()
def digits_setup(tmp_path):
    """An MLP spec and a dataset in the layout of sklearn's digits.csv.gz (1797 rows of 64
    pixels in 0..16 and a label): class c lights the pixels p with p % 10 == c, with noise.
    The real digits are used as well where data/digits is fetched (test below)."""
    rng = np.random.default_rng(7)
    rows = []
    for i in range(1797):
        c = i % 10
        px = rng.uniform(0, 4, size=64)
        px[np.arange(64) % 10 == c] += 10
        rows.append(",".join(f"{v:.0f}" for v in px) + f",{c}")
    data = tmp_path / "data"
    (data / "digits").mkdir(parents=True)
    with gzip.open(data / "digits" / "digits.csv.gz", "wt") as f:
        f.write("\n".join(rows) + "\n")
    spec = tmp_path / "mlp.toml"
    spec.write_text(MLP_SPEC)
    (tmp_path / "mlp.train.toml").write_text(SIDECAR)
    return spec, data


def _read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_train_writes_the_commands_files_and_numbers(ganglion_bin, digits_setup, tmp_path):
    spec, data = digits_setup
    seen = []
    r = ganglion.train(spec, "digits", data_dir=data, epochs=2, limit=300, out=tmp_path / "py",
                       progress=lambda e, m: seen.append((e, m)))
    assert r["epochs"] == 2 and len(r["metrics"]) == 2
    assert 0.0 <= r["test_accuracy"] <= 1.0
    assert r["test_accuracy"] > 0.8  # ten separable classes: far above chance (0.1)
    assert [e for e, _ in seen] == [1, 2]
    assert seen[-1][1]["test_accuracy"] == r["test_accuracy"]
    out = tmp_path / "py"
    rows = _read_csv(out / "metrics.csv")
    assert [int(x["epoch"]) for x in rows] == [1, 2]
    assert float(rows[-1]["test_accuracy"]) == r["test_accuracy"]
    report = json.loads((out / "report.json").read_text())
    assert report["metrics_csv"] == str(out / "metrics.csv") == r["metrics_csv"]
    assert r["report"] == str(out / "report.json")
    assert report["test_accuracy"] == r["test_accuracy"]
    assert (out / "checkpoint.json").is_file()
    assert ganglion.load(r["trained_spec"]).summary()["neurons"] == 64 + 32 + 10

    # The command with the same arguments: the same metrics (timings aside) and files.
    _cli(ganglion_bin, "train", spec, "--data", "digits", "--data-dir", data, "--epochs", 2,
         "--limit", 300, "--out", tmp_path / "cli", "--json")
    theirs = _read_csv(tmp_path / "cli" / "metrics.csv")
    assert list(theirs[0]) == list(rows[0])
    for a, b in zip(rows, theirs):
        for k in ("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr"):
            assert a[k] == b[k], k


def test_train_resume_continues_from_the_checkpoint(digits_setup, tmp_path):
    spec, data = digits_setup
    full = ganglion.train(spec, "digits", data_dir=data, epochs=2, limit=200, out=tmp_path / "a")
    ganglion.train(spec, "digits", data_dir=data, epochs=1, limit=200, out=tmp_path / "b")
    resumed = ganglion.train(spec, "digits", data_dir=data, epochs=2, limit=200,
                             out=tmp_path / "b", resume=True)
    assert resumed["epochs"] == 2
    assert resumed["test_accuracy"] == full["test_accuracy"]
    assert [m["train_loss"] for m in resumed["metrics"]] == [m["train_loss"] for m in full["metrics"]]


def test_train_interrupted_between_epochs_resumes(digits_setup, tmp_path):
    """An exception between epochs (KeyboardInterrupt from Ctrl-C, here raised by the progress
    callback) leaves that epoch's checkpoint and metrics.csv; resume=True finishes the run
    exactly as an uninterrupted one."""
    spec, data = digits_setup

    def stop(epoch, metrics):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ganglion.train(spec, "digits", data_dir=data, epochs=3, limit=200, out=tmp_path / "b",
                       progress=stop)
    assert (tmp_path / "b" / "checkpoint.json").is_file()
    assert [int(r["epoch"]) for r in _read_csv(tmp_path / "b" / "metrics.csv")] == [1]
    assert not (tmp_path / "b" / "report.json").exists()
    resumed = ganglion.train(spec, "digits", data_dir=data, epochs=3, limit=200,
                             out=tmp_path / "b", resume=True)
    full = ganglion.train(spec, "digits", data_dir=data, epochs=3, limit=200, out=tmp_path / "a")
    assert [m["train_loss"] for m in resumed["metrics"]] == [m["train_loss"] for m in full["metrics"]]
    assert resumed["test_accuracy"] == full["test_accuracy"]


def test_train_errors(digits_setup, tmp_path):
    spec, data = digits_setup
    with pytest.raises(FileNotFoundError, match="data_dir="):
        ganglion.train(spec, "digits", data_dir=tmp_path / "nowhere", out=tmp_path / "o")
    with pytest.raises(ValueError, match="unknown dataset"):
        ganglion.train(spec, "cifar", data_dir=data, out=tmp_path / "o")
    with pytest.raises(FileNotFoundError):
        ganglion.train(tmp_path / "missing.toml", "digits", data_dir=data)
    with pytest.raises(ValueError, match="epochs=0"):
        ganglion.train(spec, "digits", data_dir=data, epochs=0)
    with pytest.raises(TypeError, match="progress"):
        ganglion.train(spec, "digits", data_dir=data, progress=3)


def test_train_on_real_digits(tmp_path):
    data = ROOT / "data"
    if not (data / "digits" / "digits.csv.gz").is_file() and not (data / "digits.csv.gz").is_file():
        pytest.skip("data/digits not fetched (scripts/fetch-data.sh)")
    spec = tmp_path / "mlp.toml"
    spec.write_text(MLP_SPEC)
    (tmp_path / "mlp.train.toml").write_text(SIDECAR)
    r = ganglion.train(spec, "digits", data_dir=data, epochs=3, limit=500, out=tmp_path / "o")
    assert 0.0 <= r["test_accuracy"] <= 1.0 and r["test_accuracy"] > 0.5


def test_stubs_and_docstrings_cover_the_entry_points():
    import pathlib

    stub = (pathlib.Path(ganglion.__file__).with_name("_ganglion.pyi")).read_text()
    for f in (ganglion.studies, ganglion.run_study, ganglion.reservoir, ganglion.mackey_glass,
              ganglion.train):
        assert f.__doc__ and len(f.__doc__) > 80, f.__name__
        assert f"def {f.__name__}(" in stub
    assert ganglion.ESN.__doc__ and "class ESN" in stub
    for name in ("states", "fit", "predict", "reset", "units", "inputs", "state", "alpha",
                 "readout_weights", "readout_bias"):
        assert getattr(ganglion.ESN, name).__doc__, name
        assert f"def {name}(" in stub, name
