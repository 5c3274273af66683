//! The [`Trainer`]: a model with its optimiser, constraints and provenance, and its batch and
//! epoch loop (spike encoding of the inputs, updates, constraints, dynamic sparse training,
//! evaluation).

use crate::config::TrainConfig;
use crate::constraints::Constraints;
use crate::lif::{LifConsts, LifParams};
use crate::metrics::{EpochMetrics, process_cpu_s};
use crate::mlp::{Dense, Mlp};
use crate::optim::Optimizer;
use crate::snn::{LifLayer, Readout, Snn};
use ganglion_data::{ImageSet, batch::Batches, encode};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// A trainable model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Model {
    /// A LIF network (the twin of `iaf_psc_exp` populations).
    Snn(Snn),
    /// A dense ReLU network (the twin of `rate_*` populations' weights).
    Mlp(Mlp),
}

/// Where a trained parameter group came from in the spec.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupOrigin {
    /// Index of the projection in the spec (None: a bias, not in the spec).
    pub projection: Option<usize>,
    /// Source and target sizes (rows × cols of the weights).
    pub shape: (usize, usize),
}

/// A model with its optimiser, constraints and provenance: everything a checkpoint holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trainer {
    /// The model.
    pub model: Model,
    /// Settings.
    pub cfg: TrainConfig,
    /// Optimiser state.
    pub opt: Optimizer,
    /// Constraints per parameter group.
    pub constraints: Vec<Constraints>,
    /// Origin of each parameter group.
    pub origins: Vec<GroupOrigin>,
    /// Epochs done.
    pub epoch: usize,
    /// Metrics so far.
    pub metrics: Vec<EpochMetrics>,
}

/// Deterministic standard-normal draw number `i` of stream `key` (Box–Muller on the counter-based stream).
pub fn normal(key: u64, i: u64) -> f32 {
    let u1 = (encode::unit(key, i, 0) as f64).max(1e-12);
    let u2 = encode::unit(key, i, 1) as f64;
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
}

/// `n` initial weights: `std` times the standard-normal draws 0..n of stream `key`.
pub fn normal_weights(std: f32, key: u64, n: usize) -> Vec<f32> {
    (0..n).map(|i| std * normal(key, i as u64)).collect()
}

/// Initial weight std of a LIF layer: `gain` times the weight that moves V by the threshold at
/// steady state, over √(fan-in × expected fraction of inputs spiking per step).
pub(crate) fn lif_init_std(gain: f32, k: &LifConsts, fan_in: usize, activity: f32) -> f32 {
    gain * k.vth / (k.mv_per_pa() * (fan_in as f32 * activity).sqrt())
}

impl Model {
    /// Parameter groups, in a fixed order.
    pub fn params_mut(&mut self) -> Vec<&mut [f32]> {
        match self {
            Model::Snn(s) => s
                .layers
                .iter_mut()
                .flat_map(|l| {
                    let mut v: Vec<&mut [f32]> = vec![l.w.as_mut_slice()];
                    if let Some(r) = l.rec.as_mut() {
                        v.push(r.0.as_mut_slice());
                    }
                    v
                })
                .collect(),
            Model::Mlp(m) => m
                .layers
                .iter_mut()
                .flat_map(|l| [l.w.as_mut_slice(), l.b.as_mut_slice()])
                .collect(),
        }
    }

    /// Steps per sample (1 for an MLP).
    pub fn steps(&self) -> usize {
        match self {
            Model::Snn(s) => s.steps,
            Model::Mlp(_) => 1,
        }
    }
}

/// Encode samples `idx` of `set` for `model` with the stream keys of `(seed, epoch_tag)`.
pub(crate) fn snn_inputs(
    set: &ImageSet,
    idx: &[usize],
    cfg: &TrainConfig,
    tag: u64,
) -> Vec<Vec<u8>> {
    use rayon::prelude::*;
    // Counter-based streams: the spikes do not depend on which thread encodes them.
    idx.par_iter()
        .map(|&i| {
            if cfg.rate_coding {
                encode::poisson(
                    set.image(i),
                    cfg.steps,
                    cfg.gain,
                    encode::stream_key(cfg.seed ^ tag, i as u64),
                )
            } else {
                encode::latency(set.image(i), cfg.steps, 0.05)
            }
        })
        .collect()
}

/// The labels of samples `idx` of `set`.
fn labels_of(set: &ImageSet, idx: &[usize]) -> Vec<u8> {
    idx.iter().map(|&i| set.labels[i]).collect()
}

/// Samples `idx` of `set` as one row-major batch of pixel values for an MLP.
pub(crate) fn mlp_inputs(set: &ImageSet, idx: &[usize]) -> Vec<f32> {
    idx.iter()
        .flat_map(|&i| set.image(i).iter().copied())
        .collect()
}

/// The tag of epoch `e`'s training spikes, and of the test set.
pub(crate) fn train_tag(e: usize) -> u64 {
    encode::mix64(0x7472_6169_6e00 + e as u64)
}
const TEST_TAG: u64 = 0x7465_7374;

impl Trainer {
    /// A LIF network with the given layer sizes, all `iaf_psc_exp` with `params` at step `dt`
    /// \[ms\], initial weights drawn from the seed (std: `init_gain` times the weight that moves V
    /// by the threshold at steady state, over √(fan-in × expected activity)), delays of one step.
    pub fn new_snn(sizes: &[usize], params: &[LifParams], dt: f64, cfg: TrainConfig) -> Trainer {
        let mut layers = vec![];
        let mut scales = vec![];
        for li in 0..sizes.len() - 1 {
            let k = LifConsts::new(&params[li], dt);
            let (n_in, n) = (sizes[li], sizes[li + 1]);
            // Expected fraction of inputs spiking per step: ~0.3 for rate-coded images, ~0.1
            // for hidden layers; the std makes the summed input's spread about a threshold.
            let activity = if li == 0 { 0.3 } else { 0.1 };
            let std = lif_init_std(cfg.init_gain, &k, n_in, activity);
            let w = normal_weights(
                std,
                encode::stream_key(cfg.seed, 1000 + li as u64),
                n_in * n,
            );
            scales.push(std);
            layers.push(LifLayer {
                n,
                n_in,
                k,
                w,
                delay: 1,
                rec: None,
            });
        }
        let readout = if cfg.spike_count {
            Readout::SpikeCount {
                scale: cfg.readout_scale,
            }
        } else {
            Readout::Membrane {
                scale: cfg.readout_scale,
            }
        };
        let snn = Snn {
            layers,
            readout,
            surrogate: cfg.surrogate,
            steps: cfg.steps,
            truncate: cfg.truncate,
        };
        let sizes_g: Vec<usize> = snn.layers.iter().map(|l| l.w.len()).collect();
        let origins = snn
            .layers
            .iter()
            .map(|l| GroupOrigin {
                projection: None,
                shape: (l.n_in, l.n),
            })
            .collect();
        Trainer {
            opt: Optimizer::new(cfg.optim, &sizes_g, &scales),
            constraints: vec![Constraints::default(); sizes_g.len()],
            origins,
            model: Model::Snn(snn),
            cfg,
            epoch: 0,
            metrics: vec![],
        }
    }

    /// A ReLU MLP with the given sizes (He-normal initial weights, zero biases).
    pub fn new_mlp(sizes: &[usize], cfg: TrainConfig) -> Trainer {
        let mut layers = vec![];
        let (mut scales, mut gs, mut origins) = (vec![], vec![], vec![]);
        for li in 0..sizes.len() - 1 {
            let (n_in, n_out) = (sizes[li], sizes[li + 1]);
            let std = cfg.init_gain * (2.0 / n_in as f32).sqrt();
            let key = encode::stream_key(cfg.seed, 2000 + li as u64);
            layers.push(Dense {
                n_in,
                n_out,
                w: normal_weights(std, key, n_in * n_out),
                b: vec![0.0; n_out],
            });
            scales.extend([std, std]);
            gs.extend([n_in * n_out, n_out]);
            origins.push(GroupOrigin {
                projection: None,
                shape: (n_in, n_out),
            });
            origins.push(GroupOrigin {
                projection: None,
                shape: (1, n_out),
            });
        }
        Trainer {
            opt: Optimizer::new(cfg.optim, &gs, &scales),
            constraints: vec![Constraints::default(); gs.len()],
            origins,
            model: Model::Mlp(Mlp { layers }),
            cfg,
            epoch: 0,
            metrics: vec![],
        }
    }

    /// Project every parameter group onto its constraints.
    pub fn apply_constraints(&mut self) {
        // Disjoint field borrows: no copy of the constraints (masks) per training batch.
        let params = self.model.params_mut();
        for ((p, c), o) in params.into_iter().zip(&self.constraints).zip(&self.origins) {
            c.apply(p, o.shape.1);
        }
    }

    /// Rebuild the optimiser, constraints and provenance after layers gained or lost
    /// parameter groups (e.g. recurrent weights added).
    pub fn regroup(&mut self) {
        let (mut sizes, mut scales, mut origins) = (vec![], vec![], vec![]);
        if let Model::Snn(s) = &self.model {
            for l in &s.layers {
                let sd = |w: &[f32]| {
                    (w.iter().map(|x| x * x).sum::<f32>() / w.len().max(1) as f32)
                        .sqrt()
                        .max(1e-6)
                };
                sizes.push(l.w.len());
                scales.push(sd(&l.w));
                origins.push(GroupOrigin {
                    projection: None,
                    shape: (l.n_in, l.n),
                });
                if let Some((w, _)) = &l.rec {
                    sizes.push(w.len());
                    scales.push(sd(w));
                    origins.push(GroupOrigin {
                        projection: None,
                        shape: (l.n, l.n),
                    });
                }
            }
        } else {
            return;
        }
        self.opt = Optimizer::new(self.cfg.optim, &sizes, &scales);
        self.constraints = vec![Constraints::default(); sizes.len()];
        self.origins = origins;
    }

    /// One update on the samples `idx` of `set`; returns (summed loss, correct).
    pub fn train_batch(&mut self, set: &ImageSet, idx: &[usize], lr_factor: f64) -> (f64, usize) {
        let labels = labels_of(set, idx);
        let (loss, correct, grads): (f64, usize, Vec<Vec<f32>>) = match &self.model {
            Model::Snn(s) => {
                let x = snn_inputs(set, idx, &self.cfg, train_tag(self.epoch));
                let r = s.batch(&x, &labels, true);
                let g = r
                    .grads
                    .map(|g| {
                        g.layers
                            .into_iter()
                            .flat_map(|(w, rr)| if rr.is_empty() { vec![w] } else { vec![w, rr] })
                            .collect()
                    })
                    .unwrap_or_default();
                (r.loss, r.correct, g)
            }
            Model::Mlp(m) => {
                let x = mlp_inputs(set, idx);
                let (l, c, _, g) = m.batch(&x, &labels, true, faer::Par::Seq);
                (
                    l,
                    c,
                    g.map(|g| g.layers.into_iter().flat_map(|(w, b)| [w, b]).collect())
                        .unwrap_or_default(),
                )
            }
        };
        // Dynamic sparse training on the masked weight matrices (crate::sparse).
        let activity = self.dst_activity(set, idx);
        let gref: Vec<&[f32]> = grads.iter().map(|g| g.as_slice()).collect();
        let mut params = self.model.params_mut();
        self.opt.step(&mut params, &gref, lr_factor);
        drop(params);
        self.prune_regrow_step(&grads, activity);
        self.apply_constraints();
        (loss, correct)
    }

    /// Loss sum, correct count and predictions over `set` (first `limit` samples).
    pub fn evaluate(&self, set: &ImageSet) -> (f64, usize, Vec<usize>) {
        let (mut loss, mut correct, mut preds) = (0.0, 0, Vec::with_capacity(set.len()));
        for idx in Batches::sequential(set.len(), 256) {
            let labels = labels_of(set, &idx);
            match &self.model {
                Model::Snn(s) => {
                    let x = snn_inputs(set, &idx, &self.cfg, TEST_TAG);
                    let r = s.batch(&x, &labels, false);
                    loss += r.loss;
                    correct += r.correct;
                    preds.extend(r.predictions);
                }
                Model::Mlp(m) => {
                    let x = mlp_inputs(set, &idx);
                    let (l, c, p, _) = m.batch(&x, &labels, false, faer::Par::Seq);
                    loss += l;
                    correct += c;
                    preds.extend(p);
                }
            }
        }
        (loss, correct, preds)
    }

    /// Test-set spike trains of sample `i` as the trainer encodes them (for running the
    /// trained circuit on the same input).
    pub fn test_input(&self, set: &ImageSet, i: usize) -> Vec<u8> {
        snn_inputs(set, &[i], &self.cfg, TEST_TAG).remove(0)
    }

    /// Train one epoch over `train`, evaluate on `test`; returns the epoch's metrics.
    pub fn run_epoch(&mut self, train: &ImageSet, test: &ImageSet, progress: bool) -> EpochMetrics {
        let e = self.epoch;
        let batches = Batches::new(train.len(), self.cfg.batch_size, self.cfg.seed, e as u64);
        let nb = batches.num_batches().max(1);
        let t0 = Instant::now();
        let c0 = process_cpu_s();
        let (mut loss, mut correct, mut seen) = (0.0, 0usize, 0usize);
        let mut last_print = Instant::now();
        let mut lr = self.cfg.optim.lr;
        for (bi, idx) in batches.enumerate() {
            let f = self.cfg.optim.schedule.factor(e, bi as f64 / nb as f64);
            lr = self.cfg.optim.lr * f;
            let (l, c) = self.train_batch(train, &idx, f);
            loss += l;
            correct += c;
            seen += idx.len();
            if progress && (last_print.elapsed().as_secs_f64() > 2.0 || bi + 1 == nb) {
                last_print = Instant::now();
                let el = t0.elapsed().as_secs_f64();
                eprintln!(
                    "epoch {} [{}/{}] loss {:.4} acc {:.2}% {:.0} samples/s",
                    e + 1,
                    seen,
                    train.len(),
                    loss / seen as f64,
                    100.0 * correct as f64 / seen as f64,
                    seen as f64 / el.max(1e-9)
                );
            }
        }
        let epoch_s = t0.elapsed().as_secs_f64();
        let epoch_cpu_s = process_cpu_s() - c0;
        let (tl, tc, _) = self.evaluate(test);
        self.epoch += 1;
        let m = EpochMetrics {
            epoch: self.epoch,
            train_loss: loss / seen.max(1) as f64,
            train_accuracy: correct as f64 / seen.max(1) as f64,
            test_loss: tl / test.len().max(1) as f64,
            test_accuracy: tc as f64 / test.len().max(1) as f64,
            epoch_s,
            samples_per_s: seen as f64 / epoch_s.max(1e-9),
            epoch_cpu_s,
            lr,
        };
        if progress {
            eprintln!(
                "epoch {}: test loss {:.4} accuracy {:.2}% ({:.1} s, {:.1} s CPU)",
                m.epoch,
                m.test_loss,
                100.0 * m.test_accuracy,
                epoch_s,
                epoch_cpu_s
            );
        }
        self.metrics.push(m.clone());
        m
    }
}
