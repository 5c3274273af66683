//! # ganglion-model
//!
//! The declarative circuit spec: populations of neuron models, projections with connection
//! rules, weights and delays (values or distributions), inputs and monitors. Values carry
//! units as strings and are checked once by [`validate()`], which resolves the spec into plain
//! floats in NEST's unit system (ms, mV, pA, nS, pF, Hz). No engine code lives here.
//!
//! ```
//! use ganglion_model::*;
//! let c = Circuit::new(Simulation::new("0.1 ms", "100 ms"))
//!     .population(Population::new("exc", 80, "iaf_psc_exp").param("tau_m", "20 ms"))
//!     .projection(Projection::new("exc", "exc", Connectivity::fixed_probability(0.1))
//!         .weight("20 pA").delay("1.5 ms"))
//!     .input(Input::poisson("exc", "8000 Hz", "10 pA"))
//!     .monitor(Monitor::spikes("exc"));
//! let r = validate_circuit(&c).unwrap();
//! assert_eq!(r.steps, 1000);
//! assert_eq!(r.populations[0].param("tau_m").unwrap().as_const(), Some(20.0));
//!
//! let bad = Circuit::new(Simulation::new("0.1 ms", "100 ms"))
//!     .population(Population::new("exc", 80, "iaf_psc_exp").param("tau_m", "-20 ms"));
//! let err = validate_circuit(&bad).unwrap_err().to_string();
//! assert!(err.contains("tau_m must be positive"));
//! ```

pub use ganglion_base::{npy, units};

pub mod error;
pub mod memory;
pub mod resolved;
pub mod spec;
pub mod spec_path;
pub mod validate;

pub use error::{ModelError, Problem, SourceMap};
pub use ganglion_neurons::{MODELS, ModelInfo, SynapseKind, model};

/// The neuron-model catalogue (defined with each model in `ganglion-neurons`) and name hints.
pub mod models {
    pub use ganglion_base::names::{closest, did_you_mean};
    pub use ganglion_neurons::catalogue::*;
    pub use ganglion_neurons::{MODELS, model, model_names};
}
pub use resolved::*;
pub use spec::*;
pub use spec_path::set_path;
pub use validate::{Source, load, load_and_validate, parse_str, validate, validate_circuit};
