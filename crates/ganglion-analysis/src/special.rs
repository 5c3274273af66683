//! Special functions the methods and the studies share: the complementary error function
//! (Numerical Recipes §6.2's Chebyshev fit, relative error < 1.2e-7), the standard normal CDF,
//! its logarithm (kept in log space for the far left tail) and its inverse.

/// Scaled complementary error function `exp(z²) erfc(z)` for `z ≥ 0` (the fit with the
/// Gaussian factor left out, so it does not underflow).
pub fn erfcx_pos(z: f64) -> f64 {
    ln_erfcx_pos(z).exp()
}

/// `ln(exp(z²) erfc(z))` for `z ≥ 0`.
fn ln_erfcx_pos(z: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.5 * z);
    t.ln()
        + (-1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
}

/// Complementary error function.
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let r = erfcx_pos(z) * (-z * z).exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Standard normal CDF Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// ln Φ(z), accurate to ~1e-7 relative for all z (no underflow in the left tail).
pub fn ln_normal_cdf(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    // ln erfc(x) = ln erfcx(x) − x² for x ≥ 0.
    let ln_erfc = |x: f64| ln_erfcx_pos(x) - x * x;
    if x < 0.0 {
        0.5f64.ln() + ln_erfc(-x)
    } else {
        (-0.5 * ln_erfc(x).exp()).ln_1p()
    }
}

/// Inverse of the standard normal CDF for `p` in (0, 1) (bisection on [`normal_cdf`]; for the
/// handful of quantiles a study needs, so speed does not matter).
pub fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0f64, 40.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if normal_cdf(mid) < p {
            lo = mid
        } else {
            hi = mid
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_quantile_and_log() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-7);
        assert!((normal_quantile(0.99) - 2.326_347_874).abs() < 1e-6);
        assert!((erfc(0.5) - 0.479_500_122).abs() < 1e-7);
        assert!((ln_normal_cdf(1.0) - normal_cdf(1.0).ln()).abs() < 1e-7);
        // Far in the left tail, where Φ underflows: ln Φ(z) ≈ −z²/2 − ln(−z √(2π)).
        let z = -40.0f64;
        let asymptote = -z * z / 2.0 - (-z * std::f64::consts::TAU.sqrt()).ln();
        assert!((ln_normal_cdf(z) - asymptote).abs() < 1e-3 * asymptote.abs());
    }
}
