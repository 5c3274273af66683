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
//! With `timing = "synapse"` pairs are timed where NEST and sPyNNaker time them, at the
//! synapse ([`Shifts`]): a postsynaptic spike reaches each synapse after the dendritic part of
//! its delay (the traces of each delay group get it then), a presynaptic spike after the
//! axonal part, and a pair arriving in the same step counts neither way. With
//! `update = "lazy"` (sPyNNaker) a synapse's changes are summed between its presynaptic
//! spikes and clipped once, at the next one.
//!
//! ## Adding a rule
//! A spike-timing rule is a [`TraceRule`] (its trace time constants and the weight change at
//! a post and at a pre spike) in its own file; [`TraceLearner`] runs it, monomorphised, so
//! the rule is fixed once per projection and nothing is matched per synapse. A rule that is
//! not spike-timing based (synaptic scaling) implements [`Plastic`] itself. [`new`] is the
//! one place that maps a validated rule to its implementation.
//!
//! Rules on projections onto rate units (gain homeostasis, [`GainHomeostasis`]) read the
//! targets' rates instead of spikes: in phase B of step t, before the step's rates are
//! delivered, [`Plastic::on_target_rates`] gets the local targets' rates of step t.

mod gain;
mod power_law;
mod scaling;
mod stdp;
mod three_factor;
mod trace;
mod triplet;
mod vogels;

pub use gain::{GainHomeostasis, TargetRange};
pub use trace::{Bounds, Shifts, TraceLearner, TraceRule};

use crate::connect::Csr;
use ganglion_base::state::{StateError, StateReader, StateWriter};
use ganglion_model::{PairTiming, PlasticRule, ResolvedPlasticity};

/// Plasticity of one projection in one partition, as the step schedule drives it.
pub trait Plastic: Send + Sync + std::fmt::Debug {
    /// Start of step `t`: decay every trace by one step; with pairs timed at the synapse,
    /// also the postsynaptic spikes of earlier steps that reach their synapses now.
    fn decay(&mut self, t: u64, w: &mut [f32]);
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
    /// Whether the rule reads the target neurons' rates ([`Self::on_target_rates`]).
    fn reads_target_rates(&self) -> bool {
        false
    }
    /// Rate rules, phase B of step t before delivery: `local` holds the rates of step t of the
    /// partition's targets, `mean()` the mean rate of the whole target population (summed in
    /// population order, so every partition gets the same value).
    fn on_target_rates(&mut self, _local: &[f32], _mean: &dyn Fn() -> f64, _w: &mut [f32]) {}
    /// Write the traces and any other state to a checkpoint (the weights are saved by the
    /// engine).
    fn save(&self, w: &mut StateWriter);
    /// Read what [`save`](Self::save) wrote.
    fn load(&mut self, r: &mut StateReader) -> Result<(), StateError>;
}

/// The plasticity of `p` for `csr` (targets local to the partition, `n_local` of them from
/// `range.lo` on, `n_src` sources), time step `dt` \[ms\]; an error when the synapses'
/// delays cannot carry the pair timing (see [`Shifts::new`]).
pub fn new(
    p: &ResolvedPlasticity,
    csr: &Csr,
    n_src: usize,
    n_local: usize,
    range: TargetRange,
    dt: f64,
) -> Result<Box<dyn Plastic>, String> {
    if p.rule.is_rate_rule() {
        return Ok(Box::new(GainHomeostasis::new(
            &p.rule, csr, n_local, range, dt,
        )));
    }
    let bounds = Bounds::of(p, csr);
    let shifts = match p.timing {
        PairTiming::Emission => None,
        PairTiming::Synapse {
            axonal_delay,
            dendritic_delay,
        } => {
            let steps = |ms: f64| (ms / dt).round() as u64;
            Some(Shifts::new(
                csr,
                steps(axonal_delay),
                dendritic_delay.map(steps),
            )?)
        }
    };
    let index = match &shifts {
        None => trace::Incoming::new(csr, n_src, n_local, 1, |_| 0),
        Some(sh) => trace::Incoming::new(csr, n_src, n_local, sh.groups(), |k| sh.group_of(k)),
    };
    let shape = Shape {
        shifts,
        lazy: p.lazy,
        n_src,
        n_local,
        dt,
    };
    Ok(match &p.rule {
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
        PlasticRule::GainHomeostasis { .. } => unreachable!("returned above"),
    })
}

/// What a [`TraceLearner`] needs besides its rule, bounds and index.
struct Shape {
    shifts: Option<Shifts>,
    lazy: bool,
    n_src: usize,
    n_local: usize,
    dt: f64,
}

/// A boxed [`TraceLearner`] of `rule` (monomorphised: the rule is fixed from here on).
fn learner<R: TraceRule>(
    rule: R,
    bounds: Bounds,
    index: trace::Incoming,
    s: Shape,
) -> Box<dyn Plastic> {
    Box::new(TraceLearner::new(
        rule, bounds, index, s.shifts, s.lazy, s.n_src, s.n_local, s.dt,
    ))
}
