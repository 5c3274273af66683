//! The `neuronpath` study in quick mode, when `scripts/fetch-data.sh fashion-mnist` has
//! fetched Fashion-MNIST (skipped otherwise, with a note; CI fetches it).

mod common;

use common::{check, run_quick};

#[test]
fn neuronpath_quick_if_present() {
    if !common::fashion_mnist_fetched() {
        return;
    }
    let (outcome, metrics) = run_quick("neuronpath", &["ablation_drop"]);
    // Integrated gradients are complete: the path's score is the probability it carries.
    assert!(check(&outcome, "jas_completeness_max_abs_err").value <= 0.01);
    let images = metrics["tables"]["images"]
        .as_array()
        .expect("images table");
    assert_eq!(images.len(), 8);
    for r in images {
        // One neuron per block (4 blocks of 64 neurons) for both paths.
        for key in ["path", "activation_path"] {
            let p = r[key].as_array().expect("path");
            assert_eq!(p.len(), 4, "{r}");
            assert!(p.iter().all(|j| j.as_u64().expect("index") < 64), "{r}");
        }
        let prob = r["prob"].as_f64().expect("prob");
        assert!((0.0..=1.0).contains(&prob), "{r}");
        for key in ["drop_path", "drop_activation", "drop_random"] {
            let d = r[key].as_f64().expect("drop");
            assert!(
                d <= prob + 1e-9,
                "{key} larger than the probability itself: {r}"
            );
        }
    }
}
