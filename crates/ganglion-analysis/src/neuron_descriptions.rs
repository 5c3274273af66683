//! Neuron descriptions by exemplar mining and pointwise mutual information — a "lite"
//! MILAN (Hernandez et al. 2022, "Natural language descriptions of deep visual features",
//! ICLR).
//!
//! MILAN describes a neuron by the inputs that activate it most (its *exemplars*) and picks
//! the description `d` that maximises a weighted pointwise mutual information with them,
//! `argmax_d log p(d | exemplars) − λ log p(d)`, where `p(d | exemplars)` comes from a
//! captioning model trained on human descriptions of image exemplars and `p(d)` from a
//! language model. Here both are replaced by counts over a **fixed, binary description
//! vocabulary**: every input carries a set of annotation labels, and for a neuron with
//! exemplar set `E` (its top `k` inputs by activation, `|E| = k`) out of `N` inputs,
//!
//! ```text
//! p(d | E) = (e_d + α) / (k + 2α),     p(d) = (n_d + α) / (N + 2α),
//! score(d) = ln p(d | E) − λ ln p(d),
//! ```
//!
//! with `e_d` the number of exemplars carrying `d`, `n_d` the number of all inputs carrying
//! `d`, and add-α (Laplace for α = 1) smoothing of each Bernoulli "input has d" — so a
//! description seen in no exemplar still has a finite score, and one seen in a single
//! exemplar of a rare label does not get an unbounded PMI. λ = 1 is plain PMI; λ = 0 ranks by
//! frequency among the exemplars alone, so a label common to all inputs wins everywhere.
//! MILAN's compositional captions are approximated by conjunctions "A and B" of two labels
//! (an input carries the conjunction when it carries both). With λ = 1 a conjunction of a
//! neuron's true label A with an independent label B scores the same PMI as A itself in
//! expectation (`ln p(B) − ln p(A)p(B) = −ln p(A)`); any λ < 1 breaks that tie towards the
//! simpler description by `(1 − λ) ln p(B)`.
//!
//! Activations are row-major `inputs × neurons` (`activations[i * n_neurons + j]`) and labels
//! row-major `inputs × labels` booleans (`labels[i * n_labels + d]`).

use std::fmt;

/// A description from the vocabulary: one label or the conjunction of two (by label index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Description {
    /// Label `d` (column `d` of the label matrix).
    Label(usize),
    /// Labels `a` and `b` together, `a < b`.
    And(usize, usize),
}

impl Description {
    /// The description in words, given the vocabulary's label names.
    pub fn text(&self, names: &[&str]) -> String {
        match *self {
            Self::Label(d) => names[d].to_string(),
            Self::And(a, b) => format!("{} and {}", names[a], names[b]),
        }
    }

    /// Whether input `i` (a row of `labels`, `n_labels` wide) carries this description.
    fn holds(&self, labels: &[bool], n_labels: usize, i: usize) -> bool {
        match *self {
            Self::Label(d) => labels[i * n_labels + d],
            Self::And(a, b) => labels[i * n_labels + a] && labels[i * n_labels + b],
        }
    }
}

/// Settings of [`describe`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Exemplars per neuron (its `k` most active inputs); `1 ≤ k ≤ inputs`.
    pub k: usize,
    /// Weight λ ≥ 0 of the prior term: 0 ranks by exemplar frequency, 1 is plain PMI.
    pub lambda: f64,
    /// Add-α smoothing count, α > 0 (1 = Laplace).
    pub alpha: f64,
    /// Whether to add every conjunction "A and B" that at least one input carries.
    pub conjunctions: bool,
}

impl Default for Options {
    /// k = 20, λ = 1 (PMI), α = 1, no conjunctions.
    fn default() -> Self {
        Self {
            k: 20,
            lambda: 1.0,
            alpha: 1.0,
            conjunctions: false,
        }
    }
}

/// One ranked description of a neuron.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// The description.
    pub description: Description,
    /// `ln p(d | E) − λ ln p(d)` (nats).
    pub score: f64,
    /// Exemplars carrying it, `e_d`.
    pub in_exemplars: usize,
    /// Inputs carrying it, `n_d`.
    pub in_inputs: usize,
}

/// Bad input to [`describe`] or [`top_exemplars`].
#[derive(Debug, Clone, PartialEq)]
pub enum DescribeError {
    /// The activation or label matrix does not have the stated shape.
    Shape(String),
    /// An option is out of range.
    Option(String),
    /// An activation is NaN or infinite.
    NonFinite {
        /// Input (row) index.
        input: usize,
        /// Neuron (column) index.
        neuron: usize,
    },
}

impl fmt::Display for DescribeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Shape(s) | Self::Option(s) => f.write_str(s),
            Self::NonFinite { input, neuron } => write!(
                f,
                "neuron descriptions: activation of neuron {neuron} on input {input} is not \
                 finite; remove or impute it first"
            ),
        }
    }
}

impl std::error::Error for DescribeError {}

fn check_activations(
    activations: &[f64],
    n_inputs: usize,
    n_neurons: usize,
) -> Result<(), DescribeError> {
    if n_inputs == 0 || n_neurons == 0 || activations.len() != n_inputs * n_neurons {
        return Err(DescribeError::Shape(format!(
            "neuron descriptions: activations hold {} values for {n_inputs} inputs x \
             {n_neurons} neurons; pass a non-empty row-major inputs x neurons matrix",
            activations.len()
        )));
    }
    if let Some(p) = activations.iter().position(|a| !a.is_finite()) {
        return Err(DescribeError::NonFinite {
            input: p / n_neurons,
            neuron: p % n_neurons,
        });
    }
    Ok(())
}

/// The `k` inputs on which `neuron` is most active, most active first (ties: lower input
/// index first). `activations` is row-major `n_inputs × n_neurons`.
pub fn top_exemplars(
    activations: &[f64],
    n_inputs: usize,
    n_neurons: usize,
    neuron: usize,
    k: usize,
) -> Result<Vec<usize>, DescribeError> {
    check_activations(activations, n_inputs, n_neurons)?;
    if neuron >= n_neurons || k == 0 || k > n_inputs {
        return Err(DescribeError::Option(format!(
            "top_exemplars: neuron {neuron} with k = {k} exemplars; need neuron < {n_neurons} \
             and 1 <= k <= {n_inputs} (the number of inputs)"
        )));
    }
    Ok(top_k(activations, n_inputs, n_neurons, neuron, k))
}

fn top_k(activations: &[f64], n_inputs: usize, n_neurons: usize, j: usize, k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n_inputs).collect();
    let key = |i: usize| activations[i * n_neurons + j];
    let cmp = |&a: &usize, &b: &usize| key(b).total_cmp(&key(a)).then(a.cmp(&b));
    if k < n_inputs {
        idx.select_nth_unstable_by(k - 1, cmp);
        idx.truncate(k);
    }
    idx.sort_unstable_by(cmp);
    idx
}

/// The description vocabulary: every label, then (with `conjunctions`) every pair `a < b`
/// carried together by at least one input, with its count `n_d` over all inputs.
fn vocabulary(
    labels: &[bool],
    n_inputs: usize,
    n_labels: usize,
    conjunctions: bool,
) -> Vec<(Description, usize)> {
    let count = |d: Description| {
        (0..n_inputs)
            .filter(|&i| d.holds(labels, n_labels, i))
            .count()
    };
    let mut v: Vec<(Description, usize)> = (0..n_labels)
        .map(|d| (Description::Label(d), count(Description::Label(d))))
        .collect();
    if conjunctions {
        for a in 0..n_labels {
            for b in a + 1..n_labels {
                let d = Description::And(a, b);
                let n = count(d);
                if n > 0 {
                    v.push((d, n));
                }
            }
        }
    }
    v
}

/// Ranks the vocabulary for every neuron: for each neuron (in column order) all
/// descriptions, best first, scored `ln p(d | E) − λ ln p(d)` over its top-`k` exemplars
/// `E` (see the module docs). Ties in score (to 1e-9 nats) go to the simpler description (a label before
/// a conjunction), then to the lower label index.
///
/// `activations`: row-major `n_inputs × n_neurons`; `labels`: row-major
/// `n_inputs × n_labels`, `true` where the input carries the label.
pub fn describe(
    activations: &[f64],
    labels: &[bool],
    n_inputs: usize,
    n_neurons: usize,
    n_labels: usize,
    opts: &Options,
) -> Result<Vec<Vec<Scored>>, DescribeError> {
    check_activations(activations, n_inputs, n_neurons)?;
    if n_labels == 0 || labels.len() != n_inputs * n_labels {
        return Err(DescribeError::Shape(format!(
            "describe: labels hold {} values for {n_inputs} inputs x {n_labels} labels; pass a \
             non-empty row-major inputs x labels matrix",
            labels.len()
        )));
    }
    if opts.k == 0 || opts.k > n_inputs {
        return Err(DescribeError::Option(format!(
            "describe: k = {} exemplars; need 1 <= k <= {n_inputs} (the number of inputs)",
            opts.k
        )));
    }
    if !(opts.alpha > 0.0 && opts.alpha.is_finite()) {
        return Err(DescribeError::Option(format!(
            "describe: smoothing alpha = {}; give a finite alpha > 0 (1 = Laplace)",
            opts.alpha
        )));
    }
    if !(opts.lambda >= 0.0 && opts.lambda.is_finite()) {
        return Err(DescribeError::Option(format!(
            "describe: lambda = {}; give a finite lambda >= 0 (1 = PMI, 0 = frequency)",
            opts.lambda
        )));
    }
    let vocab = vocabulary(labels, n_inputs, n_labels, opts.conjunctions);
    let (k, a, n) = (opts.k as f64, opts.alpha, n_inputs as f64);
    let prior: Vec<f64> = vocab
        .iter()
        .map(|&(_, nd)| ((nd as f64 + a) / (n + 2.0 * a)).ln())
        .collect();
    Ok((0..n_neurons)
        .map(|j| {
            let ex = top_k(activations, n_inputs, n_neurons, j, opts.k);
            let mut ranked: Vec<Scored> = vocab
                .iter()
                .zip(&prior)
                .map(|(&(d, nd), &lp)| {
                    let e = ex.iter().filter(|&&i| d.holds(labels, n_labels, i)).count();
                    Scored {
                        description: d,
                        score: ((e as f64 + a) / (k + 2.0 * a)).ln() - opts.lambda * lp,
                        in_exemplars: e,
                        in_inputs: nd,
                    }
                })
                .collect();
            // Equal counts reached by different sums differ in the last bits; rounding the key
            // to 1e-9 nats lets such ties go to the simpler description.
            let key = |x: &Scored| (x.score * 1e9).round();
            ranked.sort_by(|x, y| {
                key(y)
                    .total_cmp(&key(x))
                    .then(x.description.cmp(&y.description))
            });
            ranked
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 4 inputs, labels A = 0, B = 1: input 0 {A}, 1 {A, B}, 2 {B}, 3 {B}; one neuron with
    /// activations 3, 2, 1, 0, so with k = 2 its exemplars are inputs 0 and 1.
    fn small() -> (Vec<f64>, Vec<bool>) {
        (
            vec![3.0, 2.0, 1.0, 0.0],
            vec![true, false, true, true, false, true, false, true],
        )
    }

    #[test]
    fn hand_computed_scores() {
        let (act, lab) = small();
        let opts = Options {
            k: 2,
            lambda: 1.0,
            alpha: 1.0,
            conjunctions: true,
        };
        let r = &describe(&act, &lab, 4, 1, 2, &opts).unwrap()[0];
        // A: e = 2, n = 2: ln(3/4) − ln(3/6) = ln 1.5. B: e = 1, n = 3: ln(2/4) − ln(4/6) = ln 0.75.
        // A and B: e = 1, n = 1: ln(2/4) − ln(2/6) = ln 1.5, tied with A; the label wins the tie.
        let want = [
            (Description::Label(0), 1.5f64.ln(), 2, 2),
            (Description::And(0, 1), 1.5f64.ln(), 1, 1),
            (Description::Label(1), 0.75f64.ln(), 1, 3),
        ];
        assert_eq!(r.len(), 3);
        for (s, (d, score, e, n)) in r.iter().zip(want) {
            assert_eq!(s.description, d);
            assert!((s.score - score).abs() < 1e-12, "{s:?}");
            assert_eq!((s.in_exemplars, s.in_inputs), (e, n));
        }
        // λ = 0 keeps only ln p(d | E): A 3/4, then A and B and B both 2/4.
        let f = &describe(
            &act,
            &lab,
            4,
            1,
            2,
            &Options {
                lambda: 0.0,
                ..opts
            },
        )
        .unwrap()[0];
        assert_eq!(f[0].description, Description::Label(0));
        assert!((f[0].score - 0.75f64.ln()).abs() < 1e-12);
        assert_eq!(f[1].description, Description::Label(1));
        assert!((f[1].score - 0.5f64.ln()).abs() < 1e-12);
        assert_eq!(
            Description::And(0, 1).text(&["red", "round"]),
            "red and round"
        );
    }

    #[test]
    fn exemplars_sorted_with_ties_by_index() {
        // Two neurons; neuron 1 ties inputs 1 and 2.
        let act = [0.0, 5.0, 2.0, 1.0, 3.0, 1.0, 1.0, 0.0];
        assert_eq!(top_exemplars(&act, 4, 2, 0, 2).unwrap(), vec![2, 1]);
        assert_eq!(top_exemplars(&act, 4, 2, 1, 3).unwrap(), vec![0, 1, 2]);
        assert_eq!(top_exemplars(&act, 4, 2, 1, 4).unwrap(), vec![0, 1, 2, 3]);
    }

    /// Deterministic pseudo-random numbers in [0, 1) (SplitMix64) for the planted test.
    fn uniform(seed: &mut u64) -> f64 {
        *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as f64 / 2f64.powi(64)
    }

    #[test]
    fn planted_neurons_found_and_common_label_beats_frequency() {
        // 4 labels with prevalences 0.9 (a label nearly every input carries), 0.3, 0.2, 0.3.
        // Neuron d responds to label d + 1 (activation 2 + noise, else noise; noise is
        // exponential with mean 1, so the top exemplars mix on and off inputs), neuron 3 to the
        // conjunction of labels 1 and 3.
        let (n, nl, nn) = (2000, 4, 4);
        let prev = [0.9, 0.3, 0.2, 0.3];
        let mut s = 7u64;
        let lab: Vec<bool> = (0..n * nl)
            .map(|i| uniform(&mut s) < prev[i % nl])
            .collect();
        let act: Vec<f64> = (0..n * nn)
            .map(|i| {
                let (r, j) = (i / nn, i % nn);
                let on = match j {
                    3 => lab[r * nl + 1] && lab[r * nl + 3],
                    _ => lab[r * nl + j + 1],
                };
                2.0 * f64::from(u8::from(on)) - (1.0 - uniform(&mut s)).ln()
            })
            .collect();
        let opts = Options {
            k: 40,
            lambda: 0.75,
            alpha: 1.0,
            conjunctions: true,
        };
        let r = describe(&act, &lab, n, nn, nl, &opts).unwrap();
        let want = [
            Description::Label(1),
            Description::Label(2),
            Description::Label(3),
            Description::And(1, 3),
        ];
        for (j, w) in want.iter().enumerate() {
            assert_eq!(r[j][0].description, *w, "neuron {j}: {:?}", &r[j][..3]);
        }
        // Ranking by frequency alone (λ = 0, no conjunctions) names the common label 0 for the
        // neurons whose exemplars carry their label no more often than label 0 (0.9).
        let f = describe(
            &act,
            &lab,
            n,
            nn,
            nl,
            &Options {
                lambda: 0.0,
                conjunctions: false,
                ..opts
            },
        )
        .unwrap();
        assert!(f.iter().any(|x| x[0].description == Description::Label(0)));
    }

    #[test]
    fn bad_input_is_named() {
        let (act, lab) = small();
        let o = Options::default();
        assert!(matches!(
            describe(&act, &lab, 4, 1, 2, &o),
            Err(DescribeError::Option(m)) if m.contains("k = 20")
        ));
        assert!(matches!(
            describe(&act, &lab[..6], 4, 1, 2, &Options { k: 2, ..o }),
            Err(DescribeError::Shape(_))
        ));
        let nan = [1.0, f64::NAN, 0.0, 0.0];
        assert_eq!(
            describe(&nan, &lab, 4, 1, 2, &Options { k: 2, ..o }),
            Err(DescribeError::NonFinite {
                input: 1,
                neuron: 0
            })
        );
        assert!(top_exemplars(&act, 4, 1, 1, 2).is_err());
    }
}
