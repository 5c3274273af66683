//! Deep Q-learning with an optional predictive auxiliary objective, after Fang & Stachenfeld
//! (2024, ICLR, "Predictive auxiliary objectives in deep RL mimic learning in the brain",
//! arXiv:2310.06089), whose agent follows the latent-model losses of François-Lavet et al.
//! (2019, "Combined reinforcement learning via abstract representations").
//!
//! Modules (all dense, flat `f64` parameters, hand-written gradients):
//! - encoder: observation (length m) → ReLU hidden (`hidden`) → linear latent z (`latent`);
//! - Q head: ReLU(z) → ReLU 16 → 4 action values (the authors' `crar-fc` head);
//! - transition model T: [ReLU(z), one-hot a] → ReLU 16 → Δ, and T(z, a) = z + Δ.
//!
//! The minibatch loss ([`loss_and_grad`]), means over the batch:
//! - Q: (Q(z, a) − y)², y = r + γ (1 − done) Q̄(z̄′, argmaxₐ′ Q(z′, a′)) (double DQN; Q̄, z̄:
//!   the target network);
//! - positive sample: w_pos · mean over batch and latent units of (T(z, a) − τ)², with the
//!   target τ = z′ + γ_p · T(z′, a′) (T(z′, a′) held fixed; a′ the action taken next). γ_p = 0
//!   is one-step prediction; γ_p > 0 predicts a discounted sum of future latents (a successor
//!   representation in latent space, the paper's longer predictive horizon). The gradient
//!   reaches z′ through τ, as in the authors' code;
//! - negative samples: w_nn · exp(−κ ‖z − z′‖) (neighbour) and w_nr · exp(−κ ‖z − z_{k−1}‖)
//!   (the previous batch element, a random state), which keep the latents from collapsing.
//!
//! With all auxiliary weights 0 the agent is the model-free baseline.

use crate::es::Adam;
use crate::gridworld::{ACTIONS, Gridworld};
use crate::random::RandomState;

/// Units in the hidden layer of the Q head and of the transition model (the authors' 16).
pub const HEAD_HIDDEN: usize = 16;

/// Weights of the auxiliary losses (all 0: the model-free agent).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AuxWeights {
    /// Weight of the positive-sample (prediction) loss.
    pub positive: f64,
    /// Weight of the neighbour negative-sample loss.
    pub neg_neighbor: f64,
    /// Weight of the random negative-sample loss.
    pub neg_random: f64,
    /// Predictive horizon γ_p (0: one step).
    pub horizon: f64,
    /// Temperature κ of the negative-sample losses (the authors' 5).
    pub temperature: f64,
}

impl AuxWeights {
    /// No auxiliary loss.
    pub fn none() -> AuxWeights {
        AuxWeights {
            positive: 0.0,
            neg_neighbor: 0.0,
            neg_random: 0.0,
            horizon: 0.0,
            temperature: 5.0,
        }
    }
}

/// Agent settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DqnConfig {
    /// Hidden units of the encoder.
    pub hidden: usize,
    /// Latent size.
    pub latent: usize,
    /// Discount γ.
    pub gamma: f64,
    /// Adam learning rate.
    pub lr: f64,
    /// Minibatch size.
    pub batch: usize,
    /// Target network copied every this many updates.
    pub target_every: usize,
    /// Auxiliary losses.
    pub aux: AuxWeights,
    /// Seed of the initial weights, the replay sampling and the behaviour.
    pub seed: u32,
}

/// The encoder, Q head and transition model, parameters in one flat vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Net {
    /// Observation length m.
    pub obs: usize,
    /// Encoder hidden units.
    pub hidden: usize,
    /// Latent size d.
    pub latent: usize,
    /// All parameters: encoder (W₁ hidden×m, b₁, W₂ d×hidden, b₂), Q head (16×d, 16, 4×16,
    /// 4), transition model (16×(d+4), 16, d×16, d); matrices row-major, rows = outputs.
    pub theta: Vec<f64>,
}

/// Offsets of the parameter blocks.
#[derive(Debug, Clone, Copy)]
struct Layout {
    w1: usize,
    b1: usize,
    w2: usize,
    b2: usize,
    qw1: usize,
    qb1: usize,
    qw2: usize,
    qb2: usize,
    tw1: usize,
    tb1: usize,
    tw2: usize,
    tb2: usize,
    end: usize,
}

fn layout(m: usize, h: usize, d: usize) -> Layout {
    let k = HEAD_HIDDEN;
    let w1 = 0;
    let b1 = w1 + h * m;
    let w2 = b1 + h;
    let b2 = w2 + d * h;
    let qw1 = b2 + d;
    let qb1 = qw1 + k * d;
    let qw2 = qb1 + k;
    let qb2 = qw2 + ACTIONS * k;
    let tw1 = qb2 + ACTIONS;
    let tb1 = tw1 + k * (d + ACTIONS);
    let tw2 = tb1 + k;
    let tb2 = tw2 + d * k;
    let end = tb2 + d;
    Layout {
        w1,
        b1,
        w2,
        b2,
        qw1,
        qb1,
        qw2,
        qb2,
        tw1,
        tb1,
        tw2,
        tb2,
        end,
    }
}

/// y = W x + b for W rows×cols at `w`, b at `b` in `theta`.
fn affine(theta: &[f64], w: usize, b: usize, x: &[f64], y: &mut [f64]) {
    let cols = x.len();
    for (i, yi) in y.iter_mut().enumerate() {
        let row = &theta[w + i * cols..w + (i + 1) * cols];
        *yi = theta[b + i] + row.iter().zip(x).map(|(a, b)| a * b).sum::<f64>();
    }
}

/// Accumulates dW += dy xᵀ, db += dy into `grad`, and returns dx = Wᵀ dy when `want_dx`.
fn affine_back(
    theta: &[f64],
    w: usize,
    b: usize,
    x: &[f64],
    dy: &[f64],
    grad: &mut [f64],
    want_dx: bool,
) -> Vec<f64> {
    let cols = x.len();
    let mut dx = vec![0.0; if want_dx { cols } else { 0 }];
    for (i, &g) in dy.iter().enumerate() {
        if g == 0.0 {
            continue;
        }
        grad[b + i] += g;
        let gw = &mut grad[w + i * cols..w + (i + 1) * cols];
        for (gw, xj) in gw.iter_mut().zip(x) {
            *gw += g * xj;
        }
        if want_dx {
            let row = &theta[w + i * cols..w + (i + 1) * cols];
            for (dxj, wj) in dx.iter_mut().zip(row) {
                *dxj += g * wj;
            }
        }
    }
    dx
}

fn relu(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| x.max(0.0)).collect()
}

/// Forward pass of the encoder: (hidden activity after ReLU, latent).
struct Enc {
    h: Vec<f64>,
    z: Vec<f64>,
}

/// Forward pass of a head (Q or T): its input, its hidden activity after ReLU, its output.
struct Head {
    input: Vec<f64>,
    a: Vec<f64>,
    out: Vec<f64>,
}

impl Net {
    /// A network for observations of length `obs`, with PyTorch's default initialisation
    /// (weights and biases uniform in ±1/√fan-in).
    pub fn new(obs: usize, hidden: usize, latent: usize, seed: u32) -> Net {
        assert!(
            obs > 0 && hidden > 0 && latent > 0,
            "predictive DQN net with obs {obs}, hidden {hidden}, latent {latent}: all must be positive"
        );
        let l = layout(obs, hidden, latent);
        let mut theta = vec![0.0; l.end];
        let mut rng = RandomState::new(seed);
        let blocks = [
            (l.w1, l.w2, obs),
            (l.w2, l.qw1, hidden),
            (l.qw1, l.qw2, latent),
            (l.qw2, l.tw1, HEAD_HIDDEN),
            (l.tw1, l.tw2, latent + ACTIONS),
            (l.tw2, l.end, HEAD_HIDDEN),
        ];
        for (from, to, fan_in) in blocks {
            let bound = 1.0 / (fan_in as f64).sqrt();
            for t in &mut theta[from..to] {
                *t = rng.uniform(-bound, bound);
            }
        }
        Net {
            obs,
            hidden,
            latent,
            theta,
        }
    }

    fn layout(&self) -> Layout {
        layout(self.obs, self.hidden, self.latent)
    }

    /// Range of the Q head's parameters within `theta`.
    pub fn q_range(&self) -> std::ops::Range<usize> {
        let l = self.layout();
        l.qw1..l.tw1
    }

    /// Range of the encoder's parameters within `theta`.
    pub fn encoder_range(&self) -> std::ops::Range<usize> {
        let l = self.layout();
        l.w1..l.qw1
    }

    fn encode_full(&self, x: &[f64]) -> Enc {
        let l = self.layout();
        let mut h = vec![0.0; self.hidden];
        affine(&self.theta, l.w1, l.b1, x, &mut h);
        h.iter_mut().for_each(|v| *v = v.max(0.0));
        let mut z = vec![0.0; self.latent];
        affine(&self.theta, l.w2, l.b2, &h, &mut z);
        Enc { h, z }
    }

    /// The latent of observation `x` (length `obs`).
    pub fn encode(&self, x: &[f64]) -> Vec<f64> {
        self.encode_full(x).z
    }

    fn q_full(&self, z: &[f64]) -> Head {
        let l = self.layout();
        let input = relu(z);
        let mut a = vec![0.0; HEAD_HIDDEN];
        affine(&self.theta, l.qw1, l.qb1, &input, &mut a);
        a.iter_mut().for_each(|v| *v = v.max(0.0));
        let mut out = vec![0.0; ACTIONS];
        affine(&self.theta, l.qw2, l.qb2, &a, &mut out);
        Head { input, a, out }
    }

    /// Action values of latent `z`.
    pub fn q(&self, z: &[f64]) -> Vec<f64> {
        self.q_full(z).out
    }

    fn t_full(&self, z: &[f64], action: usize) -> Head {
        let l = self.layout();
        let mut input = relu(z);
        input.extend((0..ACTIONS).map(|b| if b == action { 1.0 } else { 0.0 }));
        let mut a = vec![0.0; HEAD_HIDDEN];
        affine(&self.theta, l.tw1, l.tb1, &input, &mut a);
        a.iter_mut().for_each(|v| *v = v.max(0.0));
        let mut out = vec![0.0; self.latent];
        affine(&self.theta, l.tw2, l.tb2, &a, &mut out);
        out.iter_mut().zip(z).for_each(|(o, z)| *o += z);
        Head { input, a, out }
    }

    /// The transition model's prediction T(z, a) (a latent).
    pub fn transition(&self, z: &[f64], action: usize) -> Vec<f64> {
        self.t_full(z, action).out
    }

    /// Backpropagates dL/dz through the encoder into `grad`.
    fn encoder_back(&self, x: &[f64], e: &Enc, dz: &[f64], grad: &mut [f64]) {
        let l = self.layout();
        let mut dh = affine_back(&self.theta, l.w2, l.b2, &e.h, dz, grad, true);
        dh.iter_mut()
            .zip(&e.h)
            .for_each(|(g, h)| *g = if *h > 0.0 { *g } else { 0.0 });
        affine_back(&self.theta, l.w1, l.b1, x, &dh, grad, false);
    }

    /// Backpropagates dL/dQ through the Q head into `grad`; returns dL/dz.
    fn q_back(&self, z: &[f64], hd: &Head, dq: &[f64], grad: &mut [f64]) -> Vec<f64> {
        let l = self.layout();
        let mut da = affine_back(&self.theta, l.qw2, l.qb2, &hd.a, dq, grad, true);
        da.iter_mut()
            .zip(&hd.a)
            .for_each(|(g, a)| *g = if *a > 0.0 { *g } else { 0.0 });
        let du = affine_back(&self.theta, l.qw1, l.qb1, &hd.input, &da, grad, true);
        du.iter()
            .zip(z)
            .map(|(g, z)| if *z > 0.0 { *g } else { 0.0 })
            .collect()
    }

    /// Backpropagates dL/dT through the transition model into `grad`; returns dL/dz.
    fn t_back(&self, z: &[f64], hd: &Head, dout: &[f64], grad: &mut [f64]) -> Vec<f64> {
        let l = self.layout();
        let mut da = affine_back(&self.theta, l.tw2, l.tb2, &hd.a, dout, grad, true);
        da.iter_mut()
            .zip(&hd.a)
            .for_each(|(g, a)| *g = if *a > 0.0 { *g } else { 0.0 });
        let dv = affine_back(&self.theta, l.tw1, l.tb1, &hd.input, &da, grad, true);
        // The residual path plus the ReLU(z) input.
        (0..self.latent)
            .map(|j| dout[j] + if z[j] > 0.0 { dv[j] } else { 0.0 })
            .collect()
    }
}

/// One transition of a minibatch, by state index (observations come from a table).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// State.
    pub s: usize,
    /// Action taken.
    pub a: usize,
    /// Reward.
    pub r: f64,
    /// Next state.
    pub next: usize,
    /// Whether the episode ended at the goal (no bootstrapping).
    pub done: bool,
    /// The action taken next from `next` in the same episode, if recorded.
    pub next_action: Option<usize>,
}

/// The loss terms of a minibatch (each already multiplied by its weight).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LossParts {
    /// Q loss.
    pub q: f64,
    /// Positive-sample (prediction) loss.
    pub positive: f64,
    /// Neighbour negative-sample loss.
    pub neg_neighbor: f64,
    /// Random negative-sample loss.
    pub neg_random: f64,
}

impl LossParts {
    /// Sum of the terms.
    pub fn total(&self) -> f64 {
        self.q + self.positive + self.neg_neighbor + self.neg_random
    }
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Adds the gradient of w·exp(−κ‖zₐ − z_b‖) to `ga` and `gb`; returns the loss. At ‖·‖ = 0
/// the gradient is taken as 0 (PyTorch's subgradient of the norm there).
fn negative_sample(
    za: &[f64],
    zb: &[f64],
    w: f64,
    kappa: f64,
    ga: &mut [f64],
    gb: &mut [f64],
) -> f64 {
    let d = dist(za, zb);
    let l = w * (-kappa * d).exp();
    if d > 1e-12 {
        for j in 0..za.len() {
            let g = -kappa * l * (za[j] - zb[j]) / d;
            ga[j] += g;
            gb[j] -= g;
        }
    }
    l
}

/// The minibatch loss and its gradient with respect to `net.theta` (see the module docs).
/// `obs` holds one observation per state (`states × net.obs`, row-major); `target` is the
/// target network; `fixed` is the network whose outputs enter the targets without gradient
/// (the greedy action at s′ and T(z′, a′)): during training the online network itself,
/// `net`, and a separate copy only to check the gradient against finite differences.
pub fn loss_and_grad(
    net: &Net,
    target: &Net,
    fixed: &Net,
    obs: &[f64],
    batch: &[Sample],
    gamma: f64,
    aux: &AuxWeights,
) -> (LossParts, Vec<f64>) {
    let m = net.obs;
    let nb = batch.len();
    assert!(
        nb > 0,
        "predictive DQN loss of an empty minibatch: pass at least one sample"
    );
    let bf = nb as f64;
    let d = net.latent;
    let x = |s: usize| &obs[s * m..(s + 1) * m];
    let mut grad = vec![0.0; net.theta.len()];
    let mut parts = LossParts::default();
    let enc: Vec<Enc> = batch.iter().map(|b| net.encode_full(x(b.s))).collect();
    let enc_next: Vec<Enc> = batch.iter().map(|b| net.encode_full(x(b.next))).collect();
    let mut dz = vec![vec![0.0; d]; nb];
    let mut dz_next = vec![vec![0.0; d]; nb];
    let use_aux = aux.positive != 0.0 || aux.neg_neighbor != 0.0 || aux.neg_random != 0.0;
    for (k, b) in batch.iter().enumerate() {
        let (z, zn) = (&enc[k].z, &enc_next[k].z);
        // Q loss with a double-DQN target.
        let y = if b.done {
            b.r
        } else {
            let qn = fixed.q(&fixed.encode(x(b.next)));
            let best = argmax(&qn);
            b.r + gamma * target.q(&target.encode(x(b.next)))[best]
        };
        let hq = net.q_full(z);
        let err = hq.out[b.a] - y;
        parts.q += err * err / bf;
        let mut dq = vec![0.0; ACTIONS];
        dq[b.a] = 2.0 * err / bf;
        let g = net.q_back(z, &hq, &dq, &mut grad);
        dz[k].iter_mut().zip(&g).for_each(|(a, b)| *a += b);
        if !use_aux {
            continue;
        }
        if aux.positive != 0.0 {
            let ht = net.t_full(z, b.a);
            let mut tau = zn.clone();
            if let (Some(an), false) = (b.next_action, b.done)
                && aux.horizon != 0.0
            {
                let tn = fixed.transition(&fixed.encode(x(b.next)), an);
                tau.iter_mut()
                    .zip(&tn)
                    .for_each(|(t, p)| *t += aux.horizon * p);
            }
            let scale = aux.positive / (bf * d as f64);
            let mut dt = vec![0.0; d];
            for j in 0..d {
                let e = ht.out[j] - tau[j];
                parts.positive += scale * e * e;
                dt[j] = 2.0 * scale * e;
                dz_next[k][j] -= dt[j];
            }
            let g = net.t_back(z, &ht, &dt, &mut grad);
            dz[k].iter_mut().zip(&g).for_each(|(a, b)| *a += b);
        }
        if aux.neg_neighbor != 0.0 {
            let (a, b2) = (&mut dz[k], &mut dz_next[k]);
            parts.neg_neighbor +=
                negative_sample(z, zn, aux.neg_neighbor / bf, aux.temperature, a, b2);
        }
    }
    if aux.neg_random != 0.0 {
        for k in 0..nb {
            // torch.roll(z, 1): element k is compared with element k − 1.
            let j = (k + nb - 1) % nb;
            let (mut ga, mut gb) = (vec![0.0; d], vec![0.0; d]);
            parts.neg_random += negative_sample(
                &enc[k].z,
                &enc[j].z,
                aux.neg_random / bf,
                aux.temperature,
                &mut ga,
                &mut gb,
            );
            dz[k].iter_mut().zip(&ga).for_each(|(a, b)| *a += b);
            dz[j].iter_mut().zip(&gb).for_each(|(a, b)| *a += b);
        }
    }
    for (k, b) in batch.iter().enumerate() {
        net.encoder_back(x(b.s), &enc[k], &dz[k], &mut grad);
        if dz_next[k].iter().any(|g| *g != 0.0) {
            net.encoder_back(x(b.next), &enc_next[k], &dz_next[k], &mut grad);
        }
    }
    (parts, grad)
}

/// Index of the largest value (the first on ties).
pub fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

/// Training schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// Training episodes.
    pub episodes: usize,
    /// Steps after which an episode is cut off.
    pub max_steps: usize,
    /// Evaluate after every this many episodes (and before the first).
    pub eval_every: usize,
    /// Behaviour ε (the authors' gridworld runs use 1: a random walk, learned off-policy).
    pub epsilon: f64,
}

/// One evaluation of the greedy policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eval {
    /// Episodes trained so far.
    pub episode: usize,
    /// Environment steps so far.
    pub env_steps: usize,
    /// Fraction of non-goal starts from which the greedy policy reaches the goal within
    /// `side²` steps.
    pub success: f64,
    /// Mean over starts of greedy steps minus the shortest path (starts that fail count
    /// `side²` steps).
    pub excess_steps: f64,
}

/// The result of a training run.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The trained network.
    pub net: Net,
    /// Evaluations, first before training.
    pub curve: Vec<Eval>,
    /// Mean loss terms over the run's updates.
    pub mean_loss: LossParts,
}

/// Greedy evaluation from every non-goal start.
pub fn evaluate(world: &Gridworld, net: &Net, obs: &[f64]) -> (f64, f64) {
    let n = world.states();
    let m = net.obs;
    let policy: Vec<usize> = (0..n)
        .map(|s| argmax(&net.q(&net.encode(&obs[s * m..(s + 1) * m]))))
        .collect();
    let cap = n;
    let (mut ok, mut excess) = (0usize, 0.0);
    for s0 in (0..n).filter(|&s| s != world.goal()) {
        let mut s = s0;
        let mut steps = 0;
        while s != world.goal() && steps < cap {
            s = world.step(s, policy[s]).0;
            steps += 1;
        }
        if s == world.goal() {
            ok += 1;
            excess += (steps - world.distance(s0, world.goal())) as f64;
        } else {
            excess += cap as f64;
        }
    }
    (ok as f64 / (n - 1) as f64, excess / (n - 1) as f64)
}

#[derive(Debug, Clone, Copy)]
struct Stored {
    s: usize,
    a: usize,
    r: f64,
    next: usize,
    done: bool,
    episode: usize,
}

/// Trains `net` (a fresh one from `cfg` when `None`) on `world`: episodes from uniformly
/// random non-goal starts, ε-greedy behaviour, every transition into the replay buffer, one
/// minibatch Adam update per environment step once the buffer holds a batch, the target
/// network copied every `cfg.target_every` updates. With `freeze_encoder` only the Q head
/// and transition model learn (the transfer test).
pub fn train(
    world: &Gridworld,
    cfg: &DqnConfig,
    schedule: &Schedule,
    net: Option<Net>,
    freeze_encoder: bool,
) -> Trained {
    let obs = world.observations();
    let mut net =
        net.unwrap_or_else(|| Net::new(world.obs_len(), cfg.hidden, cfg.latent, cfg.seed));
    assert!(
        net.obs == world.obs_len(),
        "predictive DQN net for observations of {} values given a world with {}",
        net.obs,
        world.obs_len()
    );
    let mut target = net.clone();
    let mut adam = Adam::new(net.theta.len(), cfg.lr, 0.0);
    let mut rng = RandomState::new(cfg.seed.wrapping_mul(2_654_435_761).wrapping_add(17));
    let n = world.states();
    let mut buffer: Vec<Stored> = Vec::new();
    let mut updates = 0usize;
    let mut sum = LossParts::default();
    let eval = |net: &Net, episode, env_steps| {
        let (success, excess_steps) = evaluate(world, net, &obs);
        Eval {
            episode,
            env_steps,
            success,
            excess_steps,
        }
    };
    let mut curve = vec![eval(&net, 0, 0)];
    let frozen = net.encoder_range();
    for episode in 0..schedule.episodes {
        let mut s = loop {
            let s = ((rng.rand() * n as f64) as usize).min(n - 1);
            if s != world.goal() {
                break s;
            }
        };
        for _ in 0..schedule.max_steps {
            let a = if rng.rand() < schedule.epsilon {
                ((rng.rand() * ACTIONS as f64) as usize).min(ACTIONS - 1)
            } else {
                let m = net.obs;
                argmax(&net.q(&net.encode(&obs[s * m..(s + 1) * m])))
            };
            let (next, r) = world.step(s, a);
            let done = next == world.goal();
            buffer.push(Stored {
                s,
                a,
                r,
                next,
                done,
                episode,
            });
            if buffer.len() >= cfg.batch {
                let batch: Vec<Sample> = (0..cfg.batch)
                    .map(|_| {
                        let i = ((rng.rand() * buffer.len() as f64) as usize).min(buffer.len() - 1);
                        let t = buffer[i];
                        let next_action = buffer
                            .get(i + 1)
                            .filter(|u| u.episode == t.episode && !t.done)
                            .map(|u| u.a);
                        Sample {
                            s: t.s,
                            a: t.a,
                            r: t.r,
                            next: t.next,
                            done: t.done,
                            next_action,
                        }
                    })
                    .collect();
                if updates.is_multiple_of(cfg.target_every) {
                    target = net.clone();
                }
                let (parts, mut g) =
                    loss_and_grad(&net, &target, &net, &obs, &batch, cfg.gamma, &cfg.aux);
                if freeze_encoder {
                    g[frozen.clone()].iter_mut().for_each(|x| *x = 0.0);
                }
                adam.step(&mut net.theta, &g);
                updates += 1;
                sum.q += parts.q;
                sum.positive += parts.positive;
                sum.neg_neighbor += parts.neg_neighbor;
                sum.neg_random += parts.neg_random;
            }
            if done {
                break;
            }
            s = next;
        }
        if (episode + 1) % schedule.eval_every == 0 || episode + 1 == schedule.episodes {
            curve.push(eval(&net, episode + 1, buffer.len()));
        }
    }
    let u = updates.max(1) as f64;
    let mean_loss = LossParts {
        q: sum.q / u,
        positive: sum.positive / u,
        neg_neighbor: sum.neg_neighbor / u,
        neg_random: sum.neg_random / u,
    };
    Trained {
        net,
        curve,
        mean_loss,
    }
}

/// A fresh Q head (transition model kept) on `net`, initialised from `seed` as [`Net::new`]
/// would: for retraining the value function on a frozen encoder.
pub fn reset_q_head(net: &Net, seed: u32) -> Net {
    let fresh = Net::new(net.obs, net.hidden, net.latent, seed);
    let mut out = net.clone();
    let r = net.q_range();
    out.theta[r.clone()].copy_from_slice(&fresh.theta[r]);
    out
}

/// The latents of every state: `states` rows of `latent` values.
pub fn latents(world: &Gridworld, net: &Net) -> Vec<Vec<f64>> {
    let obs = world.observations();
    let m = net.obs;
    (0..world.states())
        .map(|s| net.encode(&obs[s * m..(s + 1) * m]))
        .collect()
}

/// Pearson correlation of two equal-length samples (NaN if either is constant).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(
        a.len(),
        b.len(),
        "pearson of samples of {} and {} values",
        a.len(),
        b.len()
    );
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

/// Pearson correlation, over all pairs of distinct states, between the Euclidean distance of
/// their latents and their shortest-path distance: how much the latent space is a map of the
/// arena's transition structure. 0 when every state has the same latent (no map at all; the
/// correlation itself is 0/0 there).
pub fn map_correlation(world: &Gridworld, z: &[Vec<f64>]) -> f64 {
    if collapsed(z) {
        return 0.0;
    }
    let n = world.states();
    let (mut dz, mut dg) = (Vec::new(), Vec::new());
    for i in 0..n {
        for j in i + 1..n {
            dz.push(dist(&z[i], &z[j]));
            dg.push(world.distance(i, j) as f64);
        }
    }
    pearson(&dz, &dg)
}

/// Whether every state has the same latent: the encoder has collapsed to a point (as when
/// all its hidden ReLUs are silent). Exact equality: a dead encoder gives identical rows.
fn collapsed(z: &[Vec<f64>]) -> bool {
    z.iter().all(|r| r == &z[0])
}

/// Participation ratio (Σλ)² / Σλ² of the covariance of the rows of `z` (λ its eigenvalues),
/// computed as tr(C)² / ‖C‖²_F: from 1 (collapsed onto a line) to the latent size (isotropic);
/// 0 when every state has the same latent (a point has no dimension; the formula is 0/0).
pub fn participation_ratio(z: &[Vec<f64>]) -> f64 {
    if collapsed(z) {
        return 0.0;
    }
    let n = z.len() as f64;
    let d = z[0].len();
    let mean: Vec<f64> = (0..d)
        .map(|j| z.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let mut c = vec![0.0; d * d];
    for r in z {
        for i in 0..d {
            for j in 0..d {
                c[i * d + j] += (r[i] - mean[i]) * (r[j] - mean[j]) / n;
            }
        }
    }
    let tr: f64 = (0..d).map(|i| c[i * d + i]).sum();
    let fro: f64 = c.iter().map(|x| x * x).sum();
    tr * tr / fro
}

/// Largest |analytic − central finite difference| of the minibatch loss's gradient
/// (step 10⁻⁶), for a small random net, target net and batch with every loss term on.
pub fn gradient_check(seed: u32) -> f64 {
    let world = Gridworld::new(3, 8).expect("3×3 world");
    let obs = world.observations();
    let net = Net::new(world.obs_len(), 5, 3, seed);
    let mut target = Net::new(world.obs_len(), 5, 3, seed + 1);
    target.theta.iter_mut().for_each(|t| *t *= 0.9);
    let aux = AuxWeights {
        positive: 0.7,
        neg_neighbor: 0.3,
        neg_random: 0.4,
        horizon: 0.6,
        temperature: 5.0,
    };
    let mut rng = RandomState::new(seed + 2);
    let batch: Vec<Sample> = (0..6)
        .map(|k| {
            let s = ((rng.rand() * 8.0) as usize).min(7);
            let a = ((rng.rand() * 4.0) as usize).min(3);
            let (next, r) = world.step(s, a);
            Sample {
                s,
                a,
                r,
                next,
                done: next == world.goal(),
                next_action: if k % 3 == 0 { None } else { Some((k * 7) % 4) },
            }
        })
        .collect();
    let (_, g) = loss_and_grad(&net, &target, &net, &obs, &batch, 0.9, &aux);
    let h = 1e-6;
    let mut worst = 0.0f64;
    let mut probe = net.clone();
    for (k, gk) in g.iter().enumerate() {
        probe.theta[k] = net.theta[k] + h;
        let up = loss_and_grad(&probe, &target, &net, &obs, &batch, 0.9, &aux)
            .0
            .total();
        probe.theta[k] = net.theta[k] - h;
        let down = loss_and_grad(&probe, &target, &net, &obs, &batch, 0.9, &aux)
            .0
            .total();
        probe.theta[k] = net.theta[k];
        worst = worst.max(((up - down) / (2.0 * h) - gk).abs());
    }
    worst
}

#[cfg(test)]
mod tests;
