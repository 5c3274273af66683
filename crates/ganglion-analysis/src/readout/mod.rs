//! Structured readouts from feature maps to many targets (neurons, voxels): the factorised
//! readout of Klindt et al. (2017, "Neural system identification for large populations
//! separating what and where", NeurIPS) and an attention readout with a learned query per
//! target, as in the transformer brain encoders and the readout-mechanism comparisons of
//! PAPERS.md row 25.
//!
//! **Shapes.** A feature map `f` holds, for each of `n` stimuli, `c` channels at `p` spatial
//! positions, row-major as stimuli × channels × positions: `f[(s * c + ch) * p + pos]`.
//! Responses `y` are row-major stimuli × targets: `y[s * t + k]`. Units are those of the
//! data: weights map feature units to response units, masks are dimensionless.
//!
//! - [`fit_factorised`]: prediction `ŷ_k(s) = Σ_c w_kc Σ_p m_kp F[s,c,p] + b_k` — `c + p`
//!   parameters per target where a full linear readout needs `c·p`. The loss
//!   `Σ_s (y − ŷ)² + α_w |w|² + α_m |m|² (+ λ |m|₁)` is bilinear, so it is minimised by
//!   alternation: with the mask fixed, the weights solve a ridge problem on the masked
//!   features `Σ_p m_p F[s,·,p]`; with the weights fixed, the mask solves a ridge problem on
//!   the channel-weighted map `Σ_c w_c F[s,c,·]` (an elastic net, solved by coordinate
//!   descent, when the L1 term or positivity is asked for). Each half-step cannot increase the
//!   loss, so it decreases monotonically to a stationary point.
//! - [`fit_attention`]: each target has a query `q_k`; the keys `K [F[s,·,p]; e_p]` (a
//!   key matrix `K` shared by all targets, optionally learned, applied to the features and an
//!   optional positional code `e_p`) give attention weights `a_p = softmax_p(q_kᵀ K [F; e]_p)`
//!   and the prediction `ŷ_k(s) = w_kᵀ Σ_p a_p F[s,·,p] + b_k`. Fit by full-batch Adam on the
//!   mean squared error (plus L2 on `w` and `q`), with hand-written gradients.

use std::fmt;

use faer::Mat;

/// What was wrong with an input; the message names the object, the value and the fix.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadoutError {
    /// A slice's length does not fit the stated shape.
    Shape(String),
    /// A parameter outside its domain.
    Parameter(String),
}

impl fmt::Display for ReadoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadoutError::Shape(s) | ReadoutError::Parameter(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for ReadoutError {}

/// The sizes of a feature map: `n` stimuli × `c` channels × `p` positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapShape {
    /// Stimuli.
    pub n: usize,
    /// Channels (features per position).
    pub c: usize,
    /// Spatial positions.
    pub p: usize,
}

fn check_inputs(
    who: &str,
    f: &[f64],
    s: MapShape,
    y: &[f64],
    t: usize,
) -> Result<(), ReadoutError> {
    if s.n < 2 || s.c == 0 || s.p == 0 || t == 0 {
        return Err(ReadoutError::Shape(format!(
            "{who}: shape n = {}, c = {}, p = {}, targets = {t}; need at least 2 stimuli, 1 \
             channel, 1 position and 1 target",
            s.n, s.c, s.p
        )));
    }
    if f.len() != s.n * s.c * s.p {
        return Err(ReadoutError::Shape(format!(
            "{who}: feature map has {} values, expected n*c*p = {}*{}*{} = {} (row-major \
             stimuli x channels x positions)",
            f.len(),
            s.n,
            s.c,
            s.p,
            s.n * s.c * s.p
        )));
    }
    if y.len() != s.n * t {
        return Err(ReadoutError::Shape(format!(
            "{who}: responses have {} values, expected n*targets = {}*{t} = {} (row-major \
             stimuli x targets)",
            y.len(),
            s.n,
            s.n * t
        )));
    }
    if let Some(i) = f.iter().chain(y).position(|v| !v.is_finite()) {
        return Err(ReadoutError::Parameter(format!(
            "{who}: input value {i} (features then responses) is not finite; remove or \
             impute NaN/inf before fitting"
        )));
    }
    Ok(())
}

fn nonneg(who: &str, name: &str, v: f64) -> Result<(), ReadoutError> {
    if v >= 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(ReadoutError::Parameter(format!(
            "{who}: {name} = {v}; it must be a finite number >= 0"
        )))
    }
}

/// A small seeded generator (SplitMix64) for the initial values.
struct Seeded(u64);

impl Seeded {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (1.0 - self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Options of [`fit_factorised`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactorisedOptions {
    /// L2 penalty α_w on the feature weights (response units² per weight², added to sums
    /// over stimuli).
    pub alpha_weights: f64,
    /// L2 penalty α_m on the mask.
    pub alpha_mask: f64,
    /// L1 penalty λ on the mask (0: none); makes the mask half-step an elastic net.
    pub l1_mask: f64,
    /// Constrain the mask to be non-negative.
    pub positive_mask: bool,
    /// Most alternation rounds (one weight and one mask step each).
    pub max_iter: usize,
    /// Stop when the loss falls by less than `tol` × loss over a round.
    pub tol: f64,
    /// Seed of the initial mask (|N(0,1)| entries).
    pub seed: u64,
}

impl Default for FactorisedOptions {
    fn default() -> Self {
        FactorisedOptions {
            alpha_weights: 1e-6,
            alpha_mask: 1e-6,
            l1_mask: 0.0,
            positive_mask: false,
            max_iter: 200,
            tol: 1e-10,
            seed: 1,
        }
    }
}

/// A fitted factorised readout.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorisedFit {
    /// Channels `c`.
    pub channels: usize,
    /// Positions `p`.
    pub positions: usize,
    /// Spatial masks, targets × positions (`mask[k * p + pos]`), each scaled to unit
    /// Euclidean norm with its largest-magnitude entry positive (the scale and sign the
    /// model cannot identify are moved into the weights).
    pub mask: Vec<f64>,
    /// Feature weights, targets × channels (`weights[k * c + ch]`).
    pub weights: Vec<f64>,
    /// One intercept per target.
    pub bias: Vec<f64>,
    /// Alternation rounds used per target.
    pub iterations: Vec<usize>,
    /// Whether each target met the tolerance within `max_iter` rounds.
    pub converged: Vec<bool>,
}

impl FactorisedFit {
    /// Predictions for the stimuli of `f` (row-major stimuli × channels × positions, `c` and
    /// `p` as fitted): stimuli × targets, row-major.
    pub fn predict(&self, f: &[f64]) -> Result<Vec<f64>, ReadoutError> {
        let (c, p, t) = (self.channels, self.positions, self.bias.len());
        if f.is_empty() || !f.len().is_multiple_of(c * p) {
            return Err(ReadoutError::Shape(format!(
                "FactorisedFit::predict: feature map has {} values, not a multiple of c*p = \
                 {c}*{p}",
                f.len()
            )));
        }
        let n = f.len() / (c * p);
        let mut out = vec![0.0; n * t];
        for s in 0..n {
            let fs = &f[s * c * p..(s + 1) * c * p];
            for k in 0..t {
                let (w, m) = (
                    &self.weights[k * c..(k + 1) * c],
                    &self.mask[k * p..(k + 1) * p],
                );
                let mut v = self.bias[k];
                for ch in 0..c {
                    let row = &fs[ch * p..(ch + 1) * p];
                    v += w[ch] * row.iter().zip(m).map(|(a, b)| a * b).sum::<f64>();
                }
                out[s * t + k] = v;
            }
        }
        Ok(out)
    }
}

/// Ridge (or elastic-net) solution of one half-step: minimise over β
/// `|yc − Zc β|² + α|β|² + λ|β|₁` (β ≥ 0 if `positive`), `z` n × d row-major, `y` of
/// length n; both centred here. Returns β and the intercept.
fn half_step(
    z: &[f64],
    y: &[f64],
    d: usize,
    alpha: f64,
    l1: f64,
    positive: bool,
    warm: &[f64],
) -> (Vec<f64>, f64) {
    let n = y.len();
    let mz: Vec<f64> = (0..d)
        .map(|j| (0..n).map(|s| z[s * d + j]).sum::<f64>() / n as f64)
        .collect();
    let my = y.iter().sum::<f64>() / n as f64;
    let zc = Mat::<f64>::from_fn(n, d, |s, j| z[s * d + j] - mz[j]);
    let yc = Mat::<f64>::from_fn(n, 1, |s, _| y[s] - my);
    let mut a = zc.transpose() * &zc;
    let b = zc.transpose() * &yc;
    (0..d).for_each(|j| a[(j, j)] += alpha);
    let beta: Vec<f64> = if l1 == 0.0 && !positive {
        let x = crate::linalg::solve_symmetric(&a, &b);
        (0..d).map(|j| x[(j, 0)]).collect()
    } else {
        // Coordinate descent on ½βᵀAβ − bᵀβ + λ|β|₁ (Friedman et al. 2010), warm-started.
        let mut beta: Vec<f64> = warm
            .iter()
            .map(|&v| if positive { v.max(0.0) } else { v })
            .collect();
        for _ in 0..1000 {
            let mut change: f64 = 0.0;
            for j in 0..d {
                let r = b[(j, 0)]
                    - (0..d)
                        .filter(|&i| i != j)
                        .map(|i| a[(j, i)] * beta[i])
                        .sum::<f64>();
                let soft = r.signum() * (r.abs() - l1).max(0.0);
                let mut v = soft / a[(j, j)].max(f64::MIN_POSITIVE);
                if positive {
                    v = v.max(0.0);
                }
                change = change.max((v - beta[j]).abs());
                beta[j] = v;
            }
            if change <= 1e-12 * (1.0 + beta.iter().fold(0.0f64, |m, v| m.max(v.abs()))) {
                break;
            }
        }
        beta
    };
    let b0 = my - beta.iter().zip(&mz).map(|(a, b)| a * b).sum::<f64>();
    (beta, b0)
}

/// Fit a factorised readout (Klindt et al. 2017) to every target independently by
/// alternating ridge solves (see the module docs). `f` is row-major stimuli × channels ×
/// positions with sizes `shape`, `y` row-major stimuli × `t` targets.
///
/// The penalties are in the units of sums over stimuli, like [`crate::encoding::ridge_cv`]'s
/// α. The mask starts from seeded |N(0,1)| values; after each round the scale between mask
/// and weights (which the fit alone cannot fix) is set to minimise the L2 penalty.
pub fn fit_factorised(
    f: &[f64],
    shape: MapShape,
    y: &[f64],
    t: usize,
    opts: &FactorisedOptions,
) -> Result<FactorisedFit, ReadoutError> {
    const WHO: &str = "fit_factorised";
    check_inputs(WHO, f, shape, y, t)?;
    nonneg(WHO, "alpha_weights", opts.alpha_weights)?;
    nonneg(WHO, "alpha_mask", opts.alpha_mask)?;
    nonneg(WHO, "l1_mask", opts.l1_mask)?;
    nonneg(WHO, "tol", opts.tol)?;
    if opts.max_iter == 0 {
        return Err(ReadoutError::Parameter(format!(
            "{WHO}: max_iter = 0; allow at least one alternation round"
        )));
    }
    let MapShape { n, c, p } = shape;
    let mut fit = FactorisedFit {
        channels: c,
        positions: p,
        mask: vec![0.0; t * p],
        weights: vec![0.0; t * c],
        bias: vec![0.0; t],
        iterations: vec![0; t],
        converged: vec![false; t],
    };
    let mut rng = Seeded(opts.seed);
    let mut zw = vec![0.0; n * c];
    let mut zm = vec![0.0; n * p];
    for k in 0..t {
        let yk: Vec<f64> = (0..n).map(|s| y[s * t + k]).collect();
        let mut m: Vec<f64> = (0..p).map(|_| rng.normal().abs()).collect();
        let mut w = vec![0.0; c];
        let mut b0 = 0.0;
        let mut last = f64::INFINITY;
        for it in 0..opts.max_iter {
            // Weight step: masked features z[s, ch] = Σ_p m_p F[s, ch, p].
            for s in 0..n {
                for ch in 0..c {
                    let row = &f[(s * c + ch) * p..(s * c + ch + 1) * p];
                    zw[s * c + ch] = row.iter().zip(&m).map(|(a, b)| a * b).sum();
                }
            }
            (w, _) = half_step(&zw, &yk, c, opts.alpha_weights, 0.0, false, &w);
            // Mask step: channel-weighted map z[s, pos] = Σ_c w_c F[s, c, pos].
            for s in 0..n {
                let zs = &mut zm[s * p..(s + 1) * p];
                zs.fill(0.0);
                for (ch, &wc) in w.iter().enumerate() {
                    let row = &f[(s * c + ch) * p..(s * c + ch + 1) * p];
                    zs.iter_mut().zip(row).for_each(|(a, b)| *a += wc * b);
                }
            }
            (m, b0) = half_step(
                &zm,
                &yk,
                p,
                opts.alpha_mask,
                opts.l1_mask,
                opts.positive_mask,
                &m,
            );
            let resid: f64 = (0..n)
                .map(|s| {
                    let pred = b0 + (0..p).map(|q| zm[s * p + q] * m[q]).sum::<f64>();
                    (yk[s] - pred).powi(2)
                })
                .sum();
            let (nw, nm) = (
                w.iter().map(|v| v * v).sum::<f64>(),
                m.iter().map(|v| v * v).sum::<f64>(),
            );
            // Rescale (w, m) → (κw, m/κ): the fit is unchanged and κ⁴ = α_m|m|²/(α_w|w|²)
            // minimises the L2 penalty (L1 on the mask makes this only approximate).
            if nw > 0.0 && nm > 0.0 && opts.alpha_weights > 0.0 && opts.alpha_mask > 0.0 {
                let kappa = ((opts.alpha_mask * nm) / (opts.alpha_weights * nw)).powf(0.25);
                w.iter_mut().for_each(|v| *v *= kappa);
                m.iter_mut().for_each(|v| *v /= kappa);
            }
            let (nw, nm) = (
                w.iter().map(|v| v * v).sum::<f64>(),
                m.iter().map(|v| v * v).sum::<f64>(),
            );
            let loss = resid
                + opts.alpha_weights * nw
                + opts.alpha_mask * nm
                + opts.l1_mask * m.iter().map(|v| v.abs()).sum::<f64>();
            fit.iterations[k] = it + 1;
            if last - loss <= opts.tol * loss.max(f64::MIN_POSITIVE) {
                fit.converged[k] = true;
                break;
            }
            last = loss;
        }
        // Report the mask at unit norm, its largest entry positive; the weights take the scale.
        let norm = m.iter().map(|v| v * v).sum::<f64>().sqrt();
        let peak = m
            .iter()
            .fold(0.0f64, |a, &v| if v.abs() > a.abs() { v } else { a });
        let scale = if norm > 0.0 {
            norm * peak.signum()
        } else {
            1.0
        };
        for (q, v) in m.iter().enumerate() {
            fit.mask[k * p + q] = v / scale;
        }
        for (ch, v) in w.iter().enumerate() {
            fit.weights[k * c + ch] = v * scale;
        }
        fit.bias[k] = b0;
    }
    Ok(fit)
}

mod attention;
#[cfg(test)]
mod tests;

pub use attention::{AttentionFit, AttentionOptions, fit_attention};
