//! `poisson_source`: independent Poisson spike trains at `rate` (an input population that
//! ignores its input). Each neuron fires in a step with probability rate·dt, drawn from its
//! own counter-based random stream, so partitioning across threads does not change the spikes.

use crate::kernel::{NeuronGroup, PopValues, StepIo};
use crate::{ModelInfo, SynapseKind};
use ganglion_base::rng;

crate::params! {
    /// `poisson_source` parameters.
    pub struct Params {
        rate: "rate", Frequency, 10.0, NonNegative, "firing rate";
    }
}

/// The catalogue entry.
pub const MODEL: ModelInfo = ModelInfo::spiking(
    "poisson_source",
    "independent Poisson spike trains at `rate` (an input population; ignores input)",
    SynapseKind::Delta,
    Params::INFO,
    &[],
    |v, lo, n, dt, key| Box::new(PoissonSource::new(v, lo, n, dt, key)),
);

/// One partition of `poisson_source` neurons.
#[derive(Debug, Clone)]
pub struct PoissonSource {
    /// Spike probability per step.
    p: Vec<f64>,
    /// Stream key per neuron.
    keys: Vec<u64>,
}

impl PoissonSource {
    /// Neurons `lo..lo+n` with step `dt` \[ms\] and the population's stream `key`.
    pub fn new(vals: &PopValues, lo: usize, n: usize, dt: f64, key: u64) -> PoissonSource {
        let rate = &vals.params[crate::index_of(Params::INFO, "rate")];
        PoissonSource {
            p: (lo..lo + n).map(|i| rate.at(i) * dt * 1e-3).collect(),
            keys: (lo..lo + n).map(|i| rng::derive(key, i as u64)).collect(),
        }
    }
}

impl NeuronGroup for PoissonSource {
    fn step(&mut self, io: StepIo) -> Option<usize> {
        let salt = io.step.wrapping_mul(0x9E6C_63D0_676A_9A99);
        for (i, (&p, &key)) in self.p.iter().zip(&self.keys).enumerate() {
            io.spiked[i] = (rng::unit_f64(rng::mix64(key ^ salt)) < p) as u8;
            io.ch0[i] = 0.0;
            io.ch1[i] = 0.0;
        }
        None
    }

    fn get(&self, _var: usize, _i: usize) -> f32 {
        0.0
    }

    // Stateless: every spike is a function of (key, neuron, step).
    fn save(&self, _w: &mut ganglion_base::state::StateWriter) {}

    fn load(
        &mut self,
        _r: &mut ganglion_base::state::StateReader,
    ) -> Result<(), ganglion_base::state::StateError> {
        Ok(())
    }
}
