//! Pair-based STDP (Song, Miller & Abbott 2000; van Rossum et al. 2000 for soft bounds):
//! Δw = A₊·e^{−Δt/τ₊} for pre-before-post, −A₋·e^{Δt/τ₋} for post-before-pre, scaled by
//! w_max (additive) or by the distance to the bound (multiplicative); all-to-all or
//! nearest-spike pairing.

use super::{Bounds, TraceRule};
use ganglion_model::PlasticRule;

/// `rule = "stdp"`.
#[derive(Debug)]
pub struct Stdp {
    tau_plus: f64,
    tau_minus: f64,
    a_plus: f32,
    a_minus: f32,
    multiplicative: bool,
    nearest: bool,
}

impl Stdp {
    /// From the validated rule.
    pub fn new(rule: &PlasticRule) -> Stdp {
        let PlasticRule::Pair {
            tau_plus,
            tau_minus,
            a_plus,
            a_minus,
            multiplicative,
            nearest,
        } = *rule
        else {
            unreachable!("plasticity::new dispatches Pair here")
        };
        Stdp {
            tau_plus,
            tau_minus,
            a_plus: a_plus as f32,
            a_minus: a_minus as f32,
            multiplicative,
            nearest,
        }
    }
}

impl TraceRule for Stdp {
    fn taus(&self) -> [Option<f64>; 4] {
        [Some(self.tau_plus), None, Some(self.tau_minus), None]
    }

    fn nearest(&self) -> bool {
        self.nearest
    }

    #[inline(always)]
    fn potentiate(&self, m: f32, pre_fast: f32, _: f32, b: &Bounds) -> f32 {
        let f = if self.multiplicative {
            self.a_plus * (b.w_max - m)
        } else {
            self.a_plus * b.w_max
        };
        f * pre_fast
    }

    #[inline(always)]
    fn depress(&self, m: f32, post_fast: f32, _: f32, b: &Bounds) -> f32 {
        let f = if self.multiplicative {
            self.a_minus * (m - b.w_min)
        } else {
            self.a_minus * b.w_max
        };
        -f * post_fast
    }
}
