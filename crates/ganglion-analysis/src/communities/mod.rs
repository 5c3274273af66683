//! Community detection in weighted undirected graphs with a weighted stochastic block model
//! (SBM), and the normalised mutual information (NMI) between two partitions.
//!
//! Dyballa et al. 2024 (ICLR, "Learning dynamic representations of the functional connectome
//! in neurobiological networks") detect communities in each NTF pair factor with graph-tool's
//! nested SBM, edge weights modelled as `real-exponential`, choosing the degree-corrected or
//! plain variant by description length (their `benchmark.ipynb`). This module fits the same
//! weight model and the same two edge models without the nesting:
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
//! **Degree correction** ([`EdgeModel::DegreeCorrected`], Karrer & Newman 2011, Phys. Rev. E
//! 83:016107) replaces the Bernoulli edges by Poisson edge counts with mean θ_i θ_j ω_rs. With
//! the maximum-likelihood θ̂_i = k_i/κ_r (k_i the degree of node i, κ_r the summed degree of
//! its block) and ω̂_rs = m_rs, the edge part of ℓ becomes
//!
//! Σ_{r < s} m_rs ln m_rs + Σ_r m_rr ln(2 m_rr) − Σ_r κ_r ln κ_r + Σ_i k_i ln k_i − M
//!
//! (M edges in all; the last two terms do not depend on z but are kept so that ℓ is a
//! likelihood of the same adjacency matrix as the Bernoulli model's and the two can be
//! compared). Like Karrer and Newman, it lets the expected counts include self-pairs, an
//! O(Σ k_i²/M) approximation. Without it, the plain SBM explains degree differences by
//! splitting communities into high- and low-degree blocks.
//!
//! **Inference.** Graphs are stored as neighbour lists, so a sweep costs O(edges + n·B·d̄),
//! d̄ the number of distinct blocks among a node's neighbours. Greedy single-node moves (each
//! node in turn to the block, among its neighbours' blocks, that raises ℓ most, repeated until
//! no move helps — the Kernighan–Lin-style local search that graph-tool's
//! `multiflip_mcmc_sweep(beta=inf)` also performs) refine every candidate partition. The
//! candidates come from graph-tool's agglomerative heuristic: from each of several random
//! starts at the largest B, a descent taking from each B the best merge of two blocks (scored
//! in O(B) from the block statistics) down to one block; and then several random starts at every B within two of
//! the chosen one (again while the choice moves), keeping the best ℓ for each B.
//!
//! **Model selection.** B maximises the integrated classification likelihood (ICL, Daudin,
//! Picard & Robin 2008, Statistics and Computing 18:173): ICL = ℓ(ẑ) − ½ P ln(N(N−1)/2)
//! − ½ (B − 1) ln N, with P = B(B + 1)/2 times the parameters per block pair (1 rate, or a
//! mean and a variance, plus an edge probability unless every pair is an edge, as in a
//! complete affinity graph, where p̂ ≡ 1; with degree correction always plus ω_rs), and with
//! degree correction a further ½ (N − B) ln(N − 1) for the N − B free propensities θ_i, each
//! estimated from its node's N − 1 pairs. ICL plays the role of graph-tool's minimum
//! description length: both penalise the parameters by about ½ ln(#observations) each. With
//! [`WeightModel::Best`] or [`EdgeModel::Best`] the models are all fitted and the larger ICL
//! wins — a comparison of likelihoods of the same data, as the paper compares the
//! description lengths of the degree-corrected and plain SBMs.
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

/// How the presence of edges is modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeModel {
    /// Each node pair of block pair (r, s) is an edge with probability p_rs (the plain SBM).
    Bernoulli,
    /// Degree-corrected (Karrer & Newman 2011): the edge count of pair {i, j} is Poisson with
    /// mean θ_i θ_j ω_rs, so that nodes of one block may differ in degree; blocks are then not
    /// split by degree, which matters for graphs with broad (e.g. power-law) degrees.
    DegreeCorrected,
    /// Fit both and keep the one with the larger ICL (graph-tool's `deg_corr` chosen by
    /// description length, as Dyballa et al. do).
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
    /// The edge model.
    pub edges: EdgeModel,
}

impl Default for SbmOptions {
    fn default() -> Self {
        SbmOptions {
            max_blocks: 10,
            restarts: 4,
            seed: 1,
            weights: WeightModel::Exponential,
            edges: EdgeModel::Bernoulli,
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
    /// The edge model used (never `Best`).
    pub edges: EdgeModel,
    /// Profile log-likelihood ℓ of the chosen partition (nats).
    pub log_likelihood: f64,
    /// ICL of the best partition found for each B = 1..=max_blocks (index B − 1), under the
    /// chosen weight and edge models.
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
    fn edge(x: f64) -> Stat {
        Stat {
            m: 1.0,
            w: x,
            q: x * x,
        }
    }
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

/// The graph as the fit uses it: neighbour lists, so that every sweep costs O(edges) and
/// not O(n²).
struct Graph {
    n: usize,
    /// Neighbours of each node with the edge weight.
    adj: Vec<Vec<(usize, f64)>>,
    /// Every pair of distinct nodes is an edge (a complete affinity graph).
    complete: bool,
}

impl Graph {
    /// From a validated dense `n × n` matrix.
    fn from_dense(w: &[f64], n: usize) -> Graph {
        let adj: Vec<Vec<(usize, f64)>> = (0..n)
            .map(|i| {
                (0..n)
                    .filter(|&j| j != i && w[i * n + j] > 0.0)
                    .map(|j| (j, w[i * n + j]))
                    .collect()
            })
            .collect();
        let complete = adj.iter().all(|a| a.len() + 1 == n);
        Graph { n, adj, complete }
    }

    /// Each undirected edge once, as (i, j, weight) with j < i.
    fn edges(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        self.adj.iter().enumerate().flat_map(|(i, a)| {
            a.iter()
                .filter(move |&&(j, _)| j < i)
                .map(move |&(j, x)| (i, j, x))
        })
    }

    fn degree(&self, i: usize) -> f64 {
        self.adj[i].len() as f64
    }
}

/// The model in use: the weight model with the normal model's prior variance, and the edge
/// model with the degree-corrected likelihood's partition-independent constant.
#[derive(Debug, Clone, Copy)]
struct Model {
    normal: bool,
    var0: f64,
    dc: bool,
    /// Σ_i k_i ln k_i − m of the degree-corrected likelihood (0 for Bernoulli edges).
    dc_const: f64,
}

/// Log-likelihood of one block pair: `np` node pairs, edges `s`; `diag` when the pair is a
/// block with itself.
fn pair_ll(np: f64, s: Stat, model: Model, diag: bool) -> f64 {
    if np <= 0.0 && !model.dc {
        return 0.0;
    }
    let edges = if model.dc {
        // ½ m_rs ln m_rs summed over both orders, m_rr counting each internal edge twice.
        if diag {
            xlnx(s.m) + s.m * std::f64::consts::LN_2
        } else {
            xlnx(s.m)
        }
    } else {
        // m ln(m/n) + (n − m) ln(1 − m/n) = xlnx(m) + xlnx(n − m) − xlnx(n).
        xlnx(s.m) + xlnx(np - s.m) - xlnx(np)
    };
    if s.m < 0.5 {
        return edges;
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
    edges + weights
}

/// Block statistics of a partition.
struct State {
    b: usize,
    /// Nodes per block.
    size: Vec<f64>,
    /// Summed degree per block (κ_r of the degree-corrected model).
    kappa: Vec<f64>,
    s: Vec<Stat>,
    model: Model,
}

impl State {
    fn new(g: &Graph, z: &[usize], b: usize, model: Model) -> State {
        let mut st = State {
            b,
            size: vec![0.0; b],
            kappa: vec![0.0; b],
            s: vec![Stat::default(); b * b],
            model,
        };
        for (i, &zi) in z.iter().enumerate() {
            st.size[zi] += 1.0;
            st.kappa[zi] += g.degree(i);
        }
        for (i, j, x) in g.edges() {
            let (r, t) = (z[i], z[j]);
            st.s[r * b + t] = st.s[r * b + t].add(Stat::edge(x));
            if r != t {
                st.s[t * b + r] = st.s[t * b + r].add(Stat::edge(x));
            }
        }
        st
    }

    fn pairs(r: usize, t: usize, nr: f64, nt: f64) -> f64 {
        if r == t {
            nr * (nr - 1.0) / 2.0
        } else {
            nr * nt
        }
    }

    /// The terms of ℓ that belong to block r alone: its label probability and, with degree
    /// correction, −κ_r ln κ_r.
    fn block_term(&self, size: f64, kappa: f64, n: f64) -> f64 {
        let dc = if self.model.dc { -xlnx(kappa) } else { 0.0 };
        xlnx(size) - size * n.ln() + dc
    }

    fn ll(&self, n: f64) -> f64 {
        let b = self.b;
        let mut l = self.model.dc_const;
        for r in 0..b {
            l += self.block_term(self.size[r], self.kappa[r], n);
            for t in r..b {
                let np = Self::pairs(r, t, self.size[r], self.size[t]);
                l += pair_ll(np, self.s[r * b + t], self.model, r == t);
            }
        }
        l
    }

    /// ℓ change when a node of degree `deg` with links `k[t]` to block t moves a → c
    /// (`n` nodes in all).
    fn delta(&self, a: usize, c: usize, k: &[Stat], deg: f64, n: f64) -> f64 {
        let b = self.b;
        let md = self.model;
        let (na, nc) = (self.size[a], self.size[c]);
        let (na2, nc2) = (na - 1.0, nc + 1.0);
        let (ka, kc) = (self.kappa[a], self.kappa[c]);
        let mut d = self.block_term(na2, ka - deg, n) + self.block_term(nc2, kc + deg, n)
            - self.block_term(na, ka, n)
            - self.block_term(nc, kc, n);
        for (t, &kt) in k.iter().enumerate() {
            // With degree correction a block pair's term depends on its edges only, so the
            // blocks this node has no edge to are unchanged.
            if t == a || t == c || (md.dc && kt.m == 0.0) {
                continue;
            }
            let nt = self.size[t];
            let (sat, sct) = (self.s[a * b + t], self.s[c * b + t]);
            d += pair_ll(na2 * nt, sat.sub(kt), md, false) - pair_ll(na * nt, sat, md, false);
            d += pair_ll(nc2 * nt, sct.add(kt), md, false) - pair_ll(nc * nt, sct, md, false);
        }
        let (saa, scc, sac) = (self.s[a * b + a], self.s[c * b + c], self.s[a * b + c]);
        d += pair_ll(na2 * (na2 - 1.0) / 2.0, saa.sub(k[a]), md, true)
            - pair_ll(na * (na - 1.0) / 2.0, saa, md, true);
        d += pair_ll(nc2 * (nc2 - 1.0) / 2.0, scc.add(k[c]), md, true)
            - pair_ll(nc * (nc - 1.0) / 2.0, scc, md, true);
        d += pair_ll(na2 * nc2, sac.sub(k[c]).add(k[a]), md, false)
            - pair_ll(na * nc, sac, md, false);
        d
    }

    fn apply(&mut self, a: usize, c: usize, k: &[Stat], deg: f64) {
        let b = self.b;
        for (t, &kt) in k.iter().enumerate() {
            if t != a {
                self.s[a * b + t] = self.s[a * b + t].sub(kt);
                self.s[t * b + a] = self.s[a * b + t];
            }
        }
        self.s[a * b + a] = self.s[a * b + a].sub(k[a]);
        self.size[a] -= 1.0;
        self.kappa[a] -= deg;
        // The node now belongs to no block: its edges to a are plain links to block a.
        for (t, &kt) in k.iter().enumerate() {
            if t != c {
                self.s[c * b + t] = self.s[c * b + t].add(kt);
                self.s[t * b + c] = self.s[c * b + t];
            }
        }
        self.s[c * b + c] = self.s[c * b + c].add(k[c]);
        self.size[c] += 1.0;
        self.kappa[c] += deg;
    }

    /// ℓ change when blocks r and s are merged, from the block statistics alone, in O(B).
    fn merge_gain(&self, r: usize, s: usize, n: f64) -> f64 {
        let b = self.b;
        let md = self.model;
        let (nr, ns) = (self.size[r], self.size[s]);
        let nm = nr + ns;
        let mut d = self.block_term(nm, self.kappa[r] + self.kappa[s], n)
            - self.block_term(nr, self.kappa[r], n)
            - self.block_term(ns, self.kappa[s], n);
        for t in 0..b {
            if t == r || t == s {
                continue;
            }
            let nt = self.size[t];
            let (srt, sst) = (self.s[r * b + t], self.s[s * b + t]);
            d += pair_ll(nm * nt, srt.add(sst), md, false)
                - pair_ll(nr * nt, srt, md, false)
                - pair_ll(ns * nt, sst, md, false);
        }
        let (srr, sss, srs) = (self.s[r * b + r], self.s[s * b + s], self.s[r * b + s]);
        d += pair_ll(nm * (nm - 1.0) / 2.0, srr.add(sss).add(srs), md, true)
            - pair_ll(nr * (nr - 1.0) / 2.0, srr, md, true)
            - pair_ll(ns * (ns - 1.0) / 2.0, sss, md, true)
            - pair_ll(nr * ns, srs, md, false);
        d
    }
}

/// Greedy single-node moves until none raises ℓ; returns ℓ.
fn local_moves(g: &Graph, z: &mut [usize], b: usize, model: Model, rng: &mut Rng) -> f64 {
    let n = g.n;
    let mut st = State::new(g, z, b, model);
    let mut order: Vec<usize> = (0..n).collect();
    let mut k = vec![Stat::default(); b];
    let mut touched: Vec<usize> = Vec::with_capacity(b);
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
            for &t in &touched {
                k[t] = Stat::default();
            }
            touched.clear();
            for &(j, x) in &g.adj[i] {
                let t = z[j];
                if k[t].m == 0.0 {
                    touched.push(t);
                }
                k[t] = k[t].add(Stat::edge(x));
            }
            let deg = g.degree(i);
            let mut best = (1e-9, a);
            // Candidate blocks are those of the node's neighbours (graph-tool's proposals
            // come from neighbours' blocks too): joining a block it has no edge to rarely
            // raises ℓ, and skipping them makes sparse graphs fast.
            for &c in &touched {
                if c != a {
                    let d = st.delta(a, c, &k, deg, n as f64);
                    if d > best.0 {
                        best = (d, c);
                    }
                }
            }
            if best.1 != a {
                st.apply(a, best.1, &k, deg);
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
/// the given weight and edge models (`Best` counts as exponential weights and Bernoulli
/// edges here).
pub fn log_likelihood(
    w: &[f64],
    n: usize,
    z: &[usize],
    weights: WeightModel,
    edges: EdgeModel,
) -> Result<f64, CommunityError> {
    validate(w, n)?;
    assert_eq!(z.len(), n, "partition has {} labels for {n} nodes", z.len());
    let b = z.iter().max().map_or(1, |m| m + 1);
    let g = Graph::from_dense(w, n);
    Ok(State::new(&g, z, b, model(&g, weights, edges)).ll(n as f64))
}

/// The model parameters for `weights` and `edges` on graph `g`: the normal model's prior
/// variance is the variance of all edge weights (floored so that equal weights stay finite).
fn model(g: &Graph, weights: WeightModel, edges: EdgeModel) -> Model {
    let (mut m, mut s, mut q) = (0.0, 0.0, 0.0);
    for (_, _, x) in g.edges() {
        m += 1.0;
        s += x;
        q += x * x;
    }
    let mean = if m > 0.0 { s / m } else { 0.0 };
    let var = if m > 0.0 {
        (q / m - mean * mean).max(0.0)
    } else {
        0.0
    };
    let dc = edges == EdgeModel::DegreeCorrected;
    let dc_const = if dc {
        (0..g.n).map(|i| xlnx(g.degree(i))).sum::<f64>() - m
    } else {
        0.0
    };
    Model {
        normal: weights == WeightModel::Normal,
        var0: var.max(1e-12 * mean * mean).max(f64::MIN_POSITIVE),
        dc,
        dc_const,
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
/// [`WeightModel::Best`] or [`EdgeModel::Best`], the weight or edge model too).
pub fn fit_sbm(w: &[f64], n: usize, opts: &SbmOptions) -> Result<SbmFit, CommunityError> {
    validate(w, n)?;
    if opts.max_blocks == 0 {
        return Err(CommunityError::Blocks(0));
    }
    let g = Graph::from_dense(w, n);
    let weights: &[WeightModel] = match opts.weights {
        WeightModel::Best => &[WeightModel::Exponential, WeightModel::Normal],
        WeightModel::Exponential => &[WeightModel::Exponential],
        WeightModel::Normal => &[WeightModel::Normal],
    };
    let edges: &[EdgeModel] = match opts.edges {
        EdgeModel::Best => &[EdgeModel::Bernoulli, EdgeModel::DegreeCorrected],
        EdgeModel::Bernoulli => &[EdgeModel::Bernoulli],
        EdgeModel::DegreeCorrected => &[EdgeModel::DegreeCorrected],
    };
    let top = |f: &SbmFit| f.icl.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut best: Option<SbmFit> = None;
    for &wm in weights {
        for &em in edges {
            let f = fit_one(&g, opts, wm, em);
            if best.as_ref().is_none_or(|b| top(&f) > top(b)) {
                best = Some(f);
            }
        }
    }
    Ok(best.expect("at least one model fitted"))
}

/// Random labels in 0..b with every block used at least once.
fn random_start(n: usize, b: usize, rng: &mut Rng) -> Vec<usize> {
    let mut z: Vec<usize> = (0..n).map(|_| rng.below(b)).collect();
    for (r, i) in (0..b).zip(0..n) {
        z[i] = r;
    }
    for i in (1..n).rev() {
        z.swap(i, rng.below(i + 1));
    }
    z
}

/// The best merge of two blocks of `z` (b blocks), applied; labels compacted to 0..b − 1.
fn best_merge(g: &Graph, z: &[usize], b: usize, md: Model) -> Vec<usize> {
    let st = State::new(g, z, b, md);
    let mut best = (f64::NEG_INFINITY, 0, 1);
    for r in 0..b {
        for s in (r + 1)..b {
            let d = st.merge_gain(r, s, g.n as f64);
            if d > best.0 {
                best = (d, r, s);
            }
        }
    }
    let (_, r, s) = best;
    let mut out: Vec<usize> = z.iter().map(|&v| if v == s { r } else { v }).collect();
    compact(&mut out);
    out
}

fn fit_one(g: &Graph, opts: &SbmOptions, weights: WeightModel, edges: EdgeModel) -> SbmFit {
    let n = g.n;
    let md = model(g, weights, edges);
    let bmax = opts.max_blocks.min(n);
    let mut rng = Rng(opts.seed ^ 0xD1B5_4A32_D192_ED03);
    let n_pairs = (n * (n - 1) / 2).max(1) as f64;
    let restarts = opts.restarts.max(1);
    let mut best_per_b: Vec<Option<(f64, Vec<usize>)>> = vec![None; bmax + 1];
    let offer = |b: usize, l: f64, z: Vec<usize>, best: &mut Vec<Option<(f64, Vec<usize>)>>| {
        if best[b].as_ref().is_none_or(|(bl, _)| l > *bl) {
            best[b] = Some((l, z));
        }
    };
    // Agglomerative descent (graph-tool's heuristic), once from each random start at the
    // largest B: from each B the best merge of two blocks, refined by single-node moves.
    for _ in 0..restarts {
        let mut z = random_start(n, bmax, &mut rng);
        let l = local_moves(g, &mut z, bmax, md, &mut rng);
        offer(bmax, l, z.clone(), &mut best_per_b);
        for b in (1..bmax).rev() {
            z = best_merge(g, &z, b + 1, md);
            let l = local_moves(g, &mut z, b, md, &mut rng);
            offer(b, l, z.clone(), &mut best_per_b);
        }
    }
    // Parameters per block pair: the weight model's (rate; or mean and variance) plus the
    // edge probability (or the degree-corrected rate ω_rs) unless every pair is an edge.
    let per_pair = if md.normal { 2.0 } else { 1.0 } + if g.complete && !md.dc { 0.0 } else { 1.0 };
    let icl_of = |b: usize, l: f64| {
        let p = per_pair * (b * (b + 1) / 2) as f64;
        // Degree correction adds one propensity θ_i per node less one per block (each
        // block's θ sum to 1), each informed by the node's n − 1 pairs.
        let dc = if md.dc {
            0.5 * (n - b) as f64 * ((n as f64) - 1.0).max(1.0).ln()
        } else {
            0.0
        };
        l - 0.5 * p * n_pairs.ln() - 0.5 * (b as f64 - 1.0) * (n as f64).ln() - dc
    };
    let choose = |best: &[Option<(f64, Vec<usize>)>]| {
        (1..=bmax)
            .map(|b| (icl_of(b, best[b].as_ref().expect("every B fitted").0), b))
            .fold((f64::NEG_INFINITY, 1), |a, x| if x.0 > a.0 { x } else { a })
            .1
    };
    // Random restarts near the chosen B (the descent alone can stall in a poor partition);
    // repeated while the choice moves to a B not yet restarted.
    let mut restarted = vec![false; bmax + 1];
    restarted[bmax] = true;
    loop {
        let chosen = choose(&best_per_b);
        let near: Vec<usize> = (chosen.saturating_sub(2).max(1)..=(chosen + 2).min(bmax))
            .filter(|&b| !restarted[b])
            .collect();
        if near.is_empty() {
            break;
        }
        for b in near {
            restarted[b] = true;
            for _ in 0..restarts {
                let mut z = random_start(n, b, &mut rng);
                let l = local_moves(g, &mut z, b, md, &mut rng);
                offer(b, l, z, &mut best_per_b);
            }
        }
    }
    let icl: Vec<f64> = (1..=bmax)
        .map(|b| icl_of(b, best_per_b[b].as_ref().expect("every B fitted").0))
        .collect();
    let chosen = choose(&best_per_b);
    let (l, mut z) = best_per_b[chosen].take().expect("chosen B fitted");
    let n_blocks = compact(&mut z);
    SbmFit {
        blocks: z,
        n_blocks,
        weights,
        edges,
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
mod tests;
