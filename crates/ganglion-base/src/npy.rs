//! Minimal `.npy` (NumPy format 1.0/2.0/3.0) reading and writing: little-endian, C order,
//! numeric dtypes. Enough for parameter lists, edge lists, time series and recordings.

use std::io::{self, Read, Write};
use std::path::Path;

/// An array read from a `.npy` file, converted to f64.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// Shape (C order).
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<f64>,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Read a `.npy` file of any little-endian numeric dtype (f2 excluded) as f64.
pub fn read(path: &Path) -> io::Result<NpyArray> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    parse(&buf)
}

/// Parse the bytes of a `.npy` file.
pub fn parse(buf: &[u8]) -> io::Result<NpyArray> {
    if buf.len() < 10 || &buf[..6] != b"\x93NUMPY" {
        return Err(bad("not a .npy file (missing \\x93NUMPY magic)"));
    }
    let major = buf[6];
    let (hlen, start) = if major == 1 {
        (u16::from_le_bytes([buf[8], buf[9]]) as usize, 10)
    } else {
        if buf.len() < 12 {
            return Err(bad("truncated .npy header"));
        }
        (
            u32::from_le_bytes([buf[8], buf[9], buf[10], buf[11]]) as usize,
            12,
        )
    };
    let header = std::str::from_utf8(
        buf.get(start..start + hlen)
            .ok_or_else(|| bad("truncated header"))?,
    )
    .map_err(|_| bad("header is not text"))?;
    let descr = field(header, "descr").ok_or_else(|| bad("header has no descr"))?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let fortran = field(header, "fortran_order").is_some_and(|v| v.starts_with("True"));
    let shape_txt = field(header, "shape").ok_or_else(|| bad("header has no shape"))?;
    let shape: Vec<usize> = shape_txt
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| bad(format!("bad shape {shape_txt}")))
        })
        .collect::<io::Result<_>>()?;
    let n: usize = shape.iter().product();
    let body = &buf[start + hlen..];
    let endian = descr.as_bytes().first().copied().unwrap_or(b'<');
    if endian == b'>' {
        return Err(bad("big-endian arrays are not supported"));
    }
    let code = descr.trim_start_matches(['<', '|', '=']);
    macro_rules! conv {
        ($t:ty) => {{
            let w = std::mem::size_of::<$t>();
            if body.len() < n * w {
                return Err(bad("file is shorter than its shape says"));
            }
            body[..n * w]
                .chunks_exact(w)
                .map(|c| <$t>::from_le_bytes(c.try_into().expect("chunk size")) as f64)
                .collect::<Vec<f64>>()
        }};
    }
    let data = match code {
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
        other => return Err(bad(format!("unsupported dtype {other}"))),
    };
    let data = match (fortran, shape.as_slice()) {
        (false, _) | (true, [_]) => data,
        // Column-major 2-D arrays are transposed back to row-major.
        (true, &[r, c]) => {
            let mut t = vec![0.0; data.len()];
            for i in 0..r {
                for j in 0..c {
                    t[i * c + j] = data[j * r + i];
                }
            }
            t
        }
        (true, _) => {
            return Err(bad(
                "Fortran-ordered arrays of more than 2 dimensions are not supported; save with C order",
            ));
        }
    };
    Ok(NpyArray { shape, data })
}

fn field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let i = header.find(&format!("'{key}'"))?;
    let rest = &header[i + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    if rest.starts_with('(') {
        let end = rest.find(')')?;
        Some(&rest[..=end])
    } else {
        let end = rest.find(',').unwrap_or(rest.len());
        Some(rest[..end].trim())
    }
}

/// Element types that can be written to `.npy`.
pub trait NpyElement: Copy {
    /// NumPy dtype descriptor, e.g. `<f4`.
    const DESCR: &'static str;
    /// Little-endian bytes.
    fn write_le(self, out: &mut Vec<u8>);
}
macro_rules! elem {
    ($t:ty, $d:literal) => {
        impl NpyElement for $t {
            const DESCR: &'static str = $d;
            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    };
}
elem!(f32, "<f4");
elem!(f64, "<f8");
elem!(u32, "<u4");
elem!(i32, "<i4");
elem!(u64, "<u8");
elem!(i64, "<i8");

/// Encode an array as `.npy` bytes (format 1.0).
pub fn encode<T: NpyElement>(shape: &[usize], data: &[T]) -> Vec<u8> {
    let shape_txt = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        T::DESCR,
        shape_txt
    );
    // Pad so that the data starts on a 64-byte boundary, header ends with '\n'.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + std::mem::size_of_val(data));
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for &x in data {
        x.write_le(&mut out);
    }
    out
}

/// Write an array to `path` (directly; callers handle atomic renames of whole outputs).
pub fn write<T: NpyElement>(path: &Path, shape: &[usize], data: &[T]) -> io::Result<()> {
    let mut f = io::BufWriter::new(std::fs::File::create(path)?);
    f.write_all(&encode(shape, data))?;
    f.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn roundtrip() {
        let bytes = encode(&[2, 3], &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(bytes.len() % 64, 24);
        let a = parse(&bytes).unwrap();
        assert_eq!(a.shape, vec![2, 3]);
        assert_eq!(a.data, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let b = parse(&encode(&[3], &[7u32, 8, 9])).unwrap();
        assert_eq!(b.shape, vec![3]);
        assert_eq!(b.data, vec![7.0, 8.0, 9.0]);
    }
}
