//! `ganglion_analysis::skeleton` against fixtures from scikit-image (`skeletonize`, 3-D Lee
//! thinning) and the FISBe reference evaluation code, written by
//! `bench/analysis/skeleton_fixtures.py` into `tests/fixtures/skeleton/`.

use std::collections::HashMap;
use std::path::PathBuf;

use ganglion_analysis::skeleton::{self, Options, Volume};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/skeleton")
}

/// `key v1 v2 ...` lines.
fn read(name: &str) -> HashMap<String, Vec<String>> {
    let text = std::fs::read_to_string(dir().join(format!("{name}.txt")))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    text.lines()
        .map(|l| {
            let mut it = l.split_whitespace().map(str::to_string);
            (it.next().expect("a key per line"), it.collect())
        })
        .collect()
}

fn nums<T: std::str::FromStr>(f: &HashMap<String, Vec<String>>, key: &str) -> Vec<T>
where
    T::Err: std::fmt::Debug,
{
    f[key]
        .iter()
        .map(|v| v.parse().expect("a number"))
        .collect()
}

fn volume(f: &HashMap<String, Vec<String>>, key: &str) -> Volume<u32> {
    let s: Vec<usize> = nums(f, "shape");
    let mut v = Volume::filled([s[0], s[1], s[2]], 0u32);
    let pairs: Vec<usize> = nums(f, key);
    for p in pairs.chunks(2) {
        v.data_mut()[p[0]] = p[1] as u32;
    }
    v
}

fn names(prefix: &str) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir())
        .expect("fixture directory")
        .filter_map(|e| {
            let name = e
                .expect("dir entry")
                .file_name()
                .into_string()
                .expect("utf-8 name");
            name.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(".txt"))
                .map(|r| format!("{prefix}{r}"))
        })
        .collect();
    n.sort();
    n
}

#[test]
fn skeletons_equal_scikit_image() {
    let cases = names("skel_");
    assert!(cases.len() >= 8, "fixtures missing: {cases:?}");
    for name in cases {
        let f = read(&name);
        let labels = volume(&f, "voxels");
        let mask = Volume::new(
            labels.shape(),
            labels.data().iter().map(|&l| l > 0).collect(),
        )
        .expect("mask volume");
        let s = skeleton::skeletonize(&mask);
        let got: Vec<usize> = (0..s.len()).filter(|&i| s.data()[i]).collect();
        let want: Vec<usize> = nums(&f, "skeleton");
        assert_eq!(got, want, "{name}: skeleton differs from scikit-image");
    }
}

#[test]
fn metrics_equal_the_reference_code() {
    let cases = names("metrics_");
    assert!(cases.len() >= 6, "fixtures missing: {cases:?}");
    for name in cases {
        let f = read(&name);
        let (gt, pred) = (volume(&f, "gt"), volume(&f, "pred"));
        let e = skeleton::evaluate(&gt, &pred, &Options::default()).expect("evaluate");
        assert_eq!(e.n_gt(), nums::<usize>(&f, "num_gt")[0], "{name}");
        assert_eq!(e.n_pred(), nums::<usize>(&f, "num_pred")[0], "{name}");
        for (key, got) in [
            ("cl_recall", &e.cl_recall),
            ("cl_precision", &e.cl_precision),
            ("cl_dice", &e.cl_dice),
        ] {
            let want: Vec<f64> = nums(&f, key);
            assert_eq!(got.len(), want.len(), "{name} {key}");
            for (k, (&g, &w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(f64::from(g), w, "{name} {key}[{k}]");
            }
        }
        let tp: Vec<usize> = nums(&f, "tp");
        let fp: Vec<usize> = nums(&f, "fp");
        let fn_: Vec<usize> = nums(&f, "fn");
        let f1: Vec<f64> = nums(&f, "f1");
        for (k, c) in e.counts.iter().enumerate() {
            assert_eq!(
                (c.tp, c.fp, c.fn_),
                (tp[k], fp[k], fn_[k]),
                "{name} at {}",
                c.threshold
            );
            assert!((c.f1 - f1[k]).abs() < 1e-12, "{name} F1 at {}", c.threshold);
        }
        let close =
            |a: f64, b: f64, what: &str| assert!((a - b).abs() < 1e-6, "{name} {what}: {a} vs {b}");
        close(e.av_f1, nums::<f64>(&f, "av_f1")[0], "avF1");
        close(e.coverage, nums::<f64>(&f, "coverage")[0], "C");
        close(e.score, nums::<f64>(&f, "score")[0], "S");
        let cov: Vec<f64> = nums(&f, "gt_coverage");
        assert_eq!(cov.len(), e.gt_coverage.len());
        cov.iter()
            .zip(&e.gt_coverage)
            .for_each(|(&w, &g)| close(g, w, "gt coverage"));
        assert_eq!(e.false_splits, nums::<usize>(&f, "fs")[0], "{name} FS");
        assert_eq!(e.false_merges, nums::<usize>(&f, "fm")[0], "{name} FM");
        assert_eq!(e.at(0.5).tp, nums::<usize>(&f, "tp_05")[0], "{name} TP_0.5");
        close(
            e.avg_tp_05_cldice,
            nums::<f64>(&f, "avg_tp_05_cldice")[0],
            "clDiceTP",
        );
    }
}
