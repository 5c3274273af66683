//! The `ganglion` binary end to end: outputs, manifest, and nothing written on bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use std::path::Path;
use std::process::Command;

fn ganglion() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ganglion"))
}

/// `ganglion run <spec> <args…> --out <out>`.
fn run_into(spec: impl AsRef<std::ffi::OsStr>, args: &[&str], out: &Path) -> Command {
    let mut cmd = ganglion();
    cmd.arg("run").arg(spec).args(args).arg("--out").arg(out);
    cmd
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn run_writes_recordings_plots_and_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cuba");
    let o = run_into(
        example("cuba.toml"),
        &["--duration", "200 ms", "--threads", "2", "--seed", "3"],
        &out,
    )
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("population") && stdout.contains("exc") && stdout.contains("build"),
        "{stdout}"
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["threads"], 2);
    assert_eq!(m["seed"], 3);
    assert_eq!(m["duration_ms"], 200.0);
    for key in ["build_s", "simulate_s", "write_s"] {
        assert!(m["timings"][key].as_f64().unwrap() >= 0.0);
    }
    let pops = m["populations"].as_array().unwrap();
    assert_eq!(pops.len(), 2);
    for p in pops {
        for key in ["name", "size", "spike_count", "mean_rate_hz", "cv_isi"] {
            assert!(p.get(key).is_some(), "{key} missing in {p}");
        }
    }
    for f in m["files"].as_array().unwrap() {
        let name = f["file"].as_str().unwrap();
        assert!(out.join(name).exists(), "{name} listed but missing");
    }
    for f in [
        "raster.png",
        "raster.svg",
        "rate.png",
        "rate.svg",
        "spikes_exc_times.npy",
        "state_exc_V_m.npy",
    ] {
        assert!(out.join(f).metadata().unwrap().len() > 0, "{f}");
    }
    // Running again into the same folder is refused unless --force.
    let again = run_into(example("cuba.toml"), &["--duration", "50 ms"], &out)
        .output()
        .unwrap();
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("--force"));
    let forced = run_into(
        example("cuba.toml"),
        &["--duration", "50 ms", "--force"],
        &out,
    )
    .output()
    .unwrap();
    assert!(forced.status.success());
    // No temporary folder is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn report_every_prints_population_rates_that_add_up_to_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cuba");
    let o = run_into(
        example("cuba.toml"),
        &[
            "--duration",
            "200 ms",
            "--threads",
            "2",
            "--report-every",
            "50 ms",
        ],
        &out,
    )
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("t = ")).collect();
    assert_eq!(lines.len(), 4, "{stderr}");
    assert!(lines[3].starts_with("t = 200.0 ms"), "{}", lines[3]);
    // The four intervals' rates average to the run's mean rate (equal-length intervals).
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    for p in m["populations"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let mean: f64 = lines
            .iter()
            .map(|l| {
                let after = l
                    .split(&format!(" {name} "))
                    .nth(1)
                    .expect("population in line");
                after.split(" Hz").next().unwrap().parse::<f64>().unwrap()
            })
            .sum::<f64>()
            / 4.0;
        let want = p["mean_rate_hz"].as_f64().unwrap();
        assert!(want > 0.0);
        assert!(
            (mean - want).abs() < 0.01 + 1e-3 * want,
            "{name}: {mean} vs {want}"
        );
    }
    // A report interval that is not a time is refused before anything is written.
    let bad = run_into(
        example("cuba.toml"),
        &["--report-every", "5 mV"],
        &dir.path().join("x"),
    )
    .output()
    .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--report-every") && err.contains("not a time"),
        "{err}"
    );
    assert!(!dir.path().join("x").exists());
}

#[test]
fn bad_spec_fails_with_a_located_message_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(example("cuba.toml"))
        .unwrap()
        .replacen("tau_m = \"20 ms\"", "tau_m = \"-20 ms\"", 1);
    std::fs::write(&spec, text).unwrap();
    let out = dir.path().join("out");
    let o = run_into(&spec, &[], &out).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.toml:")
            && err.contains("population \"exc\"")
            && err.contains("tau_m must be positive"),
        "{err}"
    );
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the spec is there"
    );
    // validate gives the same verdict.
    let o = ganglion().arg("validate").arg(&spec).output().unwrap();
    assert!(!o.status.success());
}

#[test]
fn validate_and_models_succeed() {
    let o = ganglion()
        .args(["validate", &example("brunel.toml")])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok"));
    let o = ganglion().arg("models").output().unwrap();
    let s = String::from_utf8_lossy(&o.stdout);
    for m in [
        "iaf_psc_exp",
        "iaf_psc_alpha",
        "iaf_cond_exp",
        "iaf_psc_delta",
        "aeif_psc_exp",
        "izhikevich",
        "rate_tanh",
    ] {
        assert!(s.contains(m));
    }
}

#[test]
fn every_example_validates() {
    for e in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")).unwrap()
    {
        let p = e.unwrap().path();
        // `*.train.toml` are training options beside a circuit spec, not circuits.
        if p.extension().is_some_and(|x| x == "toml")
            && !p.to_string_lossy().ends_with(".train.toml")
        {
            let o = ganglion().arg("validate").arg(&p).output().unwrap();
            assert!(
                o.status.success(),
                "{}: {}",
                p.display(),
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}

// ---- Output folders: --out and --force never lose data -------------------------------------

/// A four-neuron spec (10 ms) in `dir`, returning its path.
fn tiny_spec(dir: &Path) -> std::path::PathBuf {
    let spec = dir.join("tiny.toml");
    std::fs::write(
        &spec,
        r#"[simulation]
dt = "0.1 ms"
duration = "10 ms"
seed = 1

[[population]]
name = "neurons"
size = 4
model = "izhikevich"
init = { V_m = "-65 mV", U_m = -13.0 }

[[input]]
kind = "current"
target = "neurons"
amplitude = "10 pA"

[[monitor]]
kind = "spikes"
population = "neurons"
"#,
    )
    .unwrap();
    spec
}

/// A temporary folder holding only [`tiny_spec`], and the spec's path.
fn tiny_project() -> (tempfile::TempDir, std::path::PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let spec = tiny_spec(root.path());
    (root, spec)
}

/// Every file under `dir` (relative path → contents), recursively.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Names under `dir` (recursively) that look like temporary or moved-aside folders or files.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut found = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('.') && (name.contains(".tmp-") || name.contains(".old-")) {
                found.push(p.display().to_string());
            }
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    found
}

/// Run `cmd`, failing the test if it is still running after 20 s (then it did not refuse
/// before simulating the hours of simulated time these tests ask for).
fn refused_quickly(cmd: &mut Command) -> std::process::Output {
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("still running after 20 s: the output folder was not checked before simulating");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run `cmd`, which must be refused before simulating; check that no file under `root`
/// changed and no temporary was left; return its stderr.
fn refused_untouched(root: &Path, cmd: &mut Command) -> String {
    let before = snapshot(root);
    let o = refused_quickly(cmd);
    assert!(!o.status.success(), "the command succeeded");
    assert_eq!(
        snapshot(root),
        before,
        "files under {} changed",
        root.display()
    );
    let left = leftovers(root);
    assert!(left.is_empty(), "{left:?}");
    stderr(&o)
}

#[test]
fn force_onto_the_current_folder_holding_the_spec_is_refused_and_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    tiny_spec(dir.path());
    std::fs::write(dir.path().join("notes.txt"), "precious").unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/x.npy"), "also precious").unwrap();
    // Even with a manifest.json (as if an earlier run had written here), `.` is refused.
    std::fs::write(dir.path().join("manifest.json"), "{}").unwrap();
    let err = refused_untouched(
        dir.path(),
        run_into("tiny.toml", &["--force", "--no-plots"], Path::new(".")).current_dir(dir.path()),
    );
    assert!(err.contains("--force would delete"), "{err}");
}

#[test]
fn force_onto_the_spec_folder_or_its_ancestor_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let specs = root.path().join("project/specs");
    std::fs::create_dir_all(&specs).unwrap();
    let spec = tiny_spec(&specs);
    // Marked as results folders, so only the protection of the spec's folder can refuse.
    std::fs::write(specs.join("manifest.json"), "{}").unwrap();
    std::fs::write(root.path().join("project/manifest.json"), "{}").unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    for target in [specs.clone(), root.path().join("project")] {
        let err = refused_untouched(
            root.path(),
            run_into(&spec, &["--force", "--no-plots"], &target).current_dir(elsewhere.path()),
        );
        assert!(err.contains("--force would delete"), "{err}");
        if target != specs {
            assert!(err.contains("specs"), "names what it holds: {err}");
        }
    }
}

#[test]
fn force_onto_a_folder_ganglion_did_not_write_is_refused() {
    let (root, spec) = tiny_project();
    let papers = root.path().join("papers");
    std::fs::create_dir(&papers).unwrap();
    std::fs::write(papers.join("thesis.tex"), "years of work").unwrap();
    let err = refused_untouched(
        root.path(),
        &mut run_into(&spec, &["--force", "--no-plots"], &papers),
    );
    assert!(
        err.contains("not a folder Ganglion wrote") && err.contains("manifest.json"),
        "{err}"
    );
}

#[test]
fn an_existing_file_as_out_is_refused_before_simulating() {
    let (root, spec) = tiny_project();
    let file = root.path().join("results");
    std::fs::write(&file, "not a folder").unwrap();
    for force in [false, true] {
        // Hours of simulated time: only a refusal before simulating returns quickly.
        let mut cmd = run_into(&spec, &["--duration", "20000 s", "--no-plots"], &file);
        if force {
            cmd.arg("--force");
        }
        let err = refused_untouched(root.path(), &mut cmd);
        assert!(err.contains("exists and is not a folder"), "{err}");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 2);
    }
}

#[test]
fn an_out_below_a_regular_file_is_refused_and_leaves_nothing() {
    let (root, spec) = tiny_project();
    std::fs::write(root.path().join("blocker"), "a file").unwrap();
    let target = root.path().join("blocker/sub/run");
    let err = refused_untouched(
        root.path(),
        &mut run_into(&spec, &["--duration", "20000 s", "--no-plots"], &target),
    );
    assert!(err.contains("blocker"), "the message names the path: {err}");
    assert_eq!(
        err.matches("os error").count(),
        1,
        "the OS error once: {err}"
    );
}

#[test]
fn a_second_run_into_existing_results_is_refused_and_they_stay_byte_identical() {
    let (root, spec) = tiny_project();
    let out = root.path().join("run");
    let first = run_into(&spec, &[], &out).output().unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(out.join("manifest.json").is_file());
    let before = snapshot(&out);
    let second = run_into(&spec, &["--seed", "2", "--no-plots"], &out)
        .output()
        .unwrap();
    assert!(!second.status.success());
    let err = stderr(&second);
    assert!(
        err.contains("already exists and is not empty") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(snapshot(&out), before, "the first results are untouched");
    assert!(leftovers(root.path()).is_empty());
    // Only the spec and the results folder are there.
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 2);
}

#[test]
fn force_replaces_earlier_results_and_leaves_no_siblings() {
    let (root, spec) = tiny_project();
    let out = root.path().join("run");
    let first = run_into(&spec, &["--seed", "1"], &out).output().unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    std::fs::write(out.join("stale.txt"), "from before").unwrap();
    let forced = run_into(&spec, &["--seed", "7", "--no-plots", "--force"], &out)
        .output()
        .unwrap();
    assert!(forced.status.success(), "{}", stderr(&forced));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["seed"], 7, "the new results are in place");
    assert!(
        !out.join("stale.txt").exists(),
        "the old folder was replaced"
    );
    assert!(
        !out.join("raster.png").exists(),
        "no file of the old run survives"
    );
    assert!(
        leftovers(root.path()).is_empty(),
        "{:?}",
        leftovers(root.path())
    );
    let names: Vec<String> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "only the spec and the results: {names:?}");
}
