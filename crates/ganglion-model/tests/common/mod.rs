//! Helpers shared by the validation tests: a good spec to perturb, validation of a spec
//! written to a temporary folder with its files, and message assertions.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test file uses a part

use ganglion_model::*;
use std::path::Path;

/// A valid two-population spec that tests perturb.
pub const GOOD: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "100 ms"

[[population]]
name = "exc"
size = 80
model = "iaf_psc_exp"
sign = "excitatory"
params = { tau_m = "20 ms", V_th = "-50 mV" }

[[population]]
name = "inh"
size = 20
model = "iaf_psc_exp"
sign = "inhibitory"

[[projection]]
source = "exc"
target = "inh"
connectivity = { rule = "fixed_probability", p = 0.1 }
weight = "20 pA"
delay = "1 ms"

[[monitor]]
kind = "spikes"
population = "exc"
"#;

/// The units of an edge list's weight and delay columns, as [`edge_spec`] appends them.
pub const PA_MS: &str = ", weight_unit = \"pA\", delay_unit = \"ms\"";

/// GOOD with the projection's connectivity an edge list from `file`, with `units` (such as
/// [`PA_MS`]) appended to it.
pub fn edge_spec(file: &str, units: &str) -> String {
    GOOD.replace(
        "{ rule = \"fixed_probability\", p = 0.1 }",
        &format!("{{ rule = \"edge_list\", file = \"{file}\"{units} }}"),
    )
}

/// Write `spec` as `spec.toml` next to `files` in a temporary folder and validate it.
pub fn validate_files<B: AsRef<[u8]>>(
    spec: &str,
    files: &[(&str, B)],
) -> Result<Resolved, ModelError> {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let path = dir.path().join("spec.toml");
    std::fs::write(&path, spec).unwrap();
    load_and_validate(&path)
}

/// The error of `spec` written with `files` (panics if it is accepted).
pub fn error_files<B: AsRef<[u8]>>(spec: &str, files: &[(&str, B)]) -> String {
    match validate_files(spec, files) {
        Ok(_) => panic!("spec was accepted:\n{spec}"),
        Err(e) => e.to_string(),
    }
}

/// The error of `text` validated in memory as if read from `bad.toml`.
pub fn error_of(text: &str) -> String {
    let path = Path::new("bad.toml");
    match parse_str(text, path) {
        Err(e) => e.to_string(),
        Ok(c) => {
            let src = Source {
                file: Some(path.into()),
                map: SourceMap::new(text),
            };
            match validate(&c, &src) {
                Ok(_) => panic!("spec was accepted:\n{text}"),
                Err(e) => e.to_string(),
            }
        }
    }
}

/// `spec.toml:N`, N the first line of `spec` that contains `needle`.
pub fn at(spec: &str, needle: &str) -> String {
    let n = spec.lines().position(|l| l.contains(needle)).unwrap();
    format!("spec.toml:{}", n + 1)
}

/// Every part appears in the message.
pub fn assert_all(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "expected {p:?} in:\n{msg}");
    }
}

/// The error of `spec` written alone as `spec.toml` (panics if it is accepted).
pub fn error_in_file(spec: &str) -> String {
    error_files::<&[u8]>(spec, &[])
}
