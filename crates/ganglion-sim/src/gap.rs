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
use ganglion_model::memory::GAP_EDGE_BYTES;

/// One junction onto a neuron: the neighbour's population, partition and index within that
/// partition, and the conductance (nS; dimensionless for rate units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GapEdge {
    pub(crate) pop: u32,
    pub(crate) part: u32,
    pub(crate) off: u32,
    pub(crate) g: f32,
}

// The memory model counts what the engine holds.
const _: () = assert!(size_of::<GapEdge>() == GAP_EDGE_BYTES);

/// The junctions onto one population's neurons in one partition, by neuron.
#[derive(Debug, Clone, Default)]
pub(crate) struct GapIn {
    /// `row[i]..row[i+1]` are the junctions of local neuron i.
    row: Vec<u32>,
    edges: Vec<GapEdge>,
}

impl GapIn {
    /// Number of junction ends held (each coupled pair has two, one per neuron).
    pub(crate) fn len(&self) -> usize {
        self.edges.len()
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.row.len() * size_of::<u32>() + self.edges.len() * GAP_EDGE_BYTES
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
            let edges = &self.edges[self.row[i] as usize..self.row[i + 1] as usize];
            let mut current = 0.0f32;
            for e in edges {
                let vj = v(e.pop as usize, e.part as usize)[e.off as usize];
                current = e.g.mul_add(vj - vi, current);
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

/// One end of a junction: (population, global index) of the neuron it feeds, then the
/// neighbour's (population, global index) and the conductance.
type Half = ((usize, usize), (usize, usize), f32);

/// The gap junctions onto every (partition, population), from the generated synapses of
/// the electrical projections `(source, target, csr per partition)`; `None` where a
/// population takes part in no electrical projection.
pub(crate) fn lower(
    electrical: &[(usize, usize, Vec<&Csr>)],
    pop_ranges: &[Vec<(usize, usize)>],
) -> Vec<Vec<Option<GapIn>>> {
    let parts = pop_ranges.first().map_or(1, |r| r.len());
    let mut coupled = vec![false; pop_ranges.len()];
    let mut halves: Vec<Half> = vec![];
    for (s_pop, t_pop, csrs) in electrical {
        coupled[*s_pop] = true;
        coupled[*t_pop] = true;
        for (p, csr) in csrs.iter().enumerate() {
            let lo = pop_ranges[*t_pop][p].0;
            for s in 0..csr.row_ptr.len() - 1 {
                for k in csr.row_ptr[s] as usize..csr.row_ptr[s + 1] as usize {
                    let (a, b) = ((*s_pop, s), (*t_pop, lo + csr.tgt[k] as usize));
                    halves.push((b, a, csr.w[k]));
                    halves.push((a, b, csr.w[k]));
                }
            }
        }
    }
    // Neuron by neuron, neighbours in global order: the same sums for any thread count.
    halves.sort_by_key(|x| (x.0, x.1, x.2.to_bits()));
    let mut out: Vec<Vec<Option<GapIn>>> = (0..parts)
        .map(|p| {
            (0..pop_ranges.len())
                .map(|k| {
                    coupled[k].then(|| {
                        let (lo, hi) = pop_ranges[k][p];
                        GapIn {
                            row: vec![0; hi - lo + 1],
                            edges: vec![],
                        }
                    })
                })
                .collect()
        })
        .collect();
    // `halves` is sorted by the neuron fed, so each GapIn's edges arrive in row order.
    for &((pop, n), (npop, nn), g) in &halves {
        let (p, i) = locate(&pop_ranges[pop], n);
        let (part, off) = locate(&pop_ranges[npop], nn);
        let gi = out[p as usize][pop].as_mut().expect("coupled");
        gi.edges.push(GapEdge {
            pop: npop as u32,
            part,
            off,
            g,
        });
        gi.row[i as usize + 1] += 1;
    }
    for gi in out.iter_mut().flatten().flatten() {
        for i in 1..gi.row.len() {
            gi.row[i] += gi.row[i - 1];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::Delays;

    #[test]
    fn a_pair_couples_both_ways_and_rows_follow_partitions() {
        // Population 0 (4 neurons, 2 partitions of 2); one junction 0 → 3 of g = 2.
        let csr_p0 = Csr {
            row_ptr: vec![0, 0, 0, 0, 0],
            tgt: vec![],
            w: vec![],
            delay: Delays::Const(1),
        };
        let csr_p1 = Csr {
            row_ptr: vec![0, 1, 1, 1, 1],
            tgt: vec![1],
            w: vec![2.0],
            delay: Delays::Const(1),
        };
        let ranges = vec![vec![(0, 2), (2, 4)]];
        let g = lower(&[(0, 0, vec![&csr_p0, &csr_p1])], &ranges);
        let (a, b) = (g[0][0].as_ref().unwrap(), g[1][0].as_ref().unwrap());
        // Neuron 0 (partition 0, local 0) is fed by neuron 3 (partition 1, offset 1).
        assert_eq!(a.row, vec![0, 1, 1]);
        let edge = |pop, part, off, g| GapEdge { pop, part, off, g };
        assert_eq!(a.edges, vec![edge(0, 1, 1, 2.0)]);
        // Neuron 3 (partition 1, local 1) is fed by neuron 0.
        assert_eq!(b.row, vec![0, 0, 1]);
        assert_eq!(b.edges, vec![edge(0, 0, 0, 2.0)]);
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
