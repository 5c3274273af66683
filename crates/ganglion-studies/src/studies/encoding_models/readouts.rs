//! The readout comparison of `encoding-models`: voxels whose signal is a spatially localised
//! receptive field on a random C × P feature map (known truth), read out by full ridge
//! (C·P weights), the factorised readout (Klindt et al. 2017: C + P) and the attention readout,
//! with few and many training stimuli, and the representational geometry (RSA, CKA) of their
//! predictions against that of the true signal.

use ganglion_analysis::encoding::{pearson, ridge_cv};
use ganglion_analysis::readout::{
    AttentionOptions, FactorisedOptions, MapShape, fit_attention, fit_factorised,
};
use ganglion_analysis::rsa::{self, Comparison, Hsic, Kernel, Measure};
use ganglion_base::rng::{Stream, derive};
use serde::Serialize;

use crate::StudyError;
use crate::stats::median;

use super::NAME;

/// Channels of the feature map.
pub const CHANNELS: usize = 6;
/// Side of the square grid of positions.
pub const GRID: usize = 5;
/// Positions (GRID²).
pub const POSITIONS: usize = GRID * GRID;
/// Test stimuli.
pub const N_TEST: usize = 200;
/// Noise standard deviation (the signal has unit variance): true ceiling 1/sqrt(1 + 0.25).
pub const NOISE_SD: f64 = 0.5;
/// Width (grid units) of the Gaussian receptive fields.
pub const RF_SIGMA: f64 = 0.8;

/// Per voxel and training-set size: the planted field and each readout's test correlation.
#[derive(Debug, Clone, Serialize)]
pub struct ReadoutVoxel {
    /// Training stimuli.
    pub n_train: usize,
    /// "one-position" or "gaussian" receptive field.
    pub field: &'static str,
    /// Planted centre (position index, row-major on the grid).
    pub centre: usize,
    /// Where the fitted factorised mask peaks.
    pub mask_peak: usize,
    /// Test correlation a perfect model reaches (the signal against the data).
    pub true_ceiling: f64,
    /// Test correlation of full ridge on the C·P map values.
    pub r_ridge: f64,
    /// Test correlation of the factorised readout.
    pub r_factorised: f64,
    /// Test correlation of the attention readout (fitted only on one-position fields with
    /// many stimuli; NaN, i.e. null in JSON, elsewhere).
    pub r_attention: f64,
}

/// Geometry of the predicted test responses against the true signal's, per readout.
#[derive(Debug, Clone, Serialize)]
pub struct Geometry {
    /// Training stimuli.
    pub n_train: usize,
    /// "ridge" or "factorised".
    pub readout: &'static str,
    /// Spearman correlation of the correlation-distance RDMs over test stimuli.
    pub rsa_spearman: f64,
    /// Linear CKA (biased HSIC) between predictions and signal, stimuli × voxels.
    pub cka_linear: f64,
}

/// One run: voxels and geometries for one training-set size.
pub struct Condition {
    /// One row per voxel.
    pub voxels: Vec<ReadoutVoxel>,
    /// One row per readout (ridge, factorised).
    pub geometry: Vec<Geometry>,
}

fn study_error(what: &str, e: impl std::fmt::Display) -> StudyError {
    StudyError::study(NAME, format!("{what}: {e}"))
}

/// The ridge α grid (Gram-matrix units), as in the main experiment.
fn alphas() -> Vec<f64> {
    (-2..=5)
        .flat_map(|e| [1.0, 3.0].map(|m| m * 10f64.powi(e)))
        .collect()
}

/// Separable one-hot positional code (row one-hot ⊕ column one-hot), 2·GRID × POSITIONS:
/// the attention logits become a row term plus a column term, so a query can concentrate
/// the attention on any one position.
fn positional_code() -> Vec<f64> {
    let mut e = vec![0.0; 2 * GRID * POSITIONS];
    for q in 0..POSITIONS {
        e[(q / GRID) * POSITIONS + q] = 1.0;
        e[(GRID + q % GRID) * POSITIONS + q] = 1.0;
    }
    e
}

/// Runs the comparison with `voxels` voxels (first half one-position, second half Gaussian
/// fields), training on `n_train` stimuli, attention fitted on `attention_voxels` of the
/// one-position voxels when `attention` is set.
pub fn condition(
    voxels: usize,
    n_train: usize,
    attention: Option<usize>,
    seed: u64,
) -> Result<Condition, StudyError> {
    let (c, p, v) = (CHANNELS, POSITIONS, voxels);
    // Same voxels (fields, weights) for every training size; stimuli drawn per size.
    let mut sv = Stream::new(derive(seed, 1));
    let mut masks = vec![0.0; v * p];
    let mut weights = vec![0.0; v * c];
    let mut centres = vec![0; v];
    for k in 0..v {
        let centre = sv.below(p as u64) as usize;
        centres[k] = centre;
        let (cy, cx) = ((centre / GRID) as f64, (centre % GRID) as f64);
        for q in 0..p {
            let d2 = ((q / GRID) as f64 - cy).powi(2) + ((q % GRID) as f64 - cx).powi(2);
            masks[k * p + q] = if k < v / 2 {
                f64::from(u8::from(q == centre))
            } else {
                (-d2 / (2.0 * RF_SIGMA * RF_SIGMA)).exp()
            };
        }
        for ch in 0..c {
            weights[k * c + ch] = sv.normal();
        }
        // Unit signal variance for i.i.d. N(0, 1) features: |w|²|m|² = 1.
        let nm = masks[k * p..(k + 1) * p]
            .iter()
            .map(|x| x * x)
            .sum::<f64>()
            .sqrt();
        let nw = weights[k * c..(k + 1) * c]
            .iter()
            .map(|x| x * x)
            .sum::<f64>()
            .sqrt();
        masks[k * p..(k + 1) * p].iter_mut().for_each(|x| *x /= nm);
        weights[k * c..(k + 1) * c]
            .iter_mut()
            .for_each(|x| *x /= nw);
    }
    let mut ss = Stream::new(derive(seed, 2 + n_train as u64));
    let n = n_train + N_TEST;
    let f: Vec<f64> = (0..n * c * p).map(|_| ss.normal()).collect();
    let signal: Vec<f64> = (0..n * v)
        .map(|i| {
            let (s, k) = (i / v, i % v);
            (0..c)
                .map(|ch| {
                    let row = &f[(s * c + ch) * p..(s * c + ch + 1) * p];
                    weights[k * c + ch]
                        * row
                            .iter()
                            .zip(&masks[k * p..(k + 1) * p])
                            .map(|(a, b)| a * b)
                            .sum::<f64>()
                })
                .sum()
        })
        .collect();
    let y: Vec<f64> = signal.iter().map(|s| s + NOISE_SD * ss.normal()).collect();
    let (f_tr, f_te) = f.split_at(n_train * c * p);
    let (y_tr, y_te) = y.split_at(n_train * v);
    let sig_te = &signal[n_train * v..];

    // Full ridge: the map flattened to C·P features (channel-major, as stored).
    let ridge = ridge_cv(f_tr, y_tr, c * p, v, &alphas(), 5);
    let pred_ridge = ridge.predict(f_te);
    // Factorised: a light L2 penalty on both factors (Gram-matrix units), no sign constraint.
    let opts = FactorisedOptions {
        alpha_weights: 1.0,
        alpha_mask: 1.0,
        max_iter: 100,
        tol: 1e-6,
        seed,
        ..FactorisedOptions::default()
    };
    let shape = MapShape { n: n_train, c, p };
    let fact = fit_factorised(f_tr, shape, y_tr, v, &opts)
        .map_err(|e| study_error("factorised readout", e))?;
    let pred_fact = fact
        .predict(f_te)
        .map_err(|e| study_error("factorised readout", e))?;
    let mut r_att = vec![f64::NAN; v];
    if let Some(na) = attention {
        let na = na.min(v / 2);
        let ya: Vec<f64> = (0..n_train)
            .flat_map(|s| (0..na).map(move |k| (s, k)))
            .map(|(s, k)| y_tr[s * v + k])
            .collect();
        let aopts = AttentionOptions {
            steps: 400,
            learning_rate: 0.05,
            seed,
            ..AttentionOptions::default()
        };
        let att = fit_attention(f_tr, shape, &ya, na, &positional_code(), &aopts)
            .map_err(|e| study_error("attention readout", e))?;
        let pa = att
            .predict(f_te)
            .map_err(|e| study_error("attention readout", e))?;
        for (k, r) in r_att.iter_mut().enumerate().take(na) {
            let col: Vec<f64> = (0..N_TEST).map(|s| pa[s * na + k]).collect();
            let obs: Vec<f64> = (0..N_TEST).map(|s| y_te[s * v + k]).collect();
            *r = pearson(&col, &obs);
        }
    }
    let col = |m: &[f64], k: usize| (0..N_TEST).map(|s| m[s * v + k]).collect::<Vec<f64>>();
    let voxels = (0..v)
        .map(|k| {
            let obs = col(y_te, k);
            let mk = &fact.mask[k * p..(k + 1) * p];
            let peak = (0..p).fold(0, |b, q| if mk[q] > mk[b] { q } else { b });
            ReadoutVoxel {
                n_train,
                field: if k < v / 2 {
                    "one-position"
                } else {
                    "gaussian"
                },
                centre: centres[k],
                mask_peak: peak,
                true_ceiling: pearson(&col(sig_te, k), &obs),
                r_ridge: pearson(&col(&pred_ridge, k), &obs),
                r_factorised: pearson(&col(&pred_fact, k), &obs),
                r_attention: r_att[k],
            }
        })
        .collect();
    let truth_rdm = rsa::rdm(sig_te, N_TEST, v, Measure::Correlation)
        .map_err(|e| study_error("RDM of the signal", e))?;
    let geometry = [("ridge", &pred_ridge), ("factorised", &pred_fact)]
        .into_iter()
        .map(|(name, pred)| {
            let rdm = rsa::rdm(pred, N_TEST, v, Measure::Correlation)
                .map_err(|e| study_error("RDM of the predictions", e))?;
            Ok(Geometry {
                n_train,
                readout: name,
                rsa_spearman: rsa::compare(&rdm, &truth_rdm, Comparison::Spearman)
                    .map_err(|e| study_error("RDM comparison", e))?,
                cka_linear: rsa::cka(pred, v, sig_te, v, N_TEST, Kernel::Linear, Hsic::Biased)
                    .map_err(|e| study_error("CKA", e))?,
            })
        })
        .collect::<Result<Vec<_>, StudyError>>()?;
    Ok(Condition { voxels, geometry })
}

/// Median of a field over the voxels selected by `keep`.
pub fn median_of(
    v: &[ReadoutVoxel],
    keep: impl Fn(&ReadoutVoxel) -> bool,
    f: impl Fn(&ReadoutVoxel) -> f64,
) -> f64 {
    median(v.iter().filter(|x| keep(x)).map(f).collect())
}
