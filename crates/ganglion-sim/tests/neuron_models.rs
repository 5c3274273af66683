//! Neuron models against analytic solutions and fine-step reference integrations.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_model::*;
use ganglion_sim::Network;

fn run(c: &Circuit) -> ganglion_sim::Results {
    let r = validate_circuit(c).unwrap_or_else(|e| panic!("{e}"));
    Network::build(&r).unwrap().run(None).unwrap()
}

/// Analytic LIF rate for a constant suprathreshold current:
/// f = 1 / (t_ref + τ ln((RI − (V_reset − E_L)) / (RI − (V_th − E_L)))).
fn lif_rate_hz(tau: f64, r_mohm: f64, i_pa: f64, el: f64, vr: f64, vth: f64, tref: f64) -> f64 {
    let ri = r_mohm * i_pa * 1e-3; // MΩ · pA = µV → mV
    1000.0 / (tref + tau * ((ri - (vr - el)) / (ri - (vth - el))).ln())
}

fn lif_circuit(model: &str, current: &str, extra: &[(&str, &str)]) -> Circuit {
    let mut p = Population::new("n", 1, model)
        .param("E_L", "-70 mV")
        .param("V_th", "-55 mV")
        .param("V_reset", "-70 mV")
        .param("t_ref", "2 ms")
        .param("C_m", "250 pF");
    for (k, v) in extra {
        p = p.param(k, *v);
    }
    Circuit::new(Simulation::new("0.01 ms", "2000 ms"))
        .population(p)
        .input(Input::current("n", current))
        .monitor(Monitor::spikes("n"))
}

fn measured_rate(res: &ganglion_sim::Results) -> f64 {
    // Rate from the mean ISI (excludes the transient before the first spike).
    let t = &res.spikes[0].times_ms;
    assert!(t.len() > 10, "too few spikes: {}", t.len());
    1000.0 * (t.len() - 1) as f64 / (t[t.len() - 1] - t[0])
}

#[test]
fn lif_current_models_match_the_analytic_rate() {
    // R = τm / C = 10 ms / 250 pF = 40 MΩ.
    for model in ["iaf_psc_exp", "iaf_psc_alpha", "iaf_psc_delta"] {
        for i in [400.0, 600.0, 1000.0] {
            let c = lif_circuit(model, &format!("{i} pA"), &[("tau_m", "10 ms")]);
            let got = measured_rate(&run(&c));
            let want = lif_rate_hz(10.0, 40.0, i, -70.0, -70.0, -55.0, 2.0);
            let err = (got - want).abs() / want;
            assert!(
                err < 0.005,
                "{model} I={i} pA: {got:.3} Hz vs analytic {want:.3} Hz ({:.3}%)",
                err * 100.0
            );
        }
    }
}

#[test]
fn conductance_lif_matches_the_analytic_rate() {
    // Without synaptic input, iaf_cond_exp is a LIF with τ = C/g_L and R = 1/g_L.
    let c = lif_circuit("iaf_cond_exp", "500 pA", &[("g_L", "25 nS")]);
    let got = measured_rate(&run(&c));
    let want = lif_rate_hz(250.0 / 25.0, 1000.0 / 25.0, 500.0, -70.0, -70.0, -55.0, 2.0);
    assert!((got - want).abs() / want < 0.005, "{got} vs {want}");
}

#[test]
fn subthreshold_current_gives_no_spikes_and_the_analytic_plateau() {
    // 300 pA × 40 MΩ = 12 mV < 15 mV to threshold: V relaxes to E_L + RI.
    let c = lif_circuit("iaf_psc_exp", "300 pA", &[("tau_m", "10 ms")]).monitor(Monitor::state(
        "n",
        &["V_m"],
        &[0],
    ));
    let res = run(&c);
    assert_eq!(res.populations[0].spike_count, 0);
    let v = &res.states[0].values;
    let t = &res.states[0].times_ms;
    // V(t) = E_L + RI (1 − e^{−t/τ}), checked at 5 ms and at the end.
    let k = t.iter().position(|&x| (x - 5.0).abs() < 1e-9).unwrap();
    let want = -70.0 + 12.0 * (1.0 - (-5.0f64 / 10.0).exp());
    assert!((v[k] as f64 - want).abs() < 1e-4, "{} vs {want}", v[k]);
    // f32 state over 200,000 steps: allow accumulated rounding.
    assert!(
        (*v.last().unwrap() as f64 + 58.0).abs() < 2e-3,
        "{}",
        v.last().unwrap()
    );
}

/// One input spike into neuron 0 of population `n` at `at`, of `weight`, after `delay`.
fn one_spike(at: &str, weight: &str, delay: Option<&str>) -> Input {
    let mut inp = Input::new("spike_times", "n");
    inp.times = Some(vec![at.into()]);
    inp.weight = Some(weight.into());
    inp.delay = delay.map(Into::into);
    inp
}

#[test]
fn exponential_synaptic_current_gives_the_analytic_psp() {
    // One input spike of 100 pA at t = 10 ms (delay 1 ms → arrives 11 ms); the PSP of
    // iaf_psc_exp is w τs τm/(C(τm−τs)) (e^{−t/τm} − e^{−t/τs}).
    let inp = one_spike("10 ms", "100 pA", Some("1 ms"));
    let c = Circuit::new(Simulation::new("0.1 ms", "60 ms"))
        .population(
            Population::new("n", 1, "iaf_psc_exp")
                .param("tau_m", "10 ms")
                .param("tau_syn_ex", "2 ms")
                .param("E_L", "-70 mV"),
        )
        .input(inp)
        .monitor(Monitor::state("n", &["V_m"], &[0]));
    let res = run(&c);
    let st = &res.states[0];
    for (&t, &v) in st.times_ms.iter().zip(&st.values) {
        let s = t - 11.0;
        let want = if s <= 0.0 {
            -70.0
        } else {
            -70.0 + 100.0 * 2.0 * 10.0 / (250.0 * 8.0) * ((-s / 10.0).exp() - (-s / 2.0).exp())
        };
        assert!((v as f64 - want).abs() < 1e-4, "t={t}: {v} vs {want}");
    }
}

#[test]
fn alpha_synaptic_current_peaks_at_tau_syn() {
    let inp = one_spike("5 ms", "100 pA", None);
    let c = Circuit::new(Simulation::new("0.1 ms", "40 ms"))
        .population(Population::new("n", 1, "iaf_psc_alpha").param("tau_syn_ex", "2 ms"))
        .input(inp)
        .monitor(Monitor::state("n", &["I_syn_ex"], &[0]));
    let st = &run(&c).states[0];
    let (k, &peak) = st
        .values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap();
    // Arrives at 5.1 ms, peaks at w after τs = 2 ms.
    assert!(
        (st.times_ms[k] - 7.1).abs() < 0.15,
        "peak at {}",
        st.times_ms[k]
    );
    assert!((peak - 100.0).abs() < 0.2, "peak {peak}");
}

#[test]
fn delta_synapse_jumps_exactly_after_the_delay() {
    // A 30 mV jump (above the 15 mV gap to threshold) emitted at 10 ms with delay 2 ms makes
    // the neuron fire in the step ending at 12 ms.
    let inp = one_spike("10 ms", "30 mV", Some("2 ms"));
    let c = Circuit::new(Simulation::new("0.1 ms", "30 ms"))
        .population(Population::new("n", 1, "iaf_psc_delta"))
        .input(inp)
        .monitor(Monitor::spikes("n"));
    let res = run(&c);
    assert_eq!(res.spikes[0].times_ms.len(), 1);
    assert!(
        (res.spikes[0].times_ms[0] - 12.0).abs() < 1e-9,
        "{:?}",
        res.spikes[0].times_ms
    );
}

/// One classical Runge–Kutta step of size `h` of the system (x, y)' = f(x, y).
fn rk4_step(f: impl Fn(f64, f64) -> (f64, f64), x: f64, y: f64, h: f64) -> (f64, f64) {
    let (k1, l1) = f(x, y);
    let (k2, l2) = f(x + 0.5 * h * k1, y + 0.5 * h * l1);
    let (k3, l3) = f(x + 0.5 * h * k2, y + 0.5 * h * l2);
    let (k4, l4) = f(x + h * k3, y + h * l3);
    (
        x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4),
        y + h / 6.0 * (l1 + 2.0 * l2 + 2.0 * l3 + l4),
    )
}

/// Izhikevich reference: RK4 in f64 with h = 1e-4 ms and the same reset rule.
fn izhikevich_reference(a: f64, b: f64, c: f64, d: f64, i_on: f64, t_end: f64) -> Vec<f64> {
    let h = 1e-4;
    let (mut v, mut u) = (-65.0f64, b * -65.0);
    let mut spikes = vec![];
    let steps = (t_end / h).round() as usize;
    for k in 0..steps {
        let t = k as f64 * h;
        let input = if t >= i_on { 10.0 } else { 0.0 };
        let f = |v: f64, u: f64| (0.04 * v * v + 5.0 * v + 140.0 - u + input, a * (b * v - u));
        (v, u) = rk4_step(f, v, u, h);
        if v >= 30.0 {
            spikes.push(t + h);
            v = c;
            u += d;
        }
    }
    spikes
}

/// `ours` has as many spikes as `reference`, each within 0.15 ms of it: spikes are reported
/// at the end of the 0.1 ms step in which V crossed its peak. `name` names the case.
fn assert_spikes_match(name: &str, ours: &[f64], reference: &[f64]) {
    assert_eq!(
        ours.len(),
        reference.len(),
        "{name}: {ours:?} vs reference {reference:?}"
    );
    for (a, b) in ours.iter().zip(reference) {
        assert!(
            (a - b).abs() <= 0.15,
            "{name}: spike at {a} ms vs reference {b} ms"
        );
    }
}

#[test]
fn izhikevich_patterns_match_a_fine_step_reference() {
    // (name, a, b, c, d)
    let sets = [
        ("RS", 0.02, 0.2, -65.0, 8.0),
        ("FS", 0.1, 0.2, -65.0, 2.0),
        ("CH", 0.02, 0.2, -50.0, 2.0),
        ("IB", 0.02, 0.2, -55.0, 4.0),
    ];
    let list = |k: usize| {
        Value::List(
            sets.iter()
                .map(|s| Scalar::Number([s.1, s.2, s.3, s.4][k]))
                .collect(),
        )
    };
    let mut c_list = list(2);
    if let Value::List(v) = &mut c_list {
        for x in v.iter_mut() {
            if let Scalar::Number(n) = x {
                *x = Scalar::Text(format!("{n} mV"));
            }
        }
    }
    let mut cur = Input::current("n", "10 pA");
    cur.start = Some("10 ms".into());
    let c = Circuit::new(Simulation::new("0.1 ms", "200 ms"))
        .population(
            Population::new("n", 4, "izhikevich")
                .param("a", list(0))
                .param("b", list(1))
                .param("c", c_list)
                .param("d", list(3))
                .init("V_m", "-65 mV")
                .init("U_m", -13.0),
        )
        .input(cur)
        .monitor(Monitor::spikes("n"));
    let res = run(&c);
    let sp = &res.spikes[0];
    // The spike times of neuron `k`.
    let times_of = |k: usize| -> Vec<f64> {
        sp.times_ms
            .iter()
            .zip(&sp.senders)
            .filter(|(_, n)| **n as usize == k)
            .map(|(&t, _)| t)
            .collect()
    };
    for (k, s) in sets.iter().enumerate() {
        let ours = times_of(k);
        // The input switches on at the start of the step after 10 ms in the engine; the
        // reference switches at 10 ms exactly, as the engine's current does.
        let reference = izhikevich_reference(s.1, s.2, s.3, s.4, 10.0, 200.0);
        // Compare spikes before 195 ms, so that one falling right at the end of the run in
        // one and just after it in the other does not count.
        let ours: Vec<f64> = ours.into_iter().filter(|&t| t < 195.0).collect();
        let reference: Vec<f64> = reference.into_iter().filter(|&t| t < 195.0).collect();
        assert_spikes_match(s.0, &ours, &reference);
    }
    // The patterns: RS adapts (first ISI shorter than last), FS fires fastest, CH and IB
    // start with a burst (first ISI < 10 ms).
    let isis = |k: usize| -> Vec<f64> { times_of(k).windows(2).map(|w| w[1] - w[0]).collect() };
    let (rs, fs, ch, ib) = (isis(0), isis(1), isis(2), isis(3));
    assert!(rs[0] < *rs.last().unwrap() * 0.8, "RS adapts: {rs:?}");
    assert!(fs.len() > rs.len(), "FS fires faster than RS");
    assert!(
        ch.iter().cloned().fold(f64::INFINITY, f64::min) < 10.0,
        "CH bursts"
    );
    assert!(
        ib[0] < 10.0 && *ib.last().unwrap() > 15.0,
        "IB: initial burst then tonic {ib:?}"
    );
}

#[test]
fn adex_matches_a_fine_step_reference() {
    // Brette & Gerstner (2005) parameters with an 800 pA step (rheobase ≈ 550 pA); reference
    // RK4 at 1e-4 ms.
    let mut cur = Input::current("n", "800 pA");
    cur.start = Some("0 ms".into());
    let c = Circuit::new(Simulation::new("0.1 ms", "300 ms"))
        .population(Population::new("n", 1, "aeif_psc_exp").init("V_m", "-70.6 mV"))
        .input(cur)
        .monitor(Monitor::spikes("n"));
    let ours = run(&c).spikes[0].times_ms.clone();
    let (cm, gl, el, vt, dt_, vpeak, vr, a, b, tw) =
        (281.0, 30.0, -70.6, -50.4, 2.0, 0.0, -60.0, 4.0, 80.5, 144.0);
    let h = 1e-4f64;
    let (mut v, mut w) = (-70.6f64, 0.0f64);
    let mut reference = vec![];
    for k in 0..(300.0 / h) as usize {
        let f = |v: f64, w: f64| {
            let vv = v.min(vpeak);
            (
                (-gl * (vv - el) + gl * dt_ * ((vv - vt) / dt_).exp() - w + 800.0) / cm,
                (a * (vv - el) - w) / tw,
            )
        };
        (v, w) = rk4_step(f, v, w, h);
        if v >= vpeak {
            reference.push((k + 1) as f64 * h);
            v = vr;
            w += b;
        }
    }
    assert_spikes_match("AdEx", &ours, &reference);
    // Spike-frequency adaptation: ISIs grow.
    assert!(ours[2] - ours[1] < ours[ours.len() - 1] - ours[ours.len() - 2]);
}

#[test]
fn rate_unit_relaxes_exponentially() {
    // τ dx/dt = −x + I: x(t) = I (1 − e^{−t/τ}); linear transfer with gain 2.
    let c = Circuit::new(Simulation::new("0.1 ms", "50 ms"))
        .population(
            Population::new("r", 1, "rate_linear")
                .param("tau", "10 ms")
                .param("gain", 2.0),
        )
        .input(Input::current("r", 1.5))
        .monitor(Monitor::state("r", &["x", "r"], &[0]));
    let res = run(&c);
    for (&t, (&x, &r)) in res.states[0]
        .times_ms
        .iter()
        .zip(res.states[0].values.iter().zip(&res.states[1].values))
    {
        let want = 1.5 * (1.0 - (-t / 10.0).exp());
        assert!((x as f64 - want).abs() < 1e-5, "t={t}: {x} vs {want}");
        assert!((r - 2.0 * x).abs() < 1e-6);
    }
}

/// Every vectorised kernel (the four LIF models with shared and with per-neuron constants,
/// and a rate unit) gives bit-identical spikes and states in its AVX-512 build and in its
/// baseline build. On a CPU without AVX-512 both runs use the baseline and the test is moot.
#[test]
fn avx512_and_baseline_kernels_are_bit_identical() {
    let n = 70; // not a multiple of 16: the loops' remainders run too
    let mut c = Circuit::new(Simulation::new("0.1 ms", "200 ms"));
    let lif = [
        ("iaf_psc_exp", "pA", 60.0),
        ("iaf_psc_alpha", "pA", 60.0),
        ("iaf_cond_exp", "nS", 3.0),
        ("iaf_psc_delta", "mV", 0.8),
    ];
    let mut names = vec![];
    for (model, unit, w) in lif {
        for each in [false, true] {
            let name = format!("{model}_{}", if each { "each" } else { "shared" });
            let mut p = Population::new(&name, n, model)
                .param("t_ref", "2 ms")
                .init("V_m", Value::uniform("-70 mV", "-55 mV"));
            if each {
                // A spread membrane capacitance makes every derived constant per neuron.
                p = p.param("C_m", Value::uniform("150 pF", "350 pF"));
            }
            c = c
                .population(p)
                .input(Input::poisson(
                    &name,
                    "8000 Hz",
                    format!("{w} {unit}").as_str(),
                ))
                .projection(
                    Projection::new(&name, &name, Connectivity::fixed_probability(0.2))
                        .weight(format!("{} {unit}", w * 0.5).as_str())
                        .delay("1 ms"),
                )
                .monitor(Monitor::spikes(&name))
                .monitor(Monitor::state(
                    &name,
                    &["V_m"],
                    &(0..n as u32).collect::<Vec<_>>(),
                ));
            if unit != "nS" {
                // Inhibitory input too (the second synaptic channel).
                c = c.input(Input::poisson(
                    &name,
                    "1000 Hz",
                    format!("{} {unit}", -w).as_str(),
                ));
            }
            names.push(name);
        }
    }
    c = c
        .population(Population::new("rate", n, "rate_tanh").param("tau", "5 ms"))
        .input(Input::current("rate", 0.7))
        .projection(
            Projection::new("rate", "rate", Connectivity::fixed_probability(0.2)).weight(0.3),
        )
        .monitor(Monitor::state(
            "rate",
            &["x"],
            &(0..n as u32).collect::<Vec<_>>(),
        ));
    let trace = |res: &ganglion_sim::Results| {
        let spikes: Vec<(Vec<f64>, Vec<u32>)> = res
            .spikes
            .iter()
            .map(|s| (s.times_ms.clone(), s.senders.clone()))
            .collect();
        let states: Vec<Vec<u32>> = res
            .states
            .iter()
            .map(|s| s.values.iter().map(|v| v.to_bits()).collect())
            .collect();
        (spikes, states)
    };
    ganglion_sim::models::force_baseline_kernels(true);
    let baseline = trace(&run(&c));
    ganglion_sim::models::force_baseline_kernels(false);
    let native = trace(&run(&c));
    for (i, name) in names.iter().enumerate() {
        assert!(
            baseline.0[i].1.len() > 50,
            "{name}: too few spikes to compare"
        );
        assert_eq!(baseline.0[i], native.0[i], "{name}: spikes differ");
        assert_eq!(baseline.1[i], native.1[i], "{name}: V_m differs");
    }
    assert_eq!(
        baseline.1[names.len()],
        native.1[names.len()],
        "rate unit x differs"
    );
}
