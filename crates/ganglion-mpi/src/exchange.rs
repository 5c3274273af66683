//! [`MpiExchange`]: the MPI transport (see the crate docs).

use ganglion_sim::distributed::RankExchange;
use mpi::datatype::PartitionMut;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::{Root, *};
use std::sync::atomic::{AtomicU64, Ordering};

/// MPI over `MPI_COMM_WORLD`. Dropping it finalises MPI, so keep it alive until every
/// collective is done (the end of `main`).
pub struct MpiExchange {
    // Field order: the communicator goes before the universe finalises MPI.
    world: SimpleCommunicator,
    _universe: mpi::environment::Universe,
    bytes_sent: AtomicU64,
    calls: AtomicU64,
}

// SAFETY: MPI is initialised with MPI_THREAD_FUNNELED and the engine calls the collectives
// from one thread only (the caller of `run_until`, see the crate docs); the other worker
// threads never touch this value. The handles themselves are plain integers/pointers that
// Open MPI allows to be used from any thread under that rule.
unsafe impl Send for MpiExchange {}
// SAFETY: as above.
unsafe impl Sync for MpiExchange {}

/// Why MPI could not be started.
#[derive(Debug)]
pub struct MpiError(pub String);

impl std::fmt::Display for MpiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MpiError {}

fn count(n: usize) -> mpi::Count {
    mpi::Count::try_from(n).unwrap_or_else(|_| {
        panic!("an MPI exchange buffer of {n} bytes is over MPI's 2 GiB per rank limit; use more ranks or record less")
    })
}

fn displacements(counts: &[mpi::Count]) -> Vec<mpi::Count> {
    counts
        .iter()
        .scan(0 as mpi::Count, |acc, &c| {
            let d = *acc;
            *acc += c;
            Some(d)
        })
        .collect()
}

fn split(buf: &[u8], counts: &[mpi::Count]) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(counts.len());
    let mut at = 0usize;
    for &c in counts {
        out.push(buf[at..at + c as usize].to_vec());
        at += c as usize;
    }
    out
}

impl MpiExchange {
    /// Initialise MPI (`MPI_THREAD_FUNNELED`). Errors when MPI was already initialised or
    /// the library cannot give the funneled threading level.
    pub fn init() -> Result<MpiExchange, MpiError> {
        let (universe, level) = mpi::initialize_with_threading(mpi::Threading::Funneled)
            .ok_or_else(|| MpiError("MPI is already initialised in this process".into()))?;
        if level < mpi::Threading::Funneled {
            return Err(MpiError(format!(
                "the MPI library gives threading level {level:?}, ganglion needs Funneled\n  hint: use an MPI build with thread support (Open MPI has it)"
            )));
        }
        Ok(MpiExchange {
            world: universe.world(),
            _universe: universe,
            bytes_sent: AtomicU64::new(0),
            calls: AtomicU64::new(0),
        })
    }

    /// Bytes this rank contributed to all collectives so far, and the number of calls.
    pub fn traffic(&self) -> (u64, u64) {
        (
            self.bytes_sent.load(Ordering::Relaxed),
            self.calls.load(Ordering::Relaxed),
        )
    }

    /// Abort every rank (`MPI_Abort`) with `code`: for errors outside the engine's
    /// collectives, where the other ranks could otherwise wait forever.
    pub fn abort(&self, code: i32) -> ! {
        self.world.abort(code)
    }
}

impl RankExchange for MpiExchange {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn ranks(&self) -> usize {
        self.world.size() as usize
    }

    fn all_gather(&self, local: &[u8]) -> Vec<Vec<u8>> {
        self.bytes_sent
            .fetch_add(local.len() as u64, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
        let n = self.world.size() as usize;
        let mine = count(local.len());
        let mut counts = vec![0 as mpi::Count; n];
        self.world.all_gather_into(&mine, &mut counts[..]);
        let displs = displacements(&counts);
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut buf = vec![0u8; total];
        {
            let mut part = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
            self.world.all_gather_varcount_into(local, &mut part);
        }
        split(&buf, &counts)
    }

    fn gather_to_root(&self, local: &[u8]) -> Option<Vec<Vec<u8>>> {
        self.bytes_sent
            .fetch_add(local.len() as u64, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
        let root = self.world.process_at_rank(0);
        let mine = count(local.len());
        if self.world.rank() != 0 {
            root.gather_into(&mine);
            root.gather_varcount_into(local);
            return None;
        }
        let n = self.world.size() as usize;
        let mut counts = vec![0 as mpi::Count; n];
        root.gather_into_root(&mine, &mut counts[..]);
        let displs = displacements(&counts);
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut buf = vec![0u8; total];
        {
            let mut part = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
            root.gather_varcount_into_root(local, &mut part);
        }
        Some(split(&buf, &counts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displacements_are_prefix_sums_and_split_inverts_concatenation() {
        let counts = [3, 0, 2];
        assert_eq!(displacements(&counts), vec![0, 3, 3]);
        let parts = split(&[1, 2, 3, 4, 5], &counts);
        assert_eq!(parts, vec![vec![1, 2, 3], vec![], vec![4, 5]]);
    }
}
