//! The Rust side of `bench/interp/torch_bench.py` (ganglion-interp against a PyTorch
//! forward over the same dequantised weights).
//!
//! ```text
//! interp_bench forward MODEL.gguf IDS.json REPS LOGITS.bin   # full forward, every position
//! interp_bench sweep MODEL.gguf PAIRS.json OUT.json          # head patching, all heads
//! ```
//!
//! `IDS.json` is `[[id, …], …]` (one batch of equal-length prompts); the forward runs `REPS`
//! times, prints one JSON line with each pass's seconds, and writes the last pass's logits
//! `[batch, pos, vocab]` as little-endian `f32`. `PAIRS.json` is `{"clean": [[…]],
//! "corrupted": [[…]], "correct": […], "incorrect": […]}`; the sweep is
//! [`ganglion_interp::patching::patch_heads`] at all positions and writes its metrics and
//! seconds as JSON. Load time is reported apart from the timed work.

use ganglion_interp::model::{Model, Run};
use ganglion_interp::patching::{Pairs, patch_heads};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(serde::Deserialize)]
struct PairsFile {
    clean: Vec<Vec<u32>>,
    corrupted: Vec<Vec<u32>>,
    correct: Vec<u32>,
    incorrect: Vec<u32>,
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: interp_bench forward MODEL.gguf IDS.json REPS LOGITS.bin | sweep MODEL.gguf PAIRS.json OUT.json";
    let arg = |i: usize| args.get(i).ok_or(usage);
    let t0 = Instant::now();
    let model = Model::load(Path::new(arg(2)?))?;
    let load_s = t0.elapsed().as_secs_f64();
    match arg(1)?.as_str() {
        "forward" => {
            let ids: Vec<Vec<u32>> = serde_json::from_str(&std::fs::read_to_string(arg(3)?)?)?;
            let reps: usize = arg(4)?.parse()?;
            let mut times = Vec::new();
            let mut last = None;
            for _ in 0..reps {
                let t = Instant::now();
                let logits = model.run(&ids, &mut Run::new())?;
                times.push(t.elapsed().as_secs_f64());
                last = Some(logits);
            }
            let logits = last.ok_or("REPS must be at least 1")?;
            // Streamed, so that a second copy of the logits does not count in peak memory.
            let mut w = std::io::BufWriter::new(std::fs::File::create(arg(5)?)?);
            for v in &logits.data {
                w.write_all(&v.to_le_bytes())?;
            }
            w.flush()?;
            println!(
                "{}",
                serde_json::json!({"load_s": load_s, "times_s": times,
                    "threads": rayon::current_num_threads(), "shape": logits.shape})
            );
        }
        "sweep" => {
            let f: PairsFile = serde_json::from_str(&std::fs::read_to_string(arg(3)?)?)?;
            let pairs = Pairs {
                clean: &f.clean,
                corrupted: &f.corrupted,
                correct: &f.correct,
                incorrect: &f.incorrect,
            };
            let t = Instant::now();
            let r = patch_heads(&model, &pairs, false)?;
            let secs = t.elapsed().as_secs_f64();
            let out = serde_json::json!({"load_s": load_s, "time_s": secs,
                "threads": rayon::current_num_threads(), "clean": r.clean,
                "corrupted": r.corrupted, "patched": r.patched, "shape": r.shape});
            std::fs::write(arg(4)?, out.to_string())?;
            println!("{{\"time_s\": {secs:.3}}}");
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}
