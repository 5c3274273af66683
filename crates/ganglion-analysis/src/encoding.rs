//! Encoding models: ridge regression from stimulus features to many response targets (voxels,
//! neurons) with a regularisation chosen per target by cross-validation, prediction
//! accuracy as Pearson correlation, and split-half noise ceilings.
//!
//! Matrices are row-major `Vec<f64>`: `x` is stimuli × features, `y` stimuli × targets.
//! Features and responses are centred on the training data; the intercept is not penalised.

use faer::{Mat, Side};

/// Pearson correlation of two equally long series (NaN when either is constant).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

/// A fitted encoding model: one weight vector, intercept and α per target.
#[derive(Debug, Clone, PartialEq)]
pub struct RidgeFit {
    /// Number of features.
    pub features: usize,
    /// `weights[t * features + f]`.
    pub weights: Vec<f64>,
    /// One intercept per target.
    pub intercept: Vec<f64>,
    /// The α chosen for each target.
    pub alpha: Vec<f64>,
}

impl RidgeFit {
    /// Predictions for stimuli `x` (row-major, stimuli × features): stimuli × targets.
    pub fn predict(&self, x: &[f64]) -> Vec<f64> {
        let (p, t) = (self.features, self.intercept.len());
        let n = x.len() / p.max(1);
        let mut out = vec![0.0; n * t];
        for s in 0..n {
            let row = &x[s * p..(s + 1) * p];
            for k in 0..t {
                let w = &self.weights[k * p..(k + 1) * p];
                out[s * t + k] =
                    self.intercept[k] + row.iter().zip(w).map(|(a, b)| a * b).sum::<f64>();
            }
        }
        out
    }
}

/// The centred training data of one fold in the eigenbasis of its Gram matrix:
/// `XᵀX = V Λ Vᵀ` and `Z = Vᵀ XᵀY`, so that the ridge weights for any α are
/// `V diag(1/(λ + α)) Z` — one eigendecomposition serves the whole α grid.
struct Spectral {
    v: Mat<f64>,
    lambda: Vec<f64>,
    /// λ + α at or below this is a null direction (rounding level of the largest λ).
    cutoff: f64,
    z: Mat<f64>,
    mx: Vec<f64>,
    my: Vec<f64>,
}

fn spectral(x: &[f64], y: &[f64], (p, t): (usize, usize), rows: &[usize]) -> Spectral {
    let c = rows.len().max(1) as f64;
    let mut mx = vec![0.0; p];
    let mut my = vec![0.0; t];
    for &s in rows {
        (0..p).for_each(|f| mx[f] += x[s * p + f] / c);
        (0..t).for_each(|k| my[k] += y[s * t + k] / c);
    }
    let xc = Mat::<f64>::from_fn(rows.len(), p, |i, f| x[rows[i] * p + f] - mx[f]);
    let yc = Mat::<f64>::from_fn(rows.len(), t, |i, k| y[rows[i] * t + k] - my[k]);
    let gram = xc.transpose() * &xc;
    let evd = gram
        .self_adjoint_eigen(Side::Lower)
        .expect("ridge_cv: the eigendecomposition of a finite Gram matrix converges");
    let v = evd.U().to_owned();
    let s = evd.S().column_vector();
    // A rank-deficient Gram matrix (p ≥ n, collinear features) has eigenvalues that are
    // rounding noise of either sign: clamp them to 0, and treat λ + α below the rounding
    // level as a null direction (the pseudo-inverse, as numpy's `pinv` and scikit-learn's SVD
    // solver do), so that α = 0 gives the minimum-norm least-squares fit instead of inf/NaN.
    let lambda: Vec<f64> = (0..p).map(|j| s[j].max(0.0)).collect();
    let top = lambda.iter().copied().fold(0.0, f64::max);
    let cutoff = top * p.max(rows.len()) as f64 * f64::EPSILON;
    let z = v.transpose() * (xc.transpose() * &yc);
    Spectral {
        v,
        lambda,
        cutoff,
        z,
        mx,
        my,
    }
}

impl Spectral {
    /// `1/(λ_j + α)`, or 0 in a null direction.
    fn gain(&self, j: usize, alpha: f64) -> f64 {
        let d = self.lambda[j] + alpha;
        if d > self.cutoff { 1.0 / d } else { 0.0 }
    }

    /// `diag(1/(λ + α)) Z`: the ridge weights for α in the eigenbasis (p × t).
    fn shrunk(&self, alpha: f64) -> Mat<f64> {
        Mat::<f64>::from_fn(self.z.nrows(), self.z.ncols(), |j, k| {
            self.z[(j, k)] * self.gain(j, alpha)
        })
    }
}

/// Fit ridge regression of every target on `x` (n × p) → `y` (n × t), choosing each target's
/// α from `alphas` by `folds`-fold cross-validation (contiguous folds: fold f holds rows
/// `f·n/folds .. (f+1)·n/folds`; score = the Pearson correlation of held-out predictions
/// with the target, averaged over folds, NaN counted as 0; the first best α on ties), then
/// refitting on all rows with that α.
///
/// Each fit minimises `|Yc − Xc W|² + α|W|²` on the rows' centred data (the intercept is not
/// penalised; α is in the units of the Gram matrix, a sum over stimuli) — scikit-learn's
/// `Ridge(alpha, fit_intercept=True)`. All α of a fold share one eigendecomposition of
/// `XcᵀXc`.
///
/// # Panics
/// If `p` or `t` is 0, the lengths of `x` and `y` are not `n·p` and `n·t` for the same n,
/// `alphas` is empty or holds a negative or non-finite value, or the data are not finite.
pub fn ridge_cv(
    x: &[f64],
    y: &[f64],
    p: usize,
    t: usize,
    alphas: &[f64],
    folds: usize,
) -> RidgeFit {
    assert!(
        p > 0 && t > 0 && x.len().is_multiple_of(p) && y.len() == x.len() / p * t,
        "ridge_cv: x has {} values and y {} for p = {p} features and t = {t} targets; need \
         x = n*p and y = n*t (row-major stimuli x features / targets)",
        x.len(),
        y.len()
    );
    assert!(
        !alphas.is_empty() && alphas.iter().all(|a| *a >= 0.0 && a.is_finite()),
        "ridge_cv: alphas = {alphas:?}; give at least one finite α >= 0"
    );
    assert!(
        x.iter().chain(y).all(|v| v.is_finite()),
        "ridge_cv: x or y holds NaN or inf; remove or impute them first"
    );
    let n = x.len() / p;
    let folds = folds.clamp(2, n.max(2));
    let mut score = vec![vec![0.0; t]; alphas.len()];
    // With one α there is nothing to choose: no folds.
    for f in (0..folds).filter(|_| alphas.len() > 1) {
        let (lo, hi) = (f * n / folds, (f + 1) * n / folds);
        let train: Vec<usize> = (0..n).filter(|s| *s < lo || *s >= hi).collect();
        let sp = spectral(x, y, (p, t), &train);
        // Held-out rows, centred on the training means, in the eigenbasis.
        let xt = Mat::<f64>::from_fn(hi - lo, p, |i, j| x[(lo + i) * p + j] - sp.mx[j]);
        let a = &xt * &sp.v;
        for (ai, &alpha) in alphas.iter().enumerate() {
            let pred = &a * sp.shrunk(alpha);
            for k in 0..t {
                let pk: Vec<f64> = (0..hi - lo).map(|i| pred[(i, k)] + sp.my[k]).collect();
                let obs: Vec<f64> = (lo..hi).map(|s| y[s * t + k]).collect();
                let r = pearson(&pk, &obs);
                score[ai][k] += if r.is_finite() { r } else { 0.0 } / folds as f64;
            }
        }
    }
    let all: Vec<usize> = (0..n).collect();
    let sp = spectral(x, y, (p, t), &all);
    let mut fit = RidgeFit {
        features: p,
        weights: vec![0.0; t * p],
        intercept: vec![0.0; t],
        alpha: vec![0.0; t],
    };
    let best: Vec<usize> = (0..t)
        .map(|k| (0..alphas.len()).fold(0, |b, a| if score[a][k] > score[b][k] { a } else { b }))
        .collect();
    for (ai, &alpha) in alphas.iter().enumerate() {
        let targets: Vec<usize> = (0..t).filter(|&k| best[k] == ai).collect();
        if targets.is_empty() {
            continue;
        }
        let zs = Mat::<f64>::from_fn(p, targets.len(), |j, i| {
            sp.z[(j, targets[i])] * sp.gain(j, alpha)
        });
        let w = &sp.v * zs;
        for (i, &k) in targets.iter().enumerate() {
            fit.alpha[k] = alpha;
            let mut c = sp.my[k];
            for j in 0..p {
                fit.weights[k * p + j] = w[(j, i)];
                c -= w[(j, i)] * sp.mx[j];
            }
            fit.intercept[k] = c;
        }
    }
    fit
}

/// Split-half noise ceiling of each target from `repeats` (each stimuli × targets, row-major):
/// the correlation r between the means of the even and the odd repeats, stepped up to all
/// repeats by Spearman–Brown (ρ = 2r/(1 + r)), and its square root — the highest correlation
/// any model can reach with the mean response. Negative reliabilities give 0.
pub fn noise_ceiling(repeats: &[Vec<f64>], t: usize) -> Vec<f64> {
    let n = repeats.first().map_or(0, |r| r.len() / t.max(1));
    let half = |parity: usize| -> Vec<f64> {
        let picked: Vec<&Vec<f64>> = repeats.iter().skip(parity).step_by(2).collect();
        let mut m = vec![0.0; n * t];
        for r in &picked {
            m.iter_mut()
                .zip(r.iter())
                .for_each(|(a, b)| *a += b / picked.len() as f64);
        }
        m
    };
    let (a, b) = (half(0), half(1));
    (0..t)
        .map(|k| {
            let col = |m: &[f64]| (0..n).map(|s| m[s * t + k]).collect::<Vec<f64>>();
            let r = pearson(&col(&a), &col(&b));
            (2.0 * r / (1.0 + r)).max(0.0).sqrt()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng;

    #[test]
    fn pearson_basics() {
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-12);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert!(pearson(&[1.0, 1.0], &[1.0, 2.0]).is_nan());
    }

    #[test]
    fn noiseless_targets_are_recovered_with_the_smallest_alpha() {
        let mut rng = Rng(5);
        let (n, p, t) = (200, 5, 3);
        let x: Vec<f64> = (0..n * p).map(|_| rng.normal()).collect();
        let w: Vec<f64> = (0..t * p).map(|_| rng.normal()).collect();
        let y: Vec<f64> = (0..n)
            .flat_map(|s| (0..t).map(move |k| (s, k)))
            .map(|(s, k)| 1.5 + (0..p).map(|j| x[s * p + j] * w[k * p + j]).sum::<f64>())
            .collect();
        let fit = ridge_cv(&x, &y, p, t, &[1e-6, 1.0, 100.0], 5);
        assert!(fit.alpha.iter().all(|&a| a == 1e-6), "{:?}", fit.alpha);
        for (a, b) in fit.weights.iter().zip(&w) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        assert!(fit.intercept.iter().all(|c| (c - 1.5).abs() < 1e-6));
        let pred = fit.predict(&x);
        assert!(pred.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-6));
    }

    #[test]
    fn weights_solve_the_penalised_normal_equations() {
        // p > n/2 and a large α: the eigenbasis solution equals (XcᵀXc + αI)⁻¹ XcᵀYc.
        let mut rng = Rng(7);
        let (n, p, t, alpha) = (30, 12, 2, 7.5);
        let x: Vec<f64> = (0..n * p).map(|_| rng.normal()).collect();
        let y: Vec<f64> = (0..n * t).map(|_| rng.normal()).collect();
        let fit = ridge_cv(&x, &y, p, t, &[alpha], 5);
        let mx: Vec<f64> = (0..p)
            .map(|j| (0..n).map(|s| x[s * p + j]).sum::<f64>() / n as f64)
            .collect();
        let my: Vec<f64> = (0..t)
            .map(|k| (0..n).map(|s| y[s * t + k]).sum::<f64>() / n as f64)
            .collect();
        let a = Mat::<f64>::from_fn(p, p, |i, j| {
            (0..n)
                .map(|s| (x[s * p + i] - mx[i]) * (x[s * p + j] - mx[j]))
                .sum::<f64>()
                + if i == j { alpha } else { 0.0 }
        });
        let b = Mat::<f64>::from_fn(p, t, |i, k| {
            (0..n)
                .map(|s| (x[s * p + i] - mx[i]) * (y[s * t + k] - my[k]))
                .sum::<f64>()
        });
        let w = crate::linalg::solve_symmetric(&a, &b);
        for k in 0..t {
            for j in 0..p {
                assert!((fit.weights[k * p + j] - w[(j, k)]).abs() < 1e-10);
            }
            let c = my[k] - (0..p).map(|j| w[(j, k)] * mx[j]).sum::<f64>();
            assert!((fit.intercept[k] - c).abs() < 1e-10);
        }
    }

    #[test]
    fn unregularised_fit_with_more_features_than_stimuli_interpolates() {
        // p = 12 > n = 6, α = 0: the minimum-norm least-squares fit, which reproduces the
        // training targets exactly (finite weights, no division by rounding noise).
        let mut rng = Rng(5);
        let (n, p) = (6, 12);
        let x: Vec<f64> = (0..n * p).map(|_| rng.normal()).collect();
        let y: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let fit = ridge_cv(&x, &y, p, 1, &[0.0], 2);
        assert!(fit.weights.iter().all(|w| w.is_finite()));
        let pred = fit.predict(&x);
        assert!(
            pred.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-8),
            "{pred:?} vs {y:?}"
        );
    }

    #[test]
    #[should_panic(expected = "ridge_cv: x has 5 values")]
    fn ridge_cv_rejects_mismatched_shapes() {
        ridge_cv(&[0.0; 5], &[0.0; 2], 2, 1, &[1.0], 2);
    }

    #[test]
    fn split_half_ceiling_matches_the_true_reliability() {
        // Signal variance 1, noise variance 1 per repeat, 4 repeats: the mean's reliability
        // is 1/(1 + 1/4) = 0.8, its ceiling sqrt(0.8) = 0.894.
        let mut rng = Rng(9);
        let (n, t) = (4000, 2);
        let s: Vec<f64> = (0..n * t).map(|_| rng.normal()).collect();
        let repeats: Vec<Vec<f64>> = (0..4)
            .map(|_| s.iter().map(|v| v + rng.normal()).collect())
            .collect();
        for c in noise_ceiling(&repeats, t) {
            assert!((c - 0.8f64.sqrt()).abs() < 0.01, "{c}");
        }
    }
}
