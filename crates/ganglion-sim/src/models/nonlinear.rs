//! Non-linear spiking models integrated with fixed-substep RK4.

use super::{Derived, PopValues, StepIo, first_non_finite, init_col};

fn substeps(h: f64, max_sub: f64) -> (usize, f64) {
    let n = (h / max_sub).ceil().max(1.0) as usize;
    (n, h / n as f64)
}

// ------------------------------------------------------------------ aeif_psc_exp

/// `aeif_psc_exp`: adaptive exponential integrate-and-fire (Brette & Gerstner 2005) with
/// exponential synaptic currents.
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
    pub(super) fn threshold_mut(&mut self) -> &mut [f32] {
        let n = self.v.len();
        self.k.lane_mut(3, n)
    }

    /// Neurons `lo..lo+n` with step `h` [ms].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> AdEx {
        let (nsub, hsub) = substeps(h, 0.01);
        let k = Derived::build(&vals.params, lo, n, |p| {
            let mut d = [0.0; 14];
            d.copy_from_slice(&p[..14]);
            d[7] = (p[7] / h).round(); // t_ref in steps
            d
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

    pub(super) fn step(&mut self, io: StepIo) -> Option<usize> {
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

    pub(super) fn get(&self, var: usize, i: usize) -> f32 {
        match var {
            0 => self.v[i],
            1 => self.w[i],
            2 => self.ie[i],
            _ => self.ii[i],
        }
    }
}

// ------------------------------------------------------------------- izhikevich

/// `izhikevich`: Izhikevich (2003) simple model with per-neuron a, b, c, d.
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
    /// Neurons `lo..lo+n` with step `h` [ms].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> Izhikevich {
        let (nsub, hsub) = substeps(h, 0.025);
        let k = Derived::build(&vals.params, lo, n, |p| {
            [p[0], p[1], p[2], p[3], p[4], p[5]]
        });
        Izhikevich {
            v: init_col(&vals.init[0], lo, n, |_| 0.0),
            u: init_col(&vals.init[1], lo, n, |_| 0.0),
            nsub,
            hsub: hsub as f32,
            k,
        }
    }

    pub(super) fn step(&mut self, io: StepIo) -> Option<usize> {
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

    pub(super) fn get(&self, var: usize, i: usize) -> f32 {
        if var == 0 { self.v[i] } else { self.u[i] }
    }
}
