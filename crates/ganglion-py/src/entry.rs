//! The entry points beyond one circuit run, mirroring the `ganglion` subcommands that call the
//! same library functions: `studies`/`run_study` (`ganglion study list|run`,
//! ganglion-studies), `reservoir` and `mackey_glass` (`ganglion reservoir`, ganglion-learn's
//! task runner), the numpy-level echo state network `ESN` (ganglion-learn's `Esn` and ridge
//! readout, Jaeger 2001, GMD Report 148), and `train` (`ganglion train`, ganglion-train's
//! `SpecRun`). The GIL is released while the library works; errors carry the library's text.

use crate::bindings::{SimulationError, spec_err};
use crate::convert::from_json;
use crate::{FIRST_CHUNK_STEPS, next_chunk};
use ganglion_learn::readout::ridge::default_alpha_grid;
use ganglion_learn::task::{ReservoirTaskArgs, run_reservoir_task};
use ganglion_learn::{
    Activation, Esn, EsnConfig, InputWeights, LearnError, RecurrentWeights, Ridge, States,
};
use ganglion_studies::{Check, Mode, Replace, StudyError, run_study_with};
use ganglion_train::{
    EpochMetrics, SpecRun, TrainError, TrainOptions, write_metrics_csv, write_report,
};
use numpy::{PyArray1, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{
    PyFileExistsError, PyFileNotFoundError, PyOSError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use std::path::PathBuf;

// ---------------------------------------------------------------- studies

/// A study error as a Python exception: an unknown name or an output folder that is taken is
/// the caller's mistake (`ValueError`, `FileExistsError`); file problems are `OSError`; a
/// study that could not produce a result is `SimulationError`.
fn study_err(e: StudyError) -> PyErr {
    let text = e.to_string();
    match e {
        StudyError::UnknownStudy { .. } => PyValueError::new_err(text),
        StudyError::OutputExists { .. } => PyFileExistsError::new_err(
            text.replace("--out", "out=")
                .replace("--force", "force=True"),
        ),
        StudyError::Io { .. } | StudyError::Output(_) => PyOSError::new_err(text),
        _ => SimulationError::new_err(text),
    }
}

/// The paper reproductions: a list of dicts with ``name``, ``paper``, ``checks`` (what is
/// checked, in words), ``quick_runtime`` and ``full_runtime`` (what ``ganglion study list``
/// prints).
#[pyfunction]
fn studies(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let out = PyList::empty(py);
    for i in ganglion_studies::list() {
        let d = PyDict::new(py);
        d.set_item("name", i.name)?;
        d.set_item("paper", i.paper)?;
        d.set_item("checks", i.checks)?;
        d.set_item("quick_runtime", i.quick_runtime)?;
        d.set_item("full_runtime", i.full_runtime)?;
        out.append(d)?;
    }
    Ok(out)
}

/// One check as a dict: name, value, expected (text, e.g. ``"≥ 0.5"``), expect (the kind and
/// its numbers, as in metrics.json), source, passed, note and seeds (or None).
fn check_dict<'py>(py: Python<'py>, c: &Check) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", &c.name)?;
    d.set_item("value", c.value)?;
    d.set_item("expected", c.expect.text())?;
    let expect = serde_json::to_value(c.expect)
        .map_err(|e| PyValueError::new_err(format!("check {}: {e}", c.name)))?;
    d.set_item("expect", from_json(py, &expect)?)?;
    d.set_item("source", c.source.label())?;
    d.set_item("passed", c.pass)?;
    d.set_item("note", &c.note)?;
    match &c.seeds {
        Some(s) => {
            let v = serde_json::to_value(s)
                .map_err(|e| PyValueError::new_err(format!("check {}: {e}", c.name)))?;
            d.set_item("seeds", from_json(py, &v)?)?
        }
        None => d.set_item("seeds", py.None())?,
    }
    Ok(d)
}

/// Run a paper reproduction, as ``ganglion study run NAME --quick|--full [--out DIR]
/// [--force]`` does, and return its outcome as a dict.
///
/// ``mode`` is ``"quick"`` (seconds) or ``"full"`` (the runtime ``studies()`` states).
/// ``out`` is the output folder (default ``runs/<name>/<UTC timestamp>`` under the current
/// folder); it must not exist or be empty unless ``force=True``, which replaces a folder a
/// study wrote. The folder gets report.md, the figures and metrics.json.
///
/// Returns ``study``, ``mode``, ``passed`` (every check passed), ``checks_passed`` and
/// ``checks_failed`` (counts), ``checks`` (list of dicts: name, value, expected, expect,
/// source, passed, note, seeds), ``elapsed_s``, ``out`` (the folder), ``report`` (report.md)
/// and ``metrics`` (metrics.json as a dict: checks and tables). A failed check is not an
/// exception. Raises ``ValueError`` for an unknown name (the message lists the studies) or
/// mode, ``FileExistsError`` when ``out`` is taken, ``SimulationError`` when the study fails.
/// The GIL is released while the study runs; Ctrl-C is answered when it returns (studies
/// have no cancellation point; quick mode takes seconds).
#[pyfunction]
#[pyo3(signature = (name, mode="quick", out=None, force=false))]
fn run_study<'py>(
    py: Python<'py>,
    name: &str,
    mode: &str,
    out: Option<PathBuf>,
    force: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let mode = match mode {
        "quick" => Mode::Quick,
        "full" => Mode::Full,
        other => {
            return Err(PyValueError::new_err(format!(
                "mode={other:?}: must be \"quick\" or \"full\""
            )));
        }
    };
    let replace = if force {
        Replace::Force
    } else {
        Replace::Never
    };
    let outcome = py
        .detach(|| run_study_with(name, mode, out, replace))
        .map_err(study_err)?;
    py.check_signals()?;
    let d = PyDict::new(py);
    d.set_item("study", &outcome.study)?;
    d.set_item("mode", outcome.mode.to_string())?;
    d.set_item("passed", outcome.passed())?;
    let failed = outcome.failed().count();
    d.set_item("checks_passed", outcome.checks.len() - failed)?;
    d.set_item("checks_failed", failed)?;
    let checks = PyList::empty(py);
    for c in &outcome.checks {
        checks.append(check_dict(py, c)?)?;
    }
    d.set_item("checks", checks)?;
    d.set_item("elapsed_s", outcome.elapsed_s)?;
    d.set_item("out", outcome.dir.display().to_string())?;
    d.set_item("report", outcome.report_path().display().to_string())?;
    let path = outcome.dir.join("metrics.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| PyOSError::new_err(format!("{}: {e}", path.display())))?;
    // Python's json module, not serde_json's parser: it reads every float back exactly as
    // written, so the dict equals `json.load` of the file.
    let metrics = py.import("json")?.call_method1("loads", (text,))?;
    d.set_item("metrics", metrics)?;
    Ok(d)
}

// ---------------------------------------------------------------- reservoir task

/// A ganglion-learn error: bad parameters, names and shapes are `ValueError`, a reservoir or
/// solver that failed while running is `SimulationError`, a data file that cannot be read is
/// `OSError`.
fn learn_err(e: LearnError) -> PyErr {
    let text = e.to_string();
    match e {
        LearnError::Diverged { .. } | LearnError::Numerical { .. } => {
            SimulationError::new_err(text)
        }
        LearnError::Data { .. } => PyOSError::new_err(text),
        _ => PyValueError::new_err(text),
    }
}

/// A keyword value as the text `ReservoirTaskArgs::set` parses: numbers (not bools) through
/// Python's `str` (which round-trips floats), strings and paths as they are.
fn option_text(key: &str, v: &Bound<'_, PyAny>) -> PyResult<String> {
    if v.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{key}={v}: must be a number or a string, not a bool"
        )));
    }
    if v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>() {
        return Ok(v.str()?.to_string());
    }
    if v.is_instance_of::<PyString>() {
        return v.extract::<String>();
    }
    match v.extract::<PathBuf>() {
        Ok(p) => Ok(p.display().to_string()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{key}={}: must be a number or a string, not a {}",
            v.repr()?,
            v.get_type().name()?
        ))),
    }
}

/// Train and test an echo state network on a benchmark task, as ``ganglion reservoir --task
/// TASK --KEY VALUE ... --json`` does, and return its report as a dict.
///
/// ``task``: ``"mackey-glass"``, ``"narma10"``, ``"lorenz"``, ``"memory-capacity"`` or
/// ``"santafe"``. Options are the command's flags as keywords with underscores, values
/// numbers or strings: size (units, default 1000), density (0.1), spectral_radius (0.9),
/// steps (10000), seed (0), leak_rate, input_scaling, input_density (task defaults),
/// activation (``"tanh"``/``"linear"``), weights (``"normal"``/``"uniform"``/
/// ``"orthogonal"``), ridge (a number, default 1e-6, or ``"cv"``), cv_folds (5),
/// train_fraction (0.8), washout (100), mode (``"teacher-forced"``/``"generative"``), horizon
/// (100), delays, data (the Santa Fe file), threads (0 = automatic).
///
/// The report has task, mode, size, density, spectral_radius, steps, seed, train_steps,
/// test_steps, nrmse (None for memory capacity), memory_capacity (None otherwise), alpha (the
/// ridge α used), fit_s, predict_s, build_s, threads and kernel. Raises ``ValueError`` with
/// the command's message for unknown options and bad values, ``SimulationError`` when the
/// reservoir diverges. The GIL is released while it runs.
#[pyfunction]
#[pyo3(signature = (task="mackey-glass", **options))]
fn reservoir<'py>(
    py: Python<'py>,
    task: &str,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut pairs: Vec<(String, String)> = vec![("task".into(), task.into())];
    if let Some(o) = options {
        for (k, v) in o.iter() {
            let k: String = k.extract()?;
            if v.is_none() {
                continue;
            }
            let text = option_text(&k, &v)?;
            pairs.push((k, text));
        }
    }
    let args = ReservoirTaskArgs::from_pairs(pairs).map_err(learn_err)?;
    let report = py.detach(|| run_reservoir_task(&args)).map_err(learn_err)?;
    py.check_signals()?;
    let v = serde_json::to_value(&report)
        .map_err(|e| PyValueError::new_err(format!("reservoir report: {e}")))?;
    from_json(py, &v)
}

/// The Mackey–Glass series that ``ganglion reservoir --task mackey-glass --steps N`` uses,
/// rescaled to [-1, 1]: ``x = mackey_glass(N + 1)`` gives inputs ``x[:-1]`` and one-step-ahead
/// targets ``x[1:]``. τ = 17, a = 0.2, b = 0.1, n = 10, sampled every 1 time unit (Mackey &
/// Glass 1977, Science 197:287). Returns float64, shape (steps,).
#[pyfunction]
fn mackey_glass(py: Python<'_>, steps: usize) -> PyResult<Bound<'_, PyArray1<f64>>> {
    if steps < 2 {
        return Err(PyValueError::new_err(format!(
            "steps={steps}: need at least 2 samples to rescale the series"
        )));
    }
    let x = py
        .detach(|| ganglion_learn::tasks::MackeyGlass::default().generate(steps))
        .map_err(learn_err)?;
    Ok(PyArray1::from_vec(
        py,
        ganglion_learn::tasks::rescale_to_unit(&x),
    ))
}

// ---------------------------------------------------------------- echo state network

/// A 1-D or 2-D numeric array as (time-major values, rows, columns). Integer arrays and
/// sequences are converted to float64; other dtypes (bool, complex, strings, objects), other
/// ranks, empty arrays and non-finite values are refused naming `what` and the shape.
fn matrix_arg(
    py: Python<'_>,
    what: &str,
    x: &Bound<'_, PyAny>,
) -> PyResult<(Vec<f64>, usize, usize)> {
    let np = py.import("numpy")?;
    let arr = np.call_method1("asarray", (x,)).map_err(|e| {
        PyTypeError::new_err(format!(
            "{what}: expected a float64 array of shape (T,) or (T, D), got {} ({e})",
            x.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    let dtype = arr.getattr("dtype")?;
    let kind: String = dtype.getattr("kind")?.extract()?;
    if !matches!(kind.as_str(), "f" | "i" | "u") {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected real numbers (float64, or integers to convert), got dtype {}",
            dtype.str()?
        )));
    }
    let arr = arr.call_method1("astype", ("float64",))?;
    let arr = arr
        .cast_into::<numpy::PyArrayDyn<f64>>()
        .map_err(|e| PyTypeError::new_err(format!("{what}: {e}")))?;
    let shape = arr.shape().to_vec();
    let (rows, cols) = match shape[..] {
        [t] => (t, 1),
        [t, d] => (t, d),
        _ => {
            return Err(PyValueError::new_err(format!(
                "{what}: expected shape (T,) or (T, D), got shape {shape:?} ({}-D)",
                shape.len()
            )));
        }
    };
    if rows == 0 || cols == 0 {
        return Err(PyValueError::new_err(format!(
            "{what}: is empty (shape {shape:?}); need at least one time step and one column"
        )));
    }
    let ro = arr.readonly();
    // Logical (C) order whatever the strides: row t is time step t.
    let data: Vec<f64> = ro.as_array().iter().copied().collect();
    if let Some(i) = data.iter().position(|v| !v.is_finite()) {
        return Err(PyValueError::new_err(format!(
            "{what}: non-finite value {} at row {}, column {} (shape {shape:?})",
            data[i],
            i / cols,
            i % cols
        )));
    }
    Ok((data, rows, cols))
}

/// Run `esn` over `inputs` (`T × D`, time-major) in chunks of about a tenth of a second with
/// the GIL released, checking for Ctrl-C between chunks. The chunks continue one another, so
/// the states are those of one `Esn::run` (the reservoir keeps its state across calls).
fn run_chunked(py: Python<'_>, esn: &mut Esn, inputs: &[f64], d: usize) -> PyResult<States> {
    let steps = inputs.len() / d;
    let n = esn.units();
    let mut data = Vec::with_capacity(steps * n);
    let (mut done, mut chunk) = (0usize, FIRST_CHUNK_STEPS);
    while done < steps {
        let end = done.saturating_add(chunk as usize).min(steps);
        let part = &inputs[done * d..end * d];
        let t0 = std::time::Instant::now();
        let s = py.detach(|| esn.run(part)).map_err(learn_err)?;
        let secs = t0.elapsed().as_secs_f64();
        data.extend_from_slice(s.as_slice());
        py.check_signals()?;
        chunk = next_chunk((end - done) as u64, secs);
        done = end;
    }
    States::from_vec(steps, n, data).map_err(learn_err)
}

/// An echo state network (Jaeger 2001): a sparse random recurrent reservoir of leaky tanh
/// units driven by the input, ``x(t) = (1 − a)·x(t−1) + a·f(W x(t−1) + W_in u(t) + b)``, and a
/// linear readout ``y = W_out x + c`` fitted by ridge regression. The same reservoir and
/// readout as ``ganglion reservoir`` (ganglion-learn): with the same settings and seed it gives
/// the same states, bit for bit.
///
/// Keywords (defaults as reservoirpy's): ``units`` (N, 100), ``spectral_radius`` (0.9; None
/// keeps the raw weights), ``leak_rate`` (a in (0, 1], 0.3), ``input_scaling`` (1.0),
/// ``density`` (recurrent connection probability, 0.1), ``input_density`` (0.1),
/// ``bias_scaling`` (0.0), ``activation`` (``"tanh"``/``"linear"``), ``weights``
/// (``"normal"``/``"uniform"``/``"orthogonal"``), ``input_weights``
/// (``"bernoulli"``/``"uniform"``), ``inputs`` (D; None: taken from the first input array),
/// ``seed`` (0) and ``threads`` (0 = automatic; results do not depend on it). The weights are
/// drawn when D is known. The reservoir keeps its state between calls (``reset()`` zeroes it).
#[pyclass(module = "ganglion", name = "ESN")]
pub struct PyEsn {
    config: EsnConfig,
    seed: u64,
    esn: Option<Esn>,
    readout: Option<Ridge>,
}

fn parse_activation(s: &str) -> PyResult<Activation> {
    match s {
        "tanh" => Ok(Activation::Tanh),
        "linear" | "identity" => Ok(Activation::Identity),
        _ => Err(PyValueError::new_err(format!(
            "activation={s:?}: must be \"tanh\" or \"linear\""
        ))),
    }
}

fn parse_weights(s: &str) -> PyResult<RecurrentWeights> {
    match s {
        "normal" => Ok(RecurrentWeights::Normal),
        "uniform" => Ok(RecurrentWeights::Uniform),
        "orthogonal" => Ok(RecurrentWeights::Orthogonal),
        _ => Err(PyValueError::new_err(format!(
            "weights={s:?}: must be \"normal\", \"uniform\" or \"orthogonal\""
        ))),
    }
}

fn parse_input_weights(s: &str) -> PyResult<InputWeights> {
    match s {
        "bernoulli" => Ok(InputWeights::Bernoulli),
        "uniform" => Ok(InputWeights::Uniform),
        _ => Err(PyValueError::new_err(format!(
            "input_weights={s:?}: must be \"bernoulli\" or \"uniform\""
        ))),
    }
}

impl PyEsn {
    /// The reservoir, drawn now for `d` inputs if it was not yet; `what` names the array.
    fn reservoir(&mut self, what: &str, d: usize) -> PyResult<&mut Esn> {
        if let Some(e) = &self.esn
            && e.config().inputs != d
        {
            return Err(PyValueError::new_err(format!(
                "{what}: has {d} column(s) but this ESN has inputs = {} (fixed when its weights were drawn)",
                e.config().inputs
            )));
        }
        if self.esn.is_none() {
            let config = EsnConfig {
                inputs: d,
                ..self.config.clone()
            };
            self.esn = Some(config.build(self.seed).map_err(learn_err)?);
        }
        Ok(self.esn.as_mut().expect("built above"))
    }
}

#[pymethods]
impl PyEsn {
    #[new]
    #[pyo3(signature = (units=100, *, spectral_radius=Some(0.9), leak_rate=0.3, input_scaling=1.0, density=0.1, input_density=0.1, bias_scaling=0.0, activation="tanh", weights="normal", input_weights="bernoulli", inputs=None, seed=0, threads=0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        units: usize,
        spectral_radius: Option<f64>,
        leak_rate: f64,
        input_scaling: f64,
        density: f64,
        input_density: f64,
        bias_scaling: f64,
        activation: &str,
        weights: &str,
        input_weights: &str,
        inputs: Option<usize>,
        seed: u64,
        threads: usize,
    ) -> PyResult<PyEsn> {
        let config = EsnConfig {
            units,
            inputs: inputs.unwrap_or(1),
            density,
            spectral_radius,
            leak_rate,
            input_scaling,
            input_density,
            bias_scaling,
            input_weights: parse_input_weights(input_weights)?,
            recurrent_weights: parse_weights(weights)?,
            activation: parse_activation(activation)?,
            threads,
            ..EsnConfig::default()
        };
        // The library's message names the field as the keyword does (`units = 0 is invalid`).
        config
            .validate()
            .map_err(|e| PyValueError::new_err(e.to_string().replace("EsnConfig", "ESN")))?;
        let esn = match inputs {
            Some(_) => Some(config.build(seed).map_err(learn_err)?),
            None => None,
        };
        Ok(PyEsn {
            config,
            seed,
            esn,
            readout: None,
        })
    }

    /// Number of reservoir units N.
    #[getter]
    fn units(&self) -> usize {
        self.config.units
    }

    /// Number of inputs D, or None until the first input array fixes it.
    #[getter]
    fn inputs(&self) -> Option<usize> {
        self.esn.as_ref().map(|e| e.config().inputs)
    }

    /// The current state x(t), float64, shape (N,) (zeros before the first step).
    #[getter]
    fn state<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        let x = match &self.esn {
            Some(e) => e.state().iter().map(|&v| f64::from(v)).collect(),
            None => vec![0.0; self.config.units],
        };
        PyArray1::from_vec(py, x)
    }

    /// The fitted readout's ridge α, or None before ``fit``.
    #[getter]
    fn alpha(&self) -> Option<f64> {
        self.readout.as_ref().map(|r| r.alpha)
    }

    /// The fitted readout's weights W_out, float64, shape (outputs, N), or None before ``fit``.
    #[getter]
    fn readout_weights<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.readout {
            None => Ok(None),
            Some(r) => Ok(Some(
                PyArray1::from_vec(py, r.weights.clone())
                    .reshape([r.outputs, r.features])?
                    .into_any(),
            )),
        }
    }

    /// The fitted readout's biases c, float64, shape (outputs,), or None before ``fit``.
    #[getter]
    fn readout_bias<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<f64>>> {
        self.readout
            .as_ref()
            .map(|r| PyArray1::from_vec(py, r.bias.clone()))
    }

    /// Drive the reservoir with ``u`` (float64, shape (T,) or (T, D); integers are converted)
    /// from its current state and return the T states, float64, shape (T, N); the reservoir
    /// is left in the last one. The GIL is released; Ctrl-C stops between chunks of about
    /// 0.1 s (the state is then that of the last finished chunk).
    fn states<'py>(
        &mut self,
        py: Python<'py>,
        u: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (data, t, d) = matrix_arg(py, "u", u)?;
        let esn = self.reservoir("u", d)?;
        let s = run_chunked(py, esn, &data, d)?;
        let n = s.units();
        Ok(PyArray1::from_vec(py, s.as_slice().to_vec())
            .reshape([t, n])?
            .into_any())
    }

    /// Fit the readout: drive the reservoir with ``u`` (shape (T,) or (T, D)) from its current
    /// state, drop the first ``washout`` states, and fit ``y`` (shape (T,) or (T, K), row t the
    /// target for state t) by ridge regression with α = ``ridge`` (≥ 0; the bias is not
    /// penalised), or ``ridge="cv"`` to choose α from 1e-9 … 10 by ``cv_folds``-fold
    /// cross-validation over contiguous blocks of time. The reservoir is left in the last
    /// state, so ``predict`` on the following inputs continues the series. Returns self.
    #[pyo3(signature = (u, y, ridge=None, washout=0, cv_folds=5))]
    fn fit<'py>(
        mut slf: PyRefMut<'py, Self>,
        u: &Bound<'py, PyAny>,
        y: &Bound<'py, PyAny>,
        ridge: Option<&Bound<'py, PyAny>>,
        washout: usize,
        cv_folds: usize,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let py = slf.py();
        let alpha = match ridge.filter(|r| !r.is_none()) {
            None => Some(1e-6),
            Some(r) if r.is_instance_of::<PyString>() => {
                let s: String = r.extract()?;
                if s != "cv" {
                    return Err(PyValueError::new_err(format!(
                        "ridge={s:?}: must be a number ≥ 0 or \"cv\""
                    )));
                }
                None
            }
            Some(r) => Some(r.extract::<f64>().map_err(|_| {
                PyTypeError::new_err(format!("ridge={}: must be a number ≥ 0 or \"cv\"", r))
            })?),
        };
        let (ud, t, d) = matrix_arg(py, "u", u)?;
        let (yd, ty, k) = matrix_arg(py, "y", y)?;
        if ty != t {
            return Err(PyValueError::new_err(format!(
                "y: has {ty} rows but u has {t}; row t of y is the target for input row t"
            )));
        }
        if washout + 2 > t {
            return Err(PyValueError::new_err(format!(
                "washout={washout}: leaves {} of the {t} steps to fit; need at least 2",
                t.saturating_sub(washout)
            )));
        }
        let esn = slf.reservoir("u", d)?;
        let states = run_chunked(py, esn, &ud, d)?;
        let states = states.slice(washout..t);
        let targets = &yd[washout * k..];
        let readout = py
            .detach(|| match alpha {
                Some(a) => Ridge::fit(&states, targets, a),
                None => {
                    Ridge::fit_cv(&states, targets, &default_alpha_grid(), cv_folds).map(|(r, _)| r)
                }
            })
            .map_err(learn_err)?;
        slf.readout = Some(readout);
        Ok(slf)
    }

    /// Drive the reservoir with ``u`` (shape (T,) or (T, D)) from its current state and return
    /// the readout's outputs, float64, shape (T, K). Raises ``RuntimeError`` before ``fit``.
    fn predict<'py>(
        &mut self,
        py: Python<'py>,
        u: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if self.readout.is_none() {
            return Err(PyRuntimeError::new_err(
                "ESN.predict: the readout is not fitted; call fit(u, y) first",
            ));
        }
        let (data, t, d) = matrix_arg(py, "u", u)?;
        let esn = self.reservoir("u", d)?;
        let states = run_chunked(py, esn, &data, d)?;
        let r = self.readout.as_ref().expect("checked above");
        let out = py.detach(|| r.predict(&states));
        Ok(PyArray1::from_vec(py, out)
            .reshape([t, r.outputs])?
            .into_any())
    }

    /// Set the reservoir state to zero (the weights and the readout stay).
    fn reset(&mut self) {
        if let Some(e) = &mut self.esn {
            e.reset();
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "<ganglion.ESN {} units, spectral radius {:?}, leak rate {}, seed {}{}>",
            self.config.units,
            self.config.spectral_radius,
            self.config.leak_rate,
            self.seed,
            if self.readout.is_some() {
                ", fitted"
            } else {
                ""
            }
        )
    }
}

// ---------------------------------------------------------------- training

/// A training error: spec problems are `SpecError` (as from ``ganglion.load``), a missing
/// dataset `FileNotFoundError`, other file problems `OSError`, bad settings, unknown datasets
/// and malformed data files `ValueError`.
fn train_err(py: Python<'_>, e: TrainError) -> PyErr {
    match e {
        TrainError::Model(m) => spec_err(py, &m),
        TrainError::Data(ref d)
            if std::error::Error::source(d)
                .and_then(|s| s.downcast_ref::<std::io::Error>())
                .is_some_and(|s| s.kind() == std::io::ErrorKind::NotFound) =>
        {
            PyFileNotFoundError::new_err(format!(
                "{e}\n  hint: fetch the dataset with scripts/fetch-data.sh, or pass data_dir="
            ))
        }
        TrainError::Data(ref d)
            if std::error::Error::source(d).is_some_and(|s| s.is::<std::io::Error>()) =>
        {
            PyOSError::new_err(e.to_string())
        }
        TrainError::Io { .. } | TrainError::Files(_) => PyOSError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

fn metrics_dict<'py>(py: Python<'py>, m: &EpochMetrics) -> PyResult<Bound<'py, PyAny>> {
    let v = serde_json::to_value(m).map_err(|e| PyValueError::new_err(e.to_string()))?;
    from_json(py, &v)
}

/// Train a circuit spec by gradient descent, as ``ganglion train SPEC --data DATA ...`` does
/// (settings from the sidecar ``SPEC.train.toml`` if present, overridden by the keywords).
///
/// ``data``: ``"digits"``, ``"mnist"`` or ``"fashion-mnist"``, read from ``data_dir`` as
/// scripts/fetch-data.sh lays it out. ``limit`` uses only the first N training and N test
/// samples. ``out`` is the output folder (default ``runs/<spec stem>-train``); after every
/// epoch it gets ``checkpoint.json`` and ``metrics.csv``, at the end ``trained.toml`` (with its
/// ``w_*.npy`` weights, runnable by ``ganglion.load``) and ``report.json`` — the files the
/// command writes (the command also draws ``metrics.svg``). ``resume=True`` continues from the
/// checkpoint in ``out``, bit-identical to an uninterrupted run.
///
/// ``progress(epoch, metrics)`` is called after each epoch with that epoch's metrics dict
/// (epoch, train_loss, train_accuracy, test_loss, test_accuracy, epoch_s, samples_per_s,
/// epoch_cpu_s, lr). The GIL is released while an epoch trains; Ctrl-C raises
/// ``KeyboardInterrupt`` after the current epoch, whose checkpoint is saved, so
/// ``resume=True`` continues from there.
///
/// Returns test_accuracy (after the last epoch), epoch_s (mean wall time of an epoch), epochs,
/// metrics (list of per-epoch dicts), out_dir, trained_spec, metrics_csv and report (the path
/// of report.json). Raises ``SpecError`` for a bad spec, ``FileNotFoundError`` when the
/// dataset is missing, ``ValueError`` for settings the trainer cannot use.
#[pyfunction]
#[pyo3(signature = (spec, data, *, data_dir=PathBuf::from("data"), epochs=None, limit=None, batch_size=None, seed=None, out=None, resume=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn train<'py>(
    py: Python<'py>,
    spec: PathBuf,
    data: &str,
    data_dir: PathBuf,
    epochs: Option<usize>,
    limit: Option<usize>,
    batch_size: Option<usize>,
    seed: Option<u64>,
    out: Option<PathBuf>,
    resume: bool,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let progress = progress.filter(|p| !p.is_none());
    if let Some(p) = progress
        && !p.is_callable()
    {
        return Err(PyTypeError::new_err(
            "progress: must be a callable taking (epoch, metrics_dict), or None",
        ));
    }
    for (name, v) in [
        ("epochs", epochs),
        ("limit", limit),
        ("batch_size", batch_size),
    ] {
        if v == Some(0) {
            return Err(PyValueError::new_err(format!(
                "{name}=0: must be at least 1 (or None for the sidecar's value)"
            )));
        }
    }
    let opts = TrainOptions {
        epochs,
        limit,
        out_dir: out,
        resume,
        progress: false,
        seed,
        batch_size,
    };
    let mut run = py
        .detach(|| SpecRun::start(&spec, data, &data_dir, opts))
        .map_err(|e| train_err(py, e))?;
    let csv = run.out_dir().join("metrics.csv");
    loop {
        let m = py
            .detach(|| run.next_epoch().map(|m| m.cloned()))
            .map_err(|e| train_err(py, e))?;
        let Some(m) = m else { break };
        write_metrics_csv(&csv, run.metrics()).map_err(|e| train_err(py, e))?;
        // Ctrl-C: the checkpoint of this epoch is on disk, so `resume=True` continues.
        py.check_signals()?;
        if let Some(p) = progress {
            p.call1((m.epoch, metrics_dict(py, &m)?))?;
        }
    }
    let report = py.detach(|| run.finish()).map_err(|e| train_err(py, e))?;
    write_metrics_csv(&csv, &report.metrics).map_err(|e| train_err(py, e))?;
    write_report(&report, &csv).map_err(|e| train_err(py, e))?;
    let v = serde_json::to_value(&report).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let d = from_json(py, &v)?;
    d.set_item("metrics_csv", csv.display().to_string())?;
    d.set_item(
        "report",
        report.out_dir.join("report.json").display().to_string(),
    )?;
    Ok(d)
}

/// Add the entry points to the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(studies, m)?)?;
    m.add_function(wrap_pyfunction!(run_study, m)?)?;
    m.add_function(wrap_pyfunction!(reservoir, m)?)?;
    m.add_function(wrap_pyfunction!(mackey_glass, m)?)?;
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_class::<PyEsn>()?;
    Ok(())
}
