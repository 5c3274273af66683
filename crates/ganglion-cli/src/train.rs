//! `ganglion train`: gradient training of a circuit spec (ganglion-train).

use anyhow::Result;
use clap::Args;
use ganglion_train::{TrainOptions, train::train_from_spec};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `ganglion train`.
#[derive(Args)]
pub struct TrainArgs {
    /// The circuit spec (training options in `<spec>.train.toml` beside it).
    spec: PathBuf,
    /// Dataset: fashion-mnist, mnist or digits.
    #[arg(long)]
    data: String,
    /// Where the datasets are (as scripts/fetch-data.sh lays them out).
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// Epochs (overrides the sidecar).
    #[arg(long)]
    epochs: Option<usize>,
    /// Use only the first N training and N test samples.
    #[arg(long)]
    limit: Option<usize>,
    /// Batch size (overrides the sidecar).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Seed (overrides the sidecar).
    #[arg(long)]
    seed: Option<u64>,
    /// Output folder (default runs/<spec>-train).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue from the checkpoint in the output folder (bit-identical to an uninterrupted run).
    #[arg(long)]
    resume: bool,
    /// Print only a final JSON line {"test_accuracy", "epoch_s", "epochs"}.
    #[arg(long)]
    json: bool,
}

pub fn train(a: TrainArgs) -> Result<ExitCode> {
    let opts = TrainOptions {
        epochs: a.epochs,
        limit: a.limit,
        out_dir: a.out,
        resume: a.resume,
        progress: !a.json,
        seed: a.seed,
        batch_size: a.batch_size,
    };
    let report = train_from_spec(&a.spec, &a.data, &a.data_dir, opts)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        writeln!(out, "{}", report.json_line())?;
    } else {
        writeln!(
            out,
            "test accuracy {:.2}% after {} epochs ({:.2} s/epoch)\ntrained spec: {}\nmetrics: {}",
            100.0 * report.test_accuracy,
            report.epochs,
            report.epoch_s,
            report.trained_spec.display(),
            report.metrics_csv.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
