//! Half-precision conversion and dequantisation of ggml blocks to f32 (the block layouts are in
//! the parent module's table).

use super::GgmlType;

/// IEEE 754 half → single, exact (subnormals, infinities and NaN included).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let mant = (h & 0x3ff) as u32;
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: value m·2^-24, renormalised into an f32.
            let v = m as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -v } else { v };
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 112) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// Single → IEEE half, rounding to nearest even (for writing test files and tools).
pub fn f32_to_f16(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32;
    let mant = b & 0x7f_ffff;
    if exp == 0xff {
        return sign | 0x7c00 | if mant != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        if e < -10 {
            return sign;
        }
        let m = mant | 0x80_0000;
        let shift = (14 - e) as u32;
        let half = 1u32 << (shift - 1);
        let rest = m & ((1 << shift) - 1);
        let mut r = m >> shift;
        if rest > half || (rest == half && r & 1 == 1) {
            r += 1;
        }
        return sign | r as u16;
    }
    let mut r = ((e as u32) << 10) | (mant >> 13);
    let rest = mant & 0x1fff;
    if rest > 0x1000 || (rest == 0x1000 && r & 1 == 1) {
        r += 1; // may carry into the exponent, which is the correct rounding
    }
    sign | r as u16
}

fn f16_at(b: &[u8], i: usize) -> f32 {
    f16_to_f32(u16::from_le_bytes([b[i], b[i + 1]]))
}

/// Dequantise `raw` (whole blocks of type `ty`) into `out` (`out.len()` elements).
///
/// # Panics
/// If `raw` does not hold exactly `out.len()` elements of `ty` (a programming error: the
/// directory checks of [`GgufFile`] guarantee it for tensors read from files).
pub fn dequantize(ty: GgmlType, raw: &[u8], out: &mut [f32]) {
    let (block, bytes) = ty.block();
    assert!(
        out.len().is_multiple_of(block) && raw.len() == out.len() / block * bytes,
        "dequantize {ty}: {} bytes for {} elements (blocks of {block} elements in {bytes} bytes)",
        raw.len(),
        out.len()
    );
    use rayon::prelude::*;
    // Chunks of whole blocks, dequantised in parallel: loading the 135M model is
    // dominated by this loop.
    let per_chunk = block * (16384 / block).max(1);
    out.par_chunks_mut(per_chunk)
        .zip(raw.par_chunks(per_chunk / block * bytes))
        .for_each(|(y, x)| {
            for (y, x) in y.chunks_exact_mut(block).zip(x.chunks_exact(bytes)) {
                dequantize_block(ty, x, y);
            }
        });
}

fn dequantize_block(ty: GgmlType, x: &[u8], y: &mut [f32]) {
    match ty {
        GgmlType::F32 => y[0] = f32::from_le_bytes([x[0], x[1], x[2], x[3]]),
        GgmlType::F16 => y[0] = f16_at(x, 0),
        GgmlType::BF16 => y[0] = f32::from_bits((u16::from_le_bytes([x[0], x[1]]) as u32) << 16),
        GgmlType::Q8_0 => {
            let d = f16_at(x, 0);
            for (y, &q) in y.iter_mut().zip(&x[2..34]) {
                *y = d * (q as i8) as f32;
            }
        }
        GgmlType::Q4_0 => {
            let d = f16_at(x, 0);
            for j in 0..16 {
                let q = x[2 + j];
                y[j] = d * ((q & 0xf) as i32 - 8) as f32;
                y[j + 16] = d * ((q >> 4) as i32 - 8) as f32;
            }
        }
        GgmlType::Q4_1 => {
            let (d, m) = (f16_at(x, 0), f16_at(x, 2));
            for j in 0..16 {
                let q = x[4 + j];
                y[j] = d * (q & 0xf) as f32 + m;
                y[j + 16] = d * (q >> 4) as f32 + m;
            }
        }
        GgmlType::Q4K => {
            let (d, dmin) = (f16_at(x, 0), f16_at(x, 2));
            let scales = &x[4..16];
            let qs = &x[16..144];
            for c in 0..4 {
                let (sc1, m1) = scale_min_k4(2 * c, scales);
                let (sc2, m2) = scale_min_k4(2 * c + 1, scales);
                let (d1, m1) = (d * sc1 as f32, dmin * m1 as f32);
                let (d2, m2) = (d * sc2 as f32, dmin * m2 as f32);
                let q = &qs[32 * c..32 * c + 32];
                let y = &mut y[64 * c..64 * c + 64];
                for l in 0..32 {
                    y[l] = d1 * (q[l] & 0xf) as f32 - m1;
                    y[l + 32] = d2 * (q[l] >> 4) as f32 - m2;
                }
            }
        }
        GgmlType::Q6K => {
            let ql = &x[0..128];
            let qh = &x[128..192];
            let sc = &x[192..208];
            let d = f16_at(x, 208);
            for n in 0..2 {
                let (ql, qh) = (&ql[64 * n..], &qh[32 * n..]);
                let sc = &sc[8 * n..];
                let y = &mut y[128 * n..128 * n + 128];
                for l in 0..32 {
                    let is = l / 16;
                    let q1 = ((ql[l] & 0xf) | ((qh[l] & 3) << 4)) as i32 - 32;
                    let q2 = ((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) as i32 - 32;
                    let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i32 - 32;
                    let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i32 - 32;
                    y[l] = d * (sc[is] as i8) as f32 * q1 as f32;
                    y[l + 32] = d * (sc[is + 2] as i8) as f32 * q2 as f32;
                    y[l + 64] = d * (sc[is + 4] as i8) as f32 * q3 as f32;
                    y[l + 96] = d * (sc[is + 6] as i8) as f32 * q4 as f32;
                }
            }
        }
    }
}

/// The 6-bit scale and minimum of sub-block `j` (0..8) of a Q4_K super-block, packed in 12
/// bytes as ggml's `get_scale_min_k4` unpacks them.
fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}
