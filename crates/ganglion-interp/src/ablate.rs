//! Logit differences over a prompt set, with attention heads or MLP neurons ablated.
//!
//! The logit difference `logit(correct) − logit(incorrect)` at a prompt's last position is
//! the standard behavioural measure of circuit studies (Wang et al. 2023, indirect-object
//! identification); accuracy is the fraction of prompts where it is positive. A head is
//! ablated by replacing its output `z` (`blocks.{l}.attn.hook_z[:, :, h, :]`, before
//! `W_O`) at every position; an MLP neuron by replacing its activation
//! (`blocks.{l}.mlp.hook_post[:, :, n]`, before `W_down`). The replacement is zero, or the
//! value's mean over the prompt set at that position (mean-ablation; the means come from a
//! clean run, so ablations in early layers do not change the means used in later ones).
//! Layers, heads and neurons count from 0, as in TransformerLens.

use crate::model::{HookPoint, Model, ModelError, Run};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// Prompts per forward pass: bounds the memory of a pass over a large prompt set.
pub const CHUNK: usize = 64;

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
        let (layer, head) = parse_indexed(s, ['H', 'h']).ok_or_else(|| {
            format!("{s:?} is not a head; write L<layer>H<head>, e.g. L23H3 (both from 0)")
        })?;
        Ok(Head { layer, head })
    }
}

/// `L{a}{sep}{b}` (the letter `L` in either case, then `sep`) as `(a, b)`.
fn parse_indexed(s: &str, sep: [char; 2]) -> Option<(usize, usize)> {
    let rest = s.trim().strip_prefix(['L', 'l'])?;
    let (a, b) = rest.split_once(sep)?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// An MLP neuron, written `L{layer}N{index}` (`L5N100`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Neuron {
    /// Layer, from 0.
    pub layer: usize,
    /// Neuron within the layer's MLP hidden layer, from 0.
    pub index: usize,
}

impl fmt::Display for Neuron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}N{}", self.layer, self.index)
    }
}

/// Something to ablate: a head or an MLP neuron.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// An attention head's `z`.
    Head(Head),
    /// An MLP neuron's activation.
    Neuron(Neuron),
}

impl From<Head> for Component {
    fn from(h: Head) -> Component {
        Component::Head(h)
    }
}

impl From<Neuron> for Component {
    fn from(n: Neuron) -> Component {
        Component::Neuron(n)
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Component::Head(h) => h.fmt(f),
            Component::Neuron(n) => n.fmt(f),
        }
    }
}

impl FromStr for Component {
    type Err = String;

    /// `L23H3` (a head) or `L5N100` (a neuron), counted from 0.
    fn from_str(s: &str) -> Result<Component, String> {
        if let Some((layer, head)) = parse_indexed(s, ['H', 'h']) {
            return Ok(Component::Head(Head { layer, head }));
        }
        let (layer, index) = parse_indexed(s, ['N', 'n']).ok_or_else(|| {
            format!(
                "{s:?} is neither a head nor a neuron; write L<layer>H<head> (e.g. L23H3) or L<layer>N<neuron> (e.g. L5N100), counted from 0"
            )
        })?;
        Ok(Component::Neuron(Neuron { layer, index }))
    }
}

impl Component {
    /// The hook point it lives at, that activation's last-axis width, and its slice there
    /// (offset, length).
    fn slot(&self, model: &Model) -> (HookPoint, usize, usize, usize) {
        let c = &model.cfg;
        match *self {
            Component::Head(h) => (
                HookPoint::Z(h.layer),
                c.n_heads * c.d_head,
                h.head * c.d_head,
                c.d_head,
            ),
            Component::Neuron(n) => (HookPoint::MlpPost(n.layer), c.d_mlp, n.index, 1),
        }
    }
}

/// How an ablated head's `z` (or neuron's activation) is replaced.
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
        let ids = tok.encode_prompt(&p.prompt);
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

/// Check heads and neurons against the model's layers, heads and MLP width.
pub fn check_components(model: &Model, components: &[Component]) -> Result<(), ModelError> {
    let c = &model.cfg;
    for comp in components {
        let ok = match *comp {
            Component::Head(h) => h.layer < c.n_layers && h.head < c.n_heads,
            Component::Neuron(n) => n.layer < c.n_layers && n.index < c.d_mlp,
        };
        if !ok {
            let what = match comp {
                Component::Head(_) => format!("heads 0..={} per layer", c.n_heads - 1),
                Component::Neuron(_) => format!("MLP neurons 0..={} per layer", c.d_mlp - 1),
            };
            return Err(ModelError::Input(format!(
                "{} {comp} is out of range: the model has layers 0..={} and {what}",
                match comp {
                    Component::Head(_) => "head",
                    Component::Neuron(_) => "neuron",
                },
                c.n_layers - 1
            )));
        }
    }
    Ok(())
}

/// Prompt indices grouped by token length (shortest first), in chunks of at most
/// [`CHUNK`]: each chunk is one batch for [`Model::run`], and a chunk's cache stays small.
pub fn batches(ids: &[Vec<u32>]) -> Vec<Vec<usize>> {
    let mut by_len: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, t) in ids.iter().enumerate() {
        by_len.entry(t.len()).or_default().push(i);
    }
    by_len
        .into_values()
        .flat_map(|v| v.chunks(CHUNK).map(<[usize]>::to_vec).collect::<Vec<_>>())
        .collect()
}

/// Per-position means over all prompts (which must have one length) of the activations at
/// `points` (each with its last-axis width): `[pos, width]` each.
fn mean_acts(
    model: &Model,
    ids: &[Vec<u32>],
    points: &BTreeMap<HookPoint, usize>,
) -> Result<BTreeMap<HookPoint, Vec<f32>>, ModelError> {
    let p = ids[0].len();
    let mut sums: BTreeMap<HookPoint, Vec<f64>> = points
        .iter()
        .map(|(&pt, &w)| (pt, vec![0f64; p * w]))
        .collect();
    let keep: Vec<HookPoint> = points.keys().copied().collect();
    for chunk in batches(ids) {
        let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| ids[i].clone()).collect();
        let mut run = Run::new().cache(&keep).last_only();
        model.run(&batch, &mut run)?;
        for (pt, sum) in sums.iter_mut() {
            let a = &run.cache[pt];
            for prompt in a.data.chunks(sum.len()) {
                for (s, v) in sum.iter_mut().zip(prompt) {
                    *s += *v as f64;
                }
            }
        }
    }
    let n = ids.len() as f64;
    Ok(sums
        .into_iter()
        .map(|(pt, s)| (pt, s.into_iter().map(|v| (v / n) as f32).collect()))
        .collect())
}

/// Logit differences of `prompts` with `components` (heads, neurons) ablated (none: the
/// clean model).
///
/// Prompts of different token lengths run in separate batches; mean-ablation needs them
/// all of one length (the mean is taken position by position).
pub fn logit_diff(
    model: &Model,
    prompts: &[Prompt],
    components: &[Component],
    ablation: Ablation,
) -> Result<LogitDiff, ModelError> {
    check_components(model, components)?;
    let t = tokenise(model, prompts)?;
    let v = model.cfg.d_vocab;
    // Per hook point: the activation's width and the slices to replace.
    let mut slots: BTreeMap<HookPoint, (usize, Vec<(usize, usize)>)> = BTreeMap::new();
    for comp in components {
        let (pt, width, off, len) = comp.slot(model);
        slots
            .entry(pt)
            .or_insert((width, Vec::new()))
            .1
            .push((off, len));
    }
    let means = if ablation == Ablation::Mean && !components.is_empty() {
        let lens: std::collections::BTreeSet<usize> = t.ids.iter().map(Vec::len).collect();
        if lens.len() > 1 {
            return Err(ModelError::Input(format!(
                "mean-ablation needs prompts of one token length (the mean is taken per position), but they have lengths {lens:?}; use --ablation zero or prompts from one template"
            )));
        }
        let widths = slots.iter().map(|(&pt, (w, _))| (pt, *w)).collect();
        Some(mean_acts(model, &t.ids, &widths)?)
    } else {
        None
    };
    let mut per_prompt: Vec<Option<PromptResult>> = vec![None; prompts.len()];
    for chunk in batches(&t.ids) {
        let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| t.ids[i].clone()).collect();
        let mut run = Run::new().last_only();
        for (&pt, (width, list)) in &slots {
            let mean = means.as_ref().map(|m| m[&pt].as_slice());
            let (width, list) = (*width, list.clone());
            run = run.hook(pt, move |a| {
                let p = a.shape[1];
                for (r, row) in a.data.chunks_mut(width).enumerate() {
                    let pos = r % p;
                    for &(off, len) in &list {
                        let dst = &mut row[off..off + len];
                        match mean {
                            Some(m) => dst.copy_from_slice(&m[pos * width + off..][..len]),
                            None => dst.fill(0.0),
                        }
                    }
                }
            });
        }
        let logits = model.run(&batch, &mut run)?;
        for (k, &i) in chunk.iter().enumerate() {
            let row = &logits.data[k * v..(k + 1) * v];
            per_prompt[i] = Some(prompt_result(prompts, &t, i, row));
        }
    }
    Ok(LogitDiff::of(per_prompt))
}

/// Prompt `i`'s logit difference from its last-position logits `row` (vocabulary long).
pub(crate) fn prompt_result(
    prompts: &[Prompt],
    t: &Tokenised,
    i: usize,
    row: &[f32],
) -> PromptResult {
    let (a, b) = (row[t.correct[i] as usize], row[t.incorrect[i] as usize]);
    PromptResult {
        prompt: prompts[i].prompt.clone(),
        correct: prompts[i].correct.clone(),
        incorrect: prompts[i].incorrect.clone(),
        tokens: t.ids[i].len(),
        correct_id: t.correct[i],
        incorrect_id: t.incorrect[i],
        correct_logit: a,
        incorrect_logit: b,
        logit_diff: a - b,
    }
}

impl LogitDiff {
    /// Mean and accuracy over the prompts' results, each filled in by one batch.
    pub(crate) fn of(per_prompt: Vec<Option<PromptResult>>) -> LogitDiff {
        let per_prompt: Vec<PromptResult> = per_prompt
            .into_iter()
            .map(|r| r.expect("every prompt is in one batch"))
            .collect();
        let n = per_prompt.len() as f64;
        LogitDiff {
            mean_logit_diff: per_prompt.iter().map(|r| r.logit_diff as f64).sum::<f64>() / n,
            accuracy: per_prompt.iter().filter(|r| r.logit_diff > 0.0).count() as f64 / n,
            per_prompt,
        }
    }
}
