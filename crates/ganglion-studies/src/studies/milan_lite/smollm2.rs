//! The real-model part of `milan-lite`: MILAN-lite descriptions of the MLP neurons
//! (`blocks.L.mlp.hook_post`) of SmolLM2-135M-Instruct on a templated token-level corpus,
//! checked against sparse probing (Gurnee et al. 2023), a label-permutation null, and
//! held-out tokens.
//!
//! **Corpus.** Sentences from fixed templates whose slots are filled (seeded) from word lists
//! of known categories; every list word must be one token after a leading space in the
//! model's own tokenizer (the others are dropped and listed in the report). Each token
//! position gets its attribute set: the category of its word (looked up by token id), and
//! from the token text `digit`, `punctuation` and `capitalised`; a token with none of them
//! is `other`. The first position of every sentence is left out (it is the attention sink of
//! the model, with activations unlike any other position). Sentences alternate between a
//! description split (exemplar mining, descriptions, neuron ranking by sparse probing) and a
//! held-out split.
//!
//! **Method.** For each analysed layer, the post-activation MLP neurons' values at every
//! token; each neuron's top-`k` tokens on the description split are its exemplars and its
//! descriptions are ranked with [`describe`] (λ = 0.5, the synthetic part's setting; no
//! conjunctions: the attribute vocabulary is nested — every month is capitalised — so most
//! conjunctions duplicate a single label).

use std::collections::HashMap;
use std::fmt::Write as _;

use ganglion_analysis::neuron_descriptions::{Description, Options, describe};
use ganglion_interp::model::{HookPoint, Model, Run};
use ganglion_interp::probing::{Rank, rank_neurons};
use rand::RngExt;
use serde::Serialize;

use crate::report::{Table, num};
use crate::stats::{median, stream};
use crate::{Check, Expect, Mode, Source, StudyError};

const NAME: &str = "milan-lite";
const SEED: u64 = 2929;
/// The model file, as `scripts/fetch-data.sh smollm2` puts it in `data/smollm2/`.
/// Exemplars per neuron.
pub const K: usize = 20;
/// Prior weight λ of the description score.
pub const LAMBDA: f64 = 0.5;
/// Sentences per forward batch (right-padded: the model is causal, so padding after a
/// sentence does not change its activations).
const BATCH: usize = 16;
/// Fraction of attributes whose sparse-probing neuron MILAN names by that attribute.
const AGREEMENT_MIN: f64 = 0.5;
/// Fraction of neurons whose top score beats the shuffled-label null's 99th percentile.
const ABOVE_NULL_MIN: f64 = 0.2;
/// Fraction of described neurons with a positive held-out effect.
const HELD_OUT_POSITIVE_MIN: f64 = 0.8;
const BOOTSTRAP: usize = 2000;

/// The attribute vocabulary; `other` last.
pub const ATTRS: [&str; 13] = [
    "digit",
    "number-word",
    "month",
    "weekday",
    "colour",
    "person-name",
    "place",
    "animal",
    "past-tense-verb",
    "plural-noun",
    "punctuation",
    "capitalised",
    "other",
];
const DIGIT: usize = 0;
const PUNCT: usize = 10;
const CAPITAL: usize = 11;
const OTHER: usize = 12;

const NUMBER_WORDS: &[&str] = &[
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "twenty",
    "fifty", "hundred",
];
const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const COLOURS: &[&str] = &[
    "red", "blue", "green", "yellow", "black", "white", "brown", "purple", "orange", "pink",
    "grey", "silver",
];
const NAMES: &[&str] = &[
    "John", "Mary", "James", "Anna", "David", "Sarah", "Michael", "Emma", "Peter", "Laura", "Paul",
    "Alice", "Tom", "Kate", "Mark", "Lucy",
];
const PLACES: &[&str] = &[
    "Paris", "London", "Berlin", "Rome", "Tokyo", "Madrid", "France", "Germany", "Italy", "Spain",
    "China", "Japan", "India", "Canada", "Boston", "Chicago",
];
const ANIMALS: &[&str] = &[
    "dog", "cat", "horse", "bird", "fish", "cow", "sheep", "lion", "tiger", "bear", "wolf",
    "mouse", "rabbit", "duck",
];
const PAST: &[&str] = &[
    "saw", "bought", "found", "took", "made", "wrote", "painted", "cleaned", "opened", "carried",
    "watched", "sold", "kept", "moved", "washed", "fixed",
];
const PLURALS: &[&str] = &[
    "books", "cars", "houses", "apples", "chairs", "tables", "letters", "boxes", "shoes", "bags",
    "cups", "trees", "flowers", "boats", "coins", "hats",
];

/// Templates: `{N}` name, `{P}` place, `{M}` month, `{W}` weekday, `{C}` colour, `{A}`
/// animal, `{V}` past-tense verb, `{S}` plural noun, `{K}` number word, `{D}` a number in
/// digits. Every template starts with a fixed word, so slot words always follow a space.
const TEMPLATES: &[&str] = &[
    "On {W}, {N} {V} {K} {C} {S} in {P}.",
    "In {M} {D}, {N} and {N} {V} a {C} {A} near {P}.",
    "Then {N} {V} the {A} and the {C} {S} on {W}.",
    "The {C} {A} from {P} {V} {K} {S} in {M}.",
    "Yesterday {N} {V} {D} {S} and a {C} {A} at the market.",
    "Last {W}, {N} from {P} {V} {K} {S} for {N}.",
    "My friend {N} {V} the {S} in {P} on {M} {D}.",
    "We {V} {D} {C} {S} and the {A} in {P} last {M}.",
];

/// The word lists, by attribute index.
fn lists() -> [(usize, &'static [&'static str]); 9] {
    [
        (1, NUMBER_WORDS),
        (2, MONTHS),
        (3, WEEKDAYS),
        (4, COLOURS),
        (5, NAMES),
        (6, PLACES),
        (7, ANIMALS),
        (8, PAST),
        (9, PLURALS),
    ]
}

/// The tokenized corpus: kept token positions (rows) with labels and split.
struct Corpus {
    /// Sentences as token ids (BOS first when the tokenizer adds one).
    sentences: Vec<Vec<u32>>,
    /// Per kept row: (sentence, position).
    rows: Vec<(usize, usize)>,
    /// Row-major rows × `ATTRS.len()`.
    labels: Vec<bool>,
    /// Per row: held out.
    test: Vec<bool>,
    /// Words kept per list (attribute, kept, dropped).
    kept: Vec<(usize, Vec<&'static str>, Vec<&'static str>)>,
}

fn fill(
    template: &str,
    words: &HashMap<char, Vec<&'static str>>,
    rng: &mut crate::stats::StudyRng,
) -> String {
    let mut out = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c == '{' {
            let slot = chars.next().expect("slot letter");
            let _ = chars.next();
            if slot == 'D' {
                let v: u32 = if rng.random::<f64>() < 0.5 {
                    rng.random_range(1..=31)
                } else {
                    rng.random_range(1950..=2024)
                };
                let _ = write!(out, "{v}");
            } else {
                let w = &words[&slot];
                out.push_str(w[rng.random_range(0..w.len())]);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn corpus(model: &Model, n_sentences: usize) -> Result<Corpus, StudyError> {
    let tok = model.tokenizer().map_err(|e| fail(e.to_string()))?;
    let mut category: HashMap<u32, usize> = HashMap::new();
    let mut kept = Vec::new();
    let mut words: HashMap<char, Vec<&'static str>> = HashMap::new();
    for ((attr, list), slot) in lists()
        .into_iter()
        .zip(['K', 'M', 'W', 'C', 'N', 'P', 'A', 'V', 'S'])
    {
        let (mut ok, mut bad) = (Vec::new(), Vec::new());
        for &w in list {
            match tok.encode(&format!(" {w}"))[..] {
                [id] => {
                    category.insert(id, attr);
                    ok.push(w);
                }
                _ => bad.push(w),
            }
        }
        if ok.len() < 2 {
            return Err(fail(format!(
                "only {} single-token words for {}: {ok:?}",
                ok.len(),
                ATTRS[attr]
            )));
        }
        words.insert(slot, ok.clone());
        kept.push((attr, ok, bad));
    }
    let mut rng = stream(SEED, 1);
    let na = ATTRS.len();
    let (mut sentences, mut rows, mut labels, mut test) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for s in 0..n_sentences {
        let text = fill(TEMPLATES[s % TEMPLATES.len()], &words, &mut rng);
        let ids = tok.encode_prompt(&text);
        for (p, &id) in ids.iter().enumerate().skip(1) {
            let mut lab = vec![false; na];
            if let Some(&a) = category.get(&id) {
                lab[a] = true;
            }
            let t = tok.decode(&[id]);
            let t = t.trim();
            if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
                lab[DIGIT] = true;
            }
            if !t.is_empty() && t.chars().all(|c| c.is_ascii_punctuation()) {
                lab[PUNCT] = true;
            }
            if t.chars().next().is_some_and(char::is_uppercase) {
                lab[CAPITAL] = true;
            }
            if !lab.iter().any(|&b| b) {
                lab[OTHER] = true;
            }
            labels.extend(lab);
            rows.push((s, p));
            // Pairs of sentences alternate, so every template lands in both splits.
            test.push((s / TEMPLATES.len()) % 2 == 1);
        }
        sentences.push(ids);
    }
    Ok(Corpus {
        sentences,
        rows,
        labels,
        test,
        kept,
    })
}

fn fail(message: impl Into<String>) -> StudyError {
    StudyError::study(NAME, message)
}

/// `mlp.hook_post` of `layers` at every kept row: one `rows × d_mlp` matrix per layer.
/// Sentences run in right-padded batches.
fn activations(model: &Model, c: &Corpus, layers: &[usize]) -> Result<Vec<Vec<f32>>, StudyError> {
    let d = model.cfg.d_mlp;
    let pad = *model
        .tokenizer()
        .map_err(|e| fail(e.to_string()))?
        .encode(".")
        .first()
        .ok_or_else(|| fail("the tokenizer encodes '.' as nothing"))?;
    let points: Vec<HookPoint> = layers.iter().map(|&l| HookPoint::MlpPost(l)).collect();
    // Per sentence and layer, its positions × d_mlp.
    let mut per: Vec<Vec<Vec<f32>>> = vec![Vec::new(); c.sentences.len()];
    for (b, chunk) in c.sentences.chunks(BATCH).enumerate() {
        let p = chunk.iter().map(Vec::len).max().unwrap_or(1);
        let batch: Vec<Vec<u32>> = chunk
            .iter()
            .map(|s| {
                let mut v = s.clone();
                v.resize(p, pad);
                v
            })
            .collect();
        let mut run = Run::new().cache(&points).last_only();
        model
            .run(&batch, &mut run)
            .map_err(|e| fail(format!("forward pass: {e}")))?;
        for (i, s) in chunk.iter().enumerate() {
            let si = b * BATCH + i;
            per[si] = points
                .iter()
                .map(|pt| {
                    let a = &run.cache[pt];
                    let start = i * p * d;
                    a.data[start..start + s.len() * d].to_vec()
                })
                .collect();
        }
    }
    Ok((0..layers.len())
        .map(|li| {
            let mut m = Vec::with_capacity(c.rows.len() * d);
            for &(s, p) in &c.rows {
                m.extend_from_slice(&per[s][li][p * d..(p + 1) * d]);
            }
            m
        })
        .collect())
}

/// One attribute's sparse-probing neuron and MILAN's description of it.
#[derive(Debug, Clone, Serialize)]
pub struct AttrRow {
    /// Layer.
    pub layer: usize,
    /// Attribute.
    pub attribute: String,
    /// Tokens carrying it on the description split.
    pub positives: usize,
    /// The neuron ranked first by the F-statistic among those more active on the attribute.
    pub probe_neuron: usize,
    /// Its F-statistic.
    pub f_stat: f64,
    /// MILAN's top description of that neuron.
    pub milan_top: String,
    /// Its score (nats).
    pub score: f64,
    /// Whether the two agree.
    pub agree: bool,
    /// Top exemplars as text.
    pub exemplars: String,
}

/// A neuron's top description.
#[derive(Debug, Clone, Serialize)]
pub struct NeuronRow {
    /// Layer.
    pub layer: usize,
    /// Neuron index in `d_mlp`.
    pub neuron: usize,
    /// Top description.
    pub top: String,
    /// Its score `ln p(d | E) − λ ln p(d)` (nats).
    pub score: f64,
    /// Exemplars carrying it, of `K`.
    pub in_exemplars: usize,
    /// Distinct token ids among the `K` exemplars.
    pub distinct_tokens: usize,
    /// Held-out Cohen's d of the description (activation on tokens with it vs without), or
    /// NaN when the held-out split lacks one of the two.
    pub held_out_d: f64,
    /// Top exemplars as text.
    pub exemplars: String,
}

/// One layer's summary.
#[derive(Debug, Clone, Serialize)]
pub struct LayerRow {
    /// Layer.
    pub layer: usize,
    /// Token rows on the description split.
    pub train_tokens: usize,
    /// Held-out token rows.
    pub test_tokens: usize,
    /// Attributes evaluated for agreement.
    pub attributes: usize,
    /// Fraction of them whose probe neuron MILAN names by the attribute.
    pub agreement: f64,
    /// The agreement expected of a neuron drawn at random instead of the probe's: the mean
    /// over the evaluated attributes of the fraction of all neurons MILAN names by it.
    pub chance_agreement: f64,
    /// Median top score of the real neurons (nats).
    pub median_score: f64,
    /// Median top score with the labels shuffled across tokens (nats).
    pub null_median_score: f64,
    /// 99th percentile of the shuffled scores (nats).
    pub null_q99: f64,
    /// Fraction of neurons whose top score exceeds `null_q99`.
    pub above_null: f64,
    /// Described neurons (above the null) with a held-out effect.
    pub described: usize,
    /// Fraction of them whose `K` exemplars are all one token id (a token detector that the
    /// attribute vocabulary can only name by the token's category).
    pub single_token_fraction: f64,
    /// Their mean held-out Cohen's d.
    pub mean_d: f64,
    /// 95 % bootstrap CI over neurons of `mean_d`.
    pub d_ci: (f64, f64),
    /// Fraction of them with d > 0.
    pub positive_d: f64,
    /// Labels of described neurons: attribute → count.
    pub label_counts: Vec<(String, usize)>,
}

/// The real-model part's outcome.
#[derive(Default)]
pub struct Real {
    /// Per-layer summaries.
    pub layers: Vec<LayerRow>,
    /// Per layer and attribute.
    pub attributes: Vec<AttrRow>,
    /// Highest-scoring neurons per layer.
    pub neurons: Vec<NeuronRow>,
    /// Checks.
    pub checks: Vec<Check>,
    /// Report section (Markdown).
    pub text: String,
}

/// The `q`-quantile (numpy's linear method; NaN for an empty or non-finite input).
fn quantile(v: &[f64], q: f64) -> f64 {
    ganglion_analysis::rsa::quantile(v, q).unwrap_or(f64::NAN)
}

fn exemplar_text(model: &Model, c: &Corpus, train_rows: &[usize], ex: &[usize]) -> String {
    let Ok(tok) = model.tokenizer() else {
        return String::new();
    };
    ex.iter()
        .take(6)
        .map(|&i| {
            let (s, p) = c.rows[train_rows[i]];
            let ids = &c.sentences[s];
            let prev = tok.decode(&ids[p - 1..p]).trim().to_string();
            let t = tok.decode(&ids[p..=p]).trim().to_string();
            format!("{prev} [{t}]")
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn top_k(acts: &[f64], n: usize, d: usize, j: usize, k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    let cmp = |&a: &usize, &b: &usize| acts[b * d + j].total_cmp(&acts[a * d + j]).then(a.cmp(&b));
    if k < n {
        idx.select_nth_unstable_by(k - 1, cmp);
        idx.truncate(k);
    }
    idx.sort_unstable_by(cmp);
    idx
}

/// Runs the real-model part: `Ok(Err(reason))` when the model is absent (the reason says
/// how to fetch it), an error when it is present but the run fails.
pub fn run(mode: Mode) -> Result<Result<Real, String>, StudyError> {
    if let Err(e) = crate::data::smollm2_path() {
        return Ok(Err(e));
    }
    let (n_sentences, layers): (usize, Vec<usize>) = match mode {
        Mode::Quick => (96, vec![15]),
        Mode::Full => (800, vec![5, 15, 25]),
    };
    let mut model = crate::data::load_smollm2(NAME)?;
    let top = layers.iter().max().copied().unwrap_or(0);
    if top >= model.cfg.n_layers {
        return Err(fail(format!(
            "layer {top} beyond the model's {}",
            model.cfg.n_layers
        )));
    }
    // Blocks after the last analysed layer cannot change it: drop them.
    model.layers.truncate(top + 1);
    model.cfg.n_layers = top + 1;
    let c = corpus(&model, n_sentences)?;
    let acts = activations(&model, &c, &layers)?;
    let d = model.cfg.d_mlp;
    let na = ATTRS.len();
    let train_rows: Vec<usize> = (0..c.rows.len()).filter(|&i| !c.test[i]).collect();
    let test_rows: Vec<usize> = (0..c.rows.len()).filter(|&i| c.test[i]).collect();
    let pick = |rows: &[usize]| -> Vec<bool> {
        rows.iter()
            .flat_map(|&i| c.labels[i * na..(i + 1) * na].iter().copied())
            .collect()
    };
    let train_labels = pick(&train_rows);
    let test_labels = pick(&test_rows);
    let ntr = train_rows.len();
    // The shuffled labels: rows permuted across the description split's tokens.
    let mut rng = stream(SEED, 2);
    let mut perm: Vec<usize> = (0..ntr).collect();
    for i in (1..ntr).rev() {
        perm.swap(i, rng.random_range(0..=i));
    }
    let shuffled: Vec<bool> = perm
        .iter()
        .flat_map(|&i| train_labels[i * na..(i + 1) * na].iter().copied())
        .collect();
    let opts = Options {
        k: K,
        lambda: LAMBDA,
        alpha: 1.0,
        conjunctions: false,
    };
    let mut out = Real {
        layers: Vec::new(),
        attributes: Vec::new(),
        neurons: Vec::new(),
        checks: Vec::new(),
        text: String::new(),
    };
    for (li, &layer) in layers.iter().enumerate() {
        let a = &acts[li];
        let train_f32: Vec<f32> = train_rows
            .iter()
            .flat_map(|&i| a[i * d..(i + 1) * d].iter().copied())
            .collect();
        let train: Vec<f64> = train_f32.iter().map(|&v| f64::from(v)).collect();
        let ranked =
            describe(&train, &train_labels, ntr, d, na, &opts).map_err(|e| fail(e.to_string()))?;
        let null =
            describe(&train, &shuffled, ntr, d, na, &opts).map_err(|e| fail(e.to_string()))?;
        let scores: Vec<f64> = ranked.iter().map(|r| r[0].score).collect();
        let null_scores: Vec<f64> = null.iter().map(|r| r[0].score).collect();
        let q99 = quantile(&null_scores, 0.99);
        let above = scores.iter().filter(|&&s| s > q99).count() as f64 / d as f64;
        // (1) Agreement with sparse probing.
        let mut agree = 0;
        let mut evaluated = 0;
        for attr in 0..OTHER {
            let y: Vec<bool> = (0..ntr).map(|i| train_labels[i * na + attr]).collect();
            let pos = y.iter().filter(|&&b| b).count();
            if pos < 10 {
                continue;
            }
            let r =
                rank_neurons(&train_f32, d, &y, Rank::FStat).map_err(|e| fail(e.to_string()))?;
            let mean_on = |j: usize, want: bool| {
                let (s, n) = (0..ntr)
                    .filter(|&i| y[i] == want)
                    .fold((0.0, 0usize), |(s, n), i| (s + train[i * d + j], n + 1));
                s / n as f64
            };
            let Some(&(j, f)) = r
                .iter()
                .find(|&&(j, _)| mean_on(j, true) > mean_on(j, false))
            else {
                continue;
            };
            evaluated += 1;
            let top = ranked[j][0];
            let ok = top.description == Description::Label(attr);
            agree += usize::from(ok);
            out.attributes.push(AttrRow {
                layer,
                attribute: ATTRS[attr].into(),
                positives: pos,
                probe_neuron: j,
                f_stat: f,
                milan_top: top.description.text(&ATTRS),
                score: top.score,
                agree: ok,
                exemplars: exemplar_text(&model, &c, &train_rows, &top_k(&train, ntr, d, j, K)),
            });
        }
        let agreement = agree as f64 / evaluated.max(1) as f64;
        let named = |attr: usize| {
            ranked
                .iter()
                .filter(|r| r[0].description == Description::Label(attr))
                .count() as f64
                / d as f64
        };
        let chance_agreement = out
            .attributes
            .iter()
            .filter(|x| x.layer == layer)
            .map(|x| {
                named(
                    ATTRS
                        .iter()
                        .position(|a| *a == x.attribute)
                        .unwrap_or(OTHER),
                )
            })
            .sum::<f64>()
            / evaluated.max(1) as f64;
        // (3) Held-out effect of each described neuron's top label.
        let nte = test_rows.len();
        let mut ds: Vec<(usize, f64)> = Vec::new();
        let mut single = 0usize;
        // Distinct token ids among a neuron's exemplars.
        let distinct = |ex: &[usize]| {
            let mut ids: Vec<u32> = ex
                .iter()
                .map(|&i| {
                    let (s, p) = c.rows[train_rows[i]];
                    c.sentences[s][p]
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids.len()
        };
        let mut counts = vec![0usize; na];
        for j in 0..d {
            if scores[j] <= q99 {
                continue;
            }
            let Description::Label(l) = ranked[j][0].description else {
                continue;
            };
            let (mut on, mut off) = (Vec::new(), Vec::new());
            for (ti, &i) in test_rows.iter().enumerate() {
                let v = f64::from(a[i * d + j]);
                if test_labels[ti * na + l] {
                    on.push(v)
                } else {
                    off.push(v)
                }
            }
            if on.len() < 2 || off.len() < 2 {
                continue;
            }
            counts[l] += 1;
            ds.push((j, cohen_d(&on, &off)));
            if distinct(&top_k(&train, ntr, d, j, K)) == 1 {
                single += 1;
            }
        }
        let dvals: Vec<f64> = ds.iter().map(|x| x.1).collect();
        let mean_d = crate::stats::mean(&dvals);
        let ci = bootstrap_mean_ci(&dvals, SEED + layer as u64);
        let positive =
            dvals.iter().filter(|&&x| x > 0.0).count() as f64 / dvals.len().max(1) as f64;
        let dmap: HashMap<usize, f64> = ds.iter().copied().collect();
        // Highest-scoring neurons.
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&x, &y| scores[y].total_cmp(&scores[x]).then(x.cmp(&y)));
        for &j in order.iter().take(15) {
            let t = ranked[j][0];
            let ex = top_k(&train, ntr, d, j, K);
            out.neurons.push(NeuronRow {
                layer,
                neuron: j,
                top: t.description.text(&ATTRS),
                score: t.score,
                in_exemplars: t.in_exemplars,
                distinct_tokens: distinct(&ex),
                held_out_d: dmap.get(&j).copied().unwrap_or(f64::NAN),
                exemplars: exemplar_text(&model, &c, &train_rows, &ex),
            });
        }
        let row = LayerRow {
            layer,
            train_tokens: ntr,
            test_tokens: nte,
            attributes: evaluated,
            agreement,
            chance_agreement,
            median_score: median(scores.clone()),
            null_median_score: median(null_scores),
            null_q99: q99,
            above_null: above,
            described: ds.len(),
            single_token_fraction: single as f64 / ds.len().max(1) as f64,
            mean_d,
            d_ci: ci,
            positive_d: positive,
            label_counts: (0..na)
                .filter(|&l| counts[l] > 0)
                .map(|l| (ATTRS[l].to_string(), counts[l]))
                .collect(),
        };
        out.checks.extend(layer_checks(&row));
        out.layers.push(row);
    }
    out.text = section(&out, &c, mode);
    Ok(Ok(out))
}

/// Cohen's d with the pooled SD (0 when both groups are constant and equal).
fn cohen_d(on: &[f64], off: &[f64]) -> f64 {
    let m = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (m1, m0) = (m(on), m(off));
    let ss = |v: &[f64], mu: f64| v.iter().map(|x| (x - mu).powi(2)).sum::<f64>();
    let pooled = ((ss(on, m1) + ss(off, m0)) / (on.len() + off.len() - 2) as f64).sqrt();
    if pooled > 0.0 {
        (m1 - m0) / pooled
    } else {
        0.0
    }
}

/// Percentile-bootstrap 95 % CI of the mean of `v` (resampling its entries).
fn bootstrap_mean_ci(v: &[f64], seed: u64) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = stream(seed, 3);
    let means: Vec<f64> = (0..BOOTSTRAP)
        .map(|_| {
            (0..v.len())
                .map(|_| v[rng.random_range(0..v.len())])
                .sum::<f64>()
                / v.len() as f64
        })
        .collect();
    (quantile(&means, 0.025), quantile(&means, 0.975))
}

fn layer_checks(r: &LayerRow) -> Vec<Check> {
    let l = r.layer;
    vec![
        Check::new(
            format!("smollm2_l{l}_probe_agreement"),
            r.agreement,
            Expect::at_least(AGREEMENT_MIN),
            Source::SelfConsistency,
            format!(
                "fraction of the {} attributes (≥ 10 tokens on the description split; chance, a random neuron instead of the probe's: {:.2}) whose best sparse-probing neuron (Gurnee et al. 2023: F-statistic rank, among neurons more active on the attribute) gets that attribute as MILAN's top description — two independent methods naming the same selectivity; MILAN's claim is that its descriptions match what a unit is selective for. Threshold (most attributes) fixed before the first run",
                r.attributes, r.chance_agreement
            ),
        ),
        Check::new(
            format!("smollm2_l{l}_fraction_above_null"),
            r.above_null,
            Expect::at_least(ABOVE_NULL_MIN),
            Source::Theory,
            format!(
                "fraction of the layer's neurons whose top description score exceeds the 99th percentile ({:.2} nats) of the scores with the attribute labels shuffled across tokens: with independent labels the PMI is ≈ 0 and 1 % of neurons pass by construction; threshold 20× that, fixed before the first run",
                r.null_q99
            ),
        ),
        Check::new(
            format!("smollm2_l{l}_held_out_d_ci_low"),
            r.d_ci.0,
            Expect::at_least(0.0),
            Source::Theory,
            format!(
                "lower end of the 95 % bootstrap CI (over the {} described neurons) of the mean held-out Cohen's d (activation on held-out tokens with the neuron's top label vs without; mean {:.2}): a description that captures selectivity generalises to new sentences",
                r.described, r.mean_d
            ),
        ),
        Check::new(
            format!("smollm2_l{l}_held_out_positive_fraction"),
            r.positive_d,
            Expect::at_least(HELD_OUT_POSITIVE_MIN),
            Source::SelfConsistency,
            "fraction of the described neurons whose held-out d is positive: most descriptions should hold on sentences not used to find them",
        ),
    ]
}

fn section(r: &Real, c: &Corpus, mode: Mode) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## Real neurons: SmolLM2-135M-Instruct MLP neurons\n\n\
         **Corpus.** {} templated sentences ({} templates), {} token rows after dropping each \
         sentence's first position (attention sink); sentences alternate in blocks of {} \
         between the description split and the held-out split. Attributes per token: word \
         category by token id (lists below; only words that are one token after a leading \
         space), and `digit`, `punctuation`, `capitalised` from the token text; `other` when \
         none applies. Descriptions: top-{K} exemplars per neuron on the description split, \
         score ln p(d | E) − {LAMBDA} ln p(d), no conjunctions. Mode {:?}.\n",
        c.sentences.len(),
        TEMPLATES.len(),
        c.rows.len(),
        TEMPLATES.len(),
        mode
    );
    let mut w = Table::new(&["attribute", "words kept", "dropped (not one token)"]);
    for (a, ok, bad) in &c.kept {
        w.row(vec![ATTRS[*a].into(), ok.join(", "), bad.join(", ")]);
    }
    let _ = writeln!(s, "{}", w.render());
    let _ = writeln!(
        s,
        "**Paper vs here.** MILAN's descriptions were judged against human annotations \
         (MILANNOTATIONS; agreement with humans close to inter-annotator agreement, BERTScore). \
         We have no human labels for SmolLM2 neurons, so nothing is compared with the paper's \
         numbers; the checks instead compare MILAN-lite with an independent method (sparse \
         probing), with a label-permutation null, and with held-out sentences.\n"
    );
    let mut t = Table::new(&[
        "layer",
        "train / test tokens",
        "probe agreement (chance)",
        "median score (null)",
        "null q99",
        "above null",
        "described",
        "one token type",
        "held-out d, mean [95 % CI]",
        "d > 0",
        "top labels of described neurons",
    ]);
    for x in &r.layers {
        t.row(vec![
            x.layer.to_string(),
            format!("{} / {}", x.train_tokens, x.test_tokens),
            format!(
                "{}/{} ({})",
                (x.agreement * x.attributes as f64).round(),
                x.attributes,
                num(x.chance_agreement)
            ),
            format!("{} ({})", num(x.median_score), num(x.null_median_score)),
            num(x.null_q99),
            num(x.above_null),
            x.described.to_string(),
            num(x.single_token_fraction),
            format!("{} [{}, {}]", num(x.mean_d), num(x.d_ci.0), num(x.d_ci.1)),
            num(x.positive_d),
            x.label_counts
                .iter()
                .map(|(l, n)| format!("{l} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    let _ = writeln!(
        s,
        "### Per layer\n\n{}\n\
         *Probe agreement*: attributes whose best sparse-probing neuron MILAN-lite names by that \
         attribute; *chance* is the agreement a random neuron would reach (the mean share of \
         neurons named by each attribute). *Above null*: neurons whose top score exceeds the \
         99th percentile of the scores with the labels shuffled across tokens (1 % by \
         construction without selectivity). *Described*: those neurons, when their top \
         description is a label the held-out split holds both with and without; *one token \
         type*: the share of them whose {K} exemplars are all the same token, i.e. token \
         detectors that this vocabulary can only name by the token's category (a \
         `September` neuron is described as `month`, and its held-out d for `month` is small). \
         *Held-out d*: Cohen's d of the activation on held-out tokens with the description \
         against those without (pooled SD), mean over described neurons with a percentile \
         bootstrap CI ({BOOTSTRAP} resamples of neurons; neurons are not independent samples \
         of anything, so read it as the spread over this layer's neurons). Caveats: the probe \
         ranking and the descriptions use the same description split (they are different \
         statistics — class-mean F-statistic over all tokens vs label frequencies in the top \
         {K} — but not different data); `capitalised` contains the name, place, month and \
         weekday tokens, so its probe neuron is often named by one of those subsets, which \
         counts as a disagreement; a sentence's second token sits next to the attention sink \
         and some neurons fire there whatever the word (`Then [Anna]`).\n",
        t.render()
    );
    let mut t = Table::new(&[
        "layer",
        "attribute",
        "tokens",
        "probe neuron",
        "F",
        "MILAN top description",
        "score",
        "exemplars (previous [token])",
    ]);
    for x in &r.attributes {
        t.row(vec![
            x.layer.to_string(),
            x.attribute.clone(),
            x.positives.to_string(),
            x.probe_neuron.to_string(),
            num(x.f_stat),
            if x.agree {
                x.milan_top.clone()
            } else {
                format!("**{}**", x.milan_top)
            },
            num(x.score),
            x.exemplars.clone(),
        ]);
    }
    let _ = writeln!(
        s,
        "### Sparse probing's neuron for each attribute, and MILAN's name for it\n\n\
         Disagreements in bold.\n\n{}",
        t.render()
    );
    let mut t = Table::new(&[
        "layer",
        "neuron",
        "top description",
        "score",
        "e_d / k",
        "token types",
        "held-out d",
        "exemplars (previous [token])",
    ]);
    for x in &r.neurons {
        t.row(vec![
            x.layer.to_string(),
            x.neuron.to_string(),
            x.top.clone(),
            num(x.score),
            format!("{}/{K}", x.in_exemplars),
            x.distinct_tokens.to_string(),
            num(x.held_out_d),
            x.exemplars.clone(),
        ]);
    }
    let _ = writeln!(s, "### Highest-scoring neurons\n\n{}", t.render());
    s
}
