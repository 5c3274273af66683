//! One seed of the `adaptive-ei-reservoir` study: the four tasks, the E/I sweep with fixed
//! and adapted gains, the grid-tuned global gain and the two ablations.

use std::path::Path;

use ganglion_base::rng::derive;
use ganglion_learn::ei_reservoir::{EiReservoir, EiReservoirConfig, Homeostasis};
use ganglion_learn::{Ridge, metrics, tasks};
use serde::Serialize;

use super::Config;

/// Prediction horizon of the Mackey–Glass task, in samples (Δ = 1): one step ahead on a
/// series this smooth is nearly interpolation (NRMSE ~ 2e-3 whatever the reservoir), so the
/// task asks for x(t + 10) from x(0..=t).
pub(super) const MG_HORIZON: usize = 10;

/// A benchmark task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum TaskKind {
    /// Linear memory capacity, u ~ U[−1, 1], delays 1..=N (score: MC, higher is better).
    MemoryCapacity,
    /// Mackey–Glass (τ = 17) prediction [`MG_HORIZON`] samples ahead (score: 1/NRMSE).
    MackeyGlass,
    /// NARMA-10 (score: 1/NRMSE).
    Narma10,
    /// Santa Fe laser one-step prediction (score: 1/NRMSE).
    SantaFe,
}

impl TaskKind {
    pub(super) fn label(self) -> &'static str {
        match self {
            TaskKind::MemoryCapacity => "memory capacity",
            TaskKind::MackeyGlass => "Mackey-Glass (10 steps ahead)",
            TaskKind::Narma10 => "NARMA-10",
            TaskKind::SantaFe => "Santa Fe laser",
        }
    }
    /// Name of the metric the score is made from.
    pub(super) fn metric(self) -> &'static str {
        match self {
            TaskKind::MemoryCapacity => "MC",
            _ => "NRMSE",
        }
    }
    /// The reported metric from a score (MC itself, or NRMSE = 1/score).
    pub(super) fn metric_of(self, score: f64) -> f64 {
        match self {
            TaskKind::MemoryCapacity => score,
            _ => 1.0 / score,
        }
    }
    pub(super) fn key(self) -> &'static str {
        match self {
            TaskKind::MemoryCapacity => "mc",
            TaskKind::MackeyGlass => "mackey_glass",
            TaskKind::Narma10 => "narma10",
            TaskKind::SantaFe => "santafe",
        }
    }
}

/// Inputs and targets of one task: `u` (T), `y` (T × outputs, time-major).
pub(super) struct TaskData {
    kind: TaskKind,
    u: Vec<f64>,
    y: Vec<f64>,
    outputs: usize,
}

/// The data of `kind` for seed `seed` (`santafe`: the raw laser series, when loaded).
pub(super) fn task_data(
    kind: TaskKind,
    cfg: &Config,
    seed: u64,
    santafe: Option<&[f64]>,
) -> Result<TaskData, String> {
    let len = cfg.washout + cfg.train + cfg.val + cfg.test;
    let s = derive(seed, 17);
    let err = |e: ganglion_learn::LearnError| e.to_string();
    Ok(match kind {
        TaskKind::MemoryCapacity => {
            let (u, y) = tasks::memory_capacity_data(len, cfg.units, s);
            TaskData {
                kind,
                u,
                y,
                outputs: cfg.units,
            }
        }
        TaskKind::MackeyGlass => {
            // 1000 samples of transient from the constant history are dropped.
            let x = tasks::MackeyGlass::default()
                .generate(len + 1000 + MG_HORIZON)
                .map_err(err)?;
            let x = tasks::rescale_to_unit(&x[1000..]);
            TaskData {
                kind,
                u: x[..len].to_vec(),
                y: x[MG_HORIZON..].to_vec(),
                outputs: 1,
            }
        }
        TaskKind::Narma10 => {
            // The NARMA recursion diverges for rare input draws: take the next seed then.
            let (u, y) = (0..20)
                .find_map(|k| tasks::narma10(len, derive(s, k)).ok())
                .ok_or("NARMA-10 diverged for 20 input seeds")?;
            TaskData {
                kind,
                u,
                y,
                outputs: 1,
            }
        }
        TaskKind::SantaFe => {
            let raw = santafe.ok_or("the Santa Fe series was not loaded")?;
            if raw.len() < len + 1 {
                return Err(format!(
                    "the Santa Fe series has {} samples, the protocol needs {}",
                    raw.len(),
                    len + 1
                ));
            }
            let x = tasks::rescale_to_unit(&raw[..len + 1]);
            TaskData {
                kind,
                u: x[..len].to_vec(),
                y: x[1..].to_vec(),
                outputs: 1,
            }
        }
    })
}

/// What one trained reservoir scored.
#[derive(Debug, Clone, Copy, Serialize)]
pub(super) struct Eval {
    /// Score on the validation steps (MC or 1/NRMSE; higher is better).
    pub val: f64,
    /// Score on the test steps.
    pub test: f64,
    /// Measured inhibitory over excitatory recurrent drive over the test steps,
    /// `Σ_t Σ_i g_i Σ_k W⁻_ik r_k / Σ_t Σ_i Σ_j W⁺_ij r_j`.
    pub ie_ratio: f64,
    /// Population mean rate over the test steps.
    pub mean_rate: f64,
    /// Median over units of |time-averaged rate − own target| over the test steps (NaN
    /// without targets).
    pub target_error: f64,
}

/// The reservoir of this study for `seed` with initial gain `beta`, and its rule.
pub(super) fn reservoir_config(
    cfg: &Config,
    beta: f64,
    rule: Option<Homeostasis>,
) -> EiReservoirConfig {
    EiReservoirConfig {
        units: cfg.units,
        excitatory_fraction: 0.8,
        connectivity: 0.1,
        weight_scale: cfg.weight_scale,
        inhibitory_gain: beta,
        leak_rate: cfg.leak_rate,
        input_scaling: cfg.input_scaling,
        input_density: 1.0,
        homeostasis: rule,
        ..EiReservoirConfig::default()
    }
}

/// Adapts `res` with its rule for `adapt_steps` steps, cycling the unlabelled training
/// inputs (washout + train; never validation or test), and returns each unit's mean rate
/// over the last pass (while the rule is still on). The rates are kept: the frozen reservoir
/// goes on from where adaptation left it.
pub(super) fn adapt(
    res: &mut EiReservoir,
    data: &TaskData,
    cfg: &Config,
) -> Result<Vec<f64>, String> {
    let err = |e: ganglion_learn::LearnError| e.to_string();
    let train = &data.u[..cfg.washout + cfg.train];
    let mut left = cfg.adapt_steps;
    while left > train.len() {
        let k = (left - train.len()).min(train.len());
        res.adapt(&train[..k]).map_err(err)?;
        left -= k;
    }
    let mut mean = vec![0.0; res.units()];
    for t in 0..left {
        res.adapt(&train[t..t + 1]).map_err(err)?;
        for (m, r) in mean.iter_mut().zip(res.state()) {
            *m += r / left as f64;
        }
    }
    Ok(mean)
}

/// Runs `res` from its current rates over the whole series (the washout absorbs the start),
/// fits the ridge readout on the training steps (α by 3-fold cross-validation in time) and
/// scores it on validation and test. Also returns each unit's time-averaged test rate.
pub(super) fn evaluate(
    res: &mut EiReservoir,
    data: &TaskData,
    cfg: &Config,
) -> Result<(Eval, Vec<f64>), String> {
    let err = |e: ganglion_learn::LearnError| e.to_string();
    let states = res.run(&data.u).map_err(err)?;
    let k = data.outputs;
    let (w, tr, va) = (cfg.washout, cfg.train, cfg.val);
    let train = w..w + tr;
    let val = w + tr..w + tr + va;
    let test = w + tr + va..states.steps();
    let alphas: Vec<f64> = (-8..=-1).step_by(2).map(|e| 10f64.powi(e)).collect();
    let (ridge, _) = Ridge::fit_cv(
        &states.slice(train.clone()),
        &data.y[train.start * k..train.end * k],
        &alphas,
        3,
    )
    .map_err(err)?;
    let score = |range: std::ops::Range<usize>| {
        let pred = ridge.predict(&states.slice(range.clone()));
        let target = &data.y[range.start * k..range.end * k];
        match data.kind {
            TaskKind::MemoryCapacity => metrics::memory_capacity(&pred, target, k).0,
            _ => 1.0 / metrics::nrmse(&pred, target),
        }
    };
    let n = res.units();
    let ne = res.excitatory();
    // Recurrent drives over the test steps: the rates of step t − 1 drive step t.
    let (mut exc, mut inh) = (0.0, 0.0);
    let mut unit_mean = vec![0.0; n];
    for t in test.clone() {
        let prev = states.row(t - 1);
        for (i, m) in unit_mean.iter_mut().enumerate() {
            for (j, wij) in res.row(i) {
                if j < ne {
                    exc += wij * prev[j];
                } else {
                    inh -= wij * prev[j];
                }
            }
            *m += states.row(t)[i] / test.len() as f64;
        }
    }
    let targets = res.targets();
    let target_error = if targets.is_empty() {
        f64::NAN
    } else {
        crate::stats::median(
            unit_mean
                .iter()
                .zip(targets)
                .map(|(m, t)| (m - t).abs())
                .collect(),
        )
    };
    let eval = Eval {
        val: score(val),
        test: score(test.clone()),
        ie_ratio: inh / exc,
        mean_rate: crate::stats::mean(&unit_mean),
        target_error,
    };
    Ok((eval, unit_mean))
}

/// Everything one (task, seed) produced.
#[derive(Debug, Clone, Serialize)]
pub(super) struct SeedRun {
    pub task: TaskKind,
    pub seed: u64,
    /// Fixed gains `g_i = β`, one per sweep value.
    pub fixed: Vec<Eval>,
    /// Per-neuron adaptation with heterogeneous targets, starting from each β.
    pub adapted: Vec<Eval>,
    /// The β of the sweep with the best validation score (the grid-tuned global gain).
    pub tuned_beta: f64,
    /// Ablation from β = 1: per-neuron rule, homogeneous targets (all at the mean target).
    pub homogeneous: Eval,
    /// Ablation from β = 1: one shared gain adapted to the population-mean target.
    pub global_rule: Eval,
    /// Adapted gains (from β = 1): mean and coefficient of variation over units.
    pub gain_mean: f64,
    pub gain_cv: f64,
    /// Dale-sign violations (entries of the effective matrix with the wrong sign, negative
    /// gains) summed over all adapted reservoirs of this seed.
    pub dale_violations: usize,
    /// The median over units of |mean rate − own target| of the reservoir adapted from β = 1,
    /// over the last pass of adaptation (rule on).
    pub target_error_adapting: f64,
    /// The same error on the test steps, frozen, when the run starts from rest instead of
    /// from the adapted state.
    pub target_error_from_rest: f64,
    /// Per unit (from β = 1, after adaptation): target and time-averaged test rate.
    pub unit_targets: Vec<f64>,
    pub unit_rates: Vec<f64>,
}

impl SeedRun {
    /// The test score of the grid-tuned global gain.
    pub fn tuned(&self, betas: &[f64]) -> f64 {
        let i = betas
            .iter()
            .position(|&b| b == self.tuned_beta)
            .unwrap_or(0);
        self.fixed[i].test
    }
}

fn dale_violations(res: &EiReservoir) -> usize {
    let ne = res.excitatory();
    (0..res.units())
        .map(|i| {
            res.row(i)
                .filter(|&(j, w)| if j < ne { w < 0.0 } else { w > 0.0 })
                .count()
        })
        .sum::<usize>()
        + res.gains().iter().filter(|&&g| g < 0.0).count()
}

/// Runs every condition of `task` for `seed`.
pub(super) fn run_seed(
    task: TaskKind,
    seed: u64,
    cfg: &Config,
    santafe: Option<&[f64]>,
) -> Result<SeedRun, String> {
    let data = task_data(task, cfg, seed, santafe)?;
    let res_seed = derive(seed, 1);
    let rule = Homeostasis {
        learning_rate: cfg.learning_rate,
        target_low: cfg.target_low,
        target_high: cfg.target_high,
        per_neuron: true,
    };
    let build = |beta: f64, rule: Option<Homeostasis>| {
        reservoir_config(cfg, beta, rule)
            .build(res_seed)
            .map_err(|e| e.to_string())
    };
    let mut fixed = Vec::new();
    let mut adapted = Vec::new();
    let mut violations = 0;
    for &beta in &cfg.betas {
        let mut res = build(beta, None)?;
        fixed.push(evaluate(&mut res, &data, cfg)?.0);
        let mut res = build(beta, Some(rule))?;
        adapt(&mut res, &data, cfg)?;
        violations += dale_violations(&res);
        adapted.push(evaluate(&mut res, &data, cfg)?.0);
    }
    let best = (0..cfg.betas.len())
        .max_by(|&a, &b| fixed[a].val.total_cmp(&fixed[b].val))
        .unwrap_or(0);
    let mid = 0.5 * (cfg.target_low + cfg.target_high);
    let mut hom = build(
        1.0,
        Some(Homeostasis {
            target_low: mid,
            target_high: mid,
            ..rule
        }),
    )?;
    adapt(&mut hom, &data, cfg)?;
    violations += dale_violations(&hom);
    let homogeneous = evaluate(&mut hom, &data, cfg)?.0;
    let mut glob = build(
        1.0,
        Some(Homeostasis {
            per_neuron: false,
            ..rule
        }),
    )?;
    adapt(&mut glob, &data, cfg)?;
    violations += dale_violations(&glob);
    let global_rule = evaluate(&mut glob, &data, cfg)?.0;
    let mut main = build(1.0, Some(rule))?;
    let adapting = adapt(&mut main, &data, cfg)?;
    let target_error_adapting = crate::stats::median(
        adapting
            .iter()
            .zip(main.targets())
            .map(|(m, t)| (m - t).abs())
            .collect(),
    );
    let g = main.gains().to_vec();
    let gain_mean = crate::stats::mean(&g);
    let gain_sd = (g.iter().map(|v| (v - gain_mean).powi(2)).sum::<f64>() / g.len() as f64).sqrt();
    let (_, unit_rates) = evaluate(&mut main, &data, cfg)?;
    main.reset();
    let target_error_from_rest = evaluate(&mut main, &data, cfg)?.0.target_error;
    Ok(SeedRun {
        task,
        seed,
        fixed,
        adapted,
        tuned_beta: cfg.betas[best],
        homogeneous,
        global_rule,
        gain_mean,
        gain_cv: gain_sd / gain_mean,
        dale_violations: violations,
        target_error_adapting,
        target_error_from_rest,
        unit_targets: main.targets().to_vec(),
        unit_rates,
    })
}

/// The Santa Fe laser series from `data/santafe_laser.npy` (or `$GANGLION_DATA/…`); the
/// error says how to fetch it.
pub(super) fn load_santafe() -> Result<Vec<f64>, String> {
    const FILE: &str = "santafe_laser.npy";
    let candidates = [
        std::env::var_os("GANGLION_DATA").map(|d| Path::new(&d).join(FILE)),
        Some(Path::new("data").join(FILE)),
        Some(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../data")
                .join(FILE),
        ),
    ];
    let path = candidates
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "the Santa Fe laser series ({FILE}) was not found in data/ (or $GANGLION_DATA)\n  \
                 hint: fetch it with scripts/fetch-santafe.sh (or scripts/fetch-data.sh santafe); \
                 --quick runs without it"
            )
        })?;
    tasks::load_santafe(&path).map_err(|e| e.to_string())
}
