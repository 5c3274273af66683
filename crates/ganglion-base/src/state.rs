//! A small binary format for checkpoints: values written in a fixed order by [`StateWriter`]
//! and read back in the same order by [`StateReader`], each slice prefixed by its length so a
//! checkpoint from another circuit or a truncated file is an error, never a silent mix-up.
//!
//! Little-endian, no padding. Types that are saved implement [`Saved`].

/// Why a checkpoint could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateError(pub String);

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StateError {}

/// Accumulates a checkpoint.
#[derive(Debug, Default)]
pub struct StateWriter {
    buf: Vec<u8>,
}

impl StateWriter {
    /// An empty checkpoint.
    pub fn new() -> Self {
        Self::default()
    }
    /// A checkpoint that starts with `prefix` (a file header written before the state, so the
    /// whole file is built in one buffer).
    pub fn with_prefix(prefix: Vec<u8>) -> Self {
        StateWriter { buf: prefix }
    }
    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
    /// A section tag: readers check it, so a misaligned read is caught where it starts.
    pub fn tag(&mut self, tag: &str) {
        self.u64(tag.len() as u64);
        self.buf.extend_from_slice(tag.as_bytes());
    }
    /// One u64.
    pub fn u64(&mut self, x: u64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    /// One f64 (bit pattern).
    pub fn f64(&mut self, x: f64) {
        self.u64(x.to_bits());
    }
    /// Any [`Saved`] value.
    pub fn put<T: Saved + ?Sized>(&mut self, x: &T) {
        x.save(self);
    }
}

/// Reads a checkpoint in the order it was written.
#[derive(Debug)]
pub struct StateReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> StateReader<'a> {
    /// A reader over `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        StateReader { buf, pos: 0 }
    }
    /// Whether every byte was read.
    pub fn at_end(&self) -> bool {
        self.pos == self.buf.len()
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], StateError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| StateError(format!("the checkpoint ends early (byte {})", self.pos)))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    /// Check a section tag written by [`StateWriter::tag`].
    pub fn tag(&mut self, tag: &str) -> Result<(), StateError> {
        let n = self.u64()? as usize;
        let got = self.take(n)?;
        if got != tag.as_bytes() {
            return Err(StateError(format!(
                "expected section \"{tag}\", found \"{}\": the checkpoint was written by another circuit or version",
                String::from_utf8_lossy(got)
            )));
        }
        Ok(())
    }
    /// One u64.
    pub fn u64(&mut self) -> Result<u64, StateError> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    /// One f64.
    pub fn f64(&mut self) -> Result<f64, StateError> {
        Ok(f64::from_bits(self.u64()?))
    }
    /// Read into any [`Saved`] value (its shape must match what was written).
    pub fn get<T: Saved + ?Sized>(&mut self, x: &mut T) -> Result<(), StateError> {
        x.load(self)
    }
    /// A length-prefixed slice of `len` elements of `size` bytes each; checks the length
    /// against `expected` when given.
    fn slice(&mut self, size: usize, expected: Option<usize>) -> Result<&'a [u8], StateError> {
        let n = self.u64()? as usize;
        if let Some(e) = expected
            && e != n
        {
            return Err(StateError(format!(
                "an array has {n} values in the checkpoint but {e} in the network being resumed: the checkpoint was written by another circuit or thread count"
            )));
        }
        let bytes = n
            .checked_mul(size)
            .ok_or_else(|| StateError("corrupt array length".into()))?;
        self.take(bytes)
    }
}

/// A value that can be written to and read back from a checkpoint.
pub trait Saved {
    /// Write the value.
    fn save(&self, w: &mut StateWriter);
    /// Read it back (into a value of the same shape, built from the same circuit).
    fn load(&mut self, r: &mut StateReader) -> Result<(), StateError>;
}

macro_rules! saved_number {
    ($t:ty, $n:expr) => {
        impl Saved for $t {
            fn save(&self, w: &mut StateWriter) {
                w.buf.extend_from_slice(&self.to_le_bytes());
            }
            fn load(&mut self, r: &mut StateReader) -> Result<(), StateError> {
                let b = r.take($n)?;
                *self = <$t>::from_le_bytes(b.try_into().expect("sized"));
                Ok(())
            }
        }

        /// Slices keep their length: loading checks it.
        impl Saved for [$t] {
            fn save(&self, w: &mut StateWriter) {
                w.u64(self.len() as u64);
                for x in self {
                    w.buf.extend_from_slice(&x.to_le_bytes());
                }
            }
            fn load(&mut self, r: &mut StateReader) -> Result<(), StateError> {
                let b = r.slice($n, Some(self.len()))?;
                for (x, c) in self.iter_mut().zip(b.chunks_exact($n)) {
                    *x = <$t>::from_le_bytes(c.try_into().expect("sized"));
                }
                Ok(())
            }
        }

        /// Vectors may change length (recordings grow): loading takes the saved length.
        impl Saved for Vec<$t> {
            fn save(&self, w: &mut StateWriter) {
                self[..].save(w);
            }
            fn load(&mut self, r: &mut StateReader) -> Result<(), StateError> {
                let b = r.slice($n, None)?;
                self.clear();
                self.extend(
                    b.chunks_exact($n)
                        .map(|c| <$t>::from_le_bytes(c.try_into().expect("sized"))),
                );
                Ok(())
            }
        }
    };
}

saved_number!(f32, 4);
saved_number!(f64, 8);
saved_number!(u8, 1);
saved_number!(u32, 4);
saved_number!(u64, 8);

impl Saved for usize {
    fn save(&self, w: &mut StateWriter) {
        w.u64(*self as u64);
    }
    fn load(&mut self, r: &mut StateReader) -> Result<(), StateError> {
        *self = usize::try_from(r.u64()?).map_err(|_| StateError("index too large".into()))?;
        Ok(())
    }
}

impl<const N: usize> Saved for [f64; N] {
    fn save(&self, w: &mut StateWriter) {
        self[..].save(w);
    }
    fn load(&mut self, r: &mut StateReader) -> Result<(), StateError> {
        self[..].load(r)
    }
}

impl<const N: usize> Saved for [f32; N] {
    fn save(&self, w: &mut StateWriter) {
        self[..].save(w);
    }
    fn load(&mut self, r: &mut StateReader) -> Result<(), StateError> {
        self[..].load(r)
    }
}

/// `saved_fields!(self, w | r; a, b, c)`: the `save` and `load` of a struct as the same list
/// of fields, so the two orders cannot drift apart.
#[macro_export]
macro_rules! saved_fields {
    ($($field:ident),* $(,)?) => {
        fn save(&self, w: &mut $crate::state::StateWriter) {
            $(w.put(&self.$field);)*
        }
        fn load(
            &mut self,
            r: &mut $crate::state::StateReader,
        ) -> Result<(), $crate::state::StateError> {
            $(r.get(&mut self.$field)?;)*
            Ok(())
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_shape_mismatches_are_errors() {
        let mut w = StateWriter::new();
        w.tag("pop");
        w.put(&vec![1.5f32, -2.0]);
        w.put(&[3u32, 4, 5][..]);
        w.put(&7u64);
        w.f64(0.25);
        let bytes = w.into_bytes();
        let mut r = StateReader::new(&bytes);
        r.tag("pop").unwrap();
        let mut v: Vec<f32> = vec![];
        r.get(&mut v).unwrap();
        assert_eq!(v, [1.5, -2.0]);
        let mut a = [0u32; 3];
        r.get(&mut a[..]).unwrap();
        assert_eq!(a, [3, 4, 5]);
        let mut x = 0u64;
        r.get(&mut x).unwrap();
        assert_eq!((x, r.f64().unwrap()), (7, 0.25));
        assert!(r.at_end());

        let mut r = StateReader::new(&bytes);
        assert!(r.tag("proj").unwrap_err().0.contains("another circuit"));
        let mut r = StateReader::new(&bytes);
        r.tag("pop").unwrap();
        let mut wrong = [0f32; 3];
        assert!(r.get(&mut wrong[..]).unwrap_err().0.contains("2 values"));
        let mut r = StateReader::new(&bytes[..bytes.len() - 3]);
        r.tag("pop").unwrap();
        r.get(&mut v).unwrap();
        r.get(&mut a[..]).unwrap();
        r.get(&mut x).unwrap();
        assert!(r.f64().unwrap_err().0.contains("ends early"));
    }
}
