//! Functional-connectivity graphs and features: correlation matrices of multichannel time
//! series, proportional thresholding, per-node degree and 3-cycle (triangle) participation,
//! and a small linear classification pipeline (PCA → Fisher LDA) for group comparisons.
//!
//! Matrices are row-major `Vec<f64>`; time series are samples × nodes.

use crate::encoding::pearson;
use faer::Mat;

/// Pearson correlation matrix (n × n) of `ts` (samples × n nodes).
pub fn correlation_matrix(ts: &[f64], n: usize) -> Vec<f64> {
    let t = ts.len() / n.max(1);
    let cols: Vec<Vec<f64>> = (0..n)
        .map(|j| (0..t).map(|s| ts[s * n + j]).collect())
        .collect();
    let mut c = vec![1.0; n * n];
    for i in 0..n {
        for j in 0..i {
            let r = pearson(&cols[i], &cols[j]);
            c[i * n + j] = r;
            c[j * n + i] = r;
        }
    }
    c
}

/// The graph keeping the `density` fraction of node pairs with the largest |r| (proportional
/// thresholding, as in group studies: every graph has the same number of edges), as a
/// symmetric 0/1 adjacency matrix without self-loops. Ties are broken by pair order.
pub fn threshold_proportional(corr: &[f64], n: usize, density: f64) -> Vec<u8> {
    let mut pairs: Vec<(usize, usize)> = (0..n).flat_map(|i| (0..i).map(move |j| (i, j))).collect();
    pairs.sort_by(|a, b| {
        corr[b.0 * n + b.1]
            .abs()
            .total_cmp(&corr[a.0 * n + a.1].abs())
    });
    let keep = ((pairs.len() as f64) * density.clamp(0.0, 1.0)).round() as usize;
    let mut adj = vec![0u8; n * n];
    for &(i, j) in &pairs[..keep] {
        adj[i * n + j] = 1;
        adj[j * n + i] = 1;
    }
    adj
}

/// Degree of each node of a 0/1 adjacency matrix.
pub fn degree(adj: &[u8], n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| adj[i * n..(i + 1) * n].iter().map(|&a| f64::from(a)).sum())
        .collect()
}

/// Number of triangles (3-cycles) each node takes part in.
pub fn triangles(adj: &[u8], n: usize) -> Vec<f64> {
    let mut t = vec![0.0; n];
    for i in 0..n {
        for j in (i + 1)..n {
            if adj[i * n + j] == 0 {
                continue;
            }
            for k in (j + 1)..n {
                if adj[i * n + k] == 1 && adj[j * n + k] == 1 {
                    t[i] += 1.0;
                    t[j] += 1.0;
                    t[k] += 1.0;
                }
            }
        }
    }
    t
}

/// Column means of `x` (rows × d).
fn means(x: &[f64], d: usize) -> Vec<f64> {
    let rows = x.len() / d.max(1);
    let mut m = vec![0.0; d];
    for r in 0..rows {
        (0..d).for_each(|j| m[j] += x[r * d + j] / rows as f64);
    }
    m
}

/// Principal components of `x` (rows × d): the mean and the first `k` unit-length directions
/// (d each, by decreasing variance; components of zero variance are left out), from the
/// eigendecomposition of the covariance (faer). Each direction's sign is fixed so that its
/// largest-magnitude entry is positive, so that equal data give equal projections.
pub fn pca(x: &[f64], d: usize, k: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let rows = x.len() / d.max(1);
    let m = means(x, d);
    let mut cov = vec![0.0; d * d];
    for r in 0..rows {
        for i in 0..d {
            let a = x[r * d + i] - m[i];
            for j in 0..=i {
                cov[i * d + j] += a * (x[r * d + j] - m[j]) / rows.max(1) as f64;
            }
        }
    }
    let Some((values, vectors)) = crate::linalg::symmetric_eigen(&cov, d) else {
        return (m, vec![]);
    };
    // Eigenvalues below rounding of the total variance are zero-variance directions.
    let floor = 1e-12 * values.iter().map(|v| v.abs()).sum::<f64>();
    let comps = values
        .iter()
        .zip(vectors)
        .take(k.min(d))
        .take_while(|(v, _)| **v > floor)
        .map(|(_, mut u)| {
            let big = u
                .iter()
                .copied()
                .fold(0.0, |a: f64, b| if b.abs() > a.abs() { b } else { a });
            if big < 0.0 {
                u.iter_mut().for_each(|x| *x = -*x);
            }
            u
        })
        .collect();
    (m, comps)
}

/// `x` (rows × d) projected on principal components `(mean, comps)`: rows × comps.len().
pub fn project(x: &[f64], d: usize, (mean, comps): &(Vec<f64>, Vec<Vec<f64>>)) -> Vec<f64> {
    let rows = x.len() / d.max(1);
    (0..rows)
        .flat_map(|r| {
            comps
                .iter()
                .map(move |u| (0..d).map(|j| (x[r * d + j] - mean[j]) * u[j]).sum::<f64>())
        })
        .collect()
}

/// A two-class Fisher linear discriminant: class 1 when `w·x > c`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lda {
    /// Discriminant direction.
    pub w: Vec<f64>,
    /// Threshold (midway between the projected class means).
    pub c: f64,
}

impl Lda {
    /// Fit on `x` (rows × d) with labels 0/1; `ridge` is added to the pooled within-class
    /// scatter's diagonal (relative to its mean diagonal) so that few samples still solve.
    pub fn fit(x: &[f64], d: usize, labels: &[u8], ridge: f64) -> Lda {
        let rows = labels.len();
        let class = |c: u8| -> Vec<f64> {
            (0..rows)
                .filter(|&r| labels[r] == c)
                .flat_map(|r| x[r * d..(r + 1) * d].to_vec())
                .collect()
        };
        let (x0, x1) = (class(0), class(1));
        let (m0, m1) = (means(&x0, d), means(&x1, d));
        let mut s = Mat::<f64>::zeros(d, d);
        for (xc, mc) in [(&x0, &m0), (&x1, &m1)] {
            for r in 0..xc.len() / d.max(1) {
                for i in 0..d {
                    for j in 0..d {
                        s[(i, j)] += (xc[r * d + i] - mc[i]) * (xc[r * d + j] - mc[j]);
                    }
                }
            }
        }
        let tr = (0..d).map(|i| s[(i, i)]).sum::<f64>() / d.max(1) as f64;
        (0..d).for_each(|i| s[(i, i)] += ridge * tr.max(f64::MIN_POSITIVE));
        let diff = Mat::<f64>::from_fn(d, 1, |i, _| m1[i] - m0[i]);
        let w = crate::linalg::solve_symmetric(&s, &diff);
        let w: Vec<f64> = (0..d).map(|i| w[(i, 0)]).collect();
        let proj = |m: &[f64]| m.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
        let c = 0.5 * (proj(&m0) + proj(&m1));
        Lda { w, c }
    }

    /// The class (0/1) of each row of `x`.
    pub fn predict(&self, x: &[f64]) -> Vec<u8> {
        let d = self.w.len();
        (0..x.len() / d.max(1))
            .map(|r| {
                u8::from(
                    x[r * d..(r + 1) * d]
                        .iter()
                        .zip(&self.w)
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
                        > self.c,
                )
            })
            .collect()
    }
}

/// Accuracy of PCA (`k` components) → LDA on `x` (rows × d, labels 0/1) by `folds`-fold
/// cross-validation over interleaved folds (row r in fold r mod folds); PCA and LDA are fitted
/// on the training rows only.
pub fn pca_lda_cv_accuracy(x: &[f64], d: usize, labels: &[u8], k: usize, folds: usize) -> f64 {
    let rows = labels.len();
    let mut correct = 0usize;
    for f in 0..folds {
        let pick =
            |test: bool| -> Vec<usize> { (0..rows).filter(|r| (r % folds == f) == test).collect() };
        let (tr, te) = (pick(false), pick(true));
        let gather = |idx: &[usize]| -> Vec<f64> {
            idx.iter()
                .flat_map(|&r| x[r * d..(r + 1) * d].to_vec())
                .collect()
        };
        let (xtr, xte) = (gather(&tr), gather(&te));
        let p = pca(&xtr, d, k);
        let kk = p.1.len();
        let ltr: Vec<u8> = tr.iter().map(|&r| labels[r]).collect();
        let lda = Lda::fit(&project(&xtr, d, &p), kk, &ltr, 1e-3);
        let pred = lda.predict(&project(&xte, d, &p));
        correct += te
            .iter()
            .zip(&pred)
            .filter(|(r, p)| labels[**r] == **p)
            .count();
    }
    correct as f64 / rows.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degree_and_triangles_of_a_known_graph() {
        // A triangle 0-1-2 plus a pendant edge 2-3.
        let n = 4;
        let mut adj = vec![0u8; n * n];
        for (i, j) in [(0, 1), (1, 2), (0, 2), (2, 3)] {
            adj[i * n + j] = 1;
            adj[j * n + i] = 1;
        }
        assert_eq!(degree(&adj, n), vec![2.0, 2.0, 3.0, 1.0]);
        assert_eq!(triangles(&adj, n), vec![1.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn proportional_threshold_keeps_the_strongest_pairs() {
        let c = vec![
            1.0, 0.9, -0.8, 0.1, 0.9, 1.0, 0.2, 0.3, -0.8, 0.2, 1.0, 0.05, 0.1, 0.3, 0.05, 1.0,
        ];
        let a = threshold_proportional(&c, 4, 2.0 / 6.0);
        assert_eq!(degree(&a, 4), vec![2.0, 1.0, 1.0, 0.0]);
        let r = correlation_matrix(&[1.0, 2.0, 2.0, 4.0, 3.0, 6.5], 2);
        assert!((r[1] - r[2]).abs() < 1e-15 && r[0] == 1.0 && r[1] > 0.99);
    }

    #[test]
    fn pca_finds_the_dominant_direction_and_lda_separates_classes() {
        // Points along (1, 1)/√2 with little spread across it.
        let x: Vec<f64> = (0..100)
            .flat_map(|k| {
                let t = k as f64 - 50.0;
                let e = if k % 2 == 0 { 0.1 } else { -0.1 };
                [t + e, t - e]
            })
            .collect();
        let (_, comps) = pca(&x, 2, 1);
        let u = &comps[0];
        // (the ±0.1 zig-zag correlates a little with t, tilting the axis by ~1e-4)
        assert!(
            (u[0].abs() - 0.5f64.sqrt()).abs() < 1e-3 && (u[0] - u[1]).abs() < 1e-3,
            "{u:?}"
        );
        // Two classes differing along the second feature only.
        let pts: Vec<f64> = (0..40)
            .flat_map(|k| {
                [
                    k as f64 % 7.0,
                    if k < 20 { -1.0 } else { 1.0 } + 0.01 * k as f64,
                ]
            })
            .collect();
        let labels: Vec<u8> = (0..40).map(|k| u8::from(k >= 20)).collect();
        let lda = Lda::fit(&pts, 2, &labels, 1e-6);
        assert_eq!(lda.predict(&pts), labels);
        assert_eq!(pca_lda_cv_accuracy(&pts, 2, &labels, 2, 5), 1.0);
    }
}
