//! The figures of the `sfq-xor` report.

use std::path::Path;

use ganglion_plot::{Figure, Legend, Panel};

use super::{NAME, P_MAIN, Results, T_P};
use crate::StudyError;
use crate::report;
use crate::stats::mean;

/// Markdown snippets embedding each figure, in report order.
pub(super) struct Figs {
    pub by_t: String,
    pub by_p: String,
}

/// Seed-averaged Monte Carlo margins keyed by `key`.
fn mc_means(points: &[super::McPoint], key: impl Fn(&super::McPoint) -> f64) -> Vec<(f64, f64)> {
    let mut keys: Vec<f64> = points.iter().map(&key).collect();
    keys.sort_by(f64::total_cmp);
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let v: Vec<f64> = points
                .iter()
                .filter(|m| key(m) == k)
                .map(|m| m.margin)
                .collect();
            (k, mean(&v))
        })
        .collect()
}

pub(super) fn figures(dir: &Path, r: &Results) -> Result<Figs, StudyError> {
    let exact: Vec<(f64, f64)> = r.by_t.iter().map(|a| (a.t as f64, a.margin)).collect();
    let first = exact[0];
    let sqrt_ref: Vec<(f64, f64)> = r
        .by_t
        .iter()
        .map(|a| (a.t as f64, first.1 * (a.t as f64 / first.0).sqrt()))
        .collect();
    let panel = Panel::new("pulses per window T (clock cycles)", "margin d′")
        .log_x()
        .log_y()
        .line("exact (binomial)", exact)
        .scatter(
            "Monte Carlo, mean over seeds",
            mc_means(&r.mc_t, |m| m.t as f64),
        )
        .dashed("∝ √T", sqrt_ref)
        .legend(Legend::UpperLeft);
    let by_t = report::figure(
        NAME,
        dir,
        "margin_vs_pulses",
        &Figure::new(format!("XOR margin against pulse count, p = {P_MAIN}")).panel(panel),
        "Classification margin d′ (closest pair of opposite class, pooled SD) against the window length.",
    )?;
    let exact_p: Vec<(f64, f64)> = r
        .by_p
        .iter()
        .filter(|a| a.margin.is_finite() && a.p <= 0.99 + 1e-9)
        .map(|a| (a.p, a.margin))
        .collect();
    let panel = Panel::new("switching probability p", "margin d′")
        .line("exact (binomial)", exact_p)
        .scatter("Monte Carlo, mean over seeds", mc_means(&r.mc_p, |m| m.p))
        .dashed("d′ = 0", vec![(0.3, 0.0), (1.0, 0.0)])
        .legend(Legend::UpperLeft);
    let by_p = report::figure(
        NAME,
        dir,
        "margin_vs_probability",
        &Figure::new(format!(
            "XOR margin against switching probability, T = {T_P}"
        ))
        .panel(panel),
        "Margin against the common switching probability of all synapses (diverges at p = 1, negative below p ≈ 0.45).",
    )?;
    Ok(Figs { by_t, by_p })
}
