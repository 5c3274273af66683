//! Direct logit attribution on the tiny random llama: the attributions sum to the logit
//! difference, and a head's attribution equals the change in logit difference when its
//! result is taken out of the final residual stream with the final-norm scale held fixed
//! (a different computation: through the forward pass's own final norm and unembedding).

mod common;

use common::*;
use ganglion_interp::attribution::logit_diff_attribution;
use ganglion_interp::model::{HookPoint, Model, Run};

fn model() -> Model {
    Model::from_gguf(&gguf(&weights(5))).expect("tiny model")
}

#[test]
fn attributions_sum_to_the_logit_difference() {
    let m = model();
    let ids = vec![
        vec![3u32, 50, 7, 9, 200],
        vec![1, 2, 3, 4, 5],
        vec![250, 9, 9, 9, 100],
    ];
    let (correct, incorrect) = (vec![258, 10, 77], vec![256, 11, 78]);
    let a = logit_diff_attribution(&m, &ids, &correct, &incorrect).expect("dla");
    let logits = m.forward(&ids).expect("forward");
    for b in 0..3 {
        let last = &logits.data[(b * 5 + 4) * vocab()..(b * 5 + 5) * vocab()];
        let want = last[correct[b] as usize] - last[incorrect[b] as usize];
        assert!((a.logit_diff[b] - want).abs() < 1e-5);
        let sum: f32 = a.embed[b]
            + (0..L)
                .map(|l| a.attn_layer(b, l) + a.mlps[b * L + l])
                .sum::<f32>();
        assert!(
            (sum - want).abs() < 1e-4 * want.abs().max(1.0),
            "sum {sum} vs {want}"
        );
    }
    let mean = a.mean_heads();
    assert!((mean[H + 1] - (0..3).map(|b| a.head(b, 1, 1)).sum::<f32>() / 3.0).abs() < 1e-6);
}

#[test]
fn a_heads_attribution_is_its_direct_effect_at_fixed_scale() {
    let m = model();
    let ids = vec![vec![3u32, 50, 7, 9, 200]];
    let (c, i) = (258u32, 256u32);
    let a = logit_diff_attribution(&m, &ids, &[c], &[i]).expect("dla");
    let (_, cache) = m
        .run_with_cache(&ids, &[HookPoint::Z(1), HookPoint::LnFinalScale])
        .expect("cache");
    let scale = cache[&HookPoint::LnFinalScale].clone();
    for h in 0..H {
        // The head's result vector at the last position: W_O[:, h] z_h.
        let z = &cache[&HookPoint::Z(1)];
        let wo = &m.layers[1].w_o;
        let r: Vec<f32> = (0..D)
            .map(|o| {
                (0..DH)
                    .map(|e| wo[o * H * DH + h * DH + e] * z.at(&[0, 4, h, e]))
                    .sum()
            })
            .collect();
        let fixed = scale.clone();
        let logits = m
            .run(
                &ids,
                &mut Run::new()
                    .hook(HookPoint::ResidPost(L - 1), |x| {
                        for (v, r) in x.data[4 * D..5 * D].iter_mut().zip(&r) {
                            *v -= r;
                        }
                    })
                    .hook(HookPoint::LnFinalScale, move |s| {
                        s.data.copy_from_slice(&fixed.data)
                    }),
            )
            .expect("without the head's direct path");
        let last = &logits.data[4 * vocab()..];
        let without = last[c as usize] - last[i as usize];
        let drop = a.logit_diff[0] - without;
        assert!(
            (drop - a.head(0, 1, h)).abs() < 1e-4,
            "head {h}: drop {drop} vs attribution {}",
            a.head(0, 1, h)
        );
    }
}

#[test]
fn bad_answers_are_reported() {
    let m = model();
    let e = logit_diff_attribution(&m, &[vec![1, 2]], &[1, 2], &[3]).expect_err("counts");
    assert!(
        e.to_string()
            .contains("1 prompts but 2 correct and 1 incorrect answers"),
        "{e}"
    );
    let e = logit_diff_attribution(&m, &[vec![1, 2]], &[999], &[3]).expect_err("vocab");
    assert!(
        e.to_string()
            .contains("answer token 999 is outside the vocabulary"),
        "{e}"
    );
}
