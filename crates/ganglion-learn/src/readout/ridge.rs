//! Ridge regression (Tikhonov) readout, closed form, with k-fold cross-validation.
//!
//! Fits `y ≈ Wᵀ x + c` by minimising `Σ_t ‖y(t) − Wᵀx(t) − c‖² + α ‖W‖²` (the bias `c` is not
//! penalised): with the centred Gram matrix `G = Σ (x−x̄)(x−x̄)ᵀ` and `B = Σ (x−x̄)(y−ȳ)ᵀ`,
//! `W = (G + α I)⁻¹ B` and `c = ȳ − Wᵀx̄` — the same estimator as reservoirpy's `Ridge`
//! (`fit_bias=True`). `G` is a faer rank-T update of the lower triangle read straight from the
//! states' memory (one contiguous block of time per thread), solved by faer's Cholesky
//! (Bunch–Kaufman if Cholesky reports a non-positive pivot).
//!
//! Cross-validation ([`Ridge::fit_cv`]) splits time into `k` contiguous folds and keeps only
//! each fold's sufficient statistics (Gram, cross products, sums), so every (fold, α) pair
//! costs one Cholesky and no pass over the states; the validation error of a fold is computed
//! in closed form from the same statistics.

use crate::error::{LearnError, Result};
use crate::esn::States;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, MatRef, Par, Side};
use serde::{Deserialize, Serialize};

/// A fitted linear readout `y = Wᵀ x + c`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ridge {
    /// Number of features (reservoir units) `N`.
    pub features: usize,
    /// Number of outputs `K`.
    pub outputs: usize,
    /// Weights, `K × N` row-major (row `k` is output `k`'s weight vector).
    pub weights: Vec<f64>,
    /// Biases `c`, one per output.
    pub bias: Vec<f64>,
    /// The regularisation `α` used (same units as the Gram matrix: sum over time steps of squared states).
    pub alpha: f64,
}

/// What cross-validation measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CvReport {
    /// The α grid.
    pub alphas: Vec<f64>,
    /// Mean validation MSE (averaged over folds and outputs) per α.
    pub mse: Vec<f64>,
    /// The α with the smallest mean validation MSE.
    pub best_alpha: f64,
    /// Number of folds.
    pub folds: usize,
}

/// The default α grid for cross-validation: `1e-9, 1e-8, …, 1e1`.
pub fn default_alpha_grid() -> Vec<f64> {
    (-9..=1).map(|e| 10f64.powi(e)).collect()
}

/// Sufficient statistics of a set of time steps.
struct Stats {
    n: usize,
    k: usize,
    count: usize,
    /// Σ x xᵀ, lower triangle valid, N × N.
    gram: Mat<f64>,
    /// Σ x yᵀ, N × K.
    xy: Mat<f64>,
    /// Σ x.
    xsum: Vec<f64>,
    /// Σ y.
    ysum: Vec<f64>,
    /// Σ y², per output.
    yy: Vec<f64>,
}

impl Stats {
    fn zeros(n: usize, k: usize) -> Self {
        Self {
            n,
            k,
            count: 0,
            gram: Mat::zeros(n, n),
            xy: Mat::zeros(n, k),
            xsum: vec![0.0; n],
            ysum: vec![0.0; k],
            yy: vec![0.0; k],
        }
    }

    /// Accumulates steps `range` of `states` / `targets` (K per step). The time-major states
    /// are a column-major `N × T` matrix `X`, so `Σ x xᵀ = X Xᵀ` is one faer rank-T update of
    /// the lower triangle with no copy.
    fn accumulate(&mut self, states: &States, targets: &[f64], range: std::ops::Range<usize>) {
        let (n, k) = (self.n, self.k);
        let b = range.len();
        if b == 0 {
            return;
        }
        let x = MatRef::from_column_major_slice(
            &states.as_slice()[range.start * n..range.end * n],
            n,
            b,
        );
        let y = MatRef::from_column_major_slice(&targets[range.start * k..range.end * k], k, b);
        triangular::matmul(
            self.gram.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Add,
            x,
            BlockStructure::Rectangular,
            x.transpose(),
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
        faer::linalg::matmul::matmul(
            self.xy.as_mut(),
            Accum::Add,
            x,
            y.transpose(),
            1.0,
            Par::Seq,
        );
        for t in range.clone() {
            for (s, &v) in self.xsum.iter_mut().zip(states.row(t)) {
                *s += v;
            }
            for o in 0..k {
                let v = targets[t * k + o];
                self.ysum[o] += v;
                self.yy[o] += v * v;
            }
        }
        self.count += b;
    }

    /// Accumulates `range` split into contiguous time blocks, one per thread, each a
    /// sequential faer product, then sums the blocks' statistics. Coarse blocks rather than
    /// faer's fine-grained parallel GEMM: on a machine shared with other jobs a descheduled
    /// thread then delays only its own block, not every panel of the product (measured
    /// under a load average of 6 on 2 cores: 0.27 s sequential-per-thread vs 0.50 s with
    /// `Par::rayon`).
    fn accumulate_parallel(
        &mut self,
        states: &States,
        targets: &[f64],
        range: std::ops::Range<usize>,
    ) {
        let threads = std::thread::available_parallelism()
            .map_or(1, |p| p.get())
            .min(range.len() / 1024)
            .max(1);
        if threads == 1 {
            self.accumulate(states, targets, range);
            return;
        }
        let (n, k) = (self.n, self.k);
        let bounds: Vec<usize> = (0..=threads)
            .map(|i| range.start + i * range.len() / threads)
            .collect();
        let parts: Vec<Stats> = std::thread::scope(|s| {
            let handles: Vec<_> = bounds
                .windows(2)
                .skip(1)
                .map(|w| {
                    let r = w[0]..w[1];
                    s.spawn(move || {
                        let mut st = Stats::zeros(n, k);
                        st.accumulate(states, targets, r);
                        st
                    })
                })
                .collect();
            self.accumulate(states, targets, bounds[0]..bounds[1]);
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        for p in &parts {
            self.add(p);
        }
    }

    fn add(&mut self, other: &Stats) {
        self.gram += &other.gram;
        self.xy += &other.xy;
        for (a, b) in self.xsum.iter_mut().zip(&other.xsum) {
            *a += b;
        }
        for o in 0..self.k {
            self.ysum[o] += other.ysum[o];
            self.yy[o] += other.yy[o];
        }
        self.count += other.count;
    }

    fn minus(&self, other: &Stats) -> Stats {
        Stats {
            n: self.n,
            k: self.k,
            count: self.count - other.count,
            gram: &self.gram - &other.gram,
            xy: &self.xy - &other.xy,
            xsum: difference(&self.xsum, &other.xsum),
            ysum: difference(&self.ysum, &other.ysum),
            yy: difference(&self.yy, &other.yy),
        }
    }

    /// Solves the centred ridge problem.
    fn solve(&self, alpha: f64) -> Result<Ridge> {
        let (n, k) = (self.n, self.k);
        let c = self.count as f64;
        let mx: Vec<f64> = self.xsum.iter().map(|s| s / c).collect();
        let my: Vec<f64> = self.ysum.iter().map(|s| s / c).collect();
        // Lower triangle of G − c x̄ x̄ᵀ + α I.
        let mut a = Mat::<f64>::zeros(n, n);
        for j in 0..n {
            for i in j..n {
                a[(i, j)] = self.gram[(i, j)] - c * mx[i] * mx[j];
            }
            a[(j, j)] += alpha;
        }
        let b = Mat::<f64>::from_fn(n, k, |i, o| self.xy[(i, o)] - c * mx[i] * my[o]);
        let w = match a.llt(Side::Lower) {
            Ok(llt) => llt.solve(&b),
            Err(_) => a.lblt(Side::Lower).solve(&b),
        };
        let mut weights = vec![0.0; k * n];
        let mut bias = my.clone();
        for o in 0..k {
            for i in 0..n {
                let v = w[(i, o)];
                weights[o * n + i] = v;
                bias[o] -= v * mx[i];
            }
        }
        if let Some(p) = weights.iter().chain(&bias).position(|v| !v.is_finite()) {
            return Err(LearnError::Numerical {
                object: "Ridge::fit",
                what: format!(
                    "solution has a non-finite weight (index {p}) with alpha = {alpha:e}"
                ),
                hint: "raise alpha, or check the states for constant or NaN columns".into(),
            });
        }
        Ok(Ridge {
            features: n,
            outputs: k,
            weights,
            bias,
            alpha,
        })
    }

    /// Sum over outputs of the squared error of `r` on the steps these statistics describe.
    fn sse(&self, r: &Ridge) -> f64 {
        let n = self.n;
        let mut total = 0.0;
        for o in 0..self.k {
            let w = &r.weights[o * n..(o + 1) * n];
            let c = r.bias[o];
            // wᵀ G w with G symmetric, lower triangle stored.
            let mut wgw = 0.0;
            for j in 0..n {
                let s: f64 = ((j + 1)..n)
                    .zip(&w[j + 1..])
                    .map(|(i, wi)| self.gram[(i, j)] * wi)
                    .sum();
                wgw += w[j] * (self.gram[(j, j)] * w[j] + 2.0 * s);
            }
            let wb: f64 = (0..n).map(|i| w[i] * self.xy[(i, o)]).sum();
            let ws: f64 = w.iter().zip(&self.xsum).map(|(a, b)| a * b).sum();
            let pred_sq = wgw + 2.0 * c * ws + self.count as f64 * c * c;
            let cross = wb + c * self.ysum[o];
            total += (self.yy[o] - 2.0 * cross + pred_sq).max(0.0);
        }
        total
    }
}

/// `a − b`, entry by entry.
fn difference(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| a - b).collect()
}

fn check_inputs(object: &'static str, states: &States, targets: &[f64]) -> Result<usize> {
    let t = states.steps();
    if t == 0 || targets.is_empty() || !targets.len().is_multiple_of(t) {
        return Err(LearnError::shape(
            object,
            "targets",
            format!("a non-zero multiple of the {t} state steps"),
            targets.len(),
            "targets are steps × outputs, time-major; pass as many target steps as state steps",
        ));
    }
    if let Some(i) = targets.iter().position(|v| !v.is_finite()) {
        return Err(LearnError::Numerical {
            object,
            what: format!("target value {i} is not finite"),
            hint: "clean NaN/Inf from the targets".into(),
        });
    }
    Ok(targets.len() / t)
}

impl Ridge {
    /// Fits the readout on `states` (T × N) and `targets` (T × K, time-major) with
    /// regularisation `alpha ≥ 0`.
    pub fn fit(states: &States, targets: &[f64], alpha: f64) -> Result<Ridge> {
        let k = check_inputs("Ridge::fit", states, targets)?;
        if !(alpha >= 0.0 && alpha.is_finite()) {
            return Err(LearnError::param(
                "Ridge",
                "alpha",
                alpha,
                "must be finite and ≥ 0",
                "e.g. 1e-6",
            ));
        }
        let mut s = Stats::zeros(states.units(), k);
        s.accumulate_parallel(states, targets, 0..states.steps());
        s.solve(alpha)
    }

    /// Chooses α from `alphas` by `folds`-fold cross-validation over contiguous blocks of
    /// time, then refits on all steps with it.
    pub fn fit_cv(
        states: &States,
        targets: &[f64],
        alphas: &[f64],
        folds: usize,
    ) -> Result<(Ridge, CvReport)> {
        let k = check_inputs("Ridge::fit_cv", states, targets)?;
        let t = states.steps();
        if folds < 2 || folds > t {
            return Err(LearnError::param(
                "Ridge::fit_cv",
                "folds",
                folds,
                format!("must be in [2, {t}]"),
                "e.g. 5",
            ));
        }
        if alphas.is_empty() || alphas.iter().any(|a| !(a.is_finite() && *a >= 0.0)) {
            return Err(LearnError::param(
                "Ridge::fit_cv",
                "alphas",
                format!("{alphas:?}"),
                "need at least one finite α ≥ 0",
                "e.g. default_alpha_grid()",
            ));
        }
        let n = states.units();
        let mut fold_stats = Vec::with_capacity(folds);
        let mut total = Stats::zeros(n, k);
        for f in 0..folds {
            let range = (f * t / folds)..((f + 1) * t / folds);
            let mut s = Stats::zeros(n, k);
            s.accumulate_parallel(states, targets, range);
            total.add(&s);
            fold_stats.push(s);
        }
        let mut mse = vec![0.0; alphas.len()];
        for fs in &fold_stats {
            let train = total.minus(fs);
            for (ai, &alpha) in alphas.iter().enumerate() {
                let r = train.solve(alpha)?;
                mse[ai] += fs.sse(&r) / (fs.count * k) as f64 / folds as f64;
            }
        }
        let best = mse
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i);
        let ridge = total.solve(alphas[best])?;
        Ok((
            ridge,
            CvReport {
                alphas: alphas.to_vec(),
                mse,
                best_alpha: alphas[best],
                folds,
            },
        ))
    }

    /// Output `k` for one state.
    #[inline]
    pub fn predict_one<T: Copy + Into<f64>>(&self, state: &[T], out: &mut [f64]) {
        let n = self.features;
        for (o, y) in out.iter_mut().enumerate().take(self.outputs) {
            let w = &self.weights[o * n..(o + 1) * n];
            let mut acc = [0.0f64; 4];
            let (wc, xc) = (w.chunks_exact(4), state.chunks_exact(4));
            let (wr, xr) = (wc.remainder(), xc.remainder());
            for (a, b) in wc.zip(xc) {
                for j in 0..4 {
                    acc[j] += a[j] * b[j].into();
                }
            }
            let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
            for (a, b) in wr.iter().zip(xr) {
                s += a * (*b).into();
            }
            *y = s + self.bias[o];
        }
    }

    /// Outputs for every state: `T × K`, time-major.
    pub fn predict(&self, states: &States) -> Vec<f64> {
        let (n, k, t) = (self.features, self.outputs, states.steps());
        let mut out = vec![0.0; t * k];
        if k <= 8 {
            for (s, o) in out.chunks_exact_mut(k).enumerate() {
                self.predict_one(states.row(s), o);
            }
            return out;
        }
        // Many outputs (memory capacity: one per delay): one GEMM. Time-major `out` is the
        // column-major K × T matrix Wᵀ X, with W stored K × N row-major (= N × K column-major).
        for col in out.chunks_exact_mut(k) {
            col.copy_from_slice(&self.bias);
        }
        let w = MatRef::from_column_major_slice(&self.weights, n, k);
        let x = MatRef::from_column_major_slice(states.as_slice(), n, t);
        let dst = faer::MatMut::from_column_major_slice_mut(&mut out, k, t);
        faer::linalg::matmul::matmul(dst, Accum::Add, w.transpose(), x, 1.0, Par::rayon(0));
        out
    }
}
