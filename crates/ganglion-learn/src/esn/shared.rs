//! Buffers that the reservoir's threads write in disjoint ranges between barriers.

use std::cell::UnsafeCell;

/// A buffer that threads write in disjoint ranges (see `run_parallel`).
pub(super) struct SharedBuf(UnsafeCell<Vec<f32>>);
// SAFETY: access is coordinated by the step barrier (disjoint writes, reads after the barrier).
unsafe impl Sync for SharedBuf {}
impl SharedBuf {
    pub(super) fn new(v: Vec<f32>) -> Self {
        Self(UnsafeCell::new(v))
    }
    /// # Safety
    /// No thread may write `range` while the returned slice lives.
    pub(super) unsafe fn slice(&self, range: std::ops::Range<usize>) -> &[f32] {
        // SAFETY: caller contract; the Vec is never resized while shared.
        unsafe { &(&*self.0.get())[range] }
    }
    /// # Safety
    /// No other thread may access `range` while the returned slice lives.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn slice_mut(&self, range: std::ops::Range<usize>) -> &mut [f32] {
        // SAFETY: caller contract; build the slice from the raw pointer so that no `&mut Vec`
        // covering other threads' ranges is ever created.
        unsafe {
            let v = &*self.0.get();
            assert!(range.start <= range.end && range.end <= v.len());
            std::slice::from_raw_parts_mut(v.as_ptr().add(range.start).cast_mut(), range.len())
        }
    }
    pub(super) fn into_inner(self) -> Vec<f32> {
        self.0.into_inner()
    }
}

#[derive(Clone, Copy)]
pub(super) struct SharedSlice {
    pub(super) ptr: *mut f64,
    pub(super) len: usize,
}
// SAFETY: as SharedBuf: threads write disjoint ranges.
unsafe impl Send for SharedSlice {}
unsafe impl Sync for SharedSlice {}
impl SharedSlice {
    /// # Safety
    /// No other thread may access `range` while the returned slice lives.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn slice_mut(&self, range: std::ops::Range<usize>) -> &mut [f64] {
        assert!(range.start <= range.end && range.end <= self.len);
        // SAFETY: in bounds (asserted); exclusivity is the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(range.start), range.len()) }
    }
}
