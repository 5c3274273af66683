//! Shaped rewards as the DeepMind Control Suite defines them (Tassa et al. 2018, "DeepMind
//! Control Suite", arXiv:1801.00690, §3; `dm_control/utils/rewards.py`): a soft indicator
//! that is 1 inside an interval and falls off outside it along a chosen sigmoid.

/// The shape of the fall-off outside the bounds (`rewards._sigmoids`). Each maps the scaled
/// distance `x` (distance from the nearest bound / margin) to a value with `f(0) = 1` and
/// `f(1) = value_at_margin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sigmoid {
    /// `exp(-(x s)²/2)`, `s = sqrt(-2 ln v)`.
    Gaussian,
    /// `1 / cosh(x s)`, `s = arccosh(1/v)`.
    Hyperbolic,
    /// `1 / ((x s)² + 1)`, `s = sqrt(1/v − 1)` (the swimmer's).
    LongTail,
    /// `1 / (|x| s + 1)`, `s = 1/v − 1`.
    Reciprocal,
    /// `(1 + cos(π x s))/2` for `|x s| < 1`, else 0; `s = arccos(2v − 1)/π`.
    Cosine,
    /// `1 − x s` for `|x s| < 1`, else 0; `s = 1 − v`.
    Linear,
    /// `1 − (x s)²` for `|x s| < 1`, else 0; `s = sqrt(1 − v)`.
    Quadratic,
    /// `1 − tanh(x s)²`, `s = arctanh(sqrt(1 − v))`.
    TanhSquared,
}

/// dm_control's default value at the margin (`_DEFAULT_VALUE_AT_MARGIN`).
pub const DEFAULT_VALUE_AT_MARGIN: f64 = 0.1;

/// `rewards._sigmoids`: 1 at `x = 0`, `value_at_1` at `x = 1`.
///
/// Panics when `value_at_1` is outside `(0, 1)` (or `[0, 1)` for the cosine, linear and
/// quadratic shapes), as dm_control raises.
pub fn sigmoid(x: f64, value_at_1: f64, kind: Sigmoid) -> f64 {
    let zero_ok = matches!(kind, Sigmoid::Cosine | Sigmoid::Linear | Sigmoid::Quadratic);
    let ok = if zero_ok {
        (0.0..1.0).contains(&value_at_1)
    } else {
        value_at_1 > 0.0 && value_at_1 < 1.0
    };
    assert!(
        ok,
        "sigmoid {kind:?}: value_at_1 = {value_at_1} must lie in {}",
        if zero_ok { "[0, 1)" } else { "(0, 1)" }
    );
    let v = value_at_1;
    match kind {
        Sigmoid::Gaussian => {
            let s = (-2.0 * v.ln()).sqrt();
            (-0.5 * (x * s).powi(2)).exp()
        }
        Sigmoid::Hyperbolic => {
            let s = (1.0 / v).acosh();
            1.0 / (x * s).cosh()
        }
        Sigmoid::LongTail => {
            let s = (1.0 / v - 1.0).sqrt();
            1.0 / ((x * s).powi(2) + 1.0)
        }
        Sigmoid::Reciprocal => {
            let s = 1.0 / v - 1.0;
            1.0 / (x.abs() * s + 1.0)
        }
        Sigmoid::Cosine => {
            let sx = x * (2.0 * v - 1.0).acos() / std::f64::consts::PI;
            if sx.abs() < 1.0 {
                (1.0 + (std::f64::consts::PI * sx).cos()) / 2.0
            } else {
                0.0
            }
        }
        Sigmoid::Linear => {
            let sx = x * (1.0 - v);
            if sx.abs() < 1.0 { 1.0 - sx } else { 0.0 }
        }
        Sigmoid::Quadratic => {
            let sx = x * (1.0 - v).sqrt();
            if sx.abs() < 1.0 { 1.0 - sx * sx } else { 0.0 }
        }
        Sigmoid::TanhSquared => {
            let s = (1.0 - v).sqrt().atanh();
            1.0 - (x * s).tanh().powi(2)
        }
    }
}

/// `rewards.tolerance`: 1 when `lower <= x <= upper`; outside, `sigmoid(d / margin)` with `d`
/// the distance to the nearest bound (0 when `margin == 0`).
///
/// Panics when `lower > upper` or `margin < 0`, as dm_control raises.
pub fn tolerance(
    x: f64,
    bounds: (f64, f64),
    margin: f64,
    kind: Sigmoid,
    value_at_margin: f64,
) -> f64 {
    let (lower, upper) = bounds;
    assert!(
        lower <= upper,
        "tolerance: lower bound {lower} must be <= upper bound {upper}"
    );
    assert!(
        margin >= 0.0,
        "tolerance: margin {margin} must be non-negative"
    );
    let in_bounds = lower <= x && x <= upper;
    if in_bounds {
        1.0
    } else if margin == 0.0 {
        0.0
    } else {
        let d = if x < lower { lower - x } else { x - upper } / margin;
        sigmoid(d, value_at_margin, kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Sigmoid; 8] = [
        Sigmoid::Gaussian,
        Sigmoid::Hyperbolic,
        Sigmoid::LongTail,
        Sigmoid::Reciprocal,
        Sigmoid::Cosine,
        Sigmoid::Linear,
        Sigmoid::Quadratic,
        Sigmoid::TanhSquared,
    ];

    #[test]
    fn every_sigmoid_is_one_at_zero_and_value_at_one() {
        for k in ALL {
            for v in [0.1, 0.5, 0.9] {
                assert!((sigmoid(0.0, v, k) - 1.0).abs() < 1e-15, "{k:?}");
                assert!((sigmoid(1.0, v, k) - v).abs() < 1e-12, "{k:?} v={v}");
                assert!(sigmoid(0.5, v, k) > v && sigmoid(0.5, v, k) < 1.0, "{k:?}");
            }
        }
    }

    #[test]
    fn long_tail_matches_the_closed_form() {
        // value_at_1 = 0.1: scale² = 9, so f(x) = 1 / (9x² + 1).
        for x in [0.0, 0.25, 1.0, 2.0, 10.0] {
            let want = 1.0 / (9.0 * x * x + 1.0);
            assert!((sigmoid(x, 0.1, Sigmoid::LongTail) - want).abs() < 1e-15);
        }
    }

    #[test]
    fn swimmer_reward_by_hand() {
        // target_size 0.1: inside 0.1 → 1; at 0.1 + 0.5 (one margin) → 0.1; at 0.35 → d = 0.5,
        // 1 / (9/4 + 1) = 4/13.
        let r = |dist: f64| tolerance(dist, (0.0, 0.1), 0.5, Sigmoid::LongTail, 0.1);
        assert_eq!(r(0.0), 1.0);
        assert_eq!(r(0.1), 1.0);
        assert!((r(0.6) - 0.1).abs() < 1e-15);
        assert!((r(0.35) - 4.0 / 13.0).abs() < 1e-15);
        assert!(r(5.0) > 0.0 && r(5.0) < 0.002);
    }

    #[test]
    fn margin_zero_is_a_hard_indicator_and_below_lower_counts() {
        assert_eq!(tolerance(0.5, (0.0, 1.0), 0.0, Sigmoid::Gaussian, 0.1), 1.0);
        assert_eq!(tolerance(1.5, (0.0, 1.0), 0.0, Sigmoid::Gaussian, 0.1), 0.0);
        // Below the lower bound, the distance is lower - x.
        let below = tolerance(-2.0, (0.0, 1.0), 2.0, Sigmoid::Linear, 0.1);
        assert!((below - 0.1).abs() < 1e-15);
    }

    #[test]
    fn bounded_shapes_reach_zero() {
        for k in [Sigmoid::Cosine, Sigmoid::Linear, Sigmoid::Quadratic] {
            assert_eq!(sigmoid(100.0, 0.1, k), 0.0, "{k:?}");
            assert_eq!(sigmoid(1.0, 0.0, k), 0.0, "{k:?}");
        }
    }

    #[test]
    #[should_panic(expected = "must lie in (0, 1)")]
    fn gaussian_rejects_zero_value_at_margin() {
        sigmoid(0.5, 0.0, Sigmoid::Gaussian);
    }

    #[test]
    #[should_panic(expected = "lower bound")]
    fn reversed_bounds_are_rejected() {
        tolerance(0.0, (1.0, 0.0), 0.1, Sigmoid::LongTail, 0.1);
    }
}
