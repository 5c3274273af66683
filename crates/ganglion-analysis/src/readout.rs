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

/// Options of [`fit_attention`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttentionOptions {
    /// Dimension of keys and queries when the key matrix is learned; 0 keeps `K` fixed at the
    /// identity (queries then live in the `c + e` dimensions of features and positional code).
    pub key_dim: usize,
    /// Adam steps (full batch).
    pub steps: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// L2 penalty on the feature weights and the queries, added to the mean squared error.
    pub l2: f64,
    /// Stop early once the mean squared error falls below this value.
    pub tol: f64,
    /// Seed of the initial queries, weights and key matrix.
    pub seed: u64,
}

impl Default for AttentionOptions {
    fn default() -> Self {
        AttentionOptions {
            key_dim: 0,
            steps: 2000,
            learning_rate: 0.02,
            l2: 0.0,
            tol: 0.0,
            seed: 1,
        }
    }
}

/// A fitted attention readout.
#[derive(Debug, Clone, PartialEq)]
pub struct AttentionFit {
    /// Channels `c`.
    pub channels: usize,
    /// Positions `p`.
    pub positions: usize,
    /// Positional code, `e × p` row-major (`e = positional.len() / p`; empty if none).
    pub positional: Vec<f64>,
    /// Key dimension `d` (rows of `key`).
    pub key_dim: usize,
    /// Key matrix, `d × (c + e)` row-major (the identity when it was not learned).
    pub key: Vec<f64>,
    /// Queries, targets × d (`query[k * d + j]`).
    pub query: Vec<f64>,
    /// Feature weights, targets × channels.
    pub weights: Vec<f64>,
    /// One intercept per target.
    pub bias: Vec<f64>,
    /// Mean squared error (over stimuli and targets, without the penalty) after each step.
    pub loss: Vec<f64>,
}

/// Parameters, laid out flat for the gradient code: key (d × (c+e)), query (t × d),
/// weights (t × c), bias (t).
struct AttnParams {
    key: Vec<f64>,
    query: Vec<f64>,
    weights: Vec<f64>,
    bias: Vec<f64>,
}

struct AttnDims {
    c: usize,
    p: usize,
    e: usize,
    d: usize,
    t: usize,
}

/// Per stimulus: the keys (p × d) of its positions.
fn keys_of(fs: &[f64], pos: &[f64], key: &[f64], dm: &AttnDims) -> Vec<f64> {
    let AttnDims { c, p, e, d, .. } = *dm;
    let mut out = vec![0.0; p * d];
    for j in 0..d {
        let kr = &key[j * (c + e)..(j + 1) * (c + e)];
        // Zero entries (all but one per row of a fixed identity key) are skipped.
        for (ch, &kv) in kr[..c].iter().enumerate().filter(|(_, kv)| **kv != 0.0) {
            let row = &fs[ch * p..(ch + 1) * p];
            (0..p).for_each(|q| out[q * d + j] += kv * row[q]);
        }
        for (i, &kv) in kr[c..].iter().enumerate().filter(|(_, kv)| **kv != 0.0) {
            let row = &pos[i * p..(i + 1) * p];
            (0..p).for_each(|q| out[q * d + j] += kv * row[q]);
        }
    }
    out
}

fn softmax(logits: &mut [f64]) {
    let mx = logits.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let mut z = 0.0;
    logits.iter_mut().for_each(|v| {
        *v = (*v - mx).exp();
        z += *v;
    });
    logits.iter_mut().for_each(|v| *v /= z);
}

/// Mean squared error (without penalty) and, if `grad`, its gradient plus that of
/// `l2 (|w|² + |q|²)`, in the layout of [`AttnParams`].
#[allow(clippy::too_many_arguments)]
fn attn_loss(
    f: &[f64],
    pos: &[f64],
    y: &[f64],
    n: usize,
    dm: &AttnDims,
    th: &AttnParams,
    l2: f64,
    learn_key: bool,
    grad: Option<&mut AttnParams>,
) -> f64 {
    let AttnDims { c, p, e, d, t } = *dm;
    let scale = 1.0 / (n * t) as f64;
    let mut loss = 0.0;
    let mut g = grad;
    let mut a = vec![0.0; p];
    let mut v = vec![0.0; c];
    let mut r = vec![0.0; c + e];
    for s in 0..n {
        let fs = &f[s * c * p..(s + 1) * c * p];
        let keys = keys_of(fs, pos, &th.key, dm);
        for k in 0..t {
            let q = &th.query[k * d..(k + 1) * d];
            for (i, ai) in a.iter_mut().enumerate() {
                *ai = keys[i * d..(i + 1) * d]
                    .iter()
                    .zip(q)
                    .map(|(x, y)| x * y)
                    .sum();
            }
            softmax(&mut a);
            v.fill(0.0);
            for (ch, vc) in v.iter_mut().enumerate() {
                *vc = fs[ch * p..(ch + 1) * p]
                    .iter()
                    .zip(&a)
                    .map(|(x, y)| x * y)
                    .sum();
            }
            let w = &th.weights[k * c..(k + 1) * c];
            let pred = th.bias[k] + v.iter().zip(w).map(|(x, y)| x * y).sum::<f64>();
            let err = pred - y[s * t + k];
            loss += err * err * scale;
            let Some(g) = g.as_deref_mut() else { continue };
            let de = 2.0 * err * scale;
            g.bias[k] += de;
            g.weights[k * c..(k + 1) * c]
                .iter_mut()
                .zip(&v)
                .for_each(|(gw, vc)| *gw += de * vc);
            // ∂ŷ/∂a_p = w·F[:,p] =: h_p; ∂ŷ/∂logit_p = a_p (h_p − Σ_q a_q h_q).
            let h: Vec<f64> = (0..p)
                .map(|i| (0..c).map(|ch| w[ch] * fs[ch * p + i]).sum())
                .collect();
            let hbar: f64 = h.iter().zip(&a).map(|(x, y)| x * y).sum();
            let dl: Vec<f64> = (0..p).map(|i| de * a[i] * (h[i] - hbar)).collect();
            let gq = &mut g.query[k * d..(k + 1) * d];
            for (i, dli) in dl.iter().enumerate() {
                gq.iter_mut()
                    .zip(&keys[i * d..(i + 1) * d])
                    .for_each(|(x, kv)| *x += dli * kv);
            }
            if learn_key {
                // ∂/∂K = q rᵀ with r = Σ_p dl_p [F; e]_p.
                for (ch, rc) in r[..c].iter_mut().enumerate() {
                    *rc = fs[ch * p..(ch + 1) * p]
                        .iter()
                        .zip(&dl)
                        .map(|(x, y)| x * y)
                        .sum();
                }
                for (i, ri) in r[c..].iter_mut().enumerate() {
                    *ri = pos[i * p..(i + 1) * p]
                        .iter()
                        .zip(&dl)
                        .map(|(x, y)| x * y)
                        .sum();
                }
                for (j, qj) in q.iter().enumerate() {
                    g.key[j * (c + e)..(j + 1) * (c + e)]
                        .iter_mut()
                        .zip(&r)
                        .for_each(|(x, ri)| *x += qj * ri);
                }
            }
        }
    }
    if let Some(g) = g {
        g.weights
            .iter_mut()
            .zip(&th.weights)
            .for_each(|(x, w)| *x += 2.0 * l2 * w);
        g.query
            .iter_mut()
            .zip(&th.query)
            .for_each(|(x, q)| *x += 2.0 * l2 * q);
    }
    loss
}

/// Fit an attention readout (see the module docs) to all targets jointly by full-batch Adam
/// on the mean squared error over stimuli and targets. `f` is row-major stimuli × channels ×
/// positions with sizes `shape`, `y` row-major stimuli × `t` targets, `positional` an
/// optional positional code `e × p` (row-major; empty for none) appended to the features
/// that form the keys, so that attention can select locations as well as content.
pub fn fit_attention(
    f: &[f64],
    shape: MapShape,
    y: &[f64],
    t: usize,
    positional: &[f64],
    opts: &AttentionOptions,
) -> Result<AttentionFit, ReadoutError> {
    const WHO: &str = "fit_attention";
    check_inputs(WHO, f, shape, y, t)?;
    let MapShape { n, c, p } = shape;
    if !positional.len().is_multiple_of(p) {
        return Err(ReadoutError::Shape(format!(
            "{WHO}: positional code has {} values, not a multiple of p = {p} (row-major code \
             dimensions x positions)",
            positional.len()
        )));
    }
    nonneg(WHO, "l2", opts.l2)?;
    nonneg(WHO, "tol", opts.tol)?;
    if !(opts.learning_rate > 0.0 && opts.learning_rate.is_finite()) {
        return Err(ReadoutError::Parameter(format!(
            "{WHO}: learning_rate = {}; it must be a positive finite number (0.01-0.05 \
             suits standardised features)",
            opts.learning_rate
        )));
    }
    let e = positional.len() / p;
    let learn_key = opts.key_dim > 0;
    let d = if learn_key { opts.key_dim } else { c + e };
    let dm = AttnDims { c, p, e, d, t };
    let mut rng = Seeded(opts.seed);
    let key: Vec<f64> = if learn_key {
        let sd = 1.0 / ((c + e) as f64).sqrt();
        (0..d * (c + e)).map(|_| sd * rng.normal()).collect()
    } else {
        (0..d * d)
            .map(|i| if i / d == i % d { 1.0 } else { 0.0 })
            .collect()
    };
    let mean_y: Vec<f64> = (0..t)
        .map(|k| (0..n).map(|s| y[s * t + k]).sum::<f64>() / n as f64)
        .collect();
    let mut th = AttnParams {
        key,
        query: (0..t * d).map(|_| 0.01 * rng.normal()).collect(),
        weights: (0..t * c).map(|_| 0.01 * rng.normal()).collect(),
        bias: mean_y,
    };
    let zeros = |th: &AttnParams| AttnParams {
        key: vec![0.0; th.key.len()],
        query: vec![0.0; th.query.len()],
        weights: vec![0.0; th.weights.len()],
        bias: vec![0.0; th.bias.len()],
    };
    let (mut m1, mut m2) = (zeros(&th), zeros(&th));
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
    let mut losses = Vec::with_capacity(opts.steps);
    for step in 1..=opts.steps {
        let mut g = zeros(&th);
        let loss = attn_loss(
            f,
            positional,
            y,
            n,
            &dm,
            &th,
            opts.l2,
            learn_key,
            Some(&mut g),
        );
        losses.push(loss);
        if loss <= opts.tol {
            break;
        }
        let (c1, c2) = (1.0 - b1.powi(step as i32), 1.0 - b2.powi(step as i32));
        let groups = [
            (&mut th.key, &g.key, &mut m1.key, &mut m2.key),
            (&mut th.query, &g.query, &mut m1.query, &mut m2.query),
            (
                &mut th.weights,
                &g.weights,
                &mut m1.weights,
                &mut m2.weights,
            ),
            (&mut th.bias, &g.bias, &mut m1.bias, &mut m2.bias),
        ];
        for (x, gx, a, b) in groups {
            for i in 0..x.len() {
                a[i] = b1 * a[i] + (1.0 - b1) * gx[i];
                b[i] = b2 * b[i] + (1.0 - b2) * gx[i] * gx[i];
                x[i] -= opts.learning_rate * (a[i] / c1) / ((b[i] / c2).sqrt() + eps);
            }
        }
    }
    Ok(AttentionFit {
        channels: c,
        positions: p,
        positional: positional.to_vec(),
        key_dim: d,
        key: th.key,
        query: th.query,
        weights: th.weights,
        bias: th.bias,
        loss: losses,
    })
}

impl AttentionFit {
    /// Attention weights of every target on every stimulus of `f` (row-major stimuli ×
    /// channels × positions): stimuli × targets × positions, row-major; each row sums to 1.
    pub fn attention(&self, f: &[f64]) -> Result<Vec<f64>, ReadoutError> {
        let (c, p, t, d) = (self.channels, self.positions, self.bias.len(), self.key_dim);
        if f.is_empty() || !f.len().is_multiple_of(c * p) {
            return Err(ReadoutError::Shape(format!(
                "AttentionFit: feature map has {} values, not a multiple of c*p = {c}*{p}",
                f.len()
            )));
        }
        let e = self.positional.len() / p;
        let dm = AttnDims { c, p, e, d, t };
        let n = f.len() / (c * p);
        let mut out = vec![0.0; n * t * p];
        for s in 0..n {
            let keys = keys_of(
                &f[s * c * p..(s + 1) * c * p],
                &self.positional,
                &self.key,
                &dm,
            );
            for k in 0..t {
                let a = &mut out[(s * t + k) * p..(s * t + k + 1) * p];
                let q = &self.query[k * d..(k + 1) * d];
                for (i, ai) in a.iter_mut().enumerate() {
                    *ai = keys[i * d..(i + 1) * d]
                        .iter()
                        .zip(q)
                        .map(|(x, y)| x * y)
                        .sum();
                }
                softmax(a);
            }
        }
        Ok(out)
    }

    /// Predictions for the stimuli of `f` (row-major stimuli × channels × positions):
    /// stimuli × targets, row-major.
    pub fn predict(&self, f: &[f64]) -> Result<Vec<f64>, ReadoutError> {
        let (c, p, t) = (self.channels, self.positions, self.bias.len());
        let att = self.attention(f)?;
        let n = f.len() / (c * p);
        let mut out = vec![0.0; n * t];
        for s in 0..n {
            for k in 0..t {
                let a = &att[(s * t + k) * p..(s * t + k + 1) * p];
                let w = &self.weights[k * c..(k + 1) * c];
                let mut v = self.bias[k];
                for ch in 0..c {
                    let row = &f[(s * c + ch) * p..(s * c + ch + 1) * p];
                    v += w[ch] * row.iter().zip(a).map(|(x, y)| x * y).sum::<f64>();
                }
                out[s * t + k] = v;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng;

    #[test]
    fn factorised_recovers_planted_mask_and_weights() {
        let mut rng = Rng(3);
        let (n, c, p, t) = (300, 4, 9, 3);
        let f: Vec<f64> = (0..n * c * p).map(|_| rng.normal()).collect();
        let m: Vec<f64> = (0..t * p).map(|_| rng.normal()).collect();
        let w: Vec<f64> = (0..t * c).map(|_| rng.normal()).collect();
        let truth = FactorisedFit {
            channels: c,
            positions: p,
            mask: m.clone(),
            weights: w.clone(),
            bias: vec![0.5, -1.0, 2.0],
            iterations: vec![],
            converged: vec![],
        };
        let y = truth.predict(&f).unwrap();
        let fit = fit_factorised(
            &f,
            MapShape { n, c, p },
            &y,
            t,
            &FactorisedOptions::default(),
        )
        .unwrap();
        for k in 0..t {
            assert!(fit.converged[k], "target {k}: {} rounds", fit.iterations[k]);
            // Up to the scale (and sign) symmetry: m/|m| and w|m|, sign fixed by the peak.
            let mk = &m[k * p..(k + 1) * p];
            let norm = mk.iter().map(|v| v * v).sum::<f64>().sqrt();
            let peak = mk
                .iter()
                .fold(0.0f64, |a, &v| if v.abs() > a.abs() { v } else { a });
            let s = norm * peak.signum();
            for (q, mq) in mk.iter().enumerate() {
                let (got, want) = (fit.mask[k * p + q], mq / s);
                assert!((got - want).abs() < 1e-6, "mask {k},{q}: {got} vs {want}");
            }
            for ch in 0..c {
                let (got, want) = (fit.weights[k * c + ch], w[k * c + ch] * s);
                assert!(
                    (got - want).abs() < 1e-5,
                    "weight {k},{ch}: {got} vs {want}"
                );
            }
            assert!((fit.bias[k] - truth.bias[k]).abs() < 1e-6);
        }
        let pred = fit.predict(&f).unwrap();
        assert!(pred.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-6));
    }

    #[test]
    fn positive_l1_mask_is_sparse_and_non_negative() {
        let mut rng = Rng(8);
        let (n, c, p) = (200, 3, 16);
        let f: Vec<f64> = (0..n * c * p).map(|_| rng.normal()).collect();
        // One-position receptive field at position 5.
        let y: Vec<f64> = (0..n)
            .map(|s| {
                (0..c)
                    .map(|ch| [1.0, -2.0, 0.5][ch] * f[(s * c + ch) * p + 5])
                    .sum::<f64>()
                    + 0.1 * rng.normal()
            })
            .collect();
        let opts = FactorisedOptions {
            l1_mask: 5.0,
            positive_mask: true,
            alpha_mask: 1.0,
            alpha_weights: 1.0,
            ..FactorisedOptions::default()
        };
        let fit = fit_factorised(&f, MapShape { n, c, p }, &y, 1, &opts).unwrap();
        assert!(fit.mask.iter().all(|&v| v >= 0.0), "{:?}", fit.mask);
        assert!(fit.mask[5] > 0.99, "{:?}", fit.mask);
        assert!(
            fit.mask.iter().filter(|&&v| v > 1e-3).count() <= 3,
            "{:?}",
            fit.mask
        );
    }

    fn planted_attention(n: usize, c: usize, p: usize, t: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut rng = Rng(11);
        let f: Vec<f64> = (0..n * c * p).map(|_| rng.normal()).collect();
        // One-hot positional code; target k reads position 2k with weights w_k.
        let pos: Vec<f64> = (0..p * p)
            .map(|i| if i / p == i % p { 1.0 } else { 0.0 })
            .collect();
        let w: Vec<f64> = (0..t * c).map(|_| rng.normal()).collect();
        let y: Vec<f64> = (0..n * t)
            .map(|i| {
                let (s, k) = (i / t, i % t);
                1.0 + (0..c)
                    .map(|ch| w[k * c + ch] * f[(s * c + ch) * p + 2 * k])
                    .sum::<f64>()
            })
            .collect();
        (f, pos, y)
    }

    #[test]
    fn attention_fits_a_one_hot_target() {
        let (n, c, p, t) = (100, 3, 6, 2);
        let (f, pos, y) = planted_attention(n, c, p, t);
        let var: f64 = {
            let m = y.iter().sum::<f64>() / y.len() as f64;
            y.iter().map(|v| (v - m).powi(2)).sum::<f64>() / y.len() as f64
        };
        let opts = AttentionOptions {
            steps: 3000,
            learning_rate: 0.05,
            ..AttentionOptions::default()
        };
        let fit = fit_attention(&f, MapShape { n, c, p }, &y, t, &pos, &opts).unwrap();
        let last = *fit.loss.last().unwrap();
        assert!(last < 1e-4 * var, "loss {last} of variance {var}");
        let att = fit.attention(&f).unwrap();
        for k in 0..t {
            assert!(att[k * p + 2 * k] > 0.99, "{:?}", &att[k * p..(k + 1) * p]);
        }
    }

    #[test]
    fn attention_gradient_matches_finite_differences() {
        let (n, c, p, t) = (7, 3, 4, 2);
        let (f, pos, y) = planted_attention(n, c, p, t);
        let mut rng = Rng(21);
        let e = p;
        let d = 3;
        let dm = AttnDims { c, p, e, d, t };
        let th = AttnParams {
            key: (0..d * (c + e)).map(|_| rng.normal()).collect(),
            query: (0..t * d).map(|_| rng.normal()).collect(),
            weights: (0..t * c).map(|_| rng.normal()).collect(),
            bias: (0..t).map(|_| rng.normal()).collect(),
        };
        let l2 = 0.3;
        let total = |th: &AttnParams| {
            attn_loss(&f, &pos, &y, n, &dm, th, l2, true, None)
                + l2 * (th
                    .weights
                    .iter()
                    .chain(&th.query)
                    .map(|v| v * v)
                    .sum::<f64>())
        };
        let mut g = AttnParams {
            key: vec![0.0; th.key.len()],
            query: vec![0.0; th.query.len()],
            weights: vec![0.0; th.weights.len()],
            bias: vec![0.0; th.bias.len()],
        };
        attn_loss(&f, &pos, &y, n, &dm, &th, l2, true, Some(&mut g));
        let h = 1e-6;
        let fields: [fn(&mut AttnParams) -> &mut Vec<f64>; 4] = [
            |a| &mut a.key,
            |a| &mut a.query,
            |a| &mut a.weights,
            |a| &mut a.bias,
        ];
        let grads = [&g.key, &g.query, &g.weights, &g.bias];
        for (field, grad) in fields.iter().zip(grads) {
            for (i, gi) in grad.iter().enumerate() {
                let mut plus = clone_params(&th);
                field(&mut plus)[i] += h;
                let mut minus = clone_params(&th);
                field(&mut minus)[i] -= h;
                let num = (total(&plus) - total(&minus)) / (2.0 * h);
                assert!(
                    (num - gi).abs() < 1e-6 * (1.0 + num.abs()),
                    "param {i}: numeric {num} vs analytic {gi}"
                );
            }
        }
    }

    fn clone_params(a: &AttnParams) -> AttnParams {
        AttnParams {
            key: a.key.clone(),
            query: a.query.clone(),
            weights: a.weights.clone(),
            bias: a.bias.clone(),
        }
    }

    #[test]
    fn bad_shapes_and_parameters_are_errors() {
        let s = MapShape { n: 4, c: 2, p: 3 };
        let f = vec![0.0; 24];
        let y = vec![0.0; 4];
        let o = FactorisedOptions::default();
        let err = fit_factorised(&f[..23], s, &y, 1, &o).unwrap_err();
        assert!(
            matches!(&err, ReadoutError::Shape(m) if m.contains("23")),
            "{err}"
        );
        let err = fit_factorised(&f, s, &y[..3], 1, &o).unwrap_err();
        assert!(
            matches!(&err, ReadoutError::Shape(m) if m.contains("responses")),
            "{err}"
        );
        let bad = FactorisedOptions {
            alpha_mask: -1.0,
            ..o
        };
        assert!(matches!(
            fit_factorised(&f, s, &y, 1, &bad),
            Err(ReadoutError::Parameter(_))
        ));
        let mut nan = f.clone();
        nan[3] = f64::NAN;
        assert!(matches!(
            fit_factorised(&nan, s, &y, 1, &o),
            Err(ReadoutError::Parameter(_))
        ));
        let a = AttentionOptions::default();
        let err = fit_attention(&f, s, &y, 1, &[0.0; 4], &a).unwrap_err();
        assert!(
            matches!(&err, ReadoutError::Shape(m) if m.contains("positional")),
            "{err}"
        );
        let bad = AttentionOptions {
            learning_rate: 0.0,
            ..a
        };
        assert!(matches!(
            fit_attention(&f, s, &y, 1, &[], &bad),
            Err(ReadoutError::Parameter(_))
        ));
        let fit = fit_factorised(&f, s, &y, 1, &o).unwrap();
        assert!(fit.predict(&f[..5]).is_err());
    }
}
