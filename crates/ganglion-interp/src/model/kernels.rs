//! The numeric kernels of the forward pass: matrix products (faer, rows split across threads),
//! RMSNorm, RoPE, causal attention scores, softmax and the value mix.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::Config;

/// `out[n, m] = x[n, k] · w[m, k]ᵀ` (all row-major), with faer's f32 GEMM.
pub fn matmul_t(x: &[f32], n: usize, k: usize, w: &[f32], m: usize, out: &mut [f32]) {
    matmul_t_many(x, n, k, &mut [(w, m, out)]);
}

/// One product of [`matmul_t_many`]: weight `[m, k]`, `m`, output `[n, m]`.
pub type Product<'a> = (&'a [f32], usize, &'a mut [f32]);

/// Several products of one input, `out_i[n, m_i] = x[n, k] · w_i[m_i, k]ᵀ` (all row-major).
///
/// With enough rows, the rows are split into one block per thread and each block runs
/// faer's sequential kernel for every product: one fork-join for all the products instead
/// of faer's internal synchronisation per product, which on few cores costs more than the
/// arithmetic of these mid-sized matrices. With few rows (the last position only, one short
/// prompt) faer parallelises inside each product.
pub fn matmul_t_many(x: &[f32], n: usize, k: usize, prods: &mut [Product]) {
    for (w, m, out) in prods.iter() {
        assert!(
            x.len() == n * k && w.len() == m * k && out.len() == n * m,
            "matmul_t: x {} (n {n}, k {k}), w {} (m {m}), out {}",
            x.len(),
            w.len(),
            out.len()
        );
    }
    let threads = rayon::current_num_threads();
    let gemm = |x: &[f32], rows: usize, w: &[f32], m: usize, out: &mut [f32], par: Par| {
        let lhs = MatRef::from_row_major_slice(x, rows, k);
        let rhs = MatRef::from_row_major_slice(w, m, k).transpose();
        let dst = MatMut::from_row_major_slice_mut(out, rows, m);
        matmul(dst, Accum::Replace, lhs, rhs, 1.0f32, par);
    };
    if threads == 1 || n < 16 * threads {
        for (w, m, out) in prods.iter_mut() {
            gemm(x, n, w, *m, out, Par::rayon(0));
        }
        return;
    }
    let rows = n.div_ceil(threads);
    // Split every output into the same row blocks, then hand block i of all of them to
    // one task.
    let mut blocks: Vec<Vec<Product>> = (0..n.div_ceil(rows)).map(|_| Vec::new()).collect();
    for (w, m, out) in prods.iter_mut() {
        for (b, chunk) in out.chunks_mut(rows * *m).enumerate() {
            blocks[b].push((*w, *m, chunk));
        }
    }
    blocks.into_par_iter().enumerate().for_each(|(b, list)| {
        let r0 = b * rows;
        let r = rows.min(n - r0);
        let xs = &x[r0 * k..(r0 + r) * k];
        for (w, m, out) in list {
            gemm(xs, r, w, m, out, Par::Seq);
        }
    });
}

/// RMSNorm of each row of `x` (`[rows, d]`): `out = x / scale · w`; returns the scales
/// `√(mean(x²) + ε)`, one per row.
pub fn rms_norm(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) -> Vec<f32> {
    let d = w.len();
    let mut scales = vec![0f32; x.len() / d];
    out.par_chunks_mut(d)
        .zip(x.par_chunks(d))
        .zip(scales.par_iter_mut())
        .for_each(|((o, x), s)| {
            let ms = x.iter().map(|v| (v * v) as f64).sum::<f64>() / d as f64;
            *s = (ms + eps as f64).sqrt() as f32;
            let inv = 1.0 / *s;
            for ((o, x), w) in o.iter_mut().zip(x).zip(w) {
                *o = x * inv * w;
            }
        });
    scales
}

pub(super) fn apply_scale(x: &[f32], scale: &[f32], w: &[f32], out: &mut [f32]) {
    let d = w.len();
    out.par_chunks_mut(d)
        .zip(x.par_chunks(d))
        .zip(scale.par_iter())
        .for_each(|((o, x), s)| {
            // The same formula as `rms_norm`, so an unchanged scale gives identical bits.
            let inv = 1.0 / *s;
            for ((o, x), w) in o.iter_mut().zip(x).zip(w) {
                *o = x * inv * w;
            }
        });
}

pub(super) fn add_in_place(x: &mut [f32], y: &[f32]) {
    x.par_chunks_mut(4096)
        .zip(y.par_chunks(4096))
        .for_each(|(x, y)| {
            for (x, y) in x.iter_mut().zip(y) {
                *x += y;
            }
        });
}

/// cos and sin of `pos · base^(−2i/d_head)`, `[pos, d_head/2]`, computed in f64.
pub(super) fn rope_tables(p: usize, d_head: usize, base: f64) -> (Vec<f32>, Vec<f32>) {
    let half = d_head / 2;
    let mut cos = vec![0f32; p * half];
    let mut sin = vec![0f32; p * half];
    for t in 0..p {
        for i in 0..half {
            let theta = t as f64 * base.powf(-2.0 * i as f64 / d_head as f64);
            cos[t * half + i] = theta.cos() as f32;
            sin[t * half + i] = theta.sin() as f32;
        }
    }
    (cos, sin)
}

/// Rotate-half RoPE on `x` (`[batch, pos, heads, d_head]`) in place: the pair
/// `(x_i, x_{i+d_head/2})` turns by the angle of position and frequency `i`.
pub(super) fn rope(x: &mut [f32], p: usize, heads: usize, d_head: usize, cos: &[f32], sin: &[f32]) {
    let half = d_head / 2;
    x.par_chunks_mut(d_head).enumerate().for_each(|(i, h)| {
        let t = (i / heads) % p;
        let (c, s) = (&cos[t * half..][..half], &sin[t * half..][..half]);
        let (x1, x2) = h.split_at_mut(half);
        for j in 0..half {
            let (a, b) = (x1[j], x2[j]);
            x1[j] = a * c[j] - b * s[j];
            x2[j] = b * c[j] + a * s[j];
        }
    });
}

pub(super) fn attention_scores(q: &[f32], k: &[f32], b: usize, p: usize, c: &Config) -> Vec<f32> {
    let (nh, nkv, dh) = (c.n_heads, c.n_kv_heads, c.d_head);
    let rep = nh / nkv;
    let inv = 1.0 / (dh as f32).sqrt();
    let mut scores = vec![0f32; b * nh * p * p];
    scores
        .par_chunks_mut(p * p)
        .enumerate()
        .for_each(|(bh, s)| {
            let (bi, h) = (bh / nh, bh % nh);
            let g = h / rep;
            for i in 0..p {
                let qi = &q[((bi * p + i) * nh + h) * dh..][..dh];
                for j in 0..p {
                    s[i * p + j] = if j > i {
                        f32::NEG_INFINITY
                    } else {
                        let kj = &k[((bi * p + j) * nkv + g) * dh..][..dh];
                        qi.iter().zip(kj).map(|(a, b)| a * b).sum::<f32>() * inv
                    };
                }
            }
        });
    scores
}

pub(super) fn softmax_rows(s: &mut [f32], p: usize) {
    s.par_chunks_mut(p).for_each(|row| {
        let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0f32;
        for v in row.iter_mut() {
            *v = if *v == f32::NEG_INFINITY {
                0.0
            } else {
                (*v - m).exp()
            };
            sum += *v;
        }
        for v in row.iter_mut() {
            *v /= sum;
        }
    });
}

pub(super) fn attention_mix(
    pattern: &[f32],
    v: &[f32],
    b: usize,
    p: usize,
    c: &Config,
) -> Vec<f32> {
    let (nh, nkv, dh) = (c.n_heads, c.n_kv_heads, c.d_head);
    let rep = nh / nkv;
    let mut z = vec![0f32; b * p * nh * dh];
    z.par_chunks_mut(nh * dh).enumerate().for_each(|(r, zr)| {
        let (bi, i) = (r / p, r % p);
        for h in 0..nh {
            let g = h / rep;
            let pr = &pattern[((bi * nh + h) * p + i) * p..][..p];
            let zh = &mut zr[h * dh..(h + 1) * dh];
            for (j, &a) in pr.iter().enumerate() {
                if a == 0.0 {
                    continue;
                }
                let vj = &v[((bi * p + j) * nkv + g) * dh..][..dh];
                for (z, v) in zh.iter_mut().zip(vj) {
                    *z += a * v;
                }
            }
        }
    });
    z
}
