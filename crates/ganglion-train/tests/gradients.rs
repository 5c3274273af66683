//! Gradient checks against central finite differences, on the parts of the model that have
//! no surrogate (no threshold crossing depends on the perturbed weight).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

mod common;

use common::{bernoulli, count};
use ganglion_train::lif::LifParams;
use ganglion_train::mlp::{Dense, Mlp};
use ganglion_train::optim::{OptimConfig, Optimizer};
use ganglion_train::rate_rnn::{RateRnn, Transfer, working_memory_batch};
use ganglion_train::snn::{Readout, Snn};
use ganglion_train::{Model, Trainer, normal, normal_weights};

fn spikes(steps: usize, n: usize, p: f32, key: u64) -> Vec<u8> {
    bernoulli(steps * n, p, key, 3)
}

fn snn(sizes: &[usize], params: &[LifParams], steps: usize) -> Snn {
    let cfg = common::config(steps, Some(10.0));
    match Trainer::new_snn(sizes, params, 1.0, cfg).model {
        Model::Snn(mut s) => {
            s.readout = Readout::Membrane { scale: 0.02 };
            s
        }
        Model::Mlp(_) => unreachable!(),
    }
}

/// Central finite difference of `loss` at `m` when `nudge` moves one parameter by ±`h`.
fn central_difference<M: Clone>(
    m: &M,
    h: f32,
    nudge: impl Fn(&mut M, f32),
    loss: impl Fn(&M) -> f64,
) -> f64 {
    let (mut plus, mut minus) = (m.clone(), m.clone());
    nudge(&mut plus, h);
    nudge(&mut minus, -h);
    (loss(&plus) - loss(&minus)) / (2.0 * h as f64)
}

/// Asserts that the finite difference `fd` and the adjoint `an` agree to `rel` (relative)
/// plus `abs` (absolute).
fn assert_agree(fd: f64, an: f64, rel: f64, abs: f64, what: &str) {
    assert!(
        (fd - an).abs() <= rel * fd.abs().max(an.abs()) + abs,
        "{what}: finite difference {fd} vs adjoint {an}"
    );
}

/// Asserts that every weight of layer `l` of `s` has the adjoint gradient `grad` (to the
/// relative and absolute tolerances of `agree`), by central differences of [`loss`] on `data`
/// with step 0.2·max(|w|, `floor`); weights whose step would flip their sign are skipped (it
/// changes the receptor channel). Returns the number of weights checked.
fn check_layer_weights(
    s: &Snn,
    l: usize,
    grad: &[f32],
    (xs, ys): (&[Vec<u8>], &[u8]),
    floor: f32,
    (rel, abs): (f64, f64),
    name: &str,
) -> usize {
    let mut checked = 0;
    for (i, &w) in s.layers[l].w.iter().enumerate() {
        let h = 0.2 * w.abs().max(floor);
        if (w + h).signum() != (w - h).signum() {
            continue;
        }
        let fd = central_difference(s, h, |m, d| m.layers[l].w[i] = w + d, |m| loss(m, xs, ys));
        assert_agree(fd, grad[i] as f64, rel, abs, &format!("{name}[{i}]"));
        checked += 1;
    }
    checked
}

fn loss(s: &Snn, xs: &[Vec<u8>], ys: &[u8]) -> f64 {
    s.batch(xs, ys, false).loss / xs.len() as f64
}

/// A LIF layer that spikes readily: τm 20 ms, no refractoriness, 5 ms synapses.
/// A layer that never reaches its threshold, with these synaptic time constants (ms).
fn below_threshold(tau_syn_ex: f64, tau_syn_in: f64) -> LifParams {
    LifParams {
        v_th: 1000.0,
        tau_syn_ex,
        tau_syn_in,
        ..Default::default()
    }
}

fn plain_lif() -> LifParams {
    LifParams {
        tau_m: 20.0,
        t_ref: 0.0,
        tau_syn_ex: 5.0,
        tau_syn_in: 5.0,
        ..Default::default()
    }
}

/// 16 samples of 20 steps × 8 inputs: class 0 drives the first half of the inputs, class 1
/// the second half (each active input spikes with probability ½ per step).
fn two_class_batch() -> (Vec<Vec<u8>>, Vec<u8>) {
    let xs = (0..16u64)
        .map(|k| {
            (0..20 * 8)
                .map(|i| {
                    (((i % 8) < 4) == (k % 2 == 0)
                        && ganglion_data::encode::unit(k, i as u64, 1) < 0.5)
                        as u8
                })
                .collect()
        })
        .collect();
    let ys = (0..16).map(|k| (k % 2) as u8).collect();
    (xs, ys)
}

/// Adam at learning rate 0.05 over parameter groups of these sizes and scales.
fn adam(sizes: &[usize], scales: &[f32]) -> Optimizer {
    let cfg = OptimConfig {
        lr: 0.05,
        ..Default::default()
    };
    Optimizer::new(cfg, sizes, scales)
}

/// Output layer below threshold (membrane readout), hidden layer spiking with refractoriness,
/// mixed-sign weights and different excitatory/inhibitory time constants: ∂L/∂W_out is exact.
#[test]
fn snn_output_weights_match_finite_differences() {
    let hidden = LifParams {
        t_ref: 2.0,
        tau_syn_ex: 3.0,
        tau_syn_in: 7.0,
        ..Default::default()
    };
    let out = LifParams {
        tau_m: 15.0,
        ..below_threshold(2.0, 6.0)
    };
    let mut s = snn(&[12, 9, 3], &[hidden, out], 30);
    s.layers[1].delay = 2;
    // The sub-threshold output's initial scale follows its (unreachable) threshold; use pA-sized weights.
    s.layers[1].w = (0..27).map(|i| 40.0 * normal(99, i)).collect();
    let xs: Vec<Vec<u8>> = (0..4).map(|k| spikes(30, 12, 0.8, k)).collect();
    let ys = [0u8, 1, 2, 1];
    let hidden_spikes: usize = xs.iter().map(|x| count(&s.forward_sample(x).0[0])).sum();
    assert!(
        hidden_spikes > 20,
        "hidden layer must spike ({hidden_spikes})"
    );
    let g = s.batch(&xs, &ys, true).grads.expect("grads");
    // Absolute floor: f32 rounding of the loss and the O(h²) term of central differences.
    let gmax = g.layers[1].0.iter().fold(0f32, |a, &b| a.max(b.abs())) as f64;
    let agree = (2e-3, 2e-3 * gmax);
    let checked = check_layer_weights(&s, 1, &g.layers[1].0, (&xs, &ys), 1.0, agree, "w_out");
    assert!(checked > 20);
}

/// A single sub-threshold layer: ∂L/∂W_in through both synaptic channels and the membrane.
#[test]
fn snn_input_weights_below_threshold_match_finite_differences() {
    let s = snn(&[10, 4], &[below_threshold(2.0, 8.0)], 20);
    let xs: Vec<Vec<u8>> = (0..3).map(|k| spikes(20, 10, 0.5, 10 + k)).collect();
    let ys = [3u8, 0, 1];
    let g = s.batch(&xs, &ys, true).grads.expect("grads");
    check_layer_weights(&s, 0, &g.layers[0].0, (&xs, &ys), 0.5, (1e-3, 1e-6), "w");
}

#[test]
fn mlp_gradients_match_finite_differences() {
    let mk = |n_in: usize, n_out: usize, key: u64| Dense {
        n_in,
        n_out,
        w: normal_weights(0.5, key, n_in * n_out),
        b: normal_weights(0.1, key + 9, n_out),
    };
    let m = Mlp {
        layers: vec![mk(6, 5, 1), mk(5, 4, 2), mk(4, 3, 3)],
    };
    let x: Vec<f32> = (0..4 * 6).map(|i| normal(77, i as u64)).collect();
    let y = [0u8, 2, 1, 2];
    let (_, _, _, g) = m.batch(&x, &y, true, faer::Par::Seq);
    let g = g.expect("grads");
    let f = |m: &Mlp| m.batch(&x, &y, false, faer::Par::Seq).0 / 4.0;
    // Weights, then biases, of every layer.
    fn param(m: &mut Mlp, l: usize, bias: bool) -> &mut Vec<f32> {
        if bias {
            &mut m.layers[l].b
        } else {
            &mut m.layers[l].w
        }
    }
    for l in 0..3 {
        for (name, bias) in [("w", false), ("b", true)] {
            let grad = if bias { &g.layers[l].1 } else { &g.layers[l].0 };
            for (i, &an) in grad.iter().enumerate() {
                let fd = central_difference(&m, 1e-3, |m, d| param(m, l, bias)[i] += d, f);
                assert_agree(fd, an as f64, 1e-2, 2e-4, &format!("layer {l} {name}[{i}]"));
            }
        }
    }
}

#[test]
fn rate_rnn_gradients_match_finite_differences() {
    let net = RateRnn::new(2, 8, 1, 0.75, 10.0, 1.0, 1.2, 5, Transfer::Tanh);
    let b = working_memory_batch(3, 3, 4, 3, 1);
    let (_, g) = net.loss_grad(&b);
    let h = 1e-2f32;
    let groups: [fn(&mut RateRnn) -> &mut Vec<f32>; 4] = [
        |n| &mut n.w_in,
        |n| &mut n.w_rec,
        |n| &mut n.w_out,
        |n| &mut n.b,
    ];
    for (gi, get) in groups.iter().enumerate() {
        assert_eq!(g[gi].len(), get(&mut net.clone()).len());
        for (i, &an) in g[gi].iter().enumerate() {
            let fd = central_difference(&net, h, |n, d| get(n)[i] += d, |n| n.loss_grad(&b).0);
            assert_agree(fd, an as f64, 1e-2, 1e-4, &format!("group {gi} [{i}]"));
        }
    }
}

/// Recurrent LIF layer: training feed-forward and recurrent weights together with the
/// surrogate lowers the loss (the recurrent adjoint has no surrogate-free check).
#[test]
fn recurrent_snn_trains() {
    let p = plain_lif();
    let mut s = snn(&[8, 16, 2], &[p, p], 20);
    s.readout = Readout::SpikeCount { scale: 0.5 };
    s.layers[0].rec = Some(((0..256).map(|i| 5.0 * normal(4, i)).collect(), 1));
    let (xs, ys) = two_class_batch();
    let sizes = [s.layers[0].w.len(), 256, s.layers[1].w.len()];
    let mut opt = adam(&sizes, &[3.0, 3.0, 30.0]);
    let l0 = loss(&s, &xs, &ys);
    for _ in 0..60 {
        let g = s.batch(&xs, &ys, true).grads.expect("grads");
        let (l0w, l0r) = (&g.layers[0].0, &g.layers[0].1);
        assert!(l0r.iter().any(|&v| v != 0.0), "recurrent gradient is zero");
        let gl: Vec<&[f32]> = vec![l0w, l0r, &g.layers[1].0];
        let (a, b) = s.layers.split_at_mut(1);
        let rec = &mut a[0].rec.as_mut().expect("rec").0;
        let mut ps: Vec<&mut [f32]> = vec![&mut a[0].w, rec, &mut b[0].w];
        opt.step(&mut ps, &gl, 1.0);
    }
    let l1 = loss(&s, &xs, &ys);
    assert!(l1 < 0.75 * l0, "loss {l0} → {l1}");
}

/// Adaptive LIF: the threshold rises with each spike (fewer spikes than plain LIF under the
/// same drive), and training through the adaptation adjoint lowers the loss.
#[test]
fn adaptive_lif_adapts_and_trains() {
    let plain = plain_lif();
    let alif = LifParams {
        adapt_tau: 50.0,
        adapt_beta: 5.0,
        ..plain
    };
    let x: Vec<u8> = vec![1u8; 40 * 8];
    let count = |p: LifParams| {
        let mut s = snn(&[8, 16, 2], &[p, plain], 40);
        s.layers[0].w = vec![60.0; 8 * 16];
        count(&s.forward_sample(&x).0[0])
    };
    let (np, na) = (count(plain), count(alif));
    assert!(na > 0 && na < np, "adaptive {na} vs plain {np}");
    let mut s = snn(&[8, 16, 2], &[alif, plain], 20);
    s.readout = Readout::SpikeCount { scale: 0.5 };
    let (xs, ys) = two_class_batch();
    let mut opt = adam(&[s.layers[0].w.len(), s.layers[1].w.len()], &[3.0, 30.0]);
    let l0 = loss(&s, &xs, &ys);
    for _ in 0..40 {
        let g = s.batch(&xs, &ys, true).grads.expect("grads");
        let (a, b) = s.layers.split_at_mut(1);
        opt.step(
            &mut [&mut a[0].w, &mut b[0].w],
            &[&g.layers[0].0, &g.layers[1].0],
            1.0,
        );
    }
    let l1 = loss(&s, &xs, &ys);
    assert!(l1 < 0.95 * l0, "loss {l0} → {l1}");
}
