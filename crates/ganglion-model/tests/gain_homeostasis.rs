//! `rule = "gain_homeostasis"` (per-neuron inhibitory gains of rate units): what validates,
//! and that every bad value gets an error naming the projection, the value and a fix.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

mod common;
use common::*;

use ganglion_model::*;
use std::path::Path;

const SPEC: &str = r#"
[simulation]
dt = "1 ms"
duration = "100 ms"

[[population]]
name = "E"
size = 8
model = "rate_esn_sigmoid"
sign = "excitatory"

[[population]]
name = "I"
size = 2
model = "rate_esn_sigmoid"
sign = "inhibitory"

[[projection]]
name = "inh"
source = "I"
target = "E"
connectivity = { rule = "all_to_all" }
weight = -0.5
plasticity = { rule = "gain_homeostasis", eta = "10 Hz", target = { dist = "uniform", low = 0.1, high = 0.3 } }
"#;

#[test]
fn a_good_rule_resolves_with_its_defaults() {
    let c = parse_str(SPEC, Path::new("good.toml")).unwrap();
    let r = validate(&c, &Source::default()).unwrap();
    let pl = r.projections[0].plasticity.as_ref().unwrap();
    assert_eq!(
        pl.rule,
        PlasticRule::GainHomeostasis {
            eta: 10.0,
            target: Distribution::Uniform {
                low: 0.1,
                high: 0.3
            },
            gain: Distribution::Const(1.0),
            per_neuron: true,
        }
    );
    // Per-neuron lists, and the global mode.
    let list = SPEC.replace(
        "target = { dist = \"uniform\", low = 0.1, high = 0.3 }",
        "target = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], gain = 2.0, mode = \"global\"",
    );
    let c = parse_str(&list, Path::new("good.toml")).unwrap();
    let r = validate(&c, &Source::default()).unwrap();
    match &r.projections[0].plasticity.as_ref().unwrap().rule {
        PlasticRule::GainHomeostasis {
            target,
            gain,
            per_neuron,
            ..
        } => {
            assert_eq!(target.bounds(), (0.1, 0.8));
            assert_eq!(gain, &Distribution::Const(2.0));
            assert!(!per_neuron);
        }
        other => panic!("{other:?}"),
    }
}

fn bad(from: &str, to: &str, parts: &[&str]) {
    assert!(SPEC.contains(from), "{from}");
    let m = error_of(&SPEC.replace(from, to));
    assert_all(&m, parts);
    assert_all(&m, &["projection \"inh\""]);
}

#[test]
fn bad_values_name_the_value_and_the_fix() {
    bad(
        "eta = \"10 Hz\"",
        "eta = \"-1 Hz\"",
        &[
            "plasticity.eta must be positive, got -1 Hz",
            "eta = \"10 Hz\"",
        ],
    );
    bad(
        "eta = \"10 Hz\"",
        "eta = 0.01",
        &["plasticity.eta 0.01 has no unit, but it is a frequency"],
    );
    bad(
        "high = 0.3",
        "high = 1.3",
        &[
            "plasticity.target must lie in [0, 1]",
            "[0.1, 1.3]",
            "low = 0.1, high = 0.3",
        ],
    );
    bad(
        "eta = \"10 Hz\"",
        "eta = \"10 Hz\", gain = -0.5",
        &[
            "plasticity.gain must be at least 0",
            "-0.5",
            "Dale's law",
            "gain = 1.0",
        ],
    );
    bad(
        "eta = \"10 Hz\"",
        "eta = \"10 Hz\", mode = \"global\", gain = [1, 1, 1, 1, 1, 1, 1, 2]",
        &["mode = \"global\"", "plasticity.gain must be one number"],
    );
    bad(
        "eta = \"10 Hz\"",
        "eta = \"10 Hz\", mode = \"local\"",
        &[
            "unknown gain homeostasis mode \"local\"",
            "\"per_neuron\" or \"global\"",
        ],
    );
    bad(
        "eta = \"10 Hz\"",
        "eta = \"10 Hz\", w_max = 2.0",
        &[
            "w_max does not apply to rule \"gain_homeostasis\"",
            "remove w_max",
        ],
    );
    bad(
        ", target = { dist = \"uniform\", low = 0.1, high = 0.3 }",
        "",
        &[
            "the gain_homeostasis rule needs `target`",
            "target = { dist = \"uniform\"",
        ],
    );
    bad(
        "target = { dist = \"uniform\", low = 0.1, high = 0.3 }",
        "target = [0.1, 0.2]",
        &["target"],
    );
}

#[test]
fn the_rule_needs_rate_targets_and_spike_rules_need_spikes() {
    let spiking = SPEC
        .replace("model = \"rate_esn_sigmoid\"", "model = \"iaf_psc_delta\"")
        .replace("weight = -0.5", "weight = \"-0.5 mV\"");
    let m = error_of(&spiking);
    assert_all(
        &m,
        &[
            "projection \"inh\"",
            "target population \"E\" (iaf_psc_delta) is spiking",
            "rate_esn_sigmoid",
        ],
    );
    let stdp = SPEC.replace(
        "rule = \"gain_homeostasis\", eta = \"10 Hz\", target = { dist = \"uniform\", low = 0.1, high = 0.3 }",
        "rule = \"stdp\", w_max = 1.0",
    );
    assert_all(
        &error_of(&stdp),
        &[
            "plasticity rule \"stdp\" needs spiking source and target populations",
            "rule = \"gain_homeostasis\"",
        ],
    );
}
