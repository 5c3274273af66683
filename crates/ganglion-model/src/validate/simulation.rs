//! `[simulation]`: time step, duration, threads and the memory limit, with the command
//! line's `--duration` and `--threads` in their place when given (problems then name the
//! flag). A run is a whole number of steps of dt, at most [`MAX_STEPS`]; threads are at most
//! one per neuron and [`THREADS_PER_CORE`] per core.

use super::{Ctx, Obj, fmt_ms};
use crate::spec::{Scalar, Simulation};
use crate::units::{Dim, show};

/// The most steps a run may take (a day of simulated time at dt = 0.1 ms is 8.64e8 steps):
/// beyond it a typo (`"1e9 s"`) would keep a machine busy for ever.
pub const MAX_STEPS: u64 = 1_000_000_000;

/// Threads beyond this many per core only add overhead; a larger request is capped.
pub const THREADS_PER_CORE: usize = 4;

/// The resolved `[simulation]` table (dt is kept in [`Ctx`]).
pub(super) struct Settings {
    /// Number of steps.
    pub steps: u64,
    /// Worker threads, ≥ 1 (0 in the spec means all cores); set by [`threads`].
    pub threads: usize,
    /// `memory_limit` in bytes, when given.
    pub memory_limit: Option<f64>,
}

/// Read `[simulation]`; sets `ctx.dt` when dt is valid and `ctx.run_steps` when the
/// duration is.
pub(super) fn resolve(ctx: &mut Ctx, s: &Simulation) -> Settings {
    let o = Obj::new("simulation", 0, "[simulation]".into());
    match ctx.quantity(&s.dt, Dim::Time, &o, "dt", "dt") {
        Some(dt) if dt <= 0.0 => {
            let msg = format!("dt {} must be positive", show(dt, Dim::Time));
            ctx.report(&o, "dt", msg, "dt = \"0.1 ms\" is a common choice");
            ctx.dt_known = false;
        }
        Some(dt) => ctx.dt = dt,
        None => ctx.dt_known = false,
    }
    let steps = duration(ctx, s, &o).unwrap_or(0);
    let memory_limit = s
        .memory_limit
        .as_ref()
        .and_then(|m| ctx.quantity(m, Dim::Memory, &o, "memory_limit", "memory_limit"));
    Settings {
        steps,
        threads: 1,
        memory_limit,
    }
}

/// The run's length in whole steps of dt: `--duration` when given, else `duration`.
fn duration(ctx: &mut Ctx, s: &Simulation, spec: &Obj) -> Option<u64> {
    let flag = ctx.overrides.duration.clone();
    let (o, value) = match &flag {
        Some(d) => (
            Obj::flag("--duration", format!("\"{d}\"")),
            Scalar::Text(d.clone()),
        ),
        None => (spec.clone(), s.duration.clone()),
    };
    // How to write a duration where it was given.
    let from_flag = flag.is_some();
    let fix = |d: &str| match from_flag {
        true => format!("--duration \"{d}\""),
        false => format!("duration = \"{d}\""),
    };
    let d = ctx.quantity(&value, Dim::Time, &o, "duration", "duration")?;
    if d <= 0.0 {
        let msg = format!("duration {} must be positive", show(d, Dim::Time));
        ctx.report(&o, "duration", msg, fix("1000 ms"));
        return None;
    }
    if !ctx.dt_known {
        return None;
    }
    let dt = ctx.dt;
    if ctx.below_dt(d) {
        let msg = format!(
            "duration {} is shorter than dt {}: a run is a whole number of steps of dt",
            fmt_ms(d),
            fmt_ms(dt)
        );
        let hint = format!("a duration of at least one step, {}", fix(&fmt_ms(dt)));
        ctx.report(&o, "duration", msg, hint);
        return None;
    }
    let exact = d / dt;
    if !exact.is_finite() || exact > MAX_STEPS as f64 + 0.5 {
        let msg = format!(
            "duration {} is {exact:.3e} steps of dt {}, more than the {MAX_STEPS} steps a run may take",
            fmt_ms(d),
            fmt_ms(dt)
        );
        let hint = format!(
            "at most {} at this dt: {}",
            fmt_ms(MAX_STEPS as f64 * dt),
            fix(&fmt_ms(MAX_STEPS as f64 * dt))
        );
        ctx.report(&o, "duration", msg, hint);
        return None;
    }
    let steps = exact.round();
    if !ctx.on_grid(d) {
        let msg = format!(
            "duration {} is not a whole number of steps: it is rounded to {steps} steps of {} = {}",
            fmt_ms(d),
            fmt_ms(dt),
            fmt_ms(steps * dt)
        );
        ctx.note(&o, "duration", msg);
    }
    ctx.run_steps = Some(steps as u64);
    Some(steps as u64)
}

/// Worker threads: `--threads` when given, else `threads`; 0 means all cores. More than one
/// per neuron or [`THREADS_PER_CORE`] per core is capped with a notice (results do not
/// depend on the thread count).
pub(super) fn threads(ctx: &mut Ctx, s: &Simulation, neurons: usize) -> usize {
    let (o, requested) = match ctx.overrides.threads {
        Some(t) => (Obj::flag("--threads", t), t),
        None => (Obj::new("simulation", 0, "[simulation]".into()), s.threads),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = if requested == 0 { cores } else { requested };
    let per_core = THREADS_PER_CORE.saturating_mul(cores);
    let neurons = neurons.max(1);
    let cap = per_core.min(neurons);
    if wanted <= cap {
        return wanted.max(1);
    }
    let why = if neurons <= per_core {
        format!(
            "one per neuron: the circuit has {neurons} neuron{}",
            if neurons == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "{THREADS_PER_CORE} per core: this machine has {cores} core{}",
            if cores == 1 { "" } else { "s" }
        )
    };
    let what = if o.is_flag() {
        "the thread count".to_string()
    } else {
        format!("threads = {requested}")
    };
    let msg = format!(
        "{what} is capped to {cap} thread{} ({why}); results are the same for any thread count",
        if cap == 1 { "" } else { "s" }
    );
    ctx.note(&o, "threads", msg);
    cap
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_at_the_common_dt_fits() {
        assert!(MAX_STEPS as f64 >= 86_400_000.0 / 0.1);
    }
}
