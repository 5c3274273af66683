//! Quick run of the `adaptive-ei-reservoir` study.

mod common;

use common::{check, run_quick};

#[test]
fn adaptive_ei_reservoir_quick() {
    let (outcome, metrics) = run_quick("adaptive-ei-reservoir", &["ei_sweep", "homeostasis"]);
    // Quick mode: three tasks (no Santa Fe data needed), eight balances, three seeds.
    let sweep = metrics["tables"]["sweep"].as_array().expect("sweep");
    assert_eq!(sweep.len(), 3 * 8);
    for row in sweep {
        for key in ["fixed_metric", "adapted_metric", "fixed_ie_ratio"] {
            assert!(row[key].as_f64().is_some_and(f64::is_finite), "{row}");
        }
    }
    let comps = metrics["tables"]["comparisons"]
        .as_array()
        .expect("comparisons");
    assert_eq!(comps.len(), 3 * 3);
    // The measured I/E drive grows with the weight ratio β.
    let mc: Vec<f64> = sweep
        .iter()
        .filter(|r| r["task"] == "memory_capacity")
        .map(|r| r["fixed_ie_ratio"].as_f64().unwrap_or(f64::NAN))
        .collect();
    assert!(mc.windows(2).all(|w| w[1] > w[0]), "{mc:?}");
    assert_eq!(check(&outcome, "dale_sign_violations").value, 0.0);
    let err = check(&outcome, "median_rate_target_error");
    assert_eq!(err.seeds.as_ref().map(|s| s.n), Some(3));
    assert!(err.value < 0.02);
    let mc_cap = check(&outcome, "max_memory_capacity_over_units");
    assert!(
        mc_cap.value > 0.05 && mc_cap.value <= 1.0,
        "{}",
        mc_cap.value
    );
    // The engine (spec path) runs the same reservoir as the library, to f32 rounding.
    for name in [
        "engine_fixed_max_rate_difference",
        "engine_adapted_max_rate_difference",
        "engine_adapted_max_gain_difference",
    ] {
        let c = check(&outcome, name);
        assert!(c.value >= 0.0 && c.value < 1e-5, "{name}: {}", c.value);
    }
    let engine = &metrics["tables"]["engine"][0];
    assert_eq!(engine["units"].as_f64(), Some(50.0));
    assert!(
        engine["max_gain_change"].as_f64().is_some_and(|g| g > 0.01),
        "{engine}"
    );
    for task in ["mc", "mackey_glass", "narma10"] {
        let peak = check(&outcome, &format!("{task}_peak_balance"));
        assert!((1.0..=1.5).contains(&peak.value));
    }
}
