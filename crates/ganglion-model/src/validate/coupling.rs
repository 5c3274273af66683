//! The checks shared by the continuous couplings a projection can be instead of a chemical
//! synapse, gap junctions ([`super::gap_junction`]) and astrocytes' slow inward currents
//! ([`super::sic`]): the engine applies them every step from the previous step's state, so
//! they take no delay, receptor or plasticity, and their weights are at least 0.

use super::projection::Env;
use super::{Ctx, Obj};
use crate::resolved::*;
use crate::spec::Projection;
use crate::units::show;

/// How the shared checks name a coupling and explain what it cannot have.
pub(super) struct Coupling {
    /// The coupling with its article, as in "does not apply to {name}".
    pub(super) name: &'static str,
    /// Why it takes no `delay`, `receptor` and `plasticity`, in that order.
    pub(super) why_not: [&'static str; 3],
    /// The fix for an edge list with a delay column.
    pub(super) delay_column_hint: &'static str,
    /// What its weight is, as in "{weight} -1 is negative".
    pub(super) weight: &'static str,
    /// The fix for a negative weight.
    pub(super) weight_hint: &'static str,
}

impl Coupling {
    /// No delay, receptor or plasticity (nor an edge list's delay column, `rule` being the
    /// connectivity); weights ≥ 0 (`wbounds`, their range). `None` after reporting each
    /// thing wrong.
    pub(super) fn check(
        &self,
        ctx: &mut Ctx,
        pr: &Projection,
        o: &Obj,
        env: &Env,
        rule: &Rule,
        wbounds: (f64, f64),
    ) -> Option<()> {
        let before = ctx.problems.len();
        let not_here = [
            ("delay", pr.delay.is_some()),
            ("receptor", pr.receptor.is_some()),
            ("plasticity", pr.plasticity.is_some()),
        ];
        for ((key, set), why) in not_here.into_iter().zip(self.why_not) {
            if set {
                let msg = format!("`{key}` does not apply to {}", self.name);
                ctx.report(o, key, msg, format!("{why}; remove `{key}`"));
            }
        }
        if let Rule::EdgeList(e) = rule
            && e.delay.is_some()
        {
            let msg = format!(
                "the edge list's delay column does not apply to {}",
                self.name
            );
            ctx.report(o, "connectivity", msg, self.delay_column_hint);
        }
        if wbounds.0 < 0.0 {
            let msg = format!("{} {} is negative", self.weight, show(wbounds.0, env.wdim));
            ctx.report(o, "weight", msg, self.weight_hint);
        }
        (ctx.problems.len() == before).then_some(())
    }
}
