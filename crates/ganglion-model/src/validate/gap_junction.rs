//! `synapse = "gap_junction"` on a projection: which models can be coupled, what a gap
//! junction cannot have (delay, receptor, plasticity, negative conductances), and whether the
//! explicit coupling the engine uses is stable at this dt.

use super::coupling::Coupling;
use super::projection::Env;
use super::{Ctx, Obj};
use crate::resolved::*;
use crate::spec::Projection;
use crate::units::show;
use std::collections::HashMap;

/// Whether the projection is a gap junction (`synapse = "gap_junction"`), checking that both
/// populations' models take gap-junction currents and are of one kind (spiking or rate).
pub(super) fn is_gap_junction(
    ctx: &mut Ctx,
    pr: &Projection,
    sp: &ResolvedPopulation,
    tp: &ResolvedPopulation,
    o: &Obj,
) -> Option<bool> {
    match pr.synapse.as_deref() {
        None | Some("chemical") => return Some(false),
        Some("gap_junction" | "electrical") => {}
        Some(other) => {
            let msg = format!("unknown synapse \"{other}\"");
            let names = ["chemical", "gap_junction", "sic"].into_iter();
            ctx.unknown(o, "synapse", msg, other, names, "synapses");
            return None;
        }
    }
    for p in [sp, tp] {
        if !p.model.gap_junctions {
            let msg = format!(
                "model \"{}\" of population \"{}\" does not take gap-junction currents",
                p.model.name, p.name
            );
            let able: Vec<&str> = crate::MODELS
                .iter()
                .filter(|m| m.gap_junctions)
                .map(|m| m.name)
                .collect();
            ctx.report(
                o,
                "synapse",
                msg,
                format!("models that do: {}", able.join(", ")),
            );
            return None;
        }
    }
    if sp.model.spiking != tp.model.spiking {
        let msg = format!(
            "a gap junction couples like with like: \"{}\" is {} and \"{}\" is {}",
            sp.name,
            kind_word(sp),
            tp.name,
            kind_word(tp)
        );
        let hint = "couple spiking populations with each other, rate populations with each other";
        ctx.report(o, "synapse", msg, hint);
        return None;
    }
    Some(true)
}

fn kind_word(p: &ResolvedPopulation) -> &'static str {
    if p.model.spiking {
        "spiking"
    } else {
        "a rate population"
    }
}

/// The rest of a gap junction: no delay, receptor or plasticity; non-negative conductances
/// (`wbounds`, the weights' range). `None` after reporting what is wrong.
pub(super) fn check(
    ctx: &mut Ctx,
    pr: &Projection,
    o: &Obj,
    env: &Env,
    rule: &Rule,
    wbounds: (f64, f64),
) -> Option<()> {
    let gap = Coupling {
        name: "a gap junction",
        why_not: [
            "a gap junction acts within the step, without delay",
            "a gap junction has no receptor: its current follows the potential difference",
            "gap-junction conductances are not plastic",
        ],
        delay_column_hint: "drop the delay column or use a chemical synapse",
        weight: "gap-junction conductance",
        weight_hint: "a conductance is at least 0",
    };
    gap.check(ctx, pr, o, env, rule, wbounds)
}

/// The engine couples explicitly (each step uses the previous step's potentials), which is
/// stable while every neuron's coupling per step stays small against its own leak. With S_i
/// the summed conductance of neuron i's junctions (both ways, all gap-junction projections),
/// G its potential change per unit current held over one step (dt/C_m for spiking models,
/// 1 − e^{−dt/τ} for rate units) and p = e^{−dt/τ} its leak per step, the coupling's largest
/// eigenvalue is at most 2·S_i (Gershgorin), so 2·S_i·G < 1 + p keeps every mode from
/// growing. A neuron past that bound is a problem naming it, its sum, and the dt that would do.
/// Random connection rules count their expected conductance per neuron.
pub(super) fn check_stability(
    ctx: &mut Ctx,
    projections: &[ResolvedProjection],
    objs: &[Obj],
    pops: &[ResolvedPopulation],
) {
    // Per population: a conductance every neuron gets (random rules, by expectation; one-to-one
    // counted for all, an upper bound) plus per-neuron sums from edge lists, kept sparse so
    // that validation allocates nothing per neuron of a population it has not yet sized.
    let mut uniform = vec![0.0; pops.len()];
    let mut listed: Vec<HashMap<u32, f64>> = vec![HashMap::new(); pops.len()];
    let mut first: Vec<Option<usize>> = vec![None; pops.len()];
    for (j, pr) in projections.iter().enumerate().filter(|(_, p)| p.electrical) {
        let (s, t) = (pr.source, pr.target);
        first[s].get_or_insert(j);
        first[t].get_or_insert(j);
        let g = pr.weight.mean();
        match &pr.rule {
            Rule::EdgeList(e) => {
                for k in 0..e.source.len() {
                    let w = e.weight.as_ref().map_or(g, |w| w[k]);
                    *listed[s].entry(e.source[k]).or_default() += w;
                    *listed[t].entry(e.target[k]).or_default() += w;
                }
            }
            Rule::OneToOne => {
                uniform[s] += g;
                uniform[t] += g;
            }
            _ => {
                let total = pr.expected_synapses * g;
                uniform[s] += total / pops[s].size.max(1) as f64;
                uniform[t] += total / pops[t].size.max(1) as f64;
            }
        }
    }
    for (k, pop) in pops.iter().enumerate() {
        let (Some(j), Some((gain, leak, per))) = (first[k], step_response(pop, ctx.dt)) else {
            continue;
        };
        let (i, extra) = listed[k]
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
            .map_or((0, 0.0), |(&i, &x)| (i, x));
        let sum = uniform[k] + extra;
        if 2.0 * sum * gain < 1.0 + leak {
            continue;
        }
        let unit = if pop.model.spiking { " nS" } else { "" };
        let msg = format!(
            "gap junctions onto neuron {i} of population \"{}\" sum to {sum:.4}{unit}: with dt {} \
             the explicit coupling grows instead of settling (2·S·{per} = {:.2} ≥ 1 + e^(−dt/τ) = {:.2})",
            pop.name,
            show(ctx.dt, crate::units::Dim::Time),
            2.0 * sum * gain,
            1.0 + leak
        );
        let hint = format!(
            "scale the conductances by less than {:.3}, or reduce dt",
            (1.0 + leak) / (2.0 * sum * gain)
        );
        ctx.report(&objs[j], "weight", msg, hint);
    }
}

/// `(G, p, what G is)` of a population's neurons at step `dt`: the potential change per unit
/// current over one step and the leak per step, each at its least stable over the neurons.
fn step_response(pop: &ResolvedPopulation, dt: f64) -> Option<(f64, f64, &'static str)> {
    let least = |name: &str| pop.param(name).map(|d| d.bounds().0);
    if !pop.model.spiking {
        let tau = least("tau")?;
        return Some((
            1.0 - (-dt / tau).exp(),
            (-dt / tau).exp(),
            "(1 − e^(−dt/τ))",
        ));
    }
    let c = least("C_m")?;
    let tau = least("tau_m").or_else(|| Some(c / pop.param("g_L")?.bounds().1))?;
    Some((dt / c, (-dt / tau).exp(), "dt/C_m"))
}
