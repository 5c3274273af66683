//! Quick-mode test of the `sfq-xor` study.

mod common;
use common::{check, run_quick};

#[test]
fn sfq_xor_quick() {
    let (outcome, metrics) = run_quick("sfq-xor", &["margin_vs_pulses", "margin_vs_probability"]);
    // Quick mode: windows of 4, 16, 64, 256 pulses at p = 0.9; 71 grid values of p; 5 seeds.
    let by_t = metrics["tables"]["analytic_vs_t"].as_array().expect("by t");
    assert_eq!(by_t.len(), 4);
    assert_eq!(
        metrics["tables"]["analytic_vs_p"].as_array().map(Vec::len),
        Some(71)
    );
    assert_eq!(
        metrics["tables"]["monte_carlo_vs_t"]
            .as_array()
            .map(Vec::len),
        Some(20)
    );
    assert_eq!(
        metrics["tables"]["monte_carlo_vs_p"]
            .as_array()
            .map(Vec::len),
        Some(20)
    );
    // Exact margin: √T scaling between the first and last window (4 → 256 pulses: × 8).
    let d = |k: usize| by_t[k]["margin"].as_f64().expect("margin");
    assert!((d(3) / d(0) - 8.0).abs() < 1e-9, "{} {}", d(0), d(3));
    // At p = 0.9: q(1,0) = 0.729.
    assert!((by_t[0]["q"][2].as_f64().expect("q") - 0.729).abs() < 1e-12);
    let slope = check(&outcome, "margin_vs_pulses_loglog_slope");
    assert!((slope.value - 0.5).abs() < 0.05);
    assert!(slope.seeds.as_ref().map(|s| s.n) == Some(5));
    assert!(check(&outcome, "xor_accuracy_exact_largest_t").value > 1.0 - 1e-9);
    assert_eq!(check(&outcome, "xor_accuracy_mc_largest_t").value, 1.0);
    assert!(check(&outcome, "margin_p04_sign").value < 0.0);
    assert!(check(&outcome, "mc_mean_count_max_abs_z").value < 4.5);
}
