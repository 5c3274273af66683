//! The extension module `ganglion._ganglion`: `load`, `validate`, `models`, `Circuit`,
//! `Results` and the record classes, and the exceptions `SpecError` and `SimulationError`;
//! the studies, reservoir and training entry points are in [`crate::entry`].

use crate::convert::{from_json, from_toml, to_toml};
use crate::{FIRST_CHUNK_STEPS, flag_to_keyword, manifest, next_chunk};
use ganglion_model::validate::{Overrides, validate_with};
use ganglion_model::{Circuit as Spec, MODELS, ModelError, Resolved, Source};
use ganglion_sim::{Network, Results as SimResults};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::create_exception;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use std::path::{Path, PathBuf};

create_exception!(
    ganglion,
    SpecError,
    PyValueError,
    "A spec that cannot be read or is invalid. The message is the text `ganglion validate` prints (file:line: object: problem, and a hint); `problems` lists each problem as a dict with keys file, line, object, message, hint."
);
create_exception!(
    ganglion,
    SimulationError,
    PyRuntimeError,
    "A run that failed in the engine, e.g. a state variable became NaN or infinite."
);

use pyo3::exceptions::PyRuntimeError;

/// A spec error as a Python exception: `SpecError` for syntax and validation problems (with
/// `problems`), `FileNotFoundError`/`OSError` when the file cannot be read.
pub(crate) fn spec_err(py: Python<'_>, e: &ModelError) -> PyErr {
    match e {
        ModelError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(e.to_string())
        }
        ModelError::Io { .. } => PyOSError::new_err(e.to_string()),
        ModelError::Syntax {
            path,
            line,
            message,
            ..
        } => with_problems(
            py,
            SpecError::new_err(e.to_string()),
            &[(
                Some(path.display().to_string()),
                Some(*line),
                String::new(),
                message.clone(),
                None,
            )],
        ),
        ModelError::Invalid(ps) => {
            let rows: Vec<_> = ps
                .iter()
                .map(|p| {
                    (
                        p.file.as_ref().map(|f| f.display().to_string()),
                        p.line,
                        p.object.clone(),
                        p.message.clone(),
                        p.hint.clone(),
                    )
                })
                .collect();
            with_problems(py, SpecError::new_err(e.to_string()), &rows)
        }
    }
}

type ProblemRow = (
    Option<String>,
    Option<usize>,
    String,
    String,
    Option<String>,
);

fn with_problems(py: Python<'_>, err: PyErr, rows: &[ProblemRow]) -> PyErr {
    let list = PyList::empty(py);
    for (file, line, object, message, hint) in rows {
        let d = PyDict::new(py);
        let set = || -> PyResult<()> {
            d.set_item("file", file)?;
            d.set_item("line", line)?;
            d.set_item("object", object)?;
            d.set_item("message", message)?;
            d.set_item("hint", hint)?;
            list.append(&d)
        };
        if let Err(e) = set() {
            return e;
        }
    }
    if let Err(e) = err.value(py).setattr("problems", list) {
        return e;
    }
    err
}

/// Validate with the keyword overrides. Problems of the overrides alone are reported like
/// the CLI does for its flags, naming the keyword instead of the flag.
fn resolve(
    py: Python<'_>,
    spec: &Spec,
    src: &Source,
    o: &Overrides,
) -> PyResult<(Resolved, Vec<String>)> {
    match validate_with(spec, src, o) {
        Ok(x) => Ok(x),
        Err(e)
            if !e.problems().is_empty()
                && e.problems()
                    .iter()
                    .all(|p| p.file.is_none() && p.object.starts_with("--")) =>
        {
            let mut ps = e.problems().to_vec();
            for p in &mut ps {
                p.object = flag_to_keyword(&p.object);
                p.hint = p.hint.as_ref().map(|h| {
                    h.replace("--duration ", "duration=")
                        .replace("--threads ", "threads=")
                        .replace("--seed ", "seed=")
                });
            }
            let lines: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
            let rows: Vec<ProblemRow> = ps
                .iter()
                .map(|p| {
                    (
                        None,
                        None,
                        p.object.clone(),
                        p.message.clone(),
                        p.hint.clone(),
                    )
                })
                .collect();
            Err(with_problems(
                py,
                SpecError::new_err(lines.join("\n")),
                &rows,
            ))
        }
        Err(e) => Err(spec_err(py, &e)),
    }
}

/// A spec as a Python dict: (circuit, source) with no file.
fn spec_from_dict(d: &Bound<'_, PyAny>) -> PyResult<(Spec, Source)> {
    if !d.is_instance_of::<PyDict>() {
        return Err(PyTypeError::new_err(format!(
            "a spec is a dict (the TOML file's tables), not a {}",
            d.get_type().name()?
        )));
    }
    let value = to_toml(d, "")?;
    Ok((spec_from_value(&value, "spec dict")?, Source::default()))
}

/// A circuit from its TOML value; errors start with `what`.
fn spec_from_value(value: &toml::Value, what: &str) -> PyResult<Spec> {
    // Through TOML text, so that a type error has a line, which names the key.
    let text = toml::to_string(value).map_err(|e| SpecError::new_err(format!("{what}: {e}")))?;
    let spec = match ganglion_model::parse_str(&text, Path::new("<dict>")) {
        Ok(s) => s,
        Err(ModelError::Syntax { line, message, .. }) => {
            let at = crate::place_of_error(&text, line, &message);
            let at = if at.is_empty() {
                String::new()
            } else {
                format!("{at}: ")
            };
            return Err(SpecError::new_err(format!(
                "{what}: {at}{}",
                message.trim_end()
            )));
        }
        Err(e) => return Err(SpecError::new_err(format!("{what}: {e}"))),
    };
    Ok(spec)
}

/// A path, a dict or a `Circuit` as (circuit, source).
fn spec_of(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<(Spec, Source)> {
    if let Ok(c) = x.cast::<Circuit>() {
        let c = c.get();
        return Ok((c.spec.clone(), c.source.clone()));
    }
    if x.is_instance_of::<PyDict>() {
        return spec_from_dict(x);
    }
    match x.extract::<PathBuf>() {
        Ok(p) => ganglion_model::load(&p).map_err(|e| spec_err(py, &e)),
        Err(_) => Err(PyTypeError::new_err(format!(
            "expected a spec file path (str or os.PathLike), a dict or a Circuit, not a {}",
            x.get_type().name()?
        ))),
    }
}

/// Summary of a validated circuit (what `ganglion validate` prints), as a dict.
fn summary<'py>(py: Python<'py>, r: &Resolved, notes: &[String]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", &r.name)?;
    d.set_item("populations", r.populations.len())?;
    d.set_item(
        "neurons",
        r.populations.iter().map(|p| p.size).sum::<usize>(),
    )?;
    d.set_item("projections", r.projections.len())?;
    d.set_item("synapses_estimate", r.memory.synapses)?;
    d.set_item("inputs", r.inputs.len())?;
    d.set_item("monitors", r.monitors.len())?;
    d.set_item("steps", r.steps)?;
    d.set_item("dt_ms", r.dt)?;
    d.set_item("seed", r.seed)?;
    d.set_item("threads", r.threads)?;
    d.set_item("memory_estimate_bytes", r.memory.peak_bytes)?;
    d.set_item("notes", notes.to_vec())?;
    Ok(d)
}

/// Load a TOML spec file and validate it; returns a :class:`Circuit`.
///
/// Raises ``SpecError`` (syntax or validation problems, with file:line), or
/// ``FileNotFoundError``/``OSError`` when the file cannot be read.
#[pyfunction]
fn load(py: Python<'_>, path: PathBuf) -> PyResult<Circuit> {
    let (spec, source) = ganglion_model::load(&path).map_err(|e| spec_err(py, &e))?;
    Circuit::new(py, spec, source)
}

/// Validate a spec (a file path, a dict in the TOML schema, or a ``Circuit``) and return its
/// summary: populations, neurons, projections, synapses_estimate, inputs, monitors, steps,
/// dt_ms, seed, threads, memory_estimate_bytes and notes (values validation rounded or
/// capped). Raises ``SpecError`` with the same text as ``ganglion validate``.
#[pyfunction]
fn validate<'py>(py: Python<'py>, spec: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let (c, src) = spec_of(py, spec)?;
    let (r, notes) = resolve(py, &c, &src, &Overrides::default())?;
    summary(py, &r, &notes)
}

/// The neuron models: a list of dicts with name, summary, spiking, gap_junctions,
/// differentiable, weight_unit, params (name, unit, default in that unit, range, doc) and
/// state (name, unit, default — a number, or the name of the parameter it starts at — doc).
#[pyfunction]
fn models(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let out = PyList::empty(py);
    for m in MODELS {
        let d = PyDict::new(py);
        d.set_item("name", m.name)?;
        d.set_item("summary", m.summary)?;
        d.set_item("spiking", m.spiking)?;
        d.set_item("gap_junctions", m.gap_junctions)?;
        d.set_item("differentiable", m.differentiable)?;
        d.set_item("weight_unit", m.synapse.weight_dim().base_unit())?;
        let params = PyList::empty(py);
        for p in m.params {
            let q = PyDict::new(py);
            q.set_item("name", p.name)?;
            q.set_item("unit", p.dim.base_unit())?;
            q.set_item("default", p.default)?;
            q.set_item(
                "range",
                match p.range {
                    ganglion_model::models::Range::Any => "any",
                    ganglion_model::models::Range::Positive => "positive",
                    ganglion_model::models::Range::NonNegative => "non-negative",
                },
            )?;
            q.set_item("doc", p.doc)?;
            params.append(q)?;
        }
        d.set_item("params", params)?;
        let state = PyList::empty(py);
        for s in m.state {
            let q = PyDict::new(py);
            q.set_item("name", s.name)?;
            q.set_item("unit", s.dim.base_unit())?;
            match s.default {
                ganglion_model::models::StateDefault::Const(v) => q.set_item("default", v)?,
                ganglion_model::models::StateDefault::Param(p) => q.set_item("default", p)?,
            }
            q.set_item("doc", s.doc)?;
            state.append(q)?;
        }
        d.set_item("state", state)?;
        out.append(d)?;
    }
    Ok(out)
}

/// A validated circuit spec, ready to run. Build it with ``ganglion.load(path)``,
/// ``Circuit.from_dict(d)`` or ``Circuit.from_toml(text)``.
#[pyclass(module = "ganglion", frozen)]
struct Circuit {
    spec: Spec,
    source: Source,
    name: String,
}

impl Circuit {
    fn new(py: Python<'_>, spec: Spec, source: Source) -> PyResult<Circuit> {
        let (r, _) = resolve(py, &spec, &source, &Overrides::default())?;
        Ok(Circuit {
            spec,
            source,
            name: r.name,
        })
    }
}

/// A keyword argument that must be a non-negative integer.
fn uint_arg(name: &str, x: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    let Some(x) = x.filter(|x| !x.is_none()) else {
        return Ok(None);
    };
    let bad = || {
        PyTypeError::new_err(format!(
            "{name}={}: must be a non-negative integer",
            x.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    };
    if x.is_instance_of::<pyo3::types::PyBool>() {
        return Err(bad());
    }
    x.extract::<u64>().map(Some).map_err(|_| {
        if x.is_instance_of::<pyo3::types::PyInt>() {
            PyValueError::new_err(format!(
                "{name}={x}: must be a non-negative integer (at most {})",
                u64::MAX
            ))
        } else {
            bad()
        }
    })
}

#[pymethods]
impl Circuit {
    /// A circuit from a dict in the spec's TOML schema: ``{"simulation": {...},
    /// "population": [{...}], "projection": [...], "input": [...], "monitor": [...]}`` with
    /// units as strings (``"20 ms"``). Relative data-file names are read from the current
    /// folder. Raises ``SpecError`` (unknown keys, wrong types, validation problems) or
    /// ``TypeError`` (values that TOML has no type for, such as None).
    #[staticmethod]
    fn from_dict(py: Python<'_>, spec: &Bound<'_, PyAny>) -> PyResult<Circuit> {
        let (c, src) = spec_from_dict(spec)?;
        Circuit::new(py, c, src)
    }

    /// A circuit from TOML text (as in a spec file; messages name the file ``<string>``).
    #[staticmethod]
    fn from_toml(py: Python<'_>, text: &str) -> PyResult<Circuit> {
        let path = Path::new("<string>");
        let spec = ganglion_model::parse_str(text, path).map_err(|e| spec_err(py, &e))?;
        let source = Source {
            file: None,
            map: ganglion_model::SourceMap::new(text),
        };
        Circuit::new(py, spec, source)
    }

    /// The circuit's name: the spec file's stem, or ``"circuit"``.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The spec file it was loaded from, or None.
    #[getter]
    fn path(&self) -> Option<String> {
        self.source.file.as_ref().map(|f| f.display().to_string())
    }

    /// The spec as a dict in the TOML schema (a new copy each time: edit it and build a new
    /// circuit with ``Circuit.from_dict``).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = toml::Value::try_from(&self.spec)
            .map_err(|e| PyValueError::new_err(format!("cannot convert the spec: {e}")))?;
        from_toml(py, &v)
    }

    /// The spec as TOML text.
    fn to_toml(&self) -> PyResult<String> {
        toml::to_string(&self.spec)
            .map_err(|e| PyValueError::new_err(format!("cannot write the spec as TOML: {e}")))
    }

    /// A new circuit with some spec values replaced: ``values`` maps paths to values, e.g.
    /// ``{"input.0.rate": "2 kHz", "projection.exc→inh.weight": "30 pA",
    /// "population.exc.params.tau_m": "15 ms", "simulation.seed": 3}``. A path is
    /// ``simulation.KEY`` or ``SECTION.WHICH.KEY[.SUBKEY]`` with SECTION one of population,
    /// projection, input, monitor and WHICH an index or a name (``source→target`` for an
    /// unnamed projection, ``->`` accepted). The new circuit keeps the spec file, so data
    /// files and messages still refer to it; it is validated (``SpecError`` otherwise).
    fn replace(&self, py: Python<'_>, values: &Bound<'_, PyDict>) -> PyResult<Circuit> {
        let mut v = toml::Value::try_from(&self.spec)
            .map_err(|e| PyValueError::new_err(format!("cannot convert the spec: {e}")))?;
        for (k, x) in values.iter() {
            let path: String = k.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "replace: key {} is not a path string such as \"input.0.rate\"",
                    k.repr().map(|r| r.to_string()).unwrap_or_default()
                ))
            })?;
            let x = to_toml(&x, &path)?;
            crate::set_path(&mut v, &path, x)
                .map_err(|e| SpecError::new_err(format!("replace: {e}")))?;
        }
        let spec = spec_from_value(&v, "replace")?;
        Circuit::new(py, spec, self.source.clone())
    }

    /// Run the circuit at every point of a grid of spec values and return a
    /// ``ganglion.sweep.Sweep`` (see ``ganglion.sweep.sweep``): ``grid`` maps paths (as in
    /// ``replace``) to lists of values; keywords ``link`` (groups of paths that vary
    /// together), ``duration``, ``threads`` (per point),
    /// ``seed``, ``workers`` (points at once) and ``progress``. Each point builds its own
    /// network; points run in parallel threads with the GIL released.
    #[pyo3(signature = (grid, **kwargs))]
    fn sweep<'py>(
        slf: &Bound<'py, Self>,
        grid: &Bound<'py, PyAny>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        py.import("ganglion.sweep")?
            .getattr("sweep")?
            .call((slf, grid), kwargs)
    }

    /// What ``ganglion validate`` reports, as a dict (see ``ganglion.validate``).
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let (r, notes) = resolve(py, &self.spec, &self.source, &Overrides::default())?;
        summary(py, &r, &notes)
    }

    fn __repr__(&self) -> String {
        match &self.source.file {
            Some(f) => format!("<ganglion.Circuit {:?} from {}>", self.name, f.display()),
            None => format!("<ganglion.Circuit {:?}>", self.name),
        }
    }

    /// Build and run the circuit; returns :class:`Results`.
    ///
    /// ``duration`` (e.g. ``"1 s"``), ``threads`` (0 = all cores) and ``seed`` override the
    /// spec's ``[simulation]`` values exactly like ``ganglion run --duration/--threads/--seed``:
    /// the same spec and seed give the same spikes as the command. The GIL is released while
    /// the engine runs; Ctrl-C (``KeyboardInterrupt``) stops the run within about 0.1 s.
    /// ``progress(done_steps, total_steps)`` is called between chunks of the run.
    /// ``all_weights`` returns the final weights of plastic projections even above 10 million
    /// synapses. ``cache`` (a :class:`SynapseCache`) reuses the synapses of the last run made
    /// with it wherever they are the same (what ``sweep`` does). Raises ``SpecError`` for bad
    /// overrides and ``SimulationError`` when the engine fails.
    #[pyo3(signature = (duration=None, threads=None, seed=None, progress=None, all_weights=false, cache=None))]
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        py: Python<'_>,
        duration: Option<&Bound<'_, PyAny>>,
        threads: Option<&Bound<'_, PyAny>>,
        seed: Option<&Bound<'_, PyAny>>,
        progress: Option<&Bound<'_, PyAny>>,
        all_weights: bool,
        cache: Option<&Bound<'_, SynapseCache>>,
    ) -> PyResult<Results> {
        let duration = match duration.filter(|d| !d.is_none()) {
            None => None,
            Some(d) if d.is_instance_of::<PyString>() => Some(d.extract::<String>()?),
            Some(d) => {
                return Err(PyTypeError::new_err(format!(
                    "duration={}: must be a string with a unit, e.g. duration=\"500 ms\"",
                    d.repr().map(|r| r.to_string()).unwrap_or_default()
                )));
            }
        };
        let threads =
            uint_arg("threads", threads)?.map(|t| usize::try_from(t).unwrap_or(usize::MAX));
        let seed = uint_arg("seed", seed)?;
        if let Some(p) = progress.filter(|p| !p.is_none())
            && !p.is_callable()
        {
            return Err(PyTypeError::new_err(
                "progress: must be a callable taking (done_steps, total_steps), or None",
            ));
        }
        let overrides = Overrides {
            threads,
            seed,
            duration,
        };
        let (r, notes) = resolve(py, &self.spec, &self.source, &overrides)?;
        let cache = cache.map(|c| c.get());
        let mut net = py
            .detach(|| match cache {
                None => Network::build(&r),
                Some(c) => {
                    let mut c = c.0.lock().unwrap_or_else(|p| p.into_inner());
                    Network::build_reusing(&r, &mut c)
                }
            })
            .map_err(|e| SimulationError::new_err(e.to_string()))?;
        let total = net.total_steps();
        let (mut chunk, mut sim_s) = (FIRST_CHUNK_STEPS, 0.0);
        while net.step() < total {
            let end = net.step().saturating_add(chunk).min(total);
            let before = net.step();
            let secs = py
                .detach(|| net.run_until(end, None))
                .map_err(|e| SimulationError::new_err(e.to_string()))?;
            sim_s += secs;
            // Ctrl-C: the interpreter's handler raises KeyboardInterrupt here.
            py.check_signals()?;
            if let Some(p) = progress.filter(|p| !p.is_none()) {
                p.call1((net.step(), total))?;
            }
            chunk = next_chunk(net.step() - before, secs);
        }
        let res = net.results(sim_s);
        let mut notes = notes;
        let final_weights = PyDict::new(py);
        for j in net.plastic_projections() {
            let name = &net.projection_names()[j];
            let count = net.synapse_count_of(j);
            if count as f64 > ganglion_model::memory::FINAL_WEIGHTS_LIMIT && !all_weights {
                // As `ganglion run` says it, with the keyword for the flag.
                notes.push(format!(
                    "final weights of \"{name}\" not returned ({count} synapses); pass all_weights=True or record a subset with a weights monitor"
                ));
                continue;
            }
            let syn = net.synapses_of(j);
            let flat: Vec<f64> = syn
                .iter()
                .flat_map(|&(s, t, w, d)| [s as f64, t as f64, w as f64, d])
                .collect();
            let arr = PyArray1::from_vec(py, flat).reshape([syn.len(), 4])?;
            final_weights.set_item(name, arr)?;
        }
        let m = manifest(self.source.file.as_deref(), &r, &net, &res, &notes);
        Results::new(py, res, from_json(py, &m)?, final_weights)
    }
}

/// Spikes of one population: ``times_ms`` (float64, ms) and ``senders`` (uint32, neuron index
/// in the population), one entry per spike in time order.
#[pyclass(module = "ganglion", frozen, get_all)]
struct SpikeTrain {
    /// Population name.
    population: String,
    /// Spike times [ms], float64, shape (spikes,).
    times_ms: Py<PyAny>,
    /// Neuron index of each spike, uint32, shape (spikes,).
    senders: Py<PyAny>,
    /// Number of neurons recorded.
    recorded: usize,
}

#[pymethods]
impl SpikeTrain {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "<ganglion.SpikeTrain {:?}: {} spikes of {} neurons>",
            self.population,
            self.times_ms.bind(py).len()?,
            self.recorded
        ))
    }
}

/// A recorded state variable: ``values`` (float32, samples × neurons), ``times_ms``
/// (float64, samples) and ``neurons`` (uint32, recorded neuron indices).
#[pyclass(module = "ganglion", frozen, get_all)]
struct StateTrace {
    /// Population name.
    population: String,
    /// State variable name.
    variable: String,
    /// Values, float32, shape (samples, neurons), in the variable's unit.
    values: Py<PyAny>,
    /// Sample times [ms], float64, shape (samples,).
    times_ms: Py<PyAny>,
    /// Recorded neuron indices, uint32, shape (neurons,).
    neurons: Py<PyAny>,
}

/// A population rate: ``rates_hz`` (float64, bins) in bins of ``bin_ms``.
#[pyclass(module = "ganglion", frozen, get_all)]
struct RateTrace {
    /// Population name.
    population: String,
    /// Bin width [ms].
    bin_ms: f64,
    /// Rate [Hz] per bin, float64, shape (bins,).
    rates_hz: Py<PyAny>,
}

/// Recorded weights of a projection: ``values`` (float32, samples × synapses), ``times_ms``
/// (float64, samples), ``sources`` and ``targets`` (uint32, synapses).
#[pyclass(module = "ganglion", frozen, get_all)]
struct WeightTrace {
    /// Projection name.
    projection: String,
    /// Weights, float32, shape (samples, synapses).
    values: Py<PyAny>,
    /// Sample times [ms], float64, shape (samples,).
    times_ms: Py<PyAny>,
    /// Source neuron of each recorded synapse, uint32, shape (synapses,).
    sources: Py<PyAny>,
    /// Target neuron of each recorded synapse, uint32, shape (synapses,).
    targets: Py<PyAny>,
}

/// What a run recorded. The arrays own the engine's buffers (no copies).
#[pyclass(module = "ganglion", frozen, get_all)]
struct Results {
    /// Spikes per population: dict name → ``SpikeTrain``.
    spikes: Py<PyDict>,
    /// State recordings: dict population → dict variable → ``StateTrace``.
    states: Py<PyDict>,
    /// Population rates: dict population → ``RateTrace``.
    rates: Py<PyDict>,
    /// Weight recordings: dict projection → ``WeightTrace``.
    weights: Py<PyDict>,
    /// Final weights of plastic projections: dict projection → float64 array of shape
    /// (synapses, 4) with columns source, target, weight, delay [ms] (as ``ganglion run``'s
    /// ``weights_<projection>.npy``).
    final_weights: Py<PyDict>,
    /// Per-population summaries: list of dicts (name, size, model, spike_count,
    /// mean_rate_hz, cv_isi).
    populations: Py<PyAny>,
    /// The run's manifest as a dict (the keys of ``manifest.json`` but ``files``).
    manifest: Py<PyAny>,
    /// Simulated time [ms].
    duration_ms: f64,
    /// Time step [ms].
    dt_ms: f64,
}

impl Results {
    fn new(
        py: Python<'_>,
        res: SimResults,
        manifest: Bound<'_, PyAny>,
        final_weights: Bound<'_, PyDict>,
    ) -> PyResult<Results> {
        let populations = manifest.get_item("populations")?;
        let spikes = PyDict::new(py);
        for s in res.spikes {
            let t = SpikeTrain {
                population: s.population.clone(),
                times_ms: PyArray1::from_vec(py, s.times_ms).into_any().unbind(),
                senders: PyArray1::from_vec(py, s.senders).into_any().unbind(),
                recorded: s.recorded,
            };
            spikes.set_item(s.population, Py::new(py, t)?)?;
        }
        let states = PyDict::new(py);
        for s in res.states {
            let shape = [s.times_ms.len(), s.neurons.len()];
            let t = StateTrace {
                population: s.population.clone(),
                variable: s.variable.clone(),
                values: PyArray1::from_vec(py, s.values)
                    .reshape(shape)?
                    .into_any()
                    .unbind(),
                times_ms: PyArray1::from_vec(py, s.times_ms).into_any().unbind(),
                neurons: PyArray1::from_vec(py, s.neurons).into_any().unbind(),
            };
            let per_pop = match states.get_item(&s.population)? {
                Some(d) => d.cast_into::<PyDict>()?,
                None => {
                    let d = PyDict::new(py);
                    states.set_item(&s.population, &d)?;
                    d
                }
            };
            per_pop.set_item(s.variable, Py::new(py, t)?)?;
        }
        let rates = PyDict::new(py);
        for r in res.rates {
            let t = RateTrace {
                population: r.population.clone(),
                bin_ms: r.bin_ms,
                rates_hz: PyArray1::from_vec(py, r.rates_hz).into_any().unbind(),
            };
            rates.set_item(r.population, Py::new(py, t)?)?;
        }
        let weights = PyDict::new(py);
        for w in res.weights {
            let shape = [w.times_ms.len(), w.sources.len()];
            let t = WeightTrace {
                projection: w.projection.clone(),
                values: PyArray1::from_vec(py, w.values)
                    .reshape(shape)?
                    .into_any()
                    .unbind(),
                times_ms: PyArray1::from_vec(py, w.times_ms).into_any().unbind(),
                sources: PyArray1::from_vec(py, w.sources).into_any().unbind(),
                targets: PyArray1::from_vec(py, w.targets).into_any().unbind(),
            };
            weights.set_item(w.projection, Py::new(py, t)?)?;
        }
        Ok(Results {
            spikes: spikes.unbind(),
            states: states.unbind(),
            rates: rates.unbind(),
            weights: weights.unbind(),
            final_weights: final_weights.unbind(),
            populations: populations.unbind(),
            manifest: manifest.unbind(),
            duration_ms: res.duration_ms,
            dt_ms: res.dt_ms,
        })
    }
}

#[pymethods]
impl Results {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "<ganglion.Results {} ms: spikes of {}>",
            self.duration_ms,
            self.spikes.bind(py).keys().repr()?
        ))
    }
}

/// Ganglion: load, validate and run circuit specs; results as numpy arrays.
/// Synapses kept between runs of circuits that differ only in values that do not change
/// them (input rates, neuron parameters, initial states, plasticity settings, constant
/// weights): pass the same cache to ``Circuit.run(cache=...)``. A run with another seed, weight
/// distribution or connection rule regenerates the projections concerned. Results are the same
/// as without the cache, bit for bit.
#[pyclass(module = "ganglion", frozen)]
pub struct SynapseCache(std::sync::Mutex<ganglion_sim::SynapseCache>);

#[pymethods]
impl SynapseCache {
    #[new]
    fn new() -> SynapseCache {
        SynapseCache(std::sync::Mutex::new(ganglion_sim::SynapseCache::new()))
    }

    /// Projections whose synapses were generated, over every run with this cache.
    #[getter]
    fn generated(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).generated()
    }

    /// Projections whose synapses were reused, over every run with this cache.
    #[getter]
    fn reused(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).reused()
    }

    fn __repr__(&self) -> String {
        let c = self.0.lock().unwrap_or_else(|p| p.into_inner());
        format!(
            "<ganglion.SynapseCache {} generated, {} reused>",
            c.generated(),
            c.reused()
        )
    }
}

#[pymodule]
fn _ganglion(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SpecError", py.get_type::<SpecError>())?;
    m.add("SimulationError", py.get_type::<SimulationError>())?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(models, m)?)?;
    m.add_class::<Circuit>()?;
    m.add_class::<SynapseCache>()?;
    m.add_class::<Results>()?;
    m.add_class::<SpikeTrain>()?;
    m.add_class::<StateTrace>()?;
    m.add_class::<RateTrace>()?;
    m.add_class::<WeightTrace>()?;
    crate::entry::register(m)?;
    Ok(())
}
