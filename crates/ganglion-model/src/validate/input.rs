//! `[[input]]`: Poisson trains, spike times, currents, step currents and time series, each
//! resolved by its own function from the table [`INPUT_KINDS`].

use super::{Ctx, NO_HINT, Obj, files, population, projection};
use crate::resolved::{Distribution, InputKind, ResolvedInput, ResolvedPopulation};
use crate::spec::Input;
use crate::units::{Dim, show};
use ganglion_neurons::SynapseKind;

/// What an input kind sees of its input.
struct Env<'a> {
    inp: &'a Input,
    o: &'a Obj,
    /// The target population.
    tp: &'a ResolvedPopulation,
    /// Targeted neurons (all, or `neurons`).
    n_target: usize,
    /// The target's synapse kind.
    kind: SynapseKind,
    /// Dimension of an injected current (dimensionless for rate units).
    current_dim: Dim,
}

type Resolve = fn(&mut Ctx, &Env) -> Option<InputKind>;

/// The input kinds: the name in `kind = ...` and how it resolves.
const INPUT_KINDS: &[(&str, Resolve)] = &[
    ("poisson", poisson),
    ("spike_times", spike_times),
    ("current", current),
    ("step_current", step_current),
    ("timeseries", timeseries),
];

/// Resolve every input whose target exists.
pub(super) fn resolve_all(
    ctx: &mut Ctx,
    specs: &[Input],
    pops: &[ResolvedPopulation],
) -> Vec<ResolvedInput> {
    let mut out = vec![];
    for (i, inp) in specs.iter().enumerate() {
        let o = Obj::new("input", i, format!("input \"{}\"", inp.display_name()));
        let Some(t) = population::find(ctx, pops, &o, "target", "target", &inp.target) else {
            continue;
        };
        let tp = &pops[t];
        if let Some(ns) = &inp.neurons
            && let Some(&bad) = ns.iter().find(|&&n| n as usize >= tp.size)
        {
            let msg = format!(
                "neuron {bad} does not exist in \"{}\" (size {})",
                tp.name, tp.size
            );
            ctx.report(
                &o,
                "neurons",
                msg,
                format!("indices run from 0 to {}", tp.size - 1),
            );
            continue;
        }
        let kind = tp.model.synapse;
        let env = Env {
            inp,
            o: &o,
            tp,
            n_target: inp.neurons.as_ref().map_or(tp.size, Vec::len),
            kind,
            current_dim: match kind {
                SynapseKind::Rate => Dim::Dimensionless,
                _ => Dim::Current,
            },
        };
        let resolved = ctx
            .lookup(INPUT_KINDS, &inp.kind, &o, "kind", "input kind", "kinds")
            .and_then(|resolve| resolve(ctx, &env));
        if let Some(k) = resolved {
            out.push(ResolvedInput {
                name: inp.display_name(),
                target: t,
                neurons: inp.neurons.clone(),
                kind: k,
            });
        }
    }
    out
}

/// A field the kind needs, or a report with an example.
fn need<'a, T>(
    ctx: &mut Ctx,
    env: &Env,
    v: &'a Option<T>,
    field: &str,
    example: &str,
) -> Option<&'a T> {
    if v.is_none() {
        let msg = format!("a {} input needs `{field}`", env.inp.kind);
        ctx.report(env.o, "kind", msg, format!("{field} = {example}"));
    }
    v.as_ref()
}

/// The delay of spikes: default one step, at least dt.
fn spike_delay(ctx: &mut Ctx, env: &Env) -> Option<f64> {
    let d = ctx.quantity_or(
        env.inp.delay.as_ref(),
        ctx.dt,
        Dim::Time,
        env.o,
        "delay",
        "delay",
    )?;
    if d < ctx.dt - 1e-9 {
        let msg = format!(
            "delay {} is shorter than dt {}",
            show(d, Dim::Time),
            show(ctx.dt, Dim::Time)
        );
        ctx.report(
            env.o,
            "delay",
            msg,
            format!("delay = \"{} ms\" (one step) or longer", ctx.dt),
        );
        return None;
    }
    Some(d)
}

/// The weight of spikes (a list has one value per element when `count` is known).
fn spike_weight(ctx: &mut Ctx, env: &Env, count: Option<usize>) -> Option<Distribution> {
    let wdim = env.kind.weight_dim();
    let Some(w) = &env.inp.weight else {
        let msg = "needs a `weight` for its spikes";
        ctx.report(env.o, "weight", msg, format!("weight = {}", wdim.example()));
        return None;
    };
    ctx.distribution(w, wdim, env.o, "weight", "weight", count)
}

fn poisson(ctx: &mut Ctx, env: &Env) -> Option<InputKind> {
    let (inp, o) = (env.inp, env.o);
    let rate = need(ctx, env, &inp.rate, "rate", "\"10 Hz\"")
        .and_then(|r| ctx.distribution(r, Dim::Frequency, o, "rate", "rate", Some(env.n_target)));
    if let Some(r) = &rate
        && r.bounds().0 < 0.0
    {
        let msg = format!(
            "rate can be negative (down to {})",
            show(r.bounds().0, Dim::Frequency)
        );
        let hint = "rates must be ≥ 0 Hz; clip the distribution with min = \"0 Hz\"";
        ctx.report(o, "rate", msg, hint);
        return None;
    }
    let weight = spike_weight(ctx, env, Some(env.n_target));
    let delay = spike_delay(ctx, env);
    let (rate, weight, delay) = (rate?, weight?, delay?);
    let receptor = projection::receptor(
        ctx,
        inp.receptor.as_deref(),
        None,
        weight.bounds(),
        weight.mean(),
        env.kind,
        o,
    )?;
    Some(InputKind::Poisson {
        rate,
        weight,
        delay,
        receptor,
    })
}

fn spike_times(ctx: &mut Ctx, env: &Env) -> Option<InputKind> {
    let (inp, o, tp) = (env.inp, env.o, env.tp);
    let mut events = vec![];
    if let Some(file) = &inp.file {
        let a = files::read_npy(ctx, o, "file", "", file)?;
        if a.shape.len() != 2 || a.shape[1] != 2 {
            let msg = format!("{file} has shape {:?}, expected (N, 2)", a.shape);
            ctx.report(o, "file", msg, "columns: neuron index, time in ms");
            return None;
        }
        let pop = format!("\"{}\"", tp.name);
        files::check_indices(ctx, o, "file", file, &a, (0, "neuron"), (tp.size, &pop))?;
        events.extend(a.data.chunks_exact(2).map(|r| (r[0] as u32, r[1])));
    } else if let Some(times) = &inp.times {
        let ts: Vec<f64> = times
            .iter()
            .filter_map(|t| ctx.quantity(t, Dim::Time, o, "times", "spike time"))
            .collect();
        let targets: Vec<u32> = inp
            .neurons
            .clone()
            .unwrap_or_else(|| (0..tp.size as u32).collect());
        for &n in &targets {
            events.extend(ts.iter().map(|&t| (n, t)));
        }
    } else {
        let msg = "a spike_times input needs `times` or `file`";
        ctx.report(o, "kind", msg, "times = [\"10 ms\", \"25 ms\"]");
        return None;
    }
    if let Some(&(n, _)) = events.iter().find(|e| e.0 as usize >= tp.size) {
        let msg = format!(
            "neuron {n} does not exist in \"{}\" (size {})",
            tp.name, tp.size
        );
        ctx.report(o, "file", msg, NO_HINT);
        return None;
    }
    if let Some(&(_, t)) = events.iter().find(|e| !(e.1 >= 0.0) || !e.1.is_finite()) {
        let msg = format!("spike time {t} ms is negative or not finite");
        ctx.report(o, "times", msg, NO_HINT);
        return None;
    }
    events.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let weight = spike_weight(ctx, env, None);
    let delay = spike_delay(ctx, env);
    let (weight, delay) = (weight?, delay?);
    let Some(w) = weight.as_const() else {
        ctx.report(
            o,
            "weight",
            "spike_times takes one weight",
            "use a single value",
        );
        return None;
    };
    let receptor =
        projection::receptor(ctx, inp.receptor.as_deref(), None, (w, w), w, env.kind, o)?;
    Some(InputKind::SpikeTimes {
        events,
        weight: w,
        delay,
        receptor,
    })
}

fn current(ctx: &mut Ctx, env: &Env) -> Option<InputKind> {
    let (inp, o, dim) = (env.inp, env.o, env.current_dim);
    let a = need(ctx, env, &inp.amplitude, "amplitude", dim.example())?;
    let amplitude = ctx.distribution(a, dim, o, "amplitude", "amplitude", Some(env.n_target));
    let start = ctx.quantity_or(inp.start.as_ref(), 0.0, Dim::Time, o, "start", "start");
    let stop = ctx.quantity_or(
        inp.stop.as_ref(),
        f64::INFINITY,
        Dim::Time,
        o,
        "stop",
        "stop",
    );
    let (amplitude, start, stop) = (amplitude?, start?, stop?);
    if stop <= start {
        let msg = format!(
            "stop {} is not after start {}",
            show(stop, Dim::Time),
            show(start, Dim::Time)
        );
        ctx.report(o, "stop", msg, NO_HINT);
        return None;
    }
    Some(InputKind::Current {
        amplitude,
        start,
        stop,
    })
}

fn step_current(ctx: &mut Ctx, env: &Env) -> Option<InputKind> {
    let (inp, o, dim) = (env.inp, env.o, env.current_dim);
    let (Some(times), Some(amps)) = (&inp.times, &inp.amplitudes) else {
        let msg = "a step_current needs `times` and `amplitudes`";
        let hint = "times = [\"0 ms\", \"100 ms\"], amplitudes = [\"0 pA\", \"400 pA\"]";
        ctx.report(o, "kind", msg, hint);
        return None;
    };
    if times.len() != amps.len() {
        let msg = format!("{} times but {} amplitudes", times.len(), amps.len());
        ctx.report(o, "amplitudes", msg, "give one amplitude per switch time");
        return None;
    }
    let ts: Vec<Option<f64>> = times
        .iter()
        .map(|t| ctx.quantity(t, Dim::Time, o, "times", "time"))
        .collect();
    let am: Vec<Option<f64>> = amps
        .iter()
        .map(|a| ctx.quantity(a, dim, o, "amplitudes", "amplitude"))
        .collect();
    let ts: Vec<f64> = ts.into_iter().collect::<Option<_>>()?;
    let am: Vec<f64> = am.into_iter().collect::<Option<_>>()?;
    if ts.windows(2).any(|w| w[1] <= w[0]) {
        ctx.report(
            o,
            "times",
            "switch times are not increasing",
            "sort the times",
        );
        return None;
    }
    Some(InputKind::StepCurrent {
        times: ts,
        amplitudes: am,
    })
}

fn timeseries(ctx: &mut Ctx, env: &Env) -> Option<InputKind> {
    let (inp, o, dim, n) = (env.inp, env.o, env.current_dim, env.n_target);
    let file = need(
        ctx,
        env,
        &inp.file,
        "file",
        "\"drive.npy\" with shape (T,) or (T, N)",
    )?;
    let missing = || format!("the series in {file} has no `unit`");
    let factor = ctx.unit_factor(inp.unit.as_deref(), dim, o, "unit", "", "unit", missing);
    let step = ctx.quantity_or(inp.step.as_ref(), ctx.dt, Dim::Time, o, "step", "step");
    let (factor, step) = (factor?, step?);
    if step < ctx.dt - 1e-9 {
        let msg = format!("step {} is shorter than dt", show(step, Dim::Time));
        ctx.report(o, "step", msg, "resample the series to dt or coarser");
        return None;
    }
    let arr = files::read_npy(ctx, o, "file", "", file)?;
    let scale = files::Scale::new(factor, inp.unit.as_deref(), dim);
    let columns = match arr.shape.as_slice() {
        [_] => 1,
        [_, c] if *c == n || *c == 1 => *c,
        s => {
            let msg = format!("{file} has shape {s:?}; expected (T,) or (T, {n})");
            ctx.report(o, "file", msg, "one column per targeted neuron");
            return None;
        }
    };
    Some(InputKind::TimeSeries {
        values: files::scaled(ctx, o, "file", file, &arr, scale)?.into(),
        columns,
        step,
    })
}
