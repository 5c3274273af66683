//! One trial of the delayed recall task, built as a Ganglion circuit and run by the engine.
//!
//! G groups of N `iaf_psc_exp` neurons (NEST defaults: τ_m = 10 ms, τ_syn = 2 ms), each
//! with its own A `astrocyte_lr_1994` astrocytes (NEST 3.10's model, delta_IP3 = 0.02 µM):
//! every astrocyte listens to K neurons of its group (weight 1, delay 1 ms) and feeds a slow
//! inward current back onto each neuron of the group with probability p (`synapse = "sic"`,
//! weight w_SIC). Every neuron gets weak Poisson background. The trial: 200 ms settling,
//! a 1 s cue current into the sample group, a delay with background only, then a 500 ms
//! probe current into every group alike. The network's answer is the group that fires most
//! during the probe (ties share the credit). The control is the same network with
//! w_SIC = 0 (astrocytes still listen, but cannot act).

use ganglion_model::{
    Circuit, Connectivity, Input, Monitor, Population, Projection, Simulation, Value,
    validate_circuit,
};
use serde::Serialize;

use crate::StudyError;

use super::NAME;

/// The task and network's constants.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Setup {
    /// Groups (items that can be cued); chance is 1/groups.
    pub groups: usize,
    /// Neurons per group.
    pub neurons: usize,
    /// Astrocytes per group.
    pub astrocytes: usize,
    /// Neurons each astrocyte listens to.
    pub in_degree: u64,
    /// Probability that an astrocyte feeds a neuron of its group.
    pub sic_p: f64,
    /// SIC weight \[pA per unit of SIC\].
    pub sic_weight_pa: f64,
    /// IP3 increase per input spike \[µM\].
    pub delta_ip3: f64,
    /// Background Poisson rate per neuron \[Hz\] and weight \[pA\].
    pub bg_rate_hz: f64,
    /// Weight of background spikes \[pA\].
    pub bg_weight_pa: f64,
    /// Cue current \[pA\].
    pub cue_pa: f64,
    /// Probe current \[pA\].
    pub probe_pa: f64,
    /// Settling time before the cue \[ms\].
    pub settle_ms: f64,
    /// Cue duration \[ms\].
    pub cue_ms: f64,
    /// Probe duration \[ms\].
    pub probe_ms: f64,
    /// Time step \[ms\].
    pub dt_ms: f64,
}

/// The study's setup.
pub const SETUP: Setup = Setup {
    groups: 4,
    neurons: 20,
    astrocytes: 5,
    in_degree: 10,
    sic_p: 0.4,
    sic_weight_pa: 8.0,
    delta_ip3: 0.02,
    bg_rate_hz: 2000.0,
    bg_weight_pa: 30.0,
    cue_pa: 400.0,
    probe_pa: 250.0,
    settle_ms: 200.0,
    cue_ms: 1000.0,
    probe_ms: 500.0,
    dt_ms: 0.5,
};

/// Membrane time constant of the neurons \[ms\] (iaf_psc_exp default).
pub const TAU_M_MS: f64 = 10.0;

/// One trial's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Trial {
    /// Seed index.
    pub seed: usize,
    /// Delay \[s\].
    pub delay_s: f64,
    /// Whether the astrocytes' SIC acts (w_SIC > 0).
    pub astrocytes: bool,
    /// The cued group.
    pub sample: usize,
    /// Spikes per group during the probe.
    pub probe_counts: Vec<u32>,
    /// Credit for the answer: 1 if the sample group alone fired most, 1/k for a k-way tie
    /// that includes it, else 0.
    pub credit: f64,
    /// Mean astrocytic calcium per group at the probe's onset \[µM\].
    pub ca_at_probe: Vec<f64>,
    /// Mean firing rate per group over the last second of the delay \[Hz\].
    pub delay_rate_hz: Vec<f64>,
}

/// Start and end of the probe \[ms\] for a delay of `delay_ms`.
pub fn probe_window(s: &Setup, delay_ms: f64) -> (f64, f64) {
    let t0 = s.settle_ms + s.cue_ms + delay_ms;
    (t0, t0 + s.probe_ms)
}

/// The circuit of one trial; `probe` false leaves the probe out (for the memory trace run)
/// and `every_ms` is the sampling interval of the astrocytes' calcium and SIC.
pub fn circuit(
    s: &Setup,
    sample: usize,
    delay_ms: f64,
    astrocytes: bool,
    probe: bool,
    every_ms: f64,
    seed: u64,
) -> Circuit {
    let (p0, p1) = probe_window(s, delay_ms);
    let mut sim = Simulation::new(&format!("{} ms", s.dt_ms), &format!("{p1} ms"));
    sim.seed = seed;
    let mut c = Circuit::new(sim);
    let w_sic = if astrocytes { s.sic_weight_pa } else { 0.0 };
    for g in 0..s.groups {
        let (n, a) = (format!("n{g}"), format!("a{g}"));
        c = c
            .population(Population::new(&n, s.neurons, "iaf_psc_exp"))
            .population(
                Population::new(&a, s.astrocytes, "astrocyte_lr_1994")
                    .param("delta_IP3", s.delta_ip3),
            )
            .projection(
                Projection::new(&n, &a, Connectivity::fixed_indegree(s.in_degree))
                    .weight(1.0)
                    .delay("1 ms"),
            )
            .projection(
                Projection::new(&a, &n, Connectivity::fixed_probability(s.sic_p))
                    .sic(Value::from(format!("{w_sic} pA").as_str())),
            )
            .input(Input::poisson(
                &n,
                format!("{} Hz", s.bg_rate_hz).as_str(),
                format!("{} pA", s.bg_weight_pa).as_str(),
            ))
            .monitor(Monitor::spikes(&n));
        let mut ca = Monitor::state(
            &a,
            &["Ca_astro", "SIC"],
            &(0..s.astrocytes as u32).collect::<Vec<_>>(),
        );
        ca.every = Some(format!("{every_ms} ms").as_str().into());
        c = c.monitor(ca);
        if g == sample {
            let mut cue = Input::current(&n, format!("{} pA", s.cue_pa).as_str());
            cue.start = Some(format!("{} ms", s.settle_ms).as_str().into());
            cue.stop = Some(format!("{} ms", s.settle_ms + s.cue_ms).as_str().into());
            c = c.input(cue);
        }
        if probe {
            let mut pr = Input::current(&n, format!("{} pA", s.probe_pa).as_str());
            pr.start = Some(format!("{p0} ms").as_str().into());
            c = c.input(pr);
        }
    }
    c
}

/// The recordings of one run: spike times per group, and per group the astrocytes' mean
/// calcium and mean SIC at each sample time.
pub struct Recording {
    /// Spike times \[ms\] per group.
    pub spikes: Vec<Vec<f64>>,
    /// Sample times \[ms\].
    pub times_ms: Vec<f64>,
    /// Mean calcium per group, per sample \[µM\] (group-major).
    pub ca: Vec<Vec<f64>>,
    /// Mean SIC per group, per sample (group-major).
    pub sic: Vec<Vec<f64>>,
}

/// Validate and run a circuit built by [`circuit`].
pub fn simulate(s: &Setup, c: &Circuit) -> Result<Recording, StudyError> {
    let err = |m: String| StudyError::study(NAME, m);
    let r = validate_circuit(c).map_err(|e| err(format!("invalid circuit: {e}")))?;
    let res = ganglion_sim::Network::build(&r)
        .and_then(|mut n| n.run(None))
        .map_err(|e| err(format!("simulation failed: {e}")))?;
    let mean_over = |values: &[f32], k: usize| -> f64 {
        let row = &values[k * s.astrocytes..(k + 1) * s.astrocytes];
        row.iter().map(|&v| v as f64).sum::<f64>() / s.astrocytes as f64
    };
    let mut rec = Recording {
        spikes: res.spikes.iter().map(|sp| sp.times_ms.clone()).collect(),
        times_ms: res.states[0].times_ms.clone(),
        ca: vec![],
        sic: vec![],
    };
    // States come in monitor order: (Ca, SIC) per group.
    for g in 0..s.groups {
        let (ca, sic) = (&res.states[2 * g], &res.states[2 * g + 1]);
        let n = ca.times_ms.len();
        rec.ca
            .push((0..n).map(|k| mean_over(&ca.values, k)).collect());
        rec.sic
            .push((0..n).map(|k| mean_over(&sic.values, k)).collect());
    }
    Ok(rec)
}

/// Credit of an answer: the sample group among the groups that fired most.
pub fn credit(counts: &[u32], sample: usize) -> f64 {
    let best = counts.iter().copied().max().unwrap_or(0);
    let tied = counts.iter().filter(|&&c| c == best).count();
    if counts[sample] == best {
        1.0 / tied as f64
    } else {
        0.0
    }
}

/// Run one trial.
pub fn trial(
    s: &Setup,
    seed: usize,
    sample: usize,
    delay_s: f64,
    astrocytes: bool,
    key: u64,
) -> Result<Trial, StudyError> {
    let delay_ms = delay_s * 1000.0;
    let (p0, p1) = probe_window(s, delay_ms);
    let c = circuit(s, sample, delay_ms, astrocytes, true, 100.0, key);
    let rec = simulate(s, &c)?;
    let count = |v: &[f64], a: f64, b: f64| v.iter().filter(|&&t| t > a && t <= b).count();
    let probe_counts: Vec<u32> = rec.spikes.iter().map(|v| count(v, p0, p1) as u32).collect();
    let delay_rate_hz = rec
        .spikes
        .iter()
        .map(|v| count(v, p0 - 1000.0, p0) as f64 / s.neurons as f64)
        .collect();
    // The sample at the probe's onset (sample times are multiples of 100 ms).
    let k = rec
        .times_ms
        .iter()
        .position(|&t| (t - p0).abs() < 1e-6)
        .unwrap_or(rec.times_ms.len() - 1);
    Ok(Trial {
        seed,
        delay_s,
        astrocytes,
        sample,
        credit: credit(&probe_counts, sample),
        probe_counts,
        ca_at_probe: rec.ca.iter().map(|c| c[k]).collect(),
        delay_rate_hz,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_shares_ties() {
        assert_eq!(credit(&[3, 9, 2, 1], 1), 1.0);
        assert_eq!(credit(&[3, 9, 2, 1], 0), 0.0);
        assert_eq!(credit(&[4, 4, 2, 4], 1), 1.0 / 3.0);
        assert_eq!(credit(&[0, 0, 0, 0], 2), 0.25);
    }

    #[test]
    fn the_circuit_validates_with_and_without_sic() {
        for astro in [true, false] {
            let c = circuit(&SETUP, 2, 500.0, astro, true, 100.0, 1);
            let r = validate_circuit(&c).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.populations.len(), 2 * SETUP.groups);
            let sic: Vec<_> = r.projections.iter().filter(|p| p.sic).collect();
            assert_eq!(sic.len(), SETUP.groups);
            let w = sic[0].weight.mean();
            assert_eq!(w, if astro { SETUP.sic_weight_pa } else { 0.0 });
        }
    }
}
