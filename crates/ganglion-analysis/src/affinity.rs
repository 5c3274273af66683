//! Pairwise, time-resolved, non-linear affinities between neurons from their calcium traces —
//! the first step of Dyballa et al. 2024 (ICLR, "Learning dynamic representations of the
//! functional connectome in neurobiological networks"), whose affinities, stacked over time
//! windows and animals, form the tensor that [`crate::tensor`] factorises.
//!
//! **Formula used here.** The paper defines an instantaneous affinity a_ij(t) between
//! neurons that change together; its exact expression is in a notebook that is not part of
//! the published repository snapshot available to us (only the benchmark notebook is), so
//! this module implements that description as a rectified co-derivative:
//!
//! - traces are smoothed by a centred moving average of half-width h samples (calcium
//!   imaging noise is amplified by differentiation), then differentiated by central
//!   differences, ẋ_i(t);
//! - each derivative is scaled by its root mean square over the whole recording, σ_i, so that
//!   neurons of different brightness weigh alike;
//! - [`Coactivity::Concordant`]: a_ij(t) = max(0, ẋ_i(t) ẋ_j(t)) / (σ_i σ_j), positive when
//!   both traces rise together or fall together, zero when they move in opposite directions
//!   or either is still. The rectification is the non-linearity: anti-correlated pairs get
//!   no affinity (rather than a negative one), which keeps the tensor non-negative for NTF;
//! - [`Coactivity::Rising`]: a_ij(t) = max(0, ẋ_i(t)) max(0, ẋ_j(t)) / (σ_i σ_j), only joint
//!   rises count. A calcium indicator's decay is passive (the indicator's kinetics, not
//!   input), so two neurons decaying at once after unrelated events say nothing about an
//!   interaction; counting only co-activation removes that chance-level affinity;
//! - [`Coactivity::RisingAboveChance`]: the `Rising` affinity minus what the two neurons'
//!   activity alone predicts, max(0, ⟨r_i r_j⟩ − ⟨r_i⟩⟨r_j⟩) with r = max(0, ẋ)/σ and ⟨·⟩ the
//!   window mean — the covariance of the rectified derivatives, 0 in expectation for
//!   independent neurons however active each is (the `Rising` chance level 1/(2π) above
//!   varies with activity, so it differs between windows and animals);
//! - a window's affinity is the mean of a_ij(t) over its samples.
//!
//! For two independent Gaussian derivative signals E\[a_ij\] = 1/π ≈ 0.318 for `Concordant`
//! (max(0, uv) has mean ½ E|u| E|v| = ½ · 2/π for independent standard normals u, v) and
//! 1/(2π) for `Rising` ((E max(0, u))² = (1/√(2π))²); for identical signals a_ij averages 1
//! and ½ respectively.
//!
//! Layout: traces are samples × neurons row-major (`x[t·n + i]`); pair p enumerates i < j in
//! row order (0,1), (0,2), …, (1,2), … (see [`pair_index`]); the output is windows × pairs.

use std::fmt;

/// Which joint changes of two traces count as affinity (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coactivity {
    /// max(0, ẋ_i ẋ_j): rising together or falling together.
    Concordant,
    /// max(0, ẋ_i) max(0, ẋ_j): rising together only.
    Rising,
    /// Rising together beyond chance: the window's mean of max(0, ẋ_i) max(0, ẋ_j) minus the
    /// product of the two neurons' window means of max(0, ẋ), floored at 0 — the covariance
    /// of the rectified derivatives, which is 0 in expectation for independent neurons
    /// however active each is.
    RisingAboveChance,
}

/// Why affinities could not be computed.
#[derive(Debug, Clone, PartialEq)]
pub enum AffinityError {
    /// The trace slice is not samples × neurons, or there are fewer than 2 neurons.
    Shape {
        /// Neurons given.
        neurons: usize,
        /// Length of the trace slice.
        len: usize,
    },
    /// The window does not fit: zero, or longer than the recording.
    Window {
        /// Window length given (samples).
        window: usize,
        /// Number of samples.
        samples: usize,
    },
    /// A trace value is not finite.
    NonFinite {
        /// Sample.
        t: usize,
        /// Neuron.
        i: usize,
    },
}

impl fmt::Display for AffinityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AffinityError::Shape { neurons, len } => write!(
                f,
                "traces of length {len} are not samples × {neurons} neurons (need ≥ 2 neurons and a whole number of samples); pass them row-major x[t*n + i]"
            ),
            AffinityError::Window { window, samples } => write!(
                f,
                "window of {window} samples does not fit a recording of {samples}; use 1 ≤ window ≤ samples"
            ),
            AffinityError::NonFinite { t, i } => {
                write!(
                    f,
                    "trace of neuron {i} is not finite at sample {t}; interpolate or drop missing values first"
                )
            }
        }
    }
}

impl std::error::Error for AffinityError {}

/// Number of unordered pairs of n neurons, n(n − 1)/2.
pub fn n_pairs(n: usize) -> usize {
    n * n.saturating_sub(1) / 2
}

/// Index of pair (i, j), i ≠ j, in the row-order enumeration of i < j.
pub fn pair_index(i: usize, j: usize, n: usize) -> usize {
    let (a, b) = if i < j { (i, j) } else { (j, i) };
    assert!(
        b < n && a != b,
        "pair ({i}, {j}) is not a pair of distinct neurons of {n}"
    );
    a * n - a * (a + 1) / 2 + (b - a - 1)
}

/// Expands a pair vector (length n(n − 1)/2) into a symmetric `n × n` row-major matrix with a
/// zero diagonal.
pub fn pairs_to_matrix(pairs: &[f64], n: usize) -> Vec<f64> {
    assert_eq!(
        pairs.len(),
        n_pairs(n),
        "pair vector of length {} does not belong to {n} neurons (needs {})",
        pairs.len(),
        n_pairs(n)
    );
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in (i + 1)..n {
            let v = pairs[pair_index(i, j, n)];
            m[i * n + j] = v;
            m[j * n + i] = v;
        }
    }
    m
}

/// Smoothed, RMS-normalised derivatives (samples × neurons) of `x` (see the module docs).
fn scaled_derivatives(x: &[f64], n: usize, half_width: usize) -> Vec<f64> {
    let t_len = x.len() / n;
    let mut d = vec![0.0; x.len()];
    let mut col = vec![0.0; t_len];
    for i in 0..n {
        // Centred moving average (shrinking at the edges) via a prefix sum.
        let mut prefix = vec![0.0; t_len + 1];
        for t in 0..t_len {
            prefix[t + 1] = prefix[t] + x[t * n + i];
        }
        for (t, c) in col.iter_mut().enumerate() {
            let lo = t.saturating_sub(half_width);
            let hi = (t + half_width + 1).min(t_len);
            *c = (prefix[hi] - prefix[lo]) / (hi - lo) as f64;
        }
        let mut ss = 0.0;
        for t in 0..t_len {
            let v = if t_len < 2 {
                0.0
            } else if t == 0 {
                col[1] - col[0]
            } else if t == t_len - 1 {
                col[t] - col[t - 1]
            } else {
                0.5 * (col[t + 1] - col[t - 1])
            };
            d[t * n + i] = v;
            ss += v * v;
        }
        let rms = (ss / t_len as f64).sqrt();
        for t in 0..t_len {
            d[t * n + i] = if rms > 0.0 { d[t * n + i] / rms } else { 0.0 };
        }
    }
    d
}

/// Window-averaged rectified co-derivative affinities (see the module docs) of the traces
/// `x` (samples × `n` neurons, row-major; the sampling step does not matter after the RMS
/// scaling), in consecutive non-overlapping windows of `window` samples (a last partial
/// window is dropped), after smoothing with a moving average of half-width `half_width`
/// samples (0: none), counting the joint changes `kind`. Returns windows × n(n − 1)/2 pairs,
/// row-major.
///
/// ```
/// use ganglion_analysis::affinity::{Coactivity, window_affinities, pair_index};
/// // Neurons 0 and 1 rise and fall together, neuron 2 does the opposite.
/// let x: Vec<f64> = (0..100)
///     .flat_map(|t| { let s = (t as f64 * 0.3).sin(); [s, 2.0 * s, -s] })
///     .collect();
/// let a = window_affinities(&x, 3, 100, 0, Coactivity::Concordant).unwrap();
/// assert!((a[pair_index(0, 1, 3)] - 1.0).abs() < 0.05); // mean of max(0, u²)/E[u²] = 1
/// assert_eq!(a[pair_index(0, 2, 3)], 0.0);
/// ```
pub fn window_affinities(
    x: &[f64],
    n: usize,
    window: usize,
    half_width: usize,
    kind: Coactivity,
) -> Result<Vec<f64>, AffinityError> {
    if n < 2 || !x.len().is_multiple_of(n) || x.is_empty() {
        return Err(AffinityError::Shape {
            neurons: n,
            len: x.len(),
        });
    }
    let t_len = x.len() / n;
    if window == 0 || window > t_len {
        return Err(AffinityError::Window {
            window,
            samples: t_len,
        });
    }
    if let Some(p) = x.iter().position(|v| !v.is_finite()) {
        return Err(AffinityError::NonFinite { t: p / n, i: p % n });
    }
    let mut d = scaled_derivatives(x, n, half_width);
    if kind != Coactivity::Concordant {
        d.iter_mut().for_each(|v| *v = v.max(0.0));
    }
    let n_win = t_len / window;
    let np = n_pairs(n);
    let mut out = vec![0.0; n_win * np];
    for w in 0..n_win {
        let acc = &mut out[w * np..(w + 1) * np];
        for t in w * window..(w + 1) * window {
            let row = &d[t * n..(t + 1) * n];
            let mut p = 0;
            for i in 0..n {
                let di = row[i];
                for &dj in &row[i + 1..] {
                    let v = di * dj;
                    if v > 0.0 {
                        acc[p] += v;
                    }
                    p += 1;
                }
            }
        }
        acc.iter_mut().for_each(|v| *v /= window as f64);
        if kind == Coactivity::RisingAboveChance {
            let mean: Vec<f64> = (0..n)
                .map(|i| {
                    (w * window..(w + 1) * window)
                        .map(|t| d[t * n + i])
                        .sum::<f64>()
                        / window as f64
                })
                .collect();
            let mut p = 0;
            for i in 0..n {
                for j in (i + 1)..n {
                    acc[p] = (acc[p] - mean[i] * mean[j]).max(0.0);
                    p += 1;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng;
    use Coactivity::Concordant as C;

    fn normal(rng: &mut Rng) -> f64 {
        (-2.0 * (1.0 - rng.uniform()).ln()).sqrt() * (std::f64::consts::TAU * rng.uniform()).cos()
    }

    #[test]
    fn pair_indexing_round_trips() {
        let n = 5;
        let mut seen = vec![false; n_pairs(n)];
        let mut p = 0;
        for i in 0..n {
            for j in (i + 1)..n {
                assert_eq!(pair_index(i, j, n), p);
                assert_eq!(pair_index(j, i, n), p);
                seen[p] = true;
                p += 1;
            }
        }
        assert!(seen.iter().all(|&s| s));
        let v: Vec<f64> = (0..10).map(|k| k as f64).collect();
        let m = pairs_to_matrix(&v, 5);
        assert_eq!(m[3 * 5 + 1], v[pair_index(1, 3, 5)]);
        assert_eq!(m[2 * 5 + 2], 0.0);
    }

    #[test]
    fn hand_computed_small_case() {
        // Two neurons, 4 samples, no smoothing. x0 = (0, 1, 2, 1), x1 = (0, 1, 1, 2).
        // Derivatives (one-sided at the ends, central inside):
        // ẋ0 = (1, 1, 0, −1), ẋ1 = (1, 0.5, 0.5, 1); RMS σ0 = √(3/4), σ1 = √(2.5/4).
        // Products: (1, 0.5, 0, −1) → rectified sum 1.5 over 4 samples = 0.375.
        let x = [0.0, 0.0, 1.0, 1.0, 2.0, 1.0, 1.0, 2.0];
        let a = window_affinities(&x, 2, 4, 0, C).unwrap();
        let want = 0.375 / ((0.75f64).sqrt() * (0.625f64).sqrt());
        assert!((a[0] - want).abs() < 1e-12, "{} vs {want}", a[0]);
        // Two windows of 2 samples: (1 + 0.5)/2 and 0/2.
        let a = window_affinities(&x, 2, 2, 0, C).unwrap();
        let s = (0.75f64).sqrt() * (0.625f64).sqrt();
        assert!((a[0] - 0.75 / s).abs() < 1e-12);
        assert_eq!(a[1], 0.0);
        // Rising only: products of positive parts (1·1, 1·0.5, 0, 0) → 1.5/4 as well here,
        // since the one falling sample (ẋ0 = −1) met a rising one.
        let a = window_affinities(&x, 2, 4, 0, Coactivity::Rising).unwrap();
        assert!((a[0] - want).abs() < 1e-12);
        // Both falling counts for Concordant only.
        let y = [2.0, 2.0, 1.0, 1.0, 0.0, 0.0];
        let c = window_affinities(&y, 2, 3, 0, C).unwrap();
        let r = window_affinities(&y, 2, 3, 0, Coactivity::Rising).unwrap();
        assert!((c[0] - 1.0).abs() < 1e-12 && r[0] == 0.0, "{c:?} {r:?}");
        // Beyond chance, first example: rectified scaled derivatives r0 = (1, 1, 0, 0)/σ0,
        // r1 = (1, .5, .5, 1)/σ1; mean product 1.5/4, means 2/4 and 3/4 → 0.375 − 0.375 = 0:
        // these two rise together no more than their activity alone predicts.
        let a = window_affinities(&x, 2, 4, 0, Coactivity::RisingAboveChance).unwrap();
        assert!(a[0].abs() < 1e-12, "{a:?}");
        // Rising at the same samples and still otherwise: x0 = x1 = (0, 0, 1, 1, 1, 1).
        // ẋ = (0, .5, .5, 0, 0, 0), σ² = .5/6; mean product .5/6 / σ² = 1, means (1/6)/σ each:
        // 1 − (1/36)/σ² = 1 − 1/3 = 2/3.
        let z = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let a = window_affinities(&z, 2, 6, 0, Coactivity::RisingAboveChance).unwrap();
        assert!((a[0] - 2.0 / 3.0).abs() < 1e-12, "{a:?}");
    }

    #[test]
    fn independent_noise_gives_one_over_pi() {
        // Random walks: their derivatives are independent white noise.
        let (t_len, n) = (160_000, 3);
        let mut rng = Rng(4);
        let mut x = vec![0.0; t_len * n];
        for t in 1..t_len {
            for i in 0..n {
                x[t * n + i] = x[(t - 1) * n + i] + normal(&mut rng);
            }
        }
        let a = window_affinities(&x, n, t_len, 0, C).unwrap();
        // Central differences of a random walk are (ε_t + ε_{t+1})/2: still Gaussian and
        // independent across neurons, so E max(0, uv) / (σσ) = ½ E|u| E|v| = 1/π.
        for v in a {
            assert!((v - std::f64::consts::FRAC_1_PI).abs() < 0.01, "{v}");
        }
        // Rising only: (E max(0, u))² = 1/(2π).
        let a = window_affinities(&x, n, t_len, 0, Coactivity::Rising).unwrap();
        for v in a {
            assert!((v - 0.5 * std::f64::consts::FRAC_1_PI).abs() < 0.006, "{v}");
        }
        // Beyond chance: independent neurons have affinity 0 in expectation (floored at 0,
        // so small and non-negative here).
        let a = window_affinities(&x, n, t_len, 0, Coactivity::RisingAboveChance).unwrap();
        for v in a {
            assert!((0.0..0.004).contains(&v), "{v}");
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            window_affinities(&[0.0; 5], 2, 1, 0, C),
            Err(AffinityError::Shape { neurons: 2, len: 5 })
        ));
        assert!(matches!(
            window_affinities(&[0.0; 4], 1, 1, 0, C),
            Err(AffinityError::Shape { .. })
        ));
        let e = window_affinities(&[0.0; 6], 2, 4, 0, C).unwrap_err();
        assert_eq!(
            e,
            AffinityError::Window {
                window: 4,
                samples: 3
            }
        );
        assert!(e.to_string().contains("1 ≤ window ≤ samples"));
        let e = window_affinities(&[0.0, 1.0, f64::NAN, 0.0], 2, 1, 0, C).unwrap_err();
        assert_eq!(e, AffinityError::NonFinite { t: 1, i: 0 });
    }
}
