//! Quick-mode test of the `gain-control` study.

mod common;
use common::{check, run_quick};

#[test]
fn gain_control_quick() {
    let (outcome, metrics) = run_quick("gain-control", &["gains", "tuning", "effects"]);
    // One row per neuron (32 in quick mode), recurrent and feedforward summaries, no sweep.
    let neurons = metrics["tables"]["neurons"].as_array().expect("neurons");
    assert_eq!(neurons.len(), 32);
    assert_eq!(
        metrics["tables"]["summary"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(metrics["tables"]["sweep"].as_array().map(Vec::len), Some(0));
    // Gains fall at the adaptor and the neuron preferring it has the lowest adapted gain.
    let adapted: Vec<f64> = neurons
        .iter()
        .map(|r| r["gain_adapted"].as_f64().expect("gain"))
        .collect();
    let lowest = (0..adapted.len())
        .min_by(|&a, &b| adapted[a].total_cmp(&adapted[b]))
        .expect("neurons");
    assert_eq!(neurons[lowest]["offset_deg"].as_f64(), Some(0.0));
    assert!(check(&outcome, "gain_ratio_at_adaptor").value < 0.95);
    // Repulsion, decorrelation and homeostasis with recurrence; none of the first two without.
    assert!(check(&outcome, "mean_repulsion_deg").value > 0.1);
    assert_eq!(check(&outcome, "fraction_repelled").value, 1.0);
    assert!(check(&outcome, "near_adaptor_correlation_change").value < 0.0);
    assert!(check(&outcome, "rate_cv_adapted_over_unadapted").value < 0.5);
    assert!(check(&outcome, "no_recurrence_max_abs_shift_deg").value < 1e-9);
    assert!(check(&outcome, "gradient_vs_finite_differences_rel").value < 1e-6);
    assert!(check(&outcome, "uniform_optimum_vs_scalar_reduction_rel").value < 1e-6);
}
