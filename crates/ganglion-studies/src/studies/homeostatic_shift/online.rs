//! Online training of a two-hidden-layer ELU network on an image stream with label-swap
//! concept shift, its learning rate regulated three ways: held constant, stepped at random
//! (the paper's `lrr.py`) or homeostatically (`lrh.py`).
//!
//! The stream follows the paper's code: epochs over the training images, reshuffled each
//! epoch; minibatches of [`MINIBATCH`] samples, each sample classified with the weights as
//! they stand before the minibatch's update (so the stream accuracy is prequential: every
//! prediction is made before the sample is learned); after the minibatch the weights move by
//! `η / m · Σ gradients`. Every `epoch_len / swaps_per_epoch` samples two randomly chosen
//! labels swap places over the whole data set (train and held-out).
//!
//! **The need.** Each sample's (current) label acts on the network's own learning rate: a
//! label ≥ 5 pushes η up by `η₀ / 10`, a label < 5 pushes it down (η clipped at 1e-8). The
//! random regulator accepts that push at the first sample of each minibatch with
//! probability ½. The homeostatic regulator decides from its own classification: it
//! simulates one weight step from that sample's gradient with η unchanged ("leave it") and
//! with η moved in the direction of its *predicted* label ("take it"), scores both on the
//! last [`MEMORY`] samples of the stream, and takes the sample only when "take it" scores
//! strictly higher — then η moves in the direction of the *true* label, so a
//! misclassification moves η the wrong way.

use ganglion_data::images::ImageSet;
use ganglion_train::normal_weights;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;

/// Samples per minibatch (`m` in the paper's code).
pub const MINIBATCH: usize = 10;
/// Recent samples the homeostatic regulator scores its two simulated steps on (`nMemo`).
pub const MEMORY: usize = 20;
/// Classes (labels `0..10`); labels `≥ NEED_SPLIT` push η up, the others down.
pub const CLASSES: usize = 10;
/// Label at and above which a sample raises η.
pub const NEED_SPLIT: usize = 5;
/// η floor after a downward step (the paper's clip).
const ETA_FLOOR: f32 = 1e-8;

/// How the learning rate is regulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Regulator {
    /// η fixed at η₀.
    Constant,
    /// η steps by the true label with probability ½ at each minibatch (`lrr.py`).
    Random,
    /// η steps by the true label when a simulated step by the predicted label helps (`lrh.py`).
    Homeostatic,
}

impl Regulator {
    /// All three, in report order.
    pub const ALL: [Regulator; 3] = [Self::Homeostatic, Self::Random, Self::Constant];

    /// Label in tables and figures.
    pub fn label(self) -> &'static str {
        match self {
            Self::Constant => "constant η",
            Self::Random => "random steps (LRR)",
            Self::Homeostatic => "homeostatic (LRH)",
        }
    }
}

/// A two-hidden-layer ELU network `x → elu(x·W₁+b₁) → elu(·W₂+b₂) → ·W₃+b₃ → softmax`;
/// weights stored `n_in × n_out` row-major.
#[derive(Debug, Clone)]
pub struct Net {
    /// Layer widths: input, hidden 1, hidden 2, classes.
    pub sizes: [usize; 4],
    /// Weights of the three layers.
    pub w: [Vec<f32>; 3],
    /// Biases of the three layers.
    pub b: [Vec<f32>; 3],
}

/// `c (m×n) += a (m×k) · b (k×n)`, row-major; zero entries of `a` (blank pixels) skipped.
fn mat_add(c: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) {
    for r in 0..m {
        let cr = &mut c[r * n..(r + 1) * n];
        for (&av, br) in a[r * k..(r + 1) * k].iter().zip(b.chunks_exact(n)) {
            if av != 0.0 {
                cr.iter_mut().zip(br).for_each(|(c, &b)| *c += av * b);
            }
        }
    }
}

/// `c (m×n) += aᵀ · b` with `a` stored `k×m` and `b` `k×n`.
fn mat_tn_add(c: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) {
    for r in 0..k {
        let br = &b[r * n..(r + 1) * n];
        for (&av, cr) in a[r * m..(r + 1) * m].iter().zip(c.chunks_exact_mut(n)) {
            if av != 0.0 {
                cr.iter_mut().zip(br).for_each(|(c, &b)| *c += av * b);
            }
        }
    }
}

/// `c (m×n) = a · bᵀ` with `a` stored `m×k` and `b` `n×k`.
fn mat_nt(c: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) {
    for r in 0..m {
        let ar = &a[r * k..(r + 1) * k];
        for (cv, br) in c[r * n..(r + 1) * n].iter_mut().zip(b.chunks_exact(k)) {
            *cv = ar.iter().zip(br).map(|(x, y)| x * y).sum();
        }
    }
}

fn elu(x: f32) -> f32 {
    if x > 0.0 { x } else { x.exp() - 1.0 }
}

fn elu_grad(z: f32) -> f32 {
    if z > 0.0 { 1.0 } else { z.exp() }
}

fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Softmax of `z` minus the one-hot of `label`: ∂(cross-entropy)/∂z.
fn softmax_minus_onehot(z: &[f32], label: usize, out: &mut [f32]) {
    let m = z.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    let mut s = 0.0;
    for (o, &v) in out.iter_mut().zip(z) {
        *o = (v - m).exp();
        s += *o;
    }
    for o in out.iter_mut() {
        *o /= s;
    }
    out[label] -= 1.0;
}

impl Net {
    /// The paper's initialisation (`initialize_parameters`): weights N(0, 2/fan-in), biases
    /// N(0, 1), from stream `key`.
    pub fn new(sizes: [usize; 4], key: u64) -> Self {
        let layer = |l: usize| {
            let (i, o) = (sizes[l], sizes[l + 1]);
            (
                normal_weights((2.0 / i as f32).sqrt(), key * 8 + 2 * l as u64, i * o),
                normal_weights(1.0, key * 8 + 2 * l as u64 + 1, o),
            )
        };
        let (l0, l1, l2) = (layer(0), layer(1), layer(2));
        Self {
            sizes,
            w: [l0.0, l1.0, l2.0],
            b: [l0.1, l1.1, l2.1],
        }
    }

    /// Pre-activations of the three layers for a batch `x` (`n × sizes[0]`).
    pub fn forward(&self, x: &[f32], n: usize) -> [Vec<f32>; 3] {
        let mut zs: [Vec<f32>; 3] = Default::default();
        let mut a: Vec<f32> = x.to_vec();
        for (l, zl) in zs.iter_mut().enumerate() {
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            let mut z = Vec::with_capacity(n * o);
            for _ in 0..n {
                z.extend_from_slice(&self.b[l]);
            }
            mat_add(&mut z, &a, &self.w[l], n, i, o);
            if l < 2 {
                a = z.iter().map(|&v| elu(v)).collect();
            }
            *zl = z;
        }
        zs
    }

    /// Predicted classes of a batch.
    pub fn predict(&self, x: &[f32], n: usize) -> Vec<usize> {
        let zs = self.forward(x, n);
        zs[2].chunks(CLASSES).map(argmax).collect()
    }

    /// Predictions and the cross-entropy gradients *summed* over a batch (the paper's
    /// `grad*` and `errortot*`), as `(∂W, ∂b)` per layer.
    pub fn grads(&self, x: &[f32], labels: &[usize]) -> (Vec<usize>, Grads) {
        let n = labels.len();
        let zs = self.forward(x, n);
        let preds: Vec<usize> = zs[2].chunks(CLASSES).map(argmax).collect();
        let mut dz = vec![0f32; n * CLASSES];
        for (r, &y) in labels.iter().enumerate() {
            softmax_minus_onehot(
                &zs[2][r * CLASSES..(r + 1) * CLASSES],
                y,
                &mut dz[r * CLASSES..(r + 1) * CLASSES],
            );
        }
        let acts: [Vec<f32>; 2] = [
            zs[0].iter().map(|&v| elu(v)).collect(),
            zs[1].iter().map(|&v| elu(v)).collect(),
        ];
        let mut g = Grads {
            w: Default::default(),
            b: Default::default(),
        };
        for l in (0..3).rev() {
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            let inp: &[f32] = if l == 0 { x } else { &acts[l - 1] };
            let mut dw = vec![0f32; i * o];
            mat_tn_add(&mut dw, inp, &dz, i, n, o);
            let mut db = vec![0f32; o];
            for row in dz.chunks(o) {
                db.iter_mut().zip(row).for_each(|(d, &v)| *d += v);
            }
            if l > 0 {
                let mut dx = vec![0f32; n * i];
                mat_nt(&mut dx, &dz, &self.w[l], n, o, i);
                dx.iter_mut()
                    .zip(&zs[l - 1])
                    .for_each(|(d, &z)| *d *= elu_grad(z));
                dz = dx;
            }
            g.w[l] = dw;
            g.b[l] = db;
        }
        (preds, g)
    }

    /// `self − scale · g`.
    pub fn stepped(&self, g: &Grads, scale: f32) -> Net {
        let mut out = self.clone();
        out.step(g, scale);
        out
    }

    /// `self ← self − scale · g`.
    pub fn step(&mut self, g: &Grads, scale: f32) {
        for l in 0..3 {
            self.w[l]
                .iter_mut()
                .zip(&g.w[l])
                .for_each(|(w, d)| *w -= scale * d);
            self.b[l]
                .iter_mut()
                .zip(&g.b[l])
                .for_each(|(b, d)| *b -= scale * d);
        }
    }

    /// Summed cross-entropy of a batch in f64 with plain loops (the finite-difference
    /// reference for [`Net::grads`]).
    pub fn loss_f64(&self, x: &[f32], labels: &[usize]) -> f64 {
        let mut total = 0.0;
        for (r, &y) in labels.iter().enumerate() {
            let mut a: Vec<f64> = x[r * self.sizes[0]..(r + 1) * self.sizes[0]]
                .iter()
                .map(|&v| v as f64)
                .collect();
            for l in 0..3 {
                let (i, o) = (self.sizes[l], self.sizes[l + 1]);
                let mut z: Vec<f64> = self.b[l].iter().map(|&v| v as f64).collect();
                for (k, &ak) in a.iter().enumerate().take(i) {
                    for (j, zj) in z.iter_mut().enumerate() {
                        *zj += ak * self.w[l][k * o + j] as f64;
                    }
                }
                a = if l < 2 {
                    z.iter()
                        .map(|&v| if v > 0.0 { v } else { v.exp() - 1.0 })
                        .collect()
                } else {
                    z
                };
            }
            let m = a.iter().fold(f64::NEG_INFINITY, |p, &q| p.max(q));
            let lse = m + a.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            total += lse - a[y];
        }
        total
    }
}

/// Gradients shaped like a [`Net`].
#[derive(Debug, Clone)]
pub struct Grads {
    /// ∂W per layer.
    pub w: [Vec<f32>; 3],
    /// ∂b per layer.
    pub b: [Vec<f32>; 3],
}

/// Largest relative error of [`Net::grads`] against central differences of
/// [`Net::loss_f64`] (step `h`) over `per_layer` weights and biases of each layer of a small
/// random network; the relative error is `|a − n| / max(|a| + |n|, 1e-3)`.
pub fn grad_check(per_layer: usize, h: f32) -> f64 {
    let sizes = [12, 7, 5, CLASSES];
    let net = Net::new(sizes, 901);
    let x = normal_weights(0.5, 902, 3 * sizes[0]);
    let labels = [1usize, 7, 4];
    let (_, g) = net.grads(&x, &labels);
    let mut worst = 0f64;
    for l in 0..3 {
        for which in 0..2 {
            let len = if which == 0 {
                net.w[l].len()
            } else {
                net.b[l].len()
            };
            for k in 0..per_layer.min(len) {
                let idx = (k * 7919) % len;
                let fd = |sign: f32| {
                    let mut p = net.clone();
                    let v = if which == 0 {
                        &mut p.w[l][idx]
                    } else {
                        &mut p.b[l][idx]
                    };
                    *v += sign * h;
                    // The step actually taken, after f32 rounding.
                    let taken = *v as f64
                        - if which == 0 {
                            net.w[l][idx]
                        } else {
                            net.b[l][idx]
                        } as f64;
                    (p.loss_f64(&x, &labels), taken)
                };
                let ((lp, hp), (lm, hm)) = (fd(1.0), fd(-1.0));
                let num = (lp - lm) / (hp - hm);
                let ana = if which == 0 { g.w[l][idx] } else { g.b[l][idx] } as f64;
                worst = worst.max((ana - num).abs() / (ana.abs() + num.abs()).max(1e-3));
            }
        }
    }
    worst
}

/// One run's settings.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Setup {
    /// Hidden widths.
    pub hidden: [usize; 2],
    /// Initial (and, for [`Regulator::Constant`], fixed) learning rate η₀.
    pub eta0: f32,
    /// Passes over the training subset.
    pub epochs: usize,
    /// Label swaps per epoch (0: no shift).
    pub swaps_per_epoch: usize,
    /// Held-out images scored at the end of each epoch.
    pub held_out: usize,
}

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Fraction of stream samples classified correctly before being learned, whole stream.
    pub online_accuracy: f64,
    /// The same per epoch.
    pub epoch_accuracy: Vec<f64>,
    /// Held-out accuracy (current label mapping) at the end of each epoch.
    pub held_out_accuracy: Vec<f64>,
    /// Mean η over the minibatches.
    pub mean_eta: f64,
    /// η after the last minibatch.
    pub final_eta: f64,
    /// Label swaps that happened.
    pub swaps: usize,
    /// Fraction of the regulator's opportunities at which η moved.
    pub step_fraction: f64,
}

/// Trains one network online on `train` (stream) and scores `test`, with labels swapped
/// `setup.swaps_per_epoch` times per epoch and η regulated by `reg`; `seed` draws the
/// initial weights, the stream order, the swaps and the random steps.
pub fn run(train: &ImageSet, test: &ImageSet, setup: Setup, reg: Regulator, seed: u64) -> Outcome {
    let dim = train.dim();
    let n = train.len();
    let mut net = Net::new([dim, setup.hidden[0], setup.hidden[1], CLASSES], seed);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5eed_4a11);
    // A separate stream for the shift, so all regulators see the same swaps and order.
    let mut env = Xoshiro256PlusPlus::seed_from_u64(seed.wrapping_mul(0x9e37_79b9) + 17);
    let mut map: [usize; CLASSES] = std::array::from_fn(|c| c);
    let mut order: Vec<usize> = (0..n).collect();
    let eta0 = setup.eta0;
    let step = eta0 / 10.0;
    let mut eta = eta0;
    let (mut swaps, mut opportunities, mut moves) = (0usize, 0usize, 0usize);
    let (mut eta_sum, mut batches) = (0f64, 0usize);
    let mut correct_all = 0usize;
    let mut epoch_accuracy = Vec::with_capacity(setup.epochs);
    let mut held_out_accuracy = Vec::with_capacity(setup.epochs);
    let interval = n
        .checked_div(setup.swaps_per_epoch)
        .map_or(usize::MAX, |v| v.max(1));
    let mut xb = vec![0f32; MINIBATCH * dim];
    let mut xm = vec![0f32; MEMORY * dim];
    for _ in 0..setup.epochs {
        for i in (1..n).rev() {
            order.swap(i, env.random_range(0..=i));
        }
        let mut correct = 0usize;
        for j in 0..n / MINIBATCH {
            let start = j * MINIBATCH;
            let idx = &order[start..start + MINIBATCH];
            let labels: Vec<usize> = idx.iter().map(|&k| map[train.labels[k] as usize]).collect();
            for (r, &k) in idx.iter().enumerate() {
                xb[r * dim..(r + 1) * dim].copy_from_slice(train.image(k));
            }
            let (preds, g) = net.grads(&xb, &labels);
            correct += preds.iter().zip(&labels).filter(|(p, y)| p == y).count();
            // The regulator's opportunity: the first sample of the minibatch (`i % 10 == 0`).
            let dir = |label: usize| if label >= NEED_SPLIT { 1.0 } else { -1.0 };
            let clip = |e: f32| if e < 0.0 { ETA_FLOOR } else { e };
            match reg {
                Regulator::Constant => {}
                Regulator::Random => {
                    if start != 0 {
                        opportunities += 1;
                        if rng.random::<f64>() > 0.5 {
                            moves += 1;
                            eta = clip(eta + step * dir(labels[0]));
                        }
                    }
                }
                Regulator::Homeostatic => {
                    if start > MEMORY {
                        opportunities += 1;
                        let (_, g1) = net.grads(&xb[..dim], &labels[..1]);
                        let memo = &order[start - MEMORY..start];
                        let memo_labels: Vec<usize> = memo
                            .iter()
                            .map(|&k| map[train.labels[k] as usize])
                            .collect();
                        for (r, &k) in memo.iter().enumerate() {
                            xm[r * dim..(r + 1) * dim].copy_from_slice(train.image(k));
                        }
                        let score = |lr: f32| {
                            let sim = net.stepped(&g1, lr / MINIBATCH as f32);
                            sim.predict(&xm, MEMORY)
                                .iter()
                                .zip(&memo_labels)
                                .filter(|(p, y)| p == y)
                                .count()
                        };
                        let leave = score(eta);
                        let take = score(clip(eta + step * dir(preds[0])));
                        if take > leave {
                            moves += 1;
                            eta = clip(eta + step * dir(labels[0]));
                        }
                    }
                }
            }
            net.step(&g, eta / MINIBATCH as f32);
            eta_sum += eta as f64;
            batches += 1;
            let done = start + MINIBATCH;
            if j != 0 && done.is_multiple_of(interval) {
                let a = env.random_range(0..CLASSES);
                let b = (a + 1 + env.random_range(0..CLASSES - 1)) % CLASSES;
                for m in map.iter_mut() {
                    if *m == a {
                        *m = b;
                    } else if *m == b {
                        *m = a;
                    }
                }
                swaps += 1;
            }
        }
        let seen = (n / MINIBATCH) * MINIBATCH;
        correct_all += correct;
        epoch_accuracy.push(correct as f64 / seen as f64);
        held_out_accuracy.push(held_out(&net, test, setup.held_out, &map));
    }
    let seen = setup.epochs * (n / MINIBATCH) * MINIBATCH;
    Outcome {
        online_accuracy: correct_all as f64 / seen.max(1) as f64,
        epoch_accuracy,
        held_out_accuracy,
        mean_eta: eta_sum / batches.max(1) as f64,
        final_eta: eta as f64,
        swaps,
        step_fraction: moves as f64 / opportunities.max(1) as f64,
    }
}

fn held_out(net: &Net, test: &ImageSet, count: usize, map: &[usize; CLASSES]) -> f64 {
    let n = count.min(test.len());
    if n == 0 {
        return f64::NAN;
    }
    let d = test.dim();
    let preds = net.predict(&test.images[..n * d], n);
    preds
        .iter()
        .zip(&test.labels[..n])
        .filter(|&(&p, &y)| p == map[y as usize])
        .count() as f64
        / n as f64
}

/// `set` with each image average-pooled over `factor × factor` blocks.
pub fn downsample(set: &ImageSet, factor: usize) -> ImageSet {
    if factor <= 1 {
        return set.clone();
    }
    let (r, c) = (set.rows / factor, set.cols / factor);
    let mut images = Vec::with_capacity(set.len() * r * c);
    let norm = 1.0 / (factor * factor) as f32;
    for i in 0..set.len() {
        let im = set.image(i);
        for y in 0..r {
            for x in 0..c {
                let mut s = 0.0;
                for dy in 0..factor {
                    for dx in 0..factor {
                        s += im[(y * factor + dy) * set.cols + x * factor + dx];
                    }
                }
                images.push(s * norm);
            }
        }
    }
    ImageSet {
        rows: r,
        cols: c,
        classes: set.classes,
        images,
        labels: set.labels.clone(),
    }
}
