//! The LIF layer of the differentiable twin: `iaf_psc_exp` exactly as ganglion-sim runs it,
//! with a hand-written adjoint.
//!
//! ## Forward (per step t, NEST order, f32, V relative to E_L — the simulator's kernel)
//! ```text
//! a_t  = r > 0 ? v : v·P22 + I_e·P20 + I_ex·P21ex + I_in·P21in      (V before threshold)
//! I_ex = I_ex·P11ex + x_ex,t        I_in = I_in·P11in + x_in,t         (x: input arriving at t \[pA\])
//! s_t  = a_t ≥ V_th − E_L;  v = s_t ? V_reset − E_L : a_t;  r = s_t ? round(t_ref/dt) : max(r−1, 0)
//! ```
//! Adaptive LIF (twin only, off by default): the threshold is `V_th + β·b` with the spike
//! trace `b ← ρ·b + s`, `ρ = e^{−dt/τ_a}` (Bellec et al. 2018).
//!
//! A positive weight feeds `I_ex`, a negative one `I_in` (the simulator's two receptor
//! channels), and inputs are summed source by source in ascending order, so that for the same
//! weights and input spikes the twin reproduces the simulator's spikes bit for bit.
//!
//! ## Backward
//! Exact adjoint of the recurrence above with two choices: the spike's derivative is a
//! [`Surrogate`], and the reset is detached (`∂v/∂a = 1 − s`), as in snnTorch and Norse. The tape
//! keeps only what the backward needs: `a_t` (f32) and one flag byte (spike, refractory) per
//! neuron and step — 5 bytes, versus the ~12 of storing the full state.

use crate::surrogate::Surrogate;
use serde::{Deserialize, Serialize};

/// `iaf_psc_exp` parameters in NEST units (defaults: NEST's).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LifParams {
    /// Membrane capacitance \[pF\] (250).
    pub c_m: f64,
    /// Membrane time constant \[ms\] (10).
    pub tau_m: f64,
    /// Resting potential \[mV\] (−70).
    pub e_l: f64,
    /// Threshold \[mV\] (−55).
    pub v_th: f64,
    /// Reset potential \[mV\] (−70).
    pub v_reset: f64,
    /// Absolute refractory period \[ms\] (2).
    pub t_ref: f64,
    /// Constant bias current \[pA\] (0).
    pub i_e: f64,
    /// Excitatory synaptic time constant \[ms\] (2).
    pub tau_syn_ex: f64,
    /// Inhibitory synaptic time constant \[ms\] (2).
    pub tau_syn_in: f64,
    /// Initial V_m \[mV\] (E_L).
    pub v_init: f64,
    /// Adaptive LIF (Bellec et al. 2018): threshold adaptation time constant \[ms\] (0: off).
    #[serde(default)]
    pub adapt_tau: f64,
    /// Adaptive LIF: threshold increase per unit of the spike trace \[mV\] (0: off).
    #[serde(default)]
    pub adapt_beta: f64,
}

impl Default for LifParams {
    fn default() -> Self {
        LifParams {
            c_m: 250.0,
            tau_m: 10.0,
            e_l: -70.0,
            v_th: -55.0,
            v_reset: -70.0,
            t_ref: 2.0,
            i_e: 0.0,
            tau_syn_ex: 2.0,
            tau_syn_in: 2.0,
            v_init: -70.0,
            adapt_tau: 0.0,
            adapt_beta: 0.0,
        }
    }
}

/// The engine's propagator from a synaptic current to V (one implementation, so the twin's f32
/// constants are the engine's bit for bit).
pub use ganglion_neurons::propagators::propagator_32;

/// Derived constants for one step `dt`, in f32 as the simulator holds them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LifConsts {
    /// e^{−dt/τm}.
    pub p22: f32,
    /// e^{−dt/τex}.
    pub p11e: f32,
    /// e^{−dt/τin}.
    pub p11i: f32,
    /// I_ex → V propagator [mV/pA].
    pub p21e: f32,
    /// I_in → V propagator [mV/pA].
    pub p21i: f32,
    /// Constant current → V propagator [mV/pA].
    pub p20: f32,
    /// Bias current I_e \[pA\].
    pub i_e: f32,
    /// V_th − E_L \[mV\].
    pub vth: f32,
    /// V_reset − E_L \[mV\].
    pub vreset: f32,
    /// Refractory steps, round(t_ref/dt).
    pub ref_steps: f32,
    /// Initial V − E_L \[mV\].
    pub v0: f32,
    /// Adaptive LIF: e^{−dt/τ_a} of the spike trace (0 when off).
    #[serde(default)]
    pub rho_a: f32,
    /// Adaptive LIF: threshold increase per unit trace \[mV\] (0: plain LIF, the simulator's model).
    #[serde(default)]
    pub beta_a: f32,
}

impl LifConsts {
    /// Constants of `p` at step `dt` \[ms\].
    pub fn new(p: &LifParams, dt: f64) -> LifConsts {
        let p22 = (-dt / p.tau_m).exp();
        LifConsts {
            p22: p22 as f32,
            p11e: (-dt / p.tau_syn_ex).exp() as f32,
            p11i: (-dt / p.tau_syn_in).exp() as f32,
            p21e: propagator_32(p.tau_syn_ex, p.tau_m, p.c_m, dt) as f32,
            p21i: propagator_32(p.tau_syn_in, p.tau_m, p.c_m, dt) as f32,
            p20: (p.tau_m / p.c_m * (1.0 - p22)) as f32,
            i_e: p.i_e as f32,
            vth: (p.v_th - p.e_l) as f32,
            vreset: (p.v_reset - p.e_l) as f32,
            ref_steps: (p.t_ref / dt).round() as f32,
            v0: (p.v_init - p.e_l) as f32,
            rho_a: if p.adapt_tau > 0.0 {
                (-dt / p.adapt_tau).exp() as f32
            } else {
                0.0
            },
            beta_a: if p.adapt_tau > 0.0 {
                p.adapt_beta as f32
            } else {
                0.0
            },
        }
    }
    /// True when both channels have the same constants (then their adjoints coincide).
    pub fn same_channels(&self) -> bool {
        self.p11e == self.p11i && self.p21e == self.p21i
    }
    /// Steady-state V \[mV\] per pA of input arriving every step on the excitatory channel:
    /// used to scale initial weights.
    pub fn mv_per_pa(&self) -> f32 {
        let i_ss = 1.0 / (1.0 - self.p11e);
        let v_per_i = self.p21e / (1.0 - self.p22);
        i_ss * v_per_i
    }
}

/// Flag bits on the tape.
pub const SPIKE: u8 = 1;
/// Flag bit: the neuron was refractory in this step.
pub const REFR: u8 = 2;

/// What the backward pass of one layer needs, for one sample: `steps × n`.
#[derive(Debug, Clone, Default)]
pub struct Tape {
    /// V − E_L before threshold \[mV\].
    pub a: Vec<f32>,
    /// [`SPIKE`] | [`REFR`] bits.
    pub flags: Vec<u8>,
    /// Adaptive LIF only: the threshold V_th − E_L + β·b used in each step \[mV\].
    pub thr: Vec<f32>,
}

/// A weight matrix split by sign into the two receptor channels (`rows × cols`, row-major).
#[derive(Debug, Clone, Default)]
pub struct Split {
    /// max(w, 0) \[pA\].
    pub pos: Vec<f32>,
    /// min(w, 0) \[pA\].
    pub neg: Vec<f32>,
    /// w itself \[pA\] (the forward pass splits it on the fly: one row read instead of two).
    pub raw: Vec<f32>,
}

impl Split {
    /// Split `w`.
    pub fn new(w: &[f32]) -> Split {
        Split {
            pos: w.iter().map(|&x| x.max(0.0)).collect(),
            neg: w.iter().map(|&x| x.min(0.0)).collect(),
            raw: w.to_vec(),
        }
    }
}

#[inline]
fn add_row(dst: &mut [f32], row: &[f32]) {
    for (d, &r) in dst.iter_mut().zip(row) {
        *d += r;
    }
}

/// Both channels from one weight row in one pass (the hot loop of the forward pass):
/// `xe += max(w, 0)`, `xi += w − max(w, 0)`, the same values the simulator adds into its two
/// channels (a ±0 added elsewhere changes nothing).
#[inline]
fn add_rows(xe: &mut [f32], xi: &mut [f32], w: &[f32]) {
    let n = xe.len().min(xi.len()).min(w.len());
    let (xe, xi, w) = (&mut xe[..n], &mut xi[..n], &w[..n]);
    for j in 0..n {
        let p = if w[j] > 0.0 { w[j] } else { 0.0 };
        xe[j] += p;
        xi[j] += w[j] - p;
    }
}

/// `add_rows` for every source in `idx` (ascending), register-blocked: each block of 32
/// targets is summed in registers over all sources, so only the weight rows stream from
/// memory. Per element the additions happen in the same order as row by row.
#[inline]
fn add_rows_many(xe: &mut [f32], xi: &mut [f32], w: &[f32], n: usize, idx: &[u32]) {
    const B: usize = 32;
    let full = n / B * B;
    for jb in (0..full).step_by(B) {
        let mut ae: [f32; B] = xe[jb..jb + B].try_into().expect("block");
        let mut ai: [f32; B] = xi[jb..jb + B].try_into().expect("block");
        for &s in idx {
            let row: &[f32; B] = w[s as usize * n + jb..s as usize * n + jb + B]
                .try_into()
                .expect("block");
            for k in 0..B {
                let p = if row[k] > 0.0 { row[k] } else { 0.0 };
                ae[k] += p;
                ai[k] += row[k] - p;
            }
        }
        xe[jb..jb + B].copy_from_slice(&ae);
        xi[jb..jb + B].copy_from_slice(&ai);
    }
    if full < n {
        for &s in idx {
            let s = s as usize;
            add_rows(
                &mut xe[full..n],
                &mut xi[full..n],
                &w[s * n + full..(s + 1) * n],
            );
        }
    }
}

/// One synaptic pathway into a layer: spikes of a source (input or layer) through `w`.
pub struct Path<'a> {
    /// Source spikes, `steps × n_src` (1 = emitted in that step).
    pub spikes: &'a [u8],
    /// Source size.
    pub n_src: usize,
    /// Weights split by sign, `n_src × n`.
    pub w: &'a Split,
    /// Delay \[steps\] ≥ 1.
    pub delay: usize,
}

/// Forward one sample through a layer of `n` neurons for `steps` steps.
///
/// `ff` is the feed-forward pathway; `rec`, if any, the layer's recurrent weights
/// (`n × n`) with their delay. Writes spikes (`steps × n`) into `out` and the tape.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    k: &LifConsts,
    n: usize,
    steps: usize,
    ff: &Path,
    rec: Option<(&Split, usize)>,
    out: &mut [u8],
    tape: &mut Tape,
) {
    tape.a.resize(steps * n, 0.0);
    tape.flags.resize(steps * n, 0);
    let adaptive = k.beta_a != 0.0;
    tape.thr.resize(if adaptive { steps * n } else { 0 }, 0.0);
    let mut b = vec![0f32; n];
    let mut v = vec![k.v0; n];
    let (mut ie, mut ii, mut r) = (vec![0f32; n], vec![0f32; n], vec![0f32; n]);
    let (mut xe, mut xi) = (vec![0f32; n], vec![0f32; n]);
    for t in 0..steps {
        xe.fill(0.0);
        xi.fill(0.0);
        // Additions in the simulator's order: the pathway whose spikes left earlier (longer
        // delay) was propagated first; equal delays go feed-forward, then recurrent.
        let rec_first = rec.is_some_and(|(_, d)| d > ff.delay);
        let mut idx: Vec<u32> = Vec::with_capacity(ff.n_src);
        let mut add_ff = |xe: &mut [f32], xi: &mut [f32]| {
            if t >= ff.delay {
                let row = &ff.spikes[(t - ff.delay) * ff.n_src..(t - ff.delay + 1) * ff.n_src];
                idx.clear();
                idx.extend(
                    row.iter()
                        .enumerate()
                        .filter(|(_, sp)| **sp != 0)
                        .map(|(s, _)| s as u32),
                );
                add_rows_many(xe, xi, &ff.w.raw, n, &idx);
            }
        };
        let add_rec = |xe: &mut [f32], xi: &mut [f32], out: &[u8]| {
            if let Some((w, d)) = rec
                && t >= d
            {
                let row = &out[(t - d) * n..(t - d + 1) * n];
                for (s, &sp) in row.iter().enumerate() {
                    if sp != 0 {
                        add_rows(xe, xi, &w.raw[s * n..(s + 1) * n]);
                    }
                }
            }
        };
        if rec_first {
            add_rec(&mut xe, &mut xi, out);
            add_ff(&mut xe, &mut xi);
        } else {
            add_ff(&mut xe, &mut xi);
            add_rec(&mut xe, &mut xi, out);
        }
        let (a_t, f_t) = (
            &mut tape.a[t * n..(t + 1) * n],
            &mut tape.flags[t * n..(t + 1) * n],
        );
        let o_t = &mut out[t * n..(t + 1) * n];
        for j in 0..n {
            // The simulator's expression, term by term (no FMA: Rust does not contract).
            let vi = v[j];
            let integrated = vi * k.p22 + (k.i_e + 0.0) * k.p20 + ie[j] * k.p21e + ii[j] * k.p21i;
            let refractory = r[j] > 0.0;
            let vn = if refractory { vi } else { integrated };
            let rn = if refractory { r[j] - 1.0 } else { 0.0 };
            ie[j] = ie[j] * k.p11e + xe[j];
            ii[j] = ii[j] * k.p11i + xi[j];
            // Plain LIF compares with V_th exactly as the simulator does; the adaptive
            // threshold (twin only: the simulator has no such model yet) adds β·b.
            let thr = if adaptive {
                k.vth + k.beta_a * b[j]
            } else {
                k.vth
            };
            let fire = vn >= thr;
            if adaptive {
                tape.thr[t * n + j] = thr;
                b[j] = k.rho_a * b[j] + fire as u8 as f32;
            }
            v[j] = if fire { k.vreset } else { vn };
            r[j] = if fire { k.ref_steps } else { rn };
            a_t[j] = vn;
            f_t[j] = (fire as u8) | ((refractory as u8) << 1);
            o_t[j] = fire as u8;
        }
    }
}

/// Gradients of one layer for one sample, accumulated into `dw` (`n_src × n`) and
/// `dw_rec` (`n × n`); optionally into `ds_src` (`steps × n_src`, the gradient with
/// respect to the source spikes, for a trainable layer below).
///
/// `ds` (`steps × n`) holds ∂L/∂s from above (readout or next layer) and receives the
/// recurrent contributions as the loop walks back; `da` (`steps × n`), if given, holds
/// ∂L/∂a from a membrane readout. Steps before `t_lo` are not visited (truncated BPTT).
#[allow(clippy::too_many_arguments)]
pub fn backward(
    k: &LifConsts,
    sg: Surrogate,
    n: usize,
    steps: usize,
    t_lo: usize,
    tape: &Tape,
    ff: &Path,
    ff_w: &[f32],
    rec: Option<(&Split, &[f32], usize)>,
    own_spikes: &[u8],
    ds: &mut [f32],
    da: Option<&[f32]>,
    dw: &mut [f32],
    mut dw_rec: Option<&mut [f32]>,
    mut ds_src: Option<&mut [f32]>,
) {
    let same = k.same_channels();
    let (mut gv, mut gie, mut gii) = (vec![0f32; n], vec![0f32; n], vec![0f32; n]);
    let mut dav = vec![0f32; n];
    let adaptive = k.beta_a != 0.0;
    let mut gb = vec![0f32; n]; // adjoint of the adaptation trace b_t
    // ∂L/∂x_ex,t and ∂L/∂x_in,t for every step: the feed-forward weight gradient is
    // accumulated after the loop, source by source, so each dW row is read and written once.
    let mut ge_all = vec![0f32; steps * n];
    let mut gi_all = if same { vec![] } else { vec![0f32; steps * n] };
    for t in (t_lo..steps).rev() {
        ge_all[t * n..(t + 1) * n].copy_from_slice(&gie);
        if !same {
            gi_all[t * n..(t + 1) * n].copy_from_slice(&gii);
        }
        // Adjoints of x_ex,t and x_in,t are those of I_ex,t and I_in,t: weight gradients.
        let accum = |dw: &mut [f32], w: &[f32], spikes: &[u8], n_src: usize, d: usize| {
            if t < d {
                return;
            }
            let row = &spikes[(t - d) * n_src..(t - d + 1) * n_src];
            for (s, &sp) in row.iter().enumerate() {
                if sp != 0 {
                    let g = &mut dw[s * n..(s + 1) * n];
                    if same {
                        add_row(g, &gie);
                    } else {
                        let ws = &w[s * n..(s + 1) * n];
                        for j in 0..n {
                            g[j] += if ws[j] > 0.0 { gie[j] } else { gii[j] };
                        }
                    }
                }
            }
        };
        if let (Some((split, w, d)), Some(dwr)) = (rec, dw_rec.as_deref_mut()) {
            accum(dwr, w, own_spikes, n, d);
            // Recurrent spikes at t − d get ∂L/∂s through W_rec.
            if t >= d {
                let dst = &mut ds[(t - d) * n..(t - d + 1) * n];
                for (s, g) in dst.iter_mut().enumerate() {
                    let (pr, nr) = (
                        &split.pos[s * n..(s + 1) * n],
                        &split.neg[s * n..(s + 1) * n],
                    );
                    let mut acc = 0.0;
                    for j in 0..n {
                        acc += pr[j] * gie[j] + nr[j] * gii[j];
                    }
                    *g += acc;
                }
            }
        }
        if let Some(dsrc) = ds_src.as_deref_mut()
            && t >= ff.delay
        {
            let dst = &mut dsrc[(t - ff.delay) * ff.n_src..(t - ff.delay + 1) * ff.n_src];
            for (s, g) in dst.iter_mut().enumerate() {
                let (pr, nr) = (&ff.w.pos[s * n..(s + 1) * n], &ff.w.neg[s * n..(s + 1) * n]);
                let mut acc = 0.0;
                for j in 0..n {
                    acc += pr[j] * gie[j] + nr[j] * gii[j];
                }
                *g += acc;
            }
        }
        // ∂L/∂a_t, then step back to t − 1.
        let (a_t, f_t, ds_t) = (
            &tape.a[t * n..(t + 1) * n],
            &tape.flags[t * n..(t + 1) * n],
            &ds[t * n..(t + 1) * n],
        );
        for j in 0..n {
            let spiked = f_t[j] & SPIKE != 0;
            let (thr, ds_total) = if adaptive {
                (tape.thr[t * n + j], ds_t[j] + gb[j])
            } else {
                (k.vth, ds_t[j])
            };
            let h = ds_total * sg.grad(a_t[j] - thr);
            if adaptive {
                // b_t = ρ b_{t−1} + s_t and θ_t = V_th + β b_{t−1}.
                gb[j] = k.rho_a * gb[j] - k.beta_a * h;
            }
            let mut g = if spiked { 0.0 } else { gv[j] } + h;
            if let Some(da) = da {
                g += da[t * n + j];
            }
            dav[j] = g;
        }
        for j in 0..n {
            let g = dav[j];
            if f_t[j] & REFR != 0 {
                gv[j] = g;
                gie[j] *= k.p11e;
                gii[j] *= k.p11i;
            } else {
                gv[j] = g * k.p22;
                gie[j] = gie[j] * k.p11e + g * k.p21e;
                gii[j] = gii[j] * k.p11i + g * k.p21i;
            }
        }
    }
    accum_ff(dw, ff_w, ff, n, steps, t_lo, same, &ge_all, &gi_all);
}

/// dW[s, :] += Σ_{t: source s spiked at t − d} (∂L/∂x_t of the synapse's channel), register-
/// blocked over 32 targets so each row of dW is loaded and stored once per sample.
#[allow(clippy::too_many_arguments)]
fn accum_ff(
    dw: &mut [f32],
    w: &[f32],
    ff: &Path,
    n: usize,
    steps: usize,
    t_lo: usize,
    same: bool,
    ge: &[f32],
    gi: &[f32],
) {
    const B: usize = 32;
    let d = ff.delay;
    let t0 = t_lo.max(d);
    let mut ts: Vec<usize> = Vec::with_capacity(steps);
    for s in 0..ff.n_src {
        ts.clear();
        ts.extend((t0..steps).filter(|&t| ff.spikes[(t - d) * ff.n_src + s] != 0));
        if ts.is_empty() {
            continue;
        }
        let row = &mut dw[s * n..(s + 1) * n];
        let ws = &w[s * n..(s + 1) * n];
        let mut jb = 0;
        while jb + B <= n {
            let mut acc: [f32; B] = row[jb..jb + B].try_into().expect("block");
            for &t in &ts {
                let g: &[f32; B] = ge[t * n + jb..t * n + jb + B].try_into().expect("block");
                if same {
                    for k in 0..B {
                        acc[k] += g[k];
                    }
                } else {
                    let h: &[f32; B] = gi[t * n + jb..t * n + jb + B].try_into().expect("block");
                    for k in 0..B {
                        acc[k] += if ws[jb + k] > 0.0 { g[k] } else { h[k] };
                    }
                }
            }
            row[jb..jb + B].copy_from_slice(&acc);
            jb += B;
        }
        for j in jb..n {
            for &t in &ts {
                row[j] += if same || ws[j] > 0.0 {
                    ge[t * n + j]
                } else {
                    gi[t * n + j]
                };
            }
        }
    }
}
