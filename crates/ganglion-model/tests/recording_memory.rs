//! The memory estimate counts recordings and the run's length, so that a run whose
//! recordings cannot fit is refused before it starts (reliability issue, class 2).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_model::*;
use std::path::Path;

fn validate_text(text: &str) -> Result<Resolved, String> {
    let path = Path::new("mem.toml");
    let c = parse_str(text, path).map_err(|e| e.to_string())?;
    validate(&c, &Source::default()).map_err(|e| e.to_string())
}

const HEAD: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "DURATION"
memory_limit = "2 GiB"

[[population]]
name = "big"
size = 100000
model = "iaf_psc_exp"
"#;

#[test]
fn a_state_monitor_of_a_long_run_is_refused_before_running() {
    // 3 variables × 100,000 neurons every 0.1 ms for 100 s: 3e11 values.
    let spec = HEAD.replace("DURATION", "100 s")
        + r#"
[[monitor]]
kind = "state"
population = "big"
variables = ["V_m", "I_syn_ex", "I_syn_in"]
NEURONS
every = "0.1 ms"
"#;
    let spec = spec.replace("NEURONS", &neurons_all());
    let e = validate_text(&spec).unwrap_err();
    assert!(e.contains("GiB of recordings"), "{e}");
    assert!(e.contains("record fewer neurons"), "{e}");
    // The same monitor over 1 ms fits.
    let short = spec.replace("100 s", "1 ms");
    let r = validate_text(&short).unwrap();
    assert!(r.memory.peak_bytes < 2.0 * 1024f64.powi(3));
}

/// `neurons = [0, 1, …, 99999]` as an inline list.
fn neurons_all() -> String {
    let list: Vec<String> = (0..100_000).map(|i| i.to_string()).collect();
    format!("neurons = [{}]", list.join(", "))
}

#[test]
fn spikes_of_a_million_fast_poisson_sources_are_counted_at_their_rate() {
    let spec = r#"
[simulation]
dt = "0.1 ms"
duration = "100 s"
memory_limit = "4 GiB"

[[population]]
name = "src"
size = 1000000
model = "poisson_source"
params = { rate = "1 kHz" }

[[monitor]]
kind = "spikes"
population = "src"
"#;
    // 1e6 × 1000 Hz × 100 s = 1e11 spikes.
    let e = validate_text(spec).unwrap_err();
    assert!(e.contains("GiB of recordings"), "{e}");
    // At 1 Hz for 1 s the recording is small and the estimate says so.
    let ok = spec.replace("1 kHz", "1 Hz").replace("100 s", "1 s");
    let r = validate_text(&ok).unwrap();
    let spikes_bytes = 1e6 * 1.0 * 1.0 * memory::RECORDED_SPIKE_BYTES as f64;
    assert!(
        r.memory.peak_bytes >= spikes_bytes,
        "{}",
        r.memory.peak_bytes
    );
}

#[test]
fn recording_bytes_follow_the_run_length_exactly_for_states() {
    let spec = HEAD.replace("DURATION", "10 ms").replace("100000", "10")
        + r#"
[[monitor]]
kind = "state"
population = "big"
variables = ["V_m"]
neurons = [0, 1, 2, 3]
every = "1 ms"
"#;
    let r = validate_text(&spec).unwrap();
    let m = &r.monitors[0];
    let bytes = memory::recording_bytes(m, &r.populations, r.steps, r.dt);
    assert_eq!(bytes, 10.0 * 4.0 * memory::RECORDED_VALUE_BYTES as f64);
}
