//! Rate-based local learning rules: Hebbian, Oja, Sanger / Oja subspace, Földiák
//! anti-Hebbian decorrelation, BCM.
//!
//! Each rule is a small struct holding its weights and parameters, with `update(x)` taking one
//! input sample (dimensionless rates; zero-mean inputs for the PCA rules) and returning the
//! output. Learning rates are per sample.

use crate::error::{LearnError, Result, check_range};
use crate::rng::{self, ids};
use serde::{Deserialize, Serialize};

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn random_unit(n: usize, seed: u64, stream: u64) -> Vec<f64> {
    let mut r = rng::stream(seed, ids::RULE_INIT + stream);
    let mut w: Vec<f64> = (0..n).map(|_| rng::normal(&mut r)).collect();
    let s = dot(&w, &w).sqrt();
    w.iter_mut().for_each(|v| *v /= s);
    w
}

fn check_eta(object: &'static str, eta: f64) -> Result<()> {
    check_range(
        object,
        "eta",
        eta,
        0.0,
        1e3,
        "a small per-sample learning rate, e.g. 1e-3",
    )
}

/// Plain Hebbian learning of one linear neuron: `y = wᵀx`, `Δw = η y x`, optionally followed by
/// explicit renormalisation `w ← w / ‖w‖` (which makes it converge to the first principal
/// component; without it `‖w‖` grows without bound). Hebb (1949).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Hebbian {
    /// Weights.
    pub w: Vec<f64>,
    /// Learning rate η.
    pub eta: f64,
    /// Renormalise `w` to unit length after each update.
    pub normalise: bool,
}

impl Hebbian {
    /// Random unit-length initial weights from `seed`.
    pub fn new(inputs: usize, eta: f64, normalise: bool, seed: u64) -> Result<Self> {
        check_eta("Hebbian", eta)?;
        Ok(Self {
            w: random_unit(inputs, seed, 0),
            eta,
            normalise,
        })
    }
    /// One sample; returns `y`.
    pub fn update(&mut self, x: &[f64]) -> f64 {
        let y = dot(&self.w, x);
        for (w, xi) in self.w.iter_mut().zip(x) {
            *w += self.eta * y * xi;
        }
        if self.normalise {
            let s = dot(&self.w, &self.w).sqrt();
            if s > 0.0 {
                self.w.iter_mut().for_each(|v| *v /= s);
            }
        }
        y
    }
}

/// Oja's rule, `Δw = η y (x − y w)`: Hebbian growth with an implicit normalisation; `w`
/// converges to the unit-length first principal component of zero-mean inputs.
/// Oja (1982), "A simplified neuron model as a principal component analyzer",
/// J. Math. Biol. 15:267.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Oja {
    /// Weights.
    pub w: Vec<f64>,
    /// Learning rate η.
    pub eta: f64,
}

impl Oja {
    /// Random unit-length initial weights from `seed`.
    pub fn new(inputs: usize, eta: f64, seed: u64) -> Result<Self> {
        check_eta("Oja", eta)?;
        Ok(Self {
            w: random_unit(inputs, seed, 0),
            eta,
        })
    }
    /// One sample; returns `y`.
    pub fn update(&mut self, x: &[f64]) -> f64 {
        let y = dot(&self.w, x);
        for (w, xi) in self.w.iter_mut().zip(x) {
            *w += self.eta * y * (xi - y * *w);
        }
        y
    }
}

/// Which multi-unit PCA rule a [`Subspace`] network uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubspaceRule {
    /// Sanger's generalised Hebbian algorithm, `ΔW = η (y xᵀ − LT[y yᵀ] W)`: rows converge
    /// to the leading principal components in order. Sanger (1989), Neural Networks 2:459.
    Sanger,
    /// Oja's subspace rule, `ΔW = η (y xᵀ − y yᵀ W)`: rows converge to an orthonormal basis
    /// of the principal subspace (not the individual components). Oja (1989), Int. J. Neural
    /// Syst. 1:61.
    OjaSubspace,
}

/// `k` linear units `y = W x` learning the principal subspace of their input.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Subspace {
    /// Weights `k × n`, row-major.
    pub w: Vec<f64>,
    /// Units `k`.
    pub outputs: usize,
    /// Inputs `n`.
    pub inputs: usize,
    /// Learning rate η.
    pub eta: f64,
    /// The rule.
    pub rule: SubspaceRule,
}

impl Subspace {
    /// Random unit-length rows from `seed`.
    pub fn new(
        inputs: usize,
        outputs: usize,
        eta: f64,
        rule: SubspaceRule,
        seed: u64,
    ) -> Result<Self> {
        check_eta("Subspace", eta)?;
        if outputs == 0 || outputs > inputs {
            return Err(LearnError::param(
                "Subspace",
                "outputs",
                outputs,
                format!("must be in [1, inputs = {inputs}]"),
                "the subspace cannot be larger than the input space",
            ));
        }
        let w = (0..outputs)
            .flat_map(|i| random_unit(inputs, seed, i as u64))
            .collect();
        Ok(Self {
            w,
            outputs,
            inputs,
            eta,
            rule,
        })
    }
    /// One sample; returns `y`.
    #[allow(clippy::needless_range_loop)] // unit indices i, j address both y and rows of W
    pub fn update(&mut self, x: &[f64]) -> Vec<f64> {
        let (k, n) = (self.outputs, self.inputs);
        let y: Vec<f64> = (0..k)
            .map(|i| dot(&self.w[i * n..(i + 1) * n], x))
            .collect();
        // Reconstruction accumulated over units (j ≤ i for Sanger, all j for Oja subspace).
        let mut recon = vec![0.0; n];
        if self.rule == SubspaceRule::OjaSubspace {
            for j in 0..k {
                for (rc, wj) in recon.iter_mut().zip(&self.w[j * n..(j + 1) * n]) {
                    *rc += y[j] * wj;
                }
            }
        }
        for i in 0..k {
            if self.rule == SubspaceRule::Sanger {
                for (rc, wi) in recon.iter_mut().zip(&self.w[i * n..(i + 1) * n]) {
                    *rc += y[i] * wi;
                }
            }
            let f = self.eta * y[i];
            for ((w, xi), rc) in self.w[i * n..(i + 1) * n].iter_mut().zip(x).zip(&recon) {
                *w += f * (xi - rc);
            }
        }
        y
    }
}

/// Földiák's anti-Hebbian lateral decorrelation: `k` units receive inputs `a` and inhibit each
/// other through symmetric lateral weights `L` (zero diagonal); the output is the fixed point
/// `y = a + L y`, and `ΔL_ij = −η y_i y_j` (`i ≠ j`) until the outputs are uncorrelated.
/// Földiák (1990), "Forming sparse representations by local anti-Hebbian learning",
/// Biol. Cybern. 64:165 (the lateral part of his network; the feed-forward Hebbian part and
/// thresholds are left to the caller).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Foldiak {
    /// Lateral weights `k × k`, row-major, zero diagonal, symmetric.
    pub lateral: Vec<f64>,
    /// Units `k`.
    pub units: usize,
    /// Learning rate η.
    pub eta: f64,
}

impl Foldiak {
    /// Zero lateral weights.
    pub fn new(units: usize, eta: f64) -> Result<Self> {
        check_eta("Foldiak", eta)?;
        Ok(Self {
            lateral: vec![0.0; units * units],
            units,
            eta,
        })
    }
    /// Output for input `a`: solves `(I − L) y = a` (Gaussian elimination, k is small).
    pub fn respond(&self, a: &[f64]) -> Vec<f64> {
        let k = self.units;
        let mut m: Vec<f64> = (0..k * k)
            .map(|i| {
                if i / k == i % k {
                    1.0
                } else {
                    -self.lateral[i]
                }
            })
            .collect();
        let mut y = a.to_vec();
        for c in 0..k {
            let p = (c..k)
                .max_by(|&i, &j| m[i * k + c].abs().total_cmp(&m[j * k + c].abs()))
                .unwrap_or(c);
            if p != c {
                for j in 0..k {
                    m.swap(c * k + j, p * k + j);
                }
                y.swap(c, p);
            }
            let d = m[c * k + c];
            if d.abs() < 1e-300 {
                continue;
            }
            for i in c + 1..k {
                let f = m[i * k + c] / d;
                for j in c..k {
                    m[i * k + j] -= f * m[c * k + j];
                }
                y[i] -= f * y[c];
            }
        }
        for c in (0..k).rev() {
            let s: f64 = (c + 1..k).map(|j| m[c * k + j] * y[j]).sum();
            let d = m[c * k + c];
            y[c] = if d.abs() < 1e-300 {
                0.0
            } else {
                (y[c] - s) / d
            };
        }
        y
    }
    /// One sample; returns `y`.
    pub fn update(&mut self, a: &[f64]) -> Vec<f64> {
        let y = self.respond(a);
        let k = self.units;
        for i in 0..k {
            for j in 0..k {
                if i != j {
                    self.lateral[i * k + j] -= self.eta * y[i] * y[j];
                }
            }
        }
        y
    }
}

/// The BCM rule with a sliding threshold: `y = wᵀx`, `Δw = η x y (y − θ)`,
/// `θ ← θ + (y²/y₀ − θ)/τ_θ` (θ tracks the running mean of `y²/y₀`). With two or more
/// input patterns the neuron becomes selective to one of them.
/// Bienenstock, Cooper & Munro (1982), J. Neurosci. 2:32; Intrator & Cooper (1992),
/// Neural Networks 5:3 (the `θ = E[y²]` form).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Bcm {
    /// Weights.
    pub w: Vec<f64>,
    /// Modification threshold θ (same units as `y²/y₀`).
    pub theta: f64,
    /// Learning rate η.
    pub eta: f64,
    /// Threshold time constant τ_θ (samples, ≥ 1).
    pub tau_theta: f64,
    /// Output scale `y₀` (same units as `y`). Default in [`Bcm::new`]: 1.
    pub y0: f64,
}

impl Bcm {
    /// Weights uniform on `[0, w_init]` from `seed`, θ = 0, y₀ = 1.
    pub fn new(inputs: usize, eta: f64, tau_theta: f64, w_init: f64, seed: u64) -> Result<Self> {
        check_eta("Bcm", eta)?;
        check_range(
            "Bcm",
            "tau_theta",
            tau_theta,
            1.0,
            1e12,
            "in samples, e.g. 100; must be well below 1/eta",
        )?;
        let mut r = rng::stream(seed, ids::RULE_INIT);
        let w = (0..inputs).map(|_| w_init * rng::uniform(&mut r)).collect();
        Ok(Self {
            w,
            theta: 0.0,
            eta,
            tau_theta,
            y0: 1.0,
        })
    }
    /// One sample; returns `y`.
    pub fn update(&mut self, x: &[f64]) -> f64 {
        let y = dot(&self.w, x);
        let f = self.eta * y * (y - self.theta);
        for (w, xi) in self.w.iter_mut().zip(x) {
            *w += f * xi;
        }
        self.theta += (y * y / self.y0 - self.theta) / self.tau_theta;
        y
    }
}
