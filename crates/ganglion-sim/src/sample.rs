//! Drawing values from a [`Distribution`].

use crate::rng::Stream;
use ganglion_model::Distribution;

/// Draw element `i`'s value (lists are indexed by `i`; clipped distributions are redrawn,
/// giving up after 1000 tries and clamping).
pub fn draw(d: &Distribution, i: usize, s: &mut Stream) -> f64 {
    match d {
        Distribution::Const(v) => *v,
        Distribution::Uniform { low, high } => low + (high - low) * s.uniform(),
        Distribution::Normal {
            mean,
            std,
            min,
            max,
        } => clipped(|s| mean + std * s.normal(), *min, *max, s),
        Distribution::LogNormal {
            mu,
            sigma,
            min,
            max,
        } => clipped(|s| (mu + sigma * s.normal()).exp(), *min, *max, s),
        Distribution::List(v) => v[i],
    }
}

fn clipped(
    mut f: impl FnMut(&mut Stream) -> f64,
    min: Option<f64>,
    max: Option<f64>,
    s: &mut Stream,
) -> f64 {
    let lo = min.unwrap_or(f64::NEG_INFINITY);
    let hi = max.unwrap_or(f64::INFINITY);
    for _ in 0..1000 {
        let x = f(s);
        if x >= lo && x <= hi {
            return x;
        }
    }
    f(s).clamp(lo, hi)
}

/// Draw `n` values, or `None` when the distribution is a constant.
pub fn draw_all(d: &Distribution, n: usize, s: &mut Stream) -> Option<Vec<f64>> {
    match d {
        Distribution::Const(_) => None,
        _ => Some((0..n).map(|i| draw(d, i, s)).collect()),
    }
}
