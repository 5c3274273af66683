//! Spike delivery into the ring buffers (the engine's hot loop) and spike collection.
//!
//! A population's ring buffer holds `slots` steps of input for each of its two channels:
//! cell `ring[(channel · slots + slot) · n + i]` is what neuron i receives on that channel at
//! the step whose index is `slot` modulo `slots` (NEST's ring buffer). Input sent at step t
//! with a delay of d steps lands in slot (t + d) mod slots.

use crate::connect::{Csr, Delays, Targets};

/// Add source `s`'s synapses (scaled by `scale`) into the ring slots where they arrive.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn deliver(
    ring: &mut [f32],
    csr: &Csr,
    s: usize,
    scale: f32,
    ch_base: usize,
    n: usize,
    slots: usize,
    t: u64,
) {
    match &csr.delay {
        Delays::Const(d) => {
            let buf = arrival_slot(ring, *d, ch_base, n, slots, t);
            add_row(buf, csr, s, scale);
        }
        Delays::Each(ds) => {
            let (a, b) = (csr.row_ptr[s] as usize, csr.row_ptr[s + 1] as usize);
            let cur = (t % slots as u64) as usize;
            let (w, ds) = (&csr.w[a..b], &ds[a..b]);
            match &csr.tgt {
                Targets::U16(v) => {
                    add_row_each(ring, &v[a..b], w, ds, scale, cur, ch_base, n, slots)
                }
                Targets::U32(v) => {
                    add_row_each(ring, &v[a..b], w, ds, scale, cur, ch_base, n, slots)
                }
            }
        }
    }
}

/// Add one row with a delay per synapse: synapse j lands in slot `cur + ds[j]` (mod `slots`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn add_row_each<T: Copy + Into<u32>>(
    ring: &mut [f32],
    tgt: &[T],
    w: &[f32],
    ds: &[u16],
    scale: f32,
    cur: usize,
    ch_base: usize,
    n: usize,
    slots: usize,
) {
    for ((&i, &wi), &d) in tgt.iter().zip(w).zip(ds) {
        let mut slot = cur + d as usize;
        if slot >= slots {
            slot -= slots;
        }
        let i: u32 = i.into();
        ring[ch_base + slot * n + i as usize] += wi * scale;
    }
}

/// [`deliver`] for every spike of a step: with a constant delay the arrival slot is found
/// once for all of them (a 64-bit division per spike otherwise).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn deliver_spikes(
    ring: &mut [f32],
    csr: &Csr,
    spikes: &[u32],
    ch_base: usize,
    n: usize,
    slots: usize,
    t: u64,
) {
    if let Delays::Const(d) = csr.delay {
        let buf = arrival_slot(ring, d, ch_base, n, slots, t);
        // The width is matched once for all the step's spikes.
        match &csr.tgt {
            Targets::U16(v) => spikes
                .iter()
                .for_each(|&s| add_row_of(buf, v, &csr.w, &csr.row_ptr, s as usize, 1.0)),
            Targets::U32(v) => spikes
                .iter()
                .for_each(|&s| add_row_of(buf, v, &csr.w, &csr.row_ptr, s as usize, 1.0)),
        }
    } else {
        for &s in spikes {
            deliver(ring, csr, s as usize, 1.0, ch_base, n, slots, t);
        }
    }
}

/// The `n` ring cells of channel base `ch_base` where input sent at step `t` with delay `d`
/// arrives.
#[inline(always)]
pub(crate) fn arrival_slot(
    ring: &mut [f32],
    d: u16,
    ch_base: usize,
    n: usize,
    slots: usize,
    t: u64,
) -> &mut [f32] {
    let slot = ((t + d as u64) % slots as u64) as usize;
    &mut ring[ch_base + slot * n..ch_base + (slot + 1) * n]
}

/// Ask the CPU to start loading the first 256 bytes of source `s`'s targets and weights.
#[inline(always)]
pub(crate) fn prefetch_row(csr: &Csr, s: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let (a, b) = (csr.row_ptr[s] as usize, csr.row_ptr[s + 1] as usize);
        let tgt: *const u8 = match &csr.tgt {
            Targets::U16(v) => v.as_ptr().cast(),
            Targets::U32(v) => v.as_ptr().cast(),
        };
        let width = csr.tgt.width();
        for k in (a..b.min(a + 64)).step_by(16) {
            // SAFETY: k < b ≤ the length of tgt and of w, so k · width is inside tgt's
            // allocation; a prefetch never faults.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(tgt.add(k * width).cast());
                _mm_prefetch::<_MM_HINT_T0>(csr.w.as_ptr().add(k).cast());
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (csr, s);
}

/// Add source `s`'s synapses, scaled by `scale`, into one arrival slot `buf`.
#[inline(always)]
pub(crate) fn add_row(buf: &mut [f32], csr: &Csr, s: usize, scale: f32) {
    match &csr.tgt {
        Targets::U16(v) => add_row_of(buf, v, &csr.w, &csr.row_ptr, s, scale),
        Targets::U32(v) => add_row_of(buf, v, &csr.w, &csr.row_ptr, s, scale),
    }
}

/// [`add_row`] for targets of one width.
#[inline(always)]
fn add_row_of<T: Copy + Into<u32>>(
    buf: &mut [f32],
    tgt: &[T],
    w: &[f32],
    row_ptr: &[u64],
    s: usize,
    scale: f32,
) {
    let (a, b) = (row_ptr[s] as usize, row_ptr[s + 1] as usize);
    for (&i, &wi) in tgt[a..b].iter().zip(&w[a..b]) {
        let i: u32 = i.into();
        buf[i as usize] += wi * scale;
    }
}

/// Append global ids of neurons whose flag is set, in ascending order. Spikes are rare (a
/// few per thousand neurons per step), so 64 flags are tested at once (one vector OR) and
/// only blocks with a spike are looked at word by word.
#[inline]
pub(crate) fn collect_spikes(flags: &[u8], lo: u32, out: &mut Vec<u32>) {
    let mut blocks = flags.chunks_exact(64);
    let mut base = 0u32;
    for b in &mut blocks {
        let mut words = [0u64; 8];
        for (w, c) in words.iter_mut().zip(b.chunks_exact(8)) {
            *w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        }
        if words.iter().fold(0, |a, &w| a | w) != 0 {
            push_set(b, lo + base, out);
        }
        base += 64;
    }
    push_set(blocks.remainder(), lo + base, out);
}

/// Append `first + j` for every non-zero `flags[j]`, testing 8 flags per word.
#[inline]
pub(crate) fn push_set(flags: &[u8], first: u32, out: &mut Vec<u32>) {
    for (k, c) in flags.chunks(8).enumerate() {
        if c.iter().any(|&f| f != 0) {
            for (j, &f) in c.iter().enumerate() {
                if f != 0 {
                    out.push(first + (8 * k + j) as u32);
                }
            }
        }
    }
}
