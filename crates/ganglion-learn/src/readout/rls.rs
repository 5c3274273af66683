//! Recursive least squares, the learning rule of FORCE.
//!
//! Keeps the running inverse `P ≈ (Σ λ^{t−s} x xᵀ + δ λ^t I)⁻¹` and, for each sample,
//!
//! ```text
//! k = P x,   c = 1 / (λ + xᵀ k),   P ← (P − c k kᵀ) / λ,   W ← W − c e kᵀ
//! ```
//!
//! where `e = Wᵀx − y` is the error *before* the update (Sussillo & Abbott 2009, "Generating
//! coherent patterns of activity from chaotic neural networks", Neuron 63:544, eqs. 4–5;
//! Haykin, "Adaptive Filter Theory", ch. 10). `P(0) = I / δ`: `δ` plays the role of the ridge
//! α (Sussillo & Abbott's `α`, with `P(0) = I/α`). Cost O(N²) per update.

use crate::error::{LearnError, Result};
use serde::{Deserialize, Serialize};

/// An online least-squares readout with `outputs` outputs over `features` inputs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rls {
    features: usize,
    outputs: usize,
    /// `P`, `features × features` row-major (kept symmetric).
    p: Vec<f64>,
    /// Weights, `outputs × features` row-major.
    w: Vec<f64>,
    forgetting: f64,
    k: Vec<f64>,
}

impl Rls {
    /// A readout with zero weights and `P(0) = I / delta`.
    ///
    /// `delta > 0` (dimensionless; 1.0 in Sussillo & Abbott), `forgetting` λ in `(0, 1]`
    /// (1 = no forgetting).
    pub fn new(features: usize, outputs: usize, delta: f64, forgetting: f64) -> Result<Self> {
        if !(delta > 0.0 && delta.is_finite()) {
            return Err(LearnError::param(
                "Rls",
                "delta",
                delta,
                "must be finite and > 0",
                "P(0) = I/delta; FORCE uses delta = 1",
            ));
        }
        if !(forgetting > 0.0 && forgetting <= 1.0) {
            return Err(LearnError::param(
                "Rls",
                "forgetting",
                forgetting,
                "must be in (0, 1]",
                "use 1.0 for no forgetting, e.g. 0.999 to track drift",
            ));
        }
        if features == 0 || outputs == 0 {
            return Err(LearnError::param(
                "Rls",
                "features/outputs",
                format!("{features}/{outputs}"),
                "must be at least 1",
                "one feature per reservoir unit",
            ));
        }
        let mut p = vec![0.0; features * features];
        for i in 0..features {
            p[i * features + i] = 1.0 / delta;
        }
        Ok(Self {
            features,
            outputs,
            p,
            w: vec![0.0; outputs * features],
            forgetting,
            k: vec![0.0; features],
        })
    }

    /// Number of features.
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
    /// Mutable weights.
    pub fn weights_mut(&mut self) -> &mut [f64] {
        &mut self.w
    }

    /// `y = W x`.
    pub fn predict(&self, x: &[f64], y: &mut [f64]) {
        let n = self.features;
        for (o, yo) in y.iter_mut().enumerate().take(self.outputs) {
            *yo = self.w[o * n..(o + 1) * n]
                .iter()
                .zip(x)
                .map(|(a, b)| a * b)
                .sum();
        }
    }

    /// One RLS update with features `x` and error `e = W x − target` (before the update).
    pub fn update(&mut self, x: &[f64], error: &[f64]) {
        let n = self.features;
        debug_assert!(x.len() == n && error.len() == self.outputs);
        // k = P x (P symmetric).
        for i in 0..n {
            let row = &self.p[i * n..(i + 1) * n];
            self.k[i] = row.iter().zip(x).map(|(a, b)| a * b).sum();
        }
        let xk: f64 = x.iter().zip(&self.k).map(|(a, b)| a * b).sum();
        let c = 1.0 / (self.forgetting + xk);
        let inv_l = 1.0 / self.forgetting;
        for i in 0..n {
            let ki = self.k[i] * c;
            let row = &mut self.p[i * n..(i + 1) * n];
            for (pij, &kj) in row.iter_mut().zip(&self.k) {
                *pij = (*pij - ki * kj) * inv_l;
            }
        }
        for (o, &e) in error.iter().enumerate() {
            let w = &mut self.w[o * n..(o + 1) * n];
            for (wi, &ki) in w.iter_mut().zip(&self.k) {
                *wi -= c * e * ki;
            }
        }
    }

    /// Predicts, updates towards `target`, and returns the error before the update.
    pub fn step(&mut self, x: &[f64], target: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.outputs];
        self.predict(x, &mut y);
        for (yo, t) in y.iter_mut().zip(target) {
            *yo -= t;
        }
        self.update(x, &y);
        y
    }
}
