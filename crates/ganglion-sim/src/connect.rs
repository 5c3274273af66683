//! Connection generation: each projection becomes, per partition of its target population,
//! a CSR matrix indexed by source neuron holding local target indices, weights and delays.
//!
//! Generation is deterministic and independent of the partitioning: the sources of target t
//! (or the targets of source s, for out-degree rules) come from a random stream keyed by
//! (seed, projection, t), and weights and delays from a second stream keyed the same way.
//! Each partition builds its CSR in two passes over its own targets — count, then fill —
//! so the only memory is the final matrix (no edge list is materialised).

use crate::SimError;
use crate::rng::{Stream, derive};
use crate::sample::draw;
use ganglion_model::{Distribution, ResolvedProjection, Rule};

/// Transmission delays of a CSR, in steps.
#[derive(Debug, Clone)]
pub enum Delays {
    /// One delay for every synapse.
    Const(u16),
    /// One delay per synapse, parallel to `Csr::tgt`.
    Each(Vec<u16>),
}

/// Synapses of one projection onto one partition of the target population, by source.
#[derive(Debug, Clone)]
pub struct Csr {
    /// `row_ptr[s]..row_ptr[s+1]` are the synapses of source neuron s.
    pub row_ptr: Vec<u64>,
    /// Target index local to the partition.
    pub tgt: Vec<u32>,
    /// Weight in the target's synaptic unit (pA, nS, mV or dimensionless).
    pub w: Vec<f32>,
    /// Delays in steps (≥ 1).
    pub delay: Delays,
}

impl Csr {
    /// No synapses from any of `n_src` sources.
    pub fn empty(n_src: usize) -> Csr {
        Csr {
            row_ptr: vec![0; n_src + 1],
            tgt: vec![],
            w: vec![],
            delay: Delays::Const(1),
        }
    }
    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.tgt.len()
    }
    /// Whether there are no synapses.
    pub fn is_empty(&self) -> bool {
        self.tgt.is_empty()
    }
    /// Bytes held by the matrix.
    pub fn bytes(&self) -> usize {
        // The one memory model, shared with validation's estimate.
        ganglion_model::memory::csr_bytes(
            self.row_ptr.len(),
            self.tgt.len(),
            matches!(self.delay, Delays::Each(_)),
        )
    }
    /// Longest delay in steps.
    pub fn max_delay(&self) -> u16 {
        match &self.delay {
            Delays::Const(d) => *d,
            Delays::Each(d) => d.iter().copied().max().unwrap_or(1),
        }
    }
}

/// Everything needed to generate one projection.
pub struct ProjectionGen<'a> {
    /// The validated projection.
    pub proj: &'a ResolvedProjection,
    /// Stream key of the projection.
    pub key: u64,
    /// Source population size.
    pub ns: usize,
    /// Target population size.
    pub nt: usize,
    /// Whether source and target are the same population.
    pub same_pop: bool,
    /// Time step \[ms\].
    pub dt: f64,
}

/// Reusable buffers for sampling without replacement.
#[derive(Default)]
struct Scratch {
    chosen: Vec<u32>,
    pool: Vec<u32>,
    mark: Vec<u64>,
}

impl ProjectionGen<'_> {
    fn skip_autapse(&self, s: usize, t: usize) -> bool {
        self.same_pop && !self.proj.autapses && s == t
    }

    /// Emit (source, list index) for every synapse onto target `t`, in generation order.
    fn sources_of(&self, t: usize, scratch: &mut Scratch, mut emit: impl FnMut(usize, usize)) {
        let ns = self.ns;
        match &self.proj.rule {
            Rule::AllToAll => {
                for s in 0..ns {
                    if !self.skip_autapse(s, t) {
                        emit(s, s * self.nt + t);
                    }
                }
            }
            Rule::OneToOne => emit(t, t),
            Rule::FixedProbability(p) => {
                let p = *p;
                let mut rng = Stream::new(derive(self.key, 2 * t as u64));
                if p >= 1.0 {
                    for s in 0..ns {
                        if !self.skip_autapse(s, t) {
                            emit(s, 0);
                        }
                    }
                } else if p > 0.0 {
                    // Geometric skipping: the gap to the next source is Geom(p).
                    let lq = (1.0 - p).ln();
                    let mut s: i64 = -1;
                    loop {
                        let gap = (rng.uniform_open0().ln() / lq).floor();
                        s += 1 + gap.min(ns as f64) as i64;
                        if s >= ns as i64 {
                            break;
                        }
                        if !self.skip_autapse(s as usize, t) {
                            emit(s as usize, 0);
                        }
                    }
                }
            }
            Rule::FixedIndegree(k) => {
                let mut rng = Stream::new(derive(self.key, 2 * t as u64));
                self.choose(*k as usize, ns, t, &mut rng, scratch, |s| emit(s, 0));
            }
            Rule::FixedOutdegree(_) | Rule::EdgeList(_) => unreachable!("source-driven rules"),
        }
    }

    /// Choose `k` of `0..n` (excluding `me` when autapses are off), without replacement unless
    /// multapses are allowed.
    fn choose(
        &self,
        k: usize,
        n: usize,
        me: usize,
        rng: &mut Stream,
        sc: &mut Scratch,
        mut emit: impl FnMut(usize),
    ) {
        let excl = self.same_pop && !self.proj.autapses;
        if self.proj.multapses {
            let mut got = 0;
            while got < k {
                let s = rng.below(n as u64) as usize;
                if excl && s == me {
                    continue;
                }
                emit(s);
                got += 1;
            }
        } else if k * 4 <= n {
            // Rejection with a bitmap of chosen indices (cleared after use).
            if sc.mark.len() < n.div_ceil(64) {
                sc.mark.resize(n.div_ceil(64), 0);
            }
            sc.chosen.clear();
            while sc.chosen.len() < k {
                let s = rng.below(n as u64) as usize;
                if (excl && s == me) || sc.mark[s / 64] >> (s % 64) & 1 == 1 {
                    continue;
                }
                sc.mark[s / 64] |= 1 << (s % 64);
                sc.chosen.push(s as u32);
            }
            for &s in &sc.chosen {
                sc.mark[s as usize / 64] = 0;
                emit(s as usize);
            }
        } else {
            // Partial Fisher–Yates over the candidate pool.
            sc.pool.clear();
            sc.pool
                .extend((0..n as u32).filter(|&s| !(excl && s as usize == me)));
            let m = sc.pool.len();
            for i in 0..k.min(m) {
                let j = i + rng.below((m - i) as u64) as usize;
                sc.pool.swap(i, j);
                emit(sc.pool[i] as usize);
            }
        }
    }

    /// Emit (target, list index) for every synapse from source `s` (out-degree rule).
    fn targets_of(&self, s: usize, scratch: &mut Scratch, mut emit: impl FnMut(usize, usize)) {
        if let Rule::FixedOutdegree(k) = &self.proj.rule {
            let mut rng = Stream::new(derive(self.key, 2 * s as u64));
            self.choose(*k as usize, self.nt, s, &mut rng, scratch, |t| emit(t, 0));
        }
    }

    fn draw_pair(
        &self,
        values: &mut Stream,
        list_index: usize,
        edge: Option<usize>,
    ) -> Result<(f32, u16), SimError> {
        let (w, d) = match (&self.proj.rule, edge) {
            (Rule::EdgeList(e), Some(i)) => (
                e.weight
                    .as_ref()
                    .map(|w| w[i])
                    .unwrap_or_else(|| draw(&self.proj.weight, i, values)),
                e.delay
                    .as_ref()
                    .map(|d| d[i])
                    .unwrap_or_else(|| draw(&self.proj.delay, i, values)),
            ),
            _ => (
                draw(&self.proj.weight, list_index, values),
                draw(&self.proj.delay, list_index, values),
            ),
        };
        Ok((w as f32, self.delay_steps(d)?))
    }

    fn delay_steps(&self, d: f64) -> Result<u16, SimError> {
        let steps = (d / self.dt).round().max(1.0);
        if steps > u16::MAX as f64 {
            return Err(SimError::Build(format!(
                "projection \"{}\": delay {d} ms is {steps} steps, more than the {} supported",
                self.proj.name,
                u16::MAX
            )));
        }
        Ok(steps as u16)
    }

    fn const_delay(&self) -> Option<f64> {
        match &self.proj.rule {
            Rule::EdgeList(e) if e.delay.is_some() => None,
            _ => self.proj.delay.as_const(),
        }
    }

    /// Build the CSR for targets `lo..hi`.
    pub fn build_part(&self, lo: usize, hi: usize) -> Result<Csr, SimError> {
        let mut scratch = Scratch::default();
        let mut counts = vec![0u64; self.ns + 1];
        let in_part = |t: usize| t >= lo && t < hi;
        // Pass 1: count synapses per source.
        match &self.proj.rule {
            Rule::FixedOutdegree(_) => {
                #[allow(clippy::needless_range_loop)] // `s` also keys the source's stream
                for s in 0..self.ns {
                    self.targets_of(s, &mut scratch, |t, _| {
                        if in_part(t) {
                            counts[s] += 1;
                        }
                    });
                }
            }
            Rule::EdgeList(e) => {
                for (&s, &t) in e.source.iter().zip(&e.target) {
                    if in_part(t as usize) {
                        counts[s as usize] += 1;
                    }
                }
            }
            _ => {
                for t in lo..hi {
                    self.sources_of(t, &mut scratch, |s, _| counts[s] += 1);
                }
            }
        }
        let mut row_ptr = vec![0u64; self.ns + 1];
        for s in 0..self.ns {
            row_ptr[s + 1] = row_ptr[s] + counts[s];
        }
        let total = row_ptr[self.ns] as usize;
        let mut cursor: Vec<u64> = row_ptr[..self.ns].to_vec();
        let mut tgt = vec![0u32; total];
        let mut w = vec![0f32; total];
        let const_w = match &self.proj.rule {
            Rule::EdgeList(e) if e.weight.is_some() => None,
            _ => self.proj.weight.as_const().map(|w| w as f32),
        };
        let const_d = self.const_delay();
        let mut delays = if const_d.is_some() {
            Vec::new()
        } else {
            vec![0u16; total]
        };
        let mut err = None;
        let mut place =
            |s: usize, t: usize, wd: Result<(f32, u16), SimError>, delays: &mut Vec<u16>| {
                let pos = cursor[s] as usize;
                cursor[s] += 1;
                tgt[pos] = (t - lo) as u32;
                match wd {
                    Ok((wv, dv)) => {
                        w[pos] = wv;
                        if !delays.is_empty() {
                            delays[pos] = dv;
                        }
                    }
                    Err(e) => err = Some(e),
                }
            };
        // Pass 2: regenerate the same synapses and fill them in.
        let needs_values = const_w.is_none() || const_d.is_none();
        let fixed =
            |wd: Option<f32>| -> Result<(f32, u16), SimError> { Ok((wd.unwrap_or(0.0), 1)) };
        match &self.proj.rule {
            Rule::FixedOutdegree(_) => {
                for s in 0..self.ns {
                    let mut values = Stream::new(derive(self.key, 2 * s as u64 + 1));
                    let mut generated = vec![];
                    self.targets_of(s, &mut scratch, |t, li| generated.push((t, li)));
                    for (t, li) in generated {
                        let wd = if needs_values {
                            self.draw_pair(&mut values, li, None)
                        } else {
                            fixed(const_w)
                        };
                        if in_part(t) {
                            place(s, t, wd, &mut delays);
                        }
                    }
                }
            }
            Rule::EdgeList(e) => {
                let mut values = Stream::new(derive(self.key, 1));
                for (i, (&s, &t)) in e.source.iter().zip(&e.target).enumerate() {
                    let wd = if needs_values {
                        self.draw_pair(&mut values, i, Some(i))
                    } else {
                        fixed(const_w)
                    };
                    if in_part(t as usize) {
                        place(s as usize, t as usize, wd, &mut delays);
                    }
                }
            }
            _ => {
                let mut generated = vec![];
                for t in lo..hi {
                    generated.clear();
                    self.sources_of(t, &mut scratch, |s, li| generated.push((s, li)));
                    let mut values = Stream::new(derive(self.key, 2 * t as u64 + 1));
                    for &(s, li) in &generated {
                        let wd = if needs_values {
                            self.draw_pair(&mut values, li, None)
                        } else {
                            fixed(const_w)
                        };
                        place(s, t, wd, &mut delays);
                    }
                }
            }
        }
        if let Some(e) = err {
            return Err(e);
        }
        if let Some(wc) = const_w {
            w.iter_mut().for_each(|x| *x = wc);
        }
        let delay = match const_d {
            Some(d) => Delays::Const(self.delay_steps(d)?),
            None => Delays::Each(delays),
        };
        Ok(Csr {
            row_ptr,
            tgt,
            w,
            delay,
        })
    }
}

/// Longest delay (steps) a distribution can produce, for sizing ring buffers before building.
pub fn max_delay_steps(d: &Distribution, dt: f64) -> u64 {
    let (_, hi) = d.bounds();
    if hi.is_finite() {
        (hi / dt).round().max(1.0) as u64
    } else {
        u16::MAX as u64
    }
}
