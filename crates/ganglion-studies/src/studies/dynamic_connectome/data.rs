//! Synthetic calcium imaging with planted, time-varying communities.
//!
//! R motifs, each a partition of the N neurons into communities. Motif p is expressed in
//! window w with strength g_p(w) (a trapezoid in time: plateau, linear ramps, overlapping its
//! neighbours) and in animal a with gain h_p(a) (uniform in [0.3, 1]). Each community of each
//! motif has a shared train of calcium events (Bernoulli per sample); neuron i receives the
//! shared events of its community in every motif, scaled by √(g_p(w) h_p(a)) so that the
//! co-fluctuation of two members grows linearly with g·h, plus private events. Calcium
//! integrates the events with a GCaMP-like exponential decay (τ = 1 s at 4 Hz sampling, i.e.
//! a decay factor e^(−0.25) per sample) and is observed with Gaussian noise.

use ganglion_base::rng::{Stream, derive};

/// Sampling step (s) and calcium decay time constant (s).
pub const DT_S: f64 = 0.25;
const TAU_S: f64 = 1.0;
/// Per-sample probability of a shared event in an active community, and of a private event.
const P_SHARED: f64 = 0.06;
const P_PRIVATE: f64 = 0.04;
/// Amplitude of private events and of the measurement noise (shared events have amplitude 1
/// at full expression).
const PRIVATE_AMP: f64 = 0.6;
const NOISE: f64 = 0.1;

/// Size of a synthetic experiment.
#[derive(Debug, Clone, Copy)]
pub struct Design {
    /// Neurons per animal.
    pub neurons: usize,
    /// Animals.
    pub animals: usize,
    /// Time windows.
    pub windows: usize,
    /// Samples per window.
    pub window_len: usize,
    /// Seed.
    pub seed: u64,
}

/// The planted structure.
#[derive(Debug, Clone)]
pub struct Planted {
    /// Community of each neuron in each motif (motif × neuron).
    pub partitions: Vec<Vec<usize>>,
    /// g_p(w): expression of each motif in each window (motif × window).
    pub time: Vec<Vec<f64>>,
    /// h_p(a): gain of each motif in each animal (motif × animal).
    pub animal: Vec<Vec<f64>>,
}

impl Planted {
    /// Number of motifs.
    pub fn motifs(&self) -> usize {
        self.partitions.len()
    }

    /// Number of communities of motif p.
    pub fn communities(&self, p: usize) -> usize {
        self.partitions[p].iter().max().map_or(0, |m| m + 1)
    }
}

/// Three motifs over N neurons: contiguous thirds, residues mod 3, and a random split in
/// two halves; trapezoidal time courses centred at (p + ½)·W/3.
pub fn planted(d: &Design) -> Planted {
    let n = d.neurons;
    let mut s = Stream::new(derive(d.seed, 1));
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        perm.swap(i, s.below(i as u64 + 1) as usize);
    }
    let mut halves = vec![0; n];
    for (rank, &i) in perm.iter().enumerate() {
        halves[i] = usize::from(rank >= n / 2);
    }
    let partitions = vec![
        (0..n).map(|i| (3 * i / n).min(2)).collect(),
        (0..n).map(|i| i % 3).collect(),
        halves,
    ];
    let r = partitions.len();
    let w = d.windows as f64;
    // Plateaus of W/8 either side of the centre, ramps over W/6: neighbours overlap.
    let (plateau, ramp) = (w / 8.0, w / 6.0);
    let time = (0..r)
        .map(|p| {
            let centre = (p as f64 + 0.5) * w / r as f64 - 0.5;
            (0..d.windows)
                .map(|k| {
                    let dist = ((k as f64 - centre).abs() - plateau).max(0.0);
                    (1.0 - dist / ramp).clamp(0.0, 1.0)
                })
                .collect()
        })
        .collect();
    let animal = (0..r)
        .map(|_| (0..d.animals).map(|_| 0.3 + 0.7 * s.uniform()).collect())
        .collect();
    Planted {
        partitions,
        time,
        animal,
    }
}

/// Calcium traces of animal `a` (samples × neurons, row-major; windows × window_len samples).
pub fn traces(d: &Design, pl: &Planted, a: usize) -> Vec<f64> {
    let n = d.neurons;
    let t_len = d.windows * d.window_len;
    let mut s = Stream::new(derive(d.seed, 100 + a as u64));
    let decay = (-DT_S / TAU_S).exp();
    let r = pl.motifs();
    let mut x = vec![0.0; t_len * n];
    let mut c = vec![0.0; n];
    let mut shared: Vec<Vec<f64>> = (0..r).map(|p| vec![0.0; pl.communities(p)]).collect();
    for t in 0..t_len {
        let w = t / d.window_len;
        for (p, ev) in shared.iter_mut().enumerate() {
            let amp = (pl.time[p][w] * pl.animal[p][a]).sqrt();
            for e in ev.iter_mut() {
                *e = if s.uniform() < P_SHARED { amp } else { 0.0 };
            }
        }
        for i in 0..n {
            let mut drive: f64 = (0..r).map(|p| shared[p][pl.partitions[p][i]]).sum();
            if s.uniform() < P_PRIVATE {
                drive += PRIVATE_AMP;
            }
            c[i] = c[i] * decay + drive;
            x[t * n + i] = c[i] + NOISE * s.normal();
        }
    }
    x
}
