//! The MLP policy that NCAP is compared with (Bhattasali, Zador & Engel 2022; the repository's
//! ES runs use garage's `GaussianMLPPolicy` with tanh hidden layers, 64-64 by default, and act
//! with its mean): observation → tanh hidden layers → linear output, one action per joint.
//! Evaluated deterministically (the mean action); MuJoCo clamps the controls to \[−1, 1\].
//!
//! Parameters are one flat vector, layer by layer, each layer's weights (row-major,
//! outputs × inputs) then its biases, so that evolution strategies can perturb it directly.
//! Weights start Xavier-uniform (U(±√(6/(fan_in + fan_out))), garage's default), biases 0.

use crate::random::RandomState;
use crate::rollout::Policy;
use crate::swimmer::Observation;

/// A multilayer perceptron with tanh hidden units and a linear output.
#[derive(Debug, Clone)]
pub struct Mlp {
    sizes: Vec<usize>,
    params: Vec<f64>,
}

impl Mlp {
    /// Layer sizes `[inputs, hidden…, outputs]` (at least inputs and outputs, all > 0),
    /// Xavier-uniform weights from `RandomState(seed)`, zero biases.
    pub fn new(sizes: &[usize], seed: u32) -> Mlp {
        assert!(
            sizes.len() >= 2 && sizes.iter().all(|&s| s > 0),
            "MLP layer sizes {sizes:?}: need inputs and outputs, all > 0"
        );
        let mut rng = RandomState::new(seed);
        let mut params = Vec::with_capacity(Self::count(sizes));
        for w in sizes.windows(2) {
            let (fan_in, fan_out) = (w[0], w[1]);
            let a = (6.0 / (fan_in + fan_out) as f64).sqrt();
            params.extend((0..fan_in * fan_out).map(|_| rng.uniform(-a, a)));
            params.extend(std::iter::repeat_n(0.0, fan_out));
        }
        Mlp {
            sizes: sizes.to_vec(),
            params,
        }
    }

    /// The number of parameters of an MLP with these layer sizes.
    pub fn count(sizes: &[usize]) -> usize {
        sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }

    /// The policy of the paper's size for an `n_links` swimmer: dm_control's flat
    /// observation ((n − 1) + 2 + 3n values) → `hidden` tanh layers → n − 1 actions.
    pub fn for_swimmer(n_links: usize, hidden: &[usize], seed: u32) -> Mlp {
        assert!(
            n_links >= 3,
            "a swimmer has at least 3 links, got {n_links}"
        );
        let mut sizes = vec![(n_links - 1) + 2 + 3 * n_links];
        sizes.extend_from_slice(hidden);
        sizes.push(n_links - 1);
        Mlp::new(&sizes, seed)
    }

    /// Layer sizes.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }
    /// The flat parameter vector.
    pub fn params(&self) -> &[f64] {
        &self.params
    }
    /// Replaces the parameters. Panics on a length mismatch.
    pub fn set_params(&mut self, p: &[f64]) {
        assert_eq!(
            p.len(),
            self.params.len(),
            "MLP with {} parameters given {}",
            self.params.len(),
            p.len()
        );
        self.params.copy_from_slice(p);
    }

    /// The network's output for input `x` (length `sizes[0]`), written to `out` (length of
    /// the last layer).
    pub fn forward(&self, x: &[f64], out: &mut [f64]) {
        let last = self.sizes.len() - 1;
        assert!(
            x.len() == self.sizes[0] && out.len() == self.sizes[last],
            "MLP {:?} given {} inputs and {} output slots",
            self.sizes,
            x.len(),
            out.len()
        );
        let mut a = x.to_vec();
        let mut off = 0;
        for l in 0..last {
            a = self.layer(l, &mut off, &a);
        }
        out.copy_from_slice(&a);
    }
}

impl Mlp {
    /// Layer `l`'s output for its input `a` (tanh unless it is the last layer); `off` is the
    /// layer's start in the flat parameters and is moved past it. Shared by [`Mlp::forward`]
    /// and [`Mlp::activations`].
    fn layer(&self, l: usize, off: &mut usize, a: &[f64]) -> Vec<f64> {
        let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
        let weights = &self.params[*off..*off + n_in * n_out];
        let bias = &self.params[*off + n_in * n_out..*off + n_in * n_out + n_out];
        *off += n_in * n_out + n_out;
        let mut z: Vec<f64> = weights
            .chunks_exact(n_in)
            .zip(bias)
            .map(|(row, b)| b + row.iter().zip(a).map(|(wi, ai)| wi * ai).sum::<f64>())
            .collect();
        if l + 2 < self.sizes.len() {
            z.iter_mut().for_each(|v| *v = v.tanh());
        }
        z
    }

    /// Every layer's activations for input `x`: `acts[0]` is `x`, `acts[l]` the output of
    /// layer l (tanh for hidden layers, linear for the last), for [`Mlp::backward`].
    pub fn activations(&self, x: &[f64]) -> Vec<Vec<f64>> {
        assert_eq!(
            x.len(),
            self.sizes[0],
            "MLP {:?} given {} inputs",
            self.sizes,
            x.len()
        );
        let last = self.sizes.len() - 1;
        let mut acts = Vec::with_capacity(self.sizes.len());
        acts.push(x.to_vec());
        let mut off = 0;
        for l in 0..last {
            let z = self.layer(l, &mut off, &acts[l]);
            acts.push(z);
        }
        acts
    }

    /// Backpropagation: adds to `grad` (length of [`Mlp::params`], same layout) the gradient
    /// of a scalar loss whose derivative with respect to the network's output is `dout`,
    /// given the activations `acts` of the input ([`Mlp::activations`]). Returns the
    /// derivative with respect to the input.
    pub fn backward(&self, acts: &[Vec<f64>], dout: &[f64], grad: &mut [f64]) -> Vec<f64> {
        let last = self.sizes.len() - 1;
        assert!(
            acts.len() == self.sizes.len()
                && dout.len() == self.sizes[last]
                && grad.len() == self.params.len(),
            "MLP {:?} backward given {} activation layers, {} output derivatives, {} gradient slots",
            self.sizes,
            acts.len(),
            dout.len(),
            grad.len()
        );
        let mut delta = dout.to_vec();
        let mut off = self.params.len();
        for l in (0..last).rev() {
            let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
            off -= n_in * n_out + n_out;
            let a_in = &acts[l];
            let (gw, gb) = grad[off..off + n_in * n_out + n_out].split_at_mut(n_in * n_out);
            let weights = &self.params[off..off + n_in * n_out];
            let mut d_in = vec![0.0; n_in];
            for o in 0..n_out {
                let d = delta[o];
                gb[o] += d;
                let row = &mut gw[o * n_in..(o + 1) * n_in];
                let wrow = &weights[o * n_in..(o + 1) * n_in];
                for i in 0..n_in {
                    row[i] += d * a_in[i];
                    d_in[i] += d * wrow[i];
                }
            }
            if l > 0 {
                // a_in = tanh(z): d tanh / dz = 1 − a².
                for (d, a) in d_in.iter_mut().zip(a_in) {
                    *d *= 1.0 - a * a;
                }
            }
            delta = d_in;
        }
        delta
    }
}

/// The MLP acting on dm_control's flat observation.
impl Policy for Mlp {
    fn act(&self, _t: usize, obs: &Observation, action: &mut [f64]) {
        self.forward(&obs.flat(), action);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_count_of_the_paper_sized_policy() {
        // 6 links: 25 observations -> 64 -> 64 -> 5.
        let m = Mlp::for_swimmer(6, &[64, 64], 0);
        assert_eq!(m.sizes(), &[25, 64, 64, 5]);
        assert_eq!(m.params().len(), 25 * 64 + 64 + 64 * 64 + 64 + 64 * 5 + 5);
        assert_eq!(Mlp::count(&[25, 64, 64, 5]), 6149);
    }

    #[test]
    fn forward_by_hand() {
        let mut m = Mlp::new(&[2, 2, 1], 0);
        // Hidden: W = [[1, 2], [-1, 0.5]], b = [0.1, -0.2]; output: W = [[3, -1]], b = [0.5].
        m.set_params(&[1.0, 2.0, -1.0, 0.5, 0.1, -0.2, 3.0, -1.0, 0.5]);
        let mut y = [0.0];
        m.forward(&[0.3, -0.4], &mut y);
        let h0 = (0.3f64 - 0.8 + 0.1).tanh();
        let h1 = (-0.3f64 - 0.2 - 0.2).tanh();
        assert!((y[0] - (3.0 * h0 - h1 + 0.5)).abs() < 1e-15, "{y:?}");
    }

    #[test]
    fn backward_matches_finite_differences() {
        let m = Mlp::new(&[3, 5, 4, 2], 11);
        let x = [0.3, -0.8, 1.2];
        // Loss L = c · out, so dL/dout = c.
        let c = [0.7, -1.3];
        let loss = |m: &Mlp, x: &[f64]| {
            let mut y = [0.0; 2];
            m.forward(x, &mut y);
            y[0] * c[0] + y[1] * c[1]
        };
        let acts = m.activations(&x);
        let mut y = [0.0; 2];
        m.forward(&x, &mut y);
        assert_eq!(acts[3], y.to_vec());
        let mut grad = vec![0.0; m.params().len()];
        let dx = m.backward(&acts, &c, &mut grad);
        let h = 1e-6;
        for k in 0..m.params().len() {
            let mut p = m.params().to_vec();
            p[k] += h;
            let mut mp = m.clone();
            mp.set_params(&p);
            p[k] -= 2.0 * h;
            let mut mm = m.clone();
            mm.set_params(&p);
            let fd = (loss(&mp, &x) - loss(&mm, &x)) / (2.0 * h);
            assert!(
                (fd - grad[k]).abs() < 1e-8,
                "param {k}: {fd} vs {}",
                grad[k]
            );
        }
        for i in 0..3 {
            let mut xp = x;
            xp[i] += h;
            let mut xm = x;
            xm[i] -= h;
            let fd = (loss(&m, &xp) - loss(&m, &xm)) / (2.0 * h);
            assert!((fd - dx[i]).abs() < 1e-8, "input {i}: {fd} vs {}", dx[i]);
        }
    }

    #[test]
    fn xavier_init_within_bounds_and_zero_biases() {
        let m = Mlp::new(&[10, 6, 4], 7);
        let a1 = (6.0f64 / 16.0).sqrt();
        assert!(m.params()[..60].iter().all(|w| w.abs() <= a1));
        assert!(m.params()[60..66].iter().all(|&b| b == 0.0));
        assert!(m.params()[..60].iter().any(|w| w.abs() > 0.5 * a1));
        assert_eq!(m.params(), Mlp::new(&[10, 6, 4], 7).params());
    }
}
