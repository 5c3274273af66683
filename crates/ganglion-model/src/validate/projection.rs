//! `[[projection]]`: connectivity, weights, delays (at least dt, at most the engine's
//! longest), receptors and Dale's law; plasticity is in [`super::plasticity`].

use super::{Ctx, Obj, files, fmt_ms, gap_junction, plasticity, population, sic};
use crate::memory::{self, MAX_DELAY_STEPS};
use crate::resolved::*;
use crate::spec::{Projection, Sign, Value};
use crate::units::{Dim, show};
use ganglion_neurons::SynapseKind;
use std::collections::HashSet;
use std::sync::Arc;

/// What a connection rule sees of its projection.
pub(super) struct Env<'a> {
    pr: &'a Projection,
    o: &'a Obj,
    /// Source and target sizes.
    ns: usize,
    nt: usize,
    /// Source and target are the same population.
    self_proj: bool,
    /// The weight dimension of the target's synapses.
    pub(super) wdim: Dim,
}

type Connect = fn(&mut Ctx, &Env) -> Option<Rule>;

/// The connection rules: the name in `connectivity = { rule = ... }` and how it resolves.
const CONNECTION_RULES: &[(&str, Connect)] = &[
    ("all_to_all", all_to_all),
    ("fixed_probability", fixed_probability),
    ("fixed_indegree", fixed_indegree),
    ("fixed_outdegree", fixed_outdegree),
    ("fixed_total_number", fixed_total_number),
    ("one_to_one", one_to_one),
    ("edge_list", edge_list),
];

/// Resolve every projection whose populations exist.
pub(super) fn resolve_all(
    ctx: &mut Ctx,
    specs: &[Projection],
    pops: &[ResolvedPopulation],
) -> Vec<ResolvedProjection> {
    let mut out = vec![];
    let mut objs = vec![];
    let mut names = HashSet::new();
    for (i, pr) in specs.iter().enumerate() {
        let name = pr.display_name();
        let o = Obj::new("projection", i, format!("projection \"{name}\""));
        if !names.insert(name.clone()) && pr.name.is_some() {
            ctx.report(
                &o,
                "name",
                "is defined twice",
                "projection names must be unique",
            );
        }
        let s = population::find(ctx, pops, &o, "source", "source", &pr.source);
        let t = population::find(ctx, pops, &o, "target", "target", &pr.target);
        let resolved = match (s, t) {
            (Some(s), Some(t)) => resolve(ctx, pr, name.clone(), &o, (s, t), pops),
            _ => None,
        };
        match resolved {
            Some(p) => {
                out.push(p);
                objs.push(o);
            }
            // Its problems are reported: a monitor of it is not "not defined".
            None => ctx.mark_broken("projection", &name),
        }
    }
    gap_junction::check_stability(ctx, &out, &objs, pops);
    out
}

/// One projection between existing populations `s` and `t`.
fn resolve(
    ctx: &mut Ctx,
    pr: &Projection,
    name: String,
    o: &Obj,
    (s, t): (usize, usize),
    pops: &[ResolvedPopulation],
) -> Option<ResolvedProjection> {
    let (sp, tp) = (&pops[s], &pops[t]);
    let kind = tp.model.synapse;
    let sic = sic::is_sic(ctx, pr, sp, tp, o)?;
    let electrical = !sic && gap_junction::is_gap_junction(ctx, pr, sp, tp, o)?;
    if !sic && !electrical {
        sic::check_chemical(ctx, sp, tp, o)?;
    }
    if !electrical && !sic && !sp.model.spiking && tp.model.spiking {
        let msg = format!(
            "rate population \"{}\" cannot project onto spiking population \"{}\"",
            sp.name, tp.name
        );
        let hint = "drive spiking neurons from rates with a poisson or timeseries [[input]]";
        ctx.report(o, "source", msg, hint);
        return None;
    }
    let env = Env {
        pr,
        o,
        ns: sp.size,
        nt: tp.size,
        self_proj: s == t,
        wdim: match electrical {
            // A SIC projection scales the astrocyte's output into a current.
            _ if sic => Dim::Current,
            true if tp.model.spiking => Dim::Conductance,
            true => Dim::Dimensionless,
            false => kind.weight_dim(),
        },
    };
    let rule = connectivity(ctx, &env);
    let count = match &rule {
        Some(Rule::AllToAll) => Some(all_to_all_count(&env)),
        Some(Rule::OneToOne) => Some(env.ns),
        Some(Rule::EdgeList(e)) => Some(e.source.len()),
        _ => None,
    };
    let weight = match (&pr.weight, &rule) {
        (Some(w), _) => ctx.value(w, env.wdim, o, "weight", "weight", count),
        (None, Some(Rule::EdgeList(e))) if e.weight.is_some() => Some(Distribution::Const(0.0)),
        (None, _) => {
            let hint = format!("add weight = {}", env.wdim.example());
            ctx.report(o, "source", "has no `weight`", hint);
            None
        }
    };
    let delay = delay(ctx, pr.delay.as_ref(), o, count);
    if let Some(Rule::EdgeList(e)) = &rule
        && let Some(ds) = &e.delay
    {
        edge_list_delays(ctx, ds, o);
    }
    let (rule, weight, delay) = (rule?, weight?, delay?);
    let wbounds = match &rule {
        Rule::EdgeList(e) if pr.weight.is_none() => e.weight.as_deref().map_or((0.0, 0.0), span),
        _ => weight.bounds(),
    };
    let (receptor, plasticity) = if electrical {
        gap_junction::check(ctx, pr, o, &env, &rule, wbounds)?;
        (Receptor::Excitatory, None)
    } else if sic {
        sic::check(ctx, pr, o, &env, &rule, wbounds)?;
        (Receptor::Excitatory, None)
    } else {
        sic::check_astrocyte_weights(ctx, tp, wbounds, o);
        // Receptor and Dale's law.
        let r = receptor(
            ctx,
            pr.receptor.as_deref(),
            sp.sign,
            wbounds,
            weight.mean(),
            kind,
            o,
        )?;
        check_dale(ctx, sp, kind, r, wbounds, o);
        let plasticity = match &pr.plasticity {
            None => None,
            Some(pl) => Some(plasticity::resolve(ctx, pl, env.wdim, o, pops, (s, t))?),
        };
        (r, plasticity)
    };
    let expected_synapses = expected_synapses(&rule, &env);
    Some(ResolvedProjection {
        plasticity,
        name,
        source: s,
        target: t,
        rule,
        weight,
        delay,
        receptor,
        autapses: pr.autapses,
        multapses: pr.multapses,
        expected_synapses,
        electrical,
        sic,
    })
}

/// The connection rule, from the table.
fn connectivity(ctx: &mut Ctx, env: &Env) -> Option<Rule> {
    let rule = env.pr.connectivity.rule.as_str();
    let connect = ctx.lookup(
        CONNECTION_RULES,
        rule,
        env.o,
        "connectivity",
        "connection rule",
        "rules",
    )?;
    connect(ctx, env)
}

fn all_to_all(_: &mut Ctx, _: &Env) -> Option<Rule> {
    Some(Rule::AllToAll)
}

fn fixed_indegree(ctx: &mut Ctx, env: &Env) -> Option<Rule> {
    fixed_degree(ctx, env, true)
}

fn fixed_outdegree(ctx: &mut Ctx, env: &Env) -> Option<Rule> {
    fixed_degree(ctx, env, false)
}

fn fixed_probability(ctx: &mut Ctx, env: &Env) -> Option<Rule> {
    match env.pr.connectivity.p {
        Some(p) if (0.0..=1.0).contains(&p) => Some(Rule::FixedProbability(p)),
        Some(p) => {
            let msg = format!("connection probability p = {p} is outside [0, 1]");
            ctx.report(
                env.o,
                "connectivity",
                msg,
                "p is a probability, e.g. p = 0.02",
            );
            None
        }
        None => {
            let hint = "connectivity = { rule = \"fixed_probability\", p = 0.02 }";
            ctx.report(env.o, "connectivity", "fixed_probability needs `p`", hint);
            None
        }
    }
}

/// `fixed_indegree` (k sources per target) or `fixed_outdegree` (k targets per source).
fn fixed_degree(ctx: &mut Ctx, env: &Env, indegree: bool) -> Option<Rule> {
    let (pr, o) = (env.pr, env.o);
    let rule = &pr.connectivity.rule;
    let pool = (if indegree { env.ns } else { env.nt } as u64)
        .saturating_sub(u64::from(env.self_proj && !pr.autapses));
    match pr.connectivity.k {
        None => {
            let hint = format!("connectivity = {{ rule = \"{rule}\", k = 100 }}");
            ctx.report(o, "connectivity", format!("{rule} needs `k`"), hint);
            None
        }
        Some(k) if k > pool && !pr.multapses => {
            let (degree, side) = match indegree {
                true => ("in-degree", "source"),
                false => ("out-degree", "target"),
            };
            let msg =
                format!("{degree} k = {k} is larger than the {pool} {side} neurons available");
            let hint = format!("use k ≤ {pool}, or set multapses = true to allow repeated pairs");
            ctx.report(o, "connectivity", msg, hint);
            None
        }
        Some(k) if indegree => Some(Rule::FixedIndegree(k)),
        Some(k) => Some(Rule::FixedOutdegree(k)),
    }
}

/// `fixed_total_number`: `n` synapses, each a random pair; without multapses the pairs are
/// distinct, so `n` may not exceed the number of pairs.
fn fixed_total_number(ctx: &mut Ctx, env: &Env) -> Option<Rule> {
    let (pr, o) = (env.pr, env.o);
    let pairs = all_to_all_count(env) as u64;
    match pr.connectivity.n {
        None => {
            let hint = "connectivity = { rule = \"fixed_total_number\", n = 10000 }";
            ctx.report(o, "connectivity", "fixed_total_number needs `n`", hint);
            None
        }
        Some(n) if n > 0 && pairs == 0 => {
            let msg = format!("n = {n} synapses, but there are no source–target pairs");
            let hint = "set autapses = true, or use n = 0";
            ctx.report(o, "connectivity", msg, hint);
            None
        }
        Some(n) if n > pairs && !pr.multapses => {
            let msg = format!("n = {n} synapses is more than the {pairs} distinct pairs");
            let hint = format!("use n ≤ {pairs}, or set multapses = true to allow repeated pairs");
            ctx.report(o, "connectivity", msg, hint);
            None
        }
        Some(n) => Some(Rule::FixedTotalNumber(n)),
    }
}

fn one_to_one(ctx: &mut Ctx, env: &Env) -> Option<Rule> {
    if env.ns != env.nt {
        let msg = format!(
            "one_to_one needs equal sizes, but source has {} and target {} neurons",
            env.ns, env.nt
        );
        ctx.report(
            env.o,
            "connectivity",
            msg,
            "use fixed_indegree or an edge list",
        );
        return None;
    }
    Some(Rule::OneToOne)
}

fn edge_list(ctx: &mut Ctx, env: &Env) -> Option<Rule> {
    let sizes = (env.ns, env.nt);
    let e = files::read_edge_list(
        ctx,
        &env.pr.connectivity,
        env.wdim,
        env.o,
        "connectivity",
        sizes,
    )?;
    if env.pr.weight.is_none() && e.weight.is_none() {
        let msg = "the edge list has no weight column and the projection no `weight`";
        ctx.report(
            env.o,
            "connectivity",
            msg,
            "add weight = ... or a third column",
        );
    }
    Some(Rule::EdgeList(Arc::new(e)))
}

/// Synapses of `all_to_all`: every pair, less the autapses when they are not allowed.
fn all_to_all_count(env: &Env) -> usize {
    env.ns
        .saturating_mul(env.nt)
        .saturating_sub(if env.self_proj && !env.pr.autapses {
            env.ns
        } else {
            0
        })
}

/// The expected number of synapses (for the memory estimate).
fn expected_synapses(rule: &Rule, env: &Env) -> f64 {
    let (ns, nt) = (env.ns as f64, env.nt as f64);
    match rule {
        Rule::AllToAll => all_to_all_count(env) as f64,
        Rule::FixedProbability(p) => p * ns * nt,
        Rule::FixedIndegree(k) => *k as f64 * nt,
        Rule::FixedOutdegree(k) => *k as f64 * ns,
        Rule::FixedTotalNumber(n) => *n as f64,
        Rule::OneToOne => ns,
        Rule::EdgeList(e) => e.source.len() as f64,
    }
}

/// A projection's delay in ms: at least dt (default one step), at most the engine's longest.
fn delay(ctx: &mut Ctx, v: Option<&Value>, o: &Obj, count: Option<usize>) -> Option<Distribution> {
    let Some(v) = v else {
        return Some(Distribution::Const(ctx.dt));
    };
    let d = ctx.value(v, Dim::Time, o, "delay", "delay", count)?;
    let (lo, hi) = d.bounds();
    let drawn = matches!(
        d,
        Distribution::Normal { .. } | Distribution::LogNormal { .. }
    );
    if ctx.below_dt(lo) || lo.is_nan() {
        let shown = if lo.is_finite() {
            show(lo, Dim::Time)
        } else {
            "unbounded below".into()
        };
        let msg = format!(
            "delay {shown} is shorter than dt {}",
            show(ctx.dt, Dim::Time)
        );
        let hint = match drawn {
            true => format!("add min = \"{} ms\" to the delay distribution", ctx.dt),
            false => format!(
                "use a delay of at least one step ({} ms), or decrease dt",
                ctx.dt
            ),
        };
        ctx.report(o, "delay", msg, hint);
        return None;
    }
    if let Distribution::Const(c) = d
        && !ctx.on_grid(c)
    {
        let k = memory::delay_steps(c, ctx.dt);
        let msg = format!(
            "delay {} is not a whole number of steps of dt {}: it is rounded to {k} steps = {}",
            fmt_ms(c),
            fmt_ms(ctx.dt),
            fmt_ms(k as f64 * ctx.dt)
        );
        ctx.note(o, "delay", msg);
    }
    delay_within_limit(ctx, o, "delay", "delay", hi).then_some(d)
}

/// Delays of an edge list's delay column: each at least dt and at most the engine's longest.
fn edge_list_delays(ctx: &mut Ctx, ds: &[f64], o: &Obj) {
    if ds.is_empty() {
        return;
    }
    let (lo, hi) = span(ds);
    if ctx.below_dt(lo) {
        let msg = format!(
            "edge-list delay {} is shorter than dt {}",
            show(lo, Dim::Time),
            show(ctx.dt, Dim::Time)
        );
        ctx.report(
            o,
            "connectivity",
            msg,
            "every delay must be at least one time step",
        );
    }
    delay_within_limit(ctx, o, "connectivity", "edge-list delay", hi);
}

/// Whether the longest delay `hi` fits the engine's delay storage ([`MAX_DELAY_STEPS`]
/// steps of dt); a report with a shorter delay or a larger dt when it does not.
fn delay_within_limit(ctx: &mut Ctx, o: &Obj, key: &str, what: &str, hi: f64) -> bool {
    let dt = ctx.dt;
    if !ctx.dt_known {
        return true;
    }
    let max = MAX_DELAY_STEPS as f64;
    let longest = max * dt;
    if !hi.is_finite() {
        let msg = format!(
            "{what} has no upper bound, but delays are at most {MAX_DELAY_STEPS} steps ({} at dt {})",
            fmt_ms(longest),
            fmt_ms(dt)
        );
        let hint = format!(
            "add max = \"{}\" to the delay distribution",
            fmt_ms(longest)
        );
        ctx.report(o, key, msg, hint);
        return false;
    }
    let steps = memory::delay_steps(hi, dt);
    if steps <= MAX_DELAY_STEPS {
        return true;
    }
    let msg = format!(
        "{what} {} is {steps} steps of dt {}, more than the {MAX_DELAY_STEPS} steps delays can span",
        show(hi, Dim::Time),
        fmt_ms(dt)
    );
    let min_dt = ((hi / (max + 0.5)) * 1e6).ceil() / 1e6;
    let hint = format!(
        "use a delay of at most {} at this dt, or a dt of at least {}",
        fmt_ms(longest),
        fmt_ms(min_dt)
    );
    ctx.report(o, key, msg, hint);
    false
}

/// `x` ms, rounded to a millionth.
/// The receptor of a projection or input: explicit, else from the source's sign, else from
/// the weight's sign; checked against the weights' signs for the target's synapse kind.
#[allow(clippy::too_many_arguments)]
pub(super) fn receptor(
    ctx: &mut Ctx,
    explicit: Option<&str>,
    sign: Option<Sign>,
    (wlo, whi): (f64, f64),
    wmean: f64,
    kind: SynapseKind,
    o: &Obj,
) -> Option<Receptor> {
    let key = "receptor";
    let r = match explicit {
        Some(name) => match receptor_name(name) {
            Some(r) => r,
            None => {
                let msg = format!("unknown receptor \"{name}\"");
                ctx.report(o, key, msg, "receptor = \"excitatory\" or \"inhibitory\"");
                return None;
            }
        },
        None => match (kind, sign) {
            (_, Some(Sign::Excitatory)) => Receptor::Excitatory,
            (_, Some(Sign::Inhibitory)) => Receptor::Inhibitory,
            (SynapseKind::Conductance, None) => Receptor::Excitatory,
            (_, None) if wmean < 0.0 => Receptor::Inhibitory,
            (_, None) => Receptor::Excitatory,
        },
    };
    let problem = match kind {
        SynapseKind::Conductance if wlo < 0.0 => Some((
            format!("conductance weight can be negative ({wlo} nS)"),
            "conductances are magnitudes; choose receptor = \"inhibitory\" for inhibition and clip with min = \"0 nS\"",
        )),
        // NEST's convention: inhibitory currents are negative.
        SynapseKind::Current if r == Receptor::Inhibitory && whi > 0.0 => Some((
            format!("weight up to {whi} pA into the inhibitory receptor is positive"),
            "inhibitory currents are negative, e.g. weight = \"-50 pA\"",
        )),
        SynapseKind::Current if r == Receptor::Excitatory && wlo < 0.0 && explicit.is_some() => {
            Some((
                format!("weight down to {wlo} pA into the excitatory receptor is negative"),
                "use receptor = \"inhibitory\" for negative currents",
            ))
        }
        _ => None,
    };
    match problem {
        Some((msg, hint)) => {
            ctx.report(o, key, msg, hint);
            None
        }
        None => Some(r),
    }
}

fn receptor_name(r: &str) -> Option<Receptor> {
    match r {
        "excitatory" | "ex" | "exc" | "AMPA" => Some(Receptor::Excitatory),
        "inhibitory" | "in" | "inh" | "GABA" => Some(Receptor::Inhibitory),
        _ => None,
    }
}

/// Dale's law: every projection from a signed population has weights (or, for
/// conductances, a receptor) of its sign.
fn check_dale(
    ctx: &mut Ctx,
    sp: &ResolvedPopulation,
    kind: SynapseKind,
    r: Receptor,
    (wlo, whi): (f64, f64),
    o: &Obj,
) {
    let Some(sign) = sp.sign else { return };
    let unit = kind.weight_dim().base_unit();
    let name = &sp.name;
    let (msg, hint) = match (kind, sign) {
        (SynapseKind::Conductance, Sign::Excitatory) if r != Receptor::Excitatory => (
            format!(
                "Dale's law: excitatory population \"{name}\" projects onto an inhibitory receptor"
            ),
            "remove receptor or set receptor = \"excitatory\"".to_string(),
        ),
        (SynapseKind::Conductance, Sign::Inhibitory) if r != Receptor::Inhibitory => (
            format!(
                "Dale's law: inhibitory population \"{name}\" projects onto an excitatory receptor"
            ),
            "remove receptor or set receptor = \"inhibitory\"".to_string(),
        ),
        (SynapseKind::Conductance, _) => return,
        (_, Sign::Excitatory) if wlo < 0.0 => (
            format!(
                "Dale's law: excitatory population \"{name}\" has weights down to {wlo} {unit}"
            ),
            format!(
                "weights from an excitatory population must be ≥ 0; clip the distribution with min = \"0 {unit}\""
            ),
        ),
        (_, Sign::Inhibitory) if whi > 0.0 => (
            format!("Dale's law: inhibitory population \"{name}\" has weights up to {whi} {unit}"),
            format!(
                "weights from an inhibitory population must be ≤ 0; clip the distribution with max = \"0 {unit}\""
            ),
        ),
        _ => return,
    };
    ctx.report(o, "weight", msg, hint);
}
