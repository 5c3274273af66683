//! Probe of the `hlop-continual` study: one HLOP run per seed with the quick or full setup
//! (optionally fewer images per task), printing the accuracy matrix's ACC and BWT and every
//! lateral fit (captured fractions, orthonormality).
//!
//! ```sh
//! cargo run --release -p ganglion-studies --example hlop_probe -- quick|full [SEEDS [TRAIN_PER_TASK [METHOD]]]
//! ```
//! METHOD: `hlop` (default), `finetune` or `replay`.
use ganglion_studies::studies::hlop_continual::continual::{Data, Method, Setup, run};
use ganglion_studies::studies::homeostatic_shift::online::downsample;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.first().is_some_and(|a| a == "full");
    let seeds: u64 = args
        .get(1)
        .map_or(1, |s| s.parse().expect("SEEDS is a count"));
    let mut setup = if full {
        Setup {
            tasks: 5,
            train_per_task: 10000,
            test_per_task: 2000,
            hidden: 200,
            steps: 10,
            epochs: 2,
            batch: 32,
            lr: 10.0,
            momentum: 0.9,
            clip: 1.0,
            lateral_per_task: [100, 40],
            hebb_epochs: 8,
            hebb_batch: 32,
            hebb_rate: 0.5,
            replay_per_task: 200,
        }
    } else {
        Setup {
            tasks: 3,
            train_per_task: 1500,
            test_per_task: 500,
            hidden: 64,
            steps: 10,
            epochs: 2,
            batch: 32,
            lr: 10.0,
            momentum: 0.9,
            clip: 1.0,
            lateral_per_task: [40, 20],
            hebb_epochs: 8,
            hebb_batch: 32,
            hebb_rate: 0.5,
            replay_per_task: 50,
        }
    };
    if let Some(n) = args.get(2) {
        setup.train_per_task = n.parse().expect("TRAIN_PER_TASK is a count");
    }
    let method = match args.get(3).map(String::as_str) {
        Some("finetune") => Method::FineTune,
        Some("replay") => Method::Replay,
        _ => Method::Hlop,
    };
    let pool = if full { 1 } else { 2 };
    let (train, test) = ganglion_studies::data::fashion_mnist().expect("Fashion-MNIST is fetched");
    let train = downsample(&train.truncate(setup.train_per_task), pool);
    let test = downsample(&test.truncate(setup.test_per_task), pool);
    let data = Data {
        d: train.dim(),
        train: train.images,
        train_labels: train.labels,
        test: test.images,
        test_labels: test.labels,
    };
    for seed in 0..seeds {
        let t = std::time::Instant::now();
        let o = run(&data, setup, method, 9 + seed);
        println!(
            "seed {seed}: ACC {:.4} BWT {:.4} task-0 current change {:.3} ({:.0} s)",
            o.acc,
            o.bwt,
            o.task0_current_change,
            t.elapsed().as_secs_f64()
        );
        for row in &o.r {
            println!(
                "  {:?}",
                row.iter()
                    .map(|a| (a * 1000.0).round() / 1000.0)
                    .collect::<Vec<_>>()
            );
        }
        for f in &o.fits {
            println!(
                "  task {} layer {} k {}: captured {:.3} of top-k, total {:.3}, orthonormality error {:.4}",
                f.task, f.layer, f.k, f.captured, f.total_captured, f.orthonormality_error
            );
        }
    }
}
