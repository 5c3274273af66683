//! Neuron kernels. Each model is split NEST-style into parameters (the spec), derived
//! constants (propagators computed once from dt, per neuron only when parameters differ
//! between neurons), state (structure of arrays) and buffers (the ring buffers, owned by the
//! engine).
//!
//! A kernel advances all neurons of one partition by one step, reading this step's synaptic
//! input, and writes a spike flag per neuron. Kernels are branch-light loops over `f32`
//! arrays so that the compiler vectorises them; parameters are either one value for the
//! whole population ([`f32`] lanes) or one per neuron ([`PerNeuron`] lanes), chosen at build.

pub mod lif;
pub mod nonlinear;
pub mod rate;
mod simd;

pub use simd::force_baseline_kernels;

use ganglion_model::ResolvedPopulation;

/// A column of values: one for all neurons or one per neuron.
#[derive(Debug, Clone)]
pub enum Column {
    /// Same value for every neuron.
    Const(f64),
    /// One value per neuron of the whole population.
    Each(Vec<f64>),
}

impl Column {
    /// Value for neuron `i` (population index).
    #[inline]
    pub fn at(&self, i: usize) -> f64 {
        match self {
            Column::Const(v) => *v,
            Column::Each(v) => v[i],
        }
    }
    /// Whether every neuron has the same value.
    pub fn is_const(&self) -> bool {
        matches!(self, Column::Const(_))
    }
}

/// Per-population parameter and initial-state values, drawn once at build time.
#[derive(Debug, Clone)]
pub struct PopValues {
    /// Parameters in model order.
    pub params: Vec<Column>,
    /// Initial state in model order.
    pub init: Vec<Column>,
}

/// A parameter lane: one value for all neurons, or one per neuron.
pub trait Lane: Send + Sync {
    /// The value for local neuron `i`.
    fn at(&self, i: usize) -> f32;
    /// Panics unless the lane covers `n` neurons (called once per kernel invocation, so the
    /// per-element accesses can skip bounds checks).
    fn check(&self, n: usize);
}

impl Lane for f32 {
    #[inline(always)]
    fn at(&self, _: usize) -> f32 {
        *self
    }
    #[inline(always)]
    fn check(&self, _: usize) {}
}

/// Per-neuron values of one derived constant.
#[derive(Debug, Clone)]
pub struct PerNeuron(Box<[f32]>);

impl Lane for PerNeuron {
    #[inline(always)]
    fn at(&self, i: usize) -> f32 {
        // SAFETY: `check(n)` asserted len ≥ n at the start of every kernel, and kernels only
        // index i < n.
        unsafe { *self.0.get_unchecked(i) }
    }
    #[inline(always)]
    fn check(&self, n: usize) {
        assert!(
            self.0.len() >= n,
            "parameter lane shorter than the partition"
        );
    }
}

/// Derived constants of a kernel: `M` values, shared or per neuron.
#[derive(Debug, Clone)]
pub enum Derived<const M: usize> {
    /// All neurons share the constants.
    Shared([f32; M]),
    /// Each neuron has its own.
    Each(Box<[PerNeuron; M]>),
}

impl<const M: usize> Derived<M> {
    /// Build from raw parameter columns of neurons `lo..lo+n`: `f` turns one neuron's
    /// parameters (model order) into its `M` derived constants.
    pub fn build(params: &[Column], lo: usize, n: usize, f: impl Fn(&[f64]) -> [f64; M]) -> Self {
        let raw = |i: usize| params.iter().map(|c| c.at(i)).collect::<Vec<f64>>();
        if params.iter().all(Column::is_const) {
            Derived::Shared(f(&raw(0)).map(|x| x as f32))
        } else {
            let mut cols: Vec<Vec<f32>> = vec![Vec::with_capacity(n); M];
            for i in lo..lo + n {
                let d = f(&raw(i));
                for (c, x) in cols.iter_mut().zip(d) {
                    c.push(x as f32);
                }
            }
            let arr: [PerNeuron; M] =
                std::array::from_fn(|k| PerNeuron(std::mem::take(&mut cols[k]).into_boxed_slice()));
            Derived::Each(Box::new(arr))
        }
    }
    /// Make every constant per neuron (for constants that change during a run, such as an
    /// adapting threshold) and return constant `k`'s values for the `n` neurons.
    pub fn lane_mut(&mut self, k: usize, n: usize) -> &mut [f32] {
        if let Derived::Shared(a) = self {
            let arr: [PerNeuron; M] =
                std::array::from_fn(|j| PerNeuron(vec![a[j]; n].into_boxed_slice()));
            *self = Derived::Each(Box::new(arr));
        }
        match self {
            Derived::Each(a) => &mut a[k].0,
            Derived::Shared(_) => unreachable!("converted above"),
        }
    }
    /// Constant `k` for local neuron `i` (slow path, for recording and setup).
    pub fn get(&self, k: usize, i: usize) -> f32 {
        match self {
            Derived::Shared(a) => a[k],
            Derived::Each(a) => a[k].at(i),
        }
    }
}

/// Synaptic input and outputs of one kernel call over a partition of `n` neurons.
pub struct StepIo<'a> {
    /// Channel 0 input this step (excitatory; rate units: continuous drive), length n.
    /// Kernels consume it: they leave it zeroed for the ring buffer's next turn.
    pub ch0: &'a mut [f32],
    /// Channel 1 input this step (inhibitory; rate units: spike jumps), length n; consumed.
    pub ch1: &'a mut [f32],
    /// External current this step (pA; dimensionless for rate units), length n.
    pub i_ext: &'a [f32],
    /// Output: 1 where the neuron spiked this step.
    pub spiked: &'a mut [u8],
    /// Index of this step.
    pub step: u64,
    /// Whether `i_ext` may be non-zero (some current input targets the population).
    pub has_ext: bool,
}

/// `exp(x)` for f32 in pure arithmetic so that loops using it vectorise (relative error
/// below 2e-7 on [-87, 88]; Cephes' polynomial on a range-reduced argument).
#[inline(always)]
pub fn fast_exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E).round();
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = 1.987_569_1e-4f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 5e-1;
    let y = p * r * r + r + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    y * scale
}

/// A population partition's neurons: the model's state and derived constants.
#[derive(Debug, Clone)]
pub enum NeuronGroup {
    /// `iaf_psc_exp`.
    PscExp(lif::PscExp),
    /// `iaf_psc_alpha`.
    PscAlpha(lif::PscAlpha),
    /// `iaf_cond_exp`.
    CondExp(lif::CondExp),
    /// `iaf_psc_delta`.
    PscDelta(lif::PscDelta),
    /// `aeif_psc_exp`.
    AdEx(nonlinear::AdEx),
    /// `izhikevich`.
    Izhikevich(nonlinear::Izhikevich),
    /// `rate_*`.
    Rate(rate::Rate),
    /// `poisson_source`.
    Poisson(PoissonSource),
}

/// `poisson_source`: each neuron fires in a step with probability rate·dt, from its own
/// counter-based random stream (so partitioning does not change the spikes).
#[derive(Debug, Clone)]
pub struct PoissonSource {
    /// Spike probability per step.
    p: Vec<f64>,
    /// Stream key per neuron.
    keys: Vec<u64>,
}

impl PoissonSource {
    fn step(&mut self, io: StepIo) -> Option<usize> {
        let salt = io.step.wrapping_mul(0x9E6C_63D0_676A_9A99);
        for (i, (&p, &key)) in self.p.iter().zip(&self.keys).enumerate() {
            io.spiked[i] = (crate::rng::unit_f64(crate::rng::mix64(key ^ salt)) < p) as u8;
            io.ch0[i] = 0.0;
            io.ch1[i] = 0.0;
        }
        None
    }
}

impl NeuronGroup {
    /// Build neurons `lo..lo+n` of `pop`.
    pub fn new(
        pop: &ResolvedPopulation,
        values: &PopValues,
        lo: usize,
        n: usize,
        dt: f64,
        key: u64,
    ) -> NeuronGroup {
        match pop.model.name {
            "poisson_source" => NeuronGroup::Poisson(PoissonSource {
                p: (lo..lo + n)
                    .map(|i| values.params[0].at(i) * dt * 1e-3)
                    .collect(),
                keys: (lo..lo + n)
                    .map(|i| crate::rng::derive(key, i as u64))
                    .collect(),
            }),
            "iaf_psc_exp" => NeuronGroup::PscExp(lif::PscExp::new(values, lo, n, dt)),
            "iaf_psc_alpha" => NeuronGroup::PscAlpha(lif::PscAlpha::new(values, lo, n, dt)),
            "iaf_cond_exp" => NeuronGroup::CondExp(lif::CondExp::new(values, lo, n, dt)),
            "iaf_psc_delta" => NeuronGroup::PscDelta(lif::PscDelta::new(values, lo, n, dt)),
            "aeif_psc_exp" => NeuronGroup::AdEx(nonlinear::AdEx::new(values, lo, n, dt)),
            "izhikevich" => NeuronGroup::Izhikevich(nonlinear::Izhikevich::new(values, lo, n, dt)),
            name if name.starts_with("rate_") => {
                NeuronGroup::Rate(rate::Rate::new(name, values, lo, n, dt))
            }
            other => unreachable!("model {other} passed validation but has no kernel"),
        }
    }

    /// Advance one step. Returns the index of a neuron whose state became non-finite.
    pub fn step(&mut self, io: StepIo) -> Option<usize> {
        match self {
            NeuronGroup::PscExp(g) => g.step(io),
            NeuronGroup::PscAlpha(g) => g.step(io),
            NeuronGroup::CondExp(g) => g.step(io),
            NeuronGroup::PscDelta(g) => g.step(io),
            NeuronGroup::AdEx(g) => g.step(io),
            NeuronGroup::Izhikevich(g) => g.step(io),
            NeuronGroup::Rate(g) => g.step(io),
            NeuronGroup::Poisson(g) => g.step(io),
        }
    }

    /// Called after [`step`](Self::step) with the step's spikes (global ids, partition
    /// starting at `lo`): starts the LIF models' refractory periods.
    pub fn mark_spikes(&mut self, spikes: &[u32], lo: u32, step: u64) {
        if spikes.is_empty() {
            return;
        }
        match self {
            NeuronGroup::PscExp(g) => g.mark_spikes(spikes, lo, step),
            NeuronGroup::PscAlpha(g) => g.mark_spikes(spikes, lo, step),
            NeuronGroup::CondExp(g) => g.mark_spikes(spikes, lo, step),
            NeuronGroup::PscDelta(g) => g.mark_spikes(spikes, lo, step),
            NeuronGroup::AdEx(_)
            | NeuronGroup::Izhikevich(_)
            | NeuronGroup::Rate(_)
            | NeuronGroup::Poisson(_) => {}
        }
    }

    /// State variable `var` (model order) of local neuron `i`, in base units.
    pub fn get(&self, var: usize, i: usize) -> f32 {
        match self {
            NeuronGroup::PscExp(g) => g.get(var, i),
            NeuronGroup::PscAlpha(g) => g.get(var, i),
            NeuronGroup::CondExp(g) => g.get(var, i),
            NeuronGroup::PscDelta(g) => g.get(var, i),
            NeuronGroup::AdEx(g) => g.get(var, i),
            NeuronGroup::Izhikevich(g) => g.get(var, i),
            NeuronGroup::Rate(g) => g.get(var, i),
            NeuronGroup::Poisson(_) => 0.0,
        }
    }

    /// The spike-threshold lane (per neuron, in the model's own reference) for intrinsic
    /// plasticity; None for models without an adaptable threshold.
    pub fn threshold_mut(&mut self) -> Option<&mut [f32]> {
        match self {
            NeuronGroup::PscExp(g) => Some(g.threshold_mut()),
            NeuronGroup::PscAlpha(g) => Some(g.threshold_mut()),
            NeuronGroup::CondExp(g) => Some(g.threshold_mut()),
            NeuronGroup::PscDelta(g) => Some(g.threshold_mut()),
            NeuronGroup::AdEx(g) => Some(g.threshold_mut()),
            _ => None,
        }
    }

    /// The output rates of a rate group (None for spiking models).
    pub fn rates(&self) -> Option<&[f32]> {
        match self {
            NeuronGroup::Rate(g) => Some(&g.r),
            _ => None,
        }
    }
}

/// Index of the first non-finite value, checked with a branch-free reduction first.
#[inline]
pub(crate) fn first_non_finite(v: &[f32]) -> Option<usize> {
    let bad = v.iter().fold(false, |acc, x| acc | !x.is_finite());
    if bad {
        v.iter().position(|x| !x.is_finite())
    } else {
        None
    }
}

/// Local slice `lo..lo+n` of an initial-state column, as f32, shifted by `offset(i)`.
pub(crate) fn init_col(c: &Column, lo: usize, n: usize, offset: impl Fn(usize) -> f64) -> Vec<f32> {
    (lo..lo + n).map(|i| (c.at(i) - offset(i)) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn fast_exp_is_accurate() {
        let mut worst = 0.0f64;
        let mut x = -80.0f32;
        while x < 80.0 {
            let e = fast_exp(x) as f64;
            let t = (x as f64).exp();
            worst = worst.max(((e - t) / t).abs());
            x += 0.01713;
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
    }
}
