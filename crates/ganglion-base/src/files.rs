//! Output files and folders that are never half-written and never replace a user's data by
//! surprise.
//!
//! - [`write_atomic`] writes a file under a temporary sibling name and renames it into place.
//! - [`OutputDir`] is a results folder: [`OutputDir::create`] checks the destination *before*
//!   any work is done (so a run that cannot write its results refuses at once instead of after
//!   the simulation) and opens a temporary sibling folder to write into; [`OutputDir::commit`]
//!   moves it into place with a rename that never replaces an existing folder, except with
//!   [`Replace::Force`], and then only a folder that Ganglion wrote, which is moved aside
//!   first and removed only after the new one is in place. Dropping an uncommitted
//!   `OutputDir` removes its temporary folder, so every failure path cleans up.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why an output file or folder could not be written. Every variant names the path and
/// says what to do.
#[derive(Debug)]
pub enum FilesError {
    /// An I/O operation on `path` failed.
    Io {
        /// What was being done ("create", "write", "rename", …).
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The destination exists and may not be replaced.
    Refused {
        /// The destination.
        path: PathBuf,
        /// Why not, and what to do instead.
        why: String,
    },
    /// The destination changed while this run was working (another run wrote it) and may
    /// not be replaced now; this run's results were kept under `kept`.
    Raced {
        /// The destination.
        path: PathBuf,
        /// Where this run's results are now.
        kept: PathBuf,
    },
}

impl std::fmt::Display for FilesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FilesError::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            FilesError::Refused { path, why } => {
                write!(f, "output folder {}: {why}", path.display())
            }
            FilesError::Raced { path, kept } => write!(
                f,
                "output folder {} was created by another run while this one was working; \
                 nothing was replaced and this run's results are in {}\n  hint: give \
                 concurrent runs different --out folders",
                path.display(),
                kept.display()
            ),
        }
    }
}

/// The message is complete on its own (it already includes the operating system's error),
/// so `source()` is `None`: a printer that walks the chain, such as anyhow's `{:#}`, would
/// otherwise print the OS error twice.
impl std::error::Error for FilesError {}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> FilesError + 'a {
    move |source| FilesError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// A name for a temporary sibling of `path`: hidden, with the process id and a counter, so
/// that concurrent writers (threads or processes) never share one.
pub fn temp_sibling(path: &Path, tag: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    parent_of(path).join(format!(".{name}.{tag}-{}-{n}", std::process::id()))
}

/// Removes temporary siblings of `dest` (`.NAME.tmp-PID-N`, `.NAME.old-PID-N`) left by a
/// process that no longer runs (killed with SIGKILL, or the machine stopped): they hold
/// nothing a user asked for, only a run that never finished. Only on Linux, where whether a
/// process runs is known (`/proc/PID`); a temp of a live process is never touched.
fn remove_stale_temps(dest: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Some(name) = dest.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(parent_of(dest)) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = ["tmp", "old"]
            .iter()
            .find_map(|tag| file.strip_prefix(&format!(".{name}.{tag}-")))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id()
            && !Path::new(&format!("/proc/{pid}")).exists()
            && e.file_type().is_ok_and(|t| t.is_dir())
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The folder holding `path` (`.` for a bare name).
pub fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Write `bytes` to `path` atomically: to a temporary sibling first, then renamed over
/// `path`, so readers see the old file or the new one, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FilesError> {
    let tmp = temp_sibling(path, "tmp");
    if let Err(source) = std::fs::write(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(FilesError::Io {
            action: "write",
            path: tmp,
            source,
        });
    }
    std::fs::rename(&tmp, path).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        FilesError::Io {
            action: "rename into",
            path: path.to_path_buf(),
            source,
        }
    })
}

/// What [`OutputDir`] may do with an existing destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// Only a missing or empty folder is written (the default everywhere).
    Never,
    /// A folder that Ganglion wrote (it holds the marker file) is replaced; it is moved
    /// aside first and removed only once the new results are in place.
    Force,
}

/// A results folder being written. See the [module docs](self).
#[derive(Debug)]
pub struct OutputDir {
    tmp: PathBuf,
    dest: PathBuf,
    marker: &'static str,
    replace: Replace,
    committed: bool,
}

impl OutputDir {
    /// Check that `dest` may be written and open a temporary folder beside it.
    ///
    /// `marker` is the file every folder of this kind holds (`manifest.json`,
    /// `metrics.json`): with [`Replace::Force`] only a folder that holds it is replaced.
    /// `protected` are folders that must never be replaced (the spec's folder): neither they,
    /// the current folder, nor any of their ancestors may be the destination of a forced
    /// replacement.
    pub fn create(
        dest: &Path,
        replace: Replace,
        marker: &'static str,
        protected: &[&Path],
    ) -> Result<OutputDir, FilesError> {
        check_destination(dest, replace, marker, protected)?;
        let parent = parent_of(dest);
        std::fs::create_dir_all(parent).map_err(io_err("create", parent))?;
        remove_stale_temps(dest);
        let tmp = temp_sibling(dest, "tmp");
        std::fs::create_dir(&tmp).map_err(io_err("create", &tmp))?;
        Ok(OutputDir {
            tmp,
            dest: dest.to_path_buf(),
            marker,
            replace,
            committed: false,
        })
    }

    /// Where the files go while they are being written.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// The final folder.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Move the finished folder into place. Never replaces a folder that appeared in the
    /// meantime ([`FilesError::Raced`] keeps this run's results under a visible name).
    pub fn commit(mut self) -> Result<PathBuf, FilesError> {
        let dest = self.dest.clone();
        // Re-check: the destination may have changed while the work ran. If it may no
        // longer be written, the results are kept under a visible name, never dropped.
        if check_destination(&dest, self.replace, self.marker, &[]).is_err() {
            return Err(self.keep_aside());
        }
        let aside = match std::fs::symlink_metadata(&dest) {
            Ok(m) if m.is_dir() && is_empty_dir(&dest) => {
                // An empty folder (made by the user for us) is taken over.
                std::fs::remove_dir(&dest).map_err(io_err("replace", &dest))?;
                None
            }
            Ok(_) => {
                // Replace::Force and a folder we wrote (checked above): move it aside.
                let aside = temp_sibling(&dest, "old");
                std::fs::rename(&dest, &aside).map_err(io_err("move aside", &dest))?;
                Some(aside)
            }
            Err(_) => None,
        };
        match rename_no_replace(&self.tmp, &dest) {
            Ok(()) => {
                self.committed = true;
                if let Some(aside) = aside {
                    let _ = std::fs::remove_dir_all(&aside);
                }
                Ok(dest)
            }
            Err(e) => {
                if let Some(aside) = &aside {
                    // Put the old results back where they were.
                    let _ = rename_no_replace(aside, &dest);
                }
                if e.kind() == io::ErrorKind::AlreadyExists || dest.exists() {
                    Err(self.keep_aside())
                } else {
                    Err(FilesError::Io {
                        action: "move results to",
                        path: dest,
                        source: e,
                    })
                }
            }
        }
    }
}

impl OutputDir {
    /// Give the temporary folder a visible name beside the destination (results are never
    /// dropped once computed) and say where.
    fn keep_aside(&mut self) -> FilesError {
        let kept = unique_visible_sibling(&self.dest);
        if let Err(source) = std::fs::rename(&self.tmp, &kept) {
            return FilesError::Io {
                action: "keep the results (they are still in)",
                path: self.tmp.clone(),
                source,
            };
        }
        self.committed = true;
        FilesError::Raced {
            path: self.dest.clone(),
            kept,
        }
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

fn is_empty_dir(p: &Path) -> bool {
    std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_none())
}

fn unique_visible_sibling(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let parent = parent_of(dest);
    (1..)
        .map(|k| parent.join(format!("{name}.{}-{k}", std::process::id())))
        .find(|p| !p.exists())
        .unwrap_or_else(|| parent.join(format!("{name}.{}", std::process::id())))
}

/// Whether `dest` may receive results under `replace`.
fn check_destination(
    dest: &Path,
    replace: Replace,
    marker: &str,
    protected: &[&Path],
) -> Result<(), FilesError> {
    let refuse = |why: String| FilesError::Refused {
        path: dest.to_path_buf(),
        why,
    };
    let meta = match std::fs::symlink_metadata(dest) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(FilesError::Io {
                action: "inspect",
                path: dest.to_path_buf(),
                source: e,
            });
        }
    };
    if !meta.is_dir() {
        return Err(refuse(
            "exists and is not a folder\n  hint: choose another --out".into(),
        ));
    }
    if is_empty_dir(dest) {
        return Ok(());
    }
    if replace == Replace::Never {
        return Err(refuse(
            "already exists and is not empty\n  hint: choose another --out, remove it, or \
             pass --force to replace it"
                .into(),
        ));
    }
    // Replace::Force from here on.
    let canon = std::fs::canonicalize(dest).map_err(io_err("inspect", dest))?;
    let mut keep: Vec<PathBuf> = vec![];
    if let Ok(cwd) = std::env::current_dir() {
        keep.push(cwd);
    }
    for p in protected {
        if let Ok(c) = std::fs::canonicalize(p) {
            keep.push(c);
        }
    }
    if let Some(k) = keep.iter().find(|k| k.starts_with(&canon)) {
        return Err(refuse(format!(
            "--force would delete {}, which holds {}\n  hint: --force only replaces a \
             results folder; give --out a new folder such as runs/NAME",
            canon.display(),
            if *k == canon {
                "the current folder or the spec".to_string()
            } else {
                k.display().to_string()
            }
        )));
    }
    if !dest.join(marker).is_file() {
        return Err(refuse(format!(
            "is not a folder Ganglion wrote (it has no {marker}), so --force will not replace \
             it\n  hint: choose another --out, or remove the folder yourself"
        )));
    }
    Ok(())
}

/// Rename `from` to `to`, failing with `AlreadyExists` if `to` exists (even as an empty
/// folder, which a plain rename would silently replace).
pub fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        unsafe extern "C" {
            fn renameat2(
                olddirfd: i32,
                oldpath: *const std::ffi::c_char,
                newdirfd: i32,
                newpath: *const std::ffi::c_char,
                flags: u32,
            ) -> i32;
        }
        const AT_FDCWD: i32 = -100;
        const RENAME_NOREPLACE: u32 = 1;
        let a = CString::new(from.as_os_str().as_bytes())?;
        let b = CString::new(to.as_os_str().as_bytes())?;
        // SAFETY: both pointers are valid NUL-terminated strings for the call's duration.
        let rc = unsafe { renameat2(AT_FDCWD, a.as_ptr(), AT_FDCWD, b.as_ptr(), RENAME_NOREPLACE) };
        if rc == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        // Filesystems without RENAME_NOREPLACE: fall back to check-then-rename below.
        if !matches!(e.raw_os_error(), Some(22) | Some(38) | Some(95)) {
            return Err(e);
        }
    }
    if std::fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists", to.display()),
        ));
    }
    std::fs::rename(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str) {
        std::fs::write(dir.join(name), b"x").unwrap();
    }

    #[test]
    fn commit_moves_into_place_and_leaves_no_temp() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("a/b/run");
        let out = OutputDir::create(&dest, Replace::Never, "manifest.json", &[]).unwrap();
        write(out.path(), "manifest.json");
        assert_eq!(out.commit().unwrap(), dest);
        assert!(dest.join("manifest.json").is_file());
        let names: Vec<_> = std::fs::read_dir(root.path().join("a/b"))
            .unwrap()
            .collect();
        assert_eq!(names.len(), 1, "only the results folder remains");
    }

    #[test]
    fn dropped_output_removes_its_temp_folder() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("run");
        {
            let out = OutputDir::create(&dest, Replace::Never, "manifest.json", &[]).unwrap();
            write(out.path(), "half.npy");
        }
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn existing_results_are_refused_without_force_and_replaced_with_it() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("run");
        std::fs::create_dir(&dest).unwrap();
        write(&dest, "manifest.json");
        write(&dest, "old.npy");
        let e = OutputDir::create(&dest, Replace::Never, "manifest.json", &[]).unwrap_err();
        assert!(e.to_string().contains("--force"), "{e}");
        let out = OutputDir::create(&dest, Replace::Force, "manifest.json", &[]).unwrap();
        write(out.path(), "manifest.json");
        out.commit().unwrap();
        assert!(!dest.join("old.npy").exists());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[test]
    fn force_never_replaces_foreign_folders_or_ancestors_of_protected_ones() {
        let root = tempfile::tempdir().unwrap();
        let mine = root.path().join("papers");
        std::fs::create_dir(&mine).unwrap();
        write(&mine, "thesis.tex");
        let e = OutputDir::create(&mine, Replace::Force, "manifest.json", &[]).unwrap_err();
        assert!(e.to_string().contains("not a folder Ganglion wrote"), "{e}");
        let spec_dir = root.path().join("specs");
        std::fs::create_dir(&spec_dir).unwrap();
        write(&spec_dir, "manifest.json");
        for target in [&spec_dir, &root.path().to_path_buf()] {
            let e = OutputDir::create(target, Replace::Force, "manifest.json", &[&spec_dir])
                .unwrap_err();
            assert!(e.to_string().contains("would delete"), "{e}");
        }
        assert!(mine.join("thesis.tex").is_file() && spec_dir.join("manifest.json").is_file());
    }

    #[test]
    fn a_file_as_destination_is_refused_before_any_work() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("run");
        write(root.path(), "run");
        let e = OutputDir::create(&dest, Replace::Force, "manifest.json", &[]).unwrap_err();
        assert!(e.to_string().contains("not a folder"), "{e}");
    }

    #[test]
    fn a_concurrent_writer_is_never_overwritten() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("run");
        let a = OutputDir::create(&dest, Replace::Never, "manifest.json", &[]).unwrap();
        let b = OutputDir::create(&dest, Replace::Never, "manifest.json", &[]).unwrap();
        write(a.path(), "from_a");
        write(b.path(), "from_b");
        a.commit().unwrap();
        match b.commit().unwrap_err() {
            FilesError::Raced { kept, .. } => assert!(kept.join("from_b").is_file()),
            e => panic!("unexpected {e}"),
        }
        assert!(dest.join("from_a").is_file(), "the first result survives");
    }

    #[test]
    fn an_io_error_is_reported_once() {
        let root = tempfile::tempdir().unwrap();
        write(root.path(), "file");
        let e = OutputDir::create(
            &root.path().join("file/sub/run"),
            Replace::Never,
            "manifest.json",
            &[],
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("cannot inspect") && text.contains("file/sub/run"),
            "{text}"
        );
        assert!(std::error::Error::source(&e).is_none());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[test]
    fn rename_no_replace_refuses_an_empty_folder() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::create_dir(&b).unwrap();
        let e = rename_no_replace(&a, &b).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
    }

    #[test]
    fn temps_of_dead_processes_are_removed_and_live_ones_kept() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("run");
        // PID 2^22 + 1 is above Linux's pid_max limit, so no such process runs.
        let dead = root.path().join(format!(".run.tmp-{}-0", (1u32 << 22) + 1));
        let live = root
            .path()
            .join(format!(".run.tmp-{}-99", std::process::id()));
        let other = root
            .path()
            .join(format!(".other.tmp-{}-0", (1u32 << 22) + 1));
        for d in [&dead, &live, &other] {
            std::fs::create_dir(d).unwrap();
        }
        let out = OutputDir::create(&dest, Replace::Never, "manifest.json", &[]).unwrap();
        assert_eq!(dead.exists(), !Path::new("/proc/self").exists());
        assert!(live.exists() && other.exists());
        drop(out);
    }

    #[test]
    fn write_atomic_replaces_a_file_whole() {
        let root = tempfile::tempdir().unwrap();
        let p = root.path().join("m.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
    }
}
