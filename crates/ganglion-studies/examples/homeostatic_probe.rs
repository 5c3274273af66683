//! Probe of the `homeostatic-shift` study's online learner: runs the three regulators at one
//! η₀ and shift rate over a few seeds on full-size Fashion-MNIST (784-80-60-10) and prints
//! online accuracy, final held-out accuracy and mean η per run.
//!
//! ```sh
//! cargo run --release -p ganglion-studies --example homeostatic_probe -- ETA0 SWAPS SEEDS [EPOCHS]
//! ```
use ganglion_studies::par_map;
use ganglion_studies::studies::homeostatic_shift::online::{Regulator, Setup, run};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or(default.into());
    let eta0: f32 = arg(0, "0.001").parse().expect("ETA0 is a number");
    let swaps: usize = arg(1, "0").parse().expect("SWAPS is a count");
    let seeds: u64 = arg(2, "2").parse().expect("SEEDS is a count");
    let epochs: usize = arg(3, "3").parse().expect("EPOCHS is a count");
    let (train, test) = ganglion_studies::data::fashion_mnist().expect("Fashion-MNIST is fetched");
    let test = test.truncate(10000);
    let setup = Setup {
        hidden: [80, 60],
        eta0,
        epochs,
        swaps_per_epoch: swaps,
        held_out: 10000,
    };
    let jobs: Vec<(Regulator, u64)> = Regulator::ALL
        .iter()
        .flat_map(|&r| (0..seeds).map(move |s| (r, 11 + s)))
        .collect();
    let out = par_map(jobs.len(), |i| {
        run(&train, &test, setup, jobs[i].0, jobs[i].1)
    });
    println!("eta0 {eta0} swaps/epoch {swaps} epochs {epochs}");
    for ((reg, seed), o) in jobs.iter().zip(&out) {
        println!(
            "{:12} seed {seed}: online {:.4} per epoch {:?} held-out {:.4} mean eta {:.5} final eta {:.5} moved {:.3}",
            reg.label(),
            o.online_accuracy,
            o.epoch_accuracy
                .iter()
                .map(|a| (a * 1000.0).round() / 1000.0)
                .collect::<Vec<_>>(),
            o.held_out_accuracy.last().copied().unwrap_or(f64::NAN),
            o.mean_eta,
            o.final_eta,
            o.step_fraction
        );
    }
}
