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
    /// FNV-1a hash of the spec's text and of every data file it names ([`spec_hash`]): a
    /// resumed run must use the same spec and the same data.
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

/// The hash a checkpoint keeps of what was run: the spec's text, then each data file the spec
/// names (every `file = "..."`, wherever it stands: edge lists, value lists, inputs,
/// modulators), by name and contents, in the spec's order. A file that cannot be read counts
/// by its name and the reason, so that validation, not the hash, reports it.
pub fn spec_hash(spec: &Path, text: &[u8]) -> String {
    let mut all = text.to_vec();
    if let Ok((circuit, src)) = ganglion_model::load(spec) {
        let mut files = vec![];
        if let Ok(v) = serde_json::to_value(&circuit) {
            collect_files(&v, &mut files);
        }
        for f in files {
            all.extend_from_slice(b"\0file\0");
            all.extend_from_slice(f.as_bytes());
            all.push(0);
            match std::fs::read(src.base_dir().join(&f)) {
                Ok(bytes) => all.extend_from_slice(&bytes),
                Err(e) => all.extend_from_slice(e.to_string().as_bytes()),
            }
        }
    }
    hash(&all)
}

/// Every string under a `"file"` key of `v`, in order.
fn collect_files(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("file", serde_json::Value::String(f)) => out.push(f.clone()),
                    _ => collect_files(x, out),
                }
            }
        }
        serde_json::Value::Array(xs) => xs.iter().for_each(|x| collect_files(x, out)),
        _ => {}
    }
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

    #[test]
    fn the_spec_hash_covers_the_data_files_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("s.toml");
        let text = "[simulation]\ndt = \"0.1 ms\"\nduration = \"1 ms\"\n\n\
            [[population]]\nname = \"a\"\nsize = 2\nmodel = \"iaf_psc_exp\"\n\n\
            [[projection]]\nsource = \"a\"\ntarget = \"a\"\nweight = \"1 pA\"\n\
            connectivity = { rule = \"edge_list\", file = \"e.csv\" }\n";
        std::fs::write(&spec, text).unwrap();
        std::fs::write(dir.path().join("e.csv"), "source,target\n0,1\n").unwrap();
        let before = spec_hash(&spec, text.as_bytes());
        assert_eq!(before, spec_hash(&spec, text.as_bytes()));
        std::fs::write(dir.path().join("e.csv"), "source,target\n1,0\n").unwrap();
        assert_ne!(
            before,
            spec_hash(&spec, text.as_bytes()),
            "an edited edge list"
        );
        std::fs::remove_file(dir.path().join("e.csv")).unwrap();
        assert_ne!(
            before,
            spec_hash(&spec, text.as_bytes()),
            "a missing edge list"
        );
    }
}
