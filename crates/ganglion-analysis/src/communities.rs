//! Community detection in weighted undirected graphs with a weighted stochastic block model
//! (SBM), and the normalised mutual information (NMI) between two partitions.
//!
//! Dyballa et al. 2024 (ICLR, "Learning dynamic representations of the functional connectome
//! in neurobiological networks") detect communities in each NTF pair factor with graph-tool's
//! nested SBM, edge weights modelled as `real-exponential`, choosing the degree-corrected or
//! plain variant by description length (their `benchmark.ipynb`). This module fits the same
//! weight model without the nesting and without degree correction:
//!
//! **Model.** Nodes carry block labels z; for every unordered pair {i, j} an edge is present
//! with probability p_{z_i z_j} (Bernoulli), and a present edge's weight follows the weight
//! model of the block pair — exponential with rate λ_rs (the paper's `real-exponential`), or
//! normal with mean μ_rs and variance σ²_rs (graph-tool's `real-normal`). Block pair (r, s)
//! has n_rs node pairs and m_rs edges of total weight W_rs; with the maximum-likelihood
//! p̂ = m/n and λ̂ = m/W the exponential profile log-likelihood is
//!
//! ℓ(z) = Σ_{r ≤ s} [m ln(m/n) + (n − m) ln(1 − m/n) + m ln(m/W) − m] + Σ_r n_r ln(n_r/N),
//!
//! the last term being the complete-data likelihood of the labels under block proportions
//! n_r/N. The normal model replaces m ln(m/W) − m by −½ m ln(2πσ̂²) − ½ SS/σ̂², SS the sum of
//! squared deviations from the block pair's mean and σ̂² = (SS + σ₀²)/(m + 1) (one
//! pseudo-observation at the variance σ₀² of all weights keeps pairs with one edge finite).
//! Both are scale-free: multiplying every weight by c shifts ℓ by a constant, so the
//! partition does not depend on the weights' units. The exponential model has a coefficient
//! of variation of 1 built in, so it sees a contrast between blocks only through the ratio of
//! their mean weights; the normal model also uses how tightly the weights cluster, which is
//! what separates blocks of an NTF pair factor (smooth loadings on a baseline).
//!
//! **Inference.** For each number of blocks B, greedy single-node moves (each node in turn to
//! the block, among its neighbours' blocks, that raises ℓ most, repeated until no move helps — the Kernighan–Lin-style
//! local search that graph-tool's `multiflip_mcmc_sweep(beta=inf)` also performs) from
//! several random starts and from the best merge of two blocks of the B + 1 solution
//! (graph-tool's agglomerative heuristic), keeping the best ℓ.
//!
//! **Model selection.** B maximises the integrated classification likelihood (ICL, Daudin,
//! Picard & Robin 2008, Statistics and Computing 18:173): ICL = ℓ(ẑ) − ½ P ln(N(N−1)/2)
//! − ½ (B − 1) ln N, with P = B(B + 1)/2 times the parameters per block pair (1 rate, or a
//! mean and a variance, plus an edge probability unless every pair is an edge, as in a
//! complete affinity graph, where p̂ ≡ 1). ICL plays the role of graph-tool's minimum
//! description length: both penalise the block parameters by about ½ ln(#observations)
//! each. With [`WeightModel::Best`] both weight models are fitted and the larger ICL wins —
//! a comparison of likelihoods of the same weights, as the paper compares the description
//! lengths of the degree-corrected and plain SBMs.
//!
//! Graphs are dense `n × n` row-major weight matrices: `w[i·n + j] > 0` is an edge of that
//! weight, 0 is no edge; the diagonal is ignored.

use std::collections::BTreeMap;
use std::fmt;

/// Why a block model could not be fitted.
#[derive(Debug, Clone, PartialEq)]
pub enum CommunityError {
    /// The weight matrix is not `n × n`, or n is zero.
    Shape {
        /// Number of nodes given.
        n: usize,
        /// Length of the weight slice.
        len: usize,
    },
    /// An entry is negative or non-finite, or the matrix is not symmetric.
    Weight {
        /// Row.
        i: usize,
        /// Column.
        j: usize,
        /// The value found.
        value: f64,
    },
    /// `max_blocks` is zero.
    Blocks(usize),
}

impl fmt::Display for CommunityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommunityError::Shape { n, len } => write!(
                f,
                "weight matrix for {n} nodes needs {} entries (n > 0) but has {len}; pass it row-major n × n",
                n * n
            ),
            CommunityError::Weight { i, j, value } => write!(
                f,
                "weight ({i}, {j}) = {value} is invalid: weights must be finite, ≥ 0 (0 = no edge) and symmetric"
            ),
            CommunityError::Blocks(b) => {
                write!(f, "max_blocks = {b}; allow at least one block")
            }
        }
    }
}

impl std::error::Error for CommunityError {}

/// How edge weights are modelled within a block pair (graph-tool's `rec_types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightModel {
    /// Exponential weights, one rate per block pair (`real-exponential`, the paper's choice).
    Exponential,
    /// Normal weights, a mean and a variance per block pair (`real-normal`); the variance is
    /// a posterior mode with one pseudo-observation at the variance of all weights, so that
    /// block pairs with one edge (or equal weights) keep a finite likelihood.
    Normal,
    /// Fit both and keep the one with the larger ICL (as the paper keeps the degree-corrected
    /// or the plain SBM, whichever has the shorter description length).
    Best,
}

/// Settings of [`fit_sbm`].
#[derive(Debug, Clone)]
pub struct SbmOptions {
    /// Largest number of blocks tried (capped at n).
    pub max_blocks: usize,
    /// Random starts per number of blocks (besides the merge of the B + 1 solution).
    pub restarts: usize,
    /// Seed of the random starts and of the node visiting order.
    pub seed: u64,
    /// The weight model.
    pub weights: WeightModel,
}

impl Default for SbmOptions {
    fn default() -> Self {
        SbmOptions {
            max_blocks: 10,
            restarts: 4,
            seed: 1,
            weights: WeightModel::Exponential,
        }
    }
}

/// A fitted block model.
#[derive(Debug, Clone)]
pub struct SbmFit {
    /// Block of each node, labels 0..n_blocks.
    pub blocks: Vec<usize>,
    /// The number of blocks chosen by ICL.
    pub n_blocks: usize,
    /// The weight model used (never `Best`: the one `Best` chose).
    pub weights: WeightModel,
    /// Profile log-likelihood ℓ of the chosen partition (nats).
    pub log_likelihood: f64,
    /// ICL of the best partition for each B = 1..=max_blocks (index B − 1), under the chosen
    /// weight model.
    pub icl: Vec<f64>,
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// x ln x with 0 ln 0 = 0.
fn xlnx(x: f64) -> f64 {
    if x > 0.0 { x * x.ln() } else { 0.0 }
}

/// Edge count, weight sum and weight sum of squares of a block pair (or of one node's links
/// to a block).
#[derive(Debug, Clone, Copy, Default)]
struct Stat {
    m: f64,
    w: f64,
    q: f64,
}

impl Stat {
    fn add(self, o: Stat) -> Stat {
        Stat {
            m: self.m + o.m,
            w: self.w + o.w,
            q: self.q + o.q,
        }
    }
    fn sub(self, o: Stat) -> Stat {
        Stat {
            m: self.m - o.m,
            w: self.w - o.w,
            q: self.q - o.q,
        }
    }
}

/// The weight model in use, with the normal model's prior variance.
#[derive(Debug, Clone, Copy)]
struct Model {
    normal: bool,
    var0: f64,
}

/// Log-likelihood of one block pair: `np` node pairs, edges `s`.
fn pair_ll(np: f64, s: Stat, model: Model) -> f64 {
    if np <= 0.0 {
        return 0.0;
    }
    // m ln(m/n) + (n − m) ln(1 − m/n) = xlnx(m) + xlnx(n − m) − xlnx(n).
    let bern = xlnx(s.m) + xlnx(np - s.m) - xlnx(np);
    if s.m < 0.5 {
        return bern;
    }
    let weights = if model.normal {
        let ss = (s.q - s.w * s.w / s.m).max(0.0);
        let var = (ss + model.var0) / (s.m + 1.0);
        -0.5 * s.m * (std::f64::consts::TAU * var).ln() - 0.5 * ss / var
    } else if s.w > 0.0 {
        s.m * (s.m / s.w).ln() - s.m
    } else {
        0.0
    };
    bern + weights
}

/// Block statistics of a partition.
struct State {
    b: usize,
    size: Vec<f64>,
    s: Vec<Stat>,
    model: Model,
}

impl State {
    fn new(w: &[f64], n: usize, z: &[usize], b: usize, model: Model) -> State {
        let mut st = State {
            b,
            size: vec![0.0; b],
            s: vec![Stat::default(); b * b],
            model,
        };
        for &zi in z {
            st.size[zi] += 1.0;
        }
        for i in 0..n {
            for j in 0..i {
                let x = w[i * n + j];
                if x > 0.0 {
                    let e = Stat {
                        m: 1.0,
                        w: x,
                        q: x * x,
                    };
                    let (r, t) = (z[i], z[j]);
                    st.s[r * b + t] = st.s[r * b + t].add(e);
                    if r != t {
                        st.s[t * b + r] = st.s[t * b + r].add(e);
                    }
                }
            }
        }
        st
    }

    /// The statistics after merging block `s` into block `r` (s > r; blocks above s shift
    /// down by one).
    fn merged(&self, r: usize, s: usize) -> State {
        let b = self.b;
        let bb = b - 1;
        let map = |t: usize| {
            if t == s {
                r
            } else if t > s {
                t - 1
            } else {
                t
            }
        };
        let mut out = State {
            b: bb,
            size: vec![0.0; bb],
            s: vec![Stat::default(); bb * bb],
            model: self.model,
        };
        for t in 0..b {
            out.size[map(t)] += self.size[t];
        }
        // Sum over unordered block pairs, so that a merged pair's edges are counted once.
        for t in 0..b {
            for u in t..b {
                let (x, y) = (map(t), map(u));
                let v = self.s[t * b + u];
                out.s[x * bb + y] = out.s[x * bb + y].add(v);
                if x != y {
                    out.s[y * bb + x] = out.s[y * bb + x].add(v);
                }
            }
        }
        out
    }

    fn pairs(&self, r: usize, t: usize, nr: f64, nt: f64) -> f64 {
        if r == t {
            nr * (nr - 1.0) / 2.0
        } else {
            nr * nt
        }
    }

    fn ll(&self, n: f64) -> f64 {
        let b = self.b;
        let mut l = 0.0;
        for r in 0..b {
            l += xlnx(self.size[r]) - self.size[r] * n.ln();
            for t in r..b {
                let np = self.pairs(r, t, self.size[r], self.size[t]);
                l += pair_ll(np, self.s[r * b + t], self.model);
            }
        }
        l
    }

    /// ℓ change when a node with links `k[t]` to block t moves a → c.
    fn delta(&self, a: usize, c: usize, k: &[Stat]) -> f64 {
        let b = self.b;
        let md = self.model;
        let (na, nc) = (self.size[a], self.size[c]);
        let (na2, nc2) = (na - 1.0, nc + 1.0);
        let mut d = xlnx(na2) + xlnx(nc2) - xlnx(na) - xlnx(nc);
        for (t, &kt) in k.iter().enumerate() {
            if t == a || t == c {
                continue;
            }
            let nt = self.size[t];
            let (sat, sct) = (self.s[a * b + t], self.s[c * b + t]);
            d += pair_ll(na2 * nt, sat.sub(kt), md) - pair_ll(na * nt, sat, md);
            d += pair_ll(nc2 * nt, sct.add(kt), md) - pair_ll(nc * nt, sct, md);
        }
        let (saa, scc, sac) = (self.s[a * b + a], self.s[c * b + c], self.s[a * b + c]);
        d += pair_ll(na2 * (na2 - 1.0) / 2.0, saa.sub(k[a]), md)
            - pair_ll(na * (na - 1.0) / 2.0, saa, md);
        d += pair_ll(nc2 * (nc2 - 1.0) / 2.0, scc.add(k[c]), md)
            - pair_ll(nc * (nc - 1.0) / 2.0, scc, md);
        d += pair_ll(na2 * nc2, sac.sub(k[c]).add(k[a]), md) - pair_ll(na * nc, sac, md);
        d
    }

    fn apply(&mut self, a: usize, c: usize, k: &[Stat]) {
        let b = self.b;
        for (t, &kt) in k.iter().enumerate() {
            if t != a {
                self.s[a * b + t] = self.s[a * b + t].sub(kt);
                self.s[t * b + a] = self.s[a * b + t];
            }
        }
        self.s[a * b + a] = self.s[a * b + a].sub(k[a]);
        self.size[a] -= 1.0;
        // The node now belongs to no block: its edges to a are plain links to block a.
        for (t, &kt) in k.iter().enumerate() {
            if t != c {
                self.s[c * b + t] = self.s[c * b + t].add(kt);
                self.s[t * b + c] = self.s[c * b + t];
            }
        }
        self.s[c * b + c] = self.s[c * b + c].add(k[c]);
        self.size[c] += 1.0;
    }
}

/// Greedy single-node moves until none raises ℓ; returns ℓ.
fn local_moves(w: &[f64], n: usize, z: &mut [usize], b: usize, model: Model, rng: &mut Rng) -> f64 {
    let mut st = State::new(w, n, z, b, model);
    let mut order: Vec<usize> = (0..n).collect();
    let mut k = vec![Stat::default(); b];
    for _ in 0..200 {
        for i in (1..n).rev() {
            order.swap(i, rng.below(i + 1));
        }
        let mut moved = false;
        for &i in &order {
            let a = z[i];
            if st.size[a] <= 1.0 {
                continue;
            }
            k.iter_mut().for_each(|v| *v = Stat::default());
            for j in 0..n {
                let x = w[i * n + j];
                if j != i && x > 0.0 {
                    k[z[j]] = k[z[j]].add(Stat {
                        m: 1.0,
                        w: x,
                        q: x * x,
                    });
                }
            }
            let mut best = (1e-9, a);
            for c in 0..b {
                // Candidate blocks are those of the node's neighbours (graph-tool's proposals
                // come from neighbours' blocks too): joining a block it has no edge to rarely
                // raises ℓ, and skipping them makes sparse graphs fast.
                if c != a && k[c].m > 0.0 {
                    let d = st.delta(a, c, &k);
                    if d > best.0 {
                        best = (d, c);
                    }
                }
            }
            if best.1 != a {
                st.apply(a, best.1, &k);
                z[i] = best.1;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    st.ll(n as f64)
}

fn validate(w: &[f64], n: usize) -> Result<(), CommunityError> {
    if n == 0 || w.len() != n * n {
        return Err(CommunityError::Shape { n, len: w.len() });
    }
    for i in 0..n {
        for j in 0..n {
            let x = w[i * n + j];
            if i != j && (!x.is_finite() || x < 0.0 || x != w[j * n + i]) {
                return Err(CommunityError::Weight { i, j, value: x });
            }
        }
    }
    Ok(())
}

/// Profile log-likelihood ℓ(z) of a given partition (labels 0..b, see the module docs) under
/// the exponential (`Best` counts as exponential here) or normal weight model.
pub fn log_likelihood(
    w: &[f64],
    n: usize,
    z: &[usize],
    weights: WeightModel,
) -> Result<f64, CommunityError> {
    validate(w, n)?;
    assert_eq!(z.len(), n, "partition has {} labels for {n} nodes", z.len());
    let b = z.iter().max().map_or(1, |m| m + 1);
    Ok(State::new(w, n, z, b, model(w, n, weights)).ll(n as f64))
}

/// The model parameters for `weights` on graph `w`: the normal model's prior variance is the
/// variance of all edge weights (floored so that equal weights stay finite).
fn model(w: &[f64], n: usize, weights: WeightModel) -> Model {
    let (mut m, mut s, mut q) = (0.0, 0.0, 0.0);
    for i in 0..n {
        for j in 0..i {
            let x = w[i * n + j];
            if x > 0.0 {
                m += 1.0;
                s += x;
                q += x * x;
            }
        }
    }
    let mean = if m > 0.0 { s / m } else { 0.0 };
    let var = if m > 0.0 {
        (q / m - mean * mean).max(0.0)
    } else {
        0.0
    };
    Model {
        normal: weights == WeightModel::Normal,
        var0: var.max(1e-12 * mean * mean).max(f64::MIN_POSITIVE),
    }
}

/// Relabels `z` to 0..B in order of first appearance; returns B.
fn compact(z: &mut [usize]) -> usize {
    let mut map = BTreeMap::new();
    for v in z.iter_mut() {
        let next = map.len();
        *v = *map.entry(*v).or_insert(next);
    }
    map.len()
}

/// Fits the weighted SBM of the module docs to the `n × n` symmetric weight matrix `w`,
/// choosing the number of blocks in 1..=`max_blocks` by ICL (and, with
/// [`WeightModel::Best`], the weight model too).
pub fn fit_sbm(w: &[f64], n: usize, opts: &SbmOptions) -> Result<SbmFit, CommunityError> {
    validate(w, n)?;
    if opts.max_blocks == 0 {
        return Err(CommunityError::Blocks(0));
    }
    match opts.weights {
        WeightModel::Best => {
            let e = fit_one(w, n, opts, WeightModel::Exponential);
            let g = fit_one(w, n, opts, WeightModel::Normal);
            let top = |f: &SbmFit| f.icl.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Ok(if top(&g) > top(&e) { g } else { e })
        }
        m => Ok(fit_one(w, n, opts, m)),
    }
}

fn fit_one(w: &[f64], n: usize, opts: &SbmOptions, weights: WeightModel) -> SbmFit {
    let md = model(w, n, weights);
    let bmax = opts.max_blocks.min(n);
    let mut rng = Rng(opts.seed ^ 0xD1B5_4A32_D192_ED03);
    let n_pairs = (n * (n - 1) / 2).max(1) as f64;
    let complete = (0..n).all(|i| (0..i).all(|j| w[i * n + j] > 0.0));
    let mut best_per_b: Vec<Option<(f64, Vec<usize>)>> = vec![None; bmax + 1];
    let mut above: Option<Vec<usize>> = None;
    for b in (1..=bmax).rev() {
        let mut cands: Vec<Vec<usize>> = Vec::new();
        for _ in 0..opts.restarts.max(1) {
            // Random labels with every block used at least once.
            let mut z: Vec<usize> = (0..n).map(|_| rng.below(b)).collect();
            for (r, i) in (0..b).zip(0..n) {
                z[i] = r;
            }
            for i in (1..n).rev() {
                z.swap(i, rng.below(i + 1));
            }
            cands.push(z);
        }
        if let Some(za) = &above {
            // Best merge of two blocks of the (b + 1)-block solution, scored from the block
            // statistics alone.
            let st = State::new(w, n, za, b + 1, md);
            let mut best_merge: Option<(f64, usize, usize)> = None;
            for r in 0..=b {
                for s in (r + 1)..=b {
                    let l = st.merged(r, s).ll(n as f64);
                    if best_merge.is_none_or(|(bl, _, _)| l > bl) {
                        best_merge = Some((l, r, s));
                    }
                }
            }
            if let Some((_, r, s)) = best_merge {
                let mut z: Vec<usize> = za.iter().map(|&v| if v == s { r } else { v }).collect();
                compact(&mut z);
                cands.push(z);
            }
        }
        let mut best: Option<(f64, Vec<usize>)> = None;
        for mut z in cands {
            let l = local_moves(w, n, &mut z, b, md, &mut rng);
            if best.as_ref().is_none_or(|(bl, _)| l > *bl) {
                best = Some((l, z));
            }
        }
        above = best.as_ref().map(|(_, z)| z.clone());
        best_per_b[b] = best;
    }
    let mut icl = Vec::with_capacity(bmax);
    let mut choice = (f64::NEG_INFINITY, 1);
    // Parameters per block pair: the weight model's (rate; or mean and variance) plus the
    // edge probability unless every pair is an edge.
    let per_pair = if md.normal { 2.0 } else { 1.0 } + if complete { 0.0 } else { 1.0 };
    for (b, fitted) in best_per_b.iter().enumerate().skip(1) {
        let (l, _) = fitted.as_ref().expect("every B fitted");
        let p = per_pair * (b * (b + 1) / 2) as f64;
        let v = l - 0.5 * p * n_pairs.ln() - 0.5 * (b as f64 - 1.0) * (n as f64).ln();
        icl.push(v);
        if v > choice.0 {
            choice = (v, b);
        }
    }
    let (l, mut z) = best_per_b[choice.1].take().expect("chosen B fitted");
    let n_blocks = compact(&mut z);
    SbmFit {
        blocks: z,
        n_blocks,
        weights,
        log_likelihood: l,
        icl,
    }
}

/// Normalised mutual information between two partitions of the same items, with the
/// arithmetic-mean normalisation (scikit-learn's `normalized_mutual_info_score` default):
/// NMI = I(a; b) / ((H(a) + H(b)) / 2), natural logarithms. As scikit-learn: 1 when both
/// partitions have a single block, 0 when the mutual information is 0. Labels are arbitrary
/// integers; only equality matters.
///
/// ```
/// use ganglion_analysis::communities::nmi;
/// assert_eq!(nmi(&[0, 0, 1, 1], &[5, 5, 2, 2]), 1.0);
/// assert!((nmi(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.8).abs() < 1e-12);
/// ```
pub fn nmi(a: &[usize], b: &[usize]) -> f64 {
    assert_eq!(
        a.len(),
        b.len(),
        "nmi: partitions label {} and {} items; give one label per item in both",
        a.len(),
        b.len()
    );
    let n = a.len() as f64;
    let mut joint: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    let mut ca: BTreeMap<usize, f64> = BTreeMap::new();
    let mut cb: BTreeMap<usize, f64> = BTreeMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *joint.entry((x, y)).or_default() += 1.0;
        *ca.entry(x).or_default() += 1.0;
        *cb.entry(y).or_default() += 1.0;
    }
    if (ca.len() == 1 && cb.len() == 1) || a.is_empty() {
        return 1.0;
    }
    let h = |c: &BTreeMap<usize, f64>| -c.values().map(|&v| v / n * (v / n).ln()).sum::<f64>();
    let mi: f64 = joint
        .iter()
        .map(|(&(x, y), &v)| v / n * (v * n / (ca[&x] * cb[&y])).ln())
        .sum();
    if mi <= 0.0 {
        return 0.0;
    }
    let norm = 0.5 * (h(&ca) + h(&cb));
    (mi / norm.max(f64::EPSILON)).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng as TRng;

    #[test]
    fn nmi_matches_scikit_learn() {
        // Values from sklearn 1.9.1 normalized_mutual_info_score (bench/analysis/.venv).
        let cases: [(&[usize], &[usize], f64); 6] = [
            (&[0, 0, 1, 1], &[0, 0, 1, 2], 0.7999999999999999),
            (&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2], 0.5158037429793889),
            (
                &[0, 1, 2, 0, 1, 2, 0, 1, 2],
                &[0, 0, 0, 1, 1, 1, 2, 2, 2],
                0.0,
            ),
            (
                &[0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2],
                &[0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2],
                0.8410911493201383,
            ),
            (&[0, 0, 0, 0], &[0, 1, 2, 3], 0.0),
            (&[0, 0, 1, 1], &[5, 5, 5, 5], 0.0),
        ];
        for (a, b, want) in cases {
            let got = nmi(a, b);
            assert!((got - want).abs() < 1e-12, "{a:?} {b:?}: {got} vs {want}");
            assert!((nmi(b, a) - want).abs() < 1e-12, "not symmetric");
        }
        // 30 items in three blocks of 10, one item misassigned (sklearn: 0.8996935451597475).
        let truth: Vec<usize> = (0..30).map(|i| i / 10).collect();
        let mut one_off = truth.clone();
        one_off[9] = 1;
        assert!((nmi(&truth, &one_off) - 0.8996935451597475).abs() < 1e-12);
        assert_eq!(nmi(&[3, 3], &[1, 1]), 1.0);
    }

    #[test]
    fn nmi_hand_computed() {
        // a = (0,0,1,1), b = (0,0,1,2): H(a) = ln 2, H(b) = 1.5 ln 2, and b refines a so
        // I(a; b) = H(a) = ln 2 → NMI = ln 2 / (1.25 ln 2) = 0.8.
        assert!((nmi(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.8).abs() < 1e-12);
    }

    /// A planted-partition weighted graph: blocks `sizes`, edge probabilities p_in/p_out,
    /// exponential weights with means mu_in/mu_out.
    fn planted(
        sizes: &[usize],
        p: (f64, f64),
        mu: (f64, f64),
        seed: u64,
    ) -> (Vec<f64>, Vec<usize>) {
        let z: Vec<usize> = sizes
            .iter()
            .enumerate()
            .flat_map(|(b, &s)| std::iter::repeat_n(b, s))
            .collect();
        let n = z.len();
        let mut rng = TRng(seed);
        let mut w = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..i {
                let same = z[i] == z[j];
                let (pe, m) = if same { (p.0, mu.0) } else { (p.1, mu.1) };
                if rng.uniform() < pe {
                    let x = -m * (1.0 - rng.uniform()).ln();
                    w[i * n + j] = x;
                    w[j * n + i] = x;
                }
            }
        }
        (w, z)
    }

    #[test]
    fn recovers_planted_blocks_from_edges_and_from_weights() {
        // Edge density carries the blocks.
        let (w, z) = planted(&[15, 20, 25], (0.5, 0.05), (1.0, 1.0), 7);
        let fit = fit_sbm(&w, 60, &SbmOptions::default()).unwrap();
        assert_eq!(fit.n_blocks, 3, "icl {:?}", fit.icl);
        assert_eq!(nmi(&fit.blocks, &z), 1.0);
        // Only the weights carry the blocks (complete graph, means 5 vs 1).
        let (w, z) = planted(&[20, 20, 20], (1.0, 1.0), (5.0, 1.0), 8);
        let fit = fit_sbm(&w, 60, &SbmOptions::default()).unwrap();
        assert_eq!(fit.n_blocks, 3, "icl {:?}", fit.icl);
        assert!(nmi(&fit.blocks, &z) > 0.95);
    }

    #[test]
    fn no_structure_gives_one_block() {
        let (w, _) = planted(&[50], (0.2, 0.2), (1.0, 1.0), 3);
        let fit = fit_sbm(&w, 50, &SbmOptions::default()).unwrap();
        assert_eq!(fit.n_blocks, 1, "icl {:?}", fit.icl);
    }

    #[test]
    fn delta_matches_recomputed_likelihood() {
        let (w, _) = planted(&[6, 7], (0.6, 0.2), (2.0, 1.0), 5);
        let n = 13;
        let z: Vec<usize> = (0..n).map(|i| i % 3).collect();
        for wm in [WeightModel::Exponential, WeightModel::Normal] {
            let md = model(&w, n, wm);
            let st = State::new(&w, n, &z, 3, md);
            let i = 4;
            let mut k = vec![Stat::default(); 3];
            for j in 0..n {
                let x = w[i * n + j];
                if j != i && x > 0.0 {
                    k[z[j]] = k[z[j]].add(Stat {
                        m: 1.0,
                        w: x,
                        q: x * x,
                    });
                }
            }
            let d = st.delta(z[i], 2, &k);
            let mut z2 = z.clone();
            z2[i] = 2;
            let direct = State::new(&w, n, &z2, 3, md).ll(n as f64) - st.ll(n as f64);
            assert!((d - direct).abs() < 1e-9, "{wm:?}: {d} vs {direct}");
            let mut st2 = st;
            st2.apply(z[i], 2, &k);
            let recount = State::new(&w, n, &z2, 3, md).ll(n as f64);
            assert!((st2.ll(n as f64) - recount).abs() < 1e-9);
            // Merging blocks from the statistics alone agrees with a recount.
            let zm: Vec<usize> = z.iter().map(|&v| if v == 2 { 0 } else { v }).collect();
            let recount = State::new(&w, n, &zm, 3, md).ll(n as f64);
            let merged = State::new(&w, n, &z, 3, md).merged(0, 2).ll(n as f64);
            assert!((recount - merged).abs() < 1e-9, "{recount} vs {merged}");
            // Scale invariance of the partition: ℓ shifts by a constant (for the normal model
            // too, its prior variance scaling with the weights).
            let w3: Vec<f64> = w.iter().map(|v| 3.0 * v).collect();
            let d3 =
                log_likelihood(&w3, n, &z2, wm).unwrap() - log_likelihood(&w3, n, &z, wm).unwrap();
            assert!((d3 - direct).abs() < 1e-9, "{wm:?}");
        }
    }

    #[test]
    fn normal_model_hand_case_and_selection() {
        // One block pair of 2 edges with weights 1 and 3: Bernoulli part 0 (complete), normal
        // part with ss = 2, prior variance var0 = 1 (the weights' variance), var = 3/3 = 1:
        // ℓ = −ln(2π) − 1.
        let w = [0.0, 1.0, 3.0, 1.0, 0.0, 0.0, 3.0, 0.0, 0.0];
        let l = log_likelihood(&w, 3, &[0, 0, 0], WeightModel::Normal).unwrap();
        // Pairs (0,1), (0,2) are edges, (1,2) is not: Bernoulli 2 ln(2/3) + ln(1/3).
        let bern = 2.0 * (2.0f64 / 3.0).ln() + (1.0f64 / 3.0).ln();
        let want = bern - std::f64::consts::TAU.ln() - 1.0;
        assert!((l - want).abs() < 1e-12, "{l} vs {want}");
        // Tight weights (means 3 vs 1, sd 0.1) on a complete graph: the normal model sees
        // the blocks sharply and `Best` picks it.
        let mut rng = TRng(21);
        let z: Vec<usize> = (0..40).map(|i| i / 20).collect();
        let mut w = vec![0.0; 1600];
        for i in 0..40 {
            for j in 0..i {
                let mu = if z[i] == z[j] { 3.0 } else { 1.0 };
                let x = mu + 0.1 * (rng.uniform() - 0.5) * 12f64.sqrt();
                w[i * 40 + j] = x;
                w[j * 40 + i] = x;
            }
        }
        let best = SbmOptions {
            weights: WeightModel::Best,
            ..SbmOptions::default()
        };
        let fit = fit_sbm(&w, 40, &best).unwrap();
        assert_eq!(fit.weights, WeightModel::Normal);
        assert_eq!(nmi(&fit.blocks, &z), 1.0);
    }

    #[test]
    fn bad_graphs_are_errors() {
        let o = SbmOptions::default();
        assert!(matches!(
            fit_sbm(&[0.0; 5], 2, &o),
            Err(CommunityError::Shape { n: 2, len: 5 })
        ));
        let e = fit_sbm(&[0.0, 1.0, 2.0, 0.0], 2, &o).unwrap_err();
        assert!(
            matches!(e, CommunityError::Weight { i: 0, j: 1, .. }),
            "{e}"
        );
        let e = fit_sbm(&[0.0, -1.0, -1.0, 0.0], 2, &o).unwrap_err();
        assert!(e.to_string().contains("-1"));
        let zero = SbmOptions { max_blocks: 0, ..o };
        assert_eq!(
            fit_sbm(&[0.0; 4], 2, &zero).unwrap_err(),
            CommunityError::Blocks(0)
        );
    }
}
