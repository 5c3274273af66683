//! Quick run of the `astro-snn` study.

mod common;

use common::{check, run_quick};

#[test]
fn astro_snn_quick() {
    let (outcome, metrics) = run_quick("astro-snn", &["recall", "trace"]);
    // Quick mode: one delay (2 s), with and without astrocytes, 6 seeds × 8 trials each.
    let acc = metrics["tables"]["accuracy"].as_array().expect("accuracy");
    assert_eq!(acc.len(), 2);
    let trials = metrics["tables"]["trials"].as_array().expect("trials");
    assert_eq!(trials.len(), 2 * 6 * 8);
    for t in trials {
        assert_eq!(t["probe_counts"].as_array().map(Vec::len), Some(4), "{t}");
        let credit = t["credit"].as_f64().unwrap_or(f64::NAN);
        assert!((0.0..=1.0).contains(&credit), "{t}");
    }
    let with = check(&outcome, "recall_with_astrocytes");
    assert_eq!(with.seeds.as_ref().map(|s| s.n), Some(6));
    assert!(with.value >= 0.9, "{}", with.value);
    let without = check(&outcome, "recall_without_astrocytes");
    assert!(without.value < 0.5, "{}", without.value);
    assert!(check(&outcome, "recall_gain_from_astrocytes").value >= 0.5);
    // The SIC outlasts the cue by far more than the neurons' time constant (10 ms).
    assert!(check(&outcome, "sic_lifetime_over_tau_m").value >= 100.0);
    // The trace shows the cued group's calcium above SIC_th and the others' at rest.
    let trace = metrics["tables"]["trace"].as_array().expect("trace");
    let peak = trace
        .iter()
        .filter_map(|p| p["ca_cued"].as_f64())
        .fold(0.0, f64::max);
    let rest = trace
        .iter()
        .filter_map(|p| p["ca_other"].as_f64())
        .fold(0.0, f64::max);
    assert!(peak > 0.5 && rest < 0.1, "peak {peak}, others {rest}");
}
