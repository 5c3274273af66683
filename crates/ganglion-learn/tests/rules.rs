//! Rate rules: Oja → first principal component, Sanger / Oja subspace → principal subspace,
//! Földiák decorrelates, BCM threshold converges and the neuron becomes selective.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report
#![allow(clippy::needless_range_loop)] // index-heavy numerics read clearer with indices

use ganglion_learn::rng;
use ganglion_learn::rules::{Bcm, Foldiak, Hebbian, Oja, Subspace, SubspaceRule};

const N: usize = 8;
const VARS: [f64; N] = [9.0, 4.0, 2.0, 1.0, 0.5, 0.3, 0.2, 0.1];

/// A random orthogonal basis (Gram–Schmidt of normal vectors), rows are the principal axes.
fn basis(seed: u64) -> Vec<Vec<f64>> {
    let mut r = rng::stream(seed, 999);
    let mut b: Vec<Vec<f64>> = Vec::new();
    while b.len() < N {
        let mut v: Vec<f64> = (0..N).map(|_| rng::normal(&mut r)).collect();
        for u in &b {
            let d: f64 = u.iter().zip(&v).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(x, y)| *x -= d * y);
        }
        let s = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        b.push(v.iter().map(|x| x / s).collect());
    }
    b
}

/// Zero-mean Gaussian samples with covariance Σ_k VARS[k] b_k b_kᵀ.
fn sample(b: &[Vec<f64>], r: &mut rand_xoshiro::Xoshiro256PlusPlus) -> Vec<f64> {
    let mut x = vec![0.0; N];
    for (k, bk) in b.iter().enumerate() {
        let z = rng::normal(r) * VARS[k].sqrt();
        x.iter_mut().zip(bk).for_each(|(xi, bi)| *xi += z * bi);
    }
    x
}

/// `steps` samples of `b` (stream `seed`), each handed to `learn` with the annealed rate
/// η(t) = `eta0` / (1 + t/`tau`).
fn anneal(
    b: &[Vec<f64>],
    seed: u64,
    steps: usize,
    eta0: f64,
    tau: f64,
    mut learn: impl FnMut(f64, &[f64]),
) {
    let mut r = rng::stream(seed, 0);
    for t in 0..steps {
        learn(eta0 / (1.0 + t as f64 / tau), &sample(b, &mut r));
    }
}

/// A `k`-row subspace network (`rule`, initial weights from `seed`) trained by [`anneal`]
/// (η0 = 0.005) on `steps` samples of `b` from stream `stream`.
fn trained_subspace(
    b: &[Vec<f64>],
    k: usize,
    rule: SubspaceRule,
    seed: u64,
    stream: u64,
    steps: usize,
    tau: f64,
) -> Subspace {
    let mut net = Subspace::new(N, k, 0.005, rule, seed).expect("valid");
    anneal(b, stream, steps, 0.005, tau, |eta, x| {
        net.eta = eta;
        net.update(x);
    });
    net
}

fn angle_deg(a: &[f64], b: &[f64]) -> f64 {
    let d: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    (d.abs() / (na * nb)).min(1.0).acos().to_degrees()
}

#[test]
fn oja_converges_to_first_principal_component() {
    let b = basis(1);
    let mut oja = Oja::new(N, 0.01, 7).expect("valid");
    // annealed: the fluctuation scales with η
    anneal(&b, 2, 300_000, 0.01, 1000.0, |eta, x| {
        oja.eta = eta;
        oja.update(x);
    });
    let ang = angle_deg(&oja.w, &b[0]);
    let norm = oja.w.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!(ang < 1.0, "angle to PC1 {ang}°");
    assert!((norm - 1.0).abs() < 0.01, "|w| = {norm}");
}

#[test]
fn normalised_hebbian_converges_to_first_principal_component() {
    let b = basis(3);
    let mut h = Hebbian::new(N, 0.005, true, 1).expect("valid");
    anneal(&b, 4, 300_000, 0.005, 1000.0, |eta, x| {
        h.eta = eta;
        h.update(x);
    });
    assert!(angle_deg(&h.w, &b[0]) < 1.0);
}

#[test]
fn sanger_finds_leading_components_in_order() {
    let b = basis(5);
    let k = 3;
    let net = trained_subspace(&b, k, SubspaceRule::Sanger, 3, 6, 300_000, 2000.0);
    for i in 0..k {
        let ang = angle_deg(&net.w[i * N..(i + 1) * N], &b[i]);
        assert!(ang < 2.0, "row {i}: angle to PC{} {ang}°", i + 1);
    }
}

#[test]
fn oja_subspace_rule_spans_principal_subspace() {
    let b = basis(7);
    let k = 3;
    let net = trained_subspace(&b, k, SubspaceRule::OjaSubspace, 9, 8, 60_000, 4000.0);
    // Rows orthonormal, and ‖P_W − P_true‖_F small (projection matrices).
    let w = &net.w;
    for i in 0..k {
        for j in 0..k {
            let d: f64 = (0..N).map(|c| w[i * N + c] * w[j * N + c]).sum();
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((d - want).abs() < 0.02, "W Wᵀ[{i},{j}] = {d}");
        }
    }
    let mut diff2 = 0.0;
    for r0 in 0..N {
        for c in 0..N {
            let pw: f64 = (0..k).map(|i| w[i * N + r0] * w[i * N + c]).sum();
            let pt: f64 = (0..k).map(|i| b[i][r0] * b[i][c]).sum();
            diff2 += (pw - pt).powi(2);
        }
    }
    assert!(diff2.sqrt() < 0.05, "‖P_W − P‖ = {}", diff2.sqrt());
}

#[test]
fn foldiak_lateral_inhibition_decorrelates() {
    // Three inputs with pairwise correlation 0.8.
    let mut f = Foldiak::new(3, 0.01).expect("valid");
    let mut r = rng::stream(10, 0);
    let draw = |r: &mut rand_xoshiro::Xoshiro256PlusPlus| {
        let common = rng::normal(r);
        (0..3)
            .map(|_| 0.8f64.sqrt() * common + 0.2f64.sqrt() * rng::normal(r))
            .collect::<Vec<f64>>()
    };
    for t in 0..200_000 {
        f.eta = 0.01 / (1.0 + t as f64 / 2000.0);
        f.update(&draw(&mut r));
    }
    let ys: Vec<Vec<f64>> = (0..20_000).map(|_| f.respond(&draw(&mut r))).collect();
    let corr = |i: usize, j: usize| {
        let m = |k: usize| ys.iter().map(|y| y[k]).sum::<f64>() / ys.len() as f64;
        let (mi, mj) = (m(i), m(j));
        let c = |a: usize, ma: f64, b: usize, mb: f64| {
            ys.iter().map(|y| (y[a] - ma) * (y[b] - mb)).sum::<f64>()
        };
        c(i, mi, j, mj) / (c(i, mi, i, mi) * c(j, mj, j, mj)).sqrt()
    };
    for (i, j) in [(0, 1), (0, 2), (1, 2)] {
        assert!(corr(i, j).abs() < 0.05, "corr({i},{j}) = {}", corr(i, j));
    }
}

#[test]
fn bcm_threshold_converges_and_neuron_becomes_selective() {
    // Two non-overlapping patterns presented at random with equal probability.
    let p1 = [1.0, 1.0, 0.0, 0.0];
    let p2 = [0.0, 0.0, 1.0, 1.0];
    let mut bcm = Bcm::new(4, 0.002, 50.0, 0.3, 11).expect("valid");
    let mut r = rng::stream(12, 0);
    let mut y2 = Vec::new();
    for t in 0..100_000 {
        let p = if rng::uniform(&mut r) < 0.5 { &p1 } else { &p2 };
        let y = bcm.update(p);
        if t >= 90_000 {
            y2.push(y * y);
        }
    }
    let mean_y2 = y2.iter().sum::<f64>() / y2.len() as f64;
    assert!(
        (bcm.theta - mean_y2).abs() < 0.1 * mean_y2,
        "θ = {}, <y²> = {mean_y2}",
        bcm.theta
    );
    let dot = |p: &[f64; 4]| bcm.w.iter().zip(p).map(|(a, b)| a * b).sum::<f64>();
    let (r1, r2) = (dot(&p1), dot(&p2));
    let (hi, lo) = (r1.max(r2), r1.min(r2));
    assert!(lo.abs() < 0.1 * hi, "responses {r1}, {r2}: not selective");
    // Selective fixed point with θ = E[y²]: y_sel = 1/P(pattern) = 2.
    assert!((hi - 2.0).abs() < 0.2, "selective response {hi}");
}
