//! Gap junctions (electrical synapses): a two-cell analytic solution, rate units, thread
//! invariance, and the problems validation reports.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_model::*;
use ganglion_sim::{Network, Results};

fn run(c: &Circuit, threads: usize) -> Results {
    let mut r = validate_circuit(c).unwrap_or_else(|e| panic!("{e}"));
    r.threads = threads;
    Network::build(&r).unwrap().run(None).unwrap()
}

/// Two passive LIF cells (C = 250 pF, τm = 10 ms, so g_L = 25 nS) coupled by g; cell a gets
/// a constant current I from t = 0. With u = V − E_L, the sum s = u_a + u_b relaxes with
/// g_L/C and the difference d = u_a − u_b with (g_L + 2g)/C:
/// s(t) = I/g_L·(1 − e^{−t·g_L/C}), d(t) = I/(g_L + 2g)·(1 − e^{−t·(g_L + 2g)/C}).
fn two_cells(model: &str, dt: &str) -> Circuit {
    // The leak as each model names it; an AdEx cell far below V_T, without adaptation.
    let leak: &[(&str, &str)] = match model {
        "iaf_cond_exp" => &[("g_L", "25 nS")],
        "aeif_psc_exp" => &[
            ("g_L", "25 nS"),
            ("a", "0 nS"),
            ("b", "0 pA"),
            ("V_peak", "1010 mV"),
        ],
        _ => &[("tau_m", "10 ms")],
    };
    let cell = |name: &str| {
        let p = Population::new(name, 1, model)
            .param("C_m", "250 pF")
            .param("E_L", "-70 mV")
            .param("V_reset", "-70 mV")
            .param("V_th", "1000 mV");
        leak.iter().fold(p, |p, (k, v)| p.param(k, *v))
    };
    Circuit::new(Simulation::new(dt, "60 ms"))
        .population(cell("a"))
        .population(cell("b"))
        .projection(Projection::new("a", "b", Connectivity::one_to_one()).gap_junction("10 nS"))
        .input(Input::current("a", "500 pA"))
        .monitor(Monitor::state("a", &["V_m"], &[0]))
        .monitor(Monitor::state("b", &["V_m"], &[0]))
}

/// The largest deviation [mV] of both cells from the analytic solution.
fn two_cell_error(res: &Results) -> f64 {
    let (c, gl, g, i) = (250.0, 25.0, 10.0, 500.0);
    let mut worst: f64 = 0.0;
    for (k, st) in res.states.iter().enumerate() {
        for (&t, &v) in st.times_ms.iter().zip(&st.values) {
            let s = i / gl * (1.0 - (-t * gl / c).exp());
            let d = i / (gl + 2.0 * g) * (1.0 - (-t * (gl + 2.0 * g) / c).exp());
            let u = if k == 0 { (s + d) / 2.0 } else { (s - d) / 2.0 };
            worst = worst.max((v as f64 + 70.0 - u).abs());
        }
    }
    worst
}

#[test]
fn two_coupled_cells_follow_the_analytic_solution_and_converge_with_dt() {
    for model in [
        "iaf_psc_delta",
        "iaf_psc_exp",
        "iaf_psc_alpha",
        "iaf_psc_exp_adapt",
        "iaf_cond_exp",
        "aeif_psc_exp",
    ] {
        let fine = two_cell_error(&run(&two_cells(model, "0.01 ms"), 1));
        let coarse = two_cell_error(&run(&two_cells(model, "0.1 ms"), 1));
        eprintln!("{model}: max error {fine:.5} mV at dt 0.01 ms, {coarse:.5} mV at 0.1 ms");
        // Steady state: u_a = 15.6 mV, u_b = 4.4 mV; one-directional coupling would leave
        // u_a at 20 mV, so these bounds also check that the junction acts both ways.
        assert!(
            fine < 0.002,
            "{model}: {fine} mV from the analytic solution at dt 0.01 ms"
        );
        assert!(coarse < 0.02, "{model}: {coarse} mV at dt 0.1 ms");
        // The explicit coupling is first order: ten times the step, about ten times the error.
        assert!(coarse > 7.0 * fine, "{model}: {coarse} vs {fine} mV");
    }
}

#[test]
fn coupled_rate_units_settle_where_theory_puts_them() {
    // τ dx/dt = −x + I + g·(x_j − x_i): steady x_a = I(1 + g)/(1 + 2g), x_b = I·g/(1 + 2g).
    let unit = |name: &str| Population::new(name, 1, "rate_linear").param("tau", "10 ms");
    let c = Circuit::new(Simulation::new("0.1 ms", "300 ms"))
        .population(unit("a"))
        .population(unit("b"))
        .projection(Projection::new("a", "b", Connectivity::one_to_one()).gap_junction(0.5))
        .input(Input::current("a", 1.0))
        .monitor(Monitor::state("a", &["x"], &[0]))
        .monitor(Monitor::state("b", &["x"], &[0]));
    let res = run(&c, 1);
    let last = |k: usize| *res.states[k].values.last().unwrap() as f64;
    assert!((last(0) - 0.75).abs() < 1e-4, "x_a = {}", last(0));
    assert!((last(1) - 0.25).abs() < 1e-4, "x_b = {}", last(1));
}

/// A spiking E network with random gap junctions among its neurons and chemical synapses.
fn coupled_network() -> Circuit {
    Circuit::new(Simulation::new("0.1 ms", "300 ms"))
        .population(
            Population::new("e", 300, "iaf_psc_exp")
                .init("V_m", Value::uniform("-70 mV", "-55 mV")),
        )
        .projection(
            Projection::new("e", "e", Connectivity::fixed_probability(0.05))
                .gap_junction(Value::uniform("0 nS", "2 nS")),
        )
        .projection(
            Projection::new("e", "e", Connectivity::fixed_probability(0.02))
                .weight("30 pA")
                .delay("1.5 ms"),
        )
        .input(Input::poisson("e", "20000 Hz", "10 pA"))
        .monitor(Monitor::spikes("e"))
        .monitor(Monitor::state("e", &["V_m"], &[0, 150, 299]))
}

#[test]
fn gap_junction_networks_are_bit_identical_across_thread_counts() {
    let one = run(&coupled_network(), 1);
    assert!(
        one.spikes[0].times_ms.len() > 500,
        "the network should fire"
    );
    for threads in [2, 3] {
        let many = run(&coupled_network(), threads);
        assert_eq!(
            one.spikes[0].times_ms, many.spikes[0].times_ms,
            "{threads} threads"
        );
        assert_eq!(
            one.spikes[0].senders, many.spikes[0].senders,
            "{threads} threads"
        );
        assert_eq!(
            one.states[0].values, many.states[0].values,
            "{threads} threads"
        );
    }
}

#[test]
fn gap_junctions_change_the_dynamics() {
    // The same network without the junctions: the junctions must matter.
    let mut c = coupled_network();
    c.projections.remove(0);
    let with = run(&coupled_network(), 1);
    let without = run(&c, 1);
    assert_ne!(with.states[0].values, without.states[0].values);
}

fn problems(c: &Circuit) -> String {
    validate_circuit(c).unwrap_err().to_string()
}

#[test]
fn validation_names_what_a_gap_junction_cannot_have() {
    let base = two_cells("iaf_psc_exp", "0.1 ms");
    let with = |f: &dyn Fn(Projection) -> Projection| {
        let mut c = base.clone();
        c.projections[0] = f(c.projections[0].clone());
        problems(&c)
    };
    let e = with(&|p| p.delay("1 ms"));
    assert!(
        e.contains("`delay` does not apply to a gap junction"),
        "{e}"
    );
    let e = with(&|p| p.receptor("inhibitory"));
    assert!(e.contains("`receptor` does not apply"), "{e}");
    let e = with(&|p| p.gap_junction("-1 nS"));
    assert!(
        e.contains("gap-junction conductance -1 nS is negative"),
        "{e}"
    );
    let e = with(&|p| p.gap_junction("5 pA"));
    assert!(e.contains("weight") && e.contains("nS"), "{e}");
    let e = with(&|mut p| {
        p.synapse = Some("gap_junktion".into());
        p
    });
    assert!(e.contains("unknown synapse \"gap_junktion\""), "{e}");
    assert!(e.contains("gap_junction"), "suggests the right name: {e}");
    let e = with(&|mut p| {
        p.plasticity = Some(Plasticity {
            rule: "stdp".into(),
            w_max: Some("5 nS".into()),
            ..Default::default()
        });
        p
    });
    assert!(e.contains("`plasticity` does not apply"), "{e}");
}

#[test]
fn validation_refuses_models_without_gap_junctions_and_mixed_kinds() {
    let c = Circuit::new(Simulation::new("0.1 ms", "10 ms"))
        .population(Population::new("a", 2, "izhikevich"))
        .population(Population::new("b", 2, "iaf_psc_exp"))
        .population(Population::new("r", 2, "rate_tanh"))
        .projection(Projection::new("a", "b", Connectivity::one_to_one()).gap_junction("1 nS"))
        .projection(Projection::new("r", "b", Connectivity::one_to_one()).gap_junction("1 nS"));
    let e = problems(&c);
    assert!(
        e.contains("model \"izhikevich\" of population \"a\" does not take gap-junction currents"),
        "{e}"
    );
    assert!(
        e.contains("models that do: ") && e.contains("iaf_cond_exp"),
        "{e}"
    );
    assert!(e.contains("a gap junction couples like with like"), "{e}");
}

#[test]
fn a_run_resumed_from_a_checkpoint_couples_as_if_uninterrupted() {
    use ganglion_base::state::{StateReader, StateWriter};
    let mut r = validate_circuit(&coupled_network()).unwrap();
    r.threads = 2;
    let whole = Network::build(&r).unwrap().run(None).unwrap();
    let mut first = Network::build(&r).unwrap();
    first.run_until(1234, None).unwrap();
    let mut w = StateWriter::new();
    first.save_state(&mut w);
    let bytes = w.into_bytes();
    let mut second = Network::build(&r).unwrap();
    second.load_state(&mut StateReader::new(&bytes)).unwrap();
    let resumed = second.run(None).unwrap();
    assert_eq!(whole.spikes[0].times_ms, resumed.spikes[0].times_ms);
    assert_eq!(whole.states[0].values, resumed.states[0].values);
}

/// Two rate units (τ = 10 ms, dt = 0.5 ms) coupled by g: the coupling's difference mode
/// moves by p − 2gG per step (p = e^(−dt/τ), G = 1 − p), so it grows once 2gG ≥ 1 + p.
fn rate_pair(g: f64) -> Circuit {
    let unit = |name: &str| Population::new(name, 1, "rate_linear").param("tau", "10 ms");
    Circuit::new(Simulation::new("0.5 ms", "200 ms"))
        .population(unit("a"))
        .population(unit("b"))
        .projection(Projection::new("a", "b", Connectivity::one_to_one()).gap_junction(g))
        .input(Input::current("a", 1.0))
        .monitor(Monitor::state("a", &["x"], &[0]))
}

#[test]
fn validation_refuses_an_unstable_coupling_where_the_engine_would_diverge() {
    let p = (-0.05f64).exp();
    let bound = (1.0 + p) / (2.0 * (1.0 - p));
    // Below the bound the engine settles where theory says; validation accepts it.
    let below = run(&rate_pair(0.95 * bound), 1);
    let g = 0.95 * bound;
    let x = *below.states[0].values.last().unwrap() as f64;
    assert!((x - (1.0 + g) / (1.0 + 2.0 * g)).abs() < 1e-3, "x_a = {x}");
    // Above it validation names the neuron and the way out.
    let e = problems(&rate_pair(1.05 * bound));
    assert!(
        e.contains("gap junctions onto neuron 0 of population \"a\" sum to"),
        "{e}"
    );
    assert!(e.contains("reduce dt"), "{e}");
    // And the engine, made to run it anyway, does diverge: the bound is where it says.
    let mut r = validate_circuit(&rate_pair(0.95 * bound)).unwrap();
    r.projections[0].weight = Distribution::Const(1.05 * bound);
    let res = Network::build(&r).unwrap().run(None);
    let grew = match res {
        Err(_) => true,
        Ok(res) => res.states[0].values.iter().any(|v| v.abs() > 1e3),
    };
    assert!(grew, "the coupling past the bound should grow");
}
