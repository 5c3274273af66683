//! # ganglion-py
//!
//! The `ganglion` Python package: PyO3 bindings built by maturin into an abi3 wheel
//! (CPython ≥ 3.9). It loads, validates and runs specs through the same library calls as
//! the `ganglion` command (`ganglion_model::load`, `validate_with`, `ganglion_sim::Network`),
//! so a spec and seed give the same spikes from Python as from `ganglion run`.
//!
//! Layout: `src/` holds the extension module `ganglion._ganglion` (compiled only with the
//! `python` feature, which maturin turns on; without it this crate is just the Python-free
//! helpers below, so `cargo build --workspace` compiles no PyO3); `python/ganglion/` holds the
//! pure-Python package (re-exports, type stubs `_ganglion.pyi`, `py.typed`); `tests/` the
//! pytest suite. Install with `pip install ./crates/ganglion-py` (or `maturin develop` in
//! that folder inside a virtual environment); `scripts/python-test.sh` does both and runs
//! the tests.
//!
//! The engine has no cancellation hook, so a run is made of chunks
//! ([`ganglion_sim::Network::run_until`], which continues bit for bit) with the GIL released
//! during each; between chunks the interpreter's signal handlers run, and Ctrl-C raises
//! `KeyboardInterrupt` within about [`CHUNK_TARGET_S`] seconds.

#[cfg(feature = "python")]
mod bindings;
#[cfg(feature = "python")]
mod convert;
#[cfg(feature = "python")]
mod entry;

/// Wall-clock seconds that one chunk of a run aims at: how late Ctrl-C may be answered.
pub const CHUNK_TARGET_S: f64 = 0.1;

/// Steps of the first chunk of a run, before any timing is known.
pub const FIRST_CHUNK_STEPS: u64 = 64;

/// Steps of the next chunk, given that the last one ran `steps` steps in `secs` seconds:
/// scaled towards [`CHUNK_TARGET_S`], growing at most 8-fold per chunk (the first chunks are
/// noisy), never below one step.
pub fn next_chunk(steps: u64, secs: f64) -> u64 {
    let steps = steps.max(1);
    let grown = steps.saturating_mul(8);
    if !(secs > 0.0) || !secs.is_finite() {
        return grown;
    }
    let scaled = (steps as f64 * CHUNK_TARGET_S / secs).round();
    if scaled >= grown as f64 {
        grown
    } else {
        (scaled as u64).max(1)
    }
}

/// The Python keyword that replaced a `ganglion run` flag in a validation message: the
/// engine's validation names overrides by their command-line flag (`--duration`), which
/// from Python is the keyword argument (`duration=`).
pub fn flag_to_keyword(object: &str) -> String {
    for (flag, kw) in [
        ("--duration", "duration="),
        ("--threads", "threads="),
        ("--seed", "seed="),
    ] {
        if let Some(rest) = object.strip_prefix(flag) {
            return format!("{kw}{}", rest.trim_start());
        }
    }
    object.to_string()
}

/// The key that line `line` (1-based) of TOML text written by `toml::to_string` sets, as a
/// path such as `population[1].params.tau_m`; the table's path when the line is a header;
/// empty when the line is out of range. Used to name the key of a type error in a spec given
/// as a Python dict (which is written to TOML text and parsed like a spec file).
pub fn key_at_line(text: &str, line: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if line == 0 || line > lines.len() {
        return String::new();
    }
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    // (array-of-tables name, its path with index) of the last `[[x]]` header.
    let mut array: Option<(String, String)> = None;
    let mut table = String::new();
    for l in &lines[..line] {
        let t = l.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")) {
            let name = name.trim().to_string();
            let n = counts.entry(name.clone()).or_insert(0);
            let path = match array
                .as_ref()
                .filter(|(a, _)| name.starts_with(&format!("{a}.")))
            {
                Some((a, p)) => format!("{p}{}[{n}]", &name[a.len()..]),
                None => format!("{name}[{n}]"),
            };
            *n += 1;
            array = Some((name, path.clone()));
            table = path;
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            let name = name.trim();
            table = match array
                .as_ref()
                .filter(|(a, _)| name.starts_with(&format!("{a}.")))
            {
                Some((a, p)) => format!("{p}{}", &name[a.len()..]),
                None => {
                    array = None;
                    name.to_string()
                }
            };
        }
    }
    let last = lines[line - 1].trim();
    match last.split_once('=') {
        Some((k, _)) if !last.starts_with('[') => {
            let k = k.trim().trim_matches('"');
            if table.is_empty() {
                k.to_string()
            } else {
                format!("{table}.{k}")
            }
        }
        _ => table,
    }
}

/// Where a deserialisation `message` at `line` of TOML text points: the key of the line
/// ([`key_at_line`]), or, for a missing field (reported at the first line of the table that
/// lacks it), the table.
pub fn place_of_error(text: &str, line: usize, message: &str) -> String {
    let at = key_at_line(text, line);
    let is_header = text
        .lines()
        .nth(line.saturating_sub(1))
        .is_some_and(|l| l.trim_start().starts_with('['));
    if message.starts_with("missing field") && !is_header {
        return at
            .rsplit_once('.')
            .map(|(t, _)| t.to_string())
            .unwrap_or_default();
    }
    at
}

/// Set a spec value by path (`"input.0.rate"`, `"projection.exc→inh.weight"`): shared with
/// `ganglion sweep`.
pub use ganglion_model::set_path;

/// The run's manifest, with the keys of `ganglion run`'s `manifest.json` except `files`
/// (nothing is written): `spec` is the spec file, or `None` for a circuit built from a dict.
pub use ganglion_sim::record::manifest;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_scale_towards_the_target() {
        // 64 steps in 1 ms: 6400 would take 0.1 s, but growth is capped at 8×.
        assert_eq!(next_chunk(64, 0.001), 512);
        // 1000 steps in 0.2 s: half as many.
        assert_eq!(next_chunk(1000, 0.2), 500);
        // 1000 steps in 0.1 s: unchanged.
        assert_eq!(next_chunk(1000, 0.1), 1000);
        // Very slow steps: never below one.
        assert_eq!(next_chunk(1, 100.0), 1);
        // No timing (0 s) or a broken clock: grow.
        assert_eq!(next_chunk(10, 0.0), 80);
        assert_eq!(next_chunk(10, f64::NAN), 80);
        assert_eq!(next_chunk(0, 0.0), 8);
        assert_eq!(next_chunk(u64::MAX, 1e-9), u64::MAX);
    }

    #[test]
    fn flags_become_keywords() {
        assert_eq!(
            flag_to_keyword("--duration \"-5 ms\""),
            "duration=\"-5 ms\""
        );
        assert_eq!(flag_to_keyword("--threads 3"), "threads=3");
        assert_eq!(flag_to_keyword("--seed"), "seed=");
        assert_eq!(flag_to_keyword("population \"exc\""), "population \"exc\"");
    }

    #[test]
    fn keys_are_found_from_lines() {
        let text = "[simulation]\nduration = \"1 ms\"\n\n[[population]]\nname = \"a\"\n\n[[population]]\nname = \"b\"\nsize = \"10\"\n\n[population.params]\ntau_m = 5\n\n[[monitor]]\nkind = \"spikes\"\n";
        assert_eq!(key_at_line(text, 2), "simulation.duration");
        assert_eq!(key_at_line(text, 5), "population[0].name");
        assert_eq!(key_at_line(text, 9), "population[1].size");
        assert_eq!(key_at_line(text, 11), "population[1].params");
        assert_eq!(key_at_line(text, 12), "population[1].params.tau_m");
        assert_eq!(key_at_line(text, 15), "monitor[0].kind");
        assert_eq!(key_at_line(text, 0), "");
        assert_eq!(key_at_line(text, 99), "");
        // A missing field names the table, whether reported at its header or its first key.
        assert_eq!(place_of_error(text, 1, "missing field `x`"), "simulation");
        assert_eq!(place_of_error(text, 2, "missing field `x`"), "simulation");
        assert_eq!(
            place_of_error(text, 12, "missing field `x`"),
            "population[1].params"
        );
        assert_eq!(
            place_of_error("population = []\n", 1, "missing field `simulation`"),
            ""
        );
        assert_eq!(
            place_of_error(text, 9, "invalid type"),
            "population[1].size"
        );
    }

    #[test]
    fn manifest_has_the_cli_keys() {
        use ganglion_model::*;
        let c = Circuit::new(Simulation::new("0.1 ms", "20 ms"))
            .population(Population::new("exc", 10, "iaf_psc_exp"))
            .input(Input::poisson("exc", "8000 Hz", "30 pA"))
            .monitor(Monitor::spikes("exc"));
        let r = validate_circuit(&c).expect("valid");
        let mut net = ganglion_sim::Network::build(&r).expect("builds");
        let res = net.run(None).expect("runs");
        let m = manifest(None, &r, &net, &res, &["a note".into()]);
        for key in [
            "ganglion_version",
            "spec",
            "name",
            "dt_ms",
            "duration_ms",
            "seed",
            "threads",
            "neurons",
            "synapses",
            "bytes_per_synapse",
            "synapse_bytes",
            "memory_estimate_bytes",
            "populations",
            "notes",
            "timings",
        ] {
            assert!(m.get(key).is_some(), "manifest lacks {key}");
        }
        assert_eq!(m["neurons"], 10);
        assert_eq!(m["duration_ms"], 20.0);
        assert!(m["spec"].is_null());
        assert_eq!(m["populations"][0]["name"], "exc");
        assert_eq!(m["notes"][0], "a note");
    }
}
