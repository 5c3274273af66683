//! Echo state network configuration: every field documented with its default, checked by
//! [`EsnConfig::validate`] and built into an [`Esn`] by [`EsnConfig::build`].

use super::{Esn, random_orthogonal};
use crate::error::{LearnError, Result, check_nonzero, check_range};
use crate::rng::{self, ids};
use crate::sparse::{BlockedMatrix, CsrMatrix, SLICE};
use crate::spectral;
use serde::{Deserialize, Serialize};

/// Unit activation function `f`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Activation {
    /// `tanh` (a rational approximation with ≤ 2e-7 absolute error, see [`fast_tanh`](super::fast_tanh)).
    #[default]
    Tanh,
    /// The identity: a linear reservoir (memory-capacity studies).
    Identity,
}

/// Distribution of the non-zero input weights (before `input_scaling`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum InputWeights {
    /// ±1 with equal probability (reservoirpy's default `bernoulli`).
    #[default]
    Bernoulli,
    /// Uniform on `[-1, 1]`.
    Uniform,
}

/// Distribution of the non-zero recurrent weights (before rescaling to the spectral radius).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum RecurrentWeights {
    /// Standard normal (reservoirpy's default `normal`).
    #[default]
    Normal,
    /// Uniform on `[-1, 1]`.
    Uniform,
    /// A random orthogonal matrix (Q of the QR decomposition of a Gaussian matrix): dense,
    /// `density` is ignored, all eigenvalues have modulus 1 before rescaling. The
    /// best-conditioned choice for linear memory (White, Lee & Sompolinsky 2004, PRL 92:148102).
    Orthogonal,
}

/// Which mat-vec kernel a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Kernel {
    /// The blocked AVX-512 kernel where available, CSR otherwise.
    #[default]
    Auto,
    /// Always the plain CSR kernel.
    Csr,
    /// Always the blocked kernel (building the reservoir fails without AVX-512F).
    Blocked,
}

/// Dale's-law split of the reservoir into excitatory and inhibitory units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DaleSplit {
    /// Fraction of units that are excitatory, in `[0, 1]`. Default `0.8`. The first
    /// `round(fraction · N)` units are excitatory.
    pub excitatory_fraction: f64,
    /// Gain `g_E ≥ 0` on the magnitude of excitatory weights (dimensionless). Default `1.0`.
    pub excitatory_gain: f64,
    /// Gain `g_I ≥ 0` on the magnitude of inhibitory weights (dimensionless). Default `4.0`
    /// (balances 80 % E / 20 % I on average).
    pub inhibitory_gain: f64,
}

impl Default for DaleSplit {
    fn default() -> Self {
        Self {
            excitatory_fraction: 0.8,
            excitatory_gain: 1.0,
            inhibitory_gain: 4.0,
        }
    }
}

/// Configuration of an [`Esn`]; build it with [`EsnConfig::build`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EsnConfig {
    /// Number of reservoir units `N`. Default `100`.
    pub units: usize,
    /// Number of inputs `D`. Default `1`.
    pub inputs: usize,
    /// Recurrent connection probability `p` in `[0, 1]` (each of the N² entries independently,
    /// self-connections included). Default `0.1`.
    pub density: f64,
    /// Target spectral radius `ρ ≥ 0` (modulus of the leading eigenvalue of `W`), or `None` to
    /// keep the raw weights (normal with unit variance, times the Dale gains). Default `Some(0.9)`.
    pub spectral_radius: Option<f64>,
    /// Leak rate `a` in `(0, 1]`, per step (1 = no leak integration). Default `0.3`.
    pub leak_rate: f64,
    /// Input scaling: multiplies every input weight (dimensionless). Default `1.0`.
    pub input_scaling: f64,
    /// Probability `p_in` in `[0, 1]` that a (unit, input) pair is connected. Default `0.1`.
    pub input_density: f64,
    /// Bias scaling: biases are uniform on `[-bias_scaling, bias_scaling]`. Default `0.0`.
    pub bias_scaling: f64,
    /// Input weight distribution. Default [`InputWeights::Bernoulli`].
    pub input_weights: InputWeights,
    /// Recurrent weight distribution. Default [`RecurrentWeights::Normal`].
    pub recurrent_weights: RecurrentWeights,
    /// Activation. Default [`Activation::Tanh`].
    pub activation: Activation,
    /// Optional Dale split. Default `None`.
    pub dale: Option<DaleSplit>,
    /// Threads for [`Esn::run`]; `0` = automatic (all available cores for `N ≥ 256`, else 1).
    /// Results do not depend on it. Default `0`.
    pub threads: usize,
    /// Mat-vec kernel. Default [`Kernel::Auto`].
    pub kernel: Kernel,
}

impl Default for EsnConfig {
    fn default() -> Self {
        Self {
            units: 100,
            inputs: 1,
            density: 0.1,
            spectral_radius: Some(0.9),
            leak_rate: 0.3,
            input_scaling: 1.0,
            input_density: 0.1,
            bias_scaling: 0.0,
            input_weights: InputWeights::Bernoulli,
            recurrent_weights: RecurrentWeights::Normal,
            activation: Activation::Tanh,
            dale: None,
            threads: 0,
            kernel: Kernel::Auto,
        }
    }
}

impl EsnConfig {
    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        const O: &str = "EsnConfig";
        check_nonzero(O, "units", self.units, "use e.g. units = 100")?;
        check_nonzero(
            O,
            "inputs",
            self.inputs,
            "use inputs = 1 for a scalar series",
        )?;
        check_range(
            O,
            "density",
            self.density,
            0.0,
            1.0,
            "a probability, e.g. 0.1",
        )?;
        if let Some(r) = self.spectral_radius {
            check_range(
                O,
                "spectral_radius",
                r,
                0.0,
                1e6,
                "e.g. 0.9; use None to keep raw weights",
            )?;
        }
        if !(self.leak_rate > 0.0 && self.leak_rate <= 1.0) {
            return Err(LearnError::param(
                O,
                "leak_rate",
                self.leak_rate,
                "must be in (0, 1]",
                "e.g. 0.3; 1 means no leaky integration",
            ));
        }
        check_range(
            O,
            "input_scaling",
            self.input_scaling,
            -1e6,
            1e6,
            "e.g. 1.0",
        )?;
        check_range(
            O,
            "input_density",
            self.input_density,
            0.0,
            1.0,
            "a probability, e.g. 0.1 or 1.0",
        )?;
        check_range(O, "bias_scaling", self.bias_scaling, 0.0, 1e6, "e.g. 0.0")?;
        if let Some(d) = self.dale {
            check_range(
                O,
                "dale.excitatory_fraction",
                d.excitatory_fraction,
                0.0,
                1.0,
                "e.g. 0.8",
            )?;
            check_range(
                O,
                "dale.excitatory_gain",
                d.excitatory_gain,
                0.0,
                1e6,
                "e.g. 1.0",
            )?;
            check_range(
                O,
                "dale.inhibitory_gain",
                d.inhibitory_gain,
                0.0,
                1e6,
                "e.g. 4.0",
            )?;
        }
        if self.kernel == Kernel::Blocked && !BlockedMatrix::available() {
            return Err(LearnError::param(
                O,
                "kernel",
                "Blocked",
                "this CPU or build lacks AVX-512F",
                "use Kernel::Auto",
            ));
        }
        let bytes = (self.units as f64).powi(2) * self.density * 8.0 * 3.0;
        if bytes > 32e9 {
            return Err(LearnError::param(
                O,
                "units",
                self.units,
                format!("the recurrent matrix needs about {:.1} GB", bytes / 1e9),
                "lower units or density",
            ));
        }
        Ok(())
    }

    /// Draws the weights from `seed` and returns the reservoir (state zero).
    pub fn build(&self, seed: u64) -> Result<Esn> {
        self.validate()?;
        let n = self.units;
        let mut mask_rng = rng::stream(seed, ids::RECURRENT);
        let mut val_rng = rng::stream(seed, ids::RECURRENT_VALUES);
        let n_exc = self
            .dale
            .map(|d| (d.excitatory_fraction * n as f64).round() as usize);
        let dist = self.recurrent_weights;
        let dale = self.dale;
        let ortho =
            (dist == RecurrentWeights::Orthogonal).then(|| random_orthogonal(n, &mut val_rng));
        let density = if ortho.is_some() { 1.0 } else { self.density };
        let mut w = CsrMatrix::random(n, n, density, &mut mask_rng, |r, c| {
            let v = match (&ortho, dist) {
                (Some(q), _) => q[(r, c)],
                (None, RecurrentWeights::Uniform) => 2.0 * rng::uniform(&mut val_rng) - 1.0,
                (None, _) => rng::normal(&mut val_rng),
            };
            let v = match (dale, n_exc) {
                (Some(d), Some(ne)) if c < ne => v.abs() * d.excitatory_gain,
                (Some(d), Some(_)) => -v.abs() * d.inhibitory_gain,
                _ => v,
            };
            v as f32
        })?;
        // An orthogonal matrix has every eigenvalue on the unit circle: its spectral radius is
        // 1 (to the f32 rounding of its entries, ~1e-7), and Arnoldi would need all N vectors
        // to separate eigenvalues of equal modulus.
        let raw_radius = if ortho.is_some() && self.dale.is_none() {
            1.0
        } else {
            spectral::spectral_radius(&w, seed)?
        };
        if let Some(target) = self.spectral_radius {
            if raw_radius <= 0.0 {
                if target > 0.0 && w.nnz() > 0 {
                    return Err(LearnError::Numerical {
                        object: "EsnConfig::build",
                        what: format!(
                            "recurrent matrix ({n} units, density {}) is nilpotent (spectral radius 0), cannot scale it to {target}",
                            self.density
                        ),
                        hint: "raise density or units, or set spectral_radius = None".into(),
                    });
                }
            } else {
                w.scale((target / raw_radius) as f32);
            }
        }
        let mut in_rng = rng::stream(seed, ids::INPUT);
        let mut w_in = vec![0.0f32; n * self.inputs];
        for x in &mut w_in {
            if rng::uniform(&mut in_rng) < self.input_density {
                let v = match self.input_weights {
                    InputWeights::Bernoulli => {
                        if rng::uniform(&mut in_rng) < 0.5 {
                            -1.0
                        } else {
                            1.0
                        }
                    }
                    InputWeights::Uniform => 2.0 * rng::uniform(&mut in_rng) - 1.0,
                };
                *x = (v * self.input_scaling) as f32;
            }
        }
        let mut b_rng = rng::stream(seed, ids::BIAS);
        let bias: Vec<f32> = (0..n)
            .map(|_| {
                if self.bias_scaling > 0.0 {
                    ((2.0 * rng::uniform(&mut b_rng) - 1.0) * self.bias_scaling) as f32
                } else {
                    0.0
                }
            })
            .collect();
        let use_blocked = match self.kernel {
            Kernel::Auto => BlockedMatrix::available() && n >= 64,
            Kernel::Csr => false,
            Kernel::Blocked => true,
        };
        let blocked = use_blocked.then(|| BlockedMatrix::from_csr(&w));
        let padded = blocked
            .as_ref()
            .map_or(n, |b| b.ncols_padded().max(b.nslices() * SLICE));
        let avail = std::thread::available_parallelism().map_or(1, |p| p.get());
        let threads = match self.threads {
            0 if n >= 256 => avail,
            0 => 1,
            t => t,
        }
        .clamp(1, n.div_ceil(SLICE));
        Ok(Esn {
            config: self.clone(),
            w,
            blocked,
            w_in,
            bias,
            state: vec![0.0; padded],
            scratch: vec![0.0; padded],
            raw_radius,
            threads,
            step_cost: [f64::NAN; 2],
        })
    }
}
