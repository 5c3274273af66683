//! `ganglion run` across MPI ranks (cargo feature `mpi`).
//!
//! Built with `--features mpi`, `ganglion run` always starts MPI (`mpirun -np K ganglion
//! run SPEC`, or one rank when started directly) and builds its share of the network with
//! [`Network::build_distributed`]: `--threads` is then the number of threads *per rank*.
//! Rank 0 alone creates the output folder, shows progress and writes the merged files —
//! the same files, bit for bit, as a single-process run (see [`ganglion_sim::distributed`]);
//! the other ranks write nothing. Without the feature this module is a single-process
//! pass-through and nothing of MPI is compiled.

use anyhow::Result;
use ganglion_model::Resolved;
use ganglion_sim::Network;
use ganglion_sim::distributed::RankExchange;
use std::sync::Arc;

/// The ranks of this run: `None` for a single-process run.
pub type Ranks = Option<Arc<dyn RankExchange>>;

/// Start MPI when the binary has the `mpi` feature; `None` otherwise.
#[cfg(feature = "mpi")]
pub fn start() -> Result<Ranks> {
    let ex = ganglion_mpi::MpiExchange::init().map_err(|e| anyhow::anyhow!("MPI: {e}"))?;
    let ex: Arc<dyn RankExchange> = Arc::new(ex);
    Ok(Some(ex))
}

/// Start MPI when the binary has the `mpi` feature; `None` otherwise.
#[cfg(not(feature = "mpi"))]
pub fn start() -> Result<Ranks> {
    Ok(None)
}

/// This rank and the number of ranks.
pub fn rank(ranks: &Ranks) -> (usize, usize) {
    ranks.as_ref().map_or((0, 1), |e| (e.rank(), e.ranks()))
}

/// Build the network: this rank's share when distributed.
pub fn build(r: &Resolved, ranks: &Ranks) -> Result<Network> {
    Ok(match ranks {
        Some(ex) => Network::build_distributed(r, ex.clone())?,
        None => Network::build(r)?,
    })
}

/// Collective check before the first collective of the build: whether every rank is ready
/// (rank 0 could create the output folder). A rank that is not ready returns its own error
/// afterwards; the others return an error naming it, so that no rank waits forever.
pub fn agree(ranks: &Ranks, mine: Result<()>) -> Result<()> {
    let Some(ex) = ranks else {
        return mine;
    };
    let flag = [u8::from(mine.is_err())];
    let all = ex.all_gather(&flag);
    mine?;
    if let Some(bad) = all.iter().position(|b| b.first() == Some(&1)) {
        anyhow::bail!("rank {bad} could not start the run (its error is printed above)");
    }
    Ok(())
}

/// With `GANGLION_EXCHANGE_STATS` set, print this rank's exchange time and volume to
/// stderr (one line per rank; `bench/mpi` reads them).
pub fn report(net: &Network) {
    if std::env::var_os("GANGLION_EXCHANGE_STATS").is_none() {
        return;
    }
    let (rank, ranks) = net.rank();
    let s = net.exchange_stats();
    // One write of the whole line: the ranks share mpirun's stderr, and `eprintln!` may write a
    // line in pieces that interleave with another rank's.
    let line = format!(
        "exchange-stats rank={rank} ranks={ranks} epoch_steps={} exchanges={} bytes_sent={} bytes_received={} exchange_s={:.6}\n",
        net.exchange_epoch(),
        s.exchanges,
        s.bytes_sent,
        s.bytes_received,
        s.seconds
    );
    use std::io::Write as _;
    let _ = std::io::stderr().write_all(line.as_bytes());
}
