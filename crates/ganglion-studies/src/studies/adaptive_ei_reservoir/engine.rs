//! The adaptive E/I reservoir as an engine circuit: the same model as
//! [`ganglion_learn::ei_reservoir::EiReservoir`], written as a spec and run by
//! `ganglion-sim`.
//!
//! Units are `rate_esn_sigmoid` rate units (r ← (1 − a) r + a σ(z), the leak on the rate, with
//! tau = −dt / ln(1 − a)); the recurrent weights are edge lists with one-step delays, so z(t)
//! reads r(t − 1) as the reservoir does; the input term W_in·u(t) is a `timeseries` input
//! with one column per unit; each unit's bias is its `bias` parameter. The inhibitory
//! projections carry the reservoir's gains: fixed (the weights are −g_i W⁻) or adapted by
//! `rule = "gain_homeostasis"` (weights −W⁻, gains g_i in the rule, targets r*_i per unit).
//!
//! Two layouts: [`Layout::ExcInh`] has populations `E` and `I` with Dale's-law signs
//! (the per-neuron rule is the reservoir's rule exactly; a global rule would share one gain
//! per target population), [`Layout::Single`] one population `res` with an excitatory and an
//! inhibitory projection onto itself (the global rule then shares one gain over all units,
//! as the reservoir's does).
//!
//! The engine computes in f32 (states, weights, the ring buffers that sum the inputs, a
//! polynomial exp in the sigmoid), the reservoir in f64, so the two agree to f32 rounding
//! (≈1e-6 on rates in (0, 1)), not bit for bit.

use std::path::Path;

use ganglion_learn::ei_reservoir::{EiReservoir, Transfer};
use ganglion_model::{
    Circuit, Connectivity, Input, Monitor, Plasticity, Population, Projection, Scalar, Sign,
    Simulation, Value, validate_circuit,
};
use ganglion_sim::Network;

/// Time step of the engine runs \[ms\]: one reservoir step.
pub const DT_MS: f64 = 1.0;

/// How the reservoir's units become engine populations (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Populations `E` (units `0..N_E`, excitatory) and `I` (the rest, inhibitory).
    ExcInh,
    /// One population `res` of all `N` units.
    Single,
}

/// What an engine run returns, in the reservoir's unit order.
#[derive(Debug, Clone)]
pub struct EngineRun {
    /// Rates after each step, `T × N`, time-major.
    pub states: Vec<f64>,
    /// Each unit's inhibitory gain at the end (recovered from the effective weights,
    /// g_i = w_ik / (−W⁻_ik), so to f32 precision).
    pub gains: Vec<f64>,
}

/// One engine population: its name, the reservoir's units it holds.
struct Group {
    name: &'static str,
    units: std::ops::Range<usize>,
    sign: Option<Sign>,
}

fn groups(res: &EiReservoir, layout: Layout) -> Vec<Group> {
    let (n, ne) = (res.units(), res.excitatory());
    match layout {
        Layout::ExcInh => vec![
            Group {
                name: "E",
                units: 0..ne,
                sign: Some(Sign::Excitatory),
            },
            Group {
                name: "I",
                units: ne..n,
                sign: Some(Sign::Inhibitory),
            },
        ],
        Layout::Single => vec![Group {
            name: "res",
            units: 0..n,
            sign: None,
        }],
    }
}

fn list(v: &[f64]) -> Value {
    Value::List(v.iter().map(|&x| Scalar::Number(x)).collect())
}

fn path_str(p: &Path) -> Result<String, String> {
    p.to_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{} is not valid UTF-8", p.display()))
}

fn write_npy(path: &Path, shape: &[usize], data: &[f64]) -> Result<String, String> {
    ganglion_model::npy::write(path, shape, data)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    path_str(path)
}

/// The circuit that runs `res` (from rest) over `inputs` (`T × inputs`, time-major), with
/// its gains adapted by the reservoir's homeostatic rule when `adapt` (else fixed). Its
/// edge lists and input series are written to `dir`. Projections are named
/// `exc-<source>-<target>` or `inh-<source>-<target>`; each population has a state monitor of `r` on every unit.
pub fn circuit(
    res: &EiReservoir,
    inputs: &[f64],
    adapt: bool,
    layout: Layout,
    dir: &Path,
) -> Result<Circuit, String> {
    let cfg = res.config();
    if cfg.transfer != Transfer::Sigmoid {
        return Err("the engine's ESN units are sigmoid (rate_esn_sigmoid) or tanh; a linear reservoir has no engine twin".into());
    }
    let homeo = match (adapt, cfg.homeostasis) {
        (false, _) => None,
        (true, Some(h)) => Some(h),
        (true, None) => return Err("adapt = true needs a reservoir with a homeostatic rule".into()),
    };
    let (n, d) = (res.units(), cfg.inputs);
    if !inputs.len().is_multiple_of(d) || inputs.is_empty() {
        return Err(format!(
            "inputs: {} values are not T × {d} with T ≥ 1",
            inputs.len()
        ));
    }
    let steps = inputs.len() / d;
    // The magnitudes W⁻ without gains: the rows of a copy whose gains are all 1.
    let mut unit_gain = res.clone();
    unit_gain
        .set_gains(&vec![1.0; n])
        .map_err(|e| e.to_string())?;
    let gains = res.gains();
    let tau = if cfg.leak_rate >= 1.0 {
        0.0
    } else {
        -DT_MS / (1.0 - cfg.leak_rate).ln()
    };
    let groups = groups(res, layout);
    let group_of = |u: usize| groups.iter().position(|g| g.units.contains(&u));
    let mut c = Circuit::new(Simulation::new(
        &format!("{DT_MS} ms"),
        &format!("{} ms", steps as f64 * DT_MS),
    ));
    let w_in = res.input_weights();
    for g in &groups {
        let units: Vec<usize> = g.units.clone().collect();
        let mut p = Population::new(g.name, units.len(), "rate_esn_sigmoid")
            .param("tau", format!("{tau} ms").as_str())
            .param("bias", list(&res.bias()[g.units.clone()]));
        if let Some(s) = g.sign {
            p = p.sign(s);
        }
        c = c.population(p);
        // W_in·u(t), one column per unit of the group.
        let mut drive = Vec::with_capacity(steps * units.len());
        for t in 0..steps {
            for &i in &units {
                let u = &inputs[t * d..(t + 1) * d];
                drive.push(
                    w_in[i * d..(i + 1) * d]
                        .iter()
                        .zip(u)
                        .map(|(w, x)| w * x)
                        .sum(),
                );
            }
        }
        let file = write_npy(
            &dir.join(format!("drive_{}.npy", g.name)),
            &[steps, units.len()],
            &drive,
        )?;
        let mut inp = Input::new("timeseries", g.name);
        inp.file = Some(file);
        c = c.input(inp);
        let all: Vec<u32> = (0..units.len() as u32).collect();
        c = c.monitor(Monitor::state(g.name, &["r"], &all));
    }
    // Edge lists per (source group, target group, excitatory?), in the reservoir's row order.
    for tg in &groups {
        for (si, sg) in groups.iter().enumerate() {
            for exc in [true, false] {
                let mut edges = Vec::new();
                for i in tg.units.clone() {
                    let fixed = res.row(i);
                    for ((j, w), (_, w1)) in fixed.zip(unit_gain.row(i)) {
                        let is_exc = j < res.excitatory();
                        if is_exc != exc || group_of(j) != Some(si) {
                            continue;
                        }
                        // Adapted inhibition: the magnitudes, the rule holds the gains.
                        let w = if !exc && homeo.is_some() { w1 } else { w };
                        let (s, t) = (j - sg.units.start, i - tg.units.start);
                        edges.extend_from_slice(&[s as f64, t as f64, w]);
                    }
                }
                if edges.is_empty() {
                    continue;
                }
                let kind = if exc { "exc" } else { "inh" };
                let file = write_npy(
                    &dir.join(format!("{kind}_{}_{}.npy", sg.name, tg.name)),
                    &[edges.len() / 3, 3],
                    &edges,
                )?;
                let mut p = Projection::new(sg.name, tg.name, Connectivity::edge_list(&file))
                    .delay(format!("{DT_MS} ms").as_str());
                p.name = Some(format!("{kind}-{}-{}", sg.name, tg.name));
                if let (false, Some(h)) = (exc, homeo) {
                    let tgt = &res.targets()[tg.units.clone()];
                    let g0 = &gains[tg.units.clone()];
                    p.plasticity = Some(Plasticity {
                        rule: "gain_homeostasis".into(),
                        eta: Some(Scalar::Text(format!(
                            "{} Hz",
                            h.learning_rate / (DT_MS * 1e-3)
                        ))),
                        target: Some(list(tgt)),
                        gain: Some(if h.per_neuron {
                            list(g0)
                        } else {
                            Value::from(g0[0])
                        }),
                        mode: Some(if h.per_neuron { "per_neuron" } else { "global" }.into()),
                        ..Default::default()
                    });
                }
                c = c.projection(p);
            }
        }
    }
    Ok(c)
}

/// Runs `res` from rest over `inputs` on the engine with `threads` threads (see [`circuit`];
/// files go to `dir`) and returns the rates and final gains in the reservoir's unit order.
pub fn run(
    res: &EiReservoir,
    inputs: &[f64],
    adapt: bool,
    layout: Layout,
    threads: usize,
    dir: &Path,
) -> Result<EngineRun, String> {
    let mut c = circuit(res, inputs, adapt, layout, dir)?;
    c.simulation.threads = threads;
    let r = validate_circuit(&c).map_err(|e| e.to_string())?;
    let mut net = Network::build(&r).map_err(|e| e.to_string())?;
    let out = net.run(None).map_err(|e| e.to_string())?;
    let n = res.units();
    let steps = inputs.len() / res.config().inputs;
    let groups = groups(res, layout);
    let mut states = vec![0.0; steps * n];
    for (g, sd) in groups.iter().zip(&out.states) {
        let m = g.units.len();
        if sd.values.len() != steps * m {
            return Err(format!(
                "population {}: {} samples, expected {steps} × {m}",
                g.name,
                sd.values.len()
            ));
        }
        for t in 0..steps {
            for k in 0..m {
                states[t * n + g.units.start + k] = sd.values[t * m + k] as f64;
            }
        }
    }
    let mut gains = res.gains().to_vec();
    if !adapt {
        return Ok(EngineRun { states, gains });
    }
    // Adapted gains from the inhibitory projections' effective weights over their magnitudes.
    let mut unit_gain = res.clone();
    unit_gain
        .set_gains(&vec![1.0; n])
        .map_err(|e| e.to_string())?;
    let names = net.projection_names().to_vec();
    for (j, name) in names.iter().enumerate() {
        let Some(pair) = name.strip_prefix("inh-") else {
            continue;
        };
        let Some((sname, tname)) = pair.split_once('-') else {
            continue;
        };
        let find = |s: &str| groups.iter().find(|g| g.name == s);
        let (Some(sg), Some(tg)) = (find(sname), find(tname)) else {
            continue;
        };
        for (s, t, w, _) in net.synapses_of(j) {
            let (pre, post) = (sg.units.start + s as usize, tg.units.start + t as usize);
            if let Some((_, base)) = unit_gain.row(post).find(|&(p, _)| p == pre)
                && base != 0.0
            {
                gains[post] = w as f64 / (base as f32) as f64;
            }
        }
    }
    Ok(EngineRun { states, gains })
}

/// How closely the engine reproduces the library on the study's reservoir.
#[derive(Debug, Clone, serde::Serialize)]
pub(super) struct Agreement {
    /// Units N.
    pub(super) units: usize,
    /// Steps run (the NARMA-10 washout + training inputs).
    pub(super) steps: usize,
    /// Initial E/I balance of every unit.
    pub(super) beta: f64,
    /// max |r_engine − r_library| over steps and units, fixed gains.
    pub(super) fixed_max_rate_diff: f64,
    /// The same with the per-neuron homeostatic rule on.
    pub(super) adapted_max_rate_diff: f64,
    /// max |g_engine − g_library| over units after the adapting run.
    pub(super) adapted_max_gain_diff: f64,
    /// max |g_end − g_start| over units: how far the rule moved the gains.
    pub(super) max_gain_change: f64,
    /// Engine seconds for both runs (spec, build, run).
    pub(super) engine_s: f64,
    /// Library seconds for both runs.
    pub(super) library_s: f64,
}

/// Runs the study's reservoir (initial balance β = 0.5, per-neuron rule) on the engine and
/// in the library over the same NARMA-10 inputs, fixed and adapting, with the engine's files
/// in `dir` (removed afterwards).
pub(super) fn agreement(cfg: &super::Config, seed: u64, dir: &Path) -> Result<Agreement, String> {
    let beta = 0.5;
    let rule = ganglion_learn::ei_reservoir::Homeostasis {
        learning_rate: cfg.learning_rate,
        target_low: cfg.target_low,
        target_high: cfg.target_high,
        per_neuron: true,
    };
    let res = super::experiment::reservoir_config(cfg, beta, Some(rule))
        .build(seed)
        .map_err(|e| e.to_string())?;
    let steps = cfg.washout + cfg.train;
    let (u, _) = ganglion_learn::tasks::narma10(steps, seed).map_err(|e| e.to_string())?;
    let max_diff = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let t0 = std::time::Instant::now();
    let fixed = run(&res, &u, false, Layout::ExcInh, 1, dir);
    let adapted = run(&res, &u, true, Layout::ExcInh, 1, dir);
    let engine_s = t0.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(dir);
    let (fixed, adapted) = (fixed?, adapted?);
    let t0 = std::time::Instant::now();
    let lib_fixed = res.clone().run(&u).map_err(|e| e.to_string())?;
    let mut lib = res.clone();
    let mut lib_adapted = Vec::with_capacity(steps * res.units());
    for x in &u {
        lib.adapt(std::slice::from_ref(x))
            .map_err(|e| e.to_string())?;
        lib_adapted.extend_from_slice(lib.state());
    }
    let library_s = t0.elapsed().as_secs_f64();
    Ok(Agreement {
        units: res.units(),
        steps,
        beta,
        fixed_max_rate_diff: max_diff(&fixed.states, lib_fixed.as_slice()),
        adapted_max_rate_diff: max_diff(&adapted.states, &lib_adapted),
        adapted_max_gain_diff: max_diff(&adapted.gains, lib.gains()),
        max_gain_change: max_diff(lib.gains(), res.gains()),
        engine_s,
        library_s,
    })
}
