//! `ganglion run`, `ganglion validate`, `ganglion models`.

use crate::checkpoint;
use anyhow::{Context, Result};
use clap::Args;
use ganglion_base::files::{self, OutputDir, Replace};
use ganglion_base::names::file_safe;
use ganglion_model::validate::{Overrides, validate_with};
use ganglion_model::{MODELS, Resolved, load};
use ganglion_plot::{Figure, Panel, RasterOptions, raster};
use ganglion_sim::{Network, Results};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The flags that override `[simulation]` (`ganglion run`, `ganglion sweep`).
#[derive(Args)]
pub struct SimFlags {
    /// Worker threads (overrides [simulation] threads; 0 = all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Master seed (overrides [simulation] seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated time, e.g. "500 ms" (overrides [simulation] duration).
    #[arg(long, allow_hyphen_values = true)]
    pub duration: Option<String>,
}

impl SimFlags {
    /// The overrides validation applies.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            threads: self.threads,
            seed: self.seed,
            duration: self.duration.clone(),
        }
    }
}

/// Arguments of `ganglion run`.
#[derive(Args)]
pub struct RunArgs {
    /// The spec file (TOML).
    spec: PathBuf,
    /// Output folder (default: runs/<spec name>-<UTC timestamp>).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    sim: SimFlags,
    /// Skip the raster and rate plots.
    #[arg(long)]
    no_plots: bool,
    /// Print the manifest as JSON on stdout instead of the summary table.
    #[arg(long)]
    json: bool,
    /// Replace the output folder if it holds an earlier run's results (otherwise an existing,
    /// non-empty folder is an error: runs never overwrite results silently). Never replaces
    /// a folder without a manifest.json, the current folder, the spec's folder or their
    /// ancestors; the old results are removed only once the new ones are in place.
    #[arg(long)]
    force: bool,
    /// Write the final weights of plastic projections even when they have more than
    /// 10 million synapses.
    #[arg(long)]
    all_weights: bool,
    /// Save the whole engine state every this much simulated time, e.g. "10 s", into
    /// OUT.checkpoint/ next to the results folder (removed once the results are written), so
    /// that a killed run can be finished with --resume.
    #[arg(long)]
    checkpoint_every: Option<String>,
    /// Finish a killed run from its checkpoint folder (OUT.checkpoint): same spec, seed,
    /// threads and duration; the results are bit-identical to an uninterrupted run.
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Print each population's firing rate over the last interval, every this much
    /// simulated time (e.g. "100 ms"), to stderr while the run goes on.
    #[arg(long)]
    report_every: Option<String>,
}

/// Load and validate with the command line's overrides (validation checks them as flags, so
/// that their problems name the flag, not a line of the spec); the notices (values rounded
/// or capped) are printed on stderr and returned for the manifest.
fn prepare(spec: &Path, overrides: &Overrides) -> Result<(Resolved, Vec<String>)> {
    let (circuit, source) = load(spec)?;
    let (r, notes) = match validate_with(&circuit, &source, overrides) {
        Ok(x) => x,
        // Problems of the flags alone are not "the spec's problems".
        Err(e)
            if e.problems()
                .iter()
                .all(|p| p.file.is_none() && p.object.starts_with("--"))
                && !e.problems().is_empty() =>
        {
            let lines: Vec<String> = e.problems().iter().map(|p| p.to_string()).collect();
            anyhow::bail!("{}", lines.join("\n"));
        }
        Err(e) => return Err(e.into()),
    };
    let mut err = std::io::stderr().lock();
    for n in &notes {
        writeln!(err, "note: {}", n.replace('\n', "\n  "))?;
    }
    Ok((r, notes))
}

pub fn validate(spec: &Path) -> Result<ExitCode> {
    let (r, _) = prepare(spec, &Overrides::default())?;
    let neurons: usize = r.populations.iter().map(|p| p.size).sum();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: ok — {} populations ({} neurons), {} projections (~{:.3e} synapses), {} inputs, {} monitors; {} steps of {} ms; ~{:.2} GiB to build",
        spec.display(),
        r.populations.len(),
        neurons,
        r.projections.len(),
        r.memory.synapses,
        r.inputs.len(),
        r.monitors.len(),
        r.steps,
        r.dt,
        r.memory.peak_bytes / f64::powi(1024.0, 3)
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn models() -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let name_width = MODELS.iter().map(|m| m.name.len()).max().unwrap_or(0);
    for m in MODELS {
        writeln!(out, "{:<width$} {}", m.name, m.summary, width = name_width)?;
        let gap = match (m.gap_junctions, m.spiking) {
            (false, _) => "",
            (true, true) => "; gap junctions in nS",
            (true, false) => "; gap junctions (dimensionless)",
        };
        writeln!(
            out,
            "  weights in {}{gap}",
            match m.synapse.weight_dim().base_unit() {
                "" => "dimensionless units",
                u => u,
            }
        )?;
        for p in m.params {
            writeln!(
                out,
                "  {:<11} {:>9} {:<3}  {}",
                p.name,
                p.default,
                p.dim.base_unit(),
                p.doc
            )?;
        }
        writeln!(
            out,
            "  state: {}",
            m.state
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let t_start = Instant::now();
    // Hashed only for checkpoints, and only a regular file is read (validation says what
    // else it is).
    let spec_hash = match std::fs::metadata(&args.spec) {
        Ok(m)
            if (args.resume.is_some() || args.checkpoint_every.is_some())
                && m.is_file()
                && m.len() <= 256 << 20 =>
        {
            checkpoint::spec_hash(
                &args.spec,
                &std::fs::read(&args.spec)
                    .with_context(|| format!("cannot read {}", args.spec.display()))?,
            )
        }
        _ => String::new(),
    };
    // A resumed run takes what was run from its checkpoint; flags given again must agree.
    let resumed = match &args.resume {
        Some(dir) if !spec_hash.is_empty() => Some(resume_meta(dir, &args, &spec_hash)?),
        _ => None,
    };
    let overrides = match resumed.as_ref().map(|c| &c.meta) {
        Some(m) => Overrides {
            threads: Some(m.threads),
            seed: Some(m.seed),
            duration: m.duration.clone(),
        },
        None => args.sim.overrides(),
    };
    let (r, notes) = prepare(&args.spec, &overrides)?;
    let dest = match (&args.out, &resumed) {
        (Some(o), _) => o.clone(),
        (None, Some(c)) => c.meta.out.clone(),
        (None, None) => PathBuf::from("runs").join(format!(
            "{}-{}",
            r.name,
            ganglion_studies::timestamp(std::time::SystemTime::now())
        )),
    };
    let every_steps = match (&args.checkpoint_every, &resumed) {
        (Some(text), _) => interval_steps("--checkpoint-every", text, r.dt)?,
        (None, Some(c)) => c.meta.every_steps,
        (None, None) => 0,
    };
    let report_steps = match &args.report_every {
        Some(text) => interval_steps("--report-every", text, r.dt)?,
        None => 0,
    };
    let ckpt_dir = match &args.resume {
        Some(dir) => dir.clone(),
        None => checkpoint::folder_of(&dest),
    };
    let mut meta = checkpoint::Meta {
        ganglion_version: env!("CARGO_PKG_VERSION").into(),
        spec: args.spec.clone(),
        spec_hash,
        seed: r.seed,
        threads: r.threads,
        duration: overrides.duration.clone(),
        steps: r.steps,
        step: 0,
        every_steps,
        out: dest.clone(),
        simulate_s: resumed.as_ref().map_or(0.0, |c| c.meta.simulate_s),
    };
    let checkpointing = every_steps > 0 || resumed.is_some();
    // MPI ranks (feature `mpi`): rank 0 alone writes; see `ranks`.
    let ranks = crate::ranks::start()?;
    let (rank, _) = crate::ranks::rank(&ranks);
    if checkpointing && ranks.is_some() {
        anyhow::bail!(
            "--checkpoint-every/--resume are not supported in a distributed (MPI) run\n  hint: run in one process to checkpoint, or drop the flag"
        );
    }
    // Check the destination and open the temporary folder now, before any work: a run that
    // cannot write its results refuses at once. `--force` never replaces the current folder,
    // the spec's folder or an ancestor of them, nor a folder without a manifest.
    let spec_dir = files::parent_of(&args.spec);
    let out = (rank == 0).then(|| {
        OutputDir::create(
            &dest,
            if args.force {
                Replace::Force
            } else {
                Replace::Never
            },
            "manifest.json",
            &[spec_dir],
        )
    });
    let out = match out {
        Some(Err(e)) => Err(anyhow::Error::from(e)),
        Some(Ok(o)) => Ok(Some(o)),
        None => Ok(None),
    };
    crate::ranks::agree(
        &ranks,
        out.as_ref().map(|_| ()).map_err(|e| anyhow::anyhow!("{e}")),
    )?;
    let out = out?;
    let mut net = crate::ranks::build(&r, &ranks)?;
    if let Some(c) = &resumed {
        checkpoint::restore(&mut net, c.state(), &ckpt_dir)?;
    }

    // Progress bar on stderr, shown only once the run has taken more than a second, and
    // the optional rate report.
    let report = RateReport::new(&net, report_steps, r.dt);
    if report_steps > 0 {
        // Calls at every report and still about 200 bar updates per run.
        let auto = (r.steps / 200).max(1);
        net.set_progress_every(gcd(report_steps, auto));
    }
    let bar: Mutex<Option<ProgressBar>> = Mutex::new(None);
    let t_sim = Instant::now();
    let progress = |done: u64, total: u64| {
        let line = report.line(done);
        let wall = t_sim.elapsed();
        if wall < Duration::from_secs(1) {
            if let Some(l) = line {
                eprintln!("{l}");
            }
            return;
        }
        let mut b = bar.lock().unwrap_or_else(|p| p.into_inner());
        let pb = b.get_or_insert_with(|| {
            let pb = ProgressBar::new(total);
            pb.set_style(
                ProgressStyle::with_template(
                    "{spinner} simulating [{bar:40}] {percent}% {msg} ({elapsed} elapsed, ~{eta} left)",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            pb
        });
        if let Some(l) = line {
            pb.println(l);
        }
        let model_s = (done - report.start_step) as f64 * r.dt / 1000.0;
        if model_s > 0.0 {
            pb.set_message(format!(
                "real-time factor {:.2}",
                wall.as_secs_f64() / model_s
            ));
        }
        pb.set_position(done);
    };
    let results = if checkpointing {
        checkpoint::run(&mut net, &mut meta, &ckpt_dir, Some(&progress))
            .map(|sim_s| net.results(sim_s))
    } else {
        let progress: Option<&(dyn Fn(u64, u64) + Sync)> =
            if rank == 0 { Some(&progress) } else { None };
        net.run(progress).map_err(anyhow::Error::from)
    };
    if let Some(pb) = bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
        pb.finish_and_clear();
    }
    let results = results?;
    crate::ranks::report(&net);
    let Some(out) = out else {
        // Another rank of a distributed run: rank 0 has the results and writes them.
        return Ok(ExitCode::SUCCESS);
    };

    let t_write = Instant::now();
    // On any error below, dropping `out` removes the temporary folder.
    let opts = OutputOptions {
        spec: &args.spec,
        spec_text: None,
        all_weights: args.all_weights,
        plots: !args.no_plots,
    };
    let manifest = write_outputs(out.path(), &opts, (&r, notes), &net, &results, t_write)?;
    let dest = out.commit()?;
    if checkpointing {
        // The results are in place: the checkpoint has served its purpose.
        let _ = std::fs::remove_file(ckpt_dir.join(checkpoint::FILE));
        let _ = std::fs::remove_dir(&ckpt_dir);
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&manifest)?)?;
    } else {
        print_summary(
            &mut out,
            &args.spec,
            &r,
            &results,
            &manifest,
            &dest,
            t_start.elapsed().as_secs_f64(),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The checkpoint in `dir` and its state, checked against this command: same spec text, and
/// flags given again agree with what the checkpointed run used.
fn resume_meta(dir: &Path, args: &RunArgs, spec_hash: &str) -> Result<checkpoint::Checkpoint> {
    let c = checkpoint::read(dir)?;
    let m = &c.meta;
    if m.spec_hash != spec_hash {
        anyhow::bail!(
            "--resume {}: the checkpoint was written for {} with other contents than {} and its data files have now\n  hint: resume with the spec and data the run started with",
            dir.display(),
            m.spec.display(),
            args.spec.display()
        );
    }
    let differs = |flag: &str, given: Option<String>, used: String| -> Result<()> {
        match given {
            Some(g) if g != used => anyhow::bail!(
                "--resume {}: {flag} {g} differs from the checkpointed run's {used}\n  hint: leave {flag} out when resuming",
                dir.display()
            ),
            _ => Ok(()),
        }
    };
    differs(
        "--threads",
        args.sim.threads.map(|t| t.to_string()),
        m.threads.to_string(),
    )?;
    differs(
        "--seed",
        args.sim.seed.map(|t| t.to_string()),
        m.seed.to_string(),
    )?;
    differs(
        "--duration",
        args.sim.duration.clone(),
        m.duration.clone().unwrap_or_else(|| "the spec's".into()),
    )?;
    Ok(c)
}

/// `--checkpoint-every TEXT` in whole steps of `dt` (at least one).
/// `--report-every`: each population's rate over the last interval, from the engine's live
/// spike counts.
struct RateReport {
    every: u64,
    dt_ms: f64,
    /// (name, size) of each population, None for rate units.
    pops: Vec<Option<(String, usize)>>,
    live: std::sync::Arc<[std::sync::atomic::AtomicU64]>,
    /// The step the run starts from (a resumed run starts part-way).
    start_step: u64,
    /// (step, counts) of the last report.
    last: Mutex<(u64, Vec<u64>, Instant)>,
}

impl RateReport {
    fn new(net: &Network, every: u64, dt_ms: f64) -> RateReport {
        let pops = net.populations();
        let live = net.live_spike_counts();
        let counts = live
            .iter()
            .map(|c| c.load(std::sync::atomic::Ordering::Relaxed))
            .collect();
        RateReport {
            every,
            dt_ms,
            pops: pops
                .iter()
                .map(|p| p.spiking.then(|| (p.name.clone(), p.size)))
                .collect(),
            live,
            start_step: net.step(),
            last: Mutex::new((net.step(), counts, Instant::now())),
        }
    }

    /// The report line due at step `done`, if one is.
    fn line(&self, done: u64) -> Option<String> {
        if self.every == 0 || !done.is_multiple_of(self.every) {
            return None;
        }
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let span_ms = (done - last.0) as f64 * self.dt_ms;
        if span_ms <= 0.0 {
            return None;
        }
        let now: Vec<u64> = self
            .live
            .iter()
            .map(|c| c.load(std::sync::atomic::Ordering::Relaxed))
            .collect();
        let wall = last.2.elapsed().as_secs_f64();
        let mut line = format!(
            "t = {:.1} ms (real-time factor {:.2}):",
            done as f64 * self.dt_ms,
            wall / (span_ms / 1000.0)
        );
        for (pop, (c, l)) in self.pops.iter().zip(now.iter().zip(&last.1)) {
            let Some((name, size)) = pop else { continue };
            let hz = (c - l) as f64 / ((*size).max(1) as f64 * span_ms / 1000.0);
            line.push_str(&format!(" {name} {hz:.2} Hz"));
        }
        *last = (done, now, Instant::now());
        Some(line)
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Steps in an interval of simulated time given to `flag`, e.g. "10 s" (at least 1).
fn interval_steps(flag: &str, text: &str, dt: f64) -> Result<u64> {
    let bad = |why: &str| {
        anyhow::anyhow!(
            "{flag} \"{text}\": {why}\n  hint: give simulated time, e.g. {flag} \"10 s\""
        )
    };
    let (ms, dim) = ganglion_base::units::parse_quantity(text).map_err(|e| bad(&e.to_string()))?;
    if dim != ganglion_base::units::Dim::Time {
        return Err(bad("not a time"));
    }
    if !(ms > 0.0) || !ms.is_finite() {
        return Err(bad("must be a positive time"));
    }
    Ok(((ms / dt).round() as u64).max(1))
}

/// What [`write_outputs`] writes besides the recordings and the manifest.
pub struct OutputOptions<'a> {
    /// The spec file that was run (named in the manifest).
    pub spec: &'a Path,
    /// The text saved as `spec.toml`: `None` copies `spec`; a sweep point saves its own values.
    pub spec_text: Option<String>,
    /// Write the final weights of plastic projections of any size (`--all-weights`).
    pub all_weights: bool,
    /// Draw the raster and rate plots.
    pub plots: bool,
}

/// Write the recordings, final weights, plots, the spec and the manifest into `dir` (the
/// files of `ganglion run`, and of each point of `ganglion sweep`); `notes` (validation's
/// notices) go into the manifest with those of writing.
pub fn write_outputs(
    dir: &Path,
    opts: &OutputOptions,
    (r, mut notes): (&Resolved, Vec<String>),
    net: &Network,
    res: &Results,
    t_write: Instant,
) -> Result<serde_json::Value> {
    let mut files: Vec<serde_json::Value> = res
        .write_npy(dir)
        .with_context(|| format!("cannot write recordings into {}", dir.display()))?
        .into_iter()
        .map(|f| json!({"file": f.file, "description": f.description}))
        .collect();
    // Final weights of plastic projections: (source, target, weight, delay ms) per synapse.
    for j in net.plastic_projections() {
        let name = &net.projection_names()[j];
        let count = net.synapse_count_of(j);
        if count as f64 > ganglion_model::memory::FINAL_WEIGHTS_LIMIT && !opts.all_weights {
            let note = format!(
                "final weights of \"{name}\" not written ({count} synapses); pass --all-weights or record a subset with a weights monitor"
            );
            eprintln!("note: {note}");
            notes.push(note);
            continue;
        }
        let file = format!("weights_{}.npy", file_safe(name));
        let syn = net.synapses_of(j);
        let flat: Vec<f64> = syn
            .iter()
            .flat_map(|&(s, t, w, d)| [s as f64, t as f64, w as f64, d])
            .collect();
        ganglion_model::npy::write(&dir.join(&file), &[syn.len(), 4], &flat)?;
        files.push(json!({"file": file, "description": format!("final weights of plastic projection \"{name}\": source, target, weight, delay [ms]")}));
    }
    if opts.plots {
        for (file, description) in plot(dir, r, res)? {
            files.push(json!({"file": file, "description": description}));
        }
    }
    match &opts.spec_text {
        Some(text) => files::write_atomic(&dir.join("spec.toml"), text.as_bytes())?,
        None => {
            std::fs::copy(opts.spec, dir.join("spec.toml")).context("cannot copy the spec")?;
        }
    }
    files.push(json!({"file": "spec.toml", "description": "the spec that was run"}));
    files.push(json!({"file": "manifest.json", "description": "this manifest"}));
    let write_s = t_write.elapsed().as_secs_f64();
    let mut manifest = ganglion_sim::record::manifest(Some(opts.spec), r, net, res, &notes);
    manifest["files"] = json!(files);
    manifest["timings"]["write_s"] = json!(write_s);
    files::write_atomic(
        &dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    Ok(manifest)
}

/// Raster (with population rate below) of all spike monitors, and population-rate traces.
fn plot(dir: &Path, r: &Resolved, res: &Results) -> Result<Vec<(String, String)>> {
    let mut files = vec![];
    if !res.spikes.is_empty() {
        // Show at most 500 neurons per population so that big networks stay legible.
        const SHOWN: u32 = 500;
        let kept: Vec<(Vec<f64>, Vec<u32>)> = res
            .spikes
            .iter()
            .map(|s| {
                let (t, i): (Vec<f64>, Vec<u32>) = s
                    .times_ms
                    .iter()
                    .zip(&s.senders)
                    .filter(|(_, i)| **i < SHOWN)
                    .map(|(&t, &i)| (t, i))
                    .unzip();
                (t, i)
            })
            .collect();
        let sizes: Vec<u32> = res
            .spikes
            .iter()
            .map(|s| {
                r.population_index(&s.population)
                    .map(|k| r.populations[k].size as u32)
                    .unwrap_or(1)
                    .min(SHOWN)
            })
            .collect();
        let pops: Vec<(&str, &[f64], &[u32])> = res
            .spikes
            .iter()
            .zip(&kept)
            .map(|(s, (t, i))| (s.population.as_str(), &t[..], &i[..]))
            .collect();
        let opts = RasterOptions {
            title: format!("{} — spikes (first {SHOWN} neurons per population)", r.name),
            t_range_ms: Some((0.0, res.duration_ms)),
            rate_bin_ms: Some((res.duration_ms / 200.0).max(r.dt)),
            population_sizes: Some(sizes),
            ..RasterOptions::default()
        };
        raster(&pops, &opts, dir.join("raster"))?;
        files.push((
            "raster.svg".into(),
            "spike raster and population rate (SVG)".into(),
        ));
        files.push((
            "raster.png".into(),
            "spike raster and population rate (PNG)".into(),
        ));
    }
    if !res.rates.is_empty() {
        let mut panel = Panel::new("time [ms]", "rate [Hz]");
        for rate in &res.rates {
            let pts = rate
                .rates_hz
                .iter()
                .enumerate()
                .map(|(b, &v)| (b as f64 * rate.bin_ms, v))
                .collect();
            panel = panel.line(
                format!("{} ({} ms bins)", rate.population, rate.bin_ms),
                pts,
            );
        }
        ganglion_plot::save(
            &Figure::new(format!("{} — population rate", r.name)).panel(panel),
            dir.join("rate"),
        )?;
        files.push((
            "rate.svg".into(),
            "population rate from rate monitors (SVG)".into(),
        ));
        files.push((
            "rate.png".into(),
            "population rate from rate monitors (PNG)".into(),
        ));
    }
    Ok(files)
}

fn print_summary(
    out: &mut impl Write,
    spec: &Path,
    r: &Resolved,
    res: &Results,
    manifest: &serde_json::Value,
    dest: &Path,
    total_s: f64,
) -> Result<()> {
    let neurons: usize = r.populations.iter().map(|p| p.size).sum();
    writeln!(
        out,
        "{}: {} neurons, {} synapses ({:.1} B each), {} ms at dt = {} ms, {} thread{}",
        spec.display(),
        neurons,
        res.synapses,
        res.bytes_per_synapse,
        (res.duration_ms * 1e9).round() / 1e9,
        r.dt,
        r.threads,
        if r.threads == 1 { "" } else { "s" }
    )?;
    writeln!(
        out,
        "{:<16} {:>8} {:<14} {:>10} {:>10} {:>7}",
        "population", "size", "model", "spikes", "rate [Hz]", "CV ISI"
    )?;
    for p in &res.populations {
        let cv = p
            .cv_isi
            .map(|c| format!("{c:.2}"))
            .unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{:<16} {:>8} {:<14} {:>10} {:>10.2} {:>7}",
            p.name, p.size, p.model, p.spike_count, p.mean_rate_hz, cv
        )?;
    }
    let t = &manifest["timings"];
    writeln!(
        out,
        "build {:.3} s · simulate {:.3} s · write {:.3} s · total {:.3} s → {}",
        t["build_s"].as_f64().unwrap_or(0.0),
        t["simulate_s"].as_f64().unwrap_or(0.0),
        t["write_s"].as_f64().unwrap_or(0.0),
        total_s,
        dest.display()
    )?;
    Ok(())
}
