//! # ganglion-studies
//!
//! Paper reproductions. Each study runs a paper's system, compares its numbers
//! with the paper's (or with the stated theory where the paper gives none),
//! and writes a directory with `report.md`, figures (SVG and PNG) and
//! `metrics.json` holding every check and the raw tables behind the figures.
//!
//! A check ([`Check`]) has a kind ([`Expect`]: `within` a tolerance,
//! `at_least` or `at_most` a bound, `equals` exactly) and a [`Source`]
//! (`paper`, `theory`, `reference_simulator`, `self_consistency`), shown in
//! every report. Stochastic claims are checked over several seeds
//! ([`Check::from_seeds`]): mean, standard error and a Student-t 95 %
//! confidence interval, with the check applied to the whole interval.
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
//! # Ok::<(), ganglion_studies::StudyError>(())
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
//! * [`studies::celegans_touch`] — Chalfie et al. (1985), the touch circuit of
//!   C. elegans on the White 1986, Varshney 2011 and Cook 2019 connectomes
//!   (gap junctions and signed chemical synapses; needs `data/cect`).
//! * [`studies::encoding_models`] — ridge encoding models with a cross-validated
//!   α per voxel, split-half noise ceilings and the ridge vs least-squares
//!   readout, on synthetic voxels of known SNR (PAPERS.md row 25).
//! * [`studies::nested_oscillations`] — theta–gamma nesting in a spiking E/I
//!   (PING) network, phase–amplitude coupling measured as Tort et al. (2010)
//!   do, against surrogates and a constant-drive control.
//! * [`studies::network_features`] — correlation graphs, degree and triangle
//!   maps, PCA → LDA on synthetic groups with a planted difference (PAPERS.md
//!   row 24).
//! * [`studies::pavlovian_attention`] — Qiao (2025), linear attention as a
//!   Hebbian associative memory: trained linear-attention layers, their
//!   average-case O(d_k) and worst-case O(√d_k) capacity, the delta
//!   (Rescorla–Wagner) rule against the Hebbian one, Kamin blocking.

pub mod data;
mod error;
mod framework;
mod registry;
pub mod report;
mod stats;
pub mod studies;
pub mod worm;

pub use error::StudyError;
pub use framework::{
    Check, Expect, Mode, SeedStats, Source, Study, StudyInfo, StudyOutcome, StudyOutput,
};
pub use ganglion_base::files::Replace;
pub use registry::{find, format_list, format_outcome, list, run_study, run_study_with, timestamp};
pub use stats::par_map;
