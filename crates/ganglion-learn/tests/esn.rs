//! Echo state networks: exact spectral radius, determinism across threads and kernels,
//! memory capacity of a linear reservoir, NARMA-10 and Mackey–Glass errors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_learn::esn::fast_tanh;
use ganglion_learn::spectral::{spectral_radius, spectral_radius_dense};
use ganglion_learn::task::states_after_washout;
use ganglion_learn::{
    Activation, BlockedMatrix, DaleSplit, EsnConfig, Kernel, RecurrentWeights, Ridge, metrics,
    tasks,
};

#[test]
fn spectral_radius_is_exact() {
    for (units, density, weights, dale, seed) in [
        (300, 0.1, RecurrentWeights::Normal, None, 1),
        (400, 0.05, RecurrentWeights::Uniform, None, 2),
        (
            300,
            0.2,
            RecurrentWeights::Normal,
            Some(DaleSplit::default()),
            3,
        ),
        (
            300,
            0.1,
            RecurrentWeights::Normal,
            Some(DaleSplit {
                excitatory_fraction: 0.8,
                excitatory_gain: 1.0,
                inhibitory_gain: 2.0,
            }),
            4,
        ),
        (60, 0.3, RecurrentWeights::Normal, None, 5),
        (150, 1.0, RecurrentWeights::Orthogonal, None, 6),
    ] {
        let cfg = EsnConfig {
            units,
            density,
            recurrent_weights: weights,
            dale,
            spectral_radius: Some(0.9),
            ..EsnConfig::default()
        };
        let esn = cfg.build(seed).expect("builds");
        let dense = spectral_radius_dense(esn.recurrent()).expect("eig");
        assert!(
            (dense - 0.9).abs() < 1e-6,
            "{units} units, {weights:?}, dale {dale:?}: ρ = {dense}"
        );
        let raw = esn.raw_spectral_radius();
        assert!(raw > 0.0);
    }
}

#[test]
fn arnoldi_matches_dense_eigenvalues() {
    let esn = EsnConfig {
        units: 500,
        density: 0.1,
        spectral_radius: None,
        ..EsnConfig::default()
    }
    .build(9)
    .expect("builds");
    let a = spectral_radius(esn.recurrent(), 0).expect("arnoldi");
    let d = spectral_radius_dense(esn.recurrent()).expect("dense");
    assert!((a - d).abs() < 5e-7 * d, "arnoldi {a} dense {d}");
}

#[test]
fn dale_signs_follow_presynaptic_unit() {
    let cfg = EsnConfig {
        units: 100,
        density: 0.2,
        dale: Some(DaleSplit::default()),
        ..EsnConfig::default()
    };
    let esn = cfg.build(1).expect("builds");
    let w = esn.recurrent();
    for i in 0..100 {
        let (cols, vals) = w.row(i);
        for (&c, &v) in cols.iter().zip(vals) {
            if c < 80 {
                assert!(v >= 0.0, "excitatory column {c} has {v}");
            } else {
                assert!(v <= 0.0, "inhibitory column {c} has {v}");
            }
        }
    }
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let x = tasks::rescale_to_unit(&tasks::MackeyGlass::default().generate(600).expect("mg"));
    let run = |threads: usize, kernel: Kernel| {
        let mut esn = EsnConfig {
            units: 300,
            threads,
            kernel,
            ..EsnConfig::default()
        }
        .build(4)
        .expect("builds");
        esn.run(&x).expect("runs")
    };
    let a = run(1, Kernel::Auto);
    assert_eq!(a, run(2, Kernel::Auto));
    assert_eq!(a, run(3, Kernel::Auto));
    let c1 = run(1, Kernel::Csr);
    assert_eq!(c1, run(2, Kernel::Csr));
    if BlockedMatrix::available() {
        // Different summation order: equal to rounding.
        let diff = a
            .as_slice()
            .iter()
            .zip(c1.as_slice())
            .map(|(p, q)| (p - q).abs())
            .fold(0.0f64, f64::max);
        assert!(diff < 1e-4, "blocked vs CSR differ by {diff}");
    }
}

#[test]
fn step_matches_run() {
    let cfg = EsnConfig {
        units: 50,
        inputs: 2,
        input_density: 1.0,
        bias_scaling: 0.2,
        ..EsnConfig::default()
    };
    let u: Vec<f64> = (0..40).map(|i| (i as f64 * 0.3).sin()).collect();
    let mut a = cfg.build(3).expect("builds");
    let states = a.run(&u).expect("runs");
    let mut b = cfg.build(3).expect("builds");
    for t in 0..20 {
        let s: Vec<f64> = b
            .step(&u[2 * t..2 * t + 2])
            .expect("steps")
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        assert_eq!(s.as_slice(), states.row(t));
    }
}

#[test]
fn fast_tanh_is_accurate() {
    let mut worst = 0.0f64;
    for i in -200_000..=200_000 {
        let x = i as f32 * 1e-4;
        worst = worst.max((f64::from(fast_tanh(x)) - f64::from(x).tanh()).abs());
    }
    assert!(worst < 5e-7, "max |error| {worst}");
    assert_eq!(fast_tanh(100.0), fast_tanh(8.0));
    assert!(fast_tanh(1e30) <= 1.0 && fast_tanh(-1e30) >= -1.0);
}

#[test]
fn bad_config_names_the_field() {
    let e = EsnConfig {
        leak_rate: 1.5,
        ..EsnConfig::default()
    }
    .build(0)
    .expect_err("invalid");
    let msg = e.to_string();
    assert!(
        msg.contains("leak_rate") && msg.contains("1.5") && msg.contains("hint"),
        "{msg}"
    );
    let e = EsnConfig {
        density: -0.1,
        ..EsnConfig::default()
    }
    .build(0)
    .expect_err("invalid");
    assert!(e.to_string().contains("density"));
}

#[test]
fn linear_reservoir_memory_capacity_approaches_units() {
    // Jaeger (2002): MC ≤ N for N linear units, reached for well-conditioned reservoirs
    // (orthogonal W: White, Lee & Sompolinsky 2004).
    let n = 50;
    let delays = 2 * n;
    let steps = 6000;
    let (u, y) = tasks::memory_capacity_data(steps, delays, 1);
    let cfg = EsnConfig {
        units: n,
        activation: Activation::Identity,
        recurrent_weights: RecurrentWeights::Orthogonal,
        spectral_radius: Some(0.95),
        leak_rate: 1.0,
        input_density: 1.0,
        input_scaling: 0.1,
        ..EsnConfig::default()
    };
    let washout = 200;
    let states = states_after_washout(&cfg, 2, &u, washout).expect("runs");
    let split = 4000;
    let train = states.slice(0..split - washout);
    let test = states.slice(split - washout..steps - washout);
    let r = Ridge::fit(&train, &y[washout * delays..split * delays], 1e-10).expect("fit");
    let pred = r.predict(&test);
    let (mc, curve) = metrics::memory_capacity(&pred, &y[split * delays..], delays);
    println!(
        "MC = {mc:.2} of {n}; r² at k=1,25,50,60: {:.3} {:.3} {:.3} {:.3}",
        curve[0], curve[24], curve[49], curve[59]
    );
    assert!(mc > 0.9 * n as f64 && mc <= n as f64 + 2.0, "MC {mc}");
}

#[test]
fn narma10_error_in_literature_range() {
    let n = 200;
    let steps = 6000;
    let (u, y) = tasks::narma10(steps, 3).expect("narma");
    let cfg = EsnConfig {
        units: n,
        leak_rate: 1.0,
        input_scaling: 0.2,
        input_density: 1.0,
        spectral_radius: Some(0.9),
        ..EsnConfig::default()
    };
    let washout = 200;
    let states = states_after_washout(&cfg, 5, &u, washout).expect("runs");
    let split = 4800;
    let r = Ridge::fit(&states.slice(0..split - washout), &y[washout..split], 1e-8).expect("fit");
    let e = metrics::nrmse(
        &r.predict(&states.slice(split - washout..steps - washout)),
        &y[split..],
    );
    println!("NARMA-10 NRMSE {e:.3} (N = {n})");
    assert!(e > 0.05 && e < 0.5, "NRMSE {e}");
}

#[test]
fn mackey_glass_one_step_error_small() {
    let x = tasks::rescale_to_unit(&tasks::MackeyGlass::default().generate(3001).expect("mg"));
    let cfg = EsnConfig {
        units: 200,
        ..EsnConfig::default()
    };
    let states = states_after_washout(&cfg, 1, &x[..3000], 100).expect("runs");
    let r = Ridge::fit(&states.slice(0..2300), &x[101..2401], 1e-6).expect("fit");
    let e = metrics::nrmse(&r.predict(&states.slice(2300..2900)), &x[2401..3001]);
    println!("Mackey-Glass one-step NRMSE {e:.2e} (N = 200)");
    assert!(e < 1e-2, "NRMSE {e}");
}
