//! Filtering and the analytic signal, by FFT (`rustfft`): zero-phase band-pass filtering and
//! the Hilbert transform, for the phases and amplitudes that coupling measures need.

use rustfft::FftPlanner;
use rustfft::num_complex::Complex64;

/// The spectrum of `x` (forward FFT, unnormalised).
fn fft(x: &[f64]) -> Vec<Complex64> {
    let mut buf: Vec<Complex64> = x.iter().map(|&v| Complex64::new(v, 0.0)).collect();
    FftPlanner::new()
        .plan_fft_forward(buf.len())
        .process(&mut buf);
    buf
}

/// The inverse FFT of `spec`, divided by its length.
fn ifft(mut spec: Vec<Complex64>) -> Vec<Complex64> {
    let n = spec.len();
    FftPlanner::new().plan_fft_inverse(n).process(&mut spec);
    spec.iter_mut().for_each(|c| *c /= n as f64);
    spec
}

/// The frequency [Hz] of FFT bin `k` of `n` samples `dt_ms` apart (negative above Nyquist).
fn bin_hz(k: usize, n: usize, dt_ms: f64) -> f64 {
    let k = if k <= n / 2 {
        k as f64
    } else {
        k as f64 - n as f64
    };
    k / (n as f64 * dt_ms / 1000.0)
}

/// `x` (sampled every `dt_ms`) band-passed to `[lo_hz, hi_hz]`: the Fourier components
/// outside the band are removed, with raised-cosine edges `edge_hz` wide to limit ringing.
/// Zero phase (no delay); the mean is removed when `lo_hz > 0`.
pub fn bandpass(x: &[f64], dt_ms: f64, (lo_hz, hi_hz): (f64, f64), edge_hz: f64) -> Vec<f64> {
    let n = x.len();
    if n == 0 {
        return vec![];
    }
    let gain = |f: f64| {
        let f = f.abs();
        let ramp = |d: f64| {
            if edge_hz <= 0.0 {
                f64::from(u8::from(d >= 0.0))
            } else {
                let u = (d / edge_hz + 0.5).clamp(0.0, 1.0);
                0.5 - 0.5 * (std::f64::consts::PI * u).cos()
            }
        };
        ramp(f - lo_hz).min(ramp(hi_hz - f))
    };
    let mut s = fft(x);
    for (k, c) in s.iter_mut().enumerate() {
        *c *= gain(bin_hz(k, n, dt_ms));
    }
    ifft(s).iter().map(|c| c.re).collect()
}

/// The analytic signal of `x`: its amplitude envelope and instantaneous phase [rad, −π..π]
/// per sample, from the Hilbert transform (negative frequencies removed, positive doubled).
/// Use it on a narrow-band signal (see [`bandpass`]); samples near the ends are less exact.
pub fn analytic(x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = x.len();
    if n == 0 {
        return (vec![], vec![]);
    }
    let mut s = fft(x);
    for (k, c) in s.iter_mut().enumerate() {
        let h = if k == 0 || (n.is_multiple_of(2) && k == n / 2) {
            1.0
        } else if k < n.div_ceil(2) {
            2.0
        } else {
            0.0
        };
        *c *= h;
    }
    let z = ifft(s);
    (
        z.iter().map(|c| c.norm()).collect(),
        z.iter().map(|c| c.arg()).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::{PI, TAU};

    #[test]
    fn a_cosine_has_unit_amplitude_and_a_linear_phase() {
        let (dt, f) = (1.0, 10.0);
        let x: Vec<f64> = (0..1000)
            .map(|k| (TAU * f * k as f64 * dt / 1000.0).cos())
            .collect();
        let (amp, phase) = analytic(&x);
        for k in 100..900 {
            assert!((amp[k] - 1.0).abs() < 1e-9, "amp[{k}] = {}", amp[k]);
            let want = (TAU * f * k as f64 / 1000.0 + PI).rem_euclid(TAU) - PI;
            let d = (phase[k] - want + PI).rem_euclid(TAU) - PI;
            assert!(d.abs() < 1e-9, "phase[{k}]");
        }
    }

    #[test]
    fn bandpass_keeps_the_band_and_drops_the_rest() {
        let (dt, n) = (1.0, 2000);
        let theta = |k: usize| (TAU * 6.0 * k as f64 * dt / 1000.0).sin();
        let gamma = |k: usize| 0.5 * (TAU * 40.0 * k as f64 * dt / 1000.0).sin();
        let x: Vec<f64> = (0..n).map(|k| 2.0 + theta(k) + gamma(k)).collect();
        let g = bandpass(&x, dt, (30.0, 50.0), 2.0);
        let t = bandpass(&x, dt, (4.0, 8.0), 1.0);
        for k in 0..n {
            assert!((g[k] - gamma(k)).abs() < 1e-9, "gamma at {k}");
            assert!((t[k] - theta(k)).abs() < 1e-9, "theta at {k}");
        }
    }
}
