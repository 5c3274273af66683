//! Spike trains: per-neuron trains from (time, sender) records, rates, ISI variability, count
//! variability, and the synchrony of the population activity. Times in ms, rates in Hz.

/// The spike times of each of `n` neurons inside `[t0, t1)` ms, sorted, from parallel
/// `times` \[ms\] and `senders` (0-based; senders ≥ n are ignored).
pub fn trains(times: &[f64], senders: &[u32], n: usize, (t0, t1): (f64, f64)) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::new(); n];
    for (&t, &i) in times.iter().zip(senders) {
        if (t0..t1).contains(&t) && (i as usize) < n {
            out[i as usize].push(t);
        }
    }
    out.iter_mut().for_each(|t| t.sort_by(f64::total_cmp));
    out
}

/// Each train's rate \[Hz\] over a window of `window_ms`.
pub fn rates_hz(trains: &[Vec<f64>], window_ms: f64) -> Vec<f64> {
    trains
        .iter()
        .map(|t| t.len() as f64 * 1000.0 / window_ms)
        .collect()
}

/// Coefficient of variation of the inter-spike intervals of one sorted train (standard
/// deviation over mean; population variance), or `None` with fewer than 3 spikes.
pub fn isi_cv(train: &[f64]) -> Option<f64> {
    if train.len() < 3 {
        return None;
    }
    let isi: Vec<f64> = train.windows(2).map(|w| w[1] - w[0]).collect();
    let m = isi.iter().sum::<f64>() / isi.len() as f64;
    let v = isi.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / isi.len() as f64;
    (m > 0.0).then(|| v.sqrt() / m)
}

/// The mean ISI CV over the trains that have one, and how many do.
pub fn mean_isi_cv(trains: &[Vec<f64>]) -> (Option<f64>, usize) {
    let cvs: Vec<f64> = trains.iter().filter_map(|t| isi_cv(t)).collect();
    let mean = (!cvs.is_empty()).then(|| cvs.iter().sum::<f64>() / cvs.len() as f64);
    (mean, cvs.len())
}

/// Spike counts of `times` in bins of `bin_ms` over `[t0, t1)` (the last bin may be shorter).
pub fn counts(times: &[f64], (t0, t1): (f64, f64), bin_ms: f64) -> Vec<f64> {
    let n = ((t1 - t0) / bin_ms).ceil().max(0.0) as usize;
    let mut c = vec![0.0; n];
    for &t in times.iter().filter(|&&t| (t0..t1).contains(&t)) {
        c[(((t - t0) / bin_ms) as usize).min(n - 1)] += 1.0;
    }
    c
}

/// Fano factor (variance over mean of the spike count in bins of `bin_ms`), averaged over
/// the trains with at least one spike in `[t0, t1)`; `None` when none has. 1 for a Poisson
/// process, 0 for a perfectly regular one counted in bins of its period.
pub fn fano_factor(trains: &[Vec<f64>], window: (f64, f64), bin_ms: f64) -> Option<f64> {
    let f: Vec<f64> = trains
        .iter()
        .filter_map(|t| {
            let c = counts(t, window, bin_ms);
            let m = c.iter().sum::<f64>() / c.len().max(1) as f64;
            let v = c.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / c.len().max(1) as f64;
            (m > 0.0).then(|| v / m)
        })
        .collect();
    (!f.is_empty()).then(|| f.iter().sum::<f64>() / f.len() as f64)
}

/// Synchrony of the population activity: the standard deviation of the population spike
/// count per bin in excess of the Poisson expectation for independent neurons, relative to
/// its mean, `sqrt(max(Var c − E c, 0)) / E c`.
///
/// It is the relative modulation depth of the population rate with the finite-size shot
/// noise removed, so it does not grow with the number of neurons recorded: 0 for
/// independent Poisson neurons, ≈ 0.71 for a sinusoidally modulated rate `ν(1 + sin ωt)`,
/// > 1 for volleys. NaN for no bins, 0 for no spikes.
pub fn synchrony(counts: &[f64]) -> f64 {
    if counts.is_empty() {
        return f64::NAN;
    }
    let n = counts.len() as f64;
    let m = counts.iter().sum::<f64>() / n;
    if m <= 0.0 {
        return 0.0;
    }
    let v = counts.iter().map(|c| (c - m) * (c - m)).sum::<f64>() / n;
    (v - m).max(0.0).sqrt() / m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng;

    /// A Poisson train at `rate_hz` over `t_ms`.
    fn poisson(rng: &mut Rng, rate_hz: f64, t_ms: f64) -> Vec<f64> {
        let mut t = 0.0;
        let mut out = vec![];
        loop {
            t += -(1.0 - rng.uniform()).ln() * 1000.0 / rate_hz;
            if t >= t_ms {
                return out;
            }
            out.push(t);
        }
    }

    #[test]
    fn poisson_trains_have_cv_and_fano_one() {
        let mut rng = Rng(7);
        let trains: Vec<Vec<f64>> = (0..20).map(|_| poisson(&mut rng, 20.0, 50_000.0)).collect();
        let (cv, k) = mean_isi_cv(&trains);
        assert_eq!(k, 20);
        assert!((cv.unwrap() - 1.0).abs() < 0.03, "{cv:?}");
        let f = fano_factor(&trains, (0.0, 50_000.0), 100.0).unwrap();
        assert!((f - 1.0).abs() < 0.06, "{f}");
        // 1000 spikes per train: each rate within 5 SD (0.63 Hz), their mean within 3 SD.
        let r = rates_hz(&trains, 50_000.0);
        assert!(r.iter().all(|r| (r - 20.0).abs() < 3.2), "{r:?}");
        let mean = r.iter().sum::<f64>() / r.len() as f64;
        assert!((mean - 20.0).abs() < 0.45, "{mean}");
        // Independent neurons: no synchrony beyond the estimate's own noise (mean count 2 per
        // bin over 10⁴ bins: the variance is known to ±0.03, so sqrt(0.03)/2 ≈ 0.09).
        let all: Vec<f64> = trains.concat();
        let s = synchrony(&counts(&all, (0.0, 50_000.0), 5.0));
        assert!(s < 0.15, "{s}");
    }

    #[test]
    fn regular_trains_have_cv_and_fano_zero() {
        let t: Vec<f64> = (0..100).map(|k| 10.0 * k as f64 + 0.5).collect();
        assert_eq!(isi_cv(&t), Some(0.0));
        assert_eq!(fano_factor(&[t], (0.0, 1000.0), 10.0), Some(0.0));
        assert_eq!(isi_cv(&[1.0, 2.0]), None);
        assert_eq!(mean_isi_cv(&[vec![], vec![1.0]]), (None, 0));
    }

    #[test]
    fn a_sinusoidal_rate_has_synchrony_near_one_over_root_two() {
        // Expected counts m(1 + sin), m large: the shot-noise correction is negligible.
        let c: Vec<f64> = (0..10_000)
            .map(|k| 1e6 * (1.0 + (k as f64 * 0.01).sin()))
            .collect();
        let s = synchrony(&c);
        assert!((s - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-3, "{s}");
        assert!(synchrony(&[]).is_nan());
        assert_eq!(synchrony(&[0.0, 0.0]), 0.0);
    }

    #[test]
    fn trains_respect_the_window_and_the_senders() {
        let t = trains(
            &[5.0, 1.0, 3.0, 12.0, 2.0],
            &[0, 0, 1, 0, 9],
            2,
            (0.0, 10.0),
        );
        assert_eq!(t, vec![vec![1.0, 5.0], vec![3.0]]);
        assert_eq!(
            counts(&[0.0, 0.5, 2.9, 3.0], (0.0, 3.0), 1.0),
            vec![2.0, 0.0, 1.0]
        );
    }
}
