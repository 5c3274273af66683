use super::attention::{AttnDims, AttnParams, attn_loss};
use super::*;
use crate::testing::Rng;

#[test]
fn factorised_recovers_planted_mask_and_weights() {
    let mut rng = Rng(3);
    let (n, c, p, t) = (300, 4, 9, 3);
    let f: Vec<f64> = (0..n * c * p).map(|_| rng.normal()).collect();
    let m: Vec<f64> = (0..t * p).map(|_| rng.normal()).collect();
    let w: Vec<f64> = (0..t * c).map(|_| rng.normal()).collect();
    let truth = FactorisedFit {
        channels: c,
        positions: p,
        mask: m.clone(),
        weights: w.clone(),
        bias: vec![0.5, -1.0, 2.0],
        iterations: vec![],
        converged: vec![],
    };
    let y = truth.predict(&f).unwrap();
    let fit = fit_factorised(
        &f,
        MapShape { n, c, p },
        &y,
        t,
        &FactorisedOptions::default(),
    )
    .unwrap();
    for k in 0..t {
        assert!(fit.converged[k], "target {k}: {} rounds", fit.iterations[k]);
        // Up to the scale (and sign) symmetry: m/|m| and w|m|, sign fixed by the peak.
        let mk = &m[k * p..(k + 1) * p];
        let norm = mk.iter().map(|v| v * v).sum::<f64>().sqrt();
        let peak = mk
            .iter()
            .fold(0.0f64, |a, &v| if v.abs() > a.abs() { v } else { a });
        let s = norm * peak.signum();
        for (q, mq) in mk.iter().enumerate() {
            let (got, want) = (fit.mask[k * p + q], mq / s);
            assert!((got - want).abs() < 1e-6, "mask {k},{q}: {got} vs {want}");
        }
        for ch in 0..c {
            let (got, want) = (fit.weights[k * c + ch], w[k * c + ch] * s);
            assert!(
                (got - want).abs() < 1e-5,
                "weight {k},{ch}: {got} vs {want}"
            );
        }
        assert!((fit.bias[k] - truth.bias[k]).abs() < 1e-6);
    }
    let pred = fit.predict(&f).unwrap();
    assert!(pred.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-6));
}

#[test]
fn positive_l1_mask_is_sparse_and_non_negative() {
    let mut rng = Rng(8);
    let (n, c, p) = (200, 3, 16);
    let f: Vec<f64> = (0..n * c * p).map(|_| rng.normal()).collect();
    // One-position receptive field at position 5.
    let y: Vec<f64> = (0..n)
        .map(|s| {
            (0..c)
                .map(|ch| [1.0, -2.0, 0.5][ch] * f[(s * c + ch) * p + 5])
                .sum::<f64>()
                + 0.1 * rng.normal()
        })
        .collect();
    let opts = FactorisedOptions {
        l1_mask: 5.0,
        positive_mask: true,
        alpha_mask: 1.0,
        alpha_weights: 1.0,
        ..FactorisedOptions::default()
    };
    let fit = fit_factorised(&f, MapShape { n, c, p }, &y, 1, &opts).unwrap();
    assert!(fit.mask.iter().all(|&v| v >= 0.0), "{:?}", fit.mask);
    assert!(fit.mask[5] > 0.99, "{:?}", fit.mask);
    assert!(
        fit.mask.iter().filter(|&&v| v > 1e-3).count() <= 3,
        "{:?}",
        fit.mask
    );
}

fn planted_attention(n: usize, c: usize, p: usize, t: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = Rng(11);
    let f: Vec<f64> = (0..n * c * p).map(|_| rng.normal()).collect();
    // One-hot positional code; target k reads position 2k with weights w_k.
    let pos: Vec<f64> = (0..p * p)
        .map(|i| if i / p == i % p { 1.0 } else { 0.0 })
        .collect();
    let w: Vec<f64> = (0..t * c).map(|_| rng.normal()).collect();
    let y: Vec<f64> = (0..n * t)
        .map(|i| {
            let (s, k) = (i / t, i % t);
            1.0 + (0..c)
                .map(|ch| w[k * c + ch] * f[(s * c + ch) * p + 2 * k])
                .sum::<f64>()
        })
        .collect();
    (f, pos, y)
}

#[test]
fn attention_fits_a_one_hot_target() {
    let (n, c, p, t) = (100, 3, 6, 2);
    let (f, pos, y) = planted_attention(n, c, p, t);
    let var: f64 = {
        let m = y.iter().sum::<f64>() / y.len() as f64;
        y.iter().map(|v| (v - m).powi(2)).sum::<f64>() / y.len() as f64
    };
    let opts = AttentionOptions {
        steps: 3000,
        learning_rate: 0.05,
        ..AttentionOptions::default()
    };
    let fit = fit_attention(&f, MapShape { n, c, p }, &y, t, &pos, &opts).unwrap();
    let last = *fit.loss.last().unwrap();
    assert!(last < 1e-4 * var, "loss {last} of variance {var}");
    let att = fit.attention(&f).unwrap();
    for k in 0..t {
        assert!(att[k * p + 2 * k] > 0.99, "{:?}", &att[k * p..(k + 1) * p]);
    }
}

#[test]
fn attention_gradient_matches_finite_differences() {
    let (n, c, p, t) = (7, 3, 4, 2);
    let (f, pos, y) = planted_attention(n, c, p, t);
    let mut rng = Rng(21);
    let e = p;
    let d = 3;
    let dm = AttnDims { c, p, e, d, t };
    let th = AttnParams {
        key: (0..d * (c + e)).map(|_| rng.normal()).collect(),
        query: (0..t * d).map(|_| rng.normal()).collect(),
        weights: (0..t * c).map(|_| rng.normal()).collect(),
        bias: (0..t).map(|_| rng.normal()).collect(),
    };
    let l2 = 0.3;
    let total = |th: &AttnParams| {
        attn_loss(&f, &pos, &y, n, &dm, th, l2, true, None)
            + l2 * (th
                .weights
                .iter()
                .chain(&th.query)
                .map(|v| v * v)
                .sum::<f64>())
    };
    let mut g = AttnParams {
        key: vec![0.0; th.key.len()],
        query: vec![0.0; th.query.len()],
        weights: vec![0.0; th.weights.len()],
        bias: vec![0.0; th.bias.len()],
    };
    attn_loss(&f, &pos, &y, n, &dm, &th, l2, true, Some(&mut g));
    let h = 1e-6;
    let fields: [fn(&mut AttnParams) -> &mut Vec<f64>; 4] = [
        |a| &mut a.key,
        |a| &mut a.query,
        |a| &mut a.weights,
        |a| &mut a.bias,
    ];
    let grads = [&g.key, &g.query, &g.weights, &g.bias];
    for (field, grad) in fields.iter().zip(grads) {
        for (i, gi) in grad.iter().enumerate() {
            let mut plus = clone_params(&th);
            field(&mut plus)[i] += h;
            let mut minus = clone_params(&th);
            field(&mut minus)[i] -= h;
            let num = (total(&plus) - total(&minus)) / (2.0 * h);
            assert!(
                (num - gi).abs() < 1e-6 * (1.0 + num.abs()),
                "param {i}: numeric {num} vs analytic {gi}"
            );
        }
    }
}

fn clone_params(a: &AttnParams) -> AttnParams {
    AttnParams {
        key: a.key.clone(),
        query: a.query.clone(),
        weights: a.weights.clone(),
        bias: a.bias.clone(),
    }
}

#[test]
fn bad_shapes_and_parameters_are_errors() {
    let s = MapShape { n: 4, c: 2, p: 3 };
    let f = vec![0.0; 24];
    let y = vec![0.0; 4];
    let o = FactorisedOptions::default();
    let err = fit_factorised(&f[..23], s, &y, 1, &o).unwrap_err();
    assert!(
        matches!(&err, ReadoutError::Shape(m) if m.contains("23")),
        "{err}"
    );
    let err = fit_factorised(&f, s, &y[..3], 1, &o).unwrap_err();
    assert!(
        matches!(&err, ReadoutError::Shape(m) if m.contains("responses")),
        "{err}"
    );
    let bad = FactorisedOptions {
        alpha_mask: -1.0,
        ..o
    };
    assert!(matches!(
        fit_factorised(&f, s, &y, 1, &bad),
        Err(ReadoutError::Parameter(_))
    ));
    let mut nan = f.clone();
    nan[3] = f64::NAN;
    assert!(matches!(
        fit_factorised(&nan, s, &y, 1, &o),
        Err(ReadoutError::Parameter(_))
    ));
    let a = AttentionOptions::default();
    let err = fit_attention(&f, s, &y, 1, &[0.0; 4], &a).unwrap_err();
    assert!(
        matches!(&err, ReadoutError::Shape(m) if m.contains("positional")),
        "{err}"
    );
    let bad = AttentionOptions {
        learning_rate: 0.0,
        ..a
    };
    assert!(matches!(
        fit_attention(&f, s, &y, 1, &[], &bad),
        Err(ReadoutError::Parameter(_))
    ));
    let fit = fit_factorised(&f, s, &y, 1, &o).unwrap();
    assert!(fit.predict(&f[..5]).is_err());
}
