//! Checkpoints of `ganglion run`: `--checkpoint-every "10 s"` saves the whole engine state
//! every 10 s of simulated time into `<out>.checkpoint/checkpoint.bin` (one file, written
//! under a temporary name and renamed, so a kill at any moment leaves the previous checkpoint
//! whole); `ganglion run SPEC --resume <out>.checkpoint` rebuilds the network from the spec,
//! loads the state and finishes the run, bit-identical to an uninterrupted run. The folder is
//! removed once the results are written.
//!
//! The file is a JSON header (what was run: spec hash, seed, threads, steps, output folder)
//! followed by the engine state ([`Network::save_state`]).

use anyhow::{Context, Result, bail};
use ganglion_base::files::write_atomic;
use ganglion_base::state::{StateReader, StateWriter};
use ganglion_sim::Network;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file inside a checkpoint folder.
pub const FILE: &str = "checkpoint.bin";
const MAGIC: &[u8] = b"GANGLION-CHECKPOINT\n";

/// What a checkpoint says about the run it belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    /// Version of the `ganglion` that wrote it.
    pub ganglion_version: String,
    /// The spec file as given on the command line.
    pub spec: PathBuf,
    /// FNV-1a hash of the spec's text: a resumed run must use the same spec.
    pub spec_hash: String,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (partitions): the state is per partition.
    pub threads: usize,
    /// `--duration` as given, if any.
    pub duration: Option<String>,
    /// Steps of the whole run.
    pub steps: u64,
    /// Steps done when the checkpoint was written.
    pub step: u64,
    /// Steps between checkpoints.
    pub every_steps: u64,
    /// The results folder the run writes.
    pub out: PathBuf,
    /// Seconds spent simulating so far (for the manifest's timings).
    pub simulate_s: f64,
}

/// The checkpoint folder of results folder `out`.
pub fn folder_of(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    ganglion_base::files::parent_of(out).join(format!("{name}.checkpoint"))
}

/// FNV-1a (64 bit) of `bytes`, as hex.
pub fn hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Write `net`'s state with `meta` into `dir` (created if needed), atomically.
pub fn save(dir: &Path, meta: &Meta, net: &Network) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let header = serde_json::to_vec_pretty(meta)?;
    let mut prefix = Vec::with_capacity(MAGIC.len() + 8 + header.len());
    prefix.extend_from_slice(MAGIC);
    prefix.extend_from_slice(&(header.len() as u64).to_le_bytes());
    prefix.extend_from_slice(&header);
    let mut w = StateWriter::with_prefix(prefix);
    net.save_state(&mut w);
    write_atomic(&dir.join(FILE), &w.into_bytes())?;
    Ok(())
}

/// A checkpoint read from disk: what was run, and the file's bytes with the engine state
/// from `state_at` on (kept in place, not copied).
pub struct Checkpoint {
    /// The header.
    pub meta: Meta,
    bytes: Vec<u8>,
    state_at: usize,
}

impl Checkpoint {
    /// The engine state ([`Network::save_state`]'s bytes).
    pub fn state(&self) -> &[u8] {
        &self.bytes[self.state_at..]
    }
}

/// Read the header and the engine state of the checkpoint in `dir`.
pub fn read(dir: &Path) -> Result<Checkpoint> {
    let path = dir.join(FILE);
    let meta = std::fs::symlink_metadata(&path).with_context(|| {
        format!(
            "--resume {}: no checkpoint there ({FILE} is missing)\n  hint: give the folder \
             `ganglion run --checkpoint-every` wrote next to the results, OUT.checkpoint",
            dir.display()
        )
    })?;
    if !meta.is_file() {
        bail!("--resume {}: {FILE} is not a regular file", path.display());
    }
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let corrupt = || {
        anyhow::anyhow!(
            "--resume {}: {FILE} is not a Ganglion checkpoint or is damaged",
            dir.display()
        )
    };
    let rest = bytes.strip_prefix(MAGIC).ok_or_else(corrupt)?;
    let (len, rest) = rest.split_first_chunk::<8>().ok_or_else(corrupt)?;
    let len = usize::try_from(u64::from_le_bytes(*len)).map_err(|_| corrupt())?;
    if len > rest.len() {
        return Err(corrupt());
    }
    let meta: Meta = serde_json::from_slice(&rest[..len]).map_err(|_| corrupt())?;
    let state_at = MAGIC.len() + 8 + len;
    Ok(Checkpoint {
        meta,
        bytes,
        state_at,
    })
}

/// Load `state` into `net` (built from the same spec, seed and thread count).
pub fn restore(net: &mut Network, state: &[u8], dir: &Path) -> Result<()> {
    net.load_state(&mut StateReader::new(state))
        .map_err(|e| anyhow::anyhow!("--resume {}: {e}", dir.display()))
}

/// Run `net` to its end, writing a checkpoint every `meta.every_steps` steps (none when 0);
/// returns the total simulation seconds (those before a resume included).
pub fn run(
    net: &mut Network,
    meta: &mut Meta,
    dir: &Path,
    progress: Option<&(dyn Fn(u64, u64) + Sync)>,
) -> Result<f64> {
    let total = net.total_steps();
    while net.step() < total {
        let next = net
            .step()
            .checked_div(meta.every_steps)
            .map_or(total, |k| (k + 1) * meta.every_steps);
        meta.simulate_s += net.run_until(next, progress)?;
        if meta.every_steps > 0 && net.step() < total {
            meta.step = net.step();
            save(dir, meta, net)?;
        }
    }
    Ok(meta.simulate_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_and_hash() {
        assert_eq!(
            folder_of(Path::new("runs/cuba")),
            PathBuf::from("runs/cuba.checkpoint")
        );
        assert_eq!(hash(b""), "cbf29ce484222325");
        assert_ne!(hash(b"a"), hash(b"b"));
    }
}
