//! Exact-integration propagators shared by the LIF kernels and the differentiable twin
//! (`ganglion-train`), so both compute the same f64 expressions and agree in f32.

/// Propagator from a synaptic current with time constant `tau_s` to V over `h`:
/// τs·τm / (C (τm − τs)) · (e^{−h/τm} − e^{−h/τs}); its limit h/C · e^{−h/τ} when τs = τm.
pub fn propagator_32(tau_s: f64, tau_m: f64, c: f64, h: f64) -> f64 {
    if ((tau_m - tau_s) / tau_m).abs() < 1e-9 {
        h / c * (-h / tau_m).exp()
    } else {
        tau_s * tau_m / (c * (tau_m - tau_s)) * ((-h / tau_m).exp() - (-h / tau_s).exp())
    }
}

/// Propagator from the derivative of an alpha current to V over `h`:
/// e^{−h/τm}/C · (1 − e^{−kh}(1 + kh)) / k², k = 1/τs − 1/τm.
pub fn propagator_31(tau_s: f64, tau_m: f64, c: f64, h: f64) -> f64 {
    let k = 1.0 / tau_s - 1.0 / tau_m;
    let kh = k * h;
    let integral = if kh.abs() < 1e-4 {
        // Series of (1 − e^{−x}(1+x))/k² = h²(1/2 − x/3 + x²/8 − …).
        h * h * (0.5 - kh / 3.0 + kh * kh / 8.0)
    } else {
        (1.0 - (-kh).exp() * (1.0 + kh)) / (k * k)
    };
    (-h / tau_m).exp() / c * integral
}
