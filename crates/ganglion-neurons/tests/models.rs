//! Every model in the registry builds and steps, and `iaf_psc_exp_adapt` against references.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_neurons::{Column, MODELS, NeuronGroup, PopValues, StateDefault, StepIo, model};

/// Values of `n` neurons of `name` with defaults, overridden by `set`.
fn values(name: &str, set: &[(&str, f64)]) -> PopValues {
    let m = model(name).unwrap();
    let param = |p: &str| {
        set.iter()
            .find(|(k, _)| *k == p)
            .map(|(_, v)| *v)
            .unwrap_or(m.param(p).unwrap().default)
    };
    PopValues {
        params: m
            .params
            .iter()
            .map(|p| Column::Const(param(p.name)))
            .collect(),
        init: m
            .state
            .iter()
            .map(|s| {
                Column::Const(match s.default {
                    StateDefault::Const(v) => v,
                    StateDefault::Param(p) => param(p),
                })
            })
            .collect(),
    }
}

/// Runs `group` for `steps` steps with synaptic input `input(step, neuron) -> (ch0, ch1)`;
/// returns the steps at which each neuron spiked and its V_m trace.
fn run(
    group: &mut dyn NeuronGroup,
    n: usize,
    steps: u64,
    input: impl Fn(u64, usize) -> (f32, f32),
) -> (Vec<Vec<u64>>, Vec<Vec<f32>>) {
    let (mut ch0, mut ch1, ext, mut spiked) =
        (vec![0f32; n], vec![0f32; n], vec![0f32; n], vec![0u8; n]);
    let mut spikes = vec![vec![]; n];
    let mut trace = vec![vec![]; n];
    for t in 0..steps {
        for i in 0..n {
            (ch0[i], ch1[i]) = input(t, i);
        }
        let bad = group.step(StepIo {
            ch0: &mut ch0,
            ch1: &mut ch1,
            i_ext: &ext,
            spiked: &mut spiked,
            step: t,
            has_ext: false,
        });
        assert_eq!(bad, None, "non-finite state at step {t}");
        let ids: Vec<u32> = (0..n as u32).filter(|&i| spiked[i as usize] == 1).collect();
        group.mark_spikes(&ids, 0, t);
        for i in 0..n {
            if spiked[i] == 1 {
                spikes[i].push(t);
            }
            trace[i].push(group.get(0, i));
        }
    }
    (spikes, trace)
}

#[test]
fn every_registered_model_builds_steps_and_reports_its_state() {
    for m in MODELS {
        let v = values(m.name, &[]);
        assert_eq!(v.params.len(), m.params.len());
        let mut g = (m.build)(&v, 0, 4, 0.1, 7);
        let (_, trace) = run(&mut *g, 4, 50, |_, _| (1.0, -1.0));
        assert!(trace.iter().flatten().all(|x| x.is_finite()), "{}", m.name);
        if let Some(th) = m.threshold {
            assert!(m.param(th).is_some(), "{}: threshold {th}", m.name);
            assert_eq!(g.threshold_mut().map(|l| l.len()), Some(4), "{}", m.name);
        }
        if let Some((r, th)) = m.reset_below {
            assert!(m.param(r).is_some() && m.param(th).is_some(), "{}", m.name);
        }
        assert_eq!(g.rates().is_some(), !m.spiking, "{}", m.name);
        let mut names: Vec<_> = m.params.iter().map(|p| p.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(
            names.len(),
            m.params.len(),
            "{}: duplicate parameter",
            m.name
        );
    }
    let mut names: Vec<_> = MODELS.iter().map(|m| m.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), MODELS.len(), "duplicate model name");
}

/// Irregular synaptic input shared by both models in the identity test (pA).
fn noisy_input(t: u64, i: usize) -> (f32, f32) {
    let h = ganglion_base::rng::mix64(t * 131 + i as u64);
    let ex = if h.is_multiple_of(7) { 120.0 } else { 0.0 };
    let inh = if h.is_multiple_of(11) { -60.0 } else { 0.0 };
    (ex, inh)
}

#[test]
fn adapt_without_adaptation_is_iaf_psc_exp_bit_for_bit() {
    let common = [("I_e", 300.0), ("tau_m", 20.0), ("t_ref", 2.0)];
    let mut a = values("iaf_psc_exp_adapt", &common);
    // b = 0: no adaptation current ever.
    let b = model("iaf_psc_exp_adapt")
        .unwrap()
        .param_index("b")
        .unwrap();
    a.params[b] = Column::Const(0.0);
    let e = values("iaf_psc_exp", &common);
    let mut ga = (model("iaf_psc_exp_adapt").unwrap().build)(&a, 0, 8, 0.1, 0);
    let mut ge = (model("iaf_psc_exp").unwrap().build)(&e, 0, 8, 0.1, 0);
    let (sa, va) = run(&mut *ga, 8, 5000, noisy_input);
    let (se, ve) = run(&mut *ge, 8, 5000, noisy_input);
    assert!(
        se.iter().map(Vec::len).sum::<usize>() > 100,
        "the test must spike"
    );
    assert_eq!(sa, se);
    let bits = |v: &Vec<Vec<f32>>| v.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&va), bits(&ve));
}

/// f64 reference: RK4 with 100 substeps per step of the same ODE, with the same step-grid
/// semantics (threshold tested at the end of each step, reset, w += b, refractory clamp of V
/// for round(t_ref/dt) steps). Returns spike steps.
fn adapt_reference(p: &[(&str, f64)], dt: f64, steps: u64) -> Vec<u64> {
    let get = |k: &str| p.iter().find(|(n, _)| *n == k).unwrap().1;
    let (c, tm, el, vth, vr, tref, ie, tw, b) = (
        get("C_m"),
        get("tau_m"),
        get("E_L"),
        get("V_th"),
        get("V_reset"),
        get("t_ref"),
        get("I_e"),
        get("tau_w"),
        get("b"),
    );
    let ref_steps = (tref / dt).round() as u64;
    let (mut v, mut w) = (el, 0.0f64);
    let mut refractory_until = 0u64; // exclusive
    let mut out = vec![];
    let sub = 100;
    let h = dt / sub as f64;
    let f = |v: f64, w: f64, clamp: bool| {
        let dv = if clamp {
            0.0
        } else {
            -(v - el) / tm + (ie - w) / c
        };
        (dv, -w / tw)
    };
    for t in 0..steps {
        let clamp = t < refractory_until;
        for _ in 0..sub {
            let (a1, b1) = f(v, w, clamp);
            let (a2, b2) = f(v + 0.5 * h * a1, w + 0.5 * h * b1, clamp);
            let (a3, b3) = f(v + 0.5 * h * a2, w + 0.5 * h * b2, clamp);
            let (a4, b4) = f(v + h * a3, w + h * b3, clamp);
            v += h / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4);
            w += h / 6.0 * (b1 + 2.0 * b2 + 2.0 * b3 + b4);
        }
        if v >= vth {
            out.push(t);
            v = vr;
            w += b;
            refractory_until = t + 1 + ref_steps;
        }
    }
    out
}

#[test]
fn adapt_spike_times_match_an_rk4_reference_and_the_rate_adapts() {
    let p = [
        ("C_m", 250.0),
        ("tau_m", 20.0),
        ("E_L", -65.0),
        ("V_th", -50.0),
        ("V_reset", -65.0),
        ("t_ref", 2.0),
        ("I_e", 500.0),
        ("tau_syn_ex", 2.0),
        ("tau_syn_in", 2.0),
        ("tau_w", 150.0),
        ("b", 30.0),
    ];
    let dt = 0.1;
    let steps = 10_000; // 1 s
    let reference = adapt_reference(&p, dt, steps);
    let mut g =
        (model("iaf_psc_exp_adapt").unwrap().build)(&values("iaf_psc_exp_adapt", &p), 0, 1, dt, 0);
    let (spikes, _) = run(&mut *g, 1, steps, |_, _| (0.0, 0.0));
    let ours = &spikes[0];
    assert!(
        reference.len() > 20,
        "reference spikes: {}",
        reference.len()
    );
    assert_eq!(ours.len(), reference.len(), "spike counts");
    let off_by_one = ours.iter().zip(&reference).filter(|(a, b)| a != b).count();
    assert!(
        ours.iter()
            .zip(&reference)
            .all(|(a, b)| a.abs_diff(*b) <= 1),
        "spike steps differ by more than one step"
    );
    assert!(
        off_by_one * 10 <= ours.len(),
        "{off_by_one} of {} differ",
        ours.len()
    );
    // Spike-frequency adaptation: the first interval is much shorter than the adapted one.
    let isi = |k: usize| (ours[k + 1] - ours[k]) as f64 * dt;
    let last = ours.len() - 2;
    assert!(
        isi(last) > 1.5 * isi(0),
        "ISIs {} → {} ms",
        isi(0),
        isi(last)
    );
    // Adapted steady state: the mean adaptation current w̄ = b·τ_w·r (r in kHz) lowers the
    // effective drive; the LIF rate at I_e − w̄ must equal r (self-consistency, 5 %).
    let tail: Vec<u64> = ours.iter().copied().filter(|&t| t >= 5000).collect();
    let r = (tail.len() - 1) as f64 / ((tail[tail.len() - 1] - tail[0]) as f64 * dt); // 1/ms
    let w_mean = 30.0 * 150.0 * r;
    let (tm, c) = (20.0, 250.0);
    let drive = (500.0 - w_mean) * tm / c; // mV above E_L
    let lif_rate = 1.0 / (2.0 + tm * (drive / (drive - 15.0)).ln());
    assert!(
        (lif_rate - r).abs() / r < 0.05,
        "adapted rate {:.1} Hz vs self-consistent LIF rate {:.1} Hz",
        r * 1e3,
        lif_rate * 1e3
    );
}
