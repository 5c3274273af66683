//! Plasticity of a projection's weights: the whole model side of every rule lives in this
//! file — its spec fields ([`Plasticity`]), its validated form ([`PlasticRule`]), and its row
//! in [`PLASTICITY_RULES`] (the fields it reads and needs) with the function that resolves it.
//! A field that belongs to another rule is a problem ("`tau_plus` is not a parameter of rule
//! `vogels`"), so is a missing required one; nothing else in validation names a rule.

mod gain;
use super::{Ctx, NO_HINT, Obj, fields_set, fmt_ms};
use crate::resolved::Distribution;
use crate::resolved::{ModulatorSource, ResolvedPlasticity, ResolvedPopulation};
use crate::spec::{Modulator, Scalar, Value};
use crate::units::{Dim, show};
use gain::gain_homeostasis;
use serde::{Deserialize, Serialize};

/// `plasticity = { rule = ..., ... }` on a projection.
///
/// Rules (amplitudes `A_*` are fractions of `w_max`; weights are bounded to [w_min, w_max] in
/// magnitude, their sign fixed by the projection):
/// - `stdp`: pair-based STDP with traces. On a post spike w += F₊(w)·x_pre, on a pre spike
///   w −= F₋(w)·y_post; `mode = "additive"` (F₊ = A_plus·w_max, F₋ = A_minus·w_max) or
///   `"multiplicative"` (soft bounds: F₊ = A_plus·(w_max − w), F₋ = A_minus·(w − w_min));
///   `pairing = "all_to_all"` (traces add) or `"nearest"` (traces reset to 1).
///   Defaults: tau_plus = tau_minus = 20 ms, A_plus = 0.01, A_minus = 0.0105, additive, all-to-all.
/// - `triplet`: Pfister & Gerstner (2006) all-to-all triplet rule; defaults are their
///   visual-cortex fit: tau_plus 16.8 ms, tau_minus 33.7 ms, tau_x 101 ms, tau_y 125 ms,
///   A2_plus 5e-10, A3_plus 6.2e-3, A2_minus 7e-3, A3_minus 2.3e-4.
/// - `three_factor`: pair-STDP coincidences (A_plus, A_minus, tau_plus, tau_minus) feed an
///   eligibility trace e per synapse (decaying with `tau_e`); the weight changes only when
///   the `modulator` M(t) (and optional `gate` G(t)) is non-zero: dw = rate·w_max·M·G·e·dt.
/// - `power_law` (alias `stdp_pl_synapse_hom`): Morrison et al. (2007) as in NEST's
///   hpc_benchmark: on a post spike w += λ·w^μ·x_pre, on a pre spike w −= λ·α·w·y_post
///   (weights in the target's unit, clipped at w_min, w_max optional).
/// - `scaling`: synaptic scaling: every `interval` (default 10 ms) the weights onto each
///   neuron are multiplied by 1 + rate·(target − r)·interval, r its rate estimate (Hz,
///   filtered with `tau`, default 1 s); `target` (a frequency) goes in `rho0`.
/// - `vogels`: inhibitory STDP of Vogels et al. (2011): symmetric window of width `tau`
///   (20 ms), on a pre spike w += eta·(y_post − α), on a post spike w += eta·x_pre, with
///   α = 2·rho0·tau driving the target population to the rate `rho0`. `eta` in weight units.
/// - `gain_homeostasis`: for projections onto rate units (the inhibitory gains of an adaptive
///   E/I reservoir). Each target neuron i has a gain g_i ≥ 0 (`gain`, default 1) multiplying
///   every weight of the projection onto it; after every step
///   g_i ← max(0, g_i + eta·dt·(r_i − r*_i)), with r_i the neuron's rate and r*_i its target
///   (`target`, a value per neuron in [0, 1]: number, list, distribution or file). `eta` is a
///   frequency (gain change per unit rate error per unit time: "10 Hz" at dt = 1 ms moves a
///   gain by 0.01 per step and unit error). `mode = "per_neuron"` (default) or `"global"`:
///   one gain shared by all target neurons, moved by the population-mean error ⟨r⟩ − ⟨r*⟩.
///   The weights a `weights` monitor records are the effective ones, g_i·w.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Plasticity {
    /// The rule: a name in [`crate::validate::PLASTICITY_RULES`], which also lists the fields
    /// each rule takes (a field of another rule is a validation problem).
    pub rule: String,
    /// Largest weight magnitude (weight units). Required.
    pub w_max: Option<Scalar>,
    /// Smallest weight magnitude (default 0).
    pub w_min: Option<Scalar>,
    /// Potentiation trace time constant.
    pub tau_plus: Option<Scalar>,
    /// Depression trace time constant.
    pub tau_minus: Option<Scalar>,
    /// Potentiation amplitude (fraction of w_max).
    #[serde(rename = "A_plus")]
    pub a_plus: Option<f64>,
    /// Depression amplitude (fraction of w_max).
    #[serde(rename = "A_minus")]
    pub a_minus: Option<f64>,
    /// `additive` or `multiplicative`.
    pub mode: Option<String>,
    /// `all_to_all` or `nearest`.
    pub pairing: Option<String>,
    /// Triplet: slow presynaptic trace time constant.
    pub tau_x: Option<Scalar>,
    /// Triplet: slow postsynaptic trace time constant.
    pub tau_y: Option<Scalar>,
    /// Triplet: pair potentiation A₂⁺ (post spike × presynaptic r₁).
    #[serde(rename = "A2_plus")]
    pub a2_plus: Option<f64>,
    /// Triplet: triplet potentiation A₃⁺ (post spike × r₁ × postsynaptic o₂).
    #[serde(rename = "A3_plus")]
    pub a3_plus: Option<f64>,
    /// Triplet: pair depression A₂⁻ (pre spike × postsynaptic o₁).
    #[serde(rename = "A2_minus")]
    pub a2_minus: Option<f64>,
    /// Triplet: triplet depression A₃⁻ (pre spike × o₁ × presynaptic r₂).
    #[serde(rename = "A3_minus")]
    pub a3_minus: Option<f64>,
    /// Vogels: learning rate (weight units).
    pub eta: Option<Scalar>,
    /// Vogels: target rate of the postsynaptic population.
    pub rho0: Option<Scalar>,
    /// Vogels: trace time constant (default 20 ms).
    pub tau: Option<Scalar>,
    /// Three-factor: eligibility trace time constant (default 200 ms).
    pub tau_e: Option<Scalar>,
    /// Three-factor: learning rate in 1/s per unit of modulator × gate (dimensionless; the
    /// weight moves by rate·w_max·M·G·e·dt).
    pub rate: Option<f64>,
    /// Power-law STDP: learning rate λ.
    pub lambda: Option<f64>,
    /// Power-law STDP: depression/facilitation ratio α.
    pub alpha: Option<f64>,
    /// Power-law STDP: weight-dependence exponent μ of facilitation.
    pub mu: Option<f64>,
    /// Scaling: time between scalings (default 10 ms).
    pub interval: Option<Scalar>,
    /// Three-factor: the modulator M(t) (reward or error).
    pub modulator: Option<Modulator>,
    /// Three-factor: an optional gating (attention) factor G(t), default 1.
    pub gate: Option<Modulator>,
    /// Spike-timing rules: `"emission"` (default: pairs compare emission times) or
    /// `"synapse"` (pairs compare arrival times at the synapse, as NEST and sPyNNaker do:
    /// the presynaptic spike after the axonal part of the delay, the postsynaptic spike
    /// back-propagated by the dendritic part).
    pub timing: Option<String>,
    /// With `timing = "synapse"`: the axonal part of each synapse's delay (default 0 ms: all of
    /// the delay is dendritic, as in NEST's `stdp_synapse` and sPyNNaker).
    pub axonal_delay: Option<Scalar>,
    /// With `timing = "synapse"`: how long a postsynaptic spike takes back to the synapse
    /// (default: each synapse's delay minus `axonal_delay`). Set it when the back-propagation
    /// delay is not the rest of the transmission delay, e.g. to keep another simulator's
    /// pairing when its delays were shortened to match its step schedule.
    pub dendritic_delay: Option<Scalar>,
    /// `"immediate"` (default: each pairing changes the weight at once, clipped to the bounds)
    /// or `"lazy"` (sPyNNaker: the changes since the last presynaptic spike are summed and
    /// applied, clipped once, at the next presynaptic spike).
    pub update: Option<String>,
    /// Gain homeostasis: the target rate r*_i of each target neuron, dimensionless in
    /// [0, 1] (a number, a list, a distribution or a file).
    pub target: Option<Value>,
    /// Gain homeostasis: the initial gain g_i of each target neuron, ≥ 0 (default 1; one
    /// number with `mode = "global"`).
    pub gain: Option<Value>,
}

/// A plasticity rule in base units (times in ms, weights in the target's weight unit).
#[derive(Debug, Clone, PartialEq)]
pub enum PlasticRule {
    /// Pair-based STDP.
    Pair {
        /// Potentiation trace τ₊.
        tau_plus: f64,
        /// Depression trace τ₋.
        tau_minus: f64,
        /// A₊ (fraction of w_max).
        a_plus: f64,
        /// A₋ (fraction of w_max).
        a_minus: f64,
        /// Soft bounds instead of additive updates.
        multiplicative: bool,
        /// Nearest-spike pairing instead of all-to-all.
        nearest: bool,
    },
    /// Pfister & Gerstner (2006) triplet rule (all-to-all).
    Triplet {
        /// τ₊.
        tau_plus: f64,
        /// τ₋.
        tau_minus: f64,
        /// τ_x.
        tau_x: f64,
        /// τ_y.
        tau_y: f64,
        /// A₂⁺.
        a2_plus: f64,
        /// A₃⁺.
        a3_plus: f64,
        /// A₂⁻.
        a2_minus: f64,
        /// A₃⁻.
        a3_minus: f64,
    },
    /// Eligibility trace × modulator (× gate).
    ThreeFactor {
        /// τ₊ of the presynaptic trace.
        tau_plus: f64,
        /// τ₋ of the postsynaptic trace.
        tau_minus: f64,
        /// A₊.
        a_plus: f64,
        /// A₋.
        a_minus: f64,
        /// Eligibility time constant.
        tau_e: f64,
        /// Learning rate [1/s].
        rate: f64,
        /// The modulator.
        modulator: ModulatorSource,
        /// The gate (None = 1).
        gate: Option<ModulatorSource>,
    },
    /// Power-law STDP (Morrison et al. 2007).
    PowerLaw {
        /// τ₊.
        tau_plus: f64,
        /// τ₋.
        tau_minus: f64,
        /// λ.
        lambda: f64,
        /// α.
        alpha: f64,
        /// μ.
        mu: f64,
    },
    /// Multiplicative synaptic scaling toward a target rate.
    Scaling {
        /// Target rate \[Hz\].
        target: f64,
        /// Rate-estimate time constant \[ms\].
        tau: f64,
        /// Scaling rate [1/(Hz·s)].
        rate: f64,
        /// Interval between scalings \[steps\].
        interval: u64,
    },
    /// Vogels et al. (2011) inhibitory STDP.
    Vogels {
        /// Trace time constant.
        tau: f64,
        /// Learning rate (weight units).
        eta: f64,
        /// Depression offset α = 2·ρ₀·τ.
        alpha: f64,
    },
    /// A gain per target neuron multiplying the projection's weights onto it, moved after
    /// every step toward the neuron's target rate: g_i ← max(0, g_i + eta·dt·(r_i − r*_i)).
    GainHomeostasis {
        /// Learning rate η \[Hz\]: the per-step change is η·dt·10⁻³ per unit rate error.
        eta: f64,
        /// Target rate r*_i per target neuron (dimensionless, in [0, 1]).
        target: Distribution,
        /// Initial gain g_i per target neuron (≥ 0; a constant when `per_neuron` is false).
        gain: Distribution,
        /// One gain per neuron (true) or one shared gain moved by the mean error (false).
        per_neuron: bool,
    },
}

impl PlasticRule {
    /// Whether the rule reads the target neurons' rates (rate units) rather than spike times.
    pub fn is_rate_rule(&self) -> bool {
        matches!(self, PlasticRule::GainHomeostasis { .. })
    }
}

/// A plasticity rule: its name, the fields it reads and needs, and how it is resolved.
#[derive(Debug)]
pub struct PlasticityRule {
    /// Its name in `plasticity = { rule = ... }`.
    pub name: &'static str,
    /// Other names accepted for it.
    pub aliases: &'static [&'static str],
    /// The fields it reads, besides [`COMMON_FIELDS`] (TOML names).
    pub fields: &'static [&'static str],
    /// The fields it cannot do without.
    pub required: &'static [&'static str],
    resolve: Resolve,
}

/// Resolve a rule's own fields (the common ones and required ones are already checked).
type Resolve = fn(&mut Ctx, &Plasticity, &Env) -> Option<PlasticRule>;

/// Fields every rule takes: the rule's name and the weight bounds.
pub const COMMON_FIELDS: &[&str] = &["rule", "w_max", "w_min"];

/// Fields of every spike-timing (trace) rule: when pairs are timed ([`PairTiming`]).
const TIMING_FIELDS: [&str; 3] = ["timing", "axonal_delay", "dendritic_delay"];

/// Every plasticity rule (see [`Plasticity`] for what each does and its defaults).
pub const PLASTICITY_RULES: &[PlasticityRule] = &[
    PlasticityRule {
        name: "stdp",
        aliases: &[],
        fields: &[
            "tau_plus",
            "tau_minus",
            "A_plus",
            "A_minus",
            "mode",
            "pairing",
            TIMING_FIELDS[0],
            TIMING_FIELDS[1],
            TIMING_FIELDS[2],
            "update",
        ],
        required: &["w_max"],
        resolve: stdp,
    },
    PlasticityRule {
        name: "triplet",
        aliases: &[],
        fields: &[
            "tau_plus",
            "tau_minus",
            "tau_x",
            "tau_y",
            "A2_plus",
            "A3_plus",
            "A2_minus",
            "A3_minus",
            TIMING_FIELDS[0],
            TIMING_FIELDS[1],
            TIMING_FIELDS[2],
            "update",
        ],
        required: &["w_max"],
        resolve: triplet,
    },
    PlasticityRule {
        name: "power_law",
        aliases: &["stdp_pl_synapse_hom"],
        fields: &[
            "tau_plus",
            "tau_minus",
            "lambda",
            "alpha",
            "mu",
            TIMING_FIELDS[0],
            TIMING_FIELDS[1],
            TIMING_FIELDS[2],
            "update",
        ],
        required: &[],
        resolve: power_law,
    },
    PlasticityRule {
        name: "three_factor",
        aliases: &[],
        fields: &[
            "tau_plus",
            "tau_minus",
            "A_plus",
            "A_minus",
            "tau_e",
            "rate",
            "modulator",
            "gate",
            TIMING_FIELDS[0],
            TIMING_FIELDS[1],
            TIMING_FIELDS[2],
        ],
        required: &["w_max", "modulator"],
        resolve: three_factor,
    },
    PlasticityRule {
        name: "scaling",
        aliases: &[],
        fields: &["rho0", "tau", "rate", "interval"],
        required: &["w_max", "rho0"],
        resolve: scaling,
    },
    PlasticityRule {
        name: "vogels",
        aliases: &[],
        fields: &[
            "tau",
            "eta",
            "rho0",
            TIMING_FIELDS[0],
            TIMING_FIELDS[1],
            TIMING_FIELDS[2],
            "update",
        ],
        required: &["w_max", "eta", "rho0"],
        resolve: vogels,
    },
    PlasticityRule {
        name: "gain_homeostasis",
        aliases: &[],
        fields: &["eta", "target", "gain", "mode"],
        required: &["eta", "target"],
        resolve: gain_homeostasis,
    },
];

/// The rule whose weights a projection onto rate units may carry.
const RATE_RULE: &str = "gain_homeostasis";

impl PlasticityRule {
    /// The rule named `name` (or one of its aliases).
    pub fn find(name: &str) -> Option<&'static PlasticityRule> {
        PLASTICITY_RULES
            .iter()
            .find(|r| r.name == name || r.aliases.contains(&name))
    }
    /// Whether the rule reads `field`.
    pub fn takes(&self, field: &str) -> bool {
        COMMON_FIELDS.contains(&field) || self.fields.contains(&field)
    }
}

/// What a rule sees besides its fields.
struct Env<'a> {
    o: &'a Obj,
    /// The weight dimension of the target's synapses.
    wdim: Dim,
    pops: &'a [ResolvedPopulation],
    /// The projection's target population.
    target: &'a ResolvedPopulation,
}

/// Resolve the plasticity of projection `o` from population `s` to `t`, whose weights have
/// dimension `wdim`.
pub(super) fn resolve(
    ctx: &mut Ctx,
    pl: &Plasticity,
    wdim: Dim,
    o: &Obj,
    pops: &[ResolvedPopulation],
    (s, t): (usize, usize),
) -> Option<ResolvedPlasticity> {
    let Some(rule) = PlasticityRule::find(&pl.rule) else {
        let msg = format!("unknown plasticity rule \"{}\"", pl.rule);
        let names = PLASTICITY_RULES.iter().map(|r| r.name);
        ctx.unknown(o, "plasticity", msg, &pl.rule, names, "rules");
        return None;
    };
    let (sp, tp) = (&pops[s], &pops[t]);
    if rule.name == RATE_RULE && tp.model.spiking {
        let msg = format!(
            "rule \"{RATE_RULE}\" adapts gains from the target's rates, but target population \"{}\" ({}) is spiking",
            tp.name, tp.model.name
        );
        let hint = "target rate units (e.g. model = \"rate_esn_sigmoid\"), or adapt spiking neurons with rule = \"vogels\" or population homeostasis";
        ctx.report(o, "plasticity", msg, hint);
        return None;
    }
    if rule.name != RATE_RULE && (!sp.model.spiking || !tp.model.spiking) {
        let msg = format!(
            "plasticity rule \"{}\" needs spiking source and target populations",
            rule.name
        );
        let hint = format!(
            "onto rate units use rule = \"{RATE_RULE}\"; other rate rules live in ganglion-learn"
        );
        ctx.report(o, "plasticity", msg, hint);
        return None;
    }
    let set = fields_set(pl);
    let before = ctx.problems.len();
    for field in set.iter().filter(|f| !rule.takes(f)) {
        let msg = format!("{field} is not a parameter of rule \"{}\"", rule.name);
        ctx.report(o, field, msg, foreign_hint(rule, field));
    }
    for &field in rule
        .required
        .iter()
        .filter(|f| !set.iter().any(|s| s == *f))
    {
        let (what, example) = field_doc(rule.name, field, wdim);
        let msg = format!("the {} rule needs `{field}`, {what}", rule.name);
        ctx.report(o, "plasticity", msg, format!("{field} = {example}"));
    }
    if ctx.problems.len() > before {
        return None;
    }
    ctx.plasticity_numbers(o, pl)?;
    let env = Env {
        o,
        wdim,
        pops,
        target: tp,
    };
    let w_max = match &pl.w_max {
        Some(s) => bound(ctx, s, wdim, o, "w_max", true),
        None => Some(f64::INFINITY),
    };
    let w_min = match &pl.w_min {
        Some(s) => bound(ctx, s, wdim, o, "w_min", false),
        None => Some(0.0),
    };
    let (w_max, w_min) = (w_max?, w_min?);
    if w_min > w_max {
        let msg = format!("plasticity w_min {w_min} is above w_max {w_max}");
        ctx.report(o, "w_min", msg, NO_HINT);
        return None;
    }
    let timing = pair_timing(ctx, pl, &env);
    let lazy = choice(
        ctx,
        &env,
        pl.update.as_deref(),
        "update",
        "weight update",
        ["immediate", "lazy"],
    );
    let rule = (rule.resolve)(ctx, pl, &env)?;
    Some(ResolvedPlasticity {
        rule,
        w_min,
        w_max,
        timing: timing?,
        lazy: lazy?,
    })
}

/// When a spike-timing rule sees each spike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PairTiming {
    /// At emission: Δt = t_post − t_pre whatever the delay; a pre and a post spike in the same
    /// step count as post-before-pre (depression).
    Emission,
    /// At the synapse, as NEST's `stdp_synapse` and sPyNNaker time pairs: the presynaptic
    /// spike arrives after the axonal part `d_a` of the synapse's delay `d`, the postsynaptic
    /// spike is back-propagated by the dendritic part `d_d` (default `d − d_a`), so
    /// Δt = (t_post + d_d) − (t_pre + d_a); pairs with Δt = 0 count neither way. Needs
    /// `d_d ≥ d_a` for every synapse, so that a presynaptic spike's update is known when it
    /// is sent.
    Synapse {
        /// The axonal part of every synapse's delay \[ms\].
        axonal_delay: f64,
        /// The back-propagation delay \[ms\] of every synapse, when not `d − d_a`.
        dendritic_delay: Option<f64>,
    },
}

/// The pairing times of `pl` (`timing`, `axonal_delay`).
fn pair_timing(ctx: &mut Ctx, pl: &Plasticity, env: &Env) -> Option<PairTiming> {
    let synapse = choice(
        ctx,
        env,
        pl.timing.as_deref(),
        "timing",
        "pair timing",
        ["emission", "synapse"],
    )?;
    let axonal = ctx.quantity_or(
        pl.axonal_delay.as_ref(),
        0.0,
        Dim::Time,
        env.o,
        "axonal_delay",
        "plasticity.axonal_delay",
    )?;
    let dendritic = match &pl.dendritic_delay {
        None => None,
        Some(s) => Some(ctx.quantity(
            s,
            Dim::Time,
            env.o,
            "dendritic_delay",
            "plasticity.dendritic_delay",
        )?),
    };
    for (key, set, v) in [
        ("axonal_delay", pl.axonal_delay.is_some(), axonal),
        (
            "dendritic_delay",
            dendritic.is_some(),
            dendritic.unwrap_or(0.0),
        ),
    ] {
        if set && !synapse {
            let msg = format!("{key} only applies to pairs timed at the synapse");
            ctx.report(env.o, key, msg, "timing = \"synapse\"");
            return None;
        }
        if v < 0.0 {
            let msg = format!(
                "plasticity.{key} must be at least 0, got {}",
                show(v, Dim::Time)
            );
            ctx.report(env.o, key, msg, format!("{key} = \"0 ms\""));
            return None;
        }
    }
    if let Some(d) = dendritic.filter(|&d| d < axonal) {
        let msg = format!(
            "plasticity.dendritic_delay {} is shorter than axonal_delay {}: a presynaptic spike's update would depend on later postsynaptic spikes",
            show(d, Dim::Time),
            show(axonal, Dim::Time)
        );
        ctx.report(
            env.o,
            "dendritic_delay",
            msg,
            "dendritic_delay >= axonal_delay",
        );
        return None;
    }
    Some(match synapse {
        false => PairTiming::Emission,
        true => PairTiming::Synapse {
            axonal_delay: axonal,
            dendritic_delay: dendritic,
        },
    })
}

/// A weight bound: a magnitude, positive for `w_max` and not negative for `w_min` (the sign
/// of the weights is the projection's; a negative bound is a mistake, not taken as its size).
fn bound(ctx: &mut Ctx, s: &Scalar, wdim: Dim, o: &Obj, key: &str, positive: bool) -> Option<f64> {
    let what = format!("plasticity.{key}");
    let v = ctx.quantity(s, wdim, o, key, &what)?;
    if v < 0.0 || (positive && v == 0.0) {
        let need = if positive { "positive" } else { "at least 0" };
        let msg = format!(
            "{what} {s} must be {need}: weights are bounded in magnitude, their sign comes from the projection"
        );
        let example = show(v.abs().max(f64::MIN_POSITIVE), wdim);
        let hint = match v == 0.0 {
            true => format!("{key} = {} (the largest weight magnitude)", wdim.example()),
            false => format!("{key} = \"{example}\""),
        };
        ctx.report(o, key, msg, hint);
        return None;
    }
    Some(v)
}

/// The hint for `field` written on `rule`: the rule's fields, and the rules that take it.
fn foreign_hint(rule: &PlasticityRule, field: &str) -> String {
    let own: Vec<&str> = COMMON_FIELDS[1..]
        .iter()
        .chain(rule.fields)
        .copied()
        .collect();
    let owners: Vec<&str> = PLASTICITY_RULES
        .iter()
        .filter(|r| r.fields.contains(&field))
        .map(|r| r.name)
        .collect();
    let mut hint = format!("rule \"{}\" takes: {}", rule.name, own.join(", "));
    if !owners.is_empty() {
        hint += &format!("; {field} belongs to {}", owners.join(", "));
    }
    hint
}

/// What a required field of `rule` is, and an example value.
fn field_doc(rule: &str, field: &str, wdim: Dim) -> (&'static str, String) {
    match field {
        "eta" if rule == RATE_RULE => (
            "the gain change per unit rate error per unit time",
            "\"10 Hz\"".into(),
        ),
        "target" => (
            "the target rate of each neuron, in [0, 1]",
            "{ dist = \"uniform\", low = 0.1, high = 0.3 }".into(),
        ),
        "w_max" => ("the largest weight magnitude", wdim.example().into()),
        "eta" => ("the weight change per unit trace", wdim.example().into()),
        "rho0" => ("the target rate", Dim::Frequency.example().into()),
        "modulator" => (
            "the reward or error signal",
            "{ file = \"reward.npy\", step = \"1 ms\" }".into(),
        ),
        _ => ("", "...".into()),
    }
}

/// A time constant of the rule: `default` when absent, positive.
fn time(ctx: &mut Ctx, env: &Env, v: &Option<Scalar>, key: &str, default: f64) -> Option<f64> {
    ctx.positive_time(
        v.as_ref(),
        default,
        env.o,
        key,
        &format!("plasticity.{key}"),
    )
}

/// A quantity the rule requires (its absence was reported by the table check).
fn given(ctx: &mut Ctx, env: &Env, v: &Option<Scalar>, dim: Dim, key: &str) -> Option<f64> {
    ctx.quantity(v.as_ref()?, dim, env.o, key, &format!("plasticity.{key}"))
}

/// A two-way choice: false for `options[0]` (the default), true for `options[1]`.
fn choice(
    ctx: &mut Ctx,
    env: &Env,
    v: Option<&str>,
    key: &str,
    what: &str,
    options: [&str; 2],
) -> Option<bool> {
    match v.unwrap_or(options[0]) {
        m if m == options[0] => Some(false),
        m if m == options[1] => Some(true),
        m => {
            let hint = format!("{key} = \"{}\" or \"{}\"", options[0], options[1]);
            ctx.report(env.o, key, format!("unknown {what} \"{m}\""), hint);
            None
        }
    }
}

fn stdp(ctx: &mut Ctx, pl: &Plasticity, env: &Env) -> Option<PlasticRule> {
    let modes = ["additive", "multiplicative"];
    let multiplicative = choice(ctx, env, pl.mode.as_deref(), "mode", "STDP mode", modes);
    let pairings = ["all_to_all", "nearest"];
    let nearest = choice(
        ctx,
        env,
        pl.pairing.as_deref(),
        "pairing",
        "pairing",
        pairings,
    );
    Some(PlasticRule::Pair {
        tau_plus: time(ctx, env, &pl.tau_plus, "tau_plus", 20.0)?,
        tau_minus: time(ctx, env, &pl.tau_minus, "tau_minus", 20.0)?,
        a_plus: pl.a_plus.unwrap_or(0.01),
        a_minus: pl.a_minus.unwrap_or(0.0105),
        multiplicative: multiplicative?,
        nearest: nearest?,
    })
}

fn triplet(ctx: &mut Ctx, pl: &Plasticity, env: &Env) -> Option<PlasticRule> {
    Some(PlasticRule::Triplet {
        tau_plus: time(ctx, env, &pl.tau_plus, "tau_plus", 16.8)?,
        tau_minus: time(ctx, env, &pl.tau_minus, "tau_minus", 33.7)?,
        tau_x: time(ctx, env, &pl.tau_x, "tau_x", 101.0)?,
        tau_y: time(ctx, env, &pl.tau_y, "tau_y", 125.0)?,
        a2_plus: pl.a2_plus.unwrap_or(5e-10),
        a3_plus: pl.a3_plus.unwrap_or(6.2e-3),
        a2_minus: pl.a2_minus.unwrap_or(7e-3),
        a3_minus: pl.a3_minus.unwrap_or(2.3e-4),
    })
}

fn power_law(ctx: &mut Ctx, pl: &Plasticity, env: &Env) -> Option<PlasticRule> {
    Some(PlasticRule::PowerLaw {
        tau_plus: time(ctx, env, &pl.tau_plus, "tau_plus", 15.0)?,
        tau_minus: time(ctx, env, &pl.tau_minus, "tau_minus", 30.0)?,
        lambda: pl.lambda.unwrap_or(0.1),
        alpha: pl.alpha.unwrap_or(0.0513),
        mu: pl.mu.unwrap_or(0.4),
    })
}

fn three_factor(ctx: &mut Ctx, pl: &Plasticity, env: &Env) -> Option<PlasticRule> {
    let modulator = modulator(ctx, env, pl.modulator.as_ref()?, "modulator")?;
    let gate = match &pl.gate {
        None => None,
        Some(g) => Some(self::modulator(ctx, env, g, "gate")?),
    };
    Some(PlasticRule::ThreeFactor {
        tau_plus: time(ctx, env, &pl.tau_plus, "tau_plus", 20.0)?,
        tau_minus: time(ctx, env, &pl.tau_minus, "tau_minus", 20.0)?,
        a_plus: pl.a_plus.unwrap_or(1.0),
        a_minus: pl.a_minus.unwrap_or(1.0),
        tau_e: time(ctx, env, &pl.tau_e, "tau_e", 200.0)?,
        rate: pl.rate.unwrap_or(1.0),
        modulator,
        gate,
    })
}

fn scaling(ctx: &mut Ctx, pl: &Plasticity, env: &Env) -> Option<PlasticRule> {
    let target = given(ctx, env, &pl.rho0, Dim::Frequency, "rho0")?;
    let interval = time(ctx, env, &pl.interval, "interval", 10.0)?;
    let interval = ctx.steps(env.o, "interval", "plasticity.interval", interval)?;
    Some(PlasticRule::Scaling {
        target,
        tau: time(ctx, env, &pl.tau, "tau", 1000.0)?,
        rate: pl.rate.unwrap_or(0.1),
        interval,
    })
}

fn vogels(ctx: &mut Ctx, pl: &Plasticity, env: &Env) -> Option<PlasticRule> {
    let tau = time(ctx, env, &pl.tau, "tau", 20.0)?;
    let eta = given(ctx, env, &pl.eta, env.wdim, "eta")?;
    let rho0 = given(ctx, env, &pl.rho0, Dim::Frequency, "rho0")?;
    Some(PlasticRule::Vogels {
        tau,
        eta,
        alpha: 2.0 * rho0 * tau * 1e-3,
    })
}

/// A modulator or gate: a `.npy` series, or a population's filtered rate.
fn modulator(ctx: &mut Ctx, env: &Env, m: &Modulator, what: &str) -> Option<ModulatorSource> {
    let o = env.o;
    match (&m.file, &m.population) {
        (Some(file), None) => {
            let step = ctx.quantity_or(
                m.step.as_ref(),
                ctx.dt,
                Dim::Time,
                o,
                what,
                &format!("{what}.step"),
            )?;
            if ctx.below_dt(step) {
                let msg = format!("{what}.step {} is shorter than dt", show(step, Dim::Time));
                ctx.report(o, what, msg, NO_HINT);
                return None;
            }
            let prefix = format!("{what}: ");
            let a = super::files::read_npy(ctx, o, what, &prefix, file)?;
            if let Some(end) = ctx.run_end()
                && (a.data.len() as f64) * step < end - 1e-9
            {
                let msg = format!(
                    "{what}: {file} has {} samples of {} = {}, shorter than the run ({end}): the {what} is 0 from then on",
                    a.data.len(),
                    fmt_ms(step),
                    fmt_ms(a.data.len() as f64 * step),
                    end = fmt_ms(end),
                );
                ctx.note(o, what, msg);
            }
            Some(ModulatorSource::Series {
                values: a.data.into(),
                step,
            })
        }
        (None, Some(name)) => {
            let Some(population) = env.pops.iter().position(|p| &p.name == name) else {
                if ctx.is_broken("population", name) {
                    return None;
                }
                let msg = format!("{what}: population \"{name}\" is not defined");
                let names = env.pops.iter().map(|p| p.name.as_str());
                ctx.unknown(o, what, msg, name, names, "defined populations");
                return None;
            };
            let tau = ctx.positive_time(m.tau.as_ref(), 50.0, o, what, &format!("{what}.tau"))?;
            Some(ModulatorSource::Population {
                population,
                tau,
                offset: m.offset.unwrap_or(0.0),
            })
        }
        _ => {
            let msg = format!("{what} needs exactly one of `file` or `population`");
            let hint = format!(
                "{what} = {{ file = \"reward.npy\", step = \"1 ms\" }} or {{ population = \"da\", tau = \"50 ms\" }}"
            );
            ctx.report(o, what, msg, hint);
            None
        }
    }
}

#[cfg(test)]
mod tests;
