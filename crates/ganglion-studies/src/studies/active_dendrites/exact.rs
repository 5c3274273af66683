//! Exact evaluation of hypergeometric tails with big integers.
//!
//! The log-domain formulas in [`super::math`] are checked against
//! `Σ_b C(K, b) C(N−K, D−b)` and `C(N, D)` computed exactly as unsigned big
//! integers and divided once at the end. Only the operations that needs are
//! implemented: multiply by and exactly divide by a machine word, add,
//! multiply two big integers, and convert a ratio to `f64`.

/// Unsigned big integer, little-endian 32-bit limbs, no trailing zero limbs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BigUint(Vec<u32>);

impl BigUint {
    /// The value `v`.
    pub fn from_u64(v: u64) -> Self {
        let mut b = Self(vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    /// `self *= m`.
    pub fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    /// `self /= d`, returning the remainder.
    pub fn div_small(&mut self, d: u32) -> u32 {
        assert!(d != 0, "division by zero");
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / u64::from(d)) as u32;
            rem = cur % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    /// `self += other`.
    pub fn add_assign(&mut self, other: &Self) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        let mut carry = 0u64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = u64::from(*limb) + u64::from(other.0.get(i).copied().unwrap_or(0)) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    /// `self * other` (schoolbook).
    pub fn mul(&self, other: &Self) -> Self {
        if self.is_zero() || other.is_zero() {
            return Self(Vec::new());
        }
        let mut out = vec![0u32; self.0.len() + other.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.0.iter().enumerate() {
                let v = u64::from(a) * u64::from(b) + u64::from(out[i + j]) + carry;
                out[i + j] = v as u32;
                carry = v >> 32;
            }
            let mut k = i + other.0.len();
            while carry > 0 {
                let v = u64::from(out[k]) + carry;
                out[k] = v as u32;
                carry = v >> 32;
                k += 1;
            }
        }
        let mut r = Self(out);
        r.trim();
        r
    }

    /// Number of significant bits.
    pub fn bits(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(&top) => 32 * (self.0.len() as u64 - 1) + u64::from(32 - top.leading_zeros()),
        }
    }

    /// `(m, e)` with `self ≈ m · 2^e`, `m` holding the top 64 bits (truncated).
    fn top_bits(&self) -> (f64, i64) {
        let bits = self.bits();
        if bits <= 64 {
            let mut v = 0u64;
            for (i, &l) in self.0.iter().enumerate() {
                v |= u64::from(l) << (32 * i);
            }
            return (v as f64, 0);
        }
        let shift = bits - 64;
        let (limb, off) = ((shift / 32) as usize, (shift % 32) as u32);
        // Gather 96 bits starting at `limb`, then drop `off` low bits.
        let word = |i: usize| u128::from(self.0.get(i).copied().unwrap_or(0));
        let wide = word(limb) | (word(limb + 1) << 32) | (word(limb + 2) << 64);
        (((wide >> off) as u64) as f64, shift as i64)
    }
}

/// `C(n, k)` exactly. Steps are paired so that most multiplications and
/// divisions handle two factors at once (both fit a `u32` for `n < 65536`).
pub fn binomial(n: u64, k: u64) -> BigUint {
    if k > n {
        return BigUint(Vec::new());
    }
    let k = k.min(n - k);
    let mut r = BigUint::from_u64(1);
    let mut i = 1u64;
    while i <= k {
        // After step i, r = C(n−k+i, i) — an integer, so every division is exact.
        let pair = i < k && (n - k + i + 1) * (n - k + i) < (1 << 32) && i * (i + 1) < (1 << 32);
        if pair {
            r.mul_small(((n - k + i) * (n - k + i + 1)) as u32);
            let rem = r.div_small((i * (i + 1)) as u32);
            debug_assert_eq!(rem, 0);
            i += 2;
        } else {
            r.mul_small((n - k + i) as u32);
            let rem = r.div_small(i as u32);
            debug_assert_eq!(rem, 0);
            i += 1;
        }
    }
    r
}

/// `num / den` as `f64` (relative error ~2⁻⁶³ before the final rounding).
pub fn ratio(num: &BigUint, den: &BigUint) -> f64 {
    assert!(!den.is_zero(), "ratio with zero denominator");
    if num.is_zero() {
        return 0.0;
    }
    let (mn, en) = num.top_bits();
    let (md, ed) = den.top_bits();
    let e = en - ed;
    // Apply the power of two in steps so tiny results do not flush early.
    let mut v = mn / md;
    let mut e = e;
    while e > 0 {
        let step = e.min(1000);
        v *= 2f64.powi(step as i32);
        e -= step;
    }
    while e < 0 {
        let step = (-e).min(1000);
        v /= 2f64.powi(step as i32);
        e += step;
    }
    v
}

/// `P(X >= k_min)` for `X ~ Hypergeometric(population, marked, draws)`,
/// computed as an exact ratio of big integers.
pub fn hypergeometric_upper_tail(population: u64, marked: u64, draws: u64, k_min: u64) -> f64 {
    let (n, k, d) = (population, marked, draws);
    assert!(k <= n && d <= n && n < (1 << 32));
    let lo = k_min.max((k + d).saturating_sub(n));
    let hi = k.min(d);
    if lo > hi {
        return 0.0;
    }
    // term(b) = C(k, b) · C(n−k, d−b); walk b upward with exact ratio updates.
    let mut ck = binomial(k, lo);
    let mut cr = binomial(n - k, d - lo);
    let mut num = BigUint(Vec::new());
    let mut b = lo;
    loop {
        num.add_assign(&ck.mul(&cr));
        if b == hi {
            break;
        }
        ck.mul_small((k - b) as u32);
        ck.div_small((b + 1) as u32);
        // C(M, j−1) = C(M, j) · j / (M − j + 1) with M = n−k, j = d−b.
        cr.mul_small((d - b) as u32);
        cr.div_small((n + b + 1 - k - d) as u32);
        b += 1;
    }
    ratio(&num, &binomial(n, d))
}

/// Exact false-positive probability, see [`super::math::p_false_positive`].
pub fn p_false_positive(n: u64, a: u64, s: u64, theta: u64) -> f64 {
    hypergeometric_upper_tail(n, s, a, theta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_binomials() {
        assert_eq!(binomial(10, 3), BigUint::from_u64(120));
        assert_eq!(binomial(60, 30), BigUint::from_u64(118_264_581_564_861_424));
        assert!(binomial(3, 5).is_zero());
    }

    #[test]
    fn vandermonde_identity_holds_exactly() {
        // Σ_b C(k, b) C(n−k, d−b) = C(n, d): the full tail is exactly 1.
        assert_eq!(hypergeometric_upper_tail(5000, 24, 300, 0), 1.0);
    }

    #[test]
    fn big_binomial_bits() {
        // log2 C(100000, 2000) ≈ n·H(0.02) − ½·log2(2π·1960) ≈ 14 137
        let b = binomial(100_000, 2000).bits();
        assert!((14_100..14_200).contains(&b), "{b}");
    }

    #[test]
    fn paper_example_exact() {
        let p = p_false_positive(10_000, 300, 24, 12);
        assert!((p / 8.375_845_227_098_49e-13 - 1.0).abs() < 1e-14, "{p}");
    }

    #[test]
    fn log_domain_agrees_with_big_integers_down_to_1e_minus_30_and_below() {
        use super::super::math;
        for &(n, a, s, t) in &[
            (100_000u64, 2000u64, 30u64, 20u64),
            (100_000, 2000, 24, 24),
            (100_000, 1000, 60, 30),
            (50_000, 25_000, 40, 40),
            (99_991, 317, 200, 20),
        ] {
            let exact = p_false_positive(n, a, s, t);
            let ours = math::p_false_positive(n, a, s, t);
            assert!(
                exact > 0.0 && exact < 1e-12,
                "n={n} a={a} s={s} θ={t}: {exact}"
            );
            assert!(
                (ours / exact - 1.0).abs() < 1e-12,
                "n={n} a={a} s={s} θ={t}: {ours} vs {exact}"
            );
        }
    }

    #[test]
    fn div_and_mul_round_trip() {
        let mut x = binomial(1000, 500);
        let y = x.clone();
        x.mul_small(123_456_789);
        assert_eq!(x.div_small(123_456_789), 0);
        assert_eq!(x, y);
    }
}
