//! The figures of the `brunel-2000` report.

use std::path::Path;

use ganglion_plot::{Figure, Legend, PALETTE, Panel, Rgb, Series, SeriesKind};

use super::sim::{BIN_MS, DELAY_MS, RASTER_NEURONS, Regime, Run};
use super::{Config, EXAMPLES, NAME};
use crate::{StudyError, report};

fn regime_color(r: Regime) -> Rgb {
    match r {
        Regime::Sr => PALETTE[4],
        Regime::Ai => PALETTE[3],
        Regime::SiFast => PALETTE[5],
        Regime::SiSlow => PALETTE[6],
        Regime::Ar => Rgb(150, 100, 40),
        Regime::Quiescent => Rgb(170, 170, 170),
    }
}

/// Figures: one raster + activity figure per example, the spectra, the
/// phase diagram. Returns the Markdown of each.
pub(super) fn figures(
    dir: &Path,
    cfg: &Config,
    ex: &[Run],
    grid: &[Run],
) -> Result<Vec<String>, StudyError> {
    // Writes a figure as `dir/<stem>.svg` and `.png`; returns its Markdown.
    let save =
        |stem: &str, fig: &Figure, caption: &str| report::figure(NAME, dir, stem, fig, caption);
    let scale = &cfg.examples;
    let mut out = Vec::new();
    for (r, e) in ex.iter().zip(&EXAMPLES) {
        let t_end = if e.regime == Regime::Sr {
            cfg.sr_t_ms
        } else {
            scale.t_ms
        };
        // SR volleys come every 1.5 ms: a short window keeps them apart.
        let show = if e.regime == Regime::Sr { 40.0 } else { 150.0 };
        let show_ms = f64::min(show, t_end - scale.transient_ms);
        let (w0, w1) = (t_end - show_ms, t_end);
        let raster: Vec<(f64, f64)> = r
            .raster
            .iter()
            .filter(|p| p.0 >= w0)
            .map(|&(t, i)| (t, f64::from(i)))
            .collect();
        let activity: Vec<(f64, f64)> = r
            .activity_hz
            .iter()
            .enumerate()
            .map(|(k, &a)| (scale.transient_ms + (k as f64 + 0.5) * BIN_MS, a))
            .filter(|p| p.0 >= w0)
            .collect();
        let top = Panel::new("time [ms]", "neuron")
            .title(format!(
                "{}: g = {}, η = {} — paper: {}; ours: {}",
                e.panel,
                e.g,
                e.eta,
                e.regime.label(),
                r.regime.label()
            ))
            .x_range(w0, w1)
            .y_range(-0.5, f64::from(RASTER_NEURONS) - 0.5)
            .legend(Legend::None)
            .height_weight(2.0)
            .series(
                Series::new("", SeriesKind::Scatter, raster)
                    .color(Rgb(0, 0, 0))
                    .marker_size(1),
            );
        let bottom = Panel::new(
            "time [ms]",
            format!("population activity [Hz], {BIN_MS} ms bins"),
        )
        .x_range(w0, w1)
        .legend(Legend::UpperRight)
        .series(
            Series::new(
                format!(
                    "rate {:.1} Hz, CV {:.2}, synchrony {:.2}, f_peak {:.0} Hz",
                    r.rate_hz, r.cv_isi, r.synchrony, r.f_peak_hz
                ),
                SeriesKind::Line,
                activity,
            )
            .color(regime_color(r.regime))
            .line_width(1),
        );
        let fig = Figure::new(format!(
            "Brunel (2000) Fig. 8{}: {} of {} excitatory neurons and the excitatory population activity",
            e.panel, RASTER_NEURONS, scale.n_e
        ))
        .size(1000, 650)
        .panel(top)
        .panel(bottom);
        out.push(save(
            e.stem,
            &fig,
            &format!(
                "Fig. 8{} ({}, g = {}, η = {}): raster of {} neurons and population activity, last {:.0} ms",
                e.panel,
                e.regime.label(),
                e.g,
                e.eta,
                RASTER_NEURONS,
                show_ms
            ),
        )?);
    }

    // Spectra.
    let mut panel = Panel::new("frequency [Hz]", "power (normalised to peak)")
        .log_y()
        .legend(Legend::LowerLeft);
    for (r, e) in ex.iter().zip(&EXAMPLES) {
        panel = panel.series(
            Series::new(
                format!(
                    "{} {} (peak {:.0} Hz)",
                    e.panel,
                    r.regime.label(),
                    r.f_peak_hz
                ),
                SeriesKind::Line,
                r.spectrum.iter().filter(|p| p.1 > 1e-6).copied().collect(),
            )
            .color(regime_color(e.regime))
            .line_width(1),
        );
    }
    panel = panel.series(
        Series::new(
            format!("1/(4D) = {:.0} Hz", 1000.0 / (4.0 * DELAY_MS)),
            SeriesKind::Dashed,
            vec![
                (1000.0 / (4.0 * DELAY_MS), 1e-6),
                (1000.0 / (4.0 * DELAY_MS), 1.0),
            ],
        )
        .color(Rgb(120, 120, 120))
        .line_width(1),
    );
    let fig = Figure::new("Power spectra of the population activity (Hann-windowed periodogram)")
        .size(1000, 600)
        .panel(panel);
    out.push(save(
        "spectra",
        &fig,
        "power spectra of the excitatory population activity of the four examples",
    )?);

    // Phase diagram.
    let mut panel = Panel::new("relative strength of inhibition g", "ν_ext / ν_thr")
        .x_range(1.5, 8.5)
        .y_range(0.0, 6.8)
        .legend(Legend::UpperLeft);
    for reg in Regime::ALL {
        let pts: Vec<(f64, f64)> = grid
            .iter()
            .filter(|r| r.regime == reg)
            .map(|r| (r.g, r.eta))
            .collect();
        if !pts.is_empty() {
            panel = panel.series(
                Series::new(format!("grid: {}", reg.label()), SeriesKind::Scatter, pts)
                    .color(regime_color(reg))
                    .marker_size(9),
            );
        }
    }
    for (r, e) in ex.iter().zip(&EXAMPLES) {
        panel = panel.series(
            Series::new(
                format!(
                    "Fig. 8{} ({}, paper {})",
                    e.panel,
                    r.regime.label(),
                    e.regime.label()
                ),
                SeriesKind::Scatter,
                vec![(e.g, e.eta)],
            )
            .color(regime_color(r.regime))
            .marker_size(5),
        );
    }
    let grey = Rgb(120, 120, 120);
    panel = panel
        .series(
            Series::new(
                "g = 4: inhibition balances excitation",
                SeriesKind::Dashed,
                vec![(4.0, 0.0), (4.0, 4.3)],
            )
            .color(grey)
            .line_width(1),
        )
        .series(
            Series::new(
                "ν_ext = ν_thr",
                SeriesKind::Dashed,
                vec![(1.5, 1.0), (8.5, 1.0)],
            )
            .color(Rgb(180, 180, 180))
            .line_width(1),
        );
    let title = if grid.is_empty() {
        "Regimes of the Fig. 8 examples (full mode adds the g × η grid)"
    } else {
        "Phase diagram: classified regime over g × ν_ext/ν_thr (large dots: grid, small: Fig. 8 examples)"
    };
    let fig = Figure::new(title).size(900, 650).panel(panel);
    out.push(save(
        "phase_diagram",
        &fig,
        "classified regime for every run; compare with the paper's Fig. 2 (D = 1.5 ms)",
    )?);
    Ok(out)
}
