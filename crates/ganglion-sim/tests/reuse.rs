//! Builds that reuse the synapses of an earlier build (a sweep) give the network a fresh
//! build gives, bit for bit, and regenerate only the projections whose synapses changed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_model::*;
use ganglion_sim::{Network, Results, SynapseCache};

const SPEC: &str = r#"
population = [
  { name = "exc", size = 80, model = "iaf_psc_exp", params = { tau_m = "20 ms", E_L = "-65 mV", V_th = "-50 mV", V_reset = "-65 mV" }, init = { V_m = { dist = "uniform", low = "-65 mV", high = "-50 mV" } } },
  { name = "inh", size = 20, model = "iaf_psc_exp", params = { tau_m = "10 ms", E_L = "-65 mV", V_th = "-50 mV", V_reset = "-65 mV" } },
]
projection = [
  { source = "exc", target = "exc", connectivity = { rule = "fixed_probability", p = 0.1 }, weight = "40 pA", delay = { dist = "uniform", low = "1 ms", high = "3 ms" }, plasticity = { rule = "stdp", w_max = "80 pA" } },
  { source = "exc", target = "inh", connectivity = { rule = "fixed_indegree", k = 10 }, weight = { dist = "normal", mean = "60 pA", std = "10 pA" }, delay = "1.5 ms" },
  { source = "inh", target = "exc", connectivity = { rule = "fixed_probability", p = 0.3 }, weight = "-120 pA", delay = "1 ms" },
]
input = [
  { name = "drive", kind = "poisson", target = "exc", rate = "8 kHz", weight = "30 pA" },
  { kind = "poisson", target = "inh", rate = "4 kHz", weight = "30 pA" },
]
monitor = [
  { kind = "spikes", population = "exc" },
  { kind = "spikes", population = "inh" },
  { kind = "state", population = "exc", variables = ["V_m"], neurons = [0, 1, 2] },
]

[simulation]
dt = "0.1 ms"
duration = "150 ms"
seed = 3
threads = 2
"#;

/// The spec with `path` set to `value` (TOML syntax).
fn point(edits: &[(&str, &str)]) -> Resolved {
    let mut v: toml::Value = toml::from_str(SPEC).unwrap();
    for (path, value) in edits {
        let value: toml::Value =
            toml::from_str::<toml::Table>(&format!("x = {value}")).unwrap()["x"].clone();
        set_path(&mut v, path, value).unwrap();
    }
    let c: Circuit = v.try_into().unwrap();
    validate_circuit(&c).unwrap_or_else(|e| panic!("{e}"))
}

fn fingerprint(res: &Results) -> Vec<u64> {
    let mut out = vec![];
    for s in &res.spikes {
        out.extend(s.times_ms.iter().map(|t| t.to_bits()));
        out.extend(s.senders.iter().map(|&i| i as u64));
    }
    for s in &res.states {
        out.extend(s.values.iter().map(|v| v.to_bits() as u64));
    }
    out
}

#[test]
fn reused_synapses_give_the_fresh_network_and_only_changed_projections_are_regenerated() {
    let mut cache = SynapseCache::new();
    // (edits, projections regenerated): the first build generates all three.
    let points: [(&[(&str, &str)], usize); 7] = [
        (&[], 3),
        // Input rate, neuron parameter, initial state: nothing regenerated.
        (&[("input.drive.rate", "\"12 kHz\"")], 0),
        (&[("population.exc.params.tau_m", "\"15 ms\"")], 0),
        (&[("population.exc.init.V_m", "\"-60 mV\"")], 0),
        // A constant weight: reused with the new value.
        (&[("projection.inh→exc.weight", "\"-150 pA\"")], 0),
        // A weight distribution or a connection probability: that projection only.
        (
            &[(
                "projection.exc→inh.weight",
                "{ dist = \"normal\", mean = \"70 pA\", std = \"10 pA\" }",
            )],
            1,
        ),
        // Every point edits the base spec: this one also reverts the weight of the previous
        // point, so both projections are regenerated.
        (&[("projection.inh→exc.connectivity.p", "0.2")], 2),
    ];
    let mut generated = 0;
    for (edits, regenerated) in points {
        let r = point(edits);
        let fresh = Network::build(&r).unwrap().run(None).unwrap();
        let reused = Network::build_reusing(&r, &mut cache)
            .unwrap()
            .run(None)
            .unwrap();
        assert!(
            fresh.populations[0].spike_count > 0,
            "{edits:?}: exc silent"
        );
        assert_eq!(fingerprint(&fresh), fingerprint(&reused), "{edits:?}");
        generated += regenerated;
        assert_eq!(cache.generated(), generated, "{edits:?}");
    }
    // Another seed draws other synapses: every projection is regenerated.
    let r = point(&[("simulation.seed", "4")]);
    let fresh = Network::build(&r).unwrap().run(None).unwrap();
    let reused = Network::build_reusing(&r, &mut cache)
        .unwrap()
        .run(None)
        .unwrap();
    assert_eq!(fingerprint(&fresh), fingerprint(&reused));
    assert_eq!(cache.generated(), generated + 3);
    // Every other projection build was a reuse. (The plastic projection's weights changed in
    // every run: reuse starts from the generated ones, as the equality above shows.)
    assert_eq!(cache.reused(), 8 * 3 - cache.generated());
}
