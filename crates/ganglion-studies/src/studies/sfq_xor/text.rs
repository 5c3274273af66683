//! The text of the `sfq-xor` report.

use std::fmt::Write as _;

use super::figures::Figs;
use super::{P_MAIN, Results, T_P};
use crate::report::{self, Table, num};
use crate::stats::mean;
use crate::{Check, Mode};

pub(super) fn report_text(
    mode: Mode,
    checks: &[Check],
    r: &Results,
    seeds: usize,
    windows: usize,
    figs: &Figs,
    elapsed: f64,
) -> String {
    let mut s = report::header(
        "sfq-xor — a rate-coded deep XOR network of stochastic pulse neurons",
        mode,
        checks,
    );
    let _ = writeln!(
        s,
        "## What is reproduced\n\n\
         Krylov, Edwards, J. S. Friedman & E. G. Friedman (2023) and Edwards et al. (2024) build rate-coded \
         neuromorphic networks from superconducting single-flux-quantum pulses: synapses are thermally stochastic \
         Josephson gates that pass or block each pulse (the switching probability, set by a bias current, is the \
         weight), neurons fire on the pulses their synapses pass, and a deep XOR network classifies with a wide \
         margin. Only the papers' abstracts were available here, so this is an **architecture-level** model of our \
         own (no circuit simulation, no junction physics), and the papers' margins are not numbers we can set beside \
         ours.\n"
    );
    let _ = writeln!(
        s,
        "## Model (exact)\n\n\
         - Clock cycles; a window is T cycles. An input line at logical 1 pulses every cycle (T pulses per window), \
         at 0 never.\n\
         - Synapse: each arriving pulse passes with probability p, independently; excitatory (+1) or inhibitory (−1).\n\
         - Neuron: in each cycle it sums the pulses passed in that cycle and fires one pulse when the sum reaches its \
         threshold θ; nothing is carried over to the next cycle.\n\
         - Network (weights set by construction, not trained): hidden layer 1 a = x₀ ∧ ¬x₁ and b = x₁ ∧ ¬x₀ \
         (excitatory + inhibitory synapse, θ = 1); hidden layer 2 c = a ∨ b (θ = 1); output o relays c (θ = 1). \
         Every synapse has the same switching probability p.\n\
         - Readout: the output count over the window, class 1 when it reaches the midpoint between the mean counts \
         of the closest pair of patterns of opposite class. Margin d′ = (difference of those mean counts) / \
         √(mean of their variances).\n\n\
         Cycles are independent and neurons memoryless, so each output count is exactly Binomial(T, q) with q the \
         per-cycle firing probability of the pattern, which we compute exactly by enumerating the joint states of \
         each layer: q(1,0) = q(0,1) = p³, q(1,1) = p(1 − (1 − p²(1 − p))²), q(0,0) = 0, and d′ = √T · \
         (q₁₀ − q₁₁)/√((q₁₀(1 − q₁₀) + q₁₁(1 − q₁₁))/2). The Monte Carlo simulates every pulse and gate \
         ({seeds} seeds × {windows} windows per pattern and point).\n"
    );
    let _ = writeln!(s, "## Checks\n\n{}", report::checks_table(checks));
    let mut t = Table::new(&[
        "T (pulses)",
        "exact d′",
        &format!("Monte Carlo d′ (mean of {seeds} seeds)"),
        "threshold (pulses)",
        "exact accuracy",
        "Monte Carlo accuracy",
    ]);
    for a in &r.by_t {
        let mc: Vec<_> = r.mc_t.iter().filter(|m| m.t == a.t).collect();
        t.row(vec![
            a.t.to_string(),
            num(a.margin),
            num(mean(&mc.iter().map(|m| m.margin).collect::<Vec<_>>())),
            a.threshold.to_string(),
            num(a.accuracy),
            num(mean(&mc.iter().map(|m| m.accuracy).collect::<Vec<_>>())),
        ]);
    }
    let _ = writeln!(
        s,
        "## Margin against pulse count (p = {P_MAIN})\n\nPer-cycle q: 00 → {}, 01/10 → {}, 11 → {}.\n\n{}\n{}",
        num(r.by_t[0].q[0]),
        num(r.by_t[0].q[1]),
        num(r.by_t[0].q[3]),
        t.render(),
        figs.by_t
    );
    let mut t = Table::new(&[
        "p",
        "q(1,0)",
        "q(1,1)",
        "exact d′",
        "Monte Carlo d′",
        "exact accuracy",
    ]);
    let mut ps: Vec<f64> = r.mc_p.iter().map(|m| m.p).collect();
    ps.sort_by(f64::total_cmp);
    ps.dedup();
    for p in ps {
        let Some(a) = r.by_p.iter().find(|a| (a.p - p).abs() < 1e-9) else {
            continue;
        };
        let mc: Vec<f64> = r
            .mc_p
            .iter()
            .filter(|m| m.p == p)
            .map(|m| m.margin)
            .collect();
        t.row(vec![
            num(p),
            num(a.q[2]),
            num(a.q[3]),
            num(a.margin),
            num(mean(&mc)),
            num(a.accuracy),
        ]);
    }
    let _ = writeln!(
        s,
        "## Margin against switching probability (T = {T_P})\n\n{}\n{}",
        t.render(),
        figs.by_p
    );
    let _ = writeln!(
        s,
        "## What differs from the paper\n\n\
         - Architecture level only: no Josephson-junction circuit, no bias-current → probability curve, no \
         timing; a neuron's storage loop is reset every clock cycle, so it integrates the pulses of one cycle, \
         not of a whole window.\n\
         - Weights are set by construction (logic gates from stochastic synapses with one common p), not trained; \
         the papers' training mechanisms are not modelled.\n\
         - The margin does not degrade as p → 1 here: with deterministic input trains the network becomes a \
         deterministic XOR gate and d′ diverges. It degrades as p falls: the inhibitory gate of x₀ ∧ ¬x₁ blocks \
         with probability 1 − p, so (1,1) leaks through, and below p ≈ 0.45 the classes swap order.\n\
         - The papers report wide margins from circuit simulation; we have no numbers of theirs to compare.\n\n\
         Run time {elapsed:.1} s ({mode} mode). Full mode: `cargo run --release -- study run sfq-xor --full`."
    );
    s
}
