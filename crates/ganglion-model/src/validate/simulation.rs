//! `[simulation]`: time step, duration, threads and the memory limit.

use super::{Ctx, NO_HINT, Obj};
use crate::spec::Simulation;
use crate::units::{Dim, show};

/// The resolved `[simulation]` table (dt is kept in [`Ctx`]).
pub(super) struct Settings {
    /// Number of steps.
    pub steps: u64,
    /// Worker threads, ≥ 1 (0 in the spec means all cores).
    pub threads: usize,
    /// `memory_limit` in bytes, when given.
    pub memory_limit: Option<f64>,
}

/// Read `[simulation]`; sets `ctx.dt` when dt is valid.
pub(super) fn resolve(ctx: &mut Ctx, s: &Simulation) -> Settings {
    let o = Obj::new("simulation", 0, "[simulation]".into());
    if let Some(dt) = ctx.quantity(&s.dt, Dim::Time, &o, "dt", "dt") {
        if dt <= 0.0 {
            let msg = format!("dt {} must be positive", show(dt, Dim::Time));
            ctx.report(&o, "dt", msg, "dt = \"0.1 ms\" is a common choice");
        } else {
            ctx.dt = dt;
        }
    }
    let mut steps = 0u64;
    if let Some(d) = ctx.quantity(&s.duration, Dim::Time, &o, "duration", "duration") {
        if d <= 0.0 {
            let msg = format!("duration {} must be positive", show(d, Dim::Time));
            ctx.report(&o, "duration", msg, NO_HINT);
        } else {
            steps = (d / ctx.dt).round() as u64;
        }
    }
    let memory_limit = s
        .memory_limit
        .as_ref()
        .and_then(|m| ctx.quantity(m, Dim::Memory, &o, "memory_limit", "memory_limit"));
    let threads = match s.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    Settings {
        steps,
        threads: threads.max(1),
        memory_limit,
    }
}
