//! FORCE learning in a chaotic rate network (Sussillo & Abbott 2009).
//!
//! **Model** (their "architecture A": output fed back into the generator network):
//!
//! ```text
//! τ dx/dt = −x + J r + w_f z,    r = tanh(x),    z = wᵀ r
//! ```
//!
//! `J` is sparse (density `p`) with normal entries of variance `g² / (p N)`, so for `g > 1` the
//! network is chaotic; `w_f` is uniform on `[−1, 1]`. Euler steps of `dt` (in units of `τ`).
//! Every `learn_every` steps the readout `w` is updated by recursive least squares
//! ([`crate::readout::Rls`], `P(0) = I/α`) towards the target `f(t)`: FORCE keeps the output
//! error small from the first update, so the fed-back `z` never strays and the chaotic network
//! is tamed into producing `f`. After training the weights are frozen and the network keeps
//! producing `f` on its own.
//!
//! Defaults follow Sussillo & Abbott (2009), "Generating coherent patterns of activity from
//! chaotic neural networks", Neuron 63:544 (Fig. 2 and their published script): `N = 1000,
//! p = 0.1, g = 1.5, α = 1, dt = 0.1 τ, learn_every = 2`.

use crate::error::{LearnError, Result, check_nonzero, check_range};
use crate::readout::Rls;
use crate::rng::{self, ids};
use crate::sparse::CsrMatrix;
use serde::{Deserialize, Serialize};

/// Configuration of a [`ForceNetwork`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForceConfig {
    /// Number of units `N`. Default `1000`.
    pub units: usize,
    /// Connection probability `p` of `J`. Default `0.1`.
    pub density: f64,
    /// Gain `g` (chaotic for `g > 1`). Default `1.5`.
    pub gain: f64,
    /// Euler step in units of the time constant `τ`. Default `0.1`.
    pub dt: f64,
    /// RLS regulariser `α`, `P(0) = I/α` (dimensionless). Default `1.0`.
    pub alpha: f64,
    /// Steps between RLS updates. Default `2`.
    pub learn_every: usize,
    /// Scale of the feedback weights `w_f ~ U[−s, s]`. Default `1.0`.
    pub feedback_scale: f64,
    /// Standard deviation of the initial `x` (dimensionless). Default `0.5`.
    pub init_std: f64,
}

impl Default for ForceConfig {
    fn default() -> Self {
        Self {
            units: 1000,
            density: 0.1,
            gain: 1.5,
            dt: 0.1,
            alpha: 1.0,
            learn_every: 2,
            feedback_scale: 1.0,
            init_std: 0.5,
        }
    }
}

impl ForceConfig {
    /// Draws `J`, `w_f` and the initial state from `seed`.
    pub fn build(&self, seed: u64) -> Result<ForceNetwork> {
        const O: &str = "ForceConfig";
        check_nonzero(O, "units", self.units, "e.g. 1000")?;
        check_range(O, "density", self.density, 1e-9, 1.0, "e.g. 0.1")?;
        check_range(O, "gain", self.gain, 0.0, 1e3, "g = 1.5 gives chaos")?;
        check_range(O, "dt", self.dt, 1e-9, 1.0, "in units of tau, e.g. 0.1")?;
        check_nonzero(O, "learn_every", self.learn_every, "e.g. 2")?;
        let n = self.units;
        let scale = self.gain / (self.density * n as f64).sqrt();
        let mut mask = rng::stream(seed, ids::RECURRENT);
        let mut vals = rng::stream(seed, ids::RECURRENT_VALUES);
        let j = CsrMatrix::random(n, n, self.density, &mut mask, |_, _| {
            (rng::normal(&mut vals) * scale) as f32
        })?;
        let mut r = rng::stream(seed, ids::FORCE_INIT);
        let wf: Vec<f64> = (0..n)
            .map(|_| self.feedback_scale * (2.0 * rng::uniform(&mut r) - 1.0))
            .collect();
        let x: Vec<f64> = (0..n)
            .map(|_| self.init_std * rng::normal(&mut r))
            .collect();
        let rr: Vec<f64> = x.iter().map(|v| v.tanh()).collect();
        let z = self.init_std * rng::normal(&mut r);
        let rls = Rls::new(n, 1, self.alpha, 1.0)?;
        Ok(ForceNetwork {
            config: self.clone(),
            j,
            wf,
            x,
            r: rr,
            z,
            rls,
            jr: vec![0.0; n],
            step: 0,
        })
    }
}

/// A chaotic rate network with a FORCE-trained, fed-back linear readout.
#[derive(Clone, Debug)]
pub struct ForceNetwork {
    config: ForceConfig,
    j: CsrMatrix,
    wf: Vec<f64>,
    x: Vec<f64>,
    r: Vec<f64>,
    z: f64,
    rls: Rls,
    jr: Vec<f64>,
    step: u64,
}

impl ForceNetwork {
    /// The configuration.
    pub fn config(&self) -> &ForceConfig {
        &self.config
    }
    /// Current output `z`.
    pub fn output(&self) -> f64 {
        self.z
    }
    /// Readout weights `w`.
    pub fn readout(&self) -> &[f64] {
        self.rls.weights()
    }
    /// Firing rates `r = tanh(x)`.
    pub fn rates(&self) -> &[f64] {
        &self.r
    }

    /// An error naming step `t` (and `hint`) once the output `z` is no longer finite.
    fn check_finite(&self, t: usize, hint: &str) -> Result<()> {
        if !self.z.is_finite() {
            return Err(LearnError::Diverged {
                object: "ForceNetwork",
                step: t,
                unit: 0,
                hint: hint.into(),
            });
        }
        Ok(())
    }

    fn advance(&mut self) {
        let dt = self.config.dt;
        self.j.matvec_f64(&self.r, &mut self.jr);
        for i in 0..self.x.len() {
            self.x[i] += dt * (-self.x[i] + self.jr[i] + self.wf[i] * self.z);
            self.r[i] = self.x[i].tanh();
        }
        let mut z = [0.0];
        self.rls.predict(&self.r, &mut z);
        self.z = z[0];
        self.step += 1;
    }

    /// Runs with learning on, one step per target sample; returns `z` at each step (before
    /// that step's update).
    pub fn train(&mut self, target: &[f64]) -> Result<Vec<f64>> {
        let mut out = Vec::with_capacity(target.len());
        for (t, &f) in target.iter().enumerate() {
            self.advance();
            out.push(self.z);
            if self.step.is_multiple_of(self.config.learn_every as u64) {
                let e = [self.z - f];
                let r = std::mem::take(&mut self.r);
                self.rls.update(&r, &e);
                self.r = r;
            }
            self.check_finite(t, "lower gain or feedback_scale, or raise alpha")?;
        }
        Ok(out)
    }

    /// Runs `steps` steps with frozen weights; returns `z` at each step.
    pub fn run(&mut self, steps: usize) -> Result<Vec<f64>> {
        let mut out = Vec::with_capacity(steps);
        for t in 0..steps {
            self.advance();
            self.check_finite(t, "the trained network is unstable; train longer")?;
            out.push(self.z);
        }
        Ok(out)
    }
}
