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

/// Synapses onto each local target, by group, in ascending source order within each
/// (target, group); groups split a target's synapses by when postsynaptic spikes reach them
/// ([`Shifts`]); with emission timing there is one group.
///
/// The index costs 4 bytes per synapse where it can (half of a plain (synapse, source) pair of
/// u32s, which at a billion plastic synapses is 4 GB): a synapse is stored as its source and
/// its position within that source's CSR row (synapse k = `row_ptr[s]` + position). Sources
/// ascend within a (target, group) run, so they are stored as the gap to the previous source
/// of the run (the first as the source itself), in u16 when every gap fits; positions in u16
/// when every row has at most 65 536 synapses. Otherwise that field is u32 (sources absolute).
#[derive(Debug)]
pub struct Incoming {
    pub(super) ptr: Vec<u64>,
    /// Source of each synapse: gaps (u16) or absolute (u32).
    src: Packed,
    /// Position of each synapse in its source's row.
    pos: Packed,
    /// The CSR's `row_ptr`, to turn (source, position) into the synapse index.
    row_ptr: Vec<u64>,
    groups: usize,
}

/// A per-synapse field of [`Incoming`], narrow when every value fits in 16 bits.
#[derive(Debug)]
enum Packed {
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Packed {
    fn zeros(n: usize, narrow: bool) -> Packed {
        if narrow {
            Packed::U16(vec![0; n])
        } else {
            Packed::U32(vec![0; n])
        }
    }
    #[inline(always)]
    fn set(&mut self, j: usize, v: u32) {
        match self {
            Packed::U16(x) => x[j] = v as u16,
            Packed::U32(x) => x[j] = v,
        }
    }
}

/// How many synapses ahead of the one being updated [`walk`] prefetches.
const AHEAD: usize = 16;

/// Call `f(w, k, s)` for the synapses of one (target, group) run: `src` gaps (`GAPS`) or
/// absolute sources, `pos` positions in the rows of `row_ptr`, `w` the weights `f` updates. A
/// second cursor runs [`AHEAD`] synapses in front and prefetches `w[k]`: a target's synapses
/// are scattered over the source-major CSR, so each of their weights is a cache (and TLB)
/// miss, and without the prefetch the loop waits for them one at a time.
#[inline(always)]
fn walk<const GAPS: bool, S: Copy + Into<u32>, P: Copy + Into<u32>>(
    src: &[S],
    pos: &[P],
    row_ptr: &[u64],
    w: &mut [f32],
    mut f: impl FnMut(&mut [f32], usize, usize),
) {
    let next = |s: usize, x: S| {
        let x: u32 = x.into();
        if GAPS { s + x as usize } else { x as usize }
    };
    let at = |s: usize, p: P| row_ptr[s] as usize + Into::<u32>::into(p) as usize;
    let n = src.len();
    let mut s_ahead = 0usize;
    for j in 0..n.min(AHEAD) {
        s_ahead = next(s_ahead, src[j]);
        prefetch(w, at(s_ahead, pos[j]));
    }
    let mut s = 0usize;
    for j in 0..n {
        if j + AHEAD < n {
            s_ahead = next(s_ahead, src[j + AHEAD]);
            prefetch(w, at(s_ahead, pos[j + AHEAD]));
        }
        s = next(s, src[j]);
        f(w, at(s, pos[j]), s);
    }
}

/// Ask the CPU to start loading `v[k]` (nothing when `k` is out of range).
#[inline(always)]
fn prefetch(v: &[f32], k: usize) {
    #[cfg(target_arch = "x86_64")]
    if k < v.len() {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: k < v.len(), so the address is inside v's allocation; a prefetch never faults.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(v.as_ptr().add(k).cast()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (v, k);
}

impl Incoming {
    /// The index of `csr` by counting sort over (target, group); `group_of(k)` is synapse
    /// k's group, below `groups`.
    pub fn new(
        csr: &Csr,
        n_src: usize,
        n_local: usize,
        groups: usize,
        group_of: impl Fn(usize) -> usize,
    ) -> Incoming {
        let key = |k: usize| csr.tgt.get(k) as usize * groups + group_of(k);
        let runs = n_local * groups;
        let mut counts = vec![0u64; runs + 1];
        // Sources are visited in ascending order, so the gap to a run's previous source is
        // known in this counting pass (`last` = previous source + 1, 0 before the first).
        let mut last = vec![0u32; runs];
        let mut max_gap = 0u32;
        let mut max_row = 0u64;
        for s in 0..n_src {
            let (a, b) = (csr.row_ptr[s], csr.row_ptr[s + 1]);
            max_row = max_row.max(b - a);
            for k in a..b {
                let r = key(k as usize);
                counts[r + 1] += 1;
                max_gap = max_gap.max(s as u32 - last[r].saturating_sub(1));
                last[r] = s as u32 + 1;
            }
        }
        for i in 0..runs {
            counts[i + 1] += counts[i];
        }
        let ptr = counts.clone();
        let mut cursor = counts;
        let n = csr.tgt.len();
        assert!(
            n < u32::MAX as usize,
            "more than 4e9 plastic synapses in one partition"
        );
        let gaps = max_gap <= u16::MAX as u32;
        let mut src = Packed::zeros(n, gaps);
        let mut pos = Packed::zeros(n, max_row <= 1 << 16);
        last.iter_mut().for_each(|l| *l = 0);
        for s in 0..n_src {
            let a = csr.row_ptr[s];
            for k in a..csr.row_ptr[s + 1] {
                let r = key(k as usize);
                let at = cursor[r] as usize;
                cursor[r] += 1;
                let v = if gaps {
                    s as u32 - last[r].saturating_sub(1)
                } else {
                    s as u32
                };
                last[r] = s as u32 + 1;
                src.set(at, v);
                pos.set(at, (k - a) as u32);
            }
        }
        Incoming {
            ptr,
            src,
            pos,
            row_ptr: csr.row_ptr.clone(),
            groups,
        }
    }

    /// Number of synapses indexed.
    pub fn len(&self) -> usize {
        *self.ptr.last().unwrap_or(&0) as usize
    }

    /// Whether no synapse is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Call `f(w, k, s)` with the CSR index k and source s of each of target `i`'s synapses
    /// in group `g`, in ascending source order; `w[k]` (the projection's weights, parallel to
    /// the CSR) is prefetched a few synapses before `f` reaches it.
    #[inline(always)]
    pub fn for_each_in(
        &self,
        i: usize,
        g: usize,
        w: &mut [f32],
        f: impl FnMut(&mut [f32], usize, usize),
    ) {
        let at = i * self.groups + g;
        let r = self.ptr[at] as usize..self.ptr[at + 1] as usize;
        let rp = &self.row_ptr[..];
        match (&self.src, &self.pos) {
            (Packed::U16(s), Packed::U16(p)) => walk::<true, _, _>(&s[r.clone()], &p[r], rp, w, f),
            (Packed::U16(s), Packed::U32(p)) => walk::<true, _, _>(&s[r.clone()], &p[r], rp, w, f),
            (Packed::U32(s), Packed::U16(p)) => walk::<false, _, _>(&s[r.clone()], &p[r], rp, w, f),
            (Packed::U32(s), Packed::U32(p)) => walk::<false, _, _>(&s[r.clone()], &p[r], rp, w, f),
        }
    }

    /// [`Self::for_each_in`] over every group of target `i`.
    #[inline]
    pub fn for_each(&self, i: usize, w: &mut [f32], mut f: impl FnMut(&mut [f32], usize, usize)) {
        for g in 0..self.groups {
            self.for_each_in(i, g, w, &mut f);
        }
    }

    /// Bytes held by the index.
    pub fn bytes(&self) -> usize {
        let packed = |p: &Packed| match p {
            Packed::U16(x) => 2 * x.len(),
            Packed::U32(x) => 4 * x.len(),
        };
        8 * (self.ptr.len() + self.row_ptr.len()) + packed(&self.src) + packed(&self.pos)
    }
}

/// Pairs timed at the synapse ([`ganglion_model::PairTiming::Synapse`]). Taking each
/// presynaptic spike at its emission step, a postsynaptic spike reaches synapse k
/// `shift_k = d_d,k − d_a` steps after it is emitted (d_d,k its back-propagation delay, by
/// default the synapse's delay minus the axonal part d_a): both arrival times move by −d_a, so every Δt and the order of updates at a synapse
/// are those at the synapse, and the weight a presynaptic spike carries is the one after its
/// own update there. Synapses are grouped by shift; each group has its own postsynaptic traces.
#[derive(Debug)]
pub struct Shifts {
    /// The distinct shifts \[steps\], ascending: group g has shift `values[g]`.
    values: Vec<u64>,
    /// The group of each synapse (parallel to the CSR); empty when there is one group (2 bytes
    /// per synapse saved where every synapse has the same delay).
    of_syn: Vec<u16>,
    /// `ring[t % ring.len()]`: the local targets that spiked at step t (len = largest shift + 1).
    ring: Vec<Vec<u32>>,
    /// Postsynaptic-trace bumps (group · n_local + target) of this step's arrivals, applied
    /// before the next step's decay, so that presynaptic spikes of the same step do not pair
    /// with them (Δt = 0 counts neither way).
    pending: Vec<u32>,
    /// The current step.
    now: u64,
}

impl Shifts {
    /// The groups of `csr`'s synapses for an axonal delay of `axonal` steps and a dendritic
    /// delay of `dendritic` steps (None: each synapse's delay minus `axonal`), or what is
    /// wrong (a dendritic part shorter than the axonal one).
    pub fn new(csr: &Csr, axonal: u64, dendritic: Option<u64>) -> Result<Shifts, String> {
        let shift = |k: usize| -> Result<u64, String> {
            let d = match &csr.delay {
                crate::connect::Delays::Const(d) => u64::from(*d),
                crate::connect::Delays::Each(d) => u64::from(d[k]),
            };
            let dd = dendritic.unwrap_or(d.saturating_sub(axonal));
            match (dendritic, dd >= axonal && d >= axonal) {
                (_, true) => Ok(dd - axonal),
                (None, false) => Err(format!(
                    "a synapse has a delay of {d} steps, shorter than twice the axonal delay \
                     ({axonal} steps): pairs timed at the synapse need the dendritic part of each \
                     delay at least as long as the axonal part"
                )),
                (Some(_), false) => Err(format!(
                    "a synapse has a delay of {d} steps, shorter than the axonal delay \
                     ({axonal} steps)"
                )),
            }
        };
        let mut values: Vec<u64> = Vec::new();
        for k in 0..csr.tgt.len() {
            let v = shift(k)?;
            if let Err(at) = values.binary_search(&v) {
                values.insert(at, v);
            }
        }
        if values.is_empty() {
            values.push(0);
        }
        assert!(
            values.len() <= u16::MAX as usize,
            "too many distinct delays"
        );
        let of_syn = if values.len() == 1 {
            Vec::new()
        } else {
            (0..csr.tgt.len())
                .map(|k| {
                    let v = shift(k).unwrap_or(0);
                    values.binary_search(&v).unwrap_or(0) as u16
                })
                .collect()
        };
        let len = *values.last().unwrap_or(&0) as usize + 1;
        Ok(Shifts {
            values,
            of_syn,
            ring: vec![Vec::new(); len],
            pending: Vec::new(),
            now: 0,
        })
    }

    /// Number of groups.
    pub fn groups(&self) -> usize {
        self.values.len()
    }

    /// The group of synapse `k`.
    pub fn group_of(&self, k: usize) -> usize {
        self.of_syn.get(k).map_or(0, |&g| g as usize)
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
    /// Pairs timed at the synapse (None: at emission). The postsynaptic traces then hold
    /// one row of `n_local` per group.
    shifts: Option<Shifts>,
    n_local: usize,
    /// Lazy update: the change of each synapse (parallel to the CSR) since its source last
    /// spiked, applied and clipped at its next presynaptic spike. Empty when updates are
    /// immediate.
    lazy: Vec<f32>,
}

impl<R: TraceRule> TraceLearner<R> {
    /// The learner of `rule` for `n_src` sources and `n_local` local targets, step `dt` \[ms\];
    /// `shifts` when pairs are timed at the synapse (its groups are `incoming`'s), `lazy` for
    /// sPyNNaker's lazy update.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rule: R,
        b: Bounds,
        incoming: Incoming,
        shifts: Option<Shifts>,
        lazy: bool,
        n_src: usize,
        n_local: usize,
        dt: f64,
    ) -> Self {
        assert!(
            !(lazy && R::ELIGIBILITY),
            "lazy updates do not apply to eligibility rules"
        );
        let groups = shifts.as_ref().map_or(1, Shifts::groups);
        let n_syn = incoming.len();
        let decay = rule
            .taus()
            .map(|tau| tau.map_or(1.0, |tau| (-dt / tau).exp() as f32));
        let eligibility = if R::ELIGIBILITY {
            vec![0.0; n_syn]
        } else {
            vec![]
        };
        TraceLearner {
            rule,
            b,
            decay,
            pre_fast: vec![0.0; n_src],
            pre_slow: vec![0.0; n_src],
            post_fast: vec![0.0; n_local * groups],
            post_slow: vec![0.0; n_local * groups],
            incoming,
            eligibility,
            shifts,
            n_local,
            lazy: if lazy { vec![0.0; n_syn] } else { vec![] },
        }
    }

    /// Potentiate target `i`'s synapses in group `g` (whose postsynaptic spike reaches them
    /// now) with the presynaptic traces.
    #[inline(always)]
    fn potentiate(&mut self, i: usize, g: usize, w: &mut [f32]) {
        let post_slow = self.post_slow[g * self.n_local + i];
        let TraceLearner {
            rule,
            b,
            pre_fast,
            incoming,
            eligibility,
            lazy,
            ..
        } = self;
        incoming.for_each_in(i, g, w, |w, k, s| {
            let m = w[k] * b.sign;
            let dm = rule.potentiate(m, pre_fast[s], post_slow, b);
            if lazy.is_empty() {
                apply::<R>(eligibility, b, k, m, dm, w);
            } else {
                lazy[k] += dm;
            }
        });
    }

    /// Bump postsynaptic trace `at` (group · n_local + target).
    #[inline(always)]
    fn bump_post(&mut self, at: usize) {
        if self.rule.nearest() {
            self.post_fast[at] = 1.0;
        } else {
            self.post_fast[at] += 1.0;
        }
        self.post_slow[at] += 1.0;
    }
}

/// Add `dm` to synapse k of magnitude `m` (or to its eligibility, for rules that use one)
/// and store the clipped, signed weight.
#[inline(always)]
fn apply<R: TraceRule>(
    eligibility: &mut [f32],
    b: &Bounds,
    k: usize,
    m: f32,
    dm: f32,
    w: &mut [f32],
) {
    let m = if R::ELIGIBILITY {
        eligibility[k] += dm;
        // The weight itself is only re-clipped (+ 0.0 as before the split: same bits).
        m + 0.0
    } else {
        m + dm
    };
    w[k] = b.sign * b.clip(m);
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
        if let Some(sh) = &self.shifts {
            w.u64(sh.now);
            w.put(&sh.pending);
            for slot in &sh.ring {
                w.put(slot);
            }
        }
        if !self.lazy.is_empty() {
            w.put(&self.lazy[..]);
        }
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
        self.rule.load_rule(r)?;
        if let Some(sh) = &mut self.shifts {
            sh.now = r.u64()?;
            r.get(&mut sh.pending)?;
            for slot in &mut sh.ring {
                r.get(slot)?;
            }
        }
        if !self.lazy.is_empty() {
            r.get(&mut self.lazy[..])?;
        }
        Ok(())
    }

    fn decay(&mut self, t: u64, w: &mut [f32]) {
        // Last step's arrivals join the postsynaptic traces (see `Shifts::pending`).
        if let Some(sh) = self.shifts.as_mut() {
            let mut pending = std::mem::take(&mut sh.pending);
            pending.drain(..).for_each(|at| self.bump_post(at as usize));
            self.shifts.as_mut().expect("checked").pending = pending;
        }
        let [a, b, c, d] = self.decay;
        self.pre_fast.iter_mut().for_each(|x| *x *= a);
        if b != 1.0 {
            self.pre_slow.iter_mut().for_each(|x| *x *= b);
        }
        self.post_fast.iter_mut().for_each(|x| *x *= c);
        if d != 1.0 {
            self.post_slow.iter_mut().for_each(|x| *x *= d);
        }
        // Postsynaptic spikes of earlier steps that reach their synapses now.
        let Some(sh) = self.shifts.as_mut() else {
            return;
        };
        sh.now = t;
        let len = sh.ring.len() as u64;
        sh.ring[(t % len) as usize].clear();
        for g in 0..sh.values.len() {
            let sh = self.shifts.as_mut().expect("checked");
            let shift = sh.values[g];
            if shift == 0 || shift > t {
                continue;
            }
            let slot = ((t - shift) % len) as usize;
            let targets = std::mem::take(&mut sh.ring[slot]);
            for &i in &targets {
                self.potentiate(i as usize, g, w);
            }
            let n_local = self.n_local;
            let sh = self.shifts.as_mut().expect("checked");
            sh.pending
                .extend(targets.iter().map(|&i| (g * n_local) as u32 + i));
            sh.ring[slot] = targets;
        }
    }

    fn on_post(&mut self, i: usize, w: &mut [f32]) {
        let Some(sh) = self.shifts.as_mut() else {
            self.potentiate(i, 0, w);
            self.bump_post(i);
            return;
        };
        let len = sh.ring.len() as u64;
        if len > 1 {
            sh.ring[(sh.now % len) as usize].push(i as u32);
        }
        if sh.values[0] == 0 {
            sh.pending.push(i as u32);
            self.potentiate(i, 0, w);
        }
    }

    fn on_pre(&mut self, s: usize, csr: &mut Csr) {
        let (a, b) = (csr.row_ptr[s] as usize, csr.row_ptr[s + 1] as usize);
        let pre_slow = self.pre_slow[s];
        let n_local = self.n_local;
        for k in a..b {
            let t = csr.tgt.get(k) as usize;
            let at = match &self.shifts {
                Some(sh) => sh.group_of(k) * n_local + t,
                None => t,
            };
            let m = csr.w[k] * self.b.sign;
            let dm = self.rule.depress(m, self.post_fast[at], pre_slow, &self.b);
            if self.lazy.is_empty() {
                apply::<R>(&mut self.eligibility, &self.b, k, m, dm, &mut csr.w);
            } else {
                // sPyNNaker: everything since the last presynaptic spike, clipped once.
                let m = m + std::mem::take(&mut self.lazy[k]) + dm;
                csr.w[k] = self.b.sign * self.b.clip(m);
            }
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

#[cfg(test)]
mod incoming_tests {
    use super::*;
    use crate::connect::{Delays, Targets};

    /// A CSR from (source, local target) pairs in source order (targets ascending in a row).
    fn csr(n_src: usize, pairs: &[(usize, u32)], wide_targets: bool) -> Csr {
        let mut row_ptr = vec![0u64; n_src + 1];
        for &(s, _) in pairs {
            row_ptr[s + 1] += 1;
        }
        for s in 0..n_src {
            row_ptr[s + 1] += row_ptr[s];
        }
        let t: Vec<u32> = pairs.iter().map(|p| p.1).collect();
        Csr {
            row_ptr,
            tgt: if wide_targets {
                Targets::U32(t)
            } else {
                Targets::U16(t.iter().map(|&x| x as u16).collect())
            },
            w: vec![0.0; pairs.len()],
            delay: Delays::Const(1),
        }
    }

    /// Every (k, s) of target i in ascending source order, by brute force.
    fn expected(c: &Csr, n_src: usize, i: u32) -> Vec<(usize, usize)> {
        let mut v = vec![];
        for s in 0..n_src {
            for k in c.row_ptr[s] as usize..c.row_ptr[s + 1] as usize {
                if c.tgt.get(k) == i {
                    v.push((k, s));
                }
            }
        }
        v
    }

    fn check(
        n_src: usize,
        n_local: usize,
        pairs: &[(usize, u32)],
        wide: bool,
        narrow: (bool, bool),
    ) {
        let c = csr(n_src, pairs, wide);
        let inc = Incoming::new(&c, n_src, n_local, 1, |_| 0);
        assert_eq!(
            (
                matches!(inc.src, Packed::U16(_)),
                matches!(inc.pos, Packed::U16(_))
            ),
            narrow
        );
        assert_eq!(inc.len(), pairs.len());
        for i in 0..n_local as u32 {
            let mut got = vec![];
            inc.for_each(i as usize, &mut c.w.clone(), |_, k, s| got.push((k, s)));
            assert_eq!(got, expected(&c, n_src, i), "target {i}");
        }
    }

    #[test]
    fn incoming_index_lists_every_synapse_of_a_target_narrow_or_wide() {
        // Small: multapses (a repeated pair gives a gap of 0), empty rows and targets.
        let pairs = [(0, 1), (0, 1), (0, 2), (2, 0), (2, 1), (4, 2), (4, 2)];
        check(5, 4, &pairs, false, (true, true));
        check(5, 4, &pairs, true, (true, true));
        // A gap of 70 000 sources (and a first source above 65 535): sources stored absolute.
        let pairs = [(3, 0), (70_003, 0), (70_004, 1)];
        check(70_005, 2, &pairs, false, (false, true));
        // A row of 70 000 synapses: positions stored as u32.
        let mut pairs: Vec<(usize, u32)> = (0..70_000).map(|k| (1, (k % 3) as u32)).collect();
        pairs.sort();
        pairs.push((2, 1));
        check(3, 3, &pairs, false, (true, false));
    }

    #[test]
    fn targets_read_the_same_in_both_widths() {
        let t: Vec<u32> = vec![0, 1, 65_535, 7];
        let narrow = Targets::U16(t.iter().map(|&x| x as u16).collect());
        let wide: Targets = t.clone().into();
        for (k, &x) in t.iter().enumerate() {
            assert_eq!((narrow.get(k), wide.get(k)), (x, x));
        }
        assert_eq!((narrow.width(), wide.width()), (2, 4));
        assert_eq!(narrow.to_u32(), t);
        assert!(matches!(Targets::zeros(3, 65_536), Targets::U16(_)));
        assert!(matches!(Targets::zeros(3, 65_537), Targets::U32(_)));
    }
}
