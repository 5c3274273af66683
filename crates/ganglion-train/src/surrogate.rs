//! Surrogate spike gradients.
//!
//! The forward pass always emits exact spikes, `s = H(V − θ)`; the backward pass replaces
//! the Dirac derivative with a smooth pseudo-derivative of `x = V − θ` \[mV\], steepness
//! `slope` [1/mV]. All three peak at x = 0:
//!
//! | kind | ∂s/∂V | peak |
//! |---|---|---|
//! | fast sigmoid (Zenke & Ganguli 2018, SuperSpike) | `1 / (1 + slope·|x|)²` | 1 |
//! | arctan (Fang et al. 2021) | `1 / (1 + (π/2 · slope · x)²)` | 1 |
//! | triangle (Bellec et al. 2018) | `max(0, 1 − slope·|x|)` | 1 |
//!
//! Peak 1 (instead of the normalised densities) keeps gradient magnitudes independent of
//! `slope`, so one learning rate works across slopes.

use serde::{Deserialize, Serialize};

/// A surrogate derivative of the Heaviside spike function.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Surrogate {
    /// `1 / (1 + slope·|x|)²`.
    FastSigmoid {
        /// Steepness [1/mV].
        slope: f32,
    },
    /// `1 / (1 + (π/2 · slope · x)²)`.
    Arctan {
        /// Steepness [1/mV].
        slope: f32,
    },
    /// `max(0, 1 − slope·|x|)`.
    Triangle {
        /// Inverse half-width [1/mV].
        slope: f32,
    },
}

impl Default for Surrogate {
    /// Fast sigmoid with slope 0.5 /mV (a width of a few mV for a 15 mV threshold).
    fn default() -> Self {
        Surrogate::FastSigmoid { slope: 0.5 }
    }
}

impl Surrogate {
    /// ∂s/∂V at `x = V − θ` \[mV\].
    #[inline]
    pub fn grad(self, x: f32) -> f32 {
        match self {
            Surrogate::FastSigmoid { slope } => {
                let d = 1.0 + slope * x.abs();
                1.0 / (d * d)
            }
            Surrogate::Arctan { slope } => {
                let u = std::f32::consts::FRAC_PI_2 * slope * x;
                1.0 / (1.0 + u * u)
            }
            Surrogate::Triangle { slope } => (1.0 - slope * x.abs()).max(0.0),
        }
    }

    /// Parse `fast_sigmoid`, `arctan` or `triangle` with a slope [1/mV].
    pub fn from_name(name: &str, slope: f32) -> Option<Surrogate> {
        match name {
            "fast_sigmoid" | "fast-sigmoid" | "superspike" => {
                Some(Surrogate::FastSigmoid { slope })
            }
            "arctan" | "atan" => Some(Surrogate::Arctan { slope }),
            "triangle" => Some(Surrogate::Triangle { slope }),
            _ => None,
        }
    }
}
