//! Study `elm-neuron`: the Expressive Leaky Memory neuron of Spieler, Rahaman, Martius,
//! Schölkopf & Levina (2023, ICLR 2024; PAPERS.md row 8) on Ganglion's general autodiff path
//! ([`ganglion_train::autodiff`]).
//!
//! **Model.** Synaptic traces (τ_s = 5 steps) with rectified weights, branch sums, a ReLU MLP
//! that writes a tanh-bounded update into d_m leaky memory units with log-spaced time
//! constants, and a linear readout — the equations of the paper's public code
//! (`AaronSpieler/elmneuron`, `src/expressive_leaky_memory_neuron.py`), implemented in
//! [`ganglion_train::autodiff::elm`].
//!
//! **Parameter counts.** For the paper's NeuronIO neuron (1278 inputs routed to 45 branches ×
//! 100 synapses, MLP with one hidden layer of 2 d_m, two outputs) the count is taken from
//! the closed form and from the built model at d_m = 1, 10, 20, 100; both must agree with each
//! other and with the counts the paper's repository publishes (`models/*/model_stats.json`).
//!
//! **Long-horizon task.** NeuronIO (a 115 GB simulation set) cannot be had here, so the
//! paper's claim that the ELM solves long-horizon tasks where an LSTM of similar size fails
//! is tested on a delayed XOR with growing gaps (see [`task`]): the ELM (d_m = 20, τ_m up to
//! 1000 steps, 1927 parameters) against an LSTM with the closest parameter count (19 units,
//! 1996 parameters), same data, optimiser, steps and seeds.
//!
//! **Last full run** (2026-12-07, release build, 3078 s on 2 cores shared with other full
//! runs; gaps 25, 50, 100, 200 steps, 5 seeds, 400 Adam steps of 32 sequences): 9 of 9
//! checks pass. Parameter counts 4601 / 5852 / 8002 / 54002 at d_m = 1 / 10 / 20 / 100 (closed
//! form = built model = the paper's `model_stats.json`); gradients within 3·10⁻⁸ (ELM) and
//! 10⁻⁶ (LSTM) of central differences. Test accuracy, ELM vs LSTM (mean over 5 seeds): gap 25:
//! 1.00 vs 1.00; 50: 1.00 vs 0.49; 100: 0.90 vs 0.51; 200: 0.90 vs 0.50 (ELM − LSTM +0.40
//! [0.15, 0.66]). The LSTM is at chance from a 50-step gap on; the ELM reaches accuracy 1 in
//! every seed up to 50 steps and in 4 of 5 at 100 and at 200 (one seed each stays at chance).
//! Rerun 2026-12-08 after the fused ops (`autodiff::fused`, whose bias gradients sum in f64)
//! and the CLI's thread pin: 9 of 9, 1508 s beside another full run; the same accuracies but
//! at gap 100, where all 5 seeds now reach 1.00 (0.90 before): rounding changes the training
//! path of the seed that had stayed at chance. Gap 200: 0.90 vs 0.50 (ELM − LSTM +0.40
//! [0.10, 0.69]).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

pub mod task;

use ganglion_plot::{Figure, Panel};
use ganglion_train::autodiff::elm::{Elm, ElmConfig};
use ganglion_train::autodiff::lstm::Lstm;
use ganglion_train::autodiff::{DType, Device, Params, Tensor, bce_with_logits, grad_check};
use serde::Serialize;

use crate::SeedStats;
use crate::report::{self, Table, num};
use crate::stats::par_map;
use crate::{Check, Expect, Mode, Source, Study, StudyError, StudyInfo, StudyOutput};

use task::{Budget, Kind, Run};

/// The `elm-neuron` study (see the module docs).
pub struct ElmNeuron;

const NAME: &str = "elm-neuron";
const SEED: u64 = 8;
/// Counts published with the paper's pre-trained NeuronIO models (`model_stats.json`).
const PAPER_COUNTS: [(usize, usize); 4] = [(1, 4601), (10, 5852), (20, 8002), (100, 54002)];

fn fail(message: impl Into<String>) -> StudyError {
    StudyError::study(NAME, message)
}

fn ad<T>(r: ganglion_train::autodiff::Result<T>) -> Result<T, StudyError> {
    r.map_err(|e| fail(e.to_string()))
}

/// One row of the parameter-count table.
#[derive(Debug, Clone, Serialize)]
struct CountRow {
    d_m: usize,
    formula: usize,
    built: usize,
    paper: usize,
}

/// Mean accuracy and its interval per model and delay.
#[derive(Debug, Clone, Serialize)]
struct Summary {
    model: Kind,
    delay: usize,
    params: usize,
    accuracy: SeedStats,
}

struct Plan {
    delays: Vec<usize>,
    seeds: u64,
    budget: Budget,
}

fn plan(mode: Mode) -> Plan {
    match mode {
        Mode::Quick => Plan {
            delays: vec![5, 50],
            seeds: 3,
            budget: Budget {
                iters: 60,
                batch: 16,
                test: 256,
                lr: 1e-2,
            },
        },
        Mode::Full => Plan {
            delays: vec![25, 50, 100, 200],
            seeds: 5,
            budget: Budget {
                iters: 400,
                batch: 32,
                test: 1024,
                lr: 5e-3,
            },
        },
    }
}

fn counts() -> Result<Vec<CountRow>, StudyError> {
    PAPER_COUNTS
        .iter()
        .map(|&(d_m, paper)| {
            let cfg = ElmConfig::neuronio(d_m);
            let mut p = Params::new();
            ad(Elm::new(cfg.clone(), &mut p, "elm", 1, DType::F32))?;
            Ok(CountRow {
                d_m,
                formula: cfg.param_count(),
                built: p.count(),
                paper,
            })
        })
        .collect()
}

/// Largest relative gradient error of the task's ELM and LSTM (f64, short sequences).
fn gradient_errors() -> Result<(f64, f64), StudyError> {
    let (x, y, t_len) = task::batch(3, 4, 77);
    let x = ad(
        Tensor::from_vec(x, (t_len, 4, task::CHANNELS), &Device::Cpu)
            .and_then(|t| t.to_dtype(DType::F64)),
    )?;
    let y = ad(Tensor::from_vec(y, 4, &Device::Cpu).and_then(|t| t.to_dtype(DType::F64)))?;
    let last = |out: Tensor| out.get(t_len - 1)?.squeeze(1);
    let mut pe = Params::new();
    let elm = ad(Elm::new(task::elm_config(), &mut pe, "elm", 5, DType::F64))?;
    let ge = ad(grad_check(
        &pe,
        || bce_with_logits(&last(elm.forward(&x)?)?, &y),
        1e-5,
        6,
    ))?;
    let mut pl = Params::new();
    let lstm = ad(Lstm::new(
        task::CHANNELS,
        19,
        1,
        &mut pl,
        "lstm",
        6,
        DType::F64,
    ))?;
    let gl = ad(grad_check(
        &pl,
        || bce_with_logits(&last(lstm.forward(&x)?)?, &y),
        1e-5,
        6,
    ))?;
    Ok((ge.max_rel_err, gl.max_rel_err))
}

impl Study for ElmNeuron {
    fn info(&self) -> StudyInfo {
        StudyInfo {
            name: NAME,
            paper: "Spieler et al. 2023, The Expressive Leaky Memory neuron (PAPERS.md row 8): ELM parameter counts on the NeuronIO configuration, and ELM vs a size-matched LSTM on a delayed XOR with growing gaps",
            checks: "NeuronIO parameter counts (formula = built model = the paper's published counts); gradients against finite differences (theory); ELM learns the task; ELM beats the size-matched LSTM at the longest gap (paper, multi-seed)",
            quick_runtime: "~10 s",
            full_runtime: "~25 min on 2 shared cores (measured 2026-12-08: 1508 s beside another full run; 3078 s on 2026-12-07 before the thread pin)",
        }
    }

    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, StudyError> {
        let started = Instant::now();
        let rows = counts()?;
        let (ge, gl) = gradient_errors()?;
        let plan = plan(mode);
        let jobs: Vec<(Kind, usize, u64)> = plan
            .delays
            .iter()
            .flat_map(|&d| {
                (0..plan.seeds).flat_map(move |s| [Kind::Elm, Kind::Lstm].map(|k| (k, d, SEED + s)))
            })
            .collect();
        let runs: Vec<Run> = par_map(jobs.len(), |i| {
            task::train(jobs[i].0, jobs[i].1, jobs[i].2, plan.budget)
        })
        .into_iter()
        .map(ad)
        .collect::<Result<_, _>>()?;
        let summaries = summarise(&runs, &plan);
        let checks = checks(&rows, (ge, gl), &runs, &plan);
        let fig = figure(dir, &summaries)?;
        let text = report_text(
            mode,
            &checks,
            &rows,
            &summaries,
            &plan,
            &fig,
            started.elapsed().as_secs_f64(),
        );
        report::finish(
            NAME,
            dir,
            &text,
            checks,
            &[
                ("param_counts", &rows),
                ("runs", &runs),
                ("summary", &summaries),
            ],
        )
    }
}

fn acc(runs: &[Run], kind: Kind, delay: usize) -> Vec<f64> {
    runs.iter()
        .filter(|r| r.model == kind && r.delay == delay)
        .map(|r| r.test_accuracy)
        .collect()
}

fn summarise(runs: &[Run], plan: &Plan) -> Vec<Summary> {
    plan.delays
        .iter()
        .flat_map(|&delay| {
            [Kind::Elm, Kind::Lstm].map(|model| Summary {
                model,
                delay,
                params: task::param_count(model),
                accuracy: SeedStats::new(&acc(runs, model, delay)),
            })
        })
        .collect()
}

fn checks(rows: &[CountRow], (ge, gl): (f64, f64), runs: &[Run], plan: &Plan) -> Vec<Check> {
    let mut out: Vec<Check> = rows
        .iter()
        .map(|r| {
            Check::new(
                format!("param_count_dm{}", r.d_m),
                r.formula as f64,
                Expect::equals(r.paper as f64),
                Source::Paper,
                format!(
                    "trainable parameters of the NeuronIO ELM (1278 inputs → 45 branches × 100 synapses, MLP 1 × {} hidden) with d_m = {}: closed form {}, counted from the built model {}; the paper's repository publishes {} (models/num_memory_{}/model_stats.json)",
                    2 * r.d_m,
                    r.d_m,
                    r.formula,
                    r.built,
                    r.paper,
                    r.d_m
                ),
            )
        })
        .collect();
    let mismatch = rows
        .iter()
        .map(|r| r.formula.abs_diff(r.built))
        .max()
        .unwrap_or(0);
    out.push(Check::new(
        "param_count_formula_minus_built_max",
        mismatch as f64,
        Expect::equals(0.0),
        Source::SelfConsistency,
        "largest |closed-form count − count of the built model's trainable scalars| over d_m = 1, 10, 20, 100",
    ));
    out.push(Check::new(
        "elm_grad_check_max_rel_err",
        ge,
        Expect::at_most(1e-5),
        Source::Theory,
        "largest relative error of reverse-mode gradients against central differences (h = 1e-6, f64) over 6 entries of each ELM parameter, BCE loss on the task",
    ));
    out.push(Check::new(
        "lstm_grad_check_max_rel_err",
        gl,
        Expect::at_most(1e-5),
        Source::Theory,
        "the same for the LSTM baseline",
    ));
    let short = plan.delays[0];
    let long = *plan.delays.last().unwrap_or(&short);
    out.push(Check::from_seeds(
        format!("elm_test_accuracy_delay{short}"),
        &acc(runs, Kind::Elm, short),
        Expect::at_least(0.9),
        Source::SelfConsistency,
        format!("ELM test accuracy at the shortest gap ({short} steps); chance is 0.5, a model that holds one bit and computes XOR reaches 1"),
    ));
    let diff: Vec<f64> = acc(runs, Kind::Elm, long)
        .iter()
        .zip(acc(runs, Kind::Lstm, long))
        .map(|(e, l)| e - l)
        .collect();
    let note = format!(
        "ELM test accuracy − LSTM test accuracy at the longest gap ({long} steps), same seeds, data and budget; the paper reports the ELM solving long-horizon tasks (SHD-Adding, Long Range Arena) where an LSTM does not. LSTM size matched: {} vs {} parameters{}",
        task::param_count(Kind::Lstm),
        task::param_count(Kind::Elm),
        if plan.seeds < 5 {
            "; quick mode: the mean over its few seeds (too few for an interval), the full mode asks the 95 % interval over 5 seeds"
        } else {
            ""
        }
    );
    let name = format!("elm_minus_lstm_accuracy_delay{long}");
    out.push(if plan.seeds < 5 {
        let mean = diff.iter().sum::<f64>() / diff.len().max(1) as f64;
        Check::new(name, mean, Expect::at_least(0.0), Source::Paper, note)
    } else {
        Check::from_seeds(name, &diff, Expect::at_least(0.0), Source::Paper, note)
    });
    out
}

fn figure(dir: &Path, summaries: &[Summary]) -> Result<String, StudyError> {
    let pts = |k: Kind| {
        summaries
            .iter()
            .filter(|s| s.model == k)
            .map(|s| (s.delay as f64, s.accuracy.mean))
            .collect::<Vec<_>>()
    };
    let max_d = summaries.iter().map(|s| s.delay).max().unwrap_or(1) as f64;
    let panel = Panel::new(
        "gap between cues (steps)",
        "test accuracy (mean over seeds)",
    )
    .y_range(0.4, 1.02)
    .line("ELM (d_m = 20)", pts(Kind::Elm))
    .line("LSTM (size-matched)", pts(Kind::Lstm))
    .dashed("chance", vec![(0.0, 0.5), (max_d, 0.5)]);
    report::figure(
        NAME,
        dir,
        "accuracy_vs_delay",
        &Figure::new("Delayed XOR: ELM neuron vs size-matched LSTM").panel(panel),
        "Test accuracy against the gap between the two cues, mean over seeds.",
    )
}

fn report_text(
    mode: Mode,
    checks: &[Check],
    rows: &[CountRow],
    summaries: &[Summary],
    plan: &Plan,
    fig: &str,
    elapsed: f64,
) -> String {
    let mut s = report::header(
        "elm-neuron — the Expressive Leaky Memory neuron",
        mode,
        checks,
    );
    let _ = writeln!(
        s,
        "## What is reproduced\n\nSpieler et al. (2023) model a cortical neuron as a few leaky memory units updated by a \
         small MLP from dendritic-branch sums of synaptic traces, with memory time constants log-spaced up to long \
         horizons. They fit NeuronIO (a detailed L5 pyramidal cell) with a few thousand parameters and show that the \
         same neuron solves long-horizon tasks where LSTMs of similar size fail. Here the ELM is built on Ganglion's \
         general autodiff path (candle-core behind `ganglion_train::autodiff`), its parameter count is checked \
         against the paper's published counts, its gradients against finite differences, and the long-horizon claim \
         on a delayed XOR with growing gaps.\n"
    );
    let _ = writeln!(s, "## Checks\n\n{}", report::checks_table(checks));
    let mut t = Table::new(&[
        "d_m",
        "closed form",
        "built model",
        "paper (model_stats.json)",
    ]);
    for r in rows {
        t.row(vec![
            r.d_m.to_string(),
            r.formula.to_string(),
            r.built.to_string(),
            r.paper.to_string(),
        ]);
    }
    let _ = writeln!(
        s,
        "## Parameter counts, NeuronIO configuration\n\n{}\nClosed form: synapses + (branches + d_m)·2d_m + 2d_m + 2d_m·d_m + d_m + 2d_m + 2 \
         = 4502 + 95 d_m + 4 d_m². The paper's pre-trained models reach NeuronIO spike-prediction AUC 0.9437 (d_m = 1), \
         0.9878 (10), 0.9922 (20) and 0.9935 (100) (repository README); that fit needs the 115 GB NeuronIO data and is \
         not reproduced here.\n",
        t.render()
    );
    let mut t = Table::new(&[
        "gap (steps)",
        "model",
        "parameters",
        "test accuracy (mean [95 % CI], n)",
    ]);
    for m in summaries {
        let a = &m.accuracy;
        t.row(vec![
            m.delay.to_string(),
            m.model.label().to_string(),
            m.params.to_string(),
            format!(
                "{} [{}, {}], {}",
                num(a.mean),
                num(a.ci_low),
                num(a.ci_high),
                a.n
            ),
        ]);
    }
    let b = plan.budget;
    let _ = writeln!(
        s,
        "## Delayed XOR\n\nBit A is a 5-step one-hot pulse at the start, bit B a 5-step pulse after the gap, the target \
         A XOR B is read 5 steps later; two distractor channels spike at p = 0.1 throughout. Both models: Adam (lr {}), \
         global gradient norm clipped at 1, {} steps of {} fresh sequences, f32, tested on {} fresh sequences; {} seeds \
         (data and initialisation).\n\n{}\n{}",
        b.lr,
        b.iters,
        b.batch,
        b.test,
        plan.seeds,
        t.render(),
        fig
    );
    let _ = writeln!(
        s,
        "## Deviations from the paper\n\n\
         - **Task.** The paper's long-horizon evidence is SHD-Adding and the Long Range Arena; neither dataset is \
         available here, so a synthetic delayed XOR with known answer stands in. The paper's accuracies on those \
         benchmarks are therefore not comparable with ours and are not put side by side; the claim checked is the \
         qualitative one (ELM ≫ size-matched LSTM as the horizon grows).\n\
         - **Initialisation.** Weights are normal with the variance of PyTorch's uniform default, biases start at 0 \
         (PyTorch draws them), the LSTM's forget bias at 1 and it has one bias vector (PyTorch's `nn.LSTM` has two).\n\
         - **Training.** Fixed learning rate and budget for both models, no schedule or tuning per model; the paper \
         tunes each model.\n\
         - τ_s and τ_m are fixed (as in the paper's NeuronIO models; `learn_memory_tau = false`), τ_m ∈ [1, 1000].\n\n\
         Run time of this mode: {elapsed:.1} s (2 shared cores). Full mode: `cargo run --release -- study run elm-neuron --full`."
    );
    s
}
