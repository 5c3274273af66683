//! Leaky integrate-and-fire kernels.
//!
//! Common to all: the membrane potential is integrated only outside the refractory period
//! ([`Refractory`]); a spike is emitted when V ≥ V_th at the end of the step, then V = V_reset
//! and the neuron is refractory for the next round(t_ref / dt) steps. The NEST order is kept:
//! V is advanced with the synaptic state at the start of the step, then the synaptic state decays and this
//! step's arriving input is added, so input arriving at time t first moves V in the step
//! after t (for delta synapses it moves V in the step it arrives).

use super::simd::multiversion;
use super::{Column, Derived, Lane, PopValues, StepIo, first_non_finite, init_col};

/// Propagator from a synaptic current with time constant `tau_s` to V over `h`:
/// τs·τm / (C (τm − τs)) · (e^{−h/τm} − e^{−h/τs}); its limit h/C · e^{−h/τ} when τs = τm.
pub fn propagator_32(tau_s: f64, tau_m: f64, c: f64, h: f64) -> f64 {
    if ((tau_m - tau_s) / tau_m).abs() < 1e-9 {
        h / c * (-h / tau_m).exp()
    } else {
        tau_s * tau_m / (c * (tau_m - tau_s)) * ((-h / tau_m).exp() - (-h / tau_s).exp())
    }
}

/// Propagator from the derivative of an alpha current to V over `h`:
/// e^{−h/τm}/C · (1 − e^{−kh}(1 + kh)) / k², k = 1/τs − 1/τm.
pub fn propagator_31(tau_s: f64, tau_m: f64, c: f64, h: f64) -> f64 {
    let k = 1.0 / tau_s - 1.0 / tau_m;
    let kh = k * h;
    let integral = if kh.abs() < 1e-4 {
        // Series of (1 − e^{−x}(1+x))/k² = h²(1/2 − x/3 + x²/8 − …).
        h * h * (0.5 - kh / 3.0 + kh * kh / 8.0)
    } else {
        (1.0 - (-kh).exp() * (1.0 + kh)) / (k * k)
    };
    (-h / tau_m).exp() / c * integral
}

fn ref_steps(t_ref: f64, h: f64) -> f64 {
    (t_ref / h).round()
}

/// Refractory state of a LIF partition: per neuron, the step index (mod 2³²) up to which it
/// is refractory, exclusive. Kernels only read it (refractory at step t iff `until − t`, as a
/// wrapped i32, is positive), so the step loop stores nothing for it: a stored counter cost
/// one of the six vector stores per neuron update that bound the CUBA kernel (-9 % loop
/// time). A spike at step t sets `until = t + 1 + round(t_ref / dt)` ([`Self::mark`], called
/// with the step's spike list), which makes steps t+1 ..= t+round(t_ref/dt) refractory.
#[derive(Debug, Clone)]
pub(super) struct Refractory(Vec<u32>);

/// Whether a neuron with refractory bound `until` is refractory at step `t` (both mod 2³²).
#[inline(always)]
fn refractory_at(until: u32, t: u32) -> bool {
    until.wrapping_sub(t) as i32 > 0
}

/// Refractory periods are capped at this many steps (about 30 h at dt = 0.1 ms) so that
/// `until − t` always fits an i32.
const MAX_REF_STEPS: u32 = 1 << 30;

impl Refractory {
    fn new(n: usize) -> Self {
        Self(vec![0; n])
    }

    /// The bounds for the kernel of `step`. Every 2³⁰ steps it first lifts bounds that lie in
    /// the past to the present: `until − t` then stays within ±2³¹ however long the run (a
    /// stale 0 would read as "future" after 2³¹ steps).
    #[inline]
    fn for_step(&mut self, step: u64) -> &[u32] {
        if step.is_multiple_of(MAX_REF_STEPS as u64) {
            let t = step as u32;
            for u in &mut self.0 {
                if !refractory_at(*u, t) {
                    *u = t;
                }
            }
        }
        &self.0
    }

    /// Neurons `spikes` (global ids, partition starting at `lo`) spiked at `step`; their
    /// refractory length in steps is derived constant `ref_index` of `k`.
    fn mark<const M: usize>(
        &mut self,
        spikes: &[u32],
        lo: u32,
        step: u64,
        k: &Derived<M>,
        ref_index: usize,
    ) {
        let t = step as u32;
        for &g in spikes {
            let i = (g - lo) as usize;
            let r = (k.get(ref_index, i) as u32).min(MAX_REF_STEPS);
            self.0[i] = t.wrapping_add(1 + r);
        }
    }
}

// ---------------------------------------------------------------- iaf_psc_exp

/// `iaf_psc_exp`: LIF with exponential synaptic currents, exact integration.
///
/// dV/dt = −(V − E_L)/τm + (I_ex + I_in + I_e + I_ext)/C_m; dI_x/dt = −I_x/τ_x; a spike of
/// weight w (pA) adds w to I_ex (w > 0) or I_in (w < 0).
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

impl PscExp {
    pub(super) fn threshold_mut(&mut self) -> &mut [f32] {
        let n = self.v.len();
        self.k.lane_mut(E_VTH, n)
    }

    /// Neurons `lo..lo+n` with step `h` [ms].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> PscExp {
        let k = Derived::build(&vals.params, lo, n, |p| {
            let (c, tm, el, vth, vr, tref, ie, te, ti) =
                (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]);
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
        let el = &vals.params[2];
        PscExp {
            v: init_col(&vals.init[0], lo, n, |i| el.at(i)),
            ie: init_col(&vals.init[1], lo, n, |_| 0.0),
            ii: init_col(&vals.init[2], lo, n, |_| 0.0),
            until: Refractory::new(n),
            k,
        }
    }

    pub(super) fn step(&mut self, io: StepIo) -> Option<usize> {
        let ext = io.has_ext;
        let r = self.until.for_step(io.step);
        let (v, ie, ii) = (&mut self.v, &mut self.ie, &mut self.ii);
        let bad = match (&self.k, ext) {
            (Derived::Shared(k), false) => psc_exp_kernel::<_, false>(k, v, ie, ii, r, io),
            (Derived::Shared(k), true) => psc_exp_kernel::<_, true>(k, v, ie, ii, r, io),
            (Derived::Each(k), false) => psc_exp_kernel::<_, false>(&**k, v, ie, ii, r, io),
            (Derived::Each(k), true) => psc_exp_kernel::<_, true>(&**k, v, ie, ii, r, io),
        };
        if bad { first_non_finite(&self.v) } else { None }
    }

    /// Starts the refractory period of neurons `spikes` (global ids; partition at `lo`).
    pub(super) fn mark_spikes(&mut self, spikes: &[u32], lo: u32, step: u64) {
        self.until.mark(spikes, lo, step, &self.k, E_REF);
    }

    pub(super) fn get(&self, var: usize, i: usize) -> f32 {
        match var {
            0 => self.v[i] + self.k.get(E_EL, i),
            1 => self.ie[i],
            _ => self.ii[i],
        }
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

// -------------------------------------------------------------- iaf_psc_alpha

/// `iaf_psc_alpha`: LIF with alpha-shaped synaptic currents, exact integration (NEST).
///
/// A spike of weight w (pA) produces I(t) = w · (t/τs) · e^{1 − t/τs}, peaking at w after τs.
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
const A_P30: usize = 9;
const A_EL: usize = 10;
const A_VTH: usize = 11;
const A_VRESET: usize = 12;
const A_IE: usize = 13;
const A_REF: usize = 14;
const A_EPSCE: usize = 15;
const A_EPSCI: usize = 16;

impl PscAlpha {
    pub(super) fn threshold_mut(&mut self) -> &mut [f32] {
        let n = self.v.len();
        self.k.lane_mut(A_VTH, n)
    }

    /// Neurons `lo..lo+n` with step `h` [ms].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> PscAlpha {
        let k = Derived::build(&vals.params, lo, n, |p| {
            let (c, tm, el, vth, vr, tref, ie, te, ti) =
                (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]);
            let p33 = (-h / tm).exp();
            [
                p33,
                (-h / te).exp(),
                h * (-h / te).exp(),
                propagator_31(te, tm, c, h),
                propagator_32(te, tm, c, h),
                (-h / ti).exp(),
                h * (-h / ti).exp(),
                propagator_31(ti, tm, c, h),
                propagator_32(ti, tm, c, h),
                tm / c * (1.0 - p33),
                el,
                vth - el,
                vr - el,
                ie,
                ref_steps(tref, h),
                std::f64::consts::E / te,
                std::f64::consts::E / ti,
            ]
        });
        let el = &vals.params[2];
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

    pub(super) fn step(&mut self, io: StepIo) -> Option<usize> {
        let s = &mut *self;
        let r = s.until.for_step(io.step);
        match &s.k {
            Derived::Shared(k) => psc_alpha_kernel(
                k, &mut s.v, &mut s.die, &mut s.ie, &mut s.dii, &mut s.ii, r, io,
            ),
            Derived::Each(k) => psc_alpha_kernel(
                &**k, &mut s.v, &mut s.die, &mut s.ie, &mut s.dii, &mut s.ii, r, io,
            ),
        }
        first_non_finite(&self.v)
    }

    /// Starts the refractory period of neurons `spikes` (global ids; partition at `lo`).
    pub(super) fn mark_spikes(&mut self, spikes: &[u32], lo: u32, step: u64) {
        self.until.mark(spikes, lo, step, &self.k, A_REF);
    }

    pub(super) fn get(&self, var: usize, i: usize) -> f32 {
        match var {
            0 => self.v[i] + self.k.get(A_EL, i),
            1 => self.ie[i],
            _ => self.ii[i],
        }
    }
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
    let (ce, ci, iext, spk) = (
        &mut io.ch0[..n],
        &mut io.ch1[..n],
        &io.i_ext[..n],
        &mut io.spiked[..n],
    );
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

// --------------------------------------------------------------- iaf_cond_exp

/// `iaf_cond_exp`: LIF with exponential conductances.
///
/// C dV/dt = g_L(E_L − V) + g_ex(E_ex − V) + g_in(E_in − V) + I_e + I_ext. Within a step the
/// conductances are held at their start-of-step values, which makes V's equation linear and
/// solved exactly (the exponential-Euler scheme Brian2 uses for COBA); the conductances then
/// decay exactly and this step's input (nS) is added.
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
    pub(super) fn threshold_mut(&mut self) -> &mut [f32] {
        let n = self.v.len();
        self.k.lane_mut(C_VTH, n)
    }

    /// Neurons `lo..lo+n` with step `h` [ms].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> CondExp {
        let k = Derived::build(&vals.params, lo, n, |p| {
            let (c, gl, el, vth, vr, tref, ie, eex, ein, te, ti) = (
                p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10],
            );
            [
                h / c,
                gl,
                el,
                vth,
                vr,
                ie,
                eex,
                ein,
                (-h / te).exp(),
                (-h / ti).exp(),
                ref_steps(tref, h),
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

    pub(super) fn step(&mut self, io: StepIo) -> Option<usize> {
        let r = self.until.for_step(io.step);
        match &self.k {
            Derived::Shared(k) => {
                cond_exp_kernel(k, &mut self.v, &mut self.ge, &mut self.gi, r, io)
            }
            Derived::Each(k) => {
                cond_exp_kernel(&**k, &mut self.v, &mut self.ge, &mut self.gi, r, io)
            }
        }
        first_non_finite(&self.v)
    }

    /// Starts the refractory period of neurons `spikes` (global ids; partition at `lo`).
    pub(super) fn mark_spikes(&mut self, spikes: &[u32], lo: u32, step: u64) {
        self.until.mark(spikes, lo, step, &self.k, C_REF);
    }

    pub(super) fn get(&self, var: usize, i: usize) -> f32 {
        match var {
            0 => self.v[i],
            1 => self.ge[i],
            _ => self.gi[i],
        }
    }
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
    let (ce, ci, iext, spk) = (
        &mut io.ch0[..n],
        &mut io.ch1[..n],
        &io.i_ext[..n],
        &mut io.spiked[..n],
    );
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
        let integrated = vinf + (vi - vinf) * super::fast_exp(-gtot * k[C_HC].at(i));
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

// -------------------------------------------------------------- iaf_psc_delta

/// `iaf_psc_delta`: LIF with delta synapses (Brunel 2000 model A), exact integration.
///
/// τm dV/dt = −(V − E_L) + τm/C_m (I_e + I_ext); a spike of weight w (mV) makes V jump by w
/// in the step it arrives. Input arriving during the refractory period is discarded (NEST).
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
    pub(super) fn threshold_mut(&mut self) -> &mut [f32] {
        let n = self.v.len();
        self.k.lane_mut(D_VTH, n)
    }

    /// Neurons `lo..lo+n` with step `h` [ms].
    pub fn new(vals: &PopValues, lo: usize, n: usize, h: f64) -> PscDelta {
        let k = Derived::build(&vals.params, lo, n, |p| {
            let (c, tm, el, vth, vr, tref, ie) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
            let p33 = (-h / tm).exp();
            [
                p33,
                tm / c * (1.0 - p33),
                el,
                vth - el,
                vr - el,
                ie,
                ref_steps(tref, h),
            ]
        });
        let el = &vals.params[2];
        PscDelta {
            v: init_col(&vals.init[0], lo, n, |i| el.at(i)),
            until: Refractory::new(n),
            k,
        }
    }

    pub(super) fn step(&mut self, io: StepIo) -> Option<usize> {
        let r = self.until.for_step(io.step);
        match &self.k {
            Derived::Shared(k) => delta_kernel(k, &mut self.v, r, io),
            Derived::Each(k) => delta_kernel(&**k, &mut self.v, r, io),
        }
        first_non_finite(&self.v)
    }

    /// Starts the refractory period of neurons `spikes` (global ids; partition at `lo`).
    pub(super) fn mark_spikes(&mut self, spikes: &[u32], lo: u32, step: u64) {
        self.until.mark(spikes, lo, step, &self.k, D_REF);
    }

    pub(super) fn get(&self, _var: usize, i: usize) -> f32 {
        self.v[i] + self.k.get(D_EL, i)
    }
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
    let (ce, ci, iext, spk) = (
        &mut io.ch0[..n],
        &mut io.ch1[..n],
        &io.i_ext[..n],
        &mut io.spiked[..n],
    );
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

#[allow(dead_code)]
fn _column_is_used(_: &Column) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refractory_period_spans_exactly_ref_steps_across_the_u32_wrap() {
        for t0 in [0u64, 5, (1 << 32) - 2, (1 << 32) + 7] {
            let mut r = Refractory::new(2);
            // As in a run: rebased at every multiple of 2³⁰ steps so far.
            for k in 0..=t0 / MAX_REF_STEPS as u64 {
                r.for_step(k * MAX_REF_STEPS as u64);
            }
            r.mark(&[11], 10, t0, &Derived::Shared([3.0]), 0);
            // (The kernel of step t0 has already run when the spike is marked.)
            let refr = |t: u64| refractory_at(r.0[1], t as u32);
            assert!((1..=3).all(|k| refr(t0 + k)), "t0 = {t0}");
            assert!(!refr(t0 + 4) && !refr(t0 + 1000), "t0 = {t0}");
            assert!(!refractory_at(r.0[0], (t0 + 1) as u32), "unmarked neuron");
        }
    }

    #[test]
    fn rebasing_keeps_silent_neurons_out_of_refractoriness_in_long_runs() {
        let mut r = Refractory::new(1);
        // Without rebasing, the initial 0 would read as "refractory" from step 2³¹ on.
        assert!(refractory_at(0, (1u64 << 31) as u32 + 1));
        for k in 0..=4u64 {
            r.for_step(k * MAX_REF_STEPS as u64);
            let t = k * MAX_REF_STEPS as u64;
            assert!(
                !refractory_at(r.0[0], (t + MAX_REF_STEPS as u64 - 1) as u32),
                "k = {k}"
            );
        }
        // A period in progress is kept across a rebase.
        let mut r = Refractory::new(1);
        let t = 3 * MAX_REF_STEPS as u64 - 1;
        r.mark(&[0], 0, t, &Derived::Shared([20.0]), 0);
        r.for_step(t + 1);
        assert!(refractory_at(r.0[0], (t + 20) as u32) && !refractory_at(r.0[0], (t + 21) as u32));
    }
}
