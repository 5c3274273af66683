//! The catalogue of neuron models: names, parameters with units and defaults, state variables.
//!
//! Defaults follow NEST 3 where the model exists there. Equations and integration schemes are
//! documented with each model's kernel in `ganglion-sim`.

use crate::units::Dim;

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

/// One model parameter.
#[derive(Debug, Clone, Copy)]
pub struct ParamInfo {
    /// Name as written in specs (NEST's name where it exists).
    pub name: &'static str,
    /// Physical dimension.
    pub dim: Dim,
    /// Default value in the base unit of `dim`.
    pub default: f64,
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

/// A neuron model's interface.
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
    /// Parameters.
    pub params: &'static [ParamInfo],
    /// State variables.
    pub state: &'static [StateInfo],
}

impl ModelInfo {
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

macro_rules! p {
    ($name:literal, $dim:ident, $def:expr, $doc:literal) => {
        ParamInfo {
            name: $name,
            dim: Dim::$dim,
            default: $def,
            doc: $doc,
        }
    };
}
macro_rules! s {
    ($name:literal, $dim:ident, $def:expr, $doc:literal) => {
        StateInfo {
            name: $name,
            dim: Dim::$dim,
            default: $def,
            doc: $doc,
        }
    };
}

const LIF_COMMON: [ParamInfo; 7] = [
    p!("C_m", Capacitance, 250.0, "membrane capacitance"),
    p!("tau_m", Time, 10.0, "membrane time constant"),
    p!("E_L", Voltage, -70.0, "resting potential"),
    p!("V_th", Voltage, -55.0, "spike threshold"),
    p!("V_reset", Voltage, -70.0, "reset potential"),
    p!("t_ref", Time, 2.0, "absolute refractory period"),
    p!("I_e", Current, 0.0, "constant external current"),
];

const PSC_PARAMS: [ParamInfo; 9] = [
    LIF_COMMON[0],
    LIF_COMMON[1],
    LIF_COMMON[2],
    LIF_COMMON[3],
    LIF_COMMON[4],
    LIF_COMMON[5],
    LIF_COMMON[6],
    p!("tau_syn_ex", Time, 2.0, "excitatory synaptic time constant"),
    p!("tau_syn_in", Time, 2.0, "inhibitory synaptic time constant"),
];

const PSC_STATE: [StateInfo; 3] = [
    s!(
        "V_m",
        Voltage,
        StateDefault::Param("E_L"),
        "membrane potential"
    ),
    s!(
        "I_syn_ex",
        Current,
        StateDefault::Const(0.0),
        "excitatory synaptic current"
    ),
    s!(
        "I_syn_in",
        Current,
        StateDefault::Const(0.0),
        "inhibitory synaptic current"
    ),
];

const COND_PARAMS: [ParamInfo; 11] = [
    p!("C_m", Capacitance, 250.0, "membrane capacitance"),
    p!("g_L", Conductance, 16.6667, "leak conductance"),
    p!("E_L", Voltage, -70.0, "leak reversal potential"),
    p!("V_th", Voltage, -55.0, "spike threshold"),
    p!("V_reset", Voltage, -60.0, "reset potential"),
    p!("t_ref", Time, 2.0, "absolute refractory period"),
    p!("I_e", Current, 0.0, "constant external current"),
    p!("E_ex", Voltage, 0.0, "excitatory reversal potential"),
    p!("E_in", Voltage, -85.0, "inhibitory reversal potential"),
    p!(
        "tau_syn_ex",
        Time,
        0.2,
        "excitatory conductance time constant"
    ),
    p!(
        "tau_syn_in",
        Time,
        2.0,
        "inhibitory conductance time constant"
    ),
];

const COND_STATE: [StateInfo; 3] = [
    s!(
        "V_m",
        Voltage,
        StateDefault::Param("E_L"),
        "membrane potential"
    ),
    s!(
        "g_ex",
        Conductance,
        StateDefault::Const(0.0),
        "excitatory conductance"
    ),
    s!(
        "g_in",
        Conductance,
        StateDefault::Const(0.0),
        "inhibitory conductance"
    ),
];

const DELTA_PARAMS: [ParamInfo; 7] = LIF_COMMON;
const DELTA_STATE: [StateInfo; 1] = [s!(
    "V_m",
    Voltage,
    StateDefault::Param("E_L"),
    "membrane potential"
)];

const ADEX_PARAMS: [ParamInfo; 14] = [
    p!("C_m", Capacitance, 281.0, "membrane capacitance"),
    p!("g_L", Conductance, 30.0, "leak conductance"),
    p!("E_L", Voltage, -70.6, "leak reversal potential"),
    p!("V_th", Voltage, -50.4, "exponential threshold V_T"),
    p!("Delta_T", Voltage, 2.0, "slope factor of the exponential"),
    p!("V_peak", Voltage, 0.0, "spike detection threshold"),
    p!("V_reset", Voltage, -60.0, "reset potential"),
    p!("t_ref", Time, 0.0, "absolute refractory period"),
    p!("a", Conductance, 4.0, "subthreshold adaptation"),
    p!("b", Current, 80.5, "spike-triggered adaptation"),
    p!("tau_w", Time, 144.0, "adaptation time constant"),
    p!("I_e", Current, 0.0, "constant external current"),
    p!("tau_syn_ex", Time, 0.2, "excitatory synaptic time constant"),
    p!("tau_syn_in", Time, 2.0, "inhibitory synaptic time constant"),
];

const ADEX_STATE: [StateInfo; 4] = [
    s!(
        "V_m",
        Voltage,
        StateDefault::Param("E_L"),
        "membrane potential"
    ),
    s!("w", Current, StateDefault::Const(0.0), "adaptation current"),
    s!(
        "I_syn_ex",
        Current,
        StateDefault::Const(0.0),
        "excitatory synaptic current"
    ),
    s!(
        "I_syn_in",
        Current,
        StateDefault::Const(0.0),
        "inhibitory synaptic current"
    ),
];

const IZH_PARAMS: [ParamInfo; 6] = [
    p!("a", Dimensionless, 0.02, "recovery time scale [1/ms]"),
    p!("b", Dimensionless, 0.2, "recovery sensitivity to V_m"),
    p!("c", Voltage, -65.0, "after-spike reset of V_m"),
    p!(
        "d",
        Dimensionless,
        8.0,
        "after-spike increment of U_m [mV/ms]"
    ),
    p!("V_th", Voltage, 30.0, "spike cut-off (V_peak)"),
    p!(
        "I_e",
        Current,
        0.0,
        "constant input; 1 pA enters as 1 mV/ms (Izhikevich's units, as NEST does)"
    ),
];

const IZH_STATE: [StateInfo; 2] = [
    s!(
        "V_m",
        Voltage,
        StateDefault::Const(-65.0),
        "membrane potential"
    ),
    s!(
        "U_m",
        Dimensionless,
        StateDefault::Const(-13.0),
        "recovery variable"
    ),
];

const RATE_PARAMS: [ParamInfo; 3] = [
    p!("tau", Time, 10.0, "time constant of the activation x"),
    p!("gain", Dimensionless, 1.0, "slope: r = f(gain · x)"),
    p!(
        "bias",
        Dimensionless,
        0.0,
        "constant drive added to the input"
    ),
];

const RATE_STATE: [StateInfo; 2] = [
    s!(
        "x",
        Dimensionless,
        StateDefault::Const(0.0),
        "activation (leaky integral of input)"
    ),
    s!(
        "r",
        Dimensionless,
        StateDefault::Const(0.0),
        "output rate r = f(gain · x)"
    ),
];

const POISSON_PARAMS: [ParamInfo; 1] = [p!("rate", Frequency, 10.0, "firing rate")];

/// Every model Ganglion knows.
pub const MODELS: &[ModelInfo] = &[
    ModelInfo {
        name: "iaf_psc_exp",
        summary: "LIF, exponential synaptic currents (Vogels–Abbott CUBA); exact integration",
        synapse: SynapseKind::Current,
        spiking: true,
        params: &PSC_PARAMS,
        state: &PSC_STATE,
    },
    ModelInfo {
        name: "iaf_psc_alpha",
        summary: "LIF, alpha-shaped synaptic currents (NEST iaf_psc_alpha); exact integration",
        synapse: SynapseKind::Current,
        spiking: true,
        params: &PSC_PARAMS,
        state: &PSC_STATE,
    },
    ModelInfo {
        name: "iaf_cond_exp",
        summary: "LIF, exponential conductances (COBA); exponential integrator per step",
        synapse: SynapseKind::Conductance,
        spiking: true,
        params: &COND_PARAMS,
        state: &COND_STATE,
    },
    ModelInfo {
        name: "iaf_psc_delta",
        summary: "LIF, delta synapses (Brunel 2000 model A); exact integration",
        synapse: SynapseKind::Delta,
        spiking: true,
        params: &DELTA_PARAMS,
        state: &DELTA_STATE,
    },
    ModelInfo {
        name: "aeif_psc_exp",
        summary: "adaptive exponential IF (Brette & Gerstner 2005), exponential currents; RK4",
        synapse: SynapseKind::Current,
        spiking: true,
        params: &ADEX_PARAMS,
        state: &ADEX_STATE,
    },
    ModelInfo {
        name: "izhikevich",
        summary: "Izhikevich (2003) with per-neuron a, b, c, d; delta synapses; RK4",
        synapse: SynapseKind::Delta,
        spiking: true,
        params: &IZH_PARAMS,
        state: &IZH_STATE,
    },
    ModelInfo {
        name: "poisson_source",
        summary: "independent Poisson spike trains at `rate` (an input population; ignores input)",
        synapse: SynapseKind::Delta,
        spiking: true,
        params: &POISSON_PARAMS,
        state: &[],
    },
    ModelInfo {
        name: "rate_tanh",
        summary: "leaky rate unit, r = tanh(gain·x)",
        synapse: SynapseKind::Rate,
        spiking: false,
        params: &RATE_PARAMS,
        state: &RATE_STATE,
    },
    ModelInfo {
        name: "rate_relu",
        summary: "leaky rate unit, r = max(0, gain·x)",
        synapse: SynapseKind::Rate,
        spiking: false,
        params: &RATE_PARAMS,
        state: &RATE_STATE,
    },
    ModelInfo {
        name: "rate_sigmoid",
        summary: "leaky rate unit, r = 1 / (1 + exp(-gain·x))",
        synapse: SynapseKind::Rate,
        spiking: false,
        params: &RATE_PARAMS,
        state: &RATE_STATE,
    },
    ModelInfo {
        name: "rate_linear",
        summary: "leaky rate unit, r = gain·x",
        synapse: SynapseKind::Rate,
        spiking: false,
        params: &RATE_PARAMS,
        state: &RATE_STATE,
    },
];

/// Look up a model by name.
pub fn model(name: &str) -> Option<&'static ModelInfo> {
    MODELS.iter().find(|m| m.name == name)
}

pub use ganglion_base::names::{closest, did_you_mean};

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn closest_suggests_typos() {
        assert_eq!(
            closest("tau_mem", ["tau_m", "C_m", "E_L"].into_iter()),
            Some("tau_m")
        );
        assert_eq!(
            closest("iaf_psc_expo", MODELS.iter().map(|m| m.name)),
            Some("iaf_psc_exp")
        );
        assert_eq!(closest("zzzzzzzz", ["tau_m"].into_iter()), None);
    }
}
