//! Study `lsm-zero-shot`: zero-shot cross-modal retrieval with a fixed random liquid state
//! machine and trained projections, after Lin, Wang, Li et al., "Resistive memory-based
//! zero-shot liquid state machine for multimodal event data learning" (arXiv 2307.00771, 2023;
//! Nature Computational Science 2025; PAPERS.md row 15).
//!
//! A random LIF liquid with resistive-memory-like weights (random device conductances, 4-bit
//! reads, never trained; [`liquid`]) is run by the engine over event streams of two modalities
//! that this study *synthesises* from Fashion-MNIST ([`events`]): DVS-camera events of an image
//! under three saccades, and spike trains of a 32-channel "cochlea" hearing a sonification of
//! another image of the same class. One ANN head per modality maps the liquid's spike counts to
//! a shared embedding, trained with the symmetric InfoNCE loss on five classes ([`heads`]);
//! retrieval across modalities is then scored on the five classes never seen in training
//! (zero-shot), against chance, against untrained heads, and against heads trained on the raw
//! event counts (no liquid).
//!
//! **History of the quick mode.** The margin (top-1 at least 0.10 above chance, at the lower
//! end of the 95 % interval) was fixed before the first run. The first quick run (5 seeds,
//! 300 Adam steps at lr 1e-3) cleared it vision → audio (+0.235 [0.109, 0.361]) but not
//! audio → vision (+0.211 [0.083, 0.338]): the spread over seeds comes mostly from which five
//! classes are held out. The quick mode then got 8 seeds (for power; the margin unchanged) and
//! 150 steps at lr 2e-3 (for time); the full mode keeps 10 seeds and 1500 steps.
//!
//! **Last full run** (2026-12-07, the dev-profile binary (workspace crates at opt-level 1,
//! dependencies at 3), 516 s on 2 shared cores, 95 s per seed of it training the heads; 10
//! seeds, 500-neuron liquid, 300 / 100 pairs per trained / held-out class): 6/6 checks pass.
//! Zero-shot top-1 on the held-out classes 0.452 [0.370, 0.533] vision → audio and 0.427
//! [0.351, 0.503] audio → vision (chance 0.2); untrained heads 0.198 / 0.187; heads trained on
//! the raw event counts 0.416 / 0.374; liquid − raw +0.044 [−0.020, 0.108] (not resolved: the
//! liquid neither helps nor hurts measurably here).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

pub mod events;
pub mod heads;
pub mod liquid;

use ganglion_data::images::ImageSet;
use ganglion_plot::{Figure, Panel};
use ganglion_train::autodiff::DType;
use ganglion_train::autodiff::on_one_thread;
use rand::RngExt;
use serde::Serialize;

use crate::SeedStats;
use crate::report::{self, Table, num};
use crate::stats::{par_map, stream};
use crate::{Check, Expect, Mode, Source, Study, StudyError, StudyInfo, StudyOutput};

use events::{Event, EventConfig, Voice};
use heads::{HeadConfig, Model, Pairs};
use liquid::{LiquidConfig, Modality, Weights};

/// The `lsm-zero-shot` study (see the module docs).
pub struct LsmZeroShot;

const NAME: &str = "lsm-zero-shot";
const SEED: u64 = 15;
/// Classes held out of training (the rest of Fashion-MNIST's 10 are trained on).
const HELD_OUT: usize = 5;
/// Largest k of recall@k.
const KMAX: usize = 10;
/// The margin over chance that the zero-shot claim must clear, fixed before any run: top-1
/// retrieval at least 0.10 above chance (chance is 0.20 with five balanced held-out classes,
/// so 1.5 × chance), on the lower end of the 95 % interval over seeds.
const MARGIN: f64 = 0.10;

fn fail(message: impl Into<String>) -> StudyError {
    StudyError::study(NAME, message)
}

struct Plan {
    seeds: u64,
    /// Pairs per trained class.
    train_per_class: usize,
    /// Pairs per held-out class.
    test_per_class: usize,
    pool: usize,
    events: EventConfig,
    liquid: LiquidConfig,
    heads: HeadConfig,
}

fn plan(mode: Mode) -> Plan {
    let events = EventConfig {
        side: 14,
        saccade_ms: 10.0,
        substeps: 5,
        contrast: 0.3,
        log_offset: 0.1,
        dvs_noise_hz: 2.0,
        cochlea_channels: 32,
        column_ms: 2.0,
        cochlea_max_hz: 300.0,
        cochlea_noise_hz: 5.0,
    };
    let liquid = |neurons| LiquidConfig {
        neurons,
        p_dvs: 0.1,
        p_cochlea: 0.3,
        p_rec: 0.1,
        j_dvs_mv: 4.0,
        j_cochlea_mv: 4.0,
        j_rec_mv: 8.0,
        slot_ms: 80.0,
        bins: 3,
        bin_ms: 15.0,
    };
    let heads = |steps, lr| HeadConfig {
        hidden: 64,
        embed: 32,
        temperature: 0.1,
        steps,
        per_class: 4,
        lr,
    };
    match mode {
        Mode::Quick => Plan {
            seeds: 8,
            train_per_class: 40,
            test_per_class: 30,
            pool: 2,
            events,
            liquid: liquid(200),
            heads: heads(150, 2e-3),
        },
        Mode::Full => Plan {
            seeds: 10,
            train_per_class: 300,
            test_per_class: 100,
            pool: 2,
            events,
            liquid: liquid(500),
            heads: heads(1500, 1e-3),
        },
    }
}

/// Recall@k (k = 1..=10) in both directions.
#[derive(Debug, Clone, Serialize)]
struct Retrieval {
    vision_to_audio: Vec<f64>,
    audio_to_vision: Vec<f64>,
}

impl Retrieval {
    fn top1(&self) -> f64 {
        0.5 * (self.vision_to_audio[0] + self.audio_to_vision[0])
    }
}

/// Everything measured with one seed.
#[derive(Debug, Clone, Serialize)]
struct SeedRun {
    seed: u64,
    trained_classes: Vec<usize>,
    held_out_classes: Vec<usize>,
    /// Mean events per vision / audio sample.
    vision_events: f64,
    audio_events: f64,
    liquid_rate_hz: f64,
    liquid_active_fraction: f64,
    weight_drift_mv: f64,
    recurrent_synapses: usize,
    recurrent_weight_levels: usize,
    engine_s: f64,
    /// Wall time synthesising the events \[s\].
    synth_s: f64,
    /// Wall time training and scoring both sets of heads \[s\].
    heads_s: f64,
    /// InfoNCE at the last training step (liquid heads, raw heads) \[nats\].
    final_loss_liquid: f64,
    final_loss_raw: f64,
    chance: Retrieval,
    liquid_trained: Retrieval,
    liquid_untrained: Retrieval,
    raw_trained: Retrieval,
    /// Liquid spikes of two vision and two audio samples, for the raster figure.
    #[serde(skip)]
    raster: Vec<(f64, u32)>,
}

/// One synthesised pair: class, vision events, audio events.
struct Sample {
    class: usize,
    vision: Vec<Event>,
    audio: Vec<Event>,
}

fn by_class(set: &ImageSet) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); set.classes];
    for (i, &l) in set.labels.iter().enumerate() {
        out[l as usize].push(i);
    }
    out
}

/// The pairs of one seed: trained classes first (`train_per_class` each), then held-out.
fn synthesise(
    set: &ImageSet,
    classes: &[Vec<usize>],
    plan: &Plan,
    order: &[usize],
    seed: u64,
) -> Vec<Sample> {
    let mut rng = stream(seed, 10);
    let mut out = Vec::new();
    for (rank, &c) in order.iter().enumerate() {
        let n = if rank < order.len() - HELD_OUT {
            plan.train_per_class
        } else {
            plan.test_per_class
        };
        // 2n distinct images of class c: the first n are seen, the next n are heard.
        let pool = &classes[c];
        let mut pick: Vec<usize> = Vec::with_capacity(2 * n);
        while pick.len() < 2 * n.min(pool.len() / 2) {
            let i = pool[rng.random_range(0..pool.len())];
            if !pick.contains(&i) {
                pick.push(i);
            }
        }
        for k in 0..pick.len() / 2 {
            let img = events::pool(set.image(pick[k]), set.cols, plan.pool);
            let other = events::pool(set.image(pick[pick.len() / 2 + k]), set.cols, plan.pool);
            let voice = Voice::draw(&mut rng);
            out.push(Sample {
                class: c,
                vision: events::dvs_events(&img, &plan.events, &mut rng),
                audio: events::cochlea_events(&other, &plan.events, &voice, &mut rng),
            });
        }
    }
    out
}

/// Splits per-sample features into standardised train / test pairs (statistics from train).
fn pairs(
    fa: &[Vec<f64>],
    fb: &[Vec<f64>],
    labels: &[usize],
    train: &[usize],
    test: &[usize],
) -> (Pairs, Pairs) {
    let (da, db) = (fa[0].len(), fb[0].len());
    let take = |idx: &[usize]| Pairs {
        a: idx.iter().flat_map(|&i| fa[i].iter().copied()).collect(),
        da,
        b: idx.iter().flat_map(|&i| fb[i].iter().copied()).collect(),
        db,
        labels: idx.iter().map(|&i| labels[i]).collect(),
    };
    let (mut tr, mut te) = (take(train), take(test));
    let sa = heads::column_stats(&tr.a, da);
    let sb = heads::column_stats(&tr.b, db);
    for p in [&mut tr, &mut te] {
        heads::standardise(&mut p.a, &sa);
        heads::standardise(&mut p.b, &sb);
    }
    (tr, te)
}

fn retrieval(model: &Model, test: &Pairs, embed: usize) -> Result<Retrieval, StudyError> {
    let (ea, eb) = model.embed(test).map_err(|e| fail(e.to_string()))?;
    let l = &test.labels;
    Ok(Retrieval {
        vision_to_audio: heads::recall_at(&ea, l, &eb, l, embed, KMAX),
        audio_to_vision: heads::recall_at(&eb, l, &ea, l, embed, KMAX),
    })
}

/// Trains heads on `train` (from `seed`) and scores `test`; returns retrieval, the untrained
/// heads' retrieval, and the last training loss.
fn fit(
    train: &Pairs,
    test: &Pairs,
    cfg: &HeadConfig,
    seed: u64,
) -> Result<(Retrieval, Retrieval, f64), StudyError> {
    let err = |e: ganglion_train::autodiff::Error| fail(e.to_string());
    let mut model = Model::new(train.da, train.db, cfg, seed, DType::F32).map_err(err)?;
    let untrained = retrieval(&model, test, cfg.embed)?;
    let curve = model.train(train, cfg, seed).map_err(err)?;
    let trained = retrieval(&model, test, cfg.embed)?;
    Ok((trained, untrained, *curve.last().unwrap_or(&f64::NAN)))
}

fn run_seed(
    set: &ImageSet,
    classes: &[Vec<usize>],
    plan: &Plan,
    s: u64,
    dir: &Path,
) -> Result<(SeedRun, Option<Pairs>), StudyError> {
    let seed = SEED + s;
    let mut rng = stream(seed, 0);
    let mut order: Vec<usize> = (0..set.classes).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let t0 = Instant::now();
    let samples = synthesise(set, classes, plan, &order, seed);
    let synth_s = t0.elapsed().as_secs_f64();
    let n = samples.len();
    // Vision block then audio block, each in a shuffled order, so that no audio sample follows
    // its own partner (or any same-class sample by construction) in the liquid.
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        perm.swap(i, rng.random_range(0..=i));
    }
    let mut seq: Vec<(Modality, &[Event])> = Vec::with_capacity(2 * n);
    seq.extend(
        perm.iter()
            .map(|&i| (Modality::Vision, samples[i].vision.as_slice())),
    );
    seq.extend(
        perm.iter()
            .map(|&i| (Modality::Audio, samples[i].audio.as_slice())),
    );
    let channels = (plan.events.dvs_channels(), plan.events.cochlea_channels);
    let weights = Weights::draw(&plan.liquid, channels.0, channels.1, seed);
    let run = liquid::run(
        &plan.liquid,
        &weights,
        channels,
        &seq,
        &[0, 1, n, n + 1],
        &dir.join(format!("engine_seed{s}")),
    )
    .map_err(fail)?;
    let mut fa = vec![Vec::new(); n];
    let mut fb = vec![Vec::new(); n];
    for (slot, &i) in perm.iter().enumerate() {
        fa[i] = run.states[slot].clone();
        fb[i] = run.states[n + slot].clone();
    }
    let ra: Vec<Vec<f64>> = samples
        .iter()
        .map(|x| liquid::raw_counts(&x.vision, channels.0, &plan.liquid))
        .collect();
    let rb: Vec<Vec<f64>> = samples
        .iter()
        .map(|x| liquid::raw_counts(&x.audio, channels.1, &plan.liquid))
        .collect();
    let labels: Vec<usize> = samples.iter().map(|x| x.class).collect();
    let held: Vec<usize> = order[order.len() - HELD_OUT..].to_vec();
    let (train, test): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| !held.contains(&labels[i]));
    let (ltr, lte) = pairs(&fa, &fb, &labels, &train, &test);
    let (rtr, rte) = pairs(&ra, &rb, &labels, &train, &test);
    let t0 = Instant::now();
    let (liquid_trained, liquid_untrained, final_loss_liquid) = fit(&ltr, &lte, &plan.heads, seed)?;
    let (raw_trained, _, final_loss_raw) = fit(&rtr, &rte, &plan.heads, seed)?;
    let heads_s = t0.elapsed().as_secs_f64();
    let l = &lte.labels;
    let chance = Retrieval {
        vision_to_audio: heads::chance_recall(l, l, KMAX),
        audio_to_vision: heads::chance_recall(l, l, KMAX),
    };
    let mean_len =
        |f: &dyn Fn(&Sample) -> usize| samples.iter().map(|x| f(x) as f64).sum::<f64>() / n as f64;
    let mut trained_classes = order[..order.len() - HELD_OUT].to_vec();
    trained_classes.sort_unstable();
    let mut held_out_classes = held;
    held_out_classes.sort_unstable();
    Ok((
        SeedRun {
            seed,
            trained_classes,
            held_out_classes,
            vision_events: mean_len(&|x| x.vision.len()),
            audio_events: mean_len(&|x| x.audio.len()),
            liquid_rate_hz: run.rate_hz,
            liquid_active_fraction: run.active_fraction,
            weight_drift_mv: run.weight_drift_mv,
            recurrent_synapses: run.rec_synapses,
            recurrent_weight_levels: run.rec_levels,
            engine_s: run.engine_s,
            synth_s,
            heads_s,
            final_loss_liquid,
            final_loss_raw,
            chance,
            liquid_trained,
            liquid_untrained,
            raw_trained,
            raster: run.raster,
        },
        (s == 0).then_some(ltr),
    ))
}

impl Study for LsmZeroShot {
    fn info(&self) -> StudyInfo {
        StudyInfo {
            name: NAME,
            paper: "Lin, Wang, Li et al. 2023/2025, Resistive memory-based zero-shot liquid state machine for multimodal event data learning (PAPERS.md row 15): fixed random LIF liquid with resistive-memory weights, ANN projections trained with a contrastive loss, zero-shot cross-modal retrieval (here on event data synthesised from Fashion-MNIST)",
            checks: "InfoNCE gradient through both heads against finite differences (theory); the liquid's weights unchanged by the run and the liquid active (self-consistency); zero-shot top-1 retrieval on held-out classes above chance by 0.10 in both directions (paper's claim, margin ours, multi-seed); trained heads beat untrained heads (self-consistency, paired)",
            quick_runtime: "11–17 s alone, ~34 s while other builds share the 2 cores (test profile)",
            full_runtime: "~9 min on 2 shared cores (516 s, dev-profile binary; the candle heads dominate, so release is not much faster)",
        }
    }

    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, StudyError> {
        let started = Instant::now();
        let plan = plan(mode);
        let t0 = Instant::now();
        let (set, _) = crate::data::fashion_mnist().map_err(fail)?;
        let load_s = t0.elapsed().as_secs_f64();
        let classes = by_class(&set);
        // One thread per seed: candle's matmuls would otherwise fan out over the global pool,
        // which is slower for these small heads on shared cores.
        let results = par_map(plan.seeds as usize, |s| {
            on_one_thread(|| run_seed(&set, &classes, &plan, s as u64, dir))
        });
        let mut runs = Vec::with_capacity(results.len());
        let mut probe = None;
        for r in results {
            let (run, p) = r?;
            probe = probe.or(p);
            runs.push(run);
        }
        let probe = probe.ok_or_else(|| fail("no seed 0"))?;
        let grad_err =
            heads::check_gradient(&probe, &plan.heads, 8).map_err(|e| fail(e.to_string()))?;
        let checks = checks(grad_err, &runs);
        let figs = [
            recall_figure(dir, &runs)?,
            raster_figure(dir, &runs, &plan)?,
        ];
        let text = report_text(
            mode,
            &checks,
            &runs,
            &plan,
            &figs,
            (load_s, started.elapsed().as_secs_f64()),
        );
        let summary = summary(&runs);
        report::finish(
            NAME,
            dir,
            &text,
            checks,
            &[("runs", &runs), ("summary", &summary)],
        )
    }
}

/// Mean [95 % CI] over seeds of one condition's recall@1 and @5, both directions.
#[derive(Debug, Clone, Serialize)]
struct Summary {
    condition: &'static str,
    top1_vision_to_audio: SeedStats,
    top1_audio_to_vision: SeedStats,
    recall5_vision_to_audio: SeedStats,
    recall5_audio_to_vision: SeedStats,
}

const CONDITIONS: [&str; 4] = [
    "liquid + trained heads",
    "raw events + trained heads",
    "liquid + untrained heads",
    "chance",
];

fn condition<'a>(r: &'a SeedRun, name: &str) -> &'a Retrieval {
    match name {
        "liquid + trained heads" => &r.liquid_trained,
        "raw events + trained heads" => &r.raw_trained,
        "liquid + untrained heads" => &r.liquid_untrained,
        _ => &r.chance,
    }
}

fn per_seed(runs: &[SeedRun], f: impl Fn(&SeedRun) -> f64) -> Vec<f64> {
    runs.iter().map(f).collect()
}

fn summary(runs: &[SeedRun]) -> Vec<Summary> {
    CONDITIONS
        .iter()
        .map(|&c| {
            let s = |f: &dyn Fn(&Retrieval) -> f64| {
                SeedStats::new(&per_seed(runs, |r| f(condition(r, c))))
            };
            Summary {
                condition: c,
                top1_vision_to_audio: s(&|x| x.vision_to_audio[0]),
                top1_audio_to_vision: s(&|x| x.audio_to_vision[0]),
                recall5_vision_to_audio: s(&|x| x.vision_to_audio[4]),
                recall5_audio_to_vision: s(&|x| x.audio_to_vision[4]),
            }
        })
        .collect()
}

fn checks(grad_err: f64, runs: &[SeedRun]) -> Vec<Check> {
    let mut out = vec![Check::new(
        "grad_check_info_nce_max_rel_err",
        grad_err,
        Expect::at_most(1e-6),
        Source::Theory,
        "largest relative error of the reverse-mode gradient of the symmetric InfoNCE loss (class targets, τ = 0.1) through both projection heads, against central differences (h = 1e-5) in f64, 8 entries of each of the 8 weight and bias arrays, 8 liquid-state pairs of seed 0",
    )];
    out.push(Check::from_seeds(
        "liquid_weight_drift_mv",
        &per_seed(runs, |r| r.weight_drift_mv),
        Expect::at_most(1e-5),
        Source::SelfConsistency,
        "largest |w_engine − w_drawn| over the liquid's recurrent synapses after the run [mV]: the resistive-memory weights are fixed, nothing trains them (the engine stores f32, so up to half an f32 ulp of a ≤ 8 mV weight, < 1e-6)",
    ));
    out.push(Check::from_seeds(
        "liquid_active_fraction",
        &per_seed(runs, |r| r.liquid_active_fraction),
        Expect::at_least(0.5),
        Source::SelfConsistency,
        "fraction of liquid neurons that fire at least once over the run: the liquid is not silent, so its state carries the input",
    ));
    for (name, dir) in [("vision_to_audio", 0), ("audio_to_vision", 1)] {
        let pick = |x: &Retrieval| {
            if dir == 0 {
                x.vision_to_audio[0]
            } else {
                x.audio_to_vision[0]
            }
        };
        out.push(Check::from_seeds(
            format!("zero_shot_top1_{name}_minus_chance"),
            &per_seed(runs, |r| pick(&r.liquid_trained) - pick(&r.chance)),
            Expect::at_least(MARGIN),
            Source::Paper,
            format!(
                "top-1 cross-modal retrieval ({}) on the {HELD_OUT} held-out classes, liquid + trained heads, minus chance (0.2: the share of the gallery in the query's class). The paper's claim is that the LSM with contrastively trained projections learns zero-shot across modalities; the margin {MARGIN} (1.5 × chance) is ours, fixed before the first run (the first quick run, with 5 seeds, missed it audio → vision: lower end 0.083; the quick mode now has 8 seeds, see the module docs); it must hold at the lower end of the 95 % interval over seeds",
                name.replace('_', " ")
            ),
        ));
    }
    out.push(Check::from_seeds(
        "trained_minus_untrained_top1",
        &per_seed(runs, |r| r.liquid_trained.top1() - r.liquid_untrained.top1()),
        Expect::at_least(0.0),
        Source::SelfConsistency,
        "top-1 retrieval (mean of both directions) on held-out classes with the trained heads minus the same heads before training, paired by seed: the contrastive training, not the liquid alone, aligns the modalities (independent random heads give no cross-modal alignment, so untrained retrieval is chance in expectation)",
    ));
    out
}

fn mean_curve(runs: &[SeedRun], f: impl Fn(&SeedRun) -> &Vec<f64>) -> Vec<(f64, f64)> {
    (0..KMAX)
        .map(|k| {
            let m = runs.iter().map(|r| f(r)[k]).sum::<f64>() / runs.len() as f64;
            ((k + 1) as f64, m)
        })
        .collect()
}

fn recall_figure(dir: &Path, runs: &[SeedRun]) -> Result<String, StudyError> {
    let mut panels = Vec::new();
    for (title, d) in [("vision → audio", 0), ("audio → vision", 1)] {
        let mut p = Panel::new("k", "recall@k (mean over seeds)").title(title);
        for c in CONDITIONS {
            let pts = mean_curve(runs, |r| {
                let x = condition(r, c);
                if d == 0 {
                    &x.vision_to_audio
                } else {
                    &x.audio_to_vision
                }
            });
            p = if c == "chance" {
                p.dashed(c, pts)
            } else {
                p.line(c, pts)
            };
        }
        panels.push(p);
    }
    let mut fig = Figure::new("Zero-shot cross-modal retrieval, held-out classes");
    for p in panels {
        fig = fig.panel(p);
    }
    report::figure(
        NAME,
        dir,
        "zero_shot_recall",
        &fig,
        "Recall@k of cross-modal retrieval among the held-out classes' samples, mean over seeds: liquid states with trained heads, raw event counts with trained heads, liquid with untrained heads, and chance.",
    )
}

fn raster_figure(dir: &Path, runs: &[SeedRun], plan: &Plan) -> Result<String, StudyError> {
    let r = &runs[0];
    let pts: Vec<(f64, f64)> = r.raster.iter().map(|&(t, i)| (t, i as f64)).collect();
    let split = 2.0 * plan.liquid.slot_ms;
    let fig = Figure::new("The liquid's response (seed 0)").panel(
        Panel::new("time in the shown slots [ms]", "liquid neuron")
            .scatter(
                "vision samples",
                pts.iter().copied().filter(|p| p.0 < split).collect(),
            )
            .scatter(
                "audio samples",
                pts.iter().copied().filter(|p| p.0 >= split).collect(),
            ),
    );
    report::figure(
        NAME,
        dir,
        "liquid_raster",
        &fig,
        &format!(
            "Spikes of the {} liquid neurons for two vision samples (0–{split} ms) and two audio samples (after), each in its own {} ms slot.",
            plan.liquid.neurons, plan.liquid.slot_ms
        ),
    )
}

fn ci(s: &SeedStats) -> String {
    format!("{} [{}, {}]", num(s.mean), num(s.ci_low), num(s.ci_high))
}

fn report_text(
    mode: Mode,
    checks: &[Check],
    runs: &[SeedRun],
    plan: &Plan,
    figs: &[String],
    (load_s, elapsed): (f64, f64),
) -> String {
    let mut s = report::header(
        "lsm-zero-shot — zero-shot cross-modal retrieval with a random resistive-memory liquid",
        mode,
        checks,
    );
    let ev = &plan.events;
    let lq = &plan.liquid;
    let hd = &plan.heads;
    let _ = writeln!(
        s,
        "## What is reproduced\n\n\
         Lin, Wang, Li et al. (arXiv 2307.00771, 2023; Nature Computational Science 2025) encode event streams with a \
         liquid state machine whose random weights are the random conductances of a resistive-memory array (never \
         trained), and train only small ANN projections on top, with a contrastive (CLIP-style) loss that aligns two \
         modalities; retrieval and classification of classes never seen in training then work zero-shot. Here: a \
         {} -neuron LIF liquid run by Ganglion's engine, one head per modality trained with symmetric InfoNCE on \
         {} Fashion-MNIST classes, retrieval scored on the other {HELD_OUT}.\n\n\
         **The data are synthesised, not recorded.** The paper used N-MNIST (a DVS camera filming MNIST digits on a \
         moving rig) and N-TIDIGITS (spoken digits through a silicon cochlea). Neither is available here. Both \
         modalities are made from Fashion-MNIST images: (a) *vision*: a DVS emulator (log-intensity change threshold \
         {}, ON/OFF channels, {} Hz background events) watching the {s0}×{s0} pooled image move along three {} ms \
         saccades, {} channels; (b) *\"audio\"*: a vOICe-like sonification of a *different* image of the same class \
         (columns scanned as time, {} ms each; rows as pitch through a Gaussian filterbank of {} cochlear channels; \
         brightness as loudness), with a random speed (±15 %), pitch shift (N(0, 1) channels) and gain (±30 %) per \
         sample, turned into Poisson spikes (up to {} Hz, {} Hz background). A pair shares only its class. Because the \
         sonification is one map for all classes, the relation between a class's look and its sound is the same for \
         trained and held-out classes: that shared structure is what zero-shot transfer can exploit here. In the \
         paper the link between a digit's image and its spoken name is arbitrary, so its zero-shot setting must get \
         its transfer from elsewhere (we could not read how); our task is therefore not the paper's task.\n",
        lq.neurons,
        10 - HELD_OUT,
        ev.contrast,
        ev.dvs_noise_hz,
        ev.saccade_ms,
        ev.dvs_channels(),
        ev.column_ms,
        ev.cochlea_channels,
        ev.cochlea_max_hz,
        ev.cochlea_noise_hz,
        s0 = ev.side,
    );
    let _ = writeln!(s, "## Checks\n\n{}", report::checks_table(checks));
    let mut t = Table::new(&[
        "condition",
        "top-1 vision→audio",
        "top-1 audio→vision",
        "recall@5 vision→audio",
        "recall@5 audio→vision",
    ]);
    for m in summary(runs) {
        t.row(vec![
            m.condition.into(),
            ci(&m.top1_vision_to_audio),
            ci(&m.top1_audio_to_vision),
            ci(&m.recall5_vision_to_audio),
            ci(&m.recall5_audio_to_vision),
        ]);
    }
    let lsm_minus_raw = SeedStats::new(&per_seed(runs, |r| {
        r.liquid_trained.top1() - r.raw_trained.top1()
    }));
    let stat = |f: &dyn Fn(&SeedRun) -> f64| SeedStats::new(&per_seed(runs, f));
    let batch = hd.per_class * (10 - HELD_OUT);
    let uninformed = format!("ln {batch} = {:.3}", (batch as f64).ln());
    let floor = format!("ln {} = {:.3}", hd.per_class, (hd.per_class as f64).ln());
    let _ = writeln!(
        s,
        "## Results\n\n\
         {} seeds; each seed draws its own liquid, its own split of the 10 classes ({} trained, {HELD_OUT} held out), \
         its own images ({} pairs per trained class, {} per held-out class, from the Fashion-MNIST training split) and \
         its own head initialisation. Retrieval: every held-out sample of one modality queries all {} held-out samples \
         of the other by cosine similarity of the embeddings; a query counts at k if one of its k nearest items has its \
         class. Chance is computed exactly for a random k-subset of the gallery. Values: mean [95 % CI over seeds].\n\n{}\n\
         Liquid + trained heads minus raw events + trained heads (top-1, mean of both directions, paired): {}. \
         Final InfoNCE loss on training batches: liquid {} nats, raw {} nats ({} is the uninformed value; with {} \
         same-class positives per row the floor is {}).\n\n{}\n{}",
        plan.seeds,
        10 - HELD_OUT,
        plan.train_per_class,
        plan.test_per_class,
        HELD_OUT * plan.test_per_class,
        t.render(),
        ci(&lsm_minus_raw),
        num(stat(&|r| r.final_loss_liquid).mean),
        num(stat(&|r| r.final_loss_raw).mean),
        uninformed,
        hd.per_class,
        floor,
        figs[0],
        figs[1],
    );
    let _ = writeln!(
        s,
        "## The liquid\n\n\
         `iaf_psc_delta` neurons (τ_m = 20 ms, threshold 20 mV, reset 10 mV, refractory 2 ms), dt = {} ms, one relay \
         neuron per input channel (a 25 mV spike-times input makes it fire once per event). Resistive-memory weights: \
         each device draws a conductance G ~ N(0.5, 0.25²)·G_max clipped to [0, G_max] and is read through a 4-bit \
         quantiser; input synapses are single devices (w = J·q(G), J = {} mV for DVS with p = {}, {} mV for the cochlea \
         with p = {}), recurrent synapses differential pairs (w = {} mV·(q(G⁺) − q(G⁻)), p = {}), all delays 1 ms. \
         Measured: {} recurrent synapses taking {} distinct weight values (the quantiser's 31 differences at most); \
         mean firing rate in the readout windows {} Hz; {} of neurons active; {} vision and {} audio events per \
         sample; engine time {} s per seed (all {} samples of both modalities in one run, {} ms slots, vision block \
         then audio block, each shuffled, so no sample follows its partner). The liquid state of a sample: spike \
         counts per neuron in {} bins of {} ms ({} features), standardised with the training pairs' statistics.\n\n\
         Heads: features → {} ReLU → {} (embedding), He-initialised, Adam (lr {}), {} steps, batches of {} pairs per \
         trained class; loss: symmetric InfoNCE, τ = {}, with the targets of each row spread over the same-class items \
         of the batch (pairs share only their class, so same-class items are positives, not negatives). The raw \
         control uses the same heads on the event counts per input channel in the same bins.\n",
        liquid::DT_MS,
        lq.j_dvs_mv,
        lq.p_dvs,
        lq.j_cochlea_mv,
        lq.p_cochlea,
        lq.j_rec_mv,
        lq.p_rec,
        runs[0].recurrent_synapses,
        runs[0].recurrent_weight_levels,
        ci(&stat(&|r| r.liquid_rate_hz)),
        ci(&stat(&|r| r.liquid_active_fraction)),
        num(stat(&|r| r.vision_events).mean),
        num(stat(&|r| r.audio_events).mean),
        num(stat(&|r| r.engine_s).mean),
        2 * (5 * plan.train_per_class + HELD_OUT * plan.test_per_class),
        lq.slot_ms,
        lq.bins,
        lq.bin_ms,
        lq.features(),
        hd.hidden,
        hd.embed,
        hd.lr,
        hd.steps,
        hd.per_class,
        hd.temperature,
    );
    let _ = writeln!(
        s,
        "## The paper's numbers next to ours\n\n\
         Only the paper's abstract was available to this build (arXiv 2307.00771 and the Nature Computational \
         Science landing page); its per-task zero-shot accuracies could not be read, so they are not quoted. The \
         abstract states: the co-design (a 40 nm, 256 Kb resistive-memory in-memory-computing macro) reaches \
         classification accuracy comparable to fully optimised software models on N-MNIST and N-TIDIGITS, with \
         152.83× and 393.07× lower training cost than a spiking-RNN-based contrastive (CLIP-like) model and \
         prototypical networks, and 23.34× and 160× better energy efficiency than cutting-edge digital hardware.\n\n\
         | quantity | paper | ours |\n|---|---|---|\n\
         | zero-shot cross-modal result | above chance, comparable to software models (numbers not available) | top-1 {} vision→audio, {} audio→vision (chance 0.2) |\n\
         | encoder | fixed random LSM in resistive memory | fixed random LIF liquid, simulated, 4-bit random conductances |\n\
         | trained part | ANN projections, contrastive loss | 2-layer heads, symmetric InfoNCE |\n\
         | data | N-MNIST ↔ N-TIDIGITS (recorded) | DVS-emulated Fashion-MNIST ↔ sonified Fashion-MNIST (synthesised) |\n\
         | training cost / energy | 152.83× / 393.07× cheaper training; 23.34× / 160× energy | not measured (no hardware model) |\n\n\
         Where we differ and why: the data are synthesised (above), so our numbers do not measure the paper's task; \
         the liquid is simulated with ideal, noise-free reads of quantised random conductances (the chip's read noise \
         and drift are not modelled); training cost and energy are hardware claims we do not model.\n\n\
         Run time of this mode: {elapsed:.1} s (2 shared cores; reading Fashion-MNIST {load_s:.1} s; per seed, \
         events {:.1} s, engine {:.1} s, heads {:.1} s). Full mode: `cargo run --release -p ganglion-cli -- study run {NAME} --full`.",
        ci(&summary(runs)[0].top1_vision_to_audio),
        ci(&summary(runs)[0].top1_audio_to_vision),
        stat(&|r| r.synth_s).mean,
        stat(&|r| r.engine_s).mean,
        stat(&|r| r.heads_s).mean,
    );
    s
}
