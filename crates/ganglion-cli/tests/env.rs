//! `ganglion env rollout|bench|xml`. The rollouts run where `scripts/fetch-data.sh mujoco`
//! has fetched MuJoCo (skipped with a note otherwise); the argument errors need no library.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use std::process::Command;

fn ganglion(args: &[&str], envs: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ganglion"))
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// MuJoCo present (else skip with a note); present but unusable fails.
fn have_mujoco() -> bool {
    let ok = ganglion_envs::mujoco::available().unwrap();
    if !ok {
        eprintln!("skipped: MuJoCo not fetched (scripts/fetch-data.sh mujoco)");
    }
    ok
}

#[test]
fn bad_arguments_are_named() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["env", "rollout", "--links", "2"],
            "at least 3 links, got 2",
        ),
        (
            &["env", "rollout", "--control", "sine:amp=1,period=30"],
            "all needed",
        ),
        (
            &["env", "rollout", "--control", "square:amp=1"],
            "unknown kind",
        ),
        (&["env", "rollout", "--target", "1"], "expected X,Y"),
        (&["env", "xml", "--links", "1"], "at least 3 links, got 1"),
        (
            &["env", "rollout", "--init", "random", "--target", "1,1"],
            "draws the target",
        ),
        (
            &["env", "rollout", "--seed", "3"],
            "use it with --init random",
        ),
    ];
    for (args, want) in cases {
        let (ok, _, err) = ganglion(args, &[]);
        assert!(!ok && err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn missing_library_says_how_to_fetch_it() {
    let (ok, out, err) = ganglion(
        &["env", "rollout", "--steps", "2"],
        &[("GANGLION_MUJOCO", "/nonexistent/libmujoco.so.4.0.0")],
    );
    assert!(!ok && out.is_empty(), "{out}");
    assert!(err.contains("scripts/fetch-data.sh mujoco"), "{err}");
}

#[test]
fn rollout_json_has_reward_sum_and_nose_path() {
    if !have_mujoco() {
        return;
    }
    let args = [
        "env",
        "rollout",
        "--links",
        "5",
        "--steps",
        "40",
        "--init",
        "zero",
        "--target",
        "-1,0.5",
        "--control",
        "sine:amp=1,period=20,phase=0.9",
        "--json",
    ];
    let (ok, out, err) = ganglion(&args, &[]);
    assert!(ok, "{err}");
    assert!(out.starts_with("{\"reward_sum\":"), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let nose = v["nose_xy"].as_array().unwrap();
    assert_eq!(nose.len(), 40);
    assert_eq!(nose[0].as_array().unwrap().len(), 2);
    // The nose starts at (0, -0.06) and moves a little in the first 30 ms.
    let (x0, y0) = (nose[0][0].as_f64().unwrap(), nose[0][1].as_f64().unwrap());
    assert!(x0.abs() < 0.01 && (y0 + 0.06).abs() < 0.01, "{x0} {y0}");
    let r = v["reward_sum"].as_f64().unwrap();
    assert!(r > 0.0 && r < 40.0, "{r}");
    // The same rollout through the library gives the same numbers (to 1 ulp: serde_json's
    // default float parser is not exactly round-trip).
    let mut env = ganglion_envs::swimmer::Swimmer::new(5).unwrap();
    let wave = ganglion_envs::rollout::SineWave::parse("sine:amp=1,period=20,phase=0.9").unwrap();
    let start = ganglion_envs::rollout::Start::Pose {
        joints: vec![],
        heading: 0.0,
        target: [-1.0, 0.5],
    };
    let ep = ganglion_envs::rollout::run_episode(&mut env, &start, 40, &wave).unwrap();
    assert!((ep.reward_sum() - r).abs() < 1e-12 * r);
    assert!((ep.nose_xy[39][1] - nose[39][1].as_f64().unwrap()).abs() < 1e-15);
}

#[test]
fn bench_reports_steps_per_second() {
    if !have_mujoco() {
        return;
    }
    let args = [
        "env",
        "bench",
        "--links",
        "4",
        "--episodes",
        "2",
        "--steps",
        "20",
        "--json",
    ];
    let (ok, out, err) = ganglion(&args, &[]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["env_steps"], 40);
    assert_eq!(v["physics_steps"], 600);
    assert_eq!(v["init"], "random");
    assert!(v["steps_per_second"].as_f64().unwrap() > 0.0);
    let mut zero = args.to_vec();
    zero.extend(["--init", "zero"]);
    let (ok, out, err) = ganglion(&zero, &[]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["init"].as_str(), v["env_steps"].as_u64()),
        (Some("zero"), Some(40))
    );
}

#[test]
fn rollout_writes_trajectory_kymograph_and_frames() {
    if !have_mujoco() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("figs");
    let args = [
        "env",
        "rollout",
        "--links",
        "4",
        "--steps",
        "20",
        "--plot",
        out.to_str().unwrap(),
        "--frames",
        "10",
    ];
    let (ok, _, err) = ganglion(&args, &[]);
    assert!(ok, "{err}");
    for f in [
        "trajectory.svg",
        "trajectory.png",
        "kymograph.svg",
        "frame_0010.svg",
        "frame_0020.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // The body is drawn through the 5 ends of its 4 links, tail included.
    let frame = std::fs::read_to_string(out.join("frame_0010.svg")).unwrap();
    let points = frame
        .split("points=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(points.split_whitespace().count(), 5, "{points}");
    let kymo = std::fs::read_to_string(out.join("kymograph.svg")).unwrap();
    // 20 steps x 3 joints.
    assert_eq!(kymo.matches("<rect x=").count(), 60);
    let (ok, _, err) = ganglion(&["env", "rollout", "--frames", "5"], &[]);
    assert!(!ok && err.contains("--plot"), "{err}");
}
