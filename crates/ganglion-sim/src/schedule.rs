//! The step schedule: what happens in each step, in which order, and which partition touches
//! what.
//!
//! ## Phases of step t
//! Phase A (each partition on its own data):
//! 1. **inputs** — Poisson and spike-time inputs write into the ring-buffer slots where they
//!    arrive; current inputs fill this step's external current, gap junctions add theirs
//!    from the potentials every partition published at the end of step t − 1 (see
//!    [`crate::gap`]), and slow inward currents theirs from the astrocytes' outputs of
//!    step t − 1 (see [`crate::sic`]); plasticity traces decay;
//! 2. **delivery** — each neuron reads its ring-buffer slot for step t (channel 0 excitatory,
//!    channel 1 inhibitory), which is then cleared;
//! 3. **neuron update** — the model's kernel advances the state by dt;
//! 4. **threshold/reset** — inside the kernel; spiking neurons are collected in ascending
//!    order and start their refractory period;
//! 5. **homeostasis** — adapting thresholds follow each neuron's rate error;
//! 6. **plasticity (post)** — each postsynaptic spike updates the synapses onto it; synaptic
//!    scaling rescales at its interval;
//! 7. **recording** — spikes, state samples, rate bins and weight samples; populations with
//!    gap junctions publish their potentials for step t + 1.
//!
//! Barrier. Phase B (each partition reads every partition's spike lists, writes its own):
//! 8. **neuromodulation** — three-factor rules turn eligibility into weight;
//! 9. **plasticity (pre) and propagation** — each presynaptic spike updates its plastic
//!    synapses, then every spike (and every rate unit's output) is added to its targets'
//!    ring-buffer slots t + delay.
//!
//! This is `../shared/DESIGN.md`'s schedule with plasticity split around the spike exchange
//! (post-spike updates need only local spikes; pre-spike updates happen where the spikes are
//! delivered) and recording before propagation, so a step's records never wait on the barrier.

use crate::SimError;
use crate::delivery::{collect_spikes, deliver, deliver_spikes, prefetch_row};
use crate::exchange::Boards;
use crate::inputs::apply_input;
use crate::models::{NeuronGroup, StepIo};
use crate::network::Part;
use crate::record::PopMeta;

pub(crate) struct StepCtx<'a> {
    pub(crate) dt: f64,
    pub(crate) pops: &'a [PopMeta],
    pub(crate) boards: &'a Boards,
    pub(crate) nparts: usize,
}

impl StepCtx<'_> {
    /// Steps 1–5 for partition `pi` (global index). Poisson inputs arriving after step
    /// `horizon` are held back for [`StepCtx::deliver_epoch`] (`u64::MAX`: none are).
    pub(crate) fn phase_a(
        &self,
        pi: usize,
        part: &mut Part,
        t: u64,
        parity: usize,
        horizon: u64,
    ) -> Result<(), SimError> {
        // 1. Inputs.
        for pp in part.pops.iter_mut().filter(|pp| pp.has_currents) {
            pp.i_ext.iter_mut().for_each(|x| *x = 0.0);
        }
        for inp in part.inputs.iter_mut() {
            if held_back(inp, t, horizon) {
                continue;
            }
            apply_input(inp, &mut part.pops, t);
        }
        let previous = (parity + self.boards.depth - 1) % self.boards.depth;
        for (k, pp) in part.pops.iter_mut().enumerate() {
            if let Some(gap) = &pp.gap {
                // SAFETY: phase A of step t reads the cells step t − 1 wrote (parity
                // (t − 1) % 2), read-only until the barrier of step t (see `Boards`).
                let v = |pop: usize, q: usize| unsafe {
                    self.boards.read(previous, q, pop).voltages.as_slice()
                };
                gap.add_currents(v(k, pi), v, &mut pp.i_ext);
            }
            if let Some(sic) = &pp.sic {
                // SAFETY: as for gap junctions: the astrocytes' outputs of step t − 1.
                let s = |pop: usize, q: usize| unsafe {
                    self.boards.read(previous, q, pop).rates.as_slice()
                };
                sic.add_currents(s, &mut pp.i_ext);
            }
        }
        for pj in part.projs.iter_mut() {
            if let Some(pl) = pj.plastic.as_mut() {
                pl.decay(t, &mut pj.csr.w);
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
            if let Some(h) = pp.homeo.as_mut()
                && let Some(th) = pp.group.threshold_mut()
            {
                h.update(&pp.spiked, th, self.dt);
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
            if pp.gap.is_some() {
                publish_voltages(&mut board.voltages, &*pp.group, pp.n);
            }
        }
        let projs = &part.projs;
        part.rec.record_weights(t, |j| &projs[j].csr.w);
        Ok(())
    }

    /// Step 6 for one partition: deliver every partition's spikes into this one's buffers.
    pub(crate) fn phase_b(&self, part: &mut Part, t: u64, parity: usize) {
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
            // Rate rules: this step's rates of the targets move the weights delivered below.
            if let Some(pl) = pj.plastic.as_mut()
                && pl.reads_target_rates()
                && let Some(local) = tp.group.rates()
            {
                // One running sum in neuron order: the same value whatever the partitioning.
                let mean = || {
                    let (mut sum, mut count) = (0.0f64, 0usize);
                    for q in 0..self.nparts {
                        // SAFETY: phase B of step t reads parity t % 2.
                        let r = &unsafe { self.boards.read(parity, q, pj.target) }.rates;
                        r.iter().for_each(|&x| sum += x as f64);
                        count += r.len();
                    }
                    sum / count.max(1) as f64
                };
                pl.on_target_rates(local, &mean, &mut pj.csr.w);
            }
            let slots = tp.slots;
            let ch_base = pj.channel * slots * n;
            for q in 0..self.nparts {
                // SAFETY: phase B of step t reads parity t % 2.
                let board = unsafe { self.boards.read(parity, q, pj.source) };
                if let Some(pl) = pj.plastic.as_mut()
                    && self.pops[pj.source].spiking
                {
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

    /// The end of a min-delay epoch `first..=last` (see [`crate::distributed`]): for each
    /// step in order, the Poisson inputs held back in its phase A, then phase B with every
    /// partition's spikes of that step — the order of additions of a step-by-step run.
    pub(crate) fn deliver_epoch(&self, part: &mut Part, first: u64, last: u64) {
        for t in first..=last {
            for inp in part.inputs.iter_mut() {
                if held_back(inp, t, last) {
                    apply_input(inp, &mut part.pops, t);
                }
            }
            self.phase_b(part, t, (t % self.boards.depth as u64) as usize);
        }
    }

    pub(crate) fn rate_lo(&self, q: usize, pop: usize) -> usize {
        self.pops[pop].size * q / self.nparts
    }
}

/// Whether a Poisson input of step `t` arrives after `horizon`, the last step of the
/// current exchange epoch: it is then applied at the epoch's end instead of in phase A.
fn held_back(inp: &crate::inputs::InputPart, t: u64, horizon: u64) -> bool {
    matches!(inp, crate::inputs::InputPart::Poisson { delay, .. } if t + *delay as u64 > horizon)
}

/// Publish the coupled potential (state variable 0) of a population's `n` neurons.
pub(crate) fn publish_voltages(out: &mut Vec<f32>, group: &dyn NeuronGroup, n: usize) {
    out.clear();
    out.extend((0..n).map(|i| group.get(0, i)));
}
