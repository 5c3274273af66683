//! Direct logit attribution (Elhage et al. 2021, "A Mathematical Framework for Transformer
//! Circuits"; Wang et al. 2023): how much each component writes the logit difference
//! directly, through the residual stream and the unembedding, at the last position.
//!
//! The final residual stream is a sum of component outputs: the embedding, every head's
//! result `z_h · W_O[:, h]ᵀ` and every MLP's output (llama has no biases). The logit
//! difference is `(x / s) ⊙ w_ln · (W_U[correct] − W_U[incorrect])` with `s` the final
//! RMSNorm scale (`ln_final.hook_scale`). **The scale is frozen at its value in the run**,
//! per prompt: each component `c` is attributed `c · (w_ln ⊙ Δ W_U) / s`, so the
//! attributions are linear in the components and sum exactly to the logit difference.
//! (Attributions with a frozen scale do not say what removing a component would do: that
//! would also change `s`, and every later layer; see [`crate::patching`] for that.)

use crate::model::{HookPoint, Model, ModelError, Run};

/// Direct logit attributions of a batch, last position.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// Prompts.
    pub batch: usize,
    /// Layers.
    pub n_layers: usize,
    /// Heads per layer.
    pub n_heads: usize,
    /// Per head, `[batch, n_layers, n_heads]`.
    pub heads: Vec<f32>,
    /// Per MLP, `[batch, n_layers]`.
    pub mlps: Vec<f32>,
    /// The token embedding's share, `[batch]`.
    pub embed: Vec<f32>,
    /// The logit difference of the run, `[batch]` (the sum of all the above).
    pub logit_diff: Vec<f32>,
}

impl Attribution {
    /// Head `h` of layer `l` for prompt `b`.
    pub fn head(&self, b: usize, l: usize, h: usize) -> f32 {
        self.heads[(b * self.n_layers + l) * self.n_heads + h]
    }

    /// The attention layer `l` for prompt `b`: the sum of its heads.
    pub fn attn_layer(&self, b: usize, l: usize) -> f32 {
        (0..self.n_heads).map(|h| self.head(b, l, h)).sum()
    }

    /// Per head, averaged over the batch: `[n_layers, n_heads]`.
    pub fn mean_heads(&self) -> Vec<f32> {
        let per = self.n_layers * self.n_heads;
        let mut m = vec![0f32; per];
        for row in self.heads.chunks(per) {
            for (m, v) in m.iter_mut().zip(row) {
                *m += v / self.batch as f32;
            }
        }
        m
    }
}

/// Direct logit attribution of `logit(correct[b]) − logit(incorrect[b])` at the last
/// position of each prompt (prompts of equal length), per head, MLP and the embedding.
pub fn logit_diff_attribution(
    model: &Model,
    ids: &[Vec<u32>],
    correct: &[u32],
    incorrect: &[u32],
) -> Result<Attribution, ModelError> {
    let (b, p) = model.check_batch(ids)?;
    model.check_answers(b, correct, incorrect)?;
    let c = &model.cfg;
    let (nl, nh, dh, d) = (c.n_layers, c.n_heads, c.d_head, c.d_model);
    let dq = nh * dh;
    let mut points = vec![HookPoint::Embed, HookPoint::LnFinalScale];
    for l in 0..nl {
        points.extend([HookPoint::Z(l), HookPoint::MlpOut(l)]);
    }
    let mut run = Run::new().cache(&points).last_only();
    let logits = model.run(ids, &mut run)?;
    let cache = run.cache;
    let w_u = model.w_u();
    let mut out = Attribution {
        batch: b,
        n_layers: nl,
        n_heads: nh,
        heads: vec![0.0; b * nl * nh],
        mlps: vec![0.0; b * nl],
        embed: vec![0.0; b],
        logit_diff: vec![0.0; b],
    };
    let dot = |a: &[f32], u: &[f64]| a.iter().zip(u).map(|(a, u)| *a as f64 * u).sum::<f64>();
    for bi in 0..b {
        let last = bi * p + p - 1;
        let scale = cache[&HookPoint::LnFinalScale].data[last] as f64;
        let (ci, ii) = (correct[bi] as usize, incorrect[bi] as usize);
        // The direction in the residual stream that reads the logit difference.
        let u: Vec<f64> = (0..d)
            .map(|e| {
                (w_u[ci * d + e] as f64 - w_u[ii * d + e] as f64) * model.ln_final[e] as f64 / scale
            })
            .collect();
        out.embed[bi] = dot(&cache[&HookPoint::Embed].data[last * d..(last + 1) * d], &u) as f32;
        for l in 0..nl {
            out.mlps[bi * nl + l] = dot(
                &cache[&HookPoint::MlpOut(l)].data[last * d..(last + 1) * d],
                &u,
            ) as f32;
            // W_Oᵀ u: what each z coordinate contributes per unit.
            let w_o = &model.layers[l].w_o;
            let mut v = vec![0f64; dq];
            for (e, &ue) in u.iter().enumerate() {
                for (vj, &w) in v.iter_mut().zip(&w_o[e * dq..(e + 1) * dq]) {
                    *vj += w as f64 * ue;
                }
            }
            let z = &cache[&HookPoint::Z(l)].data[last * dq..(last + 1) * dq];
            for h in 0..nh {
                out.heads[(bi * nl + l) * nh + h] =
                    dot(&z[h * dh..(h + 1) * dh], &v[h * dh..(h + 1) * dh]) as f32;
            }
        }
        let row = &logits.data[bi * c.d_vocab..(bi + 1) * c.d_vocab];
        out.logit_diff[bi] = row[ci] - row[ii];
    }
    Ok(out)
}
