//! `[[monitor]]`: spikes, state variables, population rates and plastic weights, each
//! resolved by its own function from the table [`MONITOR_KINDS`].

use super::{Ctx, Obj, population};
use crate::resolved::{MonitorKind, ResolvedMonitor, ResolvedPopulation, ResolvedProjection};
use crate::spec::{Monitor, Scalar};
use crate::units::Dim;

/// What a monitor kind sees of its monitor.
struct Env<'a> {
    m: &'a Monitor,
    o: &'a Obj,
    pops: &'a [ResolvedPopulation],
    projections: &'a [ResolvedProjection],
}

type Resolve = fn(&mut Ctx, &Env) -> Option<ResolvedMonitor>;

/// The monitor kinds: the name in `kind = ...` and how it resolves.
const MONITOR_KINDS: &[(&str, Resolve)] = &[
    ("spikes", spikes),
    ("state", state),
    ("rate", rate),
    ("weights", weights),
];

/// Resolve every monitor.
pub(super) fn resolve_all(
    ctx: &mut Ctx,
    specs: &[Monitor],
    pops: &[ResolvedPopulation],
    projections: &[ResolvedProjection],
) -> Vec<ResolvedMonitor> {
    let mut out = vec![];
    for (i, m) in specs.iter().enumerate() {
        let recorded = m.projection.as_deref().unwrap_or(&m.population);
        let name = format!("monitor #{} ({} of \"{recorded}\")", i + 1, m.kind);
        let o = Obj::new("monitor", i, name);
        let env = Env {
            m,
            o: &o,
            pops,
            projections,
        };
        let resolved = ctx
            .lookup(MONITOR_KINDS, &m.kind, &o, "kind", "monitor kind", "kinds")
            .and_then(|resolve| resolve(ctx, &env));
        out.extend(resolved);
    }
    out
}

/// The monitored population, and the recorded neurons (`neurons`, the first `count`, or
/// None for all), checked against its size.
fn population<'a>(
    ctx: &mut Ctx,
    env: &Env<'a>,
) -> Option<(usize, &'a ResolvedPopulation, Option<Vec<u32>>)> {
    let m = env.m;
    let p = population::find(
        ctx,
        env.pops,
        env.o,
        "population",
        "monitored",
        &m.population,
    )?;
    let pp = &env.pops[p];
    let neurons: Option<Vec<u32>> = match (&m.neurons, m.count) {
        (Some(n), _) => Some(n.clone()),
        (None, Some(k)) => Some((0..k.min(pp.size as u32)).collect()),
        (None, None) => None,
    };
    if let Some(ns) = &neurons
        && let Some(&bad) = ns.iter().find(|&&n| n as usize >= pp.size)
    {
        let msg = format!("neuron {bad} does not exist (size {})", pp.size);
        ctx.report(
            env.o,
            "neurons",
            msg,
            format!("indices run from 0 to {}", pp.size - 1),
        );
        return None;
    }
    Some((p, pp, neurons))
}

/// An interval in whole steps: `default` ms when absent, at least dt.
fn interval(ctx: &mut Ctx, env: &Env, s: Option<&Scalar>, key: &str, default: f64) -> Option<u64> {
    let v = ctx.quantity_or(s, default, Dim::Time, env.o, key, key)?;
    ctx.steps(env.o, key, key, v)
}

fn spikes(ctx: &mut Ctx, env: &Env) -> Option<ResolvedMonitor> {
    let (p, pp, neurons) = population(ctx, env)?;
    if !pp.model.spiking {
        let msg = format!("\"{}\" is a rate population and has no spikes", pp.name);
        let hint = "record its state variable \"r\" with kind = \"state\"";
        ctx.report(env.o, "kind", msg, hint);
        return None;
    }
    Some(ResolvedMonitor {
        population: p,
        kind: MonitorKind::Spikes { neurons },
    })
}

fn rate(ctx: &mut Ctx, env: &Env) -> Option<ResolvedMonitor> {
    let (p, pp, _) = population(ctx, env)?;
    if !pp.model.spiking {
        let msg = format!("\"{}\" is a rate population", pp.name);
        ctx.report(
            env.o,
            "kind",
            msg,
            "record its state variable \"r\" with kind = \"state\"",
        );
        return None;
    }
    let bin = interval(ctx, env, env.m.bin.as_ref(), "bin", 1.0f64.max(ctx.dt))?;
    Some(ResolvedMonitor {
        population: p,
        kind: MonitorKind::Rate { bin },
    })
}

fn state(ctx: &mut Ctx, env: &Env) -> Option<ResolvedMonitor> {
    let (p, pp, neurons) = population(ctx, env)?;
    let o = env.o;
    let vars = env.m.variables.clone().unwrap_or_default();
    if vars.is_empty() {
        let hint = format!("variables = [\"{}\"]", pp.model.state[0].name);
        ctx.report(o, "kind", "a state monitor needs `variables`", hint);
        return None;
    }
    let state_names = || pp.model.state.iter().map(|s| s.name);
    let mut variables = vec![];
    for v in &vars {
        match state_names().position(|s| s == v) {
            Some(k) => variables.push(k),
            None => {
                let msg = format!("model {} has no state variable \"{v}\"", pp.model.name);
                ctx.unknown(o, "variables", msg, v, state_names(), "its state is");
            }
        }
    }
    let Some(neurons) = neurons else {
        ctx.report(
            o,
            "kind",
            "a state monitor needs `neurons` or `count`",
            "neurons = [0, 1, 2]",
        );
        return None;
    };
    let every = interval(ctx, env, env.m.every.as_ref(), "every", ctx.dt)?;
    if variables.len() != vars.len() {
        return None;
    }
    Some(ResolvedMonitor {
        population: p,
        kind: MonitorKind::State {
            variables,
            neurons,
            every,
        },
    })
}

fn weights(ctx: &mut Ctx, env: &Env) -> Option<ResolvedMonitor> {
    let o = env.o;
    let Some(name) = &env.m.projection else {
        let hint = "projection = \"exc→inh\" (its name, or source→target)";
        ctx.report(o, "kind", "a weights monitor needs `projection`", hint);
        return None;
    };
    let Some(j) = env.projections.iter().position(|p| &p.name == name) else {
        let msg = format!("projection \"{name}\" is not defined");
        let names = env.projections.iter().map(|p| p.name.as_str());
        ctx.unknown(o, "projection", msg, name, names, "projections");
        return None;
    };
    if env.projections[j].plasticity.is_none() {
        let msg = format!("projection \"{name}\" has no plasticity, so its weights never change");
        let hint = "add plasticity = { rule = \"stdp\", w_max = ... } or drop the monitor";
        ctx.report(o, "projection", msg, hint);
        return None;
    }
    let every = interval(ctx, env, env.m.every.as_ref(), "every", ctx.dt)?;
    Some(ResolvedMonitor {
        population: env.projections[j].target,
        kind: MonitorKind::Weights {
            projection: j,
            count: env.m.count.unwrap_or(100) as usize,
            every,
        },
    })
}
