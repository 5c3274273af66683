//! Quick run of the `hd-snn-motion` study.

mod common;
use common::{check, run_quick};

#[test]
fn hd_snn_motion_quick() {
    let (outcome, metrics) = run_quick("hd-snn-motion", &["delays", "pruning"]);
    // Three seeds, each with the trained-delay, pruning and shortening curves.
    let points = metrics["tables"]["points"].as_array().expect("points");
    let seeds = metrics["tables"]["seeds"].as_array().expect("seeds");
    assert_eq!(seeds.len(), 3);
    let per_seed = |curve: &str| points.iter().filter(|p| p["curve"] == curve).count() / 3;
    assert_eq!(per_seed("trained"), 4);
    assert_eq!(per_seed("shortened"), 4);
    assert_eq!(per_seed("pruned"), 9);
    // Pruning shrinks the work per output with the kept fraction.
    for seed in seeds {
        let ops: Vec<f64> = points
            .iter()
            .filter(|p| p["curve"] == "pruned" && p["seed"] == seed["seed"])
            .map(|p| p["ops_per_output"].as_f64().unwrap())
            .collect();
        assert!(ops.windows(2).all(|w| w[1] <= w[0]), "{ops:?}");
    }
    let acc = check(&outcome, "direction_accuracy_full_kernel");
    assert!(acc.value > 0.5, "{}", acc.value);
    assert_eq!(check(&outcome, "event_files_round_trip").value, 3.0);
    assert_eq!(
        check(&outcome, "spike_times_input_neurons_fired_fraction").value,
        1.0
    );
    let gain = check(&outcome, "accuracy_gain_full_delays_over_one");
    assert!(gain.seeds.as_ref().is_some_and(|s| s.n == 3));
}
