//! Retrieval as a function of the number of stored pairs, with keys,
//! queries and values produced by a trained layer for distinct CS of its
//! vocabulary, and the theory it is
//! compared with.
//!
//! For a memory holding the first `N` pairs of a trial, pair `j` is queried
//! with its own CS: `y_j = Σ_{i<N} w_i (k_i·q_j)` where the write vectors are
//! `w_i = v_i` (Hebbian) or `w_i = β e_i`, `e_i = v_i − M_{i−1} k_i` (delta).
//! A coordinate is retrieved when `sign(y_jt) = u_jt` (the US sign).
//!
//! * **Average case**: the US are random signs; capacity `N*_avg` is where bit
//!   accuracy falls below 99 %.
//! * **Worst case** (Hebbian): an adversary picks every other stored value
//!   against the queried one, `v_i = −v_j·sign(k_i·q_j)`; pair `j` survives iff
//!   `S_j = Σ_{i≠j} |k_i·q_j| < k_j·q_j`. `N*_worst` is where half of the
//!   queries can be broken.

use super::layer::{Layer, Rule, distinct_cs, dot, us};
use crate::stats::{self, stream};

/// Average-case capacity threshold on bit accuracy.
pub const AVG_THRESHOLD: f64 = 0.99;
/// Worst-case capacity threshold on the fraction of queries that survive.
pub const WORST_THRESHOLD: f64 = 0.5;

/// `z = Φ⁻¹(0.99)`.
pub fn z99() -> f64 {
    stats::normal_quantile(AVG_THRESHOLD)
}

/// `E|k·k'|` for independent uniform unit vectors in `R^d`:
/// `Γ(d/2) / (√π Γ((d+1)/2))`.
pub fn mean_abs_overlap(d: usize) -> f64 {
    use crate::studies::active_dendrites::math::ln_gamma;
    let d = d as f64;
    (ln_gamma(d / 2.0) - ln_gamma((d + 1.0) / 2.0) - 0.5 * std::f64::consts::PI.ln()).exp()
}

/// Theory, Hebbian average case: `N* − 1 = d_k / z²` (Gaussian crosstalk of
/// variance `(N−1)/d_k` for uniform unit keys, `q = k`).
pub fn theory_avg(d: usize) -> f64 {
    d as f64 / (z99() * z99())
}

/// Theory, Hebbian worst case: `N* − 1 = 1 / E|k·k'| ≈ √(π d_k / 2)`.
pub fn theory_worst(d: usize) -> f64 {
    1.0 / mean_abs_overlap(d)
}

/// Mean-field bit accuracy of the delta rule with rate `β` for memory sizes
/// `N = 0..=n_max` (uniform unit keys, `q = k`, `E[(k·k')²] = 1/d`).
///
/// Every later write `l` shrinks the retrieval of pair `j` by `1 − β(k_l·k_j)²`
/// (its projection removes part of pair `j`) and adds noise `β (k_l·k_j) ξ_l`
/// whose per-coordinate variance `σ_l² = 1 + P_l` is the write error's: the
/// value plus what the memory already answers to a fresh key,
/// `P_l = F_{l−1}/d`, with `F` the memory's squared Frobenius norm per value
/// coordinate, `F_l = F_{l−1} + β² + (β² − 2β) P_l`. Pair `j` itself is
/// written as `β v_j + (1 − β) M_{j−1} k_j`. So, averaging `(1 − β C²)` to
/// `1 − β/d`:
/// `signal_j = β a^{N−j}`, `noise_j = (1−β)² P_j a^{2(N−j)} + Σ_{l=j+1..N} β² σ_l²/d · a^{2(N−l)}`,
/// `a = 1 − β/d`, and the accuracy is the mean over `j ≤ N` of
/// `Φ(signal_j / √noise_j)`. For `β → 0` with `β·v` fixed this is the Hebbian
/// memory (`noise = (N−1)/d`).
pub fn delta_accuracy_theory(d: f64, beta: f64, n_max: usize) -> Vec<f64> {
    let a = 1.0 - beta / d;
    // P_l and σ_l² for l = 1..=n_max.
    let mut p = vec![0.0; n_max + 1];
    let mut sigma2 = vec![0.0; n_max + 1];
    let mut f = 0.0;
    for l in 1..=n_max {
        p[l] = f / d;
        sigma2[l] = 1.0 + p[l];
        f += beta * beta + (beta * beta - 2.0 * beta) * p[l];
    }
    let mut acc = vec![f64::NAN; n_max + 1];
    for (n, slot) in acc.iter_mut().enumerate().skip(1) {
        let mut sum = 0.0;
        // noise from later writes, built from j = n down to 1.
        let mut later = 0.0;
        for j in (1..=n).rev() {
            let decay = a.powi((n - j) as i32);
            let signal = beta * decay;
            let noise = (1.0 - beta).powi(2) * p[j] * decay * decay + later;
            sum += if noise > 0.0 {
                stats::normal_cdf(signal / noise.sqrt())
            } else {
                1.0
            };
            // Moving to j − 1: write j joins the later writes.
            later += beta * beta * sigma2[j] / d * decay * decay;
        }
        *slot = sum / n as f64;
    }
    acc
}

/// Where a decreasing curve `f(N)` (given for N = 1..) first drops below
/// `thr`, interpolated linearly between integer `N`. NaN if it never does.
pub fn crossing(f: &[f64], thr: f64) -> f64 {
    for n in 2..f.len() {
        if f[n] < thr {
            let (a, b) = (f[n - 1], f[n]);
            return (n - 1) as f64 + (a - thr) / (a - b);
        }
    }
    f64::NAN
}

/// Stimuli of one trial pushed through the layer: unit keys and queries
/// (row-major `n × d_k`), values and US (`n × d_v`).
pub struct Geometry {
    pub n: usize,
    pub keys: Vec<f64>,
    pub queries: Vec<f64>,
    pub values: Vec<f64>,
    pub us: Vec<f64>,
}

impl Geometry {
    /// `n` distinct CS of the vocabulary and fresh US through `layer`.
    pub fn sample(layer: &Layer, n: usize, seed: u64) -> Self {
        let mut rng = stream(seed, 0);
        let cs = distinct_cs(&mut rng, layer.vocab, n);
        let mut g = Geometry {
            n,
            keys: Vec::with_capacity(n * layer.d_k),
            queries: Vec::with_capacity(n * layer.d_k),
            values: Vec::with_capacity(n * layer.d_v),
            us: Vec::with_capacity(n * layer.d_v),
        };
        for c in cs {
            let u = us(&mut rng, layer.d_v);
            g.keys.extend(layer.key(&[c]));
            g.queries.extend(layer.query(&[c]));
            g.values.extend(layer.value(&u));
            g.us.extend(u);
        }
        g
    }

    /// `c[i·n + j] = k_i · q_j`.
    pub fn key_query(&self, d: usize) -> Vec<f64> {
        let n = self.n;
        let mut c = vec![0.0; n * n];
        for i in 0..n {
            let k = &self.keys[i * d..(i + 1) * d];
            for j in 0..n {
                c[i * n + j] = dot(k, &self.queries[j * d..(j + 1) * d]);
            }
        }
        c
    }
}

/// One average-case trial: per memory size `N`, correctly retrieved bits
/// (summed over the `N` stored pairs), and the key geometry's moments.
pub struct AvgTrial {
    pub correct: Vec<u32>,
    /// `Σ_{i≠j} (k_i·q_j)²`, `Σ_{i≠j} |k_i·q_j|`, `Σ_j (k_j·q_j)²`, `Σ_j k_j·q_j` over the trial.
    pub cross2: f64,
    pub cross1: f64,
    pub self2: f64,
    pub self1: f64,
}

/// Runs one average-case trial of `layer` with its own write rule.
pub fn avg_trial(layer: &Layer, n_max: usize, seed: u64) -> AvgTrial {
    let (d, dv) = (layer.d_k, layer.d_v);
    let g = Geometry::sample(layer, n_max, seed);
    let c = g.key_query(d);
    let n = n_max;
    // Write vectors.
    let writes: Vec<f64> = match layer.rule {
        Rule::Hebbian => g.values.clone(),
        Rule::Delta => {
            let beta = layer.beta();
            let mut w = vec![0.0; n * dv];
            for i in 0..n {
                let ki = &g.keys[i * d..(i + 1) * d];
                let mut e: Vec<f64> = g.values[i * dv..(i + 1) * dv].to_vec();
                for l in 0..i {
                    let kl = dot(&g.keys[l * d..(l + 1) * d], ki);
                    for t in 0..dv {
                        e[t] -= w[l * dv + t] * kl;
                    }
                }
                for t in 0..dv {
                    w[i * dv + t] = beta * e[t];
                }
            }
            w
        }
    };
    let mut correct = vec![0u32; n + 1];
    let mut y = vec![0.0; dv];
    let (mut cross2, mut cross1, mut self2, mut self1) = (0.0, 0.0, 0.0, 0.0);
    for j in 0..n {
        let uj = &g.us[j * dv..(j + 1) * dv];
        y.fill(0.0);
        for i in 0..n {
            let cij = c[i * n + j];
            if i == j {
                self2 += cij * cij;
                self1 += cij;
            } else {
                cross2 += cij * cij;
                cross1 += cij.abs();
            }
            for t in 0..dv {
                y[t] += writes[i * dv + t] * cij;
            }
            // Memory size N = i + 1 holds pair j once i ≥ j.
            if i >= j {
                correct[i + 1] += y.iter().zip(uj).filter(|(y, u)| **y * **u > 0.0).count() as u32;
            }
        }
    }
    AvgTrial {
        correct,
        cross2,
        cross1,
        self2,
        self1,
    }
}

/// One worst-case trial (Hebbian geometry): per `N`, how many of the `N`
/// stored queries survive adversarial values.
pub fn worst_trial(layer: &Layer, n_max: usize, seed: u64) -> Vec<u32> {
    let d = layer.d_k;
    let g = Geometry::sample(layer, n_max, seed);
    let c = g.key_query(d);
    let n = n_max;
    let mut survive = vec![0u32; n + 1];
    for j in 0..n {
        let signal = c[j * n + j];
        let mut s = 0.0;
        for i in 0..n {
            if i != j {
                s += c[i * n + j].abs();
            }
            if i >= j {
                survive[i + 1] += u32::from(s < signal);
            }
        }
    }
    survive
}

/// Pooled success fraction per `N` of summed counts over trials, with
/// `per_n · N` read-outs at memory size `N`.
pub fn pooled(counts: &[Vec<u32>], per_n: usize) -> Vec<f64> {
    let n_max = counts.first().map_or(0, |c| c.len() - 1);
    let mut f = vec![f64::NAN; n_max + 1];
    for (n, slot) in f.iter_mut().enumerate().skip(1) {
        let s: f64 = counts.iter().map(|c| f64::from(c[n])).sum();
        *slot = s / (counts.len() * n * per_n) as f64;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_abs_overlap_limits() {
        // d = 2: |cos φ| for uniform φ has mean 2/π.
        assert!((mean_abs_overlap(2) - 2.0 / std::f64::consts::PI).abs() < 1e-12);
        // d = 3: |z| for uniform z on [-1, 1] has mean 1/2.
        assert!((mean_abs_overlap(3) - 0.5).abs() < 1e-12);
        let d = 4096.0;
        assert!(
            (mean_abs_overlap(4096) / (2.0 / (std::f64::consts::PI * d)).sqrt() - 1.0).abs() < 1e-3
        );
    }

    #[test]
    fn crossing_interpolates() {
        let f = [f64::NAN, 1.0, 0.995, 0.985, 0.9];
        assert!((crossing(&f, 0.99) - 2.5).abs() < 1e-12);
        assert!(crossing(&[f64::NAN, 1.0, 1.0], 0.5).is_nan());
    }

    #[test]
    fn delta_theory_limits() {
        // Tiny β: every pair interferes with every other, as in the Hebbian memory.
        let d = 200;
        let acc = delta_accuracy_theory(d as f64, 1e-6, 60);
        for n in [10usize, 40, 60] {
            let hebb = stats::normal_cdf((d as f64 / (n - 1) as f64).sqrt());
            assert!(
                (acc[n] - hebb).abs() < 1e-4,
                "N = {n}: {} vs {hebb}",
                acc[n]
            );
        }
        // β = 1: the last pair is retrieved exactly, and capacity beats Hebbian.
        let acc = delta_accuracy_theory(d as f64, 1.0, 120);
        assert_eq!(acc[1], 1.0);
        let hebb: Vec<f64> = (0..=120)
            .map(|n| {
                if n < 2 {
                    1.0
                } else {
                    stats::normal_cdf((d as f64 / (n - 1) as f64).sqrt())
                }
            })
            .collect();
        assert!(crossing(&acc, AVG_THRESHOLD) > 1.15 * crossing(&hebb, AVG_THRESHOLD));
    }
}
