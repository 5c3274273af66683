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
//! with probability p_{z_i z_j} (Bernoulli), and a present edge's weight is exponential with
//! rate λ_{z_i z_j}. Block pair (r, s) has n_rs node pairs, m_rs edges of total weight W_rs;
//! the maximum-likelihood p̂ = m/n and λ̂ = m/W give the profile log-likelihood
//!
//! ℓ(z) = Σ_{r ≤ s} [m ln(m/n) + (n − m) ln(1 − m/n) + m ln(m/W) − m] + Σ_r n_r ln(n_r/N),
//!
//! the last term being the complete-data likelihood of the labels under block proportions
//! n_r/N. The exponential term is scale-free: multiplying every weight by c shifts ℓ by a
//! constant, so the partition does not depend on the weights' units.
//!
//! **Inference.** For each number of blocks B, greedy single-node moves (each node in turn to
//! the block that raises ℓ most, repeated until no move helps — the Kernighan–Lin-style
//! local search that graph-tool's `multiflip_mcmc_sweep(beta=inf)` also performs) from
//! several random starts and from the best merge of two blocks of the B + 1 solution
//! (graph-tool's agglomerative heuristic), keeping the best ℓ.
//!
//! **Model selection.** B maximises the integrated classification likelihood (ICL, Daudin,
//! Picard & Robin 2008, Statistics and Computing 18:173): ICL = ℓ(ẑ) − ½ P ln(N(N−1)/2)
//! − ½ (B − 1) ln N, with P = B(B + 1)/2 weight rates plus as many edge probabilities
//! (dropped when every pair is an edge, as in a complete affinity graph, where p̂ ≡ 1). ICL
//! plays the role of graph-tool's minimum description length: both penalise the block
//! parameters by about ½ ln(#observations) each.
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

/// Settings of [`fit_sbm`].
#[derive(Debug, Clone)]
pub struct SbmOptions {
    /// Largest number of blocks tried (capped at n).
    pub max_blocks: usize,
    /// Random starts per number of blocks (besides the merge of the B + 1 solution).
    pub restarts: usize,
    /// Seed of the random starts and of the node visiting order.
    pub seed: u64,
}

impl Default for SbmOptions {
    fn default() -> Self {
        SbmOptions {
            max_blocks: 10,
            restarts: 4,
            seed: 1,
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
    /// Profile log-likelihood ℓ of the chosen partition (nats).
    pub log_likelihood: f64,
    /// ICL of the best partition for each B = 1..=max_blocks (index B − 1).
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

/// Log-likelihood of one block pair: `np` node pairs, `m` edges of total weight `w`.
fn pair_ll(np: f64, m: f64, w: f64) -> f64 {
    if np <= 0.0 {
        return 0.0;
    }
    // m ln(m/n) + (n − m) ln(1 − m/n) = xlnx(m) + xlnx(n − m) − xlnx(n).
    let bern = xlnx(m) + xlnx(np - m) - xlnx(np);
    let expo = if m > 0.0 && w > 0.0 {
        m * (m / w).ln() - m
    } else {
        0.0
    };
    bern + expo
}

/// Block statistics of a partition.
struct State {
    b: usize,
    size: Vec<f64>,
    m: Vec<f64>,
    w: Vec<f64>,
}

impl State {
    fn new(w: &[f64], n: usize, z: &[usize], b: usize) -> State {
        let mut s = State {
            b,
            size: vec![0.0; b],
            m: vec![0.0; b * b],
            w: vec![0.0; b * b],
        };
        for &zi in z {
            s.size[zi] += 1.0;
        }
        for i in 0..n {
            for j in 0..i {
                let x = w[i * n + j];
                if x > 0.0 {
                    let (r, t) = (z[i], z[j]);
                    s.m[r * b + t] += 1.0;
                    s.w[r * b + t] += x;
                    if r != t {
                        s.m[t * b + r] += 1.0;
                        s.w[t * b + r] += x;
                    }
                }
            }
        }
        s
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
                l += pair_ll(np, self.m[r * b + t], self.w[r * b + t]);
            }
        }
        l
    }

    /// ℓ change when a node with `k[t]` edges (weight `wk[t]`) to block t moves a → c.
    fn delta(&self, a: usize, c: usize, k: &[f64], wk: &[f64]) -> f64 {
        let b = self.b;
        let (na, nc) = (self.size[a], self.size[c]);
        let (na2, nc2) = (na - 1.0, nc + 1.0);
        let mut d = xlnx(na2) + xlnx(nc2) - xlnx(na) - xlnx(nc);
        for t in 0..b {
            if t == a || t == c {
                continue;
            }
            let nt = self.size[t];
            let (mat, wat) = (self.m[a * b + t], self.w[a * b + t]);
            let (mct, wct) = (self.m[c * b + t], self.w[c * b + t]);
            d += pair_ll(na2 * nt, mat - k[t], wat - wk[t]) - pair_ll(na * nt, mat, wat);
            d += pair_ll(nc2 * nt, mct + k[t], wct + wk[t]) - pair_ll(nc * nt, mct, wct);
        }
        let (maa, waa) = (self.m[a * b + a], self.w[a * b + a]);
        let (mcc, wcc) = (self.m[c * b + c], self.w[c * b + c]);
        let (mac, wac) = (self.m[a * b + c], self.w[a * b + c]);
        d += pair_ll(na2 * (na2 - 1.0) / 2.0, maa - k[a], waa - wk[a])
            - pair_ll(na * (na - 1.0) / 2.0, maa, waa);
        d += pair_ll(nc2 * (nc2 - 1.0) / 2.0, mcc + k[c], wcc + wk[c])
            - pair_ll(nc * (nc - 1.0) / 2.0, mcc, wcc);
        d +=
            pair_ll(na2 * nc2, mac - k[c] + k[a], wac - wk[c] + wk[a]) - pair_ll(na * nc, mac, wac);
        d
    }

    fn apply(&mut self, a: usize, c: usize, k: &[f64], wk: &[f64]) {
        let b = self.b;
        for t in 0..b {
            if t != a {
                self.m[a * b + t] -= k[t];
                self.w[a * b + t] -= wk[t];
                self.m[t * b + a] = self.m[a * b + t];
                self.w[t * b + a] = self.w[a * b + t];
            }
        }
        self.m[a * b + a] -= k[a];
        self.w[a * b + a] -= wk[a];
        self.size[a] -= 1.0;
        // The node now belongs to no block: its edges to a are plain links to block a.
        for t in 0..b {
            if t != c {
                self.m[c * b + t] += k[t];
                self.w[c * b + t] += wk[t];
                self.m[t * b + c] = self.m[c * b + t];
                self.w[t * b + c] = self.w[c * b + t];
            }
        }
        self.m[c * b + c] += k[c];
        self.w[c * b + c] += wk[c];
        self.size[c] += 1.0;
    }
}

/// Greedy single-node moves until none raises ℓ; returns ℓ.
fn local_moves(w: &[f64], n: usize, z: &mut [usize], b: usize, rng: &mut Rng) -> f64 {
    let mut st = State::new(w, n, z, b);
    let mut order: Vec<usize> = (0..n).collect();
    let (mut k, mut wk) = (vec![0.0; b], vec![0.0; b]);
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
            k.iter_mut().for_each(|v| *v = 0.0);
            wk.iter_mut().for_each(|v| *v = 0.0);
            for j in 0..n {
                let x = w[i * n + j];
                if j != i && x > 0.0 {
                    k[z[j]] += 1.0;
                    wk[z[j]] += x;
                }
            }
            let mut best = (1e-9, a);
            for c in 0..b {
                if c != a {
                    let d = st.delta(a, c, &k, &wk);
                    if d > best.0 {
                        best = (d, c);
                    }
                }
            }
            if best.1 != a {
                st.apply(a, best.1, &k, &wk);
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

/// Profile log-likelihood ℓ(z) of a given partition (labels 0..b, see the module docs).
pub fn log_likelihood(w: &[f64], n: usize, z: &[usize]) -> Result<f64, CommunityError> {
    validate(w, n)?;
    assert_eq!(z.len(), n, "partition has {} labels for {n} nodes", z.len());
    let b = z.iter().max().map_or(1, |m| m + 1);
    Ok(State::new(w, n, z, b).ll(n as f64))
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
/// choosing the number of blocks in 1..=`max_blocks` by ICL.
pub fn fit_sbm(w: &[f64], n: usize, opts: &SbmOptions) -> Result<SbmFit, CommunityError> {
    validate(w, n)?;
    if opts.max_blocks == 0 {
        return Err(CommunityError::Blocks(0));
    }
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
            // Best merge of two blocks of the (b + 1)-block solution.
            let mut best_merge: Option<(f64, Vec<usize>)> = None;
            for r in 0..=b {
                for s in (r + 1)..=b {
                    let mut z: Vec<usize> =
                        za.iter().map(|&v| if v == s { r } else { v }).collect();
                    compact(&mut z);
                    let l = State::new(w, n, &z, b).ll(n as f64);
                    if best_merge.as_ref().is_none_or(|(bl, _)| l > *bl) {
                        best_merge = Some((l, z));
                    }
                }
            }
            if let Some((_, z)) = best_merge {
                cands.push(z);
            }
        }
        let mut best: Option<(f64, Vec<usize>)> = None;
        for mut z in cands {
            let l = local_moves(w, n, &mut z, b, &mut rng);
            if best.as_ref().is_none_or(|(bl, _)| l > *bl) {
                best = Some((l, z));
            }
        }
        above = best.as_ref().map(|(_, z)| z.clone());
        best_per_b[b] = best;
    }
    let mut icl = Vec::with_capacity(bmax);
    let mut choice = (f64::NEG_INFINITY, 1);
    for b in 1..=bmax {
        let (l, _) = best_per_b[b].as_ref().expect("every B fitted");
        let per_pair = if complete { 1.0 } else { 2.0 };
        let p = per_pair * (b * (b + 1) / 2) as f64;
        let v = l - 0.5 * p * n_pairs.ln() - 0.5 * (b as f64 - 1.0) * (n as f64).ln();
        icl.push(v);
        if v > choice.0 {
            choice = (v, b);
        }
    }
    let (l, mut z) = best_per_b[choice.1].take().expect("chosen B fitted");
    let n_blocks = compact(&mut z);
    Ok(SbmFit {
        blocks: z,
        n_blocks,
        log_likelihood: l,
        icl,
    })
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
        let st = State::new(&w, n, &z, 3);
        let i = 4;
        let (mut k, mut wk) = (vec![0.0; 3], vec![0.0; 3]);
        for j in 0..n {
            if j != i && w[i * n + j] > 0.0 {
                k[z[j]] += 1.0;
                wk[z[j]] += w[i * n + j];
            }
        }
        let d = st.delta(z[i], 2, &k, &wk);
        let mut z2 = z.clone();
        z2[i] = 2;
        let direct = State::new(&w, n, &z2, 3).ll(n as f64) - st.ll(n as f64);
        assert!((d - direct).abs() < 1e-9, "{d} vs {direct}");
        let mut st2 = st;
        st2.apply(z[i], 2, &k, &wk);
        assert!((st2.ll(n as f64) - State::new(&w, n, &z2, 3).ll(n as f64)).abs() < 1e-9);
        // Scale invariance of the partition: ℓ shifts by a constant.
        let w3: Vec<f64> = w.iter().map(|v| 3.0 * v).collect();
        let d3 = log_likelihood(&w3, n, &z2).unwrap() - log_likelihood(&w3, n, &z).unwrap();
        assert!((d3 - direct).abs() < 1e-9);
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
