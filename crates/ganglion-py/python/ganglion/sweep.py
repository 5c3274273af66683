"""Parameter sweeps: run a circuit at every point of a grid of spec values, in one process.

``net.sweep({"input.0.rate": ["1 kHz", "2 kHz"], "projection.exc→inh.weight": ["10 pA",
"20 pA"]})`` runs the 4 points of the grid (the cartesian product, the last path varying
fastest; ``link=[("input.0.rate", "projection.exc→inh.weight")]`` makes the named paths vary
together instead, as ``ganglion sweep --link`` does) and returns a :class:`Sweep` with each point's values, its :class:`Results`, a table
of summary statistics and statistics shaped as the grid.

Every point is validated before any runs (a bad value fails at once, naming the point). Each
worker keeps a :class:`SynapseCache`: a point reuses the synapses of the worker's previous
point wherever they are the same (input rates, neuron parameters, initial states, plasticity
settings and constant weights change in place; a seed, a weight distribution or a connection
rule regenerates the projections concerned), as ``ganglion sweep`` does. Points run in
parallel threads, each engine run with the GIL released, so ``workers`` points use
``workers × threads`` cores.
"""

import csv
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np


class Sweep:
    """The outcome of a sweep.

    ``axes``: list of (path, values) in grid order; ``points``: for each point a dict
    path → value; ``results``: the :class:`Results` of each point, in the same order (the
    last dimension varies fastest); ``dims``: the grid's dimensions, each a tuple of the paths
    that vary together (one path, or a linked group).
    """

    def __init__(self, axes, points, results, dims=None):
        self.axes = axes
        self.points = points
        self.results = results
        self.dims = dims if dims is not None else [(p,) for p, _ in axes]

    @property
    def shape(self):
        """The grid's shape: the number of values of each dimension."""
        lengths = dict((p, len(v)) for p, v in self.axes)
        return tuple(lengths[d[0]] for d in self.dims)

    def table(self):
        """One dict per point: ``point`` (index), each path's value, and per population
        ``<pop>.spikes``, ``<pop>.rate_hz`` and ``<pop>.cv_isi`` (None without two spikes in
        any neuron)."""
        rows = []
        for i, (values, res) in enumerate(zip(self.points, self.results)):
            row = {"point": i}
            row.update(values)
            for p in res.populations:
                row[f"{p['name']}.spikes"] = p["spike_count"]
                row[f"{p['name']}.rate_hz"] = p["mean_rate_hz"]
                row[f"{p['name']}.cv_isi"] = p["cv_isi"]
            rows.append(row)
        return rows

    def statistic(self, name):
        """A column of :meth:`table` (e.g. ``"exc.rate_hz"``) as a float array shaped as the
        grid (NaN where the value is None)."""
        rows = self.table()
        if rows and name not in rows[0]:
            raise KeyError(f"no statistic {name!r}; the table has: {', '.join(rows[0])}")
        vals = [np.nan if r[name] is None else float(r[name]) for r in rows]
        return np.array(vals, dtype=np.float64).reshape(self.shape)

    def to_csv(self, path):
        """Write :meth:`table` as CSV."""
        rows = self.table()
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["point"])
            w.writeheader()
            w.writerows(rows)

    def __len__(self):
        return len(self.points)

    def __repr__(self):
        return f"<ganglion.Sweep {len(self)} points over {[p for p, _ in self.axes]}>"


def _dimensions(axes, link):
    """The grid's dimensions in ``grid`` order: each a tuple of paths varying together (one
    path, or a ``link`` group whose paths have equal numbers of values)."""
    lengths = dict((p, len(v)) for p, v in axes)
    group_of = {}
    for group in link:
        if isinstance(group, (str, bytes)) or len(group) < 2:
            raise ValueError(f"link: {group!r} is not a group; give tuples of at least two paths of grid")
        for path in group:
            if path not in lengths:
                raise ValueError(f"link {tuple(group)!r}: {path!r} is not a path of grid ({', '.join(lengths)})")
            if path in group_of:
                raise ValueError(f"link {tuple(group)!r}: {path!r} is already linked; list each path in one group")
            if lengths[path] != lengths[group[0]]:
                raise ValueError(
                    f"link {tuple(group)!r}: {path!r} has {lengths[path]} values but {group[0]!r} has "
                    f"{lengths[group[0]]}; linked paths need equal numbers of values")
        order = [p for p, _ in axes if p in group]
        for path in group:
            group_of[path] = tuple(order)
    dims = []
    for path, _ in axes:
        d = group_of.get(path, (path,))
        if d[0] == path:
            dims.append(d)
    return dims


def sweep(circuit, grid, *, link=(), duration=None, threads=1, seed=None, workers=None, progress=None):
    """Run ``circuit`` at every point of ``grid``.

    grid: dict path → list of values (paths as in ``Circuit.replace``: ``"input.0.rate"``,
    ``"projection.exc→inh.weight"``, ``"population.exc.params.tau_m"``, ``"simulation.seed"``).
    link: groups (tuples) of grid paths that vary together — point i of the group takes value
    i of each path — forming one dimension of the grid in the place of its first path.
    duration, threads, seed: as in ``Circuit.run``, for every point (threads per point).
    workers: points run at once (default: the number of cores divided by threads, at least 1).
    progress(done_points, total_points) is called as points finish.
    """
    if not isinstance(grid, dict) or not grid:
        raise TypeError("grid: a dict of path → list of values, e.g. {\"input.0.rate\": [\"1 kHz\", \"2 kHz\"]}")
    axes = []
    for path, values in grid.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"grid[{path!r}]: a list of values, not {values!r}")
        values = list(values.tolist() if hasattr(values, "tolist") else values)
        if not values:
            raise ValueError(f"grid[{path!r}]: no values")
        axes.append((path, values))
    dims = _dimensions(axes, link)
    values_of = dict(axes)
    points = []
    for combo in itertools.product(*[range(len(values_of[d[0]])) for d in dims]):
        chosen = {p: values_of[p][i] for d, i in zip(dims, combo) for p in d}
        points.append({p: chosen[p] for p, _ in axes})
    # Validate every point before running any.
    circuits = []
    for i, values in enumerate(points):
        try:
            circuits.append(circuit.replace(values))
        except Exception as e:
            err = type(e)(f"sweep point {i} {values}: {e}")
            if hasattr(e, "problems"):
                err.problems = e.problems
            raise err from e
    threads = 1 if threads is None else threads
    if workers is None:
        workers = max(1, (os.cpu_count() or 1) // max(1, threads))
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers={workers!r}: a positive integer")

    from ._ganglion import SynapseCache

    local = threading.local()

    def one(c):
        if not hasattr(local, "cache"):
            local.cache = SynapseCache()
        return c.run(duration=duration, threads=threads, seed=seed, cache=local.cache)

    results = [None] * len(circuits)
    with ThreadPoolExecutor(max_workers=min(workers, len(circuits))) as pool:
        futures = {pool.submit(one, c): i for i, c in enumerate(circuits)}
        done = 0
        for fut in futures:
            results[futures[fut]] = fut.result()
            done += 1
            if progress is not None:
                progress(done, len(circuits))
    return Sweep(axes, points, results, dims)
