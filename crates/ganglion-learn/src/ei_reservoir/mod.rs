//! Adaptive excitatory/inhibitory rate reservoirs: Dale's law, a sigmoid transfer, and a
//! per-neuron inhibitory gain driven by a local homeostatic rule toward each neuron's own
//! target rate (PAPERS.md row 4, "Reservoir computing with adaptive E/I balance", 2025).
//!
//! **Model.** `N` rate units, the first `N_E = round(f_E N)` excitatory (E), the rest
//! inhibitory (I), with rates `r ∈ (0, 1)^N` (dimensionless, a fraction of the maximal rate)
//! driven by `D` inputs `u(t)`:
//!
//! ```text
//! z_i(t) = Σ_{j∈E} W⁺_ij r_j(t−1) − g_i Σ_{k∈I} W⁻_ik r_k(t−1) + Σ_d W_in,id u_d(t) + b_i
//! r_i(t) = (1 − a) r_i(t−1) + a φ(z_i(t))
//! ```
//!
//! with leak rate `a` (per step) and transfer `φ` the logistic sigmoid `1/(1 + e^{−z})`
//! (or the identity, for linear-memory checks). Every neuron receives a fixed number of
//! inputs from each population, `K_E = max(1, round(p N_E))` distinct E and
//! `K_I = max(1, round(p N_I))` distinct I presynaptic units (fixed in-degree, so every
//! neuron has inhibition to regulate). Magnitudes are half-normal: `W⁺_ij = J |ξ_ij| / √K_E`;
//! the inhibitory magnitudes of each row are drawn half-normal and then scaled so that
//! `Σ_k W⁻_ik = Σ_j W⁺_ij`. The gain `g_i ≥ 0` is therefore neuron `i`'s **E/I balance**:
//! with all rates equal, its inhibitory drive is `g_i` times its excitatory drive
//! (`g_i = 1` balanced, `> 1` over-inhibited). Dale's law holds by construction: column `j`
//! of the effective matrix `W_ij = W⁺_ij` (E) or `−g_i W⁻_ij` (I) has one sign, since
//! `W⁺, W⁻ ≥ 0` and `g_i ≥ 0`. Input weights are `±s` (equal probability) on a mask of
//! density `p_in`; biases are uniform on `[b₀ − Δb, b₀ + Δb]`.
//!
//! **Homeostatic rule** (our choice; the paper's exact rule is not in what we have). Each
//! neuron has its own target rate `r*_i`, drawn once, uniform on `[r*_lo, r*_hi]`
//! (heterogeneous targets). While adapting, after every step
//!
//! ```text
//! g_i ← max(0, g_i + η (r_i(t) − r*_i))
//! ```
//!
//! — purely local (the neuron's own rate and target), and stabilising: a neuron above its
//! target gets more inhibition and slows down. The fixed point has time-averaged
//! `⟨r_i⟩ = r*_i` wherever that is reachable with `g_i ≥ 0`; the clip at 0 keeps Dale's law.
//! Adaptation runs on (unlabelled) input before the readout is trained; the gains are then
//! frozen, as in intrinsic-plasticity protocols (Schrauwen et al. 2008, "Improving reservoirs
//! using intrinsic plasticity", Neurocomputing 71:1159).
//!
//! The reservoir computes in f64 with plain loops over a row-wise sparse matrix whose E
//! inputs precede its I inputs in each row, so a step is two dot products per row.
//!
//! ```
//! use ganglion_learn::ei_reservoir::{EiReservoirConfig, Homeostasis};
//! let cfg = EiReservoirConfig {
//!     units: 100,
//!     homeostasis: Some(Homeostasis::default()),
//!     ..EiReservoirConfig::default()
//! };
//! let mut res = cfg.build(7)?;
//! let u: Vec<f64> = (0..2000).map(|t| (0.1 * t as f64).sin()).collect();
//! res.adapt(&u)?;                        // homeostatic phase: gains move, Dale's law kept
//! assert!(res.gains().iter().all(|&g| g >= 0.0));
//! let states = res.run(&u[..500])?;      // frozen gains: 500 × 100 states for a readout
//! assert_eq!((states.steps(), states.units()), (500, 100));
//! # Ok::<(), ganglion_learn::LearnError>(())
//! ```

use crate::error::{LearnError, Result, check_len, check_nonzero, check_range};
use crate::esn::States;
use crate::rng;
use crate::sparse::CsrMatrix;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

/// Random stream ids of this module (disjoint from [`crate::rng`]'s).
mod ids {
    pub const CONNECTIONS: u64 = 101;
    pub const INPUT: u64 = 102;
    pub const BIAS: u64 = 103;
    pub const TARGETS: u64 = 104;
}

/// Transfer function `φ` of the units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Transfer {
    /// Logistic sigmoid `1 / (1 + e^{−z})`, rates in `(0, 1)`.
    #[default]
    Sigmoid,
    /// The identity `φ(z) = z`: a linear reservoir (memory-capacity theory).
    Linear,
}

/// The local homeostatic rule `g_i ← max(0, g_i + η (r_i − r*_i))` with targets
/// `r*_i ~ U[target_low, target_high]` (see the module docs), or its global variant.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Homeostasis {
    /// Learning rate `η > 0` (gain units per unit rate error per step). Default `0.01`.
    pub learning_rate: f64,
    /// Lowest target rate `r*_lo` in `[0, 1]`. Default `0.1`.
    pub target_low: f64,
    /// Highest target rate `r*_hi` in `[target_low, 1]`; equal to `target_low` for
    /// homogeneous targets. Default `0.3`.
    pub target_high: f64,
    /// `true` (default): each unit adapts its own gain from its own rate error. `false`: the
    /// **global** variant, one gain shared by all units, moved by the population-mean error
    /// `g ← max(0, g + η (⟨r⟩ − ⟨r*⟩))` (the baseline the per-neuron rule is compared with).
    pub per_neuron: bool,
}

impl Default for Homeostasis {
    fn default() -> Self {
        Self {
            learning_rate: 0.01,
            target_low: 0.1,
            target_high: 0.3,
            per_neuron: true,
        }
    }
}

/// Configuration of an [`EiReservoir`]; build it with [`EiReservoirConfig::build`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EiReservoirConfig {
    /// Number of units `N` (≥ 2). Default `200`.
    pub units: usize,
    /// Number of inputs `D`. Default `1`.
    pub inputs: usize,
    /// Fraction `f_E` of excitatory units; both populations must be non-empty. Default `0.8`.
    pub excitatory_fraction: f64,
    /// In-degree fraction `p` in `(0, 1]`: each unit receives `max(1, round(p N_E))` E and
    /// `max(1, round(p N_I))` I inputs. Default `0.1`.
    pub connectivity: f64,
    /// Excitatory weight scale `J ≥ 0`: `W⁺ = J |ξ| / √K_E`. Default `2.0`.
    pub weight_scale: f64,
    /// Initial inhibitory gain (E/I balance) `g_i` of every unit, `≥ 0`. Default `1.0`.
    pub inhibitory_gain: f64,
    /// Leak rate `a` in `(0, 1]` per step. Default `1.0`.
    pub leak_rate: f64,
    /// Input scaling `s`: input weights are `±s`. Default `1.0`.
    pub input_scaling: f64,
    /// Probability `p_in` in `[0, 1]` that a (unit, input) pair is connected. Default `1.0`.
    pub input_density: f64,
    /// Mean bias `b₀`. Default `0.0`.
    pub bias: f64,
    /// Bias spread `Δb ≥ 0`: biases are uniform on `[b₀ − Δb, b₀ + Δb]`. Default `0.0`.
    pub bias_spread: f64,
    /// Transfer function. Default [`Transfer::Sigmoid`].
    pub transfer: Transfer,
    /// The homeostatic rule used by [`EiReservoir::adapt`]; `None` for fixed gains.
    /// Default `None`.
    pub homeostasis: Option<Homeostasis>,
}

impl Default for EiReservoirConfig {
    fn default() -> Self {
        Self {
            units: 200,
            inputs: 1,
            excitatory_fraction: 0.8,
            connectivity: 0.1,
            weight_scale: 2.0,
            inhibitory_gain: 1.0,
            leak_rate: 1.0,
            input_scaling: 1.0,
            input_density: 1.0,
            bias: 0.0,
            bias_spread: 0.0,
            transfer: Transfer::Sigmoid,
            homeostasis: None,
        }
    }
}

impl EiReservoirConfig {
    /// Number of excitatory units `N_E = round(f_E N)`.
    pub fn excitatory_units(&self) -> usize {
        (self.excitatory_fraction * self.units as f64).round() as usize
    }

    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        const O: &str = "EiReservoirConfig";
        check_nonzero(
            O,
            "inputs",
            self.inputs,
            "use inputs = 1 for a scalar series",
        )?;
        if self.units < 2 {
            return Err(LearnError::param(
                O,
                "units",
                self.units,
                "need at least 2 (one E and one I unit)",
                "e.g. units = 200",
            ));
        }
        check_range(
            O,
            "excitatory_fraction",
            self.excitatory_fraction,
            0.0,
            1.0,
            "e.g. 0.8",
        )?;
        let ne = self.excitatory_units();
        if ne == 0 || ne == self.units {
            return Err(LearnError::param(
                O,
                "excitatory_fraction",
                self.excitatory_fraction,
                format!(
                    "gives {ne} E units of {}: both populations must be non-empty",
                    self.units
                ),
                "e.g. 0.8",
            ));
        }
        if !(self.connectivity > 0.0 && self.connectivity <= 1.0) {
            return Err(LearnError::param(
                O,
                "connectivity",
                self.connectivity,
                "must be in (0, 1]",
                "e.g. 0.1",
            ));
        }
        check_range(O, "weight_scale", self.weight_scale, 0.0, 1e6, "e.g. 2.0")?;
        check_range(
            O,
            "inhibitory_gain",
            self.inhibitory_gain,
            0.0,
            1e6,
            "≥ 0 (Dale's law); 1 is balanced",
        )?;
        if !(self.leak_rate > 0.0 && self.leak_rate <= 1.0) {
            return Err(LearnError::param(
                O,
                "leak_rate",
                self.leak_rate,
                "must be in (0, 1]",
                "e.g. 1.0 (no leak) or 0.3",
            ));
        }
        check_range(
            O,
            "input_scaling",
            self.input_scaling,
            -1e6,
            1e6,
            "e.g. 1.0",
        )?;
        check_range(O, "input_density", self.input_density, 0.0, 1.0, "e.g. 1.0")?;
        check_range(O, "bias", self.bias, -1e6, 1e6, "e.g. 0.0")?;
        check_range(O, "bias_spread", self.bias_spread, 0.0, 1e6, "e.g. 0.0")?;
        if let Some(h) = self.homeostasis {
            if !(h.learning_rate > 0.0 && h.learning_rate.is_finite()) {
                return Err(LearnError::param(
                    O,
                    "homeostasis.learning_rate",
                    h.learning_rate,
                    "must be finite and > 0",
                    "e.g. 0.01",
                ));
            }
            check_range(
                O,
                "homeostasis.target_low",
                h.target_low,
                0.0,
                1.0,
                "e.g. 0.1",
            )?;
            check_range(
                O,
                "homeostasis.target_high",
                h.target_high,
                h.target_low,
                1.0,
                "at least target_low, at most 1, e.g. 0.3",
            )?;
        }
        Ok(())
    }

    /// Draws connections, weights, biases and targets from `seed`; the state starts at zero.
    pub fn build(&self, seed: u64) -> Result<EiReservoir> {
        self.validate()?;
        let n = self.units;
        let ne = self.excitatory_units();
        let ni = n - ne;
        let ke = ((self.connectivity * ne as f64).round() as usize).clamp(1, ne);
        let ki = ((self.connectivity * ni as f64).round() as usize).clamp(1, ni);
        let mut r = rng::stream(seed, ids::CONNECTIONS);
        let mut row_ptr = Vec::with_capacity(n + 1);
        let mut split = Vec::with_capacity(n);
        let mut col = Vec::with_capacity(n * (ke + ki));
        let mut val = Vec::with_capacity(n * (ke + ki));
        let mut marks = vec![false; n];
        row_ptr.push(0);
        for _ in 0..n {
            let start = col.len();
            for c in distinct(&mut r, 0, ne, ke, &mut marks) {
                col.push(c as u32);
                val.push(self.weight_scale * rng::normal(&mut r).abs() / (ke as f64).sqrt());
            }
            split.push(col.len());
            let exc_sum: f64 = val[start..].iter().sum();
            let mid = col.len();
            for c in distinct(&mut r, ne, n, ki, &mut marks) {
                col.push(c as u32);
                val.push(rng::normal(&mut r).abs());
            }
            let inh_sum: f64 = val[mid..].iter().sum();
            // Scale the row's inhibition to equal its excitation, so g_i is its E/I balance.
            let s = if inh_sum > 0.0 {
                exc_sum / inh_sum
            } else {
                0.0
            };
            val[mid..].iter_mut().for_each(|v| *v *= s);
            row_ptr.push(col.len());
        }
        let mut ri = rng::stream(seed, ids::INPUT);
        let w_in = (0..n * self.inputs)
            .map(|_| {
                if rng::uniform(&mut ri) < self.input_density {
                    let sign = if rng::uniform(&mut ri) < 0.5 {
                        -1.0
                    } else {
                        1.0
                    };
                    sign * self.input_scaling
                } else {
                    0.0
                }
            })
            .collect();
        let mut rb = rng::stream(seed, ids::BIAS);
        let bias = (0..n)
            .map(|_| self.bias + self.bias_spread * (2.0 * rng::uniform(&mut rb) - 1.0))
            .collect();
        let mut rt = rng::stream(seed, ids::TARGETS);
        let targets = match self.homeostasis {
            Some(h) => (0..n)
                .map(|_| h.target_low + (h.target_high - h.target_low) * rng::uniform(&mut rt))
                .collect(),
            None => Vec::new(),
        };
        Ok(EiReservoir {
            config: self.clone(),
            excitatory: ne,
            row_ptr,
            split,
            col,
            val,
            w_in,
            bias,
            gains: vec![self.inhibitory_gain; n],
            targets,
            state: vec![0.0; n],
            next: vec![0.0; n],
        })
    }
}

/// `k` distinct values of `lo..hi`, in increasing order (`marks` is scratch of length ≥ hi,
/// all false on entry and on return). Floyd's algorithm: exactly `k` draws.
fn distinct(
    r: &mut Xoshiro256PlusPlus,
    lo: usize,
    hi: usize,
    k: usize,
    marks: &mut [bool],
) -> Vec<usize> {
    let m = hi - lo;
    let mut out = Vec::with_capacity(k);
    for j in (m - k)..m {
        let t = (rng::uniform(r) * (j + 1) as f64) as usize;
        let t = t.min(j);
        let pick = if marks[lo + t] { j } else { t };
        marks[lo + pick] = true;
        out.push(lo + pick);
    }
    out.sort_unstable();
    for &c in &out {
        marks[c] = false;
    }
    out
}

/// What [`EiReservoir::adapt`] recorded, one value per step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdaptTrace {
    /// Population mean rate `⟨r_i(t)⟩_i` after each step.
    pub mean_rate: Vec<f64>,
    /// Population mean gain `⟨g_i⟩_i` after each step's update.
    pub mean_gain: Vec<f64>,
}

/// An adaptive E/I rate reservoir (weights, gains, targets and current rates). See the
/// module docs.
#[derive(Clone, Debug)]
pub struct EiReservoir {
    config: EiReservoirConfig,
    excitatory: usize,
    /// Row `i`'s inputs are `row_ptr[i]..row_ptr[i+1]`: E inputs up to `split[i]`, then I.
    row_ptr: Vec<usize>,
    split: Vec<usize>,
    col: Vec<u32>,
    /// Magnitudes `W⁺` (E part) and `W⁻` (I part), all ≥ 0.
    val: Vec<f64>,
    w_in: Vec<f64>,
    bias: Vec<f64>,
    gains: Vec<f64>,
    targets: Vec<f64>,
    state: Vec<f64>,
    next: Vec<f64>,
}

#[inline(always)]
fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl EiReservoir {
    /// The configuration it was built from.
    pub fn config(&self) -> &EiReservoirConfig {
        &self.config
    }
    /// Number of units `N`.
    pub fn units(&self) -> usize {
        self.config.units
    }
    /// Number of excitatory units `N_E` (units `0..N_E`; the rest are inhibitory).
    pub fn excitatory(&self) -> usize {
        self.excitatory
    }
    /// Inhibitory gains `g_i`, one per unit.
    pub fn gains(&self) -> &[f64] {
        &self.gains
    }
    /// Sets the inhibitory gains (length `units`, each finite and `≥ 0` by Dale's law).
    pub fn set_gains(&mut self, g: &[f64]) -> Result<()> {
        check_len(
            "EiReservoir::set_gains",
            "gains",
            self.units(),
            g.len(),
            "one gain per unit",
        )?;
        if let Some(i) = g.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(LearnError::param(
                "EiReservoir::set_gains",
                "gains",
                format!("gains[{i}] = {}", g[i]),
                "every gain must be finite and ≥ 0 (a negative gain would break Dale's law)",
                "clip the gains at 0",
            ));
        }
        self.gains.copy_from_slice(g);
        Ok(())
    }
    /// Target rates `r*_i` (empty without a homeostatic rule).
    pub fn targets(&self) -> &[f64] {
        &self.targets
    }
    /// Input weights `W_in`, `units × inputs`, row-major.
    pub fn input_weights(&self) -> &[f64] {
        &self.w_in
    }
    /// Biases `b_i`.
    pub fn bias(&self) -> &[f64] {
        &self.bias
    }
    /// The current rates `r(t)`.
    pub fn state(&self) -> &[f64] {
        &self.state
    }
    /// Sets the current rates (length `units`).
    pub fn set_state(&mut self, r: &[f64]) -> Result<()> {
        check_len(
            "EiReservoir::set_state",
            "state",
            self.units(),
            r.len(),
            "one rate per unit",
        )?;
        self.state.copy_from_slice(r);
        Ok(())
    }
    /// Sets the rates to zero.
    pub fn reset(&mut self) {
        self.state.fill(0.0);
    }

    /// Unit `i`'s presynaptic units and signed effective weights (`+W⁺` from E units,
    /// `−g_i W⁻` from I units), E inputs first.
    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let (s, m, e) = (self.row_ptr[i], self.split[i], self.row_ptr[i + 1]);
        let g = self.gains[i];
        (s..e).map(move |p| {
            let w = if p < m { self.val[p] } else { -g * self.val[p] };
            (self.col[p] as usize, w)
        })
    }

    /// The effective recurrent matrix `W` (signed, gains applied), dense `N × N`, row-major
    /// (row = postsynaptic unit, column = presynaptic unit).
    pub fn effective_weights(&self) -> Vec<f64> {
        let n = self.units();
        let mut w = vec![0.0; n * n];
        for i in 0..n {
            for (j, v) in self.row(i) {
                w[i * n + j] = v;
            }
        }
        w
    }

    /// Spectral radius of the effective recurrent matrix `W` (exact for `N ≤ 128`, Arnoldi
    /// above; see [`crate::spectral`]).
    pub fn spectral_radius(&self) -> Result<f64> {
        let n = self.units();
        let triplets: Vec<(u32, u32, f32)> = (0..n)
            .flat_map(|i| {
                self.row(i)
                    .map(move |(j, v)| (i as u32, j as u32, v as f32))
            })
            .collect();
        let m = CsrMatrix::from_triplets(n, n, &triplets)?;
        crate::spectral::spectral_radius(&m, 0)
    }

    /// Advances one step with input `u` (length `inputs`) and returns the new rates.
    pub fn step(&mut self, u: &[f64]) -> Result<&[f64]> {
        check_len(
            "EiReservoir::step",
            "input",
            self.config.inputs,
            u.len(),
            "one value per input",
        )?;
        self.advance(u);
        if let Some(i) = self.state.iter().position(|v| !v.is_finite()) {
            return Err(self.diverged(0, i));
        }
        Ok(&self.state)
    }

    fn advance(&mut self, u: &[f64]) {
        let d = self.config.inputs;
        let a = self.config.leak_rate;
        let linear = self.config.transfer == Transfer::Linear;
        let r = &self.state;
        for i in 0..r.len() {
            let (s, m, e) = (self.row_ptr[i], self.split[i], self.row_ptr[i + 1]);
            let dot = |lo: usize, hi: usize| -> f64 {
                self.col[lo..hi]
                    .iter()
                    .zip(&self.val[lo..hi])
                    .map(|(&c, &w)| w * r[c as usize])
                    .sum()
            };
            let mut z = dot(s, m) - self.gains[i] * dot(m, e) + self.bias[i];
            for (w, x) in self.w_in[i * d..(i + 1) * d].iter().zip(u) {
                z += w * x;
            }
            let phi = if linear { z } else { sigmoid(z) };
            self.next[i] = (1.0 - a) * r[i] + a * phi;
        }
        std::mem::swap(&mut self.state, &mut self.next);
    }

    fn check_inputs(&self, object: &'static str, inputs: &[f64]) -> Result<usize> {
        let d = self.config.inputs;
        if !inputs.len().is_multiple_of(d) {
            return Err(LearnError::shape(
                object,
                "inputs",
                format!("a multiple of inputs = {d}"),
                inputs.len(),
                "inputs are T × inputs, time-major",
            ));
        }
        Ok(inputs.len() / d)
    }

    fn diverged(&self, step: usize, unit: usize) -> LearnError {
        LearnError::Diverged {
            object: "EiReservoir",
            step,
            unit,
            hint: "with a linear transfer keep the spectral radius of (1−a)I + aW below 1 (lower weight_scale); check inputs for NaN".into(),
        }
    }

    /// Runs with frozen gains over `inputs` (`T × inputs`, time-major) from the current
    /// rates, returns the `T` rate vectors (`T × N`, time-major) and keeps the last.
    pub fn run(&mut self, inputs: &[f64]) -> Result<States> {
        let steps = self.check_inputs("EiReservoir::run", inputs)?;
        let (n, d) = (self.units(), self.config.inputs);
        let mut out = Vec::with_capacity(steps * n);
        for t in 0..steps {
            self.advance(&inputs[t * d..(t + 1) * d]);
            out.extend_from_slice(&self.state);
        }
        if let Some(p) = out.iter().position(|v| !v.is_finite()) {
            return Err(self.diverged(p / n, p % n));
        }
        States::from_vec(steps, n, out)
    }

    /// Runs over `inputs` (`T × inputs`, time-major) with the homeostatic rule on: after each
    /// step every gain moves by `η (r_i − r*_i)`, clipped at 0. Keeps the last rates and the
    /// adapted gains; returns the population means per step.
    pub fn adapt(&mut self, inputs: &[f64]) -> Result<AdaptTrace> {
        let Some(h) = self.config.homeostasis else {
            return Err(LearnError::param(
                "EiReservoir::adapt",
                "homeostasis",
                "None",
                "adaptation needs a homeostatic rule",
                "set EiReservoirConfig::homeostasis = Some(Homeostasis::default())",
            ));
        };
        let steps = self.check_inputs("EiReservoir::adapt", inputs)?;
        let (n, d) = (self.units(), self.config.inputs);
        let mut trace = AdaptTrace {
            mean_rate: Vec::with_capacity(steps),
            mean_gain: Vec::with_capacity(steps),
        };
        let mean_target = self.targets.iter().sum::<f64>() / n as f64;
        for t in 0..steps {
            self.advance(&inputs[t * d..(t + 1) * d]);
            let rate_sum: f64 = self.state.iter().sum();
            let mut gain_sum = 0.0;
            if h.per_neuron {
                for ((g, &r), &target) in self.gains.iter_mut().zip(&self.state).zip(&self.targets)
                {
                    *g = (*g + h.learning_rate * (r - target)).max(0.0);
                    gain_sum += *g;
                }
            } else {
                let g = (self.gains[0] + h.learning_rate * (rate_sum / n as f64 - mean_target))
                    .max(0.0);
                self.gains.fill(g);
                gain_sum = g * n as f64;
            }
            if !rate_sum.is_finite() {
                let unit = self.state.iter().position(|v| !v.is_finite()).unwrap_or(0);
                return Err(self.diverged(t, unit));
            }
            trace.mean_rate.push(rate_sum / n as f64);
            trace.mean_gain.push(gain_sum / n as f64);
        }
        Ok(trace)
    }
}
