//! `iaf_psc_exp`: leaky integrate-and-fire neuron with exponential synaptic currents
//! (NEST's `iaf_psc_exp`; the Vogels–Abbott CUBA benchmark), integrated exactly.
//!
//! dV/dt = −(V − E_L)/τm + (I_ex + I_in + I_e + I_ext)/C_m; dI_x/dt = −I_x/τ_x; a spike of
//! weight w (pA) adds w to I_ex (w > 0) or I_in (w < 0). The NEST order is kept: V is advanced
//! with the synaptic state at the start of the step, then the currents decay and this step's
//! input is added, so input arriving at time t first moves V in the step after t. After a
//! spike (V ≥ V_th at the end of a step) V = V_reset and the neuron is refractory for
//! round(t_ref/dt) steps (see [`crate::refractory`]).
//!
//! Reference: Rotter & Diesmann (1999), exact integration; NEST 3 defaults.

use crate::kernel::{Derived, Lane, NeuronGroup, PopValues, StepIo, first_non_finite, init_col};
use crate::propagators::propagator_32;
use crate::refractory::{Refractory, ref_steps, refractory_at};
use crate::simd::multiversion;
use crate::{ModelInfo, StateDefault, SynapseKind, state};

crate::params! {
    /// `iaf_psc_exp` parameters (also `iaf_psc_alpha`'s).
    pub struct Params {
        c_m: "C_m", Capacitance, 250.0, Positive, "membrane capacitance";
        tau_m: "tau_m", Time, 10.0, Positive, "membrane time constant";
        e_l: "E_L", Voltage, -70.0, Any, "resting potential";
        v_th: "V_th", Voltage, -55.0, Any, "spike threshold";
        v_reset: "V_reset", Voltage, -70.0, Any, "reset potential";
        t_ref: "t_ref", Time, 2.0, NonNegative, "absolute refractory period";
        i_e: "I_e", Current, 0.0, Any, "constant external current";
        tau_syn_ex: "tau_syn_ex", Time, 2.0, Positive, "excitatory synaptic time constant";
        tau_syn_in: "tau_syn_in", Time, 2.0, Positive, "inhibitory synaptic time constant";
    }
}

/// State of the current-based LIF models: V_m and the two synaptic currents.
pub const PSC_STATE: &[crate::StateInfo] = &[
    state(
        "V_m",
        crate::Dim::Voltage,
        StateDefault::Param("E_L"),
        "membrane potential",
    ),
    state(
        "I_syn_ex",
        crate::Dim::Current,
        StateDefault::Const(0.0),
        "excitatory synaptic current",
    ),
    state(
        "I_syn_in",
        crate::Dim::Current,
        StateDefault::Const(0.0),
        "inhibitory synaptic current",
    ),
];

/// The catalogue entry.
pub const MODEL: ModelInfo = ModelInfo {
    name: "iaf_psc_exp",
    summary: "LIF, exponential synaptic currents (Vogels–Abbott CUBA); exact integration",
    synapse: SynapseKind::Current,
    spiking: true,
    params: Params::INFO,
    state: PSC_STATE,
    threshold: Some("V_th"),
    reset_below: Some(("V_reset", "V_th")),
    differentiable: true,
    build: |v, lo, n, dt, _| Box::new(PscExp::new(v, lo, n, dt)),
};

/// One partition of `iaf_psc_exp` neurons.
#[derive(Debug, Clone)]
pub struct PscExp {
    k: Derived<11>,
    /// V_m − E_L [mV].
    v: Vec<f32>,
    /// I_syn_ex [pA].
    ie: Vec<f32>,
    /// I_syn_in [pA].
    ii: Vec<f32>,
    /// Step index until which the neuron is refractory (exclusive; see [`Refractory`]).
    until: Refractory,
}

// Derived constant indices for iaf_psc_exp.
const E_P22: usize = 0;
const E_P11E: usize = 1;
const E_P11I: usize = 2;
const E_P21E: usize = 3;
const E_P21I: usize = 4;
const E_P20: usize = 5;
const E_EL: usize = 6;
const E_VTH: usize = 7;
const E_VRESET: usize = 8;
const E_IE: usize = 9;
const E_REF: usize = 10;

/// Index of `E_L` among the parameters (initial V_m is stored relative to it).
const E_L_PARAM: usize = crate::index_of(Params::INFO, "E_L");

impl PscExp {
    /// Neurons `lo..lo+n` with step `h` [ms].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> PscExp {
        let k = Derived::build(&vals.params, lo, n, |p| {
            let Params {
                c_m: c,
                tau_m: tm,
                e_l: el,
                v_th: vth,
                v_reset: vr,
                t_ref: tref,
                i_e: ie,
                tau_syn_ex: te,
                tau_syn_in: ti,
            } = Params::from_values(p);
            let p22 = (-h / tm).exp();
            [
                p22,
                (-h / te).exp(),
                (-h / ti).exp(),
                propagator_32(te, tm, c, h),
                propagator_32(ti, tm, c, h),
                tm / c * (1.0 - p22),
                el,
                vth - el,
                vr - el,
                ie,
                ref_steps(tref, h),
            ]
        });
        let el = &vals.params[E_L_PARAM];
        PscExp {
            v: init_col(&vals.init[0], lo, n, |i| el.at(i)),
            ie: init_col(&vals.init[1], lo, n, |_| 0.0),
            ii: init_col(&vals.init[2], lo, n, |_| 0.0),
            until: Refractory::new(n),
            k,
        }
    }
}

impl NeuronGroup for PscExp {
    fn step(&mut self, io: StepIo) -> Option<usize> {
        let ext = io.has_ext;
        let r = self.until.for_step(io.step);
        let (v, ie, ii) = (&mut self.v, &mut self.ie, &mut self.ii);
        let bad = match (&self.k, ext) {
            (Derived::Shared(k), false) => psc_exp_kernel::<_, false>(k, v, ie, ii, r, io),
            (Derived::Shared(k), true) => psc_exp_kernel::<_, true>(k, v, ie, ii, r, io),
            (Derived::Each(k), false) => psc_exp_kernel::<_, false>(k, v, ie, ii, r, io),
            (Derived::Each(k), true) => psc_exp_kernel::<_, true>(k, v, ie, ii, r, io),
        };
        if bad { first_non_finite(&self.v) } else { None }
    }

    fn mark_spikes(&mut self, spikes: &[u32], lo: u32, step: u64) {
        self.until.mark(spikes, lo, step, &self.k, E_REF);
    }

    fn get(&self, var: usize, i: usize) -> f32 {
        match var {
            0 => self.v[i] + self.k.get(E_EL, i),
            1 => self.ie[i],
            _ => self.ii[i],
        }
    }

    fn threshold_mut(&mut self) -> Option<&mut [f32]> {
        let n = self.v.len();
        Some(self.k.lane_mut(E_VTH, n))
    }
}

multiversion! {
    fn psc_exp_kernel<L: Lane, const EXT: bool>(k: &[L; 11], v: &mut [f32], ie: &mut [f32], ii: &mut [f32], r: &[u32], io: StepIo) -> bool = psc_exp_body;
}

#[inline(always)]
fn psc_exp_body<L: Lane, const EXT: bool>(
    k: &[L; 11],
    v: &mut [f32],
    ie: &mut [f32],
    ii: &mut [f32],
    r: &[u32],
    io: StepIo,
) -> bool {
    let n = v.len();
    k.iter().for_each(|l| l.check(n));
    let (ie, ii, r) = (&mut ie[..n], &mut ii[..n], &r[..n]);
    let t = io.step as u32;
    let (ce, ci, iext, spk) = (
        &mut io.ch0[..n],
        &mut io.ch1[..n],
        &io.i_ext[..n],
        &mut io.spiked[..n],
    );
    // Non-finite values are detected in the same pass (an OR of comparisons, branch-free; a
    // float sum would be cheaper but cannot be vectorised, being order-dependent).
    let mut bad = false;
    for i in 0..n {
        let vi = v[i];
        let current = if EXT {
            k[E_IE].at(i) + iext[i]
        } else {
            k[E_IE].at(i)
        };
        let drive = current * k[E_P20].at(i);
        let integrated = vi.mul_add(
            k[E_P22].at(i),
            ie[i].mul_add(k[E_P21E].at(i), ii[i].mul_add(k[E_P21I].at(i), drive)),
        );
        let refractory = refractory_at(r[i], t);
        let vn = if refractory { vi } else { integrated };
        ie[i] = ie[i].mul_add(k[E_P11E].at(i), ce[i]);
        ii[i] = ii[i].mul_add(k[E_P11I].at(i), ci[i]);
        ce[i] = 0.0;
        ci[i] = 0.0;
        let fire = vn >= k[E_VTH].at(i);
        v[i] = if fire { k[E_VRESET].at(i) } else { vn };
        spk[i] = fire as u8;
        bad |= !vn.is_finite();
    }
    bad
}
