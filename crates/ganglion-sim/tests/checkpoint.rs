//! Checkpoints: a run saved part-way and resumed in a freshly built network gives results
//! bit-identical to an uninterrupted run (every model with state, plasticity of every kind,
//! homeostasis, spike-time inputs and every monitor kind), and a checkpoint of another
//! circuit is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_base::state::{StateReader, StateWriter};
use ganglion_model::*;
use ganglion_sim::{Network, Results};
use std::path::Path;

/// The circuit as arrays of inline tables (one line per object; top-level keys come before
/// the `[simulation]` table in TOML).
const SPEC: &str = r#"
population = [
  { name = "in", size = 60, model = "poisson_source", params = { rate = "50 Hz" } },
  { name = "exc", size = 50, model = "iaf_psc_exp_adapt", sign = "excitatory", params = { tau_m = "20 ms", E_L = "-60 mV", V_th = "-50 mV", V_reset = "-60 mV" }, homeostasis = { target = "8 Hz", tau = "200 ms", eta = "0.5 mV" } },
  { name = "inh", size = 20, model = "iaf_psc_alpha", sign = "inhibitory", params = { E_L = "-60 mV", V_th = "-50 mV", V_reset = "-60 mV" } },
  { name = "adex", size = 10, model = "aeif_psc_exp" },
  { name = "izh", size = 10, model = "izhikevich" },
  { name = "rate", size = 10, model = "rate_tanh" },
]
projection = [
  { source = "in", target = "exc", connectivity = { rule = "fixed_probability", p = 0.3 }, weight = "150 pA", delay = { dist = "uniform", low = "0.5 ms", high = "3 ms" }, plasticity = { rule = "triplet", w_max = "200 pA" } },
  { source = "in", target = "exc", connectivity = { rule = "fixed_probability", p = 0.2 }, weight = "100 pA", delay = { dist = "uniform", low = "0.5 ms", high = "3 ms" }, plasticity = { rule = "stdp", w_max = "200 pA", timing = "synapse", axonal_delay = "0.2 ms", update = "lazy" } },
  { source = "in", target = "inh", connectivity = { rule = "fixed_probability", p = 0.3 }, weight = "60 pA", delay = "1 ms", plasticity = { rule = "scaling", w_max = "300 pA", rho0 = "10 Hz" } },
  { source = "inh", target = "exc", connectivity = { rule = "fixed_probability", p = 0.3 }, weight = "-80 pA", delay = "1 ms", plasticity = { rule = "vogels", w_max = "500 pA", rho0 = "5 Hz", eta = "5 pA" } },
  { source = "exc", target = "inh", connectivity = { rule = "fixed_probability", p = 0.2 }, weight = "40 pA", delay = "1.5 ms", plasticity = { rule = "three_factor", w_max = "100 pA", modulator = { population = "inh", tau = "20 ms" } } },
  { source = "in", target = "adex", connectivity = { rule = "fixed_indegree", k = 10 }, weight = "150 pA", delay = "1 ms" },
  { source = "in", target = "izh", connectivity = { rule = "fixed_indegree", k = 10 }, weight = "3 mV", delay = "1 ms" },
  { source = "exc", target = "rate", connectivity = { rule = "fixed_indegree", k = 5 }, weight = 0.1, delay = "2 ms" },
]
input = [
  { kind = "spike_times", target = "izh", times = ["12 ms", "55 ms", "160 ms", "240 ms"], weight = "10 mV" },
  { kind = "current", target = "adex", amplitude = "800 pA" },
]
monitor = [
  { kind = "spikes", population = "exc" },
  { kind = "spikes", population = "izh" },
  { kind = "state", population = "adex", variables = ["V_m", "w"], neurons = [0, 3, 7], every = "1 ms" },
  { kind = "rate", population = "inh", bin = "5 ms" },
  { kind = "weights", projection = "in→exc", count = 20, every = "10 ms" },
]

[simulation]
dt = "0.1 ms"
duration = "300 ms"
seed = 5
"#;

fn resolved(threads: usize) -> Resolved {
    let mut c = parse_str(SPEC, Path::new("ckpt.toml")).unwrap_or_else(|e| panic!("{e}"));
    c.simulation.threads = threads;
    validate_circuit(&c).unwrap_or_else(|e| panic!("{e}"))
}

/// Everything a run produces, as bits.
fn fingerprint(res: &Results) -> Vec<u64> {
    let mut out = vec![];
    for s in &res.spikes {
        out.extend(s.times_ms.iter().map(|t| t.to_bits()));
        out.extend(s.senders.iter().map(|&i| i as u64));
    }
    for s in &res.states {
        out.extend(s.values.iter().map(|v| v.to_bits() as u64));
    }
    for r in &res.rates {
        out.extend(r.rates_hz.iter().map(|v| v.to_bits()));
    }
    for w in &res.weights {
        out.extend(w.values.iter().map(|v| v.to_bits() as u64));
    }
    out.extend(res.populations.iter().map(|p| p.spike_count));
    out
}

#[test]
fn a_resumed_run_is_bit_identical_to_an_uninterrupted_one() {
    for threads in [1, 2, 3] {
        let r = resolved(threads);
        let whole = Network::build(&r).unwrap().run(None).unwrap();
        let counts: Vec<u64> = whole.populations.iter().map(|p| p.spike_count).collect();
        assert!(
            counts[1..5].iter().all(|&c| c > 10),
            "every spiking population must spike: {counts:?}"
        );
        for stop in [1, 1234, 2999] {
            let mut first = Network::build(&r).unwrap();
            first.run_until(stop, None).unwrap();
            let mut w = StateWriter::new();
            first.save_state(&mut w);
            let bytes = w.into_bytes();
            drop(first);
            let mut second = Network::build(&r).unwrap();
            second.load_state(&mut StateReader::new(&bytes)).unwrap();
            assert_eq!(second.step(), stop);
            let resumed = second.run(None).unwrap();
            assert_eq!(
                fingerprint(&resumed),
                fingerprint(&whole),
                "threads {threads}, checkpoint at step {stop}"
            );
        }
    }
}

#[test]
fn a_checkpoint_of_another_circuit_or_thread_count_is_refused() {
    let mut net = Network::build(&resolved(2)).unwrap();
    net.run_until(10, None).unwrap();
    let mut w = StateWriter::new();
    net.save_state(&mut w);
    let bytes = w.into_bytes();
    let mut other = Network::build(&resolved(1)).unwrap();
    let e = other.load_state(&mut StateReader::new(&bytes)).unwrap_err();
    assert!(e.0.contains("2 threads"), "{e}");
    let mut truncated = Network::build(&resolved(2)).unwrap();
    let e = truncated
        .load_state(&mut StateReader::new(&bytes[..bytes.len() / 2]))
        .unwrap_err();
    assert!(!e.0.is_empty());
}
