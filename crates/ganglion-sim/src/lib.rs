//! # ganglion-sim
//!
//! The CPU engine: lowers a validated circuit ([`ganglion_model::Resolved`]) into
//! structure-of-arrays neuron state, CSR synapses and per-target delay ring buffers, and runs
//! the step loop (schedule documented in [`network`]) on one or more threads with results
//! that do not depend on the thread count.
//!
//! ```
//! use ganglion_model::*;
//! let c = Circuit::new(Simulation::new("0.1 ms", "200 ms"))
//!     .population(Population::new("n", 10, "iaf_psc_exp").param("tau_m", "20 ms"))
//!     .input(Input::current("n", "400 pA"))
//!     .monitor(Monitor::spikes("n"));
//! let r = validate_circuit(&c).unwrap();
//! let mut net = ganglion_sim::Network::build(&r).unwrap();
//! let res = net.run(None).unwrap();
//! assert!(res.populations[0].spike_count > 0);
//! ```

pub mod connect;
mod coupling;
mod delivery;
pub mod distributed;
mod exchange;
mod gap;
mod homeostasis;
mod inputs;
mod lower;
pub use ganglion_neurons as models;
pub mod network;
pub mod plasticity;
pub mod record;
mod reuse;
mod schedule;
mod sic;
pub use ganglion_base::rng;
pub mod sample;

pub use network::Network;
pub use record::PopMeta;
pub use record::{OutputFile, PopSummary, RateData, Results, SpikeData, StateData, WeightData};
pub use reuse::SynapseCache;

/// Errors from building or running a network.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A state variable became NaN or infinite.
    #[error(
        "population \"{population}\": neuron {neuron} has a non-finite state at step {step} (t = {time_ms} ms)\n  hint: the parameters or inputs make the model diverge; check weights, currents and time constants, or reduce dt"
    )]
    NonFinite {
        /// Population name.
        population: String,
        /// Neuron index in the population.
        neuron: usize,
        /// Step index.
        step: u64,
        /// Time at the end of that step \[ms\].
        time_ms: f64,
    },
    /// The network could not be built.
    #[error("{0}")]
    Build(String),
}

/// Validate-free convenience: build and run a resolved circuit.
pub fn simulate(r: &ganglion_model::Resolved) -> Result<Results, SimError> {
    Network::build(r)?.run(None)
}
