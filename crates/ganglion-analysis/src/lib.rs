//! # ganglion-analysis
//!
//! Analysis methods for recorded or imported data, independent of the engines (they take
//! plain slices: spike times and senders, sampled signals), so that they serve simulations,
//! calcium imaging and electrophysiology alike.
//!
//! - [`calcium`]: calcium-imaging preprocessing as Simeon et al. (2024) homogenise worm
//!   recordings (standardise, Gaussian smoothing, resampling, neuron slots);
//! - [`spikes`]: spike trains — rates, ISI coefficient of variation, Fano factor, population
//!   counts and the synchrony of the population activity;
//! - [`ks_ensemble`]: per-neuron rate, ISI-CV and spike-count-correlation samples and their
//!   KS distances between network realisations (Dasbach et al. 2021; PD14 accuracy recipe);
//! - [`spectrum`]: Hann-windowed periodograms and their peak;
//! - [`signal`]: zero-phase band-pass filtering and the analytic signal (amplitude, phase);
//! - [`coupling`]: phase-locking value (between signals, or of spikes to a signal's phase)
//!   and phase–amplitude coupling (Tort et al. 2010 modulation index, Canolty et al. 2006
//!   mean vector length);
//! - [`graphs`]: correlation graphs, proportional thresholds, degree and triangle
//!   participation, PCA and a Fisher LDA for group classification;
//! - [`linalg`]: the dense solves and symmetric eigendecompositions they share (faer), and
//!   [`special`]: the error function and the normal CDF;
//! - [`assignment`] and [`hmm`]: the Hungarian algorithm and label matching; HMM
//!   forward–backward and Viterbi, and the HMM-GLM of Li et al. (2024) with naive, Gaussian
//!   and one-hot weight priors;
//! - [`rsa`]: RDMs, rank/geo-topological/geodesic transforms and RDM comparisons
//!   (rsatoolbox conventions), nearest-centroid identification, and linear/RBF CKA;
//! - [`encoding`]: ridge encoding models with a cross-validated α per target, prediction
//!   correlations and split-half (Spearman–Brown) noise ceilings;
//! - [`gain_control`]: gain-optimised recurrent ring populations (Duong et al. 2023) — steady
//!   states, the fidelity-minus-activity objective and its gradient, adaptation measures;
//! - [`neuron_descriptions`]: exemplar mining and PMI-ranked descriptions of neurons
//!   over a fixed label vocabulary (a lite MILAN, Hernandez et al. 2022);
//! - [`readout`]: factorised (Klindt et al. 2017) and attention readouts from feature maps;
//! - [`affinity`], [`tensor`], [`communities`], [`lfr`]: the dynamic functional connectome
//!   (Dyballa et al. 2024) — rectified co-derivative affinities, non-negative CP (HALS), a
//!   weighted stochastic block model with NMI, and LFR benchmark graphs;
//! - [`skeleton`]: 3-D label volumes, Lee 1994 skeletonisation and the FISBe skeleton-based
//!   instance-segmentation metrics (clDice, avF1, coverage, false splits and merges).
//!
//! ```
//! use ganglion_analysis::{spikes, spectrum};
//! // Two neurons firing regularly every 10 ms, one of them offset by 5 ms.
//! let times: Vec<f64> = (0..100).map(|k| 5.0 * k as f64).collect();
//! let senders: Vec<u32> = (0..100).map(|k| (k % 2) as u32).collect();
//! let trains = spikes::trains(&times, &senders, 2, (0.0, 500.0));
//! assert_eq!(spikes::rates_hz(&trains, 500.0), vec![100.0, 100.0]);
//! assert_eq!(spikes::isi_cv(&trains[0]), Some(0.0));
//! assert_eq!(spikes::counts(&times, (0.0, 20.0), 10.0), vec![2.0, 2.0]);
//! // A population rate modulated at 8 Hz, in 1 ms bins, peaks at 8 Hz.
//! let rate: Vec<f64> = (0..1000).map(|k| 5.0 + (std::f64::consts::TAU * 8.0 * k as f64 / 1000.0).sin()).collect();
//! let p = spectrum::periodogram(&rate, 1.0, 1.0, 1.0);
//! assert_eq!(spectrum::peak(&p).map(|(f, _)| f), Some(8.0));
//! ```

pub mod affinity;
pub mod assignment;
pub mod calcium;
pub mod communities;
pub mod coupling;
pub mod encoding;
pub mod gain_control;
pub mod graphs;
pub mod hmm;
pub mod ks_ensemble;
pub mod lfr;
pub mod linalg;
pub mod neuron_descriptions;
pub mod readout;
pub mod rsa;
pub mod signal;
pub mod skeleton;
pub mod special;
pub mod spectrum;
pub mod spikes;
pub mod tensor;

#[cfg(test)]
pub(crate) mod testing {
    /// A small deterministic uniform generator for the tests (SplitMix64).
    pub struct Rng(pub u64);
    impl Rng {
        pub fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        }
        /// A standard normal deviate (Box–Muller).
        pub fn normal(&mut self) -> f64 {
            let (u, v) = (1.0 - self.uniform(), self.uniform());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        }
    }
}
