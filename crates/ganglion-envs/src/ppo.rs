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

mod actors;
mod point_mass;
#[cfg(test)]
mod tests;

pub use actors::{MlpActor, NcapActor};
pub use point_mass::PointMass;

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
