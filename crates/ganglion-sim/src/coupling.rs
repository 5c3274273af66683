//! The lowering shared by the continuous couplings onto neurons, gap junctions ([`crate::gap`])
//! and astrocytes' slow inward currents ([`crate::sic`]): a list of weighted edges, each onto
//! one neuron from one source cell, laid out per (partition, population) as rows by the
//! neuron fed. Each row holds its sources in the order of their global indices, so the sums
//! taken over it do not depend on the thread count.

use crate::connect::Csr;
use ganglion_model::memory::GAP_EDGE_BYTES;

/// One edge onto a neuron: the source cell's population, partition and index within that
/// partition, and the weight (its unit is the coupling's: nS for a junction's conductance,
/// pA per unit of SIC for an astrocyte).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CouplingEdge {
    pub(crate) pop: u32,
    pub(crate) part: u32,
    pub(crate) off: u32,
    pub(crate) w: f32,
}

// The memory model counts what the engine holds (one junction end's layout).
const _: () = assert!(size_of::<CouplingEdge>() == GAP_EDGE_BYTES);

/// The edges onto one population's neurons in one partition, by neuron.
#[derive(Debug, Clone, Default)]
pub(crate) struct CouplingRows {
    /// `row[i]..row[i+1]` are the edges of local neuron i.
    pub(crate) row: Vec<u32>,
    pub(crate) edges: Vec<CouplingEdge>,
}

impl CouplingRows {
    /// Number of edges held.
    pub(crate) fn len(&self) -> usize {
        self.edges.len()
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.row.len() * size_of::<u32>() + self.edges.len() * GAP_EDGE_BYTES
    }

    /// The edges onto local neuron `i`, sources in global order.
    #[inline]
    pub(crate) fn edges_of(&self, i: usize) -> &[CouplingEdge] {
        &self.edges[self.row[i] as usize..self.row[i + 1] as usize]
    }
}

/// One edge: the neuron fed (population, global index), the source (population, global
/// index) and the weight.
pub(crate) type Edge = ((usize, usize), (usize, usize), f32);

/// Call `f(source, target, w)` for every generated synapse of the projections
/// `(source pop, target pop, csr per partition)`, each end as (population, global index).
pub(crate) fn for_each_synapse(
    projections: &[(usize, usize, Vec<&Csr>)],
    pop_ranges: &[Vec<(usize, usize)>],
    mut f: impl FnMut((usize, usize), (usize, usize), f32),
) {
    for (s_pop, t_pop, csrs) in projections {
        for (p, csr) in csrs.iter().enumerate() {
            let lo = pop_ranges[*t_pop][p].0;
            for s in 0..csr.row_ptr.len() - 1 {
                for k in csr.row_ptr[s] as usize..csr.row_ptr[s + 1] as usize {
                    f(
                        (*s_pop, s),
                        (*t_pop, lo + csr.tgt.get(k) as usize),
                        csr.w[k],
                    );
                }
            }
        }
    }
}

/// Where neuron `global` of a population split by `ranges` lives: (partition, offset).
fn locate(ranges: &[(usize, usize)], global: usize) -> (u32, u32) {
    let q = ranges.partition_point(|&(_, hi)| hi <= global);
    (q as u32, (global - ranges[q].0) as u32)
}

/// Lay `edges` out as rows onto every (partition, population): `Some` (possibly with no
/// edges) for each population `k` with `held[k]`, `None` for the others. Every edge's neuron
/// fed must belong to a held population.
pub(crate) fn rows(
    mut edges: Vec<Edge>,
    held: &[bool],
    pop_ranges: &[Vec<(usize, usize)>],
) -> Vec<Vec<Option<CouplingRows>>> {
    let parts = pop_ranges.first().map_or(1, |r| r.len());
    // Neuron by neuron, sources in global order: the same sums for any thread count.
    edges.sort_by_key(|x| (x.0, x.1, x.2.to_bits()));
    let mut out: Vec<Vec<Option<CouplingRows>>> = (0..parts)
        .map(|p| {
            (0..pop_ranges.len())
                .map(|k| {
                    held[k].then(|| {
                        let (lo, hi) = pop_ranges[k][p];
                        CouplingRows {
                            row: vec![0; hi - lo + 1],
                            edges: vec![],
                        }
                    })
                })
                .collect()
        })
        .collect();
    // `edges` is sorted by the neuron fed, so each row's edges arrive in row order.
    for &((pop, n), (spop, sn), w) in &edges {
        let (p, i) = locate(&pop_ranges[pop], n);
        let (part, off) = locate(&pop_ranges[spop], sn);
        let r = out[p as usize][pop].as_mut().expect("held");
        r.edges.push(CouplingEdge {
            pop: spop as u32,
            part,
            off,
            w,
        });
        r.row[i as usize + 1] += 1;
    }
    for r in out.iter_mut().flatten().flatten() {
        for i in 1..r.row.len() {
            r.row[i] += r.row[i - 1];
        }
    }
    out
}
