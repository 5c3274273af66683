//! Errors of the spec layer: I/O, TOML syntax, and validation problems with locations.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a spec: where, which object, what, and how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The spec file, when the circuit came from one.
    pub file: Option<PathBuf>,
    /// 1-based line in that file, when known.
    pub line: Option<usize>,
    /// The user's object, e.g. `projection "exc→inh"`.
    pub object: String,
    /// What is wrong, naming the value.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(p), Some(l)) => write!(f, "{}:{}: ", p.display(), l)?,
            (Some(p), None) => write!(f, "{}: ", p.display())?,
            (None, Some(l)) => write!(f, "line {l}: ")?,
            (None, None) => {}
        }
        write!(f, "{}: {}", self.object, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Errors from loading and validating a circuit spec.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The spec file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The TOML is malformed or has fields of the wrong type.
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// One or more validation problems (all of them are reported at once).
    #[error("{}", format_problems(.0))]
    Invalid(Vec<Problem>),
}

fn format_problems(ps: &[Problem]) -> String {
    let mut s = format!(
        "the spec has {} problem{}:",
        ps.len(),
        if ps.len() == 1 { "" } else { "s" }
    );
    for p in ps {
        s.push_str("\n- ");
        s.push_str(&p.to_string().replace('\n', "\n  "));
    }
    s
}

impl ModelError {
    /// The validation problems, if this is [`ModelError::Invalid`].
    pub fn problems(&self) -> &[Problem] {
        match self {
            ModelError::Invalid(p) => p,
            _ => &[],
        }
    }
}

/// Lines of a spec file, to point errors at the right line.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    lines: Vec<String>,
}

impl SourceMap {
    /// Index the text of a TOML spec.
    pub fn new(text: &str) -> SourceMap {
        SourceMap {
            lines: text.lines().map(str::to_string).collect(),
        }
    }

    /// 1-based line of `key` inside the `index`-th `[[section]]` (or `[section]` when it is a
    /// plain table); the table header's line when `key` is not found there.
    pub fn locate(&self, section: &str, index: usize, key: Option<&str>) -> Option<usize> {
        let array_header = format!("[[{section}]]");
        let table_header = format!("[{section}]");
        let sub_prefix = format!("[{section}.");
        let mut seen = 0usize;
        let mut start = None;
        for (i, l) in self.lines.iter().enumerate() {
            let t = header(l);
            if t.starts_with(&array_header) || (index == 0 && t.starts_with(&table_header)) {
                if seen == index {
                    start = Some(i);
                    break;
                }
                seen += 1;
            }
        }
        // An inline array of tables (`population = [{ … }, …]`): its first line.
        let start = start.or_else(|| {
            self.lines.iter().position(|l| {
                let code = l.split('#').next().unwrap_or("").trim_start();
                let code = code.strip_prefix('"').unwrap_or(code);
                code.strip_prefix(section).is_some_and(|rest| {
                    let rest = rest.strip_prefix('"').unwrap_or(rest).trim_start();
                    rest.starts_with('=')
                })
            })
        })?;
        let mut end = self.lines.len();
        for (i, l) in self.lines.iter().enumerate().skip(start + 1) {
            let t = header(l);
            if t.starts_with('[') && !t.starts_with(&sub_prefix) {
                end = i;
                break;
            }
        }
        if let Some(key) = key {
            for (i, l) in self.lines[start..end].iter().enumerate() {
                let code = l.split('#').next().unwrap_or("");
                if contains_key(code, key) {
                    return Some(start + i + 1);
                }
            }
        }
        Some(start + 1)
    }
}

/// A table header line in canonical form (`[[ "population" ]]` → `[[population]]`);
/// other lines trimmed at the start.
fn header(line: &str) -> String {
    let t = line.trim_start();
    if t.starts_with('[') {
        t.split('#')
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
            .collect()
    } else {
        t.to_string()
    }
}

/// Whether `line` assigns `key` (`key =` at a word boundary).
fn contains_key(line: &str, key: &str) -> bool {
    if key.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(pos) = line[from..].find(key) {
        let i = from + pos;
        let before_ok = i == 0
            || !line[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '"');
        let after = line[i + key.len()..].trim_start();
        if before_ok && after.starts_with('=') && !after.starts_with("==") {
            return true;
        }
        from = i + key.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn locates_keys_in_blocks() {
        let text = "[simulation]\ndt = \"0.1 ms\"\n\n[[population]]\nname = \"a\"\nsize = 3\n\n[[population]]\nname = \"b\"\nparams = { tau_m = \"1 ms\" }\n[population.init]\nV_m = \"1 mV\"\n[[projection]]\nsource = \"a\"\n";
        let m = SourceMap::new(text);
        assert_eq!(m.locate("simulation", 0, Some("dt")), Some(2));
        assert_eq!(m.locate("population", 1, Some("tau_m")), Some(10));
        assert_eq!(m.locate("population", 1, Some("V_m")), Some(12));
        assert_eq!(m.locate("population", 0, Some("tau_m")), Some(4));
        assert_eq!(m.locate("projection", 0, Some("source")), Some(14));
        assert_eq!(m.locate("projection", 3, None), None);
    }
}
