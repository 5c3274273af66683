//! `skeleton-metrics` in quick mode: passes its checks, writes a complete output directory,
//! and its scenario table holds the known metric values of the planted errors.

mod common;

use common::{check, run_quick};

#[test]
fn skeleton_metrics_quick() {
    let (outcome, metrics) = run_quick("skeleton-metrics", &["projection", "sweep"]);
    let rows = metrics["tables"]["scenarios"]
        .as_array()
        .expect("scenarios");
    // identical + mixed + 4 merge-sweep + 4 split-sweep rows in quick mode.
    assert_eq!(rows.len(), 10);
    for r in rows {
        let merges = r["merges"].as_u64().expect("field");
        let splits = r["splits"].as_u64().expect("field");
        assert_eq!(r["fm"].as_u64().expect("field"), merges, "{r}");
        assert_eq!(r["fs"].as_u64().expect("field"), splits, "{r}");
        let (c, want) = (
            r["coverage"].as_f64().expect("field"),
            r["expected_coverage"].as_f64().expect("field"),
        );
        assert!((c - want).abs() < 1e-6, "{r}");
        assert_eq!(r["f1"].as_array().expect("field").len(), 9);
    }
    assert_eq!(rows[0]["av_f1"].as_f64(), Some(1.0));
    // avF1 falls strictly along the merge sweep.
    let f: Vec<f64> = rows[2..6]
        .iter()
        .map(|r| r["av_f1"].as_f64().expect("field"))
        .collect();
    assert!(f.windows(2).all(|w| w[1] < w[0]), "{f:?}");
    assert_eq!(check(&outcome, "mixed_false_merges").value, 1.0);
    assert_eq!(check(&outcome, "metrics_equal_reference_code").value, 6.0);
    assert_eq!(check(&outcome, "skeletons_equal_scikit_image").value, 10.0);
    let fixtures = metrics["tables"]["fixtures"].as_array().expect("fixtures");
    assert!(
        fixtures
            .iter()
            .all(|f| f["agrees"] == serde_json::Value::Bool(true))
    );
}
