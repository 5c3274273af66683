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

mod coupling;
mod files;
mod gap_junction;
mod input;
mod memory;
mod monitor;
pub mod plasticity;
mod population;
mod projection;
mod sic;
mod simulation;
mod values;

use crate::error::{ModelError, Problem, SourceMap};
use crate::models;
use crate::resolved::*;
use crate::spec::*;
use std::path::{Path, PathBuf};

pub use crate::memory::available_memory;
pub use plasticity::{PLASTICITY_RULES, PlasticityRule};
pub use simulation::{MAX_STEPS, THREADS_PER_CORE};

/// Where a spec came from: file (for messages and relative paths) and its text (for lines).
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// The spec file.
    pub file: Option<PathBuf>,
    /// Its line index.
    pub map: SourceMap,
}

impl Source {
    /// The folder that relative data-file names in the spec are read from (the spec's own).
    pub fn base_dir(&self) -> PathBuf {
        self.file
            .as_ref()
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// The largest spec file that is read (inline lists make specs long, but not this long).
pub const MAX_SPEC_BYTES: u64 = 256 << 20;

/// Why a path cannot be read as a data or spec file: it is not a regular file (a device
/// such as /dev/zero, a pipe or a folder never ends or is not a file at all). `None` when it
/// is a regular file or cannot be inspected (the reader then reports why).
pub fn not_regular(path: &Path) -> Option<&'static str> {
    let m = std::fs::metadata(path).ok()?;
    if m.is_file() {
        return None;
    }
    Some(if m.is_dir() {
        "it is a folder, not a file"
    } else {
        "it is not a regular file (a device, pipe or socket); only regular files are read"
    })
}

/// Read a TOML spec file into a [`Circuit`] and its [`Source`]. Only a regular file of at
/// most [`MAX_SPEC_BYTES`] is read (a device such as /dev/zero would never end).
pub fn load(path: &Path) -> Result<(Circuit, Source), ModelError> {
    let io = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let invalid = |why: String| io(std::io::Error::new(std::io::ErrorKind::InvalidInput, why));
    if let Some(why) = not_regular(path) {
        return Err(invalid(why.into()));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > MAX_SPEC_BYTES {
        return Err(invalid(format!(
            "it has {len} bytes, more than the {MAX_SPEC_BYTES} a spec may have; put large data in .npy files"
        )));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(file, MAX_SPEC_BYTES + 1),
        &mut text,
    )
    .map_err(io)?;
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

/// Settings given on the command line that replace the spec's `[simulation]` values.
/// Problems and notices about them name the flag (`--duration "-5 ms": ...`), not a line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--threads N` (0: all cores).
    pub threads: Option<usize>,
    /// `--seed S`.
    pub seed: Option<u64>,
    /// `--duration "500 ms"`.
    pub duration: Option<String>,
}

/// Validate a circuit and resolve it to base units. All problems are reported together;
/// notices (values rounded or capped, see [`validate_with`]) are dropped.
pub fn validate(c: &Circuit, src: &Source) -> Result<Resolved, ModelError> {
    validate_with(c, src, &Overrides::default()).map(|(r, _)| r)
}

/// Validate a circuit with command-line `overrides`, and return the resolved circuit with
/// its notices: what validation changed without it being an error (a duration rounded to
/// whole steps, a thread count capped, spikes after the end of the run), each a sentence
/// that says exactly what was done, with the file, line and object like a problem.
pub fn validate_with(
    c: &Circuit,
    src: &Source,
    overrides: &Overrides,
) -> Result<(Resolved, Vec<String>), ModelError> {
    let mut ctx = Ctx {
        src,
        problems: vec![],
        dt: 0.1,
        dt_known: true,
        run_steps: None,
        overrides,
        notes: vec![],
        broken: Default::default(),
    };
    let mut sim = simulation::resolve(&mut ctx, &c.simulation);
    let populations = population::resolve_all(&mut ctx, &c.populations);
    let neurons = populations
        .iter()
        .fold(0usize, |n, p| n.saturating_add(p.size));
    sim.threads = simulation::threads(&mut ctx, &c.simulation, neurons);
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
    if !ctx.problems.is_empty() {
        return Err(ModelError::Invalid(ctx.problems));
    }
    let name = src
        .file
        .as_ref()
        .and_then(|f| f.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "circuit".into());
    let resolved = Resolved {
        name,
        dt: ctx.dt,
        steps: sim.steps,
        seed: overrides.seed.unwrap_or(c.simulation.seed),
        threads: sim.threads,
        populations,
        projections,
        inputs,
        monitors,
        memory,
    };
    Ok((resolved, ctx.notes))
}

/// One object of the spec that problems are reported against: its `[[section]]`, its index
/// there (for lines) and its name in messages, e.g. `projection "exc→inh"`; or a
/// command-line flag (section [`FLAG`]), reported without a file or line.
#[derive(Debug, Clone)]
pub(crate) struct Obj {
    section: &'static str,
    index: usize,
    name: String,
}

/// The section of an [`Obj`] that is a command-line flag.
const FLAG: &str = "--";

impl Obj {
    fn new(section: &'static str, index: usize, name: String) -> Obj {
        Obj {
            section,
            index,
            name,
        }
    }

    /// The command-line flag `flag` given `value`: `--duration "500 ms"`.
    fn flag(flag: &str, value: impl std::fmt::Display) -> Obj {
        Obj::new(FLAG, 0, format!("{flag} {value}"))
    }

    /// Whether this is a command-line flag.
    fn is_flag(&self) -> bool {
        self.section == FLAG
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

/// The validation state: the source for lines and files, the problems and notices so far,
/// dt and the run's length, and the objects that failed (so that what refers to them is not
/// reported again as "not defined").
pub(crate) struct Ctx<'a> {
    src: &'a Source,
    problems: Vec<Problem>,
    /// The time step [ms] (0.1 until `[simulation]` is read).
    dt: f64,
    /// Whether dt is the spec's (false when it was invalid: comparisons with dt are skipped,
    /// since they would only repeat that problem).
    dt_known: bool,
    /// The run's length in steps, when valid.
    run_steps: Option<u64>,
    /// Command-line settings that replace the spec's.
    overrides: &'a Overrides,
    /// Notices: what was rounded, capped or will not take effect.
    notes: Vec<String>,
    /// Names of objects (`"population"`, name) that are defined but failed to resolve.
    broken: std::collections::HashSet<(&'static str, String)>,
}

impl Ctx<'_> {
    /// Report a problem of `o` on the line of `key` (the object's first line when absent).
    fn report(&mut self, o: &Obj, key: &str, message: impl Into<String>, hint: impl Into<Hint>) {
        let (file, line) = self.place(o, key);
        self.problems.push(Problem {
            file,
            line,
            object: o.name.clone(),
            message: message.into(),
            hint: hint.into().0,
        });
    }

    /// Record a notice about `o` (at the line of `key`): something validation rounded, capped
    /// or found will not take effect, said exactly; shown like a problem, without a hint.
    fn note(&mut self, o: &Obj, key: &str, message: impl Into<String>) {
        let (file, line) = self.place(o, key);
        let p = Problem {
            file,
            line,
            object: o.name.clone(),
            message: message.into(),
            hint: None,
        };
        self.notes.push(p.to_string());
    }

    /// The file and line of `key` of `o` (none for a command-line flag).
    fn place(&self, o: &Obj, key: &str) -> (Option<PathBuf>, Option<usize>) {
        if o.is_flag() {
            return (None, None);
        }
        let line = self.src.map.locate(o.section, o.index, Some(key));
        (self.src.file.clone(), line)
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

    /// Mark `name` of `section` as defined but failed (its problems are reported), so that
    /// references to it are not reported again.
    fn mark_broken(&mut self, section: &'static str, name: &str) {
        self.broken.insert((section, name.to_string()));
    }

    /// Whether `name` of `section` is defined but failed to resolve.
    fn is_broken(&self, section: &'static str, name: &str) -> bool {
        self.broken.contains(&(section, name.to_string()))
    }

    /// A file named in the spec, relative to the spec file.
    fn path(&self, file: &str) -> PathBuf {
        self.src.base_dir().join(file)
    }

    /// Whether `file` (named by `key` of `o`) may be read: a report when it exists but is not
    /// a regular file (a device such as /dev/zero never ends). A missing file passes: its
    /// reader reports it.
    fn readable(&mut self, o: &Obj, key: &str, what: &str, file: &str) -> bool {
        let path = self.path(file);
        match not_regular(&path) {
            None => true,
            Some(why) => {
                let msg = format!("{what}cannot read {}: {why}", path.display());
                self.report(o, key, msg, "name a .npy or text file");
                false
            }
        }
    }

    /// A value or distribution as [`Ctx::distribution`], once a list file it names has been
    /// found readable (checked first, so a folder or device is the one problem reported).
    fn value(
        &mut self,
        v: &Value,
        dim: crate::units::Dim,
        o: &Obj,
        key: &str,
        what: &str,
        count: Option<usize>,
    ) -> Option<Distribution> {
        if let Value::Dist(DistSpec {
            file: Some(file), ..
        }) = v
            && !self.readable(o, key, &format!("{what}: "), file)
        {
            return None;
        }
        self.distribution(v, dim, o, key, what, count)
    }

    /// Whether `ms` is shorter than dt (false when dt itself was invalid).
    fn below_dt(&self, ms: f64) -> bool {
        self.dt_known && ms < self.dt - 1e-9
    }

    /// Whether `ms` is a whole number of steps of dt (true when dt itself was invalid).
    fn on_grid(&self, ms: f64) -> bool {
        let k = ms / self.dt;
        // Within floating-point error of a whole number (0.3 / 0.1 is 2.9999999999999996).
        !self.dt_known || (k - k.round()).abs() <= 1e-6 + 1e-12 * k.abs()
    }

    /// Whole steps of dt in `ms` (at least one), or a report that it is shorter than dt;
    /// a notice when `ms` is not a whole number of steps and was rounded.
    fn steps(&mut self, o: &Obj, key: &str, what: &str, ms: f64) -> Option<u64> {
        let shown = fmt_ms(ms);
        if self.below_dt(ms) || ms.is_nan() {
            let msg = format!("{what} {shown} is shorter than dt {}", fmt_ms(self.dt));
            let hint = format!("{key} = \"{}\" (one step) or longer", fmt_ms(self.dt));
            self.report(o, key, msg, hint);
            return None;
        }
        let k = (ms / self.dt).round().max(1.0);
        if !self.on_grid(ms) {
            let msg = format!(
                "{what} {shown} is not a whole number of steps of dt {}: it is rounded to {k} steps = {}",
                fmt_ms(self.dt),
                fmt_ms(k * self.dt)
            );
            self.note(o, key, msg);
        }
        Some(k as u64)
    }

    /// The end of the run [ms], when its length is known.
    fn run_end(&self) -> Option<f64> {
        self.run_steps.map(|s| s as f64 * self.dt)
    }
}

/// `x` ms as a time, rounded to a billionth of a ms: `"0.3 ms"`, not `"0.30000000000000004 ms"`.
pub(crate) fn fmt_ms(x: f64) -> String {
    if !x.is_finite() || x.abs() >= 1e15 {
        return format!("{x:e} ms");
    }
    format!("{} ms", (x * 1e9).round() / 1e9)
}

/// `did you mean "x"?` when a candidate is close to `word`, else `<label>: a, b, c`.
fn name_hint<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>, label: &str) -> String {
    let all: Vec<&str> = candidates.into_iter().collect();
    models::did_you_mean(word, &all, label)
}

/// The fields set in `spec` (a plasticity, input or monitor), by their TOML names: what
/// serialises, since every optional field is skipped when absent.
pub(super) fn fields_set(spec: &impl serde::Serialize) -> Vec<String> {
    toml::Table::try_from(spec)
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// Fields set on `spec` (an input or monitor, `what`, of `kind`) that the kind does not
/// read, each reported by [`foreign_field`]; false when there are any. `ignored` fields
/// (read by every kind) are not checked; an unknown kind passes (the lookup reports it).
pub(super) fn fields_used(
    ctx: &mut Ctx,
    o: &Obj,
    spec: &impl serde::Serialize,
    (kind, what): (&str, &str),
    ignored: impl Fn(&str) -> bool,
    table: &[(&str, &[&str])],
) -> bool {
    let Some((_, fields)) = table.iter().find(|(k, _)| *k == kind) else {
        return true;
    };
    let mut ok = true;
    for f in fields_set(spec)
        .iter()
        .filter(|f| !ignored(f) && !fields.contains(&f.as_str()))
    {
        foreign_field(ctx, o, f, (kind, what), fields, table);
        ok = false;
    }
    ok
}

/// Report `field`, set on a `kind` input or monitor (`what`) that does not use it: the
/// fields that kind takes and the kinds that take `field`, from the kind table `table`.
fn foreign_field(
    ctx: &mut Ctx,
    o: &Obj,
    field: &str,
    (kind, what): (&str, &str),
    fields: &[&str],
    table: &[(&str, &[&str])],
) {
    let owners: Vec<&str> = table
        .iter()
        .filter(|(_, fs)| fs.contains(&field))
        .map(|(k, _)| *k)
        .collect();
    let msg = format!("`{field}` is not used by a {kind} {what}");
    let hint = format!(
        "a {kind} {what} takes: {}; `{field}` belongs to {}",
        fields.join(", "),
        owners.join(", ")
    );
    ctx.report(o, field, msg, hint);
}
