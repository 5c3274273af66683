//! Steering vectors: adding `α · v` to the residual stream during the forward pass.
//!
//! Activation addition (Turner et al. 2023, "Steering language models with activation
//! engineering", arXiv:2308.10248) adds a vector to the residual stream at one layer; the
//! vector is the difference of the activations of two contrasting prompts. Contrastive
//! activation addition (Rimsky et al. 2024, "Steering Llama 2 via contrastive activation
//! addition", ACL 2024) takes the difference of the *mean* activations over two prompt
//! sets, at the last token of each prompt, which averages out what the prompts do not have
//! in common; the vector is then added, scaled by a multiplier `α`, at every position after
//! the user's prompt (here: every position, or the last only).
//!
//! Here:
//! - [`steering_vector`]: `v = mean(positive) − mean(negative)` of `blocks.{l}.hook_resid_pre`,
//!   `hook_resid_mid` or `hook_resid_post` ([`Site`]), each prompt pooled at its last token
//!   or over its positions ([`Pool`]);
//! - [`add_vector`]: the hook body, `resid[b, t, :] += α · v` at the chosen positions;
//! - [`steer_hook`]: adds that hook to a [`Run`] (TransformerLens's `run_with_hooks`);
//! - [`steer_logit_diff`]: logit differences over a prompt set for each `α`.
//!
//! With `α = 0` the hook adds exact zeros, so the logits are bit-identical to an unhooked run
//! (a test checks this).

use crate::ablate::{LogitDiff, Prompt, PromptResult, batches, prompt_result, tokenise};
use crate::model::{Activation, HookPoint, Model, ModelError, Run};
use std::fmt;
use std::str::FromStr;

/// Where in a block the vector is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Site {
    /// `blocks.{l}.hook_resid_pre`: before the block's attention.
    ResidPre,
    /// `blocks.{l}.hook_resid_mid`: between the block's attention and its MLP.
    ResidMid,
    /// `blocks.{l}.hook_resid_post`: after the block.
    ResidPost,
}

impl Site {
    /// The hook point of this site in block `layer`.
    pub fn point(self, layer: usize) -> HookPoint {
        match self {
            Site::ResidPre => HookPoint::ResidPre(layer),
            Site::ResidMid => HookPoint::ResidMid(layer),
            Site::ResidPost => HookPoint::ResidPost(layer),
        }
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Site::ResidPre => "resid_pre",
            Site::ResidMid => "resid_mid",
            Site::ResidPost => "resid_post",
        })
    }
}

impl FromStr for Site {
    type Err = String;

    fn from_str(s: &str) -> Result<Site, String> {
        match s {
            "resid_pre" => Ok(Site::ResidPre),
            "resid_mid" => Ok(Site::ResidMid),
            "resid_post" => Ok(Site::ResidPost),
            _ => Err(format!(
                "unknown residual site {s:?}: use resid_pre, resid_mid or resid_post"
            )),
        }
    }
}

/// How one prompt's activations `[pos, d_model]` become one vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// The last token's (Rimsky et al. 2024).
    Last,
    /// The mean over the prompt's positions.
    Mean,
}

/// Which positions of each prompt the vector is added at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Positions {
    /// Every position.
    All,
    /// The last position only.
    Last,
    /// Positions `t..` of each prompt (`From(1)` spares the first token, which llama-style
    /// models use as an attention sink: a large edit there perturbs every later position).
    From(usize),
}

fn check_site(model: &Model, site: Site, layer: usize) -> Result<HookPoint, ModelError> {
    let n = model.cfg.n_layers;
    if layer >= n {
        return Err(ModelError::Input(format!(
            "steering layer {layer} is out of range: the model has layers 0..{n}"
        )));
    }
    Ok(site.point(layer))
}

/// Mean over `prompts` (token ids, any lengths; each non-empty) of the residual stream at
/// `site` of block `layer`, each prompt pooled by `pool`: `[d_model]`, accumulated in `f64`.
pub fn mean_activation(
    model: &Model,
    prompts: &[Vec<u32>],
    site: Site,
    layer: usize,
    pool: Pool,
) -> Result<Vec<f64>, ModelError> {
    let point = check_site(model, site, layer)?;
    if prompts.is_empty() {
        return Err(ModelError::Input(
            "the prompt set is empty: a mean activation needs at least one prompt".into(),
        ));
    }
    let d = model.cfg.d_model;
    let mut sum = vec![0f64; d];
    for chunk in batches(prompts) {
        let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| prompts[i].clone()).collect();
        let mut run = Run::new().cache(&[point]).last_only();
        model.run(&batch, &mut run)?;
        let a = &run.cache[&point];
        let p = a.shape[1];
        for prompt in a.data.chunks(p * d) {
            match pool {
                Pool::Last => {
                    for (s, v) in sum.iter_mut().zip(&prompt[(p - 1) * d..]) {
                        *s += *v as f64;
                    }
                }
                Pool::Mean => {
                    for row in prompt.chunks(d) {
                        for (s, v) in sum.iter_mut().zip(row) {
                            *s += *v as f64 / p as f64;
                        }
                    }
                }
            }
        }
    }
    let n = prompts.len() as f64;
    Ok(sum.into_iter().map(|s| s / n).collect())
}

/// The contrastive steering vector `mean(positive) − mean(negative)` of the residual stream
/// at `site` of block `layer` (see [`mean_activation`]): `[d_model]`.
pub fn steering_vector(
    model: &Model,
    positive: &[Vec<u32>],
    negative: &[Vec<u32>],
    site: Site,
    layer: usize,
    pool: Pool,
) -> Result<Vec<f32>, ModelError> {
    if positive.is_empty() || negative.is_empty() {
        return Err(ModelError::Input(format!(
            "a steering vector needs prompts on both sides, got {} positive and {} negative",
            positive.len(),
            negative.len()
        )));
    }
    let a = mean_activation(model, positive, site, layer, pool)?;
    let b = mean_activation(model, negative, site, layer, pool)?;
    Ok(a.iter().zip(&b).map(|(x, y)| (x - y) as f32).collect())
}

/// Add `alpha · v` to a residual activation `[batch, pos, d_model]` at `positions`.
///
/// # Panics
/// If `v`'s length is not the activation's last dimension.
pub fn add_vector(a: &mut Activation, v: &[f32], alpha: f32, positions: Positions) {
    let d = *a.shape.last().expect("an activation has a shape");
    assert_eq!(
        v.len(),
        d,
        "add_vector: a vector of {} values for an activation of width {d}",
        v.len()
    );
    let p = a.shape[a.shape.len() - 2];
    for (r, row) in a.data.chunks_mut(d).enumerate() {
        let skip = match positions {
            Positions::All => false,
            Positions::Last => r % p != p - 1,
            Positions::From(t) => r % p < t,
        };
        if skip {
            continue;
        }
        for (x, &vi) in row.iter_mut().zip(v) {
            *x += alpha * vi;
        }
    }
}

/// Add a hook to `run` that adds `alpha · v` at `site` of block `layer` and `positions`.
/// Errors for a layer out of range, a vector whose length is not `d_model`, or a
/// non-finite `alpha` or vector entry.
pub fn steer_hook<'a>(
    model: &Model,
    run: Run<'a>,
    site: Site,
    layer: usize,
    v: &'a [f32],
    alpha: f32,
    positions: Positions,
) -> Result<Run<'a>, ModelError> {
    let point = check_site(model, site, layer)?;
    if v.len() != model.cfg.d_model {
        return Err(ModelError::Input(format!(
            "the steering vector has {} values but the model's residual stream has d_model = {}",
            v.len(),
            model.cfg.d_model
        )));
    }
    if !alpha.is_finite() {
        return Err(ModelError::Input(format!(
            "steering coefficient alpha = {alpha} is not finite"
        )));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(ModelError::Input(format!(
            "the steering vector's entry {i} is {} (not finite)",
            v[i]
        )));
    }
    Ok(run.hook(point, move |a| add_vector(a, v, alpha, positions)))
}

/// Logit differences of `prompts` (see [`crate::ablate::logit_diff`]) with `alpha · v`
/// added at `site` of block `layer` and `positions`, one [`LogitDiff`] per `alpha`, in order.
#[allow(clippy::too_many_arguments)]
pub fn steer_logit_diff(
    model: &Model,
    prompts: &[Prompt],
    site: Site,
    layer: usize,
    v: &[f32],
    alphas: &[f32],
    positions: Positions,
) -> Result<Vec<LogitDiff>, ModelError> {
    if alphas.is_empty() {
        return Err(ModelError::Input(
            "no steering coefficients: give at least one alpha (e.g. 0,2,4,8)".into(),
        ));
    }
    if prompts.is_empty() {
        return Err(ModelError::Input("the prompt set is empty".into()));
    }
    let t = tokenise(model, prompts)?;
    let voc = model.cfg.d_vocab;
    let mut out = Vec::with_capacity(alphas.len());
    for &alpha in alphas {
        let mut per: Vec<Option<PromptResult>> = vec![None; prompts.len()];
        for chunk in batches(&t.ids) {
            let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| t.ids[i].clone()).collect();
            let mut run = steer_hook(
                model,
                Run::new().last_only(),
                site,
                layer,
                v,
                alpha,
                positions,
            )?;
            let logits = model.run(&batch, &mut run)?;
            for (k, &i) in chunk.iter().enumerate() {
                let row = &logits.data[k * voc..(k + 1) * voc];
                per[i] = Some(prompt_result(prompts, &t, i, row));
            }
        }
        out.push(LogitDiff::of(per));
    }
    Ok(out)
}
