//! `rate_tanh`, `rate_relu`, `rate_sigmoid`, `rate_linear`: leaky rate units.

use crate::kernel::{
    Derived, Lane, NeuronGroup, PopValues, StepIo, fast_exp, first_non_finite, init_col, with_lanes,
};
use crate::simd::multiversion;
use crate::{ModelInfo, StateInfo};

crate::params! {
    /// Rate-unit parameters.
    pub struct Params {
        tau: "tau", Time, 10.0, Positive, "time constant of the activation x";
        gain: "gain", Dimensionless, 1.0, Any, "slope: r = f(gain · x)";
        bias: "bias", Dimensionless, 0.0, Any, "constant drive added to the input";
    }
}

const RATE_STATE: &[StateInfo] = crate::states! {
    "x", Dimensionless, Const(0.0), "activation (leaky integral of input)";
    "r", Dimensionless, Const(0.0), "output rate r = f(gain · x)";
};

/// The catalogue entry of the rate unit with transfer function `f`.
const fn model(name: &'static str, summary: &'static str, build: crate::BuildFn) -> ModelInfo {
    ModelInfo::rate_unit(name, summary, Params::INFO, RATE_STATE, build).with_gap_junctions()
}

/// `rate_tanh`.
pub const TANH: ModelInfo = model(
    "rate_tanh",
    "leaky rate unit, r = tanh(gain·x)",
    |v, lo, n, dt, _| Box::new(Rate::new(Transfer::Tanh, v, lo, n, dt)),
);
/// `rate_relu`.
pub const RELU: ModelInfo = model(
    "rate_relu",
    "leaky rate unit, r = max(0, gain·x)",
    |v, lo, n, dt, _| Box::new(Rate::new(Transfer::Relu, v, lo, n, dt)),
);
/// `rate_sigmoid`.
pub const SIGMOID: ModelInfo = model(
    "rate_sigmoid",
    "leaky rate unit, r = 1 / (1 + exp(-gain·x))",
    |v, lo, n, dt, _| Box::new(Rate::new(Transfer::Sigmoid, v, lo, n, dt)),
);
/// `rate_linear`.
pub const LINEAR: ModelInfo = model(
    "rate_linear",
    "leaky rate unit, r = gain·x",
    |v, lo, n, dt, _| Box::new(Rate::new(Transfer::Linear, v, lo, n, dt)),
);

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
    /// Neurons `lo..lo+n` with transfer function `f` and step `h` \[ms\].
    pub fn new(f: Transfer, vals: &PopValues, lo: usize, n: usize, h: f64) -> Rate {
        let k = Derived::build(&vals.params, lo, n, |p| {
            let q = Params::from_values(p);
            [(-h / q.tau).exp(), q.gain, q.bias]
        });
        let x = init_col(&vals.init[0], lo, n, |_| 0.0);
        // r is a function of x; an initial value given for r is ignored.
        let r = (0..n).map(|i| transfer(f, k.get(1, i) * x[i])).collect();
        Rate { r, x, k, f }
    }
}

impl NeuronGroup for Rate {
    ganglion_base::saved_fields!(k, x, r);

    fn step(&mut self, mut io: StepIo) -> Option<usize> {
        let (f, x, r) = (self.f, &mut self.x, &mut self.r);
        with_lanes!(&self.k, |k| rate_kernel(k, f, x, r, &mut io));
        io.spiked.iter_mut().for_each(|s| *s = 0);
        first_non_finite(&self.x)
    }

    fn get(&self, var: usize, i: usize) -> f32 {
        if var == 0 { self.x[i] } else { self.r[i] }
    }

    fn rates(&self) -> Option<&[f32]> {
        Some(&self.r)
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
