//! HLOP's lateral circuit: `m` lateral neurons read a layer's presynaptic activity `x` through
//! weights `H` (`m × n`), `y = H x`, and feed back `x̂ = Hᵀ y`. Hebbian (`y xᵀ`) and
//! anti-Hebbian (`−y x̂ᵀ`) learning on these lateral connections,
//! `ΔH = η · y (x − Hᵀ y)ᵀ` (averaged over a minibatch), is Oja's subspace rule: its stable
//! fixed points are the `H` whose rows are an orthonormal basis of the principal subspace of
//! `E[x xᵀ]` (Oja 1989). HLOP (`modules/hlop_module.py`) adds `k` new lateral neurons per
//! task, keeps the old neurons' weights fixed, and lets the new ones learn with the feedback
//! of all neurons, so they take the principal subspace of what the old ones do not explain;
//! gradients of the layer's weights are then projected off the union of the subspaces
//! (`g ← g − Hᵀ H g` on the input side), the lateral circuit's projection.
//!
//! Also here: the reference subspace (faer eigendecomposition of the second-moment matrix,
//! through [`ganglion_analysis::linalg::symmetric_eigen`]) and the distance between subspaces.

use ganglion_analysis::linalg::symmetric_eigen;

use crate::stats::{StudyRng, normal};

/// Momentum of the lateral update (the paper's code: 0.9, with `(1 − 0.9)` on the new term).
const MOMENTUM: f64 = 0.9;
/// Clamp of one update's entries (the paper's code: ±10).
const CLAMP: f64 = 10.0;

/// The lateral neurons of one layer.
#[derive(Debug, Clone)]
pub struct Lateral {
    /// Presynaptic neurons (the layer's inputs).
    pub n: usize,
    /// Lateral weights `H`, `m × n` row-major, rows in order of the task that added them.
    pub h: Vec<f64>,
    /// Lateral neurons so far.
    pub m: usize,
    /// Rows below this index are fixed (old tasks' subspaces).
    fixed: usize,
    /// Momentum of the rows being learned.
    vel: Vec<f64>,
}

/// Orthonormalises the `m` rows of `a` (`m × n`, row-major) in place by modified Gram–Schmidt;
/// returns the number of rows kept (rows that fall below `1e-10` after removing the earlier
/// ones are dropped, and the kept rows are moved to the front).
pub fn orthonormalise(a: &mut Vec<f64>, m: usize, n: usize) -> usize {
    let mut kept = 0;
    for r in 0..m {
        let mut v = a[r * n..(r + 1) * n].to_vec();
        for _pass in 0..2 {
            for q in 0..kept {
                let qr = &a[q * n..(q + 1) * n];
                let d: f64 = v.iter().zip(qr).map(|(x, y)| x * y).sum();
                v.iter_mut().zip(qr).for_each(|(x, y)| *x -= d * y);
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 1e-10 {
            a[kept * n..(kept + 1) * n]
                .iter_mut()
                .zip(&v)
                .for_each(|(o, x)| *o = x / norm);
            kept += 1;
        }
    }
    a.truncate(kept * n);
    kept
}

impl Lateral {
    /// No lateral neurons yet, for `n` presynaptic neurons.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            h: vec![],
            m: 0,
            fixed: 0,
            vel: vec![],
        }
    }

    /// Fixes the current rows and adds `k` new lateral neurons with random orthonormal
    /// weights (the paper's `add_subspace`, `torch.nn.init.orthogonal_`), orthogonal to the
    /// old rows too: the paper's rule drives the new rows there over a whole task's training
    /// (5 updates per batch); starting there keeps them off the old span, whose large variance
    /// would otherwise limit their rate to the old data's λ_max (see `hebbian_learn`).
    pub fn add_subspace(&mut self, k: usize, rng: &mut StudyRng) {
        let n = self.n;
        let k = k.min(n.saturating_sub(self.m));
        let (mut rows, k_old) = self.basis(0, self.m);
        rows.extend((0..k * n).map(|_| normal(rng)));
        let kept = orthonormalise(&mut rows, k_old + k, n) - k_old;
        let new = &rows[k_old * n..];
        self.fixed = self.m;
        self.h.extend_from_slice(new);
        self.m += kept;
        self.vel = vec![0.0; self.m * n];
    }

    /// Rows that are fixed (the old tasks' lateral neurons); the rows from here on learn.
    pub fn fixed(&self) -> usize {
        self.fixed
    }

    /// `y = H x` for the rows `0..rows` and one input.
    fn respond(&self, x: &[f64], rows: usize, y: &mut [f64]) {
        for (a, ya) in y.iter_mut().enumerate().take(rows) {
            *ya = self.h[a * self.n..(a + 1) * self.n]
                .iter()
                .zip(x)
                .map(|(h, x)| h * x)
                .sum();
        }
    }

    /// One Hebbian/anti-Hebbian step of the rows being learned on the minibatch `xs` (rows of
    /// `n` presynaptic rates), at rate `eta`: `ΔH = mean over the batch of y (x − Hᵀ y)ᵀ` with
    /// `y` and `x̂ = Hᵀ y` from all lateral neurons, clamped, through momentum.
    pub fn update(&mut self, xs: &[&[f64]], eta: f64) {
        let (n, m, f) = (self.n, self.m, self.fixed);
        if m == f || xs.is_empty() {
            return;
        }
        let mut delta = vec![0.0; (m - f) * n];
        let mut y = vec![0.0; m];
        let mut resid = vec![0.0; n];
        for x in xs {
            self.respond(x, m, &mut y);
            resid.copy_from_slice(x);
            for (a, &ya) in y.iter().enumerate() {
                let ha = &self.h[a * n..(a + 1) * n];
                resid.iter_mut().zip(ha).for_each(|(r, h)| *r -= ya * h);
            }
            for (a, &ya) in y.iter().enumerate().skip(f) {
                delta[(a - f) * n..(a - f + 1) * n]
                    .iter_mut()
                    .zip(&resid)
                    .for_each(|(d, r)| *d += ya * r);
            }
        }
        let b = xs.len() as f64;
        for (i, d) in delta.iter().enumerate() {
            let j = f * n + i;
            let d = (d / b).clamp(-CLAMP, CLAMP);
            self.vel[j] = MOMENTUM * self.vel[j] + (1.0 - MOMENTUM) * d;
            self.h[j] += eta * self.vel[j];
        }
    }

    /// Projects `g` (`n × cols`, row-major: one row per presynaptic neuron, the layout of a
    /// weight gradient) off the lateral subspace: `g ← g − Hᵀ (H g)`.
    pub fn project(&self, g: &mut [f32], cols: usize) {
        let (n, m) = (self.n, self.m);
        if m == 0 {
            return;
        }
        let mut hg = vec![0.0f64; m * cols];
        for a in 0..m {
            let row = &mut hg[a * cols..(a + 1) * cols];
            for s in 0..n {
                let h = self.h[a * n + s];
                if h != 0.0 {
                    let gs = &g[s * cols..(s + 1) * cols];
                    row.iter_mut()
                        .zip(gs)
                        .for_each(|(o, &x)| *o += h * x as f64);
                }
            }
        }
        for s in 0..n {
            let gs = &mut g[s * cols..(s + 1) * cols];
            for a in 0..m {
                let h = self.h[a * n + s];
                if h != 0.0 {
                    let row = &hg[a * cols..(a + 1) * cols];
                    gs.iter_mut()
                        .zip(row)
                        .for_each(|(o, &x)| *o -= (h * x) as f32);
                }
            }
        }
    }

    /// The rows `from..to` (one task's lateral neurons), orthonormalised.
    pub fn basis(&self, from: usize, to: usize) -> (Vec<f64>, usize) {
        let mut b = self.h[from * self.n..to * self.n].to_vec();
        let k = orthonormalise(&mut b, to - from, self.n);
        (b, k)
    }

    /// Largest deviation of `H Hᵀ` from the identity over all lateral neurons (0 for
    /// orthonormal rows, the fixed point of Oja's subspace rule).
    pub fn orthonormality_error(&self) -> f64 {
        let (n, m) = (self.n, self.m);
        let mut worst = 0.0f64;
        for a in 0..m {
            for b in 0..=a {
                let d: f64 = self.h[a * n..(a + 1) * n]
                    .iter()
                    .zip(&self.h[b * n..(b + 1) * n])
                    .map(|(x, y)| x * y)
                    .sum();
                let want = if a == b { 1.0 } else { 0.0 };
                worst = worst.max((d - want).abs());
            }
        }
        worst
    }
}

/// The second-moment matrix `C = mean x xᵀ` (`n × n`, row-major) of the rows `xs`.
pub fn second_moment(xs: &[Vec<f64>], n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for x in xs {
        for (i, &xi) in x.iter().enumerate() {
            if xi != 0.0 {
                let row = &mut c[i * n..(i + 1) * n];
                row.iter_mut().zip(x).for_each(|(c, &xj)| *c += xi * xj);
            }
        }
    }
    let b = xs.len().max(1) as f64;
    c.iter_mut().for_each(|v| *v /= b);
    c
}

/// `C − P C P`-style deflation: the second moment of `x − Q Qᵀ x` for the orthonormal rows
/// `q` (`k × n`), i.e. `(I − QᵀQ) C (I − QᵀQ)`, the matrix whose top eigenvectors the new
/// lateral neurons of a later task should find.
pub fn deflate(c: &[f64], q: &[f64], k: usize, n: usize) -> Vec<f64> {
    // A = (I − QᵀQ) C, then A (I − QᵀQ).
    let apply_left = |m: &[f64]| -> Vec<f64> {
        let mut out = m.to_vec();
        for a in 0..k {
            let qa = &q[a * n..(a + 1) * n];
            // out -= qa (qaᵀ m)
            let mut t = vec![0.0; n];
            for (i, &qi) in qa.iter().enumerate() {
                t.iter_mut()
                    .zip(&m[i * n..(i + 1) * n])
                    .for_each(|(t, &v)| *t += qi * v);
            }
            for (i, &qi) in qa.iter().enumerate() {
                out[i * n..(i + 1) * n]
                    .iter_mut()
                    .zip(&t)
                    .for_each(|(o, &t)| *o -= qi * t);
            }
        }
        out
    };
    let left = apply_left(c);
    // Right multiplication by the symmetric projector: transpose, left-apply, transpose.
    let mut lt = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            lt[j * n + i] = left[i * n + j];
        }
    }
    let both = apply_left(&lt);
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = 0.5 * (both[j * n + i] + both[i * n + j]);
        }
    }
    out
}

/// The top `k` eigenvalues (decreasing) and eigenvectors (rows, `k × n`) of the symmetric
/// `c`, from faer's eigendecomposition; `None` if it fails.
pub fn pca(c: &[f64], n: usize, k: usize) -> Option<(Vec<f64>, Vec<f64>)> {
    let (vals, vecs) = symmetric_eigen(c, n)?;
    let top: Vec<f64> = vecs.iter().take(k).flatten().copied().collect();
    Some((vals, top))
}

/// How well the orthonormal rows `q` (`k × n`) match the orthonormal rows `u` (`k × n`):
/// the projection-matrix distance `‖QᵀQ − UᵀU‖_F / √(2k)` (the root mean square of the sines
/// of the principal angles; 0 for the same subspace, 1 for orthogonal ones).
pub fn subspace_distance(q: &[f64], u: &[f64], k: usize, n: usize) -> f64 {
    // ‖P − R‖²_F = 2k − 2‖Q Uᵀ‖²_F for rank-k orthogonal projectors.
    let mut overlap = 0.0;
    for a in 0..k {
        for b in 0..k {
            let d: f64 = q[a * n..(a + 1) * n]
                .iter()
                .zip(&u[b * n..(b + 1) * n])
                .map(|(x, y)| x * y)
                .sum();
            overlap += d * d;
        }
    }
    ((2.0 * k as f64 - 2.0 * overlap).max(0.0) / (2.0 * k as f64)).sqrt()
}

/// The fraction of the best possible captured second moment that the orthonormal rows `q`
/// (`k × n`) capture: `tr(Q C Qᵀ) / (λ₁ + … + λ_k)` (1 for the principal subspace; Oja's
/// subspace rule maximises `tr(Q C Qᵀ)`).
pub fn captured_fraction(q: &[f64], c: &[f64], eigenvalues: &[f64], k: usize, n: usize) -> f64 {
    let mut num = 0.0;
    for a in 0..k {
        let qa = &q[a * n..(a + 1) * n];
        for (i, &qi) in qa.iter().enumerate() {
            if qi != 0.0 {
                let ci: f64 = c[i * n..(i + 1) * n]
                    .iter()
                    .zip(qa)
                    .map(|(c, q)| c * q)
                    .sum();
                num += qi * ci;
            }
        }
    }
    num / eigenvalues.iter().take(k).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::stream;

    #[test]
    fn projection_removes_the_subspace() {
        let mut rng = stream(1, 2);
        let mut lat = Lateral::new(6);
        lat.add_subspace(2, &mut rng);
        let mut g: Vec<f32> = (0..18).map(|i| (i as f32 * 0.37).sin()).collect();
        lat.project(&mut g, 3);
        // H g = 0 after projection (rows orthonormal at initialisation).
        for a in 0..2 {
            for c in 0..3 {
                let d: f64 = (0..6).map(|s| lat.h[a * 6 + s] * g[s * 3 + c] as f64).sum();
                assert!(d.abs() < 1e-5, "{d}");
            }
        }
    }

    #[test]
    fn distance_of_same_and_orthogonal_subspaces() {
        let e = |i: usize| {
            let mut v = vec![0.0; 4];
            v[i] = 1.0;
            v
        };
        let q: Vec<f64> = [e(0), e(1)].concat();
        let u: Vec<f64> = [e(1), e(0)].concat();
        let w: Vec<f64> = [e(2), e(3)].concat();
        assert!(subspace_distance(&q, &u, 2, 4) < 1e-12);
        assert!((subspace_distance(&q, &w, 2, 4) - 1.0).abs() < 1e-12);
    }
}
