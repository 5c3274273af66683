//! Benchmark side of `bench/analysis/ridge.py`: reads the data the script wrote
//! (`<dir>/shape.txt` = "n p t folds", `<dir>/alphas.txt` one α a line, `<dir>/x.f64`
//! n × p and `<dir>/y.f64` n × t, raw little-endian f64, row-major), times
//! `encoding::ridge_cv` (median of `runs` runs) and writes `<dir>/rust_alpha.f64` (t),
//! `<dir>/rust_weights.f64` (t × p, row-major), `<dir>/rust_intercept.f64` (t) and
//! `<dir>/rust_time.txt` (the median and all run times in seconds).
//!
//!     cargo run --release -p ganglion-analysis --example bench_ridge -- <dir> [runs]

mod common;

use common::{read_f64, write_f64};
use std::time::Instant;

use ganglion_analysis::encoding::ridge_cv;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).expect("usage: bench_ridge <dir> [runs]");
    let runs: usize = args.get(2).map_or(5, |r| r.parse().expect("runs: a count"));
    let shape: Vec<usize> = std::fs::read_to_string(format!("{dir}/shape.txt"))
        .expect("shape.txt")
        .split_whitespace()
        .map(|v| v.parse().expect("shape: four counts"))
        .collect();
    let (p, t, folds) = (shape[1], shape[2], shape[3]);
    let alphas: Vec<f64> = std::fs::read_to_string(format!("{dir}/alphas.txt"))
        .expect("alphas.txt")
        .lines()
        .map(|l| l.trim().parse().expect("alphas: one number a line"))
        .collect();
    let x = read_f64(&format!("{dir}/x.f64"));
    let y = read_f64(&format!("{dir}/y.f64"));
    let mut times = Vec::new();
    let mut fit = None;
    for _ in 0..runs {
        let start = Instant::now();
        fit = Some(ridge_cv(&x, &y, p, t, &alphas, folds));
        times.push(start.elapsed().as_secs_f64());
    }
    let fit = fit.expect("at least one run");
    write_f64(&format!("{dir}/rust_alpha.f64"), &fit.alpha);
    write_f64(&format!("{dir}/rust_weights.f64"), &fit.weights);
    write_f64(&format!("{dir}/rust_intercept.f64"), &fit.intercept);
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let all: Vec<String> = times.iter().map(|t| format!("{t:.4}")).collect();
    std::fs::write(
        format!("{dir}/rust_time.txt"),
        format!("{median}\n{}\n", all.join(" ")),
    )
    .expect("write rust_time.txt");
    println!("ridge_cv median {median:.3} s over {runs} runs");
}
