//! What every kernel shares. Each model is split NEST-style into parameters (the spec),
//! derived constants (propagators computed once from dt, per neuron only when parameters
//! differ between neurons), state (structure of arrays) and buffers (the ring buffers, owned
//! by the engine).
//!
//! A kernel advances all neurons of one partition by one step, reading this step's synaptic
//! input, and writes a spike flag per neuron. Kernels are branch-light loops over `f32`
//! arrays so that the compiler vectorises them; parameters are either one value for the
//! whole population ([`f32`] lanes) or one per neuron ([`PerNeuron`] lanes), chosen at build.

use ganglion_base::state::{Saved, StateError, StateReader, StateWriter};

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

impl<const M: usize> Saved for Derived<M> {
    fn save(&self, w: &mut StateWriter) {
        match self {
            Derived::Shared(a) => {
                w.u64(0);
                w.put(a);
            }
            Derived::Each(a) => {
                w.u64(1);
                for lane in a.iter() {
                    w.put(&lane.0[..]);
                }
            }
        }
    }

    fn load(&mut self, r: &mut StateReader) -> Result<(), StateError> {
        match r.u64()? {
            0 => {
                let mut a = [0f32; M];
                r.get(&mut a)?;
                *self = Derived::Shared(a);
            }
            1 => {
                let mut lanes: Vec<Vec<f32>> = vec![vec![]; M];
                for l in lanes.iter_mut() {
                    r.get(l)?;
                }
                let arr: [PerNeuron; M] = std::array::from_fn(|k| {
                    PerNeuron(std::mem::take(&mut lanes[k]).into_boxed_slice())
                });
                *self = Derived::Each(Box::new(arr));
            }
            _ => return Err(StateError("corrupt derived constants".into())),
        }
        Ok(())
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

impl<'a> StepIo<'a> {
    /// The per-neuron slices (ch0, ch1, i_ext, spiked) cut to `n`, so that a kernel's loop
    /// over `0..n` needs no bounds checks.
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    pub fn lanes(self, n: usize) -> (&'a mut [f32], &'a mut [f32], &'a [f32], &'a mut [u8]) {
        let StepIo {
            ch0,
            ch1,
            i_ext,
            spiked,
            ..
        } = self;
        (&mut ch0[..n], &mut ch1[..n], &i_ext[..n], &mut spiked[..n])
    }
}

/// `with_lanes!(derived, |k| body)`: runs `body` with `k` bound to the derived constants as
/// `&[f32; M]` (shared by all neurons) or `&[PerNeuron; M]` (one per neuron), so that each
/// kernel is instantiated for both kinds of lane in one place.
macro_rules! with_lanes {
    ($derived:expr, |$k:ident| $body:expr) => {
        match $derived {
            $crate::kernel::Derived::Shared($k) => $body,
            $crate::kernel::Derived::Each($k) => {
                let $k = &**$k;
                $body
            }
        }
    };
}
pub(crate) use with_lanes;

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

/// One partition's neurons of one population: the model's state and derived constants,
/// advanced by its kernel. Implemented once per model, in the model's file.
pub trait NeuronGroup: Send + Sync + std::fmt::Debug {
    /// Advance one step. Returns the index of a neuron whose state became non-finite.
    fn step(&mut self, io: StepIo) -> Option<usize>;

    /// Called after [`step`](Self::step) with the step's spikes (global ids, partition
    /// starting at `lo`), for models that keep a refractory bound (see [`crate::refractory::Refractory`]).
    fn mark_spikes(&mut self, _spikes: &[u32], _lo: u32, _step: u64) {}

    /// State variable `var` (catalogue order) of local neuron `i`, in base units.
    fn get(&self, var: usize, i: usize) -> f32;

    /// The lane of the parameter named by [`crate::ModelInfo::threshold`], per neuron, in
    /// the model's own reference (for intrinsic plasticity); None without a threshold.
    fn threshold_mut(&mut self) -> Option<&mut [f32]> {
        None
    }

    /// The output rates of a rate group (None for spiking models).
    fn rates(&self) -> Option<&[f32]> {
        None
    }

    /// Write everything the group changes during a run (state, refractory bounds, constants
    /// that plasticity adapts) to a checkpoint; `ganglion_base::saved_fields!` writes this
    /// and [`load`](Self::load) from one list of fields.
    fn save(&self, w: &mut StateWriter);

    /// Read what [`save`](Self::save) wrote into a group built from the same spec.
    fn load(&mut self, r: &mut StateReader) -> Result<(), StateError>;
}

/// Index of the first non-finite value, checked with a branch-free reduction first.
#[inline]
pub fn first_non_finite(v: &[f32]) -> Option<usize> {
    let bad = v.iter().fold(false, |acc, x| acc | !x.is_finite());
    if bad {
        v.iter().position(|x| !x.is_finite())
    } else {
        None
    }
}

/// Local slice `lo..lo+n` of an initial-state column, as f32, shifted by `offset(i)`.
pub fn init_col(c: &Column, lo: usize, n: usize, offset: impl Fn(usize) -> f64) -> Vec<f32> {
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
