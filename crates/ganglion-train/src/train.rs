//! Training loops, checkpoints, metrics and the spec-level entry [`train_from_spec`].

use crate::Error;
use crate::config::{TrainConfig, TrainFile, TrainOptions, sidecar_path};
use crate::constraints::{Constraints, Dale};
use crate::lif::{LifConsts, LifParams};
use crate::mlp::{Dense, Mlp};
use crate::optim::Optimizer;
use crate::snn::{LifLayer, Readout, Snn};
use ganglion_data::{ImageSet, Split, batch::Batches, encode};
use ganglion_model::{Distribution, Resolved, Rule, Sign};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A trainable model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Model {
    /// A LIF network (the twin of `iaf_psc_exp` populations).
    Snn(Snn),
    /// A dense ReLU network (the twin of `rate_*` populations' weights).
    Mlp(Mlp),
}

/// Metrics of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// Epoch number (1-based).
    pub epoch: usize,
    /// Mean training cross-entropy \[nats\].
    pub train_loss: f64,
    /// Training accuracy (during the epoch, as the weights changed).
    pub train_accuracy: f64,
    /// Mean test cross-entropy \[nats\].
    pub test_loss: f64,
    /// Test accuracy after the epoch.
    pub test_accuracy: f64,
    /// Wall time of the training pass \[s\] (without evaluation).
    pub epoch_s: f64,
    /// Training samples per second.
    pub samples_per_s: f64,
    /// CPU time of the training pass, all threads \[s\] (Linux; 0 elsewhere): a load-independent
    /// cost on a shared machine.
    #[serde(default)]
    pub epoch_cpu_s: f64,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
}

/// What a training run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Test accuracy after the last epoch.
    pub test_accuracy: f64,
    /// Mean wall time of a training epoch \[s\].
    pub epoch_s: f64,
    /// Epochs trained in total (including resumed ones).
    pub epochs: usize,
    /// Per-epoch metrics.
    pub metrics: Vec<EpochMetrics>,
    /// Output folder.
    pub out_dir: PathBuf,
    /// The trained spec, runnable by `ganglion run`.
    pub trained_spec: PathBuf,
    /// Metrics table (CSV).
    pub metrics_csv: PathBuf,
}

impl TrainReport {
    /// The `--json` line: `{"test_accuracy": …, "epoch_s": …, "epochs": …}`.
    pub fn json_line(&self) -> String {
        serde_json::json!({"test_accuracy": self.test_accuracy, "epoch_s": self.epoch_s, "epochs": self.epochs}).to_string()
    }
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

/// Dynamic sparse training after optimiser step `step`: every `cfg.dst_every` steps, each
/// masked weight matrix prunes `cfg.dst_fraction` of its smallest weights and regrows as many
/// absent synapses with the largest |gradient|, at zero.
fn dst_hook(
    cfg: &TrainConfig,
    step: u64,
    cons: &mut [Constraints],
    params: &mut [&mut [f32]],
    grads: &[Vec<f32>],
) {
    if cfg.dst_every == 0 || !step.is_multiple_of(cfg.dst_every as u64) {
        return;
    }
    for (g, p) in params.iter_mut().enumerate() {
        if let (Some(mask), Some(gr)) = (cons[g].mask.as_mut(), grads.get(g)) {
            crate::constraints::prune_regrow(
                p,
                mask,
                cfg.dst_fraction,
                &crate::constraints::GradientScore(gr),
                0.0,
            );
        }
    }
}

/// Deterministic standard-normal draw number `i` of stream `key` (Box–Muller on the counter-based stream).
pub fn normal(key: u64, i: u64) -> f32 {
    let u1 = (encode::unit(key, i, 0) as f64).max(1e-12);
    let u2 = encode::unit(key, i, 1) as f64;
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
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
fn snn_inputs(set: &ImageSet, idx: &[usize], cfg: &TrainConfig, tag: u64) -> Vec<Vec<u8>> {
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

/// The tag of epoch `e`'s training spikes, and of the test set.
fn train_tag(e: usize) -> u64 {
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
            let std = cfg.init_gain * k.vth / (k.mv_per_pa() * (n_in as f32 * activity).sqrt());
            let key = encode::stream_key(cfg.seed, 1000 + li as u64);
            let w = (0..n_in * n).map(|i| std * normal(key, i as u64)).collect();
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
                w: (0..n_in * n_out)
                    .map(|i| std * normal(key, i as u64))
                    .collect(),
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
        let cols: Vec<usize> = self.origins.iter().map(|o| o.shape.1).collect();
        let cons = self.constraints.clone();
        for ((p, c), n) in self.model.params_mut().into_iter().zip(&cons).zip(cols) {
            c.apply(p, n);
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

    /// Give every projection's weights a random fixed mask keeping `cfg.density` of them
    /// (deterministic in the seed); no-op at density 1.
    pub fn init_masks(&mut self) {
        if self.cfg.density >= 1.0 {
            return;
        }
        let seed = self.cfg.seed;
        for (g, o) in self.origins.iter().enumerate() {
            if o.projection.is_none() {
                continue;
            }
            let (rows, cols) = o.shape;
            let key = encode::stream_key(seed, 4000 + g as u64);
            let m: Vec<u8> = (0..rows * cols)
                .map(|k| (encode::unit(key, k as u64, 0) < self.cfg.density as f32) as u8)
                .collect();
            let c = &mut self.constraints[g];
            c.mask = Some(match c.mask.take() {
                Some(old) => old.iter().zip(&m).map(|(a, b)| a & b).collect(),
                None => m,
            });
        }
        self.apply_constraints();
    }

    /// One update on the samples `idx` of `set`; returns (summed loss, correct).
    pub fn train_batch(&mut self, set: &ImageSet, idx: &[usize], lr_factor: f64) -> (f64, usize) {
        let labels: Vec<u8> = idx.iter().map(|&i| set.labels[i]).collect();
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
                let d = set.dim();
                let x: Vec<f32> = idx
                    .iter()
                    .flat_map(|&i| set.image(i).iter().copied())
                    .collect();
                let _ = d;
                let (l, c, _, g) = m.batch(&x, &labels, true, faer::Par::Seq);
                (
                    l,
                    c,
                    g.map(|g| g.layers.into_iter().flat_map(|(w, b)| [w, b]).collect())
                        .unwrap_or_default(),
                )
            }
        };
        let gref: Vec<&[f32]> = grads.iter().map(|g| g.as_slice()).collect();
        let mut params = self.model.params_mut();
        self.opt.step(&mut params, &gref, lr_factor);
        // Dynamic sparse training: prune the smallest, regrow by |gradient| (RigL), on the
        // weight matrices that have masks (the spec's projections).
        dst_hook(
            &self.cfg,
            self.opt.t,
            &mut self.constraints,
            &mut params,
            &grads,
        );
        drop(params);
        self.apply_constraints();
        (loss, correct)
    }

    /// Loss sum, correct count and predictions over `set` (first `limit` samples).
    pub fn evaluate(&self, set: &ImageSet) -> (f64, usize, Vec<usize>) {
        let (mut loss, mut correct, mut preds) = (0.0, 0, Vec::with_capacity(set.len()));
        for idx in Batches::sequential(set.len(), 256) {
            let labels: Vec<u8> = idx.iter().map(|&i| set.labels[i]).collect();
            match &self.model {
                Model::Snn(s) => {
                    let x = snn_inputs(set, &idx, &self.cfg, TEST_TAG);
                    let r = s.batch(&x, &labels, false);
                    loss += r.loss;
                    correct += r.correct;
                    preds.extend(r.predictions);
                }
                Model::Mlp(m) => {
                    let x: Vec<f32> = idx
                        .iter()
                        .flat_map(|&i| set.image(i).iter().copied())
                        .collect();
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

    /// Save everything needed to resume bit-identically (weights and moments as raw bits).
    pub fn save_checkpoint(&self, path: &Path) -> Result<(), Error> {
        let text = serde_json::to_vec(&Bits::from(self)).map_err(|e| Error::Io {
            path: path.into(),
            source: std::io::Error::other(e),
        })?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(|source| Error::Io {
            path: tmp.clone(),
            source,
        })?;
        std::fs::rename(&tmp, path).map_err(|source| Error::Io {
            path: path.into(),
            source,
        })
    }

    /// Load a checkpoint written by [`Trainer::save_checkpoint`].
    pub fn load_checkpoint(path: &Path) -> Result<Trainer, Error> {
        let text = std::fs::read(path).map_err(|source| Error::Io {
            path: path.into(),
            source,
        })?;
        let b: Bits = serde_json::from_slice(&text).map_err(|e| Error::Config {
            path: path.into(),
            msg: format!("bad checkpoint: {e}"),
        })?;
        Ok(b.into_trainer())
    }
}

/// A checkpoint: the trainer as JSON with every f32 array stored as its bit patterns, so
/// that reloading is exact.
#[derive(Serialize, Deserialize)]
struct Bits {
    trainer: Trainer,
    params: Vec<Vec<u32>>,
    m: Vec<Vec<u32>>,
    v: Vec<Vec<u32>>,
}

fn to_bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

impl From<&Trainer> for Bits {
    fn from(t: &Trainer) -> Bits {
        let mut c = t.clone();
        let params = c.model.params_mut().iter().map(|p| to_bits(p)).collect();
        let m = c.opt.m.iter().map(|x| to_bits(x)).collect();
        let v = c.opt.v.iter().map(|x| to_bits(x)).collect();
        Bits {
            trainer: c,
            params,
            m,
            v,
        }
    }
}

impl Bits {
    fn into_trainer(self) -> Trainer {
        let mut t = self.trainer;
        for (p, b) in t.model.params_mut().into_iter().zip(&self.params) {
            p.iter_mut()
                .zip(b)
                .for_each(|(x, &u)| *x = f32::from_bits(u));
        }
        for (p, b) in t.opt.m.iter_mut().zip(&self.m) {
            p.iter_mut()
                .zip(b)
                .for_each(|(x, &u)| *x = f32::from_bits(u));
        }
        for (p, b) in t.opt.v.iter_mut().zip(&self.v) {
            p.iter_mut()
                .zip(b)
                .for_each(|(x, &u)| *x = f32::from_bits(u));
        }
        t
    }
}

/// Plot loss and accuracy per epoch (train and test) to `path` + `.svg`/`.png`.
pub fn plot_metrics(path: &Path, metrics: &[EpochMetrics]) -> Result<(), String> {
    use ganglion_plot::{Figure, Panel, save};
    let pts = |f: fn(&EpochMetrics) -> f64| {
        metrics
            .iter()
            .map(|m| (m.epoch as f64, f(m)))
            .collect::<Vec<_>>()
    };
    let fig = Figure::new("training")
        .panel(
            Panel::new("epoch", "cross-entropy [nats]")
                .line("train", pts(|m| m.train_loss))
                .line("test", pts(|m| m.test_loss)),
        )
        .panel(
            Panel::new("epoch", "accuracy")
                .line("train", pts(|m| m.train_accuracy))
                .line("test", pts(|m| m.test_accuracy)),
        );
    save(&fig, path).map(|_| ()).map_err(|e| e.to_string())
}

/// CPU time of this process so far \[s\] (user + system, from /proc/self/stat; 0 if unavailable).
pub fn process_cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Write the metrics table.
pub fn write_metrics_csv(path: &Path, metrics: &[EpochMetrics]) -> Result<(), Error> {
    let mut s = String::from(
        "epoch,train_loss,train_accuracy,test_loss,test_accuracy,epoch_s,epoch_cpu_s,samples_per_s,lr\n",
    );
    for m in metrics {
        s += &format!(
            "{},{},{},{},{},{},{},{},{}\n",
            m.epoch,
            m.train_loss,
            m.train_accuracy,
            m.test_loss,
            m.test_accuracy,
            m.epoch_s,
            m.epoch_cpu_s,
            m.samples_per_s,
            m.lr
        );
    }
    std::fs::write(path, s).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })
}

// ------------------------------------------------------------------------- spec level

/// The circuit read as a trainable chain: input population, then layers.
struct Chain {
    /// Population indices, input first.
    pops: Vec<usize>,
    /// Projection index into each layer (from the previous population).
    projs: Vec<usize>,
    /// Recurrent projection (the layer onto itself) per layer, if any.
    recs: Vec<Option<usize>>,
}

fn unsupported(what: String, hint: &str) -> Error {
    Error::Unsupported {
        what,
        hint: hint.into(),
    }
}

fn chain_of(r: &Resolved) -> Result<Chain, Error> {
    let targets: Vec<usize> = r.projections.iter().map(|p| p.target).collect();
    let inputs: Vec<usize> = (0..r.populations.len())
        .filter(|i| !targets.contains(i))
        .collect();
    if inputs.len() != 1 {
        return Err(unsupported(
            format!(
                "{} populations receive no projection ({:?}); training needs exactly one input population",
                inputs.len(),
                inputs
                    .iter()
                    .map(|&i| &r.populations[i].name)
                    .collect::<Vec<_>>()
            ),
            "make the data's population the only one without incoming projections",
        ));
    }
    let mut pops = vec![inputs[0]];
    let mut projs = vec![];
    loop {
        let cur = *pops.last().unwrap_or(&inputs[0]);
        let out: Vec<usize> = (0..r.projections.len())
            .filter(|&j| r.projections[j].source == cur && r.projections[j].target != cur)
            .collect();
        match out.len() {
            0 => break,
            1 => {
                let p = &r.projections[out[0]];
                if pops.contains(&p.target) {
                    return Err(unsupported(
                        format!("projection \"{}\" closes a loop", p.name),
                        "training supports feed-forward chains of populations",
                    ));
                }
                if !matches!(p.rule, Rule::AllToAll) {
                    return Err(unsupported(
                        format!("projection \"{}\": rule other than all_to_all", p.name),
                        "use connectivity = { rule = \"all_to_all\" }; sparsity is a mask in the trainer's API",
                    ));
                }
                pops.push(p.target);
                projs.push(out[0]);
            }
            _ => {
                return Err(unsupported(
                    format!(
                        "population \"{}\" projects to {} populations",
                        r.populations[cur].name,
                        out.len()
                    ),
                    "training supports one chain input → hidden → … → output",
                ));
            }
        }
    }
    if projs.is_empty() {
        return Err(unsupported(
            "the spec has no projection from the input population".into(),
            "add an all_to_all projection input → hidden",
        ));
    }
    let mut recs = vec![None; projs.len()];
    for j in 0..r.projections.len() {
        if projs.contains(&j) {
            continue;
        }
        let p = &r.projections[j];
        let layer = pops[1..]
            .iter()
            .position(|&q| q == p.source && q == p.target);
        match layer {
            Some(li) if recs[li].is_none() && matches!(p.rule, Rule::AllToAll) => {
                recs[li] = Some(j)
            }
            _ => {
                return Err(unsupported(
                    format!(
                        "projection \"{}\" is neither part of the input → output chain nor one all_to_all recurrent projection of a layer",
                        p.name
                    ),
                    "training supports input → layer → … → output with at most one all_to_all recurrent projection per layer",
                ));
            }
        }
    }
    Ok(Chain { pops, projs, recs })
}

fn const_param(r: &Resolved, pop: usize, name: &str) -> Result<f64, Error> {
    let p = &r.populations[pop];
    match p.param(name) {
        Some(Distribution::Const(x)) => Ok(*x),
        Some(_) => Err(unsupported(
            format!("population \"{}\": {name} varies across neurons", p.name),
            "give trained populations one value per parameter",
        )),
        None => Err(unsupported(
            format!(
                "population \"{}\" (model {}) has no {name}",
                p.name, p.model.name
            ),
            "trainable spiking populations use iaf_psc_exp",
        )),
    }
}

fn lif_params(r: &Resolved, pop: usize) -> Result<LifParams, Error> {
    let g = |n: &str| const_param(r, pop, n);
    let e_l = g("E_L")?;
    let v_init = match r.populations[pop].init.first() {
        Some(Distribution::Const(v)) => *v,
        _ => e_l,
    };
    Ok(LifParams {
        c_m: g("C_m")?,
        tau_m: g("tau_m")?,
        e_l,
        v_th: g("V_th")?,
        v_reset: g("V_reset")?,
        t_ref: g("t_ref")?,
        i_e: g("I_e")?,
        tau_syn_ex: g("tau_syn_ex")?,
        tau_syn_in: g("tau_syn_in")?,
        v_init,
        // The simulator's iaf_psc_exp has a fixed threshold.
        adapt_tau: 0.0,
        adapt_beta: 0.0,
    })
}

/// Build the trainer a spec describes. Spiking chains (`iaf_psc_exp` layers) become an
/// [`Snn`], rate chains (`rate_*` layers) an [`Mlp`]. Weight lists in the spec (files or inline)
/// are used as initial weights (so a trained spec can be trained further); other weights are
/// drawn by the trainer. Dale signs of source populations become constraints.
pub fn trainer_from_resolved(
    r: &Resolved,
    cfg: TrainConfig,
    data_dim: usize,
) -> Result<Trainer, Error> {
    let ch = chain_of(r)?;
    let sizes: Vec<usize> = ch.pops.iter().map(|&p| r.populations[p].size).collect();
    if sizes[0] != data_dim {
        return Err(unsupported(
            format!(
                "input population \"{}\" has {} neurons but the data has {} inputs",
                r.populations[ch.pops[0]].name, sizes[0], data_dim
            ),
            "set the input population's size to the number of pixels",
        ));
    }
    let layer_models: Vec<&str> = ch.pops[1..]
        .iter()
        .map(|&p| r.populations[p].model.name)
        .collect();
    let spiking = layer_models.iter().all(|m| *m == "iaf_psc_exp");
    let rate = layer_models.iter().all(|m| m.starts_with("rate_"));
    let mut t = if spiking {
        let params: Result<Vec<LifParams>, Error> =
            ch.pops[1..].iter().map(|&p| lif_params(r, p)).collect();
        let mut t = Trainer::new_snn(&sizes, &params?, r.dt, cfg);
        if let Model::Snn(s) = &mut t.model {
            for (li, &j) in ch.projs.iter().enumerate() {
                let d = match &r.projections[j].delay {
                    Distribution::Const(d) => ((d / r.dt).round() as usize).max(1),
                    _ => {
                        return Err(unsupported(
                            format!("projection \"{}\": delays vary", r.projections[j].name),
                            "give trained projections one delay",
                        ));
                    }
                };
                s.layers[li].delay = d;
                if let Some(jr) = ch.recs[li] {
                    let pr = &r.projections[jr];
                    let d = match &pr.delay {
                        Distribution::Const(d) => ((d / r.dt).round() as usize).max(1),
                        _ => {
                            return Err(unsupported(
                                format!("projection \"{}\": delays vary", pr.name),
                                "give trained projections one delay",
                            ));
                        }
                    };
                    let l = &mut s.layers[li];
                    // Recurrent weights start at half the feed-forward scale for the same activity.
                    let std = 0.5 * t.cfg.init_gain * l.k.vth
                        / (l.k.mv_per_pa() * (l.n as f32 * 0.1).sqrt());
                    let key = encode::stream_key(t.cfg.seed, 3000 + li as u64);
                    l.rec = Some((
                        (0..l.n * l.n)
                            .map(|i| std * normal(key, i as u64))
                            .collect(),
                        d,
                    ));
                }
            }
        }
        if ch.recs.iter().any(Option::is_some) {
            t.regroup();
        }
        t
    } else if rate {
        if ch.recs.iter().any(Option::is_some) {
            return Err(unsupported(
                "recurrent projection between rate layers".into(),
                "the dense trainer is feed-forward; use Rust's rate_rnn::RateRnn for recurrent rate networks",
            ));
        }
        Trainer::new_mlp(&sizes, cfg)
    } else {
        return Err(unsupported(
            format!("layer models {layer_models:?}"),
            "train chains of iaf_psc_exp (spiking) or rate_* (dense) populations",
        ));
    };
    // Spec weights given as lists, provenance, Dale signs, and zero diagonals of recurrent
    // projections without autapses. Groups in params_mut order: per layer w, (rec), (bias).
    let mut group_of = vec![];
    for (li, &j) in ch.projs.iter().enumerate() {
        group_of.push(j);
        if let Some(jr) = ch.recs[li] {
            group_of.push(jr);
        }
        if !spiking {
            group_of.push(usize::MAX); // bias
        }
    }
    for (g, &j) in group_of.iter().enumerate() {
        if j == usize::MAX {
            continue;
        }
        t.origins[g].projection = Some(j);
        let pr = &r.projections[j];
        if let Distribution::List(v) = &pr.weight {
            let mut params = t.model.params_mut();
            if v.len() == params[g].len() {
                params[g]
                    .iter_mut()
                    .zip(v.iter())
                    .for_each(|(w, &x)| *w = x as f32);
            }
        }
        t.constraints[g].dale = r.populations[pr.source].sign.map(|s| match s {
            Sign::Excitatory => Dale::Excitatory,
            Sign::Inhibitory => Dale::Inhibitory,
        });
        if pr.source == pr.target && !pr.autapses {
            let n = r.populations[pr.target].size;
            t.constraints[g].mask = Some((0..n * n).map(|k| (k / n != k % n) as u8).collect());
        }
    }
    t.apply_constraints();
    t.init_masks();
    Ok(t)
}

/// Write the trained circuit: the original spec with each trained projection's weights
/// replaced by `.npy` lists (k-th synapse = source s, target t, k = s·n_target + t). For a
/// spiking target, a projection whose weights have both signs is written as two projections,
/// `NAME+` (receptor excitatory, the positive weights, zeros elsewhere) and `NAME-` (receptor
/// inhibitory, the negative ones): the simulator's two channels, exactly as the twin runs them.
/// Returns the spec's path. Relative file references of the original spec are not rewritten.
pub fn write_trained_spec(spec: &Path, t: &Trainer, out_dir: &Path) -> Result<PathBuf, Error> {
    let (mut circuit, _src) = ganglion_model::load(spec).map_err(Error::Model)?;
    let mut tc = t.clone();
    let spiking = matches!(tc.model, Model::Snn(_));
    let origins = tc.origins.clone();
    let params = tc.model.params_mut();
    let mut new_projs = vec![];
    let trained: std::collections::BTreeMap<usize, usize> = origins
        .iter()
        .enumerate()
        .filter_map(|(g, o)| o.projection.map(|p| (p, g)))
        .collect();
    for (j, p) in circuit.projections.iter().enumerate() {
        let Some(&g) = trained.get(&j) else {
            new_projs.push(p.clone());
            continue;
        };
        // A recurrent list holds all n×n pairs (masked self-connections are zero).
        let mut p = p.clone();
        if p.source == p.target {
            p.autapses = true;
        }
        let p = &p;
        let w = &params[g];
        let base = p
            .name
            .clone()
            .unwrap_or_else(|| format!("{}-{}", p.source, p.target));
        let safe: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let write = |suffix: &str, vals: &[f32]| -> Result<String, Error> {
            let file = format!("w_{safe}{suffix}.npy");
            let path = out_dir.join(&file);
            ganglion_model::npy::write(&path, &[vals.len()], vals)
                .map_err(|source| Error::Io { path, source })?;
            Ok(file)
        };
        let list = |file: String| {
            ganglion_model::Value::Dist(ganglion_model::DistSpec {
                file: Some(file),
                unit: Some(if spiking { "pA".into() } else { String::new() })
                    .filter(|u: &String| !u.is_empty()),
                ..Default::default()
            })
        };
        let has_pos = w.iter().any(|&x| x > 0.0);
        let has_neg = w.iter().any(|&x| x < 0.0);
        if !spiking || !has_pos || !has_neg {
            let mut q = p.clone();
            q.weight = Some(list(write("", w)?));
            if spiking {
                q.receptor = Some(if has_neg { "inhibitory" } else { "excitatory" }.into());
            }
            new_projs.push(q);
        } else {
            let pos: Vec<f32> = w.iter().map(|&x| x.max(0.0)).collect();
            let neg: Vec<f32> = w.iter().map(|&x| x.min(0.0)).collect();
            let mut q = p.clone();
            q.name = Some(format!("{base}+"));
            q.weight = Some(list(write("_ex", &pos)?));
            q.receptor = Some("excitatory".into());
            new_projs.push(q);
            let mut q = p.clone();
            q.name = Some(format!("{base}-"));
            q.weight = Some(list(write("_in", &neg)?));
            q.receptor = Some("inhibitory".into());
            new_projs.push(q);
        }
    }
    circuit.projections = new_projs;
    let out = out_dir.join("trained.toml");
    std::fs::write(&out, circuit.to_toml()).map_err(|source| Error::Io {
        path: out.clone(),
        source,
    })?;
    Ok(out)
}

/// Train the circuit in `spec` on dataset `data` (`fashion-mnist`, `mnist`, `digits`) read
/// from `data_dir` (as `scripts/fetch-data.sh` lays it out), with the settings of the sidecar
/// `SPEC.train.toml` (if present) overridden by `opts`.
///
/// Writes into `opts.out_dir` (default `runs/<spec stem>-train/`): `metrics.csv` (one row per
/// epoch) and `metrics.{svg,png}` (loss and accuracy per epoch), `checkpoint.json` (after every epoch; `opts.resume` continues from it and gives
/// bit-identical results to an uninterrupted run), `trained.toml` with its `w_*.npy` weight
/// lists (runnable by `ganglion run`), and `report.json`.
pub fn train_from_spec(
    spec: &Path,
    data: &str,
    data_dir: &Path,
    opts: TrainOptions,
) -> Result<TrainReport, Error> {
    let resolved = ganglion_model::load_and_validate(spec).map_err(Error::Model)?;
    let side = sidecar_path(spec);
    let file: TrainFile = if side.exists() {
        let text = std::fs::read_to_string(&side).map_err(|source| Error::Io {
            path: side.clone(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| Error::Config {
            path: side.clone(),
            msg: e.to_string(),
        })?
    } else {
        TrainFile::default()
    };
    let mut cfg = file.resolve().map_err(|msg| Error::Config {
        path: side.clone(),
        msg,
    })?;
    if let Some(e) = opts.epochs {
        cfg.epochs = e;
        if let crate::optim::Schedule::Cosine { epochs } = &mut cfg.optim.schedule {
            *epochs = e;
        }
    }
    if let Some(s) = opts.seed {
        cfg.seed = s;
    }
    if let Some(b) = opts.batch_size {
        cfg.batch_size = b.max(1);
    }
    let mut train = ganglion_data::load_named(data, data_dir, Split::Train).map_err(Error::Data)?;
    let mut test = ganglion_data::load_named(data, data_dir, Split::Test).map_err(Error::Data)?;
    if let Some(n) = opts.limit {
        train = train.truncate(n);
        test = test.truncate(n);
    }
    let out_dir = opts.out_dir.clone().unwrap_or_else(|| {
        let stem = spec
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "spec".into());
        PathBuf::from("runs").join(format!("{stem}-train"))
    });
    std::fs::create_dir_all(&out_dir).map_err(|source| Error::Io {
        path: out_dir.clone(),
        source,
    })?;
    let ckpt = out_dir.join("checkpoint.json");
    let mut t = if opts.resume {
        let mut t = Trainer::load_checkpoint(&ckpt)?;
        t.cfg.epochs = cfg.epochs;
        t
    } else {
        trainer_from_resolved(&resolved, cfg.clone(), train.dim())?
    };
    let csv = out_dir.join("metrics.csv");
    while t.epoch < t.cfg.epochs {
        t.run_epoch(&train, &test, opts.progress);
        t.save_checkpoint(&ckpt)?;
        write_metrics_csv(&csv, &t.metrics)?;
        if let Err(e) = plot_metrics(&out_dir.join("metrics"), &t.metrics) {
            // A figure is a convenience; the CSV holds the numbers.
            eprintln!("warning: metrics plot not written: {e}");
        }
    }
    if t.metrics.is_empty() {
        // Nothing to train (e.g. resumed after the last epoch): still report the accuracy.
        let (_, c, _) = t.evaluate(&test);
        t.metrics.push(EpochMetrics {
            epoch: t.epoch,
            train_loss: f64::NAN,
            train_accuracy: f64::NAN,
            test_loss: f64::NAN,
            test_accuracy: c as f64 / test.len().max(1) as f64,
            epoch_s: 0.0,
            samples_per_s: 0.0,
            epoch_cpu_s: 0.0,
            lr: 0.0,
        });
    }
    write_metrics_csv(&csv, &t.metrics)?;
    let trained_spec = write_trained_spec(spec, &t, &out_dir)?;
    let trained_epochs: Vec<&EpochMetrics> = t.metrics.iter().filter(|m| m.epoch_s > 0.0).collect();
    let report = TrainReport {
        test_accuracy: t.metrics.last().map_or(0.0, |m| m.test_accuracy),
        epoch_s: trained_epochs.iter().map(|m| m.epoch_s).sum::<f64>()
            / trained_epochs.len().max(1) as f64,
        epochs: t.epoch,
        metrics: t.metrics.clone(),
        out_dir: out_dir.clone(),
        trained_spec,
        metrics_csv: csv,
    };
    let rp = out_dir.join("report.json");
    let text = serde_json::to_string_pretty(&report).unwrap_or_default();
    std::fs::write(&rp, text).map_err(|source| Error::Io { path: rp, source })?;
    Ok(report)
}

/// Write a runnable spec that plays one encoded sample into the trained circuit: the trained
/// spec at `trained` plus a `spike_times` input into `input_population` (one event per spike
/// of `spikes`, `steps × n` with n the population size, at time step·dt, weight 100 mV, delay
/// one step, so the `iaf_psc_delta` relay fires in exactly the step the twin's input spikes),
/// duration `steps · dt`, and spike monitors on every population. The events go to
/// `<path stem>.input.npy` next to `path`; weight files are referenced from `trained`'s folder,
/// so write `path` into that folder.
pub fn write_sample_spec(
    trained: &Path,
    input_population: &str,
    spikes: &[u8],
    steps: usize,
    path: &Path,
) -> Result<(), Error> {
    let (mut c, _) = ganglion_model::load(trained).map_err(Error::Model)?;
    let dt = ganglion_model::load_and_validate(trained)
        .map_err(Error::Model)?
        .dt;
    let n = spikes.len() / steps.max(1);
    let mut ev = vec![];
    for t in 0..steps {
        for i in 0..n {
            if spikes[t * n + i] != 0 {
                ev.push(i as f64);
                ev.push(t as f64 * dt);
            }
        }
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sample".into());
    let file = format!("{stem}.input.npy");
    let fpath = path.with_file_name(&file);
    ganglion_model::npy::write(&fpath, &[ev.len() / 2, 2], &ev).map_err(|source| Error::Io {
        path: fpath,
        source,
    })?;
    let mut inp = ganglion_model::Input::new("spike_times", input_population);
    inp.file = Some(file);
    inp.weight = Some("100 mV".into());
    inp.delay = Some(format!("{dt} ms").as_str().into());
    c.inputs = vec![inp];
    c.simulation.duration = format!("{} ms", steps as f64 * dt).as_str().into();
    c.monitors = c
        .populations
        .iter()
        .map(|p| ganglion_model::Monitor::spikes(&p.name))
        .collect();
    std::fs::write(path, c.to_toml()).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })
}
