//! Kamin blocking with the trained layers: the classic conditioning result
//! that separates an error-driven (Rescorla–Wagner, delta) rule from a
//! Hebbian one.
//!
//! Blocking group: phase 1 pairs CS A with the US `T1` times; phase 2 pairs
//! the compound AB (input `x_A + x_B`, one key `W_k(x_A + x_B)` normalised) with the
//! same US `T2` times. Control group: phase 2 only. Test: CS B alone; the
//! response is the fraction of the US value retrieved, `r = (M q_B)·v / v·v`.
//! Blocking index `1 − r_blocking / r_control`: 0 when pretraining A does not
//! matter, 1 when B learned nothing.
//!
//! Theory, with orthogonal unit keys `k_A ⊥ k_B`, compound key
//! `(k_A + k_B)/√2` and `q_B = k_B`: the Hebbian memory sums the pairings, so
//! B's response is the same in both groups (index 0). The delta rule learns
//! from the prediction error: with the memory restricted to
//! `v (a k_Aᵀ + b k_Bᵀ)`, phase 1 gives `a ← a + β(1 − a)`, phase 2
//! `a, b ← a, b + β(1 − (a + b)/√2)/√2`, and the index follows from `b` in
//! the two groups ([`delta_index_theory`]).

use serde::Serialize;

use super::layer::{Layer, distinct_cs, us};
use crate::stats::stream;

/// Phase-1 and phase-2 trials.
pub const T1: usize = 4;
pub const T2: usize = 4;

/// One blocking experiment (one set of stimuli).
#[derive(Debug, Clone, Serialize)]
pub struct BlockingRun {
    pub rule: &'static str,
    pub set: usize,
    pub r_blocking: f64,
    pub r_control: f64,
    pub index: f64,
}

/// Runs blocking and control with fresh stimuli `A`, `B` and US from `seed`.
pub fn run(layer: &Layer, set: usize, seed: u64) -> BlockingRun {
    let mut rng = stream(seed, set as u64);
    let ab = distinct_cs(&mut rng, layer.vocab, 2);
    let v = layer.value(&us(&mut rng, layer.d_v));
    let (ka, kab, qb) = (layer.key(&ab[..1]), layer.key(&ab), layer.query(&ab[1..]));
    let response = |pretrain: bool| {
        let mut m = vec![0.0; layer.d_v * layer.d_k];
        if pretrain {
            for _ in 0..T1 {
                layer.write(&mut m, &ka, &v);
            }
        }
        for _ in 0..T2 {
            layer.write(&mut m, &kab, &v);
        }
        let y = layer.read(&m, &qb);
        let vv: f64 = v.iter().map(|x| x * x).sum();
        y.iter().zip(&v).map(|(y, v)| y * v).sum::<f64>() / vv
    };
    let (r_blocking, r_control) = (response(true), response(false));
    BlockingRun {
        rule: layer.rule.label(),
        set,
        r_blocking,
        r_control,
        index: 1.0 - r_blocking / r_control,
    }
}

/// The delta rule's blocking index for orthogonal keys (see the module docs).
pub fn delta_index_theory(beta: f64) -> f64 {
    let s = std::f64::consts::FRAC_1_SQRT_2;
    let b_after = |pretrain: bool| {
        let (mut a, mut b) = (0.0f64, 0.0f64);
        if pretrain {
            for _ in 0..T1 {
                a += beta * (1.0 - a);
            }
        }
        for _ in 0..T2 {
            let err = 1.0 - s * (a + b);
            a += beta * err * s;
            b += beta * err * s;
        }
        // Test with q_B = k_B: the response is b.
        b
    };
    1.0 - b_after(true) / b_after(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theory_limits() {
        // β = 1: A alone predicts the US, the compound's key predicts 1/√2 of
        // it, so B learns (1 − 1/√2)/√2 against 1/√2 in the control.
        let one = delta_index_theory(1.0);
        assert!(
            (one - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12,
            "{one}"
        );
        let t = delta_index_theory(1e-9);
        assert!(t.abs() < 1e-6, "vanishing rate: no competition yet, {t}");
        let strong = delta_index_theory(0.9);
        assert!(strong > 0.5 && strong < 1.0, "{strong}");
        assert!(delta_index_theory(0.5) < strong);
    }
}
