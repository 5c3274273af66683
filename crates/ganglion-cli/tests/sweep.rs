//! `ganglion sweep`: every point of the grid is the run `ganglion run` makes of the same spec
//! with the same values, the table and figure are written, and bad input writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use std::path::Path;
use std::process::Command;

const SPEC: &str = r#"
population = [
  { name = "exc", size = 40, model = "iaf_psc_exp", params = { tau_m = "20 ms", E_L = "-65 mV", V_th = "-50 mV", V_reset = "-65 mV" } },
]
projection = [
  { source = "exc", target = "exc", connectivity = { rule = "fixed_probability", p = 0.2 }, weight = "20 pA", delay = "1.5 ms" },
]
input = [
  { name = "drive", kind = "poisson", target = "exc", rate = "8 kHz", weight = "40 pA" },
]
monitor = [{ kind = "spikes", population = "exc" }]

[simulation]
dt = "0.1 ms"
duration = "100 ms"
seed = 5
threads = 1
"#;

fn ganglion(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ganglion"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_sweep_runs_every_point_as_ganglion_run_does() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("net.toml");
    std::fs::write(&spec, SPEC).unwrap();
    let out = dir.path().join("sweep");
    let (ok, stdout, stderr) = ganglion(&[
        "sweep",
        spec.to_str().unwrap(),
        "--set",
        "input.drive.rate=[6 kHz, 9 kHz]",
        "--set",
        "projection.exc→exc.weight=[10 pA, 30 pA]",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("4 points"), "{stdout}");
    let summary = json(&out.join("sweep.json"));
    // One projection, generated once and reused by the three other points.
    assert_eq!(summary["synapses_generated"], 1);
    assert_eq!(summary["synapses_reused"], 3);
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        lines[0].starts_with("point,input.drive.rate,projection.exc→exc.weight,"),
        "{csv}"
    );
    assert!(lines[4].starts_with("3,9 kHz,30 pA,"), "{csv}");
    assert!(out.join("sweep.svg").is_file() && out.join("sweep.png").is_file());
    // Point 2 (9 kHz, 10 pA) against `ganglion run` of the spec edited by hand.
    let edited = SPEC
        .replace("rate = \"8 kHz\"", "rate = \"9 kHz\"")
        .replace("\"20 pA\"", "\"10 pA\"");
    let spec2 = dir.path().join("point2.toml");
    std::fs::write(&spec2, edited).unwrap();
    let run = dir.path().join("run");
    let (ok, _, stderr) = ganglion(&[
        "run",
        spec2.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "--no-plots",
    ]);
    assert!(ok, "{stderr}");
    for file in ["spikes_exc_times.npy", "spikes_exc_senders.npy"] {
        let a = std::fs::read(out.join("point_002").join(file)).unwrap();
        let b = std::fs::read(run.join(file)).unwrap();
        assert_eq!(a, b, "point 2's {file} differs from ganglion run's");
    }
    let m = json(&out.join("point_002").join("manifest.json"));
    let rate = summary["points"][2]["exc.rate_hz"].as_f64().unwrap();
    assert!(
        rate > 0.0 && m["populations"][0]["mean_rate_hz"].as_f64() == Some(rate),
        "{m}"
    );
}

#[test]
fn a_bad_point_fails_before_anything_runs_or_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("net.toml");
    std::fs::write(&spec, SPEC).unwrap();
    let out = dir.path().join("sweep");
    for (set, want) in [
        ("input.pulse.rate=[1 kHz]", "no input named \"pulse\""),
        (
            "input.drive.rate=[1 kHz, -2 kHz]",
            "point 1 (input.drive.rate=-2 kHz)",
        ),
        ("input.drive.rate", "expected PATH=[V1, V2, ...]"),
    ] {
        let (ok, _, stderr) = ganglion(&[
            "sweep",
            spec.to_str().unwrap(),
            "--set",
            set,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!ok && stderr.contains(want), "{set}: {stderr}");
        assert!(!out.exists(), "{set}: the output folder was created");
    }
    let (ok, _, stderr) = ganglion(&[
        "sweep",
        spec.to_str().unwrap(),
        "--set",
        "input.drive.rate=[1 kHz]",
        "--stat",
        "exc.speed",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        !ok && stderr.contains("--stat \"exc.speed\" is not a column"),
        "{stderr}"
    );
    assert!(!out.exists(), "a failed sweep left its folder");
}

#[test]
fn linked_paths_vary_together_and_bad_links_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("net.toml");
    std::fs::write(&spec, SPEC).unwrap();
    let out = dir.path().join("sweep");
    let rate = "input.drive.rate=[6 kHz, 9 kHz, 12 kHz]";
    let weight = "projection.exc→exc.weight=[10 pA, 20 pA, 30 pA]";
    let (ok, stdout, stderr) = ganglion(&[
        "sweep",
        spec.to_str().unwrap(),
        "--set",
        rate,
        "--set",
        weight,
        "--set",
        "simulation.seed=[1, 2]",
        "--link",
        "projection.exc→exc.weight, input.drive.rate",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    // 3 linked values × 2 seeds, the seed varying fastest.
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 7, "{csv}");
    for (line, want) in lines[1..].iter().zip([
        "0,6 kHz,10 pA,1,",
        "1,6 kHz,10 pA,2,",
        "2,9 kHz,20 pA,1,",
        "3,9 kHz,20 pA,2,",
        "4,12 kHz,30 pA,1,",
        "5,12 kHz,30 pA,2,",
    ]) {
        assert!(line.starts_with(want), "{line} should start with {want}");
    }
    for (link, want) in [
        ("input.drive.rate", "name at least two swept paths"),
        (
            "input.drive.rate,input.drive.weight",
            "\"input.drive.weight\" is not a swept path",
        ),
        (
            "input.drive.rate,simulation.seed",
            "simulation.seed has 2 values but input.drive.rate has 3",
        ),
    ] {
        let out = dir.path().join("bad");
        let (ok, _, stderr) = ganglion(&[
            "sweep",
            spec.to_str().unwrap(),
            "--set",
            rate,
            "--set",
            "simulation.seed=[1, 2]",
            "--link",
            link,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!ok && stderr.contains(want), "{link}: {stderr}");
        assert!(!out.exists(), "{link}: the output folder was created");
    }
}
