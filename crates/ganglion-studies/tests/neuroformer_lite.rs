//! Quick run of the `neuroformer-lite` study.

mod common;
use common::{check, run_quick};

#[test]
fn neuroformer_lite_quick() {
    let (outcome, metrics) = run_quick("neuroformer-lite", &["roc"]);
    assert!(check(&outcome, "transformer_grad_check_max_rel_err").value < 1e-5);
    assert!(check(&outcome, "attention_auroc").value >= 0.7);
    assert!(check(&outcome, "unigram_minus_model_test_ce_nats").value > 0.0);
    let runs = metrics["tables"]["runs"].as_array().expect("runs table");
    assert_eq!(runs.len(), 3);
    let mut diffs = Vec::new();
    for r in runs {
        for key in [
            "auroc_attention",
            "auroc_ccg",
            "auroc_attention_first_block",
        ] {
            let a = r[key].as_f64().expect("auroc");
            assert!((0.0..=1.0).contains(&a), "{key} in {r}");
        }
        diffs.push(r["auroc_attention"].as_f64().expect("a") - r["auroc_ccg"].as_f64().expect("c"));
        // The engine network is active: hubs and the others fire at a few to tens of Hz.
        let (h, o) = (
            r["hub_rate_hz"].as_f64().expect("h"),
            r["rest_rate_hz"].as_f64().expect("o"),
        );
        assert!(h > 1.0 && h < 100.0 && o > 1.0 && o < 100.0, "{r}");
    }
    // The reported comparison is the per-seed difference of the two AUROCs.
    let cmp = &metrics["tables"]["comparison"]["attention_minus_ccg"];
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    assert!(
        (cmp["mean"].as_f64().expect("mean") - mean).abs() < 1e-12,
        "{cmp}"
    );
}
