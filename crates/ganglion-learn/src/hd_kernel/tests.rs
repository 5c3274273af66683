use super::*;
use ganglion_base::rng::Stream;

fn random_raster(w: usize, h: usize, bins: usize, density: f64, key: u64) -> EventRaster {
    let mut s = Stream::new(key);
    let mut ev = Vec::new();
    for t in 0..bins {
        for y in 0..h {
            for x in 0..w {
                for p in 0..2 {
                    if s.uniform() < density {
                        ev.push((t as u32, x as u16, y as u16, p as u8));
                    }
                }
            }
        }
    }
    EventRaster::new(w, h, bins, ev).unwrap()
}

fn random_kernel(shape: KernelShape, key: u64) -> HdKernel {
    let mut k = HdKernel::new(shape).unwrap();
    let mut s = Stream::new(key);
    for i in 0..k.weights.len() {
        if k.live[i] {
            k.weights[i] = s.normal();
        }
    }
    for b in &mut k.bias {
        *b = s.normal();
    }
    k
}

/// The activation by the definition: a sum over every (p, d, dy, dx) of the support.
fn dense_logits(k: &HdKernel, a: &EventRaster, t: usize, x: usize, y: usize) -> Vec<f64> {
    let sh = k.shape;
    let r = sh.radius as isize;
    let mut z = k.bias.clone();
    for p in 0..2 {
        for d in 0..sh.delays {
            for dy in -r..=r {
                for dx in -r..=r {
                    let (xx, yy) = (x as isize + dx, y as isize + dy);
                    if d > t
                        || xx < 0
                        || yy < 0
                        || xx >= a.width() as isize
                        || yy >= a.height() as isize
                    {
                        continue;
                    }
                    if !a.get(p, t - d, xx as usize, yy as usize) {
                        continue;
                    }
                    let f = sh.feature(p, d, dy, dx);
                    for (c, zc) in z.iter_mut().enumerate() {
                        if k.is_live(f, c) {
                            *zc += k.weights[f * sh.classes + c];
                        }
                    }
                }
            }
        }
    }
    z
}

#[test]
fn sparse_activation_matches_the_dense_definition() {
    // Width 100 makes the windows straddle 64-bit words and the sensor edges.
    let a = random_raster(100, 9, 7, 0.08, 1);
    for cone in [None, Some(0.7)] {
        let shape = KernelShape {
            classes: 3,
            delays: 4,
            radius: 3,
            cone_speed: cone,
        };
        let k = random_kernel(shape, 2);
        let (mut feats, mut z) = (Vec::new(), vec![0.0; 3]);
        for t in 0..7 {
            for &(x, y) in a.positions(t) {
                k.features(&a, t, x as usize, y as usize, &mut feats);
                k.logits(&feats, &mut z);
                let want = dense_logits(&k, &a, t, x as usize, y as usize);
                for (u, v) in z.iter().zip(&want) {
                    assert!((u - v).abs() < 1e-9, "t {t} ({x}, {y}): {u} vs {v}");
                }
            }
        }
    }
}

#[test]
fn support_is_a_disc_narrowed_to_a_cone() {
    let shape = KernelShape {
        classes: 2,
        delays: 3,
        radius: 2,
        cone_speed: Some(1.0),
    };
    // Disc of radius 2: 13 offsets; cone radius 1 at d = 0 (5 offsets), 2 at d ≥ 1 (13).
    let k = HdKernel::new(shape).unwrap();
    assert_eq!(k.active_weights(), 2 * 2 * (5 + 13 + 13));
    assert_eq!(k.dense_weights(), 2 * 2 * 3 * 25);
    for f in 0..shape.features() {
        let (p, d, dy, dx) = shape.unfeature(f);
        assert_eq!(shape.feature(p, d, dy, dx), f);
    }
}

#[test]
fn gradient_matches_finite_differences() {
    let a = random_raster(12, 10, 5, 0.15, 3);
    let b = random_raster(12, 10, 5, 0.15, 4);
    let shape = KernelShape {
        classes: 4,
        delays: 3,
        radius: 2,
        cone_speed: None,
    };
    let mut k = random_kernel(shape, 5);
    for w in &mut k.weights {
        *w *= 0.3;
    }
    let movies = [&a, &b];
    let mut outputs = Vec::new();
    for (m, r) in movies.iter().enumerate() {
        for t in 1..5 {
            for &(x, y) in r.positions(t).iter().take(4) {
                outputs.push(Output {
                    movie: m,
                    t: t as u32,
                    x,
                    y,
                    label: ((x as usize + t) % 4) as u32,
                });
            }
        }
    }
    let l2 = 0.01;
    let (_, gw, gb) = k.loss_and_grad(&movies, &outputs, l2);
    let h = 1e-6;
    let mut checked = 0;
    for i in (0..k.weights.len()).step_by(3) {
        if !k.live[i] {
            assert_eq!(gw[i], 0.0);
            continue;
        }
        let w0 = k.weights[i];
        k.weights[i] = w0 + h;
        let up = k.loss_and_grad(&movies, &outputs, l2).0;
        k.weights[i] = w0 - h;
        let down = k.loss_and_grad(&movies, &outputs, l2).0;
        k.weights[i] = w0;
        let fd = (up - down) / (2.0 * h);
        assert!(
            (fd - gw[i]).abs() < 1e-6 * (1.0 + fd.abs()),
            "w[{i}]: {fd} vs {}",
            gw[i]
        );
        checked += 1;
    }
    for (c, &g) in gb.iter().enumerate() {
        let b0 = k.bias[c];
        k.bias[c] = b0 + h;
        let up = k.loss_and_grad(&movies, &outputs, l2).0;
        k.bias[c] = b0 - h;
        let down = k.loss_and_grad(&movies, &outputs, l2).0;
        k.bias[c] = b0;
        assert!(((up - down) / (2.0 * h) - g).abs() < 1e-6);
    }
    assert!(checked > 50);
}

#[test]
fn pruning_keeps_the_largest_and_shortening_cuts_long_delays() {
    let shape = KernelShape {
        classes: 2,
        delays: 3,
        radius: 1,
        cone_speed: None,
    };
    let mut k = random_kernel(shape, 6);
    let mut mags: Vec<f64> = (0..k.weights.len())
        .filter(|&i| k.live[i])
        .map(|i| k.weights[i].abs())
        .collect();
    mags.sort_by(|a, b| b.total_cmp(a));
    assert_eq!(k.prune_to(7), 7);
    assert_eq!(k.active_weights(), 7);
    let mut kept: Vec<f64> = k
        .weights
        .iter()
        .filter(|w| **w != 0.0)
        .map(|w| w.abs())
        .collect();
    kept.sort_by(|a, b| b.total_cmp(a));
    assert_eq!(kept, mags[..7].to_vec());

    let mut k = random_kernel(shape, 6);
    let before = k.active_weights();
    k.shorten_delays(1);
    assert_eq!(k.active_weights(), before / 3);
    let by = k.weight_by_delay();
    assert!(by[0] > 0.0 && by[1] == 0.0 && by[2] == 0.0);
}

#[test]
fn operations_count_the_nonzero_weights_touched() {
    let a = random_raster(20, 6, 4, 0.1, 8);
    let shape = KernelShape {
        classes: 3,
        delays: 2,
        radius: 2,
        cone_speed: None,
    };
    let mut k = random_kernel(shape, 9);
    k.prune_to(40);
    let labels = vec![Some(0); 4];
    let e = k.evaluate(&[(&a, &labels)]);
    let (mut ops, mut n, mut feats) = (0usize, 0usize, Vec::new());
    for t in 0..4 {
        for &(x, y) in a.positions(t) {
            k.features(&a, t, x as usize, y as usize, &mut feats);
            for &f in &feats {
                ops += (0..3).filter(|&c| k.is_live(f as usize, c)).count();
            }
            n += 1;
        }
    }
    assert!((e.ops_per_output - ops as f64 / n as f64).abs() < 1e-12);
    assert_eq!(e.decisions, 4);
}

#[test]
fn variants_evaluate_as_their_own_kernels() {
    let a = random_raster(30, 8, 6, 0.1, 10);
    let labels: Vec<Option<usize>> = (0..6).map(|t| (t > 0).then_some(t % 3)).collect();
    let shape = KernelShape {
        classes: 3,
        delays: 3,
        radius: 2,
        cone_speed: None,
    };
    let full = random_kernel(shape, 11);
    let mut pruned = full.clone();
    pruned.prune_to(25);
    let mut short = full.clone();
    short.shorten_delays(1);
    let movies = [(&a, labels.as_slice())];
    let many = full.evaluate_variants(&[full.clone(), pruned.clone(), short.clone()], &movies);
    for (e, k) in many.iter().zip([&full, &pruned, &short]) {
        assert_eq!(*e, k.evaluate(&movies));
    }
}

fn as_refs(v: &[(EventRaster, Vec<Option<usize>>)]) -> Vec<(&EventRaster, &[Option<usize>])> {
    v.iter().map(|(a, l)| (a, l.as_slice())).collect()
}

/// Dots moving one pixel per bin left or right: direction is in the delays, not in one bin.
fn dots(direction: isize, key: u64) -> EventRaster {
    let mut s = Stream::new(key);
    let mut ev = Vec::new();
    for _ in 0..6 {
        let (x0, y) = (s.below(40) as isize, s.below(8) as u16);
        for t in 0..10isize {
            let x = (x0 + direction * t).rem_euclid(40);
            ev.push((t as u32, x as u16, y, 1));
        }
    }
    EventRaster::new(40, 8, 10, ev).unwrap()
}

#[test]
fn delays_are_needed_to_tell_the_direction_of_motion() {
    let train: Vec<(EventRaster, Vec<Option<usize>>)> = (0..40)
        .map(|i| {
            let c = i % 2;
            (
                dots(if c == 0 { 1 } else { -1 }, 100 + i as u64),
                vec![Some(c); 10],
            )
        })
        .collect();
    let test: Vec<(EventRaster, Vec<Option<usize>>)> = (0..20)
        .map(|i| {
            let c = i % 2;
            let mut l = vec![Some(c); 10];
            l[0] = None; // bin 0 has no past
            (dots(if c == 0 { 1 } else { -1 }, 900 + i as u64), l)
        })
        .collect();
    let mut acc = Vec::new();
    for delays in [1, 2] {
        let cfg = HdConfig {
            shape: KernelShape {
                classes: 2,
                delays,
                radius: 2,
                cone_speed: None,
            },
            epochs: 5,
            batch: 32,
            learning_rate: 0.05,
            l2: 0.0,
            outputs_per_bin: 0,
            seed: 1,
        };
        let t = fit(&cfg, &as_refs(&train)).unwrap();
        assert!(t.epoch_loss.last().unwrap() <= &t.epoch_loss[0]);
        acc.push(t.kernel.evaluate(&as_refs(&test)).accuracy);
    }
    // One bin holds only positions: chance (0.5 ± noise). Two delays see the previous
    // position: the direction is determined.
    assert!(acc[0] < 0.75, "{acc:?}");
    assert!(acc[1] > 0.98, "{acc:?}");
}
