//! Dense linear algebra on faer, shared by the analysis methods: solves of symmetric positive
//! (semi-)definite systems (normal equations, scatter matrices) and general square ones, and
//! the eigendecomposition of symmetric matrices (covariances).

use faer::linalg::solvers::Solve;
use faer::{Mat, Side};

/// Solve `a x = b` for a symmetric `a` (only its lower triangle is read): Cholesky, or
/// Bunch–Kaufman where Cholesky meets a non-positive pivot.
pub fn solve_symmetric(a: &Mat<f64>, b: &Mat<f64>) -> Mat<f64> {
    match a.llt(Side::Lower) {
        Ok(llt) => llt.solve(b),
        Err(_) => a.lblt(Side::Lower).solve(b),
    }
}

/// Solve `a x = b` for a general square `a` (n × n, row-major) and the `k` right-hand sides
/// in the columns of `b` (n × k, row-major), by LU with partial pivoting; `x` is n × k,
/// row-major.
pub fn solve_general(a: &[f64], n: usize, b: &[f64], k: usize) -> Vec<f64> {
    let a = Mat::<f64>::from_fn(n, n, |i, j| a[i * n + j]);
    let b = Mat::<f64>::from_fn(n, k, |i, j| b[i * k + j]);
    let x = a.partial_piv_lu().solve(&b);
    (0..n)
        .flat_map(|i| (0..k).map(move |j| (i, j)))
        .map(|(i, j)| x[(i, j)])
        .collect()
}

/// Eigenvalues (decreasing) and unit eigenvectors (`vectors[k]`, d each) of a symmetric
/// `a` (d × d, row-major; its lower triangle is read), or `None` for a matrix with a
/// non-finite entry or one whose iteration does not converge.
pub fn symmetric_eigen(a: &[f64], d: usize) -> Option<(Vec<f64>, Vec<Vec<f64>>)> {
    if a.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let m = Mat::<f64>::from_fn(d, d, |i, j| a[i * d + j]);
    let evd = m.self_adjoint_eigen(Side::Lower).ok()?;
    let (u, s) = (evd.U(), evd.S().column_vector());
    // faer returns them in increasing order.
    let values = (0..d).rev().map(|k| s[k]).collect();
    let vectors = (0..d)
        .rev()
        .map(|k| (0..d).map(|i| u[(i, k)]).collect())
        .collect();
    Some((values, vectors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_solvers_solve() {
        // [[2, 1], [4, 3]] x = [3, 7] and [1, 1] → x = [1, 1] and [1, −1].
        let x = solve_general(&[2.0, 1.0, 4.0, 3.0], 2, &[3.0, 1.0, 7.0, 1.0], 2);
        let want = [1.0, 1.0, 1.0, -1.0];
        assert!(
            x.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
            "{x:?}"
        );
        let a = Mat::<f64>::from_fn(2, 2, |i, j| [[4.0, 1.0], [1.0, 3.0]][i][j]);
        let b = Mat::<f64>::from_fn(2, 1, |i, _| [1.0, 2.0][i]);
        let x = solve_symmetric(&a, &b);
        assert!((x[(0, 0)] - 1.0 / 11.0).abs() < 1e-12 && (x[(1, 0)] - 7.0 / 11.0).abs() < 1e-12);
    }

    #[test]
    fn symmetric_eigen_orders_by_decreasing_value() {
        // [[2, 1], [1, 2]]: 3 along (1, 1)/√2, 1 along (1, −1)/√2.
        let (values, vectors) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2).unwrap();
        assert!((values[0] - 3.0).abs() < 1e-12 && (values[1] - 1.0).abs() < 1e-12);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!((vectors[0][0].abs() - h).abs() < 1e-12 && vectors[0][0] * vectors[0][1] > 0.0);
        assert!(vectors[1][0] * vectors[1][1] < 0.0);
        assert!(symmetric_eigen(&[f64::NAN, 0.0, 0.0, 1.0], 2).is_none());
    }
}
