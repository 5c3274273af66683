//! Study `pavlovian-attention`: "Transformers as Pavlovian conditioning" (2025).
//!
//! Linear attention stores key→value pairs in a Hebbian outer-product memory
//! `M = Σ_i v_i k_iᵀ` and retrieves with `M k_j = v_j (k_j·k_j) + Σ_{i≠j} v_i (k_i·k_j)`.
//! The crosstalk term limits how many pairs fit. The paper states an
//! average-case capacity `O(d_k)` and a worst-case capacity `O(√d_k)`; its
//! full text was not available, so this study fixes the definitions below,
//! measures both capacities over a range of `d_k`, and fits the exponents.
//!
//! **Model.** Keys are independent uniformly random unit vectors in `R^{d_k}`
//! (a Gaussian vector normalised). Values are `±1` vectors with `d_v = 16`
//! coordinates, read out by sign: coordinate `t` of pair `j` is retrieved
//! correctly when `sign((M k_j)_t) = v_{jt}`. With unit keys the signal is 1
//! and the crosstalk on coordinate `t` is `I_{jt} = Σ_{i≠j} (k_i·k_j) v_{it}`.
//!
//! **Average case.** Values are independent random signs. `E[(k_i·k_j)²] = 1/d_k`
//! exactly, so `Var I = (N−1)/d_k`, the signal-to-noise ratio is
//! `√(d_k/(N−1))` and the bit error rate is ≈ `Φ(−√(d_k/(N−1)))`. Capacity
//! `N*_avg` is the number of stored pairs at which bit accuracy falls below
//! 99 %: `N*_avg − 1 ≈ d_k / z²`, `z = Φ⁻¹(0.99) = 2.326`, so `N* ∝ d_k`.
//!
//! **Worst case.** An adversary chooses the stored values (equivalently, the
//! sign of each stored key) after seeing the keys, so that every crosstalk
//! term opposes the queried value: `v_i = −v_j · sign(k_i·k_j)`. Retrieval of
//! pair `j` survives iff `S_j = Σ_{i≠j} |k_i·k_j| < 1`. This is the quantity a
//! guarantee "for every set of stored values" must bound. `S_j` grows
//! linearly in `N` with slope `E|k_i·k_j| ≈ √(2/(π d_k))`, so the capacity
//! `N*_worst` — the `N` at which half of the queries can be broken — obeys
//! `N*_worst − 1 ≈ 1/E|k·k'| ≈ √(π d_k / 2)`, i.e. `N* ∝ √d_k`. The same
//! scaling follows for any key set whose coherence is at the Welch-bound
//! scale `μ ≈ 1/√d_k`: with all crosstalk aligned, `(N−1) μ < 1` gives
//! `N* − 1 = √d_k` (drawn for reference).
//!
//! Both exponents are fitted by least squares of `ln(N* − 1)` on `ln d_k`
//! (`N* − 1` is the number of interfering pairs), with 95 % bootstrap
//! intervals from resampling independent trials within each `d_k`.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use ganglion_plot::{Figure, Legend, PALETTE, Panel, Rgb, Series, SeriesKind};
use rand::RngExt;
use serde::Serialize;

use crate::report::{self, Table, num};
use crate::stats::{self, StudyRng, normal, ols, par_map, quantile, stream};
use crate::{Check, Error, Mode, Study, StudyInfo, StudyOutput};

/// The `pavlovian-attention` study (see the module docs).
pub struct PavlovianAttention;

const NAME: &str = "pavlovian-attention";
const SEED: u64 = 2025;
/// Value coordinates read out per pair.
const D_V: usize = 16;
/// Average-case capacity threshold on bit accuracy.
const AVG_THRESHOLD: f64 = 0.99;
/// Worst-case capacity threshold on the fraction of queries that survive.
const WORST_THRESHOLD: f64 = 0.5;
/// Allowed deviation of each fitted exponent from theory (see report).
const EXPONENT_TOLERANCE: f64 = 0.05;

struct Config {
    dims_avg: Vec<usize>,
    dims_worst: Vec<usize>,
    /// Bits read out at the capacity, per `d_k` (average case).
    samples_avg: f64,
    /// Queries at the capacity, per `d_k` (worst case; its estimate is far
    /// less noisy, a sharp transition, so it needs fewer).
    samples_worst: f64,
    min_trials: usize,
    bootstrap: usize,
}

impl Config {
    fn new(mode: Mode) -> Self {
        match mode {
            Mode::Quick => Self {
                dims_avg: vec![32, 64, 128, 256, 512],
                dims_worst: vec![32, 64, 128, 256, 512, 1024],
                samples_avg: 20_000.0,
                samples_worst: 4_000.0,
                min_trials: 16,
                bootstrap: 400,
            },
            Mode::Full => Self {
                dims_avg: vec![32, 64, 128, 256, 512, 1024, 2048],
                dims_worst: vec![32, 64, 128, 256, 512, 1024, 2048, 4096, 8192],
                samples_avg: 100_000.0,
                samples_worst: 20_000.0,
                min_trials: 32,
                bootstrap: 1000,
            },
        }
    }
}

/// `E|k·k'|` for independent uniform unit vectors in `R^d`:
/// `Γ(d/2) / (√π Γ((d+1)/2))`.
fn mean_abs_overlap(d: usize) -> f64 {
    use crate::studies::active_dendrites::math::ln_gamma;
    let d = d as f64;
    (ln_gamma(d / 2.0) - ln_gamma((d + 1.0) / 2.0) - 0.5 * std::f64::consts::PI.ln()).exp()
}

fn z99() -> f64 {
    stats::normal_quantile(AVG_THRESHOLD)
}

/// Theory: `N* − 1` in the average case.
fn theory_avg(d: usize) -> f64 {
    d as f64 / (z99() * z99())
}

/// Theory: `N* − 1` in the worst case.
fn theory_worst(d: usize) -> f64 {
    1.0 / mean_abs_overlap(d)
}

/// `n` random unit keys in `R^d`, row-major.
fn random_keys(rng: &mut StudyRng, n: usize, d: usize) -> Vec<f64> {
    let mut k = vec![0.0; n * d];
    for row in k.chunks_exact_mut(d) {
        for x in row.iter_mut() {
            *x = normal(rng);
        }
        let norm = row.iter().map(|x| x * x).sum::<f64>().sqrt();
        for x in row.iter_mut() {
            *x /= norm;
        }
    }
    k
}

/// Dot product with four accumulators (lets the compiler pipeline and
/// vectorise; a plain fold is serialised by strict FP ordering).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc[0] + acc[1] + acc[2] + acc[3] + tail
}

/// Symmetric Gram matrix `c[i·n + j] = k_i · k_j`.
fn gram(keys: &[f64], n: usize, d: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        let ki = &keys[i * d..(i + 1) * d];
        for j in 0..i {
            let v = dot(ki, &keys[j * d..(j + 1) * d]);
            c[i * n + j] = v;
            c[j * n + i] = v;
        }
        c[i * n + i] = 1.0;
    }
    c
}

/// One average-case trial: for every memory size `N = 1..=n_max` (the first
/// `N` pairs stored), correctly retrieved bits and the summed squared crosstalk.
struct AvgTrial {
    correct: Vec<u32>,
    noise2: Vec<f64>,
}

fn avg_trial(d: usize, n_max: usize, seed: u64) -> AvgTrial {
    let mut rng = stream(seed, 0);
    let keys = random_keys(&mut rng, n_max, d);
    let c = gram(&keys, n_max, d);
    let vals: Vec<f64> = (0..n_max * D_V)
        .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
        .collect();
    let mut correct = vec![0u32; n_max + 1];
    let mut noise2 = vec![0.0; n_max + 1];
    let mut interf = [0.0f64; D_V];
    for j in 0..n_max {
        let vj = &vals[j * D_V..(j + 1) * D_V];
        interf.fill(0.0);
        // Memory sizes N = j+1, j+2, …: pair j is stored, add pairs i < N one by one.
        for i in 0..n_max {
            if i != j {
                let cij = c[i * n_max + j];
                let vi = &vals[i * D_V..(i + 1) * D_V];
                for t in 0..D_V {
                    interf[t] += cij * vi[t];
                }
            }
            let n = i + 1;
            if n > j {
                let mut ok = 0u32;
                let mut sq = 0.0;
                for t in 0..D_V {
                    // sign(v + I) == v  ⇔  v·I > −1 for v = ±1.
                    ok += u32::from(vj[t] * interf[t] > -1.0);
                    sq += interf[t] * interf[t];
                }
                correct[n] += ok;
                noise2[n] += sq;
            }
        }
    }
    AvgTrial { correct, noise2 }
}

/// One worst-case trial: for every `N`, how many of the `N` stored queries
/// survive adversarial values (`S_j < 1`), and the summed crosstalk `Σ_j S_j`.
struct WorstTrial {
    survive: Vec<u32>,
    crosstalk: Vec<f64>,
}

fn worst_trial(d: usize, n_max: usize, seed: u64) -> WorstTrial {
    let mut rng = stream(seed, 0);
    let keys = random_keys(&mut rng, n_max, d);
    let c = gram(&keys, n_max, d);
    let mut survive = vec![0u32; n_max + 1];
    let mut crosstalk = vec![0.0; n_max + 1];
    for j in 0..n_max {
        let mut s = 0.0;
        for i in 0..n_max {
            if i != j {
                s += c[i * n_max + j].abs();
            }
            let n = i + 1;
            if n > j {
                survive[n] += u32::from(s < 1.0);
                crosstalk[n] += s;
            }
        }
    }
    WorstTrial { survive, crosstalk }
}

/// Where a decreasing curve `f(N)` (given for N = 1..) first drops below
/// `thr`, interpolated linearly between integer `N`. NaN if it never does.
fn crossing(f: &[f64], thr: f64) -> f64 {
    for n in 2..f.len() {
        if f[n] < thr {
            let (a, b) = (f[n - 1], f[n]);
            return (n - 1) as f64 + (a - thr) / (a - b);
        }
    }
    f64::NAN
}

/// Per-`d_k` results: raw per-trial counts plus pooled curves.
struct Sweep {
    d: usize,
    n_max: usize,
    /// Per trial, per N: successes (bits or queries).
    success: Vec<Vec<f64>>,
    /// Per trial, per N: summed squared crosstalk (avg) or summed crosstalk (worst).
    extra: Vec<Vec<f64>>,
    /// Read-outs per trial at memory size N: `N·D_V` (avg) or `N` (worst).
    per_n: usize,
}

impl Sweep {
    fn pooled(&self, trials: &[usize]) -> Vec<f64> {
        let mut f = vec![f64::NAN; self.n_max + 1];
        for (n, slot) in f.iter_mut().enumerate().skip(1) {
            let s: f64 = trials.iter().map(|&t| self.success[t][n]).sum();
            *slot = s / (trials.len() * n * self.per_n) as f64;
        }
        f
    }

    fn all(&self) -> Vec<usize> {
        (0..self.success.len()).collect()
    }

    fn extra_mean(&self, n: usize) -> f64 {
        let s: f64 = self.extra.iter().map(|e| e[n]).sum();
        s / (self.extra.len() * n * self.per_n) as f64
    }
}

fn sweep_avg(cfg: &Config) -> Vec<Sweep> {
    cfg.dims_avg
        .iter()
        .enumerate()
        .map(|(k, &d)| {
            let cap = 1.0 + theory_avg(d);
            let n_max = (2.5 * cap).ceil() as usize + 4;
            let trials =
                ((cfg.samples_avg / (cap * D_V as f64)).ceil() as usize).max(cfg.min_trials);
            let res = par_map(trials, |t| {
                avg_trial(d, n_max, SEED ^ ((k as u64) << 40) ^ t as u64)
            });
            Sweep {
                d,
                n_max,
                success: res
                    .iter()
                    .map(|r| r.correct.iter().map(|&v| f64::from(v)).collect())
                    .collect(),
                extra: res.into_iter().map(|r| r.noise2).collect(),
                per_n: D_V,
            }
        })
        .collect()
}

fn sweep_worst(cfg: &Config) -> Vec<Sweep> {
    cfg.dims_worst
        .iter()
        .enumerate()
        .map(|(k, &d)| {
            let cap = 1.0 + theory_worst(d);
            let n_max = (2.0 * cap).ceil() as usize + 4;
            let trials = ((cfg.samples_worst / cap).ceil() as usize).max(cfg.min_trials);
            let res = par_map(trials, |t| {
                worst_trial(d, n_max, SEED ^ 0xABCD ^ ((k as u64) << 40) ^ t as u64)
            });
            Sweep {
                d,
                n_max,
                success: res
                    .iter()
                    .map(|r| r.survive.iter().map(|&v| f64::from(v)).collect())
                    .collect(),
                extra: res.into_iter().map(|r| r.crosstalk).collect(),
                per_n: 1,
            }
        })
        .collect()
}

/// Fitted exponent with its bootstrap interval.
#[derive(Debug, Clone, Serialize)]
struct Fit {
    case: &'static str,
    threshold: f64,
    slope: f64,
    intercept: f64,
    prefactor: f64,
    ci_low: f64,
    ci_high: f64,
    bootstrap_resamples: usize,
    bootstrap_failed: usize,
    expected_slope: f64,
    /// Slope of the theory curve itself over the same `d_k` grid.
    theory_slope: f64,
}

#[derive(Debug, Clone, Serialize)]
struct CapacityRow {
    case: &'static str,
    d_k: usize,
    trials: usize,
    n_max: usize,
    n_star: f64,
    n_star_theory: f64,
    ratio: f64,
}

fn fit(
    case: &'static str,
    sweeps: &[Sweep],
    thr: f64,
    expected: f64,
    theory: fn(usize) -> f64,
    b: usize,
) -> (Fit, Vec<CapacityRow>) {
    let xs: Vec<f64> = sweeps.iter().map(|s| (s.d as f64).ln()).collect();
    let caps: Vec<f64> = sweeps
        .iter()
        .map(|s| crossing(&s.pooled(&s.all()), thr))
        .collect();
    let ys: Vec<f64> = caps.iter().map(|c| (c - 1.0).ln()).collect();
    let (intercept, slope) = ols(&xs, &ys);
    let theory_ys: Vec<f64> = sweeps.iter().map(|s| theory(s.d).ln()).collect();
    let (_, theory_slope) = ols(&xs, &theory_ys);

    let boots = par_map(b, |r| {
        let mut rng = stream(SEED ^ 0xB007, r as u64);
        let y: Vec<f64> = sweeps
            .iter()
            .map(|s| {
                let t = s.success.len();
                let pick: Vec<usize> = (0..t).map(|_| rng.random_range(0..t)).collect();
                (crossing(&s.pooled(&pick), thr) - 1.0).ln()
            })
            .collect();
        if y.iter().all(|v| v.is_finite()) {
            ols(&xs, &y).1
        } else {
            f64::NAN
        }
    });
    let mut ok: Vec<f64> = boots.iter().copied().filter(|v| v.is_finite()).collect();
    let failed = b - ok.len();
    let ci_low = quantile(&mut ok, 0.025);
    let ci_high = quantile(&mut ok, 0.975);
    let rows = sweeps
        .iter()
        .zip(&caps)
        .map(|(s, &c)| CapacityRow {
            case,
            d_k: s.d,
            trials: s.success.len(),
            n_max: s.n_max,
            n_star: c,
            n_star_theory: 1.0 + theory(s.d),
            ratio: (c - 1.0) / theory(s.d),
        })
        .collect();
    (
        Fit {
            case,
            threshold: thr,
            slope,
            intercept,
            prefactor: intercept.exp(),
            ci_low,
            ci_high,
            bootstrap_resamples: b,
            bootstrap_failed: failed,
            expected_slope: expected,
            theory_slope,
        },
        rows,
    )
}

#[derive(Debug, Clone, Serialize)]
struct CurveRow {
    d_k: usize,
    n: usize,
    /// Average case: bit accuracy. Worst case: fraction of surviving queries.
    accuracy: f64,
    /// Average case: measured SNR = 1/rms crosstalk. Worst case: 1/mean S.
    snr: f64,
    snr_theory: f64,
}

impl Study for PavlovianAttention {
    fn info(&self) -> StudyInfo {
        StudyInfo {
            name: NAME,
            paper: "Transformers as Pavlovian conditioning (2025): linear attention as a Hebbian associative memory",
            checks: "capacity exponents: average case ≈ 1 (random values), worst case ≈ 0.5 (adversarial values), bootstrap CIs; crosstalk variance and mean vs theory",
            quick_runtime: "~0.5 s",
            full_runtime: "~45 s",
        }
    }

    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, Error> {
        let started = Instant::now();
        let cfg = Config::new(mode);
        let avg = sweep_avg(&cfg);
        let worst = sweep_worst(&cfg);
        let t_sim = started.elapsed().as_secs_f64();
        let (fit_avg, cap_avg) = fit(
            "average",
            &avg,
            AVG_THRESHOLD,
            1.0,
            theory_avg,
            cfg.bootstrap,
        );
        let (fit_worst, cap_worst) = fit(
            "worst",
            &worst,
            WORST_THRESHOLD,
            0.5,
            theory_worst,
            cfg.bootstrap,
        );

        // Crosstalk moments against exact expectations.
        let mut var_ratio_num = 0.0;
        let mut var_ratio_den = 0.0;
        let mut curves_avg = Vec::new();
        for s in &avg {
            let acc = s.pooled(&s.all());
            for (n, &accuracy) in acc.iter().enumerate().skip(2) {
                let var = s.extra_mean(n); // mean squared crosstalk per bit
                let expect = (n - 1) as f64 / s.d as f64;
                var_ratio_num += var;
                var_ratio_den += expect;
                curves_avg.push(CurveRow {
                    d_k: s.d,
                    n,
                    accuracy,
                    snr: 1.0 / var.sqrt(),
                    snr_theory: 1.0 / expect.sqrt(),
                });
            }
        }
        let mut mean_num = 0.0;
        let mut mean_den = 0.0;
        let mut curves_worst = Vec::new();
        for s in &worst {
            let frac = s.pooled(&s.all());
            let m1 = mean_abs_overlap(s.d);
            for (n, &accuracy) in frac.iter().enumerate().skip(2) {
                let mean_s = s.extra_mean(n);
                let expect = (n - 1) as f64 * m1;
                mean_num += mean_s;
                mean_den += expect;
                curves_worst.push(CurveRow {
                    d_k: s.d,
                    n,
                    accuracy,
                    snr: 1.0 / mean_s,
                    snr_theory: 1.0 / expect,
                });
            }
        }

        let mut checks = Vec::new();
        checks.push(Check::absolute(
            "average_capacity_exponent",
            fit_avg.slope,
            1.0,
            EXPONENT_TOLERANCE,
            "N*−1 ∝ d_k^1 (random keys and values, 99 % bit accuracy); tolerance: see report",
        ));
        checks.push(Check::absolute(
            "worst_capacity_exponent",
            fit_worst.slope,
            0.5,
            EXPONENT_TOLERANCE,
            "N*−1 ∝ d_k^0.5 (adversarial values, half of the queries broken); tolerance: see report",
        ));
        let geo = |rows: &[CapacityRow]| {
            (rows.iter().map(|r| r.ratio.ln()).sum::<f64>() / rows.len() as f64).exp()
        };
        checks.push(Check::relative(
            "average_capacity_vs_theory",
            geo(&cap_avg),
            1.0,
            0.1,
            "geometric mean over d_k of (N*−1)/(d_k/z²), z = Φ⁻¹(0.99); Gaussian-crosstalk approximation",
        ));
        checks.push(Check::relative(
            "worst_capacity_vs_theory",
            geo(&cap_worst),
            1.0,
            0.1,
            "geometric mean over d_k of (N*−1)·E|k·k'|; median of S vs its mean",
        ));
        checks.push(Check::relative(
            "average_crosstalk_variance_ratio",
            var_ratio_num / var_ratio_den,
            1.0,
            0.03,
            "pooled mean squared crosstalk / ((N−1)/d_k): exact expectation for uniform unit keys",
        ));
        checks.push(Check::relative(
            "worst_crosstalk_mean_ratio",
            mean_num / mean_den,
            1.0,
            0.03,
            "pooled mean of S = Σ|k_i·k_j| / ((N−1)·E|k·k'|): exact expectation",
        ));

        let figs = figures(
            dir, &avg, &worst, &cap_avg, &cap_worst, &fit_avg, &fit_worst,
        )?;
        let total = started.elapsed().as_secs_f64();
        let text = report_text(
            mode, &cfg, &checks, &cap_avg, &cap_worst, &fit_avg, &fit_worst, &figs, t_sim, total,
        );
        report::write(dir, &text)?;

        let mut tables = serde_json::Map::new();
        let json = |v: serde_json::Result<serde_json::Value>| {
            v.map_err(|source| Error::Json {
                study: NAME.into(),
                source,
            })
        };
        tables.insert(
            "capacity".into(),
            json(serde_json::to_value(
                cap_avg.iter().chain(&cap_worst).collect::<Vec<_>>(),
            ))?,
        );
        tables.insert(
            "fits".into(),
            json(serde_json::to_value([&fit_avg, &fit_worst]))?,
        );
        tables.insert(
            "curves_average".into(),
            json(serde_json::to_value(&curves_avg))?,
        );
        tables.insert(
            "curves_worst".into(),
            json(serde_json::to_value(&curves_worst))?,
        );
        Ok(StudyOutput { checks, tables })
    }
}

fn figures(
    dir: &Path,
    avg: &[Sweep],
    worst: &[Sweep],
    cap_avg: &[CapacityRow],
    cap_worst: &[CapacityRow],
    fit_avg: &Fit,
    fit_worst: &Fit,
) -> Result<[String; 3], Error> {
    let grey = Rgb(120, 120, 120);
    // Capacity versus d_k.
    let d_lo = 24.0;
    let d_hi = cap_worst
        .iter()
        .chain(cap_avg)
        .map(|r| r.d_k)
        .max()
        .unwrap_or(1024) as f64
        * 1.3;
    let line = |f: &dyn Fn(f64) -> f64| -> Vec<(f64, f64)> {
        (0..=40)
            .map(|i| d_lo * (d_hi / d_lo).powf(f64::from(i) / 40.0))
            .map(|d| (d, f(d)))
            .collect()
    };
    let panel = Panel::new("key dimension d_k", "capacity N* − 1 (interfering pairs)")
        .log_x()
        .log_y()
        .legend(Legend::UpperLeft)
        .series(
            Series::new(
                "average case (measured)",
                SeriesKind::Scatter,
                cap_avg
                    .iter()
                    .map(|r| (r.d_k as f64, r.n_star - 1.0))
                    .collect(),
            )
            .color(PALETTE[5])
            .marker_size(6),
        )
        .series(
            Series::new(
                format!("fit: slope {:.3}", fit_avg.slope),
                SeriesKind::Line,
                line(&|d| fit_avg.prefactor * d.powf(fit_avg.slope)),
            )
            .color(PALETTE[5]),
        )
        .series(
            Series::new(
                "theory d_k / z²",
                SeriesKind::Dashed,
                line(&|d| d / (z99() * z99())),
            )
            .color(PALETTE[5])
            .line_width(1),
        )
        .series(
            Series::new(
                "worst case (measured)",
                SeriesKind::Scatter,
                cap_worst
                    .iter()
                    .map(|r| (r.d_k as f64, r.n_star - 1.0))
                    .collect(),
            )
            .color(PALETTE[4])
            .marker_size(6),
        )
        .series(
            Series::new(
                format!("fit: slope {:.3}", fit_worst.slope),
                SeriesKind::Line,
                line(&|d| fit_worst.prefactor * d.powf(fit_worst.slope)),
            )
            .color(PALETTE[4]),
        )
        .series(
            Series::new(
                "theory 1/E|k·k'| ≈ √(π d_k/2)",
                SeriesKind::Dashed,
                line(&|d| (std::f64::consts::PI * d / 2.0).sqrt()),
            )
            .color(PALETTE[4])
            .line_width(1),
        )
        .series(
            Series::new(
                "Welch-scale coherence: √d_k",
                SeriesKind::Dashed,
                line(&f64::sqrt),
            )
            .color(grey)
            .line_width(1),
        );
    let fig = Figure::new("Capacity of the linear-attention memory M = Σ v kᵀ")
        .size(900, 650)
        .panel(panel);
    let cap_md = report::figure(
        NAME,
        dir,
        "capacity",
        &fig,
        "capacity versus key dimension, log-log; dots measured, solid fits, dashed theory",
    )?;

    // Retrieval curves, collapsed.
    let mut top = Panel::new("(N − 1) / d_k", "bit accuracy")
        .title("average case: random values")
        .legend(Legend::LowerLeft);
    for (k, s) in avg.iter().enumerate() {
        let f = s.pooled(&s.all());
        top = top.series(
            Series::new(
                format!("d_k = {}", s.d),
                SeriesKind::Line,
                (2..=s.n_max)
                    .map(|n| ((n - 1) as f64 / s.d as f64, f[n]))
                    .collect(),
            )
            .color(PALETTE[(k + 1) % PALETTE.len()])
            .line_width(1),
        );
    }
    let x_max = avg
        .iter()
        .map(|s| (s.n_max - 1) as f64 / s.d as f64)
        .fold(f64::INFINITY, f64::min);
    top = top
        .series(
            Series::new(
                "Φ(√(d_k/(N−1)))",
                SeriesKind::Dashed,
                (1..=60)
                    .map(|i| f64::from(i) * x_max / 60.0)
                    .map(|x| (x, stats::normal_cdf((1.0 / x).sqrt())))
                    .collect(),
            )
            .color(Rgb(0, 0, 0))
            .line_width(1),
        )
        .series(
            Series::new(
                "99 %",
                SeriesKind::Dashed,
                vec![(0.0, AVG_THRESHOLD), (x_max, AVG_THRESHOLD)],
            )
            .color(grey)
            .line_width(1),
        );
    let mut bottom = Panel::new("(N − 1) / √d_k", "queries surviving adversarial values")
        .title("worst case: adversarial values")
        .legend(Legend::LowerLeft);
    for (k, s) in worst.iter().enumerate() {
        let f = s.pooled(&s.all());
        let sq = (s.d as f64).sqrt();
        bottom = bottom.series(
            Series::new(
                format!("d_k = {}", s.d),
                SeriesKind::Line,
                (2..=s.n_max).map(|n| ((n - 1) as f64 / sq, f[n])).collect(),
            )
            .color(PALETTE[(k + 1) % PALETTE.len()])
            .line_width(1),
        );
    }
    bottom = bottom.series(
        Series::new(
            "50 %",
            SeriesKind::Dashed,
            vec![(0.0, WORST_THRESHOLD), (2.6, WORST_THRESHOLD)],
        )
        .color(grey)
        .line_width(1),
    );
    let fig = Figure::new("Retrieval versus stored pairs, rescaled by the predicted capacity")
        .size(900, 950)
        .panel(top)
        .panel(bottom);
    let acc_md = report::figure(
        NAME,
        dir,
        "retrieval",
        &fig,
        "retrieval curves collapse when N is rescaled by d_k (average case) and by √d_k (worst case)",
    )?;

    // SNR.
    let mut panel = Panel::new("(N − 1) / d_k", "signal-to-noise ratio")
        .log_x()
        .log_y()
        .legend(Legend::UpperRight);
    for (k, s) in avg.iter().enumerate() {
        panel = panel.series(
            Series::new(
                format!("d_k = {}", s.d),
                SeriesKind::Scatter,
                (2..=s.n_max)
                    .step_by((s.n_max / 25).max(1))
                    .map(|n| ((n - 1) as f64 / s.d as f64, 1.0 / s.extra_mean(n).sqrt()))
                    .collect(),
            )
            .color(PALETTE[(k + 1) % PALETTE.len()])
            .marker_size(3),
        );
    }
    let lo = 1.0 / avg.iter().map(|s| s.d).max().unwrap_or(1) as f64;
    panel = panel.series(
        Series::new(
            "√(d_k/(N−1))",
            SeriesKind::Line,
            (0..=30)
                .map(|i| lo * (3.0 / lo).powf(f64::from(i) / 30.0))
                .map(|x| (x, x.powf(-0.5)))
                .collect(),
        )
        .color(Rgb(0, 0, 0))
        .line_width(1),
    );
    let fig = Figure::new("Average-case signal-to-noise ratio")
        .size(800, 600)
        .panel(panel);
    let snr_md = report::figure(
        NAME,
        dir,
        "snr",
        &fig,
        "SNR = 1 / rms crosstalk versus (N−1)/d_k for every d_k, with the exact expectation",
    )?;
    Ok([cap_md, acc_md, snr_md])
}

#[allow(clippy::too_many_arguments)]
fn report_text(
    mode: Mode,
    cfg: &Config,
    checks: &[Check],
    cap_avg: &[CapacityRow],
    cap_worst: &[CapacityRow],
    fit_avg: &Fit,
    fit_worst: &Fit,
    figs: &[String; 3],
    t_sim: f64,
    total: f64,
) -> String {
    let mut s = String::new();
    let passed = checks.iter().filter(|c| c.pass).count();
    let _ = writeln!(
        s,
        "# pavlovian-attention — Transformers as Pavlovian conditioning (2025)\n"
    );
    let _ = writeln!(
        s,
        "Mode: **{mode}**. Checks: **{passed}/{} passed**.\n",
        checks.len()
    );
    let _ = writeln!(
        s,
        "## What the paper claims\n\nLinear attention is a Hebbian associative memory: storing key→value pairs \
         (conditioned stimulus → unconditioned response) adds outer products, `M = Σ_i v_i k_iᵀ`, and a query \
         `k_j` retrieves `M k_j = v_j (k_j·k_j) + Σ_(i≠j) v_i (k_i·k_j)`. The crosstalk term limits the number of \
         associations: **O(d_k) in the average case, O(√d_k) in the worst case** (PAPERS.md entry 17).\n"
    );
    let _ = writeln!(
        s,
        "## Assumptions (the paper's full text was not available)\n\n\
         * **Keys**: independent, uniformly random unit vectors in R^(d_k). **Values**: ±1 vectors with d_v = {D_V} \
         coordinates, read out by sign (each coordinate is one binary conditioned response). With unit keys the \
         signal is exactly 1.\n\
         * **Average case**: values are independent random signs. The crosstalk on a coordinate has mean 0 and \
         variance exactly (N−1)/d_k (since E[(k·k')²] = 1/d_k), so SNR = √(d_k/(N−1)) and the bit error rate is \
         ≈ Φ(−√(d_k/(N−1))). **Capacity N\\*_avg** = number of stored pairs at which bit accuracy drops below \
         {:.0} %; theory N\\*−1 = d_k/z², z = Φ⁻¹(0.99) = {:.4}.\n\
         * **Worst case** = adversarial values: after the keys are fixed, an adversary sets every other stored \
         value against the queried one, v_i = −v_j·sign(k_i·k_j) (equivalently it flips the signs of stored keys). \
         Retrieval of pair j then survives iff S_j = Σ_(i≠j) |k_i·k_j| < 1 — exactly the condition a guarantee \
         \"for every choice of stored values\" needs. S_j grows by E|k·k'| = Γ(d/2)/(√π Γ((d+1)/2)) ≈ √(2/(π d_k)) \
         per stored pair, so **capacity N\\*_worst** (the N at which half of the queries can be broken) is \
         N\\*−1 ≈ 1/E|k·k'| ≈ √(π d_k/2) ∝ √d_k. The same √d_k follows for any key set whose pairwise coherence \
         is at the Welch-bound scale μ ≈ 1/√d_k (the smallest achievable for N ≫ d_k keys, and what random keys \
         have up to a log factor): aligned crosstalk requires (N−1)μ < 1, i.e. N\\*−1 = √d_k (grey line in the \
         capacity figure). Why √: random overlaps are ±1/√d_k; summed with random signs they grow like √N \
         (so N ∝ d_k), summed coherently they grow like N (so N ∝ √d_k).\n\
         * **Fit**: least squares of ln(N\\*−1) on ln d_k (N\\*−1 is the number of interfering pairs; using N\\* \
         itself would bend the small-d_k end). N\\* is interpolated linearly between integer N on the pooled \
         curve. 95 % confidence intervals: {} bootstrap resamples of the independent trials within each d_k.\n",
        AVG_THRESHOLD * 100.0,
        z99(),
        cfg.bootstrap
    );
    let _ = writeln!(
        s,
        "## What was run\n\nAverage case: d_k ∈ {:?}; worst case: d_k ∈ {:?}; every memory size N = 1…N_max per \
         trial (prefixes of one random sequence of pairs), trials per d_k chosen for ≈ {} bits (average case) \
         and ≈ {} queries (worst case) read out at the capacity, at least {} trials. Seeded (seed {SEED}), deterministic for any thread count. Simulation {:.1} s, \
         total {:.1} s.\n",
        cfg.dims_avg,
        cfg.dims_worst,
        cfg.samples_avg,
        cfg.samples_worst,
        cfg.min_trials,
        t_sim,
        total
    );
    let _ = writeln!(s, "## Checks\n\n{}", report::checks_table(checks));
    let _ = writeln!(
        s,
        "**Exponent tolerance ±{EXPONENT_TOLERANCE}.** It has to cover (i) sampling error — the bootstrap \
         intervals below — and (ii) finite-size bias of the measurement: N\\* is read off an integer-N curve, and \
         for small d_k the crosstalk is a sum of few non-Gaussian terms (about 6 at d_k = 32). The theory curves \
         themselves have slopes {:.4} (average) and {:.4} (worst) over the same grids. ±0.05 is well inside the gap \
         between the two hypotheses (0.5 apart), so passing both checks distinguishes O(d_k) from O(√d_k).\n",
        fit_avg.theory_slope, fit_worst.theory_slope
    );
    let mut t = Table::new(&[
        "case",
        "threshold",
        "exponent",
        "95 % CI",
        "expected",
        "CI holds expected",
        "theory slope on this grid",
        "prefactor",
        "theory prefactor",
    ]);
    for (f, pre) in [
        (fit_avg, 1.0 / (z99() * z99())),
        (fit_worst, (std::f64::consts::PI / 2.0).sqrt()),
    ] {
        t.row(vec![
            f.case.into(),
            format!("{}", f.threshold),
            format!("{:.4}", f.slope),
            format!("[{:.4}, {:.4}]", f.ci_low, f.ci_high),
            format!("{}", f.expected_slope),
            if (f.ci_low..=f.ci_high).contains(&f.expected_slope) {
                "yes"
            } else {
                "no"
            }
            .into(),
            format!("{:.4}", f.theory_slope),
            num(f.prefactor),
            num(pre),
        ]);
    }
    let _ = writeln!(
        s,
        "## Fitted exponents\n\n{}\nWhere an interval excludes the asymptotic exponent, compare it with the \
         theory slope over the same finite grid of d_k (finite-size corrections such as E|k·k'|·√(π d_k/2) → 1 \
         and the gap between the median and the mean of S at small d_k); the exponent checks use the fixed \
         tolerance above, not the interval.\n",
        t.render()
    );
    let mut t = Table::new(&[
        "case",
        "d_k",
        "trials",
        "N* measured",
        "N* theory",
        "(N*−1)/theory",
    ]);
    for r in cap_avg.iter().chain(cap_worst) {
        t.row(vec![
            r.case.into(),
            r.d_k.to_string(),
            r.trials.to_string(),
            format!("{:.2}", r.n_star),
            format!("{:.2}", r.n_star_theory),
            format!("{:.3}", r.ratio),
        ]);
    }
    let _ = writeln!(s, "## Capacity per key dimension\n\n{}", t.render());
    let _ = writeln!(s, "## Figures\n\n{}\n{}\n{}", figs[0], figs[1], figs[2]);
    let _ = writeln!(
        s,
        "## What differs and why\n\n\
         * There are no published numbers to compare with; the checks test the stated scaling laws and the exact \
         moments of the crosstalk (its variance (N−1)/d_k in the average case, its mean (N−1)·E|k·k'| under \
         adversarial values). The prefactors depend on our thresholds (99 % bit accuracy; half of the queries \
         broken) and would change with other definitions; the exponents do not.\n\
         * \"Worst case\" here is adversarial *values* on random keys. Adversarial *keys* without a coherence \
         constraint make capacity 1 (two equal keys); with coherence bounded at the Welch scale 1/√d_k the bound is \
         the grey √d_k line, parallel to our measurement.\n\
         * The softmax of standard attention is not modelled; the claim concerns linear attention.\n"
    );
    let _ = writeln!(
        s,
        "## Files\n\n`metrics.json`: checks; `tables.capacity` (N\\* per d_k and case), `tables.fits` (slopes, \
         intervals), `tables.curves_average` / `tables.curves_worst` (accuracy or surviving fraction and SNR for \
         every d_k and N). Figures are SVG and PNG."
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_abs_overlap_limits() {
        // d = 2: |cos φ| for uniform φ has mean 2/π.
        assert!((mean_abs_overlap(2) - 2.0 / std::f64::consts::PI).abs() < 1e-12);
        // d = 3: |z| for uniform z on [-1, 1] has mean 1/2.
        assert!((mean_abs_overlap(3) - 0.5).abs() < 1e-12);
        let d = 4096.0;
        assert!(
            (mean_abs_overlap(4096) / (2.0 / (std::f64::consts::PI * d)).sqrt() - 1.0).abs() < 1e-3
        );
    }

    #[test]
    fn crossing_interpolates() {
        let f = [f64::NAN, 1.0, 0.995, 0.985, 0.9];
        assert!((crossing(&f, 0.99) - 2.5).abs() < 1e-12);
        assert!(crossing(&[f64::NAN, 1.0, 1.0], 0.5).is_nan());
    }

    #[test]
    fn gram_of_unit_keys() {
        let mut rng = stream(3, 4);
        let k = random_keys(&mut rng, 5, 33);
        let c = gram(&k, 5, 33);
        for i in 0..5 {
            let direct = dot(&k[i * 33..(i + 1) * 33], &k[i * 33..(i + 1) * 33]);
            assert!((direct - 1.0).abs() < 1e-12);
            for j in 0..5 {
                assert_eq!(c[i * 5 + j], c[j * 5 + i]);
            }
        }
    }
}
