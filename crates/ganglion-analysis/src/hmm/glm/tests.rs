use super::fit::ln_evidence_ratio;
use super::*;
use crate::assignment::match_labels;
use crate::special::ln_normal_cdf;
use crate::testing::Rng;

/// A planted K-state model with distinct weight matrices.
fn planted(k: usize, n: usize, emission: Emission, seed: u64) -> HmmGlm {
    let mut rng = Rng(seed);
    let weights = (0..k * n * n)
        .map(|_| {
            let u = rng.uniform();
            if u < 0.3 {
                -1.0 - rng.uniform()
            } else if u < 0.6 {
                1.0 + rng.uniform()
            } else {
                0.0
            }
        })
        .collect();
    let base = match emission {
        Emission::Bernoulli => -1.0,
        Emission::Poisson => -1.5,
    };
    let mut transition = vec![0.01 / (k - 1) as f64; k * k];
    for s in 0..k {
        transition[s * k + s] = 0.99;
    }
    HmmGlm {
        states: k,
        neurons: n,
        emission,
        weights,
        bias: vec![base; k * n],
        initial: vec![1.0 / k as f64; k],
        transition,
    }
}

fn simulate(
    model: &HmmGlm,
    basis: &[f64],
    t: usize,
    seed: u64,
) -> (Vec<f64>, Vec<f64>, Vec<usize>) {
    let mut rng = Rng(seed);
    let (x, z) = model.simulate(basis, t, &mut || rng.uniform());
    let h = history(&x, model.neurons, basis);
    (x, h, z)
}

#[test]
fn history_matches_a_hand_convolution() {
    // One neuron spiking at t = 0 and t = 2, basis (0.5, 0.25).
    let x = [1.0, 0.0, 1.0, 0.0, 0.0];
    let h = history(&x, 1, &[0.5, 0.25]);
    assert_eq!(h, vec![0.0, 0.5, 0.25, 0.5, 0.25]);
    let b = exp_basis(1.0, 5, 5.0);
    assert!((b.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!((b[0] - 0.6364).abs() < 1e-4, "{b:?}"); // the paper's printed basis
}

#[test]
fn normal_cdf_and_evidence_against_quadrature() {
    for z in [-30.0, -8.0, -2.0, -0.5, 0.0, 0.7, 3.0, 9.0] {
        // Φ(z) e^{z²/2} √(2π) by Simpson's rule over [z − 40, z].
        let m = 40_000;
        let (a, hstep) = (z - 40.0, 40.0 / m as f64);
        let s: f64 = (0..=m)
            .map(|q| {
                let x = a + q as f64 * hstep;
                let wgt = if q == 0 || q == m {
                    1.0
                } else if q % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                wgt * (-(x * x) / 2.0 + (z * z) / 2.0).exp()
            })
            .sum::<f64>()
            * hstep
            / 3.0;
        let ln_phi = s.ln() - (z * z) / 2.0 - 0.5 * std::f64::consts::TAU.ln();
        assert!(
            (ln_normal_cdf(z) - ln_phi).abs() < 2e-6 * ln_phi.abs().max(1.0),
            "z = {z}: {} vs {ln_phi}",
            ln_normal_cdf(z)
        );
    }
    // Evidence ratio: ∫₀^∞ 2 N(w; 0, s²) exp(−½h(w−u)²) dw / exp(−½hu²).
    for (u, h, s) in [
        (0.8, 50.0, 1.0),
        (-0.3, 20.0, 0.7),
        (0.05, 400.0, 1.2),
        (0.0, 0.0, 1.0),
    ] {
        let m = 200_000;
        let top = 10.0 * s;
        let hstep = top / m as f64;
        let f = |w: f64| {
            2.0 / (s * std::f64::consts::TAU.sqrt())
                * (-(w * w) / (2.0 * s * s)).exp()
                * (-0.5 * h * (w - u) * (w - u) + 0.5 * h * u * u).exp()
        };
        let integral: f64 = (0..=m)
            .map(|q| {
                let wgt = if q == 0 || q == m {
                    1.0
                } else if q % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                wgt * f(q as f64 * hstep)
            })
            .sum::<f64>()
            * hstep
            / 3.0;
        let got = ln_evidence_ratio(u, h, s, 1.0);
        assert!(
            (got - integral.ln()).abs() < 1e-5,
            "{got} vs {}",
            integral.ln()
        );
        // The inhibitory class is the mirror image.
        assert!((ln_evidence_ratio(-u, h, s, -1.0) - got).abs() < 1e-12);
    }
}

#[test]
fn log_emission_matches_hand_computation() {
    let model = HmmGlm {
        states: 2,
        neurons: 2,
        emission: Emission::Poisson,
        weights: vec![0.5, -1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0],
        bias: vec![0.1, -0.2, 0.3, 0.4],
        initial: vec![0.5, 0.5],
        transition: vec![0.9, 0.1, 0.1, 0.9],
    };
    let x = [2.0, 0.0];
    let h = [0.4, 0.6];
    let le = model.log_emission(Sequence {
        spikes: &x,
        history: &h,
    });
    let e0: f64 = 0.1 + 0.5 * 0.4 - 0.6;
    let e1: f64 = -0.2 + 2.0 * 0.6;
    let want0 = 2.0 * e0 - e0.exp() - 2f64.ln() - e1.exp();
    let want1 = 2.0 * 0.3 - 0.3f64.exp() - 2f64.ln() - 0.4f64.exp();
    assert!((le[0] - want0).abs() < 1e-12 && (le[1] - want1).abs() < 1e-12);
}

#[test]
fn naive_em_log_likelihood_never_decreases() {
    let basis = exp_basis(1.0, 3, 3.0);
    for (emission, seed) in [(Emission::Bernoulli, 3), (Emission::Poisson, 4)] {
        let truth = planted(2, 4, emission, seed);
        let (x, h, _) = simulate(&truth, &basis, 1500, seed + 10);
        let seqs = [Sequence {
            spikes: &x,
            history: &h,
        }];
        let fit = fit(
            &seqs,
            4,
            &FitOptions {
                states: 2,
                emission,
                prior: Prior::Naive,
                iterations: 15,
                newton_steps: 2,
                init_block: 50,
                seed: 1,
                restarts: 1,
            },
        );
        for w in fit.log_likelihood.windows(2) {
            assert!(
                w[1] >= w[0] - 1e-8 * w[0].abs(),
                "{emission:?}: {:?}",
                fit.log_likelihood
            );
        }
        assert!(fit.log_likelihood.last().unwrap() > &fit.log_likelihood[0]);
    }
}

#[test]
fn recovers_a_planted_model() {
    let basis = exp_basis(1.0, 3, 3.0);
    let (k, n) = (2, 5);
    let truth = planted(k, n, Emission::Bernoulli, 11);
    let (x, h, z) = simulate(&truth, &basis, 6000, 12);
    let seqs = [Sequence {
        spikes: &x,
        history: &h,
    }];
    let opts = |prior| FitOptions {
        states: k,
        emission: Emission::Bernoulli,
        prior,
        iterations: 30,
        newton_steps: 3,
        init_block: 100,
        seed: 5,
        restarts: 3,
    };
    for prior in [Prior::Naive, Prior::Gaussian { std: 1.0 }, Prior::OneHot] {
        let f = fit(&seqs, n, &opts(prior));
        let path = f.model.viterbi(seqs[0]);
        let (acc, map) = match_labels(&z, &path, k, k);
        assert!(acc > 0.95, "{prior:?}: state accuracy {acc}");
        // Weights of the matched states: close to the truth.
        let mut err = 0.0;
        let mut class_hits = 0;
        for (s_fit, s_true) in map.iter().enumerate() {
            let s_true = s_true.unwrap();
            for ij in 0..n * n {
                let (a, b) = (
                    f.model.weights[s_fit * n * n + ij],
                    truth.weights[s_true * n * n + ij],
                );
                err += (a - b).powi(2);
                let c = if prior == Prior::OneHot {
                    f.classes[s_fit * n * n + ij]
                } else {
                    classify(&[a], 0.5)[0]
                };
                class_hits += usize::from(c == classify(&[b], 0.5)[0]);
            }
        }
        let rmse = (err / (k * n * n) as f64).sqrt();
        assert!(rmse < 0.35, "{prior:?}: weight rmse {rmse}");
        let class_acc = class_hits as f64 / (k * n * n) as f64;
        assert!(class_acc > 0.85, "{prior:?}: class accuracy {class_acc}");
        if prior == Prior::OneHot {
            let p = &f.class_prior;
            assert!(
                p.chunks(3)
                    .all(|c| (c.iter().sum::<f64>() - 1.0).abs() < 1e-12)
            );
        }
    }
}

#[test]
#[should_panic(expected = "not valid for Bernoulli")]
fn rejects_counts_for_bernoulli() {
    let x = [2.0, 0.0];
    let h = [0.0, 0.0];
    fit(
        &[Sequence {
            spikes: &x,
            history: &h,
        }],
        2,
        &FitOptions {
            states: 1,
            emission: Emission::Bernoulli,
            prior: Prior::Naive,
            iterations: 1,
            newton_steps: 1,
            init_block: 10,
            seed: 0,
            restarts: 1,
        },
    );
}
