//! Power spectra of sampled signals (a population activity, an LFP proxy).

/// Hann-windowed periodogram of the mean-removed series `x`, sampled every `dt_ms`, at
/// `f_step_hz` steps from `f_min_hz` to just below the Nyquist frequency: `(f [Hz], power)`,
/// power in arbitrary units (squared magnitude of the windowed Fourier sum).
pub fn periodogram(x: &[f64], dt_ms: f64, f_min_hz: f64, f_step_hz: f64) -> Vec<(f64, f64)> {
    let n = x.len();
    if n < 4 || f_step_hz <= 0.0 {
        return Vec::new();
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let w: Vec<f64> = (0..n)
        .map(|k| {
            let h = 0.5 - 0.5 * (std::f64::consts::TAU * k as f64 / (n - 1) as f64).cos();
            h * (x[k] - mean)
        })
        .collect();
    let dt_s = dt_ms / 1000.0;
    let nyquist = 0.5 / dt_s;
    let mut out = Vec::new();
    let mut f = f_min_hz;
    while f < nyquist - 0.5 * f_step_hz {
        // One complex rotation per sample (a Goertzel-style recurrence), any frequency grid.
        let (s, c) = (std::f64::consts::TAU * f * dt_s).sin_cos();
        let (mut re, mut im) = (0.0, 0.0);
        let (mut cr, mut ci) = (1.0f64, 0.0f64);
        for &v in &w {
            re += v * cr;
            im -= v * ci;
            let nr = cr * c - ci * s;
            ci = cr * s + ci * c;
            cr = nr;
        }
        out.push((f, re * re + im * im));
        f += f_step_hz;
    }
    out
}

/// The frequency and power of the largest value of a spectrum, or `None` when it is empty or
/// flat at zero (a silent signal has no peak).
pub fn peak(spectrum: &[(f64, f64)]) -> Option<(f64, f64)> {
    spectrum
        .iter()
        .copied()
        .filter(|p| p.1 > 0.0)
        .fold(None, |best: Option<(f64, f64)>, p| match best {
            Some(b) if b.1 >= p.1 => Some(b),
            _ => Some(p),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sinusoid_peaks_at_its_frequency() {
        let x: Vec<f64> = (0..2000)
            .map(|k| 3.0 + (std::f64::consts::TAU * 37.0 * k as f64 * 0.5e-3).sin())
            .collect();
        let p = periodogram(&x, 0.5, 5.0, 1.0);
        assert_eq!(peak(&p).unwrap().0, 37.0);
        assert_eq!(
            p.last().unwrap().0,
            999.0,
            "up to just below Nyquist (1 kHz)"
        );
        assert_eq!(peak(&periodogram(&[1.0; 100], 1.0, 1.0, 1.0)), None);
        assert!(periodogram(&[1.0, 2.0], 1.0, 1.0, 1.0).is_empty());
    }
}
