//! NumPy's legacy `RandomState` (the Mersenne Twister MT19937 of Matsumoto & Nishimura 1998,
//! ACM TOMACS 8:3), as far as dm_control's episode initialisation and evolution strategies use
//! it: integer seeding, `rand()`, `uniform(low, high)` and `randn()` (NumPy's polar
//! Box–Muller, which keeps the second normal of each pair for the next call).
//!
//! dm_control tasks draw their initial states from `np.random.RandomState(seed)`; drawing the
//! same numbers in the same order here makes `Swimmer::reset(seed)` start the episode that
//! dm_control's `swimmer(random=seed)` starts on its first reset, bit for bit.

const N: usize = 624;
const M: usize = 397;

/// MT19937 with NumPy's seeding and 53-bit doubles.
#[derive(Debug, Clone)]
pub struct RandomState {
    key: [u32; N],
    pos: usize,
    gauss: Option<f64>,
}

impl RandomState {
    /// `np.random.RandomState(seed)` for an integer seed in `0..2³²` (`init_genrand`).
    pub fn new(seed: u32) -> RandomState {
        let mut key = [0u32; N];
        key[0] = seed;
        for i in 1..N {
            let prev = key[i - 1];
            key[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        RandomState {
            key,
            pos: N,
            gauss: None,
        }
    }

    fn regenerate(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX_A: u32 = 0x9908_b0df;
        for i in 0..N {
            let y = (self.key[i] & UPPER) | (self.key[(i + 1) % N] & LOWER);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            self.key[i] = self.key[(i + M) % N] ^ (y >> 1) ^ mag;
        }
        self.pos = 0;
    }

    /// The next 32-bit output (`genrand_int32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos == N {
            self.regenerate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `rand()`: uniform on \[0, 1) with 53 random bits (`genrand_res53`).
    pub fn rand(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `uniform(low, high)`: `low + (high − low)·rand()`, as NumPy computes it.
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.rand()
    }

    /// `randn()`: a standard normal by NumPy's legacy polar method (`legacy_gauss`).
    pub fn randn(&mut self) -> f64 {
        if let Some(g) = self.gauss.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.rand() - 1.0;
            let x2 = 2.0 * self.rand() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// `normal(loc, scale)`: `loc + scale·randn()`.
    pub fn normal(&mut self, loc: f64, scale: f64) -> f64 {
        loc + scale * self.randn()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_mt19937_outputs() {
        // Matsumoto & Nishimura's reference: init_genrand(5489) gives 3499211612 first, and
        // the 10000th output of the default seed is 4123659995 (C++ std::mt19937's check).
        let mut r = RandomState::new(5489);
        assert_eq!(r.next_u32(), 3_499_211_612);
        for _ in 1..9999 {
            r.next_u32();
        }
        assert_eq!(r.next_u32(), 4_123_659_995);
    }

    #[test]
    fn numpy_random_state_values() {
        // np.random.RandomState(0).rand(3) and RandomState(42).rand() as NumPy prints them.
        let mut r = RandomState::new(0);
        assert_eq!(r.rand(), 0.5488135039273248);
        assert_eq!(r.rand(), 0.7151893663724195);
        assert_eq!(r.rand(), 0.6027633760716439);
        assert_eq!(RandomState::new(42).rand(), 0.3745401188473625);
    }

    #[test]
    fn numpy_normals() {
        // np.random.RandomState(0).randn(3); RandomState(5).normal(0, 0.02, size=3).
        let mut r = RandomState::new(0);
        assert_eq!(r.randn(), 1.764052345967664);
        assert_eq!(r.randn(), 0.4001572083672233);
        assert_eq!(r.randn(), 0.9787379841057392);
        let mut r = RandomState::new(5);
        let want = [
            0.008824549737700828,
            -0.006617403037881753,
            0.0486154237401556,
        ];
        for w in want {
            assert_eq!(r.normal(0.0, 0.02), w);
        }
    }

    #[test]
    fn uniform_is_an_affine_map_of_rand() {
        let mut a = RandomState::new(7);
        let mut b = RandomState::new(7);
        let u = a.uniform(-2.0, 3.0);
        assert_eq!(u, -2.0 + 5.0 * b.rand());
        assert!((-2.0..3.0).contains(&u));
    }
}
