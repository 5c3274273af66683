//! What partitions exchange each step: spike lists, rate outputs and the potentials of
//! gap-junction-coupled neurons, double-buffered by step parity so that one barrier per step
//! is enough.

use std::cell::UnsafeCell;

/// What a partition publishes each step: its spikes (global ids), rate outputs and, for
/// populations with gap junctions, every neuron's coupled potential at the end of the step.
#[derive(Debug, Default, Clone)]
pub(crate) struct Board {
    pub(crate) spikes: Vec<u32>,
    pub(crate) rates: Vec<f32>,
    pub(crate) voltages: Vec<f32>,
}

/// Spike lists of all partitions, double-buffered by step parity (the "parity" below is
/// the cell index t % depth; see `depth`).
///
/// Invariant: in phase A of step t, partition p writes only cells (t % 2, p, ·); in phase B
/// of step t every partition reads cells (t % 2, ·, ·). A barrier separates A(t) from B(t);
/// A(t+1) writes the other parity; A(t+2) starts only after every partition finished B(t)
/// and A(t+1) (it passed the barrier after A(t+1)). So cells of parity t % 2 are read-only
/// from the barrier of step t to that of step t + 1, and phase A of step t + 1 may read them
/// too (gap junctions read the previous step's potentials there).
pub(crate) struct Boards {
    pub(crate) cells: Vec<UnsafeCell<Board>>,
    pub(crate) parts: usize,
    pub(crate) pops: usize,
    /// Step cells: 2 (parity) in one process and in a distributed run that exchanges every
    /// step; 2 × epoch length when spikes are exchanged once per min-delay epoch (phase A
    /// of step t writes cell t % depth, see `crate::distributed`).
    pub(crate) depth: usize,
}

// SAFETY: access is coordinated by the barrier protocol documented on the type.
unsafe impl Sync for Boards {}

impl Boards {
    pub(crate) fn idx(&self, parity: usize, part: usize, pop: usize) -> usize {
        (parity * self.parts + part) * self.pops + pop
    }
    /// SAFETY: caller must be partition `part` in phase A of a step with this parity.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn write(&self, parity: usize, part: usize, pop: usize) -> &mut Board {
        unsafe { &mut *self.cells[self.idx(parity, part, pop)].get() }
    }
    /// SAFETY: caller must be in phase B of a step with this parity, or in phase A of the
    /// step after it.
    pub(crate) unsafe fn read(&self, parity: usize, part: usize, pop: usize) -> &Board {
        unsafe { &*self.cells[self.idx(parity, part, pop)].get() }
    }
}
