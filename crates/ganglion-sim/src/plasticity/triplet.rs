//! Triplet STDP (Pfister & Gerstner 2006, all-to-all): potentiation A₂⁺ + A₃⁺·o₂ times the
//! presynaptic trace r₁ at a post spike, depression A₂⁻ + A₃⁻·r₂ times the postsynaptic trace
//! o₁ at a pre spike, both scaled by w_max.

use super::{Bounds, TraceRule};
use ganglion_model::PlasticRule;

/// `rule = "triplet"`.
#[derive(Debug)]
pub struct Triplet {
    taus: [f64; 4],
    a2_plus: f32,
    a3_plus: f32,
    a2_minus: f32,
    a3_minus: f32,
}

impl Triplet {
    /// From the validated rule.
    pub fn new(rule: &PlasticRule) -> Triplet {
        let PlasticRule::Triplet {
            tau_plus,
            tau_minus,
            tau_x,
            tau_y,
            a2_plus,
            a3_plus,
            a2_minus,
            a3_minus,
        } = *rule
        else {
            unreachable!("plasticity::new dispatches Triplet here")
        };
        Triplet {
            taus: [tau_plus, tau_x, tau_minus, tau_y],
            a2_plus: a2_plus as f32,
            a3_plus: a3_plus as f32,
            a2_minus: a2_minus as f32,
            a3_minus: a3_minus as f32,
        }
    }
}

impl TraceRule for Triplet {
    fn taus(&self) -> [Option<f64>; 4] {
        self.taus.map(Some)
    }

    #[inline(always)]
    fn potentiate(&self, _: f32, r1: f32, o2: f32, b: &Bounds) -> f32 {
        r1 * (self.a2_plus + self.a3_plus * o2) * b.w_max
    }

    #[inline(always)]
    fn depress(&self, _: f32, o1: f32, r2: f32, b: &Bounds) -> f32 {
        -o1 * (self.a2_minus + self.a3_minus * r2) * b.w_max
    }
}
