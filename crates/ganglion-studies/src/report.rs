//! Small helpers for writing `report.md`: number formatting, Markdown tables,
//! figure embedding.

use std::fmt::Write as _;
use std::path::Path;

use ganglion_plot::Figure;

use crate::{Check, StudyError};

/// Formats a number compactly: scientific for very small or large
/// magnitudes, up to 6 significant digits otherwise.
pub fn num(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{v:.5e}");
        // 1.50000e-7 -> 1.5e-7
        match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        }
    } else {
        let digits = (5 - a.log10().floor() as i32).clamp(0, 9) as usize;
        let s = format!("{v:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').into()
        } else {
            s
        }
    }
}

/// Formats a number with a fixed count of significant digits in scientific form.
pub fn sci(v: f64, sig: usize) -> String {
    if v == 0.0 || !v.is_finite() {
        return num(v);
    }
    format!("{v:.prec$e}", prec = sig.saturating_sub(1))
}

/// A Markdown table.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with the given column headers.
    pub fn new<S: AsRef<str>>(header: &[S]) -> Self {
        Self {
            header: header.iter().map(|h| h.as_ref().to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (cells are used as given).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Renders the table as Markdown.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "| {} |", self.header.join(" | "));
        let _ = writeln!(
            s,
            "|{}",
            self.header.iter().map(|_| "---|").collect::<String>()
        );
        for r in &self.rows {
            let _ = writeln!(s, "| {} |", r.join(" | "));
        }
        s
    }
}

/// The standard checks table of a report: name, measured value (with its
/// 95 % interval for multi-seed checks), expectation, source, verdict, note.
pub fn checks_table(checks: &[Check]) -> String {
    let mut t = Table::new(&["check", "ours", "expected", "source", "result", "note"]);
    for c in checks {
        t.row(vec![
            format!("`{}`", c.name),
            c.value_text(),
            c.expect.text(),
            c.source.label().into(),
            if c.pass { "pass" } else { "**FAIL**" }.into(),
            c.note.clone(),
        ]);
    }
    t.render()
}

/// `Mode: **quick**. Checks: **9/10 passed**.` for the top of a report.
pub fn status(mode: crate::Mode, checks: &[Check]) -> String {
    let passed = checks.iter().filter(|c| c.pass).count();
    format!(
        "Mode: **{mode}**. Checks: **{passed}/{} passed**.",
        checks.len()
    )
}

/// The top of a report: its `# title` line and the status line, as a string to append to.
pub fn header(title: &str, mode: crate::Mode, checks: &[Check]) -> String {
    format!("# {title}\n\n{}\n\n", status(mode, checks))
}

/// A serialisable table as JSON for `metrics.json`, with the study named in the error.
pub fn to_json<T: serde::Serialize + ?Sized>(
    study: &str,
    v: &T,
) -> Result<serde_json::Value, StudyError> {
    serde_json::to_value(v).map_err(|source| StudyError::Json {
        study: study.into(),
        source,
    })
}

/// Saves `fig` as `<dir>/<stem>.svg` and `.png` and returns the Markdown
/// that embeds the PNG and links the SVG.
pub fn figure(
    study: &str,
    dir: &Path,
    stem: &str,
    fig: &Figure,
    caption: &str,
) -> Result<String, StudyError> {
    ganglion_plot::save(fig, dir.join(stem)).map_err(StudyError::plot(study))?;
    Ok(format!(
        "![{caption}]({stem}.png)\n\n*{caption}* ([SVG]({stem}.svg))\n"
    ))
}

/// Writes `report.md` into `dir`.
pub fn write(dir: &Path, text: &str) -> Result<(), StudyError> {
    let path = dir.join("report.md");
    std::fs::write(&path, text).map_err(StudyError::io(path))
}

/// Writes `report.md` and returns the study's output: its checks and its named tables (for
/// `metrics.json`), each serialised with the study named in any error.
pub fn finish(
    study: &str,
    dir: &Path,
    text: &str,
    checks: Vec<crate::Check>,
    tables: &[(&str, &dyn erased::Table)],
) -> Result<crate::StudyOutput, StudyError> {
    write(dir, text)?;
    let mut map = serde_json::Map::new();
    for (name, table) in tables {
        map.insert((*name).into(), table.to_json(study)?);
    }
    Ok(crate::StudyOutput {
        checks,
        tables: map,
    })
}

/// Object-safe serialisation, so that tables of different row types can be passed together.
pub mod erased {
    use crate::StudyError;

    /// Anything serialisable, as a `metrics.json` table.
    pub trait Table {
        /// The table as JSON.
        fn to_json(&self, study: &str) -> Result<serde_json::Value, StudyError>;
    }

    impl<T: serde::Serialize + ?Sized> Table for T {
        fn to_json(&self, study: &str) -> Result<serde_json::Value, StudyError> {
            super::to_json(study, self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(num(8.37584522709849e-13), "8.37585e-13");
        assert_eq!(num(1.5e-7), "1.5e-7");
        assert_eq!(num(0.25), "0.25");
        assert_eq!(num(1234.5678), "1234.57");
        assert_eq!(num(1.0), "1");
        assert_eq!(sci(8.37584522709849e-13, 5), "8.3758e-13");
    }

    #[test]
    fn table_renders() {
        let mut t = Table::new(&["a", "b"]);
        t.row(vec!["1".into(), "2".into()]);
        assert_eq!(t.render(), "| a | b |\n|---|---|\n| 1 | 2 |\n");
    }
}
