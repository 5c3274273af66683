//! Study `gain-control`: Duong, Bredenberg, Heeger & Simoncelli (2023), "Adaptive coding
//! efficiency in recurrent cortical circuits via gain control" (arXiv:2305.19869; PAPERS.md
//! row 12).
//!
//! A ring of orientation-tuned neurons with fixed recurrent weights adapts only its
//! single-neuron gains, which minimise `−ln det A + λ · total mean activity`
//! ([`ganglion_analysis::gain_control`]). Gains optimised for a uniform orientation ensemble
//! ("unadapted") are compared with gains optimised for a biased ensemble in which one
//! orientation (the adaptor, 0°) is over-represented ("adapted"), on the biased ensemble.
//! Measured: tuning-curve shifts (repulsion from the adaptor), stimulus-driven response
//! correlations near the adaptor (decorrelation) and the spread of mean rates across the
//! population (homeostasis), with the same comparison in a network without recurrence as the
//! control in which gains alone can do neither of the first two.
//!
//! The data are synthesised (model stimuli and responses); the paper fits published V1
//! population data (Benucci et al. 2013), which are not available here.

mod figures;
mod text;

use std::f64::consts::PI;
use std::path::Path;
use std::time::Instant;

use ganglion_analysis::gain_control::{
    Ensemble, GainError, GainNetwork, OptimiseOptions, Optimised, Ring, correlations,
    parabolic_peak, response_moments, ring_weights, tuning_curves, vector_mean_preference,
    wrap_orientation,
};
use ganglion_analysis::linalg::symmetric_eigen;
use serde::Serialize;

use crate::report;
use crate::{Check, Expect, Mode, Source, Study, StudyError, StudyInfo, StudyOutput};

/// The `gain-control` study (see the module docs).
pub struct GainControl;

const NAME: &str = "gain-control";
/// Von Mises concentration of the feedforward tuning.
const KAPPA: f64 = 2.0;
/// Untuned feedforward drive.
const BASELINE: f64 = 0.05;
/// Recurrent excitation (row sum of the local kernel).
const EXCITATION: f64 = 0.8;
/// Concentration of the recurrent kernel.
const WIDTH: f64 = 3.0;
/// Activity weight λ (mean rates are 1/λ without recurrence).
const LAMBDA: f64 = 1.0;
/// Probability mass added at the adaptor orientation.
const SHARE: f64 = 0.3;
/// Neurons whose preference lies within this offset of the adaptor count as "near" (degrees).
const NEAR_DEG: f64 = 45.0;
/// Pairs whose members both lie within this offset count as near-adaptor pairs (degrees).
const PAIR_DEG: f64 = 22.5;

/// Sizes for a mode: neurons, ensemble stimuli, tuning-curve samples.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    n: usize,
    m: usize,
    grid: usize,
}

fn sizes(mode: Mode) -> Sizes {
    match mode {
        Mode::Quick => Sizes {
            n: 32,
            m: 64,
            grid: 720,
        },
        Mode::Full => Sizes {
            n: 64,
            m: 128,
            grid: 1440,
        },
    }
}

fn err(e: GainError) -> StudyError {
    StudyError::study(NAME, e.to_string())
}

/// One neuron of the main comparison.
#[derive(Debug, Clone, Serialize)]
struct NeuronRow {
    /// Preferred orientation minus the adaptor's, degrees in [−90, 90).
    offset_deg: f64,
    gain_unadapted: f64,
    gain_adapted: f64,
    /// Shift of the vector-mean preference, adapted − unadapted (degrees).
    shift_vector_deg: f64,
    /// Shift of the interpolated peak (degrees).
    shift_peak_deg: f64,
    /// Mean rate on the biased ensemble, unadapted gains.
    rate_unadapted: f64,
    /// Mean rate on the biased ensemble, adapted gains.
    rate_adapted: f64,
    /// Signal correlation with the next neuron on the ring (biased ensemble), unadapted.
    next_corr_unadapted: f64,
    /// The same, adapted.
    next_corr_adapted: f64,
}

/// Summary of one adaptation experiment.
#[derive(Debug, Clone, Serialize)]
struct Summary {
    excitation: f64,
    share: f64,
    /// Mean shift away from the adaptor over neurons with 0 < |offset| ≤ 45° (degrees).
    mean_repulsion_deg: f64,
    /// Largest shift away from the adaptor (degrees).
    max_repulsion_deg: f64,
    /// Fraction of neurons with 0 < |offset| ≤ 45° whose vector-mean preference moves away
    /// (by more than 1e-9°, so that rounding does not count).
    fraction_repelled: f64,
    /// Mean signal correlation of pairs within ±22.5° of the adaptor, unadapted gains.
    near_corr_unadapted: f64,
    /// The same, adapted.
    near_corr_adapted: f64,
    /// Coefficient of variation of mean rates across neurons, unadapted gains, biased ensemble.
    rate_cv_unadapted: f64,
    /// The same, adapted.
    rate_cv_adapted: f64,
    /// Adapted / unadapted gain of the neuron preferring the adaptor.
    gain_ratio_at_adaptor: f64,
    /// Adapted / unadapted gain of the neuron orthogonal to it.
    gain_ratio_orthogonal: f64,
    /// Optimiser iterations (unadapted, adapted) and final gradient norms in ln g.
    iterations: (usize, usize),
    gradient_norm: (f64, f64),
}

/// Everything one adaptation experiment yields.
struct Experiment {
    summary: Summary,
    rows: Vec<NeuronRow>,
    unadapted: Optimised,
    adapted: Optimised,
    /// Tuning curves (grid × n), unadapted and adapted.
    curves: (Vec<f64>, Vec<f64>),
    grid: Vec<f64>,
}

fn ring(s: Sizes) -> Ring {
    Ring {
        n: s.n,
        kappa: KAPPA,
        baseline: BASELINE,
    }
}

fn optimise(net: &GainNetwork, ring: &Ring, e: &Ensemble) -> Result<Optimised, StudyError> {
    let mu = e.mean_drive(ring).map_err(err)?;
    // A tolerance below the checked 1e-8, so that the check has room.
    let options = OptimiseOptions {
        tolerance: 1e-9,
        ..OptimiseOptions::default()
    };
    let opt = net.optimise(&mu, LAMBDA, &options).map_err(err)?;
    Ok(opt)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn cv(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt() / m
}

/// Adapts a ring with recurrent excitation `excitation` from the uniform ensemble to one with
/// `share` extra mass at 0°, and measures the three effects.
fn experiment(s: Sizes, excitation: f64, share: f64) -> Result<Experiment, StudyError> {
    let ring = ring(s);
    let n = s.n;
    let net = GainNetwork::new(n, ring_weights(n, excitation, WIDTH, 0.0)).map_err(err)?;
    let uniform = Ensemble::uniform(s.m);
    let biased = Ensemble::biased(s.m, 0, share).map_err(err)?;
    let unadapted = optimise(&net, &ring, &uniform)?;
    let adapted = optimise(&net, &ring, &biased)?;
    let grid: Vec<f64> = (0..s.grid).map(|k| k as f64 * PI / s.grid as f64).collect();
    let a_u = net.transfer(&unadapted.gains).map_err(err)?;
    let a_b = net.transfer(&adapted.gains).map_err(err)?;
    let (t_u, t_b) = (
        tuning_curves(&a_u, &ring, &grid),
        tuning_curves(&a_b, &ring, &grid),
    );
    let (m_u, c_u) = response_moments(&a_u, &ring, &biased).map_err(err)?;
    let (m_b, c_b) = response_moments(&a_b, &ring, &biased).map_err(err)?;
    let (r_u, r_b) = (correlations(&c_u, n), correlations(&c_b, n));
    let column = |t: &[f64], i: usize| (0..s.grid).map(|k| t[k * n + i]).collect::<Vec<f64>>();
    let offset = |i: usize| wrap_orientation(ring.preferred(i));
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let (cu, cb) = (column(&t_u, i), column(&t_b, i));
        let dv = wrap_orientation(
            vector_mean_preference(&cb, &grid) - vector_mean_preference(&cu, &grid),
        );
        let dp = wrap_orientation(parabolic_peak(&cb) - parabolic_peak(&cu));
        let j = (i + 1) % n;
        rows.push(NeuronRow {
            offset_deg: offset(i).to_degrees(),
            gain_unadapted: unadapted.gains[i],
            gain_adapted: adapted.gains[i],
            shift_vector_deg: dv.to_degrees(),
            shift_peak_deg: dp.to_degrees(),
            rate_unadapted: m_u[i],
            rate_adapted: m_b[i],
            next_corr_unadapted: r_u[i * n + j],
            next_corr_adapted: r_b[i * n + j],
        });
    }
    // Away from the adaptor = same sign as the neuron's offset from it.
    let near: Vec<&NeuronRow> = rows
        .iter()
        .filter(|r| r.offset_deg != 0.0 && r.offset_deg.abs() <= NEAR_DEG)
        .collect();
    let away = |r: &NeuronRow| r.shift_vector_deg * r.offset_deg.signum();
    let near_away: Vec<f64> = near.iter().map(|r| away(r)).collect();
    let pair_members: Vec<usize> = (0..n)
        .filter(|&i| offset(i).to_degrees().abs() <= PAIR_DEG + 1e-9)
        .collect();
    let pair_mean = |r: &[f64]| {
        let mut v = Vec::new();
        for (a, &i) in pair_members.iter().enumerate() {
            for &j in &pair_members[a + 1..] {
                v.push(r[i * n + j]);
            }
        }
        mean(&v)
    };
    let summary = Summary {
        excitation,
        share,
        mean_repulsion_deg: mean(&near_away),
        max_repulsion_deg: rows.iter().map(away).fold(f64::MIN, f64::max),
        fraction_repelled: near_away.iter().filter(|&&x| x > 1e-9).count() as f64
            / near_away.len() as f64,
        near_corr_unadapted: pair_mean(&r_u),
        near_corr_adapted: pair_mean(&r_b),
        rate_cv_unadapted: cv(&m_u),
        rate_cv_adapted: cv(&m_b),
        gain_ratio_at_adaptor: adapted.gains[0] / unadapted.gains[0],
        gain_ratio_orthogonal: adapted.gains[n / 2] / unadapted.gains[n / 2],
        iterations: (unadapted.iterations, adapted.iterations),
        gradient_norm: (unadapted.gradient_norm, adapted.gradient_norm),
    };
    Ok(Experiment {
        summary,
        rows,
        unadapted,
        adapted,
        curves: (t_u, t_b),
        grid,
    })
}

/// Results of the model's self-checks.
#[derive(Debug, Clone, Serialize)]
struct Validation {
    /// Largest relative difference of the analytic gradient from central differences.
    gradient_fd_rel: f64,
    /// Largest |steady state − Euler-integrated state| over a few stimuli.
    steady_state_vs_euler: f64,
    /// The n-dimensional uniform-ensemble optimum against the scalar (Fourier) solution.
    uniform_vs_scalar_rel: f64,
    /// The scalar optimal gain.
    scalar_gain: f64,
}

/// Gradient vs finite differences, fixed point vs dynamics, and the uniform optimum vs the
/// 1-D problem that circulant symmetry reduces it to.
fn validate(s: Sizes, uniform_opt: &Optimised) -> Result<Validation, StudyError> {
    let ring = ring(s);
    let n = s.n;
    let w = ring_weights(n, EXCITATION, WIDTH, 0.0);
    let net = GainNetwork::new(n, w.clone()).map_err(err)?;
    let mu = Ensemble::biased(s.m, 0, SHARE)
        .and_then(|e| e.mean_drive(&ring))
        .map_err(err)?;
    let g: Vec<f64> = (0..n).map(|i| 0.6 + 0.2 * (i as f64 * 0.7).sin()).collect();
    let o = net.objective(&g, &mu, LAMBDA).map_err(err)?;
    let mut gradient_fd_rel = 0.0_f64;
    for i in 0..n {
        let h = 1e-6 * g[i];
        let (mut up, mut dn) = (g.clone(), g.clone());
        up[i] += h;
        dn[i] -= h;
        let fd = (net.objective(&up, &mu, LAMBDA).map_err(err)?.value
            - net.objective(&dn, &mu, LAMBDA).map_err(err)?.value)
            / (2.0 * h);
        gradient_fd_rel =
            gradient_fd_rel.max((fd - o.gradient[i]).abs() / o.gradient[i].abs().max(1.0));
    }
    let mut steady_state_vs_euler = 0.0_f64;
    for s_deg in [0.0, 20.0, 70.0] {
        let h = ring.drive(f64::to_radians(s_deg));
        let a = net.steady_state(&g, &h).map_err(err)?;
        let b = net.simulate(&g, &h, 0.05, 6000).map_err(err)?;
        for (x, y) in a.iter().zip(&b) {
            steady_state_vs_euler = steady_state_vs_euler.max((x - y).abs());
        }
    }
    // Uniform ensemble on a circulant network: the optimum has equal gains g, and
    // dL/dg = −n/g − Σ_k w_k/(1 − g w_k) + λ n μ̄/(1 − g w_0)² = 0 (w_k eigenvalues of W,
    // w_0 = row sum, the largest for a positive kernel).
    let mu_u = Ensemble::uniform(s.m).mean_drive(&ring).map_err(err)?;
    let mbar = mu_u[0];
    let (eig, _) = symmetric_eigen(&w, n)
        .ok_or_else(|| StudyError::study(NAME, "eigendecomposition of W failed"))?;
    let w0 = EXCITATION;
    let nf = n as f64;
    let d = |g: f64| {
        -nf / g - eig.iter().map(|wk| wk / (1.0 - g * wk)).sum::<f64>()
            + LAMBDA * nf * mbar / (1.0 - g * w0).powi(2)
    };
    let (mut lo, mut hi) = (1e-9, (1.0 - 1e-12) / eig[0]);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if d(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let scalar_gain = 0.5 * (lo + hi);
    let uniform_vs_scalar_rel = uniform_opt
        .gains
        .iter()
        .map(|g| (g - scalar_gain).abs() / scalar_gain)
        .fold(0.0, f64::max);
    Ok(Validation {
        gradient_fd_rel,
        steady_state_vs_euler,
        uniform_vs_scalar_rel,
        scalar_gain,
    })
}

impl Study for GainControl {
    fn info(&self) -> StudyInfo {
        StudyInfo {
            name: NAME,
            paper: "Duong, Bredenberg, Heeger & Simoncelli 2023, Adaptive coding efficiency in recurrent cortical circuits via gain control (arXiv:2305.19869)",
            checks: "adaptation to an over-represented orientation repels tuning curves, decorrelates near-adaptor responses and equalises mean rates (paper, direction); none of the first two without recurrence and exact 1/λ rates (theory); gradient vs finite differences, fixed point vs dynamics, uniform optimum vs its scalar reduction",
            quick_runtime: "~0.1 s",
            full_runtime: "~1 s",
        }
    }

    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, StudyError> {
        let started = Instant::now();
        let s = sizes(mode);
        let main = experiment(s, EXCITATION, SHARE)?;
        let control = experiment(s, 0.0, SHARE)?;
        let validation = validate(s, &main.unadapted)?;
        let mut sweep = Vec::new();
        if mode == Mode::Full {
            for excitation in [0.0, 0.2, 0.4, 0.6, 0.8, 0.9] {
                sweep.push(experiment(s, excitation, SHARE)?.summary);
            }
            for share in [0.1, 0.2, 0.4, 0.5, 0.7] {
                sweep.push(experiment(s, EXCITATION, share)?.summary);
            }
        }
        let checks = checks(&main, &control, &validation);
        let figs = figures::figures(dir, &main, &control)?;
        let text = text::report_text(
            mode,
            s,
            &checks,
            &main,
            &control,
            &validation,
            &sweep,
            &figs,
            started.elapsed().as_secs_f64(),
        );
        let summaries = [main.summary.clone(), control.summary.clone()];
        report::finish(
            NAME,
            dir,
            &text,
            checks,
            &[
                ("neurons", &main.rows),
                ("summary", &summaries),
                ("sweep", &sweep),
                ("validation", &validation),
            ],
        )
    }
}

fn checks(main: &Experiment, control: &Experiment, v: &Validation) -> Vec<Check> {
    let (m, c) = (&main.summary, &control.summary);
    let max_abs_shift = control
        .rows
        .iter()
        .map(|r| r.shift_vector_deg.abs().max(r.shift_peak_deg.abs()))
        .fold(0.0, f64::max);
    let rate_dev = control
        .adapted
        .objective
        .mean_rates
        .iter()
        .map(|r| (r * LAMBDA - 1.0).abs())
        .fold(0.0, f64::max);
    vec![
        Check::new(
            "gradient_vs_finite_differences_rel",
            v.gradient_fd_rel,
            Expect::at_most(1e-6),
            Source::SelfConsistency,
            "largest ∣analytic − central-difference∣ / max(∣∂L/∂g_i∣, 1) at non-optimal gains, biased ensemble",
        ),
        Check::new(
            "steady_state_vs_euler_max_abs",
            v.steady_state_vs_euler,
            Expect::at_most(1e-9),
            Source::SelfConsistency,
            "(I − GW)⁻¹Gh against forward-Euler integration of τ dr/dt = −r + G(h + Wr) for 300 τ, three stimuli",
        ),
        Check::new(
            "uniform_optimum_vs_scalar_reduction_rel",
            v.uniform_vs_scalar_rel,
            Expect::at_most(1e-6),
            Source::Theory,
            "circulant W and a uniform ensemble reduce the optimum to one equal gain solving a scalar equation in W's eigenvalues (bisection); largest relative difference of the n gains from it",
        ),
        Check::new(
            "optimiser_gradient_norm",
            m.gradient_norm.0.max(m.gradient_norm.1),
            Expect::at_most(1e-8),
            Source::SelfConsistency,
            "max ∣g_i ∂L/∂g_i∣ at the end of both optimisations (unadapted, adapted)",
        ),
        Check::new(
            "gain_ratio_at_adaptor",
            m.gain_ratio_at_adaptor,
            Expect::at_most(0.95),
            Source::Paper,
            "adapted / unadapted gain of the neuron preferring the adaptor: gains fall where the adaptor drives (paper: adaptation as gain reduction of adaptor-driven neurons)",
        ),
        Check::new(
            "mean_repulsion_deg",
            m.mean_repulsion_deg,
            Expect::at_least(0.1),
            Source::Paper,
            "mean shift of the vector-mean preference away from the adaptor, neurons with 0 < ∣offset∣ ≤ 45° (paper, Benucci et al. 2013 data: tuning curves repelled from the adaptor); our magnitude is not the paper's (different network, synthetic data)",
        ),
        Check::new(
            "fraction_repelled",
            m.fraction_repelled,
            Expect::equals(1.0),
            Source::Paper,
            "fraction of neurons with 0 < ∣offset∣ ≤ 45° whose preference moves away from (not towards) the adaptor",
        ),
        Check::new(
            "near_adaptor_correlation_change",
            m.near_corr_adapted - m.near_corr_unadapted,
            Expect::at_most(-1e-3),
            Source::Paper,
            "mean stimulus-driven correlation of pairs within ±22.5° of the adaptor on the biased ensemble, adapted − unadapted gains (paper: adaptation decorrelates responses)",
        ),
        Check::new(
            "rate_cv_adapted_over_unadapted",
            m.rate_cv_adapted / m.rate_cv_unadapted,
            Expect::at_most(0.5),
            Source::Paper,
            "spread (CV across neurons) of mean rates on the biased ensemble with adapted over unadapted gains (paper, Benucci et al. 2013: homeostatic equalisation of time-averaged responses)",
        ),
        Check::new(
            "no_recurrence_max_abs_shift_deg",
            max_abs_shift,
            Expect::at_most(1e-9),
            Source::Theory,
            "W = 0: a gain scales a tuning curve, so no preference (vector mean or peak) can move; repulsion needs the recurrent propagation of gain changes, the paper's point",
        ),
        Check::new(
            "no_recurrence_correlation_change",
            (c.near_corr_adapted - c.near_corr_unadapted).abs(),
            Expect::at_most(1e-12),
            Source::Theory,
            "W = 0: correlation coefficients are invariant to per-neuron gains, so decorrelation also needs recurrence",
        ),
        Check::new(
            "no_recurrence_rates_equal_one_over_lambda",
            rate_dev,
            Expect::at_most(1e-8),
            Source::Theory,
            "W = 0: the optimum is g_i = 1/(λ μ_i), so every mean rate is 1/λ on any ensemble (exact homeostasis); largest ∣λ r̄_i − 1∣",
        ),
    ]
}
