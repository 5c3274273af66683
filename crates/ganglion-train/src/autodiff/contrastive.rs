//! Symmetric contrastive InfoNCE loss (the CLIP loss, Radford et al. 2021; van den Oord et al.
//! 2018), with optional soft targets for batches in which several pairs share a class.
//!
//! ```text
//! â_i = a_i / |a_i|,  b̂_j = b_j / |b_j|            (rows L2-normalised)
//! S_ij = â_i · b̂_j / τ                             (cosine similarity over temperature τ)
//! L_a→b = −(1/n) Σ_i Σ_j T_ij log softmax_j(S_i·)
//! L_b→a = −(1/n) Σ_j Σ_i T'_ji log softmax_i(S_·j)
//! L = ½ (L_a→b + L_b→a)
//! ```
//!
//! With `targets = None`, T is the identity (row i of `a` is paired with row i of `b`), the
//! loss of CLIP. With a target matrix, each row of T (and of T', the column-normalised
//! transpose) is a distribution over the positives, as in supervised contrastive learning
//! (Khosla et al. 2020): [`class_targets`] builds it from labels, so that items of one class are
//! not pushed apart as negatives. Differentiated by candle's tape; the unit tests check the
//! gradient against central finite differences ([`super::grad_check`]).

use super::{D, DType, Device, Result, Tensor};

/// Rows of a 2-D tensor divided by their L2 norms (plus `1e-12` under the root, so a zero row
/// stays finite).
pub fn l2_normalise(x: &Tensor) -> Result<Tensor> {
    let norm = (x.sqr()?.sum_keepdim(D::Minus1)? + 1e-12)?.sqrt()?;
    x.broadcast_div(&norm)
}

/// Row-wise log-softmax of a 2-D tensor, stabilised by the (detached) row maximum.
pub fn log_softmax_rows(z: &Tensor) -> Result<Tensor> {
    let m = z.max_keepdim(D::Minus1)?.detach();
    let s = z.broadcast_sub(&m)?;
    let lse = s.exp()?.sum_keepdim(D::Minus1)?.log()?;
    s.broadcast_sub(&lse)
}

/// Cosine-similarity logits S = â b̂ᵀ / τ of `a` (n, d) and `b` (m, d): shape (n, m).
pub fn similarity_logits(a: &Tensor, b: &Tensor, temperature: f64) -> Result<Tensor> {
    if !(temperature > 0.0 && temperature.is_finite()) {
        candle_core::bail!("info_nce: temperature = {temperature}; it must be positive (e.g. 0.1)");
    }
    let (a, b) = (l2_normalise(a)?, l2_normalise(b)?);
    a.matmul(&b.t()?)? / temperature
}

/// Soft targets T (n, m) for labels `la` (rows) and `lb` (columns): T_ij = 1/#{j : lb_j = la_i}
/// where the labels agree, else 0 (a row with no positive stays all zero). Stored as `dtype`.
pub fn class_targets(la: &[usize], lb: &[usize], dtype: DType) -> Result<Tensor> {
    let (n, m) = (la.len(), lb.len());
    let mut t = vec![0.0f64; n * m];
    for (i, &c) in la.iter().enumerate() {
        let k = lb.iter().filter(|&&d| d == c).count();
        if k == 0 {
            continue;
        }
        for (j, &d) in lb.iter().enumerate() {
            if d == c {
                t[i * m + j] = 1.0 / k as f64;
            }
        }
    }
    Tensor::from_vec(t, (n, m), &Device::Cpu)?.to_dtype(dtype)
}

/// Symmetric InfoNCE of embeddings `a` (n, d) and `b` (n, d) at temperature `temperature`
/// (dimensionless; similarities are cosines in [−1, 1]). `targets`: `None` pairs row i with
/// row i; `Some(T)` (n, n, rows summing to 1, e.g. from [`class_targets`]) spreads each row's
/// target over its positives, and the b→a direction uses Tᵀ with its rows renormalised.
/// Returns a scalar in nats.
pub fn info_nce(
    a: &Tensor,
    b: &Tensor,
    temperature: f64,
    targets: Option<&Tensor>,
) -> Result<Tensor> {
    let (n, da) = a.dims2()?;
    let (m, db) = b.dims2()?;
    if n != m || da != db || n == 0 {
        candle_core::bail!(
            "info_nce: a is ({n}, {da}) and b is ({m}, {db}); they must be paired rows of one width"
        );
    }
    let s = similarity_logits(a, b, temperature)?;
    let t = match targets {
        Some(t) => {
            if t.dims2()? != (n, n) {
                candle_core::bail!("info_nce: targets are {:?}, expected ({n}, {n})", t.shape());
            }
            t.to_dtype(s.dtype())?.detach()
        }
        None => Tensor::eye(n, s.dtype(), &Device::Cpu)?,
    };
    let tt = t.t()?;
    let tt = tt.broadcast_div(&(tt.sum_keepdim(D::Minus1)? + 1e-30)?)?;
    let ab = (log_softmax_rows(&s)? * &t)?.sum_all()?.neg()?;
    let ba = (log_softmax_rows(&s.t()?)? * tt)?.sum_all()?.neg()?;
    (ab + ba)? / (2.0 * n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::{Params, grad_check};

    fn scalar(t: &Tensor) -> f64 {
        t.to_dtype(DType::F64)
            .expect("f64")
            .to_scalar::<f64>()
            .expect("scalar")
    }

    #[test]
    fn matches_a_plain_loop_and_its_gradient_matches_finite_differences() {
        let mut p = Params::new();
        let a = p.normal("a", &[5, 3], 1.0, 41, DType::F64).expect("a");
        let b = p.normal("b", &[5, 3], 1.0, 42, DType::F64).expect("b");
        let tau = 0.3;
        let l = scalar(&info_nce(&a, &b, tau, None).expect("loss"));
        // Plain loop.
        let av: Vec<Vec<f64>> = a.as_tensor().to_vec2().expect("a");
        let bv: Vec<Vec<f64>> = b.as_tensor().to_vec2().expect("b");
        let unit = |v: &Vec<f64>| {
            let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v.iter().map(|x| x / n).collect::<Vec<_>>()
        };
        let (au, bu): (Vec<_>, Vec<_>) =
            (av.iter().map(unit).collect(), bv.iter().map(unit).collect());
        let s: Vec<Vec<f64>> = au
            .iter()
            .map(|x| {
                bu.iter()
                    .map(|y| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>() / tau)
                    .collect()
            })
            .collect();
        let mut want = 0.0;
        for (i, row) in s.iter().enumerate() {
            let row_lse = row.iter().map(|v| v.exp()).sum::<f64>().ln();
            let col_lse = s.iter().map(|r| r[i].exp()).sum::<f64>().ln();
            want += (row_lse - row[i]) + (col_lse - row[i]);
        }
        want /= 10.0;
        assert!((l - want).abs() < 1e-9, "{l} vs {want}");
        let g = grad_check(&p, || info_nce(&a, &b, tau, None), 1e-5, 15).expect("check");
        assert!(g.max_rel_err < 1e-6, "{g:?}");
        // Class targets: two classes, the gradient is still exact.
        let t = class_targets(&[0, 1, 0, 1, 1], &[0, 1, 0, 1, 1], DType::F64).expect("t");
        let rows: Vec<Vec<f64>> = t.to_vec2().expect("t");
        assert_eq!(rows[0], vec![0.5, 0.0, 0.5, 0.0, 0.0]);
        let g = grad_check(&p, || info_nce(&a, &b, tau, Some(&t)), 1e-5, 15).expect("check");
        assert!(g.max_rel_err < 1e-6, "{g:?}");
        // Identity targets given explicitly equal the default.
        let eye = Tensor::eye(5, DType::F64, &Device::Cpu).expect("eye");
        let l2 = scalar(&info_nce(&a, &b, tau, Some(&eye)).expect("loss"));
        assert!((l - l2).abs() < 1e-12);
        assert!(info_nce(&a, &b, 0.0, None).is_err());
    }

    #[test]
    fn aligned_embeddings_give_a_lower_loss_than_random_ones() {
        let mut p = Params::new();
        let a = p.normal("a", &[8, 4], 1.0, 7, DType::F64).expect("a");
        let b = p.normal("b", &[8, 4], 1.0, 8, DType::F64).expect("b");
        let aligned = scalar(&info_nce(&a, &a, 0.1, None).expect("l"));
        let random = scalar(&info_nce(&a, &b, 0.1, None).expect("l"));
        assert!(aligned < random, "{aligned} vs {random}");
        // Lower bound 0, and chance ln n for identical similarities.
        let z = Tensor::ones((8, 4), DType::F64, &Device::Cpu).expect("ones");
        let flat = scalar(&info_nce(&z, &z, 0.1, None).expect("l"));
        assert!((flat - 8f64.ln()).abs() < 1e-9);
    }
}
