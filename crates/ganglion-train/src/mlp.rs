//! Plain dense networks (MLPs): `x → relu(x·W₁ + b₁) → … → x·W_L + b_L` with softmax
//! cross-entropy, batched matmuls on faer. Also the leaky-rate-unit building block's
//! non-linearities.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use serde::{Deserialize, Serialize};

/// One dense layer: `w` is `n_in × n_out` row-major, `b` has `n_out` entries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dense {
    /// Inputs.
    pub n_in: usize,
    /// Outputs.
    pub n_out: usize,
    /// Weights, `n_in × n_out`.
    pub w: Vec<f32>,
    /// Biases.
    pub b: Vec<f32>,
}

/// A ReLU MLP.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mlp {
    /// Layers; ReLU between them, none after the last.
    pub layers: Vec<Dense>,
}

/// `c (m×n) = a (m×k) · b (k×n)` (+= when `add`), row-major slices.
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    c: &mut [f32],
    a: &[f32],
    b: &[f32],
    m: usize,
    k: usize,
    n: usize,
    add: bool,
    par: Par,
) {
    let cm = MatMut::from_row_major_slice_mut(c, m, n);
    let am = MatRef::from_row_major_slice(a, m, k);
    let bm = MatRef::from_row_major_slice(b, k, n);
    matmul(
        cm,
        if add { Accum::Add } else { Accum::Replace },
        am,
        bm,
        1.0f32,
        par,
    );
}

/// `c (m×n) = aᵀ · b` with `a` stored `k×m` and `b` `k×n`.
pub fn gemm_tn(c: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize, par: Par) {
    let cm = MatMut::from_row_major_slice_mut(c, m, n);
    let am = MatRef::from_row_major_slice(a, k, m).transpose();
    let bm = MatRef::from_row_major_slice(b, k, n);
    matmul(cm, Accum::Replace, am, bm, 1.0f32, par);
}

/// `c (m×n) = a · bᵀ` with `a` stored `m×k` and `b` `n×k`.
pub fn gemm_nt(c: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize, par: Par) {
    let cm = MatMut::from_row_major_slice_mut(c, m, n);
    let am = MatRef::from_row_major_slice(a, m, k);
    let bm = MatRef::from_row_major_slice(b, n, k).transpose();
    matmul(cm, Accum::Replace, am, bm, 1.0f32, par);
}

/// Gradients of an MLP, shaped like its layers.
#[derive(Debug, Clone)]
pub struct MlpGrads {
    /// (∂w, ∂b) per layer.
    pub layers: Vec<(Vec<f32>, Vec<f32>)>,
}

impl Mlp {
    /// Forward a batch `x` (`b × n_in`); returns the activations of every layer (the last
    /// one: logits, `b × classes`).
    pub fn forward(&self, x: &[f32], b: usize, par: Par) -> Vec<Vec<f32>> {
        let mut acts: Vec<Vec<f32>> = Vec::with_capacity(self.layers.len());
        for (li, l) in self.layers.iter().enumerate() {
            let inp: &[f32] = if li == 0 { x } else { &acts[li - 1] };
            let mut z = vec![0f32; b * l.n_out];
            for r in 0..b {
                z[r * l.n_out..(r + 1) * l.n_out].copy_from_slice(&l.b);
            }
            gemm(&mut z, inp, &l.w, b, l.n_in, l.n_out, true, par);
            if li + 1 < self.layers.len() {
                z.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            acts.push(z);
        }
        acts
    }

    /// Batch-mean cross-entropy loss sum, correct count, predictions and (if `grad`) gradients.
    pub fn batch(
        &self,
        x: &[f32],
        labels: &[u8],
        grad: bool,
        par: Par,
    ) -> (f64, usize, Vec<usize>, Option<MlpGrads>) {
        let b = labels.len();
        let acts = self.forward(x, b, par);
        let nl = self.layers.len();
        let classes = self.layers[nl - 1].n_out;
        let logits = &acts[nl - 1];
        let mut dz = vec![0f32; b * classes];
        let (mut loss, mut correct, mut preds) = (0.0, 0, Vec::with_capacity(b));
        for r in 0..b {
            let z = &logits[r * classes..(r + 1) * classes];
            let (l, g) = crate::snn::softmax_ce(z, labels[r] as usize);
            loss += l;
            let p = crate::snn::argmax(z);
            correct += (p == labels[r] as usize) as usize;
            preds.push(p);
            for c in 0..classes {
                dz[r * classes + c] = g[c] / b as f32;
            }
        }
        if !grad {
            return (loss, correct, preds, None);
        }
        let mut grads = vec![(vec![], vec![]); nl];
        for li in (0..nl).rev() {
            let l = &self.layers[li];
            let inp: &[f32] = if li == 0 { x } else { &acts[li - 1] };
            let mut dw = vec![0f32; l.n_in * l.n_out];
            gemm_tn(&mut dw, inp, &dz, l.n_in, b, l.n_out, par);
            let mut db = vec![0f32; l.n_out];
            for r in 0..b {
                for c in 0..l.n_out {
                    db[c] += dz[r * l.n_out + c];
                }
            }
            if li > 0 {
                let mut dx = vec![0f32; b * l.n_in];
                gemm_nt(&mut dx, &dz, &l.w, b, l.n_out, l.n_in, par);
                // ReLU of the layer below.
                dx.iter_mut().zip(inp).for_each(|(d, &a)| {
                    if a <= 0.0 {
                        *d = 0.0
                    }
                });
                dz = dx;
            }
            grads[li] = (dw, db);
        }
        (loss, correct, preds, Some(MlpGrads { layers: grads }))
    }
}
