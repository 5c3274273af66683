//! The general autodiff path: arbitrary architectures differentiated by candle's tape.
//!
//! The built-in circuits keep their hand-written adjoints ([`crate::snn`], [`crate::lif`],
//! [`crate::rate_rnn`], [`crate::mlp`]); new cells and losses (the ELM neuron, LSTM baselines,
//! transformers, contrastive or Sinkhorn losses) are written here as ordinary tensor code and
//! differentiated by reverse mode. Everything candle-specific sits behind this module, so the
//! crate can be swapped by editing it alone.
//!
//! Why candle-core 0.11 (`bench/autodiff/RESULTS.md`): it builds in half of burn's cold time
//! (177 vs 348 s on 2 cores) and shares `gemm` with faer; a custom op with its own backward is
//! one small trait impl ([`spike`]). Its speed was the weak point (2.3× PyTorch-CPU's time on
//! the ELM neuron, 6.7× on a small transformer, burn 2.5–4× faster); with the fused
//! transformer ops of [`fused`] and the thread count pinned in the process (the `ganglion` CLI
//! does it: unset, candle parses `/proc/cpuinfo` on every matrix product), a training step of
//! the workspace's own models takes 0.87× PyTorch's time on the NeuronIO ELM and 1.6× on a
//! small transformer (2026-12-08, `examples/autodiff_step.rs`).
//!
//! What this module gives the studies:
//! - [`Tensor`], [`Var`], [`DType`], [`Device`] re-exported (tensors are row-major; shapes are
//!   stated on each function);
//! - [`Params`]: named trainable variables, deterministic initialisation from a stream key
//!   (counter-based, so a parameter's draws do not depend on what was built before it), and
//!   the parameter count;
//! - [`Adam`]: Adam (Kingma & Ba 2015) with optional global-norm gradient clipping;
//! - [`fused`]: softmax, layer norm, row bias add and exact GELU, one custom op each way
//!   (what [`transformer`] and [`linear`] use);
//! - [`spike`]: surrogate spike, Heaviside forward and fast-sigmoid derivative backward
//!   (Zenke & Ganguli 2018), as a candle custom op; [`delay`]: a time shift;
//! - [`linear`], [`bce_with_logits`], [`mse`];
//! - [`grad_check`]: reverse-mode gradients against central finite differences, used by the
//!   unit tests of every cell and loss built on this path ([`elm`], [`lstm`]).
//!
//! GPU: candle's `cuda` feature would give `Device::new_cuda(0)`; it is not wired as a cargo
//! feature of this crate yet (no CUDA toolkit on the build machines), CPU is the default and
//! the only path tested.

pub mod contrastive;
pub mod elm;
pub mod fused;
pub mod hmm_rnn;
pub mod lstm;
pub mod sinkhorn;
pub mod transformer;

pub use candle_core::{D, DType, Device, Error, Result, Tensor, Var};

use candle_core::{CpuStorage, Layout, Shape};

use crate::trainer::normal;

/// Named trainable variables of one model, in creation order.
#[derive(Debug, Default, Clone)]
pub struct Params {
    names: Vec<String>,
    vars: Vec<Var>,
}

impl Params {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Register `value` as a trainable variable called `name`; returns the variable.
    pub fn add(&mut self, name: &str, value: &Tensor) -> Result<Var> {
        if self.names.iter().any(|n| n == name) {
            candle_core::bail!(
                "Params::add: parameter name `{name}` is already used; give each parameter its own name"
            );
        }
        let v = Var::from_tensor(value)?;
        self.names.push(name.to_string());
        self.vars.push(v.clone());
        Ok(v)
    }

    /// A variable of `shape` with entries `std` × standard normal, draws 0.. of stream `key`
    /// (the same draws as [`crate::normal_weights`]), stored as `dtype` on the CPU.
    pub fn normal(
        &mut self,
        name: &str,
        shape: &[usize],
        std: f64,
        key: u64,
        dtype: DType,
    ) -> Result<Var> {
        let n: usize = shape.iter().product();
        let v: Vec<f64> = (0..n).map(|i| std * normal(key, i as u64) as f64).collect();
        let t = Tensor::from_vec(v, shape, &Device::Cpu)?.to_dtype(dtype)?;
        self.add(name, &t)
    }

    /// A variable of `shape` filled with `value`.
    pub fn full(&mut self, name: &str, shape: &[usize], value: f64, dtype: DType) -> Result<Var> {
        let t = Tensor::full(value, shape, &Device::Cpu)?.to_dtype(dtype)?;
        self.add(name, &t)
    }

    /// The variables, in creation order.
    pub fn vars(&self) -> &[Var] {
        &self.vars
    }

    /// The names, in creation order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The variable called `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Var> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.vars[i])
    }

    /// Number of trainable scalars (sum of the variables' element counts).
    pub fn count(&self) -> usize {
        self.vars.iter().map(|v| v.elem_count()).sum()
    }
}

/// Adam (Kingma & Ba 2015) on a [`Params`] set, bias-corrected, with optional clipping of the
/// global gradient norm before the moments are updated.
#[derive(Debug)]
pub struct Adam {
    /// Learning rate.
    pub lr: f64,
    /// First-moment decay (0.9).
    pub beta1: f64,
    /// Second-moment decay (0.999).
    pub beta2: f64,
    /// Denominator guard (1e-8).
    pub eps: f64,
    /// Clip the global gradient L2 norm to this value when set.
    pub clip_norm: Option<f64>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    t: i32,
}

impl Adam {
    /// Adam with the usual moments (0.9, 0.999, 1e-8) and no clipping for `params`.
    pub fn new(params: &Params, lr: f64) -> Result<Self> {
        let m = params
            .vars()
            .iter()
            .map(|v| v.zeros_like())
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            clip_norm: None,
            v: m.clone(),
            m,
            t: 0,
        })
    }

    /// Backpropagate the scalar `loss`, update every variable of `params` that the loss
    /// depends on, and return the loss value and the gradient norm before clipping.
    pub fn step(&mut self, params: &Params, loss: &Tensor) -> Result<(f64, f64)> {
        if params.vars().len() != self.m.len() {
            candle_core::bail!(
                "Adam::step: built for {} variables but given {}; build the optimiser after all parameters are added",
                self.m.len(),
                params.vars().len()
            );
        }
        let value = loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        let grads = loss.backward()?;
        // Detached: candle's gradients are built from tracked ops, so a gradient kept in the
        // moments would keep this step's whole graph alive (~16 MB a step for a small
        // transformer, found by neuroformer-lite).
        let gs: Vec<Option<Tensor>> = params
            .vars()
            .iter()
            .map(|v| grads.get(v).map(Tensor::detach))
            .collect();
        let mut sq = 0.0;
        for g in gs.iter().flatten() {
            sq += g
                .sqr()?
                .sum_all()?
                .to_dtype(DType::F64)?
                .to_scalar::<f64>()?;
        }
        let norm = sq.sqrt();
        let scale = match self.clip_norm {
            Some(c) if norm > c => c / norm,
            _ => 1.0,
        };
        self.t += 1;
        let c1 = 1.0 - self.beta1.powi(self.t);
        let c2 = 1.0 - self.beta2.powi(self.t);
        for (i, (var, g)) in params.vars().iter().zip(gs).enumerate() {
            let Some(g) = g else { continue };
            let g = (g * scale)?;
            self.m[i] = ((&self.m[i] * self.beta1)? + (&g * (1.0 - self.beta1))?)?;
            self.v[i] = ((&self.v[i] * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
            let step = ((&self.m[i] / c1)? / ((&self.v[i] / c2)?.sqrt()? + self.eps)?)?;
            var.set(&(var.as_tensor().detach() - (step * self.lr)?)?)?;
        }
        Ok((value, norm))
    }
}

/// Runs `f` with a one-thread rayon pool as the current pool, so that candle's CPU matmuls
/// (which split every product over the current pool) stay on the calling thread. For small models
/// trained several at a time (contrastive heads, small transformers; callers parallelise over
/// models or samples instead), this is several times faster on shared cores than spreading
/// each product over the global pool. Falls back to calling `f`
/// directly if the pool cannot be built.
pub fn on_one_thread<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// The surrogate spike as a candle custom op (forward Heaviside, backward fast sigmoid).
struct Spike {
    slope: f64,
}

impl candle_core::CustomOp1 for Spike {
    fn name(&self) -> &'static str {
        "surrogate-spike"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let Some((a, b)) = l.contiguous_offsets() else {
            candle_core::bail!("spike: input must be contiguous; call .contiguous() first");
        };
        let out = match s {
            CpuStorage::F32(v) => CpuStorage::F32(
                v[a..b]
                    .iter()
                    .map(|&x| if x > 0.0 { 1.0 } else { 0.0 })
                    .collect(),
            ),
            CpuStorage::F64(v) => CpuStorage::F64(
                v[a..b]
                    .iter()
                    .map(|&x| if x > 0.0 { 1.0 } else { 0.0 })
                    .collect(),
            ),
            _ => candle_core::bail!(
                "spike: only f32 and f64 are supported; convert with .to_dtype(DType::F32)"
            ),
        };
        Ok((out, l.shape().clone()))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        // d/dx of the fast sigmoid x / (1 + slope |x|), scaled to peak 1 at threshold.
        let d = ((arg.abs()? * self.slope)? + 1.0)?.sqr()?.recip()?;
        Ok(Some(grad_res.mul(&d)?))
    }
}

/// Surrogate spike of `x` (any shape, f32 or f64): 1 where x > 0 else 0 in the forward pass;
/// the backward pass uses the fast-sigmoid derivative 1 / (1 + slope·|x|)², as
/// [`crate::surrogate::Surrogate::FastSigmoid`] does in the hand-written adjoints.
///
/// `slope` must be positive and finite.
pub fn spike(x: &Tensor, slope: f64) -> Result<Tensor> {
    if !(slope > 0.0 && slope.is_finite()) {
        candle_core::bail!("spike: slope = {slope}; it must be positive and finite (e.g. 25)");
    }
    x.contiguous()?.apply_op1(Spike { slope })
}

/// `x` delayed by `steps` along dimension `dim` (zeros shifted in at the start): y[t] =
/// x[t − steps] for t ≥ steps, else 0. Differentiable (narrow + pad), no custom op needed.
pub fn delay(x: &Tensor, dim: usize, steps: usize) -> Result<Tensor> {
    let n = x.dim(dim)?;
    if steps == 0 {
        return Ok(x.clone());
    }
    if steps >= n {
        return x.zeros_like();
    }
    x.narrow(dim, 0, n - steps)?.pad_with_zeros(dim, steps, 0)
}

/// Affine map `x · w + b`: x (batch, in), w (in, out), b (out) → (batch, out).
pub fn linear(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    fused::add_bias(&x.matmul(w)?, b)
}

/// Mean binary cross-entropy of `logits` against `targets` in {0, 1} (same shape), computed
/// stably as max(z, 0) − z·y + ln(1 + e^{−|z|}).
pub fn bce_with_logits(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let relu = logits.relu()?;
    let soft = ((logits.abs()?.neg()?.exp()? + 1.0)?).log()?;
    ((relu - logits.mul(targets)?)? + soft)?.mean_all()
}

/// Mean squared error between two tensors of one shape.
pub fn mse(pred: &Tensor, target: &Tensor) -> Result<Tensor> {
    pred.sub(target)?.sqr()?.mean_all()
}

/// Outcome of [`grad_check`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradCheck {
    /// Number of scalar parameters compared.
    pub checked: usize,
    /// Largest |analytic − numeric| / max(|analytic| + |numeric|, `floor`).
    pub max_rel_err: f64,
    /// Largest |analytic − numeric|.
    pub max_abs_err: f64,
}

/// Compare reverse-mode gradients of the scalar `loss()` with central finite differences
/// (step `h`) on up to `per_param` entries of every variable of `params` (evenly spread over
/// the entries). Run it in f64: the relative error of f32 differences is ~1e-3 at best.
///
/// The relative error uses `max(|a| + |n|, 1e-6)` as the denominator, so entries with zero
/// gradient are judged by their absolute error.
pub fn grad_check<F>(params: &Params, loss: F, h: f64, per_param: usize) -> Result<GradCheck>
where
    F: Fn() -> Result<Tensor>,
{
    let l = loss()?;
    if l.elem_count() != 1 {
        candle_core::bail!(
            "grad_check: the loss has shape {:?}; it must be a scalar",
            l.shape()
        );
    }
    let grads = l.backward()?;
    let mut out = GradCheck {
        checked: 0,
        max_rel_err: 0.0,
        max_abs_err: 0.0,
    };
    let eval = || -> Result<f64> { loss()?.to_dtype(DType::F64)?.sum_all()?.to_scalar::<f64>() };
    for var in params.vars() {
        let shape = var.shape().clone();
        let dtype = var.dtype();
        let base: Vec<f64> = var
            .as_tensor()
            .to_dtype(DType::F64)?
            .flatten_all()?
            .to_vec1()?;
        let analytic: Vec<f64> = match grads.get(var) {
            Some(g) => g.to_dtype(DType::F64)?.flatten_all()?.to_vec1()?,
            None => vec![0.0; base.len()],
        };
        let n = base.len();
        let k = per_param.min(n).max(1);
        for j in 0..k {
            let idx = j * n / k;
            let mut p = base.clone();
            p[idx] = base[idx] + h;
            var.set(&Tensor::from_vec(p.clone(), &shape, &Device::Cpu)?.to_dtype(dtype)?)?;
            let up = eval()?;
            p[idx] = base[idx] - h;
            var.set(&Tensor::from_vec(p, &shape, &Device::Cpu)?.to_dtype(dtype)?)?;
            let down = eval()?;
            let numeric = (up - down) / (2.0 * h);
            let abs = (analytic[idx] - numeric).abs();
            let rel = abs / (analytic[idx].abs() + numeric.abs()).max(1e-6);
            out.max_abs_err = out.max_abs_err.max(abs);
            out.max_rel_err = out.max_rel_err.max(rel);
            out.checked += 1;
        }
        var.set(&Tensor::from_vec(base, &shape, &Device::Cpu)?.to_dtype(dtype)?)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
