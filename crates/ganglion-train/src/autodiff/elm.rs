//! The Expressive Leaky Memory (ELM) neuron (Spieler, Rahaman, Martius, Schölkopf & Levina
//! 2023, "The Expressive Leaky Memory neuron: an efficient and expressive phenomenological
//! neuron model can solve long-horizon tasks", ICLR 2024), on the general autodiff path.
//!
//! Per time step t (Δt = 1), with synapse inputs x_t (routed from the neuron's inputs):
//!
//! ```text
//! s_t   = κ_s ⊙ s_{t−1} + relu(w_s) ⊙ x_t             synaptic traces, κ_s = e^{−Δt/τ_s}
//! b_t   = Σ_{synapses of branch j} s_t                 branch sums (num_branch)
//! Δm_t  = 1.7159 · tanh(⅔ · MLP([b_t, κ_m ⊙ m_{t−1}]))  memory update (ReLU MLP)
//! m_t   = κ_m ⊙ m_{t−1} + λ (1 − κ_m) ⊙ Δm_t          leaky memory, κ_m = e^{−Δt/τ_m}
//! y_t   = W_y m_t + b_y                                linear readout
//! ```
//!
//! τ_m is log-spaced between `memory_tau_min` and `memory_tau_max` (fixed, as in the paper's
//! NeuronIO models); τ_s is one fixed value for all synapses. The trainable parameters are
//! w_s, the MLP and the readout — the paper's published parameter counts (4601, 5852, 8002 and
//! 54 002 for d_m = 1, 10, 20, 100 on NeuronIO) count exactly these.
//!
//! Because τ_s is shared by all synapses, the branch sum commutes with the trace recursion:
//! b_t = κ_s b_{t−1} + Σ_branch relu(w_s) ⊙ x_t. The forward pass uses that form (one
//! (T·B, synapses) product for all steps, then a recursion over branches only), which is
//! exact and saves the per-step synapse-wide update.
//!
//! NeuronIO routing ([`Routing::NeuronIo`]): inputs are interleaved (excitatory, inhibitory,
//! excitatory, …: index i ↦ (i mod 2)·⌊n/2⌋ + ⌊i/2⌋) and branch j reads the window of
//! `num_synapse_per_branch` consecutive interleaved inputs starting at j·⌈n/num_branch⌉;
//! positions past the last input are masked to zero.

use super::{DType, Device, Params, Result, Tensor, Var, linear};

/// How the neuron's inputs reach its synapses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// Synapse k reads input k (num_synapse = num_input).
    Direct,
    /// Overlapping windows over interleaved inputs, as for the paper's NeuronIO neuron.
    NeuronIo,
}

/// ELM hyper-parameters (defaults: the paper code's defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct ElmConfig {
    /// Number of inputs.
    pub num_input: usize,
    /// Number of outputs of the linear readout.
    pub num_output: usize,
    /// Memory units d_m.
    pub num_memory: usize,
    /// Memory update scale λ (5).
    pub lambda: f64,
    /// Hidden layers of the memory-update MLP (1).
    pub mlp_layers: usize,
    /// Hidden width of the MLP; `None` = 2 d_m, the paper's choice.
    pub mlp_hidden: Option<usize>,
    /// Synaptic time constant τ_s in steps (5).
    pub tau_s: f64,
    /// Smallest memory time constant in steps (1).
    pub memory_tau_min: f64,
    /// Largest memory time constant in steps (1000; 150 for the NeuronIO models).
    pub memory_tau_max: f64,
    /// Initial synaptic weight (0.5).
    pub w_s_init: f64,
    /// Branches; `None` = one per input.
    pub num_branch: Option<usize>,
    /// Synapses per branch (1).
    pub num_synapse_per_branch: usize,
    /// Input-to-synapse routing.
    pub routing: Routing,
}

impl Default for ElmConfig {
    fn default() -> Self {
        Self {
            num_input: 1,
            num_output: 1,
            num_memory: 100,
            lambda: 5.0,
            mlp_layers: 1,
            mlp_hidden: None,
            tau_s: 5.0,
            memory_tau_min: 1.0,
            memory_tau_max: 1000.0,
            w_s_init: 0.5,
            num_branch: None,
            num_synapse_per_branch: 1,
            routing: Routing::Direct,
        }
    }
}

impl ElmConfig {
    /// The paper's NeuronIO neuron: 1278 inputs routed to 45 branches × 100 synapses, 2
    /// outputs (spike, soma), τ_m ∈ [1, 150], MLP with one hidden layer of 2 d_m.
    pub fn neuronio(num_memory: usize) -> Self {
        Self {
            num_input: 1278,
            num_output: 2,
            num_memory,
            memory_tau_max: 150.0,
            num_branch: Some(45),
            num_synapse_per_branch: 100,
            routing: Routing::NeuronIo,
            ..Self::default()
        }
    }

    /// Branches (num_input when unset).
    pub fn branches(&self) -> usize {
        self.num_branch.unwrap_or(self.num_input)
    }

    /// Synapses = branches × synapses per branch.
    pub fn synapses(&self) -> usize {
        self.branches() * self.num_synapse_per_branch
    }

    /// Hidden width of the MLP.
    pub fn hidden(&self) -> usize {
        self.mlp_hidden.unwrap_or(2 * self.num_memory)
    }

    /// Trainable parameters in closed form: synapses (w_s) + (b + d_m)·H + H + (L−1)(H² + H)
    /// + H·d_m + d_m + d_m·o + o, for b branches, hidden width H, L hidden layers, o outputs.
    pub fn param_count(&self) -> usize {
        let (b, dm, h, o, l) = (
            self.branches(),
            self.num_memory,
            self.hidden(),
            self.num_output,
            self.mlp_layers,
        );
        self.synapses()
            + (b + dm) * h
            + h
            + l.saturating_sub(1) * (h * h + h)
            + h * dm
            + dm
            + dm * o
            + o
    }

    fn validate(&self) -> Result<()> {
        let fail = |what: String| -> Result<()> { candle_core::bail!("ElmConfig: {what}") };
        if self.num_input == 0
            || self.num_output == 0
            || self.num_memory == 0
            || self.mlp_layers == 0
        {
            return fail(format!(
                "num_input = {}, num_output = {}, num_memory = {}, mlp_layers = {}; all must be ≥ 1",
                self.num_input, self.num_output, self.num_memory, self.mlp_layers
            ));
        }
        if !(self.tau_s > 0.0
            && self.memory_tau_min > 0.0
            && self.memory_tau_max > self.memory_tau_min)
        {
            return fail(format!(
                "tau_s = {}, memory tau range [{}, {}]; need τ_s > 0 and 0 < τ_min < τ_max",
                self.tau_s, self.memory_tau_min, self.memory_tau_max
            ));
        }
        match self.routing {
            Routing::Direct if self.synapses() != self.num_input => fail(format!(
                "direct routing needs branches × synapses per branch = num_input, got {} × {} ≠ {}; use Routing::NeuronIo or fix the sizes",
                self.branches(),
                self.num_synapse_per_branch,
                self.num_input
            )),
            Routing::NeuronIo
                if self.num_input.div_ceil(self.branches()) > self.num_synapse_per_branch =>
            {
                fail(format!(
                    "NeuronIO routing needs ⌈num_input / branches⌉ = {} ≤ synapses per branch = {}",
                    self.num_input.div_ceil(self.branches()),
                    self.num_synapse_per_branch
                ))
            }
            _ => Ok(()),
        }
    }

    /// Memory time constants τ_m (steps): d_m values log-spaced between τ_min and τ_max
    /// (the paper nudges the ends inwards by 1e-6 before its inverse-sigmoid parametrisation).
    pub fn memory_taus(&self) -> Vec<f64> {
        let (lo, hi) = (
            (self.memory_tau_min + 1e-6).log10(),
            (self.memory_tau_max - 1e-6).log10(),
        );
        let n = self.num_memory;
        (0..n)
            .map(|i| {
                if n == 1 {
                    10f64.powf(lo)
                } else {
                    10f64.powf(lo + (hi - lo) * i as f64 / (n - 1) as f64)
                }
            })
            .collect()
    }
}

/// NeuronIO routing: for each synapse (branch-major), the input it reads and whether it is a
/// real input (false for window positions past the last input, which read input n − 1 masked).
pub fn neuronio_routing(
    num_input: usize,
    num_branch: usize,
    per_branch: usize,
) -> (Vec<usize>, Vec<bool>) {
    let half = num_input / 2;
    let interlock: Vec<usize> = (0..num_input).map(|i| (i % 2) * half + i / 2).collect();
    let stride = num_input.div_ceil(num_branch);
    let mut idx = Vec::with_capacity(num_branch * per_branch);
    let mut valid = Vec::with_capacity(num_branch * per_branch);
    for w in 0..num_branch {
        for e in 0..per_branch {
            let j = w * stride + e;
            valid.push(j < num_input);
            idx.push(interlock[j.min(num_input - 1)]);
        }
    }
    (idx, valid)
}

/// An ELM neuron (or a layer of independent ELM units sharing nothing: one neuron here).
#[derive(Debug, Clone)]
pub struct Elm {
    cfg: ElmConfig,
    w_s: Var,
    mlp: Vec<(Var, Var)>,
    w_y: Var,
    b_y: Var,
    kappa_s: f64,
    kappa_m: Tensor,
    lam_1mk: Tensor,
    route: Option<(Tensor, Tensor)>,
    /// (synapses, branches) one-hot: synapse j belongs to branch j / synapses-per-branch;
    /// None with one synapse per branch reading its own input (the drive is elementwise).
    branch_of: Option<Tensor>,
    dtype: DType,
}

impl Elm {
    /// Build the neuron, registering its parameters in `params` under `prefix`. Weights are
    /// drawn from streams `key`, `key + 1`, …: normal with the variance of PyTorch's default
    /// uniform Linear init (1 / (3 fan_in)); biases start at 0 (PyTorch draws them uniformly);
    /// w_s starts at `w_s_init`.
    pub fn new(
        cfg: ElmConfig,
        params: &mut Params,
        prefix: &str,
        key: u64,
        dtype: DType,
    ) -> Result<Self> {
        cfg.validate()?;
        let (b, dm, h) = (cfg.branches(), cfg.num_memory, cfg.hidden());
        let w_s = params.full(
            &format!("{prefix}.w_s"),
            &[cfg.synapses()],
            cfg.w_s_init,
            dtype,
        )?;
        let mut mlp = Vec::new();
        let mut fan_in = b + dm;
        for l in 0..=cfg.mlp_layers {
            let out = if l == cfg.mlp_layers { dm } else { h };
            let std = (1.0 / (3.0 * fan_in as f64)).sqrt();
            let w = params.normal(
                &format!("{prefix}.mlp{l}.w"),
                &[fan_in, out],
                std,
                key.wrapping_add(l as u64),
                dtype,
            )?;
            let bias = params.full(&format!("{prefix}.mlp{l}.b"), &[out], 0.0, dtype)?;
            mlp.push((w, bias));
            fan_in = out;
        }
        let std = (1.0 / (3.0 * dm as f64)).sqrt();
        let w_y = params.normal(
            &format!("{prefix}.w_y"),
            &[dm, cfg.num_output],
            std,
            key.wrapping_add(100),
            dtype,
        )?;
        let b_y = params.full(&format!("{prefix}.b_y"), &[cfg.num_output], 0.0, dtype)?;
        let km: Vec<f64> = cfg
            .memory_taus()
            .iter()
            .map(|t| (-1.0 / t.max(1e-6)).exp())
            .collect();
        let lam: Vec<f64> = km.iter().map(|k| cfg.lambda * (1.0 - k)).collect();
        let dev = Device::Cpu;
        let route = match cfg.routing {
            Routing::Direct => None,
            Routing::NeuronIo => {
                let (idx, valid) = neuronio_routing(cfg.num_input, b, cfg.num_synapse_per_branch);
                let idx: Vec<u32> = idx.iter().map(|&i| i as u32).collect();
                let n = idx.len();
                let mask: Vec<f64> = valid.iter().map(|&v| if v { 1.0 } else { 0.0 }).collect();
                Some((
                    Tensor::from_vec(idx, n, &dev)?,
                    Tensor::from_vec(mask, n, &dev)?.to_dtype(dtype)?,
                ))
            }
        };
        let (ns, spb) = (cfg.synapses(), cfg.num_synapse_per_branch);
        let branch_of = if route.is_none() && spb == 1 {
            None
        } else {
            let one_hot: Vec<f64> = (0..ns * b)
                .map(|k| if (k / b) / spb == k % b { 1.0 } else { 0.0 })
                .collect();
            Some(Tensor::from_vec(one_hot, (ns, b), &dev)?.to_dtype(dtype)?)
        };
        Ok(Self {
            branch_of,
            kappa_s: (-1.0 / cfg.tau_s).exp(),
            kappa_m: Tensor::from_vec(km, dm, &dev)?.to_dtype(dtype)?,
            lam_1mk: Tensor::from_vec(lam, dm, &dev)?.to_dtype(dtype)?,
            cfg,
            w_s,
            mlp,
            w_y,
            b_y,
            route,
            dtype,
        })
    }

    /// The summed synaptic input of every branch at every step, before the trace recursion:
    /// `x` (T, batch, num_input) → (T, batch, branches). With one synaptic time constant the
    /// branch sum commutes with the trace recursion, so the synapse-wide work leaves the loop.
    fn drive(&self, x: &Tensor) -> Result<Tensor> {
        let (t_len, batch, n_in) = x.dims3()?;
        let nb = self.cfg.branches();
        let w = self.w_s.relu()?;
        let Some(branch_of) = &self.branch_of else {
            // One synapse per branch, reading its own input: an elementwise product.
            return x.broadcast_mul(&w);
        };
        // Otherwise fold routing, mask and branch sums into an (inputs, branches) matrix,
        // R[i, k] = Σ relu(w_j) over branch k's synapses j that read input i, and take one
        // product x · R: no (T, B, synapses) intermediate, which made the drive memory-bound
        // (bench/autodiff/RESULTS.md, "ELM, hoisted").
        let (w, idx) = match &self.route {
            Some((idx, mask)) => (w.mul(mask)?, Some(idx)),
            None => (w, None),
        };
        let per_synapse = w
            .reshape((self.cfg.synapses(), 1))?
            .broadcast_mul(branch_of)?;
        let r = match idx {
            Some(idx) => Tensor::zeros((n_in, nb), self.dtype, &Device::Cpu)?.index_add(
                idx,
                &per_synapse,
                0,
            )?,
            None => per_synapse,
        };
        x.reshape((t_len * batch, n_in))?
            .matmul(&r)?
            .reshape((t_len, batch, nb))
    }

    /// [`Elm::drive`] synapse by synapse, as the equations read (routing, mask, weight, sum per
    /// branch): the reference the product form is tested against.
    #[cfg(test)]
    fn drive_by_synapse(&self, x: &Tensor) -> Result<Tensor> {
        let (t_len, batch, _) = x.dims3()?;
        let syn_in = match &self.route {
            None => x.clone(),
            Some((idx, mask)) => x.index_select(idx, 2)?.broadcast_mul(mask)?,
        };
        syn_in
            .broadcast_mul(&self.w_s.relu()?)?
            .reshape((
                t_len,
                batch,
                self.cfg.branches(),
                self.cfg.num_synapse_per_branch,
            ))?
            .sum(3)
    }

    /// The configuration.
    pub fn config(&self) -> &ElmConfig {
        &self.cfg
    }

    /// Outputs for every step: `x` (T, batch, num_input) → (T, batch, num_output).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (t_len, batch, n_in) = x.dims3()?;
        if n_in != self.cfg.num_input {
            candle_core::bail!(
                "Elm::forward: input has {n_in} channels, the neuron has num_input = {}",
                self.cfg.num_input
            );
        }
        let x = x.to_dtype(self.dtype)?;
        let (nb, dm) = (self.cfg.branches(), self.cfg.num_memory);
        let drive = self.drive(&x)?;
        let mut b_t = Tensor::zeros((batch, nb), self.dtype, &Device::Cpu)?;
        let mut m = Tensor::zeros((batch, dm), self.dtype, &Device::Cpu)?;
        let mut ms = Vec::with_capacity(t_len);
        for t in 0..t_len {
            b_t = ((b_t * self.kappa_s)? + drive.get(t)?)?;
            let mm = m.broadcast_mul(&self.kappa_m)?;
            let mut h = Tensor::cat(&[&b_t, &mm], 1)?;
            let last = self.mlp.len() - 1;
            for (l, (w, b)) in self.mlp.iter().enumerate() {
                h = linear(&h, w, b)?;
                if l < last {
                    h = h.relu()?;
                }
            }
            let dm_t = ((h * (2.0 / 3.0))?.tanh()? * 1.7159)?;
            m = (mm + dm_t.broadcast_mul(&self.lam_1mk)?)?;
            ms.push(m.clone());
        }
        let m_all = Tensor::stack(&ms, 0)?.reshape((t_len * batch, dm))?;
        linear(&m_all, &self.w_y, &self.b_y)?.reshape((t_len, batch, self.cfg.num_output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::{grad_check, mse};

    #[test]
    fn param_count_formula_matches_the_built_model_and_the_paper() {
        // The paper repository's model_stats.json: 4601, 5852, 8002, 54002.
        for (dm, paper) in [(1, 4601), (10, 5852), (20, 8002), (100, 54002)] {
            let cfg = ElmConfig::neuronio(dm);
            let mut p = Params::new();
            Elm::new(cfg.clone(), &mut p, "elm", 1, DType::F32).expect("build");
            assert_eq!(p.count(), cfg.param_count(), "d_m = {dm}");
            assert_eq!(cfg.param_count(), paper, "d_m = {dm}");
        }
        // Two hidden layers add H² + H.
        let cfg = ElmConfig {
            num_input: 3,
            num_memory: 4,
            mlp_layers: 2,
            ..ElmConfig::default()
        };
        let mut p = Params::new();
        Elm::new(cfg.clone(), &mut p, "e", 1, DType::F64).expect("build");
        assert_eq!(
            p.count(),
            3 + (3 + 4) * 8 + 8 + (64 + 8) + 8 * 4 + 4 + 4 + 1
        );
    }

    #[test]
    fn neuronio_routing_small_case_by_hand() {
        // 6 inputs interleaved → [0, 3, 1, 4, 2, 5]; 2 branches, stride ⌈6/2⌉ = 3, windows of 4:
        // branch 0 reads positions 0..4, branch 1 positions 3..7 (6 is past the end).
        let (idx, valid) = neuronio_routing(6, 2, 4);
        assert_eq!(idx, vec![0, 3, 1, 4, 4, 2, 5, 5]);
        assert_eq!(valid, vec![true, true, true, true, true, true, true, false]);
    }

    #[test]
    fn memory_taus_are_log_spaced() {
        let cfg = ElmConfig {
            num_memory: 3,
            memory_tau_min: 1.0,
            memory_tau_max: 100.0,
            ..ElmConfig::default()
        };
        let t = cfg.memory_taus();
        assert!(
            (t[0] - 1.0).abs() < 1e-5 && (t[1] - 10.0).abs() < 1e-4 && (t[2] - 100.0).abs() < 1e-4,
            "{t:?}"
        );
    }

    #[test]
    fn one_step_matches_the_equations_by_hand() {
        // One input, one branch, d_m = 1, hidden 2: evaluate the update by hand.
        let cfg = ElmConfig {
            num_input: 1,
            num_memory: 1,
            memory_tau_min: 1.0,
            memory_tau_max: 10.0,
            ..ElmConfig::default()
        };
        let mut p = Params::new();
        let elm = Elm::new(cfg.clone(), &mut p, "e", 3, DType::F64).expect("build");
        let x = Tensor::from_vec(vec![1.0f64, 0.0], (2, 1, 1), &Device::Cpu).expect("x");
        let y: Vec<f64> = elm
            .forward(&x)
            .expect("fwd")
            .flatten_all()
            .expect("f")
            .to_vec1()
            .expect("v");
        let get = |n: &str| -> Vec<f64> {
            p.get(n)
                .expect(n)
                .flatten_all()
                .expect("f")
                .to_vec1()
                .expect("v")
        };
        let (w0, w1, wy, by) = (get("e.mlp0.w"), get("e.mlp1.w"), get("e.w_y"), get("e.b_y"));
        let ks = (-1.0f64 / 5.0).exp();
        let km = (-1.0 / (1.0f64 + 1e-6)).exp();
        let step = |b: f64, m: f64| -> f64 {
            let mm = km * m;
            let h: Vec<f64> = (0..2)
                .map(|j| (b * w0[j] + mm * w0[2 + j]).max(0.0))
                .collect();
            let d = 1.7159 * ((h[0] * w1[0] + h[1] * w1[1]) * 2.0 / 3.0).tanh();
            mm + 5.0 * (1.0 - km) * d
        };
        let (b1, b2) = (0.5, 0.5 * ks);
        let m1 = step(b1, 0.0);
        let m2 = step(b2, m1);
        assert!((y[0] - (wy[0] * m1 + by[0])).abs() < 1e-12, "{y:?}");
        assert!((y[1] - (wy[0] * m2 + by[0])).abs() < 1e-12, "{y:?}");
    }

    #[test]
    fn drive_as_a_product_equals_the_sum_over_synapses() {
        let cases = [
            ElmConfig {
                num_input: 7,
                num_branch: Some(2),
                num_synapse_per_branch: 5,
                routing: Routing::NeuronIo,
                ..ElmConfig::default()
            },
            ElmConfig {
                num_input: 6,
                num_branch: Some(3),
                num_synapse_per_branch: 2,
                ..ElmConfig::default()
            },
            ElmConfig {
                num_input: 4,
                ..ElmConfig::default()
            },
        ];
        for cfg in cases {
            let mut p = Params::new();
            let elm = Elm::new(cfg.clone(), &mut p, "e", 5, DType::F64).expect("build");
            // Weights of both signs, so that relu(w_s) zeroes some synapses.
            let n = cfg.synapses();
            let w: Vec<f64> = (0..n).map(|j| (j as f64 * 0.7).sin()).collect();
            elm.w_s
                .set(&Tensor::from_vec(w, n, &Device::Cpu).expect("w"))
                .expect("set w_s");
            let (t, b) = (3, 2);
            let xs: Vec<f64> = (0..t * b * cfg.num_input)
                .map(|i| ((i * 29 % 13) as f64 / 13.0) - 0.4)
                .collect();
            let x = Tensor::from_vec(xs, (t, b, cfg.num_input), &Device::Cpu).expect("x");
            let fast = elm.drive(&x).expect("drive");
            let slow = elm.drive_by_synapse(&x).expect("drive by synapse");
            let diff = (fast - slow)
                .expect("diff")
                .abs()
                .expect("abs")
                .max_all()
                .expect("max")
                .to_scalar::<f64>()
                .expect("scalar");
            assert!(diff < 1e-12, "{:?}: {diff}", cfg.routing);
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        for routing in [Routing::Direct, Routing::NeuronIo] {
            let cfg = match routing {
                Routing::Direct => ElmConfig {
                    num_input: 3,
                    num_output: 2,
                    num_memory: 4,
                    ..ElmConfig::default()
                },
                Routing::NeuronIo => ElmConfig {
                    num_input: 7,
                    num_output: 2,
                    num_memory: 3,
                    num_branch: Some(2),
                    num_synapse_per_branch: 5,
                    routing,
                    mlp_layers: 2,
                    memory_tau_max: 20.0,
                    ..ElmConfig::default()
                },
            };
            let mut p = Params::new();
            let elm = Elm::new(cfg.clone(), &mut p, "e", 11, DType::F64).expect("build");
            let (t, b) = (6, 2);
            let xs: Vec<f64> = (0..t * b * cfg.num_input)
                .map(|i| ((i * 37 % 11) as f64 / 11.0) - 0.3)
                .collect();
            let x = Tensor::from_vec(xs, (t, b, cfg.num_input), &Device::Cpu).expect("x");
            let ys: Vec<f64> = (0..t * b * 2)
                .map(|i| ((i * 13 % 7) as f64 / 7.0) - 0.5)
                .collect();
            let y = Tensor::from_vec(ys, (t, b, 2), &Device::Cpu).expect("y");
            let gc = grad_check(&p, || mse(&elm.forward(&x)?, &y), 1e-6, 12).expect("grad check");
            assert!(gc.checked > 30, "{gc:?}");
            assert!(
                gc.max_rel_err < 1e-5 || gc.max_abs_err < 1e-9,
                "{routing:?}: {gc:?}"
            );
        }
    }

    #[test]
    fn bad_config_is_rejected_with_the_sizes() {
        let cfg = ElmConfig {
            num_input: 5,
            num_branch: Some(2),
            ..ElmConfig::default()
        };
        let err = Elm::new(cfg, &mut Params::new(), "e", 1, DType::F32)
            .expect_err("must fail")
            .to_string();
        assert!(err.contains("2 × 1 ≠ 5"), "{err}");
    }
}
