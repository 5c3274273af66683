//! Benchmark side of `bench/analysis/skeleton.py`: reads the label volumes the script wrote
//! (`<dir>/shape.txt` = "z y x", `<dir>/gt.u32`, `<dir>/pred.u32`, raw little-endian u32,
//! row-major with x fastest), times `skeleton::skeletonize` on the gt foreground and
//! `skeleton::evaluate` on the pair (median of `runs` runs each), and writes
//! `<dir>/rust_out.txt` (`key values...` lines: the skeleton's flat indices, the metrics and
//! the timings in seconds).
//!
//!     cargo run --release -p ganglion-analysis --example bench_skeleton -- <dir> [runs]

use std::fmt::Write as _;
use std::time::Instant;

use ganglion_analysis::skeleton::{self, Options, Volume};

fn read_u32(path: &str) -> Vec<u32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).expect("usage: bench_skeleton <dir> [runs]");
    let runs: usize = args.get(2).map_or(5, |r| r.parse().expect("runs: a count"));
    let shape_text = std::fs::read_to_string(format!("{dir}/shape.txt")).expect("shape.txt");
    let s: Vec<usize> = shape_text
        .split_whitespace()
        .map(|v| v.parse().expect("shape: three counts"))
        .collect();
    let shape = [s[0], s[1], s[2]];
    let gt = Volume::new(shape, read_u32(&format!("{dir}/gt.u32"))).expect("gt volume");
    let pred = Volume::new(shape, read_u32(&format!("{dir}/pred.u32"))).expect("pred volume");
    let fg = Volume::new(shape, gt.data().iter().map(|&l| l > 0).collect()).expect("mask");

    let mut t_skel = Vec::new();
    let mut skel = None;
    for _ in 0..runs {
        let t = Instant::now();
        skel = Some(skeleton::skeletonize(&fg));
        t_skel.push(t.elapsed().as_secs_f64());
    }
    let mut t_eval = Vec::new();
    let mut eval = None;
    for _ in 0..runs {
        let t = Instant::now();
        eval = Some(skeleton::evaluate(&gt, &pred, &Options::default()).expect("evaluate"));
        t_eval.push(t.elapsed().as_secs_f64());
    }
    let (skel, e) = (skel.expect("runs >= 1"), eval.expect("runs >= 1"));
    let mut out = String::new();
    let idx: Vec<String> = (0..skel.len())
        .filter(|&i| skel.data()[i])
        .map(|i| i.to_string())
        .collect();
    let _ = writeln!(out, "skeleton {}", idx.join(" "));
    let join = |v: &mut dyn Iterator<Item = String>| v.collect::<Vec<_>>().join(" ");
    let _ = writeln!(
        out,
        "cl_dice {}",
        join(&mut e.cl_dice.iter().map(|v| format!("{:?}", f64::from(*v))))
    );
    let _ = writeln!(
        out,
        "tp {}",
        join(&mut e.counts.iter().map(|c| c.tp.to_string()))
    );
    let _ = writeln!(
        out,
        "fp {}",
        join(&mut e.counts.iter().map(|c| c.fp.to_string()))
    );
    let _ = writeln!(
        out,
        "fn {}",
        join(&mut e.counts.iter().map(|c| c.fn_.to_string()))
    );
    let _ = writeln!(out, "av_f1 {:?}", e.av_f1);
    let _ = writeln!(out, "coverage {:?}", e.coverage);
    let _ = writeln!(out, "fs {}", e.false_splits);
    let _ = writeln!(out, "fm {}", e.false_merges);
    let _ = writeln!(
        out,
        "time_skeletonize {}",
        join(&mut t_skel.iter().map(|t| t.to_string()))
    );
    let _ = writeln!(
        out,
        "time_evaluate {}",
        join(&mut t_eval.iter().map(|t| t.to_string()))
    );
    std::fs::write(format!("{dir}/rust_out.txt"), out).expect("write rust_out.txt");
    println!(
        "rust: skeletonize median {:.4} s, evaluate median {:.4} s ({} gt, {} pred instances)",
        median(t_skel),
        median(t_eval),
        e.n_gt(),
        e.n_pred()
    );
}
