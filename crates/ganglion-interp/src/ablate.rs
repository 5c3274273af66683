//! Logit differences over a prompt set, with attention heads ablated.
//!
//! The logit difference `logit(correct) − logit(incorrect)` at a prompt's last position is
//! the standard behavioural measure of circuit studies (Wang et al. 2023, indirect-object
//! identification); accuracy is the fraction of prompts where it is positive. A head is
//! ablated by replacing its output `z` (`blocks.{l}.attn.hook_z[:, :, h, :]`, before
//! `W_O`) at every position: by zero, or by its mean over the prompt set at that position
//! (mean-ablation; the means come from a clean run, so ablations in early layers do not
//! change the means used in later ones). Layers and heads count from 0, as in
//! TransformerLens.

use crate::model::{HookPoint, Model, ModelError, Run};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// Prompts per forward pass: bounds the memory of a pass over a large prompt set.
const CHUNK: usize = 64;

/// One prompt with its two answers (one line of a `P.jsonl` file).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Prompt {
    /// The text the model continues.
    pub prompt: String,
    /// The answer that should win, e.g. `" Mary"` (one token, leading space included).
    pub correct: String,
    /// The answer that should lose, e.g. `" John"`.
    pub incorrect: String,
}

/// Read a JSON-lines prompt file: one `{"prompt", "correct", "incorrect"}` object a line;
/// blank lines are skipped.
pub fn read_prompts(path: &Path) -> Result<Vec<Prompt>, ModelError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ModelError::Input(format!("cannot read {}: {e}", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let p: Prompt = serde_json::from_str(line).map_err(|e| {
            ModelError::Input(format!(
                "{}:{}: {e} (each line must be {{\"prompt\": ..., \"correct\": ..., \"incorrect\": ...}})",
                path.display(),
                i + 1
            ))
        })?;
        out.push(p);
    }
    if out.is_empty() {
        return Err(ModelError::Input(format!(
            "{} has no prompts",
            path.display()
        )));
    }
    Ok(out)
}

/// An attention head, written `L{layer}H{head}` (`L23H3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Head {
    /// Layer, from 0.
    pub layer: usize,
    /// Head within the layer, from 0.
    pub head: usize,
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}H{}", self.layer, self.head)
    }
}

impl FromStr for Head {
    type Err = String;

    fn from_str(s: &str) -> Result<Head, String> {
        let bad =
            || format!("{s:?} is not a head; write L<layer>H<head>, e.g. L23H3 (both from 0)");
        let t = s.trim();
        let rest = t.strip_prefix(['L', 'l']).ok_or_else(bad)?;
        let (l, h) = rest.split_once(['H', 'h']).ok_or_else(bad)?;
        Ok(Head {
            layer: l.parse().map_err(|_| bad())?,
            head: h.parse().map_err(|_| bad())?,
        })
    }
}

/// How an ablated head's `z` is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ablation {
    /// By zero.
    Zero,
    /// By its mean over the prompt set, position by position.
    Mean,
}

impl FromStr for Ablation {
    type Err = String;

    fn from_str(s: &str) -> Result<Ablation, String> {
        match s {
            "zero" => Ok(Ablation::Zero),
            "mean" => Ok(Ablation::Mean),
            _ => Err(format!("ablation {s:?} is not known (zero or mean)")),
        }
    }
}

impl fmt::Display for Ablation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ablation::Zero => "zero",
            Ablation::Mean => "mean",
        })
    }
}

/// One prompt's result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PromptResult {
    /// The prompt text.
    pub prompt: String,
    /// The correct answer.
    pub correct: String,
    /// The incorrect answer.
    pub incorrect: String,
    /// The prompt's length in tokens.
    pub tokens: usize,
    /// Token id of the correct answer.
    pub correct_id: u32,
    /// Token id of the incorrect answer.
    pub incorrect_id: u32,
    /// Logit of the correct answer at the last position.
    pub correct_logit: f32,
    /// Logit of the incorrect answer at the last position.
    pub incorrect_logit: f32,
    /// `correct_logit − incorrect_logit`.
    pub logit_diff: f32,
}

/// Logit differences over a prompt set.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogitDiff {
    /// Mean of the per-prompt logit differences.
    pub mean_logit_diff: f64,
    /// Fraction of prompts with a positive logit difference.
    pub accuracy: f64,
    /// Per prompt, in input order.
    pub per_prompt: Vec<PromptResult>,
}

/// A prompt set tokenised: prompt ids (with BOS when the model asks for it) and answer ids.
#[derive(Debug, Clone)]
pub struct Tokenised {
    /// Prompt token ids.
    pub ids: Vec<Vec<u32>>,
    /// Correct-answer token ids.
    pub correct: Vec<u32>,
    /// Incorrect-answer token ids.
    pub incorrect: Vec<u32>,
}

/// Tokenise prompts and check that every answer is a single token.
pub fn tokenise(model: &Model, prompts: &[Prompt]) -> Result<Tokenised, ModelError> {
    let tok = model.tokenizer()?;
    let mut t = Tokenised {
        ids: Vec::new(),
        correct: Vec::new(),
        incorrect: Vec::new(),
    };
    for (i, p) in prompts.iter().enumerate() {
        let mut ids = Vec::new();
        if tok.add_bos
            && let Some(b) = tok.bos
        {
            ids.push(b);
        }
        ids.extend(tok.encode(&p.prompt));
        if ids.is_empty() {
            return Err(ModelError::Input(format!("prompt {i} is empty")));
        }
        let one = |answer: &str, which: &str| -> Result<u32, ModelError> {
            let a = tok.encode(answer);
            if a.len() == 1 {
                return Ok(a[0]);
            }
            let pieces: Vec<String> = a.iter().map(|&id| tok.decode(&[id])).collect();
            Err(ModelError::Input(format!(
                "prompt {i} ({:?}): the {which} answer {answer:?} is {} tokens {pieces:?}, but the logit difference needs single-token answers (mind the leading space: \" Mary\", not \"Mary\")",
                p.prompt,
                a.len()
            )))
        };
        t.correct.push(one(&p.correct, "correct")?);
        t.incorrect.push(one(&p.incorrect, "incorrect")?);
        t.ids.push(ids);
    }
    Ok(t)
}

/// Check heads against the model's layers and heads.
pub fn check_heads(model: &Model, heads: &[Head]) -> Result<(), ModelError> {
    let c = &model.cfg;
    for h in heads {
        if h.layer >= c.n_layers || h.head >= c.n_heads {
            return Err(ModelError::Input(format!(
                "head {h} is out of range: the model has layers 0..={} and heads 0..={} per layer",
                c.n_layers - 1,
                c.n_heads - 1
            )));
        }
    }
    Ok(())
}

/// Prompt indices grouped by token length, in chunks of at most [`CHUNK`].
fn batches(ids: &[Vec<u32>]) -> Vec<Vec<usize>> {
    let mut by_len: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, t) in ids.iter().enumerate() {
        by_len.entry(t.len()).or_default().push(i);
    }
    by_len
        .into_values()
        .flat_map(|v| v.chunks(CHUNK).map(<[usize]>::to_vec).collect::<Vec<_>>())
        .collect()
}

/// Per-position means of the heads' `z` over all prompts (which must have one length):
/// for each ablated layer, `[pos, n_heads, d_head]`.
fn mean_z(
    model: &Model,
    ids: &[Vec<u32>],
    layers: &[usize],
) -> Result<BTreeMap<usize, Vec<f32>>, ModelError> {
    let c = &model.cfg;
    let p = ids[0].len();
    let width = p * c.n_heads * c.d_head;
    let mut sums: BTreeMap<usize, Vec<f64>> =
        layers.iter().map(|&l| (l, vec![0f64; width])).collect();
    let points: Vec<HookPoint> = layers.iter().map(|&l| HookPoint::Z(l)).collect();
    for chunk in batches(ids) {
        let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| ids[i].clone()).collect();
        let mut run = Run::new().cache(&points).last_only();
        model.run(&batch, &mut run)?;
        for (&l, sum) in sums.iter_mut() {
            let z = &run.cache[&HookPoint::Z(l)];
            for row in z.data.chunks(width) {
                for (s, v) in sum.iter_mut().zip(row) {
                    *s += *v as f64;
                }
            }
        }
    }
    let n = ids.len() as f64;
    Ok(sums
        .into_iter()
        .map(|(l, s)| (l, s.into_iter().map(|v| (v / n) as f32).collect()))
        .collect())
}

/// Logit differences of `prompts` with `heads` ablated (none: the clean model).
///
/// Prompts of different token lengths run in separate batches; mean-ablation needs them
/// all of one length (the mean is taken position by position).
pub fn logit_diff(
    model: &Model,
    prompts: &[Prompt],
    heads: &[Head],
    ablation: Ablation,
) -> Result<LogitDiff, ModelError> {
    check_heads(model, heads)?;
    let t = tokenise(model, prompts)?;
    let c = &model.cfg;
    let mut by_layer: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for h in heads {
        by_layer.entry(h.layer).or_default().push(h.head);
    }
    let means = if ablation == Ablation::Mean && !heads.is_empty() {
        let lens: std::collections::BTreeSet<usize> = t.ids.iter().map(Vec::len).collect();
        if lens.len() > 1 {
            return Err(ModelError::Input(format!(
                "mean-ablation needs prompts of one token length (the mean is taken per position), but they have lengths {lens:?}; use --ablation zero or prompts from one template"
            )));
        }
        let layers: Vec<usize> = by_layer.keys().copied().collect();
        Some(mean_z(model, &t.ids, &layers)?)
    } else {
        None
    };
    let (nh, dh, v) = (c.n_heads, c.d_head, c.d_vocab);
    let mut per_prompt: Vec<Option<PromptResult>> = vec![None; prompts.len()];
    for chunk in batches(&t.ids) {
        let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| t.ids[i].clone()).collect();
        let mut run = Run::new().last_only();
        for (&l, hs) in &by_layer {
            let mean = means.as_ref().map(|m| m[&l].as_slice());
            let hs = hs.clone();
            run = run.hook(HookPoint::Z(l), move |z| {
                let p = z.shape[1];
                for (r, row) in z.data.chunks_mut(nh * dh).enumerate() {
                    let pos = r % p;
                    for &h in &hs {
                        let dst = &mut row[h * dh..(h + 1) * dh];
                        match mean {
                            Some(m) => dst.copy_from_slice(&m[(pos * nh + h) * dh..][..dh]),
                            None => dst.fill(0.0),
                        }
                    }
                }
            });
        }
        let logits = model.run(&batch, &mut run)?;
        for (k, &i) in chunk.iter().enumerate() {
            let row = &logits.data[k * v..(k + 1) * v];
            let (a, b) = (row[t.correct[i] as usize], row[t.incorrect[i] as usize]);
            per_prompt[i] = Some(PromptResult {
                prompt: prompts[i].prompt.clone(),
                correct: prompts[i].correct.clone(),
                incorrect: prompts[i].incorrect.clone(),
                tokens: t.ids[i].len(),
                correct_id: t.correct[i],
                incorrect_id: t.incorrect[i],
                correct_logit: a,
                incorrect_logit: b,
                logit_diff: a - b,
            });
        }
    }
    let per_prompt: Vec<PromptResult> = per_prompt
        .into_iter()
        .map(|r| r.expect("every prompt is in one batch"))
        .collect();
    let n = per_prompt.len() as f64;
    Ok(LogitDiff {
        mean_logit_diff: per_prompt.iter().map(|r| r.logit_diff as f64).sum::<f64>() / n,
        accuracy: per_prompt.iter().filter(|r| r.logit_diff > 0.0).count() as f64 / n,
        per_prompt,
    })
}
