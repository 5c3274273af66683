//! Gain homeostasis (`rule = "gain_homeostasis"`): the inhibitory gains of an adaptive
//! excitatory/inhibitory rate reservoir (PAPERS.md row 4, "Reservoir computing with adaptive
//! E/I balance"; the rule as in `ganglion_learn::ei_reservoir`).
//!
//! Each target neuron i (a rate unit) has a gain g_i ≥ 0 that multiplies every weight of the
//! projection onto it: the effective weight of synapse k onto i is g_i·w_k, w_k the weight the
//! spec gave. After every step t, with r_i(t) the neuron's rate and r*_i its target,
//!
//! ```text
//! per neuron:  g_i ← max(0, g_i + η·dt·(r_i(t) − r*_i))
//! global:      g   ← max(0, g   + η·dt·(⟨r(t)⟩ − ⟨r*⟩))     (one gain, population means)
//! ```
//!
//! (η in Hz, dt in s). The update runs in phase B of step t, before the step's rates are
//! delivered, so that the input of step t + 1 is g_i(t)·w·r(t): with one-step delays this is
//! the echo-state reservoir's z_i(t+1) = Σ W⁺ r(t) − g_i(t) Σ W⁻ r(t) + …, gains updated after
//! each step. The gains are clipped at 0 so that the weights keep the sign the projection
//! gave them (Dale's law). The effective weights live in the projection's weight array, so a
//! `weights` monitor records g_i·w_k.

use super::Plastic;
use crate::connect::Csr;
use crate::rng::{Stream, derive};
use crate::sample::draw;
use ganglion_model::PlasticRule;

/// `rule = "gain_homeostasis"` on one partition's synapses.
#[derive(Debug)]
pub struct GainHomeostasis {
    /// η·dt: the gain change per step and unit rate error.
    eta_step: f64,
    /// One gain per neuron (true) or one shared gain (false).
    per_neuron: bool,
    /// Gain per local target (all equal in the global mode).
    gains: Vec<f64>,
    /// Target rate per local target.
    targets: Vec<f64>,
    /// Mean target rate over the whole target population (global mode).
    mean_target: f64,
    /// The spec's weight of each synapse (the CSR's order).
    base: Vec<f32>,
    /// Local target of each synapse.
    tgt: Vec<u32>,
    /// 1 once the initial gains have been written into the weights.
    applied: u8,
}

/// Where a partition's targets lie in their population, and the stream that draws the
/// per-neuron targets and gains.
#[derive(Debug, Clone, Copy)]
pub struct TargetRange {
    /// First local target (index in the population).
    pub lo: usize,
    /// Size of the target population.
    pub size: usize,
    /// Seed of the stream drawing the per-neuron values (the same in every partition, so
    /// that a neuron's values do not depend on the partitioning).
    pub key: u64,
}

impl GainHomeostasis {
    /// From the validated rule, for the synapses of `csr` (targets local to the partition,
    /// `n_local` of them, starting at `range.lo`), step `dt` \[ms\].
    pub fn new(
        rule: &PlasticRule,
        csr: &Csr,
        n_local: usize,
        range: TargetRange,
        dt: f64,
    ) -> GainHomeostasis {
        let PlasticRule::GainHomeostasis {
            eta,
            target,
            gain,
            per_neuron,
        } = rule
        else {
            unreachable!("plasticity::new dispatches GainHomeostasis here")
        };
        // Targets and gains are drawn for the whole population from one stream each, then
        // sliced, as population parameters are.
        let all = |d, tag: u64| -> Vec<f64> {
            let mut s = Stream::new(derive(range.key, tag));
            (0..range.size).map(|i| draw(d, i, &mut s)).collect()
        };
        let targets = all(target, 0);
        let gains = all(gain, 1);
        let mean_target = targets.iter().sum::<f64>() / range.size.max(1) as f64;
        let local = range.lo..range.lo + n_local;
        GainHomeostasis {
            eta_step: eta * dt * 1e-3,
            per_neuron: *per_neuron,
            gains: gains[local.clone()].to_vec(),
            targets: targets[local].to_vec(),
            mean_target,
            base: csr.w.clone(),
            tgt: csr.tgt.to_u32(),
            applied: 0,
        }
    }

    /// The current gain of each local target.
    pub fn gains(&self) -> &[f64] {
        &self.gains
    }

    /// Writes g_i·w_k into every synapse's weight.
    fn apply(&self, w: &mut [f32]) {
        for ((w, &b), &i) in w.iter_mut().zip(&self.base).zip(&self.tgt) {
            *w = (self.gains[i as usize] * b as f64) as f32;
        }
    }
}

impl Plastic for GainHomeostasis {
    ganglion_base::saved_fields!(gains, applied);

    fn decay(&mut self, _t: u64, w: &mut [f32]) {
        // The initial gains take effect before anything is delivered or recorded.
        if self.applied == 0 {
            self.apply(w);
            self.applied = 1;
        }
    }

    fn on_post(&mut self, _i: usize, _w: &mut [f32]) {}

    fn on_pre(&mut self, _s: usize, _csr: &mut Csr) {}

    fn bump_pre(&mut self, _s: usize) {}

    fn reads_target_rates(&self) -> bool {
        true
    }

    fn on_target_rates(&mut self, local: &[f32], mean: &dyn Fn() -> f64, w: &mut [f32]) {
        let k = self.eta_step;
        if self.per_neuron {
            for ((g, &r), &target) in self.gains.iter_mut().zip(local).zip(&self.targets) {
                *g = (*g + k * (r as f64 - target)).max(0.0);
            }
        } else if let Some(&g0) = self.gains.first() {
            let g = (g0 + k * (mean() - self.mean_target)).max(0.0);
            self.gains.fill(g);
        }
        self.apply(w);
    }
}
