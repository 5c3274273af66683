//! The `celegans-touch` and `celegans-data` studies in quick mode, when `scripts/fetch-data.sh
//! cect` has fetched the connectomes (skipped otherwise, with a note; CI fetches them).

mod common;

use common::{check, run_quick};
use std::path::Path;

fn fetched() -> bool {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/cect");
    let ok = dir.join("White_whole.json").is_file();
    if !ok {
        eprintln!("skipped: data/cect not fetched (scripts/fetch-data.sh cect)");
    }
    ok
}

#[test]
fn celegans_touch_quick_if_present() {
    if !fetched() {
        return;
    }
    let (outcome, metrics) = run_quick("celegans-touch", &["command_selectivity"]);
    // Three connectomes × three variants × two stimuli, each against the linear solve.
    let runs = metrics["tables"]["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 18);
    for r in runs {
        assert!(r["engine_vs_linear"].as_f64().unwrap() < 1e-3, "{r}");
    }
    // The preferences are strong, not marginal, on White's reconstruction.
    assert!(check(&outcome, "white_1986_anterior_touch_favours_ava").value > 0.5);
    assert!(check(&outcome, "white_1986_posterior_touch_favours_avb").value > 0.5);
    assert!(
        check(
            &outcome,
            "white_1986_excitatory_touch_synapses_reverse_anterior"
        )
        .value
            < -0.5
    );
}

#[test]
fn celegans_data_quick_if_present() {
    if !fetched() {
        return;
    }
    let (outcome, metrics) = run_quick("celegans-data", &["connectomes", "activity"]);
    let t = &metrics["tables"];
    // Twelve datasets on the slots; the whole-animal reconstructions cover all 300.
    let sets = t["datasets"].as_array().expect("datasets");
    assert_eq!(sets.len(), 12);
    let row = |name: &str| sets.iter().find(|d| d["dataset"] == name).expect(name);
    assert_eq!(row("Cook 2019")["slots_present"], 300);
    assert_eq!(
        row("Cook 2019")["dropped"],
        173,
        "muscles, other cells, CANL/R"
    );
    assert!(row("Randi 2023 (functional)")["functional_pairs"].as_u64() > Some(1000));
    // 11 anatomical datasets → 55 pairs compared.
    assert_eq!(t["pairs"].as_array().map(Vec::len), Some(55));
    // Four worms at the four labs' rates, each with 90 identified and 30 unidentified neurons.
    let worms = t["worms"].as_array().expect("worms");
    let rates: Vec<f64> = worms
        .iter()
        .map(|w| w["rate_hz"].as_f64().unwrap())
        .collect();
    assert_eq!(rates, [1.0, 1.7, 2.9, 6.0]);
    assert!(
        worms
            .iter()
            .all(|w| w["identified"] == 90 && w["unidentified"] == 30)
    );
    // Faster labs keep more of each trace.
    let r: Vec<f64> = worms
        .iter()
        .map(|w| w["trace_r"].as_f64().unwrap())
        .collect();
    assert!(r.windows(2).all(|p| p[0] < p[1]), "{r:?}");
    assert_eq!(
        check(&outcome, "witvliet_synapses_grow_with_age").value,
        1.0
    );
}
