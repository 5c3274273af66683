//! Leaky rate RNNs with Dale's law, trained by BPTT (hand-written adjoint).
//!
//! The unit is the simulator's leaky rate unit (`rate_relu`, `rate_tanh`) with the input held
//! over a step and the leak integrated exactly, `P = e^{−dt/τ}`:
//! ```text
//! x_t = P·x_{t−1} + (1 − P)·(W_recᵀ r_{t−1} + W_inᵀ u_t + b),   r_t = f(x_t),   y_t = W_outᵀ r_t
//! ```
//! Dale's law: the first `n_exc` units are excitatory (their rows of `W_rec` and `W_out`
//! ≥ 0), the rest inhibitory (≤ 0); the projection after every update keeps it so.
//! Loss: mean squared error of `y_t` against targets on the steps where a mask is 1.

// Index loops mirror the equations (x_t[j], W[i·n + j]) and are kept for readability.
#![allow(clippy::needless_range_loop)]

use crate::constraints::{Constraints, Dale};
use crate::optim::{OptimConfig, Optimizer};
use crate::trainer::normal;
use serde::{Deserialize, Serialize};

/// Transfer function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transfer {
    /// max(0, x).
    Relu,
    /// tanh(x).
    Tanh,
}

impl Transfer {
    fn f(self, x: f32) -> f32 {
        match self {
            Transfer::Relu => x.max(0.0),
            Transfer::Tanh => x.tanh(),
        }
    }
    fn df(self, x: f32) -> f32 {
        match self {
            Transfer::Relu => (x > 0.0) as u8 as f32,
            Transfer::Tanh => 1.0 - x.tanh().powi(2),
        }
    }
}

/// A Dale rate RNN.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RateRnn {
    /// Inputs.
    pub n_in: usize,
    /// Units.
    pub n: usize,
    /// Excitatory units (the first `n_exc`).
    pub n_exc: usize,
    /// Outputs.
    pub n_out: usize,
    /// e^{−dt/τ}.
    pub p: f32,
    /// Transfer function.
    pub f: Transfer,
    /// `n_in × n`.
    pub w_in: Vec<f32>,
    /// `n × n`, row = source.
    pub w_rec: Vec<f32>,
    /// `n × n_out`, row = source.
    pub w_out: Vec<f32>,
    /// Bias per unit.
    pub b: Vec<f32>,
}

/// A sequence task batch: inputs `steps × n_in`, targets and mask `steps × n_out`, per sample.
#[derive(Debug, Clone)]
pub struct SeqBatch {
    /// Steps.
    pub steps: usize,
    /// Per sample, `steps × n_in`.
    pub inputs: Vec<Vec<f32>>,
    /// Per sample, `steps × n_out`.
    pub targets: Vec<Vec<f32>>,
    /// Per sample, `steps` (1 = scored).
    pub mask: Vec<Vec<f32>>,
}

impl RateRnn {
    /// A network with `frac_exc` excitatory units, time constant `tau` and step `dt` \[ms\];
    /// recurrent weights |N(0, g²/n)| with inhibitory rows scaled for E/I balance.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        n_in: usize,
        n: usize,
        n_out: usize,
        frac_exc: f64,
        tau: f64,
        dt: f64,
        g: f32,
        seed: u64,
        f: Transfer,
    ) -> RateRnn {
        let n_exc = ((n as f64) * frac_exc).round() as usize;
        let ratio = n_exc as f32 / (n - n_exc).max(1) as f32;
        let sign = |s: usize| if s < n_exc { 1.0 } else { -ratio };
        let sd = g / (n as f32).sqrt();
        let w_rec = (0..n * n)
            .map(|i| {
                if i / n == i % n {
                    0.0
                } else {
                    sign(i / n) * (sd * normal(seed, i as u64)).abs()
                }
            })
            .collect();
        let w_in = (0..n_in * n)
            .map(|i| normal(seed ^ 1, i as u64) / (n_in as f32).sqrt())
            .collect();
        let w_out = (0..n * n_out)
            .map(|i| {
                (i / n_out < n_exc) as u8 as f32
                    * (normal(seed ^ 2, i as u64) / (n as f32).sqrt()).abs()
            })
            .collect();
        RateRnn {
            n_in,
            n,
            n_exc,
            n_out,
            p: (-dt / tau).exp() as f32,
            f,
            w_in,
            w_rec,
            w_out,
            b: vec![0.0; n],
        }
    }

    /// The Dale constraints of (w_in, w_rec, w_out, b).
    pub fn constraints(&self) -> Vec<Constraints> {
        let rows: Vec<Dale> = (0..self.n)
            .map(|i| {
                if i < self.n_exc {
                    Dale::Excitatory
                } else {
                    Dale::Inhibitory
                }
            })
            .collect();
        let d = Constraints {
            row_signs: Some(rows),
            ..Default::default()
        };
        vec![Constraints::default(), d.clone(), d, Constraints::default()]
    }

    /// Loss (mean over scored entries) and gradients (w_in, w_rec, w_out, b).
    pub fn loss_grad(&self, b: &SeqBatch) -> (f64, [Vec<f32>; 4]) {
        let (n, ni, no, t_n) = (self.n, self.n_in, self.n_out, b.steps);
        let mut g = [
            vec![0f32; ni * n],
            vec![0f32; n * n],
            vec![0f32; n * no],
            vec![0f32; n],
        ];
        let scored: f32 = b.mask.iter().map(|m| m.iter().sum::<f32>()).sum::<f32>() * no as f32;
        let norm = 1.0 / scored.max(1.0);
        let mut loss = 0.0f64;
        let q = 1.0 - self.p;
        for s in 0..b.inputs.len() {
            let (u, y, m) = (&b.inputs[s], &b.targets[s], &b.mask[s]);
            let mut xs = vec![0f32; t_n * n];
            let mut rs = vec![0f32; t_n * n];
            let mut dy = vec![0f32; t_n * no];
            let mut x = vec![0f32; n];
            let mut r = vec![0f32; n];
            for t in 0..t_n {
                let mut inp = self.b.clone();
                for k in 0..ni {
                    let uk = u[t * ni + k];
                    if uk != 0.0 {
                        for j in 0..n {
                            inp[j] += uk * self.w_in[k * n + j];
                        }
                    }
                }
                for i in 0..n {
                    if r[i] != 0.0 {
                        for j in 0..n {
                            inp[j] += r[i] * self.w_rec[i * n + j];
                        }
                    }
                }
                for j in 0..n {
                    x[j] = self.p * x[j] + q * inp[j];
                    r[j] = self.f.f(x[j]);
                }
                xs[t * n..(t + 1) * n].copy_from_slice(&x);
                rs[t * n..(t + 1) * n].copy_from_slice(&r);
                if m[t] != 0.0 {
                    for o in 0..no {
                        let yo: f32 = (0..n).map(|i| r[i] * self.w_out[i * no + o]).sum();
                        let e = yo - y[t * no + o];
                        loss += (e * e * norm) as f64;
                        dy[t * no + o] = 2.0 * e * norm;
                    }
                }
            }
            // Backward.
            let mut gx_next = vec![0f32; n]; // ∂L/∂x_{t+1}
            let mut gr = vec![0f32; n];
            for t in (0..t_n).rev() {
                // ∂L/∂r_t from the readout and from x_{t+1} via W_rec.
                for i in 0..n {
                    let mut acc = 0.0;
                    for o in 0..no {
                        acc += self.w_out[i * no + o] * dy[t * no + o];
                    }
                    if t + 1 < t_n {
                        for j in 0..n {
                            acc += self.w_rec[i * n + j] * q * gx_next[j];
                        }
                    }
                    gr[i] = acc;
                }
                for o in 0..no {
                    let d = dy[t * no + o];
                    if d != 0.0 {
                        for i in 0..n {
                            g[2][i * no + o] += rs[t * n + i] * d;
                        }
                    }
                }
                if t + 1 < t_n {
                    for i in 0..n {
                        let ri = rs[t * n + i];
                        if ri != 0.0 {
                            for j in 0..n {
                                g[1][i * n + j] += ri * q * gx_next[j];
                            }
                        }
                    }
                }
                // ∂L/∂x_t, then input and bias gradients of step t.
                let mut gx = vec![0f32; n];
                for j in 0..n {
                    gx[j] = gr[j] * self.f.df(xs[t * n + j])
                        + if t + 1 < t_n {
                            self.p * gx_next[j]
                        } else {
                            0.0
                        };
                }
                for j in 0..n {
                    g[3][j] += q * gx[j];
                }
                for k in 0..ni {
                    let uk = u[t * ni + k];
                    if uk != 0.0 {
                        for j in 0..n {
                            g[0][k * n + j] += uk * q * gx[j];
                        }
                    }
                }
                gx_next = gx;
            }
        }
        (loss, g)
    }

    /// Train with `opt` for `iters` batches from `task(iter)`; returns the loss per iteration.
    pub fn fit(
        &mut self,
        cfg: OptimConfig,
        iters: usize,
        mut task: impl FnMut(usize) -> SeqBatch,
    ) -> Vec<f64> {
        let cons = self.constraints();
        let scale = 1.0 / (self.n as f32).sqrt();
        let mut opt = Optimizer::new(
            cfg,
            &[
                self.w_in.len(),
                self.w_rec.len(),
                self.w_out.len(),
                self.b.len(),
            ],
            &[scale; 4],
        );
        let mut losses = vec![];
        for it in 0..iters {
            let batch = task(it);
            let (l, g) = self.loss_grad(&batch);
            losses.push(l);
            let gr: Vec<&[f32]> = g.iter().map(|v| v.as_slice()).collect();
            let cols = [self.n, self.n, self.n_out, self.n];
            let mut ps: Vec<&mut [f32]> = vec![
                &mut self.w_in,
                &mut self.w_rec,
                &mut self.w_out,
                &mut self.b,
            ];
            opt.step(&mut ps, &gr, cfg.schedule.factor(it, 0.0));
            for ((p, c), n) in ps.into_iter().zip(&cons).zip(cols) {
                c.apply(p, n);
            }
        }
        losses
    }
}

/// A delayed-response working-memory task: a cue of ±1 on input 0 for `cue` steps, a
/// silent delay, then a go signal on input 1 during which output 0 must report the cue's sign.
pub fn working_memory_batch(
    samples: usize,
    cue: usize,
    delay: usize,
    resp: usize,
    seed: u64,
) -> SeqBatch {
    let steps = cue + delay + resp;
    let mut b = SeqBatch {
        steps,
        inputs: vec![],
        targets: vec![],
        mask: vec![],
    };
    for s in 0..samples {
        let sign = if ganglion_data::encode::unit(seed, s as u64, 7) < 0.5 {
            1.0
        } else {
            -1.0
        };
        let mut u = vec![0f32; steps * 2];
        let mut y = vec![0f32; steps];
        let mut m = vec![0f32; steps];
        for t in 0..cue {
            u[t * 2] = sign;
        }
        for t in cue + delay..steps {
            u[t * 2 + 1] = 1.0;
            y[t] = sign;
            m[t] = 1.0;
        }
        b.inputs.push(u);
        b.targets.push(y);
        b.mask.push(m);
    }
    b
}
