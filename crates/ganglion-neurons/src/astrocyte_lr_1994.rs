//! `astrocyte_lr_1994`: the Li–Rinzel (1994) astrocyte, with NEST 3.10's input and output
//! (Nadkarni & Jung 2003): spikes raise IP3, IP3 opens the ER's IP3 receptors, calcium is
//! released into the cytosol, and calcium above a threshold makes a slow inward current
//! (SIC) that `synapse = "sic"` projections inject into neurons (a tripartite synapse).
//!
//! ## Equations (NEST 3.10 `models/astrocyte_lr_1994.cpp`, parameter names as there)
//!
//! State: IP3 \[µM\], cytosolic calcium Ca \[µM\], h (fraction of IP3 receptors not
//! inactivated by calcium). With c = clamp(Ca, 0, Ca_tot) inside the right-hand side:
//!
//! ```text
//! dIP3/dt = (IP3_0 − IP3) / tau_IP3
//! dCa/dt  = J_channel − J_pump + J_leak + J_noise
//! dh/dt   = α_h (1 − h) − β_h h
//!
//! Ca_ER     = (Ca_tot − c) / ratio_ER_cyt
//! m∞ = IP3 / (IP3 + Kd_IP3_1),  n∞ = c / (c + Kd_act)
//! J_channel = ratio_ER_cyt · rate_IP3R · m∞³ n∞³ h³ · (Ca_ER − c)
//! J_leak    = ratio_ER_cyt · rate_L · (Ca_ER − c)
//! J_pump    = rate_SERCA · c² / (Km_SERCA² + c²)
//! α_h = k_IP3R · Kd_inh · (IP3 + Kd_IP3_1) / (IP3 + Kd_IP3_2),  β_h = k_IP3R · c
//! ```
//!
//! Each step: the ODEs are integrated over dt (J_noise, the current input, held), then Ca is
//! clamped to \[0, Ca_tot\], then every spike that arrives this step adds
//! `delta_IP3 · weight` to IP3, then the output is computed from the new Ca:
//!
//! ```text
//! SIC = SIC_scale · ln(y)  if y = (Ca − SIC_th) · 1000 > 1 (Ca above threshold, in nM), else 0
//! ```
//!
//! This is NEST's order within a step, so a spike at time t with delay d shows in IP3 at
//! t + d in both. A `synapse = "sic"` projection of weight w (pA) feeds w · SIC into its
//! target neuron as a current held over the next step (see `ganglion_sim`'s `sic` module).
//!
//! ## Integration
//! Classical RK4 in f64 with substeps of at most 1 ms. The model's fastest rate is about
//! ratio_ER_cyt · rate_IP3R ≈ 1e-3/ms, so the local error at 1 ms is of order 1e-15 and
//! the result agrees with NEST's adaptive RKF45 (absolute tolerance 1e-3 µM) to far below
//! that tolerance. The state is kept in f64: per-step changes of h are ~1e-5 of its value,
//! which f32 would round visibly over hours of simulated time.
//!
//! Units follow NEST: concentrations in µM and rates in 1/ms are written as plain numbers;
//! a current input (pA) enters dCa/dt as J_noise in µM/ms numerically (1 pA ≡ 1 µM/ms), as
//! NEST's CurrentEvent does. Spike weights into the model are dimensionless (≥ 0).
//!
//! References: Li & Rinzel (1994) J. Theor. Biol. 166:461; De Young & Keizer (1992) PNAS
//! 89:9895; Nadkarni & Jung (2003) PRL 91:268101; NEST 3.10 `astrocyte_lr_1994`.

use crate::kernel::{NeuronGroup, PopValues, StepIo};
use crate::{ModelInfo, StateInfo};

crate::params! {
    /// `astrocyte_lr_1994` parameters (NEST 3.10's defaults, after Nadkarni & Jung 2003).
    pub struct Params {
        ca_tot: "Ca_tot", Dimensionless, 2.0, Positive, "total free calcium in terms of cytosolic volume [µM]";
        ip3_0: "IP3_0", Dimensionless, 0.16, NonNegative, "baseline IP3 [µM]";
        kd_ip3_1: "Kd_IP3_1", Dimensionless, 0.13, Positive, "first IP3R dissociation constant of IP3 [µM]";
        kd_ip3_2: "Kd_IP3_2", Dimensionless, 0.9434, Positive, "second IP3R dissociation constant of IP3 [µM]";
        kd_act: "Kd_act", Dimensionless, 0.08234, Positive, "IP3R dissociation constant of calcium, activation [µM]";
        kd_inh: "Kd_inh", Dimensionless, 1.049, NonNegative, "IP3R dissociation constant of calcium, inhibition [µM]";
        km_serca: "Km_SERCA", Dimensionless, 0.1, Positive, "half-activation constant of the SERCA pump [µM]";
        sic_scale: "SIC_scale", Dimensionless, 1.0, Positive, "scale of the SIC output";
        sic_th: "SIC_th", Dimensionless, 0.19669, NonNegative, "calcium threshold of the SIC [µM]";
        delta_ip3: "delta_IP3", Dimensionless, 0.0002, NonNegative, "IP3 increase per unit of spike weight [µM]";
        k_ip3r: "k_IP3R", Dimensionless, 0.0002, NonNegative, "IP3R binding constant for calcium inhibition [1/(µM·ms)]";
        rate_ip3r: "rate_IP3R", Dimensionless, 0.006, NonNegative, "maximum calcium release rate through IP3Rs [1/ms]";
        rate_l: "rate_L", Dimensionless, 0.00011, NonNegative, "calcium leak rate from the ER [1/ms]";
        rate_serca: "rate_SERCA", Dimensionless, 0.0009, NonNegative, "maximum SERCA uptake rate [µM/ms]";
        ratio_er_cyt: "ratio_ER_cyt", Dimensionless, 0.185, Positive, "ER to cytosol volume ratio";
        tau_ip3: "tau_IP3", Time, 7142.0, Positive, "time constant of IP3's decay to IP3_0";
    }
}

const STATE: &[StateInfo] = crate::states! {
    "IP3", Dimensionless, Param("IP3_0"), "IP3 concentration [µM]";
    "Ca_astro", Dimensionless, Const(0.073), "cytosolic calcium concentration [µM]";
    "h_IP3R", Dimensionless, Const(0.793), "fraction of IP3 receptors not inactivated by calcium";
    "SIC", Dimensionless, Const(0.0), "slow inward current output, SIC_scale·ln((Ca − SIC_th)/nM) above threshold (an output: computed from Ca, its initial value is ignored)";
};

/// The catalogue entry.
pub const MODEL: ModelInfo = ModelInfo::rate_unit(
    "astrocyte_lr_1994",
    "Li–Rinzel astrocyte (NEST's): spikes raise IP3, calcium above SIC_th drives a slow inward current into neurons through synapse = \"sic\"; emits no spikes",
    Params::INFO,
    STATE,
    |v, lo, n, dt, _| Box::new(Astrocyte::new(v, lo, n, dt)),
)
.with_sic_output();

/// Index of the `SIC` state variable (the output the engine publishes).
pub const SIC_STATE: usize = 3;

/// Longest RK4 substep \[ms\].
const MAX_SUBSTEP: f64 = 1.0;

/// Right-hand side of (IP3, Ca, h) with calcium input `j_noise` \[µM/ms\].
#[inline]
pub fn derivatives(p: &Params, y: [f64; 3], j_noise: f64) -> [f64; 3] {
    let [ip3, ca, h] = y;
    // NEST keeps calcium within [0, Ca_tot] where the fluxes read it.
    let c = ca.clamp(0.0, p.ca_tot);
    let alpha_h = p.k_ip3r * p.kd_inh * (ip3 + p.kd_ip3_1) / (ip3 + p.kd_ip3_2);
    let beta_h = p.k_ip3r * c;
    let j_pump = p.rate_serca * c * c / (p.km_serca * p.km_serca + c * c);
    let m_inf = ip3 / (ip3 + p.kd_ip3_1);
    let n_inf = c / (c + p.kd_act);
    let ca_er = (p.ca_tot - c) / p.ratio_er_cyt;
    let j_leak = p.ratio_er_cyt * p.rate_l * (ca_er - c);
    let open = m_inf * n_inf * h;
    let j_channel = p.ratio_er_cyt * p.rate_ip3r * open * open * open * (ca_er - c);
    [
        (p.ip3_0 - ip3) / p.tau_ip3,
        j_channel - j_pump + j_leak + j_noise,
        alpha_h * (1.0 - h) - beta_h * h,
    ]
}

/// The slow inward current for calcium `ca` \[µM\]: SIC_scale·ln((Ca − SIC_th)·1000) where
/// that argument exceeds 1, else 0 (NEST's `astrocyte_lr_1994`).
#[inline]
pub fn sic(p: &Params, ca: f64) -> f64 {
    let above_nm = (ca - p.sic_th) * 1000.0;
    if above_nm > 1.0 {
        above_nm.ln() * p.sic_scale
    } else {
        0.0
    }
}

/// One partition of `astrocyte_lr_1994` astrocytes.
#[derive(Debug, Clone)]
pub struct Astrocyte {
    /// Parameters: one entry shared by all, or one per astrocyte.
    p: Vec<Params>,
    ip3: Vec<f64>,
    ca: Vec<f64>,
    h: Vec<f64>,
    /// The output, published each step for `sic` projections.
    sic: Vec<f32>,
    nsub: usize,
    hsub: f64,
}

impl Astrocyte {
    /// Astrocytes `lo..lo+n` with step `dt` \[ms\].
    pub fn new(vals: &PopValues, lo: usize, n: usize, dt: f64) -> Astrocyte {
        let raw = |i: usize| {
            let v: Vec<f64> = vals.params.iter().map(|c| c.at(i)).collect();
            Params::from_values(&v)
        };
        let p = if vals.params.iter().all(|c| c.is_const()) {
            vec![raw(0)]
        } else {
            (lo..lo + n).map(raw).collect()
        };
        let col = |k: usize| -> Vec<f64> { (lo..lo + n).map(|i| vals.init[k].at(i)).collect() };
        let (ip3, ca, h) = (col(0), col(1), col(2));
        let shared = p.len() == 1;
        // The initial SIC follows the initial calcium (its own initial value is not read).
        let sic = ca
            .iter()
            .enumerate()
            .map(|(i, &c)| sic(&p[if shared { 0 } else { i }], c) as f32)
            .collect();
        let nsub = (dt / MAX_SUBSTEP).ceil().max(1.0) as usize;
        Astrocyte {
            p,
            ip3,
            ca,
            h,
            sic,
            nsub,
            hsub: dt / nsub as f64,
        }
    }
}

/// One RK4 step of length `h` from `y`.
#[inline]
fn rk4(p: &Params, y: [f64; 3], j: f64, h: f64) -> [f64; 3] {
    let add = |a: [f64; 3], k: [f64; 3], s: f64| std::array::from_fn(|i| a[i] + s * k[i]);
    let k1 = derivatives(p, y, j);
    let k2 = derivatives(p, add(y, k1, 0.5 * h), j);
    let k3 = derivatives(p, add(y, k2, 0.5 * h), j);
    let k4 = derivatives(p, add(y, k3, h), j);
    std::array::from_fn(|i| y[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
}

impl NeuronGroup for Astrocyte {
    ganglion_base::saved_fields!(ip3, ca, h, sic);

    fn step(&mut self, io: StepIo) -> Option<usize> {
        let n = self.ca.len();
        let shared = self.p.len() == 1;
        let mut bad = None;
        for i in 0..n {
            let p = self.p[if shared { 0 } else { i }];
            let j_noise = io.i_ext[i] as f64;
            let mut y = [self.ip3[i], self.ca[i], self.h[i]];
            for _ in 0..self.nsub {
                y = rk4(&p, y, j_noise, self.hsub);
            }
            // NEST's order: integrate, clamp calcium, add this step's spikes, then the output.
            // Spikes arrive on channel 1 (the spike channel of a non-spiking target).
            let ca = y[1].clamp(0.0, p.ca_tot);
            let ip3 = y[0] + p.delta_ip3 * io.ch1[i] as f64;
            io.ch0[i] = 0.0;
            io.ch1[i] = 0.0;
            io.spiked[i] = 0;
            if bad.is_none() && !(ip3.is_finite() && ca.is_finite() && y[2].is_finite()) {
                bad = Some(i);
            }
            self.ip3[i] = ip3;
            self.ca[i] = ca;
            self.h[i] = y[2];
            self.sic[i] = sic(&p, ca) as f32;
        }
        bad
    }

    fn get(&self, var: usize, i: usize) -> f32 {
        match var {
            0 => self.ip3[i] as f32,
            1 => self.ca[i] as f32,
            2 => self.h[i] as f32,
            _ => self.sic[i],
        }
    }

    /// The SIC output, which the engine publishes for `sic` projections.
    fn rates(&self) -> Option<&[f32]> {
        Some(&self.sic)
    }
}
