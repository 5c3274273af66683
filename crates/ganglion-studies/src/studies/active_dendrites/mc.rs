//! Monte-Carlo simulation of dendritic segments: random patterns, random
//! segments, count how often the segment's threshold is crossed.
//!
//! Each estimator draws cells explicitly (Floyd sampling into stamped
//! bitmaps); nothing here uses the hypergeometric formula it is compared
//! with. Work is split into chunks with their own random streams, so a
//! result depends only on the seed, not on the number of threads.

use serde::Serialize;

use crate::stats::{StudyRng, par_map, sample_distinct, stream};

/// Trials per chunk (one random stream each).
const CHUNK: u64 = 50_000;

/// Outcome of `trials` independent segment tests.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct McEstimate {
    /// Number of simulated trials.
    pub trials: u64,
    /// Trials in which the event (false positive / false negative) happened.
    pub hits: u64,
}

impl McEstimate {
    /// Estimated probability `hits / trials`.
    pub fn p(&self) -> f64 {
        self.hits as f64 / self.trials as f64
    }

    /// Binomial z-score of `hits` against the predicted probability `p`.
    pub fn z(&self, p: f64) -> f64 {
        let n = self.trials as f64;
        let sd = (n * p * (1.0 - p)).sqrt();
        if sd == 0.0 {
            return if self.hits as f64 == n * p {
                0.0
            } else {
                f64::INFINITY
            };
        }
        (self.hits as f64 - n * p) / sd
    }
}

/// A reusable selection of cells: `marks[i] == stamp` iff cell `i` is selected.
struct Selection {
    marks: Vec<u32>,
    stamp: u32,
    cells: Vec<u32>,
}

impl Selection {
    fn new(n: usize) -> Self {
        Self {
            marks: vec![0; n],
            stamp: 0,
            cells: Vec::new(),
        }
    }

    /// Starts an empty selection.
    fn clear(&mut self) {
        if self.stamp == u32::MAX {
            self.marks.fill(0);
            self.stamp = 0;
        }
        self.stamp += 1;
        self.cells.clear();
    }

    /// Replaces the selection by `k` random distinct cells.
    fn sample(&mut self, rng: &mut StudyRng, k: usize) {
        self.clear();
        let n = self.marks.len();
        sample_distinct(rng, n, k, &mut self.marks, self.stamp, &mut self.cells);
    }

    /// Adds the cells of `other` (union).
    fn absorb(&mut self, other: &Self) {
        for &c in &other.cells {
            if self.marks[c as usize] != self.stamp {
                self.marks[c as usize] = self.stamp;
                self.cells.push(c);
            }
        }
    }

    fn contains(&self, c: u32) -> bool {
        self.marks[c as usize] == self.stamp
    }

    fn overlap(&self, other: &Self) -> usize {
        other.cells.iter().filter(|&&c| self.contains(c)).count()
    }
}

/// Runs `trial(rng, state, index_within_chunk)` `trials` times in parallel
/// chunks and counts `true` results.
fn run_chunks<S, F, I>(trials: u64, seed: u64, init: I, trial: F) -> McEstimate
where
    I: Fn() -> S + Sync,
    F: Fn(&mut StudyRng, &mut S, u64) -> bool + Sync,
{
    let chunks = trials.div_ceil(CHUNK);
    let hits: u64 = par_map(chunks as usize, |c| {
        let mut rng = stream(seed, c as u64);
        let mut state = init();
        let len = CHUNK.min(trials - c as u64 * CHUNK);
        (0..len).filter(|&t| trial(&mut rng, &mut state, t)).count() as u64
    })
    .into_iter()
    .sum();
    McEstimate { trials, hits }
}

/// How many trials share one random input pattern. Sharing keeps the cost
/// of drawing `a` (or `M·a`) cells off the per-trial path; with hundreds of
/// thousands of distinct patterns per estimate the extra variance is
/// negligible for the small probabilities simulated here.
const TRIALS_PER_PATTERN: u64 = 8;

/// False positives: a random segment of `s` synapses onto `n` cells against a
/// random pattern of `a` active cells; event when `>= theta` synapses are active.
pub fn false_positive(n: u64, a: u64, s: u64, theta: u64, trials: u64, seed: u64) -> McEstimate {
    run_chunks(
        trials,
        seed,
        || (Selection::new(n as usize), Selection::new(n as usize)),
        |rng, (pattern, segment), t| {
            if t % TRIALS_PER_PATTERN == 0 {
                pattern.sample(rng, a as usize);
            }
            segment.sample(rng, s as usize);
            pattern.overlap(segment) as u64 >= theta
        },
    )
}

/// False negatives under noise: a segment's `s` synapses sit on `s` of a
/// stored pattern's `a` active cells; `noise_bits` random active cells are
/// replaced by inactive ones; event when fewer than `theta` synapses remain active.
pub fn false_negative(
    a: u64,
    s: u64,
    theta: u64,
    noise_bits: u64,
    trials: u64,
    seed: u64,
) -> McEstimate {
    run_chunks(
        trials,
        seed,
        || (Selection::new(a as usize), Selection::new(a as usize)),
        |rng, (segment, removed), _| {
            segment.sample(rng, s as usize);
            removed.sample(rng, noise_bits as usize);
            let lost = segment.overlap(removed) as u64;
            s - lost < theta
        },
    )
}

/// The union tests. `input = false`: a segment that stored `m` patterns (each
/// subsampled with `s` synapses, so it holds the union) tested against a random
/// pattern of `a` cells. `input = true`: a random segment (`s` synapses) tested
/// against an input that is the union of `m` random patterns of `a` cells each.
#[allow(clippy::too_many_arguments)]
pub fn union(
    input: bool,
    n: u64,
    a: u64,
    s: u64,
    theta: u64,
    m: u64,
    trials: u64,
    seed: u64,
) -> McEstimate {
    if input {
        union_vs_single(n, m, a, s, true, theta, trials, seed)
    } else {
        union_vs_single(n, m, s, a, false, theta, trials, seed)
    }
}

/// Overlap of a union of `m` random `union_k`-cell selections with one
/// random `single_k`-cell selection, `≥ theta` counted as a hit. The union
/// (`hold_union`) or the single selection is redrawn only every
/// [`TRIALS_PER_PATTERN`] trials; the other side every trial.
#[allow(clippy::too_many_arguments)]
fn union_vs_single(
    n: u64,
    m: u64,
    union_k: u64,
    single_k: u64,
    hold_union: bool,
    theta: u64,
    trials: u64,
    seed: u64,
) -> McEstimate {
    let n_us = n as usize;
    run_chunks(
        trials,
        seed,
        || {
            (
                Selection::new(n_us),
                Selection::new(n_us),
                Selection::new(n_us),
            )
        },
        |rng, (single, one, union), t| {
            let renew = t % TRIALS_PER_PATTERN == 0;
            let mut draw_union = |rng: &mut StudyRng| {
                union.clear();
                for _ in 0..m {
                    one.sample(rng, union_k as usize);
                    union.absorb(one);
                }
            };
            if hold_union {
                if renew {
                    draw_union(rng);
                }
                single.sample(rng, single_k as usize);
            } else {
                if renew {
                    single.sample(rng, single_k as usize);
                }
                draw_union(rng);
            }
            single.overlap(union) as u64 >= theta
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::studies::active_dendrites::math;

    #[test]
    fn false_positive_matches_formula() {
        let est = false_positive(500, 128, 24, 12, 100_000, 11);
        let p = math::p_false_positive(500, 128, 24, 12);
        assert!(est.z(p).abs() < 4.0, "{} vs {p}", est.p());
    }

    #[test]
    fn false_negative_matches_formula() {
        let est = false_negative(128, 30, 12, 51, 100_000, 12);
        let p = math::p_false_negative(128, 30, 12, 51);
        assert!(est.z(p).abs() < 4.0, "{} vs {p}", est.p());
    }

    #[test]
    fn results_do_not_depend_on_chunk_scheduling() {
        let a = false_positive(300, 64, 24, 12, 120_000, 5);
        let b = false_positive(300, 64, 24, 12, 120_000, 5);
        assert_eq!(a, b);
    }
}
