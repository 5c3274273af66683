//! Sparse probing on SmolLM2 (when fetched; skipped otherwise): the feature "this token is a
//! digit" over the tokens of short mixed texts, neurons of one layer's `mlp.hook_post`. The
//! true answer (which neurons, if any, carry it) is not known; the test checks the plumbing
//! (one activation row per token, the held-out split by prompt) and that the probe beats
//! the majority-class baseline on held-out prompts, and prints the curve.

use ganglion_interp::model::Model;
use ganglion_interp::probing::{Rank, mlp_post_activations, sparse_probe};
use std::path::Path;

#[test]
fn smollm2_digit_tokens() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    if !p.exists() {
        eprintln!("skipped: data/smollm2 not fetched (scripts/fetch-data.sh smollm2)");
        return;
    }
    let m = Model::load(&p).expect("model");
    let tok = m.tokenizer().expect("tokenizer");
    let texts = [
        "I bought 3 apples and 12 pears for 45 cents.",
        "The train leaves at 7 and arrives at 19 hours.",
        "She was born in 1987 in a small town near the sea.",
        "Add 250 grams of flour and 2 eggs, then stir.",
        "Room 404 is on the fourth floor, next to room 405.",
        "There were 31 days in that month and 8 of them rained.",
        "Call me at 555 0199 after 6 tonight.",
        "He ran 42 kilometres in 3 hours and 9 minutes.",
    ];
    let ids: Vec<Vec<u32>> = texts.iter().map(|t| tok.encode_prompt(t)).collect();
    let layer = 4;
    let acts = mlp_post_activations(&m, &ids, layer).expect("activations");
    let d = m.cfg.d_mlp;
    let total: usize = ids.iter().map(Vec::len).sum();
    assert_eq!(acts.len(), total * d);
    let mut labels = Vec::new();
    let mut test = Vec::new();
    for (pi, p) in ids.iter().enumerate() {
        for &t in p {
            let s = tok.decode(&[t]);
            labels.push(!s.trim().is_empty() && s.trim().chars().all(|c| c.is_ascii_digit()));
            test.push(pi % 4 == 3);
        }
    }
    let pos = labels.iter().filter(|&&b| b).count();
    assert!(pos > 10 && pos < total / 2, "{pos} digit tokens of {total}");
    let held_pos = labels.iter().zip(&test).filter(|(y, t)| **y && **t).count();
    let held = test.iter().filter(|&&t| t).count();
    let baseline = 1.0 - held_pos as f64 / held as f64;
    let curve = sparse_probe(
        &acts,
        d,
        &labels,
        &test,
        &[1, 2, 4, 8, 16],
        Rank::FStat,
        1.0,
    )
    .expect("probe");
    for c in &curve {
        eprintln!(
            "k = {:>2}: held-out accuracy {:.3}, F1 {:.3}, neurons {:?}",
            c.k, c.accuracy, c.f1, c.neurons
        );
    }
    eprintln!("majority baseline {baseline:.3} ({held} held-out tokens)");
    let best = curve.iter().map(|c| c.accuracy).fold(0.0, f64::max);
    assert!(best > baseline, "best {best} vs baseline {baseline}");
}
