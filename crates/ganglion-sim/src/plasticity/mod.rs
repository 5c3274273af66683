//! Synaptic plasticity inside the engine: one file per rule, the rule chosen once per
//! projection.
//!
//! Each partition keeps, per plastic projection, its own copy of the presynaptic traces (one
//! per source neuron, updated from the spike lists every partition already reads) and the
//! postsynaptic traces of its own targets, plus an index of the synapses onto each target.
//! So plasticity, like delivery, touches only partition-owned memory.
//!
//! Order within step t (see `schedule`): all traces decay by one step; after the
//! neuron update, every postsynaptic spike potentiates its incoming synapses with the
//! presynaptic traces (pre spikes up to t − 1), then bumps the postsynaptic traces; during
//! propagation every presynaptic spike depresses its synapses with the postsynaptic traces
//! (post spikes up to t), the updated weight is delivered, and the presynaptic traces are
//! bumped. Pre and post spikes in the same step therefore count as pre-after-post. Times are
//! emission times: Δt = t_post − t_pre, independent of the transmission delay.
//!
//! ## Adding a rule
//! A spike-timing rule is a [`TraceRule`] (its trace time constants and the weight change at
//! a post and at a pre spike) in its own file; [`TraceLearner`] runs it, monomorphised, so
//! the rule is fixed once per projection and nothing is matched per synapse. A rule that is
//! not spike-timing based (synaptic scaling) implements [`Plastic`] itself. [`new`] is the
//! one place that maps a validated rule to its implementation.

mod power_law;
mod scaling;
mod stdp;
mod three_factor;
mod trace;
mod triplet;
mod vogels;

pub use trace::{Bounds, TraceLearner, TraceRule};

use crate::connect::Csr;
use ganglion_base::state::{StateError, StateReader, StateWriter};
use ganglion_model::{PlasticRule, ResolvedPlasticity};

/// Plasticity of one projection in one partition, as the step schedule drives it.
pub trait Plastic: Send + Sync + std::fmt::Debug {
    /// Decay every trace by one step (start of the step).
    fn decay(&mut self);
    /// Local target `i` spiked: update the synapses onto it, then bump its traces.
    fn on_post(&mut self, i: usize, w: &mut [f32]);
    /// After the step's post spikes (synaptic scaling rescales here every interval).
    fn after_post(&mut self, _t: u64, _w: &mut [f32]) {}
    /// Source `s` spiked: update its synapses in `csr` (before they are delivered).
    fn on_pre(&mut self, s: usize, csr: &mut Csr);
    /// Bump the presynaptic traces of source `s` (after delivery).
    fn bump_pre(&mut self, s: usize);
    /// The populations whose spike counts drive this projection's modulator and gate.
    fn modulator_populations(&self) -> [Option<usize>; 2] {
        [None, None]
    }
    /// Neuromodulation at the end of step `t`: `spikes[i]` spikes of the modulator (i = 0)
    /// and gate (i = 1) populations of `sizes[i]` neurons this step.
    fn modulate(
        &mut self,
        _t: u64,
        _dt: f64,
        _spikes: [usize; 2],
        _sizes: [usize; 2],
        _w: &mut [f32],
    ) {
    }
    /// Write the traces and any other state to a checkpoint (the weights are saved by the
    /// engine).
    fn save(&self, w: &mut StateWriter);
    /// Read what [`save`](Self::save) wrote.
    fn load(&mut self, r: &mut StateReader) -> Result<(), StateError>;
}

/// The plasticity of `p` for `csr` (targets local to the partition, `n_local` of them,
/// `n_src` sources), time step `dt` \[ms\].
pub fn new(
    p: &ResolvedPlasticity,
    csr: &Csr,
    n_src: usize,
    n_local: usize,
    dt: f64,
) -> Box<dyn Plastic> {
    let bounds = Bounds::of(p, csr);
    let index = trace::Incoming::new(csr, n_src, n_local);
    let shape = (n_src, n_local, dt);
    match &p.rule {
        PlasticRule::Pair { .. } => learner(stdp::Stdp::new(&p.rule), bounds, index, shape),
        PlasticRule::Triplet { .. } => {
            learner(triplet::Triplet::new(&p.rule), bounds, index, shape)
        }
        PlasticRule::Vogels { .. } => learner(vogels::Vogels::new(&p.rule), bounds, index, shape),
        PlasticRule::PowerLaw { .. } => {
            learner(power_law::PowerLaw::new(&p.rule), bounds, index, shape)
        }
        PlasticRule::ThreeFactor { .. } => learner(
            three_factor::ThreeFactor::new(&p.rule),
            bounds,
            index,
            shape,
        ),
        PlasticRule::Scaling { .. } => {
            Box::new(scaling::Scaling::new(&p.rule, bounds, index, n_local, dt))
        }
    }
}

/// A boxed [`TraceLearner`] of `rule` (monomorphised: the rule is fixed from here on).
fn learner<R: TraceRule>(
    rule: R,
    bounds: Bounds,
    index: trace::Incoming,
    (n_src, n_local, dt): (usize, usize, f64),
) -> Box<dyn Plastic> {
    Box::new(TraceLearner::new(rule, bounds, index, n_src, n_local, dt))
}
