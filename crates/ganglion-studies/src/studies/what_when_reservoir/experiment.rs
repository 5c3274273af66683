//! One seed: one reservoir run on the engine, then every readout streamed through the
//! timing-change and probability-change experiments on the same reservoir states.

use super::reservoir;
use super::task::{self, Layout, TaskStream};
use super::{NAME, Settings};
use crate::{StudyError, stats};
use ganglion_learn::readout::{
    ForceReadout, OnlineReadout, OnlineStream, ThreeFactorReadout, readaptation_epochs,
    run_protocol,
};
use serde::Serialize;

/// The readouts compared.
pub const READOUTS: [&str; 3] = ["three-factor", "FORCE (no reset)", "FORCE (reset)"];
/// The experiments: which part of the task changes at the change trial.
pub const EXPERIMENTS: [&str; 2] = ["timing", "probability"];

/// One readout in one experiment of one seed.
#[derive(Debug, Clone, Serialize)]
pub struct ReadoutResult {
    /// Seed index.
    pub seed: usize,
    /// Experiment name.
    pub experiment: &'static str,
    /// Readout name.
    pub readout: &'static str,
    /// Per trial: mean squared deviation of the prediction from `E[target]` (gated bins).
    pub trial_error: Vec<f64>,
    /// Mean trial error over the last trials before the change.
    pub error_before: f64,
    /// Mean trial error over the last trials of the run.
    pub error_after: f64,
    /// Trials after the change until re-adapted (the run's remaining trials if never).
    pub readapt_trials: f64,
    /// Whether it re-adapted before the run ended.
    pub readapted: bool,
    /// Threshold used for re-adaptation.
    pub threshold: f64,
    /// Cue-aligned mean output `[phase][cue][output][bin]` over the last trials of each phase.
    pub profiles: Vec<Vec<Vec<Vec<f64>>>>,
    /// Peak amplitude of output `c` after cue `c`, `[phase][cue]`.
    pub amplitude: [[f64; 2]; 2],
    /// Peak time of output `c` after cue `c` \[ms after onset\], `[phase][cue]`.
    pub peak_ms: [[f64; 2]; 2],
    /// Peak of the *other* output after cue `c` ("what" leakage), `[phase][cue]`.
    pub cross_peak: [[f64; 2]; 2],
    /// The FORCE regulariser of this seed and experiment (the same for all readouts; only
    /// FORCE uses it).
    pub prior: RidgePrior,
}

/// FORCE's regulariser `δ` (`P(0) = I/δ`) from the ridge (Bayesian) rule
/// `δ = E‖x‖² · σ_n² / σ_s²`, and the quantities it is made of.
///
/// RLS started from `P(0) = I/δ` and zero weights computes, after every sample, the posterior
/// mean of linear regression with the prior `w ~ N(0, (σ_n²/δ) I)` and target noise variance
/// `σ_n²`, i.e. ridge regression with penalty `δ‖w‖²` (Bishop 2006, PRML §3.3.1: ridge
/// λ = α/β; Haykin, Adaptive Filter Theory, ch. 10: RLS as exact recursive least squares with
/// regulariser `δ‖w‖²`). Choosing the prior so that the readout's output `wᵀx` has, a priori,
/// the variance `σ_s²` of the signal it is to predict, `σ_w² E‖x‖² = σ_s²`, gives
/// `δ = σ_n²/σ_w² = E‖x‖² σ_n²/σ_s²`: the regulariser grows with the number of features and
/// their squared magnitude (so the relative regularisation is the same for 150 and 400
/// neurons) and with the target's noise-to-signal ratio (Haykin's rule: small `δ` for high
/// SNR, large for low SNR). It is the Hoerl–Kennard–Baldwin ridge constant `k = p σ²/‖β‖²`
/// (Hoerl, Kennard & Baldwin 1975, Commun. Stat. 4:105) written for unscaled sums.
/// Sussillo & Abbott (2009) fit noiseless targets (σ_n → 0), hence their small `α`; here the
/// targets are Bernoulli outcomes with SNR ≈ 1.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RidgePrior {
    /// Mean squared norm of the feature vector with its bias 1 over the gated bins of the
    /// first phase, `E‖x‖²`.
    pub mean_sq_norm: f64,
    /// Target noise variance `σ_n²`: mean over gated first-phase bins of
    /// `Σ_o (y*_o − E[y*_o])²`.
    pub noise: f64,
    /// Signal variance `σ_s²`: `Σ_o Var(E[y*_o])` over the same bins.
    pub signal: f64,
    /// `δ = E‖x‖² σ_n² / σ_s²`.
    pub delta: f64,
}

/// The ridge prior of [`RidgePrior`] from the features `states` (`bins × nf`) and the task's
/// first phase (trials before `change`): only what the readouts are given before the change
/// (the task's design and the reservoir's activity) enters.
pub fn ridge_prior(states: &[f64], nf: usize, ts: &TaskStream, change: usize) -> RidgePrior {
    let (mut norm, mut noise, mut n) = (0.0, 0.0, 0usize);
    let (mut m, mut m2) = ([0.0; 2], [0.0; 2]);
    for b in 0..ts.gate.len() {
        if ts.gate[b] <= 0.0 || ts.epoch[b] >= change {
            continue;
        }
        n += 1;
        norm += 1.0
            + states[b * nf..(b + 1) * nf]
                .iter()
                .map(|x| x * x)
                .sum::<f64>();
        for o in 0..2 {
            let (y, e) = (ts.targets[b * 2 + o], ts.expected[b * 2 + o]);
            noise += (y - e) * (y - e);
            m[o] += e;
            m2[o] += e * e;
        }
    }
    let nf64 = n.max(1) as f64;
    let signal: f64 = (0..2).map(|o| m2[o] / nf64 - (m[o] / nf64).powi(2)).sum();
    let (mean_sq_norm, noise) = (norm / nf64, noise / nf64);
    RidgePrior {
        mean_sq_norm,
        noise,
        signal,
        delta: mean_sq_norm * noise / signal,
    }
}

/// Reservoir activity statistics of one seed.
#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    /// Seed index.
    pub seed: usize,
    /// Excitatory mean rate \[Hz\].
    pub rate_exc_hz: f64,
    /// Inhibitory mean rate \[Hz\].
    pub rate_inh_hz: f64,
    /// Mean CV of inter-spike intervals (neurons with ≥ 3 spikes).
    pub cv_isi: f64,
    /// Excitatory rate in the 100 ms after cue onset over that in the 100 ms before \[ratio\].
    pub cue_gain: f64,
    /// Simulated time \[s\].
    pub simulated_s: f64,
    /// Engine step-loop wall time \[s\].
    pub simulate_wall_s: f64,
}

/// Everything one seed produced.
pub struct SeedResult {
    /// Per experiment × readout.
    pub readouts: Vec<ReadoutResult>,
    /// Reservoir activity.
    pub activity: Activity,
}

/// A study error with `message`.
pub fn study_error(message: String) -> StudyError {
    StudyError::study(NAME, message)
}

/// Runs seed `s`.
pub fn run_seed(s: usize, set: &Settings) -> Result<SeedResult, StudyError> {
    let seed = 1000 + s as u64;
    let lay = &set.layout;
    let mut rng = stats::stream(seed, 0x7121);
    let n_trials = 2 * set.trials_per_phase;
    let trials = lay.trials(n_trials, &mut rng);
    let cues = lay.cue_series(&trials);
    let cfg = &set.reservoir;
    let duration = trials.bins as f64 * lay.bin_ms;
    let spikes = reservoir::run(cfg, duration, &cues, lay.bin_ms, seed)?;
    let activity = activity(s, &spikes, &trials, lay);
    let (bins, raw) = reservoir::filtered_states(&spikes, lay.bin_ms, &set.taus_ms);
    let states = standardise(&raw, bins);
    let nf = raw.len() / bins;
    let mut out = Vec::new();
    for (ei, (exp, phase2)) in EXPERIMENTS
        .iter()
        .zip([set.timing_change, set.prob_change])
        .enumerate()
    {
        let change = set.trials_per_phase;
        let ts = lay.stream(
            &trials,
            &[set.phase1, phase2],
            &[0, change],
            &mut task::outcome_rng(seed, ei as u64),
        );
        // What a readout that kept the old task's ideal prediction would score after the change.
        let old = lay.stream(
            &trials,
            &[set.phase1],
            &[0],
            &mut task::outcome_rng(seed, 99),
        );
        let stale = stale_error(&ts, &old.expected, change);
        let prior = ridge_prior(&states, nf, &ts, change);
        let stream = OnlineStream {
            features: nf,
            outputs: 2,
            states: &states,
            targets: &ts.targets,
            expected: &ts.expected,
            gate: &ts.gate,
            epoch: &ts.epoch,
            changes: &[change],
        };
        for (ri, name) in READOUTS.iter().enumerate() {
            let mut ro: Box<dyn OnlineReadout> = match ri {
                0 => Box::new(
                    ThreeFactorReadout::new(
                        nf,
                        2,
                        if set.normalise {
                            set.eta
                        } else {
                            set.eta / nf as f64
                        },
                        0.0,
                        set.normalise,
                    )
                    .map_err(|e| study_error(e.to_string()))?,
                ),
                _ => Box::new(
                    ForceReadout::new(nf, 2, prior.delta, 1.0, ri == 2)
                        .map_err(|e| study_error(e.to_string()))?,
                ),
            };
            let tr = run_protocol(ro.as_mut(), &stream).map_err(|e| study_error(e.to_string()))?;
            out.push(summarise(
                s,
                exp,
                name,
                &tr.predictions,
                tr.epoch_error,
                &trials,
                change,
                stale,
                set,
                prior,
            ));
        }
    }
    Ok(SeedResult {
        readouts: out,
        activity,
    })
}

/// Features standardised to zero mean and unit variance over the run (task-independent
/// preprocessing; constant features stay 0).
fn standardise(raw: &[f64], bins: usize) -> Vec<f64> {
    let nf = raw.len() / bins;
    let mut mean = vec![0.0; nf];
    let mut sq = vec![0.0; nf];
    for row in raw.chunks_exact(nf) {
        for j in 0..nf {
            mean[j] += row[j];
            sq[j] += row[j] * row[j];
        }
    }
    let sd: Vec<f64> = (0..nf)
        .map(|j| {
            mean[j] /= bins as f64;
            let v = sq[j] / bins as f64 - mean[j] * mean[j];
            if v > 1e-12 { v.sqrt() } else { f64::INFINITY }
        })
        .collect();
    raw.chunks_exact(nf)
        .flat_map(|row| {
            (0..nf)
                .map(|j| (row[j] - mean[j]) / sd[j])
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Mean over trials from `change` on of the per-trial mean squared difference between the
/// new and the old expected targets (gated bins).
fn stale_error(ts: &TaskStream, old: &[f64], change: usize) -> f64 {
    let trials = ts.epoch.last().map_or(0, |e| e + 1);
    let (mut sum, mut cnt) = (vec![0.0; trials], vec![0usize; trials]);
    for b in 0..ts.gate.len() {
        if ts.gate[b] > 0.0 {
            let e = ts.epoch[b];
            for o in 0..2 {
                let d = ts.expected[b * 2 + o] - old[b * 2 + o];
                sum[e] += d * d;
            }
            cnt[e] += 2;
        }
    }
    let per: Vec<f64> = (change..trials)
        .filter(|&e| cnt[e] > 0)
        .map(|e| sum[e] / cnt[e] as f64)
        .collect();
    stats::mean(&per)
}

#[allow(clippy::too_many_arguments)]
fn summarise(
    seed: usize,
    experiment: &'static str,
    readout: &'static str,
    pred: &[f64],
    trial_error: Vec<f64>,
    trials: &task::Trials,
    change: usize,
    stale: f64,
    set: &Settings,
    prior: RidgePrior,
) -> ReadoutResult {
    let lay: &Layout = &set.layout;
    let n = trials.cue.len();
    let len = (lay.trial_ms / lay.bin_ms).round() as usize;
    let k = set.score_trials;
    let mut profiles = vec![vec![vec![vec![0.0; len]; 2]; 2]; 2];
    for (ph, range) in [(0, change - k..change), (1, n - k..n)] {
        let mut count = [0usize; 2];
        for i in range {
            let c = trials.cue[i];
            count[c] += 1;
            for (b, t) in (trials.onset[i]..trials.onset[i] + len).enumerate() {
                for o in 0..2 {
                    profiles[ph][c][o][b] += pred[t * 2 + o];
                }
            }
        }
        for (c, outs) in profiles[ph].iter_mut().enumerate() {
            for v in outs.iter_mut().flatten() {
                *v /= count[c].max(1) as f64;
            }
        }
    }
    let mut amplitude = [[0.0; 2]; 2];
    let mut peak_ms = [[0.0; 2]; 2];
    let mut cross_peak = [[0.0; 2]; 2];
    for ph in 0..2 {
        for c in 0..2 {
            let p = &profiles[ph][c][c];
            let (ib, &amp) = p
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap_or((0, &f64::NAN));
            amplitude[ph][c] = amp;
            peak_ms[ph][c] = (ib + 1) as f64 * lay.bin_ms;
            cross_peak[ph][c] = profiles[ph][c][1 - c]
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
        }
    }
    let window = set.readapt_window;
    let error_before = stats::mean(&finite(&trial_error[change - k..change]));
    let error_after = stats::mean(&finite(&trial_error[n - k..n]));
    let threshold = error_before + 0.25 * stale;
    let r = readaptation_epochs(&trial_error, change, window, threshold);
    ReadoutResult {
        seed,
        experiment,
        readout,
        error_before,
        error_after,
        readapt_trials: r.map_or((n - change) as f64, |v| v as f64),
        readapted: r.is_some(),
        threshold,
        trial_error,
        profiles,
        amplitude,
        peak_ms,
        cross_peak,
        prior,
    }
}

fn finite(v: &[f64]) -> Vec<f64> {
    v.iter().copied().filter(|x| x.is_finite()).collect()
}

fn activity(seed: usize, s: &reservoir::RunSpikes, tr: &task::Trials, lay: &Layout) -> Activity {
    let n = s.size;
    let mut count = vec![0usize; n];
    let mut last = vec![f64::NAN; n];
    let (mut isi_s, mut isi_s2, mut isi_n) = (vec![0.0; n], vec![0.0; n], vec![0usize; n]);
    for &(t, i) in &s.spikes {
        count[i] += 1;
        if last[i].is_finite() {
            let d = t - last[i];
            isi_s[i] += d;
            isi_s2[i] += d * d;
            isi_n[i] += 1;
        }
        last[i] = t;
    }
    let secs = s.duration_ms / 1000.0;
    let ne = s.n_exc;
    let rate = |r: std::ops::Range<usize>| {
        let len = r.len();
        r.map(|i| count[i]).sum::<usize>() as f64 / len.max(1) as f64 / secs
    };
    let cvs: Vec<f64> = (0..n)
        .filter(|&i| isi_n[i] >= 2)
        .map(|i| {
            let m = isi_s[i] / isi_n[i] as f64;
            ((isi_s2[i] / isi_n[i] as f64 - m * m).max(0.0)).sqrt() / m
        })
        .collect();
    // Excitatory spikes in the 100 ms after each cue onset vs the 100 ms before.
    let (mut after, mut before) = (0usize, 0usize);
    let mut k = 0;
    let onsets: Vec<f64> = tr.onset.iter().map(|&o| o as f64 * lay.bin_ms).collect();
    for &(t, i) in &s.spikes {
        if i >= ne {
            continue;
        }
        while k < onsets.len() && onsets[k] + 100.0 <= t {
            k += 1;
        }
        if k < onsets.len() && t >= onsets[k] && t < onsets[k] + 100.0 {
            after += 1;
        } else if k < onsets.len() && t >= onsets[k] - 100.0 && t < onsets[k] {
            before += 1;
        }
    }
    Activity {
        seed,
        rate_exc_hz: rate(0..ne),
        rate_inh_hz: rate(ne..n),
        cv_isi: stats::mean(&cvs),
        cue_gain: after as f64 / before.max(1) as f64,
        simulated_s: secs,
        simulate_wall_s: s.simulate_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-computed case: only gated bins before the change count.
    #[test]
    fn ridge_prior_by_hand() {
        // Bins 0, 1 count; bin 2 is ungated, bin 3 is after the change (trial 1).
        let states = [1.0, 2.0, 0.0, 1.0, 9.0, 9.0, 9.0, 9.0];
        let ts = TaskStream {
            targets: vec![1.0, 0.0, 0.0, 1.0, 5.0, 5.0, 5.0, 5.0],
            expected: vec![0.5, 0.0, 0.1, 0.2, 3.0, 3.0, 3.0, 3.0],
            gate: vec![1.0, 1.0, 0.0, 1.0],
            epoch: vec![0, 0, 0, 1],
            occurred: vec![true, false],
        };
        let p = ridge_prior(&states, 2, &ts, 1);
        // E‖x‖² with the bias: ((1 + 1 + 4) + (1 + 0 + 1)) / 2 = 4.
        assert!((p.mean_sq_norm - 4.0).abs() < 1e-12, "{p:?}");
        // σ_n²: (0.5² + 0) and (0.1² + 0.8²) → mean 0.45.
        assert!((p.noise - 0.45).abs() < 1e-12, "{p:?}");
        // σ_s²: Var(0.5, 0.1) + Var(0, 0.2) = 0.04 + 0.01.
        assert!((p.signal - 0.05).abs() < 1e-12, "{p:?}");
        assert!((p.delta - 4.0 * 0.45 / 0.05).abs() < 1e-9, "{p:?}");
    }
}
