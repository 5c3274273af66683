//! Whole networks: CUBA statistics, Brunel regimes, determinism across thread counts,
//! connection rules, inputs and divergence detection.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_model::*;
use ganglion_sim::{Network, Results};
use std::path::Path;

fn example(name: &str) -> (Circuit, Source) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    load(&path).unwrap()
}

/// `spec` written as `dir/spec.toml` (beside the files it reads), loaded and validated.
fn load_in(dir: &Path, spec: &str) -> Resolved {
    let path = dir.join("spec.toml");
    std::fs::write(&path, spec).unwrap();
    load_and_validate(&path).unwrap()
}

fn run(c: &Circuit) -> Results {
    let r = validate_circuit(c).unwrap_or_else(|e| panic!("{e}"));
    Network::build(&r).unwrap().run(None).unwrap()
}

#[test]
fn cuba_matches_brian2_rate_and_is_irregular() {
    // Brian2 2.x gives about 5.6 Hz for this network over 1 s; Ganglion's mean over seeds
    // must fall in the same range, and firing must be asynchronous-irregular (CV > 0.5).
    let (mut c, _) = example("cuba.toml");
    let mut rates = vec![];
    let mut cvs = vec![];
    for seed in 1..=3 {
        c.simulation.seed = seed;
        let res = run(&c);
        let spikes: u64 = res.populations.iter().map(|p| p.spike_count).sum();
        rates.push(spikes as f64 / 4000.0);
        cvs.push(res.populations[0].cv_isi.unwrap());
    }
    let rate = rates.iter().sum::<f64>() / 3.0;
    let cv = cvs.iter().sum::<f64>() / 3.0;
    assert!(
        (4.5..7.0).contains(&rate),
        "mean rate {rate} Hz (per seed {rates:?})"
    );
    assert!(cv > 0.5, "CV {cv} ({cvs:?})");
}

/// Scaled Brunel network (N_E = 4000, C_E = 400) with inhibition g and drive η.
fn brunel(g: f64, eta: f64, seed: u64) -> Circuit {
    let (ne, ni, ce, ci, j) = (4000, 1000, 400u64, 100u64, 0.2);
    let nu_thr = 20.0 / (j * ce as f64 * 20.0) * 1000.0; // Hz
    let pop = |name: &str, n: usize| {
        Population::new(name, n, "iaf_psc_delta")
            .param("tau_m", "20 ms")
            .param("E_L", "0 mV")
            .param("V_th", "20 mV")
            .param("V_reset", "10 mV")
            .param("t_ref", "2 ms")
            .init("V_m", Value::uniform("0 mV", "20 mV"))
    };
    let mut c = Circuit::new(Simulation::new("0.1 ms", "400 ms"))
        .population(pop("exc", ne).sign(Sign::Excitatory))
        .population(pop("inh", ni).sign(Sign::Inhibitory));
    c.simulation.seed = seed;
    for t in ["exc", "inh"] {
        c = c
            .projection(
                Projection::new("exc", t, Connectivity::fixed_indegree(ce))
                    .weight(format!("{j} mV").as_str())
                    .delay("1.5 ms"),
            )
            .projection(
                Projection::new("inh", t, Connectivity::fixed_indegree(ci))
                    .weight(format!("{} mV", -g * j).as_str())
                    .delay("1.5 ms"),
            )
            .input(Input::poisson(
                t,
                format!("{} Hz", eta * nu_thr * ce as f64).as_str(),
                format!("{j} mV").as_str(),
            ));
    }
    c.monitor(Monitor::spikes("exc"))
        .monitor(Monitor::rate("exc", "0.5 ms"))
}

/// Coefficient of variation of the population rate after a 100 ms transient: near 0 for an
/// asynchronous state, large for a synchronous one.
fn rate_cv(res: &Results) -> f64 {
    let r = &res.rates[0].rates_hz[200..];
    let m = r.iter().sum::<f64>() / r.len() as f64;
    (r.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / r.len() as f64).sqrt() / m
}

#[test]
fn brunel_ai_is_asynchronous_irregular_and_sr_is_synchronous() {
    let ai = run(&brunel(5.0, 2.0, 1));
    let sr = run(&brunel(3.0, 2.0, 1));
    let (ai_cv, sr_cv) = (
        ai.populations[0].cv_isi.unwrap(),
        sr.populations[0].cv_isi.unwrap(),
    );
    let (ai_sync, sr_sync) = (rate_cv(&ai), rate_cv(&sr));
    assert!(ai_cv > 0.3, "AI: CV of ISI {ai_cv}");
    assert!(ai_sync < 0.6, "AI: population-rate CV {ai_sync}");
    // SR: neurons fire in lock-step volleys (Brunel 2000 Fig. 8A): a strongly modulated
    // population rate and near-clockwork spike trains.
    assert!(
        sr_sync > 1.5 * ai_sync,
        "SR population rate oscillates: {sr_sync} vs AI {ai_sync}"
    );
    assert!(sr_cv < 0.1, "SR is regular: CV {sr_cv}");
}

#[test]
fn spikes_are_bit_identical_for_any_thread_count() {
    let mut c = brunel(5.0, 2.0, 7);
    c.simulation.duration = "100 ms".into();
    // Heterogeneous delays and weights exercise the per-synapse paths too.
    c.projections[0].delay = Some(Value::Dist(DistSpec {
        dist: Some("uniform".into()),
        low: Some("0.5 ms".into()),
        high: Some("3 ms".into()),
        ..Default::default()
    }));
    c.projections[0].weight = Some(Value::Dist(DistSpec {
        dist: Some("normal".into()),
        mean: Some("0.2 mV".into()),
        std: Some("0.05 mV".into()),
        min: Some("0 mV".into()),
        ..Default::default()
    }));
    let mut runs = vec![];
    for threads in [1, 2, 3] {
        c.simulation.threads = threads;
        let res = run(&c);
        runs.push((
            res.spikes[0].times_ms.clone(),
            res.spikes[0].senders.clone(),
        ));
    }
    assert!(runs[0].0.len() > 1000);
    assert_eq!(runs[0], runs[1], "1 vs 2 threads");
    assert_eq!(runs[0], runs[2], "1 vs 3 threads");
    // A different seed gives a different network.
    c.simulation.seed = 8;
    c.simulation.threads = 1;
    assert_ne!(run(&c).spikes[0].senders, runs[0].1);
}

fn two_pops(
    c: Connectivity,
    autapses: bool,
    multapses: bool,
    same: bool,
) -> Vec<(u32, u32, f32, f64)> {
    let mut p = Projection::new("a", if same { "a" } else { "b" }, c).weight("1 pA");
    p.autapses = autapses;
    p.multapses = multapses;
    let circ = Circuit::new(Simulation::new("0.1 ms", "1 ms"))
        .population(Population::new("a", 200, "iaf_psc_exp"))
        .population(Population::new("b", 150, "iaf_psc_exp"))
        .projection(p);
    let mut r = validate_circuit(&circ).unwrap();
    r.threads = 2;
    Network::build(&r).unwrap().synapses_of(0)
}

#[test]
fn connection_rules_produce_the_specified_graphs() {
    // fixed_indegree without autapses/multapses: exactly k distinct sources per target.
    let s = two_pops(Connectivity::fixed_indegree(30), false, false, true);
    assert_eq!(s.len(), 200 * 30);
    let mut per_target = vec![vec![]; 200];
    for &(a, b, _, _) in &s {
        assert_ne!(a, b, "autapse");
        per_target[b as usize].push(a);
    }
    for v in &mut per_target {
        let n = v.len();
        v.sort();
        v.dedup();
        assert_eq!((n, v.len()), (30, 30));
    }
    // Large in-degree uses the other sampler (partial shuffle).
    let s = two_pops(Connectivity::fixed_indegree(180), false, false, false);
    assert_eq!(s.len(), 150 * 180);
    // fixed_outdegree: k targets per source.
    let s = two_pops(Connectivity::fixed_outdegree(20), false, false, false);
    let mut per_source = vec![0; 200];
    for &(a, _, _, _) in &s {
        per_source[a as usize] += 1;
    }
    assert!(per_source.iter().all(|&k| k == 20));
    // fixed_probability: binomial count.
    let s = two_pops(Connectivity::fixed_probability(0.1), false, false, false);
    let expect = 0.1 * 200.0 * 150.0;
    assert!(
        (s.len() as f64 - expect).abs() < 4.0 * (expect * 0.9f64).sqrt(),
        "{}",
        s.len()
    );
    // all_to_all with and without autapses; one_to_one.
    assert_eq!(
        two_pops(Connectivity::all_to_all(), false, false, true).len(),
        200 * 199
    );
    assert_eq!(
        two_pops(Connectivity::all_to_all(), true, false, true).len(),
        200 * 200
    );
    let s = two_pops(Connectivity::one_to_one(), true, false, true);
    assert!(s.len() == 200 && s.iter().all(|e| e.0 == e.1));
}

#[test]
fn edge_lists_from_csv_and_npy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("edges.csv"),
        "source,target,weight,delay\n0,1,5.5,2.0\n2,0,-3,1.0\n",
    )
    .unwrap();
    npy::write(
        &dir.path().join("edges.npy"),
        &[2, 2],
        &[1.0f64, 2.0, 2.0, 1.0],
    )
    .unwrap();
    let spec = r#"
[simulation]
duration = "1 ms"
[[population]]
name = "a"
size = 3
model = "iaf_psc_exp"
[[projection]]
source = "a"
target = "a"
connectivity = { rule = "edge_list", file = "edges.csv", weight_unit = "pA", delay_unit = "ms" }
[[projection]]
source = "a"
target = "a"
connectivity = { rule = "edge_list", file = "edges.npy" }
weight = "2 pA"
delay = "0.5 ms"
"#;
    let r = load_in(dir.path(), spec);
    let net = Network::build(&r).unwrap();
    assert_eq!(
        net.synapses_of(0),
        vec![(0, 1, 5.5, 2.0), (2, 0, -3.0, 1.0)]
    );
    assert_eq!(net.synapses_of(1), vec![(1, 2, 2.0, 0.5), (2, 1, 2.0, 0.5)]);
}

#[test]
fn heterogeneous_parameters_and_delays_follow_their_distributions() {
    let mut p = Projection::new("a", "a", Connectivity::fixed_indegree(50))
        .weight(Value::uniform("1 pA", "3 pA"));
    p.delay = Some(Value::uniform("1 ms", "5 ms"));
    let c = Circuit::new(Simulation::new("0.1 ms", "1 ms"))
        .population(
            Population::new("a", 400, "iaf_psc_exp")
                .param("tau_m", Value::uniform("10 ms", "30 ms"))
                .init("V_m", Value::normal("-65 mV", "2 mV")),
        )
        .projection(p);
    let r = validate_circuit(&c).unwrap();
    let s = Network::build(&r).unwrap().synapses_of(0);
    let (wmin, wmax) = s
        .iter()
        .fold((f32::MAX, f32::MIN), |a, e| (a.0.min(e.2), a.1.max(e.2)));
    let mean_d = s.iter().map(|e| e.3).sum::<f64>() / s.len() as f64;
    assert!(wmin >= 1.0 && wmax <= 3.0 && wmax - wmin > 1.9);
    assert!((mean_d - 3.0).abs() < 0.05, "mean delay {mean_d}");
    assert!(
        s.iter()
            .all(|e| (e.3 * 10.0 - (e.3 * 10.0).round()).abs() < 1e-9),
        "delays are whole steps"
    );
}

#[test]
fn step_current_and_timeseries_inputs_drive_neurons() {
    let dir = tempfile::tempdir().unwrap();
    // A series of 0 then 1000 pA (10 ms samples) for neuron 0, and the reverse for neuron 1.
    let mut vals = vec![];
    for k in 0..10 {
        vals.extend_from_slice(&[
            if k < 5 { 0.0f64 } else { 1000.0 },
            if k < 5 { 1000.0 } else { 0.0 },
        ]);
    }
    npy::write(&dir.path().join("drive.npy"), &[10, 2], &vals).unwrap();
    let spec = r#"
[simulation]
duration = "100 ms"
[[population]]
name = "a"
size = 2
model = "iaf_psc_exp"
[[population]]
name = "b"
size = 1
model = "iaf_psc_exp"
[[input]]
kind = "timeseries"
target = "a"
file = "drive.npy"
unit = "pA"
step = "10 ms"
[[input]]
kind = "step_current"
target = "b"
times = ["0 ms", "50 ms"]
amplitudes = ["0 pA", "1 nA"]
[[monitor]]
kind = "spikes"
population = "a"
[[monitor]]
kind = "spikes"
population = "b"
"#;
    let r = load_in(dir.path(), spec);
    let res = Network::build(&r).unwrap().run(None).unwrap();
    let a = &res.spikes[0];
    assert!(a.times_ms.iter().zip(&a.senders).all(|(&t, &n)| if n == 0 {
        t > 50.0
    } else {
        t <= 52.0
    }));
    assert!(a.senders.contains(&0) && a.senders.contains(&1));
    assert!(res.spikes[1].times_ms.iter().all(|&t| t > 50.0) && !res.spikes[1].times_ms.is_empty());
}

#[test]
fn divergence_stops_the_run_and_names_population_neuron_and_step() {
    // A linear rate unit with self-excitation of gain 2 explodes to infinity.
    let c = Circuit::new(Simulation::new("1 ms", "100000 ms"))
        .population(
            Population::new("boom", 3, "rate_linear")
                .param("tau", "1 ms")
                .init("x", 1.0),
        )
        .projection(
            Projection::new("boom", "boom", Connectivity::one_to_one())
                .weight(50.0)
                .delay("1 ms"),
        );
    let r = validate_circuit(&c).unwrap();
    let err = Network::build(&r)
        .unwrap()
        .run(None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("population \"boom\"") && err.contains("neuron 0") && err.contains("step"),
        "{err}"
    );
}
