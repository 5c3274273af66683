//! `izhikevich`: the Izhikevich (2003) simple model with per-neuron a, b, c, d (NEST's
//! `izhikevich` units), integrated by RK4 with interpolated threshold crossings.

use crate::aeif_psc_exp::substeps;
use crate::kernel::{Derived, NeuronGroup, PopValues, StepIo, first_non_finite, init_col};
use crate::{ModelInfo, SynapseKind};

crate::params! {
    /// `izhikevich` parameters (regular spiking defaults).
    pub struct Params {
        a: "a", Dimensionless, 0.02, Any, "recovery time scale [1/ms]";
        b: "b", Dimensionless, 0.2, Any, "recovery sensitivity to V_m";
        c: "c", Voltage, -65.0, Any, "after-spike reset of V_m";
        d: "d", Dimensionless, 8.0, Any, "after-spike increment of U_m [mV/ms]";
        v_th: "V_th", Voltage, 30.0, Any, "spike cut-off (V_peak)";
        i_e: "I_e", Current, 0.0, Any, "constant input; 1 pA enters as 1 mV/ms (Izhikevich's units, as NEST does)";
    }
}

/// The catalogue entry.
pub const MODEL: ModelInfo = ModelInfo::spiking(
    "izhikevich",
    "Izhikevich (2003) with per-neuron a, b, c, d; delta synapses; RK4",
    SynapseKind::Delta,
    Params::INFO,
    crate::states! {
        "V_m", Voltage, Const(-65.0), "membrane potential";
        "U_m", Dimensionless, Const(-13.0), "recovery variable";
    },
    |v, lo, n, dt, _| Box::new(Izhikevich::new(v, lo, n, dt)),
)
.with_reset_below("c", "V_th");

/// One partition of `izhikevich` neurons.
///
/// dV/dt = 0.04 V² + 5 V + 140 − U + I, dU/dt = a (b V − U), with V in mV, t in ms and I
/// (I_e + I_ext) entering numerically (1 pA ≡ 1 mV/ms, as in NEST's `izhikevich`). When
/// V ≥ V_th (30 mV): V = c, U += d. Synaptic input (mV) jumps V at the start of the step it
/// arrives. Integrated by RK4 with substeps of at most 0.025 ms; a crossing is located by
/// linear interpolation within the substep, reset there, and the substep completed.
#[derive(Debug, Clone)]
pub struct Izhikevich {
    k: Derived<6>,
    v: Vec<f32>,
    u: Vec<f32>,
    nsub: usize,
    hsub: f32,
}

impl Izhikevich {
    /// Neurons `lo..lo+n` with step `h` \[ms\].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> Izhikevich {
        let (nsub, hsub) = substeps(h, 0.025);
        let k = Derived::build(&vals.params, lo, n, |p| {
            let q = Params::from_values(p);
            [q.a, q.b, q.c, q.d, q.v_th, q.i_e]
        });
        Izhikevich {
            v: init_col(&vals.init[0], lo, n, |_| 0.0),
            u: init_col(&vals.init[1], lo, n, |_| 0.0),
            nsub,
            hsub: hsub as f32,
            k,
        }
    }
}

impl NeuronGroup for Izhikevich {
    ganglion_base::saved_fields!(k, v, u);

    fn step(&mut self, io: StepIo) -> Option<usize> {
        let n = self.v.len();
        let hs = self.hsub;
        for i in 0..n {
            let [a, b, c, d, vth, i_e] = std::array::from_fn(|j| self.k.get(j, i));
            let input = i_e + io.i_ext[i];
            let mut v = self.v[i] + io.ch0[i] + io.ch1[i];
            io.ch0[i] = 0.0;
            io.ch1[i] = 0.0;
            let mut u = self.u[i];
            let mut fired = false;
            let f = |v: f32, u: f32| -> (f32, f32) {
                (0.04 * v * v + 5.0 * v + 140.0 - u + input, a * (b * v - u))
            };
            let rk4 = |v: f32, u: f32, h: f32| -> (f32, f32) {
                let (k1v, k1u) = f(v, u);
                let (k2v, k2u) = f(v + 0.5 * h * k1v, u + 0.5 * h * k1u);
                let (k3v, k3u) = f(v + 0.5 * h * k2v, u + 0.5 * h * k2u);
                let (k4v, k4u) = f(v + h * k3v, u + h * k3u);
                (
                    v + h / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v),
                    u + h / 6.0 * (k1u + 2.0 * k2u + 2.0 * k3u + k4u),
                )
            };
            for _ in 0..self.nsub {
                let (v1, u1) = rk4(v, u, hs);
                if v1 >= vth {
                    // Locate the crossing by linear interpolation, reset there, and integrate
                    // the rest of the substep: spike timing no longer drifts by up to a
                    // substep per spike.
                    let frac = ((vth - v) / (v1 - v)).clamp(0.0, 1.0);
                    fired = true;
                    let (v2, u2) = rk4(c, u + frac * (u1 - u) + d, (1.0 - frac) * hs);
                    v = v2;
                    u = u2;
                } else {
                    v = v1;
                    u = u1;
                }
            }
            self.v[i] = v;
            self.u[i] = u;
            io.spiked[i] = fired as u8;
        }
        first_non_finite(&self.v)
    }

    fn get(&self, var: usize, i: usize) -> f32 {
        if var == 0 { self.v[i] } else { self.u[i] }
    }
}
