//! Lowering a validated circuit into partitions: parameter and initial-state values drawn
//! once per population, synapses generated per (projection, partition), ring buffers sized by
//! the longest incoming delay, inputs and recorders per partition.

use crate::SimError;
use crate::connect::{Csr, ProjectionGen};
use crate::distributed::RankExchange;
use crate::exchange::{Board, Boards};
use crate::homeostasis::Homeostasis;
use crate::inputs::lower_input;
use crate::models::{Column, PopValues};
use crate::network::{
    Network, Part, PopPart, ProjPart, TAG_PARAM, TAG_PROJ, TAG_SOURCE, channel_of, ranges,
};
use crate::record::{PartRecorder, PopMeta};
use crate::reuse::{SynapseCache, SynapseKey, const_weight};
use crate::rng::{Stream, derive};
use crate::sample::draw_all;
use ganglion_model::{InputKind, Resolved};
use rayon::prelude::*;
use std::cell::UnsafeCell;
use std::sync::Arc;
use std::time::Instant;

impl Network {
    /// Lower a validated circuit: draw parameters, generate synapses, allocate ring buffers.
    pub fn build(r: &Resolved) -> Result<Network, SimError> {
        Network::build_with(r, None)
    }

    /// [`build`](Network::build), taking the synapses of every projection that `cache` holds
    /// from an earlier build of the same connectivity (see [`SynapseCache`]) and keeping this
    /// build's for the next one. The network is the same as `build` gives, bit for bit.
    pub fn build_reusing(r: &Resolved, cache: &mut SynapseCache) -> Result<Network, SimError> {
        Network::build_with(r, Some(cache))
    }

    fn build_with(r: &Resolved, cache: Option<&mut SynapseCache>) -> Result<Network, SimError> {
        Network::build_inner(r, cache, None)
    }

    /// This rank's partitions of a distributed build (see [`crate::distributed`]): the
    /// network has `ranks × threads` partitions and this rank builds `rank × threads ..
    /// (rank + 1) × threads`; totals over ranks are filled in by `build_distributed`.
    pub(crate) fn build_part(
        r: &Resolved,
        dist: Option<Arc<dyn RankExchange>>,
    ) -> Result<Network, SimError> {
        Network::build_inner(r, None, dist)
    }

    fn build_inner(
        r: &Resolved,
        mut cache: Option<&mut SynapseCache>,
        dist: Option<Arc<dyn RankExchange>>,
    ) -> Result<Network, SimError> {
        let t0 = Instant::now();
        let (rank, ranks) = dist.as_ref().map_or((0, 1), |d| (d.rank(), d.ranks()));
        let local_n = r.threads.max(1);
        let parts_n = local_n * ranks;
        let mine = rank * local_n..(rank + 1) * local_n;
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

        // Synapses: every (projection, partition) pair builds independently, unless the cache
        // has the projection's.
        let keys: Vec<SynapseKey> = r
            .projections
            .iter()
            .enumerate()
            .map(|(j, pr)| {
                let sizes = (r.populations[pr.source].size, r.populations[pr.target].size);
                SynapseKey::new(pr, sizes, derive(r.seed, TAG_PROJ + j as u64), dt, parts_n)
            })
            .collect();
        let mut csrs: Vec<Vec<Option<Csr>>> = (0..r.projections.len())
            .map(|_| (0..parts_n).map(|_| None).collect())
            .collect();
        let mut reused = vec![false; r.projections.len()];
        if let Some(cache) = cache.as_deref_mut() {
            for (j, key) in keys.iter().enumerate() {
                if let Some(parts) = cache.take(key, const_weight(&r.projections[j])) {
                    csrs[j] = parts.into_iter().map(Some).collect();
                    reused[j] = true;
                }
            }
        }
        // A rank builds its own partitions' synapses, and gap-junction and SIC edges for all
        // partitions (both ends of each are needed; see `crate::distributed`).
        let all_parts = |j: usize| r.projections[j].electrical || r.projections[j].sic;
        let jobs: Vec<(usize, usize)> = (0..r.projections.len())
            .filter(|&j| csrs[j][0].is_none())
            .flat_map(|j| {
                let ps = if all_parts(j) {
                    0..parts_n
                } else {
                    mine.clone()
                };
                ps.map(move |p| (j, p))
            })
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
        for ((j, p), c) in jobs.into_iter().zip(built) {
            csrs[j][p] = Some(c?);
        }
        if let Some(cache) = cache {
            // The generated matrices are copied before the run changes plastic weights.
            let built = keys
                .into_iter()
                .zip(&csrs)
                .zip(reused)
                .map(|((k, parts), reused)| {
                    (
                        k,
                        (!reused).then(|| parts.iter().flatten().cloned().collect()),
                    )
                })
                .collect();
            cache.keep(built);
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

        // Gap junctions: both ends of every generated pair, onto each (partition, population).
        let electrical: Vec<(usize, usize, Vec<&Csr>)> = r
            .projections
            .iter()
            .enumerate()
            .filter(|(_, pr)| pr.electrical)
            .map(|(j, pr)| {
                let c = csrs[j].iter().map(|c| c.as_ref().expect("built")).collect();
                (pr.source, pr.target, c)
            })
            .collect();
        let mut gaps = crate::gap::lower(&electrical, &pop_ranges);
        // SIC projections: one edge per generated synapse, onto each (partition, population);
        // their matrices stay empty too.
        let sic_projs: Vec<(usize, usize, Vec<&Csr>)> = r
            .projections
            .iter()
            .enumerate()
            .filter(|(_, pr)| pr.sic)
            .map(|(j, pr)| {
                let c = csrs[j].iter().map(|c| c.as_ref().expect("built")).collect();
                (pr.source, pr.target, c)
            })
            .collect();
        let mut sics = crate::sic::lower(&sic_projs, &pop_ranges);
        let sic_edges: u64 = sics
            .iter()
            .flatten()
            .flatten()
            .map(|s| s.len() as u64)
            .sum();
        let gap_pairs: u64 = gaps
            .iter()
            .flatten()
            .flatten()
            .map(|g| g.len() as u64)
            .sum::<u64>()
            / 2;
        // The junctions and SIC edges now live in `gaps` and `sics`: their projections keep an empty matrix,
        // so delivery and prefetching pass over it like any projection without synapses.
        for (j, pr) in r
            .projections
            .iter()
            .enumerate()
            .filter(|(_, p)| p.electrical || p.sic)
        {
            let ns = r.populations[pr.source].size;
            csrs[j].iter_mut().for_each(|c| *c = Some(Csr::empty(ns)));
        }

        let mut parts = Vec::with_capacity(local_n);
        for p in mine.clone() {
            let pops: Vec<PopPart> = r
                .populations
                .iter()
                .enumerate()
                .map(|(pi, pop)| {
                    let (lo, hi) = pop_ranges[pi][p];
                    let n = hi - lo;
                    let gap = gaps[p][pi].take();
                    let sic = sics[p][pi].take();
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
                        has_currents: gap.is_some()
                            || sic.is_some()
                            || r.inputs.iter().any(|i| {
                                i.target == pi
                                    && matches!(
                                        i.kind,
                                        InputKind::Current { .. }
                                            | InputKind::StepCurrent { .. }
                                            | InputKind::TimeSeries { .. }
                                    )
                            }),
                        gap,
                        sic,
                        homeo: pop.homeostasis.as_ref().map(|h| {
                            Homeostasis::new(
                                h,
                                pop.size,
                                (lo, hi),
                                dt,
                                r.seed,
                                TAG_PARAM + ((pi as u64) << 16) + 0x4000,
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
                    let plastic = match pr.plasticity.as_ref() {
                        None => None,
                        Some(pl) => Some(
                            crate::plasticity::new(
                                pl,
                                &csr,
                                r.populations[pr.source].size,
                                hi - lo,
                                crate::plasticity::TargetRange {
                                    lo,
                                    size: r.populations[pr.target].size,
                                    key: derive(r.seed, TAG_PROJ + j as u64) ^ 0x9a1e,
                                },
                                dt,
                            )
                            .map_err(|e| {
                                SimError::Build(format!(
                                    "projection \"{}\": {e}\n  hint: lengthen the delays or shorten plasticity.axonal_delay",
                                    pr.name
                                ))
                            })?,
                        ),
                    };
                    Ok(ProjPart {
                        source: pr.source,
                        target: pr.target,
                        channel: channel_of(
                            pr.receptor,
                            r.populations[pr.target].model.spiking,
                            r.populations[pr.source].model.spiking,
                        ),
                        csr,
                        plastic,
                    })
                })
                .collect::<Result<Vec<_>, SimError>>()?;
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
        let mut weight_all = vec![];
        for (k, m) in r.monitors.iter().enumerate() {
            if let ganglion_model::MonitorKind::Weights {
                projection,
                count,
                every,
            } = m.kind
            {
                let mut all: Vec<(u32, u32, usize, usize)> = vec![];
                for (p, part) in parts.iter().enumerate() {
                    let p = mine.start + p;
                    let pj = &part.projs[projection];
                    let lo = part.pops[pj.target].lo as u32;
                    for s in 0..pj.csr.row_ptr.len() - 1 {
                        for kk in pj.csr.row_ptr[s] as usize..pj.csr.row_ptr[s + 1] as usize {
                            all.push((s as u32, lo + pj.csr.tgt.get(kk), p, kk));
                        }
                    }
                }
                all.sort();
                all.truncate(count);
                if let Some(ex) = &dist {
                    all = crate::distributed::merge_candidates(&**ex, &all, count);
                }
                for (p, part) in parts.iter_mut().enumerate() {
                    let p = mine.start + p;
                    let chosen = all
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| e.2 == p)
                        .map(|(col, e)| (e.3, col))
                        .collect();
                    part.rec.set_weight_synapses(k, chosen);
                }
                weight_columns[k] = (all.iter().map(|e| (e.0, e.1)).collect(), every);
                if dist.is_some() {
                    weight_all.push((k, all));
                }
            }
        }
        let npops = r.populations.len();
        let boards = Boards {
            cells: (0..2 * parts_n * npops)
                .map(|_| UnsafeCell::new(Board::default()))
                .collect(),
            parts: parts_n,
            pops: npops,
            depth: 2,
        };
        let synapses: u64 = gap_pairs
            + sic_edges
            + parts
                .iter()
                .flat_map(|p| p.projs.iter())
                .map(|p| p.csr.len() as u64)
                .sum::<u64>();
        let gap_bytes: u64 = parts
            .iter()
            .flat_map(|p| p.pops.iter())
            .filter_map(|pp| pp.gap.as_ref())
            .map(|g| g.bytes() as u64)
            .sum::<u64>()
            + parts
                .iter()
                .flat_map(|p| p.pops.iter())
                .filter_map(|pp| pp.sic.as_ref())
                .map(|s| s.bytes() as u64)
                .sum::<u64>();
        let synapse_bytes: u64 = gap_bytes
            + parts
                .iter()
                .flat_map(|p| p.projs.iter())
                .map(|p| p.csr.bytes() as u64)
                .sum::<u64>();
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
            part_lo: mine.start,
            dist: None,
            weight_all,
            live: (0..r.populations.len())
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect(),
            progress_every: 0,
        })
    }
}
