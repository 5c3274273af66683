//! Every kind of bad input gets an error that names the object, the value, the line and a fix.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

mod common;
use common::*;

use ganglion_model::*;
use std::path::Path;

#[test]
fn the_good_spec_validates() {
    let c = parse_str(GOOD, Path::new("good.toml")).unwrap();
    let r = validate(&c, &Source::default()).unwrap();
    assert_eq!(r.populations.len(), 2);
    assert!((r.memory.synapses - 160.0).abs() < 1e-9);
}

#[test]
fn unknown_model_suggests_the_closest() {
    let m = error_of(&GOOD.replacen("model = \"iaf_psc_exp\"", "model = \"iaf_psc_expo\"", 1));
    assert_all(
        &m,
        &[
            "bad.toml:9",
            "population \"exc\"",
            "unknown model \"iaf_psc_expo\"",
            "did you mean \"iaf_psc_exp\"",
        ],
    );
}

#[test]
fn unknown_parameter_suggests_the_closest() {
    let m = error_of(&GOOD.replace("tau_m = \"20 ms\"", "tau_mem = \"20 ms\""));
    assert_all(
        &m,
        &[
            "bad.toml:11",
            "no parameter \"tau_mem\"",
            "did you mean \"tau_m\"",
        ],
    );
}

#[test]
fn wrong_or_missing_units() {
    // (a line of GOOD, what replaces it, what the error says)
    for (from, to, parts) in [
        (
            "tau_m = \"20 ms\"",
            "tau_m = \"20 mV\"",
            &[
                "bad.toml:11",
                "tau_m \"20 mV\" is a voltage, but it must be a time",
                "\"20 ms\"",
            ][..],
        ),
        (
            "tau_m = \"20 ms\"",
            "tau_m = 20.0",
            &["tau_m 20 has no unit, but it is a time"],
        ),
        (
            "tau_m = \"20 ms\"",
            "tau_m = \"20 fortnights\"",
            &["unknown unit \"fortnights\""],
        ),
        (
            "weight = \"20 pA\"",
            "weight = \"20 nS\"",
            &[
                "bad.toml:23",
                "weight \"20 nS\" is a conductance, but it must be a current",
            ],
        ),
    ] {
        assert_all(&error_of(&GOOD.replace(from, to)), parts);
    }
}

#[test]
fn negative_time_constant() {
    let m = error_of(&GOOD.replace("tau_m = \"20 ms\"", "tau_m = \"-20 ms\""));
    assert_all(
        &m,
        &[
            "bad.toml:11",
            "population \"exc\"",
            "tau_m must be positive, got -20 ms",
            "hint:",
        ],
    );
}

#[test]
fn delay_shorter_than_dt() {
    let m = error_of(&GOOD.replace("delay = \"1 ms\"", "delay = \"0.05 ms\""));
    assert_all(
        &m,
        &[
            "bad.toml:24",
            "projection \"exc→inh\"",
            "delay 0.05 ms is shorter than dt 0.1 ms",
            "at least one step",
        ],
    );
}

#[test]
fn undefined_population() {
    let m = error_of(&GOOD.replace("target = \"inh\"", "target = \"inhib\""));
    assert_all(
        &m,
        &[
            "bad.toml:21",
            "target population \"inhib\" is not defined",
            "did you mean \"inh\"",
        ],
    );
    let m = error_of(&GOOD.replace("population = \"exc\"", "population = \"nobody\""));
    assert_all(&m, &["monitored population \"nobody\" is not defined"]);
}

#[test]
fn duplicate_names() {
    let m = error_of(&GOOD.replace("name = \"inh\"", "name = \"exc\""));
    assert_all(
        &m,
        &["bad.toml:14", "population \"exc\"", "is defined twice"],
    );
}

#[test]
fn probability_outside_unit_interval() {
    let m = error_of(&GOOD.replace("p = 0.1", "p = 1.5"));
    assert_all(&m, &["bad.toml:22", "p = 1.5 is outside [0, 1]"]);
}

#[test]
fn indegree_larger_than_the_source() {
    let m = error_of(&GOOD.replace(
        "{ rule = \"fixed_probability\", p = 0.1 }",
        "{ rule = \"fixed_indegree\", k = 100 }",
    ));
    assert_all(
        &m,
        &[
            "in-degree k = 100 is larger than the 80 source neurons",
            "multapses = true",
        ],
    );
}

#[test]
fn dale_violations() {
    let m = error_of(&GOOD.replace(
        "weight = \"20 pA\"",
        "weight = \"-20 pA\"\nreceptor = \"excitatory\"",
    ));
    assert!(m.contains("negative"), "{m}");
    let m = error_of(&GOOD.replace(
        "weight = \"20 pA\"",
        "weight = { dist = \"normal\", mean = \"20 pA\", std = \"5 pA\" }",
    ));
    assert_all(
        &m,
        &[
            "Dale's law: excitatory population \"exc\"",
            "min = \"0 pA\"",
        ],
    );
}

#[test]
fn memory_that_will_not_fit_is_refused_before_allocating() {
    let big = GOOD
        .replace("size = 20\n", "size = 1000000\n")
        .replace("size = 80\n", "size = 2000000\n")
        .replace(
            "duration = \"100 ms\"",
            "duration = \"100 ms\"\nmemory_limit = \"8 GiB\"",
        );
    let m = error_of(&big);
    assert_all(
        &m,
        &[
            "needs about",
            "GiB to build",
            "2.000e11 synapses",
            "only 8.0 GiB is allowed by [simulation] memory_limit",
        ],
    );
}

#[test]
fn syntax_errors_have_line_and_column() {
    let m = error_of(&GOOD.replace("size = 80", "size = \"eighty\""));
    assert!(m.starts_with("bad.toml:8:"), "{m}");
    let m = error_of(&GOOD.replace(
        "sign = \"excitatory\"",
        "sign = \"excitatory\"\ncolour = \"red\"",
    ));
    assert!(m.contains("unknown field `colour`"), "{m}");
}

#[test]
fn all_problems_are_reported_at_once() {
    let m = error_of(
        &GOOD
            .replace("tau_m = \"20 ms\"", "tau_m = \"-20 ms\"")
            .replace("p = 0.1", "p = 2.0"),
    );
    assert_all(
        &m,
        &["2 problems", "tau_m must be positive", "p = 2 is outside"],
    );
}

#[test]
fn bad_inputs_and_monitors() {
    // (a table added to GOOD, what the error says)
    for (extra, parts) in [
        (
            "[[input]]\nkind = \"poisson\"\ntarget = \"exc\"\nweight = \"1 pA\"",
            &["a poisson input needs `rate`"][..],
        ),
        (
            "[[input]]\nkind = \"poison\"\ntarget = \"exc\"",
            &["unknown input kind \"poison\"", "did you mean \"poisson\""],
        ),
        (
            "[[monitor]]\nkind = \"state\"\npopulation = \"exc\"\nvariables = [\"V\"]\nneurons = [0]",
            &["no state variable \"V\"", "V_m"],
        ),
        (
            "[[monitor]]\nkind = \"spikes\"\npopulation = \"exc\"\nneurons = [80]",
            &["neuron 80 does not exist (size 80)"],
        ),
    ] {
        assert_all(&error_of(&format!("{GOOD}\n{extra}")), parts);
    }
}

#[test]
fn a_field_of_another_plasticity_rule_is_rejected() {
    let vogels = "plasticity = { rule = \"vogels\", w_max = \"100 pA\", eta = \"1 pA\", rho0 = \"5 Hz\", tau_plus = \"20 ms\" }";
    let m = error_of(&GOOD.replace("delay = \"1 ms\"", &format!("delay = \"1 ms\"\n{vogels}")));
    assert_all(
        &m,
        &[
            "1 problem:",
            "bad.toml:25: projection \"exc→inh\": tau_plus is not a parameter of rule \"vogels\"",
            "hint: rule \"vogels\" takes: w_max, w_min, tau, eta, rho0, timing, axonal_delay, dendritic_delay, update",
            "tau_plus belongs to stdp, triplet, power_law, three_factor",
        ],
    );
    // Without the foreign field the same rule validates; a missing required field is named.
    let ok = GOOD.replace(
        "delay = \"1 ms\"",
        &format!(
            "delay = \"1 ms\"\n{}",
            vogels.replace(", tau_plus = \"20 ms\"", "")
        ),
    );
    let c = parse_str(&ok, Path::new("ok.toml")).unwrap();
    assert!(validate(&c, &Source::default()).is_ok());
    let m = error_of(&ok.replace(", rho0 = \"5 Hz\"", ""));
    assert_all(
        &m,
        &[
            "the vogels rule needs `rho0`, the target rate",
            "rho0 = \"10 Hz\"",
        ],
    );
    let m = error_of(&ok.replace("rule = \"vogels\"", "rule = \"vogel\""));
    assert_all(
        &m,
        &[
            "unknown plasticity rule \"vogel\"",
            "did you mean \"vogels\"?",
        ],
    );
}

#[test]
fn bad_pair_timing_and_update_are_rejected() {
    let with = |pl: &str| GOOD.replace("delay = \"1 ms\"", &format!("delay = \"1 ms\"\n{pl}"));
    let stdp = "plasticity = { rule = \"stdp\", w_max = \"100 pA\"";
    let m = error_of(&with(&format!("{stdp}, timing = \"arrival\" }}")));
    assert_all(
        &m,
        &[
            "projection \"exc→inh\": unknown pair timing \"arrival\"",
            "timing = \"emission\" or \"synapse\"",
        ],
    );
    let m = error_of(&with(&format!("{stdp}, axonal_delay = \"0.5 ms\" }}")));
    assert_all(
        &m,
        &[
            "axonal_delay only applies to pairs timed at the synapse",
            "hint: timing = \"synapse\"",
        ],
    );
    let m = error_of(&with(&format!(
        "{stdp}, timing = \"synapse\", axonal_delay = \"-1 ms\" }}"
    )));
    assert_all(
        &m,
        &["plasticity.axonal_delay must be at least 0, got -1 ms"],
    );
    let m = error_of(&with(&format!("{stdp}, update = \"batched\" }}")));
    assert_all(
        &m,
        &[
            "unknown weight update \"batched\"",
            "update = \"immediate\" or \"lazy\"",
        ],
    );
    // Eligibility rules change weights only under modulation: no lazy update for them.
    let tf = "plasticity = { rule = \"three_factor\", w_max = \"100 pA\", modulator = { population = \"inh\" }, update = \"lazy\" }";
    assert_all(
        &error_of(&with(tf)),
        &["update is not a parameter of rule \"three_factor\""],
    );
    let ok = with(&format!(
        "{stdp}, timing = \"synapse\", axonal_delay = \"0.5 ms\", update = \"lazy\" }}"
    ));
    let c = parse_str(&ok, Path::new("ok.toml")).unwrap();
    let r = validate(&c, &Source::default()).unwrap();
    let pl = r.projections[0].plasticity.as_ref().unwrap();
    assert_eq!(
        pl.timing,
        PairTiming::Synapse {
            axonal_delay: 0.5,
            dendritic_delay: None
        }
    );
    let m = error_of(&with(&format!(
        "{stdp}, timing = \"synapse\", axonal_delay = \"0.5 ms\", dendritic_delay = \"0.2 ms\" }}"
    )));
    assert_all(
        &m,
        &["plasticity.dendritic_delay 0.2 ms is shorter than axonal_delay 0.5 ms"],
    );
    assert!(pl.lazy);
}

#[test]
fn delays_beyond_the_engines_limit_are_rejected_at_validation() {
    // dt 0.1 ms: at most 65535 steps, 6553.5 ms.
    let m = error_of(&GOOD.replace("delay = \"1 ms\"", "delay = \"7000 ms\""));
    assert_all(
        &m,
        &[
            "bad.toml:24: projection \"exc→inh\": delay 7000 ms is 70000 steps of dt 0.1 ms",
            "more than the 65535 steps",
            "hint: use a delay of at most 6553.5 ms at this dt, or a dt of at least 0.106813 ms",
        ],
    );
    // The same delay fits at a coarser step.
    let coarse = GOOD
        .replace("delay = \"1 ms\"", "delay = \"7000 ms\"")
        .replace("dt = \"0.1 ms\"", "dt = \"0.2 ms\"");
    let c = parse_str(&coarse, Path::new("ok.toml")).unwrap();
    assert!(validate(&c, &Source::default()).is_ok());
    // A distribution without an upper bound could draw any delay.
    let m = error_of(&GOOD.replace(
        "delay = \"1 ms\"",
        "delay = { dist = \"normal\", mean = \"2 ms\", std = \"0.5 ms\", min = \"0.1 ms\" }",
    ));
    assert_all(
        &m,
        &[
            "bad.toml:24",
            "delay has no upper bound",
            "add max = \"6553.5 ms\" to the delay distribution",
        ],
    );
    // Edge-list delays too.
    let dir = tempfile::tempdir().unwrap();
    let edges = dir.path().join("edges.csv");
    std::fs::write(
        &edges,
        "source,target,weight,delay\n0,0,20,1.5\n1,2,20,9000\n",
    )
    .unwrap();
    let m = error_of(&edge_spec(&edges.display().to_string(), PA_MS));
    assert_all(
        &m,
        &["bad.toml:22", "edge-list delay 9000 ms is 90000 steps"],
    );
}

#[test]
fn the_memory_estimate_counts_synapses_as_the_engine_stores_them() {
    use ganglion_model::memory::{bytes_per_synapse, csr_bytes};
    let one_to_one = |delay: &str, threads: usize| {
        let c = Circuit::new(Simulation {
            threads,
            ..Simulation::new("0.1 ms", "10 ms")
        })
        .population(Population::new("a", 1000, "iaf_psc_exp"))
        .population(Population::new("b", 1000, "iaf_psc_exp"))
        .projection(
            Projection::new("a", "b", Connectivity::one_to_one())
                .weight("1 pA")
                .delay(Value::from(delay)),
        );
        validate_circuit(&c).unwrap().memory
    };
    // One shared delay: target and weight per synapse, row pointers per partition.
    let m = one_to_one("1 ms", 1);
    assert_eq!(m.synapses, 1000.0);
    assert_eq!(
        m.bytes_per_synapse,
        csr_bytes(1001, 1000, 2, false) as f64 / 1000.0
    );
    let m = one_to_one("1 ms", 4);
    assert_eq!(
        m.bytes_per_synapse,
        (csr_bytes(1001, 250, 2, false) * 4) as f64 / 1000.0
    );
    // Varying delays add a u16 per synapse.
    let c = Circuit::new(Simulation::new("0.1 ms", "10 ms"))
        .population(Population::new("a", 1000, "iaf_psc_exp"))
        .projection(
            Projection::new("a", "a", Connectivity::fixed_indegree(10))
                .weight("1 pA")
                .delay(Value::uniform("1 ms", "2 ms")),
        );
    let m = validate_circuit(&c).unwrap().memory;
    assert_eq!(m.synapses, 10_000.0);
    let want = (10_000 * bytes_per_synapse(2, true) + 1001 * 8) as f64 / 10_000.0;
    assert_eq!(m.bytes_per_synapse, want);
    assert!(m.peak_bytes > 10_000.0 * want);
    // Targets are u16 in partitions of at most 65 536 neurons, u32 in larger ones: 70 000
    // targets in one partition are wide, in two they are narrow.
    let wide_or_narrow = |threads: usize| {
        let c = Circuit::new(Simulation {
            threads,
            ..Simulation::new("0.1 ms", "10 ms")
        })
        .population(Population::new("a", 10, "iaf_psc_exp"))
        .population(Population::new("b", 70_000, "iaf_psc_exp"))
        .projection(Projection::new("a", "b", Connectivity::all_to_all()).weight("1 pA"));
        validate_circuit(&c).unwrap().memory.bytes_per_synapse
    };
    let syn = 700_000usize;
    assert_eq!(
        wide_or_narrow(1),
        csr_bytes(11, syn, 4, false) as f64 / syn as f64
    );
    assert_eq!(
        wide_or_narrow(2),
        (2 * csr_bytes(11, syn / 2, 2, false)) as f64 / syn as f64
    );
}
