//! Training options: the sidecar file `SPEC.train.toml` (next to `SPEC.toml`), and what the
//! command line overrides ([`TrainOptions`]).
//!
//! The circuit spec is ganglion-model's and rejects unknown tables, so training settings live
//! in their own file. Every field is optional; the defaults are below.
//!
//! ```toml
//! # examples/fmnist_snn.train.toml
//! epochs = 5            # passes over the training set (5)
//! batch_size = 128      # samples per update (128)
//! optimizer = "adam"    # or "sgd" (adam)
//! lr = 2e-3             # learning rate in weight-scale units, see optim (1e-3)
//! momentum = 0.9        # SGD momentum (0.9)
//! weight_decay = 0.0    # decoupled, per step (0)
//! clip = 5.0            # global gradient-norm clip (none)
//! schedule = "cosine"   # "constant", "cosine", "step" (constant)
//! seed = 1              # initial weights, shuffling, spike encoding (1)
//! steps = 25            # SNN: time steps per sample, at the spec's dt (25)
//! encoding = "rate"     # SNN: "rate" (Bernoulli per step) or "latency" (rate)
//! gain = 1.0            # SNN: spike probability per step of a white pixel (1)
//! surrogate = "fast_sigmoid"  # or "arctan", "triangle" (fast_sigmoid)
//! slope = 0.5           # surrogate steepness [1/mV] (0.5)
//! readout = "spike_count"     # or "membrane" (spike_count)
//! readout_scale = 1.0   # logits per spike or per mV (1)
//! init_gain = 1.0       # initial weight std, relative to a threshold-reaching scale (1)
//! truncate = 25         # SNN: backward over the last k steps only (full)
//! density = 0.2         # fraction of each weight matrix kept, random fixed mask (1)
//! dst_every = 50        # dynamic sparse training: prune-and-regrow every k batches (off)
//! dst_fraction = 0.1    # fraction of present synapses moved each time (0.1)
//! dst_regrow = "gradient"  # regrow by |gradient| or "hebbian" activity cosine (gradient)
//! # modules = 8         # modular masks, instead of density: groups, dense inside (off)
//! # p_between = 0.15     # modular masks: density between groups (0.15)
//! ```

use crate::optim::{OptimConfig, OptimKind, Schedule};
use crate::surrogate::Surrogate;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The sidecar training file (all fields optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainFile {
    /// Epochs.
    pub epochs: Option<usize>,
    /// Batch size.
    pub batch_size: Option<usize>,
    /// `adam` or `sgd`.
    pub optimizer: Option<String>,
    /// Learning rate.
    pub lr: Option<f64>,
    /// SGD momentum.
    pub momentum: Option<f64>,
    /// Decoupled weight decay.
    pub weight_decay: Option<f64>,
    /// Gradient-norm clip.
    pub clip: Option<f64>,
    /// `constant`, `cosine`, `step`.
    pub schedule: Option<String>,
    /// For `step`: epochs between decays.
    pub step_every: Option<usize>,
    /// For `step`: decay factor.
    pub step_gamma: Option<f64>,
    /// Seed.
    pub seed: Option<u64>,
    /// SNN steps per sample.
    pub steps: Option<usize>,
    /// `rate` or `latency`.
    pub encoding: Option<String>,
    /// Rate-coding gain.
    pub gain: Option<f32>,
    /// Surrogate name.
    pub surrogate: Option<String>,
    /// Surrogate slope [1/mV].
    pub slope: Option<f32>,
    /// `spike_count` or `membrane`.
    pub readout: Option<String>,
    /// Readout scale.
    pub readout_scale: Option<f32>,
    /// Initial weight gain.
    pub init_gain: Option<f32>,
    /// Truncated BPTT window \[steps\].
    pub truncate: Option<usize>,
    /// Fraction of each weight matrix kept (random fixed mask; 1 = dense).
    pub density: Option<f64>,
    /// Dynamic sparse training: prune-and-regrow every this many batches (0 = off).
    pub dst_every: Option<usize>,
    /// Dynamic sparse training: fraction of present synapses moved each time.
    pub dst_fraction: Option<f64>,
    /// Dynamic sparse training: how absent synapses are chosen to regrow, `gradient` (largest
    /// |gradient|, RigL) or `hebbian` (largest cosine similarity of pre- and postsynaptic
    /// activity over the batch, G2GNet).
    pub dst_regrow: Option<String>,
    /// Modular (ensemble-to-ensemble) masks: every weight matrix but the readout's splits its
    /// sources and targets into this many equal groups, dense inside a group (0 or 1 = off).
    pub modules: Option<usize>,
    /// Modular masks: density of the synapses between different groups (default 0.15).
    pub p_between: Option<f64>,
}

/// How dynamic sparse training chooses the absent synapses it regrows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Regrow {
    /// Largest |gradient| of the batch (RigL, Evci et al. 2020).
    #[default]
    Gradient,
    /// Largest cosine similarity of the pre- and postsynaptic activity over the batch
    /// (G2GNet's Hebbian rewiring).
    Hebbian,
}

/// Settings after defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Epochs.
    pub epochs: usize,
    /// Batch size.
    pub batch_size: usize,
    /// Optimiser settings.
    pub optim: OptimConfig,
    /// Seed.
    pub seed: u64,
    /// SNN steps per sample.
    pub steps: usize,
    /// Rate (true) or latency coding.
    pub rate_coding: bool,
    /// Rate-coding gain.
    pub gain: f32,
    /// Surrogate.
    pub surrogate: Surrogate,
    /// Spike-count readout (true) or membrane.
    pub spike_count: bool,
    /// Readout scale.
    pub readout_scale: f32,
    /// Initial weight gain.
    pub init_gain: f32,
    /// Truncated BPTT window.
    pub truncate: Option<usize>,
    /// Fraction of each weight matrix kept (1 = dense).
    #[serde(default = "one")]
    pub density: f64,
    /// Prune-and-regrow every this many batches (0 = off); regrowth by |gradient| (RigL).
    #[serde(default)]
    pub dst_every: usize,
    /// Fraction of present synapses pruned and regrown each time.
    #[serde(default)]
    pub dst_fraction: f64,
    /// How regrown synapses are chosen.
    #[serde(default)]
    pub dst_regrow: Regrow,
    /// Modular masks: groups per side of every non-readout weight matrix (0 or 1 = off).
    #[serde(default)]
    pub modules: usize,
    /// Modular masks: density between different groups.
    #[serde(default)]
    pub p_between: f64,
}

fn one() -> f64 {
    1.0
}

impl TrainFile {
    /// Resolve defaults; errors name the field.
    pub fn resolve(&self) -> Result<TrainConfig, String> {
        let epochs = self.epochs.unwrap_or(5);
        let kind = match self.optimizer.as_deref().unwrap_or("adam") {
            "adam" => OptimKind::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
            "sgd" => OptimKind::Sgd {
                momentum: self.momentum.unwrap_or(0.9),
            },
            o => return Err(format!("optimizer \"{o}\" is not known (adam, sgd)")),
        };
        let schedule = match self.schedule.as_deref().unwrap_or("constant") {
            "constant" => Schedule::Constant,
            "cosine" => Schedule::Cosine { epochs },
            "step" => Schedule::Step {
                every: self.step_every.unwrap_or(1),
                gamma: self.step_gamma.unwrap_or(0.5),
            },
            s => {
                return Err(format!(
                    "schedule \"{s}\" is not known (constant, cosine, step)"
                ));
            }
        };
        let sname = self.surrogate.as_deref().unwrap_or("fast_sigmoid");
        let surrogate = Surrogate::from_name(sname, self.slope.unwrap_or(0.5)).ok_or(format!(
            "surrogate \"{sname}\" is not known (fast_sigmoid, arctan, triangle)"
        ))?;
        let rate_coding = match self.encoding.as_deref().unwrap_or("rate") {
            "rate" | "poisson" => true,
            "latency" => false,
            e => return Err(format!("encoding \"{e}\" is not known (rate, latency)")),
        };
        let spike_count = match self.readout.as_deref().unwrap_or("spike_count") {
            "spike_count" => true,
            "membrane" => false,
            r => {
                return Err(format!(
                    "readout \"{r}\" is not known (spike_count, membrane)"
                ));
            }
        };
        let dst_regrow = match self.dst_regrow.as_deref().unwrap_or("gradient") {
            "gradient" => Regrow::Gradient,
            "hebbian" => Regrow::Hebbian,
            r => {
                return Err(format!(
                    "dst_regrow \"{r}\" is not known (gradient, hebbian)"
                ));
            }
        };
        let modules = self.modules.unwrap_or(0);
        let p_between = self.p_between.unwrap_or(0.15);
        if !(0.0..=1.0).contains(&p_between) {
            return Err(format!(
                "p_between = {p_between} is not a density; give a value in [0, 1]"
            ));
        }
        if modules > 1 && self.density.is_some_and(|d| d < 1.0) {
            return Err(format!(
                "density = {} and modules = {modules} both set a mask; keep one: density for \
                 random masks, modules (with p_between) for modular ones",
                self.density.unwrap_or(1.0)
            ));
        }
        Ok(TrainConfig {
            epochs,
            batch_size: self.batch_size.unwrap_or(128).max(1),
            optim: OptimConfig {
                kind,
                lr: self.lr.unwrap_or(1e-3),
                schedule,
                weight_decay: self.weight_decay.unwrap_or(0.0),
                clip: self.clip,
            },
            seed: self.seed.unwrap_or(1),
            steps: self.steps.unwrap_or(25),
            rate_coding,
            gain: self.gain.unwrap_or(1.0),
            surrogate,
            spike_count,
            readout_scale: self.readout_scale.unwrap_or(1.0),
            init_gain: self.init_gain.unwrap_or(1.0),
            truncate: self.truncate,
            density: self.density.unwrap_or(1.0).clamp(0.0, 1.0),
            dst_every: self.dst_every.unwrap_or(0),
            dst_fraction: self.dst_fraction.unwrap_or(0.1),
            dst_regrow,
            modules,
            p_between,
        })
    }
}

/// The sidecar of `spec`: `x.toml` → `x.train.toml`.
pub fn sidecar_path(spec: &Path) -> PathBuf {
    let stem = spec
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    spec.with_file_name(format!("{stem}.train.toml"))
}

/// What the command line sets; `None` keeps the sidecar's value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainOptions {
    /// `--epochs E`.
    pub epochs: Option<usize>,
    /// `--limit N`: use only the first N training and N test samples.
    pub limit: Option<usize>,
    /// Output folder (default `runs/<spec stem>-train`).
    pub out_dir: Option<PathBuf>,
    /// `--resume`: continue from `out_dir/checkpoint.json` (bit-identical to an uninterrupted run).
    pub resume: bool,
    /// Print per-epoch progress to stderr.
    pub progress: bool,
    /// Override the sidecar's seed.
    pub seed: Option<u64>,
    /// Override the batch size.
    pub batch_size: Option<usize>,
}
