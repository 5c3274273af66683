//! The study abstraction: what a study says about itself, what it returns.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Error;

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

/// How a check's tolerance is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ToleranceKind {
    /// Pass when `|value - expected| <= tolerance * |expected|`.
    Relative,
    /// Pass when `|value - expected| <= tolerance`.
    Absolute,
}

/// One metric compared with the paper (or with theory).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Short identifier, unique within the study.
    pub name: String,
    /// What this run measured or computed.
    pub value: f64,
    /// What the paper (or the stated theory) says.
    pub expected: f64,
    /// Allowed deviation, see `tolerance_kind`.
    pub tolerance: f64,
    /// Whether `tolerance` is relative or absolute.
    pub tolerance_kind: ToleranceKind,
    /// Whether `value` is within tolerance of `expected` (false for NaN).
    pub pass: bool,
    /// Where `expected` comes from and why the tolerance is what it is.
    pub note: String,
}

impl Check {
    /// A check passing when `|value - expected| <= tolerance * |expected|`.
    pub fn relative(
        name: impl Into<String>,
        value: f64,
        expected: f64,
        tolerance: f64,
        note: impl Into<String>,
    ) -> Self {
        let pass = (value - expected).abs() <= tolerance * expected.abs();
        Self {
            name: name.into(),
            value,
            expected,
            tolerance,
            tolerance_kind: ToleranceKind::Relative,
            pass,
            note: note.into(),
        }
    }

    /// A check passing when `|value - expected| <= tolerance`.
    pub fn absolute(
        name: impl Into<String>,
        value: f64,
        expected: f64,
        tolerance: f64,
        note: impl Into<String>,
    ) -> Self {
        let pass = (value - expected).abs() <= tolerance;
        Self {
            name: name.into(),
            value,
            expected,
            tolerance,
            tolerance_kind: ToleranceKind::Absolute,
            pass,
            note: note.into(),
        }
    }

    /// `"±5e-5 rel"` / `"±0.05"`: the tolerance as text.
    pub fn tolerance_text(&self) -> String {
        match self.tolerance_kind {
            ToleranceKind::Relative => format!("±{} rel", crate::report::num(self.tolerance)),
            ToleranceKind::Absolute => format!("±{}", crate::report::num(self.tolerance)),
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
    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, Error>;
}
