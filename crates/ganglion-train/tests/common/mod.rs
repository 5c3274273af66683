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

/// A spec's `[simulation]` table.
pub fn simulation(dt: &str, duration: &str) -> String {
    format!("\n[simulation]\ndt = \"{dt}\"\nduration = \"{duration}\"\n")
}

/// A `[[population]]` table; `rest` holds its further lines (`params = {…}`, `init = {…}`).
pub fn population(name: &str, size: usize, model: &str, rest: &str) -> String {
    format!("\n[[population]]\nname = \"{name}\"\nsize = {size}\nmodel = \"{model}\"\n{rest}\n")
}

/// A population of `size` input relays (`iaf_psc_delta` without refractoriness).
pub fn relays(name: &str, size: usize) -> String {
    population(name, size, "iaf_psc_delta", "params = { t_ref = \"0 ms\" }")
}

/// An all-to-all `[[projection]]` of weight 1 pA, with an optional name and delay.
pub fn all_to_all(name: Option<&str>, source: &str, target: &str, delay: Option<&str>) -> String {
    let name = name.map_or(String::new(), |n| format!("name = \"{n}\"\n"));
    let delay = delay.map_or(String::new(), |d| format!("delay = \"{d}\"\n"));
    format!(
        "\n[[projection]]\n{name}source = \"{source}\"\ntarget = \"{target}\"\nconnectivity = {{ rule = \"all_to_all\" }}\nweight = \"1 pA\"\n{delay}"
    )
}
