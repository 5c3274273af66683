"""Write a Ganglion run as an NWB file (Neurodata Without Borders 2.x, HDF5), read by ``pynwb``.

NWB (Rübel et al. 2022, eLife 11:e78362, https://nwb.org) is the standard file format for
neurophysiology recordings; no simulator writes it natively. This module turns what a run
recorded — from :meth:`ganglion.Circuit.run`'s :class:`~ganglion.Results` or from the folder
``ganglion run --out DIR`` writes — into one self-describing ``.nwb`` file:

- **spikes** → the ``units`` table: one row (unit) per *recorded* neuron, also those that never
  fired, with columns ``population`` (name), ``neuron`` (index within the population),
  ``spike_times`` [s] (float64, ascending) and ``obs_intervals`` ([0, duration] [s]: the neuron
  was observed for the whole run, so no spikes means silent, not missing); ``resolution`` is
  ``dt`` [s]. A spike's time is the end of the step in which the threshold was crossed.
- **state recordings** → ``acquisition/<population>_<variable>``: a ``TimeSeries`` of shape
  samples × neurons holding the engine's float32 values unchanged in the variable's unit (mV,
  pA, nS, …), with NWB's SI ``unit`` ("volts", "amperes", "siemens", …) and ``conversion``
  (1e-3, 1e-12, 1e-9, …), ``starting_time`` and ``rate`` (``timestamps`` [s] if the samples
  are not regular). Column j is the neuron in row j of ``processing/ganglion/<name>_columns``.
- **weight recordings** → ``acquisition/weights_<projection>``: samples × synapses in the
  target model's weight unit; ``processing/ganglion/<name>_columns`` gives each column's
  source and target neuron.
- **population rates** → ``processing/ganglion/rate_<population>``: a ``TimeSeries`` in hertz,
  one sample per bin (bin k holds the spikes with times in (k·bin, (k+1)·bin]).
- **final weights of plastic projections** → ``processing/ganglion/final_weights_<projection>``,
  a table (source, target, weight, delay [ms]); **population summaries** →
  ``processing/ganglion/populations`` (name, size, model, spike_count, mean_rate_hz, cv_isi).
- **metadata**: the manifest as JSON in ``notes``, the spec (TOML) in ``source_script`` (file
  name in ``source_script_file_name``), Ganglion's and pynwb's versions in
  ``was_generated_by``, the seed in ``session_id``; ``session_start_time`` is the manifest's
  start time if it has one (it does not at present), else the time of writing (UTC).

The file is written under a temporary name in the destination folder and renamed when
complete, so an interrupted write leaves no ``.nwb`` behind (and no temporary file, unless the
process itself is killed).

Converter: ``python -m ganglion.nwb RUN_DIR out.nwb [--force]``. ``ganglion run`` has no
``--nwb`` flag: writing HDF5 from Rust needs the HDF5 C library (the ``hdf5`` crate), a heavy
build dependency for one output format, so the command-line route is ``ganglion run --out DIR``
followed by this converter.

Cost, measured on the development machine (2 cores shared with other builds, load ≈ 6; pynwb
4.2.0, hdmf 6.2.0, h5py 3.16; no compression): a 1 s CUBA run (4000 neurons, all spikes
recorded: 21 343 spikes; V_m of 3 neurons every 1 ms; a 5 ms-bin rate) writes into a 0.72 MB
file in a median (5 runs) of 0.22 s from Results and 0.34 s from the run folder (which also
loads the .npy files); at busier moments both medians were about 0.6 s. Most of the time is
pynwb/hdmf's fixed cost (building the object tree, caching the schema in the file); importing
pynwb takes another 1.4–4 s once per process, and ``pynwb.validate`` of that file 0.9–2 s.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import pathlib
import re
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ["NwbError", "NotARunError", "write", "main"]


class NwbError(ValueError):
    """Input that cannot be written as NWB (the message names the object, value and fix)."""


class NotARunError(NwbError):
    """A folder that is not the output folder of ``ganglion run``."""


# Ganglion's units (NEST's base units, as ``ganglion.models()`` lists them) → NWB's SI unit name
# and the factor that turns a stored value into that unit (NWB: value · conversion = SI value).
_SI = {
    "mV": ("volts", 1e-3),
    "pA": ("amperes", 1e-12),
    "nS": ("siemens", 1e-9),
    "pF": ("farads", 1e-12),
    "ms": ("seconds", 1e-3),
    "Hz": ("hertz", 1.0),
    "": ("dimensionless", 1.0),
}


def _si(unit: Optional[str]) -> Tuple[str, float]:
    if unit is None:
        # A variable the model listing does not name: keep the numbers, say so in the unit.
        return ("unknown (Ganglion base unit)", 1.0)
    if unit not in _SI:
        return (unit, 1.0)
    return _SI[unit]


@dataclass
class _Spikes:
    population: str
    times_ms: np.ndarray
    senders: np.ndarray
    recorded: Optional[int]  # None: not known (a run folder does not say)


@dataclass
class _State:
    population: str
    variable: str
    values: np.ndarray
    times_ms: np.ndarray
    neurons: np.ndarray


@dataclass
class _Weights:
    projection: str
    values: np.ndarray
    times_ms: np.ndarray
    sources: np.ndarray
    targets: np.ndarray


@dataclass
class _Run:
    """A run's recordings and metadata, from either source, in one shape."""

    manifest: Dict[str, Any]
    spikes: List[_Spikes] = field(default_factory=list)
    states: List[_State] = field(default_factory=list)
    rates: List[Tuple[str, float, np.ndarray]] = field(default_factory=list)
    weights: List[_Weights] = field(default_factory=list)
    final_weights: List[Tuple[str, np.ndarray]] = field(default_factory=list)
    spec: Optional[Dict[str, Any]] = None
    spec_text: Optional[str] = None
    spec_file_name: Optional[str] = None
    source: str = "results"


# ---------------------------------------------------------------------------------------------
# Reading a `ganglion run` output folder
# ---------------------------------------------------------------------------------------------

# The descriptions `ganglion run` gives its files in manifest.json (ganglion-sim record.rs and
# ganglion-cli run.rs). Population names are quoted verbatim, so the patterns anchor at the end.
_SPIKE_TIMES = re.compile(r'^spike times \[ms\] of "(.*)"$', re.S)
_STATE = re.compile(r'^(.+?) of "(.*)" \(samples × neurons\)$', re.S)
_WEIGHT_TRACE = re.compile(r'^weights of "(.*)" over time \(samples × synapses\)$', re.S)
_RATE = re.compile(r'^population rate \[Hz\] of "(.*)" in (.+) ms bins$', re.S)
_FINAL = re.compile(
    r'^final weights of plastic projection "(.*)": source, target, weight, delay \[ms\]$', re.S
)


def _strip(file: str, suffix: str, what: str) -> str:
    if not file.endswith(suffix):
        raise NotARunError(
            f"manifest.json: file {file!r} ({what}) does not end in {suffix!r}; "
            "hint: the folder was not written by this version of `ganglion run`"
        )
    return file[: -len(suffix)]


def _load_npy(folder: pathlib.Path, file: str) -> np.ndarray:
    p = folder / file
    if not p.is_file():
        raise NotARunError(
            f"{folder}: manifest.json lists {file!r} but the file is missing; "
            "hint: re-run `ganglion run` into a fresh folder"
        )
    try:
        return np.load(p, allow_pickle=False)
    except Exception as e:  # a truncated or foreign file
        raise NotARunError(f"{p}: cannot read as .npy ({e})") from None


def _read_toml(text: str) -> Optional[Dict[str, Any]]:
    try:
        import tomllib  # Python >= 3.11
    except ImportError:  # pragma: no cover - depends on the Python version
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            tomllib = None  # type: ignore[assignment]
    if tomllib is not None:
        try:
            return tomllib.loads(text)
        except Exception:
            return None
    try:  # pragma: no cover - Python < 3.11 without tomli
        from . import _ganglion

        return _ganglion.Circuit.from_toml(text).to_dict()
    except Exception:
        return None


def _from_folder(folder: pathlib.Path) -> _Run:
    if not folder.is_dir():
        raise NotARunError(
            f"{folder}: not a folder; hint: pass the folder `ganglion run --out DIR` wrote"
        )
    mpath = folder / "manifest.json"
    if not mpath.is_file():
        raise NotARunError(
            f"{folder}: not a ganglion run folder (no manifest.json); "
            "hint: pass the folder `ganglion run --out DIR` wrote"
        )
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise NotARunError(f"{mpath}: cannot read the manifest ({e})") from None
    if (
        not isinstance(manifest, dict)
        or "ganglion_version" not in manifest
        or not isinstance(manifest.get("files"), list)
    ):
        raise NotARunError(
            f"{mpath}: not a ganglion run manifest (needs keys ganglion_version and files); "
            "hint: pass the folder `ganglion run --out DIR` wrote"
        )
    run = _Run(manifest=manifest, source=str(folder))
    for entry in manifest["files"]:
        file, desc = entry.get("file", ""), entry.get("description", "")
        if m := _SPIKE_TIMES.match(desc):
            base = _strip(file, "_times.npy", desc)
            times = _load_npy(folder, file)
            senders = _load_npy(folder, base + "_senders.npy")
            run.spikes.append(_Spikes(m.group(1), times, senders, None))
        elif m := _WEIGHT_TRACE.match(desc):
            base = _strip(file, ".npy", desc)
            pairs = _load_npy(folder, base + "_synapses.npy").reshape(-1, 2)
            run.weights.append(
                _Weights(
                    m.group(1),
                    _load_npy(folder, file),
                    _load_npy(folder, base + "_times.npy"),
                    pairs[:, 0],
                    pairs[:, 1],
                )
            )
        elif m := _RATE.match(desc):
            try:
                bin_ms = float(m.group(2))
            except ValueError:
                raise NotARunError(f"manifest.json: {desc!r}: bin {m.group(2)!r} is not a number")
            run.rates.append((m.group(1), bin_ms, _load_npy(folder, file)))
        elif m := _FINAL.match(desc):
            run.final_weights.append((m.group(1), _load_npy(folder, file)))
        elif m := _STATE.match(desc):
            base = _strip(file, ".npy", desc)
            run.states.append(
                _State(
                    m.group(2),
                    m.group(1),
                    _load_npy(folder, file),
                    _load_npy(folder, base + "_times.npy"),
                    _load_npy(folder, base + "_neurons.npy"),
                )
            )
    spec = folder / "spec.toml"
    if spec.is_file():
        run.spec_text = spec.read_text(encoding="utf-8")
        run.spec = _read_toml(run.spec_text)
        run.spec_file_name = pathlib.Path(str(manifest.get("spec") or "spec.toml")).name
    return run


def _from_results(res: Any, circuit: Any) -> _Run:
    manifest = dict(res.manifest)
    run = _Run(manifest=manifest)
    for pop, s in res.spikes.items():
        run.spikes.append(_Spikes(pop, s.times_ms, s.senders, int(s.recorded)))
    for pop, per in res.states.items():
        for var, st in per.items():
            run.states.append(_State(pop, var, st.values, st.times_ms, st.neurons))
    for pop, r in res.rates.items():
        run.rates.append((pop, float(r.bin_ms), r.rates_hz))
    for proj, w in res.weights.items():
        run.weights.append(_Weights(proj, w.values, w.times_ms, w.sources, w.targets))
    for proj, fw in res.final_weights.items():
        run.final_weights.append((proj, fw))
    if "populations" not in manifest:
        manifest["populations"] = list(res.populations)
    if circuit is not None:
        run.spec = circuit.to_dict()
        run.spec_text = circuit.to_toml()
        path = circuit.path
        run.spec_file_name = pathlib.Path(path).name if path else f"{circuit.name}.toml"
    return run


# ---------------------------------------------------------------------------------------------
# What the spec says: recorded neurons of spike monitors, targets of projections, units
# ---------------------------------------------------------------------------------------------


def _model_listing() -> Dict[str, Dict[str, Any]]:
    from . import _ganglion

    return {m["name"]: m for m in _ganglion.models()}


def _spike_neurons(run: _Run, sizes: Dict[str, int]) -> List[np.ndarray]:
    """The recorded neurons of each spike recording, in order of ``run.spikes``."""
    monitors = [
        m
        for m in (run.spec or {}).get("monitor", [])
        if isinstance(m, dict) and m.get("kind") == "spikes"
    ]
    taken: Dict[str, int] = {}
    out = []
    for s in run.spikes:
        if s.population not in sizes:
            raise NwbError(
                f'spikes of "{s.population}": the population is not in the manifest\'s '
                "populations; hint: pass the run's own results or folder"
            )
        size = sizes[s.population]
        mons = [m for m in monitors if m.get("population") == s.population]
        k = taken.get(s.population, 0)
        taken[s.population] = k + 1
        neurons: Optional[np.ndarray] = None
        if k < len(mons):
            m = mons[k]
            if m.get("neurons") is not None:
                neurons = np.asarray(m["neurons"], dtype=np.uint32)
            elif m.get("count") is not None:
                neurons = np.arange(min(int(m["count"]), size), dtype=np.uint32)
            else:
                neurons = np.arange(size, dtype=np.uint32)
            if s.recorded is not None and len(neurons) != s.recorded:
                neurons = None  # the spec given is not the one that was run
        if neurons is None:
            # A run folder does not say how many were recorded; without its spec's monitor,
            # the default (all neurons) is what `ganglion run` records.
            if s.recorded is None or s.recorded == size:
                neurons = np.arange(size, dtype=np.uint32)
            else:
                raise NwbError(
                    f'spikes of "{s.population}": {s.recorded} of {size} neurons were recorded '
                    "but the spec that says which is not available or does not match; "
                    "hint: pass circuit= the Circuit that was run"
                )
        if len(s.senders) and not np.isin(s.senders, neurons).all():
            bad = s.senders[~np.isin(s.senders, neurons)][0]
            raise NwbError(
                f'spikes of "{s.population}": neuron {bad} fired but is not among the '
                "recorded neurons of the spec's spike monitor; hint: pass the Circuit that "
                "was run (circuit=) or the run's own folder"
            )
        out.append(np.unique(neurons))
    return out


def _projection_targets(run: _Run, pops: Sequence[str]) -> Dict[str, str]:
    """Projection name → target population (from the spec, else from "source→target")."""
    out: Dict[str, str] = {}
    for p in (run.spec or {}).get("projection", []):
        if isinstance(p, dict) and "target" in p:
            name = p.get("name") or f"{p.get('source')}→{p['target']}"
            out[name] = p["target"]
    names = [w.projection for w in run.weights] + [n for n, _ in run.final_weights]
    for name in names:
        if name not in out and "→" in name:
            tgt = name.split("→", 1)[1]
            if tgt in pops:
                out[name] = tgt
    return out


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _nwb_name(name: str) -> str:
    # HDF5 paths: "/" separates groups; ":" is reserved by hdmf's object names.
    return name.replace("/", "_").replace(":", "_") or "_"


class _Names:
    def __init__(self) -> None:
        self.used: set = set()

    def __call__(self, base: str) -> str:
        base = _nwb_name(base)
        name, k = base, 2
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name


def _timing(times_ms: np.ndarray) -> Dict[str, Any]:
    """starting_time and rate [s, Hz] when the samples are regular, else timestamps [s]."""
    t = np.asarray(times_ms, dtype=np.float64)
    if len(t) >= 2:
        step = (t[-1] - t[0]) / (len(t) - 1)
        regular = step > 0 and np.allclose(
            t, t[0] + step * np.arange(len(t)), rtol=0, atol=1e-9 * max(1.0, abs(t[-1]))
        )
        if regular:
            return {"starting_time": float(t[0]) / 1e3, "rate": 1e3 / float(step)}
        return {"timestamps": t / 1e3}
    if len(t) == 1:
        return {"timestamps": t / 1e3}
    return {"starting_time": 0.0, "rate": 1.0}  # no samples: any rate is exact


def _session_start(manifest: Dict[str, Any]) -> _dt.datetime:
    for key in ("started", "start_time", "started_utc", "session_start_time"):
        v = manifest.get(key)
        if isinstance(v, str):
            try:
                t = _dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
            except ValueError:
                continue
            return t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)
    return _dt.datetime.now(_dt.timezone.utc)


def _build(run: _Run, opts: Dict[str, Any]):
    import pynwb
    from hdmf.common import DynamicTable, ElementIdentifiers, VectorData, VectorIndex
    from pynwb import NWBFile, TimeSeries
    from pynwb.misc import Units

    man = run.manifest
    pops = {p["name"]: p for p in man.get("populations", []) if isinstance(p, dict)}
    sizes = {n: int(p.get("size", 0)) for n, p in pops.items()}
    models = _model_listing()
    dt_ms = float(man.get("dt_ms", 0.0))
    duration_ms = float(man.get("duration_ms", 0.0))
    version = str(man.get("ganglion_version", "unknown"))
    name = str(man.get("name", "circuit"))
    seed = man.get("seed")

    start = opts.get("session_start_time") or _session_start(man)
    if start.tzinfo is None:
        raise NwbError(
            f"session_start_time {start.isoformat()} has no time zone; "
            "hint: pass an aware datetime, e.g. datetime.now(timezone.utc)"
        )
    desc = opts.get("session_description") or (
        f"Ganglion {version} simulation of circuit '{name}': "
        f"{man.get('neurons', sum(sizes.values()))} neurons, {duration_ms:g} ms at "
        f"dt = {dt_ms:g} ms, seed {seed}"
    )
    nwb = NWBFile(
        session_description=desc,
        identifier=opts.get("identifier") or str(uuid.uuid4()),
        session_start_time=start,
        session_id=None if seed is None else f"seed {seed}",
        experiment_description=(
            "Simulated data (no animal): a spiking network simulated with Ganglion. "
            "Populations: "
            + ", ".join(
                f"{n} ({p.get('size')} × {p.get('model')})" for n, p in pops.items()
            )
            + ". Time 0 is the start of the simulation."
        ),
        notes=json.dumps(man, indent=2, sort_keys=True),
        source_script=run.spec_text,
        source_script_file_name=run.spec_file_name if run.spec_text else None,
        was_generated_by=[["ganglion", version], ["pynwb", pynwb.__version__]],
        keywords=["simulation", "spiking neural network", "Ganglion"],
        data_collection=(
            f"Converted by ganglion.nwb from {run.source}. Spike times are the end of the "
            "step in which the threshold was crossed. State and weight TimeSeries hold "
            "Ganglion's float32 values in its units; NWB's conversion gives SI."
        ),
        experimenter=opts.get("experimenter"),
        institution=opts.get("institution"),
        lab=opts.get("lab"),
    )
    mod = nwb.create_processing_module(
        "ganglion", "Ganglion run: population rates, column maps of recordings, final "
        "weights, population summaries"
    )

    # Spikes → units, one row per recorded neuron (vectorised: pynwb's add_unit costs ~1 ms a row).
    if run.spikes:
        neuron_sets = _spike_neurons(run, sizes)
        all_times, ends, pop_col, idx_col = [], [], [], []
        end = 0
        for s, neurons in zip(run.spikes, neuron_sets):
            senders = np.asarray(s.senders, dtype=np.int64)
            times = np.asarray(s.times_ms, dtype=np.float64)
            row = np.searchsorted(neurons, senders)
            # A stable sort by neuron keeps each neuron's spikes in time order.
            order = np.argsort(row, kind="stable")
            all_times.append(times[order] / 1e3)
            counts = np.bincount(row, minlength=len(neurons))
            ends.append(end + np.cumsum(counts))
            end += len(times)
            pop_col += [s.population] * len(neurons)
            idx_col.append(neurons)
        n_units = len(pop_col)
        times_s = np.concatenate(all_times) if all_times else np.zeros(0)
        st = VectorData(
            name="spike_times",
            description="spike times [s] from the start of the simulation",
            data=times_s,
        )
        obs = VectorData(
            name="obs_intervals",
            description="observation interval [s]: the whole run",
            data=np.tile([0.0, duration_ms / 1e3], (n_units, 1)),
        )
        units = Units(
            name="units",
            description="recorded neurons of Ganglion's spike monitors (one unit per neuron)",
            id=ElementIdentifiers(name="id", data=np.arange(n_units)),
            columns=[
                st,
                VectorIndex(
                    name="spike_times_index",
                    data=np.concatenate(ends).astype(np.int64),
                    target=st,
                ),
                obs,
                VectorIndex(
                    name="obs_intervals_index", data=np.arange(1, n_units + 1), target=obs
                ),
                VectorData(name="population", description="population name", data=pop_col),
                VectorData(
                    name="neuron",
                    description="neuron index within the population (from 0)",
                    data=np.concatenate(idx_col).astype(np.uint32),
                ),
            ],
            resolution=dt_ms / 1e3 if dt_ms > 0 else None,
        )
        nwb.units = units

    names = _Names()
    for st in run.states:
        model = models.get(str(pops.get(st.population, {}).get("model")), {})
        unit = next(
            (v.get("unit") for v in model.get("state", []) if v.get("name") == st.variable), None
        )
        si, conv = _si(unit)
        ts_name = names(f"{st.population}_{st.variable}")
        cols = names(f"{ts_name}_columns")
        mod.add(
            DynamicTable(
                name=cols,
                description=f"row j: the neuron of column j of acquisition/{ts_name}",
                id=np.arange(len(st.neurons)),
                columns=[
                    VectorData(
                        name="neuron",
                        description=f'neuron index within "{st.population}"',
                        data=np.asarray(st.neurons, dtype=np.uint32),
                    )
                ],
            )
        )
        values = np.asarray(st.values)
        nwb.add_acquisition(
            TimeSeries(
                name=ts_name,
                data=values.reshape(len(st.times_ms), len(st.neurons)),
                unit=si,
                conversion=conv,
                description=(
                    f'{st.variable} of population "{st.population}" [{unit}] '
                    f"({model.get('name', '?')}), samples × neurons; column j is neuron "
                    f"processing/ganglion/{cols}[j]"
                ),
                comments=json.dumps(
                    {"population": st.population, "variable": st.variable, "unit": unit}
                ),
                **_timing(st.times_ms),
            )
        )

    targets = _projection_targets(run, list(pops))

    def weight_unit(proj: str) -> Optional[str]:
        tgt = targets.get(proj)
        model = models.get(str(pops.get(tgt, {}).get("model"))) if tgt else None
        return model.get("weight_unit") if model else None

    for w in run.weights:
        unit = weight_unit(w.projection)
        si, conv = _si(unit)
        ts_name = names(f"weights_{w.projection}")
        cols = names(f"{ts_name}_columns")
        mod.add(
            DynamicTable(
                name=cols,
                description=f"row j: the synapse of column j of acquisition/{ts_name}",
                id=np.arange(len(w.sources)),
                columns=[
                    VectorData(
                        name="source",
                        description="source neuron index",
                        data=np.asarray(w.sources, dtype=np.uint32),
                    ),
                    VectorData(
                        name="target",
                        description="target neuron index",
                        data=np.asarray(w.targets, dtype=np.uint32),
                    ),
                ],
            )
        )
        nwb.add_acquisition(
            TimeSeries(
                name=ts_name,
                data=np.asarray(w.values).reshape(len(w.times_ms), len(w.sources)),
                unit=si,
                conversion=conv,
                description=(
                    f'weights of projection "{w.projection}" [{unit}], samples × synapses; '
                    f"column j is synapse processing/ganglion/{cols}[j]"
                ),
                comments=json.dumps({"projection": w.projection, "unit": unit}),
                **_timing(w.times_ms),
            )
        )

    for pop, bin_ms, rates in run.rates:
        mod.add(
            TimeSeries(
                name=names(f"rate_{pop}"),
                data=np.asarray(rates, dtype=np.float64),
                unit="hertz",
                description=(
                    f'population rate of "{pop}" (spikes per neuron per second) in {bin_ms:g} ms '
                    "bins; bin k holds spikes with times in (k·bin, (k+1)·bin]"
                ),
                starting_time=0.0,
                rate=1e3 / bin_ms,
            )
        )

    for proj, fw in run.final_weights:
        fw = np.asarray(fw, dtype=np.float64).reshape(-1, 4)
        unit = weight_unit(proj)
        mod.add(
            DynamicTable(
                name=names(f"final_weights_{proj}"),
                description=f'final weights of plastic projection "{proj}", one row a synapse',
                id=np.arange(len(fw)),
                columns=[
                    VectorData(
                        name="source", description="source neuron index",
                        data=fw[:, 0].astype(np.uint32),
                    ),
                    VectorData(
                        name="target", description="target neuron index",
                        data=fw[:, 1].astype(np.uint32),
                    ),
                    VectorData(
                        name="weight", description=f"weight [{unit}]", data=fw[:, 2]
                    ),
                    VectorData(name="delay", description="delay [ms]", data=fw[:, 3]),
                ],
            )
        )

    if pops:
        plist = list(pops.values())

        def col(key: str, dtype: Any, desc: str) -> VectorData:
            vals = [p.get("name" if key == "population" else key) for p in plist]
            if dtype is float:
                data = np.array([np.nan if v is None else v for v in vals], dtype=np.float64)
            elif dtype is int:
                data = np.array([int(v or 0) for v in vals], dtype=np.int64)
            else:
                data = [str(v) for v in vals]
            return VectorData(name=key, description=desc, data=data)

        mod.add(
            DynamicTable(
                name=names("populations"),
                description="Ganglion's summary of each population",
                id=np.arange(len(plist)),
                columns=[
                    col("population", str, "population name"),
                    col("size", int, "number of neurons"),
                    col("model", str, "neuron model"),
                    col("spike_count", int, "spikes recorded"),
                    col("mean_rate_hz", float, "mean firing rate [Hz] (NaN: none)"),
                    col("cv_isi", float, "mean CV of inter-spike intervals (NaN: too few)"),
                ],
            )
        )
    return nwb


def write(
    results_or_run_dir: Union[Any, str, "os.PathLike[str]"],
    path: Union[str, "os.PathLike[str]"],
    *,
    circuit: Any = None,
    session_description: Optional[str] = None,
    identifier: Optional[str] = None,
    session_start_time: Optional[_dt.datetime] = None,
    experimenter: Optional[Union[str, Sequence[str]]] = None,
    institution: Optional[str] = None,
    lab: Optional[str] = None,
    overwrite: bool = False,
) -> pathlib.Path:
    """Write a run's recordings as an NWB file; returns the file's path.

    results_or_run_dir: a :class:`ganglion.Results` (from ``Circuit.run``) or the folder
    ``ganglion run --out DIR`` wrote (with its ``manifest.json``). circuit: the
    :class:`ganglion.Circuit` that made the results — its spec goes into the file
    (``source_script``) and says which neurons a spike monitor of a subset recorded; a run
    folder has its ``spec.toml``. session_start_time must be time-zone aware (default: the
    manifest's start time if any, else now, UTC). identifier defaults to a random UUID.

    The file is written under a temporary name beside ``path`` and renamed when complete.
    Raises FileExistsError if ``path`` exists and not overwrite, NotARunError for a folder
    that is not a run's, NwbError for inconsistent input; nothing is left behind on error.
    """
    out = pathlib.Path(path)
    if out.exists() and not overwrite:
        raise FileExistsError(
            f"{out}: already exists; hint: pass overwrite=True (--force) or another path"
        )
    if out.is_dir():
        raise IsADirectoryError(f"{out}: is a folder; hint: give a file name such as run.nwb")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"{out.parent}: no such folder for the output file")
    if isinstance(results_or_run_dir, (str, os.PathLike)):
        run = _from_folder(pathlib.Path(results_or_run_dir))
        if circuit is not None:
            run.spec = circuit.to_dict()
    elif all(hasattr(results_or_run_dir, a) for a in ("spikes", "states", "manifest")):
        run = _from_results(results_or_run_dir, circuit)
    else:
        raise TypeError(
            "write: expected ganglion.Results or a run folder path, not "
            f"{type(results_or_run_dir).__name__}"
        )
    nwb = _build(
        run,
        {
            "session_description": session_description,
            "identifier": identifier,
            "session_start_time": session_start_time,
            "experimenter": experimenter,
            "institution": institution,
            "lab": lab,
        },
    )
    from pynwb import NWBHDF5IO

    # Hidden, unique, and ending in .nwb (pynwb warns about other extensions).
    tmp = out.parent / f".{out.stem}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}.nwb"
    try:
        with NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwb)
        os.replace(tmp, out)
    except BaseException:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m ganglion.nwb RUN_DIR OUT.nwb [--force]``: convert a run folder to NWB."""
    ap = argparse.ArgumentParser(
        prog="python -m ganglion.nwb",
        description="Convert the output folder of `ganglion run --out DIR` into an NWB file "
        "(spikes → units, state and weight recordings → acquisition, rates, final weights and "
        "population summaries → processing/ganglion, manifest and spec → metadata).",
    )
    ap.add_argument("run_dir", help="folder written by `ganglion run --out DIR`")
    ap.add_argument("output", help="the .nwb file to write")
    ap.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    ap.add_argument("--description", help="session_description (default: generated)")
    ap.add_argument("--identifier", help="file identifier (default: a random UUID)")
    args = ap.parse_args(argv)
    try:
        out = write(
            args.run_dir,
            args.output,
            session_description=args.description,
            identifier=args.identifier,
            overwrite=args.force,
        )
    except (NwbError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
