//! Rate units. `rate_tanh`, `rate_relu`, `rate_sigmoid`, `rate_linear`: the leak acts on the
//! activation x and the rate is r = f(gain·x). `rate_esn_sigmoid`, `rate_esn_tanh`: the leak
//! acts on the rate itself, the leaky-integrator echo-state-network unit (Jaeger, Lukoševičius,
//! Popovici & Siewert 2007, "Optimization and applications of echo state networks with
//! leaky-integrator neurons", Neural Networks 20:335), r ← (1 − a) r + a f(gain·z).

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

crate::params! {
    /// Parameters of the leaky-output (echo-state) rate units.
    pub struct EsnParams {
        tau: "tau", Time, 10.0, NonNegative, "time constant of r: leak per step a = 1 − exp(−dt/tau), 0 gives a = 1";
        gain: "gain", Dimensionless, 1.0, Any, "slope: the rate relaxes toward f(gain · z)";
        bias: "bias", Dimensionless, 0.0, Any, "constant drive added to the net input z";
    }
}

const ESN_STATE: &[StateInfo] = crate::states! {
    "z", Dimensionless, Const(0.0), "net input of the last step (rate inputs, spike jumps, bias, external)";
    "r", Dimensionless, Const(0.0), "output rate, relaxing toward f(gain · z)";
};

/// The catalogue entry of the leaky-output rate unit with transfer function `f`.
const fn esn_model(name: &'static str, summary: &'static str, build: crate::BuildFn) -> ModelInfo {
    ModelInfo::rate_unit(name, summary, EsnParams::INFO, ESN_STATE, build)
}

/// `rate_esn_sigmoid`.
pub const ESN_SIGMOID: ModelInfo = esn_model(
    "rate_esn_sigmoid",
    "leaky-output rate unit (ESN), r ← (1−a)·r + a/(1 + exp(-gain·z)), a = 1 − exp(-dt/tau)",
    |v, lo, n, dt, _| Box::new(EsnRate::new(Transfer::Sigmoid, v, lo, n, dt)),
);
/// `rate_esn_tanh`.
pub const ESN_TANH: ModelInfo = esn_model(
    "rate_esn_tanh",
    "leaky-output rate unit (ESN), r ← (1−a)·r + a·tanh(gain·z), a = 1 − exp(-dt/tau)",
    |v, lo, n, dt, _| Box::new(EsnRate::new(Transfer::Tanh, v, lo, n, dt)),
);

/// `rate_esn_sigmoid`, `rate_esn_tanh`: rate units whose leak acts on the output rate, the
/// leaky-integrator echo-state-network unit.
///
/// Each step of length dt \[ms\]:
///
/// ```text
/// z(t) = I_rate(t) + J_spike(t) + bias + I_ext(t)
/// r(t) = (1 − a) r(t − 1) + a f(gain · z(t)),    a = 1 − exp(−dt / tau)
/// ```
///
/// which integrates τ dr/dt = −r + f(gain · z) exactly with z held over the step (tau = 0:
/// a = 1, r = f(gain · z)). All quantities are dimensionless. I_rate = Σ w · r_pre(t − d) sums
/// the rate populations' outputs with their delays d ≥ one step, so with one-step delays z(t)
/// reads r(t − 1), as an echo state network does; J_spike = Σ w over the spikes arriving this
/// step (a spike enters z for one step only); I_ext is the current inputs' value this step
/// (a `timeseries` input supplies W_in·u(t)). The initial rate is taken from `r` (default 0);
/// the first step's recurrent input is 0, as the engine delivers nothing before step 0.
///
/// To reproduce an echo state network with leak rate a at step dt, set
/// tau = −dt / ln(1 − a) (tau = 0 for a = 1).
#[derive(Debug, Clone)]
pub struct EsnRate {
    /// Per neuron: exp(−dt/tau), gain, bias.
    k: Derived<3>,
    f: Transfer,
    /// Net input z of the last step.
    pub z: Vec<f32>,
    /// Output rate r.
    pub r: Vec<f32>,
}

impl EsnRate {
    /// Neurons `lo..lo+n` with transfer function `f` and step `h` \[ms\].
    pub fn new(f: Transfer, vals: &PopValues, lo: usize, n: usize, h: f64) -> EsnRate {
        let k = Derived::build(&vals.params, lo, n, |p| {
            let q = EsnParams::from_values(p);
            // −h/0 = −∞ and exp(−∞) = 0: tau = 0 is the memoryless unit a = 1.
            [(-h / q.tau).exp(), q.gain, q.bias]
        });
        let z = init_col(&vals.init[0], lo, n, |_| 0.0);
        let r = init_col(&vals.init[1], lo, n, |_| 0.0);
        EsnRate { k, f, z, r }
    }
}

impl NeuronGroup for EsnRate {
    ganglion_base::saved_fields!(k, z, r);

    fn step(&mut self, mut io: StepIo) -> Option<usize> {
        let (f, z, r) = (self.f, &mut self.z, &mut self.r);
        with_lanes!(&self.k, |k| esn_kernel(k, f, z, r, &mut io));
        io.spiked.iter_mut().for_each(|s| *s = 0);
        first_non_finite(&self.r)
    }

    fn get(&self, var: usize, i: usize) -> f32 {
        if var == 0 { self.z[i] } else { self.r[i] }
    }

    fn rates(&self) -> Option<&[f32]> {
        Some(&self.r)
    }
}

multiversion! {
    fn esn_kernel<L: Lane>(k: &[L; 3], f: Transfer, z: &mut [f32], r: &mut [f32], io: &mut StepIo) -> () = esn_body;
}

#[inline(always)]
fn esn_body<L: Lane>(k: &[L; 3], f: Transfer, z: &mut [f32], r: &mut [f32], io: &mut StepIo) {
    let n = z.len();
    k.iter().for_each(|l| l.check(n));
    let r = &mut r[..n];
    let (c0, c1, iext) = (&mut io.ch0[..n], &mut io.ch1[..n], &io.i_ext[..n]);
    macro_rules! body {
        ($f:expr) => {
            for i in 0..n {
                let p = k[0].at(i);
                let zi = c0[i] + c1[i] + k[2].at(i) + iext[i];
                z[i] = zi;
                r[i] = p * r[i] + (1.0 - p) * transfer($f, k[1].at(i) * zi);
                c0[i] = 0.0;
                c1[i] = 0.0;
            }
        };
    }
    match f {
        Transfer::Sigmoid => body!(Transfer::Sigmoid),
        Transfer::Tanh => body!(Transfer::Tanh),
        Transfer::Relu => body!(Transfer::Relu),
        Transfer::Linear => body!(Transfer::Linear),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::Column;

    fn values(tau: f64, gain: f64, bias: f64, r0: f64) -> PopValues {
        PopValues {
            params: vec![Column::Const(tau), Column::Const(gain), Column::Const(bias)],
            init: vec![Column::Const(0.0), Column::Const(r0)],
        }
    }

    /// Steps `g` once with rate input `c0`, spike jumps `c1` and external input `ext`.
    fn step(g: &mut EsnRate, c0: &[f32], c1: &[f32], ext: &[f32]) {
        let n = c0.len();
        let (mut a, mut b, mut s) = (c0.to_vec(), c1.to_vec(), vec![0u8; n]);
        let bad = g.step(StepIo {
            ch0: &mut a,
            ch1: &mut b,
            i_ext: ext,
            spiked: &mut s,
            step: 0,
            has_ext: true,
        });
        assert_eq!(bad, None);
        assert!(a.iter().chain(&b).all(|&x| x == 0.0), "inputs are consumed");
    }

    #[test]
    fn constant_input_relaxes_as_the_closed_form() {
        // Constant z: r(t) = f(gain z) + (r0 − f(gain z)) exp(−t dt / tau).
        let (tau, gain, bias, r0, dt) = (5.0, 1.5, -0.2, 0.9, 0.5);
        for (f, phi) in [
            (
                Transfer::Sigmoid,
                (|y: f64| 1.0 / (1.0 + (-y).exp())) as fn(f64) -> f64,
            ),
            (Transfer::Tanh, f64::tanh as fn(f64) -> f64),
        ] {
            let mut g = EsnRate::new(f, &values(tau, gain, bias, r0), 0, 2, dt);
            let (c0, c1, ext) = ([0.3f32, -0.7], [0.1f32, 0.0], [0.05f32, 0.2]);
            for t in 1..=40 {
                step(&mut g, &c0, &c1, &ext);
                for i in 0..2 {
                    let z = (c0[i] + c1[i] + ext[i]) as f64 + bias;
                    let target = phi(gain * z);
                    let want = target + (r0 - target) * (-(t as f64) * dt / tau).exp();
                    assert!((g.r[i] as f64 - want).abs() < 2e-6, "{f:?} t={t} i={i}");
                    assert!((g.z[i] as f64 - z).abs() < 1e-6);
                }
            }
        }
    }

    #[test]
    fn tau_zero_is_memoryless_and_matches_the_esn_map() {
        // tau = 0: r = f(z) each step. tau = −dt/ln(1 − a): r ← (1 − a) r + a f(z).
        let mut g = EsnRate::new(Transfer::Sigmoid, &values(0.0, 1.0, 0.0, 0.4), 0, 1, 1.0);
        step(&mut g, &[2.0], &[0.0], &[0.0]);
        assert!((g.r[0] as f64 - 1.0 / (1.0 + (-2.0f64).exp())).abs() < 1e-7);
        let (a, dt) = (0.3, 0.1);
        let tau = -dt / (1.0f64 - a).ln();
        let mut g = EsnRate::new(Transfer::Sigmoid, &values(tau, 1.0, 0.0, 0.0), 0, 1, dt);
        let mut esn = 0.0f64;
        for t in 0..50 {
            let u = (0.37 * t as f64).sin() * 3.0;
            step(&mut g, &[u as f32], &[0.0], &[0.0]);
            esn = (1.0 - a) * esn + a / (1.0 + (-u).exp());
            assert!((g.r[0] as f64 - esn).abs() < 1e-6, "t={t}");
        }
    }
}
