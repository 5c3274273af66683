//! Quick run of the `rich-lazy-rank` study.

mod common;
use common::{check, run_quick};

#[test]
fn rich_lazy_rank_quick() {
    let (outcome, metrics) = run_quick(
        "rich-lazy-rank",
        &["laziness_over_training", "laziness_vs_rank"],
    );
    assert!(check(&outcome, "ce_grad_check_max_rel_err").value < 1e-2);
    assert!(check(&outcome, "worst_condition_mean_accuracy").value >= 0.75);
    for name in [
        "weight_change_low_minus_high_rank",
        "kernel_alignment_high_minus_low_rank",
        "rep_alignment_high_minus_low_rank",
        "kernel_alignment_aligned_minus_random_rank1",
        "rep_alignment_aligned_minus_random_rank1",
    ] {
        let c = check(&outcome, name);
        assert!(c.pass && c.value > 0.0, "{name}: {}", c.value);
    }
    // Three ranks + the aligned initialisation, four seeds each; alignments are cosines.
    let runs = metrics["tables"]["runs"].as_array().expect("runs table");
    assert_eq!(runs.len(), 16);
    for r in runs {
        for key in ["rep_alignment", "kernel_alignment"] {
            let a = r[key].as_f64().expect("alignment");
            assert!((-1.0..=1.0 + 1e-9).contains(&a), "{r}");
        }
        assert!(r["weight_change"].as_f64().expect("change") > 0.0, "{r}");
    }
}
