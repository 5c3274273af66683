//! Every study runs in quick mode, passes its checks and leaves a complete
//! output directory behind (and nothing half-written).

mod common;

use common::{check, run_quick};
use ganglion_studies::{Mode, Replace, format_list, list, run_study, run_study_with};

#[test]
fn active_dendrites_quick() {
    let (outcome, metrics) = run_quick(
        "active-dendrites",
        &[
            "effect_of_n",
            "effect_of_s",
            "noise",
            "unions",
            "mc_vs_formula",
        ],
    );
    // Every table row carries the paper's parameter names.
    for table in [
        "table_1",
        "effect_of_n",
        "effect_of_s",
        "noise",
        "union_segment",
        "union_input",
        "monte_carlo",
    ] {
        let rows = metrics["tables"][table]
            .as_array()
            .unwrap_or_else(|| panic!("table {table}"));
        assert!(!rows.is_empty(), "{table} empty");
        for key in ["n", "a", "s", "theta", "m", "noise", "p_fp", "p_fn"] {
            assert!(rows[0].get(key).is_some(), "{table} rows lack {key}");
        }
    }
    let example = check(&outcome, "p_fp_n10000_a300_s24_theta12");
    assert_eq!(format!("{:.4e}", example.value), "8.3758e-13");
}

#[test]
fn pavlovian_attention_quick() {
    let (outcome, metrics) = run_quick(
        "pavlovian-attention",
        &["capacity", "retrieval", "training", "blocking"],
    );
    // Every layer was trained (its loss fell) and the two rules were compared.
    let layers = metrics["tables"]["layers"].as_array().expect("layers");
    assert!(layers.iter().any(|l| l["rule"] == "hebbian"));
    assert!(layers.iter().any(|l| l["rule"] == "delta"));
    for l in layers {
        let (before, after) = (l["loss_before"].as_f64(), l["loss_after"].as_f64());
        assert!(after.expect("after") < 0.5 * before.expect("before"), "{l}");
    }
    let exponent = check(&outcome, "hebbian_worst_capacity_exponent");
    assert_eq!(exponent.seeds.as_ref().map(|s| s.n), Some(3));
}

#[test]
fn brunel_2000_quick() {
    let (outcome, metrics) = run_quick(
        "brunel-2000",
        &[
            "example_a_sr",
            "example_b_si_fast",
            "example_c_ai",
            "example_d_si_slow",
            "spectra",
            "phase_diagram",
        ],
    );
    let all = metrics["tables"]["runs"].as_array().expect("runs table");
    let rows: Vec<&serde_json::Value> = all.iter().filter(|r| r["set"] == "example").collect();
    assert_eq!(rows.len(), 4, "quick mode runs the four Fig. 8 examples");
    // … and two more seeds of the AI and SI-fast examples.
    assert_eq!(all.iter().filter(|r| r["set"] == "seed").count(), 4);
    let ai = check(&outcome, "ai_rate_vs_mean_field");
    assert_eq!(ai.seeds.as_ref().map(|s| s.n), Some(3));
    for key in [
        "g",
        "eta",
        "rate_hz",
        "cv_isi",
        "synchrony",
        "f_peak_hz",
        "regime",
    ] {
        assert!(rows[0].get(key).is_some(), "runs rows lack {key}");
    }
    let regimes: Vec<&str> = rows
        .iter()
        .map(|r| r["regime"].as_str().expect("regime"))
        .collect();
    assert_eq!(regimes, ["SR", "SI fast", "AI", "SI slow"]);
}

#[test]
fn output_directory_is_never_overwritten() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("keep.txt"), "x").expect("write");
    let err = run_study(
        "active-dendrites",
        Mode::Quick,
        Some(tmp.path().to_path_buf()),
    )
    .expect_err("non-empty dir");
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(
        std::fs::read_dir(tmp.path()).expect("dir").count(),
        1,
        "a refused run leaves nothing behind"
    );
    assert!(run_study("no-such-study", Mode::Quick, None).is_err());
}

#[test]
fn force_replaces_only_a_study_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("ca3");
    run_study("ca3-memory", Mode::Quick, Some(dir.clone())).expect("first run");
    std::fs::write(dir.join("from_the_first_run.txt"), "x").expect("write");
    assert!(run_study("ca3-memory", Mode::Quick, Some(dir.clone())).is_err());
    assert!(
        dir.join("from_the_first_run.txt").exists(),
        "a refused run changes nothing"
    );
    let again = run_study_with("ca3-memory", Mode::Quick, Some(dir.clone()), Replace::Force)
        .expect("forced run");
    assert!(again.passed());
    assert!(dir.join("metrics.json").exists());
    assert!(
        !dir.join("from_the_first_run.txt").exists(),
        "the folder holds only the new run"
    );
    // A folder without metrics.json is not a study folder: never replaced.
    let other = tmp.path().join("notes");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join("keep.txt"), "x").expect("write");
    assert!(
        run_study_with(
            "ca3-memory",
            Mode::Quick,
            Some(other.clone()),
            Replace::Force
        )
        .is_err()
    );
    assert!(other.join("keep.txt").exists());
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "temporary folders left: {names:?}"
    );
}

#[test]
fn encoding_models_quick() {
    let (outcome, metrics) = run_quick("encoding-models", &["ceilings", "readouts"]);
    // 60 voxels at each of the two feature counts, each with its true and estimated ceiling.
    let voxels = metrics["tables"]["voxels"].as_array().expect("voxels");
    assert_eq!(voxels.len(), 120);
    assert!(
        voxels
            .iter()
            .all(|v| v["true_ceiling"].as_f64().unwrap() > 0.0)
    );
    assert!(check(&outcome, "test_correlation_over_true_ceiling").value > 0.9);
    // Readouts: 20 voxels (10 one-position, 10 Gaussian fields) at 80 and 400 stimuli;
    // attention fitted on the one-position voxels at 400 only.
    let rv = metrics["tables"]["readout_voxels"]
        .as_array()
        .expect("readout_voxels");
    assert_eq!(rv.len(), 40);
    let with_attention = rv.iter().filter(|v| v["r_attention"].is_f64()).count();
    assert_eq!(with_attention, 10);
    assert_eq!(
        metrics["tables"]["geometry"].as_array().map(Vec::len),
        Some(4)
    );
    assert!(check(&outcome, "factorised_minus_ridge_r_few_stimuli").value > 0.1);
    assert!(check(&outcome, "mask_peak_at_planted_position_fraction").value >= 0.9);
    assert!(
        check(&outcome, "attention_minus_factorised_r_one_position")
            .value
            .abs()
            < 0.05
    );
    assert!(check(&outcome, "rsa_factorised_minus_ridge_few_stimuli").value > 0.0);
    assert!(check(&outcome, "cka_factorised_minus_ridge_few_stimuli").value > 0.0);
}

#[test]
fn nested_oscillations_quick() {
    let (outcome, metrics) = run_quick("nested-oscillations", &["spectra", "amplitude_by_phase"]);
    let runs = metrics["tables"]["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2);
    // The same mean drive gives the same rates: only its time course differs.
    let rate = |k: usize| runs[k]["rate_e_hz"].as_f64().unwrap();
    assert!(
        (rate(0) - rate(1)).abs() < 0.1 * rate(0),
        "{} vs {}",
        rate(0),
        rate(1)
    );
    assert_eq!(
        runs[1]["amplitude_by_phase"].as_array().map(Vec::len),
        Some(18)
    );
    assert!(check(&outcome, "theta_pac_surrogate_z").value >= 3.0);
}

#[test]
fn network_features_quick() {
    let (outcome, metrics) = run_quick("network-features", &["node_t_maps"]);
    let results = metrics["tables"]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["degree_t"].as_array().map(Vec::len), Some(30));
    let (planted, null) = (
        check(&outcome, "planted_difference_cv_accuracy"),
        check(&outcome, "null_cv_accuracy"),
    );
    assert!(
        planted.value > null.value + 0.2,
        "{} vs {}",
        planted.value,
        null.value
    );
}

#[test]
fn listing() {
    let names: Vec<_> = list().iter().map(|i| i.name).collect();
    assert_eq!(
        names,
        [
            "active-dendrites",
            "adaptive-ei-reservoir",
            "astro-snn",
            "brunel-2000",
            "ca3-memory",
            "celegans-data",
            "celegans-touch",
            "circuit-diagram",
            "cortical-microcircuit",
            "dynamic-connectome",
            "elm-neuron",
            "emotion-steering",
            "encoding-models",
            "g2gnet",
            "gain-control",
            "hd-snn-motion",
            "hlop-continual",
            "hmm-glm",
            "homeostatic-shift",
            "ioi-circuit",
            "lsm-zero-shot",
            "milan-lite",
            "ncap-swimmer",
            "nested-oscillations",
            "network-features",
            "neuroformer-lite",
            "neuronpath",
            "pavlovian-attention",
            "predictive-aux-rl",
            "rich-lazy-rank",
            "rnn-hmm",
            "sfq-xor",
            "skeleton-metrics",
            "topological-rsa",
            "what-when-reservoir"
        ]
    );
    let table = format_list();
    assert!(table.starts_with("NAME"));
    assert!(table.contains("Ahmad & Hawkins"));
}
