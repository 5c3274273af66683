//! Property test: arbitrary small circuits give bit-identical results for 1, 2 and 3 threads.
//!
//! Each case is 1–3 populations of 1–40 neurons (LIF variants, Izhikevich, Poisson sources),
//! with or without Dale signs and homeostasis, 0–4 projections with random connection rules,
//! weights, delays (constant or uniform, at least dt), autapses/multapses and plasticity
//! (stdp, triplet, vogels, scaling), Poisson inputs and 20–100 ms of simulation. A circuit the
//! validator refuses is skipped (and counted: most must pass). For each accepted circuit the
//! spikes of every population (times and senders), the binned rates and the final weights of
//! every plastic projection must be the same bit for bit for every thread count.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_model::*;
use ganglion_sim::Network;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The models generated, with a weight unit and a typical weight magnitude into them, and an
/// input rate and weight that make them fire.
struct ModelCase {
    name: &'static str,
    unit: &'static str,
    weight: f64,
    input_rate_hz: f64,
}

const MODELS: &[ModelCase] = &[
    ModelCase {
        name: "iaf_psc_exp",
        unit: "pA",
        weight: 60.0,
        input_rate_hz: 8000.0,
    },
    ModelCase {
        name: "iaf_psc_alpha",
        unit: "pA",
        weight: 60.0,
        input_rate_hz: 8000.0,
    },
    ModelCase {
        name: "iaf_psc_delta",
        unit: "mV",
        weight: 0.8,
        input_rate_hz: 4000.0,
    },
    ModelCase {
        name: "iaf_cond_exp",
        unit: "nS",
        weight: 4.0,
        input_rate_hz: 8000.0,
    },
    ModelCase {
        name: "izhikevich",
        unit: "mV",
        weight: 3.0,
        input_rate_hz: 4000.0,
    },
    ModelCase {
        name: "poisson_source",
        unit: "pA",
        weight: 10.0,
        input_rate_hz: 0.0,
    },
];

#[derive(Debug, Clone)]
struct PopGen {
    size: usize,
    model: usize,
    /// 0: none, 1: excitatory, 2: inhibitory.
    sign: u8,
    /// Rate of a Poisson source, or of the Poisson input into a neuron model, × typical.
    rate_scale: f64,
    homeostasis: bool,
}

#[derive(Debug, Clone)]
struct ProjGen {
    source: usize,
    target: usize,
    /// 0 all_to_all, 1 fixed_probability, 2 fixed_indegree, 3 fixed_outdegree, 4 one_to_one.
    rule: u8,
    p: f64,
    k: u64,
    /// Weight × the target model's typical weight; negative is inhibitory.
    weight_scale: f64,
    weight_uniform: bool,
    delay_ms: f64,
    delay_uniform: bool,
    autapses: bool,
    multapses: bool,
    /// 0 none, 1 stdp, 2 stdp multiplicative nearest, 3 triplet, 4 vogels, 5 scaling.
    plasticity: u8,
}

#[derive(Debug, Clone)]
struct CircuitGen {
    pops: Vec<PopGen>,
    projs: Vec<ProjGen>,
    duration_ms: u32,
    seed: u64,
}

fn pop_gen() -> impl Strategy<Value = PopGen> {
    (
        1..=40usize,
        0..MODELS.len(),
        0..3u8,
        0.2..2.0f64,
        prop::bool::weighted(0.2),
    )
        .prop_map(|(size, model, sign, rate_scale, homeostasis)| PopGen {
            size,
            model,
            sign,
            rate_scale,
            homeostasis,
        })
}

fn proj_gen() -> impl Strategy<Value = ProjGen> {
    (
        (0..3usize, 0..3usize, 0..5u8, 0.05..1.0f64, 1..8u64),
        (-1.0..1.0f64, any::<bool>(), 0.1..4.0f64, any::<bool>()),
        (any::<bool>(), any::<bool>(), 0..6u8),
    )
        .prop_map(
            |(
                (source, target, rule, p, k),
                (weight_scale, weight_uniform, delay_ms, delay_uniform),
                (autapses, multapses, plasticity),
            )| ProjGen {
                source,
                target,
                rule,
                p,
                k,
                weight_scale,
                weight_uniform,
                delay_ms,
                delay_uniform,
                autapses,
                multapses,
                plasticity,
            },
        )
}

fn circuit_gen() -> impl Strategy<Value = CircuitGen> {
    (
        prop::collection::vec(pop_gen(), 1..=3),
        prop::collection::vec(proj_gen(), 0..=4),
        20..=100u32,
        any::<u64>(),
    )
        .prop_map(|(pops, mut projs, duration_ms, seed)| {
            let n = pops.len();
            for j in &mut projs {
                j.source %= n;
                j.target %= n;
            }
            CircuitGen {
                pops,
                projs,
                duration_ms,
                seed,
            }
        })
}

fn q(x: f64, unit: &str) -> String {
    format!("{x} {unit}")
}

/// The circuit described by `g`: names `p0`, `p1`, … and a spikes and a rate monitor each.
fn build(g: &CircuitGen) -> Circuit {
    let mut c = Circuit::new(Simulation::new("0.1 ms", &format!("{} ms", g.duration_ms)));
    c.simulation.seed = g.seed;
    for (i, p) in g.pops.iter().enumerate() {
        let m = &MODELS[p.model];
        let name = format!("p{i}");
        let mut pop = Population::new(&name, p.size, m.name);
        pop.sign = match p.sign {
            1 => Some(Sign::Excitatory),
            2 => Some(Sign::Inhibitory),
            _ => None,
        };
        if m.name == "poisson_source" {
            pop = pop.param("rate", q(40.0 * p.rate_scale, "Hz").as_str());
        } else {
            if m.name != "izhikevich" {
                pop = pop.init("V_m", Value::uniform("-70 mV", "-55 mV"));
            }
            if p.homeostasis && m.name != "izhikevich" {
                pop.homeostasis = Some(Homeostasis {
                    target: "5 Hz".into(),
                    tau: Some("50 ms".into()),
                    eta: Some("0.5 mV".into()),
                });
            }
            c = c.input(Input::poisson(
                &name,
                q(m.input_rate_hz * p.rate_scale, "Hz").as_str(),
                q(m.weight * 0.25, m.unit).as_str(),
            ));
        }
        c = c
            .population(pop)
            .monitor(Monitor::spikes(&name))
            .monitor(Monitor::rate(&name, "5 ms"));
    }
    for (j, pj) in g.projs.iter().enumerate() {
        let src = &g.pops[pj.source];
        let tgt = &MODELS[g.pops[pj.target].model];
        if tgt.name == "poisson_source" {
            continue; // sources take no input
        }
        // Degrees within what the populations offer, one_to_one between equal sizes: the
        // validator refuses the rest, and refused circuits test nothing.
        let (ns, nt) = (src.size as u64, g.pops[pj.target].size as u64);
        let own = u64::from(pj.source == pj.target && !pj.autapses);
        let conn = match pj.rule {
            0 => Connectivity::all_to_all(),
            2 if ns > own => Connectivity::fixed_indegree(pj.k.min(ns - own)),
            3 if nt > own => Connectivity::fixed_outdegree(pj.k.min(nt - own)),
            4 if ns == nt => Connectivity::one_to_one(),
            _ => Connectivity::fixed_probability(pj.p),
        };
        // Follow the source's sign when it has one, else the generated sign.
        let sign = match src.sign {
            1 => 1.0,
            2 => -1.0,
            _ => pj.weight_scale.signum(),
        };
        let mut w = pj.weight_scale.abs() * tgt.weight;
        if tgt.unit == "nS" {
            w = w.max(0.01); // conductances are positive, the receptor picks the sign
        } else {
            w *= sign;
        }
        let mut p = Projection::new(&format!("p{}", pj.source), &format!("p{}", pj.target), conn);
        p.name = Some(format!("j{j}"));
        p.weight = Some(if pj.weight_uniform {
            let (a, b) = if w < 0.0 { (w, 0.5 * w) } else { (0.5 * w, w) };
            Value::uniform(&q(a, tgt.unit), &q(b, tgt.unit))
        } else {
            Value::from(q(w, tgt.unit).as_str())
        });
        p.delay = Some(if pj.delay_uniform {
            Value::uniform("0.1 ms", &q(pj.delay_ms, "ms"))
        } else {
            Value::from(q(pj.delay_ms, "ms").as_str())
        });
        if tgt.unit == "nS" {
            p.receptor = Some(
                if sign < 0.0 {
                    "inhibitory"
                } else {
                    "excitatory"
                }
                .into(),
            );
        }
        p.autapses = pj.autapses;
        p.multapses = pj.multapses;
        let w_max = Some(Scalar::from(q(2.0 * w.abs(), tgt.unit).as_str()));
        p.plasticity = match pj.plasticity {
            1 => Some(Plasticity {
                rule: "stdp".into(),
                w_max,
                a_plus: Some(0.05),
                ..Default::default()
            }),
            2 => Some(Plasticity {
                rule: "stdp".into(),
                w_max,
                mode: Some("multiplicative".into()),
                pairing: Some("nearest".into()),
                timing: Some("synapse".into()),
                update: Some("lazy".into()),
                ..Default::default()
            }),
            3 => Some(Plasticity {
                rule: "triplet".into(),
                w_max,
                a2_plus: Some(0.01),
                a3_plus: Some(0.01),
                timing: Some("synapse".into()),
                ..Default::default()
            }),
            4 => Some(Plasticity {
                rule: "vogels".into(),
                w_max,
                eta: Some(q(0.01 * w.abs(), tgt.unit).as_str().into()),
                rho0: Some("5 Hz".into()),
                ..Default::default()
            }),
            5 => Some(Plasticity {
                rule: "scaling".into(),
                w_max,
                rho0: Some("5 Hz".into()),
                interval: Some("2 ms".into()),
                tau: Some("20 ms".into()),
                rate: Some(0.5),
                ..Default::default()
            }),
            _ => None,
        };
        c = c.projection(p);
    }
    c
}

/// What must not depend on the thread count.
#[derive(Debug, PartialEq)]
struct Observed {
    /// Per spike monitor: (population, times as bits, senders).
    spikes: Vec<(String, Vec<u64>, Vec<u32>)>,
    /// Per rate monitor: (population, rates as bits).
    rates: Vec<(String, Vec<u64>)>,
    /// Per plastic projection: its synapses (source, target, weight bits, delay bits), sorted.
    weights: Vec<Vec<(u32, u32, u32, u64)>>,
}

fn observe(mut r: Resolved, threads: usize) -> Result<Observed, String> {
    r.threads = threads;
    let mut net = Network::build(&r).map_err(|e| format!("build: {e}"))?;
    let res = net.run(None).map_err(|e| format!("run: {e}"))?;
    let spikes = res
        .spikes
        .iter()
        .map(|s| {
            (
                s.population.clone(),
                s.times_ms.iter().map(|t| t.to_bits()).collect(),
                s.senders.clone(),
            )
        })
        .collect();
    let rates = res
        .rates
        .iter()
        .map(|s| {
            (
                s.population.clone(),
                s.rates_hz.iter().map(|t| t.to_bits()).collect(),
            )
        })
        .collect();
    let weights = net
        .plastic_projections()
        .into_iter()
        .map(|j| {
            let mut v: Vec<_> = net
                .synapses_of(j)
                .into_iter()
                .map(|(s, t, w, d)| (s, t, w.to_bits(), d.to_bits()))
                .collect();
            v.sort_unstable();
            v
        })
        .collect();
    Ok(Observed {
        spikes,
        rates,
        weights,
    })
}

/// Every accepted circuit gives the same results on 1, 2 and 3 threads; most generated
/// circuits are accepted and spike, so the property tests something.
#[test]
fn results_do_not_depend_on_the_thread_count() {
    let cases = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    let spiking = AtomicUsize::new(0);
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let outcome = runner.run(&circuit_gen(), |g| {
        cases.fetch_add(1, Ordering::Relaxed);
        let c = build(&g);
        let Ok(r) = validate_circuit(&c) else {
            refused.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        };
        let one = observe(r.clone(), 1);
        if one
            .as_ref()
            .is_ok_and(|o| o.spikes.iter().any(|s| !s.2.is_empty()))
        {
            spiking.fetch_add(1, Ordering::Relaxed);
        }
        for threads in [2, 3] {
            let other = observe(r.clone(), threads);
            prop_assert_eq!(&one, &other, "1 vs {} threads for {:#?}", threads, c);
        }
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    let (n, bad, spk) = (
        cases.into_inner(),
        refused.into_inner(),
        spiking.into_inner(),
    );
    eprintln!("{n} circuits: {bad} refused by validation, {spk} spiked");
    assert!(bad * 10 <= n * 3, "{bad} of {n} generated circuits refused");
    assert!(spk * 2 >= n, "only {spk} of {n} generated circuits spiked");
}

/// The generator makes circuits the validator accepts (so the property above tests the
/// engine, not the refusals); when it does not, the failure lists the validator's reasons.
#[test]
fn generated_circuits_are_mostly_valid() {
    let mut runner = TestRunner::new(ProptestConfig::default());
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    let (n, mut refused) = (300, 0);
    for _ in 0..n {
        let g = circuit_gen().new_tree(&mut runner).unwrap().current();
        if let Err(e) = validate_circuit(&build(&g)) {
            refused += 1;
            for p in e.problems() {
                let key: String = p.message.chars().take(200).collect();
                *reasons.entry(key).or_default() += 1;
            }
        }
    }
    assert!(refused * 10 <= n, "{refused} of {n} refused: {reasons:#?}");
}
