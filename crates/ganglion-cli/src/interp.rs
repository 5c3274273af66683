//! `ganglion interp logit-diff`: circuit measurements on a GGUF language model.

use anyhow::{Context, Result};
use clap::Subcommand;
use ganglion_interp::ablate::{Ablation, Head, logit_diff, read_prompts};
use ganglion_interp::model::Model;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// `ganglion interp ...`
#[derive(Subcommand)]
pub enum InterpCommand {
    /// Logit difference logit(correct) − logit(incorrect) at each prompt's last position,
    /// optionally with attention heads ablated at every position.
    LogitDiff {
        /// A llama GGUF model (e.g. data/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf from
        /// scripts/fetch-data.sh smollm2).
        #[arg(long)]
        model: PathBuf,
        /// JSON lines, one {"prompt": "...", "correct": " Mary", "incorrect": " John"} a
        /// line; answers must be single tokens.
        #[arg(long)]
        prompts: PathBuf,
        /// Heads to ablate, L<layer>H<head> counted from 0 (e.g. L23H3,L29H1).
        #[arg(long, value_delimiter = ',')]
        ablate: Vec<String>,
        /// zero: replace the heads' z by 0; mean: by its mean over the prompts at each
        /// position (prompts of one token length).
        #[arg(long, default_value = "zero")]
        ablation: String,
        /// Print JSON (mean_logit_diff, accuracy, per_prompt) instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub fn interp(cmd: InterpCommand) -> Result<ExitCode> {
    match cmd {
        InterpCommand::LogitDiff {
            model,
            prompts,
            ablate,
            ablation,
            json,
        } => {
            let heads = ablate
                .iter()
                .map(|s| s.parse::<Head>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(anyhow::Error::msg)
                .context("--ablate")?;
            let ablation: Ablation = ablation
                .parse()
                .map_err(anyhow::Error::msg)
                .context("--ablation")?;
            let set = read_prompts(&prompts)?;
            let m = Model::load(&model)?;
            let r = logit_diff(&m, &set, &heads, ablation)?;
            let mut out = std::io::stdout().lock();
            if json {
                let v = serde_json::json!({
                    "model": model.display().to_string(),
                    "prompts": set.len(),
                    "ablate": heads.iter().map(Head::to_string).collect::<Vec<_>>(),
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
                    let names: Vec<String> = heads.iter().map(Head::to_string).collect();
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
