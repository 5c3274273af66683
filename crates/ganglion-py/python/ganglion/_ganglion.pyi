"""Type stubs of the compiled extension `ganglion._ganglion` (re-exported by `ganglion`)."""

import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

from .sweep import Sweep

__version__: str

SpecPath = Union[str, "os.PathLike[str]"]
SpecDict = Dict[str, Any]

class SpecError(ValueError):
    """A spec that cannot be parsed or is invalid.

    ``str(e)`` is the text ``ganglion validate`` prints (file:line: object: problem, and a
    hint); ``problems`` lists each problem as a dict with keys file, line, object, message
    and hint (file and line are None for a spec given as a dict).
    """

    problems: List[Dict[str, Any]]

class SimulationError(RuntimeError):
    """A run that failed in the engine, e.g. a state variable became NaN or infinite."""

def load(path: SpecPath) -> Circuit:
    """Load a TOML spec file and validate it.

    Raises SpecError (syntax or validation problems, with file:line), or
    FileNotFoundError/OSError when the file cannot be read.
    """

def validate(spec: Union[SpecPath, SpecDict, Circuit]) -> Dict[str, Any]:
    """Validate a spec and return its summary.

    Keys: name, populations, neurons, projections, synapses_estimate, inputs, monitors,
    steps, dt_ms, seed, threads, memory_estimate_bytes, notes. Raises SpecError with the
    same text as ``ganglion validate``.
    """

def models() -> List[Dict[str, Any]]:
    """The neuron models.

    Each a dict with name, summary, spiking, gap_junctions, differentiable, weight_unit,
    params (list of dicts: name, unit, default in that unit, range, doc) and state (name,
    unit, default — a number, or the name of the parameter it starts at — doc).
    """

class Circuit:
    """A validated circuit spec, ready to run."""

    @staticmethod
    def from_dict(spec: SpecDict) -> Circuit:
        """A circuit from a dict in the spec's TOML schema (units as strings, e.g. "20 ms").

        numpy scalars and arrays are accepted where numbers and lists are. Raises SpecError
        (unknown keys, wrong types — naming the key, e.g. ``population[1].size`` — and
        validation problems) or TypeError (values TOML has no type for, such as None).
        """

    @staticmethod
    def from_toml(text: str) -> Circuit:
        """A circuit from TOML text (messages name the file ``<string>``)."""

    @property
    def name(self) -> str:
        """The spec file's stem, or "circuit"."""

    @property
    def path(self) -> Optional[str]:
        """The spec file it was loaded from, or None."""

    def to_dict(self) -> SpecDict:
        """The spec as a dict in the TOML schema (a new copy each time)."""

    def to_toml(self) -> str:
        """The spec as TOML text."""

    def replace(self, values: Dict[str, Any]) -> Circuit:
        """A new, validated circuit with some spec values replaced.

        values maps paths to values: "simulation.KEY" or "SECTION.WHICH.KEY[.SUBKEY]" with
        SECTION one of population, projection, input, monitor and WHICH an index or a name
        ("source→target" for an unnamed projection, "->" accepted), e.g.
        {"input.0.rate": "2 kHz", "projection.exc→inh.weight": "30 pA"}. The new circuit
        keeps the spec file (data files, messages). Raises SpecError.
        """

    def sweep(
        self,
        grid: Dict[str, Sequence[Any]],
        *,
        link: Sequence[Sequence[str]] = (),
        duration: Optional[str] = None,
        threads: Optional[int] = 1,
        seed: Optional[int] = None,
        workers: Optional[int] = None,
        progress: Optional[Callable[[int, int], Any]] = None,
    ) -> Sweep:
        """Run the circuit at every point of a grid of spec values (see ganglion.sweep.sweep).

        Each point builds its own network; points run in parallel threads.
        """

    def summary(self) -> Dict[str, Any]:
        """What ``ganglion validate`` reports, as a dict (see ``validate``)."""

    def run(
        self,
        duration: Optional[str] = None,
        threads: Optional[int] = None,
        seed: Optional[int] = None,
        progress: Optional[Callable[[int, int], Any]] = None,
        all_weights: bool = False,
        cache: Optional["SynapseCache"] = None,
    ) -> Results:
        """Build and run the circuit.

        duration (e.g. "1 s"), threads (0 = all cores) and seed override the spec's
        [simulation] values like ``ganglion run --duration/--threads/--seed``; the same spec
        and seed give the same spikes as the command. The GIL is released while the engine
        runs; Ctrl-C raises KeyboardInterrupt within about 0.1 s. progress(done_steps,
        total_steps) is called between chunks of the run. all_weights returns the final
        weights of plastic projections even above 10 million synapses. cache (a SynapseCache)
        reuses the synapses of the last run made with it wherever they are the same. Raises
        SpecError for bad overrides and SimulationError when the engine fails.
        """

class SynapseCache:
    """Synapses kept between runs that differ only in values that do not change them (input
    rates, neuron parameters, initial states, plasticity settings, constant weights); pass it
    to ``Circuit.run(cache=...)``. Results are the same as without it, bit for bit."""

    def __init__(self) -> None: ...
    @property
    def generated(self) -> int:
        """Projections whose synapses were generated, over every run with this cache."""
    @property
    def reused(self) -> int:
        """Projections whose synapses were reused, over every run with this cache."""

class SpikeTrain:
    """Spikes of one population, in time order."""

    population: str
    times_ms: npt.NDArray[np.float64]
    """Spike times [ms], shape (spikes,)."""
    senders: npt.NDArray[np.uint32]
    """Neuron index (in the population) of each spike, shape (spikes,)."""
    recorded: int
    """Number of neurons recorded."""

class StateTrace:
    """A recorded state variable."""

    population: str
    variable: str
    values: npt.NDArray[np.float32]
    """Values in the variable's unit, shape (samples, neurons)."""
    times_ms: npt.NDArray[np.float64]
    """Sample times [ms], shape (samples,)."""
    neurons: npt.NDArray[np.uint32]
    """Recorded neuron indices, shape (neurons,)."""

class RateTrace:
    """A population rate."""

    population: str
    bin_ms: float
    rates_hz: npt.NDArray[np.float64]
    """Rate [Hz] per bin of bin_ms, shape (bins,)."""

class WeightTrace:
    """Recorded weights of a projection."""

    projection: str
    values: npt.NDArray[np.float32]
    """Weights, shape (samples, synapses)."""
    times_ms: npt.NDArray[np.float64]
    """Sample times [ms], shape (samples,)."""
    sources: npt.NDArray[np.uint32]
    """Source neuron of each recorded synapse, shape (synapses,)."""
    targets: npt.NDArray[np.uint32]
    """Target neuron of each recorded synapse, shape (synapses,)."""

class Results:
    """What a run recorded; the arrays own the engine's buffers (no copies)."""

    spikes: Dict[str, SpikeTrain]
    """Population name → spikes."""
    states: Dict[str, Dict[str, StateTrace]]
    """Population name → variable name → recording."""
    rates: Dict[str, RateTrace]
    """Population name → population rate."""
    weights: Dict[str, WeightTrace]
    """Projection name → recorded weights over time."""
    final_weights: Dict[str, npt.NDArray[np.float64]]
    """Plastic projection name → (synapses, 4): source, target, weight, delay [ms]."""
    populations: List[Dict[str, Any]]
    """Per population: name, size, model, spike_count, mean_rate_hz, cv_isi."""
    manifest: Dict[str, Any]
    """The run's manifest: the keys of manifest.json but files."""
    duration_ms: float
    dt_ms: float
