//! # ganglion-train
//!
//! Gradient training of Ganglion circuits: the differentiable twin of a spec.
//!
//! - [`lif`]: the `iaf_psc_exp` layer, forward = the simulator's own update (same f32
//!   expression, same receptor channels, same summation order, so spikes agree bit for bit),
//!   backward = its hand-written adjoint with a [`surrogate::Surrogate`] spike derivative;
//! - [`snn`]: feed-forward/recurrent LIF stacks, spike-count or membrane readout, BPTT with
//!   a small tape (5 B per neuron and step) and optional truncation;
//! - [`mlp`]: dense ReLU layers on faer matmuls; [`rate_rnn`]: leaky rate RNNs with Dale's law;
//! - adaptive LIF (threshold adaptation, [`lif::LifParams::adapt_tau`]) in the twin only: the
//!   simulator has no such model yet, so it is not exported;
//! - [`optim`]: Adam, SGD with momentum, schedules, clipping, decoupled weight decay;
//! - [`constraints`]: Dale signs, fixed masks, modular block masks, prune-and-regrow
//!   (dynamic sparse training) with a pluggable regrowth score (gradient, Hebbian); the
//!   trainer applies them after every update; [`sparse`]: the trainer's masks (random at
//!   `density`, or modular ensemble-to-ensemble ones, `modules`/`p_between`) and dynamic
//!   sparse training (`dst_every`, `dst_regrow` = gradient or hebbian in the sidecar);
//! - [`trainer`]: the [`Trainer`] (model, optimiser, constraints, provenance) and its batch
//!   and epoch loop; [`checkpoint`]: save and load with bit-identical resume; [`metrics`]:
//!   per-epoch metrics and the run's report (tables and figures of them are the caller's);
//! - [`lower`]: a spec → its twin (the chain of populations, `iaf_psc_exp` parameters,
//!   [`trainer_from_resolved`]); [`export`]: the trained spec written back with `.npy` weight
//!   lists, and single-sample specs for checking the simulator against the twin;
//! - [`run`]: [`train_from_spec`] behind `ganglion train`, or [`SpecRun`] epoch by epoch;
//! - [`autodiff`]: the general path for arbitrary architectures (tensors, parameters, Adam,
//!   surrogate spike op, finite-difference gradient checks; the ELM neuron and an LSTM).
//!
//! Measured (bench/TRAIN.md, 2 shared cores): Fashion-MNIST MLP 784-256-10 88.97 % (10
//! epochs, ~1.6 s each); LIF SNN 784-256-10, 25 steps, 86.32 % (5 epochs, 13.2 s each,
//! 3.2× faster than snnTorch per epoch back to back); the trained spec run by ganglion-sim
//! gives the twin's prediction on 1000 / 1000 test images.
//!
//! `ganglion train SPEC --data NAME` is [`train_from_spec`]; its settings come from the
//! sidecar `SPEC.train.toml` ([`config`]), because the circuit spec rejects unknown tables.
//!
//! Why hand-written adjoints for the built-in models: the fused loops need no tensor graph,
//! store only `a_t` and a flag byte per neuron-step, and reuse the simulator's kernel
//! expression, which is what makes the twin's spikes exact. Everything else (new cells such as
//! the ELM neuron, LSTMs, transformers, new losses) goes through [`autodiff`]: candle-core 0.11
//! behind one adapter module, chosen over burn 0.22 for build cost and custom-op ergonomics;
//! with its fused transformer ops it trains the NeuronIO ELM in 0.87× PyTorch-CPU's step time
//! and a small transformer in 1.6× (`bench/autodiff/RESULTS.md`).
//!
//! ```
//! use ganglion_train::{lif::LifParams, config::TrainFile, Model, Trainer};
//! let cfg = TrainFile { steps: Some(10), ..Default::default() }.resolve().unwrap();
//! let p = LifParams { t_ref: 0.0, ..Default::default() };
//! let t = Trainer::new_snn(&[4, 8, 2], &[p, p], 1.0, cfg);
//! if let Model::Snn(s) = &t.model {
//!     let input = vec![1u8; 10 * 4];
//!     let (spikes, _tapes) = s.forward_sample(&input);
//!     assert_eq!(spikes[1].len(), 10 * 2);
//! }
//! ```

pub mod autodiff;
pub mod checkpoint;
pub mod config;
pub mod constraints;
pub mod export;
pub mod lif;
pub mod lower;
pub mod metrics;
pub mod mlp;
pub mod optim;
pub mod rate_rnn;
pub mod run;
pub mod snn;
pub mod sparse;
pub mod surrogate;
pub mod trainer;

pub use config::{TrainConfig, TrainFile, TrainOptions};
pub use export::{write_sample_spec, write_trained_spec};
pub use lower::trainer_from_resolved;
pub use metrics::{EpochMetrics, TrainReport, write_metrics_csv, write_report};
pub use run::{SpecRun, train_from_spec};
pub use trainer::{GroupOrigin, Model, Trainer, normal, normal_weights};

use std::path::{Path, PathBuf};

/// Errors from training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The spec is invalid.
    #[error("{0}")]
    Model(ganglion_model::ModelError),
    /// The dataset could not be read.
    #[error("{0}")]
    Data(ganglion_data::DataError),
    /// The training settings are invalid.
    #[error("{path}: {msg}")]
    Config {
        /// The settings file.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// The spec describes something the trainer does not handle.
    #[error("cannot train this circuit: {what}\n  hint: {hint}")]
    Unsupported {
        /// What.
        what: String,
        /// How to fix it.
        hint: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file could not be written in place (written under a temporary name, then renamed).
    #[error("{0}")]
    Files(ganglion_base::files::FilesError),
}

impl TrainError {
    /// `map_err(TrainError::io(path))`: an I/O error on `path`.
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + use<> {
        let path = path.to_path_buf();
        move |source| TrainError::Io { path, source }
    }
}
