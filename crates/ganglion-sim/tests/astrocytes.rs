//! Astrocytes (`astrocyte_lr_1994`) and slow inward currents (`synapse = "sic"`) through the
//! whole engine: side by side with NEST 3.10 (fixture written by
//! `bench/astrocytes/nest_astrocyte.py fixture`), the SIC a neuron receives, thread and
//! checkpoint invariance, and the problems validation reports.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_model::*;
use ganglion_sim::{Network, Results};

fn run(c: &Circuit, threads: usize) -> Results {
    let mut r = validate_circuit(c).unwrap_or_else(|e| panic!("{e}"));
    r.threads = threads;
    Network::build(&r).unwrap().run(None).unwrap()
}

/// The fixture's spike train (ms): 100 spikes at 50 Hz from 100 ms, 25 from 10 s.
fn nest_spikes() -> Vec<Scalar> {
    (0..100)
        .map(|k| 100.0 + 20.0 * k as f64)
        .chain((0..25).map(|k| 10_000.0 + 20.0 * k as f64))
        .map(|t| Scalar::Text(format!("{t} ms")))
        .collect()
}

/// NEST's fixture scenario: one astrocyte (delta_IP3 = 0.2 µM) driven by the spike train
/// (weight 1, delay 1 ms), its SIC into one passive LIF cell with `sic_weight`.
fn nest_circuit(sic_weight: &str) -> Circuit {
    let mut spikes = Input::new("spike_times", "astro");
    spikes.times = Some(nest_spikes());
    spikes.weight = Some(1.0.into());
    spikes.delay = Some("1 ms".into());
    let mut every = Monitor::state("astro", &["IP3", "Ca_astro", "h_IP3R"], &[0]);
    every.every = Some("20 ms".into());
    Circuit::new(Simulation::new("0.1 ms", "20000 ms"))
        .population(Population::new("astro", 1, "astrocyte_lr_1994").param("delta_IP3", 0.2))
        .population(Population::new("cell", 1, "iaf_psc_exp").param("V_th", "1000 mV"))
        .projection(Projection::new("astro", "cell", Connectivity::one_to_one()).sic(sic_weight))
        .input(spikes)
        .monitor(every)
        .monitor(Monitor::state("astro", &["SIC"], &[0]))
        .monitor(Monitor::state("cell", &["V_m"], &[0]))
}

/// Rows of the NEST fixture: t, IP3, Ca_astro, h_IP3R, I_SIC.
fn fixture() -> Vec<[f64; 5]> {
    let text = include_str!("fixtures/astrocyte_nest.csv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('t'))
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            [v[0], v[1], v[2], v[3], v[4]]
        })
        .collect()
}

#[test]
fn calcium_ip3_and_sic_match_nest_3_10() {
    let res = run(&nest_circuit("1 pA"), 1);
    let rows = fixture();
    assert_eq!(rows.len(), 999);
    let (ip3, ca, h, sic) = (
        &res.states[0],
        &res.states[1],
        &res.states[2],
        &res.states[3],
    );
    assert_eq!(ip3.times_ms.len(), 1000);
    // Tolerance: NEST integrates with GSL's adaptive RKF45 (absolute tolerance 1e-3 µM, which
    // at these rates of ~1e-3/ms accepts every 0.1 ms step whole), Ganglion with RK4 at
    // 0.1 ms; both local errors are below 1e-15, so the traces differ by the f32 of the
    // recording (6e-8) and the order of floating-point operations. 1e-6 relative bounds
    // that with margin; any change of a flux, of the clamp, or of when a spike lands (one
    // step moves IP3 by 0.2 µM at the spikes) fails it by orders of magnitude.
    let mut worst = [0.0f64; 3];
    for (k, row) in rows.iter().enumerate() {
        assert!((ip3.times_ms[k] - row[0]).abs() < 1e-9, "same sample times");
        for (v, st) in [ip3, ca, h].iter().enumerate() {
            let e = (st.values[k] as f64 - row[v + 1]).abs() / row[v + 1].abs();
            worst[v] = worst[v].max(e);
        }
    }
    eprintln!(
        "worst relative error vs NEST: IP3 {:e}, Ca {:e}, h {:e}",
        worst[0], worst[1], worst[2]
    );
    assert!(worst.iter().all(|&w| w < 1e-6), "{worst:?}");
    // NEST's I_SIC at time T is the astrocyte's SIC of T − 0.1 ms (sic_connection delay of
    // one step) times the weight (1); Ganglion's SIC is recorded every step at (k+1)·dt.
    // The SIC is ln of calcium above threshold in nM: it amplifies a calcium difference by
    // 1000/(Ca − SIC_th)/nM, so it is compared in absolute terms (it is of order 1–7).
    let mut worst_sic = 0.0f64;
    let mut on = 0;
    for row in &rows {
        let k = (row[0] / 0.1).round() as usize - 2; // sample at T − 0.1 ms
        assert!((sic.times_ms[k] - (row[0] - 0.1)).abs() < 1e-9);
        worst_sic = worst_sic.max((sic.values[k] as f64 - row[4]).abs());
        on += usize::from(row[4] > 0.0);
    }
    eprintln!(
        "worst SIC difference vs NEST: {worst_sic:e} ({on} of {} samples on)",
        rows.len()
    );
    assert!(worst_sic < 1e-5, "{worst_sic}");
    assert!(on > 900, "the scenario drives the SIC on: {on}");
}

#[test]
fn the_neuron_receives_weight_times_the_previous_steps_sic() {
    // A passive iaf_psc_exp cell (C = 250 pF, tau_m = 10 ms): exactly
    // V(u+1) = E_L + (V(u) − E_L)·p + (τ/C)(1 − p)·I(u), with I(u) = w·SIC at the end of step
    // u − 1 (the astrocyte's recorded value (u)·dt; 0 in step 0).
    let res = run(&nest_circuit("50 pA"), 1);
    let (sic, v) = (&res.states[3].values, &res.states[4].values);
    let dt = 0.1f64;
    let p = (-dt / 10.0).exp();
    let gain = 10.0 / 250.0 * (1.0 - p);
    let mut vref = -70.0f64;
    let mut worst = 0.0f64;
    for u in 0..v.len() {
        let i = if u == 0 {
            0.0
        } else {
            50.0 * sic[u - 1] as f64
        };
        vref = -70.0 + (vref + 70.0) * p + gain * i;
        worst = worst.max((v[u] as f64 - vref).abs());
    }
    assert!(worst < 1e-3, "worst {worst} mV");
    // The SIC depolarises the cell by w·SIC·R = 50 pA × ~6.5 × 40 MΩ ≈ 13 mV at its peak.
    let peak = v.iter().cloned().fold(f32::MIN, f32::max);
    assert!(peak > -60.0, "peak {peak}");
}

/// Poisson-driven neurons, astrocytes listening to them, SIC back onto them.
fn network() -> Circuit {
    Circuit::new(Simulation::new("0.1 ms", "1500 ms"))
        .population(Population::new("n", 40, "iaf_psc_exp"))
        .population(
            Population::new("astro", 7, "astrocyte_lr_1994")
                .param("delta_IP3", 0.2)
                .param("SIC_th", Value::uniform("0.1", "0.3")),
        )
        .projection(
            Projection::new("n", "astro", Connectivity::fixed_indegree(10))
                .weight(Value::uniform("0.5", "1.5"))
                .delay("2 ms"),
        )
        .projection(
            Projection::new("astro", "n", Connectivity::fixed_probability(0.3))
                .sic(Value::uniform("20 pA", "60 pA")),
        )
        .input(Input::poisson("n", "3500 Hz", "60 pA"))
        .monitor(Monitor::spikes("n"))
        .monitor(Monitor::state("astro", &["Ca_astro", "SIC"], &[0, 3, 6]))
}

#[test]
fn astrocyte_networks_are_bit_identical_across_thread_counts_and_checkpoints() {
    use ganglion_base::state::{StateReader, StateWriter};
    let one = run(&network(), 1);
    let three = run(&network(), 3);
    assert_eq!(one.spikes[0].times_ms, three.spikes[0].times_ms);
    assert_eq!(one.spikes[0].senders, three.spikes[0].senders);
    assert_eq!(one.states[0].values, three.states[0].values);
    assert_eq!(one.states[1].values, three.states[1].values);
    assert!(
        one.states[1].values.iter().any(|&s| s > 0.0),
        "SIC on somewhere"
    );
    // Resume from a checkpoint in the middle.
    let mut r = validate_circuit(&network()).unwrap();
    r.threads = 2;
    let mut first = Network::build(&r).unwrap();
    first.run_until(12_345, None).unwrap();
    let mut w = StateWriter::new();
    first.save_state(&mut w);
    let bytes = w.into_bytes();
    let mut second = Network::build(&r).unwrap();
    second.load_state(&mut StateReader::new(&bytes)).unwrap();
    let resumed = second.run(None).unwrap();
    assert_eq!(one.spikes[0].times_ms, resumed.spikes[0].times_ms);
    assert_eq!(one.states[1].values, resumed.states[1].values);
}

#[test]
fn the_sic_changes_the_neurons_and_weight_zero_removes_it() {
    let with = run(&network(), 1);
    let mut c = network();
    c.projections[1] =
        Projection::new("astro", "n", Connectivity::fixed_probability(0.3)).sic("0 pA");
    let without = run(&c, 1);
    // Astrocytes see the same spikes until the SIC first changes a neuron.
    assert!(with.populations[0].spike_count > without.populations[0].spike_count);
}

fn problems(c: &Circuit) -> String {
    validate_circuit(c).unwrap_err().to_string()
}

#[test]
fn validation_names_what_is_wrong_with_an_astrocyte_spec() {
    let base = || {
        Circuit::new(Simulation::new("0.1 ms", "10 ms"))
            .population(Population::new("astro", 2, "astrocyte_lr_1994"))
            .population(Population::new("n", 2, "iaf_psc_exp"))
            .population(Population::new("r", 2, "rate_tanh"))
    };
    let one = Connectivity::one_to_one;
    // A SIC projection from a neuron population.
    let e = problems(&base().projection(Projection::new("n", "n", one()).sic("1 pA")));
    assert!(
        e.contains("model \"iaf_psc_exp\" of source \"n\" has none")
            && e.contains("astrocyte_lr_1994"),
        "{e}"
    );
    // Onto a rate population.
    let e = problems(&base().projection(Projection::new("astro", "r", one()).sic("1 pA")));
    assert!(e.contains("target \"r\" (rate_tanh) is not spiking"), "{e}");
    // Negative weight, a delay, a receptor.
    let e = problems(
        &base().projection(
            Projection::new("astro", "n", one())
                .sic("-2 pA")
                .delay("1 ms")
                .receptor("inhibitory"),
        ),
    );
    assert!(e.contains("SIC weight -2 pA is negative"), "{e}");
    assert!(
        e.contains("`delay` does not apply to a SIC projection"),
        "{e}"
    );
    assert!(
        e.contains("`receptor` does not apply to a SIC projection"),
        "{e}"
    );
    // The weight is a current.
    let e = problems(&base().projection(Projection::new("astro", "n", one()).sic("1 nS")));
    assert!(e.contains("weight"), "{e}");
    // A chemical projection out of an astrocyte.
    let e = problems(&base().projection(Projection::new("astro", "n", one()).weight("1 pA")));
    assert!(
        e.contains("astrocyte population \"astro\" emits no spikes")
            && e.contains("synapse = \\\"sic\\\"") | e.contains("synapse = \"sic\""),
        "{e}"
    );
    // Negative spike weights into an astrocyte, and rates into one.
    let e = problems(&base().projection(Projection::new("n", "astro", one()).weight(-1.0)));
    assert!(
        e.contains("weight -1 into astrocyte population \"astro\" is negative"),
        "{e}"
    );
    let e = problems(&base().projection(Projection::new("r", "astro", one()).weight(1.0)));
    assert!(e.contains("\"r\" is a rate population"), "{e}");
    // A negative rate parameter.
    let mut c = base();
    c.populations[0] = Population::new("astro", 2, "astrocyte_lr_1994").param("rate_L", -0.1);
    let e = problems(&c);
    assert!(e.contains("rate_L") && e.contains("-0.1"), "{e}");
    // An unknown synapse lists sic among the known ones.
    let mut p = Projection::new("astro", "n", one()).weight("1 pA");
    p.synapse = Some("tripartite".into());
    let e = problems(&base().projection(p));
    assert!(
        e.contains("unknown synapse \"tripartite\"") && e.contains("sic"),
        "{e}"
    );
}
