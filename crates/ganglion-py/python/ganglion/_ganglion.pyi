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

# ---- entry points: studies, reservoir, echo state network, training ----

def studies() -> List[Dict[str, str]]:
    """The paper reproductions, as ``ganglion study list`` prints them.

    Each dict has name, paper, checks (what is checked, in words), quick_runtime and
    full_runtime.
    """

def run_study(
    name: str,
    mode: str = "quick",
    out: Optional[SpecPath] = None,
    force: bool = False,
) -> Dict[str, Any]:
    """Run a paper reproduction as ``ganglion study run NAME --quick|--full`` does.

    ``mode`` is "quick" (seconds) or "full". ``out`` is the output folder (default
    runs/<name>/<UTC timestamp>); it must not exist or be empty unless ``force=True``
    (replaces a folder a study wrote). It receives report.md, the figures and metrics.json.

    Returns study, mode, passed (every check passed), checks_passed, checks_failed, checks
    (list of dicts: name, value, expected (text such as "≥ 0.5"), expect (kind and numbers as
    in metrics.json), source ("paper", "theory", "reference simulator", "self-consistency"),
    passed, note, seeds (per-seed statistics or None)), elapsed_s, out, report (report.md)
    and metrics (metrics.json as a dict). A failed check is not an exception.

    Raises ValueError for an unknown name (the message lists the studies) or mode,
    FileExistsError when ``out`` is taken, SimulationError when the study cannot finish.
    The GIL is released while it runs; Ctrl-C is answered when the study returns.
    """

def reservoir(task: str = "mackey-glass", **options: Union[int, float, str, "os.PathLike[str]"]) -> Dict[str, Any]:
    """Train and test an echo state network on a task, as ``ganglion reservoir --json`` does.

    task: "mackey-glass", "narma10", "lorenz", "memory-capacity" or "santafe". Options are
    the command's flags with underscores: size (1000), density (0.1), spectral_radius (0.9),
    steps (10000), seed (0), leak_rate, input_scaling, input_density (task defaults),
    activation ("tanh" | "linear"), weights ("normal" | "uniform" | "orthogonal"), ridge (a
    number, 1e-6, or "cv"), cv_folds (5), train_fraction (0.8), washout (100), mode
    ("teacher-forced" | "generative"), horizon (100), delays, data (Santa Fe file), threads.

    Returns task, mode, size, density, spectral_radius, steps, seed, train_steps, test_steps,
    nrmse (None for memory-capacity), memory_capacity (None otherwise), alpha, fit_s,
    predict_s, build_s, threads, kernel. Raises ValueError (unknown option, bad value; the
    command's text), TypeError (a value that is not a number or string), SimulationError (the
    reservoir diverged). The GIL is released while it runs.
    """

def mackey_glass(steps: int) -> npt.NDArray[np.float64]:
    """The Mackey–Glass series of ``ganglion reservoir --task mackey-glass``, scaled to [-1, 1].

    ``x = mackey_glass(N + 1)``: inputs ``x[:-1]``, one-step-ahead targets ``x[1:]`` for a run
    with ``steps=N``. τ = 17, a = 0.2, b = 0.1, n = 10, one sample per time unit. Shape (steps,).
    """

ArrayLike = Union[npt.NDArray[Any], Sequence[float], Sequence[Sequence[float]]]

class ESN:
    """An echo state network (Jaeger 2001) with a ridge-regression readout.

    ``x(t) = (1 − a)·x(t−1) + a·f(W x(t−1) + W_in u(t) + b)``, ``y = W_out x + c``: the
    reservoir and readout of ``ganglion reservoir`` (same settings and seed, same states bit
    for bit). Defaults follow reservoirpy. ``inputs`` (D) is taken from the first input
    array unless given; the weights are drawn then, from ``seed``. The reservoir keeps its
    state between calls; ``reset()`` zeroes it.

    Input arrays are float64 of shape (T,) or (T, D) (integer arrays and lists are
    converted); other dtypes raise TypeError, other shapes, empty arrays and NaN/inf raise
    ValueError naming the argument and its shape.
    """

    def __init__(
        self,
        units: int = 100,
        *,
        spectral_radius: Optional[float] = 0.9,
        leak_rate: float = 0.3,
        input_scaling: float = 1.0,
        density: float = 0.1,
        input_density: float = 0.1,
        bias_scaling: float = 0.0,
        activation: str = "tanh",
        weights: str = "normal",
        input_weights: str = "bernoulli",
        inputs: Optional[int] = None,
        seed: int = 0,
        threads: int = 0,
    ) -> None: ...
    @property
    def units(self) -> int:
        """Reservoir units N."""
    @property
    def inputs(self) -> Optional[int]:
        """Inputs D, or None until the first input array fixes it."""
    @property
    def state(self) -> npt.NDArray[np.float64]:
        """The current state x(t), shape (N,)."""
    @property
    def alpha(self) -> Optional[float]:
        """The fitted readout's ridge α, or None before fit."""
    @property
    def readout_weights(self) -> Optional[npt.NDArray[np.float64]]:
        """W_out, shape (outputs, N), or None before fit."""
    @property
    def readout_bias(self) -> Optional[npt.NDArray[np.float64]]:
        """The readout biases c, shape (outputs,), or None before fit."""
    def states(self, u: ArrayLike) -> npt.NDArray[np.float64]:
        """Drive the reservoir with u from its current state; the T states, shape (T, N).

        The GIL is released; Ctrl-C stops between chunks of about 0.1 s.
        """
    def fit(
        self,
        u: ArrayLike,
        y: ArrayLike,
        ridge: Union[float, str, None] = None,
        washout: int = 0,
        cv_folds: int = 5,
    ) -> "ESN":
        """Fit the readout on the states of u (after ``washout`` steps) to y, shape (T,) or (T, K).

        ``ridge``: α ≥ 0 (default 1e-6; the bias is not penalised) or "cv" (α from 1e-9 … 10
        by ``cv_folds``-fold cross-validation over contiguous blocks of time). The reservoir
        is left in its last state, so ``predict`` continues the series. Returns self.
        """
    def predict(self, u: ArrayLike) -> npt.NDArray[np.float64]:
        """Drive the reservoir with u and return the readout, shape (T, K).

        RuntimeError before fit.
        """
    def reset(self) -> None:
        """Set the reservoir state to zero (weights and readout stay)."""

def train(
    spec: SpecPath,
    data: str,
    *,
    data_dir: SpecPath = "data",
    epochs: Optional[int] = None,
    limit: Optional[int] = None,
    batch_size: Optional[int] = None,
    seed: Optional[int] = None,
    out: Optional[SpecPath] = None,
    resume: bool = False,
    progress: Optional[Callable[[int, Dict[str, float]], Any]] = None,
) -> Dict[str, Any]:
    """Train a circuit spec by gradient descent, as ``ganglion train SPEC --data DATA`` does.

    Settings come from the sidecar SPEC.train.toml (if present), overridden by the keywords.
    ``data``: "digits", "mnist" or "fashion-mnist" under ``data_dir`` (as
    scripts/fetch-data.sh lays it out); ``limit``: only the first N training and N test
    samples. ``out`` (default runs/<spec stem>-train) receives checkpoint.json and
    metrics.csv after every epoch, trained.toml (+ w_*.npy) and report.json at the end: the
    command's files (the command also draws metrics.svg). ``resume=True`` continues from the
    checkpoint, bit-identical to an uninterrupted run.

    ``progress(epoch, metrics)`` is called after each epoch (metrics: epoch, train_loss,
    train_accuracy, test_loss, test_accuracy, epoch_s, samples_per_s, epoch_cpu_s, lr). The
    GIL is released while an epoch trains; Ctrl-C raises KeyboardInterrupt after the current
    epoch, whose checkpoint is saved.

    Returns test_accuracy, epoch_s, epochs, metrics (per-epoch dicts), out_dir, trained_spec,
    metrics_csv and report. Raises SpecError (bad spec), FileNotFoundError (dataset missing),
    ValueError (settings the trainer cannot use), OSError.
    """
