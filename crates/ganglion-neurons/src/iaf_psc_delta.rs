//! `iaf_psc_delta`: leaky integrate-and-fire neuron with delta synapses (NEST's
//! `iaf_psc_delta`; Brunel 2000 model A), integrated exactly.
//!
//! τm dV/dt = −(V − E_L) + τm/C_m (I_e + I_ext); a spike of weight w (mV) makes V jump by w
//! in the step it arrives. Input arriving during the refractory period is discarded (NEST).
//!
//! Reference: Brunel (2000); NEST 3 defaults.

use crate::kernel::{
    Derived, Lane, NeuronGroup, PopValues, StepIo, first_non_finite, init_col, with_lanes,
};
use crate::refractory::{Refractory, concat, lif_group_methods, refractory_at};
use crate::simd::multiversion;
use crate::{ModelInfo, SynapseKind};

crate::lif_params! {
    /// `iaf_psc_delta` parameters: the LIF ones only.
    pub struct Params {}
}

/// The catalogue entry.
pub const MODEL: ModelInfo = ModelInfo::spiking(
    "iaf_psc_delta",
    "LIF, delta synapses (Brunel 2000 model A); exact integration",
    SynapseKind::Delta,
    Params::INFO,
    crate::states! {
        "V_m", Voltage, Param("E_L"), "membrane potential";
    },
    |v, lo, n, dt, _| Box::new(PscDelta::new(v, lo, n, dt)),
)
.with_threshold("V_th", "V_reset")
.with_gap_junctions();

/// One partition of `iaf_psc_delta` neurons.
#[derive(Debug, Clone)]
pub struct PscDelta {
    k: Derived<7>,
    /// V_m − E_L [mV].
    v: Vec<f32>,
    /// Step index until which the neuron is refractory (exclusive; see [`Refractory`]).
    until: Refractory,
}

const D_P33: usize = 0;
const D_P30: usize = 1;
const D_EL: usize = 2;
const D_VTH: usize = 3;
const D_VRESET: usize = 4;
const D_IE: usize = 5;
const D_REF: usize = 6;

impl PscDelta {
    /// Neurons `lo..lo+n` with step `h` \[ms\].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> PscDelta {
        let k = Derived::build(&vals.params, lo, n, |p| {
            let q = Params::from_values(p);
            concat([(-h / q.tau_m).exp()], q.lif_constants(h))
        });
        let el = &vals.params[crate::index_of(Params::INFO, "E_L")];
        PscDelta {
            v: init_col(&vals.init[0], lo, n, |i| el.at(i)),
            until: Refractory::new(n),
            k,
        }
    }
}

impl NeuronGroup for PscDelta {
    ganglion_base::saved_fields!(k, v, until);

    fn step(&mut self, io: StepIo) -> Option<usize> {
        let r = self.until.for_step(io.step);
        let v = &mut self.v;
        with_lanes!(&self.k, |k| delta_kernel(k, v, r, io));
        first_non_finite(&self.v)
    }

    fn get(&self, _var: usize, i: usize) -> f32 {
        self.v[i] + self.k.get(D_EL, i)
    }

    lif_group_methods!(D_REF, D_VTH);
}

multiversion! {
    fn delta_kernel<L: Lane>(k: &[L; 7], v: &mut [f32], r: &[u32], io: StepIo) -> () = delta_body;
}

#[inline(always)]
fn delta_body<L: Lane>(k: &[L; 7], v: &mut [f32], r: &[u32], io: StepIo) {
    let n = v.len();
    k.iter().for_each(|l| l.check(n));
    let r = &r[..n];
    let t = io.step as u32;
    let (ce, ci, iext, spk) = io.lanes(n);
    for i in 0..n {
        let vi = v[i];
        let integrated =
            vi * k[D_P33].at(i) + (k[D_IE].at(i) + iext[i]) * k[D_P30].at(i) + ce[i] + ci[i];
        ce[i] = 0.0;
        ci[i] = 0.0;
        let refractory = refractory_at(r[i], t);
        let vn = if refractory { vi } else { integrated };
        let fire = vn >= k[D_VTH].at(i);
        v[i] = if fire { k[D_VRESET].at(i) } else { vn };
        spk[i] = fire as u8;
    }
}
