//! What training measures: per-epoch metrics, the report of a run, and the process's CPU time.
//! [`write_metrics_csv`] and [`write_report`] write the table `metrics.csv` and `report.json`
//! that `ganglion train` and the Python package's `ganglion.train` leave in the output folder;
//! figures are the caller's (`ganglion train` draws `metrics.{svg,png}`).

use crate::TrainError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Metrics of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// Epoch number (1-based).
    pub epoch: usize,
    /// Mean training cross-entropy \[nats\].
    pub train_loss: f64,
    /// Training accuracy (during the epoch, as the weights changed).
    pub train_accuracy: f64,
    /// Mean test cross-entropy \[nats\].
    pub test_loss: f64,
    /// Test accuracy after the epoch.
    pub test_accuracy: f64,
    /// Wall time of the training pass \[s\] (without evaluation).
    pub epoch_s: f64,
    /// Training samples per second.
    pub samples_per_s: f64,
    /// CPU time of the training pass, all threads \[s\] (Linux; 0 elsewhere): a load-independent
    /// cost on a shared machine.
    #[serde(default)]
    pub epoch_cpu_s: f64,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
}

impl EpochMetrics {
    /// The row of an epoch that was not trained (e.g. resumed after the last one): only the
    /// test accuracy is known.
    pub fn evaluated_only(epoch: usize, test_accuracy: f64) -> EpochMetrics {
        EpochMetrics {
            epoch,
            train_loss: f64::NAN,
            train_accuracy: f64::NAN,
            test_loss: f64::NAN,
            test_accuracy,
            epoch_s: 0.0,
            samples_per_s: 0.0,
            epoch_cpu_s: 0.0,
            lr: 0.0,
        }
    }
}

/// What a training run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Test accuracy after the last epoch.
    pub test_accuracy: f64,
    /// Mean wall time of a training epoch \[s\].
    pub epoch_s: f64,
    /// Epochs trained in total (including resumed ones).
    pub epochs: usize,
    /// Per-epoch metrics.
    pub metrics: Vec<EpochMetrics>,
    /// Output folder.
    pub out_dir: PathBuf,
    /// The trained spec, runnable by `ganglion run`.
    pub trained_spec: PathBuf,
}

impl TrainReport {
    /// The report of a run that has trained `epochs` epochs with these `metrics`: the last
    /// test accuracy and the mean wall time of the epochs that were trained.
    pub fn new(
        epochs: usize,
        metrics: Vec<EpochMetrics>,
        out_dir: PathBuf,
        trained_spec: PathBuf,
    ) -> TrainReport {
        let trained: Vec<f64> = metrics
            .iter()
            .filter(|m| m.epoch_s > 0.0)
            .map(|m| m.epoch_s)
            .collect();
        TrainReport {
            test_accuracy: metrics.last().map_or(0.0, |m| m.test_accuracy),
            epoch_s: trained.iter().sum::<f64>() / trained.len().max(1) as f64,
            epochs,
            metrics,
            out_dir,
            trained_spec,
        }
    }

    /// The `--json` line: `{"test_accuracy": …, "epoch_s": …, "epochs": …}`.
    pub fn json_line(&self) -> String {
        serde_json::json!({"test_accuracy": self.test_accuracy, "epoch_s": self.epoch_s, "epochs": self.epochs}).to_string()
    }
}

/// CPU time of this process so far \[s\] (user + system, from /proc/self/stat; 0 if unavailable).
pub fn process_cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Write the metrics table `path` (`metrics.csv`): a header, then one row per epoch with the
/// columns epoch, train_loss, train_accuracy, test_loss, test_accuracy, epoch_s, epoch_cpu_s,
/// samples_per_s, lr (units as in [`EpochMetrics`]). Written atomically (temporary name, then
/// rename), so a reader never sees half a table. `ganglion train` and the Python package's
/// `ganglion.train` write it after every epoch.
pub fn write_metrics_csv(path: &Path, metrics: &[EpochMetrics]) -> Result<(), TrainError> {
    let mut s = String::from(
        "epoch,train_loss,train_accuracy,test_loss,test_accuracy,epoch_s,epoch_cpu_s,samples_per_s,lr\n",
    );
    for m in metrics {
        s += &format!(
            "{},{},{},{},{},{},{},{},{}\n",
            m.epoch,
            m.train_loss,
            m.train_accuracy,
            m.test_loss,
            m.test_accuracy,
            m.epoch_s,
            m.epoch_cpu_s,
            m.samples_per_s,
            m.lr
        );
    }
    ganglion_base::files::write_atomic(path, s.as_bytes()).map_err(TrainError::Files)
}

/// Write `report.json` into the report's output folder: the report's fields (see
/// [`TrainReport`]) plus `metrics_csv`, the path of the metrics table. Written atomically.
pub fn write_report(report: &TrainReport, metrics_csv: &Path) -> Result<(), TrainError> {
    #[derive(Serialize)]
    struct ReportFile<'a> {
        #[serde(flatten)]
        report: &'a TrainReport,
        metrics_csv: &'a Path,
    }
    let path = report.out_dir.join("report.json");
    let text = serde_json::to_string_pretty(&ReportFile {
        report,
        metrics_csv,
    })
    // Only a path that is not UTF-8 can fail here.
    .map_err(|e| TrainError::Io {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    ganglion_base::files::write_atomic(&path, text.as_bytes()).map_err(TrainError::Files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table has a header and one row per epoch, the values as written (NaN for an
    /// evaluated-only row); report.json holds the report and names the table.
    #[test]
    fn metrics_csv_and_report_json() {
        let d = tempfile::tempdir().expect("tmp");
        let row = |e: usize| EpochMetrics {
            epoch: e,
            train_loss: 0.5 / e as f64,
            train_accuracy: 0.25,
            test_loss: 0.75,
            test_accuracy: 0.125 * e as f64,
            epoch_s: 2.0,
            samples_per_s: 100.0,
            epoch_cpu_s: 3.5,
            lr: 1e-3,
        };
        let metrics = vec![row(1), row(2), EpochMetrics::evaluated_only(2, 0.5)];
        let csv = d.path().join("metrics.csv");
        write_metrics_csv(&csv, &metrics).expect("csv");
        let text = std::fs::read_to_string(&csv).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "epoch,train_loss,train_accuracy,test_loss,test_accuracy,epoch_s,epoch_cpu_s,samples_per_s,lr",
                "1,0.5,0.25,0.75,0.125,2,3.5,100,0.001",
                "2,0.25,0.25,0.75,0.25,2,3.5,100,0.001",
                "2,NaN,NaN,NaN,0.5,0,0,0,0",
            ]
        );
        let report = TrainReport::new(2, metrics, d.path().into(), d.path().join("t.toml"));
        write_report(&report, &csv).expect("report");
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(d.path().join("report.json")).expect("read"),
        )
        .expect("json");
        assert_eq!(json["epochs"], 2);
        assert_eq!(json["test_accuracy"], 0.5);
        assert_eq!(json["epoch_s"], 2.0);
        assert_eq!(json["metrics_csv"], csv.to_string_lossy().as_ref());
        assert_eq!(json["metrics"].as_array().map(Vec::len), Some(3));
    }
}
