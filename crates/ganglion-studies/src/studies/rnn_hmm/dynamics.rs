//! Training the noise-driven RNN with the Sinkhorn loss, and the analyses of the trained
//! network on the host (f64): symbol statistics, fixed points of the noise-free map, kick
//! neurons.

use std::time::Instant;

use ganglion_base::rng::{Stream, derive};
use ganglion_train::autodiff::hmm_rnn::{NoiseRnn, gaussian, gumbel};
use ganglion_train::autodiff::sinkhorn::{SinkhornConfig, sinkhorn_divergence};
use ganglion_train::autodiff::{Adam, DType, Device, Params, Result, Tensor};
use serde::Serialize;

use super::hmm::{Hmm, SymbolStats};

/// Sizes and training settings.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Setup {
    /// Hidden units H.
    pub hidden: usize,
    /// Noise input dimension I.
    pub input: usize,
    /// Sequence length T (steps).
    pub t_len: usize,
    /// Sequences per batch (generated and HMM).
    pub batch: usize,
    /// Adam steps.
    pub steps: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Global gradient-norm clip.
    pub clip: f64,
    /// Sinkhorn blur (ε = blur²).
    pub blur: f64,
    /// Sinkhorn iterations at the final ε (after ε-scaling).
    pub sinkhorn_iters: usize,
    /// Sequences generated for the symbol statistics.
    pub eval_seqs: usize,
    /// Steps of the long noisy trajectory used for the kick-neuron analysis.
    pub traj_len: usize,
}

/// A trained (or untrained) network's weights, row-major f64.
#[derive(Debug, Clone)]
pub struct Weights {
    /// W_in (I × H).
    pub w_in: Vec<f64>,
    /// W_hh (H × H).
    pub w_hh: Vec<f64>,
    /// W_out (H × K).
    pub w_out: Vec<f64>,
    /// I.
    pub i: usize,
    /// H.
    pub h: usize,
    /// K.
    pub k: usize,
}

/// Result of one training run.
#[derive(Debug, Clone)]
pub struct Trained {
    /// Weights before training.
    pub initial: Weights,
    /// Weights after training.
    pub last: Weights,
    /// Sinkhorn divergence per step.
    pub losses: Vec<f64>,
    /// Wall time (s).
    pub seconds: f64,
}

fn weights(rnn: &NoiseRnn) -> Result<Weights> {
    let (w_in, w_hh, w_out) = rnn.weights()?;
    Ok(Weights {
        w_in,
        w_hh,
        w_out,
        i: rnn.num_input,
        h: rnn.hidden,
        k: rnn.num_output,
    })
}

fn one_hot(ys: &[usize], k: usize) -> Vec<f32> {
    let mut v = vec![0f32; ys.len() * k];
    for (i, &y) in ys.iter().enumerate() {
        v[i * k + y] = 1.0;
    }
    v
}

/// Train the RNN on `hmm` with seed `seed` (initialisation, noise, HMM batches). Each step
/// draws a fresh batch of HMM sequences, fresh noise and fresh Gumbel draws.
pub fn train(hmm: &Hmm, s: &Setup, seed: u64) -> Result<Trained> {
    let started = Instant::now();
    let k = hmm.symbols();
    let mut p = Params::new();
    let rnn = NoiseRnn::new(
        s.input,
        s.hidden,
        k,
        &mut p,
        "rnn",
        derive(seed, 1),
        DType::F32,
    )?;
    let initial = weights(&rnn)?;
    let mut opt = Adam::new(&p, s.lr)?;
    // The paper's optimiser: Adam(betas = (0.9, 0.9)), clip_grad_norm 0.9.
    opt.beta2 = 0.9;
    opt.clip_norm = Some(s.clip);
    let cfg = SinkhornConfig {
        blur: s.blur,
        scaling: 0.5,
        max_iters: s.sinkhorn_iters,
        tol: 1e-4,
    };
    let mut losses = Vec::with_capacity(s.steps);
    for step in 0..s.steps as u64 {
        let key = derive(seed, 100 + step);
        let (ys, _) = hmm.sample(s.batch, s.t_len, derive(key, 1));
        let target = Tensor::from_vec(one_hot(&ys, k), (s.batch, s.t_len * k), &Device::Cpu)?;
        let noise = gaussian(&[s.t_len, s.batch, s.input], derive(key, 2), DType::F32)?;
        let g = gumbel(&[s.t_len, s.batch, k], derive(key, 3), DType::F32)?;
        let pass = rnn.forward(&noise, &g, 1.0, true)?;
        let (loss, _) = sinkhorn_divergence(&pass.emitted, &target, &cfg)?;
        let (v, _) = opt.step(&p, &loss)?;
        losses.push(v);
    }
    Ok(Trained {
        initial,
        last: weights(&rnn)?,
        losses,
        seconds: started.elapsed().as_secs_f64(),
    })
}

impl Weights {
    /// One step h' = relu(x W_in + h W_hh) (x may be empty for the noise-free map), with
    /// the units in `silenced` clamped to 0.
    pub fn step(&self, h: &[f64], x: Option<&[f64]>, silenced: &[usize], out: &mut [f64]) {
        let hn = self.h;
        out.iter_mut().for_each(|v| *v = 0.0);
        for (j, &hj) in h.iter().enumerate() {
            if hj != 0.0 {
                let row = &self.w_hh[j * hn..(j + 1) * hn];
                for (o, w) in out.iter_mut().zip(row) {
                    *o += hj * w;
                }
            }
        }
        if let Some(x) = x {
            for (i, &xi) in x.iter().enumerate() {
                let row = &self.w_in[i * hn..(i + 1) * hn];
                for (o, w) in out.iter_mut().zip(row) {
                    *o += xi * w;
                }
            }
        }
        out.iter_mut().for_each(|v| *v = v.max(0.0));
        for &n in silenced {
            out[n] = 0.0;
        }
    }

    /// Logits h W_out.
    pub fn logits(&self, h: &[f64]) -> Vec<f64> {
        (0..self.k)
            .map(|c| (0..self.h).map(|j| h[j] * self.w_out[j * self.k + c]).sum())
            .collect()
    }

    /// `n` sequences of `t_len` symbols, h_0 = 0, noise N(0, 1), symbols drawn from
    /// softmax(logits) (what the Gumbel-max trick samples).
    pub fn generate(&self, n: usize, t_len: usize, key: u64) -> Vec<usize> {
        let mut s = Stream::new(key);
        let mut ys = Vec::with_capacity(n * t_len);
        let mut h = vec![0.0; self.h];
        let mut nxt = vec![0.0; self.h];
        let mut x = vec![0.0; self.i];
        for _ in 0..n {
            h.iter_mut().for_each(|v| *v = 0.0);
            for _ in 0..t_len {
                x.iter_mut().for_each(|v| *v = s.normal());
                self.step(&h, Some(&x), &[], &mut nxt);
                std::mem::swap(&mut h, &mut nxt);
                let z = self.logits(&h);
                let mx = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = z.iter().map(|v| (v - mx).exp()).collect();
                let tot: f64 = e.iter().sum();
                let u = s.uniform() * tot;
                let mut acc = 0.0;
                let mut y = self.k - 1;
                for (c, &ec) in e.iter().enumerate() {
                    acc += ec;
                    if u < acc {
                        y = c;
                        break;
                    }
                }
                ys.push(y);
            }
        }
        ys
    }

    /// A noisy trajectory of `len` steps from h_0 = 0 with `silenced` units clamped to 0:
    /// hidden states (len × H) and the argmax of the logits per step.
    pub fn trajectory(&self, len: usize, key: u64, silenced: &[usize]) -> (Vec<f64>, Vec<usize>) {
        let mut s = Stream::new(key);
        let mut h = vec![0.0; self.h];
        let mut nxt = vec![0.0; self.h];
        let mut x = vec![0.0; self.i];
        let mut hs = Vec::with_capacity(len * self.h);
        let mut os = Vec::with_capacity(len);
        for _ in 0..len {
            x.iter_mut().for_each(|v| *v = s.normal());
            self.step(&h, Some(&x), silenced, &mut nxt);
            std::mem::swap(&mut h, &mut nxt);
            hs.extend_from_slice(&h);
            let z = self.logits(&h);
            let mut best = 0;
            for c in 1..self.k {
                if z[c] > z[best] {
                    best = c;
                }
            }
            os.push(best);
        }
        (hs, os)
    }
}

/// Symbol statistics of `eval_seqs` generated sequences.
pub fn stats(w: &Weights, s: &Setup, key: u64) -> SymbolStats {
    SymbolStats::of(&w.generate(s.eval_seqs, s.t_len, key), s.t_len, w.k)
}

/// Fixed and slow points of the noise-free map F(h) = relu(h W_hh).
#[derive(Debug, Clone, Serialize)]
pub struct FixedPoints {
    /// Initial states tried (taken along a noisy trajectory).
    pub starts: usize,
    /// Minima with q < 1e-12 · scale² (fixed points), after merging those closer than 1e-4 · scale.
    pub distinct_fixed: usize,
    /// Norm of the first fixed point found (0 for the origin).
    pub fixed_norm: f64,
    /// Distinct fixed points farther than 1e-3 · scale from the origin (the origin is a fixed
    /// point of every bias-free ReLU network).
    pub nonorigin_fixed: usize,
    /// Minima with 1e-12 ≤ q and relative speed |F(h) − h| / |h| < 0.05 (slow points).
    pub slow_points: usize,
    /// Smallest relative speed |F(h) − h| / |h| among the non-fixed minima.
    pub min_rel_speed: f64,
    /// Largest distance between noise-free end states after `collapse_steps`, divided by
    /// the mean norm of the noisy states they started from.
    pub collapse_spread: f64,
    /// Noise-free steps run for the collapse test.
    pub collapse_steps: usize,
    /// Mean norm of the noisy states (scale).
    pub scale: f64,
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Minimise q(h) = ½|F(h) − h|² by gradient descent from `starts` states of a noisy
/// trajectory, and run the noise-free map from the same states.
pub fn fixed_points(w: &Weights, starts: usize, key: u64) -> FixedPoints {
    let hn = w.h;
    let (hs, _) = w.trajectory(200 + 10 * starts, key, &[]);
    let init: Vec<Vec<f64>> = (0..starts)
        .map(|i| hs[(200 + 10 * i) * hn..(201 + 10 * i) * hn].to_vec())
        .collect();
    let scale = init.iter().map(|h| norm(h)).sum::<f64>() / starts.max(1) as f64;
    let mut fixed: Vec<Vec<f64>> = vec![];
    let mut slow = 0;
    let mut min_rel = f64::INFINITY;
    let mut f = vec![0.0; hn];
    for h0 in &init {
        let mut h = h0.clone();
        let mut q = 0.0;
        let mut lr = 0.2;
        for _ in 0..5000 {
            // u = h W_hh, F = relu(u), r = F − h, ∇q_j = Σ_i W[j][i] d_i r_i − r_j.
            w.step(&h, None, &[], &mut f);
            let r: Vec<f64> = (0..hn).map(|i| f[i] - h[i]).collect();
            q = 0.5 * r.iter().map(|v| v * v).sum::<f64>();
            if q < 1e-14 * scale * scale {
                break;
            }
            let dr: Vec<f64> = (0..hn)
                .map(|i| if f[i] > 0.0 { r[i] } else { 0.0 })
                .collect();
            let grad: Vec<f64> = (0..hn)
                .map(|j| {
                    let row = &w.w_hh[j * hn..(j + 1) * hn];
                    row.iter().zip(&dr).map(|(a, b)| a * b).sum::<f64>() - r[j]
                })
                .collect();
            let trial: Vec<f64> = h.iter().zip(&grad).map(|(a, g)| a - lr * g).collect();
            w.step(&trial, None, &[], &mut f);
            let qt = 0.5 * (0..hn).map(|i| (f[i] - trial[i]).powi(2)).sum::<f64>();
            if qt < q {
                h = trial;
                lr *= 1.2;
            } else {
                lr *= 0.5;
            }
        }
        if q < 1e-12 * scale * scale {
            if !fixed.iter().any(|p| {
                norm(&p.iter().zip(&h).map(|(a, b)| a - b).collect::<Vec<_>>())
                    < 1e-4 * scale.max(1.0)
            }) {
                fixed.push(h);
            }
        } else {
            let rel = (2.0 * q).sqrt() / norm(&h).max(1e-12);
            min_rel = min_rel.min(rel);
            if rel < 0.05 {
                slow += 1;
            }
        }
    }
    // Noise-free collapse.
    let steps = 500;
    let ends: Vec<Vec<f64>> = init
        .iter()
        .map(|h0| {
            let mut h = h0.clone();
            for _ in 0..steps {
                w.step(&h, None, &[], &mut f);
                h.copy_from_slice(&f);
            }
            h
        })
        .collect();
    let mut spread = 0.0f64;
    for a in &ends {
        for b in &ends {
            spread = spread.max(norm(
                &a.iter().zip(b).map(|(x, y)| x - y).collect::<Vec<_>>(),
            ));
        }
    }
    FixedPoints {
        starts,
        distinct_fixed: fixed.len(),
        fixed_norm: fixed.first().map(|p| norm(p)).unwrap_or(f64::NAN),
        nonorigin_fixed: fixed.iter().filter(|p| norm(p) > 1e-3 * scale).count(),
        slow_points: slow,
        min_rel_speed: min_rel,
        collapse_spread: spread / scale.max(1e-12),
        collapse_steps: steps,
        scale,
    }
}

/// Kick-neuron analysis of one network.
#[derive(Debug, Clone, Serialize)]
pub struct Kick {
    /// Readout switches between the two dominant symbols per 1000 steps, intact network.
    pub switch_rate: f64,
    /// The kick neurons (top `per_dir` per switch direction by pre-switch selectivity).
    pub neurons: Vec<usize>,
    /// Their selectivity z (mean activity in the `window` steps before a switch minus the
    /// mean activity, over the activity's standard deviation).
    pub selectivity: Vec<f64>,
    /// Median selectivity of all units.
    pub median_selectivity: f64,
    /// Switch rate with the kick neurons silenced, over the intact rate.
    pub ablate_kick_ratio: f64,
    /// Same with as many random non-kick units silenced (mean over draws).
    pub ablate_random_ratio: f64,
    /// Mean activity of the kick neurons from 10 steps before to 5 after a switch.
    pub aligned: Vec<f64>,
}

fn switches(os: &[usize], a: usize, b: usize) -> Vec<(usize, bool)> {
    // Times where the readout enters a (resp. b) having last been at b (resp. a).
    let mut out = vec![];
    let mut last = None;
    for (t, &o) in os.iter().enumerate() {
        if o == a || o == b {
            if let Some(l) = last
                && l != o
            {
                out.push((t, o == b));
            }
            last = Some(o);
        }
    }
    out
}

/// Find kick neurons (units most active just before the readout switches between symbols 0
/// and K−1) on a noisy trajectory of `len` steps, and silence them.
pub fn kick(w: &Weights, len: usize, key: u64, per_dir: usize, window: usize) -> Kick {
    let hn = w.h;
    let (a, b) = (0, w.k - 1);
    let (hs, os) = w.trajectory(len, derive(key, 1), &[]);
    let sw = switches(&os, a, b);
    let rate = |os: &[usize]| 1000.0 * switches(os, a, b).len() as f64 / os.len() as f64;
    let base = rate(&os);
    let mean: Vec<f64> = (0..hn)
        .map(|n| (0..len).map(|t| hs[t * hn + n]).sum::<f64>() / len as f64)
        .collect();
    let sd: Vec<f64> = (0..hn)
        .map(|n| {
            ((0..len)
                .map(|t| (hs[t * hn + n] - mean[n]).powi(2))
                .sum::<f64>()
                / len as f64)
                .sqrt()
                .max(1e-9)
        })
        .collect();
    let select = |to_b: bool| -> Vec<f64> {
        let ts: Vec<usize> = sw
            .iter()
            .filter(|(t, d)| *d == to_b && *t >= window)
            .map(|(t, _)| *t)
            .collect();
        (0..hn)
            .map(|n| {
                if ts.is_empty() {
                    return 0.0;
                }
                let m = ts
                    .iter()
                    .map(|&t| (t - window..t).map(|u| hs[u * hn + n]).sum::<f64>() / window as f64)
                    .sum::<f64>()
                    / ts.len() as f64;
                (m - mean[n]) / sd[n]
            })
            .collect()
    };
    let z_b = select(true);
    let z_a = select(false);
    let mut neurons = vec![];
    let mut sel = vec![];
    for z in [&z_b, &z_a] {
        let mut idx: Vec<usize> = (0..hn).filter(|n| !neurons.contains(n)).collect();
        idx.sort_by(|&i, &j| z[j].total_cmp(&z[i]));
        for &n in idx.iter().take(per_dir) {
            neurons.push(n);
            sel.push(z[n]);
        }
    }
    let mut all: Vec<f64> = z_a.iter().chain(&z_b).cloned().collect();
    all.sort_by(f64::total_cmp);
    let median = all.get(all.len() / 2).cloned().unwrap_or(f64::NAN);
    let test_key = derive(key, 2);
    let ratio = |sil: &[usize]| {
        let (_, o) = w.trajectory(len, test_key, sil);
        let (_, o0) = w.trajectory(len, test_key, &[]);
        let r0 = rate(&o0);
        if r0 > 0.0 { rate(&o) / r0 } else { f64::NAN }
    };
    let kick_ratio = ratio(&neurons);
    let mut st = Stream::new(derive(key, 3));
    let draws = 5;
    let mut rand_ratio = 0.0;
    for _ in 0..draws {
        let mut pool: Vec<usize> = (0..hn).filter(|n| !neurons.contains(n)).collect();
        let mut pick = vec![];
        for _ in 0..neurons.len().min(pool.len()) {
            let i = st.below(pool.len() as u64) as usize;
            pick.push(pool.swap_remove(i));
        }
        rand_ratio += ratio(&pick) / draws as f64;
    }
    let aligned: Vec<f64> = (0..16)
        .map(|off| {
            let ts: Vec<usize> = sw
                .iter()
                .map(|(t, _)| *t)
                .filter(|&t| t >= 10 && t + 5 < len)
                .collect();
            let tot: f64 = ts
                .iter()
                .map(|&t| {
                    let u = t + off - 10;
                    neurons.iter().map(|&n| hs[u * hn + n]).sum::<f64>() / neurons.len() as f64
                })
                .sum();
            tot / ts.len().max(1) as f64
        })
        .collect();
    Kick {
        switch_rate: base,
        neurons,
        selectivity: sel,
        median_selectivity: median,
        ablate_kick_ratio: kick_ratio,
        ablate_random_ratio: rand_ratio,
        aligned,
    }
}
