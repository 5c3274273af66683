//! `rule = "gain_homeostasis"` on the engine: one rate unit inhibited by a constant-rate
//! source against the hand-written recursion, convergence to each neuron's own target, the
//! global mode, thread invariance and checkpoints.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_base::state::{StateReader, StateWriter};
use ganglion_model::*;
use ganglion_sim::Network;
use std::path::Path;

/// `s`: 3 relay units whose rate is 1 (rate_linear, tau ≪ dt, constant input 1). `t`: 4
/// memoryless sigmoid units (tau = 0) with biases b_i, inhibited by all of `s` with weight
/// −w; gains g_i adapt toward r*_i with η = `eta`·dt.
fn spec(mode: &str, gain: &str, threads: usize) -> String {
    format!(
        r#"
[simulation]
dt = "1 ms"
duration = "400 ms"
threads = {threads}

[[population]]
name = "s"
size = 3
model = "rate_linear"
params = {{ tau = "0.001 ms" }}

[[population]]
name = "t"
size = 4
model = "rate_esn_sigmoid"
params = {{ tau = "0 ms", bias = [1.0, 2.0, 0.5, 1.5] }}

[[input]]
kind = "current"
target = "s"
amplitude = 1.0

[[projection]]
source = "s"
target = "t"
connectivity = {{ rule = "all_to_all" }}
weight = -0.25
delay = "1 ms"
plasticity = {{ rule = "gain_homeostasis", eta = "200 Hz", target = [0.2, 0.4, 0.6, 0.3], gain = {gain}, mode = "{mode}" }}

[[monitor]]
kind = "state"
population = "t"
variables = ["r"]
neurons = [0, 1, 2, 3]
"#
    )
}

fn resolved(text: &str) -> Resolved {
    let c = parse_str(text, Path::new("gain.toml")).unwrap();
    validate(&c, &Source::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn rates(r: &Resolved) -> Vec<f32> {
    Network::build(r).unwrap().run(None).unwrap().states[0]
        .values
        .clone()
}

const BIAS: [f64; 4] = [1.0, 2.0, 0.5, 1.5];
const TARGET: [f64; 4] = [0.2, 0.4, 0.6, 0.3];

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The recursion the rule defines: z_i(t) = b_i − g_i(t−1)·0.75·r_s(t−1), r_s = 1 from step 1
/// on (the relays' first output arrives one step later), g ← max(0, g + 0.2 (r − r*)).
fn reference(gain: [f64; 4], per_neuron: bool, steps: usize) -> Vec<f64> {
    let mut g = gain;
    let mut out = Vec::new();
    for t in 0..steps {
        let drive = if t == 0 { 0.0 } else { 0.75 };
        let r: Vec<f64> = (0..4).map(|i| sigmoid(BIAS[i] - g[i] * drive)).collect();
        if per_neuron {
            for i in 0..4 {
                g[i] = (g[i] + 0.2 * (r[i] - TARGET[i])).max(0.0);
            }
        } else {
            let err = r.iter().sum::<f64>() / 4.0 - TARGET.iter().sum::<f64>() / 4.0;
            let shared = (g[0] + 0.2 * err).max(0.0);
            g = [shared; 4];
        }
        out.extend(r);
    }
    out
}

fn max_diff(a: &[f32], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(&x, y)| (x as f64 - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn per_neuron_gains_follow_the_recursion_and_reach_each_target() {
    let r = rates(&resolved(&spec("per_neuron", "[1.0, 0.5, 2.0, 0.0]", 1)));
    let want = reference([1.0, 0.5, 2.0, 0.0], true, 400);
    assert!(max_diff(&r, &want) < 1e-5, "{}", max_diff(&r, &want));
    // Fixed point: σ(b_i − 0.75 g_i) = r*_i, reached by every unit whose g_i stays > 0.
    let last = &r[399 * 4..];
    for i in 0..4 {
        assert!(
            (last[i] as f64 - TARGET[i]).abs() < 1e-3,
            "unit {i}: {}",
            last[i]
        );
    }
}

#[test]
fn the_global_gain_moves_with_the_mean_error() {
    let r = rates(&resolved(&spec("global", "1.0", 1)));
    let want = reference([1.0; 4], false, 400);
    assert!(max_diff(&r, &want) < 1e-5, "{}", max_diff(&r, &want));
    let last = &r[399 * 4..];
    let mean = last.iter().map(|&x| x as f64).sum::<f64>() / 4.0;
    assert!(
        (mean - TARGET.iter().sum::<f64>() / 4.0).abs() < 1e-3,
        "{mean}"
    );
}

#[test]
fn gains_clip_at_zero() {
    // Targets above every σ(b_i) (at most σ(2) = 0.88): the errors are negative at every
    // step and would push the gains, which start at 0, below 0.
    let text = spec("per_neuron", "0.0", 1).replace(
        "target = [0.2, 0.4, 0.6, 0.3]",
        "target = [0.99, 0.99, 0.99, 0.99]",
    );
    let r = rates(&resolved(&text));
    // Every rate stays at σ(b_i): the gains never go negative (which would excite).
    for t in 0..400 {
        for i in 0..4 {
            let x = r[t * 4 + i] as f64;
            assert!((x - sigmoid(BIAS[i])).abs() < 1e-6, "t {t} unit {i}: {x}");
        }
    }
}

#[test]
fn threads_and_checkpoints_do_not_change_the_result() {
    for mode in ["per_neuron", "global"] {
        let gain = if mode == "global" {
            "1.0"
        } else {
            "[1.0, 0.5, 2.0, 0.0]"
        };
        let one = resolved(&spec(mode, gain, 1));
        let whole = rates(&one);
        assert_eq!(
            rates(&resolved(&spec(mode, gain, 3))),
            whole,
            "{mode}: 3 threads"
        );
        let mut first = Network::build(&one).unwrap();
        first.run_until(137, None).unwrap();
        let mut w = StateWriter::new();
        first.save_state(&mut w);
        let bytes = w.into_bytes();
        let mut second = Network::build(&one).unwrap();
        second.load_state(&mut StateReader::new(&bytes)).unwrap();
        let resumed = second.run(None).unwrap().states[0].values.clone();
        assert_eq!(
            resumed[137 * 4..],
            whole[137 * 4..],
            "{mode}: resumed at step 137"
        );
    }
}
