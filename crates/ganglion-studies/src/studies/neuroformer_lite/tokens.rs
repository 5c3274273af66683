//! Spike tokens: each spike is (neuron id, time-offset bin within its window); a training
//! example is one window of spikes with the previous window's spikes as past state.
//!
//! Sequence layout (length T = 2·cap + 1): `cap` past-state positions (the previous
//! window's last `cap` spikes, left-aligned, then padding), one start token, `cap` positions
//! for the current window's first `cap` spikes (then padding). The start token and each
//! current token predict the next current token's neuron (or end-of-window) and its time
//! bin. Attention: past positions see the past state; the start token and the current
//! tokens see the past state and the current tokens up to themselves; padding is never
//! attended to.

use ganglion_train::autodiff::{Device, Result, Tensor, transformer::additive_mask};

/// Windowing of the spike trains.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct TokenSpec {
    /// Window length \[ms\].
    pub window_ms: f64,
    /// Time-offset bin \[ms\].
    pub bin_ms: f64,
    /// Largest number of spikes kept per window (current and past state alike).
    pub cap: usize,
}

impl TokenSpec {
    /// Time bins per window B.
    pub fn bins(&self) -> usize {
        (self.window_ms / self.bin_ms).round() as usize
    }
    /// Sequence length T = 2 cap + 1.
    pub fn seq_len(&self) -> usize {
        2 * self.cap + 1
    }
}

/// One example: the past-state and current spikes as (neuron, bin).
#[derive(Debug, Clone)]
pub struct Window {
    /// Previous window's spikes (the last `cap`).
    pub past: Vec<(usize, usize)>,
    /// This window's spikes (the first `cap`).
    pub cur: Vec<(usize, usize)>,
}

/// Cuts `spikes` (time ms, neuron; ascending) of `t_ms` into consecutive windows (the first
/// has no past state and is dropped). Returns the windows and the fraction of spikes cut by
/// the cap.
pub fn windows(spikes: &[(f64, usize)], t_ms: f64, spec: &TokenSpec) -> (Vec<Window>, f64) {
    let b = spec.bins();
    let nw = (t_ms / spec.window_ms).floor() as usize;
    let mut per: Vec<Vec<(usize, usize)>> = vec![Vec::new(); nw];
    for &(t, i) in spikes {
        let w = (t / spec.window_ms).floor() as usize;
        if w < nw {
            let bin = (((t - w as f64 * spec.window_ms) / spec.bin_ms).floor() as usize).min(b - 1);
            per[w].push((i, bin));
        }
    }
    let (mut total, mut cut) = (0usize, 0usize);
    let out = (1..nw)
        .map(|w| {
            let p = &per[w - 1];
            let c = &per[w];
            total += c.len();
            cut += c.len().saturating_sub(spec.cap);
            Window {
                past: p[p.len().saturating_sub(spec.cap)..].to_vec(),
                cur: c[..c.len().min(spec.cap)].to_vec(),
            }
        })
        .collect();
    (out, cut as f64 / total.max(1) as f64)
}

/// A batch ready for the model.
pub struct Batch {
    /// Neuron-id stream (batch, T): neuron, `n` = start, `n + 1` = padding.
    pub ids: Tensor,
    /// Time stream (batch, T): past bin, B + current bin, 2B for start and padding.
    pub times: Tensor,
    /// Additive attention mask (batch, T, T).
    pub mask: Tensor,
    /// Next-neuron targets per position (`n` = end of window), row-major (batch, T).
    pub id_targets: Vec<usize>,
    /// 1 where the position predicts something, else 0.
    pub id_weights: Vec<f64>,
    /// Next-token time-bin targets per position.
    pub dt_targets: Vec<usize>,
    /// 1 where the next token is a spike (not the end of the window), else 0.
    pub dt_weights: Vec<f64>,
    /// Neuron of the token at each position, if it is a spike.
    pub key_neuron: Vec<Option<usize>>,
    /// Attention allowed \[b, q, k\].
    pub allowed: Vec<bool>,
}

/// Builds the batch of `ws` for `n` neurons.
pub fn batch(ws: &[&Window], n: usize, spec: &TokenSpec) -> Result<Batch> {
    let (cap, b, t) = (spec.cap, spec.bins(), spec.seq_len());
    let bs = ws.len();
    let (start, pad) = (n, n + 1);
    let mut ids = vec![pad as u32; bs * t];
    let mut times = vec![(2 * b) as u32; bs * t];
    let mut id_targets = vec![0usize; bs * t];
    let mut id_weights = vec![0.0; bs * t];
    let mut dt_targets = vec![0usize; bs * t];
    let mut dt_weights = vec![0.0; bs * t];
    let mut key_neuron = vec![None; bs * t];
    let mut allowed = vec![false; bs * t * t];
    for (e, w) in ws.iter().enumerate() {
        let o = e * t;
        let mut valid = vec![false; t];
        for (k, &(i, bin)) in w.past.iter().enumerate() {
            ids[o + k] = i as u32;
            times[o + k] = bin as u32;
            key_neuron[o + k] = Some(i);
            valid[k] = true;
        }
        ids[o + cap] = start as u32;
        valid[cap] = true;
        for (k, &(i, bin)) in w.cur.iter().enumerate() {
            let p = cap + 1 + k;
            ids[o + p] = i as u32;
            times[o + p] = (b + bin) as u32;
            key_neuron[o + p] = Some(i);
            valid[p] = true;
        }
        // Predictions: position cap + k predicts current token k, or the end after the last.
        for k in 0..=w.cur.len() {
            let p = o + cap + k;
            id_weights[p] = 1.0;
            match w.cur.get(k) {
                Some(&(i, bin)) => {
                    id_targets[p] = i;
                    dt_targets[p] = bin;
                    dt_weights[p] = 1.0;
                }
                None => id_targets[p] = n,
            }
        }
        for q in 0..t {
            for k in 0..t {
                let sees = if q < cap { k < cap } else { k < cap || k <= q };
                allowed[(e * t + q) * t + k] = q == k || (valid[k] && valid[q] && sees);
            }
        }
    }
    Ok(Batch {
        ids: Tensor::from_vec(ids, (bs, t), &Device::Cpu)?,
        times: Tensor::from_vec(times, (bs, t), &Device::Cpu)?,
        mask: additive_mask(&allowed, &[bs, t, t])?,
        id_targets,
        id_weights,
        dt_targets,
        dt_weights,
        key_neuron,
        allowed,
    })
}
