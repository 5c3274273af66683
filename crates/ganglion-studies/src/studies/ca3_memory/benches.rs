//! sPyMem's test benches for the `CA3_content_addressable` memory (from
//! `tests/test_CA3_content_addressable.py`), the ideal memory's outputs and
//! the documented output latencies.

use std::collections::BTreeSet;

use super::model::{BITS, CUES};

/// Kind of memory operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// Cue and content held for 3 steps.
    Learn,
    /// One spike on a cue neuron.
    RecallCue,
    /// One spike on some content neurons.
    RecallContent,
}

impl OpKind {
    /// Name used in tables.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Learn => "learn",
            OpKind::RecallCue => "recall_by_cue",
            OpKind::RecallContent => "recall_by_content",
        }
    }
}

/// One operation of a test bench.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// Kind.
    pub kind: OpKind,
    /// Start \[ms\].
    pub t0: u32,
    /// Cue neurons stimulated (one for learn / recall by cue, none for recall by content).
    pub cue: Vec<usize>,
    /// Content neurons stimulated.
    pub content: Vec<usize>,
}

const fn op(kind: OpKind, t0: u32) -> (OpKind, u32) {
    (kind, t0)
}

/// A test bench of `tests/test_CA3_content_addressable.py`.
#[derive(Debug, Clone)]
pub struct Bench {
    /// `1_learn_recall`, … as in sPyMem.
    pub name: &'static str,
    /// Operations in time order.
    pub ops: Vec<Op>,
    /// Simulated time \[ms\].
    pub sim_ms: u32,
    /// sPyMem's spike lists (5 cue lists then 10 content lists), for the
    /// consistency check of the operation list; `None` for our own bench.
    pub spymem_spikes: Option<Vec<Vec<u32>>>,
}

impl Bench {
    /// Input spike lists (5 cue neurons then 10 content neurons) generated
    /// from the operations: 3 steps for learning, 1 for recall.
    pub fn input_spikes(&self) -> Vec<Vec<u32>> {
        let mut s = vec![Vec::new(); CUES + BITS];
        for o in &self.ops {
            let n = if o.kind == OpKind::Learn { 3 } else { 1 };
            for k in 0..n {
                for &c in &o.cue {
                    s[c].push(o.t0 + k);
                }
                for &b in &o.content {
                    s[CUES + b].push(o.t0 + k);
                }
            }
        }
        for v in &mut s {
            v.sort_unstable();
        }
        s
    }
}

fn mk(kind: (OpKind, u32), cue: &[usize], content: &[usize]) -> Op {
    Op {
        kind: kind.0,
        t0: kind.1,
        cue: cue.to_vec(),
        content: content.to_vec(),
    }
}

fn lists(cue: [&[u32]; CUES], cont: [&[u32]; BITS]) -> Option<Vec<Vec<u32>>> {
    Some(cue.iter().chain(cont.iter()).map(|l| l.to_vec()).collect())
}

/// The five test benches of sPyMem's `test_CA3_content_addressable.py`
/// (experiment 4 is the active, "one content neuron at a time" variant).
pub fn benches() -> Vec<Bench> {
    use OpKind::*;
    vec![
        Bench {
            name: "1_learn_recall",
            ops: vec![
                mk(op(Learn, 0), &[0], &[0, 1, 2, 9]),
                mk(op(RecallCue, 10), &[0], &[]),
            ],
            sim_ms: 20,
            spymem_spikes: lists(
                [&[0, 1, 2, 10], &[], &[], &[], &[]],
                [
                    &[0, 1, 2],
                    &[0, 1, 2],
                    &[0, 1, 2],
                    &[],
                    &[],
                    &[],
                    &[],
                    &[],
                    &[],
                    &[0, 1, 2],
                ],
            ),
        },
        Bench {
            name: "2_learn_forget_relearn",
            ops: vec![
                mk(op(Learn, 0), &[0], &[0, 1, 2, 9]),
                mk(op(RecallCue, 10), &[0], &[]),
                mk(op(Learn, 20), &[0], &[2, 3, 8]),
                mk(op(RecallCue, 30), &[0], &[]),
            ],
            sim_ms: 40,
            spymem_spikes: lists(
                [&[0, 1, 2, 10, 20, 21, 22, 30], &[], &[], &[], &[]],
                [
                    &[0, 1, 2],
                    &[0, 1, 2],
                    &[0, 1, 2, 20, 21, 22],
                    &[20, 21, 22],
                    &[],
                    &[],
                    &[],
                    &[],
                    &[20, 21, 22],
                    &[0, 1, 2],
                ],
            ),
        },
        Bench {
            name: "3_combined_operations",
            ops: vec![
                mk(op(Learn, 0), &[4], &[7, 8, 9]),
                mk(op(Learn, 7), &[3], &[6, 7, 8]),
                mk(op(Learn, 14), &[2], &[5, 6, 7]),
                mk(op(RecallCue, 21), &[4], &[]),
                mk(op(RecallCue, 27), &[3], &[]),
                mk(op(Learn, 33), &[3], &[0, 1, 5, 6, 7]),
                mk(op(Learn, 40), &[2], &[0, 1, 8, 9]),
                mk(op(RecallCue, 47), &[3], &[]),
                mk(op(RecallCue, 53), &[2], &[]),
            ],
            sim_ms: 60,
            spymem_spikes: lists(
                [
                    &[],
                    &[],
                    &[14, 15, 16, 40, 41, 42, 53],
                    &[7, 8, 9, 27, 33, 34, 35, 47],
                    &[0, 1, 2, 21],
                ],
                [
                    &[33, 34, 35, 40, 41, 42],
                    &[33, 34, 35, 40, 41, 42],
                    &[],
                    &[],
                    &[],
                    &[14, 15, 16, 33, 34, 35],
                    &[7, 8, 9, 14, 15, 16, 33, 34, 35],
                    &[0, 1, 2, 7, 8, 9, 14, 15, 16, 33, 34, 35],
                    &[0, 1, 2, 7, 8, 9, 40, 41, 42],
                    &[0, 1, 2, 40, 41, 42],
                ],
            ),
        },
        Bench {
            name: "4_learn_recall_by_content_one_at_time",
            ops: vec![
                mk(op(Learn, 0), &[0], &[0, 1, 2, 8, 9]),
                mk(op(Learn, 10), &[1], &[0, 7, 8, 9]),
                mk(op(RecallContent, 20), &[], &[0]),
                mk(op(RecallContent, 30), &[], &[9]),
                mk(op(RecallContent, 40), &[], &[2]),
                mk(op(RecallCue, 50), &[0], &[]),
                mk(op(Learn, 60), &[0], &[2, 3, 9]),
                mk(op(RecallCue, 70), &[0], &[]),
                mk(op(RecallContent, 80), &[], &[0]),
                mk(op(RecallContent, 90), &[], &[2]),
                mk(op(RecallContent, 100), &[], &[9]),
            ],
            sim_ms: 110,
            spymem_spikes: lists(
                [&[0, 1, 2, 50, 60, 61, 62, 70], &[10, 11, 12], &[], &[], &[]],
                [
                    &[0, 1, 2, 10, 11, 12, 20, 80],
                    &[0, 1, 2],
                    &[0, 1, 2, 40, 60, 61, 62, 90],
                    &[60, 61, 62],
                    &[],
                    &[],
                    &[],
                    &[10, 11, 12],
                    &[0, 1, 2, 10, 11, 12],
                    &[0, 1, 2, 10, 11, 12, 30, 60, 61, 62, 100],
                ],
            ),
        },
        Bench {
            name: "5_learn_recall_by_content_several_at_time",
            ops: vec![
                mk(op(Learn, 0), &[0], &[0, 1, 2]),
                mk(op(Learn, 10), &[1], &[1, 2, 3]),
                mk(op(Learn, 20), &[2], &[2, 3, 4]),
                mk(op(RecallContent, 30), &[], &[0, 4]),
                mk(op(RecallContent, 40), &[], &[2]),
                mk(op(RecallCue, 50), &[1], &[]),
                mk(op(RecallContent, 60), &[], &[1, 3]),
            ],
            sim_ms: 70,
            spymem_spikes: lists(
                [&[0, 1, 2], &[10, 11, 12, 50], &[20, 21, 22], &[], &[]],
                [
                    &[0, 1, 2, 30],
                    &[0, 1, 2, 10, 11, 12, 60],
                    &[0, 1, 2, 10, 11, 12, 20, 21, 22, 40],
                    &[10, 11, 12, 20, 21, 22, 60],
                    &[20, 21, 22, 30],
                    &[],
                    &[],
                    &[],
                    &[],
                    &[],
                ],
            ),
        },
        // Ours: a content fragment returns the cue, and the cue the full
        // content (sPyMem's recall by content returns cues, not content).
        Bench {
            name: "6_fragment_then_cue (ours)",
            ops: vec![
                mk(op(Learn, 0), &[0], &[0, 1, 2]),
                mk(op(Learn, 10), &[3], &[5, 6, 7, 8]),
                mk(op(RecallContent, 20), &[], &[6]),
                mk(op(RecallCue, 30), &[3], &[]),
                mk(op(RecallContent, 40), &[], &[1]),
                mk(op(RecallCue, 50), &[0], &[]),
            ],
            sim_ms: 60,
            spymem_spikes: None,
        },
    ]
}

/// Output pattern of one operation: cue bits and content bits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pattern {
    /// Active cue neurons.
    pub cues: BTreeSet<usize>,
    /// Active content bits.
    pub bits: BTreeSet<usize>,
}

impl Pattern {
    /// `c0+c2 {0,1,9}` style text (`- {2}`: no cue).
    pub fn text(&self) -> String {
        let c: Vec<String> = self.cues.iter().map(|c| format!("c{c}")).collect();
        let b: Vec<String> = self.bits.iter().map(|b| b.to_string()).collect();
        format!(
            "{} {{{}}}",
            if c.is_empty() {
                "-".into()
            } else {
                c.join("+")
            },
            b.join(",")
        )
    }
    /// 15-bit string: 5 cue bits then 10 content bits.
    pub fn bitstring(&self) -> String {
        (0..CUES)
            .map(|c| self.cues.contains(&c))
            .chain((0..BITS).map(|b| self.bits.contains(&b)))
            .map(|on| if on { '1' } else { '0' })
            .collect()
    }
}

/// What the memory should output for each operation, from the semantics
/// sPyMem documents: learning echoes the memory (cue + content); recall by
/// cue returns the cue and its stored content; recall by content returns the
/// fragment and every cue whose stored content shares at least one bit with
/// it. Learning a cue again replaces (forgets) its old content.
pub fn expected(ops: &[Op]) -> Vec<Pattern> {
    let mut store: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); CUES];
    ops.iter()
        .map(|o| match o.kind {
            OpKind::Learn => {
                store[o.cue[0]] = o.content.iter().copied().collect();
                Pattern {
                    cues: o.cue.iter().copied().collect(),
                    bits: o.content.iter().copied().collect(),
                }
            }
            OpKind::RecallCue => Pattern {
                cues: o.cue.iter().copied().collect(),
                bits: store[o.cue[0]].clone(),
            },
            OpKind::RecallContent => Pattern {
                cues: (0..CUES)
                    .filter(|&c| o.content.iter().any(|b| store[c].contains(b)))
                    .collect(),
                bits: o.content.iter().copied().collect(),
            },
        })
        .collect()
}

/// The output latencies sPyMem's timing gives (hop latency = delay on
/// SpiNNaker): learning — cue and content at +5 ms (documented: "5 (and 7)
/// time units after having started"); recall by cue — cue at +5, content at
/// +6 (documented); recall by content — fragment at +5 (`contCue → mergeCont
/// → OL`, 1 + 3 + 1), cues at +6 (`contCue → contCond → contCont → cueCont →
/// mergeCue → OL`, 1 + 1 + 1 + 1 + 1 + 1), derived from the same delays.
/// Returns (cue latency, content latency) \[ms\].
pub fn paper_latency(kind: OpKind) -> (f64, f64) {
    match kind {
        OpKind::Learn => (5.0, 5.0),
        OpKind::RecallCue => (5.0, 6.0),
        OpKind::RecallContent => (6.0, 5.0),
    }
}
