//! The sparse structure of a [`Trainer`]'s weights: the masks it starts with (random at
//! `density`, or modular ensemble-to-ensemble masks, G2GNet) and dynamic sparse training
//! (prune the smallest weights, regrow by |gradient| or by Hebbian activity cosine).
//!
//! Which weight matrices are masked: the spec's projections when the trainer was lowered
//! from a spec; every weight matrix (not the biases) when it was built directly
//! ([`Trainer::new_mlp`], [`Trainer::new_snn`]). Modular masks leave the readout (the matrix
//! into the last layer) dense: the classes are not ensembles.

use crate::config::Regrow;
use crate::constraints::prune_regrow;
use crate::constraints::{GradientScore, HebbianScore, OffDiagonal, RegrowScore, block_mask};
use crate::trainer::{Model, Trainer, mlp_inputs, snn_inputs, train_tag};
use ganglion_data::{ImageSet, encode};

/// The activity layers a parameter group connects: `(pre, post)` indices into
/// [`Trainer::layer_activity`] (0 = the input, `l + 1` = layer `l`'s output); `None` for
/// biases.
pub type Link = Option<(usize, usize)>;

/// Every layer's activity on one batch, neuron-major (see [`Trainer::layer_activity`]).
#[derive(Debug, Clone)]
pub struct Activity {
    /// Index 0: the input; `l + 1`: layer `l`'s output; each `n × samples`.
    pub layers: Vec<Vec<f32>>,
    /// Samples in the batch.
    pub samples: usize,
}

impl Trainer {
    /// The `(pre, post)` activity layers of every parameter group, in `params_mut` order.
    pub fn group_links(&self) -> Vec<Link> {
        match &self.model {
            Model::Mlp(m) => (0..m.layers.len())
                .flat_map(|l| [Some((l, l + 1)), None])
                .collect(),
            Model::Snn(s) => s
                .layers
                .iter()
                .enumerate()
                .flat_map(|(l, layer)| {
                    let mut v = vec![Some((l, l + 1))];
                    if layer.rec.is_some() {
                        v.push(Some((l + 1, l + 1)));
                    }
                    v
                })
                .collect(),
        }
    }

    /// The parameter groups that take masks (see the module docs).
    pub fn maskable_groups(&self) -> Vec<usize> {
        let from_spec = self.origins.iter().any(|o| o.projection.is_some());
        self.group_links()
            .iter()
            .enumerate()
            .filter(|&(g, link)| {
                if from_spec {
                    self.origins[g].projection.is_some()
                } else {
                    link.is_some()
                }
            })
            .map(|(g, _)| g)
            .collect()
    }

    /// Give the maskable weight matrices their starting masks, deterministic in the seed:
    /// modular masks when `cfg.modules > 1` (every matrix but the readout: `modules` groups
    /// per side, dense inside a group, `cfg.p_between` between groups), otherwise random
    /// masks keeping `cfg.density` of each (no-op at density 1). Combined with masks already
    /// there (zero diagonals). The kept weights of each target are scaled by √(sources /
    /// kept sources), so that the sparse network starts with the dense one's input variance.
    pub fn init_masks(&mut self) {
        let modular = self.cfg.modules > 1;
        if !modular && self.cfg.density >= 1.0 {
            return;
        }
        let links = self.group_links();
        let last_layer = links.iter().flatten().map(|&(_, post)| post).max();
        let seed = self.cfg.seed;
        for g in self.maskable_groups() {
            let (rows, cols) = self.origins[g].shape;
            let key = encode::stream_key(seed, 4000 + g as u64);
            let m: Vec<u8> = if modular {
                let readout = links[g].is_some_and(|(pre, post)| pre != post)
                    && links[g].map(|l| l.1) == last_layer;
                if readout {
                    continue;
                }
                block_mask(rows, cols, self.cfg.modules, 1.0, self.cfg.p_between, key)
            } else {
                (0..rows * cols)
                    .map(|k| (encode::unit(key, k as u64, 0) < self.cfg.density as f32) as u8)
                    .collect()
            };
            let c = &mut self.constraints[g];
            let mask = match c.mask.take() {
                Some(old) => old.iter().zip(&m).map(|(a, b)| a & b).collect(),
                None => m,
            };
            // The sparse fan-in: each target's kept weights grow by √(rows / kept) so that
            // its input variance is the dense initialisation's (as RigL initialises).
            let mut params = self.model.params_mut();
            for col in 0..cols {
                let kept = (0..rows).filter(|&r| mask[r * cols + col] == 1).count();
                if kept > 0 {
                    let gain = (rows as f32 / kept as f32).sqrt();
                    (0..rows).for_each(|r| params[g][r * cols + col] *= gain);
                }
            }
            self.constraints[g].mask = Some(mask);
        }
        self.apply_constraints();
    }

    /// The activity of every layer on samples `idx` of `set` at the current weights, each
    /// neuron-major (`n × samples`): pixel values and ReLU activations for an MLP, spike
    /// counts (of the same encoded spikes as the batch) for an SNN. Index 0 is the input.
    pub fn layer_activity(&self, set: &ImageSet, idx: &[usize]) -> Vec<Vec<f32>> {
        let b = idx.len();
        let mut rows: Vec<Vec<f32>> = match &self.model {
            Model::Mlp(m) => {
                let x = mlp_inputs(set, idx);
                let mut acts = m.forward(&x, b, faer::Par::Seq);
                acts.insert(0, x);
                acts
            }
            Model::Snn(s) => {
                let inputs = snn_inputs(set, idx, &self.cfg, train_tag(self.epoch));
                let mut counts: Vec<Vec<f32>> = vec![vec![]; s.layers.len() + 1];
                for input in &inputs {
                    let (spikes, _) = s.forward_sample(input);
                    let n_in = s.layers[0].n_in;
                    counts[0].extend(spike_counts(input, n_in));
                    for (l, sp) in spikes.iter().enumerate() {
                        counts[l + 1].extend(spike_counts(sp, s.layers[l].n));
                    }
                }
                counts
            }
        };
        // Sample-major (b × n) to neuron-major (n × b).
        for r in &mut rows {
            let n = r.len() / b.max(1);
            let mut t = vec![0f32; r.len()];
            for (s, row) in r.chunks(n.max(1)).enumerate() {
                for (i, &v) in row.iter().enumerate() {
                    t[i * b + s] = v;
                }
            }
            *r = t;
        }
        rows
    }

    /// Whether optimiser step `t` (counted from 1) prunes and regrows: every
    /// `cfg.dst_every` steps, when some matrix has a mask.
    fn dst_due(&self, t: u64) -> bool {
        let every = self.cfg.dst_every as u64;
        every > 0 && t.is_multiple_of(every) && self.constraints.iter().any(|c| c.mask.is_some())
    }

    /// Before an optimiser step: the activity that Hebbian regrowth after it will score
    /// ([`Trainer::layer_activity`] at the weights the batch's gradients were taken at);
    /// `None` when that step does not regrow by activity.
    pub fn dst_activity(&self, set: &ImageSet, idx: &[usize]) -> Option<Activity> {
        (self.cfg.dst_regrow == Regrow::Hebbian && self.dst_due(self.opt.t + 1)).then(|| Activity {
            layers: self.layer_activity(set, idx),
            samples: idx.len(),
        })
    }

    /// Dynamic sparse training after an optimiser step: every `cfg.dst_every` steps, each
    /// masked weight matrix prunes `cfg.dst_fraction` of its smallest weights and regrows as
    /// many absent synapses, at zero, chosen by `cfg.dst_regrow` on this batch (`grads`: its
    /// gradients, in `params_mut` order; `activity`: from [`Trainer::dst_activity`]). Never
    /// regrows the diagonal of a matrix without autapses.
    pub fn prune_regrow_step(&mut self, grads: &[Vec<f32>], activity: Option<Activity>) {
        if !self.dst_due(self.opt.t) {
            return;
        }
        let links = self.group_links();
        let fraction = self.cfg.dst_fraction;
        let mut params = self.model.params_mut();
        for (g, p) in params.iter_mut().enumerate() {
            let c = &mut self.constraints[g];
            let Some(mask) = c.mask.as_mut() else {
                continue;
            };
            let cols = self.origins[g].shape.1;
            let hebbian;
            let gradient;
            let score: &dyn RegrowScore = match (&activity, links[g]) {
                (Some(a), Some((pre, post))) => {
                    hebbian = HebbianScore {
                        pre: &a.layers[pre],
                        post: &a.layers[post],
                        samples: a.samples,
                        cols,
                    };
                    &hebbian
                }
                _ => match grads.get(g) {
                    Some(gr) => {
                        gradient = GradientScore(gr);
                        &gradient
                    }
                    None => continue,
                },
            };
            let off_diagonal = OffDiagonal { inner: score, cols };
            let score: &dyn RegrowScore = if c.no_autapses { &off_diagonal } else { score };
            prune_regrow(p, mask, fraction, score, 0.0);
        }
    }
}

/// Spikes per neuron of a `steps × n` raster.
fn spike_counts(raster: &[u8], n: usize) -> Vec<f32> {
    let mut c = vec![0f32; n];
    for row in raster.chunks(n.max(1)) {
        for (ci, &s) in c.iter_mut().zip(row) {
            *ci += f32::from(s);
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrainFile;
    use crate::constraints::Constraints;

    fn mlp(file: TrainFile) -> Trainer {
        let mut t = Trainer::new_mlp(&[64, 32, 32, 4], file.resolve().unwrap());
        t.init_masks();
        t
    }

    /// A set of `n` 8×8 images: class c lights row c·2 (so the classes are separable).
    fn images(n: usize) -> ImageSet {
        let mut images = vec![0f32; n * 64];
        let labels: Vec<u8> = (0..n).map(|i| (i % 4) as u8).collect();
        for (i, &l) in labels.iter().enumerate() {
            for c in 0..8 {
                images[i * 64 + l as usize * 16 + c] = 1.0;
            }
        }
        ImageSet {
            rows: 8,
            cols: 8,
            classes: 4,
            images,
            labels,
        }
    }

    fn density(c: &Constraints) -> f64 {
        let m = c.mask.as_ref().expect("mask");
        m.iter().map(|&x| x as f64).sum::<f64>() / m.len() as f64
    }

    #[test]
    fn modular_masks_are_dense_inside_groups_sparse_between_and_spare_the_readout() {
        let t = mlp(TrainFile {
            modules: Some(4),
            p_between: Some(0.15),
            ..Default::default()
        });
        assert_eq!(t.maskable_groups(), [0, 2, 4]);
        for g in [0, 2] {
            let (rows, cols) = t.origins[g].shape;
            let m = t.constraints[g].mask.as_ref().unwrap();
            for r in 0..rows {
                for c in 0..cols {
                    if r * 4 / rows == c * 4 / cols {
                        assert_eq!(m[r * cols + c], 1, "inside a group ({r}, {c})");
                    }
                }
            }
            // A quarter inside, 15 % of the other three quarters: 36 % of the matrix.
            let d = density(&t.constraints[g]);
            assert!((d - 0.3625).abs() < 0.05, "density {d}");
        }
        assert!(t.constraints[4].mask.is_none(), "the readout stays dense");
        // Masked weights are zero from the start.
        if let Model::Mlp(m) = &t.model {
            let mask = t.constraints[0].mask.as_ref().unwrap();
            assert!(
                m.layers[0]
                    .w
                    .iter()
                    .zip(mask)
                    .all(|(&w, &k)| k == 1 || w == 0.0)
            );
        }
    }

    #[test]
    fn hebbian_regrowth_keeps_the_count_and_regrows_the_most_correlated_pairs() {
        let mut t = mlp(TrainFile {
            modules: Some(4),
            dst_every: Some(1),
            dst_fraction: Some(0.2),
            dst_regrow: Some("hebbian".into()),
            ..Default::default()
        });
        let set = images(16);
        let idx: Vec<usize> = (0..16).collect();
        let before = t.constraints[0].mask.clone().unwrap();
        let acts = t.layer_activity(&set, &idx);
        assert_eq!(acts.len(), 4);
        assert_eq!((acts[0].len(), acts[1].len()), (64 * 16, 32 * 16));
        t.train_batch(&set, &idx, 1.0);
        let after = t.constraints[0].mask.clone().unwrap();
        let count = |m: &[u8]| m.iter().filter(|&&x| x == 1).count();
        assert_eq!(count(&before), count(&after));
        let grown: Vec<usize> = (0..after.len())
            .filter(|&i| after[i] == 1 && before[i] == 0)
            .collect();
        assert!(!grown.is_empty());
        // Every regrown synapse scores at least as high as every absent one left behind
        // (scored on the activity at the weights the batch's gradients were taken at).
        let score = HebbianScore {
            pre: &acts[0],
            post: &acts[1],
            samples: 16,
            cols: 32,
        };
        let lowest_grown = grown
            .iter()
            .map(|&i| score.score(i))
            .fold(f32::INFINITY, f32::min);
        let highest_left = (0..after.len())
            .filter(|&i| after[i] == 0 && before[i] == 0)
            .map(|i| score.score(i))
            .fold(f32::NEG_INFINITY, f32::max);
        assert!(
            lowest_grown >= highest_left,
            "{lowest_grown} < {highest_left}"
        );
    }

    #[test]
    fn regrowth_never_fills_the_diagonal_of_a_matrix_without_autapses() {
        // A score that prefers the diagonal above everything.
        struct Diagonal;
        impl RegrowScore for Diagonal {
            fn score(&self, idx: usize) -> f32 {
                if idx / 3 == idx % 3 {
                    10.0
                } else {
                    idx as f32 * 0.1
                }
            }
        }
        let mut w = vec![1.0; 9];
        let mut mask: Vec<u8> = (0..9).map(|k| u8::from(k / 3 != k % 3)).collect();
        mask[1] = 0;
        let score = OffDiagonal {
            inner: &Diagonal,
            cols: 3,
        };
        assert_eq!(prune_regrow(&mut w, &mut mask, 0.5, &score, 0.0), 1);
        assert!((0..3).all(|d| mask[d * 4] == 0), "{mask:?}");
        assert_eq!(mask.iter().filter(|&&x| x == 1).count(), 5);
    }

    #[test]
    fn sidecar_errors_name_the_field_and_the_fix() {
        let e = TrainFile {
            density: Some(0.3),
            modules: Some(8),
            ..Default::default()
        }
        .resolve()
        .unwrap_err();
        assert!(e.contains("density = 0.3") && e.contains("keep one"), "{e}");
        let e = TrainFile {
            p_between: Some(1.5),
            ..Default::default()
        }
        .resolve()
        .unwrap_err();
        assert!(e.contains("p_between = 1.5") && e.contains("[0, 1]"), "{e}");
        let e = TrainFile {
            dst_regrow: Some("random".into()),
            ..Default::default()
        }
        .resolve()
        .unwrap_err();
        assert!(e.contains("\"random\"") && e.contains("hebbian"), "{e}");
    }
}
