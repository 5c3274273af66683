//! Multiplicative synaptic scaling (Turrigiano et al. 1998; van Rossum, Bi & Turrigiano
//! 2000): each neuron estimates its rate r with a low-pass filter (time constant τ), and every
//! `interval` steps the weights onto it are multiplied by 1 + rate·(target − r)·interval.

use super::Plastic;
use super::trace::{Bounds, Incoming};
use crate::connect::Csr;
use ganglion_model::PlasticRule;

/// `rule = "scaling"`.
#[derive(Debug)]
pub struct Scaling {
    /// Target rate [Hz].
    target: f64,
    /// Scaling rate [1/(Hz·s)].
    rate: f64,
    /// Steps between scalings.
    interval: u64,
    /// Per-step decay of the rate estimate.
    decay: f32,
    /// Rate estimate per local target [Hz].
    rates: Vec<f32>,
    b: Bounds,
    incoming: Incoming,
    /// Time step [ms].
    dt: f64,
}

impl Scaling {
    /// From the validated rule, for `n_local` local targets, step `dt` [ms].
    pub fn new(
        rule: &PlasticRule,
        b: Bounds,
        incoming: Incoming,
        n_local: usize,
        dt: f64,
    ) -> Scaling {
        let PlasticRule::Scaling {
            target,
            tau,
            rate,
            interval,
        } = *rule
        else {
            unreachable!("plasticity::new dispatches Scaling here")
        };
        Scaling {
            target,
            rate,
            interval,
            decay: (-dt / tau).exp() as f32,
            rates: vec![0.0; n_local],
            b,
            incoming,
            dt,
        }
    }
}

impl Plastic for Scaling {
    ganglion_base::saved_fields!(rates);

    fn decay(&mut self, _t: u64, _w: &mut [f32]) {
        let d = self.decay;
        self.rates.iter_mut().for_each(|x| *x *= d);
    }

    fn on_post(&mut self, i: usize, _w: &mut [f32]) {
        // A spike adds (1 − d)/dt, so that the estimate is a rate in Hz.
        self.rates[i] += (1.0 - self.decay) / (self.dt * 1e-3) as f32;
    }

    fn after_post(&mut self, t: u64, w: &mut [f32]) {
        if !(t + 1).is_multiple_of(self.interval) {
            return;
        }
        let span_s = self.interval as f64 * self.dt * 1e-3;
        for i in 0..self.rates.len() {
            let error = self.target - self.rates[i] as f64;
            let factor = (1.0 + self.rate * error * span_s).max(0.0) as f32;
            let b = self.b;
            self.incoming.for_each(i, w, |w, k, _| {
                w[k] = b.sign * b.clip(w[k] * b.sign * factor);
            });
        }
    }

    fn on_pre(&mut self, _s: usize, _csr: &mut Csr) {}

    fn bump_pre(&mut self, _s: usize) {}
}
