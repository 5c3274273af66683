//! `iaf_cond_exp`: leaky integrate-and-fire neuron with exponential conductances (NEST's
//! `iaf_cond_exp`; the COBA benchmark).
//!
//! C dV/dt = g_L(E_L − V) + g_ex(E_ex − V) + g_in(E_in − V) + I_e + I_ext. Within a step the
//! conductances are held at their start-of-step values, which makes V's equation linear and
//! solved exactly (the exponential-Euler scheme Brian2 uses for COBA); the conductances then
//! decay exactly and this step's input (nS) is added.
//!
//! Reference: Vogels & Abbott (2005); NEST 3 defaults.

use crate::kernel::{
    Derived, Lane, NeuronGroup, PopValues, StepIo, first_non_finite, init_col, with_lanes,
};
use crate::refractory::{Refractory, lif_group_methods, ref_steps, refractory_at};
use crate::simd::multiversion;
use crate::{ModelInfo, SynapseKind};

crate::params! {
    /// `iaf_cond_exp` parameters.
    pub struct Params {
        c_m: "C_m", Capacitance, 250.0, Positive, "membrane capacitance";
        g_l: "g_L", Conductance, 16.6667, Positive, "leak conductance";
        e_l: "E_L", Voltage, -70.0, Any, "leak reversal potential";
        v_th: "V_th", Voltage, -55.0, Any, "spike threshold";
        v_reset: "V_reset", Voltage, -60.0, Any, "reset potential";
        t_ref: "t_ref", Time, 2.0, NonNegative, "absolute refractory period";
        i_e: "I_e", Current, 0.0, Any, "constant external current";
        e_ex: "E_ex", Voltage, 0.0, Any, "excitatory reversal potential";
        e_in: "E_in", Voltage, -85.0, Any, "inhibitory reversal potential";
        tau_syn_ex: "tau_syn_ex", Time, 0.2, Positive, "excitatory conductance time constant";
        tau_syn_in: "tau_syn_in", Time, 2.0, Positive, "inhibitory conductance time constant";
    }
}

/// The catalogue entry.
pub const MODEL: ModelInfo = ModelInfo::spiking(
    "iaf_cond_exp",
    "LIF, exponential conductances (COBA); exponential integrator per step",
    SynapseKind::Conductance,
    Params::INFO,
    crate::states! {
        "V_m", Voltage, Param("E_L"), "membrane potential";
        "g_ex", Conductance, Const(0.0), "excitatory conductance";
        "g_in", Conductance, Const(0.0), "inhibitory conductance";
    },
    |v, lo, n, dt, _| Box::new(CondExp::new(v, lo, n, dt)),
)
.with_threshold("V_th", "V_reset")
.with_gap_junctions();

/// One partition of `iaf_cond_exp` neurons.
#[derive(Debug, Clone)]
pub struct CondExp {
    k: Derived<11>,
    /// V_m [mV].
    v: Vec<f32>,
    /// g_ex [nS].
    ge: Vec<f32>,
    /// g_in [nS].
    gi: Vec<f32>,
    /// Step index until which the neuron is refractory (exclusive; see [`Refractory`]).
    until: Refractory,
}

const C_HC: usize = 0; // h / C_m
const C_GL: usize = 1;
const C_EL: usize = 2;
const C_VTH: usize = 3;
const C_VRESET: usize = 4;
const C_IE: usize = 5;
const C_EEX: usize = 6;
const C_EIN: usize = 7;
const C_PGE: usize = 8;
const C_PGI: usize = 9;
const C_REF: usize = 10;

impl CondExp {
    /// Neurons `lo..lo+n` with step `h` \[ms\].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> CondExp {
        let k = Derived::build(&vals.params, lo, n, |p| {
            let q = Params::from_values(p);
            [
                h / q.c_m,
                q.g_l,
                q.e_l,
                q.v_th,
                q.v_reset,
                q.i_e,
                q.e_ex,
                q.e_in,
                (-h / q.tau_syn_ex).exp(),
                (-h / q.tau_syn_in).exp(),
                ref_steps(q.t_ref, h),
            ]
        });
        CondExp {
            v: init_col(&vals.init[0], lo, n, |_| 0.0),
            ge: init_col(&vals.init[1], lo, n, |_| 0.0),
            gi: init_col(&vals.init[2], lo, n, |_| 0.0),
            until: Refractory::new(n),
            k,
        }
    }
}

impl NeuronGroup for CondExp {
    ganglion_base::saved_fields!(k, v, ge, gi, until);

    fn step(&mut self, io: StepIo) -> Option<usize> {
        let r = self.until.for_step(io.step);
        let (v, ge, gi) = (&mut self.v, &mut self.ge, &mut self.gi);
        with_lanes!(&self.k, |k| cond_exp_kernel(k, v, ge, gi, r, io));
        first_non_finite(&self.v)
    }

    fn get(&self, var: usize, i: usize) -> f32 {
        match var {
            0 => self.v[i],
            1 => self.ge[i],
            _ => self.gi[i],
        }
    }

    lif_group_methods!(C_REF, C_VTH);
}

multiversion! {
    fn cond_exp_kernel<L: Lane>(k: &[L; 11], v: &mut [f32], ge: &mut [f32], gi: &mut [f32], r: &[u32], io: StepIo) -> () = cond_exp_body;
}

#[inline(always)]
fn cond_exp_body<L: Lane>(
    k: &[L; 11],
    v: &mut [f32],
    ge: &mut [f32],
    gi: &mut [f32],
    r: &[u32],
    io: StepIo,
) {
    let n = v.len();
    k.iter().for_each(|l| l.check(n));
    let (ge, gi, r) = (&mut ge[..n], &mut gi[..n], &r[..n]);
    let t = io.step as u32;
    let (ce, ci, iext, spk) = io.lanes(n);
    for i in 0..n {
        let vi = v[i];
        let (g, e, gin) = (k[C_GL].at(i), ge[i], gi[i]);
        let gtot = g + e + gin;
        let vinf = (g * k[C_EL].at(i)
            + e * k[C_EEX].at(i)
            + gin * k[C_EIN].at(i)
            + k[C_IE].at(i)
            + iext[i])
            / gtot;
        let integrated = vinf + (vi - vinf) * crate::kernel::fast_exp(-gtot * k[C_HC].at(i));
        let refractory = refractory_at(r[i], t);
        let vn = if refractory { vi } else { integrated };
        ge[i] = e * k[C_PGE].at(i) + ce[i];
        gi[i] = gin * k[C_PGI].at(i) + ci[i];
        ce[i] = 0.0;
        ci[i] = 0.0;
        let fire = vn >= k[C_VTH].at(i);
        v[i] = if fire { k[C_VRESET].at(i) } else { vn };
        spk[i] = fire as u8;
    }
}
