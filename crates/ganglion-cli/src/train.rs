//! `ganglion train`: gradient training of a circuit spec (ganglion-train), plus what the
//! library leaves to its caller: after every epoch the metrics table `metrics.csv`
//! ([`ganglion_train::write_metrics_csv`]) and the figure `metrics.{svg,png}`, and at the end
//! `report.json` ([`ganglion_train::write_report`]).

use anyhow::Result;
use clap::Args;
use ganglion_train::{EpochMetrics, SpecRun, TrainOptions, write_metrics_csv, write_report};
use std::io::Write;
use std::path::{Path, PathBuf};
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
    let mut run = SpecRun::start(&a.spec, &a.data, &a.data_dir, opts)?;
    let csv = run.out_dir().join("metrics.csv");
    while run.next_epoch()?.is_some() {
        write_metrics_csv(&csv, run.metrics())?;
        if let Err(e) = plot_metrics(&run.out_dir().join("metrics"), run.metrics()) {
            // A figure is a convenience; the CSV holds the numbers.
            eprintln!("warning: metrics plot not written: {e}");
        }
    }
    let report = run.finish()?;
    write_metrics_csv(&csv, &report.metrics)?;
    write_report(&report, &csv)?;
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
            csv.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Plot loss and accuracy per epoch (train and test) to `path` + `.svg`/`.png`.
fn plot_metrics(path: &Path, metrics: &[EpochMetrics]) -> Result<(), String> {
    use ganglion_plot::{Figure, Panel, save};
    let pts = |f: fn(&EpochMetrics) -> f64| {
        metrics
            .iter()
            .map(|m| (m.epoch as f64, f(m)))
            .collect::<Vec<_>>()
    };
    let fig = Figure::new("training")
        .panel(
            Panel::new("epoch", "cross-entropy [nats]")
                .line("train", pts(|m| m.train_loss))
                .line("test", pts(|m| m.test_loss)),
        )
        .panel(
            Panel::new("epoch", "accuracy")
                .line("train", pts(|m| m.train_accuracy))
                .line("test", pts(|m| m.test_accuracy)),
        );
    save(&fig, path).map(|_| ()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ganglion_train::TrainReport;

    fn epoch(e: usize) -> EpochMetrics {
        EpochMetrics {
            epoch: e,
            train_loss: 1.0 / e as f64,
            train_accuracy: 0.5 + 0.1 * e as f64,
            test_loss: 1.2 / e as f64,
            test_accuracy: 0.45 + 0.1 * e as f64,
            epoch_s: 0.5,
            samples_per_s: 800.0,
            epoch_cpu_s: 0.9,
            lr: 1e-3,
        }
    }

    /// What `ganglion train` writes beside the library's files after three epochs: a CSV row
    /// per epoch under a header, both figures, and report.json naming the table.
    #[test]
    fn metrics_table_figure_and_report() {
        let d = tempfile::tempdir().expect("tmp");
        let metrics: Vec<EpochMetrics> = (1..=3).map(epoch).collect();
        let csv = d.path().join("metrics.csv");
        write_metrics_csv(&csv, &metrics).expect("csv");
        let text = std::fs::read_to_string(&csv).expect("csv");
        assert_eq!(text.lines().count(), 4);
        assert!(text.starts_with("epoch,train_loss,"));
        assert!(text.lines().nth(3).expect("row 3").starts_with("3,"));
        plot_metrics(&d.path().join("metrics"), &metrics).expect("plot");
        assert!(d.path().join("metrics.svg").exists() && d.path().join("metrics.png").exists());
        let report = TrainReport::new(3, metrics, d.path().into(), d.path().join("trained.toml"));
        write_report(&report, &csv).expect("report");
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(d.path().join("report.json")).expect("report"),
        )
        .expect("json");
        assert_eq!(json["epochs"], 3);
        assert_eq!(json["metrics_csv"], csv.to_string_lossy().as_ref());
        assert_eq!(json["metrics"].as_array().map(Vec::len), Some(3));
    }
}
