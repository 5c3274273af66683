//! Heterogeneous-delay (HD) kernels over event streams: the HD-SNN layer of Grimaldi &
//! Perrinet (2023, *Biol. Cybern.*, doi:10.1007/s00422-023-00975-8, "Learning heterogeneous delays in a layer of
//! spiking neurons for fast motion detection").
//!
//! A neuron of class `c` at pixel `(x, y)` has one synapse per presynaptic address
//! `(polarity p, x + dx, y + dy)` and delay `d` (in time bins), with weight
//! `W[c, p, d, dy, dx]`. Its activation at time bin `t` sums the weights whose delayed input
//! arrives together (the paper's eq. 2, a causal spatio-temporal correlation):
//!
//! `a_c(t, x, y) = b_c + Σ_{p, d, dy, dx} W[c, p, d, dy, dx] · A(p, t − d, x + dx, y + dy)`
//!
//! with `A` the binary event raster (1 where the pixel emitted an event of polarity `p` in
//! that bin). The class probabilities are a softmax over `a_c` (multinomial logistic
//! regression, the paper's eq. 3), trained on labelled movies by minibatch gradient descent
//! (Adam) on the cross-entropy. Outputs are computed where the events are — at each pixel
//! that fired in bin `t` — and a movie's decision at bin `t` sums the log-probabilities over
//! those positions (independent observations of one full-field motion, as the paper's mean
//! logit).
//!
//! **Layout.** Delays `d = 0 … D − 1` (0 = the same bin), offsets `dx, dy ∈ [−R, R]`
//! (`S = 2R + 1`), polarity 0 = OFF, 1 = ON. Feature `k = ((p·D + d)·S + dy + R)·S + dx + R`
//! and `weights[k · C + c]` (row-major F × C, class fastest), so one input adds a contiguous
//! C-vector to the logits. The spatial support is the disc `dx² + dy² ≤ R²` (the paper's
//! circular mask), optionally narrowed to a cone `dx² + dy² ≤ (speed · d + 1)²` (its
//! delay-dependent radius).
//!
//! **Speed.** The cost is per output event, not per voxel: the raster is stored as 64-bit
//! row masks, so the inputs of one output are found by 2·D·S word reads and the set bits
//! within them (`trailing_zeros`), each adding C weights.
//!
//! **Pruning and delay shortening.** [`HdKernel::prune_to`] keeps the largest-|w| weights
//! and zeroes the rest; [`HdKernel::shorten_delays`] zeroes every weight of delay `≥ keep`.
//! Both act on a trained kernel without retraining, as in the paper, and
//! [`Evaluation::ops_per_output`] counts the synaptic operations (non-zero weights touched)
//! per output, the paper's computational load.

mod train;

pub use train::{HdConfig, Output, Trained, fit};

use crate::error::{LearnError, Result};

/// A binary event raster of one movie: `A(p, t, x, y)` as 64-bit row masks, and the output
/// positions (pixels that fired) of each bin.
#[derive(Debug, Clone)]
pub struct EventRaster {
    width: usize,
    height: usize,
    bins: usize,
    words: usize,
    /// `bits[((t · 2 + p) · height + y) · words + x / 64]`, bit `x % 64`.
    bits: Vec<u64>,
    /// Distinct `(x, y)` that fired (either polarity) in bin `t`: `positions[starts[t]..starts[t + 1]]`.
    positions: Vec<(u16, u16)>,
    starts: Vec<usize>,
}

impl EventRaster {
    /// The raster of `events` = `(bin, x, y, polarity)` (polarity 0 OFF, 1 ON) on a
    /// `width × height` sensor over `bins` time bins. Repeated events are merged (binary raster).
    pub fn new(
        width: usize,
        height: usize,
        bins: usize,
        events: impl IntoIterator<Item = (u32, u16, u16, u8)>,
    ) -> Result<Self> {
        if width == 0 || height == 0 || bins == 0 {
            return Err(LearnError::param(
                "EventRaster",
                "width × height × bins",
                format!("{width} × {height} × {bins}"),
                "must all be ≥ 1",
                "give the sensor size and the number of time bins",
            ));
        }
        let words = width.div_ceil(64);
        let mut bits = vec![0u64; bins * 2 * height * words];
        let mut fired = vec![Vec::new(); bins];
        for (t, x, y, p) in events {
            let (t, x, y) = (t as usize, x as usize, y as usize);
            if t >= bins || x >= width || y >= height || p > 1 {
                return Err(LearnError::param(
                    "EventRaster",
                    "event",
                    format!("(bin {t}, x {x}, y {y}, polarity {p})"),
                    format!("outside {bins} bins × {width} × {height} pixels × 2 polarities"),
                    "bin the events with the same bin count and sensor size",
                ));
            }
            let i = ((t * 2 + p as usize) * height + y) * words + x / 64;
            bits[i] |= 1 << (x % 64);
            fired[t].push((x as u16, y as u16));
        }
        let mut positions = Vec::new();
        let mut starts = vec![0];
        for mut f in fired {
            f.sort_unstable_by_key(|&(x, y)| (y, x));
            f.dedup();
            positions.extend(f);
            starts.push(positions.len());
        }
        Ok(Self {
            width,
            height,
            bins,
            words,
            bits,
            positions,
            starts,
        })
    }

    /// Sensor width, pixels.
    pub fn width(&self) -> usize {
        self.width
    }
    /// Sensor height, pixels.
    pub fn height(&self) -> usize {
        self.height
    }
    /// Number of time bins.
    pub fn bins(&self) -> usize {
        self.bins
    }
    /// The distinct pixels `(x, y)` that fired in bin `t` (row-major order).
    pub fn positions(&self, t: usize) -> &[(u16, u16)] {
        &self.positions[self.starts[t]..self.starts[t + 1]]
    }
    /// Whether `A(p, t, x, y) = 1`.
    pub fn get(&self, p: usize, t: usize, x: usize, y: usize) -> bool {
        self.bits[((t * 2 + p) * self.height + y) * self.words + x / 64] >> (x % 64) & 1 == 1
    }

    /// Bits `x0 .. x0 + len` (len ≤ 64) of row `(t, p, y)` as the low bits of a word;
    /// pixels outside the sensor read 0.
    fn window(&self, t: usize, p: usize, y: usize, x0: isize, len: usize) -> u64 {
        let row = &self.bits[((t * 2 + p) * self.height + y) * self.words..][..self.words];
        let word = |i: isize| -> u64 {
            if i < 0 || i as usize >= self.words {
                0
            } else {
                row[i as usize]
            }
        };
        let (w, b) = (x0.div_euclid(64), x0.rem_euclid(64) as u32);
        let lo = word(w) >> b;
        let hi = if b == 0 { 0 } else { word(w + 1) << (64 - b) };
        let v = lo | hi;
        if len >= 64 {
            v
        } else {
            v & ((1u64 << len) - 1)
        }
    }
}

/// The kernel's size: classes, delays and spatial radius.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelShape {
    /// Number of classes C (output channels).
    pub classes: usize,
    /// Number of delays D (bins 0 … D − 1).
    pub delays: usize,
    /// Spatial radius R: offsets in `[−R, R]`, support the disc of radius R.
    pub radius: usize,
    /// Cone mask: at delay `d` only offsets within `speed · d + 1` pixels (None: the disc).
    pub cone_speed: Option<f64>,
}

impl KernelShape {
    /// Side S = 2R + 1.
    pub fn side(&self) -> usize {
        2 * self.radius + 1
    }
    /// Number of features F = 2 · D · S².
    pub fn features(&self) -> usize {
        2 * self.delays * self.side() * self.side()
    }
    /// Feature index of `(p, d, dy, dx)`, offsets in `[−R, R]`.
    pub fn feature(&self, p: usize, d: usize, dy: isize, dx: isize) -> usize {
        let (s, r) = (self.side(), self.radius as isize);
        ((p * self.delays + d) * s + (dy + r) as usize) * s + (dx + r) as usize
    }
    /// `(p, d, dy, dx)` of feature `k`.
    pub fn unfeature(&self, k: usize) -> (usize, usize, isize, isize) {
        let (s, r) = (self.side(), self.radius as isize);
        let (dx, rest) = (k % s, k / s);
        let (dy, rest) = (rest % s, rest / s);
        let (d, p) = (rest % self.delays, rest / self.delays);
        (p, d, dy as isize - r, dx as isize - r)
    }
    /// Whether `(d, dy, dx)` lies in the support (disc, and cone if set).
    pub fn in_support(&self, d: usize, dy: isize, dx: isize) -> bool {
        let r2 = (dx * dx + dy * dy) as f64;
        let disc = (self.radius * self.radius) as f64;
        let cone = self
            .cone_speed
            .map_or(f64::INFINITY, |v| (v * d as f64 + 1.0).powi(2));
        r2 <= disc.min(cone) + 1e-9
    }
}

/// A heterogeneous-delay kernel layer: weights `W[k, c]`, biases, and which weights exist.
#[derive(Debug, Clone)]
pub struct HdKernel {
    /// The shape.
    pub shape: KernelShape,
    /// Weights, F × C row-major (`weights[k · C + c]`, feature layout in the module docs).
    pub weights: Vec<f64>,
    /// Biases, one per class.
    pub bias: Vec<f64>,
    /// `live[k · C + c]`: whether the weight exists (in the support, not pruned).
    live: Vec<bool>,
    /// Per feature: number of live classes (synaptic operations when it is active).
    live_count: Vec<u32>,
    /// Per row `(p, d, dy)`: mask of the `dx` offsets with a live weight (bit `dx + R`).
    row_mask: Vec<u64>,
}

/// Accuracy and cost of a kernel on a set of movies.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Fraction of decisions (movie, bin) whose arg-max class is the label.
    pub accuracy: f64,
    /// Number of decisions.
    pub decisions: usize,
    /// Mean number of non-zero weights touched per output position (synaptic operations).
    pub ops_per_output: f64,
    /// Mean cross-entropy per output position (nats).
    pub loss: f64,
}

impl HdKernel {
    /// A zero kernel of `shape`.
    pub fn new(shape: KernelShape) -> Result<Self> {
        if shape.classes < 2 || shape.delays == 0 || shape.side() > 64 {
            return Err(LearnError::param(
                "KernelShape",
                "classes / delays / radius",
                format!("{} / {} / {}", shape.classes, shape.delays, shape.radius),
                "need ≥ 2 classes, ≥ 1 delay and a radius ≤ 31",
                "e.g. classes 8, delays 12, radius 5",
            ));
        }
        if let Some(v) = shape.cone_speed
            && !(v >= 0.0)
        {
            return Err(LearnError::param(
                "KernelShape",
                "cone_speed",
                v,
                "must be ≥ 0",
                "the fastest speed in px per bin, or None",
            ));
        }
        let (f, c) = (shape.features(), shape.classes);
        let mut live = vec![false; f * c];
        for k in 0..f {
            let (_, d, dy, dx) = shape.unfeature(k);
            if shape.in_support(d, dy, dx) {
                live[k * c..(k + 1) * c].fill(true);
            }
        }
        let mut kernel = Self {
            shape,
            weights: vec![0.0; f * c],
            bias: vec![0.0; c],
            live,
            live_count: vec![0; f],
            row_mask: vec![0; f / shape.side()],
        };
        kernel.refresh_masks();
        Ok(kernel)
    }

    fn refresh_masks(&mut self) {
        let (c, s) = (self.shape.classes, self.shape.side());
        for (k, n) in self.live_count.iter_mut().enumerate() {
            *n = self.live[k * c..(k + 1) * c].iter().filter(|&&l| l).count() as u32;
        }
        for (row, m) in self.row_mask.iter_mut().enumerate() {
            *m = (0..s)
                .filter(|&j| self.live_count[row * s + j] > 0)
                .fold(0, |m, j| m | 1 << j);
        }
    }

    /// Number of weights that exist (in the support and not pruned).
    pub fn active_weights(&self) -> usize {
        self.live.iter().filter(|&&l| l).count()
    }

    /// Number of weights of the dense kernel, `C · 2 · D · S²` (the paper's reference).
    pub fn dense_weights(&self) -> usize {
        self.weights.len()
    }

    /// Whether weight `(k, c)` exists.
    pub fn is_live(&self, k: usize, c: usize) -> bool {
        self.live[k * self.shape.classes + c]
    }

    /// The live features active at output `(t, x, y)`, appended to `out` (cleared first).
    pub fn features(&self, a: &EventRaster, t: usize, x: usize, y: usize, out: &mut Vec<u32>) {
        out.clear();
        let KernelShape { delays, radius, .. } = self.shape;
        let (s, r) = (self.shape.side(), radius as isize);
        for p in 0..2 {
            for d in 0..delays.min(t + 1) {
                for dy in -r..=r {
                    let yy = y as isize + dy;
                    if yy < 0 || yy >= a.height as isize {
                        continue;
                    }
                    let row = (p * delays + d) * s + (dy + r) as usize;
                    let mut bits =
                        a.window(t - d, p, yy as usize, x as isize - r, s) & self.row_mask[row];
                    while bits != 0 {
                        let j = bits.trailing_zeros() as usize;
                        out.push((row * s + j) as u32);
                        bits &= bits - 1;
                    }
                }
            }
        }
    }

    /// Logits `b + Σ_{k ∈ feats} W[k, ·]` into `out` (length C).
    pub fn logits(&self, feats: &[u32], out: &mut [f64]) {
        let c = self.shape.classes;
        out.copy_from_slice(&self.bias);
        for &k in feats {
            let w = &self.weights[k as usize * c..][..c];
            for (o, &v) in out.iter_mut().zip(w) {
                *o += v;
            }
        }
    }

    /// Accuracy, cost and loss on `movies`: each `(raster, labels)` with `labels[t]` the
    /// class of bin `t`, or `None` for bins not scored. A decision is made at every scored
    /// bin with at least one output position.
    pub fn evaluate(&self, movies: &[(&EventRaster, &[Option<usize>])]) -> Evaluation {
        self.evaluate_variants(std::slice::from_ref(self), movies)
            .pop()
            .expect("one variant")
    }

    /// [`evaluate`](Self::evaluate) for several kernels derived from this one by
    /// [`prune_to`](Self::prune_to) or [`shorten_delays`](Self::shorten_delays) (their
    /// weights exist only where this kernel's do), finding each output's inputs once.
    ///
    /// Panics if a variant has another shape or a weight this kernel lacks.
    pub fn evaluate_variants(
        &self,
        variants: &[HdKernel],
        movies: &[(&EventRaster, &[Option<usize>])],
    ) -> Vec<Evaluation> {
        for (i, v) in variants.iter().enumerate() {
            assert!(
                v.shape == self.shape && v.live.iter().zip(&self.live).all(|(a, b)| !a || *b),
                "evaluate_variants: variant {i} is not a pruned or shortened copy of this kernel"
            );
        }
        let (c, nv) = (self.shape.classes, variants.len());
        let (mut feats, mut mine, mut z) = (Vec::new(), Vec::new(), vec![0.0; c]);
        let mut score = vec![0.0; nv * c];
        let (mut right, mut ops, mut loss) = (vec![0usize; nv], vec![0u64; nv], vec![0.0; nv]);
        let (mut decisions, mut outputs) = (0usize, 0usize);
        for (a, labels) in movies {
            for (t, label) in labels.iter().enumerate().take(a.bins) {
                let Some(label) = *label else { continue };
                let pos = a.positions(t);
                if pos.is_empty() {
                    continue;
                }
                score.fill(0.0);
                for &(x, y) in pos {
                    self.features(a, t, x as usize, y as usize, &mut feats);
                    for (j, v) in variants.iter().enumerate() {
                        // A variant's removed weights are zero: only its live features count.
                        mine.clear();
                        mine.extend(
                            feats
                                .iter()
                                .copied()
                                .filter(|&k| v.live_count[k as usize] > 0),
                        );
                        ops[j] += mine
                            .iter()
                            .map(|&k| v.live_count[k as usize] as u64)
                            .sum::<u64>();
                        v.logits(&mine, &mut z);
                        let lse = log_sum_exp(&z);
                        for (s, &u) in score[j * c..(j + 1) * c].iter_mut().zip(&z) {
                            *s += u - lse;
                        }
                        loss[j] += lse - z[label];
                    }
                }
                outputs += pos.len();
                decisions += 1;
                for (j, r) in right.iter_mut().enumerate() {
                    *r += (argmax(&score[j * c..(j + 1) * c]) == label) as usize;
                }
            }
        }
        let per = |v: f64, n: usize| if n == 0 { f64::NAN } else { v / n as f64 };
        (0..nv)
            .map(|j| Evaluation {
                accuracy: per(right[j] as f64, decisions),
                decisions,
                ops_per_output: per(ops[j] as f64, outputs),
                loss: per(loss[j], outputs),
            })
            .collect()
    }

    /// Keeps the `keep` live weights of largest |w| (ties by index) and removes the rest.
    /// Returns the number kept.
    pub fn prune_to(&mut self, keep: usize) -> usize {
        let mut idx: Vec<usize> = (0..self.weights.len()).filter(|&i| self.live[i]).collect();
        if keep < idx.len() {
            idx.sort_by(|&i, &j| {
                self.weights[j]
                    .abs()
                    .total_cmp(&self.weights[i].abs())
                    .then(i.cmp(&j))
            });
            for &i in &idx[keep..] {
                self.live[i] = false;
                self.weights[i] = 0.0;
            }
            self.refresh_masks();
        }
        keep.min(idx.len())
    }

    /// Removes every weight of delay `≥ keep` (the longest delays first).
    pub fn shorten_delays(&mut self, keep: usize) {
        let c = self.shape.classes;
        for k in 0..self.shape.features() {
            if self.shape.unfeature(k).1 >= keep {
                self.live[k * c..(k + 1) * c].fill(false);
                self.weights[k * c..(k + 1) * c].fill(0.0);
            }
        }
        self.refresh_masks();
    }

    /// Sum over classes of |W| per delay (length D): where the kernel's weight lies in time.
    pub fn weight_by_delay(&self) -> Vec<f64> {
        let c = self.shape.classes;
        let mut out = vec![0.0; self.shape.delays];
        for k in 0..self.shape.features() {
            let d = self.shape.unfeature(k).1;
            out[d] += self.weights[k * c..(k + 1) * c]
                .iter()
                .map(|w| w.abs())
                .sum::<f64>();
        }
        out
    }
}

fn log_sum_exp(z: &[f64]) -> f64 {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

fn argmax(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &x)| {
            if x > bv { (i, x) } else { (bi, bv) }
        })
        .0
}

#[cfg(test)]
mod tests;
