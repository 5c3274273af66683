//! The `predictive-aux-rl` study in quick mode.

mod common;

use common::{check, run_quick};

#[test]
fn predictive_aux_rl_quick() {
    let (outcome, metrics) =
        run_quick("predictive-aux-rl", &["learning_curves", "transfer_curves"]);
    // Quick mode checks only the gradient; the paper's claims need full mode's seeds.
    assert_eq!(outcome.checks.len(), 1);
    assert!(check(&outcome, "gradient_max_abs_error").value < 1e-6);
    // 2 seeds × 2 encoders × 3 agents.
    let seeds = metrics["tables"]["seeds"].as_array().expect("seeds");
    assert_eq!(seeds.len(), 12);
    for row in seeds {
        let s = row["final_success"].as_f64().expect("success");
        assert!((0.0..=1.0).contains(&s), "{row}");
        let pr = row["participation_ratio"].as_f64().expect("pr");
        assert!(pr >= 1.0 - 1e-9, "{row}");
        // The transfer test runs for the small encoder only.
        assert_eq!(
            row["transfer_auc"].is_null(),
            row["encoder"] == "large",
            "{row}"
        );
        assert_ne!(row["goal"], row["moved_goal"]);
    }
    // 20 episodes evaluated every 5 (plus before training): 5 points per curve; 10 transfer
    // episodes: 3 points; 6 training curves and 3 transfer curves.
    let curves = metrics["tables"]["curves"].as_array().expect("curves");
    assert_eq!(curves.len(), 6 * 5 + 3 * 3);
    assert_eq!(curves[4]["episode"].as_u64(), Some(20));
}
