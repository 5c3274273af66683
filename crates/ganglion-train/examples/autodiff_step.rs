//! Training-step time of the workspace's own general-path models on the workloads of
//! `bench/autodiff` (see its RESULTS.md), one JSON line per run like the bench's other sides:
//!
//! - `tf`: `ganglion_train::autodiff::transformer` — 2 pre-LN blocks, d = 64, 4 heads, MLP
//!   4d, vocabulary 128 plus a position stream of 64, causal, batch 16, cross-entropy, Adam.
//! - `elm`: `ganglion_train::autodiff::elm` — the paper's NeuronIO neuron (1278 inputs routed
//!   to 45 branches × 100 synapses, d_m = 20, 8002 parameters), batch 32, 100 steps,
//!   Bernoulli(0.02) input spikes, MSE against random targets, Adam.
//!
//! `cargo run --release -p ganglion-train --example autodiff_step -- tf|elm [reps]`

use std::time::Instant;

use ganglion_train::autodiff::elm::{Elm, ElmConfig};
use ganglion_train::autodiff::transformer::{
    Transformer, TransformerConfig, additive_mask, causal, cross_entropy,
};
use ganglion_train::autodiff::{Adam, DType, Device, Params, Result, Tensor, mse};

/// A model's parameters and one loss evaluation on fixed data.
type Workload = (Params, Box<dyn Fn() -> Result<Tensor>>);

fn transformer() -> Result<Workload> {
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
    let loss = move || {
        let logits = model.forward(&tokens, &mask)?.logits[0].reshape((b * t, vocab))?;
        cross_entropy(&logits, &targets, &weights)
    };
    Ok((params, Box::new(loss)))
}

fn elm() -> Result<Workload> {
    let (t, b) = (100usize, 32usize);
    let cfg = ElmConfig::neuronio(20);
    let n_in = cfg.num_input;
    let mut params = Params::new();
    let model = Elm::new(cfg, &mut params, "elm", 1, DType::F32)?;
    let x = Tensor::rand(0f32, 1f32, (t, b, n_in), &Device::Cpu)?
        .ge(0.98)?
        .to_dtype(DType::F32)?;
    let y = Tensor::randn(0f32, 1f32, (t, b, 2), &Device::Cpu)?;
    Ok((params, Box::new(move || mse(&model.forward(&x)?, &y))))
}

/// Peak resident memory of this process (VmHWM), MiB; 0 where /proc is unavailable.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "tf".into());
    let reps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let (params, loss) = match which.as_str() {
        "tf" => transformer()?,
        "elm" => elm()?,
        other => candle_core::bail!("autodiff_step: workload `{other}`; use tf or elm"),
    };
    let mut adam = Adam::new(&params, 1e-3)?;
    let mut times = Vec::with_capacity(reps);
    let mut last = 0.0;
    for r in 0..reps.max(1) + 2 {
        let t0 = Instant::now();
        last = adam.step(&params, &loss()?)?.0;
        if r >= 2 {
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"lib\":\"ganglion-train (candle 0.11)\",\"workload\":\"{which}-workspace\",\"params\":{},\"median_ms\":{:.3},\"min_ms\":{:.3},\"peak_rss_mib\":{:.1},\"loss\":{last:.4}}}",
        params.count(),
        times[times.len() / 2],
        times[0],
        peak_rss_mib()
    );
    Ok(())
}
