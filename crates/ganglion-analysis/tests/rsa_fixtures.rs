//! `ganglion_analysis::rsa` against fixtures from rsatoolbox 0.3.2 (RDMs, transforms,
//! comparisons) and a numpy transcription of Kornblith et al. (2019) (CKA), written by
//! `bench/analysis/rsa_fixtures.py`. Agreement to 1e-10.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report
use ganglion_analysis::rsa::{self, Comparison, Hsic, Kernel, Measure};
use std::collections::BTreeMap;

/// A JSON value: enough of JSON for the fixtures (objects, arrays, numbers, strings, null).
#[derive(Debug, Clone)]
enum Json {
    Num(f64),
    Null,
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

impl Json {
    fn parse(text: &str) -> Json {
        let b = text.as_bytes();
        let mut i = 0;
        let v = value(b, &mut i);
        skip_ws(b, &mut i);
        assert_eq!(i, b.len(), "trailing characters in fixture at byte {i}");
        v
    }
    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(m) => m
                .get(key)
                .unwrap_or_else(|| panic!("fixture lacks key {key:?}")),
            _ => panic!("fixture: {key:?} looked up in a non-object"),
        }
    }
    fn num(&self) -> f64 {
        match self {
            Json::Num(x) => *x,
            // The fixtures write infinite geodesics (disconnected pairs) as null.
            Json::Null => f64::INFINITY,
            other => panic!("fixture: expected a number, got {other:?}"),
        }
    }
    fn nums(&self) -> Vec<f64> {
        match self {
            Json::Arr(v) => v.iter().map(Json::num).collect(),
            other => panic!("fixture: expected an array, got {other:?}"),
        }
    }
    fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(v) => v,
            other => panic!("fixture: expected an array, got {other:?}"),
        }
    }
}

fn skip_ws(b: &[u8], i: &mut usize) {
    while *i < b.len() && b[*i].is_ascii_whitespace() {
        *i += 1;
    }
}

fn value(b: &[u8], i: &mut usize) -> Json {
    skip_ws(b, i);
    match b[*i] {
        b'{' => {
            *i += 1;
            let mut m = BTreeMap::new();
            loop {
                skip_ws(b, i);
                if b[*i] == b'}' {
                    *i += 1;
                    return Json::Obj(m);
                }
                let Json::Str(k) = value(b, i) else {
                    panic!("fixture: object key not a string")
                };
                skip_ws(b, i);
                assert_eq!(b[*i], b':', "fixture: expected ':' at byte {i}");
                *i += 1;
                m.insert(k, value(b, i));
                skip_ws(b, i);
                if b[*i] == b',' {
                    *i += 1;
                }
            }
        }
        b'[' => {
            *i += 1;
            let mut v = vec![];
            loop {
                skip_ws(b, i);
                if b[*i] == b']' {
                    *i += 1;
                    return Json::Arr(v);
                }
                v.push(value(b, i));
                skip_ws(b, i);
                if b[*i] == b',' {
                    *i += 1;
                }
            }
        }
        b'"' => {
            let s = *i + 1;
            *i = s + b[s..]
                .iter()
                .position(|&c| c == b'"')
                .expect("unterminated string");
            let out = String::from_utf8(b[s..*i].to_vec()).unwrap();
            *i += 1;
            Json::Str(out)
        }
        b'n' => {
            *i += 4;
            Json::Null
        }
        _ => {
            let s = *i;
            while *i < b.len() && (b[*i].is_ascii_digit() || b"+-.eE".contains(&b[*i])) {
                *i += 1;
            }
            let t = std::str::from_utf8(&b[s..*i]).unwrap();
            Json::Num(
                t.parse()
                    .unwrap_or_else(|_| panic!("fixture: bad number {t:?}")),
            )
        }
    }
}

fn fixture(name: &str) -> Json {
    let path = format!("{}/tests/fixtures/rsa/{name}", env!("CARGO_MANIFEST_DIR"));
    Json::parse(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
}

fn assert_close(what: &str, ours: &[f64], want: &[f64]) {
    assert_eq!(ours.len(), want.len(), "{what}: lengths differ");
    for (k, (a, b)) in ours.iter().zip(want).enumerate() {
        let ok = if b.is_infinite() {
            a == b
        } else {
            (a - b).abs() <= 1e-10 * (1.0 + b.abs())
        };
        assert!(ok, "{what}[{k}]: ours {a}, rsatoolbox {b}");
    }
}

#[test]
fn rdms_match_rsatoolbox() {
    let f = fixture("rdms.json");
    let (n, p) = (
        f.get("n_conditions").num() as usize,
        f.get("n_channels").num() as usize,
    );
    let x = f.get("patterns").nums();
    for (key, m) in [
        ("squared_euclidean", Measure::SquaredEuclidean),
        ("euclidean", Measure::Euclidean),
        ("correlation", Measure::Correlation),
    ] {
        assert_close(key, &rsa::rdm(&x, n, p, m).unwrap(), &f.get(key).nums());
    }
}

#[test]
fn transforms_match_rsatoolbox() {
    let f = fixture("transforms.json");
    let d = f.get("rdm").nums();
    assert_close(
        "rank",
        &rsa::rank_transform(&d).unwrap(),
        &f.get("rank").nums(),
    );
    assert_close(
        "minmax",
        &rsa::minmax_transform(&d).unwrap(),
        &f.get("minmax").nums(),
    );
    assert_close(
        "geodesic",
        &rsa::geodesic(&d).unwrap(),
        &f.get("geodesic").nums(),
    );
    let cases = f.get("geotopological").arr();
    assert_eq!(cases.len(), 4);
    for c in cases {
        let (low, up) = (c.get("low").num(), c.get("up").num());
        let gt = rsa::geotopological(&d, low, up).unwrap();
        assert_close(&format!("GT({low}, {up})"), &gt, &c.get("gt").nums());
        assert_close(
            &format!("geodesic of GT({low}, {up})"),
            &rsa::geodesic(&gt).unwrap(),
            &c.get("geodesic_of_gt").nums(),
        );
    }
    let tied = f.get("tied");
    let ranks = rsa::rank_transform(&tied.get("rdm").nums()).unwrap();
    assert_close("rank with ties", &ranks, &tied.get("rank").nums());
    assert!(
        ranks.iter().any(|r| r.fract() == 0.5),
        "the tied case should contain ties"
    );

    let dis = f.get("disconnected");
    let g = rsa::geodesic(&dis.get("rdm").nums()).unwrap();
    assert_close("geodesic, disconnected", &g, &dis.get("geodesic").nums());
    assert!(g.iter().any(|v| v.is_infinite()));
}

#[test]
fn geotopological_follows_the_paper_where_rsatoolbox_does_not() {
    let f = fixture("transforms.json").get("paper_ramp").clone();
    let ours =
        rsa::geotopological(&f.get("rdm").nums(), f.get("low").num(), f.get("up").num()).unwrap();
    assert_close("GT on [0,1] data", &ours, &f.get("paper").nums());
    // rsatoolbox 0.3.2 re-thresholds already-rescaled values: it differs on this input.
    let theirs = f.get("rsatoolbox").nums();
    assert!(ours.iter().zip(&theirs).any(|(a, b)| (a - b).abs() > 0.1));
}

#[test]
fn comparisons_match_rsatoolbox() {
    let f = fixture("compare.json");
    for (a, b, vals) in [("a", "b", "values"), ("tied_a", "tied_b", "tied_values")] {
        let (x, y) = (f.get(a).nums(), f.get(b).nums());
        for (key, m) in [
            ("cosine", Comparison::Cosine),
            ("corr", Comparison::Correlation),
            ("spearman", Comparison::Spearman),
            ("tau-a", Comparison::TauA),
        ] {
            let ours = rsa::compare(&x, &y, m).unwrap();
            assert_close(
                &format!("{vals}.{key}"),
                &[ours],
                &[f.get(vals).get(key).num()],
            );
        }
    }
}

#[test]
fn cka_matches_the_numpy_formulas() {
    let f = fixture("cka.json");
    let (n, px, py) = (
        f.get("n").num() as usize,
        f.get("px").num() as usize,
        f.get("py").num() as usize,
    );
    let (x, y) = (f.get("x").nums(), f.get("y").nums());
    let frac = f.get("rbf_fraction").num();
    for (key, k, h) in [
        ("linear_biased", Kernel::Linear, Hsic::Biased),
        ("linear_unbiased", Kernel::Linear, Hsic::Unbiased),
        ("rbf_biased", Kernel::Rbf { fraction: frac }, Hsic::Biased),
        (
            "rbf_unbiased",
            Kernel::Rbf { fraction: frac },
            Hsic::Unbiased,
        ),
    ] {
        let ours = rsa::cka(&x, px, &y, py, n, k, h).unwrap();
        assert_close(key, &[ours], &[f.get("values").get(key).num()]);
    }
}

#[test]
fn crossnobis_matches_rsatoolbox() {
    let f = fixture("crossnobis.json");
    let (k, n, p) = (
        f.get("k").num() as usize,
        f.get("n").num() as usize,
        f.get("p").num() as usize,
    );
    let folds = f.get("folds").nums();
    let prec = f.get("precision").nums();
    let ours = rsa::crossnobis(&folds, k, n, p, None).unwrap();
    assert_close("crossnobis, identity", &ours, &f.get("identity").nums());
    let ours = rsa::crossnobis(&folds, k, n, p, Some(&prec)).unwrap();
    assert_close(
        "crossnobis, precision",
        &ours,
        &f.get("with_precision").nums(),
    );
}
