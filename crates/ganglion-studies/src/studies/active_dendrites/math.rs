//! Closed-form error probabilities of a dendritic segment (Ahmad & Hawkins 2016).
//!
//! A segment holds `s` synapses onto a population of `n` cells, of which a
//! random set of `a` is active; it fires (NMDA spike) when at least `θ` of its
//! synapses see an active cell. The number of active synapses is
//! hypergeometric, so
//!
//! ```text
//! P_FP(n, a, s, θ) = Σ_{b=θ}^{s} C(s, b) C(n−s, a−b) / C(n, a)
//! ```
//!
//! is the probability that a random pattern fires a segment that was not
//! trained on it. A segment trained on a pattern (all `s` synapses on active
//! cells) misses it when noise replaces `v` of the `a` active cells and more
//! than `s − θ` of them were under its synapses:
//!
//! ```text
//! P_FN(a, s, θ, v) = Σ_{b=s−θ+1}^{s} C(s, b) C(a−s, v−b) / C(a, v)
//! ```
//!
//! Both are upper tails of a hypergeometric distribution. They are evaluated
//! in the log domain (no overflow for `n` up to 1e5 and beyond, no underflow
//! for probabilities far below 1e-30) with ~1e-14 relative accuracy; the
//! study verifies them against exact big-integer sums
//! ([`super::exact`]).

/// `ln Γ(x)` for `x > 0`: Stirling's series for `x >= 15`, shifted upward by
/// the recurrence below that. Relative error ~1e-16 of the result.
pub fn ln_gamma(x: f64) -> f64 {
    debug_assert!(x > 0.0);
    if x < 15.0 {
        // Γ(x) = Γ(x + k) / (x (x+1) … (x+k−1))
        let k = (15.0 - x).ceil();
        let mut prod = 1.0;
        let mut y = x;
        while y < x + k {
            prod *= y;
            y += 1.0;
        }
        return ln_gamma(x + k) - prod.ln();
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let series = inv
        * (1.0 / 12.0
            - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 * (1.0 / 1680.0 - inv2 / 1188.0))));
    (x - 0.5) * x.ln() - x + 0.5 * (std::f64::consts::TAU).ln() + series
}

/// `ln C(x, k)` for real `x >= k >= 0` (generalised with Γ).
pub fn ln_binomial_real(x: f64, k: f64) -> f64 {
    ln_gamma(x + 1.0) - ln_gamma(k + 1.0) - ln_gamma(x - k + 1.0)
}

/// `ln(p / q)` for positive integers held exactly in `f64`; uses `ln_1p` when
/// the ratio is near 1, so each term carries ~1e-16 *absolute* error (summing
/// plain `ln p − ln q` would carry ~1e-16 × ln p instead).
fn ln_ratio(p: f64, q: f64) -> f64 {
    let r = p / q;
    if (0.5..2.0).contains(&r) {
        ((p - q) / q).ln_1p()
    } else {
        r.ln()
    }
}

/// `ln P(X = b)` for `X ~ Hypergeometric(n, k, d)` with `k <= d`, as
/// `C(k, b) · Π_{i<b} (d−i)/(n−i) · Π_{j<k−b} (n−d−j)/(n−b−j)`. Cost `O(k)`.
fn ln_hypergeometric_pmf_at(n: u64, k: u64, d: u64, b: u64) -> f64 {
    let f = |v: u64| v as f64;
    let mut l = 0.0;
    for i in 0..b {
        l += ln_ratio(f(k - i), f(i + 1)) + ln_ratio(f(d - i), f(n - i));
    }
    for j in 0..(k - b) {
        l += ln_ratio(f(n - d - j), f(n - b - j));
    }
    l
}

/// `ln(P(X = b+1) / P(X = b)) = ln((k−b)(d−b) / ((b+1)(n−k−d+b+1)))`; each
/// product is exact in `f64` for populations below ~1e7.
fn ln_pmf_step(n: u64, k: u64, d: u64, b: u64) -> f64 {
    let up = ((k - b) as f64) * ((d - b) as f64);
    let down = ((b + 1) as f64) * ((n + b + 1 - k - d) as f64);
    ln_ratio(up, down)
}

/// `ln P(X >= k_min)` for `X ~ Hypergeometric(population, marked, draws)`:
/// the number of marked items among `draws` items drawn without replacement
/// from `population`. Returns `-inf` when the event is impossible.
///
/// The first term comes from `ln_hypergeometric_pmf_at`, the next ones by
/// the exact ratio recurrence, and the sum by log-sum-exp. Cost
/// `O(min(marked, draws))`; relative error ~1e-14 for populations up to ~1e6.
pub fn ln_hypergeometric_upper_tail(population: u64, marked: u64, draws: u64, k_min: u64) -> f64 {
    assert!(
        marked <= population && draws <= population,
        "hypergeometric: marked {marked} and draws {draws} must not exceed population {population}"
    );
    // The distribution is symmetric in (marked, draws); iterate over the smaller.
    let (k, d) = if marked <= draws {
        (marked, draws)
    } else {
        (draws, marked)
    };
    let n = population;
    let lo = k_min.max((k + d).saturating_sub(n));
    let hi = k.min(d);
    if lo > hi {
        return f64::NEG_INFINITY;
    }
    let mut l = ln_hypergeometric_pmf_at(n, k, d, lo);
    let mut terms = Vec::with_capacity((hi - lo + 1) as usize);
    terms.push(l);
    for b in lo..hi {
        l += ln_pmf_step(n, k, d, b);
        terms.push(l);
    }
    log_sum_exp(&terms)
}

/// `ln Σ exp(x_i)` without overflow or underflow.
pub fn log_sum_exp(xs: &[f64]) -> f64 {
    let m = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + xs.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// Probability that a random pattern of `a` active cells out of `n` puts at
/// least `theta` active cells under a segment's `s` synapses (false positive).
pub fn p_false_positive(n: u64, a: u64, s: u64, theta: u64) -> f64 {
    ln_hypergeometric_upper_tail(n, s, a, theta).exp()
}

/// `ln` of [`p_false_positive`]; finite far below the `f64` range of the
/// probability itself.
pub fn ln_p_false_positive(n: u64, a: u64, s: u64, theta: u64) -> f64 {
    ln_hypergeometric_upper_tail(n, s, a, theta)
}

/// Probability that a segment whose `s` synapses all sit on a stored
/// pattern's `a` active cells fails to reach `theta` when `noise_bits` of the
/// active cells are replaced by other cells (false negative). Independent of `n`.
pub fn p_false_negative(a: u64, s: u64, theta: u64, noise_bits: u64) -> f64 {
    if theta == 0 || s < theta {
        // θ = 0 always fires; s < θ never fires.
        return if s < theta { 1.0 } else { 0.0 };
    }
    ln_hypergeometric_upper_tail(a, s, noise_bits, s - theta + 1).exp()
}

/// [`p_false_positive`] with a real-valued number of active cells `a`
/// (binomials generalised with Γ), as the paper evaluates the union of `M`
/// input patterns with `a_eff = n (1 − (1 − a/n)^M)`. Accuracy ~1e-10
/// relative (three large `ln Γ` cancel).
pub fn p_false_positive_real_a(n: u64, a: f64, s: u64, theta: u64) -> f64 {
    let nf = n as f64;
    let ln_den = ln_binomial_real(nf, a);
    let mut terms = Vec::new();
    for b in theta..=s {
        let bf = b as f64;
        let rest = nf - s as f64;
        if a - bf < 0.0 || rest - (a - bf) < 0.0 {
            continue;
        }
        terms.push(ln_binomial_real(s as f64, bf) + ln_binomial_real(rest, a - bf) - ln_den);
    }
    log_sum_exp(&terms).exp()
}

/// Expected number of distinct cells in the union of `m` random `k`-subsets
/// of `n` cells: `n (1 − (1 − k/n)^m)`.
pub fn expected_union_size(n: u64, k: u64, m: u64) -> f64 {
    let nf = n as f64;
    nf * (1.0 - (1.0 - k as f64 / nf).powi(m as i32))
}

/// Exact distribution of the size of the union of `m >= 1` independent,
/// uniformly random `k`-subsets of `n` cells: entry `u` is `P(|union| = u)`.
///
/// Each new subset overlaps the current union of size `u` in a
/// hypergeometric number `o` of cells, so the size becomes `u + k − o`.
pub fn union_size_distribution(n: u64, k: u64, m: u64) -> Vec<f64> {
    union_size_distributions(n, k, m).pop().unwrap_or_default()
}

/// [`union_size_distribution`] for every `m = 1..=m_max`, sharing the work.
pub fn union_size_distributions(n: u64, k: u64, m_max: u64) -> Vec<Vec<f64>> {
    assert!(
        m_max >= 1 && k <= n,
        "union of {m_max} subsets of size {k} out of {n}"
    );
    let max = (k * m_max).min(n) as usize;
    let mut dist = vec![0.0; max + 1];
    dist[k as usize] = 1.0;
    let mut all = vec![dist.clone()];
    for _ in 1..m_max {
        let mut next = vec![0.0; max + 1];
        for (u, &p) in dist.iter().enumerate() {
            if p < 1e-300 {
                continue;
            }
            for (o, q) in hypergeometric_pmf(n, u as u64, k) {
                next[u + (k - o) as usize] += p * q;
            }
        }
        dist = next;
        all.push(dist.clone());
    }
    all
}

/// All non-negligible `(x, P(X = x))` of `Hypergeometric(population, marked, draws)`.
fn hypergeometric_pmf(population: u64, marked: u64, draws: u64) -> Vec<(u64, f64)> {
    let (k, d, n) = (marked, draws, population);
    let lo = (k + d).saturating_sub(n);
    let hi = k.min(d);
    let (ks, ds) = if k <= d { (k, d) } else { (d, k) };
    let mut l = ln_hypergeometric_pmf_at(n, ks, ds, lo);
    let mut out = Vec::with_capacity((hi - lo + 1) as usize);
    out.push((lo, l.exp()));
    for b in lo..hi {
        l += ln_pmf_step(n, k, d, b);
        out.push((b + 1, l.exp()));
    }
    out
}

/// False-positive probability of a segment that stores `m` patterns, each
/// subsampled with `s` synapses, averaged over the exact distribution of
/// its union size (the paper instead plugs in the rounded expected size).
pub fn p_false_positive_union_segment(n: u64, a: u64, s: u64, theta: u64, m: u64) -> f64 {
    mixture(&union_size_distribution(n, s, m), |u| {
        p_false_positive(n, a, u, theta)
    })
}

/// False-positive probability of a segment (`s` synapses, threshold `θ`)
/// when the input is the union of `m` random patterns of `a` cells,
/// averaged over the exact distribution of the union size (the paper plugs
/// in the expected size, see [`p_false_positive_real_a`]).
pub fn p_false_positive_union_input(n: u64, a: u64, s: u64, theta: u64, m: u64) -> f64 {
    mixture(&union_size_distribution(n, a, m), |u| {
        p_false_positive(n, u, s, theta)
    })
}

/// `Σ_u P(u) f(u)` over the sizes with non-negligible probability.
pub fn mixture(dist: &[f64], f: impl Fn(u64) -> f64) -> f64 {
    dist.iter()
        .enumerate()
        .filter(|(_, p)| **p > 1e-300)
        .map(|(u, p)| p * f(u as u64))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// C(n, k) exactly in u128 (fits for n <= 120).
    fn c(n: u64, k: u64) -> u128 {
        if k > n {
            return 0;
        }
        let k = k.min(n - k);
        let mut r: u128 = 1;
        for i in 1..=u128::from(k) {
            r = r * (u128::from(n - k) + i) / i;
        }
        r
    }

    /// P_FP as an exact ratio of integers, converted to f64 once.
    fn exact_fp(n: u64, a: u64, s: u64, t: u64) -> f64 {
        let num: u128 = (t..=s)
            .map(|b| c(s, b) * c(n - s, a.saturating_sub(b)) * u128::from(a >= b))
            .sum();
        num as f64 / c(n, a) as f64
    }

    #[test]
    fn log_domain_matches_exact_rationals_for_small_n() {
        let mut worst = 0.0f64;
        for n in [10u64, 23, 40, 64, 100] {
            for a in (1..=n).step_by(3) {
                for s in (1..=n.min(30)).step_by(2) {
                    for t in 1..=s {
                        let exact = exact_fp(n, a, s, t);
                        let ours = p_false_positive(n, a, s, t);
                        if exact == 0.0 {
                            assert_eq!(ours, 0.0, "n={n} a={a} s={s} t={t}");
                        } else {
                            worst = worst.max((ours - exact).abs() / exact);
                        }
                    }
                }
            }
        }
        assert!(worst < 1e-12, "worst relative error {worst}");
    }

    #[test]
    fn paper_example() {
        let p = p_false_positive(10_000, 300, 24, 12);
        assert!((p / 8.375_845_227_098_49e-13 - 1.0).abs() < 1e-12, "{p}");
    }

    #[test]
    fn tails_far_below_f64_stay_finite_in_log() {
        let l = ln_p_false_positive(100_000, 2000, 200, 200);
        assert!(l.is_finite() && l < -700.0);
        assert_eq!(ln_p_false_positive(100, 10, 5, 6), f64::NEG_INFINITY);
    }

    #[test]
    fn false_negative_edge_cases() {
        assert_eq!(p_false_negative(128, 30, 12, 0), 0.0);
        assert!((p_false_negative(128, 30, 12, 128) - 1.0).abs() < 1e-12);
        assert!((p_false_negative(128, 30, 8, 64) - 7.354_294_568_751_21e-4).abs() < 1e-12);
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        let mut lf = 0.0f64;
        for k in 1..200u32 {
            lf += f64::from(k).ln();
            let g = ln_gamma(f64::from(k) + 1.0);
            assert!((g - lf).abs() <= 1e-13 * lf.max(1.0), "k={k}: {g} vs {lf}");
        }
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-14);
    }

    #[test]
    fn real_a_agrees_with_integer_a() {
        let p = p_false_positive_real_a(10_000, 300.0, 24, 12);
        assert!((p / p_false_positive(10_000, 300, 24, 12) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn union_size_distribution_sums_to_one_and_has_the_right_mean() {
        let d = union_size_distribution(1000, 25, 7);
        let total: f64 = d.iter().sum();
        let mean: f64 = d.iter().enumerate().map(|(u, p)| u as f64 * p).sum();
        assert!((total - 1.0).abs() < 1e-12);
        assert!((mean - expected_union_size(1000, 25, 7)).abs() < 1e-9);
        // one subset: all mass at k
        assert_eq!(union_size_distribution(50, 5, 1)[5], 1.0);
    }
}
