//! Sparse probing of MLP neurons (Gurnee et al. 2023, "Finding neurons in a haystack: case
//! studies with sparse probing", TMLR).
//!
//! For a binary feature of tokens (or prompts), the neurons' activations (`mlp.hook_post`)
//! are ranked by how well each one alone separates the two classes, and a logistic-
//! regression probe is fitted on the top `k` neurons for `k = 1, 2, 4, 8, …`; the held-out
//! accuracy and F1 against `k` say whether the feature is carried by a few neurons (high
//! accuracy at `k = 1`: a monosemantic neuron) or spread over many (accuracy that keeps
//! rising with `k`: superposition). As in the paper, neurons are ranked on the training
//! split only, by the difference of class means or by the one-way ANOVA F-statistic
//! ([`Rank`]); the probe is an L2-regularised logistic regression (fitted here by Newton's
//! method, exact for the small `k` of sparse probing) on features standardised with the
//! training split's mean and standard deviation.
//!
//! Data layout: an activation matrix `[n_samples, n_neurons]`, row-major `f32`, one row per
//! token (or prompt), with one `bool` label per row.

use crate::model::{HookPoint, Model, ModelError, Run};

/// How neurons are ranked for one binary feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rank {
    /// `|mean(positive) − mean(negative)|`.
    MeanDiff,
    /// The one-way ANOVA F-statistic of the two classes (between-class over within-class
    /// variance; for two classes the square of the pooled-variance t-statistic).
    FStat,
}

/// One point of the accuracy-versus-k curve.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProbeResult {
    /// Neurons in the probe.
    pub k: usize,
    /// Their indices (columns of the activation matrix), best-ranked first.
    pub neurons: Vec<usize>,
    /// Held-out accuracy.
    pub accuracy: f64,
    /// Held-out F1 of the positive class (0 when the probe predicts no positives).
    pub f1: f64,
    /// Probe weights on the standardised neurons, then the bias (`k + 1` values).
    pub weights: Vec<f64>,
}

fn check_matrix(acts: &[f32], n_neurons: usize, labels: &[bool]) -> Result<usize, ModelError> {
    let n = labels.len();
    if n_neurons == 0 || acts.len() != n * n_neurons {
        return Err(ModelError::Input(format!(
            "probing: {} activations are not {n} labelled samples × {n_neurons} neurons",
            acts.len()
        )));
    }
    let pos = labels.iter().filter(|&&b| b).count();
    if pos == 0 || pos == n {
        return Err(ModelError::Input(format!(
            "probing: the feature needs samples of both classes, got {pos} positive of {n}"
        )));
    }
    Ok(n)
}

/// Score every neuron (column of `acts`, `[n_samples, n_neurons]`) for the feature
/// `labels` (one per row) and return `(neuron, score)` best first (ties by index).
pub fn rank_neurons(
    acts: &[f32],
    n_neurons: usize,
    labels: &[bool],
    rank: Rank,
) -> Result<Vec<(usize, f64)>, ModelError> {
    let n = check_matrix(acts, n_neurons, labels)?;
    let mut sum = [vec![0f64; n_neurons], vec![0f64; n_neurons]];
    let mut sq = [vec![0f64; n_neurons], vec![0f64; n_neurons]];
    let mut count = [0f64; 2];
    for (row, &y) in acts.chunks(n_neurons).zip(labels) {
        let c = y as usize;
        count[c] += 1.0;
        for (j, &v) in row.iter().enumerate() {
            sum[c][j] += v as f64;
            sq[c][j] += v as f64 * v as f64;
        }
    }
    let mut out: Vec<(usize, f64)> = (0..n_neurons)
        .map(|j| {
            let m0 = sum[0][j] / count[0];
            let m1 = sum[1][j] / count[1];
            let score = match rank {
                Rank::MeanDiff => (m1 - m0).abs(),
                Rank::FStat => {
                    let m = (sum[0][j] + sum[1][j]) / n as f64;
                    let between = count[0] * (m0 - m).powi(2) + count[1] * (m1 - m).powi(2);
                    let within = (sq[0][j] - count[0] * m0 * m0) + (sq[1][j] - count[1] * m1 * m1);
                    let df = (n as f64 - 2.0).max(1.0);
                    if within <= 0.0 {
                        if between > 0.0 { f64::INFINITY } else { 0.0 }
                    } else {
                        between / (within / df)
                    }
                }
            };
            (j, score)
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

/// Fit `P(y = 1 | x) = σ(w · x + b)` by Newton's method on the L2-penalised log-likelihood
/// `Σ log(1 + exp(∓(w · x + b))) + l2/2 · |w|²` (the bias is not penalised).
/// `x` is `[n, k]` row-major; returns `k + 1` values: `w` then `b`.
///
/// # Panics
/// If `x` is not `labels.len() × k` values or `l2` is negative.
pub fn fit_logistic(x: &[f64], k: usize, labels: &[bool], l2: f64) -> Vec<f64> {
    let n = labels.len();
    assert_eq!(x.len(), n * k, "fit_logistic: x is not {n} × {k}");
    assert!(l2 >= 0.0, "fit_logistic: l2 = {l2} must be ≥ 0");
    let m = k + 1;
    let mut w = vec![0f64; m];
    for _ in 0..100 {
        let mut g = vec![0f64; m];
        let mut h = vec![0f64; m * m];
        for (row, &y) in x.chunks(k.max(1)).take(n).zip(labels) {
            let z = row.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + w[k];
            let p = 1.0 / (1.0 + (-z).exp());
            let r = p - y as u8 as f64;
            let s = p * (1.0 - p);
            for i in 0..m {
                let xi = if i < k { row[i] } else { 1.0 };
                g[i] += r * xi;
                for j in 0..=i {
                    let xj = if j < k { row[j] } else { 1.0 };
                    h[i * m + j] += s * xi * xj;
                }
            }
        }
        for i in 0..k {
            g[i] += l2 * w[i];
            h[i * m + i] += l2;
        }
        // A tiny ridge keeps the system solvable when the data are separable and l2 = 0.
        for i in 0..m {
            h[i * m + i] += 1e-12;
        }
        let step = cholesky_solve(&mut h, &g, m);
        let mut size = 0f64;
        for (wi, si) in w.iter_mut().zip(&step) {
            *wi -= si;
            size = size.max(si.abs());
        }
        if size < 1e-10 {
            break;
        }
    }
    w
}

/// Solve `H s = g` for symmetric positive-definite `H` (lower triangle used, overwritten).
fn cholesky_solve(h: &mut [f64], g: &[f64], m: usize) -> Vec<f64> {
    for j in 0..m {
        let mut d = h[j * m + j];
        for p in 0..j {
            d -= h[j * m + p] * h[j * m + p];
        }
        let d = d.max(1e-300).sqrt();
        h[j * m + j] = d;
        for i in j + 1..m {
            let mut v = h[i * m + j];
            for p in 0..j {
                v -= h[i * m + p] * h[j * m + p];
            }
            h[i * m + j] = v / d;
        }
    }
    let mut y = g.to_vec();
    for i in 0..m {
        for p in 0..i {
            y[i] -= h[i * m + p] * y[p];
        }
        y[i] /= h[i * m + i];
    }
    for i in (0..m).rev() {
        for p in i + 1..m {
            y[i] -= h[p * m + i] * y[p];
        }
        y[i] /= h[i * m + i];
    }
    y
}

/// The sparse-probing curve: neurons ranked on the training rows, a logistic probe (L2
/// penalty `l2`) on the top `k` standardised neurons for each `k` in `ks`, its accuracy and
/// F1 on the held-out rows. `test[i]` marks row `i` as held out.
pub fn sparse_probe(
    acts: &[f32],
    n_neurons: usize,
    labels: &[bool],
    test: &[bool],
    ks: &[usize],
    rank: Rank,
    l2: f64,
) -> Result<Vec<ProbeResult>, ModelError> {
    let n = check_matrix(acts, n_neurons, labels)?;
    if test.len() != n {
        return Err(ModelError::Input(format!(
            "probing: {} held-out flags for {n} samples",
            test.len()
        )));
    }
    if let Some(&k) = ks.iter().find(|&&k| k == 0 || k > n_neurons) {
        return Err(ModelError::Input(format!(
            "probing: k = {k} neurons is not in 1..={n_neurons}"
        )));
    }
    let train: Vec<usize> = (0..n).filter(|&i| !test[i]).collect();
    let held: Vec<usize> = (0..n).filter(|&i| test[i]).collect();
    let sub = |rows: &[usize]| -> (Vec<f32>, Vec<bool>) {
        let mut a = Vec::with_capacity(rows.len() * n_neurons);
        for &i in rows {
            a.extend_from_slice(&acts[i * n_neurons..(i + 1) * n_neurons]);
        }
        (a, rows.iter().map(|&i| labels[i]).collect())
    };
    let (tr_acts, tr_y) = sub(&train);
    let (_, te_y) = sub(&held);
    if te_y.is_empty() {
        return Err(ModelError::Input("probing: no held-out samples".into()));
    }
    let ranked = rank_neurons(&tr_acts, n_neurons, &tr_y, rank)?;
    let mut out = Vec::with_capacity(ks.len());
    for &k in ks {
        let neurons: Vec<usize> = ranked[..k].iter().map(|r| r.0).collect();
        // Standardise with training statistics (a constant neuron gets scale 1).
        let stats: Vec<(f64, f64)> = neurons
            .iter()
            .map(|&j| {
                let v: Vec<f64> = train
                    .iter()
                    .map(|&i| acts[i * n_neurons + j] as f64)
                    .collect();
                let m = v.iter().sum::<f64>() / v.len() as f64;
                let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
                (m, if sd > 0.0 { sd } else { 1.0 })
            })
            .collect();
        let feats = |rows: &[usize]| -> Vec<f64> {
            rows.iter()
                .flat_map(|&i| {
                    neurons
                        .iter()
                        .zip(&stats)
                        .map(move |(&j, (m, s))| (acts[i * n_neurons + j] as f64 - m) / s)
                })
                .collect()
        };
        let w = fit_logistic(&feats(&train), k, &tr_y, l2);
        let xt = feats(&held);
        let (mut tp, mut fp, mut fn_, mut correct) = (0usize, 0usize, 0usize, 0usize);
        for (row, &y) in xt.chunks(k).zip(&te_y) {
            let z = row.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + w[k];
            let pred = z > 0.0;
            correct += (pred == y) as usize;
            match (pred, y) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fn_ += 1,
                _ => {}
            }
        }
        let f1 = if tp == 0 {
            0.0
        } else {
            2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
        };
        out.push(ProbeResult {
            k,
            neurons,
            accuracy: correct as f64 / te_y.len() as f64,
            f1,
            weights: w,
        });
    }
    Ok(out)
}

/// `blocks.{layer}.mlp.hook_post` of every token of `prompts` (any lengths), stacked in
/// prompt order then position order: `[total tokens, d_mlp]` row-major.
pub fn mlp_post_activations(
    model: &Model,
    prompts: &[Vec<u32>],
    layer: usize,
) -> Result<Vec<f32>, ModelError> {
    if layer >= model.cfg.n_layers {
        return Err(ModelError::Input(format!(
            "probing layer {layer} is out of range: the model has layers 0..{}",
            model.cfg.n_layers
        )));
    }
    if prompts.is_empty() {
        return Err(ModelError::Input("probing: no prompts".into()));
    }
    let pt = HookPoint::MlpPost(layer);
    let mut out = Vec::new();
    for p in prompts {
        let mut run = Run::new().cache(&[pt]).last_only();
        model.run(std::slice::from_ref(p), &mut run)?;
        out.extend_from_slice(&run.cache[&pt].data);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic standard normals (SplitMix64 + Box–Muller).
    fn normals(seed: u64, n: usize) -> Vec<f64> {
        let mut s = seed;
        let mut u = || {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| {
                let (a, b) = (u().max(1e-300), u());
                (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()
            })
            .collect()
    }

    #[test]
    fn f_statistic_and_mean_difference_by_hand() {
        // One neuron, class 0 = [1, 2, 3], class 1 = [5, 7]: means 2 and 6, grand mean 3.6,
        // between = 3·1.6² + 2·2.4² = 19.2, within = 2 + 2 = 4 on 3 df: F = 14.4 (= t²).
        let acts = [1.0f32, 5.0, 2.0, 7.0, 3.0];
        let y = [false, true, false, true, false];
        let f = rank_neurons(&acts, 1, &y, Rank::FStat).expect("rank");
        assert!((f[0].1 - 14.4).abs() < 1e-12, "{f:?}");
        let d = rank_neurons(&acts, 1, &y, Rank::MeanDiff).expect("rank");
        assert!((d[0].1 - 4.0).abs() < 1e-12);
    }

    #[test]
    fn logistic_fit_is_stationary_and_label_symmetric() {
        let n = 300;
        let z = normals(5, 2 * n);
        let x: Vec<f64> = z[..2 * n].to_vec();
        let noise = normals(6, n);
        let y: Vec<bool> = (0..n)
            .map(|i| 1.2 * x[2 * i] - 0.7 * x[2 * i + 1] + 0.3 + noise[i] > 0.0)
            .collect();
        let l2 = 0.5;
        let w = fit_logistic(&x, 2, &y, l2);
        // The penalised log-likelihood's gradient vanishes at the fit.
        let mut g = [0f64; 3];
        for i in 0..n {
            let s = w[0] * x[2 * i] + w[1] * x[2 * i + 1] + w[2];
            let r = 1.0 / (1.0 + (-s).exp()) - y[i] as u8 as f64;
            g[0] += r * x[2 * i];
            g[1] += r * x[2 * i + 1];
            g[2] += r;
        }
        g[0] += l2 * w[0];
        g[1] += l2 * w[1];
        assert!(g.iter().all(|v| v.abs() < 1e-8), "gradient {g:?}");
        assert!(w[0] > 0.5 && w[1] < -0.2, "weights {w:?}");
        let flipped: Vec<bool> = y.iter().map(|b| !b).collect();
        let wf = fit_logistic(&x, 2, &flipped, l2);
        for (a, b) in w.iter().zip(&wf) {
            assert!((a + b).abs() < 1e-8, "{w:?} vs {wf:?}");
        }
    }

    #[test]
    fn planted_neuron_is_found_and_probed() {
        // 40 noise neurons; neuron 17 is 1.5 · feature + N(0, 0.5²): Bayes accuracy of a
        // threshold at 0.75 is Φ(1.5) = 0.933.
        let (n, d, planted) = (1000, 40, 17);
        let noise = normals(1, n * d);
        let coin = normals(2, n);
        let y: Vec<bool> = coin.iter().map(|c| *c > 0.3).collect();
        let mut acts: Vec<f32> = noise.iter().map(|v| *v as f32).collect();
        for i in 0..n {
            acts[i * d + planted] = (1.5 * y[i] as u8 as f64 + 0.5 * noise[i * d + planted]) as f32;
        }
        let test: Vec<bool> = (0..n).map(|i| i % 5 == 4).collect();
        for rank in [Rank::MeanDiff, Rank::FStat] {
            let r = rank_neurons(&acts, d, &y, rank).expect("rank");
            assert_eq!(r[0].0, planted, "{rank:?}");
            assert!(r[0].1 > 5.0 * r[1].1, "{rank:?}: {:?}", &r[..2]);
            let curve =
                sparse_probe(&acts, d, &y, &test, &[1, 2, 4, 8], rank, 1e-3).expect("probe");
            assert_eq!(curve[0].neurons, [planted]);
            assert!(curve[0].accuracy > 0.88, "{:?}", curve[0]);
            assert!(curve[0].f1 > 0.85, "{:?}", curve[0]);
            // Noise neurons add nothing: the curve stays within sampling error of k = 1.
            for c in &curve[1..] {
                assert!((c.accuracy - curve[0].accuracy).abs() < 0.04, "{c:?}");
            }
        }
    }

    #[test]
    fn bad_input_is_reported() {
        let acts = [0.0f32; 6];
        let e = rank_neurons(&acts, 2, &[true, true, true], Rank::MeanDiff).expect_err("one class");
        assert!(e.to_string().contains("both classes"), "{e}");
        let e = rank_neurons(&acts, 4, &[true, false, true], Rank::MeanDiff).expect_err("shape");
        assert!(
            e.to_string().contains("3 labelled samples × 4 neurons"),
            "{e}"
        );
        let y = [true, false, true];
        let e = sparse_probe(&acts, 2, &y, &[false, true, false], &[3], Rank::FStat, 0.0)
            .expect_err("k");
        assert!(e.to_string().contains("k = 3"), "{e}");
        let e = sparse_probe(&acts, 2, &y, &[false; 3], &[1], Rank::FStat, 0.0).expect_err("test");
        assert!(e.to_string().contains("no held-out"), "{e}");
    }
}
