//! `topological-rsa` in quick mode: passes its checks, writes a complete output directory,
//! and its accuracy table covers every summary at every noise level.

mod common;

use common::{check, run_quick};

#[test]
fn topological_rsa_quick() {
    let (outcome, metrics) = run_quick(
        "topological-rsa",
        &[
            "accuracy_vs_noise",
            "accuracy_vs_idiosyncrasy",
            "example_transforms",
        ],
    );
    let rows = metrics["tables"]["accuracy"]
        .as_array()
        .expect("accuracy table");
    // 7 summaries × (7 finite noise levels + pure noise) in quick mode.
    assert_eq!(rows.len(), 7 * 8);
    for r in rows {
        let a = r["accuracy"].as_f64().expect("accuracy");
        assert!((0.0..=1.0).contains(&a), "{r}");
        // 6 subjects × 5 regions × 3 noise draws.
        assert_eq!(r["trials"].as_u64(), Some(90), "{r}");
    }
    let pure: Vec<_> = rows.iter().filter(|r| r["pure_noise"] == true).collect();
    assert_eq!(pure.len(), 7);
    assert!(
        pure.iter().all(|r| r["noise"].is_null()),
        "pure noise is σ = ∞ (null)"
    );
    // 7 summaries × 4 gain levels of the between-subject variability sweep, all at σ = 2.
    let sweep = metrics["tables"]["idiosyncrasy"]
        .as_array()
        .expect("idiosyncrasy table");
    assert_eq!(sweep.len(), 7 * 4);
    assert!(
        sweep
            .iter()
            .all(|r| r["noise"].as_f64() == Some(2.0) && r["trials"].as_u64() == Some(90))
    );
    // Without between-subject variability the RDM identifies every region at σ = 2.
    let rdm0 = sweep
        .iter()
        .find(|r| r["summary"] == "RDM" && r["gain_log_sd"].as_f64() == Some(0.0));
    assert_eq!(rdm0.and_then(|r| r["accuracy"].as_f64()), Some(1.0));
    // Every stimulus pair of the 24-stimulus example, with the raw distance and 6 summaries.
    let example = metrics["tables"]["example"]
        .as_array()
        .expect("example table");
    assert_eq!(example.len(), 24 * 23 / 2);
    assert_eq!(example[0]["values"].as_array().map(Vec::len), Some(7));
    assert!(check(&outcome, "transforms_max_abs_diff_vs_rsatoolbox").value <= 1e-10);
    assert!(check(&outcome, "min_accuracy_without_noise").value >= 0.95);
}
