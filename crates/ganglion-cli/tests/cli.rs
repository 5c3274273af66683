//! The `ganglion` binary end to end: outputs, manifest, and nothing written on bad input.

use std::path::Path;
use std::process::Command;

fn ganglion() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ganglion"))
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
    let o = ganglion()
        .args([
            "run",
            &example("cuba.toml"),
            "--duration",
            "200 ms",
            "--threads",
            "2",
            "--seed",
            "3",
        ])
        .arg("--out")
        .arg(&out)
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
    let again = ganglion()
        .args(["run", &example("cuba.toml"), "--duration", "50 ms"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("--force"));
    let forced = ganglion()
        .args([
            "run",
            &example("cuba.toml"),
            "--duration",
            "50 ms",
            "--force",
        ])
        .arg("--out")
        .arg(&out)
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
fn bad_spec_fails_with_a_located_message_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(example("cuba.toml"))
        .unwrap()
        .replacen("tau_m = \"20 ms\"", "tau_m = \"-20 ms\"", 1);
    std::fs::write(&spec, text).unwrap();
    let out = dir.path().join("out");
    let o = ganglion()
        .arg("run")
        .arg(&spec)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
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
