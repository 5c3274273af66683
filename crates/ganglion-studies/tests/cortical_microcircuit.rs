//! Quick-mode test of the `cortical-microcircuit` study.

mod common;
use common::{check, run_quick};

#[test]
fn cortical_microcircuit_quick() {
    let (outcome, metrics) = run_quick("cortical-microcircuit", &[]);
    let pops = metrics["tables"]["populations"]
        .as_array()
        .expect("populations");
    assert_eq!(pops.len(), 8);
    // Every population fires, with the reference's layer ordering of the excitatory rates:
    // L2/3E and L6E are the quietest, L5E the most active.
    let rate = |i: usize| pops[i]["rate_hz"].as_f64().expect("rate");
    assert!((0..8).all(|i| rate(i) > 0.0));
    assert!(rate(0) < rate(4) && rate(6) < rate(4));
    // The Rust circuit equals the spec written by scripts/pd14_spec.py.
    assert!(check(&outcome, "spec_script_agreement").value < 1e-8);
    let cv = check(&outcome, "mean_cv_isi").value;
    assert!(cv > 0.5 && cv < 1.3, "{cv}");
    // Quick mode runs the scale NEST ran: per-population rates and the CV against NEST.
    assert!(check(&outcome, "rate_L4E_vs_nest_hz").pass);
    assert!(check(&outcome, "mean_cv_isi_vs_nest").pass);
    assert!(check(&outcome, "max_synchrony").value < 10.0);
    // The accuracy ensemble (KS distances vs NEST realisations) runs in full mode only.
    let ensemble = metrics["tables"]["ensemble"].as_array().expect("ensemble");
    assert!(ensemble.is_empty());
}
