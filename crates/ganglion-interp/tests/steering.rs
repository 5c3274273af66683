//! Steering vectors on the tiny random llama (tests/common): the vector against means taken
//! by hand from cached activations, α = 0 bit-identical to no hook, the steered logits at
//! the last block against a hand-computed final norm and unembedding, positions, bad input;
//! and on SmolLM2 (when fetched): steering toward " Paris" prompts and away from " London"
//! prompts raises the Paris − London logit difference monotonically with α.

mod common;

use common::*;
use ganglion_interp::ablate::{Ablation, Prompt, logit_diff};
use ganglion_interp::model::{HookPoint, Model, Run};
use ganglion_interp::steering::{
    Pool, Positions, Site, add_vector, mean_activation, steer_hook, steer_logit_diff,
    steering_vector,
};
use std::path::Path;

fn tiny() -> (Weights, Model) {
    let w = weights(3);
    let m = Model::from_gguf(&gguf(&w)).expect("tiny model");
    (w, m)
}

fn ids(s: &[u32]) -> Vec<u32> {
    s.to_vec()
}

#[test]
fn steering_vector_is_the_difference_of_hand_taken_means() {
    let (_, m) = tiny();
    let pos = vec![ids(&[5, 77, 200]), ids(&[3, 9]), ids(&[40, 41, 42])];
    let neg = vec![ids(&[1, 2, 3, 4]), ids(&[250, 251])];
    for (site, pt) in [
        (Site::ResidPre, HookPoint::ResidPre(1)),
        (Site::ResidMid, HookPoint::ResidMid(1)),
        (Site::ResidPost, HookPoint::ResidPost(0)),
    ] {
        let layer = pt.layer().expect("block point");
        for pool in [Pool::Last, Pool::Mean] {
            // By hand: one prompt at a time, pooled, averaged.
            let mean = |set: &[Vec<u32>]| -> Vec<f64> {
                let mut s = vec![0f64; D];
                for p in set {
                    let (_, cache) = m
                        .run_with_cache(std::slice::from_ref(p), &[pt])
                        .expect("cache");
                    let a = &cache[&pt].data;
                    let n = p.len();
                    let rows: Vec<&[f32]> = match pool {
                        Pool::Last => vec![&a[(n - 1) * D..]],
                        Pool::Mean => a.chunks(D).collect(),
                    };
                    for r in &rows {
                        for (x, v) in s.iter_mut().zip(*r) {
                            *x += *v as f64 / rows.len() as f64 / set.len() as f64;
                        }
                    }
                }
                s
            };
            let want: Vec<f64> = mean(&pos)
                .iter()
                .zip(mean(&neg))
                .map(|(a, b)| a - b)
                .collect();
            let got = steering_vector(&m, &pos, &neg, site, layer, pool).expect("vector");
            assert_eq!(got.len(), D);
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (*g as f64 - w).abs() < 1e-5 * (1.0 + w.abs()),
                    "{site} {pool:?}: {g} vs {w}"
                );
            }
            let one = mean_activation(&m, &pos, site, layer, pool).expect("mean");
            assert_eq!(one.len(), D);
        }
    }
}

#[test]
fn alpha_zero_is_bit_identical_and_alpha_changes_logits() {
    let (_, m) = tiny();
    let batch = vec![ids(&[5, 77, 200, 3, 258]), ids(&[1, 2, 3, 9, 250])];
    let v = rand_vec(11, D, 1.0);
    let plain = m.forward(&batch).expect("plain");
    for site in [Site::ResidPre, Site::ResidMid, Site::ResidPost] {
        let mut run = steer_hook(&m, Run::new(), site, 0, &v, 0.0, Positions::All).expect("hook");
        let steered = m.run(&batch, &mut run).expect("steered");
        assert!(
            plain
                .data
                .iter()
                .zip(&steered.data)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{site}: α = 0 must leave the logits bit-identical"
        );
        let mut run = steer_hook(&m, Run::new(), site, 0, &v, 2.0, Positions::All).expect("hook");
        let steered = m.run(&batch, &mut run).expect("steered");
        assert!(
            plain
                .data
                .iter()
                .zip(&steered.data)
                .any(|(a, b)| (a - b).abs() > 1e-3),
            "{site}: α = 2 must change the logits"
        );
    }
}

#[test]
fn last_block_steering_equals_hand_computed_unembedding() {
    // Steering resid_post of the last block at the last position changes only the final
    // RMSNorm's input there: logits = W_E · (g ⊙ x' / rms(x')), x' = x + α v.
    let (w, m) = tiny();
    let p = ids(&[5, 77, 200, 3]);
    let v = rand_vec(12, D, 1.0);
    let alpha = 3.5f32;
    let (plain, cache) = m
        .run_with_cache(std::slice::from_ref(&p), &[HookPoint::ResidPost(L - 1)])
        .expect("cache");
    let x = &cache[&HookPoint::ResidPost(L - 1)].data;
    let last: Vec<f64> = x[(p.len() - 1) * D..]
        .iter()
        .zip(&v)
        .map(|(a, b)| *a as f64 + alpha as f64 * *b as f64)
        .collect();
    let rms = (last.iter().map(|a| a * a).sum::<f64>() / D as f64 + EPS as f64).sqrt();
    let g = w.get("output_norm.weight");
    let e = w.get("token_embd.weight");
    let normed: Vec<f64> = (0..D).map(|i| last[i] / rms * g[i] as f64).collect();
    let mut run = steer_hook(
        &m,
        Run::new(),
        Site::ResidPost,
        L - 1,
        &v,
        alpha,
        Positions::Last,
    )
    .expect("hook");
    let steered = m.run(std::slice::from_ref(&p), &mut run).expect("steered");
    let voc = vocab();
    let n = p.len();
    for t in 0..voc {
        let want: f64 = (0..D).map(|i| e[t * D + i] as f64 * normed[i]).sum();
        let got = steered.data[(n - 1) * voc + t] as f64;
        assert!(
            (got - want).abs() < 1e-4 * (1.0 + want.abs()),
            "token {t}: {got} vs {want}"
        );
    }
    // Earlier positions are untouched (bit for bit): the last position comes after them.
    assert!(
        plain.data[..(n - 1) * voc]
            .iter()
            .zip(&steered.data[..(n - 1) * voc])
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
}

#[test]
fn add_vector_positions() {
    let mut a = ganglion_interp::model::Activation {
        shape: vec![2, 3, 2],
        data: vec![0.0; 12],
    };
    add_vector(&mut a, &[1.0, -2.0], 0.5, Positions::Last);
    assert_eq!(a.data, [0., 0., 0., 0., 0.5, -1., 0., 0., 0., 0., 0.5, -1.]);
    add_vector(&mut a, &[2.0, 2.0], 1.0, Positions::From(2));
    assert_eq!(a.data, [0., 0., 0., 0., 2.5, 1., 0., 0., 0., 0., 2.5, 1.]);
    add_vector(&mut a, &[2.0, 2.0], -1.0, Positions::From(2));
    add_vector(&mut a, &[1.0, 1.0], 1.0, Positions::All);
    assert_eq!(a.data, [1., 1., 1., 1., 1.5, 0., 1., 1., 1., 1., 1.5, 0.]);
}

#[test]
fn steer_logit_diff_at_alpha_zero_is_the_clean_logit_diff() {
    let (_, m) = tiny();
    let prompts: Vec<Prompt> = ["Mary had", "a Mar", "x y z w"]
        .iter()
        .map(|p| Prompt {
            prompt: (*p).into(),
            correct: " Mar".into(),
            incorrect: " M".into(),
        })
        .collect();
    let clean = logit_diff(&m, &prompts, &[], Ablation::Zero).expect("clean");
    let v = rand_vec(13, D, 1.0);
    let r = steer_logit_diff(
        &m,
        &prompts,
        Site::ResidPre,
        1,
        &v,
        &[0.0, 4.0],
        Positions::All,
    )
    .expect("steer");
    assert_eq!(r.len(), 2);
    assert_eq!(r[0], clean);
    assert_ne!(r[1].mean_logit_diff, clean.mean_logit_diff);
}

#[test]
fn bad_input_is_reported() {
    let (_, m) = tiny();
    let set = vec![ids(&[1, 2])];
    let v = vec![0.5f32; D];
    let err = |r: Result<Run, ganglion_interp::model::ModelError>| match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    };
    let e = err(steer_hook(
        &m,
        Run::new(),
        Site::ResidPre,
        L,
        &v,
        1.0,
        Positions::All,
    ));
    assert!(e.contains("layer 2 is out of range"), "{e}");
    let e = err(steer_hook(
        &m,
        Run::new(),
        Site::ResidPre,
        0,
        &v,
        f32::NAN,
        Positions::All,
    ));
    assert!(e.contains("not finite"), "{e}");
    let e = err(steer_hook(
        &m,
        Run::new(),
        Site::ResidPre,
        0,
        &v[..3],
        1.0,
        Positions::All,
    ));
    assert!(e.contains("d_model = 16"), "{e}");
    let e = steering_vector(&m, &set, &[], Site::ResidPre, 0, Pool::Last)
        .expect_err("empty")
        .to_string();
    assert!(e.contains("0 negative"), "{e}");
    let e = steering_vector(&m, &set, &set, Site::ResidPost, 7, Pool::Last)
        .expect_err("layer")
        .to_string();
    assert!(e.contains("out of range"), "{e}");
    assert!("resid_pre".parse::<Site>() == Ok(Site::ResidPre));
    assert!("resid".parse::<Site>().is_err());
}

#[test]
fn smollm2_paris_steering_is_monotone_in_alpha() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    if !p.exists() {
        eprintln!("skipped: data/smollm2 not fetched (scripts/fetch-data.sh smollm2)");
        return;
    }
    let m = Model::load(&p).expect("model");
    let tok = m.tokenizer().expect("tokenizer");
    let enc = |s: &[&str]| -> Vec<Vec<u32>> { s.iter().map(|t| tok.encode_prompt(t)).collect() };
    let pos = enc(&["I love Paris", "We flew to Paris", "The streets of Paris"]);
    let neg = enc(&[
        "I love London",
        "We flew to London",
        "The streets of London",
    ]);
    let layer = 6;
    let v = steering_vector(&m, &pos, &neg, Site::ResidPre, layer, Pool::Last).expect("vector");
    let prompts = vec![Prompt {
        prompt: "Last summer we spent a week in the city of".into(),
        correct: " Paris".into(),
        incorrect: " London".into(),
    }];
    // Contrastive activation addition's range of multipliers (Rimsky et al. 2024 use −1..1
    // with the raw mean difference). Far outside it (α ≥ 2 here) the residual is pushed off
    // its usual scale and the logit difference saturates and wobbles, not monotone.
    let alphas = [-1.0, -0.5, 0.0, 0.5, 1.0];
    let r = steer_logit_diff(
        &m,
        &prompts,
        Site::ResidPre,
        layer,
        &v,
        &alphas,
        Positions::All,
    )
    .expect("steer");
    let diffs: Vec<f64> = r.iter().map(|x| x.mean_logit_diff).collect();
    eprintln!("Paris − London logit diff at α = {alphas:?}: {diffs:?}");
    assert!(
        diffs.windows(2).all(|w| w[1] > w[0]),
        "not monotone: {diffs:?}"
    );
    // Measured: −3.5, −2.9, 0.56, 5.7, 8.2 (layer 6, all positions).
    assert!(diffs[4] - diffs[2] > 2.0, "too small an effect: {diffs:?}");
    assert!(
        diffs[0] < 0.0 && diffs[2] > 0.0,
        "steering toward London must flip the preference: {diffs:?}"
    );
}
