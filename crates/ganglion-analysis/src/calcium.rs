//! Calcium-imaging preprocessing as Simeon et al. (2024, "Homogenized C. elegans neural
//! activity and connectivity data", arXiv:2411.12091; code: github.com/qsimeon/worm-graph,
//! `preprocess/_utils.py`) homogenise whole-brain recordings from different labs: each trace
//! standardised per neuron, smoothed with a Gaussian kernel, resampled onto a common time
//! interval, and its named neurons put into fixed slots (the worm's 300 neurons) with a mask
//! of the slots that were recorded.
//!
//! Recordings are time × neurons, row-major (`data[t * n + j]`), with sample times in seconds.

use std::fmt;

/// A recording that cannot be preprocessed: what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct CalciumError(pub String);

impl fmt::Display for CalciumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CalciumError {}

fn fail<T>(msg: String) -> Result<T, CalciumError> {
    Err(CalciumError(msg))
}

/// The number of samples of a `data` with `n` columns, or an error naming `what`.
fn rows(data: &[f64], n: usize, what: &str) -> Result<usize, CalciumError> {
    if n == 0 || !data.len().is_multiple_of(n) {
        return fail(format!(
            "{what}: {} values do not make rows of {n} neurons; pass time × neurons, row-major",
            data.len()
        ));
    }
    Ok(data.len() / n)
}

/// Each column shifted to mean 0 and scaled to standard deviation 1 (population standard
/// deviation, as scikit-learn's `StandardScaler`, which worm-graph applies to every
/// recording); a constant column becomes 0.
pub fn standardize(data: &[f64], n: usize) -> Result<Vec<f64>, CalciumError> {
    let t = rows(data, n, "standardize")?;
    let mut out = data.to_vec();
    for j in 0..n {
        let mean = (0..t).map(|s| data[s * n + j]).sum::<f64>() / t as f64;
        let var = (0..t)
            .map(|s| (data[s * n + j] - mean).powi(2))
            .sum::<f64>()
            / t as f64;
        let scale = if var > 0.0 { var.sqrt() } else { 1.0 };
        (0..t).for_each(|s| out[s * n + j] = (data[s * n + j] - mean) / scale);
    }
    Ok(out)
}

/// Each column convolved with a normalised Gaussian of standard deviation `sigma` samples,
/// truncated at 4σ and reflected at the ends: `scipy.ndimage.gaussian_filter1d(x, sigma,
/// axis=0)` with its defaults (mode `reflect`, `truncate = 4`), which worm-graph uses (σ = 3).
pub fn gaussian_smooth(data: &[f64], n: usize, sigma: f64) -> Result<Vec<f64>, CalciumError> {
    let t = rows(data, n, "gaussian_smooth")?;
    if !(sigma.is_finite() && sigma > 0.0) {
        return fail(format!(
            "gaussian_smooth: sigma {sigma} must be a positive number of samples"
        ));
    }
    let radius = (4.0 * sigma + 0.5) as i64;
    let w: Vec<f64> = (-radius..=radius)
        .map(|k| (-0.5 * (k as f64 / sigma).powi(2)).exp())
        .collect();
    let norm: f64 = w.iter().sum();
    // Half-sample symmetric reflection (d c b a | a b c d | d c b a), repeated for kernels
    // longer than the signal.
    let reflect = |i: i64| -> usize {
        let (len, mut i) = (t as i64, i);
        loop {
            if i < 0 {
                i = -i - 1;
            } else if i >= len {
                i = 2 * len - i - 1;
            } else {
                return i as usize;
            }
        }
    };
    let mut out = vec![0.0; data.len()];
    for s in 0..t {
        let row = &mut out[s * n..(s + 1) * n];
        for (k, wk) in w.iter().enumerate() {
            let src = reflect(s as i64 + k as i64 - radius) * n;
            for j in 0..n {
                row[j] += wk / norm * data[src + j];
            }
        }
    }
    Ok(out)
}

/// `y(t)` linearly interpolated at `at`, held constant beyond the ends (`numpy.interp`);
/// `t` must be increasing.
pub fn interp_linear(t: &[f64], y: &[f64], at: &[f64]) -> Vec<f64> {
    let mut k = 0;
    at.iter()
        .map(|&x| {
            if x <= t[0] {
                return y[0];
            }
            if x >= t[t.len() - 1] {
                return y[y.len() - 1];
            }
            // `at` is usually increasing: walk on from the last interval, restart if not.
            if t[k] > x {
                k = 0;
            }
            while t[k + 1] < x {
                k += 1;
            }
            let f = (x - t[k]) / (t[k + 1] - t[k]);
            y[k] + f * (y[k + 1] - y[k])
        })
        .collect()
}

/// A recording on a regular time grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Resampled {
    /// Sample times (s).
    pub times: Vec<f64>,
    /// Time × neurons, row-major.
    pub data: Vec<f64>,
}

/// The fine grid (s) onto which a recording sampled faster than the target is interpolated
/// before it is averaged down (worm-graph's `resample_data`).
pub const FINE_DT: f64 = 0.1;

/// A recording (sample `times` in s, strictly increasing, possibly irregular) put onto a
/// regular grid of interval `dt` s starting at its first sample, as worm-graph's
/// `resample_data` does: a recording sampled at `dt` or more slowly (first interval ≥ `dt`)
/// is linearly interpolated at `t0, t0 + dt, …` (below the last sample); a faster one is
/// interpolated onto a [`FINE_DT`] grid and then averaged over non-overlapping windows of
/// `round(dt / FINE_DT)` fine samples (each output sample is stamped with its window's first
/// time). worm-graph truncates `dt / FINE_DT` to an integer, which gives 6 instead of 7 for
/// its `dt = 0.7` in floating point; we round.
pub fn resample(times: &[f64], data: &[f64], n: usize, dt: f64) -> Result<Resampled, CalciumError> {
    let t = rows(data, n, "resample")?;
    if times.len() != t {
        return fail(format!(
            "resample: {} sample times for {t} samples; give one time per row",
            times.len()
        ));
    }
    if t < 2 {
        return fail(format!(
            "resample: {t} sample(s); a recording needs at least 2"
        ));
    }
    if let Some(k) = times.windows(2).position(|w| !(w[1] > w[0])) {
        return fail(format!(
            "resample: sample times must increase, but t[{}] = {} follows t[{k}] = {}",
            k + 1,
            times[k + 1],
            times[k]
        ));
    }
    if !(dt.is_finite() && dt > 0.0) {
        return fail(format!("resample: interval {dt} s must be positive"));
    }
    let grid = |step: f64| -> Vec<f64> {
        let (t0, t1) = (times[0], times[t - 1]);
        let count = ((t1 - t0) / step).ceil() as usize;
        (0..count)
            .map(|k| t0 + k as f64 * step)
            .filter(|&x| x < t1)
            .collect()
    };
    let on = |at: &[f64]| -> Vec<f64> {
        let mut out = vec![0.0; at.len() * n];
        let mut col = vec![0.0; t];
        for j in 0..n {
            (0..t).for_each(|s| col[s] = data[s * n + j]);
            for (s, v) in interp_linear(times, &col, at).into_iter().enumerate() {
                out[s * n + j] = v;
            }
        }
        out
    };
    if times[1] - times[0] >= dt {
        let at = grid(dt);
        let data = on(&at);
        return Ok(Resampled { times: at, data });
    }
    let fine_t = grid(FINE_DT);
    let fine = on(&fine_t);
    let w = ((dt / FINE_DT).round() as usize).max(1);
    let windows = fine_t.len() / w;
    let mut out = vec![0.0; windows * n];
    for (b, row) in out.chunks_mut(n).enumerate() {
        for s in b * w..(b + 1) * w {
            row.iter_mut()
                .zip(&fine[s * n..(s + 1) * n])
                .for_each(|(o, x)| *o += x / w as f64);
        }
    }
    Ok(Resampled {
        times: (0..windows).map(|b| fine_t[b * w]).collect(),
        data: out,
    })
}

/// A recording on fixed neuron slots.
#[derive(Debug, Clone, PartialEq)]
pub struct Slotted {
    /// Time × slots, row-major; 0 in slots that were not recorded.
    pub data: Vec<f64>,
    /// Whether each slot was recorded.
    pub mask: Vec<bool>,
    /// Recorded neurons whose names are not slots (unidentified or not neurons), in order.
    pub unmatched: Vec<String>,
}

/// The columns of a recording (`names[j]` names column `j`) moved into the slots `slots`
/// (slot `i` named `slots[i]`), as worm-graph's `CalciumDataReshaper` does for the named
/// neurons; columns whose names are not slots are left out and listed.
pub fn to_slots(names: &[&str], data: &[f64], slots: &[&str]) -> Result<Slotted, CalciumError> {
    let n = names.len();
    let t = rows(data, n, "to_slots")?;
    let mut mask = vec![false; slots.len()];
    let mut out = vec![0.0; t * slots.len()];
    let mut unmatched = vec![];
    for (j, name) in names.iter().enumerate() {
        let Some(i) = slots.iter().position(|s| s == name) else {
            unmatched.push(name.to_string());
            continue;
        };
        if mask[i] {
            return fail(format!(
                "to_slots: neuron \"{name}\" names two columns; give each recorded neuron once"
            ));
        }
        mask[i] = true;
        (0..t).for_each(|s| out[s * slots.len() + i] = data[s * n + j]);
    }
    Ok(Slotted {
        data: out,
        mask,
        unmatched,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardize_matches_standard_scaler() {
        let z = standardize(&[1.0, 5.0, 2.0, 5.0, 3.0, 5.0], 2).unwrap();
        let s = (2.0f64 / 3.0).sqrt();
        let want = [-1.0 / s, 0.0, 0.0, 0.0, 1.0 / s, 0.0];
        assert!(
            z.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
            "{z:?}"
        );
        assert!(standardize(&[1.0, 2.0, 3.0], 2).is_err());
    }

    #[test]
    fn gaussian_smooth_matches_scipy() {
        // scipy.ndimage.gaussian_filter1d([0, 0, 1, 0, 0, 0, 2], 1.0) (scipy 1.17.1).
        let x = [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0];
        let want = [
            0.058_422_989_041,
            0.242_105_276_281,
            0.399_211_130_605,
            0.251_102_830_146,
            0.170_837_105_502,
            0.596_357_007_775,
            1.281_963_660_65,
        ];
        let y = gaussian_smooth(&x, 1, 1.0).unwrap();
        assert!(
            y.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-11),
            "{y:?}"
        );
        // A constant is unchanged; the sum of an interior impulse is kept.
        let c = gaussian_smooth(&[3.0; 20], 2, 3.0).unwrap();
        assert!(c.iter().all(|v| (v - 3.0).abs() < 1e-12));
        assert!(gaussian_smooth(&x, 1, 0.0).is_err());
    }

    #[test]
    fn interp_matches_numpy() {
        let t = [0.0, 1.0, 3.0];
        let y = [0.0, 2.0, 0.0];
        let v = interp_linear(&t, &y, &[-1.0, 0.5, 2.0, 2.5, 0.25, 5.0]);
        assert_eq!(v, [0.0, 1.0, 1.0, 0.5, 0.5, 0.0]);
    }

    #[test]
    fn slow_recordings_are_interpolated_fast_ones_averaged() {
        // A line sampled every 1 s, resampled at 0.5 s: interpolation is exact.
        let times: Vec<f64> = (0..5).map(f64::from).collect();
        let data: Vec<f64> = times.iter().flat_map(|&t| [2.0 * t, 1.0]).collect();
        let r = resample(&times, &data, 2, 0.5).unwrap();
        assert_eq!(r.times, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]);
        assert!(
            r.times
                .iter()
                .enumerate()
                .all(|(s, &t)| r.data[2 * s] == 2.0 * t)
        );
        // Sampled every 0.05 s, resampled at 0.7 s: means over windows of 7 fine samples.
        let times: Vec<f64> = (0..200).map(|k| 0.05 * k as f64).collect();
        let data: Vec<f64> = times.clone();
        let r = resample(&times, &data, 1, 0.7).unwrap();
        assert_eq!(r.data.len(), 99 / 7);
        for (s, v) in r.data.iter().enumerate() {
            // The mean of 0.1·(7s .. 7s+6) is 0.1·(7s + 3).
            assert!((v - 0.1 * (7.0 * s as f64 + 3.0)).abs() < 1e-9, "{s}: {v}");
            assert!((r.times[s] - 0.7 * s as f64).abs() < 1e-9);
        }
        // A sine well below the new Nyquist frequency survives interpolation: the error is
        // at most (2π f dt)² / 8 of its amplitude.
        let f = 0.1;
        let irregular: Vec<f64> = (0..400)
            .map(|k| 0.35 * k as f64 + 0.1 * ((k * 7919) % 13) as f64 / 13.0)
            .collect();
        let x: Vec<f64> = irregular
            .iter()
            .map(|t| (std::f64::consts::TAU * f * t).sin())
            .collect();
        let r = resample(&irregular, &x, 1, 0.3).unwrap();
        let bound = (std::f64::consts::TAU * f * 0.45).powi(2) / 8.0;
        for (t, v) in r.times.iter().zip(&r.data) {
            assert!((v - (std::f64::consts::TAU * f * t).sin()).abs() <= bound + 1e-12);
        }
    }

    #[test]
    fn bad_recordings_say_what_is_wrong() {
        let e = resample(&[0.0, 1.0, 1.0], &[1.0, 2.0, 3.0], 1, 0.5).unwrap_err();
        assert!(e.0.contains("t[2] = 1 follows t[1] = 1"), "{e}");
        let e = resample(&[0.0, 1.0], &[1.0, 2.0, 3.0], 1, 0.5).unwrap_err();
        assert!(e.0.contains("2 sample times for 3 samples"), "{e}");
        assert!(resample(&[0.0, 1.0], &[1.0, 2.0], 1, 0.0).is_err());
        let e = to_slots(&["AVAL", "AVAL"], &[1.0, 2.0], &["AVAL", "AVAR"]).unwrap_err();
        assert!(e.0.contains("\"AVAL\" names two columns"), "{e}");
    }

    #[test]
    fn named_columns_go_to_their_slots() {
        let s = to_slots(
            &["AVAR", "17", "AVAL"],
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &["AVAL", "AVAR", "AVBL"],
        )
        .unwrap();
        assert_eq!(s.data, [3.0, 1.0, 0.0, 6.0, 4.0, 0.0]);
        assert_eq!(s.mask, [true, true, false]);
        assert_eq!(s.unmatched, ["17"]);
    }
}
