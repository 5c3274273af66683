//! Gram-matrix kernels (faer, one thread): lower-triangular rank-k update vs full GEMM, on the
//! shape of one thread's half of the benchmark's training states (1000 × 3950).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report
use faer::linalg::matmul::{
    matmul,
    triangular::{self, BlockStructure},
};
use faer::{Accum, Mat, Par};
use std::time::Instant;
fn main() {
    let (n, t) = (1000, 3950);
    let x = Mat::<f64>::from_fn(n, t, |i, j| (((i * 7 + j * 13) % 101) as f64) * 0.01 - 0.5);
    let mut best = [f64::INFINITY; 2];
    for _ in 0..5 {
        let mut g = Mat::<f64>::zeros(n, n);
        let c = Instant::now();
        triangular::matmul(
            g.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Replace,
            x.as_ref(),
            BlockStructure::Rectangular,
            x.transpose(),
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
        best[0] = best[0].min(c.elapsed().as_secs_f64());
        let c = Instant::now();
        matmul(
            g.as_mut(),
            Accum::Replace,
            x.as_ref(),
            x.transpose(),
            1.0,
            Par::Seq,
        );
        best[1] = best[1].min(c.elapsed().as_secs_f64());
    }
    let gf = |s: f64, flops: f64| flops / s / 1e9;
    let full = 2.0 * (n * n * t) as f64;
    println!(
        "triangular {:.4} s ({:.1} GFLOP/s useful)  full {:.4} s ({:.1} GFLOP/s)",
        best[0],
        gf(best[0], full / 2.0),
        best[1],
        gf(best[1], full)
    );
}
