//! Numbers the engine cannot hold — infinite, NaN, beyond the range of 32-bit floats, or
//! too close to zero for them — are validation problems wherever they are read: the spec's
//! quantities, plain numbers, distribution bounds, inline lists, and every kind of file.
//! Each problem names the spec line, the object, the file and row, and the value.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

mod common;
use common::*;

use ganglion_model::npy;
use ganglion_model::*;
use std::path::Path;

/// An edge-list text file with `rows` good rows and `bad` as row `at` (1-based).
fn edges(rows: usize, at: usize, bad: &str) -> Vec<u8> {
    let mut s = String::from("source,target,weight,delay\n");
    for r in 1..=rows {
        match r == at {
            true => s += &format!("{bad}\n"),
            false => s += &format!("{},{},20,1.5\n", r % 80, r % 20),
        }
    }
    s.into_bytes()
}

fn npy_f64(shape: &[usize], data: &[f64]) -> Vec<u8> {
    npy::encode(shape, data)
}

#[test]
fn the_good_spec_and_a_good_edge_list_validate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("edges.csv"), edges(20, 0, "")).unwrap();
    let path = dir.path().join("spec.toml");
    std::fs::write(&path, edge_spec("edges.csv", PA_MS)).unwrap();
    let r = load_and_validate(&path).unwrap();
    let Rule::EdgeList(e) = &r.projections[0].rule else {
        panic!("not an edge list")
    };
    assert_eq!(e.source.len(), 20);
    assert_eq!(e.weight.as_ref().unwrap()[0], 20.0);
    assert_eq!(e.delay.as_ref().unwrap()[0], 1.5);
}

#[test]
fn edge_list_weights_and_delays_must_be_finite() {
    let spec = edge_spec("edges.csv", PA_MS);
    let m = error_files(&spec, &[("edges.csv", edges(20, 17, "3,4,inf,1"))]);
    assert_all(
        &m,
        &[
            at(&spec, "connectivity =").as_str(),
            "projection \"exc→inh\"",
            "edges.csv row 17: weight inf is not a finite number",
            "hint: numbers must be finite",
            "row 17 is line 18 of edges.csv",
        ],
    );
    for (at_row, bad, want) in [
        (
            2,
            "3,4,20,NaN",
            "edges.csv row 2: delay NaN is not a finite number",
        ),
        (
            3,
            "3,4,-inf,1",
            "edges.csv row 3: weight -inf is not a finite number",
        ),
        // 1e400 does not fit even an f64.
        (
            4,
            "3,4,1e400,1",
            "edges.csv row 4: weight inf is not a finite number",
        ),
    ] {
        let m = error_files(&spec, &[("edges.csv", edges(5, at_row, bad))]);
        assert_all(&m, &[want]);
    }
    // Several bad rows: the first is named, the rest counted.
    let text = "0,1,nan,1\n1,2,20,1\n2,3,nan,1\n3,4,nan,1\n";
    let m = error_files(&spec, &[("edges.csv", text.as_bytes())]);
    assert_all(
        &m,
        &["edges.csv row 1: weight NaN is not a finite number (and 2 more like it)"],
    );
}

#[test]
fn edge_list_values_beyond_f32_are_errors() {
    let spec = edge_spec("edges.csv", PA_MS);
    let m = error_files(&spec, &[("edges.csv", edges(5, 5, "3,4,1e39,1"))]);
    assert_all(
        &m,
        &["edges.csv row 5: weight 1e39 pA is beyond ±3.4e38, the range of the 32-bit floats"],
    );
    // Finite in the file's unit, beyond f32 in the engine's.
    let spec_a = edge_spec("edges.csv", ", weight_unit = \"A\", delay_unit = \"ms\"");
    let m = error_files(&spec_a, &[("edges.csv", edges(5, 2, "3,4,1e30,1"))]);
    assert_all(
        &m,
        &["edges.csv row 2: weight 1e30 A (1e42 pA) is beyond ±3.4e38"],
    );
    // Too close to zero for an f32.
    let m = error_files(&spec, &[("edges.csv", edges(5, 2, "3,4,1e-45,1"))]);
    assert_all(
        &m,
        &["edges.csv row 2: weight 1e-45 pA is closer to zero than 1.2e-38"],
    );
}

#[test]
fn edge_list_npy_values_are_checked_by_row() {
    let mut data = vec![];
    for r in 0..6 {
        data.extend([r as f64, r as f64, 20.0, 1.0]);
    }
    data[2 * 4 + 2] = f64::INFINITY; // row 3 (index 2), weight
    let spec = edge_spec("edges.npy", PA_MS);
    let m = error_files(&spec, &[("edges.npy", npy_f64(&[6, 4], &data))]);
    assert_all(
        &m,
        &[
            "edges.npy row 3: weight inf is not a finite number",
            "row 3 is index 2 in NumPy",
        ],
    );
    data[2 * 4 + 2] = 20.0;
    data[4 * 4 + 3] = f64::NAN; // row 5, delay
    let m = error_files(&spec, &[("edges.npy", npy_f64(&[6, 4], &data))]);
    assert_all(&m, &["edges.npy row 5: delay NaN is not a finite number"]);
}

#[test]
fn edge_list_indices_must_be_whole_and_in_range() {
    let spec = edge_spec("edges.csv", PA_MS);
    for (bad, want) in [
        (
            "-1,4,20,1",
            "edges.csv row 2: source -1 is not a neuron index",
        ),
        (
            "2.5,4,20,1",
            "edges.csv row 2: source 2.5 is not a neuron index",
        ),
        (
            "nan,4,20,1",
            "edges.csv row 2: source NaN is not a neuron index",
        ),
        (
            "3,inf,20,1",
            "edges.csv row 2: target inf is not a neuron index",
        ),
        (
            "3,20,20,1",
            "edges.csv row 2: target 20 is out of range (the target has 20 neurons, 0 to 19)",
        ),
        (
            "1e30,4,20,1",
            "edges.csv row 2: source 1e30 is out of range (the source has 80 neurons",
        ),
    ] {
        let m = error_files(&spec, &[("edges.csv", edges(4, 2, bad))]);
        assert_all(&m, &[at(&spec, "connectivity =").as_str(), want]);
    }
}

#[test]
fn spec_quantities_must_fit_f32() {
    // (a line of GOOD, what replaces it, what the error says besides the line it names)
    for (from, to, parts) in [
        (
            "weight = \"20 pA\"",
            "weight = \"1e300 pA\"",
            &[
                "projection \"exc→inh\"",
                "weight \"1e300 pA\" is beyond ±3.4e38",
                "hint: numbers must be finite and within ±3.4e38",
            ][..],
        ),
        (
            "weight = \"20 pA\"",
            "weight = \"1e400 pA\"",
            &["weight \"1e400 pA\" is not a finite number"],
        ),
        // Finite as written, infinite in the base unit.
        (
            "weight = \"20 pA\"",
            "weight = \"1e305 A\"",
            &["weight \"1e305 A\" is not a finite number"],
        ),
        // Beyond f32 only in the base unit.
        (
            "weight = \"20 pA\"",
            "weight = \"1e30 A\"",
            &["weight \"1e30 A\" (1e42 pA) is beyond ±3.4e38"],
        ),
        (
            "tau_m = \"20 ms\"",
            "tau_m = \"1e39 ms\"",
            &["population \"exc\"", "tau_m \"1e39 ms\" is beyond"],
        ),
        (
            "tau_m = \"20 ms\"",
            "tau_m = \"1e-50 ms\"",
            &["tau_m \"1e-50 ms\" is closer to zero than 1.2e-38"],
        ),
        (
            "delay = \"1 ms\"",
            "delay = \"1e39 ms\"",
            &["delay \"1e39 ms\" is beyond"],
        ),
        (
            "dt = \"0.1 ms\"",
            "dt = \"1e-40 ms\"",
            &["dt \"1e-40 ms\" is closer to zero"],
        ),
        (
            "duration = \"100 ms\"",
            "duration = \"1e39 ms\"",
            &["duration \"1e39 ms\" is beyond"],
        ),
        // TOML's own inf and nan.
        (
            "V_th = \"-50 mV\"",
            "V_th = nan",
            &["V_th NaN is not a finite number"],
        ),
        ("p = 0.1", "p = inf", &["inf"]),
    ] {
        let spec = GOOD.replace(from, to);
        let m = error_in_file(&spec);
        assert_all(&m, &[at(&spec, to).as_str()]);
        assert_all(&m, parts);
    }
}

#[test]
fn input_quantities_must_fit_f32() {
    // (the input's fields, the line the error names, what it says)
    for (body, line, parts) in [
        (
            "kind = \"poisson\"\nrate = \"1e39 Hz\"\nweight = \"10 pA\"",
            "rate =",
            &["input", "rate \"1e39 Hz\" is beyond"][..],
        ),
        (
            "kind = \"step_current\"\ntimes = [\"0 ms\", \"10 ms\"]\namplitudes = [\"1 pA\", \"1e300 pA\"]",
            "amplitudes =",
            &["amplitude \"1e300 pA\" is beyond"],
        ),
        (
            "kind = \"spike_times\"\ntimes = [\"1 ms\", \"1e39 ms\"]\nweight = \"10 pA\"",
            "times =",
            &["spike time \"1e39 ms\" is beyond"],
        ),
        (
            "kind = \"current\"\namplitude = \"10 pA\"\nstart = \"1e-300 ms\"",
            "start =",
            &["start \"1e-300 ms\" is closer to zero"],
        ),
    ] {
        let spec = format!("{GOOD}\n[[input]]\ntarget = \"exc\"\n{body}\n");
        let m = error_in_file(&spec);
        assert_all(&m, &[at(&spec, line).as_str()]);
        assert_all(&m, parts);
    }
}

#[test]
fn distribution_bounds_must_fit_f32_and_draw_within_it() {
    let with_weight = |d: &str| GOOD.replace("weight = \"20 pA\"", &format!("weight = {d}"));
    // (the weight's distribution, what the error on the weight's line says)
    for (dist, parts) in [
        (
            "{ dist = \"normal\", mean = \"20 pA\", std = \"1e300 pA\" }",
            &["weight.std \"1e300 pA\" is beyond ±3.4e38"][..],
        ),
        (
            "{ dist = \"normal\", mean = \"1e39 pA\", std = \"1 pA\" }",
            &["weight.mean \"1e39 pA\" is beyond"],
        ),
        (
            "{ dist = \"uniform\", low = \"0 pA\", high = \"inf pA\" }",
            &["weight.high \"inf pA\": \"inf pA\" is not a number"],
        ),
        (
            "{ dist = \"uniform\", low = \"0 pA\", high = \"1e500 pA\" }",
            &["weight.high \"1e500 pA\" is not a finite number"],
        ),
        (
            "{ dist = \"normal\", mean = \"0 pA\", std = \"1 pA\", max = \"1e39 pA\" }",
            &["weight.max \"1e39 pA\" is beyond"],
        ),
        (
            "{ dist = \"normal\", mean = \"0 pA\", std = \"1 pA\", min = nan }",
            &["weight.min NaN is not a finite number"],
        ),
        // Each bound fits, but the draws do not.
        (
            "{ dist = \"normal\", mean = \"20 pA\", std = \"1e38 pA\" }",
            &[
                "weight: a normal with mean 20 pA and std 1e38 pA draws values up to 1e39 pA, beyond ±3.4e38",
                "hint: use a smaller std, or bound the draws with min and max",
            ],
        ),
        (
            "{ dist = \"lognormal\", mean = \"1e30 pA\", std = \"1e35 pA\" }",
            &["weight: a lognormal with mean 1e30 pA and std 1e35 pA draws values up to"],
        ),
        (
            "{ dist = \"lognormal\", mean = \"1e-30 pA\", std = \"1e-10 pA\" }",
            &["closer to zero than 1.2e-38"],
        ),
    ] {
        let m = error_in_file(&with_weight(dist));
        assert_all(&m, &["spec.toml:23"]);
        assert_all(&m, parts);
    }
    // Bounded draws are fine.
    let ok = with_weight(
        "{ dist = \"normal\", mean = \"20 pA\", std = \"1e38 pA\", min = \"0 pA\", max = \"100 pA\" }",
    );
    let c = parse_str(&ok, Path::new("ok.toml")).unwrap();
    assert!(validate(&c, &Source::default()).is_ok());
}

#[test]
fn inline_lists_name_the_item() {
    let spec = GOOD.replace("size = 80", "size = 3").replace(
        "tau_m = \"20 ms\"",
        "tau_m = [\"20 ms\", \"1e39 ms\", \"20 ms\"]",
    );
    let m = error_in_file(&spec);
    assert_all(
        &m,
        &[
            "spec.toml:11",
            "tau_m (list item 2) \"1e39 ms\" is beyond ±3.4e38",
        ],
    );
    let spec = GOOD
        .replace("size = 80", "size = 3")
        .replace("V_th = \"-50 mV\"", "V_th = [\"-50 mV\", \"-50 mV\", nan]");
    assert_all(
        &error_in_file(&spec),
        &["V_th (list item 3) NaN is not a finite number"],
    );
}

#[test]
fn parameter_list_files_are_checked_by_row() {
    let spec = GOOD.replace(
        "tau_m = \"20 ms\"",
        "tau_m = { file = \"tau.npy\", unit = \"ms\" }",
    );
    let mut tau = vec![20.0f64; 80];
    tau[5] = f64::NAN;
    let m = error_files(&spec, &[("tau.npy", npy_f64(&[80], &tau))]);
    assert_all(
        &m,
        &[
            at(&spec, "tau_m =").as_str(),
            "population \"exc\"",
            "tau_m: tau.npy row 6: value NaN is not a finite number",
            "row 6 is index 5 in NumPy",
        ],
    );
    tau[5] = 1e39;
    let m = error_files(&spec, &[("tau.npy", npy_f64(&[80], &tau))]);
    assert_all(
        &m,
        &["tau_m: tau.npy row 6: value 1e39 ms is beyond ±3.4e38"],
    );
    // f32 files too, and a text list.
    let tau32: Vec<f32> = (0..80)
        .map(|i| if i == 9 { f32::INFINITY } else { 20.0 })
        .collect();
    let m = error_files(&spec, &[("tau.npy", npy::encode(&[80], &tau32))]);
    assert_all(&m, &["tau.npy row 10: value inf is not a finite number"]);
    let spec_csv = spec.replace("tau.npy", "tau.csv");
    let mut text = String::from("tau_m\n");
    for i in 0..80 {
        text += if i == 40 { "-inf\n" } else { "20\n" };
    }
    let m = error_files(&spec_csv, &[("tau.csv", text.into_bytes())]);
    assert_all(
        &m,
        &[
            "tau.csv row 41: value -inf is not a finite number",
            "row 41 is line 42 of tau.csv",
        ],
    );
    // Beyond f32 only after the unit: 1e30 A is 1e42 pA.
    let spec_a = GOOD.replace(
        "tau_m = \"20 ms\"",
        "I_e = { file = \"ie.npy\", unit = \"A\" }",
    );
    let mut ie = vec![0.0f64; 80];
    ie[79] = 1e30;
    let m = error_files(&spec_a, &[("ie.npy", npy_f64(&[80], &ie))]);
    assert_all(
        &m,
        &["I_e: ie.npy row 80: value 1e30 A (1e42 pA) is beyond ±3.4e38"],
    );
}

/// GOOD with an input of `kind` whose other fields are `body`.
fn with_input(kind: &str, body: &str) -> String {
    format!("{GOOD}\n[[input]]\nkind = \"{kind}\"\ntarget = \"exc\"\n{body}\n")
}

#[test]
fn spike_time_files_are_checked_by_row() {
    let spec = with_input("spike_times", "file = \"spikes.npy\"\nweight = \"10 pA\"");
    let ev = |bad: [f64; 2]| npy_f64(&[3, 2], &[0.0, 1.0, bad[0], bad[1], 2.0, 3.0]);
    let m = error_files(&spec, &[("spikes.npy", ev([1.0, f64::NAN]))]);
    assert_all(
        &m,
        &[
            at(&spec, "file =").as_str(),
            "input",
            "spikes.npy row 2, column 2: value NaN is not a finite number",
        ],
    );
    for (bad, want) in [
        (
            [1.0, 1e39],
            "spikes.npy row 2, column 2: value 1e39 is beyond ±3.4e38",
        ),
        (
            [-1.0, 5.0],
            "spikes.npy row 2: neuron -1 is not a neuron index",
        ),
        (
            [1.5, 5.0],
            "spikes.npy row 2: neuron 1.5 is not a neuron index",
        ),
        (
            [80.0, 5.0],
            "spikes.npy row 2: neuron 80 is out of range (\"exc\" has 80 neurons, 0 to 79)",
        ),
    ] {
        let m = error_files(&spec, &[("spikes.npy", ev(bad))]);
        assert_all(&m, &[want]);
    }
    // A text file of spikes is read and checked the same way.
    let spec_csv = spec.replace("spikes.npy", "spikes.csv");
    let m = error_files(
        &spec_csv,
        &[("spikes.csv", b"neuron,time\n0,1\n1,nan\n".to_vec())],
    );
    assert_all(
        &m,
        &["spikes.csv row 2, column 2: value NaN is not a finite number"],
    );
}

#[test]
fn time_series_are_checked_by_row_in_the_engines_unit() {
    let spec = with_input("timeseries", "file = \"drive.npy\"\nunit = \"pA\"");
    let mut v = vec![1.0f64; 10];
    v[2] = f64::INFINITY;
    let m = error_files(&spec, &[("drive.npy", npy_f64(&[10], &v))]);
    assert_all(
        &m,
        &[
            at(&spec, "file =").as_str(),
            "drive.npy row 3: value inf is not a finite number",
        ],
    );
    v[2] = 1e30;
    let spec_a = spec.replace("unit = \"pA\"", "unit = \"A\"");
    let m = error_files(&spec_a, &[("drive.npy", npy_f64(&[10], &v))]);
    assert_all(
        &m,
        &["drive.npy row 3: value 1e30 A (1e42 pA) is beyond ±3.4e38"],
    );
    // T×N: the column is named.
    let mut tn = vec![0.0f64; 4 * 80];
    tn[80 + 7] = f64::NAN;
    let m = error_files(&spec, &[("drive.npy", npy_f64(&[4, 80], &tn))]);
    assert_all(
        &m,
        &["drive.npy row 2, column 8: value NaN is not a finite number"],
    );
}

/// GOOD with a three-factor plastic projection whose modulator is `modulator`.
fn three_factor(extra: &str, modulator: &str) -> String {
    GOOD.replace(
        "delay = \"1 ms\"",
        &format!(
            "delay = \"1 ms\"\nplasticity = {{ rule = \"three_factor\", w_max = \"100 pA\"{extra}, modulator = {modulator} }}"
        ),
    )
}

#[test]
fn modulator_series_and_plain_numbers_of_plasticity() {
    let spec = three_factor("", "{ file = \"reward.npy\", step = \"1 ms\" }");
    let mut r = vec![0.0f64; 100];
    r[3] = f64::NAN;
    let m = error_files(&spec, &[("reward.npy", npy_f64(&[100], &r))]);
    assert_all(
        &m,
        &[
            at(&spec, "plasticity =").as_str(),
            "modulator: reward.npy row 4: value NaN is not a finite number",
        ],
    );
    let pop = "{ population = \"inh\", tau = \"50 ms\" }";
    let spec = three_factor(", A_plus = inf", pop);
    let m = error_in_file(&spec);
    assert_all(
        &m,
        &[
            at(&spec, "plasticity =").as_str(),
            "plasticity.A_plus inf is not a finite number",
        ],
    );
    let m = error_in_file(&three_factor(", rate = 1e39", pop));
    assert_all(&m, &["plasticity.rate 1e39 is beyond ±3.4e38"]);
    let m = error_in_file(&three_factor(
        "",
        "{ population = \"inh\", tau = \"50 ms\", offset = nan }",
    ));
    assert_all(
        &m,
        &["plasticity.modulator.offset NaN is not a finite number"],
    );
    let stdp = GOOD.replace(
        "delay = \"1 ms\"",
        "delay = \"1 ms\"\nplasticity = { rule = \"stdp\", w_max = \"1e39 pA\", A_minus = -inf }",
    );
    assert_all(
        &error_in_file(&stdp),
        &["plasticity.A_minus -inf is not a finite number"],
    );
    let m = error_in_file(&stdp.replace(", A_minus = -inf", ""));
    assert_all(&m, &["plasticity.w_max \"1e39 pA\" is beyond"]);
}
