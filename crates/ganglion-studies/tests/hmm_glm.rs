//! Quick-mode test of the `hmm-glm` study.

mod common;
use common::{check, run_quick};

#[test]
fn hmm_glm_quick() {
    let (outcome, metrics) = run_quick("hmm-glm", &["states", "weights"]);
    // Three seeds × three priors.
    let fits = metrics["tables"]["fits"].as_array().expect("fits");
    assert_eq!(fits.len(), 9);
    for prior in ["naive", "gaussian", "one-hot"] {
        assert_eq!(fits.iter().filter(|f| f["prior"] == prior).count(), 3);
    }
    assert!(fits.iter().all(|f| f["iterations"].as_u64() == Some(20)));
    for name in ["naive", "gaussian", "onehot"] {
        let name = format!("state_accuracy_{name}_worst_seed");
        assert!(check(&outcome, &name).value >= 0.8, "{name}");
    }
    // Quick mode (K = 3) asks the one-hot fit to match the Gaussian one within 0.02.
    assert!(check(&outcome, "class_accuracy_onehot_minus_gaussian").value > -0.02);
    assert!(check(&outcome, "class_accuracy_onehot_minus_naive").value > 0.0);
    assert!(check(&outcome, "weight_rmse_onehot_minus_gaussian").value < 0.0);
    assert!(check(&outcome, "naive_em_max_relative_ll_drop").value <= 1e-8);
}
