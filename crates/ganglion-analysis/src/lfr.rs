//! LFR benchmark graphs (Lancichinetti, Fortunato & Radicchi 2008, Phys. Rev. E 78:046110),
//! optionally weighted (Lancichinetti & Fortunato 2009, Phys. Rev. E 80:016118): graphs with
//! planted communities, power-law degrees and community sizes, and a mixing parameter μ, the
//! fraction of each node's edges that leave its community. Dyballa et al. 2024 benchmark
//! their community detection on weighted LFR graphs (`lfrbench_udwov`, their
//! `benchmark.ipynb`: N = 125, ⟨k⟩ = 25, k_max = 100, τ1 = 2, τ2 = 1, β, μ_t, μ_w varied).
//!
//! **Construction.**
//! 1. Degrees k_i from a continuous power law ∝ k^−τ1 on [k_min, k_max], rounded; k_min is
//!    solved (bisection) so that the law's mean is ⟨k⟩.
//! 2. Community sizes from a power law ∝ s^−τ2 on [s_min, s_max], drawn until they cover N and
//!    then trimmed to sum to N exactly; redrawn while the largest community cannot hold the
//!    node with the most internal links (step 3).
//! 3. Internal degrees k_i^in = (1 − μ) k_i, rounded stochastically (so μ holds on average);
//!    each node goes to a random community with room and size > k_i^in, nodes with the largest
//!    internal degree first; a node finding no room evicts a random member, which is placed
//!    again (the original's procedure).
//! 4. Edges: within each community a configuration model on the internal stubs, between
//!    communities one on the external stubs; self-loops, repeated edges and (for external
//!    stubs) pairs inside one community are repaired by random edge swaps, and the few stubs
//!    that cannot be repaired are dropped.
//! 5. Weights (optional): node strengths s_i = k_i^β; an internal edge gets
//!    ½(1 − μ_w)(s_i/k_i^in + s_j/k_j^in), an external one ½ μ_w (s_i/k_i^out + s_j/k_j^out).
//!    Summed over a node's edges these give strength ≈ s_i with a fraction ≈ μ_w outside, and
//!    the total external weight fraction is μ_w (exactly, but for the nodes left without
//!    internal or external edges). This closed form replaces the
//!    original's iterative least-squares fit of the weights to the strengths (a
//!    simplification: individual strengths match s_i only approximately).

use std::collections::HashSet;
use std::fmt;

/// Why a graph could not be generated.
#[derive(Debug, Clone, PartialEq)]
pub enum LfrError {
    /// A parameter is out of range; the message names it and the fix.
    Params(String),
    /// Community assignment did not converge (communities too small for the degrees).
    Assignment(String),
}

impl fmt::Display for LfrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LfrError::Params(s) | LfrError::Assignment(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for LfrError {}

/// Weighted-LFR settings.
#[derive(Debug, Clone, Copy)]
pub struct LfrWeights {
    /// Strength exponent β: s_i = k_i^β.
    pub beta: f64,
    /// Weight mixing μ_w: the fraction of a node's strength on edges leaving its community.
    pub mu_w: f64,
}

/// LFR parameters (the names of the reference program's flags in brackets).
#[derive(Debug, Clone)]
pub struct LfrParams {
    /// Number of nodes \[N\].
    pub n: usize,
    /// Mean degree \[k\].
    pub avg_degree: f64,
    /// Largest degree \[maxk\].
    pub max_degree: usize,
    /// Degree exponent τ1 \[t1\] (> 1).
    pub tau1: f64,
    /// Community-size exponent τ2 \[t2\] (> 0).
    pub tau2: f64,
    /// Topological mixing μ \[mut\], in [0, 1].
    pub mu: f64,
    /// Smallest community \[minc\].
    pub min_community: usize,
    /// Largest community \[maxc\].
    pub max_community: usize,
    /// Weights, if any.
    pub weights: Option<LfrWeights>,
    /// Seed.
    pub seed: u64,
}

/// A generated LFR graph.
#[derive(Debug, Clone)]
pub struct LfrGraph {
    /// Number of nodes.
    pub n: usize,
    /// Undirected edges (i < j, weight; 1 when unweighted).
    pub edges: Vec<(usize, usize, f64)>,
    /// Planted community of each node (0..n_communities).
    pub membership: Vec<usize>,
    /// Number of communities.
    pub n_communities: usize,
}

impl LfrGraph {
    /// Dense symmetric `n × n` row-major weight matrix (0 = no edge).
    pub fn adjacency(&self) -> Vec<f64> {
        let n = self.n;
        let mut a = vec![0.0; n * n];
        for &(i, j, w) in &self.edges {
            a[i * n + j] = w;
            a[j * n + i] = w;
        }
        a
    }

    /// Degree of each node.
    pub fn degrees(&self) -> Vec<usize> {
        let mut d = vec![0; self.n];
        for &(i, j, _) in &self.edges {
            d[i] += 1;
            d[j] += 1;
        }
        d
    }

    /// Realised topological mixing: the fraction of edges joining different communities
    /// (equal to the degree-weighted mean of the nodes' k_out/k).
    pub fn mixing(&self) -> f64 {
        let out = self
            .edges
            .iter()
            .filter(|e| self.membership[e.0] != self.membership[e.1])
            .count();
        out as f64 / self.edges.len().max(1) as f64
    }

    /// Realised weight mixing: the fraction of the total weight on edges between
    /// communities.
    pub fn weight_mixing(&self) -> f64 {
        let (mut out, mut all) = (0.0, 0.0);
        for &(i, j, w) in &self.edges {
            all += w;
            if self.membership[i] != self.membership[j] {
                out += w;
            }
        }
        out / all.max(f64::MIN_POSITIVE)
    }

    /// Sizes of the communities.
    pub fn community_sizes(&self) -> Vec<usize> {
        let mut s = vec![0; self.n_communities];
        for &c in &self.membership {
            s[c] += 1;
        }
        s
    }
}

struct Rng(u64);
impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.uniform() * n as f64) as usize).min(n - 1)
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// ∫_a^b x^p dx.
fn power_integral(a: f64, b: f64, p: f64) -> f64 {
    if (p + 1.0).abs() < 1e-12 {
        (b / a).ln()
    } else {
        (b.powf(p + 1.0) - a.powf(p + 1.0)) / (p + 1.0)
    }
}

/// Mean of the continuous power law ∝ x^−τ on [a, b].
pub fn power_law_mean(a: f64, b: f64, tau: f64) -> f64 {
    power_integral(a, b, 1.0 - tau) / power_integral(a, b, -tau)
}

/// CDF of the continuous power law ∝ x^−τ on [a, b] at x.
pub fn power_law_cdf(a: f64, b: f64, tau: f64, x: f64) -> f64 {
    power_integral(a, x.clamp(a, b), -tau) / power_integral(a, b, -tau)
}

/// Inverse-CDF sample of the power law ∝ x^−τ on [a, b].
fn power_law_sample(a: f64, b: f64, tau: f64, u: f64) -> f64 {
    if (tau - 1.0).abs() < 1e-12 {
        a * (b / a).powf(u)
    } else {
        let e = 1.0 - tau;
        (a.powf(e) + u * (b.powf(e) - a.powf(e))).powf(1.0 / e)
    }
}

/// The smallest degree k_min such that the power law on [k_min, k_max] has mean `avg`.
pub fn solve_min_degree(avg: f64, kmax: f64, tau: f64) -> Option<f64> {
    let (mut lo, mut hi) = (1.0, kmax);
    if power_law_mean(lo, kmax, tau) > avg || avg > kmax {
        return None;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if power_law_mean(mid, kmax, tau) < avg {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

fn key(i: usize, j: usize) -> (usize, usize) {
    if i < j { (i, j) } else { (j, i) }
}

/// Pairs stubs into edges (configuration model), rejecting pairs for which `ok` is false
/// or that repeat an edge in `set`; bad pairs are repaired by swaps with random accepted
/// edges, and stubs still unpaired after that are dropped. New edges go into `out` and `set`.
fn wire(
    mut stubs: Vec<usize>,
    ok: &dyn Fn(usize, usize) -> bool,
    set: &mut HashSet<(usize, usize)>,
    out: &mut Vec<(usize, usize)>,
    rng: &mut Rng,
) {
    rng.shuffle(&mut stubs);
    let start = out.len();
    let mut bad = Vec::new();
    for p in stubs.chunks_exact(2) {
        let (u, v) = (p[0], p[1]);
        if u != v && ok(u, v) && set.insert(key(u, v)) {
            out.push(key(u, v));
        } else {
            bad.push((u, v));
        }
    }
    for (u, v) in bad {
        for _ in 0..50 {
            if out.len() == start {
                break;
            }
            let e = start + rng.below(out.len() - start);
            let (mut x, mut y) = out[e];
            if rng.uniform() < 0.5 {
                std::mem::swap(&mut x, &mut y);
            }
            // Rewire (u, v) + (x, y) into (u, x) + (v, y).
            let valid = |a: usize, b: usize, set: &HashSet<(usize, usize)>| {
                a != b && ok(a, b) && !set.contains(&key(a, b))
            };
            if valid(u, x, set) && valid(v, y, set) && key(u, x) != key(v, y) {
                set.remove(&out[e]);
                set.insert(key(u, x));
                set.insert(key(v, y));
                out[e] = key(u, x);
                out.push(key(v, y));
                break;
            }
        }
    }
}

/// Generates an LFR graph (see the module docs).
pub fn lfr(p: &LfrParams) -> Result<LfrGraph, LfrError> {
    let bad = |s: String| Err(LfrError::Params(s));
    if p.n < 2 {
        return bad(format!("n = {}: the graph needs at least 2 nodes", p.n));
    }
    if !(0.0..=1.0).contains(&p.mu) {
        return bad(format!(
            "mu = {}: the mixing parameter must lie in [0, 1]",
            p.mu
        ));
    }
    if p.tau1 <= 1.0 || p.tau2 <= 0.0 {
        return bad(format!(
            "tau1 = {}, tau2 = {}: need tau1 > 1 and tau2 > 0",
            p.tau1, p.tau2
        ));
    }
    if p.max_degree >= p.n || (p.max_degree as f64) < p.avg_degree {
        return bad(format!(
            "max_degree = {} with avg_degree = {} and n = {}: need avg_degree ≤ max_degree < n",
            p.max_degree, p.avg_degree, p.n
        ));
    }
    if p.min_community < 2 || p.min_community > p.max_community || p.max_community > p.n {
        return bad(format!(
            "community sizes [{}, {}] for n = {}: need 2 ≤ min_community ≤ max_community ≤ n",
            p.min_community, p.max_community, p.n
        ));
    }
    if let Some(w) = p.weights
        && (!(0.0..=1.0).contains(&w.mu_w) || !w.beta.is_finite())
    {
        return bad(format!(
            "weights beta = {}, mu_w = {}: mu_w must lie in [0, 1] and beta be finite",
            w.beta, w.mu_w
        ));
    }
    let kmax = p.max_degree as f64;
    let Some(kmin) = solve_min_degree(p.avg_degree, kmax, p.tau1) else {
        return bad(format!(
            "avg_degree = {} cannot be reached with max_degree = {} and tau1 = {}: raise max_degree or lower avg_degree",
            p.avg_degree, p.max_degree, p.tau1
        ));
    };
    let mut rng = Rng(p.seed ^ 0x4C46_5242_454E_4348);
    let n = p.n;
    let deg: Vec<usize> = (0..n)
        .map(|_| {
            (power_law_sample(kmin, kmax, p.tau1, rng.uniform()).round() as usize)
                .clamp(1, p.max_degree)
        })
        .collect();
    // Internal degrees, rounded stochastically.
    let mut kin: Vec<usize> = deg
        .iter()
        .map(|&k| (((1.0 - p.mu) * k as f64) + rng.uniform()).floor() as usize)
        .collect();
    for (i, v) in kin.iter_mut().enumerate() {
        *v = (*v).min(deg[i]);
    }
    // Community sizes, redrawn (up to 100 times) until the largest can hold the node with
    // the most internal links.
    let max_kin = kin.iter().copied().max().unwrap_or(0);
    let mut sizes: Vec<usize> = Vec::new();
    for _ in 0..100 {
        let (smin, smax) = (p.min_community as f64, p.max_community as f64);
        sizes.clear();
        while sizes.iter().sum::<usize>() < n {
            let s =
                power_law_sample(smin - 0.5, smax + 0.5, p.tau2, rng.uniform()).round() as usize;
            sizes.push(s.clamp(p.min_community, p.max_community));
        }
        // Trim (or, after dropping a community, grow) sizes at random until they sum to n.
        for _ in 0..10 * n {
            let total: usize = sizes.iter().sum();
            if total == n {
                break;
            }
            let (cands, step): (Vec<usize>, isize) = if total > n {
                let c = (0..sizes.len()).filter(|&c| sizes[c] > p.min_community);
                (c.collect(), -1)
            } else {
                let c = (0..sizes.len()).filter(|&c| sizes[c] < p.max_community);
                (c.collect(), 1)
            };
            if cands.is_empty() {
                if total > n && sizes.len() > 1 {
                    sizes.pop();
                    continue;
                }
                break;
            }
            let c = cands[rng.below(cands.len())];
            sizes[c] = sizes[c].wrapping_add_signed(step);
        }
        if sizes.iter().copied().max().unwrap_or(0) > max_kin {
            break;
        }
    }
    if sizes.iter().sum::<usize>() != n {
        return Err(LfrError::Assignment(format!(
            "community sizes in [{}, {}] cannot cover n = {} exactly; widen the size range",
            p.min_community, p.max_community, p.n
        )));
    }
    let biggest = *sizes.iter().max().expect("communities");
    if let Some(i) = (0..n).find(|&i| kin[i] >= biggest) {
        return Err(LfrError::Assignment(format!(
            "node {i} needs {} links inside its community but the largest community has {biggest} nodes; raise max_community, lower max_degree or raise mu",
            kin[i]
        )));
    }
    // Assignment with eviction.
    let nc = sizes.len();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); nc];
    let mut member = vec![usize::MAX; n];
    let mut queue: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut queue);
    queue.sort_by_key(|&i| kin[i]);
    let mut steps = 0;
    while let Some(i) = queue.pop() {
        steps += 1;
        if steps > 50 * n {
            return Err(LfrError::Assignment(
                "placing nodes into communities did not converge; widen the community sizes or lower the degrees".into(),
            ));
        }
        let fits: Vec<usize> = (0..nc).filter(|&c| sizes[c] > kin[i]).collect();
        let room: Vec<usize> = fits
            .iter()
            .copied()
            .filter(|&c| members[c].len() < sizes[c])
            .collect();
        let c = if room.is_empty() {
            let c = fits[rng.below(fits.len())];
            let pos = rng.below(members[c].len());
            let out = members[c].swap_remove(pos);
            member[out] = usize::MAX;
            queue.insert(0, out);
            c
        } else {
            room[rng.below(room.len())]
        };
        members[c].push(i);
        member[i] = c;
    }
    // Wiring.
    let mut set = HashSet::new();
    let mut edges_in: Vec<(usize, usize)> = Vec::new();
    for (c, m) in members.iter().enumerate() {
        let mut stubs: Vec<usize> = m
            .iter()
            .flat_map(|&i| std::iter::repeat_n(i, kin[i]))
            .collect();
        if stubs.len() % 2 == 1 {
            // Parity: one more internal stub on a node that has room, else one fewer.
            if let Some(&i) = m
                .iter()
                .find(|&&i| kin[i] < deg[i] && kin[i] + 1 < sizes[c])
            {
                kin[i] += 1;
                stubs.push(i);
            } else {
                let i = stubs.pop().expect("odd count is non-empty");
                kin[i] -= 1;
            }
        }
        wire(stubs, &|_, _| true, &mut set, &mut edges_in, &mut rng);
    }
    let kout: Vec<usize> = (0..n).map(|i| deg[i] - kin[i]).collect();
    let mut stubs: Vec<usize> = (0..n)
        .flat_map(|i| std::iter::repeat_n(i, kout[i]))
        .collect();
    if stubs.len() % 2 == 1 {
        stubs.pop();
    }
    let mut edges_out: Vec<(usize, usize)> = Vec::new();
    let m2 = member.clone();
    wire(
        stubs,
        &move |a, b| m2[a] != m2[b],
        &mut set,
        &mut edges_out,
        &mut rng,
    );
    // Weights from the realised internal and external degrees.
    let mut rin = vec![0usize; n];
    let mut rout = vec![0usize; n];
    for &(i, j) in &edges_in {
        rin[i] += 1;
        rin[j] += 1;
    }
    for &(i, j) in &edges_out {
        rout[i] += 1;
        rout[j] += 1;
    }
    let weight = |i: usize, j: usize, internal: bool| -> f64 {
        match p.weights {
            None => 1.0,
            Some(w) => {
                let s = |v: usize| ((rin[v] + rout[v]) as f64).powf(w.beta);
                if internal {
                    0.5 * (1.0 - w.mu_w) * (s(i) / rin[i] as f64 + s(j) / rin[j] as f64)
                } else {
                    0.5 * w.mu_w * (s(i) / rout[i] as f64 + s(j) / rout[j] as f64)
                }
            }
        }
    };
    let mut edges: Vec<(usize, usize, f64)> = edges_in
        .iter()
        .map(|&(i, j)| (i, j, weight(i, j, true)))
        .chain(edges_out.iter().map(|&(i, j)| (i, j, weight(i, j, false))))
        .collect();
    edges.sort_by_key(|e| (e.0, e.1));
    Ok(LfrGraph {
        n,
        edges,
        membership: member,
        n_communities: nc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(mu: f64, seed: u64) -> LfrParams {
        LfrParams {
            n: 2000,
            avg_degree: 20.0,
            max_degree: 50,
            tau1: 2.0,
            tau2: 1.0,
            mu,
            min_community: 20,
            max_community: 100,
            weights: Some(LfrWeights {
                beta: 1.5,
                mu_w: mu,
            }),
            seed,
        }
    }

    #[test]
    fn power_law_helpers() {
        // τ = 2 on [1, 4]: mean = ln 4 / (1 − 1/4) = 1.8484…
        assert!((power_law_mean(1.0, 4.0, 2.0) - 4f64.ln() / 0.75).abs() < 1e-12);
        let k = solve_min_degree(20.0, 50.0, 2.0).unwrap();
        assert!((power_law_mean(k, 50.0, 2.0) - 20.0).abs() < 1e-9);
        assert!(solve_min_degree(60.0, 50.0, 2.0).is_none());
        assert!((power_law_cdf(1.0, 4.0, 2.0, 2.0) - (0.5 / 0.75)).abs() < 1e-12);
    }

    #[test]
    fn degrees_sizes_and_mixing_follow_the_parameters() {
        for (mu, seed) in [(0.1, 1), (0.3, 2), (0.6, 3)] {
            let p = params(mu, seed);
            let g = lfr(&p).unwrap();
            let deg = g.degrees();
            let mean = deg.iter().sum::<usize>() as f64 / p.n as f64;
            assert!((mean - 20.0).abs() < 1.0, "mean degree {mean}");
            assert!(deg.iter().all(|&d| d <= 50));
            // Degree distribution: Kolmogorov–Smirnov distance to the rounded target law.
            let kmin = solve_min_degree(20.0, 50.0, 2.0).unwrap();
            let mut ks: f64 = 0.0;
            for d in 1..=50usize {
                let emp = deg.iter().filter(|&&k| k <= d).count() as f64 / p.n as f64;
                let theo = power_law_cdf(kmin, 50.0, 2.0, d as f64 + 0.5);
                ks = ks.max((emp - theo).abs());
            }
            assert!(ks < 0.05, "KS distance {ks}");
            let sizes = g.community_sizes();
            assert_eq!(sizes.iter().sum::<usize>(), p.n);
            assert!(sizes.iter().all(|&s| (20..=100).contains(&s)), "{sizes:?}");
            assert!(
                (g.mixing() - mu).abs() < 0.02,
                "mu {mu}: realised {}",
                g.mixing()
            );
            assert!(
                (g.weight_mixing() - mu).abs() < 0.01,
                "{}",
                g.weight_mixing()
            );
            // Simple graph: no self-loops or repeated edges.
            let set: HashSet<(usize, usize)> = g.edges.iter().map(|e| (e.0, e.1)).collect();
            assert_eq!(set.len(), g.edges.len());
            assert!(g.edges.iter().all(|e| e.0 < e.1 && e.2 > 0.0));
        }
    }

    #[test]
    fn seeded_and_unweighted() {
        let mut p = params(0.2, 9);
        p.n = 300;
        p.weights = None;
        let (a, b) = (lfr(&p).unwrap(), lfr(&p).unwrap());
        assert_eq!(a.edges, b.edges);
        assert!(a.edges.iter().all(|e| e.2 == 1.0));
        p.seed = 10;
        assert_ne!(lfr(&p).unwrap().edges, a.edges);
    }

    #[test]
    fn bad_parameters_are_errors() {
        let mut p = params(1.5, 1);
        assert!(lfr(&p).unwrap_err().to_string().contains("mu = 1.5"));
        p.mu = 0.1;
        p.weights = None;
        p.max_degree = 5000;
        assert!(lfr(&p).unwrap_err().to_string().contains("max_degree"));
        p.max_degree = 50;
        p.max_community = 30;
        // Degree-50 nodes need ~45 internal links: no community is large enough.
        let e = lfr(&p).unwrap_err();
        assert!(matches!(e, LfrError::Assignment(_)), "{e}");
    }
}
