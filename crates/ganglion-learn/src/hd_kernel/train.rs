//! Training the HD kernel: softmax cross-entropy over output positions, hand-written
//! gradient, Adam (Kingma & Ba 2015; the paper trains with Adam too).

use super::{EventRaster, HdKernel, KernelShape, log_sum_exp};
use crate::error::{LearnError, Result};
use ganglion_base::rng::{Stream, derive};

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HdConfig {
    /// The kernel's shape.
    pub shape: KernelShape,
    /// Passes over the training outputs.
    pub epochs: usize,
    /// Outputs per minibatch.
    pub batch: usize,
    /// Adam step size.
    pub learning_rate: f64,
    /// L2 penalty `l2 / 2 · Σ w²` added to the mean cross-entropy.
    pub l2: f64,
    /// At most this many output positions per (movie, bin) are used for training (a fixed
    /// random subset; 0 = all).
    pub outputs_per_bin: usize,
    /// Seed of the subset and of the minibatch order.
    pub seed: u64,
}

/// A trained kernel and its mean training loss per epoch.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The kernel.
    pub kernel: HdKernel,
    /// Mean cross-entropy (nats per output) over each epoch's minibatches, before their step.
    pub epoch_loss: Vec<f64>,
}

/// One training output: movie, bin, pixel, label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// Index of the movie.
    pub movie: usize,
    /// Time bin.
    pub t: u32,
    /// Column.
    pub x: u16,
    /// Row.
    pub y: u16,
    /// Class.
    pub label: u32,
}

impl HdKernel {
    /// Mean cross-entropy over `outputs` plus `l2 / 2 · Σ w²` (live weights), and its
    /// gradient with respect to the weights (F × C, zero for removed weights) and biases.
    pub fn loss_and_grad(
        &self,
        movies: &[&EventRaster],
        outputs: &[Output],
        l2: f64,
    ) -> (f64, Vec<f64>, Vec<f64>) {
        let c = self.shape.classes;
        let (mut gw, mut gb) = (vec![0.0; self.weights.len()], vec![0.0; c]);
        let (mut feats, mut z) = (Vec::new(), vec![0.0; c]);
        let mut loss = 0.0;
        let n = outputs.len().max(1) as f64;
        for o in outputs {
            self.features(
                movies[o.movie],
                o.t as usize,
                o.x as usize,
                o.y as usize,
                &mut feats,
            );
            self.logits(&feats, &mut z);
            let lse = log_sum_exp(&z);
            loss += lse - z[o.label as usize];
            // d CE / d z = softmax(z) − onehot(label), the same for every active input.
            for (j, v) in z.iter_mut().enumerate() {
                *v = ((*v - lse).exp() - (j == o.label as usize) as u8 as f64) / n;
            }
            for (b, &g) in gb.iter_mut().zip(&z) {
                *b += g;
            }
            for &k in &feats {
                let row = &mut gw[k as usize * c..][..c];
                for (w, &g) in row.iter_mut().zip(&z) {
                    *w += g;
                }
            }
        }
        let mut penalty = 0.0;
        for (i, g) in gw.iter_mut().enumerate() {
            if self.live[i] {
                penalty += self.weights[i] * self.weights[i];
                *g += l2 * self.weights[i];
            } else {
                *g = 0.0;
            }
        }
        (loss / n + 0.5 * l2 * penalty, gw, gb)
    }
}

/// Trains a kernel of `cfg.shape` on `movies` (`(raster, labels)`, `labels[t]` the class
/// of bin `t` or `None` for bins not trained on).
pub fn fit(cfg: &HdConfig, movies: &[(&EventRaster, &[Option<usize>])]) -> Result<Trained> {
    let mut kernel = HdKernel::new(cfg.shape)?;
    if cfg.batch == 0 || cfg.epochs == 0 || !(cfg.learning_rate > 0.0) || !(cfg.l2 >= 0.0) {
        return Err(LearnError::param(
            "HdConfig",
            "batch / epochs / learning_rate / l2",
            format!(
                "{} / {} / {} / {}",
                cfg.batch, cfg.epochs, cfg.learning_rate, cfg.l2
            ),
            "batch and epochs ≥ 1, learning_rate > 0, l2 ≥ 0",
            "e.g. batch 256, epochs 4, learning_rate 0.01, l2 1e-5",
        ));
    }
    let c = cfg.shape.classes;
    let mut s = Stream::new(derive(cfg.seed, 0x4844));
    let mut outputs = Vec::new();
    for (m, (a, labels)) in movies.iter().enumerate() {
        for (t, l) in labels.iter().enumerate().take(a.bins()) {
            let Some(l) = *l else { continue };
            if l >= c {
                return Err(LearnError::param(
                    "fit",
                    "label",
                    format!("{l} (movie {m}, bin {t})"),
                    format!("must be below the {c} classes"),
                    "set KernelShape::classes to the number of motion classes",
                ));
            }
            let pos = a.positions(t);
            let mut chosen: Vec<(u16, u16)> = pos.to_vec();
            if cfg.outputs_per_bin > 0 && chosen.len() > cfg.outputs_per_bin {
                shuffle(&mut chosen, &mut s);
                chosen.truncate(cfg.outputs_per_bin);
            }
            outputs.extend(chosen.into_iter().map(|(x, y)| Output {
                movie: m,
                t: t as u32,
                x,
                y,
                label: l as u32,
            }));
        }
    }
    if outputs.is_empty() {
        return Err(LearnError::param(
            "fit",
            "movies",
            movies.len(),
            "no labelled bin has an event",
            "give movies with events and labels",
        ));
    }
    let rasters: Vec<&EventRaster> = movies.iter().map(|m| m.0).collect();
    let n = kernel.weights.len();
    let (mut m1, mut m2) = (vec![0.0; n + c], vec![0.0; n + c]);
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
    let mut step = 0i32;
    let mut epoch_loss = Vec::with_capacity(cfg.epochs);
    for _ in 0..cfg.epochs {
        shuffle(&mut outputs, &mut s);
        let (mut total, mut batches) = (0.0, 0);
        for batch in outputs.chunks(cfg.batch) {
            let (loss, gw, gb) = kernel.loss_and_grad(&rasters, batch, cfg.l2);
            total += loss;
            batches += 1;
            step += 1;
            let (c1, c2) = (1.0 - b1.powi(step), 1.0 - b2.powi(step));
            let params = kernel.weights.iter_mut().chain(kernel.bias.iter_mut());
            let grads = gw.iter().chain(&gb);
            let live = kernel.live.iter().copied().chain(std::iter::repeat(true));
            for ((((w, &g), l), a), v) in params.zip(grads).zip(live).zip(&mut m1).zip(&mut m2) {
                if !l {
                    continue;
                }
                *a = b1 * *a + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                *w -= cfg.learning_rate * (*a / c1) / ((*v / c2).sqrt() + eps);
            }
        }
        epoch_loss.push(total / batches as f64);
    }
    Ok(Trained { kernel, epoch_loss })
}

fn shuffle<T>(v: &mut [T], s: &mut Stream) {
    for i in (1..v.len()).rev() {
        let j = s.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}
