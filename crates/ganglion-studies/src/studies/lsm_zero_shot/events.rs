//! The two synthesised event modalities. Neither is a recorded neuromorphic dataset: both are
//! made here from Fashion-MNIST images (the paper used N-MNIST, recorded by a DVS camera, and
//! N-TIDIGITS, spoken digits recorded by a silicon cochlea).
//!
//! - **Vision** ([`dvs_events`]): a DVS-camera emulator watching the image move along three
//!   saccades (a triangle, as N-MNIST's recording rig moves the sensor). Every pixel keeps a
//!   reference log intensity; whenever the current log intensity departs from it by the contrast
//!   threshold an ON or OFF event is emitted and the reference moves by one threshold (the
//!   usual DVS model, as in v2e). Channels: `2 × rows × cols` (ON then OFF per pixel).
//! - **"Audio"** ([`cochlea_events`]): a *sonification* of a different image of the same class,
//!   as a sensory-substitution device (the vOICe) does: the image is scanned column by column
//!   (time), each row drives the cochlear channels tuned near it (frequency, a Gaussian
//!   filterbank), brightness sets loudness (compressed by a square root). Each sample gets its
//!   own speed (time warp), pitch shift, gain and background noise, and every channel then
//!   fires as an inhomogeneous Poisson process at a rate proportional to its envelope (a
//!   silicon-cochlea-like spike code).
//!
//! Because the sonification is one fixed map for every class, what relates a class's image to
//! its sound is the same for classes seen in training and held out: this is what makes
//! zero-shot cross-modal transfer possible on these data, and the report says so.

use rand::RngExt;

use crate::stats::{StudyRng, normal};

/// Settings of the two event generators.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct EventConfig {
    /// Side of the pooled image (28 / pool) \[pixels\].
    pub side: usize,
    /// Duration of each of the three saccades \[ms\].
    pub saccade_ms: f64,
    /// Sub-steps per saccade at which the emulator compares intensities.
    pub substeps: usize,
    /// DVS contrast threshold \[log-intensity units\].
    pub contrast: f64,
    /// Offset inside the log, ln(I + offset), I in \[0, 1\] (avoids ln 0 on black pixels).
    pub log_offset: f64,
    /// Background (noise) event rate per DVS channel \[Hz\].
    pub dvs_noise_hz: f64,
    /// Cochlear channels.
    pub cochlea_channels: usize,
    /// Duration of one column of the scan at nominal speed \[ms\].
    pub column_ms: f64,
    /// Peak firing rate of a cochlear channel at full loudness \[Hz\].
    pub cochlea_max_hz: f64,
    /// Background rate of a cochlear channel \[Hz\].
    pub cochlea_noise_hz: f64,
}

impl EventConfig {
    /// Number of DVS channels (ON and OFF per pooled pixel).
    pub fn dvs_channels(&self) -> usize {
        2 * self.side * self.side
    }
    /// Length of a vision sample: three saccades \[ms\].
    pub fn dvs_ms(&self) -> f64 {
        3.0 * self.saccade_ms
    }
}

/// One event: channel and time from the start of the sample \[ms\].
pub type Event = (u32, f64);

/// Bilinear sample of `img` (side × side) at (y, x), zero outside.
fn bilinear(img: &[f32], side: usize, y: f64, x: f64) -> f64 {
    let (y0, x0) = (y.floor(), x.floor());
    let (fy, fx) = (y - y0, x - x0);
    let at = |yy: f64, xx: f64| -> f64 {
        if yy < 0.0 || xx < 0.0 || yy >= side as f64 || xx >= side as f64 {
            0.0
        } else {
            img[yy as usize * side + xx as usize] as f64
        }
    };
    (1.0 - fy) * ((1.0 - fx) * at(y0, x0) + fx * at(y0, x0 + 1.0))
        + fy * ((1.0 - fx) * at(y0 + 1.0, x0) + fx * at(y0 + 1.0, x0 + 1.0))
}

/// DVS events of `img` (side × side, intensities in \[0, 1\]) moved along the triangle
/// (0,0) → (1,1) → (0,2) → (0,0) pixels (y, x), one saccade per leg (see the module docs).
/// Events are sorted by time.
pub fn dvs_events(img: &[f32], cfg: &EventConfig, rng: &mut StudyRng) -> Vec<Event> {
    let side = cfg.side;
    let path = [(0.0, 0.0), (1.0, 1.0), (0.0, 2.0), (0.0, 0.0)];
    let log = |v: f64| (v + cfg.log_offset).ln();
    let mut reference: Vec<f64> = img.iter().map(|&v| log(v as f64)).collect();
    let mut out = Vec::new();
    let dt = cfg.saccade_ms / cfg.substeps as f64;
    for leg in 0..3 {
        let (a, b) = (path[leg], path[leg + 1]);
        for s in 1..=cfg.substeps {
            let f = s as f64 / cfg.substeps as f64;
            let (oy, ox) = (a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1));
            let t0 = (leg * cfg.substeps + s - 1) as f64 * dt;
            for y in 0..side {
                for x in 0..side {
                    let p = y * side + x;
                    let now = log(bilinear(img, side, y as f64 - oy, x as f64 - ox));
                    while (now - reference[p]).abs() >= cfg.contrast {
                        let on = now > reference[p];
                        reference[p] += if on { cfg.contrast } else { -cfg.contrast };
                        let ch = if on { p } else { side * side + p };
                        out.push((ch as u32, t0 + rng.random::<f64>() * dt));
                    }
                }
            }
        }
    }
    poisson_noise(
        &mut out,
        cfg.dvs_channels(),
        cfg.dvs_noise_hz,
        cfg.dvs_ms(),
        rng,
    );
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    out
}

/// Adds homogeneous Poisson events at `rate_hz` per channel over `[0, ms)`.
fn poisson_noise(out: &mut Vec<Event>, channels: usize, rate_hz: f64, ms: f64, rng: &mut StudyRng) {
    if rate_hz <= 0.0 {
        return;
    }
    let per_ms = rate_hz * 1e-3;
    for ch in 0..channels {
        let mut t = 0.0;
        loop {
            t += -(1.0 - rng.random::<f64>()).ln() / per_ms;
            if t >= ms {
                break;
            }
            out.push((ch as u32, t));
        }
    }
}

/// Per-sample variation of the sonification.
#[derive(Debug, Clone, Copy)]
pub struct Voice {
    /// Scan speed factor (duration of a column = column_ms / speed).
    pub speed: f64,
    /// Shift of the rows' map onto the cochlea \[channels\].
    pub pitch_shift: f64,
    /// Loudness gain.
    pub gain: f64,
}

impl Voice {
    /// A random voice: speed uniform in \[0.85, 1.15\], pitch shift N(0, 1) channels, gain
    /// uniform in \[0.7, 1.3\].
    pub fn draw(rng: &mut StudyRng) -> Voice {
        Voice {
            speed: 0.85 + 0.3 * rng.random::<f64>(),
            pitch_shift: normal(rng),
            gain: 0.7 + 0.6 * rng.random::<f64>(),
        }
    }
}

/// Cochlear envelope of `img` (side × side) under `voice`: `steps × channels` loudness in
/// \[0, ∞) on a 1 ms grid, and the number of 1 ms steps (see the module docs).
pub fn cochleagram(img: &[f32], cfg: &EventConfig, voice: &Voice) -> (Vec<f64>, usize) {
    let side = cfg.side;
    let ch = cfg.cochlea_channels;
    let col_ms = cfg.column_ms / voice.speed;
    let steps = (side as f64 * col_ms).ceil() as usize;
    // Row r (top = high pitch) is centred on channel c_r; Gaussian tuning of width sigma.
    let spacing = (ch - 1) as f64 / (side - 1) as f64;
    let sigma = spacing;
    let mut env = vec![0.0; steps * ch];
    for t in 0..steps {
        let col = ((t as f64 + 0.5) / col_ms).floor() as usize;
        if col >= side {
            continue;
        }
        for (k, e) in env[t * ch..(t + 1) * ch].iter_mut().enumerate() {
            let mut s = 0.0;
            for r in 0..side {
                let centre = (side - 1 - r) as f64 * spacing + voice.pitch_shift;
                let d = (k as f64 - centre) / sigma;
                s += img[r * side + col] as f64 * (-0.5 * d * d).exp();
            }
            *e = voice.gain * s.max(0.0).sqrt();
        }
    }
    (env, steps)
}

/// Spike events of the cochleagram of `img` under `voice`: each channel an inhomogeneous
/// Poisson process at `cochlea_max_hz × envelope / envelope_scale` plus background noise, in
/// 1 ms bins with uniform jitter. Sorted by time.
pub fn cochlea_events(
    img: &[f32],
    cfg: &EventConfig,
    voice: &Voice,
    rng: &mut StudyRng,
) -> Vec<Event> {
    let (env, steps) = cochleagram(img, cfg, voice);
    let ch = cfg.cochlea_channels;
    // A pixel of intensity 1 under the centre of a channel, at gain 1, fires at the maximum rate.
    let mut out = Vec::new();
    for t in 0..steps {
        for k in 0..ch {
            let p = (cfg.cochlea_max_hz * env[t * ch + k] + cfg.cochlea_noise_hz) * 1e-3;
            // At most a few spikes per ms: Bernoulli splits of the Poisson count.
            let mut n = 0;
            let mut acc = (-p).exp();
            let mut cdf = acc;
            let u: f64 = rng.random();
            while u > cdf && n < 8 {
                n += 1;
                acc *= p / n as f64;
                cdf += acc;
            }
            for _ in 0..n {
                out.push((k as u32, t as f64 + rng.random::<f64>()));
            }
        }
    }
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    out
}

/// Average-pools a 28 × 28 image by `pool` (side 28 / pool).
pub fn pool(img: &[f32], cols: usize, pool: usize) -> Vec<f32> {
    let side = cols / pool;
    let norm = 1.0 / (pool * pool) as f32;
    let mut out = vec![0.0; side * side];
    for y in 0..side {
        for x in 0..side {
            let mut s = 0.0;
            for dy in 0..pool {
                for dx in 0..pool {
                    s += img[(y * pool + dy) * cols + x * pool + dx];
                }
            }
            out[y * side + x] = s * norm;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::stream;

    fn cfg() -> EventConfig {
        EventConfig {
            side: 6,
            saccade_ms: 10.0,
            substeps: 5,
            contrast: 0.3,
            log_offset: 0.1,
            dvs_noise_hz: 0.0,
            cochlea_channels: 8,
            column_ms: 2.0,
            cochlea_max_hz: 300.0,
            cochlea_noise_hz: 0.0,
        }
    }

    #[test]
    fn a_blank_image_makes_no_dvs_events_and_an_edge_makes_on_and_off() {
        let c = cfg();
        let mut rng = stream(1, 1);
        assert!(dvs_events(&[0.0; 36], &c, &mut rng).is_empty());
        let mut img = [0.0f32; 36];
        for y in 0..6 {
            img[y * 6 + 2] = 1.0;
        }
        let ev = dvs_events(&img, &c, &mut rng);
        assert!(ev.iter().any(|e| (e.0 as usize) < 36));
        assert!(ev.iter().any(|e| (e.0 as usize) >= 36));
        assert!(ev.windows(2).all(|w| w[0].1 <= w[1].1));
        assert!(ev.iter().all(|e| e.1 >= 0.0 && e.1 < c.dvs_ms()));
    }

    #[test]
    fn the_sonification_maps_columns_to_time_and_rows_to_channels() {
        let c = cfg();
        let mut img = [0.0f32; 36];
        img[5 * 6 + 3] = 1.0; // bottom row (low pitch), column 3
        let v = Voice {
            speed: 1.0,
            pitch_shift: 0.0,
            gain: 1.0,
        };
        let (env, steps) = cochleagram(&img, &c, &v);
        assert_eq!(steps, 12);
        let (mut best, mut at) = (0.0, (0, 0));
        for t in 0..steps {
            for k in 0..8 {
                if env[t * 8 + k] > best {
                    best = env[t * 8 + k];
                    at = (t, k);
                }
            }
        }
        assert_eq!(at.1, 0);
        assert!(at.0 == 6 || at.0 == 7, "{at:?}");
        assert!((best - 1.0).abs() < 1e-12);
    }
}
