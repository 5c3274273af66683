//! Fused CPU kernels for the row-wise and elementwise steps of a transformer block: softmax
//! over the last dimension, layer norm with its gain and bias, a bias added to every row, and
//! the exact (erf) GELU. Each is one candle custom op whose backward pass is a second fused
//! kernel.
//!
//! Why (`perf` and `examples/autodiff_step.rs`, 2026-12-08, 2-core machine): a training
//! step of a small transformer spent ~15 % of its time in candle's reductions over the first
//! dimension — the gradients of every bias and layer-norm gain, which candle sums column by
//! column with a stride — and each layer norm, softmax and GELU took 5–10 separate passes and
//! allocations each way. With these ops the step of `examples/autodiff_step tf` (the bench's
//! transformer, 2 threads) went from 59.5 to 44.5 ms (medians of 3 runs; PyTorch 24–28 ms in
//! the same session) and its peak memory from 79 to 58 MB. The bias and gain gradients as
//! contiguous row-by-row sums are most of the gain: fusing softmax and GELU alone saved
//! 1–4 ms and 14 MB.
//!
//! The kernels compute elementwise in the tensor's precision (f32 or f64), accumulate row
//! sums in f64, and split the rows over rayon's current pool when there are enough of them
//! (under [`super::on_one_thread`] they run on the calling thread). Their backward passes are
//! first-order only: a gradient of a gradient through them is not supported (nothing in the
//! workspace takes one). Each is checked against its composed-op form and against finite
//! differences (`tests`).

use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Shape, WithDType};
use rayon::prelude::*;

use super::{Result, Tensor};

/// Rows per rayon task: at least this many elements each, so that small tensors stay on one
/// thread (a task costs a few microseconds to schedule).
const MIN_TASK_ELEMS: usize = 16 * 1024;

/// The contiguous slice of a tensor's storage, or a clear error.
fn slice<'a, T: WithDType>(s: &'a CpuStorage, l: &Layout, op: &str) -> Result<&'a [T]> {
    let Some((a, b)) = l.contiguous_offsets() else {
        candle_core::bail!("{op}: input must be contiguous; call .contiguous() first");
    };
    Ok(&s.as_slice::<T>()?[a..b])
}

/// Apply `f(row_index, out_row)` to every row of a (rows, d) output, in parallel chunks.
fn for_rows<T: WithDType>(out: &mut [T], d: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if d == 0 {
        return;
    }
    let rows_per_task = (MIN_TASK_ELEMS / d).max(1);
    out.par_chunks_mut(rows_per_task * d)
        .enumerate()
        .for_each(|(c, chunk)| {
            for (i, row) in chunk.chunks_mut(d).enumerate() {
                f(c * rows_per_task + i, row);
            }
        });
}

/// Set every element of `out` to `f(index)`, in parallel chunks.
fn for_elems<T: WithDType>(out: &mut [T], f: impl Fn(usize) -> T + Sync) {
    out.par_chunks_mut(MIN_TASK_ELEMS)
        .enumerate()
        .for_each(|(c, chunk)| {
            for (i, o) in chunk.iter_mut().enumerate() {
                *o = f(c * MIN_TASK_ELEMS + i);
            }
        });
}

/// Dispatch on the dtype of a storage: run `$body` with `$t` bound to f32 or f64.
macro_rules! by_dtype {
    ($s:expr, $op:expr, $t:ident => $body:expr) => {
        match $s {
            CpuStorage::F32(_) => {
                type $t = f32;
                $body
            }
            CpuStorage::F64(_) => {
                type $t = f64;
                $body
            }
            _ => candle_core::bail!(
                "{}: only f32 and f64 are supported; convert with .to_dtype(DType::F32)",
                $op
            ),
        }
    };
}

/// Length of the last dimension (the row length) of a layout.
fn row_len(l: &Layout) -> usize {
    l.dims().last().copied().unwrap_or(1)
}

// ---------------------------------------------------------------------------------------------
// Softmax over the last dimension and the exact (erf) GELU: one op family, one backward op.

/// The single-input fused ops.
#[derive(Debug, Clone, Copy)]
enum Unary {
    /// Softmax over the last dimension (rows of the last dimension's length).
    SoftmaxLast,
    /// x · Φ(x), elementwise.
    GeluErf,
}

impl CustomOp1 for Unary {
    fn name(&self) -> &'static str {
        match self {
            Unary::SoftmaxLast => "fused-softmax-last",
            Unary::GeluErf => "fused-gelu-erf",
        }
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let d = row_len(l);
        by_dtype!(s, self.name(), T => {
            let x = slice::<T>(s, l, self.name())?;
            let mut y = vec![T::from_f64(0.0); x.len()];
            match self {
                Unary::SoftmaxLast => for_rows(&mut y, d, |r, out| {
                    let row = &x[r * d..(r + 1) * d];
                    let m = row.iter().copied().fold(T::NEG_INFINITY, T::max);
                    let mut sum = 0.0;
                    for (o, &v) in out.iter_mut().zip(row) {
                        *o = (v - m).exp();
                        sum += o.to_f64();
                    }
                    let inv = T::from_f64(1.0 / sum);
                    for o in out.iter_mut() {
                        *o *= inv;
                    }
                }),
                Unary::GeluErf => for_elems(&mut y, |i| x[i] * phi_cdf(x[i])),
            }
            Ok((T::to_cpu_storage_owned(y), l.shape().clone()))
        })
    }

    fn bwd(&self, arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        // The softmax's backward needs its output, the GELU's its input.
        let saved = match self {
            Unary::SoftmaxLast => res,
            Unary::GeluErf => arg,
        };
        Ok(Some(
            saved.apply_op2_no_bwd(&grad.contiguous()?, &UnaryBwd(*self))?,
        ))
    }
}

/// The backward kernels of [`Unary`], from the saved tensor s and the incoming gradient g:
/// softmax (s = its output p): dx = p ⊙ (g − Σ_row g ⊙ p); GELU (s = its input x):
/// dx = g · (Φ(x) + x φ(x)), φ the standard normal density.
struct UnaryBwd(Unary);

impl CustomOp2 for UnaryBwd {
    fn name(&self) -> &'static str {
        match self.0 {
            Unary::SoftmaxLast => "fused-softmax-last-bwd",
            Unary::GeluErf => "fused-gelu-erf-bwd",
        }
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let d = row_len(l1);
        by_dtype!(s1, self.name(), T => {
            let s = slice::<T>(s1, l1, self.name())?;
            let g = slice::<T>(s2, l2, self.name())?;
            let mut dx = vec![T::from_f64(0.0); s.len()];
            match self.0 {
                Unary::SoftmaxLast => for_rows(&mut dx, d, |r, out| {
                    let (p, g) = (&s[r * d..(r + 1) * d], &g[r * d..(r + 1) * d]);
                    let dot: f64 = p.iter().zip(g).map(|(p, g)| p.to_f64() * g.to_f64()).sum();
                    let dot = T::from_f64(dot);
                    for ((o, &p), &g) in out.iter_mut().zip(p).zip(g) {
                        *o = p * (g - dot);
                    }
                }),
                Unary::GeluErf => {
                    let inv_sqrt_2pi = T::from_f64(
                        0.5 * std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2,
                    );
                    let neg_half = T::from_f64(-0.5);
                    for_elems(&mut dx, |i| {
                        let v = s[i];
                        let density = inv_sqrt_2pi * (neg_half * v * v).exp();
                        g[i] * (phi_cdf(v) + v * density)
                    });
                }
            }
            Ok((T::to_cpu_storage_owned(dx), l1.shape().clone()))
        })
    }
}

/// Φ(x), the standard normal CDF, in the tensor's own precision (libm's erf, as candle's
/// gelu_erf).
fn phi_cdf<T: Erf>(x: T) -> T {
    T::from_f64(0.5) * (T::from_f64(1.0) + (x * T::from_f64(std::f64::consts::FRAC_1_SQRT_2)).erf())
}

/// The error function of one precision.
trait Erf: WithDType {
    fn erf(self) -> Self;
}

impl Erf for f32 {
    fn erf(self) -> f32 {
        candle_core::cpu::erf::erf_f32(self)
    }
}

impl Erf for f64 {
    fn erf(self) -> f64 {
        candle_core::cpu::erf::erf_f64(self)
    }
}

/// Softmax of `x` over its last dimension (any rank ≥ 1, f32 or f64), in one pass each way.
/// The row maximum is subtracted before exponentiating, so rows with large entries or with
/// masked entries (−1e9) are exact.
pub fn softmax_last(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Unary::SoftmaxLast)
}

/// The exact GELU x · Φ(x) of `x` (any shape, f32 or f64), one pass each way; equals candle's
/// `gelu_erf` (same erf).
pub fn gelu_erf(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Unary::GeluErf)
}

// ---------------------------------------------------------------------------------------------
// Layer norm with gain and bias.

struct LayerNorm {
    eps: f64,
}

/// Mean and 1/√(var + eps) of one row (biased variance), in f64.
fn row_stats<T: WithDType>(row: &[T], eps: f64) -> (f64, f64) {
    let n = row.len() as f64;
    let mu = row.iter().map(|v| v.to_f64()).sum::<f64>() / n;
    let var = row.iter().map(|v| (v.to_f64() - mu).powi(2)).sum::<f64>() / n;
    (mu, 1.0 / (var + eps).sqrt())
}

fn check_affine(l1: &Layout, l2: &Layout, l3: &Layout, op: &str) -> Result<usize> {
    let d = row_len(l1);
    if l2.shape().dims() != [d] || l3.shape().dims() != [d] {
        candle_core::bail!(
            "{op}: gain {:?} and bias {:?} must both have shape [{d}] (the last dimension of x {:?})",
            l2.shape(),
            l3.shape(),
            l1.shape()
        );
    }
    Ok(d)
}

impl CustomOp3 for LayerNorm {
    fn name(&self) -> &'static str {
        "fused-layer-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let d = check_affine(l1, l2, l3, self.name())?;
        by_dtype!(s1, self.name(), T => {
            let x = slice::<T>(s1, l1, self.name())?;
            let g = slice::<T>(s2, l2, self.name())?;
            let b = slice::<T>(s3, l3, self.name())?;
            let mut y = vec![T::from_f64(0.0); x.len()];
            for_rows(&mut y, d, |r, out| {
                let row = &x[r * d..(r + 1) * d];
                let (mu, inv) = row_stats(row, self.eps);
                for (j, (o, v)) in out.iter_mut().zip(row).enumerate() {
                    let xhat = (v.to_f64() - mu) * inv;
                    *o = T::from_f64(xhat * g[j].to_f64() + b[j].to_f64());
                }
            });
            Ok((T::to_cpu_storage_owned(y), l1.shape().clone()))
        })
    }

    fn bwd(
        &self,
        x: &Tensor,
        g: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let d = x.dim(candle_core::D::Minus1)?;
        let rows = x.elem_count() / d.max(1);
        // One kernel writes dx (rows × d) and, below it, the rows dg and db.
        let packed = x.apply_op3_no_bwd(g, &grad.contiguous()?, &LayerNormBwd { eps: self.eps })?;
        let dx = packed.narrow(0, 0, rows)?.reshape(x.shape())?;
        let dg = packed.get(rows)?;
        let db = packed.get(rows + 1)?;
        Ok((Some(dx), Some(dg), Some(db)))
    }
}

/// The backward of [`LayerNorm`] from x, the gain γ and the incoming gradient g: with
/// x̂ = (x − μ)/σ and ĝ = g ⊙ γ, dx = (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) / σ; the gain's and the
/// bias's gradients Σ_rows g ⊙ x̂ and Σ_rows g. Output (rows + 2, d): dx, then those two rows.
struct LayerNormBwd {
    eps: f64,
}

impl CustomOp3 for LayerNormBwd {
    fn name(&self) -> &'static str {
        "fused-layer-norm-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let d = row_len(l1);
        let rows = l1.shape().elem_count() / d.max(1);
        by_dtype!(s1, self.name(), T => {
            let x = slice::<T>(s1, l1, self.name())?;
            let gain = slice::<T>(s2, l2, self.name())?;
            let g = slice::<T>(s3, l3, self.name())?;
            // Each row's mean and 1/σ, once for both passes below.
            let stats: Vec<(f64, f64)> =
                x.par_chunks(d.max(1)).map(|row| row_stats(row, self.eps)).collect();
            let mut out = vec![T::from_f64(0.0); x.len() + 2 * d];
            let (dx, sums) = out.split_at_mut(x.len());
            for_rows(dx, d, |r, out| {
                let (x, g) = (&x[r * d..(r + 1) * d], &g[r * d..(r + 1) * d]);
                let (mu, inv) = stats[r];
                let (mut mean_gh, mut mean_ghx) = (0.0, 0.0);
                for j in 0..d {
                    let gh = g[j].to_f64() * gain[j].to_f64();
                    mean_gh += gh;
                    mean_ghx += gh * (x[j].to_f64() - mu) * inv;
                }
                mean_gh /= d as f64;
                mean_ghx /= d as f64;
                for j in 0..d {
                    let xhat = (x[j].to_f64() - mu) * inv;
                    let gh = g[j].to_f64() * gain[j].to_f64();
                    out[j] = T::from_f64((gh - mean_gh - xhat * mean_ghx) * inv);
                }
            });
            // dγ = Σ_rows g ⊙ x̂ and dβ = Σ_rows g, accumulated row by row (contiguous, f64).
            let (mut dgain, mut dbias) = (vec![0.0f64; d], vec![0.0f64; d]);
            for (r, &(mu, inv)) in stats.iter().enumerate() {
                let (x, g) = (&x[r * d..(r + 1) * d], &g[r * d..(r + 1) * d]);
                for j in 0..d {
                    let gj = g[j].to_f64();
                    dgain[j] += gj * (x[j].to_f64() - mu) * inv;
                    dbias[j] += gj;
                }
            }
            for (o, v) in sums.iter_mut().zip(dgain.iter().chain(&dbias)) {
                *o = T::from_f64(*v);
            }
            Ok((T::to_cpu_storage_owned(out), Shape::from((rows + 2, d))))
        })
    }
}

/// Layer norm over the last dimension of `x` (any rank ≥ 1): (x − mean) / √(var + eps) · g + b
/// with the biased variance; `g` and `b` have the last dimension's length. One pass each way.
pub fn layer_norm(x: &Tensor, g: &Tensor, b: &Tensor, eps: f64) -> Result<Tensor> {
    if !(eps >= 0.0 && eps.is_finite()) {
        candle_core::bail!("layer_norm: eps = {eps}; it must be finite and ≥ 0 (e.g. 1e-5)");
    }
    x.contiguous()?
        .apply_op3(&g.contiguous()?, &b.contiguous()?, LayerNorm { eps })
}

// ---------------------------------------------------------------------------------------------
// Bias added to every row.

struct AddBias;

impl CustomOp2 for AddBias {
    fn name(&self) -> &'static str {
        "fused-add-bias"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let d = row_len(l1);
        if l2.shape().dims() != [d] {
            candle_core::bail!(
                "add_bias: bias {:?} must have shape [{d}] (the last dimension of x {:?})",
                l2.shape(),
                l1.shape()
            );
        }
        by_dtype!(s1, self.name(), T => {
            let x = slice::<T>(s1, l1, self.name())?;
            let b = slice::<T>(s2, l2, self.name())?;
            let mut y = vec![T::from_f64(0.0); x.len()];
            for_rows(&mut y, d, |r, out| {
                for ((o, &v), &c) in out.iter_mut().zip(&x[r * d..(r + 1) * d]).zip(b) {
                    *o = v + c;
                }
            });
            Ok((T::to_cpu_storage_owned(y), l1.shape().clone()))
        })
    }

    fn bwd(
        &self,
        _x: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let db = grad.contiguous()?.apply_op1_no_bwd(&ColumnSums)?;
        Ok((Some(grad.clone()), Some(db)))
    }
}

/// Σ over the rows of a (rows, d) tensor → (d), accumulated row by row in f64. Candle's own
/// `sum(0)` walks the columns with a stride and is several times slower.
struct ColumnSums;

impl CustomOp1 for ColumnSums {
    fn name(&self) -> &'static str {
        "fused-column-sums"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let d = row_len(l);
        by_dtype!(s, self.name(), T => {
            let x = slice::<T>(s, l, self.name())?;
            let mut acc = vec![0.0f64; d];
            for row in x.chunks_exact(d.max(1)) {
                for (a, v) in acc.iter_mut().zip(row) {
                    *a += v.to_f64();
                }
            }
            let out: Vec<T> = acc.into_iter().map(T::from_f64).collect();
            Ok((T::to_cpu_storage_owned(out), Shape::from(d)))
        })
    }
}

/// `x + b` with the bias `b` (the last dimension's length) added to every row of `x` (any
/// rank ≥ 1); its backward sums the gradient over the rows in one contiguous pass.
pub fn add_bias(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op2(&b.contiguous()?, AddBias)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::{DType, Device, Params, grad_check};

    fn rand(shape: &[usize], key: u64, dtype: DType) -> Tensor {
        let n: usize = shape.iter().product();
        let v: Vec<f64> = (0..n)
            .map(|i| 1.5 * crate::trainer::normal(key, i as u64) as f64)
            .collect();
        Tensor::from_vec(v, shape, &Device::Cpu)
            .and_then(|t| t.to_dtype(dtype))
            .expect("tensor")
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
        (a - b)
            .and_then(|d| d.abs())
            .and_then(|d| d.flatten_all())
            .and_then(|d| d.max(0))
            .and_then(|d| d.to_dtype(DType::F64))
            .and_then(|d| d.to_scalar::<f64>())
            .expect("diff")
    }

    /// The composed-op forms (the reference): the transformer module's own layer norm and
    /// softmax as they were written before these kernels, and candle's gelu_erf.
    fn composed_layer_norm(x: &Tensor, g: &Tensor, b: &Tensor, eps: f64) -> Result<Tensor> {
        let mu = x.mean_keepdim(candle_core::D::Minus1)?;
        let c = x.broadcast_sub(&mu)?;
        let var = c.sqr()?.mean_keepdim(candle_core::D::Minus1)?;
        c.broadcast_div(&(var + eps)?.sqrt()?)?
            .broadcast_mul(g)?
            .broadcast_add(b)
    }

    fn composed_softmax(x: &Tensor) -> Result<Tensor> {
        let m = x.max_keepdim(candle_core::D::Minus1)?.detach();
        let e = x.broadcast_sub(&m)?.exp()?;
        e.broadcast_div(&e.sum_keepdim(candle_core::D::Minus1)?)
    }

    #[test]
    fn forward_equals_the_composed_ops_in_f32_and_f64() {
        for dtype in [DType::F32, DType::F64] {
            let tol = if dtype == DType::F32 { 2e-6 } else { 1e-12 };
            let x = rand(&[3, 5, 7], 1, dtype);
            let (g, b) = (rand(&[7], 2, dtype), rand(&[7], 3, dtype));
            let ln = layer_norm(&x, &g, &b, 1e-5).expect("ln");
            let want = composed_layer_norm(&x, &g, &b, 1e-5).expect("ln ref");
            assert!(max_diff(&ln, &want) < 4.0 * tol, "{dtype:?} layer norm");
            let sm = softmax_last(&x).expect("softmax");
            assert!(max_diff(&sm, &composed_softmax(&x).expect("ref")) < tol);
            let ge = gelu_erf(&x).expect("gelu");
            assert!(max_diff(&ge, &x.gelu_erf().expect("ref")) < tol);
            let ab = add_bias(&x, &b).expect("bias");
            assert!(max_diff(&ab, &x.broadcast_add(&b).expect("ref")) < tol);
        }
        // A masked row (−1e9 entries) and a transposed (non-contiguous) input.
        let x =
            Tensor::new(&[[0.5f32, -1e9, 2.0], [1e4, 1e4 - 1.0, -1e9]], &Device::Cpu).expect("x");
        let p = softmax_last(&x).expect("p");
        let p2 = composed_softmax(&x).expect("p ref");
        assert!(max_diff(&p, &p2) < 1e-7);
        let xt = rand(&[4, 6], 4, DType::F64).t().expect("t");
        assert!(
            max_diff(
                &softmax_last(&xt).expect("s"),
                &composed_softmax(&xt).expect("r")
            ) < 1e-12
        );
    }

    #[test]
    fn gradients_equal_the_composed_ops_and_finite_differences() {
        let mut params = Params::new();
        let x = params
            .normal("x", &[2, 3, 6], 1.2, 11, DType::F64)
            .expect("x");
        let g = params.normal("g", &[6], 1.0, 12, DType::F64).expect("g");
        let b = params.normal("b", &[6], 1.0, 13, DType::F64).expect("b");
        let c = params.normal("c", &[6], 1.0, 15, DType::F64).expect("c");
        let w = rand(&[2, 3, 6], 14, DType::F64);
        // A loss that reaches every kernel and weights its outputs unevenly.
        let loss = |fused: bool| -> Result<Tensor> {
            let h = if fused {
                layer_norm(&x, &g, &b, 1e-5)?
            } else {
                composed_layer_norm(&x, &g, &b, 1e-5)?
            };
            let h = if fused {
                gelu_erf(&add_bias(&h, &c)?)?
            } else {
                h.broadcast_add(&c)?.gelu_erf()?
            };
            let h = if fused {
                softmax_last(&h)?
            } else {
                composed_softmax(&h)?
            };
            (h * &w)?.sum_all()
        };
        let gf = loss(true).expect("l").backward().expect("bwd");
        let gc = loss(false).expect("l").backward().expect("bwd");
        // Not closer than ~1e-7: candle's own gelu_erf backward rounds 1/√(2π) to 0.398942;
        // the finite-difference check below is the arbiter at 1e-6.
        for v in params.vars() {
            let d = max_diff(gf.get(v).expect("fused grad"), gc.get(v).expect("ref grad"));
            assert!(d < 1e-6, "gradient differs by {d}");
        }
        let check = grad_check(&params, || loss(true), 1e-5, 36).expect("check");
        assert!(check.max_rel_err < 1e-6, "{check:?}");
    }

    #[test]
    fn bad_inputs_get_clear_errors() {
        let x = rand(&[2, 4], 1, DType::F32);
        let e = layer_norm(
            &x,
            &rand(&[3], 2, DType::F32),
            &rand(&[4], 3, DType::F32),
            1e-5,
        )
        .expect_err("gain shape");
        assert!(e.to_string().contains("must both have shape [4]"), "{e}");
        let e = layer_norm(
            &x,
            &rand(&[4], 2, DType::F32),
            &rand(&[4], 3, DType::F32),
            -1.0,
        )
        .expect_err("eps");
        assert!(e.to_string().contains("eps = -1"), "{e}");
        let e = add_bias(&x, &rand(&[2], 2, DType::F32)).expect_err("bias shape");
        assert!(e.to_string().contains("must have shape [4]"), "{e}");
        let xi = Tensor::new(&[1i64, 2], &Device::Cpu).expect("i64");
        let e = softmax_last(&xi).expect_err("dtype");
        assert!(e.to_string().contains("only f32 and f64"), "{e}");
    }
}
