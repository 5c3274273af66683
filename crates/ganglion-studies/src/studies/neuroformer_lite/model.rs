//! Training the spike-token transformer and reading connectivity from its attention.

use ganglion_train::autodiff::transformer::{Transformer, TransformerConfig, cross_entropy};
use ganglion_train::autodiff::{Adam, DType, Params, Result, Tensor};
use rand::RngExt;

use crate::stats::stream;

use super::tokens::{Batch, TokenSpec, Window, batch};

/// Model size and optimisation budget.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Budget {
    /// Model width.
    pub d_model: usize,
    /// Attention heads.
    pub heads: usize,
    /// Blocks.
    pub layers: usize,
    /// Adam steps.
    pub steps: usize,
    /// Windows per step.
    pub batch: usize,
    /// Learning rate.
    pub lr: f64,
}

/// The model's configuration for `n` neurons.
pub fn config(n: usize, spec: &TokenSpec, b: &Budget) -> TransformerConfig {
    let bins = spec.bins();
    TransformerConfig {
        vocabs: vec![n + 2, 2 * bins + 1],
        d_model: b.d_model,
        heads: b.heads,
        layers: b.layers,
        d_ff: 4 * b.d_model,
        outputs: vec![n + 1, bins],
    }
}

/// Next-neuron and next-time cross-entropy of one batch (mean over predicting positions).
pub fn losses(
    m: &Transformer,
    bt: &Batch,
    n: usize,
    bins: usize,
) -> Result<(Tensor, Tensor, Vec<Tensor>)> {
    let out = m.forward(&[bt.ids.clone(), bt.times.clone()], &bt.mask)?;
    let (b, t) = bt.ids.dims2()?;
    let l_id = cross_entropy(
        &out.logits[0].reshape((b * t, n + 1))?,
        &bt.id_targets,
        &bt.id_weights,
    )?;
    let l_dt = cross_entropy(
        &out.logits[1].reshape((b * t, bins))?,
        &bt.dt_targets,
        &bt.dt_weights,
    )?;
    Ok((l_id, l_dt, out.attention))
}

/// Outcome of training and reading one model.
pub struct Trained {
    /// Loss (id + time) per step.
    pub curve: Vec<f64>,
    /// Test next-neuron cross-entropy \[nats\].
    pub test_ce_id: f64,
    /// Test next-time-bin cross-entropy \[nats\].
    pub test_ce_dt: f64,
    /// Attention score i → j, mean over heads and blocks (n × n, row-major; NaN if unseen).
    pub score_all: Vec<f64>,
    /// The same from the first block only.
    pub score_first: Vec<f64>,
    /// Trainable parameters.
    pub params: usize,
}

/// Trains on `train` windows and reads attention on `test` windows.
pub fn train_and_read(
    train: &[Window],
    test: &[Window],
    n: usize,
    spec: &TokenSpec,
    b: &Budget,
    seed: u64,
) -> Result<Trained> {
    let bins = spec.bins();
    let mut p = Params::new();
    let m = Transformer::new(
        config(n, spec, b),
        &mut p,
        "nf",
        seed.wrapping_mul(1000) + 17,
        DType::F32,
    )?;
    let mut opt = Adam::new(&p, b.lr)?;
    opt.clip_norm = Some(1.0);
    let mut rng = stream(seed, 2);
    let mut curve = Vec::with_capacity(b.steps);
    for _ in 0..b.steps {
        let ws: Vec<&Window> = (0..b.batch)
            .map(|_| &train[rng.random_range(0..train.len())])
            .collect();
        let bt = batch(&ws, n, spec)?;
        let (l_id, l_dt, _) = losses(&m, &bt, n, bins)?;
        let v = opt.step(&p, &(l_id + l_dt)?)?.0;
        curve.push(v);
    }
    // Read-out on the test windows.
    let t = spec.seq_len();
    let mut sum_all = vec![0.0; n * n];
    let mut sum_first = vec![0.0; n * n];
    let mut cnt = vec![0.0; n * n];
    let (mut ce_id, mut ce_dt, mut w_id, mut w_dt) = (0.0, 0.0, 0.0, 0.0);
    for chunk in test.chunks(64) {
        let ws: Vec<&Window> = chunk.iter().collect();
        let bt = batch(&ws, n, spec)?;
        let (l_id, l_dt, att) = losses(&m, &bt, n, bins)?;
        let wi: f64 = bt.id_weights.iter().sum();
        let wd: f64 = bt.dt_weights.iter().sum();
        ce_id += l_id.to_dtype(DType::F64)?.to_scalar::<f64>()? * wi;
        w_id += wi;
        if wd > 0.0 {
            ce_dt += l_dt.to_dtype(DType::F64)?.to_scalar::<f64>()? * wd;
            w_dt += wd;
        }
        let heads = b.heads;
        let layers: Vec<Vec<f64>> = att
            .iter()
            .map(|a| a.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>())
            .collect::<Result<_>>()?;
        for e in 0..chunk.len() {
            for q in 0..t {
                let pos = e * t + q;
                // Queries that predict a spike of neuron j.
                if bt.dt_weights[pos] == 0.0 {
                    continue;
                }
                let j = bt.id_targets[pos];
                let row = &bt.allowed[pos * t..(pos + 1) * t];
                let seen = row.iter().filter(|&&a| a).count() as f64;
                for k in 0..t {
                    let (true, Some(i)) = (row[k], bt.key_neuron[e * t + k]) else {
                        continue;
                    };
                    if i == j {
                        continue;
                    }
                    let mut all = 0.0;
                    for (l, a) in layers.iter().enumerate() {
                        let mean_h: f64 = (0..heads)
                            .map(|h| a[((e * heads + h) * t + q) * t + k])
                            .sum::<f64>()
                            / heads as f64;
                        all += mean_h;
                        if l == 0 {
                            sum_first[i * n + j] += mean_h * seen;
                        }
                    }
                    sum_all[i * n + j] += all / layers.len() as f64 * seen;
                    cnt[i * n + j] += 1.0;
                }
            }
        }
    }
    let norm = |s: Vec<f64>| -> Vec<f64> {
        s.iter()
            .zip(&cnt)
            .map(|(s, c)| if *c > 0.0 { s / c } else { f64::NAN })
            .collect()
    };
    Ok(Trained {
        curve,
        test_ce_id: ce_id / w_id.max(1.0),
        test_ce_dt: ce_dt / w_dt.max(1.0),
        score_all: norm(sum_all),
        score_first: norm(sum_first),
        params: p.count(),
    })
}

/// Cross-entropy on `test` of the next-neuron marginal of `train` (neurons and end of
/// window, add-one smoothed) \[nats\]: what a model that knows only the firing rates reaches.
pub fn unigram_ce(train: &[Window], test: &[Window], n: usize) -> f64 {
    let mut c = vec![1.0; n + 1];
    for w in train {
        for &(i, _) in &w.cur {
            c[i] += 1.0;
        }
        c[n] += 1.0;
    }
    let tot: f64 = c.iter().sum();
    let (mut s, mut k) = (0.0, 0.0);
    for w in test {
        for &(i, _) in &w.cur {
            s -= (c[i] / tot).ln();
            k += 1.0;
        }
        s -= (c[n] / tot).ln();
        k += 1.0;
    }
    s / k
}
