//! Figures of the `what-when-reservoir` report.

use std::path::Path;

use ganglion_plot::{Figure, Legend, PALETTE, Panel, Rgb, Series, SeriesKind};

use super::experiment::{EXPERIMENTS, READOUTS, SeedResult};
use super::task::Phase;
use super::{NAME, Settings, mean_profiles, pick};
use crate::{StudyError, report, stats};

const GREY: Rgb = Rgb(120, 120, 120);

fn ideal(ph: &Phase, c: usize, set: &Settings, bins: usize) -> Vec<(f64, f64)> {
    let l = &set.layout;
    (0..bins)
        .map(|b| {
            let t = (b + 1) as f64 * l.bin_ms;
            let s = t - ph.delay_ms[c];
            (
                t,
                ph.prob[c] * (-s * s / (2.0 * l.sigma_ms * l.sigma_ms)).exp(),
            )
        })
        .collect()
}

/// Markdown of each figure: profiles, errors over trials, amplitude against probability.
pub(super) fn figures(
    dir: &Path,
    set: &Settings,
    seeds: &[SeedResult],
) -> Result<Vec<String>, StudyError> {
    let save =
        |stem: &str, fig: &Figure, caption: &str| report::figure(NAME, dir, stem, fig, caption);
    let mut out = Vec::new();
    let bin = set.layout.bin_ms;

    // 1. Cue-aligned outputs of the three-factor readout, each experiment and phase.
    let mut fig = Figure::new(
        "Three-factor readout after each cue (mean of the last trials of each phase, all seeds)",
    )
    .size(1000, 800);
    for (e, phases) in [
        (EXPERIMENTS[0], [set.phase1, set.timing_change]),
        (EXPERIMENTS[1], [set.phase1, set.prob_change]),
    ] {
        let m = mean_profiles(seeds, e, READOUTS[0]);
        for (ph, phase) in phases.iter().enumerate() {
            let title = format!(
                "{e} experiment, {} the change",
                if ph == 0 { "before" } else { "after" }
            );
            let mut p = Panel::new("time after cue onset (ms)", "readout output")
                .title(title)
                .legend(Legend::UpperRight)
                .y_range(-0.2, 1.1);
            for c in 0..2 {
                let bins = m[ph][c][c].len();
                let pts: Vec<(f64, f64)> = m[ph][c][c]
                    .iter()
                    .enumerate()
                    .map(|(b, &v)| ((b + 1) as f64 * bin, v))
                    .collect();
                p = p.series(
                    Series::new(format!("event {c} after cue {c}"), SeriesKind::Line, pts)
                        .color(PALETTE[c]),
                );
                let other: Vec<(f64, f64)> = m[ph][c][1 - c]
                    .iter()
                    .enumerate()
                    .map(|(b, &v)| ((b + 1) as f64 * bin, v))
                    .collect();
                p = p.series(
                    Series::new(
                        format!("event {} after cue {c}", 1 - c),
                        SeriesKind::Line,
                        other,
                    )
                    .color(PALETTE[c + 2])
                    .line_width(1),
                );
                p = p.series(
                    Series::new(
                        if c == 0 { "ideal p·bump" } else { "" },
                        SeriesKind::Dashed,
                        ideal(phase, c, set, bins),
                    )
                    .color(GREY)
                    .line_width(1),
                );
            }
            fig = fig.panel(p);
        }
    }
    out.push(save(
        "profiles",
        &fig,
        "Cue-aligned output of the three-factor readout (solid: the cue's own event; thin: the other event's readout) against the ideal prediction p·bump (dashed)",
    )?);

    // 2. Error per trial (mean over seeds, 10-trial running mean) for the three readouts.
    let mut fig =
        Figure::new("Prediction error over trials (mean over seeds; change at the dotted line)")
            .size(1000, 700);
    for e in EXPERIMENTS {
        let mut p = Panel::new("trial", "squared error vs p·bump (10-trial mean)")
            .title(format!("{e} change"))
            .log_y()
            .legend(Legend::UpperRight);
        let mut top = 0.0f64;
        for (k, r) in READOUTS.iter().enumerate() {
            let rs = pick(seeds, e, r);
            let n = rs[0].trial_error.len();
            let mean: Vec<f64> = (0..n)
                .map(|i| {
                    stats::mean(
                        &rs.iter()
                            .map(|x| x.trial_error[i])
                            .filter(|v| v.is_finite())
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            let w = set.readapt_window;
            let pts: Vec<(f64, f64)> = (0..n.saturating_sub(w))
                .map(|i| (i as f64, stats::mean(&mean[i..i + w])))
                .collect();
            top = pts.iter().map(|p| p.1).fold(top, f64::max);
            p = p.series(Series::new(*r, SeriesKind::Line, pts).color(PALETTE[k]));
        }
        let x = set.trials_per_phase as f64;
        p = p.series(
            Series::new("", SeriesKind::Dashed, vec![(x, 1e-4), (x, top.max(1e-3))])
                .color(GREY)
                .line_width(1),
        );
        fig = fig.panel(p);
    }
    out.push(save(
        "errors",
        &fig,
        "Squared deviation of each readout's prediction from the ideal p·bump per trial: three-factor (never reset), FORCE without reset, FORCE with its P reset at the change",
    )?);

    // 3. Amplitude against probability.
    let mut p = Panel::new("event probability p", "peak readout amplitude")
        .legend(Legend::UpperLeft)
        .x_range(0.0, 1.0)
        .y_range(0.0, 1.1);
    let ps = [set.phase1.prob, set.prob_change.prob];
    for (k, r) in READOUTS.iter().enumerate() {
        let pts: Vec<(f64, f64)> = pick(seeds, EXPERIMENTS[1], r)
            .iter()
            .flat_map(|x| {
                (0..2).flat_map(move |ph| (0..2).map(move |c| (ps[ph][c], x.amplitude[ph][c])))
            })
            .collect();
        p = p.series(Series::new(*r, SeriesKind::Scatter, pts).color(PALETTE[k]));
    }
    p = p.series(
        Series::new(
            "amplitude = p",
            SeriesKind::Dashed,
            vec![(0.0, 0.0), (1.0, 1.0)],
        )
        .color(GREY)
        .line_width(1),
    );
    out.push(save(
        "amplitude",
        &Figure::new("Peak amplitude against event probability (probability experiment, both phases, all seeds)").panel(p),
        "Peak of the cue-aligned mean output against the event's probability; the dashed line is the squared-loss optimum",
    )?);
    Ok(out)
}
