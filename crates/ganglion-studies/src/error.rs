//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while listing or running a study.
///
/// A study whose checks fail is *not* an error: the run completes, its
/// outputs are written, and [`crate::StudyOutcome::passed`] is `false`.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// No study has this name.
    #[error("no study named \"{name}\"\n  hint: available studies: {available}")]
    UnknownStudy {
        /// The name asked for.
        name: String,
        /// Comma-separated names of the registered studies.
        available: String,
    },
    /// The output directory exists and is not empty.
    #[error(
        "output directory {path} already exists and is not empty\n\
         hint: choose another --out or remove it (--force replaces a folder a study wrote)"
    )]
    OutputExists {
        /// The requested output directory.
        path: PathBuf,
    },
    /// The output folder could not be opened or moved into place.
    #[error("{0}")]
    Output(#[source] ganglion_base::files::FilesError),
    /// Creating, writing or renaming a file or directory failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Drawing or writing a figure failed.
    #[error("study \"{study}\": figure failed: {source}")]
    Plot {
        /// The study being run.
        study: String,
        /// The plotting error.
        #[source]
        source: ganglion_plot::PlotError,
    },
    /// Serialising metrics.json failed.
    #[error("cannot serialise metrics for study \"{study}\": {source}")]
    Json {
        /// The study being run.
        study: String,
        /// The serde_json error.
        #[source]
        source: serde_json::Error,
    },
    /// The study itself could not produce a result (not a failed check).
    #[error("study \"{study}\": {message}")]
    Study {
        /// The study being run.
        study: String,
        /// What went wrong.
        message: String,
    },
}

impl StudyError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    /// The study `study` could not produce a result: `message` says why.
    pub(crate) fn study(study: &str, message: impl Into<String>) -> Self {
        Self::Study {
            study: study.to_string(),
            message: message.into(),
        }
    }

    /// Wraps a plotting error with the study name.
    pub(crate) fn plot(study: &str) -> impl FnOnce(ganglion_plot::PlotError) -> Self + '_ {
        move |source| Self::Plot {
            study: study.to_string(),
            source,
        }
    }
}
