//! `aeif_psc_exp`: adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005)
//! with exponential synaptic currents (NEST's `aeif_psc_exp`), integrated by RK4.

use crate::kernel::{Derived, NeuronGroup, PopValues, StepIo, first_non_finite, init_col};
use crate::{ModelInfo, SynapseKind};

crate::params! {
    /// `aeif_psc_exp` parameters (NEST 3 defaults).
    pub struct Params {
        c_m: "C_m", Capacitance, 281.0, Positive, "membrane capacitance";
        g_l: "g_L", Conductance, 30.0, Positive, "leak conductance";
        e_l: "E_L", Voltage, -70.6, Any, "leak reversal potential";
        v_th: "V_th", Voltage, -50.4, Any, "exponential threshold V_T";
        delta_t: "Delta_T", Voltage, 2.0, Positive, "slope factor of the exponential";
        v_peak: "V_peak", Voltage, 0.0, Any, "spike detection threshold";
        v_reset: "V_reset", Voltage, -60.0, Any, "reset potential";
        t_ref: "t_ref", Time, 0.0, NonNegative, "absolute refractory period";
        a: "a", Conductance, 4.0, Any, "subthreshold adaptation";
        b: "b", Current, 80.5, Any, "spike-triggered adaptation";
        tau_w: "tau_w", Time, 144.0, Positive, "adaptation time constant";
        i_e: "I_e", Current, 0.0, Any, "constant external current";
        tau_syn_ex: "tau_syn_ex", Time, 0.2, Positive, "excitatory synaptic time constant";
        tau_syn_in: "tau_syn_in", Time, 2.0, Positive, "inhibitory synaptic time constant";
    }
}

/// The catalogue entry.
pub const MODEL: ModelInfo = ModelInfo::spiking(
    "aeif_psc_exp",
    "adaptive exponential IF (Brette & Gerstner 2005), exponential currents; RK4",
    SynapseKind::Current,
    Params::INFO,
    crate::states! {
        "V_m", Voltage, Param("E_L"), "membrane potential";
        "w", Current, Const(0.0), "adaptation current";
        "I_syn_ex", Current, Const(0.0), "excitatory synaptic current";
        "I_syn_in", Current, Const(0.0), "inhibitory synaptic current";
    },
    |v, lo, n, dt, _| Box::new(AdEx::new(v, lo, n, dt)),
)
.with_threshold("V_th", "V_reset")
.with_gap_junctions();

/// `(substeps, substep)`: the fewest substeps of at most `max_sub` that tile `h` \[ms\].
pub fn substeps(h: f64, max_sub: f64) -> (usize, f64) {
    let n = (h / max_sub).ceil().max(1.0) as usize;
    (n, h / n as f64)
}

/// One partition of `aeif_psc_exp` neurons.
///
/// C dV/dt = −g_L(V − E_L) + g_L Δ_T exp((V − V_T)/Δ_T) − w + I_ex + I_in + I_e + I_ext,
/// τ_w dw/dt = a(V − E_L) − w, dI_x/dt = −I_x/τ_x. Spike when V ≥ V_peak: V = V_reset,
/// w += b, V clamped for t_ref. Integrated by RK4 with substeps of at most 0.01 ms; the
/// exponential uses min(V, V_peak) so that no stage overflows (as NEST does).
#[derive(Debug, Clone)]
pub struct AdEx {
    k: Derived<14>,
    v: Vec<f32>,
    w: Vec<f32>,
    ie: Vec<f32>,
    ii: Vec<f32>,
    r: Vec<f32>,
    nsub: usize,
    hsub: f32,
}

impl AdEx {
    /// Neurons `lo..lo+n` with step `h` \[ms\].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> AdEx {
        let (nsub, hsub) = substeps(h, 0.01);
        let k = Derived::build(&vals.params, lo, n, |p| {
            // The parameters themselves, with t_ref in steps.
            let q = Params::from_values(p);
            [
                q.c_m,
                q.g_l,
                q.e_l,
                q.v_th,
                q.delta_t,
                q.v_peak,
                q.v_reset,
                (q.t_ref / h).round(),
                q.a,
                q.b,
                q.tau_w,
                q.i_e,
                q.tau_syn_ex,
                q.tau_syn_in,
            ]
        });
        AdEx {
            v: init_col(&vals.init[0], lo, n, |_| 0.0),
            w: init_col(&vals.init[1], lo, n, |_| 0.0),
            ie: init_col(&vals.init[2], lo, n, |_| 0.0),
            ii: init_col(&vals.init[3], lo, n, |_| 0.0),
            r: vec![0.0; n],
            nsub,
            hsub: hsub as f32,
            k,
        }
    }
}

impl NeuronGroup for AdEx {
    ganglion_base::saved_fields!(k, v, w, ie, ii, r);

    fn step(&mut self, io: StepIo) -> Option<usize> {
        let n = self.v.len();
        let hs = self.hsub;
        for i in 0..n {
            let p: [f32; 14] = std::array::from_fn(|j| self.k.get(j, i));
            let [
                c,
                gl,
                el,
                vt,
                dt_,
                vpeak,
                vreset,
                tref,
                a,
                b,
                tw,
                i_e,
                te,
                ti,
            ] = p;
            let iconst = i_e + io.i_ext[i];
            let (mut v, mut w, mut ie, mut ii) = (self.v[i], self.w[i], self.ie[i], self.ii[i]);
            let mut fired = false;
            let mut clamp = self.r[i] > 0.0;
            for _ in 0..self.nsub {
                let f = |v: f32, w: f32, ie: f32, ii: f32| -> [f32; 4] {
                    let vv = v.min(vpeak);
                    let dv = if clamp {
                        0.0
                    } else {
                        (-gl * (vv - el) + gl * dt_ * ((vv - vt) / dt_).exp() - w
                            + ie
                            + ii
                            + iconst)
                            / c
                    };
                    [dv, (a * (vv - el) - w) / tw, -ie / te, -ii / ti]
                };
                let k1 = f(v, w, ie, ii);
                let k2 = f(
                    v + 0.5 * hs * k1[0],
                    w + 0.5 * hs * k1[1],
                    ie + 0.5 * hs * k1[2],
                    ii + 0.5 * hs * k1[3],
                );
                let k3 = f(
                    v + 0.5 * hs * k2[0],
                    w + 0.5 * hs * k2[1],
                    ie + 0.5 * hs * k2[2],
                    ii + 0.5 * hs * k2[3],
                );
                let k4 = f(
                    v + hs * k3[0],
                    w + hs * k3[1],
                    ie + hs * k3[2],
                    ii + hs * k3[3],
                );
                let upd =
                    |x: f32, j: usize| x + hs / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
                v = upd(v, 0);
                w = upd(w, 1);
                ie = upd(ie, 2);
                ii = upd(ii, 3);
                if !clamp && v >= vpeak {
                    fired = true;
                    v = vreset;
                    w += b;
                    clamp = tref > 0.0;
                }
            }
            // This step's arriving input (pA) joins the currents after the update (NEST order).
            ie += io.ch0[i];
            ii += io.ch1[i];
            io.ch0[i] = 0.0;
            io.ch1[i] = 0.0;
            let r = if fired {
                tref
            } else {
                (self.r[i] - 1.0).max(0.0)
            };
            if self.r[i] > 0.0 && !fired {
                v = vreset;
            }
            self.v[i] = v;
            self.w[i] = w;
            self.ie[i] = ie;
            self.ii[i] = ii;
            self.r[i] = r;
            io.spiked[i] = fired as u8;
        }
        first_non_finite(&self.v).or_else(|| first_non_finite(&self.w))
    }

    fn get(&self, var: usize, i: usize) -> f32 {
        match var {
            0 => self.v[i],
            1 => self.w[i],
            2 => self.ie[i],
            _ => self.ii[i],
        }
    }

    fn threshold_mut(&mut self) -> Option<&mut [f32]> {
        let n = self.v.len();
        Some(self.k.lane_mut(crate::index_of(Params::INFO, "V_th"), n))
    }
}
