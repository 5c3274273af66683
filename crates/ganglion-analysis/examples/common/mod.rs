//! File exchange and timing shared by the benchmark examples (`bench_*.rs`): the Python side
//! of each benchmark (`bench/analysis/*.py`) writes raw little-endian f64 arrays and reads
//! back the results.

// Each example uses the helpers it needs.
#![allow(dead_code)]

use std::time::Instant;

/// A raw little-endian f64 file.
pub fn read_f64(path: &str) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect()
}

/// Writes `v` as a raw little-endian f64 file.
pub fn write_f64(path: &str, v: &[f64]) {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
}

/// Median wall time (s) of `reps` runs of `f`, and its last result.
pub fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = vec![];
    let mut out = None;
    for _ in 0..reps {
        let t = Instant::now();
        let r = f();
        times.push(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], out.expect("reps >= 1"))
}
