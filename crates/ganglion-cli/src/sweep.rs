//! `ganglion sweep SPEC --set PATH=[V1, V2, ...] ...`: a circuit at every point of a grid of
//! spec values, in one process. Every point is validated before any runs; synapses are
//! generated once and reused by every point that does not change them
//! ([`ganglion_sim::SynapseCache`]: input rates, neuron parameters, initial states,
//! plasticity settings and constant weights change in place; a seed, a weight distribution or
//! a connection rule regenerates the projections concerned). Output: one folder per point
//! (`point_000/`, the recordings and manifest `ganglion run` writes), `sweep.csv` and
//! `sweep.json` (each point's values and per-population spike count, mean rate and ISI CV) and
//! `sweep.svg`/`.png` (a chosen statistic over the grid).

use crate::run::{OutputOptions, write_outputs};
use anyhow::{Context, Result, bail};
use clap::Args;
use ganglion_base::files::{self, OutputDir, Replace};
use ganglion_model::validate::validate_with;
use ganglion_model::{Circuit, Resolved, load, set_path};
use ganglion_plot::{Figure, Panel};
use ganglion_sim::{Network, Results, SynapseCache};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `ganglion sweep`.
#[derive(Args)]
pub struct SweepArgs {
    /// The spec file (TOML).
    spec: PathBuf,
    /// A swept value, `PATH=[V1, V2, ...]` (repeat for a grid; the last varies fastest).
    /// PATH is `simulation.KEY` or `SECTION.WHICH.KEY` with SECTION population, projection,
    /// input or monitor and WHICH an index or a name, e.g. `input.0.rate`,
    /// `projection.exc→inh.weight`, `population.exc.params.tau_m`. Each value is TOML (a
    /// number, a "string", a { table }) or, unquoted, a quantity such as `2 kHz`.
    #[arg(long = "set", required = true, value_name = "PATH=[V1, V2, ...]")]
    set: Vec<String>,
    /// Swept paths that vary together instead of forming a grid, e.g.
    /// `--link input.0.rate,projection.exc→inh.weight`: point i takes value i of each (the
    /// lists must have equal lengths). The linked group is one dimension of the grid, in the
    /// place of its first `--set`. Repeat for several groups.
    #[arg(long = "link", value_name = "PATH,PATH[,...]")]
    link: Vec<String>,
    /// Output folder (default: runs/<spec name>-sweep-<UTC timestamp>).
    #[arg(long)]
    out: Option<PathBuf>,
    // --threads (of each run), --seed and --duration (of every point).
    #[command(flatten)]
    sim: crate::run::SimFlags,
    /// The statistic drawn over the grid: a column of sweep.csv such as `exc.rate_hz`
    /// (default: the first population's mean rate).
    #[arg(long)]
    stat: Option<String>,
    /// Replace the output folder if it holds an earlier sweep.
    #[arg(long)]
    force: bool,
    /// Print sweep.json on stdout instead of the table.
    #[arg(long)]
    json: bool,
}

/// One swept path and its values.
struct Axis {
    path: String,
    values: Vec<toml::Value>,
}

/// `PATH=[V1, V2, ...]` → the axis.
fn parse_axis(arg: &str) -> Result<Axis> {
    let Some((path, list)) = arg.split_once('=') else {
        bail!(
            "--set {arg:?}: expected PATH=[V1, V2, ...], e.g. --set \"input.0.rate=[1 kHz, 2 kHz]\""
        );
    };
    let list = list.trim();
    let inner = list
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .unwrap_or(list);
    let values = split_top_level(inner)
        .into_iter()
        .map(|item| parse_value(item.trim()))
        .collect::<Vec<_>>();
    if values.is_empty() || values.iter().any(|v| v.as_str() == Some("")) {
        bail!("--set {arg:?}: give at least one value, e.g. {path}=[1 kHz, 2 kHz]");
    }
    Ok(Axis {
        path: path.trim().to_string(),
        values,
    })
}

/// `item` as a TOML value, or as a string when it is not one (`2 kHz`).
fn parse_value(item: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("x = {item}"))
        .ok()
        .and_then(|mut t| t.remove("x"))
        .unwrap_or_else(|| toml::Value::String(item.to_string()))
}

/// `s` split at commas outside quotes, brackets and braces.
fn split_top_level(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut quote, mut start) = (vec![], 0i32, None, 0);
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !s[start..].trim().is_empty() {
        out.push(&s[start..]);
    }
    out
}

/// A value as the table shows it (strings without quotes).
fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

pub fn sweep(args: SweepArgs) -> Result<ExitCode> {
    let t_start = Instant::now();
    let axes = args
        .set
        .iter()
        .map(|a| parse_axis(a))
        .collect::<Result<Vec<_>>>()?;
    let dims = grid_dimensions(&axes, &args.link)?;
    let (circuit, source) = load(&args.spec)?;
    let base = toml::Value::try_from(&circuit).context("cannot re-encode the spec")?;
    let overrides = args.sim.overrides();
    // Every point, validated before any runs.
    let shape: Vec<usize> = dims.iter().map(|d| axes[d[0]].values.len()).collect();
    let count: usize = shape.iter().product();
    let mut points: Vec<(Vec<usize>, Circuit, Resolved, Vec<String>)> = Vec::with_capacity(count);
    for k in 0..count {
        // The value index of every axis (linked axes share their dimension's index).
        let mut index = vec![0; axes.len()];
        let mut rest = k;
        for (d, n) in shape.iter().enumerate().rev() {
            for &a in &dims[d] {
                index[a] = rest % n;
            }
            rest /= n;
        }
        let mut v = base.clone();
        for (a, &i) in axes.iter().zip(&index) {
            set_path(&mut v, &a.path, a.values[i].clone()).map_err(anyhow::Error::msg)?;
        }
        let label = describe(&axes, &index);
        let c: Circuit = v
            .try_into()
            .map_err(|e| anyhow::anyhow!("point {k} ({label}): {e}"))?;
        let (r, notes) = validate_with(&c, &source, &overrides)
            .map_err(|e| anyhow::anyhow!("point {k} ({label}):\n{e}"))?;
        points.push((index, c, r, notes));
    }
    let dest = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("runs").join(format!(
            "{}-sweep-{}",
            points[0].2.name,
            ganglion_studies::timestamp(std::time::SystemTime::now())
        ))
    });
    let out = OutputDir::create(
        &dest,
        if args.force {
            Replace::Force
        } else {
            Replace::Never
        },
        "sweep.json",
        &[files::parent_of(&args.spec)],
    )?;
    let mut cache = SynapseCache::new();
    let mut rows = Vec::with_capacity(count);
    let mut err = std::io::stderr().lock();
    for (k, (index, c, r, notes)) in points.iter().enumerate() {
        let t0 = Instant::now();
        let mut net = Network::build_reusing(r, &mut cache)?;
        let build_s = t0.elapsed().as_secs_f64();
        let res = net.run(None)?;
        let dir = out.path().join(format!("point_{k:03}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let opts = OutputOptions {
            spec: &args.spec,
            spec_text: Some(toml::to_string(c).context("cannot encode the point's spec")?),
            all_weights: false,
            plots: false,
        };
        write_outputs(&dir, &opts, (r, notes.clone()), &net, &res, Instant::now())?;
        let row = table_row(k, &axes, index, &res, build_s, t0.elapsed().as_secs_f64());
        writeln!(
            err,
            "point {k}/{count} ({}): built in {build_s:.3} s, {:.3} s in all",
            describe(&axes, index),
            t0.elapsed().as_secs_f64()
        )?;
        rows.push(row);
    }
    // The point and its values first, then the statistics, then the timings.
    let lead: Vec<String> = std::iter::once("point".to_string())
        .chain(axes.iter().map(|a| a.path.clone()))
        .collect();
    let tail = ["build_s".to_string(), "total_s".to_string()];
    let columns: Vec<String> = lead
        .iter()
        .cloned()
        .chain(
            rows.first()
                .and_then(|r: &serde_json::Value| r.as_object())
                .into_iter()
                .flat_map(|o| o.keys())
                .filter(|k| !lead.contains(k) && !tail.contains(k))
                .cloned(),
        )
        .chain(tail.iter().cloned())
        .collect();
    let stat = match &args.stat {
        Some(s) if columns.contains(s) => s.clone(),
        Some(s) => bail!(
            "--stat {s:?} is not a column of the sweep table; the columns are: {}",
            columns.join(", ")
        ),
        None => format!("{}.rate_hz", points[0].2.populations[0].name),
    };
    write_table(out.path(), &columns, &rows)?;
    let figure = plot(out.path(), &axes, &dims, &rows, &stat)?;
    let summary = json!({
        "spec": args.spec,
        "axes": axes.iter().map(|a| json!({"path": a.path, "values": a.values.iter().map(show).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        "points": rows,
        "synapses_generated": cache.generated(),
        "synapses_reused": cache.reused(),
        "statistic": stat,
        "figure": figure,
        "total_s": t_start.elapsed().as_secs_f64(),
    });
    files::write_atomic(
        &out.path().join("sweep.json"),
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    let dest = out.commit()?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&summary)?)?;
    } else {
        writeln!(
            stdout,
            "{count} points in {:.2} s ({} projection builds generated, {} reused); {stat} per point:",
            t_start.elapsed().as_secs_f64(),
            cache.generated(),
            cache.reused()
        )?;
        for (k, row) in rows.iter().enumerate() {
            writeln!(
                stdout,
                "  {k:3}  {}  {stat} = {}",
                describe(&axes, &points[k].0),
                row[&stat]
            )?;
        }
        writeln!(stdout, "results in {}", dest.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The dimensions of the grid, in `--set` order: each a list of axes (indices into `axes`)
/// that vary together — one axis, or a `--link` group of axes with equal lengths.
fn grid_dimensions(axes: &[Axis], links: &[String]) -> Result<Vec<Vec<usize>>> {
    let paths: Vec<&str> = axes.iter().map(|a| a.path.as_str()).collect();
    for (i, p) in paths.iter().enumerate() {
        if paths[..i].contains(p) {
            bail!("--set {p}=... is given twice; give each path once, with all its values");
        }
    }
    let mut group_of: Vec<Option<usize>> = vec![None; axes.len()];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for link in links {
        let mut members = Vec::new();
        for name in link.split(',').map(str::trim) {
            let Some(a) = paths.iter().position(|p| *p == name) else {
                bail!(
                    "--link {link:?}: {name:?} is not a swept path; link paths given with --set ({})",
                    paths.join(", ")
                );
            };
            if group_of[a].is_some() || members.contains(&a) {
                bail!("--link {link:?}: {name} is already linked; list each path in one --link");
            }
            members.push(a);
        }
        if members.len() < 2 {
            bail!("--link {link:?}: name at least two swept paths, separated by commas");
        }
        let n = axes[members[0]].values.len();
        if let Some(&m) = members.iter().find(|&&m| axes[m].values.len() != n) {
            bail!(
                "--link {link:?}: {} has {} values but {} has {n}; linked paths need equal numbers of values",
                axes[m].path,
                axes[m].values.len(),
                axes[members[0]].path
            );
        }
        for &m in &members {
            group_of[m] = Some(groups.len());
        }
        members.sort_unstable();
        groups.push(members);
    }
    let mut dims = Vec::new();
    for (a, group) in group_of.iter().enumerate() {
        match *group {
            None => dims.push(vec![a]),
            Some(g) if groups[g][0] == a => dims.push(groups[g].clone()),
            Some(_) => {}
        }
    }
    Ok(dims)
}

/// `path=value, ...` of a point.
fn describe(axes: &[Axis], index: &[usize]) -> String {
    axes.iter()
        .zip(index)
        .map(|(a, &i)| format!("{}={}", a.path, show(&a.values[i])))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row of the table: the point, its values, timings and per-population statistics.
fn table_row(
    k: usize,
    axes: &[Axis],
    index: &[usize],
    res: &Results,
    build_s: f64,
    total_s: f64,
) -> serde_json::Value {
    let mut row = serde_json::Map::new();
    row.insert("point".into(), json!(k));
    for (a, &i) in axes.iter().zip(index) {
        row.insert(a.path.clone(), json!(show(&a.values[i])));
    }
    for p in &res.populations {
        row.insert(format!("{}.spikes", p.name), json!(p.spike_count));
        row.insert(format!("{}.rate_hz", p.name), json!(p.mean_rate_hz));
        row.insert(format!("{}.cv_isi", p.name), json!(p.cv_isi));
    }
    row.insert("build_s".into(), json!(build_s));
    row.insert("total_s".into(), json!(total_s));
    serde_json::Value::Object(row)
}

/// sweep.csv: one line per point.
fn write_table(dir: &Path, columns: &[String], rows: &[serde_json::Value]) -> Result<()> {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut csv = columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(",")
        + "\n";
    for row in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match &row[c] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => quote(s),
                v => v.to_string(),
            })
            .collect();
        csv += &(cells.join(",") + "\n");
    }
    files::write_atomic(&dir.join("sweep.csv"), csv.as_bytes())?;
    Ok(())
}

/// `stat` against the first dimension (its first axis's values' leading numbers, or their
/// positions), one line per combination of the other dimensions; sweep.svg and sweep.png.
/// Returns the SVG's file name.
fn plot(
    dir: &Path,
    axes: &[Axis],
    dims: &[Vec<usize>],
    rows: &[serde_json::Value],
    stat: &str,
) -> Result<String> {
    let first = &axes[dims[0][0]];
    let numeric: Option<Vec<f64>> = first
        .values
        .iter()
        .map(|v| match v {
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::Float(f) => Some(*f),
            toml::Value::String(s) => s.split_whitespace().next()?.parse().ok(),
            _ => None,
        })
        .collect();
    let x = |i: usize| numeric.as_ref().map_or(i as f64, |xs| xs[i]);
    let len = |d: &Vec<usize>| axes[d[0]].values.len();
    let others: usize = dims[1..].iter().map(len).product();
    let mut panel = Panel::new(first.path.clone(), stat.to_string());
    for o in 0..others {
        let points: Vec<(f64, f64)> = (0..first.values.len())
            .filter_map(|i| rows[i * others + o][stat].as_f64().map(|y| (x(i), y)))
            .collect();
        let mut rest = o;
        let mut label = Vec::new();
        for d in dims[1..].iter().rev() {
            let i = rest % len(d);
            for &a in d.iter().rev() {
                label.push(format!("{}={}", axes[a].path, show(&axes[a].values[i])));
            }
            rest /= len(d);
        }
        label.reverse();
        let name = if label.is_empty() {
            stat.to_string()
        } else {
            label.join(", ")
        };
        panel = panel.line(name, points);
    }
    let fig = Figure::new(format!("{stat} over the sweep")).panel(panel);
    ganglion_plot::save(&fig, dir.join("sweep"))?;
    Ok("sweep.svg".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_parse_quantities_numbers_and_tables() {
        let a = parse_axis("input.0.rate=[1 kHz, 2 kHz]").unwrap();
        assert_eq!(a.path, "input.0.rate");
        assert_eq!(
            a.values,
            ["1 kHz", "2 kHz"].map(|s| toml::Value::String(s.into()))
        );
        let a = parse_axis("projection.0.connectivity.p=[0.1, 0.2]").unwrap();
        assert_eq!(a.values, [toml::Value::Float(0.1), toml::Value::Float(0.2)]);
        let a = parse_axis(
            "projection.exc→inh.weight=[{ dist = \"normal\", mean = \"1 pA\", std = \"0.1 pA\" }, \"2 pA\"]",
        )
        .unwrap();
        assert!(a.values[0].is_table() && a.values[1].as_str() == Some("2 pA"));
        assert!(parse_axis("input.0.rate").is_err());
        assert!(parse_axis("input.0.rate=[]").is_err());
    }
}
