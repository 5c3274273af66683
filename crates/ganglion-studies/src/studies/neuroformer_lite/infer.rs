//! Connectivity scores from spikes (the lagged cross-correlogram baseline) and their
//! AUROC against the ground truth.

/// Lagged cross-correlogram score of every ordered pair i → j: the largest over lags
/// ℓ = 0 … `lags` − 1 of (c_ij(ℓ) − E_ij) / √E_ij, where c_ij(ℓ) counts spike pairs with j
/// firing in (ℓ, ℓ + 1]·`bin_ms` after i, and E_ij = n_i n_j `bin_ms` / T is its expectation
/// for independent stationary trains. Row-major n × n; the diagonal is 0.
pub fn ccg_scores(
    spikes: &[(f64, usize)],
    n: usize,
    t_ms: f64,
    bin_ms: f64,
    lags: usize,
) -> Vec<f64> {
    let mut trains: Vec<Vec<f64>> = vec![Vec::new(); n];
    for &(t, i) in spikes {
        trains[i].push(t);
    }
    let span = bin_ms * lags as f64;
    let mut out = vec![0.0; n * n];
    let mut counts = vec![0.0f64; lags];
    for i in 0..n {
        for j in 0..n {
            if i == j || trains[i].is_empty() || trains[j].is_empty() {
                continue;
            }
            counts.iter_mut().for_each(|c| *c = 0.0);
            let tj = &trains[j];
            let mut lo = 0;
            for &ti in &trains[i] {
                while lo < tj.len() && tj[lo] <= ti {
                    lo += 1;
                }
                let mut k = lo;
                while k < tj.len() && tj[k] - ti <= span {
                    let l = (((tj[k] - ti) / bin_ms).ceil() as usize).saturating_sub(1);
                    if l < lags {
                        counts[l] += 1.0;
                    }
                    k += 1;
                }
            }
            let e = trains[i].len() as f64 * tj.len() as f64 * bin_ms / t_ms;
            out[i * n + j] = counts
                .iter()
                .map(|c| (c - e) / e.sqrt())
                .fold(f64::NEG_INFINITY, f64::max);
        }
    }
    out
}

/// Area under the ROC curve of `scores` (n × n) against `adj` over the ordered pairs i ≠ j
/// (Mann–Whitney U / (P·N), ties counted ½). NaN when either class is empty.
pub fn auroc(scores: &[f64], adj: &[bool], n: usize) -> f64 {
    let mut v: Vec<(f64, bool)> = (0..n * n)
        .filter(|k| k / n != k % n)
        .map(|k| (scores[k], adj[k]))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pos = v.iter().filter(|x| x.1).count() as f64;
    let neg = v.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return f64::NAN;
    }
    // Average ranks over ties (1-based).
    let mut rank_sum = 0.0;
    let mut a = 0;
    while a < v.len() {
        let mut b = a;
        while b + 1 < v.len() && v[b + 1].0 == v[a].0 {
            b += 1;
        }
        let r = (a + b) as f64 / 2.0 + 1.0;
        rank_sum += r * v[a..=b].iter().filter(|x| x.1).count() as f64;
        a = b + 1;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// ROC curve points (false-positive rate, true-positive rate), thresholds from high to low.
pub fn roc(scores: &[f64], adj: &[bool], n: usize) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, bool)> = (0..n * n)
        .filter(|k| k / n != k % n)
        .map(|k| (scores[k], adj[k]))
        .collect();
    v.sort_by(|a, b| b.0.total_cmp(&a.0));
    let pos = v.iter().filter(|x| x.1).count().max(1) as f64;
    let neg = (v.len() as f64 - pos).max(1.0);
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut out = vec![(0.0, 0.0)];
    for (_, p) in v {
        if p {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        out.push((fp / neg, tp / pos));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auroc_of_perfect_reversed_and_tied_scores() {
        let n = 3;
        let adj = [false, true, false, false, false, true, false, false, false];
        let good: Vec<f64> = adj.iter().map(|&a| f64::from(u8::from(a))).collect();
        assert_eq!(auroc(&good, &adj, n), 1.0);
        let bad: Vec<f64> = good.iter().map(|x| -x).collect();
        assert_eq!(auroc(&bad, &adj, n), 0.0);
        assert_eq!(auroc(&[0.0; 9], &adj, n), 0.5);
        let r = roc(&good, &adj, n);
        assert_eq!(r.last(), Some(&(1.0, 1.0)));
        assert_eq!(r[2], (0.0, 1.0));
    }

    #[test]
    fn ccg_finds_a_lagged_driver() {
        // Neuron 0 fires every 10 ms, neuron 1 follows 2.5 ms later, neuron 2 fires at odd
        // times unrelated to both.
        let mut s = Vec::new();
        for k in 0..100 {
            let t = 10.0 * k as f64 + 1.0;
            s.push((t, 0));
            s.push((t + 2.5, 1));
            s.push((t + 6.3 + (k % 3) as f64, 2));
        }
        s.sort_by(|a, b| a.0.total_cmp(&b.0));
        let c = ccg_scores(&s, 3, 1000.0, 1.0, 4);
        assert!(c[1] > c[3], "0→1 {} vs 1→0 {}", c[1], c[3]);
        assert!(c[1] > c[2], "0→1 {} vs 0→2 {}", c[1], c[2]);
        assert_eq!(c[0], 0.0);
    }
}
