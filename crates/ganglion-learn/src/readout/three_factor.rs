//! Online three-factor Hebbian readout.
//!
//! Each weight changes by the product of three factors: a presynaptic eligibility trace, a
//! per-output modulator (the output's error), and a global gate (attention):
//!
//! ```text
//! e_j(t)   = λ e_j(t−1) + (1 − λ) x_j(t)                  (eligibility, per input)
//! m_i(t)   = y*_i(t) − y_i(t)                              (error modulator, per output)
//! Δw_ij    = η g(t) m_i(t) e_j(t) / (ε + ‖e(t)‖²)          (normalised when `normalise`)
//! ```
//!
//! With `λ = 0` and no gate this is the normalised LMS (delta) rule; `λ > 0` lets the modulator
//! arrive after the presynaptic activity that caused the error. This is the error-modulated,
//! attention-gated form used for online reservoir readouts (PAPERS.md item 5, which compares
//! it with FORCE); three-factor rules in general: Frémaux & Gerstner (2016), "Neuromodulated
//! STDP and theory of three-factor learning rules", Front. Neural Circuits 9:85.

use crate::error::{LearnError, Result, check_range};
use serde::{Deserialize, Serialize};

/// An online linear readout trained by a three-factor rule (see the module docs).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ThreeFactorReadout {
    features: usize,
    outputs: usize,
    /// Weights `outputs × features`, row-major.
    w: Vec<f64>,
    /// Per-output bias (learned by the same rule with a constant presynaptic 1).
    bias: Vec<f64>,
    trace: Vec<f64>,
    /// Learning rate η (dimensionless; per update).
    pub eta: f64,
    /// Eligibility decay λ in `[0, 1)` per step (`exp(−dt/τ_e)`).
    pub trace_decay: f64,
    /// Divide the update by `ε + ‖e‖²` (normalised LMS; makes η scale-free, stable for `η < 2`).
    pub normalise: bool,
}

impl ThreeFactorReadout {
    /// A readout with zero weights. `eta > 0`; `trace_decay` in `[0, 1)`.
    pub fn new(
        features: usize,
        outputs: usize,
        eta: f64,
        trace_decay: f64,
        normalise: bool,
    ) -> Result<Self> {
        check_range(
            "ThreeFactorReadout",
            "eta",
            eta,
            0.0,
            1e6,
            "e.g. 0.1 with normalise = true",
        )?;
        if !(0.0..1.0).contains(&trace_decay) {
            return Err(LearnError::param(
                "ThreeFactorReadout",
                "trace_decay",
                trace_decay,
                "must be in [0, 1)",
                "exp(-dt/tau_e), e.g. 0 for no trace",
            ));
        }
        Ok(Self {
            features,
            outputs,
            w: vec![0.0; features * outputs],
            bias: vec![0.0; outputs],
            trace: vec![0.0; features],
            eta,
            trace_decay,
            normalise,
        })
    }

    /// Number of input features.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// Weights, `outputs × features` row-major.
    pub fn weights(&self) -> &[f64] {
        &self.w
    }

    /// `y = W x + b`.
    pub fn predict(&self, x: &[f64], y: &mut [f64]) {
        let n = self.features;
        for (o, yo) in y.iter_mut().enumerate().take(self.outputs) {
            *yo = self.bias[o]
                + self.w[o * n..(o + 1) * n]
                    .iter()
                    .zip(x)
                    .map(|(a, b)| a * b)
                    .sum::<f64>();
        }
    }

    /// Updates the eligibility with `x`, then applies `Δw_ij = η g m_i e_j` for modulators `m`
    /// (one per output) and gate `g` in `[0, 1]`.
    pub fn update(&mut self, x: &[f64], modulator: &[f64], gate: f64) {
        let l = self.trace_decay;
        for (e, &xi) in self.trace.iter_mut().zip(x) {
            *e = l * *e + (1.0 - l) * xi;
        }
        let scale = if self.normalise {
            1.0 / (1e-9 + 1.0 + self.trace.iter().map(|e| e * e).sum::<f64>())
        } else {
            1.0
        };
        let n = self.features;
        for (o, &m) in modulator.iter().enumerate().take(self.outputs) {
            let f = self.eta * gate * m * scale;
            for (w, e) in self.w[o * n..(o + 1) * n].iter_mut().zip(&self.trace) {
                *w += f * e;
            }
            self.bias[o] += f;
        }
    }

    /// Predicts, uses the error `target − y` as modulator with gate `gate`, and returns `y`
    /// (before the update).
    pub fn step(&mut self, x: &[f64], target: &[f64], gate: f64) -> Vec<f64> {
        let mut y = vec![0.0; self.outputs];
        self.predict(x, &mut y);
        let m: Vec<f64> = target.iter().zip(&y).map(|(t, y)| t - y).collect();
        self.update(x, &m, gate);
        y
    }
}
