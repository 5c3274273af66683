//! Task generators, data loading, metrics and the `ganglion reservoir` runner.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_learn::npy::{read_npy_f64, write_npy_f64};
use ganglion_learn::task::{PredictionMode, ReservoirTaskArgs, Task, run_reservoir_task};
use ganglion_learn::{metrics, tasks};

#[test]
fn mackey_glass_matches_the_benchmark_port() {
    // Values printed by bench/reservoirpy_mg.py's `mackey_glass` (the Python port the
    // reservoirpy side of the benchmark uses), so both tools see the same series.
    let want = [
        (0, 1.2),
        (1, 1.1175622107750187),
        (17, 0.4919720967329632),
        (100, 1.0137275309251268),
        (500, 1.063751978498454),
        (1000, 0.9464266566011424),
        (3000, 0.5273705973355302),
    ];
    let x = tasks::MackeyGlass::default().generate(3001).expect("mg");
    for (i, v) in want {
        assert!((x[i] - v).abs() < 1e-9, "x[{i}] = {} want {v}", x[i]);
    }
}

#[test]
fn mackey_glass_converges_with_substeps() {
    // Halving the step changes the series by far less than its range over 300 time units,
    // and the change shrinks as the step does (second order in the delayed term).
    let series = |substeps| {
        tasks::MackeyGlass {
            substeps,
            ..Default::default()
        }
        .generate(300)
        .expect("mg")
    };
    let diff = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max)
    };
    let (a, b, c) = (series(10), series(20), series(40));
    let (d1, d2) = (diff(&a, &b), diff(&b, &c));
    assert!(d1 < 1e-3 && d2 < d1 / 3.0, "differences {d1}, {d2}");
    // Chaotic regime: values span roughly [0.4, 1.35] (Mackey & Glass 1977, τ = 17).
    let long = tasks::MackeyGlass::default().generate(5000).expect("mg");
    let (lo, hi) = long[500..]
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    assert!(
        lo > 0.3 && lo < 0.5 && hi > 1.2 && hi < 1.45,
        "range [{lo}, {hi}]"
    );
}

#[test]
fn narma10_follows_its_recursion() {
    let (u, y) = tasks::narma10(500, 1).expect("narma");
    assert!(u.iter().all(|&v| (0.0..0.5).contains(&v)));
    // y[t] = y(t+1) = 0.3 y(t) + 0.05 y(t) Σ_{i<10} y(t−i) + 1.5 u(t−9) u(t) + 0.1
    for t in 20..500 {
        let yt = y[t - 1];
        let s: f64 = (1..=10).map(|i| y[t - i]).sum();
        let want = 0.3 * yt + 0.05 * yt * s + 1.5 * u[t - 9] * u[t] + 0.1;
        assert!((y[t] - want).abs() < 1e-12);
    }
}

#[test]
fn lorenz_stays_on_the_attractor() {
    let s = tasks::Lorenz::default().generate(2000).expect("lorenz");
    for p in &s {
        assert!(
            p[0].abs() < 25.0 && p[1].abs() < 35.0 && p[2] > 0.0 && p[2] < 55.0,
            "{p:?}"
        );
    }
    // Both wings are visited.
    assert!(s.iter().any(|p| p[0] > 5.0) && s.iter().any(|p| p[0] < -5.0));
}

#[test]
fn metrics_on_known_values() {
    let t = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(metrics::nrmse(&t, &t), 0.0);
    let mean = [2.5; 4];
    assert!((metrics::nrmse(&mean, &t) - 1.0).abs() < 1e-12);
    assert!((metrics::r_squared(&t, &[2.0, 4.0, 6.0, 8.0]) - 1.0).abs() < 1e-12);
}

#[test]
fn npy_round_trip_and_santafe_fixture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("series.npy");
    let data: Vec<f64> = (0..3000)
        .map(|i| ((i as f64 * 0.37).sin() * 100.0 + 128.0).round())
        .collect();
    write_npy_f64(&path, &data).expect("write");
    let (back, shape) = read_npy_f64(&path).expect("read");
    assert_eq!(shape, vec![3000]);
    assert_eq!(back, data);
    assert_eq!(tasks::load_santafe(&path).expect("load"), data);
    let missing = tasks::load_santafe(&dir.path().join("nope.npy")).expect_err("missing");
    assert!(missing.to_string().contains("fetch-data.sh"), "{missing}");

    // int64 (n, 1) like reservoirpy's santafe_laser.npy.
    let mut raw = b"\x93NUMPY\x01\x00".to_vec();
    let mut header = "{'descr': '<i8', 'fortran_order': False, 'shape': (4, 1), }".to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    raw.extend_from_slice(&(header.len() as u16).to_le_bytes());
    raw.extend_from_slice(header.as_bytes());
    for v in [86i64, 141, 95, 41] {
        raw.extend_from_slice(&v.to_le_bytes());
    }
    let p2 = dir.path().join("int.npy");
    std::fs::write(&p2, raw).expect("write");
    let (v, shape) = read_npy_f64(&p2).expect("read");
    assert_eq!((v, shape), (vec![86.0, 141.0, 95.0, 41.0], vec![4, 1]));
}

#[test]
fn args_parse_like_the_cli() {
    let a = ReservoirTaskArgs::from_args(&[
        "--task",
        "mackey-glass",
        "--size",
        "1000",
        "--density",
        "0.1",
        "--spectral-radius",
        "0.9",
        "--steps",
        "10000",
        "--seed",
        "3",
        "--json",
    ])
    .expect("parses");
    assert_eq!(
        (a.task, a.size, a.steps, a.seed),
        (Task::MackeyGlass, 1000, 10_000, 3)
    );
    assert_eq!(a.ridge, Some(1e-6));
    let b = ReservoirTaskArgs::from_pairs([
        ("task", "narma10"),
        ("ridge", "cv"),
        ("mode", "teacher-forced"),
    ])
    .expect("parses");
    assert_eq!((b.task, b.ridge), (Task::Narma10, None));
    let e = ReservoirTaskArgs::from_args(&["--task", "narma30"]).expect_err("unknown");
    assert!(e.to_string().contains("mackey-glass"), "{e}");
    let e = ReservoirTaskArgs::from_args(&["--size", "big"]).expect_err("bad number");
    assert!(e.to_string().contains("size"), "{e}");
}

#[test]
fn runner_reports_each_task() {
    let small = |task: &str| {
        ReservoirTaskArgs::from_pairs([("task", task), ("size", "120"), ("steps", "2500")])
            .expect("parses")
    };
    let mg = run_reservoir_task(&small("mackey-glass")).expect("runs");
    assert!(mg.nrmse.expect("nrmse") < 0.02, "{}", mg.summary());
    let json: serde_json::Value = serde_json::from_str(&mg.to_json()).expect("json");
    for key in ["nrmse", "fit_s", "predict_s"] {
        assert!(json[key].is_number(), "{key} missing in {json}");
    }
    let narma = run_reservoir_task(&small("narma10")).expect("runs");
    assert!(narma.nrmse.expect("nrmse") < 0.7, "{}", narma.summary());
    let lorenz = run_reservoir_task(&small("lorenz")).expect("runs");
    assert!(lorenz.nrmse.expect("nrmse") < 0.05, "{}", lorenz.summary());
    let mc = run_reservoir_task(
        &ReservoirTaskArgs::from_pairs([
            ("task", "memory-capacity"),
            ("size", "40"),
            ("steps", "3000"),
            ("spectral-radius", "0.95"),
            ("weights", "orthogonal"),
            ("ridge", "1e-10"),
        ])
        .expect("parses"),
    )
    .expect("runs");
    let cap = mc.memory_capacity.expect("mc");
    assert!(cap > 34.0 && cap < 42.0, "{}", mc.summary());

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("santafe_laser.npy");
    // A laser-like fixture: chaotic logistic-map pulses scaled to 0..255.
    let mut z = 0.3f64;
    let data: Vec<f64> = (0..2600)
        .map(|_| {
            z = 3.9 * z * (1.0 - z);
            (z * 255.0).round()
        })
        .collect();
    write_npy_f64(&path, &data).expect("write");
    let mut sf = small("santafe");
    sf.data = Some(path);
    let r = run_reservoir_task(&sf).expect("runs");
    assert!(r.nrmse.expect("nrmse") < 0.5, "{}", r.summary());
    assert!(
        run_reservoir_task(&small("santafe"))
            .expect_err("needs data")
            .to_string()
            .contains("--data")
    );

    let mut generative = small("mackey-glass");
    generative.mode = PredictionMode::Generative;
    generative.horizon = 50;
    let g = run_reservoir_task(&generative).expect("runs");
    assert_eq!(g.test_steps, 50);
    assert!(g.nrmse.expect("nrmse") < 0.2, "{}", g.summary());

    let mut cv = small("mackey-glass");
    cv.ridge = None;
    let c = run_reservoir_task(&cv).expect("runs");
    assert!(
        c.alpha > 0.0 && c.nrmse.expect("nrmse") < 0.05,
        "{}",
        c.summary()
    );
}
