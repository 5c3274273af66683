//! Hostile values from the reliability issue, one test group per class:
//! 5. unbounded work (threads, step counts, files that never end) is refused or capped;
//! 6. values are never reinterpreted silently: an error, or a notice saying what was done;
//! 7. messages point to the right place: flags by name, no follow-on errors from one typo.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_model::validate::{MAX_STEPS, Overrides, validate_with};
use ganglion_model::*;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

const HEAD: &str = r#"[simulation]
dt = "0.1 ms"
duration = "10 ms"

[[population]]
name = "a"
size = 5
model = "iaf_psc_exp"
"#;

/// Validate `text` as the file `dir/spec.toml` with `flags`: the circuit and its notices, or
/// the error's text.
fn check_in(dir: &Path, text: &str, flags: &Overrides) -> Result<(Resolved, Vec<String>), String> {
    let path = dir.join("spec.toml");
    let c = parse_str(text, &path).map_err(|e| e.to_string())?;
    let src = Source {
        file: Some(path),
        map: SourceMap::new(text),
    };
    validate_with(&c, &src, flags).map_err(|e| e.to_string())
}

fn check(text: &str) -> Result<(Resolved, Vec<String>), String> {
    check_in(Path::new("."), text, &Overrides::default())
}

fn error(text: &str) -> String {
    match check(text) {
        Ok((_, notes)) => panic!("accepted (notes {notes:?}):\n{text}"),
        Err(e) => e,
    }
}

/// The notices of a spec that must validate.
fn notes(text: &str) -> Vec<String> {
    match check(text) {
        Ok((_, n)) => n,
        Err(e) => panic!("refused: {e}\n{text}"),
    }
}

/// A second population, `b`, as `HEAD` has `a`.
const POPULATION_B: &str = "\n[[population]]\nname = \"b\"\nsize = 5\nmodel = \"iaf_psc_exp\"\n";

/// A `[[projection]]` table from `source` to `target` with `connectivity` and weight 1 pA,
/// then the lines `extra` (each ending in a newline).
fn projection_by(source: &str, target: &str, connectivity: &str, extra: &str) -> String {
    format!(
        "\n[[projection]]\nsource = \"{source}\"\ntarget = \"{target}\"\nconnectivity = {connectivity}\nweight = \"1 pA\"\n{extra}"
    )
}

/// An all-to-all [`projection_by`].
fn projection(source: &str, target: &str, extra: &str) -> String {
    projection_by(source, target, "{ rule = \"all_to_all\" }", extra)
}

fn has(haystack: &str, parts: &[&str]) {
    for p in parts {
        assert!(haystack.contains(p), "expected {p:?} in:\n{haystack}");
    }
}

fn one_note(notes: &[String], parts: &[&str]) {
    assert_eq!(notes.len(), 1, "{notes:#?}");
    has(&notes[0], parts);
}

/// Runs `f` on a thread and fails if it takes longer than 20 s (a file that never ends).
fn within_20s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("it never ended: a file that never ends was read")
}

// ---- class 5: unbounded work ------------------------------------------------------------

#[test]
fn thread_counts_beyond_the_neurons_or_the_cores_are_capped_with_a_notice() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let spec = HEAD.replace("duration", "threads = 1000000000\nduration");
    let (r, n) = check(&spec).unwrap();
    assert_eq!(r.threads, 5.min(4 * cores));
    one_note(&n, &["threads = 1000000000 is capped to", "spec.toml:"]);
    // From the command line the notice names the flag, without a line of the spec.
    let flags = Overrides {
        threads: Some(1_000_000_000),
        ..Default::default()
    };
    let (r, n) = check_in(Path::new("."), HEAD, &flags).unwrap();
    assert_eq!(r.threads, 5.min(4 * cores));
    one_note(&n, &["--threads 1000000000: the thread count is capped to"]);
    assert!(!n[0].contains("spec.toml"), "{n:?}");
    // Many neurons: the cap is 4 per core.
    let big = HEAD.replace("size = 5", "size = 100000");
    let (r, n) = check_in(Path::new("."), &big, &flags).unwrap();
    assert_eq!(r.threads, 4 * cores);
    one_note(&n, &["4 per core"]);
    // 0 is all cores (at most one per neuron), without a notice.
    let zero = big.replace("duration", "threads = 0\nduration");
    let (r, n) = check(&zero).unwrap();
    assert_eq!((r.threads, n.len()), (cores, 0));
    // A sensible count is kept as it is.
    let two = big.replace("duration", "threads = 2\nduration");
    assert_eq!(check(&two).unwrap().0.threads, 2.min(4 * cores));
}

#[test]
fn step_counts_beyond_the_bound_or_overflowing_are_refused_with_the_count() {
    let e = error(&HEAD.replace("\"10 ms\"", "\"1e9 s\""));
    has(
        &e,
        &[
            "spec.toml:3",
            "duration 1000000000000 ms is 1.000e13 steps of dt 0.1 ms",
            &format!("more than the {MAX_STEPS} steps"),
        ],
    );
    // A dt so small that the count overflows any integer.
    let e = error(&HEAD.replace("\"0.1 ms\"", "\"1e-20 ms\""));
    has(&e, &["steps of dt", "more than the"]);
    // The bound itself is a day of simulated time at 0.1 ms and more.
    let day = HEAD.replace("\"10 ms\"", "\"86400 s\"");
    assert_eq!(check(&day).unwrap().0.steps, 864_000_000);
}

#[cfg(unix)]
#[test]
fn devices_and_folders_are_never_read_as_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    for (name, target) in [
        ("edges.csv", "/dev/zero"),
        ("drive.npy", "/dev/urandom"),
        ("values.npy", "/dev/zero"),
        ("reward.npy", "/dev/zero"),
        ("spikes.npy", "/dev/zero"),
        ("spec_link.toml", "/dev/zero"),
    ] {
        std::os::unix::fs::symlink(target, d.join(name)).unwrap();
    }
    std::fs::create_dir(d.join("folder.csv")).unwrap();
    let edges = |file: &str| format!("{{ rule = \"edge_list\", file = \"{file}\" }}");
    let spec = [
        HEAD,
        "params = { tau_m = { file = \"values.npy\", unit = \"ms\" } }\n",
        POPULATION_B,
        &projection_by("a", "b", &edges("edges.csv"), ""),
        &projection(
            "b",
            "b",
            "plasticity = { rule = \"three_factor\", w_max = \"5 pA\", modulator = { file = \"reward.npy\" } }\n",
        ),
        &projection_by("b", "a", &edges("folder.csv"), ""),
        r#"
[[input]]
kind = "timeseries"
target = "a"
file = "drive.npy"
unit = "pA"

[[input]]
kind = "spike_times"
target = "b"
file = "spikes.npy"
weight = "1 pA"
"#,
    ]
    .concat();
    let e = within_20s(move || check_in(&d, &spec, &Overrides::default()).unwrap_err());
    has(
        &e,
        &[
            "6 problems",
            "tau_m: cannot read",
            "values.npy: it is not a regular file",
            "edges.csv: it is not a regular file",
            "folder.csv: it is a folder",
            "modulator: cannot read",
            "drive.npy: it is not a regular file",
            "spikes.npy: it is not a regular file",
        ],
    );
    // The spec itself.
    let link = dir.path().join("spec_link.toml");
    let e = within_20s(move || load(&link).unwrap_err().to_string());
    has(&e, &["spec_link.toml", "not a regular file"]);
    let e = load(Path::new("/dev/zero")).unwrap_err().to_string();
    has(&e, &["/dev/zero", "not a regular file"]);
    let e = load(dir.path()).unwrap_err().to_string();
    has(&e, &["it is a folder"]);
}

// ---- class 6: no silent reinterpretation ------------------------------------------------

#[test]
fn the_run_is_whole_steps_of_dt_or_a_notice_or_an_error_says_so() {
    // dt longer than the duration: it would run twice (or more) the requested time.
    let e = error(
        &HEAD
            .replace("dt = \"0.1 ms\"", "dt = \"0.2 ms\"")
            .replace("\"10 ms\"", "\"0.1 ms\""),
    );
    has(&e, &["duration 0.1 ms is shorter than dt 0.2 ms"]);
    // Not a multiple of dt: rounded, and said so exactly.
    let n = notes(&HEAD.replace("\"10 ms\"", "\"100.04 ms\""));
    one_note(
        &n,
        &[
            "spec.toml:3: [simulation]: duration 100.04 ms is not a whole number of steps: it is rounded to 1000 steps of 0.1 ms = 100 ms",
        ],
    );
    // Exact multiples (even with binary rounding, 0.3 / 0.1) have no notice.
    assert!(notes(&HEAD.replace("\"10 ms\"", "\"0.3 ms\"")).is_empty());
    assert_eq!(
        check(&HEAD.replace("\"10 ms\"", "\"0.3 ms\""))
            .unwrap()
            .0
            .steps,
        3
    );
}

#[test]
fn monitor_intervals_counts_and_neurons_are_never_quietly_changed() {
    let state = |extra: &str| {
        format!(
            "{HEAD}\n[[monitor]]\nkind = \"state\"\npopulation = \"a\"\nvariables = [\"V_m\"]\n{extra}\n"
        )
    };
    // (the monitor, its one notice)
    for (spec, note) in [
        (
            state("count = 2\nevery = \"0.25 ms\""),
            "monitor #1 (state of \"a\"): every 0.25 ms is not a whole number of steps of dt 0.1 ms: it is rounded to 3 steps = 0.3 ms",
        ),
        (
            state("count = 2\nevery = \"20 ms\""),
            "every 20 ms is longer than the run (10 ms): nothing is recorded",
        ),
    ] {
        one_note(&notes(&spec), &[note]);
    }
    // (the monitor, what its error says)
    for (spec, parts) in [
        (
            state("count = 2\nevery = \"0.06 ms\""),
            &["every 0.06 ms is shorter than dt 0.1 ms"][..],
        ),
        (
            state("count = 50"),
            &[
                "count = 50 is larger than population \"a\", which has 5",
                "count = 5 or less",
            ],
        ),
        (state("count = 0"), &["count = 0 records nothing"]),
        (
            state("count = 2\nneurons = [0]"),
            &["`neurons` or `count`, not both"],
        ),
        (
            state("neurons = [0, 5]"),
            &["neuron 5 does not exist (size 5)"],
        ),
        (state("neurons = [1, 1]"), &["neuron 1 is listed twice"]),
        (state("neurons = []"), &["`neurons` is empty"]),
        (
            format!("{HEAD}\n[[monitor]]\nkind = \"spikes\"\npopulation = \"a\"\ncount = 6\n"),
            &["count = 6 is larger than population \"a\""],
        ),
        // A field of another kind would be ignored.
        (
            format!("{HEAD}\n[[monitor]]\nkind = \"rate\"\npopulation = \"a\"\nevery = \"1 ms\"\n"),
            &[
                "`every` is not used by a rate monitor",
                "a rate monitor takes: population, bin",
            ],
        ),
    ] {
        has(&error(&spec), parts);
    }
}

#[test]
fn weight_bounds_of_the_wrong_sign_and_zero_time_constants_are_errors() {
    let plastic =
        |pl: &str| HEAD.to_string() + &projection("a", "a", &format!("plasticity = {pl}\n"));
    has(
        &error(&plastic("{ rule = \"stdp\", w_max = \"-5 pA\" }")),
        &[
            "plasticity.w_max \"-5 pA\" must be positive",
            "w_max = \"5 pA\"",
        ],
    );
    has(
        &error(&plastic("{ rule = \"stdp\", w_max = \"0 pA\" }")),
        &["plasticity.w_max \"0 pA\" must be positive"],
    );
    has(
        &error(&plastic(
            "{ rule = \"stdp\", w_max = \"5 pA\", w_min = \"-1 pA\" }",
        )),
        &["plasticity.w_min \"-1 pA\" must be at least 0"],
    );
    // Scaling intervals are whole steps too.
    let n = notes(&plastic(
        "{ rule = \"scaling\", w_max = \"5 pA\", rho0 = \"5 Hz\", interval = \"1.05 ms\" }",
    ));
    one_note(
        &n,
        &["plasticity.interval 1.05 ms is not a whole number of steps"],
    );
    for tau in ["\"0 ms\"", "\"0 s\"", "\"-1 ms\""] {
        let h = HEAD.to_string() + &format!("homeostasis = {{ target = \"5 Hz\", tau = {tau} }}\n");
        let e = error(&h);
        has(&e, &["1 problem:", "homeostasis.tau must be positive"]);
        assert!(!e.contains("0 problems"), "{e}");
    }
}

#[test]
fn inputs_out_of_range_off_the_grid_or_after_the_run_are_errors_or_notices() {
    let input = |body: &str| format!("{HEAD}\n[[input]]\ntarget = \"a\"\n{body}\n");
    let spikes = |times: &str| {
        input(&format!(
            "kind = \"spike_times\"\nneurons = [0, 1]\ntimes = {times}\nweight = \"1 pA\""
        ))
    };
    // Step currents: switch times off the grid, after the run, negative, on one step.
    let step = |times: &str| {
        input(&format!(
            "kind = \"step_current\"\ntimes = {times}\namplitudes = [\"0 pA\", \"100 pA\"]"
        ))
    };
    // (the input, its one notice)
    for (spec, note) in [
        (
            spikes("[\"1 ms\", \"12 ms\"]"),
            "2 of 4 spikes are at or after the end of the run (10 ms) and never delivered (the first at 12 ms)",
        ),
        (
            spikes("[\"1.05 ms\"]"),
            "2 of 2 spikes are at times off the grid of dt 0.1 ms, rounded to the nearest step",
        ),
        (
            step("[\"0 ms\", \"2.04 ms\"]"),
            "switch time 2.04 ms is not a whole number of steps of dt 0.1 ms: it is rounded to step 20 (2 ms)",
        ),
        (
            step("[\"0 ms\", \"20 ms\"]"),
            "switch time 20 ms is at or after the end of the run (10 ms): it never takes effect",
        ),
        // A current that starts after the run.
        (
            input("kind = \"current\"\namplitude = \"1 pA\"\nstart = \"20 ms\""),
            "start 20 ms is at or after the end of the run (10 ms)",
        ),
        // A constant delay off the grid is rounded, and said so.
        (
            input("kind = \"poisson\"\nrate = \"5 Hz\"\nweight = \"1 pA\"\ndelay = \"1.05 ms\""),
            "delay 1.05 ms is not a whole number of steps of dt 0.1 ms: it is rounded to",
        ),
    ] {
        one_note(&notes(&spec), &[note]);
    }
    // (the input, what its error says)
    for (spec, parts) in [
        (
            input("kind = \"current\"\namplitude = \"1 pA\"\nneurons = [0, 9]"),
            &["neuron 9 does not exist in \"a\" (size 5)"][..],
        ),
        (
            input("kind = \"current\"\namplitude = \"1 pA\"\nneurons = [2, 2]"),
            &["neuron 2 is listed twice"],
        ),
        (
            step("[\"-1 ms\", \"2 ms\"]"),
            &["switch time -1 ms is negative"],
        ),
        (
            step("[\"1 ms\", \"1.01 ms\"]"),
            &["fall on the same step of dt 0.1 ms, so amplitude 0 pA never applies"],
        ),
        (
            input("kind = \"current\"\namplitude = \"1 pA\"\nstart = \"-2 ms\""),
            &["start -2 ms is negative"],
        ),
        // A field another kind reads would be ignored.
        (
            input("kind = \"poisson\"\nrate = \"5 Hz\"\nweight = \"1 pA\"\namplitude = \"1 pA\""),
            &[
                "`amplitude` is not used by a poisson input",
                "`amplitude` belongs to current",
            ],
        ),
        (
            input(
                "kind = \"spike_times\"\nfile = \"s.npy\"\ntimes = [\"1 ms\"]\nweight = \"1 pA\"",
            ),
            &["takes `file` or `times`, not both"],
        ),
    ] {
        has(&error(&spec), parts);
    }
}

#[test]
fn a_time_series_shorter_than_the_run_gets_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    npy::write(&dir.path().join("drive.npy"), &[50], &[1.0f64; 50]).unwrap();
    let spec = format!(
        "{HEAD}\n[[input]]\nkind = \"timeseries\"\ntarget = \"a\"\nfile = \"drive.npy\"\nunit = \"pA\"\n"
    );
    let (_, n) = check_in(dir.path(), &spec, &Overrides::default()).unwrap();
    one_note(
        &n,
        &[
            "drive.npy has 50 samples of 0.1 ms = 5 ms, shorter than the run (10 ms): the input is 0 from then on",
        ],
    );
    let long = spec.replace("\"10 ms\"", "\"5 ms\"");
    assert!(
        check_in(dir.path(), &long, &Overrides::default())
            .unwrap()
            .1
            .is_empty()
    );
}

// ---- class 7: messages point to the right place ----------------------------------------

#[test]
fn flag_problems_name_the_flag_not_a_line() {
    for (d, part) in [
        (
            "-5 ms",
            "--duration \"-5 ms\": duration -5 ms must be positive",
        ),
        (
            "5 mV",
            "--duration \"5 mV\": duration \"5 mV\" is a voltage",
        ),
        (
            "1e9 s",
            "--duration \"1e9 s\": duration 1000000000000 ms is 1.000e13 steps",
        ),
        (
            "0.01 ms",
            "--duration \"0.01 ms\": duration 0.01 ms is shorter than dt",
        ),
    ] {
        let flags = Overrides {
            duration: Some(d.into()),
            ..Default::default()
        };
        let path = PathBuf::from("spec.toml");
        let c = parse_str(HEAD, &path).unwrap();
        let src = Source {
            file: Some(path),
            map: SourceMap::new(HEAD),
        };
        let e = validate_with(&c, &src, &flags).unwrap_err();
        let p = &e.problems()[0];
        assert_eq!(
            (e.problems().len(), &p.file, p.line),
            (1, &None, None),
            "{e}"
        );
        has(&e.to_string(), &[part, "hint: "]);
        assert!(!e.to_string().contains("spec.toml"), "{e}");
        if let Some(h) = &p.hint
            && h.contains("duration")
        {
            assert!(h.contains("--duration"), "the hint speaks of the flag: {h}");
        }
    }
    // A valid --duration that is not whole steps: the notice names the flag.
    let flags = Overrides {
        duration: Some("5.04 ms".into()),
        seed: Some(9),
        ..Default::default()
    };
    let (r, n) = check_in(Path::new("."), HEAD, &flags).unwrap();
    assert_eq!((r.steps, r.seed), (50, 9));
    one_note(
        &n,
        &["--duration \"5.04 ms\": duration 5.04 ms is not a whole number"],
    );
}

#[test]
fn an_unknown_model_is_one_problem_not_one_per_reference() {
    let plastic = "plasticity = { rule = \"three_factor\", w_max = \"5 pA\", modulator = { population = \"a\" } }\n";
    let spec = [
        &HEAD.replace("iaf_psc_exp", "iaf_psc_expp"),
        "params = { tau_mmm = \"5 ms\" }\nhomeostasis = { target = \"5 Hz\" }\n",
        POPULATION_B,
        &projection("b", "a", ""),
        &projection("a", "b", plastic),
        &projection("b", "b", plastic),
        r#"
[[input]]
kind = "poisson"
target = "a"
rate = "5 Hz"
weight = "1 pA"

[[monitor]]
kind = "spikes"
population = "a"

[[monitor]]
kind = "weights"
projection = "a→b"
"#,
    ]
    .concat();
    let e = error(&spec);
    has(
        &e,
        &["the spec has 1 problem:", "unknown model \"iaf_psc_expp\""],
    );
    // An empty population: one problem, no follow-on errors (nor a panic) from what uses it.
    let e = error(
        &spec
            .replace("iaf_psc_expp", "iaf_psc_exp")
            .replace("params = { tau_mmm = \"5 ms\" }\n", "")
            .replacen("size = 5", "size = 0", 1)
            .replace("rule = \"all_to_all\"", "rule = \"fixed_indegree\", k = 2"),
    );
    has(
        &e,
        &["the spec has 1 problem:", "population \"a\": has size 0"],
    );
    // A projection that fails (a weight of the wrong unit) is not "not defined" for its monitor.
    let e = error(
        &spec
            .replace("iaf_psc_expp", "iaf_psc_exp")
            .replacen(
                "weight = \"1 pA\"\nplasticity",
                "weight = \"1 mV\"\nplasticity",
                1,
            )
            .replace("params = { tau_mmm = \"5 ms\" }\n", ""),
    );
    has(
        &e,
        &["the spec has 1 problem:", "weight \"1 mV\" is a voltage"],
    );
    // A bad dt is one problem, not one more per delay compared with it.
    let e = error(
        &(HEAD.replace("\"0.1 ms\"", "\"0.01 mss\"")
            + &projection("a", "a", "delay = \"0.05 ms\"\n")),
    );
    has(&e, &["the spec has 1 problem:", "dt \"0.01 mss\""]);
}
