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

use crate::kernel::{
    Derived, Lane, NeuronGroup, PopValues, StepIo, first_non_finite, init_col, with_lanes,
};
use crate::propagators::propagator_32;
use crate::refractory::{Refractory, concat, lif_group_methods, refractory_at};
use crate::simd::multiversion;
use crate::{ModelInfo, StateInfo, SynapseKind};

crate::lif_params! {
    /// `iaf_psc_exp` parameters (also `iaf_psc_alpha`'s).
    pub struct Params {
        tau_syn_ex: "tau_syn_ex", Time, 2.0, Positive, "excitatory synaptic time constant";
        tau_syn_in: "tau_syn_in", Time, 2.0, Positive, "inhibitory synaptic time constant";
    }
}

/// State of the current-based LIF models: V_m and the two synaptic currents.
pub const PSC_STATE: &[StateInfo] = crate::states! {
    "V_m", Voltage, Param("E_L"), "membrane potential";
    "I_syn_ex", Current, Const(0.0), "excitatory synaptic current";
    "I_syn_in", Current, Const(0.0), "inhibitory synaptic current";
};

/// The catalogue entry.
pub const MODEL: ModelInfo = ModelInfo::spiking(
    "iaf_psc_exp",
    "LIF, exponential synaptic currents (Vogels–Abbott CUBA); exact integration",
    SynapseKind::Current,
    Params::INFO,
    PSC_STATE,
    |v, lo, n, dt, _| Box::new(PscExp::new(v, lo, n, dt)),
)
.with_threshold("V_th", "V_reset")
.with_twin()
.with_gap_junctions();

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

// Derived constants.
pub(crate) const P22: usize = 0; // V → V
pub(crate) const P11E: usize = 1; // I_ex → I_ex
pub(crate) const P11I: usize = 2; // I_in → I_in
pub(crate) const P21E: usize = 3; // I_ex → V [mV/pA]
pub(crate) const P21I: usize = 4; // I_in → V [mV/pA]
pub(crate) const P20: usize = 5; // constant current → V [mV/pA]
pub(crate) const EL: usize = 6;
pub(crate) const VTH: usize = 7; // V_th − E_L
pub(crate) const VRESET: usize = 8; // V_reset − E_L
pub(crate) const IE: usize = 9;
pub(crate) const REF: usize = 10; // t_ref in steps

/// The derived constants of one neuron with parameters `q` at step `h` [ms] (also the first
/// eleven of `iaf_psc_exp_adapt`'s).
pub(crate) fn constants(q: &Params, h: f64) -> [f64; 11] {
    concat(
        propagators(q.tau_m, q.c_m, (q.tau_syn_ex, q.tau_syn_in), h),
        q.lif_constants(h),
    )
}

/// The first five constants (V → V, I_ex → I_ex, I_in → I_in, I_ex → V, I_in → V) of a
/// current-based LIF with membrane `tau_m`, `c_m` and synaptic time constants `tau_syn`.
pub(crate) fn propagators(tau_m: f64, c_m: f64, (ex, inh): (f64, f64), h: f64) -> [f64; 5] {
    [
        (-h / tau_m).exp(),
        (-h / ex).exp(),
        (-h / inh).exp(),
        propagator_32(ex, tau_m, c_m, h),
        propagator_32(inh, tau_m, c_m, h),
    ]
}

impl PscExp {
    /// Neurons `lo..lo+n` with step `h` \[ms\].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> PscExp {
        let k = Derived::build(&vals.params, lo, n, |p| {
            constants(&Params::from_values(p), h)
        });
        let el = &vals.params[crate::index_of(Params::INFO, "E_L")];
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
    ganglion_base::saved_fields!(k, v, ie, ii, until);

    fn step(&mut self, io: StepIo) -> Option<usize> {
        let r = self.until.for_step(io.step);
        let (v, ie, ii) = (&mut self.v, &mut self.ie, &mut self.ii);
        // The external-current stream is read only where a current input exists (~8 % of
        // CUBA's loop otherwise).
        let bad = match io.has_ext {
            false => with_lanes!(&self.k, |k| psc_exp_kernel::<_, false>(k, v, ie, ii, r, io)),
            true => with_lanes!(&self.k, |k| psc_exp_kernel::<_, true>(k, v, ie, ii, r, io)),
        };
        if bad { first_non_finite(&self.v) } else { None }
    }

    fn get(&self, var: usize, i: usize) -> f32 {
        [self.v[i] + self.k.get(EL, i), self.ie[i], self.ii[i]][var]
    }

    lif_group_methods!(REF, VTH);
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
    let (ce, ci, iext, spk) = io.lanes(n);
    // Non-finite values are detected in the same pass (an OR of comparisons, branch-free; a
    // float sum would be cheaper but cannot be vectorised, being order-dependent).
    let mut bad = false;
    for i in 0..n {
        let vi = v[i];
        let current = if EXT {
            k[IE].at(i) + iext[i]
        } else {
            k[IE].at(i)
        };
        let drive = current * k[P20].at(i);
        let integrated = vi.mul_add(
            k[P22].at(i),
            ie[i].mul_add(k[P21E].at(i), ii[i].mul_add(k[P21I].at(i), drive)),
        );
        let vn = if refractory_at(r[i], t) {
            vi
        } else {
            integrated
        };
        ie[i] = ie[i].mul_add(k[P11E].at(i), ce[i]);
        ii[i] = ii[i].mul_add(k[P11I].at(i), ci[i]);
        ce[i] = 0.0;
        ci[i] = 0.0;
        let fire = vn >= k[VTH].at(i);
        v[i] = if fire { k[VRESET].at(i) } else { vn };
        spk[i] = fire as u8;
        bad |= !vn.is_finite();
    }
    bad
}
