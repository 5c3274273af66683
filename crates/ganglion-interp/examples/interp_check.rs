//! The Rust side of the bench/interp checks (`tokenizer_check.py`, `reference_forward.py`).
//!
//! ```text
//! interp_check tokenize MODEL.gguf IN.json OUT.json   # IN: ["text", …]; OUT: [[ids], …]
//! interp_check logits MODEL.gguf IN.json OUT.bin      # IN: [[ids], …]; OUT: f32 LE logits,
//!                                                     #   prompt after prompt, [pos, vocab]
//! interp_check throughput MODEL.gguf BATCH LEN REPS   # tokens/s of the full forward
//! ```

use ganglion_interp::model::{Model, Run};
use std::path::Path;
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: interp_check tokenize MODEL.gguf IN.json OUT.json | logits MODEL.gguf IN.json OUT.bin | throughput MODEL.gguf BATCH LEN REPS";
    let mode = args.get(1).ok_or(usage)?;
    let model_path = Path::new(args.get(2).ok_or(usage)?);
    let t0 = Instant::now();
    let model = Model::load(model_path)?;
    eprintln!(
        "loaded {} in {:.2} s",
        model_path.display(),
        t0.elapsed().as_secs_f64()
    );
    match mode.as_str() {
        "tokenize" => {
            let texts: Vec<String> =
                serde_json::from_str(&std::fs::read_to_string(args.get(3).ok_or(usage)?)?)?;
            let tok = model.tokenizer()?;
            let ids: Vec<Vec<u32>> = texts.iter().map(|t| tok.encode(t)).collect();
            std::fs::write(args.get(4).ok_or(usage)?, serde_json::to_string(&ids)?)?;
        }
        "logits" => {
            let prompts: Vec<Vec<u32>> =
                serde_json::from_str(&std::fs::read_to_string(args.get(3).ok_or(usage)?)?)?;
            let mut out = Vec::new();
            for p in &prompts {
                let logits = model.forward(std::slice::from_ref(p))?;
                out.extend(logits.data.iter().flat_map(|v| v.to_le_bytes()));
            }
            std::fs::write(args.get(4).ok_or(usage)?, out)?;
        }
        "throughput" => {
            let batch: usize = args.get(3).ok_or(usage)?.parse()?;
            let len: usize = args.get(4).ok_or(usage)?.parse()?;
            let reps: usize = args.get(5).ok_or(usage)?.parse()?;
            // Deterministic, varied token ids (a multiplicative hash), not all one token.
            let prompts: Vec<Vec<u32>> = (0..batch)
                .map(|b| {
                    (0..len)
                        .map(|t| ((b * 7919 + t * 104_729 + 17) % model.cfg.d_vocab) as u32)
                        .collect()
                })
                .collect();
            let mut times = Vec::new();
            for _ in 0..reps {
                let t = Instant::now();
                let logits = model.run(&prompts, &mut Run::new())?;
                std::hint::black_box(&logits);
                times.push(t.elapsed().as_secs_f64());
            }
            times.sort_by(f64::total_cmp);
            let med = times[times.len() / 2];
            println!(
                "{{\"batch\": {batch}, \"len\": {len}, \"reps\": {reps}, \"median_s\": {med:.4}, \"tokens_per_s\": {:.1}, \"threads\": {}}}",
                (batch * len) as f64 / med,
                rayon::current_num_threads()
            );
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}
