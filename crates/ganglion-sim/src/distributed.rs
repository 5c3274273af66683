//! Distributed simulation: one network split over several processes ("ranks"), with
//! results bit-identical to a single-process run.
//!
//! ## Decomposition
//! A run on `R` ranks with `T` threads each has `R·T` *global partitions*; every population
//! is split into `R·T` contiguous ranges exactly as a single process with `R·T` threads
//! would split it, and rank `r` owns partitions `r·T .. (r+1)·T`. A rank builds only its own
//! partitions — their neurons, the synapses *onto* them, their inputs and recorders — so
//! synapse memory scales down with the rank count. Every random stream (parameters,
//! connectivity per (projection, partition), inputs per target neuron, plasticity per
//! target range) is keyed by global indices, so a partition built on its own is the same
//! as in a single-process build. (Gap-junction and SIC projections are the exception: their
//! few edges are generated for all partitions on every rank, because both ends of a
//! junction need them.)
//!
//! ## Exchange
//! The engine's boards (`exchange.rs`) hold every global partition's spike lists,
//! rate outputs and coupled potentials; a rank writes its own cells in phase A and the
//! exchange fills the others' (an all-gather of byte buffers through [`RankExchange`]).
//! Two schedules:
//!
//! - **every step** (general): after phase A the rank's threads meet at the barrier, the
//!   calling thread serialises the rank's cells of this step (spikes, rates, potentials),
//!   all-gathers them and writes the remote cells, the threads meet again, then phase B.
//!   Plasticity, three-factor and rate rules, rate units, gap junctions and SIC all see
//!   exactly the cells a single process sees.
//! - **once per min-delay epoch** (NEST's scheme, Morrison et al. 2005, "Advancing the
//!   boundaries of high-connectivity network simulation with distributed computing",
//!   Neural Comput 17:1776): used when the network is purely spiking with static synapses —
//!   no plasticity, no rate units, no gap junctions, no SIC. With `D` the shortest synaptic
//!   delay in steps (over all projections and ranks), steps are grouped into epochs of `D`
//!   steps aligned to multiples of `D`; phase A runs for each step of the epoch with no
//!   barrier, its spike lists kept in `2D` board cells (double-buffered by epoch); at the
//!   epoch's last step `t_e` the spike lists of the whole epoch are all-gathered once and
//!   every thread delivers them in ascending step, then partition, then spike order. A spike
//!   of step `t` with delay `d ≥ D` lands in slot `t + d > t_e`, so no slot is read before
//!   its spikes arrive, and the ring (longest delay + 1 slots) never wraps onto a slot still
//!   to be read.
//!
//!   Bit-identity needs more than that: a ring-buffer cell is a float sum, so the *order* of
//!   additions must be the single-process order — by step, within a step Poisson inputs
//!   (phase A) before spikes (phase B). A Poisson input of step `t' > t` arriving in the same
//!   slot as a spike of step `t` (its delay is shorter) would be added before that spike if
//!   it were applied in phase A. So Poisson inputs whose arrival lies past the epoch's end
//!   are held back and applied at the epoch end, step by step just before that step's
//!   spikes (a Poisson draw is a pure function of its key and step, so applying it late
//!   changes nothing else). Inputs arriving within the epoch, spike-time inputs (which
//!   arrive in their own step) and currents are applied in phase A as usual.
//!
//! ## Errors and outputs
//! Every exchange carries an error flag and message, so an error on any rank (a diverging
//! neuron) stops all ranks at the same step and reaches rank 0; nothing hangs. After the
//! run, [`Network::run`] gathers every rank's recordings, spike counts and (up to
//! [`FINAL_WEIGHTS_LIMIT`](ganglion_model::memory::FINAL_WEIGHTS_LIMIT) synapses) the
//! final weights of plastic projections to rank 0, whose [`Network::results`],
//! [`Network::synapses_of`] and [`Network::synapse_count_of`] are then those of the whole
//! network; on other ranks they cover only the rank's own partitions. Checkpoints are not
//! supported across ranks ([`Network::load_state`] refuses).
//!
//! [`LocalRanks`] runs `R` ranks as threads of one process, for tests; the MPI transport is
//! the `ganglion-mpi` crate (ganglion-sim itself never links MPI).

use crate::SimError;
use crate::connect::Delays;
use crate::exchange::{Board, Boards};
use crate::network::{Network, ranges};
use crate::record::PartRecorder;
use ganglion_base::state::{StateReader, StateWriter};
use std::cell::UnsafeCell;
use std::sync::{Arc, Barrier, Mutex};
use std::time::Instant;

/// Collective byte exchange between the ranks of a distributed run.
///
/// Every method is *collective*: all ranks call it, in the same order, with their own
/// buffer. The engine calls them from one thread per rank (the thread that called
/// [`Network::run_until`] or the build), so an MPI implementation needs only
/// `MPI_THREAD_FUNNELED`.
pub trait RankExchange: Send + Sync {
    /// This rank's index, `0..ranks()`.
    fn rank(&self) -> usize;
    /// Number of ranks.
    fn ranks(&self) -> usize;
    /// Every rank's `local` buffer (bytes), indexed by rank (this rank's own included).
    fn all_gather(&self, local: &[u8]) -> Vec<Vec<u8>>;
    /// Every rank's `local` buffer on rank 0 (`Some`, indexed by rank); `None` elsewhere.
    fn gather_to_root(&self, local: &[u8]) -> Option<Vec<Vec<u8>>> {
        let all = self.all_gather(local);
        (self.rank() == 0).then_some(all)
    }
}

/// `ranks` in-process ranks that exchange through shared memory: give each to one thread,
/// which builds and runs its [`Network::build_distributed`]. For tests and examples; the
/// collectives block until every rank has called them.
pub struct LocalRanks {
    rank: usize,
    shared: Arc<LocalShared>,
}

struct LocalShared {
    slots: Mutex<Vec<Vec<u8>>>,
    barrier: Barrier,
}

impl LocalRanks {
    /// One exchange handle per rank, in rank order.
    pub fn handles(ranks: usize) -> Vec<Arc<dyn RankExchange>> {
        assert!(
            ranks >= 1,
            "LocalRanks::handles: ranks = 0; give at least 1"
        );
        let shared = Arc::new(LocalShared {
            slots: Mutex::new(vec![vec![]; ranks]),
            barrier: Barrier::new(ranks),
        });
        (0..ranks)
            .map(|rank| {
                Arc::new(LocalRanks {
                    rank,
                    shared: shared.clone(),
                }) as Arc<dyn RankExchange>
            })
            .collect()
    }
}

impl RankExchange for LocalRanks {
    fn rank(&self) -> usize {
        self.rank
    }
    fn ranks(&self) -> usize {
        self.shared
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }
    fn all_gather(&self, local: &[u8]) -> Vec<Vec<u8>> {
        self.shared.slots.lock().unwrap_or_else(|p| p.into_inner())[self.rank] = local.to_vec();
        self.shared.barrier.wait();
        let all = self
            .shared
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        // Nobody overwrites a slot before everyone has read this round.
        self.shared.barrier.wait();
        all
    }
}

/// Time and volume of a rank's exchanges during [`Network::run_until`] calls.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ExchangeStats {
    /// Number of exchanges (epochs).
    pub exchanges: u64,
    /// Bytes this rank sent (its own buffers, summed over exchanges).
    pub bytes_sent: u64,
    /// Bytes this rank received from all ranks (its own included), summed over exchanges.
    pub bytes_received: u64,
    /// Wall seconds in the exchanges: serialising, the collective (including waiting for
    /// slower ranks) and writing the remote cells.
    pub seconds: f64,
}

/// Weight monitors' chosen synapses: (monitor, every chosen synapse as (source, target,
/// global partition, index in that partition's CSR)), in column order.
pub(crate) type WeightChoice = Vec<(usize, Vec<(u32, u32, usize, usize)>)>;

/// The distributed part of a [`Network`].
pub(crate) struct Dist {
    pub(crate) ex: Arc<dyn RankExchange>,
    /// Steps per exchange: the shortest delay in epoch mode, else 1.
    pub(crate) epoch: u64,
    /// Whether steps are grouped into min-delay epochs (see the module docs).
    pub(crate) epoch_mode: bool,
    /// Synapses per projection over all ranks.
    pub(crate) proj_counts: Vec<u64>,
    /// Weight monitors' chosen synapses (see [`WeightChoice`]).
    pub(crate) weight_all: WeightChoice,
    /// Filled on rank 0 by the gather after a run.
    pub(crate) remote: Option<Remote>,
    pub(crate) stats: Mutex<ExchangeStats>,
}

/// Other ranks' partitions, as gathered to rank 0.
pub(crate) struct Remote {
    /// (global partition, spikes per population, recorder)
    pub(crate) parts: Vec<(usize, Vec<u64>, PartRecorder)>,
    /// Final synapses of plastic projections (source, target, weight, delay ms), per projection.
    pub(crate) synapses: Vec<Vec<(u32, u32, f32, f64)>>,
}

impl std::fmt::Debug for Dist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dist")
            .field("rank", &self.ex.rank())
            .field("ranks", &self.ex.ranks())
            .field("epoch", &self.epoch)
            .finish()
    }
}

fn put_u32s(out: &mut Vec<u8>, v: &[u32]) {
    out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
}

fn put_f32s(out: &mut Vec<u8>, v: &[f32]) {
    out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
}

/// A cursor over a received buffer. The buffers come from the same program on another rank,
/// so a short buffer is a bug, not bad input.
struct Cursor<'a> {
    buf: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn u32(&mut self) -> u32 {
        let b = &self.buf[self.at..self.at + 4];
        self.at += 4;
        u32::from_le_bytes(b.try_into().expect("4 bytes"))
    }
    fn u32s(&mut self, out: &mut Vec<u32>) {
        let n = self.u32() as usize;
        out.clear();
        out.extend(
            self.buf[self.at..self.at + 4 * n]
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))),
        );
        self.at += 4 * n;
    }
    fn f32s(&mut self, out: &mut Vec<f32>) {
        let n = self.u32() as usize;
        out.clear();
        out.extend(
            self.buf[self.at..self.at + 4 * n]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))),
        );
        self.at += 4 * n;
    }
    fn bytes(&mut self, n: usize) -> &[u8] {
        let b = &self.buf[self.at..self.at + n];
        self.at += n;
        b
    }
}

impl Dist {
    /// Exchange the cells of steps `first..=last` (cell index `t % depth`): the rank's own
    /// partitions `lo..lo + local` go out, the others' are written. `failed` is this rank's
    /// error message, if any; returns the first failing rank's (rank, message) if any rank
    /// failed. `full` also exchanges rates and potentials (the every-step schedule).
    ///
    /// SAFETY: the caller must be the only thread touching the boards' remote cells of
    /// these steps, and no thread may read them until it returns (the run loop calls it
    /// between two barriers).
    pub(crate) unsafe fn exchange(
        &self,
        boards: &Boards,
        (first, last): (u64, u64),
        (lo, local): (usize, usize),
        full: bool,
        failed: Option<String>,
    ) -> Option<(usize, String)> {
        let t0 = Instant::now();
        let mut out = Vec::with_capacity(1024);
        match &failed {
            None => out.push(0u8),
            Some(msg) => {
                out.push(1u8);
                out.extend_from_slice(&(msg.len() as u32).to_le_bytes());
                out.extend_from_slice(msg.as_bytes());
            }
        }
        let depth = boards.depth as u64;
        for t in first..=last {
            let cell = (t % depth) as usize;
            for p in lo..lo + local {
                for k in 0..boards.pops {
                    // SAFETY: the own cells of finished phases A; see the function's contract.
                    let b = unsafe { boards.read(cell, p, k) };
                    put_u32s(&mut out, &b.spikes);
                    if full {
                        put_f32s(&mut out, &b.rates);
                        put_f32s(&mut out, &b.voltages);
                    }
                }
            }
        }
        let all = self.ex.all_gather(&out);
        let mut first_failure = None;
        let me = self.ex.rank();
        for (rank, buf) in all.iter().enumerate() {
            let mut c = Cursor { buf, at: 0 };
            if c.bytes(1)[0] != 0 {
                let n = c.u32() as usize;
                let msg = String::from_utf8_lossy(c.bytes(n)).into_owned();
                first_failure.get_or_insert((rank, msg));
            }
            if rank == me {
                continue;
            }
            for t in first..=last {
                let cell = (t % depth) as usize;
                for p in rank * local..(rank + 1) * local {
                    for k in 0..boards.pops {
                        // SAFETY: remote cells, written only here; see the contract.
                        let b = unsafe { boards.write(cell, p, k) };
                        c.u32s(&mut b.spikes);
                        if full {
                            c.f32s(&mut b.rates);
                            c.f32s(&mut b.voltages);
                        }
                    }
                }
            }
        }
        let mut s = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        s.exchanges += 1;
        s.bytes_sent += out.len() as u64;
        s.bytes_received += all.iter().map(|b| b.len() as u64).sum::<u64>();
        s.seconds += t0.elapsed().as_secs_f64();
        first_failure
    }
}

/// The shortest delay (steps) of this rank's synapses, `u64::MAX` without any.
fn local_min_delay(net: &Network) -> u64 {
    net.parts
        .iter()
        .flat_map(|p| p.projs.iter())
        .filter(|pj| !pj.csr.is_empty())
        .map(|pj| match &pj.csr.delay {
            Delays::Const(d) => *d as u64,
            Delays::Each(v) => v.iter().copied().min().unwrap_or(u16::MAX) as u64,
        })
        .min()
        .unwrap_or(u64::MAX)
}

/// The longest epoch (steps) the exchange buffers: bounds the boards' memory when delays
/// are long or there are no synapses at all.
const MAX_EPOCH: u64 = 256;

/// Merge every rank's first `count` candidates (sorted) into the global first `count`.
pub(crate) fn merge_candidates(
    ex: &dyn RankExchange,
    mine: &[(u32, u32, usize, usize)],
    count: usize,
) -> Vec<(u32, u32, usize, usize)> {
    let mut out = Vec::with_capacity(mine.len() * 24);
    for &(s, t, p, k) in mine {
        out.extend_from_slice(&s.to_le_bytes());
        out.extend_from_slice(&t.to_le_bytes());
        out.extend_from_slice(&(p as u64).to_le_bytes());
        out.extend_from_slice(&(k as u64).to_le_bytes());
    }
    let mut all: Vec<(u32, u32, usize, usize)> = ex
        .all_gather(&out)
        .iter()
        .flat_map(|b| {
            b.chunks_exact(24).map(|c| {
                (
                    u32::from_le_bytes(c[0..4].try_into().expect("4")),
                    u32::from_le_bytes(c[4..8].try_into().expect("4")),
                    u64::from_le_bytes(c[8..16].try_into().expect("8")) as usize,
                    u64::from_le_bytes(c[16..24].try_into().expect("8")) as usize,
                )
            })
        })
        .collect();
    all.sort();
    all.truncate(count);
    all
}

impl Network {
    /// Build this rank's share of a distributed network (collective: every rank calls it
    /// with the same circuit). `r.threads` is the number of threads *per rank*; the network
    /// has `ranks × threads` partitions, of which this rank builds and runs its own (see
    /// [`crate::distributed`]). Running it ([`Network::run`], [`Network::run_until`]) is
    /// collective too, and gives on rank 0 results bit-identical to
    /// [`Network::build`] of the same circuit with `ranks × threads` threads — and so to
    /// any thread count.
    pub fn build_distributed(
        r: &ganglion_model::Resolved,
        ex: Arc<dyn RankExchange>,
    ) -> Result<Network, SimError> {
        let t0 = Instant::now();
        let mut net = Network::build_part(r, Some(ex.clone()))?;
        let (rank, ranks) = (ex.rank(), ex.ranks());
        // Totals over ranks: synapses per projection, matrix bytes, the shortest delay.
        let nproj = r.projections.len();
        let mut out = vec![];
        for j in 0..nproj {
            let c: u64 = net.parts.iter().map(|p| p.projs[j].csr.len() as u64).sum();
            out.extend_from_slice(&c.to_le_bytes());
        }
        out.extend_from_slice(&net.synapse_bytes.to_le_bytes());
        out.extend_from_slice(&local_min_delay(&net).to_le_bytes());
        let all = ex.all_gather(&out);
        let word =
            |b: &[u8], i: usize| u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().expect("8"));
        let proj_counts: Vec<u64> = (0..nproj)
            .map(|j| all.iter().map(|b| word(b, j)).sum())
            .collect();
        let local_csr: u64 = (0..nproj).map(|j| word(&all[rank], j)).sum();
        let all_csr: u64 = proj_counts.iter().sum();
        // `synapses` counted gap junctions and SIC edges of all partitions already.
        net.synapses = net.synapses - local_csr + all_csr;
        net.synapse_bytes = all.iter().map(|b| word(b, nproj)).sum();
        let min_delay = all
            .iter()
            .map(|b| word(b, nproj + 1))
            .min()
            .unwrap_or(u64::MAX);
        let epoch_mode = r.populations.iter().all(|p| p.model.spiking)
            && r.projections
                .iter()
                .all(|p| p.plasticity.is_none() && !p.electrical && !p.sic);
        let epoch = if epoch_mode {
            min_delay.clamp(1, MAX_EPOCH)
        } else {
            1
        };
        let nparts = net.boards.parts;
        let depth = 2 * epoch as usize;
        net.boards = Boards {
            cells: (0..depth * nparts * net.boards.pops)
                .map(|_| UnsafeCell::new(Board::default()))
                .collect(),
            parts: nparts,
            pops: net.boards.pops,
            depth,
        };
        let weight_all = std::mem::take(&mut net.weight_all);
        net.dist = Some(Box::new(Dist {
            ex,
            epoch,
            epoch_mode,
            proj_counts,
            weight_all,
            remote: None,
            stats: Mutex::new(ExchangeStats::default()),
        }));
        debug_assert!(rank < ranks);
        net.build_s = t0.elapsed().as_secs_f64();
        Ok(net)
    }

    /// This rank and the number of ranks (`(0, 1)` for a single-process network).
    pub fn rank(&self) -> (usize, usize) {
        self.dist
            .as_ref()
            .map_or((0, 1), |d| (d.ex.rank(), d.ex.ranks()))
    }

    /// Steps per spike exchange: the shortest synaptic delay when the network runs in
    /// min-delay epochs, else 1 (also for a single-process network, which needs none).
    pub fn exchange_epoch(&self) -> u64 {
        self.dist.as_ref().map_or(1, |d| d.epoch)
    }

    /// This rank's exchange time and volume so far (zero for a single-process network).
    pub fn exchange_stats(&self) -> ExchangeStats {
        self.dist.as_ref().map_or_else(ExchangeStats::default, |d| {
            *d.stats.lock().unwrap_or_else(|p| p.into_inner())
        })
    }

    /// Gather every rank's recordings, spike counts and plastic weights to rank 0
    /// (collective; a no-op for a single-process network). [`Network::run`] calls it.
    pub fn gather(&mut self) -> Result<(), SimError> {
        let Some(dist) = self.dist.as_ref() else {
            return Ok(());
        };
        let mut w = StateWriter::new();
        for (li, part) in self.parts.iter().enumerate() {
            w.u64((self.part_lo + li) as u64);
            for pp in &part.pops {
                w.u64(pp.spike_count);
            }
            w.put(&part.rec);
        }
        let limit = ganglion_model::memory::FINAL_WEIGHTS_LIMIT;
        let plastic = self.plastic_projections();
        for &j in &plastic {
            if dist.proj_counts[j] as f64 <= limit {
                let syn = self.local_synapses_of(j);
                w.u64(syn.len() as u64);
                for (s, t, wt, d) in syn {
                    w.u64(((s as u64) << 32) | t as u64);
                    w.f64(wt as f64);
                    w.f64(d);
                }
            }
        }
        let Some(all) = dist.ex.gather_to_root(&w.into_bytes()) else {
            return Ok(());
        };
        let local = self.parts.len();
        let pop_ranges: Vec<Vec<(usize, usize)>> = self
            .pops
            .iter()
            .map(|p| ranges(p.size, self.boards.parts))
            .collect();
        let bad = |e: ganglion_base::state::StateError| {
            SimError::Build(format!("gathering the ranks' recordings: {e}"))
        };
        let mut remote = Remote {
            parts: vec![],
            synapses: vec![vec![]; self.projection_names.len()],
        };
        for (rank, buf) in all.iter().enumerate().skip(1) {
            let mut rd = StateReader::new(buf);
            for _ in 0..local {
                let p = rd.u64().map_err(bad)? as usize;
                debug_assert_eq!(p / local, rank);
                let counts = (0..self.pops.len())
                    .map(|_| rd.u64())
                    .collect::<Result<Vec<u64>, _>>()
                    .map_err(bad)?;
                let mut rec = PartRecorder::new(&self.resolved, &pop_ranges, p);
                for (k, chosen) in &dist.weight_all {
                    rec.set_weight_synapses(
                        *k,
                        chosen
                            .iter()
                            .enumerate()
                            .filter(|(_, e)| e.2 == p)
                            .map(|(col, e)| (e.3, col))
                            .collect(),
                    );
                }
                rd.get(&mut rec).map_err(bad)?;
                remote.parts.push((p, counts, rec));
            }
            for &j in &plastic {
                if dist.proj_counts[j] as f64 <= limit {
                    let n = rd.u64().map_err(bad)?;
                    for _ in 0..n {
                        let st = rd.u64().map_err(bad)?;
                        let wt = rd.f64().map_err(bad)? as f32;
                        let d = rd.f64().map_err(bad)?;
                        remote.synapses[j].push(((st >> 32) as u32, st as u32, wt, d));
                    }
                }
            }
        }
        if let Some(d) = self.dist.as_mut() {
            d.remote = Some(remote);
        }
        Ok(())
    }
}
