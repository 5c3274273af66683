//! Intrinsic plasticity: each neuron's threshold follows its own rate error,
//! dθ/dt = η (r − target), with r a low-pass filtered rate estimate (time constant τ).

use crate::rng::{Stream, derive};
use crate::sample::draw;
use ganglion_model::ResolvedHomeostasis;

/// Homeostasis of one population's neurons in one partition.
#[derive(Debug)]
pub(crate) struct Homeostasis {
    /// Target rate per local neuron [Hz].
    pub(crate) target: Vec<f32>,
    /// Rate estimate per local neuron [Hz].
    rate: Vec<f32>,
    /// Per-step decay of the rate estimate.
    decay: f32,
    /// η·dt [mV/Hz].
    eta_dt: f32,
}

impl ganglion_base::state::Saved for Homeostasis {
    ganglion_base::saved_fields!(rate);
}

impl Homeostasis {
    /// For neurons `lo..hi` of a population of `size` with homeostasis `h`, step `dt` [ms];
    /// targets drawn from the stream keyed by (`seed`, `tag`).
    pub(crate) fn new(
        h: &ResolvedHomeostasis,
        size: usize,
        (lo, hi): (usize, usize),
        dt: f64,
        seed: u64,
        tag: u64,
    ) -> Self {
        let mut s = Stream::new(derive(seed, tag));
        let all: Vec<f64> = (0..size).map(|i| draw(&h.target, i, &mut s)).collect();
        Homeostasis {
            target: all[lo..hi].iter().map(|&x| x as f32).collect(),
            rate: vec![0.0f32; hi - lo],
            decay: (-dt / h.tau).exp() as f32,
            eta_dt: (h.eta * dt * 1e-3) as f32,
        }
    }

    /// After a step with spike flags `spiked`: update the rate estimates and move each
    /// threshold in `threshold` (the model's threshold lane) by η·dt·(r − target).
    pub(crate) fn update(&mut self, spiked: &[u8], threshold: &mut [f32], dt: f64) {
        let per_spike = (1.0 - self.decay) / (dt * 1e-3) as f32;
        let d = self.decay;
        for i in 0..self.target.len() {
            self.rate[i] = self.rate[i] * d + per_spike * spiked[i] as f32;
            threshold[i] += self.eta_dt * (self.rate[i] - self.target[i]);
        }
    }
}
