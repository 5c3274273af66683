//! Building and running one Brunel network, and the measures taken on it.

use ganglion_model::{
    Circuit, Connectivity, Input, Monitor, Population, Projection, Sign, Simulation, Value,
    validate_circuit,
};

use crate::StudyError;
use crate::stats::erfcx_pos;

use super::NAME;

/// Membrane time constant τ \[ms\].
pub const TAU_MS: f64 = 20.0;
/// Threshold θ \[mV\] (rest at 0 mV).
pub const THETA_MV: f64 = 20.0;
/// Reset V_r \[mV\].
pub const V_RESET_MV: f64 = 10.0;
/// Absolute refractory period τ_rp \[ms\].
pub const T_REF_MS: f64 = 2.0;
/// Transmission delay D \[ms\].
pub const DELAY_MS: f64 = 1.5;
/// Integration step \[ms\].
pub const DT_MS: f64 = 0.1;
/// Width of the population-activity bins used for synchrony and spectra \[ms\].
pub const BIN_MS: f64 = 0.5;
/// Fraction of inhibitory neurons and of inhibitory inputs, γ = C_I / C_E.
pub const GAMMA: f64 = 0.25;

/// Network size and run length. The paper's model A is `n_e = 10000`,
/// `c_e = 1000`, `j_mv = 0.1`.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Scale {
    /// Excitatory neurons N_E (N_I = N_E / 4).
    pub n_e: usize,
    /// Excitatory in-degree C_E (C_I = C_E / 4, C_ext = C_E).
    pub c_e: u64,
    /// Excitatory efficacy J \[mV\]; inhibitory −gJ.
    pub j_mv: f64,
    /// Simulated time \[ms\].
    pub t_ms: f64,
    /// Initial transient excluded from every measure \[ms\].
    pub transient_ms: f64,
}

impl Scale {
    /// ν_thr = θ / (J C_E τ) \[Hz\]: the external rate that brings the mean
    /// input to threshold without feedback.
    pub fn nu_thr_hz(&self) -> f64 {
        THETA_MV / (self.j_mv * self.c_e as f64 * TAU_MS) * 1000.0
    }
}

/// A population of `n` of Brunel's neurons (`iaf_psc_delta`: τ, θ, V_r, τ_rp above, rest
/// 0 mV), membranes started uniform in [0, 20] mV.
pub fn population(name: &str, n: usize) -> Population {
    Population::new(name, n, "iaf_psc_delta")
        .param("tau_m", format!("{TAU_MS} ms").as_str())
        .param("E_L", "0 mV")
        .param("V_th", format!("{THETA_MV} mV").as_str())
        .param("V_reset", format!("{V_RESET_MV} mV").as_str())
        .param("t_ref", format!("{T_REF_MS} ms").as_str())
        .init("V_m", Value::uniform("0 mV", "20 mV"))
}

/// The circuit for inhibition `g`, drive `eta` = ν_ext/ν_thr.
pub fn circuit(scale: &Scale, g: f64, eta: f64, seed: u64) -> Circuit {
    let (ne, ce) = (scale.n_e, scale.c_e);
    let (ni, ci) = (ne / 4, ce / 4);
    let j = scale.j_mv;
    let pop = population;
    let mut sim = Simulation::new(
        format!("{DT_MS} ms").as_str(),
        format!("{} ms", scale.t_ms).as_str(),
    );
    sim.seed = seed;
    sim.threads = 1;
    let mut c = Circuit::new(sim)
        .population(pop("exc", ne).sign(Sign::Excitatory))
        .population(pop("inh", ni).sign(Sign::Inhibitory));
    // One Poisson train of rate C_E ν_ext per neuron stands for C_E
    // independent external neurons firing at ν_ext.
    let ext_rate = eta * scale.nu_thr_hz() * ce as f64;
    for t in ["exc", "inh"] {
        c = c
            .projection(
                Projection::new("exc", t, Connectivity::fixed_indegree(ce))
                    .weight(format!("{j} mV").as_str())
                    .delay(format!("{DELAY_MS} ms").as_str()),
            )
            .projection(
                Projection::new("inh", t, Connectivity::fixed_indegree(ci))
                    .weight(format!("{} mV", -g * j).as_str())
                    .delay(format!("{DELAY_MS} ms").as_str()),
            )
            .input(Input::poisson(
                t,
                format!("{ext_rate} Hz").as_str(),
                format!("{j} mV").as_str(),
            ));
    }
    c.monitor(Monitor::spikes("exc"))
}

/// The four regimes of the paper's phase diagram (Fig. 2), plus the two
/// outcomes a simulation can have outside them: a silent network and an
/// asynchronous state of regularly firing neurons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Regime {
    /// Synchronous regular.
    #[serde(rename = "SR")]
    Sr,
    /// Asynchronous irregular.
    #[serde(rename = "AI")]
    Ai,
    /// Synchronous irregular, fast global oscillation.
    #[serde(rename = "SI fast")]
    SiFast,
    /// Synchronous irregular, slow global oscillation.
    #[serde(rename = "SI slow")]
    SiSlow,
    /// Asynchronous regular (not one of the four; near-saturated firing).
    #[serde(rename = "AR")]
    Ar,
    /// No activity after the transient.
    #[serde(rename = "quiescent")]
    Quiescent,
}

impl Regime {
    /// Label as in the paper.
    pub fn label(self) -> &'static str {
        match self {
            Self::Sr => "SR",
            Self::Ai => "AI",
            Self::SiFast => "SI fast",
            Self::SiSlow => "SI slow",
            Self::Ar => "AR",
            Self::Quiescent => "quiescent",
        }
    }
    /// All, in legend order.
    pub const ALL: [Regime; 6] = [
        Regime::Sr,
        Regime::Ai,
        Regime::SiFast,
        Regime::SiSlow,
        Regime::Ar,
        Regime::Quiescent,
    ];
}

/// Synchrony at or above which the population activity counts as
/// oscillating (see [`synchrony`]).
pub const SYNC_THRESHOLD: f64 = 0.75;
/// Mean CV of ISIs below which single neurons count as regular.
pub const CV_THRESHOLD: f64 = 0.2;
/// Fraction of neurons that must have ≥ 3 spikes in the window for the
/// population to count as regular (a few active neurons in a quiet network
/// are not "regular firing").
pub const CV_MIN_FRACTION: f64 = 0.5;
/// Oscillation frequency separating slow from fast global oscillations \[Hz\].
pub const F_SPLIT_HZ: f64 = 80.0;
/// Mean rate below which the network counts as quiescent \[Hz\].
pub const QUIESCENT_HZ: f64 = 0.1;
/// Spectral peaks are searched in `[F_MIN_HZ, 1 / (2 BIN_MS))`.
pub const F_MIN_HZ: f64 = 5.0;

/// The documented classification rule. Neurons are *regular* when at least
/// [`CV_MIN_FRACTION`] of them have ≥ 3 spikes in the window (`cv_fraction`)
/// and their mean CV < [`CV_THRESHOLD`]; a NaN CV counts as irregular.
///
/// * rate < [`QUIESCENT_HZ`] → quiescent;
/// * synchrony < [`SYNC_THRESHOLD`] → AR if regular, else AI;
/// * else regular → SR;
/// * else f_peak ≥ [`F_SPLIT_HZ`] → SI fast, otherwise SI slow.
pub fn classify(rate_hz: f64, synchrony: f64, cv: f64, cv_fraction: f64, f_peak_hz: f64) -> Regime {
    let regular = cv_fraction >= CV_MIN_FRACTION && cv < CV_THRESHOLD;
    if !(rate_hz >= QUIESCENT_HZ) {
        Regime::Quiescent
    } else if synchrony < SYNC_THRESHOLD {
        if regular { Regime::Ar } else { Regime::Ai }
    } else if regular {
        Regime::Sr
    } else if f_peak_hz >= F_SPLIT_HZ {
        Regime::SiFast
    } else {
        Regime::SiSlow
    }
}

/// Everything measured on one run.
#[derive(Debug, Clone)]
pub struct Run {
    pub g: f64,
    pub eta: f64,
    /// Mean excitatory rate after the transient \[Hz\].
    pub rate_hz: f64,
    /// Mean CV of ISIs over excitatory neurons with ≥ 3 spikes after the transient.
    pub cv_isi: f64,
    /// Neurons that entered the CV mean.
    pub cv_neurons: usize,
    /// See [`synchrony`].
    pub synchrony: f64,
    /// Peak of the power spectrum of the population activity \[Hz\].
    pub f_peak_hz: f64,
    pub regime: Regime,
    /// Excitatory population activity in [`BIN_MS`] bins after the transient \[Hz\].
    pub activity_hz: Vec<f64>,
    /// `(f [Hz], power)` of the population activity (normalised to max 1).
    pub spectrum: Vec<(f64, f64)>,
    /// Spikes of the first raster neurons: (time \[ms\], neuron).
    pub raster: Vec<(f64, u32)>,
    /// Wall time of build + run \[s\].
    pub wall_s: f64,
}

/// Neurons shown in rasters.
pub const RASTER_NEURONS: u32 = 50;

/// Builds, runs and measures one network.
pub fn run(scale: &Scale, g: f64, eta: f64, seed: u64) -> Result<Run, StudyError> {
    let started = std::time::Instant::now();
    let err = |message: String| StudyError::study(NAME, message);
    let c = circuit(scale, g, eta, seed);
    let resolved = validate_circuit(&c).map_err(|e| err(format!("invalid circuit: {e}")))?;
    let res = ganglion_sim::Network::build(&resolved)
        .and_then(|mut n| n.run(None))
        .map_err(|e| err(format!("simulation g={g} eta={eta}: {e}")))?;
    let spikes = res
        .spikes
        .first()
        .ok_or_else(|| err("no spike recording".into()))?;
    let t0 = scale.transient_ms;
    let t1 = scale.t_ms;
    let mut m = measure(&spikes.times_ms, &spikes.senders, scale.n_e, t0, t1);
    m.g = g;
    m.eta = eta;
    m.wall_s = started.elapsed().as_secs_f64();
    Ok(m)
}

/// Measures on recorded spikes of `n` neurons in the window `[t0, t1)` ms.
pub fn measure(times: &[f64], senders: &[u32], n: usize, t0: f64, t1: f64) -> Run {
    let window_s = (t1 - t0) / 1000.0;
    let mut per_neuron: Vec<Vec<f64>> = vec![Vec::new(); n];
    let n_bins = ((t1 - t0) / BIN_MS).round() as usize;
    let mut counts = vec![0.0f64; n_bins];
    let mut total = 0u64;
    let mut raster = Vec::new();
    for (&t, &i) in times.iter().zip(senders) {
        if t < t0 || t >= t1 {
            continue;
        }
        total += 1;
        per_neuron[i as usize].push(t);
        let b = (((t - t0) / BIN_MS) as usize).min(n_bins - 1);
        counts[b] += 1.0;
        if i < RASTER_NEURONS {
            raster.push((t, i));
        }
    }
    let rate_hz = total as f64 / n as f64 / window_s;
    let (cv_isi, cv_neurons) = mean_cv(&per_neuron);
    let synchrony = synchrony(&counts);
    let spectrum = spectrum(&counts, BIN_MS);
    // A flat (e.g. silent) activity has no peak.
    let f_peak_hz = ganglion_analysis::spectrum::peak(&spectrum).map_or(f64::NAN, |p| p.0);
    let norm = spectrum.iter().map(|p| p.1).fold(0.0, f64::max);
    let spectrum = spectrum
        .into_iter()
        .map(|(f, p)| (f, if norm > 0.0 { p / norm } else { 0.0 }))
        .collect();
    let scale = 1000.0 / (BIN_MS * n as f64);
    Run {
        g: f64::NAN,
        eta: f64::NAN,
        rate_hz,
        cv_isi,
        cv_neurons,
        synchrony,
        f_peak_hz,
        regime: classify(
            rate_hz,
            synchrony,
            cv_isi,
            cv_neurons as f64 / n as f64,
            f_peak_hz,
        ),
        activity_hz: counts.iter().map(|c| c * scale).collect(),
        spectrum,
        raster,
        wall_s: 0.0,
    }
}

/// Mean CV of inter-spike intervals over neurons with at least 3 spikes
/// (NaN when there are none), and how many neurons entered.
pub fn mean_cv(per_neuron: &[Vec<f64>]) -> (f64, usize) {
    let (cv, k) = ganglion_sim::record::mean_cv(per_neuron);
    (cv.unwrap_or(f64::NAN), k)
}

/// Synchrony of the population activity (see
/// [`ganglion_analysis::spikes::synchrony`]): the standard deviation of the
/// population spike count per bin in excess of the Poisson expectation,
/// relative to its mean.
pub use ganglion_analysis::spikes::synchrony;

/// Hann-windowed periodogram of the mean-removed series `x` (sampled every
/// `bin_ms`) at 1 Hz steps from [`F_MIN_HZ`] to just below Nyquist.
pub fn spectrum(x: &[f64], bin_ms: f64) -> Vec<(f64, f64)> {
    ganglion_analysis::spectrum::periodogram(x, bin_ms, F_MIN_HZ, 1.0)
}

/// `exp(u²) (1 + erf u)`, the integrand of the Siegert formula.
fn siegert_integrand(u: f64) -> f64 {
    if u <= 0.0 {
        erfcx_pos(-u)
    } else {
        2.0 * (u * u).exp() - erfcx_pos(u)
    }
}

/// Stationary rate \[Hz\] of a leaky integrate-and-fire neuron with Gaussian
/// white-noise input of mean `mu` and s.d. `sigma` (mV): Brunel (2000) Eq. 21,
/// `1/ν = τ_rp + τ √π ∫_{(V_r−μ)/σ}^{(θ−μ)/σ} e^{u²}(1 + erf u) du`.
pub fn siegert_hz(mu: f64, sigma: f64) -> f64 {
    let (a, b) = ((V_RESET_MV - mu) / sigma, (THETA_MV - mu) / sigma);
    let n = 2000;
    let h = (b - a) / n as f64;
    let mut s = siegert_integrand(a) + siegert_integrand(b);
    for k in 1..n {
        let w = if k % 2 == 1 { 4.0 } else { 2.0 };
        s += w * siegert_integrand(a + k as f64 * h);
    }
    let integral = s * h / 3.0;
    1000.0 / (T_REF_MS + TAU_MS * std::f64::consts::PI.sqrt() * integral)
}

/// Self-consistent rate of the asynchronous state (Brunel 2000, Eqs. 4–5
/// and 21): μ = C_E J τ (ν_ext + ν(1 − γg)), σ² = J² C_E τ (ν_ext + ν(1 + γg²)).
/// The fixed point is unique for g > 1/γ = 4; found by bisection.
pub fn mean_field_rate_hz(scale: &Scale, g: f64, eta: f64) -> f64 {
    let ce = scale.c_e as f64;
    let j = scale.j_mv;
    let tau_s = TAU_MS / 1000.0;
    let nu_ext = eta * scale.nu_thr_hz();
    let f = |nu: f64| {
        let mu = ce * j * tau_s * (nu_ext + nu * (1.0 - GAMMA * g));
        let sigma = (j * j * ce * tau_s * (nu_ext + nu * (1.0 + GAMMA * g * g))).sqrt();
        siegert_hz(mu, sigma) - nu
    };
    let (mut lo, mut hi) = (0.0, 1000.0 / T_REF_MS);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siegert_limits() {
        // Strongly suprathreshold, weak noise: deterministic LIF period
        // τ_rp + τ ln((μ − V_r)/(μ − θ)).
        let mu = 30.0;
        let det = 1000.0 / (T_REF_MS + TAU_MS * ((mu - V_RESET_MV) / (mu - THETA_MV)).ln());
        assert!((siegert_hz(mu, 0.05) / det - 1.0).abs() < 0.01);
        // Far below threshold: almost silent.
        assert!(siegert_hz(0.0, 2.0) < 1e-6);
        // The integrand is continuous at 0 (both branches give 1).
        assert!((siegert_integrand(1e-12) - siegert_integrand(-1e-12)).abs() < 1e-6);
    }

    #[test]
    fn synchrony_of_poisson_and_oscillating_counts() {
        let mut rng = crate::stats::stream(1, 2);
        use rand::RngExt;
        // Poisson counts with mean 20 via sums of Bernoulli trials.
        let poisson: Vec<f64> = (0..4000)
            .map(|_| (0..2000).filter(|_| rng.random::<f64>() < 0.01).count() as f64)
            .collect();
        assert!(synchrony(&poisson) < 0.1, "{}", synchrony(&poisson));
        let osc: Vec<f64> = (0..4000)
            .map(|k| 200.0 * (1.0 + (k as f64 * 0.3).sin()))
            .collect();
        assert!((synchrony(&osc) - std::f64::consts::FRAC_1_SQRT_2).abs() < 0.02);
        // Its spectrum peaks at the oscillation frequency.
        let f = 0.3 / std::f64::consts::TAU / (BIN_MS / 1000.0);
        let s = spectrum(&osc, BIN_MS);
        let peak = s
            .iter()
            .fold((0.0, 0.0), |a, &b| if b.1 > a.1 { b } else { a });
        assert!((peak.0 - f).abs() <= 1.0, "{} vs {f}", peak.0);
    }

    #[test]
    fn classification_rule() {
        assert_eq!(classify(30.0, 0.1, 0.9, 1.0, 170.0), Regime::Ai);
        assert_eq!(classify(300.0, 2.0, 0.05, 1.0, 300.0), Regime::Sr);
        assert_eq!(classify(60.0, 1.0, 0.9, 1.0, 170.0), Regime::SiFast);
        assert_eq!(classify(5.0, 1.0, f64::NAN, 0.0, 20.0), Regime::SiSlow);
        // Few regular neurons in a quiet network are not SR.
        assert_eq!(classify(5.0, 2.0, 0.1, 0.05, 20.0), Regime::SiSlow);
        assert_eq!(classify(440.0, 0.5, 0.02, 1.0, 667.0), Regime::Ar);
        assert_eq!(classify(0.0, 0.0, f64::NAN, 0.0, 5.0), Regime::Quiescent);
    }
}
