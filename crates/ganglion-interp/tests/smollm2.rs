//! Checks on the real model, SmolLM2-135M-Instruct (Q4_1 GGUF), when
//! `scripts/fetch-data.sh smollm2` has fetched it (skipped otherwise, with a note; CI
//! fetches it). One short prompt keeps the dev-profile test to seconds.

use ganglion_interp::gguf::GgufFile;
use ganglion_interp::model::Model;
use ganglion_interp::tokenizer::Tokenizer;
use std::path::{Path, PathBuf};

fn model_path() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: data/smollm2 not fetched (scripts/fetch-data.sh smollm2)");
        None
    }
}

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    ids: Vec<u32>,
}

#[derive(serde::Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[test]
fn tokenizer_matches_the_oracle_fixture() {
    let Some(path) = model_path() else { return };
    let f = GgufFile::open(&path).expect("gguf");
    let tok = Tokenizer::from_gguf(&f).expect("tokenizer");
    assert_eq!(tok.vocab_size(), 49152);
    assert!(!tok.add_bos);
    let fixture: Fixture =
        serde_json::from_str(include_str!("fixtures/tokenizer_smollm2.json")).expect("fixture");
    assert!(fixture.cases.len() >= 30);
    for c in &fixture.cases {
        assert_eq!(tok.encode(&c.text), c.ids, "{:?}", c.text);
    }
    // Decoding inverts encoding wherever the vocabulary has every byte of the text.
    for c in &fixture.cases {
        if !c.text.contains('\u{4}') {
            assert_eq!(tok.decode(&c.ids), c.text);
        }
    }
}

#[test]
fn paris_is_the_top_next_token() {
    let Some(path) = model_path() else { return };
    let m = Model::load(&path).expect("model");
    assert_eq!(
        (
            m.cfg.n_layers,
            m.cfg.d_model,
            m.cfg.n_heads,
            m.cfg.n_kv_heads
        ),
        (30, 576, 9, 3)
    );
    assert!(m.unembed.is_none(), "SmolLM2 ties its embeddings");
    let tok = m.tokenizer().expect("tokenizer");
    let ids = tok.encode("The capital of France is");
    let logits = m
        .run(&[ids], &mut ganglion_interp::model::Run::new().last_only())
        .expect("forward");
    let top = logits
        .data
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i as u32)
        .expect("non-empty");
    assert_eq!(tok.decode(&[top]), " Paris");

    // Direct logit attribution of " Paris" over " London" sums to the logit difference.
    let ids = vec![tok.encode("The capital of France is")];
    let (paris, london) = (tok.encode(" Paris")[0], tok.encode(" London")[0]);
    let a = ganglion_interp::attribution::logit_diff_attribution(&m, &ids, &[paris], &[london])
        .expect("attribution");
    let sum = a.embed[0] + (0..30).map(|l| a.attn_layer(0, l) + a.mlps[l]).sum::<f32>();
    assert!(a.logit_diff[0] > 0.0);
    assert!(
        (sum - a.logit_diff[0]).abs() < 1e-3 * a.logit_diff[0].abs(),
        "{sum} vs {}",
        a.logit_diff[0]
    );
}
