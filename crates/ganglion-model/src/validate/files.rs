//! Files named by a spec: `.npy` arrays, value lists and edge lists (`.npy` or text tables
//! such as `.csv`). Paths are relative to the spec file.
//!
//! A file is read whole and checked before any value is used: its structure (a `.npy` body
//! that agrees with its header; a text table with the same number of columns in every row,
//! a number in every cell, at least one row) and every value (finite and within the 32-bit
//! float range the engine computes in, after conversion to base units). A problem names the
//! file and the row and column (counted from 1, not counting a header line), never the
//! file's contents.

use super::values::NUMBER_HINT;
use super::{Ctx, Obj};
use crate::npy;
use crate::resolved::{Distribution, EdgeList};
use crate::spec::{Connectivity, DistSpec};
use crate::units::{Dim, RangeError, check_f32, number, show};

/// The one hint for a file that cannot be read.
const PATH_HINT: &str = "give the path relative to the spec file";
/// The columns of an edge list.
const EDGE_COLUMNS: &str = "columns: source, target[, weight[, delay]]";
/// The hint for a `.npy` file whose structure is wrong.
const NPY_HINT: &str = "save the array again with numpy.save (a numeric dtype, C order)";
/// The hint for a text table whose structure is wrong.
const TEXT_HINT: &str = "one row per line, cells separated by commas, tabs or spaces, the same number in every row; an optional header line; `#` starts a comment line";

/// A table of numbers read from a file: its shape, values (row-major), and for a text file
/// the line of each row (for hints).
#[derive(Debug)]
pub(super) struct Table {
    pub(super) shape: Vec<usize>,
    pub(super) data: Vec<f64>,
    lines: Option<Vec<usize>>,
}

impl Table {
    /// Where value `i` is, for messages: `row 3`, `row 3, column 2` or `value 7` (rows and
    /// columns counted from 1).
    fn place(&self, i: usize) -> String {
        match self.shape.as_slice() {
            [] | [_] | [_, 1] => format!("row {}", i + 1),
            [_, c] => format!("row {}, column {}", i / c + 1, i % c + 1),
            _ => format!("value {}", i + 1),
        }
    }

    /// How rows are counted, for the hint of a problem at value `i` of `file`.
    fn rows_hint(&self, i: usize, file: &str) -> String {
        let row = match self.shape.as_slice() {
            [_, c] => i / c,
            _ => i,
        };
        match &self.lines {
            Some(lines) => format!(
                "rows count from 1, not counting a header; row {} is line {} of {file}",
                row + 1,
                lines.get(row).copied().unwrap_or(0)
            ),
            None => format!("rows count from 1; row {} is index {row} in NumPy", row + 1),
        }
    }
}

/// How the values of a file convert to base units: the factor, the unit as written, and
/// the dimension.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scale<'a> {
    factor: f64,
    unit: Option<&'a str>,
    dim: Dim,
}

impl<'a> Scale<'a> {
    /// Values written in `unit` (None: plain numbers), `factor` times the base unit of `dim`.
    pub(super) fn new(factor: f64, unit: Option<&'a str>, dim: Dim) -> Scale<'a> {
        Scale { factor, unit, dim }
    }

    /// Plain numbers in base units.
    const PLAIN: Scale<'static> = Scale {
        factor: 1.0,
        unit: None,
        dim: Dim::Dimensionless,
    };

    /// `x` in base units, or how to show it and why it cannot be used: `inf`, `1e30 A
    /// (1e42 pA)`.
    fn convert(self, x: f64) -> Result<f64, (String, RangeError)> {
        let v = x * self.factor;
        check_f32(x)
            .and_then(|_| check_f32(v))
            .map_err(|e| (self.shown(x, v), e))
    }

    fn shown(self, x: f64, v: f64) -> String {
        let raw = match self.unit {
            Some(u) if x.is_finite() => format!("{} {u}", number(x)),
            _ => number(x),
        };
        match self.factor == 1.0 || !x.is_finite() {
            true => raw,
            false => format!("{raw} ({})", show(v, self.dim)),
        }
    }
}

/// Report a value that cannot be used: the first of `bad` (value index `i`, shown value and
/// why), and how many more there are.
#[allow(clippy::too_many_arguments)]
fn report_value(
    ctx: &mut Ctx,
    o: &Obj,
    key: &str,
    prefix: &str,
    file: &str,
    t: &Table,
    what: &str,
    (i, shown, e): (usize, String, RangeError),
    more: usize,
) {
    let more = match more {
        0 => String::new(),
        1 => " (and 1 more like it)".into(),
        n => format!(" (and {n} more like it)"),
    };
    // A named column (`weight`) needs no column number.
    let place = match (what, t.shape.as_slice()) {
        ("value", _) => t.place(i),
        (_, [_, c]) => format!("row {}", i / c + 1),
        _ => t.place(i),
    };
    let msg = format!("{prefix}{file} {place}: {what} {shown} {e}{more}");
    let hint = format!("{NUMBER_HINT}; {}", t.rows_hint(i, file));
    ctx.report(o, key, msg, hint);
}

/// Values `xs` (from `t`, every `step`-th from `first`) converted with `scale`, or a report
/// of the first that cannot be used (and how many more).
#[allow(clippy::too_many_arguments)]
fn converted(
    ctx: &mut Ctx,
    o: &Obj,
    key: &str,
    prefix: &str,
    file: &str,
    t: &Table,
    (first, step): (usize, usize),
    what: &str,
    scale: Scale,
) -> Option<Vec<f64>> {
    let mut out = Vec::with_capacity(t.data.len() / step.max(1));
    let mut bad = None;
    let mut more = 0;
    for i in (first..t.data.len()).step_by(step.max(1)) {
        match scale.convert(t.data[i]) {
            Ok(v) => out.push(v),
            Err((shown, e)) if bad.is_none() => bad = Some((i, shown, e)),
            Err(_) => more += 1,
        }
    }
    match bad {
        None => Some(out),
        Some(b) => {
            report_value(ctx, o, key, prefix, file, t, what, b, more);
            None
        }
    }
}

/// The bytes of a file named in the spec, or a report `{prefix}cannot read <path>: <why>`
/// (also for a folder or device, which is never read: see [`Ctx::readable`]).
fn read_bytes(ctx: &mut Ctx, o: &Obj, key: &str, prefix: &str, file: &str) -> Option<Vec<u8>> {
    if !ctx.readable(o, key, prefix, file) {
        return None;
    }
    let path = ctx.path(file);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            let msg = format!("{prefix}cannot read {}: {e}", path.display());
            ctx.report(o, key, msg, PATH_HINT);
            None
        }
    }
}

/// Read a table of numbers: a `.npy` file (by its name or its magic), else a text table.
/// Only its structure is checked (see [`read_npy`] for its values).
pub(super) fn read_table(
    ctx: &mut Ctx,
    o: &Obj,
    key: &str,
    prefix: &str,
    file: &str,
) -> Option<Table> {
    let bytes = read_bytes(ctx, o, key, prefix, file)?;
    if file.ends_with(".npy") || bytes.starts_with(npy::MAGIC) {
        return match npy::parse(&bytes) {
            Ok(a) => Some(Table {
                shape: a.shape,
                data: a.data,
                lines: None,
            }),
            Err(e) => {
                ctx.report(o, key, format!("{prefix}{file}: {e}"), NPY_HINT);
                None
            }
        };
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        let msg = format!("{prefix}{file} is neither a .npy file nor text (it is not UTF-8)");
        ctx.report(o, key, msg, TEXT_HINT);
        return None;
    };
    match parse_text(text) {
        Ok(t) => Some(t),
        Err(why) => {
            ctx.report(o, key, format!("{prefix}{file}{why}"), TEXT_HINT);
            None
        }
    }
}

/// The cells of a line: split at commas when it has any, else at tabs, else at spaces.
fn cells(line: &str) -> Vec<&str> {
    if line.contains(',') {
        line.split(',').map(str::trim).collect()
    } else if line.contains('\t') {
        line.split('\t').map(str::trim).collect()
    } else {
        line.split_whitespace().collect()
    }
}

/// `1 column`, `3 columns`.
fn n_columns(n: usize) -> String {
    format!("{n} column{}", if n == 1 { "" } else { "s" })
}

/// Parse a text table (the error is the rest of a message after the file's name).
fn parse_text(text: &str) -> Result<Table, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut data = vec![];
    let mut lines = vec![];
    let mut header: Option<usize> = None;
    let mut columns = None;
    for (ln, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cs = cells(line);
        let row = lines.len() + 1;
        // A first line without a single number is a header.
        if lines.is_empty() && header.is_none() && cs.iter().all(|c| c.parse::<f64>().is_err()) {
            header = Some(cs.len());
            continue;
        }
        for (j, c) in cs.iter().enumerate() {
            if c.is_empty() {
                return Err(format!(" row {row}, column {} is empty", j + 1));
            }
            match c.parse::<f64>() {
                Ok(x) => data.push(x),
                Err(_) => {
                    // The cell itself is not quoted: messages never show a file's contents.
                    return Err(format!(" row {row}, column {} is not a number", j + 1));
                }
            }
        }
        match (columns, header) {
            (None, Some(h)) if h != cs.len() => {
                return Err(format!(
                    ": row 1 has {}, the header has {h}",
                    n_columns(cs.len())
                ));
            }
            (None, _) => columns = Some(cs.len()),
            (Some(c), _) if c != cs.len() => {
                return Err(format!(
                    ": row {row} has {}, row 1 has {c}",
                    n_columns(cs.len())
                ));
            }
            _ => {}
        }
        lines.push(ln + 1);
    }
    let Some(columns) = columns else {
        return Err(match header {
            Some(_) => " has a header but no rows".into(),
            None if text.trim().is_empty() => " is empty".into(),
            None => " has only comments, no rows".into(),
        });
    };
    Ok(Table {
        shape: vec![lines.len(), columns],
        data,
        lines: Some(lines),
    })
}

/// Read a `.npy` file (or a text table) whose values must all be numbers the engine can
/// hold, or report `{prefix}cannot read <path>: <why>`, `{prefix}<file>: <what is wrong>` or
/// `{prefix}<file> row 3: value NaN is not a finite number`.
pub(super) fn read_npy(
    ctx: &mut Ctx,
    o: &Obj,
    key: &str,
    prefix: &str,
    file: &str,
) -> Option<Table> {
    let t = read_table(ctx, o, key, prefix, file)?;
    let data = converted(ctx, o, key, prefix, file, &t, (0, 1), "value", Scale::PLAIN)?;
    // Later hints about these values count rows as NumPy does, whatever the file's format.
    Some(Table {
        shape: t.shape,
        data,
        lines: None,
    })
}

/// Values of an array read by [`read_npy`] converted with `scale` (a time series in its
/// unit), or a report of the first that is not a number the engine can hold.
pub(super) fn scaled(
    ctx: &mut Ctx,
    o: &Obj,
    key: &str,
    file: &str,
    t: &Table,
    scale: Scale,
) -> Option<Vec<f64>> {
    converted(ctx, o, key, "", file, t, (0, 1), "value", scale)
}

/// Check that column `col` of a 2-D array read by [`read_npy`] holds neuron indices (whole
/// numbers from 0) below `n`, the size of `population`.
pub(super) fn check_indices(
    ctx: &mut Ctx,
    o: &Obj,
    key: &str,
    file: &str,
    t: &Table,
    (col, what): (usize, &str),
    (n, population): (usize, &str),
) -> Option<()> {
    index_column(ctx, o, key, file, t, (col, what), (n, population)).then_some(())
}

/// See [`check_indices`]; false when a problem was reported.
fn index_column(
    ctx: &mut Ctx,
    o: &Obj,
    key: &str,
    file: &str,
    t: &Table,
    (col, what): (usize, &str),
    (n, population): (usize, &str),
) -> bool {
    let cols = t.shape.get(1).copied().unwrap_or(1).max(1);
    let is_index = |x: f64| x >= 0.0 && x.fract() == 0.0;
    let mut rows = (col..t.data.len()).step_by(cols);
    let Some(i) = rows.find(|&i| !is_index(t.data[i]) || t.data[i] >= n as f64) else {
        return true;
    };
    let more = rows
        .filter(|&i| !is_index(t.data[i]) || t.data[i] >= n as f64)
        .count();
    let x = t.data[i];
    let why = match is_index(x) {
        true => format!(
            "is out of range ({population} has {n} neurons, 0 to {})",
            n.max(1) - 1
        ),
        false => "is not a neuron index (a whole number from 0)".into(),
    };
    let more = match more {
        0 => String::new(),
        m => format!(" (and {m} more like it)"),
    };
    let row = i / cols + 1;
    let msg = format!("{file} row {row}: {what} {} {why}{more}", number(x));
    let hint = format!(
        "indices are 0-based neuron indices within each population; {}",
        t.rows_hint(i, file)
    );
    ctx.report(o, key, msg, hint);
    false
}

/// A list of `n` values of dimension `dim` from `{ file = "x.npy", unit = "..." }`.
pub(super) fn read_list(
    ctx: &mut Ctx,
    d: &DistSpec,
    dim: Dim,
    o: &Obj,
    key: &str,
    what: &str,
    n: usize,
) -> Option<Distribution> {
    let file = d.file.as_deref().unwrap_or_default();
    let missing = || format!("{what}: the list in {file} has no `unit`");
    let prefix = format!("{what}: ");
    let factor = ctx.unit_factor(d.unit.as_deref(), dim, o, key, &prefix, "unit", missing)?;
    let t = read_table(ctx, o, key, &prefix, file)?;
    // One value per element: a vector, or a matrix with one row or one column.
    let flat = t.shape.iter().filter(|&&s| s != 1).count() <= 1;
    if t.data.len() != n || !flat {
        let msg = match flat {
            true => format!(
                "{what}: {file} has {} values but {n} are needed",
                t.data.len()
            ),
            false => format!(
                "{what}: {file} has shape {:?}, but a list is one value per element ({n})",
                t.shape
            ),
        };
        ctx.report(
            o,
            key,
            msg,
            format!("save exactly {n} values (one per element) in {file}"),
        );
        return None;
    }
    let scale = Scale::new(factor, d.unit.as_deref(), dim);
    let vals = converted(ctx, o, key, &prefix, file, &t, (0, 1), "value", scale)?;
    Some(Distribution::List(vals.into()))
}

/// The edges of an `edge_list` connectivity between `ns` sources and `nt` targets, weights
/// (dimension `wdim`) and delays (ms) converted from their columns' units.
pub(super) fn read_edge_list(
    ctx: &mut Ctx,
    cn: &Connectivity,
    wdim: Dim,
    o: &Obj,
    key: &str,
    (ns, nt): (usize, usize),
) -> Option<EdgeList> {
    let Some(file) = &cn.file else {
        let hint = "connectivity = { rule = \"edge_list\", file = \"edges.csv\", weight_unit = \"pA\", delay_unit = \"ms\" }";
        ctx.report(o, key, "edge_list needs `file`", hint);
        return None;
    };
    let t = read_table(ctx, o, key, "", file)?;
    let cols = match t.shape.as_slice() {
        &[_, c] if (2..=4).contains(&c) => c,
        s => {
            let msg = match s {
                [_, c] => format!("{file} has {}, but an edge list has 2 to 4", n_columns(*c)),
                _ => format!("{file} has shape {s:?}, expected (E, 2..4)"),
            };
            ctx.report(o, key, msg, EDGE_COLUMNS);
            return None;
        }
    };
    let column = |ctx: &mut Ctx, unit: &Option<String>, dim: Dim, what: &str| {
        let missing = || format!("the edge list has a {what} column but no {what}_unit");
        let field = format!("{what}_unit");
        ctx.unit_factor(unit.as_deref(), dim, o, key, "", &field, missing)
    };
    let wf = match cols >= 3 {
        true => Some(column(ctx, &cn.weight_unit, wdim, "weight")?),
        false => None,
    };
    let df = match cols >= 4 {
        true => Some(column(ctx, &cn.delay_unit, Dim::Time, "delay")?),
        false => None,
    };
    // Every column is checked, and every problem reported, before giving up.
    let src = index_column(ctx, o, key, file, &t, (0, "source"), (ns, "the source"));
    let tgt = index_column(ctx, o, key, file, &t, (1, "target"), (nt, "the target"));
    let values = |ctx: &mut Ctx, f: Option<f64>, col: usize, what: &str, unit, dim| {
        f.map(|f| {
            let scale = Scale::new(f, unit, dim);
            converted(ctx, o, key, "", file, &t, (col, cols), what, scale)
        })
    };
    let weight = values(ctx, wf, 2, "weight", cn.weight_unit.as_deref(), wdim);
    let delay = values(ctx, df, 3, "delay", cn.delay_unit.as_deref(), Dim::Time);
    let (Some(weight), Some(delay), true, true) = (
        weight.map_or(Some(None), |w| w.map(Some)),
        delay.map_or(Some(None), |d| d.map(Some)),
        src,
        tgt,
    ) else {
        return None;
    };
    Some(EdgeList {
        source: t.data.iter().step_by(cols).map(|&x| x as u32).collect(),
        target: t
            .data
            .iter()
            .skip(1)
            .step_by(cols)
            .map(|&x| x as u32)
            .collect(),
        weight,
        delay,
    })
}
