//! # ganglion-neurons
//!
//! Every neuron model Ganglion simulates, one file each. A model file holds, NEST-style:
//! its parameters (a named struct declared once with [`params!`], which also yields the
//! catalogue list with units, defaults and allowed ranges), its state variables, its derived
//! constants (propagators computed once from dt), its partition type and its kernel (a
//! branch-light loop that vectorises, built twice for AVX2 and AVX-512), and one
//! [`ModelInfo`] constant that says all of this to the rest of Ganglion. [`MODELS`] lists
//! them; validation (`ganglion-model`), the engine (`ganglion-sim`), `ganglion models` and the
//! differentiable twin (`ganglion-train`) all read that one table.
//!
//! Adding a model touches two source files — the model's own and the [`MODELS`] line — plus
//! its test (see `CONTRIBUTING.md`).
//!
//! ```
//! use ganglion_neurons::{Column, PopValues, model};
//! let m = model("iaf_psc_exp").unwrap();
//! assert_eq!(m.param("tau_m").unwrap().default, 10.0);
//! // Ten neurons with default parameters, at rest, dt = 0.1 ms.
//! let values = PopValues {
//!     params: m.params.iter().map(|p| Column::Const(p.default)).collect(),
//!     init: vec![Column::Const(-70.0), Column::Const(0.0), Column::Const(0.0)],
//! };
//! let group = (m.build)(&values, 0, 10, 0.1, 0);
//! assert_eq!(group.get(0, 3), -70.0);
//! ```

pub mod catalogue;
pub mod kernel;
pub mod propagators;
pub mod refractory;
mod simd;

pub mod aeif_psc_exp;
pub mod astrocyte_lr_1994;
pub mod iaf_cond_exp;
pub mod iaf_psc_alpha;
pub mod iaf_psc_delta;
pub mod iaf_psc_exp;
pub mod iaf_psc_exp_adapt;
pub mod izhikevich;
pub mod poisson_source;
pub mod rate;

pub use catalogue::{
    BuildFn, Dim, ModelInfo, ParamInfo, Range, StateDefault, StateInfo, SynapseKind, index_of,
    state,
};
pub use kernel::{Column, NeuronGroup, PopValues, StepIo};
pub use simd::force_baseline_kernels;

/// Every model Ganglion knows, in the order `ganglion models` lists them.
pub const MODELS: &[ModelInfo] = &[
    iaf_psc_exp::MODEL,
    iaf_psc_alpha::MODEL,
    iaf_cond_exp::MODEL,
    iaf_psc_delta::MODEL,
    iaf_psc_exp_adapt::MODEL,
    aeif_psc_exp::MODEL,
    izhikevich::MODEL,
    poisson_source::MODEL,
    rate::TANH,
    rate::RELU,
    rate::SIGMOID,
    rate::LINEAR,
    rate::ESN_SIGMOID,
    rate::ESN_TANH,
    astrocyte_lr_1994::MODEL,
];

/// A model by name.
pub fn model(name: &str) -> Option<&'static ModelInfo> {
    MODELS.iter().find(|m| m.name == name)
}

/// The names of all models (for hints and listings).
pub fn model_names() -> Vec<&'static str> {
    MODELS.iter().map(|m| m.name).collect()
}
