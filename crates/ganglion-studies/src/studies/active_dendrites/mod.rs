//! Study `active-dendrites`: Ahmad & Hawkins (2016), "How do neurons operate
//! on sparse distributed representations? A mathematical theory of sparsity,
//! neurons and active dendrites" (arXiv:1601.00720).
//!
//! Reproduces the paper's closed-form false-positive / false-negative
//! probabilities of a dendritic segment, its Table 1 and the figures on the
//! effect of `n`, of `s`, of noise and of unions, with every number the
//! authors published in their scripts beside ours, an exact big-integer
//! evaluation of every integer-parameter row, and a Monte-Carlo simulation of
//! segments where the probabilities are measurable.
//!
//! The formulas are public in [`math`] (log domain) and [`exact`] (big
//! integers); the simulator is [`mc`].

pub mod exact;
pub mod math;
pub mod mc;
mod paper_data;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use ganglion_plot::{Figure, Legend, PALETTE, Panel, Rgb, Series, SeriesKind};
use serde::Serialize;

use crate::report::{self, Table, sci};
use crate::{Check, Error, Mode, Study, StudyInfo, StudyOutput};
use paper_data as pd;

/// The `active-dendrites` study (see the module docs).
pub struct ActiveDendrites;

const NAME: &str = "active-dendrites";
const SEED: u64 = 2016;

/// One row of any formula table, as written to `metrics.json`.
#[derive(Debug, Clone, Serialize)]
struct Row {
    /// Which table or figure the row belongs to.
    table: &'static str,
    /// Population size (null for noise rows: P_FN does not depend on n).
    n: Option<u64>,
    /// Active cells per pattern.
    a: u64,
    /// Synapses on the segment (per stored pattern for union rows).
    s: u64,
    /// NMDA threshold θ.
    theta: u64,
    /// Number of patterns (Table 1D: patterns on the segment; unions: M).
    m: Option<u64>,
    /// Fraction of the `a` active cells replaced by noise.
    noise: f64,
    /// Number of replaced active cells.
    noise_bits: u64,
    /// Union rows: the effective a or s the paper's formula uses.
    a_effective: Option<f64>,
    s_effective: Option<u64>,
    /// Our false-positive probability (log-domain formula).
    p_fp: Option<f64>,
    /// Our false-negative probability.
    p_fn: Option<f64>,
    /// Same quantity as an exact big-integer ratio (where computed).
    exact: Option<f64>,
    /// Union rows: averaged over the exact union-size distribution.
    p_fp_exact_union: Option<f64>,
    /// The paper's number for this row.
    paper: Option<f64>,
    /// `|ours − paper| / paper`.
    rel_diff: Option<f64>,
}

impl Row {
    fn fp(table: &'static str, n: u64, a: u64, s: u64, theta: u64) -> Self {
        Self {
            table,
            n: Some(n),
            a,
            s,
            theta,
            m: None,
            noise: 0.0,
            noise_bits: 0,
            a_effective: None,
            s_effective: None,
            p_fp: Some(math::p_false_positive(n, a, s, theta)),
            // A segment trained on the pattern sees all s >= θ synapses active.
            p_fn: Some(0.0),
            exact: None,
            p_fp_exact_union: None,
            paper: None,
            rel_diff: None,
        }
    }

    fn ours(&self) -> f64 {
        self.p_fp.or(self.p_fn).unwrap_or(f64::NAN)
    }

    fn with_paper(mut self, paper: f64) -> Self {
        self.paper = Some(paper);
        self.rel_diff = Some(rel(self.ours(), paper));
        self
    }
}

/// One Monte-Carlo point.
#[derive(Debug, Clone, Serialize)]
struct McRow {
    kind: &'static str,
    n: Option<u64>,
    a: u64,
    s: u64,
    theta: u64,
    m: Option<u64>,
    noise: f64,
    noise_bits: u64,
    /// Formula value the simulation is compared with.
    p_fp: Option<f64>,
    p_fn: Option<f64>,
    trials: u64,
    hits: u64,
    p_mc: f64,
    z: f64,
    /// The authors' own simulated frequency for this point, if published.
    paper_simulated: Option<f64>,
}

fn rel(ours: f64, paper: f64) -> f64 {
    if paper == 0.0 {
        ours.abs()
    } else {
        (ours - paper).abs() / paper.abs()
    }
}

fn max_rel(rows: &[Row], keep: impl Fn(&Row) -> bool) -> f64 {
    rows.iter()
        .filter(|r| keep(r))
        .filter_map(|r| r.rel_diff)
        .fold(0.0, f64::max)
}

fn n_grid() -> impl Iterator<Item = u64> {
    (0..99u64).map(|i| 300 + 200 * i)
}

fn noise_bits(frac: f64) -> u64 {
    (frac * 128.0).round() as u64
}

impl Study for ActiveDendrites {
    fn info(&self) -> StudyInfo {
        StudyInfo {
            name: NAME,
            paper: "Ahmad & Hawkins 2016, How do neurons operate on sparse distributed representations? (arXiv:1601.00720)",
            checks: "P_FP example 8.3758e-13; Table 1 and every published curve value; exact big-integer vs log-domain; Monte-Carlo vs formula (|z| <= 4)",
            quick_runtime: "~1 s",
            full_runtime: "~20 s",
        }
    }

    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, Error> {
        let started = Instant::now();
        let mut tables = serde_json::Map::new();

        // ---- Table 1 and worked examples -------------------------------------
        let mut table1: Vec<Row> = pd::TABLE_1
            .iter()
            .map(|&(label, n, a, s, theta, m, paper)| {
                let mut r = Row::fp(label, n, a, s, theta).with_paper(paper);
                r.m = m;
                r
            })
            .collect();

        // ---- Effect of n (s = 24, θ = 12) -------------------------------------
        let mut effect_n = Vec::new();
        for (label, curve, a_of) in [
            (
                "effect_of_n a=64",
                &pd::EFFECT_OF_N_A64,
                (|_| 64) as fn(u64) -> u64,
            ),
            ("effect_of_n a=128", &pd::EFFECT_OF_N_A128, |_| 128),
            ("effect_of_n a=256", &pd::EFFECT_OF_N_A256, |_| 256),
            ("effect_of_n a=n/4", &pd::EFFECT_OF_N_AQUARTER, |n| n / 4),
        ] {
            for (n, &paper) in n_grid().zip(curve.iter()) {
                effect_n.push(Row::fp(label, n, a_of(n), 24, 12).with_paper(paper));
            }
        }

        // ---- Effect of s (θ = s/2) --------------------------------------------
        let mut effect_s = Vec::new();
        for (label, a, n, curve) in [
            (
                "effect_of_s a=32 n=2000",
                32,
                2000,
                &pd::EFFECT_OF_S_A32_N2000,
            ),
            (
                "effect_of_s a=32 n=4000",
                32,
                4000,
                &pd::EFFECT_OF_S_A32_N4000,
            ),
            (
                "effect_of_s a=128 n=4000",
                128,
                4000,
                &pd::EFFECT_OF_S_A128_N4000,
            ),
            (
                "effect_of_s a=200 n=4000",
                200,
                4000,
                &pd::EFFECT_OF_S_A200_N4000,
            ),
            (
                "effect_of_s a=256 n=8000",
                256,
                8000,
                &pd::EFFECT_OF_S_A256_N8000,
            ),
            (
                "effect_of_s a=256 n=16000",
                256,
                16000,
                &pd::EFFECT_OF_S_A256_N16000,
            ),
            (
                "effect_of_s a=512 n=16000",
                512,
                16000,
                &pd::EFFECT_OF_S_A512_N16000,
            ),
            (
                "effect_of_s a=4000 n=16000",
                4000,
                16000,
                &pd::EFFECT_OF_S_A4000_N16000,
            ),
        ] {
            for (k, &paper) in curve.iter().enumerate() {
                let s = 2 + 2 * k as u64;
                effect_s.push(Row::fp(label, n, a, s, s / 2).with_paper(paper));
            }
        }
        for (k, &paper) in pd::SUBSAMPLE_N10000_A300.iter().enumerate() {
            let s = 2 + k as u64;
            effect_s
                .push(Row::fp("subsample n=10000 a=300", 10_000, 300, s, s / 2).with_paper(paper));
        }

        // ---- Noise robustness (a = 128, s = 30) --------------------------------
        let mut noise = Vec::new();
        for (theta, theory) in [
            (8, &pd::NOISE_THEORY_THETA8),
            (12, &pd::NOISE_THEORY_THETA12),
            (16, &pd::NOISE_THEORY_THETA16),
        ] {
            for (&frac, &paper) in pd::NOISE_FRACTIONS.iter().zip(theory.iter()) {
                let v = noise_bits(frac);
                let p = math::p_false_negative(128, 30, theta, v);
                let r = Row {
                    table: "noise",
                    n: None,
                    a: 128,
                    s: 30,
                    theta,
                    m: None,
                    noise: v as f64 / 128.0,
                    noise_bits: v,
                    a_effective: None,
                    s_effective: None,
                    p_fp: None,
                    p_fn: Some(p),
                    exact: None,
                    p_fp_exact_union: None,
                    paper: None,
                    rel_diff: None,
                };
                noise.push(r.with_paper(paper));
            }
        }

        // ---- Unions ------------------------------------------------------------
        // (A) a segment storing M patterns: s_eff = round(n(1 − (1 − s/n)^M)).
        let mut union_seg = Vec::new();
        for (n, curve) in [
            (1000, &pd::UNION_SEGMENT_N1000),
            (10_000, &pd::UNION_SEGMENT_N10000),
            (20_000, &pd::UNION_SEGMENT_N20000),
        ] {
            let dists = math::union_size_distributions(n, 25, curve.len() as u64);
            for (k, &paper) in curve.iter().enumerate() {
                let m = k as u64 + 1;
                let s_eff = math::expected_union_size(n, 25, m).round() as u64;
                let mut r = Row::fp("union_segment", n, 200, 25, 15);
                r.m = Some(m);
                r.s_effective = Some(s_eff);
                r.p_fp = Some(math::p_false_positive(n, 200, s_eff, 15));
                r.p_fn = None;
                r.p_fp_exact_union = Some(math::mixture(&dists[k], |u| {
                    math::p_false_positive(n, 200, u, 15)
                }));
                union_seg.push(r.with_paper(paper));
            }
        }
        // (B) the input is the union of M patterns: a_eff = n(1 − (1 − a/n)^M), real-valued.
        let mut union_in = Vec::new();
        for (n, curve) in [
            (1000, &pd::UNION_INPUT_N1000),
            (4000, &pd::UNION_INPUT_N4000),
            (8000, &pd::UNION_INPUT_N8000),
        ] {
            let dists = math::union_size_distributions(n, 30, curve.len() as u64);
            for (k, &paper) in curve.iter().enumerate() {
                let m = k as u64 + 1;
                let a_eff = math::expected_union_size(n, 30, m);
                let mut r = Row::fp("union_input", n, 30, 20, 10);
                r.m = Some(m);
                r.a_effective = Some(a_eff);
                r.p_fp = Some(math::p_false_positive_real_a(n, a_eff, 20, 10));
                r.p_fn = None;
                r.p_fp_exact_union = Some(math::mixture(&dists[k], |u| {
                    math::p_false_positive(n, u, 20, 10)
                }));
                union_in.push(r.with_paper(paper));
            }
        }
        let t_formulas = started.elapsed().as_secs_f64();

        // ---- Exact big-integer evaluation of every integer row -----------------
        let t_exact = Instant::now();
        let mut exact_max = 0.0f64;
        let mut exact_count = 0usize;
        for rows in [&mut table1, &mut effect_n, &mut effect_s, &mut union_seg] {
            let exacts = crate::stats::par_map(rows.len(), |i| {
                let r = &rows[i];
                let s = r.s_effective.unwrap_or(r.s);
                r.n.map(|n| exact::p_false_positive(n, r.a, s, r.theta))
            });
            for (r, e) in rows.iter_mut().zip(exacts) {
                if let Some(e) = e {
                    r.exact = Some(e);
                    exact_max = exact_max.max(rel(r.p_fp.unwrap_or(f64::NAN), e));
                    exact_count += 1;
                }
            }
        }
        for r in &mut noise {
            let e = exact::hypergeometric_upper_tail(r.a, r.s, r.noise_bits, r.s - r.theta + 1);
            r.exact = Some(e);
            exact_max = exact_max.max(rel(r.p_fn.unwrap_or(f64::NAN), e));
            exact_count += 1;
        }
        let t_exact = t_exact.elapsed().as_secs_f64();

        // ---- Monte Carlo ---------------------------------------------------------
        let t_mc = Instant::now();
        let mc_rows = monte_carlo(mode);
        let t_mc = t_mc.elapsed().as_secs_f64();

        // ---- Checks ----------------------------------------------------------------
        let mut checks = Vec::new();
        let example = &table1[0];
        checks.push(Check::relative(
            "p_fp_n10000_a300_s24_theta12",
            example.ours(),
            8.3758e-13,
            5e-5,
            "PAPERS.md entry 3 (4 significant digits); notebook prints 8.37584522709849e-13",
        ));
        for r in table1.iter().skip(2) {
            let name = format!(
                "table1 {} n={} a={} s={} θ={}",
                r.table,
                r.n.unwrap_or(0),
                r.a,
                r.s,
                r.theta
            );
            checks.push(Check::relative(
                name,
                r.ours(),
                r.paper.unwrap_or(f64::NAN),
                1e-6,
                "sdr_math_neuron_paper.ipynb (15 printed digits, evaluated by sympy)",
            ));
        }
        checks.push(Check::absolute(
            "effect_of_n_max_rel_dev",
            max_rel(&effect_n, |_| true),
            0.0,
            1e-9,
            "all 396 values of plot_effect_of_n.py",
        ));
        checks.push(Check::absolute(
            "effect_of_s_max_rel_dev",
            max_rel(&effect_s, |_| true),
            0.0,
            1e-9,
            "all 149 values of plot_effect_of_s.py and the notebook's s-sweep",
        ));
        checks.push(Check::absolute(
            "noise_max_rel_dev",
            max_rel(&noise, |r| r.paper.is_some_and(|p| p > 1e-12)),
            0.0,
            1e-6,
            "plot_noise_results.py theory values above 1e-12 (below that the script's sympy values lose digits, see report)",
        ));
        checks.push(Check::absolute(
            "union_segment_max_rel_dev",
            max_rel(&union_seg, |r| r.paper.is_some_and(|p| (1e-10..1.0).contains(&p))),
            0.0,
            1e-6,
            "sdr_paper_unions.py falseMatchvsM, values in [1e-10, 1) (below, the script's per-term sympy sum loses digits; 1.0 is its clamp)",
        ));
        checks.push(Check::absolute(
            "union_input_max_rel_dev",
            max_rel(&union_in, |_| true),
            0.0,
            1e-8,
            "sdr_paper_unions.py falseMatchDendritevsMPatterns (real-valued a, Γ binomials ~1e-10)",
        ));
        checks.push(Check::absolute(
            "exact_vs_log_domain_max_rel_dev",
            exact_max,
            0.0,
            1e-12,
            "big-integer ratio vs log-domain sum over every integer-parameter row",
        ));
        for (kind, label) in [
            ("false_positive", "mc_false_positive_max_abs_z"),
            ("false_negative", "mc_false_negative_max_abs_z"),
            ("union", "mc_union_max_abs_z"),
        ] {
            let z = mc_rows
                .iter()
                .filter(|r| r.kind.starts_with(kind))
                .map(|r| r.z.abs())
                .fold(0.0, f64::max);
            checks.push(Check::absolute(
                label,
                z,
                0.0,
                4.0,
                "largest binomial z of simulated counts vs formula over the points; P(|z| > 4) ≈ 6e-5 per point if the formula holds",
            ));
        }

        // ---- Figures ---------------------------------------------------------------
        let figs = figures(
            dir, &effect_n, &effect_s, &noise, &union_seg, &union_in, &mc_rows,
        )?;

        // ---- Report ------------------------------------------------------------------
        let timings = Timings {
            formulas: t_formulas,
            exact: t_exact,
            exact_rows: exact_count,
            mc: t_mc,
            total: started.elapsed().as_secs_f64(),
        };
        let text = report_text(
            mode, &checks, &table1, &noise, &union_seg, &union_in, &mc_rows, &figs, &timings,
        );
        report::write(dir, &text)?;

        for (key, rows) in [
            ("table_1", &table1),
            ("effect_of_n", &effect_n),
            ("effect_of_s", &effect_s),
            ("noise", &noise),
            ("union_segment", &union_seg),
            ("union_input", &union_in),
        ] {
            tables.insert(key.into(), to_json(rows)?);
        }
        tables.insert("monte_carlo".into(), to_json(&mc_rows)?);
        Ok(StudyOutput { checks, tables })
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(v).map_err(|source| Error::Json {
        study: NAME.into(),
        source,
    })
}

/// The simulated points: measurable probabilities (expected counts of tens
/// to thousands of events) from every family of figures.
fn monte_carlo(mode: Mode) -> Vec<McRow> {
    let trials = match mode {
        Mode::Quick => 100_000,
        Mode::Full => 1_000_000,
    };
    let min_expected_hits = 30.0;
    let mut specs: Vec<(&'static str, [u64; 5], Option<f64>)> = Vec::new();
    // [n, a, s, θ, m-or-noise-bits]
    let fp_points: Vec<(u64, u64, Option<f64>)> = match mode {
        Mode::Quick => vec![
            (300, 64, Some(pd::SIMULATED_FP_A64[0])),
            (500, 128, Some(pd::SIMULATED_FP_A128[1])),
            (700, 128, Some(pd::SIMULATED_FP_A128[2])),
            (1100, 256, Some(pd::SIMULATED_FP_A256[4])),
            (1300, 256, Some(pd::SIMULATED_FP_A256[5])),
        ],
        Mode::Full => {
            let mut v = Vec::new();
            for (a, sims) in [
                (64u64, &pd::SIMULATED_FP_A64[..]),
                (128, &pd::SIMULATED_FP_A128[..]),
                (256, &pd::SIMULATED_FP_A256[..]),
            ] {
                for (i, &sim) in sims.iter().enumerate() {
                    v.push((300 + 200 * i as u64, a, Some(sim)));
                }
            }
            v
        }
    };
    for (n, a, sim) in fp_points {
        specs.push(("false_positive", [n, a, 24, 12, 0], sim));
    }
    let fn_points: Vec<(u64, u64)> = match mode {
        Mode::Quick => vec![(8, 64), (8, 70), (12, 45), (12, 51), (16, 32), (16, 38)],
        Mode::Full => [8u64, 12, 16]
            .iter()
            .flat_map(|&t| pd::NOISE_FRACTIONS.iter().map(move |&f| (t, noise_bits(f))))
            .collect(),
    };
    for (theta, v) in fn_points {
        let sim = [
            (8, &pd::NOISE_SIMULATED_THETA8),
            (12, &pd::NOISE_SIMULATED_THETA12),
            (16, &pd::NOISE_SIMULATED_THETA16),
        ]
        .iter()
        .find(|(t, _)| *t == theta)
        .and_then(|(_, arr)| {
            pd::NOISE_FRACTIONS
                .iter()
                .position(|&f| noise_bits(f) == v)
                .map(|i| arr[i])
        });
        specs.push(("false_negative", [0, 128, 30, theta, v], sim));
    }
    let union_seg_points: Vec<(u64, u64)> = match mode {
        Mode::Quick => vec![(1000, 2), (10_000, 15), (10_000, 19)],
        Mode::Full => vec![
            (1000, 2),
            (1000, 3),
            (10_000, 12),
            (10_000, 15),
            (10_000, 17),
            (10_000, 19),
            (20_000, 19),
        ],
    };
    for (n, m) in union_seg_points {
        specs.push(("union_segment", [n, 200, 25, 15, m], None));
    }
    let union_in_points: Vec<(u64, u64)> = match mode {
        Mode::Quick => vec![(1000, 6), (1000, 8), (4000, 39)],
        Mode::Full => vec![
            (1000, 5),
            (1000, 6),
            (1000, 8),
            (1000, 10),
            (4000, 30),
            (4000, 39),
            (8000, 39),
        ],
    };
    for (n, m) in union_in_points {
        specs.push(("union_input", [n, 30, 20, 10, m], None));
    }

    let mut rows = Vec::new();
    for (i, (kind, [n, a, s, theta, x], sim)) in specs.into_iter().enumerate() {
        let seed = SEED ^ ((i as u64) << 32);
        let (p, est, row_n, m, v) = match kind {
            "false_positive" => {
                let p = math::p_false_positive(n, a, s, theta);
                (p, None, Some(n), None, 0)
            }
            "false_negative" => (math::p_false_negative(a, s, theta, x), None, None, None, x),
            "union_segment" => (
                math::p_false_positive_union_segment(n, a, s, theta, x),
                None,
                Some(n),
                Some(x),
                0,
            ),
            _ => (
                math::p_false_positive_union_input(n, a, s, theta, x),
                None::<mc::McEstimate>,
                Some(n),
                Some(x),
                0,
            ),
        };
        // Skip points whose event is too rare (or too certain) to measure.
        if p * (trials as f64) < min_expected_hits
            || (1.0 - p) * (trials as f64) < min_expected_hits
        {
            continue;
        }
        let est = est.unwrap_or_else(|| match kind {
            "false_positive" => mc::false_positive(n, a, s, theta, trials, seed),
            "false_negative" => mc::false_negative(a, s, theta, x, trials, seed),
            "union_segment" => mc::union_segment(n, a, s, theta, x, trials, seed),
            _ => mc::union_input(n, a, s, theta, x, trials, seed),
        });
        let is_fn = kind == "false_negative";
        rows.push(McRow {
            kind,
            n: row_n,
            a,
            s,
            theta,
            m,
            noise: v as f64 / a as f64,
            noise_bits: v,
            p_fp: (!is_fn).then_some(p),
            p_fn: is_fn.then_some(p),
            trials,
            hits: est.hits,
            p_mc: est.p(),
            z: est.z(p),
            paper_simulated: sim,
        });
    }
    rows
}

struct Timings {
    formulas: f64,
    exact: f64,
    exact_rows: usize,
    mc: f64,
    total: f64,
}

/// Markdown snippets embedding each figure, in report order.
struct Figs {
    effect_n: String,
    effect_s: String,
    noise: String,
    unions: String,
    mc: String,
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

fn figures(
    dir: &Path,
    effect_n: &[Row],
    effect_s: &[Row],
    noise: &[Row],
    union_seg: &[Row],
    union_in: &[Row],
    mc_rows: &[McRow],
) -> Result<Figs, Error> {
    let grey = Rgb(90, 90, 90);
    let red = Rgb(200, 30, 30);

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
    for (k, t) in curves.iter().enumerate() {
        let name = t.trim_start_matches("effect_of_n ");
        let kind = if k == 3 {
            SeriesKind::Dashed
        } else {
            SeriesKind::Line
        };
        panel = panel.series(
            Series::new(
                name,
                kind,
                pts(effect_n, t, |r| r.n.unwrap_or(0) as f64, |r| r.p_fp),
            )
            .color(PALETTE[k + 1]),
        );
    }
    let paper_n: Vec<(f64, f64)> = curves
        .iter()
        .flat_map(|t| pts(effect_n, t, |r| r.n.unwrap_or(0) as f64, |r| r.paper))
        .enumerate()
        .filter(|(i, _)| i % 6 == 0)
        .map(|(_, p)| p)
        .collect();
    panel = panel.series(
        Series::new("paper (script values)", SeriesKind::Scatter, paper_n)
            .color(grey)
            .marker_size(3),
    );
    let fp_mc: Vec<&McRow> = mc_rows
        .iter()
        .filter(|r| r.kind == "false_positive")
        .collect();
    panel = panel
        .series(
            Series::new(
                "paper simulation",
                SeriesKind::Scatter,
                fp_mc
                    .iter()
                    .filter_map(|r| r.paper_simulated.map(|p| (r.n.unwrap_or(0) as f64, p)))
                    .collect(),
            )
            .color(Rgb(0, 0, 0))
            .marker_size(6),
        )
        .series(
            Series::new(
                "our simulation",
                SeriesKind::Scatter,
                fp_mc
                    .iter()
                    .map(|r| (r.n.unwrap_or(0) as f64, r.p_mc))
                    .collect(),
            )
            .color(red)
            .marker_size(4),
        );
    let fig = Figure::new("Effect of n on false positives (s = 24, θ = 12)")
        .size(900, 620)
        .panel(panel);
    let effect_n_md = report::figure(
        NAME,
        dir,
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
    for (k, t) in curves.iter().enumerate() {
        let name = t.trim_start_matches("effect_of_s ");
        let kind = if k == 3 {
            SeriesKind::Dashed
        } else {
            SeriesKind::Line
        };
        panel = panel.series(
            Series::new(name, kind, pts(effect_s, t, |r| r.s as f64, |r| r.p_fp))
                .color(PALETTE[k + 1]),
        );
    }
    let paper_s: Vec<(f64, f64)> = curves
        .iter()
        .flat_map(|t| pts(effect_s, t, |r| r.s as f64, |r| r.paper))
        .collect();
    panel = panel.series(
        Series::new("paper (script values)", SeriesKind::Scatter, paper_s)
            .color(grey)
            .marker_size(3),
    );
    let fig = Figure::new("Effect of the number of synapses s")
        .size(900, 620)
        .panel(panel);
    let effect_s_md = report::figure(
        NAME,
        dir,
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
            .filter(|r| r.theta == *theta)
            .zip(match theta {
                8 => &pd::NOISE_SIMULATED_THETA8,
                12 => &pd::NOISE_SIMULATED_THETA12,
                _ => &pd::NOISE_SIMULATED_THETA16,
            })
            .map(|(r, &sim)| (r.noise, sim))
            .collect();
        panel = panel.series(
            Series::new(
                if k == 0 { "paper simulation" } else { "" },
                SeriesKind::Scatter,
                paper_sim,
            )
            .color(Rgb(0, 0, 0))
            .marker_size(5),
        );
        panel = panel.series(
            Series::new(
                if k == 0 { "our simulation" } else { "" },
                SeriesKind::Scatter,
                fn_mc
                    .iter()
                    .filter(|r| r.theta == *theta)
                    .map(|r| (r.noise, r.p_mc))
                    .collect(),
            )
            .color(red)
            .marker_size(3),
        );
    }
    let fig = Figure::new("Robustness to noise (a = 128, s = 30)")
        .size(900, 620)
        .panel(panel);
    let noise_md = report::figure(
        NAME,
        dir,
        "noise",
        &fig,
        "P_FN versus the fraction of active cells replaced, θ = 8, 12, 16; lines ours, dots simulations",
    )?;

    // Unions.
    let mut top = Panel::new("patterns stored on the segment M", "P(false positive)")
        .log_y()
        .title("segment stores M patterns (a = 200, s = 25 each, θ = 15)")
        .legend(Legend::LowerRight);
    let mut bottom = Panel::new("patterns in the input union M", "P(false positive)")
        .log_y()
        .title("input is a union of M patterns (a = 30 each, s = 20, θ = 10)")
        .legend(Legend::LowerRight);
    for (k, n) in [1000u64, 10_000, 20_000].iter().enumerate() {
        let rows: Vec<&Row> = union_seg.iter().filter(|r| r.n == Some(*n)).collect();
        top = top
            .series(
                Series::new(
                    format!("n = {n}"),
                    SeriesKind::Line,
                    rows.iter()
                        .filter_map(|r| r.p_fp.map(|p| (r.m.unwrap_or(0) as f64, p)))
                        .collect(),
                )
                .color(PALETTE[k + 1]),
            )
            .series(
                Series::new(
                    if k == 0 { "exact union size" } else { "" },
                    SeriesKind::Dashed,
                    rows.iter()
                        .filter_map(|r| r.p_fp_exact_union.map(|p| (r.m.unwrap_or(0) as f64, p)))
                        .collect(),
                )
                .color(PALETTE[k + 1])
                .line_width(1),
            );
    }
    top = top.series(
        Series::new(
            "our simulation",
            SeriesKind::Scatter,
            mc_rows
                .iter()
                .filter(|r| r.kind == "union_segment")
                .map(|r| (r.m.unwrap_or(0) as f64, r.p_mc))
                .collect(),
        )
        .color(red)
        .marker_size(4),
    );
    for (k, n) in [1000u64, 4000, 8000].iter().enumerate() {
        let rows: Vec<&Row> = union_in.iter().filter(|r| r.n == Some(*n)).collect();
        bottom = bottom
            .series(
                Series::new(
                    format!("n = {n}"),
                    SeriesKind::Line,
                    rows.iter()
                        .filter_map(|r| r.p_fp.map(|p| (r.m.unwrap_or(0) as f64, p)))
                        .collect(),
                )
                .color(PALETTE[k + 1]),
            )
            .series(
                Series::new(
                    if k == 0 { "exact union size" } else { "" },
                    SeriesKind::Dashed,
                    rows.iter()
                        .filter_map(|r| r.p_fp_exact_union.map(|p| (r.m.unwrap_or(0) as f64, p)))
                        .collect(),
                )
                .color(PALETTE[k + 1])
                .line_width(1),
            );
    }
    bottom = bottom.series(
        Series::new(
            "our simulation",
            SeriesKind::Scatter,
            mc_rows
                .iter()
                .filter(|r| r.kind == "union_input")
                .map(|r| (r.m.unwrap_or(0) as f64, r.p_mc))
                .collect(),
        )
        .color(red)
        .marker_size(4),
    );
    let fig = Figure::new("Unions of patterns")
        .size(900, 1000)
        .panel(top)
        .panel(bottom);
    let unions_md = report::figure(
        NAME,
        dir,
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
        .color(grey)
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
    let mc_md = report::figure(
        NAME,
        dir,
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

#[allow(clippy::too_many_arguments)]
fn report_text(
    mode: Mode,
    checks: &[Check],
    table1: &[Row],
    noise: &[Row],
    union_seg: &[Row],
    union_in: &[Row],
    mc_rows: &[McRow],
    figs: &Figs,
    t: &Timings,
) -> String {
    let mut s = String::new();
    let passed = checks.iter().filter(|c| c.pass).count();
    let _ = writeln!(s, "# active-dendrites — Ahmad & Hawkins (2016)\n");
    let _ = writeln!(
        s,
        "*How do neurons operate on sparse distributed representations? A mathematical theory of sparsity, \
         neurons and active dendrites* (arXiv:1601.00720). Mode: **{mode}**. Checks: **{passed}/{} passed**.\n",
        checks.len()
    );
    let _ = writeln!(s, "## What the paper claims\n");
    let _ = writeln!(
        s,
        "A dendritic segment with `s` synapses onto a population of `n` cells fires an NMDA spike when at least \
         `θ` of them see an active cell. For random sparse patterns of `a` active cells the number of active \
         synapses is hypergeometric, so the chance that an unrelated pattern fires the segment is\n\n\
         `P_FP = Σ_(b=θ..s) C(s,b)·C(n−s,a−b) / C(n,a)`,\n\n\
         which falls extremely fast with `n` when `a/n` is small (and does not fall at all when activity is \
         dense, `a = n/4`), so a segment can recognise a pattern from a few synapses (`θ ≈ 10–20`). Subsampling \
         with `s = 2θ` tolerates noise: if `v` of the `a` active cells are replaced, the segment misses its \
         pattern with `P_FN = Σ_(b=s−θ+1..s) C(s,b)·C(a−s,v−b) / C(a,v)`, still tiny for 30–40% noise. One \
         segment can store the union of several patterns (Table 1D, `s = 2mθ`) and respond to unions of \
         inputs, at a controlled cost in false positives.\n"
    );
    let _ = writeln!(s, "## What was run\n");
    let _ = writeln!(
        s,
        "* Every number the authors published in their scripts (`numenta/htmresearch`, `projects/sdr_paper/`, \
         commit ea7f86eb): Table 1B/1C/1D and the worked examples of `sdr_math_neuron_paper.ipynb`; the curves \
         of `plot_effect_of_n.py` (4 × 99 values), `plot_effect_of_s.py` (8 × 15) and the notebook's s-sweep \
         (29); `plot_noise_results.py` (3 × 16 theory + simulated values); both union scripts of \
         `sdr_paper_unions.py` (3 × 19 and 3 × 39). The paper's PDF itself was not available here; its tables \
         were generated by this notebook (README of the same folder), so the notebook is the source cited.\n\
         * Our formulas in the log domain (`math.rs`: hypergeometric tail by a ratio recurrence and log-sum-exp; \
         Γ-based binomials for the real-valued `a` of input unions), and the same {} integer-parameter rows \
         recomputed exactly as big-integer ratios (`exact.rs`).\n\
         * Monte-Carlo simulation of segments (`mc.rs`, explicit random patterns and synapses, seed {SEED}): \
         {} points with {} trials each, chosen where the probability is measurable (≥ 30 expected events).\n\
         * Timings: formulas {:.2} s, exact big integers {:.2} s, simulation {:.2} s, total {:.1} s (before \
         writing figures).\n",
        t.exact_rows,
        mc_rows.len(),
        mc_rows.first().map_or(0, |r| r.trials),
        t.formulas,
        t.exact,
        t.mc,
        t.total
    );
    let _ = writeln!(s, "## Checks\n\n{}", report::checks_table(checks));

    let _ = writeln!(s, "## Table 1 and worked examples (n, a, s, θ → P_FP)\n");
    let mut tab = Table::new(&[
        "row",
        "n",
        "a",
        "s",
        "θ",
        "m",
        "paper",
        "ours (log domain)",
        "exact (big integer)",
        "rel. diff",
    ]);
    for r in table1 {
        tab.row(vec![
            r.table.into(),
            r.n.map_or("".into(), |v| v.to_string()),
            r.a.to_string(),
            r.s.to_string(),
            r.theta.to_string(),
            r.m.map_or("".into(), |v| v.to_string()),
            sci(r.paper.unwrap_or(f64::NAN), 6),
            sci(r.ours(), 6),
            r.exact.map_or("".into(), |e| sci(e, 10)),
            sci(r.rel_diff.unwrap_or(f64::NAN), 2),
        ]);
    }
    let _ = writeln!(s, "{}", tab.render());

    let _ = writeln!(
        s,
        "## Figures\n\n{}\n{}\n{}\n{}\n{}",
        figs.effect_n, figs.effect_s, figs.noise, figs.unions, figs.mc
    );

    let _ = writeln!(s, "## Monte-Carlo points\n");
    let mut tab = Table::new(&[
        "kind",
        "n",
        "a",
        "s",
        "θ",
        "M",
        "noise",
        "formula",
        "simulated",
        "trials",
        "z",
        "paper's simulation",
    ]);
    for r in mc_rows {
        tab.row(vec![
            r.kind.replace('_', " "),
            r.n.map_or("".into(), |v| v.to_string()),
            r.a.to_string(),
            r.s.to_string(),
            r.theta.to_string(),
            r.m.map_or("".into(), |v| v.to_string()),
            if r.noise_bits > 0 {
                format!("{}/{}", r.noise_bits, r.a)
            } else {
                "".into()
            },
            sci(r.p_fp.or(r.p_fn).unwrap_or(f64::NAN), 4),
            sci(r.p_mc, 4),
            r.trials.to_string(),
            format!("{:+.2}", r.z),
            r.paper_simulated.map_or("".into(), |p| sci(p, 3)),
        ]);
    }
    let _ = writeln!(s, "{}", tab.render());

    // Discrepancies, computed rather than asserted.
    let ex2 = &table1[1];
    let worst_noise = noise
        .iter()
        .filter(|r| r.paper.is_some_and(|p| p > 0.0 && p <= 1e-12))
        .map(|r| {
            (
                r.theta,
                r.noise_bits,
                r.paper.unwrap_or(0.0),
                r.ours(),
                r.rel_diff.unwrap_or(0.0),
            )
        })
        .fold(
            None,
            |acc: Option<(u64, u64, f64, f64, f64)>, x| match acc {
                Some(a) if a.4 >= x.4 => Some(a),
                _ => Some(x),
            },
        );
    let zeros = noise.iter().filter(|r| r.paper == Some(0.0)).count();
    let seg_tiny = union_seg
        .iter()
        .filter(|r| r.paper.is_some_and(|p| p < 1e-10))
        .max_by(|x, y| {
            x.rel_diff
                .unwrap_or(0.0)
                .total_cmp(&y.rel_diff.unwrap_or(0.0))
        });
    let seg_ratio = union_seg
        .iter()
        .filter(|r| r.p_fp.is_some_and(|p| p > 1e-12 && p < 0.5))
        .filter_map(|r| Some(r.p_fp_exact_union? / r.p_fp?))
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let in_ratio = union_in
        .iter()
        .filter(|r| r.p_fp.is_some_and(|p| p > 1e-12 && p < 0.5))
        .filter_map(|r| Some(r.p_fp_exact_union? / r.p_fp?))
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let _ = writeln!(s, "## What differs and why\n");
    let (seg_lo, seg_hi) = (format!("{:.3}", seg_ratio.0), format!("{:.3}", seg_ratio.1));
    let (in_lo, in_hi) = (format!("{:.3}", in_ratio.0), format!("{:.3}", in_ratio.1));
    let _ = writeln!(
        s,
        "* **Second worked example.** The notebook labels it \"n=2048, a=400, s=40, theta=20\" but substitutes \
         n = 10000, a = 300, s = 30, θ = 15 and prints {}; the exact value for those parameters is {} (relative \
         difference {}). That cell sums per-term quotients (`subsampledFpF`), which sympy evaluated with lost \
         digits; the same per-term form explains the ~1e-10 deviations of Table 1D. All other Table 1 rows agree \
         to ~1e-15.\n\
         * **Mislabelled parameters.** Table 1C is printed as \"n=10000, a=300\" but computed (and reproduced \
         here) with n = 100000, a = 2000; the dashed curve of the effect-of-n figure is commented \"a=n/2\" but \
         its values are a = ⌊n/4⌋ (the plot names it \"a=0.25*N\"); the s-sweep header says a = 200 but uses 300. \
         In `plot_effect_of_n.py` the a = 128, 256 and n/4 curves are drawn against `listofNValues[1:]` (shifted \
         by one step of n); their values belong to n = 300, 500, … like the a = 64 curve, which is how we compare.\n\
         * **Noise tail.** {} of the script's theory values are 0, as are ours (fewer replaced cells than \
         needed to silence the segment). Its smallest non-zero values lose digits: the worst below 1e-12 \
         (θ = {}, v = {}) is {} against our exact {} (relative {}). Values above 1e-12 agree to < 1e-6.\n\
         * **Unions.** The paper inserts the *expected* union size (rounded `s_eff` for a segment storing M \
         patterns; real-valued `a_eff` with Γ-binomials for an input union). We reproduce those numbers, and also \
         average over the exact distribution of the union size (dashed curves): the exact value is {}–{} times the \
         paper's for stored unions and {}–{} times for input unions (probabilities between 1e-12 and 0.5). The \
         simulation follows the exact average, which is what `mc_union_max_abs_z` checks. For M ≥ 3 the stored-union \
         script switches to the per-term form, and its values below 1e-10 lose digits (worst: n = {}, M = {}, \
         paper {} vs exact {}, relative {}); the check covers values from 1e-10 up. The older union \
         script (segment storing M patterns, n = 1000/10000/20000) is kept commented in the file at HEAD; the \
         plotted one is the input-union version (n = 1000/4000/8000); both are reproduced.\n\
         * **Simulations.** The authors' smallest simulated frequency is 1e-8 (so at least 1e8 trials); we simulate only where ≥ 30 \
         events are expected ({} trials per point) and rely on the exact big-integer evaluation below that. \
         Their a = 256, n = 300 point reads 0.997368 where the formula gives 0.999998 (their trial count is not \
         published); {}\n",
        sci(ex2.paper.unwrap_or(f64::NAN), 6),
        sci(ex2.exact.unwrap_or(f64::NAN), 10),
        sci(ex2.rel_diff.unwrap_or(f64::NAN), 2),
        zeros,
        worst_noise.map_or(0, |w| w.0),
        worst_noise.map_or(0, |w| w.1),
        worst_noise.map_or("".into(), |w| sci(w.2, 6)),
        worst_noise.map_or("".into(), |w| sci(w.3, 6)),
        worst_noise.map_or("".into(), |w| sci(w.4, 2)),
        seg_lo,
        seg_hi,
        in_lo,
        in_hi,
        seg_tiny.and_then(|r| r.n).unwrap_or(0),
        seg_tiny.and_then(|r| r.m).unwrap_or(0),
        seg_tiny
            .and_then(|r| r.paper)
            .map_or("".into(), |v| sci(v, 6)),
        seg_tiny
            .and_then(|r| r.exact)
            .map_or("".into(), |v| sci(v, 6)),
        seg_tiny
            .and_then(|r| r.rel_diff)
            .map_or("".into(), |v| sci(v, 2)),
        mc_rows.first().map_or(0, |r| r.trials),
        mc_rows
            .iter()
            .find(|r| r.kind == "false_positive" && r.n == Some(300) && r.a == 256)
            .map_or(
                "with fewer than 30 expected misses at our trial count, we do not simulate it."
                    .to_string(),
                |r| format!("our simulation gives {} (z = {:+.2}).", sci(r.p_mc, 6), r.z)
            ),
    );
    let _ = writeln!(
        s,
        "## Files\n\n`metrics.json` holds every check and every row above (`tables.table_1`, `effect_of_n`, \
         `effect_of_s`, `noise`, `union_segment`, `union_input`, `monte_carlo`), each with `n, a, s, theta, m, \
         noise, p_fp, p_fn` plus the paper's value and the exact evaluation. Figures are SVG and PNG."
    );
    s
}
