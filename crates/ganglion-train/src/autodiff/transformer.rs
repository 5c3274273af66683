//! A small decoder-only transformer (GPT-style, pre-LayerNorm; Radford et al. 2019) on the
//! general autodiff path, written for token streams such as spikes (neuron id + time
//! offset, Antoniades et al. 2023, "Neuroformer").
//!
//! ```text
//! h_0 = Σ_k E_k[tok_k]                              one embedding table per token stream
//! a   = h + MHA(LN(h), mask)                        per block, pre-LN (Xiong et al. 2020)
//! h'  = a + W_2 gelu(W_1 LN(a) + b_1) + b_2
//! y_k = LN(h_L) U_k + c_k                           one linear head per output vocabulary
//! MHA(x) = concat_h softmax(q_h k_hᵀ / √d_h + M) v_h · W_o + b_o
//! ```
//!
//! Positions are not added implicitly: a caller that wants them passes a position stream as
//! one of the token streams (for spikes the time-offset stream plays that role). The mask
//! `M` is additive (0 where a query may attend to a key, a large negative number where it may
//! not; [`additive_mask`] builds it from booleans, [`causal`] and [`prefix_causal`] give the
//! usual patterns), so causal, prefix and padding masks are all one argument. Every block's
//! attention probabilities (batch, heads, queries, keys) come back with the logits, for
//! analyses of what the model attends to.
//!
//! The key projection has no bias (a key bias adds q·b_k to all scores of a query, which the
//! softmax cancels; its gradient is identically zero). Initialisation: embeddings N(0, 1/streams), weights N(0, 1/fan_in), residual output
//! projections additionally scaled by 1/√(2 L) (GPT-2), biases 0, LayerNorm gains 1.

pub use super::fused::{gelu_erf, layer_norm, softmax_last};
use super::{DType, Device, Params, Result, Tensor, Var, linear};

/// Hyper-parameters of [`Transformer`].
#[derive(Debug, Clone, PartialEq)]
pub struct TransformerConfig {
    /// Size of each input token stream's vocabulary; the streams' embeddings are summed.
    pub vocabs: Vec<usize>,
    /// Model width d.
    pub d_model: usize,
    /// Attention heads (must divide `d_model`).
    pub heads: usize,
    /// Number of blocks L.
    pub layers: usize,
    /// Hidden width of each block's MLP (4 d in GPT).
    pub d_ff: usize,
    /// Size of each output head's vocabulary (one linear head per entry).
    pub outputs: Vec<usize>,
}

impl TransformerConfig {
    /// Trainable parameters: Σ V_k d (embeddings) + L (4 d² + 3 d + 2 d d_ff + d_ff + d + 4 d)
    /// (attention, MLP, two LayerNorms) + 2 d (final LayerNorm) + Σ (d + 1) O_k (heads).
    pub fn param_count(&self) -> usize {
        let d = self.d_model;
        let emb: usize = self.vocabs.iter().sum::<usize>() * d;
        let block = 4 * d * d + 3 * d + 2 * d * self.d_ff + self.d_ff + d + 4 * d;
        let heads: usize = self.outputs.iter().map(|o| (d + 1) * o).sum();
        emb + self.layers * block + 2 * d + heads
    }
}

/// LayerNorm gain and bias.
#[derive(Debug, Clone)]
struct Norm {
    g: Var,
    b: Var,
}

impl Norm {
    fn new(params: &mut Params, name: &str, d: usize, dtype: DType) -> Result<Self> {
        Ok(Self {
            g: params.full(&format!("{name}.g"), &[d], 1.0, dtype)?,
            b: params.full(&format!("{name}.b"), &[d], 0.0, dtype)?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        layer_norm(x, &self.g, &self.b, 1e-5)
    }
}

/// One pre-LN block.
#[derive(Debug, Clone)]
struct Block {
    ln1: Norm,
    w_qkv: Var,
    b_q: Var,
    b_v: Var,
    w_o: Var,
    b_o: Var,
    ln2: Norm,
    w_1: Var,
    b_1: Var,
    w_2: Var,
    b_2: Var,
}

/// Logits and attention of one forward pass.
#[derive(Debug, Clone)]
pub struct TransformerOutput {
    /// One tensor per output head, (batch, T, O_k).
    pub logits: Vec<Tensor>,
    /// One tensor per block, (batch, heads, T queries, T keys); each row sums to 1.
    pub attention: Vec<Tensor>,
}

/// The transformer (see the module docs).
#[derive(Debug, Clone)]
pub struct Transformer {
    cfg: TransformerConfig,
    embeds: Vec<Var>,
    blocks: Vec<Block>,
    ln_f: Norm,
    heads: Vec<(Var, Var)>,
    dtype: DType,
}

impl Transformer {
    /// Build it, registering parameters in `params` under `prefix`, initial draws from
    /// streams `key`, `key + 1`, … (see the module docs for the scales).
    pub fn new(
        cfg: TransformerConfig,
        params: &mut Params,
        prefix: &str,
        key: u64,
        dtype: DType,
    ) -> Result<Self> {
        let d = cfg.d_model;
        if d == 0 || cfg.heads == 0 || !d.is_multiple_of(cfg.heads) {
            candle_core::bail!(
                "Transformer::new: d_model = {d}, heads = {}; heads must be ≥ 1 and divide d_model",
                cfg.heads
            );
        }
        if cfg.vocabs.is_empty() || cfg.vocabs.contains(&0) || cfg.outputs.contains(&0) {
            candle_core::bail!(
                "Transformer::new: vocabs = {:?}, outputs = {:?}; need at least one input stream and no empty vocabulary",
                cfg.vocabs,
                cfg.outputs
            );
        }
        let mut k = key;
        let mut next = || {
            k = k.wrapping_add(1);
            k - 1
        };
        let emb_std = (1.0 / cfg.vocabs.len() as f64).sqrt();
        let embeds = cfg
            .vocabs
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                params.normal(&format!("{prefix}.emb{i}"), &[v, d], emb_std, next(), dtype)
            })
            .collect::<Result<Vec<_>>>()?;
        let res_scale = (2.0 * cfg.layers.max(1) as f64).sqrt().recip();
        let std_d = (1.0 / d as f64).sqrt();
        let std_ff = (1.0 / cfg.d_ff.max(1) as f64).sqrt();
        let mut blocks = Vec::with_capacity(cfg.layers);
        for l in 0..cfg.layers {
            let n = |s: &str| format!("{prefix}.block{l}.{s}");
            blocks.push(Block {
                ln1: Norm::new(params, &n("ln1"), d, dtype)?,
                w_qkv: params.normal(&n("w_qkv"), &[d, 3 * d], std_d, next(), dtype)?,
                b_q: params.full(&n("b_q"), &[d], 0.0, dtype)?,
                b_v: params.full(&n("b_v"), &[d], 0.0, dtype)?,
                w_o: params.normal(&n("w_o"), &[d, d], std_d * res_scale, next(), dtype)?,
                b_o: params.full(&n("b_o"), &[d], 0.0, dtype)?,
                ln2: Norm::new(params, &n("ln2"), d, dtype)?,
                w_1: params.normal(&n("w_1"), &[d, cfg.d_ff], std_d, next(), dtype)?,
                b_1: params.full(&n("b_1"), &[cfg.d_ff], 0.0, dtype)?,
                w_2: params.normal(&n("w_2"), &[cfg.d_ff, d], std_ff * res_scale, next(), dtype)?,
                b_2: params.full(&n("b_2"), &[d], 0.0, dtype)?,
            });
        }
        let ln_f = Norm::new(params, &format!("{prefix}.ln_f"), d, dtype)?;
        let heads = cfg
            .outputs
            .iter()
            .enumerate()
            .map(|(i, &o)| {
                Ok((
                    params.normal(
                        &format!("{prefix}.head{i}.w"),
                        &[d, o],
                        std_d,
                        next(),
                        dtype,
                    )?,
                    params.full(&format!("{prefix}.head{i}.b"), &[o], 0.0, dtype)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            cfg,
            embeds,
            blocks,
            ln_f,
            heads,
            dtype,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TransformerConfig {
        &self.cfg
    }

    /// Forward pass. `tokens`: one (batch, T) u32 tensor per input stream, each entry below
    /// that stream's vocabulary size; `mask`: additive, (T, T) or (batch, T, T), entry
    /// \[q, k\] 0 where query q may attend to key k (see [`additive_mask`]). Every query must
    /// be allowed at least one key (a padded query may attend to itself).
    pub fn forward(&self, tokens: &[Tensor], mask: &Tensor) -> Result<TransformerOutput> {
        if tokens.len() != self.embeds.len() {
            candle_core::bail!(
                "Transformer::forward: {} token streams given, the model embeds {}",
                tokens.len(),
                self.embeds.len()
            );
        }
        let (b, t) = tokens[0].dims2()?;
        let d = self.cfg.d_model;
        let mut h: Option<Tensor> = None;
        for (tok, e) in tokens.iter().zip(&self.embeds) {
            if tok.dims2()? != (b, t) {
                candle_core::bail!(
                    "Transformer::forward: token streams have shapes {:?} and {:?}; all must be (batch, T)",
                    tokens[0].shape(),
                    tok.shape()
                );
            }
            let x = e.as_tensor().index_select(&tok.flatten_all()?, 0)?;
            h = Some(match h {
                Some(h) => (h + x)?,
                None => x,
            });
        }
        let mut h = h.expect("at least one stream").reshape((b * t, d))?;
        let mask = match mask.rank() {
            2 => mask.reshape((1, 1, t, t))?,
            3 => mask.unsqueeze(1)?,
            r => candle_core::bail!(
                "Transformer::forward: mask has rank {r}; it must be (T, T) or (batch, T, T)"
            ),
        }
        .to_dtype(self.dtype)?;
        let mut attention = Vec::with_capacity(self.blocks.len());
        for blk in &self.blocks {
            let (a, p) = self.attend(blk, &blk.ln1.forward(&h)?, &mask, b, t)?;
            h = (h + a)?;
            let u = gelu_erf(&linear(&blk.ln2.forward(&h)?, &blk.w_1, &blk.b_1)?)?;
            let m = linear(&u, &blk.w_2, &blk.b_2)?;
            h = (h + m)?;
            attention.push(p);
        }
        let z = self.ln_f.forward(&h)?;
        let logits = self
            .heads
            .iter()
            .map(|(w, c)| {
                let o = w.dim(1)?;
                linear(&z, w, c)?.reshape((b, t, o))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TransformerOutput { logits, attention })
    }

    /// Multi-head attention of `x` (B·T, d): the projected output (B·T, d) and the
    /// probabilities (B, H, T, T).
    fn attend(
        &self,
        blk: &Block,
        x: &Tensor,
        mask: &Tensor,
        b: usize,
        t: usize,
    ) -> Result<(Tensor, Tensor)> {
        let d = self.cfg.d_model;
        let nh = self.cfg.heads;
        // No key bias: it adds q·b_k to every score of a query, which the softmax removes.
        let zeros = Tensor::zeros(d, self.dtype, &Device::Cpu)?;
        let bias = Tensor::cat(&[blk.b_q.as_tensor(), &zeros, blk.b_v.as_tensor()], 0)?;
        debug_assert_eq!(x.dim(0)?, b * t);
        multi_head_attention(
            x,
            [&blk.w_qkv, &bias, &blk.w_o, &blk.b_o],
            nh,
            b,
            Some(mask),
        )
    }
}

/// Multi-head scaled dot-product attention of `x` (B·T, d), `batch` = B sequences of T rows:
/// `[q k v] = x W_qkv + b_qkv` (columns q, k, v, each split into `heads` heads of d / heads),
/// `softmax(q kᵀ / √d_h + mask) v` per head, heads concatenated, then `W_o`, `b_o`.
/// `proj` = \[W_qkv (d, 3d), b_qkv (3d), W_o (d, d), b_o (d)\]; `mask`: additive, broadcastable
/// to (B, heads, T, T), or none (every query sees every key). Returns the output (B·T, d) and
/// the attention probabilities (B, heads, T, T).
pub fn multi_head_attention(
    x: &Tensor,
    proj: [&Tensor; 4],
    heads: usize,
    batch: usize,
    mask: Option<&Tensor>,
) -> Result<(Tensor, Tensor)> {
    let [w_qkv, b_qkv, w_o, b_o] = proj;
    let (rows, d) = x.dims2()?;
    let (b, t, dh) = (batch, rows / batch.max(1), d / heads.max(1));
    let qkv = linear(x, w_qkv, b_qkv)?;
    let split = |i: usize| -> Result<Tensor> {
        qkv.narrow(1, i * d, d)?
            .reshape((b, t, heads, dh))?
            .transpose(1, 2)?
            .contiguous()
    };
    let (q, k, v) = (split(0)?, split(1)?, split(2)?);
    let scores = (q.matmul(&k.transpose(2, 3)?.contiguous()?)? / (dh as f64).sqrt())?;
    let p = match mask {
        Some(m) => softmax_last(&scores.broadcast_add(m)?)?,
        None => softmax_last(&scores)?,
    };
    let heads_out = p
        .matmul(&v)?
        .transpose(1, 2)?
        .contiguous()?
        .reshape((b * t, d))?;
    let o = linear(&heads_out, w_o, b_o)?;
    Ok((o, p))
}

/// The additive value that blocks attention in [`additive_mask`].
pub const MASKED: f64 = -1e9;

/// Additive mask from `allowed` (row-major, `shape` = \[T, T\] or \[batch, T, T\]): 0 where
/// true, [`MASKED`] where false, as f64 on the CPU (the model converts it to its dtype).
pub fn additive_mask(allowed: &[bool], shape: &[usize]) -> Result<Tensor> {
    let v: Vec<f64> = allowed
        .iter()
        .map(|&a| if a { 0.0 } else { MASKED })
        .collect();
    Tensor::from_vec(v, shape, &Device::Cpu)
}

/// Causal pattern of length `t`: query q sees keys k ≤ q (row-major T × T booleans).
pub fn causal(t: usize) -> Vec<bool> {
    (0..t * t).map(|i| i % t <= i / t).collect()
}

/// Prefix-causal pattern: the first `prefix` positions see each other fully (a context such
/// as the previous window's spikes), later positions see the whole prefix and earlier or
/// equal positions after it (row-major T × T booleans).
pub fn prefix_causal(t: usize, prefix: usize) -> Vec<bool> {
    (0..t * t)
        .map(|i| {
            let (q, k) = (i / t, i % t);
            k < prefix || k <= q
        })
        .collect()
}

/// Mean cross-entropy −log softmax(z_i)\[y_i\] over the rows i of `logits` (N, C) with
/// positive `weights[i]`, weighted by them: Σ w_i ℓ_i / Σ w_i. `targets[i]` < C. Rows with
/// weight 0 (padding) do not count; all weights 0 is an error.
pub fn cross_entropy(logits: &Tensor, targets: &[usize], weights: &[f64]) -> Result<Tensor> {
    let (n, c) = logits.dims2()?;
    if targets.len() != n || weights.len() != n {
        candle_core::bail!(
            "cross_entropy: {n} rows of logits but {} targets and {} weights",
            targets.len(),
            weights.len()
        );
    }
    let total: f64 = weights.iter().sum();
    if !(total > 0.0) {
        candle_core::bail!(
            "cross_entropy: the weights sum to {total}; at least one row must count"
        );
    }
    let mut pick = vec![0.0f64; n * c];
    for (i, (&y, &w)) in targets.iter().zip(weights).enumerate() {
        if y >= c {
            candle_core::bail!("cross_entropy: target {y} in row {i} but only {c} classes");
        }
        pick[i * c + y] = w / total;
    }
    let dtype = logits.dtype();
    let pick = Tensor::from_vec(pick, (n, c), &Device::Cpu)?.to_dtype(dtype)?;
    let w = Tensor::from_vec(
        weights.iter().map(|w| w / total).collect::<Vec<_>>(),
        n,
        &Device::Cpu,
    )?
    .to_dtype(dtype)?;
    let m = logits.max_keepdim(1)?.detach();
    let lse = (logits.broadcast_sub(&m)?.exp()?.sum_keepdim(1)?.log()? + &m)?.squeeze(1)?;
    lse.mul(&w)?.sum_all()? - logits.mul(&pick)?.sum_all()?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::grad_check;

    fn small() -> TransformerConfig {
        TransformerConfig {
            vocabs: vec![5, 4],
            d_model: 8,
            heads: 2,
            layers: 2,
            d_ff: 12,
            outputs: vec![5, 3],
        }
    }

    fn toks(b: usize, t: usize, v: usize, seed: usize) -> Tensor {
        let x: Vec<u32> = (0..b * t).map(|i| ((i * 7 + seed) % v) as u32).collect();
        Tensor::from_vec(x, (b, t), &Device::Cpu).expect("tokens")
    }

    #[test]
    fn param_count_formula_matches_the_built_model() {
        let mut p = Params::new();
        let cfg = small();
        Transformer::new(cfg.clone(), &mut p, "t", 1, DType::F32).expect("build");
        assert_eq!(p.count(), cfg.param_count());
    }

    #[test]
    fn attention_rows_sum_to_one_and_respect_the_mask() {
        let mut p = Params::new();
        let m = Transformer::new(small(), &mut p, "t", 3, DType::F64).expect("build");
        let (b, t) = (2, 6);
        let mask = additive_mask(&prefix_causal(t, 2), &[t, t]).expect("mask");
        let out = m
            .forward(&[toks(b, t, 5, 1), toks(b, t, 4, 2)], &mask)
            .expect("fwd");
        assert_eq!(out.logits[0].dims3().expect("d"), (b, t, 5));
        assert_eq!(out.logits[1].dims3().expect("d"), (b, t, 3));
        let allowed = prefix_causal(t, 2);
        for a in &out.attention {
            let v: Vec<f64> = a.flatten_all().expect("f").to_vec1().expect("v");
            for row in v.chunks(t) {
                assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            }
            for (i, x) in v.iter().enumerate() {
                if !allowed[i % (t * t)] {
                    assert!(*x < 1e-12, "masked entry {i} = {x}");
                }
            }
        }
        assert_eq!(
            causal(3),
            vec![true, false, false, true, true, false, true, true, true]
        );
    }

    #[test]
    fn causal_outputs_do_not_see_the_future() {
        let mut p = Params::new();
        let m = Transformer::new(small(), &mut p, "t", 4, DType::F64).expect("build");
        let t = 5;
        let mask = additive_mask(&causal(t), &[t, t]).expect("mask");
        let a = toks(1, t, 5, 0);
        let mut bv: Vec<u32> = a.flatten_all().expect("f").to_vec1().expect("v");
        bv[t - 1] = (bv[t - 1] + 1) % 5;
        let b = Tensor::from_vec(bv, (1, t), &Device::Cpu).expect("b");
        let pos = toks(1, t, 4, 3);
        let ya: Vec<f64> = m.forward(&[a, pos.clone()], &mask).expect("a").logits[0]
            .flatten_all()
            .expect("f")
            .to_vec1()
            .expect("v");
        let yb: Vec<f64> = m.forward(&[b, pos], &mask).expect("b").logits[0]
            .flatten_all()
            .expect("f")
            .to_vec1()
            .expect("v");
        // Changing the last token changes only the last position's logits.
        let c = 5;
        for i in 0..(t - 1) * c {
            assert!((ya[i] - yb[i]).abs() < 1e-12);
        }
        assert!((0..c).any(|j| (ya[(t - 1) * c + j] - yb[(t - 1) * c + j]).abs() > 1e-9));
    }

    #[test]
    fn cross_entropy_matches_the_closed_form() {
        let z = [1.0, -2.0, 0.5, 3.0, 0.0, 0.0];
        let l = Tensor::from_vec(z.to_vec(), (2, 3), &Device::Cpu).expect("z");
        let got: f64 = cross_entropy(&l, &[2, 0], &[1.0, 3.0])
            .expect("ce")
            .to_scalar()
            .expect("s");
        let nll = |r: &[f64], y: usize| {
            let lse = r.iter().map(|x| x.exp()).sum::<f64>().ln();
            lse - r[y]
        };
        let want = (nll(&z[..3], 2) + 3.0 * nll(&z[3..], 0)) / 4.0;
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        assert!(cross_entropy(&l, &[3, 0], &[1.0, 1.0]).is_err());
        assert!(cross_entropy(&l, &[0, 0], &[0.0, 0.0]).is_err());
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut p = Params::new();
        let m = Transformer::new(small(), &mut p, "t", 7, DType::F64).expect("build");
        let (b, t) = (2, 5);
        // Prefix of 2 plus a padded last position in the second sequence.
        let mut allowed = Vec::new();
        for s in 0..b {
            for (i, &a) in prefix_causal(t, 2).iter().enumerate() {
                let (q, k) = (i / t, i % t);
                let pad = s == 1 && k == t - 1 && q != t - 1;
                allowed.push(a && !pad);
            }
        }
        let mask = additive_mask(&allowed, &[b, t, t]).expect("mask");
        let x = [toks(b, t, 5, 2), toks(b, t, 4, 1)];
        let y0: Vec<usize> = (0..b * t).map(|i| (i * 3 + 1) % 5).collect();
        let y1: Vec<usize> = (0..b * t).map(|i| (i * 2) % 3).collect();
        let w: Vec<f64> = (0..b * t)
            .map(|i| if i == b * t - 1 { 0.0 } else { 1.0 })
            .collect();
        let loss = || -> Result<Tensor> {
            let out = m.forward(&x, &mask)?;
            let l0 = cross_entropy(&out.logits[0].reshape((b * t, 5))?, &y0, &w)?;
            let l1 = cross_entropy(&out.logits[1].reshape((b * t, 3))?, &y1, &w)?;
            // The attention itself is differentiable too: include a term in it.
            let a = out.attention[1].narrow(3, 0, 1)?.sum_all()?;
            l0 + l1 + (a * 0.1)?
        };
        let gc = grad_check(&p, loss, 1e-6, 8).expect("grad check");
        assert!(gc.checked > 100, "{gc:?}");
        assert!(gc.max_rel_err < 1e-5, "{gc:?}");
    }
}
