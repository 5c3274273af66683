//! Checkpoints: the whole [`Trainer`] as JSON with every f32 array stored as its bit
//! patterns, so that a resumed run continues bit for bit where the saved one stopped.

use crate::TrainError;
use crate::trainer::Trainer;
use serde::{Deserialize, Serialize};
use std::path::Path;

impl Trainer {
    /// Save everything needed to resume bit-identically (weights and moments as raw bits).
    /// The file is written under a temporary name and renamed into place, so an interrupted
    /// save leaves the previous checkpoint intact.
    pub fn save_checkpoint(&self, path: &Path) -> Result<(), TrainError> {
        let bytes = serde_json::to_vec(&Bits::from(self)).map_err(|e| TrainError::Io {
            path: path.into(),
            source: std::io::Error::other(e),
        })?;
        ganglion_base::files::write_atomic(path, &bytes).map_err(TrainError::Files)
    }

    /// Load a checkpoint written by [`Trainer::save_checkpoint`].
    pub fn load_checkpoint(path: &Path) -> Result<Trainer, TrainError> {
        let text = std::fs::read(path).map_err(|source| TrainError::Io {
            path: path.into(),
            source,
        })?;
        let b: Bits = serde_json::from_slice(&text).map_err(|e| TrainError::Config {
            path: path.into(),
            msg: format!("bad checkpoint: {e}"),
        })?;
        Ok(b.into_trainer())
    }
}

/// A checkpoint: the trainer with its f32 arrays (parameters, optimiser moments) as bits.
#[derive(Serialize, Deserialize)]
struct Bits {
    trainer: Trainer,
    params: Vec<Vec<u32>>,
    m: Vec<Vec<u32>>,
    v: Vec<Vec<u32>>,
}

fn to_bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

fn set_from_bits(x: &mut [f32], bits: &[u32]) {
    x.iter_mut()
        .zip(bits)
        .for_each(|(x, &u)| *x = f32::from_bits(u));
}

impl From<&Trainer> for Bits {
    fn from(t: &Trainer) -> Bits {
        let mut c = t.clone();
        let params = c.model.params_mut().iter().map(|p| to_bits(p)).collect();
        let m = c.opt.m.iter().map(|x| to_bits(x)).collect();
        let v = c.opt.v.iter().map(|x| to_bits(x)).collect();
        Bits {
            trainer: c,
            params,
            m,
            v,
        }
    }
}

impl Bits {
    fn into_trainer(self) -> Trainer {
        let mut t = self.trainer;
        for (p, b) in t.model.params_mut().into_iter().zip(&self.params) {
            set_from_bits(p, b);
        }
        for (p, b) in t.opt.m.iter_mut().zip(&self.m) {
            set_from_bits(p, b);
        }
        for (p, b) in t.opt.v.iter_mut().zip(&self.v) {
            set_from_bits(p, b);
        }
        t
    }
}
