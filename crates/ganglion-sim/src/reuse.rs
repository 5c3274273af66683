//! Synapses kept between builds of circuits that differ only in values that do not change
//! them: the in-place part of a parameter sweep.
//!
//! Generating synapses is most of building a network. A sweep over input rates, neuron
//! parameters, initial states, plasticity settings or constant weights builds the same
//! synapse matrices at every point: [`SynapseCache`] keeps each projection's matrices from the
//! last build, keyed by everything that generates them (connection rule and its numbers,
//! delays, autapses and multapses, population sizes, the projection's random stream, dt and
//! the partitioning), and hands out copies. A constant weight is not part of the key: a point
//! that only changes it reuses the matrices with every weight set to the new value, so weight
//! sweeps stay in place too. Any other change (another seed, a weight distribution, a
//! connection probability) rebuilds that projection alone.

use crate::connect::Csr;
use ganglion_model::{Distribution, ResolvedProjection, Rule};

/// What generates one projection's synapses (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SynapseKey {
    rule: Rule,
    /// The weight distribution when it is not a constant (a constant is set after reuse).
    weight: Option<Distribution>,
    delay: Distribution,
    autapses: bool,
    multapses: bool,
    sizes: (usize, usize),
    same_pop: bool,
    stream: u64,
    dt_bits: u64,
    parts: usize,
}

impl SynapseKey {
    /// The key of projection `pr` from `ns` to `nt` neurons with random stream `stream`.
    pub(crate) fn new(
        pr: &ResolvedProjection,
        (ns, nt): (usize, usize),
        stream: u64,
        dt: f64,
        parts: usize,
    ) -> SynapseKey {
        SynapseKey {
            rule: pr.rule.clone(),
            weight: const_weight(pr).is_none().then(|| pr.weight.clone()),
            delay: pr.delay.clone(),
            autapses: pr.autapses,
            multapses: pr.multapses,
            sizes: (ns, nt),
            same_pop: pr.source == pr.target,
            stream,
            dt_bits: dt.to_bits(),
            parts,
        }
    }
}

/// The weight every synapse of `pr` gets, when it is one constant (not drawn, not read from
/// an edge list's weight column).
pub(crate) fn const_weight(pr: &ResolvedProjection) -> Option<f32> {
    match &pr.rule {
        Rule::EdgeList(e) if e.weight.is_some() => None,
        _ => pr.weight.as_const().map(|w| w as f32),
    }
}

/// Synapse matrices of the last build, for the next one (see the module docs).
#[derive(Debug, Default)]
pub struct SynapseCache {
    entries: Vec<(SynapseKey, Vec<Csr>)>,
    reused: usize,
    generated: usize,
}

impl SynapseCache {
    /// An empty cache.
    pub fn new() -> SynapseCache {
        SynapseCache::default()
    }

    /// Projections whose synapses were reused, over every build so far.
    pub fn reused(&self) -> usize {
        self.reused
    }

    /// Projections whose synapses were generated, over every build so far.
    pub fn generated(&self) -> usize {
        self.generated
    }

    /// Copies of the matrices stored under `key`, with every weight set to `weight` when
    /// given.
    pub(crate) fn take(&mut self, key: &SynapseKey, weight: Option<f32>) -> Option<Vec<Csr>> {
        let (_, parts) = self.entries.iter().find(|(k, _)| k == key)?;
        let mut parts = parts.clone();
        if let Some(w) = weight {
            parts.iter_mut().for_each(|c| c.w.fill(w));
        }
        self.reused += 1;
        Some(parts)
    }

    /// Replace the cache by this build's matrices: `built` holds each projection's key and,
    /// for those generated in this build, a copy of its matrices (`None`: reused, the stored
    /// copy is kept rather than copied again).
    pub(crate) fn keep(&mut self, built: Vec<(SynapseKey, Option<Vec<Csr>>)>) {
        let mut old = std::mem::take(&mut self.entries);
        for (key, parts) in built {
            let parts = match parts {
                Some(p) => {
                    self.generated += 1;
                    p
                }
                // Keys are distinct (each holds its projection's random stream).
                None => {
                    let i = old
                        .iter()
                        .position(|(k, _)| *k == key)
                        .expect("a reused projection's matrices are in the cache");
                    old.swap_remove(i).1
                }
            };
            self.entries.push((key, parts));
        }
    }
}
