//! The trained part: one projection head per modality (ANN, `features → hidden (ReLU) →
//! embedding`) on the autodiff path, trained with the symmetric InfoNCE loss of
//! [`ganglion_train::autodiff::contrastive`], and cross-modal retrieval scored on the
//! embeddings.

use ganglion_train::autodiff::contrastive::{class_targets, info_nce, l2_normalise};
use ganglion_train::autodiff::{Adam, DType, Device, Params, Result, Tensor, Var, grad_check};
use rand::RngExt;

use crate::stats::stream;

/// Head and training settings.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct HeadConfig {
    /// Hidden ReLU units of each head.
    pub hidden: usize,
    /// Embedding width.
    pub embed: usize,
    /// InfoNCE temperature τ (similarities are cosines).
    pub temperature: f64,
    /// Adam steps.
    pub steps: usize,
    /// Pairs per training class in a minibatch.
    pub per_class: usize,
    /// Adam learning rate.
    pub lr: f64,
}

/// One head: x → relu(x W1 + b1) W2 + b2.
#[derive(Debug, Clone)]
pub struct Head {
    w1: Var,
    b1: Var,
    w2: Var,
    b2: Var,
}

impl Head {
    /// A head for `inputs` features, He-initialised from stream `key`, registered in `p` under
    /// `name`.
    pub fn new(
        p: &mut Params,
        name: &str,
        inputs: usize,
        cfg: &HeadConfig,
        key: u64,
        dtype: DType,
    ) -> Result<Head> {
        let (h, e) = (cfg.hidden, cfg.embed);
        Ok(Head {
            w1: p.normal(
                &format!("{name}.w1"),
                &[inputs, h],
                (2.0 / inputs as f64).sqrt(),
                key,
                dtype,
            )?,
            b1: p.full(&format!("{name}.b1"), &[h], 0.0, dtype)?,
            w2: p.normal(
                &format!("{name}.w2"),
                &[h, e],
                (1.0 / h as f64).sqrt(),
                key + 1,
                dtype,
            )?,
            b2: p.full(&format!("{name}.b2"), &[e], 0.0, dtype)?,
        })
    }

    /// Embeddings of `x` (batch, inputs) → (batch, embed).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let h = x.matmul(&self.w1)?.broadcast_add(&self.b1)?.relu()?;
        h.matmul(&self.w2)?.broadcast_add(&self.b2)
    }
}

/// Rows `idx` of the row-major `rows × width` matrix `x` as a tensor of `dtype`.
fn gather(x: &[f64], width: usize, idx: &[usize], dtype: DType) -> Result<Tensor> {
    let mut v = Vec::with_capacity(idx.len() * width);
    for &i in idx {
        v.extend_from_slice(&x[i * width..(i + 1) * width]);
    }
    Tensor::from_vec(v, (idx.len(), width), &Device::Cpu)?.to_dtype(dtype)
}

/// Paired, standardised features of one split: row i of `a` (vision) and of `b` (audio) share
/// class `labels[i]`.
#[derive(Debug, Clone)]
pub struct Pairs {
    /// Vision features, row-major `n × da`.
    pub a: Vec<f64>,
    /// Width of a vision row.
    pub da: usize,
    /// Audio features, row-major `n × db`.
    pub b: Vec<f64>,
    /// Width of an audio row.
    pub db: usize,
    /// Class of each pair.
    pub labels: Vec<usize>,
}

impl Pairs {
    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// True without pairs.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Per-column mean and standard deviation of `x` (`rows × width`); a constant column gets sd 1
/// (so it standardises to 0).
pub fn column_stats(x: &[f64], width: usize) -> (Vec<f64>, Vec<f64>) {
    let rows = x.len() / width;
    let mut mean = vec![0.0; width];
    for r in x.chunks_exact(width) {
        for (m, v) in mean.iter_mut().zip(r) {
            *m += v / rows as f64;
        }
    }
    let mut sd = vec![0.0; width];
    for r in x.chunks_exact(width) {
        for ((s, v), m) in sd.iter_mut().zip(r).zip(&mean) {
            *s += (v - m) * (v - m) / rows as f64;
        }
    }
    for s in &mut sd {
        *s = if *s > 1e-12 { s.sqrt() } else { 1.0 };
    }
    (mean, sd)
}

/// `x` standardised in place with `(mean, sd)`.
pub fn standardise(x: &mut [f64], (mean, sd): &(Vec<f64>, Vec<f64>)) {
    let width = mean.len();
    for r in x.chunks_exact_mut(width) {
        for ((v, m), s) in r.iter_mut().zip(mean).zip(sd) {
            *v = (*v - m) / s;
        }
    }
}

/// Two trained (or untrained) heads.
pub struct Model {
    params: Params,
    vision: Head,
    audio: Head,
}

impl Model {
    /// Fresh heads for `pairs`' widths, from `seed`.
    pub fn new(da: usize, db: usize, cfg: &HeadConfig, seed: u64, dtype: DType) -> Result<Model> {
        let mut params = Params::new();
        let key = seed.wrapping_mul(1000);
        let vision = Head::new(&mut params, "vision", da, cfg, key + 10, dtype)?;
        let audio = Head::new(&mut params, "audio", db, cfg, key + 20, dtype)?;
        Ok(Model {
            params,
            vision,
            audio,
        })
    }

    /// The InfoNCE loss of the pairs `idx` of `data`, class targets.
    fn loss(&self, data: &Pairs, idx: &[usize], temperature: f64, dtype: DType) -> Result<Tensor> {
        let xa = gather(&data.a, data.da, idx, dtype)?;
        let xb = gather(&data.b, data.db, idx, dtype)?;
        let labels: Vec<usize> = idx.iter().map(|&i| data.labels[i]).collect();
        let t = class_targets(&labels, &labels, dtype)?;
        info_nce(
            &self.vision.forward(&xa)?,
            &self.audio.forward(&xb)?,
            temperature,
            Some(&t),
        )
    }

    /// Trains both heads on `data` with Adam: each step draws `per_class` pairs of every class
    /// present; returns the loss after each step.
    pub fn train(&mut self, data: &Pairs, cfg: &HeadConfig, seed: u64) -> Result<Vec<f64>> {
        let mut classes: Vec<usize> = data.labels.clone();
        classes.sort_unstable();
        classes.dedup();
        let by_class: Vec<Vec<usize>> = classes
            .iter()
            .map(|&c| (0..data.len()).filter(|&i| data.labels[i] == c).collect())
            .collect();
        let mut opt = Adam::new(&self.params, cfg.lr)?;
        let mut rng = stream(seed, 77);
        let mut curve = Vec::with_capacity(cfg.steps);
        for _ in 0..cfg.steps {
            let mut idx = Vec::with_capacity(cfg.per_class * classes.len());
            for members in &by_class {
                for _ in 0..cfg.per_class {
                    idx.push(members[rng.random_range(0..members.len())]);
                }
            }
            let loss = self.loss(data, &idx, cfg.temperature, DType::F32)?;
            let (v, _) = opt.step(&self.params, &loss)?;
            curve.push(v);
        }
        Ok(curve)
    }

    /// Unit-norm embeddings of all vision and audio rows of `data`, row-major `n × embed`.
    pub fn embed(&self, data: &Pairs) -> Result<(Vec<f64>, Vec<f64>)> {
        let all: Vec<usize> = (0..data.len()).collect();
        let dtype = self.params.vars()[0].dtype();
        let ea = l2_normalise(
            &self
                .vision
                .forward(&gather(&data.a, data.da, &all, dtype)?)?,
        )?;
        let eb = l2_normalise(
            &self
                .audio
                .forward(&gather(&data.b, data.db, &all, dtype)?)?,
        )?;
        let flat =
            |t: Tensor| -> Result<Vec<f64>> { t.to_dtype(DType::F64)?.flatten_all()?.to_vec1() };
        Ok((flat(ea)?, flat(eb)?))
    }
}

/// Largest relative error of the InfoNCE gradient through both heads (f64, `pairs` pairs of
/// `data`, class targets) against central differences (h = 1e-5), 8 entries per parameter.
pub fn check_gradient(data: &Pairs, cfg: &HeadConfig, pairs: usize) -> Result<f64> {
    let model = Model::new(data.da, data.db, cfg, 9, DType::F64)?;
    let idx: Vec<usize> = (0..pairs.min(data.len())).collect();
    let g = grad_check(
        &model.params,
        || model.loss(data, &idx, cfg.temperature, DType::F64),
        1e-5,
        8,
    )?;
    Ok(g.max_rel_err)
}

/// Cross-modal retrieval of query rows `q` (`n × d`, unit norm) among gallery rows `g`
/// (`m × d`): recall@k for k = 1..=`kmax` (a query counts at k if one of its k most cosine-similar
/// gallery items has its class).
pub fn recall_at(
    q: &[f64],
    q_labels: &[usize],
    g: &[f64],
    g_labels: &[usize],
    d: usize,
    kmax: usize,
) -> Vec<f64> {
    let mut hits = vec![0.0; kmax];
    for (qi, qrow) in q.chunks_exact(d).enumerate() {
        let mut sims: Vec<(f64, usize)> = g
            .chunks_exact(d)
            .enumerate()
            .map(|(j, grow)| (qrow.iter().zip(grow).map(|(a, b)| a * b).sum::<f64>(), j))
            .collect();
        sims.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        if let Some(first) = sims
            .iter()
            .take(kmax)
            .position(|&(_, j)| g_labels[j] == q_labels[qi])
        {
            for h in &mut hits[first..] {
                *h += 1.0;
            }
        }
    }
    let n = q_labels.len() as f64;
    hits.iter().map(|h| h / n).collect()
}

/// Chance recall@k for k = 1..=`kmax` when the k retrieved items are a uniformly random
/// k-subset of the gallery: mean over queries of 1 − C(m − m_c, k) / C(m, k), m_c the gallery
/// items of the query's class.
pub fn chance_recall(q_labels: &[usize], g_labels: &[usize], kmax: usize) -> Vec<f64> {
    let m = g_labels.len();
    (1..=kmax)
        .map(|k| {
            q_labels
                .iter()
                .map(|&c| {
                    let mc = g_labels.iter().filter(|&&l| l == c).count();
                    // C(m − mc, k) / C(m, k) = Π_{i<k} (m − mc − i) / (m − i).
                    let miss: f64 = (0..k)
                        .map(|i| ((m - mc) as f64 - i as f64).max(0.0) / (m - i) as f64)
                        .product();
                    1.0 - miss
                })
                .sum::<f64>()
                / q_labels.len() as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chance_matches_the_formula_and_perfect_embeddings_retrieve_everything() {
        let labels = [0, 0, 1, 1, 2, 2];
        let c = chance_recall(&labels, &labels, 2);
        assert!((c[0] - 2.0 / 6.0).abs() < 1e-12);
        // 1 − C(4,2)/C(6,2) = 1 − 6/15.
        assert!((c[1] - 0.6).abs() < 1e-12);
        // One-hot class embeddings: every query's nearest item shares its class.
        let emb: Vec<f64> = labels
            .iter()
            .flat_map(|&l| (0..3).map(move |j| if j == l { 1.0 } else { 0.0 }))
            .collect();
        assert_eq!(
            recall_at(&emb, &labels, &emb, &labels, 3, 2),
            vec![1.0, 1.0]
        );
    }
}
