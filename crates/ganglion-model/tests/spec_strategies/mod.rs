//! Strategies for the property tests of `properties.rs`: spec-like TOML text, and a valid
//! spec template whose slots are filled with defaults or near misses.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

// ---------------------------------------------------------------------------------------
// Arbitrary text
// ---------------------------------------------------------------------------------------

/// Fragments of spec-like TOML: headers, keys, values, and broken pieces.
pub fn tomlish_line() -> BoxedStrategy<String> {
    let header = prop::sample::select(vec![
        "[simulation]",
        "[[population]]",
        "[[projection]]",
        "[[input]]",
        "[[monitor]]",
        "[population]",
        "[[simulation]]",
        "[population.init]",
        "[ simulation ]",
        "[[ population ]]",
        "[[",
        "]]",
        "[x",
        "",
        "# comment",
    ])
    .prop_map(str::to_string);
    let key = prop::sample::select(vec![
        "dt",
        "duration",
        "seed",
        "threads",
        "memory_limit",
        "name",
        "size",
        "model",
        "sign",
        "params",
        "init",
        "homeostasis",
        "source",
        "target",
        "connectivity",
        "weight",
        "delay",
        "receptor",
        "autapses",
        "multapses",
        "plasticity",
        "kind",
        "rate",
        "neurons",
        "count",
        "variables",
        "every",
        "bin",
        "projection",
        "population",
        "times",
        "amplitudes",
        "amplitude",
        "file",
        "tau_m",
        "rule",
        "p",
        "k",
        "w_max",
        "\"quoted\"",
        "a.b",
        "x",
    ]);
    let key_value = (key, value(), any::<bool>()).prop_map(|(k, v, spaced)| {
        if spaced {
            format!("{k} = {v}")
        } else {
            format!("{k}={v}")
        }
    });
    let junk = "[ -~]{0,30}".prop_map(|s| s);
    prop_oneof![2 => header, 6 => key_value, 1 => junk].boxed()
}

/// Any TOML value a spec might hold, mostly well-formed.
pub fn value() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        number(),
        quantity(),
        name(),
        Just("true".to_string()),
        Just("false".to_string()),
        Just("1979-05-27".to_string()),
        Just("\"\"".to_string()),
        Just("\"unterminated".to_string()),
        Just("'literal'".to_string()),
        Just("{}".to_string()),
        Just("[]".to_string()),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec((key_name(), inner), 0..4).prop_map(|kv| {
                let body: Vec<String> = kv.into_iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{{ {} }}", body.join(", "))
            }),
        ]
    })
    .boxed()
}

/// Keys of inline tables: distributions, parameters, connectivity, plasticity, modulators.
pub fn key_name() -> BoxedStrategy<String> {
    prop::sample::select(vec![
        "dist",
        "low",
        "high",
        "mean",
        "std",
        "min",
        "max",
        "file",
        "unit",
        "rule",
        "p",
        "k",
        "w_max",
        "w_min",
        "tau_plus",
        "A_plus",
        "mode",
        "pairing",
        "rho0",
        "eta",
        "tau",
        "tau_m",
        "V_m",
        "V_th",
        "C_m",
        "a",
        "rate",
        "target",
        "population",
        "offset",
        "step",
        "modulator",
        "gate",
        "weight_unit",
        "zzz",
    ])
    .prop_map(str::to_string)
    .boxed()
}

/// Number literals as TOML sees them (some are not TOML: then it is a syntax error).
pub fn number_text() -> BoxedStrategy<String> {
    prop_oneof![
        prop::sample::select(vec![
            "0",
            "-0",
            "0.0",
            "-0.0",
            "1",
            "-1",
            "-20",
            "0.5",
            "1e300",
            "-1e300",
            "1e-300",
            "5e-324",
            "1e308",
            "1.7976931348623157e308",
            "1e400",
            "nan",
            "+nan",
            "-nan",
            "inf",
            "+inf",
            "-inf",
            "NaN",
            "Infinity",
            "1_000",
            "0x10",
            "0o7",
            "0b1",
            ".5",
            "5.",
            "1e",
            "--1",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "18446744073709551616",
        ])
        .prop_map(str::to_string),
        (-1e3..1e3f64).prop_map(|x| format!("{x}")),
        any::<f64>().prop_map(|x| format!("{x:?}")),
        any::<i64>().prop_map(|x| x.to_string()),
    ]
    .boxed()
}

/// A bare number literal.
pub fn number() -> BoxedStrategy<String> {
    number_text()
}

/// Units: valid ones of every dimension, and misspelt or odd ones.
pub fn unit() -> BoxedStrategy<String> {
    prop::sample::select(vec![
        "ms", "s", "us", "µs", "min", "mV", "V", "uV", "pA", "nA", "A", "fA", "nS", "uS", "S",
        "pS", "pF", "nF", "F", "Hz", "kHz", "MOhm", "Ω", "GiB", "KiB", "B", "", "msec", "Ms", "mv",
        "MV", "hz", "kHZ", "pa", "µ", "ms ms", "m s", "ms2", "1/ms", "°C", "sec", "mHz",
    ])
    .prop_map(str::to_string)
    .boxed()
}

/// A quoted quantity: `"<number> <unit>"`, without a space, or without a unit.
pub fn quantity() -> BoxedStrategy<String> {
    (number_text(), unit(), 0..4u8)
        .prop_map(|(n, u, form)| match form {
            0 | 1 => format!("\"{n} {u}\""),
            2 => format!("\"{n}{u}\""),
            _ => format!("\"  {n}   {u} \""),
        })
        .boxed()
}

/// A quoted name, from every table of names the spec uses, or a near miss.
pub fn name() -> BoxedStrategy<String> {
    prop::sample::select(vec![
        "exc",
        "inh",
        "src",
        "plastic",
        "exc→exc",
        "",
        " ",
        "EXC",
        "ex",
        "iaf_psc_exp",
        "iaf_psc_delta",
        "iaf_cond_exp",
        "izhikevich",
        "poisson_source",
        "rate_tanh",
        "iaf_psc_expo",
        "all_to_all",
        "fixed_probability",
        "fixed_indegree",
        "one_to_one",
        "edge_list",
        "fixed_prob",
        "stdp",
        "triplet",
        "vogels",
        "three_factor",
        "scaling",
        "power_law",
        "stpd",
        "poisson",
        "current",
        "spike_times",
        "step_current",
        "timeseries",
        "spikes",
        "state",
        "rate",
        "weights",
        "uniform",
        "normal",
        "lognormal",
        "excitatory",
        "inhibitory",
        "additive",
        "multiplicative",
        "nearest",
        "V_m",
        "missing.npy",
        "../x.csv",
    ])
    .prop_map(|s| format!("\"{s}\""))
    .boxed()
}

// ---------------------------------------------------------------------------------------
// A valid spec, perturbed
// ---------------------------------------------------------------------------------------

/// What a slot of the template holds, which picks its near-miss values.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A quantity with a unit (`"20 ms"`) or a value (distribution, list).
    Quantity,
    /// A non-negative integer.
    Int,
    /// A population size.
    Size,
    /// A dimensionless float.
    Float,
    /// A population reference.
    Pop,
    /// A neuron model.
    Model,
    /// A connection rule.
    Conn,
    /// A plasticity rule.
    Rule,
    /// A field of a plasticity rule.
    RuleField,
    /// A parameter name.
    Param,
    /// An input kind.
    InputType,
    /// A monitor kind.
    MonitorType,
    /// A state variable.
    Var,
    /// A sign or receptor.
    Sign,
    /// A distribution name.
    Dist,
}

/// The template: `{}` marks a slot; `SLOTS` gives each slot's kind and valid default, in
/// order. Every kind of object of the spec appears, so every validator path is reached.
pub const TEMPLATE: &str = r#"[simulation]
dt = {}
duration = {}
seed = {}
threads = {}

[[population]]
name = "exc"
size = {}
model = {}
sign = {}
params = { tau_m = {}, V_th = {}, {} = {} }
init = { V_m = { dist = {}, low = {}, high = {} } }
homeostasis = { target = {}, tau = {}, eta = {} }

[[population]]
name = "inh"
size = {}
model = {}
params = { a = {}, c = {} }

[[population]]
name = "src"
size = {}
model = "poisson_source"
params = { rate = {} }

[[projection]]
source = {}
target = {}
connectivity = { rule = {}, p = {} }
weight = {}
delay = {}

[[projection]]
name = "plastic"
source = "src"
target = {}
connectivity = { rule = "fixed_indegree", k = {} }
weight = {}
delay = {}
receptor = {}
plasticity = { rule = {}, w_max = {}, {} = {} }

[[projection]]
source = "inh"
target = "inh"
connectivity = { rule = {} }
weight = {}

[[input]]
kind = {}
target = {}
rate = {}
weight = {}

[[input]]
kind = "current"
target = "inh"
amplitude = {}
start = {}
stop = {}

[[monitor]]
kind = {}
population = {}
count = {}

[[monitor]]
kind = "state"
population = "inh"
variables = [{}]
neurons = [0, {}]
every = {}

[[monitor]]
kind = "rate"
population = {}
bin = {}

[[monitor]]
kind = "weights"
projection = {}
count = {}
every = {}
"#;

use Kind::*;
pub const SLOTS: &[(Kind, &str)] = &[
    (Quantity, "\"0.1 ms\""),
    (Quantity, "\"60 ms\""),
    (Int, "1"),
    (Int, "1"),
    // exc
    (Size, "40"),
    (Model, "\"iaf_psc_exp\""),
    (Sign, "\"excitatory\""),
    (Quantity, "\"20 ms\""),
    (Quantity, "\"-50 mV\""),
    (Param, "C_m"),
    (Quantity, "\"250 pF\""),
    (Dist, "\"uniform\""),
    (Quantity, "\"-70 mV\""),
    (Quantity, "\"-55 mV\""),
    (Quantity, "\"5 Hz\""),
    (Quantity, "\"1 s\""),
    (Quantity, "\"0.1 mV\""),
    // inh
    (Size, "10"),
    (Model, "\"izhikevich\""),
    (Float, "0.02"),
    (Quantity, "\"-65 mV\""),
    // src
    (Size, "20"),
    (Quantity, "\"10 Hz\""),
    // projection exc→exc
    (Pop, "\"exc\""),
    (Pop, "\"exc\""),
    (Conn, "\"fixed_probability\""),
    (Float, "0.1"),
    (Quantity, "\"20 pA\""),
    (Quantity, "\"1.5 ms\""),
    // plastic
    (Pop, "\"exc\""),
    (Int, "5"),
    (Quantity, "\"10 pA\""),
    (Quantity, "\"1 ms\""),
    (Sign, "\"excitatory\""),
    (Rule, "\"stdp\""),
    (Quantity, "\"30 pA\""),
    (RuleField, "tau_plus"),
    (Quantity, "\"20 ms\""),
    // inh→inh
    (Conn, "\"all_to_all\""),
    (Quantity, "\"-1 mV\""),
    // inputs
    (InputType, "\"poisson\""),
    (Pop, "\"exc\""),
    (Quantity, "\"8 kHz\""),
    (Quantity, "\"10 pA\""),
    (Quantity, "\"10 pA\""),
    (Quantity, "\"10 ms\""),
    (Quantity, "\"50 ms\""),
    // monitors
    (MonitorType, "\"spikes\""),
    (Pop, "\"exc\""),
    (Int, "10"),
    (Var, "\"V_m\""),
    (Int, "3"),
    (Quantity, "\"1 ms\""),
    (Pop, "\"exc\""),
    (Quantity, "\"1 ms\""),
    (Pop, "\"plastic\""),
    (Int, "5"),
    (Quantity, "\"5 ms\""),
];

pub fn quoted(v: &[&str]) -> BoxedStrategy<String> {
    let v: Vec<String> = v.iter().map(|s| format!("\"{s}\"")).collect();
    prop::sample::select(v).boxed()
}

pub fn bare(v: &[&str]) -> BoxedStrategy<String> {
    let v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    prop::sample::select(v).boxed()
}

/// Values near the right ones for a slot of `kind`.
pub fn near_miss(kind: Kind) -> BoxedStrategy<String> {
    match kind {
        Quantity => prop_oneof![
            6 => quantity(),
            1 => number(),
            1 => (quantity(), quantity(), quoted(&["uniform", "normal", "lognormal", "gamma"]), 0..4u8)
                .prop_map(|(a, b, d, form)| match form {
                    0 => format!("{{ dist = {d}, low = {a}, high = {b} }}"),
                    1 => format!("{{ dist = {d}, mean = {a}, std = {b} }}"),
                    2 => format!("{{ dist = {d}, mean = {a}, std = {b}, min = {a}, max = {b} }}"),
                    _ => format!("{{ file = \"missing.npy\", unit = {a} }}"),
                }),
            1 => prop::collection::vec(quantity(), 0..5).prop_map(|v| format!("[{}]", v.join(", "))),
        ]
        .boxed(),
        Int => prop_oneof![
            bare(&[
                "0", "1", "2", "-1", "3", "39", "40", "41", "1000", "1000000", "1000000000000",
                "4294967296", "18446744073709551615", "1.5", "\"3\"", "1e3", "nan",
            ]),
            (0..100u32).prop_map(|x| x.to_string()),
        ]
        .boxed(),
        // Up to 2^32 - 1: larger sizes overflow `usize` arithmetic in the validator, see
        // `population_sizes_that_overflow_when_added` and `all_to_all_that_overflows` below.
        Size => prop_oneof![
            bare(&[
                "0", "1", "2", "-1", "40", "1000000", "1000000000", "4294967295", "1.5",
                "\"3\"", "nan",
            ]),
            (0..100u32).prop_map(|x| x.to_string()),
        ]
        .boxed(),
        Float => prop_oneof![
            number(),
            (-0.5..1.5f64).prop_map(|x| format!("{x}")),
            Just("\"0.1\"".to_string()),
        ]
        .boxed(),
        Pop => quoted(&["exc", "inh", "src", "plastic", "", "EXC", "ex", "exc ", "exc→exc", "nope"]),
        Model => quoted(&[
            "iaf_psc_exp",
            "iaf_psc_alpha",
            "iaf_cond_exp",
            "iaf_psc_delta",
            "iaf_psc_exp_adapt",
            "aeif_psc_exp",
            "izhikevich",
            "rate_tanh",
            "rate_relu",
            "rate_sigmoid",
            "rate_linear",
            "poisson_source",
            "iaf_psc_expo",
            "IZHIKEVICH",
            "lif",
            "",
        ]),
        Conn => quoted(&[
            "all_to_all",
            "fixed_probability",
            "fixed_indegree",
            "fixed_outdegree",
            "one_to_one",
            "edge_list",
            "fixed_prob",
            "alltoall",
            "",
        ]),
        Rule => quoted(&[
            "stdp",
            "triplet",
            "vogels",
            "three_factor",
            "scaling",
            "power_law",
            "stdp_pl_synapse_hom",
            "stpd",
            "",
        ]),
        RuleField => bare(&[
            "tau_plus", "tau_minus", "A_plus", "A_minus", "mode", "pairing", "tau_x", "tau_y",
            "A2_plus", "A3_minus", "eta", "rho0", "tau", "tau_e", "rate", "lambda", "alpha", "mu",
            "interval", "w_min", "modulator", "gate", "tau_pls", "foo",
        ]),
        Param => bare(&[
            "C_m", "t_ref", "V_reset", "E_L", "I_e", "tau_syn_ex", "a", "b", "rate",
            "g_L", "Cm", "tau", "V_m",
        ]),
        InputType => quoted(&[
            "poisson",
            "spike_times",
            "current",
            "step_current",
            "timeseries",
            "poison",
            "",
        ]),
        MonitorType => quoted(&["spikes", "state", "rate", "weights", "spike", ""]),
        Var => quoted(&["V_m", "U_m", "I_syn_ex", "v", ""]),
        Sign => quoted(&["excitatory", "inhibitory", "exc", "positive", ""]),
        Dist => quoted(&["uniform", "normal", "lognormal", "Uniform", ""]),
    }
}

/// One slot: its default most of the time, else a near miss or any value at all.
pub fn slot(kind: Kind, default: &'static str, p_change: u32) -> BoxedStrategy<String> {
    prop_oneof![
        (100 - p_change) => Just(default.to_string()),
        (p_change * 7 / 8).max(1) => near_miss(kind),
        (p_change / 8).max(1) => value(),
    ]
    .boxed()
}

pub fn fill(template: &str, values: &[String]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut parts = template.split("{}");
    out.push_str(parts.next().unwrap_or(""));
    for (part, v) in parts.zip(values) {
        out.push_str(v);
        out.push_str(part);
    }
    out
}

/// The template with slots perturbed (each with probability `p_change` %) and, one time in
/// four, one line dropped (a missing field, or a missing header).
pub fn perturbed_spec(p_change: u32) -> impl Strategy<Value = String> {
    let slots: Vec<BoxedStrategy<String>> =
        SLOTS.iter().map(|&(k, d)| slot(k, d, p_change)).collect();
    let n_lines = TEMPLATE.lines().count();
    (slots, prop::option::weighted(0.25, 0..n_lines)).prop_map(|(values, drop)| {
        let text = fill(TEMPLATE, &values);
        let mut out = String::new();
        for (i, line) in text.lines().enumerate() {
            if drop != Some(i) {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    })
}

pub fn defaults() -> Vec<String> {
    SLOTS.iter().map(|(_, d)| d.to_string()).collect()
}
