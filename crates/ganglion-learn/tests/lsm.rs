//! Liquid state machines on the engine: fading memory of a random input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_learn::Ridge;
use ganglion_learn::lsm::{LsmConfig, lsm_states};

/// R² of a ridge readout predicting u(t − delay) from the states, trained on the first 70 %.
fn recall_r2(cfg: &LsmConfig, delay: usize) -> f64 {
    let n = 1500;
    let mut x = 12345u64;
    let u: Vec<f64> = (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect();
    let states = lsm_states(cfg, &u).unwrap();
    let target: Vec<f64> = (0..n)
        .map(|t| if t >= delay { u[t - delay] } else { 0.0 })
        .collect();
    let (wash, split) = (50, 1050);
    let train = states.slice(wash..split);
    let ridge = Ridge::fit(&train, &target[wash..split], 1e-3).unwrap();
    let pred = ridge.predict(&states.slice(split..n));
    let y = &target[split..n];
    let m = y.iter().sum::<f64>() / y.len() as f64;
    let ss_res: f64 = pred.iter().zip(y).map(|(p, t)| (p - t) * (p - t)).sum();
    let ss_tot: f64 = y.iter().map(|t| (t - m) * (t - m)).sum();
    1.0 - ss_res / ss_tot
}

#[test]
fn lif_liquid_has_fading_memory() {
    let cfg = LsmConfig {
        size: 300,
        ..LsmConfig::default()
    };
    let (r0, r1, r8) = (recall_r2(&cfg, 0), recall_r2(&cfg, 1), recall_r2(&cfg, 8));
    assert!(r0 > 0.8, "current input decodable: R² {r0}");
    assert!(r1 > 0.4, "previous input still decodable: R² {r1}");
    assert!(r8 < r1, "memory fades: R² {r8} at delay 8 vs {r1} at 1");
}

#[test]
fn izhikevich_liquid_encodes_its_input() {
    let cfg = LsmConfig {
        size: 300,
        ..LsmConfig::izhikevich()
    };
    let r0 = recall_r2(&cfg, 0);
    assert!(r0 > 0.6, "R² {r0}");
}
