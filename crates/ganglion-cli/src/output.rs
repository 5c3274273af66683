//! Output folders written atomically: everything goes into a temporary sibling folder that is
//! renamed into place at the end, so a crash never leaves a half-written result.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// A folder being written; [`Staged::commit`] moves it to its final name.
pub struct Staged {
    /// Where files go while writing.
    pub tmp: PathBuf,
    /// The final folder.
    pub dest: PathBuf,
}

impl Staged {
    /// Start writing `dest` (its parent is created).
    pub fn new(dest: &Path) -> Result<Staged> {
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).ok();
        }
        std::fs::create_dir(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        Ok(Staged {
            tmp,
            dest: dest.to_path_buf(),
        })
    }

    /// Move the finished folder into place, replacing an older one of the same name.
    pub fn commit(self) -> Result<PathBuf> {
        if self.dest.exists() {
            std::fs::remove_dir_all(&self.dest)
                .with_context(|| format!("cannot replace {}", self.dest.display()))?;
        }
        std::fs::rename(&self.tmp, &self.dest)
            .with_context(|| format!("cannot move results to {}", self.dest.display()))?;
        Ok(self.dest.clone())
    }

    /// Remove the temporary folder (on failure).
    pub fn abandon(self) {
        std::fs::remove_dir_all(&self.tmp).ok();
    }
}

/// UTC timestamp for default output names (the studies' format, `YYYY-MM-DDTHH-MM-SSZ`).
pub fn timestamp() -> String {
    ganglion_studies::timestamp(std::time::SystemTime::now())
}
