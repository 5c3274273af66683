//! The attention readout (see the parent module's docs): a learned query per target over
//! keys from the features and an optional positional code, fitted by full-batch Adam with
//! hand-written gradients.

use super::{MapShape, ReadoutError, Seeded, check_inputs, nonneg};

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
pub(super) struct AttnParams {
    pub(super) key: Vec<f64>,
    pub(super) query: Vec<f64>,
    pub(super) weights: Vec<f64>,
    pub(super) bias: Vec<f64>,
}

pub(super) struct AttnDims {
    pub(super) c: usize,
    pub(super) p: usize,
    pub(super) e: usize,
    pub(super) d: usize,
    pub(super) t: usize,
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
pub(super) fn attn_loss(
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
