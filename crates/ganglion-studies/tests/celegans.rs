//! The `celegans-touch` study in quick mode, when `scripts/fetch-data.sh cect` has fetched the
//! connectomes (skipped otherwise, with a note; CI fetches them).

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
