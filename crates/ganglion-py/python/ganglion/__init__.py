"""Ganglion from Python: load, validate and run circuit specs; results as numpy arrays.

>>> import ganglion
>>> net = ganglion.load("examples/cuba.toml")          # or ganglion.Circuit.from_dict({...})
>>> res = net.run(duration="1 s", threads=2, seed=7)    # same spikes as `ganglion run --seed 7`
>>> res.spikes["exc"].times_ms, res.spikes["exc"].senders  # numpy arrays (ms, neuron index)

Units follow the spec files: values are strings with units ("20 ms", "250 pF"); results are
in NEST's base units (ms, mV, pA, nS, pF, Hz). Invalid specs raise ``SpecError`` with the same
file:line/object/hint text as ``ganglion validate``; engine failures raise ``SimulationError``.

The other commands are here too: ``studies()``/``run_study(name)`` (``ganglion study``),
``reservoir(task, **options)`` (``ganglion reservoir``), the echo state network ``ESN`` with
``states``/``fit``/``predict`` on numpy arrays, and ``train(spec, data)`` (``ganglion train``).
"""

from ._ganglion import (
    ESN,
    Circuit,
    RateTrace,
    Results,
    SimulationError,
    SpecError,
    SpikeTrain,
    StateTrace,
    SynapseCache,
    WeightTrace,
    __version__,
    load,
    mackey_glass,
    models,
    reservoir,
    run_study,
    studies,
    train,
    validate,
)
from .sweep import Sweep, sweep

__all__ = [
    "ESN",
    "Circuit",
    "RateTrace",
    "Results",
    "SimulationError",
    "SpecError",
    "SpikeTrain",
    "StateTrace",
    "Sweep",
    "SynapseCache",
    "WeightTrace",
    "__version__",
    "load",
    "mackey_glass",
    "models",
    "reservoir",
    "run_study",
    "studies",
    "sweep",
    "train",
    "validate",
]
