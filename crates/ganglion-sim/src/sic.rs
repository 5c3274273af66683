//! Slow inward currents (SIC) from astrocytes into neurons: the astrocyte-to-neuron half of a
//! tripartite synapse, NEST's `sic_connection`. Neuron i receives I_i = Σ_j w_ij·SIC_j from
//! every astrocyte j projecting onto it with `synapse = "sic"`, where SIC_j is the
//! astrocyte's output (`astrocyte_lr_1994`: SIC_scale·ln((Ca − SIC_th)/nM) above threshold).
//!
//! Like gap junctions (see [`crate::gap`]) the coupling is continuous and explicit: step t
//! uses the SIC the astrocytes reached at the end of step t − 1, which every partition
//! publishes on its board (an astrocyte's SIC is its `rates()` lane), and the current is held
//! over the step like any external current. NEST's `aeif_cond_alpha_astro` uses in step t
//! the SIC of step t − 1 − d for a `sic_connection` of delay d steps (≥ 1), so a NEST
//! connection of the shortest delay lags ours by one step; the SIC changes on the scale of
//! seconds, so that step is far below the calcium dynamics' resolution. Each neuron sums its
//! astrocytes in the order of their global indices, so the result does not depend on the
//! thread count.

use crate::connect::Csr;
use ganglion_model::memory::GAP_EDGE_BYTES;

/// One SIC edge onto a neuron: the astrocyte's population, partition and index within that
/// partition, and the weight (pA per unit of SIC).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SicEdge {
    pub(crate) pop: u32,
    pub(crate) part: u32,
    pub(crate) off: u32,
    pub(crate) w: f32,
}

// The memory model counts what the engine holds (one junction end's layout).
const _: () = assert!(size_of::<SicEdge>() == GAP_EDGE_BYTES);

/// The SIC edges onto one population's neurons in one partition, by neuron.
#[derive(Debug, Clone, Default)]
pub(crate) struct SicIn {
    /// `row[i]..row[i+1]` are the edges of local neuron i.
    row: Vec<u32>,
    edges: Vec<SicEdge>,
}

impl SicIn {
    /// Number of edges held.
    pub(crate) fn len(&self) -> usize {
        self.edges.len()
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.row.len() * size_of::<u32>() + self.edges.len() * GAP_EDGE_BYTES
    }

    /// Add each neuron's slow inward current (pA) to `i_ext`, from the astrocytes' outputs
    /// in `sic(pop, part)` (the previous step's, as published).
    #[inline]
    pub(crate) fn add_currents<'a>(
        &self,
        sic: impl Fn(usize, usize) -> &'a [f32],
        i_ext: &mut [f32],
    ) {
        for (i, x) in i_ext.iter_mut().enumerate() {
            let edges = &self.edges[self.row[i] as usize..self.row[i + 1] as usize];
            let mut current = 0.0f32;
            for e in edges {
                let s = sic(e.pop as usize, e.part as usize)[e.off as usize];
                current = e.w.mul_add(s, current);
            }
            *x += current;
        }
    }
}

/// Where neuron `global` of a population split by `ranges` lives: (partition, offset).
fn locate(ranges: &[(usize, usize)], global: usize) -> (u32, u32) {
    let q = ranges.partition_point(|&(_, hi)| hi <= global);
    (q as u32, (global - ranges[q].0) as u32)
}

/// One edge: the neuron fed (population, global index), the astrocyte (population, global
/// index) and the weight.
type Edge = ((usize, usize), (usize, usize), f32);

/// The SIC edges onto every (partition, population), from the generated synapses of the
/// SIC projections `(source, target, csr per partition)`; `None` where a population is the
/// target of none.
pub(crate) fn lower(
    projections: &[(usize, usize, Vec<&Csr>)],
    pop_ranges: &[Vec<(usize, usize)>],
) -> Vec<Vec<Option<SicIn>>> {
    let parts = pop_ranges.first().map_or(1, |r| r.len());
    let mut fed = vec![false; pop_ranges.len()];
    let mut all: Vec<Edge> = vec![];
    for (s_pop, t_pop, csrs) in projections {
        fed[*t_pop] = true;
        for (p, csr) in csrs.iter().enumerate() {
            let lo = pop_ranges[*t_pop][p].0;
            for s in 0..csr.row_ptr.len() - 1 {
                for k in csr.row_ptr[s] as usize..csr.row_ptr[s + 1] as usize {
                    all.push(((*t_pop, lo + csr.tgt[k] as usize), (*s_pop, s), csr.w[k]));
                }
            }
        }
    }
    // Neuron by neuron, astrocytes in global order: the same sums for any thread count.
    all.sort_by_key(|x| (x.0, x.1, x.2.to_bits()));
    let mut out: Vec<Vec<Option<SicIn>>> = (0..parts)
        .map(|p| {
            (0..pop_ranges.len())
                .map(|k| {
                    fed[k].then(|| {
                        let (lo, hi) = pop_ranges[k][p];
                        SicIn {
                            row: vec![0; hi - lo + 1],
                            edges: vec![],
                        }
                    })
                })
                .collect()
        })
        .collect();
    for &((pop, n), (spop, sn), w) in &all {
        let (p, i) = locate(&pop_ranges[pop], n);
        let (part, off) = locate(&pop_ranges[spop], sn);
        let si = out[p as usize][pop].as_mut().expect("fed");
        si.edges.push(SicEdge {
            pop: spop as u32,
            part,
            off,
            w,
        });
        si.row[i as usize + 1] += 1;
    }
    for si in out.iter_mut().flatten().flatten() {
        for i in 1..si.row.len() {
            si.row[i] += si.row[i - 1];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::Delays;

    #[test]
    fn edges_follow_partitions_and_currents_sum_weighted_sic() {
        // Astrocytes: population 0, 2 of them, one per partition. Neurons: population 1,
        // 4 of them, 2 per partition. Astrocyte 0 → neuron 3 (w 2), astrocyte 1 → neurons 3
        // (w 0.5) and 0 (w 1). Each partition's CSR holds the synapses onto its own neurons.
        let csr_p0 = Csr {
            row_ptr: vec![0, 0, 1],
            tgt: vec![0],
            w: vec![1.0],
            delay: Delays::Const(1),
        };
        let csr_p1 = Csr {
            row_ptr: vec![0, 1, 2],
            tgt: vec![1, 1],
            w: vec![2.0, 0.5],
            delay: Delays::Const(1),
        };
        let ranges = vec![vec![(0, 1), (1, 2)], vec![(0, 2), (2, 4)]];
        let s = lower(&[(0, 1, vec![&csr_p0, &csr_p1])], &ranges);
        assert!(
            s[0][0].is_none() && s[1][0].is_none(),
            "astrocytes receive nothing"
        );
        let (a, b) = (s[0][1].as_ref().unwrap(), s[1][1].as_ref().unwrap());
        let edge = |pop, part, off, w| SicEdge { pop, part, off, w };
        assert_eq!(a.row, vec![0, 1, 1]);
        assert_eq!(a.edges, vec![edge(0, 1, 0, 1.0)]);
        // Neuron 3: astrocyte 0 before astrocyte 1 (global order).
        assert_eq!(b.row, vec![0, 0, 2]);
        assert_eq!(b.edges, vec![edge(0, 0, 0, 2.0), edge(0, 1, 0, 0.5)]);
        // SIC outputs 3 (astrocyte 0) and 4 (astrocyte 1).
        let sic = [vec![3.0f32], vec![4.0]];
        let mut ia = vec![1.0, 1.0];
        a.add_currents(|_, q| &sic[q], &mut ia);
        assert_eq!(ia, vec![5.0, 1.0]);
        let mut ib = vec![0.0, 0.0];
        b.add_currents(|_, q| &sic[q], &mut ib);
        assert_eq!(ib, vec![0.0, 8.0]);
    }
}
