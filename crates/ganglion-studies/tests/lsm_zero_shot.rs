//! The `lsm-zero-shot` study in quick mode, when `scripts/fetch-data.sh fashion-mnist` has
//! fetched Fashion-MNIST (skipped otherwise, with a note; CI fetches it).

mod common;

use common::{check, run_quick};

#[test]
fn lsm_zero_shot_quick_if_present() {
    if !common::fashion_mnist_fetched() {
        return;
    }
    let (outcome, metrics) = run_quick("lsm-zero-shot", &["zero_shot_recall", "liquid_raster"]);
    assert!(check(&outcome, "grad_check_info_nce_max_rel_err").value < 1e-6);
    // The resistive-memory weights are not changed by the run.
    assert!(check(&outcome, "liquid_weight_drift_mv").value < 1e-5);
    let runs = metrics["tables"]["runs"].as_array().expect("runs table");
    assert_eq!(runs.len(), 8);
    for r in runs {
        // Five trained and five held-out classes, disjoint, covering all ten.
        let mut all: Vec<u64> = ["trained_classes", "held_out_classes"]
            .iter()
            .flat_map(|k| r[*k].as_array().expect("classes").iter())
            .map(|c| c.as_u64().expect("class"))
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<u64>>(), "{r}");
        // Balanced held-out gallery: chance top-1 is exactly 1/5; recall@k rises with k.
        let chance = r["chance"]["vision_to_audio"].as_array().expect("chance");
        assert!((chance[0].as_f64().expect("c") - 0.2).abs() < 1e-12);
        for cond in [
            "liquid_trained",
            "liquid_untrained",
            "raw_trained",
            "chance",
        ] {
            for d in ["vision_to_audio", "audio_to_vision"] {
                let v: Vec<f64> = r[cond][d]
                    .as_array()
                    .expect("recall")
                    .iter()
                    .map(|x| x.as_f64().expect("x"))
                    .collect();
                assert_eq!(v.len(), 10);
                assert!(v.windows(2).all(|w| w[0] <= w[1]), "{cond} {d}: {v:?}");
                assert!(v.iter().all(|x| (0.0..=1.0).contains(x)));
            }
        }
        // Both modalities produced events and the liquid fired.
        assert!(r["vision_events"].as_f64().expect("ev") > 10.0);
        assert!(r["audio_events"].as_f64().expect("ev") > 10.0);
        assert!(r["liquid_rate_hz"].as_f64().expect("rate") > 0.0);
    }
    let summary = metrics["tables"]["summary"].as_array().expect("summary");
    assert_eq!(summary.len(), 4);
}
