//! Benchmark time series, written from their defining equations.
//!
//! * [`MackeyGlass`]: the delay differential equation of Mackey & Glass (1977), "Oscillation
//!   and chaos in physiological control systems", Science 197:287, chaotic for `τ = 17`.
//! * [`narma10`]: the tenth-order NARMA system of Atiya & Parlos (2000), IEEE TNN 11:697.
//! * [`Lorenz`]: Lorenz (1963), "Deterministic nonperiodic flow", J. Atmos. Sci. 20:130.
//! * [`memory_capacity_data`]: i.i.d. input and its delayed copies (Jaeger 2002).
//! * [`load_santafe`]: the Santa Fe competition laser series (Weigend & Gershenfeld 1993),
//!   read from a `.npy` file (`scripts/fetch-data.sh` fetches it; see DATA.md).
//! * [`sum_of_sines`]: the FORCE target of Sussillo & Abbott (2009), Fig. 2.

use crate::error::{LearnError, Result};
use crate::rng::{self, ids};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Mackey–Glass series `dx/dt = a x(t−τ) / (1 + x(t−τ)^n) − b x(t)`.
///
/// Integrated by classical RK4 with step `sample_step / substeps` and the delayed term at the
/// half step taken as the mean of its two grid neighbours; the history is `x(t) = x0` for
/// `t ≤ 0`. Parameters and sampling default to those of reservoirpy's `mackey_glass`
/// (`τ = 17, a = 0.2, b = 0.1, n = 10, x0 = 1.2`, one sample per time unit). reservoirpy takes
/// one RK4-like step per sample with the delayed value frozen over the step and a random
/// history; this integrator is finer (10 sub-steps, second order in the interpolated delayed
/// term: halving the step moves the first 300 samples by ~1e-4) and deterministic, so it is
/// not reservoirpy's series sample for sample. The benchmark
/// (`bench/reservoirpy_mg.py`) feeds reservoirpy this same series.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MackeyGlass {
    /// Delay τ (time units). Default `17`.
    pub tau: f64,
    /// Production coefficient `a` (per time unit). Default `0.2`.
    pub a: f64,
    /// Decay rate `b` (per time unit). Default `0.1`.
    pub b: f64,
    /// Hill exponent `n`. Default `10`.
    pub n: f64,
    /// Initial value and constant history. Default `1.2`.
    pub x0: f64,
    /// Time between samples (time units). Default `1`.
    pub sample_step: f64,
    /// RK4 steps per sample; `tau / (sample_step / substeps)` must be an integer. Default `10`.
    pub substeps: usize,
}

impl Default for MackeyGlass {
    fn default() -> Self {
        Self {
            tau: 17.0,
            a: 0.2,
            b: 0.1,
            n: 10.0,
            x0: 1.2,
            sample_step: 1.0,
            substeps: 10,
        }
    }
}

impl MackeyGlass {
    /// `len` samples `x(0), x(Δ), …`.
    pub fn generate(&self, len: usize) -> Result<Vec<f64>> {
        let dt = self.sample_step / self.substeps as f64;
        let d = self.tau / dt;
        if self.substeps == 0 || dt.is_nan() || dt <= 0.0 || (d - d.round()).abs() > 1e-9 || d < 1.0
        {
            return Err(LearnError::param(
                "MackeyGlass",
                "tau / (sample_step / substeps)",
                d,
                "must be a positive integer",
                "e.g. tau = 17, sample_step = 1, substeps = 10",
            ));
        }
        let d = d.round() as usize;
        let f = |x: f64, xd: f64| self.a * xd / (1.0 + xd.powf(self.n)) - self.b * x;
        // Ring of the last d + 1 grid values: hist[k % (d+1)] = x(k dt), history x0.
        let mut hist = vec![self.x0; d + 1];
        let mut x = self.x0;
        let mut out = Vec::with_capacity(len);
        let mut k = 0usize; // grid index of x
        for _ in 0..len {
            out.push(x);
            for _ in 0..self.substeps {
                let xd0 = hist[(k + 1) % (d + 1)]; // x((k - d) dt)
                let xd1 = if d == 1 { x } else { hist[(k + 2) % (d + 1)] }; // x((k - d + 1) dt)
                let xdm = 0.5 * (xd0 + xd1);
                let k1 = f(x, xd0);
                let k2 = f(x + 0.5 * dt * k1, xdm);
                let k3 = f(x + 0.5 * dt * k2, xdm);
                let k4 = f(x + dt * k3, xd1);
                x += dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
                k += 1;
                hist[k % (d + 1)] = x;
            }
        }
        Ok(out)
    }
}

/// Maps `x` linearly onto `[-1, 1]` (min → −1, max → 1).
pub fn rescale_to_unit(x: &[f64]) -> Vec<f64> {
    let (lo, hi) = x
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let span = hi - lo;
    if span <= 0.0 || !span.is_finite() {
        return vec![0.0; x.len()];
    }
    x.iter().map(|v| 2.0 * (v - lo) / span - 1.0).collect()
}

/// NARMA-10: `u(t) ~ U[0, 0.5]` i.i.d. and
/// `y(t+1) = 0.3 y(t) + 0.05 y(t) Σ_{i=0}^{9} y(t−i) + 1.5 u(t−9) u(t) + 0.1`, `y(t ≤ 0) = 0`.
///
/// Returns `(u, y)` of length `len` each with `y[t]` the value the system reaches *after*
/// input `u[t]` (i.e. `y(t+1)`): the task is to predict `y[t]` from `u[0..=t]`. The first
/// 200 steps of the system are run and dropped so the series starts in its stationary regime.
/// The recursion diverges for rare input draws; that returns [`LearnError::Numerical`] (another
/// seed fixes it).
pub fn narma10(len: usize, seed: u64) -> Result<(Vec<f64>, Vec<f64>)> {
    const DROP: usize = 200;
    let total = len + DROP;
    let mut r = rng::stream(seed, ids::TASK_INPUT);
    let u: Vec<f64> = (0..total).map(|_| 0.5 * rng::uniform(&mut r)).collect();
    let mut y = vec![0.0f64; total + 1]; // y[t] = y(t)
    for t in 0..total {
        let s: f64 = (0..10).filter(|&i| i <= t).map(|i| y[t - i]).sum();
        let u9 = if t >= 9 { u[t - 9] } else { 0.0 };
        y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * s + 1.5 * u9 * u[t] + 0.1;
        if !y[t + 1].is_finite() || y[t + 1].abs() > 1e3 {
            return Err(LearnError::Numerical {
                object: "narma10",
                what: format!("the NARMA-10 recursion diverged at step {t} (seed {seed})"),
                hint: "use another seed".into(),
            });
        }
    }
    Ok((u[DROP..].to_vec(), y[DROP + 1..].to_vec()))
}

/// Lorenz system `ẋ = σ(y−x), ẏ = x(ρ−z) − y, ż = xy − βz`, integrated by RK4.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lorenz {
    /// σ. Default `10`.
    pub sigma: f64,
    /// ρ. Default `28`.
    pub rho: f64,
    /// β. Default `8/3`.
    pub beta: f64,
    /// Initial point. Default `(1, 1, 1)`.
    pub x0: [f64; 3],
    /// Time between samples (Lorenz time units). Default `0.02`.
    pub sample_step: f64,
    /// RK4 steps per sample. Default `4`.
    pub substeps: usize,
    /// Samples run and dropped before the first returned one (transient). Default `1000`.
    pub discard: usize,
}

impl Default for Lorenz {
    fn default() -> Self {
        Self {
            sigma: 10.0,
            rho: 28.0,
            beta: 8.0 / 3.0,
            x0: [1.0, 1.0, 1.0],
            sample_step: 0.02,
            substeps: 4,
            discard: 1000,
        }
    }
}

impl Lorenz {
    /// `len` samples of `(x, y, z)`.
    pub fn generate(&self, len: usize) -> Result<Vec<[f64; 3]>> {
        if self.substeps == 0 || self.sample_step.is_nan() || self.sample_step <= 0.0 {
            return Err(LearnError::param(
                "Lorenz",
                "sample_step / substeps",
                self.sample_step,
                "need sample_step > 0 and substeps ≥ 1",
                "e.g. 0.02 and 4",
            ));
        }
        let h = self.sample_step / self.substeps as f64;
        let f = |s: [f64; 3]| {
            [
                self.sigma * (s[1] - s[0]),
                s[0] * (self.rho - s[2]) - s[1],
                s[0] * s[1] - self.beta * s[2],
            ]
        };
        let add =
            |a: [f64; 3], b: [f64; 3], c: f64| [a[0] + c * b[0], a[1] + c * b[1], a[2] + c * b[2]];
        let mut s = self.x0;
        let mut out = Vec::with_capacity(len);
        for i in 0..len + self.discard {
            if i >= self.discard {
                out.push(s);
            }
            for _ in 0..self.substeps {
                let k1 = f(s);
                let k2 = f(add(s, k1, h / 2.0));
                let k3 = f(add(s, k2, h / 2.0));
                let k4 = f(add(s, k3, h));
                for j in 0..3 {
                    s[j] += h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
                }
            }
        }
        Ok(out)
    }
}

/// Input `u(t) ~ U[-1, 1]` i.i.d. (`len` steps) and targets `u(t−k)` for `k = 1..=delays`
/// (`len × delays`, time-major; zero before the start).
pub fn memory_capacity_data(len: usize, delays: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut r = rng::stream(seed, ids::TASK_INPUT);
    let u: Vec<f64> = (0..len).map(|_| 2.0 * rng::uniform(&mut r) - 1.0).collect();
    let mut y = vec![0.0; len * delays];
    for t in 0..len {
        for k in 1..=delays {
            if t >= k {
                y[t * delays + k - 1] = u[t - k];
            }
        }
    }
    (u, y)
}

/// The Santa Fe laser series (data set A) from a `.npy` file: reservoirpy's
/// `reservoirpy/datasets/santafe_laser.npy` (fetch it with `scripts/fetch-data.sh`).
pub fn load_santafe(path: &Path) -> Result<Vec<f64>> {
    let (v, shape) = crate::npy::read_npy_f64(path)?;
    if v.len() < 10 || shape.iter().filter(|&&s| s > 1).count() > 1 {
        return Err(LearnError::Data {
            path: path.to_owned(),
            what: format!("expected a 1-D series, got shape {shape:?}"),
            hint: "pass reservoirpy/datasets/santafe_laser.npy".into(),
        });
    }
    Ok(v)
}

/// The FORCE target of Sussillo & Abbott (2009, Fig. 2; their published script): with
/// `f = 1/60` per time unit `τ`,
/// `(1.3/1.5) [sin(πft) + sin(2πft)/2 + sin(3πft)/6 + sin(4πft)/3]`, sampled every `dt` (in τ).
pub fn sum_of_sines(steps: usize, dt: f64) -> Vec<f64> {
    let f = 1.0 / 60.0;
    let pi = std::f64::consts::PI;
    (0..steps)
        .map(|i| {
            let t = i as f64 * dt;
            1.3 / 1.5
                * ((pi * f * t).sin()
                    + (2.0 * pi * f * t).sin() / 2.0
                    + (3.0 * pi * f * t).sin() / 6.0
                    + (4.0 * pi * f * t).sin() / 3.0)
        })
        .collect()
}
