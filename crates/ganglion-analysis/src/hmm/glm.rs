//! HMM-GLM: a hidden Markov model whose states are Poisson or Bernoulli generalised linear
//! models of the population's spike history, with the three weight priors of Li, Kim,
//! Rodgers, Choi & Wu, "One-hot generalized linear model for switching brain state
//! discovery", ICLR 2024 (code: github.com/JerrySoybean/onehot-hmmglm).
//!
//! # Model (the paper's notation)
//!
//! Spike counts x_{t,n} of N neurons in T bins; a hidden state z_t ∈ {1…K} follows a Markov
//! chain with transition matrix Π (π_{z_t, z_{t+1}}). The spike history is filtered by a basis
//! φ ∈ ℝ₊^L, h_{t,n'} = Σ_{l=1}^{L} φ_l x_{t−l,n'} ([`history`]), and in state k
//!
//! f_{t,n} = σ(b_{k,n} + Σ_{n'} w_{k, n←n'} h_{t,n'}),   x_{t,n} ~ Poisson(f_{t,n}) or Bernoulli(f_{t,n}).
//!
//! Here the link is the canonical one: σ = exp for Poisson, the logistic sigmoid for Bernoulli
//! (so each state's M-step is a concave weighted GLM regression). The paper's demo uses a
//! sigmoid rate with Poisson counts; its Bernoulli variant is the model here.
//!
//! # Priors on W_k (N × N, rows = targets n, columns = sources n')
//!
//! - **naive**: none; each W_k is fitted alone (the HMM-GLM of Escola et al. 2011).
//! - **Gaussian**: w_{k,n←n'} ~ N(μ_{n←n'}, s²) with the mean μ shared by all states and
//!   learned (μ = mean_k W_k, as the paper's `update_weight_prior_mean`); s is fixed (their
//!   code's default 1/3).
//! - **one-hot**: w_{k,n←n'} = (a^{exc}_{k,n←n'} − a^{inh}_{k,n←n'}) · m_{k,n←n'}, with a one-hot
//!   class a_{k,n←n'} ∈ {inh, none, exc} drawn in every state from a categorical prior
//!   p_{n←n'} shared by all states and learned, and a positive state-specific strength m.
//!
//! # EM (what is computed)
//!
//! E-step: scaled forward–backward ([`super::forward_backward`]) gives γ_{t,k} and
//! Σ_t ξ_t(i, j). M-step: Π_{ij} ∝ Σ_t ξ_t(i, j), the initial distribution = mean γ_0 over
//! sequences, and for every state k and neuron n the γ-weighted regression
//! max Σ_t γ_{t,k} log p(x_{t,n} | η_{t,k,n}) + log p(w_{k,n←·}).
//!
//! **Simplifications against the paper.** The paper optimises the expected complete-data
//! log-likelihood with Adam, and the one-hot classes through a Gumbel-softmax relaxation with
//! sampling. Here:
//! 1. each regression takes `newton_steps` Newton steps (exact gradient and Hessian, with
//!    step halving so the objective never decreases: a generalised EM, monotone in the
//!    likelihood for the naive prior and in the penalised objective for the others);
//! 2. the Gaussian prior's mean is updated in closed form after the regressions (block
//!    coordinate ascent);
//! 3. the one-hot prior is fitted deterministically. The strength gets a half-normal prior of
//!    scale s_m (learned: s_m² = mean m² over present connections). For every weight the data
//!    term of its row is expanded to second order at the current fit (all N sources, absent
//!    ones at 0) and profiled over the other weights and the bias, −½ h (w − u)², with u the
//!    weight at the joint Newton optimum and h = 1/(H⁻¹)_{jj} its profile precision; the
//!    strength is then integrated out in closed form, giving each class's evidence
//!    E_none = 1, E_exc = 2/(s_m √P) Φ(m*√P) exp(½ P m*²) with P = h + 1/s_m², m* = h u / P,
//!    and E_inh the same with u → −u (a Laplace approximation of p(data | class)). The class
//!    posterior is q_c ∝ p_c E_c. The shared prior p_{n←n'} is updated to its posterior mean
//!    under a Dirichlet hyperprior whose mean is the population's class frequencies
//!    p̄_c = mean over all weights of q_c (learned: the network's sparsity) and whose
//!    concentration is 2, p_c = (Σ_k q_{k,c} + 2 p̄_c) / (K + 2) (the paper learns p by
//!    gradient ascent with no hyperprior; with K = 5 states the per-connection evidence alone
//!    is thin). Each state keeps the class of highest posterior under the new prior (the paper's "hard" one-hot at evaluation), and its
//!    strengths are refitted by Newton on the present connections with the sign of their class.
//!
//! The first M-step is the naive one for all priors (from the same initial segmentation), so
//! the three fits differ only by their prior. The initial segmentation assigns random states
//! to blocks of `init_block` bins.
//!
//! Layouts (row-major): spikes and history T × N (`x[t * n + neuron]`); weights K × N × N
//! (`w[(k * n + target) * n + source]`); bias K × N; transition K × K; γ T × K.

use faer::Mat;

use super::{Posterior, forward_backward, log_sum_exp, viterbi};
use crate::special::ln_normal_cdf;

/// The emission distribution of each neuron's count, with its canonical link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emission {
    /// Poisson counts, rate exp(η).
    Poisson,
    /// Binary spikes, probability 1 / (1 + exp(−η)).
    Bernoulli,
}

impl Emission {
    /// log p(x | η).
    pub fn log_prob(self, x: f64, eta: f64) -> f64 {
        match self {
            Emission::Poisson => x * eta - eta.min(EXP_MAX).exp() - ln_factorial(x),
            Emission::Bernoulli => x * eta - softplus(eta),
        }
    }

    /// The mean (rate or probability) at linear predictor η.
    pub fn mean(self, eta: f64) -> f64 {
        match self {
            Emission::Poisson => eta.min(EXP_MAX).exp(),
            Emission::Bernoulli => sigmoid(eta),
        }
    }

    /// (mean, variance) = (A′(η), A″(η)) of the log-partition function.
    fn mean_var(self, eta: f64) -> (f64, f64) {
        match self {
            Emission::Poisson => {
                let m = eta.min(EXP_MAX).exp();
                (m, m)
            }
            Emission::Bernoulli => {
                let p = sigmoid(eta);
                (p, p * (1.0 - p))
            }
        }
    }

    /// x η − A(η): the part of log p(x | η) that depends on η.
    fn kernel(self, x: f64, eta: f64) -> f64 {
        match self {
            Emission::Poisson => x * eta - eta.min(EXP_MAX).exp(),
            Emission::Bernoulli => x * eta - softplus(eta),
        }
    }

    /// The linear predictor of a mean: the inverse link.
    fn link(self, mean: f64) -> f64 {
        match self {
            Emission::Poisson => mean.max(1e-6).ln(),
            Emission::Bernoulli => {
                let p = mean.clamp(1e-6, 1.0 - 1e-6);
                (p / (1.0 - p)).ln()
            }
        }
    }
}

/// Keeps exp(η) finite during wild Newton trials.
const EXP_MAX: f64 = 50.0;

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// ln(x!) for a non-negative integer count x.
fn ln_factorial(x: f64) -> f64 {
    let mut s = 0.0;
    let mut i = 2.0;
    while i <= x {
        s += f64::ln(i);
        i += 1.0;
    }
    s
}

/// The causal exponential basis of the paper's code (`exp_basis`): φ_l ∝ exp(−decay · l·dt)
/// at l = 1…`window`, dt = `span` / `window`, normalised so that dt Σ φ = 1.
pub fn exp_basis(decay: f64, window: usize, span: f64) -> Vec<f64> {
    let dt = span / window as f64;
    let raw: Vec<f64> = (1..=window)
        .map(|l| (-decay * l as f64 * dt).exp())
        .collect();
    let s: f64 = raw.iter().sum::<f64>() * dt;
    raw.iter().map(|v| v / s).collect()
}

/// The filtered spike history h_{t,j} = Σ_l `basis[l]` · x_{t−1−l, j} (zero before the start):
/// `spikes` is T × `n`, the result T × `n`. `basis[0]` weighs the previous bin.
pub fn history(spikes: &[f64], n: usize, basis: &[f64]) -> Vec<f64> {
    assert!(
        n > 0 && spikes.len().is_multiple_of(n),
        "hmm::glm::history: spikes has {} entries, not a multiple of n = {n} neurons",
        spikes.len()
    );
    let t_len = spikes.len() / n;
    let mut h = vec![0.0; spikes.len()];
    for t in 0..t_len {
        for (l, &phi) in basis.iter().enumerate() {
            if t > l {
                let src = &spikes[(t - 1 - l) * n..(t - l) * n];
                for (hv, &x) in h[t * n..(t + 1) * n].iter_mut().zip(src) {
                    *hv += phi * x;
                }
            }
        }
    }
    h
}

/// One observed sequence: spikes and their filtered history ([`history`]), both T × N.
#[derive(Debug, Clone, Copy)]
pub struct Sequence<'a> {
    /// Spike counts, T × N.
    pub spikes: &'a [f64],
    /// Filtered history, T × N.
    pub history: &'a [f64],
}

/// An HMM-GLM's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct HmmGlm {
    /// Number of hidden states K.
    pub states: usize,
    /// Number of neurons N.
    pub neurons: usize,
    /// Emission distribution.
    pub emission: Emission,
    /// K × N × N: `weights[(k * N + target) * N + source]` = w_{k, target←source}.
    pub weights: Vec<f64>,
    /// K × N: b_{k,n}.
    pub bias: Vec<f64>,
    /// K: p(z_0 = k).
    pub initial: Vec<f64>,
    /// K × K row-stochastic: p(z_{t+1} = j | z_t = i) at `[i * K + j]`.
    pub transition: Vec<f64>,
}

impl HmmGlm {
    /// log p(x_t | z_t = k, x_{<t}) for one sequence: T × K.
    pub fn log_emission(&self, seq: Sequence) -> Vec<f64> {
        let (k, n) = (self.states, self.neurons);
        let t_len = check_sequence(seq, n);
        let mut out = vec![0.0; t_len * k];
        for t in 0..t_len {
            let (x, h) = (
                &seq.spikes[t * n..(t + 1) * n],
                &seq.history[t * n..(t + 1) * n],
            );
            for s in 0..k {
                let mut lp = 0.0;
                for (i, &xi) in x.iter().enumerate() {
                    let w = &self.weights[(s * n + i) * n..(s * n + i + 1) * n];
                    let eta = self.bias[s * n + i] + dot(w, h);
                    lp += self.emission.log_prob(xi, eta);
                }
                out[t * k + s] = lp;
            }
        }
        out
    }

    /// State posteriors and log-likelihood of one sequence.
    pub fn posterior(&self, seq: Sequence) -> Posterior {
        forward_backward(
            &self.log_emission(seq),
            self.states,
            &self.initial,
            &self.transition,
        )
    }

    /// The Viterbi state path of one sequence.
    pub fn viterbi(&self, seq: Sequence) -> Vec<usize> {
        viterbi(
            &self.log_emission(seq),
            self.states,
            &self.initial,
            &self.transition,
        )
        .0
    }

    /// Σ over sequences of log p(x).
    pub fn log_likelihood(&self, seqs: &[Sequence]) -> f64 {
        seqs.iter().map(|s| self.posterior(*s).log_likelihood).sum()
    }

    /// Simulates `t_len` bins: returns (spikes T × N, states T). `basis` filters the history
    /// as in [`history`]; `uniform` draws from U(0, 1).
    pub fn simulate(
        &self,
        basis: &[f64],
        t_len: usize,
        uniform: &mut dyn FnMut() -> f64,
    ) -> (Vec<f64>, Vec<usize>) {
        let (k, n) = (self.states, self.neurons);
        let draw = |p: &[f64], u: f64| {
            let mut acc = 0.0;
            for (s, &q) in p.iter().enumerate() {
                acc += q;
                if u < acc {
                    return s;
                }
            }
            p.len() - 1
        };
        let mut x = vec![0.0; t_len * n];
        let mut z = vec![0; t_len];
        let mut h = vec![0.0; n];
        for t in 0..t_len {
            z[t] = if t == 0 {
                draw(&self.initial, uniform())
            } else {
                draw(
                    &self.transition[z[t - 1] * k..(z[t - 1] + 1) * k],
                    uniform(),
                )
            };
            h.iter_mut().for_each(|v| *v = 0.0);
            for (l, &phi) in basis.iter().enumerate().filter(|(l, _)| t > *l) {
                for j in 0..n {
                    h[j] += phi * x[(t - 1 - l) * n + j];
                }
            }
            for i in 0..n {
                let w = &self.weights[(z[t] * n + i) * n..(z[t] * n + i + 1) * n];
                let m = self.emission.mean(self.bias[z[t] * n + i] + dot(w, &h));
                x[t * n + i] = match self.emission {
                    Emission::Bernoulli => f64::from(uniform() < m),
                    Emission::Poisson => poisson_by_inversion(m, uniform()),
                };
            }
        }
        (x, z)
    }
}

/// Poisson draw by inversion of the CDF (rates of a spiking GLM bin are small).
fn poisson_by_inversion(lambda: f64, u: f64) -> f64 {
    let (mut k, mut p) = (0.0, (-lambda).exp());
    let mut cdf = p;
    while u > cdf && k < 10_000.0 {
        k += 1.0;
        p *= lambda / k;
        cdf += p;
    }
    k
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn check_sequence(seq: Sequence, n: usize) -> usize {
    assert!(
        seq.spikes.len() == seq.history.len() && seq.spikes.len().is_multiple_of(n),
        "hmm::glm: a sequence has {} spike and {} history entries; both must be T × N with N = {n}",
        seq.spikes.len(),
        seq.history.len()
    );
    seq.spikes.len() / n
}

/// The prior on the state weight matrices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prior {
    /// No prior: each state's weights are fitted alone.
    Naive,
    /// w_{k,n←n'} ~ N(μ_{n←n'}, std²), μ shared across states and learned.
    Gaussian {
        /// The prior standard deviation s (fixed).
        std: f64,
    },
    /// One-hot classes inh/none/exc with a categorical prior shared across states (learned)
    /// and state-specific positive strengths.
    OneHot,
}

/// Settings of [`fit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// Number of hidden states K.
    pub states: usize,
    /// Emission distribution.
    pub emission: Emission,
    /// Weight prior.
    pub prior: Prior,
    /// EM iterations (M-steps).
    pub iterations: usize,
    /// Newton steps per regression per M-step.
    pub newton_steps: usize,
    /// Length in bins of the blocks of the random initial segmentation.
    pub init_block: usize,
    /// Seed of the initial segmentation.
    pub seed: u64,
    /// Number of random initial segmentations tried (each by a short naive fit, the one of
    /// highest likelihood kept); 0 or 1 uses the segmentation of `seed` alone.
    pub restarts: usize,
}

/// Connection classes, as in the paper: inhibitory, none, excitatory.
pub const INH: i8 = -1;
/// No connection.
pub const NONE: i8 = 0;
/// Excitatory connection.
pub const EXC: i8 = 1;

/// The result of [`fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The fitted parameters.
    pub model: HmmGlm,
    /// log p(X | θ) summed over sequences after each M-step (`iterations` entries).
    pub log_likelihood: Vec<f64>,
    /// K × N × N classes (−1, 0, 1) of the one-hot prior; for the other priors the sign of
    /// each weight (see [`classify`] for a thresholded version).
    pub classes: Vec<i8>,
    /// One-hot only: the learned shared class prior, N × N × 3 (inh, none, exc); else empty.
    pub class_prior: Vec<f64>,
    /// Gaussian only: the learned shared prior mean μ, N × N; else empty.
    pub prior_mean: Vec<f64>,
    /// One-hot only: the learned strength scale s_m; else NaN.
    pub strength_scale: f64,
    /// K × N × N: the Fisher information of each weight with the rest of its row profiled
    /// out, 1/(H⁻¹)_{jj} with H = Σ_t γ_{t,k} A″(η) z_t z_tᵀ (z_t = [1, h_t]) at the fit, so that
    /// w √information is its Wald z-score.
    pub information: Vec<f64>,
}

/// Classes of continuous weights: sign(w) where |w| > `threshold`, else none.
pub fn classify(weights: &[f64], threshold: f64) -> Vec<i8> {
    weights
        .iter()
        .map(|&w| {
            if w > threshold {
                EXC
            } else if w < -threshold {
                INH
            } else {
                NONE
            }
        })
        .collect()
}

/// Rows whose posterior weight is below this are left out of a state's regression (their
/// contribution to the objective is below 1e-10 of a bin's).
const GAMMA_MIN: f64 = 1e-10;

/// The concatenated data and the current posteriors.
struct Data {
    n: usize,
    x: Vec<f64>,
    h: Vec<f64>,
    /// Start of each sequence in rows, plus the total.
    bounds: Vec<usize>,
}

/// What the regression of one (state, neuron) row is penalised by and constrained to.
struct RowPrior<'a> {
    /// Sources in the model (others are fixed at 0).
    active: &'a [usize],
    /// Penalty ½ λ (w_j − centre_j)² per active source.
    lambda: f64,
    centre: &'a [f64],
    /// Sign constraint per active source (0 = free).
    sign: &'a [i8],
}

/// Fits an HMM-GLM by EM (see the module docs). `seqs` are the training sequences of `n`
/// neurons; Bernoulli emissions need 0/1 spikes, Poisson ones non-negative integer counts.
pub fn fit(seqs: &[Sequence], n: usize, opt: &FitOptions) -> Fit {
    let data = concat(seqs, n, opt);
    let seed = best_of_restarts(&data, opt);
    em(&data, &FitOptions { seed, ..*opt })
}

/// The initial-segmentation seed that [`fit`] uses with `opt.restarts` > 1: of the
/// segmentations seeded by `opt.seed`'s restarts, the one whose short naive EM reaches the
/// highest likelihood. Fitting with that seed and `restarts: 1` is the same fit; it lets the
/// restarts be shared by fits with different priors.
pub fn best_restart(seqs: &[Sequence], n: usize, opt: &FitOptions) -> u64 {
    best_of_restarts(&concat(seqs, n, opt), opt)
}

/// Validates and concatenates the sequences.
fn concat(seqs: &[Sequence], n: usize, opt: &FitOptions) -> Data {
    assert!(opt.states > 0, "hmm::glm::fit: states must be positive");
    assert!(!seqs.is_empty(), "hmm::glm::fit: no sequences");
    let mut data = Data {
        n,
        x: vec![],
        h: vec![],
        bounds: vec![0],
    };
    for s in seqs {
        check_sequence(*s, n);
        for &x in s.spikes {
            let ok = match opt.emission {
                Emission::Bernoulli => x == 0.0 || x == 1.0,
                Emission::Poisson => x >= 0.0 && x.fract() == 0.0,
            };
            assert!(
                ok,
                "hmm::glm::fit: spike value {x} is not valid for {:?} emissions (Bernoulli needs 0/1, Poisson counts)",
                opt.emission
            );
        }
        data.x.extend_from_slice(s.spikes);
        data.h.extend_from_slice(s.history);
        data.bounds.push(data.x.len() / n);
    }
    if let Prior::Gaussian { std } = opt.prior {
        assert!(
            std > 0.0 && std.is_finite(),
            "hmm::glm::fit: Gaussian prior std = {std} must be positive"
        );
    }
    data
}

/// Restarts: short naive fits from several segmentations; the best one's seed.
fn best_of_restarts(data: &Data, opt: &FitOptions) -> u64 {
    let mut seed = opt.seed;
    if opt.restarts > 1 {
        let mut best = f64::NEG_INFINITY;
        for r in 0..opt.restarts {
            let trial = FitOptions {
                prior: Prior::Naive,
                iterations: RESTART_ITERATIONS.min(opt.iterations).max(1),
                seed: splitmix(opt.seed.wrapping_add(r as u64)),
                ..*opt
            };
            let ll = em(data, &trial)
                .log_likelihood
                .last()
                .copied()
                .unwrap_or(f64::NEG_INFINITY);
            if ll > best {
                best = ll;
                seed = trial.seed;
            }
        }
    }
    seed
}

/// EM iterations of each restart's naive fit.
const RESTART_ITERATIONS: usize = 5;

/// The EM of [`fit`] from the segmentation of `opt.seed`.
fn em(data: &Data, opt: &FitOptions) -> Fit {
    let (k, n) = (opt.states, data.n);
    let rows = data.x.len() / n;
    // Random initial segmentation in blocks.
    let mut rng = opt.seed ^ 0x5DEE_CE66_D1CE_4E5B;
    let mut gamma = vec![0.0; rows * k];
    let mut xi = vec![0.0; k * k];
    let block = opt.init_block.max(1);
    for w in data.bounds.windows(2) {
        let mut cur = 0;
        for t in w[0]..w[1] {
            let prev = cur;
            if (t - w[0]) % block == 0 {
                rng = splitmix(rng);
                cur = (rng % k as u64) as usize;
            }
            gamma[t * k + cur] = 1.0;
            if t > w[0] {
                xi[prev * k + cur] += 1.0;
            }
        }
    }
    let mut model = HmmGlm {
        states: k,
        neurons: n,
        emission: opt.emission,
        weights: vec![0.0; k * n * n],
        bias: (0..k * n)
            .map(|ki| {
                let i = ki % n;
                let m = (0..rows).map(|t| data.x[t * n + i]).sum::<f64>() / rows.max(1) as f64;
                opt.emission.link(m)
            })
            .collect(),
        initial: vec![1.0 / k as f64; k],
        transition: vec![1.0 / k as f64; k * k],
    };
    let mut gamma0: Vec<f64> = vec![0.0; k];
    for &b in &data.bounds[..data.bounds.len() - 1] {
        for s in 0..k {
            gamma0[s] += gamma[b * k + s];
        }
    }

    let mut classes = vec![EXC; k * n * n];
    let mut class_prior = vec![];
    let mut prior_mean = vec![];
    let mut scale = f64::NAN;
    let mut trace = Vec::with_capacity(opt.iterations);
    let all: Vec<usize> = (0..n).collect();
    let zeros = vec![0.0; n];
    let free = vec![0i8; n];

    for iter in 0..opt.iterations {
        // M-step: initial state and transitions in closed form.
        let s0: f64 = gamma0.iter().sum();
        for s in 0..k {
            model.initial[s] = gamma0[s] / s0;
            let row: f64 = xi[s * k..(s + 1) * k].iter().sum();
            if row > 0.0 {
                for j in 0..k {
                    model.transition[s * k + j] = xi[s * k + j] / row;
                }
            }
        }
        // M-step: the regressions.
        let first = iter == 0;
        match (opt.prior, first) {
            (Prior::Naive, _) | (Prior::OneHot, true) => {
                for s in 0..k {
                    for i in 0..n {
                        let rp = RowPrior {
                            active: &all,
                            lambda: 0.0,
                            centre: &zeros,
                            sign: &free,
                        };
                        newton(data, &gamma, k, s, i, &mut model, &rp, opt.newton_steps);
                    }
                }
            }
            (Prior::Gaussian { std }, _) => {
                if prior_mean.is_empty() {
                    prior_mean = vec![0.0; n * n];
                }
                for s in 0..k {
                    for i in 0..n {
                        let rp = RowPrior {
                            active: &all,
                            lambda: if first { 0.0 } else { 1.0 / (std * std) },
                            centre: &prior_mean[i * n..(i + 1) * n],
                            sign: &free,
                        };
                        newton(data, &gamma, k, s, i, &mut model, &rp, opt.newton_steps);
                    }
                }
                for (ij, m) in prior_mean.iter_mut().enumerate() {
                    *m = (0..k).map(|s| model.weights[s * n * n + ij]).sum::<f64>() / k as f64;
                }
            }
            (Prior::OneHot, false) => {
                for s in 0..k {
                    for i in 0..n {
                        let row = &classes[(s * n + i) * n..(s * n + i + 1) * n];
                        let active: Vec<usize> = (0..n).filter(|&j| row[j] != NONE).collect();
                        let sign: Vec<i8> = active.iter().map(|&j| row[j]).collect();
                        let rp = RowPrior {
                            active: &active,
                            lambda: 1.0 / (scale * scale),
                            centre: &zeros,
                            sign: &sign,
                        };
                        newton(data, &gamma, k, s, i, &mut model, &rp, opt.newton_steps);
                    }
                }
            }
        }
        if opt.prior == Prior::OneHot {
            if first {
                let ms =
                    model.weights.iter().map(|w| w * w).sum::<f64>() / model.weights.len() as f64;
                scale = ms.sqrt().max(1e-3);
                class_prior = vec![1.0 / 3.0; n * n * 3];
            }
            update_classes(
                data,
                &gamma,
                &mut model,
                &mut classes,
                &mut class_prior,
                scale,
            );
            let (mut ss, mut cnt) = (0.0, 0usize);
            for (w, c) in model.weights.iter().zip(&classes) {
                if *c != NONE {
                    ss += w * w;
                    cnt += 1;
                }
            }
            if cnt > 0 {
                scale = (ss / cnt as f64).sqrt().max(1e-3);
            }
        }

        // E-step.
        let mut ll = 0.0;
        xi.iter_mut().for_each(|v| *v = 0.0);
        gamma0.iter_mut().for_each(|v| *v = 0.0);
        for w in data.bounds.windows(2) {
            let seq = Sequence {
                spikes: &data.x[w[0] * n..w[1] * n],
                history: &data.h[w[0] * n..w[1] * n],
            };
            let post = model.posterior(seq);
            ll += post.log_likelihood;
            gamma[w[0] * k..w[1] * k].copy_from_slice(&post.gamma);
            for (a, b) in xi.iter_mut().zip(&post.xi_sum) {
                *a += b;
            }
            for (g0, g) in gamma0.iter_mut().zip(&post.gamma) {
                *g0 += g;
            }
        }
        trace.push(ll);
    }
    if opt.prior != Prior::OneHot {
        classes = classify(&model.weights, 0.0);
    }
    let information = curvatures(data, &gamma, &model).1;
    Fit {
        model,
        log_likelihood: trace,
        classes,
        class_prior,
        prior_mean,
        strength_scale: scale,
        information,
    }
}

fn splitmix(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Penalised objective of row (s, i) at bias `b` and active weights `w`:
/// Σ_t γ_{t,s} (x η − A(η)) − ½ λ Σ (w − centre)².
fn row_objective(
    data: &Data,
    rows: &[(usize, f64)],
    i: usize,
    b: f64,
    w: &[f64],
    rp: &RowPrior,
    em: Emission,
) -> f64 {
    let n = data.n;
    let mut f = 0.0;
    for &(t, g) in rows {
        let h = &data.h[t * n..(t + 1) * n];
        let eta = b + rp
            .active
            .iter()
            .zip(w)
            .map(|(&j, wj)| wj * h[j])
            .sum::<f64>();
        f += g * em.kernel(data.x[t * n + i], eta);
    }
    f - 0.5
        * rp.lambda
        * rp.active
            .iter()
            .zip(w)
            .map(|(&j, wj)| (wj - rp.centre[j]).powi(2))
            .sum::<f64>()
}

/// Newton steps with step halving on the γ-weighted regression of neuron `i` in state `s`
/// (bias unpenalised; active weights penalised and sign-constrained per `rp`; inactive
/// weights set to 0).
#[allow(clippy::too_many_arguments)]
fn newton(
    data: &Data,
    gamma: &[f64],
    k: usize,
    s: usize,
    i: usize,
    model: &mut HmmGlm,
    rp: &RowPrior,
    steps: usize,
) {
    let n = data.n;
    let em = model.emission;
    let rows: Vec<(usize, f64)> = (0..data.x.len() / n)
        .map(|t| (t, gamma[t * k + s]))
        .filter(|&(_, g)| g > GAMMA_MIN)
        .collect();
    let wrow = (s * n + i) * n;
    let mut w: Vec<f64> = rp.active.iter().map(|&j| model.weights[wrow + j]).collect();
    for j in 0..n {
        if !rp.active.contains(&j) {
            model.weights[wrow + j] = 0.0;
        }
    }
    let mut b = model.bias[s * n + i];
    if rows.is_empty() {
        return;
    }
    let p = w.len() + 1;
    let mut f = row_objective(data, &rows, i, b, &w, rp, em);
    let mut z = vec![0.0; p];
    for _ in 0..steps {
        let mut g = vec![0.0; p];
        let mut hess = vec![0.0; p * p];
        for &(t, gt) in &rows {
            let h = &data.h[t * n..(t + 1) * n];
            z[0] = 1.0;
            for (zz, &j) in z[1..].iter_mut().zip(rp.active) {
                *zz = h[j];
            }
            let eta = b + z[1..].iter().zip(&w).map(|(a, c)| a * c).sum::<f64>();
            let (mu, var) = em.mean_var(eta);
            let r = gt * (data.x[t * n + i] - mu);
            accumulate(&mut g, &mut hess, &z, r, gt * var);
        }
        for a in 1..p {
            g[a] -= rp.lambda * (w[a - 1] - rp.centre[rp.active[a - 1]]);
            hess[a * p + a] += rp.lambda;
        }
        // Levenberg damping keeps the solve defined when a regressor is silent; it only
        // shortens the step.
        let tr: f64 = (0..p).map(|a| hess[a * p + a]).sum::<f64>() / p as f64;
        let damp = 1e-9 * tr.max(1e-12);
        let m = Mat::<f64>::from_fn(p, p, |a, c| {
            let v = if c <= a {
                hess[a * p + c]
            } else {
                hess[c * p + a]
            };
            v + if a == c { damp } else { 0.0 }
        });
        let rhs = Mat::<f64>::from_fn(p, 1, |a, _| g[a]);
        let d = crate::linalg::solve_symmetric(&m, &rhs);
        let mut step = 1.0;
        let mut improved = false;
        for _ in 0..30 {
            let nb = b + step * d[(0, 0)];
            let nw: Vec<f64> = (0..p - 1)
                .map(|a| {
                    let v = w[a] + step * d[(a + 1, 0)];
                    match rp.sign[a] {
                        EXC => v.max(0.0),
                        INH => v.min(0.0),
                        _ => v,
                    }
                })
                .collect();
            let nf = row_objective(data, &rows, i, nb, &nw, rp, em);
            if nf > f {
                b = nb;
                w = nw;
                f = nf;
                improved = true;
                break;
            }
            step *= 0.5;
        }
        if !improved {
            break;
        }
    }
    model.bias[s * n + i] = b;
    for (a, &j) in rp.active.iter().enumerate() {
        model.weights[wrow + j] = w[a];
    }
}

/// log E_sign − log E_none for one weight: the evidence of a connection of the given sign
/// (+1 exc, −1 inh) against none, for a data term −½ h (w − u)² and a half-normal strength
/// prior of scale `scale` (see the module docs).
pub(crate) fn ln_evidence_ratio(u: f64, h: f64, scale: f64, sign: f64) -> f64 {
    let u = sign * u;
    let prec = h + 1.0 / (scale * scale);
    let m = h * u / prec;
    std::f64::consts::LN_2 - 0.5 * (scale * scale * prec).ln()
        + ln_normal_cdf(m * prec.sqrt())
        + 0.5 * prec * m * m
}

/// Per weight (K × N × N), from the quadratic expansion of the data term of its row (bias and
/// all N sources, absent ones at 0) at the current fit: u, the weight's value at the joint
/// optimum of that quadratic (one full Newton step), and its profile curvature
/// 1 / (H⁻¹)_{jj} — the precision of the weight with the other weights re-optimised (the
/// Fisher information for a Wald test).
fn curvatures(data: &Data, gamma: &[f64], model: &HmmGlm) -> (Vec<f64>, Vec<f64>) {
    let (k, n) = (model.states, data.n);
    let em = model.emission;
    let p = n + 1;
    let mut u = vec![0.0; k * n * n];
    let mut curv = vec![0.0; k * n * n];
    let mut z = vec![0.0; p];
    for s in 0..k {
        for i in 0..n {
            let wrow = (s * n + i) * n;
            let w = &model.weights[wrow..wrow + n];
            let mut g = vec![0.0; p];
            let mut hess = vec![0.0; p * p];
            for t in 0..data.x.len() / n {
                let gt = gamma[t * k + s];
                if gt <= GAMMA_MIN {
                    continue;
                }
                z[0] = 1.0;
                z[1..].copy_from_slice(&data.h[t * n..(t + 1) * n]);
                let eta = model.bias[s * n + i] + dot(w, &z[1..]);
                let (mu, var) = em.mean_var(eta);
                let r = gt * (data.x[t * n + i] - mu);
                accumulate(&mut g, &mut hess, &z, r, gt * var);
            }
            let tr: f64 = (0..p).map(|a| hess[a * p + a]).sum::<f64>() / p as f64;
            let damp = 1e-9 * tr.max(1e-12);
            let m = Mat::<f64>::from_fn(p, p, |a, c| {
                let v = if c <= a {
                    hess[a * p + c]
                } else {
                    hess[c * p + a]
                };
                v + if a == c { damp } else { 0.0 }
            });
            let inv = crate::linalg::solve_symmetric(&m, &Mat::<f64>::identity(p, p));
            for j in 0..n {
                let step: f64 = (0..p).map(|c| inv[(j + 1, c)] * g[c]).sum();
                u[wrow + j] = w[j] + step;
                let var_j = inv[(j + 1, j + 1)];
                curv[wrow + j] = if var_j > 0.0 { 1.0 / var_j } else { 0.0 };
            }
        }
    }
    (u, curv)
}

/// Pseudo-observations of the population's class frequencies in each connection's prior.
const CLASS_CONCENTRATION: f64 = 2.0;

/// The one-hot class update of every (state, target, source) weight, the shared class prior
/// and the newly (de)activated weights (see the module docs).
fn update_classes(
    data: &Data,
    gamma: &[f64],
    model: &mut HmmGlm,
    classes: &mut [i8],
    class_prior: &mut [f64],
    scale: f64,
) {
    let (k, n) = (model.states, data.n);
    let (u, curv) = curvatures(data, gamma, model);
    let lev = |idx: usize| {
        [
            ln_evidence_ratio(u[idx], curv[idx], scale, -1.0),
            0.0,
            ln_evidence_ratio(u[idx], curv[idx], scale, 1.0),
        ]
    };
    // Class posteriors under the current prior, and the population's class frequencies.
    let mut q = vec![0.0; k * n * n * 3];
    let mut population = [0.0; 3];
    for ij in 0..n * n {
        for s in 0..k {
            let idx = s * n * n + ij;
            let e = lev(idx);
            let l: Vec<f64> = (0..3)
                .map(|c| class_prior[ij * 3 + c].ln() + e[c])
                .collect();
            let z = log_sum_exp(&l);
            for c in 0..3 {
                q[idx * 3 + c] = (l[c] - z).exp();
                population[c] += q[idx * 3 + c] / (k * n * n) as f64;
            }
        }
    }
    for ij in 0..n * n {
        // Posterior mean of p_{n←n'} under a Dirichlet hyperprior of mean `population` and
        // concentration CLASS_CONCENTRATION.
        for c in 0..3 {
            let count: f64 = (0..k).map(|s| q[(s * n * n + ij) * 3 + c]).sum();
            class_prior[ij * 3 + c] =
                (count + CLASS_CONCENTRATION * population[c]) / (k as f64 + CLASS_CONCENTRATION);
        }
        for s in 0..k {
            let idx = s * n * n + ij;
            let e = lev(idx);
            let mut best = (f64::NEG_INFINITY, 1usize);
            for c in 0..3 {
                let v = class_prior[ij * 3 + c].ln() + e[c];
                if v > best.0 {
                    best = (v, c);
                }
            }
            let new = best.1 as i8 - 1;
            if new != classes[idx] {
                let h = curv[idx];
                let prec = h + 1.0 / (scale * scale);
                // Start a new connection at its posterior mode within its class.
                model.weights[idx] = match new {
                    EXC => (h * u[idx] / prec).max(0.0),
                    INH => (h * u[idx] / prec).min(0.0),
                    _ => 0.0,
                };
                classes[idx] = new;
            }
        }
    }
}

/// Adds one weighted row `z` (residual `r`, variance weight `v`) to the gradient `g` and to the
/// lower triangle of the Hessian `hess` (p × p, row-major) of a GLM's log-likelihood.
fn accumulate(g: &mut [f64], hess: &mut [f64], z: &[f64], r: f64, v: f64) {
    let p = z.len();
    for a in 0..p {
        g[a] += r * z[a];
        let vz = v * z[a];
        if vz != 0.0 {
            for c in 0..=a {
                hess[a * p + c] += vz * z[c];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assignment::match_labels;
    use crate::testing::Rng;

    /// A planted K-state model with distinct weight matrices.
    fn planted(k: usize, n: usize, emission: Emission, seed: u64) -> HmmGlm {
        let mut rng = Rng(seed);
        let weights = (0..k * n * n)
            .map(|_| {
                let u = rng.uniform();
                if u < 0.3 {
                    -1.0 - rng.uniform()
                } else if u < 0.6 {
                    1.0 + rng.uniform()
                } else {
                    0.0
                }
            })
            .collect();
        let base = match emission {
            Emission::Bernoulli => -1.0,
            Emission::Poisson => -1.5,
        };
        let mut transition = vec![0.01 / (k - 1) as f64; k * k];
        for s in 0..k {
            transition[s * k + s] = 0.99;
        }
        HmmGlm {
            states: k,
            neurons: n,
            emission,
            weights,
            bias: vec![base; k * n],
            initial: vec![1.0 / k as f64; k],
            transition,
        }
    }

    fn simulate(
        model: &HmmGlm,
        basis: &[f64],
        t: usize,
        seed: u64,
    ) -> (Vec<f64>, Vec<f64>, Vec<usize>) {
        let mut rng = Rng(seed);
        let (x, z) = model.simulate(basis, t, &mut || rng.uniform());
        let h = history(&x, model.neurons, basis);
        (x, h, z)
    }

    #[test]
    fn history_matches_a_hand_convolution() {
        // One neuron spiking at t = 0 and t = 2, basis (0.5, 0.25).
        let x = [1.0, 0.0, 1.0, 0.0, 0.0];
        let h = history(&x, 1, &[0.5, 0.25]);
        assert_eq!(h, vec![0.0, 0.5, 0.25, 0.5, 0.25]);
        let b = exp_basis(1.0, 5, 5.0);
        assert!((b.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((b[0] - 0.6364).abs() < 1e-4, "{b:?}"); // the paper's printed basis
    }

    #[test]
    fn normal_cdf_and_evidence_against_quadrature() {
        for z in [-30.0, -8.0, -2.0, -0.5, 0.0, 0.7, 3.0, 9.0] {
            // Φ(z) e^{z²/2} √(2π) by Simpson's rule over [z − 40, z].
            let m = 40_000;
            let (a, hstep) = (z - 40.0, 40.0 / m as f64);
            let s: f64 = (0..=m)
                .map(|q| {
                    let x = a + q as f64 * hstep;
                    let wgt = if q == 0 || q == m {
                        1.0
                    } else if q % 2 == 1 {
                        4.0
                    } else {
                        2.0
                    };
                    wgt * (-(x * x) / 2.0 + (z * z) / 2.0).exp()
                })
                .sum::<f64>()
                * hstep
                / 3.0;
            let ln_phi = s.ln() - (z * z) / 2.0 - 0.5 * std::f64::consts::TAU.ln();
            assert!(
                (ln_normal_cdf(z) - ln_phi).abs() < 2e-6 * ln_phi.abs().max(1.0),
                "z = {z}: {} vs {ln_phi}",
                ln_normal_cdf(z)
            );
        }
        // Evidence ratio: ∫₀^∞ 2 N(w; 0, s²) exp(−½h(w−u)²) dw / exp(−½hu²).
        for (u, h, s) in [
            (0.8, 50.0, 1.0),
            (-0.3, 20.0, 0.7),
            (0.05, 400.0, 1.2),
            (0.0, 0.0, 1.0),
        ] {
            let m = 200_000;
            let top = 10.0 * s;
            let hstep = top / m as f64;
            let f = |w: f64| {
                2.0 / (s * std::f64::consts::TAU.sqrt())
                    * (-(w * w) / (2.0 * s * s)).exp()
                    * (-0.5 * h * (w - u) * (w - u) + 0.5 * h * u * u).exp()
            };
            let integral: f64 = (0..=m)
                .map(|q| {
                    let wgt = if q == 0 || q == m {
                        1.0
                    } else if q % 2 == 1 {
                        4.0
                    } else {
                        2.0
                    };
                    wgt * f(q as f64 * hstep)
                })
                .sum::<f64>()
                * hstep
                / 3.0;
            let got = ln_evidence_ratio(u, h, s, 1.0);
            assert!(
                (got - integral.ln()).abs() < 1e-5,
                "{got} vs {}",
                integral.ln()
            );
            // The inhibitory class is the mirror image.
            assert!((ln_evidence_ratio(-u, h, s, -1.0) - got).abs() < 1e-12);
        }
    }

    #[test]
    fn log_emission_matches_hand_computation() {
        let model = HmmGlm {
            states: 2,
            neurons: 2,
            emission: Emission::Poisson,
            weights: vec![0.5, -1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0],
            bias: vec![0.1, -0.2, 0.3, 0.4],
            initial: vec![0.5, 0.5],
            transition: vec![0.9, 0.1, 0.1, 0.9],
        };
        let x = [2.0, 0.0];
        let h = [0.4, 0.6];
        let le = model.log_emission(Sequence {
            spikes: &x,
            history: &h,
        });
        let e0: f64 = 0.1 + 0.5 * 0.4 - 0.6;
        let e1: f64 = -0.2 + 2.0 * 0.6;
        let want0 = 2.0 * e0 - e0.exp() - 2f64.ln() - e1.exp();
        let want1 = 2.0 * 0.3 - 0.3f64.exp() - 2f64.ln() - 0.4f64.exp();
        assert!((le[0] - want0).abs() < 1e-12 && (le[1] - want1).abs() < 1e-12);
    }

    #[test]
    fn naive_em_log_likelihood_never_decreases() {
        let basis = exp_basis(1.0, 3, 3.0);
        for (emission, seed) in [(Emission::Bernoulli, 3), (Emission::Poisson, 4)] {
            let truth = planted(2, 4, emission, seed);
            let (x, h, _) = simulate(&truth, &basis, 1500, seed + 10);
            let seqs = [Sequence {
                spikes: &x,
                history: &h,
            }];
            let fit = fit(
                &seqs,
                4,
                &FitOptions {
                    states: 2,
                    emission,
                    prior: Prior::Naive,
                    iterations: 15,
                    newton_steps: 2,
                    init_block: 50,
                    seed: 1,
                    restarts: 1,
                },
            );
            for w in fit.log_likelihood.windows(2) {
                assert!(
                    w[1] >= w[0] - 1e-8 * w[0].abs(),
                    "{emission:?}: {:?}",
                    fit.log_likelihood
                );
            }
            assert!(fit.log_likelihood.last().unwrap() > &fit.log_likelihood[0]);
        }
    }

    #[test]
    fn recovers_a_planted_model() {
        let basis = exp_basis(1.0, 3, 3.0);
        let (k, n) = (2, 5);
        let truth = planted(k, n, Emission::Bernoulli, 11);
        let (x, h, z) = simulate(&truth, &basis, 6000, 12);
        let seqs = [Sequence {
            spikes: &x,
            history: &h,
        }];
        let opts = |prior| FitOptions {
            states: k,
            emission: Emission::Bernoulli,
            prior,
            iterations: 30,
            newton_steps: 3,
            init_block: 100,
            seed: 5,
            restarts: 3,
        };
        for prior in [Prior::Naive, Prior::Gaussian { std: 1.0 }, Prior::OneHot] {
            let f = fit(&seqs, n, &opts(prior));
            let path = f.model.viterbi(seqs[0]);
            let (acc, map) = match_labels(&z, &path, k, k);
            assert!(acc > 0.95, "{prior:?}: state accuracy {acc}");
            // Weights of the matched states: close to the truth.
            let mut err = 0.0;
            let mut class_hits = 0;
            for (s_fit, s_true) in map.iter().enumerate() {
                let s_true = s_true.unwrap();
                for ij in 0..n * n {
                    let (a, b) = (
                        f.model.weights[s_fit * n * n + ij],
                        truth.weights[s_true * n * n + ij],
                    );
                    err += (a - b).powi(2);
                    let c = if prior == Prior::OneHot {
                        f.classes[s_fit * n * n + ij]
                    } else {
                        classify(&[a], 0.5)[0]
                    };
                    class_hits += usize::from(c == classify(&[b], 0.5)[0]);
                }
            }
            let rmse = (err / (k * n * n) as f64).sqrt();
            assert!(rmse < 0.35, "{prior:?}: weight rmse {rmse}");
            let class_acc = class_hits as f64 / (k * n * n) as f64;
            assert!(class_acc > 0.85, "{prior:?}: class accuracy {class_acc}");
            if prior == Prior::OneHot {
                let p = &f.class_prior;
                assert!(
                    p.chunks(3)
                        .all(|c| (c.iter().sum::<f64>() - 1.0).abs() < 1e-12)
                );
            }
        }
    }

    #[test]
    #[should_panic(expected = "not valid for Bernoulli")]
    fn rejects_counts_for_bernoulli() {
        let x = [2.0, 0.0];
        let h = [0.0, 0.0];
        fit(
            &[Sequence {
                spikes: &x,
                history: &h,
            }],
            2,
            &FitOptions {
                states: 1,
                emission: Emission::Bernoulli,
                prior: Prior::Naive,
                iterations: 1,
                newton_steps: 1,
                init_block: 10,
                seed: 0,
                restarts: 1,
            },
        );
    }
}
