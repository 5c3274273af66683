//! `ganglion interp logit-diff|attribute|patch|steer|attention|probe`: circuit measurements
//! on a GGUF language model.

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use ganglion_base::files::{OutputDir, Replace, write_atomic};
use ganglion_interp::ablate::Head;
use ganglion_interp::ablate::{
    Ablation, CHUNK, Component, Prompt, batches, logit_diff, read_prompts, tokenise,
};
use ganglion_interp::attribution::logit_diff_attribution;
use ganglion_interp::model::{HookPoint, Model, Run};
use ganglion_interp::patching::{
    Pairs, Patching, Target, in_chunks, patch_by_layer, patch_by_layer_position, patch_heads,
};
use ganglion_interp::steering::{Pool, Positions, Site, steer_logit_diff, steering_vector};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod probe;
use probe::{ProbeArgs, probe, probe_table, read_labelled, stratified_split};

/// What `interp patch` sweeps.
#[derive(Clone, Copy, ValueEnum)]
pub enum PatchBy {
    /// Each head's output z at all positions: [layers, heads].
    Head,
    /// Each layer's attention and MLP output at all positions: [layers] each.
    Layer,
    /// The residual stream before each layer at each position: [layers, positions].
    Position,
}

/// `--positions` of `interp steer`.
#[derive(Clone, Copy, ValueEnum)]
pub enum PositionsArg {
    /// Every position.
    All,
    /// The last position only.
    Last,
    /// Every position but the first (the attention-sink token).
    AfterFirst,
}

/// `--pool` of `interp steer` and `interp probe`.
#[derive(Clone, Copy, ValueEnum)]
pub enum PoolArg {
    /// Each prompt's last-token activation (contrastive activation addition).
    Last,
    /// Each prompt's mean over its positions.
    Mean,
}

/// `--rank` of `interp probe`.
#[derive(Clone, Copy, ValueEnum)]
pub enum RankArg {
    /// |mean over positives − mean over negatives| of each neuron.
    MeanDiff,
    /// The one-way ANOVA F-statistic of the two classes (t² for two classes).
    FStat,
}

/// `--ablation` of `interp logit-diff`.
#[derive(Clone, Copy, ValueEnum)]
pub enum AblationArg {
    /// Replace each head's z (each neuron's activation) by 0.
    Zero,
    /// Replace it by its mean over the prompts at each position (prompts of one token
    /// length).
    Mean,
}

impl From<AblationArg> for Ablation {
    fn from(a: AblationArg) -> Ablation {
        match a {
            AblationArg::Zero => Ablation::Zero,
            AblationArg::Mean => Ablation::Mean,
        }
    }
}

/// `ganglion interp ...`
#[derive(Subcommand)]
pub enum InterpCommand {
    /// Logit difference logit(correct) − logit(incorrect) at each prompt's last position,
    /// optionally with attention heads and MLP neurons ablated at every position.
    LogitDiff {
        /// A llama GGUF model (e.g. data/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf from
        /// scripts/fetch-data.sh smollm2).
        #[arg(long)]
        model: PathBuf,
        /// JSON lines, one {"prompt": "...", "correct": " Mary", "incorrect": " John"} a
        /// line; answers must be single tokens.
        #[arg(long)]
        prompts: PathBuf,
        /// Heads (L<layer>H<head>) and MLP neurons (L<layer>N<neuron>) to ablate, counted
        /// from 0 (e.g. L23H3,L29H1,L5N100).
        #[arg(long, value_delimiter = ',')]
        ablate: Vec<String>,
        /// How the --ablate components are replaced.
        #[arg(long, value_enum, default_value_t = AblationArg::Zero)]
        ablation: AblationArg,
        /// Print JSON (mean_logit_diff, accuracy, per_prompt) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Direct logit attribution of the logit difference at the last position, per head,
    /// MLP and the embedding, averaged over the prompts (final-norm scale frozen at each
    /// prompt's value, so the parts sum to the logit difference).
    Attribute {
        /// A llama GGUF model.
        #[arg(long)]
        model: PathBuf,
        /// JSON lines as for logit-diff.
        #[arg(long)]
        prompts: PathBuf,
        /// Print the JSON instead of a summary.
        #[arg(long)]
        json: bool,
        /// Also write attribution.json into this folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace an existing results folder written by this command.
        #[arg(long)]
        force: bool,
    },
    /// Activation patching: run the corrupted prompts with one activation from the clean
    /// run; reports the mean logit difference per patch and its normalised recovery
    /// (patched − corrupted) / (clean − corrupted).
    Patch {
        /// A llama GGUF model.
        #[arg(long)]
        model: PathBuf,
        /// Clean prompts with their answers (JSON lines as for logit-diff).
        #[arg(long)]
        prompts: PathBuf,
        /// Corrupted prompts, one {"prompt": ...} a line, paired line by line with
        /// --prompts and of the same token length.
        #[arg(long)]
        corrupted: PathBuf,
        /// What to patch.
        #[arg(long, value_enum)]
        by: PatchBy,
        /// Print the JSON instead of a summary.
        #[arg(long)]
        json: bool,
        /// Also write patching.json into this folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace an existing results folder written by this command.
        #[arg(long)]
        force: bool,
    },
    /// Attention patterns (blocks.{l}.attn.hook_pattern) of chosen heads on one prompt,
    /// drawn as heatmaps with token labels (rows: query position, columns: key position):
    /// one SVG per head and attention.json with the patterns.
    Attention {
        /// A llama GGUF model.
        #[arg(long)]
        model: PathBuf,
        /// The prompt text.
        #[arg(long)]
        prompt: String,
        /// Heads, L<layer>H<head> from 0, comma-separated (e.g. L9H8,L10H1).
        #[arg(long, value_delimiter = ',', required = true)]
        heads: Vec<String>,
        /// The results folder.
        #[arg(long)]
        out: PathBuf,
        /// Replace an existing results folder written by this command.
        #[arg(long)]
        force: bool,
    },
    /// Steering (contrastive activation addition): add α · v to the residual stream at one
    /// layer, v = mean activation over --positive prompts − mean over --negative prompts;
    /// reports the logit difference of --prompts for each α.
    Steer {
        /// A llama GGUF model.
        #[arg(long)]
        model: PathBuf,
        /// Prompts with their answers (JSON lines as for logit-diff).
        #[arg(long)]
        prompts: PathBuf,
        /// Prompts of the side to steer toward, one {"prompt": ...} a line.
        #[arg(long)]
        positive: PathBuf,
        /// Prompts of the side to steer away from, one {"prompt": ...} a line.
        #[arg(long)]
        negative: PathBuf,
        /// The block, counted from 0.
        #[arg(long)]
        layer: usize,
        /// Where in the block: resid_pre, resid_mid or resid_post.
        #[arg(long, default_value = "resid_pre")]
        site: String,
        /// Multipliers α, comma-separated (e.g. -1,-0.5,0,0.5,1; the raw mean difference
        /// is usually used within about ±1).
        #[arg(
            long,
            value_delimiter = ',',
            allow_hyphen_values = true,
            required = true
        )]
        alpha: Vec<f32>,
        /// Where the vector is added.
        #[arg(long, value_enum, default_value_t = PositionsArg::All)]
        positions: PositionsArg,
        /// How each positive/negative prompt's activations are pooled.
        #[arg(long, value_enum, default_value_t = PoolArg::Last)]
        pool: PoolArg,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Sparse probing (Gurnee et al. 2023): rank one layer's MLP neurons
    /// (blocks.{layer}.mlp.hook_post) by how well each alone separates labelled prompts on a
    /// seeded, stratified training split, fit a logistic probe on the top k neurons for each
    /// --k, and report held-out accuracy and F1 against k.
    Probe {
        /// A llama GGUF model.
        #[arg(long)]
        model: PathBuf,
        /// JSON lines, one {"prompt": "...", "label": true|false} a line; each class needs
        /// at least 2 prompts in the training and in the test split.
        #[arg(long)]
        data: PathBuf,
        /// The block whose MLP neurons are probed, counted from 0.
        #[arg(long)]
        layer: usize,
        /// Probe sizes (numbers of top-ranked neurons), comma-separated, each in 1..=d_mlp.
        #[arg(long, value_delimiter = ',', default_value = "1,2,4,8,16")]
        k: Vec<usize>,
        /// How neurons are ranked (on the training split only).
        #[arg(long, value_enum, default_value_t = RankArg::FStat)]
        rank: RankArg,
        /// How each prompt's activations become one row: the last token's, or the mean
        /// over its tokens.
        #[arg(long, value_enum, default_value_t = PoolArg::Last)]
        pool: PoolArg,
        /// Fraction of each class held out for testing, in (0, 1).
        #[arg(long, default_value_t = 0.3)]
        test_frac: f64,
        /// Seed of the stratified train/test split.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// L2 penalty of the logistic probe on the standardised neurons (≥ 0).
        #[arg(long, default_value_t = 1e-2)]
        l2: f64,
        /// Print the JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also write probe.json into this folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace an existing results folder written by this command.
        #[arg(long)]
        force: bool,
    },
}

pub fn interp(cmd: InterpCommand) -> Result<ExitCode> {
    match cmd {
        InterpCommand::Probe {
            model,
            data,
            layer,
            k,
            rank,
            pool,
            test_frac,
            seed,
            l2,
            json,
            out,
            force,
        } => {
            // Everything that does not need the model is checked before it is loaded.
            if !(test_frac > 0.0 && test_frac < 1.0) {
                bail!(
                    "--test-frac {test_frac} must be in (0, 1) (the fraction of each class held out; e.g. 0.3)"
                );
            }
            if !(l2.is_finite() && l2 >= 0.0) {
                bail!("--l2 {l2} must be a finite penalty ≥ 0 (e.g. 0.01)");
            }
            let mut ks = k;
            if ks.is_empty() {
                bail!("--k needs at least one probe size (e.g. 1,2,4,8,16)");
            }
            if ks.contains(&0) {
                bail!("--k 0: a probe needs at least one neuron; give sizes ≥ 1 (e.g. 1,2,4,8,16)");
            }
            ks.sort_unstable();
            ks.dedup();
            let set = read_labelled(&data)?;
            let labels: Vec<bool> = set.iter().map(|e| e.label).collect();
            let test = stratified_split(&labels, test_frac, seed)
                .with_context(|| format!("--data {}", data.display()))?;
            let dir = open_out(out.as_deref(), force, "probe.json")?;
            let m = Model::load(&model)?;
            let v = probe(
                &m,
                &set,
                &test,
                &ProbeArgs {
                    model: &model,
                    data: &data,
                    layer,
                    ks: &ks,
                    rank,
                    pool,
                    test_frac,
                    seed,
                    l2,
                },
            )?;
            finish(dir, "probe.json", &v, json, || probe_table(&v))
        }
        InterpCommand::Attention {
            model,
            prompt,
            heads,
            out,
            force,
        } => {
            let heads = parse_all::<Head>(&heads, "--heads")?;
            let dir =
                open_out(Some(&out), force, "attention.json")?.context("--out is required")?;
            let m = Model::load(&model)?;
            let v = attention_figures(&m, &prompt, &heads, dir.path())?;
            write_atomic(
                &dir.path().join("attention.json"),
                serde_json::to_string_pretty(&v)?.as_bytes(),
            )?;
            let dest = dir.commit()?;
            println!(
                "wrote {} head pattern(s) of a {}-token prompt to {}",
                heads.len(),
                v["tokens"].as_array().map_or(0, Vec::len),
                dest.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        InterpCommand::Steer {
            model,
            prompts,
            positive,
            negative,
            layer,
            site,
            alpha,
            positions,
            pool,
            json,
        } => {
            let site: Site = site.parse().map_err(anyhow::Error::msg).context("--site")?;
            if let Some(a) = alpha.iter().find(|a| !a.is_finite()) {
                bail!("--alpha {a} is not finite");
            }
            let set = read_prompts(&prompts)?;
            let pos = read_corrupted(&positive)?;
            let neg = read_corrupted(&negative)?;
            for (name, p, v) in [
                ("--positive", &positive, &pos),
                ("--negative", &negative, &neg),
            ] {
                if v.is_empty() {
                    bail!("{name} {} has no prompts", p.display());
                }
            }
            let m = Model::load(&model)?;
            let tok = m.tokenizer()?;
            let enc = |v: &[String]| -> Vec<Vec<u32>> {
                v.iter().map(|t| tok.encode_prompt(t)).collect()
            };
            let (pos_ids, neg_ids) = (enc(&pos), enc(&neg));
            if let Some(i) = pos_ids.iter().chain(&neg_ids).position(Vec::is_empty) {
                bail!("positive/negative prompt {i} (counting positive first) has no tokens");
            }
            let (pool_v, pool_name) = match pool {
                PoolArg::Last => (Pool::Last, "last"),
                PoolArg::Mean => (Pool::Mean, "mean"),
            };
            let (pos_v, pos_name) = match positions {
                PositionsArg::All => (Positions::All, "all"),
                PositionsArg::Last => (Positions::Last, "last"),
                PositionsArg::AfterFirst => (Positions::From(1), "after-first"),
            };
            let v = steering_vector(&m, &pos_ids, &neg_ids, site, layer, pool_v)?;
            let norm = v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            let r = steer_logit_diff(&m, &set, site, layer, &v, &alpha, pos_v)?;
            let mut out = std::io::stdout().lock();
            if json {
                let rows: Vec<Value> = alpha
                    .iter()
                    .zip(&r)
                    .map(|(a, d)| {
                        json!({"alpha": a, "mean_logit_diff": d.mean_logit_diff,
                            "accuracy": d.accuracy, "per_prompt": d.per_prompt})
                    })
                    .collect();
                let v = json!({
                    "model": model.display().to_string(),
                    "prompts": set.len(), "positive": pos.len(), "negative": neg.len(),
                    "layer": layer, "site": site.to_string(), "positions": pos_name,
                    "pool": pool_name, "vector_norm": norm, "results": rows,
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                writeln!(
                    out,
                    "steering vector at blocks.{layer}.hook_{site}: |v| = {norm:.3} ({} positive, {} negative prompts, pooled {pool_name}; added at {pos_name} positions)",
                    pos.len(),
                    neg.len()
                )?;
                writeln!(
                    out,
                    "{:>8}  {:>15}  {:>8}",
                    "alpha", "mean logit diff", "accuracy"
                )?;
                for (a, d) in alpha.iter().zip(&r) {
                    writeln!(
                        out,
                        "{a:>8}  {:>15.4}  {:>8.3}",
                        d.mean_logit_diff, d.accuracy
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        InterpCommand::Attribute {
            model,
            prompts,
            json,
            out,
            force,
        } => {
            let dir = open_out(out.as_deref(), force, "attribution.json")?;
            let set = read_prompts(&prompts)?;
            let m = Model::load(&model)?;
            let v = attribute(&m, &set, &model)?;
            finish(dir, "attribution.json", &v, json, || {
                let heads = v["heads_mean"].as_array().map_or(0, Vec::len);
                format!(
                    "{} prompts: mean logit diff {:.4}; embed {:.4}; attention layers {}; MLP layers {}; head grid {} layers",
                    set.len(),
                    v["mean_logit_diff"].as_f64().unwrap_or(f64::NAN),
                    v["embed_mean"].as_f64().unwrap_or(f64::NAN),
                    short(&v["attn_layers_mean"]),
                    short(&v["mlp_layers_mean"]),
                    heads
                )
            })
        }
        InterpCommand::Patch {
            model,
            prompts,
            corrupted,
            by,
            json,
            out,
            force,
        } => {
            let dir = open_out(out.as_deref(), force, "patching.json")?;
            let set = read_prompts(&prompts)?;
            let bad = read_corrupted(&corrupted)?;
            if bad.len() != set.len() {
                bail!(
                    "{} has {} prompts but {} has {}; they are paired line by line",
                    prompts.display(),
                    set.len(),
                    corrupted.display(),
                    bad.len()
                );
            }
            let m = Model::load(&model)?;
            let v = patch(&m, &set, &bad, by, &model)?;
            finish(dir, "patching.json", &v, json, || {
                format!(
                    "{} pairs: clean logit diff {:.4}, corrupted {:.4}; {}",
                    set.len(),
                    v["clean_logit_diff"].as_f64().unwrap_or(f64::NAN),
                    v["corrupted_logit_diff"].as_f64().unwrap_or(f64::NAN),
                    v["results"]
                        .as_object()
                        .map(|o| o
                            .iter()
                            .map(|(k, r)| format!(
                                "{k}: best normalised recovery {:.3}",
                                best(&r["normalised"])
                            ))
                            .collect::<Vec<_>>()
                            .join("; "))
                        .unwrap_or_default()
                )
            })
        }
        InterpCommand::LogitDiff {
            model,
            prompts,
            ablate,
            ablation,
            json,
        } => {
            let heads = parse_all::<Component>(&ablate, "--ablate")?;
            let ablation = Ablation::from(ablation);
            let set = read_prompts(&prompts)?;
            let m = Model::load(&model)?;
            let r = logit_diff(&m, &set, &heads, ablation)?;
            let mut out = std::io::stdout().lock();
            if json {
                let v = serde_json::json!({
                    "model": model.display().to_string(),
                    "prompts": set.len(),
                    "ablate": heads.iter().map(Component::to_string).collect::<Vec<_>>(),
                    "ablation": ablation.to_string(),
                    "mean_logit_diff": r.mean_logit_diff,
                    "accuracy": r.accuracy,
                    "per_prompt": r.per_prompt,
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                writeln!(
                    out,
                    "{:>10}  {:>8}  {:>8}  prompt",
                    "logit diff", "correct", "wrong"
                )?;
                for p in &r.per_prompt {
                    writeln!(
                        out,
                        "{:>10.3}  {:>8}  {:>8}  {}",
                        p.logit_diff,
                        format!("{:?}", p.correct),
                        format!("{:?}", p.incorrect),
                        p.prompt.replace('\n', "\\n")
                    )?;
                }
                let what = if heads.is_empty() {
                    "clean".to_string()
                } else {
                    let names: Vec<String> = heads.iter().map(Component::to_string).collect();
                    format!("{ablation}-ablated {}", names.join(","))
                };
                writeln!(
                    out,
                    "{} prompts ({what}): mean logit diff {:.4}, accuracy {:.3}",
                    set.len(),
                    r.mean_logit_diff,
                    r.accuracy
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn open_out(out: Option<&Path>, force: bool, marker: &'static str) -> Result<Option<OutputDir>> {
    out.map(|dest| {
        OutputDir::create(
            dest,
            if force {
                Replace::Force
            } else {
                Replace::Never
            },
            marker,
            &[],
        )
        .with_context(|| format!("--out {}", dest.display()))
    })
    .transpose()
}

fn finish(
    dir: Option<OutputDir>,
    file: &str,
    v: &Value,
    json: bool,
    summary: impl Fn() -> String,
) -> Result<ExitCode> {
    let text = serde_json::to_string_pretty(v)?;
    if let Some(dir) = dir {
        write_atomic(&dir.path().join(file), text.as_bytes())?;
        let dest = dir.commit()?;
        eprintln!("wrote {}", dest.join(file).display());
    }
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{text}")?;
    } else {
        writeln!(out, "{}", summary())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn short(v: &Value) -> String {
    let xs: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| format!("{:.2}", x.as_f64().unwrap_or(f64::NAN)))
                .collect()
        })
        .unwrap_or_default();
    format!("[{}]", xs.join(", "))
}

fn best(v: &Value) -> f64 {
    fn walk(v: &Value, m: &mut f64) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| walk(x, m)),
            Value::Number(n) => *m = m.max(n.as_f64().unwrap_or(f64::NEG_INFINITY)),
            _ => {}
        }
    }
    let mut m = f64::NEG_INFINITY;
    walk(v, &mut m);
    m
}

#[derive(serde::Deserialize)]
struct Corrupted {
    prompt: String,
}

fn read_corrupted(path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str::<Corrupted>(l)
                .map(|c| c.prompt)
                .with_context(|| {
                    format!(
                        "{}:{}: each line must be {{\"prompt\": ...}}",
                        path.display(),
                        i + 1
                    )
                })
        })
        .collect()
}

fn attribute(m: &Model, set: &[Prompt], model: &Path) -> Result<Value> {
    let t = tokenise(m, set)?;
    let c = &m.cfg;
    let (nl, nh, n) = (c.n_layers, c.n_heads, set.len() as f64);
    let mut heads = vec![0f64; nl * nh];
    let (mut attn, mut mlp) = (vec![0f64; nl], vec![0f64; nl]);
    let mut embed = 0f64;
    let mut per_prompt = vec![Value::Null; set.len()];
    // One batch per length, in chunks: a pass caches every layer (~140 KB a token for
    // SmolLM2), so a large prompt set in one batch would not fit in memory.
    for idx in batches(&t.ids) {
        let ids: Vec<Vec<u32>> = idx.iter().map(|&i| t.ids[i].clone()).collect();
        let correct: Vec<u32> = idx.iter().map(|&i| t.correct[i]).collect();
        let incorrect: Vec<u32> = idx.iter().map(|&i| t.incorrect[i]).collect();
        let a = logit_diff_attribution(m, &ids, &correct, &incorrect)?;
        for (k, &i) in idx.iter().enumerate() {
            embed += a.embed[k] as f64 / n;
            let mut sum = a.embed[k] as f64;
            for l in 0..nl {
                for h in 0..nh {
                    heads[l * nh + h] += a.head(k, l, h) as f64 / n;
                }
                attn[l] += a.attn_layer(k, l) as f64 / n;
                mlp[l] += a.mlps[k * nl + l] as f64 / n;
                sum += a.attn_layer(k, l) as f64 + a.mlps[k * nl + l] as f64;
            }
            per_prompt[i] = json!({
                "prompt": set[i].prompt,
                "correct": set[i].correct,
                "incorrect": set[i].incorrect,
                "logit_diff": a.logit_diff[k],
                "attribution_sum": sum,
            });
        }
    }
    let grid: Vec<Vec<f64>> = heads.chunks(nh).map(<[f64]>::to_vec).collect();
    let mean = per_prompt
        .iter()
        .map(|p| p["logit_diff"].as_f64().unwrap_or(f64::NAN))
        .sum::<f64>()
        / n;
    Ok(json!({
        "model": model.display().to_string(),
        "prompts": set.len(),
        "position": "last",
        "final_norm": "the final RMSNorm scale is frozen at its value in each prompt's run, so attributions are linear in the components and embed + attention + MLP sum to the logit difference",
        "mean_logit_diff": mean,
        "embed_mean": embed,
        "attn_layers_mean": attn,
        "mlp_layers_mean": mlp,
        "heads_mean": grid,
        "per_prompt": per_prompt,
    }))
}

fn grid_json(p: &Patching) -> Value {
    fn nest(v: &[f64], shape: &[usize]) -> Value {
        if shape.len() <= 1 {
            return json!(
                v.iter()
                    .map(|x| if x.is_finite() { json!(x) } else { Value::Null })
                    .collect::<Vec<_>>()
            );
        }
        let step = shape[1..].iter().product::<usize>();
        Value::Array(v.chunks(step).map(|c| nest(c, &shape[1..])).collect())
    }
    json!({
        "shape": p.shape,
        "patched_logit_diff": nest(&p.patched, &p.shape),
        "normalised": nest(&p.normalised(), &p.shape),
    })
}

fn patch(m: &Model, set: &[Prompt], bad: &[String], by: PatchBy, model: &Path) -> Result<Value> {
    let t = tokenise(m, set)?;
    let tok = m.tokenizer()?;
    let mut corrupt = Vec::with_capacity(bad.len());
    for (i, b) in bad.iter().enumerate() {
        let ids = tok.encode_prompt(b);
        if ids.len() != t.ids[i].len() {
            bail!(
                "pair {i}: the clean prompt has {} tokens and the corrupted one {} ({:?} vs {b:?}); patching needs equal lengths",
                t.ids[i].len(),
                ids.len(),
                set[i].prompt
            );
        }
        corrupt.push(ids);
    }
    let lens: BTreeSet<usize> = t.ids.iter().map(Vec::len).collect();
    if lens.len() > 1 {
        bail!(
            "patching averages over prompts of one token length, but the prompts have lengths {lens:?}; use one template"
        );
    }
    let pairs = Pairs {
        clean: &t.ids,
        corrupted: &corrupt,
        correct: &t.correct,
        incorrect: &t.incorrect,
    };
    let (by_name, results, first) = match by {
        PatchBy::Head => {
            let r = in_chunks(&pairs, CHUNK, |p| patch_heads(m, p, false))?;
            let v = json!({"head_z": grid_json(&r)});
            ("head", v, r)
        }
        PatchBy::Layer => {
            let a = in_chunks(&pairs, CHUNK, |p| patch_by_layer(m, p, Target::AttnOut))?;
            let b = in_chunks(&pairs, CHUNK, |p| patch_by_layer(m, p, Target::MlpOut))?;
            let v = json!({"attn_out": grid_json(&a), "mlp_out": grid_json(&b)});
            ("layer", v, a)
        }
        PatchBy::Position => {
            let r = in_chunks(&pairs, CHUNK, |p| {
                patch_by_layer_position(m, p, Target::ResidPre)
            })?;
            let v = json!({"resid_pre": grid_json(&r)});
            ("position", v, r)
        }
    };
    Ok(json!({
        "model": model.display().to_string(),
        "pairs": set.len(),
        "by": by_name,
        "metric": "mean over pairs of logit(correct) - logit(incorrect) at the last position",
        "clean_logit_diff": first.clean,
        "corrupted_logit_diff": first.corrupted,
        "results": results,
    }))
}

/// Run `prompt` caching the attention patterns of `heads`, write `L{l}H{h}.svg` heatmaps
/// into `dir`, and return `{"prompt", "tokens", "heads": {"L9H8": [[…]]}}` (each pattern
/// `[query, key]`, rows summing to 1 over the causal keys).
fn attention_figures(m: &Model, prompt: &str, heads: &[Head], dir: &Path) -> Result<Value> {
    let c = &m.cfg;
    if let Some(h) = heads
        .iter()
        .find(|h| h.layer >= c.n_layers || h.head >= c.n_heads)
    {
        bail!(
            "--heads {h} is outside the model's {} layers × {} heads (counted from 0)",
            c.n_layers,
            c.n_heads
        );
    }
    let tok = m.tokenizer()?;
    let ids = tok.encode_prompt(prompt);
    if ids.is_empty() {
        bail!("--prompt has no tokens");
    }
    let labels: Vec<String> = ids
        .iter()
        .map(|&t| {
            tok.decode(&[t])
                .replace(' ', "\u{2423}")
                .replace('\n', "\\n")
                .replace('\t', "\\t")
        })
        .collect();
    let points: Vec<HookPoint> = heads
        .iter()
        .map(|h| HookPoint::Pattern(h.layer))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut run = Run::new().cache(&points).last_only();
    m.run(std::slice::from_ref(&ids), &mut run)?;
    let p = ids.len();
    let mut out = serde_json::Map::new();
    for h in heads {
        let a = &run.cache[&HookPoint::Pattern(h.layer)];
        let pat = &a.data[h.head * p * p..(h.head + 1) * p * p];
        let svg = attention_svg(pat, &labels, &format!("{h} attention pattern"));
        write_atomic(&dir.join(format!("{h}.svg")), svg.as_bytes())?;
        let rows: Vec<Vec<f32>> = pat.chunks(p).map(<[f32]>::to_vec).collect();
        out.insert(h.to_string(), json!(rows));
    }
    Ok(json!({"prompt": prompt, "tokens": labels, "ids": ids, "heads": out}))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An SVG heatmap of an attention pattern `[query, key]` (row-major, `labels.len()`²
/// values in 0..=1): white for 0 to dark blue for 1, query tokens down the left, key tokens
/// rotated along the top, the weight of each cell in its `<title>` (shown on hover).
fn attention_svg(pattern: &[f32], labels: &[String], title: &str) -> String {
    let p = labels.len();
    assert_eq!(
        pattern.len(),
        p * p,
        "attention_svg: pattern is not {p} × {p}"
    );
    let cell = 22usize;
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1);
    let margin = 16 + 7 * longest;
    let top = margin + 28;
    let (w, h) = (margin + p * cell + 70, top + p * cell + 20);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"monospace\" font-size=\"12\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n<text x=\"{}\" y=\"18\" font-size=\"14\">{}</text>\n",
        margin,
        xml_escape(title)
    );
    let colour = |v: f32| {
        let v = v.clamp(0.0, 1.0);
        let mix = |a: f32, b: f32| (a + (b - a) * v).round() as u8;
        format!(
            "#{:02x}{:02x}{:02x}",
            mix(255.0, 8.0),
            mix(255.0, 48.0),
            mix(255.0, 107.0)
        )
    };
    for (q, row) in pattern.chunks(p).enumerate() {
        for (k, &v) in row.iter().enumerate() {
            s += &format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{cell}\" height=\"{cell}\" fill=\"{}\" stroke=\"#ddd\" stroke-width=\"0.5\"><title>{} \u{2192} {}: {v:.4}</title></rect>\n",
                margin + k * cell,
                top + q * cell,
                colour(v),
                xml_escape(&labels[q]),
                xml_escape(&labels[k])
            );
        }
    }
    for (i, l) in labels.iter().enumerate() {
        let l = xml_escape(l);
        s += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{l}</text>\n",
            margin - 4,
            top + i * cell + cell * 2 / 3
        );
        let (x, y) = (margin + i * cell + cell * 2 / 3, top - 4);
        s += &format!("<text x=\"{x}\" y=\"{y}\" transform=\"rotate(-90 {x} {y})\">{l}</text>\n");
    }
    // Colour bar, 0 at the bottom, 1 at the top.
    let bx = margin + p * cell + 14;
    for i in 0..20 {
        let v = 1.0 - i as f32 / 19.0;
        s += &format!(
            "<rect x=\"{bx}\" y=\"{}\" width=\"14\" height=\"{}\" fill=\"{}\"/>\n",
            top + i * p * cell / 20,
            p * cell / 20 + 1,
            colour(v)
        );
    }
    s += &format!(
        "<text x=\"{}\" y=\"{}\">1</text>\n<text x=\"{}\" y=\"{}\">0</text>\n</svg>\n",
        bx + 18,
        top + 10,
        bx + 18,
        top + p * cell
    );
    s
}

/// Parse every value of the command-line option `flag` (errors name the option).
fn parse_all<T: std::str::FromStr<Err = String>>(values: &[String], flag: &str) -> Result<Vec<T>> {
    values
        .iter()
        .map(|s| s.parse::<T>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)
        .context(flag.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attention_svg_has_one_cell_per_entry_and_escapes_labels() {
        let labels = vec!["a<b".to_string(), "\u{2423}c&".to_string()];
        let svg = attention_svg(&[1.0, 0.0, 0.25, 0.75], &labels, "L0H0");
        assert_eq!(svg.matches("<title>").count(), 4);
        assert!(svg.contains("a&lt;b"));
        assert!(svg.contains("\u{2423}c&amp;"));
        assert!(svg.contains("0.7500"));
        // 1 maps to the darkest blue, 0 to white.
        assert!(svg.contains("fill=\"#08306b\""));
        assert!(svg.contains("fill=\"#ffffff\""));
    }

    #[test]
    fn attention_figures_on_smollm2() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
        if !path.exists() {
            eprintln!("skipped: data/smollm2 not fetched (scripts/fetch-data.sh smollm2)");
            return;
        }
        let m = Model::load(&path).expect("model");
        let dir = tempfile::tempdir().expect("tmp");
        let heads = [Head { layer: 9, head: 8 }, Head { layer: 0, head: 1 }];
        let v = attention_figures(
            &m,
            "When Mary and John went to the store",
            &heads,
            dir.path(),
        )
        .expect("figures");
        let p = v["tokens"].as_array().expect("tokens").len();
        assert!(p >= 8);
        for h in ["L9H8", "L0H1"] {
            let svg = std::fs::read_to_string(dir.path().join(format!("{h}.svg"))).expect("svg");
            assert_eq!(svg.matches("<title>").count(), p * p);
            let rows = v["heads"][h].as_array().expect("rows");
            assert_eq!(rows.len(), p);
            for (q, row) in rows.iter().enumerate() {
                let row: Vec<f64> = row
                    .as_array()
                    .expect("row")
                    .iter()
                    .map(|x| x.as_f64().expect("number"))
                    .collect();
                let sum: f64 = row.iter().sum();
                assert!((sum - 1.0).abs() < 1e-5, "{h} row {q} sums to {sum}");
                assert!(
                    row[q + 1..].iter().all(|&x| x == 0.0),
                    "{h} row {q} is not causal"
                );
            }
        }
        let bad = attention_figures(&m, "x", &[Head { layer: 30, head: 0 }], dir.path())
            .expect_err("layer");
        assert!(bad.to_string().contains("outside"), "{bad}");
    }
}
