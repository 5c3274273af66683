//! Readouts: ridge regression (batch), recursive least squares / FORCE (online) and an online
//! three-factor Hebbian readout, and the online protocols that compare them on changing tasks
//! ([`online`]).

pub mod online;
pub mod ridge;
pub mod rls;
pub mod three_factor;

pub use online::{
    ForceReadout, OnlineReadout, OnlineStream, OnlineTrace, readaptation_epochs, run_protocol,
};
pub use ridge::{CvReport, Ridge, default_alpha_grid};
pub use rls::Rls;
pub use three_factor::ThreeFactorReadout;
