//! Recorders (per partition, no sharing) and the merged results of a run.

use crate::models::NeuronGroup;
use ganglion_base::names::file_safe;
use ganglion_model::npy;
use ganglion_model::{MonitorKind, Resolved};
use serde::Serialize;
use std::path::Path;

/// Population facts shared by all partitions.
#[derive(Debug, Clone)]
pub struct PopMeta {
    /// Name.
    pub name: String,
    /// Size.
    pub size: usize,
    /// Model name.
    pub model: &'static str,
    /// Whether it spikes (false: rate units).
    pub spiking: bool,
}

#[derive(Debug)]
enum MonRec {
    Spikes {
        /// Local mask of recorded neurons (None = all).
        mask: Option<Vec<bool>>,
        steps: Vec<u64>,
        ids: Vec<u32>,
    },
    State {
        every: u64,
        vars: Vec<usize>,
        /// (local index, column in the monitor's neuron list)
        locals: Vec<(usize, usize)>,
        data: Vec<f32>,
        samples: usize,
    },
    Rate {
        bin: u64,
        counts: Vec<u32>,
    },
    Weights {
        projection: usize,
        every: u64,
        /// (index into the partition's CSR, column in the monitor)
        synapses: Vec<(usize, usize)>,
        data: Vec<f32>,
        samples: usize,
    },
}

/// A partition's recordings.
#[derive(Debug)]
pub struct PartRecorder {
    mons: Vec<MonRec>,
    by_pop: Vec<Vec<usize>>,
}

impl ganglion_base::state::Saved for PartRecorder {
    /// What every monitor has recorded so far (masks, neuron lists and synapse choices are
    /// rebuilt from the spec).
    fn save(&self, w: &mut ganglion_base::state::StateWriter) {
        for m in &self.mons {
            match m {
                MonRec::Spikes { steps, ids, .. } => {
                    w.put(steps);
                    w.put(ids);
                }
                MonRec::State { data, samples, .. } | MonRec::Weights { data, samples, .. } => {
                    w.put(data);
                    w.put(samples);
                }
                MonRec::Rate { counts, .. } => w.put(&counts[..]),
            }
        }
    }

    fn load(
        &mut self,
        r: &mut ganglion_base::state::StateReader,
    ) -> Result<(), ganglion_base::state::StateError> {
        for m in self.mons.iter_mut() {
            match m {
                MonRec::Spikes { steps, ids, .. } => {
                    r.get(steps)?;
                    r.get(ids)?;
                }
                MonRec::State { data, samples, .. } | MonRec::Weights { data, samples, .. } => {
                    r.get(data)?;
                    r.get(samples)?;
                }
                MonRec::Rate { counts, .. } => r.get(&mut counts[..])?,
            }
        }
        Ok(())
    }
}

impl PartRecorder {
    /// Recorders for partition `p`.
    pub fn new(r: &Resolved, ranges: &[Vec<(usize, usize)>], p: usize) -> PartRecorder {
        let mut by_pop = vec![vec![]; r.populations.len()];
        let mons = r
            .monitors
            .iter()
            .enumerate()
            .map(|(k, m)| {
                by_pop[m.population].push(k);
                let (lo, hi) = ranges[m.population][p];
                match &m.kind {
                    MonitorKind::Spikes { neurons } => MonRec::Spikes {
                        mask: neurons.as_ref().map(|ns| {
                            let mut mask = vec![false; hi - lo];
                            for &g in ns {
                                if (g as usize) >= lo && (g as usize) < hi {
                                    mask[g as usize - lo] = true;
                                }
                            }
                            mask
                        }),
                        steps: vec![],
                        ids: vec![],
                    },
                    MonitorKind::State {
                        variables,
                        neurons,
                        every,
                    } => MonRec::State {
                        every: *every,
                        vars: variables.clone(),
                        locals: neurons
                            .iter()
                            .enumerate()
                            .filter(|&(_, &g)| (g as usize) >= lo && (g as usize) < hi)
                            .map(|(c, &g)| (g as usize - lo, c))
                            .collect(),
                        data: vec![],
                        samples: 0,
                    },
                    MonitorKind::Rate { bin } => MonRec::Rate {
                        bin: *bin,
                        counts: vec![0; r.steps.div_ceil(*bin) as usize],
                    },
                    MonitorKind::Weights {
                        projection, every, ..
                    } => MonRec::Weights {
                        projection: *projection,
                        every: *every,
                        synapses: vec![],
                        data: vec![],
                        samples: 0,
                    },
                }
            })
            .collect();
        // Weight monitors are sampled by `record_weights`, not per population.
        for v in by_pop.iter_mut() {
            v.retain(|&k| !matches!(r.monitors[k].kind, MonitorKind::Weights { .. }));
        }
        PartRecorder { mons, by_pop }
    }

    /// Assign this partition's share of weight monitor `k`: (CSR index, column) pairs.
    pub fn set_weight_synapses(&mut self, k: usize, synapses: Vec<(usize, usize)>) {
        if let MonRec::Weights { synapses: s, .. } = &mut self.mons[k] {
            *s = synapses;
        }
    }

    /// Sample weight monitors after step `t`; `weights(j)` is projection j's weight array.
    pub fn record_weights<'a>(&mut self, t: u64, weights: impl Fn(usize) -> &'a [f32]) {
        for m in self.mons.iter_mut() {
            if let MonRec::Weights {
                projection,
                every,
                synapses,
                data,
                samples,
            } = m
                && (t + 1).is_multiple_of(*every)
            {
                let w = weights(*projection);
                data.extend(synapses.iter().map(|&(k, _)| w[k]));
                *samples += 1;
            }
        }
    }

    /// Record population `pop` after the update of step `t`.
    pub fn record(
        &mut self,
        pop: usize,
        t: u64,
        spikes: &[u32],
        lo: usize,
        group: &dyn NeuronGroup,
    ) {
        for &k in &self.by_pop[pop] {
            match &mut self.mons[k] {
                MonRec::Spikes {
                    mask, steps, ids, ..
                } => {
                    for &g in spikes {
                        if mask.as_ref().is_none_or(|m| m[g as usize - lo]) {
                            steps.push(t);
                            ids.push(g);
                        }
                    }
                }
                MonRec::State {
                    every,
                    vars,
                    locals,
                    data,
                    samples,
                    ..
                } => {
                    if (t + 1).is_multiple_of(*every) {
                        for &v in vars.iter() {
                            for &(i, _) in locals.iter() {
                                data.push(group.get(v, i));
                            }
                        }
                        *samples += 1;
                    }
                }
                MonRec::Rate { bin, counts, .. } => {
                    if let Some(c) = counts.get_mut((t / *bin) as usize) {
                        *c += spikes.len() as u32;
                    }
                }
                MonRec::Weights { .. } => {}
            }
        }
    }
}

/// Recorded spikes of one monitor.
#[derive(Debug, Clone, Serialize)]
pub struct SpikeData {
    /// Population name.
    pub population: String,
    /// Spike times \[ms\], ascending (end of the step in which the threshold was crossed).
    pub times_ms: Vec<f64>,
    /// Neuron index within the population, parallel to `times_ms`.
    pub senders: Vec<u32>,
    /// Number of neurons recorded.
    pub recorded: usize,
}

/// Recorded state samples of one variable.
#[derive(Debug, Clone, Serialize)]
pub struct StateData {
    /// Population name.
    pub population: String,
    /// Variable name.
    pub variable: String,
    /// Recorded neurons (columns).
    pub neurons: Vec<u32>,
    /// Sample times \[ms\].
    pub times_ms: Vec<f64>,
    /// Values (base units), row-major: sample × neuron.
    pub values: Vec<f32>,
}

/// Population rate of one monitor.
#[derive(Debug, Clone, Serialize)]
pub struct RateData {
    /// Population name.
    pub population: String,
    /// Bin width \[ms\].
    pub bin_ms: f64,
    /// Rate per neuron in each bin \[Hz\].
    pub rates_hz: Vec<f64>,
}

/// Recorded weights of one plastic projection.
#[derive(Debug, Clone, Serialize)]
pub struct WeightData {
    /// Projection name.
    pub projection: String,
    /// Source neuron of each recorded synapse (columns).
    pub sources: Vec<u32>,
    /// Target neuron of each recorded synapse.
    pub targets: Vec<u32>,
    /// Sample times \[ms\].
    pub times_ms: Vec<f64>,
    /// Weights (the target's weight unit), row-major: sample × synapse.
    pub values: Vec<f32>,
}

/// Firing statistics of one population.
#[derive(Debug, Clone, Serialize)]
pub struct PopSummary {
    /// Name.
    pub name: String,
    /// Number of neurons.
    pub size: usize,
    /// Model.
    pub model: String,
    /// Spikes emitted during the run.
    pub spike_count: u64,
    /// Mean rate per neuron \[Hz\].
    pub mean_rate_hz: f64,
    /// Mean coefficient of variation of inter-spike intervals over neurons with ≥ 3 recorded
    /// spikes (None without a spike monitor or such neurons).
    pub cv_isi: Option<f64>,
}

/// Everything a run produced.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    /// Time step \[ms\].
    pub dt_ms: f64,
    /// Simulated time \[ms\].
    pub duration_ms: f64,
    /// Spike monitors.
    pub spikes: Vec<SpikeData>,
    /// State monitors (one entry per variable).
    pub states: Vec<StateData>,
    /// Rate monitors.
    pub rates: Vec<RateData>,
    /// Weight monitors.
    pub weights: Vec<WeightData>,
    /// Per-population statistics.
    pub populations: Vec<PopSummary>,
    /// Seconds to build the network.
    pub build_s: f64,
    /// Seconds in the step loop.
    pub simulate_s: f64,
    /// Number of synapses.
    pub synapses: u64,
    /// Bytes of synapse storage per synapse.
    pub bytes_per_synapse: f64,
}

/// One file written by [`Results::write_npy`].
#[derive(Debug, Clone, Serialize)]
pub struct OutputFile {
    /// File name inside the output folder.
    pub file: String,
    /// What it holds.
    pub description: String,
}

impl Results {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn merge(
        r: &Resolved,
        pops: &[PopMeta],
        parts: &[&PartRecorder],
        counts: &[u64],
        steps_run: u64,
        dt: f64,
        build_s: f64,
        simulate_s: f64,
        synapses: u64,
        synapse_bytes: u64,
        weight_columns: &[(Vec<(u32, u32)>, u64)],
    ) -> Results {
        let duration_ms = steps_run as f64 * dt;
        let (mut spikes, mut states, mut rates, mut weights) = (vec![], vec![], vec![], vec![]);
        let mut first_spikes: Vec<Option<usize>> = vec![None; pops.len()];
        for (k, m) in r.monitors.iter().enumerate() {
            let name = pops[m.population].name.clone();
            match &m.kind {
                MonitorKind::Spikes { neurons } => {
                    let mut ev: Vec<(u64, u32)> = vec![];
                    for p in parts {
                        if let MonRec::Spikes { steps, ids, .. } = &p.mons[k] {
                            ev.extend(steps.iter().copied().zip(ids.iter().copied()));
                        }
                    }
                    ev.sort_unstable();
                    if first_spikes[m.population].is_none() {
                        first_spikes[m.population] = Some(spikes.len());
                    }
                    spikes.push(SpikeData {
                        population: name,
                        times_ms: ev.iter().map(|e| (e.0 + 1) as f64 * dt).collect(),
                        senders: ev.iter().map(|e| e.1).collect(),
                        recorded: neurons
                            .as_ref()
                            .map(|v| v.len())
                            .unwrap_or(pops[m.population].size),
                    });
                }
                MonitorKind::State {
                    variables,
                    neurons,
                    every,
                } => {
                    let samples = parts
                        .iter()
                        .find_map(|p| match &p.mons[k] {
                            MonRec::State { samples, .. } => Some(*samples),
                            _ => None,
                        })
                        .unwrap_or(0);
                    let ncol = neurons.len();
                    let model = r.populations[m.population].model;
                    for (vi, &var) in variables.iter().enumerate() {
                        let mut values = vec![0f32; samples * ncol];
                        for p in parts {
                            if let MonRec::State { locals, data, .. } = &p.mons[k] {
                                let m_p = locals.len();
                                let nv = variables.len();
                                for s in 0..samples {
                                    for (j, &(_, col)) in locals.iter().enumerate() {
                                        values[s * ncol + col] = data[(s * nv + vi) * m_p + j];
                                    }
                                }
                            }
                        }
                        states.push(StateData {
                            population: name.clone(),
                            variable: model.state[var].name.to_string(),
                            neurons: neurons.clone(),
                            times_ms: (1..=samples)
                                .map(|s| (s as u64 * every) as f64 * dt)
                                .collect(),
                            values,
                        });
                    }
                }
                MonitorKind::Weights { projection, .. } => {
                    let (pairs, every) = weight_columns[k].clone();
                    let ncol = pairs.len();
                    let samples = parts
                        .iter()
                        .find_map(|p| match &p.mons[k] {
                            MonRec::Weights { samples, .. } => Some(*samples),
                            _ => None,
                        })
                        .unwrap_or(0);
                    let mut values = vec![0f32; samples * ncol];
                    for p in parts {
                        if let MonRec::Weights { synapses, data, .. } = &p.mons[k] {
                            let m_p = synapses.len();
                            for s in 0..samples {
                                for (j, &(_, col)) in synapses.iter().enumerate() {
                                    values[s * ncol + col] = data[s * m_p + j];
                                }
                            }
                        }
                    }
                    weights.push(WeightData {
                        projection: r.projections[*projection].name.clone(),
                        sources: pairs.iter().map(|p| p.0).collect(),
                        targets: pairs.iter().map(|p| p.1).collect(),
                        times_ms: (1..=samples)
                            .map(|s| (s as u64 * every) as f64 * dt)
                            .collect(),
                        values,
                    });
                }
                MonitorKind::Rate { bin } => {
                    let nb = r.steps.div_ceil(*bin) as usize;
                    let mut total = vec![0u64; nb];
                    for p in parts {
                        if let MonRec::Rate { counts, .. } = &p.mons[k] {
                            for (t, c) in total.iter_mut().zip(counts) {
                                *t += *c as u64;
                            }
                        }
                    }
                    let bin_ms = *bin as f64 * dt;
                    let size = pops[m.population].size as f64;
                    rates.push(RateData {
                        population: name,
                        bin_ms,
                        rates_hz: total
                            .iter()
                            .map(|&c| c as f64 / size / (bin_ms * 1e-3))
                            .collect(),
                    });
                }
            }
        }
        let populations = pops
            .iter()
            .enumerate()
            .map(|(k, p)| PopSummary {
                name: p.name.clone(),
                size: p.size,
                model: p.model.to_string(),
                spike_count: counts[k],
                mean_rate_hz: if duration_ms > 0.0 {
                    counts[k] as f64 / p.size as f64 / (duration_ms * 1e-3)
                } else {
                    0.0
                },
                cv_isi: first_spikes[k]
                    .and_then(|i| cv_isi(&spikes[i].times_ms, &spikes[i].senders, p.size)),
            })
            .collect();
        Results {
            dt_ms: dt,
            duration_ms,
            spikes,
            states,
            rates,
            weights,
            populations,
            build_s,
            simulate_s,
            synapses,
            bytes_per_synapse: if synapses > 0 {
                synapse_bytes as f64 / synapses as f64
            } else {
                0.0
            },
        }
    }

    /// Write every recording as `.npy` into `dir` (which must exist). Returns the files.
    pub fn write_npy(&self, dir: &Path) -> std::io::Result<Vec<OutputFile>> {
        let mut out = NpyFolder {
            dir,
            files: vec![],
            used: std::collections::HashSet::new(),
        };
        for s in &self.spikes {
            let base = out.unique(format!("spikes_{}", file_safe(&s.population)));
            let who = &s.population;
            out.put(
                &base,
                "_times",
                &[s.times_ms.len()],
                &s.times_ms,
                format!("spike times [ms] of \"{who}\""),
            )?;
            out.put(
                &base,
                "_senders",
                &[s.senders.len()],
                &s.senders,
                format!("neuron index of each spike of \"{who}\""),
            )?;
        }
        for st in &self.states {
            let base = out.unique(format!(
                "state_{}_{}",
                file_safe(&st.population),
                file_safe(&st.variable)
            ));
            let what = format!(
                "{} of \"{}\" (samples × neurons)",
                st.variable, st.population
            );
            out.put(
                &base,
                "",
                &[st.times_ms.len(), st.neurons.len()],
                &st.values,
                what,
            )?;
            out.put(
                &base,
                "_times",
                &[st.times_ms.len()],
                &st.times_ms,
                "sample times [ms]".into(),
            )?;
            out.put(
                &base,
                "_neurons",
                &[st.neurons.len()],
                &st.neurons,
                "recorded neuron indices".into(),
            )?;
        }
        for w in &self.weights {
            let base = out.unique(format!("weights_{}_trace", file_safe(&w.projection)));
            let what = format!(
                "weights of \"{}\" over time (samples × synapses)",
                w.projection
            );
            out.put(
                &base,
                "",
                &[w.times_ms.len(), w.sources.len()],
                &w.values,
                what,
            )?;
            out.put(
                &base,
                "_times",
                &[w.times_ms.len()],
                &w.times_ms,
                "sample times [ms]".into(),
            )?;
            let pairs: Vec<u32> = w
                .sources
                .iter()
                .zip(&w.targets)
                .flat_map(|(&a, &b)| [a, b])
                .collect();
            let what = "source, target of each recorded synapse".to_string();
            out.put(&base, "_synapses", &[w.sources.len(), 2], &pairs, what)?;
        }
        for r in &self.rates {
            let base = out.unique(format!("rate_{}", file_safe(&r.population)));
            let what = format!(
                "population rate [Hz] of \"{}\" in {} ms bins",
                r.population, r.bin_ms
            );
            out.put(&base, "", &[r.rates_hz.len()], &r.rates_hz, what)?;
        }
        Ok(out.files)
    }

    /// Summary of a population by name.
    pub fn population(&self, name: &str) -> Option<&PopSummary> {
        self.populations.iter().find(|p| p.name == name)
    }
}

/// The `.npy` files of a results folder as they are written: unique base names and the
/// list of files with their descriptions.
struct NpyFolder<'a> {
    dir: &'a Path,
    files: Vec<OutputFile>,
    used: std::collections::HashSet<String>,
}

impl NpyFolder<'_> {
    /// `base`, or `base_2`, `base_3`… if another recording already took it.
    fn unique(&mut self, base: String) -> String {
        let mut name = base.clone();
        let mut k = 2;
        while !self.used.insert(name.clone()) {
            name = format!("{base}_{k}");
            k += 1;
        }
        name
    }

    /// Write `data` of `shape` as `<base><suffix>.npy` and list it with `description`.
    fn put<T: npy::NpyElement>(
        &mut self,
        base: &str,
        suffix: &str,
        shape: &[usize],
        data: &[T],
        description: String,
    ) -> std::io::Result<()> {
        let file = format!("{base}{suffix}.npy");
        npy::write(&self.dir.join(&file), shape, data)?;
        self.files.push(OutputFile { file, description });
        Ok(())
    }
}

/// Mean CV of ISIs over neurons with at least 3 spikes.
pub fn cv_isi(times: &[f64], senders: &[u32], size: usize) -> Option<f64> {
    let mut per: Vec<Vec<f64>> = vec![vec![]; size];
    for (&t, &s) in times.iter().zip(senders) {
        per[s as usize].push(t);
    }
    mean_cv(&per).0
}

/// Mean coefficient of variation of the inter-spike intervals of each neuron's ascending spike
/// times, over neurons with at least 3 spikes; also how many neurons entered the mean.
pub fn mean_cv(per_neuron: &[Vec<f64>]) -> (Option<f64>, usize) {
    let mut sum = 0.0;
    let mut k = 0usize;
    for ts in per_neuron {
        if ts.len() < 3 {
            continue;
        }
        let isi: Vec<f64> = ts.windows(2).map(|w| w[1] - w[0]).collect();
        let m = isi.iter().sum::<f64>() / isi.len() as f64;
        let v = isi.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / isi.len() as f64;
        if m > 0.0 {
            sum += v.sqrt() / m;
            k += 1;
        }
    }
    (if k > 0 { Some(sum / k as f64) } else { None }, k)
}
/// A run's manifest as `ganglion run` writes it to `manifest.json`, without `files` and
/// `timings.write_s` (what a run that writes files adds): spec file (`None` for a circuit not
/// read from a file), name, dt [ms], duration [ms], seed, threads, neuron and synapse counts,
/// bytes per synapse, the memory estimate, per-population summaries, notes, and the build and
/// simulate times [s]. One builder, so that the CLI's and the Python package's manifests keep
/// the same keys.
pub fn manifest(
    spec: Option<&Path>,
    r: &Resolved,
    net: &crate::Network,
    res: &Results,
    notes: &[String],
) -> serde_json::Value {
    serde_json::json!({
        "ganglion_version": env!("CARGO_PKG_VERSION"),
        "spec": spec.map(|s| s.display().to_string()),
        "name": r.name,
        "dt_ms": r.dt,
        "duration_ms": res.duration_ms,
        "seed": r.seed,
        "threads": r.threads,
        "neurons": net.populations().iter().map(|p| p.size).sum::<usize>(),
        "synapses": res.synapses,
        "bytes_per_synapse": res.bytes_per_synapse,
        "synapse_bytes": net.synapse_bytes(),
        "memory_estimate_bytes": r.memory.peak_bytes,
        "populations": res.populations,
        "notes": notes,
        "timings": {"build_s": res.build_s, "simulate_s": res.simulate_s},
    })
}
