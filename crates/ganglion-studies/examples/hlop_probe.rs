//! Probe of the `hlop-continual` study: one run per seed of one method with the quick or full
//! plan (optionally fewer images per task), printing the accuracy matrix, ACC, BWT and every
//! lateral fit (captured fractions, orthonormality).
//!
//! ```sh
//! cargo run --release -p ganglion-studies --example hlop_probe -- quick|full [SEEDS [TRAIN_PER_TASK [METHOD]]]
//! ```
//! METHOD: `hlop` (default), `finetune` or `replay`.
use ganglion_studies::Mode;
use ganglion_studies::studies::hlop_continual::continual::{Method, run};
use ganglion_studies::studies::hlop_continual::{load, plan};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = match args.first().map(String::as_str) {
        Some("full") => Mode::Full,
        _ => Mode::Quick,
    };
    let seeds: u64 = args
        .get(1)
        .map_or(1, |s| s.parse().expect("SEEDS is a count"));
    let mut plan = plan(mode);
    if let Some(n) = args.get(2) {
        plan.setup.train_per_task = n.parse().expect("TRAIN_PER_TASK is a count");
    }
    let method = match args.get(3).map(String::as_str) {
        Some("finetune") => Method::FineTune,
        Some("replay") => Method::Replay,
        _ => Method::Hlop,
    };
    let data = load(&plan).expect("Fashion-MNIST is fetched (scripts/fetch-data.sh fashion-mnist)");
    for seed in 0..seeds {
        let t = std::time::Instant::now();
        let o = run(&data, plan.setup, method, 9 + seed);
        println!(
            "seed {seed}: ACC {:.4} BWT {:.4} task-0 current change {:.3} ({:.0} s)",
            o.acc,
            o.bwt,
            o.task0_current_change,
            t.elapsed().as_secs_f64()
        );
        for row in &o.r {
            let row: Vec<f64> = row.iter().map(|a| (a * 1000.0).round() / 1000.0).collect();
            println!("  {row:?}");
        }
        for f in &o.fits {
            println!(
                "  task {} layer {} k {}: captured {:.3} of top-k, total {:.3}, orthonormality error {:.4}",
                f.task, f.layer, f.k, f.captured, f.total_captured, f.orthonormality_error
            );
        }
    }
}
