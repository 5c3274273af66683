//! The formula tables of the paper's figures (ours beside the authors'
//! values), their exact big-integer evaluation, and the Monte-Carlo points.

use serde::Serialize;

use super::paper_data as pd;
use super::{SEED, exact, math, mc};
use crate::Mode;

/// The parameters of a table row or a Monte-Carlo point (the paper's names).
#[derive(Debug, Clone, Copy, Serialize)]
pub(super) struct Point {
    /// Population size (null for noise rows: P_FN does not depend on n).
    pub n: Option<u64>,
    /// Active cells per pattern.
    pub a: u64,
    /// Synapses on the segment (per stored pattern for union rows).
    pub s: u64,
    /// NMDA threshold θ.
    pub theta: u64,
    /// Number of patterns (Table 1D: patterns on the segment; unions: M).
    pub m: Option<u64>,
    /// Fraction of the `a` active cells replaced by noise.
    pub noise: f64,
    /// Number of replaced active cells.
    pub noise_bits: u64,
}

impl Point {
    /// The report's n, a, s, θ, m cells (empty where n or m is unset).
    pub fn cells(&self) -> [String; 5] {
        let opt = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
        [
            opt(self.n),
            self.a.to_string(),
            self.s.to_string(),
            self.theta.to_string(),
            opt(self.m),
        ]
    }
}

/// One row of any formula table, as written to `metrics.json`.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Row {
    /// Which table or figure the row belongs to.
    pub table: &'static str,
    #[serde(flatten)]
    pub pt: Point,
    /// Union rows: the effective a or s the paper's formula uses.
    pub a_effective: Option<f64>,
    pub s_effective: Option<u64>,
    /// Our false-positive probability (log-domain formula).
    pub p_fp: Option<f64>,
    /// Our false-negative probability.
    pub p_fn: Option<f64>,
    /// Same quantity as an exact big-integer ratio (where computed).
    pub exact: Option<f64>,
    /// Union rows: averaged over the exact union-size distribution.
    pub p_fp_exact_union: Option<f64>,
    /// The paper's number for this row.
    pub paper: Option<f64>,
    /// `|ours − paper| / paper`.
    pub rel_diff: Option<f64>,
}

impl Row {
    /// A row with only its parameters set.
    fn new(table: &'static str, n: Option<u64>, a: u64, s: u64, theta: u64) -> Self {
        Self {
            table,
            pt: Point {
                n,
                a,
                s,
                theta,
                m: None,
                noise: 0.0,
                noise_bits: 0,
            },
            a_effective: None,
            s_effective: None,
            p_fp: None,
            p_fn: None,
            exact: None,
            p_fp_exact_union: None,
            paper: None,
            rel_diff: None,
        }
    }

    /// A false-positive row: our P_FP, and P_FN = 0 (a segment trained on
    /// the pattern sees all s ≥ θ synapses active).
    pub fn fp(table: &'static str, n: u64, a: u64, s: u64, theta: u64) -> Self {
        Self {
            p_fp: Some(math::p_false_positive(n, a, s, theta)),
            p_fn: Some(0.0),
            ..Self::new(table, Some(n), a, s, theta)
        }
    }

    /// As a union row: `m` patterns, our P_FP `p_fp` (from the effective a or s) and
    /// `exact_union`, its average over the exact union-size distribution.
    fn union(mut self, m: u64, p_fp: f64, exact_union: f64) -> Self {
        self.pt.m = Some(m);
        self.p_fp = Some(p_fp);
        self.p_fp_exact_union = Some(exact_union);
        self
    }

    pub fn ours(&self) -> f64 {
        self.p_fp.or(self.p_fn).unwrap_or(f64::NAN)
    }

    pub fn with_paper(mut self, paper: f64) -> Self {
        self.paper = Some(paper);
        self.rel_diff = Some(rel(self.ours(), paper));
        self
    }
}

/// One Monte-Carlo point.
#[derive(Debug, Clone, Serialize)]
pub(super) struct McRow {
    pub kind: &'static str,
    #[serde(flatten)]
    pub pt: Point,
    /// Formula value the simulation is compared with.
    pub p_fp: Option<f64>,
    pub p_fn: Option<f64>,
    pub trials: u64,
    pub hits: u64,
    pub p_mc: f64,
    pub z: f64,
    /// The authors' own simulated frequency for this point, if published.
    pub paper_simulated: Option<f64>,
}

pub(super) fn rel(ours: f64, paper: f64) -> f64 {
    if paper == 0.0 {
        ours.abs()
    } else {
        (ours - paper).abs() / paper.abs()
    }
}

pub(super) fn max_rel(rows: &[Row], keep: impl Fn(&Row) -> bool) -> f64 {
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

/// Every formula table, in report order.
pub(super) struct Tables {
    pub table1: Vec<Row>,
    pub effect_n: Vec<Row>,
    pub effect_s: Vec<Row>,
    pub noise: Vec<Row>,
    pub union_seg: Vec<Row>,
    pub union_in: Vec<Row>,
}

/// Our formula values beside every number the authors published.
pub(super) fn formula_tables() -> Tables {
    // ---- Table 1 and worked examples -------------------------------------
    let table1: Vec<Row> = pd::TABLE_1
        .iter()
        .map(|&(label, n, a, s, theta, m, paper)| {
            let mut r = Row::fp(label, n, a, s, theta).with_paper(paper);
            r.pt.m = m;
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
        effect_s.push(Row::fp("subsample n=10000 a=300", 10_000, 300, s, s / 2).with_paper(paper));
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
            let mut r = Row::new("noise", None, 128, 30, theta);
            r.pt.noise = v as f64 / 128.0;
            r.pt.noise_bits = v;
            r.p_fn = Some(p);
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
            let mut r = Row::new("union_segment", Some(n), 200, 25, 15).union(
                m,
                math::p_false_positive(n, 200, s_eff, 15),
                math::mixture(&dists[k], |u| math::p_false_positive(n, 200, u, 15)),
            );
            r.s_effective = Some(s_eff);
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
            let mut r = Row::new("union_input", Some(n), 30, 20, 10).union(
                m,
                math::p_false_positive_real_a(n, a_eff, 20, 10),
                math::mixture(&dists[k], |u| math::p_false_positive(n, u, 20, 10)),
            );
            r.a_effective = Some(a_eff);
            union_in.push(r.with_paper(paper));
        }
    }
    Tables {
        table1,
        effect_n,
        effect_s,
        noise,
        union_seg,
        union_in,
    }
}

/// Fills `exact` of every integer-parameter row with the big-integer value;
/// returns the largest relative deviation of the log-domain value from it
/// and the number of rows evaluated.
pub(super) fn exact_evaluation(t: &mut Tables) -> (f64, usize) {
    let Tables {
        table1,
        effect_n,
        effect_s,
        noise,
        union_seg,
        ..
    } = t;
    // ---- Exact big-integer evaluation of every integer row -----------------
    let mut exact_max = 0.0f64;
    let mut exact_count = 0usize;
    for rows in [table1, effect_n, effect_s, union_seg] {
        let exacts = crate::stats::par_map(rows.len(), |i| {
            let r = &rows[i];
            let s = r.s_effective.unwrap_or(r.pt.s);
            r.pt.n
                .map(|n| exact::p_false_positive(n, r.pt.a, s, r.pt.theta))
        });
        for (r, e) in rows.iter_mut().zip(exacts) {
            if let Some(e) = e {
                r.exact = Some(e);
                exact_max = exact_max.max(rel(r.p_fp.unwrap_or(f64::NAN), e));
                exact_count += 1;
            }
        }
    }
    for r in noise.iter_mut() {
        let e = exact::hypergeometric_upper_tail(
            r.pt.a,
            r.pt.s,
            r.pt.noise_bits,
            r.pt.s - r.pt.theta + 1,
        );
        r.exact = Some(e);
        exact_max = exact_max.max(rel(r.p_fn.unwrap_or(f64::NAN), e));
        exact_count += 1;
    }
    (exact_max, exact_count)
}

/// The simulated points: measurable probabilities (expected counts of tens
/// to thousands of events) from every family of figures.
pub(super) fn monte_carlo(mode: Mode) -> Vec<McRow> {
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
        let (p, row_n, m, v) = match kind {
            "false_positive" => (math::p_false_positive(n, a, s, theta), Some(n), None, 0),
            "false_negative" => (math::p_false_negative(a, s, theta, x), None, None, x),
            "union_segment" => (
                math::p_false_positive_union_segment(n, a, s, theta, x),
                Some(n),
                Some(x),
                0,
            ),
            _ => (
                math::p_false_positive_union_input(n, a, s, theta, x),
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
        let est = match kind {
            "false_positive" => mc::false_positive(n, a, s, theta, trials, seed),
            "false_negative" => mc::false_negative(a, s, theta, x, trials, seed),
            _ => mc::union(kind == "union_input", n, a, s, theta, x, trials, seed),
        };
        let is_fn = kind == "false_negative";
        rows.push(McRow {
            kind,
            pt: Point {
                n: row_n,
                a,
                s,
                theta,
                m,
                noise: v as f64 / a as f64,
                noise_bits: v,
            },
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
