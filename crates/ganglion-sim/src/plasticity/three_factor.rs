//! Three-factor learning (Frémaux & Gerstner 2016): pair-STDP coincidences accumulate in a
//! per-synapse eligibility trace e (time constant τ_e), and the weight changes by
//! rate · w_max · M(t) · G(t) · e · dt, where the modulator M and the optional gate G are
//! sampled series or a population's low-pass filtered rate minus an offset.

use super::{Bounds, TraceRule};
use ganglion_base::state::{StateError, StateReader, StateWriter};
use ganglion_model::{ModulatorSource, PlasticRule};

/// `rule = "three_factor"`.
#[derive(Debug)]
pub struct ThreeFactor {
    tau_plus: f64,
    tau_minus: f64,
    a_plus: f32,
    a_minus: f32,
    tau_e: f64,
    /// Learning rate [1/s].
    rate: f64,
    modulator: ModulatorSource,
    gate: Option<ModulatorSource>,
    /// Filtered rates of the modulator (0) and gate (1) populations [Hz].
    filtered: [f64; 2],
}

impl ThreeFactor {
    /// From the validated rule.
    pub fn new(rule: &PlasticRule) -> ThreeFactor {
        let PlasticRule::ThreeFactor {
            tau_plus,
            tau_minus,
            a_plus,
            a_minus,
            tau_e,
            rate,
            modulator,
            gate,
        } = rule.clone()
        else {
            unreachable!("plasticity::new dispatches ThreeFactor here")
        };
        ThreeFactor {
            tau_plus,
            tau_minus,
            a_plus: a_plus as f32,
            a_minus: a_minus as f32,
            tau_e,
            rate,
            modulator,
            gate,
            filtered: [0.0; 2],
        }
    }

    /// The value of modulator source `m` at step `t`; `filtered` is its filter state (the
    /// population's spikes this step: `spikes` of `size` neurons).
    fn value(
        m: &ModulatorSource,
        filtered: &mut f64,
        t: u64,
        dt: f64,
        (spikes, size): (usize, usize),
    ) -> f64 {
        match m {
            ModulatorSource::Series { values, step } => values
                .get((t as f64 * dt / step) as usize)
                .copied()
                .unwrap_or(0.0),
            ModulatorSource::Population { tau, offset, .. } => {
                let d = (-dt / tau).exp();
                let inst = spikes as f64 / size.max(1) as f64 / (dt * 1e-3);
                *filtered = *filtered * d + (1.0 - d) * inst;
                *filtered - offset
            }
        }
    }
}

impl TraceRule for ThreeFactor {
    const ELIGIBILITY: bool = true;

    fn taus(&self) -> [Option<f64>; 4] {
        [Some(self.tau_plus), None, Some(self.tau_minus), None]
    }

    #[inline(always)]
    fn potentiate(&self, _: f32, pre_fast: f32, _: f32, _: &Bounds) -> f32 {
        self.a_plus * pre_fast
    }

    #[inline(always)]
    fn depress(&self, _: f32, post_fast: f32, _: f32, _: &Bounds) -> f32 {
        -(self.a_minus * post_fast)
    }

    fn save_rule(&self, w: &mut StateWriter) {
        w.put(&self.filtered);
    }

    fn load_rule(&mut self, r: &mut StateReader) -> Result<(), StateError> {
        r.get(&mut self.filtered)
    }

    fn modulator_populations(&self) -> [Option<usize>; 2] {
        let pop = |m: &ModulatorSource| match m {
            ModulatorSource::Population { population, .. } => Some(*population),
            ModulatorSource::Series { .. } => None,
        };
        [pop(&self.modulator), self.gate.as_ref().and_then(pop)]
    }

    fn modulate(
        &mut self,
        t: u64,
        dt: f64,
        spikes: [usize; 2],
        sizes: [usize; 2],
        w: &mut [f32],
        eligibility: &mut [f32],
        b: &Bounds,
    ) {
        let [f0, f1] = &mut self.filtered;
        let m = Self::value(&self.modulator, f0, t, dt, (spikes[0], sizes[0]));
        let g = match &self.gate {
            Some(gate) => Self::value(gate, f1, t, dt, (spikes[1], sizes[1])),
            None => 1.0,
        };
        let factor = (self.rate * b.w_max as f64 * m * g * dt * 1e-3) as f32;
        let decay = (-dt / self.tau_e).exp() as f32;
        if factor != 0.0 {
            for (k, e) in eligibility.iter_mut().enumerate() {
                let mag = w[k] * b.sign + factor * *e;
                w[k] = b.sign * mag.clamp(b.w_min, b.w_max);
                *e *= decay;
            }
        } else {
            eligibility.iter_mut().for_each(|e| *e *= decay);
        }
    }
}
