//! The real connectomes, when `scripts/fetch-data.sh cect` has fetched them (skipped
//! otherwise, with a note). Expected counts are the `cect` package's own summaries of each
//! file ("N non-zero entries, sum of entries = S").
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_data::connectome::{CellClass, Connectome};
use std::path::Path;

fn fetched(file: &str) -> Option<Connectome> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/cect")
        .join(file);
    if !path.is_file() {
        eprintln!("skipped: data/cect/{file} not fetched (scripts/fetch-data.sh cect)");
        return None;
    }
    Some(Connectome::load(&path).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn real_connectomes_match_their_published_summaries_if_present() {
    // (file, nodes, chemical pairs, chemical sum, electrical pairs, electrical sum)
    let expected = [
        ("Cook2019HermReader.json", 473, 4879, 28113.0, 2883, 23313.0),
        ("VarshneyDataReader.json", 281, 2309, 7804.0, 1031, 1777.0),
        ("White_whole.json", 309, 2386, 7943.0, 1144, 1928.0),
    ];
    for (file, nodes, cp, cs, ep, es) in expected {
        let Some(c) = fetched(file) else {
            return;
        };
        let s = c.stats();
        assert_eq!(s.nodes, nodes, "{file}");
        let by = |kind: &str| {
            let l = s.layers.iter().find(|l| l.kind == kind).unwrap();
            (l.pairs, l.total)
        };
        assert_eq!(by("chemical"), (cp, cs), "{file}");
        assert_eq!(by("electrical"), (ep, es), "{file}");
        // Gap junctions are stored both ways.
        let gj = c.layer("electrical").unwrap();
        let n = c.nodes.len();
        assert!((0..n * n).all(|k| gj.weights[k] == gj.weights[(k % n) * n + k / n]));
    }
}

#[test]
fn the_touch_circuit_is_where_the_literature_puts_it_if_present() {
    // Chalfie et al. (1985): posterior touch cells PLM couple to PVC by gap junctions, PVC
    // synapses onto the forward command interneuron AVB; AVD synapses onto the backward
    // command interneuron AVA, which drives the A-type motor neurons.
    let Some(c) = fetched("Cook2019HermReader.json") else {
        return;
    };
    assert!(c.weight("electrical", "PLMR", "PVCR").unwrap() > 0.0);
    assert!(c.weight("chemical", "PVCL", "AVBL").unwrap() > 0.0);
    assert!(c.weight("chemical", "AVDL", "AVAL").unwrap() > 10.0);
    assert!(c.weight("chemical", "AVAL", "DA5").unwrap() > 0.0);
    let neurons = c.neurons_only(true);
    let s = neurons.stats();
    assert_eq!(
        s.nodes, 302,
        "all 302 neurons are in Cook 2019's hermaphrodite"
    );
    assert_eq!(s.neurons[&CellClass::Sensory], 83);
}
