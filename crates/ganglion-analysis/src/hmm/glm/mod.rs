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

use super::{Posterior, forward_backward, viterbi};

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

mod fit;
#[cfg(test)]
mod tests;

pub use fit::{Fit, FitOptions, Prior, best_restart, classify, fit};
