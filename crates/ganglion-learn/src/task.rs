//! Train-and-evaluate runs of a reservoir on a benchmark task: the library side of
//! `ganglion reservoir`.
//!
//! [`run_reservoir_task`] generates (or loads) the task's series, builds an [`EsnConfig`]
//! reservoir, runs it teacher-forced over the first `train_fraction` of the steps, fits a
//! [`Ridge`] readout on those states (dropping the first `washout`), and evaluates on the rest:
//! one-step prediction teacher-forced, or free-running (generative) for `horizon` steps where
//! the prediction is fed back as the next input.
//!
//! Timing: `fit_s` covers building the reservoir (weights, spectral radius, kernel layout), the
//! training run and the readout fit; `predict_s` covers the test run and the readout. Data
//! generation is outside both (as in `bench/reservoirpy_mg.py`, which times reservoirpy the
//! same way: its lazy initialisation happens inside `fit`).

use crate::error::{LearnError, Result};
use crate::esn::{Activation, EsnConfig, RecurrentWeights, States};
use crate::metrics;
use crate::readout::{Ridge, default_alpha_grid};
use crate::tasks::{self, Lorenz, MackeyGlass};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// A benchmark task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// Mackey–Glass τ = 17, sampled every time unit, rescaled to [−1, 1]; `x(t) → x(t+1)`.
    MackeyGlass,
    /// NARMA-10: `u(t) → y(t+1)`.
    Narma10,
    /// Lorenz (x, y, z) / 20, sampled every 0.02; `s(t) → s(t+1)`.
    Lorenz,
    /// Linear memory capacity: i.i.d. `u(t) ~ U[−1, 1]` → `u(t−k)`, `k = 1..delays`.
    MemoryCapacity,
    /// Santa Fe laser (data set A), rescaled to [−1, 1]; `x(t) → x(t+1)`. Needs `data`.
    Santafe,
}

impl Task {
    /// All task names as accepted by [`Task::parse`].
    pub const NAMES: &'static str = "mackey-glass, narma10, lorenz, memory-capacity, santafe";

    /// Parses a task name (`mackey-glass`/`mg`, `narma10`/`narma-10`, `lorenz`,
    /// `memory-capacity`/`mc`, `santafe`/`santa-fe`/`laser`).
    pub fn parse(s: &str) -> Result<Task> {
        Ok(match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "mackey-glass" | "mackeyglass" | "mg" => Task::MackeyGlass,
            "narma10" | "narma-10" | "narma" => Task::Narma10,
            "lorenz" => Task::Lorenz,
            "memory-capacity" | "mc" => Task::MemoryCapacity,
            "santafe" | "santa-fe" | "laser" => Task::Santafe,
            _ => {
                return Err(LearnError::UnknownName {
                    object: "reservoir task",
                    kind: "task",
                    name: s.into(),
                    expected: Task::NAMES.into(),
                });
            }
        })
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Task::MackeyGlass => "mackey-glass",
            Task::Narma10 => "narma10",
            Task::Lorenz => "lorenz",
            Task::MemoryCapacity => "memory-capacity",
            Task::Santafe => "santafe",
        }
    }

    /// Task defaults for `(leak_rate, input_scaling, input_density, activation)` where the
    /// arguments leave them unset. Mackey–Glass and Santa Fe use the reservoirpy-comparison
    /// settings; NARMA-10 and memory capacity use leak 1 and full input connectivity as in
    /// the papers that define them (Jaeger 2002; Rodan & Tiňo 2011); memory capacity uses a
    /// linear reservoir.
    pub fn defaults(self) -> (f64, f64, f64, Activation) {
        match self {
            Task::MackeyGlass | Task::Santafe => (0.3, 1.0, 0.1, Activation::Tanh),
            Task::Lorenz => (0.3, 1.0, 0.1, Activation::Tanh),
            Task::Narma10 => (1.0, 0.2, 1.0, Activation::Tanh),
            Task::MemoryCapacity => (1.0, 0.1, 1.0, Activation::Identity),
        }
    }
}

/// Evaluation mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PredictionMode {
    /// One-step prediction with the true input at every test step.
    TeacherForced,
    /// Free-running: after training, the prediction is fed back as the next input for
    /// `horizon` steps (prediction tasks only).
    Generative,
}

/// Arguments of a reservoir task run (the flags of `ganglion reservoir`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReservoirTaskArgs {
    /// The task. Default Mackey–Glass.
    pub task: Task,
    /// Reservoir units. Default `1000`.
    pub size: usize,
    /// Recurrent connection probability. Default `0.1`.
    pub density: f64,
    /// Spectral radius of `W`. Default `0.9`.
    pub spectral_radius: f64,
    /// Length of the series in steps (inputs), training plus test. Default `10000`.
    pub steps: usize,
    /// Seed of the reservoir (and of random task inputs). Default `0`.
    pub seed: u64,
    /// Leak rate; `None` = task default ([`Task::defaults`]).
    pub leak_rate: Option<f64>,
    /// Input scaling; `None` = task default.
    pub input_scaling: Option<f64>,
    /// Input connection probability; `None` = task default.
    pub input_density: Option<f64>,
    /// Activation; `None` = task default.
    pub activation: Option<Activation>,
    /// Recurrent weight distribution. Default normal.
    pub weights: RecurrentWeights,
    /// Ridge α; `None` = chosen by cross-validation over `1e-9 … 10`. Default `Some(1e-6)`.
    pub ridge: Option<f64>,
    /// Folds for cross-validation. Default `5`.
    pub cv_folds: usize,
    /// Fraction of the steps used for training. Default `0.8`.
    pub train_fraction: f64,
    /// Initial training states excluded from the fit. Default `100`.
    pub washout: usize,
    /// Evaluation mode. Default teacher-forced.
    pub mode: PredictionMode,
    /// Free-running steps in generative mode. Default `100`.
    pub horizon: usize,
    /// Delays for memory capacity; `None` = `2 × size`.
    pub delays: Option<usize>,
    /// Data file (Santa Fe: `data/santafe_laser.npy`).
    pub data: Option<PathBuf>,
    /// Threads; `0` = automatic.
    pub threads: usize,
}

impl Default for ReservoirTaskArgs {
    fn default() -> Self {
        Self {
            task: Task::MackeyGlass,
            size: 1000,
            density: 0.1,
            spectral_radius: 0.9,
            steps: 10_000,
            seed: 0,
            leak_rate: None,
            input_scaling: None,
            input_density: None,
            activation: None,
            weights: RecurrentWeights::Normal,
            ridge: Some(1e-6),
            cv_folds: 5,
            train_fraction: 0.8,
            washout: 100,
            mode: PredictionMode::TeacherForced,
            horizon: 100,
            delays: None,
            data: None,
            threads: 0,
        }
    }
}

/// The option keys [`ReservoirTaskArgs::from_pairs`] accepts.
pub const OPTION_KEYS: &str = "task, size, density, spectral-radius, steps, seed, leak-rate, input-scaling, input-density, activation (tanh|linear), weights (normal|uniform|orthogonal), ridge (number|cv), cv-folds, train-fraction, washout, mode (teacher-forced|generative), horizon, delays, data, threads";

impl ReservoirTaskArgs {
    /// Builds arguments from `(key, value)` pairs over the defaults; keys are the long flag
    /// names without dashes (`spectral-radius` or `spectral_radius`), see [`OPTION_KEYS`].
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self> {
        let mut a = Self::default();
        for (k, v) in pairs {
            a.set(k.as_ref(), v.as_ref())?;
        }
        Ok(a)
    }

    /// Parses command-line style arguments: `--key value` or `--key=value` (and `--json`,
    /// which is ignored here: it is the caller's output choice).
    pub fn from_args<S: AsRef<str>>(args: &[S]) -> Result<Self> {
        let mut a = Self::default();
        let mut i = 0;
        while i < args.len() {
            let raw = args[i].as_ref();
            let key = raw
                .strip_prefix("--")
                .ok_or_else(|| LearnError::UnknownName {
                    object: "ganglion reservoir",
                    kind: "argument",
                    name: raw.into(),
                    expected: format!("--KEY VALUE with KEY one of: {OPTION_KEYS}"),
                })?;
            if key == "json" {
                i += 1;
                continue;
            }
            if let Some((k, v)) = key.split_once('=') {
                a.set(k, v)?;
                i += 1;
            } else {
                let v = args.get(i + 1).ok_or_else(|| {
                    LearnError::param(
                        "ganglion reservoir",
                        "argument",
                        raw,
                        "is missing its value",
                        format!("write {raw} VALUE"),
                    )
                })?;
                a.set(key, v.as_ref())?;
                i += 2;
            }
        }
        Ok(a)
    }

    /// Sets one option by key.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        fn num<T: std::str::FromStr>(field: &'static str, v: &str) -> Result<T> {
            v.trim().parse::<T>().map_err(|_| {
                LearnError::param(
                    "ganglion reservoir",
                    field,
                    v,
                    "is not a valid number",
                    "e.g. --size 1000 --density 0.1",
                )
            })
        }
        match key.trim_start_matches('-').replace('_', "-").as_str() {
            "task" => self.task = Task::parse(value)?,
            "size" | "units" => self.size = num("size", value)?,
            "density" => self.density = num("density", value)?,
            "spectral-radius" | "sr" => self.spectral_radius = num("spectral-radius", value)?,
            "steps" => self.steps = num("steps", value)?,
            "seed" => self.seed = num("seed", value)?,
            "leak-rate" | "leak" | "lr" => self.leak_rate = Some(num("leak-rate", value)?),
            "input-scaling" => self.input_scaling = Some(num("input-scaling", value)?),
            "input-density" | "input-connectivity" => {
                self.input_density = Some(num("input-density", value)?)
            }
            "activation" => {
                self.activation = Some(match value {
                    "tanh" => Activation::Tanh,
                    "linear" | "identity" => Activation::Identity,
                    _ => {
                        return Err(LearnError::UnknownName {
                            object: "ganglion reservoir",
                            kind: "activation",
                            name: value.into(),
                            expected: "tanh, linear".into(),
                        });
                    }
                })
            }
            "weights" => {
                self.weights = match value {
                    "normal" => RecurrentWeights::Normal,
                    "uniform" => RecurrentWeights::Uniform,
                    "orthogonal" => RecurrentWeights::Orthogonal,
                    _ => {
                        return Err(LearnError::UnknownName {
                            object: "ganglion reservoir",
                            kind: "weights",
                            name: value.into(),
                            expected: "normal, uniform, orthogonal".into(),
                        });
                    }
                }
            }
            "ridge" | "alpha" => {
                self.ridge = if value == "cv" {
                    None
                } else {
                    Some(num("ridge", value)?)
                }
            }
            "cv-folds" => self.cv_folds = num("cv-folds", value)?,
            "train-fraction" => self.train_fraction = num("train-fraction", value)?,
            "washout" | "warmup" => self.washout = num("washout", value)?,
            "mode" => {
                self.mode = match value {
                    "teacher-forced" | "teacher" | "one-step" => PredictionMode::TeacherForced,
                    "generative" | "free-running" | "free" => PredictionMode::Generative,
                    _ => {
                        return Err(LearnError::UnknownName {
                            object: "ganglion reservoir",
                            kind: "mode",
                            name: value.into(),
                            expected: "teacher-forced, generative".into(),
                        });
                    }
                }
            }
            "horizon" => self.horizon = num("horizon", value)?,
            "delays" => self.delays = Some(num("delays", value)?),
            "data" => self.data = Some(PathBuf::from(value)),
            "threads" => self.threads = num("threads", value)?,
            other => {
                return Err(LearnError::UnknownName {
                    object: "ganglion reservoir",
                    kind: "option",
                    name: other.into(),
                    expected: OPTION_KEYS.into(),
                });
            }
        }
        Ok(())
    }

    /// The reservoir configuration these arguments describe.
    pub fn esn_config(&self) -> EsnConfig {
        let (leak, scale, in_density, act) = self.task.defaults();
        EsnConfig {
            units: self.size,
            inputs: if self.task == Task::Lorenz { 3 } else { 1 },
            density: self.density,
            spectral_radius: Some(self.spectral_radius),
            leak_rate: self.leak_rate.unwrap_or(leak),
            input_scaling: self.input_scaling.unwrap_or(scale),
            input_density: self.input_density.unwrap_or(in_density),
            activation: self.activation.unwrap_or(act),
            recurrent_weights: self.weights,
            threads: self.threads,
            ..EsnConfig::default()
        }
    }
}

/// What a task run measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReservoirReport {
    /// Task name.
    pub task: String,
    /// Evaluation mode.
    pub mode: PredictionMode,
    /// Reservoir units.
    pub size: usize,
    /// Recurrent density.
    pub density: f64,
    /// Target spectral radius.
    pub spectral_radius: f64,
    /// Series length (steps).
    pub steps: usize,
    /// Seed.
    pub seed: u64,
    /// Steps the readout was fitted on (after washout).
    pub train_steps: usize,
    /// Steps evaluated.
    pub test_steps: usize,
    /// NRMSE on the test steps (RMSE / std of the target; mean over outputs). `None` for
    /// memory capacity.
    pub nrmse: Option<f64>,
    /// Linear memory capacity (memory-capacity task only).
    pub memory_capacity: Option<f64>,
    /// Ridge α used (fixed or cross-validated).
    pub alpha: f64,
    /// Seconds to build the reservoir, run the training steps and fit the readout.
    pub fit_s: f64,
    /// Seconds to run the test steps and apply the readout.
    pub predict_s: f64,
    /// Of `fit_s`, seconds to build the reservoir.
    pub build_s: f64,
    /// Threads used.
    pub threads: usize,
    /// Mat-vec kernel used (`blocked-avx512` or `csr`).
    pub kernel: String,
}

impl ReservoirReport {
    /// One-line JSON (`{"nrmse": …, "fit_s": …, "predict_s": …, …}`).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// A short human-readable summary.
    pub fn summary(&self) -> String {
        let metric = match (self.nrmse, self.memory_capacity) {
            (_, Some(mc)) => format!("memory capacity {mc:.2} (bound {})", self.size),
            (Some(e), None) => format!("NRMSE {e:.4e}"),
            _ => "no metric".into(),
        };
        format!(
            "{} ({:?}): {} units, density {}, spectral radius {}, seed {}\n  {} — trained on {} steps, tested on {}, ridge α {:e}\n  fit {:.3} s (build {:.3} s), predict {:.3} s, {} thread(s), {} kernel",
            self.task,
            self.mode,
            self.size,
            self.density,
            self.spectral_radius,
            self.seed,
            metric,
            self.train_steps,
            self.test_steps,
            self.alpha,
            self.fit_s,
            self.build_s,
            self.predict_s,
            self.threads,
            self.kernel
        )
    }
}

/// The task's inputs (`steps × D`) and targets (`steps × K`), time-major.
fn task_data(a: &ReservoirTaskArgs) -> Result<(Vec<f64>, Vec<f64>, usize, usize)> {
    let n = a.steps;
    Ok(match a.task {
        Task::MackeyGlass => {
            let x = tasks::rescale_to_unit(&MackeyGlass::default().generate(n + 1)?);
            (x[..n].to_vec(), x[1..].to_vec(), 1, 1)
        }
        Task::Narma10 => {
            let (u, y) = tasks::narma10(n, a.seed)?;
            (u, y, 1, 1)
        }
        Task::Lorenz => {
            let s = Lorenz::default().generate(n + 1)?;
            let flat: Vec<f64> = s.iter().flat_map(|p| p.iter().map(|v| v / 20.0)).collect();
            (flat[..3 * n].to_vec(), flat[3..].to_vec(), 3, 3)
        }
        Task::MemoryCapacity => {
            let k = a.delays.unwrap_or(2 * a.size).max(1);
            let (u, y) = tasks::memory_capacity_data(n, k, a.seed);
            (u, y, 1, k)
        }
        Task::Santafe => {
            let path = a.data.clone().ok_or_else(|| {
                LearnError::param(
                    "ganglion reservoir",
                    "data",
                    "(none)",
                    "the santafe task reads the series from a file",
                    "run scripts/fetch-data.sh, then pass --data data/santafe_laser.npy",
                )
            })?;
            let raw = tasks::load_santafe(&path)?;
            let x = tasks::rescale_to_unit(&raw);
            let n = n.min(x.len() - 1);
            (x[..n].to_vec(), x[1..=n].to_vec(), 1, 1)
        }
    })
}

/// Runs one task (see the module docs) and reports its metric and timings.
pub fn run_reservoir_task(args: &ReservoirTaskArgs) -> Result<ReservoirReport> {
    const O: &str = "ganglion reservoir";
    if !(args.train_fraction > 0.0 && args.train_fraction < 1.0) {
        return Err(LearnError::param(
            O,
            "train-fraction",
            args.train_fraction,
            "must be in (0, 1)",
            "e.g. 0.8",
        ));
    }
    let (inputs, targets, d, k) = task_data(args)?;
    let steps = inputs.len() / d;
    let n_train = (steps as f64 * args.train_fraction).round() as usize;
    if args.washout + 2 > n_train || n_train + 1 > steps {
        return Err(LearnError::param(
            O,
            "steps",
            steps,
            format!(
                "too short for washout {} and train fraction {}",
                args.washout, args.train_fraction
            ),
            "use more steps (e.g. 10000) or a shorter washout",
        ));
    }
    if args.mode == PredictionMode::Generative
        && (args.task == Task::MemoryCapacity || args.task == Task::Narma10)
    {
        return Err(LearnError::param(
            O,
            "mode",
            "generative",
            format!(
                "task {} maps an external input to a different target, so its prediction cannot be fed back",
                args.task.name()
            ),
            "use --mode teacher-forced",
        ));
    }
    let config = args.esn_config();

    // ---- fit: build, washout, training run, readout ----
    let t0 = Instant::now();
    let mut esn = config.build(args.seed)?;
    let build_s = t0.elapsed().as_secs_f64();
    esn.run(&inputs[..args.washout * d])?;
    let train_states = esn.run(&inputs[args.washout * d..n_train * d])?;
    let train_targets = &targets[args.washout * k..n_train * k];
    let ridge = match args.ridge {
        Some(alpha) => Ridge::fit(&train_states, train_targets, alpha)?,
        None => {
            Ridge::fit_cv(
                &train_states,
                train_targets,
                &default_alpha_grid(),
                args.cv_folds,
            )?
            .0
        }
    };
    let fit_s = t0.elapsed().as_secs_f64();
    drop(train_states);

    // ---- predict ----
    let t1 = Instant::now();
    let (pred, truth) = match args.mode {
        PredictionMode::TeacherForced => {
            let test_states = esn.run(&inputs[n_train * d..])?;
            (ridge.predict(&test_states), targets[n_train * k..].to_vec())
        }
        PredictionMode::Generative => {
            let h = args.horizon.min(steps - n_train);
            // The last training state already predicts the first test target.
            let mut y = vec![0.0; k];
            ridge.predict_one(esn.state(), &mut y);
            let mut pred = Vec::with_capacity(h * k);
            for t in 0..h {
                pred.extend_from_slice(&y);
                if t + 1 < h {
                    let s = esn.step(&y)?;
                    ridge.predict_one(s, &mut y);
                }
            }
            (pred, targets[n_train * k..(n_train + h) * k].to_vec())
        }
    };
    let predict_s = t1.elapsed().as_secs_f64();
    let test_steps = truth.len() / k;

    let (nrmse, mc) = if args.task == Task::MemoryCapacity {
        (None, Some(metrics::memory_capacity(&pred, &truth, k).0))
    } else {
        let per: Vec<f64> = (0..k)
            .map(|o| {
                let p: Vec<f64> = pred.iter().skip(o).step_by(k).copied().collect();
                let t: Vec<f64> = truth.iter().skip(o).step_by(k).copied().collect();
                metrics::nrmse(&p, &t)
            })
            .collect();
        (Some(per.iter().sum::<f64>() / k as f64), None)
    };
    Ok(ReservoirReport {
        task: args.task.name().into(),
        mode: args.mode,
        size: args.size,
        density: args.density,
        spectral_radius: args.spectral_radius,
        steps,
        seed: args.seed,
        train_steps: n_train - args.washout,
        test_steps,
        nrmse,
        memory_capacity: mc,
        alpha: ridge.alpha,
        fit_s,
        predict_s,
        build_s,
        threads: esn.threads(),
        kernel: if esn.uses_blocked_kernel() {
            "blocked-avx512".into()
        } else {
            "csr".into()
        },
    })
}

/// Convenience for tests and examples: states of `config` built from `seed` driven by
/// `inputs`, after a washout of `washout` steps (also driven by the first inputs).
pub fn states_after_washout(
    config: &EsnConfig,
    seed: u64,
    inputs: &[f64],
    washout: usize,
) -> Result<States> {
    let mut esn = config.build(seed)?;
    let d = config.inputs;
    esn.run(&inputs[..washout * d])?;
    esn.run(&inputs[washout * d..])
}
