//! Online readout protocols: stream reservoir states through a readout that keeps learning
//! while the task changes, and measure how fast it re-adapts.
//!
//! A protocol is a stream of steps. Each step carries the reservoir's state `x(t)`
//! (`features` values), the target the readout learns from `y*(t)` (`outputs` values; in a
//! probabilistic task the realised outcome, e.g. 0 or 1), the *expected* target `E[y*(t)]`
//! (what an ideal predictor would output; used only to score), an attention gate `g(t)` and the
//! epoch (trial) it belongs to. At the first step of each epoch listed in `changes` the task
//! has changed, and the readout is told ([`OnlineReadout::task_changed`]): a readout that needs
//! a reset gets one there, one that keeps learning ignores it.
//!
//! Each step the readout first predicts `y(t)` from `x(t)` and then learns from `y*(t)`: the
//! scores therefore measure prediction, never fit to the current sample. The score of an
//! epoch is the mean over its gated steps (`g > 0`) and outputs of `(y − E[y*])²`. Under
//! squared loss the best predictor from `x` is `E[y* | x]` (e.g. Bishop 2006, PRML §1.5.5),
//! so a readout whose amplitude tracks the event probability drives this score to its floor.
//!
//! Two readouts implement [`OnlineReadout`]:
//!
//! * [`crate::ThreeFactorReadout`]: `Δw_ij = η g(t) (y*_i − y_i) e_j(t)` — error-modulated,
//!   attention-gated, local; with a constant `η` it forgets the past geometrically and so
//!   tracks changes of the task (Widrow & Stearns 1985, "Adaptive Signal Processing", ch. 6:
//!   LMS tracking; the form used for spiking-reservoir readouts by Yamada & Chao 2025,
//!   "Joint encoding of 'what' and 'when' predictions through error-modulated plasticity",
//!   arXiv:2510.14382).
//! * [`ForceReadout`]: recursive least squares as in FORCE (Sussillo & Abbott 2009). With
//!   forgetting factor `λ = 1` its gain decays as `1/t`: after `T` steps of one task it weighs
//!   a new task's samples like the old ones, so it moves only slowly towards the new solution
//!   unless its inverse correlation matrix is reset to `I/δ` (`reset_on_change`).
//!
//! [`readaptation_epochs`] turns a score series into the number of epochs after a change until
//! the readout is good again.

use crate::error::{LearnError, Result};
use crate::readout::{Rls, ThreeFactorReadout};

/// A linear readout that predicts and learns one step at a time.
pub trait OnlineReadout {
    /// Number of input features.
    fn features(&self) -> usize;
    /// Number of outputs.
    fn outputs(&self) -> usize;
    /// Writes the prediction for `x` (`features` values) into `y` (`outputs` values), then
    /// learns from `target` (`outputs` values) with attention gate `gate` in `[0, 1]`.
    fn learn(&mut self, x: &[f64], target: &[f64], gate: f64, y: &mut [f64]);
    /// The task changed at this step (the readout is told; most ignore it).
    fn task_changed(&mut self) {}
}

impl OnlineReadout for ThreeFactorReadout {
    fn features(&self) -> usize {
        ThreeFactorReadout::features(self)
    }
    fn outputs(&self) -> usize {
        ThreeFactorReadout::outputs(self)
    }
    fn learn(&mut self, x: &[f64], target: &[f64], gate: f64, y: &mut [f64]) {
        self.predict(x, y);
        let m: Vec<f64> = target.iter().zip(y.iter()).map(|(t, y)| t - y).collect();
        self.update(x, &m, gate);
    }
}

/// FORCE's readout: recursive least squares ([`Rls`]) on the features plus a constant 1
/// (a bias), learning on every gated step (`gate > 0`; RLS has no learning rate for the gate
/// to scale, so the gate switches learning on and off).
///
/// With `reset_on_change`, [`OnlineReadout::task_changed`] resets the inverse correlation
/// matrix to `P = I/δ` and keeps the weights: the standard way to make a converged RLS learn
/// again.
#[derive(Clone, Debug)]
pub struct ForceReadout {
    rls: Rls,
    delta: f64,
    forgetting: f64,
    reset_on_change: bool,
    xb: Vec<f64>,
    resets: usize,
}

impl ForceReadout {
    /// A readout with zero weights and `P(0) = I/delta` over `features + 1` inputs (the last
    /// is the constant bias). `delta > 0`, `forgetting` in `(0, 1]` (1 = FORCE's RLS).
    pub fn new(
        features: usize,
        outputs: usize,
        delta: f64,
        forgetting: f64,
        reset_on_change: bool,
    ) -> Result<Self> {
        let rls = Rls::new(features + 1, outputs, delta, forgetting)?;
        Ok(Self {
            rls,
            delta,
            forgetting,
            reset_on_change,
            xb: vec![1.0; features + 1],
            resets: 0,
        })
    }

    /// Resets `P` to `I/δ`, keeping the weights.
    pub fn reset(&mut self) {
        let (f, o) = (self.rls.features(), self.rls.outputs());
        let mut fresh = Rls::new(f, o, self.delta, self.forgetting)
            .expect("parameters were checked when the readout was built");
        fresh.weights_mut().copy_from_slice(self.rls.weights());
        self.rls = fresh;
        self.resets += 1;
    }

    /// How many times `P` was reset.
    pub fn resets(&self) -> usize {
        self.resets
    }

    /// Weights `outputs × (features + 1)` row-major; the last column is the bias.
    pub fn weights(&self) -> &[f64] {
        self.rls.weights()
    }
}

impl OnlineReadout for ForceReadout {
    fn features(&self) -> usize {
        self.rls.features() - 1
    }
    fn outputs(&self) -> usize {
        self.rls.outputs()
    }
    fn learn(&mut self, x: &[f64], target: &[f64], gate: f64, y: &mut [f64]) {
        let n = self.xb.len() - 1;
        self.xb[..n].copy_from_slice(x);
        self.rls.predict(&self.xb, y);
        if gate > 0.0 {
            let e: Vec<f64> = y.iter().zip(target).map(|(y, t)| y - t).collect();
            self.rls.update(&self.xb, &e);
        }
    }
    fn task_changed(&mut self) {
        if self.reset_on_change {
            self.reset();
        }
    }
}

/// One protocol: `steps` steps of states, targets, expected targets, gate and epoch.
///
/// All arrays are row-major with time along the rows.
#[derive(Clone, Copy, Debug)]
pub struct OnlineStream<'a> {
    /// Features per step.
    pub features: usize,
    /// Outputs per step.
    pub outputs: usize,
    /// States `x(t)`, `steps × features`.
    pub states: &'a [f64],
    /// Targets learnt from, `steps × outputs` (e.g. realised 0/1 outcomes).
    pub targets: &'a [f64],
    /// Expected targets `E[y*(t)]`, `steps × outputs` (used only to score).
    pub expected: &'a [f64],
    /// Attention gate per step, in `[0, 1]`; only gated steps (`> 0`) are scored.
    pub gate: &'a [f64],
    /// Epoch (trial) index of each step, non-decreasing.
    pub epoch: &'a [usize],
    /// Epochs at whose first step the task changes (increasing).
    pub changes: &'a [usize],
}

impl OnlineStream<'_> {
    /// Number of steps.
    pub fn steps(&self) -> usize {
        self.gate.len()
    }
    /// Number of epochs (last epoch index + 1; 0 when empty).
    pub fn epochs(&self) -> usize {
        self.epoch.last().map_or(0, |&e| e + 1)
    }

    fn validate(&self) -> Result<()> {
        const O: &str = "OnlineStream";
        let t = self.steps();
        let hint = "give one row per step for states, targets, expected, gate and epoch";
        if self.features == 0 || self.outputs == 0 {
            return Err(LearnError::param(
                O,
                "features/outputs",
                format!("{}/{}", self.features, self.outputs),
                "must be at least 1",
                "one feature per reservoir unit, one output per predicted event",
            ));
        }
        for (what, len, want) in [
            ("states", self.states.len(), t * self.features),
            ("targets", self.targets.len(), t * self.outputs),
            ("expected", self.expected.len(), t * self.outputs),
            ("epoch", self.epoch.len(), t),
        ] {
            if len != want {
                return Err(LearnError::shape(O, what, want, len, hint));
            }
        }
        if let Some(w) = self.epoch.windows(2).position(|w| w[1] < w[0]) {
            return Err(LearnError::param(
                O,
                "epoch",
                format!(
                    "{} then {} at step {}",
                    self.epoch[w],
                    self.epoch[w + 1],
                    w + 1
                ),
                "must be non-decreasing",
                "number the trials in the order they run",
            ));
        }
        if let Some(&g) = self.gate.iter().find(|g| !(0.0..=1.0).contains(*g)) {
            return Err(LearnError::param(
                O,
                "gate",
                g,
                "must be in [0, 1]",
                "1 while attending, 0 otherwise",
            ));
        }
        if self.changes.windows(2).any(|w| w[1] <= w[0]) {
            return Err(LearnError::param(
                O,
                "changes",
                format!("{:?}", self.changes),
                "must be strictly increasing",
                "list each change epoch once, in order",
            ));
        }
        Ok(())
    }
}

/// What a protocol run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct OnlineTrace {
    /// Outputs per step.
    pub outputs: usize,
    /// Predictions `y(t)` made before learning from step `t`, `steps × outputs`.
    pub predictions: Vec<f64>,
    /// Per epoch: mean over gated steps and outputs of `(y − E[y*])²`; NaN for an epoch
    /// without gated steps.
    pub epoch_error: Vec<f64>,
}

/// Streams `stream` through `readout` (predict, then learn), calling
/// [`OnlineReadout::task_changed`] at the first step of every change epoch.
///
/// Errors when the stream's arrays disagree in shape, when the readout's sizes differ from the
/// stream's, or when a prediction becomes non-finite ([`LearnError::Diverged`]).
pub fn run_protocol<R: OnlineReadout + ?Sized>(
    readout: &mut R,
    stream: &OnlineStream,
) -> Result<OnlineTrace> {
    stream.validate()?;
    let (nf, no) = (stream.features, stream.outputs);
    if readout.features() != nf || readout.outputs() != no {
        return Err(LearnError::shape(
            "run_protocol",
            "readout features × outputs",
            format!("{nf} × {no}"),
            format!("{} × {}", readout.features(), readout.outputs()),
            "build the readout with the stream's feature and output counts",
        ));
    }
    let steps = stream.steps();
    let epochs = stream.epochs();
    let mut predictions = vec![0.0; steps * no];
    let (mut sum, mut count) = (vec![0.0; epochs], vec![0usize; epochs]);
    let mut next_change = 0;
    for t in 0..steps {
        let ep = stream.epoch[t];
        let first = t == 0 || stream.epoch[t - 1] != ep;
        if first {
            while next_change < stream.changes.len() && stream.changes[next_change] < ep {
                next_change += 1;
            }
            if stream.changes.get(next_change) == Some(&ep) {
                readout.task_changed();
                next_change += 1;
            }
        }
        let y = &mut predictions[t * no..(t + 1) * no];
        let g = stream.gate[t];
        readout.learn(
            &stream.states[t * nf..(t + 1) * nf],
            &stream.targets[t * no..(t + 1) * no],
            g,
            y,
        );
        if let Some(o) = y.iter().position(|v| !v.is_finite()) {
            return Err(LearnError::Diverged {
                object: "run_protocol",
                step: t,
                unit: o,
                hint: "lower the learning rate (eta) or raise delta".into(),
            });
        }
        if g > 0.0 {
            let e = &stream.expected[t * no..(t + 1) * no];
            sum[ep] += y.iter().zip(e).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
            count[ep] += no;
        }
    }
    let epoch_error = sum
        .iter()
        .zip(&count)
        .map(|(&s, &c)| if c > 0 { s / c as f64 } else { f64::NAN })
        .collect();
    Ok(OnlineTrace {
        outputs: no,
        predictions,
        epoch_error,
    })
}

/// Epochs after `change` until the readout has re-adapted: the smallest `k ≥ 0` such that
/// the mean of `error[change + k .. change + k + window]` (NaN epochs skipped) is at most
/// `threshold`. `None` if that never happens before the series ends.
///
/// A useful `threshold` does not depend on the readout: e.g. a fraction of the error a
/// readout that kept the old task's perfect prediction would make after the change.
pub fn readaptation_epochs(
    error: &[f64],
    change: usize,
    window: usize,
    threshold: f64,
) -> Option<usize> {
    assert!(
        window >= 1,
        "readaptation_epochs: window = 0 epochs; use at least 1"
    );
    (change..error.len().saturating_sub(window - 1)).find_map(|s| {
        let w: Vec<f64> = error[s..s + window]
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .collect();
        (!w.is_empty() && w.iter().sum::<f64>() / w.len() as f64 <= threshold).then_some(s - change)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;

    /// `contexts` one-hot contexts, each a Bernoulli event with probability `p[phase][k]`;
    /// `epochs` epochs of `contexts` steps (one per context), the phase switching at
    /// `change`.
    struct Bernoulli {
        states: Vec<f64>,
        targets: Vec<f64>,
        expected: Vec<f64>,
        gate: Vec<f64>,
        epoch: Vec<usize>,
    }

    fn bernoulli(p: [&[f64]; 2], epochs: usize, change: usize, seed: u64) -> Bernoulli {
        let k = p[0].len();
        let mut r = rng::stream(seed, 7);
        let mut b = Bernoulli {
            states: vec![],
            targets: vec![],
            expected: vec![],
            gate: vec![],
            epoch: vec![],
        };
        for e in 0..epochs {
            let pe = p[usize::from(e >= change)];
            for (c, &pc) in pe.iter().enumerate() {
                b.states.extend((0..k).map(|j| f64::from(u8::from(j == c))));
                b.targets
                    .push(f64::from(u8::from(rng::uniform(&mut r) < pc)));
                b.expected.push(pc);
                b.gate.push(1.0);
                b.epoch.push(e);
            }
        }
        b
    }

    fn stream<'a>(b: &'a Bernoulli, k: usize, changes: &'a [usize]) -> OnlineStream<'a> {
        OnlineStream {
            features: k,
            outputs: 1,
            states: &b.states,
            targets: &b.targets,
            expected: &b.expected,
            gate: &b.gate,
            epoch: &b.epoch,
            changes,
        }
    }

    #[test]
    fn three_factor_amplitude_converges_to_the_event_probability() {
        // Squared loss: the best prediction of a 0/1 outcome is its probability.
        let p = [0.2, 0.5, 0.9];
        let b = bernoulli([&p, &p], 4000, 4000, 1);
        let mut r = ThreeFactorReadout::new(3, 1, 0.02, 0.0, false).unwrap();
        let tr = run_protocol(&mut r, &stream(&b, 3, &[])).unwrap();
        for (c, &pc) in p.iter().enumerate() {
            let mut y = [0.0];
            let x: Vec<f64> = (0..3).map(|j| f64::from(u8::from(j == c))).collect();
            r.predict(&x, &mut y);
            assert!((y[0] - pc).abs() < 0.1, "context {c}: {} vs {pc}", y[0]);
        }
        // Last epochs' error is near the LMS misadjustment floor, far below the first's.
        let late: f64 = tr.epoch_error[3500..].iter().sum::<f64>() / 500.0;
        assert!(late < 0.01 && tr.epoch_error[0] > 0.1, "late {late}");
    }

    #[test]
    fn rls_without_reset_averages_the_phases_and_with_reset_follows_the_new_one() {
        // One constant feature and no noise: RLS is the ridge mean Σy/(n + δ) (plus the
        // bias column, which shares the same constant input: two copies of the regressor).
        // Hand computation with x = (1, 1), P0 = I/δ: w·x after n samples of y is
        // 2 Σy / (2n + δ).
        let (n1, n2, delta) = (200usize, 200usize, 1.0);
        let mut x = vec![];
        let mut y = vec![];
        let mut ep = vec![];
        for t in 0..n1 + n2 {
            x.push(1.0);
            y.push(if t < n1 { 1.0 } else { 0.0 });
            ep.push(t);
        }
        let gate = vec![1.0; n1 + n2];
        let s = OnlineStream {
            features: 1,
            outputs: 1,
            states: &x,
            targets: &y,
            expected: &y,
            gate: &gate,
            epoch: &ep,
            changes: &[n1],
        };
        let mut keep = ForceReadout::new(1, 1, delta, 1.0, false).unwrap();
        let tk = run_protocol(&mut keep, &s).unwrap();
        let want = 2.0 * n1 as f64 / (2.0 * (n1 + n2) as f64 + delta);
        let mut out = [0.0];
        keep.learn(&[1.0], &[0.0], 0.0, &mut out);
        assert!((out[0] - want).abs() < 1e-9, "{} vs {want}", out[0]);
        // Prediction at the change, after n1 samples of y = 1: 2 n1 / (2 n1 + δ).
        assert!(tk.predictions[n1] > 0.99);

        // Reset at the change: P = I/δ, w kept (w·x = w0 ≈ 1); afterwards the estimate is
        // (δ w0 + 2 Σ_new y) / (δ + 2 m) = δ w0 / (δ + 2 m) with Σ_new y = 0.
        let mut reset = ForceReadout::new(1, 1, delta, 1.0, true).unwrap();
        let tr = run_protocol(&mut reset, &s).unwrap();
        assert_eq!(reset.resets(), 1);
        let w0 = 2.0 * n1 as f64 / (2.0 * n1 as f64 + delta);
        for m in [1usize, 10, 100] {
            let want = delta * w0 / (delta + 2.0 * m as f64);
            let got = tr.predictions[n1 + m];
            assert!((got - want).abs() < 1e-9, "m = {m}: {got} vs {want}");
        }
        // After the change the reset readout's error is far below the non-reset one's.
        let e_keep: f64 = tk.epoch_error[n1 + 10..].iter().sum();
        let e_reset: f64 = tr.epoch_error[n1 + 10..].iter().sum();
        assert!(e_reset < 0.05 * e_keep, "{e_reset} vs {e_keep}");
    }

    #[test]
    fn three_factor_readapts_and_converged_rls_does_not() {
        let (p1, p2) = ([0.9, 0.2], [0.2, 0.9]);
        let (epochs, change) = (3000, 1500);
        let b = bernoulli([&p1, &p2], epochs, change, 3);
        let changes = [change];
        let s = stream(&b, 2, &changes);
        let mut tf = ThreeFactorReadout::new(2, 1, 0.05, 0.0, false).unwrap();
        let mut keep = ForceReadout::new(2, 1, 1.0, 1.0, false).unwrap();
        let mut reset = ForceReadout::new(2, 1, 1.0, 1.0, true).unwrap();
        let e_tf = run_protocol(&mut tf, &s).unwrap().epoch_error;
        let e_keep = run_protocol(&mut keep, &s).unwrap().epoch_error;
        let e_reset = run_protocol(&mut reset, &s).unwrap().epoch_error;
        // Stale error: the old probabilities scored against the new, (0.7² + 0.7²)/2.
        let thr = 0.25 * 0.49;
        let k_tf = readaptation_epochs(&e_tf, change, 20, thr).expect("3F re-adapts");
        let k_reset = readaptation_epochs(&e_reset, change, 20, thr).expect("reset re-adapts");
        assert!(k_tf < 100 && k_reset < 100, "{k_tf} {k_reset}");
        // RLS without reset is a running mean: halfway to the new values only after as many
        // epochs as the first phase had; its error stays above the threshold for ≥ 500.
        let k_keep = readaptation_epochs(&e_keep, change, 20, thr);
        assert!(k_keep.is_none_or(|k| k > 500), "{k_keep:?}");
    }

    #[test]
    fn gate_zero_freezes_both_readouts() {
        let p = [0.5, 0.5];
        let mut b = bernoulli([&p, &p], 50, 50, 2);
        b.gate.iter_mut().for_each(|g| *g = 0.0);
        let s = stream(&b, 2, &[]);
        let mut tf = ThreeFactorReadout::new(2, 1, 0.5, 0.5, true).unwrap();
        let mut rls = ForceReadout::new(2, 1, 1.0, 1.0, false).unwrap();
        let t1 = run_protocol(&mut tf, &s).unwrap();
        let t2 = run_protocol(&mut rls, &s).unwrap();
        assert!(tf.weights().iter().all(|&w| w == 0.0));
        assert!(rls.weights().iter().all(|&w| w == 0.0));
        assert!(t1.epoch_error.iter().all(|e| e.is_nan()));
        assert!(t2.predictions.iter().all(|&y| y == 0.0));
    }

    #[test]
    fn readaptation_hand_cases() {
        let e = [1.0, 1.0, 0.9, 0.5, 0.2, 0.1, f64::NAN, 0.1];
        assert_eq!(readaptation_epochs(&e, 0, 1, 0.5), Some(3));
        assert_eq!(readaptation_epochs(&e, 2, 1, 0.5), Some(1));
        // Windows of 2: (0.9+0.5)/2 = 0.7, (0.5+0.2)/2 = 0.35 ≤ 0.4 at start 3.
        assert_eq!(readaptation_epochs(&e, 2, 2, 0.4), Some(1));
        // NaN skipped: window [0.1, NaN] → 0.1.
        assert_eq!(readaptation_epochs(&e, 5, 2, 0.1), Some(0));
        assert_eq!(readaptation_epochs(&e, 0, 1, 0.05), None);
        assert_eq!(readaptation_epochs(&e, 0, 20, 1.0), None);
    }

    #[test]
    fn bad_streams_are_refused_with_the_array_named() {
        let b = bernoulli([&[0.5], &[0.5]], 5, 5, 0);
        let mut s = stream(&b, 1, &[]);
        let short = &b.targets[..3];
        s.targets = short;
        let mut r = ThreeFactorReadout::new(1, 1, 0.1, 0.0, true).unwrap();
        let e = run_protocol(&mut r, &s).unwrap_err().to_string();
        assert!(e.contains("targets"), "{e}");
        let s = stream(&b, 1, &[]);
        let mut wrong = ThreeFactorReadout::new(2, 1, 0.1, 0.0, true).unwrap();
        let e = run_protocol(&mut wrong, &s).unwrap_err().to_string();
        assert!(e.contains("features"), "{e}");
        let mut g = b.gate.clone();
        g[2] = 2.0;
        let s = OnlineStream {
            gate: &g,
            ..stream(&b, 1, &[])
        };
        assert!(
            run_protocol(&mut r, &s)
                .unwrap_err()
                .to_string()
                .contains("gate")
        );
    }
}
