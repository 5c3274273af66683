//! Figures of the `adaptive-ei-reservoir` report.

use std::path::Path;

use ganglion_plot::{Figure, Legend, PALETTE, Panel, Rgb, Series, SeriesKind};

use super::experiment::SeedRun;
use super::{Config, NAME, SweepRow};
use crate::{StudyError, report, stats};

const GREY: Rgb = Rgb(120, 120, 120);

/// Markdown of each figure: the E/I sweep per task, and the homeostatic fixed point.
pub(super) fn figures(
    dir: &Path,
    cfg: &Config,
    runs: &[SeedRun],
    sweep: &[SweepRow],
) -> Result<Vec<String>, StudyError> {
    let mut fig = Figure::new("Performance across the E/I balance β (mean over seeds)")
        .size(900, 300 * cfg.tasks.len() as u32);
    for &task in &cfg.tasks {
        let rows: Vec<&SweepRow> = sweep.iter().filter(|r| r.task == task).collect();
        let pts = |f: &dyn Fn(&SweepRow) -> f64| rows.iter().map(|r| (r.beta, f(r))).collect();
        // The grid-tuned shared gain's test metric, mean over seeds.
        let tuned = stats::mean(
            &runs
                .iter()
                .filter(|r| r.task == task)
                .map(|r| task.metric_of(r.tuned(&cfg.betas)))
                .collect::<Vec<_>>(),
        );
        let (lo, hi) = (cfg.betas[0], cfg.betas[cfg.betas.len() - 1]);
        let mut panel = Panel::new(
            "E/I balance β (initial inhibitory gain)",
            format!("{} ({})", task.label(), task.metric()),
        )
        .log_x()
        .legend(if task.metric() == "MC" {
            Legend::LowerRight
        } else {
            Legend::UpperRight
        });
        if task.metric() == "NRMSE" {
            panel = panel.log_y();
        }
        panel = panel
            .series(
                Series::new(
                    "fixed gains g_i = β",
                    SeriesKind::LineMarkers,
                    pts(&|r| r.fixed_metric),
                )
                .color(PALETTE[0]),
            )
            .series(
                Series::new(
                    "per-neuron adaptation from β",
                    SeriesKind::LineMarkers,
                    pts(&|r| r.adapted_metric),
                )
                .color(PALETTE[1]),
            )
            .series(
                Series::new(
                    "grid-tuned shared gain",
                    SeriesKind::Dashed,
                    vec![(lo, tuned), (hi, tuned)],
                )
                .color(GREY)
                .line_width(1),
            );
        fig = fig.panel(panel);
    }
    let sweep_md = report::figure(
        NAME,
        dir,
        "ei_sweep",
        &fig,
        "Test performance of the fixed reservoir (all gains = β) and of the reservoir adapted by the per-neuron rule starting from β, per task; dashed: the shared gain tuned on validation data",
    )?;
    // Homeostatic fixed point, first seed of the first task: rate vs own target, and the gains.
    let first = &runs[0];
    let pts: Vec<(f64, f64)> = first
        .unit_targets
        .iter()
        .zip(&first.unit_rates)
        .map(|(&t, &r)| (t, r))
        .collect();
    let (lo, hi) = (cfg.target_low, cfg.target_high);
    let panel = Panel::new("target rate r*_i", "time-averaged test rate ⟨r_i⟩")
        .legend(Legend::UpperLeft)
        .series(
            Series::new("units (adapted from β = 1)", SeriesKind::Scatter, pts)
                .color(PALETTE[1])
                .marker_size(3),
        )
        .series(
            Series::new("⟨r_i⟩ = r*_i", SeriesKind::Dashed, vec![(lo, lo), (hi, hi)])
                .color(GREY)
                .line_width(1),
        );
    let home = Figure::new(format!(
        "Each unit reaches its own target ({}, first seed)",
        first.task.label()
    ))
    .size(600, 450)
    .panel(panel);
    let home_md = report::figure(
        NAME,
        dir,
        "homeostasis",
        &home,
        "Time-averaged rate of every unit on held-out input after adaptation, against its own target rate",
    )?;
    Ok(vec![sweep_md, home_md])
}
