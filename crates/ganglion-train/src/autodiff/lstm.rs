//! A one-layer LSTM (Hochreiter & Schmidhuber 1997, with forget gate, Gers et al. 2000) and
//! linear readout on the general autodiff path — the baseline the ELM paper compares with.
//!
//! ```text
//! [i, f, g, o] = x_t W_x + h_{t−1} W_h + b         (4 H gates, one bias vector)
//! c_t = σ(f) ⊙ c_{t−1} + σ(i) ⊙ tanh(g)
//! h_t = σ(o) ⊙ tanh(c_t);   y_t = h_t W_y + b_y
//! ```
//!
//! One bias vector (PyTorch's `nn.LSTM` has two, b_ih and b_hh, which are redundant); the
//! forget-gate bias starts at 1 (Jozefowicz et al. 2015).

use super::{DType, Device, Params, Result, Tensor, Var, linear};

/// LSTM with a linear readout.
#[derive(Debug, Clone)]
pub struct Lstm {
    num_input: usize,
    hidden: usize,
    num_output: usize,
    w_x: Var,
    w_h: Var,
    b: Var,
    w_y: Var,
    b_y: Var,
    dtype: DType,
}

impl Lstm {
    /// Trainable parameters of an LSTM with `num_input` inputs, `hidden` units and
    /// `num_output` readouts: 4H(I + H + 1) + H·O + O.
    pub fn param_count(num_input: usize, hidden: usize, num_output: usize) -> usize {
        4 * hidden * (num_input + hidden + 1) + hidden * num_output + num_output
    }

    /// The hidden size whose [`Lstm::param_count`] is closest to `target`.
    pub fn hidden_for_params(num_input: usize, num_output: usize, target: usize) -> usize {
        (1..=4096)
            .min_by_key(|&h| Self::param_count(num_input, h, num_output).abs_diff(target))
            .unwrap_or(1)
    }

    /// Build it, registering parameters in `params` under `prefix`; weights normal with
    /// variance 1 / (3H) (PyTorch's uniform(±1/√H) has that variance), streams `key`, `key+1`, ….
    pub fn new(
        num_input: usize,
        hidden: usize,
        num_output: usize,
        params: &mut Params,
        prefix: &str,
        key: u64,
        dtype: DType,
    ) -> Result<Self> {
        if num_input == 0 || hidden == 0 || num_output == 0 {
            candle_core::bail!(
                "Lstm::new: num_input = {num_input}, hidden = {hidden}, num_output = {num_output}; all must be ≥ 1"
            );
        }
        let std = (1.0 / (3.0 * hidden as f64)).sqrt();
        let w_x = params.normal(
            &format!("{prefix}.w_x"),
            &[num_input, 4 * hidden],
            std,
            key,
            dtype,
        )?;
        let w_h = params.normal(
            &format!("{prefix}.w_h"),
            &[hidden, 4 * hidden],
            std,
            key.wrapping_add(1),
            dtype,
        )?;
        let bias: Vec<f64> = (0..4 * hidden)
            .map(|k| if k / hidden == 1 { 1.0 } else { 0.0 })
            .collect();
        let b = params.add(
            &format!("{prefix}.b"),
            &Tensor::from_vec(bias, 4 * hidden, &Device::Cpu)?.to_dtype(dtype)?,
        )?;
        let w_y = params.normal(
            &format!("{prefix}.w_y"),
            &[hidden, num_output],
            std,
            key.wrapping_add(2),
            dtype,
        )?;
        let b_y = params.full(&format!("{prefix}.b_y"), &[num_output], 0.0, dtype)?;
        Ok(Self {
            num_input,
            hidden,
            num_output,
            w_x,
            w_h,
            b,
            w_y,
            b_y,
            dtype,
        })
    }

    /// Hidden size H.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// Outputs for every step: `x` (T, batch, num_input) → (T, batch, num_output).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (t_len, batch, n_in) = x.dims3()?;
        if n_in != self.num_input {
            candle_core::bail!(
                "Lstm::forward: input has {n_in} channels, the LSTM has num_input = {}",
                self.num_input
            );
        }
        let h_n = self.hidden;
        let x = x.to_dtype(self.dtype)?.reshape((t_len * batch, n_in))?;
        // Input projections of all steps in one product.
        let gx = linear(&x, &self.w_x, &self.b)?.reshape((t_len, batch, 4 * h_n))?;
        let mut h = Tensor::zeros((batch, h_n), self.dtype, &Device::Cpu)?;
        let mut c = h.clone();
        let mut hs = Vec::with_capacity(t_len);
        for t in 0..t_len {
            let g = (gx.get(t)? + h.matmul(&self.w_h)?)?;
            let i = g.narrow(1, 0, h_n)?;
            let f = g.narrow(1, h_n, h_n)?;
            let gg = g.narrow(1, 2 * h_n, h_n)?;
            let o = g.narrow(1, 3 * h_n, h_n)?;
            let sig = |z: &Tensor| -> Result<Tensor> { (z.neg()?.exp()? + 1.0)?.recip() };
            c = ((sig(&f)? * c)? + (sig(&i)? * gg.tanh()?)?)?;
            h = (sig(&o)? * c.tanh()?)?;
            hs.push(h.clone());
        }
        let h_all = Tensor::stack(&hs, 0)?.reshape((t_len * batch, h_n))?;
        linear(&h_all, &self.w_y, &self.b_y)?.reshape((t_len, batch, self.num_output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::{bce_with_logits, grad_check};

    #[test]
    fn param_count_formula_matches_the_built_model() {
        let mut p = Params::new();
        Lstm::new(6, 19, 1, &mut p, "l", 1, DType::F32).expect("build");
        assert_eq!(p.count(), Lstm::param_count(6, 19, 1));
        assert_eq!(Lstm::param_count(6, 19, 1), 4 * 19 * 26 + 20);
        assert_eq!(Lstm::hidden_for_params(6, 1, 1996), 19);
    }

    #[test]
    fn one_step_by_hand() {
        let mut p = Params::new();
        let l = Lstm::new(1, 1, 1, &mut p, "l", 5, DType::F64).expect("build");
        let x = Tensor::from_vec(vec![0.7f64], (1, 1, 1), &Device::Cpu).expect("x");
        let y: Vec<f64> = l
            .forward(&x)
            .expect("fwd")
            .flatten_all()
            .expect("f")
            .to_vec1()
            .expect("v");
        let get = |n: &str| -> Vec<f64> {
            p.get(n)
                .expect(n)
                .flatten_all()
                .expect("f")
                .to_vec1()
                .expect("v")
        };
        let (wx, wy) = (get("l.w_x"), get("l.w_y"));
        let s = |z: f64| 1.0 / (1.0 + (-z).exp());
        // h_0 = c_0 = 0, biases [0, 1, 0, 0].
        let c = s(0.7 * wx[0]) * (0.7 * wx[2]).tanh();
        let h = s(0.7 * wx[3]) * c.tanh();
        assert!((y[0] - wy[0] * h).abs() < 1e-12, "{y:?}");
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut p = Params::new();
        let l = Lstm::new(3, 4, 2, &mut p, "l", 7, DType::F64).expect("build");
        let (t, b) = (5, 3);
        let xs: Vec<f64> = (0..t * b * 3)
            .map(|i| ((i * 29 % 13) as f64 / 13.0) - 0.5)
            .collect();
        let x = Tensor::from_vec(xs, (t, b, 3), &Device::Cpu).expect("x");
        let ys: Vec<f64> = (0..t * b * 2).map(|i| (i % 3 == 0) as u8 as f64).collect();
        let y = Tensor::from_vec(ys, (t, b, 2), &Device::Cpu).expect("y");
        let gc =
            grad_check(&p, || bce_with_logits(&l.forward(&x)?, &y), 1e-6, 16).expect("grad check");
        assert!(gc.checked > 40, "{gc:?}");
        assert!(gc.max_rel_err < 1e-5 || gc.max_abs_err < 1e-9, "{gc:?}");
    }
}
