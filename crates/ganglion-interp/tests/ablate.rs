//! Logit differences and head ablation on the tiny random llama (tests/common): against
//! direct forward passes, an ablation by weight editing, and the mean-ablation identity.

mod common;

use common::*;
use ganglion_interp::ablate::{
    Ablation, Component, Head, Neuron, Prompt, logit_diff, read_prompts,
};
use ganglion_interp::model::{HookPoint, Model, Run};

fn model() -> Model {
    Model::from_gguf(&gguf(&weights(3))).expect("tiny model")
}

fn hd(layer: usize, head: usize) -> Component {
    Component::Head(Head { layer, head })
}

fn prompt(p: &str) -> Prompt {
    Prompt {
        prompt: p.into(),
        correct: " Mar".into(),
        incorrect: " M".into(),
    }
}

#[test]
fn clean_logit_diff_is_the_last_position_difference() {
    let m = model();
    let tok = m.tokenizer().expect("tokenizer");
    assert_eq!(
        (tok.encode(" Mar"), tok.encode(" M")),
        (vec![258], vec![256])
    );
    let prompts = vec![prompt("abc"), prompt("hello there"), prompt("xyz")];
    let r = logit_diff(&m, &prompts, &[], Ablation::Zero).expect("clean");
    for (p, res) in prompts.iter().zip(&r.per_prompt) {
        let ids = tok.encode(&p.prompt);
        let logits = m.forward(std::slice::from_ref(&ids)).expect("forward");
        let last = &logits.data[(ids.len() - 1) * vocab()..];
        assert!((res.logit_diff - (last[258] - last[256])).abs() < 1e-5);
        assert_eq!(res.tokens, ids.len());
    }
    let mean = r
        .per_prompt
        .iter()
        .map(|x| x.logit_diff as f64)
        .sum::<f64>()
        / 3.0;
    assert!((r.mean_logit_diff - mean).abs() < 1e-9);
    let acc = r.per_prompt.iter().filter(|x| x.logit_diff > 0.0).count() as f64 / 3.0;
    assert_eq!(r.accuracy, acc);
}

#[test]
fn zero_ablation_equals_zeroed_output_weights() {
    let m = model();
    let prompts = vec![prompt("abcd"), prompt("wxyz"), prompt("hi")];
    let heads = [(0, 1), (1, 3), (1, 0)];
    let neurons = [(0, 5), (1, 23)];
    let mut comps: Vec<Component> = heads.iter().map(|&(l, h)| hd(l, h)).collect();
    comps.extend(
        neurons
            .iter()
            .map(|&(layer, index)| Component::Neuron(Neuron { layer, index })),
    );
    let r = logit_diff(&m, &prompts, &comps, Ablation::Zero).expect("ablated");
    // The same ablations as weight edits: a head's columns of W_O, a neuron's column of
    // W_down set to zero.
    let mut m2 = m.clone();
    for (l, h) in heads {
        let wo = &mut m2.layers[l].w_o;
        for o in 0..D {
            wo[o * H * DH + h * DH..][..DH].fill(0.0);
        }
    }
    for (l, n) in neurons {
        for o in 0..D {
            m2.layers[l].w_down[o * FF + n] = 0.0;
        }
    }
    let want = logit_diff(&m2, &prompts, &[], Ablation::Zero).expect("edited");
    for (a, b) in r.per_prompt.iter().zip(&want.per_prompt) {
        assert!(
            (a.logit_diff - b.logit_diff).abs() < 1e-5,
            "{} vs {}",
            a.logit_diff,
            b.logit_diff
        );
    }
    let clean = logit_diff(&m, &prompts, &[], Ablation::Zero).expect("clean");
    assert!((clean.mean_logit_diff - r.mean_logit_diff).abs() > 1e-4);
}

#[test]
fn mean_ablation_is_the_per_position_batch_mean() {
    let m = model();
    // Identical prompts: the mean is each prompt's own z, so nothing changes.
    let same = vec![prompt("abcd"); 3];
    let head = [hd(1, 2)];
    let clean = logit_diff(&m, &same, &[], Ablation::Mean).expect("clean");
    let r = logit_diff(&m, &same, &head, Ablation::Mean).expect("mean of identical prompts");
    assert!((clean.mean_logit_diff - r.mean_logit_diff).abs() < 1e-5);
    let neuron = [Component::Neuron(Neuron { layer: 0, index: 3 })];
    let r = logit_diff(&m, &same, &neuron, Ablation::Mean).expect("neuron mean, identical prompts");
    assert!((clean.mean_logit_diff - r.mean_logit_diff).abs() < 1e-5);
    // Different prompts of one length: equal to replacing z by the mean computed by hand.
    let prompts = vec![prompt("abcd"), prompt("wxyz"), prompt("pqrs")];
    let r = logit_diff(&m, &prompts, &head, Ablation::Mean).expect("mean");
    let tok = m.tokenizer().expect("tokenizer");
    let ids: Vec<Vec<u32>> = prompts.iter().map(|p| tok.encode(&p.prompt)).collect();
    let (_, cache) = m.run_with_cache(&ids, &[HookPoint::Z(1)]).expect("cache");
    let z = &cache[&HookPoint::Z(1)];
    let p = ids[0].len();
    let mut mean = vec![0f32; p * DH];
    for b in 0..3 {
        for t in 0..p {
            for e in 0..DH {
                mean[t * DH + e] += z.at(&[b, t, 2, e]) / 3.0;
            }
        }
    }
    let logits = m
        .run(
            &ids,
            &mut Run::new().last_only().hook(HookPoint::Z(1), |z| {
                for b in 0..3 {
                    for t in 0..p {
                        let o = z.offset(&[b, t, 2, 0]);
                        z.data[o..o + DH].copy_from_slice(&mean[t * DH..(t + 1) * DH]);
                    }
                }
            }),
        )
        .expect("hand mean");
    for b in 0..3 {
        let row = &logits.data[b * vocab()..(b + 1) * vocab()];
        assert!((r.per_prompt[b].logit_diff - (row[258] - row[256])).abs() < 1e-5);
    }
}

#[test]
fn bad_input_is_reported() {
    let m = model();
    let mut bad = prompt("abc");
    bad.correct = " Mars".into();
    let e = logit_diff(&m, &[bad], &[], Ablation::Zero).expect_err("two-token answer");
    assert!(
        e.to_string()
            .contains("the correct answer \" Mars\" is 2 tokens"),
        "{e}"
    );
    let e = logit_diff(&m, &[prompt("abc")], &[hd(2, 0)], Ablation::Zero).expect_err("layer");
    assert!(
        e.to_string()
            .contains("head L2H0 is out of range: the model has layers 0..=1 and heads 0..=3"),
        "{e}"
    );
    let e = logit_diff(&m, &[prompt("abc")], &[hd(0, 4)], Ablation::Zero).expect_err("head");
    assert!(e.to_string().contains("head L0H4 is out of range"), "{e}");
    let e = logit_diff(
        &m,
        &[prompt("abc"), prompt("abcdef")],
        &[hd(0, 0)],
        Ablation::Mean,
    )
    .expect_err("lengths");
    assert!(
        e.to_string()
            .contains("mean-ablation needs prompts of one token length"),
        "{e}"
    );
    assert_eq!("L23H3".parse::<Head>(), Ok(Head { layer: 23, head: 3 }));
    assert!(
        "23.3"
            .parse::<Head>()
            .expect_err("format")
            .contains("write L<layer>H<head>")
    );
    assert!("median".parse::<Ablation>().is_err());

    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("p.jsonl");
    std::fs::write(&f, "{\"prompt\": \"a\", \"correct\": \" M\", \"incorrect\": \" Mar\"}\n\n{\"prompt\": \"b\"}\n")
        .expect("write");
    let e = read_prompts(&f).expect_err("missing fields");
    assert!(
        e.to_string().contains("p.jsonl:3: missing field `correct`"),
        "{e}"
    );
}

#[test]
fn mean_ablation_over_more_prompts_than_one_chunk() {
    // CHUNK + 6 prompts of one length: the mean is taken over two passes and must equal
    // the mean over one batch of all of them, computed by hand.
    let m = model();
    let n = ganglion_interp::ablate::CHUNK + 6;
    let letters = b"abcdefghijklmnopqrstuvwxyz";
    let prompts: Vec<Prompt> = (0..n)
        .map(|i| {
            let s: String = (0..4)
                .map(|k| letters[(i * 7 + k * 11 + i / 26) % 26] as char)
                .collect();
            prompt(&s)
        })
        .collect();
    let head = [hd(0, 1)];
    let r = logit_diff(&m, &prompts, &head, Ablation::Mean).expect("mean over two chunks");
    let tok = m.tokenizer().expect("tokenizer");
    let ids: Vec<Vec<u32>> = prompts.iter().map(|p| tok.encode(&p.prompt)).collect();
    let p = ids[0].len();
    assert!(ids.iter().all(|t| t.len() == p));
    let (_, cache) = m.run_with_cache(&ids, &[HookPoint::Z(0)]).expect("cache");
    let z = &cache[&HookPoint::Z(0)];
    let mut mean = vec![0f64; p * DH];
    for b in 0..n {
        for t in 0..p {
            for e in 0..DH {
                mean[t * DH + e] += z.at(&[b, t, 1, e]) as f64 / n as f64;
            }
        }
    }
    let mean: Vec<f32> = mean.iter().map(|&v| v as f32).collect();
    let logits = m
        .run(
            &ids,
            &mut Run::new().last_only().hook(HookPoint::Z(0), |z| {
                for b in 0..n {
                    for t in 0..p {
                        let o = z.offset(&[b, t, 1, 0]);
                        z.data[o..o + DH].copy_from_slice(&mean[t * DH..(t + 1) * DH]);
                    }
                }
            }),
        )
        .expect("hand mean");
    for b in 0..n {
        let row = &logits.data[b * vocab()..(b + 1) * vocab()];
        let want = row[258] - row[256];
        assert!(
            (r.per_prompt[b].logit_diff - want).abs() < 1e-5,
            "prompt {b}: {} vs {want}",
            r.per_prompt[b].logit_diff
        );
    }
    // The prompts differ, so the ablation changes something.
    let clean = logit_diff(&m, &prompts, &[], Ablation::Zero).expect("clean");
    assert!((clean.mean_logit_diff - r.mean_logit_diff).abs() > 1e-5);
}
