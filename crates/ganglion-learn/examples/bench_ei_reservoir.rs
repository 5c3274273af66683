//! Ganglion side of `bench/ei_reservoir_bench.sh`: an adaptive E/I reservoir on Mackey–Glass
//! one-step prediction, with the frozen reservoir and the task written out so that
//! `bench/ei_reservoir_reservoirpy.py` runs the same reservoir in reservoirpy.
//!
//! ```text
//! cargo run --release -p ganglion-learn --example bench_ei_reservoir -- \
//!     --size 500 --steps 10000 --seed 0 --out bench/out/ei_reservoir/0
//! ```
//!
//! Writes into `--out`: `u.f64`, `y.f64` (the series, T each), `w.f64` (effective recurrent
//! matrix, N × N row-major), `w_in.f64`, `bias.f64` (N each), `pred.f64` (test predictions),
//! raw little-endian f64; and prints one JSON line with the timings (s) and the NRMSE.
//! Protocol: the reservoir adapts its inhibitory gains (per-neuron rule) on the training
//! inputs, is reset and frozen; fit = training run from rest + ridge (α = 1e-6, first 100
//! states discarded); predict = test run (continuing) + readout.

use ganglion_learn::ei_reservoir::{EiReservoirConfig, Homeostasis};
use ganglion_learn::{Ridge, metrics, tasks};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn write_f64(path: &Path, v: &[f64]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create output"));
    for x in v {
        f.write_all(&x.to_le_bytes()).expect("write output");
    }
}

fn main() {
    let mut size = 500usize;
    let mut steps = 10_000usize;
    let mut seed = 0u64;
    let mut out = PathBuf::from("bench/out/ei_reservoir/0");
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let v = pair.get(1).map(String::as_str).unwrap_or("");
        match pair[0].as_str() {
            "--size" => size = v.parse().expect("--size N"),
            "--steps" => steps = v.parse().expect("--steps T"),
            "--seed" => seed = v.parse().expect("--seed S"),
            "--out" => out = PathBuf::from(v),
            other => panic!("unknown argument {other}; use --size --steps --seed --out"),
        }
    }
    std::fs::create_dir_all(&out).expect("create --out folder");
    let x = tasks::rescale_to_unit(
        &tasks::MackeyGlass::default()
            .generate(steps + 1)
            .expect("series"),
    );
    let (u, y) = (&x[..steps], &x[1..]);
    let n_train = (steps as f64 * 0.8).round() as usize;
    let washout = 100;
    let cfg = EiReservoirConfig {
        units: size,
        weight_scale: 2.0,
        leak_rate: 0.5,
        input_scaling: 0.5,
        homeostasis: Some(Homeostasis {
            learning_rate: 0.005,
            target_low: 0.3,
            target_high: 0.7,
            per_neuron: true,
        }),
        ..EiReservoirConfig::default()
    };
    let t0 = Instant::now();
    let mut res = cfg.build(seed).expect("build");
    let build_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    res.adapt(&u[..n_train]).expect("adapt");
    res.reset();
    let adapt_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let train = res.run(&u[..n_train]).expect("run");
    let ridge =
        Ridge::fit(&train.slice(washout..n_train), &y[washout..n_train], 1e-6).expect("ridge");
    let fit_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let test = res.run(&u[n_train..]).expect("run");
    let pred = ridge.predict(&test);
    let predict_s = t0.elapsed().as_secs_f64();
    let nrmse = metrics::nrmse(&pred, &y[n_train..steps]);
    // The frozen reservoir, for reservoirpy.
    write_f64(&out.join("u.f64"), u);
    write_f64(&out.join("y.f64"), &y[..steps]);
    write_f64(&out.join("w.f64"), &res.effective_weights());
    write_f64(&out.join("w_in.f64"), res.input_weights());
    write_f64(&out.join("bias.f64"), res.bias());
    write_f64(&out.join("pred.f64"), &pred);
    println!(
        "{{\"tool\": \"ganglion\", \"seed\": {seed}, \"size\": {size}, \"steps\": {steps}, \"n_train\": {n_train}, \"washout\": {washout}, \"leak\": {}, \"nrmse\": {nrmse:e}, \"build_s\": {build_s}, \"adapt_s\": {adapt_s}, \"fit_s\": {fit_s}, \"predict_s\": {predict_s}}}",
        cfg.leak_rate
    );
}
