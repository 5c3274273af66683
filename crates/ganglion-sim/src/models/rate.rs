//! Leaky rate units.

use super::simd::multiversion;
use super::{Derived, Lane, PopValues, StepIo, fast_exp, first_non_finite, init_col};

/// The transfer function of a rate unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// r = tanh(gain·x).
    Tanh,
    /// r = max(0, gain·x).
    Relu,
    /// r = 1/(1 + e^{−gain·x}).
    Sigmoid,
    /// r = gain·x.
    Linear,
}

/// `rate_tanh`, `rate_relu`, `rate_sigmoid`, `rate_linear`: leaky rate units.
///
/// τ dx/dt = −x + I_rate + bias + I_ext, integrated exactly with the input held over the
/// step; I_rate = Σ w·r_pre(t − d) from rate populations. Spikes from spiking populations
/// make x jump by w. Output r = f(gain·x).
#[derive(Debug, Clone)]
pub struct Rate {
    k: Derived<3>,
    f: Transfer,
    /// Activation x.
    pub x: Vec<f32>,
    /// Output rate r.
    pub r: Vec<f32>,
}

impl Rate {
    /// Neurons `lo..lo+n` of model `name` with step `h` [ms].
    pub fn new(name: &str, vals: &PopValues, lo: usize, n: usize, h: f64) -> Rate {
        let f = match name {
            "rate_tanh" => Transfer::Tanh,
            "rate_relu" => Transfer::Relu,
            "rate_sigmoid" => Transfer::Sigmoid,
            _ => Transfer::Linear,
        };
        let k = Derived::build(&vals.params, lo, n, |p| [(-h / p[0]).exp(), p[1], p[2]]);
        let x = init_col(&vals.init[0], lo, n, |_| 0.0);
        // r is a function of x; an initial value given for r is ignored.
        let r = (0..n).map(|i| transfer(f, k.get(1, i) * x[i])).collect();
        Rate { r, x, k, f }
    }

    pub(super) fn step(&mut self, mut io: StepIo) -> Option<usize> {
        match &self.k {
            Derived::Shared(k) => rate_kernel(k, self.f, &mut self.x, &mut self.r, &mut io),
            Derived::Each(k) => rate_kernel(&**k, self.f, &mut self.x, &mut self.r, &mut io),
        }
        io.spiked.iter_mut().for_each(|s| *s = 0);
        first_non_finite(&self.x)
    }

    pub(super) fn get(&self, var: usize, i: usize) -> f32 {
        if var == 0 { self.x[i] } else { self.r[i] }
    }
}

#[inline(always)]
fn transfer(f: Transfer, y: f32) -> f32 {
    match f {
        Transfer::Tanh => {
            let e = fast_exp(-2.0 * y.abs());
            ((1.0 - e) / (1.0 + e)).copysign(y)
        }
        Transfer::Relu => y.max(0.0),
        Transfer::Sigmoid => 1.0 / (1.0 + fast_exp(-y)),
        Transfer::Linear => y,
    }
}

multiversion! {
    fn rate_kernel<L: Lane>(k: &[L; 3], f: Transfer, x: &mut [f32], r: &mut [f32], io: &mut StepIo) -> () = rate_body;
}

#[inline(always)]
fn rate_body<L: Lane>(k: &[L; 3], f: Transfer, x: &mut [f32], r: &mut [f32], io: &mut StepIo) {
    let n = x.len();
    k.iter().for_each(|l| l.check(n));
    let r = &mut r[..n];
    let (c0, c1, iext) = (&mut io.ch0[..n], &mut io.ch1[..n], &io.i_ext[..n]);
    macro_rules! body {
        ($f:expr) => {
            for i in 0..n {
                let p = k[0].at(i);
                let xi = x[i] * p + (1.0 - p) * (c0[i] + k[2].at(i) + iext[i]) + c1[i];
                x[i] = xi;
                r[i] = transfer($f, k[1].at(i) * xi);
                c0[i] = 0.0;
                c1[i] = 0.0;
            }
        };
    }
    // One loop per transfer function so that each vectorises without a per-element branch.
    match f {
        Transfer::Tanh => body!(Transfer::Tanh),
        Transfer::Relu => body!(Transfer::Relu),
        Transfer::Sigmoid => body!(Transfer::Sigmoid),
        Transfer::Linear => body!(Transfer::Linear),
    }
}
