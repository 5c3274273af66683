//! The `homeostatic-shift` study in quick mode, when `scripts/fetch-data.sh fashion-mnist` has
//! fetched Fashion-MNIST (skipped otherwise, with a note; CI fetches it).

mod common;

use common::{check, run_quick};

#[test]
fn homeostatic_shift_quick_if_present() {
    if !common::fashion_mnist_fetched() {
        return;
    }
    let (outcome, metrics) = run_quick("homeostatic-shift", &["accuracy_vs_shift_rate"]);
    assert!(check(&outcome, "grad_check_max_rel_err").value < 1e-3);
    // Plain online SGD learns the unshifted stream well above chance (0.1).
    assert!(check(&outcome, "sgd_online_accuracy_no_shift").value >= 0.7);
    // 50 swaps per epoch over 3 epochs.
    assert_eq!(check(&outcome, "swaps_done_rate50").value, 150.0);
    // The homeostatic regulator raises its learning rate under fast shift.
    assert!(check(&outcome, "homeostatic_mean_eta_rate50_minus_rate0").value > 0.0);
    // Three regulators × three shift rates × ten seeds.
    let runs = metrics["tables"]["runs"].as_array().expect("runs table");
    assert_eq!(runs.len(), 90);
    // The paper's accuracy claim is reported (paired differences with intervals) per rate.
    let cmp = metrics["tables"]["paper_comparison"]
        .as_array()
        .expect("paper_comparison table");
    assert_eq!(cmp.len(), 3);
    for c in cmp {
        assert_eq!(c["homeostatic_minus_random"]["n"], 10);
    }
    for r in runs {
        let a = r["online_accuracy"].as_f64().expect("accuracy");
        assert!((0.0..=1.0).contains(&a), "{r}");
        assert!(r["mean_eta"].as_f64().expect("eta") > 0.0, "{r}");
    }
}
