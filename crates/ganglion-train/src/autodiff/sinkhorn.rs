//! Debiased Sinkhorn divergence between two point clouds (Feydy et al. 2019, the
//! `geomloss.SamplesLoss("sinkhorn", p=2, blur=…)` loss that Torre et al. 2025 train their
//! HMM-emulating RNNs with).
//!
//! ```text
//! C(x, y)   = ½ |x − y|²                                   (cost, squared Euclidean / 2)
//! OT_ε(α,β) = max_{f,g} ⟨α,f⟩ + ⟨β,g⟩ − ε ⟨α⊗β, e^{(f⊕g−C)/ε} − 1⟩
//! S_ε(α,β)  = OT_ε(α,β) − ½ OT_ε(α,α) − ½ OT_ε(β,β)        (debiased divergence)
//! ```
//!
//! with uniform weights on the n rows of `x` and the m rows of `y`, ε = blur². The dual
//! potentials are found on the host in f64 by log-domain Sinkhorn iterations with ε-scaling
//! (ε annealed from the squared diameter of the clouds down to blur² by a factor scaling²
//! per stage, as geomloss does), then polished at the final ε until the potentials move less
//! than `tol` or `max_iters` is reached.
//!
//! **Gradient.** By the envelope theorem, with the potentials at their optimum the gradient of
//! OT_ε with respect to the points is that of ⟨π, C(x, y)⟩ with the transport plan
//! π_ij = a_i b_j e^{(f_i+g_j−C_ij)/ε} held fixed. The returned scalar therefore carries the
//! value S_ε and the gradient of ⟨π_xy, C(x,y)⟩ − ½⟨π_xx, C(x,x)⟩ − ½⟨π_yy, C(y,y)⟩ (both
//! arguments of the self terms live), built from candle tensor operations so that it flows
//! back into whatever produced `x` and `y`. The unit test compares it with central finite
//! differences of the converged value.

use super::{DType, Result, Tensor};

/// Settings of the Sinkhorn solver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SinkhornConfig {
    /// Blur (length units of the points); ε = blur² (geomloss' default `blur` is 0.05, the
    /// HMM-RNN paper uses 0.2).
    pub blur: f64,
    /// ε-scaling factor per stage in blur units (geomloss default 0.5): ε shrinks by scaling²
    /// per stage.
    pub scaling: f64,
    /// Most iterations at the final ε.
    pub max_iters: usize,
    /// Stop the final-ε iterations once the largest change of a potential is below this
    /// (cost units).
    pub tol: f64,
}

impl Default for SinkhornConfig {
    /// blur 0.2, scaling 0.5, up to 50 final iterations, tol 1e-6.
    fn default() -> Self {
        Self {
            blur: 0.2,
            scaling: 0.5,
            max_iters: 50,
            tol: 1e-6,
        }
    }
}

/// Dual solution of one entropic OT problem: value and transport plan (row-major n × m).
#[derive(Debug, Clone)]
pub struct OtSolution {
    /// OT_ε value ⟨a, f⟩ + ⟨b, g⟩ (cost units).
    pub value: f64,
    /// Transport plan π_ij (sums to 1), row-major n × m.
    pub plan: Vec<f64>,
    /// Iterations done in total (all ε stages).
    pub iters: usize,
}

/// ½|x_i − y_j|² for x (n × d) and y (m × d), row-major, returned row-major n × m.
pub fn half_sq_cost(x: &[f64], y: &[f64], d: usize) -> Vec<f64> {
    let n = x.len() / d.max(1);
    let m = y.len() / d.max(1);
    let mut c = vec![0.0; n * m];
    for i in 0..n {
        let xi = &x[i * d..(i + 1) * d];
        for j in 0..m {
            let yj = &y[j * d..(j + 1) * d];
            c[i * m + j] = 0.5
                * xi.iter()
                    .zip(yj)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>();
        }
    }
    c
}

/// softmin_ε over j: out_i = −ε log Σ_j exp(h_j − C_ij/ε), C row-major n × m.
fn softmin(eps: f64, c: &[f64], n: usize, m: usize, h: &[f64], out: &mut [f64]) {
    let mut z = vec![0.0; m];
    for i in 0..n {
        let row = &c[i * m..(i + 1) * m];
        let mut mx = f64::NEG_INFINITY;
        for j in 0..m {
            z[j] = h[j] - row[j] / eps;
            mx = mx.max(z[j]);
        }
        let s: f64 = z.iter().map(|v| (v - mx).exp()).sum();
        out[i] = -eps * (mx + s.ln());
    }
}

/// Solve entropic OT between uniform weights on n and m points with cost `c` (n × m).
pub fn solve_ot(c: &[f64], n: usize, m: usize, cfg: &SinkhornConfig) -> OtSolution {
    let eps_final = cfg.blur * cfg.blur;
    let diam2 = c.iter().fold(0.0f64, |a, &v| a.max(2.0 * v)).max(eps_final);
    let mut eps_list = vec![];
    let mut e = diam2;
    let ratio = (cfg.scaling * cfg.scaling).clamp(1e-6, 0.999_999);
    while e > eps_final {
        eps_list.push(e);
        e *= ratio;
    }
    let la = -(n as f64).ln();
    let lb = -(m as f64).ln();
    let ct: Vec<f64> = (0..m * n).map(|k| c[(k % n) * m + k / n]).collect();
    let mut f = vec![0.0; n];
    let mut g = vec![0.0; m];
    let mut hb = vec![0.0; m];
    let mut ha = vec![0.0; n];
    let mut f_new = vec![0.0; n];
    let mut iters = 0;
    let mut step = |eps: f64, f: &mut Vec<f64>, g: &mut Vec<f64>| -> f64 {
        for j in 0..m {
            hb[j] = lb + g[j] / eps;
        }
        softmin(eps, c, n, m, &hb, &mut f_new);
        let mut change = 0.0f64;
        for i in 0..n {
            change = change.max((f_new[i] - f[i]).abs());
            f[i] = f_new[i];
            ha[i] = la + f[i] / eps;
        }
        let mut g_new = vec![0.0; m];
        softmin(eps, &ct, m, n, &ha, &mut g_new);
        for j in 0..m {
            change = change.max((g_new[j] - g[j]).abs());
            g[j] = g_new[j];
        }
        change
    };
    for &eps in &eps_list {
        step(eps, &mut f, &mut g);
        iters += 1;
    }
    for _ in 0..cfg.max_iters.max(1) {
        let change = step(eps_final, &mut f, &mut g);
        iters += 1;
        if change < cfg.tol {
            break;
        }
    }
    // Best response of f to g: the row marginals are then exact and ⟨a,f⟩ + ⟨b,g⟩ is the dual
    // objective (the penalty term vanishes).
    let eps = eps_final;
    let hb: Vec<f64> = g.iter().map(|gj| lb + gj / eps).collect();
    softmin(eps, c, n, m, &hb, &mut f);
    let value = f.iter().sum::<f64>() / n as f64 + g.iter().sum::<f64>() / m as f64;
    let mut plan = vec![0.0; n * m];
    for i in 0..n {
        for j in 0..m {
            plan[i * m + j] = (la + lb + (f[i] + g[j] - c[i * m + j]) / eps).exp();
        }
    }
    OtSolution { value, plan, iters }
}

/// ½|x_i − y_j|² as a differentiable (n, m) tensor, x (n, d), y (m, d).
pub fn half_sq_cost_tensor(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let xx = (x.sqr()?.sum_keepdim(1)? * 0.5)?;
    let yy = (y.sqr()?.sum_keepdim(1)?.t()? * 0.5)?;
    xx.broadcast_add(&yy)?.sub(&x.matmul(&y.t()?)?)
}

fn host(t: &Tensor) -> Result<Vec<f64>> {
    t.to_dtype(DType::F64)?.flatten_all()?.to_vec1()
}

/// The debiased Sinkhorn divergence S_ε between the rows of `x` (n, d) and of `y` (m, d),
/// uniform weights, as a scalar tensor (cost units, i.e. ½ squared distance) whose gradient
/// is the envelope-theorem gradient (module docs). Returns the tensor and the three OT values
/// (xy, xx, yy).
pub fn sinkhorn_divergence(
    x: &Tensor,
    y: &Tensor,
    cfg: &SinkhornConfig,
) -> Result<(Tensor, [f64; 3])> {
    let (n, d) = x.dims2()?;
    let (m, dy) = y.dims2()?;
    if d != dy || n == 0 || m == 0 {
        candle_core::bail!(
            "sinkhorn_divergence: x is ({n}, {d}) and y is ({m}, {dy}); both need ≥ 1 row and the same width"
        );
    }
    let xh = host(x)?;
    let yh = host(y)?;
    let sxy = solve_ot(&half_sq_cost(&xh, &yh, d), n, m, cfg);
    let sxx = solve_ot(&half_sq_cost(&xh, &xh, d), n, n, cfg);
    let syy = solve_ot(&half_sq_cost(&yh, &yh, d), m, m, cfg);
    let value = sxy.value - 0.5 * sxx.value - 0.5 * syy.value;
    let dev = x.device();
    let dt = x.dtype();
    let plan = |p: Vec<f64>, r: usize, c: usize| Tensor::from_vec(p, (r, c), dev)?.to_dtype(dt);
    let surr = half_sq_cost_tensor(x, y)?
        .mul(&plan(sxy.plan, n, m)?)?
        .sum_all()?;
    let surr = (surr
        - (half_sq_cost_tensor(x, x)?
            .mul(&plan(sxx.plan, n, n)?)?
            .sum_all()?
            * 0.5)?)?;
    let surr = (surr
        - (half_sq_cost_tensor(y, y)?
            .mul(&plan(syy.plan, m, m)?)?
            .sum_all()?
            * 0.5)?)?;
    let out = (surr.clone() - surr.detach())?.affine(1.0, value)?;
    Ok((out, [sxy.value, sxx.value, syy.value]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::{Device, Params, grad_check};

    fn cloud(n: usize, d: usize, key: u64, shift: f64) -> Vec<f64> {
        (0..n * d)
            .map(|i| shift + crate::trainer::normal(key, i as u64) as f64)
            .collect()
    }

    #[test]
    fn divergence_is_zero_on_equal_clouds_and_positive_otherwise() {
        let cfg = SinkhornConfig {
            blur: 0.5,
            max_iters: 2000,
            tol: 1e-12,
            ..SinkhornConfig::default()
        };
        let x = Tensor::from_vec(cloud(6, 3, 1, 0.0), (6, 3), &Device::Cpu).expect("x");
        let (s, _) = sinkhorn_divergence(&x, &x, &cfg).expect("s");
        let v = s.to_scalar::<f64>().expect("v");
        assert!(v.abs() < 1e-9, "S(x, x) = {v}");
        // A rigid shift by δ in every coordinate of d = 3: as ε → 0, S → ½ |δ|² · 3.
        let y = Tensor::from_vec(cloud(6, 3, 1, 2.0), (6, 3), &Device::Cpu).expect("y");
        let cfg0 = SinkhornConfig { blur: 0.01, ..cfg };
        let (s, _) = sinkhorn_divergence(&x, &y, &cfg0).expect("s");
        let v = s.to_scalar::<f64>().expect("v");
        assert!((v - 6.0).abs() < 1e-3, "S(x, x + 2) = {v}, want 6");
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let cfg = SinkhornConfig {
            blur: 0.7,
            max_iters: 5000,
            tol: 1e-14,
            ..SinkhornConfig::default()
        };
        let mut p = Params::new();
        let x = p
            .add(
                "x",
                &Tensor::from_vec(cloud(5, 3, 3, 0.0), (5, 3), &Device::Cpu).expect("x"),
            )
            .expect("var");
        let w = p
            .add(
                "w",
                &Tensor::from_vec(cloud(3, 3, 4, 0.0), (3, 3), &Device::Cpu).expect("w"),
            )
            .expect("var");
        let y = Tensor::from_vec(cloud(4, 3, 5, 0.5), (4, 3), &Device::Cpu).expect("y");
        // x and a linear map of it on one side, so the gradient flows through a matmul too.
        let gc = grad_check(
            &p,
            || {
                let xs = x.as_tensor().matmul(w.as_tensor())?;
                Ok(sinkhorn_divergence(&xs, &y, &cfg)?.0)
            },
            1e-5,
            15,
        )
        .expect("grad check");
        assert!(gc.max_rel_err < 1e-5, "{gc:?}");
    }
}
