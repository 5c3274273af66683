//! Times the parts of the Mackey–Glass benchmark run (min over repeats), for tuning.
use ganglion_learn::{EsnConfig, Kernel, Ridge, spectral, tasks};
use std::time::Instant;

fn main() -> Result<(), ganglion_learn::Error> {
    let x = tasks::rescale_to_unit(&tasks::MackeyGlass::default().generate(10001)?);
    let reps = 5;
    let mut best = [f64::INFINITY; 8];
    for rep in 0..reps {
        let t = Instant::now();
        let cfg = EsnConfig {
            units: 1000,
            spectral_radius: None,
            ..EsnConfig::default()
        };
        let esn = cfg.build(rep)?;
        best[0] = best[0].min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let rho = spectral::spectral_radius(esn.recurrent(), 1)?;
        best[1] = best[1].min(t.elapsed().as_secs_f64());
        if rep == 0 {
            let t = Instant::now();
            let rd = spectral::spectral_radius_dense(esn.recurrent())?;
            println!(
                "arnoldi {rho} dense {rd} rel {:.2e} dense time {:.3}",
                (rho - rd).abs() / rd,
                t.elapsed().as_secs_f64()
            );
        }
        for (i, (kernel, threads)) in [
            (Kernel::Csr, 1),
            (Kernel::Blocked, 1),
            (Kernel::Blocked, 2),
            (Kernel::Csr, 2),
        ]
        .into_iter()
        .enumerate()
        {
            let mut esn = EsnConfig {
                units: 1000,
                kernel,
                threads,
                ..EsnConfig::default()
            }
            .build(rep)?;
            let t = Instant::now();
            let s = esn.run(&x[..10000])?;
            best[2 + i] = best[2 + i].min(t.elapsed().as_secs_f64());
            if i == 2 {
                let st = s.slice(100..8000);
                let t = Instant::now();
                let _r = Ridge::fit(&st, &x[101..8001], 1e-6)?;
                best[6] = best[6].min(t.elapsed().as_secs_f64());
                let big = faer::Mat::<f64>::from_fn(1000, 512, |i, j| {
                    ((i * 7 + j * 13) % 101) as f64 * 0.01
                });
                let mut g = faer::Mat::<f64>::zeros(1000, 1000);
                let t = Instant::now();
                for _ in 0..16 {
                    faer::linalg::matmul::triangular::matmul(
                        g.as_mut(),
                        faer::linalg::matmul::triangular::BlockStructure::TriangularLower,
                        faer::Accum::Add,
                        big.as_ref(),
                        faer::linalg::matmul::triangular::BlockStructure::Rectangular,
                        big.transpose(),
                        faer::linalg::matmul::triangular::BlockStructure::Rectangular,
                        1.0,
                        faer::Par::rayon(0),
                    );
                }
                best[7] = best[7].min(t.elapsed().as_secs_f64());
            }
        }
    }
    println!(
        "build(no sr) {:.4}  arnoldi {:.4}  run csr1 {:.4} blk1 {:.4} blk2 {:.4} csr2 {:.4}  ridge {:.4} syrk16x512 {:.4}",
        best[0], best[1], best[2], best[3], best[4], best[5], best[6], best[7]
    );
    Ok(())
}
