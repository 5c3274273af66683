//! Study `g2gnet`: ensemble-to-ensemble sparse modular connectivity (Konstantaropoulos,
//! Smirnakis & Papadopouli 2025, "Neuro-inspired ensemble-to-ensemble communication
//! primitives for sparse and efficient ANNs", arXiv 2508.14140; PAPERS.md row 2).
//!
//! **Model.** A ReLU MLP 784-256-256-10 on Fashion-MNIST, trained by `ganglion_train`'s
//! [`Trainer`] (hand-written adjoints, Adam). G2GNet's masks come from the trainer's sidecar
//! options (`modules = 8`, `p_between = 0.15`, [`ganglion_train::sparse`]): both hidden
//! weight matrices split sources and targets into 8 groups, dense inside a group, 15 %
//! between groups — 1/8 + 7/8 × 0.15 ≈ 26 % of the synapses kept; the readout stays dense.
//! Dynamic sparse training (`dst_every`, `dst_fraction = 0.1`) prunes the 10 % smallest
//! weights of each masked matrix and regrows as many by |gradient| (RigL) or by the cosine
//! similarity of pre- and postsynaptic activity over the batch (G2GNet's Hebbian rule).
//!
//! **Compared** on the same data, seeds, optimiser and budget: the dense MLP; a random
//! (Erdős–Rényi) mask of the same density on the same matrices; G2G static; G2G with
//! gradient regrowth; G2G with Hebbian regrowth.
//!
//! **Last full run** (2026-12-07, test profile on 2 shared cores, 18 min; test accuracy,
//! mean [95 % CI] over 5 seeds): dense 0.8869 [0.8817, 0.8920]; random mask 0.8831
//! [0.8801, 0.8862]; G2G static 0.8870 [0.8814, 0.8926]; G2G + gradient regrowth 0.8822
//! [0.8775, 0.8870]; G2G + Hebbian regrowth 0.8842 [0.8817, 0.8868], all at 73.7 % sparsity.
//! G2G static and Hebbian match the dense MLP within seed noise (paired differences +0.0001
//! and −0.0026); gradient regrowth falls short by 0.0046 (95 % interval [−0.0089, −0.0003]),
//! its check fails; no variant beats dense by the paper's margin.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use ganglion_data::ImageSet;
use ganglion_plot::{Figure, Panel};
use ganglion_train::Trainer;
use ganglion_train::config::TrainFile;
use serde::Serialize;

use crate::SeedStats;
use crate::report::{self, Table, num};
use crate::stats::par_map;
use crate::{Check, Expect, Mode, Source, Study, StudyError, StudyInfo, StudyOutput};

/// The `g2gnet` study (see the module docs).
pub struct G2gNet;

const NAME: &str = "g2gnet";
const SEED: u64 = 2;
const SIZES: [usize; 4] = [784, 256, 256, 10];
const MODULES: usize = 8;
const P_BETWEEN: f64 = 0.15;

fn fail(message: impl Into<String>) -> StudyError {
    StudyError::study(NAME, message)
}

/// The networks compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Variant {
    Dense,
    Random,
    G2gStatic,
    G2gGradient,
    G2gHebbian,
}

const VARIANTS: [Variant; 5] = [
    Variant::Dense,
    Variant::Random,
    Variant::G2gStatic,
    Variant::G2gGradient,
    Variant::G2gHebbian,
];

impl Variant {
    fn label(self) -> &'static str {
        match self {
            Variant::Dense => "dense MLP",
            Variant::Random => "random mask, same density",
            Variant::G2gStatic => "G2G, static",
            Variant::G2gGradient => "G2G + DST, gradient regrowth",
            Variant::G2gHebbian => "G2G + DST, Hebbian regrowth",
        }
    }
}

struct Plan {
    train: usize,
    test: usize,
    epochs: usize,
    seeds: u64,
    dst_every: usize,
}

fn plan(mode: Mode) -> Plan {
    match mode {
        Mode::Quick => Plan {
            train: 6000,
            test: 2000,
            epochs: 2,
            seeds: 3,
            dst_every: 10,
        },
        Mode::Full => Plan {
            train: 60_000,
            test: 10_000,
            epochs: 10,
            seeds: 5,
            dst_every: 100,
        },
    }
}

/// One trained network.
#[derive(Debug, Clone, Serialize)]
struct Run {
    variant: Variant,
    seed: u64,
    test_accuracy: f64,
    /// Test accuracy after each epoch.
    curve: Vec<f64>,
    /// Fraction of all weights (the three matrices, readout included) that are absent.
    sparsity: f64,
    /// Kept fraction of the hidden matrices' entries inside and between groups, at the end.
    density_inside: f64,
    density_between: f64,
    /// Present synapses at the start and at the end (dynamic sparse training moves them).
    synapses_start: usize,
    synapses_end: usize,
}

fn sidecar(variant: Variant, plan: &Plan, seed: u64) -> TrainFile {
    let g2g = TrainFile {
        modules: Some(MODULES),
        p_between: Some(P_BETWEEN),
        ..Default::default()
    };
    let dst = |regrow: &str| TrainFile {
        dst_every: Some(plan.dst_every),
        dst_fraction: Some(0.1),
        dst_regrow: Some(regrow.into()),
        ..g2g.clone()
    };
    let f = match variant {
        Variant::Dense | Variant::Random => TrainFile::default(),
        Variant::G2gStatic => g2g,
        Variant::G2gGradient => dst("gradient"),
        Variant::G2gHebbian => dst("hebbian"),
    };
    TrainFile {
        epochs: Some(plan.epochs),
        batch_size: Some(128),
        lr: Some(0.02),
        seed: Some(seed),
        ..f
    }
}

/// Density of a G2G hidden matrix: a 1/modules share of it dense, the rest at `P_BETWEEN`.
fn g2g_density() -> f64 {
    1.0 / MODULES as f64 + (1.0 - 1.0 / MODULES as f64) * P_BETWEEN
}

/// Present synapses of the masked groups (all entries where there is no mask).
fn present(t: &Trainer) -> usize {
    weight_groups(t)
        .map(|g| match &t.constraints[g].mask {
            Some(m) => m.iter().filter(|&&x| x == 1).count(),
            None => t.origins[g].shape.0 * t.origins[g].shape.1,
        })
        .sum()
}

fn weight_groups(t: &Trainer) -> impl Iterator<Item = usize> + '_ {
    (0..SIZES.len() - 1)
        .map(|l| 2 * l)
        .filter(|&g| g < t.origins.len())
}

/// Kept fraction inside and between the groups of the two hidden matrices.
fn block_densities(t: &Trainer) -> (f64, f64) {
    let (mut kept, mut total) = ([0usize; 2], [0usize; 2]);
    for g in [0, 2] {
        let (rows, cols) = t.origins[g].shape;
        for r in 0..rows {
            for c in 0..cols {
                let k = usize::from(r * MODULES / rows != c * MODULES / cols);
                total[k] += 1;
                kept[k] += t.constraints[g]
                    .mask
                    .as_ref()
                    .map_or(1, |m| usize::from(m[r * cols + c]));
            }
        }
    }
    (
        kept[0] as f64 / total[0] as f64,
        kept[1] as f64 / total[1] as f64,
    )
}

fn train_one(
    variant: Variant,
    seed: u64,
    plan: &Plan,
    data: &(ImageSet, ImageSet),
) -> Result<Run, StudyError> {
    let cfg = sidecar(variant, plan, seed).resolve().map_err(fail)?;
    let mut t = Trainer::new_mlp(&SIZES, cfg);
    if variant == Variant::Random {
        // The same hidden matrices as G2G, each with a uniform random mask of G2G's density.
        for g in [0, 2] {
            let (rows, cols) = t.origins[g].shape;
            let key = ganglion_data::encode::stream_key(seed, 4000 + g as u64);
            let d = g2g_density() as f32;
            t.constraints[g].mask = Some(
                (0..rows * cols)
                    .map(|k| u8::from(ganglion_data::encode::unit(key, k as u64, 0) < d))
                    .collect(),
            );
        }
        // Scaled by √(1 / density), as the trainer's own masks are (the sparse fan-in).
        let gain = (1.0 / g2g_density()).sqrt() as f32;
        for g in [0, 2] {
            t.model.params_mut()[g].iter_mut().for_each(|w| *w *= gain);
        }
        t.apply_constraints();
    } else {
        t.init_masks();
    }
    let synapses_start = present(&t);
    let mut curve = Vec::with_capacity(plan.epochs);
    for _ in 0..plan.epochs {
        curve.push(t.run_epoch(&data.0, &data.1, false).test_accuracy);
    }
    let total: usize = weight_groups(&t)
        .map(|g| t.origins[g].shape.0 * t.origins[g].shape.1)
        .sum();
    let synapses_end = present(&t);
    let (density_inside, density_between) = block_densities(&t);
    Ok(Run {
        variant,
        seed,
        test_accuracy: *curve.last().unwrap_or(&0.0),
        curve,
        sparsity: 1.0 - synapses_end as f64 / total as f64,
        density_inside,
        density_between,
        synapses_start,
        synapses_end,
    })
}

fn load(plan: &Plan) -> Result<(ImageSet, ImageSet), StudyError> {
    let (train, test) = crate::data::fashion_mnist().map_err(fail)?;
    Ok((train.truncate(plan.train), test.truncate(plan.test)))
}

fn accuracies(runs: &[Run], v: Variant) -> Vec<f64> {
    runs.iter()
        .filter(|r| r.variant == v)
        .map(|r| r.test_accuracy)
        .collect()
}

/// Per-seed accuracy of `v` minus the dense network's (same seed).
fn minus_dense(runs: &[Run], v: Variant) -> Vec<f64> {
    accuracies(runs, v)
        .iter()
        .zip(accuracies(runs, Variant::Dense))
        .map(|(a, d)| a - d)
        .collect()
}

impl Study for G2gNet {
    fn info(&self) -> StudyInfo {
        StudyInfo {
            name: NAME,
            paper: "Konstantaropoulos et al. 2025, G2GNet (PAPERS.md row 2): ensemble-to-ensemble sparse modular masks, dynamic sparse training with gradient and Hebbian regrowth, against a dense MLP on Fashion-MNIST",
            checks: "about 75 % sparsity with dense groups and 15 % between them (paper); dynamic sparse training keeps the synapse count (self-consistency); G2G with regrowth matches or beats the dense MLP over seeds (paper)",
            quick_runtime: "~10 s (6000 training images, 2 epochs, 3 seeds)",
            full_runtime: "~15 min on 2 cores (60 000 images, 10 epochs, 5 seeds × 5 networks)",
        }
    }

    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, StudyError> {
        let started = Instant::now();
        let plan = plan(mode);
        let data = load(&plan)?;
        let jobs: Vec<(Variant, u64)> = (0..plan.seeds)
            .flat_map(|s| VARIANTS.map(|v| (v, SEED + s)))
            .collect();
        let runs: Vec<Run> = par_map(jobs.len(), |i| {
            train_one(jobs[i].0, jobs[i].1, &plan, &data)
        })
        .into_iter()
        .collect::<Result<_, _>>()?;
        let checks = checks(&runs, &plan);
        let fig = figure(dir, &runs, &plan)?;
        let summary: Vec<Summary> = VARIANTS
            .iter()
            .map(|&v| Summary {
                variant: v,
                accuracy: SeedStats::new(&accuracies(&runs, v)),
                sparsity: mean_of(&runs, v, |r| r.sparsity),
            })
            .collect();
        let text = report_text(
            mode,
            &checks,
            &summary,
            &plan,
            &fig,
            started.elapsed().as_secs_f64(),
        );
        report::finish(
            NAME,
            dir,
            &text,
            checks,
            &[("runs", &runs), ("summary", &summary)],
        )
    }
}

#[derive(Debug, Clone, Serialize)]
struct Summary {
    variant: Variant,
    accuracy: SeedStats,
    sparsity: f64,
}

fn mean_of(runs: &[Run], v: Variant, f: impl Fn(&Run) -> f64) -> f64 {
    let xs: Vec<f64> = runs.iter().filter(|r| r.variant == v).map(f).collect();
    crate::stats::mean(&xs)
}

fn checks(runs: &[Run], plan: &Plan) -> Vec<Check> {
    let g2g: Vec<&Run> = runs
        .iter()
        .filter(|r| r.variant == Variant::G2gStatic)
        .collect();
    let mut out = vec![
        Check::from_seeds(
            "g2g_sparsity",
            &g2g.iter().map(|r| r.sparsity).collect::<Vec<_>>(),
            Expect::within(0.75, 0.03),
            Source::Paper,
            "fraction of absent weights over all three matrices (readout dense) of the static G2G network; the paper's G2GNet reaches 'up to 75 % sparsity'",
        ),
        Check::new(
            "g2g_density_inside_groups",
            g2g.iter().map(|r| r.density_inside).fold(1.0, f64::min),
            Expect::equals(1.0),
            Source::Paper,
            "kept fraction of the hidden matrices' entries inside an ensemble (dense groups), lowest over seeds",
        ),
        Check::from_seeds(
            "g2g_density_between_groups",
            &g2g.iter().map(|r| r.density_between).collect::<Vec<_>>(),
            Expect::within(P_BETWEEN, 0.01),
            Source::Paper,
            "kept fraction between different ensembles (PAPERS.md: p ≈ 0.15)",
        ),
    ];
    let moved = runs
        .iter()
        .filter(|r| matches!(r.variant, Variant::G2gGradient | Variant::G2gHebbian))
        .map(|r| r.synapses_end.abs_diff(r.synapses_start))
        .max()
        .unwrap_or(0);
    out.push(Check::new(
        "dst_synapse_count_change_max",
        moved as f64,
        Expect::equals(0.0),
        Source::SelfConsistency,
        "largest change of the number of present synapses over training with dynamic sparse training (each prune is matched by a regrowth)",
    ));
    for (v, name) in [
        (Variant::G2gStatic, "g2g_static_minus_dense_accuracy"),
        (Variant::G2gHebbian, "g2g_hebbian_minus_dense_accuracy"),
        (Variant::G2gGradient, "g2g_gradient_minus_dense_accuracy"),
    ] {
        let diff = minus_dense(runs, v);
        let stats = SeedStats::new(&diff);
        out.push(if plan.seeds >= 5 {
            Check::new(
                name,
                stats.ci_high,
                Expect::at_least(0.0),
                Source::Paper,
                format!(
                    "upper end of the 95 % interval of ({}) − (dense) test accuracy, paired by seed (mean {}); ≥ 0: not worse than the dense MLP beyond seed noise, the paper's 'at or above the dense baseline' at ~75 % sparsity",
                    v.label(),
                    num(stats.mean)
                ),
            )
        } else {
            Check::new(
                name,
                stats.mean,
                Expect::at_least(-0.1),
                Source::Paper,
                format!(
                    "mean over {} seeds of ({}) − (dense) test accuracy; quick mode trains on {} images for {} epochs, far from convergence, where sparse networks still lag, so it asks only that the sparse network learns to within 10 points of dense; the paper's 'at or above dense' is the full mode's check (95 % interval over 5 seeds, all 60 000 images)",
                    plan.seeds,
                    v.label(),
                    plan.train,
                    plan.epochs
                ),
            )
        });
    }
    out
}

fn figure(dir: &Path, runs: &[Run], plan: &Plan) -> Result<String, StudyError> {
    let mut panel = Panel::new("epoch", "test accuracy (mean over seeds)");
    for v in VARIANTS {
        let pts: Vec<(f64, f64)> = (0..plan.epochs)
            .map(|e| {
                let xs: Vec<f64> = runs
                    .iter()
                    .filter(|r| r.variant == v)
                    .map(|r| r.curve[e])
                    .collect();
                ((e + 1) as f64, crate::stats::mean(&xs))
            })
            .collect();
        panel = panel.line(v.label(), pts);
    }
    report::figure(
        NAME,
        dir,
        "accuracy_by_epoch",
        &Figure::new("Fashion-MNIST: dense vs sparse modular (G2G) MLPs").panel(panel),
        "Test accuracy after each epoch, mean over seeds; all sparse networks keep about 26 % of the hidden synapses.",
    )
}

fn report_text(
    mode: Mode,
    checks: &[Check],
    summary: &[Summary],
    plan: &Plan,
    fig: &str,
    elapsed: f64,
) -> String {
    let mut s = report::header(
        "g2gnet — ensemble-to-ensemble sparse modular networks",
        mode,
        checks,
    );
    let _ = writeln!(
        s,
        "## What is reproduced\n\nKonstantaropoulos, Smirnakis & Papadopouli (2025) take the ensemble-to-ensemble \
         functional connectivity of mouse visual cortex as a structural prior: feed-forward layers split into groups, \
         dense inside a group and sparse between groups, about 75 % sparse overall, plus dynamic sparse training that \
         prunes and regrows links, with a Hebbian regrowth rule (regrow the absent links whose pre- and postsynaptic \
         activities are most similar). They report that G2GNet reaches up to 75 % sparsity while improving accuracy by \
         up to 4.3 % over dense baselines on Fashion-MNIST, CIFAR-10 and CIFAR-100 (abstract). Here the masks and both \
         regrowth rules are options of Ganglion's trainer (`modules`, `p_between`, `dst_every`, `dst_fraction`, \
         `dst_regrow` in a `SPEC.train.toml`), and the Fashion-MNIST claim is tested against a dense MLP and a random \
         mask of equal density.\n"
    );
    let _ = writeln!(s, "## Checks\n\n{}", report::checks_table(checks));
    let mut t = Table::new(&[
        "network",
        "sparsity (all weights)",
        "test accuracy (mean [95 % CI], n)",
    ]);
    for m in summary {
        let a = &m.accuracy;
        t.row(vec![
            m.variant.label().to_string(),
            num(m.sparsity),
            format!(
                "{} [{}, {}], {}",
                num(a.mean),
                num(a.ci_low),
                num(a.ci_high),
                a.n
            ),
        ]);
    }
    let _ = writeln!(
        s,
        "## Results\n\nMLP {:?}, ReLU, Adam (lr 0.02 in units of each matrix's initial weight scale, as `examples/fmnist_mlp.train.toml`; batch 128), {} epochs on the first {} training images, tested on \
         the first {} test images; {} seeds (initial weights, masks, batch order), every network with the same seeds. \
         G2G: {} groups per side of both hidden matrices, between-group density {}; dynamic sparse training every {} \
         batches, 10 % of each masked matrix moved.\n\n{}\n{}",
        SIZES,
        plan.epochs,
        plan.train,
        plan.test,
        plan.seeds,
        MODULES,
        P_BETWEEN,
        plan.dst_every,
        t.render(),
        fig
    );
    let _ = writeln!(
        s,
        "## Deviations from the paper\n\n\
         - **Paper's numbers.** Only the abstract's summary (up to 75 % sparsity, up to +4.3 % accuracy over dense \
         across three benchmarks) was available offline, not its per-dataset table, so the check is the qualitative \
         claim (at or above dense at ~75 % sparsity) rather than a number.\n\
         - **Architecture.** A two-hidden-layer MLP on pixels; the paper also applies G2G to the classifier layers of \
         convolutional networks for CIFAR. The input matrix's 'ensembles' are contiguous pixel blocks (rows of the \
         image), a choice of ours.\n\
         - **Schedule.** Fixed learning rate, no augmentation or tuning per network; DST every {} batches with a \
         constant 10 % fraction (no cosine decay of the fraction as in RigL).\n\n\
         Run time of this mode: {elapsed:.1} s (2 shared cores). Full mode: `cargo run --release -- study run g2gnet --full`.",
        plan.dst_every
    );
    s
}
