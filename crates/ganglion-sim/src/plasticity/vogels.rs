//! Inhibitory STDP (Vogels et al. 2011): a symmetric window with one trace per side;
//! Δw = η·x_pre at a post spike and η·(y_post − α) at a pre spike, α = 2·ρ₀·τ, which drives
//! the target toward the rate ρ₀.

use super::{Bounds, TraceRule};
use ganglion_model::PlasticRule;

/// `rule = "vogels"`.
#[derive(Debug)]
pub struct Vogels {
    tau: f64,
    eta: f32,
    alpha: f32,
}

impl Vogels {
    /// From the validated rule.
    pub fn new(rule: &PlasticRule) -> Vogels {
        let PlasticRule::Vogels { tau, eta, alpha } = *rule else {
            unreachable!("plasticity::new dispatches Vogels here")
        };
        Vogels {
            tau,
            eta: eta as f32,
            alpha: alpha as f32,
        }
    }
}

impl TraceRule for Vogels {
    fn taus(&self) -> [Option<f64>; 4] {
        [Some(self.tau), None, Some(self.tau), None]
    }

    #[inline(always)]
    fn potentiate(&self, _: f32, pre_fast: f32, _: f32, _: &Bounds) -> f32 {
        self.eta * pre_fast
    }

    #[inline(always)]
    fn depress(&self, _: f32, post_fast: f32, _: f32, _: &Bounds) -> f32 {
        self.eta * (post_fast - self.alpha)
    }
}
