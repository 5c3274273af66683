//! CPU time (not wall time, so that other jobs on the machine matter less) of the mat-vec
//! kernels on a 1000-unit, 10 %-dense reservoir matrix: 40,000 products each.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report
use ganglion_learn::{BlockedMatrix, EsnConfig};

fn cpu_ticks() -> u64 {
    let s = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let f: Vec<&str> = s
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
}

/// CPU µs per call of `product` (x → y) over `reps` calls, each feeding `y[0]` back into `x[0]`.
fn us_per_product(
    reps: usize,
    x: &mut [f32],
    y: &mut [f32],
    product: impl Fn(&[f32], &mut [f32]),
) -> f64 {
    let t0 = cpu_ticks();
    for _ in 0..reps {
        product(x, y);
        x[0] = y[0] * 1e-3;
    }
    let t1 = cpu_ticks();
    (t1 - t0) as f64 * 1e4 / reps as f64
}

fn main() -> Result<(), ganglion_learn::LearnError> {
    let esn = EsnConfig {
        units: 1000,
        ..EsnConfig::default()
    }
    .build(1)?;
    let w = esn.recurrent();
    let b = BlockedMatrix::from_csr(w);
    let reps = 40_000;
    let mut x = vec![0.0f32; b.ncols_padded()];
    x.iter_mut()
        .take(1000)
        .enumerate()
        .for_each(|(i, v)| *v = ((i * 37 % 101) as f32 - 50.0) / 50.0);
    let mut y = vec![0.0f32; b.nslices() * 16];
    let blocked = us_per_product(reps, &mut x, &mut y, |x, y| {
        b.matvec_slices(0..b.nslices(), x, y)
    });
    println!(
        "blocked: {blocked:.2} µs CPU per product ({} stored lane entries)",
        b.stored()
    );
    let csr = us_per_product(reps, &mut x, &mut y, |x, y| w.matvec(x, y));
    println!(
        "csr:     {csr:.2} µs CPU per product ({} non-zeros)",
        w.nnz()
    );
    Ok(())
}
