//! The two policies PPO trains here: a tanh MLP and the NCAP circuit as the Gaussian mean.

use super::*;

/// An MLP mean on the normalised observation (tanh hidden layers, linear output).
#[derive(Debug, Clone)]
pub struct MlpActor(pub Mlp);

impl MlpActor {
    /// An MLP of layer sizes `sizes` ([`Mlp::new`]) whose output layer's weights are scaled
    /// by 0.01, so that the initial mean is near 0 (the usual PPO initialisation, e.g.
    /// Stable-Baselines3's output gain 0.01).
    pub fn new(sizes: &[usize], seed: u32) -> MlpActor {
        let mut m = Mlp::new(sizes, seed);
        let k = sizes.len();
        let last = sizes[k - 2] * sizes[k - 1] + sizes[k - 1];
        let mut p = m.params().to_vec();
        let len = p.len();
        p[len - last..].iter_mut().for_each(|x| *x *= 0.01);
        m.set_params(&p);
        MlpActor(m)
    }
}

impl Actor for MlpActor {
    fn params(&self) -> &[f64] {
        self.0.params()
    }
    fn set_params(&mut self, p: &[f64]) {
        self.0.set_params(p);
    }
    fn mean(&self, input: &ActorInput, mean: &mut [f64]) {
        self.0.forward(input.norm, mean);
    }
    fn backward(&self, input: &ActorInput, dmean: &[f64], grad: &mut [f64]) {
        let acts = self.0.activations(input.norm);
        self.0.backward(&acts, dmean, grad);
    }
}

/// The shared-weight NCAP circuit ([`crate::ncap`], 4 parameters, sign-constrained or not) as
/// a policy mean: reads the first `joints` entries of the raw observation (joint angles
/// \[rad\]), normalises them by the joint limit 2π/(joints + 1) and clamps them to \[−1, 1\],
/// and uses the episode's step counter for the oscillator. The gradient follows PyTorch's
/// `clamp` (derivative 1 where the input lies within the bounds, ends included, else 0).
#[derive(Debug, Clone)]
pub struct NcapActor {
    ncap: Ncap,
}

impl NcapActor {
    /// Wraps a shared-weight circuit. Panics for the per-joint (unshared) variant.
    pub fn new(ncap: Ncap) -> NcapActor {
        assert!(
            ncap.config().shared && ncap.params().len() == 4,
            "NcapActor supports the shared 4-parameter circuit, got {} parameters",
            ncap.params().len()
        );
        NcapActor { ncap }
    }

    /// The circuit.
    pub fn ncap(&self) -> &Ncap {
        &self.ncap
    }

    fn joints(&self, raw: &[f64]) -> Vec<f64> {
        let n = self.ncap.config().joints;
        let limit = crate::swimmer::joint_limit(n + 1);
        raw[..n]
            .iter()
            .map(|a| (a / limit).clamp(-1.0, 1.0))
            .collect()
    }

    /// Effective weight of parameter k and its derivative with respect to the raw one.
    fn weight(&self, k: usize) -> (f64, f64) {
        let p = self.ncap.params()[k];
        if !self.ncap.config().constrained {
            return (p, 1.0);
        }
        match self.ncap.signs()[k] {
            Sign::Excitatory => (p.max(0.0), if p >= 0.0 { 1.0 } else { 0.0 }),
            Sign::Inhibitory => (p.min(0.0), if p <= 0.0 { 1.0 } else { 0.0 }),
        }
    }

    /// Torques and, when `dmean` is given, the parameter gradient added to `grad`.
    fn run(&self, input: &ActorInput, out: &mut [f64], back: Option<(&[f64], &mut [f64])>) {
        let q = self.joints(input.raw);
        let (osc_d, osc_v) = self.ncap.oscillator(input.t);
        // Parameter order of the shared circuit: prop, osc, ipsi, contra.
        let w: [(f64, f64); 4] = std::array::from_fn(|k| self.weight(k));
        let inside = |x: f64| if (0.0..=1.0).contains(&x) { 1.0 } else { 0.0 };
        let mut g = [0.0; 4];
        for i in 0..q.len() {
            // B-neuron inputs: (value, ∂/∂w_prop, ∂/∂w_osc) before the graded clamp.
            let (mut bd, mut bv) = (0.0, 0.0);
            let (mut dbd, mut dbv) = ([0.0; 2], [0.0; 2]);
            if i > 0 {
                let (pd, pv) = (q[i - 1].clamp(0.0, 1.0), (-q[i - 1]).clamp(0.0, 1.0));
                bd += pd * w[0].0;
                bv += pv * w[0].0;
                dbd[0] += pd;
                dbv[0] += pv;
            } else {
                bd += osc_d * w[1].0;
                bv += osc_v * w[1].0;
                dbd[1] += osc_d;
                dbv[1] += osc_v;
            }
            let (gd, gv) = (inside(bd), inside(bv));
            let (bd, bv) = (bd.clamp(0.0, 1.0), bv.clamp(0.0, 1.0));
            let md = bd * w[2].0 + bv * w[3].0;
            let mv = bv * w[2].0 + bd * w[3].0;
            out[i] = md.clamp(0.0, 1.0) - mv.clamp(0.0, 1.0);
            if let Some((dmean, _)) = &back {
                let d = dmean[i];
                let (hd, hv) = (d * inside(md), -d * inside(mv));
                // Muscle weights directly.
                g[2] += hd * bd + hv * bv;
                g[3] += hd * bv + hv * bd;
                // Through the B-neurons.
                let dbd_total = (hd * w[2].0 + hv * w[3].0) * gd;
                let dbv_total = (hd * w[3].0 + hv * w[2].0) * gv;
                for k in 0..2 {
                    g[k] += dbd_total * dbd[k] + dbv_total * dbv[k];
                }
            }
        }
        if let Some((_, grad)) = back {
            for k in 0..4 {
                grad[k] += g[k] * w[k].1;
            }
        }
    }
}

impl Actor for NcapActor {
    fn params(&self) -> &[f64] {
        self.ncap.params()
    }
    fn set_params(&mut self, p: &[f64]) {
        self.ncap.set_params(p);
    }
    fn mean(&self, input: &ActorInput, mean: &mut [f64]) {
        self.run(input, mean, None);
    }
    fn backward(&self, input: &ActorInput, dmean: &[f64], grad: &mut [f64]) {
        let mut out = vec![0.0; self.ncap.config().joints];
        self.run(input, &mut out, Some((dmean, grad)));
    }
}
