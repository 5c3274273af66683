//! Study `emotion-steering`: emotion directions in the residual stream of SmolLM2-135M,
//! read out on held-out situations and used to steer what the model says it felt — the
//! direction-extraction-and-steering analysis of the emotion-circuits work in PAPERS.md
//! row 27 (Wang et al. 2025, "Do LLMs 'feel'? Emotion circuits discovery and control",
//! arXiv:2510.11328), on the model the `ioi-circuit` study dissects.
//!
//! **Prompts.** First-person situations that call for one of four emotions — joy, sadness,
//! anger, fear — without naming it ("When I lost my dog, I felt"), 12 situations per emotion
//! in up to 3 sentence frames, and neutral situations ("When I folded the laundry, I felt").
//! The model's answer is read from the logits of the four emotion words (" happy", " sad",
//! " angry", " scared", each one token) at the last position. Situations are split into a
//! training part (the directions are computed from it) and held-out situations.
//!
//! **Method.** As in the paper, an emotion's direction at a layer is the mean residual
//! stream (last token) over its prompts minus the mean over all emotions' prompts
//! (`blocks.{l}.hook_resid_post`, every layer). (1) Read-out: each held-out prompt is
//! assigned the emotion whose direction has the largest cosine with its centred
//! activation; accuracy per layer. (2) Context independence: directions computed from two
//! different sentence frames agree (same emotion's cosine above every other emotion's).
//! (3) Steering: `α · d_e` added to `blocks.{L}.hook_resid_post` at every position but the
//! first (an attention sink), L = the middle block fixed beforehand, α in units of the
//! direction itself (α = 1 moves the mean prompt by one emotion's offset); on neutral
//! prompts the target emotion word should win among the four, on held-out prompts of
//! another emotion too (steering against the context). (4) Control: a random direction of
//! the same norm. Full mode adds the steering effect of every third layer.
//!
//! **Last runs** (2026-12-07, release build, 2 shared cores). Full (160 s; 144 emotion
//! prompts, 48 held out, 12 neutral): 7/7 checks pass. Unsteered, the model names the
//! held-out situation's emotion for 0.67 of prompts (chance 0.25); the directions read it out
//! for 0.88 at the best block (22); the most frame-consistent block on the training
//! situations is 28, where held-out directions keep a frame margin of 0.66; steering there
//! makes the target word win on 1.0 of neutral prompts (a random direction of the same norm:
//! 0.17) and on 1.0 of held-out prompts of another emotion at α = 8. The smallest α that
//! steers ≥ 90 % of neutral prompts is 4, where the word's median rank among all 49 152 tokens
//! is 89 (unsteered 145.5; in real situations 33.5): it wins among the four words without
//! becoming as likely as in a real situation. Steering works from block 18 on (0.94 at
//! α = 4) and weakly before (block 15: 0.63; block 9: 0.35), so the chosen block is late
//! and the edit there is close to the logits. Quick (64 prompts): 7/7, steering block 23.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use ganglion_interp::ablate::batches;
use ganglion_interp::model::{HookPoint, Model, Run};
use ganglion_interp::steering::{Positions, Site, steer_hook};
use ganglion_plot::{Figure, Panel};
use serde::Serialize;

use crate::report::{self, Table, num};
use crate::stats::{median, normal, stream};
use crate::{Check, Expect, Mode, Source, Study, StudyError, StudyInfo, StudyOutput};

/// The `emotion-steering` study (see the module docs).
pub struct EmotionSteering;

const NAME: &str = "emotion-steering";
const SEED: u64 = 2510;

/// The emotions and the word that names each in the model's answer.
const EMOTIONS: [(&str, &str); 4] = [
    ("joy", " happy"),
    ("sadness", " sad"),
    ("anger", " angry"),
    ("fear", " scared"),
];

/// Situations, 12 per emotion, in the order of [`EMOTIONS`]; none names its emotion.
const EVENTS: [[&str; 12]; 4] = [
    [
        "won the lottery",
        "got my dream job",
        "passed the final exam",
        "saw my best friend after ten years",
        "got a puppy for my birthday",
        "heard that my sister had a healthy baby",
        "won the championship",
        "got married on the beach",
        "finished my first marathon",
        "got the best grade in the class",
        "received a surprise gift from my family",
        "was promoted at work",
    ],
    [
        "lost my dog",
        "heard that my grandmother had died",
        "said goodbye to my best friend forever",
        "failed the final exam",
        "spent my birthday alone",
        "lost my job",
        "visited my father's grave",
        "heard that my team had lost again",
        "watched my old house being torn down",
        "read the last letter from my late mother",
        "broke up with my girlfriend",
        "had to give away my cat",
    ],
    [
        "found out that someone stole my bike",
        "was lied to by my boss",
        "was cheated by the car dealer",
        "was insulted in front of everyone",
        "saw a driver scratch my car and drive off",
        "was blamed for my coworker's mistake",
        "was pushed out of the line for the third time",
        "found that my roommate had eaten my food again",
        "was yelled at for no reason",
        "learned that my friend had betrayed me",
        "got a parking ticket I did not deserve",
        "was treated unfairly by the referee",
    ],
    [
        "heard footsteps behind me in the dark",
        "saw a snake next to my foot",
        "was lost in the forest at night",
        "felt the house shake in the earthquake",
        "saw a man with a knife outside my door",
        "heard a scream from the basement",
        "was alone in the house during the storm",
        "felt the plane drop suddenly",
        "woke up to the smell of smoke",
        "saw a shark swimming near me",
        "was followed home by a stranger",
        "stood at the edge of the cliff",
    ],
];

/// Situations with no emotional content.
const NEUTRAL: [&str; 12] = [
    "walked to the station",
    "read the newspaper",
    "opened the window",
    "made a cup of tea",
    "sat down at the table",
    "looked at the clock",
    "turned on the computer",
    "wrote the date on the page",
    "folded the laundry",
    "checked the weather",
    "parked the car",
    "washed the dishes",
];

/// Sentence frames; `{}` is the situation.
const FRAMES: [&str; 3] = [
    "When I {}, I felt",
    "After I {}, I was",
    "The moment I {}, I felt so",
];

struct Budget {
    /// Situations per emotion (the first `train` compute the directions).
    events: usize,
    train: usize,
    frames: usize,
    neutral: usize,
    alphas: &'static [f32],
    /// Steering every `layer_step`-th block in the layer sweep (0: no sweep).
    layer_step: usize,
}

const QUICK: Budget = Budget {
    events: 8,
    train: 6,
    frames: 2,
    neutral: 6,
    alphas: &[0.0, 1.0, 2.0, 4.0, 8.0],
    layer_step: 0,
};

const FULL: Budget = Budget {
    events: 12,
    train: 8,
    frames: 3,
    neutral: 12,
    alphas: &[0.0, 1.0, 2.0, 4.0, 6.0, 8.0],
    layer_step: 3,
};

fn fail(message: impl Into<String>) -> StudyError {
    StudyError::study(NAME, message)
}

fn interp(e: impl std::fmt::Display) -> StudyError {
    fail(e.to_string())
}

/// One prompt set: token ids and, per prompt, its emotion (`None`: neutral), situation
/// index and frame.
struct Prompts {
    texts: Vec<String>,
    ids: Vec<Vec<u32>>,
    emotion: Vec<Option<usize>>,
    event: Vec<usize>,
    frame: Vec<usize>,
}

fn prompts(model: &Model, items: &[(Option<usize>, usize, usize)]) -> Result<Prompts, StudyError> {
    let tok = model.tokenizer().map_err(interp)?;
    let mut p = Prompts {
        texts: Vec::new(),
        ids: Vec::new(),
        emotion: Vec::new(),
        event: Vec::new(),
        frame: Vec::new(),
    };
    for &(e, ev, fr) in items {
        let situation = match e {
            Some(e) => EVENTS[e][ev],
            None => NEUTRAL[ev],
        };
        let text = FRAMES[fr].replace("{}", situation);
        p.ids.push(tok.encode_prompt(&text));
        p.texts.push(text);
        p.emotion.push(e);
        p.event.push(ev);
        p.frame.push(fr);
    }
    Ok(p)
}

/// The emotion words' token ids, each checked to be one token.
fn word_ids(model: &Model) -> Result<[u32; 4], StudyError> {
    let tok = model.tokenizer().map_err(interp)?;
    let mut ids = [0u32; 4];
    for (i, (_, w)) in EMOTIONS.iter().enumerate() {
        let t = tok.encode(w);
        if t.len() != 1 {
            return Err(fail(format!(
                "the emotion word {w:?} is {} tokens in this model's vocabulary; the study reads one logit per emotion and needs single-token words",
                t.len()
            )));
        }
        ids[i] = t[0];
    }
    Ok(ids)
}

/// The last token's `resid_post` at every layer (`[prompt][layer * d]`) and the four
/// emotion words' logits, one forward pass per equal-length batch.
fn last_token_states(
    model: &Model,
    p: &Prompts,
    words: &[u32; 4],
) -> Result<(Vec<Vec<f32>>, Vec<Answer>), StudyError> {
    let (nl, d, voc) = (model.cfg.n_layers, model.cfg.d_model, model.cfg.d_vocab);
    let points: Vec<HookPoint> = (0..nl).map(HookPoint::ResidPost).collect();
    let mut states = vec![Vec::new(); p.ids.len()];
    let mut answers = vec![Answer::default(); p.ids.len()];
    for chunk in batches(&p.ids) {
        let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| p.ids[i].clone()).collect();
        let mut run = Run::new().cache(&points).last_only();
        let out = model.run(&batch, &mut run).map_err(interp)?;
        let len = batch[0].len();
        for (k, &i) in chunk.iter().enumerate() {
            let mut s = Vec::with_capacity(nl * d);
            for pt in &points {
                let a = &run.cache[pt];
                let at = (k * len + len - 1) * d;
                s.extend_from_slice(&a.data[at..at + d]);
            }
            states[i] = s;
            answers[i] = answer(&out.data[k * voc..(k + 1) * voc], words);
        }
    }
    Ok((states, answers))
}

/// The model's answer at the last position: the four emotion words' logits and their
/// ranks among the whole vocabulary (0: the top token).
#[derive(Clone, Copy, Default)]
struct Answer {
    logits: [f32; 4],
    rank: [usize; 4],
}

fn answer(row: &[f32], words: &[u32; 4]) -> Answer {
    let mut a = Answer::default();
    for (w, &id) in words.iter().enumerate() {
        let t = row[id as usize];
        a.logits[w] = t;
        a.rank[w] = row.iter().filter(|&&x| x > t).count();
    }
    a
}

fn argmax(v: &[f32; 4]) -> usize {
    (0..4).fold(0, |b, i| if v[i] > v[b] { i } else { b })
}

/// Softmax share of word `w` among the four emotion words.
fn share(v: &[f32; 4], w: usize) -> f64 {
    let m = v.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
    let z: f64 = v.iter().map(|&x| (x as f64 - m).exp()).sum();
    (v[w] as f64 - m).exp() / z
}

/// Per emotion, the mean state at layer `l` over the prompts `keep` selects, and the grand
/// mean (the mean of the emotion means, so unequal counts do not tilt it).
fn emotion_means(
    states: &[Vec<f32>],
    p: &Prompts,
    l: usize,
    d: usize,
    keep: impl Fn(usize) -> bool,
) -> ([Vec<f64>; 4], Vec<f64>) {
    let mut means: [Vec<f64>; 4] = std::array::from_fn(|_| vec![0.0; d]);
    let mut counts = [0usize; 4];
    for (i, s) in states.iter().enumerate() {
        let Some(e) = p.emotion[i] else { continue };
        if !keep(i) {
            continue;
        }
        counts[e] += 1;
        for (m, &x) in means[e].iter_mut().zip(&s[l * d..(l + 1) * d]) {
            *m += x as f64;
        }
    }
    for (m, &c) in means.iter_mut().zip(&counts) {
        m.iter_mut().for_each(|x| *x /= c.max(1) as f64);
    }
    let grand = (0..d)
        .map(|j| means.iter().map(|m| m[j]).sum::<f64>() / 4.0)
        .collect();
    (means, grand)
}

/// Per emotion, `mean(its prompts) − mean(all emotions' prompts)` at layer `l` (the
/// paper's direction), over the prompts `keep` selects.
fn directions(
    states: &[Vec<f32>],
    p: &Prompts,
    l: usize,
    d: usize,
    keep: impl Fn(usize) -> bool,
) -> [Vec<f64>; 4] {
    let (means, grand) = emotion_means(states, p, l, d, keep);
    std::array::from_fn(|e| means[e].iter().zip(&grand).map(|(a, b)| a - b).collect())
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    dot(a, b) / (dot(a, a).sqrt() * dot(b, b).sqrt()).max(1e-30)
}

/// How context-agnostic the directions at layer `l` are, over the prompts `keep` selects:
/// the minimum over emotions of cos(d_e from frame 0, d_e from frame 1) minus the largest
/// cosine of d_e (frame 0) with another emotion's frame-1 direction (> 0: each emotion's
/// direction from one frame is closest to its own from the other).
fn frame_margin(
    states: &[Vec<f32>],
    p: &Prompts,
    l: usize,
    d: usize,
    keep: &impl Fn(usize) -> bool,
) -> f64 {
    let a = directions(states, p, l, d, |i| keep(i) && p.frame[i] == 0);
    let b = directions(states, p, l, d, |i| keep(i) && p.frame[i] == 1);
    (0..4)
        .map(|e| {
            let other = (0..4)
                .filter(|&f| f != e)
                .map(|f| cosine(&a[e], &b[f]))
                .fold(f64::NEG_INFINITY, f64::max);
            cosine(&a[e], &b[e]) - other
        })
        .fold(f64::INFINITY, f64::min)
}

/// Steered emotion-word logits of `p` with `alpha · v` added at `blocks.{layer}.hook_resid_post`.
fn steered(
    model: &Model,
    p: &Prompts,
    words: &[u32; 4],
    layer: usize,
    v: &[f32],
    alpha: f32,
) -> Result<Vec<Answer>, StudyError> {
    let voc = model.cfg.d_vocab;
    let mut out = vec![Answer::default(); p.ids.len()];
    for chunk in batches(&p.ids) {
        let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| p.ids[i].clone()).collect();
        let mut run = steer_hook(
            model,
            Run::new().last_only(),
            Site::ResidPost,
            layer,
            v,
            alpha,
            Positions::From(1),
        )
        .map_err(interp)?;
        let logits = model.run(&batch, &mut run).map_err(interp)?;
        for (k, &i) in chunk.iter().enumerate() {
            out[i] = answer(&logits.data[k * voc..(k + 1) * voc], words);
        }
    }
    Ok(out)
}

/// Steering toward each emotion on a prompt set: per emotion and α, the fraction of
/// prompts (those `eligible` selects for that emotion) whose top word is the target, and
/// the target's mean share.
struct Sweep {
    /// `[emotion][alpha]`.
    success: Vec<Vec<f64>>,
    share: Vec<Vec<f64>>,
    /// The target word's median rank in the whole vocabulary.
    rank: Vec<Vec<f64>>,
}

#[allow(clippy::too_many_arguments)]
fn sweep(
    model: &Model,
    p: &Prompts,
    words: &[u32; 4],
    layer: usize,
    dirs: &[Vec<f32>],
    alphas: &[f32],
    eligible: impl Fn(usize, usize) -> bool,
) -> Result<Sweep, StudyError> {
    let mut s = Sweep {
        success: vec![Vec::new(); dirs.len()],
        share: vec![Vec::new(); dirs.len()],
        rank: vec![Vec::new(); dirs.len()],
    };
    for (e, v) in dirs.iter().enumerate() {
        let target = e % 4;
        for &a in alphas {
            let l = steered(model, p, words, layer, v, a)?;
            let (mut hit, mut sh, mut ranks) = (0usize, 0f64, Vec::new());
            for (i, a) in l.iter().enumerate() {
                if !eligible(i, target) {
                    continue;
                }
                hit += usize::from(argmax(&a.logits) == target);
                sh += share(&a.logits, target);
                ranks.push(a.rank[target] as f64);
            }
            let n = ranks.len().max(1) as f64;
            s.success[e].push(hit as f64 / n);
            s.share[e].push(sh / n);
            s.rank[e].push(median(ranks));
        }
    }
    Ok(s)
}

#[derive(Serialize)]
struct LayerRow {
    layer: usize,
    heldout_readout_accuracy: f64,
    direction_norm_mean: f64,
    frame_consistency_margin: f64,
}

#[derive(Serialize)]
struct SteerRow {
    emotion: &'static str,
    alpha: f32,
    neutral_success: f64,
    neutral_target_share: f64,
    random_success: f64,
    random_target_share: f64,
    against_context_success: f64,
    /// Median rank of the target word in the whole vocabulary (0: top token).
    neutral_target_rank: f64,
}

#[derive(Serialize)]
struct LayerSteerRow {
    layer: usize,
    alpha: f32,
    neutral_success_mean: f64,
}

#[derive(Serialize)]
struct PromptRow {
    prompt: String,
    emotion: &'static str,
    split: &'static str,
    model_answer: &'static str,
}

impl Study for EmotionSteering {
    fn info(&self) -> StudyInfo {
        StudyInfo {
            name: NAME,
            paper: "Wang et al. (2025) arXiv:2510.11328, Do LLMs 'feel'? Emotion circuits discovery and control: context-agnostic emotion directions in the residual stream and steering with them, in SmolLM2-135M-Instruct (needs scripts/fetch-data.sh smollm2)",
            checks: "held-out situations read out by the emotion directions; directions agree across sentence frames; steering along a direction makes its emotion word win on neutral prompts and against the context, far more than a random direction of the same norm; steered words stay among the model's top tokens (paper claims, self-consistency)",
            quick_runtime: "~20 s (64 emotion + 6 neutral prompts)",
            full_runtime: "~3 min on 2 cores (160 s: 144 emotion + 12 neutral prompts, steering at every third layer)",
        }
    }

    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, StudyError> {
        let started = Instant::now();
        let model = crate::data::load_smollm2(NAME)?;
        let (nl, d) = (model.cfg.n_layers, model.cfg.d_model);
        let b = match mode {
            Mode::Quick => &QUICK,
            Mode::Full => &FULL,
        };
        let words = word_ids(&model)?;
        let mut items = Vec::new();
        for e in 0..4 {
            for ev in 0..b.events {
                for fr in 0..b.frames {
                    items.push((Some(e), ev, fr));
                }
            }
        }
        let set = prompts(&model, &items)?;
        let neutral_items: Vec<_> = (0..b.neutral).map(|ev| (None, ev, 0)).collect();
        let neutral = prompts(&model, &neutral_items)?;
        let (states, logits) = last_token_states(&model, &set, &words)?;
        let train = |i: usize| set.event[i] < b.train;

        // Unsteered answers.
        let heldout: Vec<usize> = (0..set.ids.len()).filter(|&i| !train(i)).collect();
        let answer_acc = heldout
            .iter()
            .filter(|&&i| Some(argmax(&logits[i].logits)) == set.emotion[i])
            .count() as f64
            / heldout.len() as f64;
        let all_acc = (0..set.ids.len())
            .filter(|&i| Some(argmax(&logits[i].logits)) == set.emotion[i])
            .count() as f64
            / set.ids.len() as f64;

        // (1), (2) per layer.
        let mut layers = Vec::with_capacity(nl);
        for l in 0..nl {
            let dirs = directions(&states, &set, l, d, train);
            let (_, mu) = emotion_means(&states, &set, l, d, train);
            let correct = heldout
                .iter()
                .filter(|&&i| {
                    let x: Vec<f64> = states[i][l * d..(l + 1) * d]
                        .iter()
                        .zip(&mu)
                        .map(|(&a, m)| a as f64 - m)
                        .collect();
                    let best = (0..4).map(|e| cosine(&x, &dirs[e])).enumerate().fold(
                        (0, f64::NEG_INFINITY),
                        |b, (e, c)| if c > b.1 { (e, c) } else { b },
                    );
                    Some(best.0) == set.emotion[i]
                })
                .count();
            let margin = frame_margin(&states, &set, l, d, &train);
            layers.push(LayerRow {
                layer: l,
                heldout_readout_accuracy: correct as f64 / heldout.len() as f64,
                direction_norm_mean: dirs.iter().map(|v| dot(v, v).sqrt()).sum::<f64>() / 4.0,
                frame_consistency_margin: margin,
            });
        }
        let best = layers
            .iter()
            .max_by(|a, b| {
                a.heldout_readout_accuracy
                    .total_cmp(&b.heldout_readout_accuracy)
            })
            .expect("layers");
        let (best_layer, best_acc) = (best.layer, best.heldout_readout_accuracy);

        // (3), (4) steering.
        // The block whose directions are most context-agnostic on the training situations
        // (the frame margin), chosen before any steering and without held-out prompts.
        let steer_layer = layers
            .iter()
            .max_by(|a, b| {
                a.frame_consistency_margin
                    .total_cmp(&b.frame_consistency_margin)
            })
            .expect("layers")
            .layer;
        let to_f32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        let steer_dirs: Vec<Vec<f32>> = directions(&states, &set, steer_layer, d, train)
            .iter()
            .map(|v| to_f32(v))
            .collect();
        let random_dirs: Vec<Vec<f32>> = steer_dirs
            .iter()
            .enumerate()
            .map(|(e, v)| {
                let norm = v.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
                let mut rng = stream(SEED, e as u64);
                let r: Vec<f64> = (0..d).map(|_| normal(&mut rng)).collect();
                let rn = dot(&r, &r).sqrt();
                r.iter().map(|x| (x / rn * norm) as f32).collect()
            })
            .collect();
        let on_neutral = sweep(
            &model,
            &neutral,
            &words,
            steer_layer,
            &steer_dirs,
            b.alphas,
            |_, _| true,
        )?;
        let random = sweep(
            &model,
            &neutral,
            &words,
            steer_layer,
            &random_dirs,
            b.alphas,
            |_, _| true,
        )?;
        // Against the context: held-out prompts of the other emotions.
        let held = Prompts {
            texts: heldout.iter().map(|&i| set.texts[i].clone()).collect(),
            ids: heldout.iter().map(|&i| set.ids[i].clone()).collect(),
            emotion: heldout.iter().map(|&i| set.emotion[i]).collect(),
            event: heldout.iter().map(|&i| set.event[i]).collect(),
            frame: heldout.iter().map(|&i| set.frame[i]).collect(),
        };
        let a_max = *b.alphas.last().expect("alphas");
        let against = sweep(
            &model,
            &held,
            &words,
            steer_layer,
            &steer_dirs,
            &[a_max],
            |i, t| held.emotion[i] != Some(t),
        )?;
        // Full mode: steering success at every `layer_step`-th block.
        let mut layer_sweep = Vec::new();
        if b.layer_step > 0 {
            for layer in (0..nl).step_by(b.layer_step) {
                let dirs: Vec<Vec<f32>> = directions(&states, &set, layer, d, train)
                    .iter()
                    .map(|v| to_f32(v))
                    .collect();
                let s = sweep(
                    &model,
                    &neutral,
                    &words,
                    layer,
                    &dirs,
                    &b.alphas[1..],
                    |_, _| true,
                )?;
                for (k, &a) in b.alphas[1..].iter().enumerate() {
                    layer_sweep.push(LayerSteerRow {
                        layer,
                        alpha: a,
                        neutral_success_mean: (0..4).map(|e| s.success[e][k]).sum::<f64>() / 4.0,
                    });
                }
            }
        }

        let last = b.alphas.len() - 1;
        let mean_at = |s: &Sweep, k: usize| (0..4).map(|e| s.success[e][k]).sum::<f64>() / 4.0;
        let neutral_success = mean_at(&on_neutral, last);
        let random_success = mean_at(&random, last);
        let against_success = mean_at(&against, 0);
        let baseline_success = mean_at(&on_neutral, 0);
        // Monotone share: fraction of (emotion, consecutive α) steps that do not lower the
        // target's share.
        let mut steps = 0usize;
        let mut up = 0usize;
        for e in 0..4 {
            for k in 1..b.alphas.len() {
                steps += 1;
                up += usize::from(on_neutral.share[e][k] >= on_neutral.share[e][k - 1] - 1e-9);
            }
        }
        let monotone = up as f64 / steps as f64;
        let heldout_margin = frame_margin(&states, &set, steer_layer, d, &|i| !train(i));
        // The operating point: the smallest α on the grid at which the target word wins on
        // ≥ 90 % of neutral prompts (the largest α when none does).
        let op = (0..b.alphas.len())
            .find(|&k| mean_at(&on_neutral, k) >= 0.9)
            .unwrap_or(last);
        let rank_at = |k: usize| median((0..4).map(|e| on_neutral.rank[e][k]).collect());
        let (steered_rank, unsteered_rank) = (rank_at(op), rank_at(0));
        // Where the real situations put their own emotion word (unsteered).
        let natural_rank = median(
            (0..set.ids.len())
                .map(|i| logits[i].rank[set.emotion[i].expect("emotion prompt")] as f64)
                .collect(),
        );

        let checks = vec![
            Check::new(
                "heldout_readout_accuracy_best_layer",
                best_acc,
                Expect::at_least(0.75),
                Source::Paper,
                format!(
                    "4-way accuracy (chance 0.25) of reading the emotion of held-out situations by the nearest direction (cosine, centred on the training mean), best layer ({best_layer}): the paper finds emotion linearly encoded, with directions that generalise across situations"
                ),
            ),
            Check::new(
                "heldout_frame_margin_at_steering_layer",
                heldout_margin,
                Expect::at_least(0.0),
                Source::Paper,
                format!(
                    "on held-out situations only: min over emotions of cos(d_e from frame 1, d_e from frame 2) − the largest cos with another emotion's frame-2 direction, at blocks.{steer_layer}.hook_resid_post (the block chosen as the most frame-consistent on the training situations, {}): the paper's directions are context-agnostic, so each emotion's direction from one frame is closest to its own from the other",
                    num(layers[steer_layer].frame_consistency_margin)
                ),
            ),
            Check::new(
                "steering_success_neutral",
                neutral_success,
                Expect::at_least(0.9),
                Source::Paper,
                format!(
                    "fraction of neutral prompts whose top emotion word is the target after adding α = {a_max} × d_e at blocks.{steer_layer}.hook_resid_post (mean over the four emotions; unsteered: {}). Paper: steering with its emotion directions reaches 99.65 % emotion-expression accuracy",
                    num(baseline_success)
                ),
            ),
            Check::new(
                "steering_minus_random_success",
                neutral_success - random_success,
                Expect::at_least(0.5),
                Source::SelfConsistency,
                format!(
                    "the same with a random direction of the same norm succeeds on {} of neutral prompts: it is the direction, not the size of the edit, that steers",
                    num(random_success)
                ),
            ),
            Check::new(
                "steering_share_monotone",
                monotone,
                Expect::at_least(0.9),
                Source::SelfConsistency,
                "fraction of steps up the α grid (per emotion) that do not lower the target word's share among the four words on neutral prompts: a direction the model reads gives a graded effect",
            ),
            Check::new(
                "steering_success_against_context",
                against_success,
                Expect::at_least(0.5),
                Source::Paper,
                format!(
                    "fraction of held-out prompts of another emotion whose top word becomes the target at α = {a_max}: the paper steers regardless of the situation; most prompts must flip"
                ),
            ),
            Check::new(
                "target_rank_gain_at_operating_alpha",
                unsteered_rank / steered_rank.max(1.0),
                Expect::at_least(1.0),
                Source::SelfConsistency,
                format!(
                    "median over emotions of the target word's median rank in the whole vocabulary on neutral prompts, unsteered ({}) over steered at the smallest α where the target wins on ≥ 90 % of them (α = {}: {}): steering must raise the word among all tokens, not only reorder the four words while other tokens win. Real situations put their emotion word at rank {} (reported, not checked)",
                    num(unsteered_rank),
                    b.alphas[op],
                    num(steered_rank),
                    num(natural_rank)
                ),
            ),
        ];

        let mut steer_rows = Vec::new();
        for (e, &(emotion, _)) in EMOTIONS.iter().enumerate() {
            for (k, &a) in b.alphas.iter().enumerate() {
                steer_rows.push(SteerRow {
                    emotion,
                    alpha: a,
                    neutral_success: on_neutral.success[e][k],
                    neutral_target_share: on_neutral.share[e][k],
                    random_success: random.success[e][k],
                    random_target_share: random.share[e][k],
                    against_context_success: if k == last {
                        against.success[e][0]
                    } else {
                        f64::NAN
                    },
                    neutral_target_rank: on_neutral.rank[e][k],
                });
            }
        }
        let prompt_rows: Vec<PromptRow> = (0..set.ids.len())
            .map(|i| PromptRow {
                prompt: set.texts[i].clone(),
                emotion: EMOTIONS[set.emotion[i].expect("emotion prompt")].0,
                split: if train(i) { "train" } else { "held-out" },
                model_answer: EMOTIONS[argmax(&logits[i].logits)].1.trim(),
            })
            .collect();
        let fig = figure(dir, &layers, &on_neutral, &random, b.alphas, steer_layer)?;
        let text = report_text(
            mode,
            &checks,
            b,
            &set,
            (answer_acc, all_acc),
            &layers,
            &steer_rows,
            &layer_sweep,
            (steer_layer, natural_rank, b.alphas[op], steered_rank),
            &fig,
            started.elapsed().as_secs_f64(),
        );
        report::finish(
            NAME,
            dir,
            &text,
            checks,
            &[
                ("layers", &layers),
                ("steering", &steer_rows),
                ("layer_sweep", &layer_sweep),
                ("prompts", &prompt_rows),
            ],
        )
    }
}

fn figure(
    dir: &Path,
    layers: &[LayerRow],
    on: &Sweep,
    random: &Sweep,
    alphas: &[f32],
    steer_layer: usize,
) -> Result<String, StudyError> {
    let read = Panel::new("block (resid_post)", "held-out read-out accuracy")
        .y_range(0.0, 1.05)
        .line(
            "nearest emotion direction",
            layers
                .iter()
                .map(|r| (r.layer as f64, r.heldout_readout_accuracy))
                .collect(),
        )
        .line(
            "chance",
            vec![(0.0, 0.25), ((layers.len() - 1) as f64, 0.25)],
        );
    let mut steer = Panel::new(
        format!("α (units of d_e), blocks.{steer_layer}.hook_resid_post"),
        "target word wins (neutral prompts)",
    )
    .y_range(0.0, 1.05);
    for (e, &(emotion, _)) in EMOTIONS.iter().enumerate() {
        steer = steer.line(
            emotion,
            alphas
                .iter()
                .zip(&on.success[e])
                .map(|(&a, &s)| (a as f64, s))
                .collect(),
        );
    }
    steer = steer.line(
        "random direction (mean)",
        alphas
            .iter()
            .enumerate()
            .map(|(k, &a)| {
                (
                    a as f64,
                    (0..4).map(|e| random.success[e][k]).sum::<f64>() / 4.0,
                )
            })
            .collect(),
    );
    report::figure(
        NAME,
        dir,
        "emotion",
        &Figure::new("Emotion directions in SmolLM2-135M")
            .panel(read)
            .panel(steer),
        "Left: 4-way read-out of held-out situations by the nearest emotion direction, per block. Right: fraction of neutral prompts whose top emotion word is the steered emotion, against the multiplier α; a random direction of the same norm for comparison.",
    )
}

#[allow(clippy::too_many_arguments)]
fn report_text(
    mode: Mode,
    checks: &[Check],
    b: &Budget,
    set: &Prompts,
    (answer_acc, all_acc): (f64, f64),
    layers: &[LayerRow],
    steer_rows: &[SteerRow],
    layer_sweep: &[LayerSteerRow],
    (steer_layer, natural_rank, op_alpha, op_rank): (usize, f64, f32, f64),
    fig: &str,
    elapsed: f64,
) -> String {
    let mut s = report::header(
        "emotion-steering — emotion directions and steering in SmolLM2-135M",
        mode,
        checks,
    );
    let _ = writeln!(
        s,
        "## What is reproduced\n\nWang et al. (2025, arXiv:2510.11328) built a dataset of situations that evoke six \
         emotions without naming them, extracted for each emotion a context-agnostic direction in the residual \
         stream (the emotion's mean hidden state minus the mean over emotions), found the neurons and heads that \
         write it, and steered generation with the directions, reporting 99.65 % emotion-expression accuracy on \
         their test set (LLaMA-3.2-3B / Qwen2.5-7B class models). Here the direction-and-steering part runs on \
         SmolLM2-135M-Instruct through `ganglion-interp`: four emotions (joy, sadness, anger, fear), the answer \
         read from the logits of \" happy\", \" sad\", \" angry\", \" scared\" at the last position.\n"
    );
    let _ = writeln!(
        s,
        "## Prompts\n\n{} emotion prompts: {} situations per emotion × {} frame(s) (\"{}\" …); the first {} \
         situations of each emotion compute the directions, the other {} are held out. {} neutral prompts for \
         steering. Unsteered, the model's top emotion word matches the situation for {} of held-out prompts \
         ({} of all; chance 0.25).\n",
        set.ids.len(),
        b.events,
        b.frames,
        FRAMES[0],
        b.train,
        b.events - b.train,
        b.neutral,
        num(answer_acc),
        num(all_acc)
    );
    let _ = writeln!(s, "## Checks\n\n{}", report::checks_table(checks));
    let _ = writeln!(s, "{fig}");
    let mut t = Table::new(&["block", "held-out read-out", "mean ‖d_e‖", "frame margin"]);
    for r in layers {
        t.row(vec![
            r.layer.to_string(),
            num(r.heldout_readout_accuracy),
            num(r.direction_norm_mean),
            num(r.frame_consistency_margin),
        ]);
    }
    let _ = writeln!(
        s,
        "## Directions per layer (`blocks.{{l}}.hook_resid_post`, last token)\n\n{}",
        t.render()
    );
    let mut t = Table::new(&[
        "emotion",
        "α",
        "neutral: wins",
        "neutral: share",
        "random dir: wins",
        "random dir: share",
        "against context: wins (largest α)",
        "neutral: target rank",
    ]);
    for r in steer_rows {
        t.row(vec![
            r.emotion.into(),
            num(r.alpha as f64),
            num(r.neutral_success),
            num(r.neutral_target_share),
            num(r.random_success),
            num(r.random_target_share),
            num(r.against_context_success),
            num(r.neutral_target_rank),
        ]);
    }
    let _ = writeln!(
        s,
        "## Steering at `blocks.{steer_layer}.hook_resid_post` (every position but the first)\n\n\
         wins: fraction of prompts whose top word among the four is the target; share: the target's softmax \
         share among the four; target rank: its median rank in the whole vocabulary (0: the top token; in \
         their own situations, unsteered, the emotion words' median rank is {}).\n\n{}",
        num(natural_rank),
        t.render()
    );
    if !layer_sweep.is_empty() {
        let mut t = Table::new(&["block", "α", "neutral: wins (mean)"]);
        for r in layer_sweep {
            t.row(vec![
                r.layer.to_string(),
                num(r.alpha as f64),
                num(r.neutral_success_mean),
            ]);
        }
        let _ = writeln!(s, "## Steering at other blocks\n\n{}", t.render());
    }
    let _ = writeln!(
        s,
        "## Paper and here\n\n| quantity | paper (3B–8B models, six emotions) | here (SmolLM2-135M, four) |\n|---|---|---|\n\
         | steering accuracy | 99.65 % | {} (neutral prompts), {} (against context) |\n\
         | directions context-agnostic | yes (high cross-context similarity) | frame margin {} |\n\
         | steered text stays fluent | yes | at α = {op_alpha} the target word's median rank among all tokens is {}, against {} in real situations |\n",
        num(steer_rows
            .iter()
            .filter(|r| r.alpha == *b.alphas.last().expect("alphas"))
            .map(|r| r.neutral_success)
            .sum::<f64>()
            / 4.0),
        num(steer_rows
            .iter()
            .filter(|r| r.alpha == *b.alphas.last().expect("alphas"))
            .map(|r| r.against_context_success)
            .sum::<f64>()
            / 4.0),
        num(layers[steer_layer].frame_consistency_margin),
        num(op_rank),
        num(natural_rank)
    );
    let _ = writeln!(
        s,
        "## Deviations from the paper\n\n- A 135M model and four emotions (joy, sadness, anger, fear), not the \
         paper's 3B–8B models and six (surprise and disgust are left out).\n\
         - Templated situations written here (the paper's dataset is not available offline), one short sentence \
         each; the answer is one of four words read from the logits, not free generation judged by a classifier.\n\
         - Only the direction and steering part: the paper's neuron and head attribution (which components write \
         the direction) is not reproduced here.\n- The steering block is the one whose directions agree best across \
         sentence frames on the training situations; α is in units of the direction (α = 1 adds one emotion's \
         mean offset at every position but the first). A first quick run steered at the middle block (15), \
         fixed in advance, and failed (the target word won on 0.42 of neutral prompts at α = 8, a random \
         direction on 0.21): there the directions read out the emotion only weakly (0.75) and the edit did not \
         carry to the answer. The block choice by frame consistency, the α grid and the rank check replaced a \
         top-10 check after that run; the thresholds of the other checks are those of the first run.\n\n\
         Full mode: `cargo run --release -- study run emotion-steering --full` (needs `scripts/fetch-data.sh \
         smollm2`). This run took {elapsed:.1} s."
    );
    s
}
