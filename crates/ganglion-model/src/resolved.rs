//! The validated circuit: every unit converted to the engine's base units, every name
//! resolved to an index, every file read. This is what `ganglion-sim` lowers.

use crate::models::ModelInfo;
use crate::spec::Sign;
use std::sync::Arc;

/// A value per element, in base units.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// The same value everywhere.
    Const(f64),
    /// Uniform on [low, high).
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal, redrawn outside [min, max] when given.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
        /// Lower clip.
        min: Option<f64>,
        /// Upper clip.
        max: Option<f64>,
    },
    /// Log-normal with log-mean `mu` and log-std `sigma`, redrawn outside [min, max].
    LogNormal {
        /// Mean of ln(x).
        mu: f64,
        /// Standard deviation of ln(x).
        sigma: f64,
        /// Lower clip.
        min: Option<f64>,
        /// Upper clip.
        max: Option<f64>,
    },
    /// One value per element, from a file.
    List(Arc<[f64]>),
}

/// Smallest and largest of `xs` (`(inf, -inf)` when empty).
pub(crate) fn span(xs: &[f64]) -> (f64, f64) {
    xs.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        })
}

impl Distribution {
    /// Smallest and largest value the distribution can produce.
    pub fn bounds(&self) -> (f64, f64) {
        match self {
            Distribution::Const(v) => (*v, *v),
            Distribution::Uniform { low, high } => (*low, *high),
            Distribution::Normal { min, max, .. } => (
                min.unwrap_or(f64::NEG_INFINITY),
                max.unwrap_or(f64::INFINITY),
            ),
            Distribution::LogNormal { min, max, .. } => {
                (min.unwrap_or(0.0).max(0.0), max.unwrap_or(f64::INFINITY))
            }
            Distribution::List(v) => span(v),
        }
    }
    /// The mean (exact for const/uniform/list, the unclipped mean otherwise).
    pub fn mean(&self) -> f64 {
        match self {
            Distribution::Const(v) => *v,
            Distribution::Uniform { low, high } => 0.5 * (low + high),
            Distribution::Normal { mean, .. } => *mean,
            Distribution::LogNormal { mu, sigma, .. } => (mu + 0.5 * sigma * sigma).exp(),
            Distribution::List(v) => v.iter().sum::<f64>() / v.len().max(1) as f64,
        }
    }
    /// The constant value, if this is one.
    pub fn as_const(&self) -> Option<f64> {
        match self {
            Distribution::Const(v) => Some(*v),
            _ => None,
        }
    }
}

/// A connection rule with its numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Every source to every target.
    AllToAll,
    /// Each pair with probability p.
    FixedProbability(f64),
    /// k sources per target.
    FixedIndegree(u64),
    /// k targets per source.
    FixedOutdegree(u64),
    /// n synapses in total, each a uniformly random (source, target) pair (NEST's
    /// `fixed_total_number`); pairs repeat only when multapses are allowed.
    FixedTotalNumber(u64),
    /// i → i.
    OneToOne,
    /// Explicit edges.
    EdgeList(Arc<EdgeList>),
}

/// Explicit edges read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeList {
    /// Source neuron index.
    pub source: Vec<u32>,
    /// Target neuron index.
    pub target: Vec<u32>,
    /// Weight per edge in base units, if the file has a weight column.
    pub weight: Option<Vec<f64>>,
    /// Delay per edge in ms, if the file has a delay column.
    pub delay: Option<Vec<f64>>,
}

/// Which receptor channel of the target a synapse feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receptor {
    /// Channel 0.
    Excitatory,
    /// Channel 1 (the same channel as excitatory for single-channel models).
    Inhibitory,
}

/// A validated population.
#[derive(Debug, Clone)]
pub struct ResolvedPopulation {
    /// Name.
    pub name: String,
    /// Number of neurons.
    pub size: usize,
    /// The model.
    pub model: &'static ModelInfo,
    /// Dale's-law sign.
    pub sign: Option<Sign>,
    /// Parameters in the order of `model.params`, base units.
    pub params: Vec<Distribution>,
    /// Initial state in the order of `model.state`, base units.
    pub init: Vec<Distribution>,
    /// Intrinsic plasticity of the threshold, if any.
    pub homeostasis: Option<ResolvedHomeostasis>,
}

/// Validated intrinsic plasticity.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedHomeostasis {
    /// Target rate per neuron \[Hz\].
    pub target: Distribution,
    /// Rate-estimate time constant \[ms\].
    pub tau: f64,
    /// Threshold change per Hz·s \[mV\].
    pub eta: f64,
}

impl ResolvedPopulation {
    /// A parameter's distribution by name.
    pub fn param(&self, name: &str) -> Option<&Distribution> {
        self.model.param_index(name).map(|i| &self.params[i])
    }
}

/// A validated projection.
#[derive(Debug, Clone)]
pub struct ResolvedProjection {
    /// Display name.
    pub name: String,
    /// Source population index.
    pub source: usize,
    /// Target population index.
    pub target: usize,
    /// Connection rule.
    pub rule: Rule,
    /// Weight (base units of the target's synapse kind).
    pub weight: Distribution,
    /// Delay in ms.
    pub delay: Distribution,
    /// Target receptor channel.
    pub receptor: Receptor,
    /// Self-connections allowed.
    pub autapses: bool,
    /// Repeated pairs allowed.
    pub multapses: bool,
    /// Expected number of synapses (for memory estimates).
    pub expected_synapses: f64,
    /// Plasticity of the weights, if any.
    pub plasticity: Option<ResolvedPlasticity>,
    /// A gap junction: `weight` is a conductance coupling each generated pair both ways
    /// (no delay, no spikes delivered).
    pub electrical: bool,
    /// A SIC projection (`synapse = "sic"`): each target neuron receives `weight` (pA) times
    /// its astrocyte's slow inward current as a current (no delay, no spikes delivered).
    pub sic: bool,
}

pub use crate::validate::plasticity::{PairTiming, PlasticRule};

/// Where a modulating signal comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ModulatorSource {
    /// Sampled values, each held for `step` ms.
    Series {
        /// Values.
        values: Arc<[f64]>,
        /// Sample interval \[ms\].
        step: f64,
    },
    /// Low-pass filtered rate \[Hz\] of a population minus an offset.
    Population {
        /// Population index.
        population: usize,
        /// Filter time constant \[ms\].
        tau: f64,
        /// Baseline subtracted \[Hz\].
        offset: f64,
    },
}

/// A validated plasticity spec.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedPlasticity {
    /// The rule.
    pub rule: PlasticRule,
    /// Smallest weight magnitude.
    pub w_min: f64,
    /// Largest weight magnitude.
    pub w_max: f64,
    /// When spike-timing rules see each spike (emission or arrival at the synapse).
    pub timing: PairTiming,
    /// sPyNNaker's lazy update: changes summed between presynaptic spikes, clipped once.
    pub lazy: bool,
}

/// A validated input.
#[derive(Debug, Clone)]
pub enum InputKind {
    /// Independent Poisson trains, one per neuron.
    Poisson {
        /// Rate in Hz per neuron.
        rate: Distribution,
        /// Weight per spike.
        weight: Distribution,
        /// Delay in ms.
        delay: f64,
        /// Receptor channel.
        receptor: Receptor,
    },
    /// Explicit spikes: (local neuron index, time ms).
    SpikeTimes {
        /// Events sorted by time.
        events: Vec<(u32, f64)>,
        /// Weight per spike.
        weight: f64,
        /// Delay in ms.
        delay: f64,
        /// Receptor channel.
        receptor: Receptor,
    },
    /// Constant current (pA, dimensionless for rate units) between start and stop.
    Current {
        /// Amplitude per neuron.
        amplitude: Distribution,
        /// Start, ms.
        start: f64,
        /// Stop, ms.
        stop: f64,
    },
    /// Piecewise-constant current.
    StepCurrent {
        /// Switch times, ms (increasing).
        times: Vec<f64>,
        /// Amplitude from each switch time on.
        amplitudes: Vec<f64>,
    },
    /// Sampled current: `values[t * columns + j]`, each sample held for `step` ms; one column
    /// drives all neurons, otherwise column j drives the j-th targeted neuron.
    TimeSeries {
        /// Samples, row-major (time × column).
        values: Arc<[f64]>,
        /// Number of columns (1 or the number of targeted neurons).
        columns: usize,
        /// Sample interval, ms.
        step: f64,
    },
}

/// A validated input with its target.
#[derive(Debug, Clone)]
pub struct ResolvedInput {
    /// Display name.
    pub name: String,
    /// Target population index.
    pub target: usize,
    /// Targeted neurons (None = all), local indices.
    pub neurons: Option<Vec<u32>>,
    /// What it does.
    pub kind: InputKind,
}

/// What a monitor records.
#[derive(Debug, Clone, PartialEq)]
pub enum MonitorKind {
    /// Spikes of the listed neurons (None = all).
    Spikes {
        /// Recorded neurons.
        neurons: Option<Vec<u32>>,
    },
    /// State variables (indices into `model.state`) of neurons every `every` steps.
    State {
        /// Variable indices.
        variables: Vec<usize>,
        /// Recorded neurons.
        neurons: Vec<u32>,
        /// Sampling interval in steps.
        every: u64,
    },
    /// Population spike count per bin of `bin` steps, reported in Hz.
    Rate {
        /// Bin width in steps.
        bin: u64,
    },
    /// Weights of the first `count` synapses (source-then-target order) of a projection.
    Weights {
        /// Projection index.
        projection: usize,
        /// Number of synapses.
        count: usize,
        /// Sampling interval in steps.
        every: u64,
    },
}

/// A validated monitor.
#[derive(Debug, Clone)]
pub struct ResolvedMonitor {
    /// Population index (for `Weights`: the projection's target population).
    pub population: usize,
    /// What it records.
    pub kind: MonitorKind,
}

/// Memory needed to build and run a circuit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryEstimate {
    /// Expected number of synapses.
    pub synapses: f64,
    /// Expected peak bytes while building.
    pub peak_bytes: f64,
    /// The limit it was checked against, bytes.
    pub limit_bytes: f64,
    /// Synapse (CSR) bytes per synapse, row pointers included: what the engine reports
    /// as its own bytes per synapse once built (see [`crate::memory`]).
    pub bytes_per_synapse: f64,
}

/// A circuit that passed validation, in base units.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Spec name (file stem), for output folders.
    pub name: String,
    /// Time step, ms.
    pub dt: f64,
    /// Number of steps.
    pub steps: u64,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (≥ 1).
    pub threads: usize,
    /// Populations.
    pub populations: Vec<ResolvedPopulation>,
    /// Projections.
    pub projections: Vec<ResolvedProjection>,
    /// Inputs.
    pub inputs: Vec<ResolvedInput>,
    /// Monitors.
    pub monitors: Vec<ResolvedMonitor>,
    /// Memory estimate.
    pub memory: MemoryEstimate,
}

impl Resolved {
    /// Simulated time in ms.
    pub fn duration_ms(&self) -> f64 {
        self.steps as f64 * self.dt
    }
    /// Population index by name.
    pub fn population_index(&self, name: &str) -> Option<usize> {
        self.populations.iter().position(|p| p.name == name)
    }
}
