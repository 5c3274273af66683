//! Lowering a validated circuit into partitions, and the step loop.
//!
//! ## Schedule (each step t, in this order)
//! 1. **inputs** — Poisson and spike-time inputs write into the ring buffer slots where they
//!    arrive; current inputs fill this step's external current;
//! 2. **delivery** — each neuron reads its ring-buffer slot for step t (channel 0 excitatory,
//!    channel 1 inhibitory), which is then cleared;
//! 3. **neuron update** — the model's kernel advances the state by dt;
//! 4. **threshold/reset** — inside the kernel; spiking neurons are collected in ascending order;
//! 5. **recording** — spikes, state samples and rate bins;
//! 6. **propagation** — every spike (and every rate unit's output) is added to its targets'
//!    ring-buffer slots t + delay.
//!
//! ## Parallelism
//! Every population is split into `threads` contiguous partitions; partition p owns neurons
//! of every population in its range, their ring buffers, and the synapses *onto* them (one
//! CSR per projection). Steps 1–5 touch only the partition's own data; in step 6 each
//! partition reads all partitions' spike lists and writes only its own ring buffers, so
//! delivery needs no atomics. Partitions meet at one spin barrier per step (spike lists are
//! double-buffered by step parity). Additions into each ring-buffer cell happen in the same
//! order for any partitioning, so results are bit-identical for any thread count.
//!
//! Rejected alternative: rayon `par_iter` per population per step costs several µs of
//! fork/join per call, more than a whole step of a 4000-neuron network.

use crate::SimError;
use crate::connect::{Csr, Delays, ProjectionGen};
use crate::models::{Column, NeuronGroup, PopValues, StepIo};
use crate::record::{PartRecorder, Results};
use crate::rng::{Stream, derive};
use crate::sample::{draw, draw_all};
use ganglion_model::{InputKind, Receptor, Resolved};
use rayon::prelude::*;
use std::cell::UnsafeCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// Stream-key labels, so that each kind of object gets its own family of streams.
const TAG_PARAM: u64 = 1 << 40;
const TAG_PROJ: u64 = 2 << 40;
const TAG_INPUT: u64 = 3 << 40;
const TAG_SOURCE: u64 = 4 << 40;

/// Population facts shared by all partitions.
#[derive(Debug, Clone)]
pub struct PopMeta {
    /// Name.
    pub name: String,
    /// Size.
    pub size: usize,
    /// Model name.
    pub model: &'static str,
    /// Whether it spikes (false: rate units).
    pub spiking: bool,
}

/// One population's neurons inside a partition.
#[derive(Debug)]
struct PopPart {
    lo: usize,
    n: usize,
    group: Box<dyn NeuronGroup>,
    /// Ring buffer: `ring[(ch * slots + slot) * n + i]`.
    ring: Vec<f32>,
    slots: usize,
    /// External current this step; stays zero when no current input targets the population.
    i_ext: Vec<f32>,
    has_currents: bool,
    /// Intrinsic plasticity: (target [Hz], rate estimate [Hz]) per neuron, decay, η·dt [mV/Hz].
    homeo: Option<(Vec<f32>, Vec<f32>, f32, f32)>,
    spiked: Vec<u8>,
    spike_count: u64,
}

impl PopPart {
    #[inline]
    fn slot_base(&self, ch: usize, slot: usize) -> usize {
        (ch * self.slots + slot) * self.n
    }
}

#[derive(Debug)]
enum InputPart {
    Poisson {
        pop: usize,
        /// (local index, stream key, λ per step, weight)
        targets: Vec<(u32, u64, f64, f32)>,
        /// Cumulative Poisson probabilities when every target has the same λ < 64 (the usual
        /// case): a sample is then one uniform and a short scan, no exp or division.
        cdf: Option<Vec<f64>>,
        channel: usize,
        delay: usize,
    },
    SpikeTimes {
        pop: usize,
        /// (read step, local index), sorted by step.
        events: Vec<(u64, u32)>,
        cursor: usize,
        weight: f32,
        channel: usize,
    },
    Current {
        pop: usize,
        targets: Vec<(u32, f32)>,
        start: u64,
        stop: u64,
    },
    StepCurrent {
        pop: usize,
        targets: Vec<u32>,
        steps: Vec<u64>,
        amps: Vec<f32>,
    },
    TimeSeries {
        pop: usize,
        /// (local index, column)
        targets: Vec<(u32, usize)>,
        values: std::sync::Arc<[f64]>,
        columns: usize,
        steps_per_sample: f64,
    },
}

impl InputPart {
    fn pop(&self) -> usize {
        match self {
            InputPart::Poisson { pop, .. }
            | InputPart::SpikeTimes { pop, .. }
            | InputPart::Current { pop, .. }
            | InputPart::StepCurrent { pop, .. }
            | InputPart::TimeSeries { pop, .. } => *pop,
        }
    }
}

/// One projection's synapses onto one partition.
#[derive(Debug)]
struct ProjPart {
    source: usize,
    target: usize,
    channel: usize,
    csr: Csr,
    plastic: Option<Box<dyn crate::plasticity::Plastic>>,
}

/// A partition: a slice of every population and everything that writes into it.
#[derive(Debug)]
struct Part {
    pops: Vec<PopPart>,
    projs: Vec<ProjPart>,
    inputs: Vec<InputPart>,
    rec: PartRecorder,
}

/// What a partition publishes each step: its spikes (global ids) and rate outputs.
#[derive(Debug, Default, Clone)]
struct Board {
    spikes: Vec<u32>,
    rates: Vec<f32>,
}

/// Spike lists of all partitions, double-buffered by step parity.
///
/// Invariant: in phase A of step t, partition p writes only cells (t % 2, p, ·); in phase B
/// of step t every partition reads cells (t % 2, ·, ·). A barrier separates A(t) from B(t);
/// A(t+1) writes the other parity; A(t+2) starts only after every partition finished B(t)
/// and A(t+1) (it passed the barrier after A(t+1)).
struct Boards {
    cells: Vec<UnsafeCell<Board>>,
    parts: usize,
    pops: usize,
}

// SAFETY: access is coordinated by the barrier protocol documented on the type.
unsafe impl Sync for Boards {}

impl Boards {
    fn idx(&self, parity: usize, part: usize, pop: usize) -> usize {
        (parity * self.parts + part) * self.pops + pop
    }
    /// SAFETY: caller must be partition `part` in phase A of a step with this parity.
    #[allow(clippy::mut_from_ref)]
    unsafe fn write(&self, parity: usize, part: usize, pop: usize) -> &mut Board {
        unsafe { &mut *self.cells[self.idx(parity, part, pop)].get() }
    }
    /// SAFETY: caller must be in phase B of a step with this parity.
    unsafe fn read(&self, parity: usize, part: usize, pop: usize) -> &Board {
        unsafe { &*self.cells[self.idx(parity, part, pop)].get() }
    }
}

/// The step barrier: threads spin briefly (a step of a small network takes microseconds),
/// then block on a condition variable, so that a thread that lost its core to another
/// process does not leave the others spinning (spinning with `yield_now` alone made a
/// 2-thread CUBA run 200× slower next to one busy process).
struct SpinBarrier {
    count: AtomicUsize,
    generation: AtomicUsize,
    n: usize,
    lock: Mutex<()>,
    wake: std::sync::Condvar,
}

impl SpinBarrier {
    fn new(n: usize) -> Self {
        SpinBarrier {
            count: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            n,
            lock: Mutex::new(()),
            wake: std::sync::Condvar::new(),
        }
    }
    fn wait(&self) {
        let seen = self.generation.load(Ordering::Acquire);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.count.store(0, Ordering::Relaxed);
            // Advance under the lock: a waiter that checked the generation under the lock
            // is then already waiting on the condition variable and gets the notification.
            let guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
            self.generation.fetch_add(1, Ordering::Release);
            drop(guard);
            self.wake.notify_all();
            return;
        }
        for _ in 0..4_000 {
            if self.generation.load(Ordering::Acquire) != seen {
                return;
            }
            std::hint::spin_loop();
        }
        let mut guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        while self.generation.load(Ordering::Acquire) == seen {
            guard = self.wake.wait(guard).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// A built network, ready to run.
pub struct Network {
    dt: f64,
    steps: u64,
    t: u64,
    pops: Vec<PopMeta>,
    parts: Vec<Part>,
    boards: Boards,
    projection_names: Vec<String>,
    synapses: u64,
    synapse_bytes: u64,
    build_s: f64,
    resolved: Resolved,
    weight_columns: Vec<(Vec<(u32, u32)>, u64)>,
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

fn channel_of(r: Receptor, target_spiking: bool, source_spiking: bool) -> usize {
    if !target_spiking {
        // Rate units: channel 0 sums rates continuously, channel 1 takes spike jumps.
        return usize::from(source_spiking);
    }
    match r {
        Receptor::Excitatory => 0,
        Receptor::Inhibitory => 1,
    }
}

fn ranges(n: usize, parts: usize) -> Vec<(usize, usize)> {
    (0..parts)
        .map(|p| (n * p / parts, n * (p + 1) / parts))
        .collect()
}

impl Network {
    /// Lower a validated circuit: draw parameters, generate synapses, allocate ring buffers.
    pub fn build(r: &Resolved) -> Result<Network, SimError> {
        let t0 = Instant::now();
        let parts_n = r.threads.max(1);
        let dt = r.dt;
        // Parameter and initial-state values, drawn once per population from its own streams.
        let values: Vec<PopValues> = r
            .populations
            .iter()
            .enumerate()
            .map(|(pi, p)| {
                let col = |d: &ganglion_model::Distribution, label: u64| {
                    let mut s =
                        Stream::new(derive(r.seed, TAG_PARAM + ((pi as u64) << 16) + label));
                    match draw_all(d, p.size, &mut s) {
                        None => Column::Const(d.as_const().unwrap_or(0.0)),
                        Some(v) => Column::Each(v),
                    }
                };
                PopValues {
                    params: p
                        .params
                        .iter()
                        .enumerate()
                        .map(|(k, d)| col(d, k as u64))
                        .collect(),
                    init: p
                        .init
                        .iter()
                        .enumerate()
                        .map(|(k, d)| col(d, 0x8000 + k as u64))
                        .collect(),
                }
            })
            .collect();
        let pop_ranges: Vec<Vec<(usize, usize)>> = r
            .populations
            .iter()
            .map(|p| ranges(p.size, parts_n))
            .collect();

        // Synapses: every (projection, partition) pair builds independently.
        let jobs: Vec<(usize, usize)> = (0..r.projections.len())
            .flat_map(|j| (0..parts_n).map(move |p| (j, p)))
            .collect();
        let built: Vec<Result<Csr, SimError>> = jobs
            .par_iter()
            .map(|&(j, p)| {
                let pr = &r.projections[j];
                let g = ProjectionGen {
                    proj: pr,
                    key: derive(r.seed, TAG_PROJ + j as u64),
                    ns: r.populations[pr.source].size,
                    nt: r.populations[pr.target].size,
                    same_pop: pr.source == pr.target,
                    dt,
                };
                let (lo, hi) = pop_ranges[pr.target][p];
                g.build_part(lo, hi)
            })
            .collect();
        let mut csrs: Vec<Vec<Option<Csr>>> = (0..r.projections.len())
            .map(|_| (0..parts_n).map(|_| None).collect())
            .collect();
        for ((j, p), c) in jobs.into_iter().zip(built) {
            csrs[j][p] = Some(c?);
        }

        // Ring-buffer depth per population: longest incoming delay + 1.
        let mut slots = vec![2usize; r.populations.len()];
        for (j, pr) in r.projections.iter().enumerate() {
            for c in csrs[j].iter().flatten() {
                slots[pr.target] = slots[pr.target].max(c.max_delay() as usize + 1);
            }
        }
        for inp in &r.inputs {
            let d = match &inp.kind {
                InputKind::Poisson { delay, .. } | InputKind::SpikeTimes { delay, .. } => {
                    (delay / dt).round() as usize
                }
                _ => 0,
            };
            slots[inp.target] = slots[inp.target].max(d + 1);
        }

        let mut parts = Vec::with_capacity(parts_n);
        for p in 0..parts_n {
            let pops: Vec<PopPart> = r
                .populations
                .iter()
                .enumerate()
                .map(|(pi, pop)| {
                    let (lo, hi) = pop_ranges[pi][p];
                    let n = hi - lo;
                    PopPart {
                        lo,
                        n,
                        group: (pop.model.build)(
                            &values[pi],
                            lo,
                            n,
                            dt,
                            derive(r.seed, TAG_SOURCE + pi as u64),
                        ),
                        ring: vec![0.0; 2 * slots[pi] * n],
                        slots: slots[pi],
                        i_ext: vec![0.0; n],
                        has_currents: r.inputs.iter().any(|i| {
                            i.target == pi
                                && matches!(
                                    i.kind,
                                    InputKind::Current { .. }
                                        | InputKind::StepCurrent { .. }
                                        | InputKind::TimeSeries { .. }
                                )
                        }),
                        homeo: pop.homeostasis.as_ref().map(|h| {
                            let mut s = Stream::new(derive(
                                r.seed,
                                TAG_PARAM + ((pi as u64) << 16) + 0x4000,
                            ));
                            let all: Vec<f64> =
                                (0..pop.size).map(|i| draw(&h.target, i, &mut s)).collect();
                            let target = all[lo..hi].iter().map(|&x| x as f32).collect();
                            (
                                (target),
                                vec![0.0f32; n],
                                (-dt / h.tau).exp() as f32,
                                (h.eta * dt * 1e-3) as f32,
                            )
                        }),
                        spiked: vec![0; n],
                        spike_count: 0,
                    }
                })
                .collect();
            let projs = r
                .projections
                .iter()
                .enumerate()
                .map(|(j, pr)| {
                    let csr = csrs[j][p].take().expect("built above");
                    let (lo, hi) = pop_ranges[pr.target][p];
                    let plastic = pr.plasticity.as_ref().map(|pl| {
                        crate::plasticity::new(pl, &csr, r.populations[pr.source].size, hi - lo, dt)
                    });
                    ProjPart {
                        source: pr.source,
                        target: pr.target,
                        channel: channel_of(
                            pr.receptor,
                            r.populations[pr.target].model.spiking,
                            r.populations[pr.source].model.spiking,
                        ),
                        csr,
                        plastic,
                    }
                })
                .collect();
            let inputs = r
                .inputs
                .iter()
                .enumerate()
                .map(|(k, inp)| lower_input(r, k, inp, pop_ranges[inp.target][p]))
                .collect();
            let rec = PartRecorder::new(r, &pop_ranges, p);
            parts.push(Part {
                pops,
                projs,
                inputs,
                rec,
            });
        }
        // Weight monitors: the first `count` synapses of the projection in (source, target)
        // order, each assigned to the partition that holds it.
        let mut weight_columns = vec![(vec![], 1u64); r.monitors.len()];
        for (k, m) in r.monitors.iter().enumerate() {
            if let ganglion_model::MonitorKind::Weights {
                projection,
                count,
                every,
            } = m.kind
            {
                let mut all: Vec<(u32, u32, usize, usize)> = vec![];
                for (p, part) in parts.iter().enumerate() {
                    let pj = &part.projs[projection];
                    let lo = part.pops[pj.target].lo as u32;
                    for s in 0..pj.csr.row_ptr.len() - 1 {
                        for kk in pj.csr.row_ptr[s] as usize..pj.csr.row_ptr[s + 1] as usize {
                            all.push((s as u32, lo + pj.csr.tgt[kk], p, kk));
                        }
                    }
                }
                all.sort();
                all.truncate(count);
                for (p, part) in parts.iter_mut().enumerate() {
                    let mine = all
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| e.2 == p)
                        .map(|(col, e)| (e.3, col))
                        .collect();
                    part.rec.set_weight_synapses(k, mine);
                }
                weight_columns[k] = (all.iter().map(|e| (e.0, e.1)).collect(), every);
            }
        }
        let npops = r.populations.len();
        let boards = Boards {
            cells: (0..2 * parts_n * npops)
                .map(|_| UnsafeCell::new(Board::default()))
                .collect(),
            parts: parts_n,
            pops: npops,
        };
        let synapses: u64 = parts
            .iter()
            .flat_map(|p| p.projs.iter())
            .map(|p| p.csr.len() as u64)
            .sum();
        let synapse_bytes: u64 = parts
            .iter()
            .flat_map(|p| p.projs.iter())
            .map(|p| p.csr.bytes() as u64)
            .sum();
        Ok(Network {
            dt,
            steps: r.steps,
            t: 0,
            pops: r
                .populations
                .iter()
                .map(|p| PopMeta {
                    name: p.name.clone(),
                    size: p.size,
                    model: p.model.name,
                    spiking: p.model.spiking,
                })
                .collect(),
            parts,
            boards,
            projection_names: r.projections.iter().map(|p| p.name.clone()).collect(),
            synapses,
            synapse_bytes,
            build_s: t0.elapsed().as_secs_f64(),
            resolved: r.clone(),
            weight_columns,
        })
    }

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
    /// Target rates [Hz] of a population's intrinsic plasticity, per neuron (None without).
    pub fn homeostasis_targets(&self, pop: usize) -> Option<Vec<f32>> {
        let mut out = vec![];
        for part in &self.parts {
            out.extend_from_slice(&part.pops[pop].homeo.as_ref()?.0);
        }
        Some(out)
    }

    /// Number of synapses of projection `j`.
    pub fn synapse_count_of(&self, j: usize) -> u64 {
        self.parts.iter().map(|p| p.projs[j].csr.len() as u64).sum()
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
    /// and export.
    pub fn synapses_of(&self, j: usize) -> Vec<(u32, u32, f32, f64)> {
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
                        lo + pp.csr.tgt[k],
                        pp.csr.w[k],
                        d as f64 * self.dt,
                    ));
                }
            }
        }
        out.sort_by_key(|a| (a.0, a.1));
        out
    }

    /// Run all remaining steps. `progress(done, total)` is called about 200 times.
    pub fn run(
        &mut self,
        progress: Option<&(dyn Fn(u64, u64) + Sync)>,
    ) -> Result<Results, SimError> {
        let t0 = Instant::now();
        let (start, end) = (self.t, self.steps);
        let error: Mutex<Option<SimError>> = Mutex::new(None);
        let stop = AtomicBool::new(false);
        let barrier = SpinBarrier::new(self.parts.len());
        let every = ((end - start) / 200).max(1);
        let ctx = StepCtx {
            dt: self.dt,
            pops: &self.pops,
            boards: &self.boards,
            nparts: self.parts.len(),
        };
        let run_part = |pi: usize, part: &mut Part| {
            for t in start..end {
                let parity = (t % 2) as usize;
                if let Err(e) = ctx.phase_a(pi, part, t, parity) {
                    let mut slot = error.lock().unwrap_or_else(|p| p.into_inner());
                    if slot.is_none() {
                        *slot = Some(e);
                    }
                    stop.store(true, Ordering::Release);
                }
                if ctx.nparts > 1 {
                    barrier.wait();
                }
                if stop.load(Ordering::Acquire) {
                    return t;
                }
                ctx.phase_b(part, t, parity);
                if pi == 0
                    && let Some(cb) = progress
                    && (t + 1 - start) % every == 0
                {
                    cb(t + 1 - start, end - start);
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
        let sim_s = t0.elapsed().as_secs_f64();
        Ok(self.collect(sim_s))
    }

    fn collect(&self, sim_s: f64) -> Results {
        let counts: Vec<u64> = (0..self.pops.len())
            .map(|k| self.parts.iter().map(|p| p.pops[k].spike_count).sum())
            .collect();
        let recs: Vec<&PartRecorder> = self.parts.iter().map(|p| &p.rec).collect();
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

struct StepCtx<'a> {
    dt: f64,
    pops: &'a [PopMeta],
    boards: &'a Boards,
    nparts: usize,
}

impl StepCtx<'_> {
    /// Steps 1–5 for partition `pi`.
    fn phase_a(&self, pi: usize, part: &mut Part, t: u64, parity: usize) -> Result<(), SimError> {
        // 1. Inputs.
        for pp in part.pops.iter_mut().filter(|pp| pp.has_currents) {
            pp.i_ext.iter_mut().for_each(|x| *x = 0.0);
        }
        for inp in part.inputs.iter_mut() {
            apply_input(inp, &mut part.pops, t);
        }
        for pj in part.projs.iter_mut() {
            if let Some(pl) = pj.plastic.as_mut() {
                pl.decay();
            }
        }
        for (k, pp) in part.pops.iter_mut().enumerate() {
            let n = pp.n;
            let slot = (t % pp.slots as u64) as usize;
            let (b0, b1) = (pp.slot_base(0, slot), pp.slot_base(1, slot));
            // 2–4. Delivery, update, threshold.
            let (lo_half, hi_half) = pp.ring.split_at_mut(b1);
            let ch0 = &mut lo_half[b0..b0 + n];
            let ch1 = &mut hi_half[..n];
            let bad = pp.group.step(StepIo {
                ch0,
                ch1,
                i_ext: &pp.i_ext,
                spiked: &mut pp.spiked,
                step: t,
                has_ext: pp.has_currents,
            });
            if let Some(i) = bad {
                return Err(SimError::NonFinite {
                    population: self.pops[k].name.clone(),
                    neuron: pp.lo + i,
                    step: t,
                    time_ms: (t + 1) as f64 * self.dt,
                });
            }
            // SAFETY: phase A of step t, own partition, parity t % 2.
            let board = unsafe { self.boards.write(parity, pi, k) };
            board.spikes.clear();
            if self.pops[k].spiking {
                collect_spikes(&pp.spiked, pp.lo as u32, &mut board.spikes);
                pp.group.mark_spikes(&board.spikes, pp.lo as u32, t);
                pp.spike_count += board.spikes.len() as u64;
                // The synapse rows of these spikes are scattered over matrices larger than
                // the core's cache and are read in phase B: start loading them now, so that
                // their memory latency overlaps the rest of phase A instead of stalling the
                // delivery loop row after row.
                for pj in part.projs.iter().filter(|pj| pj.source == k) {
                    for &s in &board.spikes {
                        prefetch_row(&pj.csr, s as usize);
                    }
                }
            } else if let Some(r) = pp.group.rates() {
                board.rates.clear();
                board.rates.extend_from_slice(r);
            }
            // Intrinsic plasticity: thresholds follow each neuron's rate error.
            if let Some((target, rate, d, eta_dt)) = pp.homeo.as_mut() {
                let per_spike = (1.0 - *d) / (self.dt * 1e-3) as f32;
                if let Some(th) = pp.group.threshold_mut() {
                    for i in 0..pp.n {
                        rate[i] = rate[i] * *d + per_spike * pp.spiked[i] as f32;
                        th[i] += *eta_dt * (rate[i] - target[i]);
                    }
                }
            }
            // Plasticity: post spikes potentiate the synapses onto them.
            for pj in part.projs.iter_mut().filter(|pj| pj.target == k) {
                if let Some(pl) = pj.plastic.as_mut() {
                    for &g in &board.spikes {
                        pl.on_post(g as usize - pp.lo, &mut pj.csr.w);
                    }
                    pl.after_post(t, &mut pj.csr.w);
                }
            }
            // 5. Recording.
            part.rec.record(k, t, &board.spikes, pp.lo, &*pp.group);
        }
        let projs = &part.projs;
        part.rec.record_weights(t, |j| &projs[j].csr.w);
        Ok(())
    }

    /// Step 6 for one partition: deliver every partition's spikes into this one's buffers.
    fn phase_b(&self, part: &mut Part, t: u64, parity: usize) {
        for pj in part.projs.iter_mut() {
            // Three-factor rules: this step's modulator from the spike lists every partition sees.
            if let Some(pl) = pj.plastic.as_mut() {
                let pops = pl.modulator_populations();
                let count = |p: Option<usize>| -> usize {
                    // SAFETY: phase B of step t reads parity t % 2.
                    p.map(|p| {
                        (0..self.nparts)
                            .map(|q| unsafe { self.boards.read(parity, q, p) }.spikes.len())
                            .sum()
                    })
                    .unwrap_or(0)
                };
                let size = |p: Option<usize>| p.map(|p| self.pops[p].size).unwrap_or(1);
                pl.modulate(
                    t,
                    self.dt,
                    [count(pops[0]), count(pops[1])],
                    [size(pops[0]), size(pops[1])],
                    &mut pj.csr.w,
                );
            }
            let tp = &mut part.pops[pj.target];
            let n = tp.n;
            if n == 0 || (pj.csr.is_empty() && pj.plastic.is_none()) {
                continue;
            }
            let slots = tp.slots;
            let ch_base = pj.channel * slots * n;
            for q in 0..self.nparts {
                // SAFETY: phase B of step t reads parity t % 2.
                let board = unsafe { self.boards.read(parity, q, pj.source) };
                if let Some(pl) = pj.plastic.as_mut() {
                    // Depress each synapse of the spiking source, then deliver the new weight.
                    for &s in &board.spikes {
                        let s = s as usize;
                        pl.on_pre(s, &mut pj.csr);
                        deliver(&mut tp.ring, &pj.csr, s, 1.0, ch_base, n, slots, t);
                        pl.bump_pre(s);
                    }
                    continue;
                }
                let csr = &pj.csr;
                if self.pops[pj.source].spiking {
                    deliver_spikes(&mut tp.ring, csr, &board.spikes, ch_base, n, slots, t);
                } else {
                    let lo = self.rate_lo(q, pj.source);
                    for (j, &rate) in board.rates.iter().enumerate() {
                        if rate != 0.0 {
                            deliver(&mut tp.ring, csr, lo + j, rate, ch_base, n, slots, t);
                        }
                    }
                }
            }
        }
    }

    fn rate_lo(&self, q: usize, pop: usize) -> usize {
        self.pops[pop].size * q / self.nparts
    }
}

/// Add source `s`'s synapses (scaled by `scale`) into the ring slots where they arrive.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn deliver(
    ring: &mut [f32],
    csr: &Csr,
    s: usize,
    scale: f32,
    ch_base: usize,
    n: usize,
    slots: usize,
    t: u64,
) {
    match &csr.delay {
        Delays::Const(d) => {
            let buf = arrival_slot(ring, *d, ch_base, n, slots, t);
            add_row(buf, csr, s, scale);
        }
        Delays::Each(ds) => {
            let (a, b) = (csr.row_ptr[s] as usize, csr.row_ptr[s + 1] as usize);
            let cur = (t % slots as u64) as usize;
            for ((&i, &wi), &d) in csr.tgt[a..b].iter().zip(&csr.w[a..b]).zip(&ds[a..b]) {
                let mut slot = cur + d as usize;
                if slot >= slots {
                    slot -= slots;
                }
                ring[ch_base + slot * n + i as usize] += wi * scale;
            }
        }
    }
}

/// [`deliver`] for every spike of a step: with a constant delay the arrival slot is found
/// once for all of them (a 64-bit division per spike otherwise).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn deliver_spikes(
    ring: &mut [f32],
    csr: &Csr,
    spikes: &[u32],
    ch_base: usize,
    n: usize,
    slots: usize,
    t: u64,
) {
    if let Delays::Const(d) = csr.delay {
        let buf = arrival_slot(ring, d, ch_base, n, slots, t);
        for &s in spikes {
            add_row(buf, csr, s as usize, 1.0);
        }
    } else {
        for &s in spikes {
            deliver(ring, csr, s as usize, 1.0, ch_base, n, slots, t);
        }
    }
}

/// The `n` ring cells of channel base `ch_base` where input sent at step `t` with delay `d`
/// arrives.
#[inline(always)]
fn arrival_slot(
    ring: &mut [f32],
    d: u16,
    ch_base: usize,
    n: usize,
    slots: usize,
    t: u64,
) -> &mut [f32] {
    let slot = ((t + d as u64) % slots as u64) as usize;
    &mut ring[ch_base + slot * n..ch_base + (slot + 1) * n]
}

/// Ask the CPU to start loading the first 256 bytes of source `s`'s targets and weights.
#[inline(always)]
fn prefetch_row(csr: &Csr, s: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let (a, b) = (csr.row_ptr[s] as usize, csr.row_ptr[s + 1] as usize);
        for k in (a..b.min(a + 64)).step_by(16) {
            // SAFETY: k < b ≤ the length of tgt and of w; a prefetch never faults.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(csr.tgt.as_ptr().add(k).cast());
                _mm_prefetch::<_MM_HINT_T0>(csr.w.as_ptr().add(k).cast());
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (csr, s);
}

/// Add source `s`'s synapses, scaled by `scale`, into one arrival slot `buf`.
#[inline(always)]
fn add_row(buf: &mut [f32], csr: &Csr, s: usize, scale: f32) {
    let (a, b) = (csr.row_ptr[s] as usize, csr.row_ptr[s + 1] as usize);
    for (&i, &wi) in csr.tgt[a..b].iter().zip(&csr.w[a..b]) {
        buf[i as usize] += wi * scale;
    }
}

/// Append global ids of neurons whose flag is set, in ascending order. Spikes are rare (a
/// few per thousand neurons per step), so 64 flags are tested at once (one vector OR) and
/// only blocks with a spike are looked at word by word.
#[inline]
fn collect_spikes(flags: &[u8], lo: u32, out: &mut Vec<u32>) {
    let mut blocks = flags.chunks_exact(64);
    let mut base = 0u32;
    for b in &mut blocks {
        let mut words = [0u64; 8];
        for (w, c) in words.iter_mut().zip(b.chunks_exact(8)) {
            *w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        }
        if words.iter().fold(0, |a, &w| a | w) != 0 {
            push_set(b, lo + base, out);
        }
        base += 64;
    }
    push_set(blocks.remainder(), lo + base, out);
}

/// Append `first + j` for every non-zero `flags[j]`, testing 8 flags per word.
#[inline]
fn push_set(flags: &[u8], first: u32, out: &mut Vec<u32>) {
    for (k, c) in flags.chunks(8).enumerate() {
        if c.iter().any(|&f| f != 0) {
            for (j, &f) in c.iter().enumerate() {
                if f != 0 {
                    out.push(first + (8 * k + j) as u32);
                }
            }
        }
    }
}

fn apply_input(inp: &mut InputPart, pops: &mut [PopPart], t: u64) {
    let pp = &mut pops[inp.pop()];
    match inp {
        InputPart::Poisson {
            targets,
            cdf,
            channel,
            delay,
            ..
        } => {
            let slot = ((t + *delay as u64) % pp.slots as u64) as usize;
            let base = pp.slot_base(*channel, slot);
            let salt = t.wrapping_mul(0xD1B5_4A32_D192_ED03);
            match cdf {
                Some(cdf) => {
                    for &(i, key, _, w) in targets.iter() {
                        let u = crate::rng::unit_f64(crate::rng::mix64(key ^ salt));
                        let k = cdf.iter().position(|&f| u < f).unwrap_or(cdf.len());
                        if k > 0 {
                            pp.ring[base + i as usize] += k as f32 * w;
                        }
                    }
                }
                None => {
                    for &(i, key, lambda, w) in targets.iter() {
                        let mut s = Stream::new(key ^ salt);
                        let k = s.poisson(lambda);
                        if k > 0 {
                            pp.ring[base + i as usize] += k as f32 * w;
                        }
                    }
                }
            }
        }
        InputPart::SpikeTimes {
            events,
            cursor,
            weight,
            channel,
            ..
        } => {
            let slot = (t % pp.slots as u64) as usize;
            let base = pp.slot_base(*channel, slot);
            while *cursor < events.len() && events[*cursor].0 <= t {
                let (step, i) = events[*cursor];
                if step == t {
                    pp.ring[base + i as usize] += *weight;
                }
                *cursor += 1;
            }
        }
        InputPart::Current {
            targets,
            start,
            stop,
            ..
        } => {
            if t >= *start && t < *stop {
                for &(i, a) in targets.iter() {
                    pp.i_ext[i as usize] += a;
                }
            }
        }
        InputPart::StepCurrent {
            targets,
            steps,
            amps,
            ..
        } => {
            let k = steps.partition_point(|&s| s <= t);
            if k > 0 {
                let a = amps[k - 1];
                for &i in targets.iter() {
                    pp.i_ext[i as usize] += a;
                }
            }
        }
        InputPart::TimeSeries {
            targets,
            values,
            columns,
            steps_per_sample,
            ..
        } => {
            let row = (t as f64 / *steps_per_sample).floor() as usize;
            let rows = values.len() / *columns;
            if row < rows {
                for &(i, c) in targets.iter() {
                    pp.i_ext[i as usize] += values[row * *columns + c] as f32;
                }
            }
        }
    }
}

fn lower_input(
    r: &Resolved,
    k: usize,
    inp: &ganglion_model::ResolvedInput,
    (lo, hi): (usize, usize),
) -> InputPart {
    let dt = r.dt;
    let pop = inp.target;
    let tp = &r.populations[pop];
    // (local index, position in the input's neuron list) for targets in this partition.
    let targets: Vec<(u32, usize)> = match &inp.neurons {
        None => (lo..hi).map(|g| ((g - lo) as u32, g)).collect(),
        Some(list) => list
            .iter()
            .enumerate()
            .filter(|&(_, &g)| (g as usize) >= lo && (g as usize) < hi)
            .map(|(j, &g)| (g - lo as u32, j))
            .collect(),
    };
    let key = derive(r.seed, TAG_INPUT + k as u64);
    let global = |i: u32| i as u64 + lo as u64;
    let chan = |rc: Receptor| channel_of(rc, tp.model.spiking, true);
    match &inp.kind {
        InputKind::Poisson {
            rate,
            weight,
            delay,
            receptor,
        } => {
            // Rates and weights are drawn per targeted neuron from their own streams, indexed by
            // the neuron's position in the input's list, so any partitioning gets the same values.
            let value = |d: &ganglion_model::Distribution, label: u64, j: usize| {
                let mut s = Stream::new(derive(derive(key, label), j as u64));
                draw(d, j, &mut s)
            };
            let targets: Vec<(u32, u64, f64, f32)> = targets
                .iter()
                .map(|&(i, j)| {
                    (
                        i,
                        derive(key, 1_000_000 + global(i)),
                        value(rate, 1, j) * dt * 1e-3,
                        value(weight, 2, j) as f32,
                    )
                })
                .collect();
            let cdf = rate
                .as_const()
                .map(|r| r * dt * 1e-3)
                .filter(|&l| l < 64.0)
                .map(poisson_cdf);
            InputPart::Poisson {
                pop,
                targets,
                cdf,
                channel: chan(*receptor),
                delay: (delay / dt).round() as usize,
            }
        }
        InputKind::SpikeTimes {
            events,
            weight,
            delay,
            receptor,
        } => {
            let mut ev: Vec<(u64, u32)> = events
                .iter()
                .filter(|&&(g, _)| (g as usize) >= lo && (g as usize) < hi)
                .map(|&(g, time)| {
                    let read = (((time + delay) / dt).round() as i64 - 1).max(0) as u64;
                    (read, g - lo as u32)
                })
                .collect();
            ev.sort();
            InputPart::SpikeTimes {
                pop,
                events: ev,
                cursor: 0,
                weight: *weight as f32,
                channel: chan(*receptor),
            }
        }
        InputKind::Current {
            amplitude,
            start,
            stop,
        } => {
            let mut s = Stream::new(derive(key, 3));
            let all: Vec<f64> = match amplitude {
                ganglion_model::Distribution::Const(a) => {
                    vec![*a; inp.neurons.as_ref().map(|v| v.len()).unwrap_or(tp.size)]
                }
                d => (0..inp.neurons.as_ref().map(|v| v.len()).unwrap_or(tp.size))
                    .map(|j| draw(d, j, &mut s))
                    .collect(),
            };
            InputPart::Current {
                pop,
                targets: targets.iter().map(|&(i, j)| (i, all[j] as f32)).collect(),
                start: (start / dt).round() as u64,
                stop: if stop.is_finite() {
                    (stop / dt).round() as u64
                } else {
                    u64::MAX
                },
            }
        }
        InputKind::StepCurrent { times, amplitudes } => InputPart::StepCurrent {
            pop,
            targets: targets.iter().map(|&(i, _)| i).collect(),
            steps: times.iter().map(|t| (t / dt).round() as u64).collect(),
            amps: amplitudes.iter().map(|&a| a as f32).collect(),
        },
        InputKind::TimeSeries {
            values,
            columns,
            step,
        } => InputPart::TimeSeries {
            pop,
            targets: targets
                .iter()
                .map(|&(i, j)| (i, if *columns == 1 { 0 } else { j }))
                .collect(),
            values: values.clone(),
            columns: *columns,
            steps_per_sample: step / dt,
        },
    }
}

/// Cumulative probabilities P(K ≤ k) of a Poisson(λ) count, up to where they reach 1 − 1e-16.
fn poisson_cdf(lambda: f64) -> Vec<f64> {
    let mut out = vec![];
    let mut p = (-lambda).exp();
    let mut f = p;
    let mut k = 0.0;
    while f < 1.0 - 1e-16 && out.len() < 400 {
        out.push(f);
        k += 1.0;
        p *= lambda / k;
        f += p;
    }
    out
}
