//! The `emotion-steering` study in quick mode, where `scripts/fetch-data.sh smollm2` has
//! fetched the model (skipped otherwise, with a note; the study's error says how to fetch it).

mod common;

use common::{check, run_quick};
use ganglion_studies::data::smollm2_path;
use ganglion_studies::{Mode, run_study};

#[test]
fn emotion_steering_quick_if_model() {
    if smollm2_path().is_err() {
        eprintln!("skipped: SmolLM2 not fetched (scripts/fetch-data.sh smollm2)");
        let tmp = tempfile::tempdir().expect("tempdir");
        let e = run_study("emotion-steering", Mode::Quick, Some(tmp.path().join("x")))
            .expect_err("no model");
        assert!(
            e.to_string().contains("scripts/fetch-data.sh smollm2"),
            "{e}"
        );
        return;
    }
    let (outcome, metrics) = run_quick("emotion-steering", &["emotion"]);
    let layers = metrics["tables"]["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 30, "one row per block of SmolLM2-135M");
    // The read-out check reports the best block of the per-layer table.
    let best = layers
        .iter()
        .map(|r| r["heldout_readout_accuracy"].as_f64().expect("accuracy"))
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(
        check(&outcome, "heldout_readout_accuracy_best_layer").value,
        best
    );
    // 4 emotions × 8 situations × 2 frames.
    assert_eq!(
        metrics["tables"]["prompts"]
            .as_array()
            .expect("prompts")
            .len(),
        64
    );
    // 4 emotions × the quick α grid, with α = 0 first: unsteered, a direction and a random
    // one of the same norm give identical answers.
    let steering = metrics["tables"]["steering"].as_array().expect("steering");
    assert_eq!(steering.len(), 20);
    for row in steering.iter().filter(|r| r["alpha"] == 0.0) {
        assert_eq!(row["neutral_success"], row["random_success"], "{row}");
    }
    for c in &outcome.checks {
        assert!(c.value.is_finite(), "{}: {}", c.name, c.value);
    }
}
