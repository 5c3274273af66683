//! The forward pass and its hooks on a tiny random llama (2 layers, 4 query heads sharing 2
//! key/value heads) written as GGUF by the test: logits against a plain reference over the
//! stored (permuted) weights, causality, batching, hook identities, ablation and patching.

mod common;

use common::*;
use ganglion_interp::gguf::{GgufWriter, Value};
use ganglion_interp::model::{HookPoint, Model, ModelError, Run};

fn model() -> (Weights, Model) {
    let w = weights(3);
    let m = Model::from_gguf(&gguf(&w)).expect("tiny model loads");
    (w, m)
}

fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    let worst = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(
        worst <= tol * scale,
        "{what}: max |diff| {worst} > {tol} × {scale}"
    );
}

#[test]
fn logits_match_the_plain_reference() {
    let (w, m) = model();
    assert_eq!(
        (m.cfg.n_heads, m.cfg.n_kv_heads, m.cfg.d_head, m.cfg.d_vocab),
        (H, KV, DH, vocab())
    );
    let ids = vec![5u32, 77, 200, 3, 258, 41, 41, 9];
    let logits = m.forward(std::slice::from_ref(&ids)).expect("forward");
    assert_eq!(logits.shape, [1, ids.len(), vocab()]);
    let want = reference_logits(&w, &ids);
    for (t, row) in want.iter().enumerate() {
        close(
            &logits.data[t * vocab()..(t + 1) * vocab()],
            row,
            1e-5,
            &format!("position {t}"),
        );
    }
}

#[test]
fn causal_and_batched() {
    let (_, m) = model();
    let a = vec![1u32, 2, 3, 4, 5];
    let b = vec![1u32, 2, 3, 9, 250];
    let both = m.forward(&[a.clone(), b.clone()]).expect("batch");
    let la = m.forward(std::slice::from_ref(&a)).expect("a");
    let lb = m.forward(std::slice::from_ref(&b)).expect("b");
    let n = 5 * vocab();
    close(&both.data[..n], &la.data, 1e-6, "batch row 0");
    close(&both.data[n..], &lb.data, 1e-6, "batch row 1");
    // The first three positions cannot see the tokens that differ.
    close(
        &la.data[..3 * vocab()],
        &lb.data[..3 * vocab()],
        1e-6,
        "causal prefix",
    );
    assert!(
        la.data[3 * vocab()..]
            .iter()
            .zip(&lb.data[3 * vocab()..])
            .any(|(x, y)| (x - y).abs() > 1e-3)
    );
    let last = m
        .run(&[a.clone(), b.clone()], &mut Run::new().last_only())
        .expect("last only");
    assert_eq!(last.shape, [2, 1, vocab()]);
    close(
        &last.data[..vocab()],
        &la.data[4 * vocab()..],
        1e-6,
        "last-position logits",
    );
}

#[test]
fn cached_activations_obey_the_block_equations() {
    let (w, m) = model();
    let ids = vec![vec![7u32, 8, 9, 10], vec![100, 101, 102, 103]];
    let all = HookPoint::all(L);
    let (logits, cache) = m.run_with_cache(&ids, &all).expect("cache");
    assert_eq!(cache.len(), all.len());
    let (b, p) = (2, 4);
    for l in 0..L {
        let get = |pt: HookPoint| &cache[&pt];
        let pre = get(HookPoint::ResidPre(l));
        let attn = get(HookPoint::AttnOut(l));
        let mid = get(HookPoint::ResidMid(l));
        let sum: Vec<f32> = pre
            .data
            .iter()
            .zip(&attn.data)
            .map(|(a, b)| a + b)
            .collect();
        close(&mid.data, &sum, 1e-6, "resid_mid = resid_pre + attn_out");
        let post = get(HookPoint::ResidPost(l));
        let sum: Vec<f32> = mid
            .data
            .iter()
            .zip(&get(HookPoint::MlpOut(l)).data)
            .map(|(a, b)| a + b)
            .collect();
        close(&post.data, &sum, 1e-6, "resid_post = resid_mid + mlp_out");
        // attn_out is z times W_O, summed over heads.
        let z = get(HookPoint::Z(l));
        assert_eq!(z.shape, [b, p, H, DH]);
        let wo = w.get(&format!("blk.{l}.attn_output.weight"));
        for r in 0..b * p {
            for o in 0..D {
                let v: f32 = (0..H * DH)
                    .map(|c| z.data[r * H * DH + c] * wo[o * H * DH + c])
                    .sum();
                assert!((v - attn.data[r * D + o]).abs() < 1e-5);
            }
        }
        // Patterns are causal probability rows.
        let pat = get(HookPoint::Pattern(l));
        assert_eq!(pat.shape, [b, H, p, p]);
        for row in 0..b * H * p {
            let i = row % p;
            let r = &pat.data[row * p..(row + 1) * p];
            assert!((r.iter().sum::<f32>() - 1.0).abs() < 1e-6);
            assert!(r[i + 1..].iter().all(|&v| v == 0.0));
        }
        let scores = get(HookPoint::AttnScores(l));
        assert_eq!(scores.at(&[0, 0, 0, 1]), f32::NEG_INFINITY);
        // mlp.hook_post = silu(hook_pre) · hook_pre_linear.
        let (g, u, po) = (
            get(HookPoint::MlpPre(l)),
            get(HookPoint::MlpPreLinear(l)),
            get(HookPoint::MlpPost(l)),
        );
        for i in 0..g.data.len() {
            let want = g.data[i] / (1.0 + (-g.data[i]).exp()) * u.data[i];
            assert!((po.data[i] - want).abs() < 1e-6);
        }
        // ln1.hook_scale = √(mean(resid_pre²) + ε).
        let s = get(HookPoint::Ln1Scale(l));
        assert_eq!(s.shape, [b, p, 1]);
        for r in 0..b * p {
            let x = &pre.data[r * D..(r + 1) * D];
            let want = (x.iter().map(|v| v * v).sum::<f32>() / D as f32 + EPS).sqrt();
            assert!((s.data[r] - want).abs() < 1e-5 * want);
        }
        assert_eq!(get(HookPoint::K(l)).shape, [b, p, KV, DH]);
        // RoPE leaves position 0 alone.
        let (q, rq) = (get(HookPoint::Q(l)), get(HookPoint::RotQ(l)));
        close(
            &rq.data[..H * DH],
            &q.data[..H * DH],
            1e-7,
            "rot_q at position 0",
        );
    }
    assert_eq!(cache[&HookPoint::Logits], logits);
    assert_eq!(
        cache[&HookPoint::Embed].data[..D],
        w.get("token_embd.weight")[7 * D..8 * D]
    );
}

#[test]
fn hook_names_round_trip() {
    for p in HookPoint::all(L) {
        let name = p.to_string();
        assert_eq!(name.parse::<HookPoint>().expect("parses"), p, "{name}");
    }
    assert_eq!(HookPoint::Z(1).to_string(), "blocks.1.attn.hook_z");
    assert_eq!(HookPoint::MlpPre(0).to_string(), "blocks.0.mlp.hook_pre");
    assert_eq!(HookPoint::LnFinalScale.to_string(), "ln_final.hook_scale");
    let err = "blocks.1.attn.hook_zz"
        .parse::<HookPoint>()
        .expect_err("unknown");
    assert!(err.contains("unknown hook point"), "{err}");
}

#[test]
fn zero_ablating_a_head_equals_zeroing_its_output_weights() {
    let (_, m) = model();
    let ids = vec![vec![3u32, 1, 4, 1, 5, 9]];
    let (layer, head) = (1, 2);
    let ablated = m
        .run(
            &ids,
            &mut Run::new().hook(HookPoint::Z(layer), |z| {
                let (b, p, h, dh) = (z.shape[0], z.shape[1], z.shape[2], z.shape[3]);
                for r in 0..b * p {
                    z.data[(r * h + head) * dh..(r * h + head + 1) * dh].fill(0.0);
                }
            }),
        )
        .expect("ablated");
    let mut m2 = m.clone();
    let wo = &mut m2.layers[layer].w_o;
    for o in 0..D {
        wo[o * H * DH + head * DH..o * H * DH + (head + 1) * DH].fill(0.0);
    }
    let edited = m2.forward(&ids).expect("edited weights");
    close(
        &ablated.data,
        &edited.data,
        1e-6,
        "hook ablation vs weight edit",
    );
    let clean = m.forward(&ids).expect("clean");
    assert!(
        clean
            .data
            .iter()
            .zip(&ablated.data)
            .any(|(a, b)| (a - b).abs() > 1e-3)
    );
}

#[test]
fn patching_the_whole_residual_stream_transplants_the_run() {
    let (_, m) = model();
    let clean = vec![vec![10u32, 20, 30, 40]];
    let corrupt = vec![vec![11u32, 21, 31, 41]];
    let (clean_logits, cache) = m
        .run_with_cache(&clean, &[HookPoint::ResidPre(1)])
        .expect("clean");
    let stored = cache[&HookPoint::ResidPre(1)].clone();
    let patched = m
        .run(
            &corrupt,
            &mut Run::new().hook(HookPoint::ResidPre(1), |x| {
                x.data.copy_from_slice(&stored.data)
            }),
        )
        .expect("patched");
    close(&patched.data, &clean_logits.data, 1e-6, "patched = clean");
    // An identity hook changes nothing, and a hook may stack with a cache of the same point.
    let mut run = Run::new()
        .hook(HookPoint::Pattern(0), |_| {})
        .cache(&[HookPoint::Pattern(0)]);
    let same = m.run(&corrupt, &mut run).expect("identity");
    assert_eq!(same, m.forward(&corrupt).expect("plain"));
    assert!(run.cache.contains_key(&HookPoint::Pattern(0)));
}

#[test]
fn bad_input_is_reported() {
    let (w, m) = model();
    let msg = |e: ModelError| e.to_string();
    let e = m
        .forward(&[vec![1, 2], vec![1, 2, 3]])
        .expect_err("unequal");
    assert!(msg(e).contains("prompt 1 has 3 tokens but prompt 0 has 2"));
    let e = m.forward(&[vec![1, 9999]]).expect_err("vocab");
    assert!(msg(e).contains("token id 9999, outside the vocabulary of 259"));
    assert!(msg(m.forward(&[]).expect_err("empty")).contains("no prompts"));
    let e = m
        .run(&[vec![1]], &mut Run::new().hook(HookPoint::Z(5), |_| {}))
        .expect_err("layer");
    assert!(msg(e).contains("blocks.5.attn.hook_z names a layer outside 0..2"));

    let mut g = GgufWriter::new();
    g.meta(
        "general.architecture",
        ganglion_interp::gguf::Value::String("gpt2".into()),
    );
    let f = ganglion_interp::gguf::GgufFile::parse(g.to_bytes(), "g.gguf").expect("parse");
    let e = Model::from_gguf(&f).expect_err("arch");
    assert!(msg(e).contains("architecture \"gpt2\" is not supported"));

    let scaled = gguf_with(
        &w,
        &[(
            "llama.rope.scaling.type",
            ganglion_interp::gguf::Value::String("linear".into()),
        )],
    );
    let e = Model::from_gguf(&scaled).expect_err("rope scaling");
    assert!(msg(e).contains("RoPE scaling \"linear\" is not supported"));

    // Llama-3-style scaling: per-frequency factors as a tensor, no scaling-type key.
    let mut w3 = weights(3);
    w3.tensors
        .push(("rope_freqs.weight".into(), vec![DH / 2], vec![1.0; DH / 2]));
    let e = Model::from_gguf(&gguf(&w3)).expect_err("rope_freqs");
    assert!(
        msg(e)
            .contains("rope_freqs.weight (Llama-3-style RoPE frequency scaling) is not supported")
    );

    // Head widths other than d_model / n_heads.
    let wide = gguf_with(&w, &[("llama.attention.key_length", Value::U32(8))]);
    let e = Model::from_gguf(&wide).expect_err("key_length");
    assert!(msg(e).contains("llama.attention.key_length is U32(8) but width / heads is 4"));
    let same = gguf_with(
        &w,
        &[("llama.attention.value_length", Value::U32(DH as u32))],
    );
    Model::from_gguf(&same).expect("value_length equal to d_head is fine");

    // A SentencePiece tokenizer: the weights load, the tokenizer reports why it is absent.
    let spm = gguf_with(
        &w,
        &[("tokenizer.ggml.model", Value::String("llama".into()))],
    );
    let m2 = Model::from_gguf(&spm).expect("weights load without a usable tokenizer");
    m2.forward(&[vec![1, 2, 3]])
        .expect("forward needs no tokenizer");
    let e = m2.tokenizer().expect_err("no BPE tokenizer");
    assert!(msg(e).contains("\"llama\" is not supported (only byte-level BPE"));
    // No pre-tokenizer key: refused, not guessed.
    let no_pre = gguf_edit(&w, &[], &["tokenizer.ggml.pre"]);
    let e = Model::from_gguf(&no_pre)
        .expect("weights load")
        .tokenizer()
        .expect_err("no pre-tokenizer");
    let text = msg(e);
    assert!(
        text.contains("tokenizer.ggml.pre") && text.contains("absent"),
        "{text}"
    );

    // Cache points are checked like hooks.
    let e = m
        .run(&[vec![1]], &mut Run::new().cache(&[HookPoint::MlpOut(2)]))
        .expect_err("cache layer");
    assert!(msg(e).contains("cache point blocks.2.hook_mlp_out names a layer outside 0..2"));
    let resid = m
        .run_with_cache(&[vec![1, 2]], &[HookPoint::ResidPre(1)])
        .expect("resid")
        .1
        .remove(&HookPoint::ResidPre(1))
        .expect("cached");
    let e = m
        .run(
            &[vec![1, 2]],
            &mut Run::new()
                .start_at_layer(1, resid)
                .cache(&[HookPoint::Z(0)]),
        )
        .expect_err("cache before start");
    assert!(msg(e).contains("cache point blocks.0.attn.hook_z would never be filled"));

    // A weight of the wrong shape names the tensor and both shapes.
    let mut w2 = weights(3);
    for t in &mut w2.tensors {
        if t.0 == "blk.1.ffn_up.weight" {
            t.1 = vec![D, FF];
        }
    }
    let e = Model::from_gguf(&gguf(&w2)).expect_err("shape");
    assert!(msg(e).contains(
        "\"blk.1.ffn_up.weight\" has shape [16, 24] (row-major) but [24, 16] was expected"
    ));
}

#[test]
#[should_panic(expected = "changed the activation's shape")]
fn a_hook_may_not_change_the_shape() {
    let (_, m) = model();
    let _ = m.run(
        &[vec![1, 2]],
        &mut Run::new().hook(HookPoint::ResidPre(0), |x| x.data.push(0.0)),
    );
}

#[test]
fn caching_every_point_leaves_the_logits_bit_for_bit() {
    let (_, m) = model();
    let ids = vec![vec![5u32, 77, 200, 3, 258], vec![9u32, 1, 41, 41, 2]];
    let plain = m.forward(&ids).expect("forward");
    let (cached, cache) = m
        .run_with_cache(&ids, &HookPoint::all(m.cfg.n_layers))
        .expect("cache");
    assert_eq!(cache.len(), HookPoint::all(m.cfg.n_layers).len());
    assert!(
        plain
            .data
            .iter()
            .zip(&cached.data)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "cached logits differ from forward"
    );
    // An identity hook on a norm scale recomputes the normed input with the same formula.
    let mut run = Run::new()
        .hook(HookPoint::Ln1Scale(0), |_| {})
        .hook(HookPoint::Ln2Scale(1), |_| {})
        .hook(HookPoint::LnFinalScale, |_| {});
    let hooked = m.run(&ids, &mut run).expect("identity hooks");
    assert!(
        plain
            .data
            .iter()
            .zip(&hooked.data)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "identity norm-scale hooks changed the logits"
    );
}
