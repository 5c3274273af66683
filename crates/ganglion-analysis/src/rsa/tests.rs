use super::*;
use crate::testing::Rng;

#[test]
fn rdm_by_hand() {
    // Three conditions in two channels: (0,0), (3,4), (0,1).
    let x = [0.0, 0.0, 3.0, 4.0, 0.0, 1.0];
    let d = rdm(&x, 3, 2, Measure::SquaredEuclidean).unwrap();
    assert_eq!(d, vec![12.5, 0.5, 9.0]);
    let e = rdm(&x, 3, 2, Measure::Euclidean).unwrap();
    assert!((e[0] - 12.5f64.sqrt()).abs() < 1e-15);
    // (1,2,3) and (3,2,1) anti-correlate: distance 2; (1,2,3) with (2,4,6): 0.
    let c = rdm(
        &[1.0, 2.0, 3.0, 3.0, 2.0, 1.0, 2.0, 4.0, 6.0],
        3,
        3,
        Measure::Correlation,
    )
    .unwrap();
    assert!((c[0] - 2.0).abs() < 1e-15 && c[1].abs() < 1e-15 && (c[2] - 2.0).abs() < 1e-15);
    assert!(matches!(
        rdm(&[1.0, 1.0, 0.0, 1.0], 2, 2, Measure::Correlation),
        Err(RsaError::Degenerate(_))
    ));
    assert!(matches!(
        rdm(&x, 3, 3, Measure::Euclidean),
        Err(RsaError::Shape(_))
    ));
}

#[test]
fn crossnobis_by_hand() {
    // One channel, two conditions, folds (0, 1) and (0, 3): each fold's difference times
    // the other's, (−1)(−3) = 3, in both directions.
    let d = crossnobis(&[0.0, 1.0, 0.0, 3.0], 2, 2, 1, None).unwrap();
    assert_eq!(d, vec![3.0]);
    // A precision of 2 doubles it; independent noise averages out of the estimate.
    assert_eq!(
        crossnobis(&[0.0, 1.0, 0.0, 3.0], 2, 2, 1, Some(&[2.0])).unwrap(),
        vec![6.0]
    );
    let mut rng = Rng(11);
    let (k, n, p) = (40, 3, 50);
    let signal = [0.0, 1.0, 2.0];
    let folds: Vec<f64> = (0..k * n * p)
        .map(|i| signal[(i / p) % n] + rng.normal())
        .collect();
    let d = crossnobis(&folds, k, n, p, None).unwrap();
    let want = [1.0, 4.0, 1.0];
    assert!(
        d.iter().zip(want).all(|(a, b)| (a - b).abs() < 0.1),
        "{d:?}"
    );
    assert!(crossnobis(&folds[..n * p], 1, n, p, None).is_err());
}

#[test]
fn condensed_layout() {
    assert_eq!(n_conditions(6), Ok(4));
    assert!(n_conditions(5).is_err());
    assert_eq!(pair_index(4, 0, 1), 0);
    assert_eq!(pair_index(4, 1, 2), 3);
    assert_eq!(pair_index(4, 2, 3), 5);
    let (m, n) = square(&[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(
        (n, m),
        (3, vec![0.0, 1.0, 2.0, 1.0, 0.0, 3.0, 2.0, 3.0, 0.0])
    );
}

#[test]
fn ranks_and_quantiles() {
    assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    let v = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    // Position 0.2·5 = 1 → 0.2; position 0.5·5 = 2.5 → 0.35.
    assert!((quantile(&v, 0.2).unwrap() - 0.2).abs() < 1e-15);
    assert!((quantile(&v, 0.5).unwrap() - 0.35).abs() < 1e-15);
    assert!(quantile(&v, 1.5).is_err());
}

#[test]
fn geotopological_is_the_piecewise_ramp() {
    // The example on which rsatoolbox 0.3.2 returns (0, 0, 1, 1, 1, 1).
    let v = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    let g = geotopological(&v, 0.2, 0.6).unwrap();
    let want = [0.0, 0.0, 0.5, 1.0, 1.0, 1.0];
    assert!(
        g.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
        "{g:?}"
    );
    assert!(geotopological(&v, 0.6, 0.2).is_err());
}

#[test]
fn geodesic_by_hand() {
    // Four points on a line at 0, 1, 2, 4: distances (1, 2, 4, 1, 3, 2); min–max scaled
    // (0, 1/3, 1, 0, 2/3, 1/3). Zero and one weights are not edges: 0–1 and 1–2 must go
    // round, 0–3 (weight 1) too.
    let d = [1.0, 2.0, 4.0, 1.0, 3.0, 2.0];
    let g = geodesic(&d).unwrap();
    // Edges: 0–2 (1/3), 1–3 (2/3), 2–3 (1/3). 0–1: 0–2–3–1 = 4/3; 0–3: 2/3; 1–2: 1.
    let t = 1.0 / 3.0;
    let want = [4.0 * t, t, 2.0 * t, 3.0 * t, 2.0 * t, t];
    assert!(
        g.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
        "{g:?}"
    );
    // Only 0–1 is an edge after dropping the weight-1 pairs and the weight-0 pair 2–3:
    // 0 and 2 are not connected.
    let split = geodesic(&[0.5, 1.0, 1.0, 1.0, 1.0, 0.2]).unwrap();
    assert_eq!(split[1], f64::INFINITY);
    assert!(geodesic(&[1.0, 1.0, 1.0]).is_err());
}

#[test]
fn comparisons_by_hand() {
    let a = [1.0, 2.0, 3.0, 4.0];
    let b = [2.0, 4.0, 6.0, 8.5];
    assert!((compare(&a, &b, Comparison::Spearman).unwrap() - 1.0).abs() < 1e-15);
    assert_eq!(compare(&a, &b, Comparison::TauA).unwrap(), 1.0);
    // Ties: a = (1,1,2), b = (1,2,3): pairs (0,1) tied in a, (0,2),(1,2) concordant → 2/3.
    assert!((tau_a(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0]) - 2.0 / 3.0).abs() < 1e-15);
    assert_eq!(tau_a(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), -1.0);
    assert!((cosine(&[1.0, 0.0], &[1.0, 1.0]) - 0.5f64.sqrt()).abs() < 1e-15);
    assert_eq!(
        compare(&[1.0, 1.0], &[1.0, 2.0], Comparison::Correlation),
        Ok(0.0)
    );
    assert!(compare(&a, &b[..3], Comparison::Cosine).is_err());
}

#[test]
fn tau_a_matches_the_quadratic_count() {
    let mut rng = Rng(7);
    // Coarse values force many ties in each series and jointly.
    let a: Vec<f64> = (0..200).map(|_| (rng.uniform() * 6.0).floor()).collect();
    let b: Vec<f64> = a
        .iter()
        .map(|x| (x + rng.uniform() * 4.0).floor())
        .collect();
    // f64::signum(0.0) is 1, so compare explicitly.
    let sign = |d: f64| (d > 0.0) as i64 - (d < 0.0) as i64;
    let mut s = 0i64;
    for i in 0..a.len() {
        for j in i + 1..a.len() {
            s += sign(a[i] - a[j]) * sign(b[i] - b[j]);
        }
    }
    let want = s as f64 / (200.0 * 199.0 / 2.0);
    assert!(
        (tau_a(&a, &b) - want).abs() < 1e-15,
        "{} vs {want}",
        tau_a(&a, &b)
    );
}

#[test]
fn nearest_centroid_identifies() {
    let s = vec![
        vec![1.0, 2.0, 3.0],
        vec![1.1, 2.0, 2.9],
        vec![3.0, 2.0, 1.0],
    ];
    let c = centroids(&s, &[0, 0, 1], 2).unwrap();
    assert_eq!(c[0], vec![1.05, 2.0, 2.95]);
    assert_eq!(
        nearest_centroid(&c, &[0.0, 1.0, 5.0], Comparison::Correlation),
        Ok(0)
    );
    assert_eq!(
        nearest_centroid(&c, &[5.0, 1.0, 0.0], Comparison::Spearman),
        Ok(1)
    );
    assert!(centroids(&s, &[0, 0, 0], 2).is_err());
}

#[test]
fn cka_hand_case_and_invariances() {
    // x = (−1, 0, 1)ᵀ, y = x²: centred y = (1/3, −2/3, 1/3) is orthogonal to x → linear
    // CKA = (xᵀ ȳ)² / (|x|² |ȳ|²) = 0; with y = 2x + 1 it is 1.
    let x = [-1.0, 0.0, 1.0];
    let y = [1.0, 0.0, 1.0];
    let c = cka(&x, 1, &y, 1, 3, Kernel::Linear, Hsic::Biased).unwrap();
    assert!(c.abs() < 1e-15, "{c}");
    let y2: Vec<f64> = x.iter().map(|v| 2.0 * v + 1.0).collect();
    let c = cka(&x, 1, &y2, 1, 3, Kernel::Linear, Hsic::Biased).unwrap();
    assert!((c - 1.0).abs() < 1e-15, "{c}");

    let (n, p, q) = (30, 5, 4);
    let mut rng = Rng(3);
    let a: Vec<f64> = (0..n * p).map(|_| rng.normal()).collect();
    let b: Vec<f64> = (0..n * q).map(|_| rng.normal()).collect();
    // A rotation in the plane of features 0 and 1 and a scale by 3.
    let (cs, sn) = (0.6, 0.8);
    let mut r = a.clone();
    for i in 0..n {
        let (u, v) = (a[i * p], a[i * p + 1]);
        r[i * p] = cs * u - sn * v;
        r[i * p + 1] = sn * u + cs * v;
    }
    r.iter_mut().for_each(|v| *v *= 3.0);
    for kernel in [Kernel::Linear, Kernel::Rbf { fraction: 0.5 }] {
        for est in [Hsic::Biased, Hsic::Unbiased] {
            let c0 = cka(&a, p, &b, q, n, kernel, est).unwrap();
            let c1 = cka(&r, p, &b, q, n, kernel, est).unwrap();
            assert!((c0 - c1).abs() < 1e-12, "{kernel:?} {est:?}: {c0} vs {c1}");
            let same = cka(&a, p, &r, p, n, kernel, est).unwrap();
            assert!((same - 1.0).abs() < 1e-12, "{kernel:?} {est:?}: {same}");
        }
    }
    assert!(cka(&a, p, &b, q, 3, Kernel::Linear, Hsic::Unbiased).is_err());
}
