//! `ganglion run` and `validate` on hostile input (reliability issue, classes 5–7): unbounded
//! work is refused or capped with a notice on stderr and in the manifest; rounding is said,
//! never silent; flag problems name the flag; a refused run writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const TINY: &str = r#"[simulation]
dt = "0.1 ms"
duration = "5 ms"

[[population]]
name = "a"
size = 3
model = "iaf_psc_exp"

[[input]]
kind = "current"
target = "a"
amplitude = "500 pA"

[[monitor]]
kind = "spikes"
population = "a"
"#;

/// A temporary folder holding `spec.toml` with `text`.
fn folder(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.toml");
    std::fs::write(&spec, text).unwrap();
    (dir, spec)
}

/// `ganglion <args>` in `dir`, killed after 60 s (a run that never ends fails the test).
fn ganglion(dir: &Path, args: &[&str]) -> (Output, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ganglion"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("ganglion {args:?} did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (o, err)
}

/// Only `spec.toml` (and what the test put there) is in `dir`: nothing was written.
fn nothing_written(dir: &Path, expected: usize) {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), expected, "something was written: {names:?}");
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap()
}

fn notes(m: &serde_json::Value) -> Vec<String> {
    m["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

// ---- class 5: unbounded work ------------------------------------------------------------

#[test]
fn a_huge_thread_count_is_capped_and_said_so_on_stderr_and_in_the_manifest() {
    let (dir, _) = folder(TINY);
    let (o, err) = ganglion(
        dir.path(),
        &[
            "run",
            "spec.toml",
            "--threads",
            "1000000000",
            "--out",
            "out",
            "--no-plots",
        ],
    );
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(
            "note: --threads 1000000000: the thread count is capped to 3 threads (one per neuron"
        ),
        "{err}"
    );
    let m = manifest(&dir.path().join("out"));
    assert_eq!(m["threads"], 3);
    let n = notes(&m);
    assert!(
        n.iter()
            .any(|n| n.starts_with("--threads 1000000000: the thread count is capped")),
        "{n:?}"
    );
}

#[test]
fn an_absurd_duration_is_refused_with_the_step_count_and_nothing_is_written() {
    let (dir, _) = folder(TINY);
    let (o, err) = ganglion(
        dir.path(),
        &["run", "spec.toml", "--duration", "1e9 s", "--out", "out"],
    );
    assert!(!o.status.success());
    assert!(
        err.starts_with("error: --duration \"1e9 s\": duration 1000000000000 ms is 1.000e13 steps of dt 0.1 ms, more than the 1000000000 steps a run may take"),
        "{err}"
    );
    assert!(
        err.contains("hint: at most 100000000 ms at this dt: --duration \"100000000 ms\""),
        "{err}"
    );
    nothing_written(dir.path(), 1);
}

#[cfg(unix)]
#[test]
fn devices_are_refused_as_specs_and_as_data_files() {
    let (dir, _) = folder(&TINY.replace(
        "kind = \"current\"\ntarget = \"a\"\namplitude = \"500 pA\"",
        "kind = \"timeseries\"\ntarget = \"a\"\nfile = \"drive.npy\"\nunit = \"pA\"",
    ));
    std::os::unix::fs::symlink("/dev/urandom", dir.path().join("drive.npy")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.toml")).unwrap();
    let (o, err) = ganglion(dir.path(), &["run", "spec.toml", "--out", "out"]);
    assert!(!o.status.success());
    assert!(err.contains("drive.npy: it is not a regular file"), "{err}");
    let (o, err) = ganglion(dir.path(), &["run", "zero.toml", "--out", "out"]);
    assert!(!o.status.success());
    assert_eq!(
        err.trim_end(),
        "error: cannot read zero.toml: it is not a regular file (a device, pipe or socket); only regular files are read"
    );
    let (o, err) = ganglion(dir.path(), &["validate", "/dev/zero"]);
    assert!(
        !o.status.success() && err.contains("not a regular file"),
        "{err}"
    );
    nothing_written(dir.path(), 3);
}

// ---- class 6: no silent reinterpretation ------------------------------------------------

#[test]
fn rounding_is_a_notice_on_stderr_and_in_the_manifest() {
    let spec = TINY.replace(
        "[[monitor]]",
        "[[monitor]]\nkind = \"state\"\npopulation = \"a\"\nvariables = [\"V_m\"]\ncount = 1\nevery = \"0.25 ms\"\n\n[[monitor]]",
    );
    let (dir, _) = folder(&spec);
    let (o, err) = ganglion(
        dir.path(),
        &[
            "run",
            "spec.toml",
            "--duration",
            "5.04 ms",
            "--out",
            "out",
            "--no-plots",
        ],
    );
    assert!(o.status.success(), "{err}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("5 ms at dt = 0.1 ms"), "{stdout}");
    let expected = [
        "--duration \"5.04 ms\": duration 5.04 ms is not a whole number of steps: it is rounded to 50 steps of 0.1 ms = 5 ms",
        "spec.toml:20: monitor #1 (state of \"a\"): every 0.25 ms is not a whole number of steps of dt 0.1 ms: it is rounded to 3 steps = 0.3 ms",
    ];
    for e in expected {
        assert!(err.contains(&format!("note: {e}")), "{e:?} not in:\n{err}");
    }
    let m = manifest(&dir.path().join("out"));
    assert_eq!(m["duration_ms"], 5.0);
    let n = notes(&m);
    for e in expected {
        assert!(n.iter().any(|n| n.ends_with(e)), "{e:?} not in {n:?}");
    }
    // validate says the same.
    let (o, err) = ganglion(dir.path(), &["validate", "spec.toml"]);
    assert!(
        o.status.success() && err.contains("note: spec.toml:20"),
        "{err}"
    );
}

#[test]
fn mistakes_are_errors_and_the_run_writes_nothing() {
    for (from, to, message) in [
        (
            "duration = \"5 ms\"",
            "dt = \"1 ms\"\nduration = \"0.5 ms\"",
            "duration 0.5 ms is shorter than dt 1 ms",
        ),
        (
            "population = \"a\"",
            "population = \"a\"\ncount = 4",
            "count = 4 is larger than population \"a\", which has 3",
        ),
        (
            "amplitude = \"500 pA\"",
            "amplitude = \"500 pA\"\nneurons = [3]",
            "neuron 3 does not exist in \"a\" (size 3)",
        ),
        (
            "amplitude = \"500 pA\"",
            "amplitude = \"500 pA\"\nrate = \"5 Hz\"",
            "`rate` is not used by a current input",
        ),
    ] {
        let (dir, _) = folder(
            &TINY
                .replacen(from, to, 1)
                .replace("dt = \"0.1 ms\"\ndt", "dt"),
        );
        let (o, err) = ganglion(dir.path(), &["run", "spec.toml", "--out", "out"]);
        assert!(!o.status.success(), "{message}");
        assert!(
            err.contains(message) && err.contains("spec.toml:"),
            "{message:?} not in:\n{err}"
        );
        nothing_written(dir.path(), 1);
    }
}

// ---- class 7: messages point to the right place ----------------------------------------

#[test]
fn flag_errors_name_the_flag_and_no_line_of_the_spec() {
    let (dir, _) = folder(TINY);
    for (value, message) in [
        (
            "-5 ms",
            "error: --duration \"-5 ms\": duration -5 ms must be positive\n  hint: --duration \"1000 ms\"",
        ),
        (
            "5 mV",
            "error: --duration \"5 mV\": duration \"5 mV\" is a voltage, but it must be a time",
        ),
        (
            "0.01 ms",
            "error: --duration \"0.01 ms\": duration 0.01 ms is shorter than dt 0.1 ms",
        ),
    ] {
        let (o, err) = ganglion(
            dir.path(),
            &["run", "spec.toml", "--duration", value, "--out", "out"],
        );
        assert!(!o.status.success());
        assert!(
            err.starts_with(message),
            "{message:?} not at the start of:\n{err}"
        );
        assert!(
            !err.contains("spec.toml") && !err.contains("the spec has"),
            "{err}"
        );
        nothing_written(dir.path(), 1);
    }
}

#[test]
fn one_typo_is_one_error() {
    let spec = TINY.replace(
        "model = \"iaf_psc_exp\"",
        "model = \"iaf_psc_exq\"\nparams = { tau_m = \"5 ms\" }",
    ) + "\n[[projection]]\nsource = \"a\"\ntarget = \"a\"\nconnectivity = { rule = \"all_to_all\" }\nweight = \"1 pA\"\n";
    let (dir, _) = folder(&spec);
    let (o, err) = ganglion(dir.path(), &["validate", "spec.toml"]);
    assert!(!o.status.success());
    assert!(err.starts_with("error: the spec has 1 problem:"), "{err}");
    assert!(
        err.contains("spec.toml:8: population \"a\": unknown model \"iaf_psc_exq\""),
        "{err}"
    );
    assert!(!err.contains("not defined"), "{err}");
}
