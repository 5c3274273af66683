//! Statistical equivalence of spiking-network realisations: per-neuron distributions
//! and their two-sample Kolmogorov–Smirnov distances, after Dasbach, Tetzlaff, Diesmann &
//! Senk (2021), "Dynamical characteristics of software trade-offs in neuromorphic
//! hardware", Front. Neurosci. 15:628340 — the accuracy recipe of the reference PD14
//! microcircuit repository (github.com/INM-6/microcircuit-PD14-model, `reference_data/`).
//!
//! For each realisation (a network instance from one seed) and population the recipe
//! takes three samples over the analysis window `[t0, t1)` (the warm-up discarded):
//!
//! - the time-averaged rate of every neuron \[Hz\];
//! - the ISI coefficient of variation of every neuron with ≥ 3 spikes in the window;
//! - the pairwise Pearson correlation coefficients of the spike counts, in bins of
//!   `bin_ms` (2 ms in the reference), of a random subsample of neurons (50 per population
//!   in the reference's `params.py`); pairs with a silent neuron give NaN and are dropped,
//!   as the reference's `compute_ensemble_statistics.py` drops them.
//!
//! Two realisations are compared by the KS distance `sup_x |F_a(x) − F_b(x)|` of each
//! sample. Realisations of the *same* simulator differ by chance (quenched connectivity,
//! initial state, drive); that spread — the KS distances among all pairs of reference
//! realisations — is the yardstick. A second simulator is statistically equivalent when its
//! distances to the reference realisations are of the same size as those within either
//! simulator ([`Spread`]): [`Spread::permutation_p`] tests that exactly, by relabelling the
//! realisations (a distance-based permutation test in the spirit of Dasbach et al.'s
//! comparison of KS-distance distributions).

use crate::spikes::isi_cv;

/// Two-sample Kolmogorov–Smirnov statistic `sup_x |F_a(x) − F_b(x)|` of the empirical
/// distribution functions of `a` and `b` (scipy's `ks_2samp(a, b).statistic`).
///
/// NaN values are ignored (the reference removes them before its KS distances); NaN when
/// either sample is empty after that. Ties within and between the samples are handled
/// exactly (the ECDFs are right-continuous).
pub fn ks_distance(a: &[f64], b: &[f64]) -> f64 {
    let sorted = |x: &[f64]| {
        let mut v: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let (a, b) = (sorted(a), sorted(b));
    if a.is_empty() || b.is_empty() {
        return f64::NAN;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    // Step over the distinct values of the pooled sample; after the last value of one
    // sample its ECDF is 1 and the other's only rises towards 1, so the sup is reached
    // before either runs out.
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / na - j as f64 / nb).abs());
    }
    d
}

/// ISI CVs (population standard deviation over mean of the intervals) of the sorted
/// `trains` with ≥ 3 spikes, in train order (the reference's `single_neuron_isi_cvs`).
pub fn isi_cvs(trains: &[Vec<f64>]) -> Vec<f64> {
    trains.iter().filter_map(|t| isi_cv(t)).collect()
}

/// Pearson correlation coefficients of the spike counts of `trains` in bins of `bin_ms`
/// over `[t0, t1)` (⌊(t1 − t0)/bin_ms⌋ bins; spikes past the last whole bin are not
/// counted), for every pair `i < j` in row-major order of the upper triangle: `(0,1),
/// (0,2), …, (1,2), …` — `n(n−1)/2` values. NaN for a pair with a train that has the same
/// count in every bin (e.g. silent), as `numpy.corrcoef` gives.
///
/// Panics if `bin_ms` is not positive or the window holds no whole bin.
pub fn spike_count_correlations(
    trains: &[Vec<f64>],
    (t0, t1): (f64, f64),
    bin_ms: f64,
) -> Vec<f64> {
    assert!(
        bin_ms > 0.0,
        "spike_count_correlations: bin_ms = {bin_ms}, must be > 0"
    );
    let bins = ((t1 - t0) / bin_ms).floor();
    assert!(
        bins >= 1.0,
        "spike_count_correlations: window [{t0}, {t1}) ms holds no whole {bin_ms} ms bin; widen the window"
    );
    let bins = bins as usize;
    // Centred counts and their norms; the coefficient is then a normalised dot product.
    let centred: Vec<(Vec<f64>, f64)> = trains
        .iter()
        .map(|t| {
            let mut c = vec![0.0f64; bins];
            for &s in t {
                if s >= t0 && s < t1 {
                    let b = ((s - t0) / bin_ms) as usize;
                    if b < bins {
                        c[b] += 1.0;
                    }
                }
            }
            let m = c.iter().sum::<f64>() / bins as f64;
            c.iter_mut().for_each(|x| *x -= m);
            let norm = c.iter().map(|x| x * x).sum::<f64>().sqrt();
            (c, norm)
        })
        .collect();
    let n = trains.len();
    let mut out = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for (i, (ci, ni)) in centred.iter().enumerate() {
        for (cj, nj) in &centred[i + 1..] {
            if *ni == 0.0 || *nj == 0.0 {
                out.push(f64::NAN);
                continue;
            }
            let dot: f64 = ci.iter().zip(cj).map(|(x, y)| x * y).sum();
            out.push((dot / (ni * nj)).clamp(-1.0, 1.0));
        }
    }
    out
}

/// `k` distinct indices drawn uniformly from `0..n` without replacement (partial
/// Fisher–Yates with a SplitMix64 stream from `seed`), sorted. The reference draws its
/// correlation subsample with Python's `random.sample`; the streams differ, the law is the
/// same.
///
/// Panics if `k > n`.
pub fn subsample(n: usize, k: usize, seed: u64) -> Vec<usize> {
    assert!(
        k <= n,
        "subsample: cannot draw k = {k} of n = {n} neurons without replacement; use k <= n"
    );
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut idx: Vec<usize> = (0..n).collect();
    for i in 0..k {
        // Lemire's multiply-shift maps 64 random bits onto [0, n − i) with negligible bias.
        let r = ((next() as u128 * (n - i) as u128) >> 64) as usize;
        idx.swap(i, i + r);
    }
    idx.truncate(k);
    idx.sort_unstable();
    idx
}

/// The three per-population samples of one realisation (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationSamples {
    /// Time-averaged rate of every neuron \[Hz\], in neuron order.
    pub rates_hz: Vec<f64>,
    /// ISI CVs of the neurons with ≥ 3 spikes in the window.
    pub cvs: Vec<f64>,
    /// Spike-count correlation coefficients of the subsample's pairs (NaN kept).
    pub ccs: Vec<f64>,
}

/// The samples of one population: `trains` are all its neurons' sorted spike times \[ms\]
/// inside `window` (e.g. from [`crate::spikes::trains`]), `sample` the indices of the
/// neurons whose pairwise correlations enter (e.g. from [`subsample`]), `bin_ms` the
/// count bin.
///
/// Panics if a `sample` index is out of range.
pub fn population_samples(
    trains: &[Vec<f64>],
    window: (f64, f64),
    sample: &[usize],
    bin_ms: f64,
) -> PopulationSamples {
    let picked: Vec<Vec<f64>> = sample
        .iter()
        .map(|&i| {
            assert!(
                i < trains.len(),
                "population_samples: subsample index {i} out of range for {} neurons",
                trains.len()
            );
            trains[i].clone()
        })
        .collect();
    PopulationSamples {
        rates_hz: crate::spikes::rates_hz(trains, window.1 - window.0),
        cvs: isi_cvs(trains),
        ccs: spike_count_correlations(&picked, window, bin_ms),
    }
}

/// KS distances of one observable among a set of realisations: the first `n_ref` are the
/// reference simulator's, the rest the tested simulator's.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    /// Number of reference realisations (the first rows of `matrix`).
    pub n_ref: usize,
    /// Number of realisations in all.
    pub m: usize,
    /// `ks_distance(x_i, x_j)`, `m × m` row-major, symmetric, zero diagonal.
    pub matrix: Vec<f64>,
}

fn finite_stats(x: &[f64]) -> (f64, f64) {
    let v: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    (mean, v.iter().copied().fold(f64::NEG_INFINITY, f64::max))
}

/// Largest number of realisations [`Spread::permutation_p`] enumerates (C(24, 12) ≈ 2.7 M
/// labellings).
pub const MAX_PERMUTATION_REALISATIONS: usize = 24;

impl Spread {
    /// The distances of one observable: `reference[i]` and `tested[k]` are the samples of
    /// the same population and observable in each realisation.
    ///
    /// Panics with fewer than two reference realisations (no spread to compare with).
    pub fn new(reference: &[&[f64]], tested: &[&[f64]]) -> Self {
        assert!(
            reference.len() >= 2,
            "Spread::new: {} reference realisation(s); the spread needs at least 2 seeds",
            reference.len()
        );
        let all: Vec<&[f64]> = reference.iter().chain(tested).copied().collect();
        let m = all.len();
        let mut matrix = vec![0.0; m * m];
        for (i, a) in all.iter().enumerate() {
            for (j, b) in all.iter().enumerate().skip(i + 1) {
                let d = ks_distance(a, b);
                matrix[i * m + j] = d;
                matrix[j * m + i] = d;
            }
        }
        Spread {
            n_ref: reference.len(),
            m,
            matrix,
        }
    }

    /// Distances among the reference realisations, all pairs `i < j` (the reference's own
    /// spread).
    pub fn within(&self) -> Vec<f64> {
        let mut v = vec![];
        for i in 0..self.n_ref {
            for j in i + 1..self.n_ref {
                v.push(self.matrix[i * self.m + j]);
            }
        }
        v
    }

    /// Distances of each tested realisation to each reference realisation.
    pub fn cross(&self) -> Vec<f64> {
        let mut v = vec![];
        for k in self.n_ref..self.m {
            for i in 0..self.n_ref {
                v.push(self.matrix[k * self.m + i]);
            }
        }
        v
    }

    /// Mean and maximum of the finite within-reference distances.
    pub fn within_mean_max(&self) -> (f64, f64) {
        finite_stats(&self.within())
    }

    /// Mean and maximum of the finite tested-to-reference distances.
    pub fn cross_mean_max(&self) -> (f64, f64) {
        finite_stats(&self.cross())
    }

    /// Mean between-group minus mean within-group distance (NaNs skipped) for the labelling
    /// `is_ref` (true: the realisation is in the first group).
    fn excess(&self, is_ref: &[bool]) -> f64 {
        let (mut cross, mut nc, mut within, mut nw) = (0.0, 0usize, 0.0, 0usize);
        for i in 0..self.m {
            for j in i + 1..self.m {
                let d = self.matrix[i * self.m + j];
                if d.is_nan() {
                    continue;
                }
                if is_ref[i] == is_ref[j] {
                    within += d;
                    nw += 1;
                } else {
                    cross += d;
                    nc += 1;
                }
            }
        }
        cross / nc.max(1) as f64 - within / nw.max(1) as f64
    }

    /// The excess of the between-simulator distances over the within-simulator ones: mean
    /// tested–reference distance minus the mean distance within the reference and within
    /// the tested realisations. Near 0 (or below) for equivalent simulators.
    pub fn excess_distance(&self) -> f64 {
        let is_ref: Vec<bool> = (0..self.m).map(|i| i < self.n_ref).collect();
        self.excess(&is_ref)
    }

    /// Exact permutation p-value of [`Spread::excess_distance`]: the fraction of all
    /// `C(m, n_ref)` ways to label `n_ref` of the realisations "reference" whose excess is
    /// at least the observed one. Under the hypothesis that both simulators sample the
    /// same law of realisations the labels are exchangeable, so p is uniform; a systematic
    /// difference makes the true labelling's excess extreme and p small (its smallest value
    /// is 1 / C(m, n_ref), or 2 / C(m, n_ref) when the groups have equal size).
    ///
    /// Panics if there are more than [`MAX_PERMUTATION_REALISATIONS`] realisations or no
    /// tested one.
    pub fn permutation_p(&self) -> f64 {
        assert!(
            self.m <= MAX_PERMUTATION_REALISATIONS,
            "Spread::permutation_p: {} realisations; enumerating labellings is limited to {MAX_PERMUTATION_REALISATIONS}",
            self.m
        );
        assert!(
            self.m > self.n_ref,
            "Spread::permutation_p: no tested realisation to compare with the reference"
        );
        let observed = self.excess_distance();
        // Rounding of means over different pair sets must not break ties with the observed
        // labelling (e.g. its complement when the groups have equal size).
        let tol = 1e-12 * observed.abs().max(1.0);
        let (mut hits, mut total) = (0u64, 0u64);
        let mut is_ref = vec![false; self.m];
        for mask in 0u32..(1u32 << self.m) {
            if mask.count_ones() as usize != self.n_ref {
                continue;
            }
            for (i, r) in is_ref.iter_mut().enumerate() {
                *r = (mask >> i) & 1 == 1;
            }
            total += 1;
            if self.excess(&is_ref) >= observed - tol {
                hits += 1;
            }
        }
        hits as f64 / total as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_matches_scipy() {
        // scipy.stats.ks_2samp(a, b).statistic, scipy 1.17.1.
        let cases: [(&[f64], &[f64], f64); 4] = [
            (&[1., 2., 3., 4., 5.], &[3., 4., 5., 6., 7., 8.], 0.5),
            (
                &[0., 0., 1., 1., 1., 2.],
                &[0., 1., 1., 2., 2., 2., 3.],
                0.40476190476190477,
            ),
            (
                &[0.5, 2.5, 0.1, 3.3, 1.7, 2.2, 0.9],
                &[1.1, 0.4, 2.8, 3.9, 1.6],
                0.2571428571428571,
            ),
            (&[1., 2.], &[1., 2.], 0.0),
        ];
        for (a, b, want) in cases {
            assert!((ks_distance(a, b) - want).abs() < 1e-15, "{a:?} {b:?}");
            assert!((ks_distance(b, a) - want).abs() < 1e-15, "symmetric");
        }
    }

    #[test]
    fn ks_hand_cases() {
        // Disjoint samples: distance 1; NaNs dropped; empty sample: NaN.
        assert_eq!(ks_distance(&[1., 2.], &[3., 4., 5.]), 1.0);
        assert_eq!(ks_distance(&[1., f64::NAN, 2.], &[1., 2.]), 0.0);
        assert!(ks_distance(&[], &[1.]).is_nan());
        // a = {0, 1}, b = {1}: F_a(0) = 1/2, F_b(0) = 0.
        assert_eq!(ks_distance(&[0., 1.], &[1.]), 0.5);
    }

    #[test]
    fn correlations_match_numpy_corrcoef() {
        // numpy.corrcoef of the np.histogram counts over edges arange(0, 12, 2) (the
        // reference's generate_spike_counts for interval (0, 10), binsize 2).
        let trains = vec![
            vec![0.5, 1.0, 4.2, 7.9, 8.0],
            vec![1.5, 4.0, 5.9, 9.9],
            vec![0.1, 2.1, 2.2, 6.0, 6.1, 6.2],
            vec![],
        ];
        let cc = spike_count_correlations(&trains, (0.0, 10.0), 2.0);
        let want = [
            0.42257712736425823,
            -0.2711630722733202,
            f64::NAN,
            -0.8708635721768005,
        ];
        for (k, w) in want.iter().enumerate() {
            if w.is_nan() {
                assert!(cc[k].is_nan());
            } else {
                assert!((cc[k] - w).abs() < 1e-14, "{k}: {} vs {w}", cc[k]);
            }
        }
        assert_eq!(cc.len(), 6);
        assert!(cc[4].is_nan() && cc[5].is_nan());
        // A train with itself correlates perfectly; with its complement anti-correlates.
        let a = vec![1.0, 5.0];
        let b = vec![3.0, 7.0];
        let cc = spike_count_correlations(&[a.clone(), a, b], (0.0, 8.0), 2.0);
        assert!((cc[0] - 1.0).abs() < 1e-15 && (cc[1] + 1.0).abs() < 1e-15);
    }

    #[test]
    fn subsample_is_uniform_without_replacement() {
        let s = subsample(100, 50, 7);
        assert_eq!(s.len(), 50);
        assert!(s.windows(2).all(|w| w[0] < w[1]) && s[49] < 100);
        assert_eq!(subsample(5, 5, 1), vec![0, 1, 2, 3, 4]);
        assert_eq!(subsample(100, 50, 7), s, "deterministic in the seed");
        // Each index is picked with probability k/n: 20,000 draws of 3 of 10.
        let mut hits = [0usize; 10];
        for seed in 0..20_000 {
            for i in subsample(10, 3, seed) {
                hits[i] += 1;
            }
        }
        // Expected 6000 each, sd = sqrt(20000 · 0.3 · 0.7) ≈ 65.
        assert!(
            hits.iter().all(|&h| (h as f64 - 6000.0).abs() < 300.0),
            "{hits:?}"
        );
    }

    #[test]
    fn population_samples_follow_the_recipe() {
        let trains = vec![vec![1.0, 3.0, 5.0, 9.0], vec![2.0], vec![0.5, 4.5, 6.5]];
        let p = population_samples(&trains, (0.0, 10.0), &[0, 2], 2.0);
        assert_eq!(p.rates_hz, vec![400.0, 100.0, 300.0]);
        // ISIs 2, 2, 4: mean 8/3, population sd sqrt(8/9); ISIs 4, 2: CV 1/3.
        assert_eq!(p.cvs.len(), 2);
        assert!((p.cvs[0] - (8.0f64 / 9.0).sqrt() / (8.0 / 3.0)).abs() < 1e-15);
        assert!((p.cvs[1] - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(p.ccs.len(), 1);
    }

    /// Deterministic "realisations" of the uniform law on [0, 1): grids of 200 points with
    /// different phases (KS distances ≤ 1/200 among them), shifted by `shift`.
    fn grid(phase: f64, shift: f64) -> Vec<f64> {
        (0..200)
            .map(|k| (k as f64 + phase) / 200.0 + shift)
            .collect()
    }

    #[test]
    fn spread_matrix_and_hand_distances() {
        let refs = [grid(0.0, 0.0), grid(0.5, 0.0)];
        let test = [grid(0.0, 0.10125)];
        let r: Vec<&[f64]> = refs.iter().map(|v| v.as_slice()).collect();
        let t: Vec<&[f64]> = test.iter().map(|v| v.as_slice()).collect();
        let s = Spread::new(&r, &t);
        assert_eq!((s.n_ref, s.m), (2, 3));
        // Half a grid step apart: the ECDFs differ by one point, 1/200.
        let w = s.within();
        assert!(w.len() == 1 && (w[0] - 0.005).abs() < 1e-12, "{w:?}");
        // Shift 0.10125 = 20.25 grid steps (no ties in floating point): 21 points of the
        // phase-0 grid and 20 of the phase-0.5 grid lie below the shifted grid's first.
        let c = s.cross();
        assert_eq!(c.len(), 2);
        assert!((c[0] - 0.105).abs() < 1e-12, "{c:?}");
        assert!((c[1] - 0.1).abs() < 1e-12, "{c:?}");
        assert_eq!(s.matrix[3], s.matrix[1], "symmetric");
        // Excess = mean cross (0.1025) − mean within (the one reference pair, 0.005).
        assert!((s.excess_distance() - (0.1025 - 0.005)).abs() < 1e-12);
    }

    #[test]
    fn permutation_test_separates_equivalent_from_shifted() {
        let phases = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95];
        let refs: Vec<Vec<f64>> = phases[..5].iter().map(|&p| grid(p, 0.0)).collect();
        let r: Vec<&[f64]> = refs.iter().map(|v| v.as_slice()).collect();
        // Equivalent tester: the other phases. Every labelling gives distances ≤ 1/200.
        let same: Vec<Vec<f64>> = phases[5..].iter().map(|&p| grid(p, 0.0)).collect();
        let t: Vec<&[f64]> = same.iter().map(|v| v.as_slice()).collect();
        let s = Spread::new(&r, &t);
        assert_eq!(s.within().len(), 10);
        assert_eq!(s.cross().len(), 25);
        assert!(s.permutation_p() > 0.05, "{}", s.permutation_p());
        // Shifted tester: only the true labelling and its complement (same excess, equal
        // groups) reach the observed excess: p = 2 / C(10, 5) = 2/252.
        let shifted: Vec<Vec<f64>> = phases[5..].iter().map(|&p| grid(p, 0.2)).collect();
        let t: Vec<&[f64]> = shifted.iter().map(|v| v.as_slice()).collect();
        let s = Spread::new(&r, &t);
        assert!(
            (s.cross_mean_max().0 - 0.2).abs() < 0.006,
            "{:?}",
            s.cross_mean_max()
        );
        assert!((s.permutation_p() - 2.0 / 252.0).abs() < 1e-15);
    }

    #[test]
    #[should_panic(expected = "at least 2 seeds")]
    fn spread_needs_two_reference_realisations() {
        Spread::new(&[&[1.0]], &[&[1.0]]);
    }
}
