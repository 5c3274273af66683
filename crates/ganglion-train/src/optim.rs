//! Optimisers (Adam, SGD with momentum), learning-rate schedules, gradient clipping and
//! decoupled weight decay, over parameter groups that each carry a weight `scale`.
//!
//! Weights live in physical units (pA). Each group is trained as if its parameter were the
//! dimensionless `θ = w / scale` (scale: the group's initial weight scale), so one learning
//! rate fits layers whose weights differ by orders of magnitude: Adam moves θ by about `lr`
//! per step, SGD uses ∂L/∂θ = scale · ∂L/∂w. Clipping acts on the global norm of ∂L/∂θ.

use serde::{Deserialize, Serialize};

/// Which optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimKind {
    /// Adam (Kingma & Ba 2015).
    Adam {
        /// β1 (0.9).
        beta1: f64,
        /// β2 (0.999).
        beta2: f64,
        /// ε (1e-8), in θ units.
        eps: f64,
    },
    /// SGD with (heavy-ball) momentum.
    Sgd {
        /// Momentum coefficient (0.9).
        momentum: f64,
    },
}

/// Learning-rate schedule over epochs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// Constant.
    Constant,
    /// lr · gamma^(epoch / every).
    Step {
        /// Epochs between decays.
        every: usize,
        /// Factor per decay.
        gamma: f64,
    },
    /// Cosine from lr to 0 over `epochs`.
    Cosine {
        /// Length of the schedule.
        epochs: usize,
    },
}

impl Schedule {
    /// Learning-rate factor at `epoch` (0-based), with `frac` ∈ [0, 1) of the epoch done.
    pub fn factor(&self, epoch: usize, frac: f64) -> f64 {
        match *self {
            Schedule::Constant => 1.0,
            Schedule::Step { every, gamma } => gamma.powi((epoch / every.max(1)) as i32),
            Schedule::Cosine { epochs } => {
                let x = ((epoch as f64 + frac) / epochs.max(1) as f64).min(1.0);
                0.5 * (1.0 + (std::f64::consts::PI * x).cos())
            }
        }
    }
}

/// Optimiser settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OptimConfig {
    /// Optimiser.
    pub kind: OptimKind,
    /// Base learning rate (in θ units).
    pub lr: f64,
    /// Schedule.
    pub schedule: Schedule,
    /// Decoupled weight decay per step, `w ← w·(1 − lr·wd)` (0).
    pub weight_decay: f64,
    /// Clip the global gradient norm (in θ units) to this (None: no clipping).
    pub clip: Option<f64>,
}

impl Default for OptimConfig {
    fn default() -> Self {
        OptimConfig {
            kind: OptimKind::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
            lr: 1e-3,
            schedule: Schedule::Constant,
            weight_decay: 0.0,
            clip: None,
        }
    }
}

/// Optimiser state: moments per parameter group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Optimizer {
    /// Settings.
    pub cfg: OptimConfig,
    /// Scale of each group [weight units per θ].
    pub scales: Vec<f32>,
    /// First moments (Adam) or velocities (SGD), per group, in θ units.
    pub m: Vec<Vec<f32>>,
    /// Second moments (Adam), per group.
    pub v: Vec<Vec<f32>>,
    /// Steps taken.
    pub t: u64,
}

impl Optimizer {
    /// An optimiser for groups of the given sizes and scales.
    pub fn new(cfg: OptimConfig, sizes: &[usize], scales: &[f32]) -> Optimizer {
        Optimizer {
            cfg,
            scales: scales.to_vec(),
            m: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            v: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            t: 0,
        }
    }

    /// One update of `params` (per group, physical units) from `grads` (∂L/∂w), with the
    /// learning rate multiplied by `lr_factor`. Returns the gradient norm in θ units
    /// before clipping.
    pub fn step(&mut self, params: &mut [&mut [f32]], grads: &[&[f32]], lr_factor: f64) -> f64 {
        self.t += 1;
        let norm2: f64 = grads
            .iter()
            .zip(&self.scales)
            .map(|(g, &s)| g.iter().map(|&x| ((x * s) as f64).powi(2)).sum::<f64>())
            .sum();
        let norm = norm2.sqrt();
        let clip = match self.cfg.clip {
            Some(c) if norm > c && norm > 0.0 => (c / norm) as f32,
            _ => 1.0,
        };
        let lr = self.cfg.lr * lr_factor;
        for (gi, (p, g)) in params.iter_mut().zip(grads).enumerate() {
            let s = self.scales[gi];
            if self.cfg.weight_decay > 0.0 {
                let f = (1.0 - lr * self.cfg.weight_decay) as f32;
                p.iter_mut().for_each(|w| *w *= f);
            }
            let (m, v) = (&mut self.m[gi], &mut self.v[gi]);
            match self.cfg.kind {
                OptimKind::Adam { beta1, beta2, eps } => {
                    let (b1, b2) = (beta1 as f32, beta2 as f32);
                    let bc1 = 1.0 - beta1.powi(self.t as i32);
                    let bc2 = 1.0 - beta2.powi(self.t as i32);
                    let step = (lr * bc2.sqrt() / bc1) as f32;
                    let eps = (eps * bc2.sqrt()) as f32;
                    for i in 0..p.len() {
                        let gt = g[i] * s * clip;
                        m[i] = b1 * m[i] + (1.0 - b1) * gt;
                        v[i] = b2 * v[i] + (1.0 - b2) * gt * gt;
                        p[i] -= s * step * m[i] / (v[i].sqrt() + eps);
                    }
                }
                OptimKind::Sgd { momentum } => {
                    let mu = momentum as f32;
                    for i in 0..p.len() {
                        let gt = g[i] * s * clip;
                        m[i] = mu * m[i] + gt;
                        p[i] -= s * lr as f32 * m[i];
                    }
                }
            }
        }
        norm
    }
}
