//! A spiking network learning a sequence of permuted Fashion-MNIST tasks, three ways: plain
//! fine-tuning, a small replay buffer, and HLOP (gradients projected off the principal
//! subspaces of old tasks' presynaptic activity that lateral Hebbian neurons extracted).
//!
//! The network is ganglion-train's LIF twin ([`ganglion_train::snn::Snn`]: `iaf_psc_exp`
//! layers, rate-coded pixels, spike-count readout, surrogate-gradient BPTT with hand-written
//! adjoints), trained by SGD with momentum so that a projected gradient stays projected
//! (Adam's per-weight scaling would not). Task `t` permutes the pixels by a fixed random
//! permutation (task 0: none); all tasks share the 10-way readout (domain-incremental, as
//! PMNIST in the paper).

use ganglion_data::encode;
use ganglion_train::lif::LifParams;
use ganglion_train::snn::Snn;
use ganglion_train::{Model, TrainFile, Trainer};
use rand::RngExt as _;
use rand::seq::SliceRandom;
use serde::Serialize;

use super::hebbian::{self, Lateral};
use crate::stats::{StudyRng, stream};

/// How a run protects old tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Gradients projected off the lateral neurons' subspaces (HLOP).
    Hlop,
    /// Plain sequential SGD (the paper's "baseline").
    FineTune,
    /// Sequential SGD with a small buffer of old tasks' samples mixed into every batch.
    Replay,
}

impl Method {
    /// All three, in report order.
    pub const ALL: [Method; 3] = [Self::Hlop, Self::Replay, Self::FineTune];

    /// Label in tables and figures.
    pub fn label(self) -> &'static str {
        match self {
            Self::Hlop => "HLOP",
            Self::FineTune => "fine-tuning",
            Self::Replay => "replay",
        }
    }
}

/// Sizes and rates of one run.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Setup {
    /// Tasks in the sequence.
    pub tasks: usize,
    /// Training images per task.
    pub train_per_task: usize,
    /// Test images per task (the same images under each task's permutation).
    pub test_per_task: usize,
    /// Hidden LIF neurons.
    pub hidden: usize,
    /// Simulation steps per image (dt = 1 ms).
    pub steps: usize,
    /// Epochs per task.
    pub epochs: usize,
    /// Images per SGD batch.
    pub batch: usize,
    /// SGD learning rate, in weight-scale units (the step of a weight is `lr · s² · ∂L/∂w`
    /// with `s` its layer's initial standard deviation, as ganglion-train's optimiser).
    pub lr: f64,
    /// SGD momentum.
    pub momentum: f64,
    /// Largest gradient norm in weight-scale units (larger gradients are scaled down to it,
    /// which keeps their direction and so their projection).
    pub clip: f64,
    /// Lateral neurons added per task, for the input layer and the hidden layer.
    pub lateral_per_task: [usize; 2],
    /// Epochs of Hebbian learning over a task's presynaptic rates after the task.
    pub hebb_epochs: usize,
    /// Images per step of the Hebbian learning.
    pub hebb_batch: usize,
    /// Stability factor of the Hebbian rate: `η = hebb_rate / λ_max / (1 + epoch)`, λ_max of
    /// the rates' second moment by power iteration (Oja's rule is stable for `η λ_max < 1`).
    pub hebb_rate: f64,
    /// Replay: images kept per old task.
    pub replay_per_task: usize,
}

/// A task set: images (`n × d`, intensities in [0, 1]) and labels for training and test.
pub struct Data {
    /// Pixels per image.
    pub d: usize,
    /// Training images.
    pub train: Vec<f32>,
    /// Training labels.
    pub train_labels: Vec<u8>,
    /// Test images.
    pub test: Vec<f32>,
    /// Test labels.
    pub test_labels: Vec<u8>,
}

/// How the lateral neurons of one task fit the principal subspace of that task's rates.
#[derive(Debug, Clone, Serialize)]
pub struct SubspaceFit {
    /// Task.
    pub task: usize,
    /// Layer (0: input pixels → hidden; 1: hidden → output).
    pub layer: usize,
    /// Lateral neurons of the task.
    pub k: usize,
    /// Projection-matrix distance between their orthonormalised span and the top-k
    /// eigenvectors of the (old-subspace-deflated) second moment (0 = same subspace).
    pub distance: f64,
    /// Fraction of the top-k eigenvalues' sum that their span captures.
    pub captured: f64,
    /// Fraction of the rates' total second moment captured by all lateral neurons so far.
    pub total_captured: f64,
    /// Largest deviation of `H Hᵀ` from the identity after the task (all neurons).
    pub orthonormality_error: f64,
}

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// `r[i][j]`: accuracy on task `j`'s test images after training task `i`.
    pub r: Vec<Vec<f64>>,
    /// Mean accuracy over tasks after the last one.
    pub acc: f64,
    /// Backward transfer: mean over `j < T−1` of `r[T−1][j] − r[j][j]`.
    pub bwt: f64,
    /// Change of the input layer's currents for task 0's images between the end of task 0
    /// and the end: `‖ΔWᵀ X₀‖_F / ‖Wᵀ X₀‖_F` (X₀: task 0's mean input rates per test image).
    pub task0_current_change: f64,
    /// Lateral fits (HLOP only).
    pub fits: Vec<SubspaceFit>,
}

/// ACC and BWT (Lopez-Paz & Ranzato 2017) of an accuracy matrix.
pub fn acc_bwt(r: &[Vec<f64>]) -> (f64, f64) {
    let t = r.len();
    let last = &r[t - 1];
    let acc = last.iter().sum::<f64>() / t as f64;
    let bwt = if t > 1 {
        (0..t - 1).map(|j| last[j] - r[j][j]).sum::<f64>() / (t - 1) as f64
    } else {
        0.0
    };
    (acc, bwt)
}

/// The pixel permutation of task `t` (identity for task 0) for seed `seed`.
pub fn permutation(d: usize, t: usize, seed: u64) -> Vec<usize> {
    let mut p: Vec<usize> = (0..d).collect();
    if t > 0 {
        p.shuffle(&mut stream(seed, 0x7065_726d + t as u64));
    }
    p
}

/// Logits per mV of the membrane readout (mean over steps of the output neurons' V − E_L).
pub const READOUT_SCALE: f32 = 0.5;

/// A fresh network: `d` inputs, `hidden` and 10 LIF neurons (τ_m = 20 ms, τ_syn = 5 ms,
/// no refractory period, as `examples/fmnist_snn.toml`), initial weights from `seed`
/// (ganglion-train's threshold-scaled normal, gain 5), membrane readout (a spike-count
/// readout learned too slowly in our short budgets); returns it and the layers' scales.
pub fn network(d: usize, setup: &Setup, seed: u64) -> (Snn, Vec<f32>) {
    let cfg = TrainFile {
        steps: Some(setup.steps),
        seed: Some(seed),
        init_gain: Some(5.0),
        readout: Some("membrane".into()),
        readout_scale: Some(READOUT_SCALE),
        ..TrainFile::default()
    }
    .resolve()
    .expect("valid training settings");
    let p = LifParams {
        tau_m: 20.0,
        tau_syn_ex: 5.0,
        tau_syn_in: 5.0,
        t_ref: 0.0,
        ..LifParams::default()
    };
    let trainer = Trainer::new_snn(&[d, setup.hidden, 10], &[p, p], 1.0, cfg);
    let scales = trainer.opt.scales.clone();
    match trainer.model {
        Model::Snn(s) => (s, scales),
        _ => unreachable!("new_snn builds an SNN"),
    }
}

fn key(parts: &[u64]) -> u64 {
    parts.iter().fold(0x686c_6f70, |k, &p| {
        encode::mix64(k ^ p.wrapping_add(0x9E37))
    })
}

/// Rate-coded spikes (`steps × d`) of image `x` under permutation `perm`, noise from `k`.
fn spikes(x: &[f32], perm: &[usize], steps: usize, k: u64) -> Vec<u8> {
    let xp: Vec<f32> = perm.iter().map(|&i| x[i]).collect();
    encode::poisson(&xp, steps, 1.0, k)
}

/// Per-neuron spike rates (spikes per step) of `s` (`steps × n`).
fn rates(s: &[u8], n: usize) -> Vec<f64> {
    let steps = s.len() / n;
    let mut r = vec![0.0; n];
    for row in s.chunks_exact(n) {
        r.iter_mut().zip(row).for_each(|(r, &b)| *r += b as f64);
    }
    r.iter_mut().for_each(|v| *v /= steps as f64);
    r
}

struct Run<'a> {
    data: &'a Data,
    setup: Setup,
    seed: u64,
    perms: Vec<Vec<usize>>,
    net: Snn,
    scales: Vec<f32>,
    vel: Vec<Vec<f32>>,
}

impl Run<'_> {
    fn train_input(&self, task: usize, i: usize, epoch: usize) -> Vec<u8> {
        let d = self.data.d;
        spikes(
            &self.data.train[i * d..(i + 1) * d],
            &self.perms[task],
            self.setup.steps,
            key(&[self.seed, task as u64, epoch as u64, i as u64]),
        )
    }

    fn test_input(&self, task: usize, i: usize) -> Vec<u8> {
        let d = self.data.d;
        spikes(
            &self.data.test[i * d..(i + 1) * d],
            &self.perms[task],
            self.setup.steps,
            key(&[0x7465_7374, task as u64, i as u64]),
        )
    }

    fn accuracy(&self, task: usize) -> f64 {
        let n = self.setup.test_per_task;
        let inputs: Vec<Vec<u8>> = (0..n).map(|i| self.test_input(task, i)).collect();
        let pred = self.net.predict(&inputs);
        let ok = pred
            .iter()
            .zip(&self.data.test_labels)
            .filter(|(p, y)| **p == **y as usize)
            .count();
        ok as f64 / n as f64
    }

    /// One SGD-with-momentum step on a batch; HLOP's projection applied to the gradient
    /// before it enters the momentum.
    fn step(&mut self, inputs: &[Vec<u8>], labels: &[u8], lateral: Option<&[Lateral]>) {
        let res = self.net.batch(inputs, labels, true);
        let Some(mut grads) = res.grads else { return };
        if let Some(lat) = lateral {
            for (l, (g, _)) in grads.layers.iter_mut().enumerate() {
                lat[l].project(g, self.net.layers[l].n);
            }
        }
        let norm = grads
            .layers
            .iter()
            .zip(&self.scales)
            .map(|((g, _), &s)| g.iter().map(|&x| ((x * s) as f64).powi(2)).sum::<f64>())
            .sum::<f64>()
            .sqrt();
        let clip = if norm > self.setup.clip {
            (self.setup.clip / norm) as f32
        } else {
            1.0
        };
        let (lr, mu) = (self.setup.lr as f32, self.setup.momentum as f32);
        for (l, (g, _)) in grads.layers.iter().enumerate() {
            let s = self.scales[l];
            let (w, v) = (&mut self.net.layers[l].w, &mut self.vel[l]);
            for ((w, v), &g) in w.iter_mut().zip(v.iter_mut()).zip(g) {
                *v = mu * *v + g * s * clip;
                *w -= s * lr * *v;
            }
        }
    }

    /// Presynaptic rates of both layers for `n` training images of `task` (input spike
    /// rates; hidden spike rates with the current weights).
    fn presynaptic(&self, task: usize, n: usize) -> [Vec<Vec<f64>>; 2] {
        let d = self.data.d;
        let h = self.setup.hidden;
        let mut out: [Vec<Vec<f64>>; 2] = [Vec::with_capacity(n), Vec::with_capacity(n)];
        for i in 0..n {
            let x = self.train_input(task, i, 0xffff);
            let (sp, _) = self.net.forward_sample(&x);
            out[0].push(rates(&x, d));
            out[1].push(rates(&sp[0], h));
        }
        out
    }
}

/// Largest eigenvalue of the second moment of `xs` by power iteration (20 steps).
fn lambda_max(xs: &[Vec<f64>], n: usize) -> f64 {
    let mut v = vec![1.0 / (n as f64).sqrt(); n];
    let mut lam = 0.0;
    for _ in 0..20 {
        let mut w = vec![0.0; n];
        for x in xs {
            let p: f64 = x.iter().zip(&v).map(|(a, b)| a * b).sum();
            w.iter_mut().zip(x).for_each(|(w, &a)| *w += p * a);
        }
        w.iter_mut().for_each(|w| *w /= xs.len() as f64);
        lam = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        if lam == 0.0 {
            break;
        }
        v = w.iter().map(|x| x / lam).collect();
    }
    lam
}

/// `xs` with their components in the span of the fixed lateral rows removed: what the
/// learning rows have left to explain.
fn residuals(lat: &Lateral, xs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let (q, k) = lat.basis(0, lat.fixed());
    let n = lat.n;
    xs.iter()
        .map(|x| {
            let mut r = x.clone();
            for a in 0..k {
                let qa = &q[a * n..(a + 1) * n];
                let d: f64 = qa.iter().zip(x).map(|(q, x)| q * x).sum();
                r.iter_mut().zip(qa).for_each(|(r, q)| *r -= d * q);
            }
            r
        })
        .collect()
}

/// Oja's subspace rule over `xs` for `epochs` shuffled passes in batches of `batch`, at
/// `η = rate / λ_max / (1 + epoch)`, λ_max of the second moment of what the learning rows see
/// (`xs` less their part in the fixed rows' span). Scaling by the whole data's λ_max instead
/// slowed the new rows of later tasks by the ratio of the two (their residual is far smaller
/// than the data), and they ended far from orthonormal (`H Hᵀ` off the identity by 0.2–0.3),
/// so that `g − Hᵀ H g` was no longer a projection.
pub fn hebbian_learn(
    lat: &mut Lateral,
    xs: &[Vec<f64>],
    epochs: usize,
    batch: usize,
    rate: f64,
    rng: &mut StudyRng,
) {
    let seen = if lat.fixed() > 0 {
        lambda_max(&residuals(lat, xs), lat.n)
    } else {
        lambda_max(xs, lat.n)
    };
    let eta0 = rate / seen.max(1e-12);
    let mut order: Vec<usize> = (0..xs.len()).collect();
    for epoch in 0..epochs {
        // A decaying rate (Robbins–Monro), as the paper's `adjust_lr`: with a constant rate
        // the stochastic rule only hovers around the subspace.
        let eta = eta0 / (1.0 + epoch as f64);
        order.shuffle(rng);
        for chunk in order.chunks(batch.max(1)) {
            let b: Vec<&[f64]> = chunk.iter().map(|&i| xs[i].as_slice()).collect();
            lat.update(&b, eta);
        }
    }
}

/// How the new rows `from..lat.m` fit the top eigenvectors of the task's second moment,
/// deflated by the older rows.
fn fit(lat: &Lateral, from: usize, xs: &[Vec<f64>], task: usize, layer: usize) -> SubspaceFit {
    let n = lat.n;
    let c = hebbian::second_moment(xs, n);
    let trace: f64 = (0..n).map(|i| c[i * n + i]).sum();
    let (old, k_old) = lat.basis(0, from);
    let cd = if k_old > 0 {
        hebbian::deflate(&c, &old, k_old, n)
    } else {
        c.clone()
    };
    let (q, k) = lat.basis(from, lat.m);
    let (all, k_all) = lat.basis(0, lat.m);
    let total = {
        let ones = vec![1.0; k_all];
        hebbian::captured_fraction(&all, &c, &ones, k_all, n) * k_all as f64 / trace
    };
    let (distance, captured) = match hebbian::pca(&cd, n, k) {
        Some((vals, u)) => (
            hebbian::subspace_distance(&q, &u, k, n),
            hebbian::captured_fraction(&q, &cd, &vals, k, n),
        ),
        None => (f64::NAN, f64::NAN),
    };
    SubspaceFit {
        task,
        layer,
        k,
        distance,
        captured,
        total_captured: total,
        orthonormality_error: lat.orthonormality_error(),
    }
}

/// Trains one network through the task sequence with `method` and returns its accuracy
/// matrix and diagnostics.
pub fn run(data: &Data, setup: Setup, method: Method, seed: u64) -> Outcome {
    let (net, scales) = network(data.d, &setup, seed);
    let vel = net.layers.iter().map(|l| vec![0.0; l.w.len()]).collect();
    let mut run = Run {
        data,
        setup,
        seed,
        perms: (0..setup.tasks)
            .map(|t| permutation(data.d, t, seed))
            .collect(),
        net,
        scales,
        vel,
    };
    let mut lateral = vec![Lateral::new(data.d), Lateral::new(setup.hidden)];
    let mut rng = stream(seed, 0x6865_6262 + method as u64);
    let mut buffer: Vec<(usize, usize)> = vec![];
    let mut r = vec![];
    let mut fits = vec![];
    let mut w0_after_task0 = vec![];
    for task in 0..setup.tasks {
        run.vel.iter_mut().for_each(|v| v.fill(0.0));
        let mut order: Vec<usize> = (0..setup.train_per_task).collect();
        for epoch in 0..setup.epochs {
            order.shuffle(&mut rng);
            for chunk in order.chunks(setup.batch) {
                let mut inputs: Vec<Vec<u8>> = chunk
                    .iter()
                    .map(|&i| run.train_input(task, i, epoch))
                    .collect();
                let mut labels: Vec<u8> = chunk.iter().map(|&i| data.train_labels[i]).collect();
                if method == Method::Replay && !buffer.is_empty() {
                    for _ in 0..chunk.len() / 2 {
                        let (t, i) = buffer[rng.random_range(0..buffer.len())];
                        inputs.push(run.train_input(t, i, epoch));
                        labels.push(data.train_labels[i]);
                    }
                }
                let lat = (method == Method::Hlop && task > 0).then_some(lateral.as_slice());
                run.step(&inputs, &labels, lat);
            }
        }
        match method {
            Method::Hlop if task + 1 < setup.tasks => {
                let xs = run.presynaptic(task, setup.train_per_task);
                for (l, lat) in lateral.iter_mut().enumerate() {
                    let from = lat.m;
                    lat.add_subspace(setup.lateral_per_task[l], &mut rng);
                    hebbian_learn(
                        lat,
                        &xs[l],
                        setup.hebb_epochs,
                        setup.hebb_batch,
                        setup.hebb_rate,
                        &mut rng,
                    );
                    fits.push(fit(lat, from, &xs[l], task, l));
                }
            }
            Method::Replay => {
                let mut pick: Vec<usize> = (0..setup.train_per_task).collect();
                pick.shuffle(&mut rng);
                buffer.extend(
                    pick.into_iter()
                        .take(setup.replay_per_task)
                        .map(|i| (task, i)),
                );
            }
            _ => {}
        }
        if task == 0 {
            w0_after_task0 = run.net.layers[0].w.clone();
        }
        r.push(
            (0..setup.tasks)
                .map(|j| run.accuracy(j))
                .collect::<Vec<f64>>(),
        );
    }
    let change = current_change(&run, &w0_after_task0);
    let (acc, bwt) = acc_bwt(&r);
    Outcome {
        r,
        acc,
        bwt,
        task0_current_change: change,
        fits,
    }
}

/// `‖(W_end − W₀)ᵀ X‖_F / ‖W₀ᵀ X‖_F` over task 0's test images' input rates (expected rates:
/// the pixel intensities, gain 1).
fn current_change(run: &Run, w0: &[f32]) -> f64 {
    let d = run.data.d;
    let h = run.setup.hidden;
    let w = &run.net.layers[0].w;
    let (mut num, mut den) = (0.0f64, 0.0f64);
    for i in 0..run.setup.test_per_task {
        let x = &run.data.test[i * d..(i + 1) * d];
        let mut a = vec![0.0f64; h];
        let mut b = vec![0.0f64; h];
        for (s, &xs) in x.iter().enumerate() {
            if xs != 0.0 {
                let (ws, w0s) = (&w[s * h..(s + 1) * h], &w0[s * h..(s + 1) * h]);
                for (((a, b), &w), &w0) in a.iter_mut().zip(b.iter_mut()).zip(ws).zip(w0s) {
                    *a += xs as f64 * (w - w0) as f64;
                    *b += xs as f64 * w0 as f64;
                }
            }
        }
        num += a.iter().map(|v| v * v).sum::<f64>();
        den += b.iter().map(|v| v * v).sum::<f64>();
    }
    (num / den).sqrt()
}
