//! `ganglion interp probe`: the labelled-prompt file, the stratified split and the sparse
//! probe over one layer's MLP neurons.

use super::{PoolArg, RankArg};
use anyhow::{Context, Result, bail};
use ganglion_interp::model::Model;
use ganglion_interp::probing::{Rank, mlp_post_activations, rank_neurons, sparse_probe};
use serde_json::{Value, json};
use std::path::Path;

/// One line of `interp probe --data`.
pub(super) struct Labelled {
    pub(super) prompt: String,
    pub(super) label: bool,
}

/// Read `{"prompt": "...", "label": true|false}` lines (blank lines skipped); errors name the
/// file, the line number and what is wrong with it.
pub(super) fn read_labelled(path: &Path) -> Result<Vec<Labelled>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--data: cannot read {}", path.display()))?;
    let shape = "each line must be {\"prompt\": \"...\", \"label\": true|false}";
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{}:{}", path.display(), i + 1);
        let v: Value = serde_json::from_str(line)
            .with_context(|| format!("{at}: not valid JSON ({shape})"))?;
        let Some(obj) = v.as_object() else {
            bail!("{at}: the line is not a JSON object ({shape})");
        };
        let prompt = match obj.get("prompt") {
            Some(Value::String(p)) if !p.is_empty() => p.clone(),
            Some(Value::String(_)) => bail!("{at}: \"prompt\" is empty; give the prompt's text"),
            Some(other) => bail!("{at}: \"prompt\" is {other}, not a string ({shape})"),
            None => bail!("{at}: no \"prompt\" ({shape})"),
        };
        let label = match obj.get("label") {
            Some(Value::Bool(b)) => *b,
            Some(other) => bail!(
                "{at}: \"label\" is {other}; it must be true or false (the JSON booleans, unquoted)"
            ),
            None => bail!("{at}: no \"label\"; add \"label\": true or \"label\": false"),
        };
        out.push(Labelled { prompt, label });
    }
    if out.is_empty() {
        bail!("--data {} has no examples ({shape})", path.display());
    }
    Ok(out)
}

/// A seeded, stratified train/test split: `round(test_frac · n_c)` examples of each class
/// `c`, drawn without replacement (Fisher–Yates on a `ganglion_base::rng::Stream`), are held out
/// (`true`). Refuses a split that leaves fewer than 2 examples of a class in either part.
pub(super) fn stratified_split(labels: &[bool], test_frac: f64, seed: u64) -> Result<Vec<bool>> {
    let mut rng = ganglion_base::rng::Stream::new(seed);
    let mut test = vec![false; labels.len()];
    for (class, name) in [(true, "positive"), (false, "negative")] {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        let n = idx.len();
        let n_test = (test_frac * n as f64).round() as usize;
        if n_test < 2 || n - n_test < 2 {
            bail!(
                "{n} {name} example(s) (\"label\": {class}) with --test-frac {test_frac} leave {n_test} in the test split and {} in the training split; each class needs at least 2 in both: add {name} examples or change --test-frac",
                n - n_test
            );
        }
        for i in (1..n).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            idx.swap(i, j);
        }
        for &i in &idx[..n_test] {
            test[i] = true;
        }
    }
    Ok(test)
}

/// The settings of one `interp probe` run.
pub(super) struct ProbeArgs<'a> {
    pub(super) model: &'a Path,
    pub(super) data: &'a Path,
    pub(super) layer: usize,
    pub(super) ks: &'a [usize],
    pub(super) rank: RankArg,
    pub(super) pool: PoolArg,
    pub(super) test_frac: f64,
    pub(super) seed: u64,
    pub(super) l2: f64,
}

/// Pool each prompt's `blocks.{layer}.mlp.hook_post`, rank the neurons on the training split
/// and fit the sparse-probing curve; returns the probe.json value.
pub(super) fn probe(m: &Model, set: &[Labelled], test: &[bool], a: &ProbeArgs) -> Result<Value> {
    let (n_layers, d) = (m.cfg.n_layers, m.cfg.d_mlp);
    if a.layer >= n_layers {
        bail!(
            "--layer {} is out of range: the model has {n_layers} blocks, 0..={}",
            a.layer,
            n_layers - 1
        );
    }
    if let Some(k) = a.ks.iter().find(|&&k| k > d) {
        bail!(
            "--k {k} is larger than the model's {d} MLP neurons per layer (d_mlp); use sizes in 1..={d}"
        );
    }
    let tok = m.tokenizer()?;
    let ids: Vec<Vec<u32>> = set.iter().map(|e| tok.encode_prompt(&e.prompt)).collect();
    if let Some(i) = ids.iter().position(Vec::is_empty) {
        bail!(
            "--data example {} ({:?}) has no tokens",
            i + 1,
            set[i].prompt
        );
    }
    let acts = mlp_post_activations(m, &ids, a.layer)?;
    // One row per prompt: its last token's activations, or the mean over its tokens.
    let mut rows = Vec::with_capacity(set.len() * d);
    let mut start = 0;
    for p in &ids {
        let tokens = &acts[start * d..(start + p.len()) * d];
        match a.pool {
            PoolArg::Last => rows.extend_from_slice(&tokens[(p.len() - 1) * d..]),
            PoolArg::Mean => {
                let mut mean = vec![0f64; d];
                for t in tokens.chunks(d) {
                    for (s, &x) in mean.iter_mut().zip(t) {
                        *s += x as f64;
                    }
                }
                rows.extend(mean.iter().map(|s| (s / p.len() as f64) as f32));
            }
        }
        start += p.len();
    }
    let labels: Vec<bool> = set.iter().map(|e| e.label).collect();
    let rank = match a.rank {
        RankArg::MeanDiff => Rank::MeanDiff,
        RankArg::FStat => Rank::FStat,
    };
    let curve = sparse_probe(&rows, d, &labels, test, a.ks, rank, a.l2)?;
    // The best single neuron, scored on the training split as the curve's ranking is.
    let train: Vec<usize> = (0..set.len()).filter(|&i| !test[i]).collect();
    let train_rows: Vec<f32> = train
        .iter()
        .flat_map(|&i| rows[i * d..(i + 1) * d].iter().copied())
        .collect();
    let train_labels: Vec<bool> = train.iter().map(|&i| labels[i]).collect();
    let (best, score) = rank_neurons(&train_rows, d, &train_labels, rank)?[0];
    let class_mean = |class: bool| {
        let v: Vec<f64> = train
            .iter()
            .filter(|&&i| labels[i] == class)
            .map(|&i| rows[i * d + best] as f64)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let count = |class: bool, held: bool| {
        (0..set.len())
            .filter(|&i| labels[i] == class && test[i] == held)
            .count()
    };
    let (tp, tn) = (count(true, true), count(false, true));
    let n_test = tp + tn;
    let rank_name = match a.rank {
        RankArg::MeanDiff => "mean-diff",
        RankArg::FStat => "f-stat",
    };
    let pool_name = match a.pool {
        PoolArg::Last => "last",
        PoolArg::Mean => "mean",
    };
    Ok(json!({
        "model": a.model.display().to_string(),
        "data": a.data.display().to_string(),
        "layer": a.layer,
        "hook": format!("blocks.{}.mlp.hook_post", a.layer),
        "d_mlp": d,
        "pool": pool_name,
        "rank": rank_name,
        "test_frac": a.test_frac,
        "seed": a.seed,
        "l2": a.l2,
        "n_train": set.len() - n_test,
        "n_test": n_test,
        "positives": count(true, true) + count(true, false),
        "negatives": count(false, true) + count(false, false),
        "train": {"positives": count(true, false), "negatives": count(false, false)},
        "test": {"positives": tp, "negatives": tn},
        "majority_baseline_accuracy": tp.max(tn) as f64 / n_test as f64,
        "best_neuron": {
            "neuron": best,
            "score": if score.is_finite() { json!(score) } else { Value::Null },
            "split": "train",
            "mean_positive": class_mean(true),
            "mean_negative": class_mean(false),
        },
        "results": curve,
    }))
}

/// The summary table of a probe.json value.
pub(super) fn probe_table(v: &Value) -> String {
    let n = |key: &str| v[key].as_u64().unwrap_or(0);
    let mut s = format!(
        "sparse probe of {} (pooled {}) on {}: {} train / {} test prompts ({} positive, {} negative); neurons ranked by {} on the train split\n",
        v["hook"].as_str().unwrap_or("?"),
        v["pool"].as_str().unwrap_or("?"),
        v["data"].as_str().unwrap_or("?"),
        n("n_train"),
        n("n_test"),
        n("positives"),
        n("negatives"),
        v["rank"].as_str().unwrap_or("?"),
    );
    let b = &v["best_neuron"];
    s += &format!(
        "best single neuron: {} (score {:.4} on the train split; train means {:.4} positive, {:.4} negative)\n",
        b["neuron"],
        b["score"].as_f64().unwrap_or(f64::INFINITY),
        b["mean_positive"].as_f64().unwrap_or(f64::NAN),
        b["mean_negative"].as_f64().unwrap_or(f64::NAN),
    );
    s += &format!("{:>5}  {:>8}  {:>6}  neurons\n", "k", "accuracy", "F1");
    for r in v["results"].as_array().map_or(&[][..], Vec::as_slice) {
        let neurons: Vec<String> = r["neurons"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(Value::to_string)
            .collect();
        let shown = if neurons.len() > 16 {
            format!("{} … ({} in all)", neurons[..16].join(","), neurons.len())
        } else {
            neurons.join(",")
        };
        s += &format!(
            "{:>5}  {:>8.3}  {:>6.3}  {shown}\n",
            r["k"].as_u64().unwrap_or(0),
            r["accuracy"].as_f64().unwrap_or(f64::NAN),
            r["f1"].as_f64().unwrap_or(f64::NAN),
        );
    }
    s += &format!(
        "held-out accuracy of always answering the test split's larger class: {:.3}",
        v["majority_baseline_accuracy"].as_f64().unwrap_or(f64::NAN)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_split_is_seeded_and_keeps_both_classes_in_both_parts() {
        // 7 positives and 13 negatives at 0.3: round(2.1) = 2 and round(3.9) = 4 held out.
        let labels: Vec<bool> = (0..20).map(|i| i % 3 == 0).collect();
        let a = stratified_split(&labels, 0.3, 7).expect("split");
        let held = |t: &[bool], class: bool| {
            (0..labels.len())
                .filter(|&i| t[i] && labels[i] == class)
                .count()
        };
        assert_eq!((held(&a, true), held(&a, false)), (2, 4));
        assert_eq!(a, stratified_split(&labels, 0.3, 7).expect("split"));
        // Another seed draws another subset (of the C(13, 4) = 715 negative ones, the
        // chance that 5 further seeds all repeat seed 7's is negligible).
        assert!((0..5).any(|s| stratified_split(&labels, 0.3, s).expect("split") != a));
        // 3 negatives: 0.5 holds out round(1.5) = 2, leaving 1 for training.
        let few = [true, true, true, true, false, false, false];
        let e = stratified_split(&few, 0.5, 0).expect_err("too few negatives");
        let e = e.to_string();
        assert!(e.contains("3 negative example(s)"), "{e}");
        assert!(e.contains("1 in the training split"), "{e}");
    }
}
