use super::*;
use crate::testing::Rng;

fn ring_net(n: usize, excitation: f64) -> (Ring, GainNetwork) {
    let ring = Ring {
        n,
        kappa: 2.0,
        baseline: 0.05,
    };
    let net = GainNetwork::new(n, ring_weights(n, excitation, 3.0, 0.1)).unwrap();
    (ring, net)
}

#[test]
fn gradient_matches_finite_differences() {
    let (ring, net) = ring_net(12, 0.7);
    let mu = Ensemble::biased(24, 3, 0.3)
        .unwrap()
        .mean_drive(&ring)
        .unwrap();
    let mut rng = Rng(7);
    let g: Vec<f64> = (0..12).map(|_| 0.5 + 0.5 * rng.uniform()).collect();
    let o = net.objective(&g, &mu, 0.8).unwrap();
    for i in 0..12 {
        let h = 1e-6 * g[i];
        let (mut up, mut dn) = (g.clone(), g.clone());
        up[i] += h;
        dn[i] -= h;
        let fd = (net.objective(&up, &mu, 0.8).unwrap().value
            - net.objective(&dn, &mu, 0.8).unwrap().value)
            / (2.0 * h);
        assert!(
            (fd - o.gradient[i]).abs() < 1e-6 * (1.0 + fd.abs()),
            "{i}: {fd} vs {}",
            o.gradient[i]
        );
    }
}

#[test]
fn objective_is_minus_log_det_transfer_plus_cost() {
    // Hand check on 2 neurons: W = [[0, w], [w, 0]], A = (I − GW)⁻¹G,
    // det A = g1 g2 / (1 − g1 g2 w²), r̄ = A μ.
    let (w, g1, g2, m1, m2, lam) = (0.4, 0.7, 1.3, 0.5, 2.0, 0.3);
    let net = GainNetwork::new(2, vec![0.0, w, w, 0.0]).unwrap();
    let o = net.objective(&[g1, g2], &[m1, m2], lam).unwrap();
    let d = 1.0 - g1 * g2 * w * w;
    let r1 = (g1 * m1 + g1 * w * g2 * m2) / d;
    let r2 = (g2 * m2 + g2 * w * g1 * m1) / d;
    let want = -(g1 * g2 / d).ln() + lam * (r1 + r2);
    assert!((o.value - want).abs() < 1e-12, "{} vs {want}", o.value);
    assert!((o.mean_rates[0] - r1).abs() < 1e-12 && (o.mean_rates[1] - r2).abs() < 1e-12);
}

#[test]
fn feedforward_optimum_is_closed_form_homeostasis() {
    // W = 0: g_i = 1/(λ μ_i), every mean rate 1/λ.
    let n = 8;
    let net = GainNetwork::new(n, vec![0.0; n * n]).unwrap();
    let mu: Vec<f64> = (0..n).map(|i| 0.2 + 0.3 * i as f64).collect();
    let opt = net
        .optimise(
            &mu,
            2.0,
            &OptimiseOptions {
                initial: Some(vec![1.0; n]),
                ..OptimiseOptions::default()
            },
        )
        .unwrap();
    assert!(opt.converged, "{}", opt.gradient_norm);
    for (g, m) in opt.gains.iter().zip(&mu) {
        assert!((g * 2.0 * m - 1.0).abs() < 1e-9, "{g} {m}");
    }
    assert!(
        opt.objective
            .mean_rates
            .iter()
            .all(|r| (r - 0.5).abs() < 1e-9)
    );
}

#[test]
fn optimum_is_stationary_and_lower_than_perturbations() {
    let (ring, net) = ring_net(16, 0.8);
    let mu = Ensemble::biased(32, 0, 0.3)
        .unwrap()
        .mean_drive(&ring)
        .unwrap();
    let opt = net.optimise(&mu, 1.0, &OptimiseOptions::default()).unwrap();
    assert!(opt.converged, "gradient {}", opt.gradient_norm);
    let mut rng = Rng(3);
    for _ in 0..20 {
        let g: Vec<f64> = opt
            .gains
            .iter()
            .map(|g| g * (1.0 + 0.02 * (rng.uniform() - 0.5)))
            .collect();
        assert!(net.objective(&g, &mu, 1.0).unwrap().value > opt.objective.value);
    }
}

#[test]
fn steady_state_is_where_the_dynamics_settle() {
    let (ring, net) = ring_net(10, 0.8);
    let g: Vec<f64> = (0..10).map(|i| 0.6 + 0.04 * i as f64).collect();
    let h = ring.drive(0.3);
    let fixed = net.steady_state(&g, &h).unwrap();
    let sim = net.simulate(&g, &h, 0.05, 4000).unwrap();
    for (a, b) in fixed.iter().zip(&sim) {
        assert!((a - b).abs() < 1e-10, "{a} vs {b}");
    }
}

#[test]
fn gains_cannot_shift_a_feedforward_tuning_curve() {
    let ring = Ring {
        n: 8,
        kappa: 2.0,
        baseline: 0.05,
    };
    let net = GainNetwork::new(8, vec![0.0; 64]).unwrap();
    let grid: Vec<f64> = (0..90).map(|k| k as f64 * PI / 90.0).collect();
    let a = net
        .transfer(&[0.3, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 5.0])
        .unwrap();
    let t = tuning_curves(&a, &ring, &grid);
    for i in 0..8 {
        let curve: Vec<f64> = (0..90).map(|k| t[k * 8 + i]).collect();
        let d = wrap_orientation(vector_mean_preference(&curve, &grid) - ring.preferred(i));
        assert!(d.abs() < 1e-12, "{i}: {d}");
        assert!(wrap_orientation(parabolic_peak(&curve) - ring.preferred(i)).abs() < 1e-3);
    }
}

#[test]
fn moments_match_direct_sums() {
    let (ring, net) = ring_net(6, 0.5);
    let e = Ensemble::biased(12, 2, 0.4).unwrap();
    let a = net.transfer(&[0.9; 6]).unwrap();
    let (mean, cov) = response_moments(&a, &ring, &e).unwrap();
    let rs: Vec<Vec<f64>> = e
        .stimuli
        .iter()
        .map(|&s| mat_vec(&a, &ring.drive(s), 6))
        .collect();
    for i in 0..6 {
        let m: f64 = rs.iter().zip(&e.probabilities).map(|(r, p)| p * r[i]).sum();
        assert!((m - mean[i]).abs() < 1e-12);
        for j in 0..6 {
            let mj: f64 = rs.iter().zip(&e.probabilities).map(|(r, p)| p * r[j]).sum();
            let c: f64 = rs
                .iter()
                .zip(&e.probabilities)
                .map(|(r, p)| p * (r[i] - m) * (r[j] - mj))
                .sum();
            assert!((c - cov[i * 6 + j]).abs() < 1e-12);
        }
    }
    let corr = correlations(&cov, 6);
    assert!((corr[0] - 1.0).abs() < 1e-12 && corr.iter().all(|c| c.abs() <= 1.0 + 1e-12));
}

#[test]
fn bad_input_is_named() {
    assert!(matches!(
        GainNetwork::new(2, vec![0.0, 1.0, 0.5, 0.0]),
        Err(GainError::Asymmetric { .. })
    ));
    assert!(matches!(
        GainNetwork::new(2, vec![0.0; 3]),
        Err(GainError::Shape { .. })
    ));
    let net = GainNetwork::new(2, vec![0.0, 1.0, 1.0, 0.0]).unwrap();
    let e = net.transfer(&[2.0, 2.0]).unwrap_err();
    assert!(matches!(e, GainError::Unstable { .. }) && e.to_string().contains("unstable"));
    assert!(matches!(
        net.transfer(&[0.0, 1.0]),
        Err(GainError::Invalid { what: "gains", .. })
    ));
    assert!(Ensemble::biased(4, 4, 0.1).is_err() && Ensemble::biased(4, 0, 1.5).is_err());
}
