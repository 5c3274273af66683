//! # ganglion-studies
//!
//! Paper reproductions. Each study runs a paper's system, compares its numbers
//! with the paper's (or with the stated theory where the paper gives none),
//! and writes a directory with `report.md`, figures (SVG and PNG) and
//! `metrics.json` holding every check `{name, value, expected, tolerance,
//! tolerance_kind, pass, note}` and the raw tables behind the figures.
//!
//! The CLI (`ganglion study list`, `ganglion study run NAME [--quick|--full]
//! [--out DIR]`) calls [`format_list`], [`run_study`] and [`format_outcome`],
//! and exits non-zero when [`StudyOutcome::passed`] is false.
//!
//! ```
//! use ganglion_studies::{Mode, run_study};
//!
//! let dir = std::env::temp_dir().join(format!("ganglion-studies-doc-{}", std::process::id()));
//! let outcome = run_study("active-dendrites", Mode::Quick, Some(dir.clone()))?;
//! assert!(outcome.passed());
//! assert!(dir.join("report.md").exists() && dir.join("metrics.json").exists());
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), ganglion_studies::Error>(())
//! ```
//!
//! Studies:
//!
//! * [`studies::active_dendrites`] — Ahmad & Hawkins (2016), false-positive
//!   and false-negative probabilities of dendritic segments (exact
//!   combinatorics, unions, noise, Monte-Carlo).
//! * [`studies::brunel_2000`] — Brunel (2000), the SR / AI / SI-fast /
//!   SI-slow states of a sparse E/I network of integrate-and-fire neurons
//!   (Fig. 8 examples and a phase-diagram grid) on the Ganglion engine.
//! * [`studies::ca3_memory`] — Casanueva-Morato et al. (2023), sPyMem's
//!   spiking CA3 content-addressable memory (learn, recall by cue or by
//!   content fragment, forget by overwrite) on the engine with STDP.
//! * [`studies::pavlovian_attention`] — linear attention as a Hebbian
//!   associative memory; average-case O(d_k) and worst-case O(√d_k) capacity.

mod error;
mod framework;
mod registry;
pub mod report;
mod stats;
pub mod studies;

pub use error::Error;
pub use framework::{Check, Mode, Study, StudyInfo, StudyOutcome, StudyOutput, ToleranceKind};
pub use registry::{find, format_list, format_outcome, list, run_study, timestamp};
