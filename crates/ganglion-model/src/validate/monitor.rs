//! `[[monitor]]`: spikes, state variables, population rates and plastic weights, each
//! resolved by its own function from the table [`MONITOR_KINDS`].

use super::{Ctx, Obj, fmt_ms, input, population};
use crate::resolved::{MonitorKind, ResolvedMonitor, ResolvedPopulation, ResolvedProjection, Rule};
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

/// The fields each monitor kind reads, besides `kind`: any other field set is a problem
/// (it would be ignored).
const KIND_FIELDS: &[(&str, &[&str])] = &[
    ("spikes", &["population", "neurons", "count"]),
    (
        "state",
        &["population", "neurons", "count", "variables", "every"],
    ),
    ("rate", &["population", "bin"]),
    ("weights", &["projection", "count", "every"]),
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
            .filter(|_| {
                // `population` is serialized even when empty (a weights monitor).
                let implicit =
                    |f: &str| f == "kind" || (f == "population" && m.population.is_empty());
                super::fields_used(ctx, &o, m, (&m.kind, "monitor"), implicit, KIND_FIELDS)
            })
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
        (Some(_), Some(_)) => {
            let msg = "a monitor takes `neurons` or `count`, not both";
            let hint = "neurons = [0, 5, 9] lists neurons, count = 10 records the first 10";
            ctx.report(env.o, "count", msg, hint);
            return None;
        }
        (Some(n), None) => {
            if !input::neuron_list(ctx, env.o, n, (&pp.name, pp.size), "monitor") {
                return None;
            }
            Some(n.clone())
        }
        (None, Some(k)) => {
            count_within(
                ctx,
                env.o,
                k as usize,
                pp.size,
                &format!("population \"{}\"", pp.name),
            )?;
            Some((0..k).collect())
        }
        (None, None) => None,
    };
    Some((p, pp, neurons))
}

/// A `count` of at least 1 and at most `size`, the number of `what`'s elements; a report
/// otherwise (a larger count is not quietly reduced).
fn count_within(ctx: &mut Ctx, o: &Obj, count: usize, size: usize, what: &str) -> Option<()> {
    if count == 0 {
        let hint = "count = 10 records the first 10; omit it to record all";
        ctx.report(o, "count", "count = 0 records nothing", hint);
        return None;
    }
    if count > size {
        let msg = format!("count = {count} is larger than {what}, which has {size}");
        let hint = format!("count = {size} or less, or omit it to record all");
        ctx.report(o, "count", msg, hint);
        return None;
    }
    Some(())
}

/// An interval in whole steps: `default` ms when absent, at least dt; a notice when it is
/// longer than the run.
fn interval(ctx: &mut Ctx, env: &Env, s: Option<&Scalar>, key: &str, default: f64) -> Option<u64> {
    let v = ctx.quantity_or(s, default, Dim::Time, env.o, key, key)?;
    let k = ctx.steps(env.o, key, key, v)?;
    if let Some(run) = ctx.run_steps
        && k > run
        && s.is_some()
    {
        let what = match key {
            "bin" => "the only bin is the whole run",
            _ => "nothing is recorded",
        };
        let msg = format!(
            "{key} {} is longer than the run ({}): {what}",
            fmt_ms(v),
            fmt_ms(run as f64 * ctx.dt)
        );
        ctx.note(env.o, key, msg);
    }
    Some(k)
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
    // Default: the whole number of steps closest to 1 ms.
    let default = (1.0 / ctx.dt).round().max(1.0) * ctx.dt;
    let bin = interval(ctx, env, env.m.bin.as_ref(), "bin", default)?;
    Some(ResolvedMonitor {
        population: p,
        kind: MonitorKind::Rate { bin },
    })
}

fn state(ctx: &mut Ctx, env: &Env) -> Option<ResolvedMonitor> {
    let (p, pp, neurons) = population(ctx, env)?;
    let o = env.o;
    let vars = env.m.variables.clone().unwrap_or_default();
    let Some(first) = pp.model.state.first() else {
        let msg = format!("model {} has no state variables to record", pp.model.name);
        ctx.report(
            o,
            "kind",
            msg,
            "record its spikes instead: kind = \"spikes\"",
        );
        return None;
    };
    if vars.is_empty() {
        let hint = format!("variables = [\"{}\"]", first.name);
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
        if ctx.is_broken("projection", name) {
            return None;
        }
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
    let pr = &env.projections[j];
    let count = env.m.count.unwrap_or(100) as usize;
    if env.m.count.is_some() {
        // The synapse count is known before building only for these rules.
        let (ns, nt) = (env.pops[pr.source].size, env.pops[pr.target].size);
        let exact = match &pr.rule {
            Rule::AllToAll | Rule::OneToOne | Rule::EdgeList(_) => {
                Some(pr.expected_synapses as usize)
            }
            Rule::FixedIndegree(k) => Some(*k as usize * nt),
            Rule::FixedOutdegree(k) => Some(*k as usize * ns),
            Rule::FixedTotalNumber(n) => Some(*n as usize),
            Rule::FixedProbability(_) => None,
        };
        let what = format!("projection \"{name}\"'s synapses");
        count_within(ctx, o, count, exact.unwrap_or(usize::MAX), &what)?;
    }
    let every = interval(ctx, env, env.m.every.as_ref(), "every", ctx.dt)?;
    Some(ResolvedMonitor {
        population: pr.target,
        kind: MonitorKind::Weights {
            projection: j,
            count,
            every,
        },
    })
}
