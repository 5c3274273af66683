//! The circuit spec as written by users: TOML tables, or the same structs built in Rust.
//!
//! Nothing here is checked yet: [`crate::validate()`] turns a [`Circuit`] into a
//! [`crate::Resolved`] circuit with units converted and every reference checked.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A number with an optional unit: `"20 ms"`, `-65.0` (dimensionless), `"0.1"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// A bare number (only valid where the quantity is dimensionless).
    Number(f64),
    /// A number and a unit, `"<number> <unit>"`.
    Text(String),
}

impl From<&str> for Scalar {
    fn from(s: &str) -> Self {
        Scalar::Text(s.to_string())
    }
}
impl From<f64> for Scalar {
    fn from(x: f64) -> Self {
        Scalar::Number(x)
    }
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Number(x) => write!(f, "{x}"),
            Scalar::Text(s) => write!(f, "\"{s}\""),
        }
    }
}

/// A distribution for heterogeneous parameters, weights and delays.
///
/// `dist` is one of `uniform` (low, high), `normal` (mean, std, optional min/max clip),
/// `lognormal` (mean, std of the distribution itself, both positive), or absent with `file`
/// naming a `.npy` list (one value per neuron or synapse) in `unit`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistSpec {
    /// `uniform`, `normal` or `lognormal`; omit when `file` is given.
    pub dist: Option<String>,
    /// Lower bound of `uniform`.
    pub low: Option<Scalar>,
    /// Upper bound of `uniform`.
    pub high: Option<Scalar>,
    /// Mean of `normal` or `lognormal`.
    pub mean: Option<Scalar>,
    /// Standard deviation of `normal` or `lognormal`.
    pub std: Option<Scalar>,
    /// Lower clip of `normal` (values below are redrawn).
    pub min: Option<Scalar>,
    /// Upper clip of `normal` (values above are redrawn).
    pub max: Option<Scalar>,
    /// A `.npy` file with one value per element, relative to the spec file.
    pub file: Option<String>,
    /// Unit of the values in `file` (e.g. `"mV"`).
    pub unit: Option<String>,
}

/// A value: one quantity for all elements, or a distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// The same value for every element.
    Scalar(Scalar),
    /// One value per element, written inline: `a = [0.02, 0.1, 0.02, 0.02]`.
    List(Vec<Scalar>),
    /// A value drawn per element.
    Dist(DistSpec),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Scalar(Scalar::from(s))
    }
}
impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Scalar(Scalar::Number(x))
    }
}
impl From<DistSpec> for Value {
    fn from(d: DistSpec) -> Self {
        Value::Dist(d)
    }
}

impl Value {
    /// `uniform(low, high)`.
    pub fn uniform(low: &str, high: &str) -> Value {
        Value::Dist(DistSpec {
            dist: Some("uniform".into()),
            low: Some(low.into()),
            high: Some(high.into()),
            ..Default::default()
        })
    }
    /// `normal(mean, std)`, unclipped.
    pub fn normal(mean: &str, std: &str) -> Value {
        Value::Dist(DistSpec {
            dist: Some("normal".into()),
            mean: Some(mean.into()),
            std: Some(std.into()),
            ..Default::default()
        })
    }
}

/// `[simulation]`: time step, duration, seed, threads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    /// Integration time step (default `"0.1 ms"`).
    #[serde(default = "default_dt")]
    pub dt: Scalar,
    /// Simulated (biological) time, e.g. `"1000 ms"`.
    pub duration: Scalar,
    /// Master seed; every random stream derives from (seed, object id). Default 0.
    #[serde(default)]
    pub seed: u64,
    /// Worker threads for the step loop (default 1; 0 = all cores). Results do not depend on it.
    #[serde(default = "default_threads")]
    pub threads: usize,
    /// Refuse to build when the estimated memory exceeds this (default: the machine's
    /// available memory), e.g. `"8 GiB"`.
    pub memory_limit: Option<Scalar>,
}

fn default_dt() -> Scalar {
    Scalar::Text("0.1 ms".into())
}
fn default_threads() -> usize {
    1
}

impl Simulation {
    /// A simulation of `duration` at step `dt`, seed 0, one thread.
    pub fn new(dt: &str, duration: &str) -> Simulation {
        Simulation {
            dt: dt.into(),
            duration: duration.into(),
            seed: 0,
            threads: 1,
            memory_limit: None,
        }
    }
}

/// Dale's-law sign of a population: every projection from it has weights of this sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sign {
    /// Weights ≥ 0 (current/delta/rate models) or excitatory receptor (conductance models).
    Excitatory,
    /// Weights ≤ 0 (current/delta/rate models) or inhibitory receptor (conductance models).
    Inhibitory,
}

/// `[[population]]`: `size` neurons of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// Unique name, used by projections, inputs and monitors.
    pub name: String,
    /// Number of neurons.
    pub size: usize,
    /// Neuron model name (see [`crate::models::MODELS`]).
    pub model: String,
    /// Optional Dale's-law sign.
    pub sign: Option<Sign>,
    /// Model parameters; omitted ones take the model's default.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, Value>,
    /// Initial state; omitted variables take the model's default.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub init: BTreeMap<String, Value>,
    /// Optional intrinsic plasticity: each neuron's threshold adapts toward a target rate.
    pub homeostasis: Option<Homeostasis>,
}

/// `homeostasis = { target = "5 Hz", tau = "1 s", eta = "1 mV" }`: intrinsic plasticity.
///
/// Each neuron keeps a rate estimate r (spikes low-pass filtered with `tau`, in Hz) and moves
/// its threshold by dθ/dt = eta · (r − target) per second (`eta` per Hz·s, a voltage), so
/// neurons that fire too much become less excitable. `target` may be a distribution or list:
/// heterogeneous targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Homeostasis {
    /// Target rate per neuron.
    pub target: Value,
    /// Rate-estimate time constant (default 1 s).
    pub tau: Option<Scalar>,
    /// Threshold change per Hz of error per second (default 0.1 mV).
    pub eta: Option<Scalar>,
}

impl Population {
    /// `size` neurons of `model`, default parameters.
    pub fn new(name: &str, size: usize, model: &str) -> Population {
        Population {
            name: name.into(),
            size,
            model: model.into(),
            sign: None,
            params: BTreeMap::new(),
            init: BTreeMap::new(),
            homeostasis: None,
        }
    }
    /// Set a parameter.
    pub fn param(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.params.insert(name.into(), value.into());
        self
    }
    /// Set an initial state value.
    pub fn init(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.init.insert(name.into(), value.into());
        self
    }
    /// Set the Dale's-law sign.
    pub fn sign(mut self, sign: Sign) -> Self {
        self.sign = Some(sign);
        self
    }
}

/// How a projection connects source to target neurons.
///
/// `rule` is one of `all_to_all`, `fixed_probability` (`p`), `fixed_indegree` (`k`),
/// `fixed_outdegree` (`k`), `fixed_total_number` (`n` synapses in total, each a uniformly
/// random source–target pair, NEST's rule of the same name), `one_to_one`, `edge_list`
/// (`file`: `.npy` with columns
/// source, target[, weight[, delay]] or `.csv` with the same columns, units in
/// `weight_unit`/`delay_unit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connectivity {
    /// The connection rule.
    pub rule: String,
    /// Connection probability for `fixed_probability`.
    pub p: Option<f64>,
    /// In- or out-degree for `fixed_indegree` / `fixed_outdegree`.
    pub k: Option<u64>,
    /// Total number of synapses for `fixed_total_number`.
    pub n: Option<u64>,
    /// Edge-list file for `edge_list`.
    pub file: Option<String>,
    /// Unit of the edge list's weight column.
    pub weight_unit: Option<String>,
    /// Unit of the edge list's delay column.
    pub delay_unit: Option<String>,
}

impl Connectivity {
    fn rule(rule: &str) -> Connectivity {
        Connectivity {
            rule: rule.into(),
            p: None,
            k: None,
            n: None,
            file: None,
            weight_unit: None,
            delay_unit: None,
        }
    }
    /// Every source to every target.
    pub fn all_to_all() -> Connectivity {
        Connectivity::rule("all_to_all")
    }
    /// Each pair independently with probability `p`.
    pub fn fixed_probability(p: f64) -> Connectivity {
        Connectivity {
            p: Some(p),
            ..Connectivity::rule("fixed_probability")
        }
    }
    /// Each target gets `k` random sources.
    pub fn fixed_indegree(k: u64) -> Connectivity {
        Connectivity {
            k: Some(k),
            ..Connectivity::rule("fixed_indegree")
        }
    }
    /// Each source gets `k` random targets.
    pub fn fixed_outdegree(k: u64) -> Connectivity {
        Connectivity {
            k: Some(k),
            ..Connectivity::rule("fixed_outdegree")
        }
    }
    /// `n` synapses in total, each between a uniformly random source and target.
    pub fn fixed_total_number(n: u64) -> Connectivity {
        Connectivity {
            n: Some(n),
            ..Connectivity::rule("fixed_total_number")
        }
    }
    /// Source i to target i.
    pub fn one_to_one() -> Connectivity {
        Connectivity::rule("one_to_one")
    }
    /// Edges from a `.npy` or `.csv` file.
    pub fn edge_list(file: &str) -> Connectivity {
        Connectivity {
            file: Some(file.into()),
            ..Connectivity::rule("edge_list")
        }
    }
}

/// `[[projection]]`: synapses from one population to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Projection {
    /// Optional name (default `"source→target"`).
    pub name: Option<String>,
    /// Source population.
    pub source: String,
    /// Target population.
    pub target: String,
    /// Connection rule.
    pub connectivity: Connectivity,
    /// `chemical` (default: spikes or rates delivered after `delay`) or `gap_junction` (alias
    /// `electrical`): a symmetric electrical synapse, I = g·(V_j − V_i) into both neurons of
    /// every generated pair, with no delay, receptor or plasticity; `weight` is the
    /// conductance g (nS; dimensionless for rate units, which couple their activations);
    /// or `sic`: from an astrocyte population (`astrocyte_lr_1994`) onto spiking neurons, a
    /// tripartite synapse's slow inward current, `weight` (pA) × the astrocyte's SIC injected
    /// as a current in the next step, without delay, receptor or plasticity.
    pub synapse: Option<String>,
    /// Synaptic weight: pA (current models), nS (conductance models and gap junctions), mV
    /// (delta, Izhikevich), dimensionless (rate units). Ignored for edge lists that carry
    /// weights.
    pub weight: Option<Value>,
    /// Transmission delay (default: one time step).
    pub delay: Option<Value>,
    /// `excitatory` or `inhibitory` (default: from the source's sign, else the weight's sign).
    pub receptor: Option<String>,
    /// Allow a neuron to connect to itself when source == target (default false).
    #[serde(default)]
    pub autapses: bool,
    /// Allow several synapses between one pair (default false).
    #[serde(default)]
    pub multapses: bool,
    /// Optional synaptic plasticity of this projection's weights.
    pub plasticity: Option<Plasticity>,
}

pub use crate::validate::plasticity::Plasticity;

/// A scalar signal that modulates plasticity: a time series from a file, or the filtered
/// activity of a population.
///
/// `{ file = "reward.npy", step = "1 ms" }`: value k holds from k·step to (k+1)·step, 0 after.
/// `{ population = "da", tau = "50 ms", offset = 5.0 }`: the population's rate in Hz, low-pass
/// filtered with `tau`, minus `offset`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Modulator {
    /// `.npy` file with one value per sample.
    pub file: Option<String>,
    /// Sample interval of `file` (default dt).
    pub step: Option<Scalar>,
    /// A population whose activity is the signal.
    pub population: Option<String>,
    /// Filter time constant of the population rate (default 50 ms).
    pub tau: Option<Scalar>,
    /// Subtracted from the population rate \[Hz\] (a baseline), default 0.
    pub offset: Option<f64>,
}

impl Projection {
    /// A projection with default weight 0 and delay of one step.
    pub fn new(source: &str, target: &str, connectivity: Connectivity) -> Projection {
        Projection {
            name: None,
            source: source.into(),
            target: target.into(),
            connectivity,
            synapse: None,
            weight: None,
            delay: None,
            receptor: None,
            autapses: false,
            multapses: false,
            plasticity: None,
        }
    }
    /// Set the weight.
    pub fn weight(mut self, w: impl Into<Value>) -> Self {
        self.weight = Some(w.into());
        self
    }
    /// Set the delay.
    pub fn delay(mut self, d: impl Into<Value>) -> Self {
        self.delay = Some(d.into());
        self
    }
    /// Make it a gap junction (`synapse = "gap_junction"`) of conductance `g`.
    pub fn gap_junction(mut self, g: impl Into<Value>) -> Self {
        self.synapse = Some("gap_junction".into());
        self.weight = Some(g.into());
        self
    }
    /// Make it a SIC projection (`synapse = "sic"`) from astrocytes, of weight `w` (pA).
    pub fn sic(mut self, w: impl Into<Value>) -> Self {
        self.synapse = Some("sic".into());
        self.weight = Some(w.into());
        self
    }
    /// Set the receptor.
    pub fn receptor(mut self, r: &str) -> Self {
        self.receptor = Some(r.into());
        self
    }
    /// The display name: `name` or `"source→target"`.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{}→{}", self.source, self.target))
    }
}

/// `[[input]]`: an external drive.
///
/// `kind` is one of:
/// - `poisson`: independent Poisson spike trains, one per target neuron, at `rate`
///   (a value or distribution, per neuron), each spike of `weight` after `delay`;
/// - `spike_times`: spikes at `times` into each of `neurons` (or `file`: `.npy` N×2 of
///   neuron index and time in ms), of `weight`;
/// - `current`: constant `amplitude` (pA; dimensionless for rate units) from `start` to `stop`;
/// - `step_current`: piecewise-constant `amplitudes` switched at `times`;
/// - `timeseries`: values from `file` (`.npy`, shape T or T×N) in `unit`, each held for `step`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Optional name (default `"<kind>→<target>"`).
    pub name: Option<String>,
    /// The kind of input (see above).
    pub kind: String,
    /// Target population.
    pub target: String,
    /// Subset of target neurons (default: all).
    pub neurons: Option<Vec<u32>>,
    /// Poisson rate per neuron.
    pub rate: Option<Value>,
    /// Spike weight (units as for projections).
    pub weight: Option<Value>,
    /// Spike delay (default one step).
    pub delay: Option<Scalar>,
    /// Receptor for spikes (default by the weight's sign).
    pub receptor: Option<String>,
    /// Current amplitude (value or per-neuron distribution).
    pub amplitude: Option<Value>,
    /// Start of a current (default 0).
    pub start: Option<Scalar>,
    /// End of a current (default: end of the run).
    pub stop: Option<Scalar>,
    /// Spike times (`spike_times`) or switch times (`step_current`).
    pub times: Option<Vec<Scalar>>,
    /// Amplitudes of a `step_current`, one per switch time.
    pub amplitudes: Option<Vec<Scalar>>,
    /// A `.npy` file (`timeseries`, `spike_times`), relative to the spec.
    pub file: Option<String>,
    /// Unit of a `timeseries` file's values.
    pub unit: Option<String>,
    /// Sample interval of a `timeseries` (default: dt).
    pub step: Option<Scalar>,
}

impl Input {
    /// An empty input of `kind` into `target`; set its fields directly.
    pub fn new(kind: &str, target: &str) -> Input {
        Input {
            name: None,
            kind: kind.into(),
            target: target.into(),
            neurons: None,
            rate: None,
            weight: None,
            delay: None,
            receptor: None,
            amplitude: None,
            start: None,
            stop: None,
            times: None,
            amplitudes: None,
            file: None,
            unit: None,
            step: None,
        }
    }
    /// A Poisson drive of `rate` per neuron with spikes of `weight`.
    pub fn poisson(target: &str, rate: impl Into<Value>, weight: impl Into<Value>) -> Input {
        Input {
            rate: Some(rate.into()),
            weight: Some(weight.into()),
            ..Input::new("poisson", target)
        }
    }
    /// A constant current.
    pub fn current(target: &str, amplitude: impl Into<Value>) -> Input {
        Input {
            amplitude: Some(amplitude.into()),
            ..Input::new("current", target)
        }
    }
    /// The display name.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{}→{}", self.kind, self.target))
    }
}

/// `[[monitor]]`: what to record.
///
/// `kind` is `spikes` (of `neurons`, or the first `count`, or all), `state` (`variables`
/// of `neurons` every `every`), `rate` (population rate in bins of `bin`), or `weights`
/// (the first `count` synapses of a plastic `projection`, in source-then-target order,
/// every `every`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Monitor {
    /// `spikes`, `state`, `rate` or `weights`.
    pub kind: String,
    /// The recorded population (not used by `weights`).
    #[serde(default)]
    pub population: String,
    /// The recorded projection (`weights` only): its `name` or `"source→target"`.
    pub projection: Option<String>,
    /// Recorded neurons (default: all for spikes; required for state unless `count`).
    pub neurons: Option<Vec<u32>>,
    /// Record the first `count` neurons.
    pub count: Option<u32>,
    /// State variables (for `state`).
    pub variables: Option<Vec<String>>,
    /// Sampling interval for `state` (default: dt).
    pub every: Option<Scalar>,
    /// Bin width for `rate` (default 1 ms).
    pub bin: Option<Scalar>,
}

impl Monitor {
    /// Record all spikes of `population`.
    pub fn spikes(population: &str) -> Monitor {
        Monitor {
            kind: "spikes".into(),
            population: population.into(),
            projection: None,
            neurons: None,
            count: None,
            variables: None,
            every: None,
            bin: None,
        }
    }
    /// Record `variables` of `neurons` every step.
    pub fn state(population: &str, variables: &[&str], neurons: &[u32]) -> Monitor {
        Monitor {
            kind: "state".into(),
            variables: Some(variables.iter().map(|s| s.to_string()).collect()),
            neurons: Some(neurons.to_vec()),
            ..Monitor::spikes(population)
        }
    }
    /// Record the weights of the first `count` synapses of `projection` every `every`.
    pub fn weights(projection: &str, count: u32, every: &str) -> Monitor {
        Monitor {
            kind: "weights".into(),
            population: String::new(),
            projection: Some(projection.into()),
            count: Some(count),
            every: Some(every.into()),
            ..Monitor::spikes("")
        }
    }
    /// Record the population rate in bins of `bin`.
    pub fn rate(population: &str, bin: &str) -> Monitor {
        Monitor {
            kind: "rate".into(),
            bin: Some(bin.into()),
            ..Monitor::spikes(population)
        }
    }
}

/// The whole circuit spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circuit {
    /// Time step, duration, seed, threads.
    pub simulation: Simulation,
    /// `[[population]]` tables.
    #[serde(default, rename = "population", skip_serializing_if = "Vec::is_empty")]
    pub populations: Vec<Population>,
    /// `[[projection]]` tables.
    #[serde(default, rename = "projection", skip_serializing_if = "Vec::is_empty")]
    pub projections: Vec<Projection>,
    /// `[[input]]` tables.
    #[serde(default, rename = "input", skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<Input>,
    /// `[[monitor]]` tables.
    #[serde(default, rename = "monitor", skip_serializing_if = "Vec::is_empty")]
    pub monitors: Vec<Monitor>,
}

impl Circuit {
    /// An empty circuit.
    pub fn new(simulation: Simulation) -> Circuit {
        Circuit {
            simulation,
            populations: vec![],
            projections: vec![],
            inputs: vec![],
            monitors: vec![],
        }
    }
    /// Add a population.
    pub fn population(mut self, p: Population) -> Self {
        self.populations.push(p);
        self
    }
    /// Add a projection.
    pub fn projection(mut self, p: Projection) -> Self {
        self.projections.push(p);
        self
    }
    /// Add an input.
    pub fn input(mut self, i: Input) -> Self {
        self.inputs.push(i);
        self
    }
    /// Add a monitor.
    pub fn monitor(mut self, m: Monitor) -> Self {
        self.monitors.push(m);
        self
    }
    /// Serialise back to TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}
