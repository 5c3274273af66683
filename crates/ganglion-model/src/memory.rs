//! The memory model of a built network: one truth for validation's estimate (before
//! anything is allocated) and the engine's own accounting (`ganglion_sim`'s `Csr::bytes`).
//!
//! Synapses are stored per projection and per partition (one per thread) of the target
//! population as a CSR matrix by source: a local target index (`u16` in partitions of at most
//! 65 536 neurons, `u32` in larger ones) and an `f32` weight per synapse, a `u16` delay in steps per synapse only when delays vary (one shared delay
//! otherwise), and `u64` row pointers, one per source neuron plus one, in every partition.
//! Plastic projections add an incoming index (source and row position per synapse, each `u16`
//! when the data allow, `u32` otherwise; the estimate counts the wide form) and, for
//! three-factor rules, an `f32` eligibility trace per synapse. Each population has a ring
//! buffer of two channels × (longest incoming delay + 1 steps) `f32` cells per neuron.

use crate::resolved::{
    InputKind, MonitorKind, PlasticRule, ResolvedInput, ResolvedMonitor, ResolvedPopulation,
    ResolvedProjection, Rule,
};
use std::mem::size_of;

/// Partitions of at most this many neurons store their synapses' targets as `u16`.
pub const NARROW_TARGETS_MAX: usize = 1 << 16;
/// Bytes of a synapse's weight (`f32`).
pub const WEIGHT_BYTES: usize = size_of::<f32>();
/// Bytes of a synapse's delay in steps (`u16`), stored only when delays vary.
pub const DELAY_BYTES: usize = size_of::<u16>();
/// Bytes of one row pointer (`u64`); a CSR has one per source neuron plus one.
pub const ROW_PTR_BYTES: usize = size_of::<u64>();
/// The longest delay, in steps, that a synapse can store (`u16::MAX`).
pub const MAX_DELAY_STEPS: u64 = u16::MAX as u64;
/// Bytes per plastic synapse of the incoming index at its widest (`u32` source and `u32` row
/// position; the engine narrows either to `u16` when every value fits, so this bounds it).
pub const PLASTIC_INDEX_BYTES: usize = 2 * size_of::<u32>();
/// Bytes per synapse of a three-factor eligibility trace (`f32`).
pub const ELIGIBILITY_BYTES: usize = size_of::<f32>();
/// Bytes of one plasticity trace value (`f32`); two per source and two per target neuron.
pub const TRACE_BYTES: usize = size_of::<f32>();
/// Bytes of one gap junction's end in the engine (neighbour's population, partition and
/// offset, conductance); each coupled pair holds two, plus one published potential (`f32`)
/// per coupled neuron and board parity.
pub const GAP_EDGE_BYTES: usize = 3 * size_of::<u32>() + size_of::<f32>();
/// Receptor channels of a ring buffer.
pub const RING_CHANNELS: usize = 2;
/// Bytes of one ring-buffer cell (`f32`).
pub const RING_CELL_BYTES: usize = size_of::<f32>();
/// Bytes of a recorded spike while the run goes on (`u64` step and `u32` neuron), doubled for
/// vector growth and the merged copy the results hold (`f64` time and `u32` sender).
pub const RECORDED_SPIKE_BYTES: usize = 2 * (size_of::<u64>() + size_of::<u32>());
/// Bytes of a recorded state or weight sample (`f32`), doubled for vector growth and the
/// merged copy.
pub const RECORDED_VALUE_BYTES: usize = 2 * size_of::<f32>();
/// Bytes per plastic synapse while its final weights are written (`ganglion run` writes
/// `weights_<projection>.npy` for plastic projections up to 10 million synapses): the sorted
/// (source, target, weight, delay) list, its f64 table and the encoded file (measured by
/// `bench/soak.py`).
pub const FINAL_WEIGHT_BYTES: usize = 88;
/// Plastic projections with more synapses than this do not have their final weights written
/// unless asked (`--all-weights`).
pub const FINAL_WEIGHTS_LIMIT: f64 = 1e7;
/// The firing rate \[Hz\] assumed for recorded spiking neurons other than Poisson sources (whose
/// own rate is used) when estimating spike-recording memory: a bound above what cortical
/// models sustain, stated in every memory message.
pub const SPIKE_RATE_BOUND_HZ: f64 = 100.0;
/// Bytes of one parameter or state value of a neuron (estimate).
pub const NEURON_VALUE_BYTES: usize = size_of::<f32>();

/// Bytes of a synapse's local target index in a partition of `partition_size` neurons: 2
/// (`u16`) up to [`NARROW_TARGETS_MAX`] neurons, 4 (`u32`) above.
pub const fn target_bytes(partition_size: usize) -> usize {
    if partition_size <= NARROW_TARGETS_MAX {
        size_of::<u16>()
    } else {
        size_of::<u32>()
    }
}

/// Bytes per synapse of a CSR: target (`target_bytes`, see [`target_bytes`]), weight, and the
/// delay when delays vary.
pub const fn bytes_per_synapse(target_bytes: usize, delays_vary: bool) -> usize {
    target_bytes + WEIGHT_BYTES + if delays_vary { DELAY_BYTES } else { 0 }
}

/// Bytes of a CSR with `row_ptrs` row pointers (sources + 1) and `synapses` synapses whose
/// targets take `target_bytes` each.
pub const fn csr_bytes(
    row_ptrs: usize,
    synapses: usize,
    target_bytes: usize,
    delays_vary: bool,
) -> usize {
    row_ptrs * ROW_PTR_BYTES + synapses * bytes_per_synapse(target_bytes, delays_vary)
}

/// The neuron ranges of a population of `n` split into `parts` partitions, as the engine
/// splits it (`[n·p/parts, n·(p+1)/parts)` for partition `p`).
pub fn partition_ranges(n: usize, parts: usize) -> impl Iterator<Item = (usize, usize)> {
    let parts = parts.max(1);
    (0..parts).map(move |p| (n * p / parts, n * (p + 1) / parts))
}

/// A delay of `delay_ms` in whole steps of `dt` as the engine stores it (at least one).
pub fn delay_steps(delay_ms: f64, dt: f64) -> u64 {
    (delay_ms / dt).round().max(1.0) as u64
}

/// Whether a projection's synapses carry one delay each (not one shared delay).
pub fn delays_vary(p: &ResolvedProjection) -> bool {
    match &p.rule {
        Rule::EdgeList(e) if e.delay.is_some() => true,
        _ => p.delay.as_const().is_none(),
    }
}

/// The longest delay of a projection in steps, at most [`MAX_DELAY_STEPS`].
pub fn max_delay_steps(p: &ResolvedProjection, dt: f64) -> u64 {
    let hi = match &p.rule {
        Rule::EdgeList(e) if e.delay.is_some() => {
            e.delay.iter().flatten().copied().fold(dt, f64::max)
        }
        _ => p.delay.bounds().1,
    };
    if hi.is_finite() {
        delay_steps(hi, dt).min(MAX_DELAY_STEPS)
    } else {
        MAX_DELAY_STEPS
    }
}

/// Memory of a network, part by part, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Breakdown {
    /// Expected number of synapses.
    pub synapses: f64,
    /// CSR storage of every partition: targets, weights, varying delays, row pointers.
    pub synapse_bytes: f64,
    /// Plasticity: incoming indices, eligibility traces, spike traces.
    pub plastic_bytes: f64,
    /// Edge lists read from files, held until the network is built.
    pub edge_list_bytes: f64,
    /// Neuron parameters and state.
    pub neuron_bytes: f64,
    /// Ring buffers.
    pub ring_bytes: f64,
    /// Per-source counts and cursors of the CSRs being built (one per partition at once).
    pub build_bytes: f64,
    /// Recordings at the end of the run: state and weight samples exactly, spikes at the
    /// sources' rates or [`SPIKE_RATE_BOUND_HZ`], rate bins; plus the largest plastic
    /// projection's final weights while they are written.
    pub recording_bytes: f64,
}

impl Breakdown {
    /// Everything together: the peak while building.
    pub fn total(&self) -> f64 {
        self.synapse_bytes
            + self.plastic_bytes
            + self.edge_list_bytes
            + self.neuron_bytes
            + self.ring_bytes
            + self.build_bytes.max(self.recording_bytes)
    }
    /// CSR bytes per synapse (row pointers included), as the engine reports them.
    pub fn bytes_per_synapse(&self) -> f64 {
        if self.synapses > 0.0 {
            self.synapse_bytes / self.synapses
        } else {
            0.0
        }
    }
}

/// The memory a circuit needs when built with `partitions` partitions at step `dt` and run for
/// `steps` steps.
pub fn estimate(
    pops: &[ResolvedPopulation],
    projections: &[ResolvedProjection],
    inputs: &[ResolvedInput],
    monitors: &[ResolvedMonitor],
    (dt, steps): (f64, u64),
    partitions: usize,
) -> Breakdown {
    let parts = partitions.max(1) as f64;
    let mut b = Breakdown::default();
    let mut slots = vec![2u64; pops.len()];
    for p in projections {
        let (ns, nt) = (pops[p.source].size as f64, pops[p.target].size as f64);
        let syn = p.expected_synapses;
        let rows = (ns + 1.0) * parts;
        b.synapses += syn;
        // An electrical projection's pairs live only as junction ends (two per pair); its
        // matrix stays empty.
        let csr_synapses = if p.electrical || p.sic { 0.0 } else { syn };
        // Synapses spread over the target's partitions in proportion to their sizes; each
        // partition's targets are as wide as its size needs.
        let per_synapse: f64 = partition_ranges(pops[p.target].size, partitions)
            .map(|(lo, hi)| {
                (hi - lo) as f64 / nt.max(1.0)
                    * bytes_per_synapse(target_bytes(hi - lo), delays_vary(p)) as f64
            })
            .sum();
        b.synapse_bytes += rows * ROW_PTR_BYTES as f64 + csr_synapses * per_synapse;
        b.build_bytes = b.build_bytes.max(2.0 * rows * ROW_PTR_BYTES as f64);
        if let Some(pl) = &p.plasticity {
            let per_synapse = PLASTIC_INDEX_BYTES
                + match pl.rule {
                    PlasticRule::ThreeFactor { .. } => ELIGIBILITY_BYTES,
                    _ => 0,
                };
            b.plastic_bytes += syn * per_synapse as f64
                + (nt + parts) * ROW_PTR_BYTES as f64
                + 2.0 * (ns * parts + nt) * TRACE_BYTES as f64;
        }
        if p.electrical {
            b.synapse_bytes += 2.0 * syn * GAP_EDGE_BYTES as f64
                + 2.0 * (ns + nt) * size_of::<f32>() as f64
                + (ns + nt + 2.0 * parts) * size_of::<u32>() as f64;
        }
        if p.sic {
            // One edge per synapse, the layout of a junction end (see ganglion-sim's sic).
            b.synapse_bytes += syn * GAP_EDGE_BYTES as f64 + (nt + parts) * size_of::<u32>() as f64;
        }
        if let Rule::EdgeList(e) = &p.rule {
            let columns = 2 * size_of::<u32>()
                + size_of::<f64>()
                    * (usize::from(e.weight.is_some()) + usize::from(e.delay.is_some()));
            b.edge_list_bytes += (e.source.len() * columns) as f64;
        }
        slots[p.target] = slots[p.target].max(max_delay_steps(p, dt) + 1);
    }
    for inp in inputs {
        if let InputKind::Poisson { delay, .. } | InputKind::SpikeTimes { delay, .. } = &inp.kind {
            slots[inp.target] = slots[inp.target].max((delay / dt).round() as u64 + 1);
        }
    }
    for (p, &s) in pops.iter().zip(&slots) {
        let n = p.size as f64;
        b.neuron_bytes += n * ((p.params.len() + p.model.state.len()) * NEURON_VALUE_BYTES) as f64;
        b.ring_bytes += n * (RING_CHANNELS * RING_CELL_BYTES) as f64 * s as f64;
    }
    b.recording_bytes = monitors
        .iter()
        .map(|m| recording_bytes(m, pops, steps, dt))
        .sum::<f64>()
        + projections
            .iter()
            .filter(|p| p.plasticity.is_some() && p.expected_synapses <= FINAL_WEIGHTS_LIMIT)
            .map(|p| p.expected_synapses * FINAL_WEIGHT_BYTES as f64)
            .fold(0.0, f64::max);
    b
}

/// Bytes monitor `m` holds at the end of a run of `steps` steps of `dt` \[ms\].
pub fn recording_bytes(
    m: &ResolvedMonitor,
    pops: &[ResolvedPopulation],
    steps: u64,
    dt: f64,
) -> f64 {
    let pop = &pops[m.population];
    let steps = steps as f64;
    match &m.kind {
        MonitorKind::Spikes { neurons } => {
            if !pop.model.spiking {
                return 0.0;
            }
            let recorded = neurons.as_ref().map_or(pop.size, Vec::len) as f64;
            // A model whose firing rate is a parameter (Poisson sources): its highest value.
            let rate_hz = pop
                .model
                .param_index("rate")
                .filter(|&k| pop.model.params[k].dim == crate::units::Dim::Frequency)
                .map(|k| pop.params[k].bounds().1)
                .filter(|r| r.is_finite())
                .unwrap_or(SPIKE_RATE_BOUND_HZ);
            recorded * rate_hz * steps * dt * 1e-3 * RECORDED_SPIKE_BYTES as f64
        }
        MonitorKind::State {
            variables,
            neurons,
            every,
        } => {
            let samples = (steps / *every as f64).floor();
            samples * (variables.len() * neurons.len() * RECORDED_VALUE_BYTES) as f64
        }
        MonitorKind::Rate { bin } => {
            (steps / *bin as f64).ceil() * (2 * size_of::<u32>() + size_of::<f64>()) as f64
        }
        MonitorKind::Weights { count, every, .. } => {
            let samples = (steps / *every as f64).floor();
            samples * (*count * RECORDED_VALUE_BYTES) as f64
        }
    }
}

/// Memory the OS reports as available (MemAvailable), in bytes; 16 GiB if unknown.
pub fn available_memory() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kib| kib * 1024.0)
        .unwrap_or(16.0 * 1024.0 * 1024.0 * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of_val;

    /// The engine's CSR layout (`ganglion_sim::connect::Csr`): the model counts exactly the
    /// bytes its vectors hold.
    #[test]
    fn csr_bytes_match_the_engine_layout() {
        let (sources, synapses) = (7usize, 40usize);
        let row_ptr = vec![0u64; sources + 1];
        let tgt = vec![0u32; synapses];
        let w = vec![0f32; synapses];
        let delays = vec![0u16; synapses];
        let fixed = size_of_val(&row_ptr[..]) + size_of_val(&tgt[..]) + size_of_val(&w[..]);
        assert_eq!(csr_bytes(sources + 1, synapses, 4, false), fixed);
        assert_eq!(
            csr_bytes(sources + 1, synapses, 4, true),
            fixed + size_of_val(&delays[..])
        );
        assert_eq!(bytes_per_synapse(2, false), 6);
        assert_eq!(bytes_per_synapse(4, true), 10);
        assert_eq!((target_bytes(1 << 16), target_bytes((1 << 16) + 1)), (2, 4));
        let parts: Vec<_> = partition_ranges(10, 3).collect();
        assert_eq!(parts, [(0, 3), (3, 6), (6, 10)]);
        assert_eq!(MAX_DELAY_STEPS, 65535);
    }

    #[test]
    fn delays_round_to_whole_steps_of_at_least_one() {
        assert_eq!(delay_steps(1.0, 0.1), 10);
        assert_eq!(delay_steps(0.01, 0.1), 1);
        assert_eq!(delay_steps(6553.5, 0.1), 65535);
    }
}
