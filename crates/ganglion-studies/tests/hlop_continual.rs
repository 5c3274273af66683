//! The `hlop-continual` study in quick mode, when `scripts/fetch-data.sh fashion-mnist` has
//! fetched Fashion-MNIST (skipped otherwise, with a note; CI fetches it).

mod common;

use common::{check, run_quick};

#[test]
fn hlop_continual_quick_if_present() {
    if !common::fashion_mnist_fetched() {
        return;
    }
    let (outcome, metrics) = run_quick("hlop-continual", &["forgetting"]);
    eprintln!("{}", ganglion_studies::format_outcome(&outcome));
    for m in metrics["tables"]["summary"].as_array().expect("summary") {
        eprintln!(
            "{}: ACC {} BWT {}",
            m["method"], m["acc"]["mean"], m["bwt"]["mean"]
        );
    }
    // The lateral Hebbian circuit finds the principal subspaces of synthetic data.
    assert!(check(&outcome, "oja_synthetic_top_subspace_distance").value <= 0.05);
    assert!(check(&outcome, "oja_synthetic_next_subspace_distance").value <= 0.05);
    // Every task's lateral neurons end orthonormal (Oja's fixed point), which is what makes
    // `g − Hᵀ H g` a projection; later tasks' new neurons once ended 0.2–0.3 off.
    let fits = metrics["tables"]["lateral_fits"].as_array().expect("fits");
    assert!(fits.iter().any(|f| f["task"].as_u64() == Some(1)));
    for f in fits {
        let e = f["orthonormality_error"].as_f64().expect("error");
        assert!(e < 0.05, "{f}");
    }
    // Fine-tuning forgets; HLOP forgets less, paired by seed.
    assert!(check(&outcome, "finetune_bwt").value <= -0.05);
    assert!(check(&outcome, "hlop_minus_finetune_bwt").value > 0.0);
    // Three methods × three seeds, each with a 3 × 3 accuracy matrix in [0, 1].
    let runs = metrics["tables"]["runs"].as_array().expect("runs table");
    assert_eq!(runs.len(), 9);
    for r in runs {
        let m = r["r"].as_array().expect("accuracy matrix");
        assert_eq!(m.len(), 3);
        for row in m {
            for a in row.as_array().expect("row") {
                let a = a.as_f64().expect("accuracy");
                assert!((0.0..=1.0).contains(&a), "{r}");
            }
        }
    }
    // The paper's table sits next to ours.
    let cmp = metrics["tables"]["paper_comparison"]
        .as_array()
        .expect("paper_comparison table");
    assert!(
        cmp.iter()
            .any(|c| c["method"] == "HLOP" && c["ours_bwt"].is_f64())
    );
}
