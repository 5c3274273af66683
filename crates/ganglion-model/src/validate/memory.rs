//! The memory check: the estimate of [`crate::memory`] against `[simulation] memory_limit`
//! or the machine's available memory, before anything is allocated.

use super::Ctx;
use super::simulation::Settings;
use crate::error::Problem;
use crate::memory::{self, available_memory};
use crate::resolved::{
    MemoryEstimate, ResolvedInput, ResolvedMonitor, ResolvedPopulation, ResolvedProjection,
};

/// Estimate the memory of the circuit and report when it exceeds the limit.
pub(super) fn check(
    ctx: &mut Ctx,
    sim: &Settings,
    pops: &[ResolvedPopulation],
    projections: &[ResolvedProjection],
    inputs: &[ResolvedInput],
    monitors: &[ResolvedMonitor],
) -> MemoryEstimate {
    let b = memory::estimate(
        pops,
        projections,
        inputs,
        monitors,
        (ctx.dt, sim.steps),
        sim.threads,
    );
    let peak = b.total();
    let limit = sim.memory_limit.unwrap_or_else(available_memory);
    if peak > limit {
        let gib = |b: f64| b / (1024.0 * 1024.0 * 1024.0);
        let allowed = match sim.memory_limit {
            Some(_) => "is allowed by [simulation] memory_limit",
            None => "is available",
        };
        let recordings = if b.recording_bytes > 0.01 * peak {
            format!(
                " + {:.1} GiB of recordings (states and weights exactly, spikes at the sources' rates or {} Hz per recorded neuron)",
                gib(b.recording_bytes),
                memory::SPIKE_RATE_BOUND_HZ
            )
        } else {
            String::new()
        };
        let message = format!(
            "needs about {:.1} GiB to build and run ({:.3e} synapses × {:.1} B + {:.1} GiB of neuron state, buffers and plasticity{recordings}), but only {:.1} GiB {allowed}",
            gib(peak),
            b.synapses,
            b.bytes_per_synapse(),
            gib(peak - b.synapse_bytes - b.recording_bytes.max(b.build_bytes)),
            gib(limit),
        );
        ctx.problems.push(Problem {
            file: ctx.src.file.clone(),
            line: None,
            object: "circuit".into(),
            message,
            hint: Some(if b.recording_bytes > b.synapse_bytes {
                "record fewer neurons (`neurons`, `count`), sample states less often (`every`), shorten the run, or record population rates instead".into()
            } else {
                "reduce population sizes or connection density, or raise memory_limit on a larger machine".into()
            }),
        });
    }
    MemoryEstimate {
        synapses: b.synapses,
        peak_bytes: peak,
        limit_bytes: limit,
        bytes_per_synapse: b.bytes_per_synapse(),
    }
}
