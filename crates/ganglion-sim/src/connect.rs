//! Connection generation: each projection becomes, per partition of its target population,
//! a CSR matrix indexed by source neuron holding local target indices, weights and delays.
//!
//! Generation is deterministic and independent of the partitioning: the sources of target t
//! (or the targets of source s, for out-degree rules) come from a random stream keyed by
//! (seed, projection, t), and weights and delays from a second stream keyed the same way.
//! Each partition builds its CSR in two passes over its own targets — count, then fill —
//! so the only memory is the final matrix (no edge list is materialised).
//!
//! `fixed_total_number` (NEST's rule of that name, used by the Potjans & Diesmann 2014
//! microcircuit) first splits the n synapses over the targets — a multinomial with equal cell
//! probabilities when pairs may repeat, a multivariate hypergeometric when they are distinct —
//! drawn target by target as conditional binomials (hypergeometrics) from one stream keyed by
//! (seed, projection); every partition draws the same whole vector, so the split does not
//! depend on the partitioning. Target t then draws its in-degree's sources like
//! `fixed_indegree`. The pairs are thereby uniformly random: n independent uniform pairs with
//! multapses, a uniform n-subset of the pairs without.

use crate::SimError;
use crate::rng::{Stream, derive, ln_factorial};
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

/// Target indices local to a partition, one per synapse: `u16` when the partition has at
/// most 65 536 neurons (2 bytes a synapse instead of 4: a quarter of a static synapse, 2.5 GB
/// at hpc_benchmark's scale 10), `u32` otherwise.
#[derive(Debug, Clone)]
pub enum Targets {
    /// Partitions of at most 65 536 neurons.
    U16(Vec<u16>),
    /// Larger partitions.
    U32(Vec<u32>),
}

impl Targets {
    /// `n` zero indices, narrow when every index is below `partition_size` ≤ 65 536 (the
    /// memory model's [`ganglion_model::memory::target_bytes`]).
    pub fn zeros(n: usize, partition_size: usize) -> Targets {
        if ganglion_model::memory::target_bytes(partition_size) == 2 {
            Targets::U16(vec![0; n])
        } else {
            Targets::U32(vec![0; n])
        }
    }
    /// Number of synapses.
    pub fn len(&self) -> usize {
        match self {
            Targets::U16(v) => v.len(),
            Targets::U32(v) => v.len(),
        }
    }
    /// Whether there are no synapses.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Target of synapse `k`.
    #[inline(always)]
    pub fn get(&self, k: usize) -> u32 {
        match self {
            Targets::U16(v) => u32::from(v[k]),
            Targets::U32(v) => v[k],
        }
    }
    /// Set the target of synapse `k` (`t` must fit the width).
    #[inline(always)]
    fn set(&mut self, k: usize, t: u32) {
        match self {
            Targets::U16(v) => v[k] = t as u16,
            Targets::U32(v) => v[k] = t,
        }
    }
    /// Bytes per synapse (2 or 4).
    pub fn width(&self) -> usize {
        match self {
            Targets::U16(_) => 2,
            Targets::U32(_) => 4,
        }
    }
    /// All targets as `u32`.
    pub fn to_u32(&self) -> Vec<u32> {
        (0..self.len()).map(|k| self.get(k)).collect()
    }
}

impl From<Vec<u32>> for Targets {
    fn from(v: Vec<u32>) -> Targets {
        Targets::U32(v)
    }
}

/// Synapses of one projection onto one partition of the target population, by source.
#[derive(Debug, Clone)]
pub struct Csr {
    /// `row_ptr[s]..row_ptr[s+1]` are the synapses of source neuron s.
    pub row_ptr: Vec<u64>,
    /// Target index local to the partition.
    pub tgt: Targets,
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
            tgt: Targets::U32(vec![]),
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
        // The memory model shared with validation's estimate.
        ganglion_model::memory::csr_bytes(
            self.row_ptr.len(),
            self.tgt.len(),
            self.tgt.width(),
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
    /// In-degree of every target (`fixed_total_number` only).
    indegree: Vec<u32>,
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
            Rule::FixedTotalNumber(_) => {
                let k = scratch.indegree[t] as usize;
                let mut rng = Stream::new(derive(self.key, 2 * t as u64));
                self.choose(k, ns, t, &mut rng, scratch, |s| emit(s, 0));
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

    /// In-degree of every target for `fixed_total_number` with `n` synapses: the multinomial
    /// (multapses) or multivariate hypergeometric (distinct pairs) split of `n` over the
    /// targets, each of which has the same number of candidate sources.
    fn total_number_indegrees(&self, n: u64) -> Vec<u32> {
        let excl = self.same_pop && !self.proj.autapses;
        let pool = self.ns as u64 - u64::from(excl);
        let mut rng = Stream::new(derive(self.key, u64::MAX));
        let mut left = n;
        let nt = self.nt as u64;
        (0..nt)
            .map(|t| {
                let rest = nt - t;
                let k = if self.proj.multapses {
                    binomial(left, 1.0 / rest as f64, rng.uniform())
                } else {
                    hypergeometric(pool * rest, pool, left, rng.uniform())
                };
                left -= k;
                k as u32
            })
            .collect()
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
        if let Rule::FixedTotalNumber(n) = &self.proj.rule {
            scratch.indegree = self.total_number_indegrees(*n);
        }
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
        let mut tgt = Targets::zeros(total, hi - lo);
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
                tgt.set(pos, (t - lo) as u32);
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

/// Inversion by search outward from the mode of a unimodal distribution on `lo..=hi` with
/// ln P(mode) = `ln_p_mode` and P(k+1)/P(k) = `ratio(k)`: the values are visited in
/// decreasing probability, so the expected number of steps is of the order of the standard
/// deviation. `u` is uniform in \[0, 1).
fn invert_from_mode(
    mode: u64,
    (lo, hi): (u64, u64),
    ln_p_mode: f64,
    ratio: impl Fn(u64) -> f64,
    u: f64,
) -> u64 {
    let p_mode = ln_p_mode.exp();
    let mut cum = p_mode;
    let (mut up, mut p_up) = (mode, p_mode);
    let (mut down, mut p_down) = (mode, p_mode);
    while cum <= u {
        let next_up = if up < hi { p_up * ratio(up) } else { 0.0 };
        let next_down = if down > lo {
            p_down / ratio(down - 1)
        } else {
            0.0
        };
        if next_up <= 0.0 && next_down <= 0.0 {
            // The float mass fell short of u by rounding (probability ~1e-10): take the mode.
            return mode;
        }
        if next_up >= next_down {
            up += 1;
            p_up = next_up;
            cum += p_up;
            if cum > u {
                return up;
            }
        } else {
            down -= 1;
            p_down = next_down;
            cum += p_down;
            if cum > u {
                return down;
            }
        }
    }
    mode
}

/// ln C(n, k).
fn ln_choose(n: u64, k: u64) -> f64 {
    ln_factorial(n as f64) - ln_factorial(k as f64) - ln_factorial((n - k) as f64)
}

/// A Binomial(n, p) sample by inversion from the mode (`u` uniform in \[0, 1)).
pub(crate) fn binomial(n: u64, p: f64, u: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let mode = (((n + 1) as f64 * p).floor() as u64).min(n);
    let (lp, lq) = (p.ln(), (-p).ln_1p());
    let ln_p = ln_choose(n, mode) + mode as f64 * lp + (n - mode) as f64 * lq;
    let odds = p / (1.0 - p);
    invert_from_mode(
        mode,
        (0, n),
        ln_p,
        |k| (n - k) as f64 / (k + 1) as f64 * odds,
        u,
    )
}

/// A hypergeometric sample: successes among `draws` drawn without replacement from `total`
/// items of which `good` are successes (`u` uniform in \[0, 1)).
pub(crate) fn hypergeometric(total: u64, good: u64, draws: u64, u: f64) -> u64 {
    assert!(
        good <= total && draws <= total,
        "hypergeometric: good = {good} and draws = {draws} must not exceed total = {total}"
    );
    let bad = total - good;
    let lo = draws.saturating_sub(bad);
    let hi = draws.min(good);
    if lo == hi {
        return lo;
    }
    let mode = ((((draws + 1) as f64 * (good + 1) as f64) / (total + 2) as f64).floor() as u64)
        .clamp(lo, hi);
    let ln_p = ln_choose(good, mode) + ln_choose(bad, draws - mode) - ln_choose(total, draws);
    invert_from_mode(
        mode,
        (lo, hi),
        ln_p,
        |k| {
            ((good - k) as f64 * (draws - k) as f64)
                / ((k + 1) as f64 * (bad + k + 1 - draws) as f64)
        },
        u,
    )
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is the report
    use super::*;
    use crate::Network;
    use ganglion_model::{
        Circuit, Connectivity, DistSpec, Population, Projection, Simulation, Value,
    };

    /// Mean and variance of `m` samples.
    fn moments(m: usize, mut f: impl FnMut() -> u64) -> (f64, f64) {
        let xs: Vec<f64> = (0..m).map(|_| f() as f64).collect();
        let mean = xs.iter().sum::<f64>() / m as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1) as f64;
        (mean, var)
    }

    #[test]
    fn binomial_and_hypergeometric_have_their_analytic_moments() {
        let mut rng = Stream::new(7);
        let m = 40_000;
        for &(n, p) in &[
            (10u64, 0.3),
            (1000, 0.02),
            (20_000_000, 1.0 / 20_683.0),
            (50, 0.9),
        ] {
            let (mean, var) = moments(m, || binomial(n, p, rng.uniform()));
            let (mu, v) = (n as f64 * p, n as f64 * p * (1.0 - p));
            // Standard errors of the sample mean and variance (normal approximation).
            assert!(
                (mean - mu).abs() < 5.0 * (v / m as f64).sqrt(),
                "{n} {p}: {mean} vs {mu}"
            );
            assert!(
                (var - v).abs() < 5.0 * v * (2.0 / m as f64).sqrt() + 0.01,
                "{n} {p}: {var} vs {v}"
            );
        }
        for &(total, good, draws) in &[
            (100u64, 30, 20),
            (4_000_000, 2_000, 1_000_000),
            (50, 45, 40),
        ] {
            let (mean, var) = moments(m, || hypergeometric(total, good, draws, rng.uniform()));
            let (n, k, d) = (total as f64, good as f64, draws as f64);
            let mu = d * k / n;
            let v = d * (k / n) * (1.0 - k / n) * (n - d) / (n - 1.0);
            assert!(
                (mean - mu).abs() < 5.0 * (v / m as f64).sqrt(),
                "{mean} vs {mu}"
            );
            assert!(
                (var - v).abs() < 5.0 * v * (2.0 / m as f64).sqrt() + 0.01,
                "{var} vs {v}"
            );
        }
        // Degenerate ends.
        assert_eq!(binomial(0, 0.5, 0.3), 0);
        assert_eq!(binomial(9, 1.0, 0.3), 9);
        assert_eq!(hypergeometric(10, 10, 4, 0.7), 4);
        assert_eq!(hypergeometric(10, 3, 10, 0.7), 3);
    }

    /// Synapses (source, target) of a `fixed_total_number` projection a → a (`same`) or a → b,
    /// with a of 200 and b of 150 neurons, built with `threads` threads.
    fn total_number(
        n: u64,
        same: bool,
        autapses: bool,
        multapses: bool,
        threads: usize,
    ) -> Vec<(u32, u32, f32, f64)> {
        let tgt = if same { "a" } else { "b" };
        let mut p = Projection::new("a", tgt, Connectivity::fixed_total_number(n))
            .weight(Value::normal("10 pA", "2 pA"))
            .delay(Value::Dist(DistSpec {
                min: Some("0.1 ms".into()),
                max: Some("20 ms".into()),
                ..match Value::normal("1.5 ms", "0.5 ms") {
                    Value::Dist(d) => d,
                    _ => unreachable!(),
                }
            }));
        p.autapses = autapses;
        p.multapses = multapses;
        let circ = Circuit::new(Simulation::new("0.1 ms", "1 ms"))
            .population(Population::new("a", 200, "iaf_psc_exp"))
            .population(Population::new("b", 150, "iaf_psc_exp"))
            .projection(p);
        let mut r = ganglion_model::validate_circuit(&circ).unwrap_or_else(|e| panic!("{e}"));
        r.threads = threads;
        Network::build(&r).unwrap().synapses_of(0)
    }

    #[test]
    fn fixed_total_number_draws_exactly_n_uniform_pairs() {
        // Dense (n = 2 × pairs): multapses must occur, autapses must not.
        let n = 2 * 200 * 199;
        let s = total_number(n, true, false, true, 2);
        assert_eq!(s.len() as u64, n);
        assert!(
            s.iter().all(|e| e.0 != e.1),
            "autapse drawn with autapses = false"
        );
        let mut pairs: Vec<(u32, u32)> = s.iter().map(|e| (e.0, e.1)).collect();
        pairs.dedup();
        assert!(
            pairs.len() < s.len(),
            "no repeated pair at 2 synapses per pair"
        );
        // With autapses allowed they appear (≈ 2 per neuron).
        let s = total_number(n, true, true, true, 2);
        let autapses = s.iter().filter(|e| e.0 == e.1).count();
        assert!(autapses > 200, "{autapses} autapses");
        // The same synapses, weights and delays for 1 and 2 threads.
        assert_eq!(
            total_number(5_000, false, false, true, 1),
            total_number(5_000, false, false, true, 2)
        );
        assert_eq!(
            total_number(5_000, true, false, false, 1),
            total_number(5_000, true, false, false, 2)
        );
    }

    #[test]
    fn fixed_total_number_in_degrees_are_binomial_or_hypergeometric() {
        // Multapses: in-degree ~ Binomial(n, 1/nt), out-degree ~ Binomial(n, 1/ns).
        let n = 30_000u64;
        let s = total_number(n, false, false, true, 2);
        let degrees = |s: &[(u32, u32, f32, f64)], size: usize, of_target: bool| {
            let mut d = vec![0u64; size];
            for e in s {
                d[if of_target { e.1 } else { e.0 } as usize] += 1;
            }
            let mean = d.iter().sum::<u64>() as f64 / size as f64;
            let var = d.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (size - 1) as f64;
            (mean, var)
        };
        let (mean, var) = degrees(&s, 150, true);
        let p = 1.0 / 150.0;
        assert!((mean - n as f64 * p).abs() < 1e-9);
        let v = n as f64 * p * (1.0 - p);
        // 150 samples: the sample variance's relative standard error is √(2/149) ≈ 0.12.
        assert!(
            (var / v - 1.0).abs() < 0.4,
            "in-degree variance {var} vs {v}"
        );
        let (_, var) = degrees(&s, 200, false);
        let v = n as f64 / 200.0 * (1.0 - 1.0 / 200.0);
        assert!(
            (var / v - 1.0).abs() < 0.4,
            "out-degree variance {var} vs {v}"
        );
        // Distinct pairs at half density: in-degree ~ Hypergeometric, variance n p (1-p)(N-n)/(N-1).
        let pairs = 200 * 199;
        let n = pairs as u64 / 2;
        let s = total_number(n, true, false, false, 2);
        assert_eq!(s.len() as u64, n);
        let mut uniq: Vec<(u32, u32)> = s.iter().map(|e| (e.0, e.1)).collect();
        uniq.dedup();
        assert_eq!(uniq.len(), s.len(), "repeated pair with multapses = false");
        assert!(s.iter().all(|e| e.0 != e.1));
        let (_, var) = degrees(&s, 200, true);
        let (nn, pp) = (n as f64, 1.0 / 200.0);
        let v = nn * pp * (1.0 - pp) * (pairs as f64 - nn) / (pairs as f64 - 1.0);
        assert!(
            (var / v - 1.0).abs() < 0.4,
            "hypergeometric variance {var} vs {v}"
        );
        // Every pair: the complete graph.
        assert_eq!(
            total_number(pairs as u64, true, false, false, 2).len(),
            pairs
        );
    }

    #[test]
    fn fixed_total_number_is_validated() {
        let check = |conn: Connectivity, multapses: bool, want: &str| {
            let mut p = Projection::new("a", "a", conn).weight("1 pA");
            p.multapses = multapses;
            let circ = Circuit::new(Simulation::new("0.1 ms", "1 ms"))
                .population(Population::new("a", 10, "iaf_psc_exp"))
                .projection(p);
            let e = ganglion_model::validate_circuit(&circ)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{e}");
        };
        let mut missing = Connectivity::fixed_total_number(1);
        missing.n = None;
        check(missing, true, "fixed_total_number needs `n`");
        check(
            Connectivity::fixed_total_number(91),
            false,
            "more than the 90 distinct pairs",
        );
    }
}
