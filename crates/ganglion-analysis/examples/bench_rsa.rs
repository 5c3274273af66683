//! The Rust side of `bench/analysis/rsa.py`: RDMs, transforms and comparisons of
//! `ganglion_analysis::rsa` on the patterns the script writes, timed per operation.
//!
//! Usage: `cargo run --release -p ganglion-analysis --example bench_rsa -- DIR N P REPS`
//! reads `DIR/patterns.f64` (N conditions × P channels, row-major little-endian f64), writes
//! `DIR/rust_<name>.f64` (each output) and `DIR/rust_times.json` (median seconds per
//! operation over REPS runs).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report
mod common;

use common::{read_f64, time, write_f64};
use ganglion_analysis::rsa::{self, Comparison, Measure};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    assert!(args.len() == 5, "usage: bench_rsa DIR N P REPS");
    let dir = &args[1];
    let parse = |s: &str| {
        s.parse::<usize>()
            .unwrap_or_else(|_| panic!("not a count: {s}"))
    };
    let (n, p, reps) = (parse(&args[2]), parse(&args[3]), parse(&args[4]));
    let x = read_f64(&format!("{dir}/patterns.f64"));
    assert_eq!(
        x.len(),
        n * p,
        "patterns.f64 holds {} values, not {n} x {p}",
        x.len()
    );

    let mut times = vec![];
    let mut out = |name: &str, secs: f64, v: &[f64]| {
        write_f64(&format!("{dir}/rust_{name}.f64"), v);
        times.push(format!("\"{name}\": {secs:e}"));
    };
    let (t, sq) = time(reps, || {
        rsa::rdm(&x, n, p, Measure::SquaredEuclidean).unwrap()
    });
    out("rdm_euclidean", t, &sq);
    let (t, co) = time(reps, || rsa::rdm(&x, n, p, Measure::Correlation).unwrap());
    out("rdm_correlation", t, &co);
    let (t, r) = time(reps, || rsa::rank_transform(&sq).unwrap());
    out("rank", t, &r);
    let (t, g) = time(reps, || rsa::geotopological(&sq, 0.1, 0.9).unwrap());
    out("geotopological", t, &g);
    let (t, gd) = time(reps, || rsa::geodesic(&sq).unwrap());
    out("geodesic", t, &gd);
    for (name, m) in [
        ("cosine", Comparison::Cosine),
        ("corr", Comparison::Correlation),
        ("spearman", Comparison::Spearman),
        ("tau_a", Comparison::TauA),
    ] {
        let (t, c) = time(reps, || rsa::compare(&sq, &co, m).unwrap());
        out(&format!("compare_{name}"), t, &[c]);
    }
    std::fs::write(
        format!("{dir}/rust_times.json"),
        format!("{{{}}}\n", times.join(", ")),
    )
    .expect("write rust_times.json");
}
