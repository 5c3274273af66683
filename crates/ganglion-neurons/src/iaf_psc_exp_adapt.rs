//! `iaf_psc_exp_adapt`: leaky integrate-and-fire neuron with exponential synaptic currents
//! and a spike-triggered adaptation current (spike-frequency adaptation), integrated exactly.
//!
//! C_m dV/dt = −C_m (V − E_L)/τm + I_ex + I_in − w + I_e + I_ext, dI_x/dt = −I_x/τ_x,
//! τ_w dw/dt = −w, and w += b at every spike. All subthreshold dynamics are linear, so V, the
//! currents and w are advanced by exact propagators, as in [`crate::iaf_psc_exp`] (with b = 0
//! the two models give identical spikes, bit for bit). The adaptation current is the
//! spike-triggered part of Brette & Gerstner's (2005) AdEx (its a = 0) and the single
//! exponential η-kernel of Mensi et al.'s (2012) GIF models; it keeps decaying during the
//! refractory period.
//!
//! Order within a step (NEST's): V is advanced with the start-of-step currents and w, then
//! the currents and w decay, this step's input is added, and a spike (V ≥ V_th) resets V and
//! adds b to w.

use crate::iaf_psc_exp::{PSC_STATE, propagators};
use crate::kernel::{
    Derived, Lane, NeuronGroup, PopValues, StepIo, first_non_finite, init_col, with_lanes,
};
use crate::propagators::propagator_32;
use crate::refractory::{Refractory, concat, lif_group_methods, refractory_at};
use crate::simd::multiversion;
use crate::{ModelInfo, StateInfo, SynapseKind};

crate::lif_params! {
    /// `iaf_psc_exp_adapt` parameters: `iaf_psc_exp`'s and the adaptation current's.
    pub struct Params {
        tau_syn_ex: "tau_syn_ex", Time, 2.0, Positive, "excitatory synaptic time constant";
        tau_syn_in: "tau_syn_in", Time, 2.0, Positive, "inhibitory synaptic time constant";
        tau_w: "tau_w", Time, 100.0, Positive, "adaptation time constant";
        b: "b", Current, 20.0, NonNegative, "adaptation current added at each spike";
    }
}

/// State: `iaf_psc_exp`'s and the adaptation current `w`.
const STATE: &[StateInfo] = &[PSC_STATE[0], PSC_STATE[1], PSC_STATE[2], ADAPTATION[0]];
const ADAPTATION: &[StateInfo] = crate::states! {
    "w", Current, Const(0.0), "adaptation current";
};

/// The catalogue entry.
pub const MODEL: ModelInfo = ModelInfo::spiking(
    "iaf_psc_exp_adapt",
    "LIF, exponential currents, spike-triggered adaptation current (SFA); exact integration",
    SynapseKind::Current,
    Params::INFO,
    STATE,
    |v, lo, n, dt, _| Box::new(PscExpAdapt::new(v, lo, n, dt)),
)
.with_threshold("V_th", "V_reset")
.with_gap_junctions();

/// One partition of `iaf_psc_exp_adapt` neurons.
#[derive(Debug, Clone)]
pub struct PscExpAdapt {
    k: Derived<14>,
    /// V_m − E_L [mV].
    v: Vec<f32>,
    /// I_syn_ex [pA].
    ie: Vec<f32>,
    /// I_syn_in [pA].
    ii: Vec<f32>,
    /// Adaptation current w [pA].
    w: Vec<f32>,
    /// Step index until which the neuron is refractory (exclusive; see [`Refractory`]).
    until: Refractory,
}

// Derived constants: `iaf_psc_exp`'s eleven, then the adaptation current's.
use crate::iaf_psc_exp::{EL, IE, P11E, P11I, P20, P21E, P21I, P22, REF, VRESET, VTH};
const P11W: usize = 11; // w → w
const P21W: usize = 12; // w → V [mV/pA], negative: w hyperpolarises
const B: usize = 13; // b [pA]

impl PscExpAdapt {
    /// Neurons `lo..lo+n` with step `h` \[ms\].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> PscExpAdapt {
        let k = Derived::build(&vals.params, lo, n, |p| {
            let q = Params::from_values(p);
            let syn = (q.tau_syn_ex, q.tau_syn_in);
            let lif: [f64; 11] = concat(propagators(q.tau_m, q.c_m, syn, h), q.lif_constants(h));
            let w = [
                (-h / q.tau_w).exp(),
                -propagator_32(q.tau_w, q.tau_m, q.c_m, h),
                q.b,
            ];
            concat(lif, w)
        });
        let el = &vals.params[crate::index_of(Params::INFO, "E_L")];
        PscExpAdapt {
            v: init_col(&vals.init[0], lo, n, |i| el.at(i)),
            ie: init_col(&vals.init[1], lo, n, |_| 0.0),
            ii: init_col(&vals.init[2], lo, n, |_| 0.0),
            w: init_col(&vals.init[3], lo, n, |_| 0.0),
            until: Refractory::new(n),
            k,
        }
    }
}

impl NeuronGroup for PscExpAdapt {
    ganglion_base::saved_fields!(k, v, ie, ii, w, until);

    fn step(&mut self, io: StepIo) -> Option<usize> {
        let r = self.until.for_step(io.step);
        let s = (&mut self.v, &mut self.ie, &mut self.ii, &mut self.w);
        let bad = with_lanes!(&self.k, |k| adapt_kernel(k, s.0, s.1, s.2, s.3, r, io));
        if bad {
            first_non_finite(&self.v).or_else(|| first_non_finite(&self.w))
        } else {
            None
        }
    }

    fn get(&self, var: usize, i: usize) -> f32 {
        match var {
            0 => self.v[i] + self.k.get(EL, i),
            1 => self.ie[i],
            2 => self.ii[i],
            _ => self.w[i],
        }
    }

    lif_group_methods!(REF, VTH);
}

multiversion! {
    fn adapt_kernel<L: Lane>(k: &[L; 14], v: &mut [f32], ie: &mut [f32], ii: &mut [f32], w: &mut [f32], r: &[u32], io: StepIo) -> bool = adapt_body;
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn adapt_body<L: Lane>(
    k: &[L; 14],
    v: &mut [f32],
    ie: &mut [f32],
    ii: &mut [f32],
    w: &mut [f32],
    r: &[u32],
    io: StepIo,
) -> bool {
    let n = v.len();
    k.iter().for_each(|l| l.check(n));
    let (ie, ii, w, r) = (&mut ie[..n], &mut ii[..n], &mut w[..n], &r[..n]);
    let t = io.step as u32;
    let (ce, ci, iext, spk) = io.lanes(n);
    let mut bad = false;
    for i in 0..n {
        let vi = v[i];
        // Same operations as iaf_psc_exp's kernel with w's term fused into the drive, so
        // that w = 0 gives bit-identical results.
        let drive = w[i].mul_add(k[P21W].at(i), (k[IE].at(i) + iext[i]) * k[P20].at(i));
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
        let wd = w[i] * k[P11W].at(i);
        w[i] = if fire { wd + k[B].at(i) } else { wd };
        v[i] = if fire { k[VRESET].at(i) } else { vn };
        spk[i] = fire as u8;
        bad |= !vn.is_finite();
    }
    bad
}
