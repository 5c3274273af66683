//! Stochastic pulse (single-flux-quantum style) networks at the architecture level, after
//! Krylov, Edwards, J. S. Friedman & E. G. Friedman (2023), "Deep neuromorphic networks with
//! superconducting single flux quanta" (arXiv:2311.10721), and Edwards et al. (2024),
//! "Harnessing stochasticity for superconductive multi-layer spike-rate-coded neuromorphic
//! networks" (Neuromorph. Comput. Eng. 4, 014005).
//!
//! Those papers build rate-coded networks from SFQ pulses: a synapse is a thermally
//! stochastic Josephson-junction gate that passes or blocks each incoming pulse, its
//! switching probability (set by a bias current) being the weight; neurons sum the pulses
//! their synapses pass and fire an output pulse at a threshold. Circuit details are not
//! modelled here; the model below is our architecture-level reading of that description.
//!
//! **Exact model.** Time runs in clock cycles; a window is `T` cycles.
//! - An input line carries at most one pulse per cycle, independently with probability equal
//!   to its rate (rate 1: a pulse every cycle, so `T` pulses per window; rate 0: none). A
//!   bias line carries a pulse every cycle.
//! - A synapse connects one source line (an input, the bias line, or a neuron of the layer
//!   before) to a neuron and is excitatory or inhibitory. Each pulse arriving at it passes
//!   independently with its switching probability `p` and is blocked otherwise.
//! - In each cycle a neuron counts the pulses its synapses pass in that cycle, `+1` for each
//!   excitatory and `−1` for each inhibitory one, and emits one pulse in that cycle (to every
//!   synapse it feeds — fan-out copies the pulse) when the count reaches its threshold
//!   `θ ≥ 1`. Its storage loop is then reset: nothing is carried to the next cycle.
//! - Layers are evaluated in order within a cycle (pipelining by one cycle per layer shifts
//!   the output train but not its statistics, since cycles are independent).
//!
//! Because neurons are memoryless and input pulses independent across cycles, the output
//! neuron fires in each cycle independently with one probability `q` per input pattern, and
//! its pulse count over a window is exactly `Binomial(T, q)`. [`PulseNetwork::firing_probabilities`]
//! computes `q` exactly by propagating the joint distribution of each layer's binary state
//! (`2^width` states; neurons of a layer are independent given the layer before, since every
//! synapse draws its own coin) — the binomial theory that [`PulseNetwork::simulate_counts`]
//! (Monte Carlo, pulse by pulse) is tested against.
//!
//! [`xor_network`] builds a deep XOR network by construction (two hidden layers; see its docs).

use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::{LearnError, Result};
use crate::rng::uniform;

/// Widest layer whose joint state distribution is enumerated (2^16 states).
pub const MAX_WIDTH: usize = 16;

/// A stochastic pulse gate from a source line onto a neuron.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Synapse {
    /// Source line: `0..w` are the neurons (or inputs) of the layer before (width `w`), and
    /// `w` is the bias line, which pulses every cycle.
    pub source: usize,
    /// Whether a passed pulse counts `−1` (inhibitory) instead of `+1` (excitatory).
    pub inhibitory: bool,
    /// Switching probability: the chance that a pulse arriving at the gate passes, in [0, 1].
    pub probability: f64,
}

impl Synapse {
    /// An excitatory synapse from `source` with switching probability `p`.
    pub fn excitatory(source: usize, p: f64) -> Self {
        Self {
            source,
            inhibitory: false,
            probability: p,
        }
    }

    /// An inhibitory synapse from `source` with switching probability `p`.
    pub fn inhibitory(source: usize, p: f64) -> Self {
        Self {
            source,
            inhibitory: true,
            probability: p,
        }
    }
}

/// A clocked threshold neuron: fires in a cycle when (passed excitatory − passed inhibitory
/// pulses) in that cycle is at least `threshold`.
#[derive(Debug, Clone, PartialEq)]
pub struct PulseNeuron {
    /// Its synapses.
    pub synapses: Vec<Synapse>,
    /// Net pulse count needed to fire (≥ 1, so a neuron with no input never fires).
    pub threshold: u32,
}

/// A layered feed-forward network of [`PulseNeuron`]s.
#[derive(Debug, Clone, PartialEq)]
pub struct PulseNetwork {
    inputs: usize,
    layers: Vec<Vec<PulseNeuron>>,
}

const OBJECT: &str = "PulseNetwork";

impl PulseNetwork {
    /// A network with `inputs` input lines and `layers` (each a list of neurons whose
    /// synapses name sources in the layer before; the first layer's sources are the inputs).
    /// The last layer is the output.
    pub fn new(inputs: usize, layers: Vec<Vec<PulseNeuron>>) -> Result<Self> {
        let mut width = inputs;
        if inputs == 0 || inputs > MAX_WIDTH {
            return Err(LearnError::param(
                OBJECT,
                "inputs",
                inputs,
                format!("must be 1..={MAX_WIDTH}"),
                "give at least one input line",
            ));
        }
        if layers.is_empty() {
            return Err(LearnError::param(
                OBJECT,
                "layers",
                0,
                "must hold at least one layer",
                "add an output layer",
            ));
        }
        for (l, layer) in layers.iter().enumerate() {
            if layer.is_empty() || layer.len() > MAX_WIDTH {
                return Err(LearnError::param(
                    OBJECT,
                    "layer width",
                    layer.len(),
                    format!("layer {l} must hold 1..={MAX_WIDTH} neurons"),
                    "split wide layers or drop empty ones",
                ));
            }
            for (k, n) in layer.iter().enumerate() {
                if n.threshold == 0 {
                    return Err(LearnError::param(
                        OBJECT,
                        "threshold",
                        0,
                        format!("neuron {k} of layer {l}: a threshold of 0 fires without input"),
                        "use a threshold of at least 1 (add a bias synapse for tonic firing)",
                    ));
                }
                for s in &n.synapses {
                    if s.source > width {
                        return Err(LearnError::param(
                            OBJECT,
                            "synapse source",
                            s.source,
                            format!(
                                "neuron {k} of layer {l}: the layer before has {width} lines \
                                 and the bias line is {width}"
                            ),
                            "index sources within the layer before",
                        ));
                    }
                    if !(0.0..=1.0).contains(&s.probability) {
                        return Err(LearnError::param(
                            OBJECT,
                            "switching probability",
                            s.probability,
                            format!("neuron {k} of layer {l}: a probability must lie in [0, 1]"),
                            "clamp the mapped weight into [0, 1]",
                        ));
                    }
                }
            }
            width = layer.len();
        }
        Ok(Self { inputs, layers })
    }

    /// Number of input lines.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// The layers, output last.
    pub fn layers(&self) -> &[Vec<PulseNeuron>] {
        &self.layers
    }

    fn check_rates(&self, rates: &[f64]) -> Result<()> {
        if rates.len() != self.inputs {
            return Err(LearnError::shape(
                OBJECT,
                "input rates",
                self.inputs,
                rates.len(),
                "give one pulse rate (pulses per cycle) per input line",
            ));
        }
        if let Some(r) = rates.iter().find(|r| !(0.0..=1.0).contains(*r)) {
            return Err(LearnError::param(
                OBJECT,
                "input rate",
                r,
                "a rate is a probability of a pulse per cycle, in [0, 1]",
                "scale rates into [0, 1]",
            ));
        }
        Ok(())
    }

    /// Exact per-cycle firing probability of each output neuron when input line `i` pulses
    /// with probability `rates[i]` per cycle (independently across lines and cycles).
    pub fn firing_probabilities(&self, rates: &[f64]) -> Result<Vec<f64>> {
        self.check_rates(rates)?;
        // Joint distribution over the layer's binary states (bit j: line j pulsed).
        let mut width = self.inputs;
        let mut dist = vec![1.0; 1];
        for (j, &r) in rates.iter().enumerate() {
            let mut next = vec![0.0; dist.len() * 2];
            for (s, &p) in dist.iter().enumerate() {
                next[s] += p * (1.0 - r);
                next[s | (1 << j)] += p * r;
            }
            dist = next;
        }
        for layer in &self.layers {
            let m = layer.len();
            let mut next = vec![0.0; 1 << m];
            let mut fire = vec![0.0; m];
            for (s, &ps) in dist.iter().enumerate() {
                if ps == 0.0 {
                    continue;
                }
                for (f, n) in fire.iter_mut().zip(layer) {
                    *f = fire_probability(n, s, width);
                }
                // Neurons of a layer are independent given the layer before.
                for (out, slot) in next.iter_mut().enumerate() {
                    let mut p = ps;
                    for (k, f) in fire.iter().enumerate() {
                        p *= if out >> k & 1 == 1 { *f } else { 1.0 - f };
                    }
                    *slot += p;
                }
            }
            dist = next;
            width = m;
        }
        Ok((0..width)
            .map(|k| {
                dist.iter()
                    .enumerate()
                    .filter(|(s, _)| s >> k & 1 == 1)
                    .map(|(_, p)| p)
                    .sum()
            })
            .collect())
    }

    /// Monte Carlo: output pulse counts of each output neuron over `windows` windows of
    /// `cycles` cycles each, pulse by pulse; `windows × outputs`, row-major.
    pub fn simulate_counts(
        &self,
        rates: &[f64],
        cycles: usize,
        windows: usize,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Vec<u64>> {
        self.check_rates(rates)?;
        let outputs = self.layers.last().map_or(0, Vec::len);
        let mut counts = vec![0u64; windows * outputs];
        let mut prev = vec![false; MAX_WIDTH + 1];
        let mut cur = vec![false; MAX_WIDTH + 1];
        for w in 0..windows {
            for _ in 0..cycles {
                let mut width = self.inputs;
                for (j, &r) in rates.iter().enumerate() {
                    // Rates 0 and 1 draw nothing: deterministic trains stay deterministic.
                    prev[j] = r >= 1.0 || (r > 0.0 && uniform(rng) < r);
                }
                for layer in &self.layers {
                    prev[width] = true;
                    for (k, n) in layer.iter().enumerate() {
                        let mut net = 0i64;
                        for s in &n.synapses {
                            if prev[s.source] && uniform(rng) < s.probability {
                                net += if s.inhibitory { -1 } else { 1 };
                            }
                        }
                        cur[k] = net >= i64::from(n.threshold);
                    }
                    width = layer.len();
                    std::mem::swap(&mut prev, &mut cur);
                }
                for k in 0..outputs {
                    counts[w * outputs + k] += u64::from(prev[k]);
                }
            }
        }
        Ok(counts)
    }
}

/// Probability that neuron `n` fires given the pulsing lines `state` (bit j) of a layer of
/// `width` lines (the bias line, index `width`, always pulses).
fn fire_probability(n: &PulseNeuron, state: usize, width: usize) -> f64 {
    let active: Vec<&Synapse> = n
        .synapses
        .iter()
        .filter(|s| s.source == width || state >> s.source & 1 == 1)
        .collect();
    let k = active.len();
    // dist[c + k] = P(net count = c), c in −k..=k.
    let mut dist = vec![0.0; 2 * k + 1];
    dist[k] = 1.0;
    for s in active {
        let step: isize = if s.inhibitory { -1 } else { 1 };
        let mut next = vec![0.0; 2 * k + 1];
        for (c, &p) in dist.iter().enumerate() {
            if p == 0.0 {
                continue;
            }
            next[c] += p * (1.0 - s.probability);
            next[(c as isize + step) as usize] += p * s.probability;
        }
        dist = next;
    }
    let theta = k as i64 + i64::from(n.threshold);
    dist.iter()
        .enumerate()
        .filter(|(c, _)| *c as i64 >= theta)
        .map(|(_, p)| p)
        .sum()
}

/// A deep rate-coded XOR network by construction, every synapse with switching probability
/// `p` (inputs 0 and 1):
/// - hidden layer 1: `a = x₀ ∧ ¬x₁` (excitatory from x₀, inhibitory from x₁, θ = 1) and
///   `b = x₁ ∧ ¬x₀`;
/// - hidden layer 2: `c = a ∨ b` (excitatory from both, θ = 1);
/// - output: `o`, a relay of `c` (excitatory, θ = 1).
///
/// With inputs pulsing every cycle (rate 1) or never (rate 0), the per-cycle output
/// probabilities are `q(1,0) = q(0,1) = p³`, `q(1,1) = p·(1 − (1 − p²(1 − p))²)` and
/// `q(0,0) = 0`; at `p = 1` the network is a deterministic XOR gate.
pub fn xor_network(p: f64) -> Result<PulseNetwork> {
    let gate = |exc: usize, inh: usize| PulseNeuron {
        synapses: vec![Synapse::excitatory(exc, p), Synapse::inhibitory(inh, p)],
        threshold: 1,
    };
    PulseNetwork::new(
        2,
        vec![
            vec![gate(0, 1), gate(1, 0)],
            vec![PulseNeuron {
                synapses: vec![Synapse::excitatory(0, p), Synapse::excitatory(1, p)],
                threshold: 1,
            }],
            vec![PulseNeuron {
                synapses: vec![Synapse::excitatory(0, p)],
                threshold: 1,
            }],
        ],
    )
}

/// Discriminability of two binomial pulse counts over `t` cycles with per-cycle
/// probabilities `q_hi > q_lo`: `d′ = t (q_hi − q_lo) / √((t q_hi(1 − q_hi) + t q_lo(1 − q_lo))/2)`,
/// the difference of mean counts in units of their pooled standard deviation (∝ √t).
/// Infinite when both counts are deterministic and differ.
pub fn binomial_margin(t: usize, q_hi: f64, q_lo: f64) -> f64 {
    let t = t as f64;
    let var = 0.5 * t * (q_hi * (1.0 - q_hi) + q_lo * (1.0 - q_lo));
    t * (q_hi - q_lo) / var.sqrt()
}

/// `P(X ≤ k)` for `X ~ Binomial(n, q)` (summed in log space, exact to rounding; `k ≥ n`
/// gives 1).
pub fn binomial_cdf(k: u64, n: u64, q: f64) -> f64 {
    if k >= n {
        return 1.0;
    }
    if q <= 0.0 {
        return 1.0;
    }
    if q >= 1.0 {
        return 0.0;
    }
    let (lq, lr) = (q.ln(), (1.0 - q).ln());
    let mut ln_fact = vec![0.0; n as usize + 1];
    for i in 1..=n as usize {
        ln_fact[i] = ln_fact[i - 1] + (i as f64).ln();
    }
    let n_us = n as usize;
    (0..=k as usize)
        .map(|i| {
            (ln_fact[n_us] - ln_fact[i] - ln_fact[n_us - i]
                + i as f64 * lq
                + (n_us - i) as f64 * lr)
                .exp()
        })
        .sum::<f64>()
        .min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    #[test]
    fn xor_probabilities_match_the_closed_form() {
        for p in [0.3, 0.7, 0.9, 1.0] {
            let net = xor_network(p).unwrap();
            let q = |x: [f64; 2]| net.firing_probabilities(&x).unwrap()[0];
            let q11 = p * (1.0 - (1.0 - p * p * (1.0 - p)).powi(2));
            assert!((q([1.0, 0.0]) - p.powi(3)).abs() < 1e-14);
            assert!((q([0.0, 1.0]) - p.powi(3)).abs() < 1e-14);
            assert!((q([1.0, 1.0]) - q11).abs() < 1e-14);
            assert_eq!(q([0.0, 0.0]), 0.0);
        }
    }

    #[test]
    fn single_gate_probabilities_by_hand() {
        // Three excitatory synapses from the bias line at p, θ = 2: 3p²(1 − p) + p³.
        // An inhibitory bias synapse at r added: fires when ≥ 3 pass and the inhibition does
        // not, or ≥ 2 pass and it is blocked... P = (1−r)(3p²(1−p)+p³) + r p³.
        let (p, r) = (0.6, 0.3);
        let n = PulseNeuron {
            synapses: vec![
                Synapse::excitatory(1, p),
                Synapse::excitatory(1, p),
                Synapse::excitatory(1, p),
                Synapse::inhibitory(1, r),
            ],
            threshold: 2,
        };
        let net = PulseNetwork::new(1, vec![vec![n]]).unwrap();
        let got = net.firing_probabilities(&[0.0]).unwrap()[0];
        let two_plus = 3.0 * p * p * (1.0 - p) + p.powi(3);
        let want = (1.0 - r) * two_plus + r * p.powi(3);
        assert!((got - want).abs() < 1e-14, "{got} vs {want}");
    }

    #[test]
    fn stochastic_inputs_are_marginalised() {
        // A relay of an input pulsing at rate r through a gate p fires at r·p; an AND of two
        // inputs (θ = 2) at r₀ p · r₁ p.
        let relay = PulseNeuron {
            synapses: vec![Synapse::excitatory(0, 0.5)],
            threshold: 1,
        };
        let and = PulseNeuron {
            synapses: vec![Synapse::excitatory(0, 0.5), Synapse::excitatory(1, 0.8)],
            threshold: 2,
        };
        let net = PulseNetwork::new(2, vec![vec![relay, and]]).unwrap();
        let q = net.firing_probabilities(&[0.4, 0.25]).unwrap();
        assert!((q[0] - 0.2).abs() < 1e-14 && (q[1] - 0.4 * 0.5 * 0.25 * 0.8).abs() < 1e-14);
    }

    #[test]
    fn monte_carlo_counts_are_binomial() {
        let net = xor_network(0.8).unwrap();
        let (t, windows) = (50usize, 4000usize);
        for (id, x) in [[1.0, 0.0], [1.0, 1.0]].into_iter().enumerate() {
            let q = net.firing_probabilities(&x).unwrap()[0];
            let mut rng = stream(11, id as u64);
            let c = net.simulate_counts(&x, t, windows, &mut rng).unwrap();
            let m = c.iter().sum::<u64>() as f64 / windows as f64;
            let v = c.iter().map(|&k| (k as f64 - m).powi(2)).sum::<f64>() / (windows - 1) as f64;
            let var = t as f64 * q * (1.0 - q);
            let z = (m - t as f64 * q) / (var / windows as f64).sqrt();
            assert!(z.abs() < 4.0, "{x:?}: mean {m} vs {} (z {z})", t as f64 * q);
            // Sample variance of 4000 draws: relative SE ≈ √(2/4000) ≈ 2.2 %.
            assert!((v / var - 1.0).abs() < 0.1, "{x:?}: variance {v} vs {var}");
        }
        let mut rng = stream(11, 9);
        assert!(
            net.simulate_counts(&[0.0, 0.0], t, 10, &mut rng)
                .unwrap()
                .iter()
                .all(|&c| c == 0)
        );
    }

    #[test]
    fn margin_and_cdf() {
        // d′ grows as √t.
        let (a, b) = (binomial_margin(16, 0.7, 0.2), binomial_margin(64, 0.7, 0.2));
        assert!((b / a - 2.0).abs() < 1e-12);
        // Binomial(4, 0.5): P(X ≤ 1) = 5/16.
        assert!((binomial_cdf(1, 4, 0.5) - 5.0 / 16.0).abs() < 1e-14);
        assert_eq!(binomial_cdf(4, 4, 0.3), 1.0);
        assert_eq!(binomial_cdf(0, 4, 0.0), 1.0);
    }

    #[test]
    fn bad_networks_are_named() {
        let bad = |layers| PulseNetwork::new(2, layers).unwrap_err().to_string();
        let n = |src, p, th| PulseNeuron {
            synapses: vec![Synapse::excitatory(src, p)],
            threshold: th,
        };
        assert!(bad(vec![vec![n(3, 0.5, 1)]]).contains("synapse source"));
        assert!(bad(vec![vec![n(0, 1.5, 1)]]).contains("switching probability"));
        assert!(bad(vec![vec![n(0, 0.5, 0)]]).contains("threshold"));
        assert!(bad(vec![]).contains("layers"));
        let net = xor_network(0.5).unwrap();
        assert!(net.firing_probabilities(&[1.0]).is_err());
        assert!(net.firing_probabilities(&[1.0, 2.0]).is_err());
    }
}
