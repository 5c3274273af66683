//! `ganglion study list|run` and `ganglion reservoir`: thin wrappers over ganglion-studies and
//! ganglion-learn.

use anyhow::Result;
use clap::{Args, Subcommand};
use ganglion_learn::task::{ReservoirTaskArgs, run_reservoir_task};
use ganglion_studies::{Mode, Replace, format_list, format_outcome, run_study_with};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// `ganglion study ...`
#[derive(Subcommand)]
pub enum StudyCommand {
    /// List the paper reproductions: name, paper, what is checked, runtimes.
    List,
    /// Run a study; writes report.md, figures and metrics.json (every check with its kind,
    /// source and, for stochastic claims, its multi-seed interval); exits non-zero if a check fails.
    Run {
        /// Study name (see `ganglion study list`).
        name: String,
        /// Seconds-long version (the default).
        #[arg(long, conflicts_with = "full")]
        quick: bool,
        /// The real reproduction (runtime in `study list`).
        #[arg(long)]
        full: bool,
        /// Output folder (default runs/<name>/<timestamp>); must not exist or be empty.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace an existing --out folder that a study wrote (one holding metrics.json).
        #[arg(long, requires = "out")]
        force: bool,
    },
}

pub fn study(cmd: StudyCommand) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cmd {
        StudyCommand::List => {
            write!(out, "{}", format_list())?;
            Ok(ExitCode::SUCCESS)
        }
        StudyCommand::Run {
            name,
            full,
            out: dir,
            force,
            ..
        } => {
            let mode = if full { Mode::Full } else { Mode::Quick };
            let replace = if force {
                Replace::Force
            } else {
                Replace::Never
            };
            let outcome = run_study_with(&name, mode, dir, replace)?;
            write!(out, "{}", format_outcome(&outcome))?;
            Ok(if outcome.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// `ganglion reservoir`: train and test an echo state network on a task.
#[derive(Args)]
pub struct ReservoirArgs {
    /// mackey-glass, narma10, lorenz, memory-capacity, santafe.
    #[arg(long, default_value = "mackey-glass")]
    task: String,
    /// Reservoir units.
    #[arg(long)]
    size: Option<String>,
    /// Recurrent connection probability.
    #[arg(long)]
    density: Option<String>,
    /// Spectral radius of the recurrent matrix.
    #[arg(long)]
    spectral_radius: Option<String>,
    /// Series length in steps (train + test).
    #[arg(long)]
    steps: Option<String>,
    /// Seed.
    #[arg(long)]
    seed: Option<String>,
    /// Leak rate.
    #[arg(long)]
    leak_rate: Option<String>,
    /// Input scaling.
    #[arg(long)]
    input_scaling: Option<String>,
    /// Input connection probability.
    #[arg(long)]
    input_density: Option<String>,
    /// Ridge regularisation, or "cv" to choose it by cross-validation.
    #[arg(long)]
    ridge: Option<String>,
    /// teacher-forced or generative.
    #[arg(long)]
    mode: Option<String>,
    /// Free-running steps in generative mode.
    #[arg(long)]
    horizon: Option<String>,
    /// Data file (Santa Fe laser: data/santafe_laser.npy from scripts/fetch-data.sh).
    #[arg(long)]
    data: Option<String>,
    /// Threads (0 = automatic).
    #[arg(long)]
    threads: Option<String>,
    /// tanh or linear units.
    #[arg(long)]
    activation: Option<String>,
    /// Recurrent weights: normal, uniform or orthogonal.
    #[arg(long)]
    weights: Option<String>,
    /// Delays for memory capacity (default 2 × size).
    #[arg(long)]
    delays: Option<String>,
    /// Folds for cross-validated ridge.
    #[arg(long)]
    cv_folds: Option<String>,
    /// Fraction of the steps used for training.
    #[arg(long)]
    train_fraction: Option<String>,
    /// Initial states left out of the fit.
    #[arg(long)]
    washout: Option<String>,
    /// Print {"nrmse", "fit_s", "predict_s", ...} as JSON.
    #[arg(long)]
    json: bool,
}

pub fn reservoir(a: ReservoirArgs) -> Result<ExitCode> {
    let mut pairs: Vec<(&str, String)> = vec![("task", a.task.clone())];
    let opts = [
        ("size", &a.size),
        ("density", &a.density),
        ("spectral-radius", &a.spectral_radius),
        ("steps", &a.steps),
        ("seed", &a.seed),
        ("leak-rate", &a.leak_rate),
        ("input-scaling", &a.input_scaling),
        ("input-density", &a.input_density),
        ("ridge", &a.ridge),
        ("mode", &a.mode),
        ("horizon", &a.horizon),
        ("data", &a.data),
        ("threads", &a.threads),
        ("activation", &a.activation),
        ("weights", &a.weights),
        ("delays", &a.delays),
        ("cv-folds", &a.cv_folds),
        ("train-fraction", &a.train_fraction),
        ("washout", &a.washout),
    ];
    for (k, v) in opts {
        if let Some(v) = v {
            pairs.push((k, v.clone()));
        }
    }
    let args = ReservoirTaskArgs::from_pairs(pairs)?;
    let report = run_reservoir_task(&args)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        writeln!(out, "{}", report.to_json())?;
    } else {
        writeln!(out, "{}", report.summary())?;
    }
    Ok(ExitCode::SUCCESS)
}
