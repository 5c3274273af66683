//! `[[population]]`: model, parameters (ranges and reset-below-threshold from the model
//! catalogue), initial state and homeostasis.

use super::{Ctx, Obj};
use crate::models::{self, MODELS, ModelInfo, Range, StateDefault};
use crate::resolved::{Distribution, ResolvedHomeostasis, ResolvedPopulation};
use crate::spec::{Homeostasis, Population};
use crate::units::{Dim, show};
use std::collections::HashSet;

/// Resolve every population (a failed one is reported, and left out or kept with defaults).
pub(super) fn resolve_all(ctx: &mut Ctx, specs: &[Population]) -> Vec<ResolvedPopulation> {
    let mut names = HashSet::new();
    let mut pops = vec![];
    for (i, p) in specs.iter().enumerate() {
        let o = Obj::new("population", i, format!("population \"{}\"", p.name));
        if p.name.trim().is_empty() {
            let unnamed = Obj::new("population", i, format!("population #{}", i + 1));
            ctx.report(
                &unnamed,
                "name",
                "has an empty name",
                "give it a unique name",
            );
        }
        if !names.insert(p.name.clone()) {
            ctx.report(
                &o,
                "name",
                "is defined twice",
                "population names must be unique",
            );
        }
        if p.size == 0 {
            ctx.report(&o, "size", "has size 0", "give it at least one neuron");
        } else if p.size > MAX_POPULATION {
            let msg = format!(
                "has size {}, more than the {MAX_POPULATION} neurons the engine can index (32-bit)",
                p.size
            );
            ctx.report(&o, "size", msg, "split it into several populations");
        }
        let Some(model) = models::model(&p.model) else {
            let msg = format!("unknown model \"{}\"", p.model);
            let hint = super::name_hint(&p.model, MODELS.iter().map(|m| m.name), "known models");
            ctx.report(
                &o,
                "model",
                msg,
                format!("{hint} (`ganglion models` lists them)"),
            );
            // Not resolved: what refers to it is not reported again as "not defined".
            ctx.mark_broken("population", &p.name);
            continue;
        };
        if p.size == 0 || p.size > MAX_POPULATION {
            // Reported above; what refers to it would only fail again.
            ctx.mark_broken("population", &p.name);
            continue;
        }
        pops.push(resolve(ctx, p, model, &o));
    }
    pops
}

/// The index of population `name`, or a report naming the `role` it plays for `o` (none
/// when it is defined but failed to resolve: its own problem is reported already).
pub(super) fn find(
    ctx: &mut Ctx,
    pops: &[ResolvedPopulation],
    o: &Obj,
    key: &str,
    role: &str,
    name: &str,
) -> Option<usize> {
    let found = pops.iter().position(|p| p.name == name);
    if found.is_none() && !ctx.is_broken("population", name) {
        let msg = format!("{role} population \"{name}\" is not defined");
        let names = pops.iter().map(|p| p.name.as_str());
        ctx.unknown(o, key, msg, name, names, "defined populations");
    }
    found
}

/// One population of a known model.
fn resolve(
    ctx: &mut Ctx,
    p: &Population,
    model: &'static ModelInfo,
    o: &Obj,
) -> ResolvedPopulation {
    for key in p.params.keys().filter(|k| model.param(k).is_none()) {
        let msg = format!("model {} has no parameter \"{key}\"", model.name);
        let names = model.params.iter().map(|q| q.name);
        ctx.unknown(o, key, msg, key, names, &format!("{} has", model.name));
    }
    for key in p.init.keys().filter(|k| model.state_var(k).is_none()) {
        let msg = format!("model {} has no state variable \"{key}\"", model.name);
        ctx.unknown(
            o,
            key,
            msg,
            key,
            model.state.iter().map(|q| q.name),
            "its state is",
        );
    }
    let mut params = vec![];
    for info in model.params {
        let d = match p.params.get(info.name) {
            None => Some(Distribution::Const(info.default)),
            Some(v) => ctx.value(v, info.dim, o, info.name, info.name, Some(p.size)),
        };
        params.push(d.unwrap_or(Distribution::Const(info.default)));
    }
    check_ranges(ctx, model, &params, o);
    let mut init = vec![];
    for info in model.state {
        let d = match p.init.get(info.name) {
            None => Some(match info.default {
                StateDefault::Const(v) => Distribution::Const(v),
                StateDefault::Param(n) => {
                    params[model.param_index(n).expect("default refers to a parameter")].clone()
                }
            }),
            Some(v) => ctx.value(v, info.dim, o, info.name, info.name, Some(p.size)),
        };
        init.push(d.unwrap_or(Distribution::Const(0.0)));
    }
    let homeostasis = p
        .homeostasis
        .as_ref()
        .and_then(|h| homeostasis(ctx, h, model, p.size, o));
    ResolvedPopulation {
        name: p.name.clone(),
        size: p.size,
        model,
        sign: p.sign,
        params,
        init,
        homeostasis,
    }
}

/// Range checks from the catalogue (every neuron's value, via the distribution's bounds),
/// and the reset potential below the threshold.
fn check_ranges(ctx: &mut Ctx, model: &ModelInfo, params: &[Distribution], o: &Obj) {
    for (info, d) in model.params.iter().zip(params) {
        let (lo, _) = d.bounds();
        let shown = if lo.is_finite() {
            show(lo, info.dim)
        } else {
            "unbounded below".into()
        };
        let problem = match info.range {
            Range::Positive if lo <= 0.0 => format!("must be positive, got {shown}"),
            Range::NonNegative if lo < 0.0 => format!("must not be negative, got {shown}"),
            _ => continue,
        };
        let hint = match (info.range, info.dim) {
            (Range::Positive, Dim::Time) => {
                Some("time constants are positive durations like \"20 ms\"".to_string())
            }
            (Range::Positive, _) => Some("use a positive value".to_string()),
            _ => None,
        };
        ctx.report(o, info.name, format!("{} {problem}", info.name), hint);
    }
    if let Some((reset, threshold)) = model.reset_below
        && let (Some(vr), Some(vt)) = (
            model.param_index(reset).map(|k| params[k].bounds().1),
            model.param_index(threshold).map(|k| params[k].bounds().0),
        )
        && vr >= vt
    {
        let msg = format!(
            "{reset} (up to {}) is not below {threshold} (from {})",
            show(vr, Dim::Voltage),
            show(vt, Dim::Voltage)
        );
        ctx.report(
            o,
            reset,
            msg,
            "the reset potential must lie below the threshold",
        );
    }
}

/// The most neurons a population may have: the engine indexes neurons with `u32`.
const MAX_POPULATION: usize = u32::MAX as usize;

/// `homeostasis = { target, tau, eta }`, for models with an adaptable threshold.
fn homeostasis(
    ctx: &mut Ctx,
    h: &Homeostasis,
    model: &ModelInfo,
    size: usize,
    o: &Obj,
) -> Option<ResolvedHomeostasis> {
    let key = "homeostasis";
    if model.threshold.is_none() {
        let msg = format!(
            "homeostasis adapts V_th, which model {} does not have as a threshold",
            model.name
        );
        let able: Vec<&str> = MODELS
            .iter()
            .filter(|m| m.threshold.is_some())
            .map(|m| m.name)
            .collect();
        let hint = format!("models with an adaptable threshold: {}", able.join(", "));
        ctx.report(o, key, msg, hint);
        return None;
    }
    let target = ctx.value(
        &h.target,
        Dim::Frequency,
        o,
        key,
        "homeostasis.target",
        Some(size),
    );
    if let Some(t) = &target
        && t.bounds().0 < 0.0
    {
        let msg = format!(
            "homeostasis.target must not be negative, got {}",
            show(t.bounds().0, Dim::Frequency)
        );
        ctx.report(o, key, msg, "target rates are firing rates like \"5 Hz\"");
    }
    let target = target.filter(|t| t.bounds().0 >= 0.0);
    let tau = ctx.positive_time(h.tau.as_ref(), 1000.0, o, key, "homeostasis.tau");
    let eta = ctx.quantity_or(h.eta.as_ref(), 0.1, Dim::Voltage, o, key, "homeostasis.eta");
    Some(ResolvedHomeostasis {
        target: target?,
        tau: tau?,
        eta: eta?,
    })
}
