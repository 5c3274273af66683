//! Figures of the `pavlovian-attention` report.

use std::path::Path;

use ganglion_plot::{Figure, Legend, PALETTE, Panel, Rgb, Series, SeriesKind};

use super::blocking::BlockingRun;
use super::capacity::{self, AVG_THRESHOLD, WORST_THRESHOLD};
use super::layer::Rule;
use super::{Config, Job, NAME};
use crate::{StudyError, report, stats};

const GREY: Rgb = Rgb(120, 120, 120);

/// A grey dashed guide line (theory or threshold) through `points`.
fn guide(name: &str, points: Vec<(f64, f64)>) -> Series {
    Series::new(name, SeriesKind::Dashed, points)
        .color(GREY)
        .line_width(1)
}

/// A thin curve of the `k`-th layer of a seed (by `d_k`), in that layer's colour.
fn layer_curve(
    name: impl Into<String>,
    kind: SeriesKind,
    k: usize,
    points: Vec<(f64, f64)>,
) -> Series {
    Series::new(name, kind, points)
        .color(PALETTE[(k + 1) % PALETTE.len()])
        .line_width(1)
}

/// Mean over seeds of `f` for the layers of one rule and `d_k`.
pub(super) fn mean_over_seeds(jobs: &[Job], rule: Rule, d: usize, f: impl Fn(&Job) -> f64) -> f64 {
    let v: Vec<f64> = jobs
        .iter()
        .filter(|j| j.rule == rule && j.d_k == d)
        .map(f)
        .collect();
    stats::mean(&v)
}

/// Markdown of each figure: capacity, retrieval, training, blocking.
pub(super) fn figures(
    dir: &Path,
    cfg: &Config,
    jobs: &[Job],
    block: &[BlockingRun],
    delta_theory: f64,
) -> Result<Vec<String>, StudyError> {
    // Writes a figure as `dir/<stem>.svg` and `.png`; returns its Markdown.
    let save =
        |stem: &str, fig: &Figure, caption: &str| report::figure(NAME, dir, stem, fig, caption);
    let dims = &cfg.dims;
    let (d_lo, d_hi) = (
        dims[0] as f64 * 0.8,
        *dims.last().unwrap_or(&64) as f64 * 1.25,
    );
    let line = |f: &dyn Fn(f64) -> f64| -> Vec<(f64, f64)> {
        (0..=30)
            .map(|i| d_lo * (d_hi / d_lo).powf(f64::from(i) / 30.0))
            .map(|d| (d, f(d)))
            .collect()
    };
    let measured = |rule: Rule, f: &dyn Fn(&Job) -> f64| -> Vec<(f64, f64)> {
        dims.iter()
            .map(|&d| (d as f64, mean_over_seeds(jobs, rule, d, f)))
            .collect()
    };
    let z2 = capacity::z99() * capacity::z99();
    let mut panel = Panel::new("key dimension d_k", "capacity N* − 1 (interfering pairs)")
        .log_x()
        .log_y()
        .legend(Legend::UpperLeft);
    for (k, (label, rule, pick, theory)) in [
        (
            "Hebbian, random US",
            Rule::Hebbian,
            (|j: &Job| j.n_star_avg - 1.0) as fn(&Job) -> f64,
            (|j: &Job| j.n_star_avg_theory - 1.0) as fn(&Job) -> f64,
        ),
        (
            "delta, random US",
            Rule::Delta,
            |j| j.n_star_avg - 1.0,
            |j| j.n_star_avg_theory - 1.0,
        ),
        (
            "Hebbian, adversarial US",
            Rule::Hebbian,
            |j| j.n_star_worst - 1.0,
            |j| j.n_star_worst_theory - 1.0,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let color = PALETTE[[5, 2, 4][k]];
        panel = panel
            .series(
                Series::new(label, SeriesKind::Scatter, measured(rule, &pick))
                    .color(color)
                    .marker_size(6),
            )
            .series(
                Series::new(
                    if k == 0 {
                        "theory, measured crosstalk"
                    } else {
                        ""
                    },
                    SeriesKind::Line,
                    measured(rule, &theory),
                )
                .color(color)
                .line_width(1),
            );
    }
    panel = panel
        .series(guide("random keys: d_k / z²", line(&|d| d / z2)))
        .series(guide(
            "random keys: √(π d_k / 2)",
            line(&|d| (std::f64::consts::PI * d / 2.0).sqrt()),
        ));
    let fig = Figure::new("Capacity of trained linear-attention layers (mean over seeds)")
        .size(900, 650)
        .panel(panel);
    let cap = save(
        "capacity",
        &fig,
        "capacity versus key dimension, log-log: dots measured, solid lines the Gaussian theory with each layer's measured crosstalk, dashed the random-key laws (slopes 1 and 1/2)",
    )?;

    // Retrieval curves of seed 0.
    let seed0 = |rule: Rule| jobs.iter().filter(move |j| j.seed == 0 && j.rule == rule);
    let mut top = Panel::new("(N − 1) / d_k", "bit accuracy")
        .title("random US: Hebbian (solid) and delta (dashed)")
        .legend(Legend::LowerLeft);
    for (rule, kind) in [
        (Rule::Hebbian, SeriesKind::Line),
        (Rule::Delta, SeriesKind::Dashed),
    ] {
        for (k, j) in seed0(rule).enumerate() {
            top = top.series(layer_curve(
                if rule == Rule::Hebbian {
                    format!("d_k = {}", j.d_k)
                } else {
                    String::new()
                },
                kind,
                k,
                (2..j.curve_avg.len())
                    .map(|n| ((n - 1) as f64 / j.d_k as f64, j.curve_avg[n]))
                    .collect(),
            ));
        }
    }
    top = top.series(guide(
        "99 %",
        vec![(0.0, AVG_THRESHOLD), (0.7, AVG_THRESHOLD)],
    ));
    let mut bottom = Panel::new("(N − 1) / √d_k", "queries surviving adversarial US")
        .title("adversarial US, Hebbian")
        .legend(Legend::LowerLeft);
    for (k, j) in seed0(Rule::Hebbian).enumerate() {
        let sq = (j.d_k as f64).sqrt();
        bottom = bottom.series(layer_curve(
            format!("d_k = {}", j.d_k),
            SeriesKind::Line,
            k,
            (2..j.curve_worst.len())
                .map(|n| ((n - 1) as f64 / sq, j.curve_worst[n]))
                .collect(),
        ));
    }
    bottom = bottom.series(guide(
        "50 %",
        vec![(0.0, WORST_THRESHOLD), (2.6, WORST_THRESHOLD)],
    ));
    let fig =
        Figure::new("Retrieval versus stored pairs, rescaled by the predicted capacity (seed 0)")
            .size(900, 950)
            .panel(top)
            .panel(bottom);
    let retrieval = save(
        "retrieval",
        &fig,
        "retrieval curves collapse when N is rescaled by d_k (random US) and by √d_k (adversarial US)",
    )?;

    // Training.
    let mut panel = Panel::new(
        "training step",
        "loss (mean squared error per US coordinate)",
    )
    .log_y()
    .legend(Legend::UpperRight);
    for (rule, kind) in [
        (Rule::Hebbian, SeriesKind::Line),
        (Rule::Delta, SeriesKind::Dashed),
    ] {
        for (k, j) in seed0(rule).enumerate() {
            panel = panel.series(layer_curve(
                format!("{} d_k = {}", rule.label(), j.d_k),
                kind,
                k,
                j.training.iter().map(|p| (p.step as f64, p.loss)).collect(),
            ));
        }
    }
    let fig = Figure::new("Training the projections by gradient descent (seed 0)")
        .size(900, 600)
        .panel(panel);
    let training = save(
        "training",
        &fig,
        "training loss of every seed-0 layer (solid Hebbian, dashed delta)",
    )?;

    // Blocking.
    let mut panel = Panel::new(
        "stimulus set",
        "blocking index 1 − r_B(blocking) / r_B(control)",
    )
    .legend(Legend::LowerRight);
    let sets = block.iter().map(|b| b.set).max().unwrap_or(0) as f64;
    for (k, (rule, theory)) in [(Rule::Hebbian, 0.0), (Rule::Delta, delta_theory)]
        .into_iter()
        .enumerate()
    {
        let color = PALETTE[[5, 2][k]];
        panel = panel
            .series(
                Series::new(
                    rule.label(),
                    SeriesKind::Scatter,
                    block
                        .iter()
                        .filter(|b| b.rule == rule.label())
                        .map(|b| (b.set as f64, b.index))
                        .collect(),
                )
                .color(color)
                .marker_size(5),
            )
            .series(
                Series::new(
                    format!("{} theory", rule.label()),
                    SeriesKind::Dashed,
                    vec![(0.0, theory), (sets, theory)],
                )
                .color(color)
                .line_width(1),
            );
    }
    let fig = Figure::new("Kamin blocking by the trained layers")
        .size(800, 550)
        .panel(panel);
    let blocking = save(
        "blocking",
        &fig,
        "blocking index per stimulus set; dashed: Hebbian 0, delta the Rescorla–Wagner prediction at the learned β",
    )?;
    Ok(vec![cap, retrieval, training, blocking])
}
