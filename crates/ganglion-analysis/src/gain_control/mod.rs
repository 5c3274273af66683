//! Adaptive gain control in a recurrent ring population, after Duong, Bredenberg, Heeger &
//! Simoncelli (2023), "Adaptive coding efficiency in recurrent cortical circuits via gain
//! control" (arXiv:2305.19869).
//!
//! The paper's claim: single-neuron gains, propagated through fixed recurrent connections,
//! suffice to reproduce V1 adaptation (tuning-curve repulsion from the adaptor, response
//! decorrelation, homeostatic equalisation of mean rates), when the gains optimise a trade-off
//! between the fidelity of the stimulus representation and the total activity.
//!
//! **Model.** `n` neurons with gains `g_i > 0` and fixed symmetric recurrent weights `W`
//! (`n × n`, row-major: `W[i*n + j]` is the weight from `j` onto `i`) follow
//! `τ dr/dt = −r + G (h + W r)`, `G = diag(g)`, for a feedforward drive `h` (one value per
//! neuron). Where the fixed point is stable (every eigenvalue of `G W` below 1), the steady
//! state is linear in the drive, `r = A h` with the transfer matrix `A = (I − G W)⁻¹ G`.
//! [`Ring`] supplies the drive of an orientation ring (von Mises tuning on the doubled angle)
//! and [`ring_weights`] circulant recurrent weights.
//!
//! **Objective** (our choice, stated because the paper's full text was not available here):
//! the information a noisy linear response `r = A h + η` (Gaussian `η` of fixed variance)
//! carries about a Gaussian drive ensemble of covariance `C`, in the high signal-to-noise
//! limit, is `½ ln det(A C Aᵀ) + const = ln |det A| + const` — the drive statistics drop out of
//! the fidelity term. The cost is `λ` times the total mean activity `1ᵀ A μ` under the
//! ensemble (mean drive `μ`). We minimise
//!
//! `L(g) = −ln det A + λ 1ᵀ A μ = −Σ ln g_i + ln det(I − G W) + λ Σ_i r̄_i`, `r̄ = A μ`,
//!
//! whose gradient is `∂L/∂g_i = −1/g_i − (W B)_ii + λ (Bᵀ1)_i r̄_i / g_i` with
//! `B = (I − G W)⁻¹` ([`GainNetwork::objective`]). Without recurrence (`W = 0`) the optimum is
//! closed form, `g_i = 1/(λ μ_i)`, so every neuron's mean rate is `1/λ` whatever the stimulus
//! ensemble: exact homeostasis, the single-neuron gain control the paper generalises. With
//! recurrence the gains are found by gradient descent on `ln g` ([`GainNetwork::optimise`],
//! Barzilai–Borwein steps with Armijo backtracking that never leaves the stable region).
//!
//! Measures of adaptation: [`tuning_curves`], [`vector_mean_preference`] and
//! [`parabolic_peak`] (tuning-curve shifts), [`response_moments`] and [`correlations`]
//! (stimulus-driven response correlations and mean rates).

use std::f64::consts::PI;
use std::fmt;

use crate::linalg;

/// Why a gain-control computation could not be done.
#[derive(Debug, Clone, PartialEq)]
pub enum GainError {
    /// The weight matrix is not `n × n` or `n` is zero.
    Shape {
        /// What was given (`"weights"`, `"gains"`, `"drive"`, …).
        what: &'static str,
        /// Values expected.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// The weight matrix is not symmetric (the stability test and `ln det` need real spectra).
    Asymmetric {
        /// Row of the first asymmetric pair.
        i: usize,
        /// Column of the first asymmetric pair.
        j: usize,
    },
    /// A value is NaN, infinite, or out of its range (gains must be > 0, λ > 0, …).
    Invalid {
        /// What was given.
        what: &'static str,
        /// Index of the value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// The gains make the fixed point unstable: the largest eigenvalue of `G W` is ≥ 1.
    Unstable {
        /// The largest eigenvalue of `G W`.
        eigenvalue: f64,
    },
}

impl fmt::Display for GainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Shape {
                what,
                expected,
                got,
            } => write!(
                f,
                "gain control: {what} has {got} values, expected {expected} (n neurons, or n × n \
                 row-major for weights); pass arrays sized for the network"
            ),
            Self::Asymmetric { i, j } => write!(
                f,
                "gain control: weights are not symmetric (W[{i},{j}] ≠ W[{j},{i}]); use a \
                 symmetric recurrent matrix such as ring_weights"
            ),
            Self::Invalid { what, index, value } => write!(
                f,
                "gain control: {what}[{index}] = {value} is not allowed; gains, λ and \
                 probabilities must be finite and positive (probabilities ≥ 0, summing to 1)"
            ),
            Self::Unstable { eigenvalue } => write!(
                f,
                "gain control: the steady state is unstable (largest eigenvalue of G W = \
                 {eigenvalue} ≥ 1); lower the gains or the recurrent excitation"
            ),
        }
    }
}

impl std::error::Error for GainError {}

/// A ring of `n` orientation-tuned neurons: neuron `i` prefers `θ_i = iπ/n` (radians,
/// orientation period π) and receives the feedforward drive
/// `h_i(s) = baseline + exp(κ (cos 2(s − θ_i) − 1))` from a grating of orientation `s`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ring {
    /// Number of neurons.
    pub n: usize,
    /// Concentration κ of the von Mises tuning (dimensionless; larger is narrower).
    pub kappa: f64,
    /// Untuned drive added to every neuron (same unit as the peak drive, which is 1).
    pub baseline: f64,
}

impl Ring {
    /// Preferred orientation of neuron `i`, in radians in `[0, π)`.
    pub fn preferred(&self, i: usize) -> f64 {
        i as f64 * PI / self.n as f64
    }

    /// The drive of every neuron to orientation `s` (radians), `n` values.
    pub fn drive(&self, s: f64) -> Vec<f64> {
        (0..self.n)
            .map(|i| {
                self.baseline + (self.kappa * ((2.0 * (s - self.preferred(i))).cos() - 1.0)).exp()
            })
            .collect()
    }
}

/// Circulant recurrent weights on a ring of `n` neurons (`n × n`, row-major):
/// `W_ij = excitation · k(θ_i − θ_j) / Σ_j k(θ_i − θ_j) − inhibition / n` with
/// `k(Δ) = exp(width (cos 2Δ − 1))`, so every row sums to `excitation − inhibition`.
/// The diagonal is included (self-excitation is part of the local kernel).
pub fn ring_weights(n: usize, excitation: f64, width: f64, inhibition: f64) -> Vec<f64> {
    assert!(
        n > 0 && excitation.is_finite() && width.is_finite() && inhibition.is_finite(),
        "ring_weights: n = {n}, excitation = {excitation}, width = {width}, inhibition = \
         {inhibition}; need n > 0 and finite parameters"
    );
    let kernel: Vec<f64> = (0..n)
        .map(|d| (width * ((2.0 * PI * d as f64 / n as f64).cos() - 1.0)).exp())
        .collect();
    let total: f64 = kernel.iter().sum();
    let mut w = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let d = (i + n - j) % n;
            w[i * n + j] = excitation * kernel[d] / total - inhibition / n as f64;
        }
    }
    w
}

/// A discrete stimulus ensemble: orientations (radians) and their probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct Ensemble {
    /// Stimulus orientations in radians.
    pub stimuli: Vec<f64>,
    /// Probability of each stimulus (non-negative, summing to 1).
    pub probabilities: Vec<f64>,
}

impl Ensemble {
    /// `m` orientations `kπ/m`, equally likely.
    pub fn uniform(m: usize) -> Self {
        assert!(
            m > 0,
            "Ensemble::uniform: m = 0; give at least one stimulus"
        );
        Self {
            stimuli: (0..m).map(|k| k as f64 * PI / m as f64).collect(),
            probabilities: vec![1.0 / m as f64; m],
        }
    }

    /// The `m` orientations of [`Ensemble::uniform`], with an extra probability mass `share`
    /// on stimulus `adaptor` (the over-represented orientation): `p_k = (1 − share)/m`, plus
    /// `share` at `k = adaptor`.
    pub fn biased(m: usize, adaptor: usize, share: f64) -> Result<Self, GainError> {
        if adaptor >= m {
            return Err(GainError::Shape {
                what: "adaptor index (stimuli)",
                expected: m,
                got: adaptor + 1,
            });
        }
        if !(0.0..1.0).contains(&share) {
            return Err(GainError::Invalid {
                what: "adaptor share",
                index: 0,
                value: share,
            });
        }
        let mut e = Self::uniform(m);
        for p in &mut e.probabilities {
            *p *= 1.0 - share;
        }
        e.probabilities[adaptor] += share;
        Ok(e)
    }

    fn validate(&self) -> Result<(), GainError> {
        if self.stimuli.len() != self.probabilities.len() || self.stimuli.is_empty() {
            return Err(GainError::Shape {
                what: "ensemble probabilities",
                expected: self.stimuli.len(),
                got: self.probabilities.len(),
            });
        }
        for (k, &p) in self.probabilities.iter().enumerate() {
            if !(p.is_finite() && p >= 0.0) {
                return Err(GainError::Invalid {
                    what: "ensemble probabilities",
                    index: k,
                    value: p,
                });
            }
        }
        let total: f64 = self.probabilities.iter().sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err(GainError::Invalid {
                what: "ensemble probability sum",
                index: 0,
                value: total,
            });
        }
        Ok(())
    }

    /// Mean drive `μ = Σ_k p_k h(s_k)` of `ring` under the ensemble (`n` values).
    pub fn mean_drive(&self, ring: &Ring) -> Result<Vec<f64>, GainError> {
        self.validate()?;
        let mut mu = vec![0.0; ring.n];
        for (&s, &p) in self.stimuli.iter().zip(&self.probabilities) {
            for (m, h) in mu.iter_mut().zip(ring.drive(s)) {
                *m += p * h;
            }
        }
        Ok(mu)
    }

    /// Drive covariance `C = Σ_k p_k (h_k − μ)(h_k − μ)ᵀ` (`n × n`, row-major).
    pub fn drive_covariance(&self, ring: &Ring) -> Result<Vec<f64>, GainError> {
        let mu = self.mean_drive(ring)?;
        let n = ring.n;
        let mut c = vec![0.0; n * n];
        for (&s, &p) in self.stimuli.iter().zip(&self.probabilities) {
            let d: Vec<f64> = ring.drive(s).iter().zip(&mu).map(|(h, m)| h - m).collect();
            for i in 0..n {
                for j in 0..n {
                    c[i * n + j] += p * d[i] * d[j];
                }
            }
        }
        Ok(c)
    }
}

/// The objective `L(g)` and its gradient with respect to the gains (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    /// `L(g) = −Σ ln g_i + ln det(I − G W) + λ Σ_i r̄_i` (nats for the first two terms, rate
    /// units times λ for the last).
    pub value: f64,
    /// `∂L/∂g_i`, `n` values.
    pub gradient: Vec<f64>,
    /// Mean steady-state rates `r̄ = A μ`, `n` values.
    pub mean_rates: Vec<f64>,
}

/// Settings of [`GainNetwork::optimise`].
#[derive(Debug, Clone, PartialEq)]
pub struct OptimiseOptions {
    /// Starting gains (`n` values, > 0, inside the stable region); `None` starts at `g = 1/(λ μ_i)`
    /// scaled down until stable.
    pub initial: Option<Vec<f64>>,
    /// Iteration limit.
    pub max_iterations: usize,
    /// Stop when `max_i |g_i ∂L/∂g_i|` (the gradient in `ln g`) falls below this.
    pub tolerance: f64,
}

impl Default for OptimiseOptions {
    fn default() -> Self {
        Self {
            initial: None,
            max_iterations: 20_000,
            tolerance: 1e-8,
        }
    }
}

/// The result of [`GainNetwork::optimise`].
#[derive(Debug, Clone, PartialEq)]
pub struct Optimised {
    /// The optimised gains, `n` values.
    pub gains: Vec<f64>,
    /// The objective, its gradient and mean rates at those gains.
    pub objective: Objective,
    /// Iterations taken.
    pub iterations: usize,
    /// `max_i |g_i ∂L/∂g_i|` at the end.
    pub gradient_norm: f64,
    /// Whether `gradient_norm` fell below the tolerance.
    pub converged: bool,
}

/// A recurrent population with fixed symmetric weights whose gains are the free parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct GainNetwork {
    n: usize,
    w: Vec<f64>,
}

impl GainNetwork {
    /// A network of `n` neurons with recurrent weights `w` (`n × n`, row-major, symmetric).
    pub fn new(n: usize, w: Vec<f64>) -> Result<Self, GainError> {
        if n == 0 || w.len() != n * n {
            return Err(GainError::Shape {
                what: "weights",
                expected: n * n,
                got: w.len(),
            });
        }
        if let Some(k) = w.iter().position(|v| !v.is_finite()) {
            return Err(GainError::Invalid {
                what: "weights",
                index: k,
                value: w[k],
            });
        }
        for i in 0..n {
            for j in 0..i {
                let (a, b) = (w[i * n + j], w[j * n + i]);
                if (a - b).abs() > 1e-12 * (1.0 + a.abs().max(b.abs())) {
                    return Err(GainError::Asymmetric { i, j });
                }
            }
        }
        Ok(Self { n, w })
    }

    /// Number of neurons.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The recurrent weights (`n × n`, row-major).
    pub fn weights(&self) -> &[f64] {
        &self.w
    }

    fn check(&self, what: &'static str, v: &[f64], positive: bool) -> Result<(), GainError> {
        if v.len() != self.n {
            return Err(GainError::Shape {
                what,
                expected: self.n,
                got: v.len(),
            });
        }
        match v
            .iter()
            .position(|x| !x.is_finite() || (positive && *x <= 0.0))
        {
            Some(k) => Err(GainError::Invalid {
                what,
                index: k,
                value: v[k],
            }),
            None => Ok(()),
        }
    }

    /// Eigenvalues of `G W` (real: `G W` is similar to the symmetric `G^½ W G^½`), decreasing.
    pub fn spectrum(&self, gains: &[f64]) -> Result<Vec<f64>, GainError> {
        self.check("gains", gains, true)?;
        let n = self.n;
        let s: Vec<f64> = gains.iter().map(|g| g.sqrt()).collect();
        let m: Vec<f64> = (0..n * n)
            .map(|k| s[k / n] * self.w[k] * s[k % n])
            .collect();
        let (values, _) = linalg::symmetric_eigen(&m, n).ok_or(GainError::Invalid {
            what: "gains (eigendecomposition failed)",
            index: 0,
            value: f64::NAN,
        })?;
        Ok(values)
    }

    /// `B = (I − G W)⁻¹` and the spectrum of `G W`, or [`GainError::Unstable`].
    fn resolvent(&self, gains: &[f64]) -> Result<(Vec<f64>, Vec<f64>), GainError> {
        let spectrum = self.spectrum(gains)?;
        if spectrum[0] >= 1.0 {
            return Err(GainError::Unstable {
                eigenvalue: spectrum[0],
            });
        }
        let n = self.n;
        let x: Vec<f64> = (0..n * n)
            .map(|k| f64::from(u8::from(k / n == k % n)) - gains[k / n] * self.w[k])
            .collect();
        let eye: Vec<f64> = (0..n * n)
            .map(|k| f64::from(u8::from(k / n == k % n)))
            .collect();
        Ok((linalg::solve_general(&x, n, &eye, n), spectrum))
    }

    /// The transfer matrix `A = (I − G W)⁻¹ G` (`n × n`, row-major): steady-state rates are
    /// `r = A h`. Errors if a gain is not positive or the fixed point is unstable.
    pub fn transfer(&self, gains: &[f64]) -> Result<Vec<f64>, GainError> {
        let (mut b, _) = self.resolvent(gains)?;
        let n = self.n;
        for (k, v) in b.iter_mut().enumerate() {
            *v *= gains[k % n];
        }
        Ok(b)
    }

    /// Steady-state rates `r = (I − G W)⁻¹ G h` for the drive `h` (`n` values).
    pub fn steady_state(&self, gains: &[f64], drive: &[f64]) -> Result<Vec<f64>, GainError> {
        self.check("drive", drive, false)?;
        let a = self.transfer(gains)?;
        Ok(mat_vec(&a, drive, self.n))
    }

    /// Integrates `τ dr/dt = −r + G (h + W r)` from `r = 0` with forward Euler, `steps`
    /// steps of `dt` (in units of τ), and returns the final rates (`n` values). Used to
    /// confirm that [`GainNetwork::steady_state`] is the state the dynamics reach.
    pub fn simulate(
        &self,
        gains: &[f64],
        drive: &[f64],
        dt: f64,
        steps: usize,
    ) -> Result<Vec<f64>, GainError> {
        self.check("gains", gains, true)?;
        self.check("drive", drive, false)?;
        let n = self.n;
        let mut r = vec![0.0; n];
        let mut next = vec![0.0; n];
        for _ in 0..steps {
            for i in 0..n {
                let row = &self.w[i * n..(i + 1) * n];
                let rec: f64 = row.iter().zip(&r).map(|(w, x)| w * x).sum();
                next[i] = r[i] + dt * (-r[i] + gains[i] * (drive[i] + rec));
            }
            std::mem::swap(&mut r, &mut next);
        }
        Ok(r)
    }

    /// The objective `L(g) = −Σ ln g_i + ln det(I − G W) + λ 1ᵀ A μ` and its gradient
    /// `∂L/∂g_i = −1/g_i − (W B)_ii + λ (Bᵀ1)_i r̄_i / g_i` for mean drive `μ` (`n` values) and
    /// activity weight `λ > 0`.
    pub fn objective(
        &self,
        gains: &[f64],
        mean_drive: &[f64],
        lambda: f64,
    ) -> Result<Objective, GainError> {
        self.check("mean drive", mean_drive, false)?;
        if !(lambda.is_finite() && lambda > 0.0) {
            return Err(GainError::Invalid {
                what: "lambda",
                index: 0,
                value: lambda,
            });
        }
        let (b, spectrum) = self.resolvent(gains)?;
        let n = self.n;
        let gm: Vec<f64> = gains.iter().zip(mean_drive).map(|(g, m)| g * m).collect();
        let rates = mat_vec(&b, &gm, n);
        let log_det: f64 = spectrum.iter().map(|v| (1.0 - v).ln()).sum();
        let value = -gains.iter().map(|g| g.ln()).sum::<f64>()
            + log_det
            + lambda * rates.iter().sum::<f64>();
        let mut col_sums = vec![0.0; n];
        for i in 0..n {
            for (c, v) in col_sums.iter_mut().zip(&b[i * n..(i + 1) * n]) {
                *c += v;
            }
        }
        let gradient = (0..n)
            .map(|i| {
                // (W B)_ii = Σ_k W_ik B_ki.
                let wb: f64 = (0..n).map(|k| self.w[i * n + k] * b[k * n + i]).sum();
                -1.0 / gains[i] - wb + lambda * col_sums[i] * rates[i] / gains[i]
            })
            .collect();
        Ok(Objective {
            value,
            gradient,
            mean_rates: rates,
        })
    }

    /// Minimises [`GainNetwork::objective`] over the gains by gradient descent in `u = ln g`
    /// with Barzilai–Borwein step sizes, Armijo backtracking and rejection of any step that
    /// leaves the stable region. Stops at the tolerance, at the iteration limit, when no step
    /// decreases the objective, or after 200 iterations without a new lowest gradient norm
    /// (the objective's rounding floor); [`Optimised::converged`] says which.
    pub fn optimise(
        &self,
        mean_drive: &[f64],
        lambda: f64,
        options: &OptimiseOptions,
    ) -> Result<Optimised, GainError> {
        self.check("mean drive", mean_drive, true)?;
        let mut gains = match &options.initial {
            Some(g) => {
                self.check("initial gains", g, true)?;
                g.clone()
            }
            None => {
                // The feedforward optimum, shrunk until the recurrent fixed point is stable.
                let mut g: Vec<f64> = mean_drive.iter().map(|m| 1.0 / (lambda * m)).collect();
                while self.spectrum(&g)?[0] >= 0.9 {
                    g.iter_mut().for_each(|x| *x *= 0.5);
                }
                g
            }
        };
        let mut obj = self.objective(&gains, mean_drive, lambda)?;
        let log_grad = |g: &[f64], o: &Objective| -> Vec<f64> {
            g.iter().zip(&o.gradient).map(|(g, d)| g * d).collect()
        };
        let mut grad = log_grad(&gains, &obj);
        let mut step = 1e-2;
        let mut iterations = 0;
        let max_abs = |v: &[f64]| v.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
        // Near the optimum the objective's decrease drops below its rounding and the steps
        // wander; stop when the gradient has not reached a new low for `STALL` iterations.
        const STALL: usize = 200;
        let (mut best, mut since_best) = (max_abs(&grad), 0);
        while iterations < options.max_iterations
            && max_abs(&grad) >= options.tolerance
            && since_best < STALL
        {
            iterations += 1;
            let g2: f64 = grad.iter().map(|x| x * x).sum();
            let mut alpha = step;
            let accepted = loop {
                let trial: Vec<f64> = gains
                    .iter()
                    .zip(&grad)
                    .map(|(g, d)| g * (-alpha * d).exp())
                    .collect();
                match self.objective(&trial, mean_drive, lambda) {
                    Ok(o) if o.value <= obj.value - 1e-4 * alpha * g2 => break Some((trial, o)),
                    Ok(_) | Err(GainError::Unstable { .. }) => {}
                    Err(e) => return Err(e),
                }
                alpha *= 0.5;
                if alpha < 1e-16 {
                    break None;
                }
            };
            let Some((trial, o)) = accepted else { break };
            let new_grad = log_grad(&trial, &o);
            // Barzilai–Borwein: s·s / s·y in ln g.
            let (mut ss, mut sy) = (0.0, 0.0);
            for i in 0..self.n {
                let s = trial[i].ln() - gains[i].ln();
                ss += s * s;
                sy += s * (new_grad[i] - grad[i]);
            }
            step = if sy > 0.0 {
                (ss / sy).min(1e3)
            } else {
                alpha * 2.0
            };
            gains = trial;
            obj = o;
            grad = new_grad;
            let norm = max_abs(&grad);
            if norm < best {
                (best, since_best) = (norm, 0);
            } else {
                since_best += 1;
            }
        }
        let gradient_norm = max_abs(&grad);
        Ok(Optimised {
            gains,
            objective: obj,
            iterations,
            gradient_norm,
            converged: gradient_norm < options.tolerance,
        })
    }
}

/// `y = M x` for `M` (`n × n`, row-major).
fn mat_vec(m: &[f64], x: &[f64], n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            m[i * n..(i + 1) * n]
                .iter()
                .zip(x)
                .map(|(a, b)| a * b)
                .sum()
        })
        .collect()
}

/// Steady-state responses of transfer matrix `a` (`n × n`) to every stimulus in `stimuli`
/// (radians): `stimuli.len() × n`, row-major (row = stimulus, column = neuron). Column `i`
/// is neuron `i`'s tuning curve.
pub fn tuning_curves(a: &[f64], ring: &Ring, stimuli: &[f64]) -> Vec<f64> {
    let n = ring.n;
    assert_eq!(
        a.len(),
        n * n,
        "tuning_curves: transfer matrix is not n × n for n = {n}"
    );
    stimuli
        .iter()
        .flat_map(|&s| mat_vec(a, &ring.drive(s), n))
        .collect()
}

/// Mean (`n`) and covariance (`n × n`, row-major) of the steady-state rates `r = A h` over
/// the ensemble: `A μ` and `A C Aᵀ` (stimulus-driven, no response noise).
pub fn response_moments(
    a: &[f64],
    ring: &Ring,
    ensemble: &Ensemble,
) -> Result<(Vec<f64>, Vec<f64>), GainError> {
    let n = ring.n;
    if a.len() != n * n {
        return Err(GainError::Shape {
            what: "transfer matrix",
            expected: n * n,
            got: a.len(),
        });
    }
    let mu = ensemble.mean_drive(ring)?;
    let c = ensemble.drive_covariance(ring)?;
    let mut ac = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            for j in 0..n {
                ac[i * n + j] += aik * c[k * n + j];
            }
        }
    }
    let mut cov = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            cov[i * n + j] = (0..n).map(|k| ac[i * n + k] * a[j * n + k]).sum();
        }
    }
    Ok((mat_vec(a, &mu, n), cov))
}

/// Correlation coefficients of a covariance matrix (`n × n`, row-major), NaN where a
/// variance is zero.
pub fn correlations(cov: &[f64], n: usize) -> Vec<f64> {
    assert_eq!(
        cov.len(),
        n * n,
        "correlations: covariance is not n × n for n = {n}"
    );
    (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            cov[k] / (cov[i * n + i] * cov[j * n + j]).sqrt()
        })
        .collect()
}

/// Preferred orientation of a tuning curve `curve` sampled at `stimuli` (radians, period π):
/// the angle of the response-weighted mean of `e^{2is}`, halved, in `[0, π)`.
pub fn vector_mean_preference(curve: &[f64], stimuli: &[f64]) -> f64 {
    assert_eq!(
        curve.len(),
        stimuli.len(),
        "vector_mean_preference: lengths differ"
    );
    let (mut c, mut s) = (0.0, 0.0);
    for (r, x) in curve.iter().zip(stimuli) {
        c += r * (2.0 * x).cos();
        s += r * (2.0 * x).sin();
    }
    (s.atan2(c) / 2.0).rem_euclid(PI)
}

/// Peak of a tuning curve sampled on the equally spaced circular grid `k·π/m`
/// (`m = curve.len()`): the vertex of the parabola through the largest sample and its two
/// neighbours, in radians in `[0, π)`.
pub fn parabolic_peak(curve: &[f64]) -> f64 {
    let m = curve.len();
    assert!(m >= 3, "parabolic_peak: need at least 3 samples, got {m}");
    let k = (0..m)
        .max_by(|&a, &b| curve[a].total_cmp(&curve[b]))
        .unwrap_or(0);
    let (y0, y1, y2) = (curve[(k + m - 1) % m], curve[k], curve[(k + 1) % m]);
    let denom = y0 - 2.0 * y1 + y2;
    let delta = if denom.abs() > 0.0 {
        0.5 * (y0 - y2) / denom
    } else {
        0.0
    };
    ((k as f64 + delta) * PI / m as f64).rem_euclid(PI)
}

/// An orientation difference wrapped into `[−π/2, π/2)`.
pub fn wrap_orientation(d: f64) -> f64 {
    (d + PI / 2.0).rem_euclid(PI) - PI / 2.0
}

#[cfg(test)]
mod tests;
