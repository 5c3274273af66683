//! `ganglion`: build, simulate and analyse neural circuits from a TOML spec.

mod checkpoint;
mod connectome;
mod diagram;
mod env;
mod interp;
mod malloc;

mod panic;
mod ranks;
mod run;
mod study;
mod sweep;
mod threads;
mod train;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ganglion",
    version,
    about = "Build, simulate, train and dissect neural circuits"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process; boxing buys nothing
enum Command {
    /// Simulate a circuit spec and write recordings, plots and a manifest.
    Run(run::RunArgs),
    /// Run a spec at every point of a grid of values (`--set "input.0.rate=[1 kHz, 2 kHz]"`)
    /// in one process, building the synapses once; writes one folder per point, sweep.csv,
    /// sweep.json and a figure.
    Sweep(sweep::SweepArgs),
    /// Check a spec without running it.
    Validate {
        /// The spec file (TOML).
        spec: PathBuf,
    },
    /// List the neuron models and their parameters.
    Models,
    /// Paper reproductions: `study list`, `study run NAME [--quick|--full]`.
    #[command(subcommand)]
    Study(study::StudyCommand),
    /// Train a ridge readout on an echo state network and test it on a task.
    Reservoir(study::ReservoirArgs),
    /// Train a circuit by gradient descent (surrogate-gradient BPTT) and write the trained spec.
    Train(train::TrainArgs),
    /// C. elegans connectomes: `connectome stats FILE`, `connectome spec FILE --out worm.toml`.
    #[command(subcommand)]
    Connectome(connectome::ConnectomeCommand),
    /// MuJoCo environments: `env rollout` (one swimmer episode), `env bench`, `env xml`.
    #[command(subcommand)]
    Env(env::EnvCommand),
    /// Draw a spec as a layered circuit diagram: `diagram SPEC --out circuit.svg`.
    Diagram(diagram::DiagramArgs),
    /// Transformer circuits on a GGUF language model:
    /// `interp logit-diff|attribute|patch|attention|steer|probe`.
    #[command(subcommand)]
    Interp(interp::InterpCommand),
}

fn main() -> ExitCode {
    malloc::keep_freed_memory();
    threads::pin_thread_count();
    panic::install();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Validate { spec } => run::validate(&spec),
        Command::Models => run::models(),
        Command::Study(cmd) => study::study(cmd),
        Command::Reservoir(a) => study::reservoir(a),
        Command::Train(a) => train::train(a),
        Command::Connectome(c) => connectome::connectome(c),
        Command::Env(c) => env::env(c),
        Command::Interp(c) => interp::interp(c),
        Command::Diagram(a) => diagram::diagram(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            // One write of the whole line: under mpirun every rank's stderr shares one
            // terminal, and a line written in pieces interleaves with the other ranks' lines
            // ("error: error: rank 0 …").
            let line = format!("error: {}\n", message(&e));
            let _ = std::io::stderr().write_all(line.as_bytes());
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each cause once: a cause whose text the message already holds
/// (`cannot read x: <cause>`) is not repeated.
fn message(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg = format!("{msg}: {c}");
        }
    }
    msg
}
