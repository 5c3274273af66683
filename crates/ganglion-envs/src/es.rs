//! Evolution strategies in the style of Salimans, Ho, Chen, Sidor & Sutskever (2017),
//! "Evolution strategies as a scalable alternative to reinforcement learning"
//! (arXiv:1703.03864), as the NCAP repository trains its swimmers (`estorch.ES` with
//! `scripts/experiments/train_swimmer_es.py`'s settings).
//!
//! One generation: draw `population/2` perturbations ε ~ N(0, σ²I), evaluate the fitness at
//! θ + ε and θ − ε (antithetic pairs), replace the fitnesses by their centred ranks in
//! \[−0.5, 0.5\] (fitness shaping), estimate the gradient g = Σᵢ rankᵢ εᵢ / (population · σ),
//! clip it elementwise to \[−1, 1\], and take an Adam step uphill with L2 weight decay (PyTorch's
//! `Adam(weight_decay=…)`, which adds `decay · θ` to the descent direction). Fitness calls run
//! on worker threads; the result does not depend on the thread count.

use crate::random::RandomState;

/// ES settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EsConfig {
    /// Evaluations per generation (even: antithetic pairs).
    pub population: usize,
    /// Perturbation standard deviation σ.
    pub sigma: f64,
    /// Adam learning rate.
    pub lr: f64,
    /// L2 weight decay (PyTorch Adam's `weight_decay`).
    pub weight_decay: f64,
    /// Elementwise bound on the gradient estimate (estorch clamps to ±1).
    pub grad_clip: f64,
    /// Worker threads evaluating the population.
    pub threads: usize,
    /// Seed of the perturbations (`RandomState`).
    pub seed: u32,
}

impl EsConfig {
    /// The NCAP repository's defaults: population 8, σ = 0.02, Adam lr 0.01, weight decay
    /// 0.005, gradient clipped to ±1; one thread, seed 1.
    pub fn ncap_repo() -> EsConfig {
        EsConfig {
            population: 8,
            sigma: 0.02,
            lr: 0.01,
            weight_decay: 0.005,
            grad_clip: 1.0,
            threads: 1,
            seed: 1,
        }
    }
}

/// estorch's `rank_transformation`: the rank of each fitness (0 = lowest) mapped linearly to
/// \[−0.5, 0.5\]. Ties are ranked in index order. A NaN fitness (a failed evaluation) ranks
/// below every number, −∞ included, so that it pushes the parameters away rather than
/// towards it (`f64::total_cmp` alone would rank a positive NaN first).
pub fn centered_ranks(fitness: &[f64]) -> Vec<f64> {
    let n = fitness.len();
    let mut order: Vec<usize> = (0..n).collect();
    // NaNs map to −∞ with a flag below it; equal keys keep index order.
    let key = |i: usize| {
        let f = fitness[i];
        (!f.is_nan(), if f.is_nan() { f64::NEG_INFINITY } else { f })
    };
    order.sort_by(|&a, &b| {
        let ((fa, va), (fb, vb)) = (key(a), key(b));
        fa.cmp(&fb).then(va.total_cmp(&vb)).then(a.cmp(&b))
    });
    let mut out = vec![0.0; n];
    if n == 1 {
        return out;
    }
    for (rank, &i) in order.iter().enumerate() {
        out[i] = rank as f64 / (n - 1) as f64 - 0.5;
    }
    out
}

/// Adam (Kingma & Ba 2015) as PyTorch implements it, with L2 weight decay added to the
/// gradient. Minimises: [`Adam::step`] moves θ against `grad`.
#[derive(Debug, Clone)]
pub struct Adam {
    lr: f64,
    weight_decay: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    /// Adam for `n` parameters (β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸).
    pub fn new(n: usize, lr: f64, weight_decay: f64) -> Adam {
        Adam {
            lr,
            weight_decay,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    /// One descent step on `theta` with gradient `grad` (both of length n).
    pub fn step(&mut self, theta: &mut [f64], grad: &[f64]) {
        assert!(
            theta.len() == self.m.len() && grad.len() == self.m.len(),
            "Adam for {} parameters given {} and a gradient of {}",
            self.m.len(),
            theta.len(),
            grad.len()
        );
        self.t += 1;
        let bc1 = 1.0 - self.beta1.powi(self.t);
        let bc2 = 1.0 - self.beta2.powi(self.t);
        for i in 0..theta.len() {
            let g = grad[i] + self.weight_decay * theta[i];
            self.m[i] = self.beta1 * self.m[i] + (1.0 - self.beta1) * g;
            self.v[i] = self.beta2 * self.v[i] + (1.0 - self.beta2) * g * g;
            let denom = self.v[i].sqrt() / bc2.sqrt() + self.eps;
            theta[i] -= self.lr / bc1 * self.m[i] / denom;
        }
    }
}

/// What one generation saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// Fitness of each member: the first half at θ + εᵢ, the second at θ − εᵢ.
    pub fitness: Vec<f64>,
    /// The clipped gradient estimate (ascent direction) that was applied.
    pub grad: Vec<f64>,
}

/// An evolution strategy maximising a fitness function of a parameter vector.
#[derive(Debug, Clone)]
pub struct Es {
    config: EsConfig,
    theta: Vec<f64>,
    adam: Adam,
    rng: RandomState,
}

impl Es {
    /// Starts from `theta`. Panics on an odd or zero population, σ ≤ 0, or zero threads.
    pub fn new(theta: Vec<f64>, config: EsConfig) -> Es {
        assert!(
            config.population >= 2 && config.population.is_multiple_of(2),
            "ES population {} must be even and at least 2 (antithetic pairs)",
            config.population
        );
        assert!(config.sigma > 0.0, "ES sigma {} must be > 0", config.sigma);
        assert!(config.threads >= 1, "ES needs at least one thread");
        Es {
            adam: Adam::new(theta.len(), config.lr, config.weight_decay),
            rng: RandomState::new(config.seed),
            theta,
            config,
        }
    }

    /// The current parameters.
    pub fn theta(&self) -> &[f64] {
        &self.theta
    }

    /// One generation: evaluates the population with `fitness` (higher is better; NaN counts as
    /// the worst, see [`centered_ranks`]) and updates the parameters.
    pub fn step(&mut self, fitness: &(dyn Fn(&[f64]) -> f64 + Sync)) -> Generation {
        let n = self.theta.len();
        let half = self.config.population / 2;
        let sigma = self.config.sigma;
        let eps: Vec<f64> = (0..half * n).map(|_| self.rng.normal(0.0, sigma)).collect();
        let member = |k: usize| -> Vec<f64> {
            let (row, sign) = if k < half { (k, 1.0) } else { (k - half, -1.0) };
            (0..n)
                .map(|i| self.theta[i] + sign * eps[row * n + i])
                .collect()
        };
        let pop = self.config.population;
        let mut fit = vec![0.0; pop];
        let threads = self.config.threads.min(pop);
        let chunk = pop.div_ceil(threads);
        std::thread::scope(|s| {
            for (c, out) in fit.chunks_mut(chunk).enumerate() {
                let member = &member;
                s.spawn(move || {
                    for (j, f) in out.iter_mut().enumerate() {
                        *f = fitness(&member(c * chunk + j));
                    }
                });
            }
        });
        let ranks = centered_ranks(&fit);
        let mut grad = vec![0.0; n];
        for row in 0..half {
            // θ + ε has rank r⁺ and θ − ε rank r⁻: together (r⁺ − r⁻) ε.
            let w = ranks[row] - ranks[row + half];
            for i in 0..n {
                grad[i] += w * eps[row * n + i];
            }
        }
        let clip = self.config.grad_clip;
        for g in &mut grad {
            *g = (*g / (pop as f64 * sigma)).clamp(-clip, clip);
        }
        let descent: Vec<f64> = grad.iter().map(|g| -g).collect();
        self.adam.step(&mut self.theta, &descent);
        Generation { fitness: fit, grad }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centered_ranks_match_estorch_example() {
        // estorch.rank_transformation's docstring example.
        let r = centered_ranks(&[-123.0, -50.0, 3.0, -5.0, 20.0, 10.0, 100.0]);
        let want = [-0.5, -1.0 / 3.0, 0.0, -1.0 / 6.0, 1.0 / 3.0, 1.0 / 6.0, 0.5];
        for (a, b) in r.iter().zip(want) {
            assert!((a - b).abs() < 1e-15, "{r:?}");
        }
        assert_eq!(centered_ranks(&[2.0, 2.0]), vec![-0.5, 0.5]);
        // NaN (either sign) ranks lowest, below −∞; NaNs tie in index order.
        assert_eq!(
            centered_ranks(&[f64::NAN, 1.0, f64::NEG_INFINITY, -f64::NAN, f64::INFINITY]),
            vec![-0.5, 0.25, 0.0, -0.25, 0.5]
        );
    }

    #[test]
    fn adam_first_steps_by_hand() {
        // Step 1: m = 0.1 g, v = 0.001 g², bias-corrected to g and g², so the step is
        // lr · g / (|g| + eps) ≈ lr · sign(g).
        let mut a = Adam::new(2, 0.1, 0.0);
        let mut th = [1.0, -1.0];
        a.step(&mut th, &[4.0, -0.5]);
        assert!(
            (th[0] - 0.9).abs() < 1e-8 && (th[1] + 0.9).abs() < 1e-8,
            "{th:?}"
        );
        // Weight decay adds decay·θ to the gradient: with a zero gradient it shrinks θ.
        let mut a = Adam::new(1, 0.01, 0.5);
        let mut th = [2.0];
        a.step(&mut th, &[0.0]);
        assert!((th[0] - 1.99).abs() < 1e-8, "{th:?}");
    }

    #[test]
    fn finds_the_optimum_of_a_quadratic() {
        let c = [1.0, -2.0, 0.5, 0.0];
        let f = |x: &[f64]| -> f64 { -x.iter().zip(&c).map(|(a, b)| (a - b).powi(2)).sum::<f64>() };
        let cfg = EsConfig {
            population: 40,
            sigma: 0.1,
            lr: 0.05,
            weight_decay: 0.0,
            grad_clip: 1.0,
            threads: 1,
            seed: 3,
        };
        let mut es = Es::new(vec![0.0; 4], cfg);
        let start = f(es.theta());
        for _ in 0..300 {
            es.step(&f);
        }
        let dist = (-f(es.theta())).sqrt();
        assert!(
            dist < 0.05,
            "ES ended {dist} from the optimum ({:?})",
            es.theta()
        );
        assert!(start < -5.0);
    }

    #[test]
    fn threads_do_not_change_the_result() {
        let f = |x: &[f64]| -> f64 { -(x[0] - 0.3).powi(2) - (x[1] + 0.1).abs() };
        let run = |threads: usize| {
            let mut es = Es::new(
                vec![0.0, 0.0],
                EsConfig {
                    threads,
                    ..EsConfig::ncap_repo()
                },
            );
            let g: Vec<Generation> = (0..5).map(|_| es.step(&f)).collect();
            (es.theta().to_vec(), g)
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn antithetic_pairs_mirror_each_other() {
        // Fitness linear in x: the pair's fitnesses are symmetric about f(θ), and the gradient
        // points along +x.
        let f = |x: &[f64]| -> f64 { x[0] };
        let mut es = Es::new(vec![0.5, 0.0], EsConfig::ncap_repo());
        let g = es.step(&f);
        for k in 0..4 {
            assert!((g.fitness[k] + g.fitness[k + 4] - 1.0).abs() < 1e-15);
        }
        assert!(g.grad[0] > 0.0);
        assert!(es.theta()[0] > 0.5);
    }
}
