//! The heterogeneous Izhikevich reservoir, built as a circuit spec and simulated by
//! `ganglion-sim`, and the filtered spike trains the readouts see.
//!
//! Neurons follow Izhikevich (2003), "Simple model of spiking neurons", IEEE TNN 14:1569: with
//! one uniform `r ∈ [0, 1)` per neuron, excitatory `a = 0.02, b = 0.2, c = −65 + 15 r² mV,
//! d = 8 − 6 r²`; inhibitory `a = 0.02 + 0.08 r, b = 0.25 − 0.05 r, c = −65 mV, d = 2`.
//! Connectivity is sparse (`fixed_probability`), excitatory weights `U(0, w_e)`, inhibitory
//! `U(−w_i, 0)` (delta synapses, mV). Izhikevich's thalamic noise (zero-mean random input
//! every ms) becomes two Poisson drives per neuron, `+w_n` and `−w_n` at the same rate. Each
//! cue is a current step into its own random fifth of the excitatory neurons.

use super::experiment::study_error;
use crate::StudyError;
use crate::stats::{self, StudyRng};
use ganglion_model::{
    Circuit, Connectivity, Input, InputKind, Monitor, Population, Projection, ResolvedInput,
    Scalar, Sign, Simulation, Value, validate_circuit,
};
use ganglion_sim::Network;
use rand::RngExt;

/// Reservoir parameters.
#[derive(Debug, Clone)]
pub struct ReservoirConfig {
    /// Neurons (80 % excitatory).
    pub size: usize,
    /// Connection probability of every pathway.
    pub p_connect: f64,
    /// Largest excitatory weight \[mV\].
    pub w_exc: f64,
    /// Largest inhibitory weight magnitude \[mV\].
    pub w_inh: f64,
    /// Rate of each of the two noise drives \[Hz\].
    pub noise_rate_hz: f64,
    /// Noise spike amplitude \[mV\].
    pub noise_w: f64,
    /// Cue current \[mV/ms\] (Izhikevich units; 1 pA ≡ 1 mV/ms).
    pub cue_current: f64,
    /// Fraction of excitatory neurons each cue drives.
    pub cue_fraction: f64,
    /// Time step \[ms\] (the neuron model substeps RK4 at ≤ 0.025 ms inside it).
    pub dt_ms: f64,
}

impl ReservoirConfig {
    /// The study's reservoir of `size` neurons.
    pub fn new(size: usize) -> Self {
        // Izhikevich (2003) runs 1000 neurons all-to-all with w_e ~ U(0, 0.5), w_i ~ U(−1, 0)
        // mV and thalamic noise of s.d. 5 (exc) / 2 (inh) mV per ms; his network bursts in
        // synchronous rhythms. Sparse weights a few times larger than his and weaker noise
        // (s.d. ≈ 2.1 mV per ms) keep this one irregular and responsive to the cues.
        ReservoirConfig {
            size,
            p_connect: 0.1,
            w_exc: 3.0,
            w_inh: 6.0,
            noise_rate_hz: 1000.0,
            noise_w: 1.5,
            cue_current: 8.0,
            cue_fraction: 0.2,
            dt_ms: 1.0,
        }
    }
}

/// The heterogeneous parameters of one population: `(a, b, c, d)` per neuron.
pub fn izhikevich_params(n: usize, excitatory: bool, rng: &mut StudyRng) -> [Vec<f64>; 4] {
    let mut p: [Vec<f64>; 4] = Default::default();
    for _ in 0..n {
        let r: f64 = rng.random();
        let v = if excitatory {
            [0.02, 0.2, -65.0 + 15.0 * r * r, 8.0 - 6.0 * r * r]
        } else {
            [0.02 + 0.08 * r, 0.25 - 0.05 * r, -65.0, 2.0]
        };
        for (col, x) in p.iter_mut().zip(v) {
            col.push(x);
        }
    }
    p
}

fn list(v: &[f64], unit: &str) -> Value {
    Value::List(
        v.iter()
            .map(|x| {
                if unit.is_empty() {
                    Scalar::Number(*x)
                } else {
                    Scalar::Text(format!("{x} {unit}"))
                }
            })
            .collect(),
    )
}

/// The circuit spec: populations `exc`, `inh`, recurrent projections, noise, spike monitors
/// (cues are added to the resolved circuit by [`run`]).
pub fn circuit(cfg: &ReservoirConfig, duration_ms: f64, seed: u64) -> Circuit {
    let ne = (cfg.size as f64 * 0.8).round() as usize;
    let ni = cfg.size - ne;
    let mut rng = stats::stream(seed, 0x1221);
    let mut sim = Simulation::new(&format!("{} ms", cfg.dt_ms), &format!("{duration_ms} ms"));
    sim.seed = seed;
    let pop = |name: &str, n: usize, exc: bool, rng: &mut StudyRng| {
        let [a, b, c, d] = izhikevich_params(n, exc, rng);
        Population::new(name, n, "izhikevich")
            .param("a", list(&a, ""))
            .param("b", list(&b, ""))
            .param("c", list(&c, "mV"))
            .param("d", list(&d, ""))
            .init("V_m", "-65 mV")
            .init("U_m", Value::uniform("-14", "-12"))
            .sign(if exc {
                Sign::Excitatory
            } else {
                Sign::Inhibitory
            })
    };
    let mut c = Circuit::new(sim)
        .population(pop("exc", ne, true, &mut rng))
        .population(pop("inh", ni, false, &mut rng));
    let we = Value::uniform("0 mV", &format!("{} mV", cfg.w_exc));
    let wi = Value::uniform(&format!("-{} mV", cfg.w_inh), "0 mV");
    for (src, w) in [("exc", &we), ("inh", &wi)] {
        for tgt in ["exc", "inh"] {
            c = c.projection(
                Projection::new(src, tgt, Connectivity::fixed_probability(cfg.p_connect))
                    .weight(w.clone())
                    .delay("1 ms"),
            );
        }
    }
    let rate = format!("{} Hz", cfg.noise_rate_hz);
    for tgt in ["exc", "inh"] {
        for sign in ["", "-"] {
            c = c.input(Input::poisson(
                tgt,
                rate.as_str(),
                format!("{sign}{} mV", cfg.noise_w).as_str(),
            ));
        }
    }
    c.monitor(Monitor::spikes("exc"))
        .monitor(Monitor::spikes("inh"))
}

/// Spikes of one run: `(time ms, neuron)` with excitatory neurons first, sorted by time.
pub struct RunSpikes {
    /// All spikes, ascending in time.
    pub spikes: Vec<(f64, usize)>,
    /// Number of neurons.
    pub size: usize,
    /// Excitatory neurons (indices `0..n_exc`).
    pub n_exc: usize,
    /// Simulated time \[ms\].
    pub duration_ms: f64,
    /// Wall time of the engine's step loop \[s\].
    pub simulate_s: f64,
}

/// Runs the reservoir for `duration_ms` with cue `k` driving its neuron set while
/// `cues[k][t / cue_step_ms]` is 1.
pub fn run(
    cfg: &ReservoirConfig,
    duration_ms: f64,
    cues: &[Vec<f64>],
    cue_step_ms: f64,
    seed: u64,
) -> Result<RunSpikes, StudyError> {
    let mut r = validate_circuit(&circuit(cfg, duration_ms, seed))
        .map_err(|e| study_error(format!("reservoir spec: {e}")))?;
    let ne = r.populations[0].size;
    // Each cue drives its own random fifth of the excitatory neurons (disjoint sets).
    let mut rng = stats::stream(seed, 0xC0E);
    let mut order: Vec<u32> = (0..ne as u32).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let per = (cfg.cue_fraction * ne as f64).round() as usize;
    if per * cues.len() > ne {
        return Err(study_error(format!(
            "{} cues × {per} neurons exceed the {ne} excitatory neurons; lower cue_fraction",
            cues.len()
        )));
    }
    for (k, cue) in cues.iter().enumerate() {
        let mut neurons = order[k * per..(k + 1) * per].to_vec();
        neurons.sort_unstable();
        r.inputs.push(ResolvedInput {
            name: format!("cue {k}"),
            target: 0,
            neurons: Some(neurons),
            kind: InputKind::TimeSeries {
                values: cue
                    .iter()
                    .map(|v| v * cfg.cue_current)
                    .collect::<Vec<_>>()
                    .into(),
                columns: 1,
                step: cue_step_ms,
            },
        });
    }
    let res = Network::build(&r)
        .and_then(|mut n| n.run(None))
        .map_err(|e| study_error(format!("reservoir run: {e}")))?;
    let mut spikes = Vec::new();
    let mut offset = 0;
    for s in &res.spikes {
        spikes.extend(
            s.times_ms
                .iter()
                .zip(&s.senders)
                .map(|(&t, &i)| (t, offset + i as usize)),
        );
        offset += s.recorded;
    }
    spikes.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(RunSpikes {
        spikes,
        size: cfg.size,
        n_exc: ne,
        duration_ms,
        simulate_s: res.simulate_s,
    })
}

/// Spike trains filtered by `exp(−t/τ)` for each `tau_ms`, sampled at the end of each bin of
/// `bin_ms`: a `bins × (size · taus)` row-major matrix (all neurons for the first τ, then the
/// next), divided by `τ` \[1/ms\] so that a neuron firing at rate ν reads ≈ ν.
pub fn filtered_states(s: &RunSpikes, bin_ms: f64, taus_ms: &[f64]) -> (usize, Vec<f64>) {
    let bins = (s.duration_ms / bin_ms).round() as usize;
    let n = s.size;
    let nf = n * taus_ms.len();
    let mut out = vec![0.0; bins * nf];
    let mut trace = vec![0.0f64; nf];
    let decay: Vec<f64> = taus_ms.iter().map(|t| (-bin_ms / t).exp()).collect();
    let mut next = 0;
    for b in 0..bins {
        let t_end = (b + 1) as f64 * bin_ms;
        for (k, d) in decay.iter().enumerate() {
            trace[k * n..(k + 1) * n].iter_mut().for_each(|v| *v *= d);
        }
        while next < s.spikes.len() && s.spikes[next].0 <= t_end + 1e-9 {
            let (t, i) = s.spikes[next];
            for (k, tau) in taus_ms.iter().enumerate() {
                trace[k * n + i] += (-(t_end - t) / tau).exp() / tau;
            }
            next += 1;
        }
        out[b * nf..(b + 1) * nf].copy_from_slice(&trace);
    }
    (bins, out)
}
