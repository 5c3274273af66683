"""NIR (Neuromorphic Intermediate Representation) import and export.

NIR (Pedersen et al. 2024, Nat. Commun. 15:8122; the ``nir`` package) is the graph format that
snnTorch, Norse, Lava, Sinabs, Rockpool and SpiNNaker2 read and write: nodes are continuous-time
neuron models (LIF, CubaLIF, IF, ...) and linear maps (Linear, Affine, Scale, Conv), edges carry
spikes or currents. This module turns a NIR graph into a Ganglion spec folder (``spec.toml``
plus ``.npy`` edge lists, runnable by ``ganglion run``) and a Ganglion spec back into a NIR
graph.

>>> import ganglion.nir as gnir
>>> net = gnir.to_spec("net.nir", "net_spec", dt="1 ms", inputs=spikes)   # spikes: (T, N) 0/1
>>> res = net.run()
>>> out = gnir.output_spikes(res, "net_spec")      # {node: (T, n) uint8}, in NIR steps
>>> graph = gnir.from_circuit(net)                 # nir.NIRGraph; gnir.write(graph, "x.nir")

Command line: ``python -m ganglion.nir import GRAPH.nir OUTDIR [--dt "1 ms"] [--inputs X.npy]``
and ``python -m ganglion.nir export SPEC.toml GRAPH.nir``.

The mapping (stated in full in the crate README, section NIR)
-------------------------------------------------------------
NIR has no units: time constants are read in seconds, voltages as mV, and the input of a
neuron node (the output of the Linear/Affine maps into it) as a dimensionless current whose
effect on v is given by the node's ``r``. A NIR spike is a 1 in the time step it occurs (the
discrete-time convention of snnTorch, Norse and Sinabs).

- ``LIF`` (τ dv/dt = (v_leak − v) + R I, spike when v > v_threshold, then v = v_reset) →
  ``iaf_psc_delta`` with E_L = v_leak, V_th = v_threshold, V_reset = v_reset [mV].
  ``scheme="euler"`` (default; what snnTorch, Norse and Sinabs compute): per step
  v ← v + dt/τ (v_leak − v + R I). Ganglion integrates exactly, so tau_m = −dt/ln(1 − dt/τ)
  makes its decay e^{−dt/tau_m} equal to 1 − dt/τ, and a spike of weight w moves v by
  R·w·dt/τ [mV] (= w for snnTorch's export, which writes τ = dt/(1 − β), R = τ/dt).
  ``scheme="exact"``: tau_m = τ and the input held constant over the step, so a spike moves v
  by R·w·(1 − e^{−dt/τ}).
  An Affine bias b becomes a constant ``current`` input [pA] that adds the same R·b·dt/τ
  (euler) or R·b·(1 − e^{−dt/τ}) (exact) per step (C_m = 250 pF; a current I moves V by
  I·τ_m/C_m·(1 − e^{−dt/τ_m}) mV per step), starting at the population's NIR step 0 (its
  latency, below) so that the neuron is at rest until then, as in the NIR simulator.
- ``IF`` (dv/dt = R I) → ``iaf_psc_delta`` with tau_m = 10¹² ms (decay 1 in float32) and
  E_L = 0; a spike moves v by R·w·dt (dt in seconds).
- ``CubaLIF`` (τ_syn dI/dt = −I + w_in S, τ_mem dv/dt = (v_leak − v) + R I) → ``iaf_psc_exp``
  (scheme "euler" only) in snnTorch's order, I ← (1 − dt/τ_syn) I + (dt/τ_syn) w_in S, then
  v ← v + dt/τ_mem (v_leak − v + R I) with that new I: tau_syn_ex = tau_syn_in =
  −dt/ln(1 − dt/τ_syn), tau_m = −dt/ln(1 − dt/τ_mem), weight [pA] = w·(dt/τ_syn)·w_in·
  (dt/τ_mem)·R / P21 with P21 the exact propagator from I_syn to V over one step. NEST's
  order advances V with the current of the previous step, so a CubaLIF population fires one
  step later than the same network in snnTorch; the import shifts every delay to make up for
  it (below). A bias into a CubaLIF is refused (it enters I, which a constant current into V
  does not reproduce).
- ``Linear`` W, ``Affine`` (W, b), ``Scale`` s, ``Identity`` and chains of them between two
  neuron nodes → one projection with an ``edge_list`` (source, target, weight, delay; zero
  weights left out); the chain's matrices are multiplied. ``Delay`` τ_d adds round(τ_d/dt)
  steps to the synapses it lies on (per source before the first matrix, per target after the
  last, uniform in between). ``Input`` → a relay population (``iaf_psc_delta``, t_ref 0,
  threshold 1 mV) driven by a ``spike_times`` input of 100 mV, so it fires in the step the
  NIR input spikes. Nested ``NIRGraph`` nodes are flattened (``outer.inner`` names).
- Timing: in snnTorch every layer sees the spikes of the layer before in the same step; in
  Ganglion a spike takes at least one step (the delay) to arrive. Each population p gets a
  latency L[p] (steps): NIR step t of p is Ganglion step t + L[p] (inputs: L = 1; a neuron:
  1 + the largest L of its sources, +1 for CubaLIF), and each synapse's delay is set so that
  the arrival is exactly the NIR step. Edges that close a cycle (recurrence) are taken with
  one step of delay, as discrete simulators do. ``output_spikes`` undoes the latency.
- Reset: ``reset="nir"`` (default): after a spike v = v_reset and the next step integrates
  from there (NIR's equations; snnTorch 0.9's ``Leaky(reset_mechanism="zero")``, whose
  export and import both use it). ``reset="hold"``: v stays at v_reset through the next
  step and that step's input is lost (t_ref = dt), for simulators that zero the whole next
  update. snnTorch's default reset by subtraction has no Ganglion model (train with
  reset_mechanism="zero"), and snnTorch's ``Synaptic`` with reset "zero" also zeroes the
  synaptic current, which NIR's CubaLIF (and ``iaf_psc_exp``) do not.

Remaining differences: Ganglion fires at V ≥ V_th, NIR at v > v_th; Ganglion sums positive
and negative inputs in separate float32 channels (and uses fused multiply-adds), snnTorch
sums W·x in one float32 matmul, so a membrane that lands within a few float32 ulps of the
threshold can fire in one and not the other.

Export (``from_circuit``) inverts the same mapping: ``iaf_psc_delta`` → LIF (r = τ/dt, so
NIR weights are the Ganglion weights in mV), ``iaf_psc_exp`` → CubaLIF, populations without
incoming projections (driven by ``spike_times`` inputs, or by nothing) → NIR ``Input`` nodes,
populations without outgoing projections → ``Output`` nodes, weights → ``Linear`` (``Affine``
where the target has I_e ≠ 0 or a constant ``current`` input), delays beyond the latency →
``Delay`` nodes. The graph's metadata keeps dt, scheme and reset, which ``to_spec`` reads
back, so spec → NIR → spec keeps LIF weights and delays bit for bit, CubaLIF weights and time
constants to 1e-12 relative (the τ ↔ e^{−dt/τ} conversions round), and spikes identical.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import re
import shutil
import sys
import tempfile
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ._spec_toml import spec_to_toml

try:  # the reference reader/writer of the format; an optional dependency of the package
    import nir as _nir
except ImportError:  # pragma: no cover - reported when a function is called
    _nir = None

PathLike = Union[str, "os.PathLike[str]"]

#: NIR node types that ``to_spec`` imports.
SUPPORTED_NODE_TYPES = (
    "Input",
    "Output",
    "Identity",
    "LIF",
    "IF",
    "CubaLIF",
    "Linear",
    "Affine",
    "Scale",
    "Delay",
    "NIRGraph",
)
NEURON_TYPES = ("LIF", "IF", "CubaLIF")
PASS_TYPES = ("Linear", "Affine", "Scale", "Delay", "Identity")

#: Ganglion models that ``from_circuit`` exports.
SUPPORTED_MODELS = ("iaf_psc_delta", "iaf_psc_exp")

SPEC_FILE = "spec.toml"
INFO_FILE = "nir_import.json"

_C_M = 250.0  # pF; any capacitance works, I_e is computed for it
_IF_TAU_MS = 1e12  # decay e^{-dt/tau} rounds to 1 in float32
_RELAY_WEIGHT = "100 mV"


class NIRError(ValueError):
    """A NIR graph or a Ganglion spec that cannot be converted; the message names the node or
    object, the value and what is supported."""


def _need_nir():
    if _nir is None:
        raise ImportError(
            "ganglion.nir needs the `nir` package: pip install nir "
            "(or the package's extra: pip install 'ganglion[interchange]')"
        )
    return _nir


# ----------------------------------------------------------------------------------------
# reading and writing files


def read(path: PathLike) -> "Any":
    """Read a NIR file (HDF5) into a ``nir.NIRGraph``.

    Node types are checked first, so a file with a type this module does not import (or that
    the installed ``nir`` does not know) raises NIRError naming the node, its type and the
    supported types, instead of ``nir``'s bare assertion.
    """
    nir = _need_nir()
    import h5py

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"NIR file {path}: no such file")
    try:
        with h5py.File(path, "r") as f:
            if "node" not in f:
                raise NIRError(f"{path}: not a NIR file (no 'node' group at the top)")
            _check_types_h5(f["node"], "", str(path))
    except OSError as e:
        raise NIRError(f"{path}: not an HDF5 file ({e})") from None
    return nir.read(path)


def _check_types_h5(group, prefix: str, where: str) -> None:
    for name, node in group["nodes"].items() if "nodes" in group else []:
        t = node["type"][()] if "type" in node else b"?"
        t = t.decode("utf8") if isinstance(t, bytes) else str(t)
        full = f"{prefix}{name}"
        if t not in SUPPORTED_NODE_TYPES:
            raise NIRError(_unknown_type_message(full, t, where))
        if t == "NIRGraph":
            _check_types_h5(node, full + ".", where)


def _unknown_type_message(name: str, t: str, where: str) -> str:
    hint = ""
    if t.startswith("Conv"):
        hint = (
            " (convolutions are not imported: Ganglion projections are edge lists; "
            "unroll the convolution into a Linear node first)"
        )
    return (
        f"{where}: node '{name}' has type {t}, which Ganglion's NIR import does not support"
        f"{hint}; supported types: {', '.join(SUPPORTED_NODE_TYPES)}"
    )


def write(graph: "Any", path: PathLike) -> pathlib.Path:
    """Write a ``nir.NIRGraph`` to ``path`` (HDF5) through a temporary file in the same folder,
    renamed into place only when complete; returns the path."""
    nir = _need_nir()
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        nir.write(tmp, graph)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


# ----------------------------------------------------------------------------------------
# units


_UNITS = {
    "time": {"s": 1e3, "ms": 1.0, "us": 1e-3, "µs": 1e-3},
    "voltage": {"V": 1e3, "mV": 1.0, "uV": 1e-3, "µV": 1e-3},
    "current": {"nA": 1e3, "pA": 1.0, "fA": 1e-3, "uA": 1e6, "µA": 1e6},
    "capacitance": {"nF": 1e3, "pF": 1.0, "uF": 1e6, "µF": 1e6},
}
_PARAM_KIND = {
    "tau_m": "time",
    "t_ref": "time",
    "tau_syn_ex": "time",
    "tau_syn_in": "time",
    "E_L": "voltage",
    "V_th": "voltage",
    "V_reset": "voltage",
    "I_e": "current",
    "C_m": "capacitance",
}


def _quantity(value: Any, kind: str, what: str) -> float:
    """A spec scalar (``"20 ms"``, or a bare number in the base unit) in the base unit of
    ``kind`` (ms, mV, pA, pF)."""
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        m = re.fullmatch(r"\s*([-+0-9.eE]+|[-+]?inf)\s*([^\s]*)\s*", value)
        if m:
            unit = m.group(2) or None
            table = _UNITS[kind]
            if unit is None:
                return float(m.group(1))
            if unit in table:
                return float(m.group(1)) * table[unit]
            raise NIRError(
                f"{what}: unit '{unit}' of {value!r} is not a {kind} unit this converter knows "
                f"({', '.join(table)})"
            )
    raise NIRError(f"{what}: {value!r} is not a number with a {kind} unit")


def _fmt(x: float, unit: str) -> str:
    return f"{float(x)!r} {unit}"


# ----------------------------------------------------------------------------------------
# import: NIR graph -> spec


def _flatten(graph, prefix: str = "") -> Tuple[Dict[str, Any], List[Tuple[str, str]]]:
    """Nodes and edges of a graph with nested NIRGraph nodes inlined (``outer.inner``); the
    inner graph's Input and Output nodes become pass-through Identity stand-ins."""
    nir = _need_nir()
    nodes: Dict[str, Any] = {}
    edges: List[Tuple[str, str]] = []
    entry: Dict[str, List[str]] = {}
    exit_: Dict[str, List[str]] = {}
    for name, node in graph.nodes.items():
        full = prefix + name
        t = type(node).__name__
        if t not in SUPPORTED_NODE_TYPES:
            raise NIRError(_unknown_type_message(full, t, "NIR graph"))
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges = _flatten(node, full + ".")
            for n, v in sub_nodes.items():
                if isinstance(v, (nir.Input, nir.Output)):
                    sub_nodes[n] = ("pass", v)
            nodes.update(sub_nodes)
            edges.extend(sub_edges)
            entry[full] = [full + "." + k for k, v in node.nodes.items() if isinstance(v, nir.Input)]
            exit_[full] = [full + "." + k for k, v in node.nodes.items() if isinstance(v, nir.Output)]
            if not entry[full] or not exit_[full]:
                raise NIRError(
                    f"NIR graph: subgraph '{full}' needs Input and Output nodes to be inlined "
                    f"(it has {len(entry[full])} inputs and {len(exit_[full])} outputs)"
                )
        else:
            nodes[full] = node
    for a, b in graph.edges:
        a_full, b_full = prefix + a, prefix + b
        for x in (a_full, b_full):
            if x not in nodes and x not in entry:
                raise NIRError(f"NIR graph: edge ({a!r}, {b!r}) names node '{x}', which the graph lacks")
        srcs = exit_.get(a_full, [a_full])
        dsts = entry.get(b_full, [b_full])
        edges.extend((s, d) for s in srcs for d in dsts)
    return nodes, edges


def _arr(x, name: str, field: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise NIRError(
            f"NIR node '{name}': {field} has shape {a.shape}; Ganglion imports 1-D populations "
            "only (flatten the layer first)"
        )
    return a


def _neuron_size(name: str, node) -> int:
    t = type(node).__name__
    fields = {
        "LIF": ("tau", "r", "v_leak", "v_threshold", "v_reset"),
        "IF": ("r", "v_threshold", "v_reset"),
        "CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
    }[t]
    shapes = {f: _arr(getattr(node, f), name, f).shape for f in fields}
    sizes = {s[0] for s in shapes.values()}
    if len(sizes) != 1:
        raise NIRError(
            f"NIR node '{name}' ({t}): parameters of different shapes "
            + ", ".join(f"{f} {s}" for f, s in shapes.items())
        )
    return sizes.pop()


def _io_size(name: str, node) -> int:
    t = node.input_type.get("input") if hasattr(node, "input_type") else None
    if t is None:
        t = node.output_type.get("output")
    shape = tuple(int(s) for s in np.asarray(t).reshape(-1))
    while len(shape) > 1 and shape[0] == 1:  # a leading batch dimension of 1 (nirtorch)
        shape = shape[1:]
    if len(shape) != 1:
        raise NIRError(
            f"NIR node '{name}' ({type(node).__name__}): shape {shape}; Ganglion imports 1-D "
            "inputs only (flatten them first)"
        )
    return shape[0]


def _size_from_inputs(n: str, nodes, preds, pops) -> Optional[int]:
    """The size of the signal arriving at node n, from the nearest weight map, Scale or
    sized population behind it (None if nothing tells)."""
    seen = set()
    todo = list(preds[n])
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        v = nodes[p]
        t = type(v).__name__
        if t in ("Linear", "Affine"):
            return int(np.asarray(v.weight).shape[0])
        if t == "Scale":
            return int(np.asarray(v.scale).size)
        if p in pops and pops[p]["size"] > 1:
            return pops[p]["size"]
        if p not in pops:
            todo.extend(preds[p])
    return None


class _Path:
    """A chain of pass nodes from a spiking source to a neuron target, composed."""

    def __init__(self, n_src: int):
        self.matrix: Optional[np.ndarray] = None  # (n_current, n_src); None = identity
        self.bias = np.zeros(n_src)
        self.delay_src = np.zeros(n_src)  # seconds, before the first matrix
        self.delay_tgt = np.zeros(n_src)  # seconds, after the first matrix (current space)
        self.size = n_src
        self.nodes: List[str] = []

    def apply(self, name: str, node) -> None:
        t = type(node).__name__
        self.nodes.append(name)
        if t == "Identity" or isinstance(node, tuple):
            return
        if t == "Delay":
            d = _arr(node.delay, name, "delay")
            if d.shape[0] != self.size and d.shape[0] != 1:
                raise NIRError(
                    f"NIR node '{name}' (Delay): delay has {d.shape[0]} elements, the signal "
                    f"into it has {self.size}"
                )
            if np.any(d < 0) or not np.all(np.isfinite(d)):
                raise NIRError(f"NIR node '{name}' (Delay): delays must be finite and ≥ 0, got {d}")
            if self.matrix is None:
                self.delay_src = self.delay_src + d
            else:
                self.delay_tgt = self.delay_tgt + d
            return
        if t == "Scale":
            s = _arr(node.scale, name, "scale")
            if s.shape[0] != self.size:
                raise NIRError(
                    f"NIR node '{name}' (Scale): scale has {s.shape[0]} elements, the signal "
                    f"into it has {self.size}"
                )
            m = np.diag(s)
        else:  # Linear, Affine
            m = np.asarray(node.weight, dtype=np.float64)
            if m.ndim != 2:
                raise NIRError(
                    f"NIR node '{name}' ({t}): weight has shape {m.shape}; only 2-D "
                    "(out × in) weights are imported"
                )
            if m.shape[1] != self.size:
                raise NIRError(
                    f"NIR node '{name}' ({t}): weight has shape {m.shape} (out × in) but the "
                    f"signal into it has {self.size} elements"
                )
        if self.matrix is not None and np.any(self.delay_tgt != self.delay_tgt[0]):
            raise NIRError(
                f"NIR node '{name}' ({t}): a Delay with different values per element lies "
                "between two weight maps; Ganglion delays are per synapse, so put it before "
                "the first or after the last map"
            )
        self.matrix = m if self.matrix is None else m @ self.matrix
        self.bias = m @ self.bias
        self.delay_tgt = np.full(m.shape[0], self.delay_tgt[0] if self.delay_tgt.size else 0.0)
        self.size = m.shape[0]
        if t == "Affine":
            b = _arr(node.bias, name, "bias")
            if b.shape[0] != self.size:
                raise NIRError(
                    f"NIR node '{name}' (Affine): bias has {b.shape[0]} elements, weight has "
                    f"{self.size} rows"
                )
            self.bias = self.bias + b


def _parse_dt(dt: Any) -> float:
    """dt in ms from "1 ms", a number of seconds (NIR's time unit), or None."""
    if isinstance(dt, str):
        v = _quantity(dt, "time", "dt")
    else:
        v = float(dt) * 1e3
    if not (v > 0 and math.isfinite(v)):
        raise NIRError(f"dt: {dt!r} is not a positive time step")
    return v


def _graph_dt_ms(graph) -> Optional[float]:
    md = getattr(graph, "metadata", None) or {}
    if "dt" in md:
        return float(np.asarray(md["dt"]).reshape(-1)[0]) * 1e3
    return None


def _md_str(graph, key: str) -> Optional[str]:
    md = getattr(graph, "metadata", None) or {}
    if key not in md:
        return None
    v = md[key]
    if isinstance(v, np.ndarray):
        v = v.reshape(-1)[0] if v.size else ""
    return v.decode("utf8") if isinstance(v, bytes) else str(v)


def _latencies(pops: Dict[str, Dict[str, Any]], links: List[Dict[str, Any]]) -> Dict[str, int]:
    """L[p]: NIR step t of population p is Ganglion step t + L[p]. Marks links that close a
    cycle as ``back`` (one step of NIR delay)."""
    succ: Dict[str, List[int]] = {p: [] for p in pops}
    for i, l in enumerate(links):
        succ[l["source"]].append(i)
    # Back edges by depth-first search from the inputs (then from any unvisited population).
    state = {p: 0 for p in pops}  # 0 new, 1 on stack, 2 done
    order: List[str] = []
    roots = [p for p in pops if pops[p]["kind"] == "Input"] + list(pops)
    for r in roots:
        if state[r]:
            continue
        stack = [(r, iter(succ[r]))]
        state[r] = 1
        while stack:
            p, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[p] = 2
                order.append(p)
                stack.pop()
                continue
            q = links[nxt]["target"]
            if state[q] == 1:
                links[nxt]["back"] = True
            elif state[q] == 0:
                state[q] = 1
                stack.append((q, iter(succ[q])))
    lat: Dict[str, int] = {}
    for p in reversed(order):  # topological order of the forward links
        k = pops[p]["k"]
        base = 1 if pops[p]["kind"] == "Input" else 0
        ins = [lat[l["source"]] + 1 for l in links if l["target"] == p and not l.get("back")]
        lat[p] = max(ins + [base]) + k if ins else base + k
    return lat


def _safe(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return s or "node"


def to_spec(
    graph: Union["Any", PathLike],
    out_dir: PathLike,
    *,
    dt: Any = None,
    inputs: Union[None, np.ndarray, Mapping[str, np.ndarray]] = None,
    duration: Any = None,
    scheme: str = "euler",
    reset: Optional[str] = None,
    overwrite: bool = False,
):
    """Import a NIR graph (a ``nir.NIRGraph`` or a ``.nir`` path) as a Ganglion spec folder.

    Writes ``out_dir/spec.toml``, its ``.npy`` files (edge lists: source, target, weight
    [mV or pA], delay [ms]; input events: neuron, time [ms]) and ``nir_import.json`` (the
    population of each NIR node and its latency in steps), then loads it: returns the
    validated ``ganglion.Circuit``. The folder is built under a temporary name and renamed
    into place, so a failed import leaves nothing at ``out_dir``; an existing ``out_dir``
    is an error unless ``overwrite``.

    dt: the time step ("1 ms", or a number in seconds); default the graph's metadata ``dt``
    (written by ``from_circuit``), else 1 ms. inputs: (T, n) arrays of 0/1 spikes per NIR
    Input node (a dict by node name, or one array for a graph with one input), played as
    NIR steps 0..T−1; duration: the run's length (default T + the largest latency steps).
    scheme: "euler" or "exact" (see the module doc); reset: "nir" or "hold" (default the
    graph's metadata ``reset``, else "nir").
    """
    nir = _need_nir()
    if isinstance(graph, (str, os.PathLike)):
        graph = read(graph)
    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(f"to_spec: expected a nir.NIRGraph or a path, not a {type(graph).__name__}")
    dt_ms = _parse_dt(dt) if dt is not None else (_graph_dt_ms(graph) or 1.0)
    dt_s = dt_ms * 1e-3
    if scheme not in ("euler", "exact"):
        raise NIRError(f"scheme: {scheme!r} is not one of 'euler', 'exact'")
    reset = reset if reset is not None else (_md_str(graph, "reset") or "nir")
    if reset not in ("nir", "hold"):
        raise NIRError(f"reset: {reset!r} is not one of 'nir', 'hold'")
    out_dir = pathlib.Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise FileExistsError(f"{out_dir} exists; choose another folder or pass overwrite=True")

    nodes, edges = _flatten(graph)
    preds: Dict[str, List[str]] = {n: [] for n in nodes}
    for a, b in edges:
        preds[b].append(a)

    def kind(n):
        v = nodes[n]
        return "Pass" if isinstance(v, tuple) else type(v).__name__

    # Populations: Input nodes (relays) and neuron nodes.
    pops: Dict[str, Dict[str, Any]] = {}
    used = set()
    for n in nodes:
        t = kind(n)
        if t == "Input" or t in NEURON_TYPES:
            size = _io_size(n, nodes[n]) if t == "Input" else _neuron_size(n, nodes[n])
            pname = _safe(n)
            while pname in used:
                pname += "_"
            used.add(pname)
            pops[n] = {"kind": t, "size": size, "name": pname, "k": 1 if t == "CubaLIF" else 0}
    # Neuron nodes written with scalar parameters (snnTorch's export of a scalar beta) take
    # their size from the weight map in front of them.
    for n, p in pops.items():
        if p["kind"] in NEURON_TYPES and p["size"] == 1:
            p["size"] = _size_from_inputs(n, nodes, preds, pops) or 1
    if not any(p["kind"] == "Input" for p in pops.values()):
        raise NIRError("NIR graph: no Input node; Ganglion drives the graph through its Input nodes")

    # Links: every path through pass nodes from a population to a neuron node.
    links: List[Dict[str, Any]] = []
    biases: Dict[str, np.ndarray] = {}
    for tgt in pops:
        if pops[tgt]["kind"] == "Input":
            if preds[tgt]:
                raise NIRError(f"NIR graph: Input node '{tgt}' has incoming edges from {preds[tgt]}")
            continue
        chains: List[List[str]] = []

        def back(n, chain, seen):
            for p in preds[n]:
                if p in pops:
                    chains.append([p] + chain)
                elif kind(p) == "Output":
                    raise NIRError(f"NIR graph: edge from Output node '{p}' into '{n}'")
                else:
                    if p in seen:
                        raise NIRError(
                            f"NIR graph: a cycle through '{p}' contains no neuron node; "
                            "Ganglion needs a population on every cycle"
                        )
                    back(p, [p] + chain, seen | {p})

        back(tgt, [], set())
        if not chains:
            raise NIRError(f"NIR graph: neuron node '{tgt}' ({kind(tgt)}) receives no input")
        for chain in chains:
            src = chain[0]
            path = _Path(pops[src]["size"])
            for n in chain[1:]:
                path.apply(n, nodes[n])
            if path.size != pops[tgt]["size"]:
                via = " → ".join(chain + [tgt])
                raise NIRError(
                    f"NIR graph: {via}: {path.size} signals arrive at '{tgt}' "
                    f"({kind(tgt)}, {pops[tgt]['size']} neurons)"
                )
            m = np.eye(path.size) if path.matrix is None else path.matrix
            if np.any(path.bias != 0):
                biases[tgt] = biases.get(tgt, np.zeros(pops[tgt]["size"])) + path.bias
            links.append(
                {
                    "source": src,
                    "target": tgt,
                    "matrix": m,
                    "delay_src": path.delay_src,
                    "delay_tgt": path.delay_tgt,
                    "via": chain[1:],
                }
            )
    outputs = []
    for n in nodes:
        if kind(n) == "Output" and not isinstance(nodes[n], tuple):
            todo = list(preds[n])
            while todo:
                p = todo.pop()
                if p in pops:
                    outputs.append(p)
                elif kind(p) in ("Pass", "Identity"):  # a subgraph's Output, an Identity
                    todo.extend(preds[p])
                else:
                    raise NIRError(
                        f"NIR graph: Output node '{n}' is fed by '{p}' ({kind(p)}); Ganglion "
                        "records spikes, so outputs must come straight from neuron nodes"
                    )

    lat = _latencies(pops, links)

    # Neuron parameters and the factor from a NIR input to Ganglion's weight unit.
    pop_specs = []
    files: Dict[str, np.ndarray] = {}
    gain: Dict[str, np.ndarray] = {}
    currents: Dict[str, np.ndarray] = {}  # constant input current [pA] of a bias
    for n, p in pops.items():
        node, t, size = nodes[n], p["kind"], p["size"]
        params: Dict[str, np.ndarray] = {}
        if t == "Input":
            spec = {
                "name": p["name"],
                "size": size,
                "model": "iaf_psc_delta",
                "params": {"t_ref": "0 ms", "E_L": "0 mV", "V_reset": "0 mV", "V_th": "1 mV"},
            }
            pop_specs.append(spec)
            continue
        ones = np.ones(size)
        t_ref = dt_ms if reset == "hold" else 0.0
        if t == "LIF":
            tau = _arr(node.tau, n, "tau") * ones
            r = _arr(node.r, n, "r") * ones
            if np.any(tau <= 0):
                raise NIRError(f"NIR node '{n}' (LIF): tau must be > 0, got {tau.min()}")
            if scheme == "euler":
                if np.any(tau <= dt_s):
                    raise NIRError(
                        f"NIR node '{n}' (LIF): tau = {tau.min()} s ≤ dt = {dt_s} s; the Euler "
                        "step 1 − dt/tau would not decay; use a smaller dt (snnTorch's export "
                        "assumes dt = 1e-4 s: dt='0.1 ms') or scheme='exact'"
                    )
                decay = 1.0 - dt_s / tau
                tau_m = -dt_ms / np.log(decay)
                g = r / (tau / dt_s)  # = R·dt/τ; exactly 1 where R was written as τ/dt
            else:
                tau_m = tau * 1e3
                g = r * -np.expm1(-dt_s / tau)
            params.update(
                tau_m=tau_m,
                E_L=_arr(node.v_leak, n, "v_leak") * ones,
                V_th=_arr(node.v_threshold, n, "v_threshold") * ones,
                V_reset=_arr(node.v_reset, n, "v_reset") * ones,
            )
            model = "iaf_psc_delta"
        elif t == "IF":
            r = _arr(node.r, n, "r") * ones
            tau_m = np.full(size, _IF_TAU_MS)
            g = r * dt_s
            params.update(
                tau_m=tau_m,
                E_L=np.zeros(size),
                V_th=_arr(node.v_threshold, n, "v_threshold") * ones,
                V_reset=_arr(node.v_reset, n, "v_reset") * ones,
            )
            model = "iaf_psc_delta"
        else:  # CubaLIF
            if scheme != "euler":
                raise NIRError(
                    f"NIR node '{n}' (CubaLIF): scheme 'exact' is implemented for LIF and IF "
                    "only; import CubaLIF with scheme='euler'"
                )
            ts = _arr(node.tau_syn, n, "tau_syn") * ones
            tm = _arr(node.tau_mem, n, "tau_mem") * ones
            if np.any(ts <= dt_s) or np.any(tm <= dt_s):
                raise NIRError(
                    f"NIR node '{n}' (CubaLIF): tau_syn and tau_mem must exceed dt = {dt_s} s "
                    f"(got {ts.min()}, {tm.min()})"
                )
            tau_syn = -dt_ms / np.log(1.0 - dt_s / ts)
            tau_m = -dt_ms / np.log(1.0 - dt_s / tm)
            r = _arr(node.r, n, "r") * ones
            w_in = _arr(node.w_in, n, "w_in") * ones
            p21 = _p21(tau_syn, tau_m, _C_M, dt_ms)
            g = (dt_s / ts) * w_in * (dt_s / tm) * r / p21
            if n in biases:
                raise NIRError(
                    f"NIR node '{n}' (CubaLIF): receives a bias (an Affine on its input); a "
                    "constant input into the synaptic current has no Ganglion equivalent"
                )
            params.update(
                tau_m=tau_m,
                tau_syn_ex=tau_syn,
                tau_syn_in=tau_syn,
                E_L=_arr(node.v_leak, n, "v_leak") * ones,
                V_th=_arr(node.v_threshold, n, "v_threshold") * ones,
                V_reset=_arr(node.v_reset, n, "v_reset") * ones,
            )
            model = "iaf_psc_exp"
        gain[n] = g
        if n in biases:
            p30 = params["tau_m"] / _C_M * -np.expm1(-dt_ms / params["tau_m"])
            currents[n] = g * biases[n] / p30
        for k, v in params.items():
            if not np.all(np.isfinite(v)):
                raise NIRError(f"NIR node '{n}' ({t}): {k} is not finite ({v})")
        spec = {
            "name": p["name"],
            "size": size,
            "model": model,
            "params": {"C_m": _fmt(_C_M, "pF"), "t_ref": _fmt(t_ref, "ms")},
        }
        for k, v in params.items():
            unit = {"time": "ms", "voltage": "mV", "current": "pA"}[_PARAM_KIND[k]]
            if np.all(v == v[0]):
                spec["params"][k] = _fmt(v[0], unit)
            else:
                fname = f"{p['name']}.{k}.npy"
                files[fname] = v
                spec["params"][k] = {"file": fname, "unit": unit}
        pop_specs.append(spec)

    # Projections.
    proj_specs = []
    counts: Dict[Tuple[str, str], int] = {}
    for l in links:
        src, tgt = l["source"], l["target"]
        m = l["matrix"] * gain[tgt][:, None]
        d_extra = (l["delay_src"][None, :] + l["delay_tgt"][:, None]) / dt_s
        d_steps = np.rint(d_extra)
        if np.any(np.abs(d_steps - d_extra) > 1e-6 * np.maximum(1.0, d_extra)):
            raise NIRError(
                f"NIR graph: delays on {src} → {tgt} (via {', '.join(l['via']) or 'no node'}) "
                f"are not whole multiples of dt = {dt_s} s: {np.unique(d_extra * dt_s)[:5]}"
            )
        base = lat[tgt] - pops[tgt]["k"] - lat[src] + (1 if l.get("back") else 0)
        steps = base + d_steps
        if np.any(steps < 1):
            raise NIRError(
                f"NIR graph: the recurrent edge {src} → {tgt} would need a delay of "
                f"{int(steps.min())} steps in Ganglion (a spike needs at least one step); "
                "recurrence is importable onto LIF/IF populations and between populations of "
                "equal depth only"
            )
        ti, si = np.nonzero(m)
        if ti.size == 0:
            continue
        edge = np.column_stack([si, ti, m[ti, si], steps[ti, si] * dt_ms]).astype(np.float64)
        key = (src, tgt)
        counts[key] = counts.get(key, 0) + 1
        pname = f"{pops[src]['name']}-{pops[tgt]['name']}"
        if counts[key] > 1:
            pname += f"-{counts[key]}"
        fname = f"edges.{pname}.npy"
        files[fname] = edge
        proj_specs.append(
            {
                "name": pname,
                "source": pops[src]["name"],
                "target": pops[tgt]["name"],
                "connectivity": {
                    "rule": "edge_list",
                    "file": fname,
                    "weight_unit": "pA" if pops[tgt]["kind"] == "CubaLIF" else "mV",
                    "delay_unit": "ms",
                },
                "autapses": src == tgt,
                "multapses": False,
            }
        )

    # Inputs.
    input_nodes = [n for n in pops if pops[n]["kind"] == "Input"]
    in_specs = []
    steps_t = None
    if inputs is not None:
        if not isinstance(inputs, Mapping):
            if len(input_nodes) != 1:
                raise NIRError(
                    f"inputs: the graph has {len(input_nodes)} Input nodes ({input_nodes}); "
                    "give a dict of arrays by node name"
                )
            inputs = {input_nodes[0]: inputs}
        for name in inputs:
            if name not in input_nodes:
                raise NIRError(f"inputs: '{name}' is not an Input node of the graph ({input_nodes})")
        for name, x in inputs.items():
            a = np.asarray(x)
            size = pops[name]["size"]
            if a.ndim != 2 or a.shape[1] != size:
                raise NIRError(
                    f"inputs['{name}']: shape {a.shape}, expected (steps, {size}) for Input "
                    f"node '{name}'"
                )
            if not np.all((a == 0) | (a == 1)):
                raise NIRError(
                    f"inputs['{name}']: values must be spikes (0 or 1); got "
                    f"{np.unique(a)[:5]}; real-valued inputs cannot drive Ganglion's relay"
                )
            steps_t = max(steps_t or 0, a.shape[0])
            t_idx, n_idx = np.nonzero(a)
            ev = np.column_stack([n_idx, t_idx * dt_ms]).astype(np.float64)
            if ev.shape[0] == 0:
                continue
            fname = f"input.{pops[name]['name']}.npy"
            files[fname] = ev
            in_specs.append(
                {
                    "name": f"spikes→{pops[name]['name']}",
                    "kind": "spike_times",
                    "target": pops[name]["name"],
                    "file": fname,
                    "weight": _RELAY_WEIGHT,
                    "delay": _fmt(dt_ms, "ms"),
                }
            )
    # A bias acts from the population's NIR step 0 (Ganglion step L − 1) on: before that the
    # neuron must stay at rest, as the NIR simulator's does, so it is a current input with a
    # start rather than I_e.
    for n, amp in currents.items():
        p = pops[n]
        if np.all(amp == amp[0]):
            amplitude: Any = _fmt(amp[0], "pA")
        else:
            fname = f"{p['name']}.bias.npy"
            files[fname] = amp
            amplitude = {"file": fname, "unit": "pA"}
        in_specs.append(
            {
                "name": f"bias→{p['name']}",
                "kind": "current",
                "target": p["name"],
                "amplitude": amplitude,
                "start": _fmt((lat[n] - 1) * dt_ms, "ms"),
            }
        )
    max_lat = max(lat.values())
    if duration is not None:
        dur = _fmt(_quantity(duration, "time", "duration"), "ms")
    elif steps_t is not None:
        dur = _fmt((steps_t + max_lat) * dt_ms, "ms")
    else:
        dur = _fmt((100 + max_lat) * dt_ms, "ms")

    spec = {
        "simulation": {"dt": _fmt(dt_ms, "ms"), "duration": dur},
        "population": pop_specs,
        "projection": proj_specs,
        "monitor": [{"kind": "spikes", "population": p["name"]} for p in pops.values()],
    }
    if in_specs:
        spec["input"] = in_specs
    if not proj_specs:
        del spec["projection"]
    info = {
        "format": "ganglion NIR import 1",
        "dt_ms": dt_ms,
        "scheme": scheme,
        "reset": reset,
        "steps": steps_t,
        "populations": {
            n: {"population": p["name"], "type": p["kind"], "size": p["size"], "latency_steps": lat[n]}
            for n, p in pops.items()
        },
        "outputs": [pops[o]["name"] for o in outputs],
    }
    return _write_folder(out_dir, spec, files, info, overwrite)


def _p21(tau_s, tau_m, c, h):
    """Ganglion's propagator from I_syn [pA] to V [mV] over one step h (iaf_psc_exp)."""
    tau_s = np.asarray(tau_s, dtype=np.float64)
    tau_m = np.asarray(tau_m, dtype=np.float64)
    same = np.abs((tau_m - tau_s) / tau_m) < 1e-9
    with np.errstate(divide="ignore", invalid="ignore"):
        general = tau_s * tau_m / (c * (tau_m - tau_s)) * (np.exp(-h / tau_m) - np.exp(-h / tau_s))
    return np.where(same, h / c * np.exp(-h / tau_m), general)


def _header(info: Dict[str, Any]) -> List[str]:
    lines = [
        "Imported from a NIR graph by ganglion.nir.to_spec (see the module doc for the mapping).",
        f"scheme = {info['scheme']}, reset = {info['reset']}, dt = {info['dt_ms']} ms.",
        "NIR step t of a node is Ganglion step t + latency (spike time (t + latency)·dt):",
    ]
    for n, p in info["populations"].items():
        lines.append(f"  {n} ({p['type']}) -> population {p['population']}, latency {p['latency_steps']}")
    return lines


def _write_folder(out_dir: pathlib.Path, spec, files, info, overwrite: bool):
    """Write the spec, its files and the import info under a temporary name next to
    ``out_dir``, validate, then rename into place; returns the loaded circuit."""
    import ganglion

    out_dir = pathlib.Path(out_dir)
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="." + out_dir.name + ".", suffix=".tmp", dir=parent))
    try:
        for fname, arr in files.items():
            np.save(tmp / fname, np.ascontiguousarray(arr, dtype=np.float64))
        (tmp / SPEC_FILE).write_text(spec_to_toml(spec, _header(info)), encoding="utf-8")
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        ganglion.load(tmp / SPEC_FILE)  # validation problems surface before anything moves
        if out_dir.exists():
            if not overwrite:
                raise FileExistsError(f"{out_dir} exists; pass overwrite=True to replace it")
            old = tmp.with_suffix(".old")
            os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ganglion.load(out_dir / SPEC_FILE)


def import_info(out_dir: PathLike) -> Dict[str, Any]:
    """The ``nir_import.json`` that ``to_spec`` wrote into ``out_dir``."""
    return json.loads((pathlib.Path(out_dir) / INFO_FILE).read_text(encoding="utf-8"))


def output_spikes(results, out_dir: PathLike, steps: Optional[int] = None) -> Dict[str, np.ndarray]:
    """Spikes of every imported NIR neuron and input node as (steps, n) uint8 arrays indexed
    by NIR step (the latency of each population removed), keyed by NIR node name.

    results: what ``Circuit.run`` returned for the spec in ``out_dir``; steps: the number of
    NIR steps (default: those of the inputs given to ``to_spec``, else all that fit).
    """
    info = import_info(out_dir)
    dt = info["dt_ms"]
    steps = steps if steps is not None else info.get("steps")
    out = {}
    for node, p in info["populations"].items():
        train = results.spikes.get(p["population"])
        if train is None:
            continue
        k = np.rint(np.asarray(train.times_ms) / dt).astype(np.int64) - p["latency_steps"]
        n_steps = steps if steps is not None else int(round(results.duration_ms / dt)) - p["latency_steps"]
        raster = np.zeros((max(n_steps, 0), p["size"]), dtype=np.uint8)
        ok = (k >= 0) & (k < raster.shape[0])
        raster[k[ok], np.asarray(train.senders)[ok]] = 1
        out[node] = raster
    return out


# ----------------------------------------------------------------------------------------
# export: spec -> NIR graph


def _per_neuron(value: Any, size: int, kind: str, what: str, base: pathlib.Path) -> np.ndarray:
    """A population value (scalar, inline list, or ``{file, unit}``) as a float64 array in the
    base unit of ``kind``."""
    if isinstance(value, dict):
        if value.get("file") is None or value.get("dist") is not None:
            raise NIRError(
                f"{what}: a random distribution ({value.get('dist')}) cannot be exported; "
                "give the values as a list or a .npy file"
            )
        path = base / value["file"]
        a = np.load(path).astype(np.float64).reshape(-1)
        unit = value.get("unit")
        scale = _quantity(f"1 {unit}", kind, what) if unit else 1.0
        a = a * scale
    elif isinstance(value, (list, tuple)):
        a = np.array([_quantity(v, kind, what) for v in value], dtype=np.float64)
    else:
        a = np.full(size, _quantity(value, kind, what))
    if a.shape != (size,):
        raise NIRError(f"{what}: {a.shape[0]} values for {size} neurons")
    return a


def _synapses(proj, n_src: int, n_tgt: int, base: pathlib.Path, dt_ms: float, what: str, wkind: str):
    """(sources, targets, weights, delays [ms]) of a projection with a deterministic rule."""
    conn = proj["connectivity"]
    rule = conn["rule"]

    def values(v, n, kind, default):
        if v is None:
            return np.full(n, default)
        if isinstance(v, dict) and v.get("file") is None:
            raise NIRError(
                f"{what}: {kind} drawn from a distribution ({v.get('dist')}) cannot be exported; "
                "give the values as a list or a .npy file"
            )
        if isinstance(v, dict):
            a = np.load(base / v["file"]).astype(np.float64).reshape(-1)
            return a * (_quantity(f"1 {v['unit']}", kind, what) if v.get("unit") else 1.0)
        if isinstance(v, (list, tuple)):
            return np.array([_quantity(x, kind, what) for x in v], dtype=np.float64)
        return np.full(n, _quantity(v, kind, what))

    if rule == "all_to_all":
        s, t = np.meshgrid(np.arange(n_src), np.arange(n_tgt), indexing="ij")
        s, t = s.reshape(-1), t.reshape(-1)
        if proj["source"] == proj["target"] and not proj.get("autapses", False):
            keep = s != t
        else:
            keep = np.ones(s.shape, dtype=bool)
        n = int(keep.sum())
        w = values(proj.get("weight"), s.size, wkind, 0.0)
        if w.size == s.size:
            w = w[keep]
        s, t = s[keep], t[keep]
    elif rule == "one_to_one":
        if n_src != n_tgt:
            raise NIRError(f"{what}: one_to_one between {n_src} and {n_tgt} neurons")
        s = t = np.arange(n_src)
        n = n_src
        w = None
    elif rule == "edge_list":
        f = conn.get("file")
        if not f or not str(f).endswith(".npy"):
            raise NIRError(f"{what}: edge_list file {f!r}: only .npy edge lists are exported")
        e = np.load(base / f).astype(np.float64)
        if e.ndim != 2 or e.shape[1] < 2:
            raise NIRError(f"{what}: edge list {f} has shape {e.shape}, expected (edges, 2..4)")
        s, t = e[:, 0].astype(np.int64), e[:, 1].astype(np.int64)
        n = s.size
        w = None
        if e.shape[1] >= 3:
            w = e[:, 2] * _unit_scale(conn.get("weight_unit"), what)
        d = None
        if e.shape[1] >= 4:
            d = e[:, 3] * (_quantity(f"1 {conn['delay_unit']}", "time", what) if conn.get("delay_unit") else 1.0)
        if w is None:
            w = values(proj.get("weight"), n, wkind, 0.0)
        if d is None:
            d = values(proj.get("delay"), n, "time", dt_ms)
        return s, t, w, d
    else:
        raise NIRError(
            f"{what}: connectivity rule '{rule}' draws random synapses, which NIR cannot hold; "
            "export a spec whose projections are all_to_all, one_to_one or edge_list"
        )
    if w is None:
        w = values(proj.get("weight"), n, wkind, 0.0)
    if w.size == 1:
        w = np.full(n, w[0])
    d = values(proj.get("delay"), n, "time", dt_ms)
    if d.size == 1:
        d = np.full(n, d[0])
    if w.size != n or d.size != n:
        raise NIRError(f"{what}: {w.size} weights and {d.size} delays for {n} synapses")
    return s, t, w, d


def _unit_scale(unit: Optional[str], what: str) -> float:
    if not unit:
        return 1.0
    for kind in ("voltage", "current"):
        if unit in _UNITS[kind]:
            return _UNITS[kind][unit]
    raise NIRError(f"{what}: weight unit '{unit}' is not mV/V or pA/nA")


def from_circuit(circuit: Any, *, scheme: str = "euler") -> "Any":
    """Export a Ganglion spec (a ``ganglion.Circuit``, a dict or a spec path) as a
    ``nir.NIRGraph`` (the inverse of ``to_spec``; see the module doc for the mapping).

    Exports populations of ``iaf_psc_delta`` (→ LIF) and ``iaf_psc_exp`` (→ CubaLIF), all of
    one reset (t_ref 0 → "nir", t_ref = dt → "hold"); populations without incoming
    projections (driven by ``spike_times`` inputs, or by nothing) → Input nodes; constant
    ``current`` inputs and I_e → Affine biases; projections with rules all_to_all, one_to_one and
    edge_list (.npy). Anything else raises NIRError naming the object and what is supported.
    The graph's metadata holds dt [s], scheme and reset.
    """
    nir = _need_nir()
    import ganglion

    if isinstance(circuit, (str, os.PathLike)):
        circuit = ganglion.load(circuit)
    if isinstance(circuit, dict):
        circuit = ganglion.Circuit.from_dict(circuit)
    if scheme not in ("euler", "exact"):
        raise NIRError(f"scheme: {scheme!r} is not one of 'euler', 'exact'")
    spec = circuit.to_dict()
    base = pathlib.Path(circuit.path).parent if circuit.path else pathlib.Path.cwd()
    dt_ms = _quantity(spec["simulation"].get("dt", "0.1 ms"), "time", "simulation.dt")
    dt_s = dt_ms * 1e-3
    models = {m["name"]: m for m in ganglion.models()}
    pops = {p["name"]: p for p in spec.get("population", [])}
    projs = spec.get("projection", [])
    has_in = {p["target"] for p in projs}
    has_out = {p["source"] for p in projs}
    driven = {}
    currents: Dict[str, np.ndarray] = {}
    for i, inp in enumerate(spec.get("input", [])):
        what = f"input[{i}] ({inp.get('name') or inp['kind']})"
        if inp["kind"] == "current" and inp["target"] in pops:
            if inp.get("stop") is not None or inp.get("neurons") is not None:
                raise NIRError(f"{what}: a current with a stop or a neuron subset is not a NIR bias")
            n = int(pops[inp["target"]]["size"])
            amp = _per_neuron(inp["amplitude"], n, "current", what, base)
            currents[inp["target"]] = currents.get(inp["target"], np.zeros(n)) + amp
            continue
        if inp["kind"] != "spike_times":
            raise NIRError(
                f"{what}: kind '{inp['kind']}' has no NIR equivalent; exported inputs: "
                "spike_times (NIR Input nodes) and constant currents (Affine biases)"
            )
        driven[inp["target"]] = True
    # A population without incoming projections is driven from outside (or not at all): in
    # NIR that is an Input node, whatever relay model carries it here.
    input_pops = [n for n in pops if n not in has_in and n not in currents]
    for n in driven:
        if n in has_in:
            raise NIRError(
                f"population '{n}': receives both a spike_times input and projections; NIR "
                "Input nodes have no incoming edges, so export needs a separate relay population"
            )
    if not input_pops:
        raise NIRError(
            "spec: every population receives projections; NIR needs an Input node (a "
            "population without incoming projections, driven by a spike_times input)"
        )

    nodes: Dict[str, Any] = {}
    edges: List[Tuple[str, str]] = []
    info: Dict[str, Dict[str, Any]] = {}
    resets = set()
    for name, p in pops.items():
        size = int(p["size"])
        what = f"population '{name}'"
        if name in input_pops:
            nodes[name] = nir.Input(input_type={"input": np.array([size])})
            info[name] = {"kind": "Input", "k": 0, "size": size}
            continue
        model = p["model"]
        if model not in SUPPORTED_MODELS:
            raise NIRError(
                f"{what}: model '{model}' has no NIR node; exported models: "
                + ", ".join(SUPPORTED_MODELS)
            )
        defaults = {q["name"]: q["default"] for q in models[model]["params"]}
        vals = {
            k: _per_neuron(p.get("params", {}).get(k, defaults[k]), size, _PARAM_KIND[k], f"{what}.params.{k}", base)
            for k in defaults
            if k in _PARAM_KIND
        }
        if p.get("init"):
            raise NIRError(f"{what}: initial states ({', '.join(p['init'])}) have no place in NIR")
        if p.get("homeostasis"):
            raise NIRError(f"{what}: homeostasis has no NIR equivalent")
        tref = vals["t_ref"]
        if np.all(tref == 0):
            resets.add("nir")
        elif np.allclose(tref, dt_ms, rtol=1e-9):
            resets.add("hold")
        else:
            raise NIRError(
                f"{what}: t_ref = {tref.max()} ms; NIR neurons have no refractory period "
                f"(export takes t_ref = 0, or t_ref = dt = {dt_ms} ms as the 'hold' reset)"
            )
        tau_m, c_m = vals["tau_m"], vals["C_m"]
        a = np.exp(-dt_ms / tau_m)
        if scheme == "euler":
            tau = dt_s / (1.0 - a)  # s: 1 − dt/τ = e^{−dt/tau_m}
        else:
            tau = tau_m * 1e-3
        r = tau / dt_s  # R = τ/dt: one unit of NIR input moves v by 1 mV (euler)
        if model == "iaf_psc_delta":
            g = r / (tau / dt_s) if scheme == "euler" else r * -np.expm1(-dt_s / tau)
            nodes[name] = nir.LIF(
                tau=tau,
                r=r,
                v_leak=vals["E_L"],
                v_threshold=vals["V_th"],
                v_reset=vals["V_reset"],
            )
            info[name] = {"kind": "LIF", "k": 0, "size": size, "gain": g}
        else:
            if scheme != "euler":
                raise NIRError(f"{what}: iaf_psc_exp exports with scheme='euler' only")
            ts_ex, ts_in = vals["tau_syn_ex"], vals["tau_syn_in"]
            if not np.array_equal(ts_ex, ts_in):
                raise NIRError(
                    f"{what}: tau_syn_ex ≠ tau_syn_in; a NIR CubaLIF has one synaptic time constant"
                )
            tau_syn = dt_s / (1.0 - np.exp(-dt_ms / ts_ex))
            w_in = tau_syn / dt_s
            p21 = _p21(ts_ex, tau_m, c_m, dt_ms)
            g = (dt_s / tau_syn) * w_in * (dt_s / tau) * r / p21
            nodes[name] = nir.CubaLIF(
                tau_syn=tau_syn,
                tau_mem=tau,
                r=r,
                v_leak=vals["E_L"],
                v_threshold=vals["V_th"],
                v_reset=vals["V_reset"],
                w_in=w_in,
            )
            info[name] = {"kind": "CubaLIF", "k": 1, "size": size, "gain": g}
        i_e = vals["I_e"] + currents.get(name, 0.0)
        if np.any(i_e != 0):
            p30 = tau_m / c_m * -np.expm1(-dt_ms / tau_m)
            info[name]["bias"] = i_e * p30 / g
    if len(resets) > 1:
        raise NIRError("spec: populations mix t_ref = 0 and t_ref = dt; NIR graphs have one reset")

    links = []
    for j, q in enumerate(projs):
        what = f"projection '{q.get('name') or q['source'] + '→' + q['target']}'"
        if q.get("synapse") not in (None, "chemical"):
            raise NIRError(f"{what}: synapse '{q['synapse']}' has no NIR equivalent")
        if q.get("plasticity"):
            raise NIRError(f"{what}: plasticity has no NIR equivalent (export the trained weights)")
        if q["target"] in input_pops:
            raise NIRError(f"{what}: targets an input population")
        links.append({"source": q["source"], "target": q["target"], "spec": q, "what": what})
    lat = _latencies(info, links)

    for j, l in enumerate(links):
        q, src, tgt, what = l["spec"], l["source"], l["target"], l["what"]
        n_src, n_tgt = info[src]["size"], info[tgt]["size"]
        wkind = "current" if info[tgt]["kind"] == "CubaLIF" else "voltage"
        s, t, w, d = _synapses(q, n_src, n_tgt, base, dt_ms, what, wkind)
        if s.size and (s.min() < 0 or s.max() >= n_src or t.min() < 0 or t.max() >= n_tgt):
            raise NIRError(f"{what}: neuron indices outside the populations ({n_src}, {n_tgt})")
        expected = lat[tgt] - info[tgt]["k"] - lat[src] + (1 if l.get("back") else 0)
        extra = np.rint(d / dt_ms) - expected
        if np.any(extra < 0):
            raise NIRError(
                f"{what}: delay {d.min()} ms is shorter than the {expected} steps the layer "
                "structure takes; NIR cannot express it"
            )
        W = np.zeros((n_tgt, n_src))
        np.add.at(W, (t, s), w / info[tgt]["gain"][t])
        lname = f"w_{_safe(src)}_{_safe(tgt)}_{j}"
        bias = info[tgt].pop("bias", None)
        if bias is not None:
            nodes[lname] = nir.Affine(weight=W, bias=bias)
        else:
            nodes[lname] = nir.Linear(weight=W)
        chain = [src, lname, tgt]
        if np.any(extra > 0):
            ex = np.zeros((n_tgt, n_src))
            ex[t, s] = extra
            present = np.zeros((n_tgt, n_src), dtype=bool)
            present[t, s] = True
            per_src = [np.unique(ex[:, i][present[:, i]]) for i in range(n_src)]
            per_tgt = [np.unique(ex[i][present[i]]) for i in range(n_tgt)]
            dname = f"delay_{_safe(src)}_{_safe(tgt)}_{j}"
            if all(len(u) <= 1 for u in per_tgt):
                nodes[dname] = nir.Delay(delay=np.array([u[0] if len(u) else 0.0 for u in per_tgt]) * dt_s)
                chain = [src, lname, dname, tgt]
            elif all(len(u) <= 1 for u in per_src):
                nodes[dname] = nir.Delay(delay=np.array([u[0] if len(u) else 0.0 for u in per_src]) * dt_s)
                chain = [src, dname, lname, tgt]
            else:
                raise NIRError(
                    f"{what}: delays differ per synapse in a way that is neither per source nor "
                    "per target neuron; NIR Delay nodes act on one side of a weight matrix"
                )
        edges.extend(zip(chain[:-1], chain[1:]))
    for name, i in info.items():
        if "bias" in i:
            raise NIRError(f"population '{name}': I_e ≠ 0 but no projection into it to carry it as a bias")
    sinks = [n for n in pops if n not in has_out and n not in input_pops]
    for n in sinks:
        oname = f"output_{_safe(n)}"
        nodes[oname] = nir.Output(output_type={"output": np.array([info[n]["size"]])})
        edges.append((n, oname))
    metadata = {
        "dt": dt_s,
        "scheme": scheme,
        "reset": (resets.pop() if resets else "nir"),
        "source": "ganglion",
    }
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=False)


# ----------------------------------------------------------------------------------------
# command line


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m ganglion.nir import GRAPH.nir OUTDIR`` / ``export SPEC.toml GRAPH.nir``."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m ganglion.nir", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    im = sub.add_parser("import", help="NIR graph -> Ganglion spec folder (spec.toml + .npy files)")
    im.add_argument("graph")
    im.add_argument("out_dir")
    im.add_argument("--dt", default=None, help='time step, e.g. "0.1 ms" (default: the graph\'s metadata, else 1 ms)')
    im.add_argument("--inputs", default=None, help=".npy (steps, n) 0/1 spikes for the graph's Input node")
    im.add_argument("--duration", default=None, help='run length, e.g. "100 ms"')
    im.add_argument("--scheme", default="euler", choices=("euler", "exact"))
    im.add_argument("--reset", default=None, choices=("nir", "hold"))
    im.add_argument("--overwrite", action="store_true")
    ex = sub.add_parser("export", help="Ganglion spec -> NIR graph (HDF5)")
    ex.add_argument("spec")
    ex.add_argument("graph")
    ex.add_argument("--scheme", default="euler", choices=("euler", "exact"))
    a = ap.parse_args(argv)
    try:
        if a.cmd == "import":
            inputs = np.load(a.inputs) if a.inputs else None
            to_spec(
                a.graph,
                a.out_dir,
                dt=a.dt,
                inputs=inputs,
                duration=a.duration,
                scheme=a.scheme,
                reset=a.reset,
                overwrite=a.overwrite,
            )
            print(f"wrote {pathlib.Path(a.out_dir) / SPEC_FILE}")
        else:
            write(from_circuit(a.spec, scheme=a.scheme), a.graph)
            print(f"wrote {a.graph}")
    except (NIRError, FileExistsError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # ganglion.SpecError among them
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
