//! `ganglion connectome stats|spec` on a small connectome file, and on the real ones when
//! `scripts/fetch-data.sh cect` has fetched them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use std::path::Path;
use std::process::Command;

/// AVAL, AVAR (backward command), VA5 (A-type motor), DD1 (GABAergic), and a muscle.
const TOY: &str = r#"{"nodes": ["AVAL", "AVAR", "VA5", "DD1", "MDL01"],
  "connections": {
    "Generic_CS": [[0, 1, 7, 0, 0], [2, 0, 3, 0, 0], [0, 0, 0, 0, 5], [0, 0, 4, 0, 0], [0, 0, 0, 0, 0]],
    "Generic_GJ": [[0, 3, 0, 0, 0], [3, 0, 1, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]}}"#;

fn ganglion(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ganglion"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn stats_counts_pairs_and_weights_per_connection_type() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("toy.json"), TOY).unwrap();
    let (ok, out, err) = ganglion(dir.path(), &["connectome", "stats", "toy.json", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["nodes"], 5);
    assert_eq!(v["neurons"]["motor"], 2);
    assert_eq!(v["layers"][0]["kind"], "chemical");
    assert_eq!(v["layers"][0]["pairs"], 6);
    assert_eq!(v["layers"][0]["total"], 22.0);
    assert_eq!(v["layers"][1]["kind"], "electrical");
    assert_eq!(
        (
            v["layers"][1]["pairs"].clone(),
            v["layers"][1]["total"].clone()
        ),
        (4.into(), 8.0.into())
    );
    let (ok, out, _) = ganglion(dir.path(), &["connectome", "stats", "toy.json"]);
    assert!(
        ok && out.contains("neurons: 4 (2 interneuron, 2 motor)"),
        "{out}"
    );
}

#[test]
fn spec_writes_a_runnable_circuit_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("toy.json"), TOY).unwrap();
    let args = [
        "connectome",
        "spec",
        "toy.json",
        "--duration",
        "20 ms",
        "--out",
        "worm.toml",
    ];
    let (ok, out, err) = ganglion(dir.path(), &args);
    assert!(ok, "{err}");
    assert!(out.contains("worm.toml: 4 neurons"), "{out}");
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    // DD1 → VA5 (4 contacts) is GABAergic: negative; the muscle is dropped.
    assert_eq!(
        read("worm_chemical.csv"),
        "source,target,weight\n0,1,2\n0,2,14\n1,0,4\n1,2,6\n3,2,-8\n"
    );
    assert_eq!(
        read("worm_gap_junctions.csv"),
        "source,target,weight\n0,1,1.5\n1,2,0.5\n"
    );
    let (ok, _, err) = ganglion(
        dir.path(),
        &["run", "worm.toml", "--out", "run", "--no-plots"],
    );
    assert!(ok, "{err}");
    assert!(dir.path().join("run/state_worm_V_m.npy").is_file());
    // A second spec into the same place is refused and leaves the files as they were.
    let before = read("worm_chemical.csv");
    let (ok, _, err) = ganglion(dir.path(), &[&args[..], &["--chemical", "9 pA"]].concat());
    assert!(
        !ok && err.contains("worm.toml exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(read("worm_chemical.csv"), before);
}

#[test]
fn a_file_that_is_not_a_connectome_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.json"),
        r#"{"nodes": ["A"], "connections": {"Generic_CS": [[0, 1]]}}"#,
    )
    .unwrap();
    let (ok, _, err) = ganglion(dir.path(), &["connectome", "stats", "bad.json"]);
    assert!(
        !ok && err.contains("bad.json") && err.contains("is 1×2, but there are 1 nodes"),
        "{err}"
    );
    let (ok, _, err) = ganglion(dir.path(), &["connectome", "stats", "missing.json"]);
    assert!(
        !ok && err.contains("missing.json") && err.contains("fetch-data.sh"),
        "{err}"
    );
}

#[test]
fn the_real_cook_2019_connectome_if_present() {
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/cect/Cook2019HermReader.json");
    if !file.is_file() {
        eprintln!("skipped: data/cect not fetched (scripts/fetch-data.sh cect)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = file.to_str().unwrap();
    let (ok, out, err) = ganglion(dir.path(), &["connectome", "stats", f, "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["nodes"].clone(), v["layers"][1]["pairs"].clone()),
        (473.into(), 2883.into())
    );
    let (ok, out, err) = ganglion(dir.path(), &["connectome", "spec", f, "--out", "worm.toml"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("282 neurons"),
        "the somatic nervous system: {out}"
    );
}
