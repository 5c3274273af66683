//! Feed-forward (optionally recurrent) LIF networks trained by surrogate-gradient BPTT.
//!
//! Input spike trains (`steps × n_in`) drive layer 0 through a delay; each layer's spikes
//! drive the next; the last layer's spikes (or membrane) are the readout. Samples of a batch
//! run in parallel (rayon), each end to end (forward, loss, backward) on its own tape, so the
//! memory of one sample is `Σ layers steps × n × 5 B` plus its input spikes.
//! For long sequences, `Snn::truncate` cuts the backward pass to the last `k` steps
//! (truncated BPTT), bounding the backward work; the tape itself is already small.

#![allow(clippy::needless_range_loop)]

use crate::lif::{self, LifConsts, Path, Split, Tape};
use crate::surrogate::Surrogate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How class scores are read from the last layer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Readout {
    /// logit_c = `scale` · (number of spikes of output neuron c). The prediction is the neuron
    /// with most spikes (lowest index on ties), which `ganglion run`'s spike recording shows.
    SpikeCount {
        /// Logits per spike.
        scale: f32,
    },
    /// logit_c = `scale` · mean over steps of output neuron c's V − E_L before threshold \[mV\].
    Membrane {
        /// Logits per mV.
        scale: f32,
    },
}

/// One LIF layer's trainable state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LifLayer {
    /// Number of neurons.
    pub n: usize,
    /// Number of inputs (previous layer or input spike trains).
    pub n_in: usize,
    /// Neuron constants.
    pub k: LifConsts,
    /// Feed-forward weights `n_in × n` \[pA\]; row s holds source s's synapses.
    pub w: Vec<f32>,
    /// Feed-forward delay \[steps\] ≥ 1.
    pub delay: usize,
    /// Recurrent weights `n × n` \[pA\] and their delay \[steps\], if any.
    pub rec: Option<(Vec<f32>, usize)>,
}

/// A LIF network: layers, readout and surrogate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snn {
    /// Layers, input side first.
    pub layers: Vec<LifLayer>,
    /// Readout of the last layer.
    pub readout: Readout,
    /// Surrogate derivative.
    pub surrogate: Surrogate,
    /// Steps per sample.
    pub steps: usize,
    /// Backward only over the last `truncate` steps (None: full BPTT).
    pub truncate: Option<usize>,
}

/// Gradients, shaped like the weights [1/pA].
#[derive(Debug, Clone)]
pub struct SnnGrads {
    /// Per layer: feed-forward, recurrent (empty when none).
    pub layers: Vec<(Vec<f32>, Vec<f32>)>,
}

impl SnnGrads {
    fn zeros(net: &Snn) -> SnnGrads {
        SnnGrads {
            layers: net
                .layers
                .iter()
                .map(|l| {
                    (
                        vec![0.0; l.w.len()],
                        l.rec.as_ref().map_or(vec![], |r| vec![0.0; r.0.len()]),
                    )
                })
                .collect(),
        }
    }
    fn add(mut self, o: SnnGrads) -> SnnGrads {
        for (a, b) in self.layers.iter_mut().zip(o.layers) {
            a.0.iter_mut().zip(&b.0).for_each(|(x, y)| *x += y);
            a.1.iter_mut().zip(&b.1).for_each(|(x, y)| *x += y);
        }
        self
    }
}

/// Outcome of a batch: summed loss, correct predictions, gradients (if requested).
#[derive(Debug, Clone)]
pub struct BatchResult {
    /// Sum over samples of the cross-entropy \[nats\].
    pub loss: f64,
    /// Number of correct predictions.
    pub correct: usize,
    /// Predicted class per sample.
    pub predictions: Vec<usize>,
    /// Gradients of the batch-mean loss (None in evaluation).
    pub grads: Option<SnnGrads>,
}

/// Softmax cross-entropy: returns (loss, ∂loss/∂logits).
pub fn softmax_ce(logits: &[f32], label: usize) -> (f64, Vec<f32>) {
    let m = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f64> = logits.iter().map(|&z| ((z - m) as f64).exp()).collect();
    let z: f64 = e.iter().sum();
    // log-sum-exp form: finite even when e[label] underflows.
    let loss = z.ln() - (logits[label] - m) as f64;
    let g = e
        .iter()
        .enumerate()
        .map(|(c, &ec)| (ec / z - if c == label { 1.0 } else { 0.0 }) as f32)
        .collect();
    (loss, g)
}

/// Index of the largest value, lowest index on ties.
pub fn argmax(x: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if v > x[best] {
            best = i;
        }
    }
    best
}

impl Snn {
    /// Weights split by sign, per layer (feed-forward, recurrent).
    fn splits(&self) -> Vec<(Split, Option<Split>)> {
        self.layers
            .iter()
            .map(|l| (Split::new(&l.w), l.rec.as_ref().map(|r| Split::new(&r.0))))
            .collect()
    }

    /// Forward one sample; returns every layer's spikes and tapes.
    pub fn forward_sample(&self, input: &[u8]) -> (Vec<Vec<u8>>, Vec<Tape>) {
        self.forward_with(&self.splits(), input)
    }

    /// The feed-forward path into layer `li`: the sample's input spikes for the first layer,
    /// the previous layer's `spikes` for the others.
    fn ff_path<'a>(
        &'a self,
        li: usize,
        splits: &'a [(Split, Option<Split>)],
        input: &'a [u8],
        spikes: &'a [Vec<u8>],
    ) -> Path<'a> {
        let l = &self.layers[li];
        Path {
            spikes: if li == 0 { input } else { &spikes[li - 1] },
            n_src: l.n_in,
            w: &splits[li].0,
            delay: l.delay,
        }
    }

    fn forward_with(
        &self,
        splits: &[(Split, Option<Split>)],
        input: &[u8],
    ) -> (Vec<Vec<u8>>, Vec<Tape>) {
        let t = self.steps;
        let mut spikes: Vec<Vec<u8>> = Vec::with_capacity(self.layers.len());
        let mut tapes = Vec::with_capacity(self.layers.len());
        for (li, l) in self.layers.iter().enumerate() {
            let path = self.ff_path(li, splits, input, &spikes);
            let mut out = vec![0u8; t * l.n];
            let mut tape = Tape::default();
            let rec = splits[li].1.as_ref().zip(l.rec.as_ref().map(|r| r.1));
            lif::forward(&l.k, l.n, t, &path, rec, &mut out, &mut tape);
            spikes.push(out);
            tapes.push(tape);
        }
        (spikes, tapes)
    }

    /// Class scores of one sample from the last layer's spikes and tape.
    pub fn logits(&self, spikes: &[u8], tape: &Tape) -> Vec<f32> {
        let n = self.layers.last().map_or(0, |l| l.n);
        let mut z = vec![0f32; n];
        match self.readout {
            Readout::SpikeCount { scale } => {
                for t in 0..self.steps {
                    for c in 0..n {
                        z[c] += spikes[t * n + c] as f32;
                    }
                }
                z.iter_mut().for_each(|x| *x *= scale);
            }
            Readout::Membrane { scale } => {
                for t in 0..self.steps {
                    for c in 0..n {
                        z[c] += tape.a[t * n + c];
                    }
                }
                z.iter_mut().for_each(|x| *x *= scale / self.steps as f32);
            }
        }
        z
    }

    /// Predicted class of each sample by the readout (spike count: most spikes, lowest index on ties).
    pub fn predict(&self, inputs: &[Vec<u8>]) -> Vec<usize> {
        let splits = self.splits();
        inputs
            .par_iter()
            .map(|x| {
                let (sp, tapes) = self.forward_with(&splits, x);
                let last = sp.len() - 1;
                argmax(&self.logits(&sp[last], &tapes[last]))
            })
            .collect()
    }

    /// Loss, accuracy and (if `grad`) gradients of the batch-mean cross-entropy over
    /// `inputs` (each `steps × n_in` spikes) with `labels`.
    pub fn batch(&self, inputs: &[Vec<u8>], labels: &[u8], grad: bool) -> BatchResult {
        let splits = self.splits();
        let b = inputs.len().max(1) as f32;
        // Fixed chunks, summed in order: the gradient does not depend on the thread count
        // or on work stealing, so runs (and resumed runs) are bit-identical.
        const CHUNK: usize = 16;
        let parts: Vec<(f64, usize, Vec<usize>, Option<SnnGrads>)> = inputs
            .par_chunks(CHUNK)
            .zip(labels.par_chunks(CHUNK))
            .map(|(xs, ys)| {
                let mut acc = (
                    0.0,
                    0,
                    Vec::with_capacity(xs.len()),
                    if grad {
                        Some(SnnGrads::zeros(self))
                    } else {
                        None
                    },
                );
                for (x, &y) in xs.iter().zip(ys) {
                    let (sp, tapes) = self.forward_with(&splits, x);
                    let last = sp.len() - 1;
                    let z = self.logits(&sp[last], &tapes[last]);
                    let (l, mut dz) = softmax_ce(&z, y as usize);
                    let p = argmax(&z);
                    acc.0 += l;
                    acc.1 += (p == y as usize) as usize;
                    acc.2.push(p);
                    if let Some(g) = acc.3.as_mut() {
                        dz.iter_mut().for_each(|d| *d /= b);
                        self.backward_sample(&splits, x, &sp, &tapes, &dz, g);
                    }
                }
                acc
            })
            .collect();
        let (mut loss, mut correct, mut predictions, mut grads) =
            (0.0, 0, Vec::with_capacity(inputs.len()), None::<SnnGrads>);
        for (l, c, p, g) in parts {
            loss += l;
            correct += c;
            predictions.extend(p);
            grads = match (grads, g) {
                (Some(a), Some(b)) => Some(a.add(b)),
                (a, b) => a.or(b),
            };
        }
        BatchResult {
            loss,
            correct,
            predictions,
            grads,
        }
    }

    fn backward_sample(
        &self,
        splits: &[(Split, Option<Split>)],
        input: &[u8],
        sp: &[Vec<u8>],
        tapes: &[Tape],
        dz: &[f32],
        g: &mut SnnGrads,
    ) {
        let t = self.steps;
        let nl = self.layers.len();
        let last = &self.layers[nl - 1];
        let n = last.n;
        let mut ds = vec![0f32; t * n];
        let mut da = None;
        let t0 = self.truncate.map_or(0, |k| t.saturating_sub(k));
        match self.readout {
            Readout::SpikeCount { scale } => {
                for tt in t0..t {
                    for c in 0..n {
                        ds[tt * n + c] = scale * dz[c];
                    }
                }
            }
            Readout::Membrane { scale } => {
                let mut d = vec![0f32; t * n];
                for tt in t0..t {
                    for c in 0..n {
                        d[tt * n + c] = scale / t as f32 * dz[c];
                    }
                }
                da = Some(d);
            }
        }
        for li in (0..nl).rev() {
            let l = &self.layers[li];
            let path = self.ff_path(li, splits, input, sp);
            let mut ds_src = if li > 0 {
                Some(vec![0f32; t * l.n_in])
            } else {
                None
            };
            let (gw, gr) = &mut g.layers[li];
            let rec = match (&splits[li].1, &l.rec) {
                (Some(s), Some((w, d))) => Some((s, w.as_slice(), *d)),
                _ => None,
            };
            let dwr = if rec.is_some() {
                Some(gr.as_mut_slice())
            } else {
                None
            };
            lif::backward(
                &l.k,
                self.surrogate,
                l.n,
                t,
                t0,
                &tapes[li],
                &path,
                &l.w,
                rec,
                &sp[li],
                &mut ds,
                da.as_deref(),
                gw,
                dwr,
                ds_src.as_deref_mut(),
            );
            da = None;
            if let Some(d) = ds_src {
                ds = d;
            }
        }
    }
}
