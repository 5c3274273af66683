//! Quick-mode test of the `milan-lite` study.

mod common;
use common::{check, run_quick};

#[test]
fn milan_lite_quick() {
    let (outcome, metrics) = run_quick("milan-lite", &["accuracy"]);
    // 3 copies of 10 planted units and 20 distractors; 6 k values x 5 λ values.
    let units = metrics["tables"]["units"].as_array().expect("units");
    assert_eq!(units.len(), 50);
    let settings = metrics["tables"]["settings"].as_array().expect("settings");
    assert_eq!(settings.len(), 30);
    for r in settings {
        let a = r["accuracy"].as_f64().expect("accuracy");
        assert!((0.0..=1.0).contains(&a));
    }
    // Every planted unit's truth is named in its row; distractors are marked.
    let distractors = units
        .iter()
        .filter(|u| u["planted"].as_str() == Some("none (distractor)"))
        .count();
    assert_eq!(distractors, 20);
    assert!(check(&outcome, "planted_top_description_accuracy").value >= 0.8);
    assert!(check(&outcome, "pmi_minus_frequency_accuracy").value >= 0.2);
    assert_eq!(check(&outcome, "pmi_common_label_fraction").value, 0.0);
    assert!(check(&outcome, "planted_median_minus_distractor_max_score").value > 0.0);
}
