//! Power-law STDP (Morrison et al. 2007; NEST's `stdp_pl_synapse_hom`):
//! Δw = λ·w^μ·x_pre at a post spike and −λ·α·w·y_post at a pre spike.

use super::{Bounds, TraceRule};
use ganglion_model::PlasticRule;

/// `rule = "power_law"`.
#[derive(Debug)]
pub struct PowerLaw {
    tau_plus: f64,
    tau_minus: f64,
    lambda: f32,
    mu: f32,
    /// −λ·α, computed in f64 once.
    minus_lambda_alpha: f32,
}

impl PowerLaw {
    /// From the validated rule.
    pub fn new(rule: &PlasticRule) -> PowerLaw {
        let PlasticRule::PowerLaw {
            tau_plus,
            tau_minus,
            lambda,
            alpha,
            mu,
        } = *rule
        else {
            unreachable!("plasticity::new dispatches PowerLaw here")
        };
        PowerLaw {
            tau_plus,
            tau_minus,
            lambda: lambda as f32,
            mu: mu as f32,
            minus_lambda_alpha: -(lambda * alpha) as f32,
        }
    }
}

impl TraceRule for PowerLaw {
    fn taus(&self) -> [Option<f64>; 4] {
        [Some(self.tau_plus), None, Some(self.tau_minus), None]
    }

    #[inline(always)]
    fn potentiate(&self, m: f32, pre_fast: f32, _: f32, _: &Bounds) -> f32 {
        self.lambda * m.max(0.0).powf(self.mu) * pre_fast
    }

    #[inline(always)]
    fn depress(&self, m: f32, post_fast: f32, _: f32, _: &Bounds) -> f32 {
        self.minus_lambda_alpha * m * post_fast
    }
}
