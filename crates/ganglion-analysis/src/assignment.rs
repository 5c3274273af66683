//! Optimal assignment: the Hungarian (Kuhn–Munkres) algorithm, and label matching with it.
//!
//! Given a cost matrix `c` (rows × columns, row-major), find the one-to-one assignment of
//! rows to columns with the least total cost. This is the shortest-augmenting-path form of
//! Kuhn (1955) and Munkres (1957) with row and column potentials (Jonker & Volgenant 1987
//! style), O(n²·m) for n ≤ m: each row is added by one Dijkstra-like search over the columns
//! on reduced costs `c[i][j] − u[i] − v[j] ≥ 0`. Rectangular matrices are allowed: with more
//! rows than columns the problem is solved on the transpose, so `min(rows, cols)` pairs are
//! returned, as `scipy.optimize.linear_sum_assignment` does.
//!
//! [`match_labels`] uses it the way state-space and clustering papers score unsupervised
//! labels: the inferred label ↔ true label map that maximises the agreement (e.g. the states
//! of an HMM fitted without supervision, Li et al. 2024).

/// Minimum-cost assignment of a `rows × cols` cost matrix (row-major, finite entries).
/// Returns the `min(rows, cols)` assigned `(row, col)` pairs sorted by row.
///
/// Panics if `cost.len() != rows * cols` or an entry is not finite.
pub fn min_cost(cost: &[f64], rows: usize, cols: usize) -> Vec<(usize, usize)> {
    assert_eq!(
        cost.len(),
        rows * cols,
        "assignment::min_cost: cost has {} entries, expected rows × cols = {rows} × {cols}",
        cost.len()
    );
    if let Some(i) = cost.iter().position(|c| !c.is_finite()) {
        panic!(
            "assignment::min_cost: cost[{i}] = {} is not finite; use a large finite cost for forbidden pairs",
            cost[i]
        );
    }
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    if rows > cols {
        let t: Vec<f64> = (0..cols * rows)
            .map(|k| cost[(k % rows) * cols + k / rows])
            .collect();
        let mut pairs: Vec<(usize, usize)> = min_cost(&t, cols, rows)
            .into_iter()
            .map(|(c, r)| (r, c))
            .collect();
        pairs.sort_unstable();
        return pairs;
    }
    let (n, m) = (rows, cols);
    // 1-based, with column 0 a virtual column that holds the row being inserted.
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; m + 1];
    let mut row_of = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        row_of[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = row_of[j0];
            let (mut delta, mut j1) = (f64::INFINITY, 0);
            let (row, ui) = (&cost[(i0 - 1) * m..i0 * m], u[i0]);
            for j in 1..=m {
                if !used[j] {
                    let cur = row[j - 1] - ui - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[row_of[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if row_of[j0] == 0 {
                break;
            }
        }
        // Augment along the alternating path back to the virtual column.
        loop {
            let j1 = way[j0];
            row_of[j0] = row_of[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut pairs: Vec<(usize, usize)> = (1..=m)
        .filter(|&j| row_of[j] != 0)
        .map(|j| (row_of[j] - 1, j - 1))
        .collect();
    pairs.sort_unstable();
    pairs
}

/// Maximum-score assignment of a `rows × cols` score matrix (row-major): [`min_cost`] of the
/// negated scores. Returns the assigned `(row, col)` pairs sorted by row.
pub fn max_score(score: &[f64], rows: usize, cols: usize) -> Vec<(usize, usize)> {
    let neg: Vec<f64> = score.iter().map(|s| -s).collect();
    min_cost(&neg, rows, cols)
}

/// Total of `matrix[row * cols + col]` over `pairs`.
pub fn total(matrix: &[f64], cols: usize, pairs: &[(usize, usize)]) -> f64 {
    pairs.iter().map(|&(r, c)| matrix[r * cols + c]).sum()
}

/// Matches inferred labels to true labels so that they agree most often.
///
/// `truth` and `inferred` are equally long label sequences with values below `k_true` and
/// `k_inferred`. Returns `(accuracy, map)`: `map[inferred label] = Some(true label)` for the
/// matched labels (`None` for surplus inferred labels), and the fraction of positions whose
/// mapped inferred label equals the true one.
pub fn match_labels(
    truth: &[usize],
    inferred: &[usize],
    k_true: usize,
    k_inferred: usize,
) -> (f64, Vec<Option<usize>>) {
    assert_eq!(
        truth.len(),
        inferred.len(),
        "assignment::match_labels: {} true labels but {} inferred ones",
        truth.len(),
        inferred.len()
    );
    let mut agree = vec![0.0; k_inferred * k_true];
    for (&t, &i) in truth.iter().zip(inferred) {
        assert!(
            t < k_true && i < k_inferred,
            "assignment::match_labels: label pair ({t}, {i}) out of range ({k_true}, {k_inferred})"
        );
        agree[i * k_true + t] += 1.0;
    }
    let pairs = max_score(&agree, k_inferred, k_true);
    let mut map = vec![None; k_inferred];
    for &(i, t) in &pairs {
        map[i] = Some(t);
    }
    let hits = total(&agree, k_true, &pairs);
    (hits / truth.len().max(1) as f64, map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng;

    /// The least total over all injective maps of the smaller side into the larger.
    fn brute(cost: &[f64], rows: usize, cols: usize) -> f64 {
        fn rec(cost: &[f64], rows: usize, cols: usize, r: usize, used: &mut Vec<bool>) -> f64 {
            if r == rows {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for c in 0..cols {
                if !used[c] {
                    used[c] = true;
                    best = best.min(cost[r * cols + c] + rec(cost, rows, cols, r + 1, used));
                    used[c] = false;
                }
            }
            best
        }
        if rows <= cols {
            rec(cost, rows, cols, 0, &mut vec![false; cols])
        } else {
            let t: Vec<f64> = (0..cols * rows)
                .map(|k| cost[(k % rows) * cols + k / rows])
                .collect();
            rec(&t, cols, rows, 0, &mut vec![false; rows])
        }
    }

    fn is_matching(pairs: &[(usize, usize)], rows: usize, cols: usize) -> bool {
        let mut r: Vec<usize> = pairs.iter().map(|p| p.0).collect();
        let mut c: Vec<usize> = pairs.iter().map(|p| p.1).collect();
        r.sort_unstable();
        c.sort_unstable();
        r.dedup();
        c.dedup();
        pairs.len() == rows.min(cols) && r.len() == pairs.len() && c.len() == pairs.len()
    }

    #[test]
    fn hand_cases() {
        // The classic 3 × 3 example: optimum 5 = 1 + 2 + 2.
        let c = [4.0, 1.0, 3.0, 2.0, 0.0, 5.0, 3.0, 2.0, 2.0];
        let p = min_cost(&c, 3, 3);
        assert_eq!(p, vec![(0, 1), (1, 0), (2, 2)]);
        assert_eq!(total(&c, 3, &p), 5.0);
        // Max score of the same matrix: 4 + 5 + 2 = 11 (0→0, 1→2, 2→1).
        let p = max_score(&c, 3, 3);
        assert_eq!(total(&c, 3, &p), 11.0);
        // Rectangular, wide: two rows pick the two cheapest distinct columns.
        let c = [5.0, 1.0, 9.0, 2.0, 1.0, 8.0];
        assert_eq!(min_cost(&c, 2, 3), vec![(0, 1), (1, 0)]);
        // Tall: the same matrix transposed (3 rows, 2 columns).
        let c = [5.0, 2.0, 1.0, 1.0, 9.0, 8.0];
        assert_eq!(min_cost(&c, 3, 2), vec![(0, 1), (1, 0)]);
        assert!(min_cost(&[], 0, 4).is_empty());
        assert_eq!(min_cost(&[7.0], 1, 1), vec![(0, 0)]);
    }

    #[test]
    fn agrees_with_brute_force_on_random_matrices() {
        let mut rng = Rng(7);
        for trial in 0..300 {
            let rows = 1 + trial % 6;
            let cols = 1 + (trial / 6) % 6;
            // Integer costs make ties frequent, which exercises degenerate steps.
            let integer = trial % 2 == 0;
            let cost: Vec<f64> = (0..rows * cols)
                .map(|_| {
                    let x = 10.0 * rng.uniform() - 3.0;
                    if integer { x.floor() } else { x }
                })
                .collect();
            let p = min_cost(&cost, rows, cols);
            assert!(is_matching(&p, rows, cols), "{p:?}");
            let best = brute(&cost, rows, cols);
            assert!(
                (total(&cost, cols, &p) - best).abs() < 1e-9,
                "trial {trial}: {} vs {best}",
                total(&cost, cols, &p)
            );
        }
    }

    #[test]
    fn match_labels_recovers_a_permutation() {
        let truth = [0, 0, 1, 1, 2, 2, 2, 0];
        let inferred = [2, 2, 0, 0, 1, 1, 0, 2];
        let (acc, map) = match_labels(&truth, &inferred, 3, 3);
        assert_eq!(map, vec![Some(1), Some(2), Some(0)]);
        assert_eq!(acc, 7.0 / 8.0);
        // A surplus inferred label is left unmatched.
        let (acc, map) = match_labels(&[0, 0, 1, 1], &[0, 2, 1, 1], 2, 3);
        assert_eq!(acc, 0.75);
        assert_eq!(map.iter().filter(|m| m.is_none()).count(), 1);
    }

    #[test]
    #[should_panic(expected = "not finite")]
    fn rejects_nan() {
        min_cost(&[1.0, f64::NAN], 1, 2);
    }
}
