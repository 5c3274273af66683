//! What training measures: per-epoch metrics, the report of a run, and the process's CPU time.
//! Writing them as tables or figures is the caller's business (`ganglion train` writes
//! `metrics.csv` and `metrics.{svg,png}`).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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
