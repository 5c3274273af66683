"""Import SONATA point-neuron networks (Dai et al. 2020, PLoS Comput Biol 16:e1007696) as
Ganglion specs, with the semantics of NEST's ``nest.SonataNetwork``.

>>> import ganglion.sonata
>>> net = ganglion.sonata.load("300_pointneurons/circuit_config.json", "out",
...                            sim_config="300_pointneurons/simulation_config.json")
>>> res = net.run()                       # or: ganglion run out/spec.toml

or from a shell: ``python -m ganglion.sonata CONFIG OUT_DIR [--sim-config SIM]``.

What is read (paths in the configs may use manifest variables, ``${configdir}`` and paths
relative to the config file):

- the circuit config's ``networks.nodes`` (HDF5 ``nodes/<population>/node_type_id``, optional
  ``node_id``; a space-separated node-types CSV with ``node_type_id``, ``model_type``
  (``point_neuron``/``point_process``, or ``virtual`` for input nodes), ``model_template``
  (``nest:<model>``) and ``dynamics_params`` (a JSON file of NEST parameters in
  ``components.point_neuron_models_dir``));
- ``networks.edges`` (HDF5 ``edges/<population>/{source_node_id,target_node_id,edge_type_id}``
  with the ``node_population`` attribute, ``edge_group_id``/``edge_group_index`` and the edge
  groups' ``syn_weight`` and ``delay``; an edge-types CSV with ``edge_type_id``,
  ``model_template`` (``static_synapse``), optional ``syn_weight``, ``delay`` and
  ``dynamics_params`` (JSON in ``components.synaptic_models_dir``));
- the simulation config's ``run.dt`` and ``run.tstop`` (or ``run.duration``), in ms, and its
  ``inputs`` of ``input_type = "spikes"``: HDF5 ``spikes/{gids|node_ids,timestamps}`` (or
  ``spikes/<population>/...``) for the population named by ``node_set``.

How it maps, following NEST 3.10 (``hl_api_sonata.py``, ``nestkernel/sonata_connector.cpp``):

- one Ganglion population per (node population, node type), named
  ``<population>_<model_name>`` (or ``<population>_<node_type_id>``), of the Ganglion model of
  the same name as the NEST model, its dynamics params as parameters (NEST's names and units
  are Ganglion's), ``V_m`` (and other state variables) as initial values. As in NEST, the
  initial ``V_m`` is the NEST model's default (−70 mV for the iaf models), not ``E_L``;
- a synapse's weight is the edge group's ``syn_weight``, else the edge type's (its JSON
  ``weight``, else the CSV's ``syn_weight``), else NEST's default 1; its delay likewise from
  ``delay`` (default 1 ms). Weights are in the target model's unit (pA for ``iaf_psc_*``, mV for
  ``iaf_psc_delta``, nS for ``iaf_cond_exp``); negative weights are inhibitory (a conductance
  model receives their magnitude on its inhibitory receptor). Edges between neurons become
  ``edge_list`` projections (``.npy`` of source, target, weight, delay), one per (source
  population, target population, sign), autapses and multapses allowed;
- virtual nodes become ``spike_times`` inputs: each spike of a virtual node is delivered to
  each of its targets, one input per (target population, weight, delay). Off-grid spike times
  are moved as NEST's ``spike_train_injector`` (``allow_offgrid_times``) moves them: to the
  nearest step when within half a tic (0.5 µs) of it, else to the end of their step; spikes
  that land on step 0 are dropped (NEST drops them too);
- spike monitors on every neuron population; ``sonata_map.json`` beside the spec lists, for
  each Ganglion population, its SONATA population, node type and node ids (in the
  population's neuron order), so spikes can be mapped back to SONATA node ids.

Not supported (each a :class:`SonataError` naming the file and the field, not a silent
difference): synapse models other than ``static_synapse``, per-node or per-edge
``dynamics_params`` groups in the HDF5 files, node sets files (an input's ``node_set`` must name
a population), edges onto virtual nodes. Ignored, as NEST ignores them: ``conditions``,
``output``, ``reports``, node positions and other node/edge group datasets (such as ``nsyns``).

A failed import leaves nothing behind: the files are written into a temporary folder beside
``out_dir``, the spec is validated, and only then is the folder renamed to ``out_dir``.
"""

import argparse
import csv
import json
import math
import os
import pathlib
import re
import shutil
import sys
import tempfile

import numpy as np

from ._spec_toml import spec_to_toml

# NEST 3.10's default initial states of the supported models (nest.GetDefaults). NEST keeps
# V_m at this value when dynamics params change E_L, so an imported network starts there too.
# These are the models that Ganglion implements under NEST's name, with NEST's parameters.
NEST_INITIAL_STATE = {
    "iaf_psc_alpha": {"V_m": -70.0},
    "iaf_psc_exp": {"V_m": -70.0},
    "iaf_psc_delta": {"V_m": -70.0},
    "iaf_cond_exp": {"V_m": -70.0, "g_ex": 0.0, "g_in": 0.0},
    "aeif_psc_exp": {"V_m": -70.6, "w": 0.0},
    "izhikevich": {"V_m": -65.0, "U_m": -13.0},
}
SUPPORTED_MODELS = tuple(NEST_INITIAL_STATE)
SUPPORTED_SYNAPSES = ("static_synapse",)
NEURON_MODEL_TYPES = ("point_neuron", "point_process")
# NEST's static_synapse defaults, used when neither the edge nor its type gives a value.
NEST_DEFAULT_WEIGHT = 1.0
NEST_DEFAULT_DELAY_MS = 1.0
# NEST's time grid is in tics of 1 µs (tics_per_ms = 1000).
NEST_TIC_MS = 1e-3
# One spike_times input per (target population, weight, delay): refuse networks whose virtual
# edges would need more inputs than this (the spec has no per-spike weights yet).
MAX_INPUT_GROUPS = 1000

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_NAME = re.compile(r"^[A-Za-z0-9_]+$")


class SonataError(ValueError):
    """A SONATA network that cannot be imported.

    ``file`` is the file at fault, ``field`` the key, column, dataset or attribute in it
    (None when the whole file is at fault); ``str(e)`` reads ``file: field: message`` and, when
    there is one, a hint on a second line.
    """

    def __init__(self, file, field, message, hint=None):
        self.file = str(file)
        self.field = field
        self.message = message
        self.hint = hint
        where = f"{self.file}: {field}: " if field else f"{self.file}: "
        text = where + message
        if hint:
            text += f"\n  hint: {hint}"
        super().__init__(text)


# --- configs -----------------------------------------------------------------------------


def _read_json(path, what, field=None, referrer=None):
    path = pathlib.Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        if referrer is not None:
            raise SonataError(referrer, field, f"{what} {path} does not exist") from None
        raise SonataError(path, None, f"{what} does not exist") from None
    except json.JSONDecodeError as e:
        raise SonataError(path, f"line {e.lineno}", f"not valid JSON: {e.msg}") from None


def _expand(text, variables, file, field, seen=()):
    """`text` with its $VAR and ${VAR} replaced from `variables` (whose values may use other
    variables)."""

    def sub(m):
        name = m.group(1) or m.group(2)
        if name in seen:
            chain = " → ".join(seen + (name,))
            raise SonataError(file, f"manifest.${name}", f"variables refer to each other: {chain}")
        if name not in variables:
            known = ", ".join(f"${k}" for k in sorted(variables)) or "none"
            raise SonataError(
                file, field, f"unknown variable ${name} in {text!r} (manifest defines {known})"
            )
        return _expand(variables[name], variables, file, f"manifest.${name}", seen + (name,))

    return _VAR.sub(sub, text)


def _load_config(path):
    """A config as a dict with every string's variables expanded, and the folder its relative
    paths are relative to."""
    path = pathlib.Path(path).resolve()
    conf = _read_json(path, "config file")
    if not isinstance(conf, dict):
        raise SonataError(path, None, "a SONATA config is a JSON object")
    manifest = conf.get("manifest", {})
    if not isinstance(manifest, dict) or not all(isinstance(v, str) for v in manifest.values()):
        raise SonataError(path, "manifest", "the manifest maps variable names to strings")
    variables = {"configdir": str(path.parent)}
    variables.update({k.lstrip("$"): v for k, v in manifest.items()})

    def walk(x, field):
        if isinstance(x, dict):
            return {k: walk(v, f"{field}.{k}" if field else k) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v, f"{field}[{i}]") for i, v in enumerate(x)]
        if isinstance(x, str) and "$" in x:
            return _expand(x, variables, path, field)
        return x

    out = walk({k: v for k, v in conf.items() if k != "manifest"}, "")
    out["_dir"] = path.parent
    out["_file"] = path
    return out


def _path(conf, value, field):
    """A path from a config value, relative to the config's folder."""
    if not isinstance(value, str) or not value:
        raise SonataError(conf["_file"], field, f"expected a file path, found {value!r}")
    p = pathlib.Path(value)
    return p if p.is_absolute() else (conf["_dir"] / p).resolve()


def _get(conf, keys, hint=None):
    """conf[k0][k1]..., or an error naming the missing key."""
    x = conf
    for i, k in enumerate(keys):
        if not isinstance(x, dict) or k not in x:
            field = ".".join(keys[: i + 1])
            raise SonataError(conf["_file"], field, "missing", hint)
        x = x[k]
    return x


def _configs(config, sim_config):
    """(circuit config, simulation config): the simulation config names its circuit config
    under `network`, or both are given, or one file holds both."""
    first = _load_config(config)
    if sim_config is not None:
        return first, _load_config(sim_config)
    if "networks" in first:
        return first, first
    if "network" in first:
        return _load_config(_path(first, first["network"], "network")), first
    raise SonataError(
        first["_file"],
        "networks",
        "missing (neither a circuit config with `networks` nor a simulation config "
        "naming one with `network`)",
        "pass the circuit config, with the simulation config as sim_config",
    )


# --- tables ------------------------------------------------------------------------------


def _read_types(path, id_column, referrer, field):
    """A SONATA types CSV (space-separated, with a header) as {type id: {column: value}};
    NULL/NONE/empty values are left out."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = [r for r in csv.reader(f, delimiter=" ", skipinitialspace=True) if r]
    except FileNotFoundError:
        raise SonataError(referrer, field, f"{path} does not exist") from None
    if not rows:
        raise SonataError(path, None, "empty (a header row and one row per type expected)")
    header = rows[0]
    if id_column not in header:
        raise SonataError(path, id_column, f"missing column (the header has {', '.join(header)})")
    types = {}
    for line, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            raise SonataError(
                path, f"line {line}", f"{len(r)} values for the {len(header)} columns of the header"
            )
        row = {k: v for k, v in zip(header, r) if v not in ("", "NULL", "NONE", "None")}
        try:
            tid = int(row[id_column])
        except (KeyError, ValueError):
            raise SonataError(
                path, f"line {line}", f"{id_column} {row.get(id_column)!r} is not an integer"
            ) from None
        if tid in types:
            raise SonataError(path, f"line {line}", f"{id_column} {tid} appears twice")
        types[tid] = row
    return types, header


def _dataset(group, name, file, required=True):
    if name not in group or not hasattr(group[name], "shape"):
        if not required:
            return None
        have = ", ".join(sorted(group.keys())) or "nothing"
        raise SonataError(file, f"{group.name}/{name}", f"missing dataset (the group has {have})")
    return group[name][()]


def _ids(a, file, field):
    a = np.asarray(a)
    if a.ndim != 1 or not (np.issubdtype(a.dtype, np.integer) or a.size == 0):
        raise SonataError(file, field, f"expected a 1-d integer dataset, found {a.dtype} {a.shape}")
    if a.size and a.min() < 0:
        raise SonataError(file, field, f"negative id {a.min()}")
    return a.astype(np.int64)


def _strip_nest(template):
    return template.removeprefix("nest:")


# --- nodes -------------------------------------------------------------------------------


class _Group:
    """The nodes of one node type in one node population: one Ganglion population."""

    def __init__(self, name, sonata_pop, type_id, type_row, types_file, rows, node_ids):
        self.name = name
        self.sonata_pop = sonata_pop
        self.type_id = type_id
        self.type_row = type_row
        self.types_file = types_file
        self.rows = rows  # rows of the node population in this group, ascending
        self.node_ids = node_ids  # their SONATA node ids


class _NodePop:
    """One SONATA node population: its node ids, which group each node is in and its index
    there."""

    def __init__(self, name, file, virtual, node_ids, group_of_row, local_of_row, groups):
        self.name = name
        self.file = file
        self.virtual = virtual
        self.node_ids = node_ids
        self.group_of_row = group_of_row
        self.local_of_row = local_of_row
        self.groups = groups
        order = np.argsort(node_ids, kind="stable")
        self._sorted, self._order = node_ids[order], order

    def rows_of(self, ids, file, field):
        """Rows of the nodes with SONATA ids `ids`, or an error naming the first unknown id."""
        if len(self._sorted) == 0:
            ok, pos_c = np.zeros(len(ids), bool), np.zeros(len(ids), np.int64)
        else:
            pos = np.searchsorted(self._sorted, ids)
            pos_c = np.minimum(pos, len(self._sorted) - 1)
            ok = (pos < len(self._sorted)) & (self._sorted[pos_c] == ids)
        if not ok.all():
            bad = ids[~ok][0]
            raise SonataError(
                file,
                field,
                f'node id {bad} is not a node of population "{self.name}" ({self.file} has '
                f"{len(self.node_ids)} nodes)",
            )
        return self._order[pos_c]


def _read_nodes(conf, h5py):
    entries = _get(conf, ["networks", "nodes"])
    if not isinstance(entries, list) or not entries:
        raise SonataError(conf["_file"], "networks.nodes", "expected a non-empty list")
    pops, used_names = {}, set()
    for i, entry in enumerate(entries):
        field = f"networks.nodes[{i}]"
        if not isinstance(entry, dict):
            raise SonataError(conf["_file"], field, "expected an object")
        for key in ("nodes_file", "node_types_file"):
            if key not in entry:
                raise SonataError(conf["_file"], f"{field}.{key}", "missing")
        nodes_file = _path(conf, entry["nodes_file"], f"{field}.nodes_file")
        types_file = _path(conf, entry["node_types_file"], f"{field}.node_types_file")
        types, header = _read_types(
            types_file, "node_type_id", conf["_file"], f"{field}.node_types_file"
        )
        if "model_type" not in header:
            raise SonataError(
                types_file,
                "model_type",
                "missing column",
                "point_neuron (or point_process) for neurons, virtual for input nodes",
            )
        if not nodes_file.is_file():
            raise SonataError(conf["_file"], f"{field}.nodes_file", f"{nodes_file} does not exist")
        with h5py.File(nodes_file, "r") as h5:
            if "nodes" not in h5:
                raise SonataError(nodes_file, "/nodes", "missing group")
            for pop in h5["nodes"]:
                if pop in pops:
                    raise SonataError(
                        nodes_file, f"/nodes/{pop}", f'population "{pop}" is defined twice'
                    )
                g = h5["nodes"][pop]
                type_ids = _ids(
                    _dataset(g, "node_type_id", nodes_file), nodes_file, f"{g.name}/node_type_id"
                )
                node_ids = _dataset(g, "node_id", nodes_file, required=False)
                if node_ids is None:
                    node_ids = np.arange(len(type_ids), dtype=np.int64)
                else:
                    node_ids = _ids(node_ids, nodes_file, f"{g.name}/node_id")
                    if len(node_ids) != len(type_ids):
                        raise SonataError(
                            nodes_file,
                            f"{g.name}/node_id",
                            f"{len(node_ids)} ids for {len(type_ids)} nodes (node_type_id)",
                        )
                    if len(np.unique(node_ids)) != len(node_ids):
                        raise SonataError(nodes_file, f"{g.name}/node_id", "node ids repeat")
                _check_node_groups(g, nodes_file)
                pops[pop] = _make_node_pop(
                    pop, nodes_file, types_file, types, type_ids, node_ids, used_names
                )
    return pops


def _check_node_groups(g, file):
    for k in g:
        sub = g[k]
        if k.isdigit() and hasattr(sub, "keys"):
            for bad in ("dynamics_params", "model_template", "model_type"):
                if bad in sub:
                    raise SonataError(
                        file,
                        f"{sub.name}/{bad}",
                        f"per-node {bad} is not supported (NEST ignores it too)",
                        "give each group of nodes its own node type in the node-types CSV",
                    )


def _make_node_pop(pop, nodes_file, types_file, types, type_ids, node_ids, used_names):
    unknown = sorted(set(np.unique(type_ids).tolist()) - set(types))
    if unknown:
        raise SonataError(
            nodes_file,
            f"/nodes/{pop}/node_type_id",
            f"node type {unknown[0]} is not in {types_file} (it lists {', '.join(map(str, sorted(types)))})",
        )
    kinds = {types[t].get("model_type") for t in np.unique(type_ids).tolist()}
    if None in kinds:
        t = next(t for t in np.unique(type_ids).tolist() if "model_type" not in types[t])
        raise SonataError(types_file, "model_type", f"empty for node type {t}")
    for k in kinds:
        if k != "virtual" and k not in NEURON_MODEL_TYPES:
            raise SonataError(
                types_file,
                "model_type",
                f'"{k}" is not supported (population "{pop}")',
                "point_neuron or point_process for NEST models, virtual for input nodes",
            )
    virtual = kinds == {"virtual"}
    if "virtual" in kinds and not virtual:
        raise SonataError(
            types_file, "model_type", f'population "{pop}" mixes virtual and neuron node types'
        )
    group_of_row = np.zeros(len(type_ids), dtype=np.int64)
    local_of_row = np.zeros(len(type_ids), dtype=np.int64)
    groups = []
    if virtual:
        local_of_row[:] = np.arange(len(type_ids))
        return _NodePop(pop, nodes_file, True, node_ids, group_of_row, local_of_row, groups)
    order = sorted(np.unique(type_ids).tolist())
    model_names = {t: types[t].get("model_name") for t in order}
    readable = all(v is not None and _NAME.match(v) for v in model_names.values()) and len(
        set(model_names.values())
    ) == len(order)
    for gi, t in enumerate(order):
        rows = np.flatnonzero(type_ids == t)
        name = f"{pop}_{model_names[t] if readable else t}"
        if not _NAME.match(name) or name in used_names:
            name = f"{pop}_{t}"
        if not _NAME.match(name) or name in used_names:
            name = f"population_{len(used_names)}"
        used_names.add(name)
        group_of_row[rows] = gi
        local_of_row[rows] = np.arange(len(rows))
        groups.append(_Group(name, pop, t, types[t], types_file, rows, node_ids[rows]))
    return _NodePop(pop, nodes_file, False, node_ids, group_of_row, local_of_row, groups)


def _neuron_model(group, conf, catalogue):
    """(model, params, init) of a node group: Ganglion's model of the NEST model's name, and
    its dynamics params as spec values with units."""
    row, file = group.type_row, group.types_file
    where = f'node type {group.type_id} of population "{group.sonata_pop}"'
    if "model_template" not in row:
        raise SonataError(
            file,
            "model_template",
            f"missing for {where}",
            "the NEST model, e.g. nest:iaf_psc_alpha",
        )
    model = _strip_nest(row["model_template"])
    if model not in SUPPORTED_MODELS or model not in catalogue:
        supported = ", ".join(f"nest:{m}" for m in SUPPORTED_MODELS if m in catalogue)
        raise SonataError(
            file,
            "model_template",
            f'{where} uses "{row["model_template"]}", which Ganglion does not implement',
            f"supported: {supported}",
        )
    info = catalogue[model]
    values = {}
    if "dynamics_params" in row:
        pdir = _get(
            conf,
            ["components", "point_neuron_models_dir"],
            "the folder of the node types' dynamics_params JSON files",
        )
        pfile = _path(conf, pdir, "components.point_neuron_models_dir") / row["dynamics_params"]
        values = _read_json(pfile, "dynamics_params file", "dynamics_params", file)
        if not isinstance(values, dict):
            raise SonataError(pfile, None, "expected a JSON object of parameter names and values")
        file = pfile
    params, init = {}, {}
    units = {p["name"]: p["unit"] for p in info["params"]}
    state_units = {s["name"]: s["unit"] for s in info["state"]}
    for k, v in NEST_INITIAL_STATE[model].items():
        if k in state_units:
            init[k] = _quantity(v, state_units[k])
    for k, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SonataError(file, k, f"expected a number, found {v!r}")
        if k in units:
            params[k] = _quantity(v, units[k])
        elif k in state_units:
            init[k] = _quantity(v, state_units[k])
        else:
            known = ", ".join(list(units) + list(state_units))
            raise SonataError(
                file,
                k,
                f'{model} ({where}) has no parameter or state "{k}"',
                f"{model} has: {known}",
            )
    return model, params, init


def _quantity(v, unit):
    v = float(v)
    return f"{v!r} {unit}" if unit else v


# --- edges -------------------------------------------------------------------------------


def _edge_types(conf, comp, entry_field, types_file):
    types, header = _read_types(
        types_file, "edge_type_id", conf["_file"], f"{entry_field}.edge_types_file"
    )
    if "model_template" not in header:
        raise SonataError(
            types_file, "model_template", "missing column", "the NEST synapse model, static_synapse"
        )
    out = {}
    for tid, row in types.items():
        where = f"edge type {tid}"
        model = _strip_nest(row.get("model_template", ""))
        if model not in SUPPORTED_SYNAPSES:
            raise SonataError(
                types_file,
                "model_template",
                f'{where} uses "{row.get("model_template", "")}", which Ganglion does not import',
                f"supported: {', '.join(SUPPORTED_SYNAPSES)} (plastic synapses are not imported)",
            )
        spec = {}
        for col, key in (("syn_weight", "weight"), ("weight", "weight"), ("delay", "delay")):
            if col in row:
                try:
                    spec[key] = float(row[col])
                except ValueError:
                    raise SonataError(
                        types_file, col, f"{where}: {row[col]!r} is not a number"
                    ) from None
        if "dynamics_params" in row:
            sdir = _get(
                comp,
                ["components", "synaptic_models_dir"],
                "the folder of the edge types' dynamics_params JSON files",
            )
            pfile = _path(comp, sdir, "components.synaptic_models_dir") / row["dynamics_params"]
            d = _read_json(pfile, "dynamics_params file", "dynamics_params", types_file)
            if not isinstance(d, dict):
                raise SonataError(pfile, None, "expected a JSON object")
            for k, v in d.items():
                if k not in ("weight", "delay"):
                    raise SonataError(
                        pfile,
                        k,
                        f'static_synapse ({where}) has no parameter "{k}"',
                        "it has weight and delay",
                    )
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise SonataError(pfile, k, f"expected a number, found {v!r}")
                spec[k] = float(v)
        out[tid] = spec
    return out


def _edge_values(g, file, n, type_ids, etypes, name, default):
    """Per-edge `name` (syn_weight or delay): the edge group's dataset, else the edge type's
    value, else NEST's default."""
    key = "weight" if name == "syn_weight" else "delay"
    out = (
        np.array([etypes[t].get(key, default) for t in type_ids.tolist()], dtype=np.float64)
        if n
        else (np.zeros(0))
    )
    groups = [k for k in g if k.isdigit() and hasattr(g[k], "keys")]
    if not groups:
        return out
    gid = _dataset(g, "edge_group_id", file)
    gidx = _dataset(g, "edge_group_index", file)
    for ds, label in ((gid, "edge_group_id"), (gidx, "edge_group_index")):
        if len(ds) != n:
            raise SonataError(file, f"{g.name}/{label}", f"{len(ds)} values for {n} edges")
    for k in groups:
        sub = g[k]
        if "dynamics_params" in sub:
            raise SonataError(
                file,
                f"{sub.name}/dynamics_params",
                "per-edge dynamics_params are not supported (NEST ignores them too)",
                "give such edges their own edge type",
            )
        if name not in sub:
            continue
        vals = np.asarray(sub[name][()], dtype=np.float64)
        rows = np.flatnonzero(gid == int(k))
        idx = np.asarray(gidx[rows], dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= len(vals)):
            raise SonataError(
                file,
                f"{g.name}/edge_group_index",
                f"index {idx.max()} is outside edge group {k}'s {name} ({len(vals)} values)",
            )
        out[rows] = vals[idx]
    if not np.all(np.isfinite(out)):
        raise SonataError(file, f"{g.name}/*/{name}", f"{name} is not finite")
    return out


def _read_edges(conf, comp, pops, h5py):
    """For each edge population: (file, source pop, target pop, source rows, target rows,
    weights, delays [ms])."""
    entries = conf.get("networks", {}).get("edges", [])
    if not isinstance(entries, list):
        raise SonataError(conf["_file"], "networks.edges", "expected a list")
    out = []
    for i, entry in enumerate(entries):
        field = f"networks.edges[{i}]"
        if not isinstance(entry, dict):
            raise SonataError(conf["_file"], field, "expected an object")
        if entry.get("enabled", True) is False:
            continue
        for key in ("edges_file", "edge_types_file"):
            if key not in entry:
                raise SonataError(conf["_file"], f"{field}.{key}", "missing")
        edges_file = _path(conf, entry["edges_file"], f"{field}.edges_file")
        types_file = _path(conf, entry["edge_types_file"], f"{field}.edge_types_file")
        etypes = _edge_types(conf, comp, field, types_file)
        if not edges_file.is_file():
            raise SonataError(conf["_file"], f"{field}.edges_file", f"{edges_file} does not exist")
        with h5py.File(edges_file, "r") as h5:
            if "edges" not in h5:
                raise SonataError(edges_file, "/edges", "missing group")
            for epop in h5["edges"]:
                out.append(_read_edge_pop(h5["edges"][epop], edges_file, types_file, etypes, pops))
    return out


def _read_edge_pop(g, file, types_file, etypes, pops):
    src = _ids(_dataset(g, "source_node_id", file), file, f"{g.name}/source_node_id")
    tgt = _ids(_dataset(g, "target_node_id", file), file, f"{g.name}/target_node_id")
    types = _ids(_dataset(g, "edge_type_id", file), file, f"{g.name}/edge_type_id")
    n = len(src)
    for ds, label in ((tgt, "target_node_id"), (types, "edge_type_id")):
        if len(ds) != n:
            raise SonataError(
                file, f"{g.name}/{label}", f"{len(ds)} values for {n} source_node_id values"
            )
    names = []
    for label in ("source_node_id", "target_node_id"):
        attr = g[label].attrs.get("node_population")
        if attr is None:
            raise SonataError(
                file,
                f"{g.name}/{label}",
                "missing attribute node_population",
                "the name of a node population",
            )
        attr = attr.decode() if isinstance(attr, bytes) else str(attr)
        if attr not in pops:
            raise SonataError(
                file,
                f"{g.name}/{label}@node_population",
                f'"{attr}" is not a node population (the configs define {", ".join(sorted(pops))})',
            )
        names.append(attr)
    sp, tp = pops[names[0]], pops[names[1]]
    if tp.virtual:
        raise SonataError(
            file,
            f"{g.name}/target_node_id",
            f'edges onto virtual population "{tp.name}" cannot be simulated',
        )
    unknown = sorted(set(np.unique(types).tolist()) - set(etypes))
    if unknown:
        raise SonataError(
            file,
            f"{g.name}/edge_type_id",
            f"edge type {unknown[0]} is not in {types_file} (it lists {', '.join(map(str, sorted(etypes)))})",
        )
    srows = sp.rows_of(src, file, f"{g.name}/source_node_id")
    trows = tp.rows_of(tgt, file, f"{g.name}/target_node_id")
    w = _edge_values(g, file, n, types, etypes, "syn_weight", NEST_DEFAULT_WEIGHT)
    d = _edge_values(g, file, n, types, etypes, "delay", NEST_DEFAULT_DELAY_MS)
    return file, g.name, sp, tp, srows, trows, w, d


# --- inputs ------------------------------------------------------------------------------


def _nest_steps(t, dt):
    """Steps at which NEST's spike_train_injector (allow_offgrid_times) emits spikes at times
    `t` [ms]: the nearest step when within half a tic of it, else the end of their step."""
    near = np.rint(t / dt)
    on = np.abs(t - near * dt) < NEST_TIC_MS / 2
    return np.where(on, near, np.ceil(t / dt)).astype(np.int64)


def _read_spikes(sim, pop, dt, tstop, h5py):
    """Spike steps of each node (row) of virtual population `pop` (a list of int arrays), the
    number of spikes dropped at step 0 and the number left out at or after `tstop`."""
    inputs = sim.get("inputs", {})
    chosen = None
    if isinstance(inputs, dict):
        for name, inp in inputs.items():
            if isinstance(inp, dict) and inp.get("node_set") == pop.name:
                chosen = (name, inp)
                break
    if chosen is None:
        raise SonataError(
            sim["_file"],
            "inputs",
            f'no input has node_set "{pop.name}", but virtual population "{pop.name}" has edges',
            'add {"input_type": "spikes", "module": "h5", "input_file": ..., "node_set": "'
            + pop.name
            + '"}',
        )
    name, inp = chosen
    field = f"inputs.{name}"
    if inp.get("input_type", "spikes") != "spikes":
        raise SonataError(
            sim["_file"], f"{field}.input_type", f'"{inp["input_type"]}" is not supported', "spikes"
        )
    if "input_file" not in inp:
        raise SonataError(sim["_file"], f"{field}.input_file", "missing")
    file = _path(sim, inp["input_file"], f"{field}.input_file")
    if not file.is_file():
        raise SonataError(sim["_file"], f"{field}.input_file", f"{file} does not exist")
    with h5py.File(file, "r") as h5:
        if "spikes" not in h5:
            raise SonataError(file, "/spikes", "missing group")
        g = h5["spikes"]
        if pop.name in g and hasattr(g[pop.name], "keys"):
            g = g[pop.name]
        id_name = "node_ids" if "node_ids" in g else "gids"
        if id_name not in g:
            raise SonataError(file, f"{g.name}/node_ids", "missing dataset (node_ids or gids)")
        ids = _ids(g[id_name][()], file, f"{g.name}/{id_name}")
        times = np.asarray(_dataset(g, "timestamps", file), dtype=np.float64)
        units = g["timestamps"].attrs.get("units", "ms")
        units = units.decode() if isinstance(units, bytes) else str(units)
    if len(times) != len(ids):
        raise SonataError(
            file, f"{g.name}/timestamps", f"{len(times)} times for {len(ids)} {id_name}"
        )
    scale = {"ms": 1.0, "s": 1000.0}.get(units)
    if scale is None:
        raise SonataError(file, f"{g.name}/timestamps@units", f'unknown unit "{units}"', "ms or s")
    times = times * scale
    if times.size and not (np.all(np.isfinite(times)) and times.min() > 0):
        bad = times[~(np.isfinite(times) & (times > 0))][0]
        raise SonataError(
            file,
            f"{g.name}/timestamps",
            f"spike time {bad} ms is not positive (NEST refuses it too)",
        )
    rows = pop.rows_of(ids, file, f"{g.name}/{id_name}")
    steps = _nest_steps(times, dt)
    keep = steps > 0
    # A spike emitted at or after the end of the run is never delivered.
    late = steps * dt >= tstop - dt * 1e-6
    rows, steps = rows[keep & ~late], steps[keep & ~late]
    order = np.lexsort((steps, rows))
    rows, steps = rows[order], steps[order]
    bounds = np.searchsorted(rows, np.arange(len(pop.node_ids) + 1))
    trains = [steps[bounds[i] : bounds[i + 1]] for i in range(len(pop.node_ids))]
    return trains, int((~keep).sum()), int((keep & late).sum())


# --- spec --------------------------------------------------------------------------------


def _build(config, sim_config, out, ganglion):
    """Write spec.toml, its .npy files and sonata_map.json into the folder `out`."""
    import h5py

    circuit, sim = _configs(config, sim_config)
    run = _get(sim, ["run"], "run = { dt = ..., tstop = ... } in ms")
    dt = run.get("dt")
    if dt is None:
        raise SonataError(sim["_file"], "run.dt", "missing", "the time step in ms, e.g. 0.1")
    tstop = run.get("tstop", run.get("duration"))
    if tstop is None:
        raise SonataError(
            sim["_file"], "run.tstop", "missing (nor run.duration)", "the simulated time in ms"
        )
    for k, v in (("dt", dt), ("tstop", tstop)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
            raise SonataError(
                sim["_file"], f"run.{k}", f"expected a positive number of ms, found {v!r}"
            )
    dt, tstop = float(dt), float(tstop)

    catalogue = {m["name"]: m for m in ganglion.models()}
    pops = _read_nodes(circuit, h5py)
    # NEST merges the simulation config into the circuit config: `components` may be in either.
    comp = circuit if "components" in circuit or "components" not in sim else sim
    edges = _read_edges(circuit, comp, pops, h5py)

    spec = {
        "simulation": {"dt": f"{dt!r} ms", "duration": f"{tstop!r} ms", "seed": 0, "threads": 1},
        "population": [],
        "projection": [],
        "input": [],
        "monitor": [],
    }
    mapping = {"config": str(circuit["_file"]), "sim_config": str(sim["_file"]), "populations": {}}
    group_info = {}
    for pop in pops.values():
        for grp in pop.groups:
            model, params, init = _neuron_model(grp, comp, catalogue)
            table = {"name": grp.name, "size": len(grp.rows), "model": model}
            if params:
                table["params"] = params
            if init:
                table["init"] = init
            spec["population"].append(table)
            spec["monitor"].append({"kind": "spikes", "population": grp.name})
            group_info[grp.name] = catalogue[model]
            mapping["populations"][grp.name] = {
                "sonata_population": pop.name,
                "node_type_id": grp.type_id,
                "model_name": grp.type_row.get("model_name"),
                "model": model,
                "node_ids": grp.node_ids.tolist(),
            }
    (out / "edges").mkdir()
    (out / "inputs").mkdir()
    spikes_cache, dropped, late = {}, 0, 0
    for file, gname, sp, tp, srows, trows, w, d in edges:
        tg = tp.group_of_row[trows]
        tl = tp.local_of_row[trows]
        if sp.virtual:
            if sp.name not in spikes_cache:
                spikes_cache[sp.name], n_drop, n_late = _read_spikes(sim, sp, dt, tstop, h5py)
                dropped, late = dropped + n_drop, late + n_late
            _add_inputs(
                spec,
                out,
                spikes_cache[sp.name],
                sp,
                tp,
                srows,
                tg,
                tl,
                w,
                d,
                dt,
                group_info,
                file,
                gname,
            )
        else:
            sg = sp.group_of_row[srows]
            sl = sp.local_of_row[srows]
            _add_projections(spec, out, sp, tp, sg, sl, tg, tl, w, d, group_info, gname)
    if not spec["population"]:
        raise SonataError(
            circuit["_file"], "networks.nodes", "no neuron populations (only virtual nodes)"
        )
    header = [
        f"Imported from SONATA by ganglion.sonata: {circuit['_file']}",
        f"with simulation config {sim['_file']}.",
        "sonata_map.json maps each population's neurons to SONATA node ids.",
    ]
    if dropped:
        header.append(f"{dropped} input spikes at time step 0 were dropped, as NEST drops them.")
    if late:
        header.append(
            f"{late} input spikes at or after the end of the run ({tstop!r} ms) were left out."
        )
    spec = {k: v for k, v in spec.items() if v}
    (out / "spec.toml").write_text(spec_to_toml(spec, header), encoding="utf-8")
    (out / "sonata_map.json").write_text(json.dumps(mapping, indent=1) + "\n", encoding="utf-8")


def _sign_parts(w, conductance):
    """(mask, receptor, weights to write) for the excitatory (w ≥ 0) and inhibitory (w < 0)
    synapses; conductance models take magnitudes on their inhibitory receptor, as NEST's do."""
    parts = []
    for mask, receptor in ((w >= 0, "excitatory"), (w < 0, "inhibitory")):
        if mask.any():
            parts.append((mask, receptor, np.abs(w[mask]) if conductance else w[mask]))
    return parts


def _add_projections(spec, out, sp, tp, sg, sl, tg, tl, w, d, group_info, gname):
    for si, sgrp in enumerate(sp.groups):
        for ti, tgrp in enumerate(tp.groups):
            sel = (sg == si) & (tg == ti)
            if not sel.any():
                continue
            info = group_info[tgrp.name]
            cond = info["weight_unit"] == "nS"
            for mask, receptor, ws in _sign_parts(w[sel], cond):
                k = len(spec["projection"])
                rel = f"edges/projection_{k}.npy"
                table = np.column_stack([sl[sel][mask], tl[sel][mask], ws, d[sel][mask]]).astype(
                    np.float64
                )
                np.save(out / rel, table)
                name = f"{sgrp.name}→{tgrp.name}" + (":inh" if receptor == "inhibitory" else "")
                spec["projection"].append(
                    {
                        "name": name,
                        "source": sgrp.name,
                        "target": tgrp.name,
                        "connectivity": {
                            "rule": "edge_list",
                            "file": rel,
                            "weight_unit": info["weight_unit"],
                            "delay_unit": "ms",
                        },
                        "receptor": receptor,
                        "autapses": True,
                        "multapses": True,
                    }
                )


def _add_inputs(spec, out, spikes, sp, tp, srows, tg, tl, w, d, dt, group_info, file, gname):
    counts = np.array([len(s) for s in spikes], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)])
    flat = np.concatenate(spikes) if spikes else np.zeros(0, np.int64)
    for ti, tgrp in enumerate(tp.groups):
        sel = tg == ti
        if not sel.any():
            continue
        info = group_info[tgrp.name]
        cond = info["weight_unit"] == "nS"
        keys = np.column_stack([w[sel], d[sel]])
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        if len(spec["input"]) + len(uniq) > MAX_INPUT_GROUPS:
            raise SonataError(
                file,
                f"{gname}/*/syn_weight",
                f'the edges from virtual population "{sp.name}" have more than {MAX_INPUT_GROUPS} '
                "distinct (weight, delay) pairs; each needs its own spike_times input",
                "Ganglion's spike_times inputs take one weight each (no per-spike weights yet)",
            )
        s_rows, t_loc = srows[sel], tl[sel]
        for u, (wu, du) in enumerate(uniq):
            e = inverse == u
            src, tgt = s_rows[e], t_loc[e]
            n = counts[src]
            if n.sum() == 0:
                continue
            # Every spike of every edge's source, sent to the edge's target.
            idx = np.repeat(starts[src] - np.concatenate([[0], np.cumsum(n)[:-1]]), n) + np.arange(
                n.sum()
            )
            steps = flat[idx]
            # Times on the grid, to 1e-9 ms (Ganglion rounds them to the nearest step).
            events = np.column_stack([np.repeat(tgt, n), np.round(steps * dt, 9)]).astype(
                np.float64
            )
            order = np.lexsort((events[:, 0], events[:, 1]))
            k = len(spec["input"])
            rel = f"inputs/input_{k}.npy"
            np.save(out / rel, events[order])
            receptor = "inhibitory" if wu < 0 else "excitatory"
            weight = abs(wu) if cond else wu
            spec["input"].append(
                {
                    "name": f"{sp.name}→{tgrp.name}:{u}",
                    "kind": "spike_times",
                    "target": tgrp.name,
                    "file": rel,
                    "weight": _quantity(weight, info["weight_unit"]),
                    "delay": f"{float(du)!r} ms",
                    "receptor": receptor,
                }
            )


def load(config, out_dir=None, *, sim_config=None):
    """Import a SONATA network as a Ganglion spec and return it as a validated
    :class:`ganglion.Circuit`.

    ``config``: the circuit config (``networks``), a simulation config that names it under
    ``network``, or one file with both; ``sim_config``: the simulation config when it is a
    separate file not reached from ``config``. ``out_dir``: the folder to create with
    ``spec.toml`` (run it with ``ganglion run out_dir/spec.toml``), the ``.npy`` edge lists and
    spike inputs it refers to, and ``sonata_map.json``; it must not exist or be empty. When
    None, a new temporary folder is made (``circuit.path`` names the spec in it).

    Raises :class:`SonataError` (a ``ValueError``) naming the file and field at fault, with
    nothing written; ``ImportError`` without h5py.
    """
    import ganglion

    if out_dir is None:
        final = pathlib.Path(tempfile.mkdtemp(prefix="ganglion-sonata-"))
        try:
            _build(config, sim_config, final, ganglion)
            return _load_spec(final, config, ganglion)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise
    final = pathlib.Path(out_dir).resolve()
    if final.exists() and (not final.is_dir() or any(final.iterdir())):
        raise SonataError(final, None, "exists and is not an empty folder", "choose a new out_dir")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    try:
        _build(config, sim_config, tmp, ganglion)
        _load_spec(tmp, config, ganglion)
        if final.exists():
            final.rmdir()
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ganglion.load(final / "spec.toml")


def _load_spec(folder, config, ganglion):
    try:
        return ganglion.load(folder / "spec.toml")
    except ganglion.SpecError as e:
        raise SonataError(config, None, f"the imported spec is not valid Ganglion:\n{e}") from e


def main(argv=None):
    """``python -m ganglion.sonata CONFIG OUT_DIR [--sim-config SIM]``: import and print a
    summary; exit status 1 with the error on stderr when the import fails."""
    ap = argparse.ArgumentParser(
        prog="python -m ganglion.sonata",
        description="Import a SONATA point-neuron network as a Ganglion spec (OUT_DIR/spec.toml).",
    )
    ap.add_argument("config", help="circuit config, or a simulation config naming it")
    ap.add_argument("out_dir", help="folder to create (must not exist or be empty)")
    ap.add_argument("--sim-config", help="the simulation config, when separate")
    a = ap.parse_args(argv)
    try:
        net = load(a.config, a.out_dir, sim_config=a.sim_config)
    except SonataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    s = net.summary()
    print(
        f"{net.path}: {s['populations']} populations, {s['neurons']} neurons, "
        f"{s['projections']} projections, {s['inputs']} inputs, {s['steps']} steps of {s['dt_ms']} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
