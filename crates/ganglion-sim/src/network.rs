//! A built network: its partitions and the run loop. Lowering is in `lower`, the
//! step schedule in `schedule`, delivery in `delivery`.
//!
//! ## Parallelism
//! Every population is split into `threads` contiguous partitions; partition p owns neurons
//! of every population in its range, their ring buffers, and the synapses *onto* them (one
//! CSR per projection). Phase A of a step touches only the partition's own data; in phase B
//! each partition reads all partitions' spike lists and writes only its own ring buffers, so
//! delivery needs no atomics. Partitions meet at one barrier per step (spike lists are
//! double-buffered by step parity). Additions into each ring-buffer cell happen in the same
//! order for any partitioning, so results are bit-identical for any thread count.
//!
//! Rejected alternative: rayon `par_iter` per population per step costs several µs of
//! fork/join per call, more than a whole step of a 4000-neuron network.

use crate::SimError;
use crate::connect::{Csr, Delays};
use crate::exchange::Boards;
use crate::homeostasis::Homeostasis;
use crate::inputs::InputPart;
use crate::models::NeuronGroup;
use crate::record::{PartRecorder, PopMeta, Results};
use crate::schedule::StepCtx;
use ganglion_base::state::{StateError, StateReader, StateWriter};
use ganglion_base::sync::SpinBarrier;
use ganglion_model::{Receptor, Resolved};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Stream-key labels, so that each kind of object gets its own family of streams.
pub(crate) const TAG_PARAM: u64 = 1 << 40;
pub(crate) const TAG_PROJ: u64 = 2 << 40;
pub(crate) const TAG_INPUT: u64 = 3 << 40;
pub(crate) const TAG_SOURCE: u64 = 4 << 40;

/// One population's neurons inside a partition.
#[derive(Debug)]
pub(crate) struct PopPart {
    pub(crate) lo: usize,
    pub(crate) n: usize,
    pub(crate) group: Box<dyn NeuronGroup>,
    /// Ring buffer: `ring[(ch * slots + slot) * n + i]`.
    pub(crate) ring: Vec<f32>,
    pub(crate) slots: usize,
    /// External current this step; stays zero when no current input targets the population.
    pub(crate) i_ext: Vec<f32>,
    pub(crate) has_currents: bool,
    /// Intrinsic plasticity (adapting thresholds), if the population has it.
    pub(crate) homeo: Option<Homeostasis>,
    /// Gap junctions onto these neurons, if the population takes part in any (it then
    /// publishes its potentials every step).
    pub(crate) gap: Option<crate::gap::GapIn>,
    /// Slow inward currents from astrocytes onto these neurons, if any.
    pub(crate) sic: Option<crate::sic::SicIn>,
    pub(crate) spiked: Vec<u8>,
    pub(crate) spike_count: u64,
}

impl PopPart {
    #[inline]
    pub(crate) fn slot_base(&self, ch: usize, slot: usize) -> usize {
        (ch * self.slots + slot) * self.n
    }
}

/// One projection's synapses onto one partition.
#[derive(Debug)]
pub(crate) struct ProjPart {
    pub(crate) source: usize,
    pub(crate) target: usize,
    pub(crate) channel: usize,
    pub(crate) csr: Csr,
    pub(crate) plastic: Option<Box<dyn crate::plasticity::Plastic>>,
}

/// A partition: a slice of every population and everything that writes into it.
#[derive(Debug)]
pub(crate) struct Part {
    pub(crate) pops: Vec<PopPart>,
    pub(crate) projs: Vec<ProjPart>,
    pub(crate) inputs: Vec<InputPart>,
    pub(crate) rec: PartRecorder,
}

/// A built network, ready to run.
pub struct Network {
    pub(crate) dt: f64,
    pub(crate) steps: u64,
    pub(crate) t: u64,
    pub(crate) pops: Vec<PopMeta>,
    pub(crate) parts: Vec<Part>,
    pub(crate) boards: Boards,
    pub(crate) projection_names: Vec<String>,
    pub(crate) synapses: u64,
    pub(crate) synapse_bytes: u64,
    pub(crate) build_s: f64,
    pub(crate) resolved: Resolved,
    pub(crate) weight_columns: Vec<(Vec<(u32, u32)>, u64)>,
    /// Global index of `parts[0]` (0 unless this is one rank of a distributed network).
    pub(crate) part_lo: usize,
    /// The ranks and the exchange of a distributed network (see [`crate::distributed`]).
    pub(crate) dist: Option<Box<crate::distributed::Dist>>,
    /// Weight monitors' chosen synapses, kept by the build for `dist` (empty otherwise).
    pub(crate) weight_all: crate::distributed::WeightChoice,
    /// Spikes per population so far, published at every progress call (see
    /// [`Network::live_spike_counts`]).
    pub(crate) live: Arc<[AtomicU64]>,
    /// Steps between progress calls; 0 = about 200 calls per run.
    pub(crate) progress_every: u64,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("dt", &self.dt)
            .field("steps", &self.steps)
            .field("populations", &self.pops)
            .field("synapses", &self.synapses)
            .finish()
    }
}

pub(crate) fn channel_of(r: Receptor, target_spiking: bool, source_spiking: bool) -> usize {
    if !target_spiking {
        // Rate units: channel 0 sums rates continuously, channel 1 takes spike jumps.
        return usize::from(source_spiking);
    }
    match r {
        Receptor::Excitatory => 0,
        Receptor::Inhibitory => 1,
    }
}

/// A population's partitions, as the memory model splits it.
pub(crate) fn ranges(n: usize, parts: usize) -> Vec<(usize, usize)> {
    ganglion_model::memory::partition_ranges(n, parts).collect()
}

impl Network {
    /// Number of synapses.
    pub fn synapse_count(&self) -> u64 {
        self.synapses
    }
    /// Bytes of synapse storage (CSR rows, targets, weights, delays).
    pub fn synapse_bytes(&self) -> u64 {
        self.synapse_bytes
    }
    /// Seconds spent in [`Network::build`].
    pub fn build_seconds(&self) -> f64 {
        self.build_s
    }
    /// Populations.
    pub fn populations(&self) -> &[PopMeta] {
        &self.pops
    }
    /// Target rates \[Hz\] of a population's intrinsic plasticity, per neuron (None without).
    pub fn homeostasis_targets(&self, pop: usize) -> Option<Vec<f32>> {
        let mut out = vec![];
        for part in &self.parts {
            out.extend_from_slice(&part.pops[pop].homeo.as_ref()?.target);
        }
        Some(out)
    }

    /// Number of synapses of projection `j` (over all ranks of a distributed network).
    pub fn synapse_count_of(&self, j: usize) -> u64 {
        match &self.dist {
            Some(d) => d.proj_counts[j],
            None => self.parts.iter().map(|p| p.projs[j].csr.len() as u64).sum(),
        }
    }

    /// Indices of projections with plasticity.
    pub fn plastic_projections(&self) -> Vec<usize> {
        self.parts
            .first()
            .map(|p| {
                p.projs
                    .iter()
                    .enumerate()
                    .filter(|(_, pj)| pj.plastic.is_some())
                    .map(|(j, _)| j)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Projection names in spec order.
    pub fn projection_names(&self) -> &[String] {
        &self.projection_names
    }
    /// Synapses of projection `j` as global (source, target, weight, delay ms), for checks
    /// and export. On rank 0 of a distributed network after [`Network::gather`], a plastic
    /// projection's include the other ranks' (up to
    /// [`FINAL_WEIGHTS_LIMIT`](ganglion_model::memory::FINAL_WEIGHTS_LIMIT) synapses);
    /// otherwise they are this rank's.
    pub fn synapses_of(&self, j: usize) -> Vec<(u32, u32, f32, f64)> {
        let mut out = self.local_synapses_of(j);
        if let Some(remote) = self.dist.as_ref().and_then(|d| d.remote.as_ref()) {
            out.extend_from_slice(&remote.synapses[j]);
            out.sort_by_key(|a| (a.0, a.1));
        }
        out
    }

    pub(crate) fn local_synapses_of(&self, j: usize) -> Vec<(u32, u32, f32, f64)> {
        let mut out = vec![];
        for part in &self.parts {
            let pp = &part.projs[j];
            let lo = part.pops[pp.target].lo as u32;
            for s in 0..pp.csr.row_ptr.len() - 1 {
                for k in pp.csr.row_ptr[s] as usize..pp.csr.row_ptr[s + 1] as usize {
                    let d = match &pp.csr.delay {
                        Delays::Const(d) => *d,
                        Delays::Each(v) => v[k],
                    };
                    out.push((
                        s as u32,
                        lo + pp.csr.tgt.get(k),
                        pp.csr.w[k],
                        d as f64 * self.dt,
                    ));
                }
            }
        }
        out.sort_by_key(|a| (a.0, a.1));
        out
    }

    /// Spikes emitted so far by each population (spec order), updated just before every
    /// `progress` call of [`Network::run_until`]: a callback that holds this handle (take it
    /// before the run) can report rates while the network runs.
    pub fn live_spike_counts(&self) -> Arc<[AtomicU64]> {
        // Start from the counts reached so far (a network resumed from a checkpoint).
        for (slot, c) in self.live.iter().zip(self.local_spike_counts()) {
            slot.store(c, Ordering::Relaxed);
        }
        self.live.clone()
    }

    /// Spikes so far per population, summed over this process's partitions.
    fn local_spike_counts(&self) -> Vec<u64> {
        (0..self.pops.len())
            .map(|k| self.parts.iter().map(|p| p.pops[k].spike_count).sum())
            .collect()
    }

    /// Call `progress` every `steps` steps (0 = about 200 times per run, the default), e.g.
    /// to print population rates at a fixed interval of model time.
    pub fn set_progress_every(&mut self, steps: u64) {
        self.progress_every = steps;
    }

    /// Run all remaining steps. `progress(done, total)` is called about 200 times (see
    /// [`Network::set_progress_every`]).
    pub fn run(
        &mut self,
        progress: Option<&(dyn Fn(u64, u64) + Sync)>,
    ) -> Result<Results, SimError> {
        let sim_s = self.run_until(self.steps, progress)?;
        self.gather()?;
        Ok(self.results(sim_s))
    }

    /// The step the network has reached (steps done so far).
    pub fn step(&self) -> u64 {
        self.t
    }

    /// The number of steps of the whole run.
    pub fn total_steps(&self) -> u64 {
        self.steps
    }

    /// Run up to step `end` (at most the run's length); returns the seconds it took.
    /// `progress(done, total)` reports steps of the whole run (so a run made of several calls,
    /// or resumed from a checkpoint, shows one progress), about 200 times per run.
    pub fn run_until(
        &mut self,
        end: u64,
        progress: Option<&(dyn Fn(u64, u64) + Sync)>,
    ) -> Result<f64, SimError> {
        let t0 = Instant::now();
        let (start, end) = (self.t, end.min(self.steps));
        if start >= end {
            return Ok(0.0);
        }
        // Gap junctions read the potentials of the step before `start`: publish them from
        // the state now (a fresh network, the end of the last call, or a loaded checkpoint).
        let depth = self.boards.depth;
        let previous = ((start + depth as u64 - 1) % depth as u64) as usize;
        let part_lo = self.part_lo;
        for (pi, part) in self.parts.iter_mut().enumerate() {
            let pi = part_lo + pi;
            for (k, pp) in part
                .pops
                .iter()
                .enumerate()
                .filter(|(_, pp)| pp.gap.is_some())
            {
                let idx = self.boards.idx(previous, pi, k);
                let board = self.boards.cells[idx].get_mut();
                crate::schedule::publish_voltages(&mut board.voltages, &*pp.group, pp.n);
            }
            // Likewise the outputs that SIC projections read (astrocytes' `rates()`).
            for (k, pp) in part.pops.iter().enumerate() {
                if let Some(r) = pp.group.rates() {
                    let idx = self.boards.idx(previous, pi, k);
                    let board = self.boards.cells[idx].get_mut();
                    board.rates.clear();
                    board.rates.extend_from_slice(r);
                }
            }
        }
        let dist = self.dist.as_deref();
        let nlocal = self.parts.len();
        let epoch_mode = dist.is_some_and(|d| d.epoch_mode);
        let epoch = dist.map_or(1, |d| d.epoch);
        if let Some(d) = dist
            && !epoch_mode
        {
            // The other ranks' potentials and outputs of the step before `start`, too.
            // SAFETY: no worker runs yet.
            let failed = unsafe {
                d.exchange(
                    &self.boards,
                    (start + depth as u64 - 1, start + depth as u64 - 1),
                    (part_lo, nlocal),
                    true,
                    None,
                )
            };
            debug_assert!(failed.is_none());
        }
        let error: Mutex<Option<SimError>> = Mutex::new(None);
        let stop = AtomicBool::new(false);
        let barrier = SpinBarrier::new(self.parts.len());
        let total = self.steps;
        let every = match self.progress_every {
            0 => (total / 200).max(1),
            n => n,
        };
        // Spike counts so far (a resumed run starts from the counts it reached).
        let counts_at_start = self.local_spike_counts();
        let live = &*self.live;
        let ctx = StepCtx {
            dt: self.dt,
            pops: &self.pops,
            boards: &self.boards,
            nparts: self.boards.parts,
        };
        let run_part = |li: usize, part: &mut Part| {
            let pi = part_lo + li;
            // Partition 0 tallies every partition's spikes for the progress reports.
            let mut counts = if li == 0 && progress.is_some() {
                counts_at_start.clone()
            } else {
                vec![]
            };
            for t in start..end {
                let parity = (t % depth as u64) as usize;
                // Min-delay epochs (distributed, see `crate::distributed`): steps
                // `first..=last`, aligned to multiples of the epoch length.
                let last = if epoch_mode {
                    ((t / epoch + 1) * epoch - 1).min(end - 1)
                } else {
                    t
                };
                let first = if epoch_mode {
                    (t / epoch * epoch).max(start)
                } else {
                    t
                };
                let horizon = if epoch_mode { last } else { u64::MAX };
                if let Err(e) = ctx.phase_a(pi, part, t, parity, horizon) {
                    let mut slot = error.lock().unwrap_or_else(|p| p.into_inner());
                    if slot.is_none() {
                        *slot = Some(e);
                    }
                    stop.store(true, Ordering::Release);
                }
                if t < last {
                    // Within an epoch phase A needs nothing from other partitions.
                    continue;
                }
                if nlocal > 1 {
                    barrier.wait();
                }
                if let Some(d) = dist {
                    if li == 0 {
                        let failed = stop.load(Ordering::Acquire).then(|| {
                            let slot = error.lock().unwrap_or_else(|p| p.into_inner());
                            slot.as_ref().map(|e| e.to_string()).unwrap_or_default()
                        });
                        // SAFETY: between the two barriers of this step, only this thread
                        // touches the boards.
                        let remote = unsafe {
                            d.exchange(
                                ctx.boards,
                                (first, last),
                                (part_lo, nlocal),
                                !epoch_mode,
                                failed,
                            )
                        };
                        if let Some((rank, msg)) = remote {
                            let mut slot = error.lock().unwrap_or_else(|p| p.into_inner());
                            if slot.is_none() {
                                *slot = Some(SimError::Build(format!("rank {rank}: {msg}")));
                            }
                            stop.store(true, Ordering::Release);
                        }
                    }
                    if nlocal > 1 {
                        barrier.wait();
                    }
                }
                if stop.load(Ordering::Acquire) {
                    return t;
                }
                if epoch_mode {
                    ctx.deliver_epoch(part, first, last);
                } else {
                    ctx.phase_b(part, t, parity);
                }
                if li == 0
                    && let Some(cb) = progress
                {
                    for (k, c) in counts.iter_mut().enumerate() {
                        for s in first..=last {
                            let cell = (s % depth as u64) as usize;
                            // SAFETY: phase B of step t reads the cells of its epoch.
                            *c += (0..ctx.nparts)
                                .map(|q| unsafe { ctx.boards.read(cell, q, k) }.spikes.len() as u64)
                                .sum::<u64>();
                        }
                    }
                    if (t + 1) / every > first / every || t + 1 == total {
                        for (slot, &c) in live.iter().zip(&counts) {
                            slot.store(c, Ordering::Relaxed);
                        }
                        cb(t + 1, total);
                    }
                }
            }
            end
        };
        let reached = if self.parts.len() == 1 {
            run_part(0, &mut self.parts[0])
        } else {
            std::thread::scope(|s| {
                let mut iter = self.parts.iter_mut().enumerate();
                let (_, first) = iter.next().expect("at least one partition");
                let handles: Vec<_> = iter
                    .map(|(pi, part)| s.spawn(move || run_part(pi, part)))
                    .collect();
                let r0 = run_part(0, first);
                for h in handles {
                    let _ = h.join();
                }
                r0
            })
        };
        self.t = reached;
        if let Some(e) = error.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        Ok(t0.elapsed().as_secs_f64())
    }

    /// Write the whole engine state to a checkpoint: the step reached, every neuron's state
    /// and refractory bound, ring buffers, homeostasis, plastic weights and traces, input
    /// cursors and everything recorded so far. [`Network::load_state`] on a network built
    /// from the same validated circuit (same seed and thread count) continues bit for bit.
    pub fn save_state(&self, w: &mut StateWriter) {
        w.tag("ganglion network state v1");
        w.u64(self.parts.len() as u64);
        w.u64(self.steps);
        w.u64(self.t);
        for part in &self.parts {
            w.tag("partition");
            for pp in &part.pops {
                pp.group.save(w);
                w.put(&pp.ring[..]);
                w.put(&pp.spike_count);
                if let Some(h) = &pp.homeo {
                    w.put(h);
                }
            }
            for pj in &part.projs {
                if let Some(pl) = &pj.plastic {
                    w.put(&pj.csr.w[..]);
                    pl.save(w);
                }
            }
            for inp in &part.inputs {
                w.put(inp);
            }
            w.put(&part.rec);
        }
        w.tag("end");
    }

    /// Read a state written by [`Network::save_state`] (see there).
    pub fn load_state(&mut self, r: &mut StateReader) -> Result<(), StateError> {
        if self.dist.is_some() {
            return Err(StateError(
                "checkpoints are not supported in a distributed (MPI) run; run it in one process to checkpoint".into(),
            ));
        }
        r.tag("ganglion network state v1")?;
        let (parts, steps) = (r.u64()?, r.u64()?);
        if parts != self.parts.len() as u64 || steps != self.steps {
            return Err(StateError(format!(
                "the checkpoint is of a run with {parts} threads and {steps} steps, this one has {} threads and {} steps",
                self.parts.len(),
                self.steps
            )));
        }
        let t = r.u64()?;
        for part in self.parts.iter_mut() {
            r.tag("partition")?;
            for pp in part.pops.iter_mut() {
                pp.group.load(r)?;
                r.get(&mut pp.ring[..])?;
                r.get(&mut pp.spike_count)?;
                if let Some(h) = pp.homeo.as_mut() {
                    r.get(h)?;
                }
            }
            for pj in part.projs.iter_mut() {
                if let Some(pl) = pj.plastic.as_mut() {
                    r.get(&mut pj.csr.w[..])?;
                    pl.load(r)?;
                }
            }
            for inp in part.inputs.iter_mut() {
                r.get(inp)?;
            }
            r.get(&mut part.rec)?;
        }
        r.tag("end")?;
        if !r.at_end() {
            return Err(StateError("the checkpoint has trailing bytes".into()));
        }
        self.t = t;
        Ok(())
    }

    /// The results so far; `sim_s` is the simulation time to report.
    pub fn results(&self, sim_s: f64) -> Results {
        let mut counts = self.local_spike_counts();
        let mut recs: Vec<&PartRecorder> = self.parts.iter().map(|p| &p.rec).collect();
        if let Some(remote) = self.dist.as_ref().and_then(|d| d.remote.as_ref()) {
            for (_, c, rec) in &remote.parts {
                counts.iter_mut().zip(c).for_each(|(a, b)| *a += b);
                recs.push(rec);
            }
        }
        Results::merge(
            &self.resolved,
            &self.pops,
            &recs,
            &counts,
            self.t,
            self.dt,
            self.build_s,
            sim_s,
            self.synapses,
            self.synapse_bytes,
            &self.weight_columns,
        )
    }
}
