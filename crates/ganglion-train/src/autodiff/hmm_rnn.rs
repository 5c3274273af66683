//! The noise-driven ReLU RNN of Torre, Viscione, Pompe, Grewe & Mante (2025), "Mechanistic
//! interpretability of RNNs emulating hidden Markov models" (repository `EliaTorre/hmmrnn`,
//! `scripts/rnn.py`), on the general autodiff path.
//!
//! ```text
//! h_0 = 0;   h_t = relu(x_t W_in + h_{t−1} W_hh)        x_t ~ N(0, I) noise, no biases
//! z_t = h_t W_out                                       logits over K symbols
//! y_t = one_hot(argmax(z_t + g_t))  forward,            g_t ~ Gumbel(0, 1)
//!       softmax((z_t + g_t)/τ)      backward             (straight-through Gumbel-softmax)
//! ```
//!
//! As in the paper (PyTorch `nn.RNN(nonlinearity='relu', bias=False)`, `nn.Linear(bias=False)`,
//! `F.gumbel_softmax(hard=True)`); the weights start normal with PyTorch's variance 1/(3H).
//! Tensors are time-major: noise (T, B, I), Gumbel draws (T, B, K).

use super::fused::softmax_last;
use super::{DType, Device, Params, Result, Tensor, Var};

/// Noise-driven ReLU RNN with a linear readout to symbol logits.
#[derive(Debug, Clone)]
pub struct NoiseRnn {
    /// Noise input dimension I.
    pub num_input: usize,
    /// Hidden units H.
    pub hidden: usize,
    /// Symbols K.
    pub num_output: usize,
    w_in: Var,
    w_hh: Var,
    w_out: Var,
}

/// What one forward pass returns.
#[derive(Debug, Clone)]
pub struct RnnPass {
    /// Emitted symbols as (B, T·K) rows (one-hot per step when `hard`, else the Gumbel-softmax
    /// probabilities), differentiable.
    pub emitted: Tensor,
    /// Hidden states (T, B, H).
    pub hidden: Tensor,
    /// Logits (T, B, K).
    pub logits: Tensor,
}

impl NoiseRnn {
    /// Build it, registering `{prefix}.w_in` (I, H), `{prefix}.w_hh` (H, H) and
    /// `{prefix}.w_out` (H, K) in `params`, streams `key`, `key+1`, `key+2`.
    pub fn new(
        num_input: usize,
        hidden: usize,
        num_output: usize,
        params: &mut Params,
        prefix: &str,
        key: u64,
        dtype: DType,
    ) -> Result<Self> {
        if num_input == 0 || hidden == 0 || num_output < 2 {
            candle_core::bail!(
                "NoiseRnn::new: num_input = {num_input}, hidden = {hidden}, num_output = {num_output}; need I ≥ 1, H ≥ 1, K ≥ 2"
            );
        }
        let std = (1.0 / (3.0 * hidden as f64)).sqrt();
        let w_in = params.normal(
            &format!("{prefix}.w_in"),
            &[num_input, hidden],
            std,
            key,
            dtype,
        )?;
        let w_hh = params.normal(
            &format!("{prefix}.w_hh"),
            &[hidden, hidden],
            std,
            key.wrapping_add(1),
            dtype,
        )?;
        let w_out = params.normal(
            &format!("{prefix}.w_out"),
            &[hidden, num_output],
            std,
            key.wrapping_add(2),
            dtype,
        )?;
        Ok(Self {
            num_input,
            hidden,
            num_output,
            w_in,
            w_hh,
            w_out,
        })
    }

    /// Trainable parameters: H(I + H + K).
    pub fn param_count(&self) -> usize {
        self.hidden * (self.num_input + self.hidden + self.num_output)
    }

    /// Current weights as row-major f64 vectors: (W_in (I×H), W_hh (H×H), W_out (H×K)).
    pub fn weights(&self) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
        let v = |w: &Var| -> Result<Vec<f64>> {
            w.as_tensor().to_dtype(DType::F64)?.flatten_all()?.to_vec1()
        };
        Ok((v(&self.w_in)?, v(&self.w_hh)?, v(&self.w_out)?))
    }

    /// Run on `noise` (T, B, I) with Gumbel draws `gumbel` (T, B, K) at temperature `tau`;
    /// `hard` selects the straight-through one-hot output (training, as in the paper) or the
    /// soft Gumbel-softmax output (for finite-difference checks, where argmax has no slope).
    pub fn forward(
        &self,
        noise: &Tensor,
        gumbel: &Tensor,
        tau: f64,
        hard: bool,
    ) -> Result<RnnPass> {
        let (t_len, b, i) = noise.dims3()?;
        if i != self.num_input || gumbel.dims3()? != (t_len, b, self.num_output) {
            candle_core::bail!(
                "NoiseRnn::forward: noise {:?} and gumbel {:?} do not match I = {}, K = {}",
                noise.dims(),
                gumbel.dims(),
                self.num_input,
                self.num_output
            );
        }
        let mut h = Tensor::zeros((b, self.hidden), noise.dtype(), noise.device())?;
        let mut hs = Vec::with_capacity(t_len);
        let mut zs = Vec::with_capacity(t_len);
        let mut ys = Vec::with_capacity(t_len);
        for t in 0..t_len {
            let x = noise.get(t)?;
            h = (x.matmul(self.w_in.as_tensor())? + h.matmul(self.w_hh.as_tensor())?)?.relu()?;
            let z = h.matmul(self.w_out.as_tensor())?;
            let zg = ((&z + gumbel.get(t)?)? / tau)?;
            let soft = softmax_last(&zg)?;
            let y = if hard {
                let hard = one_hot_argmax(&zg)?;
                (&soft + (hard - soft.detach())?)?
            } else {
                soft
            };
            hs.push(h.clone());
            zs.push(z);
            ys.push(y);
        }
        let emitted = Tensor::stack(&ys, 1)?.reshape((b, t_len * self.num_output))?;
        Ok(RnnPass {
            emitted,
            hidden: Tensor::stack(&hs, 0)?,
            logits: Tensor::stack(&zs, 0)?,
        })
    }
}

/// One-hot of the row argmax of a 2-D tensor (no gradient), same dtype.
fn one_hot_argmax(z: &Tensor) -> Result<Tensor> {
    let (b, k) = z.dims2()?;
    let v: Vec<f64> = z.to_dtype(DType::F64)?.flatten_all()?.to_vec1()?;
    let mut out = vec![0.0f64; b * k];
    for r in 0..b {
        let row = &v[r * k..(r + 1) * k];
        let mut best = 0;
        for c in 1..k {
            if row[c] > row[best] {
                best = c;
            }
        }
        out[r * k + best] = 1.0;
    }
    Tensor::from_vec(out, (b, k), &Device::Cpu)?.to_dtype(z.dtype())
}

/// Standard Gumbel draws −ln(−ln u), u uniform in (0, 1), from stream `key`, shape `shape`.
pub fn gumbel(shape: &[usize], key: u64, dtype: DType) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n)
        .map(|i| {
            let u = ganglion_data::encode::unit(key, i as u64, 7) as f64;
            let u = u.clamp(1e-12, 1.0 - 1e-12);
            -(-u.ln()).ln()
        })
        .collect();
    Tensor::from_vec(v, shape, &Device::Cpu)?.to_dtype(dtype)
}

/// Standard normal draws from stream `key`, shape `shape`.
pub fn gaussian(shape: &[usize], key: u64, dtype: DType) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n)
        .map(|i| crate::trainer::normal(key, i as u64) as f64)
        .collect();
    Tensor::from_vec(v, shape, &Device::Cpu)?.to_dtype(dtype)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::grad_check;
    use crate::autodiff::sinkhorn::{SinkhornConfig, sinkhorn_divergence};

    #[test]
    fn hard_output_is_one_hot_and_soft_path_gradient_matches_finite_differences() {
        let mut p = Params::new();
        let rnn = NoiseRnn::new(3, 6, 3, &mut p, "rnn", 11, DType::F64).expect("rnn");
        assert_eq!(p.count(), rnn.param_count());
        let noise = gaussian(&[4, 5, 3], 21, DType::F64).expect("noise");
        let g = gumbel(&[4, 5, 3], 22, DType::F64).expect("gumbel");
        let pass = rnn.forward(&noise, &g, 1.0, true).expect("pass");
        let y: Vec<f64> = pass.emitted.flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(y.len(), 5 * 4 * 3);
        for row in y.chunks(3) {
            assert_eq!(row.iter().sum::<f64>(), 1.0);
            assert!(row.iter().all(|&v| v == 0.0 || v == 1.0));
        }
        // Target sequences: fixed one-hot rows.
        let target: Vec<f64> = (0..5 * 4)
            .flat_map(|i| {
                let k = i % 3;
                (0..3).map(move |c| if c == k { 1.0 } else { 0.0 })
            })
            .collect();
        let target = Tensor::from_vec(target, (5, 12), &Device::Cpu).expect("target");
        let cfg = SinkhornConfig {
            blur: 0.8,
            max_iters: 5000,
            tol: 1e-14,
            ..SinkhornConfig::default()
        };
        let gc = grad_check(
            &p,
            || {
                let pass = rnn.forward(&noise, &g, 1.0, false)?;
                Ok(sinkhorn_divergence(&pass.emitted, &target, &cfg)?.0)
            },
            1e-5,
            8,
        )
        .expect("grad check");
        assert!(gc.max_rel_err < 1e-4, "{gc:?}");
    }
}
