//! Study `homeostatic-shift`: homeostatic neural networks under concept shift, after Man,
//! Damasio & Neven (2022), "Need is all you need: homeostatic neural networks adapt to
//! concept shift" (PAPERS.md row 11; code: `kingsonman/homeostatic-neural-networks`,
//! `lrh.py`, `lrr.py`, `mnist_utils.py`).
//!
//! A two-hidden-layer ELU network learns Fashion-MNIST online while pairs of labels swap
//! places at several rates. The images act on the network's own learning rate (labels ≥ 5
//! push it up, < 5 down); the homeostatic network accepts a push only when a simulated
//! weight step with the η its own classification predicts beats keeping η on the last 20
//! samples, the control accepts pushes at random with probability ½ (see [`online`]). The
//! paper's claim: the homeostatic learner adapts better, most at the highest shift rates.
//!
//! **Last full run** (2026-12-07, release build, 33 min; 784-80-60-10, 3 epochs of 60 000
//! images, 0/60/120/600 swaps per epoch, 10 seeds; before the claim became a full-mode
//! check): homeostatic − random online accuracy is above 0 at every rate (+0.39 without
//! shift, +0.16 [0.02, 0.30] at 600 swaps per epoch), but the advantage does not grow with
//! the shift rate, and a constant η beats both regulators at every rate (0.53 vs 0.41 vs 0.25
//! at 600): the random control's η wanders to ≈ 0.28 and destabilises this network.
//! At the paper's η₀ = 0.001 the control's walk stays small, but in this budget nothing
//! learns under fast shift (`examples/homeostatic_probe.rs 0.001 600 2`, 2026-12-07, seeds
//! 11–12, 600 swaps per epoch, 3 epochs): online accuracy 0.16 / 0.15 (constant), 0.18 / 0.29
//! (random), 0.16 / 0.17 (homeostatic, η moved at 0.3–0.4 % of its opportunities) — the
//! paper's η₀ does not rescue the claim within 3 epochs either.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

pub mod online;

use ganglion_data::images::ImageSet;
use ganglion_plot::{Figure, Panel};
use serde::Serialize;

use crate::SeedStats;
use crate::report::{self, Table, num};
use crate::stats::par_map;
use crate::{Check, Expect, Mode, Source, Study, StudyError, StudyInfo, StudyOutput};

use online::{Outcome, Regulator, Setup};

/// The `homeostatic-shift` study (see the module docs).
pub struct HomeostaticShift;

const NAME: &str = "homeostatic-shift";
const SEED: u64 = 11;

fn fail(message: impl Into<String>) -> StudyError {
    StudyError::study(NAME, message)
}

struct Plan {
    /// Training images streamed per epoch.
    train: usize,
    /// Average-pooling factor of the 28 × 28 images.
    pool: usize,
    /// Swaps per epoch, in increasing order; the first is 0 (no shift).
    rates: Vec<usize>,
    seeds: u64,
    setup: Setup,
    /// Whether the paper's accuracy claim is a check (full mode) or only reported (quick
    /// mode, whose budget is far from the paper's).
    claim_checked: bool,
}

fn plan(mode: Mode) -> Plan {
    match mode {
        Mode::Quick => Plan {
            train: 5000,
            pool: 2,
            rates: vec![0, 10, 50],
            seeds: 10,
            setup: Setup {
                hidden: [32, 32],
                eta0: 0.05,
                epochs: 3,
                swaps_per_epoch: 0,
                held_out: 1000,
            },
            claim_checked: false,
        },
        Mode::Full => Plan {
            train: 60000,
            pool: 1,
            rates: vec![0, 60, 120, 600],
            seeds: 10,
            setup: Setup {
                hidden: [80, 60],
                eta0: 0.05,
                epochs: 3,
                swaps_per_epoch: 0,
                held_out: 10000,
            },
            claim_checked: true,
        },
    }
}

/// One run: regulator, shift rate, seed and what it measured.
#[derive(Debug, Clone, Serialize)]
struct Run {
    regulator: Regulator,
    swaps_per_epoch: usize,
    seed: u64,
    #[serde(flatten)]
    outcome: Outcome,
}

/// Per regulator and shift rate: online accuracy, final held-out accuracy, mean η.
#[derive(Debug, Clone, Serialize)]
struct Summary {
    regulator: Regulator,
    swaps_per_epoch: usize,
    samples_between_swaps: Option<usize>,
    online_accuracy: SeedStats,
    held_out_accuracy: SeedStats,
    mean_eta: SeedStats,
    step_fraction: SeedStats,
}

/// The paper's claim against ours at one shift rate: paired differences of online accuracy.
#[derive(Debug, Clone, Serialize)]
struct Comparison {
    swaps_per_epoch: usize,
    homeostatic_minus_random: SeedStats,
    homeostatic_minus_constant: SeedStats,
    /// Homeostatic − random here minus the same without shift (the growth of the advantage).
    advantage_growth: SeedStats,
}

fn compare(runs: &[Run], plan: &Plan) -> Vec<Comparison> {
    let base = advantage(runs, 0);
    plan.rates
        .iter()
        .map(|&rate| {
            let adv = advantage(runs, rate);
            let vs_const: Vec<f64> = online_acc(runs, Regulator::Homeostatic, rate)
                .iter()
                .zip(online_acc(runs, Regulator::Constant, rate))
                .map(|(h, c)| h - c)
                .collect();
            let growth: Vec<f64> = adv.iter().zip(&base).map(|(a, b)| a - b).collect();
            Comparison {
                swaps_per_epoch: rate,
                homeostatic_minus_random: SeedStats::new(&adv),
                homeostatic_minus_constant: SeedStats::new(&vs_const),
                advantage_growth: SeedStats::new(&growth),
            }
        })
        .collect()
}

/// What a paired difference says about a claim that it is positive.
fn verdict(s: &SeedStats) -> &'static str {
    if s.ci_low > 0.0 {
        "agrees (interval above 0)"
    } else if s.ci_high < 0.0 {
        "contradicts (interval below 0)"
    } else {
        "not resolved (interval spans 0)"
    }
}

fn load(plan: &Plan) -> Result<(ImageSet, ImageSet), StudyError> {
    let (train, test) = crate::data::fashion_mnist().map_err(fail)?;
    let train = online::downsample(&train.truncate(plan.train), plan.pool);
    let test = online::downsample(&test, plan.pool);
    Ok((train, test))
}

impl Study for HomeostaticShift {
    fn info(&self) -> StudyInfo {
        StudyInfo {
            name: NAME,
            paper: "Man, Damasio & Neven 2022, Need is all you need: homeostatic neural networks adapt to concept shift (PAPERS.md row 11): online Fashion-MNIST under label-swap shift, learning rate regulated homeostatically vs by random steps",
            checks: "hand-written gradients against finite differences (theory); plain online SGD learns the unshifted stream; swap schedule; the homeostatic regulator raises η under fast shift (theory, multi-seed, paired); the paper's accuracy claim (homeostatic beats random steps, most at high shift) is reported next to the paper in quick mode and checked at the top shift rate in full mode (paper, paired over seeds)",
            quick_runtime: "~20 s of CPU (19–39 s wall on 2 shared cores)",
            full_runtime: "~33 min in release on 2 shared cores (measured 2026-12-07)",
        }
    }

    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, StudyError> {
        let started = Instant::now();
        let plan = plan(mode);
        let (train, test) = load(&plan)?;
        let grad_err = online::grad_check(6, 1e-2);
        let jobs: Vec<(Regulator, usize, u64)> = plan
            .rates
            .iter()
            .flat_map(|&r| {
                (0..plan.seeds).flat_map(move |s| Regulator::ALL.map(|g| (g, r, SEED + s)))
            })
            .collect();
        let runs: Vec<Run> = par_map(jobs.len(), |i| {
            let (regulator, swaps_per_epoch, seed) = jobs[i];
            let setup = Setup {
                swaps_per_epoch,
                ..plan.setup
            };
            Run {
                regulator,
                swaps_per_epoch,
                seed,
                outcome: online::run(&train, &test, setup, regulator, seed),
            }
        });
        let summaries = summarise(&runs, &plan);
        let comparisons = compare(&runs, &plan);
        let checks = checks(grad_err, &runs, &plan);
        let fig = figure(dir, &summaries, &plan)?;
        let text = report_text(
            mode,
            &checks,
            (&summaries, &comparisons),
            &plan,
            (train.rows, train.cols),
            &fig,
            started.elapsed().as_secs_f64(),
        );
        report::finish(
            NAME,
            dir,
            &text,
            checks,
            &[
                ("runs", &runs),
                ("summary", &summaries),
                ("paper_comparison", &comparisons),
            ],
        )
    }
}

fn pick(runs: &[Run], reg: Regulator, rate: usize) -> impl Iterator<Item = &Run> {
    runs.iter()
        .filter(move |r| r.regulator == reg && r.swaps_per_epoch == rate)
}

fn online_acc(runs: &[Run], reg: Regulator, rate: usize) -> Vec<f64> {
    pick(runs, reg, rate)
        .map(|r| r.outcome.online_accuracy)
        .collect()
}

/// Homeostatic − random online accuracy per seed (same seed: same initial weights, order
/// and swaps).
fn advantage(runs: &[Run], rate: usize) -> Vec<f64> {
    online_acc(runs, Regulator::Homeostatic, rate)
        .iter()
        .zip(online_acc(runs, Regulator::Random, rate))
        .map(|(h, r)| h - r)
        .collect()
}

fn summarise(runs: &[Run], plan: &Plan) -> Vec<Summary> {
    plan.rates
        .iter()
        .flat_map(|&rate| {
            Regulator::ALL.map(|regulator| {
                let stat = |f: &dyn Fn(&Outcome) -> f64| {
                    SeedStats::new(
                        &pick(runs, regulator, rate)
                            .map(|r| f(&r.outcome))
                            .collect::<Vec<_>>(),
                    )
                };
                Summary {
                    regulator,
                    swaps_per_epoch: rate,
                    samples_between_swaps: (rate > 0).then(|| plan.train / rate),
                    online_accuracy: stat(&|o| o.online_accuracy),
                    held_out_accuracy: stat(&|o| *o.held_out_accuracy.last().unwrap_or(&f64::NAN)),
                    mean_eta: stat(&|o| o.mean_eta),
                    step_fraction: stat(&|o| o.step_fraction),
                }
            })
        })
        .collect()
}

fn checks(grad_err: f64, runs: &[Run], plan: &Plan) -> Vec<Check> {
    let mut out = vec![Check::new(
        "grad_check_max_rel_err",
        grad_err,
        Expect::at_most(1e-3),
        Source::Theory,
        "largest relative error of the hand-written f32 backward pass (ELU network, summed cross-entropy) against central differences of an f64 plain-loop forward pass (h = 0.01), 6 entries of every weight and bias array",
    )];
    out.push(Check::from_seeds(
        "sgd_online_accuracy_no_shift",
        &online_acc(runs, Regulator::Constant, 0),
        Expect::at_least(0.7),
        Source::SelfConsistency,
        format!(
            "online (predict-then-learn) accuracy of plain minibatch SGD at constant η₀ = {} on the unshifted stream, {} epochs of {} images; chance is 0.1, a linear classifier reaches about 0.84 on Fashion-MNIST, so ≥ 0.7 says the network learns before any shift is added",
            plan.setup.eta0, plan.setup.epochs, plan.train
        ),
    ));
    let top = *plan.rates.last().unwrap_or(&0);
    let expected_swaps = plan.setup.epochs * top;
    let swaps: Vec<f64> = runs
        .iter()
        .filter(|r| r.swaps_per_epoch == top)
        .map(|r| r.outcome.swaps as f64)
        .collect();
    out.push(Check::from_seeds(
        format!("swaps_done_rate{top}"),
        &swaps,
        Expect::equals(expected_swaps as f64),
        Source::SelfConsistency,
        format!(
            "label swaps per run at {top} swaps per epoch: one every {} samples after the first minibatch, {} epochs (the schedule of lrh.py)",
            plan.train / top.max(1),
            plan.setup.epochs
        ),
    ));
    let eta_rise: Vec<f64> = pick(runs, Regulator::Homeostatic, top)
        .zip(pick(runs, Regulator::Homeostatic, 0))
        .map(|(hi, lo)| hi.outcome.mean_eta - lo.outcome.mean_eta)
        .collect();
    out.push(Check::from_seeds(
        format!("homeostatic_mean_eta_rate{top}_minus_rate0"),
        &eta_rise,
        Expect::at_least(0.0),
        Source::Theory,
        format!(
            "mean η of the homeostatic learner at {top} swaps per epoch minus without shift, paired by seed [η in the paper's units: step = η/m · Σ gradients]. The regulator takes a push when the step it implies fits the last 20 samples better; after a swap those samples contradict the learned mapping, so larger steps fit them better and η should settle higher the faster the shift (the paper's account of why homeostasis helps: rapid un-learning and re-learning)"
        ),
    ));
    if plan.claim_checked {
        out.push(Check::from_seeds(
            format!("homeostatic_minus_random_online_accuracy_rate{top}"),
            &advantage(runs, top),
            Expect::at_least(0.0),
            Source::Paper,
            format!(
                "online accuracy of the homeostatic learner minus the random-step control at {top} swaps per epoch, paired by seed; the paper: homeostatic beats the control, most at high shift rates (its budget: 50 epochs at η₀ = 0.001; ours: {} epochs at η₀ = {})",
                plan.setup.epochs, plan.setup.eta0
            ),
        ));
    }
    out
}

fn figure(dir: &Path, summaries: &[Summary], plan: &Plan) -> Result<String, StudyError> {
    // x: swaps per 1000 samples; the no-shift point sits at 0.
    let x = |rate: usize| rate as f64 * 1000.0 / plan.train as f64;
    let pts = |g: Regulator, f: &dyn Fn(&Summary) -> f64| {
        summaries
            .iter()
            .filter(|s| s.regulator == g)
            .map(|s| (x(s.swaps_per_epoch), f(s)))
            .collect::<Vec<_>>()
    };
    let mut acc = Panel::new(
        "label swaps per 1000 samples",
        "online accuracy (mean over seeds)",
    );
    let mut eta = Panel::new("label swaps per 1000 samples", "mean η over the stream");
    for g in Regulator::ALL {
        acc = acc.line(g.label(), pts(g, &|s| s.online_accuracy.mean));
        eta = eta.line(g.label(), pts(g, &|s| s.mean_eta.mean));
    }
    report::figure(
        NAME,
        dir,
        "accuracy_vs_shift_rate",
        &Figure::new("Online Fashion-MNIST under label-swap concept shift")
            .panel(acc)
            .panel(eta),
        "Online (predict-then-learn) accuracy and mean learning rate against the shift rate, mean over seeds.",
    )
}

fn ci(s: &SeedStats) -> String {
    format!("{} [{}, {}]", num(s.mean), num(s.ci_low), num(s.ci_high))
}

fn report_text(
    mode: Mode,
    checks: &[Check],
    (summaries, comparisons): (&[Summary], &[Comparison]),
    plan: &Plan,
    (rows, cols): (usize, usize),
    fig: &str,
    elapsed: f64,
) -> String {
    let mut s = report::header(
        "homeostatic-shift — homeostatic learning rate under concept shift",
        mode,
        checks,
    );
    let _ = writeln!(
        s,
        "## What is reproduced\n\nMan, Damasio & Neven (2022) place a classifier's own learning rate η in a \"needful\" \
         relation to what it classifies: every image pushes η up (labels 5–9) or down (labels 0–4). The homeostatic \
         learner (LRH, `lrh.py`) decides whether to take the push from its *own classification*: it simulates one \
         weight step with η unchanged and one with η moved in the direction of its *predicted* label, scores both on \
         the last 20 samples, and takes the push only if that helps — η then moves by the *true* label, so a \
         misclassification moves η the wrong way. The control (LRR, `lrr.py`) takes each push with probability ½. \
         Concept shift: every `epoch / swaps-per-epoch` samples two random labels trade places everywhere. The paper \
         reports that the homeostatic learner adapts better, with the largest advantage at the highest shift rates.\n"
    );
    let _ = writeln!(s, "## Checks\n\n{}", report::checks_table(checks));
    let mut t = Table::new(&[
        "swaps / epoch",
        "samples between swaps",
        "regulator",
        "online accuracy",
        "held-out accuracy (end)",
        "mean η",
        "η steps taken / opportunities",
    ]);
    for m in summaries {
        t.row(vec![
            m.swaps_per_epoch.to_string(),
            m.samples_between_swaps
                .map_or("—".into(), |v| v.to_string()),
            m.regulator.label().into(),
            ci(&m.online_accuracy),
            ci(&m.held_out_accuracy),
            num(m.mean_eta.mean),
            num(m.step_fraction.mean),
        ]);
    }
    let st = plan.setup;
    let _ = writeln!(
        s,
        "## Results\n\nFashion-MNIST, first {} training images ({rows} × {cols} pixels), {} epochs streamed in \
         minibatches of {}, network {}–{}–{}–10 (ELU), η₀ = {}, η steps of η₀/10; {} seeds (initial weights, stream \
         order, swaps and random steps; all regulators of a seed see the same order and swaps). Values: mean [95 % CI \
         over seeds]. Online accuracy counts each sample as classified before its minibatch's update; held-out accuracy \
         scores the first {} test images under the label mapping current at the end.\n\n{}\n{}",
        plan.train,
        st.epochs,
        online::MINIBATCH,
        rows * cols,
        st.hidden[0],
        st.hidden[1],
        st.eta0,
        plan.seeds,
        st.held_out,
        t.render(),
        fig
    );
    let mut t = Table::new(&[
        "swaps / epoch",
        "homeostatic − random",
        "paper: > 0",
        "homeostatic − constant",
        "paper: > 0",
        "advantage over random − same at 0 swaps",
        "paper: > 0, largest at the top rate",
    ]);
    for c in comparisons {
        let growth = if c.swaps_per_epoch == 0 {
            ("—".to_string(), "—")
        } else {
            (ci(&c.advantage_growth), verdict(&c.advantage_growth))
        };
        t.row(vec![
            c.swaps_per_epoch.to_string(),
            ci(&c.homeostatic_minus_random),
            verdict(&c.homeostatic_minus_random).into(),
            ci(&c.homeostatic_minus_constant),
            verdict(&c.homeostatic_minus_constant).into(),
            growth.0,
            growth.1.into(),
        ]);
    }
    let _ = writeln!(
        s,
        "## The paper's claim next to ours\n\n\
         The paper's text and figures were not available to this build (only its code and abstract), so its \
         numbers cannot be quoted; its claim is qualitative: the homeostatic learner adapts better to concept shift \
         than learners with random or constant learning rates, the advantage greatest at the highest shift rates \
         (MNIST and Fashion-MNIST, 50 epochs of 60 000 images at η₀ = 0.001; its swaps-per-epoch values are set by \
         the caller, not in the repository). Ours, as paired differences of online accuracy (mean [95 % CI] over \
         {} seeds) and what each says about the claim:\n\n{}\n\
         In quick mode this claim is measured and reported, not asserted (its budget is far from the paper's 50 \
         epochs); the full mode checks it at the top shift rate (`homeostatic_minus_random_online_accuracy_rate*`). \
         Where the intervals span 0 or fall below it we do not reproduce the paper's advantage. What we do check is the mechanism the advantage rests on: the \
         homeostatic regulator raises η when labels shift fast (table above: mean η; check \
         `homeostatic_mean_eta_rate*_minus_rate0`). The random-step control's η is an unbiased walk reflected at \
         zero, so its mean η drifts above η₀ whatever the shift rate. The homeostatic learner takes a push at only a \
         few per cent of its opportunities (last column of the results table; the control takes half), so its η \
         moves far less than the control's within our budget; the paper's 50 epochs give it 100 × more \
         opportunities.\n",
        plan.seeds,
        t.render()
    );
    let _ = writeln!(
        s,
        "## Where we differ from the paper\n\n\
         - **Budget and η₀.** {} epochs over {} images instead of 50 × 60 000, so η₀ = {} (the paper's 0.001 barely \
         moves the network in so few samples); the η step stays η₀/10 and the η floor 1e-8.{}\n\
         - **Data.** Fashion-MNIST only (the paper also uses MNIST).\n\
         - **Held-out set.** The test split's first {} images stand in for the paper's validation CSV.\n\
         - **Swap draws** come from a stream separate from the regulator's, so that all regulators of a seed meet \
         the same swaps; in the paper all draws share numpy's global generator (and its seed is the wall clock).\n\
         - Otherwise as `lrh.py`/`lrr.py`: He-scaled N(0, 2/fan-in) weights and N(0, 1) biases, ELU(α = 1), \
         softmax cross-entropy, gradients summed over the minibatch and applied as η/m · Σ, the regulator's \
         opportunity at the first sample of each minibatch (index > 20 within the epoch for LRH, > 0 for LRR), the \
         simulated steps use that one sample's gradient (the paper's partial minibatch sum at that point), and the \
         homeostatic learner takes the push only when it strictly improves the recent-sample score.\n\n\
         Run time of this mode: {elapsed:.1} s (2 shared cores). Full mode: `cargo run --release -p ganglion-cli -- study run homeostatic-shift --full`.",
        st.epochs,
        plan.train,
        st.eta0,
        if plan.pool > 1 {
            format!(
                "\n- **Images** average-pooled {p} × {p} to {rows} × {cols} and a smaller network ({h0}/{h1} hidden units \
                 instead of 80/60) in quick mode, to fit the test budget.",
                p = plan.pool,
                h0 = st.hidden[0],
                h1 = st.hidden[1]
            )
        } else {
            String::new()
        },
        st.held_out
    );
    s
}
