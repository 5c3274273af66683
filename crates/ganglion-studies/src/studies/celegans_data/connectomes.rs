//! The connectome half of `celegans-data`: every dataset on the 300 canonical slots, its
//! coverage and size, and how much the datasets agree.

use std::path::Path;

use ganglion_data::connectome::{CellClass, Connectome, Homogenized, SLOTS, class_of};
use serde::Serialize;

use super::study_err;
use crate::StudyError;

/// `(file in data/cect, label, Witvliet et al. 2021 developmental stage)`: the EM
/// reconstructions of White et al. 1986 (cect's whole-animal `White_whole` file, which carries
/// Varshney et al.'s revision: the two differ in 6 of the entries between shared neurons), its
/// revision by Varshney et al. 2011, Cook et al. 2019's re-annotation of White's series,
/// Witvliet et al. 2021's eight animals from birth to adulthood, and Randi et al. 2023's
/// signal-propagation (functional) atlas — the connectome sources of Simeon et al. 2024.
pub(super) const DATASETS: [(&str, &str, Option<u32>); 12] = [
    ("White_whole.json", "White 1986 (cect)", None),
    ("VarshneyDataReader.json", "Varshney 2011", None),
    ("Cook2019HermReader.json", "Cook 2019", None),
    ("WitvlietDataReader1.json", "Witvliet 2021 #1", Some(1)),
    ("WitvlietDataReader2.json", "Witvliet 2021 #2", Some(2)),
    ("WitvlietDataReader3.json", "Witvliet 2021 #3", Some(3)),
    ("WitvlietDataReader4.json", "Witvliet 2021 #4", Some(4)),
    ("WitvlietDataReader5.json", "Witvliet 2021 #5", Some(5)),
    ("WitvlietDataReader6.json", "Witvliet 2021 #6", Some(6)),
    ("WitvlietDataReader7.json", "Witvliet 2021 #7", Some(7)),
    ("WitvlietDataReader8.json", "Witvliet 2021 #8", Some(8)),
    (
        "WormNeuroAtlasFuncReader.json",
        "Randi 2023 (functional)",
        None,
    ),
];

/// One dataset on the slots.
#[derive(Debug, Clone, Serialize)]
pub(super) struct DatasetRow {
    pub dataset: &'static str,
    pub stage: Option<u32>,
    /// Nodes in the file, and how many of them are not slot neurons (muscles, glia, CANL/R…).
    pub nodes: usize,
    pub dropped: usize,
    /// Slots the dataset has, and those with at least one connection of any type.
    pub slots_present: usize,
    pub slots_connected: usize,
    /// Ordered pairs with chemical synapses and their synapse count.
    pub chemical_pairs: usize,
    pub chemical_synapses: f64,
    /// Unordered pairs with gap junctions and their junction count.
    pub gap_pairs: usize,
    pub gap_junctions: f64,
    /// Ordered pairs with a non-zero functional (signal-propagation) amplitude.
    pub functional_pairs: usize,
    /// Largest |summed weight between slot neurons before − after homogenising| over layers.
    pub kept_weight_error: f64,
}

/// A loaded dataset.
pub(super) struct Dataset {
    pub row: DatasetRow,
    pub slots: Homogenized,
}

/// Agreement of two datasets over the slots both have.
#[derive(Debug, Clone, Serialize)]
pub(super) struct PairRow {
    pub a: &'static str,
    pub b: &'static str,
    pub common_slots: usize,
    /// |A ∩ B| / |A ∪ B| of the connected pairs among the common slots.
    pub chemical_jaccard: f64,
    pub gap_jaccard: f64,
}

fn is_slot(name: &str) -> bool {
    class_of(name).is_some_and(|c| c != CellClass::Unknown)
}

/// Loads and homogenises every dataset of [`DATASETS`] from `dir`.
pub(super) fn load(dir: &Path) -> Result<Vec<Dataset>, StudyError> {
    DATASETS
        .iter()
        .map(|&(file, label, stage)| {
            let conn = Connectome::load(&dir.join(file)).map_err(|e| study_err(e.to_string()))?;
            let slots = conn.homogenized();
            let row = describe(label, stage, &conn, &slots);
            Ok(Dataset { row, slots })
        })
        .collect()
}

fn describe(
    label: &'static str,
    stage: Option<u32>,
    conn: &Connectome,
    h: &Homogenized,
) -> DatasetRow {
    let n = conn.nodes.len();
    let keep: Vec<bool> = conn.nodes.iter().map(|s| is_slot(s)).collect();
    // The weight between slot neurons, summed in the file's own order (independently of the
    // homogenised matrices it is compared with).
    let kept_weight_error = conn
        .layers
        .iter()
        .zip(&h.connectome.layers)
        .map(|(raw, slotted)| {
            let before: f64 = (0..n * n)
                .filter(|k| keep[k / n] && keep[k % n])
                .map(|k| raw.weights[k])
                .sum();
            (before - slotted.weights.iter().sum::<f64>()).abs()
        })
        .fold(0.0, f64::max);
    let c = &h.connectome;
    let nonzero = |kind: &str| {
        c.layer(kind)
            .map(|l| l.weights.iter().filter(|w| **w != 0.0).count())
    };
    let total = |kind: &str| c.layer(kind).map_or(0.0, |l| l.weights.iter().sum::<f64>());
    let connected = (0..SLOTS)
        .filter(|&i| {
            c.layers.iter().any(|l| {
                (0..SLOTS)
                    .any(|j| l.weights[i * SLOTS + j] != 0.0 || l.weights[j * SLOTS + i] != 0.0)
            })
        })
        .count();
    DatasetRow {
        dataset: label,
        stage,
        nodes: n,
        dropped: keep.iter().filter(|k| !**k).count(),
        slots_present: h.present.iter().filter(|p| **p).count(),
        slots_connected: connected,
        chemical_pairs: nonzero("chemical").unwrap_or(0),
        chemical_synapses: total("chemical"),
        // A symmetric matrix holds each junction twice.
        gap_pairs: nonzero("electrical").unwrap_or(0) / 2,
        gap_junctions: total("electrical") / 2.0,
        functional_pairs: nonzero("Functional").unwrap_or(0),
        kept_weight_error,
    }
}

/// Jaccard similarity of the connected pairs of layer `kind` of `a` and `b`, over the slots
/// both datasets have (NaN when neither has a connection there).
fn jaccard(a: &Homogenized, b: &Homogenized, kind: &str, undirected: bool) -> f64 {
    let (Some(la), Some(lb)) = (a.connectome.layer(kind), b.connectome.layer(kind)) else {
        return f64::NAN;
    };
    let common: Vec<usize> = (0..SLOTS)
        .filter(|&i| a.present[i] && b.present[i])
        .collect();
    let (mut both, mut either) = (0usize, 0usize);
    for &i in &common {
        for &j in &common {
            if i == j || (undirected && j < i) {
                continue;
            }
            let (x, y) = (
                la.weights[i * SLOTS + j] > 0.0,
                lb.weights[i * SLOTS + j] > 0.0,
            );
            both += usize::from(x && y);
            either += usize::from(x || y);
        }
    }
    both as f64 / either as f64
}

/// Agreement of every pair of anatomical datasets (the functional atlas has no synapses).
pub(super) fn pairs(sets: &[Dataset]) -> Vec<PairRow> {
    let anatomical: Vec<&Dataset> = sets
        .iter()
        .filter(|d| d.row.functional_pairs == 0)
        .collect();
    let mut rows = vec![];
    for (k, a) in anatomical.iter().enumerate() {
        for b in &anatomical[k + 1..] {
            rows.push(PairRow {
                a: a.row.dataset,
                b: b.row.dataset,
                common_slots: (0..SLOTS)
                    .filter(|&i| a.slots.present[i] && b.slots.present[i])
                    .count(),
                chemical_jaccard: jaccard(&a.slots, &b.slots, "chemical", false),
                gap_jaccard: jaccard(&a.slots, &b.slots, "electrical", true),
            });
        }
    }
    rows
}

/// The row comparing datasets `a` and `b` (in either order).
pub(super) fn pair<'a>(rows: &'a [PairRow], a: &str, b: &str) -> Option<&'a PairRow> {
    rows.iter()
        .find(|r| (r.a == a && r.b == b) || (r.a == b && r.b == a))
}

/// Spearman rank correlation (no ties expected: synapse counts of different animals).
pub(super) fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let rank = |v: &[f64]| {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        order.iter().enumerate().for_each(|(k, &i)| r[i] = k as f64);
        r
    };
    ganglion_analysis::encoding::pearson(&rank(x), &rank(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaccard_counts_pairs_over_common_slots() {
        let json = |w: &str| {
            format!(
                r#"{{"nodes": ["AVAL", "AVAR", "AVBL"], "connections": {{"Generic_CS": {w}}}}}"#
            )
        };
        let a = Connectome::from_json("a", &json("[[0,1,1],[0,0,0],[0,0,0]]")).unwrap();
        let b = Connectome::from_json("b", &json("[[0,1,0],[1,0,0],[0,0,0]]")).unwrap();
        let (a, b) = (a.homogenized(), b.homogenized());
        // Shared AVAL→AVAR; AVAL→AVBL only in a, AVAR→AVAL only in b.
        assert!((jaccard(&a, &b, "chemical", false) - 1.0 / 3.0).abs() < 1e-12);
        assert!(jaccard(&a, &b, "electrical", true).is_nan());
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 30.0, 20.0]) - 0.5).abs() < 1e-12);
    }
}
