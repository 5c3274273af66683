//! Quick run of the `rnn-hmm` study.

mod common;
use common::{check, run_quick};

#[test]
fn rnn_hmm_quick() {
    let (outcome, metrics) = run_quick("rnn-hmm", &["training", "statistics", "kick_neurons"]);
    assert!(check(&outcome, "sinkhorn_grad_check_max_rel_err").value < 1e-5);
    assert!(check(&outcome, "rnn_sinkhorn_grad_check_max_rel_err").value < 1e-4);
    assert!(check(&outcome, "emission_tv_untrained_minus_trained").value >= 0.0);
    assert_eq!(check(&outcome, "nonorigin_fixed_points_max").value, 0.0);
    assert!(check(&outcome, "noise_free_collapse_spread_max").value <= 1e-3);
    // The HMM's exact emission frequencies are (0.495, 0.01, 0.495).
    let freq = metrics["tables"]["hmm_exact"]["freq"]
        .as_array()
        .expect("freq");
    assert!((freq[1].as_f64().expect("f") - 0.01).abs() < 1e-12);
    let runs = metrics["tables"]["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2);
    for r in runs {
        let tv = r["tv_emission"].as_f64().expect("tv");
        assert!((0.0..=1.0).contains(&tv), "{r}");
        assert!(r["final_loss"].as_f64().expect("loss") < r["first_loss"].as_f64().expect("loss"));
    }
}
