//! The task, the initialisations, the training loop and the laziness measures of the
//! `rich-lazy-rank` study.
//!
//! **Task** (neurogym `PerceptualDecisionMaking-v0` with the paper's timing: dt = 100 ms,
//! no fixation period, 700 ms stimulus, 100 ms decision, so 8 steps). Inputs: fixation (1
//! during the stimulus, 0 at the decision) and two stimulus channels `0.5 ± coh/200` (the sign
//! picks the correct side) plus N(0, σ = 1/√dt = 0.1) noise on every channel during the
//! stimulus; coherence uniform in {0, 6.4, 12.8, 25.6, 51.2} %. Three outputs; the label is
//! class 0 (fixate) during the stimulus and `1 + side` at the decision step, scored with the
//! cross-entropy at every step, as in the paper's `main.py`.

// Index loops mirror the equations (W[i·n + j]) and are kept for readability.
#![allow(clippy::needless_range_loop)]

use ganglion_data::encode::unit;
use ganglion_train::normal;
use ganglion_train::rate_rnn::{RateRnn, Transfer, truncate_rank};
use serde::Serialize;

/// Steps per trial (7 stimulus + 1 decision).
pub const STEPS: usize = 8;
/// Inputs: fixation, stimulus 1, stimulus 2.
pub const N_IN: usize = 3;
/// Outputs: fixate, choose 1, choose 2.
pub const N_OUT: usize = 3;
/// Coherences of neurogym's `PerceptualDecisionMaking` \[%\].
pub const COHERENCES: [f32; 5] = [0.0, 6.4, 12.8, 25.6, 51.2];
/// Input noise std per step, neurogym's `sigma / √dt` with σ = 1, dt = 100 ms.
pub const NOISE: f32 = 0.1;
/// Std of the Gaussian matrix before truncation, times 1/√N (the paper's `W0sig`).
pub const W0_SIG: f32 = 1.25;

/// A batch of trials: inputs `STEPS × N_IN` per trial, the correct side (0 or 1) per trial.
pub struct Trials {
    /// Per trial, `STEPS × N_IN`, row = step.
    pub inputs: Vec<Vec<f32>>,
    /// Correct side per trial.
    pub side: Vec<usize>,
    /// Coherence per trial \[%\].
    pub coh: Vec<f32>,
}

/// `count` trials from stream `key` (deterministic).
pub fn trials(count: usize, key: u64) -> Trials {
    let mut t = Trials {
        inputs: vec![],
        side: vec![],
        coh: vec![],
    };
    for s in 0..count {
        let s64 = s as u64;
        let side = (unit(key, s64, 1) < 0.5) as usize;
        let coh = COHERENCES[((unit(key, s64, 2) * 5.0) as usize).min(4)];
        let sign = if side == 0 { 1.0 } else { -1.0 };
        let mut u = vec![0f32; STEPS * N_IN];
        for step in 0..STEPS - 1 {
            let noise =
                |c: usize| NOISE * normal(key ^ 0x5eed, (s64 * 64 + step as u64) * 4 + c as u64);
            u[step * N_IN] = 1.0 + noise(0);
            u[step * N_IN + 1] = 0.5 + sign * coh / 200.0 + noise(1);
            u[step * N_IN + 2] = 0.5 - sign * coh / 200.0 + noise(2);
        }
        t.inputs.push(u);
        t.side.push(side);
        t.coh.push(coh);
    }
    t
}

/// Accuracy of the ideal observer on `t`: the sign of the summed stimulus difference (the
/// likelihood-ratio decision for equal Gaussian noise on both channels).
pub fn ideal_accuracy(t: &Trials) -> f64 {
    let correct = t
        .inputs
        .iter()
        .zip(&t.side)
        .filter(|(u, side)| {
            let d: f32 = (0..STEPS - 1)
                .map(|s| u[s * N_IN + 1] - u[s * N_IN + 2])
                .sum();
            (d < 0.0) as usize == **side
        })
        .count();
    correct as f64 / t.side.len().max(1) as f64
}

/// The initial recurrent connectivity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Init {
    /// The rank-r SVD truncation of the Gaussian matrix, rescaled to its Frobenius norm.
    Rank(usize),
    /// Rank 1 along the task's own direction: the rank-1 SVD truncation of the recurrent weight
    /// change that training from the full-rank Gaussian start produces (same input and readout
    /// weights, same budget, its own trials), scaled to the random rank-1 matrix's recurrent
    /// drive on the same activity (see `aligned_rec` for why not its Frobenius norm).
    Aligned,
}

impl Init {
    /// Label for tables and legends.
    pub fn label(self) -> String {
        match self {
            Init::Rank(r) => format!("rank {r}"),
            Init::Aligned => "rank 1, task-aligned".into(),
        }
    }
}

/// The paper's network: ReLU, α = dt/τ = 1 (so `p = 0`), no bias; PyTorch's default uniform
/// input and readout weights (±1/√fan-in), drawn from `seed`, the recurrent weights from `init`.
pub fn network(n: usize, seed: u64, init: Init) -> RateRnn {
    let uniform = |key: u64, count: usize, fan_in: usize| -> Vec<f32> {
        let a = 1.0 / (fan_in as f32).sqrt();
        (0..count)
            .map(|i| a * (2.0 * unit(key, i as u64, 3) - 1.0))
            .collect()
    };
    let w_in = uniform(seed ^ 0x1111, N_IN * n, N_IN);
    let w_out = uniform(seed ^ 0x2222, n * N_OUT, n);
    let gauss: Vec<f32> = (0..n * n)
        .map(|i| W0_SIG * normal(seed ^ 0x3333, i as u64) / (n as f32).sqrt())
        .collect();
    let w_rec = match init {
        Init::Rank(r) => truncate_rank(&gauss, n, r),
        // The task-aligned matrix needs training; `train` replaces this placeholder.
        Init::Aligned => gauss,
    };
    RateRnn {
        n_in: N_IN,
        n,
        n_exc: n,
        n_out: N_OUT,
        p: 0.0,
        f: Transfer::Relu,
        w_in,
        w_rec,
        w_out,
        b: vec![0.0; n],
    }
}

/// Cross-entropy (mean over trials × steps) of `net` on `t` and its gradients (w_in, w_rec,
/// w_out, b) from the hand-written adjoint ([`RateRnn::backward_sample`]).
pub fn ce_loss_grad(net: &RateRnn, t: &Trials) -> (f64, [Vec<f32>; 4]) {
    let mut g = net.zero_grads();
    let norm = 1.0 / (t.inputs.len() * STEPS) as f32;
    let mut loss = 0.0f64;
    for (u, &side) in t.inputs.iter().zip(&t.side) {
        let (xs, rs) = net.forward_sample(u, STEPS);
        let y = net.readout(&rs, STEPS);
        let mut dy = vec![0f32; STEPS * N_OUT];
        for step in 0..STEPS {
            let label = if step == STEPS - 1 { 1 + side } else { 0 };
            let z = &y[step * N_OUT..(step + 1) * N_OUT];
            let m = z.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            let e: Vec<f32> = z.iter().map(|&v| (v - m).exp()).collect();
            let sum: f32 = e.iter().sum();
            loss += ((sum.ln() + m - z[label]) * norm) as f64;
            for o in 0..N_OUT {
                dy[step * N_OUT + o] = (e[o] / sum - (o == label) as u8 as f32) * norm;
            }
        }
        net.backward_sample(u, &xs, &rs, &dy, STEPS, &mut g);
    }
    (loss, g)
}

/// Decision-step accuracy of `net` on `t` (the larger of the two choice outputs).
pub fn accuracy(net: &RateRnn, t: &Trials) -> f64 {
    let correct = t
        .inputs
        .iter()
        .zip(&t.side)
        .filter(|(u, side)| {
            let y = net.readout(&net.forward_sample(u, STEPS).1, STEPS);
            let d = &y[(STEPS - 1) * N_OUT..];
            ((d[2] > d[1]) as usize) == **side
        })
        .count();
    correct as f64 / t.side.len().max(1) as f64
}

/// `<A, B>_F / (‖A‖ ‖B‖)`.
pub fn alignment(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// The representation kernel `K_R = A Aᵀ` of the decision-step rates `A` (trials × units).
pub fn rep_kernel(net: &RateRnn, t: &Trials) -> Vec<f64> {
    let n = net.n;
    let a: Vec<Vec<f32>> = t
        .inputs
        .iter()
        .map(|u| net.forward_sample(u, STEPS).1[(STEPS - 1) * n..].to_vec())
        .collect();
    let m = a.len();
    let mut k = vec![0f64; m * m];
    for i in 0..m {
        for j in 0..m {
            k[i * m + j] = a[i].iter().zip(&a[j]).map(|(x, y)| (x * y) as f64).sum();
        }
    }
    k
}

/// Training budget.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Budget {
    /// Units.
    pub n: usize,
    /// SGD iterations.
    pub iters: usize,
    /// Trials per iteration.
    pub batch: usize,
    /// Learning rate (one tenth of it over the last fifth of the iterations).
    pub lr: f32,
    /// Momentum.
    pub momentum: f32,
    /// Trials for the tangent kernel.
    pub kernel_trials: usize,
    /// Trials for the representation kernel.
    pub rep_trials: usize,
    /// Progress snapshots over training (weight change, representation alignment, loss).
    pub snapshots: usize,
}

/// One snapshot over training.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// Iterations done.
    pub iter: usize,
    /// ‖W_t − W_0‖_F / ‖W_0‖_F of the recurrent weights.
    pub weight_change: f64,
    /// Alignment of the representation kernel with its initial value.
    pub rep_alignment: f64,
    /// Mean cross-entropy over the last iterations.
    pub loss: f64,
}

/// The result of one training run.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// Initialisation.
    pub init: Init,
    /// Seed.
    pub seed: u64,
    /// Test accuracy at the end.
    pub accuracy: f64,
    /// Ideal-observer accuracy on the same test trials.
    pub ideal: f64,
    /// Final ‖W_T − W_0‖_F / ‖W_0‖_F.
    pub weight_change: f64,
    /// Final representation alignment.
    pub rep_alignment: f64,
    /// Final tangent-kernel alignment (recurrent weights).
    pub kernel_alignment: f64,
    /// Over training.
    pub curve: Vec<Snapshot>,
}

/// One SGD-with-momentum step (iteration `it`; the learning rate drops tenfold for the last
/// fifth of the budget) on `w_in`, `w_rec`, `w_out` (no bias, as the paper); returns
/// the batch loss.
fn sgd_step(
    net: &mut RateRnn,
    vel: &mut [Vec<f32>; 4],
    batch: &Trials,
    b: Budget,
    it: usize,
) -> f64 {
    let (loss, g) = ce_loss_grad(net, batch);
    let lr = if it * 5 >= b.iters * 4 {
        0.1 * b.lr
    } else {
        b.lr
    };
    for (k, p) in [&mut net.w_in, &mut net.w_rec, &mut net.w_out]
        .into_iter()
        .enumerate()
    {
        for ((w, v), gr) in p.iter_mut().zip(vel[k].iter_mut()).zip(&g[k]) {
            *v = b.momentum * *v + gr;
            *w -= lr * *v;
        }
    }
    loss
}

/// The task-aligned rank-1 matrix of [`Init::Aligned`] for `net` (which holds the Gaussian
/// start): train a copy for the budget on its own trials, truncate its weight change to rank 1,
/// and scale it so that its recurrent drive matches the random rank-1 matrix's.
///
/// Why not the common Frobenius norm: a random rank-1 matrix `σ u vᵀ` barely sees the
/// activity (`vᵀr ≈ ‖r‖/√N` for a random `v`), but the task-aligned `v` lies along the
/// activity, so at the same `σ` its drive is ~√N times larger. At N = 300 that start blows
/// the rates up (initial loss 10²–10³) and training diverges; at N = 100 it trained, but then
/// its kernels stayed aligned simply because one huge mode dominated the rates. Matching the
/// drive `Σ‖W r_t‖` on the same probe activity (the Gaussian start's rates) compares the two
/// rank-1 starts at equal effect on the dynamics; the aligned matrix then has the smaller
/// Frobenius norm, which by itself pushes towards richer learning, not lazier.
fn aligned_rec(net: &RateRnn, seed: u64, b: Budget) -> Vec<f32> {
    let mut pre = net.clone();
    let mut vel = pre.zero_grads();
    for it in 0..b.iters {
        let batch = trials(
            b.batch,
            seed.wrapping_mul(7_000_003) ^ (it as u64 + 1) << 20,
        );
        sgd_step(&mut pre, &mut vel, &batch, b, it);
    }
    let d: Vec<f32> = pre
        .w_rec
        .iter()
        .zip(&net.w_rec)
        .map(|(a, b)| a - b)
        .collect();
    let t = truncate_rank(&d, net.n, 1);
    let random = truncate_rank(&net.w_rec, net.n, 1);
    let probe = trials(64, 0xd71e ^ seed << 8);
    let (mut drive_t, mut drive_random) = (0.0f64, 0.0f64);
    for u in &probe.inputs {
        let (_, rs) = net.forward_sample(u, STEPS);
        for r in rs.chunks(net.n) {
            drive_t += matvec_norm(&t, r);
            drive_random += matvec_norm(&random, r);
        }
    }
    let scale = if drive_t > 0.0 {
        (drive_random / drive_t) as f32
    } else {
        0.0
    };
    t.into_iter().map(|x| x * scale).collect()
}

/// ‖W r‖ for the row-major square matrix `w` (n × n, n = `r.len()`).
fn matvec_norm(w: &[f32], r: &[f32]) -> f64 {
    w.chunks(r.len())
        .map(|row| {
            let y: f64 = row.iter().zip(r).map(|(a, b)| (a * b) as f64).sum();
            y * y
        })
        .sum::<f64>()
        .sqrt()
}

/// Trains one network with SGD and momentum (all of w_in, w_rec, w_out, as the paper; no bias)
/// on fresh trials each iteration and measures its laziness.
pub fn train(init: Init, seed: u64, b: Budget) -> Run {
    let mut net = network(b.n, seed, init);
    if init == Init::Aligned {
        net.w_rec = aligned_rec(&net, seed, b);
    }
    let w0 = net.w_rec.clone();
    let fro = |m: &[f32]| m.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
    let w0_norm = fro(&w0);
    let probe = trials(b.rep_trials.max(b.kernel_trials), 0xa11 ^ seed << 8);
    let kernel_probe = &probe.inputs[..b.kernel_trials];
    let kr0 = rep_kernel(&net, &probe);
    let (k0, _) = net.rec_tangent_kernel(kernel_probe, STEPS);
    let mut vel = net.zero_grads();
    let every = (b.iters / b.snapshots.max(1)).max(1);
    let mut curve = vec![];
    let mut recent = vec![];
    let change = |net: &RateRnn| {
        let d: Vec<f32> = net.w_rec.iter().zip(&w0).map(|(a, b)| a - b).collect();
        fro(&d) / w0_norm
    };
    for it in 0..b.iters {
        let batch = trials(
            b.batch,
            seed.wrapping_mul(1_000_003) ^ (it as u64 + 1) << 20,
        );
        recent.push(sgd_step(&mut net, &mut vel, &batch, b, it));
        if (it + 1) % every == 0 || it + 1 == b.iters {
            curve.push(Snapshot {
                iter: it + 1,
                weight_change: change(&net),
                rep_alignment: alignment(&kr0, &rep_kernel(&net, &probe)),
                loss: recent.iter().sum::<f64>() / recent.len().max(1) as f64,
            });
            recent.clear();
        }
    }
    let test = trials(512, 0x7e57 ^ seed << 12);
    let (kt, _) = net.rec_tangent_kernel(kernel_probe, STEPS);
    let last = curve.last().cloned();
    Run {
        init,
        seed,
        accuracy: accuracy(&net, &test),
        ideal: ideal_accuracy(&test),
        weight_change: change(&net),
        rep_alignment: last.map_or(f64::NAN, |s| s.rep_alignment),
        kernel_alignment: alignment(&k0, &kt),
        curve,
    }
}

/// Largest error of the cross-entropy gradient against central differences (f32, h = 1e-2),
/// over 6 entries of each trained group (W_in, W_rec, W_out) of a small network, each divided
/// by the largest |gradient| of its group.
pub fn ce_grad_check() -> f64 {
    let net = network(12, 5, Init::Rank(3));
    let t = trials(4, 99);
    let (_, g) = ce_loss_grad(&net, &t);
    let mut worst = 0f64;
    for gi in 0..3 {
        let len = g[gi].len();
        let scale = g[gi].iter().fold(0f32, |m, &x| m.max(x.abs())) as f64;
        for pick in 0..6 {
            let i = (pick * 7919 + gi * 31) % len;
            let h = 1e-3f32;
            let (mut plus, mut minus) = (net.clone(), net.clone());
            [&mut plus.w_in, &mut plus.w_rec, &mut plus.w_out][gi][i] += h;
            [&mut minus.w_in, &mut minus.w_rec, &mut minus.w_out][gi][i] -= h;
            let fd = (ce_loss_grad(&plus, &t).0 - ce_loss_grad(&minus, &t).0) / (2.0 * h as f64);
            worst = worst.max((fd - g[gi][i] as f64).abs() / scale.max(1e-12));
        }
    }
    worst
}
