//! Training-step time of the workspace's own transformer (`ganglion_train::autodiff::
//! transformer`) on the bench's transformer workload (`bench/autodiff`): 2 pre-LN blocks,
//! d = 64, 4 heads, MLP 4d, vocabulary 128 plus a position stream of 64, causal, batch 16,
//! cross-entropy, Adam. Prints one JSON line like the bench's other sides.
//!
//! `cargo run --release -p ganglion-train --example transformer_step -- [reps]`

use std::time::Instant;

use ganglion_train::autodiff::transformer::{
    Transformer, TransformerConfig, additive_mask, causal, cross_entropy,
};
use ganglion_train::autodiff::{Adam, DType, Device, Params, Result, Tensor};

fn main() -> Result<()> {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let (b, t, vocab) = (16usize, 64usize, 128usize);
    let cfg = TransformerConfig {
        vocabs: vec![vocab, t],
        d_model: 64,
        heads: 4,
        layers: 2,
        d_ff: 256,
        outputs: vec![vocab],
    };
    let mut params = Params::new();
    let model = Transformer::new(cfg, &mut params, "tf", 1, DType::F32)?;
    let ids: Vec<u32> = (0..b * t)
        .map(|i| ((i * 7919 + 13) % vocab) as u32)
        .collect();
    let pos: Vec<u32> = (0..b * t).map(|i| (i % t) as u32).collect();
    let targets: Vec<usize> = (0..b * t).map(|i| (i * 104729 + 7) % vocab).collect();
    let tokens = [
        Tensor::from_vec(ids, (b, t), &Device::Cpu)?,
        Tensor::from_vec(pos, (b, t), &Device::Cpu)?,
    ];
    let mask = additive_mask(&causal(t), &[t, t])?;
    let weights = vec![1.0; b * t];
    let mut adam = Adam::new(&params, 1e-3)?;
    let mut times = Vec::with_capacity(reps);
    let mut last = 0.0;
    for r in 0..reps + 2 {
        let t0 = Instant::now();
        let out = model.forward(&tokens, &mask)?;
        let logits = out.logits[0].reshape((b * t, vocab))?;
        let loss = cross_entropy(&logits, &targets, &weights)?;
        last = adam.step(&params, &loss)?.0;
        if r >= 2 {
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"lib\":\"ganglion-train (candle 0.11)\",\"workload\":\"tf-workspace\",\"params\":{},\"median_ms\":{:.3},\"min_ms\":{:.3},\"loss\":{last:.4}}}",
        params.count(),
        times[times.len() / 2],
        times[0]
    );
    Ok(())
}
