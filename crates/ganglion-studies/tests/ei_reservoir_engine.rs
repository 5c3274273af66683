//! The adaptive E/I reservoir run on the engine (rate_esn_sigmoid units, gain_homeostasis
//! plasticity) against `ganglion_learn::ei_reservoir` with the same weights and input.
//!
//! The engine computes in f32 and the library in f64, so the rates agree to f32 rounding,
//! not bit for bit: each step rounds the weights, the summed input and the sigmoid (a
//! polynomial exp, relative error < 2e-7) at ~1e-7, and the leaky sigmoid map contracts
//! these errors instead of compounding them. Tolerances are a few times the largest
//! difference seen.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_learn::ei_reservoir::{EiReservoir, EiReservoirConfig, Homeostasis};
use ganglion_studies::studies::adaptive_ei_reservoir::engine::{self, Layout};

fn reservoir(per_neuron: bool, leak: f64, inputs: usize) -> EiReservoir {
    EiReservoirConfig {
        units: 40,
        inputs,
        connectivity: 0.2,
        weight_scale: 2.0,
        inhibitory_gain: 1.2,
        leak_rate: leak,
        input_scaling: 0.5,
        bias: 0.1,
        bias_spread: 0.3,
        homeostasis: Some(Homeostasis {
            learning_rate: 0.01,
            target_low: 0.3,
            target_high: 0.7,
            per_neuron,
        }),
        ..EiReservoirConfig::default()
    }
    .build(11)
    .unwrap()
}

fn input(steps: usize, d: usize) -> Vec<f64> {
    (0..steps * d)
        .map(|k| (0.13 * k as f64).sin() + 0.5 * (0.031 * k as f64).cos())
        .collect()
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Library states over `u`: adapting (returns the states step by step) or frozen.
fn library(res: &mut EiReservoir, u: &[f64], adapt: bool) -> Vec<f64> {
    let d = res.config().inputs;
    if !adapt {
        return res.run(u).unwrap().as_slice().to_vec();
    }
    let mut out = Vec::new();
    for t in 0..u.len() / d {
        res.adapt(&u[t * d..(t + 1) * d]).unwrap();
        out.extend_from_slice(res.state());
    }
    out
}

fn compare(
    res: &EiReservoir,
    u: &[f64],
    adapt: bool,
    layout: Layout,
    threads: usize,
) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let eng = engine::run(res, u, adapt, layout, threads, dir.path()).unwrap();
    let mut lib = res.clone();
    let states = library(&mut lib, u, adapt);
    eprintln!(
        "{layout:?} × {threads}, adapt {adapt}: |Δr| {:e}, |Δg| {:e}",
        max_diff(&eng.states, &states),
        max_diff(&eng.gains, lib.gains())
    );
    (
        max_diff(&eng.states, &states),
        max_diff(&eng.gains, lib.gains()),
    )
}

#[test]
fn fixed_gains_agree_with_the_library() {
    let res = reservoir(true, 0.5, 2);
    let u = input(400, 2);
    for (layout, threads) in [
        (Layout::ExcInh, 1),
        (Layout::Single, 1),
        (Layout::ExcInh, 3),
    ] {
        let (dr, dg) = compare(&res, &u, false, layout, threads);
        assert!(
            dr < 1.5e-6,
            "{layout:?} × {threads} threads: max |Δr| = {dr:e}"
        );
        assert_eq!(dg, 0.0, "fixed gains do not move");
    }
    // No leak (a = 1, tau = 0): the rates follow the sigmoid of the input directly.
    let res = reservoir(true, 1.0, 1);
    let (dr, _) = compare(&res, &input(300, 1), false, Layout::ExcInh, 1);
    assert!(dr < 5e-6, "a = 1: max |Δr| = {dr:e}");
}

#[test]
fn per_neuron_homeostasis_agrees_with_the_library() {
    let res = reservoir(true, 0.5, 1);
    let u = input(1500, 1);
    for (layout, threads) in [(Layout::ExcInh, 1), (Layout::Single, 2)] {
        let (dr, dg) = compare(&res, &u, true, layout, threads);
        assert!(dr < 2e-6, "{layout:?}: max |Δr| = {dr:e}");
        assert!(dg < 5e-7, "{layout:?}: max |Δg| = {dg:e}");
    }
    // The engine's result does not depend on the partitioning, bit for bit.
    let run = |threads| {
        let dir = tempfile::tempdir().unwrap();
        engine::run(&res, &u, true, Layout::ExcInh, threads, dir.path()).unwrap()
    };
    let (one, three) = (run(1), run(3));
    assert!(one.states == three.states && one.gains == three.gains);
    // The gains did move: the comparison is not of two frozen reservoirs.
    let mut lib = res.clone();
    lib.adapt(&u).unwrap();
    let moved = max_diff(lib.gains(), res.gains());
    assert!(moved > 0.05, "gains moved by only {moved}");
}

#[test]
fn global_homeostasis_agrees_with_the_library() {
    let res = reservoir(false, 0.5, 1);
    let u = input(1500, 1);
    for threads in [1, 3] {
        let (dr, dg) = compare(&res, &u, true, Layout::Single, threads);
        assert!(dr < 2e-6, "{threads} threads: max |Δr| = {dr:e}");
        assert!(dg < 5e-7, "{threads} threads: max |Δg| = {dg:e}");
    }
    let mut lib = res.clone();
    lib.adapt(&u).unwrap();
    let g = lib.gains();
    assert!(g.iter().all(|&x| x == g[0]), "one shared gain");
    assert!(
        (g[0] - res.gains()[0]).abs() > 0.05,
        "the shared gain moved"
    );
}
