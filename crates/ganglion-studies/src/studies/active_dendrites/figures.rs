//! The figures of the `active-dendrites` report.

use std::path::Path;

use ganglion_plot::{Figure, Legend, PALETTE, Panel, Rgb, Series, SeriesKind};

use super::paper_data as pd;
use super::tables::{McRow, Row, Tables};
use super::{NAME, math};
use crate::StudyError;
use crate::report;

/// Markdown snippets embedding each figure, in report order.
pub(super) struct Figs {
    pub effect_n: String,
    pub effect_s: String,
    pub noise: String,
    pub unions: String,
    pub mc: String,
}

fn pts(
    rows: &[Row],
    table: &str,
    x: impl Fn(&Row) -> f64,
    y: impl Fn(&Row) -> Option<f64>,
) -> Vec<(f64, f64)> {
    rows.iter()
        .filter(|r| r.table == table)
        .filter_map(|r| y(r).map(|v| (x(r), v)))
        .collect()
}

const RED: Rgb = Rgb(200, 30, 30);
const GREY: Rgb = Rgb(90, 90, 90);

/// The paper's simulated values as black dots of `px` pixels.
fn paper_dots(name: &str, points: Vec<(f64, f64)>, px: u32) -> Series {
    Series::new(name, SeriesKind::Scatter, points)
        .color(Rgb(0, 0, 0))
        .marker_size(px)
}

/// Our simulated values as red dots of `px` pixels.
fn our_dots(name: &str, points: Vec<(f64, f64)>, px: u32) -> Series {
    Series::new(name, SeriesKind::Scatter, points)
        .color(RED)
        .marker_size(px)
}

/// Our P_FP curves `curves` of `rows` against `x` (the fourth dashed, named without
/// `prefix`), then the paper's script values of all of them as grey dots (every
/// `every`-th point).
fn ours_and_paper(
    mut panel: Panel,
    rows: &[Row],
    curves: &[&str],
    prefix: &str,
    x: impl Fn(&Row) -> f64 + Copy,
    every: usize,
) -> Panel {
    for (k, t) in curves.iter().enumerate() {
        let name = t.trim_start_matches(prefix);
        let kind = if k == 3 {
            SeriesKind::Dashed
        } else {
            SeriesKind::Line
        };
        panel = panel
            .series(Series::new(name, kind, pts(rows, t, x, |r| r.p_fp)).color(PALETTE[k + 1]));
    }
    let paper: Vec<(f64, f64)> = curves
        .iter()
        .flat_map(|t| pts(rows, t, x, |r| r.paper))
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(_, p)| p)
        .collect();
    panel.series(
        Series::new("paper (script values)", SeriesKind::Scatter, paper)
            .color(GREY)
            .marker_size(3),
    )
}

pub(super) fn figures(dir: &Path, t: &Tables, mc_rows: &[McRow]) -> Result<Figs, StudyError> {
    // Writes a figure as `dir/<stem>.svg` and `.png`; returns its Markdown.
    let save =
        |stem: &str, fig: &Figure, caption: &str| report::figure(NAME, dir, stem, fig, caption);
    let (effect_n, effect_s, noise) = (&t.effect_n, &t.effect_s, &t.noise);

    // Effect of n.
    let mut panel = Panel::new("cell population size n", "P(false positive)")
        .log_y()
        .legend(Legend::UpperRight);
    let curves = [
        "effect_of_n a=64",
        "effect_of_n a=128",
        "effect_of_n a=256",
        "effect_of_n a=n/4",
    ];
    panel = ours_and_paper(
        panel,
        effect_n,
        &curves,
        "effect_of_n ",
        |r| r.pt.n.unwrap_or(0) as f64,
        6,
    );
    let fp_mc: Vec<&McRow> = mc_rows
        .iter()
        .filter(|r| r.kind == "false_positive")
        .collect();
    panel = panel
        .series(paper_dots(
            "paper simulation",
            fp_mc
                .iter()
                .filter_map(|r| r.paper_simulated.map(|p| (r.pt.n.unwrap_or(0) as f64, p)))
                .collect(),
            6,
        ))
        .series(our_dots(
            "our simulation",
            fp_mc
                .iter()
                .map(|r| (r.pt.n.unwrap_or(0) as f64, r.p_mc))
                .collect(),
            4,
        ));
    let fig = Figure::new("Effect of n on false positives (s = 24, θ = 12)")
        .size(900, 620)
        .panel(panel);
    let effect_n_md = save(
        "effect_of_n",
        &fig,
        "P_FP versus n for a = 64, 128, 256 and a = n/4 (s = 24, θ = 12); lines ours, grey dots the authors' script values, black/red dots their and our simulations",
    )?;

    // Effect of s.
    let mut panel = Panel::new("synapses on segment s (θ = ⌊s/2⌋)", "P(false positive)")
        .log_y()
        .legend(Legend::LowerLeft);
    let curves = [
        "effect_of_s a=32 n=2000",
        "effect_of_s a=32 n=4000",
        "effect_of_s a=512 n=16000",
        "effect_of_s a=4000 n=16000",
        "subsample n=10000 a=300",
    ];
    panel = ours_and_paper(
        panel,
        effect_s,
        &curves,
        "effect_of_s ",
        |r| r.pt.s as f64,
        1,
    );
    let fig = Figure::new("Effect of the number of synapses s")
        .size(900, 620)
        .panel(panel);
    let effect_s_md = save(
        "effect_of_s",
        &fig,
        "P_FP versus s with θ = s/2 for the populations of the paper's figure and the notebook's n = 10000, a = 300 sweep",
    )?;

    // Noise.
    let mut panel = Panel::new(
        "noise (fraction of the a = 128 active cells replaced)",
        "P(false negative)",
    )
    .log_y()
    .y_range(1e-10, 1.5)
    .legend(Legend::LowerRight);
    let fn_mc: Vec<&McRow> = mc_rows
        .iter()
        .filter(|r| r.kind == "false_negative")
        .collect();
    for (k, theta) in [8u64, 12, 16].iter().enumerate() {
        let line: Vec<(f64, f64)> = (1..=110u64)
            .map(|v| (v as f64 / 128.0, math::p_false_negative(128, 30, *theta, v)))
            .collect();
        panel = panel.series(
            Series::new(format!("θ = {theta}"), SeriesKind::Line, line).color(PALETTE[k + 1]),
        );
        let paper_sim: Vec<(f64, f64)> = noise
            .iter()
            .filter(|r| r.pt.theta == *theta)
            .zip(match theta {
                8 => &pd::NOISE_SIMULATED_THETA8,
                12 => &pd::NOISE_SIMULATED_THETA12,
                _ => &pd::NOISE_SIMULATED_THETA16,
            })
            .map(|(r, &sim)| (r.pt.noise, sim))
            .collect();
        panel = panel.series(paper_dots(
            if k == 0 { "paper simulation" } else { "" },
            paper_sim,
            5,
        ));
        panel = panel.series(our_dots(
            if k == 0 { "our simulation" } else { "" },
            fn_mc
                .iter()
                .filter(|r| r.pt.theta == *theta)
                .map(|r| (r.pt.noise, r.p_mc))
                .collect(),
            3,
        ));
    }
    let fig = Figure::new("Robustness to noise (a = 128, s = 30)")
        .size(900, 620)
        .panel(panel);
    let noise_md = save(
        "noise",
        &fig,
        "P_FN versus the fraction of active cells replaced, θ = 8, 12, 16; lines ours, dots simulations",
    )?;

    // Unions.
    let top = union_panel(
        Panel::new("patterns stored on the segment M", "P(false positive)")
            .title("segment stores M patterns (a = 200, s = 25 each, θ = 15)"),
        &t.union_seg,
        &[1000, 10_000, 20_000],
        mc_rows,
        "union_segment",
    );
    let bottom = union_panel(
        Panel::new("patterns in the input union M", "P(false positive)")
            .title("input is a union of M patterns (a = 30 each, s = 20, θ = 10)"),
        &t.union_in,
        &[1000, 4000, 8000],
        mc_rows,
        "union_input",
    );
    let fig = Figure::new("Unions of patterns")
        .size(900, 1000)
        .panel(top)
        .panel(bottom);
    let unions_md = save(
        "unions",
        &fig,
        "P_FP versus the number of patterns in a union; solid: the paper's expected-size formula, dashed: averaged over the exact union-size distribution, dots: our simulation",
    )?;

    // Simulation vs formula.
    let mut panel = Panel::new("formula", "simulated frequency")
        .log_x()
        .log_y()
        .legend(Legend::UpperLeft);
    let lo = mc_rows
        .iter()
        .map(|r| r.p_fp.or(r.p_fn).unwrap_or(1.0))
        .fold(1.0, f64::min);
    panel = panel.series(
        Series::new(
            "identity",
            SeriesKind::Dashed,
            vec![(lo * 0.5, lo * 0.5), (1.0, 1.0)],
        )
        .color(GREY)
        .line_width(1),
    );
    for (k, kind) in [
        "false_positive",
        "false_negative",
        "union_segment",
        "union_input",
    ]
    .iter()
    .enumerate()
    {
        panel = panel.series(
            Series::new(
                kind.replace('_', " "),
                SeriesKind::Scatter,
                mc_rows
                    .iter()
                    .filter(|r| r.kind == *kind)
                    .map(|r| (r.p_fp.or(r.p_fn).unwrap_or(f64::NAN), r.p_mc))
                    .collect(),
            )
            .color(PALETTE[k + 1])
            .marker_size(5),
        );
    }
    let fig = Figure::new("Monte-Carlo simulation versus closed form")
        .size(700, 650)
        .panel(panel);
    let mc_md = save(
        "mc_vs_formula",
        &fig,
        "simulated frequency versus formula for every simulated point",
    )?;

    Ok(Figs {
        effect_n: effect_n_md,
        effect_s: effect_s_md,
        noise: noise_md,
        unions: unions_md,
        mc: mc_md,
    })
}

/// One panel of the unions figure: per `n` the paper's expected-size formula
/// (solid) and the exact union-size average (dashed), and our simulation.
fn union_panel(panel: Panel, rows: &[Row], ns: &[u64], mc_rows: &[McRow], kind: &str) -> Panel {
    let mut panel = panel.log_y().legend(Legend::LowerRight);
    let by_m = |r: &Row, p: Option<f64>| p.map(|p| (r.pt.m.unwrap_or(0) as f64, p));
    for (k, n) in ns.iter().enumerate() {
        let rows: Vec<&Row> = rows.iter().filter(|r| r.pt.n == Some(*n)).collect();
        panel = panel
            .series(
                Series::new(
                    format!("n = {n}"),
                    SeriesKind::Line,
                    rows.iter().filter_map(|r| by_m(r, r.p_fp)).collect(),
                )
                .color(PALETTE[k + 1]),
            )
            .series(
                Series::new(
                    if k == 0 { "exact union size" } else { "" },
                    SeriesKind::Dashed,
                    rows.iter()
                        .filter_map(|r| by_m(r, r.p_fp_exact_union))
                        .collect(),
                )
                .color(PALETTE[k + 1])
                .line_width(1),
            );
    }
    panel.series(our_dots(
        "our simulation",
        mc_rows
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| (r.pt.m.unwrap_or(0) as f64, r.p_mc))
            .collect(),
        4,
    ))
}
