//! Conformance: for the same weights and input spikes, the twin's forward pass produces
//! exactly the spikes of ganglion-sim (same dt, same scheme), step by step, neuron by neuron.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

mod common;

use common::{all_to_all, bernoulli, count, population, relays, simulation};
use ganglion_train::snn::Snn;
use ganglion_train::{
    Model, Trainer, normal, trainer_from_resolved, write_sample_spec, write_trained_spec,
};
use std::path::{Path, PathBuf};

/// pixels (30 relays) → hidden (40) → out (7), all to all, projection delays 0.5 and 1.5 ms.
fn spec() -> String {
    [
        simulation("0.5 ms", "30 ms"),
        relays("pixels", 30),
        population(
            "hidden",
            40,
            "iaf_psc_exp",
            r#"params = { C_m = "200 pF", tau_m = "15 ms", E_L = "-65 mV", V_th = "-52 mV", V_reset = "-68 mV", t_ref = "2 ms", I_e = "30 pA", tau_syn_ex = "2 ms", tau_syn_in = "6 ms" }
init = { V_m = "-60 mV" }"#,
        ),
        population(
            "out",
            7,
            "iaf_psc_exp",
            r#"params = { tau_m = "10 ms", t_ref = "1 ms", tau_syn_ex = "3 ms", tau_syn_in = "3 ms" }"#,
        ),
        all_to_all(Some("in"), "pixels", "hidden", Some("0.5 ms")),
        all_to_all(Some("mid"), "hidden", "out", Some("1.5 ms")),
    ]
    .concat()
}

fn sim_spikes(spec: &Path, pop: &str, steps: usize, n: usize) -> Vec<u8> {
    let r = ganglion_model::load_and_validate(spec).expect("sample spec validates");
    let res = ganglion_sim::Network::build(&r)
        .expect("build")
        .run(None)
        .expect("run");
    let sd = res
        .spikes
        .iter()
        .find(|s| s.population == pop)
        .expect("monitor");
    let mut out = vec![0u8; steps * n];
    for (&t, &i) in sd.times_ms.iter().zip(&sd.senders) {
        let step = (t / r.dt).round() as usize - 1;
        out[step * n + i as usize] = 1;
    }
    out
}

/// Time steps per sample in the tests of [`spec`].
const STEPS: usize = 60;

/// The spec `text` written to `dir/name`, and the trainer it lowers to (30 inputs), with
/// mixed-sign weights that make both layers spike, hit refractoriness and use both channels.
fn spec_trainer(dir: &Path, name: &str, text: &str) -> (PathBuf, Trainer) {
    let spec = dir.join(name);
    std::fs::write(&spec, text).expect("spec");
    let r = ganglion_model::load_and_validate(&spec).expect("valid");
    let mut t = trainer_from_resolved(&r, common::config(STEPS, None), 30).expect("trainer");
    if let Model::Snn(s) = &mut t.model {
        s.layers[0].w = (0..30 * 40).map(|i| 60.0 + 140.0 * normal(5, i)).collect();
        s.layers[1].w = (0..40 * 7).map(|i| 150.0 + 250.0 * normal(6, i)).collect();
    }
    (spec, t)
}

/// Run `samples` random inputs (stream keys `key0..`, spike probability 0.3) through the twin
/// `s` of [`spec`] and, via single-sample specs next to `trained`, through the simulator:
/// the relay reproduces the input and both layers' spikes are equal. Returns the spike
/// counts of the two layers.
fn twin_equals_simulator(s: &Snn, trained: &Path, key0: u64, samples: u64) -> [usize; 2] {
    let mut total = [0usize; 2];
    for sample in key0..key0 + samples {
        let x = bernoulli(STEPS * 30, 0.3, sample, 0);
        let (twin, _) = s.forward_sample(&x);
        let sp = trained.with_file_name(format!("sample{sample}.toml"));
        write_sample_spec(trained, "pixels", &x, STEPS, &sp).expect("sample spec");
        assert_eq!(
            sim_spikes(&sp, "pixels", STEPS, 30),
            x,
            "relay reproduces the input"
        );
        let hidden = sim_spikes(&sp, "hidden", STEPS, 40);
        let out = sim_spikes(&sp, "out", STEPS, 7);
        assert_eq!(twin[0], hidden, "hidden spikes differ (sample {sample})");
        assert_eq!(twin[1], out, "output spikes differ (sample {sample})");
        total[0] += count(&hidden);
        total[1] += count(&out);
    }
    total
}

#[test]
fn twin_forward_spikes_equal_simulator_spikes() {
    let d = tempfile::tempdir().expect("tmp");
    let (spec, t) = spec_trainer(d.path(), "c.toml", &spec());
    let Model::Snn(s) = &t.model else {
        unreachable!()
    };
    assert_eq!((s.layers[0].delay, s.layers[1].delay), (1, 3));
    let trained = write_trained_spec(&spec, &t, d.path()).expect("export");
    let total = twin_equals_simulator(s, &trained, 0, 4);
    assert!(
        total[0] > 200 && total[1] > 20,
        "both layers must spike: {total:?}"
    );
}

/// A recurrent LIF layer (feed-forward delay 1 step, recurrent delay 2 steps, autapses on):
/// the twin's spikes equal the simulator's.
#[test]
fn recurrent_layer_spikes_equal_simulator_spikes() {
    use ganglion_train::lif::{LifConsts, LifParams};
    use ganglion_train::snn::{LifLayer, Readout, Snn};
    let d = tempfile::tempdir().expect("tmp");
    let (n_in, n, steps, dt) = (20usize, 30usize, 80usize, 0.5);
    let p = LifParams {
        tau_m: 12.0,
        t_ref: 1.5,
        tau_syn_ex: 2.5,
        tau_syn_in: 5.0,
        ..Default::default()
    };
    let w: Vec<f32> = (0..n_in * n)
        .map(|i| 80.0 + 120.0 * normal(11, i as u64))
        .collect();
    let wr: Vec<f32> = (0..n * n)
        .map(|i| 20.0 + 150.0 * normal(12, i as u64))
        .collect();
    let layer = LifLayer {
        n,
        n_in,
        k: LifConsts::new(&p, dt),
        w: w.clone(),
        delay: 1,
        rec: Some((wr.clone(), 2)),
    };
    let net = Snn {
        layers: vec![layer],
        readout: Readout::SpikeCount { scale: 1.0 },
        surrogate: Default::default(),
        steps,
        truncate: None,
    };
    let save = |name: &str, v: &[f32]| {
        ganglion_model::npy::write(&d.path().join(name), &[v.len()], v).expect("npy")
    };
    // Each matrix as the simulator's two channels: positive weights excitatory, negative inhibitory.
    for (name, v) in [("ff", &w), ("rec", &wr)] {
        let ex: Vec<f32> = v.iter().map(|&x| x.max(0.0)).collect();
        let inh: Vec<f32> = v.iter().map(|&x| x.min(0.0)).collect();
        save(&format!("{name}_ex.npy"), &ex);
        save(&format!("{name}_in.npy"), &inh);
    }
    let proj = |name: &str, src: &str, file: &str, rec: &str, delay: &str| {
        format!(
            "[[projection]]\nname = \"{name}\"\nsource = \"{src}\"\ntarget = \"hidden\"\nconnectivity = {{ rule = \"all_to_all\" }}\nweight = {{ file = \"{file}\", unit = \"pA\" }}\nreceptor = \"{rec}\"\ndelay = \"{delay}\"\nautapses = true\n\n"
        )
    };
    let mut spec = format!(
        "[simulation]\ndt = \"{dt} ms\"\nduration = \"40 ms\"\n\n[[population]]\nname = \"pixels\"\nsize = {n_in}\nmodel = \"iaf_psc_delta\"\nparams = {{ t_ref = \"0 ms\" }}\n\n[[population]]\nname = \"hidden\"\nsize = {n}\nmodel = \"iaf_psc_exp\"\nparams = {{ tau_m = \"12 ms\", t_ref = \"1.5 ms\", tau_syn_ex = \"2.5 ms\", tau_syn_in = \"5 ms\" }}\n\n"
    );
    spec += &proj("ff+", "pixels", "ff_ex.npy", "excitatory", "0.5 ms");
    spec += &proj("ff-", "pixels", "ff_in.npy", "inhibitory", "0.5 ms");
    spec += &proj("rec+", "hidden", "rec_ex.npy", "excitatory", "1 ms");
    spec += &proj("rec-", "hidden", "rec_in.npy", "inhibitory", "1 ms");
    let base = d.path().join("rec.toml");
    std::fs::write(&base, spec).expect("spec");
    let mut total = 0;
    for sample in 0..3u64 {
        let x = bernoulli(steps * n_in, 0.2, 100 + sample, 0);
        let sp = d.path().join(format!("rec{sample}.toml"));
        write_sample_spec(&base, "pixels", &x, steps, &sp).expect("sample");
        let sim = sim_spikes(&sp, "hidden", steps, n);
        let (twin, _) = net.forward_sample(&x);
        assert_eq!(twin[0], sim, "sample {sample}");
        total += count(&sim);
    }
    assert!(total > 100, "spikes {total}");
}

/// A spec with a recurrent projection: trained as LifLayer::rec, exported (autapses on, the
/// masked diagonal zero), and run by the simulator with the twin's exact spikes.
#[test]
fn spec_with_recurrent_projection_exports_exactly() {
    let d = tempfile::tempdir().expect("tmp");
    let spec_text = spec() + &all_to_all(Some("rec"), "hidden", "hidden", Some("1 ms"));
    let (spec, mut t) = spec_trainer(d.path(), "r.toml", &spec_text);
    assert_eq!(t.origins.len(), 3, "w0, rec0, w1");
    if let Model::Snn(s) = &mut t.model {
        let (w, dly) = s.layers[0].rec.as_mut().expect("rec");
        assert_eq!(*dly, 2);
        *w = (0..40 * 40).map(|i| 100.0 * normal(7, i)).collect();
    }
    t.apply_constraints(); // zero diagonal: the spec has autapses = false
    let Model::Snn(s) = &t.model else {
        unreachable!()
    };
    assert!((0..40).all(|i| s.layers[0].rec.as_ref().expect("rec").0[i * 40 + i] == 0.0));
    let trained = write_trained_spec(&spec, &t, d.path()).expect("export");
    twin_equals_simulator(s, &trained, 50, 3);
}
