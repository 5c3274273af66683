//! `synapse = "sic"` on a projection: the astrocyte-to-neuron side of a tripartite synapse
//! (NEST's `sic_connection`). The source must be an astrocyte model (one whose output is a
//! slow inward current), the target spiking neurons; `weight` (pA, ≥ 0) scales the
//! astrocyte's SIC into a current held over the next step. Also the rules astrocytes impose
//! on chemical projections: they emit no spikes, and take spikes of non-negative weight.

use super::coupling::Coupling;
use super::projection::Env;
use super::{Ctx, Obj};
use crate::resolved::*;
use crate::spec::Projection;

/// Whether the projection is a SIC projection (`synapse = "sic"`), checking that its source
/// is an astrocyte and its target spiking neurons. `None` after reporting what is wrong.
pub(super) fn is_sic(
    ctx: &mut Ctx,
    pr: &Projection,
    sp: &ResolvedPopulation,
    tp: &ResolvedPopulation,
    o: &Obj,
) -> Option<bool> {
    if pr.synapse.as_deref() != Some("sic") {
        return Some(false);
    }
    if !sp.model.sic_output {
        let msg = format!(
            "synapse \"sic\" carries an astrocyte's slow inward current, but model \"{}\" of source \"{}\" has none",
            sp.model.name, sp.name
        );
        let able: Vec<&str> = crate::MODELS
            .iter()
            .filter(|m| m.sic_output)
            .map(|m| m.name)
            .collect();
        let hint = format!(
            "make the source an astrocyte population (models: {}), or drop synapse = \"sic\"",
            able.join(", ")
        );
        ctx.report(o, "synapse", msg, hint);
        return None;
    }
    if !tp.model.spiking {
        let msg = format!(
            "a slow inward current is a current into spiking neurons; target \"{}\" ({}) is not spiking",
            tp.name, tp.model.name
        );
        ctx.report(o, "target", msg, "target a spiking population");
        return None;
    }
    Some(true)
}

/// The rest of a SIC projection (`rule` its connectivity): no delay, receptor or
/// plasticity; weights ≥ 0 (`wbounds`, their range).
/// `None` after reporting what is wrong.
pub(super) fn check(
    ctx: &mut Ctx,
    pr: &Projection,
    o: &Obj,
    env: &Env,
    rule: &Rule,
    wbounds: (f64, f64),
) -> Option<()> {
    let sic = Coupling {
        name: "a SIC projection",
        why_not: [
            "the SIC reaches the neuron in the step after the astrocyte's calcium makes it",
            "a SIC is injected as a current, not through a receptor",
            "SIC weights are not plastic",
        ],
        delay_column_hint: "drop the delay column",
        weight: "SIC weight",
        weight_hint: "a slow inward current depolarises: the weight scales it and is at least 0",
    };
    sic.check(ctx, pr, o, env, rule, wbounds)
}

/// A chemical projection touching an astrocyte: an astrocyte emits no spikes (its output
/// goes through `synapse = "sic"`), and takes only spikes, of weight ≥ 0, which raise its IP3
/// (NEST refuses negative weights into `astrocyte_lr_1994`). `None` after reporting.
pub(super) fn check_chemical(
    ctx: &mut Ctx,
    sp: &ResolvedPopulation,
    tp: &ResolvedPopulation,
    o: &Obj,
) -> Option<()> {
    if sp.model.sic_output {
        let msg = format!(
            "astrocyte population \"{}\" emits no spikes or rates for a chemical synapse",
            sp.name
        );
        let hint = "its slow inward current reaches neurons through synapse = \"sic\"";
        ctx.report(o, "synapse", msg, hint);
        return None;
    }
    if tp.model.sic_output && !sp.model.spiking {
        let msg = format!(
            "astrocyte population \"{}\" takes spikes; \"{}\" is a rate population",
            tp.name, sp.name
        );
        ctx.report(o, "source", msg, "project spiking neurons onto astrocytes");
        return None;
    }
    Some(())
}

/// Spikes into an astrocyte raise its IP3 by delta_IP3 × weight: weights must be ≥ 0.
pub(super) fn check_astrocyte_weights(
    ctx: &mut Ctx,
    tp: &ResolvedPopulation,
    wbounds: (f64, f64),
    o: &Obj,
) {
    if tp.model.sic_output && wbounds.0 < 0.0 {
        let msg = format!(
            "weight {} into astrocyte population \"{}\" is negative",
            wbounds.0, tp.name
        );
        let hint = "a spike raises the astrocyte's IP3 by delta_IP3 × weight; use weights ≥ 0";
        ctx.report(o, "weight", msg, hint);
    }
}
