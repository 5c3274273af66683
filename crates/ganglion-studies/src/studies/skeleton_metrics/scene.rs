//! Constructed label volumes: neuron-like branching tubes in a box, and predictions made
//! from them by planting a known number of splits, merges, missing and spurious instances.
//!
//! Every instance keeps at least two background voxels from every other one, so that no
//! 3×3×3 neighbourhood of the thinning sees two instances: the skeleton of a union of
//! instances is then the union of their skeletons, and every metric has a closed form.

use ganglion_analysis::skeleton::{Volume, skeletonize_labels};
use ganglion_base::rng::Stream;

/// Ground truth of a constructed scene.
pub struct Scene {
    /// Labels 1..=n (0 background), z × y × x.
    pub gt: Volume<u32>,
    /// Chebyshev distance ≤ 2 from a gt voxel: where no other instance may go.
    pub forbidden: Vec<bool>,
    /// Skeleton voxels (flat indices) of each gt label, index `label − 1`.
    pub skeletons: Vec<Vec<usize>>,
}

impl Scene {
    /// Number of gt instances.
    pub fn n(&self) -> usize {
        self.skeletons.len()
    }
}

/// Voxels (flat indices) within `radius` of the polyline `pts` (z, y, x), inside the volume.
fn tube(shape: [usize; 3], pts: &[[f64; 3]], radius: f64) -> Vec<usize> {
    let mut out = Vec::new();
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let l2 = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).max(1e-12);
        let lo: Vec<usize> = (0..3)
            .map(|k| (a[k].min(b[k]) - radius).floor().max(0.0) as usize)
            .collect();
        let hi: Vec<usize> = (0..3)
            .map(|k| ((a[k].max(b[k]) + radius).ceil() as usize).min(shape[k] - 1))
            .collect();
        for z in lo[0]..=hi[0] {
            for y in lo[1]..=hi[1] {
                for x in lo[2]..=hi[2] {
                    let p = [z as f64, y as f64, x as f64];
                    let t = (((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1] + (p[2] - a[2]) * d[2])
                        / l2)
                        .clamp(0.0, 1.0);
                    let r2: f64 = (0..3).map(|k| (p[k] - a[k] - t * d[k]).powi(2)).sum();
                    if r2 <= radius * radius {
                        out.push((z * shape[1] + y) * shape[2] + x);
                    }
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn unit(s: &mut Stream) -> [f64; 3] {
    let v = [s.normal(), s.normal(), s.normal()];
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1e-12);
    [v[0] / n, v[1] / n, v[2] / n]
}

fn clip(p: [f64; 3], shape: [usize; 3]) -> [f64; 3] {
    [0, 1, 2].map(|k| p[k].clamp(3.0, shape[k] as f64 - 4.0))
}

/// One neuron-like instance: a persistent random-walk trunk of 5 segments (radius 1.5) with
/// two straight side branches (radius 1.2) from interior trunk points.
fn neuron(shape: [usize; 3], s: &mut Stream) -> Vec<usize> {
    let step = 0.16 * shape.iter().copied().min().unwrap_or(0) as f64;
    let start = [0, 1, 2].map(|k| (0.15 + 0.7 * s.uniform()) * shape[k] as f64);
    let mut dir = unit(s);
    let mut trunk = vec![clip(start, shape)];
    for _ in 0..5 {
        let turn = unit(s);
        dir = unit_of([0, 1, 2].map(|k| dir[k] + 0.6 * turn[k]));
        let last = trunk[trunk.len() - 1];
        trunk.push(clip([0, 1, 2].map(|k| last[k] + step * dir[k]), shape));
    }
    let mut vox = tube(shape, &trunk, 1.5);
    for _ in 0..2 {
        let o = trunk[1 + s.below(4) as usize];
        let d = unit(s);
        let end = clip([0, 1, 2].map(|k| o[k] + 1.6 * step * d[k]), shape);
        vox.extend(tube(shape, &[o, end], 1.2));
    }
    vox.sort_unstable();
    vox.dedup();
    vox
}

fn unit_of(v: [f64; 3]) -> [f64; 3] {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1e-12);
    [v[0] / n, v[1] / n, v[2] / n]
}

/// Marks every voxel within Chebyshev distance 2 of `vox` in `mask`.
fn mark_near(mask: &mut [bool], shape: [usize; 3], vox: &[usize]) {
    for &i in vox {
        let (z, y, x) = (
            i / (shape[1] * shape[2]),
            (i / shape[2]) % shape[1],
            i % shape[2],
        );
        for a in z.saturating_sub(2)..(z + 3).min(shape[0]) {
            for b in y.saturating_sub(2)..(y + 3).min(shape[1]) {
                for c in x.saturating_sub(2)..(x + 3).min(shape[2]) {
                    mask[(a * shape[1] + b) * shape[2] + c] = true;
                }
            }
        }
    }
}

/// Up to `n` separated neurons in a `shape` box (tries 40·n placements; instances whose
/// skeleton is empty — the thinning's flaw on some even-thickness solids — are not used).
pub fn scene(shape: [usize; 3], n: usize, s: &mut Stream) -> Scene {
    let mut gt = Volume::filled(shape, 0u32);
    let mut forbidden = vec![false; gt.len()];
    let mut placed = 0u32;
    for _ in 0..40 * n {
        if placed as usize == n {
            break;
        }
        let vox = neuron(shape, s);
        if vox.iter().any(|&i| forbidden[i]) {
            continue;
        }
        let mut one = Volume::filled(shape, 0u32);
        vox.iter().for_each(|&i| one.data_mut()[i] = 1);
        if skeletonize_labels(&one)[0].1.is_empty() {
            continue;
        }
        placed += 1;
        vox.iter().for_each(|&i| gt.data_mut()[i] = placed);
        mark_near(&mut forbidden, shape, &vox);
    }
    let skeletons = skeletonize_labels(&gt)
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    Scene {
        gt,
        forbidden,
        skeletons,
    }
}

/// Errors planted into a prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Plan {
    /// gt instances cut in two.
    pub splits: usize,
    /// Pairs of gt instances given one label.
    pub merges: usize,
    /// gt instances left out.
    pub missing: usize,
    /// Predicted tubes where the gt has nothing.
    pub spurious: usize,
}

/// A prediction with `plan`'s errors planted on the gt instances in the order `order`
/// (labels): splits first, then merge pairs, then missing ones. A split cuts the instance
/// at the median of its skeleton along the axis where the skeleton is longest; instances
/// where a side would hold < 20 % of the skeleton, or a piece would have an empty skeleton,
/// are passed over. Returns the prediction and the skeleton fraction of the smaller side
/// of each split (`None` when the scene has too few instances for the plan).
pub fn predict(
    sc: &Scene,
    plan: Plan,
    order: &[u32],
    s: &mut Stream,
) -> Option<(Volume<u32>, Vec<f64>)> {
    let shape = sc.gt.shape();
    let mut pred = sc.gt.clone();
    let mut next = sc.n() as u32 + 1;
    let mut it = order.iter().copied();
    let mut fractions = Vec::new();
    while fractions.len() < plan.splits {
        let l = it.next()?;
        let skel = &sc.skeletons[l as usize - 1];
        let coords: Vec<[usize; 3]> = skel.iter().map(|&i| sc.gt.coords(i)).collect();
        let extent = |k: usize| {
            let v = coords.iter().map(|c| c[k]);
            v.clone().max().unwrap_or(0) - v.min().unwrap_or(0)
        };
        let axis = (0..3).max_by_key(|&k| extent(k)).unwrap_or(0);
        let mut along: Vec<usize> = coords.iter().map(|c| c[axis]).collect();
        along.sort_unstable();
        let cut = along[along.len() / 2];
        let high = along.iter().filter(|&&v| v > cut).count() as f64 / along.len() as f64;
        if high.min(1.0 - high) < 0.2 {
            continue;
        }
        let mut trial = pred.clone();
        for i in 0..trial.len() {
            if trial.data()[i] == l && sc.gt.coords(i)[axis] > cut {
                trial.data_mut()[i] = next;
            }
        }
        let mut pieces = Volume::filled(shape, 0u32);
        for i in 0..trial.len() {
            let v = trial.data()[i];
            if v == l || v == next {
                pieces.data_mut()[i] = v;
            }
        }
        if skeletonize_labels(&pieces)
            .iter()
            .any(|(_, sk)| sk.is_empty())
        {
            continue;
        }
        pred = trial;
        next += 1;
        fractions.push(high.min(1.0 - high));
    }
    for _ in 0..plan.merges {
        let (a, b) = (it.next()?, it.next()?);
        pred.data_mut()
            .iter_mut()
            .filter(|v| **v == b)
            .for_each(|v| *v = a);
    }
    for _ in 0..plan.missing {
        let l = it.next()?;
        pred.data_mut()
            .iter_mut()
            .filter(|v| **v == l)
            .for_each(|v| *v = 0);
    }
    let mut forbidden = sc.forbidden.clone();
    let min_len = 0.3 * shape.iter().copied().min().unwrap_or(0) as f64;
    let mut placed = 0;
    for _ in 0..200 * plan.spurious.max(1) {
        if placed == plan.spurious {
            break;
        }
        let a = clip([0, 1, 2].map(|k| s.uniform() * shape[k] as f64), shape);
        let b = clip([0, 1, 2].map(|k| s.uniform() * shape[k] as f64), shape);
        let len = (0..3).map(|k| (a[k] - b[k]).powi(2)).sum::<f64>().sqrt();
        if len < min_len {
            continue;
        }
        let vox = tube(shape, &[a, b], 1.5);
        if vox.iter().any(|&i| forbidden[i]) {
            continue;
        }
        let mut one = Volume::filled(shape, 0u32);
        vox.iter().for_each(|&i| one.data_mut()[i] = 1);
        if skeletonize_labels(&one)[0].1.is_empty() {
            continue;
        }
        vox.iter().for_each(|&i| pred.data_mut()[i] = next);
        mark_near(&mut forbidden, shape, &vox);
        next += 1;
        placed += 1;
    }
    (placed == plan.spurious).then_some((pred, fractions))
}
