//! The simulated hub network: a few hub neurons each driving many others through delayed
//! excitatory synapses, every neuron under independent Poisson background drive, simulated
//! by Ganglion's engine; the directed adjacency is kept as ground truth.

use std::path::Path;

use ganglion_model::{
    Circuit, Connectivity, Input, Monitor, Projection, Sign, Simulation, validate_circuit,
};
use rand::RngExt;
use serde::Serialize;

use crate::StudyError;
// Brunel's (2000) neuron: τ = 20 ms, θ = 20 mV, V_r = 10 mV, τ_rp = 2 ms, dt = 0.1 ms.
use crate::stats::stream;
use crate::studies::brunel_2000::sim::{DT_MS, TAU_MS, population};

use super::NAME;

/// Background Poisson synapse efficacy \[mV\].
pub const BG_J_MV: f64 = 0.5;

/// Size and drive of one hub network.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct HubSpec {
    /// Neurons in all (hubs first).
    pub neurons: usize,
    /// Hub neurons.
    pub hubs: usize,
    /// Targets per hub, drawn without repetition from the non-hub neurons.
    pub targets_per_hub: usize,
    /// Hub → target efficacy range \[mV\] (uniform).
    pub w_min_mv: f64,
    /// Upper end of the efficacy range \[mV\].
    pub w_max_mv: f64,
    /// Largest synaptic delay \[ms\]; delays are drawn uniformly from 1, 2, …, this.
    pub max_delay_ms: usize,
    /// Mean background input of the hubs, J·ν·τ \[mV\].
    pub hub_drive_mv: f64,
    /// Mean background input of the other neurons \[mV\].
    pub rest_drive_mv: f64,
    /// Simulated time \[ms\].
    pub t_ms: f64,
}

/// A simulated network: ground truth and spikes.
#[derive(Debug, Clone)]
pub struct HubRun {
    /// Number of neurons.
    pub n: usize,
    /// `adj[i * n + j]`: neuron i drives neuron j.
    pub adj: Vec<bool>,
    /// Spikes (time \[ms\], neuron), ascending in time.
    pub spikes: Vec<(f64, usize)>,
    /// Simulated time \[ms\].
    pub t_ms: f64,
}

impl HubRun {
    /// Mean rate of neurons `range` \[Hz\].
    pub fn rate_hz(&self, range: std::ops::Range<usize>) -> f64 {
        let k = range.len().max(1) as f64;
        let c = self.spikes.iter().filter(|s| range.contains(&s.1)).count() as f64;
        c / k / (self.t_ms / 1000.0)
    }
}

/// The random edges (hub, target, weight mV, delay ms) of network `seed`.
pub fn edges(spec: &HubSpec, seed: u64) -> Vec<(usize, usize, f64, f64)> {
    let mut rng = stream(seed, 1);
    let rest = spec.neurons - spec.hubs;
    let mut out = Vec::new();
    for h in 0..spec.hubs {
        let mut pool: Vec<usize> = (0..rest).collect();
        for k in 0..spec.targets_per_hub.min(rest) {
            let pick = rng.random_range(k..rest);
            pool.swap(k, pick);
            let w = spec.w_min_mv + (spec.w_max_mv - spec.w_min_mv) * rng.random::<f64>();
            let d = rng.random_range(1..=spec.max_delay_ms) as f64;
            out.push((h, pool[k], w, d));
        }
    }
    out
}

/// Simulates network `seed` on the engine (the edge list is written to `dir`).
pub fn simulate(spec: &HubSpec, seed: u64, dir: &Path) -> Result<HubRun, StudyError> {
    let err = |m: String| StudyError::study(NAME, m);
    let n = spec.neurons;
    let rest = n - spec.hubs;
    let es = edges(spec, seed);
    let mut csv = String::from("source,target,weight,delay\n");
    for &(h, t, w, d) in &es {
        csv.push_str(&format!("{h},{t},{w},{d}\n"));
    }
    let file = dir.join(format!("hub_edges_seed{seed}.csv"));
    std::fs::write(&file, csv).map_err(|e| err(format!("cannot write {}: {e}", file.display())))?;
    let pop = |name: &str, size: usize| population(name, size).sign(Sign::Excitatory);
    let mut sim = Simulation::new(
        format!("{DT_MS} ms").as_str(),
        format!("{} ms", spec.t_ms).as_str(),
    );
    sim.seed = seed;
    sim.threads = 1;
    // Background rate ν for a mean input μ = J ν τ.
    let rate = |mu: f64| mu / (BG_J_MV * TAU_MS) * 1000.0;
    let mut conn = Connectivity::edge_list(&file.to_string_lossy());
    conn.weight_unit = Some("mV".into());
    conn.delay_unit = Some("ms".into());
    let c = Circuit::new(sim)
        .population(pop("hub", spec.hubs))
        .population(pop("rest", rest))
        .projection(Projection::new("hub", "rest", conn))
        .input(Input::poisson(
            "hub",
            format!("{} Hz", rate(spec.hub_drive_mv)).as_str(),
            format!("{BG_J_MV} mV").as_str(),
        ))
        .input(Input::poisson(
            "rest",
            format!("{} Hz", rate(spec.rest_drive_mv)).as_str(),
            format!("{BG_J_MV} mV").as_str(),
        ))
        .monitor(Monitor::spikes("hub"))
        .monitor(Monitor::spikes("rest"));
    let resolved = validate_circuit(&c).map_err(|e| err(format!("invalid circuit: {e}")))?;
    let res = ganglion_sim::Network::build(&resolved)
        .and_then(|mut net| net.run(None))
        .map_err(|e| err(format!("simulation seed {seed}: {e}")))?;
    let mut spikes = Vec::new();
    for sd in &res.spikes {
        let offset = match sd.population.as_str() {
            "hub" => 0,
            "rest" => spec.hubs,
            p => return Err(err(format!("unexpected spike recording of `{p}`"))),
        };
        for (&t, &s) in sd.times_ms.iter().zip(&sd.senders) {
            spikes.push((t, offset + s as usize));
        }
    }
    spikes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut adj = vec![false; n * n];
    for &(h, t, _, _) in &es {
        adj[h * n + spec.hubs + t] = true;
    }
    Ok(HubRun {
        n,
        adj,
        spikes,
        t_ms: spec.t_ms,
    })
}
