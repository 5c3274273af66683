//! Readouts: ridge against known solutions, cross-validation, RLS = batch least squares,
//! FORCE on a sum of sines, the three-factor online readout.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report
#![allow(clippy::needless_range_loop)] // index-heavy numerics read clearer with indices

use ganglion_learn::readout::default_alpha_grid;
use ganglion_learn::{ForceConfig, Ridge, Rls, States, ThreeFactorReadout, metrics, rng, tasks};

/// Random features (T × N) and targets y = X w + c (+ noise), K outputs.
fn linear_data(
    t: usize,
    n: usize,
    k: usize,
    noise: f64,
    seed: u64,
) -> (States, Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut r = rng::stream(seed, 0);
    let x: Vec<f64> = (0..t * n)
        .map(|_| rng::uniform(&mut r) * 2.0 - 1.0)
        .collect();
    let w: Vec<f64> = (0..k * n).map(|_| rng::normal(&mut r)).collect();
    let c: Vec<f64> = (0..k).map(|o| o as f64 - 0.5).collect();
    let mut y = vec![0.0; t * k];
    for s in 0..t {
        for o in 0..k {
            y[s * k + o] = c[o]
                + (0..n).map(|i| w[o * n + i] * x[s * n + i]).sum::<f64>()
                + noise * rng::normal(&mut r);
        }
    }
    (States::from_vec(t, n, x).expect("shape"), y, w, c)
}

#[test]
fn ridge_recovers_exact_linear_map() {
    let (s, y, w, c) = linear_data(700, 30, 2, 0.0, 1);
    let r = Ridge::fit(&s, &y, 0.0).expect("fit");
    for (a, b) in r.weights.iter().zip(&w) {
        assert!((a - b).abs() < 1e-8, "{a} vs {b}");
    }
    for (a, b) in r.bias.iter().zip(&c) {
        assert!((a - b).abs() < 1e-8);
    }
}

#[test]
fn ridge_matches_closed_form_with_penalty() {
    // One feature: w = Σ(x−x̄)(y−ȳ) / (Σ(x−x̄)² + α), c = ȳ − w x̄.
    let x = [0.1f64, 0.5, -0.3, 0.8, 0.2];
    let y = [1.0, 2.0, 0.0, 3.0, 1.5];
    let s = States::from_vec(5, 1, x.to_vec()).expect("shape");
    let alpha = 0.7;
    let r = Ridge::fit(&s, &y, alpha).expect("fit");
    let xf = x.to_vec();
    let mx = xf.iter().sum::<f64>() / 5.0;
    let my = y.iter().sum::<f64>() / 5.0;
    let sxy: f64 = xf.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = xf.iter().map(|a| (a - mx) * (a - mx)).sum();
    let w = sxy / (sxx + alpha);
    assert!((r.weights[0] - w).abs() < 1e-12 && (r.bias[0] - (my - w * mx)).abs() < 1e-12);
    let e = Ridge::fit(&s, &y[..4], 1.0).expect_err("shape");
    assert!(e.to_string().contains("targets"));
}

#[test]
fn cross_validation_picks_sensible_alpha() {
    // Noise-free: the smallest α wins. Few noisy samples, many features: a large α wins.
    let (s, y, _, _) = linear_data(600, 20, 1, 0.0, 2);
    let (_, cv) = Ridge::fit_cv(&s, &y, &default_alpha_grid(), 5).expect("cv");
    assert!(cv.best_alpha <= 1e-6, "noise-free picked {}", cv.best_alpha);
    let (s, mut y, _, _) = linear_data(120, 60, 1, 0.0, 3);
    let mut r = rng::stream(4, 0);
    y.iter_mut()
        .for_each(|v| *v = 0.05 * *v + 3.0 * rng::normal(&mut r)); // signal ≪ noise
    let (_, cv) = Ridge::fit_cv(&s, &y, &default_alpha_grid(), 5).expect("cv");
    assert!(
        cv.best_alpha >= 1.0,
        "noisy picked {} ({:?})",
        cv.best_alpha,
        cv.mse
    );
}

#[test]
fn rls_converges_to_batch_least_squares() {
    let (s, y, _, _) = linear_data(400, 10, 1, 0.1, 5);
    let mut rls = Rls::new(11, 1, 1e-6, 1.0).expect("valid");
    for t in 0..400 {
        let mut x: Vec<f64> = s.row(t).to_vec();
        x.push(1.0); // bias as a constant feature
        rls.step(&x, &[y[t]]);
    }
    let batch = Ridge::fit(&s, &y, 0.0).expect("fit");
    for i in 0..10 {
        assert!(
            (rls.weights()[i] - batch.weights[i]).abs() < 1e-4,
            "w[{i}] {} vs {}",
            rls.weights()[i],
            batch.weights[i]
        );
    }
    assert!((rls.weights()[10] - batch.bias[0]).abs() < 1e-4);
}

#[test]
fn force_learns_sum_of_sines_and_keeps_it() {
    // Sussillo & Abbott (2009), Fig. 2, at N = 500 to keep the test fast (N = 300 learns
    // but does not hold the pattern after learning stops).
    let cfg = ForceConfig {
        units: 500,
        ..ForceConfig::default()
    };
    let mut net = cfg.build(1).expect("builds");
    let dt = cfg.dt;
    let train_steps = 12_000; // 1200 τ = 10 periods of the slowest component (120 τ)
    let test_steps = 2400; // two periods after learning stops
    let f = tasks::sum_of_sines(train_steps + test_steps, dt);
    let before = net.clone().run(1200).expect("runs");
    let chaotic_err = metrics::nrmse(&before, &f[..1200]);
    let z_train = net.train(&f[..train_steps]).expect("trains");
    let z_test = net.run(test_steps).expect("runs");
    let train_err = metrics::nrmse(
        &z_train[train_steps - 1200..],
        &f[train_steps - 1200..train_steps],
    );
    let test_err = metrics::nrmse(&z_test, &f[train_steps..]);
    println!(
        "FORCE NRMSE: untrained {chaotic_err:.3}, end of training {train_err:.4}, after learning stops {test_err:.4}"
    );
    assert!(chaotic_err > 0.5);
    assert!(train_err < 0.05, "training error {train_err}");
    assert!(test_err < 0.1, "post-training error {test_err}");
}

#[test]
fn three_factor_readout_learns_online() {
    let (s, y, _, _) = linear_data(6000, 20, 1, 0.0, 6);
    let mut ro = ThreeFactorReadout::new(20, 1, 0.5, 0.0, true).expect("valid");
    let mut errs = Vec::new();
    for t in 0..6000 {
        let x: Vec<f64> = s.row(t).to_vec();
        let out = ro.step(&x, &[y[t]], 1.0);
        errs.push((out[0] - y[t]).powi(2));
    }
    let early = errs[..200].iter().sum::<f64>() / 200.0;
    let late = errs[5800..].iter().sum::<f64>() / 200.0;
    assert!(late < 1e-3 * early, "MSE early {early}, late {late}");
    // A closed gate freezes learning.
    let w = ro.weights().to_vec();
    let x = vec![0.5; 20];
    ro.step(&x, &[100.0], 0.0);
    assert_eq!(ro.weights(), w.as_slice());
}
