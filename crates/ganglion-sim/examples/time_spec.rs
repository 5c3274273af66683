//! Time the step loop of a spec without writing outputs:
//! `cargo run --release -p ganglion-sim --example time_spec -- SPEC [REPEATS]`.
//! Prints build and simulate seconds of each repetition (for quick A/B checks of kernels)
//! and a hash of every recorded spike and state value, so that two builds can be checked to
//! give the same results bit for bit.
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
            "build_s {:.4} simulate_s {:.4} spikes {} hash {:016x}",
            res.build_s,
            res.simulate_s,
            res.populations.iter().map(|p| p.spike_count).sum::<u64>(),
            hash(&res)
        );
    }
}

/// FNV-1a over every spike (time bits, sender) and state sample of the results.
fn hash(res: &ganglion_sim::Results) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    };
    for sd in &res.spikes {
        for (t, i) in sd.times_ms.iter().zip(&sd.senders) {
            eat(&t.to_bits().to_le_bytes());
            eat(&i.to_le_bytes());
        }
    }
    for st in &res.states {
        for v in &st.values {
            eat(&v.to_bits().to_le_bytes());
        }
    }
    h
}
