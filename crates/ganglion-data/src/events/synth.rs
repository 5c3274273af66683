//! Synthetic event movies with known motion.
//!
//! **Texture.** A random-phase band-pass noise, the kind of "Motion Cloud" texture
//! Grimaldi & Perrinet (2023) test with and whose whitened natural images it stands in for:
//! a sum of `components` plane waves `cos(k·r + φ)` with random phases φ, radial
//! frequencies |k|/2π drawn log-normally around `freq` (cycles per pixel, log-SD
//! `freq_bandwidth`) and orientations uniform (isotropic) or von-Mises-like around
//! `orientation`. It is defined on the continuous plane, so a sub-pixel translation is exact
//! (a phase shift, as the paper's Fourier-domain translation), and it has no edges to wrap.
//! It is scaled to RMS `contrast` and read as log-intensity.
//!
//! **Motion.** A trajectory is one velocity per frame step (px per frame); the texture at
//! frame `f` is the texture shifted by the summed displacement. [`saccades`] draws the
//! paper's jagged random walk: segments of Poisson-distributed length (mean 24 frames in
//! the paper), each with a motion class drawn uniformly from a set of directions × speeds.
//!
//! **Events.** Each pixel keeps a reference log-intensity; whenever the current value is
//! `threshold` or more above (below) it, an ON (OFF) event is emitted and the reference
//! steps by ± `threshold` (several events for a large change). An event's time is placed
//! by linear interpolation between the two frames, at the moment the crossing happened —
//! the idealised DVS pixel (Lichtsteiner et al. 2008), as in the paper's conversion.

use super::{Event, EventError, EventStream};
use ganglion_base::rng::{Stream, derive};
use std::f64::consts::PI;

/// Parameters of the random band-pass texture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextureParams {
    /// Median radial spatial frequency, cycles per pixel (0 < freq ≤ 0.5).
    pub freq: f64,
    /// Standard deviation of ln(frequency): the bandwidth.
    pub freq_bandwidth: f64,
    /// Mean orientation of the wave vectors, radians (used when `orientation_bandwidth` is finite).
    pub orientation: f64,
    /// Standard deviation of the orientation around `orientation`, radians;
    /// `f64::INFINITY` for an isotropic texture.
    pub orientation_bandwidth: f64,
    /// Number of plane waves.
    pub components: usize,
    /// RMS of the log-intensity.
    pub contrast: f64,
}

impl Default for TextureParams {
    fn default() -> Self {
        Self {
            freq: 0.08,
            freq_bandwidth: 0.4,
            orientation: 0.0,
            orientation_bandwidth: f64::INFINITY,
            components: 64,
            contrast: 1.0,
        }
    }
}

/// Parameters of the DVS conversion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DvsParams {
    /// Contrast threshold, log-intensity units (> 0).
    pub threshold: f64,
    /// Frame interval, µs (the paper: 1 ms bins).
    pub frame_us: u64,
}

impl Default for DvsParams {
    fn default() -> Self {
        Self {
            threshold: 0.25,
            frame_us: 1000,
        }
    }
}

/// A velocity, pixels per frame (x to the right, y down the rows).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Motion {
    /// Horizontal velocity, px per frame.
    pub vx: f64,
    /// Vertical velocity, px per frame.
    pub vy: f64,
}

/// The motion classes `directions × speeds`: class `s · directions + d` moves at
/// `speeds[s]` px per frame in direction `2π d / directions` (0 = +x, counter-clockwise
/// towards +y).
pub fn motion_classes(directions: usize, speeds: &[f64]) -> Vec<Motion> {
    speeds
        .iter()
        .flat_map(|&v| {
            (0..directions).map(move |d| {
                let a = 2.0 * PI * d as f64 / directions as f64;
                Motion {
                    vx: v * a.cos(),
                    vy: v * a.sin(),
                }
            })
        })
        .collect()
}

/// A random band-pass texture: the sum of plane waves `amp · cos(kx·x + ky·y + φ)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Texture {
    /// `(kx, ky, phase, amplitude)` per component, wave vectors in radians per pixel.
    pub waves: Vec<(f64, f64, f64, f64)>,
}

impl Texture {
    /// A texture drawn from `p` with random stream key `key`.
    pub fn random(p: &TextureParams, key: u64) -> Result<Self, EventError> {
        let bad = |what: String, hint: &str| {
            Err(EventError::Invalid {
                what,
                hint: hint.into(),
            })
        };
        if !(p.freq > 0.0 && p.freq <= 0.5) {
            return bad(
                format!(
                    "TextureParams: freq = {} cycles/px is out of (0, 0.5]",
                    p.freq
                ),
                "use a frequency below the Nyquist limit, e.g. 0.08",
            );
        }
        if p.components == 0 || !(p.contrast > 0.0) || !(p.freq_bandwidth >= 0.0) {
            return bad(
                format!(
                    "TextureParams: components = {}, contrast = {}, freq_bandwidth = {} (need ≥ 1, > 0, ≥ 0)",
                    p.components, p.contrast, p.freq_bandwidth
                ),
                "see TextureParams::default()",
            );
        }
        let mut s = Stream::new(key);
        let amp = p.contrast * (2.0 / p.components as f64).sqrt();
        let waves = (0..p.components)
            .map(|_| {
                let f = (p.freq * (p.freq_bandwidth * s.normal()).exp()).min(0.5);
                let theta = if p.orientation_bandwidth.is_finite() {
                    p.orientation + p.orientation_bandwidth * s.normal()
                } else {
                    2.0 * PI * s.uniform()
                };
                let k = 2.0 * PI * f;
                (
                    k * theta.cos(),
                    k * theta.sin(),
                    2.0 * PI * s.uniform(),
                    amp,
                )
            })
            .collect();
        Ok(Self { waves })
    }

    /// The log-intensity at the continuous point `(x, y)`.
    pub fn value(&self, x: f64, y: f64) -> f64 {
        self.waves
            .iter()
            .map(|&(kx, ky, ph, a)| a * (kx * x + ky * y + ph).cos())
            .sum()
    }

    /// The `width × height` frame of the texture shifted by `(dx, dy)` pixels, row-major
    /// (`out[y * width + x] = value(x − dx, y − dy)`).
    pub fn frame(&self, width: usize, height: usize, (dx, dy): (f64, f64), out: &mut [f64]) {
        assert_eq!(
            out.len(),
            width * height,
            "Texture::frame: out has the wrong length"
        );
        out.fill(0.0);
        let (mut ex, mut ey) = (vec![(0.0, 0.0); width], vec![(0.0, 0.0); height]);
        for &(kx, ky, ph, a) in &self.waves {
            // cos(kx x' + ky y' + φ) = Re(e^{i kx x'} · a e^{i (ky y' + φ)}): one complex
            // product per pixel instead of a cosine.
            for (x, e) in ex.iter_mut().enumerate() {
                let u = kx * (x as f64 - dx);
                *e = (u.cos(), u.sin());
            }
            for (y, e) in ey.iter_mut().enumerate() {
                let u = ky * (y as f64 - dy) + ph;
                *e = (a * u.cos(), a * u.sin());
            }
            for (row, &(c, s)) in out.chunks_exact_mut(width).zip(&ey) {
                for (o, &(cx, sx)) in row.iter_mut().zip(&ex) {
                    *o += cx * c - sx * s;
                }
            }
        }
    }
}

/// Motion labels for `bins` frame steps along a saccade-like random walk: segments whose
/// lengths are `max(1, Poisson(mean_len))` frames, each with a class drawn uniformly from
/// `0..classes` (independently, so a class may repeat).
pub fn saccades(bins: usize, classes: usize, mean_len: f64, key: u64) -> Vec<usize> {
    assert!(classes > 0, "saccades: classes must be > 0");
    let mut s = Stream::new(key);
    let mut labels = Vec::with_capacity(bins);
    while labels.len() < bins {
        let len = (s.poisson(mean_len) as usize).max(1);
        let c = s.below(classes as u64) as usize;
        labels.extend(std::iter::repeat_n(c, len.min(bins - labels.len())));
    }
    labels
}

/// An event movie and the motion class of each frame step.
#[derive(Debug, Clone, PartialEq)]
pub struct Movie {
    /// The events; those of frame step `b` have times in `[b, b + 1) · frame_us`.
    pub stream: EventStream,
    /// `labels[b]`: the motion class between frames `b` and `b + 1`.
    pub labels: Vec<usize>,
}

/// Renders the texture moving with `motions[labels[b]]` during frame step `b` and turns it
/// into DVS events (see the module docs). The texture and its start position come from
/// `key`.
pub fn render(
    width: u16,
    height: u16,
    motions: &[Motion],
    labels: &[usize],
    tex: &TextureParams,
    dvs: &DvsParams,
    key: u64,
) -> Result<Movie, EventError> {
    let texture = Texture::random(tex, derive(key, 1))?;
    let mut s = Stream::new(derive(key, 2));
    let start = (1000.0 * s.uniform(), 1000.0 * s.uniform());
    render_with(&texture, start, width, height, motions, labels, dvs)
}

/// [`render`] with a given texture and start shift `start` (px).
///
/// Fails if a label has no motion or `dvs` is not positive.
pub fn render_with(
    texture: &Texture,
    start: (f64, f64),
    width: u16,
    height: u16,
    motions: &[Motion],
    labels: &[usize],
    dvs: &DvsParams,
) -> Result<Movie, EventError> {
    if let Some(&c) = labels.iter().find(|&&c| c >= motions.len()) {
        return Err(EventError::Invalid {
            what: format!("render: label {c} but only {} motions", motions.len()),
            hint: "labels index into motions".into(),
        });
    }
    if !(dvs.threshold > 0.0) || dvs.frame_us == 0 {
        return Err(EventError::Invalid {
            what: format!(
                "DvsParams: threshold = {}, frame_us = {} (both must be > 0)",
                dvs.threshold, dvs.frame_us
            ),
            hint: "e.g. threshold 0.25, frame_us 1000".into(),
        });
    }
    let (w, h) = (width as usize, height as usize);
    let mut pos = start;
    let (mut prev, mut now) = (vec![0.0; w * h], vec![0.0; w * h]);
    texture.frame(w, h, pos, &mut prev);
    let mut reference = prev.clone();
    let (th, dt) = (dvs.threshold, dvs.frame_us as f64);
    let mut events = Vec::new();
    for (b, &c) in labels.iter().enumerate() {
        pos.0 += motions[c].vx;
        pos.1 += motions[c].vy;
        texture.frame(w, h, pos, &mut now);
        for i in 0..w * h {
            let (l0, l1) = (prev[i], now[i]);
            let (x, y) = ((i % w) as u16, (i / w) as u16);
            let r = &mut reference[i];
            let mut emit = |level: f64, on: bool| {
                let frac = ((level - l0) / (l1 - l0)).clamp(0.0, 1.0);
                // Within the step, strictly below its end, so the event stays in bin b.
                let t = (b as f64 + frac.min(0.999_999)) * dt;
                events.push(Event {
                    t: t as u64,
                    x,
                    y,
                    on,
                });
            };
            while l1 - *r >= th {
                *r += th;
                emit(*r, true);
            }
            while *r - l1 >= th {
                *r -= th;
                emit(*r, false);
            }
        }
        std::mem::swap(&mut prev, &mut now);
    }
    Ok(Movie {
        stream: EventStream::new(width, height, events)?,
        labels: labels.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_matches_pointwise_values() {
        let t = Texture::random(&TextureParams::default(), 3).unwrap();
        let mut out = vec![0.0; 7 * 5];
        t.frame(7, 5, (1.25, -0.5), &mut out);
        for y in 0..5 {
            for x in 0..7 {
                let v = t.value(x as f64 - 1.25, y as f64 + 0.5);
                assert!((out[y * 7 + x] - v).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn texture_has_the_requested_contrast() {
        let p = TextureParams {
            components: 256,
            ..TextureParams::default()
        };
        let t = Texture::random(&p, 9).unwrap();
        let mut out = vec![0.0; 128 * 128];
        t.frame(128, 128, (0.0, 0.0), &mut out);
        let rms = (out.iter().map(|v| v * v).sum::<f64>() / out.len() as f64).sqrt();
        assert!((rms - 1.0).abs() < 0.15, "rms {rms}");
    }

    #[test]
    fn one_wave_moved_one_step_gives_the_counted_and_timed_events() {
        // One wave along x moved by a quarter period in one frame step, threshold 0.1: each
        // pixel's log-intensity changes by a known Δ and must emit floor(|Δ| / θ) events of
        // Δ's sign, the j-th at the fraction j·θ / |Δ| of the step (linear interpolation).
        let tex = Texture {
            waves: vec![(2.0 * PI / 8.0, 0.0, 0.3, 1.0)],
        };
        let dvs = DvsParams {
            threshold: 0.1,
            frame_us: 1000,
        };
        let right = [Motion { vx: 2.0, vy: 0.0 }];
        let m = render_with(&tex, (0.0, 0.0), 8, 1, &right, &[0], &dvs).unwrap();
        for x in 0..8u16 {
            let d = tex.value(x as f64 - 2.0, 0.0) - tex.value(x as f64, 0.0);
            let n = (d.abs() / 0.1 + 1e-12).floor() as usize;
            let mine: Vec<&Event> = m.stream.events.iter().filter(|e| e.x == x).collect();
            assert_eq!(mine.len(), n, "pixel {x}: Δ = {d}");
            for (j, e) in mine.iter().enumerate() {
                assert_eq!(e.on, d > 0.0);
                let t = 1000.0 * (j + 1) as f64 * 0.1 / d.abs();
                assert!(
                    (e.t as f64 - t).abs() <= 1.0,
                    "pixel {x} event {j}: {} vs {t}",
                    e.t
                );
            }
        }
    }

    #[test]
    fn render_emits_timed_events_in_their_bins_and_more_for_faster_motion() {
        let motions = motion_classes(4, &[0.5, 2.0]);
        let dvs = DvsParams::default();
        let slow = render(
            16,
            16,
            &motions,
            &[0; 10],
            &TextureParams::default(),
            &dvs,
            5,
        )
        .unwrap();
        let fast = render(
            16,
            16,
            &motions,
            &[4; 10],
            &TextureParams::default(),
            &dvs,
            5,
        )
        .unwrap();
        assert!(slow.stream.events.iter().all(|e| e.t < 10 * dvs.frame_us));
        assert!(fast.stream.events.len() > 2 * slow.stream.events.len());
        // Both polarities appear in a moving texture.
        let on = fast.stream.count_on();
        assert!(on > 0 && on < fast.stream.events.len());
    }

    #[test]
    fn motion_classes_and_saccades() {
        let m = motion_classes(8, &[1.0, 2.0]);
        assert_eq!(m.len(), 16);
        assert!((m[2].vx).abs() < 1e-12 && (m[2].vy - 1.0).abs() < 1e-12);
        assert!((m[8].vx - 2.0).abs() < 1e-12);
        let l = saccades(1000, 8, 24.0, 1);
        assert_eq!(l.len(), 1000);
        let switches = l.windows(2).filter(|w| w[0] != w[1]).count();
        // Mean segment 24 frames, 7/8 of boundaries change class: about 1000/24·7/8 ≈ 36.
        assert!((20..60).contains(&switches), "{switches}");
    }
}
