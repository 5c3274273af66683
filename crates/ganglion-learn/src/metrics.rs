//! LearnError and memory metrics.

/// Mean squared error of `pred` against `target` (equal lengths; 0 for empty input).
pub fn mse(pred: &[f64], target: &[f64]) -> f64 {
    let n = pred.len().min(target.len());
    if n == 0 {
        return 0.0;
    }
    pred.iter()
        .zip(target)
        .map(|(p, t)| (p - t) * (p - t))
        .sum::<f64>()
        / n as f64
}

/// Population standard deviation of `x`.
pub fn std_dev(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let m = x.iter().sum::<f64>() / x.len() as f64;
    (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Normalised root-mean-square error: `sqrt(mse) / std(target)` (the target's population
/// standard deviation). 0 is perfect, 1 is as good as predicting the mean.
pub fn nrmse(pred: &[f64], target: &[f64]) -> f64 {
    mse(pred, target).sqrt() / std_dev(target)
}

/// Squared Pearson correlation of `a` and `b` (0 if either is constant).
pub fn r_squared(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    let ma = a[..n].iter().sum::<f64>() / n as f64;
    let mb = b[..n].iter().sum::<f64>() / n as f64;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (da, db) = (x - ma, y - mb);
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        0.0
    } else {
        sab * sab / (saa * sbb)
    }
}

/// Linear memory capacity (Jaeger 2002, "Short term memory in echo state networks",
/// GMD Report 152): `MC = Σ_k r²(ŷ_k(t), u(t−k))` over delays `k`, from per-delay
/// reconstructions `pred` and targets `target` (both `steps × delays`, time-major).
/// Returns the total and the per-delay `r²` (the forgetting curve).
pub fn memory_capacity(pred: &[f64], target: &[f64], delays: usize) -> (f64, Vec<f64>) {
    let steps = pred.len() / delays.max(1);
    let curve: Vec<f64> = (0..delays)
        .map(|k| {
            let p: Vec<f64> = (0..steps).map(|t| pred[t * delays + k]).collect();
            let y: Vec<f64> = (0..steps).map(|t| target[t * delays + k]).collect();
            r_squared(&p, &y)
        })
        .collect();
    (curve.iter().sum(), curve)
}
