//! The IDX format (LeCun's MNIST files), raw or gzip-compressed.
//!
//! Layout: two zero bytes, a type byte (`0x08` = unsigned byte, the only type MNIST and
//! Fashion-MNIST use), the number of dimensions, then each dimension as a big-endian u32,
//! then the data in row-major order. A file starting with the gzip magic `1f 8b` is
//! decompressed first, whatever its name.

use crate::DataError;
use std::io::Read;
use std::path::Path;

/// An IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idx {
    /// Dimensions, outermost first (e.g. `[60000, 28, 28]`).
    pub dims: Vec<usize>,
    /// Row-major data, `dims.iter().product()` bytes.
    pub data: Vec<u8>,
}

/// Read an IDX file of unsigned bytes (raw or gzip-compressed).
pub fn read(path: &Path) -> Result<Idx, DataError> {
    let raw = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.into(),
        source,
    })?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| DataError::Format {
                path: path.into(),
                msg: format!("bad gzip data: {e}"),
            })?;
        out
    } else {
        raw
    };
    parse(&bytes).map_err(|msg| DataError::Format {
        path: path.into(),
        msg,
    })
}

/// Parse IDX bytes (already decompressed).
pub fn parse(b: &[u8]) -> Result<Idx, String> {
    if b.len() < 4 || b[0] != 0 || b[1] != 0 {
        return Err("not an IDX file (expected two zero bytes at the start)".into());
    }
    if b[2] != 0x08 {
        return Err(format!(
            "IDX element type 0x{:02x} is not supported (only 0x08, unsigned byte)",
            b[2]
        ));
    }
    let nd = b[3] as usize;
    let header = 4 + 4 * nd;
    if b.len() < header {
        return Err("IDX header is truncated".into());
    }
    let dims: Vec<usize> = (0..nd)
        .map(|k| {
            u32::from_be_bytes([b[4 + 4 * k], b[5 + 4 * k], b[6 + 4 * k], b[7 + 4 * k]]) as usize
        })
        .collect();
    let n: usize = dims.iter().product();
    if b.len() != header + n {
        return Err(format!(
            "IDX dimensions {dims:?} need {n} data bytes, file has {}",
            b.len() - header
        ));
    }
    Ok(Idx {
        dims,
        data: b[header..].to_vec(),
    })
}

/// Encode bytes as IDX (used for fixtures and exports).
pub fn encode(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}
