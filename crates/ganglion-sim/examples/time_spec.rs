//! Time the step loop of a spec without writing outputs:
//! `cargo run --release -p ganglion-sim --example time_spec -- SPEC [REPEATS]`.
//! Prints build and simulate seconds of each repetition (for quick A/B checks of kernels).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(spec) = args.get(1) else {
        eprintln!("usage: time_spec SPEC [REPEATS]");
        std::process::exit(2);
    };
    let reps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let r = match ganglion_model::load_and_validate(std::path::Path::new(spec)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    for _ in 0..reps {
        let mut net = ganglion_sim::Network::build(&r).expect("build");
        let res = net.run(None).expect("run");
        println!(
            "build_s {:.4} simulate_s {:.4} spikes {}",
            res.build_s,
            res.simulate_s,
            res.populations.iter().map(|p| p.spike_count).sum::<u64>()
        );
    }
}
