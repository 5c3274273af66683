//! Training end to end: synthetic data (always), a Fashion-MNIST subset (when fetched),
//! bit-identical resume, the Dale working-memory RNN, and the structural constraints.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

mod common;

use common::{all_to_all, population, relays, simulation};
use ganglion_data::idx;
use ganglion_train::constraints::{
    Constraints, Dale, GradientScore, HebbianScore, block_mask, prune_regrow,
};
use ganglion_train::optim::{OptimConfig, OptimKind, Schedule};
use ganglion_train::rate_rnn::{RateRnn, Transfer, working_memory_batch};
use ganglion_train::{Model, TrainOptions, TrainReport, Trainer, train_from_spec};
use std::path::{Path, PathBuf};

/// pixels (16 relays) → hidden (32) → out (4), all to all.
fn snn_spec() -> String {
    let lif =
        r#"params = { tau_m = "20 ms", t_ref = "0 ms", tau_syn_ex = "5 ms", tau_syn_in = "5 ms" }"#;
    [
        simulation("1 ms", "20 ms"),
        relays("pixels", 16),
        population("hidden", 32, "iaf_psc_exp", lif),
        population("out", 4, "iaf_psc_exp", lif),
        all_to_all(None, "pixels", "hidden", None),
        all_to_all(None, "hidden", "out", None),
    ]
    .concat()
}

/// 4×4 images, 4 classes: class c lights quadrant c (with noise).
fn synthetic(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for (pre, n, seed) in [("train", 400usize, 1u64), ("t10k", 200, 2)] {
        let mut px = vec![0u8; n * 16];
        let mut lb = vec![0u8; n];
        for s in 0..n {
            let c = s % 4;
            lb[s] = c as u8;
            for p in 0..16 {
                let (r, col) = (p / 4, p % 4);
                let q = (r / 2) * 2 + col / 2;
                let noise = ganglion_data::encode::unit(seed, s as u64, p as u64);
                let v = if q == c {
                    0.6 + 0.4 * noise
                } else {
                    0.3 * noise
                };
                px[s * 16 + p] = (v * 255.0) as u8;
            }
        }
        std::fs::write(
            dir.join(format!("{pre}-images-idx3-ubyte")),
            idx::encode(&[n, 4, 4], &px),
        )
        .expect("w");
        std::fs::write(
            dir.join(format!("{pre}-labels-idx1-ubyte")),
            idx::encode(&[n], &lb),
        )
        .expect("w");
    }
}

fn setup(train_toml: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let d = tempfile::tempdir().expect("tmp");
    let data = d.path().join("data");
    synthetic(&data.join("fashion-mnist"));
    let spec = d.path().join("syn.toml");
    std::fs::write(&spec, snn_spec()).expect("spec");
    std::fs::write(d.path().join("syn.train.toml"), train_toml).expect("sidecar");
    (d, spec, data)
}

/// Train `spec` on the synthetic data in `data` with `opts`, writing into `out`.
fn train_into(spec: &Path, data: &Path, out: &Path, opts: TrainOptions) -> TrainReport {
    let opts = TrainOptions {
        out_dir: Some(out.to_path_buf()),
        ..opts
    };
    train_from_spec(spec, "fashion-mnist", data, opts).expect("train")
}

const SIDE: &str =
    "epochs = 3\nbatch_size = 32\nlr = 0.03\nsteps = 20\ninit_gain = 3.0\nseed = 3\n";

#[test]
fn snn_learns_synthetic_quadrants_and_writes_a_runnable_spec() {
    let (d, spec, data) = setup(SIDE);
    let out = d.path().join("out");
    let r = train_into(&spec, &data, &out, TrainOptions::default());
    assert_eq!(r.epochs, 3);
    assert_eq!(r.metrics.len(), 3);
    assert!(r.test_accuracy > 0.9, "accuracy {}", r.test_accuracy);
    assert!(
        r.json_line().starts_with("{\"epoch_s\":") || r.json_line().contains("\"test_accuracy\"")
    );
    // metrics.csv and metrics.{svg,png} are the CLI's (ganglion-cli src/train.rs tests them).
    // The trained spec validates and names its weight lists.
    let trained = std::fs::read_to_string(&r.trained_spec).expect("trained");
    assert!(trained.contains("w_pixels-hidden"), "{trained}");
    let res = ganglion_model::load_and_validate(&r.trained_spec).expect("trained spec validates");
    assert!(res.projections.len() >= 2);
}

#[test]
fn resume_is_bit_identical() {
    let (d, spec, data) = setup(SIDE);
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let opts = |e: usize, resume: bool| TrainOptions {
        epochs: Some(e),
        resume,
        ..Default::default()
    };
    let ra = train_into(&spec, &data, &a, opts(2, false));
    train_into(&spec, &data, &b, opts(1, false));
    let rb = train_into(&spec, &data, &b, opts(2, true));
    assert_eq!(ra.epochs, rb.epochs);
    assert_eq!(ra.test_accuracy, rb.test_accuracy);
    for (x, y) in ra.metrics.iter().zip(&rb.metrics) {
        assert_eq!(
            (x.train_loss, x.test_loss, x.test_accuracy),
            (y.train_loss, y.test_loss, y.test_accuracy)
        );
    }
    let mut files: Vec<_> = std::fs::read_dir(&a)
        .expect("ls")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().ends_with(".npy"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in files {
        assert_eq!(
            std::fs::read(a.join(&f)).expect("a"),
            std::fs::read(b.join(&f)).expect("b"),
            "{f:?} differs"
        );
    }
}

#[test]
fn dale_source_sign_is_kept() {
    let spec_text = snn_spec().replacen(
        "model = \"iaf_psc_exp\"\nparams",
        "model = \"iaf_psc_exp\"\nsign = \"excitatory\"\nparams",
        1,
    );
    let (d, spec, data) = setup(SIDE);
    std::fs::write(&spec, spec_text).expect("spec");
    let out = d.path().join("out");
    let opts = TrainOptions {
        epochs: Some(1),
        ..Default::default()
    };
    let r = train_into(&spec, &data, &out, opts);
    let arr = ganglion_model::npy::read(&out.join("w_hidden-out.npy")).expect("hidden→out weights");
    let w: Vec<f64> = arr.data;
    assert!(w.iter().all(|&x| x >= 0.0) && w.iter().any(|&x| x > 0.0));
    assert!(
        std::fs::read_to_string(&r.trained_spec)
            .expect("spec")
            .contains("receptor = \"excitatory\"")
    );
}

fn fashion_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    if d.join("fashion-mnist").is_dir() {
        Some(d)
    } else {
        eprintln!("skipped: data/fashion-mnist not fetched (scripts/fetch-data.sh)");
        None
    }
}

/// The example specs on a small Fashion-MNIST subset: well above chance (10 %) in seconds.
#[test]
fn fashion_mnist_subset_examples() {
    let Some(data) = fashion_dir() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tmp = tempfile::tempdir().expect("tmp");
    for (name, epochs, min) in [("fmnist_mlp", 3, 0.6), ("fmnist_snn", 2, 0.5)] {
        let spec = root.join(format!("examples/{name}.toml"));
        let opts = TrainOptions {
            out_dir: Some(tmp.path().join(name)),
            epochs: Some(epochs),
            limit: Some(500),
            batch_size: Some(32),
            ..Default::default()
        };
        let r = train_from_spec(&spec, "fashion-mnist", &data, opts).expect(name);
        assert!(r.test_accuracy > min, "{name}: {}", r.test_accuracy);
    }
}

#[test]
fn dale_rate_rnn_learns_working_memory_and_keeps_signs() {
    let mut net = RateRnn::new(2, 40, 1, 0.8, 10.0, 1.0, 1.0, 7, Transfer::Relu);
    let cfg = OptimConfig {
        kind: OptimKind::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        },
        lr: 0.02,
        schedule: Schedule::Constant,
        weight_decay: 0.0,
        clip: Some(10.0),
    };
    let losses = net.fit(cfg, 300, |it| working_memory_batch(16, 5, 15, 5, it as u64));
    let first: f64 = losses[..10].iter().sum::<f64>() / 10.0;
    let last: f64 = losses[losses.len() - 10..].iter().sum::<f64>() / 10.0;
    assert!(last < 0.2 * first, "loss {first} → {last}");
    // Every recurrent weight has its source unit's sign (zeros allowed); readout rows too.
    for (i, w) in net.w_rec.iter().enumerate() {
        let exc = i / net.n < net.n_exc;
        assert!(if exc { *w >= 0.0 } else { *w <= 0.0 }, "w_rec[{i}] = {w}");
    }
    for (i, w) in net.w_out.iter().enumerate() {
        assert!(if i / net.n_out < net.n_exc {
            *w >= 0.0
        } else {
            *w <= 0.0
        });
    }
    // Held-out trials: the sign of the response is right.
    let test = working_memory_batch(50, 5, 15, 5, 9999);
    let (l, _) = net.loss_grad(&test);
    assert!(l < 0.3, "test loss {l}");
}

#[test]
fn constraints_masks_and_dynamic_sparsity() {
    let mut w = vec![1.0, -2.0, 3.0, -4.0, 0.5, -0.1];
    let c = Constraints {
        row_signs: Some(vec![Dale::Excitatory, Dale::Inhibitory]),
        mask: Some(vec![1, 1, 0, 1, 1, 1]),
        ..Default::default()
    };
    c.apply(&mut w, 3);
    assert_eq!(w, vec![1.0, 0.0, 0.0, -4.0, 0.0, -0.1]);
    let m = block_mask(40, 40, 4, 1.0, 0.0, 1);
    assert_eq!(m.iter().map(|&x| x as usize).sum::<usize>(), 4 * 10 * 10);
    assert_eq!(m[0], 1);
    assert_eq!(m[39], 0);
    // Prune the 2 smallest of 4 present, regrow the 2 absent ones with the largest gradient.
    let mut w = vec![0.1, 5.0, 0.0, -0.2, 3.0, 0.0];
    let mut mask = vec![1, 1, 0, 1, 1, 0];
    let grad = [0.0, 0.0, 0.7, 0.0, 0.0, -0.9];
    assert_eq!(
        prune_regrow(&mut w, &mut mask, 0.5, &GradientScore(&grad), 0.0),
        2
    );
    assert_eq!(mask, vec![0, 1, 1, 0, 1, 1]);
    assert_eq!(w[0], 0.0);
    // Hebbian score: cosine similarity of pre and post activity.
    let pre = [1.0, 0.0, 0.0, 1.0];
    let post = [1.0, 0.0, 0.0, 1.0];
    let h = HebbianScore {
        pre: &pre,
        post: &post,
        samples: 2,
        cols: 2,
    };
    use ganglion_train::constraints::RegrowScore;
    assert!((h.score(0) - 1.0).abs() < 1e-6 && h.score(1).abs() < 1e-6);
}

#[test]
fn recurrent_spec_trains_and_exports() {
    let (d, spec, data) = setup(SIDE);
    let text = snn_spec() + &all_to_all(None, "hidden", "hidden", None);
    std::fs::write(&spec, text).expect("spec");
    let out = d.path().join("out");
    let r = train_into(&spec, &data, &out, TrainOptions::default());
    assert!(r.test_accuracy > 0.85, "accuracy {}", r.test_accuracy);
    let res = ganglion_model::load_and_validate(&r.trained_spec).expect("trained spec validates");
    assert!(
        res.projections
            .iter()
            .any(|p| p.source == p.target && p.autapses)
    );
}

#[test]
fn sparse_masks_and_dynamic_sparse_training_keep_the_density() {
    let side = format!("{SIDE}density = 0.5\ndst_every = 4\ndst_fraction = 0.05\n")
        .replace("init_gain = 3.0", "init_gain = 5.0");
    let (d, spec, data) = setup(&side);
    let out = d.path().join("out");
    let r = train_into(&spec, &data, &out, TrainOptions::default());
    assert!(r.test_accuracy > 0.7, "accuracy {}", r.test_accuracy);
    let t = Trainer::load_checkpoint(&out.join("checkpoint.json")).expect("ckpt");
    let Model::Snn(s) = &t.model else { panic!() };
    let w = &s.layers[0].w;
    let nz = w.iter().filter(|&&x| x != 0.0).count() as f64 / w.len() as f64;
    let mask = t.constraints[0].mask.as_ref().expect("mask");
    let kept = mask.iter().map(|&m| m as f64).sum::<f64>() / mask.len() as f64;
    assert!((kept - 0.5).abs() < 0.08, "mask density {kept}");
    assert!(nz <= kept + 1e-9, "weights outside the mask: {nz} > {kept}");
}

#[test]
fn sgd_momentum_schedule_clip_and_decay() {
    use ganglion_train::optim::Optimizer;
    // Minimise ½‖w − c‖² with SGD + momentum, a step schedule and clipping.
    let c = [3.0f32, -2.0, 0.5];
    let cfg = OptimConfig {
        kind: OptimKind::Sgd { momentum: 0.9 },
        lr: 0.05,
        schedule: Schedule::Step {
            every: 100,
            gamma: 0.5,
        },
        weight_decay: 0.0,
        clip: Some(1.0),
    };
    let mut opt = Optimizer::new(cfg, &[3], &[1.0]);
    let mut w = vec![0f32; 3];
    for it in 0..300 {
        let g: Vec<f32> = w.iter().zip(&c).map(|(a, b)| a - b).collect();
        let n = opt.step(&mut [&mut w], &[&g], cfg.schedule.factor(it / 100, 0.0));
        if it == 0 {
            assert!(
                (n - (9.0f64 + 4.0 + 0.25).sqrt()).abs() < 1e-5,
                "pre-clip norm {n}"
            );
        }
    }
    assert!(w.iter().zip(&c).all(|(a, b)| (a - b).abs() < 1e-3), "{w:?}");
    // Decoupled weight decay shrinks weights with zero gradient.
    let cfg = OptimConfig {
        weight_decay: 0.1,
        lr: 0.1,
        ..Default::default()
    };
    let mut opt = Optimizer::new(cfg, &[1], &[1.0]);
    let mut w = vec![1f32];
    opt.step(&mut [&mut w], &[&[0.0]], 1.0);
    assert!((w[0] - 0.99).abs() < 1e-6);
}
