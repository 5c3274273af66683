//! Trained-spec export: the original spec with the trained weights as `.npy` lists
//! ([`write_trained_spec`], runnable by `ganglion run`), and a spec that plays one encoded
//! sample into it ([`write_sample_spec`], for checking the simulator against the twin).

use crate::TrainError;
use crate::trainer::{Model, Trainer};
use std::path::{Path, PathBuf};

/// Write the trained circuit: the original spec with each trained projection's weights
/// replaced by `.npy` lists (k-th synapse = source s, target t, k = s·n_target + t). For a
/// spiking target, a projection whose weights have both signs is written as two projections,
/// `NAME+` (receptor excitatory, the positive weights, zeros elsewhere) and `NAME-` (receptor
/// inhibitory, the negative ones): the simulator's two channels, exactly as the twin runs them.
/// Returns the spec's path. Relative file references of the original spec are not rewritten.
pub fn write_trained_spec(spec: &Path, t: &Trainer, out_dir: &Path) -> Result<PathBuf, TrainError> {
    let (mut circuit, _src) = ganglion_model::load(spec).map_err(TrainError::Model)?;
    // Only the model is copied (`params_mut` needs it mutable), not the optimiser's moments.
    let mut model = t.model.clone();
    let spiking = matches!(model, Model::Snn(_));
    let params = model.params_mut();
    let mut new_projs = vec![];
    let trained: std::collections::BTreeMap<usize, usize> = t
        .origins
        .iter()
        .enumerate()
        .filter_map(|(g, o)| o.projection.map(|p| (p, g)))
        .collect();
    for (j, p) in circuit.projections.iter().enumerate() {
        let Some(&g) = trained.get(&j) else {
            new_projs.push(p.clone());
            continue;
        };
        // A recurrent list holds all n×n pairs (masked self-connections are zero).
        let mut p = p.clone();
        if p.source == p.target {
            p.autapses = true;
        }
        let p = &p;
        let w = &params[g];
        let base = p
            .name
            .clone()
            .unwrap_or_else(|| format!("{}-{}", p.source, p.target));
        let safe = ganglion_base::names::file_safe(&base);
        let write = |suffix: &str, vals: &[f32]| -> Result<String, TrainError> {
            let file = format!("w_{safe}{suffix}.npy");
            let path = out_dir.join(&file);
            ganglion_model::npy::write(&path, &[vals.len()], vals)
                .map_err(TrainError::io(&path))?;
            Ok(file)
        };
        let list = |file: String| {
            ganglion_model::Value::Dist(ganglion_model::DistSpec {
                file: Some(file),
                unit: Some(if spiking { "pA".into() } else { String::new() })
                    .filter(|u: &String| !u.is_empty()),
                ..Default::default()
            })
        };
        let has_pos = w.iter().any(|&x| x > 0.0);
        let has_neg = w.iter().any(|&x| x < 0.0);
        if !spiking || !has_pos || !has_neg {
            let mut q = p.clone();
            q.weight = Some(list(write("", w)?));
            if spiking {
                q.receptor = Some(if has_neg { "inhibitory" } else { "excitatory" }.into());
            }
            new_projs.push(q);
        } else {
            let pos: Vec<f32> = w.iter().map(|&x| x.max(0.0)).collect();
            let neg: Vec<f32> = w.iter().map(|&x| x.min(0.0)).collect();
            let mut q = p.clone();
            q.name = Some(format!("{base}+"));
            q.weight = Some(list(write("_ex", &pos)?));
            q.receptor = Some("excitatory".into());
            new_projs.push(q);
            let mut q = p.clone();
            q.name = Some(format!("{base}-"));
            q.weight = Some(list(write("_in", &neg)?));
            q.receptor = Some("inhibitory".into());
            new_projs.push(q);
        }
    }
    circuit.projections = new_projs;
    let out = out_dir.join("trained.toml");
    std::fs::write(&out, circuit.to_toml()).map_err(TrainError::io(&out))?;
    Ok(out)
}

/// Write a runnable spec that plays one encoded sample into the trained circuit: the trained
/// spec at `trained` plus a `spike_times` input into `input_population` (one event per spike
/// of `spikes`, `steps × n` with n the population size, at time step·dt, weight 100 mV, delay
/// one step, so the `iaf_psc_delta` relay fires in exactly the step the twin's input spikes),
/// duration `steps · dt`, and spike monitors on every population. The events go to
/// `<path stem>.input.npy` next to `path`; weight files are referenced from `trained`'s folder,
/// so write `path` into that folder.
pub fn write_sample_spec(
    trained: &Path,
    input_population: &str,
    spikes: &[u8],
    steps: usize,
    path: &Path,
) -> Result<(), TrainError> {
    let (mut c, src) = ganglion_model::load(trained).map_err(TrainError::Model)?;
    let dt = ganglion_model::validate(&c, &src)
        .map_err(TrainError::Model)?
        .dt;
    let n = spikes.len() / steps.max(1);
    let mut ev = vec![];
    for t in 0..steps {
        for i in 0..n {
            if spikes[t * n + i] != 0 {
                ev.push(i as f64);
                ev.push(t as f64 * dt);
            }
        }
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sample".into());
    let file = format!("{stem}.input.npy");
    let fpath = path.with_file_name(&file);
    ganglion_model::npy::write(&fpath, &[ev.len() / 2, 2], &ev).map_err(TrainError::io(&fpath))?;
    let mut inp = ganglion_model::Input::new("spike_times", input_population);
    inp.file = Some(file);
    inp.weight = Some("100 mV".into());
    inp.delay = Some(format!("{dt} ms").as_str().into());
    c.inputs = vec![inp];
    c.simulation.duration = format!("{} ms", steps as f64 * dt).as_str().into();
    c.monitors = c
        .populations
        .iter()
        .map(|p| ganglion_model::Monitor::spikes(&p.name))
        .collect();
    std::fs::write(path, c.to_toml()).map_err(TrainError::io(path))
}
