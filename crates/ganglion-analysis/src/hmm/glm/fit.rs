//! Fitting the HMM-GLM (see the parent module's docs): EM with the forward–backward E-step,
//! Newton M-steps per neuron under the naive, Gaussian or one-hot prior, and restarts.

use faer::Mat;

use super::*;
use crate::hmm::log_sum_exp;
use crate::special::ln_normal_cdf;

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
