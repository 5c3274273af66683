//! What partitions exchange each step: spike lists and rate outputs, double-buffered by step
//! parity so that one barrier per step is enough.

use std::cell::UnsafeCell;

/// What a partition publishes each step: its spikes (global ids) and rate outputs.
#[derive(Debug, Default, Clone)]
pub(crate) struct Board {
    pub(crate) spikes: Vec<u32>,
    pub(crate) rates: Vec<f32>,
}

/// Spike lists of all partitions, double-buffered by step parity.
///
/// Invariant: in phase A of step t, partition p writes only cells (t % 2, p, ·); in phase B
/// of step t every partition reads cells (t % 2, ·, ·). A barrier separates A(t) from B(t);
/// A(t+1) writes the other parity; A(t+2) starts only after every partition finished B(t)
/// and A(t+1) (it passed the barrier after A(t+1)).
pub(crate) struct Boards {
    pub(crate) cells: Vec<UnsafeCell<Board>>,
    pub(crate) parts: usize,
    pub(crate) pops: usize,
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
    /// SAFETY: caller must be in phase B of a step with this parity.
    pub(crate) unsafe fn read(&self, parity: usize, part: usize, pop: usize) -> &Board {
        unsafe { &*self.cells[self.idx(parity, part, pop)].get() }
    }
}
