//! Snapshots of what `ganglion models`, `validate` and `run` print (timings and paths
//! replaced by placeholders), so that any change to the user-facing text is seen in review.
//! Update with `INSTA_UPDATE=always cargo test -p ganglion-cli --test snapshots` (or
//! `cargo insta review`) after checking the new text.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use std::path::Path;
use std::process::Command;

fn ganglion(args: &[&str], dir: &Path) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_ganglion"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the ganglion binary runs");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Replaces every number directly followed by " s" (a duration) with "<t> s", and the run
/// folder after "→" with "<out>".
fn filter_timings(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = match line.find(" → ") {
            Some(k) => format!("{} → <out>", &line[..k]),
            None => line.to_string(),
        };
        let words: Vec<&str> = line.split(' ').collect();
        let mut kept = Vec::with_capacity(words.len());
        for (i, w) in words.iter().enumerate() {
            let is_time = words.get(i + 1) == Some(&"s") && w.parse::<f64>().is_ok();
            kept.push(if is_time { "<t>" } else { w });
        }
        out.push_str(&kept.join(" "));
        out.push('\n');
    }
    out
}

#[test]
fn models_listing() {
    let (ok, stdout, _) = ganglion(&["models"], &examples());
    assert!(ok);
    insta::assert_snapshot!(stdout);
}

#[test]
fn validate_ok_and_problems() {
    let (ok, stdout, _) = ganglion(&["validate", "cuba.toml"], &examples());
    assert!(ok);
    insta::assert_snapshot!("validate_cuba", stdout);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("bad.toml"),
        r#"[simulation]
dt = "0.1 ms"
duration = "100 ms"

[[population]]
name = "exc"
size = 10
model = "iaf_psc_exp"
params = { tau_m = "-20 ms", V_reset = "-40 mV", tau_mem = "5 ms" }

[[projection]]
source = "exc"
target = "exc"
connectivity = { rule = "fixed_probability", p = 0.1 }
weight = "10 pA"
delay = "0.05 ms"
"#,
    )
    .expect("write spec");
    let (ok, _, stderr) = ganglion(&["validate", "bad.toml"], dir.path());
    assert!(!ok);
    insta::assert_snapshot!("validate_bad", stderr);
}

#[test]
fn run_summary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let spec = examples().join("cuba.toml");
    let (ok, stdout, stderr) = ganglion(
        &[
            "run",
            spec.to_str().expect("utf-8 path"),
            "--duration",
            "200 ms",
            "--no-plots",
            "--out",
            out.to_str().expect("utf-8 path"),
        ],
        dir.path(),
    );
    assert!(ok, "{stderr}");
    let stdout = stdout.replace(spec.to_str().expect("utf-8 path"), "cuba.toml");
    insta::assert_snapshot!("run_cuba", filter_timings(&stdout));
}
