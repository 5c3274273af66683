//! Hidden Markov models: scaled forward–backward, Viterbi, and (in [`glm`]) the HMM-GLM of
//! Li et al. (ICLR 2024) with its naive, Gaussian and one-hot weight priors.
//!
//! An HMM over K hidden states z_t ∈ {0, …, K−1} has an initial distribution
//! π_k = p(z_0 = k), a row-stochastic transition matrix A_{ij} = p(z_{t+1} = j | z_t = i), and
//! per-time emission log-likelihoods ℓ_{t,k} = log p(x_t | z_t = k, x_{<t}) supplied by the
//! caller (they may depend on the past observations, as in a GLM with spike history).
//!
//! [`forward_backward`] is the scaled algorithm of Rabiner (1989), §V.A: with
//! e_{t,k} = exp(ℓ_{t,k} − m_t), m_t = max_k ℓ_{t,k} (so no emission underflows),
//! α̂_0 ∝ π ⊙ e_0, α̂_t ∝ e_t ⊙ (Aᵀ α̂_{t−1}), each normalised by c_t;
//! β̂_{T−1} = 1, β̂_t = A (e_{t+1} ⊙ β̂_{t+1}) / c_{t+1}. Then γ_t = α̂_t ⊙ β̂_t,
//! ξ_t(i, j) = α̂_t(i) A_{ij} e_{t+1}(j) β̂_{t+1}(j) / c_{t+1}, and
//! log p(x) = Σ_t (log c_t + m_t). [`viterbi`] is the max-product recursion in log space.
//!
//! Matrices are row-major: ℓ is T × K (`log_emission[t * k + s]`), A is K × K.

pub mod glm;

/// Posterior of a hidden Markov chain given one observed sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Posterior {
    /// p(z_t = k | x), T × K row-major.
    pub gamma: Vec<f64>,
    /// Σ_t p(z_t = i, z_{t+1} = j | x), K × K row-major (the expected transition counts).
    pub xi_sum: Vec<f64>,
    /// log p(x_0, …, x_{T−1}) (natural log).
    pub log_likelihood: f64,
}

fn check_shapes(log_emission: &[f64], k: usize, initial: &[f64], transition: &[f64]) -> usize {
    assert!(k > 0, "hmm: the number of states must be positive");
    assert_eq!(
        log_emission.len() % k,
        0,
        "hmm: log_emission has {} entries, not a multiple of the {k} states (expected T × K)",
        log_emission.len()
    );
    assert_eq!(
        initial.len(),
        k,
        "hmm: initial has {} entries, expected K = {k}",
        initial.len()
    );
    assert_eq!(
        transition.len(),
        k * k,
        "hmm: transition has {} entries, expected K × K = {}",
        transition.len(),
        k * k
    );
    log_emission.len() / k
}

/// Scaled forward–backward for one sequence: state posteriors, expected transition counts and
/// the log-likelihood. `log_emission` is T × K, `initial` has K entries, `transition` is K × K
/// (rows sum to 1). Panics on mismatched shapes, or if the sequence has probability zero under
/// the model (e.g. a forbidden transition is needed).
pub fn forward_backward(
    log_emission: &[f64],
    k: usize,
    initial: &[f64],
    transition: &[f64],
) -> Posterior {
    let t_len = check_shapes(log_emission, k, initial, transition);
    if t_len == 0 {
        return Posterior {
            gamma: vec![],
            xi_sum: vec![0.0; k * k],
            log_likelihood: 0.0,
        };
    }
    let mut e = vec![0.0; t_len * k];
    let mut shift = vec![0.0; t_len];
    for t in 0..t_len {
        let row = &log_emission[t * k..(t + 1) * k];
        let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        assert!(
            m.is_finite(),
            "hmm::forward_backward: at t = {t} every state has log-emission {m}"
        );
        shift[t] = m;
        for s in 0..k {
            e[t * k + s] = (row[s] - m).exp();
        }
    }
    let mut alpha = vec![0.0; t_len * k];
    let mut c = vec![0.0; t_len];
    for t in 0..t_len {
        let mut sum = 0.0;
        for j in 0..k {
            let prior = if t == 0 {
                initial[j]
            } else {
                (0..k)
                    .map(|i| alpha[(t - 1) * k + i] * transition[i * k + j])
                    .sum()
            };
            let a = prior * e[t * k + j];
            alpha[t * k + j] = a;
            sum += a;
        }
        assert!(
            sum > 0.0 && sum.is_finite(),
            "hmm::forward_backward: the observations up to t = {t} have probability zero under the model (check initial and transition)"
        );
        c[t] = sum;
        for j in 0..k {
            alpha[t * k + j] /= sum;
        }
    }
    let mut beta = vec![1.0; t_len * k];
    let mut xi_sum = vec![0.0; k * k];
    let mut next = vec![0.0; k];
    for t in (0..t_len - 1).rev() {
        for j in 0..k {
            next[j] = e[(t + 1) * k + j] * beta[(t + 1) * k + j] / c[t + 1];
        }
        for i in 0..k {
            let mut b = 0.0;
            for j in 0..k {
                let x = transition[i * k + j] * next[j];
                b += x;
                xi_sum[i * k + j] += alpha[t * k + i] * x;
            }
            beta[t * k + i] = b;
        }
    }
    let gamma = alpha.iter().zip(&beta).map(|(a, b)| a * b).collect();
    let log_likelihood = c.iter().zip(&shift).map(|(c, m)| c.ln() + m).sum();
    Posterior {
        gamma,
        xi_sum,
        log_likelihood,
    }
}

/// The most probable state path argmax_z p(z | x) (Viterbi) and its joint log-probability
/// log p(x, z). Shapes as in [`forward_backward`]; ties go to the lower state index.
pub fn viterbi(
    log_emission: &[f64],
    k: usize,
    initial: &[f64],
    transition: &[f64],
) -> (Vec<usize>, f64) {
    let t_len = check_shapes(log_emission, k, initial, transition);
    if t_len == 0 {
        return (vec![], 0.0);
    }
    let log_a: Vec<f64> = transition.iter().map(|a| a.ln()).collect();
    let mut omega: Vec<f64> = (0..k).map(|s| initial[s].ln() + log_emission[s]).collect();
    let mut back = vec![0usize; t_len * k];
    let mut next = vec![0.0; k];
    for t in 1..t_len {
        for j in 0..k {
            let (mut best, mut arg) = (f64::NEG_INFINITY, 0);
            for i in 0..k {
                let v = omega[i] + log_a[i * k + j];
                if v > best {
                    best = v;
                    arg = i;
                }
            }
            back[t * k + j] = arg;
            next[j] = best + log_emission[t * k + j];
        }
        omega.copy_from_slice(&next);
    }
    let (mut state, mut best) = (0, f64::NEG_INFINITY);
    for (s, &v) in omega.iter().enumerate() {
        if v > best {
            best = v;
            state = s;
        }
    }
    let mut path = vec![0; t_len];
    path[t_len - 1] = state;
    for t in (1..t_len).rev() {
        state = back[t * k + state];
        path[t - 1] = state;
    }
    (path, best)
}

/// log Σ exp(x), stable; −∞ for an empty slice.
pub(crate) fn log_sum_exp(x: &[f64]) -> f64 {
    let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + x.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng;

    /// A random tiny HMM: K states, T steps, log-emissions of a wide range (to test scaling).
    fn tiny(k: usize, t: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut rng = Rng(seed);
        let le: Vec<f64> = (0..t * k).map(|_| -30.0 * rng.uniform()).collect();
        let mut init: Vec<f64> = (0..k).map(|_| 0.1 + rng.uniform()).collect();
        let s: f64 = init.iter().sum();
        init.iter_mut().for_each(|p| *p /= s);
        let mut a: Vec<f64> = (0..k * k).map(|_| 0.1 + rng.uniform()).collect();
        for i in 0..k {
            let s: f64 = a[i * k..(i + 1) * k].iter().sum();
            a[i * k..(i + 1) * k].iter_mut().for_each(|p| *p /= s);
        }
        (le, init, a)
    }

    /// Every path's joint log-probability, by enumeration.
    fn paths(le: &[f64], k: usize, init: &[f64], a: &[f64]) -> Vec<(Vec<usize>, f64)> {
        let t = le.len() / k;
        (0..k.pow(t as u32))
            .map(|mut code| {
                let z: Vec<usize> = (0..t)
                    .map(|_| {
                        let s = code % k;
                        code /= k;
                        s
                    })
                    .collect();
                let mut lp = init[z[0]].ln() + le[z[0]];
                for s in 1..t {
                    lp += a[z[s - 1] * k + z[s]].ln() + le[s * k + z[s]];
                }
                (z, lp)
            })
            .collect()
    }

    #[test]
    fn forward_backward_matches_enumeration() {
        for (k, t, seed) in [(2, 6, 1), (3, 5, 2), (3, 1, 3), (4, 4, 4)] {
            let (le, init, a) = tiny(k, t, seed);
            let all = paths(&le, k, &init, &a);
            let lps: Vec<f64> = all.iter().map(|p| p.1).collect();
            let log_z = log_sum_exp(&lps);
            let mut gamma = vec![0.0; t * k];
            let mut xi = vec![0.0; k * k];
            for (z, lp) in &all {
                let w = (lp - log_z).exp();
                for s in 0..t {
                    gamma[s * k + z[s]] += w;
                }
                for s in 1..t {
                    xi[z[s - 1] * k + z[s]] += w;
                }
            }
            let post = forward_backward(&le, k, &init, &a);
            assert!(
                (post.log_likelihood - log_z).abs() < 1e-10,
                "{} vs {log_z}",
                post.log_likelihood
            );
            for (x, y) in post.gamma.iter().zip(&gamma) {
                assert!((x - y).abs() < 1e-12, "gamma {x} vs {y}");
            }
            for (x, y) in post.xi_sum.iter().zip(&xi) {
                assert!((x - y).abs() < 1e-12, "xi {x} vs {y}");
            }
            let (path, lp) = viterbi(&le, k, &init, &a);
            let best = all
                .iter()
                .max_by(|p, q| p.1.partial_cmp(&q.1).unwrap())
                .unwrap();
            assert_eq!(path, best.0);
            assert!((lp - best.1).abs() < 1e-10);
        }
    }

    #[test]
    fn long_sequences_do_not_underflow() {
        // 5000 steps of log-emissions near −700 per step: the unscaled α would be 0.
        let (k, t) = (3, 5000);
        let mut rng = Rng(9);
        let le: Vec<f64> = (0..t * k).map(|_| -700.0 - rng.uniform()).collect();
        let a = [0.9, 0.05, 0.05, 0.05, 0.9, 0.05, 0.05, 0.05, 0.9];
        let post = forward_backward(&le, k, &[1.0 / 3.0; 3], &a);
        assert!(post.log_likelihood.is_finite());
        for row in post.gamma.chunks(k) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
        assert!((post.xi_sum.iter().sum::<f64>() - (t - 1) as f64).abs() < 1e-6);
    }

    #[test]
    #[should_panic(expected = "expected K × K")]
    fn rejects_bad_transition_shape() {
        forward_backward(&[0.0; 4], 2, &[0.5, 0.5], &[1.0; 3]);
    }
}
