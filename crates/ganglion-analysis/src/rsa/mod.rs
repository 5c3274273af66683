//! Representational similarity analysis (RSA), its topological extension (tRSA) and centred
//! kernel alignment (CKA).
//!
//! - **RDMs** (representational dissimilarity matrices; Kriegeskorte et al. 2008) from a
//!   pattern matrix `patterns` (row-major, conditions × channels). An RDM is stored, like
//!   rsatoolbox's `RDMs.dissimilarities`, as its *condensed* upper triangle: the entries
//!   `(0,1), (0,2), …, (0,n−1), (1,2), …, (n−2,n−1)`, `n(n−1)/2` of them (scipy's
//!   `squareform` order). The measures follow rsatoolbox's `calc_rdm`: the squared Euclidean
//!   distance is divided by the number of channels, the correlation distance is `1 − r`;
//!   [`crossnobis`] gives the cross-validated (Mahalanobis) estimate from independent folds.
//! - **Transforms** (`rsatoolbox.rdm.transform`): rank (ties averaged), min–max, the
//!   geo-topological transform and the geodesic transform of Lin & Kriegeskorte (2023, "The
//!   topology and geometry of neural representations", arXiv:2309.11028; PNAS 2024).
//! - **Comparisons** of two RDMs (`rsatoolbox.rdm.compare`): cosine, Pearson correlation,
//!   Spearman correlation and Kendall's τ_a.
//! - **Identification** of a representation by its nearest centroid (the tRSA paper's
//!   region/layer identification).
//! - **CKA** (Kornblith et al. 2019, "Similarity of neural network representations
//!   revisited", ICML) with a linear or an RBF kernel and a biased or unbiased HSIC.
//!
//! Where rsatoolbox 0.3.2 (and its master branch as of 2026) departs from the definition in
//! the paper, we follow the paper and say so on the function: see [`geotopological`].

use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, Par};
use std::fmt;

/// What was wrong with an input; the message names the object, the value and the fix.
#[derive(Debug, Clone, PartialEq)]
pub enum RsaError {
    /// A slice's length does not fit the stated shape.
    Shape(String),
    /// A parameter outside its domain.
    Parameter(String),
    /// Values for which the method is undefined (NaN, constant vectors, …).
    Degenerate(String),
}

impl fmt::Display for RsaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RsaError::Shape(s) | RsaError::Parameter(s) | RsaError::Degenerate(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for RsaError {}

/// A dissimilarity measure between two condition patterns `x`, `y` of `p` channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// `Σ (x − y)² / p` — rsatoolbox's `calc_rdm(method='euclidean')`, which despite the name
    /// returns this squared, per-channel distance.
    SquaredEuclidean,
    /// `sqrt(Σ (x − y)² / p)`: rsatoolbox's `sqrt_transform` of the above (negative round-off
    /// clamped to 0 first, as there).
    Euclidean,
    /// `1 − r(x, y)`, the Pearson correlation across channels (`calc_rdm(method='correlation')`).
    Correlation,
}

/// Number of conditions `n` of a condensed RDM with `len = n(n−1)/2` entries.
pub fn n_conditions(len: usize) -> Result<usize, RsaError> {
    let n = ((1.0 + (1.0 + 8.0 * len as f64).sqrt()) / 2.0).round() as usize;
    if n < 2 || n * (n - 1) / 2 != len {
        return Err(RsaError::Shape(format!(
            "condensed RDM has {len} entries, which is not n(n-1)/2 for any n >= 2; pass the \
             upper triangle (without diagonal) of an n x n RDM"
        )));
    }
    Ok(n)
}

/// Index of the pair `(i, j)`, `i < j < n`, in a condensed RDM of `n` conditions.
pub fn pair_index(n: usize, i: usize, j: usize) -> usize {
    debug_assert!(
        i < j && j < n,
        "pair_index needs i < j < n, got ({i}, {j}) with n = {n}"
    );
    i * n - i * (i + 1) / 2 + (j - i - 1)
}

/// The full symmetric `n × n` matrix (row-major, zero diagonal) of a condensed RDM.
pub fn square(rdm: &[f64]) -> Result<(Vec<f64>, usize), RsaError> {
    let n = n_conditions(rdm.len())?;
    let mut m = vec![0.0; n * n];
    let mut k = 0;
    for i in 0..n {
        for j in i + 1..n {
            m[i * n + j] = rdm[k];
            m[j * n + i] = rdm[k];
            k += 1;
        }
    }
    Ok((m, n))
}

fn check_finite(name: &str, v: &[f64]) -> Result<(), RsaError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(k) => Err(RsaError::Degenerate(format!(
            "{name}[{k}] = {}; this needs finite values — drop or impute missing entries, and \
             rank-transform geodesic RDMs (infinite for disconnected pairs) before comparing",
            v[k]
        ))),
        None => Ok(()),
    }
}

fn check_patterns(patterns: &[f64], n: usize, p: usize) -> Result<(), RsaError> {
    if n < 2 || p == 0 || patterns.len() != n * p {
        return Err(RsaError::Shape(format!(
            "patterns has {} values for {n} conditions x {p} channels; need n >= 2, p >= 1 and \
             n*p values (row-major, conditions x channels)",
            patterns.len()
        )));
    }
    check_finite("patterns", patterns)
}

/// Row-major Gram matrix `X Xᵀ` (n × n) of the row-major `n × p` matrix `x`. Only the lower
/// triangle is multiplied (half the flops of a full product) and mirrored.
fn gram(x: &[f64], n: usize, p: usize) -> Vec<f64> {
    let m = Mat::<f64>::from_fn(n, p, |i, j| x[i * p + j]);
    let mut g = Mat::<f64>::zeros(n, n);
    triangular::matmul(
        g.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        m.as_ref(),
        BlockStructure::Rectangular,
        m.transpose(),
        BlockStructure::Rectangular,
        1.0,
        Par::Seq,
    );
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            out[i * n + j] = g[(i, j)];
            out[j * n + i] = g[(i, j)];
        }
    }
    out
}

/// The condensed RDM of `n` conditions from `patterns` (row-major, `n` conditions × `p`
/// channels) under `measure`; `n(n−1)/2` entries. Like rsatoolbox, inner products come from
/// one Gram matrix, so identical patterns may give round-off of order 1e-16 instead of 0.
pub fn rdm(patterns: &[f64], n: usize, p: usize, measure: Measure) -> Result<Vec<f64>, RsaError> {
    check_patterns(patterns, n, p)?;
    let mut out = Vec::with_capacity(n * (n - 1) / 2);
    match measure {
        Measure::SquaredEuclidean | Measure::Euclidean => {
            let g = gram(patterns, n, p);
            for i in 0..n {
                for j in i + 1..n {
                    let d = (g[i * n + i] + g[j * n + j] - 2.0 * g[i * n + j]) / p as f64;
                    out.push(if measure == Measure::Euclidean {
                        d.max(0.0).sqrt()
                    } else {
                        d
                    });
                }
            }
        }
        Measure::Correlation => {
            let mut z = patterns.to_vec();
            for (i, row) in z.chunks_mut(p).enumerate() {
                let mean = row.iter().sum::<f64>() / p as f64;
                row.iter_mut().for_each(|v| *v -= mean);
                let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
                if norm == 0.0 {
                    return Err(RsaError::Degenerate(format!(
                        "condition {i} has a constant pattern across its {p} channels, so its \
                         correlation distance is undefined; use Measure::SquaredEuclidean or drop it"
                    )));
                }
                row.iter_mut().for_each(|v| *v /= norm);
            }
            let g = gram(&z, n, p);
            for i in 0..n {
                for j in i + 1..n {
                    out.push(1.0 - g[i * n + j]);
                }
            }
        }
    }
    Ok(out)
}

/// The cross-validated ("crossnobis") RDM of rsatoolbox's `calc_rdm(method='crossnobis')`
/// (Walther et al. 2016): with `k` independent measurement folds of the same `n` conditions,
/// for each fold `f` the patterns `b` of that fold and the mean `a` of the other folds give
/// `d_ij = (a_i − a_j)ᵀ Λ (b_i − b_j) / p`, averaged over the folds. Noise that is
/// independent between folds cancels in expectation, so the estimate is unbiased (and can
/// be negative). `folds` is row-major `k × n × p` (fold, condition, channel); `precision`
/// is the `p × p` noise precision `Λ` (row-major; `None` for the identity, i.e. the
/// cross-validated squared Euclidean distance per channel).
pub fn crossnobis(
    folds: &[f64],
    k: usize,
    n: usize,
    p: usize,
    precision: Option<&[f64]>,
) -> Result<Vec<f64>, RsaError> {
    if k < 2 || folds.len() != k * n * p {
        return Err(RsaError::Shape(format!(
            "crossnobis: folds has {} values for {k} folds x {n} conditions x {p} channels; \
             need k >= 2 independent folds and k*n*p values (fold, condition, channel)",
            folds.len()
        )));
    }
    check_patterns(&folds[..n * p], n, p)?;
    check_finite("folds", folds)?;
    if let Some(l) = precision {
        if l.len() != p * p {
            return Err(RsaError::Shape(format!(
                "crossnobis: precision has {} values; it must be p x p = {} (row-major)",
                l.len(),
                p * p
            )));
        }
        check_finite("precision", l)?;
    }
    let mut total = vec![0.0; n * (n - 1) / 2];
    for f in 0..k {
        let test = &folds[f * n * p..(f + 1) * n * p];
        let train = Mat::<f64>::from_fn(n, p, |i, c| {
            (0..k)
                .filter(|&g| g != f)
                .map(|g| folds[g * n * p + i * p + c])
                .sum::<f64>()
                / (k - 1) as f64
        });
        let b = Mat::<f64>::from_fn(n, p, |i, c| test[i * p + c]);
        let b = match precision {
            Some(l) => &b * Mat::<f64>::from_fn(p, p, |r, c| l[c * p + r]),
            None => b,
        };
        let kern = &train * b.transpose();
        let mut idx = 0;
        for i in 0..n {
            for j in i + 1..n {
                total[idx] +=
                    (kern[(i, i)] + kern[(j, j)] - kern[(i, j)] - kern[(j, i)]) / p as f64;
                idx += 1;
            }
        }
    }
    total.iter_mut().for_each(|d| *d /= k as f64);
    Ok(total)
}

/// Ranks of `v` from 1 to `len`, ties given their average rank (scipy's `rankdata`,
/// method 'average'); ±∞ rank as the extremes. Panics on NaN (use [`rank_transform`] for a
/// checked version).
pub fn ranks(v: &[f64]) -> Vec<f64> {
    assert!(
        !v.iter().any(|x| x.is_nan()),
        "ranks: input contains NaN; remove it first"
    );
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut s = 0;
    while s < idx.len() {
        let mut e = s + 1;
        while e < idx.len() && v[idx[e]] == v[idx[s]] {
            e += 1;
        }
        // Positions s..e (0-based) share the mean of ranks s+1..=e.
        let avg = (s + e + 1) as f64 / 2.0;
        idx[s..e].iter().for_each(|&k| r[k] = avg);
        s = e;
    }
    r
}

/// rsatoolbox's `rank_transform`: each dissimilarity replaced by its rank (1 … len, ties
/// averaged). Infinite entries (disconnected geodesics) rank last.
pub fn rank_transform(rdm: &[f64]) -> Result<Vec<f64>, RsaError> {
    if let Some(k) = rdm.iter().position(|x| x.is_nan()) {
        return Err(RsaError::Degenerate(format!(
            "rdm[{k}] is NaN; rank_transform needs every dissimilarity defined"
        )));
    }
    Ok(ranks(rdm))
}

/// rsatoolbox's `minmax_transform`: `(d − min) / (max − min)`, into [0, 1].
pub fn minmax_transform(rdm: &[f64]) -> Result<Vec<f64>, RsaError> {
    check_finite("rdm", rdm)?;
    let lo = rdm.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = rdm.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if rdm.is_empty() || hi == lo {
        return Err(RsaError::Degenerate(format!(
            "rdm has {} entries, all equal to {lo}; min-max scaling needs at least two distinct \
             dissimilarities",
            rdm.len()
        )));
    }
    Ok(rdm.iter().map(|d| (d - lo) / (hi - lo)).collect())
}

/// The `q`-quantile of `v` with linear interpolation between order statistics (numpy's
/// default `np.quantile(v, q)`, method 'linear'): position `q (len − 1)` in the sorted values.
pub fn quantile(v: &[f64], q: f64) -> Result<f64, RsaError> {
    if !(0.0..=1.0).contains(&q) {
        return Err(RsaError::Parameter(format!(
            "quantile q = {q}; it must lie in [0, 1]"
        )));
    }
    if v.is_empty() {
        return Err(RsaError::Shape(
            "quantile of an empty slice; pass at least one value".into(),
        ));
    }
    check_finite("values", v)?;
    // Two order statistics by selection (O(len)), as numpy partitions instead of sorting.
    let mut s = v.to_vec();
    let pos = q * (s.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let t = pos - lo as f64;
    let (_, &mut a, right) = s.select_nth_unstable_by(lo, f64::total_cmp);
    if right.is_empty() {
        return Ok(a);
    }
    let b = right.iter().copied().fold(f64::INFINITY, f64::min);
    Ok(if t >= 0.5 {
        b - (b - a) * (1.0 - t)
    } else {
        a + (b - a) * t
    })
}

/// The geo-topological transform GT_{l,u} of Lin & Kriegeskorte (2023), with thresholds given
/// as quantiles `low < up` of the RDM's own dissimilarities (rsatoolbox's
/// `geotopological_transform(rdms, low, up)`): with `l = quantile(low)`, `u = quantile(up)`,
/// `d < l → 0`, `d > u → 1`, `l ≤ d ≤ u → (d − l)/(u − l)`.
///
/// Deviation from rsatoolbox 0.3.2: rsatoolbox applies the three cases one after another to
/// the same array, so an entry already rescaled into [0, 1] is set to 1 again when it exceeds
/// `u`, which happens whenever `u < 1` (e.g. d = (.1,…,.6), low = .2, up = .6 gives
/// (0, 0, 1, 1, 1, 1) instead of (0, 0, .5, 1, 1, 1)); the authors' own code
/// (github.com/doerlbh/TopologicalRSA, `gt_transform`) masks on the untransformed values, as
/// here. The two agree whenever `u ≥ 1` and `l > 0`. When the two quantiles coincide
/// (ties), rsatoolbox divides 0 by 0; here entries at the threshold map to 0 (a step).
pub fn geotopological(rdm: &[f64], low: f64, up: f64) -> Result<Vec<f64>, RsaError> {
    if !(0.0..=1.0).contains(&low) || !(0.0..=1.0).contains(&up) || low >= up {
        return Err(RsaError::Parameter(format!(
            "geotopological quantiles low = {low}, up = {up}; need 0 <= low < up <= 1"
        )));
    }
    let (l, u) = (quantile(rdm, low)?, quantile(rdm, up)?);
    Ok(rdm
        .iter()
        .map(|&d| {
            if d < l {
                0.0
            } else if d > u {
                1.0
            } else if u > l {
                (d - l) / (u - l)
            } else {
                0.0
            }
        })
        .collect())
}

/// rsatoolbox's `geodesic_transform` (the "two-step" geodesic of Lin & Kriegeskorte 2023):
/// min–max scale the RDM to [0, 1], build the graph with an edge of that weight between
/// conditions `i, j` unless the scaled weight is exactly 1 (the longest distances, or all
/// those above `u` after [`geotopological`]) or exactly 0 (networkx's `from_numpy_array`
/// reads a zero as "no edge" — so pairs below `l` after a geo-topological transform are not
/// joined at zero cost but must be reached through other edges), and return all shortest
/// path lengths (Floyd–Warshall), condensed. Pairs not connected get `f64::INFINITY`, as
/// networkx does.
pub fn geodesic(rdm: &[f64]) -> Result<Vec<f64>, RsaError> {
    let w = minmax_transform(rdm)?;
    let (mut d, n) = square(&w)?;
    for i in 0..n {
        for j in 0..n {
            let e = d[i * n + j];
            d[i * n + j] = if i == j {
                0.0
            } else if e == 0.0 || e == 1.0 {
                f64::INFINITY
            } else {
                e
            };
        }
    }
    for k in 0..n {
        let row_k = d[k * n..(k + 1) * n].to_vec();
        for i in 0..n {
            let dik = d[i * n + k];
            if dik == f64::INFINITY {
                continue;
            }
            for (dij, dkj) in d[i * n..(i + 1) * n].iter_mut().zip(&row_k) {
                let via = dik + dkj;
                if via < *dij {
                    *dij = via;
                }
            }
        }
    }
    let mut out = Vec::with_capacity(w.len());
    for i in 0..n {
        for j in i + 1..n {
            out.push(d[i * n + j]);
        }
    }
    Ok(out)
}

/// An RDM comparison, as named in `rsatoolbox.rdm.compare(method=…)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// 'cosine': `a·b / (|a||b|)`.
    Cosine,
    /// 'corr': Pearson correlation (cosine of the mean-centred vectors).
    Correlation,
    /// 'spearman': Pearson correlation of the ranks (ties averaged).
    Spearman,
    /// 'tau-a': Kendall's τ_a = (concordant − discordant) / (n(n−1)/2), ties counting for
    /// neither.
    TauA,
}

/// `a·b / (|a||b|)`, 0 when either vector is zero (as rsatoolbox's `_cosine`).
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa > 0.0 && bb > 0.0 {
        ab / aa.sqrt() / bb.sqrt()
    } else {
        0.0
    }
}

fn centred(v: &[f64]) -> Vec<f64> {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    v.iter().map(|x| x - m).collect()
}

/// Kendall's τ_a of two equally long series in O(n log n) (Knight 1966): sort by (a, b),
/// count the discordant pairs as strict inversions of b by merge sort, and the ties in a, in
/// b and in both.
pub fn tau_a(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len();
    assert_eq!(
        n,
        b.len(),
        "tau_a: series of lengths {n} and {} differ",
        b.len()
    );
    if n < 2 {
        return 0.0;
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&i, &j| a[i].total_cmp(&a[j]).then(b[i].total_cmp(&b[j])));
    let (mut xtie, mut ntie) = (0u64, 0u64);
    let mut s = 0;
    while s < n {
        let mut e = s + 1;
        while e < n && a[idx[e]] == a[idx[s]] {
            e += 1;
        }
        let c = (e - s) as u64;
        xtie += c * (c - 1) / 2;
        // Within an a-tie block, b is sorted: count runs of equal b.
        let mut t = s;
        while t < e {
            let mut f = t + 1;
            while f < e && b[idx[f]] == b[idx[t]] {
                f += 1;
            }
            let c = (f - t) as u64;
            ntie += c * (c - 1) / 2;
            t = f;
        }
        s = e;
    }
    let mut ys: Vec<f64> = idx.iter().map(|&i| b[i]).collect();
    let dis = merge_inversions(&mut ys);
    // ys is now b sorted.
    let mut ytie = 0u64;
    let mut s = 0;
    while s < n {
        let mut e = s + 1;
        while e < n && ys[e] == ys[s] {
            e += 1;
        }
        let c = (e - s) as u64;
        ytie += c * (c - 1) / 2;
        s = e;
    }
    let tot = (n as u64) * (n as u64 - 1) / 2;
    let con_minus_dis = tot as i128 - xtie as i128 - ytie as i128 + ntie as i128 - 2 * dis as i128;
    (con_minus_dis as f64 / tot as f64).clamp(-1.0, 1.0)
}

/// Sorts `v` ascending and returns the number of pairs `i < j` with `v[i] > v[j]`.
fn merge_inversions(v: &mut [f64]) -> u64 {
    let n = v.len();
    let mut buf = vec![0.0; n];
    let mut inv = 0u64;
    let mut width = 1;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut i, mut j, mut k) = (lo, mid, lo);
            while i < mid && j < hi {
                // Equal values are taken from the left: ties are not inversions.
                if v[i] <= v[j] {
                    buf[k] = v[i];
                    i += 1;
                } else {
                    buf[k] = v[j];
                    j += 1;
                    inv += (mid - i) as u64;
                }
                k += 1;
            }
            buf[k..k + mid - i].copy_from_slice(&v[i..mid]);
            k += mid - i;
            buf[k..k + hi - j].copy_from_slice(&v[j..hi]);
            lo = hi;
        }
        v.copy_from_slice(&buf);
        width *= 2;
    }
    inv
}

/// Similarity of two condensed RDMs (or any two equally long vectors) under `method`, as
/// `rsatoolbox.rdm.compare(rdm1, rdm2, method)` for one RDM each. Cosine-based measures give
/// 0 for a zero (or, after centring, constant) vector, as rsatoolbox does.
pub fn compare(a: &[f64], b: &[f64], method: Comparison) -> Result<f64, RsaError> {
    if a.len() != b.len() || a.is_empty() {
        return Err(RsaError::Shape(format!(
            "compare: RDMs of {} and {} entries; both must be non-empty and equally long (same \
             conditions)",
            a.len(),
            b.len()
        )));
    }
    check_finite("rdm a", a)?;
    check_finite("rdm b", b)?;
    Ok(match method {
        Comparison::Cosine => cosine(a, b),
        Comparison::Correlation => cosine(&centred(a), &centred(b)),
        Comparison::Spearman => cosine(&centred(&ranks(a)), &centred(&ranks(b))),
        Comparison::TauA => tau_a(a, b),
    })
}

/// Element-wise mean of each class's summaries: `labels[s]` (< `n_classes`) is the class
/// of `summaries[s]`; returns one centroid per class (all of the summaries' length).
pub fn centroids(
    summaries: &[Vec<f64>],
    labels: &[usize],
    n_classes: usize,
) -> Result<Vec<Vec<f64>>, RsaError> {
    if summaries.len() != labels.len() || summaries.is_empty() {
        return Err(RsaError::Shape(format!(
            "centroids: {} summaries but {} labels; give one label per summary",
            summaries.len(),
            labels.len()
        )));
    }
    let len = summaries[0].len();
    let mut sum = vec![vec![0.0; len]; n_classes];
    let mut count = vec![0usize; n_classes];
    for (s, &c) in summaries.iter().zip(labels) {
        if c >= n_classes || s.len() != len {
            return Err(RsaError::Shape(format!(
                "centroids: label {c} (n_classes = {n_classes}) or summary length {} (expected \
                 {len}) out of range",
                s.len()
            )));
        }
        sum[c].iter_mut().zip(s).for_each(|(a, b)| *a += b);
        count[c] += 1;
    }
    if let Some(c) = count.iter().position(|&k| k == 0) {
        return Err(RsaError::Shape(format!(
            "centroids: class {c} has no summaries; every class needs at least one"
        )));
    }
    for (s, k) in sum.iter_mut().zip(count) {
        s.iter_mut().for_each(|v| *v /= k as f64);
    }
    Ok(sum)
}

/// Nearest-centroid identification: the index of the centroid most similar to `x` under
/// `method` (the first on ties).
pub fn nearest_centroid(
    centroids: &[Vec<f64>],
    x: &[f64],
    method: Comparison,
) -> Result<usize, RsaError> {
    let mut best = (0, f64::NEG_INFINITY);
    for (c, m) in centroids.iter().enumerate() {
        let s = compare(m, x, method)?;
        if s > best.1 {
            best = (c, s);
        }
    }
    if best.1 == f64::NEG_INFINITY {
        return Err(RsaError::Shape(
            "nearest_centroid: no centroids given".into(),
        ));
    }
    Ok(best.0)
}

/// The kernel of a CKA comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kernel {
    /// `k(x, y) = x·y`.
    Linear,
    /// `k(x, y) = exp(−|x − y|² / (2σ²))` with `σ = fraction · sqrt(median |xᵢ − xⱼ|²)`, the
    /// median taken over all n² ordered pairs including the zero diagonal (Kornblith et al.
    /// 2019's reference code, `gram_rbf(x, threshold)`).
    Rbf {
        /// σ as a fraction of the median distance (Kornblith et al. use 0.2–0.8).
        fraction: f64,
    },
}

/// The HSIC estimator of a CKA comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hsic {
    /// `tr(K H L H)/(n−1)²` (Gretton et al. 2005): CKA = tr(K̄L̄)/sqrt(tr(K̄K̄) tr(L̄L̄)) with
    /// `K̄ = HKH`; Kornblith et al.'s CKA.
    Biased,
    /// The unbiased estimator of Song et al. (2012), on the Gram matrices with zeroed
    /// diagonals; needs n ≥ 4 and can make CKA NaN when a self-HSIC estimate is ≤ 0 (tiny n).
    Unbiased,
}

fn kernel_gram(x: &[f64], n: usize, p: usize, kernel: Kernel) -> Result<Vec<f64>, RsaError> {
    let g = gram(x, n, p);
    match kernel {
        Kernel::Linear => Ok(g),
        Kernel::Rbf { fraction } => {
            if !(fraction > 0.0 && fraction.is_finite()) {
                return Err(RsaError::Parameter(format!(
                    "RBF bandwidth fraction = {fraction}; it must be a positive finite number \
                     (Kornblith et al. use 0.2–0.8)"
                )));
            }
            let mut sq = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    sq[i * n + j] = g[i * n + i] + g[j * n + j] - 2.0 * g[i * n + j];
                }
            }
            let mut s = sq.clone();
            s.sort_by(f64::total_cmp);
            let m = n * n;
            let median = if m % 2 == 1 {
                s[m / 2]
            } else {
                0.5 * (s[m / 2 - 1] + s[m / 2])
            };
            if median <= 0.0 {
                return Err(RsaError::Degenerate(
                    "RBF CKA: the median squared distance between examples is 0 (most rows \
                     identical), so the bandwidth is 0; use Kernel::Linear or distinct rows"
                        .into(),
                ));
            }
            let scale = 2.0 * fraction * fraction * median;
            Ok(sq.iter().map(|d| (-d / scale).exp()).collect())
        }
    }
}

fn hsic(k: &[f64], l: &[f64], n: usize, est: Hsic) -> f64 {
    match est {
        Hsic::Biased => {
            let (kc, lc) = (double_centre(k, n), double_centre(l, n));
            kc.iter().zip(&lc).map(|(a, b)| a * b).sum::<f64>() / ((n - 1) * (n - 1)) as f64
        }
        Hsic::Unbiased => {
            let off = |m: &[f64]| -> Vec<f64> {
                let mut z = m.to_vec();
                (0..n).for_each(|i| z[i * n + i] = 0.0);
                z
            };
            let (kt, lt) = (off(k), off(l));
            let tr: f64 = kt.iter().zip(&lt).map(|(a, b)| a * b).sum();
            let rk: Vec<f64> = kt.chunks(n).map(|r| r.iter().sum()).collect();
            let rl: Vec<f64> = lt.chunks(n).map(|r| r.iter().sum()).collect();
            let (sk, sl): (f64, f64) = (rk.iter().sum(), rl.iter().sum());
            // 1ᵀ K̃ L̃ 1 = (K̃1)·(L̃1) for symmetric K̃.
            let cross: f64 = rk.iter().zip(&rl).map(|(a, b)| a * b).sum();
            let nf = n as f64;
            (tr + sk * sl / ((nf - 1.0) * (nf - 2.0)) - 2.0 * cross / (nf - 2.0))
                / (nf * (nf - 3.0))
        }
    }
}

fn double_centre(m: &[f64], n: usize) -> Vec<f64> {
    let row: Vec<f64> = m
        .chunks(n)
        .map(|r| r.iter().sum::<f64>() / n as f64)
        .collect();
    let all = row.iter().sum::<f64>() / n as f64;
    let mut out = m.to_vec();
    for i in 0..n {
        for j in 0..n {
            // Symmetric kernels: column means equal row means.
            out[i * n + j] += all - row[i] - row[j];
        }
    }
    out
}

/// Centred kernel alignment between two representations of the same `n` examples: `x` is
/// row-major `n × px`, `y` row-major `n × py` (examples × features). CKA is invariant to
/// orthogonal transforms and isotropic scaling of either representation (and, for the linear
/// kernel, to translation); 1 for identical representations.
pub fn cka(
    x: &[f64],
    px: usize,
    y: &[f64],
    py: usize,
    n: usize,
    kernel: Kernel,
    estimator: Hsic,
) -> Result<f64, RsaError> {
    let min_n = if estimator == Hsic::Unbiased { 4 } else { 2 };
    if n < min_n || px == 0 || py == 0 || x.len() != n * px || y.len() != n * py {
        return Err(RsaError::Shape(format!(
            "cka: x has {} values, y {} for n = {n} examples x ({px}, {py}) features; need \
             n*px and n*py values and n >= {min_n} for the {estimator:?} HSIC",
            x.len(),
            y.len()
        )));
    }
    check_finite("x", x)?;
    check_finite("y", y)?;
    let (k, l) = (
        kernel_gram(x, n, px, kernel)?,
        kernel_gram(y, n, py, kernel)?,
    );
    let kl = hsic(&k, &l, n, estimator);
    let kk = hsic(&k, &k, n, estimator);
    let ll = hsic(&l, &l, n, estimator);
    if kk == 0.0 || ll == 0.0 {
        return Err(RsaError::Degenerate(
            "cka: a representation has zero centred kernel (all examples identical); CKA is \
             undefined"
                .into(),
        ));
    }
    Ok(kl / (kk * ll).sqrt())
}

#[cfg(test)]
mod tests;
