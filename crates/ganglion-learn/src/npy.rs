//! `.npy` reading and writing for the reservoir tasks: thin wrappers over
//! [`ganglion_model::npy`] (one implementation in the workspace) that map its errors to this
//! crate's [`LearnError::Data`].

use crate::error::{LearnError, Result};
use std::path::Path;

/// Reads a `.npy` array as f64 values in C (row-major) order, with its shape.
///
/// Supports dtypes `f8 f4 i8 i4 i2 i1 u8 u4 u2 u1` (little-endian or byte-sized) and 1-D or
/// 2-D `fortran_order` arrays (transposed back to C order).
pub fn read_npy_f64(path: &Path) -> Result<(Vec<f64>, Vec<usize>)> {
    let a = ganglion_model::npy::read(path).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            "run scripts/fetch-data.sh to fetch the data set, or pass the right path"
        } else {
            "the file must be a NumPy .npy array of numbers (np.save)"
        };
        LearnError::Data {
            path: path.to_owned(),
            what: format!("cannot read: {e}"),
            hint: hint.into(),
        }
    })?;
    Ok((a.data, a.shape))
}

/// Writes a 1-D little-endian f64 `.npy` file (for fixtures and exports).
pub fn write_npy_f64(path: &Path, data: &[f64]) -> Result<()> {
    ganglion_model::npy::write(path, &[data.len()], data).map_err(|e| LearnError::Data {
        path: path.to_owned(),
        what: e.to_string(),
        hint: "check that the folder exists and is writable".into(),
    })
}
