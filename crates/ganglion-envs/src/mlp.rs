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
        for (l, w) in self.sizes.windows(2).enumerate() {
            let (n_in, n_out) = (w[0], w[1]);
            let weights = &self.params[off..off + n_in * n_out];
            let bias = &self.params[off + n_in * n_out..off + n_in * n_out + n_out];
            off += n_in * n_out + n_out;
            let mut z: Vec<f64> = weights
                .chunks_exact(n_in)
                .zip(bias)
                .map(|(row, b)| b + row.iter().zip(&a).map(|(wi, ai)| wi * ai).sum::<f64>())
                .collect();
            if l + 1 < last {
                z.iter_mut().for_each(|v| *v = v.tanh());
            }
            a = z;
        }
        out.copy_from_slice(&a);
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
    fn xavier_init_within_bounds_and_zero_biases() {
        let m = Mlp::new(&[10, 6, 4], 7);
        let a1 = (6.0f64 / 16.0).sqrt();
        assert!(m.params()[..60].iter().all(|w| w.abs() <= a1));
        assert!(m.params()[60..66].iter().all(|&b| b == 0.0));
        assert!(m.params()[..60].iter().any(|w| w.abs() > 0.5 * a1));
        assert_eq!(m.params(), Mlp::new(&[10, 6, 4], 7).params());
    }
}
