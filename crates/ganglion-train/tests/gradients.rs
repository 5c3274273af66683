//! Gradient checks against central finite differences, on the parts of the model that have
//! no surrogate (no threshold crossing depends on the perturbed weight).

use ganglion_train::config::TrainFile;
use ganglion_train::lif::LifParams;
use ganglion_train::mlp::{Dense, Mlp};
use ganglion_train::rate_rnn::{RateRnn, Transfer, working_memory_batch};
use ganglion_train::snn::{Readout, Snn};
use ganglion_train::train::{Model, Trainer, normal};

fn spikes(steps: usize, n: usize, p: f32, key: u64) -> Vec<u8> {
    (0..steps * n)
        .map(|i| (ganglion_data::encode::unit(key, i as u64, 3) < p) as u8)
        .collect()
}

fn snn(sizes: &[usize], params: &[LifParams], steps: usize) -> Snn {
    let cfg = TrainFile {
        steps: Some(steps),
        init_gain: Some(10.0),
        ..Default::default()
    }
    .resolve()
    .expect("cfg");
    match Trainer::new_snn(sizes, params, 1.0, cfg).model {
        Model::Snn(mut s) => {
            s.readout = Readout::Membrane { scale: 0.02 };
            s
        }
        Model::Mlp(_) => unreachable!(),
    }
}

fn loss(s: &Snn, xs: &[Vec<u8>], ys: &[u8]) -> f64 {
    s.batch(xs, ys, false).loss / xs.len() as f64
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
        v_th: 1000.0,
        tau_syn_ex: 2.0,
        tau_syn_in: 6.0,
        tau_m: 15.0,
        ..Default::default()
    };
    let mut s = snn(&[12, 9, 3], &[hidden, out], 30);
    s.layers[1].delay = 2;
    // The sub-threshold output's initial scale follows its (unreachable) threshold; use pA-sized weights.
    s.layers[1].w = (0..27).map(|i| 40.0 * normal(99, i)).collect();
    let xs: Vec<Vec<u8>> = (0..4).map(|k| spikes(30, 12, 0.8, k)).collect();
    let ys = [0u8, 1, 2, 1];
    let hidden_spikes: usize = xs
        .iter()
        .map(|x| {
            s.forward_sample(x).0[0]
                .iter()
                .map(|&b| b as usize)
                .sum::<usize>()
        })
        .sum();
    assert!(
        hidden_spikes > 20,
        "hidden layer must spike ({hidden_spikes})"
    );
    let g = s.batch(&xs, &ys, true).grads.expect("grads");
    let w = s.layers[1].w.clone();
    // Absolute floor: f32 rounding of the loss and the O(h²) term of central differences.
    let gmax = g.layers[1].0.iter().fold(0f32, |a, &b| a.max(b.abs())) as f64;
    let mut checked = 0;
    for i in 0..w.len() {
        let h = 0.2 * w[i].abs().max(1.0);
        let mut sp = s.clone();
        sp.layers[1].w[i] = w[i] + h;
        let mut sm = s.clone();
        sm.layers[1].w[i] = w[i] - h;
        // Skip entries whose perturbation flips the sign (it changes the receptor channel).
        if (w[i] + h).signum() != (w[i] - h).signum() {
            continue;
        }
        let fd = (loss(&sp, &xs, &ys) - loss(&sm, &xs, &ys)) / (2.0 * h as f64);
        let an = g.layers[1].0[i] as f64;
        assert!(
            (fd - an).abs() <= 2e-3 * fd.abs().max(an.abs()) + 2e-3 * gmax,
            "w_out[{i}]: finite difference {fd} vs adjoint {an}"
        );
        checked += 1;
    }
    assert!(checked > 20);
}

/// A single sub-threshold layer: ∂L/∂W_in through both synaptic channels and the membrane.
#[test]
fn snn_input_weights_below_threshold_match_finite_differences() {
    let p = LifParams {
        v_th: 1000.0,
        tau_syn_ex: 2.0,
        tau_syn_in: 8.0,
        ..Default::default()
    };
    let s = snn(&[10, 4], &[p], 20);
    let xs: Vec<Vec<u8>> = (0..3).map(|k| spikes(20, 10, 0.5, 10 + k)).collect();
    let ys = [3u8, 0, 1];
    let g = s.batch(&xs, &ys, true).grads.expect("grads");
    for i in 0..s.layers[0].w.len() {
        let w = s.layers[0].w[i];
        let h = 0.2 * w.abs().max(0.5);
        if (w + h).signum() != (w - h).signum() {
            continue;
        }
        let (mut sp, mut sm) = (s.clone(), s.clone());
        sp.layers[0].w[i] = w + h;
        sm.layers[0].w[i] = w - h;
        let fd = (loss(&sp, &xs, &ys) - loss(&sm, &xs, &ys)) / (2.0 * h as f64);
        let an = g.layers[0].0[i] as f64;
        assert!(
            (fd - an).abs() <= 1e-3 * fd.abs().max(an.abs()) + 1e-6,
            "w[{i}]: {fd} vs {an}"
        );
    }
}

#[test]
fn mlp_gradients_match_finite_differences() {
    let mk = |n_in: usize, n_out: usize, key: u64| Dense {
        n_in,
        n_out,
        w: (0..n_in * n_out)
            .map(|i| 0.5 * normal(key, i as u64))
            .collect(),
        b: (0..n_out)
            .map(|i| 0.1 * normal(key + 9, i as u64))
            .collect(),
    };
    let m = Mlp {
        layers: vec![mk(6, 5, 1), mk(5, 4, 2), mk(4, 3, 3)],
    };
    let x: Vec<f32> = (0..4 * 6).map(|i| normal(77, i as u64)).collect();
    let y = [0u8, 2, 1, 2];
    let (_, _, _, g) = m.batch(&x, &y, true, faer::Par::Seq);
    let g = g.expect("grads");
    let f = |m: &Mlp| m.batch(&x, &y, false, faer::Par::Seq).0 / 4.0;
    for l in 0..3 {
        for i in 0..m.layers[l].w.len() {
            let h = 1e-3;
            let (mut a, mut b) = (m.clone(), m.clone());
            a.layers[l].w[i] += h;
            b.layers[l].w[i] -= h;
            let fd = (f(&a) - f(&b)) / (2.0 * h as f64);
            let an = g.layers[l].0[i] as f64;
            assert!(
                (fd - an).abs() <= 1e-2 * fd.abs().max(an.abs()) + 2e-4,
                "layer {l} w[{i}]: {fd} vs {an}"
            );
        }
        for i in 0..m.layers[l].b.len() {
            let h = 1e-3;
            let (mut a, mut b) = (m.clone(), m.clone());
            a.layers[l].b[i] += h;
            b.layers[l].b[i] -= h;
            let fd = (f(&a) - f(&b)) / (2.0 * h as f64);
            let an = g.layers[l].1[i] as f64;
            assert!(
                (fd - an).abs() <= 1e-2 * fd.abs().max(an.abs()) + 2e-4,
                "layer {l} b[{i}]: {fd} vs {an}"
            );
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
        let len = get(&mut net.clone()).len();
        for i in 0..len {
            let (mut a, mut c) = (net.clone(), net.clone());
            get(&mut a)[i] += h;
            get(&mut c)[i] -= h;
            let fd = (a.loss_grad(&b).0 - c.loss_grad(&b).0) / (2.0 * h as f64);
            let an = g[gi][i] as f64;
            assert!(
                (fd - an).abs() <= 1e-2 * fd.abs().max(an.abs()) + 1e-4,
                "group {gi} [{i}]: {fd} vs {an}"
            );
        }
    }
}

/// Recurrent LIF layer: training feed-forward and recurrent weights together with the
/// surrogate lowers the loss (the recurrent adjoint has no surrogate-free check).
#[test]
fn recurrent_snn_trains() {
    use ganglion_train::optim::{OptimConfig, Optimizer};
    let p = LifParams {
        tau_m: 20.0,
        t_ref: 0.0,
        tau_syn_ex: 5.0,
        tau_syn_in: 5.0,
        ..Default::default()
    };
    let mut s = snn(&[8, 16, 2], &[p, p], 20);
    s.readout = Readout::SpikeCount { scale: 0.5 };
    s.layers[0].rec = Some(((0..256).map(|i| 5.0 * normal(4, i)).collect(), 1));
    // Class 0: first half of the inputs active; class 1: second half.
    let xs: Vec<Vec<u8>> = (0..16u64)
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
    let ys: Vec<u8> = (0..16).map(|k| (k % 2) as u8).collect();
    let sizes = [s.layers[0].w.len(), 256, s.layers[1].w.len()];
    let scales = [3.0f32, 3.0, 30.0];
    let mut opt = Optimizer::new(
        OptimConfig {
            lr: 0.05,
            ..Default::default()
        },
        &sizes,
        &scales,
    );
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
    use ganglion_train::optim::{OptimConfig, Optimizer};
    let plain = LifParams {
        tau_m: 20.0,
        t_ref: 0.0,
        tau_syn_ex: 5.0,
        tau_syn_in: 5.0,
        ..Default::default()
    };
    let alif = LifParams {
        adapt_tau: 50.0,
        adapt_beta: 5.0,
        ..plain
    };
    let x: Vec<u8> = vec![1u8; 40 * 8];
    let count = |p: LifParams| {
        let mut s = snn(&[8, 16, 2], &[p, plain], 40);
        s.layers[0].w = vec![60.0; 8 * 16];
        s.forward_sample(&x).0[0]
            .iter()
            .map(|&b| b as usize)
            .sum::<usize>()
    };
    let (np, na) = (count(plain), count(alif));
    assert!(na > 0 && na < np, "adaptive {na} vs plain {np}");
    let mut s = snn(&[8, 16, 2], &[alif, plain], 20);
    s.readout = Readout::SpikeCount { scale: 0.5 };
    let xs: Vec<Vec<u8>> = (0..16u64)
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
    let ys: Vec<u8> = (0..16).map(|k| (k % 2) as u8).collect();
    let mut opt = Optimizer::new(
        OptimConfig {
            lr: 0.05,
            ..Default::default()
        },
        &[s.layers[0].w.len(), s.layers[1].w.len()],
        &[3.0, 30.0],
    );
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
