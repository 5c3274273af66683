//! Files named by a spec: `.npy` arrays, value lists and edge lists (`.npy` or `.csv`).
//! Paths are relative to the spec file.

use super::{Ctx, NO_HINT, Obj};
use crate::npy::{self, NpyArray};
use crate::resolved::{Distribution, EdgeList};
use crate::spec::{Connectivity, DistSpec};
use crate::units::Dim;

/// The one hint for a file that cannot be read.
const PATH_HINT: &str = "give the path relative to the spec file";
/// The columns of an edge list.
const EDGE_COLUMNS: &str = "columns: source, target[, weight[, delay]]";

/// Read a `.npy` file, or report `{prefix}cannot read <path>: <why>`.
pub(super) fn read_npy(
    ctx: &mut Ctx,
    o: &Obj,
    key: &str,
    prefix: &str,
    file: &str,
) -> Option<NpyArray> {
    let path = ctx.path(file);
    match npy::read(&path) {
        Ok(a) => Some(a),
        Err(e) => {
            let msg = format!("{prefix}cannot read {}: {e}", path.display());
            ctx.report(o, key, msg, PATH_HINT);
            None
        }
    }
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
    let arr = read_npy(ctx, o, key, &prefix, file)?;
    if arr.data.len() != n {
        let msg = format!(
            "{what}: {file} has {} values but {n} are needed",
            arr.data.len()
        );
        ctx.report(
            o,
            key,
            msg,
            format!("save exactly {n} values (one per element) in {file}"),
        );
        return None;
    }
    let vals: Vec<f64> = arr.data.iter().map(|x| x * factor).collect();
    if let Some(i) = vals.iter().position(|x| !x.is_finite()) {
        ctx.report(
            o,
            key,
            format!("{what}: {file}[{i}] is not finite"),
            NO_HINT,
        );
        return None;
    }
    Some(Distribution::List(vals.into()))
}

/// The rows of an edge-list file: `.npy` of shape (E, 2..4), or text with one edge per
/// line separated by commas, tabs or spaces (a header line and `#` comments are skipped).
fn edge_rows(ctx: &mut Ctx, o: &Obj, key: &str, file: &str) -> Option<Vec<Vec<f64>>> {
    if file.ends_with(".npy") {
        let a = read_npy(ctx, o, key, "", file)?;
        if a.shape.len() == 2 && (2..=4).contains(&a.shape[1]) {
            return Some(
                a.data
                    .chunks_exact(a.shape[1])
                    .map(<[f64]>::to_vec)
                    .collect(),
            );
        }
        let msg = format!("{file} has shape {:?}, expected (E, 2..4)", a.shape);
        ctx.report(o, key, msg, EDGE_COLUMNS);
        return None;
    }
    let path = ctx.path(file);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            ctx.report(
                o,
                key,
                format!("cannot read {}: {e}", path.display()),
                PATH_HINT,
            );
            return None;
        }
    };
    let mut rows = vec![];
    for (ln, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed: Result<Vec<f64>, _> = line
            .split([',', '\t', ' '])
            .filter(|s| !s.is_empty())
            .map(str::parse::<f64>)
            .collect();
        match parsed {
            Ok(r) if (2..=4).contains(&r.len()) => rows.push(r),
            Err(_) if rows.is_empty() && ln == 0 => continue, // header line
            _ => {
                let msg = format!("{file}:{}: cannot read \"{line}\"", ln + 1);
                ctx.report(o, key, msg, EDGE_COLUMNS);
                return None;
            }
        }
    }
    Some(rows)
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
    let rows = edge_rows(ctx, o, key, file)?;
    let cols = rows.iter().map(Vec::len).min().unwrap_or(2);
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
    let mut e = EdgeList {
        source: Vec::with_capacity(rows.len()),
        target: Vec::with_capacity(rows.len()),
        weight: wf.map(|_| vec![]),
        delay: df.map(|_| vec![]),
    };
    let index = |x: f64, n: usize| x >= 0.0 && x.fract() == 0.0 && (x as usize) < n;
    for (i, r) in rows.iter().enumerate() {
        let (s, t) = (r[0], r[1]);
        if !index(s, ns) || !index(t, nt) {
            let msg = format!(
                "edge {i} ({s} → {t}) is out of range (source size {ns}, target size {nt})"
            );
            let hint = "indices are 0-based neuron indices within each population";
            ctx.report(o, key, msg, hint);
            return None;
        }
        e.source.push(s as u32);
        e.target.push(t as u32);
        if let (Some(w), Some(f)) = (e.weight.as_mut(), wf) {
            w.push(r[2] * f);
        }
        if let (Some(d), Some(f)) = (e.delay.as_mut(), df) {
            d.push(r[3] * f);
        }
    }
    Some(e)
}
