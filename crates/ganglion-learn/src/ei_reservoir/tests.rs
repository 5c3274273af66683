use super::*;
use crate::{Ridge, metrics, tasks};

fn noise(len: usize, seed: u64) -> Vec<f64> {
    tasks::memory_capacity_data(len, 1, seed).0
}

#[test]
fn wiring_fixed_in_degree_and_per_row_balance() {
    let cfg = EiReservoirConfig {
        units: 50,
        connectivity: 0.2,
        ..EiReservoirConfig::default()
    };
    let res = cfg.build(3).unwrap();
    let (n, ne) = (50, 40);
    assert_eq!(res.excitatory(), ne);
    let w = res.effective_weights();
    for i in 0..n {
        let row = &w[i * n..(i + 1) * n];
        // K_E = round(0.2 · 40) = 8 E inputs, K_I = round(0.2 · 10) = 2 I inputs.
        assert_eq!(row[..ne].iter().filter(|&&v| v > 0.0).count(), 8, "row {i}");
        assert_eq!(row[ne..].iter().filter(|&&v| v < 0.0).count(), 2, "row {i}");
        // g = 1: inhibition equals excitation in every row, so rows sum to zero.
        let (e, s): (f64, f64) = (row[..ne].iter().sum(), row.iter().sum());
        assert!(s.abs() < 1e-12 * e, "row {i}: sum {s}, excitation {e}");
    }
    let again = cfg.build(3).unwrap();
    assert_eq!(again.effective_weights(), w);
    assert_ne!(cfg.build(4).unwrap().effective_weights(), w);
}

#[test]
fn step_matches_dense_hand_computation() {
    let cfg = EiReservoirConfig {
        units: 12,
        inputs: 2,
        connectivity: 0.5,
        leak_rate: 0.4,
        bias: 0.1,
        bias_spread: 0.3,
        input_density: 0.7,
        ..EiReservoirConfig::default()
    };
    let mut res = cfg.build(1).unwrap();
    let g: Vec<f64> = (0..12).map(|i| 0.5 + 0.1 * i as f64).collect();
    res.set_gains(&g).unwrap();
    let r0: Vec<f64> = (0..12).map(|i| 0.05 * i as f64).collect();
    res.set_state(&r0).unwrap();
    let u = [0.3, -0.7];
    let n = 12;
    // Dense W with signs and gains written out from the magnitudes: W⁺ for E columns,
    // −g_i W⁻ for I columns.
    let mut expect = vec![0.0; n];
    for (i, e) in expect.iter_mut().enumerate() {
        let mut z = res.bias()[i];
        for p in res.row_ptr[i]..res.row_ptr[i + 1] {
            let j = res.col[p] as usize;
            let sign = if j < res.excitatory() { 1.0 } else { -g[i] };
            z += sign * res.val[p] * r0[j];
        }
        z += res.input_weights()[2 * i] * u[0] + res.input_weights()[2 * i + 1] * u[1];
        *e = 0.6 * r0[i] + 0.4 / (1.0 + (-z).exp());
    }
    let got = res.step(&u).unwrap().to_vec();
    for i in 0..n {
        assert!((got[i] - expect[i]).abs() < 1e-14, "unit {i}");
    }
    // The same through effective_weights().
    let w = {
        let mut r = cfg.build(1).unwrap();
        r.set_gains(&g).unwrap();
        r.effective_weights()
    };
    for i in 0..n {
        let z: f64 = (0..n).map(|j| w[i * n + j] * r0[j]).sum::<f64>()
            + res.bias()[i]
            + res.input_weights()[2 * i] * u[0]
            + res.input_weights()[2 * i + 1] * u[1];
        assert!((got[i] - (0.6 * r0[i] + 0.4 * sigmoid(z))).abs() < 1e-14);
    }
}

#[test]
fn homeostasis_drives_each_unit_to_its_own_target() {
    let cfg = EiReservoirConfig {
        units: 40,
        connectivity: 0.5,
        weight_scale: 1.0,
        input_scaling: 0.5,
        homeostasis: Some(Homeostasis {
            learning_rate: 0.005,
            target_low: 0.2,
            target_high: 0.5,
            per_neuron: true,
        }),
        ..EiReservoirConfig::default()
    };
    let mut res = cfg.build(11).unwrap();
    let targets = res.targets().to_vec();
    assert!(targets.iter().all(|&t| (0.2..=0.5).contains(&t)));
    let spread =
        targets.iter().cloned().fold(0.0, f64::max) - targets.iter().cloned().fold(1.0, f64::min);
    assert!(spread > 0.2, "targets are heterogeneous");
    let before = res.run(&noise(2000, 1)).unwrap();
    let mean_rate =
        |s: &States, i: usize| (0..s.steps()).map(|t| s.row(t)[i]).sum::<f64>() / s.steps() as f64;
    let err_before: f64 = (0..40)
        .map(|i| (mean_rate(&before, i) - targets[i]).abs())
        .fold(0.0, f64::max);
    let trace = res.adapt(&noise(30_000, 2)).unwrap();
    assert_eq!(trace.mean_rate.len(), 30_000);
    // Frozen gains, fresh input: every unit's time-averaged rate sits at its own target.
    let after = res.run(&noise(4000, 3)).unwrap();
    for (i, &target) in targets.iter().enumerate() {
        let m = mean_rate(&after, i);
        assert!(
            (m - target).abs() < 0.02,
            "unit {i}: mean rate {m:.4}, target {target:.4} (max error before {err_before:.3})"
        );
    }
    assert!(err_before > 0.1, "the test starts away from the targets");
    let g = res.gains();
    assert!(g.iter().all(|&v| v > 0.0) && g.iter().any(|&v| v != g[0]));
}

#[test]
fn dale_signs_hold_after_every_update() {
    // High targets push many gains to the clip at 0; a large rate makes updates coarse.
    let cfg = EiReservoirConfig {
        units: 30,
        connectivity: 0.3,
        inhibitory_gain: 0.3,
        homeostasis: Some(Homeostasis {
            learning_rate: 0.2,
            target_low: 0.3,
            target_high: 0.95,
            per_neuron: true,
        }),
        ..EiReservoirConfig::default()
    };
    let mut res = cfg.build(5).unwrap();
    let ne = res.excitatory();
    let u = noise(400, 9);
    let mut clipped = 0;
    for t in 0..u.len() {
        res.adapt(&u[t..t + 1]).unwrap();
        assert!(res.gains().iter().all(|&g| g >= 0.0), "step {t}");
        let w = res.effective_weights();
        for (k, &v) in w.iter().enumerate() {
            let j = k % 30;
            assert!(
                if j < ne { v >= 0.0 } else { v <= 0.0 },
                "step {t}: W[{}][{j}] = {v}",
                k / 30
            );
        }
        clipped += res.gains().iter().filter(|&&g| g == 0.0).count();
    }
    assert!(clipped > 0, "the clip at g = 0 was exercised");
}

#[test]
fn linear_reservoir_memory_capacity_reaches_its_bound() {
    // Jaeger (2002): for i.i.d. input the linear memory capacity of N units is at most N, and
    // a linear reservoir with a generic W reaches N up to conditioning and finite data.
    let n = 20;
    let mut cfg = EiReservoirConfig {
        units: n,
        connectivity: 0.5,
        weight_scale: 1.0,
        transfer: Transfer::Linear,
        input_scaling: 1.0,
        ..EiReservoirConfig::default()
    };
    let rho = cfg.build(2).unwrap().spectral_radius().unwrap();
    cfg.weight_scale = 0.95 / rho;
    let mut res = cfg.build(2).unwrap();
    assert!((res.spectral_radius().unwrap() - 0.95).abs() < 1e-5);
    let delays = 60;
    let (u, y) = tasks::memory_capacity_data(12_200, delays, 4);
    let states = res.run(&u).unwrap();
    // 200 steps of washout, 8000 to train, 4000 held out to measure r².
    let (tr, te) = (200..8200, 8200..12_200);
    let fit = Ridge::fit(
        &states.slice(tr.clone()),
        &y[tr.start * delays..tr.end * delays],
        1e-9,
    )
    .unwrap();
    let pred = fit.predict(&states.slice(te.clone()));
    let (mc, curve) = metrics::memory_capacity(&pred, &y[te.start * delays..], delays);
    assert!(mc <= n as f64 + 0.1, "MC {mc} > N = {n}");
    assert!(mc > 0.85 * n as f64, "MC {mc} (curve {curve:?})");
    // The forgetting curve starts near 1.
    assert!(curve[0] > 0.99);
}

#[test]
fn bad_configuration_names_the_field() {
    let bad = |c: EiReservoirConfig, field: &str| {
        let e = c.build(0).unwrap_err().to_string();
        assert!(e.contains(field), "{e}");
    };
    bad(
        EiReservoirConfig {
            excitatory_fraction: 1.0,
            ..EiReservoirConfig::default()
        },
        "excitatory_fraction",
    );
    bad(
        EiReservoirConfig {
            inhibitory_gain: -1.0,
            ..EiReservoirConfig::default()
        },
        "inhibitory_gain",
    );
    bad(
        EiReservoirConfig {
            connectivity: 0.0,
            ..EiReservoirConfig::default()
        },
        "connectivity",
    );
    bad(
        EiReservoirConfig {
            homeostasis: Some(Homeostasis {
                target_low: 0.5,
                target_high: 0.2,
                ..Homeostasis::default()
            }),
            ..EiReservoirConfig::default()
        },
        "target_high",
    );
    let mut res = EiReservoirConfig::default().build(0).unwrap();
    let e = res.adapt(&[0.0; 3]).unwrap_err().to_string();
    assert!(e.contains("homeostasis"), "{e}");
    let mut g = vec![1.0; 200];
    g[7] = -0.1;
    let e = res.set_gains(&g).unwrap_err().to_string();
    assert!(e.contains("gains[7]") && e.contains("Dale"), "{e}");
    assert!(res.step(&[0.0, 1.0]).is_err());
}

#[test]
fn linear_divergence_is_reported() {
    let mut res = EiReservoirConfig {
        units: 20,
        connectivity: 0.5,
        weight_scale: 50.0,
        inhibitory_gain: 0.0,
        transfer: Transfer::Linear,
        ..EiReservoirConfig::default()
    }
    .build(1)
    .unwrap();
    let e = res.run(&vec![1.0; 2000]).unwrap_err();
    assert!(matches!(e, LearnError::Diverged { .. }), "{e}");
}

#[test]
fn global_rule_keeps_one_gain_and_hits_the_mean_target() {
    let h = Homeostasis {
        learning_rate: 0.005,
        target_low: 0.2,
        target_high: 0.5,
        per_neuron: false,
    };
    let mut res = EiReservoirConfig {
        units: 40,
        connectivity: 0.5,
        weight_scale: 1.0,
        input_scaling: 0.5,
        homeostasis: Some(h),
        ..EiReservoirConfig::default()
    }
    .build(11)
    .unwrap();
    let trace = res.adapt(&noise(20_000, 2)).unwrap();
    let g = res.gains();
    assert!(g.iter().all(|&v| v == g[0]), "one shared gain");
    assert!((trace.mean_gain[19_999] - g[0]).abs() < 1e-12);
    let mean_target = res.targets().iter().sum::<f64>() / 40.0;
    let after = res.run(&noise(4000, 3)).unwrap();
    let mean_rate = after.as_slice().iter().sum::<f64>() / after.as_slice().len() as f64;
    assert!(
        (mean_rate - mean_target).abs() < 0.01,
        "population rate {mean_rate}, mean target {mean_target}"
    );
}
