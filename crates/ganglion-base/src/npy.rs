//! Minimal `.npy` (NumPy format 1.0/2.0/3.0) reading and writing: numeric dtypes (either
//! byte order), C or (up to 2-D) Fortran order. Enough for parameter lists, edge lists, time
//! series and recordings.
//!
//! Reading checks the whole file against its header: a truncated header, a shape whose body
//! is shorter or longer than the file, a dtype that is not numeric, or a header that does not
//! say what it must, is an [`io::ErrorKind::InvalidData`] error that says what is wrong
//! (quoting at most a few characters of the header, never the data).

use std::io;
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

/// At most 40 characters of `s` (a piece of a header), for messages.
fn excerpt(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Read a `.npy` file of any numeric dtype (f2 excluded) as f64.
pub fn read(path: &Path) -> io::Result<NpyArray> {
    parse(&std::fs::read(path)?)
}

/// The magic string every `.npy` file starts with.
pub const MAGIC: &[u8] = b"\x93NUMPY";

/// Parse the bytes of a `.npy` file.
pub fn parse(buf: &[u8]) -> io::Result<NpyArray> {
    if buf.is_empty() {
        return Err(bad("the file is empty"));
    }
    if !buf.starts_with(MAGIC) {
        let msg = match MAGIC.starts_with(buf) {
            true => "truncated header: the file ends inside the \\x93NUMPY magic",
            false => "not a .npy file (it does not start with the \\x93NUMPY magic)",
        };
        return Err(bad(msg));
    }
    let preamble = |len: usize| {
        buf.get(..len).ok_or_else(|| {
            bad(format!(
                "truncated header: the file ends after {} bytes, inside the preamble",
                buf.len()
            ))
        })
    };
    let p = preamble(8)?;
    let (major, minor) = (p[6], p[7]);
    let (hlen, start) = match major {
        1 => {
            let p = preamble(10)?;
            (u16::from_le_bytes([p[8], p[9]]) as usize, 10)
        }
        2 | 3 => {
            let p = preamble(12)?;
            (u32::from_le_bytes([p[8], p[9], p[10], p[11]]) as usize, 12)
        }
        _ => {
            return Err(bad(format!(
                "unsupported .npy format version {major}.{minor} (1.0, 2.0 and 3.0 are read)"
            )));
        }
    };
    let header = buf.get(start..start + hlen).ok_or_else(|| {
        bad(format!(
            "truncated header: it says {hlen} bytes, but the file has {} after the preamble",
            buf.len() - start
        ))
    })?;
    let header = std::str::from_utf8(header).map_err(|_| bad("the header is not text"))?;
    let h = Header::parse(header)?;
    let n = h
        .shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| bad(format!("shape {:?} is too large", h.shape)))?;
    let body = &buf[start + hlen..];
    let w = h.dtype.width();
    let want = n
        .checked_mul(w)
        .ok_or_else(|| bad(format!("shape {:?} is too large", h.shape)))?;
    if body.len() != want {
        let (have, extra) = (body.len() / w, body.len() % w);
        let extra = match extra {
            0 => String::new(),
            b => format!(" and {b} byte{}", if b == 1 { "" } else { "s" }),
        };
        let msg = match body.len() < want {
            true => format!(
                "the file is shorter than its shape says (header {n} values, body {have}{extra})"
            ),
            false => format!(
                "the file is longer than its shape says (header {n} values, body {have}{extra}): it has trailing bytes"
            ),
        };
        return Err(bad(msg));
    }
    let data = h.dtype.decode(body);
    let data = match (h.fortran, h.shape.as_slice()) {
        (false, _) | (true, [] | [_]) => data,
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
    Ok(NpyArray {
        shape: h.shape,
        data,
    })
}

/// The numeric element types that are read: kind, width in bytes, byte order.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Dtype {
    /// `f`, `i`, `u` or `b`.
    kind: u8,
    width: usize,
    big_endian: bool,
}

impl Dtype {
    /// A `descr` such as `<f8`, `|u1`, `>i4`.
    fn parse(descr: &str) -> io::Result<Dtype> {
        let shown = excerpt(descr);
        let (order, code) = match descr.chars().next() {
            Some(c @ ('<' | '>' | '|' | '=')) => (c, &descr[1..]),
            _ => ('|', descr),
        };
        let big_endian = order == '>';
        let (kind, size) = code.split_at(code.chars().next().map_or(0, char::len_utf8));
        let width: Option<usize> = size.parse().ok();
        let ok = |kind: u8, width: usize| {
            Ok(Dtype {
                kind,
                width,
                big_endian,
            })
        };
        match (kind, width) {
            ("f", Some(w @ (4 | 8))) => ok(b'f', w),
            ("f", Some(2)) => Err(bad(format!(
                "dtype {shown} (float16) is not supported; save as float32 or float64"
            ))),
            ("i", Some(w @ (1 | 2 | 4 | 8))) => ok(b'i', w),
            ("u", Some(w @ (1 | 2 | 4 | 8))) => ok(b'u', w),
            ("b", Some(1)) | ("?", None) => ok(b'b', 1),
            ("c", _) => Err(bad(format!(
                "dtype {shown} is complex; only real numbers are read"
            ))),
            _ => Err(bad(format!(
                "unsupported dtype {shown}; save numbers as float64, float32 or integers"
            ))),
        }
    }

    fn width(self) -> usize {
        self.width
    }

    /// The values of `body` (a whole number of elements) as f64.
    fn decode(self, body: &[u8]) -> Vec<f64> {
        macro_rules! conv {
            ($t:ty) => {{
                body.chunks_exact(std::mem::size_of::<$t>())
                    .map(|c| {
                        let b = c.try_into().unwrap_or_default();
                        let x = match self.big_endian {
                            true => <$t>::from_be_bytes(b),
                            false => <$t>::from_le_bytes(b),
                        };
                        x as f64
                    })
                    .collect()
            }};
        }
        match (self.kind, self.width) {
            (b'f', 8) => conv!(f64),
            (b'f', _) => conv!(f32),
            (b'i', 8) => conv!(i64),
            (b'i', 4) => conv!(i32),
            (b'i', 2) => conv!(i16),
            (b'i', _) => conv!(i8),
            (b'u', 8) => conv!(u64),
            (b'u', 4) => conv!(u32),
            (b'u', 2) => conv!(u16),
            _ => conv!(u8),
        }
    }
}

/// What a header says: dtype, order and shape.
struct Header {
    dtype: Dtype,
    fortran: bool,
    shape: Vec<usize>,
}

impl Header {
    /// Parse `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
    fn parse(header: &str) -> io::Result<Header> {
        let dict = header.trim_end_matches(['\n', ' ', '\0']).trim_start();
        if !dict.starts_with('{') || !dict.ends_with('}') {
            return Err(bad(
                "the header is not a dictionary {'descr': ..., 'fortran_order': ..., 'shape': ...}",
            ));
        }
        let missing = |key: &str| bad(format!("the header has no '{key}'"));
        let descr = field(dict, "descr").ok_or_else(|| missing("descr"))?;
        if descr.starts_with('[') || descr.starts_with('{') {
            return Err(bad(
                "structured dtypes (records) are not supported; save a plain numeric array",
            ));
        }
        let descr = unquote(descr)
            .ok_or_else(|| bad(format!("descr {} is not a quoted dtype", excerpt(descr))))?;
        let dtype = Dtype::parse(descr)?;
        let fortran = match field(dict, "fortran_order").ok_or_else(|| missing("fortran_order"))? {
            "True" => true,
            "False" => false,
            other => {
                return Err(bad(format!(
                    "fortran_order {} is neither True nor False",
                    excerpt(other)
                )));
            }
        };
        let shape_txt = field(dict, "shape").ok_or_else(|| missing("shape"))?;
        let shape = shape_txt
            .strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .ok_or_else(|| bad(format!("shape {} is not a tuple", excerpt(shape_txt))))?
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.trim_end_matches('L').parse::<usize>().map_err(|_| {
                    bad(format!(
                        "shape {} is not a tuple of sizes",
                        excerpt(shape_txt)
                    ))
                })
            })
            .collect::<io::Result<_>>()?;
        Ok(Header {
            dtype,
            fortran,
            shape,
        })
    }
}

/// The text inside `'...'` or `"..."`.
fn unquote(s: &str) -> Option<&str> {
    s.strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
}

/// The text of `key`'s value in a header dictionary (a tuple up to its `)`, a quoted string
/// up to its closing quote, else up to the next `,` or `}`).
fn field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let i = header
        .find(&format!("'{key}'"))
        .or_else(|| header.find(&format!("\"{key}\"")))?;
    let rest = &header[i + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let end = match rest.chars().next()? {
        '(' => rest.find(')')? + 1,
        q @ ('\'' | '"') => rest[1..].find(q)? + 2,
        '[' => rest.find(']').map_or(rest.len(), |e| e + 1),
        _ => rest.find([',', '}']).unwrap_or(rest.len()),
    };
    Some(rest[..end].trim())
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
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for &x in data {
        x.write_le(&mut out);
    }
    out
}

/// Write an array to `path` (directly; callers handle atomic renames of whole outputs).
pub fn write<T: NpyElement>(path: &Path, shape: &[usize], data: &[T]) -> io::Result<()> {
    std::fs::write(path, encode(shape, data))
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

    /// A version 1.0 file with `header` (the dictionary) and `body`.
    fn npy(header: &str, body: &[u8]) -> Vec<u8> {
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16 + 1).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(body);
        out
    }

    fn f8(shape: &str, n: usize) -> Vec<u8> {
        let body: Vec<u8> = (0..n).flat_map(|i| (i as f64).to_le_bytes()).collect();
        let h = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
        npy(&h, &body)
    }

    fn error(bytes: &[u8]) -> String {
        parse(bytes).unwrap_err().to_string()
    }

    #[test]
    fn shape_and_body_must_agree_both_ways() {
        let m = error(&f8("(100,)", 60));
        assert!(
            m.contains("the file is shorter than its shape says (header 100 values, body 60)"),
            "{m}"
        );
        let m = error(&f8("(10, 4)", 60));
        assert!(
            m.contains("the file is longer than its shape says (header 40 values, body 60)"),
            "{m}"
        );
        assert!(m.contains("trailing bytes"), "{m}");
        // A body cut inside an element.
        let mut cut = f8("(3,)", 3);
        cut.truncate(cut.len() - 3);
        let m = error(&cut);
        assert!(m.contains("shorter"), "{m}");
        assert!(m.contains("(header 3 values, body 2 and 5 bytes)"), "{m}");
        // One stray byte after the data.
        let mut long = f8("(3,)", 3);
        long.push(0);
        let m = error(&long);
        assert!(
            m.contains("longer than its shape says (header 3 values, body 3 and 1 byte)"),
            "{m}"
        );
        // Agreeing shapes, a 0-d scalar and an empty array are read.
        assert_eq!(parse(&f8("(6, 10)", 60)).unwrap().data.len(), 60);
        assert_eq!(parse(&f8("()", 1)).unwrap().data, vec![0.0]);
        assert_eq!(parse(&f8("(0, 3)", 0)).unwrap().shape, vec![0, 3]);
    }

    #[test]
    fn truncated_or_strange_headers_are_errors() {
        let good = f8("(3,)", 3);
        assert!(parse(&good).is_ok());
        assert!(error(&[]).contains("the file is empty"));
        assert!(error(b"hello world, not npy").contains("not a .npy file"));
        for n in [3, 7, 9] {
            assert!(error(&good[..n]).contains("truncated header"), "{n}");
        }
        let m = error(&good[..30]);
        assert!(m.contains("truncated header: it says"), "{m}");
        let mut v9 = good.clone();
        v9[6] = 9;
        assert!(error(&v9).contains("unsupported .npy format version 9.0"));
        let header = |h: &str| error(&npy(h, &[0; 24]));
        let with = |descr: &str, order: &str, shape: &str| {
            header(&format!(
                "{{'descr': {descr}, 'fortran_order': {order}, 'shape': {shape}, }}"
            ))
        };
        assert!(with("'<f2'", "False", "(12,)").contains("float16"));
        assert!(with("'<c8'", "False", "(3,)").contains("complex"));
        assert!(with("'<U2'", "False", "(3,)").contains("unsupported dtype <U2"));
        assert!(with("'|O8'", "False", "(3,)").contains("unsupported dtype |O8"));
        assert!(with("'<M8[s]'", "False", "(3,)").contains("unsupported dtype <M8[s]"));
        assert!(with("'éé'", "False", "(3,)").contains("unsupported dtype éé"));
        assert!(with("[('a', '<f8')]", "False", "(3,)").contains("structured dtypes"));
        assert!(with("<f8", "False", "(3,)").contains("not a quoted dtype"));
        assert!(with("'<f8'", "Maybe", "(3,)").contains("fortran_order Maybe"));
        assert!(with("'<f8'", "False", "(x,)").contains("shape (x,) is not a tuple of sizes"));
        assert!(with("'<f8'", "False", "3").contains("shape 3 is not a tuple"));
        let m = with("'<f8'", "False", "(99999999999, 99999999999, 99999999999)");
        assert!(m.contains("too large"), "{m}");
        assert!(header("{'fortran_order': False, 'shape': (3,), }").contains("no 'descr'"));
        assert!(header("{'descr': '<f8', 'shape': (3,), }").contains("no 'fortran_order'"));
        assert!(header("{'descr': '<f8', 'fortran_order': False}").contains("no 'shape'"));
        assert!(header("descr").contains("not a dictionary"));
        // A long header is quoted only in part.
        let long = format!("'<{}'", "x".repeat(5000));
        assert!(with(&long, "False", "(3,)").len() < 200);
    }

    #[test]
    fn fortran_order_and_byte_order() {
        let body: Vec<u8> = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let a = parse(&npy(
            "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
            &body,
        ))
        .unwrap();
        assert_eq!(a.data, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let m = error(&npy(
            "{'descr': '<f8', 'fortran_order': True, 'shape': (1, 2, 3), }",
            &body,
        ));
        assert!(
            m.contains("Fortran-ordered arrays of more than 2 dimensions"),
            "{m}"
        );
        let be: Vec<u8> = [1u32, 2].iter().flat_map(|x| x.to_be_bytes()).collect();
        let h = "{'descr': '>u4', 'fortran_order': False, 'shape': (2,), }";
        assert_eq!(parse(&npy(h, &be)).unwrap().data, vec![1.0, 2.0]);
    }
}
