//! `ganglion connectome stats|spec`: summarise a C. elegans connectome file, or write it as a
//! runnable circuit spec.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use ganglion_base::files::write_atomic;
use ganglion_data::connectome::Connectome;
use ganglion_studies::worm::{WormOptions, circuit};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `ganglion connectome ...`
#[derive(Subcommand)]
pub enum ConnectomeCommand {
    /// Nodes, neurons by class, and per connection type (chemical, electrical, others as the
    /// file names them) the connected ordered pairs and the summed weight.
    Stats {
        /// A connectome JSON file (data/cect/*.json from scripts/fetch-data.sh cect).
        file: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write the connectome's neurons as a circuit spec: one population, the chemical synapses
    /// (inhibitory from GABAergic neurons) and the gap junctions as edge lists beside it.
    Spec {
        /// A connectome JSON file.
        file: PathBuf,
        /// Neuron model (a model with gap junctions, see `ganglion models`).
        #[arg(long, default_value = "iaf_psc_exp")]
        model: String,
        /// Chemical weight per synaptic contact, in the model's weight unit.
        #[arg(long, default_value = "2 pA")]
        chemical: String,
        /// Gap-junction conductance per junction (dimensionless for rate units).
        #[arg(long, default_value = "0.5 nS")]
        gap: String,
        /// Keep the pharyngeal neurons.
        #[arg(long)]
        pharynx: bool,
        /// Neurons whose chemical synapses are inhibitory besides the 26 GABAergic ones
        /// (comma-separated names, e.g. ALML,ALMR,AVM,PLML,PLMR,PVM).
        #[arg(long, value_delimiter = ',')]
        inhibitory: Vec<String>,
        /// Time step.
        #[arg(long, default_value = "0.1 ms")]
        dt: String,
        /// Simulated time.
        #[arg(long, default_value = "1000 ms")]
        duration: String,
        /// The spec to write (its edge lists go beside it as <stem>_chemical.csv, ...).
        #[arg(long)]
        out: PathBuf,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
}

pub fn connectome(cmd: ConnectomeCommand) -> Result<ExitCode> {
    match cmd {
        ConnectomeCommand::Stats { file, json } => stats(&file, json),
        ConnectomeCommand::Spec {
            file,
            model,
            chemical,
            gap,
            pharynx,
            inhibitory,
            dt,
            duration,
            out,
            force,
        } => {
            let mut all = WormOptions::gabaergic();
            all.extend(inhibitory);
            let o = WormOptions {
                model,
                chemical: Some(chemical),
                gap,
                pharynx,
                inhibitory: all,
                dt,
                duration,
            };
            spec(&file, &o, &out, force)
        }
    }
}

fn stats(file: &Path, json: bool) -> Result<ExitCode> {
    let c = Connectome::load(file)?;
    let s = c.stats();
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&s)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "{}: {} nodes", file.display(), s.nodes)?;
    let classes: Vec<String> = s
        .neurons
        .iter()
        .map(|(c, k)| format!("{k} {}", format!("{c:?}").to_lowercase()))
        .collect();
    let total: usize = s.neurons.values().sum();
    writeln!(out, "neurons: {total} ({})", classes.join(", "))?;
    writeln!(
        out,
        "{:<12} {:<28} {:>8} {:>12}",
        "kind", "type", "pairs", "weight"
    )?;
    for l in &s.layers {
        writeln!(
            out,
            "{:<12} {:<28} {:>8} {:>12}",
            l.kind, l.name, l.pairs, l.total
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn spec(file: &Path, o: &WormOptions, out: &Path, force: bool) -> Result<ExitCode> {
    let c = Connectome::load(file)?;
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "worm".into());
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = |f: &str| format!("{stem}_{f}");
    let w = circuit(&c, o, name).map_err(anyhow::Error::msg)?;
    // Refuse before writing anything, so that a refused run leaves every file as it was.
    let targets: Vec<PathBuf> = std::iter::once(out.to_path_buf())
        .chain(w.files.iter().map(|(f, _)| dir.join(name(f))))
        .collect();
    if !force && let Some(t) = targets.iter().find(|t| t.exists()) {
        bail!(
            "{} exists\n  hint: pass --force to replace it, or choose another --out",
            t.display()
        );
    }
    // The spec must validate before it is written.
    let text = w.circuit.to_toml();
    for (f, csv) in &w.files {
        let path = dir.join(name(f));
        write_atomic(&path, csv.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let header = format!(
        "# {} as a circuit: {} neurons ({}), written by `ganglion connectome spec`.\n\
         # Chemical weight per contact {}, gap-junction conductance per junction {}.\n\
         # Neuron i of population \"worm\" is row i of {}; drive some with an [[input]]\n\
         # that names them, e.g. kind = \"current\", target = \"worm\", neurons = [i, j].\n\n",
        file.display(),
        w.neurons.len(),
        if o.pharynx {
            "with the pharynx"
        } else {
            "somatic"
        },
        o.chemical.as_deref().unwrap_or("none"),
        o.gap,
        name("neurons.csv"),
    );
    write_atomic(out, format!("{header}{text}").as_bytes())
        .with_context(|| format!("writing {}", out.display()))?;
    if let Err(e) = ganglion_model::load_and_validate(out) {
        bail!(
            "{e}\n  (the spec was written to {} so that you can inspect it)",
            out.display()
        );
    }
    writeln!(
        std::io::stdout().lock(),
        "{}: {} neurons, {} files → run it with: ganglion run {}",
        out.display(),
        w.neurons.len(),
        w.files.len(),
        out.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
