//! Burn (flex CPU backend + autodiff) side of bench/autodiff: same workloads as the candle side.
use burn::prelude::*;
use burn::tensor::{Distribution, Int, activation};
use std::time::Instant;

type P = Vec<Tensor<2>>;

fn param(shape: [usize; 2], std: f64, dev: &Device) -> Tensor<2> {
    Tensor::<2>::random(shape, Distribution::Normal(0.0, std), dev).require_grad()
}
fn fill(shape: [usize; 2], v: f32, dev: &Device) -> Tensor<2> {
    Tensor::<2>::full(shape, v, dev).require_grad()
}

struct Adam {
    m: Vec<Tensor<2>>,
    v: Vec<Tensor<2>>,
    t: i32,
    lr: f64,
}
impl Adam {
    fn step(&mut self, p: &mut P, loss: Tensor<1>) {
        let grads = loss.backward();
        self.t += 1;
        let (b1, b2) = (0.9f64, 0.999f64);
        let c1 = 1.0 - b1.powi(self.t);
        let c2 = 1.0 - b2.powi(self.t);
        for i in 0..p.len() {
            let Some(g) = p[i].grad(&grads) else { continue };
            self.m[i] = self.m[i].clone().mul_scalar(b1) + g.clone().mul_scalar(1.0 - b1);
            self.v[i] = self.v[i].clone().mul_scalar(b2) + (g.clone() * g).mul_scalar(1.0 - b2);
            let upd = self.m[i].clone().div_scalar(c1) / (self.v[i].clone().div_scalar(c2).sqrt().add_scalar(1e-8));
            p[i] = (p[i].clone().inner() - upd.mul_scalar(self.lr)).autodiff().require_grad();
        }
    }
}

fn elm(p: &P, x: &Tensor<3>, target: &Tensor<3>, kappa_s: &Tensor<2>, kappa_m: &Tensor<2>, lam: &Tensor<2>) -> Tensor<1> {
    let [t_len, b, ns] = x.dims();
    let (nb, spb, dm) = (45usize, 100usize, 20usize);
    let dev = x.device();
    let w_s = activation::relu(p[0].clone());
    let mut s = Tensor::<2>::zeros([b, ns], &dev);
    let mut m = Tensor::<2>::zeros([b, dm], &dev);
    let mut ys = Vec::with_capacity(t_len);
    for t in 0..t_len {
        let xt: Tensor<2> = x.clone().narrow(0, t, 1).reshape([b, ns]);
        s = s * kappa_s.clone() + xt * w_s.clone();
        let syn: Tensor<2> = s.clone().reshape([b, nb, spb]).sum_dim(2).reshape([b, nb]);
        let mm = m * kappa_m.clone();
        let h = activation::relu(Tensor::cat(vec![syn, mm.clone()], 1).matmul(p[1].clone()) + p[2].clone());
        let d = (h.matmul(p[3].clone()) + p[4].clone()).mul_scalar(2.0 / 3.0).tanh().mul_scalar(1.7159);
        m = mm + d * lam.clone();
        ys.push(m.clone().matmul(p[5].clone()) + p[6].clone());
    }
    let y: Tensor<3> = Tensor::stack(ys, 0);
    (y - target.clone()).powf_scalar(2.0).mean()
}

/// As `elm`, with the synapse-wide work hoisted out of the loop (as ganglion_train::autodiff::elm):
/// with one synaptic time constant the branch sum commutes with the trace recursion, so the
/// branch sums are one matrix product with the block-diagonal synapse→branch matrix.
fn elm_hoisted(p: &P, x: &Tensor<3>, target: &Tensor<3>, kappa_b: f64, kappa_m: &Tensor<2>, lam: &Tensor<2>) -> Tensor<1> {
    let [t_len, b, ns] = x.dims();
    let (nb, spb, dm) = (45usize, 100usize, 20usize);
    let dev = x.device();
    let bo: Vec<f32> = (0..ns * nb).map(|k| if (k / nb) / spb == k % nb { 1.0 } else { 0.0 }).collect();
    let branch_of = Tensor::<1>::from_floats(bo.as_slice(), &dev).reshape([ns, nb]);
    let w_bd: Tensor<2> = activation::relu(p[0].clone()).reshape([ns, 1]) * branch_of;
    let drive: Tensor<3> = x.clone().reshape([t_len * b, ns]).matmul(w_bd).reshape([t_len, b, nb]);
    let mut syn = Tensor::<2>::zeros([b, nb], &dev);
    let mut m = Tensor::<2>::zeros([b, dm], &dev);
    let mut ms = Vec::with_capacity(t_len);
    for t in 0..t_len {
        syn = syn.mul_scalar(kappa_b) + drive.clone().narrow(0, t, 1).reshape([b, nb]);
        let mm = m * kappa_m.clone();
        let h = activation::relu(Tensor::cat(vec![syn.clone(), mm.clone()], 1).matmul(p[1].clone()) + p[2].clone());
        let d = (h.matmul(p[3].clone()) + p[4].clone()).mul_scalar(2.0 / 3.0).tanh().mul_scalar(1.7159);
        m = mm + d * lam.clone();
        ms.push(m.clone());
    }
    let all: Tensor<3> = Tensor::stack(ms, 0);
    let y: Tensor<2> = all.reshape([t_len * b, dm]).matmul(p[5].clone()) + p[6].clone();
    (y.reshape([t_len, b, 2]) - target.clone()).powf_scalar(2.0).mean()
}

fn layer_norm(x: Tensor<3>, g: Tensor<2>, b: Tensor<2>) -> Tensor<3> {
    let [bb, t, d] = x.dims();
    let mu = x.clone().mean_dim(2);
    let xc = x - mu;
    let var = xc.clone().powf_scalar(2.0).mean_dim(2);
    let _ = (bb, t);
    xc / var.add_scalar(1e-5).sqrt() * g.reshape([1, 1, d]) + b.reshape([1, 1, d])
}

fn tf(p: &P, ids: &Tensor<1, Int>, onehot: &Tensor<2>, mask: &Tensor<4>) -> Tensor<1> {
    let (d, h, nl, vocab, b, t) = (64usize, 4usize, 2usize, 128usize, 16usize, 64usize);
    let dh = d / h;
    let mut x: Tensor<3> = p[0].clone().select(0, ids.clone()).reshape([b, t, d]) + p[1].clone().reshape([1, t, d]);
    for l in 0..nl {
        let q = &p[2 + 12 * l..2 + 12 * (l + 1)];
        let xn: Tensor<2> = layer_norm(x.clone(), q[8].clone(), q[9].clone()).reshape([b * t, d]);
        let qkv: Tensor<5> = (xn.matmul(q[0].clone()) + q[4].clone()).reshape([b, t, 3, h, dh]);
        let part = |i: usize| -> Tensor<4> { qkv.clone().narrow(2, i, 1).reshape([b, t, h, dh]).swap_dims(1, 2) };
        let (qq, kk, vv) = (part(0), part(1), part(2));
        let att = activation::softmax(qq.matmul(kk.swap_dims(2, 3)).div_scalar((dh as f64).sqrt()) + mask.clone(), 3);
        let o: Tensor<2> = att.matmul(vv).swap_dims(1, 2).reshape([b * t, d]);
        x = x + (o.matmul(q[1].clone()) + q[5].clone()).reshape([b, t, d]);
        let xn: Tensor<2> = layer_norm(x.clone(), q[10].clone(), q[11].clone()).reshape([b * t, d]);
        let hd = activation::gelu(xn.matmul(q[2].clone()) + q[6].clone());
        x = x + (hd.matmul(q[3].clone()) + q[7].clone()).reshape([b, t, d]);
    }
    let n = p.len();
    let xn: Tensor<2> = layer_norm(x, p[n - 3].clone(), p[n - 2].clone()).reshape([b * t, d]);
    let logits = xn.matmul(p[n - 1].clone());
    let _ = vocab;
    (activation::log_softmax(logits, 1) * onehot.clone()).sum().neg().div_scalar((b * t) as f64)
}

fn peak_rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines().find(|l| l.starts_with("VmHWM")).and_then(|l| l.split_whitespace().nth(1)).and_then(|x| x.parse().ok()).unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map(String::as_str).unwrap_or("elm").to_string();
    let reps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let dev = Device::flex().autodiff();
    let mut times = Vec::new();
    let nparam: usize;
    let mut last = 0.0f32;
    if which == "elm" || which == "elm-hoisted" {
        let (nb, spb, dm) = (45usize, 100usize, 20usize);
        let (ns, hid) = (nb * spb, 2 * dm);
        let mut p: P = vec![
            fill([1, ns], 0.5, &dev),
            param([nb + dm, hid], (1.0 / (nb + dm) as f64).sqrt(), &dev),
            fill([1, hid], 0.0, &dev),
            param([hid, dm], (1.0 / hid as f64).sqrt(), &dev),
            fill([1, dm], 0.0, &dev),
            param([dm, 2], (1.0 / dm as f64).sqrt(), &dev),
            fill([1, 2], 0.0, &dev),
        ];
        nparam = p.iter().map(|t| t.shape().num_elements()).sum();
        let kappa_s = Tensor::<2>::full([1, ns], (-1.0f32 / 5.0).exp(), &dev);
        let km: Vec<f32> = (0..dm).map(|i| (-1.0 / 150f64.powf(i as f64 / (dm - 1) as f64)).exp() as f32).collect();
        let kappa_m = Tensor::<1>::from_floats(km.as_slice(), &dev).reshape([1, dm]);
        let lam = kappa_m.clone().neg().add_scalar(1.0).mul_scalar(5.0);
        let x = Tensor::<3>::random([100, 32, ns], Distribution::Bernoulli(0.02), &dev);
        let y = Tensor::<3>::random([100, 32, 2], Distribution::Normal(0.0, 1.0), &dev);
        let mut opt = Adam { m: p.iter().map(|t| t.clone().inner().zeros_like()).collect(), v: p.iter().map(|t| t.clone().inner().zeros_like()).collect(), t: 0, lr: 1e-3 };
        for r in 0..reps + 2 {
            let t0 = Instant::now();
            let loss = if which == "elm" {
                elm(&p, &x, &y, &kappa_s, &kappa_m, &lam)
            } else {
                elm_hoisted(&p, &x, &y, (-1.0f64 / 5.0).exp(), &kappa_m, &lam)
            };
            last = loss.clone().into_scalar::<f32>();
            opt.step(&mut p, loss);
            if r >= 2 { times.push(t0.elapsed().as_secs_f64()); }
        }
    } else {
        let (d, nl, vocab, seq) = (64usize, 2usize, 128usize, 64usize);
        let mut p: P = vec![param([vocab, d], 0.02, &dev), param([seq, d], 0.02, &dev)];
        for _ in 0..nl {
            for shape in [[d, 3 * d], [d, d], [d, 4 * d], [4 * d, d]] { p.push(param(shape, 0.02, &dev)); }
            for n in [3 * d, d, 4 * d, d] { p.push(fill([1, n], 0.0, &dev)); }
            for _ in 0..2 { p.push(fill([1, d], 1.0, &dev)); p.push(fill([1, d], 0.0, &dev)); }
        }
        p.push(fill([1, d], 1.0, &dev)); p.push(fill([1, d], 0.0, &dev)); p.push(param([d, vocab], 0.02, &dev));
        nparam = p.iter().map(|t| t.shape().num_elements()).sum();
        let mask: Vec<f32> = (0..seq * seq).map(|i| if i % seq > i / seq { -1e9 } else { 0.0 }).collect();
        let mask = Tensor::<1>::from_floats(mask.as_slice(), &dev).reshape([1, 1, seq, seq]);
        let ids: Vec<i32> = (0..16 * 64).map(|i| ((i * 7919 + 13) % 128) as i32).collect();
        let ids = Tensor::<1, Int>::from_ints(ids.as_slice(), &dev);
        let oh: Vec<f32> = (0..16 * 64).flat_map(|i| { let c = (i * 104729 + 7) % 128; (0..128).map(move |k| if k == c { 1.0 } else { 0.0 }) }).collect();
        let onehot = Tensor::<1>::from_floats(oh.as_slice(), &dev).reshape([16 * 64, 128]);
        let mut opt = Adam { m: p.iter().map(|t| t.clone().inner().zeros_like()).collect(), v: p.iter().map(|t| t.clone().inner().zeros_like()).collect(), t: 0, lr: 1e-3 };
        for r in 0..reps + 2 {
            let t0 = Instant::now();
            let loss = tf(&p, &ids, &onehot, &mask);
            last = loss.clone().into_scalar::<f32>();
            opt.step(&mut p, loss);
            if r >= 2 { times.push(t0.elapsed().as_secs_f64()); }
        }
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("{{\"lib\":\"burn-flex\",\"workload\":\"{which}\",\"params\":{nparam},\"median_ms\":{:.3},\"min_ms\":{:.3},\"peak_rss_mib\":{:.1},\"loss\":{last}}}", times[times.len() / 2] * 1e3, times[0] * 1e3, peak_rss_kib() as f64 / 1024.0);
}
