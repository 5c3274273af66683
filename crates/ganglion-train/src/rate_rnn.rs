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

    /// Forward one sample: `u` is `steps × n_in` (row = step); returns the pre-activations
    /// `x_t` and rates `r_t`, each `steps × n` (row = step), from `x_0 = r_0 = 0`.
    pub fn forward_sample(&self, u: &[f32], steps: usize) -> (Vec<f32>, Vec<f32>) {
        let (n, ni) = (self.n, self.n_in);
        assert_eq!(
            u.len(),
            steps * ni,
            "RateRnn::forward_sample: input has {} values, expected steps × n_in = {steps} × {ni}",
            u.len()
        );
        let q = 1.0 - self.p;
        let mut xs = vec![0f32; steps * n];
        let mut rs = vec![0f32; steps * n];
        let mut x = vec![0f32; n];
        let mut r = vec![0f32; n];
        for t in 0..steps {
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
        }
        (xs, rs)
    }

    /// The readout `y_t = W_outᵀ r_t` of rates `rs` (`steps × n`): `steps × n_out`.
    pub fn readout(&self, rs: &[f32], steps: usize) -> Vec<f32> {
        let (n, no) = (self.n, self.n_out);
        let mut y = vec![0f32; steps * no];
        for t in 0..steps {
            for o in 0..no {
                y[t * no + o] = (0..n).map(|i| rs[t * n + i] * self.w_out[i * no + o]).sum();
            }
        }
        y
    }

    /// Backward pass of one sample (the vector–Jacobian product): adds to `g` = (w_in, w_rec,
    /// w_out, b) the gradient of `Σ_{t,o} dy[t·n_out + o] · y_t[o]`, where `xs`, `rs` come
    /// from [`RateRnn::forward_sample`] on the same `u` and `dy` is `steps × n_out`.
    pub fn backward_sample(
        &self,
        u: &[f32],
        xs: &[f32],
        rs: &[f32],
        dy: &[f32],
        steps: usize,
        g: &mut [Vec<f32>; 4],
    ) {
        let (n, ni, no, t_n) = (self.n, self.n_in, self.n_out, steps);
        assert_eq!(
            dy.len(),
            steps * no,
            "RateRnn::backward_sample: dy has {} values, expected steps × n_out = {steps} × {no}",
            dy.len()
        );
        let q = 1.0 - self.p;
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

    /// Zeroed gradient buffers shaped like (w_in, w_rec, w_out, b).
    pub fn zero_grads(&self) -> [Vec<f32>; 4] {
        [
            vec![0f32; self.w_in.len()],
            vec![0f32; self.w_rec.len()],
            vec![0f32; self.w_out.len()],
            vec![0f32; self.b.len()],
        ]
    }

    /// Loss (mean over scored entries) and gradients (w_in, w_rec, w_out, b).
    pub fn loss_grad(&self, b: &SeqBatch) -> (f64, [Vec<f32>; 4]) {
        let (n, no, t_n) = (self.n, self.n_out, b.steps);
        let mut g = self.zero_grads();
        let scored: f32 = b.mask.iter().map(|m| m.iter().sum::<f32>()).sum::<f32>() * no as f32;
        let norm = 1.0 / scored.max(1.0);
        let mut loss = 0.0f64;
        for s in 0..b.inputs.len() {
            let (u, y, m) = (&b.inputs[s], &b.targets[s], &b.mask[s]);
            let (xs, rs) = self.forward_sample(u, t_n);
            let mut dy = vec![0f32; t_n * no];
            for t in 0..t_n {
                if m[t] != 0.0 {
                    for o in 0..no {
                        let yo: f32 = (0..n).map(|i| rs[t * n + i] * self.w_out[i * no + o]).sum();
                        let e = yo - y[t * no + o];
                        loss += (e * e * norm) as f64;
                        dy[t * no + o] = 2.0 * e * norm;
                    }
                }
            }
            self.backward_sample(u, &xs, &rs, &dy, t_n, &mut g);
        }
        (loss, g)
    }

    /// The tangent kernel of the outputs with respect to the recurrent weights only (as Liu
    /// et al. 2024 measure it): for every sample `s`, step `t` and output `o` (row index
    /// `(s·steps + t)·n_out + o`), the Jacobian row `J = ∂y_t[o]/∂W_rec` (`n²` entries), and
    /// `K = J Jᵀ`, returned row-major with its side `inputs.len() · steps · n_out`.
    /// `inputs` holds `steps × n_in` per sample.
    pub fn rec_tangent_kernel(&self, inputs: &[Vec<f32>], steps: usize) -> (Vec<f64>, usize) {
        let (n, no) = (self.n, self.n_out);
        let rows = inputs.len() * steps * no;
        let nn = n * n;
        let mut jac = vec![0f32; rows * nn];
        for (s, u) in inputs.iter().enumerate() {
            let (xs, rs) = self.forward_sample(u, steps);
            for t in 0..steps {
                for o in 0..no {
                    let mut dy = vec![0f32; steps * no];
                    dy[t * no + o] = 1.0;
                    let mut g = self.zero_grads();
                    self.backward_sample(u, &xs, &rs, &dy, steps, &mut g);
                    let row = (s * steps + t) * no + o;
                    jac[row * nn..(row + 1) * nn].copy_from_slice(&g[1]);
                }
            }
        }
        let mut k = vec![0f32; rows * rows];
        crate::mlp::gemm_nt(&mut k, &jac, &jac, rows, nn, rows, faer::Par::Seq);
        (k.into_iter().map(f64::from).collect(), rows)
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

/// The rank-`r` truncation of the square `n × n` matrix `w` (row-major), by SVD (faer, in
/// f64): `Σ_{k<r} σ_k u_k v_kᵀ`, rescaled to the Frobenius norm of `w`. This is the
/// low-rank initialisation of Liu et al. (ICLR 2024): truncate a random Gaussian matrix and
/// renormalise so that every rank has the same weight norm. `r ≥ n` returns `w` itself.
pub fn truncate_rank(w: &[f32], n: usize, r: usize) -> Vec<f32> {
    assert_eq!(
        w.len(),
        n * n,
        "truncate_rank: matrix has {} entries, expected n × n = {n} × {n}",
        w.len()
    );
    assert!(r >= 1, "truncate_rank: rank 0 asked for; use a rank ≥ 1");
    if r >= n {
        return w.to_vec();
    }
    let m = faer::Mat::<f64>::from_fn(n, n, |i, j| w[i * n + j] as f64);
    let svd = m
        .svd()
        .expect("truncate_rank: the SVD did not converge (non-finite weights?)");
    let (uu, ss, vv) = (svd.U(), svd.S().column_vector(), svd.V());
    let mut out = vec![0f64; n * n];
    for k in 0..r {
        let sk = ss[k];
        for i in 0..n {
            let a = sk * uu[(i, k)];
            for j in 0..n {
                out[i * n + j] += a * vv[(j, k)];
            }
        }
    }
    let norm_w: f64 = w.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
    let norm_o: f64 = out.iter().map(|x| x * x).sum::<f64>().sqrt();
    let scale = if norm_o > 0.0 { norm_w / norm_o } else { 0.0 };
    out.into_iter().map(|x| (x * scale) as f32).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain ReLU RNN as Liu et al. use it: α = dt/τ = 1 (so `p = 0`), no bias.
    fn relu_net(n_in: usize, n: usize, n_out: usize, seed: u64, f: Transfer) -> RateRnn {
        let mut net = RateRnn::new(n_in, n, n_out, 1.0, 1.0, 1.0, 1.0, seed, f);
        net.p = 0.0;
        net.w_rec = (0..n * n)
            .map(|i| 1.2 * normal(seed ^ 9, i as u64) / (n as f32).sqrt())
            .collect();
        net.w_out = (0..n * n_out)
            .map(|i| normal(seed ^ 11, i as u64) / (n as f32).sqrt())
            .collect();
        net
    }

    fn inputs(samples: usize, steps: usize, n_in: usize, seed: u64) -> Vec<Vec<f32>> {
        (0..samples)
            .map(|s| {
                (0..steps * n_in)
                    .map(|i| 0.5 + normal(seed, (s * 1000 + i) as u64))
                    .collect()
            })
            .collect()
    }

    fn objective(net: &RateRnn, u: &[f32], c: &[f32], steps: usize) -> f64 {
        let (_, rs) = net.forward_sample(u, steps);
        let y = net.readout(&rs, steps);
        y.iter().zip(c).map(|(&a, &b)| (a * b) as f64).sum()
    }

    fn fd_agree(fd: f64, an: f64, what: &str) {
        assert!(
            (fd - an).abs() <= 2e-3 + 2e-2 * an.abs(),
            "{what}: finite difference {fd} vs analytic {an}"
        );
    }

    #[test]
    fn vector_jacobian_product_matches_finite_differences() {
        for (f, p) in [(Transfer::Tanh, 0.6f32), (Transfer::Relu, 0.0)] {
            let (ni, n, no, steps) = (3, 6, 2, 4);
            let mut net = relu_net(ni, n, no, 3, f);
            net.p = p;
            net.b = (0..n).map(|i| 0.1 * normal(21, i as u64)).collect();
            let u = &inputs(1, steps, ni, 5)[0];
            let c: Vec<f32> = (0..steps * no).map(|i| normal(7, i as u64)).collect();
            let (xs, rs) = net.forward_sample(u, steps);
            let mut g = net.zero_grads();
            net.backward_sample(u, &xs, &rs, &c, steps, &mut g);
            let h = 1e-3f32;
            for gi in 0..4 {
                for i in 0..g[gi].len() {
                    let mut plus = net.clone();
                    let mut minus = net.clone();
                    [
                        &mut plus.w_in,
                        &mut plus.w_rec,
                        &mut plus.w_out,
                        &mut plus.b,
                    ][gi][i] += h;
                    [
                        &mut minus.w_in,
                        &mut minus.w_rec,
                        &mut minus.w_out,
                        &mut minus.b,
                    ][gi][i] -= h;
                    let fd = (objective(&plus, u, &c, steps) - objective(&minus, u, &c, steps))
                        / (2.0 * h as f64);
                    fd_agree(fd, g[gi][i] as f64, &format!("{f:?} group {gi} [{i}]"));
                }
            }
        }
    }

    #[test]
    fn tangent_kernel_is_the_gram_of_finite_difference_jacobians() {
        let (ni, n, no, steps) = (2, 5, 2, 3);
        let net = relu_net(ni, n, no, 13, Transfer::Relu);
        let us = inputs(2, steps, ni, 17);
        let (k, rows) = net.rec_tangent_kernel(&us, steps);
        assert_eq!(rows, 2 * steps * no);
        assert_eq!(k.len(), rows * rows);
        // Jacobian rows by central differences on W_rec.
        let h = 1e-3f32;
        let mut jac = vec![vec![0f64; n * n]; rows];
        for w in 0..n * n {
            let (mut plus, mut minus) = (net.clone(), net.clone());
            plus.w_rec[w] += h;
            minus.w_rec[w] -= h;
            for (s, u) in us.iter().enumerate() {
                let yp = plus.readout(&plus.forward_sample(u, steps).1, steps);
                let ym = minus.readout(&minus.forward_sample(u, steps).1, steps);
                for to in 0..steps * no {
                    jac[s * steps * no + to][w] = (yp[to] - ym[to]) as f64 / (2.0 * h as f64);
                }
            }
        }
        for a in 0..rows {
            for b in 0..rows {
                let fd: f64 = jac[a].iter().zip(&jac[b]).map(|(x, y)| x * y).sum();
                fd_agree(fd, k[a * rows + b], &format!("K[{a},{b}]"));
                assert_eq!(k[a * rows + b], k[b * rows + a], "kernel is symmetric");
            }
        }
        // Step 0's outputs do not depend on W_rec (r_{−1} = 0): zero rows.
        assert!((0..rows).all(|b| k[b] == 0.0));
    }

    #[test]
    fn rank_truncation_keeps_the_norm_and_has_the_rank() {
        let n = 12;
        let w: Vec<f32> = (0..n * n).map(|i| normal(31, i as u64)).collect();
        let fro = |m: &[f32]| m.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
        assert_eq!(truncate_rank(&w, n, n), w);
        for r in [1, 3, 7] {
            let t = truncate_rank(&w, n, r);
            assert!(
                (fro(&t) - fro(&w)).abs() < 1e-4 * fro(&w),
                "rank {r}: norm kept"
            );
            let sv = faer::Mat::<f64>::from_fn(n, n, |i, j| t[i * n + j] as f64)
                .singular_values()
                .unwrap();
            let sv_desc = {
                let mut v = sv.clone();
                v.sort_by(|a, b| b.total_cmp(a));
                v
            };
            assert!(sv_desc[r - 1] > 1e-2, "rank {r}: σ_r = {}", sv_desc[r - 1]);
            assert!(
                sv_desc[r] < 1e-4 * sv_desc[0],
                "rank {r}: σ_(r+1) = {}",
                sv_desc[r]
            );
        }
        // An exact rank-1 matrix u vᵀ is its own rank-1 truncation.
        let u: Vec<f32> = (0..n).map(|i| 1.0 + i as f32 * 0.1).collect();
        let v: Vec<f32> = (0..n).map(|i| (i as f32 - 5.0) * 0.2).collect();
        let w1: Vec<f32> = (0..n * n).map(|k| u[k / n] * v[k % n]).collect();
        let t1 = truncate_rank(&w1, n, 1);
        for (a, b) in t1.iter().zip(&w1) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}
