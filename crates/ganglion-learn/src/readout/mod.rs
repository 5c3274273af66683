//! Readouts: ridge regression (batch), recursive least squares / FORCE (online) and an online
//! three-factor Hebbian readout.

pub mod ridge;
pub mod rls;
pub mod three_factor;

pub use ridge::{CvReport, Ridge, default_alpha_grid};
pub use rls::Rls;
pub use three_factor::ThreeFactorReadout;
