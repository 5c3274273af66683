//! Absolute refractoriness of the LIF models.
//!
//! Common to all LIF kernels: the membrane potential is integrated only outside the refractory period
//! ([`Refractory`]); a spike is emitted when V ≥ V_th at the end of the step, then V = V_reset
//! and the neuron is refractory for the next round(t_ref / dt) steps. The NEST order is kept:
//! V is advanced with the synaptic state at the start of the step, then the synaptic state decays and this
//! step's arriving input is added, so input arriving at time t first moves V in the step
//! after t (for delta synapses it moves V in the step it arrives).

use crate::kernel::Derived;

/// A refractory period `t_ref` \[ms\] in whole steps of `h` \[ms\].
pub fn ref_steps(t_ref: f64, h: f64) -> f64 {
    (t_ref / h).round()
}

/// How many constants `lif_params!`'s `lif_constants` derives (drive per pA, E_L, V_th − E_L,
/// V_reset − E_L, I_e, refractory steps).
pub const LIF_CONSTANTS: usize = 6;

/// `head` followed by `tail`, as one array of `N = A + B` derived constants (checked).
pub fn concat<const A: usize, const B: usize, const N: usize>(
    head: [f64; A],
    tail: [f64; B],
) -> [f64; N] {
    assert_eq!(A + B, N, "derived constants: {A} + {B} is not {N}");
    let mut out = [0.0; N];
    out[..A].copy_from_slice(&head);
    out[A..].copy_from_slice(&tail);
    out
}

/// Refractory state of a LIF partition: per neuron, the step index (mod 2³²) up to which it
/// is refractory, exclusive. Kernels only read it (refractory at step t iff `until − t`, as a
/// wrapped i32, is positive), so the step loop stores nothing for it: a stored counter cost
/// one of the six vector stores per neuron update that bound the CUBA kernel (-9 % loop
/// time). A spike at step t sets `until = t + 1 + round(t_ref / dt)` ([`Self::mark`], called
/// with the step's spike list), which makes steps t+1 ..= t+round(t_ref/dt) refractory.
#[derive(Debug, Clone)]
pub struct Refractory(Vec<u32>);

/// Whether a neuron with refractory bound `until` is refractory at step `t` (both mod 2³²).
#[inline(always)]
pub fn refractory_at(until: u32, t: u32) -> bool {
    until.wrapping_sub(t) as i32 > 0
}

/// Refractory periods are capped at this many steps (about 30 h at dt = 0.1 ms) so that
/// `until − t` always fits an i32.
pub const MAX_REF_STEPS: u32 = 1 << 30;

impl ganglion_base::state::Saved for Refractory {
    fn save(&self, w: &mut ganglion_base::state::StateWriter) {
        w.put(&self.0);
    }
    fn load(
        &mut self,
        r: &mut ganglion_base::state::StateReader,
    ) -> Result<(), ganglion_base::state::StateError> {
        r.get(&mut self.0[..])
    }
}

impl Refractory {
    /// No neuron refractory.
    pub fn new(n: usize) -> Self {
        Self(vec![0; n])
    }

    /// The bounds for the kernel of `step`. Every 2³⁰ steps it first lifts bounds that lie in
    /// the past to the present: `until − t` then stays within ±2³¹ however long the run (a
    /// stale 0 would read as "future" after 2³¹ steps).
    #[inline]
    pub fn for_step(&mut self, step: u64) -> &[u32] {
        if step.is_multiple_of(MAX_REF_STEPS as u64) {
            let t = step as u32;
            for u in &mut self.0 {
                if !refractory_at(*u, t) {
                    *u = t;
                }
            }
        }
        &self.0
    }

    /// Neurons `spikes` (global ids, partition starting at `lo`) spiked at `step`; their
    /// refractory length in steps is derived constant `ref_index` of `k`.
    pub fn mark<const M: usize>(
        &mut self,
        spikes: &[u32],
        lo: u32,
        step: u64,
        k: &Derived<M>,
        ref_index: usize,
    ) {
        let t = step as u32;
        for &g in spikes {
            let i = (g - lo) as usize;
            let r = (k.get(ref_index, i) as u32).min(MAX_REF_STEPS);
            self.0[i] = t.wrapping_add(1 + r);
        }
    }
}

/// The [`crate::NeuronGroup`] methods every LIF model shares, for a type with fields
/// `k: Derived<M>`, `v: Vec<f32>` and `until: Refractory`: starting the refractory period
/// (derived constant `$ref` is its length in steps) and the threshold lane (constant `$vth`).
macro_rules! lif_group_methods {
    ($ref:expr, $vth:expr) => {
        fn mark_spikes(&mut self, spikes: &[u32], lo: u32, step: u64) {
            self.until.mark(spikes, lo, step, &self.k, $ref);
        }

        fn threshold_mut(&mut self) -> Option<&mut [f32]> {
            let n = self.v.len();
            Some(self.k.lane_mut($vth, n))
        }
    };
}
pub(crate) use lif_group_methods;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refractory_period_spans_exactly_ref_steps_across_the_u32_wrap() {
        for t0 in [0u64, 5, (1 << 32) - 2, (1 << 32) + 7] {
            let mut r = Refractory::new(2);
            // As in a run: rebased at every multiple of 2³⁰ steps so far.
            for k in 0..=t0 / MAX_REF_STEPS as u64 {
                r.for_step(k * MAX_REF_STEPS as u64);
            }
            r.mark(&[11], 10, t0, &Derived::Shared([3.0]), 0);
            // (The kernel of step t0 has already run when the spike is marked.)
            let refr = |t: u64| refractory_at(r.0[1], t as u32);
            assert!((1..=3).all(|k| refr(t0 + k)), "t0 = {t0}");
            assert!(!refr(t0 + 4) && !refr(t0 + 1000), "t0 = {t0}");
            assert!(!refractory_at(r.0[0], (t0 + 1) as u32), "unmarked neuron");
        }
    }

    #[test]
    fn rebasing_keeps_silent_neurons_out_of_refractoriness_in_long_runs() {
        let mut r = Refractory::new(1);
        // Without rebasing, the initial 0 would read as "refractory" from step 2³¹ on.
        assert!(refractory_at(0, (1u64 << 31) as u32 + 1));
        for k in 0..=4u64 {
            r.for_step(k * MAX_REF_STEPS as u64);
            let t = k * MAX_REF_STEPS as u64;
            assert!(
                !refractory_at(r.0[0], (t + MAX_REF_STEPS as u64 - 1) as u32),
                "k = {k}"
            );
        }
        // A period in progress is kept across a rebase.
        let mut r = Refractory::new(1);
        let t = 3 * MAX_REF_STEPS as u64 - 1;
        r.mark(&[0], 0, t, &Derived::Shared([20.0]), 0);
        r.for_step(t + 1);
        assert!(refractory_at(r.0[0], (t + 20) as u32) && !refractory_at(r.0[0], (t + 21) as u32));
    }
}
