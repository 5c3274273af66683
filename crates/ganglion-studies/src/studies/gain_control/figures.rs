//! The figures of the `gain-control` report.

use std::path::Path;

use ganglion_plot::{Figure, Legend, PALETTE, Panel, Series, SeriesKind};

use super::{Experiment, NAME, NeuronRow};
use crate::StudyError;
use crate::report;

/// Markdown snippets embedding each figure, in report order.
pub(super) struct Figs {
    pub gains: String,
    pub tuning: String,
    pub effects: String,
}

/// Points `(offset, f(row))`, sorted by offset.
fn by_offset(rows: &[NeuronRow], f: impl Fn(&NeuronRow) -> f64) -> Vec<(f64, f64)> {
    let mut p: Vec<(f64, f64)> = rows.iter().map(|r| (r.offset_deg, f(r))).collect();
    p.sort_by(|a, b| a.0.total_cmp(&b.0));
    p
}

pub(super) fn figures(
    dir: &Path,
    main: &Experiment,
    control: &Experiment,
) -> Result<Figs, StudyError> {
    let gains = Panel::new("preferred − adaptor orientation [deg]", "gain")
        .line(
            "recurrent, unadapted (uniform ensemble)",
            by_offset(&main.rows, |r| r.gain_unadapted),
        )
        .line(
            "recurrent, adapted (biased ensemble)",
            by_offset(&main.rows, |r| r.gain_adapted),
        )
        .dashed(
            "no recurrence, unadapted",
            by_offset(&control.rows, |r| r.gain_unadapted),
        )
        .dashed(
            "no recurrence, adapted",
            by_offset(&control.rows, |r| r.gain_adapted),
        )
        .legend(Legend::LowerRight);
    let gains = report::figure(
        NAME,
        dir,
        "gains",
        &Figure::new("Optimised gains before and after adaptation to 0°").panel(gains),
        "Optimised single-neuron gains against preferred orientation relative to the adaptor (0°).",
    )?;

    let n = main.rows.len();
    let (t_u, t_b) = &main.curves;
    let mut tuning = Panel::new("stimulus orientation − adaptor [deg]", "steady-state rate")
        .legend(Legend::UpperRight);
    for (c, k) in [n / 16, n / 8, n / 4].into_iter().enumerate() {
        let curve = |t: &[f64]| {
            let mut p: Vec<(f64, f64)> = main
                .grid
                .iter()
                .enumerate()
                .map(|(j, s)| {
                    let d = ganglion_analysis::gain_control::wrap_orientation(*s).to_degrees();
                    (d, t[j * n + k])
                })
                .collect();
            p.sort_by(|a, b| a.0.total_cmp(&b.0));
            p
        };
        let color = PALETTE[(c + 1) % PALETTE.len()];
        let label = format!("{:.1}°", main.rows[k].offset_deg);
        tuning = tuning
            .series(
                Series::new(format!("{label} unadapted"), SeriesKind::Dashed, curve(t_u))
                    .color(color),
            )
            .series(
                Series::new(format!("{label} adapted"), SeriesKind::Line, curve(t_b)).color(color),
            );
    }
    let tuning = report::figure(
        NAME,
        dir,
        "tuning",
        &Figure::new("Tuning curves of neurons preferring orientations near the adaptor")
            .panel(tuning),
        "Tuning curves (biased-ensemble adaptation) of three neurons on one side of the adaptor: dashed unadapted, solid adapted.",
    )?;

    let shifts = Panel::new(
        "preferred − adaptor orientation [deg]",
        "preference shift [deg]",
    )
    .line("vector mean", by_offset(&main.rows, |r| r.shift_vector_deg))
    .scatter(
        "interpolated peak",
        by_offset(&main.rows, |r| r.shift_peak_deg),
    )
    .dashed(
        "no recurrence",
        by_offset(&control.rows, |r| r.shift_vector_deg),
    )
    .legend(Legend::UpperRight);
    let rates = Panel::new(
        "preferred − adaptor orientation [deg]",
        "mean rate, biased ensemble",
    )
    .line(
        "unadapted gains",
        by_offset(&main.rows, |r| r.rate_unadapted),
    )
    .line("adapted gains", by_offset(&main.rows, |r| r.rate_adapted))
    .legend(Legend::UpperRight);
    let corr = Panel::new(
        "preferred − adaptor orientation [deg]",
        "correlation with next neuron",
    )
    .line(
        "unadapted gains",
        by_offset(&main.rows, |r| r.next_corr_unadapted),
    )
    .line(
        "adapted gains",
        by_offset(&main.rows, |r| r.next_corr_adapted),
    )
    .legend(Legend::LowerRight);
    let effects = report::figure(
        NAME,
        dir,
        "effects",
        &Figure::new("Repulsion, homeostasis and decorrelation")
            .size(900, 1000)
            .panel(shifts)
            .panel(rates)
            .panel(corr),
        "Top: shift of each neuron's preference (positive offset and positive shift = away from the adaptor). Middle: mean rates on the biased ensemble. Bottom: stimulus-driven correlation of each neuron with its ring neighbour.",
    )?;
    Ok(Figs {
        gains,
        tuning,
        effects,
    })
}
