//! Helpers shared by the study tests.

use ganglion_studies::{Check, Mode, StudyOutcome, format_outcome, run_study};
use std::path::Path;

/// Runs `study` in quick mode into a fresh folder, asserts that it passed and
/// that the folder is complete with `figures` (see [`assert_outputs`]), and
/// returns the outcome and the metrics.
pub fn run_quick(study: &str, figures: &[&str]) -> (StudyOutcome, serde_json::Value) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join(study);
    let outcome = run_study(study, Mode::Quick, Some(dir.clone())).expect("run");
    assert!(outcome.passed(), "{}", format_outcome(&outcome));
    let metrics = assert_outputs(&dir, figures);
    (outcome, metrics)
}

/// The check called `name` of `outcome`.
pub fn check<'a>(outcome: &'a StudyOutcome, name: &str) -> &'a Check {
    outcome
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check {name}"))
}

/// Asserts that `dir` is a complete study folder — report, metrics, every
/// figure in SVG and PNG and embedded in the report, every check well
/// formed, all passed, no temporary folder beside it — and returns its metrics.
pub fn assert_outputs(dir: &Path, figures: &[&str]) -> serde_json::Value {
    for f in ["report.md", "metrics.json"] {
        let len = std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 100, "{f} missing or empty in {}", dir.display());
    }
    for stem in figures {
        for ext in ["svg", "png"] {
            let p = dir.join(format!("{stem}.{ext}"));
            assert!(
                std::fs::metadata(&p)
                    .map(|m| m.len() > 1000)
                    .unwrap_or(false),
                "{} missing",
                p.display()
            );
        }
    }
    let report = std::fs::read_to_string(dir.join("report.md")).expect("report");
    for stem in figures {
        assert!(
            report.contains(&format!("({stem}.png)")),
            "report does not embed {stem}"
        );
    }
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).expect("metrics"))
            .expect("valid JSON");
    let checks = metrics["checks"].as_array().expect("checks array");
    assert!(!checks.is_empty());
    let sources = ["paper", "theory", "reference_simulator", "self_consistency"];
    for c in checks {
        for key in ["name", "value", "kind", "source", "pass", "note"] {
            assert!(c.get(key).is_some(), "check without {key}: {c}");
        }
        let kind = c["kind"].as_str().expect("kind");
        let reference = match kind {
            "within" => {
                assert!(
                    c["tolerance"].is_number() && c["relative"].is_boolean(),
                    "{c}"
                );
                "expected"
            }
            "equals" => "expected",
            "at_least" | "at_most" => "bound",
            other => panic!("unknown kind {other}: {c}"),
        };
        assert!(
            c[reference].is_number(),
            "{kind} check without {reference}: {c}"
        );
        assert!(
            sources.contains(&c["source"].as_str().expect("source")),
            "{c}"
        );
        if let Some(s) = c.get("seeds") {
            let n = s["n"].as_u64().expect("n") as usize;
            assert!(
                n >= 2 && s["values"].as_array().map(Vec::len) == Some(n),
                "{c}"
            );
            let (lo, hi, mean) = (
                s["ci_low"].as_f64(),
                s["ci_high"].as_f64(),
                s["mean"].as_f64(),
            );
            if kind != "equals" {
                let (lo, hi, mean) = (
                    lo.expect("ci_low"),
                    hi.expect("ci_high"),
                    mean.expect("mean"),
                );
                assert!(lo <= mean && mean <= hi, "{c}");
            }
        }
    }
    assert!(
        report.contains("| check | ours | expected | source | result | note |"),
        "report lacks the checks table with its source column"
    );
    assert_eq!(metrics["passed"], serde_json::Value::Bool(true));
    let parent = dir.parent().expect("parent");
    for e in std::fs::read_dir(parent).expect("parent dir") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp-"), "temporary directory left: {name}");
    }
    metrics
}

/// Whether `scripts/fetch-data.sh fashion-mnist` has fetched Fashion-MNIST; prints a skip note
/// when it has not (CI fetches it; the studies that need it skip their quick test without it).
#[allow(dead_code)] // used by the Fashion-MNIST studies' tests only
pub fn fashion_mnist_fetched() -> bool {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/fashion-mnist");
    let ok = [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    .iter()
    .all(|f| dir.join(f).is_file());
    if !ok {
        eprintln!("skipped: data/fashion-mnist not fetched (scripts/fetch-data.sh fashion-mnist)");
    }
    ok
}
