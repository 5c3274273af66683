//! The sPyMem `CA3_content_addressable` memory rebuilt with the Ganglion spec
//! builder, its test benches, and the decoding of the output layer.
//!
//! Everything the network is made of comes from sPyMem's
//! `CA3_content_addressable/config/network_config.json` (neuron parameters,
//! weights, delays, STDP parameters) and `tests/test_CA3_content_addressable.py`
//! (the five test benches, 5 cues × 10 content bits, the output layer with
//! `v_thresh = −57.5 mV`). Units: sPyNNaker's `IF_curr_exp` takes nF, nA, ms,
//! mV; Ganglion's `iaf_psc_exp` takes pF, pA, ms, mV (so `cm = 0.27` →
//! `C_m = 270 pF`, weight `6.0` → `6 nA`).
//!
//! ## Timing on the engine
//!
//! sPyNNaker integrates a synaptic input that arrives in step t *within*
//! step t (the current, scaled by `τ_syn/dt·(1 − e^{−dt/τ_syn})`, is held
//! constant over the step), so a spike emitted in step t through a delay d
//! can make its target spike in step t + d: one hop takes exactly d. Ganglion
//! (like NEST) adds the input to I_syn at the end of step t + d and the
//! membrane responds in step t + d + 1: one hop takes d + dt. The memory is
//! built from coincidences of paths with different numbers of hops (e.g.
//! `contCue → contCond` against `cueCue → contCond` and `contCue → condInt →
//! contCond`), so adding dt per hop changes which neurons fire. The mapping
//! used here ([`Timing::Matched`]): dt = 0.5 ms and every delay shortened by
//! 0.5 ms (d − dt), which makes every hop take exactly d again, on the same
//! 1 ms grid as sPyNNaker; the refractory period becomes 1.5 ms so that it
//! swallows the input a SpiNNaker neuron ignores in the step after its
//! spike ([`Timing::t_ref`]). [`Timing::Literal`] (dt = 1 ms, the same delays)
//! is kept for the report, to show what the literal transcription does.

use std::path::Path;

use ganglion_model::{
    Circuit, Connectivity, Input, Monitor, Plasticity, Population, Projection, Scalar, Simulation,
    validate_circuit,
};
use ganglion_sim::Network;

/// Number of cues (one-hot) of the test benches.
pub const CUES: usize = 5;
/// Number of content bits of the test benches.
pub const BITS: usize = 10;

/// How sPyNNaker's step schedule is mapped onto the engine (see module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// dt = 0.5 ms, delays d − 0.5 ms: every hop takes d, as on SpiNNaker.
    Matched,
    /// dt = 1 ms, delays d: every hop takes d + 1 ms.
    Literal,
}

impl Timing {
    /// Time step \[ms\].
    pub fn dt(self) -> f64 {
        match self {
            Timing::Matched => 0.5,
            Timing::Literal => 1.0,
        }
    }
    /// Engine refractory period \[ms\] for sPyMem's `tau_refrac` \[ms\]. On
    /// SpiNNaker a neuron that spiked in step t skips the update of step
    /// t + 1, and the input that arrived in that step has decayed away
    /// (e^{−1/0.3}) by step t + 2. With matched timing an arrival acts one
    /// engine step (0.5 ms) later, so the refractory period is lengthened
    /// by 0.5 ms to swallow the same input; the shortest interval between
    /// spikes stays 2 ms as on SpiNNaker.
    pub fn t_ref(self, tau_refrac: f64) -> f64 {
        match self {
            Timing::Matched => tau_refrac + 0.5,
            Timing::Literal => tau_refrac,
        }
    }
    /// Engine delay \[ms\] for an sPyMem delay `d` \[ms\].
    pub fn delay(self, d: f64) -> f64 {
        match self {
            Timing::Matched => d - 0.5,
            Timing::Literal => d,
        }
    }
}

/// Which spikes the STDP rule pairs (see [`circuit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdpTiming {
    /// At the synapse, the whole delay dendritic (the engine's `timing = "synapse"`, as
    /// NEST and sPyNNaker): Δt = t_post + d − t_pre, Δt = 0 pairs count neither way.
    Dendritic,
    /// Emission times of the source and target: Δt = t_post − t_pre (`timing = "emission"`).
    Emission,
}

/// STDP parameters of the two plastic projections, in Ganglion's terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stdp {
    /// τ₊ \[ms\].
    pub tau_plus: f64,
    /// τ₋ \[ms\].
    pub tau_minus: f64,
    /// A₊ as a fraction of w_max.
    pub a_plus: f64,
    /// A₋ as a fraction of w_max.
    pub a_minus: f64,
    /// w_max \[nA\].
    pub w_max: f64,
    /// sPyNNaker's lazy update (changes summed between presynaptic spikes, clipped once)
    /// instead of clipping after every pairing.
    pub lazy: bool,
}

impl Stdp {
    /// The values used by the study: sPyMem's amplitudes and bounds with
    /// τ± shortened from 3 ms to 0.6 ms (the middle of the range 0.45–0.8 ms
    /// in which every operation of every bench is correct; see the report).
    pub const TUNED: Stdp = Stdp {
        tau_plus: 0.6,
        tau_minus: 0.6,
        a_plus: 6.0,
        a_minus: 6.0,
        w_max: 6.0,
        lazy: false,
    };

    /// sPyMem's `SpikePairRule(τ± = 3 ms, A± = 6)` with
    /// `AdditiveWeightDependence(w_min = 0, w_max = 6)`. sPyNNaker follows
    /// PyNN and multiplies A± by w_max (Δw = A·w_max·trace), as Ganglion's
    /// `stdp` does, so A± = 6 carries over unchanged: one pairing moves a
    /// weight by up to 36 nA, i.e. saturates it. Updates are lazy, as on SpiNNaker.
    pub const SPYMEM: Stdp = Stdp {
        tau_plus: 3.0,
        tau_minus: 3.0,
        a_plus: 6.0,
        a_minus: 6.0,
        w_max: 6.0,
        lazy: true,
    };
}

pub use super::benches::{Bench, Op, OpKind, Pattern, benches, expected, paper_latency};

/// One population of the memory with the sPyMem `IF_curr_exp` parameters
/// (cm [nF], tau_m, v_thresh).
struct PopDef {
    name: &'static str,
    size: usize,
    cm_nf: f64,
    tau_m: f64,
    v_thresh: f64,
}

/// Population order: also the raster order.
const POPS: [PopDef; 10] = [
    PopDef {
        name: "in",
        size: CUES + BITS,
        cm_nf: 0.27,
        tau_m: 3.0,
        v_thresh: -57.0,
    },
    PopDef {
        name: "cueCue",
        size: CUES,
        cm_nf: 0.27,
        tau_m: 3.0,
        v_thresh: -57.0,
    },
    PopDef {
        name: "contCue",
        size: BITS,
        cm_nf: 0.27,
        tau_m: 3.0,
        v_thresh: -57.0,
    },
    PopDef {
        name: "contCond",
        size: BITS,
        cm_nf: 0.14,
        tau_m: 0.5,
        v_thresh: -57.0,
    },
    PopDef {
        name: "contCondInt",
        size: 1,
        cm_nf: 0.14,
        tau_m: 0.5,
        v_thresh: -57.0,
    },
    PopDef {
        name: "cueCont",
        size: CUES,
        cm_nf: 0.14,
        tau_m: 0.5,
        v_thresh: -57.0,
    },
    PopDef {
        name: "contCont",
        size: BITS,
        cm_nf: 0.27,
        tau_m: 3.0,
        v_thresh: -57.0,
    },
    PopDef {
        name: "mergeCue",
        size: CUES,
        cm_nf: 0.27,
        tau_m: 3.0,
        v_thresh: -57.0,
    },
    PopDef {
        name: "mergeCont",
        size: BITS,
        cm_nf: 0.27,
        tau_m: 3.0,
        v_thresh: -57.0,
    },
    PopDef {
        name: "out",
        size: CUES + BITS,
        cm_nf: 0.27,
        tau_m: 3.0,
        v_thresh: -57.5,
    },
];

/// Population names and sizes in raster order.
pub fn populations() -> Vec<(&'static str, usize)> {
    POPS.iter().map(|p| (p.name, p.size)).collect()
}

/// Index of the output population in the results.
pub const OUT: usize = 9;

fn population(p: &PopDef, timing: Timing) -> Population {
    // IF_curr_exp: i_offset 0, tau_refrac 1, tau_syn_E = tau_syn_I = 0.3,
    // v_reset = v_rest = vInit = −60 mV (all populations).
    Population::new(p.name, p.size, "iaf_psc_exp")
        .param("C_m", format!("{} pF", p.cm_nf * 1000.0).as_str())
        .param("tau_m", format!("{} ms", p.tau_m).as_str())
        .param("E_L", "-60 mV")
        .param("V_th", format!("{} mV", p.v_thresh).as_str())
        .param("V_reset", "-60 mV")
        .param("t_ref", format!("{} ms", timing.t_ref(1.0)).as_str())
        .param("I_e", "0 pA")
        .param("tau_syn_ex", "0.3 ms")
        .param("tau_syn_in", "0.3 ms")
        .init("V_m", "-60 mV")
}

/// One static projection: weight [nA] (negative: inhibitory), sPyMem delay [ms].
fn proj(timing: Timing, src: &str, tgt: &str, conn: Connectivity, w_na: f64, d: f64) -> Projection {
    let receptor = if w_na < 0.0 {
        "inhibitory"
    } else {
        "excitatory"
    };
    let mut p = Projection::new(src, tgt, conn)
        .weight(format!("{w_na} nA").as_str())
        .delay(format!("{} ms", timing.delay(d)).as_str())
        .receptor(receptor);
    p.name = Some(format!(
        "{src}→{tgt}{}",
        if w_na < 0.0 { " (inh)" } else { "" }
    ));
    p
}

fn plastic(
    timing: Timing,
    src: &str,
    tgt: &str,
    conn: Connectivity,
    s: &Stdp,
    stdp_timing: StdpTiming,
) -> Projection {
    // sPyMem's plastic synapses have a 1 ms delay, all of it dendritic on SpiNNaker; the
    // engine's delay (0.5 ms under the matched mapping) is taken as dendritic too (NEST's
    // convention, `timing = "synapse"` with no axonal part).
    let mut p = proj(timing, src, tgt, conn, 0.0, 1.0);
    p.name = Some(format!("{src}→{tgt} (STDP)"));
    let dendritic = stdp_timing == StdpTiming::Dendritic;
    p.plasticity = Some(Plasticity {
        rule: "stdp".into(),
        w_max: Some(Scalar::Text(format!("{} nA", s.w_max))),
        w_min: Some(Scalar::Text("0 nA".into())),
        tau_plus: Some(Scalar::Text(format!("{} ms", s.tau_plus))),
        tau_minus: Some(Scalar::Text(format!("{} ms", s.tau_minus))),
        a_plus: Some(s.a_plus),
        a_minus: Some(s.a_minus),
        mode: Some("additive".into()),
        pairing: Some("all_to_all".into()),
        timing: Some(if dendritic { "synapse" } else { "emission" }.into()),
        update: Some(if s.lazy { "lazy" } else { "immediate" }.into()),
        ..Default::default()
    });
    p
}

/// Writes an edge list (source, target) as CSV into `dir`; returns its path.
fn edges(
    dir: &Path,
    name: &str,
    pairs: impl Iterator<Item = (usize, usize)>,
) -> Result<String, String> {
    let mut s = String::from("source,target\n");
    for (i, j) in pairs {
        s.push_str(&format!("{i},{j}\n"));
    }
    let path = dir.join(format!("edges_{name}.csv"));
    std::fs::write(&path, s).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path.to_string_lossy().into_owned())
}

/// `i → j` for all i ≠ j of n × n.
fn all_but_self(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).flat_map(move |i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
}

/// Every bench is simulated `OFFSET_MS` later than its nominal times, so that
/// the input layer can fire at the nominal times (its own input arrives 1 ms
/// before); reported times subtract it.
pub const OFFSET_MS: f64 = 2.0;

/// The memory circuit for one test bench. Edge-list files are written into
/// `dir`.
///
/// The input layer `in` (sPyMem's `ILayer`, 15 neurons) is a relay
/// population firing at the bench's spike times (driven by `spike_times`
/// inputs 1 ms earlier). The two plastic projections pair spikes as
/// `stdp_timing` says.
pub fn circuit(
    bench: &Bench,
    timing: Timing,
    stdp: &Stdp,
    stdp_timing: StdpTiming,
    dir: &Path,
) -> Result<Circuit, String> {
    let dt = timing.dt();
    let mut c = Circuit::new(Simulation::new(
        &format!("{dt} ms"),
        &format!("{} ms", f64::from(bench.sim_ms) + OFFSET_MS),
    ));
    for p in &POPS {
        c = c.population(population(p, timing));
    }
    let t = timing;
    let o2o = Connectivity::one_to_one;
    let a2a = Connectivity::all_to_all;
    let el = |name: &str, pairs: Box<dyn Iterator<Item = (usize, usize)>>| {
        edges(dir, name, pairs).map(|f| Connectivity::edge_list(&f))
    };
    let projections = vec![
        // ILayer → CA3cueCueRecall (first 5) and → CA3contCueRecall (last 10): 1:1, 6, 1 ms.
        proj(
            t,
            "in",
            "cueCue",
            el("in_cueCue", Box::new((0..CUES).map(|i| (i, i))))?,
            6.0,
            1.0,
        ),
        proj(
            t,
            "in",
            "contCue",
            el("in_contCue", Box::new((0..BITS).map(|i| (CUES + i, i))))?,
            6.0,
            1.0,
        ),
        // CA3cueCueRecall → CA3cueContRecall: 1:1 excitatory (6, 2 ms) and
        // all-to-all-but-self inhibitory (6 · contSize = 60, 3 ms).
        proj(t, "cueCue", "cueCont", o2o(), 6.0, 2.0),
        proj(
            t,
            "cueCue",
            "cueCont",
            el("cueCue_cueCont_inh", Box::new(all_but_self(CUES)))?,
            -6.0 * BITS as f64,
            3.0,
        ),
        // CA3cueCueRecall → CA3contCond: all to each, inhibitory (6, 2 ms).
        proj(t, "cueCue", "contCond", a2a(), -6.0, 2.0),
        // CA3contCueRecall → CA3contCond 1:1 (9, 1 ms); → CA3contCondInt all (6, 1 ms).
        proj(t, "contCue", "contCond", o2o(), 9.0, 1.0),
        proj(t, "contCue", "contCondInt", a2a(), 6.0, 1.0),
        // CA3contCondInt → CA3contCond all (2, 1 ms).
        proj(t, "contCondInt", "contCond", a2a(), 2.0, 1.0),
        // CA3contCond → CA3contContRecall 1:1 (6, 1 ms).
        proj(t, "contCond", "contCont", o2o(), 6.0, 1.0),
        // Plastic: CA3cueCueRecall → CA3contCueRecall and CA3contContRecall →
        // CA3cueContRecall, all to all, initial weight 0, delay 1 ms.
        plastic(t, "cueCue", "contCue", a2a(), stdp, stdp_timing),
        plastic(t, "contCont", "cueCont", a2a(), stdp, stdp_timing),
        // CA3cueContRecall lateral inhibition, all but self (6 · contSize, 2 ms).
        proj(
            t,
            "cueCont",
            "cueCont",
            el("cueCont_cueCont_inh", Box::new(all_but_self(CUES)))?,
            -6.0 * BITS as f64,
            2.0,
        ),
        // Merge layers.
        proj(t, "cueCue", "mergeCue", o2o(), 6.0, 3.0),
        proj(t, "cueCont", "mergeCue", o2o(), 6.0, 1.0),
        proj(t, "contCue", "mergeCont", o2o(), 6.0, 3.0),
        proj(t, "contCont", "mergeCont", o2o(), 6.0, 1.0),
        // Output layer: mergeCue → OL[0..5], mergeCont → OL[5..15] (6, 1 ms).
        proj(
            t,
            "mergeCue",
            "out",
            el("mergeCue_out", Box::new((0..CUES).map(|i| (i, i))))?,
            6.0,
            1.0,
        ),
        proj(
            t,
            "mergeCont",
            "out",
            el("mergeCont_out", Box::new((0..BITS).map(|i| (i, CUES + i))))?,
            6.0,
            1.0,
        ),
    ];
    for p in projections {
        c = c.projection(p);
    }
    // The input layer fires at the bench's times: its spike_times drive
    // arrives through the same 1 ms hop (6 nA, delay d − dt).
    for (k, times) in bench.input_spikes().iter().enumerate() {
        if times.is_empty() {
            continue;
        }
        let mut inp = Input::new("spike_times", "in");
        inp.name = Some(format!("IL{k}"));
        inp.neurons = Some(vec![k as u32]);
        inp.times = Some(
            times
                .iter()
                .map(|&t| Scalar::Text(format!("{} ms", f64::from(t) + OFFSET_MS - 1.0)))
                .collect(),
        );
        inp.weight = Some("6 nA".into());
        inp.receptor = Some("excitatory".into());
        inp.delay = Some(Scalar::Text(format!("{} ms", timing.delay(1.0))));
        c = c.input(inp);
    }
    for p in &POPS {
        c = c.monitor(Monitor::spikes(p.name));
    }
    Ok(c)
}

/// Spikes of one run: per population (times \[ms\], neuron ids).
#[derive(Debug, Clone)]
pub struct Run {
    /// Per population in [`populations`] order.
    pub spikes: Vec<(Vec<f64>, Vec<u32>)>,
    /// Final weights of cueCue→contCue (CUES × BITS, row = cue) \[nA\].
    pub w_cue_cont: Vec<Vec<f64>>,
    /// Final weights of contCont→cueCont (BITS × CUES, row = bit) \[nA\].
    pub w_cont_cue: Vec<Vec<f64>>,
    /// Build + simulate wall time \[s\].
    pub wall_s: f64,
}

/// Builds and runs one test bench; spike times are returned on the bench's
/// clock (the offset removed).
pub fn run(
    bench: &Bench,
    timing: Timing,
    stdp: &Stdp,
    stdp_timing: StdpTiming,
    dir: &Path,
) -> Result<Run, String> {
    let started = std::time::Instant::now();
    let c = circuit(bench, timing, stdp, stdp_timing, dir)?;
    let r = validate_circuit(&c).map_err(|e| e.to_string())?;
    let mut net = Network::build(&r).map_err(|e| e.to_string())?;
    let res = net.run(None).map_err(|e| e.to_string())?;
    let spikes = res
        .spikes
        .iter()
        .map(|s| {
            (
                s.times_ms.iter().map(|t| t - OFFSET_MS).collect(),
                s.senders.clone(),
            )
        })
        .collect();
    let names = net.projection_names().to_vec();
    let idx = |n: &str| names.iter().position(|x| x == n);
    let matrix = |j: Option<usize>, rows: usize, cols: usize| {
        let mut m = vec![vec![0.0; cols]; rows];
        if let Some(j) = j {
            for (s, t, w, _) in net.synapses_of(j) {
                m[s as usize][t as usize] = f64::from(w) / 1000.0;
            }
        }
        m
    };
    let first = |a: &str, b: &str| idx(a).or_else(|| idx(b));
    let w_cue_cont = matrix(
        first("in→contCue (STDP)", "cueCue→contCue (STDP)"),
        CUES,
        BITS,
    );
    let w_cont_cue = matrix(
        first("contCond→cueCont (STDP)", "contCont→cueCont (STDP)"),
        BITS,
        CUES,
    );
    Ok(Run {
        spikes,
        w_cue_cont,
        w_cont_cue,
        wall_s: started.elapsed().as_secs_f64(),
    })
}

/// What the output layer did during one operation.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The pattern the operation returned (see [`decode`]).
    pub pattern: Pattern,
    /// First cue-part output spike after t0 \[ms\] (NaN if none).
    pub cue_latency: f64,
    /// First content-part output spike after t0 \[ms\] (NaN if none).
    pub content_latency: f64,
    /// Output spikes in the window that are not part of `pattern`'s read-out
    /// instants (learning only), as (latency \[ms\], output neuron).
    pub other: Vec<(f64, usize)>,
}

/// Output instants at which sPyMem documents that a learning operation
/// returns the learned memory ("5 (and 7) time units after having started
/// the operation") [ms after t0].
pub const LEARN_READOUT: [f64; 2] = [5.0, 7.0];

/// Decodes the output layer. The window of operation k runs from its start
/// to the start of the next operation (or the end of the run). Recalls
/// return every output neuron that fired in the window. Learning returns the
/// output at the documented instants t0 + 5 and t0 + 7 ms; other spikes in
/// the window (when a cue is re-learnt, its old content is recalled once at
/// t0 + 6 ms before the STDP depression removes it) are listed in `other`.
pub fn decode(run: &Run, bench: &Bench) -> Vec<Decoded> {
    let (times, ids) = &run.spikes[OUT];
    bench
        .ops
        .iter()
        .enumerate()
        .map(|(k, o)| {
            let lo = f64::from(o.t0);
            let hi = bench
                .ops
                .get(k + 1)
                .map_or(f64::from(bench.sim_ms), |n| f64::from(n.t0));
            let mut d = Decoded {
                pattern: Pattern::default(),
                cue_latency: f64::NAN,
                content_latency: f64::NAN,
                other: Vec::new(),
            };
            for (&t, &i) in times.iter().zip(ids) {
                if t <= lo || t > hi {
                    continue;
                }
                let i = i as usize;
                let lat = t - lo;
                if o.kind == OpKind::Learn && !LEARN_READOUT.iter().any(|&r| (lat - r).abs() < 1e-6)
                {
                    d.other.push((lat, i));
                    continue;
                }
                if i < CUES {
                    d.pattern.cues.insert(i);
                    if d.cue_latency.is_nan() || lat < d.cue_latency {
                        d.cue_latency = lat;
                    }
                } else {
                    d.pattern.bits.insert(i - CUES);
                    if d.content_latency.is_nan() || lat < d.content_latency {
                        d.content_latency = lat;
                    }
                }
            }
            d
        })
        .collect()
}
