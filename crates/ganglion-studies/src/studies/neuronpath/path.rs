//! The joint attribution score and the layer-progressive neuron path of Wang et al. (ICLR
//! 2025, "Discovering influential neuron path in vision transformers").
//!
//! For an image x and its class c, F(s) is the probability of c when the FFN neurons in a set
//! S are scaled by s (the others untouched). The joint attribution score of S is the
//! integrated gradient along the straight line that scales all of S together from 0 to 1:
//!
//! ```text
//! JAS(S) = Σ_{i∈S} ∫_0^1 ∂F/∂s_i (s_S = α) dα      (≈ midpoint rule with m steps)
//! ```
//!
//! (∂F/∂s_i = u_i ∂F/∂u_i, so this is the paper's activation-times-gradient integral.) By the
//! completeness of integrated gradients, JAS(S) = F(1) − F(s_S = 0): the probability the set
//! carries jointly. The path search picks one neuron per block, block by block: the neuron of
//! block l that maximises JAS(path so far ∪ {neuron}).

use super::vit::Vit;
use ganglion_train::autodiff::transformer::softmax_last;
use ganglion_train::autodiff::{DType, Device, Result, Tensor, Var};

/// The probability of `class` for each row of `vit`'s output on `x`, with `scales` hooked in.
fn class_prob(vit: &Vit, x: &Tensor, scales: &[Option<Tensor>], class: usize) -> Result<Tensor> {
    softmax_last(&vit.forward(x, scales)?.logits)?
        .narrow(1, class, 1)?
        .squeeze(1)
}

/// Scales (rows, d_ff) of one block: 1 everywhere except `(row, neuron) = value` entries.
fn scale_rows(rows: usize, d_ff: usize, set: &[(usize, usize)], value: f32) -> Result<Tensor> {
    let mut v = vec![1f32; rows * d_ff];
    for &(r, j) in set {
        v[r * d_ff + j] = value;
    }
    Tensor::from_vec(v, (rows, d_ff), &Device::Cpu)
}

/// JAS of `path ∪ {j}` for every neuron j of block `path.len()`, at once: one row per
/// candidate, `steps` midpoint-rule steps. `x`: one image's patches (1, n_patches, patch²).
pub fn candidate_scores(
    vit: &Vit,
    x: &Tensor,
    class: usize,
    path: &[usize],
    steps: usize,
) -> Result<Vec<f64>> {
    let fixed: Vec<Option<usize>> = path.iter().copied().map(Some).collect();
    scores_with(vit, x, class, &fixed, steps)
}

/// Integrated gradients of each neuron j of block `fixed.len()` scaled together with the
/// neurons `fixed` names in the earlier blocks (`None`: that block untouched), one row
/// per candidate j.
fn scores_with(
    vit: &Vit,
    x: &Tensor,
    class: usize,
    fixed: &[Option<usize>],
    steps: usize,
) -> Result<Vec<f64>> {
    let (d_ff, layer) = (vit.cfg.d_ff, fixed.len());
    let (_, np, pp) = x.dims3()?;
    let xs = x.broadcast_as((d_ff, np, pp))?.contiguous()?;
    let mut jas = vec![0f64; d_ff];
    for k in 0..steps {
        let alpha = ((k as f64 + 0.5) / steps as f64) as f32;
        // (block, column scaled in every row, its variable); the candidate block's column
        // is the row's own neuron (`None`).
        let mut vars: Vec<(usize, Option<usize>, Var)> = Vec::with_capacity(layer + 1);
        for (l, p) in fixed.iter().enumerate() {
            if let &Some(p) = p {
                let set: Vec<(usize, usize)> = (0..d_ff).map(|r| (r, p)).collect();
                vars.push((
                    l,
                    Some(p),
                    Var::from_tensor(&scale_rows(d_ff, d_ff, &set, alpha)?)?,
                ));
            }
        }
        let diag: Vec<(usize, usize)> = (0..d_ff).map(|r| (r, r)).collect();
        vars.push((
            layer,
            None,
            Var::from_tensor(&scale_rows(d_ff, d_ff, &diag, alpha)?)?,
        ));
        let mut scales: Vec<Option<Tensor>> = vec![None; layer + 1];
        for (l, _, v) in &vars {
            scales[*l] = Some(v.as_tensor().clone());
        }
        let f = class_prob(vit, &xs, &scales, class)?.sum_all()?;
        let grads = f.backward()?;
        for (_, col, var) in &vars {
            let Some(g) = grads.get(var) else { continue };
            let g = g.to_vec2::<f32>()?;
            for (r, row) in g.iter().enumerate() {
                jas[r] += row[col.unwrap_or(r)] as f64 / steps as f64;
            }
        }
    }
    Ok(jas)
}

/// The single-neuron integrated-gradients baseline (the paper's "IG" baseline): in each
/// block, the neuron with the largest integrated gradient when it alone is scaled from 0
/// to 1 (the other blocks untouched), chosen block by block independently.
pub fn ig_path(vit: &Vit, x: &Tensor, class: usize, steps: usize) -> Result<Vec<usize>> {
    (0..vit.cfg.layers)
        .map(|l| {
            let s = scores_with(vit, x, class, &vec![None; l], steps)?;
            Ok((0..s.len())
                .max_by(|&a, &b| s[a].total_cmp(&s[b]))
                .unwrap_or(0))
        })
        .collect()
}

/// The layer-progressive path of `x` for `class`: one neuron per block.
pub fn find_path(vit: &Vit, x: &Tensor, class: usize, steps: usize) -> Result<Vec<usize>> {
    let mut path = Vec::with_capacity(vit.cfg.layers);
    for _ in 0..vit.cfg.layers {
        let s = candidate_scores(vit, x, class, &path, steps)?;
        let best = (0..s.len())
            .max_by(|&a, &b| s[a].total_cmp(&s[b]))
            .unwrap_or(0);
        path.push(best);
    }
    Ok(path)
}

/// Per-block scales (paths, d_ff): row r has `paths[r][l]` of block l set to `value` (rows
/// whose path is shorter than l leave that block alone); `None` for blocks no path reaches.
fn path_scales(vit: &Vit, paths: &[Vec<usize>], value: f32) -> Result<Vec<Option<Tensor>>> {
    let depth = paths.iter().map(Vec::len).max().unwrap_or(0);
    (0..depth)
        .map(|l| {
            let set: Vec<(usize, usize)> = paths
                .iter()
                .enumerate()
                .filter_map(|(r, p)| p.get(l).map(|&j| (r, j)))
                .collect();
            scale_rows(paths.len(), vit.cfg.d_ff, &set, value).map(Some)
        })
        .collect()
}

/// JAS of each of `paths` for one image `x` (1, n_patches, patch²), all paths in one batch
/// per integration step.
pub fn path_scores(
    vit: &Vit,
    x: &Tensor,
    class: usize,
    paths: &[Vec<usize>],
    steps: usize,
) -> Result<Vec<f64>> {
    let (_, np, pp) = x.dims3()?;
    let xs = x.broadcast_as((paths.len(), np, pp))?.contiguous()?;
    let mut total = vec![0f64; paths.len()];
    for k in 0..steps {
        let alpha = ((k as f64 + 0.5) / steps as f64) as f32;
        let vars = path_scales(vit, paths, alpha)?
            .into_iter()
            .map(|s| Var::from_tensor(&s.expect("every block up to the depth is scaled")))
            .collect::<Result<Vec<_>>>()?;
        let scales: Vec<Option<Tensor>> =
            vars.iter().map(|v| Some(v.as_tensor().clone())).collect();
        let grads = class_prob(vit, &xs, &scales, class)?
            .sum_all()?
            .backward()?;
        for (l, var) in vars.iter().enumerate() {
            let Some(g) = grads.get(var) else { continue };
            let g = g.to_vec2::<f32>()?;
            for (r, p) in paths.iter().enumerate() {
                if let Some(&j) = p.get(l) {
                    total[r] += g[r][j] as f64 / steps as f64;
                }
            }
        }
    }
    Ok(total)
}

/// The probability of `class` for one image with the neurons of each of `paths` scaled by
/// `value` (0: ablated, 1: untouched), one entry per path.
pub fn probs_with(
    vit: &Vit,
    x: &Tensor,
    class: usize,
    paths: &[Vec<usize>],
    value: f32,
) -> Result<Vec<f64>> {
    let (_, np, pp) = x.dims3()?;
    let xs = x.broadcast_as((paths.len(), np, pp))?.contiguous()?;
    let p = class_prob(vit, &xs, &path_scales(vit, paths, value)?, class)?;
    p.to_dtype(DType::F64)?.to_vec1::<f64>()
}

/// The activation baseline: in each block, the neuron with the largest output averaged over
/// the image's tokens.
pub fn activation_path(vit: &Vit, x: &Tensor) -> Result<Vec<usize>> {
    vit.forward(x, &[])?
        .neurons
        .iter()
        .map(|u| {
            let m = u.mean(1)?.squeeze(0)?.to_vec1::<f32>()?;
            Ok((0..m.len())
                .max_by(|&a, &b| m[a].total_cmp(&m[b]))
                .unwrap_or(0))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::vit::{VitConfig, patches};
    use super::*;

    fn model() -> (Vit, Tensor) {
        let cfg = VitConfig {
            side: 4,
            patch: 2,
            d: 8,
            heads: 2,
            layers: 3,
            d_ff: 5,
            classes: 3,
        };
        let vit = Vit::new(cfg, 9).expect("vit");
        let img: Vec<f32> = (0..16).map(|i| ((i * 7 % 11) as f32) / 11.0).collect();
        (vit, patches(&img, &[0], 4, 2).expect("patches"))
    }

    #[test]
    fn path_scores_are_complete() {
        // Integrated gradients are complete: JAS(path) = F(1) − F(0 on the path), for each
        // row of the batch (paths of different lengths included).
        let (vit, x) = model();
        let paths = vec![vec![1, 4, 2], vec![0, 0, 3], vec![2]];
        let jas = path_scores(&vit, &x, 2, &paths, 64).expect("jas");
        let p1 = probs_with(&vit, &x, 2, &paths, 1.0).expect("p1");
        let p0 = probs_with(&vit, &x, 2, &paths, 0.0).expect("p0");
        for r in 0..paths.len() {
            let drop = p1[r] - p0[r];
            assert!(
                (jas[r] - drop).abs() < 1e-4 + 1e-3 * drop.abs(),
                "path {r}: {} vs {drop}",
                jas[r]
            );
        }
    }

    #[test]
    fn single_neuron_scores_are_complete() {
        // The IG baseline's score of neuron j in block 2 (blocks 0 and 1 untouched) is the
        // probability its removal alone takes.
        let (vit, x) = model();
        let s = scores_with(&vit, &x, 0, &[None, None], 64).expect("scores");
        let p1 = probs_with(&vit, &x, 0, &[vec![]], 1.0).expect("p1")[0];
        for (j, &sj) in s.iter().enumerate() {
            // Neuron j of block 2 zeroed, blocks 0 and 1 untouched.
            let mut scales = vec![None, None];
            let mut v = vec![1f32; vit.cfg.d_ff];
            v[j] = 0.0;
            scales.push(Some(
                Tensor::from_vec(v, (1, vit.cfg.d_ff), &Device::Cpu).expect("scale"),
            ));
            let p0 = class_prob(&vit, &x, &scales, 0)
                .expect("prob")
                .to_vec1::<f32>()
                .expect("vec")[0] as f64;
            let drop = p1 - p0;
            assert!(
                (sj - drop).abs() < 1e-4 + 1e-3 * drop.abs(),
                "neuron {j}: {sj} vs {drop}"
            );
        }
        let path = ig_path(&vit, &x, 0, 16).expect("ig path");
        assert_eq!(path.len(), vit.cfg.layers);
    }

    #[test]
    fn candidate_scores_equal_path_scores_one_at_a_time() {
        // The batched candidate rows must each be the JAS of path ∪ {j}.
        let (vit, x) = model();
        let s = candidate_scores(&vit, &x, 1, &[3], 8).expect("scores");
        for (j, &sj) in s.iter().enumerate() {
            let one = path_scores(&vit, &x, 1, &[vec![3, j]], 8).expect("one")[0];
            assert!((sj - one).abs() < 1e-5, "candidate {j}: {sj} vs {one}");
        }
    }
}
