//! Study `celegans-touch`: the touch-withdrawal circuit of Chalfie et al. (1985), "The
//! neural circuit for touch sensitivity in Caenorhabditis elegans", J Neurosci 5:956–964,
//! run on the reconstructed connectomes.
//!
//! **The paper.** Laser ablations and White et al.'s (1986) wiring identify the circuit: the
//! anterior touch cells (ALML/R, AVM) drive backward movement through the interneurons AVD
//! and AVA, the posterior ones (PLML/R, PVM) forward movement through PVC and AVB. The touch
//! cells are joined by gap junctions to the interneurons of *their* direction (ALM/AVM–AVD,
//! PLM–PVC) and make chemical synapses onto those of the *other* direction, which the paper
//! proposes are inhibitory.
//!
//! **The model.** Every somatic neuron of a connectome is a graded, linear rate unit
//! (`rate_linear`, τ = 10 ms; C. elegans neurons mostly signal with graded potentials);
//! gap junctions couple activations (I = g·(x_j − x_i)), chemical synapses pass w·x_pre.
//! Weights are the dataset's contact counts divided by its mean non-zero count (the datasets
//! count in different units), times g = 0.01 (electrical) and c = 0.005 (chemical), small
//! enough to keep the network linear and stable. Chemical synapses are excitatory except from
//! the 26 GABAergic neurons and, following the paper, the six touch cells. A constant input of
//! 1 into the three anterior or the three posterior touch cells; activations after 400 ms
//! (40 τ: the steady state). Three variants: the full model; gap junctions only; and the
//! ablation with excitatory touch-cell synapses.
//!
//! **Checks.** (theory) The engine's steady state equals the solution of the linear system
//! (I + L − Wᵀ)x = b built directly from the connectome matrices. (paper) With gap junctions
//! only, anterior touch depolarises AVD more than PVC and posterior touch the reverse, on
//! every dataset. (paper) In the full model anterior touch favours AVA over AVB and posterior
//! touch AVB over AVA. (self-consistency) With excitatory touch
//! synapses the anterior preference reverses, so the inhibitory synapses carry it. All on
//! the White et al. (1986) connectome, its revision by Varshney et al. (2011) and Cook et
//! al.'s (2019) re-annotation. Full mode repeats the command-level checks over a 3 × 3 grid
//! of (g, c), by the linear solve (which the theory check ties to the engine): held at every
//! point on the reconstructions the paper's circuit came from (White, Varshney), reported for
//! Cook 2019 (see the report).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use ganglion_analysis::linalg::solve_general;
use ganglion_data::connectome::{Connectome, GABAERGIC};
use ganglion_model::{Input, validate_circuit};
use ganglion_plot::{Figure, Legend, Panel};
use ganglion_sim::Network;
use serde::Serialize;

use crate::report::{self, Table, num};
use crate::worm::{self, WormOptions};
use crate::{Check, Expect, Mode, Source, Study, StudyError, StudyInfo, StudyOutput};

/// The `celegans-touch` study (see the module docs).
pub struct CelegansTouch;

const NAME: &str = "celegans-touch";

/// `(file in data/cect, label, held to the command-level claim over the whole grid)`.
const DATASETS: [(&str, &str, bool); 3] = [
    ("White_whole.json", "White 1986", true),
    ("VarshneyDataReader.json", "Varshney 2011", true),
    ("Cook2019HermReader.json", "Cook 2019", false),
];
const ANTERIOR: [&str; 3] = ["ALML", "ALMR", "AVM"];
const POSTERIOR: [&str; 3] = ["PLML", "PLMR", "PVM"];
/// The two stimuli, in the order of every `[_; 2]` result.
const STIMULI: [(&str, [&str; 3]); 2] = [("anterior", ANTERIOR), ("posterior", POSTERIOR)];
/// Electrical and chemical weight per mean contact.
const G: f64 = 0.01;
const C: f64 = 0.005;
const DT_MS: f64 = 0.5;
const T_MS: f64 = 400.0;
/// The full-mode grid.
const GRID_G: [f64; 3] = [0.005, 0.01, 0.02];
const GRID_C: [f64; 3] = [0.003, 0.005, 0.01];

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Variant {
    /// Gap junctions and signed chemical synapses (touch cells inhibitory).
    Full,
    /// Gap junctions only.
    Electrical,
    /// Touch-cell chemical synapses excitatory.
    ExcitatoryTouch,
}

const VARIANTS: [Variant; 3] = [Variant::Full, Variant::Electrical, Variant::ExcitatoryTouch];

/// The mean activation of each group of neurons in one run.
#[derive(Debug, Clone, Serialize)]
struct Row {
    dataset: &'static str,
    variant: Variant,
    stimulus: &'static str,
    ava: f64,
    avb: f64,
    avd: f64,
    pvc: f64,
    a_type_motor: f64,
    b_type_motor: f64,
    /// max |x_engine − x_linear| / max |x_linear|.
    engine_vs_linear: f64,
}

/// One connectome, weights per mean contact, restricted to the somatic neurons.
struct Worm {
    label: &'static str,
    checked: bool,
    conn: Connectome,
    mean_cs: f64,
    mean_gj: f64,
}

impl Worm {
    fn load(
        dir: &Path,
        (file, label, checked): (&str, &'static str, bool),
    ) -> Result<Worm, StudyError> {
        let conn = Connectome::load(&dir.join(file))
            .map_err(|e| study_err(format!("{e}")))?
            .neurons_only(false);
        let mean = |kind: &str| {
            let nz: Vec<f64> = conn
                .layer(kind)
                .map_or(&[][..], |l| &l.weights[..])
                .iter()
                .copied()
                .filter(|x| *x > 0.0)
                .collect();
            nz.iter().sum::<f64>() / nz.len().max(1) as f64
        };
        let (mean_cs, mean_gj) = (mean("chemical"), mean("electrical"));
        Ok(Worm {
            label,
            checked,
            conn,
            mean_cs,
            mean_gj,
        })
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.conn.index(name)
    }

    /// Mean over the neurons whose names `pick` accepts.
    fn mean(&self, x: &[f64], pick: impl Fn(&str) -> bool) -> f64 {
        let v: Vec<f64> = (0..x.len())
            .filter(|&i| pick(&self.conn.nodes[i]))
            .map(|i| x[i])
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    }

    fn inhibitory(variant: Variant) -> Vec<String> {
        let mut names = WormOptions::gabaergic();
        if variant != Variant::ExcitatoryTouch {
            names.extend(ANTERIOR.iter().chain(&POSTERIOR).map(|s| s.to_string()));
        }
        names
    }

    /// The linear steady states (I + L − Wᵀ)x = b under each stimulus of `STIMULI`, from the
    /// connectome matrices (one factorisation for both).
    fn linear(&self, variant: Variant, g: f64, c: f64) -> [Vec<f64>; 2] {
        let n = self.conn.nodes.len();
        let names = Worm::inhibitory(variant);
        let inhibitory: Vec<bool> = self.conn.nodes.iter().map(|n| names.contains(n)).collect();
        let mut a = vec![0.0; n * n];
        (0..n).for_each(|i| a[i * n + i] = 1.0);
        if let Some(gj) = self.conn.layer("electrical") {
            for i in 0..n {
                for j in 0..n {
                    // Each pair once, with the mean of both directions (as worm::circuit does).
                    let w =
                        (gj.weights[i * n + j] + gj.weights[j * n + i]) / 2.0 * g / self.mean_gj;
                    if i != j && w != 0.0 {
                        a[i * n + i] += w;
                        a[i * n + j] -= w;
                    }
                }
            }
        }
        if variant != Variant::Electrical
            && let Some(cs) = self.conn.layer("chemical")
        {
            for pre in 0..n {
                let sign = if inhibitory[pre] { -1.0 } else { 1.0 };
                for post in 0..n {
                    a[post * n + pre] -= sign * cs.weights[pre * n + post] * c / self.mean_cs;
                }
            }
        }
        let mut b = vec![0.0; n * 2];
        for (k, (_, stim)) in STIMULI.iter().enumerate() {
            stim.iter()
                .filter_map(|s| self.index(s))
                .for_each(|i| b[i * 2 + k] = 1.0);
        }
        let x = solve_general(&a, n, &b, 2);
        [0, 1].map(|k| (0..n).map(|i| x[i * 2 + k]).collect())
    }

    /// The engine's activations after `T_MS` under each stimulus of `STIMULI`: one circuit
    /// (and one set of edge-list files) per variant.
    fn simulate(&self, variant: Variant, dir: &Path) -> Result<[Vec<f64>; 2], StudyError> {
        let o = WormOptions {
            model: "rate_linear".into(),
            chemical: (variant != Variant::Electrical).then(|| format!("{}", C / self.mean_cs)),
            gap: format!("{}", G / self.mean_gj),
            pharynx: false,
            inhibitory: Worm::inhibitory(variant),
            dt: format!("{DT_MS} ms"),
            duration: format!("{T_MS} ms"),
        };
        let tag = format!("{}_{:?}", self.label.replace(' ', "_"), variant).to_lowercase();
        let file = |f: &str| dir.join(format!("{tag}_{f}"));
        let w = worm::circuit(&self.conn, &o, |f| file(f).to_string_lossy().into_owned())
            .map_err(study_err)?;
        for (f, text) in &w.files {
            std::fs::write(file(f), text).map_err(StudyError::io(file(f)))?;
        }
        let run = |stim: &[&str]| -> Result<Vec<f64>, StudyError> {
            let mut input = Input::current(worm::POPULATION, 1.0);
            let neurons = stim.iter().filter_map(|s| self.index(s)).map(|i| i as u32);
            input.neurons = Some(neurons.collect());
            let c = w.circuit.clone().input(input);
            let r = validate_circuit(&c).map_err(|e| study_err(format!("{e}")))?;
            let res = Network::build(&r)
                .and_then(|mut net| net.run(None))
                .map_err(|e| study_err(format!("{e}")))?;
            let st = &res.states[0];
            let n = st.neurons.len();
            Ok(st.values[st.values.len() - n..]
                .iter()
                .map(|&v| v as f64)
                .collect())
        };
        Ok([run(&STIMULI[0].1)?, run(&STIMULI[1].1)?])
    }

    /// Mean activation of the left/right pair `p` (`"AVA"` → AVAL, AVAR).
    fn pair(&self, x: &[f64], p: &str) -> f64 {
        let (l, r) = (format!("{p}L"), format!("{p}R"));
        self.mean(x, |n| n == l || n == r)
    }
}

fn study_err(message: impl Into<String>) -> StudyError {
    StudyError::study(NAME, message)
}

/// (a − b)/(|a| + |b|): +1 all for a, −1 all for b.
fn selectivity(a: f64, b: f64) -> f64 {
    (a - b) / (a.abs() + b.abs()).max(f64::MIN_POSITIVE)
}

/// A ventral-cord class name followed by its number (VA1…VA12, DA1…DA9).
fn numbered(n: &str, classes: [&str; 2]) -> bool {
    classes.iter().any(|p| {
        n.strip_prefix(p)
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
    })
}

/// A-type (backward) motor neurons.
fn is_a_type(n: &str) -> bool {
    numbered(n, ["VA", "DA"])
}

/// B-type (forward) motor neurons.
fn is_b_type(n: &str) -> bool {
    numbered(n, ["VB", "DB"])
}

fn row(w: &Worm, variant: Variant, stimulus: &'static str, x: &[f64], lin: &[f64]) -> Row {
    let pair = |p: &str| w.pair(x, p);
    let scale = lin.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let err = x
        .iter()
        .zip(lin)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    Row {
        dataset: w.label,
        variant,
        stimulus,
        ava: pair("AVA"),
        avb: pair("AVB"),
        avd: pair("AVD"),
        pvc: pair("PVC"),
        a_type_motor: w.mean(x, is_a_type),
        b_type_motor: w.mean(x, is_b_type),
        engine_vs_linear: err / scale,
    }
}

impl Study for CelegansTouch {
    fn info(&self) -> StudyInfo {
        StudyInfo {
            name: NAME,
            paper: "Chalfie et al. (1985) J Neurosci 5:956, the touch circuit of C. elegans, on the White 1986, Varshney 2011 and Cook 2019 connectomes",
            checks: "engine steady state = linear solve (theory); touch cells' gap junctions favour AVD (anterior) / PVC (posterior) (paper); command interneurons AVA (anterior) / AVB (posterior) with inhibitory touch synapses (paper), reversed when they are excitatory (self-consistency); full: a (g, c) grid",
            quick_runtime: "~0.3 s",
            full_runtime: "~0.4 s",
        }
    }

    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, StudyError> {
        let started = Instant::now();
        let files = DATASETS.map(|d| d.0);
        let data = worm::cect_dir(&files).map_err(study_err)?;
        let circuits = dir.join("circuits");
        std::fs::create_dir_all(&circuits).map_err(StudyError::io(&circuits))?;
        let worms = DATASETS
            .iter()
            .map(|&d| Worm::load(&data, d))
            .collect::<Result<Vec<_>, _>>()?;
        let mut rows = vec![];
        for w in &worms {
            for variant in VARIANTS {
                let x = w.simulate(variant, &circuits)?;
                let lin = w.linear(variant, G, C);
                for (k, (stimulus, _)) in STIMULI.iter().enumerate() {
                    rows.push(row(w, variant, stimulus, &x[k], &lin[k]));
                }
            }
        }
        let grid = match mode {
            Mode::Quick => vec![],
            Mode::Full => grid(&worms),
        };
        let checks = checks(&worms, &rows, &grid);
        let fig = figure(dir, &rows)?;
        let text = report_text(
            mode,
            &checks,
            &rows,
            &grid,
            &worms,
            &fig,
            started.elapsed().as_secs_f64(),
        );
        report::finish(
            NAME,
            dir,
            &text,
            checks,
            &[("runs", &rows), ("grid", &grid)],
        )
    }
}

/// One grid point: the command-level selectivity of the full model by the linear solve.
#[derive(Debug, Clone, Serialize)]
struct GridPoint {
    dataset: &'static str,
    g: f64,
    c: f64,
    anterior_ava_vs_avb: f64,
    posterior_ava_vs_avb: f64,
    right: bool,
}

fn grid(worms: &[Worm]) -> Vec<GridPoint> {
    let mut out = vec![];
    for w in worms {
        for g in GRID_G {
            for c in GRID_C {
                let x = w.linear(Variant::Full, g, c);
                let si = |x: &[f64]| selectivity(w.pair(x, "AVA"), w.pair(x, "AVB"));
                let (a, p) = (si(&x[0]), si(&x[1]));
                out.push(GridPoint {
                    dataset: w.label,
                    g,
                    c,
                    anterior_ava_vs_avb: a,
                    posterior_ava_vs_avb: p,
                    right: a > 0.0 && p < 0.0,
                });
            }
        }
    }
    out
}

fn find<'a>(rows: &'a [Row], w: &Worm, variant: Variant, stimulus: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.dataset == w.label && r.variant == variant && r.stimulus == stimulus)
        .expect("every (dataset, variant, stimulus) ran")
}

fn checks(worms: &[Worm], rows: &[Row], grid: &[GridPoint]) -> Vec<Check> {
    let mut out = vec![];
    for w in worms {
        let key = w.label.to_lowercase().replace(' ', "_");
        let worst = rows
            .iter()
            .filter(|r| r.dataset == w.label)
            .map(|r| r.engine_vs_linear)
            .fold(0.0, f64::max);
        out.push(Check::new(
            format!("{key}_engine_steady_state_vs_linear_solve"),
            worst,
            Expect::at_most(1e-3),
            Source::Theory,
            "largest |x_engine − x_linear| / max|x_linear| over the 6 runs: the engine (edge lists, gap junctions, delays, 40 τ of relaxation) against (I + L − Wᵀ)x = b solved directly from the connectome",
        ));
        let el_a = find(rows, w, Variant::Electrical, "anterior");
        let el_p = find(rows, w, Variant::Electrical, "posterior");
        out.push(Check::new(
            format!("{key}_gap_junctions_anterior_avd_over_pvc"),
            selectivity(el_a.avd, el_a.pvc),
            Expect::at_least(0.0),
            Source::Paper,
            "selectivity (AVD − PVC)/(|AVD| + |PVC|), gap junctions only, anterior touch: ALM/AVM are electrically coupled to AVD (Chalfie et al. 1985)",
        ));
        out.push(Check::new(
            format!("{key}_gap_junctions_posterior_pvc_over_avd"),
            selectivity(el_p.pvc, el_p.avd),
            Expect::at_least(0.0),
            Source::Paper,
            "selectivity (PVC − AVD)/(|PVC| + |AVD|), gap junctions only, posterior touch: PLM is electrically coupled to PVC (Chalfie et al. 1985)",
        ));
        let fa = find(rows, w, Variant::Full, "anterior");
        let fp = find(rows, w, Variant::Full, "posterior");
        out.push(Check::new(
            format!("{key}_anterior_touch_favours_ava"),
            selectivity(fa.ava, fa.avb),
            Expect::at_least(0.0),
            Source::Paper,
            "(AVA − AVB)/(|AVA| + |AVB|), full model, anterior touch: the backward command interneuron (Chalfie et al. 1985, ablations)",
        ));
        out.push(Check::new(
            format!("{key}_posterior_touch_favours_avb"),
            selectivity(fp.avb, fp.ava),
            Expect::at_least(0.0),
            Source::Paper,
            "(AVB − AVA)/(|AVB| + |AVA|), full model, posterior touch: the forward command interneuron (Chalfie et al. 1985, ablations)",
        ));
        let xa = find(rows, w, Variant::ExcitatoryTouch, "anterior");
        out.push(Check::new(
            format!("{key}_excitatory_touch_synapses_reverse_anterior"),
            selectivity(xa.ava, xa.avb),
            Expect::at_most(0.0),
            Source::SelfConsistency,
            "(AVA − AVB)/(|AVA| + |AVB|), anterior touch, touch-cell chemical synapses made excitatory: the preference for AVA reverses, so it is carried by the synapses the paper proposes are inhibitory",
        ));
        let points: Vec<&GridPoint> = grid.iter().filter(|p| p.dataset == w.label).collect();
        if w.checked && !points.is_empty() {
            let right = points.iter().filter(|p| p.right).count() as f64 / points.len() as f64;
            out.push(Check::new(
                format!("{key}_command_selectivity_over_the_grid"),
                right,
                Expect::at_least(1.0),
                Source::Paper,
                "fraction of the 3 × 3 (g, c) grid where anterior touch favours AVA and posterior touch AVB (linear solve, tied to the engine by the theory check)",
            ));
        }
    }
    out
}

fn figure(dir: &Path, rows: &[Row]) -> Result<String, StudyError> {
    let mut panel = Panel::new(
        "dataset (1 White 1986, 2 Varshney 2011, 3 Cook 2019)",
        "(AVA − AVB)/(|AVA| + |AVB|)",
    )
    // Room on the right for the legend, clear of the points.
    .x_range(0.5, 5.0)
    .y_range(-1.1, 1.1)
    .legend(Legend::UpperRight);
    for (variant, stimulus, label) in [
        (Variant::Full, "anterior", "anterior touch"),
        (Variant::Full, "posterior", "posterior touch"),
        (
            Variant::ExcitatoryTouch,
            "anterior",
            "anterior, excitatory touch synapses",
        ),
    ] {
        let points: Vec<(f64, f64)> = DATASETS
            .iter()
            .enumerate()
            .filter_map(|(k, d)| {
                rows.iter()
                    .find(|r| r.dataset == d.1 && r.variant == variant && r.stimulus == stimulus)
                    .map(|r| ((k + 1) as f64, selectivity(r.ava, r.avb)))
            })
            .collect();
        panel = panel.scatter(label, points);
    }
    panel = panel.dashed("", vec![(0.5, 0.0), (5.0, 0.0)]);
    let fig = Figure::new("Command-interneuron selectivity of the touch circuit").panel(panel);
    report::figure(
        NAME,
        dir,
        "command_selectivity",
        &fig,
        "Selectivity for the backward (AVA, > 0) over the forward (AVB, < 0) command interneuron under anterior and posterior touch, full model, per connectome; and anterior touch with the touch cells' chemical synapses made excitatory.",
    )
}

/// What the grid shows for the datasets not held to it.
fn cook_grid(grid: &[GridPoint]) -> String {
    let free: Vec<&GridPoint> = grid
        .iter()
        .filter(|p| DATASETS.iter().any(|d| d.1 == p.dataset && !d.2))
        .collect();
    if free.is_empty() {
        return "the grid runs in full mode.".into();
    }
    let wrong: Vec<String> = free
        .iter()
        .filter(|p| !p.right)
        .map(|p| format!("g = {}, c = {}", p.g, p.c))
        .collect();
    format!(
        "there both directions are right at {} of {} grid points{}.",
        free.len() - wrong.len(),
        free.len(),
        if wrong.is_empty() {
            String::new()
        } else {
            format!(" (posterior touch favours AVA at {})", wrong.join("; "))
        }
    )
}

#[allow(clippy::too_many_arguments)]
fn report_text(
    mode: Mode,
    checks: &[Check],
    rows: &[Row],
    grid: &[GridPoint],
    worms: &[Worm],
    fig: &str,
    elapsed: f64,
) -> String {
    let mut s = report::header(
        "celegans-touch — Chalfie et al. (1985), the touch circuit of C. elegans, on its connectomes",
        mode,
        checks,
    );
    let _ = writeln!(
        s,
        "## What the paper shows\n\nKilling cells with a laser and reading White et al.'s serial-section wiring, \
         Chalfie et al. (1985) traced touch avoidance: a touch to the head (anterior touch cells ALML/R and AVM) \
         makes the worm back up, through the interneurons AVD and AVA; a touch to the tail (PLML/R, PVM) makes it \
         go forward, through PVC and AVB. The touch cells are joined by gap junctions to the interneurons of their \
         own direction and make chemical synapses onto those of the other direction, which the paper proposes are \
         inhibitory. The paper gives the circuit and the ablation results, not numbers to reproduce; the checks are \
         the directions it states.\n"
    );
    let _ = writeln!(
        s,
        "## Model\n\nEach connectome (`data/cect`, the `cect` 0.3.5 package's files) restricted to its somatic \
         neurons; every neuron a linear rate unit (`rate_linear`, τ = 10 ms) with gap junctions coupling the \
         activations and chemical synapses passing w·x. Weights are contact counts divided by the dataset's mean \
         non-zero count, times g = {G} (gap) and c = {C} (chemical). Chemical synapses are excitatory except from \
         the {} GABAergic neurons and the six touch cells. Input 1 into the anterior or posterior touch cells; \
         activations after {T_MS} ms at dt = {DT_MS} ms. Mean counts per contact: {}.\n",
        GABAERGIC.len(),
        worms
            .iter()
            .map(|w| format!(
                "{} chemical {:.2}, gap {:.2}",
                w.label, w.mean_cs, w.mean_gj
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let _ = writeln!(s, "## Checks\n\n{}", report::checks_table(checks));
    let _ = writeln!(s, "## Results\n\n{fig}");
    let mut t = Table::new(&[
        "dataset",
        "variant",
        "touch",
        "AVA",
        "AVB",
        "AVD",
        "PVC",
        "A-type motor",
        "B-type motor",
        "engine vs linear",
    ]);
    for r in rows {
        t.row(vec![
            r.dataset.into(),
            format!("{:?}", r.variant),
            r.stimulus.into(),
            report::sci(r.ava, 3),
            report::sci(r.avb, 3),
            report::sci(r.avd, 3),
            report::sci(r.pvc, 3),
            report::sci(r.a_type_motor, 3),
            report::sci(r.b_type_motor, 3),
            report::sci(r.engine_vs_linear, 2),
        ]);
    }
    let _ = writeln!(
        s,
        "Mean steady-state activation of each pair or class (input 1 into three touch cells):\n\n{}",
        t.render()
    );
    if !grid.is_empty() {
        let mut t = Table::new(&[
            "dataset",
            "g",
            "c",
            "anterior (AVA−AVB)/…",
            "posterior (AVA−AVB)/…",
            "both right",
        ]);
        for p in grid {
            t.row(vec![
                p.dataset.into(),
                num(p.g),
                num(p.c),
                num(p.anterior_ava_vs_avb),
                num(p.posterior_ava_vs_avb),
                p.right.to_string(),
            ]);
        }
        let _ = writeln!(
            s,
            "Command-level selectivity over the (g, c) grid (linear solve):\n\n{}",
            t.render()
        );
    }
    let _ = writeln!(
        s,
        "## What differs from the paper\n\n\
         - **Signs are assumed, as the paper does.** A connectome gives contacts, not signs. The touch cells' \
         chemical synapses are taken as inhibitory (the paper's proposal; they are glutamatergic, and glutamate \
         can act through inhibitory GluCl channels); all other non-GABAergic synapses are taken as excitatory, \
         which is a simplification (some cholinergic and glutamatergic synapses inhibit).\n\
         - **Graded linear units, not a biophysical model.** The claims checked are directions of preference, \
         which a linear model of the wiring can show; no time courses or magnitudes are compared.\n\
         - **Robustness is held on White's reconstruction, reported on Cook's.** The paper's circuit was read \
         from White et al.'s series (here cect's `White_whole` file and Varshney 2011's revision; the two agree on \
         all but 6 of the entries between the neurons both have, so they are one reconstruction, not two); over the full-mode (g, c) \
         grid the command-level selectivity must hold at every point there. Cook et al. (2019) re-annotated the \
         series with contact sizes in other units (mean gap-junction weight {:.1} against {:.1} for White) and are \
         checked at the main parameters only; {}\n\
         - **Motor classes are shown, not checked.** The A-type (backward) and B-type (forward) motor neurons' \
         preference depends on the polarities of the interneurons' synapses, which this model does not know; \
         the table shows it.\n",
        worms.iter().find(|w| !w.checked).map_or(0.0, |w| w.mean_gj),
        worms.first().map_or(0.0, |w| w.mean_gj),
        cook_grid(grid),
    );
    let _ = writeln!(s, "Run time {elapsed:.1} s.");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectivity_and_motor_classes() {
        assert_eq!(selectivity(3.0, 1.0), 0.5);
        assert_eq!(selectivity(-1.0, 1.0), -1.0);
        assert!(is_a_type("VA12") && is_a_type("DA1") && !is_a_type("VAL") && !is_a_type("VB1"));
        assert!(is_b_type("DB7") && !is_b_type("DB"));
    }
}
