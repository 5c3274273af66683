//! Candle side of bench/autodiff: ELM cell and small transformer training steps (f32, CPU).
use candle_core::{CpuStorage, D, DType, Device, Layout, Result, Shape, Tensor, Var};
use std::time::Instant;

/// Surrogate spike: Heaviside forward, fast-sigmoid derivative backward.
struct Spike {
    slope: f64,
}
impl candle_core::CustomOp1 for Spike {
    fn name(&self) -> &'static str {
        "surrogate-spike"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (a, b) = l.contiguous_offsets().expect("contiguous input");
        let out = match s {
            CpuStorage::F32(v) => CpuStorage::F32(v[a..b].iter().map(|&x| if x > 0.0 { 1.0 } else { 0.0 }).collect()),
            CpuStorage::F64(v) => CpuStorage::F64(v[a..b].iter().map(|&x| if x > 0.0 { 1.0 } else { 0.0 }).collect()),
            _ => candle_core::bail!("spike: f32/f64 only"),
        };
        Ok((out, l.shape().clone()))
    }
    fn bwd(&self, arg: &Tensor, _res: &Tensor, g: &Tensor) -> Result<Option<Tensor>> {
        let d = ((arg.abs()? * self.slope)? + 1.0)?.sqr()?.recip()?;
        Ok(Some(g.mul(&d)?))
    }
}

/// A delay of `d` steps along dim 0 (time): composed of differentiable narrow + pad, no custom op.
fn delay(x: &Tensor, d: usize) -> Result<Tensor> {
    let t = x.dim(0)?;
    x.narrow(0, 0, t - d)?.pad_with_zeros(0, d, 0)
}

struct Adam {
    vars: Vec<Var>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    t: i32,
    lr: f64,
}
impl Adam {
    fn new(vars: Vec<Var>, lr: f64) -> Result<Self> {
        let m = vars.iter().map(|v| v.zeros_like()).collect::<Result<Vec<_>>>()?;
        let v = m.clone();
        Ok(Self { vars, m, v, t: 0, lr })
    }
    fn step(&mut self, loss: &Tensor) -> Result<()> {
        let grads = loss.backward()?;
        self.t += 1;
        let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
        let c1 = 1.0 - b1.powi(self.t);
        let c2 = 1.0 - b2.powi(self.t);
        for i in 0..self.vars.len() {
            let Some(g) = grads.get(&self.vars[i]) else { continue };
            self.m[i] = ((&self.m[i] * b1)? + (g * (1.0 - b1))?)?;
            self.v[i] = ((&self.v[i] * b2)? + (g.sqr()? * (1.0 - b2))?)?;
            let upd = ((&self.m[i] / c1)? / ((&self.v[i] / c2)?.sqrt()? + eps)?)?;
            self.vars[i].set(&(self.vars[i].as_tensor() - (upd * self.lr)?)?)?;
        }
        Ok(())
    }
}

fn randn(shape: &[usize], std: f64, dev: &Device) -> Result<Var> {
    Var::from_tensor(&(Tensor::randn(0f32, 1f32, shape, dev)? * std)?)
}

fn elm_setup(dev: &Device, hoist: bool) -> Result<(Vec<Var>, Box<dyn Fn(&[Var], &Tensor, &Tensor) -> Result<Tensor>>)> {
    let (nb, spb, dm) = (45usize, 100usize, 20usize);
    let ns = nb * spb;
    let hid = 2 * dm;
    let vars = vec![
        Var::from_tensor(&Tensor::full(0.5f32, ns, dev)?)?, // proto w_s
        randn(&[nb + dm, hid], (1.0 / (nb + dm) as f64).sqrt(), dev)?,
        Var::from_tensor(&Tensor::zeros(hid, DType::F32, dev)?)?,
        randn(&[hid, dm], (1.0 / hid as f64).sqrt(), dev)?,
        Var::from_tensor(&Tensor::zeros(dm, DType::F32, dev)?)?,
        randn(&[dm, 2], (1.0 / dm as f64).sqrt(), dev)?,
        Var::from_tensor(&Tensor::zeros(2, DType::F32, dev)?)?,
    ];
    let kappa_s = Tensor::full((-1.0f32 / 5.0).exp(), ns, dev)?;
    let taus: Vec<f32> = (0..dm).map(|i| 10f64.powf(2.0f64.log10() * 0.0 + (150f64.log10()) * i as f64 / (dm - 1) as f64) as f32).collect();
    let kappa_m = Tensor::new(taus.iter().map(|t| (-1.0 / t).exp()).collect::<Vec<f32>>(), dev)?;
    let lam_1mk = ((1.0 - &kappa_m)? * 5.0)?;
    let (kappa_mh, lam_h) = (kappa_m.clone(), lam_1mk.clone());
    let f = move |v: &[Var], x: &Tensor, target: &Tensor| -> Result<Tensor> {
        let (t_len, b, _) = x.dims3()?;
        // Candle's binary ops take a fast path only for contiguous operands of equal shape;
        // a broadcast operand goes through per-element strided indexing. With PREBROADCAST=1
        // the synapse-wide factors are expanded to (batch, synapses) once per forward pass.
        let pre = std::env::var("PREBROADCAST").is_ok_and(|v| v == "1");
        let w_s = v[0].relu()?;
        let (w_s, kappa_s) = if pre {
            (w_s.broadcast_as((b, ns))?.contiguous()?, kappa_s.broadcast_as((b, ns))?.contiguous()?)
        } else {
            (w_s, kappa_s.clone())
        };
        let mut s = Tensor::zeros((b, ns), DType::F32, x.device())?;
        let mut m = Tensor::zeros((b, dm), DType::F32, x.device())?;
        let mut ys = Vec::with_capacity(t_len);
        for t in 0..t_len {
            s = (s.broadcast_mul(&kappa_s)? + x.get(t)?.broadcast_mul(&w_s)?)?;
            let syn = s.reshape((b, nb, spb))?.sum(2)?;
            let mm = m.broadcast_mul(&kappa_m)?;
            let inp = Tensor::cat(&[&syn, &mm], 1)?;
            let h = inp.matmul(&v[1])?.broadcast_add(&v[2])?.relu()?;
            let d = h.matmul(&v[3])?.broadcast_add(&v[4])?;
            let d = ((d * (2.0 / 3.0))?.tanh()? * 1.7159)?;
            m = (mm + d.broadcast_mul(&lam_1mk)?)?;
            ys.push(m.matmul(&v[5])?.broadcast_add(&v[6])?);
        }
        let y = Tensor::stack(&ys, 0)?;
        (y - target)?.sqr()?.mean_all()
    };
    // As ganglion_train::autodiff::elm: with one synaptic time constant the branch sum commutes
    // with the trace recursion, so the synapse-wide work is one matrix product for all steps
    // and the loop runs on (batch, branches).
    let kappa_b = (-1.0f64 / 5.0).exp();
    let branch_of: Vec<f32> = (0..ns * nb).map(|k| if (k / nb) / spb == k % nb { 1.0 } else { 0.0 }).collect();
    let branch_of = Tensor::from_vec(branch_of, (ns, nb), dev)?;
    let hoisted = move |v: &[Var], x: &Tensor, target: &Tensor| -> Result<Tensor> {
        let (t_len, b, _) = x.dims3()?;
        // The branch sums as one product with the block-diagonal synapse→branch matrix.
        let w_bd = v[0].relu()?.reshape((ns, 1))?.broadcast_mul(&branch_of)?;
        let drive = x.reshape((t_len * b, ns))?.matmul(&w_bd)?.reshape((t_len, b, nb))?;
        let mut syn = Tensor::zeros((b, nb), DType::F32, x.device())?;
        let mut m = Tensor::zeros((b, dm), DType::F32, x.device())?;
        let mut ms = Vec::with_capacity(t_len);
        for t in 0..t_len {
            syn = ((syn * kappa_b)? + drive.get(t)?)?;
            let mm = m.broadcast_mul(&kappa_mh)?;
            let inp = Tensor::cat(&[&syn, &mm], 1)?;
            let h = inp.matmul(&v[1])?.broadcast_add(&v[2])?.relu()?;
            let d = h.matmul(&v[3])?.broadcast_add(&v[4])?;
            let d = ((d * (2.0 / 3.0))?.tanh()? * 1.7159)?;
            m = (mm + d.broadcast_mul(&lam_h)?)?;
            ms.push(m.clone());
        }
        let y = Tensor::stack(&ms, 0)?.reshape((t_len * b, dm))?.matmul(&v[5])?.broadcast_add(&v[6])?;
        (y.reshape((t_len, b, 2))? - target)?.sqr()?.mean_all()
    };
    if hoist {
        return Ok((vars, Box::new(hoisted)));
    }
    Ok((vars, Box::new(f)))
}

fn layer_norm(x: &Tensor, g: &Tensor, b: &Tensor) -> Result<Tensor> {
    let mu = x.mean_keepdim(D::Minus1)?;
    let xc = x.broadcast_sub(&mu)?;
    let var = xc.sqr()?.mean_keepdim(D::Minus1)?;
    xc.broadcast_div(&(var + 1e-5)?.sqrt()?)?.broadcast_mul(g)?.broadcast_add(b)
}

fn softmax_last(x: &Tensor) -> Result<Tensor> {
    let mx = x.max_keepdim(D::Minus1)?.detach();
    let e = x.broadcast_sub(&mx)?.exp()?;
    e.broadcast_div(&e.sum_keepdim(D::Minus1)?)
}

fn tf_setup(dev: &Device) -> Result<(Vec<Var>, Box<dyn Fn(&[Var], &Tensor, &Tensor) -> Result<Tensor>>)> {
    let (d, h, nl, vocab, seq) = (64usize, 4usize, 2usize, 128usize, 64usize);
    let mut vars = vec![randn(&[vocab, d], 0.02, dev)?, randn(&[seq, d], 0.02, dev)?];
    for _ in 0..nl {
        for shape in [[d, 3 * d], [d, d], [d, 4 * d], [4 * d, d]] {
            vars.push(randn(&shape, 0.02, dev)?);
        }
        for n in [3 * d, d, 4 * d, d] {
            vars.push(Var::from_tensor(&Tensor::zeros(n, DType::F32, dev)?)?);
        }
        for _ in 0..2 {
            vars.push(Var::from_tensor(&Tensor::ones(d, DType::F32, dev)?)?);
            vars.push(Var::from_tensor(&Tensor::zeros(d, DType::F32, dev)?)?);
        }
    }
    vars.push(Var::from_tensor(&Tensor::ones(d, DType::F32, dev)?)?);
    vars.push(Var::from_tensor(&Tensor::zeros(d, DType::F32, dev)?)?);
    vars.push(randn(&[d, vocab], 0.02, dev)?);
    let mask: Vec<f32> = (0..seq * seq).map(|i| if i % seq > i / seq { -1e9 } else { 0.0 }).collect();
    let mask = Tensor::from_vec(mask, (seq, seq), dev)?;
    let f = move |v: &[Var], ids: &Tensor, onehot: &Tensor| -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let dh = d / h;
        let mut x = v[0].index_select(&ids.flatten_all()?, 0)?.reshape((b, t, d))?.broadcast_add(&v[1])?;
        for l in 0..nl {
            let p = &v[2 + 12 * l..2 + 12 * (l + 1)];
            let xn = layer_norm(&x, &p[8], &p[9])?.reshape((b * t, d))?;
            let qkv = xn.matmul(&p[0])?.broadcast_add(&p[4])?.reshape((b, t, 3, h, dh))?;
            let q = qkv.narrow(2, 0, 1)?.squeeze(2)?.transpose(1, 2)?.contiguous()?;
            let k = qkv.narrow(2, 1, 1)?.squeeze(2)?.transpose(1, 2)?.contiguous()?;
            let vv = qkv.narrow(2, 2, 1)?.squeeze(2)?.transpose(1, 2)?.contiguous()?;
            let att = (q.matmul(&k.t()?)? / (dh as f64).sqrt())?.broadcast_add(&mask)?;
            let att = softmax_last(&att)?;
            let o = att.matmul(&vv)?.transpose(1, 2)?.reshape((b * t, d))?;
            let o = o.matmul(&p[1])?.broadcast_add(&p[5])?.reshape((b, t, d))?;
            x = (x + o)?;
            let xn = layer_norm(&x, &p[10], &p[11])?.reshape((b * t, d))?;
            let hdn = xn.matmul(&p[2])?.broadcast_add(&p[6])?.gelu()?;
            let o = hdn.matmul(&p[3])?.broadcast_add(&p[7])?.reshape((b, t, d))?;
            x = (x + o)?;
        }
        let n = v.len();
        let xn = layer_norm(&x, &v[n - 3], &v[n - 2])?.reshape((b * t, d))?;
        let logits = xn.matmul(&v[n - 1])?;
        let mx = logits.max_keepdim(1)?.detach();
        let z = logits.broadcast_sub(&mx)?;
        let lse = z.exp()?.sum_keepdim(1)?.log()?;
        let logp = z.broadcast_sub(&lse)?;
        (logp * onehot)?.sum_all()?.neg()? / (b * t) as f64
    };
    Ok((vars, Box::new(f)))
}

fn peak_rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines().find(|l| l.starts_with("VmHWM")).and_then(|l| l.split_whitespace().nth(1)).and_then(|x| x.parse().ok()).unwrap_or(0)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map(String::as_str).unwrap_or("elm");
    let reps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let dev = Device::Cpu;
    let (vars, f, x, y) = match which {
        "elm" | "elm-hoisted" => {
            let (vars, f) = elm_setup(&dev, which == "elm-hoisted")?;
            let x = (Tensor::rand(0f32, 1f32, (100, 32, 4500), &dev)?.ge(0.98)?.to_dtype(DType::F32))?;
            let y = Tensor::randn(0f32, 1f32, (100, 32, 2), &dev)?;
            (vars, f, x, y)
        }
        "tf" => {
            let (vars, f) = tf_setup(&dev)?;
            let ids: Vec<u32> = (0..16 * 64).map(|i| ((i * 7919 + 13) % 128) as u32).collect();
            let tgt: Vec<f32> = (0..16 * 64).flat_map(|i| { let c = (i * 104729 + 7) % 128; (0..128).map(move |k| if k == c { 1.0 } else { 0.0 }) }).collect();
            (vars, f, Tensor::from_vec(ids, (16, 64), &dev)?, Tensor::from_vec(tgt, (16 * 64, 128), &dev)?)
        }
        "spike" => {
            let x = Var::from_tensor(&Tensor::new(&[-1.0f64, -0.1, 0.2, 2.0], &dev)?)?;
            let s = x.apply_op1(Spike { slope: 5.0 })?;
            let g = s.sum_all()?.backward()?;
            println!("spike {:?} grad {:?}", s.to_vec1::<f64>()?, g.get(&x).expect("grad").to_vec1::<f64>()?);
            let d = delay(&x.unsqueeze(1)?, 1)?;
            println!("delay {:?}", d.flatten_all()?.to_vec1::<f64>()?);
            return Ok(());
        }
        _ => panic!("elm|elm-hoisted|tf|spike"),
    };
    let nparam: usize = vars.iter().map(|v| v.elem_count()).sum();
    let mut opt = Adam::new(vars.clone(), 1e-3)?;
    let mut times = Vec::new();
    let mut last = 0.0;
    for r in 0..reps + 2 {
        let t0 = Instant::now();
        let loss = f(&vars, &x, &y)?;
        opt.step(&loss)?;
        last = loss.to_scalar::<f32>()?;
        if r >= 2 {
            times.push(t0.elapsed().as_secs_f64());
        }
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    // The variant flags (see run.sh): synapse-wide factors pre-broadcast, glibc told to keep
    // freed blocks instead of returning each large one to the kernel.
    let mut lib = String::from("candle");
    if which == "elm" && std::env::var("PREBROADCAST").is_ok_and(|v| v == "1") {
        lib.push_str("+prebroadcast");
    }
    if std::env::var("MALLOC_MMAP_THRESHOLD_").is_ok() {
        lib.push_str("+malloc-tuned");
    }
    if std::env::var("RAYON_NUM_THREADS").is_ok() {
        lib.push_str("+threads-pinned");
    }
    println!("{{\"lib\":\"{lib}\",\"workload\":\"{which}\",\"params\":{nparam},\"median_ms\":{:.3},\"min_ms\":{:.3},\"peak_rss_mib\":{:.1},\"loss\":{last}}}", times[times.len() / 2] * 1e3, times[0] * 1e3, peak_rss_kib() as f64 / 1024.0);
    Ok(())
}
