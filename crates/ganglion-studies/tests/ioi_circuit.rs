//! The `ioi-circuit` study in quick mode, where `scripts/fetch-data.sh smollm2` has fetched
//! the model (skipped otherwise, with a note; the study's error says how to fetch it).

mod common;

use common::{check, run_quick};
use ganglion_studies::data::smollm2_path;
use ganglion_studies::{Mode, run_study};

#[test]
fn ioi_circuit_quick_if_model() {
    if smollm2_path().is_err() {
        eprintln!("skipped: SmolLM2 not fetched (scripts/fetch-data.sh smollm2)");
        let tmp = tempfile::tempdir().expect("tempdir");
        let e = run_study("ioi-circuit", Mode::Quick, Some(tmp.path().join("x")))
            .expect_err("no model");
        assert!(
            e.to_string().contains("scripts/fetch-data.sh smollm2"),
            "{e}"
        );
        return;
    }
    let (outcome, metrics) = run_quick("ioi-circuit", &["heads"]);
    // Quick mode: 8 prompts, ABBA and BABA alternating, one token length.
    let prompts = metrics["tables"]["prompts"].as_array().expect("prompts");
    assert_eq!(prompts.len(), 8);
    assert_eq!(prompts[0]["template"], "ABBA");
    assert_eq!(prompts[1]["template"], "BABA");
    // Every head of the 30 × 9 model has a row; no patching sweeps in quick mode.
    let heads = metrics["tables"]["heads"].as_array().expect("heads");
    assert_eq!(heads.len(), 30 * 9);
    assert!(heads.iter().all(|h| h["patching_recovery"].is_null()));
    let movers: Vec<&str> = heads
        .iter()
        .filter(|h| {
            h["role"]
                .as_str()
                .is_some_and(|r| r.starts_with("name mover"))
        })
        .map(|h| h["head"].as_str().expect("name"))
        .collect();
    assert!(!movers.is_empty() && movers.len() <= 3, "{movers:?}");
    // The model solves IOI on these prompts and the corruption removes the preference.
    assert_eq!(check(&outcome, "ioi_accuracy").value, 1.0);
    let ld = check(&outcome, "mean_logit_diff").value;
    assert!(ld > 2.0, "{ld}");
    assert!(check(&outcome, "attribution_sum_error").value < 1e-3);
    assert!(check(&outcome, "abc_logit_diff_over_clean").value < 0.5);
    // Knocking out the name movers costs most of the logit difference.
    assert!(check(&outcome, "name_mover_knockout_fraction_left").value < 0.5);
    assert_eq!(outcome.checks.len(), 5);
}
