//! A small vision transformer (Dosovitskiy et al. 2021) on the general autodiff path, with a
//! hook on every block's FFN neurons for the path search.
//!
//! ```text
//! x_0 = [cls; P W_p + b_p] + pos                 patches P (n_patches × patch²), one CLS token
//! a   = h + MHA(LN(h))                           per block, pre-LN, no mask (every token sees all)
//! u   = gelu(W_1 LN(a) + b_1)                    the block's FFN neurons (d_ff of them)
//! h'  = a + W_2 (s ⊙ u) + b_2                    s: the neuron scales, 1 unless a hook sets them
//! y   = LN(h_L)[cls] W_head + b_head             class logits
//! ```
//!
//! A neuron is one FFN unit of one block, across all token positions: the hook scales its
//! output `u` at every position by the same factor `s` (0 ablates it, α ∈ (0, 1) walks the
//! integrated-gradient path of [`super::path`]).

use ganglion_train::autodiff::transformer::{
    cross_entropy, gelu_erf, layer_norm, multi_head_attention, softmax_last,
};
use ganglion_train::autodiff::{Adam, DType, Device, Error, Params, Result, Tensor, Var};

/// Hyper-parameters of [`Vit`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct VitConfig {
    /// Image side \[pixels\] (square images).
    pub side: usize,
    /// Patch side \[pixels\]; must divide `side`.
    pub patch: usize,
    /// Model width d.
    pub d: usize,
    /// Attention heads (divide `d`).
    pub heads: usize,
    /// Blocks L (the path has one neuron per block).
    pub layers: usize,
    /// FFN neurons per block.
    pub d_ff: usize,
    /// Classes.
    pub classes: usize,
}

impl VitConfig {
    /// Patches per image.
    pub fn patches(&self) -> usize {
        (self.side / self.patch).pow(2)
    }

    /// Tokens per image (patches + CLS).
    pub fn tokens(&self) -> usize {
        self.patches() + 1
    }

    /// Trainable parameters: patch embedding (patch² + 1) d, CLS d, positions T d, per block
    /// 4 d² + 4 d (attention) + 2 d d_ff + d_ff + d (FFN) + 4 d (two LayerNorms), final
    /// LayerNorm 2 d, head (d + 1) C.
    pub fn param_count(&self) -> usize {
        let d = self.d;
        let block = 4 * d * d + 4 * d + 2 * d * self.d_ff + self.d_ff + d + 4 * d;
        (self.patch * self.patch + 1) * d
            + d
            + self.tokens() * d
            + self.layers * block
            + 2 * d
            + (d + 1) * self.classes
    }
}

#[derive(Debug, Clone)]
struct Block {
    ln1: (Var, Var),
    w_qkv: Var,
    b_qkv: Var,
    w_o: Var,
    b_o: Var,
    ln2: (Var, Var),
    w_1: Var,
    b_1: Var,
    w_2: Var,
    b_2: Var,
}

/// Logits and FFN activity of one forward pass.
pub struct VitOutput {
    /// (batch, classes).
    pub logits: Tensor,
    /// Per block, the FFN neurons' outputs `u` before the hook's scale, (batch, T, d_ff).
    pub neurons: Vec<Tensor>,
}

/// The vision transformer (see the module docs).
pub struct Vit {
    /// Its configuration.
    pub cfg: VitConfig,
    /// Its trainable parameters.
    pub params: Params,
    w_patch: Var,
    b_patch: Var,
    cls: Var,
    pos: Var,
    blocks: Vec<Block>,
    ln_f: (Var, Var),
    w_head: Var,
    b_head: Var,
}

const F32: DType = DType::F32;

impl Vit {
    /// A freshly initialised model: weights N(0, 1/fan_in), residual output projections also
    /// × 1/√(2L) (GPT-2), CLS and positions N(0, 0.02²) (ViT), biases 0, LayerNorm gains 1;
    /// draws from streams `key`, `key + 1`, ….
    pub fn new(cfg: VitConfig, key: u64) -> Result<Self> {
        if cfg.patch == 0
            || !cfg.side.is_multiple_of(cfg.patch)
            || cfg.heads == 0
            || !cfg.d.is_multiple_of(cfg.heads)
        {
            return Err(Error::Msg(format!(
                "Vit::new: side {} / patch {}, d {} / heads {}: the patch must divide the side and the heads the width",
                cfg.side, cfg.patch, cfg.d, cfg.heads
            )));
        }
        let mut p = Params::new();
        let mut k = key;
        let mut next = || {
            k = k.wrapping_add(1);
            k - 1
        };
        let d = cfg.d;
        let std = |fan_in: usize| (1.0 / fan_in as f64).sqrt();
        let res = (2.0 * cfg.layers.max(1) as f64).sqrt().recip();
        let pp = cfg.patch * cfg.patch;
        let w_patch = p.normal("w_patch", &[pp, d], std(pp), next(), F32)?;
        let b_patch = p.full("b_patch", &[d], 0.0, F32)?;
        let cls = p.normal("cls", &[1, 1, d], 0.02, next(), F32)?;
        let pos = p.normal("pos", &[1, cfg.tokens(), d], 0.02, next(), F32)?;
        let mut blocks = vec![];
        for l in 0..cfg.layers {
            let n = |s: &str| format!("block{l}.{s}");
            blocks.push(Block {
                ln1: (
                    p.full(&n("ln1.g"), &[d], 1.0, F32)?,
                    p.full(&n("ln1.b"), &[d], 0.0, F32)?,
                ),
                w_qkv: p.normal(&n("w_qkv"), &[d, 3 * d], std(d), next(), F32)?,
                b_qkv: p.full(&n("b_qkv"), &[3 * d], 0.0, F32)?,
                w_o: p.normal(&n("w_o"), &[d, d], std(d) * res, next(), F32)?,
                b_o: p.full(&n("b_o"), &[d], 0.0, F32)?,
                ln2: (
                    p.full(&n("ln2.g"), &[d], 1.0, F32)?,
                    p.full(&n("ln2.b"), &[d], 0.0, F32)?,
                ),
                w_1: p.normal(&n("w_1"), &[d, cfg.d_ff], std(d), next(), F32)?,
                b_1: p.full(&n("b_1"), &[cfg.d_ff], 0.0, F32)?,
                w_2: p.normal(&n("w_2"), &[cfg.d_ff, d], std(cfg.d_ff) * res, next(), F32)?,
                b_2: p.full(&n("b_2"), &[d], 0.0, F32)?,
            });
        }
        let ln_f = (
            p.full("ln_f.g", &[d], 1.0, F32)?,
            p.full("ln_f.b", &[d], 0.0, F32)?,
        );
        let w_head = p.normal("w_head", &[d, cfg.classes], std(d), next(), F32)?;
        let b_head = p.full("b_head", &[cfg.classes], 0.0, F32)?;
        Ok(Self {
            cfg,
            params: p,
            w_patch,
            b_patch,
            cls,
            pos,
            blocks,
            ln_f,
            w_head,
            b_head,
        })
    }

    /// Forward pass of `patches` (batch, n_patches, patch²). `scales[l]`, when given, multiplies
    /// block l's FFN neurons: (batch, d_ff) or (1, d_ff), the same factor at every position.
    pub fn forward(&self, patches: &Tensor, scales: &[Option<Tensor>]) -> Result<VitOutput> {
        let c = self.cfg;
        let (b, np, pp) = patches.dims3()?;
        if np != c.patches() || pp != c.patch * c.patch {
            return Err(Error::Msg(format!(
                "Vit::forward: patches of shape ({b}, {np}, {pp}), the model takes (batch, {}, {})",
                c.patches(),
                c.patch * c.patch
            )));
        }
        let (t, d) = (c.tokens(), c.d);
        let x = patches
            .reshape((b * np, pp))?
            .matmul(&self.w_patch)?
            .broadcast_add(&self.b_patch)?
            .reshape((b, np, d))?;
        let cls = self.cls.as_tensor().broadcast_as((b, 1, d))?;
        let mut h = Tensor::cat(&[&cls, &x], 1)?
            .broadcast_add(&self.pos)?
            .reshape((b * t, d))?;
        let mut neurons = Vec::with_capacity(c.layers);
        for (l, blk) in self.blocks.iter().enumerate() {
            h = (&h + self.attend(blk, &layer_norm(&h, &blk.ln1.0, &blk.ln1.1, 1e-5)?, b)?)?;
            let u = layer_norm(&h, &blk.ln2.0, &blk.ln2.1, 1e-5)?
                .matmul(&blk.w_1)?
                .broadcast_add(&blk.b_1)?
                .apply(&gelu_erf)?
                .reshape((b, t, c.d_ff))?;
            let scaled = match scales.get(l).and_then(Option::as_ref) {
                Some(s) => u.broadcast_mul(&s.unsqueeze(1)?)?,
                None => u.clone(),
            };
            let m = scaled
                .reshape((b * t, c.d_ff))?
                .matmul(&blk.w_2)?
                .broadcast_add(&blk.b_2)?;
            h = (h + m)?;
            neurons.push(u);
        }
        let z = layer_norm(&h, &self.ln_f.0, &self.ln_f.1, 1e-5)?
            .reshape((b, t, d))?
            .narrow(1, 0, 1)?
            .squeeze(1)?;
        let logits = z.matmul(&self.w_head)?.broadcast_add(&self.b_head)?;
        Ok(VitOutput { logits, neurons })
    }

    /// Unmasked multi-head self-attention of `x` (B·T, d) → (B·T, d).
    fn attend(&self, blk: &Block, x: &Tensor, b: usize) -> Result<Tensor> {
        let proj = [&blk.w_qkv, &blk.b_qkv, &blk.w_o, &blk.b_o].map(|v| v.as_tensor());
        Ok(multi_head_attention(x, proj, self.cfg.heads, b, None)?.0)
    }

    /// Class probabilities (batch, classes) of `patches`, no hooks.
    pub fn probabilities(&self, patches: &Tensor) -> Result<Tensor> {
        softmax_last(&self.forward(patches, &[])?.logits)
    }
}

/// Images `idx` of `images` (row-major `side × side` each) cut into non-overlapping
/// `patch × patch` patches, row by row: (idx.len(), n_patches, patch²).
pub fn patches(images: &[f32], idx: &[usize], side: usize, patch: usize) -> Result<Tensor> {
    let per = side / patch;
    let mut v = Vec::with_capacity(idx.len() * side * side);
    for &i in idx {
        let img = &images[i * side * side..(i + 1) * side * side];
        for pr in 0..per {
            for pc in 0..per {
                for r in 0..patch {
                    let row = (pr * patch + r) * side + pc * patch;
                    v.extend_from_slice(&img[row..row + patch]);
                }
            }
        }
    }
    Tensor::from_vec(v, (idx.len(), per * per, patch * patch), &Device::Cpu)
}

/// Training settings.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct TrainPlan {
    /// Passes over the training images.
    pub epochs: usize,
    /// Images per Adam step.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
}

/// Trains `vit` with Adam on cross-entropy over `images`/`labels` (shuffled per epoch with
/// stream `seed`); returns the mean training loss of each epoch.
pub fn train(
    vit: &Vit,
    images: &[f32],
    labels: &[u8],
    plan: TrainPlan,
    seed: u64,
) -> Result<Vec<f64>> {
    let c = vit.cfg;
    let mut adam = Adam::new(&vit.params, plan.lr)?;
    adam.clip_norm = Some(1.0);
    let mut order: Vec<usize> = (0..labels.len()).collect();
    let mut curve = vec![];
    for epoch in 0..plan.epochs {
        let mut rng = crate::stats::stream(seed, epoch as u64);
        rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut rng);
        let mut total = 0.0;
        let mut steps = 0;
        for chunk in order.chunks(plan.batch) {
            let x = patches(images, chunk, c.side, c.patch)?;
            let y: Vec<usize> = chunk.iter().map(|&i| labels[i] as usize).collect();
            let logits = vit.forward(&x, &[])?.logits;
            let loss = cross_entropy(&logits, &y, &vec![1.0; y.len()])?;
            total += adam.step(&vit.params, &loss)?.0;
            steps += 1;
        }
        curve.push(total / steps.max(1) as f64);
    }
    Ok(curve)
}

/// Predicted class of each image `idx`, in batches of 256.
pub fn predict(vit: &Vit, images: &[f32], idx: &[usize]) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(idx.len());
    for chunk in idx.chunks(256) {
        let x = patches(images, chunk, vit.cfg.side, vit.cfg.patch)?;
        let am = vit.forward(&x, &[])?.logits.argmax(1)?.to_vec1::<u32>()?;
        out.extend(am.into_iter().map(|a| a as usize));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> VitConfig {
        VitConfig {
            side: 4,
            patch: 2,
            d: 8,
            heads: 2,
            layers: 2,
            d_ff: 6,
            classes: 3,
        }
    }

    #[test]
    fn param_count_formula_matches_the_built_model() {
        let v = Vit::new(tiny(), 1).expect("vit");
        assert_eq!(v.params.count(), tiny().param_count());
    }

    #[test]
    fn patches_are_cut_row_by_row() {
        let img: Vec<f32> = (0..16).map(|i| i as f32).collect();
        let p = patches(&img, &[0], 4, 2).expect("patches");
        let v = p
            .flatten_all()
            .expect("flat")
            .to_vec1::<f32>()
            .expect("vec");
        // Patch (0, 1) is pixels 2, 3, 6, 7; patch (1, 0) is 8, 9, 12, 13.
        assert_eq!(&v[4..8], &[2.0, 3.0, 6.0, 7.0]);
        assert_eq!(&v[8..12], &[8.0, 9.0, 12.0, 13.0]);
    }

    #[test]
    fn unit_scales_change_nothing_and_zero_scales_remove_the_ffn() {
        let v = Vit::new(tiny(), 2).expect("vit");
        let img: Vec<f32> = (0..32).map(|i| (i as f32 * 0.37).sin()).collect();
        let x = patches(&img, &[0, 1], 4, 2).expect("patches");
        let base = v.forward(&x, &[]).expect("fwd").logits;
        let ones = Tensor::ones((1, 6), DType::F32, &Device::Cpu).expect("ones");
        let same = v
            .forward(&x, &[Some(ones.clone()), Some(ones)])
            .expect("fwd")
            .logits;
        let max_abs_diff = |a: &Tensor, b: &Tensor| -> f32 {
            (a - b)
                .and_then(|d| d.abs()?.max_all()?.to_scalar::<f32>())
                .expect("max |a − b|")
        };
        let diff = max_abs_diff(&base, &same);
        assert!(diff < 1e-6, "{diff}");
        let zero = Tensor::zeros((1, 6), DType::F32, &Device::Cpu).expect("zeros");
        let off = v.forward(&x, &[Some(zero), None]).expect("fwd").logits;
        let moved = max_abs_diff(&base, &off);
        assert!(moved > 1e-6, "ablating a whole FFN must change the logits");
    }
}
