//! Mini-batches in a seeded shuffled order.
//!
//! The order of epoch e is a Fisher–Yates shuffle driven by a stream keyed by (seed, e), so
//! resuming at epoch e reproduces exactly the batches an uninterrupted run would have seen.

use crate::encode::{mix64, stream_key};

/// The shuffled sample order of `epoch`: a permutation of `0..n`.
pub fn permutation(n: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    let key = stream_key(seed ^ 0x5348_5546_464C_4521, epoch);
    for i in (1..n).rev() {
        let h = mix64(key ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // Multiply-shift maps 64 random bits onto 0..=i without modulo bias worth noting.
        let j = ((h as u128 * (i as u128 + 1)) >> 64) as usize;
        p.swap(i, j);
    }
    p
}

/// Iterator over the batches (lists of sample indices) of one epoch; the last batch may be
/// smaller.
#[derive(Debug, Clone)]
pub struct Batches {
    order: Vec<usize>,
    size: usize,
    pos: usize,
}

impl Batches {
    /// Batches of `size` over `n` samples in the shuffled order of (`seed`, `epoch`).
    pub fn new(n: usize, size: usize, seed: u64, epoch: u64) -> Batches {
        Batches {
            order: permutation(n, seed, epoch),
            size: size.max(1),
            pos: 0,
        }
    }
    /// Batches of `size` over `0..n` in order (no shuffle), for evaluation.
    pub fn sequential(n: usize, size: usize) -> Batches {
        Batches {
            order: (0..n).collect(),
            size: size.max(1),
            pos: 0,
        }
    }
    /// Number of batches.
    pub fn num_batches(&self) -> usize {
        self.order.len().div_ceil(self.size)
    }
}

impl Iterator for Batches {
    type Item = Vec<usize>;
    fn next(&mut self) -> Option<Vec<usize>> {
        if self.pos >= self.order.len() {
            return None;
        }
        let end = (self.pos + self.size).min(self.order.len());
        let b = self.order[self.pos..end].to_vec();
        self.pos = end;
        Some(b)
    }
}
