//! Files that are ragged, inconsistent, empty, truncated or of a kind that is not read are
//! validation problems that name the file (and the row), never reinterpreted silently and
//! never a panic; messages quote at most the offending cell of a file.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

mod common;
use common::*;

use ganglion_model::npy;
use ganglion_model::*;

/// The error of an edge list `edges.csv` holding `text`.
fn csv_error(text: &str) -> String {
    let spec = edge_spec("edges.csv", PA_MS);
    let m = error_files(&spec, &[("edges.csv", text.as_bytes())]);
    assert_all(
        &m,
        &[
            at(&spec, "connectivity =").as_str(),
            "projection \"exc→inh\"",
        ],
    );
    m
}

/// GOOD with `tau_m` a list from `file`.
fn tau_spec(file: &str) -> String {
    GOOD.replace(
        "tau_m = \"20 ms\"",
        &format!("tau_m = {{ file = \"{file}\", unit = \"ms\" }}"),
    )
}

/// A version 1.0 `.npy` file with `header` (the dictionary) and `body`.
fn npy_raw(header: &str, body: &[u8]) -> Vec<u8> {
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16 + 1).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

/// `n` f8 values under a header that says `shape`.
fn f8_with_shape(shape: &str, n: usize) -> Vec<u8> {
    let body: Vec<u8> = (0..n).flat_map(|_| 20.0f64.to_le_bytes()).collect();
    npy_raw(
        &format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"),
        &body,
    )
}

#[test]
fn ragged_rows_are_errors() {
    let m = csv_error("0,1,5\n1,2\n");
    assert_all(
        &m,
        &[
            "edges.csv: row 2 has 2 columns, row 1 has 3",
            "hint: one row per line",
        ],
    );
    for (csv, want) in [
        (
            "source,target,weight\n0,1,5\n1,2,5\n2,3,5,1\n",
            "edges.csv: row 3 has 4 columns, row 1 has 3",
        ),
        (
            "source,target,weight,delay\n0,1,5\n",
            "edges.csv: row 1 has 3 columns, the header has 4",
        ),
        // Tab- and space-separated files too.
        (
            "0\t1\t5\n1\t2\n",
            "edges.csv: row 2 has 2 columns, row 1 has 3",
        ),
        (
            "0 1 5 1\n1 2 5\n",
            "edges.csv: row 2 has 3 columns, row 1 has 4",
        ),
    ] {
        assert_all(&csv_error(csv), &[want]);
    }
}

#[test]
fn cells_must_be_numbers() {
    for (csv, want) in [
        (
            "source,target,weight\n0,1,5\n1,2,5\n2,3,5\n3,abc,5\n",
            "edges.csv row 4, column 2 is not a number",
        ),
        ("0,,5\n", "edges.csv row 1, column 2 is empty"),
        ("0,1,5,\n", "edges.csv row 1, column 4 is empty"),
        (
            "0,1,5\n1;2;5\n",
            "edges.csv row 2, column 1 is not a number",
        ),
    ] {
        assert_all(&csv_error(csv), &[want]);
    }
    // The file's contents are never quoted: only the row and column are named.
    let long = "x".repeat(5000);
    let m = csv_error(&format!(
        "# secret comment\nsecret_header,b,c\n0,1,5\n1,{long},5\n2,3,secret_cell\n"
    ));
    assert_all(&m, &["edges.csv row 2, column 2 is not a number"]);
    assert!(!m.contains("secret") && !m.contains("xxx"), "{m}");
    assert!(m.len() < 600, "{m}");
    // Nor are control characters printed.
    let m = csv_error("0,1,5\n1,\u{1b}[31mred,5\n");
    assert!(!m.contains('\u{1b}'), "{m}");
    assert_all(&m, &["row 2, column 2 is not a number"]);
}

#[test]
fn empty_files_and_headers_without_rows() {
    for (csv, want) in [
        ("", "edges.csv is empty"),
        ("\n  \n", "edges.csv is empty"),
        (
            "source,target,weight\n",
            "edges.csv has a header but no rows",
        ),
        ("# just a comment\n", "edges.csv has only comments, no rows"),
    ] {
        assert_all(&csv_error(csv), &[want]);
    }
    // An empty .npy file, and a list file with a header only.
    let spec = edge_spec("edges.npy", PA_MS);
    let m = error_files(&spec, &[("edges.npy", b"")]);
    assert_all(&m, &["edges.npy: the file is empty"]);
    let m = error_files(&tau_spec("tau.csv"), &[("tau.csv", b"tau_m\n")]);
    assert_all(
        &m,
        &[
            "population \"exc\"",
            "tau_m: tau.csv has a header but no rows",
        ],
    );
}

#[test]
fn binary_files_that_are_not_npy_are_errors() {
    let m = csv_error("");
    assert!(m.contains("empty"));
    let spec = edge_spec("edges.bin", PA_MS);
    let m = error_files(&spec, &[("edges.bin", &[0xff, 0xfe, 0x00, 0x81, 0x92])]);
    assert_all(
        &m,
        &["edges.bin is neither a .npy file nor text (it is not UTF-8)"],
    );
    let m = error_files(&tau_spec("tau.npy"), &[("tau.npy", b"20\n20\n")]);
    assert_all(&m, &["tau.npy: not a .npy file"]);
}

#[test]
fn edge_lists_need_two_to_four_columns() {
    let m = csv_error("0,1,5,1,9\n");
    assert_all(
        &m,
        &["edges.csv has 5 columns, but an edge list has 2 to 4"],
    );
    let m = csv_error("0\n1\n");
    assert_all(&m, &["edges.csv has 1 column, but an edge list has 2 to 4"]);
    let spec = edge_spec("edges.npy", PA_MS);
    let a = npy::encode(&[6], &[0.0f64, 1.0, 2.0, 3.0, 4.0, 5.0]);
    let m = error_files(&spec, &[("edges.npy", &a)]);
    assert_all(&m, &["edges.npy has shape [6], expected (E, 2..4)"]);
}

#[test]
fn npy_shape_and_body_must_agree() {
    let spec = tau_spec("tau.npy");
    let m = error_files(&spec, &[("tau.npy", &f8_with_shape("(100,)", 60))]);
    assert_all(
        &m,
        &[
            at(&spec, "tau_m =").as_str(),
            "population \"exc\"",
            "tau_m: tau.npy: the file is shorter than its shape says (header 100 values, body 60)",
            "hint: save the array again with numpy.save",
        ],
    );
    let m = error_files(&spec, &[("tau.npy", &f8_with_shape("(80,)", 100))]);
    assert_all(
        &m,
        &[
            "tau.npy: the file is longer than its shape says (header 80 values, body 100): it has trailing bytes",
        ],
    );
    // A body cut inside a value.
    let mut cut = f8_with_shape("(80,)", 80);
    cut.truncate(cut.len() - 4);
    let m = error_files(&spec, &[("tau.npy", &cut)]);
    assert_all(&m, &["(header 80 values, body 79 and 4 bytes)"]);
    // Edge lists too.
    let m = error_files(
        &edge_spec("edges.npy", PA_MS),
        &[("edges.npy", &f8_with_shape("(10, 3)", 20))],
    );
    assert_all(
        &m,
        &["edges.npy: the file is shorter than its shape says (header 30 values, body 20)"],
    );
}

#[test]
fn npy_headers_that_are_truncated_or_not_read() {
    let spec = tau_spec("tau.npy");
    let good = npy::encode(&[80], &[20.0f64; 80]);
    assert!(validate_files(&spec, &[("tau.npy", &good)]).is_ok());
    for n in [4, 8, 9, 40] {
        let m = error_files(&spec, &[("tau.npy", &good[..n])]);
        assert_all(&m, &["tau_m: tau.npy: truncated header"]);
    }
    let body = [0u8; 80 * 8];
    let with = |descr: &str, order: &str, shape: &str| {
        let h = format!("{{'descr': {descr}, 'fortran_order': {order}, 'shape': {shape}, }}");
        error_files(&spec, &[("tau.npy", &npy_raw(&h, &body))])
    };
    for (descr, order, shape, want) in [
        ("'<c16'", "False", "(40,)", "tau.npy: dtype <c16 is complex"),
        ("'<U8'", "False", "(80,)", "tau.npy: unsupported dtype <U8"),
        (
            "'<f2'",
            "False",
            "(320,)",
            "tau.npy: dtype <f2 (float16) is not supported",
        ),
        ("[('a', '<f8')]", "False", "(80,)", "structured dtypes"),
        (
            "'<f8'",
            "True",
            "(2, 4, 10)",
            "Fortran-ordered arrays of more than 2 dimensions",
        ),
        (
            "'<f8'",
            "False",
            "(eighty,)",
            "tau.npy: shape (eighty,) is not a tuple of sizes",
        ),
        // A list must be one value per element, not a matrix of the same size.
        (
            "'<f8'",
            "False",
            "(40, 2)",
            "tau_m: tau.npy has shape [40, 2], but a list is one value per element (80)",
        ),
    ] {
        assert_all(&with(descr, order, shape), &[want]);
    }
    let m = error_files(&spec, &[("tau.npy", &npy_raw("{'descr': '<f8'}", &body))]);
    assert_all(&m, &["tau.npy: the header has no 'fortran_order'"]);
    // A Fortran-ordered matrix is read in its true order.
    let mut data = vec![];
    for c in 0..4 {
        for r in 0..5 {
            data.push([r as f64, r as f64, 20.0, 1.0 + r as f64][c]);
        }
    }
    let body: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
    let h = "{'descr': '<f8', 'fortran_order': True, 'shape': (5, 4), }";
    let r = validate_files(
        &edge_spec("edges.npy", PA_MS),
        &[("edges.npy", &npy_raw(h, &body))],
    )
    .unwrap();
    let Rule::EdgeList(e) = &r.projections[0].rule else {
        panic!("not an edge list")
    };
    assert_eq!(e.target, vec![0, 1, 2, 3, 4]);
    assert_eq!(e.delay.as_ref().unwrap()[4], 5.0);
}

#[test]
fn every_truncation_and_corruption_is_an_error_not_a_panic() {
    let spec = tau_spec("tau.npy");
    let good = npy::encode(&[80], &[20.0f64; 80]);
    for n in 0..good.len() {
        let m = error_files(&spec, &[("tau.npy", &good[..n])]);
        assert!(m.contains("tau.npy"), "{n}: {m}");
    }
    // Every byte of the header replaced by a few others.
    let hlen = 10 + u16::from_le_bytes([good[8], good[9]]) as usize;
    for i in 0..hlen {
        for b in [0u8, b'(', b',', b'\'', 0xff] {
            let mut bad = good.clone();
            bad[i] = b;
            // Either accepted (the change did not matter) or an error naming the file.
            if let Err(e) = validate_files(&spec, &[("tau.npy", &bad)]) {
                let m = e.to_string();
                assert!(m.contains("tau.npy"), "{i} {b}: {m}");
            }
        }
    }
}

#[test]
fn text_tables_serve_every_file_input() {
    // Lists, spike times and time series may be text tables.
    let m = validate_files(
        &tau_spec("tau.csv"),
        &[("tau.csv", "20\n".repeat(80).as_bytes())],
    );
    assert!(m.is_ok(), "{m:?}");
    let spike_spec = format!(
        "{GOOD}\n[[input]]\nkind = \"spike_times\"\ntarget = \"exc\"\nfile = \"spikes.csv\"\nweight = \"10 pA\"\n"
    );
    let ok = validate_files(&spike_spec, &[("spikes.csv", b"neuron,time\n0,1\n3,2.5\n")]);
    assert!(ok.is_ok(), "{ok:?}");
    let m = error_files(&spike_spec, &[("spikes.csv", b"neuron,time\n0,1\n3\n")]);
    assert_all(
        &m,
        &[
            at(&spike_spec, "file =").as_str(),
            "input",
            "spikes.csv: row 2 has 1 column, row 1 has 2",
        ],
    );
    let m = error_files(&spike_spec, &[("spikes.csv", b"0,1,2\n1,2,3\n")]);
    assert_all(&m, &["spikes.csv has shape [2, 3], expected (N, 2)"]);
}
