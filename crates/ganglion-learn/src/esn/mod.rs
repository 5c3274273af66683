//! Echo state networks: leaky tanh reservoirs with a sparse random recurrent matrix.
//!
//! **Model.** `N` leaky-integrator units with state `x ∈ [-1, 1]^N` (dimensionless), driven by
//! `D` inputs `u(t)`:
//!
//! ```text
//! x(t) = (1 − a) x(t−1) + a f( W x(t−1) + W_in u(t) + b )
//! ```
//!
//! with leak rate `a` (per step), activation `f` (tanh, or the identity for linear reservoirs),
//! sparse recurrent matrix `W` (Erdős–Rényi mask of density `p`, normal values, rescaled so
//! that its leading eigenvalue has modulus exactly `ρ`), input matrix `W_in` (±1 or uniform
//! values on a mask of density `p_in`, times the input scaling) and bias `b`. This is the update
//! of reservoirpy's `Reservoir` node and of Jaeger (2001), "The echo state approach to analysing
//! and training recurrent neural networks", GMD Report 148; Lukoševičius (2012), "A practical
//! guide to applying echo state networks", Neural Networks: Tricks of the Trade.
//!
//! **Dale split** (optional): a fraction of units is excitatory, the rest inhibitory; every
//! outgoing weight of an excitatory unit is `+|w| g_E`, of an inhibitory one `−|w| g_I`
//! (sign by presynaptic unit, i.e. by column). The spectral radius, if set, is imposed after
//! the gains, so the gains set the E/I balance and `ρ` the overall scale.
//!
//! **Performance.** A run calls the blocked AVX-512 kernel of [`crate::sparse`] where the CPU
//! has it, and can split the rows over threads that meet at a spin barrier once per step (the
//! step is sequential in time, so rows are the only parallel axis). Whether threads pay off
//! depends on the machine's other load, so a run times both ways on short probes and keeps the
//! faster, re-probing every 8192 steps. Each row's arithmetic is the same whatever the thread
//! count, so results are bit-identical for any `threads` (tested). The reservoir computes in
//! f32; [`States`] are widened to f64 for the readout.
mod config;
mod shared;

pub use config::{Activation, DaleSplit, EsnConfig, InputWeights, Kernel, RecurrentWeights};

use crate::error::{LearnError, Result, check_len};
use crate::rng;
use crate::sparse::{BlockedMatrix, CsrMatrix, SLICE};
use ganglion_base::sync::SpinBarrier;
use shared::{SharedBuf, SharedSlice};

/// An echo state network reservoir (weights and current state). See the module docs.
#[derive(Clone, Debug)]
pub struct Esn {
    config: EsnConfig,
    w: CsrMatrix,
    blocked: Option<BlockedMatrix>,
    w_in: Vec<f32>,
    bias: Vec<f32>,
    /// Current state, zero-padded to the kernel's width.
    state: Vec<f32>,
    scratch: Vec<f32>,
    raw_radius: f64,
    threads: usize,
    /// Measured seconds per step, serial and parallel (NaN until measured).
    step_cost: [f64; 2],
}

/// Reservoir states of a run: `steps × units`, time-major (row `t` is `x(t)`), in f64.
///
/// The reservoir computes in f32; states are widened on the way out because the readout
/// fit needs them in f64 and time-major f64 is exactly the column-major `units × steps`
/// matrix faer multiplies without a copy.
#[derive(Clone, Debug, PartialEq)]
pub struct States {
    steps: usize,
    units: usize,
    data: Vec<f64>,
}

impl States {
    /// Wraps a time-major `steps × units` buffer.
    pub fn from_vec(steps: usize, units: usize, data: Vec<f64>) -> Result<Self> {
        check_len(
            "States::from_vec",
            "data",
            steps * units,
            data.len(),
            "data is steps × units, time-major",
        )?;
        Ok(Self { steps, units, data })
    }
    /// Number of time steps (rows).
    pub fn steps(&self) -> usize {
        self.steps
    }
    /// Number of units (columns).
    pub fn units(&self) -> usize {
        self.units
    }
    /// The state at step `t`.
    pub fn row(&self, t: usize) -> &[f64] {
        &self.data[t * self.units..(t + 1) * self.units]
    }
    /// All values, time-major.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }
    /// Rows `range` as a new `States` (copies).
    pub fn slice(&self, range: std::ops::Range<usize>) -> States {
        States {
            steps: range.len(),
            units: self.units,
            data: self.data[range.start * self.units..range.end * self.units].to_vec(),
        }
    }
}

impl Esn {
    /// The configuration it was built from.
    pub fn config(&self) -> &EsnConfig {
        &self.config
    }
    /// Number of units `N`.
    pub fn units(&self) -> usize {
        self.config.units
    }
    /// The (rescaled) recurrent matrix `W`.
    pub fn recurrent(&self) -> &CsrMatrix {
        &self.w
    }
    /// Input weights `W_in`, `units × inputs`, row-major.
    pub fn input_weights(&self) -> &[f32] {
        &self.w_in
    }
    /// Biases `b`.
    pub fn bias(&self) -> &[f32] {
        &self.bias
    }
    /// Spectral radius of the recurrent matrix before rescaling.
    pub fn raw_spectral_radius(&self) -> f64 {
        self.raw_radius
    }
    /// Threads a run uses.
    pub fn threads(&self) -> usize {
        self.threads
    }
    /// Whether runs use the blocked AVX-512 kernel.
    pub fn uses_blocked_kernel(&self) -> bool {
        self.blocked.is_some()
    }
    /// The current state `x(t)`.
    pub fn state(&self) -> &[f32] {
        &self.state[..self.config.units]
    }
    /// Sets the current state (length `units`).
    pub fn set_state(&mut self, x: &[f32]) -> Result<()> {
        check_len(
            "Esn::set_state",
            "state",
            self.config.units,
            x.len(),
            "one value per unit",
        )?;
        self.state[..x.len()].copy_from_slice(x);
        Ok(())
    }
    /// Sets the state to zero.
    pub fn reset(&mut self) {
        self.state.fill(0.0);
    }

    /// Advances one step with input `u` (length `inputs`) and returns the new state.
    pub fn step(&mut self, u: &[f64]) -> Result<&[f32]> {
        check_len(
            "Esn::step",
            "input",
            self.config.inputs,
            u.len(),
            "one value per input",
        )?;
        let n = self.config.units;
        let rows = self.row_count();
        let mut next = std::mem::take(&mut self.scratch);
        self.update_rows(0..rows, &self.state, u, &mut next[..rows]);
        self.scratch = std::mem::replace(&mut self.state, next);
        if !self.state[..n].iter().all(|v| v.is_finite()) {
            let unit = self.state.iter().position(|v| !v.is_finite()).unwrap_or(0);
            return Err(self.diverged(0, unit));
        }
        Ok(&self.state[..n])
    }

    /// Runs the reservoir over `inputs` (`T × inputs` values, time-major) from the current
    /// state, returns the `T` states and leaves the reservoir in the last one.
    pub fn run(&mut self, inputs: &[f64]) -> Result<States> {
        let d = self.config.inputs;
        if !inputs.len().is_multiple_of(d) {
            return Err(LearnError::shape(
                "Esn::run",
                "inputs",
                format!("a multiple of inputs = {d}"),
                inputs.len(),
                "inputs are T × inputs, time-major",
            ));
        }
        let steps = inputs.len() / d;
        let n = self.config.units;
        if (steps as f64) * (n as f64) * 8.0 > 16e9 {
            return Err(LearnError::param(
                "Esn::run",
                "steps",
                steps,
                format!("the states need {:.1} GB", steps as f64 * n as f64 * 8e-9),
                "run in shorter pieces (the state carries over)",
            ));
        }
        let mut out = vec![0.0f64; steps * n];
        if steps == 0 {
            return Ok(States {
                steps,
                units: n,
                data: out,
            });
        }
        let parts = self.partition();
        if parts.len() <= 1 || steps < 2 * PROBE_STEPS {
            self.run_serial(inputs, 0..steps, &mut out);
        } else {
            // Serial or parallel per chunk of steps, whichever measured faster per step: a
            // spin barrier per step is only a win while the threads really run at the same
            // time (on a machine busy with other work it can be ten times slower than one
            // thread). The modes give bit-identical states, so switching is free.
            // Seconds per step [serial, parallel], carried over from earlier runs.
            let mut cost = self.step_cost;
            let mut t = 0;
            let mut since_probe = 0;
            while t < steps {
                let faster = if cost[1] < cost[0] { 1 } else { 0 };
                let (mode, probing) = if cost[0].is_nan() {
                    (0, true)
                } else if cost[1].is_nan() {
                    (1, true)
                } else if since_probe >= REPROBE_STEPS {
                    since_probe = 0;
                    (1 - faster, true)
                } else {
                    (faster, false)
                };
                let len = if probing { PROBE_STEPS } else { CHUNK_STEPS }.min(steps - t);
                let clock = std::time::Instant::now();
                if mode == 0 {
                    self.run_serial(inputs, t..t + len, &mut out);
                } else {
                    self.run_parallel(inputs, t..t + len, &parts, &mut out);
                }
                let per_step = clock.elapsed().as_secs_f64() / len as f64;
                cost[mode] = if cost[mode].is_nan() {
                    per_step
                } else {
                    0.5 * (cost[mode] + per_step)
                };
                t += len;
                since_probe += len;
            }
            self.step_cost = cost;
        }
        if !self.state[..n].iter().all(|v| v.is_finite()) {
            // NaN/Inf never leaves a recurrent state once it enters; find where it did.
            let (t, unit) = first_non_finite(&out, n).unwrap_or((steps - 1, 0));
            return Err(self.diverged(t, unit));
        }
        Ok(States {
            steps,
            units: n,
            data: out,
        })
    }

    fn diverged(&self, step: usize, unit: usize) -> LearnError {
        LearnError::Diverged {
            object: "Esn",
            step,
            unit,
            hint: "with a linear (identity) reservoir keep spectral_radius < 1 and inputs bounded; check inputs for NaN".into(),
        }
    }

    /// Rows the kernel writes per step (units rounded up to whole slices for the blocked kernel).
    fn row_count(&self) -> usize {
        self.blocked
            .as_ref()
            .map_or(self.config.units, |b| b.nslices() * SLICE)
    }

    /// Splits the rows into `threads` contiguous, slice-aligned ranges of about equal work.
    fn partition(&self) -> Vec<std::ops::Range<usize>> {
        let rows = self.row_count();
        let nslices = rows.div_ceil(SLICE);
        let parts = self.threads.min(nslices);
        if parts <= 1 {
            return std::iter::once(0..rows).collect();
        }
        let n = self.config.units;
        // Work per slice ≈ its non-zeros + a fixed cost per row.
        let work: Vec<usize> = (0..nslices)
            .map(|s| {
                let (lo, hi) = ((s * SLICE).min(n), ((s + 1) * SLICE).min(n));
                (self.w.row_ptr()[hi] - self.w.row_ptr()[lo]) as usize + 8 * SLICE
            })
            .collect();
        let total: usize = work.iter().sum();
        let mut out = Vec::with_capacity(parts);
        let (mut start, mut acc) = (0usize, 0usize);
        for (s, w) in work.iter().enumerate() {
            acc += w;
            if out.len() + 1 < parts && acc * parts >= total * (out.len() + 1) {
                out.push(start * SLICE..((s + 1) * SLICE).min(rows));
                start = s + 1;
            }
        }
        out.push(start * SLICE..rows);
        out.retain(|r| !r.is_empty());
        out
    }

    /// One step for rows `rows`: `out[i] = (1−a) prev[r] + a f((W prev)_r + W_in u + b_r)`.
    /// Rows at or beyond `units` (slice padding) are set to 0.
    fn update_rows(&self, rows: std::ops::Range<usize>, prev: &[f32], u: &[f64], out: &mut [f32]) {
        match &self.blocked {
            Some(b) => b.matvec_slices(rows.start / SLICE..rows.end.div_ceil(SLICE), prev, out),
            None => self.w.matvec_rows(rows.clone(), prev, out),
        }
        let n = self.config.units;
        let d = self.config.inputs;
        let a = self.config.leak_rate as f32;
        let keep = 1.0 - a;
        let valid = rows.end.min(n).saturating_sub(rows.start);
        let (out_valid, out_pad) = out.split_at_mut(valid);
        out_pad.fill(0.0);
        let r0 = rows.start;
        let prev = &prev[r0..r0 + valid];
        let bias = &self.bias[r0..r0 + valid];
        // Input drive: W_in u for these rows.
        if d == 1 {
            let u0 = u[0] as f32;
            let w_in = &self.w_in[r0..r0 + valid];
            for ((o, &w), &b) in out_valid.iter_mut().zip(w_in).zip(bias) {
                *o += w * u0 + b;
            }
        } else {
            for (i, o) in out_valid.iter_mut().enumerate() {
                let wr = &self.w_in[(r0 + i) * d..(r0 + i + 1) * d];
                let mut s = bias[i];
                for (&w, &uk) in wr.iter().zip(u) {
                    s += w * uk as f32;
                }
                *o += s;
            }
        }
        match self.config.activation {
            Activation::Tanh => {
                for (o, &p) in out_valid.iter_mut().zip(prev) {
                    *o = keep * p + a * fast_tanh(*o);
                }
            }
            Activation::Identity => {
                for (o, &p) in out_valid.iter_mut().zip(prev) {
                    *o = keep * p + a * *o;
                }
            }
        }
    }

    /// Steps `range` on the calling thread; `out` holds all steps' states.
    fn run_serial(&mut self, inputs: &[f64], range: std::ops::Range<usize>, out: &mut [f64]) {
        let (n, d) = (self.config.units, self.config.inputs);
        let rows = self.row_count();
        let mut prev = std::mem::take(&mut self.state);
        let mut next = std::mem::take(&mut self.scratch);
        for t in range {
            self.update_rows(
                0..rows,
                &prev,
                &inputs[t * d..(t + 1) * d],
                &mut next[..rows],
            );
            widen(&next[..n], &mut out[t * n..(t + 1) * n]);
            std::mem::swap(&mut prev, &mut next);
        }
        self.state = prev;
        self.scratch = next;
    }

    /// Steps `range` with one thread per row range of `parts`, meeting at a barrier per step.
    fn run_parallel(
        &mut self,
        inputs: &[f64],
        range: std::ops::Range<usize>,
        parts: &[std::ops::Range<usize>],
        out: &mut [f64],
    ) {
        let first = range.start;
        let steps = range.len();
        let n = self.config.units;
        let d = self.config.inputs;
        let width = self.state.len();
        let bufs = [
            SharedBuf::new(std::mem::take(&mut self.state)),
            SharedBuf::new(std::mem::take(&mut self.scratch)),
        ];
        let out_buf = SharedSlice {
            ptr: out.as_mut_ptr(),
            len: out.len(),
        };
        let barrier = SpinBarrier::new(parts.len());
        let this = &*self;
        let worker = |rows: std::ops::Range<usize>| {
            for i in 0..steps {
                let t = first + i;
                let (prev, next) = (&bufs[i % 2], &bufs[(i + 1) % 2]);
                // SAFETY: during step t every thread only reads `prev` and writes its own
                // disjoint row range of `next` and of output row t; the barrier at the end of
                // the step orders these writes before the next step's reads.
                unsafe {
                    let prev = prev.slice(0..width);
                    let next_rows = next.slice_mut(rows.clone());
                    this.update_rows(rows.clone(), prev, &inputs[t * d..(t + 1) * d], next_rows);
                    let lo = rows.start.min(n);
                    let hi = rows.end.min(n);
                    widen(
                        &next_rows[..hi - lo],
                        out_buf.slice_mut(t * n + lo..t * n + hi),
                    );
                }
                barrier.wait();
            }
        };
        std::thread::scope(|s| {
            for rows in parts[1..].iter().cloned() {
                s.spawn(move || worker(rows));
            }
            worker(parts[0].clone());
        });
        let [b0, b1] = bufs;
        let (b0, b1) = (b0.into_inner(), b1.into_inner());
        // After `steps` steps the latest state is in buffer steps % 2.
        if steps.is_multiple_of(2) {
            self.state = b0;
            self.scratch = b1;
        } else {
            self.state = b1;
            self.scratch = b0;
        }
    }
}

/// Q of the QR decomposition of an `n × n` standard normal matrix, signs fixed so that R has a
/// positive diagonal (Haar-distributed; Mezzadri 2007).
fn random_orthogonal(n: usize, r: &mut rand_xoshiro::Xoshiro256PlusPlus) -> faer::Mat<f64> {
    let g = faer::Mat::<f64>::from_fn(n, n, |_, _| rng::normal(r));
    let qr = g.qr();
    let q = qr.compute_Q();
    let rr = qr.R();
    faer::Mat::<f64>::from_fn(n, n, |i, j| {
        if rr[(j, j)] < 0.0 {
            -q[(i, j)]
        } else {
            q[(i, j)]
        }
    })
}

#[inline]
fn widen(src: &[f32], dst: &mut [f64]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = f64::from(s);
    }
}

fn first_non_finite(data: &[f64], n: usize) -> Option<(usize, usize)> {
    data.iter()
        .position(|v| !v.is_finite())
        .map(|i| (i / n, i % n))
}

/// Steps per probe when timing serial against parallel stepping.
const PROBE_STEPS: usize = 128;
/// Steps per chunk between mode decisions.
const CHUNK_STEPS: usize = 1024;
/// Steps after which the slower mode is timed again (the machine's load changes).
const REPROBE_STEPS: usize = 8192;
/// `tanh(x)` in f32 by a [13/6] rational approximation (the minimax fit used by Eigen's
/// `generic_fast_tanh_float`), branch-free so the update loop vectorises; absolute error
/// below 2e-7 (tested against `f64::tanh`). libm's `tanhf` costs ~14 ns, a third of a
/// 1000-unit step.
#[inline(always)]
#[allow(clippy::excessive_precision)]
pub fn fast_tanh(x: f32) -> f32 {
    // Eigen's coefficients, kept at the precision they were published with.
    const A1: f32 = 4.893_524_558_917_86e-3;
    const A3: f32 = 6.372_619_288_754_36e-4;
    const A5: f32 = 1.485_722_357_179_79e-5;
    const A7: f32 = 5.122_297_090_371_14e-8;
    const A9: f32 = -8.604_671_522_137_35e-11;
    const A11: f32 = 2.000_187_904_824_77e-13;
    const A13: f32 = -2.760_768_477_423_55e-16;
    const B0: f32 = 4.893_525_185_543_85e-3;
    const B2: f32 = 2.268_434_632_439e-3;
    const B4: f32 = 1.185_347_056_866_54e-4;
    const B6: f32 = 1.198_258_394_667_02e-6;
    // Plain multiply-adds, not `mul_add`: without a compile-time FMA target feature
    // `mul_add` becomes a libm call and the loop stops vectorising.
    let x = x.clamp(-7.905_311, 7.905_311);
    let x2 = x * x;
    let mut p = x2 * A13 + A11;
    p = x2 * p + A9;
    p = x2 * p + A7;
    p = x2 * p + A5;
    p = x2 * p + A3;
    p = x2 * p + A1;
    p *= x;
    let mut q = x2 * B6 + B4;
    q = x2 * q + B2;
    q = x2 * q + B0;
    p / q
}
