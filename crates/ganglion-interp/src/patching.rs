//! Activation patching (Meng et al. 2022, causal tracing; Wang et al. 2023; TransformerLens's
//! `patching` module): run the corrupted prompts with one activation taken from the clean
//! run, and measure how much of the clean behaviour comes back.
//!
//! The metric is the mean over the batch of `logit(correct) − logit(incorrect)` at the last
//! position (the answers of the clean prompts). Each cell of a sweep reports the patched
//! metric; [`Patching::normalised`] gives `(patched − corrupted) / (clean − corrupted)`:
//! 0 means the patch restores nothing, 1 everything. Clean and corrupted prompts are paired
//! and must all have one token length. A patch at block `l` cannot change the residual
//! stream before it, so each patched pass starts at block `l` from the corrupted run's
//! cached `hook_resid_pre` ([`Run::start_at_layer`]). [`path_patch_heads`] restricts a
//! sender head's effect to the path through chosen receiver heads' inputs.

use crate::model::{Activation, HookPoint, Model, ModelError, Run};

/// What a layer/position sweep patches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `blocks.{l}.hook_resid_pre`.
    ResidPre,
    /// `blocks.{l}.hook_attn_out`.
    AttnOut,
    /// `blocks.{l}.hook_mlp_out`.
    MlpOut,
}

/// A patching sweep's results.
#[derive(Debug, Clone, PartialEq)]
pub struct Patching {
    /// The metric on the clean prompts.
    pub clean: f64,
    /// The metric on the corrupted prompts.
    pub corrupted: f64,
    /// The patched metric per cell, row-major with shape [`Patching::shape`].
    pub patched: Vec<f64>,
    /// `[n_layers, pos]` for layer/position sweeps, `[n_layers]` for layers at all
    /// positions, `[n_layers, n_heads]` for heads at all positions, `[n_layers, n_heads,
    /// pos]` for heads by position.
    pub shape: Vec<usize>,
}

impl Patching {
    /// `(patched − corrupted) / (clean − corrupted)` per cell (NaN when clean equals
    /// corrupted).
    pub fn normalised(&self) -> Vec<f64> {
        let gap = self.clean - self.corrupted;
        self.patched
            .iter()
            .map(|p| {
                if gap == 0.0 {
                    f64::NAN
                } else {
                    (p - self.corrupted) / gap
                }
            })
            .collect()
    }
}

/// Paired prompts and the answers that define the metric.
pub struct Pairs<'a> {
    /// Clean prompts' token ids.
    pub clean: &'a [Vec<u32>],
    /// Corrupted prompts' token ids, paired with `clean`, same lengths.
    pub corrupted: &'a [Vec<u32>],
    /// Correct answer per pair.
    pub correct: &'a [u32],
    /// Incorrect answer per pair.
    pub incorrect: &'a [u32],
}

impl Pairs<'_> {
    fn check(&self, model: &Model) -> Result<(usize, usize), ModelError> {
        let (b, p) = model.check_batch(self.clean)?;
        let (b2, p2) = model.check_batch(self.corrupted)?;
        if (b, p) != (b2, p2) {
            return Err(ModelError::Input(format!(
                "patching needs paired prompts of one length: {b} clean of {p} tokens, {b2} corrupted of {p2} tokens"
            )));
        }
        model.check_answers(b, self.correct, self.incorrect)?;
        Ok((b, p))
    }

    fn metric(&self, logits: &Activation) -> f64 {
        let v = logits.shape[2];
        let q = logits.shape[1];
        let b = logits.shape[0];
        (0..b)
            .map(|i| {
                let row = &logits.data[(i * q + q - 1) * v..(i * q + q) * v];
                (row[self.correct[i] as usize] - row[self.incorrect[i] as usize]) as f64
            })
            .sum::<f64>()
            / b as f64
    }
}

/// Run a sweep over `pairs` in chunks of at most `chunk` pairs and combine the chunks'
/// results by their batch-weighted mean: every metric is a mean over pairs, so the result
/// equals one sweep over all pairs (up to rounding), while each pass caches only `chunk`
/// prompts' activations.
pub fn in_chunks(
    pairs: &Pairs,
    chunk: usize,
    mut sweep: impl FnMut(&Pairs) -> Result<Patching, ModelError>,
) -> Result<Patching, ModelError> {
    assert!(chunk > 0, "in_chunks: a chunk of 0 pairs");
    let n = pairs.clean.len();
    if n <= chunk {
        return sweep(pairs);
    }
    let mut total: Option<Patching> = None;
    for start in (0..n).step_by(chunk) {
        let end = (start + chunk).min(n);
        let part = Pairs {
            clean: pairs.clean.get(start..end).unwrap_or_default(),
            corrupted: pairs.corrupted.get(start..end).unwrap_or_default(),
            correct: pairs.correct.get(start..end).unwrap_or_default(),
            incorrect: pairs.incorrect.get(start..end).unwrap_or_default(),
        };
        let r = sweep(&part)?;
        let w = (end - start) as f64 / n as f64;
        match &mut total {
            None => {
                total = Some(Patching {
                    clean: r.clean * w,
                    corrupted: r.corrupted * w,
                    patched: r.patched.iter().map(|v| v * w).collect(),
                    shape: r.shape,
                })
            }
            Some(t) => {
                t.clean += r.clean * w;
                t.corrupted += r.corrupted * w;
                for (a, b) in t.patched.iter_mut().zip(&r.patched) {
                    *a += b * w;
                }
            }
        }
    }
    Ok(total.expect("at least one chunk"))
}

/// Replace position `t` (or all positions when `None`) of head `h` — or of the whole row
/// when `h` is `None` — in `dst` by `src`; both `[batch, pos, width]` with `width =
/// heads · d_head` or `d_model`.
fn copy_slot(
    dst: &mut [f32],
    src: &[f32],
    p: usize,
    width: usize,
    t: Option<usize>,
    head: Option<(usize, usize)>,
) {
    for (r, (d, s)) in dst.chunks_mut(width).zip(src.chunks(width)).enumerate() {
        if t.is_some_and(|t| r % p != t) {
            continue;
        }
        match head {
            Some((h, dh)) => d[h * dh..(h + 1) * dh].copy_from_slice(&s[h * dh..(h + 1) * dh]),
            None => d.copy_from_slice(s),
        }
    }
}

fn caches(
    model: &Model,
    pairs: &Pairs,
    points: &[HookPoint],
) -> Result<(f64, f64, Run<'static>, Run<'static>), ModelError> {
    let nl = model.cfg.n_layers;
    let mut clean = Run::new().cache(points).last_only();
    let clean_metric = pairs.metric(&model.run(pairs.clean, &mut clean)?);
    let resid: Vec<HookPoint> = (0..nl).map(HookPoint::ResidPre).collect();
    let mut corrupt = Run::new().cache(&resid).last_only();
    let corrupt_metric = pairs.metric(&model.run(pairs.corrupted, &mut corrupt)?);
    Ok((clean_metric, corrupt_metric, clean, corrupt))
}

/// Patch `target` at every (layer, position): shape `[n_layers, pos]`.
pub fn patch_by_layer_position(
    model: &Model,
    pairs: &Pairs,
    target: Target,
) -> Result<Patching, ModelError> {
    sweep_layers(model, pairs, target, true)
}

/// Patch `target` at every layer, all positions at once: shape `[n_layers]`.
pub fn patch_by_layer(
    model: &Model,
    pairs: &Pairs,
    target: Target,
) -> Result<Patching, ModelError> {
    sweep_layers(model, pairs, target, false)
}

fn sweep_layers(
    model: &Model,
    pairs: &Pairs,
    target: Target,
    by_position: bool,
) -> Result<Patching, ModelError> {
    let (_, p) = pairs.check(model)?;
    let nl = model.cfg.n_layers;
    let d = model.cfg.d_model;
    let point = |l| match target {
        Target::ResidPre => HookPoint::ResidPre(l),
        Target::AttnOut => HookPoint::AttnOut(l),
        Target::MlpOut => HookPoint::MlpOut(l),
    };
    let points: Vec<HookPoint> = (0..nl).map(point).collect();
    let (clean_m, corrupt_m, clean, corrupt) = caches(model, pairs, &points)?;
    let positions: Vec<Option<usize>> = if by_position {
        (0..p).map(Some).collect()
    } else {
        vec![None]
    };
    let mut patched = Vec::with_capacity(nl * positions.len());
    for l in 0..nl {
        let src = &clean.cache[&point(l)].data;
        let start = corrupt.cache[&HookPoint::ResidPre(l)].clone();
        for &t in &positions {
            let logits = if target == Target::ResidPre {
                let mut resid = start.clone();
                copy_slot(&mut resid.data, src, p, d, t, None);
                model.run(
                    pairs.corrupted,
                    &mut Run::new().last_only().start_at_layer(l, resid),
                )?
            } else {
                let mut run = Run::new()
                    .last_only()
                    .start_at_layer(l, start.clone())
                    .hook(point(l), |a| copy_slot(&mut a.data, src, p, d, t, None));
                model.run(pairs.corrupted, &mut run)?
            };
            patched.push(pairs.metric(&logits));
        }
    }
    let mut shape = vec![nl];
    if by_position {
        shape.push(p);
    }
    Ok(Patching {
        clean: clean_m,
        corrupted: corrupt_m,
        patched,
        shape,
    })
}

/// Patch each head's output `z` (`blocks.{l}.attn.hook_z[:, :, h, :]`) at all positions
/// (shape `[n_layers, n_heads]`) or position by position (`[n_layers, n_heads, pos]`).
pub fn patch_heads(
    model: &Model,
    pairs: &Pairs,
    by_position: bool,
) -> Result<Patching, ModelError> {
    let (_, p) = pairs.check(model)?;
    let c = &model.cfg;
    let (nl, nh, dh) = (c.n_layers, c.n_heads, c.d_head);
    let points: Vec<HookPoint> = (0..nl).map(HookPoint::Z).collect();
    let (clean_m, corrupt_m, clean, corrupt) = caches(model, pairs, &points)?;
    let positions: Vec<Option<usize>> = if by_position {
        (0..p).map(Some).collect()
    } else {
        vec![None]
    };
    let mut patched = Vec::with_capacity(nl * nh * positions.len());
    for l in 0..nl {
        let src = &clean.cache[&HookPoint::Z(l)].data;
        let start = &corrupt.cache[&HookPoint::ResidPre(l)];
        for h in 0..nh {
            for &t in &positions {
                let mut run = Run::new()
                    .last_only()
                    .start_at_layer(l, start.clone())
                    .hook(HookPoint::Z(l), |a| {
                        copy_slot(&mut a.data, src, p, nh * dh, t, Some((h, dh)))
                    });
                patched.push(pairs.metric(&model.run(pairs.corrupted, &mut run)?));
            }
        }
    }
    let mut shape = vec![nl, nh];
    if by_position {
        shape.push(p);
    }
    Ok(Patching {
        clean: clean_m,
        corrupted: corrupt_m,
        patched,
        shape,
    })
}

/// Which input of a receiver head path patching replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qkv {
    /// Its query (`attn.hook_q`, before RoPE).
    Q,
    /// Its key (`attn.hook_k`): with grouped-query attention, its key/value head's, which
    /// the other query heads of the group share.
    K,
    /// Its value (`attn.hook_v`), shared likewise.
    V,
}

/// Path patching (Wang et al. 2023, §3 and appendix B; TransformerLens's IOI demo): the
/// effect of each sender head on the logit difference through the `input` of the
/// `receivers` only. For each sender head `s`:
///
/// 1. run the clean prompts with every head's `z` frozen to its clean value except `s`,
///    whose `z` comes from the corrupted run (MLPs are recomputed), and keep the receivers'
///    `input` (q, k or v);
/// 2. run the clean prompts with the receivers' `input` replaced by those values.
///
/// The cell is the metric of pass 2, shape `[n_layers, n_heads]`; a sender at or after the
/// last receiver's layer cannot reach it and gets the clean metric exactly. The usual
/// summary is `(patched − clean) / (clean − corrupted)`, negative for senders the
/// behaviour needs ([`Patching::normalised`] is `(patched − corrupted) / (clean −
/// corrupted)`, that minus 1).
pub fn path_patch_heads(
    model: &Model,
    pairs: &Pairs,
    receivers: &[(usize, usize)],
    input: Qkv,
) -> Result<Patching, ModelError> {
    let (_, p) = pairs.check(model)?;
    let c = &model.cfg;
    let (nl, nh, nkv, dh) = (c.n_layers, c.n_heads, c.n_kv_heads, c.d_head);
    let rep = nh / nkv;
    if receivers.is_empty() {
        return Err(ModelError::Input(
            "path patching needs at least one receiver head".into(),
        ));
    }
    if let Some(&(l, h)) = receivers.iter().find(|&&(l, h)| l >= nl || h >= nh) {
        return Err(ModelError::Input(format!(
            "receiver L{l}H{h} is out of range: the model has layers 0..={} and heads 0..={}",
            nl - 1,
            nh - 1
        )));
    }
    // A receiver's slot in the input: its own query head, or its key/value head.
    let (width, per_slot) = match input {
        Qkv::Q => (nh * dh, 1),
        Qkv::K | Qkv::V => (nkv * dh, rep),
    };
    let point = |l: usize| match input {
        Qkv::Q => HookPoint::Q(l),
        Qkv::K => HookPoint::K(l),
        Qkv::V => HookPoint::V(l),
    };
    let mut recv_layers: Vec<usize> = receivers.iter().map(|r| r.0).collect();
    recv_layers.sort_unstable();
    recv_layers.dedup();
    let last_r = recv_layers[recv_layers.len() - 1];
    let z_points: Vec<HookPoint> = (0..nl).map(HookPoint::Z).collect();
    let mut keep = z_points.clone();
    keep.extend((0..nl).map(HookPoint::ResidPre));
    let mut clean = Run::new().cache(&keep).last_only();
    let clean_m = pairs.metric(&model.run(pairs.clean, &mut clean)?);
    let mut corrupt = Run::new().cache(&z_points).last_only();
    let corrupt_m = pairs.metric(&model.run(pairs.corrupted, &mut corrupt)?);
    let zc = |l: usize| &clean.cache[&HookPoint::Z(l)].data;
    let mut patched = Vec::with_capacity(nl * nh);
    for sl in 0..nl {
        for sh in 0..nh {
            if sl >= last_r {
                patched.push(clean_m);
                continue;
            }
            // Pass 1: from the sender's layer, heads frozen to clean, the sender corrupted;
            // only receivers after the sender's layer can change (and be cached).
            let reached: Vec<HookPoint> = recv_layers
                .iter()
                .filter(|&&rl| rl > sl)
                .map(|&l| point(l))
                .collect();
            let mut run = Run::new()
                .last_only()
                .cache(&reached)
                .start_at_layer(sl, clean.cache[&HookPoint::ResidPre(sl)].clone());
            for l in sl..last_r {
                let src = zc(l);
                let bad = &corrupt.cache[&HookPoint::Z(l)].data;
                run = run.hook(HookPoint::Z(l), move |a| {
                    a.data.copy_from_slice(src);
                    if l == sl {
                        copy_slot(&mut a.data, bad, p, nh * dh, None, Some((sh, dh)));
                    }
                });
            }
            model.run(pairs.clean, &mut run)?;
            let inputs = run.cache;
            // Pass 2: the clean run with only the receivers' inputs replaced; receivers at
            // or before the sender's layer keep their clean inputs.
            let later: Vec<usize> = recv_layers.iter().copied().filter(|&rl| rl > sl).collect();
            let from = later[0];
            let mut run = Run::new()
                .last_only()
                .start_at_layer(from, clean.cache[&HookPoint::ResidPre(from)].clone());
            for &rl in &later {
                let src = &inputs[&point(rl)].data;
                let heads: Vec<usize> = receivers
                    .iter()
                    .filter(|r| r.0 == rl)
                    .map(|r| r.1 / per_slot)
                    .collect();
                run = run.hook(point(rl), move |a| {
                    for &g in &heads {
                        copy_slot(&mut a.data, src, p, width, None, Some((g, dh)));
                    }
                });
            }
            patched.push(pairs.metric(&model.run(pairs.clean, &mut run)?));
        }
    }
    Ok(Patching {
        clean: clean_m,
        corrupted: corrupt_m,
        patched,
        shape: vec![nl, nh],
    })
}
