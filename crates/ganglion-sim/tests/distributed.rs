//! Distributed runs (in-process ranks, [`LocalRanks`]) against single-process runs: spikes,
//! state samples, rate bins, weight samples and final weights must be the same bit for bit
//! for ranks × threads ∈ {1, 2, 3} × {1, 2}, with Poisson, spike-time and current inputs,
//! static, STDP and three-factor projections, gap junctions (every-step exchange) and a
//! purely static network (min-delay epochs, with Poisson inputs held back across epochs).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_model::*;
use ganglion_sim::distributed::LocalRanks;
use ganglion_sim::{Network, Results};

/// E/I network with an STDP projection, a three-factor projection modulated by a spiking
/// population, mixed delays, Poisson (with a delay), spike-time and current inputs, and
/// every kind of monitor.
fn plastic_circuit() -> Circuit {
    let mut stdp = Projection::new("e", "e", Connectivity::fixed_indegree(20))
        .weight(Value::uniform("5 pA", "25 pA"))
        .delay(Value::uniform("0.5 ms", "3 ms"));
    stdp.name = Some("ee".into());
    stdp.plasticity = Some(Plasticity {
        rule: "stdp".into(),
        w_max: Some("60 pA".into()),
        ..Default::default()
    });
    let mut reward = Projection::new("e", "i", Connectivity::fixed_probability(0.1))
        .weight("20 pA")
        .delay("1 ms");
    reward.plasticity = Some(Plasticity {
        rule: "three_factor".into(),
        w_max: Some("60 pA".into()),
        a_plus: Some(1.0),
        a_minus: Some(1.0),
        tau_e: Some("50 ms".into()),
        rate: Some(5.0),
        modulator: Some(Modulator {
            population: Some("dop".into()),
            tau: Some("20 ms".into()),
            ..Default::default()
        }),
        ..Default::default()
    });
    let mut times = Input::new("spike_times", "i");
    times.times = Some(vec![
        Scalar::Text("10 ms".into()),
        Scalar::Text("40.3 ms".into()),
    ]);
    times.weight = Some("300 pA".into());
    times.delay = Some("0.1 ms".into());
    Circuit::new(Simulation::new("0.1 ms", "120 ms"))
        .population(
            Population::new("e", 70, "iaf_psc_exp").init("V_m", Value::uniform("-70 mV", "-55 mV")),
        )
        .population(Population::new("i", 23, "iaf_psc_alpha"))
        .population(Population::new("dop", 9, "iaf_psc_exp"))
        .projection(stdp)
        .projection(reward)
        .projection(
            Projection::new("i", "e", Connectivity::fixed_probability(0.3))
                .weight("-40 pA")
                .delay("0.8 ms"),
        )
        .input(delayed(Input::poisson("e", "20000 Hz", "10 pA"), "1.2 ms"))
        .input(Input::poisson("dop", "20000 Hz", "10 pA"))
        .input(Input::current("i", "300 pA"))
        .input(times)
        .monitor(Monitor::spikes("e"))
        .monitor(Monitor::spikes("i"))
        .monitor(Monitor::spikes("dop"))
        .monitor(Monitor::state(
            "e",
            &["V_m", "I_syn_ex"],
            &[0, 17, 35, 36, 69],
        ))
        .monitor(Monitor::rate("i", "2 ms"))
        .monitor(Monitor::weights("ee", 50, "1 ms"))
}

fn delayed(mut i: Input, d: &str) -> Input {
    i.delay = Some(d.into());
    i
}

/// A static E/I network: exchanged once per min-delay epoch (1.5 ms = 15 steps), Poisson
/// input delays shorter than the synaptic ones.
fn static_circuit() -> Circuit {
    Circuit::new(Simulation::new("0.1 ms", "150 ms"))
        .population(
            Population::new("e", 120, "iaf_psc_exp")
                .init("V_m", Value::uniform("-70 mV", "-55 mV")),
        )
        .population(Population::new("i", 31, "iaf_psc_exp"))
        .projection(
            Projection::new("e", "e", Connectivity::fixed_indegree(12))
                .weight("25 pA")
                .delay(Value::uniform("1.5 ms", "4 ms")),
        )
        .projection(
            Projection::new("e", "i", Connectivity::fixed_indegree(12))
                .weight("25 pA")
                .delay("1.5 ms"),
        )
        .projection(
            Projection::new("i", "e", Connectivity::fixed_indegree(8))
                .weight("-60 pA")
                .delay("2 ms"),
        )
        .input(delayed(Input::poisson("e", "20000 Hz", "10 pA"), "0.4 ms"))
        .input(delayed(Input::poisson("i", "20000 Hz", "10 pA"), "1.9 ms"))
        .input(Input::current("i", "50 pA"))
        .monitor(Monitor::spikes("e"))
        .monitor(Monitor::spikes("i"))
        .monitor(Monitor::state("i", &["V_m"], &[0, 30]))
        .monitor(Monitor::rate("e", "1 ms"))
}

/// A spiking network with gap junctions (potentials exchanged every step).
fn gap_circuit() -> Circuit {
    Circuit::new(Simulation::new("0.1 ms", "80 ms"))
        .population(
            Population::new("e", 90, "iaf_psc_exp").init("V_m", Value::uniform("-70 mV", "-55 mV")),
        )
        .projection(
            Projection::new("e", "e", Connectivity::fixed_probability(0.05))
                .gap_junction(Value::uniform("0 nS", "2 nS")),
        )
        .projection(
            Projection::new("e", "e", Connectivity::fixed_probability(0.05))
                .weight("30 pA")
                .delay("1.5 ms"),
        )
        .input(Input::poisson("e", "20000 Hz", "10 pA"))
        .monitor(Monitor::spikes("e"))
        .monitor(Monitor::state("e", &["V_m"], &[0, 44, 89]))
}

/// A projection's synapses: (source, target, weight, delay ms).
type Synapses = Vec<(u32, u32, f32, f64)>;

fn resolved(c: &Circuit, threads: usize) -> Resolved {
    let mut c = c.clone();
    c.simulation.threads = threads;
    validate_circuit(&c).unwrap_or_else(|e| panic!("{e}"))
}

/// Rank 0's results, final weights of every plastic projection and the epoch length of a
/// run on `ranks` in-process ranks of `threads` threads.
fn distributed(c: &Circuit, ranks: usize, threads: usize) -> (Results, Vec<Synapses>, u64, u64) {
    let r = resolved(c, threads);
    let handles: Vec<_> = LocalRanks::handles(ranks)
        .into_iter()
        .map(|ex| {
            let r = r.clone();
            std::thread::spawn(move || {
                let mut net = Network::build_distributed(&r, ex).unwrap();
                let res = net.run(None).unwrap();
                let weights: Vec<_> = net
                    .plastic_projections()
                    .into_iter()
                    .map(|j| net.synapses_of(j))
                    .collect();
                (res, weights, net.exchange_epoch(), net.synapse_count())
            })
        })
        .collect();
    let mut outs: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    outs.swap_remove(0)
}

fn assert_same(a: &Results, b: &Results, what: &str) {
    assert_eq!(a.spikes.len(), b.spikes.len());
    for (x, y) in a.spikes.iter().zip(&b.spikes) {
        assert_eq!(x.senders, y.senders, "{what}: senders of {}", x.population);
        let bits = |v: &[f64]| v.iter().map(|t| t.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&x.times_ms), bits(&y.times_ms), "{what}: spike times");
    }
    for (x, y) in a.states.iter().zip(&b.states) {
        let bits = |v: &[f32]| v.iter().map(|t| t.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&x.values),
            bits(&y.values),
            "{what}: {} {}",
            x.population,
            x.variable
        );
    }
    assert_eq!(a.states.len(), b.states.len());
    assert_eq!(a.rates.len(), b.rates.len());
    for (x, y) in a.rates.iter().zip(&b.rates) {
        assert_eq!(x.rates_hz, y.rates_hz, "{what}: rates of {}", x.population);
    }
    assert_eq!(a.weights.len(), b.weights.len());
    for (x, y) in a.weights.iter().zip(&b.weights) {
        assert_eq!((&x.sources, &x.targets), (&y.sources, &y.targets), "{what}");
        let bits = |v: &[f32]| v.iter().map(|t| t.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&x.values), bits(&y.values), "{what}: weights");
    }
    for (x, y) in a.populations.iter().zip(&b.populations) {
        assert_eq!(x.spike_count, y.spike_count, "{what}: count of {}", x.name);
    }
    assert_eq!(a.synapses, b.synapses, "{what}: synapse count");
}

fn check(c: &Circuit, name: &str) -> u64 {
    let r = resolved(c, 1);
    let mut net = Network::build(&r).unwrap();
    let one = net.run(None).unwrap();
    let weights: Vec<_> = net
        .plastic_projections()
        .into_iter()
        .map(|j| net.synapses_of(j))
        .collect();
    for s in &one.spikes {
        assert!(
            s.times_ms.len() > 20,
            "{name}: {} should fire",
            s.population
        );
    }
    let mut epoch = 0;
    for ranks in 1..=3 {
        for threads in 1..=2 {
            let what = format!("{name}, {ranks} ranks × {threads} threads");
            let (res, w, e, synapses) = distributed(c, ranks, threads);
            assert_same(&one, &res, &what);
            assert_eq!(synapses, net.synapse_count(), "{what}");
            assert_eq!(w.len(), weights.len());
            for (x, y) in w.iter().zip(&weights) {
                let bits = |v: &[(u32, u32, f32, f64)]| {
                    v.iter()
                        .map(|e| (e.0, e.1, e.2.to_bits(), e.3.to_bits()))
                        .collect::<Vec<_>>()
                };
                assert_eq!(bits(x), bits(y), "{what}: final weights");
            }
            epoch = e;
        }
    }
    epoch
}

#[test]
fn plastic_networks_are_bit_identical_across_ranks_and_threads() {
    let epoch = check(&plastic_circuit(), "plastic");
    assert_eq!(epoch, 1, "plasticity needs the every-step exchange");
}

#[test]
fn static_networks_exchange_once_per_min_delay_epoch_and_stay_bit_identical() {
    let epoch = check(&static_circuit(), "static");
    assert_eq!(epoch, 15, "min delay 1.5 ms / dt 0.1 ms");
}

#[test]
fn gap_junction_networks_are_bit_identical_across_ranks() {
    assert_eq!(check(&gap_circuit(), "gap"), 1);
}

#[test]
fn runs_split_into_calls_match_one_call() {
    // run_until in pieces that end inside epochs flushes early; the result is unchanged.
    let c = static_circuit();
    let one = Network::build(&resolved(&c, 1)).unwrap().run(None).unwrap();
    let r = resolved(&c, 1);
    let handles: Vec<_> = LocalRanks::handles(2)
        .into_iter()
        .map(|ex| {
            let r = r.clone();
            std::thread::spawn(move || {
                let mut net = Network::build_distributed(&r, ex).unwrap();
                for end in [7, 100, 101, 503, 1000, 1499] {
                    net.run_until(end, None).unwrap();
                }
                let res = net.run(None).unwrap();
                (res, net.exchange_stats())
            })
        })
        .collect();
    let outs: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_same(&one, &outs[0].0, "split run");
    // 1500 steps in epochs of 15, plus the early flushes at the split points.
    let stats = outs[0].1;
    assert!(
        stats.exchanges >= 100 && stats.exchanges <= 107,
        "{stats:?}"
    );
    assert!(stats.bytes_received > stats.bytes_sent);
}

#[test]
fn an_error_on_one_rank_stops_every_rank_with_the_message() {
    // A linear rate unit with self-excitation of gain 50 explodes; with one unit and two
    // ranks it lives on rank 1 alone. Rank 0 must stop at the same step and report rank
    // 1's error rather than wait for it.
    let c = Circuit::new(Simulation::new("1 ms", "100000 ms"))
        .population(Population::new("ok", 10, "iaf_psc_exp"))
        .population(
            Population::new("boom", 1, "rate_linear")
                .param("tau", "1 ms")
                .init("x", 1.0),
        )
        .projection(
            Projection::new("boom", "boom", Connectivity::one_to_one())
                .weight(50.0)
                .delay("1 ms"),
        )
        .monitor(Monitor::spikes("ok"));
    let r = resolved(&c, 1);
    let single = Network::build(&r)
        .unwrap()
        .run(None)
        .unwrap_err()
        .to_string();
    let handles: Vec<_> = LocalRanks::handles(2)
        .into_iter()
        .map(|ex| {
            let r = r.clone();
            std::thread::spawn(move || {
                let mut net = Network::build_distributed(&r, ex).unwrap();
                let e = net.run(None).expect_err("every rank must fail");
                (e.to_string(), net.step())
            })
        })
        .collect();
    let outs: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(outs[1].0, single, "rank 1 has the error itself");
    assert_eq!(outs[0].0, format!("rank 1: {single}"));
    assert_eq!(outs[0].1, outs[1].1, "both stop at the same step");
    assert!(outs[0].1 < 100_000);
}
