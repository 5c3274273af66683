//! Counter-based random numbers: every stream is a pure function of (seed, object, element,
//! counter), so results never depend on how work is split across threads.
//!
//! The mixer is SplitMix64's finaliser (Steele, Lea & Flood 2014); a stream keyed by `k`
//! yields `mix(k + i·γ)` for i = 0, 1, …, i.e. a SplitMix64 sequence started at `k`.

/// SplitMix64's increment (the golden ratio in 64 bits).
pub const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: a bijective 64-bit mixer.
#[inline(always)]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One SplitMix64 step from state `z`: `mix64(z + γ)`. Used to scramble a seed before it
/// keys a stream or seeds another generator.
#[inline(always)]
pub fn splitmix64(z: u64) -> u64 {
    mix64(z.wrapping_add(GAMMA))
}

/// A key for a stream derived from a parent key and a label (object id, neuron index, …).
#[inline]
pub fn derive(parent: u64, label: u64) -> u64 {
    mix64(parent ^ splitmix64(label))
}

/// Uniform in [0, 1) from 64 random bits (53-bit precision).
#[inline(always)]
pub fn unit_f64(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A sequential generator over one stream (SplitMix64).
#[derive(Debug, Clone)]
pub struct Stream {
    state: u64,
}

impl Stream {
    /// The stream keyed by `key`.
    pub fn new(key: u64) -> Stream {
        Stream { state: key }
    }
    /// Next 64 random bits.
    #[inline(always)]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix64(self.state)
    }
    /// Uniform in [0, 1).
    #[inline(always)]
    pub fn uniform(&mut self) -> f64 {
        unit_f64(self.next_u64())
    }
    /// Uniform in (0, 1], safe for logarithms.
    #[inline(always)]
    pub fn uniform_open0(&mut self) -> f64 {
        1.0 - self.uniform()
    }
    /// Uniform integer in [0, n) (Lemire's multiply-shift, bias < 2^-32 for n < 2^32).
    #[inline(always)]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
    /// Standard normal (Box–Muller; one of the pair is discarded for simplicity).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform_open0();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    /// Poisson-distributed count with mean `lambda`.
    pub fn poisson(&mut self, lambda: f64) -> u32 {
        poisson(lambda, || self.uniform())
    }
}

/// Poisson sample with mean `lambda`, drawing uniforms from `u`.
///
/// Inversion by sequential search for λ < 12 (one uniform), otherwise the transformed
/// rejection method PTRS of Hörmann (1993).
pub fn poisson(lambda: f64, mut u: impl FnMut() -> f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda < 12.0 {
        let x = u();
        let mut p = (-lambda).exp();
        let mut f = p;
        let mut k = 0u32;
        while x > f && k < 200 {
            k += 1;
            p *= lambda / k as f64;
            f += p;
        }
        return k;
    }
    let slam = lambda.sqrt();
    let loglam = lambda.ln();
    let b = 0.931 + 2.53 * slam;
    let a = -0.059 + 0.02483 * b;
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let vr = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let uu = u() - 0.5;
        let v = u();
        let us = 0.5 - uu.abs();
        let k = ((2.0 * a / us + b) * uu + lambda + 0.43).floor();
        if us >= 0.07 && v <= vr {
            return k as u32;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        if (v * inv_alpha / (a / (us * us) + b)).ln() <= -lambda + k * loglam - ln_factorial(k) {
            return k as u32;
        }
    }
}

/// ln(k!) (Stirling series beyond a small table).
pub fn ln_factorial(k: f64) -> f64 {
    if k < 10.0 {
        let mut f = 1.0f64;
        let mut i = 2.0;
        while i <= k {
            f *= i;
            i += 1.0;
        }
        f.ln()
    } else {
        let x = k + 1.0;
        (x - 0.5) * x.ln() - x + 0.5 * std::f64::consts::TAU.ln() + 1.0 / (12.0 * x)
            - 1.0 / (360.0 * x * x * x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_mean_and_variance() {
        for &lam in &[0.3f64, 2.0, 11.9, 12.1, 40.0] {
            let mut s = Stream::new(derive(7, lam.to_bits()));
            let n = 200_000;
            let xs: Vec<f64> = (0..n).map(|_| s.poisson(lam) as f64).collect();
            let m = xs.iter().sum::<f64>() / n as f64;
            let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
            assert!((m - lam).abs() < 0.02 * lam.max(1.0), "mean {m} vs {lam}");
            assert!((v - lam).abs() < 0.05 * lam.max(1.0), "var {v} vs {lam}");
        }
    }

    #[test]
    fn normal_moments() {
        let mut s = Stream::new(3);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| s.normal()).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
        assert!(m.abs() < 0.01 && (v - 1.0).abs() < 0.01);
    }
}
