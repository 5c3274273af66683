//! # ganglion-mpi
//!
//! The MPI transport of ganglion-sim's distributed engine: [`MpiExchange`] implements
//! [`ganglion_sim::distributed::RankExchange`] with MPI collectives over `MPI_COMM_WORLD`
//! (Open MPI through the [`mpi`] crate), so that `mpirun -np K ganglion run SPEC` runs one
//! rank per process. What is exchanged and when is documented in
//! [`ganglion_sim::distributed`]; this crate only moves byte buffers:
//!
//! - `all_gather`: every rank's buffer to every rank — an `MPI_Allgather` of the byte counts,
//!   then an `MPI_Allgatherv` of the bytes (NEST's spike exchange is the same pair);
//! - `gather_to_root`: every rank's buffer to rank 0 (`MPI_Gather` + `MPI_Gatherv`), for the
//!   final recordings.
//!
//! MPI is initialised with `MPI_THREAD_FUNNELED`: the engine calls the collectives only from
//! the thread that called [`Network::run_until`](ganglion_sim::Network::run_until) (its
//! partition-0 worker runs on the calling thread), never from its other workers.
//!
//! Buffers are limited to 2 GiB per rank and call (MPI counts are `i32`).
//!
//! Everything sits behind this crate's cargo feature `mpi` (which `ganglion-cli`'s `mpi`
//! feature turns on), so that `cargo build/test --workspace` on a machine without Open MPI
//! and libclang builds this crate as an empty shell instead of failing in `mpi-sys`.

#[cfg(feature = "mpi")]
mod exchange;
#[cfg(feature = "mpi")]
pub use exchange::{MpiError, MpiExchange};
