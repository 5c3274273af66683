//! Liquid state machines: a spiking reservoir simulated by `ganglion-sim`, read out linearly.
//!
//! The input series drives a random subset of the reservoir's neurons as a current (half of
//! them with a positive gain, half negative), each sample held for `sample_ms`. The state at
//! the end of each sample is every neuron's spike train filtered by an exponential kernel
//! (`tau_filter_ms`), which a [`crate::Ridge`] readout then maps to targets.
//!
//! ```
//! use ganglion_learn::lsm::{LsmConfig, lsm_states};
//! let cfg = LsmConfig { size: 100, ..LsmConfig::default() };
//! let u: Vec<f64> = (0..50).map(|t| (t as f64 * 0.3).sin()).collect();
//! let states = lsm_states(&cfg, &u).unwrap();
//! assert_eq!((states.steps(), states.units()), (50, 100));
//! ```

use crate::esn::States;
use crate::{LearnError, Result};
use ganglion_model::{
    Circuit, Connectivity, InputKind, Monitor, Population, Projection, ResolvedInput, Sign,
    Simulation, Value, validate_circuit,
};
use ganglion_sim::Network;

/// The reservoir's neuron model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LsmNeuron {
    /// `iaf_psc_exp` LIF neurons (τm = 20 ms, exponential currents).
    Lif,
    /// Heterogeneous Izhikevich neurons as in Izhikevich (2003): excitatory c ∈ [−65, −50] mV,
    /// d ∈ [2, 8]; inhibitory a ∈ [0.02, 0.1], b ∈ [0.2, 0.25].
    Izhikevich,
}

/// A liquid state machine. Every field has a default.
#[derive(Debug, Clone, PartialEq)]
pub struct LsmConfig {
    /// Neurons (80 % excitatory). Default 500.
    pub size: usize,
    /// Neuron model. Default LIF.
    pub neuron: LsmNeuron,
    /// Recurrent connection probability. Default 0.1.
    pub p_connect: f64,
    /// Fraction of neurons receiving the input. Default 0.3.
    pub input_density: f64,
    /// Input current per unit of input \[pA\] (Izhikevich: mV/ms). Default 300 (LIF), 6 (Izh.).
    pub input_gain: f64,
    /// Constant background current \[pA\] keeping the liquid active. Default 350 (LIF), 4 (Izh.).
    pub bias: f64,
    /// Duration of one input sample \[ms\]. Default 10.
    pub sample_ms: f64,
    /// Time step \[ms\]. Default 0.5.
    pub dt_ms: f64,
    /// Spike-train filter time constant for the states \[ms\]. Default 20.
    pub tau_filter_ms: f64,
    /// Seed. Default 0.
    pub seed: u64,
}

impl Default for LsmConfig {
    fn default() -> Self {
        LsmConfig {
            size: 500,
            neuron: LsmNeuron::Lif,
            p_connect: 0.1,
            input_density: 0.3,
            input_gain: 300.0,
            bias: 350.0,
            sample_ms: 10.0,
            dt_ms: 0.5,
            tau_filter_ms: 20.0,
            seed: 0,
        }
    }
}

impl LsmConfig {
    /// Defaults for heterogeneous Izhikevich neurons.
    pub fn izhikevich() -> Self {
        LsmConfig {
            neuron: LsmNeuron::Izhikevich,
            input_gain: 6.0,
            bias: 4.0,
            ..Self::default()
        }
    }

    fn circuit(&self, steps: usize) -> Circuit {
        let ne = (self.size as f64 * 0.8).round() as usize;
        let ni = self.size - ne;
        let duration = format!("{} ms", steps as f64 * self.sample_ms);
        let mut sim = Simulation::new(&format!("{} ms", self.dt_ms), &duration);
        sim.seed = self.seed;
        let (exc, inh, we, wi) = match self.neuron {
            LsmNeuron::Lif => {
                let lif = |name: &str, n: usize| {
                    Population::new(name, n, "iaf_psc_exp")
                        .param("tau_m", "20 ms")
                        .param("E_L", "-65 mV")
                        .param("V_th", "-50 mV")
                        .param("V_reset", "-65 mV")
                        .param("t_ref", "2 ms")
                        .param("tau_syn_ex", "5 ms")
                        .param("tau_syn_in", "10 ms")
                        .param("I_e", format!("{} pA", self.bias).as_str())
                        .init("V_m", Value::uniform("-65 mV", "-50 mV"))
                };
                (
                    lif("exc", ne),
                    lif("inh", ni),
                    Value::uniform("0 pA", "60 pA"),
                    Value::uniform("-240 pA", "0 pA"),
                )
            }
            LsmNeuron::Izhikevich => {
                let exc = Population::new("exc", ne, "izhikevich")
                    .param("a", 0.02)
                    .param("b", 0.2)
                    .param("c", Value::uniform("-65 mV", "-50 mV"))
                    .param("d", Value::uniform("2", "8"))
                    .param("I_e", format!("{} pA", self.bias).as_str());
                let inh = Population::new("inh", ni, "izhikevich")
                    .param("a", Value::uniform("0.02", "0.1"))
                    .param("b", Value::uniform("0.2", "0.25"))
                    .param("c", "-65 mV")
                    .param("d", 2.0)
                    .param("I_e", format!("{} pA", self.bias).as_str());
                (
                    exc,
                    inh,
                    Value::uniform("0 mV", "0.5 mV"),
                    Value::uniform("-1 mV", "0 mV"),
                )
            }
        };
        let mut c = Circuit::new(sim)
            .population(exc.sign(Sign::Excitatory))
            .population(inh.sign(Sign::Inhibitory));
        for (src, w) in [("exc", &we), ("inh", &wi)] {
            for tgt in ["exc", "inh"] {
                c = c.projection(
                    Projection::new(src, tgt, Connectivity::fixed_probability(self.p_connect))
                        .weight(w.clone())
                        .delay(Value::uniform("1 ms", "3 ms")),
                );
            }
        }
        c.monitor(Monitor::spikes("exc"))
            .monitor(Monitor::spikes("inh"))
    }
}

/// Run the liquid on `inputs` (one value per sample) and return the filtered spike trains at
/// the end of each sample: a `inputs.len() × size` state matrix (exc neurons first).
pub fn lsm_states(cfg: &LsmConfig, inputs: &[f64]) -> Result<States> {
    if cfg.size < 5 || !(0.0..=1.0).contains(&cfg.p_connect) || !(cfg.sample_ms >= cfg.dt_ms) {
        return Err(LearnError::param(
            "LsmConfig",
            "size/p_connect/sample_ms",
            cfg.size,
            "needs size ≥ 5, p in [0, 1], sample_ms ≥ dt_ms",
            "use the defaults",
        ));
    }
    let mut r = validate_circuit(&cfg.circuit(inputs.len())).map_err(|e| {
        LearnError::param(
            "LsmConfig",
            "circuit",
            "",
            e.to_string(),
            "check the configuration",
        )
    })?;
    // Input: a random subset of each population, half with +gain and half with −gain.
    let mut rng = crate::rng::stream(cfg.seed, 0x15_u64);
    for (pi, pop) in r.populations.clone().iter().enumerate() {
        let (mut plus, mut minus) = (vec![], vec![]);
        for i in 0..pop.size as u32 {
            if crate::rng::uniform(&mut rng) < cfg.input_density {
                if crate::rng::uniform(&mut rng) < 0.5 {
                    plus.push(i)
                } else {
                    minus.push(i)
                }
            }
        }
        for (neurons, gain) in [(plus, cfg.input_gain), (minus, -cfg.input_gain)] {
            if neurons.is_empty() {
                continue;
            }
            r.inputs.push(ResolvedInput {
                name: format!("lsm input → {}", pop.name),
                target: pi,
                neurons: Some(neurons),
                kind: InputKind::TimeSeries {
                    values: inputs.iter().map(|u| u * gain).collect::<Vec<_>>().into(),
                    columns: 1,
                    step: cfg.sample_ms,
                },
            });
        }
    }
    let res = Network::build(&r)
        .and_then(|mut n| n.run(None))
        .map_err(|e| LearnError::Numerical {
            object: "lsm",
            what: e.to_string(),
            hint: "lower input_gain or bias".into(),
        })?;
    // Filtered spike trains sampled at the end of each sample period.
    let n = cfg.size;
    let offset = [0, r.populations[0].size];
    let mut spikes: Vec<(f64, usize)> = vec![];
    for (k, s) in res.spikes.iter().enumerate() {
        spikes.extend(
            s.times_ms
                .iter()
                .zip(&s.senders)
                .map(|(&t, &i)| (t, offset[k] + i as usize)),
        );
    }
    spikes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut trace, mut last) = (vec![0.0f64; n], vec![0.0f64; n]);
    let mut data = Vec::with_capacity(inputs.len() * n);
    let mut next = 0;
    let tau = cfg.tau_filter_ms;
    for k in 0..inputs.len() {
        let t_end = (k + 1) as f64 * cfg.sample_ms;
        while next < spikes.len() && spikes[next].0 <= t_end + 1e-9 {
            let (t, i) = spikes[next];
            trace[i] = trace[i] * (-(t - last[i]) / tau).exp() + 1.0;
            last[i] = t;
            next += 1;
        }
        data.extend((0..n).map(|i| trace[i] * (-(t_end - last[i]) / tau).exp()));
    }
    States::from_vec(inputs.len(), n, data)
}
