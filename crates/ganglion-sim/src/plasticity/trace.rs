//! The machinery every spike-timing rule shares: traces, bounds, the incoming-synapse index
//! and the loops over a spiking neuron's synapses, generic over the rule.

use super::Plastic;
use crate::connect::Csr;
use ganglion_base::state::{StateError, StateReader, StateWriter};
use ganglion_model::ResolvedPlasticity;

/// Weight bounds of a projection. Weights are `sign · magnitude`; rules act on magnitudes
/// in `[w_min, w_max]`.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Lowest magnitude.
    pub w_min: f32,
    /// Highest magnitude.
    pub w_max: f32,
    /// +1 or −1 (−1 when the projection's weights are negative).
    pub sign: f32,
}

impl Bounds {
    /// The bounds of `p` for the weights in `csr`.
    pub fn of(p: &ResolvedPlasticity, csr: &Csr) -> Bounds {
        Bounds {
            w_min: p.w_min as f32,
            w_max: p.w_max as f32,
            sign: if csr.w.iter().any(|&w| w < 0.0) {
                -1.0
            } else {
                1.0
            },
        }
    }

    /// `m` clipped to the bounds.
    #[inline]
    pub fn clip(&self, m: f32) -> f32 {
        m.clamp(self.w_min, self.w_max)
    }
}

/// Synapses onto each local target: `syn[ptr[i]..ptr[i+1]]` (indices into the CSR) with
/// their sources in `src`; sources ascend within each target.
#[derive(Debug)]
pub struct Incoming {
    pub(super) ptr: Vec<u64>,
    pub(super) syn: Vec<u32>,
    pub(super) src: Vec<u32>,
}

impl Incoming {
    /// The index of `csr` by counting sort over targets.
    pub fn new(csr: &Csr, n_src: usize, n_local: usize) -> Incoming {
        let mut counts = vec![0u64; n_local + 1];
        for &t in &csr.tgt {
            counts[t as usize + 1] += 1;
        }
        for i in 0..n_local {
            counts[i + 1] += counts[i];
        }
        let ptr = counts.clone();
        let mut cursor = counts;
        assert!(
            csr.tgt.len() < u32::MAX as usize,
            "more than 4e9 plastic synapses in one partition"
        );
        let mut syn = vec![0u32; csr.tgt.len()];
        let mut src = vec![0u32; csr.tgt.len()];
        for s in 0..n_src {
            for k in csr.row_ptr[s]..csr.row_ptr[s + 1] {
                let t = csr.tgt[k as usize] as usize;
                let pos = cursor[t] as usize;
                cursor[t] += 1;
                syn[pos] = k as u32;
                src[pos] = s as u32;
            }
        }
        Incoming { ptr, syn, src }
    }

    /// Index range of target `i`'s synapses.
    #[inline]
    pub fn range(&self, i: usize) -> std::ops::Range<usize> {
        self.ptr[i] as usize..self.ptr[i + 1] as usize
    }
}

/// A spike-timing rule: its traces and the change of a synapse's weight magnitude at a post
/// and at a pre spike. Each rule is one file; see [`super`].
pub trait TraceRule: Send + Sync + std::fmt::Debug + 'static {
    /// Whether changes go to a per-synapse eligibility trace instead of the weight (the
    /// weight is then changed by [`modulate`](Self::modulate)).
    const ELIGIBILITY: bool = false;

    /// Time constants \[ms\] of the (presynaptic fast, presynaptic slow, postsynaptic fast,
    /// postsynaptic slow) traces; `None` for a trace the rule does not use.
    fn taus(&self) -> [Option<f64>; 4];

    /// Nearest-spike pairing: a spike sets its fast trace to 1 instead of adding 1.
    fn nearest(&self) -> bool {
        false
    }

    /// Change of magnitude `m` when the target spikes, given the source's fast trace and
    /// the target's slow trace (before this spike's bump).
    fn potentiate(&self, m: f32, pre_fast: f32, post_slow: f32, b: &Bounds) -> f32;

    /// Change of magnitude `m` when the source spikes, given the target's fast trace and the
    /// source's slow trace (before this spike's bump).
    fn depress(&self, m: f32, post_fast: f32, pre_slow: f32, b: &Bounds) -> f32;

    /// The populations driving the modulator and gate (three-factor rules).
    fn modulator_populations(&self) -> [Option<usize>; 2] {
        [None, None]
    }

    /// Write the rule's own state (e.g. filtered modulator rates) to a checkpoint.
    fn save_rule(&self, _w: &mut StateWriter) {}

    /// Read what [`save_rule`](Self::save_rule) wrote.
    fn load_rule(&mut self, _r: &mut StateReader) -> Result<(), StateError> {
        Ok(())
    }

    /// End-of-step neuromodulation (three-factor rules): turn eligibility into weight.
    #[allow(clippy::too_many_arguments)]
    fn modulate(
        &mut self,
        _t: u64,
        _dt: f64,
        _spikes: [usize; 2],
        _sizes: [usize; 2],
        _w: &mut [f32],
        _eligibility: &mut [f32],
        _b: &Bounds,
    ) {
    }
}

/// Runs a [`TraceRule`] on one projection's synapses in one partition.
#[derive(Debug)]
pub struct TraceLearner<R: TraceRule> {
    rule: R,
    b: Bounds,
    /// Per-step decay factors of (pre fast, pre slow, post fast, post slow).
    decay: [f32; 4],
    /// Presynaptic traces per source neuron: fast (`x`, `r1`) and slow (`r2`).
    pre_fast: Vec<f32>,
    pre_slow: Vec<f32>,
    /// Postsynaptic traces per local target: fast (`y`, `o1`) and slow (`o2`).
    post_fast: Vec<f32>,
    post_slow: Vec<f32>,
    incoming: Incoming,
    /// Eligibility per synapse (parallel to the CSR) when the rule uses it.
    eligibility: Vec<f32>,
}

impl<R: TraceRule> TraceLearner<R> {
    /// The learner of `rule` for `n_src` sources and `n_local` local targets, step `dt` \[ms\].
    pub fn new(
        rule: R,
        b: Bounds,
        incoming: Incoming,
        n_src: usize,
        n_local: usize,
        dt: f64,
    ) -> Self {
        let decay = rule
            .taus()
            .map(|tau| tau.map_or(1.0, |tau| (-dt / tau).exp() as f32));
        let eligibility = if R::ELIGIBILITY {
            vec![0.0; incoming.syn.len()]
        } else {
            vec![]
        };
        TraceLearner {
            rule,
            b,
            decay,
            pre_fast: vec![0.0; n_src],
            pre_slow: vec![0.0; n_src],
            post_fast: vec![0.0; n_local],
            post_slow: vec![0.0; n_local],
            incoming,
            eligibility,
        }
    }

    #[inline(always)]
    fn apply(&mut self, k: usize, m: f32, dm: f32, w: &mut [f32]) {
        let m = if R::ELIGIBILITY {
            self.eligibility[k] += dm;
            // The weight itself is only re-clipped (+ 0.0 as before the split: same bits).
            m + 0.0
        } else {
            m + dm
        };
        w[k] = self.b.sign * self.b.clip(m);
    }
}

impl<R: TraceRule> Plastic for TraceLearner<R> {
    fn save(&self, w: &mut StateWriter) {
        for v in [
            &self.pre_fast,
            &self.pre_slow,
            &self.post_fast,
            &self.post_slow,
            &self.eligibility,
        ] {
            w.put(&v[..]);
        }
        self.rule.save_rule(w);
    }

    fn load(&mut self, r: &mut StateReader) -> Result<(), StateError> {
        for v in [
            &mut self.pre_fast,
            &mut self.pre_slow,
            &mut self.post_fast,
            &mut self.post_slow,
            &mut self.eligibility,
        ] {
            r.get(&mut v[..])?;
        }
        self.rule.load_rule(r)
    }

    fn decay(&mut self) {
        let [a, b, c, d] = self.decay;
        self.pre_fast.iter_mut().for_each(|x| *x *= a);
        if b != 1.0 {
            self.pre_slow.iter_mut().for_each(|x| *x *= b);
        }
        self.post_fast.iter_mut().for_each(|x| *x *= c);
        if d != 1.0 {
            self.post_slow.iter_mut().for_each(|x| *x *= d);
        }
    }

    fn on_post(&mut self, i: usize, w: &mut [f32]) {
        let post_slow = self.post_slow[i];
        for j in self.incoming.range(i) {
            let k = self.incoming.syn[j] as usize;
            let s = self.incoming.src[j] as usize;
            let m = w[k] * self.b.sign;
            let dm = self
                .rule
                .potentiate(m, self.pre_fast[s], post_slow, &self.b);
            self.apply(k, m, dm, w);
        }
        if self.rule.nearest() {
            self.post_fast[i] = 1.0;
        } else {
            self.post_fast[i] += 1.0;
        }
        self.post_slow[i] += 1.0;
    }

    fn on_pre(&mut self, s: usize, csr: &mut Csr) {
        let (a, b) = (csr.row_ptr[s] as usize, csr.row_ptr[s + 1] as usize);
        let pre_slow = self.pre_slow[s];
        for k in a..b {
            let t = csr.tgt[k] as usize;
            let m = csr.w[k] * self.b.sign;
            let dm = self.rule.depress(m, self.post_fast[t], pre_slow, &self.b);
            self.apply(k, m, dm, &mut csr.w);
        }
    }

    fn bump_pre(&mut self, s: usize) {
        if self.rule.nearest() {
            self.pre_fast[s] = 1.0;
        } else {
            self.pre_fast[s] += 1.0;
        }
        self.pre_slow[s] += 1.0;
    }

    fn modulator_populations(&self) -> [Option<usize>; 2] {
        self.rule.modulator_populations()
    }

    fn modulate(&mut self, t: u64, dt: f64, spikes: [usize; 2], sizes: [usize; 2], w: &mut [f32]) {
        self.rule
            .modulate(t, dt, spikes, sizes, w, &mut self.eligibility, &self.b);
    }
}
