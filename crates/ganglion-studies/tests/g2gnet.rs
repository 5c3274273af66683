//! Quick run of the `g2gnet` study, when `scripts/fetch-data.sh fashion-mnist` has fetched
//! Fashion-MNIST (skipped otherwise, with a note; CI fetches it).

mod common;
use common::{check, run_quick};
use std::path::Path;

#[test]
fn g2gnet_quick_if_present() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/fashion-mnist");
    if !dir.join("train-images-idx3-ubyte.gz").is_file() {
        eprintln!("skipped: data/fashion-mnist not fetched (scripts/fetch-data.sh fashion-mnist)");
        return;
    }
    let (outcome, metrics) = run_quick("g2gnet", &["accuracy_by_epoch"]);
    assert!((check(&outcome, "g2g_sparsity").value - 0.75).abs() < 0.03);
    assert_eq!(check(&outcome, "g2g_density_inside_groups").value, 1.0);
    assert_eq!(check(&outcome, "dst_synapse_count_change_max").value, 0.0);
    // Five networks × three seeds, every one well above chance (0.1) after two epochs.
    let runs = metrics["tables"]["runs"].as_array().expect("runs table");
    assert_eq!(runs.len(), 15);
    for r in runs {
        let a = r["test_accuracy"].as_f64().expect("accuracy");
        assert!(a > 0.6 && a <= 1.0, "{r}");
    }
    // Dynamic sparse training moved synapses out of the modular pattern (regrowth anywhere).
    let dst = runs
        .iter()
        .find(|r| r["variant"] == "g2g_hebbian")
        .expect("hebbian run");
    assert!(dst["density_between"].as_f64().unwrap() > 0.15, "{dst}");
}
