//! Spike encodings of intensities in [0, 1].
//!
//! Random encodings use a counter-based generator: the draw for (key, step, input) is a hash
//! of the three, so a sample's spikes do not depend on batch composition, thread count or the
//! order samples are visited. Make the key with [`stream_key`] from (seed, sample id), and
//! fold the epoch into the seed for fresh spikes every epoch.
//!
//! Output layout everywhere: `steps × inputs` row-major `u8` (1 = spike in that step).

/// One SplitMix64 step (`ganglion_base::rng::splitmix64`): a bijective 64-bit mixer.
pub use ganglion_base::rng::splitmix64 as mix64;

/// The stream key of sample `sample` under `seed`.
pub fn stream_key(seed: u64, sample: u64) -> u64 {
    mix64(mix64(seed) ^ sample.wrapping_mul(0xA076_1D64_78BD_642F))
}

/// Uniform in [0, 1) from (key, step, input): 24 random bits, exact in f32.
#[inline]
pub fn unit(key: u64, step: u64, input: u64) -> f32 {
    let h = mix64(
        key ^ step.wrapping_mul(0xE703_7ED1_A0B4_28DB) ^ input.wrapping_mul(0x8EBC_6AF0_9C88_C6E3),
    );
    (h >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
}

/// Rate (Bernoulli/Poisson) coding: in each of `steps` steps input i spikes with probability
/// `gain · x[i]` (clipped to [0, 1]); `gain = 1` makes a white pixel spike every step.
/// Returns `steps × x.len()` spikes.
pub fn poisson(x: &[f32], steps: usize, gain: f32, key: u64) -> Vec<u8> {
    let n = x.len();
    let mut out = vec![0u8; steps * n];
    poisson_into(x, steps, gain, key, &mut out);
    out
}

/// [`poisson`] into a caller's buffer of `steps × x.len()`.
pub fn poisson_into(x: &[f32], steps: usize, gain: f32, key: u64, out: &mut [u8]) {
    let n = x.len();
    assert_eq!(
        out.len(),
        steps * n,
        "poisson_into: buffer must be steps × inputs"
    );
    for t in 0..steps {
        for (i, &xi) in x.iter().enumerate() {
            let p = (gain * xi).clamp(0.0, 1.0);
            out[t * n + i] = (p > 0.0 && unit(key, t as u64, i as u64) < p) as u8;
        }
    }
}

/// Latency coding: input i spikes once, at step `round((1 − x[i]) · (steps − 1))`, so the
/// brightest inputs spike first; inputs with `x[i] < threshold` never spike. Linear in
/// intensity (snnTorch's `latency(..., linear=True)`). Returns `steps × x.len()` spikes.
pub fn latency(x: &[f32], steps: usize, threshold: f32) -> Vec<u8> {
    let n = x.len();
    let mut out = vec![0u8; steps * n];
    if steps == 0 {
        return out;
    }
    for (i, &xi) in x.iter().enumerate() {
        if xi >= threshold && xi > 0.0 {
            let t = ((1.0 - xi.clamp(0.0, 1.0)) * (steps - 1) as f32).round() as usize;
            out[t * n + i] = 1;
        }
    }
    out
}
