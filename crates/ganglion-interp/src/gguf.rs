//! GGUF v3, the model container of llama.cpp/ggml: header, metadata key/values, tensor
//! directory, and dequantisation of tensor data to `f32`.
//!
//! Layout (all little-endian; the GGUF specification in ggml's `docs/gguf.md`):
//! magic `"GGUF"`, `u32` version, `u64` tensor count, `u64` metadata count; the metadata
//! key/values (key as a `u64`-length-prefixed UTF-8 string, `u32` value type, value); the
//! tensor directory (name, `u32` dimension count, `u64` dimensions with the fastest-varying
//! first, `u32` ggml type, `u64` offset into the data section); padding to
//! `general.alignment` (default 32); the data section.
//!
//! Quantised types are stored in blocks (ggml's `ggml-common.h`, dequantised as in
//! `ggml-quants.c`):
//!
//! | type | block | bytes | value |
//! |---|---|---|---|
//! | Q8_0 | 32 | 34 | `d·q`, `d` f16, `q` i8 |
//! | Q4_0 | 32 | 18 | `d·(q−8)`, low nibbles are elements 0–15, high nibbles 16–31 |
//! | Q4_1 | 32 | 20 | `d·q + m` |
//! | Q4_K | 256 | 144 | 8 sub-blocks of 32 with 6-bit scales and mins: `d·sc·q − dmin·m` |
//! | Q6_K | 256 | 210 | 16 sub-blocks of 16 with `i8` scales: `d·sc·(q−32)`, 6-bit `q` |

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// The magic bytes at the start of every GGUF file.
pub const MAGIC: [u8; 4] = *b"GGUF";
/// Default alignment of the data section and of every tensor's offset, in bytes.
pub const DEFAULT_ALIGNMENT: u64 = 32;

/// Errors from reading a GGUF file or its tensors.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The first four bytes are not `GGUF`.
    #[error(
        "{source_name} is not a GGUF file: it starts with {found:?}, not \"GGUF\" (a llama.cpp model file, e.g. data/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf)"
    )]
    NotGguf {
        /// The file.
        source_name: String,
        /// The first bytes found (lossy text).
        found: String,
    },
    /// A GGUF version this reader does not know.
    #[error(
        "{source_name}: GGUF version {version} is not supported (this reader reads versions 2 and 3; re-convert the model with a current llama.cpp)"
    )]
    UnsupportedVersion {
        /// The file.
        source_name: String,
        /// The version found.
        version: u32,
    },
    /// The file ends before a structure it announces.
    #[error(
        "{source_name} is truncated: {what} needs bytes {start}..{end} but the file has {len} bytes (re-download it)"
    )]
    Truncated {
        /// The file.
        source_name: String,
        /// What was being read.
        what: String,
        /// First byte needed.
        start: u64,
        /// One past the last byte needed.
        end: u64,
        /// File length.
        len: u64,
    },
    /// A metadata value type id outside the GGUF specification.
    #[error("{source_name}: metadata key {key:?} has unknown value type {type_id}")]
    BadValueType {
        /// The file.
        source_name: String,
        /// The key.
        key: String,
        /// The type id found.
        type_id: u32,
    },
    /// A string that is not UTF-8.
    #[error("{source_name}: {what} is not valid UTF-8")]
    BadString {
        /// The file.
        source_name: String,
        /// What was being read.
        what: String,
    },
    /// Any other malformed structure.
    #[error("{source_name}: {message}")]
    Malformed {
        /// The file.
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// A tensor type this reader cannot dequantise.
    #[error(
        "{source_name}: tensor {name:?} has ggml type {type_name} (id {type_id}), which is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K; re-quantise the model to one of these)"
    )]
    UnsupportedType {
        /// The file (its path or the name given to [`GgufFile::parse`]).
        source_name: String,
        /// The tensor.
        name: String,
        /// The type's ggml name, or `unknown`.
        type_name: String,
        /// The ggml type id.
        type_id: u32,
    },
    /// A tensor that the caller needs is absent.
    #[error("the model has no tensor {name:?} (it has {count} tensors; is this a llama GGUF?)")]
    MissingTensor {
        /// The tensor.
        name: String,
        /// How many tensors the file has.
        count: usize,
    },
    /// A tensor whose shape is not the one expected.
    #[error("tensor {name:?} has shape {found:?} (row-major) but {expected:?} was expected")]
    ShapeMismatch {
        /// The tensor.
        name: String,
        /// The expected shape, row-major.
        expected: Vec<usize>,
        /// The shape in the file, row-major.
        found: Vec<usize>,
    },
    /// A metadata key that the caller needs is absent or of the wrong type.
    #[error("metadata key {key:?}: {message}")]
    Metadata {
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// A metadata value, one variant per GGUF value type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Type 0.
    U8(u8),
    /// Type 1.
    I8(i8),
    /// Type 2.
    U16(u16),
    /// Type 3.
    I16(i16),
    /// Type 4.
    U32(u32),
    /// Type 5.
    I32(i32),
    /// Type 6.
    F32(f32),
    /// Type 7 (one byte, 0 or 1).
    Bool(bool),
    /// Type 8.
    String(String),
    /// Type 9: element type id and the elements (all of that type).
    Array(u32, Vec<Value>),
    /// Type 10.
    U64(u64),
    /// Type 11.
    I64(i64),
    /// Type 12.
    F64(f64),
}

impl Value {
    /// The GGUF value type id.
    pub fn type_id(&self) -> u32 {
        match self {
            Value::U8(_) => 0,
            Value::I8(_) => 1,
            Value::U16(_) => 2,
            Value::I16(_) => 3,
            Value::U32(_) => 4,
            Value::I32(_) => 5,
            Value::F32(_) => 6,
            Value::Bool(_) => 7,
            Value::String(_) => 8,
            Value::Array(..) => 9,
            Value::U64(_) => 10,
            Value::I64(_) => 11,
            Value::F64(_) => 12,
        }
    }

    /// The value as an unsigned integer, if it is an integer ≥ 0 of any width.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(v.into()),
            Value::U16(v) => Some(v.into()),
            Value::U32(v) => Some(v.into()),
            Value::U64(v) => Some(v),
            Value::I8(v) => u64::try_from(v).ok(),
            Value::I16(v) => u64::try_from(v).ok(),
            Value::I32(v) => u64::try_from(v).ok(),
            Value::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a float, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v.into()),
            Value::F64(v) => Some(v),
            Value::I8(v) => Some(v.into()),
            Value::I16(v) => Some(v.into()),
            Value::I32(v) => Some(v.into()),
            Value::I64(v) => Some(v as f64),
            _ => self.as_u64().map(|v| v as f64),
        }
    }

    /// The value as a string slice, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a bool, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The elements, if the value is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(_, v) => Some(v),
            _ => None,
        }
    }
}

/// The ggml tensor types this reader dequantises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GgmlType {
    /// 32-bit float (id 0).
    F32,
    /// IEEE half (id 1).
    F16,
    /// 4-bit, block of 32, scale (id 2).
    Q4_0,
    /// 4-bit, block of 32, scale and minimum (id 3).
    Q4_1,
    /// 8-bit, block of 32, scale (id 8).
    Q8_0,
    /// 4-bit k-quant, super-block of 256 (id 12).
    Q4K,
    /// 6-bit k-quant, super-block of 256 (id 14).
    Q6K,
    /// bfloat16 (id 30).
    BF16,
}

impl GgmlType {
    /// The type for a ggml type id; `Err(name)` with ggml's name (or `unknown`) otherwise.
    pub fn from_id(id: u32) -> Result<GgmlType, &'static str> {
        Ok(match id {
            0 => GgmlType::F32,
            1 => GgmlType::F16,
            2 => GgmlType::Q4_0,
            3 => GgmlType::Q4_1,
            8 => GgmlType::Q8_0,
            12 => GgmlType::Q4K,
            14 => GgmlType::Q6K,
            30 => GgmlType::BF16,
            _ => return Err(ggml_type_name(id)),
        })
    }

    /// The ggml type id.
    pub fn id(self) -> u32 {
        match self {
            GgmlType::F32 => 0,
            GgmlType::F16 => 1,
            GgmlType::Q4_0 => 2,
            GgmlType::Q4_1 => 3,
            GgmlType::Q8_0 => 8,
            GgmlType::Q4K => 12,
            GgmlType::Q6K => 14,
            GgmlType::BF16 => 30,
        }
    }

    /// (elements per block, bytes per block).
    pub fn block(self) -> (usize, usize) {
        match self {
            GgmlType::F32 => (1, 4),
            GgmlType::F16 | GgmlType::BF16 => (1, 2),
            GgmlType::Q4_0 => (32, 18),
            GgmlType::Q4_1 => (32, 20),
            GgmlType::Q8_0 => (32, 34),
            GgmlType::Q4K => (256, 144),
            GgmlType::Q6K => (256, 210),
        }
    }
}

impl fmt::Display for GgmlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ggml_type_name(self.id()))
    }
}

/// ggml's name for a type id (`"unknown"` for ids ggml does not define).
pub fn ggml_type_name(id: u32) -> &'static str {
    const NAMES: [&str; 31] = [
        "F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K",
        "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL",
        "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16",
    ];
    NAMES.get(id as usize).copied().unwrap_or("unknown")
}

/// One entry of the tensor directory.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// The tensor's name, e.g. `blk.0.attn_q.weight`.
    pub name: String,
    /// ggml dimensions, fastest-varying first (`ne[0]` is the row length).
    pub dims: Vec<u64>,
    /// The ggml type id as stored (see [`GgmlType::from_id`]).
    pub type_id: u32,
    /// Offset of the data from the start of the data section, in bytes.
    pub offset: u64,
}

impl TensorInfo {
    /// The shape in row-major order (the ggml dimensions reversed): `[rows, row_len]` for a
    /// matrix.
    pub fn shape(&self) -> Vec<usize> {
        self.dims.iter().rev().map(|&d| d as usize).collect()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.dims.iter().product::<u64>() as usize
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A GGUF file read into memory.
#[derive(Debug, Clone)]
pub struct GgufFile {
    /// Where it came from (for messages).
    pub source_name: String,
    /// The GGUF version (2 or 3).
    pub version: u32,
    /// Metadata in file order.
    pub metadata: Vec<(String, Value)>,
    /// The tensor directory in file order.
    pub tensors: Vec<TensorInfo>,
    /// The data-section alignment, bytes.
    pub alignment: u64,
    key_index: HashMap<String, usize>,
    tensor_index: HashMap<String, usize>,
    bytes: Vec<u8>,
    data_start: usize,
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    source_name: &'a str,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &dyn Fn() -> String) -> Result<&'a [u8], GgufError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(GgufError::Truncated {
                source_name: self.source_name.to_string(),
                what: what(),
                start: self.pos as u64,
                end: (self.pos as u64).saturating_add(n as u64),
                len: self.bytes.len() as u64,
            }),
        }
    }

    fn array<const N: usize>(&mut self, what: &dyn Fn() -> String) -> Result<[u8; N], GgufError> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u32(&mut self, what: &dyn Fn() -> String) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &dyn Fn() -> String) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    fn len(&mut self, what: &dyn Fn() -> String) -> Result<usize, GgufError> {
        let n = self.u64(what)?;
        // Any length beyond what is left of the file is a truncation, not an allocation.
        let left = (self.bytes.len() - self.pos) as u64;
        if n > left {
            return Err(GgufError::Truncated {
                source_name: self.source_name.to_string(),
                what: format!("{} (length {n})", what()),
                start: self.pos as u64,
                end: self.pos as u64 + n,
                len: self.bytes.len() as u64,
            });
        }
        Ok(n as usize)
    }

    fn string(&mut self, what: &dyn Fn() -> String) -> Result<String, GgufError> {
        let n = self.len(what)?;
        let s = self.take(n, what)?;
        String::from_utf8(s.to_vec()).map_err(|_| GgufError::BadString {
            source_name: self.source_name.to_string(),
            what: what(),
        })
    }

    fn value(&mut self, type_id: u32, key: &str) -> Result<Value, GgufError> {
        let what = || format!("the value of metadata key {key:?}");
        Ok(match type_id {
            0 => Value::U8(self.array::<1>(&what)?[0]),
            1 => Value::I8(self.array::<1>(&what)?[0] as i8),
            2 => Value::U16(u16::from_le_bytes(self.array(&what)?)),
            3 => Value::I16(i16::from_le_bytes(self.array(&what)?)),
            4 => Value::U32(self.u32(&what)?),
            5 => Value::I32(i32::from_le_bytes(self.array(&what)?)),
            6 => Value::F32(f32::from_le_bytes(self.array(&what)?)),
            7 => {
                let b = self.array::<1>(&what)?[0];
                if b > 1 {
                    return Err(GgufError::Malformed {
                        source_name: self.source_name.to_string(),
                        message: format!("metadata key {key:?}: bool byte is {b}, not 0 or 1"),
                    });
                }
                Value::Bool(b == 1)
            }
            8 => Value::String(self.string(&what)?),
            9 => {
                let elem = self.u32(&what)?;
                let n = self.len(&what)?;
                let mut v = Vec::with_capacity(n.min(1 << 20));
                for _ in 0..n {
                    v.push(self.value(elem, key)?);
                }
                Value::Array(elem, v)
            }
            10 => Value::U64(self.u64(&what)?),
            11 => Value::I64(i64::from_le_bytes(self.array(&what)?)),
            12 => Value::F64(f64::from_le_bytes(self.array(&what)?)),
            _ => {
                return Err(GgufError::BadValueType {
                    source_name: self.source_name.to_string(),
                    key: key.to_string(),
                    type_id,
                });
            }
        })
    }
}

impl GgufFile {
    /// Read and parse a GGUF file.
    pub fn open(path: &Path) -> Result<GgufFile, GgufError> {
        let bytes = std::fs::read(path).map_err(|source| GgufError::Io {
            path: path.display().to_string(),
            source,
        })?;
        GgufFile::parse(bytes, &path.display().to_string())
    }

    /// Parse GGUF bytes; `source_name` names them in errors.
    pub fn parse(bytes: Vec<u8>, source_name: &str) -> Result<GgufFile, GgufError> {
        let mut r = Reader {
            bytes: &bytes,
            pos: 0,
            source_name,
        };
        if bytes.len() < 4 || bytes[..4] != MAGIC {
            return Err(GgufError::NotGguf {
                source_name: source_name.to_string(),
                found: String::from_utf8_lossy(&bytes[..bytes.len().min(4)]).into_owned(),
            });
        }
        r.pos = 4;
        let version = r.u32(&|| "the version".into())?;
        if !(2..=3).contains(&version) {
            return Err(GgufError::UnsupportedVersion {
                source_name: source_name.to_string(),
                version,
            });
        }
        let n_tensors = r.u64(&|| "the tensor count".into())?;
        let n_kv = r.u64(&|| "the metadata count".into())?;
        let mut metadata = Vec::new();
        let mut key_index = HashMap::new();
        for i in 0..n_kv {
            let key = r.string(&|| format!("metadata key {i}"))?;
            let ty = r.u32(&|| format!("the type of metadata key {key:?}"))?;
            let value = r.value(ty, &key)?;
            key_index.insert(key.clone(), metadata.len());
            metadata.push((key, value));
        }
        let mut tensors = Vec::new();
        let mut tensor_index = HashMap::new();
        for i in 0..n_tensors {
            let name = r.string(&|| format!("the name of tensor {i}"))?;
            let what = || format!("the directory entry of tensor {name:?}");
            let nd = r.u32(&what)?;
            if nd > 4 {
                return Err(GgufError::Malformed {
                    source_name: source_name.to_string(),
                    message: format!("tensor {name:?} has {nd} dimensions (ggml allows at most 4)"),
                });
            }
            let mut dims = Vec::with_capacity(nd as usize);
            for _ in 0..nd {
                dims.push(r.u64(&what)?);
            }
            let type_id = r.u32(&what)?;
            let offset = r.u64(&what)?;
            tensor_index.insert(name.clone(), tensors.len());
            tensors.push(TensorInfo {
                name,
                dims,
                type_id,
                offset,
            });
        }
        let alignment = match key_index.get("general.alignment") {
            Some(&i) => match metadata[i].1.as_u64() {
                Some(a) if a > 0 && a.is_power_of_two() => a,
                _ => {
                    return Err(GgufError::Malformed {
                        source_name: source_name.to_string(),
                        message: format!(
                            "general.alignment is {:?}; it must be a power of two",
                            metadata[i].1
                        ),
                    });
                }
            },
            None => DEFAULT_ALIGNMENT,
        };
        let data_start = (r.pos as u64).div_ceil(alignment) * alignment;
        let file = GgufFile {
            source_name: source_name.to_string(),
            version,
            metadata,
            tensors,
            alignment,
            key_index,
            tensor_index,
            data_start: data_start as usize,
            bytes,
        };
        for t in &file.tensors {
            file.check_tensor(t)?;
        }
        Ok(file)
    }

    fn check_tensor(&self, t: &TensorInfo) -> Result<(), GgufError> {
        let malformed = |message: String| GgufError::Malformed {
            source_name: self.source_name.clone(),
            message,
        };
        if !t.offset.is_multiple_of(self.alignment) {
            return Err(malformed(format!(
                "tensor {:?} starts at offset {}, not a multiple of the alignment {}",
                t.name, t.offset, self.alignment
            )));
        }
        let n = t
            .dims
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .ok_or_else(|| malformed(format!("tensor {:?} dims {:?} overflow", t.name, t.dims)))?;
        // Unsupported types are reported when the tensor is read, so a file with one odd
        // tensor can still be inspected; their size is unknown here.
        if let Ok(ty) = GgmlType::from_id(t.type_id) {
            let (block, bytes) = ty.block();
            let row = t.dims.first().copied().unwrap_or(1);
            if row % block as u64 != 0 {
                return Err(malformed(format!(
                    "tensor {:?} has rows of {row} elements, not a multiple of the {ty} block of {block}",
                    t.name
                )));
            }
            let overflow = || {
                malformed(format!(
                    "tensor {:?} ({ty}, dims {:?}, offset {}) has a size or position past 2^64 bytes",
                    t.name, t.dims, t.offset
                ))
            };
            let size = (n / block as u64)
                .checked_mul(bytes as u64)
                .ok_or_else(overflow)?;
            let start = (self.data_start as u64)
                .checked_add(t.offset)
                .ok_or_else(overflow)?;
            let end = start.checked_add(size).ok_or_else(overflow)?;
            if end > self.bytes.len() as u64 {
                return Err(GgufError::Truncated {
                    source_name: self.source_name.clone(),
                    what: format!("the data of tensor {:?} ({ty}, dims {:?})", t.name, t.dims),
                    start,
                    end,
                    len: self.bytes.len() as u64,
                });
            }
        }
        Ok(())
    }

    /// A metadata value by key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.key_index.get(key).map(|&i| &self.metadata[i].1)
    }

    /// A required unsigned-integer metadata value.
    pub fn get_u64(&self, key: &str) -> Result<u64, GgufError> {
        let v = self.require(key)?;
        v.as_u64().ok_or_else(|| GgufError::Metadata {
            key: key.into(),
            message: format!("expected an unsigned integer, found {}", short(v)),
        })
    }

    /// A required numeric metadata value as `f64`.
    pub fn get_f64(&self, key: &str) -> Result<f64, GgufError> {
        let v = self.require(key)?;
        v.as_f64().ok_or_else(|| GgufError::Metadata {
            key: key.into(),
            message: format!("expected a number, found {}", short(v)),
        })
    }

    /// A required string metadata value.
    pub fn get_str(&self, key: &str) -> Result<&str, GgufError> {
        let v = self.require(key)?;
        v.as_str().ok_or_else(|| GgufError::Metadata {
            key: key.into(),
            message: format!("expected a string, found {}", short(v)),
        })
    }

    fn require(&self, key: &str) -> Result<&Value, GgufError> {
        self.get(key).ok_or_else(|| GgufError::Metadata {
            key: key.into(),
            message: format!("absent from {}", self.source_name),
        })
    }

    /// A tensor's directory entry by name.
    pub fn tensor_info(&self, name: &str) -> Option<&TensorInfo> {
        self.tensor_index.get(name).map(|&i| &self.tensors[i])
    }

    /// A tensor's raw bytes, as stored.
    pub fn tensor_bytes(&self, name: &str) -> Result<&[u8], GgufError> {
        let t = self.info_or_missing(name)?;
        let ty = tensor_type(&self.source_name, t)?;
        let (block, bytes) = ty.block();
        let start = self.data_start + t.offset as usize;
        Ok(&self.bytes[start..start + t.len() / block * bytes])
    }

    fn info_or_missing(&self, name: &str) -> Result<&TensorInfo, GgufError> {
        self.tensor_info(name)
            .ok_or_else(|| GgufError::MissingTensor {
                name: name.into(),
                count: self.tensors.len(),
            })
    }

    /// A tensor dequantised to `f32`, row-major, with its row-major shape.
    pub fn tensor_f32(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), GgufError> {
        let t = self.info_or_missing(name)?;
        let ty = tensor_type(&self.source_name, t)?;
        let raw = self.tensor_bytes(name)?;
        let mut out = vec![0f32; t.len()];
        dequantize(ty, raw, &mut out);
        Ok((t.shape(), out))
    }

    /// A tensor dequantised to `f32` whose row-major shape must be `expected`.
    pub fn tensor_f32_shaped(&self, name: &str, expected: &[usize]) -> Result<Vec<f32>, GgufError> {
        let t = self.info_or_missing(name)?;
        if t.shape() != expected {
            return Err(GgufError::ShapeMismatch {
                name: name.into(),
                expected: expected.to_vec(),
                found: t.shape(),
            });
        }
        Ok(self.tensor_f32(name)?.1)
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::Array(t, a) => format!("an array of {} values of type {t}", a.len()),
        v => format!("{v:?}"),
    }
}

fn tensor_type(source_name: &str, t: &TensorInfo) -> Result<GgmlType, GgufError> {
    GgmlType::from_id(t.type_id).map_err(|type_name| GgufError::UnsupportedType {
        source_name: source_name.into(),
        name: t.name.clone(),
        type_name: type_name.into(),
        type_id: t.type_id,
    })
}

mod quant;
mod writer;

pub use quant::{dequantize, f16_to_f32, f32_to_f16};
pub use writer::GgufWriter;

#[cfg(test)]
mod tests;
