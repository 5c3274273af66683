//! # ganglion-learn
//!
//! Local learning and reservoir computing for Ganglion: rate-based plasticity rules
//! ([`rules`]: Hebbian, Oja, Sanger / Oja subspace, Földiák, BCM), echo state networks
//! ([`esn`]: sparse leaky-tanh reservoirs with an exact spectral radius and an optional Dale
//! split), readouts ([`readout`]: ridge regression with cross-validation, RLS, three-factor),
//! FORCE learning ([`force`]), benchmark series and metrics ([`tasks`], [`metrics`]) and the
//! train-and-evaluate runner behind `ganglion reservoir` ([`task`]).
//!
//! ```
//! use ganglion_learn::{EsnConfig, Ridge, metrics, tasks};
//!
//! // Mackey–Glass one-step prediction with a 200-unit reservoir.
//! let x = tasks::rescale_to_unit(&tasks::MackeyGlass::default().generate(2001)?);
//! let (u, y) = (&x[..2000], &x[1..]);
//! let mut esn = EsnConfig { units: 200, ..EsnConfig::default() }.build(42)?;
//! esn.run(&u[..100])?;                                  // washout
//! let train = esn.run(&u[100..1600])?;                  // states, 1500 × 200
//! let readout = Ridge::fit(&train, &y[100..1600], 1e-6)?;
//! let test = esn.run(&u[1600..])?;                      // continues from the last state
//! let err = metrics::nrmse(&readout.predict(&test), &y[1600..]);
//! assert!(err < 0.05, "NRMSE {err}");
//! # Ok::<(), ganglion_learn::LearnError>(())
//! ```

pub mod ei_reservoir;
pub mod error;
pub mod esn;
pub mod force;
pub mod hd_kernel;
pub mod lsm;
pub mod metrics;
pub mod npy;
pub mod readout;
pub mod rng;
pub mod rules;
pub mod sfq;
pub mod sparse;
pub mod spectral;
pub mod task;
pub mod tasks;

pub use error::{LearnError, Result};
pub use esn::{
    Activation, DaleSplit, Esn, EsnConfig, InputWeights, Kernel, RecurrentWeights, States,
};
pub use force::{ForceConfig, ForceNetwork};
pub use readout::{CvReport, Ridge, Rls, ThreeFactorReadout};
pub use sparse::{BlockedMatrix, CsrMatrix};
pub use task::{PredictionMode, ReservoirReport, ReservoirTaskArgs, Task, run_reservoir_task};
