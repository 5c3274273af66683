//! A single-head linear-attention layer with learned projections, its
//! memory-write rules (Hebbian and delta), and its training by gradient
//! descent on the conditioning task.
//!
//! **Stimuli.** A vocabulary of `V` conditioned stimuli (CS), each a one-hot
//! input `x = e_s` (a labelled line: tone, light, …), so that `W_k x` is
//! column `s` of `W_k`; a compound stimulus is the sum of its elements'
//! inputs. Unconditioned stimuli (US) are sign vectors `u ∈ {±1}^{d_v}`.
//!
//! **Task** (one episode). `N` distinct CS drawn from the vocabulary, each
//! paired with a US drawn at random for the episode (the association is
//! transient, made within the attention pass). The layer writes the pairs
//! into its memory in order; then every CS is presented again as the test
//! stimulus and the layer must answer with its US.
//!
//! **Layer.** `k = W_k x / ‖W_k x‖`, `q = W_q x / ‖W_q x‖` (unit keys and
//! queries, as in DeltaNet), `v = W_v u`. Memory, from `M = 0`: Hebbian
//! `M ← M + v kᵀ` (linear attention), or delta `M ← M + β (v − M k) kᵀ`
//! (Rescorla–Wagner / DeltaNet) with a learned `β = sigmoid(b) ∈ (0, 1)`.
//! Answer `y = M q`; loss `mean_j ‖y_j − u_j‖² / d_v`. All parameters
//! (`W_k`, `W_q`, `W_v`, `b`) are learned by stochastic gradient descent with
//! hand-written gradients (checked against finite differences in the tests);
//! an episode touches only its CS's columns of `W_k` and `W_q`, which are the
//! only ones updated (sparse SGD, as for embedding tables).

use rand::RngExt;

use crate::stats::{StudyRng, normal, sample_distinct, stream};

/// How the layer writes a key→value pair into its memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// `M ← M + v kᵀ` (linear attention).
    Hebbian,
    /// `M ← M + β (v − M k) kᵀ` (Rescorla–Wagner, DeltaNet).
    Delta,
}

impl Rule {
    /// `"Hebbian"` / `"delta"`.
    pub fn label(self) -> &'static str {
        match self {
            Rule::Hebbian => "Hebbian",
            Rule::Delta => "delta",
        }
    }
}

/// The layer's parameters, flat: `W_kᵀ` (`V × d_k`, row `s` = the raw key
/// of CS `s`), `W_qᵀ` (same), `W_v` (`d_v × d_v`, row-major), `b`.
#[derive(Debug, Clone)]
pub struct Layer {
    pub rule: Rule,
    pub vocab: usize,
    pub d_k: usize,
    pub d_v: usize,
    pub theta: Vec<f64>,
}

/// Dot product with four accumulators (lets the compiler pipeline and
/// vectorise; a plain fold is serialised by strict FP ordering).
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc[0] + acc[1] + acc[2] + acc[3] + tail
}

fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

fn sigmoid(b: f64) -> f64 {
    1.0 / (1.0 + (-b).exp())
}

/// A US: `d` random signs.
pub fn us(rng: &mut StudyRng, d: usize) -> Vec<f64> {
    (0..d)
        .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
        .collect()
}

/// `n` distinct CS of a vocabulary of `vocab`.
pub fn distinct_cs(rng: &mut StudyRng, vocab: usize, n: usize) -> Vec<usize> {
    let mut marks = vec![0u32; vocab];
    let mut out = Vec::with_capacity(n);
    sample_distinct(rng, vocab, n, &mut marks, 1, &mut out);
    out.into_iter().map(|c| c as usize).collect()
}

/// `M k` for a row-major `d_v × d_k` memory.
fn mat_vec(m: &[f64], k: &[f64], d_k: usize, out: &mut [f64]) {
    for (o, row) in out.iter_mut().zip(m.chunks_exact(d_k)) {
        *o = dot(row, k);
    }
}

/// `M += a · e kᵀ`.
fn rank_one(m: &mut [f64], a: f64, e: &[f64], k: &[f64], d_k: usize) {
    for (row, &et) in m.chunks_exact_mut(d_k).zip(e) {
        axpy(row, a * et, k);
    }
}

/// The unit vector of `r` and `‖r‖`.
fn unit(r: Vec<f64>) -> (Vec<f64>, f64) {
    let norm = dot(&r, &r).sqrt();
    (r.iter().map(|v| v / norm).collect(), norm)
}

impl Layer {
    /// A layer with independent Gaussian projections `W_k`, `W_q`
    /// (`N(0, 1/d_k)` entries, so every CS starts with an unrelated key and
    /// query), `W_v = I` (values start as the US themselves: without it the
    /// value and query projections wait for each other at a saddle) and, for
    /// the delta rule, `β = sigmoid(0) = 0.5`.
    pub fn new(rule: Rule, vocab: usize, d_k: usize, d_v: usize, seed: u64) -> Self {
        let mut rng = stream(seed, 0x1A7E);
        let sk = 1.0 / (d_k as f64).sqrt();
        let mut theta: Vec<f64> = (0..2 * vocab * d_k)
            .map(|_| sk * normal(&mut rng))
            .collect();
        theta.extend((0..d_v * d_v).map(|i| f64::from(u8::from(i % (d_v + 1) == 0))));
        theta.push(0.0);
        Self {
            rule,
            vocab,
            d_k,
            d_v,
            theta,
        }
    }

    fn off_q(&self) -> usize {
        self.vocab * self.d_k
    }

    fn off_v(&self) -> usize {
        2 * self.vocab * self.d_k
    }

    /// `W_v`, row-major `d_v × d_v`.
    pub fn w_v(&self) -> &[f64] {
        &self.theta[self.off_v()..self.off_v() + self.d_v * self.d_v]
    }

    /// The delta rule's `β` (the Hebbian layer has the parameter but ignores it).
    pub fn beta(&self) -> f64 {
        sigmoid(self.theta[self.theta.len() - 1])
    }

    /// `W x` for the stimulus made of CS `elements` (a sum of one-hot inputs).
    fn raw(&self, offset: usize, elements: &[usize]) -> Vec<f64> {
        let mut r = vec![0.0; self.d_k];
        for &s in elements {
            axpy(
                &mut r,
                1.0,
                &self.theta[offset + s * self.d_k..offset + (s + 1) * self.d_k],
            );
        }
        r
    }

    /// The unit key of the stimulus made of CS `elements`.
    pub fn key(&self, elements: &[usize]) -> Vec<f64> {
        unit(self.raw(0, elements)).0
    }

    /// The unit query of the stimulus made of CS `elements`.
    pub fn query(&self, elements: &[usize]) -> Vec<f64> {
        unit(self.raw(self.off_q(), elements)).0
    }

    /// The value of US `u`.
    pub fn value(&self, u: &[f64]) -> Vec<f64> {
        let mut v = vec![0.0; self.d_v];
        mat_vec(self.w_v(), u, self.d_v, &mut v);
        v
    }

    /// The write error `v − M k` (delta rule).
    fn error(&self, m: &[f64], k: &[f64], v: &[f64]) -> Vec<f64> {
        let mut e = vec![0.0; self.d_v];
        mat_vec(m, k, self.d_k, &mut e);
        e.iter_mut().zip(v).for_each(|(e, v)| *e = v - *e);
        e
    }

    /// Writes `(k, v)` into the memory `m` (`d_v × d_k`) with the layer's
    /// rule; returns the delta rule's error `e` (empty for Hebbian).
    pub fn write(&self, m: &mut [f64], k: &[f64], v: &[f64]) -> Vec<f64> {
        match self.rule {
            Rule::Hebbian => {
                rank_one(m, 1.0, v, k, self.d_k);
                Vec::new()
            }
            Rule::Delta => {
                let e = self.error(m, k, v);
                rank_one(m, self.beta(), &e, k, self.d_k);
                e
            }
        }
    }

    /// The memory's answer `M q`.
    pub fn read(&self, m: &[f64], q: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.d_v];
        mat_vec(m, q, self.d_k, &mut y);
        y
    }

    /// Loss of one episode (CS `cs`, US `us`); with `grad`, adds its
    /// gradient (same layout as `theta`; only the episode's CS rows of the
    /// key and query tables are touched).
    pub fn episode(&self, cs: &[usize], us: &[Vec<f64>], grad: Option<&mut [f64]>) -> f64 {
        let (d_k, d_v) = (self.d_k, self.d_v);
        let n = cs.len();
        let keys: Vec<(Vec<f64>, f64)> = cs.iter().map(|&s| unit(self.raw(0, &[s]))).collect();
        let queries: Vec<(Vec<f64>, f64)> = cs
            .iter()
            .map(|&s| unit(self.raw(self.off_q(), &[s])))
            .collect();
        let vals: Vec<Vec<f64>> = us.iter().map(|u| self.value(u)).collect();
        let beta = self.beta();
        let mut m = vec![0.0; d_v * d_k];
        let errs: Vec<Vec<f64>> = keys
            .iter()
            .zip(&vals)
            .map(|((k, _), v)| self.write(&mut m, k, v))
            .collect();
        let scale = 1.0 / (n * d_v) as f64;
        let mut loss = 0.0;
        let mut gy: Vec<Vec<f64>> = Vec::with_capacity(n);
        for ((q, _), u) in queries.iter().zip(us) {
            let y = self.read(&m, q);
            let g: Vec<f64> = y.iter().zip(u).map(|(y, u)| y - u).collect();
            loss += dot(&g, &g) * scale;
            gy.push(g.iter().map(|g| 2.0 * scale * g).collect());
        }
        let Some(grad) = grad else {
            return loss;
        };
        // Backward. G = ∂L/∂M = Σ_j g_j q_jᵀ; ∂q_j = Mᵀ g_j.
        let mut gm = vec![0.0; d_v * d_k];
        let mut dq: Vec<Vec<f64>> = Vec::with_capacity(n);
        for ((q, _), g) in queries.iter().zip(&gy) {
            rank_one(&mut gm, 1.0, g, q, d_k);
            let mut d = vec![0.0; d_k];
            for (row, &gt) in m.chunks_exact(d_k).zip(g) {
                axpy(&mut d, gt, row);
            }
            dq.push(d);
        }
        let mut dk: Vec<Vec<f64>> = vec![vec![0.0; d_k]; n];
        let mut dv: Vec<Vec<f64>> = vec![vec![0.0; d_v]; n];
        let mut dbeta = 0.0;
        match self.rule {
            Rule::Hebbian => {
                for i in 0..n {
                    mat_vec(&gm, &keys[i].0, d_k, &mut dv[i]);
                    for (row, &vt) in gm.chunks_exact(d_k).zip(&vals[i]) {
                        axpy(&mut dk[i], vt, row);
                    }
                }
            }
            Rule::Delta => {
                // Walk back from M_N: G_i = ∂L/∂M_i, M_{i−1} = M_i − β e_i k_iᵀ.
                for i in (0..n).rev() {
                    let (k, e) = (&keys[i].0, &errs[i]);
                    rank_one(&mut m, -beta, e, k, d_k);
                    let mut gk = vec![0.0; d_v]; // G_i k_i
                    mat_vec(&gm, k, d_k, &mut gk);
                    let de: Vec<f64> = gk.iter().map(|g| beta * g).collect();
                    dbeta += dot(e, &gk);
                    dv[i].copy_from_slice(&de);
                    // ∂k_i = β G_iᵀ e_i − M_{i−1}ᵀ ∂e_i.
                    for (t, (grow, mrow)) in
                        gm.chunks_exact(d_k).zip(m.chunks_exact(d_k)).enumerate()
                    {
                        axpy(&mut dk[i], beta * e[t], grow);
                        axpy(&mut dk[i], -de[t], mrow);
                    }
                    // G_{i−1} = G_i − (∂e_i) k_iᵀ.
                    rank_one(&mut gm, -1.0, &de, k, d_k);
                }
            }
        }
        // Through the normalisation: ∂r = (I − u uᵀ) ∂u / ‖r‖, into row s.
        let back =
            |grad: &mut [f64], offset: usize, s: usize, (u, norm): &(Vec<f64>, f64), du: &[f64]| {
                let c = dot(u, du);
                let row = &mut grad[offset + s * d_k..offset + (s + 1) * d_k];
                for ((r, &d), &u) in row.iter_mut().zip(du).zip(u) {
                    *r += (d - c * u) / norm;
                }
            };
        let (off_q, off_v) = (self.off_q(), self.off_v());
        for i in 0..n {
            back(grad, 0, cs[i], &keys[i], &dk[i]);
            back(grad, off_q, cs[i], &queries[i], &dq[i]);
            for (row, &d) in grad[off_v..off_v + d_v * d_v]
                .chunks_exact_mut(d_v)
                .zip(&dv[i])
            {
                axpy(row, d, &us[i]);
            }
        }
        let last = grad.len() - 1;
        grad[last] += dbeta * beta * (1.0 - beta);
        loss
    }
}

/// One point of a training curve.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainPoint {
    pub step: usize,
    /// Mean loss over the steps since the previous point.
    pub loss: f64,
}

/// What training did.
#[derive(Debug, Clone)]
pub struct Trained {
    pub layer: Layer,
    pub curve: Vec<TrainPoint>,
    /// Loss of the untrained layer on held-out episodes, and of the trained one.
    pub loss_before: f64,
    pub loss_after: f64,
}

/// Training schedule: plain SGD, learning rate decayed by a cosine to 5 %.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Pairs per episode.
    pub pairs: usize,
    /// Steps (one episode each).
    pub steps: usize,
    /// Peak learning rate of the key and query rows, per unit of `pairs`
    /// (an episode's loss is a mean over its pairs, so a row's gradient
    /// scales as `1/pairs`).
    pub lr_rows: f64,
    /// Peak learning rate of `W_v` and `b`.
    pub lr: f64,
}

/// A fresh episode: `n` distinct CS and their US.
pub fn episode_data(rng: &mut StudyRng, layer: &Layer, n: usize) -> (Vec<usize>, Vec<Vec<f64>>) {
    let cs = distinct_cs(rng, layer.vocab, n);
    let us = (0..n).map(|_| us(rng, layer.d_v)).collect();
    (cs, us)
}

fn held_out_loss(layer: &Layer, s: &Schedule, seed: u64) -> f64 {
    let mut rng = stream(seed, 0xE7A1);
    let reps = 8;
    (0..reps)
        .map(|_| {
            let (cs, us) = episode_data(&mut rng, layer, s.pairs);
            layer.episode(&cs, &us, None)
        })
        .sum::<f64>()
        / reps as f64
}

/// Trains `layer` with SGD on fresh episodes.
pub fn train(mut layer: Layer, s: &Schedule, seed: u64) -> Trained {
    let loss_before = held_out_loss(&layer, s, seed);
    let mut rng = stream(seed, 0x7EA1);
    let mut g = vec![0.0; layer.theta.len()];
    let (d_k, off_q, off_v) = (layer.d_k, layer.off_q(), layer.off_v());
    let mut curve = Vec::new();
    let every = (s.steps / 40).max(1);
    let mut acc = 0.0;
    for step in 1..=s.steps {
        let (cs, us) = episode_data(&mut rng, &layer, s.pairs);
        acc += layer.episode(&cs, &us, Some(&mut g));
        let frac = (step - 1) as f64 / s.steps as f64;
        let decay = 0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * frac).cos());
        let lr_rows = s.lr_rows * s.pairs as f64 * decay;
        let n_params = g.len();
        let mut step_and_clear = |r: std::ops::Range<usize>, lr: f64| {
            for (w, g) in layer.theta[r.clone()].iter_mut().zip(&mut g[r]) {
                *w -= lr * *g;
                *g = 0.0;
            }
        };
        for &c in &cs {
            for off in [0, off_q] {
                step_and_clear(off + c * d_k..off + (c + 1) * d_k, lr_rows);
            }
        }
        step_and_clear(off_v..n_params, s.lr * decay);
        if step % every == 0 || step == s.steps {
            let k = (step - 1) % every + 1;
            curve.push(TrainPoint {
                step,
                loss: acc / k as f64,
            });
            acc = 0.0;
        }
    }
    // (W_q, W_v) → (−W_q, −W_v) computes the same function; report the
    // layer with a positive-trace W_v, so that q ≈ +k.
    let tr: f64 = (0..layer.d_v).map(|t| layer.w_v()[t * layer.d_v + t]).sum();
    if tr < 0.0 {
        for w in &mut layer.theta[off_q..off_v + layer.d_v * layer.d_v] {
            *w = -*w;
        }
    }
    let loss_after = held_out_loss(&layer, s, seed);
    Trained {
        layer,
        curve,
        loss_before,
        loss_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finite_difference_check(rule: Rule) {
        let mut layer = Layer::new(rule, 9, 5, 3, 11);
        let last = layer.theta.len() - 1;
        layer.theta[last] = 0.4;
        let mut rng = stream(5, 6);
        let (cs, us) = episode_data(&mut rng, &layer, 4);
        let mut g = vec![0.0; layer.theta.len()];
        layer.episode(&cs, &us, Some(&mut g));
        let h = 1e-6;
        for (i, &gi) in g.iter().enumerate() {
            let mut plus = layer.clone();
            plus.theta[i] += h;
            let mut minus = layer.clone();
            minus.theta[i] -= h;
            let fd = (plus.episode(&cs, &us, None) - minus.episode(&cs, &us, None)) / (2.0 * h);
            assert!(
                (fd - gi).abs() <= 1e-6 * (1.0 + fd.abs()),
                "{rule:?} parameter {i}: analytic {gi} vs finite difference {fd}"
            );
        }
        if rule == Rule::Hebbian {
            assert_eq!(g[last], 0.0, "the Hebbian layer has no β");
        } else {
            assert!(g[last] != 0.0);
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        finite_difference_check(Rule::Hebbian);
        finite_difference_check(Rule::Delta);
    }

    #[test]
    fn delta_write_with_beta_one_stores_the_last_pair_exactly() {
        let mut layer = Layer::new(Rule::Delta, 20, 8, 4, 1);
        let last = layer.theta.len() - 1;
        layer.theta[last] = 40.0; // β = 1 to machine precision
        let mut rng = stream(2, 3);
        let mut m = vec![0.0; 4 * 8];
        for s in 0..5 {
            let k = layer.key(&[s]);
            let v = us(&mut rng, 4);
            layer.write(&mut m, &k, &v);
            let y = layer.read(&m, &k);
            for (y, v) in y.iter().zip(&v) {
                assert!((y - v).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn training_aligns_queries_with_keys() {
        let layer = Layer::new(Rule::Hebbian, 64, 16, 4, 9);
        let s = Schedule {
            pairs: 4,
            steps: 600,
            lr_rows: 0.5,
            lr: 0.05,
        };
        let t = train(layer, &s, 4);
        assert!(
            t.loss_after < 0.6 * t.loss_before,
            "{} → {}",
            t.loss_before,
            t.loss_after
        );
        let l = &t.layer;
        let align: f64 = (0..64)
            .map(|c| dot(&l.key(&[c]), &l.query(&[c])))
            .sum::<f64>()
            / 64.0;
        assert!(align > 0.8, "mean k·q {align}");
    }
}
