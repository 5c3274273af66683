//! The cue → event task: which event follows a cue ("what"), after which delay ("when") and
//! with which probability, on a grid of bins, with a change of timing or probability at a
//! given trial.
//!
//! Trial `i` starts with cue `c_i ∈ {0, 1}` (equally likely) for `cue_ms`; event `c_i`
//! (output `c_i`) then occurs with probability `p[c_i]` at `delay[c_i]` after cue onset. The
//! readout's target for output `o` is `bump(t − onset − delay)` on trials whose event `o`
//! occurred and 0 otherwise, `bump(s) = exp(−s² / 2σ²)`; its expectation is `p · bump`. The
//! gate (attention) is 1 from cue onset for `trial_ms` and 0 in the inter-trial interval,
//! whose length is drawn uniformly so that the next cue cannot be timed.

use crate::stats::{self, StudyRng};
use rand::RngExt;

/// Event delays and probabilities of one phase of the task, per cue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Phase {
    /// Delay of each cue's event after cue onset \[ms\].
    pub delay_ms: [f64; 2],
    /// Probability that each cue's event occurs.
    pub prob: [f64; 2],
}

/// Timing of trials on the bin grid.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Bin width \[ms\].
    pub bin_ms: f64,
    /// Cue duration \[ms\].
    pub cue_ms: f64,
    /// Attended part of a trial, from cue onset \[ms\].
    pub trial_ms: f64,
    /// Inter-trial interval range \[ms\].
    pub iti_ms: (f64, f64),
    /// Quiet time before the first cue \[ms\].
    pub lead_ms: f64,
    /// Width σ of the target bump \[ms\].
    pub sigma_ms: f64,
}

/// The cue sequence of one run (shared by every experiment on that reservoir run).
#[derive(Debug, Clone)]
pub struct Trials {
    /// Cue of each trial.
    pub cue: Vec<usize>,
    /// First bin (cue onset) of each trial.
    pub onset: Vec<usize>,
    /// Total bins.
    pub bins: usize,
}

impl Layout {
    fn nbins(&self, ms: f64) -> usize {
        (ms / self.bin_ms).round() as usize
    }

    /// Draws `n` trials.
    pub fn trials(&self, n: usize, rng: &mut StudyRng) -> Trials {
        let mut t = self.nbins(self.lead_ms);
        let (mut cue, mut onset) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (lo, hi) = (self.nbins(self.iti_ms.0), self.nbins(self.iti_ms.1));
        for _ in 0..n {
            cue.push(usize::from(rng.random::<f64>() < 0.5));
            onset.push(t);
            t += self.nbins(self.trial_ms) + rng.random_range(lo..=hi);
        }
        Trials {
            cue,
            onset,
            bins: t,
        }
    }

    /// Cue input series, one per cue: 1 while the cue is on, one value per bin.
    pub fn cue_series(&self, tr: &Trials) -> Vec<Vec<f64>> {
        let mut s = vec![vec![0.0; tr.bins]; 2];
        let len = self.nbins(self.cue_ms);
        for (&c, &o) in tr.cue.iter().zip(&tr.onset) {
            s[c][o..o + len].iter_mut().for_each(|v| *v = 1.0);
        }
        s
    }

    /// Targets (realised), expectations, gate and epoch per bin for `phases[k]` from trial
    /// `starts[k]` on; outcomes drawn from `rng`. Targets and expectations are
    /// `bins × 2` row-major; the state of bin `b` is read at its end, `(b + 1) · bin_ms`.
    pub fn stream(
        &self,
        tr: &Trials,
        phases: &[Phase],
        starts: &[usize],
        rng: &mut StudyRng,
    ) -> TaskStream {
        let nb = tr.bins;
        let mut s = TaskStream {
            targets: vec![0.0; nb * 2],
            expected: vec![0.0; nb * 2],
            gate: vec![0.0; nb],
            epoch: vec![0; nb],
            occurred: Vec::with_capacity(tr.cue.len()),
        };
        let len = self.nbins(self.trial_ms);
        for (i, (&c, &o)) in tr.cue.iter().zip(&tr.onset).enumerate() {
            let k = starts.iter().rposition(|&st| st <= i).unwrap_or(0);
            let ph = phases[k];
            let hit = rng.random::<f64>() < ph.prob[c];
            s.occurred.push(hit);
            let end = tr.onset.get(i + 1).copied().unwrap_or(nb);
            s.epoch[o..end].iter_mut().for_each(|e| *e = i);
            for b in o..o + len {
                s.gate[b] = 1.0;
                let t = (b + 1 - o) as f64 * self.bin_ms - ph.delay_ms[c];
                let bump = (-t * t / (2.0 * self.sigma_ms * self.sigma_ms)).exp();
                s.expected[b * 2 + c] = ph.prob[c] * bump;
                if hit {
                    s.targets[b * 2 + c] = bump;
                }
            }
        }
        s
    }
}

/// Per-bin arrays of one experiment (see [`Layout::stream`]).
#[derive(Debug, Clone)]
pub struct TaskStream {
    /// Realised targets, `bins × 2`.
    pub targets: Vec<f64>,
    /// Expected targets, `bins × 2`.
    pub expected: Vec<f64>,
    /// Attention gate per bin.
    pub gate: Vec<f64>,
    /// Trial of each bin (the inter-trial interval belongs to the trial before it).
    pub epoch: Vec<usize>,
    /// Whether each trial's event occurred.
    pub occurred: Vec<bool>,
}

/// A fresh stream for the outcomes of experiment `id` of `seed`.
pub fn outcome_rng(seed: u64, id: u64) -> StudyRng {
    stats::stream(seed, 0x0c0e_0000 + id)
}
