//! Encoding models: ridge regression from stimulus features to many response targets (voxels,
//! neurons) with a regularisation chosen per target by cross-validation, prediction
//! accuracy as Pearson correlation, and split-half noise ceilings.
//!
//! Matrices are row-major `Vec<f64>`: `x` is stimuli × features, `y` stimuli × targets.
//! Features and responses are centred on the training data; the intercept is not penalised.

use faer::Mat;

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

/// Centred Gram matrix XᵀX and cross products XᵀY of the rows `rows`, with the means.
struct Moments {
    gram: Mat<f64>,
    xy: Mat<f64>,
    mx: Vec<f64>,
    my: Vec<f64>,
}

fn moments(x: &[f64], y: &[f64], (p, t): (usize, usize), rows: &[usize]) -> Moments {
    let c = rows.len().max(1) as f64;
    let mut mx = vec![0.0; p];
    let mut my = vec![0.0; t];
    for &s in rows {
        (0..p).for_each(|f| mx[f] += x[s * p + f] / c);
        (0..t).for_each(|k| my[k] += y[s * t + k] / c);
    }
    let mut gram = Mat::<f64>::zeros(p, p);
    let mut xy = Mat::<f64>::zeros(p, t);
    for &s in rows {
        let xs: Vec<f64> = (0..p).map(|f| x[s * p + f] - mx[f]).collect();
        for i in 0..p {
            for j in 0..=i {
                gram[(i, j)] += xs[i] * xs[j];
            }
            for k in 0..t {
                xy[(i, k)] += xs[i] * (y[s * t + k] - my[k]);
            }
        }
    }
    Moments { gram, xy, mx, my }
}

/// Ridge weights (p × t) for one α from centred moments.
fn solve(m: &Moments, alpha: f64) -> Mat<f64> {
    let p = m.gram.nrows();
    let a = Mat::<f64>::from_fn(p, p, |i, j| {
        let g = if j <= i {
            m.gram[(i, j)]
        } else {
            m.gram[(j, i)]
        };
        g + if i == j { alpha } else { 0.0 }
    });
    crate::linalg::solve_symmetric(&a, &m.xy)
}

/// Fit ridge regression of every target on `x` (n × p) → `y` (n × t), choosing each target's
/// α from `alphas` by `folds`-fold cross-validation (contiguous folds; the α whose held-out
/// predictions correlate best with the target), then refitting on all rows.
pub fn ridge_cv(
    x: &[f64],
    y: &[f64],
    p: usize,
    t: usize,
    alphas: &[f64],
    folds: usize,
) -> RidgeFit {
    let n = x.len() / p.max(1);
    let folds = folds.clamp(2, n.max(2));
    let mut score = vec![vec![0.0; t]; alphas.len()];
    // With one α there is nothing to choose: no folds.
    for f in (0..folds).filter(|_| alphas.len() > 1) {
        let (lo, hi) = (f * n / folds, (f + 1) * n / folds);
        let train: Vec<usize> = (0..n).filter(|s| *s < lo || *s >= hi).collect();
        let m = moments(x, y, (p, t), &train);
        for (a, &alpha) in alphas.iter().enumerate() {
            let w = solve(&m, alpha);
            for k in 0..t {
                let (mut pred, mut obs) = (vec![], vec![]);
                for s in lo..hi {
                    let v: f64 = (0..p).map(|j| (x[s * p + j] - m.mx[j]) * w[(j, k)]).sum();
                    pred.push(v + m.my[k]);
                    obs.push(y[s * t + k]);
                }
                let r = pearson(&pred, &obs);
                score[a][k] += if r.is_finite() { r } else { 0.0 } / folds as f64;
            }
        }
    }
    let all: Vec<usize> = (0..n).collect();
    let m = moments(x, y, (p, t), &all);
    let mut fit = RidgeFit {
        features: p,
        weights: vec![0.0; t * p],
        intercept: vec![0.0; t],
        alpha: vec![0.0; t],
    };
    let mut cache: Vec<Option<Mat<f64>>> = vec![None; alphas.len()];
    for k in 0..t {
        let best = (0..alphas.len())
            .max_by(|&a, &b| score[a][k].total_cmp(&score[b][k]))
            .unwrap_or(0);
        let w = cache[best].get_or_insert_with(|| solve(&m, alphas[best]));
        fit.alpha[k] = alphas[best];
        let mut c = m.my[k];
        for j in 0..p {
            fit.weights[k * p + j] = w[(j, k)];
            c -= w[(j, k)] * m.mx[j];
        }
        fit.intercept[k] = c;
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

    fn gauss(rng: &mut Rng) -> f64 {
        let (u, v) = (1.0 - rng.uniform(), rng.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

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
        let x: Vec<f64> = (0..n * p).map(|_| gauss(&mut rng)).collect();
        let w: Vec<f64> = (0..t * p).map(|_| gauss(&mut rng)).collect();
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
    fn split_half_ceiling_matches_the_true_reliability() {
        // Signal variance 1, noise variance 1 per repeat, 4 repeats: the mean's reliability
        // is 1/(1 + 1/4) = 0.8, its ceiling sqrt(0.8) = 0.894.
        let mut rng = Rng(9);
        let (n, t) = (4000, 2);
        let s: Vec<f64> = (0..n * t).map(|_| gauss(&mut rng)).collect();
        let repeats: Vec<Vec<f64>> = (0..4)
            .map(|_| s.iter().map(|v| v + gauss(&mut rng)).collect())
            .collect();
        for c in noise_ceiling(&repeats, t) {
            assert!((c - 0.8f64.sqrt()).abs() < 0.01, "{c}");
        }
    }
}
