//! Validation of `gain_homeostasis` (rate-unit targets): per-neuron or global gains on a
//! projection's weights toward target rates.

use super::*;

pub(super) fn gain_homeostasis(ctx: &mut Ctx, pl: &Plasticity, env: &Env) -> Option<PlasticRule> {
    let o = env.o;
    for (key, set) in [("w_max", pl.w_max.is_some()), ("w_min", pl.w_min.is_some())] {
        if set {
            let msg = format!(
                "{key} does not apply to rule \"{RATE_RULE}\": its weights keep their magnitudes and only the gains move (clipped at 0)"
            );
            ctx.report(o, key, msg, format!("remove {key}"));
        }
    }
    let eta = given(ctx, env, &pl.eta, Dim::Frequency, "eta");
    if let Some(e) = eta.filter(|&e| e <= 0.0) {
        let msg = format!(
            "plasticity.eta must be positive, got {}",
            show(e, Dim::Frequency)
        );
        let hint =
            "eta = \"10 Hz\" (at dt = 1 ms a gain change of 0.01 per step and unit rate error)";
        ctx.report(o, "eta", msg, hint);
    }
    let n = env.target.size;
    let target = ctx.value(
        pl.target.as_ref()?,
        Dim::Dimensionless,
        o,
        "target",
        "plasticity.target",
        Some(n),
    );
    if let Some(t) = &target {
        let (lo, hi) = t.bounds();
        if !(lo >= 0.0 && hi <= 1.0) {
            let msg = format!(
                "plasticity.target must lie in [0, 1] (rates are fractions of the maximal rate), but it spans [{lo}, {hi}]"
            );
            let hint = "target = { dist = \"uniform\", low = 0.1, high = 0.3 }, or clip a normal with min = 0, max = 1";
            ctx.report(o, "target", msg, hint);
        }
    }
    let gain = match &pl.gain {
        None => Some(Distribution::Const(1.0)),
        Some(g) => ctx.value(g, Dim::Dimensionless, o, "gain", "plasticity.gain", Some(n)),
    };
    if let Some(g) = &gain
        && !(g.bounds().0 >= 0.0)
    {
        let msg = format!(
            "plasticity.gain must be at least 0 (a negative gain would flip the weights' sign and break Dale's law), but it reaches {}",
            g.bounds().0
        );
        ctx.report(o, "gain", msg, "gain = 1.0 (balanced)");
    }
    let global = choice(
        ctx,
        env,
        pl.mode.as_deref(),
        "mode",
        "gain homeostasis mode",
        ["per_neuron", "global"],
    )?;
    if let Some(g) = &gain
        && global
        && g.as_const().is_none()
    {
        let msg = "with mode = \"global\" all target neurons share one gain: plasticity.gain must be one number";
        ctx.report(o, "gain", msg, "gain = 1.0");
        return None;
    }
    let (eta, target, gain) = (eta?, target?, gain?);
    let ok = eta > 0.0 && target.bounds().0 >= 0.0 && target.bounds().1 <= 1.0;
    if !ok || !(gain.bounds().0 >= 0.0) || pl.w_max.is_some() || pl.w_min.is_some() {
        return None;
    }
    Some(PlasticRule::GainHomeostasis {
        eta,
        target,
        gain,
        per_neuron: !global,
    })
}
