//! `iaf_psc_alpha`: leaky integrate-and-fire neuron with alpha-shaped synaptic currents
//! (NEST's `iaf_psc_alpha`), integrated exactly.
//!
//! A spike of weight w (pA) produces I(t) = w · (t/τs) · e^{1 − t/τs}, peaking at w after τs;
//! otherwise as [`crate::iaf_psc_exp`] (same parameters and state).
//!
//! Reference: Rotter & Diesmann (1999); NEST 3 defaults.

use crate::iaf_psc_exp::{PSC_STATE, Params};
use crate::kernel::{
    Derived, Lane, NeuronGroup, PopValues, StepIo, first_non_finite, init_col, with_lanes,
};
use crate::propagators::{propagator_31, propagator_32};
use crate::refractory::{Refractory, concat, lif_group_methods, refractory_at};
use crate::simd::multiversion;
use crate::{ModelInfo, SynapseKind};

/// The catalogue entry.
pub const MODEL: ModelInfo = ModelInfo::spiking(
    "iaf_psc_alpha",
    "LIF, alpha-shaped synaptic currents (NEST iaf_psc_alpha); exact integration",
    SynapseKind::Current,
    Params::INFO,
    PSC_STATE,
    |v, lo, n, dt, _| Box::new(PscAlpha::new(v, lo, n, dt)),
)
.with_threshold("V_th", "V_reset")
.with_gap_junctions();

/// One partition of `iaf_psc_alpha` neurons.
#[derive(Debug, Clone)]
pub struct PscAlpha {
    k: Derived<17>,
    /// V_m − E_L [mV].
    v: Vec<f32>,
    /// dI_ex/dt state [pA/ms].
    die: Vec<f32>,
    /// I_ex [pA].
    ie: Vec<f32>,
    /// dI_in/dt state [pA/ms].
    dii: Vec<f32>,
    /// I_in [pA].
    ii: Vec<f32>,
    /// Step index until which the neuron is refractory (exclusive; see [`Refractory`]).
    until: Refractory,
}

const A_P33: usize = 0;
const A_P11E: usize = 1;
const A_P21E: usize = 2;
const A_P31E: usize = 3;
const A_P32E: usize = 4;
const A_P11I: usize = 5;
const A_P21I: usize = 6;
const A_P31I: usize = 7;
const A_P32I: usize = 8;
const A_EPSCE: usize = 9;
const A_EPSCI: usize = 10;
// Then `lif_constants`.
const A_P30: usize = 11;
const A_EL: usize = 12;
const A_VTH: usize = 13;
const A_VRESET: usize = 14;
const A_IE: usize = 15;
const A_REF: usize = 16;

impl PscAlpha {
    /// Neurons `lo..lo+n` with step `h` \[ms\].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> PscAlpha {
        let k = Derived::build(&vals.params, lo, n, |p| {
            let q = Params::from_values(p);
            let head = [
                (-h / q.tau_m).exp(),
                (-h / q.tau_syn_ex).exp(),
                h * (-h / q.tau_syn_ex).exp(),
                propagator_31(q.tau_syn_ex, q.tau_m, q.c_m, h),
                propagator_32(q.tau_syn_ex, q.tau_m, q.c_m, h),
                (-h / q.tau_syn_in).exp(),
                h * (-h / q.tau_syn_in).exp(),
                propagator_31(q.tau_syn_in, q.tau_m, q.c_m, h),
                propagator_32(q.tau_syn_in, q.tau_m, q.c_m, h),
                std::f64::consts::E / q.tau_syn_ex,
                std::f64::consts::E / q.tau_syn_in,
            ];
            concat(head, q.lif_constants(h))
        });
        let el = &vals.params[crate::index_of(Params::INFO, "E_L")];
        PscAlpha {
            v: init_col(&vals.init[0], lo, n, |i| el.at(i)),
            die: vec![0.0; n],
            ie: init_col(&vals.init[1], lo, n, |_| 0.0),
            dii: vec![0.0; n],
            ii: init_col(&vals.init[2], lo, n, |_| 0.0),
            until: Refractory::new(n),
            k,
        }
    }
}

impl NeuronGroup for PscAlpha {
    ganglion_base::saved_fields!(k, v, die, ie, dii, ii, until);

    fn step(&mut self, io: StepIo) -> Option<usize> {
        let s = &mut *self;
        let r = s.until.for_step(io.step);
        let (v, die, ie, dii, ii) = (&mut s.v, &mut s.die, &mut s.ie, &mut s.dii, &mut s.ii);
        with_lanes!(&s.k, |k| psc_alpha_kernel(k, v, die, ie, dii, ii, r, io));
        first_non_finite(&self.v)
    }

    fn get(&self, var: usize, i: usize) -> f32 {
        match var {
            0 => self.v[i] + self.k.get(A_EL, i),
            1 => self.ie[i],
            _ => self.ii[i],
        }
    }

    lif_group_methods!(A_REF, A_VTH);
}

multiversion! {
    fn psc_alpha_kernel<L: Lane>(k: &[L; 17], v: &mut [f32], die: &mut [f32], ie: &mut [f32], dii: &mut [f32], ii: &mut [f32], r: &[u32], io: StepIo) -> () = psc_alpha_body;
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn psc_alpha_body<L: Lane>(
    k: &[L; 17],
    v: &mut [f32],
    die: &mut [f32],
    ie: &mut [f32],
    dii: &mut [f32],
    ii: &mut [f32],
    r: &[u32],
    io: StepIo,
) {
    let n = v.len();
    k.iter().for_each(|l| l.check(n));
    let (die, ie, dii, ii, r) = (
        &mut die[..n],
        &mut ie[..n],
        &mut dii[..n],
        &mut ii[..n],
        &r[..n],
    );
    let t = io.step as u32;
    let (ce, ci, iext, spk) = io.lanes(n);
    for i in 0..n {
        let vi = v[i];
        let integrated = vi * k[A_P33].at(i)
            + (k[A_IE].at(i) + iext[i]) * k[A_P30].at(i)
            + die[i] * k[A_P31E].at(i)
            + ie[i] * k[A_P32E].at(i)
            + dii[i] * k[A_P31I].at(i)
            + ii[i] * k[A_P32I].at(i);
        let refractory = refractory_at(r[i], t);
        let vn = if refractory { vi } else { integrated };
        ie[i] = die[i] * k[A_P21E].at(i) + ie[i] * k[A_P11E].at(i);
        die[i] = die[i] * k[A_P11E].at(i) + ce[i] * k[A_EPSCE].at(i);
        ce[i] = 0.0;
        ii[i] = dii[i] * k[A_P21I].at(i) + ii[i] * k[A_P11I].at(i);
        dii[i] = dii[i] * k[A_P11I].at(i) + ci[i] * k[A_EPSCI].at(i);
        ci[i] = 0.0;
        let fire = vn >= k[A_VTH].at(i);
        v[i] = if fire { k[A_VRESET].at(i) } else { vn };
        spk[i] = fire as u8;
    }
}
