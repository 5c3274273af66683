//! `astrocyte_lr_1994` against a reference integration written out here from NEST 3.10's
//! equations (independently of the model file's right-hand side), and its SIC output.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_neurons::{Column, PopValues, StateDefault, StepIo, model};

const DT: f64 = 0.1;

/// NEST 3.10 defaults with delta_IP3 = 0.2 µM (as NEST's astrocyte examples).
struct P {
    ca_tot: f64,
    ip3_0: f64,
    kd1: f64,
    kd2: f64,
    kd_act: f64,
    kd_inh: f64,
    km: f64,
    k: f64,
    r_ip3r: f64,
    r_l: f64,
    r_serca: f64,
    ratio: f64,
    tau: f64,
}

const NEST: P = P {
    ca_tot: 2.0,
    ip3_0: 0.16,
    kd1: 0.13,
    kd2: 0.9434,
    kd_act: 0.08234,
    kd_inh: 1.049,
    km: 0.1,
    k: 0.0002,
    r_ip3r: 0.006,
    r_l: 0.00011,
    r_serca: 0.0009,
    ratio: 0.185,
    tau: 7142.0,
};

/// `astrocyte_lr_1994_dynamics` of NEST 3.10, transcribed.
fn f(p: &P, y: [f64; 3], j_noise: f64) -> [f64; 3] {
    let (ip3, h) = (y[0], y[2]);
    let calc = y[1].min(p.ca_tot).max(0.0);
    let alpha = p.k * p.kd_inh * (ip3 + p.kd1) / (ip3 + p.kd2);
    let beta = p.k * calc;
    let j_pump = p.r_serca * calc.powi(2) / (p.km.powi(2) + calc.powi(2));
    let m_inf = ip3 / (ip3 + p.kd1);
    let n_inf = calc / (calc + p.kd_act);
    let calc_er = (p.ca_tot - calc) / p.ratio;
    let j_leak = p.ratio * p.r_l * (calc_er - calc);
    let j_channel =
        p.ratio * p.r_ip3r * m_inf.powi(3) * n_inf.powi(3) * h.powi(3) * (calc_er - calc);
    [
        (p.ip3_0 - ip3) / p.tau,
        j_channel - j_pump + j_leak + j_noise,
        alpha * (1.0 - h) - beta * h,
    ]
}

/// The reference: classical RK4 at 1/20 of dt (error ~(20)^4 times smaller than the
/// engine's), spikes added to IP3 at the end of the step they arrive in (NEST's order).
fn reference(steps: u64, spike: impl Fn(u64) -> f64, j_noise: f64) -> Vec<[f64; 3]> {
    let sub = 20;
    let h = DT / sub as f64;
    let mut y = [0.16, 0.073, 0.793];
    let mut out = vec![];
    for t in 0..steps {
        for _ in 0..sub {
            let k1 = f(&NEST, y, j_noise);
            let a = |k: [f64; 3], s: f64| std::array::from_fn(|i| y[i] + s * k[i]);
            let k2 = f(&NEST, a(k1, h / 2.0), j_noise);
            let k3 = f(&NEST, a(k2, h / 2.0), j_noise);
            let k4 = f(&NEST, a(k3, h), j_noise);
            y = std::array::from_fn(|i| {
                y[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
            });
        }
        y[0] += 0.2 * spike(t);
        out.push(y);
    }
    out
}

fn values(set: &[(&str, f64)]) -> PopValues {
    let m = model("astrocyte_lr_1994").unwrap();
    let param = |p: &str| {
        set.iter()
            .find(|(k, _)| *k == p)
            .map_or(m.param(p).unwrap().default, |(_, v)| *v)
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

/// Runs one astrocyte for `steps` with spike weight `spike(t)` on channel 1 and current
/// `j_noise`; returns (IP3, Ca, h, SIC) after each step.
fn engine(steps: u64, spike: impl Fn(u64) -> f64, j_noise: f32) -> Vec<[f32; 4]> {
    let m = model("astrocyte_lr_1994").unwrap();
    let mut g = (m.build)(&values(&[("delta_IP3", 0.2)]), 0, 1, DT, 0);
    let (mut ch0, mut ch1, ext, mut spiked) = (vec![0f32], vec![0f32], vec![j_noise], vec![0u8]);
    let mut out = vec![];
    for t in 0..steps {
        ch1[0] = spike(t) as f32;
        let bad = g.step(StepIo {
            ch0: &mut ch0,
            ch1: &mut ch1,
            i_ext: &ext,
            spiked: &mut spiked,
            step: t,
            has_ext: j_noise != 0.0,
        });
        assert_eq!(bad, None);
        assert_eq!(spiked[0], 0, "an astrocyte never spikes");
        assert_eq!((ch0[0], ch1[0]), (0.0, 0.0), "input consumed");
        out.push(std::array::from_fn(|v| g.get(v, 0)));
        assert_eq!(
            g.rates().unwrap()[0],
            out[t as usize][3],
            "rates() is the SIC"
        );
    }
    out
}

/// The SIC of calcium `ca` by NEST's formula.
fn sic(ca: f64) -> f64 {
    let y = (ca - 0.19669) * 1000.0;
    if y > 1.0 { y.ln() } else { 0.0 }
}

/// Worst relative error of the engine's IP3, Ca and h against the reference (values are
/// recorded as f32: 6e-8 relative), and worst absolute error of its SIC (of order 1–7; just
/// above threshold ln(y) amplifies a calcium difference by 1000/y, so a relative measure
/// would be ill-conditioned there).
fn worst(eng: &[[f32; 4]], refr: &[[f64; 3]]) -> (f64, f64) {
    let (mut w, mut ws) = (0.0f64, 0.0f64);
    for (e, r) in eng.iter().zip(refr) {
        for v in 0..3 {
            w = w.max((e[v] as f64 - r[v]).abs() / r[v].abs().max(1e-3));
        }
        ws = ws.max((e[3] as f64 - sic(r[1])).abs());
    }
    (w, ws)
}

#[test]
fn a_spike_train_matches_the_reference_integration() {
    // 50 Hz for 2 s from 100 ms (arrival steps), then 8 s of decay: calcium crosses SIC_th,
    // the SIC turns on, and IP3 relaxes with tau_IP3.
    let spike = |t: u64| {
        let ms = (t + 1) as f64 * DT;
        let k = ((ms - 100.0) / 20.0).round();
        let hit = (ms - 100.0 - 20.0 * k).abs() < 1e-6 && (0.0..100.0).contains(&k);
        if hit { 1.0 } else { 0.0 }
    };
    let steps = 100_000;
    let eng = engine(steps, spike, 0.0);
    let refr = reference(steps, spike, 0.0);
    // Tolerance 1e-6 relative: the engine's RK4 at dt = 0.1 ms has a local error ~1e-17 on
    // rates ~1e-3/ms, so what is left is the f32 of the recorded values (6e-8) and the
    // f32 spike weight; 1e-6 leaves room for neither to hide a wrong term (a wrong sign or
    // factor in any flux moves the traces by percent within a second).
    let (w, ws) = worst(&eng, &refr);
    assert!(
        w < 1e-6 && ws < 1e-5,
        "worst relative error {w:e}, SIC {ws:e}"
    );
    // The run reached the regime under test: SIC on at the end of the train, IP3 high.
    let at_2s = eng[20_000];
    assert!(at_2s[3] > 5.0 && at_2s[0] > 10.0, "{at_2s:?}");
    // Before the first spike arrives nothing but the resting drift: SIC off.
    assert_eq!(eng[500][3], 0.0);
    // IP3 jumps by delta_IP3 · weight in the step the spike arrives (step 999: t = 100 ms).
    assert!((eng[999][0] - eng[998][0] - 0.2).abs() < 1e-5);
}

#[test]
fn a_calcium_current_enters_as_j_noise() {
    // 5e-4 µM/ms held: calcium rises without any spike; same reference with J_noise.
    let steps = 30_000;
    let eng = engine(steps, |_| 0.0, 5e-4);
    let refr = reference(steps, |_| 0.0, 5e-4);
    let (w, ws) = worst(&eng, &refr);
    assert!(
        w < 1e-6 && ws < 1e-5,
        "worst relative error {w:e}, SIC {ws:e}"
    );
    assert!(eng[steps as usize - 1][1] > 0.2, "calcium rose");
}

#[test]
fn per_astrocyte_parameters_and_the_sic_threshold() {
    // Two astrocytes, the second with a threshold above any calcium reached: no SIC.
    let m = model("astrocyte_lr_1994").unwrap();
    let mut v = values(&[("delta_IP3", 0.2)]);
    let th = m.param_index("SIC_th").unwrap();
    v.params[th] = Column::Each(vec![0.19669, 5.0]);
    let mut g = (m.build)(&v, 0, 2, DT, 0);
    let (mut ch0, mut ch1, ext, mut spiked) =
        (vec![0f32; 2], vec![0f32; 2], vec![0f32; 2], vec![0u8; 2]);
    for t in 0..20_000u64 {
        let s = if t % 200 == 0 { 1.0 } else { 0.0 };
        ch1.fill(s);
        g.step(StepIo {
            ch0: &mut ch0,
            ch1: &mut ch1,
            i_ext: &ext,
            spiked: &mut spiked,
            step: t,
            has_ext: false,
        });
    }
    // Same calcium (thresholds do not feed back), SIC by NEST's formula for each.
    assert_eq!(g.get(1, 0), g.get(1, 1));
    let ca = g.get(1, 0) as f64;
    assert!(ca > 0.2, "calcium above the first threshold: {ca}");
    assert!((g.get(3, 0) as f64 - sic(ca)).abs() < 1e-5);
    assert_eq!(g.get(3, 1), 0.0);
}
