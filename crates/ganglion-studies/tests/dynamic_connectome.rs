//! The `dynamic-connectome` study in quick mode: planted dynamic communities recovered by
//! affinities → NTF → SBM, and the LFR NMI curve.

mod common;

use common::{check, run_quick};

#[test]
fn dynamic_connectome_quick() {
    let (outcome, metrics) = run_quick("dynamic-connectome", &["temporal_factors", "lfr_nmi"]);
    // Every planted motif is recovered exactly from its NTF factor, and the static control
    // recovers none of them as well.
    let motifs = metrics["tables"]["motifs"]
        .as_array()
        .expect("motifs table");
    assert_eq!(motifs.len(), 3);
    let mut factors = vec![];
    for m in motifs {
        assert_eq!(m["nmi"].as_f64(), Some(1.0), "{m}");
        assert_eq!(m["found_communities"], m["planted_communities"]);
        assert!(m["static_nmi"].as_f64().unwrap() < 0.5);
        assert!(m["time_cosine"].as_f64().unwrap() > 0.95);
        assert_eq!(m["planted_time"].as_array().unwrap().len(), 12);
        factors.push(m["factor"].as_u64().unwrap());
    }
    factors.sort_unstable();
    factors.dedup();
    assert_eq!(factors.len(), 3, "three distinct NTF factors matched");
    assert!(check(&outcome, "min_nmi_planted_motifs").value >= 0.85);
    assert!(check(&outcome, "ntf_largest_error_rise").value <= 1e-12);
    // LFR: the sweep (5 μ values) and the paper's three settings; NMI high at μ = 0.1,
    // collapsed at μ = 0.8; realised μ close to the target.
    let lfr = metrics["tables"]["lfr"].as_array().expect("lfr table");
    assert_eq!(lfr.len(), 8);
    let nmi_at = |mu: f64| {
        lfr.iter()
            .find(|r| r["setting"] == "sweep" && (r["mu"].as_f64().unwrap() - mu).abs() < 1e-9)
            .map(|r| r["nmi"].as_f64().unwrap())
            .unwrap()
    };
    assert!(nmi_at(0.1) > 0.9);
    assert!(nmi_at(0.8) < 0.3);
    for r in lfr.iter().filter(|r| r["setting"] == "sweep") {
        let (mu, real) = (
            r["mu"].as_f64().unwrap(),
            r["realised_mu"].as_f64().unwrap(),
        );
        assert!((mu - real).abs() < 0.03, "{r}");
    }
    assert!(check(&outcome, "lfr_nmi_low_mixing").value >= 0.9);
}
