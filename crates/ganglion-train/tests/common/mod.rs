//! Helpers shared by the integration tests (each test file uses some of them).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report
#![allow(dead_code)]

use ganglion_train::TrainConfig;
use ganglion_train::config::TrainFile;

/// The default settings with `steps` time steps per sample (and an initial weight gain).
pub fn config(steps: usize, init_gain: Option<f32>) -> TrainConfig {
    TrainFile {
        steps: Some(steps),
        init_gain,
        ..Default::default()
    }
    .resolve()
    .expect("cfg")
}

/// `len` spike flags, each set with probability `p` (draw `i` of stream `key`, channel `ch`).
pub fn bernoulli(len: usize, p: f32, key: u64, ch: u64) -> Vec<u8> {
    (0..len)
        .map(|i| (ganglion_data::encode::unit(key, i as u64, ch) < p) as u8)
        .collect()
}

/// The number of spikes in a flag array.
pub fn count(spikes: &[u8]) -> usize {
    spikes.iter().map(|&b| b as usize).sum()
}
