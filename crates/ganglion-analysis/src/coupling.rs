//! Phase locking and phase–amplitude coupling. Phases in radians.

/// Phase-locking value of a set of phase differences (or phases): |mean e^{iφ}|, from 0 (no
/// preferred phase) to 1 (all equal). NaN for none.
pub fn plv(phases: &[f64]) -> f64 {
    if phases.is_empty() {
        return f64::NAN;
    }
    let (s, c) = phases
        .iter()
        .fold((0.0, 0.0), |(s, c), p| (s + p.sin(), c + p.cos()));
    (s * s + c * c).sqrt() / phases.len() as f64
}

/// The phase of a signal (sampled every `dt_ms` from `t0_ms`) at each spike time inside it,
/// by the nearest sample: for spike–field locking, `plv(&spike_phases(...))`.
pub fn spike_phases(spikes_ms: &[f64], phase: &[f64], t0_ms: f64, dt_ms: f64) -> Vec<f64> {
    spikes_ms
        .iter()
        .filter_map(|&t| {
            let k = ((t - t0_ms) / dt_ms).round();
            (k >= 0.0 && (k as usize) < phase.len()).then(|| phase[k as usize])
        })
        .collect()
}

/// Tort et al.'s (2010) modulation index of phase–amplitude coupling: the amplitude's mean
/// in `n_bins` phase bins, normalised to a distribution P, and its Kullback–Leibler
/// divergence from the uniform one over log(n_bins): 0 when the amplitude does not depend on
/// the phase, 1 when it is all in one bin. For A(φ) = 1 + χ cos φ it is ≈ χ²/(4 ln N).
pub fn modulation_index(phase: &[f64], amplitude: &[f64], n_bins: usize) -> f64 {
    let means = amplitude_by_phase(phase, amplitude, n_bins);
    let n_bins = means.len();
    let total: f64 = means.iter().sum();
    if total <= 0.0 {
        return f64::NAN;
    }
    let log_n = (n_bins as f64).ln();
    let kl: f64 = means
        .iter()
        .map(|m| m / total)
        .filter(|&p| p > 0.0)
        .map(|p| p * (p * n_bins as f64).ln())
        .sum();
    kl / log_n
}

/// The mean amplitude in each of `n_bins` (at least 2) equal phase bins from −π to π (0 for
/// a bin no sample falls in): the distribution the modulation index measures.
pub fn amplitude_by_phase(phase: &[f64], amplitude: &[f64], n_bins: usize) -> Vec<f64> {
    let n_bins = n_bins.max(2);
    let mut sum = vec![0.0; n_bins];
    let mut count = vec![0usize; n_bins];
    for (&p, &a) in phase.iter().zip(amplitude) {
        let u = (p + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU);
        let b = ((u / std::f64::consts::TAU * n_bins as f64) as usize).min(n_bins - 1);
        sum[b] += a;
        count[b] += 1;
    }
    sum.iter()
        .zip(&count)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { 0.0 })
        .collect()
}

/// Canolty et al.'s (2006) mean vector length |mean A·e^{iφ}| / mean A: how strongly the
/// amplitude prefers one phase (0 none, 1 all at one phase); for A = 1 + χ cos φ it is χ/2.
pub fn mean_vector_length(phase: &[f64], amplitude: &[f64]) -> f64 {
    let (mut s, mut c, mut a_sum) = (0.0, 0.0, 0.0);
    for (&p, &a) in phase.iter().zip(amplitude) {
        s += a * p.sin();
        c += a * p.cos();
        a_sum += a;
    }
    if a_sum <= 0.0 {
        return f64::NAN;
    }
    (s * s + c * c).sqrt() / a_sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{analytic, bandpass};
    use crate::testing::Rng;
    use std::f64::consts::TAU;

    #[test]
    fn plv_is_one_when_locked_and_small_when_not() {
        assert!((plv(&[0.3; 50]) - 1.0).abs() < 1e-12);
        let mut rng = Rng(3);
        let random: Vec<f64> = (0..10_000).map(|_| TAU * rng.uniform()).collect();
        // Uniform phases: |mean| ~ 1/sqrt(N) = 0.01.
        assert!(plv(&random) < 0.03, "{}", plv(&random));
        assert!(plv(&[]).is_nan());
        // Spikes at the troughs of a 10 Hz cosine are locked to phase π.
        let phase: Vec<f64> = (0..1000)
            .map(|k| {
                (TAU * 10.0 * k as f64 / 1000.0 + std::f64::consts::PI).rem_euclid(TAU)
                    - std::f64::consts::PI
            })
            .collect();
        let spikes: Vec<f64> = (0..10).map(|k| 50.0 + 100.0 * k as f64).collect();
        let ph = spike_phases(&spikes, &phase, 0.0, 1.0);
        assert_eq!(ph.len(), 10);
        assert!((plv(&ph) - 1.0).abs() < 1e-9);
        assert!(
            ph.iter()
                .all(|p| (p.abs() - std::f64::consts::PI).abs() < 1e-6),
            "{ph:?}"
        );
    }

    /// θ (6 Hz) plus γ (40 Hz) whose amplitude is 1 + χ cos θ-phase, with noise.
    fn nested(chi: f64, rng: &mut Rng) -> Vec<f64> {
        (0..20_000)
            .map(|k| {
                let t = k as f64 / 1000.0;
                let th = TAU * 6.0 * t;
                th.sin()
                    + 0.3
                        * (1.0 + chi * (th - std::f64::consts::FRAC_PI_2).cos())
                        * (TAU * 40.0 * t).sin()
                    + 0.1 * (rng.uniform() - 0.5)
            })
            .collect()
    }

    #[test]
    fn theta_gamma_coupling_is_measured_and_absent_coupling_is_not() {
        let mut rng = Rng(11);
        let mi_of = |x: &[f64]| {
            let (_, phase) = analytic(&bandpass(x, 1.0, (4.0, 8.0), 1.0));
            let (amp, _) = analytic(&bandpass(x, 1.0, (30.0, 50.0), 2.0));
            let cut = 1000..x.len() - 1000; // the analytic signal is less exact near the ends
            (
                modulation_index(&phase[cut.clone()], &amp[cut.clone()], 18),
                mean_vector_length(&phase[cut.clone()], &amp[cut]),
            )
        };
        let (mi, mvl) = mi_of(&nested(0.8, &mut rng));
        let (mi0, mvl0) = mi_of(&nested(0.0, &mut rng));
        // A = 1 + χ cos φ: MI ≈ χ²/(4 ln 18) = 0.055, MVL = χ/2 = 0.4.
        assert!(
            (mi - 0.8f64.powi(2) / (4.0 * 18f64.ln())).abs() < 0.01,
            "MI {mi}"
        );
        assert!((mvl - 0.4).abs() < 0.03, "MVL {mvl}");
        assert!(
            mi0 < 0.002 && mvl0 < 0.03,
            "uncoupled: MI {mi0}, MVL {mvl0}"
        );
    }

    #[test]
    fn a_constant_amplitude_has_no_coupling() {
        let phase: Vec<f64> = (0..3600)
            .map(|k| (k as f64 / 100.0).rem_euclid(TAU) - std::f64::consts::PI)
            .collect();
        assert!(modulation_index(&phase, &vec![2.0; 3600], 18) < 1e-3);
        assert!(modulation_index(&phase, &vec![0.0; 3600], 18).is_nan());
    }
}
