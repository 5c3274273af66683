//! Random streams, sampling and small statistics shared by the studies.

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator every study uses.
pub type StudyRng = Xoshiro256PlusPlus;

/// An independent stream for `(seed, id)`: results do not depend on which
/// thread runs which id.
pub fn stream(seed: u64, id: u64) -> StudyRng {
    // SplitMix64 finaliser of the pair, so nearby ids get unrelated seeds.
    let z = seed ^ id.wrapping_mul(ganglion_base::rng::GAMMA);
    StudyRng::seed_from_u64(ganglion_base::rng::mix64(z))
}

/// A standard normal deviate (Box–Muller; the second deviate is dropped to
/// keep the stream stateless).
pub fn normal(rng: &mut StudyRng) -> f64 {
    loop {
        let u: f64 = rng.random();
        if u > 0.0 {
            let v: f64 = rng.random();
            return (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        }
    }
}

/// Marks `k` distinct elements of `0..n` with `stamp` in `marks` (Floyd's
/// algorithm: exactly `k` draws, no rejection) and pushes them onto `out`.
///
/// `marks` must have length `n`; an element is selected iff
/// `marks[i] == stamp`, so callers reuse the buffer by bumping `stamp`.
pub fn sample_distinct(
    rng: &mut StudyRng,
    n: usize,
    k: usize,
    marks: &mut [u32],
    stamp: u32,
    out: &mut Vec<u32>,
) {
    debug_assert!(k <= n && marks.len() == n);
    for j in (n - k)..n {
        let t = rng.random_range(0..=j);
        let pick = if marks[t] == stamp { j } else { t };
        marks[pick] = stamp;
        out.push(pick as u32);
    }
}

/// Ordinary least squares `y = intercept + slope * x`.
pub fn ols(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let slope = sxy / sxx;
    (my - slope * mx, slope)
}

pub use ganglion_analysis::special::{erfcx_pos, normal_cdf, normal_quantile};

/// The 0.975 quantile of Student's t distribution with `df` degrees of
/// freedom (the half-width factor of a two-sided 95 % interval): tabulated
/// to 4 decimals for `df ≤ 30`, above that the Cornish–Fisher expansion in
/// `1/df` (error < 1e-4). NaN for `df = 0`.
pub fn t_quantile_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010,
        2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739,
        2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => {
            let z: f64 = 1.959_963_984_540_054;
            let n = df as f64;
            let z3 = z.powi(3);
            let z5 = z.powi(5);
            let z7 = z.powi(7);
            z + (z3 + z) / (4.0 * n)
                + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * n * n)
                + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * n * n * n)
        }
    }
}

/// Mean of `v` (NaN when empty).
pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Median of the finite values of `v` (the mean of the middle two for an even count); NaN
/// when there are none.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[m],
        _ => 0.5 * (v[m - 1] + v[m]),
    }
}

/// Runs `f(i)` for `i in 0..n` on up to `available_parallelism` threads and
/// returns the results in index order. `f` must derive its randomness from
/// `i` (see `stream` in this module) so results do not depend on the thread count.
pub fn par_map<T: Send, F: Fn(usize) -> T + Sync>(n: usize, f: F) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(n.max(1));
    if threads <= 1 {
        return (0..n).map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, T)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        mine.push((i, f(i)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut all: Vec<(usize, T)> = parts.drain(..).flatten().collect();
    all.sort_by_key(|p| p.0);
    all.into_iter().map(|p| p.1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floyd_sampling_is_distinct_and_complete() {
        let mut rng = stream(1, 2);
        let mut marks = vec![0u32; 50];
        for stamp in 1..200u32 {
            let mut out = Vec::new();
            sample_distinct(&mut rng, 50, 20, &mut marks, stamp, &mut out);
            let mut s = out.clone();
            s.sort_unstable();
            s.dedup();
            assert_eq!(s.len(), 20);
            assert_eq!(marks.iter().filter(|&&m| m == stamp).count(), 20);
        }
        let mut out = Vec::new();
        sample_distinct(&mut rng, 7, 7, &mut [0; 7], 1, &mut out);
        out.sort_unstable();
        assert_eq!(out, (0..7).collect::<Vec<_>>());
    }

    #[test]
    fn ols_recovers_a_line() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let y: Vec<f64> = x.iter().map(|v| 0.5 + 2.0 * v).collect();
        let (a, b) = ols(&x, &y);
        assert!((a - 0.5).abs() < 1e-12 && (b - 2.0).abs() < 1e-12);
    }

    #[test]
    fn student_t_quantiles() {
        assert!(t_quantile_975(0).is_nan());
        assert_eq!(t_quantile_975(2), 4.3027);
        // The expansion continues the table smoothly and tends to z.
        assert!((t_quantile_975(31) - 2.0395).abs() < 2e-4);
        assert!((t_quantile_975(60) - 2.0003).abs() < 2e-4);
        assert!((t_quantile_975(120) - 1.9799).abs() < 2e-4);
        assert!((t_quantile_975(1_000_000) - 1.959_964).abs() < 1e-5);
        assert!(t_quantile_975(30) > t_quantile_975(31));
    }

    #[test]
    fn normal_deviates_have_unit_variance() {
        let mut rng = stream(7, 0);
        let v: Vec<f64> = (0..20_000).map(|_| normal(&mut rng)).collect();
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64;
        assert!(m.abs() < 0.03 && (var - 1.0).abs() < 0.05);
    }

    #[test]
    fn par_map_keeps_order() {
        assert_eq!(
            par_map(100, |i| i * 2),
            (0..100).map(|i| i * 2).collect::<Vec<_>>()
        );
    }
}
