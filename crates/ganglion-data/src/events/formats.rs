//! Event files: Tonic's `.npy` layout, AEDAT 2.0 (DVS128) and AEDAT 3.1 (polarity packets).
//!
//! - **Tonic `.npy`** (Lenz et al., Tonic): a NumPy structured array of shape `(N,)` with
//!   fields `t` (µs), `x`, `y`, `p` in any order, any integer, bool or float type of either
//!   byte order (other fields and padding are skipped). `p > 0` is ON.
//! - **AEDAT 2.0** (jAER): header lines starting with `#` (the first `#!AER-DAT2.0`), then
//!   8-byte records of a **big-endian** 32-bit address and 32-bit timestamp (µs). The DVS128
//!   address holds the polarity in bit 0, x in bits 1–7 and y in bits 8–14; addresses with
//!   bit 15 or above set are external (sync) events and are skipped. We follow jAER's DVS128
//!   extractor: bit 0 clear is ON, and x is mirrored (`x = 127 − raw x`).
//! - **AEDAT 3.1** (iniVation cAER): header lines up to `#!END-HEADER`, then packets of a
//!   28-byte little-endian header (`eventType` i16, `eventSource` i16, `eventSize`,
//!   `eventTSOffset`, `eventTSOverflow`, `eventCapacity`, `eventNumber`, `eventValid`: i32)
//!   and `eventCapacity · eventSize` bytes of events. Polarity events (type 1, 8 bytes) are
//!   a u32 (bit 0 valid, bit 1 polarity — 1 is ON —, bits 2–16 y, bits 17–31 x) and an i32
//!   timestamp, extended to 64 bits by `eventTSOverflow << 31`. Other packet types are
//!   skipped; invalid events are dropped.
//!
//! Every reader names the file, the byte offset and the problem when it rejects a file.

use super::{Event, EventError, EventStream};
use std::path::Path;

fn read_bytes(path: &Path) -> Result<Vec<u8>, EventError> {
    std::fs::read(path).map_err(|source| EventError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), EventError> {
    std::fs::write(path, bytes).map_err(|source| EventError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn format_err(path: &Path, offset: usize, msg: impl Into<String>) -> EventError {
    EventError::Format {
        path: path.to_path_buf(),
        offset: offset as u64,
        msg: msg.into(),
    }
}

// ---------------------------------------------------------------- Tonic .npy

/// The scalar type of one structured-array field.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scalar {
    Int {
        size: usize,
        signed: bool,
        big: bool,
    },
    Float {
        size: usize,
        big: bool,
    },
    Bool,
    Pad(usize),
}

impl Scalar {
    fn parse(s: &str) -> Option<Scalar> {
        let (order, rest) = match s.chars().next()? {
            c @ ('<' | '>' | '|' | '=') => (c, &s[1..]),
            _ => ('=', s),
        };
        let big = order == '>';
        let kind = rest.chars().next()?;
        let size: usize = rest[1..].parse().ok()?;
        match (kind, size) {
            ('i', 1 | 2 | 4 | 8) => Some(Scalar::Int {
                size,
                signed: true,
                big,
            }),
            ('u', 1 | 2 | 4 | 8) => Some(Scalar::Int {
                size,
                signed: false,
                big,
            }),
            ('f', 4 | 8) => Some(Scalar::Float { size, big }),
            ('b', 1) | ('?', 1) => Some(Scalar::Bool),
            ('V', n) => Some(Scalar::Pad(n)),
            _ => None,
        }
    }

    fn size(self) -> usize {
        match self {
            Scalar::Int { size, .. } | Scalar::Float { size, .. } => size,
            Scalar::Bool => 1,
            Scalar::Pad(n) => n,
        }
    }

    /// The value at the start of `b` (at least `size()` bytes) as f64.
    fn get(self, b: &[u8]) -> f64 {
        let mut buf = [0u8; 8];
        let n = self.size().min(8);
        buf[..n].copy_from_slice(&b[..n]);
        let big = matches!(
            self,
            Scalar::Int { big: true, .. } | Scalar::Float { big: true, .. }
        );
        if big {
            buf[..n].reverse();
        }
        match self {
            Scalar::Int { size, signed, .. } => {
                let u = u64::from_le_bytes(buf);
                if signed && size < 8 {
                    let shift = 64 - 8 * size as u32;
                    (((u << shift) as i64) >> shift) as f64
                } else if signed {
                    u as i64 as f64
                } else {
                    u as f64
                }
            }
            Scalar::Float { size: 4, .. } => {
                f32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as f64
            }
            Scalar::Float { .. } => f64::from_le_bytes(buf),
            Scalar::Bool => (buf[0] != 0) as u8 as f64,
            Scalar::Pad(_) => 0.0,
        }
    }
}

/// A tiny reader of the Python-literal header dict, tracking positions for errors.
struct Literal<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Literal<'a> {
    fn skip_ws(&mut self) {
        while self.s[self.pos..].starts_with([' ', '\t', '\n', '\r']) {
            self.pos += 1;
        }
    }
    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.s[self.pos..].starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn string(&mut self) -> Option<&'a str> {
        self.skip_ws();
        let q = self.s[self.pos..]
            .chars()
            .next()
            .filter(|c| *c == '\'' || *c == '"')?;
        let start = self.pos + 1;
        let end = start + self.s[start..].find(q)?;
        self.pos = end + 1;
        Some(&self.s[start..end])
    }
}

/// The fields `t`, `x`, `y`, `p`: (byte offset in the record, type).
struct Fields {
    t: (usize, Scalar),
    x: (usize, Scalar),
    y: (usize, Scalar),
    p: (usize, Scalar),
    itemsize: usize,
}

/// Parses the structured `descr` list and the 1-D shape of a `.npy` header.
fn parse_header(path: &Path, header: &str, base: usize) -> Result<(Fields, usize), EventError> {
    let at = |pos: usize, msg: String| format_err(path, base + pos, msg);
    let key = header
        .find("'descr'")
        .or_else(|| header.find("\"descr\""))
        .ok_or_else(|| at(0, "the header has no 'descr' key".into()))?;
    let mut lit = Literal {
        s: header,
        pos: key + 7,
    };
    if !lit.eat(':') || !lit.eat('[') {
        return Err(at(
            lit.pos,
            "'descr' is not a list of fields: this is a plain array, but Tonic event files are structured arrays with fields t, x, y, p".into(),
        ));
    }
    let mut fields: Vec<(String, usize, Scalar)> = Vec::new();
    let mut offset = 0;
    loop {
        if lit.eat(']') {
            break;
        }
        let start = lit.pos;
        let (Some(true), Some(name), Some(true), Some(ty)) = (
            Some(lit.eat('(')),
            lit.string(),
            Some(lit.eat(',')),
            lit.string(),
        ) else {
            return Err(at(
                start,
                "expected a field ('name', 'type') in 'descr'".into(),
            ));
        };
        if !lit.eat(')') {
            return Err(at(
                lit.pos,
                format!(
                    "field '{name}' has a sub-array shape or is malformed; event fields are scalars"
                ),
            ));
        }
        let scalar = Scalar::parse(ty).ok_or_else(|| {
            at(start, format!("field '{name}' has type '{ty}', which is not an integer, bool, float or padding type"))
        })?;
        fields.push((name.to_string(), offset, scalar));
        offset += scalar.size();
        lit.eat(',');
    }
    let find = |n: &str| -> Result<(usize, Scalar), EventError> {
        fields
            .iter()
            .find(|f| f.0 == n && !matches!(f.2, Scalar::Pad(_)))
            .map(|f| (f.1, f.2))
            .ok_or_else(|| {
                let names: Vec<&str> = fields.iter().map(|f| f.0.as_str()).collect();
                at(
                    key,
                    format!(
                        "no field '{n}' among {names:?}; Tonic event files have fields t, x, y, p"
                    ),
                )
            })
    };
    let f = Fields {
        t: find("t")?,
        x: find("x")?,
        y: find("y")?,
        p: find("p")?,
        itemsize: offset,
    };
    let skey = header
        .find("'shape'")
        .or_else(|| header.find("\"shape\""))
        .ok_or_else(|| at(0, "the header has no 'shape' key".into()))?;
    let mut lit = Literal {
        s: header,
        pos: skey + 7,
    };
    if !lit.eat(':') || !lit.eat('(') {
        return Err(at(lit.pos, "'shape' is not a tuple".into()));
    }
    lit.skip_ws();
    let digits: String = header[lit.pos..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let n: usize = digits
        .parse()
        .map_err(|_| at(lit.pos, "'shape' must be (N,): one dimension".into()))?;
    lit.pos += digits.len();
    let _ = lit.eat(',');
    if !lit.eat(')') {
        return Err(at(
            lit.pos,
            format!(
                "'shape' has more than one dimension; an event array is (N,) with N = {n} here"
            ),
        ));
    }
    Ok((f, n))
}

/// Reads a Tonic event file (see the module docs) into a stream on a `sensor = (width,
/// height)` sensor, or the smallest sensor that holds the events.
pub fn read_tonic_npy(path: &Path, sensor: Option<(u16, u16)>) -> Result<EventStream, EventError> {
    let buf = read_bytes(path)?;
    if !buf.starts_with(b"\x93NUMPY") {
        return Err(format_err(
            path,
            0,
            "not a .npy file: it does not start with \\x93NUMPY",
        ));
    }
    let (hlen, base) = match buf.get(6) {
        Some(1) if buf.len() >= 10 => (u16::from_le_bytes([buf[8], buf[9]]) as usize, 10),
        Some(2 | 3) if buf.len() >= 12 => (
            u32::from_le_bytes([buf[8], buf[9], buf[10], buf[11]]) as usize,
            12,
        ),
        Some(v @ (1..=3)) => {
            return Err(format_err(
                path,
                buf.len(),
                format!("the file ends inside the version {v} preamble"),
            ));
        }
        v => {
            return Err(format_err(
                path,
                6,
                format!("unsupported .npy version {v:?} (1, 2 and 3 are read)"),
            ));
        }
    };
    let header = buf.get(base..base + hlen).ok_or_else(|| {
        format_err(
            path,
            buf.len(),
            format!("the header says {hlen} bytes but the file ends first"),
        )
    })?;
    let header = std::str::from_utf8(header)
        .map_err(|e| format_err(path, base + e.valid_up_to(), "the header is not text"))?;
    let (f, n) = parse_header(path, header, base)?;
    let data = base + hlen;
    let want = n * f.itemsize;
    if buf.len() - data != want {
        let msg = format!(
            "the header says {n} events of {} bytes ({want} bytes) but {} bytes follow",
            f.itemsize,
            buf.len() - data
        );
        return Err(format_err(path, data + want.min(buf.len() - data), msg));
    }
    let mut events = Vec::with_capacity(n);
    for i in 0..n {
        let r = data + i * f.itemsize;
        let rec = &buf[r..r + f.itemsize];
        let get = |(o, s): (usize, Scalar)| s.get(&rec[o..]);
        let (t, x, y, p) = (get(f.t), get(f.x), get(f.y), get(f.p));
        if !(t >= 0.0 && t.is_finite()) {
            return Err(format_err(
                path,
                r + f.t.0,
                format!("event {i} has time t = {t}; times are µs ≥ 0"),
            ));
        }
        for (v, (o, _), name) in [(x, f.x, "x"), (y, f.y, "y")] {
            if !(v >= 0.0 && v <= u16::MAX as f64 && v.fract() == 0.0) {
                return Err(format_err(
                    path,
                    r + o,
                    format!(
                        "event {i} has {name} = {v}; pixel coordinates are whole numbers 0 … 65535"
                    ),
                ));
            }
        }
        events.push(Event {
            t: t.round() as u64,
            x: x as u16,
            y: y as u16,
            on: p > 0.0,
        });
    }
    EventStream::fitted(events, sensor)
}

/// Writes `s` as a Tonic `.npy` event file with fields `t` (`<i8`, µs), `x`, `y` (`<i2`)
/// and `p` (`|u1`, 1 = ON), NumPy format 1.0.
pub fn write_tonic_npy(path: &Path, s: &EventStream) -> Result<(), EventError> {
    write_bytes(path, &encode_tonic_npy(s))
}

/// The bytes [`write_tonic_npy`] writes.
pub fn encode_tonic_npy(s: &EventStream) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': [('t', '<i8'), ('x', '<i2'), ('y', '<i2'), ('p', '|u1')], 'fortran_order': False, 'shape': ({},), }}",
        s.events.len()
    );
    // Magic, version, length and header (with its newline) fill a multiple of 64 bytes.
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for e in &s.events {
        out.extend_from_slice(&(e.t as i64).to_le_bytes());
        out.extend_from_slice(&(e.x as i16).to_le_bytes());
        out.extend_from_slice(&(e.y as i16).to_le_bytes());
        out.push(e.on as u8);
    }
    out
}

// ---------------------------------------------------------------- AEDAT

/// The offset just past the `#` header lines at the start of `buf`.
fn skip_header_lines(buf: &[u8], until: Option<&[u8]>) -> Option<usize> {
    let mut pos = 0;
    while buf.get(pos) == Some(&b'#') {
        let end = pos + buf[pos..].iter().position(|&b| b == b'\n')? + 1;
        let line = &buf[pos..end];
        pos = end;
        if until.is_some_and(|u| line.starts_with(u)) {
            return Some(pos);
        }
    }
    if until.is_some() { None } else { Some(pos) }
}

fn first_line(buf: &[u8]) -> String {
    let end = buf
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(buf.len())
        .min(40);
    String::from_utf8_lossy(&buf[..end]).trim_end().to_string()
}

/// Reads an AEDAT 2.0 file of DVS128 events (see the module docs) into a 128 × 128 stream.
pub fn read_aedat2_dvs128(path: &Path) -> Result<EventStream, EventError> {
    let buf = read_bytes(path)?;
    if !buf.starts_with(b"#!AER-DAT2.0") {
        return Err(format_err(
            path,
            0,
            format!(
                "not an AEDAT 2.0 file: it starts with {:?}, expected \"#!AER-DAT2.0\"",
                first_line(&buf)
            ),
        ));
    }
    let data = skip_header_lines(&buf, None)
        .ok_or_else(|| format_err(path, buf.len(), "the file ends inside a header line"))?;
    let body = &buf[data..];
    if body.len() % 8 != 0 {
        let at = data + body.len() / 8 * 8;
        return Err(format_err(
            path,
            at,
            format!(
                "the last record is truncated: {} bytes where an 8-byte (address, timestamp) record was expected",
                body.len() % 8
            ),
        ));
    }
    let mut events = Vec::with_capacity(body.len() / 8);
    let mut last = 0u64;
    for (i, r) in body.chunks_exact(8).enumerate() {
        let addr = u32::from_be_bytes([r[0], r[1], r[2], r[3]]);
        let t = u32::from_be_bytes([r[4], r[5], r[6], r[7]]) as u64;
        if addr >= 0x8000 {
            continue;
        }
        if t < last {
            return Err(format_err(
                path,
                data + 8 * i + 4,
                format!(
                    "timestamp {t} µs is earlier than the previous event's {last} µs (timestamp wrap or reset)"
                ),
            ));
        }
        last = t;
        events.push(Event {
            t,
            x: 127 - ((addr >> 1) & 0x7F) as u16,
            y: ((addr >> 8) & 0x7F) as u16,
            on: addr & 1 == 0,
        });
    }
    EventStream::new(128, 128, events)
}

/// Writes `s` (a sensor of at most 128 × 128) as an AEDAT 2.0 DVS128 file.
pub fn write_aedat2_dvs128(path: &Path, s: &EventStream) -> Result<(), EventError> {
    let bytes = encode_aedat2_dvs128(s).map_err(|msg| EventError::Invalid {
        what: format!("write_aedat2_dvs128({}): {msg}", path.display()),
        hint: "DVS128 files hold 128 × 128 pixels and 32-bit µs timestamps".into(),
    })?;
    write_bytes(path, &bytes)
}

/// The bytes [`write_aedat2_dvs128`] writes, or what makes `s` unrepresentable.
pub fn encode_aedat2_dvs128(s: &EventStream) -> Result<Vec<u8>, String> {
    if s.width > 128 || s.height > 128 {
        return Err(format!("the sensor is {} × {}", s.width, s.height));
    }
    let mut out =
        b"#!AER-DAT2.0\r\n# This is a raw AE data file created by ganglion-data\r\n".to_vec();
    for e in &s.events {
        let t = u32::try_from(e.t).map_err(|_| format!("time {} µs overflows 32 bits", e.t))?;
        let addr = ((e.y as u32) << 8) | ((127 - e.x as u32) << 1) | (!e.on as u32);
        out.extend_from_slice(&addr.to_be_bytes());
        out.extend_from_slice(&t.to_be_bytes());
    }
    Ok(out)
}

/// Reads the polarity events of an AEDAT 3.1 file (see the module docs) into a stream on a
/// `sensor = (width, height)` sensor, or the smallest that holds the events.
pub fn read_aedat31(path: &Path, sensor: Option<(u16, u16)>) -> Result<EventStream, EventError> {
    let buf = read_bytes(path)?;
    if !buf.starts_with(b"#!AER-DAT3.1") {
        return Err(format_err(
            path,
            0,
            format!(
                "not an AEDAT 3.1 file: it starts with {:?}, expected \"#!AER-DAT3.1\"",
                first_line(&buf)
            ),
        ));
    }
    let mut pos = skip_header_lines(&buf, Some(b"#!END-HEADER"))
        .ok_or_else(|| format_err(path, buf.len(), "no #!END-HEADER line closes the header"))?;
    let mut events = Vec::new();
    while pos < buf.len() {
        let h = buf.get(pos..pos + 28).ok_or_else(|| {
            format_err(
                path,
                pos,
                format!("truncated packet header: {} of 28 bytes", buf.len() - pos),
            )
        })?;
        let i32_at = |o: usize| i32::from_le_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
        let kind = i16::from_le_bytes([h[0], h[1]]);
        let (size, ts_offset, overflow, capacity, number) =
            (i32_at(4), i32_at(8), i32_at(12), i32_at(16), i32_at(20));
        if size <= 0 || capacity < 0 || number < 0 || number > capacity {
            return Err(format_err(
                path,
                pos,
                format!(
                    "bad packet header: eventSize {size}, eventCapacity {capacity}, eventNumber {number}"
                ),
            ));
        }
        let body = pos + 28;
        let len = size as usize * capacity as usize;
        if buf.len() < body + len {
            return Err(format_err(
                path,
                body,
                format!(
                    "packet of {capacity} events × {size} bytes runs past the end of the file ({} bytes left)",
                    buf.len() - body
                ),
            ));
        }
        if kind == 1 {
            if size != 8 || ts_offset != 4 {
                return Err(format_err(
                    path,
                    pos + 4,
                    format!(
                        "polarity packet with eventSize {size} and eventTSOffset {ts_offset}, expected 8 and 4"
                    ),
                ));
            }
            for k in 0..number as usize {
                let r = &buf[body + 8 * k..body + 8 * k + 8];
                let data = u32::from_le_bytes([r[0], r[1], r[2], r[3]]);
                let ts = i32::from_le_bytes([r[4], r[5], r[6], r[7]]);
                if data & 1 == 0 {
                    continue;
                }
                if ts < 0 {
                    return Err(format_err(
                        path,
                        body + 8 * k + 4,
                        format!("negative timestamp {ts}"),
                    ));
                }
                events.push(Event {
                    t: ((overflow as u64) << 31) | ts as u64,
                    x: ((data >> 17) & 0x7FFF) as u16,
                    y: ((data >> 2) & 0x7FFF) as u16,
                    on: (data >> 1) & 1 == 1,
                });
            }
        }
        pos = body + len;
    }
    EventStream::fitted(events, sensor)
}

/// Writes `s` as an AEDAT 3.1 file: a minimal header and one polarity packet per
/// `packet` events (source 1, timestamps split into 31-bit parts and overflow counts).
pub fn write_aedat31(path: &Path, s: &EventStream, packet: usize) -> Result<(), EventError> {
    write_bytes(path, &encode_aedat31(s, packet))
}

/// The bytes [`write_aedat31`] writes.
pub fn encode_aedat31(s: &EventStream, packet: usize) -> Vec<u8> {
    let mut out =
        b"#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: ganglion-data\r\n#!END-HEADER\r\n".to_vec();
    let packet = packet.max(1);
    let mut i = 0;
    while i < s.events.len() {
        // One packet holds one overflow epoch.
        let epoch = s.events[i].t >> 31;
        let mut j = i;
        while j < s.events.len() && j - i < packet && s.events[j].t >> 31 == epoch {
            j += 1;
        }
        let n = (j - i) as i32;
        for v in [1i16, 1] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [8, 4, epoch as i32, n, n, n] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for e in &s.events[i..j] {
            let data = ((e.x as u32) << 17) | ((e.y as u32) << 2) | ((e.on as u32) << 1) | 1;
            out.extend_from_slice(&data.to_le_bytes());
            out.extend_from_slice(&((e.t & 0x7FFF_FFFF) as i32).to_le_bytes());
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests;
