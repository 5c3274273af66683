//! Activation patching on the tiny random llama: sweep cells against the same patch done
//! by hand with a hook from the first layer (no `start_at_layer`), and the cases whose
//! answer is known: positions before the prompts differ restore nothing, and patching the
//! whole differing position at layer 0 restores everything.

mod common;

use common::*;
use ganglion_interp::model::{HookPoint, Model, Run};
use ganglion_interp::patching::{
    Pairs, Qkv, Target, in_chunks, patch_by_layer, patch_by_layer_position, patch_heads,
    path_patch_heads,
};

fn model() -> Model {
    Model::from_gguf(&gguf(&weights(9))).expect("tiny model")
}

const CLEAN: [[u32; 5]; 2] = [[3, 50, 7, 9, 200], [1, 2, 3, 4, 5]];
// The pairs differ at position 2 only.
const CORRUPT: [[u32; 5]; 2] = [[3, 50, 8, 9, 200], [1, 2, 30, 4, 5]];

fn metric(m: &Model, ids: &[Vec<u32>], run: &mut Run) -> f64 {
    let l = m.run(ids, run).expect("run");
    let q = l.shape[1];
    (0..ids.len())
        .map(|b| {
            let row = &l.data[(b * q + q - 1) * vocab()..(b * q + q) * vocab()];
            (row[258] - row[256]) as f64
        })
        .sum::<f64>()
        / ids.len() as f64
}

#[test]
fn layer_position_sweeps() {
    let m = model();
    let clean: Vec<Vec<u32>> = CLEAN.iter().map(|r| r.to_vec()).collect();
    let corrupt: Vec<Vec<u32>> = CORRUPT.iter().map(|r| r.to_vec()).collect();
    let pairs = Pairs {
        clean: &clean,
        corrupted: &corrupt,
        correct: &[258, 258],
        incorrect: &[256, 256],
    };
    let r = patch_by_layer_position(&m, &pairs, Target::ResidPre).expect("resid sweep");
    assert_eq!(r.shape, [L, 5]);
    assert!((r.clean - metric(&m, &clean, &mut Run::new())).abs() < 1e-6);
    assert!((r.corrupted - metric(&m, &corrupt, &mut Run::new())).abs() < 1e-6);
    let norm = r.normalised();
    for l in 0..L {
        for t in [0, 1] {
            assert!(
                (r.patched[l * 5 + t] - r.corrupted).abs() < 1e-6,
                "layer {l} position {t}"
            );
        }
    }
    // At layer 0 the residual at position 2 is the token's embedding: patching it makes the
    // corrupted run the clean one.
    assert!((norm[2] - 1.0).abs() < 1e-5, "{}", norm[2]);
    // Every cell against a hook on the full pass.
    for target in [Target::ResidPre, Target::AttnOut, Target::MlpOut] {
        let r = patch_by_layer_position(&m, &pairs, target).expect("sweep");
        for l in 0..L {
            let point = match target {
                Target::ResidPre => HookPoint::ResidPre(l),
                Target::AttnOut => HookPoint::AttnOut(l),
                Target::MlpOut => HookPoint::MlpOut(l),
            };
            let (_, cache) = m.run_with_cache(&clean, &[point]).expect("clean cache");
            let src = cache[&point].data.clone();
            for t in 0..5 {
                let mut run = Run::new().hook(point, |a| {
                    for b in 0..2 {
                        let o = (b * 5 + t) * D;
                        a.data[o..o + D].copy_from_slice(&src[o..o + D]);
                    }
                });
                let want = metric(&m, &corrupt, &mut run);
                assert!(
                    (r.patched[l * 5 + t] - want).abs() < 1e-5,
                    "{target:?} layer {l} position {t}"
                );
            }
        }
    }
}

#[test]
fn layer_sweeps_at_all_positions() {
    let m = model();
    let clean: Vec<Vec<u32>> = CLEAN.iter().map(|r| r.to_vec()).collect();
    let corrupt: Vec<Vec<u32>> = CORRUPT.iter().map(|r| r.to_vec()).collect();
    let pairs = Pairs {
        clean: &clean,
        corrupted: &corrupt,
        correct: &[258, 258],
        incorrect: &[256, 256],
    };
    // The whole residual stream before a block carries everything: every layer restores all.
    let r = patch_by_layer(&m, &pairs, Target::ResidPre).expect("resid");
    assert_eq!(r.shape, [L]);
    for v in r.normalised() {
        assert!((v - 1.0).abs() < 1e-5, "{v}");
    }
    for target in [Target::AttnOut, Target::MlpOut] {
        let r = patch_by_layer(&m, &pairs, target).expect("sweep");
        for l in 0..L {
            let point = if target == Target::AttnOut {
                HookPoint::AttnOut(l)
            } else {
                HookPoint::MlpOut(l)
            };
            let (_, cache) = m.run_with_cache(&clean, &[point]).expect("clean cache");
            let src = cache[&point].data.clone();
            let want = metric(
                &m,
                &corrupt,
                &mut Run::new().hook(point, |a| a.data.copy_from_slice(&src)),
            );
            assert!((r.patched[l] - want).abs() < 1e-5, "{target:?} layer {l}");
        }
    }
}

#[test]
fn head_sweeps() {
    let m = model();
    let clean: Vec<Vec<u32>> = CLEAN.iter().map(|r| r.to_vec()).collect();
    let corrupt: Vec<Vec<u32>> = CORRUPT.iter().map(|r| r.to_vec()).collect();
    let pairs = Pairs {
        clean: &clean,
        corrupted: &corrupt,
        correct: &[258, 258],
        incorrect: &[256, 256],
    };
    let all = patch_heads(&m, &pairs, false).expect("heads");
    let by_pos = patch_heads(&m, &pairs, true).expect("heads by position");
    assert_eq!(
        (all.shape.clone(), by_pos.shape.clone()),
        (vec![L, H], vec![L, H, 5])
    );
    let (_, cache) = m
        .run_with_cache(&clean, &[HookPoint::Z(0), HookPoint::Z(1)])
        .expect("clean");
    for l in 0..L {
        let src = cache[&HookPoint::Z(l)].data.clone();
        for h in 0..H {
            let mut run = Run::new().hook(HookPoint::Z(l), |a| {
                for r in 0..10 {
                    let o = (r * H + h) * DH;
                    a.data[o..o + DH].copy_from_slice(&src[o..o + DH]);
                }
            });
            let want = metric(&m, &corrupt, &mut run);
            assert!((all.patched[l * H + h] - want).abs() < 1e-5, "L{l}H{h}");
            // z at positions 0 and 1 is the same in both runs.
            for t in [0, 1] {
                assert!((by_pos.patched[(l * H + h) * 5 + t] - all.corrupted).abs() < 1e-6);
            }
        }
    }
    let e = patch_heads(
        &m,
        &Pairs {
            clean: &clean,
            corrupted: &corrupt[..1],
            correct: &[258, 258],
            incorrect: &[256, 256],
        },
        false,
    )
    .expect_err("unpaired");
    assert!(
        e.to_string()
            .contains("patching needs paired prompts of one length"),
        "{e}"
    );
}

#[test]
fn start_at_layer_checks_its_input() {
    let m = model();
    let ids = vec![CLEAN[0].to_vec()];
    let (_, cache) = m
        .run_with_cache(&ids, &[HookPoint::ResidPre(1)])
        .expect("cache");
    let resid = cache[&HookPoint::ResidPre(1)].clone();
    let full = m.forward(&ids).expect("full");
    let resumed = m
        .run(&ids, &mut Run::new().start_at_layer(1, resid.clone()))
        .expect("resumed");
    assert_eq!(full, resumed);
    let e = m.run(
        &ids,
        &mut Run::new()
            .start_at_layer(1, resid.clone())
            .hook(HookPoint::Z(0), |_| {}),
    );
    assert!(
        e.expect_err("early hook")
            .to_string()
            .contains("would never run")
    );
    let e = m.run(&ids, &mut Run::new().start_at_layer(2, resid));
    assert!(
        e.expect_err("layer")
            .to_string()
            .contains("start_at_layer(2)")
    );
}

#[test]
fn path_patching_against_the_two_passes_by_hand() {
    // Three layers, so that a head between sender and receiver is frozen.
    let m = Model::from_gguf(&gguf(&weights_layers(11, 3))).expect("3-layer model");
    let clean: Vec<Vec<u32>> = CLEAN.iter().map(|r| r.to_vec()).collect();
    let corrupt: Vec<Vec<u32>> = CORRUPT.iter().map(|r| r.to_vec()).collect();
    let pairs = Pairs {
        clean: &clean,
        corrupted: &corrupt,
        correct: &[258, 258],
        incorrect: &[256, 256],
    };
    let receivers = [(2, 1), (2, 2)];
    for input in [Qkv::Q, Qkv::K, Qkv::V] {
        let r = path_patch_heads(&m, &pairs, &receivers, input).expect("path patching");
        assert_eq!(r.shape, [3, H]);
        // Senders in the receivers' layer cannot reach them.
        for h in 0..H {
            assert_eq!(r.patched[2 * H + h], r.clean);
        }
        let all_z: Vec<HookPoint> = (0..3).map(HookPoint::Z).collect();
        let (_, zc) = m.run_with_cache(&clean, &all_z).expect("clean");
        let (_, zx) = m.run_with_cache(&corrupt, &all_z).expect("corrupt");
        let point = match input {
            Qkv::Q => HookPoint::Q(2),
            Qkv::K => HookPoint::K(2),
            Qkv::V => HookPoint::V(2),
        };
        for (sl, sh) in [(0, 0), (0, 3), (1, 2)] {
            // Pass 1 from layer 0: every z clean except the sender's, corrupted.
            let mut run = Run::new().cache(&[point]);
            for l in 0..2 {
                let (c, x) = (
                    zc[&HookPoint::Z(l)].data.clone(),
                    zx[&HookPoint::Z(l)].data.clone(),
                );
                run = run.hook(HookPoint::Z(l), move |a| {
                    a.data.copy_from_slice(&c);
                    if l == sl {
                        for row in 0..10 {
                            let o = (row * H + sh) * DH;
                            a.data[o..o + DH].copy_from_slice(&x[o..o + DH]);
                        }
                    }
                });
            }
            m.run(&clean, &mut run).expect("pass 1");
            let got = run.cache[&point].data.clone();
            // Pass 2: the receivers' slots (query heads 1 and 2, or key/value heads 0 and 1).
            let (width, slots) = match input {
                Qkv::Q => (H * DH, vec![1, 2]),
                _ => (KV * DH, vec![0, 1]),
            };
            let mut run = Run::new().hook(point, |a| {
                for row in 0..10 {
                    for &g in &slots {
                        let o = row * width + g * DH;
                        a.data[o..o + DH].copy_from_slice(&got[o..o + DH]);
                    }
                }
            });
            let want = metric(&m, &clean, &mut run);
            let cell = r.patched[sl * H + sh];
            assert!(
                (cell - want).abs() < 1e-5,
                "{input:?} sender L{sl}H{sh}: {cell} vs {want}"
            );
        }
        assert!(
            r.patched[..2 * H]
                .iter()
                .any(|&v| (v - r.clean).abs() > 1e-4),
            "{input:?}: no sender matters"
        );
    }
    // A receiver before the sender's layer (pass 1 starts after it) is out of reach: the
    // layer-1 senders' cells equal those with the later receiver alone.
    let early =
        path_patch_heads(&m, &pairs, &[(0, 1), (2, 3)], Qkv::Q).expect("receiver in layer 0");
    let late = path_patch_heads(&m, &pairs, &[(2, 3)], Qkv::Q).expect("receiver in layer 2");
    for h in 0..H {
        assert!((early.patched[H + h] - late.patched[H + h]).abs() < 1e-6);
    }
    // Receivers in two layers: a sender between them reaches only the later one.
    let r = path_patch_heads(&m, &pairs, &[(1, 0), (2, 3)], Qkv::Q).expect("two layers");
    let (_, zc) = m
        .run_with_cache(&clean, &[HookPoint::Z(1)])
        .expect("clean z");
    let (_, zx) = m
        .run_with_cache(&corrupt, &[HookPoint::Z(1)])
        .expect("corrupt z");
    let (c, x) = (
        zc[&HookPoint::Z(1)].data.clone(),
        zx[&HookPoint::Z(1)].data.clone(),
    );
    let mut run = Run::new()
        .cache(&[HookPoint::Q(2)])
        .hook(HookPoint::Z(1), move |a| {
            a.data.copy_from_slice(&c);
            for row in 0..10 {
                let o = (row * H + 2) * DH;
                a.data[o..o + DH].copy_from_slice(&x[o..o + DH]);
            }
        });
    m.run(&clean, &mut run).expect("pass 1");
    let got = run.cache[&HookPoint::Q(2)].data.clone();
    let mut run = Run::new().hook(HookPoint::Q(2), |a| {
        for row in 0..10 {
            let o = (row * H + 3) * DH;
            a.data[o..o + DH].copy_from_slice(&got[o..o + DH]);
        }
    });
    let want = metric(&m, &clean, &mut run);
    assert!(
        (r.patched[H + 2] - want).abs() < 1e-5,
        "{} vs {want}",
        r.patched[H + 2]
    );

    // Identical clean and corrupted prompts: nothing changes anywhere.
    let same = Pairs {
        clean: &clean,
        corrupted: &clean,
        correct: &[258, 258],
        incorrect: &[256, 256],
    };
    let r = path_patch_heads(&m, &same, &receivers, Qkv::V).expect("same");
    assert!(r.patched.iter().all(|&v| (v - r.clean).abs() < 1e-6));
    let e = path_patch_heads(&m, &pairs, &[(3, 0)], Qkv::Q).expect_err("receiver");
    assert!(
        e.to_string().contains("receiver L3H0 is out of range"),
        "{e}"
    );
}

#[test]
fn path_patching_a_key_reaches_only_the_receivers_key_value_head() {
    // Query heads 0 and 1 share key/value head 0 (H = 4, KV = 2): receivers (2,0), (2,1)
    // through K must patch key/value head 0 only, leaving head 1's key slot corrupted-free.
    let m = Model::from_gguf(&gguf(&weights_layers(11, 3))).expect("3-layer model");
    let clean: Vec<Vec<u32>> = CLEAN.iter().map(|r| r.to_vec()).collect();
    let corrupt: Vec<Vec<u32>> = CORRUPT.iter().map(|r| r.to_vec()).collect();
    let pairs = Pairs {
        clean: &clean,
        corrupted: &corrupt,
        correct: &[258, 258],
        incorrect: &[256, 256],
    };
    let r = path_patch_heads(&m, &pairs, &[(2, 0), (2, 1)], Qkv::K).expect("path patching");
    let all_z: Vec<HookPoint> = (0..3).map(HookPoint::Z).collect();
    let (_, zc) = m.run_with_cache(&clean, &all_z).expect("clean");
    let (_, zx) = m.run_with_cache(&corrupt, &all_z).expect("corrupt");
    let width = KV * DH;
    let mut some_effect = false;
    for (sl, sh) in [(0, 0), (0, 2), (1, 1), (1, 3)] {
        let mut run = Run::new().cache(&[HookPoint::K(2)]);
        for l in 0..2 {
            let (c, x) = (
                zc[&HookPoint::Z(l)].data.clone(),
                zx[&HookPoint::Z(l)].data.clone(),
            );
            run = run.hook(HookPoint::Z(l), move |a| {
                a.data.copy_from_slice(&c);
                if l == sl {
                    for row in 0..10 {
                        let o = (row * H + sh) * DH;
                        a.data[o..o + DH].copy_from_slice(&x[o..o + DH]);
                    }
                }
            });
        }
        m.run(&clean, &mut run).expect("pass 1");
        let got = run.cache[&HookPoint::K(2)].data.clone();
        let patch = |slots: Vec<usize>| {
            let got = got.clone();
            Run::new().hook(HookPoint::K(2), move |a| {
                for row in 0..10 {
                    for &g in &slots {
                        let o = row * width + g * DH;
                        a.data[o..o + DH].copy_from_slice(&got[o..o + DH]);
                    }
                }
            })
        };
        let want = metric(&m, &clean, &mut patch(vec![0]));
        let both = metric(&m, &clean, &mut patch(vec![0, 1]));
        let cell = r.patched[sl * H + sh];
        assert!(
            (cell - want).abs() < 1e-5,
            "sender L{sl}H{sh}: {cell} vs {want} (key/value head 0 only)"
        );
        // The check can tell the two apart: patching both groups gives another answer.
        some_effect |= (both - want).abs() > 1e-4;
    }
    assert!(
        some_effect,
        "no sender changes key/value head 1: the test cannot tell"
    );
}

#[test]
fn chunked_sweeps_are_the_batch_weighted_mean() {
    let m = model();
    // Three pairs in chunks of two: weights 2/3 and 1/3.
    let clean: Vec<Vec<u32>> = [CLEAN[0], CLEAN[1], CLEAN[0]]
        .iter()
        .map(|r| r.to_vec())
        .collect();
    let corrupt: Vec<Vec<u32>> = [CORRUPT[0], CORRUPT[1], CORRUPT[1]]
        .iter()
        .map(|r| r.to_vec())
        .collect();
    let pairs = Pairs {
        clean: &clean,
        corrupted: &corrupt,
        correct: &[258, 258, 258],
        incorrect: &[256, 256, 256],
    };
    let whole = patch_heads(&m, &pairs, false).expect("whole");
    let parts = in_chunks(&pairs, 2, |p| patch_heads(&m, p, false)).expect("chunks");
    assert_eq!(whole.shape, parts.shape);
    assert!((whole.clean - parts.clean).abs() < 1e-5);
    assert!((whole.corrupted - parts.corrupted).abs() < 1e-5);
    for (a, b) in whole.patched.iter().zip(&parts.patched) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}
