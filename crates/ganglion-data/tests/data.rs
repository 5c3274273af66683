#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report
use ganglion_data::{DataError, Split, batch, encode, idx, images, load_named};
use std::io::Write;
use std::path::{Path, PathBuf};

fn write_gz(path: &Path, bytes: &[u8]) {
    let f = std::fs::File::create(path).expect("create");
    let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    gz.write_all(bytes).expect("write");
    gz.finish().expect("finish");
}

/// A tiny MNIST-layout directory: 5 train and 3 test images of 4×3 pixels.
fn fixture(dir: &Path, gz: bool) {
    for (pre, n) in [("train", 5usize), ("t10k", 3)] {
        let px: Vec<u8> = (0..n * 12).map(|k| (k * 17 % 256) as u8).collect();
        let lb: Vec<u8> = (0..n).map(|k| (k % 10) as u8).collect();
        let im = idx::encode(&[n, 4, 3], &px);
        let la = idx::encode(&[n], &lb);
        if gz {
            write_gz(&dir.join(format!("{pre}-images-idx3-ubyte.gz")), &im);
            write_gz(&dir.join(format!("{pre}-labels-idx1-ubyte.gz")), &la);
        } else {
            std::fs::write(dir.join(format!("{pre}-images-idx3-ubyte")), im).expect("w");
            std::fs::write(dir.join(format!("{pre}-labels-idx1-ubyte")), la).expect("w");
        }
    }
}

#[test]
fn idx_raw_and_gz_read_the_same() {
    let a = tempfile::tempdir().expect("tmp");
    let b = tempfile::tempdir().expect("tmp");
    fixture(a.path(), false);
    fixture(b.path(), true);
    for split in [Split::Train, Split::Test] {
        let x = images::load_idx_dir(a.path(), split).expect("raw");
        let y = images::load_idx_dir(b.path(), split).expect("gz");
        assert_eq!(x, y);
        assert_eq!((x.rows, x.cols, x.classes), (4, 3, 10));
    }
    let tr = images::load_idx_dir(a.path(), Split::Train).expect("raw");
    assert_eq!(tr.len(), 5);
    assert_eq!(tr.labels, vec![0, 1, 2, 3, 4]);
    assert!((tr.image(1)[0] - (12.0 * 17.0 % 256.0) / 255.0).abs() < 1e-6);
    // By name, with the fetch script's layout.
    let root = tempfile::tempdir().expect("tmp");
    std::fs::create_dir(root.path().join("fashion-mnist")).expect("mkdir");
    fixture(&root.path().join("fashion-mnist"), true);
    assert_eq!(
        load_named("fashion-mnist", root.path(), Split::Test)
            .expect("named")
            .len(),
        3
    );
}

#[test]
fn idx_errors_name_the_problem() {
    assert!(idx::parse(&[1, 2, 3]).is_err());
    let e = idx::parse(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]).unwrap_err();
    assert!(e.contains("0x0d"), "{e}");
    let e = idx::parse(&idx::encode(&[3], &[1, 2])).unwrap_err();
    assert!(e.contains("need 3"), "{e}");
    let d = tempfile::tempdir().expect("tmp");
    let err = images::load_idx_dir(d.path(), Split::Train).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }));
    assert!(err.to_string().contains("fetch-data.sh"));
    // Mismatched counts.
    std::fs::write(
        d.path().join("train-images-idx3-ubyte"),
        idx::encode(&[2, 1, 1], &[0, 1]),
    )
    .expect("w");
    std::fs::write(
        d.path().join("train-labels-idx1-ubyte"),
        idx::encode(&[3], &[0, 1, 2]),
    )
    .expect("w");
    assert!(matches!(
        images::load_idx_dir(d.path(), Split::Train),
        Err(DataError::Mismatch { .. })
    ));
    assert!(matches!(
        load_named("cifar", d.path(), Split::Train),
        Err(DataError::UnknownDataset(_))
    ));
}

#[test]
fn digits_csv() {
    let d = tempfile::tempdir().expect("tmp");
    let mut text = String::new();
    for k in 0..4 {
        let row: Vec<String> = (0..64).map(|p| ((p + k) % 17).to_string()).collect();
        text += &format!("{},{}\n", row.join(","), k);
    }
    let p = d.path().join("digits.csv.gz");
    write_gz(&p, text.as_bytes());
    let s = images::load_digits_csv(&p).expect("digits");
    assert_eq!((s.len(), s.rows, s.cols), (4, 8, 8));
    assert_eq!(s.labels, vec![0, 1, 2, 3]);
    assert_eq!(s.image(0)[16], 16.0 / 16.0);
}

#[test]
fn poisson_rate_matches_intensity_and_is_seeded() {
    let x: Vec<f32> = (0..100).map(|i| i as f32 / 100.0).collect();
    let key = encode::stream_key(3, 17);
    let s = encode::poisson(&x, 2000, 1.0, key);
    assert_eq!(s, encode::poisson(&x, 2000, 1.0, key));
    assert_ne!(s, encode::poisson(&x, 2000, 1.0, encode::stream_key(3, 18)));
    for i in [0usize, 10, 50, 90] {
        let rate = (0..2000).map(|t| s[t * 100 + i] as f64).sum::<f64>() / 2000.0;
        let p = x[i] as f64;
        assert!(
            (rate - p).abs() < 4.0 * (p * (1.0 - p) / 2000.0).sqrt() + 1e-9,
            "input {i}: rate {rate} vs {p}"
        );
    }
    // Gain scales and clips.
    let s2 = encode::poisson(&[0.6], 1000, 2.0, key);
    assert!(s2.iter().all(|&v| v == 1));
}

#[test]
fn latency_brightest_first() {
    let s = encode::latency(&[1.0, 0.5, 0.0, 0.05], 11, 0.1);
    let when = |i: usize| (0..11).find(|&t| s[t * 4 + i] == 1);
    assert_eq!(when(0), Some(0));
    assert_eq!(when(1), Some(5));
    assert_eq!(when(2), None);
    assert_eq!(when(3), None);
    assert_eq!(s.iter().map(|&v| v as usize).sum::<usize>(), 2);
}

#[test]
fn batches_cover_every_sample_once_and_depend_on_seed_and_epoch() {
    let mut seen: Vec<usize> = batch::Batches::new(103, 10, 5, 0).flatten().collect();
    assert_eq!(batch::Batches::new(103, 10, 5, 0).num_batches(), 11);
    let order = seen.clone();
    seen.sort_unstable();
    assert_eq!(seen, (0..103).collect::<Vec<_>>());
    assert_eq!(order, batch::permutation(103, 5, 0));
    assert_ne!(order, batch::permutation(103, 5, 1));
    assert_ne!(order, batch::permutation(103, 6, 0));
    assert_ne!(order, (0..103).collect::<Vec<_>>());
    let sizes: Vec<usize> = batch::Batches::new(103, 10, 5, 0)
        .map(|b| b.len())
        .collect();
    assert_eq!(sizes.last(), Some(&3));
}

/// The repository's data folder, if `scripts/fetch-data.sh` has fetched `name` into it
/// (otherwise the test is skipped, with a note).
fn fetched(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    if !dir.join(name).is_dir() {
        eprintln!("skipped: data/{name} not fetched");
        return None;
    }
    Some(dir)
}

/// The real datasets, when `scripts/fetch-data.sh` has fetched them (skipped otherwise).
#[test]
fn real_fashion_mnist_if_present() {
    let Some(dir) = fetched("fashion-mnist") else {
        return;
    };
    let te = load_named("fashion-mnist", &dir, Split::Test).expect("fashion-mnist");
    assert_eq!(
        (te.len(), te.rows, te.cols, te.classes),
        (10000, 28, 28, 10)
    );
    let mut counts = [0usize; 10];
    te.labels.iter().for_each(|&l| counts[l as usize] += 1);
    assert!(counts.iter().all(|&c| c == 1000));
}

/// scikit-learn's digits, when fetched: 1797 images, 8×8, labels 0..9, 1437/360 split.
#[test]
fn real_digits_if_present() {
    let Some(dir) = fetched("digits") else {
        return;
    };
    let tr = load_named("digits", &dir, Split::Train).expect("digits");
    let te = load_named("digits", &dir, Split::Test).expect("digits");
    assert_eq!((tr.len(), te.len(), tr.rows, tr.cols), (1437, 360, 8, 8));
    assert!(tr.images.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert!(tr.labels.iter().all(|&l| l < 10));
}
