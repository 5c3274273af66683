//! The delayed-XOR task and the training loop shared by the ELM neuron and the LSTM.
//!
//! A sequence has 6 input channels. Bit A is shown for `CUE` steps from t = 0 as a one-hot
//! pulse on channels 0/1; after a gap of `delay` steps bit B is shown for `CUE` steps on
//! channels 2/3; channels 4 and 5 carry distractor spikes (Bernoulli, p = 0.1 per step) all
//! along. The target, read out `WAIT` steps after B ends, is A XOR B: a model must hold A
//! across the whole gap and then combine it non-linearly with B — chance is 50 %.

use ganglion_base::rng::{Stream, derive};
use ganglion_train::autodiff::elm::{Elm, ElmConfig};
use ganglion_train::autodiff::lstm::Lstm;
use ganglion_train::autodiff::{Adam, DType, Device, Params, Tensor, bce_with_logits};
use serde::Serialize;

/// Cue length in steps.
pub const CUE: usize = 5;
/// Steps from the end of B to the readout.
pub const WAIT: usize = 5;
/// Input channels.
pub const CHANNELS: usize = 6;
/// Memory units of the ELM neuron used on the task.
pub const ELM_MEMORY: usize = 20;

/// Which model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    /// ELM neuron, d_m = [`ELM_MEMORY`].
    Elm,
    /// LSTM with the hidden size whose parameter count is closest to the ELM's.
    Lstm,
}

impl Kind {
    /// Name in tables.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Elm => "ELM",
            Kind::Lstm => "LSTM",
        }
    }
}

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Adam steps.
    pub iters: usize,
    /// Sequences per step.
    pub batch: usize,
    /// Held-out test sequences.
    pub test: usize,
    /// Adam learning rate.
    pub lr: f64,
}

/// One trained model on one delay and seed.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// Model.
    pub model: Kind,
    /// Gap between the cues (steps).
    pub delay: usize,
    /// Seed (data and initialisation).
    pub seed: u64,
    /// Trainable parameters.
    pub params: usize,
    /// Test accuracy on fresh sequences (fraction correct).
    pub test_accuracy: f64,
    /// Mean training loss over the last tenth of the steps.
    pub final_loss: f64,
    /// Wall time of the training (s).
    pub seconds: f64,
}

/// The ELM configuration of the task.
pub fn elm_config() -> ElmConfig {
    ElmConfig {
        num_input: CHANNELS,
        num_output: 1,
        num_memory: ELM_MEMORY,
        ..ElmConfig::default()
    }
}

/// `n` sequences for `delay`: inputs (T, n, CHANNELS) time-major and targets (n).
pub fn batch(delay: usize, n: usize, key: u64) -> (Vec<f32>, Vec<f32>, usize) {
    let t_len = 2 * CUE + delay + WAIT;
    let mut s = Stream::new(key);
    let mut x = vec![0f32; t_len * n * CHANNELS];
    let mut y = vec![0f32; n];
    for (i, yi) in y.iter_mut().enumerate() {
        let a = s.below(2) as usize;
        let b = s.below(2) as usize;
        *yi = (a ^ b) as f32;
        for t in 0..t_len {
            let at = |c: usize| (t * n + i) * CHANNELS + c;
            if t < CUE {
                x[at(a)] = 1.0;
            }
            if (CUE + delay..2 * CUE + delay).contains(&t) {
                x[at(2 + b)] = 1.0;
            }
            for c in 4..6 {
                if s.uniform() < 0.1 {
                    x[at(c)] = 1.0;
                }
            }
        }
    }
    (x, y, t_len)
}

enum Net {
    Elm(Elm),
    Lstm(Lstm),
}

impl Net {
    fn last_logit(&self, x: &Tensor) -> ganglion_train::autodiff::Result<Tensor> {
        let out = match self {
            Net::Elm(m) => m.forward(x)?,
            Net::Lstm(m) => m.forward(x)?,
        };
        let t = out.dim(0)?;
        out.get(t - 1)?.squeeze(1)
    }
}

/// Build `kind` on a fresh parameter set; returns the net and its parameters.
fn build(kind: Kind, seed: u64) -> ganglion_train::autodiff::Result<(Net, Params)> {
    let mut p = Params::new();
    let net = match kind {
        Kind::Elm => Net::Elm(Elm::new(
            elm_config(),
            &mut p,
            "elm",
            derive(seed, 1),
            DType::F32,
        )?),
        Kind::Lstm => {
            let h = Lstm::hidden_for_params(CHANNELS, 1, elm_config().param_count());
            Net::Lstm(Lstm::new(
                CHANNELS,
                h,
                1,
                &mut p,
                "lstm",
                derive(seed, 2),
                DType::F32,
            )?)
        }
    };
    Ok((net, p))
}

/// Parameter count of `kind` on the task.
pub fn param_count(kind: Kind) -> usize {
    match kind {
        Kind::Elm => elm_config().param_count(),
        Kind::Lstm => Lstm::param_count(
            CHANNELS,
            Lstm::hidden_for_params(CHANNELS, 1, elm_config().param_count()),
            1,
        ),
    }
}

/// Train `kind` on `delay` with `budget` and seed `seed`; test on fresh sequences.
pub fn train(
    kind: Kind,
    delay: usize,
    seed: u64,
    budget: Budget,
) -> ganglion_train::autodiff::Result<Run> {
    let started = std::time::Instant::now();
    let (net, params) = build(kind, seed)?;
    let mut opt = Adam::new(&params, budget.lr)?;
    opt.clip_norm = Some(1.0);
    let dev = Device::Cpu;
    let mut losses = Vec::with_capacity(budget.iters);
    for it in 0..budget.iters {
        let (x, y, t_len) = batch(delay, budget.batch, derive(derive(seed, 10), it as u64));
        let x = Tensor::from_vec(x, (t_len, budget.batch, CHANNELS), &dev)?;
        let y = Tensor::from_vec(y, budget.batch, &dev)?;
        let loss = bce_with_logits(&net.last_logit(&x)?, &y)?;
        let (l, _) = opt.step(&params, &loss)?;
        losses.push(l);
    }
    let (x, y, t_len) = batch(delay, budget.test, derive(seed, 11));
    let xt = Tensor::from_vec(x, (t_len, budget.test, CHANNELS), &dev)?;
    let logits: Vec<f32> = net.last_logit(&xt)?.to_vec1()?;
    let correct = logits
        .iter()
        .zip(&y)
        .filter(|(z, y)| ((**z > 0.0) as u8 as f32) == **y)
        .count();
    let tail = (budget.iters / 10).max(1);
    Ok(Run {
        model: kind,
        delay,
        seed,
        params: params.count(),
        test_accuracy: correct as f64 / budget.test as f64,
        final_loss: losses[losses.len() - tail..].iter().sum::<f64>() / tail as f64,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_layout_and_targets() {
        let (x, y, t_len) = batch(7, 16, 3);
        assert_eq!(t_len, 2 * CUE + 7 + WAIT);
        for i in 0..16 {
            let at = |t: usize, c: usize| x[(t * 16 + i) * CHANNELS + c];
            let a = (at(0, 1) == 1.0) as u8;
            let b = (at(CUE + 7, 3) == 1.0) as u8;
            assert_eq!(at(0, 0) + at(0, 1), 1.0);
            assert_eq!(at(CUE + 7, 2) + at(CUE + 7, 3), 1.0);
            assert_eq!(
                at(CUE, 0) + at(CUE, 1) + at(CUE + 6, 2) + at(CUE + 6, 3),
                0.0
            );
            assert_eq!(y[i], (a ^ b) as f32);
        }
    }

    #[test]
    fn lstm_size_is_matched_to_the_elm() {
        let (e, l) = (param_count(Kind::Elm), param_count(Kind::Lstm));
        assert_eq!(e, 6 + (6 + 20) * 40 + 40 + 40 * 20 + 20 + 21);
        assert!(
            (e as f64 - l as f64).abs() / (e as f64) < 0.05,
            "{e} vs {l}"
        );
    }
}
