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
use crate::coupling::{CouplingRows, Edge, for_each_synapse, rows};

/// The SIC edges onto one population's neurons in one partition, by neuron; each edge's
/// weight is in pA per unit of SIC.
#[derive(Debug, Clone, Default)]
pub(crate) struct SicIn(CouplingRows);

impl SicIn {
    /// Number of edges held.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.0.bytes()
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
            let mut current = 0.0f32;
            for e in self.0.edges_of(i) {
                let s = sic(e.pop as usize, e.part as usize)[e.off as usize];
                current = e.w.mul_add(s, current);
            }
            *x += current;
        }
    }
}

/// The SIC edges onto every (partition, population), from the generated synapses of the
/// SIC projections `(source, target, csr per partition)`; `None` where a population is the
/// target of none.
pub(crate) fn lower(
    projections: &[(usize, usize, Vec<&Csr>)],
    pop_ranges: &[Vec<(usize, usize)>],
) -> Vec<Vec<Option<SicIn>>> {
    let mut fed = vec![false; pop_ranges.len()];
    for (_, t_pop, _) in projections {
        fed[*t_pop] = true;
    }
    // One edge per synapse, onto the neuron from the astrocyte.
    let mut all: Vec<Edge> = vec![];
    for_each_synapse(projections, pop_ranges, |astro, neuron, w| {
        all.push((neuron, astro, w));
    });
    rows(all, &fed, pop_ranges)
        .into_iter()
        .map(|part| part.into_iter().map(|r| r.map(SicIn)).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::Delays;
    use crate::coupling::CouplingEdge;

    #[test]
    fn edges_follow_partitions_and_currents_sum_weighted_sic() {
        // Astrocytes: population 0, 2 of them, one per partition. Neurons: population 1,
        // 4 of them, 2 per partition. Astrocyte 0 → neuron 3 (w 2), astrocyte 1 → neurons 3
        // (w 0.5) and 0 (w 1). Each partition's CSR holds the synapses onto its own neurons.
        let csr_p0 = Csr {
            row_ptr: vec![0, 0, 1],
            tgt: vec![0].into(),
            w: vec![1.0],
            delay: Delays::Const(1),
        };
        let csr_p1 = Csr {
            row_ptr: vec![0, 1, 2],
            tgt: vec![1, 1].into(),
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
        let edge = |pop, part, off, w| CouplingEdge { pop, part, off, w };
        assert_eq!(a.0.row, vec![0, 1, 1]);
        assert_eq!(a.0.edges, vec![edge(0, 1, 0, 1.0)]);
        // Neuron 3: astrocyte 0 before astrocyte 1 (global order).
        assert_eq!(b.0.row, vec![0, 0, 2]);
        assert_eq!(b.0.edges, vec![edge(0, 0, 0, 2.0), edge(0, 1, 0, 0.5)]);
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
