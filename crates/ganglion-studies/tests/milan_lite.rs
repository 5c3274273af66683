//! Quick-mode test of the `milan-lite` study: the synthetic part always, the SmolLM2 part
//! where `scripts/fetch-data.sh smollm2` has fetched the model (otherwise the report says it
//! was skipped and the real-model tables are empty).

// This test reads the report itself, so it uses some of the shared helpers only.
#[allow(dead_code)]
mod common;
use common::{assert_outputs, check};
use ganglion_studies::data::smollm2_path;
use ganglion_studies::{Mode, format_outcome, run_study};

#[test]
fn milan_lite_quick() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("milan-lite");
    let outcome = run_study("milan-lite", Mode::Quick, Some(dir.clone())).expect("run");
    let report = std::fs::read_to_string(dir.join("report.md")).expect("report");
    if let Some(i) = report.find("## Real neurons") {
        // Shown with --nocapture.
        eprintln!("{}", &report[i..]);
    }
    assert!(outcome.passed(), "{}", format_outcome(&outcome));
    let metrics = assert_outputs(&dir, &["accuracy"]);
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

    let layers = metrics["tables"]["smollm2_layers"]
        .as_array()
        .expect("smollm2_layers");
    if smollm2_path().is_err() {
        assert!(report.contains("## Real neurons: skipped"), "no skip note");
        assert!(report.contains("scripts/fetch-data.sh smollm2"));
        assert!(layers.is_empty());
        assert_eq!(outcome.checks.len(), 7);
        return;
    }
    // Quick mode: one layer (15 of 30), 1536 MLP neurons described.
    assert_eq!(layers.len(), 1);
    let l = &layers[0];
    assert_eq!(l["layer"], 15);
    assert!(l["train_tokens"].as_u64().expect("train") >= 500);
    assert!(l["attributes"].as_u64().expect("attributes") >= 10);
    let neurons = metrics["tables"]["smollm2_neurons"]
        .as_array()
        .expect("neurons");
    assert_eq!(neurons.len(), 15);
    assert!(
        neurons
            .iter()
            .all(|n| n["neuron"].as_u64().expect("n") < 1536
                && !n["exemplars"].as_str().expect("exemplars").is_empty())
    );
    let attrs = metrics["tables"]["smollm2_attributes"]
        .as_array()
        .expect("attributes");
    assert_eq!(attrs.len() as u64, l["attributes"].as_u64().expect("n"));
    assert_eq!(outcome.checks.len(), 7 + 4);
    assert!(check(&outcome, "smollm2_l15_probe_agreement").value >= 0.5);
    assert!(check(&outcome, "smollm2_l15_fraction_above_null").value >= 0.2);
    assert!(check(&outcome, "smollm2_l15_held_out_d_ci_low").value > 0.0);
    assert!(check(&outcome, "smollm2_l15_held_out_positive_fraction").value >= 0.8);
}

/// Full mode, for timing and the full numbers without the CLI:
/// `cargo test -p ganglion-studies --test milan_lite -- --ignored --nocapture`.
#[test]
#[ignore = "full mode: about a minute with SmolLM2"]
fn milan_lite_full() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("milan-lite");
    let outcome = run_study("milan-lite", Mode::Full, Some(dir.clone())).expect("run");
    let report = std::fs::read_to_string(dir.join("report.md")).expect("report");
    if let Some(i) = report.find("## Real neurons") {
        eprintln!("{}", &report[i..]);
    }
    eprintln!("{}", format_outcome(&outcome));
    assert!(outcome.passed(), "{}", format_outcome(&outcome));
    let metrics = assert_outputs(&dir, &["accuracy"]);
    if smollm2_path().is_ok() {
        let layers = metrics["tables"]["smollm2_layers"]
            .as_array()
            .expect("layers");
        assert_eq!(layers.len(), 3);
        assert_eq!(outcome.checks.len(), 7 + 3 * 4);
    }
}
