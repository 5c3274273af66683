//! `validate()`: check a [`Circuit`] once, up front, and resolve it to base units.
//!
//! Every problem is collected (not just the first) and names the file, line, object and
//! value, with a hint on how to fix it. One module per object of the spec: `simulation`,
//! `population`, `projection` (connectivity, weights, delays, receptors, Dale's law),
//! [`plasticity`] (the table of rules), `input`, `monitor`, `memory` (the estimate, from
//! [`crate::memory`]) and `files` (edge lists, `.npy` and `.csv` reading); `values` reads
//! quantities and distributions with units.
//!
//! Hints have one format: a fix written as the spec line that would be right
//! (`delay = "1 ms"`), or a sentence; for an unknown name, `did you mean "x"?` or
//! `<label>: a, b, c` listing every candidate.

mod files;
mod input;
mod memory;
mod monitor;
pub mod plasticity;
mod population;
mod projection;
mod simulation;
mod values;

use crate::error::{ModelError, Problem, SourceMap};
use crate::models;
use crate::resolved::*;
use crate::spec::*;
use std::path::{Path, PathBuf};

pub use crate::memory::available_memory;
pub use plasticity::{PLASTICITY_RULES, PlasticityRule};

/// Where a spec came from: file (for messages and relative paths) and its text (for lines).
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// The spec file.
    pub file: Option<PathBuf>,
    /// Its line index.
    pub map: SourceMap,
}

impl Source {
    fn base_dir(&self) -> PathBuf {
        self.file
            .as_ref()
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// Read a TOML spec file into a [`Circuit`] and its [`Source`].
pub fn load(path: &Path) -> Result<(Circuit, Source), ModelError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let circuit = parse_str(&text, path)?;
    Ok((
        circuit,
        Source {
            file: Some(path.to_path_buf()),
            map: SourceMap::new(&text),
        },
    ))
}

/// Parse TOML text (named `path` in messages).
pub fn parse_str(text: &str, path: &Path) -> Result<Circuit, ModelError> {
    toml::from_str::<Circuit>(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
                (line, col)
            })
            .unwrap_or((0, 0));
        ModelError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().to_string(),
        }
    })
}

/// Load and validate a spec file.
pub fn load_and_validate(path: &Path) -> Result<Resolved, ModelError> {
    let (c, src) = load(path)?;
    validate(&c, &src)
}

/// Validate a circuit built in Rust (no file).
pub fn validate_circuit(c: &Circuit) -> Result<Resolved, ModelError> {
    validate(c, &Source::default())
}

/// Validate a circuit and resolve it to base units. All problems are reported together.
pub fn validate(c: &Circuit, src: &Source) -> Result<Resolved, ModelError> {
    let mut ctx = Ctx {
        src,
        problems: vec![],
        dt: 0.1,
    };
    let sim = simulation::resolve(&mut ctx, &c.simulation);
    let (populations, pops_ok) = population::resolve_all(&mut ctx, &c.populations);
    let projections = projection::resolve_all(&mut ctx, &c.projections, &populations);
    let inputs = input::resolve_all(&mut ctx, &c.inputs, &populations);
    let monitors = monitor::resolve_all(&mut ctx, &c.monitors, &populations, &projections);
    let memory = memory::check(
        &mut ctx,
        &sim,
        &populations,
        &projections,
        &inputs,
        &monitors,
    );
    if !ctx.problems.is_empty() || !pops_ok {
        return Err(ModelError::Invalid(ctx.problems));
    }
    let name = src
        .file
        .as_ref()
        .and_then(|f| f.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "circuit".into());
    Ok(Resolved {
        name,
        dt: ctx.dt,
        steps: sim.steps,
        seed: c.simulation.seed,
        threads: sim.threads,
        populations,
        projections,
        inputs,
        monitors,
        memory,
    })
}

/// One object of the spec that problems are reported against: its `[[section]]`, its index
/// there (for lines) and its name in messages, e.g. `projection "exc→inh"`.
#[derive(Debug, Clone)]
pub(crate) struct Obj {
    section: &'static str,
    index: usize,
    name: String,
}

impl Obj {
    fn new(section: &'static str, index: usize, name: String) -> Obj {
        Obj {
            section,
            index,
            name,
        }
    }
}

/// A hint on how to fix a problem (see the module docs for its format).
pub(crate) struct Hint(Option<String>);

/// No hint.
pub(crate) const NO_HINT: Hint = Hint(None);

impl From<&str> for Hint {
    fn from(s: &str) -> Hint {
        Hint(Some(s.to_string()))
    }
}
impl From<String> for Hint {
    fn from(s: String) -> Hint {
        Hint(Some(s))
    }
}
impl From<Option<String>> for Hint {
    fn from(s: Option<String>) -> Hint {
        Hint(s)
    }
}

/// The validation state: the source for lines and files, the problems so far, and dt.
pub(crate) struct Ctx<'a> {
    src: &'a Source,
    problems: Vec<Problem>,
    /// The time step [ms] (0.1 until `[simulation]` is read).
    dt: f64,
}

impl Ctx<'_> {
    /// Report a problem of `o` on the line of `key` (the object's first line when absent).
    fn report(&mut self, o: &Obj, key: &str, message: impl Into<String>, hint: impl Into<Hint>) {
        self.problems.push(Problem {
            file: self.src.file.clone(),
            line: self.src.map.locate(o.section, o.index, Some(key)),
            object: o.name.clone(),
            message: message.into(),
            hint: hint.into().0,
        });
    }

    /// Report an unknown name with the one hint format for names: the closest candidate,
    /// or every candidate after `label` (`none` when there are none).
    fn unknown<'c>(
        &mut self,
        o: &Obj,
        key: &str,
        message: String,
        word: &str,
        candidates: impl IntoIterator<Item = &'c str>,
        label: &str,
    ) {
        let hint = name_hint(word, candidates, label);
        self.report(o, key, message, hint);
    }

    /// The function of `table` (connection rules, input or monitor kinds) named `name`, or a
    /// report `unknown {what} "name"` with the hint for names (`label`: the table's word).
    fn lookup<'t, F>(
        &mut self,
        table: &'t [(&'static str, F)],
        name: &str,
        o: &Obj,
        key: &str,
        what: &str,
        label: &str,
    ) -> Option<&'t F> {
        let found = table.iter().find(|(n, _)| *n == name).map(|(_, f)| f);
        if found.is_none() {
            let msg = format!("unknown {what} \"{name}\"");
            self.unknown(o, key, msg, name, table.iter().map(|(n, _)| *n), label);
        }
        found
    }

    /// A file named in the spec, relative to the spec file.
    fn path(&self, file: &str) -> PathBuf {
        self.src.base_dir().join(file)
    }

    /// Whole steps of dt in `ms` (at least one), or a report that it is shorter than dt.
    fn steps(&mut self, o: &Obj, key: &str, what: &str, ms: f64) -> Option<u64> {
        let k = (ms / self.dt).round();
        if k < 1.0 {
            let shown = crate::units::show(ms, crate::units::Dim::Time);
            self.report(
                o,
                key,
                format!("{what} {shown} is shorter than dt"),
                NO_HINT,
            );
            return None;
        }
        Some(k as u64)
    }
}

/// `did you mean "x"?` when a candidate is close to `word`, else `<label>: a, b, c`.
fn name_hint<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>, label: &str) -> String {
    let all: Vec<&str> = candidates.into_iter().collect();
    if all.is_empty() {
        return format!("{label}: none");
    }
    models::did_you_mean(word, &all, label)
}
