//! Spike-timing-dependent plasticity inside the engine.
//!
//! Each partition keeps, per plastic projection, its own copy of the presynaptic traces (one
//! per source neuron, updated from the spike lists every partition already reads) and the
//! postsynaptic traces of its own targets, plus an index of the synapses onto each target.
//! So plasticity, like delivery, touches only partition-owned memory.
//!
//! Order within step t (see [`crate::network`]): all traces decay by one step; after the
//! neuron update, every postsynaptic spike potentiates its incoming synapses with the
//! presynaptic traces (pre spikes up to t − 1), then bumps the postsynaptic traces; during
//! propagation every presynaptic spike depresses its synapses with the postsynaptic traces
//! (post spikes up to t), the updated weight is delivered, and the presynaptic traces are
//! bumped. Pre and post spikes in the same step therefore count as pre-after-post. Times are
//! emission times: Δt = t_post − t_pre, independent of the transmission delay.

use crate::connect::Csr;
use ganglion_model::{ModulatorSource, PlasticRule, ResolvedPlasticity};

/// Plasticity state of one projection in one partition.
#[derive(Debug)]
pub struct PlasticState {
    rule: PlasticRule,
    w_min: f32,
    w_max: f32,
    /// +1 or −1: weights are `sign · magnitude`; rules act on magnitudes.
    sign: f32,
    /// Per-step decay factors of (pre a, pre b, post a, post b).
    decay: [f32; 4],
    /// Presynaptic traces per source neuron: fast (`x`, `r1`) and slow (`r2`).
    pre_a: Vec<f32>,
    pre_b: Vec<f32>,
    /// Postsynaptic traces per local target: fast (`y`, `o1`) and slow (`o2`).
    post_a: Vec<f32>,
    post_b: Vec<f32>,
    /// Synapses onto local target i: `in_syn[in_ptr[i]..in_ptr[i+1]]` (indices into the CSR)
    /// with their sources in `in_src`.
    in_ptr: Vec<u64>,
    in_syn: Vec<u32>,
    in_src: Vec<u32>,
    /// Three-factor: eligibility per synapse (parallel to the CSR), its per-step decay, and
    /// the filtered values of population modulator and gate.
    elig: Vec<f32>,
    elig_decay: f32,
    filtered: [f64; 2],
    /// Time step [ms].
    dt: f64,
}

impl PlasticState {
    /// State for `csr` (targets local to the partition, `n_local` of them, `n_src` sources).
    pub fn new(
        p: &ResolvedPlasticity,
        csr: &Csr,
        n_src: usize,
        n_local: usize,
        dt: f64,
    ) -> PlasticState {
        let d = |tau: f64| (-dt / tau).exp() as f32;
        let decay = match p.rule {
            PlasticRule::Pair {
                tau_plus,
                tau_minus,
                ..
            } => [d(tau_plus), 1.0, d(tau_minus), 1.0],
            PlasticRule::Triplet {
                tau_plus,
                tau_minus,
                tau_x,
                tau_y,
                ..
            } => [d(tau_plus), d(tau_x), d(tau_minus), d(tau_y)],
            PlasticRule::Vogels { tau, .. } => [d(tau), 1.0, d(tau), 1.0],
            PlasticRule::ThreeFactor {
                tau_plus,
                tau_minus,
                ..
            } => [d(tau_plus), 1.0, d(tau_minus), 1.0],
            PlasticRule::Scaling { tau, .. } => [1.0, 1.0, d(tau), 1.0],
            PlasticRule::PowerLaw {
                tau_plus,
                tau_minus,
                ..
            } => [d(tau_plus), 1.0, d(tau_minus), 1.0],
        };
        let (elig, elig_decay) = match p.rule {
            PlasticRule::ThreeFactor { tau_e, .. } => (vec![0.0; csr.w.len()], d(tau_e)),
            _ => (vec![], 1.0),
        };
        let sign = if csr.w.iter().any(|&w| w < 0.0) {
            -1.0
        } else {
            1.0
        };
        // Incoming index by counting sort over targets; sources ascend within each target.
        let mut counts = vec![0u64; n_local + 1];
        for &t in &csr.tgt {
            counts[t as usize + 1] += 1;
        }
        for i in 0..n_local {
            counts[i + 1] += counts[i];
        }
        let in_ptr = counts.clone();
        let mut cursor = counts;
        assert!(
            csr.tgt.len() < u32::MAX as usize,
            "more than 4e9 plastic synapses in one partition"
        );
        let mut in_syn = vec![0u32; csr.tgt.len()];
        let mut in_src = vec![0u32; csr.tgt.len()];
        for s in 0..n_src {
            for k in csr.row_ptr[s]..csr.row_ptr[s + 1] {
                let t = csr.tgt[k as usize] as usize;
                let pos = cursor[t] as usize;
                cursor[t] += 1;
                in_syn[pos] = k as u32;
                in_src[pos] = s as u32;
            }
        }
        PlasticState {
            rule: p.rule.clone(),
            w_min: p.w_min as f32,
            w_max: p.w_max as f32,
            sign,
            decay,
            pre_a: vec![0.0; n_src],
            pre_b: vec![0.0; n_src],
            post_a: vec![0.0; n_local],
            post_b: vec![0.0; n_local],
            in_ptr,
            in_syn,
            in_src,
            elig,
            elig_decay,
            filtered: [0.0; 2],
            dt,
        }
    }

    /// Synaptic scaling after step `t`: every `interval` steps, scale the weights onto each
    /// local neuron by 1 + rate·(target − r)·interval, r its rate estimate [Hz].
    pub fn scale(&mut self, t: u64, w: &mut [f32]) {
        let PlasticRule::Scaling {
            target,
            rate,
            interval,
            ..
        } = self.rule
        else {
            return;
        };
        if (t + 1) % interval != 0 {
            return;
        }
        let span_s = interval as f64 * self.dt * 1e-3;
        for i in 0..self.post_a.len() {
            let factor = (1.0 + rate * (target - self.post_a[i] as f64) * span_s).max(0.0) as f32;
            for j in self.in_ptr[i] as usize..self.in_ptr[i + 1] as usize {
                let k = self.in_syn[j] as usize;
                w[k] = self.sign * self.clip(w[k] * self.sign * factor);
            }
        }
    }

    /// The populations whose spike counts drive this projection's modulator and gate.
    pub fn modulator_populations(&self) -> [Option<usize>; 2] {
        let pop = |m: &ModulatorSource| match m {
            ModulatorSource::Population { population, .. } => Some(*population),
            ModulatorSource::Series { .. } => None,
        };
        match &self.rule {
            PlasticRule::ThreeFactor {
                modulator, gate, ..
            } => [pop(modulator), gate.as_ref().and_then(pop)],
            _ => [None, None],
        }
    }

    /// Three-factor update at the end of step `t`: `spikes[i]` is the number of spikes of
    /// modulator (i = 0) and gate (i = 1) populations this step, `sizes[i]` their sizes.
    pub fn modulate(
        &mut self,
        t: u64,
        dt: f64,
        spikes: [usize; 2],
        sizes: [usize; 2],
        w: &mut [f32],
    ) {
        let PlasticRule::ThreeFactor {
            rate,
            modulator,
            gate,
            ..
        } = &self.rule
        else {
            return;
        };
        let mut value = |i: usize, m: &ModulatorSource| -> f64 {
            match m {
                ModulatorSource::Series { values, step } => values
                    .get((t as f64 * dt / step) as usize)
                    .copied()
                    .unwrap_or(0.0),
                ModulatorSource::Population { tau, offset, .. } => {
                    let d = (-dt / tau).exp();
                    let inst = spikes[i] as f64 / sizes[i].max(1) as f64 / (dt * 1e-3);
                    self.filtered[i] = self.filtered[i] * d + (1.0 - d) * inst;
                    self.filtered[i] - offset
                }
            }
        };
        let m = value(0, modulator);
        let g = gate.as_ref().map(|g| value(1, g)).unwrap_or(1.0);
        let factor = (rate * self.w_max as f64 * m * g * dt * 1e-3) as f32;
        let ed = self.elig_decay;
        if factor != 0.0 {
            for (k, e) in self.elig.iter_mut().enumerate() {
                let mag = w[k] * self.sign + factor * *e;
                w[k] = self.sign * mag.clamp(self.w_min, self.w_max);
                *e *= ed;
            }
        } else {
            self.elig.iter_mut().for_each(|e| *e *= ed);
        }
    }

    /// Decay every trace by one step.
    pub fn decay(&mut self) {
        let [a, b, c, d] = self.decay;
        self.pre_a.iter_mut().for_each(|x| *x *= a);
        if b != 1.0 {
            self.pre_b.iter_mut().for_each(|x| *x *= b);
        }
        self.post_a.iter_mut().for_each(|x| *x *= c);
        if d != 1.0 {
            self.post_b.iter_mut().for_each(|x| *x *= d);
        }
    }

    #[inline]
    fn clip(&self, m: f32) -> f32 {
        m.clamp(self.w_min, self.w_max)
    }

    /// Potentiate the synapses onto local neuron `i`, which spiked; then bump its traces.
    pub fn on_post(&mut self, i: usize, w: &mut [f32]) {
        if let PlasticRule::Scaling { .. } = self.rule {
            // The rate estimate: a spike adds (1 − d)/dt so that r is a rate in Hz.
            self.post_a[i] += (1.0 - self.decay[2]) / (self.dt * 1e-3) as f32;
            return;
        }
        let (a, b) = (self.in_ptr[i] as usize, self.in_ptr[i + 1] as usize);
        let (o2, wmax) = (self.post_b[i], self.w_max);
        for j in a..b {
            let k = self.in_syn[j] as usize;
            let s = self.in_src[j] as usize;
            let m = w[k] * self.sign;
            let dm = match self.rule {
                PlasticRule::Pair {
                    a_plus,
                    multiplicative,
                    ..
                } => {
                    let f = if multiplicative {
                        a_plus as f32 * (wmax - m)
                    } else {
                        a_plus as f32 * wmax
                    };
                    f * self.pre_a[s]
                }
                PlasticRule::Triplet {
                    a2_plus, a3_plus, ..
                } => self.pre_a[s] * (a2_plus as f32 + a3_plus as f32 * o2) * wmax,
                PlasticRule::Vogels { eta, .. } => eta as f32 * self.pre_a[s],
                PlasticRule::ThreeFactor { a_plus, .. } => {
                    self.elig[k] += a_plus as f32 * self.pre_a[s];
                    0.0
                }
                PlasticRule::Scaling { .. } => 0.0,
                PlasticRule::PowerLaw { lambda, mu, .. } => {
                    lambda as f32 * m.max(0.0).powf(mu as f32) * self.pre_a[s]
                }
            };
            w[k] = self.sign * self.clip(m + dm);
        }
        match self.rule {
            PlasticRule::Pair { nearest: true, .. } => self.post_a[i] = 1.0,
            _ => self.post_a[i] += 1.0,
        }
        self.post_b[i] += 1.0;
    }

    /// Depress synapse `k` (onto local target `t`) for a spike of its source.
    #[inline]
    pub fn on_pre_synapse(&mut self, s: usize, k: usize, t: usize, w: &mut [f32]) {
        let m = w[k] * self.sign;
        let dm = match self.rule {
            PlasticRule::Pair {
                a_minus,
                multiplicative,
                ..
            } => {
                let f = if multiplicative {
                    a_minus as f32 * (m - self.w_min)
                } else {
                    a_minus as f32 * self.w_max
                };
                -f * self.post_a[t]
            }
            PlasticRule::Triplet {
                a2_minus, a3_minus, ..
            } => -self.post_a[t] * (a2_minus as f32 + a3_minus as f32 * self.pre_b[s]) * self.w_max,
            PlasticRule::Vogels { eta, alpha, .. } => eta as f32 * (self.post_a[t] - alpha as f32),
            PlasticRule::ThreeFactor { a_minus, .. } => {
                self.elig[k] -= a_minus as f32 * self.post_a[t];
                0.0
            }
            PlasticRule::Scaling { .. } => return,
            PlasticRule::PowerLaw { lambda, alpha, .. } => {
                -(lambda * alpha) as f32 * m * self.post_a[t]
            }
        };
        w[k] = self.sign * self.clip(m + dm);
    }

    /// Bump the presynaptic traces of source `s` after its synapses were updated.
    pub fn bump_pre(&mut self, s: usize) {
        match self.rule {
            PlasticRule::Pair { nearest: true, .. } => self.pre_a[s] = 1.0,
            _ => self.pre_a[s] += 1.0,
        }
        self.pre_b[s] += 1.0;
    }
}
