//! Proximal policy optimisation (Schulman, Wolski, Dhariwal, Radford & Klimov 2017,
//! "Proximal policy optimization algorithms", arXiv:1707.06347) with generalised advantage
//! estimation (Schulman, Moritz, Levine, Jordan & Abbeel 2016, arXiv:1506.02438), written
//! out with hand-derived gradients.
//!
//! - Policy: a Gaussian N(μ(s), diag σ²) whose mean comes from an [`Actor`] — a tanh MLP on
//!   the normalised observation ([`MlpActor`]) or the NCAP circuit on the raw joint angles
//!   and the time step ([`NcapActor`], as the NCAP repository's `ppo_swimmer_model` does:
//!   the circuit's torques are the mean, σ fixed at 0.1) — and a state-independent log σ
//!   (one per action, learned or fixed).
//! - Critic: a tanh MLP on the normalised observation plus a time feature 2t/T − 1 (the
//!   episodes are time-limited, so the value depends on the time left).
//! - Observations are normalised by running means and variances (clipped to ±5), updated
//!   after each rollout; each sample keeps the normalised input it was acted on, so the
//!   probability ratios start at exactly 1.
//! - Rollouts: `envs` environments stepped for `steps` control steps each per update,
//!   spread over worker threads (each environment has its own random stream, so the data do
//!   not depend on the thread count). Episodes end at the environment's horizon (a time
//!   limit: the last step bootstraps from the value of the final state).
//! - GAE(γ, λ) advantages, normalised over the batch; returns = advantages + values.
//! - Update: `epochs` passes over the batch in shuffled minibatches, each an Adam step on the
//!   clipped surrogate −min(r·A, clip(r, 1 ± ε)·A) (actor and log σ) and one on ½(V − R)²
//!   (critic), gradients clipped to a global norm.
//!
//! Gradients: ∂log π/∂μⱼ = (aⱼ − μⱼ)/σⱼ², ∂log π/∂log σⱼ = (aⱼ − μⱼ)²/σⱼ² − 1, and the
//! surrogate passes r·A·∂log π where the unclipped term is the minimum (zero where the clip is
//! active); μ's gradient is backpropagated through the actor ([`crate::mlp::Mlp::backward`],
//! or NCAP's piecewise-linear circuit with PyTorch's clamp subgradients).

use crate::es::Adam;
use crate::mlp::Mlp;
use crate::ncap::{Ncap, Sign};
use crate::random::RandomState;

/// Errors from PPO.
#[derive(Debug, thiserror::Error)]
pub enum PpoError {
    /// The environment failed.
    #[error("environment failed: {0}")]
    Env(String),
    /// An inconsistent setting.
    #[error("PPO setting: {0}")]
    Config(String),
}

/// A time-limited environment for [`Ppo`]: no terminal states other than the horizon.
pub trait Env: Send {
    /// Observation length.
    fn obs_len(&self) -> usize;
    /// Action length.
    fn act_len(&self) -> usize;
    /// Episode length \[steps\].
    fn horizon(&self) -> usize;
    /// Starts an episode (deterministically from `seed`); returns the first observation.
    fn reset(&mut self, seed: u32) -> Result<Vec<f64>, String>;
    /// One step; returns the next observation and the reward.
    fn step(&mut self, action: &[f64]) -> Result<(Vec<f64>, f64), String>;
}

/// What an actor sees at one step.
#[derive(Debug, Clone, Copy)]
pub struct ActorInput<'a> {
    /// The observation as the environment gave it.
    pub raw: &'a [f64],
    /// The observation normalised by the running statistics.
    pub norm: &'a [f64],
    /// Steps since the episode began (0-based).
    pub t: usize,
}

/// The mean of a Gaussian policy, with its gradient.
pub trait Actor: Clone + Send + Sync {
    /// The parameters (flat).
    fn params(&self) -> &[f64];
    /// Replaces the parameters.
    fn set_params(&mut self, p: &[f64]);
    /// Writes the mean action μ(input) to `mean`.
    fn mean(&self, input: &ActorInput, mean: &mut [f64]);
    /// Adds to `grad` (length of [`Actor::params`]) the gradient of a loss whose derivative
    /// with respect to μ(input) is `dmean`.
    fn backward(&self, input: &ActorInput, dmean: &[f64], grad: &mut [f64]);
}

/// An MLP mean on the normalised observation (tanh hidden layers, linear output).
#[derive(Debug, Clone)]
pub struct MlpActor(pub Mlp);

impl MlpActor {
    /// An MLP of layer sizes `sizes` ([`Mlp::new`]) whose output layer's weights are scaled
    /// by 0.01, so that the initial mean is near 0 (the usual PPO initialisation, e.g.
    /// Stable-Baselines3's output gain 0.01).
    pub fn new(sizes: &[usize], seed: u32) -> MlpActor {
        let mut m = Mlp::new(sizes, seed);
        let k = sizes.len();
        let last = sizes[k - 2] * sizes[k - 1] + sizes[k - 1];
        let mut p = m.params().to_vec();
        let len = p.len();
        p[len - last..].iter_mut().for_each(|x| *x *= 0.01);
        m.set_params(&p);
        MlpActor(m)
    }
}

impl Actor for MlpActor {
    fn params(&self) -> &[f64] {
        self.0.params()
    }
    fn set_params(&mut self, p: &[f64]) {
        self.0.set_params(p);
    }
    fn mean(&self, input: &ActorInput, mean: &mut [f64]) {
        self.0.forward(input.norm, mean);
    }
    fn backward(&self, input: &ActorInput, dmean: &[f64], grad: &mut [f64]) {
        let acts = self.0.activations(input.norm);
        self.0.backward(&acts, dmean, grad);
    }
}

/// The shared-weight NCAP circuit ([`crate::ncap`], 4 parameters, sign-constrained or not) as
/// a policy mean: reads the first `joints` entries of the raw observation (joint angles
/// \[rad\]), normalises them by the joint limit 2π/(joints + 1) and clamps them to \[−1, 1\],
/// and uses the episode's step counter for the oscillator. The gradient follows PyTorch's
/// `clamp` (derivative 1 where the input lies within the bounds, ends included, else 0).
#[derive(Debug, Clone)]
pub struct NcapActor {
    ncap: Ncap,
}

impl NcapActor {
    /// Wraps a shared-weight circuit. Panics for the per-joint (unshared) variant.
    pub fn new(ncap: Ncap) -> NcapActor {
        assert!(
            ncap.config().shared && ncap.params().len() == 4,
            "NcapActor supports the shared 4-parameter circuit, got {} parameters",
            ncap.params().len()
        );
        NcapActor { ncap }
    }

    /// The circuit.
    pub fn ncap(&self) -> &Ncap {
        &self.ncap
    }

    fn joints(&self, raw: &[f64]) -> Vec<f64> {
        let n = self.ncap.config().joints;
        let limit = crate::swimmer::joint_limit(n + 1);
        raw[..n]
            .iter()
            .map(|a| (a / limit).clamp(-1.0, 1.0))
            .collect()
    }

    /// Effective weight of parameter k and its derivative with respect to the raw one.
    fn weight(&self, k: usize) -> (f64, f64) {
        let p = self.ncap.params()[k];
        if !self.ncap.config().constrained {
            return (p, 1.0);
        }
        match self.ncap.signs()[k] {
            Sign::Excitatory => (p.max(0.0), if p >= 0.0 { 1.0 } else { 0.0 }),
            Sign::Inhibitory => (p.min(0.0), if p <= 0.0 { 1.0 } else { 0.0 }),
        }
    }

    /// Torques and, when `dmean` is given, the parameter gradient added to `grad`.
    fn run(&self, input: &ActorInput, out: &mut [f64], back: Option<(&[f64], &mut [f64])>) {
        let q = self.joints(input.raw);
        let (osc_d, osc_v) = self.ncap.oscillator(input.t);
        // Parameter order of the shared circuit: prop, osc, ipsi, contra.
        let w: [(f64, f64); 4] = std::array::from_fn(|k| self.weight(k));
        let inside = |x: f64| if (0.0..=1.0).contains(&x) { 1.0 } else { 0.0 };
        let mut g = [0.0; 4];
        for i in 0..q.len() {
            // B-neuron inputs: (value, ∂/∂w_prop, ∂/∂w_osc) before the graded clamp.
            let (mut bd, mut bv) = (0.0, 0.0);
            let (mut dbd, mut dbv) = ([0.0; 2], [0.0; 2]);
            if i > 0 {
                let (pd, pv) = (q[i - 1].clamp(0.0, 1.0), (-q[i - 1]).clamp(0.0, 1.0));
                bd += pd * w[0].0;
                bv += pv * w[0].0;
                dbd[0] += pd;
                dbv[0] += pv;
            } else {
                bd += osc_d * w[1].0;
                bv += osc_v * w[1].0;
                dbd[1] += osc_d;
                dbv[1] += osc_v;
            }
            let (gd, gv) = (inside(bd), inside(bv));
            let (bd, bv) = (bd.clamp(0.0, 1.0), bv.clamp(0.0, 1.0));
            let md = bd * w[2].0 + bv * w[3].0;
            let mv = bv * w[2].0 + bd * w[3].0;
            out[i] = md.clamp(0.0, 1.0) - mv.clamp(0.0, 1.0);
            if let Some((dmean, _)) = &back {
                let d = dmean[i];
                let (hd, hv) = (d * inside(md), -d * inside(mv));
                // Muscle weights directly.
                g[2] += hd * bd + hv * bv;
                g[3] += hd * bv + hv * bd;
                // Through the B-neurons.
                let dbd_total = (hd * w[2].0 + hv * w[3].0) * gd;
                let dbv_total = (hd * w[3].0 + hv * w[2].0) * gv;
                for k in 0..2 {
                    g[k] += dbd_total * dbd[k] + dbv_total * dbv[k];
                }
            }
        }
        if let Some((_, grad)) = back {
            for k in 0..4 {
                grad[k] += g[k] * w[k].1;
            }
        }
    }
}

impl Actor for NcapActor {
    fn params(&self) -> &[f64] {
        self.ncap.params()
    }
    fn set_params(&mut self, p: &[f64]) {
        self.ncap.set_params(p);
    }
    fn mean(&self, input: &ActorInput, mean: &mut [f64]) {
        self.run(input, mean, None);
    }
    fn backward(&self, input: &ActorInput, dmean: &[f64], grad: &mut [f64]) {
        let mut out = vec![0.0; self.ncap.config().joints];
        self.run(input, &mut out, Some((dmean, grad)));
    }
}

/// PPO settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PpoConfig {
    /// Environments stepped per update.
    pub envs: usize,
    /// Steps per environment per update (batch = envs · steps).
    pub steps: usize,
    /// Passes over each batch.
    pub epochs: usize,
    /// Samples per minibatch.
    pub minibatch: usize,
    /// Discount γ.
    pub gamma: f64,
    /// GAE λ.
    pub lambda: f64,
    /// Clip range ε of the probability ratio.
    pub clip: f64,
    /// Actor (and log σ) Adam learning rate.
    pub lr_actor: f64,
    /// Critic Adam learning rate.
    pub lr_critic: f64,
    /// Global gradient-norm bound for each network's step (∞: none).
    pub max_grad_norm: f64,
    /// Initial log σ of every action.
    pub log_std: f64,
    /// Whether log σ is learned (else fixed).
    pub learn_log_std: bool,
    /// Entropy bonus coefficient.
    pub entropy: f64,
    /// Critic hidden layer sizes (tanh).
    pub critic_hidden: Vec<usize>,
    /// Worker threads for rollouts and gradients.
    pub threads: usize,
    /// Seed of the critic's initial weights, the action noise, the episode starts and the
    /// minibatch order.
    pub seed: u32,
}

impl Default for PpoConfig {
    /// Stable-Baselines3's PPO defaults (γ = 0.99, λ = 0.95, ε = 0.2, actor Adam 3·10⁻⁴,
    /// 10 epochs of 64-sample minibatches, gradient norm 0.5, learned log σ from 0) with a
    /// 64-64 tanh critic at Adam 10⁻³; 4 environments × 512 steps per update, one thread.
    fn default() -> PpoConfig {
        PpoConfig {
            envs: 4,
            steps: 512,
            epochs: 10,
            minibatch: 64,
            gamma: 0.99,
            lambda: 0.95,
            clip: 0.2,
            lr_actor: 3e-4,
            lr_critic: 1e-3,
            max_grad_norm: 0.5,
            log_std: 0.0,
            learn_log_std: true,
            entropy: 0.0,
            critic_hidden: vec![64, 64],
            threads: 1,
            seed: 0,
        }
    }
}

/// Running mean and variance of observations (Chan et al.'s parallel update).
#[derive(Debug, Clone)]
pub struct Normalizer {
    count: f64,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl Normalizer {
    /// For observations of length `n`; normalises as the identity until updated.
    pub fn new(n: usize) -> Normalizer {
        Normalizer {
            count: 0.0,
            mean: vec![0.0; n],
            m2: vec![0.0; n],
        }
    }

    /// Adds a batch of observations (rows of length n, row-major).
    pub fn update(&mut self, rows: &[f64]) {
        let n = self.mean.len();
        let k = (rows.len() / n) as f64;
        if k == 0.0 {
            return;
        }
        for j in 0..n {
            let col = rows.iter().skip(j).step_by(n);
            let bm = col.clone().sum::<f64>() / k;
            let bm2: f64 = col.map(|x| (x - bm) * (x - bm)).sum();
            let tot = self.count + k;
            let d = bm - self.mean[j];
            self.mean[j] += d * k / tot;
            self.m2[j] += bm2 + d * d * self.count * k / tot;
        }
        self.count += k;
    }

    /// (x − mean)/√(var + 10⁻⁸), clipped to ±5; x itself before any update.
    pub fn apply(&self, x: &[f64], out: &mut [f64]) {
        if self.count == 0.0 {
            out.copy_from_slice(x);
            return;
        }
        for j in 0..x.len() {
            let var = self.m2[j] / self.count;
            out[j] = ((x[j] - self.mean[j]) / (var + 1e-8).sqrt()).clamp(-5.0, 5.0);
        }
    }
}

/// One worker's rollout: its samples and the returns of the episodes it finished.
type WorkerRollout = Result<(Vec<Sample>, Vec<f64>), String>;

/// One environment with its episode in progress and its random stream.
struct Worker<E> {
    env: E,
    index: usize,
    rng: RandomState,
    obs: Vec<f64>,
    t: usize,
    episodes: usize,
    ret: f64,
}

/// One transition as stored for the update.
#[derive(Debug, Clone)]
struct Sample {
    raw: Vec<f64>,
    norm: Vec<f64>,
    t: usize,
    action: Vec<f64>,
    logp: f64,
    value: f64,
    reward: f64,
    next_value: f64,
    /// The episode ended with this step, or the rollout did: the GAE chain is cut here.
    cut: bool,
}

/// What one update saw and did.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateStats {
    /// Environment steps taken so far (all updates).
    pub env_steps: usize,
    /// Returns of the episodes that finished during this update's rollout.
    pub episode_returns: Vec<f64>,
    /// Mean approximate KL divergence old → new over the last epoch's minibatches.
    pub approx_kl: f64,
    /// Fraction of samples whose ratio was clipped in the last epoch.
    pub clip_fraction: f64,
    /// Mean ½(V − R)² over the last epoch.
    pub value_loss: f64,
}

/// The PPO learner.
pub struct Ppo<A: Actor, E: Env> {
    config: PpoConfig,
    actor: A,
    log_std: Vec<f64>,
    critic: Mlp,
    norm: Normalizer,
    actor_adam: Adam,
    critic_adam: Adam,
    workers: Vec<Worker<E>>,
    rng: RandomState,
    env_steps: usize,
    obs_len: usize,
    act_len: usize,
    horizon: usize,
}

/// log N(a; μ, σ²) summed over actions.
fn log_prob(a: &[f64], mu: &[f64], log_std: &[f64]) -> f64 {
    let c = 0.5 * (2.0 * std::f64::consts::PI).ln();
    a.iter()
        .zip(mu)
        .zip(log_std)
        .map(|((a, m), ls)| {
            let z = (a - m) / ls.exp();
            -0.5 * z * z - ls - c
        })
        .sum()
}

fn global_clip(g: &mut [f64], max: f64) {
    let n = g.iter().map(|x| x * x).sum::<f64>().sqrt();
    if n > max {
        g.iter_mut().for_each(|x| *x *= max / n);
    }
}

/// The seed of environment `index`'s episode number `episode`.
fn episode_seed(seed: u32, index: usize, episode: usize) -> u32 {
    seed.wrapping_mul(1_000_003)
        .wrapping_add((index as u32).wrapping_mul(7919))
        .wrapping_add((episode as u32).wrapping_mul(104_729))
}

impl<A: Actor, E: Env> Ppo<A, E> {
    /// A learner for `actor` on `envs` (one per parallel environment, `config.envs` of
    /// them, all with the same lengths and horizon).
    pub fn new(actor: A, envs: Vec<E>, config: PpoConfig) -> Result<Ppo<A, E>, PpoError> {
        let bad = |m: String| Err(PpoError::Config(m));
        if envs.len() != config.envs || envs.is_empty() {
            return bad(format!(
                "config.envs = {} but {} environments were given (need ≥ 1, equal)",
                config.envs,
                envs.len()
            ));
        }
        let (obs_len, act_len, horizon) = (envs[0].obs_len(), envs[0].act_len(), envs[0].horizon());
        if envs
            .iter()
            .any(|e| e.obs_len() != obs_len || e.act_len() != act_len || e.horizon() != horizon)
        {
            return bad("the environments differ in observation, action or horizon length".into());
        }
        if config.steps == 0 || config.epochs == 0 || config.minibatch == 0 || horizon == 0 {
            return bad(format!(
                "steps {}, epochs {}, minibatch {} and the horizon {horizon} must be ≥ 1",
                config.steps, config.epochs, config.minibatch
            ));
        }
        if !(0.0..=1.0).contains(&config.gamma)
            || !(0.0..=1.0).contains(&config.lambda)
            || !(config.clip > 0.0)
        {
            return bad(format!(
                "gamma {} and lambda {} must lie in [0, 1] and clip {} be > 0",
                config.gamma, config.lambda, config.clip
            ));
        }
        let mut sizes = vec![obs_len + 1];
        sizes.extend_from_slice(&config.critic_hidden);
        sizes.push(1);
        let mut critic = Mlp::new(&sizes, config.seed.wrapping_add(17));
        // A zero last layer: the value starts at 0 everywhere.
        let mut p = critic.params().to_vec();
        let n_last = sizes[sizes.len() - 2] + 1;
        let len = p.len();
        p[len - n_last..].iter_mut().for_each(|x| *x = 0.0);
        critic.set_params(&p);
        let n_actor = actor.params().len() + act_len;
        let workers = envs
            .into_iter()
            .enumerate()
            .map(|(index, env)| Worker {
                env,
                index,
                rng: RandomState::new(config.seed.wrapping_mul(31).wrapping_add(index as u32)),
                obs: Vec::new(),
                t: horizon,
                episodes: 0,
                ret: 0.0,
            })
            .collect();
        Ok(Ppo {
            log_std: vec![config.log_std; act_len],
            actor_adam: Adam::new(n_actor, config.lr_actor, 0.0),
            critic_adam: Adam::new(critic.params().len(), config.lr_critic, 0.0),
            norm: Normalizer::new(obs_len),
            rng: RandomState::new(config.seed.wrapping_add(99)),
            actor,
            critic,
            workers,
            config,
            env_steps: 0,
            obs_len,
            act_len,
            horizon,
        })
    }

    /// The actor (its mean is the deterministic policy).
    pub fn actor(&self) -> &A {
        &self.actor
    }
    /// log σ per action.
    pub fn log_std(&self) -> &[f64] {
        &self.log_std
    }
    /// The observation normaliser (for acting with the mean outside training).
    pub fn normalizer(&self) -> &Normalizer {
        &self.norm
    }
    /// Environment steps taken.
    pub fn env_steps(&self) -> usize {
        self.env_steps
    }

    fn value(critic: &Mlp, norm: &[f64], t: usize, horizon: usize) -> f64 {
        let mut x = norm.to_vec();
        x.push(2.0 * t as f64 / horizon as f64 - 1.0);
        let mut v = [0.0];
        critic.forward(&x, &mut v);
        v[0]
    }

    /// Collects one rollout: per worker, `steps` transitions in order.
    fn rollout(&mut self) -> Result<(Vec<Vec<Sample>>, Vec<f64>), PpoError> {
        let steps = self.config.steps;
        let horizon = self.horizon;
        let seed = self.config.seed;
        let (actor, critic, norm, log_std) = (&self.actor, &self.critic, &self.norm, &self.log_std);
        let (obs_len, act_len) = (self.obs_len, self.act_len);
        let threads = self.config.threads.clamp(1, self.workers.len());
        let chunk = self.workers.len().div_ceil(threads);
        let run = |w: &mut Worker<E>| -> Result<(Vec<Sample>, Vec<f64>), String> {
            let mut out = Vec::with_capacity(steps);
            let mut finished = Vec::new();
            let mut normed = vec![0.0; obs_len];
            let mut mu = vec![0.0; act_len];
            for k in 0..steps {
                if w.t >= horizon {
                    w.obs = w.env.reset(episode_seed(seed, w.index, w.episodes))?;
                    w.episodes += 1;
                    w.t = 0;
                    w.ret = 0.0;
                }
                norm.apply(&w.obs, &mut normed);
                let input = ActorInput {
                    raw: &w.obs,
                    norm: &normed,
                    t: w.t,
                };
                actor.mean(&input, &mut mu);
                let action: Vec<f64> = mu
                    .iter()
                    .zip(log_std)
                    .map(|(m, ls)| m + ls.exp() * w.rng.randn())
                    .collect();
                let logp = log_prob(&action, &mu, log_std);
                let value = Self::value(critic, &normed, w.t, horizon);
                let (next, reward) = w.env.step(&action)?;
                w.t += 1;
                w.ret += reward;
                let end = w.t >= horizon;
                let mut next_norm = vec![0.0; obs_len];
                norm.apply(&next, &mut next_norm);
                let next_value = Self::value(critic, &next_norm, w.t, horizon);
                out.push(Sample {
                    raw: std::mem::replace(&mut w.obs, next),
                    norm: normed.clone(),
                    t: w.t - 1,
                    action,
                    logp,
                    value,
                    reward,
                    next_value,
                    cut: end || k + 1 == steps,
                });
                if end {
                    finished.push(w.ret);
                }
            }
            Ok((out, finished))
        };
        let results: Vec<WorkerRollout> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .workers
                .chunks_mut(chunk)
                .map(|ws| {
                    let run = &run;
                    s.spawn(move || ws.iter_mut().map(run).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a rollout worker panicked"))
                .collect()
        });
        let mut per_env = Vec::with_capacity(results.len());
        let mut returns = Vec::new();
        for r in results {
            let (samples, finished) = r.map_err(PpoError::Env)?;
            per_env.push(samples);
            returns.extend(finished);
        }
        Ok((per_env, returns))
    }

    /// GAE advantages (normalised over the batch) and returns, in sample order.
    fn advantages(&self, per_env: &[Vec<Sample>]) -> (Vec<f64>, Vec<f64>) {
        let (g, l) = (self.config.gamma, self.config.lambda);
        let mut adv = Vec::new();
        let mut ret = Vec::new();
        for samples in per_env {
            let mut a = vec![0.0; samples.len()];
            let mut next = 0.0;
            for (k, s) in samples.iter().enumerate().rev() {
                let delta = s.reward + g * s.next_value - s.value;
                let carry = if s.cut { 0.0 } else { next };
                a[k] = delta + g * l * carry;
                next = a[k];
            }
            ret.extend(a.iter().zip(samples).map(|(a, s)| a + s.value));
            adv.extend(a);
        }
        let n = adv.len() as f64;
        let m = adv.iter().sum::<f64>() / n;
        let sd = (adv.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / n).sqrt();
        adv.iter_mut().for_each(|a| *a = (*a - m) / (sd + 1e-8));
        (adv, ret)
    }

    /// The minibatch gradients: actor (params then log σ) of the clipped surrogate with the
    /// entropy bonus, critic of ½(V − R)², both averaged over the minibatch; plus the sums
    /// of the approximate KL, the clipped count and the value loss.
    fn gradients(&self, batch: &[(&Sample, f64, f64)]) -> (Vec<f64>, Vec<f64>, [f64; 3]) {
        let na = self.actor.params().len();
        let threads = self.config.threads.clamp(1, batch.len());
        let chunk = batch.len().div_ceil(threads);
        let eps = self.config.clip;
        let horizon = self.horizon;
        let (actor, critic, log_std, act_len) =
            (&self.actor, &self.critic, &self.log_std, self.act_len);
        let part = |items: &[(&Sample, f64, f64)]| {
            let mut ga = vec![0.0; na + act_len];
            let mut gc = vec![0.0; critic.params().len()];
            let mut sums = [0.0; 3];
            let mut mu = vec![0.0; act_len];
            let mut dmu = vec![0.0; act_len];
            for (s, adv, ret) in items {
                let input = ActorInput {
                    raw: &s.raw,
                    norm: &s.norm,
                    t: s.t,
                };
                actor.mean(&input, &mut mu);
                let logp = log_prob(&s.action, &mu, log_std);
                let r = (logp - s.logp).exp();
                sums[0] += s.logp - logp;
                let clipped = (*adv >= 0.0 && r > 1.0 + eps) || (*adv < 0.0 && r < 1.0 - eps);
                if clipped {
                    sums[1] += 1.0;
                } else {
                    // d(−r·A)/d log π = −r·A.
                    let c = -r * adv;
                    for j in 0..act_len {
                        let var = (2.0 * log_std[j]).exp();
                        let d = s.action[j] - mu[j];
                        dmu[j] = c * d / var;
                        ga[na + j] += c * (d * d / var - 1.0);
                    }
                    actor.backward(&input, &dmu, &mut ga[..na]);
                }
                let mut x = s.norm.clone();
                x.push(2.0 * s.t as f64 / horizon as f64 - 1.0);
                let acts = critic.activations(&x);
                let v = acts[acts.len() - 1][0];
                sums[2] += 0.5 * (v - ret) * (v - ret);
                critic.backward(&acts, &[v - ret], &mut gc);
            }
            (ga, gc, sums)
        };
        let parts: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .chunks(chunk)
                .map(|c| {
                    let part = &part;
                    s.spawn(move || part(c))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a gradient worker panicked"))
                .collect()
        });
        let mut ga = vec![0.0; na + self.act_len];
        let mut gc = vec![0.0; self.critic.params().len()];
        let mut sums = [0.0; 3];
        for (a, c, s) in parts {
            ga.iter_mut().zip(a).for_each(|(x, y)| *x += y);
            gc.iter_mut().zip(c).for_each(|(x, y)| *x += y);
            sums.iter_mut().zip(s).for_each(|(x, y)| *x += y);
        }
        let n = batch.len() as f64;
        ga.iter_mut().for_each(|x| *x /= n);
        gc.iter_mut().for_each(|x| *x /= n);
        for g in &mut ga[na..] {
            // Entropy Σ log σ + const: its gradient is 1 per log σ; the loss subtracts it.
            *g -= self.config.entropy;
        }
        (ga, gc, sums)
    }

    /// One update: a rollout, then the PPO epochs.
    pub fn update(&mut self) -> Result<UpdateStats, PpoError> {
        let (per_env, episode_returns) = self.rollout()?;
        let (adv, ret) = self.advantages(&per_env);
        let samples: Vec<&Sample> = per_env.iter().flatten().collect();
        self.env_steps += samples.len();
        let na = self.actor.params().len();
        let mut last = [0.0; 3];
        for epoch in 0..self.config.epochs {
            let mut order: Vec<usize> = (0..samples.len()).collect();
            for i in (1..order.len()).rev() {
                let j = (self.rng.rand() * (i + 1) as f64) as usize;
                order.swap(i, j.min(i));
            }
            let mut sums = [0.0; 3];
            for mb in order.chunks(self.config.minibatch) {
                let batch: Vec<(&Sample, f64, f64)> =
                    mb.iter().map(|&i| (samples[i], adv[i], ret[i])).collect();
                let (mut ga, mut gc, s) = self.gradients(&batch);
                sums.iter_mut().zip(s).for_each(|(x, y)| *x += y);
                global_clip(&mut ga, self.config.max_grad_norm);
                global_clip(&mut gc, self.config.max_grad_norm);
                let mut theta: Vec<f64> = self.actor.params().to_vec();
                theta.extend_from_slice(&self.log_std);
                if !self.config.learn_log_std {
                    ga[na..].iter_mut().for_each(|g| *g = 0.0);
                }
                self.actor_adam.step(&mut theta, &ga);
                self.actor.set_params(&theta[..na]);
                if self.config.learn_log_std {
                    self.log_std.copy_from_slice(&theta[na..]);
                }
                let mut c = self.critic.params().to_vec();
                self.critic_adam.step(&mut c, &gc);
                self.critic.set_params(&c);
            }
            if epoch + 1 == self.config.epochs {
                last = sums;
            }
        }
        let raws: Vec<f64> = samples.iter().flat_map(|s| s.raw.iter().copied()).collect();
        self.norm.update(&raws);
        let n = samples.len() as f64;
        Ok(UpdateStats {
            env_steps: self.env_steps,
            episode_returns,
            approx_kl: last[0] / n,
            clip_fraction: last[1] / n,
            value_loss: last[2] / n,
        })
    }

    /// The deterministic policy's (mean action's) return over one episode of `env` from
    /// `seed`.
    pub fn evaluate(&self, env: &mut E, seed: u32) -> Result<f64, PpoError> {
        evaluate_mean(&self.actor, &self.norm, env, seed)
    }
}

/// The return of one episode (the environment's horizon) acting with `actor`'s mean on
/// observations normalised by `norm`.
pub fn evaluate_mean<A: Actor, E: Env>(
    actor: &A,
    norm: &Normalizer,
    env: &mut E,
    seed: u32,
) -> Result<f64, PpoError> {
    let mut obs = env.reset(seed).map_err(PpoError::Env)?;
    let mut normed = vec![0.0; env.obs_len()];
    let mut mu = vec![0.0; env.act_len()];
    let mut total = 0.0;
    for t in 0..env.horizon() {
        norm.apply(&obs, &mut normed);
        actor.mean(
            &ActorInput {
                raw: &obs,
                norm: &normed,
                t,
            },
            &mut mu,
        );
        let (o, r) = env.step(&mu).map_err(PpoError::Env)?;
        obs = o;
        total += r;
    }
    Ok(total)
}

/// A point mass on a plane that must reach a goal — a small control task for testing PPO.
/// State: position p and velocity v (2-D each); action a ∈ \[−1, 1\]² (clamped) accelerates
/// it: v ← 0.7·v + 0.3·a, p ← p + 0.1·v. Observation (p, v, g − p); reward −|p − g| per
/// step. Episodes start at rest at a random p with a random goal g, both uniform in
/// \[−1, 1\]², and last `horizon` steps.
#[derive(Debug, Clone)]
pub struct PointMass {
    p: [f64; 2],
    v: [f64; 2],
    g: [f64; 2],
    horizon: usize,
}

impl PointMass {
    /// A point mass with episodes of `horizon` steps.
    pub fn new(horizon: usize) -> PointMass {
        PointMass {
            p: [0.0; 2],
            v: [0.0; 2],
            g: [0.0; 2],
            horizon,
        }
    }
    fn obs(&self) -> Vec<f64> {
        vec![
            self.p[0],
            self.p[1],
            self.v[0],
            self.v[1],
            self.g[0] - self.p[0],
            self.g[1] - self.p[1],
        ]
    }
}

impl Env for PointMass {
    fn obs_len(&self) -> usize {
        6
    }
    fn act_len(&self) -> usize {
        2
    }
    fn horizon(&self) -> usize {
        self.horizon
    }
    fn reset(&mut self, seed: u32) -> Result<Vec<f64>, String> {
        let mut r = RandomState::new(seed);
        self.p = [r.uniform(-1.0, 1.0), r.uniform(-1.0, 1.0)];
        self.g = [r.uniform(-1.0, 1.0), r.uniform(-1.0, 1.0)];
        self.v = [0.0; 2];
        Ok(self.obs())
    }
    fn step(&mut self, action: &[f64]) -> Result<(Vec<f64>, f64), String> {
        if action.len() != 2 || action.iter().any(|a| !a.is_finite()) {
            return Err(format!(
                "point mass: action must be 2 finite numbers, got {action:?}"
            ));
        }
        for (k, a) in action.iter().enumerate() {
            self.v[k] = 0.7 * self.v[k] + 0.3 * a.clamp(-1.0, 1.0);
            self.p[k] += 0.1 * self.v[k];
        }
        let d = ((self.p[0] - self.g[0]).powi(2) + (self.p[1] - self.g[1]).powi(2)).sqrt();
        Ok((self.obs(), -d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ncap::NcapConfig;

    #[test]
    fn ncap_actor_matches_the_circuit() {
        for constrained in [true, false] {
            let mut c = Ncap::new(
                NcapConfig {
                    constrained,
                    ..NcapConfig::paper(5)
                },
                3,
            );
            c.set_params(&[0.7, 1.3, 0.4, -0.6]);
            let a = NcapActor::new(c.clone());
            let raw = [0.4, -0.9, 0.1, 1.5, -0.2, 9.0, 9.0];
            for t in [0, 29, 30, 59, 61] {
                let mut want = [0.0; 5];
                let obs = crate::swimmer::Observation {
                    joints: raw[..5].to_vec(),
                    to_target: [0.0; 2],
                    body_velocities: vec![],
                };
                crate::rollout::Policy::act(&c, t, &obs, &mut want);
                let mut got = [0.0; 5];
                a.mean(
                    &ActorInput {
                        raw: &raw,
                        norm: &raw,
                        t,
                    },
                    &mut got,
                );
                assert_eq!(got, want, "t = {t}, constrained {constrained}");
            }
        }
    }

    /// Central finite difference of Σ c·μ over the actor's parameters.
    fn fd_check<A: Actor>(actor: &A, input: &ActorInput, c: &[f64], tol: f64) {
        let mut grad = vec![0.0; actor.params().len()];
        actor.backward(input, c, &mut grad);
        let f = |a: &A| {
            let mut mu = vec![0.0; c.len()];
            a.mean(input, &mut mu);
            mu.iter().zip(c).map(|(m, c)| m * c).sum::<f64>()
        };
        let h = 1e-6;
        for k in 0..grad.len() {
            let mut p = actor.params().to_vec();
            let mut up = actor.clone();
            p[k] += h;
            up.set_params(&p);
            let mut down = actor.clone();
            p[k] -= 2.0 * h;
            down.set_params(&p);
            let fd = (f(&up) - f(&down)) / (2.0 * h);
            assert!(
                (fd - grad[k]).abs() < tol,
                "param {k}: finite difference {fd}, backward {}",
                grad[k]
            );
        }
    }

    #[test]
    fn ncap_gradient_matches_finite_differences() {
        // Weights and angles away from the clamps' kinks, so the circuit is differentiable
        // there: B-neurons and muscles strictly inside (0, 1) or outside.
        let raw = [0.35, -0.5, 0.2, -0.15, 0.4, 0.0];
        let c = [0.9, -1.1, 0.6, 1.7, -0.4];
        for constrained in [true, false] {
            for params in [[0.8, 0.6, 0.9, -0.3], [1.7, 0.45, 0.55, -0.25]] {
                let mut n = Ncap::new(
                    NcapConfig {
                        constrained,
                        ..NcapConfig::paper(5)
                    },
                    0,
                );
                n.set_params(&params);
                let a = NcapActor::new(n);
                for t in [3, 40] {
                    fd_check(
                        &a,
                        &ActorInput {
                            raw: &raw,
                            norm: &raw,
                            t,
                        },
                        &c,
                        1e-8,
                    );
                }
            }
        }
        // A sign-violating weight has zero gradient under constraints, not without them.
        let mut n = Ncap::new(NcapConfig::paper(5), 0);
        n.set_params(&[0.8, 0.6, 0.9, 0.3]);
        let a = NcapActor::new(n);
        let mut g = [0.0; 4];
        a.backward(
            &ActorInput {
                raw: &raw,
                norm: &raw,
                t: 3,
            },
            &c,
            &mut g,
        );
        assert_eq!(g[3], 0.0);
    }

    #[test]
    fn mlp_actor_gradient_matches_finite_differences() {
        let a = MlpActor(Mlp::new(&[4, 8, 3], 5));
        let x = [0.2, -0.4, 1.1, 0.05];
        fd_check(
            &a,
            &ActorInput {
                raw: &x,
                norm: &x,
                t: 0,
            },
            &[0.3, -1.0, 0.8],
            1e-8,
        );
    }

    fn critic_loss<A: Actor>(p: &Ppo<A, PointMass>, batch: &[(&Sample, f64, f64)]) -> f64 {
        batch
            .iter()
            .map(|(s, _, ret)| {
                let v = Ppo::<A, PointMass>::value(&p.critic, &s.norm, s.t, p.horizon);
                0.5 * (v - ret) * (v - ret)
            })
            .sum::<f64>()
            / batch.len() as f64
    }

    #[test]
    fn surrogate_and_value_gradients_match_finite_differences() {
        let config = PpoConfig {
            envs: 2,
            steps: 20,
            critic_hidden: vec![6],
            log_std: -0.3,
            entropy: 0.01,
            threads: 2,
            ..PpoConfig::default()
        };
        let actor = MlpActor(Mlp::new(&[6, 5, 2], 1));
        let mut p = Ppo::new(actor, vec![PointMass::new(15); 2], config).expect("valid");
        let (per_env, _) = p.rollout().expect("rollout");
        // Move the policy off the sampling one so that some ratios are clipped.
        let mut q = p.actor.params().to_vec();
        let mut r = RandomState::new(4);
        q.iter_mut().for_each(|x| *x += 0.3 * r.randn());
        p.actor.set_params(&q);
        p.log_std = vec![-0.1, -0.5];
        let samples: Vec<&Sample> = per_env.iter().flatten().collect();
        let mut rr = RandomState::new(9);
        let batch: Vec<(&Sample, f64, f64)> = samples
            .iter()
            .map(|s| (*s, rr.randn(), rr.randn()))
            .collect();
        let (ga, gc, sums) = p.gradients(&batch);
        assert!(sums[1] > 0.0 && sums[1] < batch.len() as f64, "{sums:?}");
        let h = 1e-6;
        let na = p.actor.params().len();
        for k in 0..na + 2 {
            let mut up = p.actor.clone();
            let mut ls = p.log_std.clone();
            // Evaluate at ±h on a clone of the learner's pieces.
            let mut eval = |delta: f64| {
                let mut th = p.actor.params().to_vec();
                let mut l = p.log_std.clone();
                if k < na {
                    th[k] += delta;
                } else {
                    l[k - na] += delta;
                }
                up.set_params(&th);
                ls.clone_from(&l);
                let mut mu = vec![0.0; 2];
                let eps = p.config.clip;
                let mut total = 0.0;
                for (s, adv, _) in &batch {
                    up.mean(
                        &ActorInput {
                            raw: &s.raw,
                            norm: &s.norm,
                            t: s.t,
                        },
                        &mut mu,
                    );
                    let r = (log_prob(&s.action, &mu, &ls) - s.logp).exp();
                    total -= (r * adv).min(r.clamp(1.0 - eps, 1.0 + eps) * adv);
                }
                total / batch.len() as f64 - p.config.entropy * ls.iter().sum::<f64>()
            };
            let fd = (eval(h) - eval(-h)) / (2.0 * h);
            assert!(
                (fd - ga[k]).abs() < 1e-7,
                "actor parameter {k}: finite difference {fd}, gradient {}",
                ga[k]
            );
        }
        let nc = p.critic.params().len();
        for k in 0..nc {
            let base = p.critic.params().to_vec();
            let mut th = base.clone();
            th[k] += h;
            p.critic.set_params(&th);
            let up = critic_loss(&p, &batch);
            th[k] -= 2.0 * h;
            p.critic.set_params(&th);
            let down = critic_loss(&p, &batch);
            p.critic.set_params(&base);
            let fd = (up - down) / (2.0 * h);
            assert!(
                (fd - gc[k]).abs() < 1e-7,
                "critic parameter {k}: finite difference {fd}, gradient {}",
                gc[k]
            );
        }
    }

    #[test]
    fn gae_by_hand() {
        // One environment, three steps, the second ends an episode: the chain is cut there.
        let config = PpoConfig {
            envs: 1,
            gamma: 0.9,
            lambda: 0.5,
            ..PpoConfig::default()
        };
        let p = Ppo::new(
            MlpActor(Mlp::new(&[6, 2], 0)),
            vec![PointMass::new(2)],
            config,
        )
        .expect("valid");
        let s = |reward: f64, value: f64, next_value: f64, cut: bool| Sample {
            raw: vec![],
            norm: vec![],
            t: 0,
            action: vec![],
            logp: 0.0,
            value,
            reward,
            next_value,
            cut,
        };
        let per_env = vec![vec![
            s(1.0, 0.5, 0.2, false),
            s(0.0, 0.2, 0.7, true),
            s(2.0, 0.1, 0.3, true),
        ]];
        let (adv, ret) = p.advantages(&per_env);
        let d2 = 2.0 + 0.9 * 0.3 - 0.1;
        let d1 = 0.0 + 0.9 * 0.7 - 0.2;
        let d0 = 1.0 + 0.9 * 0.2 - 0.5 + 0.45 * d1;
        let raw = [d0, d1, d2];
        for k in 0..3 {
            assert!((ret[k] - (raw[k] + per_env[0][k].value)).abs() < 1e-12);
        }
        let m = raw.iter().sum::<f64>() / 3.0;
        let sd = (raw.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / 3.0).sqrt();
        for k in 0..3 {
            assert!((adv[k] - (raw[k] - m) / (sd + 1e-8)).abs() < 1e-12);
        }
    }

    #[test]
    fn normalizer_matches_batch_statistics() {
        let mut n = Normalizer::new(2);
        let rows = [1.0, 10.0, 3.0, 20.0, 5.0, 60.0, 7.0, 30.0];
        n.update(&rows[..4]);
        n.update(&rows[4..]);
        let mut out = [0.0; 2];
        n.apply(&[4.0, 30.0], &mut out);
        // Means 4 and 30, population variances 5 and 350.
        assert!(out[0].abs() < 1e-12 && out[1].abs() < 1e-12, "{out:?}");
        n.apply(&[4.0 + 5f64.sqrt(), 30.0 - 350f64.sqrt()], &mut out);
        assert!(
            (out[0] - 1.0).abs() < 1e-8 && (out[1] + 1.0).abs() < 1e-8,
            "{out:?}"
        );
    }

    #[test]
    fn ppo_learns_to_reach_the_goal() {
        let horizon = 40;
        let config = PpoConfig {
            envs: 8,
            steps: 160,
            epochs: 8,
            minibatch: 128,
            lr_actor: 3e-3,
            lr_critic: 3e-3,
            log_std: -0.5,
            critic_hidden: vec![32],
            threads: 2,
            seed: 3,
            ..PpoConfig::default()
        };
        let actor = MlpActor::new(&[6, 32, 2], 7);
        let envs = vec![PointMass::new(horizon); 8];
        let mut ppo = Ppo::new(actor, envs, config).expect("valid");
        let mut eval_env = PointMass::new(horizon);
        let eval = |ppo: &Ppo<MlpActor, PointMass>, env: &mut PointMass| -> f64 {
            (0..20)
                .map(|s| ppo.evaluate(env, 5000 + s).expect("eval"))
                .sum::<f64>()
                / 20.0
        };
        // The random policy: uniform actions in [-1, 1]².
        let mut r = RandomState::new(1);
        let mut random = 0.0;
        for s in 0..20 {
            eval_env.reset(5000 + s).expect("reset");
            for _ in 0..horizon {
                let a = [r.uniform(-1.0, 1.0), r.uniform(-1.0, 1.0)];
                random += eval_env.step(&a).expect("step").1;
            }
        }
        random /= 20.0;
        // A hand-tuned PD controller towards the goal, as a reference for a good policy.
        let mut pd = 0.0;
        for s in 0..20 {
            let mut o = eval_env.reset(5000 + s).expect("reset");
            for _ in 0..horizon {
                let a = [4.0 * o[4] - 1.0 * o[2], 4.0 * o[5] - 1.0 * o[3]];
                let (next, r) = eval_env.step(&a).expect("step");
                pd += r;
                o = next;
            }
        }
        pd /= 20.0;
        let before = eval(&ppo, &mut eval_env);
        for _ in 0..40 {
            ppo.update().expect("update");
        }
        let after = eval(&ppo, &mut eval_env);
        assert_eq!(ppo.env_steps(), 40 * 8 * 160);
        // Seen: random −43, untrained −41 (mean ≈ 0: the mass stays put), PD −7.6, PPO after
        // 51 200 steps −9.8.
        assert!(
            after > 0.3 * random && after > 1.5 * pd && after > 0.3 * before,
            "PPO return {after}, before training {before}, random policy {random}, PD {pd}"
        );
    }
}
