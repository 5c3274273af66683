//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while building or writing a figure.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The figure description cannot be drawn (no panels, zero size, …).
    #[error("figure \"{title}\": {message}")]
    InvalidFigure {
        /// Title of the offending figure.
        title: String,
        /// What is wrong with it.
        message: String,
    },
    /// A raster population whose `times_ms` and `ids` slices differ in length.
    #[error(
        "raster population \"{name}\": {times} spike times but {ids} neuron ids\n\
         hint: pass one id per spike time (the two slices are read pairwise)"
    )]
    RasterLengthMismatch {
        /// Population name.
        name: String,
        /// Length of `times_ms`.
        times: usize,
        /// Length of `ids`.
        ids: usize,
    },
    /// The plotting backend failed while drawing.
    #[error("figure \"{title}\": drawing failed: {message}")]
    Draw {
        /// Title of the figure being drawn.
        title: String,
        /// The backend's message.
        message: String,
    },
    /// The bundled DejaVu Sans font could not be registered.
    #[error("the bundled font DejaVuSans.ttf could not be loaded")]
    Font,
    /// Creating, writing or renaming an output file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}
