//! Study `hd-snn-motion`: motion direction from event movies with a layer of neurons with
//! heterogeneous synaptic delays (HD-SNN; Grimaldi & Perrinet 2023, *Biol. Cybern.*,
//! doi:10.1007/s00422-023-00975-8; PAPERS.md row 7).
//!
//! **Data.** Saccade-like event movies synthesised here (`ganglion_data::events::synth`):
//! a random-phase band-pass texture (isotropic, median 0.06 cycles/px) moves along a jagged
//! random walk — segments of Poisson length (mean 24 bins, as the paper's 24 ms), each with
//! a motion class drawn uniformly from 8 directions × the speeds — and each pixel emits
//! ON/OFF events when its log-intensity crosses a threshold (0.5) from its last event, as a
//! DVS does. 1 ms bins. The paper moved whitened natural images (600 images, 128 × 128
//! apertures) along such trajectories; those images are not available here, so textures
//! with known motion replace them.
//!
//! **Model.** `ganglion_learn::hd_kernel`: one kernel `W[class, polarity, delay, dy, dx]`
//! per motion class over a disc of radius R, softmax (multinomial logistic) regression at
//! every pixel that fired, trained with Adam; a decision per bin sums the log-probabilities
//! over that bin's outputs. Scored bins: those whose motion has not changed over the
//! longest kernel's reach (the same bins for every kernel).
//!
//! **Experiments** (several seeds, each with its own movies): accuracy against the number of
//! delays D (a kernel trained for each D); pruning — the trained D-delay kernel keeps only
//! its largest |w| (fractions from 1 down to 10⁻³) and is re-evaluated, against the
//! synaptic operations per output; delay shortening — the same kernel with its longest
//! delays cut, re-evaluated without retraining.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

mod data;

use ganglion_learn::hd_kernel::{self, EventRaster, HdConfig, HdKernel, KernelShape};
use ganglion_plot::{Figure, Panel};
use serde::Serialize;

use crate::report::{self, Table, num};
use crate::stats::{mean, par_map};
use crate::{Check, Expect, Mode, Source, Study, StudyError, StudyInfo, StudyOutput};

use data::{MovieDesign, Sample};

/// The `hd-snn-motion` study (see the module docs).
pub struct HdSnnMotion;

const NAME: &str = "hd-snn-motion";
const SEED: u64 = 7;
/// Kept fractions of the trained kernel's weights.
const PRUNE: [f64; 9] = [1.0, 0.3, 0.1, 0.04, 0.02, 0.01, 0.005, 0.002, 0.001];

/// Sizes of one run.
#[derive(Debug, Clone, Copy)]
struct Design {
    movie: MovieDesign,
    train: usize,
    test: usize,
    delays: usize,
    radius: usize,
    delay_grid: &'static [usize],
    epochs: usize,
    seeds: usize,
}

impl Design {
    fn of(mode: Mode) -> Self {
        match mode {
            Mode::Quick => Design {
                movie: MovieDesign {
                    side: 20,
                    bins: 32,
                    directions: 8,
                    speeds: &[1.0],
                    mean_segment: 24.0,
                },
                train: 96,
                test: 64,
                delays: 8,
                radius: 3,
                delay_grid: &[1, 2, 4, 8],
                epochs: 3,
                seeds: 3,
            },
            Mode::Full => Design {
                movie: MovieDesign {
                    side: 32,
                    bins: 48,
                    directions: 8,
                    speeds: &[0.5, 1.0, 2.0],
                    mean_segment: 24.0,
                },
                train: 128,
                test: 80,
                delays: 12,
                radius: 5,
                delay_grid: &[1, 2, 3, 6, 12],
                epochs: 3,
                seeds: 4,
            },
        }
    }

    fn classes(&self) -> usize {
        self.movie.directions * self.movie.speeds.len()
    }

    fn config(&self, delays: usize, seed: u64) -> HdConfig {
        HdConfig {
            shape: KernelShape {
                classes: self.classes(),
                delays,
                radius: self.radius,
                cone_speed: None,
            },
            epochs: self.epochs,
            batch: 256,
            learning_rate: 0.005,
            l2: 1e-5,
            outputs_per_bin: 32,
            seed,
        }
    }
}

/// One point of a curve, for one seed.
#[derive(Debug, Clone, Serialize)]
struct Point {
    seed: u64,
    curve: &'static str,
    /// Number of delays (trained / kept) or kept fraction of the weights.
    x: f64,
    accuracy: f64,
    ops_per_output: f64,
    active_weights: usize,
}

/// Everything one seed produced.
#[derive(Debug, Clone, Serialize)]
struct SeedRun {
    seed: u64,
    events_per_movie: f64,
    outputs_per_decision: f64,
    decisions: usize,
    weight_by_delay: Vec<f64>,
    train_loss: Vec<f64>,
    points: Vec<Point>,
}

impl SeedRun {
    fn at(&self, curve: &str, x: f64) -> &Point {
        self.points
            .iter()
            .find(|p| p.curve == curve && (p.x - x).abs() < 1e-12)
            .expect("every curve point was computed")
    }
}

fn refs(s: &[Sample]) -> Vec<(&EventRaster, &[Option<usize>])> {
    s.iter().map(|m| (&m.raster, m.labels.as_slice())).collect()
}

fn point(seed: u64, curve: &'static str, x: f64, k: &HdKernel, test: &[Sample]) -> Point {
    let e = k.evaluate(&refs(test));
    Point {
        seed,
        curve,
        x,
        accuracy: e.accuracy,
        ops_per_output: e.ops_per_output,
        active_weights: k.active_weights(),
    }
}

fn run_seed(d: &Design, seed: u64) -> Result<SeedRun, String> {
    let make = |set: u64, n: usize| -> Result<Vec<Sample>, String> {
        let labels = data::labels(&d.movie, seed, set, n);
        (0..n)
            .map(|i| {
                let m = data::movie(&d.movie, seed, set, i, &labels[i])?;
                data::sample(&m, d.movie.bins, d.delays)
            })
            .collect()
    };
    let (train, test) = (make(0, d.train)?, make(1, d.test)?);
    let mut points = Vec::new();
    let mut full = None;
    let mut train_loss = Vec::new();
    for &delays in d.delay_grid {
        let t =
            hd_kernel::fit(&d.config(delays, seed), &refs(&train)).map_err(|e| e.to_string())?;
        points.push(point(seed, "trained", delays as f64, &t.kernel, &test));
        if delays == d.delays {
            train_loss = t.epoch_loss;
            full = Some(t.kernel);
        }
    }
    let full = full.ok_or("the delay grid must contain the full number of delays")?;
    let live = full.active_weights();
    let mut variants = Vec::new();
    for f in PRUNE {
        let mut k = full.clone();
        k.prune_to((f * live as f64).round().max(1.0) as usize);
        variants.push(("pruned", f, k));
    }
    for &keep in d.delay_grid {
        let mut k = full.clone();
        k.shorten_delays(keep);
        variants.push(("shortened", keep as f64, k));
    }
    let kernels: Vec<HdKernel> = variants.iter().map(|v| v.2.clone()).collect();
    let evals = full.evaluate_variants(&kernels, &refs(&test));
    for ((curve, x, k), e) in variants.iter().zip(evals) {
        points.push(Point {
            seed,
            curve,
            x: *x,
            accuracy: e.accuracy,
            ops_per_output: e.ops_per_output,
            active_weights: k.active_weights(),
        });
    }
    let e = full.evaluate(&refs(&test));
    let outputs: usize = test
        .iter()
        .map(|m| {
            (0..d.movie.bins)
                .filter(|&t| m.labels[t].is_some())
                .map(|t| m.raster.positions(t).len())
                .sum::<usize>()
        })
        .sum();
    Ok(SeedRun {
        seed,
        events_per_movie: mean(&test.iter().map(|m| m.events as f64).collect::<Vec<_>>()),
        outputs_per_decision: outputs as f64 / e.decisions.max(1) as f64,
        decisions: e.decisions,
        weight_by_delay: full.weight_by_delay(),
        train_loss,
        points,
    })
}

impl Study for HdSnnMotion {
    fn info(&self) -> StudyInfo {
        StudyInfo {
            name: NAME,
            paper: "Grimaldi & Perrinet 2023 (Biol. Cybern.), heterogeneous synaptic delays for fast motion detection (HD-SNN) on synthesised DVS event movies",
            checks: "direction accuracy well above chance; accuracy grows with the number of delays and saturates; weights decay with delay (paper); pruning half-saturation beside the paper's; delay shortening keeps, then loses, the direction (theory); event files round-trip; events drive a spiking population (self-consistency)",
            quick_runtime: "~5 s",
            full_runtime: "~6 min",
        }
    }

    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, StudyError> {
        let started = Instant::now();
        let d = Design::of(mode);
        let fail = |message: String| StudyError::study(NAME, message);
        let runs: Vec<SeedRun> = par_map(d.seeds, |i| run_seed(&d, SEED + i as u64))
            .into_iter()
            .collect::<Result<_, _>>()
            .map_err(fail)?;
        let demo_labels = data::labels(&d.movie, SEED, 2, 1);
        let demo = data::movie(&d.movie, SEED, 2, 0, &demo_labels[0]).map_err(fail)?;
        let formats_ok = data::round_trips(&demo.stream, dir).map_err(fail)?;
        let (driven, fired, stray) =
            data::drive_network(&demo.stream, dir, d.movie.bins as f64).map_err(fail)?;
        let checks = checks(&d, &runs, formats_ok, (driven, fired, stray));
        let figs = [delays_figure(dir, &d, &runs)?, pruning_figure(dir, &runs)?];
        let text = report_text(
            mode,
            &d,
            &checks,
            &runs,
            &figs,
            started.elapsed().as_secs_f64(),
        );
        let points: Vec<Point> = runs.iter().flat_map(|r| r.points.clone()).collect();
        report::finish(
            NAME,
            dir,
            &text,
            checks,
            &[("points", &points), ("seeds", &runs)],
        )
    }
}

/// Per-seed values of `f`.
fn per_seed(runs: &[SeedRun], f: impl Fn(&SeedRun) -> f64) -> Vec<f64> {
    runs.iter().map(f).collect()
}

/// The smallest kept fraction whose accuracy is still at least half-way between chance and
/// the unpruned accuracy (linear interpolation in log fraction).
fn half_saturation(r: &SeedRun, chance: f64) -> f64 {
    let full = r.at("pruned", 1.0).accuracy;
    let half = chance + 0.5 * (full - chance);
    for w in PRUNE.windows(2) {
        let (a, b) = (r.at("pruned", w[0]).accuracy, r.at("pruned", w[1]).accuracy);
        if a >= half && b < half {
            let u = (a - half) / (a - b);
            return (w[0].ln() + u * (w[1].ln() - w[0].ln())).exp();
        }
    }
    PRUNE[PRUNE.len() - 1]
}

fn checks(
    d: &Design,
    runs: &[SeedRun],
    formats_ok: usize,
    drive: (usize, usize, usize),
) -> Vec<Check> {
    let dm = d.delays as f64;
    let chance = 1.0 / d.classes() as f64;
    let acc = |c: &'static str, x: f64| move |r: &SeedRun| r.at(c, x).accuracy;
    let full = per_seed(runs, acc("trained", dm));
    let one = per_seed(runs, acc("trained", 1.0));
    let half = per_seed(runs, acc("trained", dm / 2.0));
    let late_early: Vec<f64> = per_seed(runs, |r| {
        let w = &r.weight_by_delay;
        let third = (w.len() / 3).max(1);
        w[w.len() - third..].iter().sum::<f64>() / w[..third].iter().sum::<f64>()
    });
    let short_half_one = per_seed(runs, |r| {
        r.at("shortened", dm / 2.0).accuracy - r.at("shortened", 1.0).accuracy
    });
    let half_sat = per_seed(runs, |r| (half_saturation(r, chance) / 0.032).log10());
    let (driven, fired, stray) = drive;
    vec![
        Check::from_seeds(
            "direction_accuracy_full_kernel",
            &full,
            Expect::at_least(4.0 * chance),
            Source::Paper,
            format!(
                "test accuracy of the {}-delay kernel over {} motion classes (chance {:.3}); the paper's claim is that the trained layer detects the motion (its figures show accuracy far above chance; it gives no single number for this task) — the bound, 4× chance, is ours",
                d.delays,
                d.classes(),
                chance
            ),
        ),
        Check::from_seeds(
            "accuracy_gain_full_delays_over_one",
            &full
                .iter()
                .zip(&one)
                .map(|(a, b)| a - b)
                .collect::<Vec<_>>(),
            Expect::at_least(0.2),
            Source::Theory,
            format!(
                "accuracy(D = {}) − accuracy(D = 1): with one delay a kernel sees a single bin, whose ON/OFF pattern does not carry the sign of the motion (a texture moving either way along an axis gives the same single-bin statistics), so the direction needs delays",
                d.delays
            ),
        ),
        Check::from_seeds(
            "first_minus_last_doubling_gain",
            &one.iter()
                .zip(&half)
                .zip(&full)
                .map(|((a, b), c)| (b - a) - (c - b))
                .collect::<Vec<_>>(),
            Expect::at_least(0.0),
            Source::SelfConsistency,
            format!(
                "(accuracy(D = {h}) − accuracy(D = 1)) − (accuracy(D = {m}) − accuracy(D = {h})): the issue's expectation that accuracy grows with the number of delays and then saturates — the last doubling of the delays gains less than the delays up to {h}",
                h = d.delays / 2,
                m = d.delays
            ),
        ),
        Check::from_seeds(
            "weight_mass_late_over_early_delays",
            &late_early,
            Expect::at_most(1.0),
            Source::Paper,
            "Σ|W| over the last third of the delays over that of the first third: the paper reports that 'as the delays become larger, coefficients become lower' (its Fig. 4)",
        ),
        Check::from_seeds(
            "pruning_half_saturation_log10_over_paper",
            &half_sat,
            Expect::within(0.0, 1.0),
            Source::Paper,
            "log10(our half-saturation kept fraction / the paper's 3.2 × 10⁻²): the kept fraction of the weights at which accuracy has fallen half-way to chance (interpolated in log fraction; the paper's Fig. 6); within one decade — the kernels and data differ (the paper's earlier ICIP version put it at 3.5 × 10⁻⁵, three decades lower), so only the order of magnitude is compared",
        ),
        Check::from_seeds(
            "shortened_half_minus_one_delay",
            &short_half_one,
            Expect::at_least(0.2),
            Source::Theory,
            format!(
                "the trained {m}-delay kernel cut to delays < {h} minus cut to delay 0 (no retraining): the direction is read from the delayed inputs, so keeping them must help",
                m = d.delays,
                h = d.delays / 2
            ),
        ),
        Check::from_seeds(
            "one_delay_accuracy",
            &one,
            Expect::at_most(0.5),
            Source::Theory,
            "accuracy of a kernel trained with one delay (a single bin): reversing a motion swaps ON and OFF events, and a random-phase texture and its contrast-inverse are equally likely, so one bin can give the axis and speed of the motion but not its sign — at best a coin flip between the two opposite directions",
        ),
        Check::new(
            "event_files_round_trip",
            formats_ok as f64,
            Expect::equals(3.0),
            Source::SelfConsistency,
            "formats whose write-then-read gives back the identical movie (Tonic .npy, AEDAT 3.1, AEDAT 2.0 DVS128), of 3",
        ),
        Check::new(
            "spike_times_input_neurons_fired_fraction",
            fired as f64 / driven.max(1) as f64,
            Expect::equals(1.0),
            Source::SelfConsistency,
            format!(
                "one movie's events as a spike_times input (.npy of neuron, ms) into 2·side² = {} integrate-and-fire neurons with a suprathreshold weight: fraction of the {driven} neurons with an event that fired ({stray} fired without one)",
                2 * d.movie.side as usize * d.movie.side as usize
            ),
        ),
        Check::new(
            "spike_times_input_stray_spikes",
            stray as f64,
            Expect::equals(0.0),
            Source::SelfConsistency,
            "neurons that fired without an event: the input reaches exactly the (x, y, polarity) neurons",
        ),
    ]
}

/// Mean and 95 % interval over seeds of a curve's accuracy at each x.
fn curve(runs: &[SeedRun], name: &str, xs: &[f64]) -> Vec<(f64, crate::SeedStats)> {
    xs.iter()
        .map(|&x| {
            let v: Vec<f64> = runs.iter().map(|r| r.at(name, x).accuracy).collect();
            (x, crate::SeedStats::new(&v))
        })
        .collect()
}

fn delays_figure(dir: &Path, d: &Design, runs: &[SeedRun]) -> Result<String, StudyError> {
    let xs: Vec<f64> = d.delay_grid.iter().map(|&x| x as f64).collect();
    let mean_of =
        |c: &[(f64, crate::SeedStats)]| c.iter().map(|(x, s)| (*x, s.mean)).collect::<Vec<_>>();
    let trained = curve(runs, "trained", &xs);
    let short = curve(runs, "shortened", &xs);
    let chance = 1.0 / d.classes() as f64;
    let panel = Panel::new("number of delays D (1 ms bins)", "test accuracy")
        .y_range(0.0, 1.0)
        .line("trained with D delays", mean_of(&trained))
        .scatter(
            "trained, per seed",
            runs.iter()
                .flat_map(|r| xs.iter().map(|&x| (x, r.at("trained", x).accuracy)))
                .collect(),
        )
        .line(
            format!("{}-delay kernel, delays ≥ D cut", d.delays),
            mean_of(&short),
        )
        .dashed("chance", vec![(xs[0], chance), (xs[xs.len() - 1], chance)]);
    let wpanel = Panel::new("delay (bins)", "Σ|W| per delay / max")
        .y_range(0.0, 1.05)
        .line(
            "mean over seeds",
            (0..d.delays)
                .map(|k| {
                    let v: Vec<f64> = runs
                        .iter()
                        .map(|r| {
                            let m = r.weight_by_delay.iter().cloned().fold(0.0, f64::max);
                            r.weight_by_delay[k] / m
                        })
                        .collect();
                    (k as f64, mean(&v))
                })
                .collect(),
        );
    report::figure(
        NAME,
        dir,
        "delays",
        &Figure::new("Accuracy against the number of delays")
            .panel(panel)
            .panel(wpanel),
        "Top: test accuracy of kernels trained with D delays, and of the full kernel with its delays ≥ D removed (no retraining); mean over seeds and each seed. Bottom: where the trained kernel's weight lies in delay.",
    )
}

fn pruning_figure(dir: &Path, runs: &[SeedRun]) -> Result<String, StudyError> {
    let c = curve(runs, "pruned", &PRUNE);
    let ops: Vec<(f64, f64)> = PRUNE
        .iter()
        .map(|&f| {
            (
                f,
                mean(
                    &runs
                        .iter()
                        .map(|r| r.at("pruned", f).ops_per_output)
                        .collect::<Vec<_>>(),
                ),
            )
        })
        .collect();
    let panel = Panel::new("kept fraction of the weights", "test accuracy")
        .log_x()
        .y_range(0.0, 1.0)
        .line(
            "mean over seeds",
            c.iter().map(|(x, s)| (*x, s.mean)).collect(),
        )
        .scatter(
            "per seed",
            runs.iter()
                .flat_map(|r| PRUNE.iter().map(|&f| (f, r.at("pruned", f).accuracy)))
                .collect(),
        );
    let opanel = Panel::new(
        "kept fraction of the weights",
        "synaptic operations per output",
    )
    .log_x()
    .log_y()
    .line("mean over seeds", ops);
    report::figure(
        NAME,
        dir,
        "pruning",
        &Figure::new("Accuracy against computational load (pruning)")
            .panel(panel)
            .panel(opanel),
        "Top: test accuracy of the trained kernel keeping only its largest |w|. Bottom: non-zero weights touched per output (the computational load).",
    )
}

fn report_text(
    mode: Mode,
    d: &Design,
    checks: &[Check],
    runs: &[SeedRun],
    figs: &[String],
    elapsed: f64,
) -> String {
    let mut s = report::header(
        "hd-snn-motion — heterogeneous delays for motion detection on event movies",
        mode,
        checks,
    );
    let m = &d.movie;
    let _ = writeln!(
        s,
        "## What is reproduced\n\n\
         Grimaldi & Perrinet (2023, *Biological Cybernetics*, doi:10.1007/s00422-023-00975-8) train one layer of neurons whose synapses \
         have heterogeneous delays — a kernel W[class, polarity, delay, dy, dx] per motion class over an event \
         stream — as a multinomial logistic regression, and show that it detects motion from DVS-like events, \
         that its weights concentrate at short delays, and that most weights can be pruned with little loss. \
         We reproduce the model, its training and the pruning curve, and add the accuracy-against-delays and \
         delay-shortening curves the issue asks for.\n\n\
         **Deviation: the data.** The paper moved 600 whitened natural images (128 × 128 apertures, kernels \
         21 × 17 × 17, 8 directions × 3 speeds) along saccade-like random walks. Those images are not \
         available here: our movies are **synthesised** random-phase band-pass textures (isotropic, median \
         0.06 cycles/px, log-bandwidth 0.4) on a {side} × {side} sensor, moved along the same kind of walk \
         (Poisson segments of mean {seg} bins) through {dirs} directions × speeds {speeds:?} px/bin, turned into \
         events by a DVS threshold (0.5 log-units) with interpolated event times. The paper's numbers below \
         are therefore compared in shape, not value.\n\n\
         **Not reproduced: the pruning plateau.** The paper keeps its accuracy down to about 1/25 of the \
         weights; our kernels lose accuracy sooner (table below: the half-saturation fraction is of the \
         paper's order, but accuracy at 4 % of the weights is well below the unpruned one) — plausibly because \
         our kernels are smaller and trained for few epochs, so less of their weight is redundant; we report \
         it rather than tune it away.\n\n\
         We also omit the paper's ON/OFF-flip max (complex-cell \
         symmetry) and its cone mask (our kernels use the disc of radius {r}), and evaluate outputs at the \
         pixels that fired (the event-driven reading of its eq. 2).\n",
        side = m.side,
        seg = m.mean_segment,
        dirs = m.directions,
        speeds = m.speeds,
        r = d.radius,
    );
    let _ = writeln!(
        s,
        "## Design\n\n{} seeds (each its own movies); per seed {} training and {} test movies of {} bins (1 ms). \
         Kernels: radius {} (disc), D ∈ {:?}, {} classes; Adam (step 0.005, batch 256 outputs, L2 10⁻⁵), {} epochs, \
         at most 32 training outputs per (movie, bin); training classes dealt from a shuffled deck so each class has as many segments, test classes drawn uniformly. Scored bins: motion unchanged for the last {} bins. \
         Mean events per test movie {:.0}; mean outputs per decision {:.0}; decisions per seed {}.\n",
        d.seeds,
        d.train,
        d.test,
        m.bins,
        d.radius,
        d.delay_grid,
        d.classes(),
        d.epochs,
        d.delays,
        mean(&per_seed(runs, |r| r.events_per_movie)),
        mean(&per_seed(runs, |r| r.outputs_per_decision)),
        runs[0].decisions,
    );
    let _ = writeln!(s, "## Checks\n\n{}", report::checks_table(checks));
    let mut t = Table::new(&[
        "quantity",
        "paper (natural images)",
        "ours (synthetic textures)",
    ]);
    let chance = 1.0 / d.classes() as f64;
    let full = curve(runs, "trained", &[d.delays as f64])[0].1.clone();
    let ci = |st: &crate::SeedStats| {
        format!("{} [{}, {}]", num(st.mean), num(st.ci_low), num(st.ci_high))
    };
    t.row(vec![
        "classes (chance)".into(),
        "8 directions × 3 speeds (0.042)".into(),
        format!("{} ({})", d.classes(), num(chance)),
    ]);
    t.row(vec![
        "kernel (delays × side × side)".into(),
        "21 × 17 × 17".into(),
        format!(
            "{} × {} × {} (disc)",
            d.delays,
            2 * d.radius + 1,
            2 * d.radius + 1
        ),
    ]);
    t.row(vec![
        "accuracy, full kernel".into(),
        "high (Fig. 6; no value in the text)".into(),
        ci(&full),
    ]);
    let hs = crate::SeedStats::new(&per_seed(runs, |r| half_saturation(r, chance)));
    t.row(vec![
        "pruning: half-saturation kept fraction".into(),
        "≈ 3.2 × 10⁻² (≈ 180 operations per decision); ICIP 2022: 3.5 × 10⁻⁵".into(),
        ci(&hs),
    ]);
    let k4 = crate::SeedStats::new(&per_seed(runs, |r| {
        r.at("pruned", 0.04).accuracy / r.at("pruned", 1.0).accuracy
    }));
    t.row(vec![
        "accuracy kept at 1/25 of the weights".into(),
        "stable down to ≈ 25–31× fewer computations".into(),
        format!("ratio {}", ci(&k4)),
    ]);
    let _ = writeln!(s, "## Paper beside ours\n\n{}", t.render());
    let mut c = Table::new(&[
        "curve",
        "x",
        "accuracy mean [95 % CI]",
        "operations per output",
    ]);
    let xs: Vec<f64> = d.delay_grid.iter().map(|&x| x as f64).collect();
    for (name, grid) in [
        ("trained", &xs[..]),
        ("shortened", &xs[..]),
        ("pruned", &PRUNE[..]),
    ] {
        for (x, st) in curve(runs, name, grid) {
            let ops = mean(&per_seed(runs, |r| r.at(name, x).ops_per_output));
            c.row(vec![name.into(), num(x), ci(&st), num(ops)]);
        }
    }
    let _ = writeln!(
        s,
        "## Curves\n\n`trained`: x = number of delays D of a kernel trained with D; `shortened`: the {}-delay kernel keeping delays < x; \
         `pruned`: the {}-delay kernel keeping the fraction x of its weights.\n\n{}",
        d.delays,
        d.delays,
        c.render()
    );
    for f in figs {
        let _ = writeln!(s, "{f}");
    }
    let _ = writeln!(
        s,
        "## Reproduce\n\n`cargo run --release -- study run {NAME} --full` (2 cores: ~6 min, measured while other builds shared the machine). This run took {elapsed:.1} s."
    );
    s
}
