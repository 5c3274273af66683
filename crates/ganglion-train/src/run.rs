//! Training a spec end to end, behind `ganglion train`: settings from the sidecar and the
//! command line, the dataset, a fresh or resumed [`Trainer`], one checkpoint per epoch, and
//! the trained spec at the end.
//!
//! [`SpecRun`] is the loop step by step, so that a caller can write what it likes after each
//! epoch (the CLI writes `metrics.csv` and a figure); [`train_from_spec`] runs it to the end.

use crate::TrainError;
use crate::config::{TrainConfig, TrainFile, TrainOptions, sidecar_path};
use crate::export::write_trained_spec;
use crate::lower::trainer_from_resolved;
use crate::metrics::{EpochMetrics, TrainReport};
use crate::optim::Schedule;
use crate::trainer::Trainer;
use ganglion_data::{ImageSet, Split};
use std::path::{Path, PathBuf};

/// A training run of a spec in progress.
pub struct SpecRun {
    /// The trainer (its `metrics` grow by one row per epoch).
    pub trainer: Trainer,
    spec: PathBuf,
    train: ImageSet,
    test: ImageSet,
    out_dir: PathBuf,
    progress: bool,
}

impl SpecRun {
    /// Prepare to train the circuit in `spec` on dataset `data` (`fashion-mnist`, `mnist`,
    /// `digits`) read from `data_dir` (as `scripts/fetch-data.sh` lays it out), with the
    /// settings of the sidecar `SPEC.train.toml` (if present) overridden by `opts`: reads the
    /// data, creates the output folder (default `runs/<spec stem>-train/`) and builds the
    /// trainer, or with `opts.resume` loads it from the folder's `checkpoint.json`.
    pub fn start(
        spec: &Path,
        data: &str,
        data_dir: &Path,
        opts: TrainOptions,
    ) -> Result<SpecRun, TrainError> {
        let resolved = ganglion_model::load_and_validate(spec).map_err(TrainError::Model)?;
        let cfg = settings(spec, &opts)?;
        let load =
            |split| ganglion_data::load_named(data, data_dir, split).map_err(TrainError::Data);
        let (mut train, mut test) = (load(Split::Train)?, load(Split::Test)?);
        if let Some(n) = opts.limit {
            train = train.truncate(n);
            test = test.truncate(n);
        }
        let out_dir = opts
            .out_dir
            .clone()
            .unwrap_or_else(|| default_out_dir(spec));
        std::fs::create_dir_all(&out_dir).map_err(TrainError::io(&out_dir))?;
        let trainer = if opts.resume {
            let mut t = Trainer::load_checkpoint(&checkpoint_path(&out_dir))?;
            t.cfg.epochs = cfg.epochs;
            t
        } else {
            trainer_from_resolved(&resolved, cfg, train.dim())?
        };
        Ok(SpecRun {
            trainer,
            spec: spec.to_path_buf(),
            train,
            test,
            out_dir,
            progress: opts.progress,
        })
    }

    /// The output folder.
    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// The metrics of every epoch so far.
    pub fn metrics(&self) -> &[EpochMetrics] {
        &self.trainer.metrics
    }

    /// Train the next epoch and save the checkpoint; `Ok(None)` when all epochs are done.
    pub fn next_epoch(&mut self) -> Result<Option<&EpochMetrics>, TrainError> {
        let t = &mut self.trainer;
        if t.epoch >= t.cfg.epochs {
            return Ok(None);
        }
        t.run_epoch(&self.train, &self.test, self.progress);
        t.save_checkpoint(&checkpoint_path(&self.out_dir))?;
        Ok(t.metrics.last())
    }

    /// Finish: write `trained.toml` with its `w_*.npy` weight lists and report. If no epoch
    /// was trained (e.g. resumed after the last one), the metrics get one row with the test
    /// accuracy.
    pub fn finish(mut self) -> Result<TrainReport, TrainError> {
        let t = &mut self.trainer;
        if t.metrics.is_empty() {
            let (_, correct, _) = t.evaluate(&self.test);
            let accuracy = correct as f64 / self.test.len().max(1) as f64;
            t.metrics
                .push(EpochMetrics::evaluated_only(t.epoch, accuracy));
        }
        let trained_spec = write_trained_spec(&self.spec, t, &self.out_dir)?;
        Ok(TrainReport::new(
            t.epoch,
            t.metrics.clone(),
            self.out_dir,
            trained_spec,
        ))
    }
}

/// Train the circuit in `spec` on dataset `data` from `data_dir` to the last epoch (see
/// [`SpecRun::start`] for the settings).
///
/// Writes into `opts.out_dir` (default `runs/<spec stem>-train/`): `checkpoint.json` (after
/// every epoch; `opts.resume` continues from it and gives bit-identical results to an
/// uninterrupted run) and `trained.toml` with its `w_*.npy` weight lists (runnable by
/// `ganglion run`). Tables and figures of the metrics are the caller's (`ganglion train`
/// writes them).
pub fn train_from_spec(
    spec: &Path,
    data: &str,
    data_dir: &Path,
    opts: TrainOptions,
) -> Result<TrainReport, TrainError> {
    let mut run = SpecRun::start(spec, data, data_dir, opts)?;
    while run.next_epoch()?.is_some() {}
    run.finish()
}

/// The sidecar's settings (defaults without one), overridden by the command line.
fn settings(spec: &Path, opts: &TrainOptions) -> Result<TrainConfig, TrainError> {
    let side = sidecar_path(spec);
    let file: TrainFile = if side.exists() {
        let text = std::fs::read_to_string(&side).map_err(TrainError::io(&side))?;
        toml::from_str(&text).map_err(|e| TrainError::Config {
            path: side.clone(),
            msg: e.to_string(),
        })?
    } else {
        TrainFile::default()
    };
    let mut cfg = file
        .resolve()
        .map_err(|msg| TrainError::Config { path: side, msg })?;
    if let Some(e) = opts.epochs {
        cfg.epochs = e;
        if let Schedule::Cosine { epochs } = &mut cfg.optim.schedule {
            *epochs = e;
        }
    }
    if let Some(s) = opts.seed {
        cfg.seed = s;
    }
    if let Some(b) = opts.batch_size {
        cfg.batch_size = b.max(1);
    }
    Ok(cfg)
}

/// `runs/<spec stem>-train`.
fn default_out_dir(spec: &Path) -> PathBuf {
    let stem = spec
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "spec".into());
    PathBuf::from("runs").join(format!("{stem}-train"))
}

/// The checkpoint in an output folder.
pub fn checkpoint_path(out_dir: &Path) -> PathBuf {
    out_dir.join("checkpoint.json")
}
