//! Times the parts of the Mackey–Glass benchmark run (median over repeats), for tuning:
//! `cargo run --release -p ganglion-learn --example profile_parts`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report
use ganglion_learn::{EsnConfig, Ridge, tasks};
use std::time::Instant;

fn main() -> Result<(), ganglion_learn::LearnError> {
    let x = tasks::rescale_to_unit(&tasks::MackeyGlass::default().generate(10001)?);
    let reps = 7;
    let mut t: Vec<[f64; 5]> = Vec::new();
    for rep in 0..reps {
        let c = Instant::now();
        let mut esn = EsnConfig {
            units: 1000,
            ..EsnConfig::default()
        }
        .build(rep)?;
        let build = c.elapsed().as_secs_f64();
        let c = Instant::now();
        esn.run(&x[..100])?;
        let states = esn.run(&x[100..8000])?;
        let run = c.elapsed().as_secs_f64();
        let c = Instant::now();
        let r = Ridge::fit(&states, &x[101..8001], 1e-6)?;
        let fit = c.elapsed().as_secs_f64();
        let c = Instant::now();
        let test = esn.run(&x[8000..10000])?;
        let run_test = c.elapsed().as_secs_f64();
        let c = Instant::now();
        let _ = r.predict(&test);
        let readout = c.elapsed().as_secs_f64();
        t.push([build, run, fit, run_test, readout]);
    }
    let med = |k: usize| {
        let mut v: Vec<f64> = t.iter().map(|r| r[k]).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "median s: build {:.4}  train run {:.4}  ridge fit {:.4}  test run {:.4}  readout {:.4}  total {:.4}",
        med(0),
        med(1),
        med(2),
        med(3),
        med(4),
        med(0) + med(1) + med(2) + med(3) + med(4)
    );
    Ok(())
}
