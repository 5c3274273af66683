//! `ganglion diagram SPEC --out FILE.svg`: a spec drawn as a layered circuit diagram
//! (populations as nodes sized by neuron count, projections as edges weighted by mean
//! weight × expected synapses and coloured by sign; see the `circuit-diagram` study).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use ganglion_studies::studies::circuit_diagram::spec_diagram;

/// Arguments of `ganglion diagram`.
#[derive(Args)]
pub struct DiagramArgs {
    /// The circuit spec (TOML).
    pub spec: PathBuf,
    /// Where to write the SVG (`.svg` is appended when missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Barycentre sweeps used to order nodes within their columns.
    #[arg(long, default_value_t = 8)]
    pub sweeps: usize,
}

/// Validates the spec, lays its diagram out and writes it.
pub fn diagram(args: DiagramArgs) -> Result<ExitCode> {
    let r = ganglion_model::load_and_validate(&args.spec)?;
    let d = spec_diagram(&r);
    let input = d.input_order()?;
    let layout = d.barycentre_order(args.sweeps)?;
    let path = d
        .save_svg(&layout, &args.out)
        .with_context(|| format!("writing the diagram of {}", args.spec.display()))?;
    writeln!(
        std::io::stdout().lock(),
        "{}: {} populations, {} projections, {} crossings (input order {}) → {}",
        args.spec.display(),
        d.nodes.len(),
        d.edges.len(),
        d.crossings(&layout),
        d.crossings(&input),
        path.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
