//! Seeded random streams.
//!
//! Every random object draws from its own stream derived from `(seed, object id)`, so adding a
//! new random object never shifts the numbers another one sees, and results do not depend on
//! the thread count (DESIGN.md, "Determinism").

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Stream ids of the objects in this crate (one per random object kind).
pub(crate) mod ids {
    pub const RECURRENT: u64 = 1;
    pub const RECURRENT_VALUES: u64 = 2;
    pub const INPUT: u64 = 3;
    pub const BIAS: u64 = 4;
    pub const TASK_INPUT: u64 = 10;
    pub const FORCE_INIT: u64 = 20;
    pub const RULE_INIT: u64 = 30;
    pub const ARNOLDI: u64 = 40;
}

use ganglion_base::rng::splitmix64;

/// The random stream of object `id` under the user's `seed`.
pub fn stream(seed: u64, id: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(splitmix64(
        splitmix64(seed) ^ id.wrapping_mul(0xD1B5_4A32_D192_ED03),
    ))
}

/// A uniform draw in `[0, 1)`.
#[inline]
pub fn uniform(rng: &mut Xoshiro256PlusPlus) -> f64 {
    rng.random::<f64>()
}

/// A standard normal draw (Box–Muller; one of the pair is discarded for simplicity:
/// matrix generation is not the bottleneck).
#[inline]
pub fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    // 1 - u is in (0, 1], so ln never sees 0.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Number of failures before the next success of a Bernoulli(p) sequence (geometric skip),
/// used to draw sparse masks in O(nnz) instead of O(n²).
#[inline]
pub fn geometric_skip(rng: &mut Xoshiro256PlusPlus, ln_q: f64) -> u64 {
    let u = 1.0 - rng.random::<f64>();
    (u.ln() / ln_q).floor() as u64
}
