//! `what-when-reservoir` in quick mode: passes its checks, writes a complete output directory,
//! and its tables cover every seed, experiment and readout with sane values.

mod common;

use common::{check, run_quick};

#[test]
fn what_when_reservoir_quick() {
    let (outcome, metrics) = run_quick("what-when-reservoir", &["profiles", "errors", "amplitude"]);
    let rows = metrics["tables"]["summary"]
        .as_array()
        .expect("summary table");
    // 4 seeds × 2 experiments × 3 readouts.
    assert_eq!(rows.len(), 4 * 2 * 3);
    for r in rows {
        for k in ["error_before", "error_after"] {
            let v = r[k].as_f64().expect(k);
            assert!(v.is_finite() && v > 0.0 && v < 1.0, "{k}: {r}");
        }
        let amps = r["amplitude"].as_array().expect("amplitude");
        assert_eq!(amps.len(), 2);
        // FORCE's δ = E‖x‖² σ_n²/σ_s²: E‖x‖² ≈ 2 · 150 standardised features + the bias (a
        // little more in the attended bins, where the cues raise the rates), and
        // σ_n²/σ_s² ≈ 0.6 for p = (0.8, 0.4) and the σ = 25 ms bump (by hand: noise
        // Σ_c ½ p_c(1 − p_c)·⟨bump²⟩, signal Σ_c Var(p_c · bump · [cue = c])).
        let per_feature = r["force_delta"].as_f64().expect("force_delta") / 301.0;
        assert!((0.3..1.2).contains(&per_feature), "δ / 301: {r}");
        let t = r["readapt_trials"].as_f64().expect("readapt_trials");
        assert!((0.0..=60.0).contains(&t), "{r}");
    }
    // Every seed's reservoir fired irregularly and answered the cues.
    let act = metrics["tables"]["activity"].as_array().expect("activity");
    assert_eq!(act.len(), 4);
    for a in act {
        let re = a["rate_exc_hz"].as_f64().expect("rate");
        assert!(re > 0.1 && re < 50.0, "{a}");
        assert!(a["cue_gain"].as_f64().expect("gain") > 5.0, "{a}");
    }
    // The timing change moves the three-factor peak from 60 ms to 120 ms; FORCE without
    // reset stays nearer 60 ms.
    assert!((check(&outcome, "timing_three_factor_peak_ms_after").value - 120.0).abs() <= 30.0);
    assert!(check(&outcome, "timing_force_no_reset_peak_ms_after").value <= 90.0);
    assert!(check(&outcome, "three_factor_amplitude_per_unit_probability").value >= 0.2);
}
