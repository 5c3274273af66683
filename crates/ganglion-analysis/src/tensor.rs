//! Non-negative CP (PARAFAC) decomposition of a 3-way tensor by hierarchical alternating
//! least squares (HALS), the non-negative tensor factorisation (NTF) of Dyballa et al. 2024
//! ("Learning dynamic representations of the functional connectome in neurobiological
//! networks", ICLR 2024), who factorise a time × animal × neuron-pair affinity tensor.
//!
//! The model is `X[i, j, k] ≈ Σ_r λ_r A[i, r] B[j, r] C[k, r]` with `A, B, C ≥ 0`. Each outer
//! iteration updates the three factors in turn; a factor update is a non-negative least
//! squares problem in that factor, solved by a few sweeps of exact coordinate descent over
//! its columns (HALS, Gillis & Glineur 2012, Neural Computation 24:1085), exactly as
//! tensorly's `non_negative_parafac_hals` (0.10) does with its defaults: 5 inner sweeps, an
//! inner early stop once a sweep changes the factor by less than 1e-8 of the first sweep's
//! change, no sparsity, no normalisation during the iterations.
//!
//! **Why HALS and not the multiplicative updates of `non_negative_parafac`.** The paper's
//! published code does not include the factorisation notebook (only the benchmark one), so
//! the solver it used cannot be read; both minimise the same least-squares objective. HALS
//! is chosen because each column update is the exact minimiser of the objective in that
//! column, so the error never increases, zeros are reachable (multiplicative updates can
//! never leave a zero and approach it only slowly — and the pair factors here should be
//! sparse: pairs outside a community), and it converges in far fewer iterations.
//!
//! Layout: a tensor of shape `[I, J, K]` is a row-major slice, `x[(i·J + j)·K + k]`; a factor
//! of mode m is `dim_m × rank`, row-major (`f[i·rank + r]`).

use std::fmt;

/// Why a factorisation could not be run.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorError {
    /// The data length is not the product of the shape, or a dimension is zero.
    Shape {
        /// The shape given.
        shape: [usize; 3],
        /// The data length given.
        len: usize,
    },
    /// The rank is zero.
    Rank(usize),
    /// A given initial factor has the wrong length or a negative or non-finite entry.
    Init {
        /// The mode (0, 1, 2) of the offending factor.
        mode: usize,
        /// What is wrong with it.
        what: String,
    },
    /// The tensor has a negative or non-finite entry (NTF needs `X ≥ 0`).
    Data {
        /// Flat index of the first offending entry.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// Factor matching was asked for more components than the brute-force search allows.
    TooManyComponents(usize),
}

impl fmt::Display for TensorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TensorError::Shape { shape, len } => write!(
                f,
                "tensor of shape {shape:?} needs {} entries (all dimensions > 0) but the data have {len}; pass the data row-major as x[(i*J + j)*K + k]",
                shape[0] * shape[1] * shape[2]
            ),
            TensorError::Rank(r) => {
                write!(f, "rank {r} is invalid; ask for at least one component")
            }
            TensorError::Init { mode, what } => write!(
                f,
                "initial factor of mode {mode}: {what}; give a non-negative dim × rank row-major matrix or use a random init"
            ),
            TensorError::Data { index, value } => write!(
                f,
                "tensor entry {index} is {value}; non-negative factorisation needs finite, non-negative data"
            ),
            TensorError::TooManyComponents(r) => write!(
                f,
                "matching {r} components by brute force is too costly; at most 8 are supported"
            ),
        }
    }
}

impl std::error::Error for TensorError {}

/// How the factors start.
#[derive(Debug, Clone)]
pub enum Init {
    /// Entries uniform on [0, 1) from a SplitMix64 stream with this seed (tensorly's random
    /// init draws uniform [0, 1) too, from numpy's generator).
    Random(u64),
    /// These factors (`dim_m × rank`, row-major, non-negative), with unit weights.
    Given([Vec<f64>; 3]),
}

/// Settings of [`non_negative_parafac_hals`].
#[derive(Debug, Clone)]
pub struct NtfOptions {
    /// Number of components R.
    pub rank: usize,
    /// Maximum number of outer iterations (each updates all three factors).
    pub max_iter: usize,
    /// Stop when the relative reconstruction error changes by less than this between two
    /// iterations (tensorly's `tol`, default `10e-8`); 0 runs all `max_iter` iterations.
    pub tol: f64,
    /// Starting factors.
    pub init: Init,
}

/// A fitted non-negative CP model.
#[derive(Debug, Clone)]
pub struct Cp {
    /// Tensor shape `[I, J, K]`.
    pub shape: [usize; 3],
    /// Number of components R.
    pub rank: usize,
    /// Component weights λ_r: the product of the three factor columns' Euclidean norms.
    pub weights: Vec<f64>,
    /// The factors, `dim_m × R` row-major, each column of unit Euclidean norm (or zero).
    pub factors: [Vec<f64>; 3],
    /// Relative reconstruction error ‖X − X̂‖_F / ‖X‖_F after each iteration (tensorly's
    /// `return_errors=True` list).
    pub errors: Vec<f64>,
}

impl Cp {
    /// The reconstructed tensor Σ_r λ_r a_r ∘ b_r ∘ c_r, row-major `[I, J, K]`.
    pub fn reconstruct(&self) -> Vec<f64> {
        let [ni, nj, nk] = self.shape;
        let r = self.rank;
        let [a, b, c] = &self.factors;
        let mut x = vec![0.0; ni * nj * nk];
        let mut w = vec![0.0; r];
        for i in 0..ni {
            for j in 0..nj {
                for q in 0..r {
                    w[q] = self.weights[q] * a[i * r + q] * b[j * r + q];
                }
                let row = &mut x[(i * nj + j) * nk..(i * nj + j + 1) * nk];
                for (k, v) in row.iter_mut().enumerate() {
                    *v = (0..r).map(|q| w[q] * c[k * r + q]).sum();
                }
            }
        }
        x
    }

    /// Column `r` of the factor of `mode` (length `shape[mode]`).
    pub fn column(&self, mode: usize, r: usize) -> Vec<f64> {
        (0..self.shape[mode])
            .map(|i| self.factors[mode][i * self.rank + r])
            .collect()
    }
}

fn check_tensor(x: &[f64], shape: [usize; 3]) -> Result<(), TensorError> {
    if shape.contains(&0) || shape[0] * shape[1] * shape[2] != x.len() {
        return Err(TensorError::Shape {
            shape,
            len: x.len(),
        });
    }
    if let Some((index, &value)) = x
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
    {
        return Err(TensorError::Data { index, value });
    }
    Ok(())
}

/// Matricised-tensor times Khatri–Rao product for a 3-way tensor: `M[i_m, r] = Σ x[i, j, k]
/// Π_{n ≠ m} F_n[i_n, r]` (`dim_m × R`, row-major).
fn mttkrp(x: &[f64], shape: [usize; 3], f: &[Vec<f64>; 3], r: usize, mode: usize) -> Vec<f64> {
    let [ni, nj, nk] = shape;
    let mut m = vec![0.0; shape[mode] * r];
    let mut t = vec![0.0; r];
    for i in 0..ni {
        for j in 0..nj {
            let row = &x[(i * nj + j) * nk..(i * nj + j + 1) * nk];
            match mode {
                2 => {
                    for q in 0..r {
                        t[q] = f[0][i * r + q] * f[1][j * r + q];
                    }
                    for (k, &v) in row.iter().enumerate() {
                        if v != 0.0 {
                            let mk = &mut m[k * r..(k + 1) * r];
                            for q in 0..r {
                                mk[q] += v * t[q];
                            }
                        }
                    }
                }
                _ => {
                    t.iter_mut().for_each(|v| *v = 0.0);
                    for (k, &v) in row.iter().enumerate() {
                        if v != 0.0 {
                            let ck = &f[2][k * r..(k + 1) * r];
                            for q in 0..r {
                                t[q] += v * ck[q];
                            }
                        }
                    }
                    let (dst, other) = if mode == 0 {
                        (i, &f[1][j * r..(j + 1) * r])
                    } else {
                        (j, &f[0][i * r..(i + 1) * r])
                    };
                    let md = &mut m[dst * r..(dst + 1) * r];
                    for q in 0..r {
                        md[q] += t[q] * other[q];
                    }
                }
            }
        }
    }
    m
}

/// Gram matrix FᵀF (R × R) of a `n × R` row-major factor.
fn gram(f: &[f64], r: usize) -> Vec<f64> {
    let mut g = vec![0.0; r * r];
    for row in f.chunks_exact(r) {
        for p in 0..r {
            for q in 0..r {
                g[p * r + q] += row[p] * row[q];
            }
        }
    }
    g
}

/// tensorly's `hals_nnls` with `n_iter_max = 5`, `tol = 1e-8`: coordinate descent on the
/// columns of `f` (`n × R`) for min ‖M − F·Gᵀ‖ given `utm = Mᵀ`-like products (`n × R`) and
/// the Gram product `g` (R × R).
fn hals_nnls(f: &mut [f64], utm: &[f64], g: &[f64], r: usize) {
    const SWEEPS: usize = 5;
    const TOL: f64 = 1e-8;
    let n = f.len() / r;
    let mut first = 0.0;
    for sweep in 0..SWEEPS {
        let mut change = 0.0;
        for k in 0..r {
            let gkk = g[k * r + k];
            if gkk == 0.0 {
                continue;
            }
            let gk = &g[k * r..(k + 1) * r];
            for i in 0..n {
                let row = &mut f[i * r..(i + 1) * r];
                let dot: f64 = (0..r).map(|l| gk[l] * row[l]).sum();
                let new = ((utm[i * r + k] - dot + gkk * row[k]) / gkk).max(0.0);
                change += (row[k] - new) * (row[k] - new);
                row[k] = new;
            }
        }
        if sweep == 0 {
            first = change;
        }
        if change < TOL * first {
            break;
        }
    }
}

/// Non-negative CP decomposition of the `shape = [I, J, K]` tensor `x` (row-major) by HALS
/// (see the module docs), returning unit-norm factors with their weights and the relative
/// error history.
///
/// The error after each iteration is computed as tensorly does, from the last MTTKRP:
/// ‖X − X̂‖² = ‖X‖² + ‖X̂‖² − 2⟨X, X̂⟩, which is exact in arithmetic but loses precision
/// below a relative error of about 1e-8.
///
/// ```
/// use ganglion_analysis::tensor::{Init, NtfOptions, non_negative_parafac_hals};
/// // A rank-1 tensor a ∘ b ∘ c is fitted exactly.
/// let (a, b, c) = ([1.0, 2.0], [1.0, 0.5, 3.0], [2.0, 1.0]);
/// let x: Vec<f64> = (0..12).map(|n| a[n / 6] * b[(n / 2) % 3] * c[n % 2]).collect();
/// let opts = NtfOptions { rank: 1, max_iter: 200, tol: 1e-12, init: Init::Random(1) };
/// let cp = non_negative_parafac_hals(&x, [2, 3, 2], &opts).unwrap();
/// assert!(*cp.errors.last().unwrap() < 1e-6);
/// ```
pub fn non_negative_parafac_hals(
    x: &[f64],
    shape: [usize; 3],
    opts: &NtfOptions,
) -> Result<Cp, TensorError> {
    check_tensor(x, shape)?;
    let r = opts.rank;
    if r == 0 {
        return Err(TensorError::Rank(r));
    }
    let mut f: [Vec<f64>; 3] = match &opts.init {
        Init::Random(seed) => {
            let mut s = *seed;
            let mut next = || {
                s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
            };
            std::array::from_fn(|m| (0..shape[m] * r).map(|_| next()).collect())
        }
        Init::Given(g) => {
            for (mode, fm) in g.iter().enumerate() {
                if fm.len() != shape[mode] * r {
                    return Err(TensorError::Init {
                        mode,
                        what: format!("has {} entries, expected {} × {r}", fm.len(), shape[mode]),
                    });
                }
                if let Some(v) = fm.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                    return Err(TensorError::Init {
                        mode,
                        what: format!("has the entry {v}"),
                    });
                }
            }
            g.clone()
        }
    };
    let norm_x2: f64 = x.iter().map(|v| v * v).sum();
    let norm_x = norm_x2.sqrt();
    let mut errors = Vec::with_capacity(opts.max_iter);
    for _ in 0..opts.max_iter {
        let mut last_m = Vec::new();
        for mode in 0..3 {
            let mut g = vec![1.0; r * r];
            for (n, fnn) in f.iter().enumerate() {
                if n != mode {
                    for (gv, hv) in g.iter_mut().zip(gram(fnn, r)) {
                        *gv *= hv;
                    }
                }
            }
            let m = mttkrp(x, shape, &f, r, mode);
            hals_nnls(&mut f[mode], &m, &g, r);
            if mode == 2 {
                last_m = m;
            }
        }
        {
            let grams: Vec<Vec<f64>> = f.iter().map(|fm| gram(fm, r)).collect();
            let norm_fit2: f64 = (0..r * r)
                .map(|pq| grams[0][pq] * grams[1][pq] * grams[2][pq])
                .sum();
            let iprod: f64 = last_m.iter().zip(&f[2]).map(|(a, b)| a * b).sum();
            let err = if norm_x > 0.0 {
                (norm_x2 + norm_fit2 - 2.0 * iprod).abs().sqrt() / norm_x
            } else {
                norm_fit2.sqrt()
            };
            errors.push(err);
        }
        let n = errors.len();
        if opts.tol > 0.0 && n >= 2 && (errors[n - 2] - errors[n - 1]).abs() < opts.tol {
            break;
        }
    }
    // Unit-norm columns, the scale collected in the weights.
    let mut weights = vec![1.0; r];
    for fm in f.iter_mut() {
        for (q, wq) in weights.iter_mut().enumerate() {
            let norm = fm
                .iter()
                .skip(q)
                .step_by(r)
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt();
            *wq *= norm;
            if norm > 0.0 {
                fm.iter_mut().skip(q).step_by(r).for_each(|v| *v /= norm);
            }
        }
    }
    Ok(Cp {
        shape,
        rank: r,
        weights,
        factors: f,
        errors,
    })
}

/// How well the components of `found` match those of `truth` (factors `dim_m × R`
/// row-major per mode, any scale): the mean over the components of `truth` of the Tucker
/// congruence product Π_m cos(truth_m[:, r], found_m[:, π(r)]), maximised over injective
/// assignments π of truth's components to found's (brute force; `found` may have more
/// components than `truth`). Returns the score in [0, 1] (for non-negative factors) and π.
///
/// `modes` selects which modes enter the product (e.g. `&[0, 2]` to ignore mode 1).
pub fn match_components(
    truth: &[Vec<f64>; 3],
    r_truth: usize,
    found: &[Vec<f64>; 3],
    r_found: usize,
    modes: &[usize],
) -> Result<(f64, Vec<usize>), TensorError> {
    if r_found > 8 {
        return Err(TensorError::TooManyComponents(r_found));
    }
    if r_truth == 0 || r_truth > r_found {
        return Err(TensorError::Rank(r_truth));
    }
    let cos = |m: usize, p: usize, q: usize| {
        let (a, b) = (&truth[m], &found[m]);
        let n = a.len() / r_truth;
        let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
        for i in 0..n {
            let (x, y) = (a[i * r_truth + p], b[i * r_found + q]);
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        if aa > 0.0 && bb > 0.0 {
            ab / (aa * bb).sqrt()
        } else {
            0.0
        }
    };
    let score: Vec<f64> = (0..r_truth * r_found)
        .map(|pq| {
            modes
                .iter()
                .map(|&m| cos(m, pq / r_found, pq % r_found))
                .product()
        })
        .collect();
    /// Depth-first search over injective assignments of truth's components.
    struct Search<'a> {
        r_truth: usize,
        r_found: usize,
        score: &'a [f64],
        perm: Vec<usize>,
        used: Vec<bool>,
        best: (f64, Vec<usize>),
    }
    impl Search<'_> {
        fn go(&mut self, p: usize, acc: f64) {
            if p == self.r_truth {
                if acc > self.best.0 {
                    self.best = (acc, self.perm.clone());
                }
                return;
            }
            for q in 0..self.r_found {
                if !self.used[q] {
                    self.used[q] = true;
                    self.perm.push(q);
                    self.go(p + 1, acc + self.score[p * self.r_found + q]);
                    self.perm.pop();
                    self.used[q] = false;
                }
            }
        }
    }
    let mut search = Search {
        r_truth,
        r_found,
        score: &score,
        perm: Vec::with_capacity(r_truth),
        used: vec![false; r_found],
        best: (f64::NEG_INFINITY, Vec::new()),
    };
    search.go(0, 0.0);
    let best = search.best;
    Ok((best.0 / r_truth as f64, best.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng;

    /// A planted non-negative rank-`r` tensor with sparse-ish factors (uniform³ entries,
    /// so that the components are not nearly collinear) and the factors themselves.
    fn planted(shape: [usize; 3], r: usize, seed: u64) -> (Vec<f64>, [Vec<f64>; 3]) {
        let mut rng = Rng(seed);
        let f: [Vec<f64>; 3] =
            std::array::from_fn(|m| (0..shape[m] * r).map(|_| rng.uniform().powi(3)).collect());
        let cp = Cp {
            shape,
            rank: r,
            weights: vec![1.0; r],
            factors: f.clone(),
            errors: vec![],
        };
        (cp.reconstruct(), f)
    }

    #[test]
    fn recovers_a_planted_rank_3_tensor() {
        let shape = [12, 7, 20];
        let (x, truth) = planted(shape, 3, 11);
        let opts = NtfOptions {
            rank: 3,
            max_iter: 3000,
            tol: 1e-13,
            init: Init::Random(5),
        };
        let cp = non_negative_parafac_hals(&x, shape, &opts).unwrap();
        let (score, perm) = match_components(&truth, 3, &cp.factors, 3, &[0, 1, 2]).unwrap();
        assert!(score > 0.99, "congruence {score}, perm {perm:?}");
        assert!(*cp.errors.last().unwrap() < 1e-4, "{:?}", cp.errors.last());
        // The reconstruction reproduces the data.
        let xr = cp.reconstruct();
        let num: f64 = x.iter().zip(&xr).map(|(a, b)| (a - b) * (a - b)).sum();
        let den: f64 = x.iter().map(|a| a * a).sum();
        assert!((num / den).sqrt() < 1e-4);
    }

    #[test]
    fn error_never_increases_on_noisy_data() {
        let shape = [9, 6, 15];
        let (mut x, _) = planted(shape, 2, 3);
        let mut rng = Rng(99);
        x.iter_mut().for_each(|v| *v += 0.2 * rng.uniform());
        let opts = NtfOptions {
            rank: 3,
            max_iter: 300,
            tol: 0.0,
            init: Init::Random(8),
        };
        let cp = non_negative_parafac_hals(&x, shape, &opts).unwrap();
        assert_eq!(cp.errors.len(), 300);
        for w in cp.errors.windows(2) {
            assert!(w[1] <= w[0] + 1e-12, "error rose: {} → {}", w[0], w[1]);
        }
        assert!(cp.errors[299] < cp.errors[0]);
        // All factors non-negative, columns unit norm.
        for fm in &cp.factors {
            assert!(fm.iter().all(|v| *v >= 0.0));
        }
        let col = cp.column(2, 0);
        assert!((col.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn rank_1_given_init_hand_case() {
        // X = a ∘ b ∘ c with a = (1, 2), b = (1, 1), c = (3, 1): λ = ‖a‖‖b‖‖c‖ = √5·√2·√10 = 10.
        let x = [3.0, 1.0, 3.0, 1.0, 6.0, 2.0, 6.0, 2.0];
        let opts = NtfOptions {
            rank: 1,
            max_iter: 100,
            tol: 1e-14,
            init: Init::Given([vec![1.0, 1.0], vec![1.0, 1.0], vec![1.0, 1.0]]),
        };
        let cp = non_negative_parafac_hals(&x, [2, 2, 2], &opts).unwrap();
        assert!((cp.weights[0] - 10.0).abs() < 1e-9, "{}", cp.weights[0]);
        let a = cp.column(0, 0);
        assert!((a[1] / a[0] - 2.0).abs() < 1e-9);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let opts = NtfOptions {
            rank: 2,
            max_iter: 10,
            tol: 0.0,
            init: Init::Random(1),
        };
        let e = non_negative_parafac_hals(&[1.0; 7], [2, 2, 2], &opts).unwrap_err();
        assert!(matches!(e, TensorError::Shape { len: 7, .. }));
        assert!(e.to_string().contains("needs 8 entries"));
        let e = non_negative_parafac_hals(&[1.0; 0], [0, 2, 2], &opts).unwrap_err();
        assert!(matches!(e, TensorError::Shape { .. }));
        let mut x = vec![1.0; 8];
        x[3] = -1.0;
        let e = non_negative_parafac_hals(&x, [2, 2, 2], &opts).unwrap_err();
        assert_eq!(
            e,
            TensorError::Data {
                index: 3,
                value: -1.0
            }
        );
        let zero = NtfOptions {
            rank: 0,
            ..opts.clone()
        };
        assert_eq!(
            non_negative_parafac_hals(&[1.0; 8], [2, 2, 2], &zero).unwrap_err(),
            TensorError::Rank(0)
        );
        let given = NtfOptions {
            init: Init::Given([vec![1.0; 4], vec![1.0; 3], vec![1.0; 4]]),
            ..opts
        };
        let e = non_negative_parafac_hals(&[1.0; 8], [2, 2, 2], &given).unwrap_err();
        assert!(matches!(e, TensorError::Init { mode: 1, .. }), "{e}");
    }

    #[test]
    fn matching_finds_the_permutation() {
        let truth = [
            vec![1.0, 0.0, 0.0, 1.0],
            vec![1.0, 0.0, 0.0, 1.0],
            vec![1.0, 0.0, 0.0, 1.0],
        ];
        // The same components swapped and scaled, plus a third unrelated one.
        let found = [
            vec![0.0, 2.0, 0.5, 3.0, 0.0, 0.5],
            vec![0.0, 1.0, 0.5, 1.0, 0.0, 0.5],
            vec![0.0, 1.0, 0.5, 1.0, 0.0, 0.5],
        ];
        let (s, p) = match_components(&truth, 2, &found, 3, &[0, 1, 2]).unwrap();
        assert!((s - 1.0).abs() < 1e-12);
        assert_eq!(p, vec![1, 0]);
        assert!(matches!(
            match_components(&truth, 2, &found, 9, &[0]),
            Err(TensorError::TooManyComponents(9))
        ));
    }
}
