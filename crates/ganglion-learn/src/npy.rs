//! A minimal reader for NumPy `.npy` files (version 1–3, little-endian numeric dtypes).

use crate::error::{Error, Result};
use std::path::Path;

/// Reads a `.npy` array as f64 values in C (row-major) order, with its shape.
///
/// Supports dtypes `f8 f4 i8 i4 i2 i1 u8 u4 u2 u1` (little-endian or byte-sized) and
/// `fortran_order` arrays (transposed back to C order).
pub fn read_npy_f64(path: &Path) -> Result<(Vec<f64>, Vec<usize>)> {
    let bytes = std::fs::read(path).map_err(|e| Error::Data {
        path: path.to_owned(),
        what: format!("cannot read: {e}"),
        hint: "run scripts/fetch-data.sh to fetch the data set, or pass the right path".into(),
    })?;
    parse_npy(&bytes).map_err(|what| Error::Data {
        path: path.to_owned(),
        what,
        hint: "the file must be a NumPy .npy array of numbers (np.save)".into(),
    })
}

fn parse_npy(b: &[u8]) -> std::result::Result<(Vec<f64>, Vec<usize>), String> {
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        return Err("not a .npy file (bad magic)".into());
    }
    let major = b[6];
    let (hlen, hstart) = match major {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 if b.len() >= 12 => (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12),
        _ => return Err(format!("unsupported .npy version {major}")),
    };
    let header = b.get(hstart..hstart + hlen).ok_or("truncated header")?;
    let header = std::str::from_utf8(header).map_err(|_| "header is not UTF-8")?;
    let field = |key: &str| -> std::result::Result<&str, String> {
        let pat = format!("'{key}':");
        let i = header.find(&pat).ok_or(format!("header lacks '{key}'"))?;
        Ok(header[i + pat.len()..].trim_start())
    };
    let descr = field("descr")?;
    let descr = descr
        .strip_prefix('\'')
        .and_then(|d| d.split('\'').next())
        .ok_or("bad descr")?;
    let fortran = field("fortran_order")?.starts_with("True");
    let shape_s = field("shape")?;
    let shape_s = shape_s
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or("bad shape")?;
    let shape: Vec<usize> = shape_s
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| format!("bad shape entry {s:?}"))
        })
        .collect::<std::result::Result<_, _>>()?;
    let count: usize = shape.iter().product();
    let (endian, kind) = descr.split_at(1);
    if endian == ">" {
        return Err(format!("big-endian dtype {descr} is not supported"));
    }
    let data = &b[hstart + hlen..];
    macro_rules! conv {
        ($t:ty) => {{
            const W: usize = std::mem::size_of::<$t>();
            if data.len() < count * W {
                return Err(format!(
                    "data truncated: need {} bytes, have {}",
                    count * W,
                    data.len()
                ));
            }
            data[..count * W]
                .chunks_exact(W)
                .map(|c| <$t>::from_le_bytes(c.try_into().unwrap_or([0; W])) as f64)
                .collect::<Vec<f64>>()
        }};
    }
    let mut v = match kind {
        "f8" => conv!(f64),
        "f4" => conv!(f32),
        "i8" => conv!(i64),
        "i4" => conv!(i32),
        "i2" => conv!(i16),
        "i1" => conv!(i8),
        "u8" => conv!(u64),
        "u4" => conv!(u32),
        "u2" => conv!(u16),
        "u1" | "b1" => conv!(u8),
        _ => return Err(format!("unsupported dtype {descr}")),
    };
    if fortran && shape.len() == 2 {
        let (r, c) = (shape[0], shape[1]);
        let mut t = vec![0.0; v.len()];
        for i in 0..r {
            for j in 0..c {
                t[i * c + j] = v[j * r + i];
            }
        }
        v = t;
    } else if fortran && shape.len() > 2 {
        return Err("fortran_order arrays with more than 2 dimensions are not supported".into());
    }
    Ok((v, shape))
}

/// Writes a 1-D little-endian f64 `.npy` file (for fixtures and exports).
pub fn write_npy_f64(path: &Path, data: &[f64]) -> Result<()> {
    let mut header = format!(
        "{{'descr': '<f8', 'fortran_order': False, 'shape': ({},), }}",
        data.len()
    );
    // Pad so that the data starts on a 64-byte boundary, header ends with '\n'.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + data.len() * 8);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    let tmp = path.with_extension("npy.tmp");
    std::fs::write(&tmp, &out)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| Error::Data {
            path: path.to_owned(),
            what: format!("cannot write: {e}"),
            hint: "check that the directory exists and is writable".into(),
        })
}
