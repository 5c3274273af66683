//! The Rust side of `bench/analysis/ntf.py`: non-negative CP by HALS
//! (`ganglion_analysis::tensor::non_negative_parafac_hals`) on the tensors and initial
//! factors the script writes, timed.
//!
//! Usage: `cargo run --release -p ganglion-analysis --example bench_ntf -- DIR REPS`.
//! Reads `DIR/jobs.txt`, one job per line: `name I J K rank iterations`, and for each job
//! (row-major little-endian f64) `DIR/<name>_x.f64` (I × J × K) and the initial factors
//! `DIR/<name>_f0.f64` (I × rank), `_f1.f64` (J × rank), `_f2.f64` (K × rank). Runs the
//! HALS iterations (see below) and writes `DIR/rust_<name>_errors.f64` (relative
//! error per iteration), `_weights.f64` (rank) and `_f0.f64`, `_f1.f64`, `_f2.f64` (unit-norm
//! columns), and `DIR/rust_times.txt` (`name median_seconds` over REPS runs).
//!
//! The stopping rule is tensorly's with `tol = 1e-300`: run up to `iterations`, stop early
//! only when the error stops changing at all (a fixed point), as the script asks tensorly to.

mod common;

use common::{read_f64, write_f64};
use ganglion_analysis::tensor::{Init, NtfOptions, non_negative_parafac_hals};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (dir, reps) = match args.as_slice() {
        [_, d, r] => (d.clone(), r.parse::<usize>().expect("REPS is a number")),
        _ => panic!("usage: bench_ntf DIR REPS"),
    };
    let jobs = std::fs::read_to_string(format!("{dir}/jobs.txt")).expect("jobs.txt");
    let mut times = String::new();
    for line in jobs.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let name = f[0];
        let num = |k: usize| f[k].parse::<usize>().expect("a number");
        let (shape, rank, iters) = ([num(1), num(2), num(3)], num(4), num(5));
        let x = read_f64(&format!("{dir}/{name}_x.f64"));
        let init: [Vec<f64>; 3] =
            std::array::from_fn(|m| read_f64(&format!("{dir}/{name}_f{m}.f64")));
        let opts = NtfOptions {
            rank,
            max_iter: iters,
            tol: 1e-300,
            init: Init::Given(init),
        };
        let mut ts = Vec::with_capacity(reps);
        let mut out = None;
        for _ in 0..reps.max(1) {
            let t = Instant::now();
            let cp = non_negative_parafac_hals(&x, shape, &opts).expect("valid inputs");
            ts.push(t.elapsed().as_secs_f64());
            out = Some(cp);
        }
        ts.sort_by(f64::total_cmp);
        let cp = out.expect("one run");
        write_f64(&format!("{dir}/rust_{name}_errors.f64"), &cp.errors);
        write_f64(&format!("{dir}/rust_{name}_weights.f64"), &cp.weights);
        for (m, fm) in cp.factors.iter().enumerate() {
            write_f64(&format!("{dir}/rust_{name}_f{m}.f64"), fm);
        }
        times.push_str(&format!("{name} {}\n", ts[ts.len() / 2]));
    }
    std::fs::write(format!("{dir}/rust_times.txt"), times).expect("write times");
}
