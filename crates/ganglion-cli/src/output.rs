//! Helpers for output folders. The folders themselves are written with
//! `ganglion_base::files::OutputDir` (checked before any work, renamed into place without
//! replacing anything unless `--force`, cleaned up on every failure).

/// UTC timestamp for default output names (the studies' format, `YYYY-MM-DDTHH-MM-SSZ`).
pub fn timestamp() -> String {
    ganglion_studies::timestamp(std::time::SystemTime::now())
}
