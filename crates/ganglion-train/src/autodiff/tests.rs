use super::*;

fn t1(v: &[f64]) -> Tensor {
    Tensor::from_vec(v.to_vec(), v.len(), &Device::Cpu).expect("tensor")
}

fn v1(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64)
        .expect("f64")
        .flatten_all()
        .expect("flat")
        .to_vec1()
        .expect("vec")
}

#[test]
fn spike_forward_is_heaviside_and_backward_is_fast_sigmoid() {
    let x = Var::from_tensor(&t1(&[-1.0, -0.1, 0.0, 0.2, 2.0])).expect("var");
    let s = spike(&x, 5.0).expect("spike");
    assert_eq!(v1(&s), vec![0.0, 0.0, 0.0, 1.0, 1.0]);
    let g = s.sum_all().expect("sum").backward().expect("bwd");
    let got = v1(g.get(&x).expect("grad"));
    let want: Vec<f64> = [-1.0f64, -0.1, 0.0, 0.2, 2.0]
        .iter()
        .map(|x| 1.0 / (1.0 + 5.0 * x.abs()).powi(2))
        .collect();
    for (a, b) in got.iter().zip(&want) {
        assert!((a - b).abs() < 1e-12, "{got:?} vs {want:?}");
    }
    // f32 and a non-contiguous input take the same path.
    let xt = Tensor::from_vec(vec![1.0f32, -1.0, -2.0, 3.0], (2, 2), &Device::Cpu)
        .expect("t")
        .t()
        .expect("t");
    assert_eq!(
        v1(&spike(&xt, 1.0).expect("spike")),
        vec![1.0, 0.0, 0.0, 1.0]
    );
    assert!(spike(&x, 0.0).is_err());
}

#[test]
fn grad_check_flags_a_surrogate_gradient() {
    // A spike's true derivative is 0 almost everywhere, so a surrogate must fail the check:
    // this is what tells grad_check is not vacuous.
    let mut p = Params::new();
    let w = p.add("w", &t1(&[0.3, -0.4])).expect("w");
    let gc = grad_check(&p, || spike(&w, 2.0)?.sum_all(), 1e-4, 2).expect("gc");
    assert!(gc.max_rel_err > 0.9, "{gc:?}");
}

#[test]
fn delay_shifts_and_backpropagates() {
    let x = Var::from_tensor(
        &Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], (3, 2), &Device::Cpu).expect("t"),
    )
    .expect("v");
    let d = delay(&x, 0, 1).expect("delay");
    assert_eq!(v1(&d), vec![0.0, 0.0, 1.0, 2.0, 3.0, 4.0]);
    let g = d.sum_all().expect("s").backward().expect("b");
    assert_eq!(
        v1(g.get(&x).expect("g")),
        vec![1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    );
    assert_eq!(v1(&delay(&x, 0, 5).expect("d")), vec![0.0; 6]);
    assert_eq!(v1(&delay(&x, 1, 0).expect("d")), v1(&x));
}

#[test]
fn bce_and_mse_match_closed_forms_and_finite_differences() {
    let z = [-3.0, -0.5, 0.0, 0.7, 40.0];
    let y = [0.0, 1.0, 1.0, 0.0, 1.0];
    let l = v1(&bce_with_logits(&t1(&z), &t1(&y)).expect("bce"))[0];
    let want: f64 = z
        .iter()
        .zip(&y)
        .map(|(z, y)| {
            let s = 1.0 / (1.0 + (-z).exp());
            -(y * s.max(1e-300).ln() + (1.0 - y) * (1.0 - s).max(1e-300).ln())
        })
        .sum::<f64>()
        / 5.0;
    assert!((l - want).abs() < 1e-12, "{l} vs {want}");
    let mut p = Params::new();
    let zv = p.add("z", &t1(&z[..4])).expect("z");
    let gc = grad_check(&p, || bce_with_logits(&zv, &t1(&y[..4])), 1e-6, 4).expect("gc");
    assert!(gc.max_rel_err < 1e-6, "{gc:?}");
    let gc = grad_check(&p, || mse(&zv, &t1(&y[..4])), 1e-6, 4).expect("gc");
    assert!(gc.max_rel_err < 1e-6, "{gc:?}");
    assert!((v1(&mse(&t1(&[1.0, 3.0]), &t1(&[0.0, 0.0])).expect("mse"))[0] - 5.0).abs() < 1e-12);
}

#[test]
fn adam_first_step_and_convergence() {
    // Adam's first bias-corrected step is lr · sign(g) (up to eps).
    let mut p = Params::new();
    let w = p.add("w", &t1(&[1.0, -2.0, 0.5])).expect("w");
    let target = t1(&[0.25, 0.5, -1.0]);
    let mut opt = Adam::new(&p, 0.1).expect("adam");
    let (loss0, norm) = opt.step(&p, &mse(&w, &target).expect("l")).expect("step");
    assert!((loss0 - (0.5625 + 6.25 + 2.25) / 3.0).abs() < 1e-12);
    // ∇ = 2 (w − target) / 3.
    let g = [1.5, -5.0, 3.0].map(|d: f64| d / 3.0);
    assert!((norm - g.iter().map(|x| x * x).sum::<f64>().sqrt()).abs() < 1e-12);
    let after = v1(&w);
    for (a, (b, s)) in after
        .iter()
        .zip([1.0, -2.0, 0.5].iter().zip([1.0, -1.0, 1.0]))
    {
        assert!((a - (b - 0.1 * s)).abs() < 1e-7, "{after:?}");
    }
    for _ in 0..500 {
        opt.step(&p, &mse(&w, &target).expect("l")).expect("step");
    }
    for (a, b) in v1(&w).iter().zip(v1(&target)) {
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
    }
    // Clipping bounds the pre-moment gradient; with one step its effect is invisible in the
    // sign update, so check it scales the moments: m = (1 − β1) · clipped g.
    let mut p2 = Params::new();
    let w2 = p2.add("w", &t1(&[10.0])).expect("w");
    let mut opt2 = Adam::new(&p2, 0.1).expect("adam");
    opt2.clip_norm = Some(1.0);
    let (_, n) = opt2
        .step(&p2, &w2.sqr().expect("s").sum_all().expect("s"))
        .expect("step");
    assert!((n - 20.0).abs() < 1e-12);
    assert!((v1(&opt2.m[0])[0] - 0.1).abs() < 1e-12);
}

#[test]
fn params_reject_duplicate_names_and_count() {
    let mut p = Params::new();
    p.full("a", &[2, 3], 0.0, DType::F32).expect("a");
    p.normal("b", &[4], 1.0, 9, DType::F32).expect("b");
    assert_eq!(p.count(), 10);
    assert_eq!(p.names(), &["a".to_string(), "b".to_string()]);
    let err = p
        .full("a", &[1], 0.0, DType::F32)
        .expect_err("dup")
        .to_string();
    assert!(err.contains("`a`"), "{err}");
    // Draws are the crate's normal stream: reproducible from the key alone.
    let b = v1(p.get("b").expect("b"));
    assert_eq!(b[2] as f32, crate::normal(9, 2));
}
