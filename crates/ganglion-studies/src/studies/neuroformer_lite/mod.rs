//! Study `neuroformer-lite`: Neuroformer (Antoniades, Yu, Canzano, Wang & Smith 2023,
//! "Neuroformer: multimodal and multitask generative pretraining for brain data", ICLR 2024;
//! PAPERS.md row 22) reduced to its spike stream — an autoregressive transformer over spike
//! tokens (neuron id + time offset) with the previous window's spikes as past state — and the
//! paper's simulation claim that its attention recovers the directed connectivity of a hub
//! network.
//!
//! **Data.** [`hub`]: N leaky integrate-and-fire neurons (`iaf_psc_delta`) on Ganglion's
//! engine, all under Poisson background drive; a few hub neurons each excite a random set
//! of the others through synapses with delays of 1–4 ms. The directed adjacency is the
//! ground truth.
//!
//! **Model.** [`tokens`]: 20 ms windows, 1 ms time bins; each spike a token (neuron id, bin);
//! the previous window's spikes are a prefix (the past state) that the current window's
//! tokens attend to, the current tokens attend causally to each other. A pre-LN transformer
//! ([`ganglion_train::autodiff::transformer`]) is trained with cross-entropy on the next
//! token's neuron (or end of window) and time bin.
//!
//! **Connectivity.** [`model`]: on held-out windows, the attention that a query predicting a
//! spike of neuron j pays to each earlier token of neuron i (past state or current window),
//! relative to uniform attention over what it may see, averaged over heads and blocks and
//! over all such (query, key) pairs, scores i → j. Baseline ([`infer`]): the lagged
//! cross-correlogram peak z-score, i before j, on the whole recording. Both are compared
//! with the adjacency by AUROC over ordered pairs, over several networks (seeds).
//!
//! **Last runs** (test profile, `RAYON_NUM_THREADS=1`, 2 cores shared with other builds;
//! without the variable the quick mode takes ~40 s there instead of ~10 s).
//! Quick (3 networks of 20 neurons, 40 s each; d = 32, 120 steps; 25 s): attention AUROC
//! 0.930 [95 % CI 0.842, 1.018], cross-correlogram 0.999 [0.996, 1.002]; attention −
//! cross-correlogram −0.069 [−0.158, 0.020], the cross-correlogram higher on 3 of 3 networks:
//! the briefly trained quick model does not beat the baseline. Full (6 networks of 40 neurons,
//! 120 s each; d = 48, 800 steps; 327 s, 200 MB): attention 0.99988 [0.99965, 1.00011]
//! (first block alone 0.987), cross-correlogram 0.99828 [0.99721, 0.99934]; difference
//! +0.0016 [+0.0007, +0.0025]: attention is better on every network, with both near ceiling.
//! Rerun 2026-12-08 after the fused transformer ops (`autodiff::fused`; release CLI, 266 s,
//! 177 MB, beside another full run): 4 of 4 checks, attention 0.99988 and difference +0.0016
//! [+0.0007, +0.0025] as before.
//! All checks pass in both modes. (The full mode's `attention_minus_ccg_auroc` check, the
//! issue's claim, was added after these runs, with the difference above: it passes, near
//! ceiling; a harder network, where shared hub input makes targets correlate, is the next test.)
//!
//! Full mode: `cargo run --release -p ganglion-cli -- study run neuroformer-lite --full`.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

pub mod hub;
pub mod infer;
pub mod model;
pub mod tokens;

use ganglion_plot::{Figure, Panel};
use ganglion_train::autodiff::transformer::{
    Transformer, TransformerConfig, additive_mask, cross_entropy, prefix_causal,
};
use ganglion_train::autodiff::{DType, Device, Params, Tensor, grad_check, on_one_thread};
use serde::Serialize;

use crate::SeedStats;
use crate::report::{self, Table, num};
use crate::stats::par_map;
use crate::{Check, Expect, Mode, Source, Study, StudyError, StudyInfo, StudyOutput};

use hub::{HubRun, HubSpec};
use model::Budget;
use tokens::TokenSpec;

/// The `neuroformer-lite` study (see the module docs).
pub struct NeuroformerLite;

const NAME: &str = "neuroformer-lite";
const SEED: u64 = 22;
/// Fraction of windows used for training (the rest are held out).
const TRAIN_FRACTION: f64 = 0.75;

fn fail(message: impl Into<String>) -> StudyError {
    StudyError::study(NAME, message)
}

fn ad<T>(r: ganglion_train::autodiff::Result<T>) -> Result<T, StudyError> {
    r.map_err(|e| fail(e.to_string()))
}

struct Plan {
    hub: HubSpec,
    tokens: TokenSpec,
    budget: Budget,
    seeds: u64,
}

fn plan(mode: Mode) -> Plan {
    let tokens = TokenSpec {
        window_ms: 20.0,
        bin_ms: 1.0,
        cap: 12,
    };
    let hub = HubSpec {
        neurons: 20,
        hubs: 3,
        targets_per_hub: 6,
        w_min_mv: 3.0,
        w_max_mv: 5.0,
        max_delay_ms: 4,
        hub_drive_mv: 19.0,
        rest_drive_mv: 17.0,
        t_ms: 40_000.0,
    };
    match mode {
        Mode::Quick => Plan {
            hub,
            tokens,
            budget: Budget {
                d_model: 32,
                heads: 4,
                layers: 2,
                steps: 120,
                batch: 32,
                lr: 3e-3,
            },
            seeds: 3,
        },
        Mode::Full => Plan {
            hub: HubSpec {
                neurons: 40,
                hubs: 4,
                targets_per_hub: 10,
                t_ms: 120_000.0,
                ..hub
            },
            tokens: TokenSpec { cap: 20, ..tokens },
            budget: Budget {
                d_model: 48,
                heads: 4,
                layers: 2,
                steps: 800,
                batch: 32,
                lr: 2e-3,
            },
            seeds: 6,
        },
    }
}

/// Everything measured on one network.
#[derive(Debug, Clone, Serialize)]
struct SeedRun {
    seed: u64,
    hub_rate_hz: f64,
    rest_rate_hz: f64,
    spikes: usize,
    train_windows: usize,
    test_windows: usize,
    truncated_fraction: f64,
    params: usize,
    final_train_loss: f64,
    test_ce_id: f64,
    test_ce_dt: f64,
    unigram_ce_id: f64,
    auroc_attention: f64,
    auroc_attention_first_block: f64,
    auroc_ccg: f64,
    /// Engine simulation wall time \[s\].
    sim_seconds: f64,
    /// Training and read-out wall time \[s\].
    train_seconds: f64,
    seconds: f64,
}

/// Attention against the cross-correlogram over seeds (reported; see the report's verdict).
#[derive(Debug, Clone, Serialize)]
struct Comparison {
    auroc_attention: SeedStats,
    auroc_attention_first_block: SeedStats,
    auroc_ccg: SeedStats,
    /// Attention AUROC − cross-correlogram AUROC, per seed.
    attention_minus_ccg: SeedStats,
}

fn compare(runs: &[SeedRun]) -> Comparison {
    Comparison {
        auroc_attention: SeedStats::new(&col(runs, |r| r.auroc_attention)),
        auroc_attention_first_block: SeedStats::new(&col(runs, |r| r.auroc_attention_first_block)),
        auroc_ccg: SeedStats::new(&col(runs, |r| r.auroc_ccg)),
        attention_minus_ccg: SeedStats::new(&col(runs, |r| r.auroc_attention - r.auroc_ccg)),
    }
}

/// ROC points of the first network, for the figure.
struct Curves {
    attention: Vec<(f64, f64)>,
    ccg: Vec<(f64, f64)>,
}

fn unseen_low(s: &[f64]) -> Vec<f64> {
    s.iter()
        .map(|&x| if x.is_nan() { f64::NEG_INFINITY } else { x })
        .collect()
}

fn one_seed(plan: &Plan, seed: u64, dir: &Path) -> Result<(SeedRun, Curves), StudyError> {
    let started = Instant::now();
    let run: HubRun = hub::simulate(&plan.hub, seed, dir)?;
    let sim_seconds = started.elapsed().as_secs_f64();
    let n = run.n;
    let (ws, cut) = tokens::windows(&run.spikes, run.t_ms, &plan.tokens);
    let split = (ws.len() as f64 * TRAIN_FRACTION) as usize;
    let (train, test) = ws.split_at(split);
    if train.is_empty() || test.is_empty() {
        return Err(fail(format!("seed {seed}: too few windows ({})", ws.len())));
    }
    // candle's products on a one-thread pool: the networks run in parallel instead.
    let tr = ad(on_one_thread(|| {
        model::train_and_read(train, test, n, &plan.tokens, &plan.budget, seed)
    }))?;
    let train_seconds = started.elapsed().as_secs_f64() - sim_seconds;
    let att = unseen_low(&tr.score_all);
    let att1 = unseen_low(&tr.score_first);
    let lags = plan.hub.max_delay_ms + 2;
    let ccg = infer::ccg_scores(&run.spikes, n, run.t_ms, 1.0, lags);
    let curves = Curves {
        attention: infer::roc(&att, &run.adj, n),
        ccg: infer::roc(&ccg, &run.adj, n),
    };
    let tail = tr.curve.len().saturating_sub(20);
    let final_loss = crate::stats::mean(&tr.curve[tail..]);
    Ok((
        SeedRun {
            seed,
            hub_rate_hz: run.rate_hz(0..plan.hub.hubs),
            rest_rate_hz: run.rate_hz(plan.hub.hubs..n),
            spikes: run.spikes.len(),
            train_windows: train.len(),
            test_windows: test.len(),
            truncated_fraction: cut,
            params: tr.params,
            final_train_loss: final_loss,
            test_ce_id: tr.test_ce_id,
            test_ce_dt: tr.test_ce_dt,
            unigram_ce_id: model::unigram_ce(train, test, n),
            auroc_attention: infer::auroc(&att, &run.adj, n),
            auroc_attention_first_block: infer::auroc(&att1, &run.adj, n),
            auroc_ccg: infer::auroc(&ccg, &run.adj, n),
            sim_seconds,
            train_seconds,
            seconds: started.elapsed().as_secs_f64(),
        },
        curves,
    ))
}

/// Largest relative gradient error of the study's transformer shape (small, f64) on a
/// batch of real tokens with the study's masks and loss.
fn gradient_error() -> Result<f64, StudyError> {
    let cfg = TransformerConfig {
        vocabs: vec![6, 9],
        d_model: 8,
        heads: 2,
        layers: 2,
        d_ff: 16,
        outputs: vec![5, 4],
    };
    let mut p = Params::new();
    let m = ad(Transformer::new(cfg, &mut p, "g", 3, DType::F64))?;
    let (b, t) = (2, 7);
    let ids: Vec<u32> = (0..b * t).map(|i| (i * 5 % 6) as u32).collect();
    let times: Vec<u32> = (0..b * t).map(|i| (i * 4 % 9) as u32).collect();
    let x = ad(Tensor::from_vec(ids, (b, t), &Device::Cpu))?;
    let y = ad(Tensor::from_vec(times, (b, t), &Device::Cpu))?;
    let allowed: Vec<bool> = (0..b).flat_map(|_| prefix_causal(t, 3)).collect();
    let mask = ad(additive_mask(&allowed, &[b, t, t]))?;
    let t_id: Vec<usize> = (0..b * t).map(|i| i % 5).collect();
    let t_dt: Vec<usize> = (0..b * t).map(|i| (i * 3) % 4).collect();
    let w: Vec<f64> = (0..b * t)
        .map(|i| f64::from(u8::from(i % t >= 3)))
        .collect();
    let gc = ad(grad_check(
        &p,
        || {
            let out = m.forward(&[x.clone(), y.clone()], &mask)?;
            let a = cross_entropy(&out.logits[0].reshape((b * t, 5))?, &t_id, &w)?;
            let d = cross_entropy(&out.logits[1].reshape((b * t, 4))?, &t_dt, &w)?;
            a + d
        },
        1e-5,
        6,
    ))?;
    Ok(gc.max_rel_err)
}

impl Study for NeuroformerLite {
    fn info(&self) -> StudyInfo {
        StudyInfo {
            name: NAME,
            paper: "Antoniades et al. 2023, Neuroformer (PAPERS.md row 22): an autoregressive transformer over spike tokens with a past-state stream; its attention recovers the directed connectivity of a simulated hub network",
            checks: "transformer gradients against finite differences (theory); the model predicts the next spike better than the firing rates alone (self-consistency); attention AUROC against the true adjacency well above chance (paper, multi-seed); attention AUROC − cross-correlogram AUROC, paired per network (the issue's claim; checked in full mode, reported in quick mode)",
            quick_runtime: "~8 s (release CLI, 2 cores, 2026-12-08); in the test profile ~10 s with RAYON_NUM_THREADS set (the CLI and .ci/run set it), ~40 s without",
            full_runtime: "~4.5 min (266 s, release CLI, 2 cores shared with another full run, 2026-12-08; 327 s in the test profile before the fused ops)",
        }
    }

    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, StudyError> {
        let started = Instant::now();
        let ge = gradient_error()?;
        let plan = plan(mode);
        let results: Vec<(SeedRun, Curves)> = par_map(plan.seeds as usize, |k| {
            one_seed(&plan, SEED + k as u64, dir)
        })
        .into_iter()
        .collect::<Result<_, _>>()?;
        let (runs, curves): (Vec<SeedRun>, Vec<Curves>) = results.into_iter().unzip();
        let checks = checks(ge, &runs, &plan, mode);
        let cmp = compare(&runs);
        let fig = figure(dir, &curves[0], &runs[0])?;
        let text = report_text(
            mode,
            &checks,
            &runs,
            &cmp,
            &plan,
            &fig,
            started.elapsed().as_secs_f64(),
        );
        report::finish(
            NAME,
            dir,
            &text,
            checks,
            &[("runs", &runs), ("comparison", &cmp)],
        )
    }
}

fn col(runs: &[SeedRun], f: impl Fn(&SeedRun) -> f64) -> Vec<f64> {
    runs.iter().map(f).collect()
}

fn checks(ge: f64, runs: &[SeedRun], plan: &Plan, mode: Mode) -> Vec<Check> {
    let mut out = vec![Check::new(
        "transformer_grad_check_max_rel_err",
        ge,
        Expect::at_most(1e-5),
        Source::Theory,
        "largest relative error of reverse-mode gradients of the transformer (2 blocks, 2 heads, prefix-causal mask, id + time cross-entropy) against central differences (h = 1e-5, f64), 6 entries of every parameter",
    )];
    let gain = col(runs, |r| r.unigram_ce_id - r.test_ce_id);
    out.push(Check::from_seeds(
        "unigram_minus_model_test_ce_nats",
        &gain,
        Expect::at_least(0.0),
        Source::SelfConsistency,
        "held-out next-neuron cross-entropy of the firing-rate marginal minus that of the transformer (nats per token): positive when the model has learnt structure beyond the rates, the premise of reading its attention",
    ));
    out.push(Check::from_seeds(
        "attention_auroc",
        &col(runs, |r| r.auroc_attention),
        Expect::at_least(0.7),
        Source::Paper,
        format!(
            "AUROC of the attention score i → j (mean over heads and blocks, relative to uniform) against the true hub adjacency over all {} ordered pairs, {} networks; the paper shows attention recovering the hub connectivity, so it must be well above chance (0.5); the bound 0.7 was fixed before the first run",
            plan.hub.neurons * (plan.hub.neurons - 1),
            runs.len()
        ),
    ));
    if mode == Mode::Full {
        out.push(Check::from_seeds(
            "attention_minus_ccg_auroc",
            &col(runs, |r| r.auroc_attention - r.auroc_ccg),
            Expect::at_least(0.0),
            Source::Paper,
            "attention AUROC − lagged cross-correlogram AUROC, paired per network; the issue's claim (Neuroformer's premise that attention reads out connectivity; the paper itself shows no such comparison): attention recovers the directed edges better than cross-correlation. Full mode only: the quick model (120 steps) is too briefly trained, and its comparison is reported, not checked. Both scores are close to 1 on this hub network, so the margin is small",
        ));
    }
    out
}

fn figure(dir: &Path, c: &Curves, r: &SeedRun) -> Result<String, StudyError> {
    let panel = Panel::new("false-positive rate", "true-positive rate")
        .x_range(0.0, 1.0)
        .y_range(0.0, 1.0)
        .line(
            format!("attention (AUROC {})", num(r.auroc_attention)),
            c.attention.clone(),
        )
        .line(
            format!("cross-correlogram (AUROC {})", num(r.auroc_ccg)),
            c.ccg.clone(),
        )
        .dashed("chance", vec![(0.0, 0.0), (1.0, 1.0)]);
    report::figure(
        NAME,
        dir,
        "roc",
        &Figure::new("Recovering the hub network's directed edges").panel(panel),
        &format!(
            "ROC of the attention and cross-correlogram scores against the true adjacency, network seed {}.",
            r.seed
        ),
    )
}

fn stats_text(s: &SeedStats) -> String {
    format!("{} [{}, {}]", num(s.mean), num(s.ci_low), num(s.ci_high))
}

fn report_text(
    mode: Mode,
    checks: &[Check],
    runs: &[SeedRun],
    cmp: &Comparison,
    plan: &Plan,
    fig: &str,
    elapsed: f64,
) -> String {
    let mut s = report::header(
        "neuroformer-lite — attention over spike tokens recovers a hub network",
        mode,
        checks,
    );
    let _ = writeln!(
        s,
        "## What is reproduced\n\nNeuroformer (Antoniades et al. 2023) turns spikes into tokens (neuron id and time \
         offset within a window), conditions on a past-state window and on stimulus streams, and trains a GPT-style \
         transformer to generate the next token. Trained on a simulated network with hub neurons, the paper reports \
         that the model's attention recovers the connectivity, including its direction. Here the spike stream alone \
         is modelled (no stimulus or video stream), on networks simulated by Ganglion's engine, and the recovery is \
         measured by AUROC against the true adjacency next to a cross-correlogram baseline.\n"
    );
    let _ = writeln!(s, "## Checks\n\n{}", report::checks_table(checks));
    let mut t = Table::new(&[
        "seed",
        "hub / other rate (Hz)",
        "test CE model / rates (nats)",
        "AUROC attention",
        "AUROC attention, block 1",
        "AUROC cross-correlogram",
        "time: engine / model (s)",
    ]);
    for r in runs {
        t.row(vec![
            r.seed.to_string(),
            format!("{} / {}", num(r.hub_rate_hz), num(r.rest_rate_hz)),
            format!("{} / {}", num(r.test_ce_id), num(r.unigram_ce_id)),
            num(r.auroc_attention),
            num(r.auroc_attention_first_block),
            num(r.auroc_ccg),
            format!("{:.1} / {:.1}", r.sim_seconds, r.train_seconds),
        ]);
    }
    let h = plan.hub;
    let b = plan.budget;
    let tk = plan.tokens;
    let _ = writeln!(
        s,
        "## Runs\n\n{}\nMean [95 % CI] over {} networks: attention {}, first block only {}, cross-correlogram {}.\n\n{}",
        t.render(),
        runs.len(),
        stats_text(&cmp.auroc_attention),
        stats_text(&cmp.auroc_attention_first_block),
        stats_text(&cmp.auroc_ccg),
        fig
    );
    let d = &cmp.attention_minus_ccg;
    let verdict = if d.ci_low > 0.0 {
        "attention recovers the edges better than the cross-correlogram: the whole interval is above 0"
    } else if d.ci_high < 0.0 {
        "**the claim does not hold here**: the cross-correlogram recovers the edges better than attention, the whole interval is below 0"
    } else {
        "neither is better at this number of networks: the interval contains 0"
    };
    let _ = writeln!(
        s,
        "## Attention against cross-correlation\n\n\
         The issue asks whether attention recovers the directed connectivity *better than cross-correlation*. \
         Attention AUROC − cross-correlogram AUROC, per network: mean {} [95 % CI {}, {}] over {} networks — {}; \
         the cross-correlogram scores higher on {} of the {} networks. \
         In full mode this is the check `attention_minus_ccg_auroc` (the issue's claim; the paper itself, as far as \
         it could be read here, shows attention maps beside the true connectivity and does not compare with \
         cross-correlation); in quick mode it is only reported, the briefly trained model being no test of it.\n",
        num(d.mean),
        num(d.ci_low),
        num(d.ci_high),
        d.n,
        verdict,
        runs.iter()
            .filter(|r| r.auroc_ccg > r.auroc_attention)
            .count(),
        runs.len()
    );
    let _ = writeln!(
        s,
        "## Setup\n\n\
         - **Network.** {} `iaf_psc_delta` neurons (τ = 20 ms, θ = 20 mV, reset 10 mV, 2 ms refractory, dt = 0.1 ms), \
         {} hubs each exciting {} distinct non-hubs (efficacy uniform in [{}, {}] mV, delay uniform in 1…{} ms); \
         Poisson background of J = 0.5 mV with mean input {} mV (hubs) and {} mV (others); {} s per network, a new \
         network (edges and drive) per seed.\n\
         - **Tokens.** {} ms windows, {} ms bins, at most {} spikes per window ({} % of the spikes beyond the cap, mean over \
         seeds); the previous window is the past state; first {} % of the windows train, the rest are held out.\n\
         - **Model.** d = {}, {} heads, {} pre-LN blocks, MLP 4d, GELU; {} parameters; Adam (lr {}, gradient norm \
         clipped at 1), {} steps of {} windows, f32; loss = next-neuron + next-time-bin cross-entropy.\n\
         - **Scores.** Attention: see the module docs; pairs never seen together score lowest. Cross-correlogram: \
         peak z-score over lags of 1 ms bins up to {} ms, i before j, on the whole recording (train and test).\n",
        h.neurons,
        h.hubs,
        h.targets_per_hub,
        h.w_min_mv,
        h.w_max_mv,
        h.max_delay_ms,
        h.hub_drive_mv,
        h.rest_drive_mv,
        h.t_ms / 1000.0,
        tk.window_ms,
        tk.bin_ms,
        tk.cap,
        num(100.0 * crate::stats::mean(&col(runs, |r| r.truncated_fraction))),
        (TRAIN_FRACTION * 100.0).round(),
        b.d_model,
        b.heads,
        b.layers,
        runs[0].params,
        b.lr,
        b.steps,
        b.batch,
        h.max_delay_ms + 2,
    );
    let _ = writeln!(
        s,
        "## The paper's numbers\n\n\
         The paper shows the attention of a unimodal Neuroformer trained on a simulated hub network side by side with \
         the true connectivity (a figure; project page: \"naturally revealed the underlying connectivity pattern within \
         its self-attention\"). In the material that could be reached here (abstract, project page, public code) no \
         AUROC or other number for that recovery was found, so there is no paper number to set beside ours; the checks \
         test the qualitative claim.\n\n\
         ## Deviations from Neuroformer\n\n\
         - Spike stream only: no video/stimulus stream, no contrastive alignment, no behaviour head.\n\
         - Past state enters as an attended prefix (one sequence with a prefix-causal mask), not through a separate \
         cross-attention module; the model is far smaller (d = {}, {} blocks).\n\
         - The network is an integrate-and-fire network on Ganglion's engine, not the paper's simulation.\n\
         - The baseline (lagged cross-correlogram) and the AUROC read-out are ours.\n\n\
         Run time of this mode: {elapsed:.1} s (2 shared cores; each network's model on a one-thread pool, \
         `autodiff::on_one_thread`; RAYON_NUM_THREADS, which the `ganglion` CLI sets at start, spares candle a read \
         of /proc/cpuinfo per matrix product: without it the quick mode took ~40 s instead of ~10 s on a loaded \
         machine). Full mode: \
         `cargo run --release -p ganglion-cli -- study run neuroformer-lite --full`.",
        b.d_model, b.layers
    );
    s
}
