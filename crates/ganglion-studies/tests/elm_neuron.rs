//! Quick run of the `elm-neuron` study.

mod common;
use common::{check, run_quick};

#[test]
fn elm_neuron_quick() {
    let (outcome, metrics) = run_quick("elm-neuron", &["accuracy_vs_delay"]);
    // The paper repository's published NeuronIO counts, from the formula and the built model.
    for (dm, count) in [(1, 4601.0), (10, 5852.0), (20, 8002.0), (100, 54002.0)] {
        assert_eq!(check(&outcome, &format!("param_count_dm{dm}")).value, count);
    }
    assert_eq!(
        check(&outcome, "param_count_formula_minus_built_max").value,
        0.0
    );
    assert!(check(&outcome, "elm_grad_check_max_rel_err").value < 1e-5);
    let counts = metrics["tables"]["param_counts"]
        .as_array()
        .expect("param_counts table");
    assert_eq!(counts.len(), 4);
    for row in counts {
        assert_eq!(row["formula"], row["built"]);
        assert_eq!(row["formula"], row["paper"]);
    }
    assert!(check(&outcome, "lstm_grad_check_max_rel_err").value < 1e-5);
    assert!(check(&outcome, "elm_test_accuracy_delay5").value >= 0.9);
    assert!(check(&outcome, "elm_minus_lstm_accuracy_delay50").value >= 0.0);
    // Two models × two delays × three seeds, each with a test accuracy in [0, 1].
    let runs = metrics["tables"]["runs"].as_array().expect("runs table");
    assert_eq!(runs.len(), 12);
    for r in runs {
        let a = r["test_accuracy"].as_f64().expect("accuracy");
        assert!((0.0..=1.0).contains(&a), "{r}");
    }
}
