//! What a neuron model says about itself: parameters with units, defaults and allowed ranges,
//! state variables, how synaptic input enters, and the facts validation needs (which
//! parameter is the threshold, what must lie below it). One [`ModelInfo`] per model, kept
//! in the model's own file; [`crate::MODELS`] lists them all.

use crate::kernel::{NeuronGroup, PopValues};
pub use ganglion_base::units::Dim;

/// How a model receives synaptic input, which fixes the unit of weights into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SynapseKind {
    /// Exponential or alpha currents; weights in pA, negative = inhibitory.
    Current,
    /// Exponential conductances; weights in nS (≥ 0), the receptor picks the reversal potential.
    Conductance,
    /// Instantaneous voltage jumps; weights in mV.
    Delta,
    /// Rate units: rate inputs are summed continuously, spikes add jumps; dimensionless weights.
    Rate,
}

impl SynapseKind {
    /// Dimension of weights into this kind of model.
    pub fn weight_dim(self) -> Dim {
        match self {
            SynapseKind::Current => Dim::Current,
            SynapseKind::Conductance => Dim::Conductance,
            SynapseKind::Delta => Dim::Voltage,
            SynapseKind::Rate => Dim::Dimensionless,
        }
    }
    /// Whether the model has separate excitatory and inhibitory receptor channels.
    pub fn has_two_receptors(self) -> bool {
        matches!(self, SynapseKind::Current | SynapseKind::Conductance)
    }
}

/// The values a parameter may take (checked at validation, for every neuron).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Any finite value.
    Any,
    /// Strictly positive (time constants, capacitances, conductances).
    Positive,
    /// Zero or more (refractory periods, adaptation increments).
    NonNegative,
}

/// One model parameter.
#[derive(Debug, Clone, Copy)]
pub struct ParamInfo {
    /// Name as written in specs (NEST's name where it exists).
    pub name: &'static str,
    /// Physical dimension.
    pub dim: Dim,
    /// Default value in the base unit of `dim`.
    pub default: f64,
    /// Allowed values.
    pub range: Range,
    /// What it is.
    pub doc: &'static str,
}

/// Default initial value of a state variable.
#[derive(Debug, Clone, Copy)]
pub enum StateDefault {
    /// A constant in base units.
    Const(f64),
    /// The value of a parameter (e.g. `V_m` starts at `E_L`).
    Param(&'static str),
}

/// One state variable.
#[derive(Debug, Clone, Copy)]
pub struct StateInfo {
    /// Name as written in specs and recordings.
    pub name: &'static str,
    /// Physical dimension.
    pub dim: Dim,
    /// Default initial value.
    pub default: StateDefault,
    /// What it is.
    pub doc: &'static str,
}

/// Builds one partition's neurons `lo..lo+n` of a population from its parameter and
/// initial-state values, with time step `dt` \[ms\] and the population's random-stream `key`.
pub type BuildFn =
    fn(values: &PopValues, lo: usize, n: usize, dt: f64, key: u64) -> Box<dyn NeuronGroup>;

/// A neuron model: its interface (for specs, validation and `ganglion models`) and how to
/// build its kernel. Made with [`ModelInfo::spiking`] or [`ModelInfo::rate_unit`], whose
/// arguments are what every model must say, and the `with_*` methods for optional facts.
#[derive(Debug, Clone, Copy)]
pub struct ModelInfo {
    /// Model name as written in specs.
    pub name: &'static str,
    /// One line: what it is.
    pub summary: &'static str,
    /// How synaptic input enters.
    pub synapse: SynapseKind,
    /// True for spiking models, false for rate units.
    pub spiking: bool,
    /// Parameters, in the order of [`PopValues::params`].
    pub params: &'static [ParamInfo],
    /// State variables, in the order of [`PopValues::init`] and of recordings.
    pub state: &'static [StateInfo],
    /// The spike-threshold parameter that intrinsic plasticity (homeostasis) adapts, if the
    /// model has one ([`NeuronGroup::threshold_mut`] returns its lane).
    pub threshold: Option<&'static str>,
    /// `(reset, threshold)`: a parameter that must lie below another for every neuron.
    pub reset_below: Option<(&'static str, &'static str)>,
    /// Whether `ganglion train` has a differentiable twin of this model.
    pub differentiable: bool,
    /// Whether the model takes gap-junction (electrical synapse) currents: its first state
    /// variable is the coupled potential (mV; the activation of a rate unit) and its external
    /// current lane is in conductance × potential (nS·mV = pA; dimensionless for rate units).
    pub gap_junctions: bool,
    /// Whether the model is an astrocyte whose output is a slow inward current (its
    /// [`NeuronGroup::rates`] lane) that `synapse = "sic"` projections inject into neurons.
    pub sic_output: bool,
    /// The kernel's constructor.
    pub build: BuildFn,
}

impl ModelInfo {
    /// A spiking model without threshold facts (add them with [`Self::with_threshold`]).
    pub const fn spiking(
        name: &'static str,
        summary: &'static str,
        synapse: SynapseKind,
        params: &'static [ParamInfo],
        state: &'static [StateInfo],
        build: BuildFn,
    ) -> ModelInfo {
        ModelInfo {
            name,
            summary,
            synapse,
            spiking: true,
            params,
            state,
            threshold: None,
            reset_below: None,
            differentiable: false,
            gap_junctions: false,
            sic_output: false,
            build,
        }
    }

    /// A rate unit (dimensionless weights, no spikes).
    pub const fn rate_unit(
        name: &'static str,
        summary: &'static str,
        params: &'static [ParamInfo],
        state: &'static [StateInfo],
        build: BuildFn,
    ) -> ModelInfo {
        ModelInfo {
            spiking: false,
            ..ModelInfo::spiking(name, summary, SynapseKind::Rate, params, state, build)
        }
    }

    /// The model has an adaptable spike threshold `threshold` (homeostasis moves it), and
    /// `reset` must lie below it.
    pub const fn with_threshold(self, threshold: &'static str, reset: &'static str) -> Self {
        ModelInfo {
            threshold: Some(threshold),
            reset_below: Some((reset, threshold)),
            ..self
        }
    }

    /// Parameter `reset` must lie below `threshold` (without making it adaptable).
    pub const fn with_reset_below(self, reset: &'static str, threshold: &'static str) -> Self {
        ModelInfo {
            reset_below: Some((reset, threshold)),
            ..self
        }
    }

    /// `ganglion train` has a differentiable twin of the model.
    pub const fn with_twin(self) -> Self {
        ModelInfo {
            differentiable: true,
            ..self
        }
    }

    /// The model takes gap-junction currents (see [`Self::gap_junctions`]).
    pub const fn with_gap_junctions(self) -> Self {
        ModelInfo {
            gap_junctions: true,
            ..self
        }
    }

    /// The model's output is a slow inward current (see [`Self::sic_output`]).
    pub const fn with_sic_output(self) -> Self {
        ModelInfo {
            sic_output: true,
            ..self
        }
    }

    /// A parameter by name.
    pub fn param(&self, name: &str) -> Option<&ParamInfo> {
        self.params.iter().find(|p| p.name == name)
    }
    /// Index of a parameter by name.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }
    /// A state variable by name.
    pub fn state_var(&self, name: &str) -> Option<&StateInfo> {
        self.state.iter().find(|p| p.name == name)
    }
}

/// Declares a model's parameters once: a struct with one named `f64` field per parameter
/// (built from values in catalogue order by `from_values`) and the catalogue list `INFO`
/// ([`ParamInfo`] per field, same order), so the two can never disagree.
///
/// ```
/// ganglion_neurons::params! {
///     /// Parameters of a toy model.
///     pub struct Toy {
///         tau: "tau", Time, 10.0, Positive, "time constant";
///         v_th: "V_th", Voltage, -50.0, Any, "threshold";
///     }
/// }
/// assert_eq!(Toy::INFO[1].name, "V_th");
/// assert_eq!(Toy::from_values(&[20.0, -55.0]).tau, 20.0);
/// ```
#[macro_export]
macro_rules! params {
    ($(#[$m:meta])* pub struct $name:ident {
        $($field:ident : $pname:literal, $dim:ident, $def:expr, $range:ident, $doc:literal;)*
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct $name {
            $(#[doc = concat!("`", $pname, "`: ", $doc)] pub $field: f64,)*
        }
        impl $name {
            /// The catalogue entries of these parameters, in field order.
            pub const INFO: &'static [$crate::ParamInfo] = &[$($crate::ParamInfo {
                name: $pname,
                dim: $crate::Dim::$dim,
                default: $def,
                range: $crate::Range::$range,
                doc: $doc,
            },)*];
            /// One neuron's parameters from values in catalogue order (base units).
            pub fn from_values(p: &[f64]) -> Self {
                let mut it = p.iter().copied();
                let mut next = || it.next().expect("one value per parameter");
                $name { $($field: next(),)* }
            }
        }
    };
}

/// `lif_params! { /// doc\n pub struct Params { extra fields } }`: [`params!`] with the seven
/// parameters every LIF model shares first (C_m, tau_m, E_L, V_th, V_reset, t_ref, I_e, NEST's
/// defaults), then the model's own.
#[macro_export]
macro_rules! lif_params {
    ($(#[$m:meta])* pub struct $name:ident { $($rest:tt)* }) => {
        $crate::params! {
            $(#[$m])*
            pub struct $name {
                c_m: "C_m", Capacitance, 250.0, Positive, "membrane capacitance";
                tau_m: "tau_m", Time, 10.0, Positive, "membrane time constant";
                e_l: "E_L", Voltage, -70.0, Any, "resting potential";
                v_th: "V_th", Voltage, -55.0, Any, "spike threshold";
                v_reset: "V_reset", Voltage, -70.0, Any, "reset potential";
                t_ref: "t_ref", Time, 2.0, NonNegative, "absolute refractory period";
                i_e: "I_e", Current, 0.0, Any, "constant external current";
                $($rest)*
            }
        }
        impl $name {
            /// The derived constants every LIF model shares, at step `h` \[ms\], in this
            /// order (see [`crate::refractory::LIF_CONSTANTS`]): the voltage a constant
            /// current moves V by over one step [mV/pA] (τm/C_m·(1 − e^(−h/τm))), E_L,
            /// V_th − E_L, V_reset − E_L, I_e, and t_ref in steps.
            pub fn lif_constants(&self, h: f64) -> [f64; $crate::refractory::LIF_CONSTANTS] {
                let p = (-h / self.tau_m).exp();
                [
                    self.tau_m / self.c_m * (1.0 - p),
                    self.e_l,
                    self.v_th - self.e_l,
                    self.v_reset - self.e_l,
                    self.i_e,
                    $crate::refractory::ref_steps(self.t_ref, h),
                ]
            }
        }
    };
}

/// A model's state variables, one line each: `name, Dim, default, doc;`, as a
/// `&'static [StateInfo]` in declaration order (the order `get` and recordings index).
///
/// ```
/// use ganglion_neurons::StateInfo;
/// const STATE: &[StateInfo] = ganglion_neurons::states! {
///     "V_m", Voltage, Param("E_L"), "membrane potential";
///     "w", Current, Const(0.0), "adaptation current";
/// };
/// assert_eq!(STATE[1].name, "w");
/// ```
#[macro_export]
macro_rules! states {
    ($($name:literal, $dim:ident, $default:ident $(($arg:expr))?, $doc:literal;)*) => {
        &[$($crate::StateInfo {
            name: $name,
            dim: $crate::Dim::$dim,
            default: $crate::StateDefault::$default $(($arg))?,
            doc: $doc,
        },)*]
    };
}

/// Shorthand for a [`StateInfo`].
pub const fn state(
    name: &'static str,
    dim: Dim,
    default: StateDefault,
    doc: &'static str,
) -> StateInfo {
    StateInfo {
        name,
        dim,
        default,
        doc,
    }
}

/// Index of parameter `name` in `params`, evaluated at compile time where used in a `const`
/// (a misspelt name is then a compile error, not a run-time surprise).
pub const fn index_of(params: &[ParamInfo], name: &str) -> usize {
    let mut k = 0;
    while k < params.len() {
        if str_eq(params[k].name, name) {
            return k;
        }
        k += 1;
    }
    panic!("no parameter of that name")
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
