//! Structural constraints applied after every update, identical to what the simulator
//! enforces on the exported circuit: Dale's law (a source's weights keep one sign), fixed
//! sparsity masks (absent synapses stay zero), modular block masks, and a dynamic sparse
//! training hook that prunes the smallest weights and regrows by a pluggable score.

use serde::{Deserialize, Serialize};

/// Dale's-law sign of a projection's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dale {
    /// Every weight ≥ 0.
    Excitatory,
    /// Every weight ≤ 0.
    Inhibitory,
}

/// Constraints of one `rows × cols` weight matrix (row = source).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Constraints {
    /// One sign for the whole matrix.
    pub dale: Option<Dale>,
    /// Per-source signs (a population split into E and I rows); overrides `dale`.
    pub row_signs: Option<Vec<Dale>>,
    /// 1 = synapse present, 0 = absent (`rows × cols`).
    pub mask: Option<Vec<u8>>,
    /// A square matrix of a population onto itself without autapses: dynamic sparse training
    /// never regrows its diagonal (the mask keeps it absent from the start).
    #[serde(default)]
    pub no_autapses: bool,
}

impl Constraints {
    /// Project `w` (`rows × cols`) onto the constraints: zero masked entries, clip signs.
    pub fn apply(&self, w: &mut [f32], cols: usize) {
        if let Some(m) = &self.mask {
            w.iter_mut().zip(m).for_each(|(x, &k)| {
                if k == 0 {
                    *x = 0.0
                }
            });
        }
        let clip = |x: &mut f32, d: Dale| match d {
            Dale::Excitatory => *x = x.max(0.0),
            Dale::Inhibitory => *x = x.min(0.0),
        };
        match (&self.row_signs, self.dale) {
            (Some(rs), _) => w
                .chunks_mut(cols.max(1))
                .zip(rs)
                .for_each(|(row, &d)| row.iter_mut().for_each(|x| clip(x, d))),
            (None, Some(d)) => w.iter_mut().for_each(|x| clip(x, d)),
            _ => {}
        }
    }
}

/// A modular block mask: sources and targets are split into `modules` equal groups;
/// synapses inside a module are kept with probability `p_in`, between modules with `p_out`
/// (deterministic in `seed`).
pub fn block_mask(
    rows: usize,
    cols: usize,
    modules: usize,
    p_in: f64,
    p_out: f64,
    seed: u64,
) -> Vec<u8> {
    let m = modules.max(1);
    let mut out = vec![0u8; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let same = r * m / rows.max(1) == c * m / cols.max(1);
            let p = if same { p_in } else { p_out };
            let u = ganglion_data::encode::unit(seed, r as u64, c as u64) as f64;
            out[r * cols + c] = (u < p) as u8;
        }
    }
    out
}

/// How regrown synapses are chosen.
pub trait RegrowScore {
    /// Score of the absent synapse at `idx` (higher regrows first; `-∞`: never regrow).
    fn score(&self, idx: usize) -> f32;
}

/// Another score with the diagonal of a `cols × cols` matrix excluded (no autapses).
pub struct OffDiagonal<'a> {
    /// The score of every other entry.
    pub inner: &'a dyn RegrowScore,
    /// Matrix width (= height).
    pub cols: usize,
}
impl RegrowScore for OffDiagonal<'_> {
    fn score(&self, idx: usize) -> f32 {
        if idx / self.cols == idx % self.cols {
            f32::NEG_INFINITY
        } else {
            self.inner.score(idx)
        }
    }
}

/// Regrow by gradient magnitude (RigL, Evci et al. 2020).
pub struct GradientScore<'a>(pub &'a [f32]);
impl RegrowScore for GradientScore<'_> {
    fn score(&self, idx: usize) -> f32 {
        self.0[idx].abs()
    }
}

/// Regrow by the cosine similarity of pre- and post-synaptic activity (Hebbian):
/// `pre` is `rows × samples`, `post` is `cols × samples` (e.g. spike counts per sample).
pub struct HebbianScore<'a> {
    /// Presynaptic activity, `rows × samples`.
    pub pre: &'a [f32],
    /// Postsynaptic activity, `cols × samples`.
    pub post: &'a [f32],
    /// Number of samples.
    pub samples: usize,
    /// Matrix width (targets).
    pub cols: usize,
}
impl RegrowScore for HebbianScore<'_> {
    fn score(&self, idx: usize) -> f32 {
        let (r, c, k) = (idx / self.cols, idx % self.cols, self.samples);
        let a = &self.pre[r * k..(r + 1) * k];
        let b = &self.post[c * k..(c + 1) * k];
        let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
        if na == 0.0 || nb == 0.0 {
            0.0
        } else {
            dot / (na * nb)
        }
    }
}

/// One prune-and-regrow step of dynamic sparse training: among present synapses (`mask`)
/// prune the `fraction` with the smallest |w|, then regrow as many absent ones with the
/// highest score (none scored `-∞`), initialised to `init` (0 by default in RigL). Returns
/// how many moved.
pub fn prune_regrow(
    w: &mut [f32],
    mask: &mut [u8],
    fraction: f64,
    score: &dyn RegrowScore,
    init: f32,
) -> usize {
    let present: Vec<usize> = (0..w.len()).filter(|&i| mask[i] != 0).collect();
    let k = ((present.len() as f64) * fraction).round() as usize;
    if k == 0 {
        return 0;
    }
    let mut by_mag = present;
    by_mag.sort_by(|&a, &b| w[a].abs().total_cmp(&w[b].abs()).then(a.cmp(&b)));
    let mut absent: Vec<(f32, usize)> = (0..w.len())
        .filter(|&i| mask[i] == 0)
        .map(|i| (score.score(i), i))
        .filter(|&(s, _)| s > f32::NEG_INFINITY)
        .collect();
    absent.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let k = k.min(absent.len());
    for &i in &by_mag[..k] {
        mask[i] = 0;
        w[i] = 0.0;
    }
    for &(_, i) in &absent[..k] {
        mask[i] = 1;
        w[i] = init;
    }
    k
}
