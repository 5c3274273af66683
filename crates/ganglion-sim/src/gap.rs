//! Gap junctions (electrical synapses): neuron i receives I_i = Σ_j g_ij·(V_j − V_i) from
//! every neuron j it is coupled to, and each generated pair couples both ways (NEST's
//! `make_symmetric`), so the current one neuron loses the other gains.
//!
//! The coupling is explicit: step t uses the potentials at the end of step t − 1, which every
//! partition publishes on its board (see [`crate::exchange`]); each neuron's own dynamics stay
//! exact, the current is held over the step like any external current. The error is O(dt) in
//! the coupling and the scheme is stable while dt·Σ_j g_ij / C_m stays well below 1 (0.04 for
//! 10 nS onto 250 pF at 0.1 ms). Each neuron sums its junctions in the order of its
//! neighbours' global indices, so the result does not depend on the thread count.

use crate::connect::Csr;
use crate::coupling::{CouplingRows, Edge, for_each_synapse, rows};

/// The junctions onto one population's neurons in one partition, by neuron; each edge's
/// weight is the conductance (nS; dimensionless for rate units).
#[derive(Debug, Clone, Default)]
pub(crate) struct GapIn(CouplingRows);

impl GapIn {
    /// Number of junction ends held (each coupled pair has two, one per neuron).
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.0.bytes()
    }

    /// Add each neuron's gap current to `i_ext`, from its own potential `own[i]` and its
    /// neighbours' in `v(pop, part)` (the previous step's, as published).
    #[inline]
    pub(crate) fn add_currents<'a>(
        &self,
        own: &[f32],
        v: impl Fn(usize, usize) -> &'a [f32],
        i_ext: &mut [f32],
    ) {
        for (i, (x, &vi)) in i_ext.iter_mut().zip(own).enumerate() {
            let mut current = 0.0f32;
            for e in self.0.edges_of(i) {
                let vj = v(e.pop as usize, e.part as usize)[e.off as usize];
                current = e.w.mul_add(vj - vi, current);
            }
            *x += current;
        }
    }
}

/// The gap junctions onto every (partition, population), from the generated synapses of
/// the electrical projections `(source, target, csr per partition)`; `None` where a
/// population takes part in no electrical projection.
pub(crate) fn lower(
    electrical: &[(usize, usize, Vec<&Csr>)],
    pop_ranges: &[Vec<(usize, usize)>],
) -> Vec<Vec<Option<GapIn>>> {
    let mut coupled = vec![false; pop_ranges.len()];
    for (s_pop, t_pop, _) in electrical {
        coupled[*s_pop] = true;
        coupled[*t_pop] = true;
    }
    // Both ends of every junction: each neuron is fed by the other.
    let mut halves: Vec<Edge> = vec![];
    for_each_synapse(electrical, pop_ranges, |a, b, g| {
        halves.push((b, a, g));
        halves.push((a, b, g));
    });
    rows(halves, &coupled, pop_ranges)
        .into_iter()
        .map(|part| part.into_iter().map(|r| r.map(GapIn)).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::Delays;
    use crate::coupling::CouplingEdge;

    #[test]
    fn a_pair_couples_both_ways_and_rows_follow_partitions() {
        // Population 0 (4 neurons, 2 partitions of 2); one junction 0 → 3 of g = 2.
        let csr_p0 = Csr {
            row_ptr: vec![0, 0, 0, 0, 0],
            tgt: vec![].into(),
            w: vec![],
            delay: Delays::Const(1),
        };
        let csr_p1 = Csr {
            row_ptr: vec![0, 1, 1, 1, 1],
            tgt: vec![1].into(),
            w: vec![2.0],
            delay: Delays::Const(1),
        };
        let ranges = vec![vec![(0, 2), (2, 4)]];
        let g = lower(&[(0, 0, vec![&csr_p0, &csr_p1])], &ranges);
        let (a, b) = (g[0][0].as_ref().unwrap(), g[1][0].as_ref().unwrap());
        // Neuron 0 (partition 0, local 0) is fed by neuron 3 (partition 1, offset 1).
        assert_eq!(a.0.row, vec![0, 1, 1]);
        let edge = |pop, part, off, w| CouplingEdge { pop, part, off, w };
        assert_eq!(a.0.edges, vec![edge(0, 1, 1, 2.0)]);
        // Neuron 3 (partition 1, local 1) is fed by neuron 0.
        assert_eq!(b.0.row, vec![0, 0, 1]);
        assert_eq!(b.0.edges, vec![edge(0, 0, 0, 2.0)]);
        // Currents: V = (−70, −60 | −65, −50): neuron 0 gains 2·(−50 + 70), neuron 3 loses it.
        let v = [vec![-70.0f32, -60.0], vec![-65.0, -50.0]];
        let mut ia = vec![1.0, 1.0];
        a.add_currents(&v[0], |_, q| &v[q], &mut ia);
        assert_eq!(ia, vec![41.0, 1.0]);
        let mut ib = vec![0.0, 0.0];
        b.add_currents(&v[1], |_, q| &v[q], &mut ib);
        assert_eq!(ib, vec![0.0, -40.0]);
    }
}
