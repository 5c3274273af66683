//! The liquid: a fixed random LIF network with resistive-memory-like weights, built as an
//! engine circuit and run by `ganglion-sim` over a sequence of event samples.
//!
//! Populations (all `iaf_psc_delta`, rest 0 mV, threshold 20 mV, dt = 1 ms):
//! - `dvs` and `cochlea`: one relay neuron per input channel, driven by a `spike_times` input
//!   of 25 mV (above threshold), so each input event makes its relay spike one step later;
//! - `liquid`: `n` LIF neurons (τ_m = 20 ms, reset 10 mV, refractory 2 ms).
//!
//! Weights model a resistive-memory array programmed once and never trained: every device
//! takes a random conductance G ~ N(0.5, 0.25²) G_max clipped to \[0, G_max\] (the spread of
//! post-forming conductances that such chips use as their source of randomness) and is read
//! through a 4-bit quantiser (16 levels). Input synapses are single devices (w = J_in q(G),
//! excitatory); recurrent synapses are differential pairs (w = J_rec (q(G⁺) − q(G⁻)), either
//! sign). Connections are drawn with fixed probabilities; all delays are 1 ms.
//!
//! Samples are presented one after another, each in a slot of `slot_ms`; the liquid's state
//! for a sample is its spike count per neuron in `bins` consecutive windows of `bin_ms` from
//! the slot start plus the 2 ms relay-and-synapse latency.

use std::path::Path;

use ganglion_model::{
    Circuit, Connectivity, Input, Monitor, Population, Projection, Simulation, validate_circuit,
};
use ganglion_sim::Network;
use rand::RngExt;

use super::events::Event;
use crate::stats::{StudyRng, normal, stream};

/// Integration step \[ms\].
pub const DT_MS: f64 = 1.0;
/// Latency from an input event to the liquid: relay step plus synaptic delay \[ms\].
pub const LATENCY_MS: f64 = 2.0;
/// Quantiser levels of a device's conductance (4 bits).
pub const LEVELS: u32 = 16;

/// Liquid settings.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct LiquidConfig {
    /// Liquid neurons.
    pub neurons: usize,
    /// Connection probability DVS relay → liquid.
    pub p_dvs: f64,
    /// Connection probability cochlea relay → liquid.
    pub p_cochlea: f64,
    /// Connection probability liquid → liquid.
    pub p_rec: f64,
    /// Scale of a DVS input synapse (weight at G = G_max) \[mV\].
    pub j_dvs_mv: f64,
    /// Scale of a cochlear input synapse \[mV\].
    pub j_cochlea_mv: f64,
    /// Scale of a recurrent differential pair \[mV\].
    pub j_rec_mv: f64,
    /// Slot per sample \[ms\].
    pub slot_ms: f64,
    /// Readout bins per sample.
    pub bins: usize,
    /// Width of a readout bin \[ms\].
    pub bin_ms: f64,
}

impl LiquidConfig {
    /// Features per sample (neurons × bins).
    pub fn features(&self) -> usize {
        self.neurons * self.bins
    }
}

/// Which relay population a sample drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modality {
    /// DVS relays.
    Vision,
    /// Cochlear relays.
    Audio,
}

/// A device's conductance read through the quantiser, in units of G_max.
fn device(rng: &mut StudyRng) -> f64 {
    let g = (0.5 + 0.25 * normal(rng)).clamp(0.0, 1.0);
    (g * (LEVELS - 1) as f64).round() / (LEVELS - 1) as f64
}

/// Edge list (source, target, weight mV) with probability `p`; `pair` makes differential pairs.
fn edges(n_src: usize, n_tgt: usize, p: f64, j: f64, pair: bool, rng: &mut StudyRng) -> Vec<f64> {
    let mut out = Vec::new();
    for s in 0..n_src {
        for t in 0..n_tgt {
            if (pair && s == t) || rng.random::<f64>() >= p {
                continue;
            }
            let w = if pair {
                j * (device(rng) - device(rng))
            } else {
                j * device(rng)
            };
            if w != 0.0 {
                out.extend_from_slice(&[s as f64, t as f64, w]);
            }
        }
    }
    out
}

/// The fixed random weights of one liquid (edge lists, weights in mV).
#[derive(Debug, Clone)]
pub struct Weights {
    /// DVS relay → liquid.
    pub dvs: Vec<f64>,
    /// Cochlear relay → liquid.
    pub cochlea: Vec<f64>,
    /// Liquid → liquid.
    pub rec: Vec<f64>,
}

impl Weights {
    /// Draws the weights of a liquid with `dvs` and `cochlea` input channels from `seed`.
    pub fn draw(cfg: &LiquidConfig, dvs: usize, cochlea: usize, seed: u64) -> Weights {
        let n = cfg.neurons;
        Weights {
            dvs: edges(dvs, n, cfg.p_dvs, cfg.j_dvs_mv, false, &mut stream(seed, 1)),
            cochlea: edges(
                cochlea,
                n,
                cfg.p_cochlea,
                cfg.j_cochlea_mv,
                false,
                &mut stream(seed, 2),
            ),
            rec: edges(n, n, cfg.p_rec, cfg.j_rec_mv, true, &mut stream(seed, 3)),
        }
    }
}

/// What one engine run returns.
#[derive(Debug, Clone)]
pub struct LiquidRun {
    /// Per sample, `neurons × bins` spike counts (bin-major within a neuron: n·bins + b).
    pub states: Vec<Vec<f64>>,
    /// Mean liquid firing rate over the readout windows \[Hz\].
    pub rate_hz: f64,
    /// Fraction of liquid neurons that fired at least once.
    pub active_fraction: f64,
    /// Largest |w_engine − w_written| over the recurrent synapses after the run \[mV\]
    /// (0: the weights were not changed by anything).
    pub weight_drift_mv: f64,
    /// Recurrent synapses in the engine.
    pub rec_synapses: usize,
    /// Distinct recurrent weight values in the engine.
    pub rec_levels: usize,
    /// Liquid spikes of the raster slots, placed side by side, (time ms, neuron).
    pub raster: Vec<(f64, u32)>,
    /// Engine wall time (build + run) \[s\].
    pub engine_s: f64,
}

fn write_npy(path: &Path, shape: &[usize], data: &[f64]) -> Result<String, String> {
    ganglion_model::npy::write(path, shape, data)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{} is not valid UTF-8", path.display()))
}

fn lif(name: &str, n: usize, v_reset: f64, t_ref: f64) -> Population {
    Population::new(name, n, "iaf_psc_delta")
        .param("tau_m", "20 ms")
        .param("E_L", "0 mV")
        .param("V_th", "20 mV")
        .param("V_reset", format!("{v_reset} mV").as_str())
        .param("t_ref", format!("{t_ref} ms").as_str())
}

/// Runs the liquid with `weights` over `samples` (modality and events, times from the sample's
/// start in ms) in order, one slot each; the spikes of `raster_slots` are kept for a figure;
/// engine files go to `dir` (removed afterwards).
pub fn run(
    cfg: &LiquidConfig,
    weights: &Weights,
    channels: (usize, usize),
    samples: &[(Modality, &[Event])],
    raster_slots: &[usize],
    dir: &Path,
) -> Result<LiquidRun, String> {
    let started = std::time::Instant::now();
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = run_in(cfg, weights, channels, samples, raster_slots, dir);
    let _ = std::fs::remove_dir_all(dir);
    let mut r = result?;
    r.engine_s = started.elapsed().as_secs_f64();
    Ok(r)
}

fn run_in(
    cfg: &LiquidConfig,
    weights: &Weights,
    (n_dvs, n_coch): (usize, usize),
    samples: &[(Modality, &[Event])],
    raster_slots: &[usize],
    dir: &Path,
) -> Result<LiquidRun, String> {
    let n = cfg.neurons;
    let t_end = samples.len() as f64 * cfg.slot_ms + LATENCY_MS + 1.0;
    let mut sim = Simulation::new(&format!("{DT_MS} ms"), &format!("{t_end} ms"));
    sim.threads = 1;
    let mut c = Circuit::new(sim)
        .population(lif("dvs", n_dvs, 0.0, 1.0))
        .population(lif("cochlea", n_coch, 0.0, 1.0))
        .population(lif("liquid", n, 10.0, 2.0));
    // Input events, on the 1 ms grid (the engine rounds to the nearest step; floor here so an
    // event stays in its own sample's slot).
    let mut ev = [Vec::new(), Vec::new()];
    for (k, (m, events)) in samples.iter().enumerate() {
        let t0 = k as f64 * cfg.slot_ms;
        let dst = &mut ev[usize::from(*m == Modality::Audio)];
        for &(ch, t) in *events {
            dst.extend_from_slice(&[ch as f64, t0 + t.floor().min(cfg.slot_ms - 1.0)]);
        }
    }
    for (pop, data) in ["dvs", "cochlea"].iter().zip(&ev) {
        if data.is_empty() {
            continue;
        }
        let file = write_npy(
            &dir.join(format!("{pop}_events.npy")),
            &[data.len() / 2, 2],
            data,
        )?;
        let mut inp = Input::new("spike_times", pop);
        inp.file = Some(file);
        inp.weight = Some("25 mV".into());
        c = c.input(inp);
    }
    for (name, src, list) in [
        ("dvs-liquid", "dvs", &weights.dvs),
        ("cochlea-liquid", "cochlea", &weights.cochlea),
        ("liquid-liquid", "liquid", &weights.rec),
    ] {
        let file = write_npy(&dir.join(format!("{name}.npy")), &[list.len() / 3, 3], list)?;
        let mut conn = Connectivity::edge_list(&file);
        conn.weight_unit = Some("mV".into());
        let mut p = Projection::new(src, "liquid", conn).delay(format!("{DT_MS} ms").as_str());
        p.name = Some(name.into());
        c = c.projection(p);
    }
    c = c.monitor(Monitor::spikes("liquid"));
    let r = validate_circuit(&c).map_err(|e| e.to_string())?;
    let mut net = Network::build(&r).map_err(|e| e.to_string())?;
    let out = net.run(None).map_err(|e| e.to_string())?;
    let spikes = out
        .spikes
        .iter()
        .find(|s| s.population == "liquid")
        .ok_or("no liquid spike recording")?;
    let mut states = vec![vec![0.0; n * cfg.bins]; samples.len()];
    let mut active = vec![false; n];
    let mut counted = 0usize;
    let mut raster = Vec::new();
    let window = cfg.bins as f64 * cfg.bin_ms;
    for (&t, &i) in spikes.times_ms.iter().zip(&spikes.senders) {
        active[i as usize] = true;
        // Spike times are the end of the step; the step began at t − dt.
        let start = t - DT_MS;
        let k = (start / cfg.slot_ms).floor() as usize;
        if k >= samples.len() {
            continue;
        }
        if let Some(r) = raster_slots.iter().position(|&s| s == k) {
            let rel = start - k as f64 * cfg.slot_ms;
            raster.push((r as f64 * cfg.slot_ms + rel, i));
        }
        let rel = start - k as f64 * cfg.slot_ms - LATENCY_MS;
        if rel < 0.0 || rel >= window {
            continue;
        }
        let b = (rel / cfg.bin_ms).floor() as usize;
        states[k][i as usize * cfg.bins + b] += 1.0;
        counted += 1;
    }
    let rate_hz = counted as f64 / (n as f64 * samples.len() as f64 * window * 1e-3);
    // The recurrent weights after the run against those written.
    let j = net
        .projection_names()
        .iter()
        .position(|p| p == "liquid-liquid")
        .ok_or("no liquid-liquid projection")?;
    let mut engine: Vec<(u32, u32, f32)> = net
        .synapses_of(j)
        .into_iter()
        .map(|(s, t, w, _)| (s, t, w))
        .collect();
    engine.sort_by_key(|a| (a.0, a.1));
    let mut written: Vec<(u32, u32, f64)> = weights
        .rec
        .chunks_exact(3)
        .map(|e| (e[0] as u32, e[1] as u32, e[2]))
        .collect();
    written.sort_by_key(|a| (a.0, a.1));
    if engine.len() != written.len() {
        return Err(format!(
            "the engine holds {} recurrent synapses, {} were written",
            engine.len(),
            written.len()
        ));
    }
    let mut drift = 0.0f64;
    let mut levels: Vec<i64> = Vec::with_capacity(engine.len());
    for (e, w) in engine.iter().zip(&written) {
        if (e.0, e.1) != (w.0, w.1) {
            return Err(format!(
                "synapse {:?} in the engine, {:?} written",
                (e.0, e.1),
                (w.0, w.1)
            ));
        }
        drift = drift.max((e.2 as f64 - w.2).abs());
        levels.push((e.2 as f64 * 1e4).round() as i64);
    }
    levels.sort_unstable();
    levels.dedup();
    Ok(LiquidRun {
        states,
        rate_hz,
        active_fraction: active.iter().filter(|&&a| a).count() as f64 / n as f64,
        // f32 storage of the written f64 weights: at most half an f32 ulp of ~10 mV.
        weight_drift_mv: drift,
        rec_synapses: engine.len(),
        rec_levels: levels.len(),
        raster,
        engine_s: 0.0,
    })
}

/// The input's own counts per channel in the same bins (no liquid), for the raw-input control:
/// `channels × bins`, from the events of one sample.
pub fn raw_counts(events: &[Event], channels: usize, cfg: &LiquidConfig) -> Vec<f64> {
    let mut v = vec![0.0; channels * cfg.bins];
    for &(ch, t) in events {
        let b = (t.floor() / cfg.bin_ms).floor() as usize;
        if b < cfg.bins {
            v[ch as usize * cfg.bins + b] += 1.0;
        }
    }
    v
}
