//! Quick run of the `circuit-diagram` study.

mod common;
use common::{check, run_quick};

#[test]
fn circuit_diagram_quick() {
    let (outcome, metrics) = run_quick("circuit-diagram", &[]);
    // cuba (2 populations, 4 projections), relay (6, 7), synthetic IOI (12 units, 16 paths).
    let d = metrics["tables"]["diagrams"].as_array().expect("diagrams");
    assert_eq!(d.len(), 3);
    let get = |i: usize, k: &str| d[i][k].as_u64().unwrap();
    assert_eq!((get(0, "nodes"), get(0, "edges")), (2, 4));
    assert_eq!((get(1, "nodes"), get(1, "edges")), (6, 7));
    assert_eq!(get(2, "edges"), 16);
    // The relay's input order crosses twice; the barycentre layout removes both.
    assert_eq!(get(1, "crossings_input"), 2);
    assert_eq!(check(&outcome, "relay_crossings_barycentre").value, 0.0);
    assert_eq!(check(&outcome, "spec_populations_drawn").value, 8.0);
    assert_eq!(
        check(&outcome, "inhibitory_projections_negative").value,
        5.0
    );
    assert_eq!(check(&outcome, "svg_unbalanced").value, 0.0);
}
