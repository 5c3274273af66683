//! The study abstraction: what a study says about itself, what it returns,
//! and the checks it makes.
//!
//! # Checks
//!
//! A [`Check`] compares a measured value with an expectation of one of four
//! kinds ([`Expect`]): `within` (a value and a tolerance, absolute or
//! relative), `at_least` / `at_most` (a bound) and `equals` (exact). Each
//! names its [`Source`]: the paper, a theory, a reference simulator, or the
//! study's own consistency. NaN never passes.
//!
//! # Several seeds
//!
//! A claim about a stochastic system is checked over independent seeds
//! ([`Check::from_seeds`]): the check records `n`, the mean, the standard
//! error of the mean and a two-sided 95 % confidence interval of the mean,
//! `mean ± t(0.975, n−1) · sem` (Student's t, so that three to ten seeds give
//! honest intervals; [`SeedStats`]). The expectation is then applied to the
//! whole interval:
//!
//! * `at_least b` passes when the interval's lower end is `≥ b`, `at_most b`
//!   when its upper end is `≤ b` (each a one-sided test at the 2.5 % level);
//! * `within e ± tol` passes when the whole interval lies inside
//!   `[e − tol, e + tol]` — an equivalence test (two one-sided tests at the
//!   2.5 % level): the mean must be close *and* measured precisely enough to
//!   say so; a wide interval fails rather than passing by overlap;
//! * `equals x` passes when every seed gave exactly `x`.
//!
//! Fewer than two seeds give no interval, and such a check fails.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::StudyError;
use crate::report::num;

/// How thoroughly to run a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Seconds; part of `cargo test`. Same checks as `Full`, fewer samples.
    Quick,
    /// The real reproduction; runtime stated in [`StudyInfo::full_runtime`].
    Full,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Quick => "quick",
            Self::Full => "full",
        })
    }
}

/// What a study is, for `ganglion study list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudyInfo {
    /// Name used on the command line, e.g. `"active-dendrites"`.
    pub name: &'static str,
    /// The paper reproduced (authors, year, title).
    pub paper: &'static str,
    /// One line on what the checks verify.
    pub checks: &'static str,
    /// Measured wall time of `--quick` (2-core machine shared with builds, release build).
    pub quick_runtime: &'static str,
    /// Measured wall time of `--full` (2-core machine shared with builds, release build).
    pub full_runtime: &'static str,
}

/// Where a check's expected value or bound comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A number (or claim) published in the paper or its code and data.
    Paper,
    /// A closed form or derivation (the paper's theory or standard results).
    Theory,
    /// The output of a reference simulator or reference implementation.
    ReferenceSimulator,
    /// The study's own consistency: two computations of one quantity, an
    /// ablation against the main run, an invariant of the setup.
    SelfConsistency,
}

impl Source {
    /// Text used in reports: `paper`, `theory`, `reference simulator`, `self-consistency`.
    pub fn label(self) -> &'static str {
        match self {
            Source::Paper => "paper",
            Source::Theory => "theory",
            Source::ReferenceSimulator => "reference simulator",
            Source::SelfConsistency => "self-consistency",
        }
    }
}

/// What a check expects of its value. See the `framework` module docs for how
/// each kind is applied to a multi-seed confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expect {
    /// `|value − expected| ≤ tolerance`, or `≤ tolerance·|expected|` when `relative`.
    Within {
        /// The expected value.
        expected: f64,
        /// Allowed deviation.
        tolerance: f64,
        /// Whether `tolerance` is a fraction of `|expected|`.
        relative: bool,
    },
    /// `value ≥ bound`.
    AtLeast {
        /// The lower bound.
        bound: f64,
    },
    /// `value ≤ bound`.
    AtMost {
        /// The upper bound.
        bound: f64,
    },
    /// `value == expected` exactly (counts, latencies on a grid, classifications).
    Equals {
        /// The exact expected value.
        expected: f64,
    },
}

impl Expect {
    /// `|value − expected| ≤ tolerance`.
    pub fn within(expected: f64, tolerance: f64) -> Self {
        Self::Within {
            expected,
            tolerance,
            relative: false,
        }
    }

    /// `|value − expected| ≤ tolerance · |expected|`.
    pub fn within_rel(expected: f64, tolerance: f64) -> Self {
        Self::Within {
            expected,
            tolerance,
            relative: true,
        }
    }

    /// `value ≥ bound`.
    pub fn at_least(bound: f64) -> Self {
        Self::AtLeast { bound }
    }

    /// `value ≤ bound`.
    pub fn at_most(bound: f64) -> Self {
        Self::AtMost { bound }
    }

    /// `value == expected`.
    pub fn equals(expected: f64) -> Self {
        Self::Equals { expected }
    }

    /// The range of acceptable values `[lo, hi]` (NaN where the inputs are NaN).
    fn band(self) -> (f64, f64) {
        match self {
            Self::Within {
                expected,
                tolerance,
                relative,
            } => {
                let t = if relative {
                    tolerance * expected.abs()
                } else {
                    tolerance
                };
                (expected - t, expected + t)
            }
            Self::AtLeast { bound } => (bound, f64::INFINITY),
            Self::AtMost { bound } => (f64::NEG_INFINITY, bound),
            Self::Equals { expected } => (expected, expected),
        }
    }

    /// Whether one value passes. NaN never does.
    pub fn holds(self, value: f64) -> bool {
        let (lo, hi) = self.band();
        !value.is_nan() && value >= lo && value <= hi
    }

    /// Whether an interval `[lo, hi]` lies inside the acceptable range
    /// (each end must pass; NaN ends fail).
    pub fn holds_interval(self, lo: f64, hi: f64) -> bool {
        lo <= hi && self.holds(lo) && self.holds(hi)
    }

    /// The expected value or bound as text: `1 ± 0.05`, `1 ± 10 %`, `≥ 0.5`, `≤ 4`, `= 5`.
    pub fn text(self) -> String {
        match self {
            Self::Within {
                expected,
                tolerance,
                relative: false,
            } => format!("{} ± {}", num(expected), num(tolerance)),
            Self::Within {
                expected,
                tolerance,
                relative: true,
            } => format!("{} ± {} %", num(expected), num(tolerance * 100.0)),
            Self::AtLeast { bound } => format!("≥ {}", num(bound)),
            Self::AtMost { bound } => format!("≤ {}", num(bound)),
            Self::Equals { expected } => format!("= {}", num(expected)),
        }
    }

    /// The expected value or bound as a number.
    pub fn reference(self) -> f64 {
        match self {
            Self::Within { expected, .. } | Self::Equals { expected } => expected,
            Self::AtLeast { bound } | Self::AtMost { bound } => bound,
        }
    }
}

/// Mean, standard error and 95 % confidence interval over seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedStats {
    /// Number of seeds.
    pub n: usize,
    /// One value per seed, in seed order.
    pub values: Vec<f64>,
    /// Sample mean.
    pub mean: f64,
    /// Standard error of the mean, `s / √n` (sample standard deviation `s`, n − 1 in the denominator).
    pub sem: f64,
    /// Lower end of the two-sided 95 % interval `mean − t(0.975, n−1)·sem`.
    pub ci_low: f64,
    /// Upper end of the interval.
    pub ci_high: f64,
    /// Two-sided confidence level of the interval (0.95).
    pub confidence: f64,
}

impl SeedStats {
    /// Statistics of `values`; NaN interval for fewer than two values (or any NaN value).
    pub fn new(values: &[f64]) -> Self {
        let n = values.len();
        let mean = crate::stats::mean(values);
        let (sem, half) = if n < 2 {
            (f64::NAN, f64::NAN)
        } else {
            let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
            let sem = (var / n as f64).sqrt();
            (sem, crate::stats::t_quantile_975(n - 1) * sem)
        };
        Self {
            n,
            values: values.to_vec(),
            mean,
            sem,
            ci_low: mean - half,
            ci_high: mean + half,
            confidence: 0.95,
        }
    }
}

/// One metric compared with an expectation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Short identifier, unique within the study.
    pub name: String,
    /// What this run measured or computed (the mean over seeds for a multi-seed check).
    pub value: f64,
    /// What is expected of `value`; serialised flat as `kind` plus its fields.
    #[serde(flatten)]
    pub expect: Expect,
    /// Where the expected value or bound comes from.
    pub source: Source,
    /// Per-seed values and their statistics, for a multi-seed check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seeds: Option<SeedStats>,
    /// Whether the expectation holds (for the interval, with seeds; false for NaN).
    pub pass: bool,
    /// What is measured, why the expectation and its tolerance are what they are.
    pub note: String,
}

impl Check {
    /// A check of one value.
    pub fn new(
        name: impl Into<String>,
        value: f64,
        expect: Expect,
        source: Source,
        note: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            value,
            expect,
            source,
            seeds: None,
            pass: expect.holds(value),
            note: note.into(),
        }
    }

    /// A check of a value measured once per seed: the expectation is applied
    /// to the 95 % confidence interval of the mean (see the module docs);
    /// `equals` requires every seed to give the value exactly.
    pub fn from_seeds(
        name: impl Into<String>,
        values: &[f64],
        expect: Expect,
        source: Source,
        note: impl Into<String>,
    ) -> Self {
        let stats = SeedStats::new(values);
        let pass = match expect {
            Expect::Equals { .. } => !values.is_empty() && values.iter().all(|&v| expect.holds(v)),
            _ => stats.n >= 2 && expect.holds_interval(stats.ci_low, stats.ci_high),
        };
        Self {
            name: name.into(),
            value: stats.mean,
            expect,
            source,
            seeds: Some(stats),
            pass,
            note: note.into(),
        }
    }

    /// The measured value as text; with seeds `mean [ci_low, ci_high] (n = N)`.
    pub fn value_text(&self) -> String {
        match &self.seeds {
            Some(s) => format!(
                "{} [{}, {}] (n = {})",
                num(s.mean),
                num(s.ci_low),
                num(s.ci_high),
                s.n
            ),
            None => num(self.value),
        }
    }
}

/// What a study's `run` hands back to the framework.
#[derive(Debug, Clone, Default)]
pub struct StudyOutput {
    /// Every check, in report order.
    pub checks: Vec<Check>,
    /// Raw tables the figures are drawn from, keyed by table name; written
    /// to `metrics.json` under `"tables"`.
    pub tables: serde_json::Map<String, serde_json::Value>,
}

/// The result of [`crate::run_study`].
#[derive(Debug, Clone, Serialize)]
pub struct StudyOutcome {
    /// Study name.
    pub study: String,
    /// Mode it ran in.
    pub mode: Mode,
    /// Final output directory (holds report.md, metrics.json, figures).
    pub dir: PathBuf,
    /// All checks with their verdicts.
    pub checks: Vec<Check>,
    /// Wall-clock seconds the run took.
    pub elapsed_s: f64,
}

impl StudyOutcome {
    /// True when every check passed; the CLI exits non-zero otherwise.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.pass)
    }

    /// The checks that failed.
    pub fn failed(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.pass)
    }

    /// Path of the report.
    pub fn report_path(&self) -> PathBuf {
        self.dir.join("report.md")
    }
}

/// A paper reproduction.
///
/// `run` writes `report.md` and its figures into `dir` (a fresh, empty
/// temporary directory that the framework renames when the run succeeds) and
/// returns its checks and raw tables; the framework adds `metrics.json`.
pub trait Study: Sync {
    /// Name, paper, checks and runtimes.
    fn info(&self) -> StudyInfo;

    /// Runs the study. Failing checks are reported in the output, not as errors.
    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, StudyError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: f64, e: Expect) -> bool {
        Check::new("c", value, e, Source::Theory, "").pass
    }

    #[test]
    fn kinds_on_single_values() {
        assert!(check(1.04, Expect::within(1.0, 0.05)));
        assert!(!check(1.06, Expect::within(1.0, 0.05)));
        assert!(check(-1.9, Expect::within_rel(-2.0, 0.1)));
        assert!(!check(-1.7, Expect::within_rel(-2.0, 0.1)));
        assert!(check(0.5, Expect::at_least(0.5)) && !check(0.49, Expect::at_least(0.5)));
        assert!(check(4.0, Expect::at_most(4.0)) && !check(4.01, Expect::at_most(4.0)));
        assert!(check(5.0, Expect::equals(5.0)) && !check(5.0 + 1e-12, Expect::equals(5.0)));
    }

    #[test]
    fn nan_never_passes() {
        for e in [
            Expect::within(0.0, f64::INFINITY),
            Expect::at_least(f64::NEG_INFINITY),
            Expect::at_most(f64::INFINITY),
            Expect::equals(f64::NAN),
        ] {
            assert!(!check(f64::NAN, e), "{e:?}");
            assert!(!Check::from_seeds("c", &[1.0, f64::NAN, 2.0], e, Source::Paper, "").pass);
        }
        assert!(!check(1.0, Expect::within(f64::NAN, 1.0)));
    }

    #[test]
    fn seed_statistics_use_student_t() {
        let s = SeedStats::new(&[1.0, 2.0, 3.0]);
        assert_eq!(s.n, 3);
        assert!((s.mean - 2.0).abs() < 1e-15);
        // s = 1, sem = 1/√3, t(0.975, 2) = 4.3027.
        assert!((s.sem - 1.0 / 3f64.sqrt()).abs() < 1e-15);
        assert!((s.ci_high - s.mean - 4.302_653 / 3f64.sqrt()).abs() < 1e-4);
        assert!(SeedStats::new(&[1.0]).ci_low.is_nan());
    }

    #[test]
    fn seeds_apply_the_kind_to_the_interval() {
        let v = [1.0, 1.1, 0.9, 1.05, 0.95];
        // mean 1, sd 0.079, sem 0.035, t(4) = 2.776: CI ≈ [0.902, 1.098].
        let c = |e| Check::from_seeds("c", &v, e, Source::Theory, "").pass;
        assert!(c(Expect::within(1.0, 0.1)));
        assert!(!c(Expect::within(1.0, 0.09)), "CI must lie inside the band");
        assert!(c(Expect::at_least(0.9)) && !c(Expect::at_least(0.91)));
        assert!(c(Expect::at_most(1.1)) && !c(Expect::at_most(1.09)));
        assert!(!c(Expect::equals(1.0)));
        let e = Check::from_seeds("c", &[3.0; 4], Expect::equals(3.0), Source::Paper, "");
        assert!(e.pass && e.value == 3.0);
        // One seed gives no interval.
        assert!(!Check::from_seeds("c", &[1.0], Expect::at_least(0.0), Source::Paper, "").pass);
    }

    #[test]
    fn serialises_kind_source_and_seeds() {
        let c = Check::from_seeds(
            "x",
            &[1.0, 2.0],
            Expect::at_least(0.5),
            Source::ReferenceSimulator,
            "n",
        );
        let j = serde_json::to_value(&c).expect("json");
        assert_eq!(j["kind"], "at_least");
        assert_eq!(j["bound"], 0.5);
        assert_eq!(j["source"], "reference_simulator");
        assert_eq!(j["seeds"]["n"], 2);
        let w = serde_json::to_value(Check::new(
            "w",
            1.0,
            Expect::within_rel(1.0, 0.1),
            Source::Paper,
            "",
        ))
        .expect("json");
        assert_eq!(w["kind"], "within");
        assert_eq!(w["relative"], true);
        assert!(w.get("seeds").is_none());
    }
}
