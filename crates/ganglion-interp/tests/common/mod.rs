//! A tiny random llama written as GGUF (weights in llama.cpp's stored layout, q/k rows
//! permuted per head as its converter writes them), and a plain reference forward pass over
//! those stored weights with llama.cpp's adjacent-pair RoPE.

#![allow(dead_code)]

use ganglion_interp::gguf::{GgufFile, GgufWriter, Value};
use ganglion_interp::tokenizer::byte_to_char;

pub const L: usize = 2;
pub const D: usize = 16;
pub const H: usize = 4;
pub const KV: usize = 2;
pub const DH: usize = D / H;
pub const FF: usize = 24;
pub const BASE: f64 = 10000.0;
pub const EPS: f32 = 1e-5;

/// Deterministic pseudo-random values in [-scale, scale) (SplitMix64).
pub fn rand_vec(seed: u64, n: usize, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

/// The stored weights of the tiny model, by GGUF tensor name, row-major.
pub struct Weights {
    pub tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
}

impl Weights {
    pub fn n_layers(&self) -> usize {
        self.tensors
            .iter()
            .filter(|t| t.0.ends_with("attn_norm.weight"))
            .count()
    }

    pub fn get(&self, name: &str) -> &[f32] {
        &self
            .tensors
            .iter()
            .find(|t| t.0 == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .2
    }
}

pub fn vocab() -> usize {
    256 + 3
}

pub fn weights(seed: u64) -> Weights {
    weights_layers(seed, L)
}

/// Weights of a tiny model with `n_layers` blocks ([`reference_logits`] assumes [`L`]).
pub fn weights_layers(seed: u64, n_layers: usize) -> Weights {
    let v = vocab();
    let mut t = vec![(
        "token_embd.weight".to_string(),
        vec![v, D],
        rand_vec(seed, v * D, 1.0),
    )];
    for l in 0..n_layers {
        let s = seed + 100 * (l as u64 + 1);
        let mut add = |name: &str, shape: Vec<usize>, data: Vec<f32>| {
            t.push((format!("blk.{l}.{name}.weight"), shape, data));
        };
        add(
            "attn_norm",
            vec![D],
            rand_vec(s + 1, D, 0.5).iter().map(|x| 1.0 + x).collect(),
        );
        add("attn_q", vec![H * DH, D], rand_vec(s + 2, H * DH * D, 0.6));
        add(
            "attn_k",
            vec![KV * DH, D],
            rand_vec(s + 3, KV * DH * D, 0.6),
        );
        add(
            "attn_v",
            vec![KV * DH, D],
            rand_vec(s + 4, KV * DH * D, 0.5),
        );
        add(
            "attn_output",
            vec![D, H * DH],
            rand_vec(s + 5, D * H * DH, 0.4),
        );
        add(
            "ffn_norm",
            vec![D],
            rand_vec(s + 6, D, 0.5).iter().map(|x| 1.0 + x).collect(),
        );
        add("ffn_gate", vec![FF, D], rand_vec(s + 7, FF * D, 0.5));
        add("ffn_up", vec![FF, D], rand_vec(s + 8, FF * D, 0.5));
        add("ffn_down", vec![D, FF], rand_vec(s + 9, D * FF, 0.4));
    }
    t.push((
        "output_norm.weight".into(),
        vec![D],
        rand_vec(seed + 7, D, 0.3).iter().map(|x| 1.0 + x).collect(),
    ));
    Weights { tensors: t }
}

/// The tiny model as a GGUF file: F32 weights, tied embeddings, a byte vocabulary with
/// three merges (" M", "ar", " Mar") so that multi-byte answers exist.
pub fn gguf(w: &Weights) -> GgufFile {
    gguf_with(w, &[])
}

/// [`gguf`] with extra metadata appended.
pub fn gguf_with(w: &Weights, extra: &[(&str, Value)]) -> GgufFile {
    gguf_edit(w, extra, &[])
}

/// The tiny model's GGUF with metadata keys set to `extra` (replacing the defaults) and
/// the keys in `drop` left out.
pub fn gguf_edit(w: &Weights, extra: &[(&str, Value)], drop: &[&str]) -> GgufFile {
    let mut meta: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String("llama".into())),
        ("llama.block_count".into(), Value::U32(w.n_layers() as u32)),
        ("llama.context_length".into(), Value::U32(64)),
        ("llama.embedding_length".into(), Value::U32(D as u32)),
        ("llama.feed_forward_length".into(), Value::U32(FF as u32)),
        ("llama.attention.head_count".into(), Value::U32(H as u32)),
        (
            "llama.attention.head_count_kv".into(),
            Value::U32(KV as u32),
        ),
        ("llama.rope.freq_base".into(), Value::F32(BASE as f32)),
        (
            "llama.attention.layer_norm_rms_epsilon".into(),
            Value::F32(EPS),
        ),
        ("llama.rope.dimension_count".into(), Value::U32(DH as u32)),
        ("tokenizer.ggml.model".into(), Value::String("gpt2".into())),
        ("tokenizer.ggml.pre".into(), Value::String("smollm".into())),
    ];
    let mut toks: Vec<Value> = byte_to_char()
        .iter()
        .map(|c| Value::String(c.to_string()))
        .collect();
    for t in ["ĠM", "ar", "ĠMar"] {
        toks.push(Value::String(t.into()));
    }
    let merges = ["Ġ M", "a r", "ĠM ar"]
        .iter()
        .map(|m| Value::String(m.to_string()))
        .collect();
    meta.push(("tokenizer.ggml.tokens".into(), Value::Array(8, toks)));
    meta.push(("tokenizer.ggml.merges".into(), Value::Array(8, merges)));
    let mut g = GgufWriter::new();
    for (k, v) in &meta {
        if !drop.contains(&k.as_str()) && !extra.iter().any(|(e, _)| e == k) {
            g.meta(k, v.clone());
        }
    }
    for (k, v) in extra {
        g.meta(k, v.clone());
    }
    for (name, shape, data) in &w.tensors {
        g.tensor_f32(name, shape, data);
    }
    GgufFile::parse(g.to_bytes(), "tiny.gguf").expect("tiny model parses")
}

fn rms(x: &[f32], w: &[f32]) -> Vec<f32> {
    let ms = x.iter().map(|v| (v * v) as f64).sum::<f64>() / x.len() as f64;
    let s = (ms + EPS as f64).sqrt();
    x.iter()
        .zip(w)
        .map(|(x, w)| (*x as f64 / s * *w as f64) as f32)
        .collect()
}

fn mv(w: &[f32], x: &[f32]) -> Vec<f32> {
    w.chunks(x.len())
        .map(|r| {
            r.iter()
                .zip(x)
                .map(|(a, b)| *a as f64 * *b as f64)
                .sum::<f64>() as f32
        })
        .collect()
}

/// Logits `[pos, vocab]` for one prompt, by the plainest loops over the stored weights.
pub fn reference_logits(w: &Weights, ids: &[u32]) -> Vec<Vec<f32>> {
    let p = ids.len();
    let emb = w.get("token_embd.weight");
    let mut x: Vec<Vec<f32>> = ids
        .iter()
        .map(|&i| emb[i as usize * D..][..D].to_vec())
        .collect();
    for l in 0..L {
        let g = |n: &str| w.get(&format!("blk.{l}.{n}.weight"));
        let h: Vec<Vec<f32>> = x.iter().map(|r| rms(r, g("attn_norm"))).collect();
        let rot = |v: Vec<f32>, t: usize| -> Vec<f32> {
            // llama.cpp: pairs (2i, 2i+1) of every head turn by t·base^(−2i/d_head).
            let mut o = v.clone();
            for hd in 0..v.len() / DH {
                for i in 0..DH / 2 {
                    let th = t as f64 * BASE.powf(-2.0 * i as f64 / DH as f64);
                    let (a, b) = (v[hd * DH + 2 * i] as f64, v[hd * DH + 2 * i + 1] as f64);
                    o[hd * DH + 2 * i] = (a * th.cos() - b * th.sin()) as f32;
                    o[hd * DH + 2 * i + 1] = (a * th.sin() + b * th.cos()) as f32;
                }
            }
            o
        };
        let q: Vec<Vec<f32>> = h
            .iter()
            .enumerate()
            .map(|(t, r)| rot(mv(g("attn_q"), r), t))
            .collect();
        let k: Vec<Vec<f32>> = h
            .iter()
            .enumerate()
            .map(|(t, r)| rot(mv(g("attn_k"), r), t))
            .collect();
        let v: Vec<Vec<f32>> = h.iter().map(|r| mv(g("attn_v"), r)).collect();
        for i in 0..p {
            let mut z = vec![0f32; H * DH];
            for hd in 0..H {
                let kv = hd / (H / KV);
                let s: Vec<f64> = (0..=i)
                    .map(|j| {
                        (0..DH)
                            .map(|e| q[i][hd * DH + e] as f64 * k[j][kv * DH + e] as f64)
                            .sum::<f64>()
                            / (DH as f64).sqrt()
                    })
                    .collect();
                let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = s.iter().map(|v| (v - m).exp()).collect();
                let sum: f64 = e.iter().sum();
                for (j, a) in e.iter().enumerate() {
                    for d in 0..DH {
                        z[hd * DH + d] += (a / sum * v[j][kv * DH + d] as f64) as f32;
                    }
                }
            }
            let o = mv(g("attn_output"), &z);
            for d in 0..D {
                x[i][d] += o[d];
            }
        }
        for r in x.iter_mut() {
            let h = rms(r, g("ffn_norm"));
            let gate = mv(g("ffn_gate"), &h);
            let up = mv(g("ffn_up"), &h);
            let post: Vec<f32> = gate
                .iter()
                .zip(&up)
                .map(|(g, u)| g / (1.0 + (-g).exp()) * u)
                .collect();
            let o = mv(g("ffn_down"), &post);
            for d in 0..D {
                r[d] += o[d];
            }
        }
    }
    x.iter()
        .map(|r| mv(emb, &rms(r, w.get("output_norm.weight"))))
        .collect()
}
