//! C. elegans connectomes in the JSON format of the `cect` package's cache
//! (`{"nodes": [names], "connections": {"<type>": N×N matrix}}`, entry `[pre][post]`):
//! White et al. 1986, Varshney et al. 2011, Cook et al. 2019, Witvliet et al. 2021 and others,
//! as `scripts/fetch-data.sh cect` unpacks them into `data/cect/`.
//!
//! Neurons are keyed by their canonical names (AVAL, AVAR, …); [`class_of`] gives each of the
//! hermaphrodite's 302 neurons its class (sensory, inter, motor; Cook et al. 2019), and
//! [`GABAERGIC`] the neurons whose chemical synapses are inhibitory.
//!
//! ```
//! use ganglion_data::connectome::{Connectome, CellClass, class_of};
//! let json = r#"{"nodes": ["AVAL", "AVAR", "VA5"],
//!   "connections": {"Generic_CS": [[0, 0, 7], [0, 0, 3], [0, 0, 0]],
//!                   "Generic_GJ": [[0, 2, 0], [2, 0, 0], [0, 0, 0]]}}"#;
//! let c = Connectome::from_json("toy", json).unwrap();
//! let s = c.stats();
//! assert_eq!((s.nodes, s.layers[0].kind, s.layers[0].pairs, s.layers[0].total), (3, "chemical", 2, 10.0));
//! assert_eq!(c.weight("electrical", "AVAL", "AVAR"), Some(2.0));
//! assert_eq!(class_of("AVAL"), Some(CellClass::Interneuron));
//! ```

use crate::DataError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A neuron's class in Cook et al. (2019).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CellClass {
    /// Sensory neuron.
    Sensory,
    /// Interneuron.
    Interneuron,
    /// Motor neuron.
    Motor,
    /// Pharyngeal polymodal neuron.
    Polymodal,
    /// Unknown function (CANL, CANR).
    Unknown,
}

/// The class of hermaphrodite neuron `name`, or `None` for a name that is not one of its 302
/// neurons (muscles, glia, male-specific cells).
pub fn class_of(name: &str) -> Option<CellClass> {
    neuron(name).map(|n| n.1)
}

/// Whether hermaphrodite neuron `name` belongs to the pharyngeal nervous system.
pub fn is_pharyngeal(name: &str) -> bool {
    neuron(name).is_some_and(|n| n.2)
}

/// The names of the hermaphrodite's 302 neurons, sorted.
pub fn neuron_names() -> impl Iterator<Item = &'static str> {
    crate::celegans_cells::HERMAPHRODITE_NEURONS
        .iter()
        .map(|n| n.0)
}

fn neuron(name: &str) -> Option<&'static (&'static str, CellClass, bool)> {
    let table = crate::celegans_cells::HERMAPHRODITE_NEURONS;
    table
        .binary_search_by(|n| n.0.cmp(name))
        .ok()
        .map(|i| &table[i])
}

/// The 26 GABAergic neurons of the hermaphrodite (McIntire et al. 1993, Nature 364:337;
/// Gendrel et al. 2016, eLife 5:e17686): ventral-cord DD and VD motor neurons, the RME head
/// motor neurons, AVL, DVB and RIS. Their chemical synapses are taken as inhibitory, all
/// others as excitatory (a simplification: some glutamatergic and cholinergic synapses act
/// through inhibitory receptors).
pub const GABAERGIC: &[&str] = &[
    "AVL", "DD1", "DD2", "DD3", "DD4", "DD5", "DD6", "DVB", "RIS", "RMED", "RMEL", "RMER", "RMEV",
    "VD1", "VD10", "VD11", "VD12", "VD13", "VD2", "VD3", "VD4", "VD5", "VD6", "VD7", "VD8", "VD9",
];

/// Number of canonical neuron slots: the hermaphrodite's 302 neurons less CANL and CANR,
/// which make no chemical synapses or gap junctions (Simeon et al. 2024, "Homogenized C. elegans
/// neural activity and connectivity data", arXiv:2411.12091: "the worm's 300 neurons").
pub const SLOTS: usize = 300;

/// The names of the [`SLOTS`] canonical neuron slots, sorted (slot `i` is `slot_names()[i]`).
pub fn slot_names() -> Vec<&'static str> {
    neuron_names()
        .filter(|n| class_of(n) != Some(CellClass::Unknown))
        .collect()
}

/// A connectome on the canonical slots (see [`Connectome::homogenized`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Homogenized {
    /// [`SLOTS`] nodes in slot order, every layer SLOTS × SLOTS.
    pub connectome: Connectome,
    /// Whether the dataset has slot `i`'s neuron.
    pub present: Vec<bool>,
}

/// One connection type: an N×N matrix, row = presynaptic, column = postsynaptic.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The type as named in the file (`Generic_CS`, `Generic_GJ`, `Acetylcholine`, …).
    pub name: String,
    /// `weights[pre * n + post]` (synapse counts or contact sizes, as the dataset gives them).
    pub weights: Vec<f64>,
}

/// A connectome: named nodes and one weight matrix per connection type.
#[derive(Debug, Clone, PartialEq)]
pub struct Connectome {
    /// Where it came from (the file's stem).
    pub name: String,
    /// Node names, in matrix order.
    pub nodes: Vec<String>,
    /// Connection types, in the file's order.
    pub layers: Vec<Layer>,
}

/// Per connection type: ordered pairs with a non-zero weight, and the summed weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerStats {
    /// `chemical`, `electrical`, or the type's name in the file.
    pub kind: &'static str,
    /// The type's name in the file.
    pub name: String,
    /// Ordered (pre, post) pairs with a non-zero weight (a symmetric gap junction counts twice).
    pub pairs: usize,
    /// Sum of all entries.
    pub total: f64,
}

/// Summary of a connectome (what `ganglion connectome stats` prints).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectomeStats {
    /// Number of nodes.
    pub nodes: usize,
    /// How many nodes are hermaphrodite neurons, by class.
    pub neurons: BTreeMap<CellClass, usize>,
    /// One entry per connection type.
    pub layers: Vec<LayerStats>,
}

/// `chemical` for the generic chemical-synapse type, `electrical` for gap junctions, else
/// `None` (a type named by transmitter, contact or extrasynaptic signal).
pub fn layer_kind(name: &str) -> Option<&'static str> {
    match name {
        "Generic_CS" | "Chemical" => Some("chemical"),
        "Generic_GJ" | "GapJunction" | "Electrical" => Some("electrical"),
        _ => None,
    }
}

#[derive(Deserialize)]
struct Raw {
    nodes: Vec<String>,
    connections: serde_json::Map<String, serde_json::Value>,
}

impl Connectome {
    /// Read a `cect` JSON file.
    pub fn load(path: &Path) -> Result<Connectome, DataError> {
        let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
            path: path.into(),
            source,
        })?;
        let name = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        Connectome::from_json(&name, &text).map_err(|msg| DataError::Format {
            path: path.into(),
            msg,
        })
    }

    /// Parse the JSON text of a connectome called `name`; the error says what is wrong.
    pub fn from_json(name: &str, text: &str) -> Result<Connectome, String> {
        let raw: Raw = serde_json::from_str(text).map_err(|e| {
            format!("not a connectome ({{\"nodes\": [...], \"connections\": {{...}}}}): {e}")
        })?;
        let n = raw.nodes.len();
        let mut seen = BTreeMap::new();
        for (i, node) in raw.nodes.iter().enumerate() {
            if let Some(j) = seen.insert(node.as_str(), i) {
                return Err(format!(
                    "node \"{node}\" appears twice (entries {j} and {i})"
                ));
            }
        }
        let mut layers = vec![];
        for (lname, value) in raw.connections {
            let rows: Vec<Vec<f64>> = serde_json::from_value(value)
                .map_err(|e| format!("connections \"{lname}\": not a matrix of numbers: {e}"))?;
            if rows.len() != n || rows.iter().any(|r| r.len() != n) {
                let shape: Vec<usize> = rows.iter().map(Vec::len).collect();
                let cols = shape.iter().copied().find(|&c| c != n).unwrap_or(n);
                return Err(format!(
                    "connections \"{lname}\" is {}×{cols}, but there are {n} nodes",
                    rows.len()
                ));
            }
            let weights: Vec<f64> = rows.into_iter().flatten().collect();
            // Synapse and junction counts are non-negative; other types (the functional atlas's
            // signal-propagation amplitudes) may be signed.
            let counts = layer_kind(&lname).is_some();
            if let Some(k) = weights
                .iter()
                .position(|w| !w.is_finite() || (counts && *w < 0.0))
            {
                let (pre, post) = (&raw.nodes[k / n], &raw.nodes[k % n]);
                let what = if counts {
                    "non-negative number"
                } else {
                    "finite number"
                };
                return Err(format!(
                    "connections \"{lname}\" {pre} → {post}: weight {} is not a {what}",
                    weights[k]
                ));
            }
            layers.push(Layer {
                name: lname,
                weights,
            });
        }
        Ok(Connectome {
            name: name.into(),
            nodes: raw.nodes,
            layers,
        })
    }

    /// Index of node `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n == name)
    }

    /// The connection type called `kind` (`chemical`, `electrical`) or named so in the file.
    pub fn layer(&self, kind: &str) -> Option<&Layer> {
        self.layers
            .iter()
            .find(|l| l.name == kind || layer_kind(&l.name) == Some(kind))
    }

    /// The weight `pre → post` in connection type `kind`.
    pub fn weight(&self, kind: &str, pre: &str, post: &str) -> Option<f64> {
        let (i, j) = (self.index(pre)?, self.index(post)?);
        Some(self.layer(kind)?.weights[i * self.nodes.len() + j])
    }

    /// The non-zero entries of `layer` as (pre, post, weight), row by row.
    pub fn edges(&self, layer: &Layer) -> Vec<(usize, usize, f64)> {
        let n = self.nodes.len();
        let nz = layer.weights.iter().enumerate().filter(|(_, w)| **w != 0.0);
        nz.map(|(k, &w)| (k / n, k % n, w)).collect()
    }

    /// The connectome restricted to the hermaphrodite's neurons (muscles, glia and other cells
    /// dropped), optionally without the pharyngeal ones, in the file's order.
    pub fn neurons_only(&self, pharynx: bool) -> Connectome {
        let keep: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| {
                let name = &self.nodes[i];
                class_of(name).is_some() && (pharynx || !is_pharyngeal(name))
            })
            .collect();
        let n = self.nodes.len();
        Connectome {
            name: self.name.clone(),
            nodes: keep.iter().map(|&i| self.nodes[i].clone()).collect(),
            layers: self
                .layers
                .iter()
                .map(|l| Layer {
                    name: l.name.clone(),
                    weights: keep
                        .iter()
                        .flat_map(|&i| keep.iter().map(move |&j| l.weights[i * n + j]))
                        .collect(),
                })
                .collect(),
        }
    }

    /// The connectome on the [`SLOTS`] canonical neuron slots ([`slot_names`]): every layer
    /// as a 300 × 300 matrix in slot order, zero rows and columns for neurons the dataset
    /// lacks, and the mask of those it has. Cells that are not slot neurons (muscles, glia,
    /// CANL/CANR, male-specific cells) are dropped with their connections (Simeon et al. 2024).
    pub fn homogenized(&self) -> Homogenized {
        let slots = slot_names();
        let at: Vec<Option<usize>> = self
            .nodes
            .iter()
            .map(|name| slots.binary_search(&name.as_str()).ok())
            .collect();
        let mut present = vec![false; SLOTS];
        at.iter().flatten().for_each(|&s| present[s] = true);
        let n = self.nodes.len();
        let layers = self
            .layers
            .iter()
            .map(|l| {
                let mut weights = vec![0.0; SLOTS * SLOTS];
                for (i, si) in at.iter().enumerate() {
                    let Some(si) = si else { continue };
                    for (j, sj) in at.iter().enumerate() {
                        if let Some(sj) = sj {
                            weights[si * SLOTS + sj] = l.weights[i * n + j];
                        }
                    }
                }
                Layer {
                    name: l.name.clone(),
                    weights,
                }
            })
            .collect();
        Homogenized {
            connectome: Connectome {
                name: self.name.clone(),
                nodes: slots.iter().map(|s| s.to_string()).collect(),
                layers,
            },
            present,
        }
    }

    /// Nodes, neurons by class, and per connection type its pairs and summed weight.
    pub fn stats(&self) -> ConnectomeStats {
        let mut neurons = BTreeMap::new();
        for c in self.nodes.iter().filter_map(|n| class_of(n)) {
            *neurons.entry(c).or_insert(0) += 1;
        }
        ConnectomeStats {
            nodes: self.nodes.len(),
            neurons,
            layers: self
                .layers
                .iter()
                .map(|l| LayerStats {
                    kind: layer_kind(&l.name).unwrap_or("other"),
                    name: l.name.clone(),
                    pairs: l.weights.iter().filter(|w| **w != 0.0).count(),
                    total: l.weights.iter().sum(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_class_table_holds_the_302_neurons_sorted() {
        let t = crate::celegans_cells::HERMAPHRODITE_NEURONS;
        assert_eq!(t.len(), 302);
        assert!(t.windows(2).all(|w| w[0].0 < w[1].0));
        let count = |c| t.iter().filter(|n| n.1 == c).count();
        // Cook et al. (2019): 83 sensory, 89 inter (incl. pharyngeal), 123 motor, 5 polymodal,
        // 2 unknown.
        let counts = [CellClass::Sensory, CellClass::Interneuron, CellClass::Motor];
        assert_eq!(counts.map(count), [83, 89, 123]);
        assert_eq!(t.iter().filter(|n| n.2).count(), 20, "pharyngeal neurons");
        assert!(
            GABAERGIC.iter().all(|n| class_of(n).is_some()),
            "{GABAERGIC:?}"
        );
        assert_eq!(GABAERGIC.len(), 26);
    }

    #[test]
    fn bad_files_name_what_is_wrong() {
        let e = Connectome::from_json("x", r#"{"nodes": ["A", "A"], "connections": {}}"#);
        assert!(e.unwrap_err().contains("node \"A\" appears twice"));
        let e = Connectome::from_json(
            "x",
            r#"{"nodes": ["A", "B"], "connections": {"Generic_CS": [[0, 1]]}}"#,
        );
        assert!(
            e.unwrap_err()
                .contains("\"Generic_CS\" is 1×2, but there are 2 nodes")
        );
        let e = Connectome::from_json(
            "x",
            r#"{"nodes": ["A", "B"], "connections": {"Generic_CS": [[0, -1], [0, 0]]}}"#,
        );
        let e = e.unwrap_err();
        assert!(
            e.contains("A → B: weight -1 is not a non-negative number"),
            "{e}"
        );
        let e = Connectome::from_json("x", "[1, 2]").unwrap_err();
        assert!(e.contains("not a connectome"), "{e}");
    }

    #[test]
    fn functional_layers_may_be_signed_but_counts_may_not() {
        let json =
            r#"{"nodes": ["AVAL", "AVAR"], "connections": {"Functional": [[0, -0.5], [1, 0]]}}"#;
        let c = Connectome::from_json("f", json).unwrap();
        assert_eq!(c.weight("Functional", "AVAL", "AVAR"), Some(-0.5));
    }

    #[test]
    fn homogenized_puts_neurons_on_the_300_slots() {
        let slots = slot_names();
        assert_eq!(slots.len(), SLOTS);
        assert!(!slots.contains(&"CANL") && slots.windows(2).all(|w| w[0] < w[1]));
        let json = r#"{"nodes": ["VA5", "MDL01", "AVAL", "CANL"],
          "connections": {"Generic_CS": [[0, 0, 2, 0], [0, 0, 0, 0], [7, 5, 0, 1], [0, 0, 0, 0]],
                          "Generic_GJ": [[0, 0, 3, 0], [0, 0, 0, 0], [3, 0, 0, 0], [0, 0, 0, 0]]}}"#;
        let h = Connectome::from_json("t", json).unwrap().homogenized();
        let c = &h.connectome;
        assert_eq!(c.nodes.len(), SLOTS);
        assert_eq!(h.present.iter().filter(|p| **p).count(), 2);
        assert!(h.present[slots.binary_search(&"AVAL").unwrap()]);
        assert_eq!(c.weight("chemical", "AVAL", "VA5"), Some(7.0));
        assert_eq!(c.weight("chemical", "VA5", "AVAL"), Some(2.0));
        assert_eq!(c.weight("electrical", "VA5", "AVAL"), Some(3.0));
        // The muscle and CANL are dropped with their connections; the rest is kept exactly.
        let total = |l: &Layer| l.weights.iter().sum::<f64>();
        assert_eq!(c.layers.iter().map(total).collect::<Vec<_>>(), [9.0, 6.0]);
        assert_eq!(c.weight("chemical", "DD1", "AVAL"), Some(0.0));
    }

    #[test]
    fn neurons_only_drops_other_cells_and_keeps_weights() {
        let json = r#"{"nodes": ["MDL01", "AVAL", "M1", "VA5"],
          "connections": {"Generic_CS": [[0, 0, 0, 0], [9, 0, 1, 7], [0, 0, 0, 0], [0, 0, 0, 0]]}}"#;
        let c = Connectome::from_json("t", json).unwrap();
        let all = c.neurons_only(true);
        assert_eq!(all.nodes, ["AVAL", "M1", "VA5"]);
        assert_eq!(all.weight("chemical", "AVAL", "VA5"), Some(7.0));
        let somatic = c.neurons_only(false);
        assert_eq!(somatic.nodes, ["AVAL", "VA5"]);
        assert_eq!(somatic.edges(&somatic.layers[0]), vec![(0, 1, 7.0)]);
    }
}
